#include <stdio.h>

int main(void)
{
        puts("aiops " AIOPS_VERSION);
        return 0;
}

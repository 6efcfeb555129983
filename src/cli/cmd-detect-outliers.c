/* `aiops detect outliers` (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_detect_outliers(CliContext *ctx, int argc, char **argv)
{
        (void) ctx;
        (void) argc;
        (void) argv;
        fprintf(stderr, "aiops: detect outliers: not built yet\n");
        return EXIT_UNKNOWN;
}

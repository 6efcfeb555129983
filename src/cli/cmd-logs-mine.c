/* `aiops logs mine`: batch template mining (placeholder until the miner lands). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_logs_mine(CliContext *ctx, int argc, char **argv)
{
        (void) ctx;
        (void) argc;
        (void) argv;
        fprintf(stderr, "aiops: logs mine: not built yet\n");
        return EXIT_UNKNOWN;
}

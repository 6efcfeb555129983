/* `aiops detect stream` (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_detect_stream(CliContext *ctx, int argc, char **argv)
{
        (void) ctx;
        (void) argc;
        (void) argv;
        fprintf(stderr, "aiops: detect stream: not built yet\n");
        return EXIT_UNKNOWN;
}

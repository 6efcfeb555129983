/* `aiops detect`: anomaly detection. Without a command (or with an option first), batch
 * detection over the store (cmd-detect-batch.c); `outliers` and `stream` score users' own
 * data (cmd-detect-outliers.c, cmd-detect-stream.c), `drift` compares a metric's recent values
 * with its past (cmd-detect-drift.c). */
#include <string.h>

#include "cli/cli.h"
#include "core/macro.h"

static const CliCommand detect_commands[] = {
        {"outliers", "score the rows of a numeric CSV (iforest, lof, knn, kmeans, ...)",
         cmd_detect_outliers},
        {"stream", "score a timestamp,value series online (robust, seasonal, kalman, ar)",
         cmd_detect_stream},
        {"drift", "compare a metric's recent values with its past (KS, PSI, JS)", cmd_detect_drift},
};

int cmd_detect(CliContext *ctx, int argc, char **argv)
{
        /* `aiops detect`, `aiops detect --hours-back 6`, `aiops detect --help`. */
        if (argc < 2 || argv[1][0] == '-')
                return cmd_detect_batch(ctx, argc, argv);
        return cli_dispatch(ctx, "detect", detect_commands, ELEMENTSOF(detect_commands), argc,
                            argv);
}

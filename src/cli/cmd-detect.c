/* `aiops detect`: anomaly detection. `outliers` and `stream` score users' own data
 * (cmd-detect-outliers.c, cmd-detect-stream.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/macro.h"

typedef struct DetectCommand {
        const char *name;
        const char *summary;
        int (*run)(CliContext *ctx, int argc, char **argv);
} DetectCommand;

static const DetectCommand detect_commands[] = {
        {"outliers", "score the rows of a numeric CSV (iforest, lof, knn, kmeans, ...)",
         cmd_detect_outliers},
        {"stream", "score a timestamp,value series online (robust, seasonal, kalman, ar)",
         cmd_detect_stream},
};

static void help(FILE *f)
{
        fprintf(f, "Usage: aiops detect COMMAND [OPTIONS]\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(detect_commands); i++)
                fprintf(f, "  %-10s %s\n", detect_commands[i].name, detect_commands[i].summary);
        fprintf(f, "\n'aiops detect COMMAND --help' shows a command's options.\n");
}

int cmd_detect(CliContext *ctx, int argc, char **argv)
{
        if (argc < 2) {
                help(stderr);
                return EXIT_UNKNOWN;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                help(stdout);
                return EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(detect_commands); i++)
                if (strcmp(argv[1], detect_commands[i].name) == 0)
                        return detect_commands[i].run(ctx, argc - 1, argv + 1);
        return cli_usage_error(ctx, "detect ", "unknown detect command '%s'", argv[1]);
}

/* `aiops logs`: the log subcommands (mine, templates, patterns, trends, sources). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/macro.h"

typedef struct LogsCommand {
        const char *name;
        const char *summary;
        int (*run)(CliContext *ctx, int argc, char **argv);
} LogsCommand;

static const LogsCommand logs_commands[] = {
        {"mine", "mine templates from log files (batch; --format jsonl for benchmarks)",
         cmd_logs_mine},
};

static void help(FILE *f)
{
        fprintf(f, "Usage: aiops logs COMMAND [OPTIONS]\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(logs_commands); i++)
                fprintf(f, "  %-10s %s\n", logs_commands[i].name, logs_commands[i].summary);
        fprintf(f, "\n'aiops logs COMMAND --help' shows a command's options.\n");
}

int cmd_logs(CliContext *ctx, int argc, char **argv)
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
        for (size_t i = 0; i < ELEMENTSOF(logs_commands); i++)
                if (strcmp(argv[1], logs_commands[i].name) == 0)
                        return logs_commands[i].run(ctx, argc - 1, argv + 1);
        return cli_usage_error(ctx, "logs", "unknown logs command '%s'", argv[1]);
}

/* aiops: command dispatch and the options every command shares. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/time-util.h"

static const CliCommand commands[] = {
        {"run", "collect a short window, detect anomalies and print the report (the main job)",
         cmd_run},
        {"collect", "collect host, process and service metrics and store them", cmd_collect},
        {"monitor", "collect for ever on a fixed schedule (the agent)", cmd_monitor},
        {"ps", "the process table, like ps aux / top -b -n1, sorted or as a tree", cmd_ps},
        {"query", "read stored samples of a metric as a table, CSV or JSON", cmd_query},
        {"import", "add samples from a CSV (the format of query --csv) to the store", cmd_import},
        {"status", "data directory, database size, series and samples, last collection",
         cmd_status},
        {"logs", "log templates, new patterns, trends and sources; batch template mining",
         cmd_logs},
        {"detect", "anomaly detection over the stored hours; outliers in a CSV, a series online",
         cmd_detect},
        {"anomalies", "the anomalies found so far, with their explanation", cmd_anomalies},
};

static void help(FILE *f)
{
        fprintf(f, "Usage: aiops [OPTIONS] COMMAND [ARGS...]\n\n"
                   "A local AIOps assistant: collects host, process and service metrics into a\n"
                   "local time-series store and explains what is abnormal.\n\n"
                   "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nOptions (accepted before or after the command):\n"
                   "  --data-dir DIR   where aiops.db lives (default: $AIOPS_DATA_DIR,\n"
                   "                   /var/lib/aiops if writable, else $XDG_STATE_HOME/aiops)\n"
                   "  --config FILE    configuration (default /etc/aiops/aiops.yaml, optional)\n"
                   "  --json, --csv    machine-readable output\n"
                   "  --no-color       no colour even on a terminal (also: NO_COLOR=1)\n"
                   "  -v, --verbose    more log output (repeat for debug)\n"
                   "  -h, --help       this help; 'aiops COMMAND --help' for a command\n"
                   "  --version        print the version\n\n"
                   "Exit status: 0 ok, 1 warning, 2 critical, 3 unknown or error.\n");
}

int cli_common_option(CliContext *ctx, int opt, const char *arg)
{
        switch (opt) {
        case CLI_OPT_JSON:
                ctx->format = OUTPUT_JSON;
                return 1;
        case CLI_OPT_CSV:
                ctx->format = OUTPUT_CSV;
                return 1;
        case CLI_OPT_NO_COLOR:
                ctx->no_color = true;
                term_set_no_color(true);
                return 1;
        case CLI_OPT_DATA_DIR:
                ctx->data_dir_arg = arg;
                return 1;
        case CLI_OPT_CONFIG:
                ctx->config_path = arg;
                return 1;
        case 'v':
                ctx->verbosity++;
                log_set_level(ctx->verbosity > 1 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
                return 1;
        default:
                return 0;
        }
}

int cli_flush_stdout(void)
{
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error_errno(errno > 0 ? -errno : -EIO, "cannot write the output: %m");
                return EXIT_UNKNOWN;
        }
        return EXIT_OK;
}

static void group_help(FILE *f, const char *group, const CliCommand *cmds, size_t n)
{
        fprintf(f, "Usage: aiops %s COMMAND [OPTIONS]\n\nCommands:\n", group);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
        fprintf(f, "\n'aiops %s COMMAND --help' shows a command's options.\n", group);
}

int cli_dispatch(CliContext *ctx, const char *group, const CliCommand *cmds, size_t n, int argc,
                 char **argv)
{
        if (argc < 2) {
                group_help(stderr, group, cmds, n);
                return EXIT_UNKNOWN;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                group_help(stdout, group, cmds, n);
                return EXIT_OK;
        }
        for (size_t i = 0; i < n; i++)
                if (strcmp(argv[1], cmds[i].name) == 0)
                        return cmds[i].run(ctx, argc - 1, argv + 1);
        _cleanup_free_ char *usage = xasprintf("%s ", group);
        return cli_usage_error(ctx, usage, "unknown %s command '%s'", group, argv[1]);
}

int cli_usage_error(const CliContext *ctx, const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", ctx->program);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry '%s %s--help' for more information.\n", ctx->program,
                cmd ? cmd : "");
        return EXIT_UNKNOWN;
}

int cli_parse_duration(const char *opt, const char *arg, int64_t min_ms, int64_t *ret)
{
        int64_t v;
        char buf[32];

        if (time_parse_duration_ms(arg, &v) < 0) {
                log_error("invalid duration '%s' for %s (expected e.g. 500ms, 30s, 5m, 1h)", arg,
                          opt);
                return -EINVAL;
        }
        if (v < min_ms) {
                log_error("%s %s is too short: the minimum is %s", opt, arg,
                          time_format_duration(min_ms, buf, sizeof(buf)));
                return -ERANGE;
        }
        *ret = v;
        return 0;
}

int cli_load_config(CliContext *ctx)
{
        _cleanup_free_ char *msg = NULL;
        bool explicit = ctx->config_path != NULL;
        const char *path = explicit ? ctx->config_path : "/etc/aiops/aiops.yaml";

        if (ctx->config)
                return 0;
        int r = config_load(path, explicit, &ctx->config, &msg);
        if (r < 0)
                return log_error_errno(r, "%s", msg ? msg : "cannot load configuration");

        if (ctx->data_dir_arg && *ctx->data_dir_arg)
                ctx->data_dir = xstrdup(ctx->data_dir_arg);
        else if (getenv("AIOPS_DATA_DIR") && *getenv("AIOPS_DATA_DIR"))
                ctx->data_dir = xstrdup(getenv("AIOPS_DATA_DIR"));
        else if (ctx->config->data_dir && *ctx->config->data_dir)
                ctx->data_dir = xstrdup(ctx->config->data_dir);
        else
                ctx->data_dir = config_default_data_dir();

        if (!ctx->verbosity)
                log_set_level(ctx->config->log_level);
        if (ctx->config->log_file && *ctx->config->log_file) {
                r = log_open_file(ctx->config->log_file);
                if (r < 0)
                        log_warning_errno(r, "cannot open log file '%s', logging to stderr: %m",
                                          ctx->config->log_file);
        }
        return 0;
}

static int mkdir_parents(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int cli_prepare_data_dir(CliContext *ctx, char **ret_db_path)
{
        int r = cli_load_config(ctx);
        if (r < 0)
                return r;
        r = mkdir_parents(ctx->data_dir, 0750);
        if (r < 0)
                return log_error_errno(r,
                                       "cannot create data directory '%s': %m (choose another "
                                       "with --data-dir or AIOPS_DATA_DIR)",
                                       ctx->data_dir);
        *ret_db_path = xasprintf("%s/aiops.db", ctx->data_dir);
        return 0;
}

int cli_open_existing_store(CliContext *ctx, Store **ret, char **ret_db_path)
{
        _cleanup_free_ char *db_path = NULL, *msg = NULL;

        int r = cli_load_config(ctx);
        if (r < 0)
                return r;
        db_path = xasprintf("%s/aiops.db", ctx->data_dir);
        if (access(db_path, F_OK) < 0)
                return log_error_errno(-ENOENT,
                                       "no store at '%s': nothing was collected there yet (run "
                                       "'aiops collect' or 'aiops monitor', or pass --data-dir)",
                                       db_path);
        r = store_open(db_path, NULL, ret, &msg);
        if (r < 0)
                return log_error_errno(r, "%s", msg ? msg : "cannot open the store");
        if (ret_db_path)
                *ret_db_path = TAKE_PTR(db_path);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                CLI_COMMON_LONG_OPTIONS,
                {"version", no_argument, NULL, 'V'},
                {},
        };
        CliContext ctx = {.program = "aiops", .format = OUTPUT_HUMAN};
        int opt;

        log_open_auto();
        if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
                term_set_no_color(true);

        /* '+': stop at the command name; its own options are parsed by the command. */
        while ((opt = getopt_long(argc, argv, "+vh", options, NULL)) >= 0) {
                if (cli_common_option(&ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("aiops %s\n", AIOPS_VERSION);
                        return EXIT_OK;
                default:
                        return cli_usage_error(&ctx, NULL, "invalid option");
                }
        }
        if (optind >= argc) {
                help(stderr);
                return EXIT_UNKNOWN;
        }

        const char *name = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strcmp(commands[i].name, name) != 0)
                        continue;
                int sub_argc = argc - optind;
                char **sub_argv = argv + optind;
                optind = 0; /* full re-initialisation of getopt for the command's own parse */
                int r = commands[i].run(&ctx, sub_argc, sub_argv);
                if (fflush(stdout) != 0 && r == EXIT_OK) {
                        log_error("cannot write output: %m");
                        r = EXIT_UNKNOWN;
                }
                config_free(ctx.config);
                free(ctx.data_dir);
                return r;
        }
        return cli_usage_error(&ctx, NULL, "unknown command '%s'", name);
}

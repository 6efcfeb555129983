/* What every command shares: the global options, the loaded configuration, the data
 * directory, the output format, and the exit codes of DESIGN.md. Commands live in
 * cmd-<group>.c and do parsing and printing only. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/config.h"
#include "core/term.h"
#include "store/store.h"

/* DESIGN.md: the Nagios plugin convention. */
enum {
        EXIT_OK = 0,
        EXIT_WARNING = 1,
        EXIT_CRITICAL = 2,
        EXIT_UNKNOWN = 3, /* usage errors and runtime failures too */
};

typedef struct CliContext {
        const char *program;
        const char *config_path;  /* --config; NULL = the default path, optional */
        const char *data_dir_arg; /* --data-dir or $AIOPS_DATA_DIR */
        OutputFormat format;      /* --json / --csv */
        bool no_color;
        int verbosity; /* -v count */
        Config *config;
        char *data_dir; /* resolved */
} CliContext;

typedef struct CliCommand {
        const char *name;
        const char *summary; /* one line, for `aiops --help` and the README table */
        int (*run)(CliContext *ctx, int argc, char **argv);
} CliCommand;

/* The options every command accepts, to be appended to its own getopt_long table. */
#define CLI_COMMON_LONG_OPTIONS                                                             \
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"csv", no_argument, NULL, CLI_OPT_CSV}, \
                {"no-color", no_argument, NULL, CLI_OPT_NO_COLOR},                          \
                {"data-dir", required_argument, NULL, CLI_OPT_DATA_DIR},                    \
                {"config", required_argument, NULL, CLI_OPT_CONFIG},                        \
                {"verbose", no_argument, NULL, 'v'},                                        \
        {                                                                                   \
                "help", no_argument, NULL, 'h'                                              \
        }

enum {
        CLI_OPT_JSON = 0x100,
        CLI_OPT_CSV,
        CLI_OPT_NO_COLOR,
        CLI_OPT_DATA_DIR,
        CLI_OPT_CONFIG,
        CLI_OPT_FIRST_COMMAND_OPTION = 0x200, /* commands number their own long options here */
};

/* Handles a common option returned by getopt_long. Returns 1 if it was one, 0 if not, or a
 * negative error after printing it (e.g. --csv where the command has no table). */
int cli_common_option(CliContext *ctx, int opt, const char *arg);

/* Loads the configuration (once) and resolves the data directory. Prints the error and
 * returns -errno on failure. */
int cli_load_config(CliContext *ctx);
/* Creates the data directory if needed and returns the database path in it (caller frees). */
int cli_prepare_data_dir(CliContext *ctx, char **ret_db_path);

/* Opens the store of the data directory for reading; a missing file is an error ("nothing
 * was collected there yet"), not created. Logs the error and returns -errno. */
int cli_open_existing_store(CliContext *ctx, Store **ret, char **ret_db_path);

/* `aiops GROUP COMMAND ...` (logs, detect): runs the command argv[1] names with argv shifted
 * by one, or prints the group's help (--help, or no command: then to stderr and exit 3). */
int cli_dispatch(CliContext *ctx, const char *group, const CliCommand *cmds, size_t n, int argc,
                 char **argv);

/* Flushes stdout: EXIT_OK, or EXIT_UNKNOWN after logging that the output could not be written
 * (a full disk, a closed pipe). */
int cli_flush_stdout(void);

/* Prints "aiops: <message>" for a usage error plus a hint, returns EXIT_UNKNOWN. */
int cli_usage_error(const CliContext *ctx, const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Parses a duration argument or prints an error naming the option. */
int cli_parse_duration(const char *opt, const char *arg, int64_t min_ms, int64_t *ret);

/* `aiops collect` and `aiops run`: parse --count/--interval, collect, store and report; the
 * hooks add a command's own part of the report. */
typedef struct AgentStats AgentStats;
typedef struct Agent Agent;
typedef struct CollectCommand {
        const char *name;
        unsigned default_count;
        void (*help)(void);
        /* Runs after the collection, before the report (aiops run: batch detection); what it
         * returns is handed to the extend hooks and then to free_state. May be NULL. */
        void *(*after)(CliContext *ctx, Agent *a);
        void (*extend_json)(json_t *report, const AgentStats *st, void *state);
        void (*extend_print)(FILE *f, const AgentStats *st, const char *db_path, void *state);
        void (*free_state)(void *state);
} CollectCommand;
int cli_collect_command(CliContext *ctx, int argc, char **argv, const CollectCommand *cmd);

int cmd_collect(CliContext *ctx, int argc, char **argv);
int cmd_ps(CliContext *ctx, int argc, char **argv);
int cmd_query(CliContext *ctx, int argc, char **argv);
int cmd_import(CliContext *ctx, int argc, char **argv);
int cmd_status(CliContext *ctx, int argc, char **argv);
int cmd_monitor(CliContext *ctx, int argc, char **argv);
int cmd_run(CliContext *ctx, int argc, char **argv);
int cmd_logs(CliContext *ctx, int argc, char **argv);
/* cmd-logs-mine.c: `aiops logs mine`, argv[0] = "mine". */
int cmd_logs_mine(CliContext *ctx, int argc, char **argv);
int cmd_detect(CliContext *ctx, int argc, char **argv);
/* cmd-detect-outliers.c, cmd-detect-stream.c: argv[0] is the subcommand. */
int cmd_detect_outliers(CliContext *ctx, int argc, char **argv);
int cmd_detect_stream(CliContext *ctx, int argc, char **argv);
int cmd_detect_drift(CliContext *ctx, int argc, char **argv);
/* cmd-detect-batch.c: `aiops detect [OPTIONS]` (no subcommand), argv[0] = "detect". */
int cmd_detect_batch(CliContext *ctx, int argc, char **argv);
/* cmd-anomalies.c: `aiops anomalies`, and the printing of one anomaly (store/detectdb.h) that
 * cmd-detect-batch.c shares: a header line and its explanation (full: every top feature, the
 * method scores, the kind), and the JSON object of --json (details parsed). */
int cmd_anomalies(CliContext *ctx, int argc, char **argv);
typedef struct AnomalyRow AnomalyRow;
void cli_anomaly_print(FILE *f, const AnomalyRow *a, bool full);
json_t *cli_anomaly_to_json(const AnomalyRow *a);

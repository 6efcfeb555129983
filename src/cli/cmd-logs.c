/* `aiops logs`: templates, new patterns, trends and sources from the store; `mine` (batch
 * template mining of files) lives in cmd-logs-mine.c. */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "core/table.h"
#include "core/time-util.h"
#include "logs/ingest.h"
#include "logs/logfmt.h"
#include "store/logdb.h"

enum {
        OPT_SOURCE = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_TOP,
        OPT_SINCE,
        OPT_NEW,
        OPT_WINDOW,
        OPT_HOURS,
        OPT_NAME,
        OPT_FORMAT,
        OPT_COMMAND,
};

static int print_table(CliContext *ctx, Table *t)
{
        int r = table_print(t, stdout, ctx->format, NULL);
        if (r < 0) {
                log_error_errno(r, "cannot write the output: %m");
                return EXIT_UNKNOWN;
        }
        return EXIT_OK;
}

/* --- templates --- */

static void help_templates(void)
{
        printf("Usage: aiops logs templates [--source NAME] [--top N] [--json|--csv]\n\n"
               "The templates mined from the logs so far, most frequent first: the message\n"
               "with its variable parts as <*>, how often and when it was seen, its most severe\n"
               "level and a sample line.\n\n"
               "      --source NAME   one source (see 'aiops logs sources')\n"
               "      --top N         the N most frequent (default 50; 0 = all)\n");
}

static int cmd_templates(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"source", required_argument, NULL, OPT_SOURCE},
                {"top", required_argument, NULL, OPT_TOP},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *source = NULL;
        unsigned top = 50;
        int opt;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help_templates();
                        return EXIT_OK;
                case OPT_SOURCE:
                        source = optarg;
                        break;
                case OPT_TOP:
                        if (safe_atou(optarg, &top) < 0)
                                return cli_usage_error(ctx, "logs templates ", "invalid --top '%s'",
                                                       optarg);
                        break;
                default:
                        return cli_usage_error(ctx, "logs templates ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "logs templates ", "unexpected argument '%s'",
                                       argv[optind]);

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        LogTemplateRow *rows = NULL;
        size_t n = 0;
        int r = logdb_template_list(s, source, top, &rows, &n);
        if (r < 0) {
                log_error("cannot read the templates from '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        if (n == 0 && ctx->format == OUTPUT_HUMAN) {
                if (source)
                        printf("No templates for source '%s' in %s (see 'aiops logs sources').\n",
                               source, db_path);
                else
                        printf("No log templates in %s yet: 'aiops collect' or 'aiops monitor' "
                               "reads the logs.\n",
                               db_path);
                logdb_template_rows_free(rows, n);
                return EXIT_OK;
        }
        /* The sample is for JSON and CSV; on a terminal the template says it. */
        bool human = ctx->format == OUTPUT_HUMAN;
        static const char *const headers[] = {"SOURCE",     "ID",        "COUNT",
                                              "FIRST SEEN", "LAST SEEN", "SEVERITY",
                                              "TEMPLATE",   "SAMPLE",    NULL};
        static const char *const headers_human[] = {
                "SOURCE", "ID", "COUNT", "FIRST SEEN", "LAST SEEN", "SEVERITY", "TEMPLATE", NULL};
        _cleanup_(table_freep) Table *t = table_new(human ? headers_human : headers);
        table_set_flexible(t, 6);
        for (size_t i = 0; i < n; i++) {
                table_add_str(t, rows[i].source);
                table_add_u64(t, rows[i].id);
                table_add_u64(t, rows[i].count);
                table_add_time(t, rows[i].first_seen_ms);
                table_add_time(t, rows[i].last_seen_ms);
                table_add_str(t, rows[i].severity >= 0 ? log_severity_to_string(rows[i].severity)
                                                       : NULL);
                table_add_str(t, rows[i].template);
                if (!human)
                        table_add_str(t, rows[i].sample);
        }
        logdb_template_rows_free(rows, n);
        return print_table(ctx, t);
}

/* --- patterns --- */

static void help_patterns(void)
{
        printf("Usage: aiops logs patterns [--new] [--since DURATION] [--source NAME] "
               "[--json|--csv]\n\n"
               "Log lines of a kind never seen before: a template that first appeared after\n"
               "the source's learning period (logs.learning_period). With logs.shadow_mode\n"
               "(the default) they are recorded only; otherwise they also count as log\n"
               "anomalies (the log_anomalies series) for detection and alerting.\n\n"
               "      --new              the new patterns (the default and only listing)\n"
               "      --since D          how far back (default 24h)\n"
               "      --source NAME      one source\n");
}

static int cmd_patterns(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"new", no_argument, NULL, OPT_NEW},
                {"since", required_argument, NULL, OPT_SINCE},
                {"source", required_argument, NULL, OPT_SOURCE},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        int64_t since_ms = MSEC_PER_DAY;
        const char *source = NULL;
        int opt;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help_patterns();
                        return EXIT_OK;
                case OPT_NEW:
                        break;
                case OPT_SINCE:
                        if (cli_parse_duration("--since", optarg, 1, &since_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case OPT_SOURCE:
                        source = optarg;
                        break;
                default:
                        return cli_usage_error(ctx, "logs patterns ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "logs patterns ", "unexpected argument '%s'",
                                       argv[optind]);

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        LogEventRow *ev = NULL;
        size_t n = 0;
        if (logdb_event_list(s, time_now_ms() - since_ms, "new_template", &ev, &n) < 0) {
                log_error("cannot read the log events from '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        static const char *const headers[] = {"TIME", "SOURCE",   "SEVERITY", "SHADOW",
                                              "ID",   "TEMPLATE", "SAMPLE",   NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        table_set_flexible(t, 6);
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
                if (source && strcmp(source, ev[i].source) != 0)
                        continue;
                table_add_time(t, ev[i].ts_ms);
                table_add_str(t, ev[i].source);
                table_add_str(t,
                              ev[i].severity >= 0 ? log_severity_to_string(ev[i].severity) : NULL);
                table_add_str(t, ev[i].shadow ? "yes" : "no");
                table_add_u64(t, ev[i].template_id);
                table_add_str(t, ev[i].template);
                table_add_str(t, ev[i].sample);
                shown++;
        }
        logdb_event_rows_free(ev, n);
        if (shown == 0 && ctx->format == OUTPUT_HUMAN) {
                char b[32];
                printf("No new log patterns in the last %s.\n",
                       time_format_duration(since_ms, b, sizeof(b)));
                return EXIT_OK;
        }
        return print_table(ctx, t);
}

/* --- trends --- */

static void help_trends(void)
{
        printf("Usage: aiops logs trends [--window DURATION] [--hours N] [--source NAME] "
               "[--json|--csv]\n\n"
               "Log lines per time window: in all, at error level or worse, warnings, new\n"
               "templates and the error keywords that occurred (logs.keywords), from the count\n"
               "series the agent stores (log_lines, log_keyword_lines, log_new_templates; see\n"
               "docs/metrics.md). --json adds the counts per source, severity, keyword and\n"
               "template.\n\n"
               "      --window D     width of a row (default 1h)\n"
               "      --hours N      how far back (default 24)\n"
               "      --source NAME  one source\n");
}

typedef struct Counter {
        char *key;
        double n;
} Counter;

typedef struct Window {
        int64_t start_ms;
        double lines, errors, warnings, new_templates;
        Counter *by[4]; /* source, severity, keyword, template */
        size_t n_by[4];
} Window;

enum {
        BY_SOURCE,
        BY_SEVERITY,
        BY_KEYWORD,
        BY_TEMPLATE,
        _BY_MAX
};
static const char *const by_names[_BY_MAX] = {"by_source", "by_severity", "by_keyword",
                                              "by_template"};

static void counter_add(Window *w, int by, const char *key, double v)
{
        for (size_t i = 0; i < w->n_by[by]; i++)
                if (strcmp(w->by[by][i].key, key) == 0) {
                        w->by[by][i].n += v;
                        return;
                }
        w->by[by] = xreallocarray(w->by[by], w->n_by[by] + 1, sizeof(Counter));
        w->by[by][w->n_by[by]++] = (Counter){xstrdup(key), v};
}

static int cmp_counter(const void *a, const void *b)
{
        const Counter *x = a, *y = b;
        if (x->n != y->n)
                return x->n < y->n ? 1 : -1;
        return strcmp(x->key, y->key);
}

static const char *label_of(const StoreSeries *s, const char *key)
{
        for (size_t i = 0; i < s->n_labels; i++)
                if (strcmp(s->labels[i].key, key) == 0)
                        return s->labels[i].value;
        return "";
}

/* Adds the samples of every series of a metric (of the source, if given) to the windows. */
static int fold(Store *s, const char *metric, const char *source, Window *w, size_t n_w,
                int64_t from_ms, int64_t window_ms)
{
        const char *matchers[] = {"source", source, NULL};
        StoreSeries *series = NULL;
        size_t n_series = 0;

        int r = store_series_match(s, metric, source ? matchers : NULL, &series, &n_series);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_series && r >= 0; i++) {
                StoreSample *smp = NULL;
                size_t n = 0;
                r = store_query(s, series[i].id, from_ms, from_ms + (int64_t) n_w * window_ms - 1,
                                &smp, &n);
                for (size_t j = 0; j < n && r >= 0; j++) {
                        Window *x = &w[(smp[j].ts_ms - from_ms) / window_ms];
                        double v = smp[j].value;
                        const char *src = label_of(&series[i], "source");
                        if (strcmp(metric, "log_lines") == 0) {
                                const char *sev = label_of(&series[i], "severity");
                                x->lines += v;
                                counter_add(x, BY_SOURCE, src, v);
                                counter_add(x, BY_SEVERITY, sev, v);
                                if (!strcmp(sev, "emerg") || !strcmp(sev, "alert") ||
                                    !strcmp(sev, "crit") || !strcmp(sev, "err"))
                                        x->errors += v;
                                else if (!strcmp(sev, "warning"))
                                        x->warnings += v;
                        } else if (strcmp(metric, "log_keyword_lines") == 0) {
                                if (v > 0)
                                        counter_add(x, BY_KEYWORD, label_of(&series[i], "keyword"),
                                                    v);
                        } else if (strcmp(metric, "log_template_lines") == 0) {
                                _cleanup_free_ char *k =
                                        xasprintf("%s/%s", src, label_of(&series[i], "template"));
                                if (v > 0)
                                        counter_add(x, BY_TEMPLATE, k, v);
                        } else
                                x->new_templates += v;
                }
                free(smp);
        }
        store_series_array_free(series, n_series);
        return r;
}

static json_t *counters_json(Counter *c, size_t n)
{
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
                json_object_set_new(o, c[i].key, json_real(c[i].n));
        return o;
}

static int print_trends(CliContext *ctx, Window *w, size_t n_w, int64_t window_ms)
{
        if (ctx->format == OUTPUT_JSON) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n_w; i++) {
                        json_t *o = json_pack("{s:o,s:o,s:f,s:f,s:f,s:f}", "start",
                                              json_time_rfc3339(w[i].start_ms), "end",
                                              json_time_rfc3339(w[i].start_ms + window_ms), "lines",
                                              w[i].lines, "errors", w[i].errors, "warnings",
                                              w[i].warnings, "new_templates", w[i].new_templates);
                        for (int b = 0; b < _BY_MAX; b++)
                                json_object_set_new(o, by_names[b],
                                                    counters_json(w[i].by[b], w[i].n_by[b]));
                        (void) json_array_append_new(arr, o);
                }
                int r = json_print(arr, stdout);
                json_decref(arr);
                return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
        }
        static const char *const headers[] = {"WINDOW",        "LINES",    "ERRORS", "WARNINGS",
                                              "NEW TEMPLATES", "KEYWORDS", NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        table_set_flexible(t, 5);
        for (size_t i = 0; i < n_w; i++) {
                _cleanup_(strbuf_done) StrBuf kw = {};
                for (size_t k = 0; k < w[i].n_by[BY_KEYWORD] && k < 4; k++)
                        (void) strbuf_printf(&kw, "%s%s %.0f", k ? ", " : "",
                                             w[i].by[BY_KEYWORD][k].key, w[i].by[BY_KEYWORD][k].n);
                table_add_time(t, w[i].start_ms);
                table_add_double(t, w[i].lines, 0);
                table_add_double(t, w[i].errors, 0);
                table_add_double(t, w[i].warnings, 0);
                table_add_double(t, w[i].new_templates, 0);
                table_add_str(t, kw.len ? kw.data : "");
        }
        return print_table(ctx, t);
}

static int cmd_trends(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"window", required_argument, NULL, OPT_WINDOW},
                {"hours", required_argument, NULL, OPT_HOURS},
                {"source", required_argument, NULL, OPT_SOURCE},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        int64_t window_ms = MSEC_PER_HOUR;
        unsigned hours = 24;
        const char *source = NULL;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help_trends();
                        return EXIT_OK;
                case OPT_WINDOW:
                        if (cli_parse_duration("--window", optarg, MSEC_PER_SEC, &window_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case OPT_HOURS:
                        if (safe_atou(optarg, &hours) < 0 || hours == 0 || hours > 24 * 366)
                                return cli_usage_error(ctx, "logs trends ",
                                                       "invalid --hours '%s' (1..8784)", optarg);
                        break;
                case OPT_SOURCE:
                        source = optarg;
                        break;
                default:
                        return cli_usage_error(ctx, "logs trends ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "logs trends ", "unexpected argument '%s'",
                                       argv[optind]);
        int64_t span_ms = (int64_t) hours * MSEC_PER_HOUR;
        if (window_ms > span_ms)
                return cli_usage_error(ctx, "logs trends ", "--window is longer than --hours %u",
                                       hours);
        if (span_ms / window_ms > 100000)
                return cli_usage_error(ctx, "logs trends ",
                                       "too many windows: use a wider --window");

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;

        /* Windows aligned on multiples of the width, the last one holding now. */
        int64_t now = time_now_ms();
        int64_t last = now - now % window_ms;
        size_t n_w = (size_t) ((span_ms + window_ms - 1) / window_ms);
        int64_t from = last - (int64_t) (n_w - 1) * window_ms;
        Window *w = xnew0(Window, n_w);
        for (size_t i = 0; i < n_w; i++)
                w[i].start_ms = from + (int64_t) i * window_ms;
        static const char *const metrics[] = {"log_lines", "log_keyword_lines",
                                              "log_template_lines", "log_new_templates"};
        r = 0;
        for (size_t m = 0; m < ELEMENTSOF(metrics) && r >= 0; m++)
                r = fold(s, metrics[m], source, w, n_w, from, window_ms);
        int ret = EXIT_OK;
        if (r < 0) {
                log_error("cannot read the log counts from '%s': %s", db_path, store_last_error(s));
                ret = EXIT_UNKNOWN;
                goto out;
        }
        for (size_t i = 0; i < n_w; i++)
                for (int b = 0; b < _BY_MAX; b++)
                        qsort(w[i].by[b], w[i].n_by[b], sizeof(Counter), cmp_counter);

        ret = print_trends(ctx, w, n_w, window_ms);
out:
        for (size_t i = 0; i < n_w; i++)
                for (int b = 0; b < _BY_MAX; b++) {
                        for (size_t k = 0; k < w[i].n_by[b]; k++)
                                free(w[i].by[b][k].key);
                        free(w[i].by[b]);
                }
        free(w);
        return ret;
}

/* --- sources --- */

static void help_sources(void)
{
        printf("Usage: aiops logs sources [--json|--csv]\n\n"
               "The log sources aiops reads (as of the last collect or monitor cycle): kind,\n"
               "what is read, lines and bytes so far, the cursor it resumes from, and the\n"
               "current error or last noteworthy event (rotation, truncation).\n");
}

static int cmd_sources(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                if (opt == 'h') {
                        help_sources();
                        return EXIT_OK;
                }
                return cli_usage_error(ctx, "logs sources ", "invalid option");
        }
        if (optind < argc)
                return cli_usage_error(ctx, "logs sources ", "unexpected argument '%s'",
                                       argv[optind]);
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        LogSourceRow *rows = NULL;
        size_t n = 0;
        if (logdb_source_list(s, &rows, &n) < 0) {
                log_error("cannot read the log sources from '%s': %s", db_path,
                          store_last_error(s));
                return EXIT_UNKNOWN;
        }
        if (n == 0 && ctx->format == OUTPUT_HUMAN) {
                printf("No log sources in %s yet: 'aiops collect' or 'aiops monitor' reads the "
                       "logs.\n",
                       db_path);
                logdb_source_rows_free(rows, n);
                return EXIT_OK;
        }
        static const char *const headers[] = {"SOURCE", "KIND",    "FORMAT", "TARGET", "LINES",
                                              "BYTES",  "UPDATED", "STATUS", "CURSOR", NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        table_set_flexible(t, 7);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *status = rows[i].error  ? xasprintf("error: %s", rows[i].error)
                                              : rows[i].note ? xstrdup(rows[i].note)
                                                             : xstrdup("ok");
                table_add_str(t, rows[i].name);
                table_add_str(t, rows[i].kind);
                table_add_str(t, rows[i].format);
                table_add_str(t, rows[i].target);
                table_add_u64(t, rows[i].lines);
                table_add_bytes(t, (double) rows[i].bytes);
                table_add_time(t, rows[i].updated_ms);
                table_add_str(t, status);
                table_add_str(t, rows[i].cursor);
        }
        logdb_source_rows_free(rows, n);
        return print_table(ctx, t);
}

/* --- ingest --- */

static void help_ingest(void)
{
        printf("Usage: aiops logs ingest [--name NAME] [--format FORMAT] FILE|-\n"
               "       aiops logs ingest --name NAME [--format FORMAT] --command 'CMD'\n\n"
               "Reads a log once through the whole pipeline — format parser, template miner,\n"
               "counts, new-pattern events — into the store, as the agent does with the logs it\n"
               "follows: a file (from its start, or from where the last ingest of that source\n"
               "stopped), standard input (-), or a command's output until it exits\n"
               "(e.g. 'kubectl logs deploy/api --tail=1000', 'docker logs web').\n\n"
               "      --name NAME       the source name (default: from the file name; 'stdin')\n"
               "      --format F        auto (default), generic, syslog, syslog5424,\n"
               "                        nginx-error, access, apache-error, mysql, redis,\n"
               "                        postgres, kmsg\n"
               "      --command CMD     run CMD with /bin/sh and read its output\n");
}

static int cmd_ingest(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"name", required_argument, NULL, OPT_NAME},
                {"format", required_argument, NULL, OPT_FORMAT},
                {"command", required_argument, NULL, OPT_COMMAND},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *name = NULL, *command = NULL;
        LogFormat fmt = LOG_FORMAT_AUTO;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help_ingest();
                        return EXIT_OK;
                case OPT_NAME:
                        name = optarg;
                        break;
                case OPT_FORMAT:
                        fmt = logfmt_from_string(optarg);
                        if (fmt < 0)
                                return cli_usage_error(ctx, "logs ingest ", "unknown --format '%s'",
                                                       optarg);
                        break;
                case OPT_COMMAND:
                        command = optarg;
                        break;
                default:
                        return cli_usage_error(ctx, "logs ingest ", "invalid option");
                }
        }
        if (command ? optind != argc : optind + 1 != argc)
                return cli_usage_error(ctx, "logs ingest ",
                                       command ? "--command takes no FILE"
                                               : "one FILE (or - for standard input) is needed");
        if (command && !name)
                return cli_usage_error(ctx, "logs ingest ", "--command needs --name");
        if (ctx->format == OUTPUT_CSV)
                return cli_usage_error(ctx, "logs ingest ", "--csv: the summary is not a table");
        const char *path = command ? NULL : argv[optind];

        _cleanup_free_ char *db_path = NULL, *msg = NULL, *derived = NULL;
        if (cli_prepare_data_dir(ctx, &db_path) < 0)
                return EXIT_UNKNOWN;
        _cleanup_(store_freep) Store *s = NULL;
        r = store_open(db_path, NULL, &s, &msg);
        if (r < 0) {
                log_error("%s", msg ? msg : "cannot open the store");
                return EXIT_UNKNOWN;
        }
        _cleanup_(log_ingest_freep) LogIngest *in = NULL;
        r = log_ingest_new(&ctx->config->logs, s, &in, &msg);
        if (r < 0) {
                log_error("%s", msg ? msg : "cannot set up log ingestion");
                return EXIT_UNKNOWN;
        }

        LogSource *src = NULL;
        if (command)
                r = log_source_new_command(name, command, true, &src);
        else if (strcmp(path, "-") == 0)
                r = log_source_new_fd(name ? name : "stdin", STDIN_FILENO, &src);
        else {
                LogTailOptions o = {.from_start = true};
                if (access(path, R_OK) < 0) {
                        log_error("cannot read '%s': %m", path);
                        return EXIT_UNKNOWN;
                }
                if (!name)
                        name = derived = log_ingest_name_for_path(path);
                r = log_source_new_file(name, path, &o, &src);
        }
        if (r < 0) {
                log_error_errno(r, "cannot read %s: %m", command ? command : path);
                return EXIT_UNKNOWN;
        }
        const LogSource *source = src;
        int64_t now = time_now_ms();
        r = log_ingest_add_source(in, src, fmt, now);
        if (r < 0) {
                log_error_errno(r, "cannot add the source '%s': %m", name ? name : "stdin");
                return EXIT_UNKNOWN;
        }

        /* Until the end: EOF of a pipe or a command, or nothing more in the file. */
        bool tty = isatty(STDERR_FILENO);
        LogIngestStats st;
        for (;;) {
                int n = log_ingest_poll(in, time_now_ms(), 100000);
                if (n > 0) {
                        log_ingest_stats(in, &st);
                        if (tty)
                                fprintf(stderr, "\rreading: %" PRIu64 " lines", st.lines);
                        (void) log_ingest_flush(in, time_now_ms(), false);
                        continue;
                }
                if (source->eof || source->ops->kind == LOG_SOURCE_FILE)
                        break;
                if (source->error && n <= 0 && source->ops->kind != LOG_SOURCE_COMMAND)
                        break;
                struct pollfd p = {.fd = log_source_get_fd(src), .events = POLLIN};
                if (p.fd < 0 || poll(&p, 1, 1000) < 0)
                        (void) usleep(100000);
        }
        if (tty)
                fputs("\r\033[K", stderr);
        r = log_ingest_flush(in, time_now_ms(), true);
        if (r < 0) {
                log_error("cannot store what was read into '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        log_ingest_stats(in, &st);
        if (source->error)
                log_warning("%s: %s", source->name, source->error);
        if (ctx->format == OUTPUT_JSON) {
                json_t *j = json_pack(
                        "{s:o,s:I,s:I,s:I,s:I,s:o,s:o}", "source", json_string_lossy(source->name),
                        "lines", (json_int_t) st.lines, "bytes", (json_int_t) st.bytes, "templates",
                        (json_int_t) st.templates, "new_templates", (json_int_t) st.new_templates,
                        "error", json_str_or_null(source->error), "note",
                        json_str_or_null(source->note));
                r = json_print(j, stdout);
                json_decref(j);
                return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
        }
        printf("%s: %" PRIu64 " lines read, %" PRIu64 " templates, %" PRIu64
               " new patterns; stored in %s\n",
               source->name, st.lines, st.templates, st.new_templates, db_path);
        return source->error && source->ops->kind == LOG_SOURCE_COMMAND ? EXIT_WARNING : EXIT_OK;
}

/* --- dispatch --- */

static const CliCommand logs_commands[] = {
        {"mine", "mine templates from log files (batch; --format jsonl for benchmarks)",
         cmd_logs_mine},
        {"templates", "the templates mined so far, most frequent first", cmd_templates},
        {"patterns", "log lines of a kind never seen before (--new)", cmd_patterns},
        {"trends", "lines, errors, keywords and new templates per time window", cmd_trends},
        {"sources", "what is read: files, journal, kmsg, commands; cursors and errors",
         cmd_sources},
        {"ingest", "read a file, stdin or a command's output once into the store", cmd_ingest},
};

int cmd_logs(CliContext *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "logs", logs_commands, ELEMENTSOF(logs_commands), argc, argv);
}

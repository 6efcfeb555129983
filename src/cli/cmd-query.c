/* aiops query METRIC [--label k=v]... [--since T] [--until T] [--csv|--json] */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/table.h"
#include "core/time-util.h"
#include "store/store.h"

#define MAX_LABELS 16

static void help(void)
{
        printf("Usage: aiops query METRIC [--label KEY=VALUE]... [--since TIME] [--until TIME]\n"
               "                  [--json|--csv]\n\n"
               "Reads stored samples of every series of METRIC whose labels match, e.g.\n"
               "  aiops query host_memory_used_percent --since 1h --csv\n"
               "  aiops query host_cpu_percent --label mode=iowait\n"
               "  aiops query service_resident_memory_bytes --label service=mysql --json\n"
               "With no METRIC (or 'aiops query --list') it lists the stored metric names.\n\n"
               "  -l, --label K=V     only series with label K equal to V (repeatable)\n"
               "  -s, --since TIME    start: a duration ago (1h, 30m, 7d), epoch seconds or ms,\n"
               "                      or 'YYYY-MM-DD[ HH:MM[:SS]]' local time (default 1h)\n"
               "  -u, --until TIME    end, same forms (default now)\n"
               "      --list          list metric names\n\n"
               "CSV columns: timestamp (RFC 3339), timestamp_ms, metric, labels, value; one row\n"
               "per sample. JSON: [{\"metric\", \"labels\": {...}, \"samples\": [[ms, value], "
               "...]}],\n"
               "like a Prometheus range query.\n");
}

static int list_metrics(Store *s)
{
        char **names = NULL;
        size_t n = 0;

        int r = store_series_list(s, &names, &n);
        if (r < 0) {
                log_error("cannot list metrics: %s", store_last_error(s));
                return EXIT_UNKNOWN;
        }
        for (size_t i = 0; i < n; i++) {
                puts(names[i]);
                free(names[i]);
        }
        free(names);
        return EXIT_OK;
}

static size_t common_prefix(const char *a, const char *b)
{
        size_t n = 0;
        while (a[n] && a[n] == b[n])
                n++;
        return n;
}

/* Up to 8 stored names closest to a mistyped one: those sharing its first word, longest
 * common prefix first. */
static void suggest(Store *s, const char *metric)
{
        char **names = NULL;
        size_t n = 0, shown = 0, word = strcspn(metric, "_");

        if (store_series_list(s, &names, &n) < 0)
                return;
        for (size_t len = strlen(metric); len >= word && len > 0 && shown < 8; len--)
                for (size_t i = 0; i < n && shown < 8; i++)
                        if (names[i] && common_prefix(names[i], metric) == len) {
                                fprintf(stderr, "%s  %s\n", shown ? "" : "known metrics like it:\n",
                                        names[i]);
                                shown++;
                        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (!shown)
                fprintf(stderr, "list the stored metrics with 'aiops query --list'\n");
}

/* _cleanup_free_ on an array would free its first element only. */
static void labels_free(char *(*v)[MAX_LABELS])
{
        for (size_t i = 0; i < MAX_LABELS; i++)
                free((*v)[i]);
}

int cmd_query(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"label", required_argument, NULL, 'l'},
                {"since", required_argument, NULL, 's'},
                {"until", required_argument, NULL, 'u'},
                {"list", no_argument, NULL, CLI_OPT_FIRST_COMMAND_OPTION},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *labels[2 * MAX_LABELS + 1] = {};
        _cleanup_(labels_free) char *label_buf[MAX_LABELS] = {};
        size_t n_labels = 0;
        int64_t now = time_now_ms(), since = now - MSEC_PER_HOUR, until = now;
        bool list = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "l:s:u:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'l': {
                        char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg)
                                return cli_usage_error(ctx, "query ",
                                                       "invalid --label '%s' (expected KEY=VALUE)",
                                                       optarg);
                        if (n_labels == MAX_LABELS)
                                return cli_usage_error(ctx, "query ", "at most %d --label",
                                                       MAX_LABELS);
                        label_buf[n_labels] = xstrdup(optarg);
                        label_buf[n_labels][eq - optarg] = '\0';
                        labels[2 * n_labels] = label_buf[n_labels];
                        labels[2 * n_labels + 1] = label_buf[n_labels] + (eq - optarg) + 1;
                        n_labels++;
                        break;
                }
                case 's':
                case 'u':
                        if (time_parse_timestamp_ms(optarg, now, opt == 's' ? &since : &until) < 0)
                                return cli_usage_error(ctx, "query ",
                                                       "invalid time '%s' for --%s (1h, 7d, "
                                                       "epoch seconds, 'YYYY-MM-DD HH:MM:SS')",
                                                       optarg, opt == 's' ? "since" : "until");
                        break;
                case CLI_OPT_FIRST_COMMAND_OPTION:
                        list = true;
                        break;
                default:
                        return cli_usage_error(ctx, "query ", "invalid option");
                }
        }
        if (optind + 1 < argc)
                return cli_usage_error(ctx, "query ", "unexpected argument '%s'", argv[optind + 1]);
        const char *metric = optind < argc ? argv[optind] : NULL;
        if (!metric)
                list = true;

        _cleanup_free_ char *db_path = NULL;
        _cleanup_(store_freep) Store *s = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        int r;
        if (list)
                return list_metrics(s);

        StoreSeries *series = NULL;
        size_t n = 0;
        r = store_series_match(s, metric, n_labels ? labels : NULL, &series, &n);
        if (r < 0) {
                log_error("cannot read series of '%s': %s", metric, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        if (n == 0) {
                log_error("no series '%s'%s in '%s'", metric, n_labels ? " with these labels" : "",
                          db_path);
                suggest(s, metric);
                return EXIT_UNKNOWN;
        }

        static const char *const headers[] = {"TIME",   "TIMESTAMP_MS", "METRIC",
                                              "LABELS", "VALUE",        NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        json_t *out = json_array();
        for (size_t i = 0; i < n && r >= 0; i++) {
                StoreSample *samples = NULL;
                size_t n_samples = 0;
                r = store_query(s, series[i].id, since, until, &samples, &n_samples);
                if (r < 0) {
                        log_error("cannot read '%s': %s", series[i].canonical, store_last_error(s));
                        break;
                }
                const char *lbl = series[i].canonical + strlen(series[i].name);
                json_t *jl = json_object(), *js = json_array();
                for (size_t j = 0; j < series[i].n_labels; j++)
                        json_object_set_new(jl, series[i].labels[j].key,
                                            json_string_lossy(series[i].labels[j].value));
                for (size_t j = 0; j < n_samples; j++) {
                        if (ctx->format == OUTPUT_JSON) {
                                json_array_append_new(
                                        js, json_pack("[I,o]", (json_int_t) samples[j].ts_ms,
                                                      json_double_or_null(samples[j].value)));
                                continue;
                        }
                        table_add_time(t, samples[j].ts_ms);
                        table_add_i64(t, samples[j].ts_ms);
                        table_add_str(t, series[i].name);
                        table_add_str(t, lbl);
                        table_add_double(t, samples[j].value, 6);
                }
                json_array_append_new(out, json_pack("{s:s,s:o,s:o}", "metric", series[i].name,
                                                     "labels", jl, "samples", js));
                free(samples);
        }
        store_series_array_free(series, n);
        if (r >= 0) {
                if (ctx->format == OUTPUT_JSON)
                        r = json_print(out, stdout);
                else
                        r = table_print(t, stdout, ctx->format, NULL);
        }
        json_decref(out);
        return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
}

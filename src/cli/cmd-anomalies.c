/* `aiops anomalies`: the anomalies stored by `aiops detect` (batch), the monitor's host model
 * (model) and the drift checks (drift); `aiops anomalies show ID` explains one. Also the
 * printing of one anomaly that `aiops detect` shares. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/parse.h"
#include "core/table.h"
#include "core/term.h"
#include "core/time-util.h"
#include "detect/batch.h"
#include "store/detectdb.h"

enum {
        OPT_SINCE = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_KIND,
};

static json_t *details_json(const AnomalyRow *a)
{
        json_error_t e;
        json_t *d = a->details ? json_loads(a->details, 0, &e) : NULL;
        if (!d)
                return json_str_or_null(a->details);
        return d;
}

json_t *cli_anomaly_to_json(const AnomalyRow *a)
{
        json_t *methods = json_array();
        const char *p = a->methods ? a->methods : "";

        while (*p) {
                size_t n = strcspn(p, ",");
                if (n > 0) {
                        _cleanup_free_ char *m = xstrndup(p, n);
                        json_array_append_new(methods, json_string_lossy(m));
                }
                p += n + (p[n] == ',');
        }
        return json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
                         (json_int_t) a->id, "kind", json_str_or_null(a->kind), "subject",
                         json_str_or_null(a->subject), "start", json_time_rfc3339(a->start_ms),
                         "end", json_time_rfc3339(a->end_ms), "duration_ms",
                         (json_int_t) (a->end_ms - a->start_ms), "detected",
                         json_time_rfc3339(a->detected_ms), "score", json_double_or_null(a->score),
                         "methods", methods, "summary", json_str_or_null(a->summary), "details",
                         details_json(a));
}

/* The explanation lines of details' "features" (batch.h), or the summary when the details
 * have none (another kind of anomaly). */
static void print_explanation(FILE *f, const AnomalyRow *a, bool full)
{
        _cleanup_(json_decrefp) json_t *d = NULL;
        json_error_t e;
        json_t *feat;
        size_t i, shown = 0;

        d = a->details ? json_loads(a->details, 0, &e) : NULL;
        double guard = json_number_value(json_object_get(d, "guard_z"));
        json_array_foreach(json_object_get(d, "features"), i, feat)
        {
                const char *name = json_string_value(json_object_get(feat, "name"));
                const char *metric = json_string_value(json_object_get(feat, "metric"));
                json_t *v = json_object_get(feat, "value"),
                       *m = json_object_get(feat, "baseline_mean");
                json_t *sd = json_object_get(feat, "baseline_sd"), *z = json_object_get(feat, "z");
                if (!name || !json_is_number(v) || !json_is_number(m) || !json_is_number(sd) ||
                    !json_is_number(z))
                        continue;
                /* Past the first, the features under the guard only in full. */
                if (!full && shown > 0 && guard > 0 && fabs(json_number_value(z)) < guard)
                        continue;
                _cleanup_free_ char *safe = term_sanitize(name);
                _cleanup_free_ char *t =
                        batch_explain_feature(safe, metric ? metric : "", json_number_value(v),
                                              json_number_value(m), json_number_value(sd));
                fprintf(f, "      %s  (z %+.1f)\n", t, json_number_value(z));
                shown++;
        }
        if (shown == 0 && a->summary && *a->summary) {
                _cleanup_free_ char *safe = term_sanitize(a->summary);
                fprintf(f, "      %s\n", safe);
        }
        if (!full)
                return;
        json_t *scores = json_object_get(d, "scores"), *val;
        const char *key;
        if (json_object_size(scores) > 0) {
                fprintf(f, "    method scores (normalised, at the highest window):");
                json_object_foreach(scores, key, val)
                {
                        fprintf(f, " %s %.3f", key, json_number_value(val));
                }
                fputc('\n', f);
        }
}

void cli_anomaly_print(FILE *f, const AnomalyRow *a, bool full)
{
        char s[32], e[32], dur[32];
        _cleanup_free_ char *subject = term_sanitize(a->subject ? a->subject : "");

        fprintf(f, "  #%" PRId64 "  %s – %s  (%s)  score %.2f  %s  [%s]\n", a->id,
                time_format_local(a->start_ms, s, sizeof(s)),
                time_format_local(a->end_ms, e, sizeof(e)),
                time_format_duration(a->end_ms - a->start_ms, dur, sizeof(dur)), a->score, subject,
                a->methods ? a->methods : "");
        if (full) {
                char det[32];
                fprintf(f, "    kind %s, detected %s\n", a->kind ? a->kind : "",
                        time_format_local(a->detected_ms, det, sizeof(det)));
        }
        print_explanation(f, a, full);
        fputc('\n', f);
}

static void help(void)
{
        printf("Usage: aiops anomalies [--since DURATION] [--kind KIND] [--json|--csv]\n"
               "       aiops anomalies show ID [--json]\n\n"
               "The anomalies stored so far, newest last: those 'aiops detect' found (kind\n"
               "batch), those the monitor's host model flagged (model) and drift (drift), with\n"
               "their time range, score, the methods that agree, the subject (host or\n"
               "service:NAME) and a one-line summary. 'show ID' prints one with its whole\n"
               "explanation: each top feature's value against its baseline mean ± sd and z.\n\n"
               "      --since D     anomalies that ended in the last D (default 24h)\n"
               "      --kind K      batch, model or drift\n"
               "      --json        the rows, with the details as JSON\n");
}

static int cmd_show(CliContext *ctx, const char *arg)
{
        int64_t id;
        AnomalyRow a = {};

        if (safe_atoi64(arg, &id) < 0 || id <= 0)
                return cli_usage_error(ctx, "anomalies ", "invalid anomaly id '%s'", arg);
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        int r = detectdb_anomaly_get(s, id, &a);
        if (r < 0) {
                log_error("cannot read the anomalies from '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        if (r == 0) {
                log_error("no anomaly #%" PRId64 " in '%s' (see 'aiops anomalies')", id, db_path);
                return EXIT_UNKNOWN;
        }
        if (ctx->format == OUTPUT_JSON) {
                json_t *j = cli_anomaly_to_json(&a);
                (void) json_print(j, stdout);
                json_decref(j);
        } else {
                cli_anomaly_print(stdout, &a, true);
                if (a.summary && *a.summary) {
                        _cleanup_free_ char *safe = term_sanitize(a.summary);
                        printf("  summary: %s\n", safe);
                }
        }
        detectdb_anomaly_row_done(&a);
        return cli_flush_stdout();
}

int cmd_anomalies(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"since", required_argument, NULL, OPT_SINCE},
                {"kind", required_argument, NULL, OPT_KIND},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        int64_t since_ms = MSEC_PER_DAY;
        const char *kind = NULL;
        int opt;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_SINCE:
                        if (cli_parse_duration("--since", optarg, 1, &since_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case OPT_KIND:
                        if (strcmp(optarg, "batch") != 0 && strcmp(optarg, "model") != 0 &&
                            strcmp(optarg, "drift") != 0)
                                return cli_usage_error(ctx, "anomalies ",
                                                       "--kind must be batch, model or drift, "
                                                       "not '%s'",
                                                       optarg);
                        kind = optarg;
                        break;
                default:
                        return cli_usage_error(ctx, "anomalies ", "invalid option");
                }
        }
        if (optind < argc && strcmp(argv[optind], "show") == 0) {
                if (optind + 2 != argc)
                        return cli_usage_error(ctx, "anomalies ", "'show' takes one anomaly id");
                return cmd_show(ctx, argv[optind + 1]);
        }
        if (optind < argc)
                return cli_usage_error(ctx, "anomalies ", "unexpected argument '%s'", argv[optind]);

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        AnomalyRow *rows = NULL;
        size_t n = 0;
        if (detectdb_anomaly_list(s, time_now_ms() - since_ms, INT64_MAX, kind, &rows, &n) < 0) {
                log_error("cannot read the anomalies from '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }

        if (ctx->format == OUTPUT_JSON) {
                json_t *a = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(a, cli_anomaly_to_json(&rows[i]));
                (void) json_print(a, stdout);
                json_decref(a);
                detectdb_anomaly_rows_free(rows, n);
                return cli_flush_stdout();
        }
        if (n == 0 && ctx->format == OUTPUT_HUMAN) {
                char d[32];
                printf("No anomaly%s in the last %s (in %s): 'aiops detect' looks for them, and "
                       "the monitor with its host model.\n",
                       kind ? " of this kind" : "", time_format_duration(since_ms, d, sizeof(d)),
                       db_path);
                detectdb_anomaly_rows_free(rows, n);
                return EXIT_OK;
        }

        static const char *const headers[] = {"ID",      "START", "END",     "DURATION", "KIND",
                                              "SUBJECT", "SCORE", "METHODS", "SUMMARY",  NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        table_set_flexible(t, 8);
        for (size_t i = 0; i < n; i++) {
                char dur[32];
                table_add_i64(t, rows[i].id);
                table_add_time(t, rows[i].start_ms);
                table_add_time(t, rows[i].end_ms);
                table_add_str(t, time_format_duration(rows[i].end_ms - rows[i].start_ms, dur,
                                                      sizeof(dur)));
                table_add_str(t, rows[i].kind);
                table_add_str(t, rows[i].subject);
                table_add_double(t, rows[i].score, 2);
                table_add_str(t, rows[i].methods);
                table_add_str(t, rows[i].summary);
        }
        detectdb_anomaly_rows_free(rows, n);
        int r = table_print(t, stdout, ctx->format, NULL);
        if (r < 0) {
                log_error_errno(r, "cannot write the output: %m");
                return EXIT_UNKNOWN;
        }
        return cli_flush_stdout();
}

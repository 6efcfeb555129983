/* `aiops detect drift [--metric M] [--label K=V]... [--reference 7d] [--current 1h]`: has
 * the distribution of a series' recent values moved away from its past? Each series' samples
 * of the last `current` are compared with those of the `reference` before them by the three
 * tests of detect/drift.h (KS, PSI, JS) with the thresholds of detect.drift.*. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/table.h"
#include "core/time-util.h"
#include "detect/drift.h"
#include "detect/features.h"
#include "detect/stats.h"
#include "store/store.h"

#define MAX_LABELS       16
#define MIN_CURRENT      5  /* samples a current window needs to be tested */
#define MIN_REFERENCE    20 /* and a reference */
#define DEFAULT_REF_MS   (7 * MSEC_PER_DAY)
#define DEFAULT_CUR_MS   MSEC_PER_HOUR
#define HUMAN_ROWS_LIMIT 50

enum {
        OPT_METRIC = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_LABEL,
        OPT_REFERENCE,
        OPT_CURRENT,
        OPT_ALL,
};

static void help(void)
{
        printf("Usage: aiops detect drift [--metric NAME] [--label KEY=VALUE]...\n"
               "                          [--reference 7d] [--current 1h] [--all] [--json|--csv]\n"
               "\n"
               "Compares each series' samples of the last --current with those of the\n"
               "--reference before it: Kolmogorov-Smirnov (statistic D and p-value), Population\n"
               "Stability Index and Jensen-Shannon divergence over 10 quantile bins of the\n"
               "reference. A series drifts when p < detect.drift.ks_pvalue (0.05), PSI >\n"
               "detect.drift.psi (0.2) or JS > detect.drift.js (0.1). Without --metric every\n"
               "series batch detection uses (host, services, log counts, http) is tested.\n\n"
               "      --metric NAME     only series of this metric\n"
               "  -l, --label K=V       only series with label K equal to V (repeatable)\n"
               "      --reference D     the past to compare with (default 7d)\n"
               "      --current D       the recent window (default 1h)\n"
               "      --all             list every series tested, not only the drifting ones\n\n"
               "Series with fewer than %d samples now or %d in the reference are skipped.\n"
               "Exit status: 0 no drift, 1 drift in at least one series, 3 error.\n",
               MIN_CURRENT, MIN_REFERENCE);
}

typedef struct DriftRow {
        char *series;
        size_t n_ref, n_cur;
        double ref_median, cur_median;
        DriftResult result;
} DriftRow;

/* Drifting rows first, by KS statistic, then by name. */
static int cmp_row(const void *a, const void *b)
{
        const DriftRow *x = a, *y = b;
        if (x->result.drift != y->result.drift)
                return x->result.drift ? -1 : 1;
        if (x->result.ks_statistic != y->result.ks_statistic)
                return x->result.ks_statistic > y->result.ks_statistic ? -1 : 1;
        return strcmp(x->series, y->series);
}

static double *values(const StoreSample *s, size_t n)
{
        double *v = xnew(double, n ? n : 1);
        for (size_t i = 0; i < n; i++)
                v[i] = s[i].value;
        return v;
}

/* Tests one series; 1 and *ret when it had enough samples, 0 when skipped. */
static int test_series(Store *s, const StoreSeries *se, int64_t ref_from, int64_t cur_from,
                       int64_t now, const DriftOptions *o, DriftRow *ret)
{
        _cleanup_free_ StoreSample *ref = NULL, *cur = NULL;
        size_t n_ref = 0, n_cur = 0;

        int r = store_query(s, se->id, ref_from, cur_from - 1, &ref, &n_ref);
        if (r < 0)
                return r;
        r = store_query(s, se->id, cur_from, now, &cur, &n_cur);
        if (r < 0)
                return r;
        if (n_ref < MIN_REFERENCE || n_cur < MIN_CURRENT)
                return 0;
        _cleanup_free_ double *vr = values(ref, n_ref), *vc = values(cur, n_cur);
        _cleanup_free_ char *msg = NULL;
        DriftResult res;
        r = drift_test(vr, n_ref, vc, n_cur, o, &res, &msg);
        if (r < 0) {
                log_debug("drift test of '%s' skipped: %s", se->canonical, msg ? msg : "");
                return 0;
        }
        *ret = (DriftRow){
                .series = xstrdup(se->canonical),
                .n_ref = n_ref,
                .n_cur = n_cur,
                .ref_median = stats_median_sort(vr, n_ref),
                .cur_median = stats_median_sort(vc, n_cur),
                .result = res,
        };
        return 1;
}

/* Decimals for a median in the human view: whole numbers for large ones. */
static int decimals_for(double v)
{
        v = fabs(v);
        return v >= 1000 ? 0 : v >= 10 ? 2 : 3;
}

static const char *tests_text(const DriftResult *r, char *buf, size_t size)
{
        (void) snprintf(buf, size, "%s%s%s%s%s", r->ks_drift ? "ks" : "",
                        r->ks_drift && (r->psi_drift || r->js_drift) ? "," : "",
                        r->psi_drift ? "psi" : "", r->psi_drift && r->js_drift ? "," : "",
                        r->js_drift ? "js" : "");
        return buf;
}

static int print_rows(CliContext *ctx, const DriftRow *rows, size_t n, size_t n_drift,
                      size_t n_skipped, bool all, int64_t ref_ms, int64_t cur_ms)
{
        char ref[32], cur[32], tests[16];

        if (ctx->format == OUTPUT_JSON) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++) {
                        const DriftResult *d = &rows[i].result;
                        (void) json_array_append_new(
                                arr, json_pack("{s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:b,s:f,s:f,s:b,s:"
                                               "b,s:b,s:b}",
                                               "series", rows[i].series, "reference_samples",
                                               (json_int_t) rows[i].n_ref, "current_samples",
                                               (json_int_t) rows[i].n_cur, "reference_median",
                                               rows[i].ref_median, "current_median",
                                               rows[i].cur_median, "ks_statistic", d->ks_statistic,
                                               "ks_pvalue", d->ks_pvalue, "ks_exact", d->ks_exact,
                                               "psi", d->psi, "js", d->js, "ks_drift", d->ks_drift,
                                               "psi_drift", d->psi_drift, "js_drift", d->js_drift,
                                               "drift", d->drift));
                }
                json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:o}", "reference_ms", (json_int_t) ref_ms,
                                      "current_ms", (json_int_t) cur_ms, "tested", (json_int_t) n,
                                      "skipped", (json_int_t) n_skipped, "series", arr);
                int r = json_print(o, stdout);
                json_decref(o);
                return r < 0 ? -EIO : 0;
        }

        static const char *const headers[] = {"SERIES", "REF MEDIAN", "NOW MEDIAN",
                                              "KS D",   "P-VALUE",    "PSI",
                                              "JS",     "DRIFT",      NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        table_set_flexible(t, 0);
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
                if (!all && !rows[i].result.drift)
                        continue;
                if (ctx->format != OUTPUT_CSV && !all && shown == HUMAN_ROWS_LIMIT)
                        break;
                const DriftResult *d = &rows[i].result;
                table_add_str(t, rows[i].series);
                table_add_double(t, rows[i].ref_median, decimals_for(rows[i].ref_median));
                table_add_double(t, rows[i].cur_median, decimals_for(rows[i].cur_median));
                table_add_double(t, d->ks_statistic, 3);
                if (ctx->format == OUTPUT_HUMAN && d->ks_pvalue < 1e-4)
                        table_add_str(t, "<0.0001");
                else
                        table_add_double(t, d->ks_pvalue, 4);
                table_add_double(t, d->psi, 3);
                table_add_double(t, d->js, 3);
                table_add_str(t, d->drift ? tests_text(d, tests, sizeof(tests)) : "no");
                shown++;
        }
        if (ctx->format == OUTPUT_HUMAN)
                printf("Last %s against the %s before it: %zu series tested, %zu drifting, %zu "
                       "skipped (too few samples).\n",
                       time_format_duration(cur_ms, cur, sizeof(cur)),
                       time_format_duration(ref_ms, ref, sizeof(ref)), n, n_drift, n_skipped);
        if (ctx->format == OUTPUT_HUMAN && shown == 0)
                return 0;
        if (ctx->format == OUTPUT_HUMAN)
                putchar('\n');
        int r = table_print(t, stdout, ctx->format, NULL);
        if (r >= 0 && ctx->format == OUTPUT_HUMAN && shown < n_drift)
                printf("(%zu more drifting series: --json or --csv lists them all)\n",
                       n_drift - shown);
        return r;
}

/* The --label matchers: "k", "v", ..., NULL. */
typedef struct Matchers {
        char *v[2 * MAX_LABELS + 1];
        size_t n; /* labels */
} Matchers;

static void matchers_done(Matchers *m)
{
        for (size_t i = 0; i < 2 * m->n; i++)
                free(m->v[i]);
}

static int run(CliContext *ctx, const char *metric, const Matchers *m, int64_t ref_ms,
               int64_t cur_ms, bool all)
{
        DriftOptions dopt;
        drift_options_init(&dopt);
        dopt.ks_alpha = ctx->config->detect.drift_ks_pvalue;
        dopt.psi_threshold = ctx->config->detect.drift_psi;
        dopt.js_threshold = ctx->config->detect.drift_js;

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;

        StoreSeries *series = NULL;
        size_t n_series = 0;
        int r = store_series_match(s, metric, m->n ? (const char *const *) m->v : NULL, &series,
                                   &n_series);
        if (r < 0) {
                log_error("cannot list the series in '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        int64_t now = time_now_ms();
        int64_t cur_from = now - cur_ms, ref_from = cur_from - ref_ms;
        DriftRow *rows = xnew(DriftRow, n_series ? n_series : 1);
        size_t n = 0, n_drift = 0, n_skipped = 0, n_candidates = 0;
        for (size_t i = 0; i < n_series && r >= 0; i++) {
                FeatureAgg agg;
                if (!metric && !features_metric_wanted(series[i].name, &agg))
                        continue;
                n_candidates++;
                r = test_series(s, &series[i], ref_from, cur_from, now, &dopt, &rows[n]);
                if (r > 0)
                        n_drift += rows[n++].result.drift;
                else if (r == 0)
                        n_skipped++;
        }
        store_series_array_free(series, n_series);
        int ret = EXIT_UNKNOWN;
        if (r < 0) {
                log_error("cannot read samples from '%s': %s", db_path, store_last_error(s));
        } else if (n_candidates == 0) {
                if (metric)
                        log_error("no series of '%s'%s in '%s' (aiops query --list shows the "
                                  "stored metrics)",
                                  metric, m->n ? " with these labels" : "", db_path);
                else if (n_series > 0)
                        log_error("none of the %zu series in '%s' is one batch detection uses "
                                  "(host, services, log counts, http): name one with --metric",
                                  n_series, db_path);
                else
                        log_error("no series to test in '%s': nothing was collected there yet "
                                  "(run aiops collect or aiops monitor)",
                                  db_path);
        } else {
                qsort(rows, n, sizeof(*rows), cmp_row);
                r = print_rows(ctx, rows, n, n_drift, n_skipped, all, ref_ms, cur_ms);
                if (r < 0)
                        log_error_errno(r, "cannot write the output: %m");
                else
                        ret = cli_flush_stdout();
                if (ret == EXIT_OK && n_drift > 0)
                        ret = EXIT_WARNING;
        }
        for (size_t i = 0; i < n; i++)
                free(rows[i].series);
        free(rows);
        return ret;
}

int cmd_detect_drift(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"metric", required_argument, NULL, OPT_METRIC},
                {"label", required_argument, NULL, 'l'},
                {"reference", required_argument, NULL, OPT_REFERENCE},
                {"current", required_argument, NULL, OPT_CURRENT},
                {"all", no_argument, NULL, OPT_ALL},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *metric = NULL;
        _cleanup_(matchers_done) Matchers m = {};
        int64_t ref_ms = DEFAULT_REF_MS, cur_ms = DEFAULT_CUR_MS;
        bool all = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "l:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_METRIC:
                        metric = optarg;
                        break;
                case 'l': {
                        const char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg)
                                return cli_usage_error(ctx, "detect drift ",
                                                       "invalid --label '%s' (expected KEY=VALUE)",
                                                       optarg);
                        if (m.n == MAX_LABELS)
                                return cli_usage_error(ctx, "detect drift ",
                                                       "at most %d --label options", MAX_LABELS);
                        m.v[2 * m.n] = xstrndup(optarg, (size_t) (eq - optarg));
                        m.v[2 * m.n + 1] = xstrdup(eq + 1);
                        m.n++;
                        break;
                }
                case OPT_REFERENCE:
                        if (cli_parse_duration("--reference", optarg, MSEC_PER_MIN, &ref_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case OPT_CURRENT:
                        if (cli_parse_duration("--current", optarg, MSEC_PER_MIN, &cur_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case OPT_ALL:
                        all = true;
                        break;
                default:
                        return cli_usage_error(ctx, "detect drift ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "detect drift ", "unexpected argument '%s'",
                                       argv[optind]);
        if (cli_load_config(ctx) < 0)
                return EXIT_UNKNOWN;
        return run(ctx, metric, &m, ref_ms, cur_ms, all);
}

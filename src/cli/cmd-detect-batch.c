/* `aiops detect` without a subcommand: batch anomaly detection over the store's last hours
 * (detect/batch.h), a report of the anomalies found, and the host model trained. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
#include "core/time-util.h"
#include "detect/batch.h"
#include "store/detectdb.h"

enum {
        OPT_HOURS_BACK = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_WINDOW,
        OPT_CONTAMINATION,
        OPT_METHODS,
        OPT_MIN_DEVIATION,
        OPT_SEED,
        OPT_DRY_RUN,
};

static void help(void)
{
        printf("Usage: aiops detect [OPTIONS]\n"
               "       aiops detect outliers|stream|drift ...\n\n"
               "Without a command: batch anomaly detection over the stored metrics and log\n"
               "counts of the last hours. The period is cut into windows (one row of host,\n"
               "service, log and http features each), an ensemble of outlier detectors scores\n"
               "every window, and the windows that score in the top share AND whose most\n"
               "deviating feature really moved are grouped into anomalies. Each anomaly is\n"
               "stored (see 'aiops anomalies') with its explanation: the features that deviate\n"
               "most, value against the baseline mean ± sd. The host model the monitor scores\n"
               "new windows with is trained on the normal windows and stored too.\n\n"
               "      --hours-back H       hours to analyse (default: detect.lookback, 24);\n"
               "                           also a duration such as 90m or 2d\n"
               "      --window D           window width (default: detect.window, 1m)\n"
               "      --contamination C    share of windows in the top cut, in (0, 0.5]\n"
               "                           (default: detect.contamination, 0.1)\n"
               "      --methods LIST       comma-separated: iforest, lof, knn, kmeans,\n"
               "                           mahalanobis (default: detect.methods)\n"
               "      --min-deviation Z    |z| a window's top feature needs, at least\n"
               "                           (default: detect.min_deviation, 3; raised for\n"
               "                           many windows x features, see docs/detect.md)\n"
               "      --seed N             random seed (default 0): same data, same result\n"
               "      --dry-run            store nothing (no anomaly, no model)\n"
               "      --json               the report as one JSON object\n\n"
               "Commands: outliers (a CSV's rows), stream (a series online), drift (a metric's\n"
               "recent values against its past); 'aiops detect COMMAND --help'.\n\n"
               "Exit status: 0 no anomaly, 1 anomalies found, 3 error (also: too little data,\n"
               "fewer than 2 windows with host samples).\n");
}

static void progress(const char *step, void *userdata)
{
        (void) userdata;
        fprintf(stderr, "\r\033[Kdetect: %s…", step);
        fflush(stderr);
}

static int parse_methods(const char *arg, BatchOptions *o)
{
        _cleanup_free_ char *copy = xstrdup(arg);
        char *p = copy;

        o->n_methods = 0;
        for (;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = '\0';
                OutlierMethod m = outlier_method_from_string(p);
                if (m < 0 || m == OUTLIER_ENSEMBLE) {
                        log_error("unknown method '%s' for --methods (expected iforest, lof, knn, "
                                  "kmeans or mahalanobis)",
                                  p);
                        return -EINVAL;
                }
                bool dup = false;
                for (size_t i = 0; i < o->n_methods; i++)
                        dup = dup || o->methods[i] == m;
                if (!dup) {
                        if (o->n_methods == BATCH_MAX_METHODS)
                                return -E2BIG;
                        o->methods[o->n_methods++] = m;
                }
                if (!comma)
                        break;
                p = comma + 1;
        }
        return 0;
}

/* A number of hours ("24", "1.5") or a duration ("90m", "2d"). */
static int parse_hours(const char *arg, int64_t *ret)
{
        double h;

        if (safe_atod(arg, &h) == 0) {
                if (!(h > 0) || h > 24.0 * 3650)
                        goto fail;
                *ret = (int64_t) (h * (double) MSEC_PER_HOUR);
                return 0;
        }
        if (time_parse_duration_ms(arg, ret) == 0 && *ret > 0)
                return 0;
fail:
        log_error("invalid --hours-back '%s' (expected a number of hours, e.g. 24, or a "
                  "duration, e.g. 90m)",
                  arg);
        return -EINVAL;
}

static void methods_text(const BatchResult *res, char *buf, size_t n)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < res->n_methods && len < n; i++) {
                int k = snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
                                 outlier_method_to_string(res->methods[i]));
                if (k < 0)
                        break;
                len += (size_t) k;
        }
}

static int print_json(const BatchOptions *o, const BatchResult *res)
{
        const FeatureSet *f = res->features;
        json_t *methods = json_array(), *anomalies = json_array();

        for (size_t i = 0; i < res->n_methods; i++)
                json_array_append_new(methods,
                                      json_string(outlier_method_to_string(res->methods[i])));
        for (size_t i = 0; i < res->n_anomalies; i++)
                json_array_append_new(anomalies, cli_anomaly_to_json(&res->anomalies[i]));
        json_t *j = json_pack(
                "{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:f, s:f, s:f, s:I, s:o, "
                "s:I, s:b, s:b}",
                "from", json_time_rfc3339(f->from_ms), "to", json_time_rfc3339(f->to_ms),
                "window_ms", (json_int_t) f->window_ms, "windows", (json_int_t) f->n_windows,
                "features", (json_int_t) f->n_features, "dropped_windows",
                (json_int_t) f->n_dropped_windows, "dropped_features",
                (json_int_t) f->n_dropped_features, "methods", methods, "contamination",
                o->contamination, "min_deviation", o->min_deviation, "guard_z", res->guard_z,
                "seed", (json_int_t) o->seed, "anomalies", anomalies, "new_anomalies",
                (json_int_t) res->n_new, "stored", o->store, "model_stored", res->model_stored);
        int r = json_print(j, stdout);
        json_decref(j);
        return r;
}

static void print_human(const BatchOptions *o, const BatchResult *res)
{
        const FeatureSet *f = res->features;
        char a[32], b[32], w[32], span[32], methods[128];

        methods_text(res, methods, sizeof(methods));
        printf("Analysed %s to %s (%s): %zu windows of %s × %zu features",
               time_format_local(f->from_ms, a, sizeof(a)),
               time_format_local(f->to_ms, b, sizeof(b)),
               time_format_duration(f->to_ms - f->from_ms, span, sizeof(span)), f->n_windows,
               time_format_duration(f->window_ms, w, sizeof(w)), f->n_features);
        if (f->n_dropped_windows > 0)
                printf("; %zu windows dropped (no host data: the agent was not running)",
                       f->n_dropped_windows);
        if (f->n_dropped_features > 0)
                printf("; %zu series left out (constant or too sparse)", f->n_dropped_features);
        printf(".\nMethods %s, contamination %g; a window's top feature needs |z| ≥ %.1f.\n\n",
               methods, o->contamination, res->guard_z);

        if (res->n_anomalies == 0)
                printf("No anomaly: no window both scored in the top %g and moved a feature by "
                       "|z| ≥ %.1f.\n",
                       o->contamination, res->guard_z);
        else
                printf("%zu anomal%s (%zu new%s):\n\n", res->n_anomalies,
                       res->n_anomalies == 1 ? "y" : "ies", res->n_new,
                       o->store ? "" : ", --dry-run: not stored");
        for (size_t i = 0; i < res->n_anomalies; i++)
                cli_anomaly_print(stdout, &res->anomalies[i], false);

        if (res->n_anomalies == 0)
                putchar('\n'); /* each anomaly ends with a blank line */
        if (!o->store)
                printf("Host model: not trained (--dry-run).\n");
        else if (res->model_stored) {
                size_t normal = 0;
                for (size_t i = 0; i < f->n_windows; i++)
                        normal += !res->anomalous[i];
                printf("Host model: stored (Isolation Forest on %zu normal windows × %zu "
                       "features), for the monitor.\n",
                       normal, f->n_features);
        } else
                printf("Host model: not stored.\n");
}

int cmd_detect_batch(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"hours-back", required_argument, NULL, OPT_HOURS_BACK},
                {"window", required_argument, NULL, OPT_WINDOW},
                {"contamination", required_argument, NULL, OPT_CONTAMINATION},
                {"methods", required_argument, NULL, OPT_METHODS},
                {"min-deviation", required_argument, NULL, OPT_MIN_DEVIATION},
                {"seed", required_argument, NULL, OPT_SEED},
                {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *hours = NULL, *window = NULL, *contamination = NULL, *methods = NULL;
        const char *min_dev = NULL, *seed = NULL;
        bool dry_run = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_HOURS_BACK:
                        hours = optarg;
                        break;
                case OPT_WINDOW:
                        window = optarg;
                        break;
                case OPT_CONTAMINATION:
                        contamination = optarg;
                        break;
                case OPT_METHODS:
                        methods = optarg;
                        break;
                case OPT_MIN_DEVIATION:
                        min_dev = optarg;
                        break;
                case OPT_SEED:
                        seed = optarg;
                        break;
                case OPT_DRY_RUN:
                        dry_run = true;
                        break;
                default:
                        return cli_usage_error(ctx, "detect ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "detect ", "unknown detect command '%s'", argv[optind]);
        if (ctx->format == OUTPUT_CSV)
                return cli_usage_error(ctx, "detect ", "--csv is not supported here");
        if (cli_load_config(ctx) < 0)
                return EXIT_UNKNOWN;

        /* The configuration's detect section, then the options over it. */
        BatchOptions o;
        batch_options_from_config(&ctx->config->detect, time_now_ms(), &o);
        o.store = !dry_run;
        if (hours && parse_hours(hours, &o.lookback_ms) < 0)
                return EXIT_UNKNOWN;
        if (window && cli_parse_duration("--window", window, MSEC_PER_SEC, &o.window_ms) < 0)
                return EXIT_UNKNOWN;
        if (contamination && (safe_atod(contamination, &o.contamination) < 0 ||
                              !(o.contamination > 0 && o.contamination <= 0.5)))
                return cli_usage_error(ctx, "detect ",
                                       "--contamination must be in (0, 0.5], not '%s'",
                                       contamination);
        if (min_dev && (safe_atod(min_dev, &o.min_deviation) < 0 || !(o.min_deviation >= 0) ||
                        !isfinite(o.min_deviation)))
                return cli_usage_error(ctx, "detect ",
                                       "--min-deviation must be a number >= 0, not '%s'", min_dev);
        if (seed && safe_atou64(seed, &o.seed) < 0)
                return cli_usage_error(ctx, "detect ", "invalid --seed '%s'", seed);
        if (methods && parse_methods(methods, &o) < 0)
                return EXIT_UNKNOWN;
        if (o.lookback_ms < 2 * o.window_ms) {
                char a[32], b[32];
                return cli_usage_error(
                        ctx, "detect ",
                        "the period analysed (%s) must hold at least 2 windows of %s",
                        time_format_duration(o.lookback_ms, a, sizeof(a)),
                        time_format_duration(o.window_ms, b, sizeof(b)));
        }

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *db_path = NULL, *err = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;

        bool tty = isatty(STDERR_FILENO);
        if (tty)
                o.progress = progress;
        _cleanup_(batch_result_freep) BatchResult *res = NULL;
        int r = batch_run(s, &o, &res, &err);
        if (tty)
                fputs("\r\033[K", stderr);
        if (r == -ENODATA) {
                log_error("%s", err ? err : "too little data");
                return EXIT_UNKNOWN;
        }
        if (r < 0) {
                if (err)
                        log_error("batch detection in '%s' failed: %s", db_path, err);
                else
                        log_error_errno(r, "batch detection in '%s' failed: %m", db_path);
                return EXIT_UNKNOWN;
        }
        if (err) /* the model could not be trained: too few normal windows */
                log_warning("%s", err);

        if (ctx->format == OUTPUT_JSON)
                (void) print_json(&o, res); /* a write error is caught by the flush */
        else
                print_human(&o, res);
        r = cli_flush_stdout();
        if (r != EXIT_OK)
                return r;
        return res->n_anomalies > 0 ? EXIT_WARNING : EXIT_OK;
}

/* `aiops detect outliers`: scores the rows of a user's numeric CSV with one of the batch
 * methods of detect/outlier.h and prints one score (or 0/1 label) per row, in input order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/parse.h"
#include "detect/csv.h"
#include "detect/outlier.h"

enum {
        OPT_METHOD = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_INPUT,
        OPT_SEED,
        OPT_CONTAMINATION,
        OPT_LABELS,
        OPT_K,
        OPT_N_ESTIMATORS,
        OPT_MAX_SAMPLES,
        OPT_MAX_FEATURES,
        OPT_IMPUTE,
};

/* Inputs of at least this many cells get a progress line on a terminal. */
#define PROGRESS_CELLS 2000000u

static void help(void)
{
        printf("Usage: aiops detect outliers --input FILE [--method METHOD] [OPTIONS]\n\n"
               "Scores every row of a numeric CSV file (a header row is optional; '-' reads\n"
               "standard input) and prints one anomaly score per row, higher = more anomalous,\n"
               "or with --labels 1 for the rows taken as outliers and 0 for the others.\n\n"
               "      --method M        iforest (default), lof, knn, kmeans, mahalanobis,\n"
               "                        ensemble\n"
               "      --input FILE      the CSV (every column is a feature)\n"
               "      --seed N          random seed (default 0): same seed, same scores\n"
               "      --contamination C expected share of outliers, in (0, 0.5] (default 0.1):\n"
               "                        the labels mark the ceil(C * n) highest scores\n"
               "      --labels          print 0/1 labels instead of scores\n"
               "      --k N             neighbours for lof (20) and knn (5)\n"
               "      --n-estimators N  iforest trees (100)\n"
               "      --max-samples N   iforest sub-sample per tree (256)\n"
               "      --max-features F  iforest share of features per tree, in (0, 1] (1)\n"
               "      --impute HOW      empty or NaN cells: none (an error, default), mean,\n"
               "                        median, zero\n"
               "      --json            {\"method\", \"scores\", \"labels\"}\n");
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int parse_impute(const char *s, CsvImpute *ret)
{
        static const char *const names[] = {"none", "mean", "median", "zero"};

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i]) == 0) {
                        *ret = (CsvImpute) i;
                        return 0;
                }
        return -EINVAL;
}

/* "WHAT ARG ..." on the terminal's last line, or (what = NULL) that line cleared. */
static void progress(bool on, const char *what, const char *arg)
{
        if (!on)
                return;
        fprintf(stderr, "\r\033[K");
        if (what)
                fprintf(stderr, "%s %s ...", what, arg);
        fflush(stderr);
}

static int print_results(CliContext *ctx, OutlierMethod m, const double *scores, const int *labels,
                         size_t n, bool want_labels)
{
        if (ctx->format == OUTPUT_JSON) {
                printf("{\"method\":\"%s\",\"scores\":[", outlier_method_to_string(m));
                for (size_t i = 0; i < n; i++)
                        printf(i ? ",%.17g" : "%.17g", scores[i]);
                printf("],\"labels\":[");
                for (size_t i = 0; i < n; i++)
                        printf(i ? ",%d" : "%d", labels[i]);
                printf("]}\n");
        } else if (want_labels) {
                for (size_t i = 0; i < n; i++)
                        printf("%d\n", labels[i]);
        } else {
                for (size_t i = 0; i < n; i++)
                        printf("%.17g\n", scores[i]);
        }
        return cli_flush_stdout();
}

int cmd_detect_outliers(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"method", required_argument, NULL, OPT_METHOD},
                {"input", required_argument, NULL, OPT_INPUT},
                {"seed", required_argument, NULL, OPT_SEED},
                {"contamination", required_argument, NULL, OPT_CONTAMINATION},
                {"labels", no_argument, NULL, OPT_LABELS},
                {"k", required_argument, NULL, OPT_K},
                {"n-estimators", required_argument, NULL, OPT_N_ESTIMATORS},
                {"max-samples", required_argument, NULL, OPT_MAX_SAMPLES},
                {"max-features", required_argument, NULL, OPT_MAX_FEATURES},
                {"impute", required_argument, NULL, OPT_IMPUTE},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        static const char cmd[] = "detect outliers ";
        OutlierMethod method = OUTLIER_IFOREST;
        OutlierOptions o;
        CsvImpute impute = CSV_IMPUTE_NONE;
        const char *input = NULL;
        bool want_labels = false;
        uint64_t u64;
        int opt;

        outlier_options_init(&o);
        optind = 0;
        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                int r = cli_common_option(ctx, opt, optarg);
                if (r < 0)
                        return EXIT_UNKNOWN;
                if (r > 0)
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_METHOD:
                        method = outlier_method_from_string(optarg);
                        if (method < 0)
                                return cli_usage_error(ctx, cmd, "unknown method '%s'", optarg);
                        break;
                case OPT_INPUT:
                        input = optarg;
                        break;
                case OPT_SEED:
                        if (safe_atou64(optarg, &o.seed) < 0)
                                return cli_usage_error(ctx, cmd, "invalid --seed '%s'", optarg);
                        break;
                case OPT_CONTAMINATION:
                        if (safe_atod(optarg, &o.contamination) < 0 || !(o.contamination > 0) ||
                            o.contamination > 0.5)
                                return cli_usage_error(
                                        ctx, cmd, "--contamination must be in (0, 0.5], not '%s'",
                                        optarg);
                        break;
                case OPT_LABELS:
                        want_labels = true;
                        break;
                case OPT_K:
                        if (safe_atou(optarg, &o.k) < 0 || o.k == 0)
                                return cli_usage_error(ctx, cmd, "invalid --k '%s'", optarg);
                        break;
                case OPT_N_ESTIMATORS:
                        if (safe_atou(optarg, &o.n_estimators) < 0 || o.n_estimators == 0)
                                return cli_usage_error(ctx, cmd, "invalid --n-estimators '%s'",
                                                       optarg);
                        break;
                case OPT_MAX_SAMPLES:
                        if (safe_atou64(optarg, &u64) < 0 || u64 == 0 || u64 > SIZE_MAX)
                                return cli_usage_error(ctx, cmd, "invalid --max-samples '%s'",
                                                       optarg);
                        o.max_samples = (size_t) u64;
                        break;
                case OPT_MAX_FEATURES:
                        if (safe_atod(optarg, &o.max_features) < 0 || !(o.max_features > 0) ||
                            o.max_features > 1)
                                return cli_usage_error(ctx, cmd,
                                                       "--max-features must be in (0, 1], not '%s'",
                                                       optarg);
                        break;
                case OPT_IMPUTE:
                        if (parse_impute(optarg, &impute) < 0)
                                return cli_usage_error(ctx, cmd,
                                                       "--impute must be none, mean, median or "
                                                       "zero, not '%s'",
                                                       optarg);
                        break;
                default:
                        return cli_usage_error(ctx, cmd, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, cmd, "unexpected argument '%s'", argv[optind]);
        if (!input)
                return cli_usage_error(ctx, cmd, "--input FILE is required ('-' for stdin)");
        if (ctx->format == OUTPUT_CSV)
                return cli_usage_error(ctx, cmd, "--csv is not supported here");

        bool tty = isatty(STDERR_FILENO);
        double t0 = now_s();
        progress(tty, "reading", input);

        _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r = csv_read_numbers_path(input, impute, &c, &err);
        progress(tty, NULL, NULL);
        if (r < 0) {
                log_error("%s", err ? err : "cannot read the input");
                return EXIT_UNKNOWN;
        }
        size_t n = c->n_rows;
        double t1 = now_s();
        tty = tty && n * c->n_cols >= PROGRESS_CELLS;
        Matrix m = {.n = n, .d = c->n_cols, .x = c->x};
        progress(tty, "scoring with", outlier_method_to_string(method));

        _cleanup_free_ double *scores = xnew(double, n);
        _cleanup_free_ int *labels = xnew(int, n);
        r = outlier_score(method, &m, &o, scores, &err);
        progress(tty, NULL, NULL);
        if (ctx->verbosity > 0) /* the figures bench/iforest-speed.sh reads */
                fprintf(stderr, "aiops: read %zu x %zu in %.3f s, %s fit+score %.3f s\n", n, m.d,
                        t1 - t0, outlier_method_to_string(method), now_s() - t1);
        if (r < 0) {
                log_error("%s: %s", outlier_method_to_string(method),
                          err ? err : "cannot score the input");
                return EXIT_UNKNOWN;
        }
        outlier_labels(scores, n, o.contamination, labels);
        return print_results(ctx, method, scores, labels, n, want_labels);
}

/* `aiops detect stream`: scores a user's timestamp,value series online with one of the
 * streaming detectors of detect/stream.h and prints one score in [0,1] per row, in input
 * order; a row's score uses only the rows before it and itself. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/parse.h"
#include "detect/csv.h"
#include "detect/stream.h"

enum {
        OPT_METHOD = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_INPUT,
        OPT_THRESHOLD,
        OPT_LABELS,
        OPT_WINDOW,
};

static void help(void)
{
        printf("Usage: aiops detect stream --input FILE [--method METHOD] [OPTIONS]\n\n"
               "Scores a time series of 'timestamp,value' rows (a header row is optional; '-'\n"
               "reads standard input) online, as the agent does for every new sample, and\n"
               "prints one anomaly score in [0,1] per row. Scores mean the same on every\n"
               "series: 0.9 is a deviation of 4 robust standard deviations from what the\n"
               "method expected. Timestamps: epoch seconds, epoch milliseconds (13+ digits)\n"
               "or 'YYYY-MM-DD HH:MM:SS' (also with 'T'), in UTC.\n\n"
               "      --method M        robust (default: rolling median/MAD), ewma, seasonal\n"
               "                        (hour-of-week baseline), kalman (level + trend),\n"
               "                        ar (AR(4) on differences), ensemble\n"
               "      --input FILE      the CSV\n"
               "      --threshold X     score that makes an anomaly, in [0, 1] (0.9)\n"
               "      --labels          print 0/1 (score >= threshold) instead of scores\n"
               "      --window N        robust window in samples, 3..128 (60)\n"
               "      --json            {\"method\", \"threshold\", \"scores\", \"labels\"}\n");
}

/* "YYYY-MM-DD HH:MM[:SS]" (or 'T'), UTC. */
static int parse_datetime_utc(const char *s, int64_t *ret)
{
        static const int widths[] = {4, 2, 2, 2, 2, 2};
        static const char seps[] = {'-', '-', ' ', ':', ':', 0};
        int v[6] = {};
        const char *p = s;
        int i;

        for (i = 0; i < 6; i++) {
                for (int j = 0; j < widths[i]; j++, p++) {
                        if (!isdigit((unsigned char) *p))
                                return -EINVAL;
                        v[i] = v[i] * 10 + (*p - '0');
                }
                if (i == 5 || *p == '\0')
                        break;
                if (*p != seps[i] && !(i == 2 && *p == 'T'))
                        return -EINVAL;
                p++;
        }
        if (*p != '\0' || i < 4)
                return -EINVAL;
        if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
                return -EINVAL;
        struct tm tm = {.tm_year = v[0] - 1900,
                        .tm_mon = v[1] - 1,
                        .tm_mday = v[2],
                        .tm_hour = v[3],
                        .tm_min = v[4],
                        .tm_sec = v[5]};
        time_t t = timegm(&tm);
        if (t == (time_t) -1 && !(v[0] == 1969))
                return -EINVAL;
        *ret = (int64_t) t * 1000;
        return 0;
}

/* Epoch seconds (maybe with a fraction), epoch ms (13+ integer digits), or a UTC date-time. */
static int parse_timestamp(const char *s, int64_t *ret)
{
        const char *p = s;
        size_t digits = 0;
        double d;

        while (isdigit((unsigned char) p[digits]))
                digits++;
        if (digits > 0 && digits <= 16 && (p[digits] == '\0' || p[digits] == '.')) {
                if (safe_atod(s, &d) < 0)
                        return -EINVAL;
                *ret = digits >= 13 ? (int64_t) d : (int64_t) (d * 1000.0);
                return 0;
        }
        return parse_datetime_utc(s, ret);
}

int cmd_detect_stream(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"method", required_argument, NULL, OPT_METHOD},
                {"input", required_argument, NULL, OPT_INPUT},
                {"threshold", required_argument, NULL, OPT_THRESHOLD},
                {"labels", no_argument, NULL, OPT_LABELS},
                {"window", required_argument, NULL, OPT_WINDOW},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        static const char *cmd = "detect stream ";
        StreamMethod method = STREAM_ROBUST;
        StreamOptions so;
        const char *input = NULL;
        bool labels = false;
        int opt;

        stream_options_init(&so);
        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_METHOD:
                        method = stream_method_from_string(optarg);
                        if (method < 0)
                                return cli_usage_error(ctx, cmd, "unknown --method '%s'", optarg);
                        break;
                case OPT_INPUT:
                        input = optarg;
                        break;
                case OPT_THRESHOLD:
                        if (safe_atod(optarg, &so.threshold) < 0 ||
                            !(so.threshold >= 0 && so.threshold <= 1))
                                return cli_usage_error(ctx, cmd,
                                                       "invalid --threshold '%s' (0 to 1)", optarg);
                        break;
                case OPT_LABELS:
                        labels = true;
                        break;
                case OPT_WINDOW:
                        if (safe_atou(optarg, &so.window) < 0 || so.window < 3 ||
                            so.window > STREAM_WINDOW_MAX)
                                return cli_usage_error(ctx, cmd, "invalid --window '%s' (3 to %u)",
                                                       optarg, STREAM_WINDOW_MAX);
                        so.min_samples = MIN(so.min_samples, so.window);
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

        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *err = NULL;
        int r = csv_read_path(input, &t, &err);
        if (r < 0) {
                log_error("%s", err ? err : "cannot read the input");
                return EXIT_UNKNOWN;
        }
        if (t->n_cols != 2) {
                log_error("%s:%zu: expected 2 columns (timestamp,value), found %zu", input,
                          t->n_rows ? t->line_of[0] : (size_t) 1, t->n_cols);
                return EXIT_UNKNOWN;
        }

        _cleanup_(stream_freep) StreamDetector *d = NULL;
        r = stream_new(method, &so, &d, &err);
        if (r < 0) {
                log_error("%s: %s", stream_method_to_string(method), err);
                return EXIT_UNKNOWN;
        }
        _cleanup_free_ double *scores = xnew(double, MAX(t->n_rows, (size_t) 1));
        _cleanup_free_ bool *anomaly = xnew(bool, MAX(t->n_rows, (size_t) 1));
        for (size_t i = 0; i < t->n_rows; i++) {
                const char *ts_cell = t->cells[2 * i], *v_cell = t->cells[2 * i + 1];
                int64_t ts_ms;
                double v;
                if (parse_timestamp(ts_cell, &ts_ms) < 0) {
                        log_error("%s:%zu: column 1: '%s' is not a timestamp (epoch seconds or "
                                  "milliseconds, or YYYY-MM-DD HH:MM:SS)",
                                  input, t->line_of[i], ts_cell);
                        return EXIT_UNKNOWN;
                }
                if (safe_atod(v_cell, &v) < 0 ||
                    stream_update(d, ts_ms, v, &scores[i], &anomaly[i]) < 0) {
                        log_error("%s:%zu: column 2: '%s' is not a finite number", input,
                                  t->line_of[i], v_cell);
                        return EXIT_UNKNOWN;
                }
        }

        if (ctx->format == OUTPUT_JSON) {
                printf("{\"method\":\"%s\",\"threshold\":%g,\"scores\":[",
                       stream_method_to_string(method), so.threshold);
                for (size_t i = 0; i < t->n_rows; i++)
                        printf("%s%.6f", i ? "," : "", scores[i]);
                printf("],\"labels\":[");
                for (size_t i = 0; i < t->n_rows; i++)
                        printf("%s%d", i ? "," : "", anomaly[i] ? 1 : 0);
                printf("]}\n");
        } else
                for (size_t i = 0; i < t->n_rows; i++) {
                        if (labels)
                                printf("%d\n", anomaly[i] ? 1 : 0);
                        else
                                printf("%.6f\n", scores[i]);
                }
        return cli_flush_stdout();
}

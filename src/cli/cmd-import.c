/* `aiops import FILE.csv`: samples into the store, in the CSV `aiops query --csv` writes
 * (columns found by their header: metric, labels, timestamp_ms or time, value), so that
 * `aiops query ... --csv | aiops import -` copies series between stores, and history from
 * elsewhere (another tool's export, a test's fixture) can be analysed like collected data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "core/time-util.h"
#include "detect/csv.h"
#include "store/store.h"

#define MAX_LABELS 32

static void help(void)
{
        printf("Usage: aiops import FILE.csv|-\n\n"
               "Adds the samples of a CSV to the store, in the format 'aiops query --csv'\n"
               "writes. Columns are found by their header (any order and case, others\n"
               "ignored):\n"
               "  metric        the metric name (required)\n"
               "  labels        {key=\"value\",...} as Prometheus prints them (optional)\n"
               "  timestamp_ms  epoch milliseconds, or instead\n"
               "  time          epoch seconds or ms, or 'YYYY-MM-DD HH:MM[:SS]' local time\n"
               "  value         the sample (required)\n"
               "Rows may come in any order; each series is stored in time order. A sample not\n"
               "after the series' last stored one is skipped and counted. A malformed row is an\n"
               "error naming its line, and nothing is stored.\n");
}

typedef struct Row {
        char *canonical; /* the series, for grouping */
        char *metric;
        char **labels; /* "k", "v", ..., NULL */
        int64_t ts_ms;
        double value;
} Row;

static void row_done(Row *r)
{
        free(r->canonical);
        free(r->metric);
        for (char **p = r->labels; p && *p; p++)
                free(*p);
        free(r->labels);
}

/* Parses `{k="v",k2="v2"}` (or "" / "{}": none) into a NULL-ended "k", "v" list. */
static int parse_labels(const char *s, char ***ret, char **reterr)
{
        char **v = xnew0(char *, 2 * MAX_LABELS + 1);
        size_t n = 0;
        const char *p = s;

        if (*p == '\0')
                goto done;
        if (*p++ != '{')
                goto bad;
        while (*p != '}') {
                const char *k = p;
                while (*p && *p != '=')
                        p++;
                if (*p != '=' || p == k || p[1] != '"' || n == MAX_LABELS)
                        goto bad;
                v[2 * n] = xstrndup(k, (size_t) (p - k));
                p += 2;
                _cleanup_(strbuf_done) StrBuf val = {};
                for (; *p && *p != '"'; p++) {
                        char c = *p;
                        if (c == '\\') {
                                p++;
                                c = *p == 'n' ? '\n' : *p;
                                if (c != '\n' && c != '\\' && c != '"')
                                        goto bad;
                        }
                        (void) strbuf_printf(&val, "%c", c);
                }
                if (*p++ != '"')
                        goto bad;
                v[2 * n + 1] = xstrdup(val.len ? val.data : "");
                n++;
                if (*p == ',')
                        p++;
                else if (*p != '}')
                        goto bad;
        }
        if (p[1] != '\0')
                goto bad;
done:
        *ret = v;
        return 0;
bad:
        for (size_t i = 0; i < 2 * MAX_LABELS; i++)
                free(v[i]);
        free(v);
        *reterr = xasprintf("invalid labels '%s' (expected {key=\"value\",...}, at most %d)", s,
                            MAX_LABELS);
        return -EINVAL;
}

static int column(const CsvTable *t, const char *name)
{
        for (size_t i = 0; i < t->n_cols; i++)
                if (strcasecmp(t->header[i], name) == 0)
                        return (int) i;
        return -1;
}

static int cmp_row(const void *a, const void *b)
{
        const Row *x = a, *y = b;
        int c = strcmp(x->canonical, y->canonical);
        if (c != 0)
                return c;
        return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
}

/* The rows of t as samples; on error *reterr names the line. */
static int read_rows(const CsvTable *t, const char *name, Row **ret, char **reterr)
{
        int c_metric = column(t, "metric"), c_labels = column(t, "labels");
        int c_ms = column(t, "timestamp_ms"), c_time = column(t, "time");
        int c_value = column(t, "value");
        int64_t now = time_now_ms();

        if (c_metric < 0 || c_value < 0 || (c_ms < 0 && c_time < 0)) {
                *reterr = xasprintf("%s: the header needs the columns metric, value and "
                                    "timestamp_ms or time (as 'aiops query --csv' writes)",
                                    name);
                return -EINVAL;
        }
        Row *rows = xnew0(Row, t->n_rows ? t->n_rows : 1);
        int r = 0;
        for (size_t i = 0; i < t->n_rows && r >= 0; i++) {
                char *const *cell = t->cells + i * t->n_cols;
                Row *row = &rows[i];
                _cleanup_free_ char *msg = NULL;

                row->metric = xstrdup(cell[c_metric]);
                r = parse_labels(c_labels >= 0 ? cell[c_labels] : "", &row->labels, &msg);
                if (r >= 0) {
                        r = store_series_canonical(row->metric, (const char *const *) row->labels,
                                                   &row->canonical);
                        if (r < 0)
                                msg = xasprintf("invalid metric or label name in '%s%s'",
                                                row->metric, c_labels >= 0 ? cell[c_labels] : "");
                }
                if (r >= 0 && c_ms >= 0) {
                        if (safe_atoi64(cell[c_ms], &row->ts_ms) < 0) {
                                r = -EINVAL;
                                msg = xasprintf("invalid timestamp_ms '%s'", cell[c_ms]);
                        }
                } else if (r >= 0 && time_parse_timestamp_ms(cell[c_time], now, &row->ts_ms) < 0) {
                        r = -EINVAL;
                        msg = xasprintf("invalid time '%s'", cell[c_time]);
                }
                if (r >= 0 && safe_atod(cell[c_value], &row->value) < 0) {
                        r = -EINVAL;
                        msg = xasprintf("invalid value '%s'", cell[c_value]);
                }
                if (r < 0)
                        *reterr = xasprintf("%s:%zu: %s", name, t->line_of[i], msg);
        }
        if (r < 0) {
                for (size_t i = 0; i < t->n_rows; i++)
                        row_done(&rows[i]);
                free(rows);
                return r;
        }
        *ret = rows;
        return 0;
}

int cmd_import(CliContext *ctx, int argc, char **argv)
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
                        help();
                        return EXIT_OK;
                }
                return cli_usage_error(ctx, "import ", "invalid option");
        }
        if (argc - optind != 1)
                return cli_usage_error(ctx, "import ", "expected one FILE.csv (or - for stdin)");
        const char *path = argv[optind];

        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *msg = NULL;
        int r = csv_read_path(path, &t, &msg);
        if (r >= 0 && !t->header) {
                r = -EINVAL;
                msg = xasprintf("%s: no header row (expected metric,labels,timestamp_ms,value)",
                                path);
        }
        Row *rows = NULL;
        if (r >= 0)
                r = read_rows(t, path, &rows, &msg);
        if (r < 0) {
                log_error("cannot import: %s", msg ? msg : strerror(-r));
                return EXIT_UNKNOWN;
        }
        size_t n = t->n_rows;
        qsort(rows, n, sizeof(*rows), cmp_row);

        int ret = EXIT_UNKNOWN;
        _cleanup_free_ char *db_path = NULL;
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *err = NULL;
        if (cli_load_config(ctx) < 0 || cli_prepare_data_dir(ctx, &db_path) < 0)
                goto out;
        r = store_open(db_path, NULL, &s, &err);
        if (r < 0) {
                log_error("%s", err ? err : "cannot open the store");
                goto out;
        }
        size_t added = 0, skipped = 0, n_series = 0;
        int64_t id = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                if (i == 0 || strcmp(rows[i].canonical, rows[i - 1].canonical) != 0) {
                        r = store_series_get(s, rows[i].metric,
                                             (const char *const *) rows[i].labels, &id);
                        if (r < 0)
                                break;
                        n_series++;
                }
                int q = store_append(s, id, rows[i].ts_ms, rows[i].value);
                if (q == -EINVAL)
                        skipped++;
                else if (q < 0)
                        r = q;
                else
                        added++;
        }
        if (r >= 0)
                r = store_commit(s);
        if (r < 0) {
                log_error("cannot store the samples in '%s': %s", db_path, store_last_error(s));
                goto out;
        }
        printf("Imported %zu samples of %zu series into %s", added, n_series, db_path);
        if (skipped > 0)
                printf("; %zu skipped (not after the series' last stored sample)", skipped);
        printf(".\n");
        ret = cli_flush_stdout();
out:
        for (size_t i = 0; i < n; i++)
                row_done(&rows[i]);
        free(rows);
        return ret;
}

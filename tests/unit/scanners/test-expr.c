/* The condition language: parse/print round trips, errors with their columns, regex
 * anchoring, and evaluation over a real store in a scratch directory.
 * With AIOPS_EXPR_PROMQL_OUT set, test_expr_to_promql_round_trip also writes every canonical
 * text there, one per line, for tests/integration/test-expr-promtool.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "scanners/expr.h"
#include "store/store.h"
#include "test-util.h"

#define T0 INT64_C(1700000000000)
#define S  INT64_C(1000)
#define M  (60 * S)

static const struct {
        const char *in;
        const char *canonical;
} round_trips[] = {
        {"avg_over_time(service_memory_percent{service=\"mysql\"}[5m]) > 80",
         "avg_over_time(service_memory_percent{service=\"mysql\"}[5m]) > 80"},
        {"  max_over_time ( m { b = 'x' , a != \"y\" , } [ 1h30m ] )  >=  -2.5e3 ",
         "max_over_time(m{a!=\"y\",b=\"x\"}[1h30m]) >= -2500"},
        {"min_over_time(m[90m]) < 0.1", "min_over_time(m[1h30m]) < 0.1"},
        {"sum_over_time(m[500ms])<=1e-9", "sum_over_time(m[500ms]) <= 1e-09"},
        {"count_over_time(m{a=~\"x|y\"}[2d])==3", "count_over_time(m{a=~\"x|y\"}[2d]) == 3"},
        {"last_over_time(m{a!~'.*z'}[1w]) != 0", "last_over_time(m{a!~\".*z\"}[1w]) != 0"},
        {"m > 1", "m > 1"},
        {"m{} > +1", "m > 1"},
        {"node:cpu_ratio:rate5m{} > .5", "node:cpu_ratio:rate5m > 0.5"},
        {"m > 0.1", "m > 0.1"},
        {"m > 1e300", "m > 1e+300"},
        {"m > 123456789012345678", "m > 1.2345678901234568e+17"},
        {"m > 0.30000000000000004", "m > 0.30000000000000004"},
        {"m{a=\"q\\\"b\\\\s\\n\\t\\r\\'\"} > 1", "m{a=\"q\\\"b\\\\s\\n\\t\\r'\"} > 1"},
        {"m{a=`raw\\d\"`} > 1", "m{a=\"raw\\\\d\\\"\"} > 1"},
        {"m{a=\"é✓😀\"} > 1", "m{a=\"é✓😀\"} > 1"},
        {"m{z=\"1\",a=\"2\",a!=\"1\",a=~\"b\"} < 3", "m{a=\"2\",a!=\"1\",a=~\"b\",z=\"1\"} < 3"},
        {"avg_over_time(m[1y2w3d4h5m6s7ms]) > 1", "avg_over_time(m[1y2w3d4h5m6s7ms]) > 1"},
        {"avg_over_time(m[60s]) > 1", "avg_over_time(m[1m]) > 1"},
        {"avg_over_time(m[1000ms]) > 1", "avg_over_time(m[1s]) > 1"},
        {"avg_over_time(m[7d]) > 1", "avg_over_time(m[1w]) > 1"},
        {"m{a=~\"(?i)MySQL(?P<v>[0-9]+)?\\\\.x{2,3}\\\\d[[:alpha:]_-]\"} > 1",
         "m{a=~\"(?i)MySQL(?P<v>[0-9]+)?\\\\.x{2,3}\\\\d[[:alpha:]_-]\"} > 1"},
        {"m{a=~\"\"} > 1", "m{a=~\"\"} > 1"},
        {"m{a=~\"(a{100}){10}|\\\\p{Greek}[\\\\x{41}-\\\\x5a]\\\\Q.)\\\\E(?s-i:.)\"} > 1",
         "m{a=~\"(a{100}){10}|\\\\p{Greek}[\\\\x{41}-\\\\x5a]\\\\Q.)\\\\E(?s-i:.)\"} > 1"},
        {"avg_over_time(m{le=\"+Inf\"}[5m]) > -0", "avg_over_time(m{le=\"+Inf\"}[5m]) > -0"},
        {"m\n>\t\r1", "m > 1"},
        /* Control characters come out as \x escapes, C1 and U+FFFE/U+FFFF as \u: rule files
         * are YAML, which refuses them raw. */
        {"m{a=\"\\x01\\a\x02\\u0085\\U0001F600\\uFFFF\\x7f\"} > 1",
         "m{a=\"\\x01\\x07\\x02\\u0085😀\\uffff\\x7f\"} > 1"},
};

static char *canon(const char *in)
{
        _cleanup_(expr_freep) Expr *e = NULL;
        _cleanup_free_ char *err = NULL;

        if (expr_parse(in, &e, &err) < 0)
                fail_msg("'%s': %s", in, err);
        return expr_to_promql(e);
}

static void test_expr_to_promql_round_trip(void **state)
{
        const char *out = getenv("AIOPS_EXPR_PROMQL_OUT");
        _cleanup_fclose_ FILE *f = out ? fopen(out, "we") : NULL;

        (void) state;
        if (out)
                assert_non_null(f);
        for (size_t i = 0; i < ELEMENTSOF(round_trips); i++) {
                _cleanup_free_ char *c = canon(round_trips[i].in);
                assert_string_equal(c, round_trips[i].canonical);
                _cleanup_free_ char *again = canon(c);
                assert_string_equal(again, c);
                if (f)
                        fprintf(f, "%s\n", c);
        }
}

static void test_expr_parse_fields(void **state)
{
        _cleanup_(expr_freep) Expr *e = NULL;

        (void) state;
        assert_int_equal(expr_parse("avg_over_time(x{b!~\"1\",a=\"2\"}[1h30m]) <= -3.5", &e, NULL),
                         0);
        assert_int_equal(e->agg, EXPR_AGG_AVG);
        assert_string_equal(e->metric, "x");
        assert_int_equal(e->n_matchers, 2);
        assert_string_equal(e->matchers[0].label, "a");
        assert_int_equal(e->matchers[0].op, EXPR_MATCH_EQ);
        assert_string_equal(e->matchers[1].value, "1");
        assert_int_equal(e->matchers[1].op, EXPR_MATCH_NRE);
        assert_int_equal(e->window_ms, 90 * M);
        assert_int_equal(e->cmp, EXPR_CMP_LE);
        assert_true(e->threshold == -3.5);
        e = expr_free(e);
        assert_int_equal(expr_parse("m != 2", &e, NULL), 0);
        assert_int_equal(e->agg, EXPR_AGG_NONE);
        assert_int_equal(e->window_ms, 0);
        assert_int_equal(e->cmp, EXPR_CMP_NE);
}

static const struct {
        const char *in;
        const char *err;
} errors[] = {
        {"", "column 1: expected a metric name or a function such as avg_over_time, found the end"},
        {"avg_over_time(m{a=\"b\"}[5m) > 1",
         "column 26: expected ']' after the duration, found ')'"},
        {"avg_over_time(m[5m] > 1", "column 21: expected ')' after the range, found '>'"},
        {"avg_over_time(m) > 1",
         "column 16: expected '[' and a duration after the selector, found ')'"},
        {"rate(m[5m]) > 1",
         "column 1: unknown function 'rate' (known: avg_over_time max_over_time min_over_time "
         "sum_over_time count_over_time last_over_time)"},
        {"m[5m] > 1", "column 2: a range needs a function around it, as in avg_over_time(m[5m])"},
        {"avg_over_time(m[5]) > 1",
         "column 18: expected a duration unit (ms s m h d w y), found ']'"},
        {"avg_over_time(m[]) > 1", "column 17: expected a duration such as 5m, found ']'"},
        {"avg_over_time(m[0s]) > 1", "column 17: the duration must be above 0"},
        {"avg_over_time(m[30m1h]) > 1", "column 20: duration units must go from the largest to the "
                                        "smallest, each once (as in 1h30m)"},
        {"avg_over_time(m[11y]) > 1", "column 17: duration too long (at most 10y)"},
        {"avg_over_time(m[99999999999999999999999d]) > 1",
         "column 17: duration too long (at most 10y)"},
        {"m{a=\"b\" > 1", "column 9: expected ',' or '}' after a matcher, found '>'"},
        {"m{a=b} > 1", "column 5: expected a quoted string, found 'b'"},
        {"m{a:b=\"x\"} > 1",
         "column 4: expected '=', '!=', '=~' or '!~' after label 'a', found ':'"},
        {"m{1a=\"x\"} > 1", "column 3: expected a label name or '}', found '1'"},
        {"m{__name__=\"x\"} > 1", "column 3: the metric name goes before '{', not in '__name__'"},
        {"m{a==\"x\"} > 1", "column 5: expected a quoted string, found '='"},
        {"m{a=\"x} > 1", "column 5: string not closed"},
        {"m{a=\"\\d\"} > 1",
         "column 6: unknown escape '\\d' in a string (known: \\\\ \\\" \\' \\n \\r \\t "
         "\\a \\b \\f \\v \\xhh \\uhhhh \\Uhhhhhhhh)"},
        {"m{a=\"\xff\"} > 1", "column 6: invalid UTF-8 in a string"},
        {"m{a=\"\xc0\xaf\"} > 1", "column 6: invalid UTF-8 in a string"},
        {"m{a=\"x\ny\"} > 1", "column 7: newline in a string (write \\n)"},
        {"m{a=~\"(my\"} > 1", "column 6: invalid regex for label 'a' at offset 3: missing ')'"},
        {"m{a=~\"[a\"} > 1",
         "column 6: invalid regex for label 'a' at offset 0: unclosed character class"},
        {"m{a=~\"(a)\\\\1\"} > 1", "column 6: invalid regex for label 'a' at offset 3: "
                                   "backreferences are not supported by Prometheus"},
        {"m{a=~\"a(?=b)\"} > 1", "column 6: invalid regex for label 'a' at offset 1: group syntax "
                                 "not supported by Prometheus (RE2)"},
        {"m{a=~\"a++\"} > 1", "column 6: invalid regex for label 'a' at offset 2: nested or "
                              "possessive quantifiers are not "
                              "supported by Prometheus (RE2)"},
        {"m{a=~\"x{2}{3}\"} > 1", "column 6: invalid regex for label 'a' at offset 4: nested or "
                                  "possessive quantifiers are not "
                                  "supported by Prometheus (RE2)"},
        {"m{a=~\"x{1001}\"} > 1", "column 6: invalid regex for label 'a' at offset 1: repetition "
                                  "counts must be at most 1000 and in order"},
        {"m{a=~\"*a\"} > 1", "column 6: invalid regex for label 'a' at offset 0: a quantifier must "
                             "follow something to repeat"},
        {"m{a=~\"\\\\K\"} > 1", "column 6: invalid regex for label 'a' at offset 0: escape not "
                                "supported by Prometheus (RE2)"},
        {"m{a=~\"\\\\p{Nope}\"} > 1", "column 6: invalid regex for label 'a' at offset 0: Unicode "
                                      "class unknown to Prometheus or PCRE2"},
        {"m{a=~\"\\\\Qa.b\"} > 1",
         "column 6: invalid regex for label 'a' at offset 0: \\Q needs a closing \\E"},
        {"m{a=~\"(?P<1a>x)\"} > 1",
         "column 6: invalid regex for label 'a' at offset 4: subpattern name must start with a "
         "non-digit"},
        {"m{a=\"\\x80\"} > 1",
         "column 6: escape of an invalid character (NUL, a surrogate, or \\x above 7f)"},
        {"m{a=\"\\x00\"} > 1",
         "column 6: escape of an invalid character (NUL, a surrogate, or \\x above 7f)"},
        {"m{a=\"\\ud800\"} > 1",
         "column 6: escape of an invalid character (NUL, a surrogate, or \\x above 7f)"},
        {"m{a=\"\\u12\"} > 1", "column 6: '\\u' needs 4 hex digits"},
        {"m{a=~\"(a{100}){11}\"} > 1", "column 6: invalid regex for label 'a' at offset 8: nested "
                                       "repetition counts multiply past "
                                       "1000 (the limit of Prometheus)"},
        {"m{a=~\"a{,3}\"} > 1", "column 6: invalid regex for label 'a' at offset 1: '{,' is a "
                                "literal for Prometheus but a "
                                "quantifier for newer PCRE2: write \\{"},
        {"m{a=~\"\\\\x4\"} > 1",
         "column 6: invalid regex for label 'a' at offset 0: \\x needs two hex digits or {hex}"},
        {"m{a=~\"(?i-)a\"} > 1",
         "column 6: invalid regex for label 'a' at offset 0: group syntax not supported by "
         "Prometheus (RE2)"},
        {"m > x", "column 5: expected a number, found 'x'"},
        {"m > 1e", "column 6: expected digits after the exponent"},
        {"m > 1e999", "column 5: number out of range"},
        {"m > .", "column 5: expected a number"},
        {"m > 1 2", "column 7: unexpected '2' after the number"},
        {"m > 1 and n > 2", "column 7: unexpected 'a' after the number"},
        {"m = 1", "column 3: '=' is not a comparison, write '=='"},
        {"m 1", "column 3: expected a comparison (> >= < <= == !=), found '1'"},
        {"m", "column 2: expected a comparison (> >= < <= == !=), found the end"},
        {"m > bool 1", "column 5: 'bool' is not supported here"},
        {"sum > 1", "column 1: 'sum' is a PromQL keyword, not usable as a metric name"},
        {"avg_over_time(Inf[5m]) > 1",
         "column 15: 'Inf' is a PromQL keyword, not usable as a metric name"},
        {"avg_over_time( ) > 1", "column 16: expected a metric name after '(', found ')'"},
        {"m > 1 \x01", "column 7: unexpected byte 0x01 after the number"},
};

static void test_expr_parse_errors(void **state)
{
        unsigned bad = 0;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(errors); i++) {
                Expr *e = NULL;
                _cleanup_free_ char *err = NULL;
                int r = expr_parse(errors[i].in, &e, &err);
                if (r != -EINVAL || e || !err || strcmp(err, errors[i].err) != 0) {
                        print_error("'%s': r=%d err='%s', expected '%s'\n", errors[i].in, r,
                                    err ? err : "(null)", errors[i].err);
                        bad++;
                }
                expr_free(e);
        }
        assert_int_equal(bad, 0);
}

static void test_expr_parse_limits(void **state)
{
        _cleanup_free_ char *big = xmalloc(EXPR_TEXT_MAX + 2);
        _cleanup_free_ char *err = NULL;
        Expr *e = NULL;

        (void) state;
        memset(big, ' ', EXPR_TEXT_MAX + 1);
        big[EXPR_TEXT_MAX + 1] = '\0';
        assert_int_equal(expr_parse(big, &e, &err), -E2BIG);
        assert_null(e);
        assert_non_null(strstr(err, "too long"));
        free(err);
        err = NULL;

        _cleanup_(strbuf_done) StrBuf b = {};
        (void) strbuf_puts(&b, "m{");
        for (unsigned i = 0; i <= EXPR_MATCHERS_MAX; i++)
                (void) strbuf_printf(&b, "l%u=\"v\",", i);
        (void) strbuf_puts(&b, "} > 1");
        assert_int_equal(expr_parse(strbuf_str(&b), &e, &err), -E2BIG);
        assert_null(e);
        assert_non_null(strstr(err, "too many label matchers"));
        free(err);
        err = NULL;

        /* Short enough, but not once its control characters are escaped. */
        strbuf_reset(&b);
        (void) strbuf_puts(&b, "m{a=\"");
        for (unsigned i = 0; i < EXPR_TEXT_MAX / 2; i++)
                (void) strbuf_putc(&b, '\x01');
        (void) strbuf_puts(&b, "\"} > 1");
        assert_true(b.len <= EXPR_TEXT_MAX);
        assert_int_equal(expr_parse(strbuf_str(&b), &e, &err), -E2BIG);
        assert_null(e);
        assert_string_equal(err, "column 1: condition too long once written canonically (at most "
                                 "4096 bytes)");
}

static void test_expr_describe_error(void **state)
{
        const char *text = "avg_over_time(m{a=\"é\"}[5m) > 1";
        _cleanup_free_ char *err = NULL, *d = NULL, *d2 = NULL;
        Expr *e = NULL;

        (void) state;
        assert_int_equal(expr_parse(text, &e, &err), -EINVAL);
        assert_string_equal(err, "column 27: expected ']' after the duration, found ')'");
        d = expr_describe_error(text, err);
        assert_string_equal(d, "column 27: expected ']' after the duration, found ')'\n"
                               "  avg_over_time(m{a=\"é\"}[5m) > 1\n"
                               "                           ^");
        d2 = expr_describe_error(text, "no column here");
        assert_string_equal(d2, "no column here");
}

static bool matches(const char *cond, const char *value)
{
        _cleanup_(expr_freep) Expr *e = NULL;
        _cleanup_free_ char *err = NULL;

        if (expr_parse(cond, &e, &err) < 0)
                fail_msg("'%s': %s", cond, err);
        assert_int_equal(e->n_matchers, 1);
        return expr_matcher_matches(&e->matchers[0], value);
}

static void test_expr_matcher_matches(void **state)
{
        (void) state;
        /* Anchored as Prometheus: the whole value must match. */
        assert_true(matches("m{s=~\"my\"} > 1", "my"));
        assert_false(matches("m{s=~\"my\"} > 1", "mysql"));
        assert_false(matches("m{s=~\"sql\"} > 1", "mysql"));
        assert_true(matches("m{s=~\"my.*\"} > 1", "mysql"));
        assert_true(matches("m{s=~\"a|mysql\"} > 1", "mysql"));
        assert_false(matches("m{s=~\"a|my\"} > 1", "mysql"));
        assert_true(matches("m{s!~\"my\"} > 1", "mysql"));
        assert_false(matches("m{s!~\"my.*\"} > 1", "mysql"));
        /* '$' only at the very end, as Go: "my\n" is not "my". */
        assert_false(matches("m{s=~\"my$\"} > 1", "my\n"));
        assert_false(matches("m{s=~\"my\"} > 1", "my\n"));
        assert_true(matches("m{s=~\"(?i)MY\"} > 1", "my"));
        assert_true(matches("m{s=~\".\"} > 1", "é"));
        assert_true(matches("m{s=~\"\"} > 1", ""));
        assert_true(matches("m{s=~\".*\"} > 1", ""));
        assert_false(matches("m{s=~\".+\"} > 1", ""));
        assert_true(matches("m{s=\"\"} > 1", ""));
        assert_false(matches("m{s=\"my\"} > 1", "mysql"));
        assert_true(matches("m{s!=\"my\"} > 1", "mysql"));
        assert_false(matches("m{s!=\"my\"} > 1", "my"));
}

typedef struct Fixture {
        char *dir;
        Store *store;
} Fixture;

static int setup(void **state)
{
        Fixture *f = xnew0(Fixture, 1);
        _cleanup_free_ char *path = NULL, *err = NULL;

        f->dir = test_mkdtemp();
        path = xasprintf("%s/aiops.db", f->dir);
        if (store_open(path, NULL, &f->store, &err) < 0)
                fail_msg("store_open: %s", err);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;

        store_free(f->store);
        test_rm_rf(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

static void add(Store *s, const char *name, const char *const *labels, const int64_t *ts,
                const double *v, size_t n)
{
        int64_t id;

        assert_int_equal(store_series_get(s, name, labels, &id), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(store_append(s, id, ts[i], v[i]), 0);
}

/* mem{service="mysql"}: 10 at T0-10m, 20 at T0-5m, 30 at T0-4m, 40 at T0-1m, 50 at T0;
 * mem{service="mysql-slave"}: 100 at T0-2m; mem{service="nginx",env="prod"}: 5 at T0-1m;
 * mem (no labels): 7 at T0-6m; other{service="mysql"}: 1000 at T0. */
static void fill(Store *s)
{
        add(s, "mem", (const char *const[]){"service", "mysql", NULL},
            (const int64_t[]){T0 - 10 * M, T0 - 5 * M, T0 - 4 * M, T0 - M, T0},
            (const double[]){10, 20, 30, 40, 50}, 5);
        add(s, "mem", (const char *const[]){"service", "mysql-slave", NULL},
            (const int64_t[]){T0 - 2 * M}, (const double[]){100}, 1);
        add(s, "mem", (const char *const[]){"env", "prod", "service", "nginx", NULL},
            (const int64_t[]){T0 - M}, (const double[]){5}, 1);
        add(s, "mem", NULL, (const int64_t[]){T0 - 6 * M}, (const double[]){7}, 1);
        add(s, "other", (const char *const[]){"service", "mysql", NULL}, (const int64_t[]){T0},
            (const double[]){1000}, 1);
        assert_int_equal(store_commit(s), 0);
}

static int eval(Store *s, const char *cond, int64_t now, ExprResult **ret, size_t *ret_n)
{
        _cleanup_(expr_freep) Expr *e = NULL;
        _cleanup_free_ char *err = NULL;

        if (expr_parse(cond, &e, &err) < 0)
                fail_msg("'%s': %s", cond, err);
        int r = expr_eval(e, s, now, ret, ret_n, &err);
        if (r < 0)
                fail_msg("'%s': %s", cond, err);
        return r;
}

/* Evaluates cond and checks that it gives exactly one row, for series, with value and fired. */
static void expect_one(Store *s, const char *cond, int64_t now, const char *series, double value,
                       bool fired)
{
        ExprResult *res = NULL;
        size_t n = 0;
        int r = eval(s, cond, now, &res, &n);

        if (n != 1)
                fail_msg("'%s': %zu rows, expected 1", cond, n);
        assert_string_equal(res[0].series, series);
        if (!(fabs(res[0].value - value) <= 1e-9 * fabs(value)))
                fail_msg("'%s': value %.17g, expected %.17g", cond, res[0].value, value);
        assert_int_equal(res[0].fired, fired);
        assert_int_equal(r, fired ? 1 : 0);
        expr_result_array_free(res, n);
}

static void test_expr_eval_aggregates(void **state)
{
        Fixture *f = *state;
        const char *my = "mem{service=\"mysql\"}";

        fill(f->store);
        /* (T0-5m, T0]: 30, 40, 50 — the sample at exactly T0-5m is out (left-open). */
        expect_one(f->store, "avg_over_time(mem{service=\"mysql\"}[5m]) > 39", T0, my, 40, true);
        expect_one(f->store, "avg_over_time(mem{service=\"mysql\"}[5m]) > 40", T0, my, 40, false);
        expect_one(f->store, "avg_over_time(mem{service=\"mysql\"}[5m]) >= 40", T0, my, 40, true);
        expect_one(f->store, "max_over_time(mem{service=\"mysql\"}[5m]) == 50", T0, my, 50, true);
        expect_one(f->store, "min_over_time(mem{service=\"mysql\"}[5m]) < 30", T0, my, 30, false);
        expect_one(f->store, "min_over_time(mem{service=\"mysql\"}[5m]) <= 30", T0, my, 30, true);
        expect_one(f->store, "sum_over_time(mem{service=\"mysql\"}[5m]) != 120", T0, my, 120,
                   false);
        expect_one(f->store, "count_over_time(mem{service=\"mysql\"}[5m]) == 3", T0, my, 3, true);
        expect_one(f->store, "last_over_time(mem{service=\"mysql\"}[5m]) > 49", T0, my, 50, true);
        /* One millisecond later the window (T0-5m+1ms, T0+1ms] still holds 30, 40, 50; at
         * T0 - 1ms the sample at T0 is out (right edge inclusive only of now). */
        expect_one(f->store, "avg_over_time(mem{service=\"mysql\"}[5m]) > 0", T0 + 1, my, 40, true);
        expect_one(f->store, "avg_over_time(mem{service=\"mysql\"}[5m]) > 0", T0 - 1, my,
                   (20.0 + 30 + 40) / 3, true);
        /* (T0-11m, T0]: all five; (T0-10m, T0]: the first is out. */
        expect_one(f->store, "avg_over_time(mem{service=\"mysql\"}[11m]) > 0", T0, my, 30, true);
        expect_one(f->store, "sum_over_time(mem{service=\"mysql\"}[10m]) > 0", T0, my, 140, true);
        expect_one(f->store, "count_over_time(mem{service=\"mysql\"}[10m]) > 3", T0, my, 4, true);
        /* A window of 30s before T0 - 2m holds nothing: no row, not fired. */
        ExprResult *res = NULL;
        size_t n = 7;
        assert_int_equal(eval(f->store, "avg_over_time(mem{service=\"mysql\"}[30s]) > 0",
                              T0 - 2 * M, &res, &n),
                         0);
        assert_int_equal(n, 0);
        assert_null(res);
}

static void test_expr_eval_bare_selector_lookback(void **state)
{
        Fixture *f = *state;
        ExprResult *res = NULL;
        size_t n = 0;

        fill(f->store);
        expect_one(f->store, "mem{service=\"mysql\"} > 45", T0, "mem{service=\"mysql\"}", 50, true);
        expect_one(f->store, "mem{service=\"mysql\"} > 45", T0 - 30 * S, "mem{service=\"mysql\"}",
                   40, false);
        /* The latest sample (T0) is 5m old at T0+5m: out of the lookback (left-open). */
        expect_one(f->store, "mem{service=\"mysql\"} > 0", T0 + 5 * M - 1, "mem{service=\"mysql\"}",
                   50, true);
        assert_int_equal(eval(f->store, "mem{service=\"mysql\"} > 0", T0 + 5 * M, &res, &n), 0);
        assert_int_equal(n, 0);
        /* The unlabelled mem is 6m old at T0: no row. */
        assert_int_equal(eval(f->store, "mem{service=\"\"} > 0", T0, &res, &n), 0);
        assert_int_equal(n, 0);
        expect_one(f->store, "mem{service=\"\"} > 0", T0 - 2 * M, "mem", 7, true);
}

static void test_expr_eval_matchers(void **state)
{
        Fixture *f = *state;
        ExprResult *res = NULL;
        size_t n = 0;

        fill(f->store);
        /* All mem series with samples in (T0-5m, T0]: nginx (5), mysql (50), mysql-slave (100);
         * the unlabelled one is too old. Sorted by canonical name; two fire. */
        assert_int_equal(eval(f->store, "last_over_time(mem[5m]) > 10", T0, &res, &n), 2);
        assert_int_equal(n, 3);
        assert_string_equal(res[0].series, "mem{env=\"prod\",service=\"nginx\"}");
        assert_false(res[0].fired);
        assert_string_equal(res[1].series, "mem{service=\"mysql\"}");
        assert_true(res[1].fired);
        assert_string_equal(res[2].series, "mem{service=\"mysql-slave\"}");
        assert_true(res[2].value == 100);
        expr_result_array_free(res, n);

        /* =~"my" matches neither mysql nor mysql-slave. */
        assert_int_equal(
                eval(f->store, "last_over_time(mem{service=~\"my\"}[1h]) > 0", T0, &res, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(
                eval(f->store, "last_over_time(mem{service=~\"mysql.*\"}[1h]) > 60", T0, &res, &n),
                1);
        assert_int_equal(n, 2);
        expr_result_array_free(res, n);
        /* != and !~ match series without the label too (their value is ""). */
        assert_int_equal(
                eval(f->store, "last_over_time(mem{service!=\"mysql\"}[1h]) > 0", T0, &res, &n), 3);
        assert_int_equal(n, 3);
        assert_string_equal(res[0].series, "mem");
        expr_result_array_free(res, n);
        assert_int_equal(eval(f->store,
                              "last_over_time(mem{service!~\"mysql.*\",env!=\"prod\"}[1h]) >= 7",
                              T0, &res, &n),
                         1);
        assert_int_equal(n, 1);
        assert_string_equal(res[0].series, "mem");
        expr_result_array_free(res, n);
        expect_one(f->store, "max_over_time(mem{env=\"prod\"}[1h]) > 1", T0,
                   "mem{env=\"prod\",service=\"nginx\"}", 5, true);
        /* No such metric, no such label value. */
        assert_int_equal(eval(f->store, "max_over_time(nope[1h]) > 1", T0, &res, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(eval(f->store, "max_over_time(mem{service=\"x\"}[1h]) > 1", T0, &res, &n),
                         0);
        assert_int_equal(n, 0);
}

static void test_expr_eval_nan(void **state)
{
        Fixture *f = *state;

        add(f->store, "n", NULL, (const int64_t[]){T0 - 2 * M, T0 - M, T0},
            (const double[]){NAN, 3, 2}, 3);
        expect_one(f->store, "max_over_time(n[5m]) == 3", T0, "n", 3, true);
        expect_one(f->store, "min_over_time(n[5m]) == 2", T0, "n", 2, true);
        expect_one(f->store, "count_over_time(n[5m]) == 3", T0, "n", 3, true);

        ExprResult *res = NULL;
        size_t n = 0;
        /* NaN compares false, except != */
        assert_int_equal(eval(f->store, "avg_over_time(n[5m]) > 0", T0, &res, &n), 0);
        assert_int_equal(n, 1);
        assert_true(isnan(res[0].value));
        expr_result_array_free(res, n);
        assert_int_equal(eval(f->store, "avg_over_time(n[5m]) != 0", T0, &res, &n), 1);
        expr_result_array_free(res, n);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_expr_to_promql_round_trip),
                cmocka_unit_test(test_expr_parse_fields),
                cmocka_unit_test(test_expr_parse_errors),
                cmocka_unit_test(test_expr_parse_limits),
                cmocka_unit_test(test_expr_describe_error),
                cmocka_unit_test(test_expr_matcher_matches),
                cmocka_unit_test_setup_teardown(test_expr_eval_aggregates, setup, teardown),
                cmocka_unit_test_setup_teardown(test_expr_eval_bare_selector_lookback, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_expr_eval_matchers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_expr_eval_nan, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

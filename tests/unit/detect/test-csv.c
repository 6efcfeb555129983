#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "detect/csv.h"
#include "detect/rng.h"
#include "test-util.h"

/* Reads text as a CSV named "X.csv"; returns the result, *ret_t or *ret_err set. */
static int read_text(const char *text, size_t len, CsvTable **ret_t, char **ret_err)
{
        _cleanup_fclose_ FILE *f = fmemopen((void *) text, len, "r");

        assert_non_null(f);
        *ret_err = NULL;
        return csv_read_table(f, "X.csv", ret_t, ret_err);
}

static void expect_error(const char *text, size_t len, const char *msg)
{
        CsvTable *t = NULL;
        char *err = NULL;

        int r = read_text(text, len, &t, &err);
        if (r >= 0) {
                t = csv_table_free(t);
                fail_msg("'%s' was read; expected '%s'", text, msg);
        }
        assert_non_null(err);
        if (strcmp(err, msg) != 0)
                fail_msg("got '%s', expected '%s'", err, msg);
        free(err);
}

static void expect_number_error(const char *text, CsvImpute impute, const char *msg)
{
        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ double *x = NULL;

        assert_int_equal(read_text(text, strlen(text), &t, &err), 0);
        assert_true(csv_table_numbers(t, "X.csv", impute, &x, &err) < 0);
        assert_null(x);
        assert_non_null(err);
        if (strcmp(err, msg) != 0)
                fail_msg("got '%s', expected '%s'", err, msg);
}

/* Header, quoting with "" and an embedded comma and newline, CRLF, a BOM, no final newline. */
static void test_csv_read_table_rfc4180(void **state)
{
        static const char text[] = "\xEF\xBB\xBF"
                                   "\"a,1\",b,\"say \"\"hi\"\"\"\r\n"
                                   "1,2,3\r\n"
                                   "\"4\",\"multi\nline\",6\r\n"
                                   "7,8,9";
        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *err = NULL;

        (void) state;
        assert_int_equal(read_text(text, sizeof(text) - 1, &t, &err), 0);
        assert_int_equal(t->n_cols, 3);
        assert_int_equal(t->n_rows, 3);
        assert_non_null(t->header);
        assert_string_equal(t->header[0], "a,1");
        assert_string_equal(t->header[1], "b");
        assert_string_equal(t->header[2], "say \"hi\"");
        assert_string_equal(t->cells[0], "1");
        assert_string_equal(t->cells[3], "4");
        assert_string_equal(t->cells[4], "multi\nline");
        assert_string_equal(t->cells[8], "9");
        /* the quoted newline moves the next row to line 5 */
        assert_int_equal(t->line_of[0], 2);
        assert_int_equal(t->line_of[1], 3);
        assert_int_equal(t->line_of[2], 5);
}

/* A numeric first row is data; blank lines are skipped but counted; empty trailing cells. */
static void test_csv_read_table_no_header(void **state)
{
        static const char text[] = "1.5,-2\n\n3e2, 4 \n\r\n";
        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ double *x = NULL;

        (void) state;
        assert_int_equal(read_text(text, sizeof(text) - 1, &t, &err), 0);
        assert_null(t->header);
        assert_int_equal(t->n_rows, 2);
        assert_int_equal(t->line_of[1], 3);
        assert_int_equal(csv_table_numbers(t, "X.csv", CSV_IMPUTE_NONE, &x, &err), 0);
        assert_true(x[0] == 1.5 && x[1] == -2 && x[2] == 300 && x[3] == 4);
}

static void test_csv_read_table_errors(void **state)
{
        (void) state;
        expect_error("", 0, "X.csv: no data rows");
        expect_error("\n\n", 2, "X.csv: no data rows");
        expect_error("a,b,c\n", 6, "X.csv: no data rows");
        expect_error("a,b,c\n1,2,3\n4,5\n", 16, "X.csv:3: 2 columns, the header has 3");
        expect_error("1,2,3\n1,2,3,4\n", 14, "X.csv:2: 4 columns, the first row has 3");
        expect_error("a\n\"1\n", 5, "X.csv:2: column 1: the quoted field never ends");
        expect_error("a,b\n1,\"2\"x\n", 11, "X.csv:2: column 2: 'x' after the closing quote");
        expect_error("a\n1\0\n", 5, "X.csv:2: a NUL byte (not a text file?)");
        /* a trailing comma is one more (empty) column */
        expect_error("a,b\n1,2,\n", 9, "X.csv:2: 3 columns, the header has 2");
}

static void test_csv_read_table_too_many_columns(void **state)
{
        size_t n = (CSV_MAX_COLUMNS + 1) * 2;
        _cleanup_free_ char *text = xmalloc(n + 1);

        (void) state;
        for (size_t i = 0; i < n; i += 2) {
                text[i] = '1';
                text[i + 1] = ',';
        }
        text[n - 1] = '\n';
        text[n] = '\0';
        expect_error(text, n, "X.csv:1: more than 100000 columns");
}

static void test_csv_table_numbers_errors(void **state)
{
        (void) state;
        /* line 17 of the file, column 3 */
        expect_number_error("a,b,c\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n"
                            "1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,abc\n",
                            CSV_IMPUTE_NONE, "X.csv:17: column 3: 'abc' is not a number");
        expect_number_error("a,b\n1,1e999\n", CSV_IMPUTE_NONE,
                            "X.csv:2: column 2: '1e999' is out of range");
        expect_number_error("a,b\n1,inf\n", CSV_IMPUTE_MEAN,
                            "X.csv:2: column 2: 'inf' is not a number");
        expect_number_error("a,b\n1,0x10\n", CSV_IMPUTE_NONE,
                            "X.csv:2: column 2: '0x10' is not a number");
        expect_number_error("a,b\n1,2\n,3\n", CSV_IMPUTE_NONE,
                            "X.csv:3: column 1: an empty value (no imputation asked for)");
        expect_number_error("a,b\n1,nan\n", CSV_IMPUTE_NONE,
                            "X.csv:2: column 2: a missing value (no imputation asked for)");
        expect_number_error("a,b\n1,\n2,NaN\n", CSV_IMPUTE_MEDIAN,
                            "X.csv: column 2 ('b') has no numbers to impute from");
}

/* Column 1 has 1, 2, 6 and a gap: mean 3, median 2; column 2 has 10, 20, a gap and 40. */
static void test_csv_table_numbers_impute(void **state)
{
        static const char text[] = "1,10\n2,20\n,NA\n6,40\n";
        static const struct {
                CsvImpute how;
                double a, b;
        } cases[] = {
                {CSV_IMPUTE_MEAN, 3, 70.0 / 3},
                {CSV_IMPUTE_MEDIAN, 2, 20},
                {CSV_IMPUTE_ZERO, 0, 0},
        };

        (void) state;
        for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                _cleanup_(csv_table_freep) CsvTable *t = NULL;
                _cleanup_free_ char *err = NULL;
                _cleanup_free_ double *x = NULL;

                assert_int_equal(read_text(text, sizeof(text) - 1, &t, &err), 0);
                assert_int_equal(csv_table_numbers(t, "X.csv", cases[c].how, &x, &err), 0);
                assert_true(x[4] == cases[c].a);
                assert_true(fabs(x[5] - cases[c].b) < 1e-12);
                assert_true(x[0] == 1 && x[7] == 40);
        }
}

/* Bigger than one read chunk, so records straddle the chunk boundary. */
static void test_csv_read_table_big(void **state)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        _cleanup_fclose_ FILE *w = open_memstream(&text, &len);
        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ double *x = NULL;

        (void) state;
        fprintf(w, "x,\"y\"\r\n");
        for (int i = 0; i < 20000; i++)
                fprintf(w, "%d,\"%d.5\"\r\n", i, -i);
        assert_int_equal(fflush(w), 0);
        assert_int_equal(read_text(text, len, &t, &err), 0);
        assert_int_equal(t->n_rows, 20000);
        assert_int_equal(csv_table_numbers(t, "X.csv", CSV_IMPUTE_NONE, &x, &err), 0);
        for (int i = 0; i < 20000; i++) {
                assert_true(x[2 * i] == i);
                assert_true(x[2 * i + 1] == (i == 0 ? 0.5 : -i - 0.5));
                assert_int_equal(t->line_of[i], (size_t) i + 2);
        }
}

/* The two-step path, csv_read_table() + csv_table_numbers(), on text. */
static int read_two_step(const char *text, size_t len, CsvImpute impute, CsvTable **ret_t,
                         double **ret_x, char **ret_err)
{
        int r = read_text(text, len, ret_t, ret_err);
        if (r < 0)
                return r;
        return csv_table_numbers(*ret_t, "X.csv", impute, ret_x, ret_err);
}

static int read_numbers_text(const char *text, size_t len, CsvImpute impute, CsvNumbers **ret,
                             char **ret_err)
{
        _cleanup_fclose_ FILE *f = fmemopen((void *) text, len, "r");

        assert_non_null(f);
        *ret_err = NULL;
        return csv_read_numbers(f, "X.csv", impute, ret, ret_err);
}

/* Both readers on text with every imputation: the same return value and message, or the same
 * shape, header and numbers, bit for bit. Returns what csv_read_numbers() returned for
 * `impute`, with its result in *ret (may be NULL). */
static int expect_same_as(const char *text, size_t len, CsvImpute impute, CsvNumbers **ret)
{
        int ret_r = 0;

        for (int how = CSV_IMPUTE_NONE; how <= CSV_IMPUTE_ZERO; how++) {
                _cleanup_(csv_table_freep) CsvTable *t = NULL;
                _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
                _cleanup_free_ double *x = NULL;
                _cleanup_free_ char *terr = NULL, *nerr = NULL;

                int tr = read_two_step(text, len, (CsvImpute) how, &t, &x, &terr);
                int nr = read_numbers_text(text, len, (CsvImpute) how, &c, &nerr);
                if (tr != nr)
                        fail_msg("impute %d: two-step %d ('%s'), numbers %d ('%s')", how, tr,
                                 terr ? terr : "", nr, nerr ? nerr : "");
                if (tr < 0) {
                        assert_null(c);
                        assert_non_null(terr);
                        assert_non_null(nerr);
                        if (strcmp(terr, nerr) != 0)
                                fail_msg("impute %d: two-step '%s', numbers '%s'", how, terr, nerr);
                } else {
                        assert_int_equal(c->n_rows, t->n_rows);
                        assert_int_equal(c->n_cols, t->n_cols);
                        assert_true(!c->header == !t->header);
                        for (size_t j = 0; c->header && j < c->n_cols; j++)
                                assert_string_equal(c->header[j], t->header[j]);
                        for (size_t i = 0; i < c->n_rows * c->n_cols; i++)
                                if (memcmp(&c->x[i], &x[i], sizeof(double)) != 0)
                                        fail_msg("cell %zu ('%s'): two-step %.17g, numbers "
                                                 "%.17g",
                                                 i, t->cells[i], x[i], c->x[i]);
                }
                if ((CsvImpute) how == impute) {
                        ret_r = nr;
                        if (ret)
                                *ret = TAKE_PTR(c);
                }
        }
        return ret_r;
}

static void expect_same(const char *text, size_t len)
{
        (void) expect_same_as(text, len, CSV_IMPUTE_NONE, NULL);
}

#define SAME(literal) expect_same(literal, sizeof(literal) - 1)
#define CASE(literal)                        \
        {                                    \
                literal, sizeof(literal) - 1 \
        }

/* Every input of the tests above and more: the numbers reader must agree with the two-step
 * path on each, whether it reads or fails. */
static void test_csv_read_numbers_same_as_table(void **state)
{
        static const struct {
                const char *text;
                size_t len;
        } cases[] = {
                CASE("\xEF\xBB\xBF\"a,1\",b,\"say "
                     "\"\"hi\"\"\"\r\n1,2,3\r\n\"4\",\"multi\nline\",6\r\n"
                     "7,8,9"),
                CASE("\xEF\xBB\xBF\"a,1\",b,c\r\n1,2,3\r\n\"4\",\"5\",6\r\n7,8,9"),
                CASE("1.5,-2\n\n3e2, 4 \n\r\n"),
                CASE(""),
                CASE("\n\n"),
                CASE("a,b,c\n"),
                CASE("a,b,c\n1,2,3\n4,5\n"),
                CASE("1,2,3\n1,2,3,4\n"),
                CASE("a\n\"1\n"),
                CASE("a,b\n1,\"2\"x\n"),
                CASE("a\n1\0\n"),
                CASE("a,b\n1,2,\n"),
                CASE("a,b,c\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n"
                     "1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,abc\n"),
                CASE("a,b\n1,1e999\n"),
                CASE("a,b\n1,-1e999\n"),
                CASE("a,b\n1,inf\n"),
                CASE("a,b\n1,-Infinity\n"),
                CASE("a,b\n1,0x10\n"),
                CASE("a,b\n1,-0X1p3\n"),
                CASE("a,b\n1,2\n,3\n"),
                CASE("a,b\n1,nan\n"),
                CASE("a,b\n1,\n2,NaN\n"),
                CASE("1,10\n2,20\n,NA\n6,40\n"),
                CASE("1,10\n2,20\n , na \n6,40\n7,\"\"\n"),
                /* a bad cell before a ragged row: the ragged row is reported, as in two steps */
                CASE("a,b\n1,abc\n1,2\n1,2,3\n"),
                CASE("a,b\nx,1\n\"1\n"),
                CASE("1,abc\n"), /* a header, then no data rows */
                CASE("1,2\n3,abc\n"),
                /* numbers safe_atod() takes, or does not */
                CASE("0,-0,+0,0.0,-0.000,00012.500,.5,5.,-.5e-3,+.5E+3\n1,2,3,4,5,6,7,8,9,10\n"),
                CASE("1e5,1E-5,1e+05,1e-0005,1e0000000000000000000000005,0e999999999\n"),
                CASE("1e,1e+,.,-,+,-.,1.5.2\n"),
                CASE("x\n1e\n"),
                CASE("x\n- 5\n"),
                CASE("x\n1 2\n"),
                CASE("x\n\t1.5\t\n"),
                CASE("x\n\"1.5\n\"\n"),
                CASE("x\n\"1.5\r\n\"\n"),
                CASE("x\n\"\n1.5\"\n"),
                CASE("x\n\"1.5\"\"\"\n"),
                CASE("x\n1.5\"\n"),
                CASE("x\n\"\"\n"),
                CASE("9007199254740993,9007199254740995,9007199254740993.0,900719925474099.3e1\n"),
                CASE("18446744073709551615,18446744073709551616,99999999999999999999,1e308,1."
                     "8e308\n"),
                CASE("1e-320,4.9e-324,2e-324,2.2250738585072011e-308,1e-400,-1e-400\n"),
                CASE("0.1,0.2,0.3,1e22,1e23,123456789012345678e-27,1234567890123456789e27\n"),
                CASE("0."
                     "000000000000000000000000000000000000000000000000000000000000000000000000001"
                     "\n"),
                CASE("100000000000000000000000000000000000000000000000000000000000000000000000000"
                     "\n"),
                CASE("x\r1\r2\r\r3"),
                CASE("x\r\n\r\n1\r\n"),
                CASE("\"x\"\"\",\"y\"\n\"1\",\"2\"\n"),
                CASE("a,b\n1,2\n3,\"4\"5\n"),
                CASE("a\xff,b\n1,2\n"),
                CASE("a,b\n1,\xff\n"),
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                expect_same(cases[i].text, cases[i].len);
}

/* The reader's own results, not only agreement: header, shape, numbers, imputation. */
static void test_csv_read_numbers_basic(void **state)
{
        static const char text[] = "\xEF\xBB\xBF"
                                   "\"a,1\",b\r\n1.5,\"-2\"\r\n\r\n,3e2\r\n 4 ,NA";
        _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
        _cleanup_free_ char *err = NULL;

        (void) state;
        assert_int_equal(read_numbers_text(text, sizeof(text) - 1, CSV_IMPUTE_NONE, &c, &err),
                         -EINVAL);
        assert_string_equal(err, "X.csv:4: column 1: an empty value (no imputation asked for)");
        free(TAKE_PTR(err));
        /* column 1: 1.5, 4 and a gap (mean 2.75); column 2: -2, 300 and a gap (mean 149) */
        assert_int_equal(read_numbers_text(text, sizeof(text) - 1, CSV_IMPUTE_MEAN, &c, &err), 0);
        assert_int_equal(c->n_rows, 3);
        assert_int_equal(c->n_cols, 2);
        assert_string_equal(c->header[0], "a,1");
        assert_string_equal(c->header[1], "b");
        assert_true(c->x[0] == 1.5 && c->x[1] == -2);
        assert_true(c->x[2] == 2.75 && c->x[3] == 300);
        assert_true(c->x[4] == 4 && c->x[5] == 149);
}

static void test_csv_read_numbers_errors(void **state)
{
        static const struct {
                const char *text;
                int r;
                const char *msg;
        } cases[] = {
                {"a,b\n1,abc\n1,2\n1,2,3\n", -EINVAL, "X.csv:4: 3 columns, the header has 2"},
                {"a,b\n1,abc\n\"1,2\n", -EINVAL, "X.csv:3: column 1: the quoted field never ends"},
                {"a,b\n1,abc\n1,1e999\n", -EINVAL, "X.csv:2: column 2: 'abc' is not a number"},
                {"a,b\n1,-1e999\n1,abc\n", -ERANGE, "X.csv:2: column 2: '-1e999' is out of range"},
                {"a,b\n1,2\n\n3,\"4\r\n\"\n", -EINVAL,
                 "X.csv:4: column 2: '4\r\n' is not a number"},
                {"a,b\n1,\n2,NaN\n", -EINVAL,
                 "X.csv:2: column 2: an empty value (no imputation "
                 "asked for)"},
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
                _cleanup_free_ char *err = NULL;

                int r = read_numbers_text(cases[i].text, strlen(cases[i].text), CSV_IMPUTE_NONE, &c,
                                          &err);
                assert_int_equal(r, cases[i].r);
                assert_null(c);
                assert_string_equal(err, cases[i].msg);
                expect_same(cases[i].text, strlen(cases[i].text));
        }
}

/* Round to nearest even where the value is halfway: 2^53 + 1 and 2^53 + 3 lie halfway between
 * doubles (spacing 2 there). 6.64e27 = 664 * 10^25 is where the 64-bit intermediate of the
 * fast conversion rounds to a halfway point between two doubles, and the second rounding
 * would go the wrong way (to 6.6400000000000006e+27); the compiler's conversion of the
 * literal is the correctly rounded one. */
static void test_csv_read_numbers_rounding(void **state)
{
        static const char text[] = "9007199254740993,9007199254740995,0.1,-0.3,1e23,"
                                   "123456789012345678e-27,-0,-6.64e27\n";
        _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
        _cleanup_free_ char *err = NULL;

        (void) state;
        assert_int_equal(read_numbers_text(text, sizeof(text) - 1, CSV_IMPUTE_NONE, &c, &err), 0);
        assert_true(c->x[0] == 9007199254740992.0);
        assert_true(c->x[1] == 9007199254740996.0);
        assert_true(c->x[2] == 0.1 && c->x[3] == -0.3 && c->x[4] == 1e23);
        assert_true(c->x[5] == 123456789012345678e-27);
        assert_true(c->x[6] == 0 && signbit(c->x[6]));
        assert_true(c->x[7] == -6.64e27);
        SAME(text);
}

/* Thousands of rows of random doubles written with 17, 19 and 15 significant digits and in
 * other shapes: %.17g reads back to the same double; every cell agrees with safe_atod() (the
 * two-step path) bit for bit. */
static void test_csv_read_numbers_random(void **state)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0, n = 4000;
        _cleanup_fclose_ FILE *w = open_memstream(&text, &len);
        _cleanup_free_ double *want = xnew(double, n * 4);
        _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
        Rng rng;

        (void) state;
        rng_seed(&rng, 7);
        fprintf(w, "a,b,c,d,e,f\r\n");
        for (size_t i = 0; i < n; i++) {
                uint64_t bits = rng_next(&rng);
                double v;
                memcpy(&v, &bits, sizeof(v));
                if (!isfinite(v))
                        v = (double) i;
                double u = rng_uniform(&rng, -1000, 1000);
                double s = rng_uniform(&rng, -1, 1) * 1e-7;
                double g = rng_uniform(&rng, 0, 1);
                want[i * 4] = v;
                want[i * 4 + 1] = u;
                want[i * 4 + 2] = s;
                want[i * 4 + 3] = g;
                fprintf(w, "%.17g,\"%.17g\",%.17g,%.17g,%.19g,%.15e\r\n", v, u, s, g, u, s);
        }
        assert_int_equal(fflush(w), 0);
        assert_int_equal(expect_same_as(text, len, CSV_IMPUTE_NONE, &c), 0);
        assert_int_equal(c->n_rows, n);
        assert_int_equal(c->n_cols, 6);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < 4; j++)
                        if (memcmp(&c->x[i * 6 + j], &want[i * 4 + j], sizeof(double)) != 0)
                                fail_msg("row %zu column %zu: %.17g, not %.17g", i, j,
                                         c->x[i * 6 + j], want[i * 4 + j]);
        /* random digit strings of 1 to 20 digits with exponents to +-35 */
        _cleanup_free_ char *text2 = NULL;
        size_t len2 = 0;
        _cleanup_fclose_ FILE *w2 = open_memstream(&text2, &len2);
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < 8; j++) {
                        unsigned nd = 1 + (unsigned) rng_below(&rng, 20);
                        fprintf(w2, j ? "," : "");
                        if (rng_below(&rng, 2))
                                fputc('-', w2);
                        for (unsigned k = 0; k < nd; k++) {
                                if (k == nd / 2 && rng_below(&rng, 2))
                                        fputc('.', w2);
                                fputc('0' + (int) rng_below(&rng, 10), w2);
                        }
                        fprintf(w2, "e%d", (int) rng_below(&rng, 71) - 35);
                }
                fputc('\n', w2);
        }
        assert_int_equal(fflush(w2), 0);
        assert_int_equal(expect_same_as(text2, len2, CSV_IMPUTE_NONE, NULL), 0);
}

/* A row longer than the read buffer (64 KiB), with a header cell and a number cell longer
 * than it too. */
static void test_csv_read_numbers_long_rows(void **state)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0, cols = 30000;
        _cleanup_fclose_ FILE *w = open_memstream(&text, &len);
        _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;

        (void) state;
        for (size_t j = 0; j < cols; j++)
                fprintf(w, "%scol%zu", j ? "," : "", j);
        fputs(",\"", w);
        for (size_t k = 0; k < 70000; k++)
                fputc('h', w);
        fprintf(w, "\"\n");
        for (size_t i = 0; i < 3; i++) {
                for (size_t j = 0; j < cols; j++)
                        fprintf(w, "%zu.25,", i * cols + j);
                for (size_t k = 0; k < 70000; k++) /* leading zeros: still 1.5 */
                        fputc('0', w);
                fprintf(w, "%s\r\n", i == 1 ? "1.5" : "2.5");
        }
        assert_int_equal(fflush(w), 0);
        assert_true(len > 3 * 65536);
        assert_int_equal(expect_same_as(text, len, CSV_IMPUTE_NONE, &c), 0);
        assert_int_equal(c->n_rows, 3);
        assert_int_equal(c->n_cols, cols + 1);
        assert_int_equal(strlen(c->header[cols]), 70000);
        for (size_t i = 0; i < 3; i++) {
                for (size_t j = 0; j < cols; j++)
                        assert_true(c->x[i * (cols + 1) + j] == (double) (i * cols + j) + 0.25);
                assert_true(c->x[i * (cols + 1) + cols] == (i == 1 ? 1.5 : 2.5));
        }
}

/* Every tricky spot of the grammar cut by the read buffer's edge (64 KiB): a CRLF, a ""
 * escape, a closing quote, a quoted CRLF, blanks and newlines inside quotes, a number, at
 * each offset. The quoted CRLF after a number ("5\r\n6", "4\r\n") is not a number: a trailing
 * newline is blank to safe_atod(), a CR is not. */
static void test_csv_read_numbers_chunk_edges(void **state)
{
        static const char bad[] =
                "\"1.5\",\"2\"\"\"\r\n\"3.25\n\",-4e-2\r\n\"5\r\n6\",7\r\n8,\"9\"";
        static const char good[] = "\"1.5\",\"2\"\r\n\"3.25\n\",-4e-2\r\n\"\t5\n\n\",7\r\n8,\"9\"";

        (void) state;
        for (size_t pad = 0; pad < 48; pad++) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0, start = 65536 - 40 + pad;
                _cleanup_fclose_ FILE *w = open_memstream(&text, &len);
                _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;

                fprintf(w, "x,y\r\n");
                /* fflush() updates len (open_memstream). */
                for (size_t i = 0;; i++) {
                        if (len + 40 >= start)
                                break;
                        fprintf(w, "%zu,%zu.5\r\n", i, pad);
                        assert_int_equal(fflush(w), 0);
                }
                while (len < start) { /* blank lines, to land exactly */
                        fputc('\n', w);
                        assert_int_equal(fflush(w), 0);
                }
                _cleanup_free_ char *t1 = xasprintf("%s%s", text, bad);
                _cleanup_free_ char *t2 = xasprintf("%s%s", text, good);
                assert_int_equal(expect_same_as(t1, strlen(t1), CSV_IMPUTE_NONE, NULL), -EINVAL);
                assert_int_equal(expect_same_as(t2, strlen(t2), CSV_IMPUTE_NONE, &c), 0);
                const double *x = c->x + (c->n_rows - 4) * 2;
                assert_true(x[0] == 1.5 && x[1] == 2 && x[2] == 3.25 && x[3] == -4e-2);
                assert_true(x[4] == 5 && x[5] == 7 && x[6] == 8 && x[7] == 9);
        }
}

static void test_csv_read_numbers_path(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/in.csv", dir);
        _cleanup_free_ char *missing = xasprintf("%s/none.csv", dir);
        _cleanup_free_ char *want =
                xasprintf("cannot open '%s': No such file or directory", missing);
        _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
        _cleanup_free_ char *err = NULL;
        FILE *f;

        (void) state;
        assert_int_equal(csv_read_numbers_path(missing, CSV_IMPUTE_NONE, &c, &err), -ENOENT);
        assert_string_equal(err, want);
        free(TAKE_PTR(err));
        assert_non_null(f = fopen(path, "we"));
        fputs("a\n1\nx\n", f);
        assert_int_equal(fclose(f), 0);
        _cleanup_free_ char *want2 = xasprintf("%s:3: column 1: 'x' is not a number", path);
        assert_int_equal(csv_read_numbers_path(path, CSV_IMPUTE_NONE, &c, &err), -EINVAL);
        assert_string_equal(err, want2);
        free(TAKE_PTR(err));
        assert_non_null(f = fopen(path, "we"));
        fputs("a\n1\n2\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(csv_read_numbers_path(path, CSV_IMPUTE_NONE, &c, &err), 0);
        assert_true(c->n_rows == 2 && c->x[1] == 2);
        test_rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_csv_read_table_rfc4180),
                cmocka_unit_test(test_csv_read_table_no_header),
                cmocka_unit_test(test_csv_read_table_errors),
                cmocka_unit_test(test_csv_read_table_too_many_columns),
                cmocka_unit_test(test_csv_table_numbers_errors),
                cmocka_unit_test(test_csv_table_numbers_impute),
                cmocka_unit_test(test_csv_read_table_big),
                cmocka_unit_test(test_csv_read_numbers_same_as_table),
                cmocka_unit_test(test_csv_read_numbers_basic),
                cmocka_unit_test(test_csv_read_numbers_errors),
                cmocka_unit_test(test_csv_read_numbers_rounding),
                cmocka_unit_test(test_csv_read_numbers_random),
                cmocka_unit_test(test_csv_read_numbers_long_rows),
                cmocka_unit_test(test_csv_read_numbers_chunk_edges),
                cmocka_unit_test(test_csv_read_numbers_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

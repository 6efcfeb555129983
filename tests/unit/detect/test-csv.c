#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/csv.h"
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

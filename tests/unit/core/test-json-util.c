#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json-util.h"
#include "test-util.h"

static char *dump(const json_t *j)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(json_print(j, f), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_json_print_compact_newline(void **state)
{
        json_auto_t *o = json_pack("{s:i,s:f,s:[s,n]}", "a", 1, "b", 0.1, "c", "x");

        (void) state;
        _cleanup_free_ char *s = dump(o);
        assert_string_equal(s, "{\"a\":1,\"b\":0.1,\"c\":[\"x\",null]}\n");
}

static void test_json_print_write_error(void **state)
{
        json_auto_t *o = json_pack("{s:s}", "a", "b");

        (void) state;
        FILE *f = fopen("/dev/full", "we");
        if (!f)
                skip();
        assert_int_equal(json_print(o, f), -ENOSPC);
        (void) fclose(f);
}

static void test_json_double_or_null_nonfinite(void **state)
{
        (void) state;
        json_auto_t *a = json_double_or_null(NAN);
        json_auto_t *b = json_double_or_null(INFINITY);
        json_auto_t *c = json_double_or_null(-INFINITY);
        json_auto_t *d = json_double_or_null(1.5);
        assert_true(json_is_null(a));
        assert_true(json_is_null(b));
        assert_true(json_is_null(c));
        assert_true(json_is_real(d));
        assert_true(json_real_value(d) == 1.5);
}

static void test_json_time_rfc3339_values(void **state)
{
        (void) state;
        json_auto_t *a = json_time_rfc3339(INT64_C(1700000000123));
        assert_string_equal(json_string_value(a), "2023-11-14T22:13:20.123Z");
        json_auto_t *b = json_time_rfc3339(-1);
        assert_string_equal(json_string_value(b), "1969-12-31T23:59:59.999Z");
}

static void test_json_string_lossy_invalid(void **state)
{
        (void) state;
        json_auto_t *a = json_string_lossy("nginx");
        assert_string_equal(json_string_value(a), "nginx");
        json_auto_t *b = json_string_lossy("bad\xff\xfe name\xe4\xb8");
        assert_string_equal(json_string_value(b), "bad\xef\xbf\xbd\xef\xbf\xbd name\xef\xbf\xbd"
                                                  "\xef\xbf\xbd");
        json_auto_t *c = json_string_lossy("中文");
        assert_string_equal(json_string_value(c), "中文");
        json_auto_t *d = json_string_lossy(NULL);
        assert_string_equal(json_string_value(d), "");
        json_auto_t *o = json_object();
        assert_int_equal(json_object_set_new(o, "comm", json_string_lossy("\xc0\x80")), 0);
        assert_string_equal(json_string_value(json_object_get(o, "comm")),
                            "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_json_str_or_null_null(void **state)
{
        (void) state;
        json_auto_t *a = json_str_or_null(NULL);
        assert_true(json_is_null(a));
        json_auto_t *b = json_str_or_null("x");
        assert_string_equal(json_string_value(b), "x");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_print_compact_newline),
                cmocka_unit_test(test_json_print_write_error),
                cmocka_unit_test(test_json_double_or_null_nonfinite),
                cmocka_unit_test(test_json_time_rfc3339_values),
                cmocka_unit_test(test_json_string_lossy_invalid),
                cmocka_unit_test(test_json_str_or_null_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

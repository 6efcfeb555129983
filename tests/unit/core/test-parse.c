#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/parse.h"
#include "test-util.h"

static void test_parse_u64_advances(void **state)
{
        const char *p = "  123 456x";
        uint64_t v;

        (void) state;
        assert_int_equal(parse_u64(&p, &v), 0);
        assert_int_equal(v, 123);
        assert_string_equal(p, " 456x");
        assert_int_equal(parse_u64(&p, &v), 0);
        assert_int_equal(v, 456);
        assert_string_equal(p, "x");
        assert_int_equal(parse_u64(&p, &v), -EINVAL);
        assert_string_equal(p, "x");
}

static void test_parse_u64_overflow(void **state)
{
        const char *p = "18446744073709551615", *q = "18446744073709551616";
        uint64_t v = 7;

        (void) state;
        assert_int_equal(parse_u64(&p, &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(parse_u64(&q, &v), -ERANGE);
        assert_string_equal(q, "18446744073709551616"); /* unchanged on failure */
        const char *neg = "-1";
        assert_int_equal(parse_u64(&neg, &v), -EINVAL);
}

static void test_parse_i64_limits(void **state)
{
        int64_t v;
        const char *a = "-9223372036854775808", *b = "9223372036854775808", *c = "- 5";
        const char *d = "+42", *e = "-";

        (void) state;
        assert_int_equal(parse_i64(&a, &v), 0);
        assert_true(v == INT64_MIN);
        assert_int_equal(parse_i64(&b, &v), -ERANGE);
        assert_int_equal(parse_i64(&c, &v), -EINVAL);
        assert_int_equal(parse_i64(&d, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_i64(&e, &v), -EINVAL);
        assert_string_equal(e, "-");
}

static void test_parse_hex_u64_values(void **state)
{
        uint64_t v;
        const char *a = "fFff 1", *b = "ffffffffffffffff", *c = "10000000000000000", *d = "xyz";

        (void) state;
        assert_int_equal(parse_hex_u64(&a, &v), 0);
        assert_int_equal(v, 0xffff);
        assert_string_equal(a, " 1");
        assert_int_equal(parse_hex_u64(&b, &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(parse_hex_u64(&c, &v), -ERANGE);
        assert_int_equal(parse_hex_u64(&d, &v), -EINVAL);
}

static void test_parse_double_values(void **state)
{
        double v;
        const char *a = " 1.5 x", *b = "-2", *c = "3e4", *d = ".25";

        (void) state;
        assert_int_equal(parse_double(&a, &v), 0);
        assert_true(v == 1.5);
        assert_string_equal(a, " x");
        assert_int_equal(parse_double(&b, &v), 0);
        assert_true(v == -2);
        assert_int_equal(parse_double(&c, &v), 0);
        assert_true(v == 30000);
        assert_int_equal(parse_double(&d, &v), 0);
        assert_true(v == 0.25);
}

static void test_parse_double_rejects_special(void **state)
{
        static const char *const bad[] = {"nan",   "inf", "-inf", "+nan", "-Infinity", "0x1p3",
                                          "-0x10", "\n1", "",     ".",    "e5"};
        double v;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *p = bad[i];
                assert_int_equal(parse_double(&p, &v), -EINVAL);
                assert_ptr_equal(p, bad[i]);
        }
        const char *big = "1e999";
        assert_int_equal(parse_double(&big, &v), -ERANGE);
}

static void test_parse_double_ignores_locale(void **state)
{
        double v;

        (void) state;
        /* de_DE uses a decimal comma; parse_double must not care. Skip where not installed. */
        if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8"))
                skip();
        assert_int_equal(safe_atod("1.5", &v), 0);
        assert_true(v == 1.5);
        (void) setlocale(LC_NUMERIC, "C");
}

static void test_parse_skip_fields_and_words(void **state)
{
        const char *p = "a bb\tccc d\nnext";
        const char *w;

        (void) state;
        assert_int_equal(parse_skip_fields(&p, 2), 0);
        assert_string_equal(p, "ccc d\nnext");
        assert_int_equal(parse_word(&p, &w), 3);
        assert_memory_equal(w, "ccc", 3);
        assert_int_equal(parse_skip_fields(&p, 2), -EINVAL);
        assert_string_equal(p, " d\nnext");
        parse_skip_line(&p);
        assert_string_equal(p, "next");
        parse_skip_line(&p);
        assert_string_equal(p, "");
        assert_int_equal(parse_word(&p, &w), 0);
        const char *q = " \t x";
        assert_int_equal(parse_skip_blanks(&q), 3);
        assert_true(parse_startswith("MemTotal:", "Mem"));
        assert_false(parse_startswith("Me", "Mem"));
}

static void test_safe_atou64_whole_string(void **state)
{
        uint64_t v;
        int64_t i;
        unsigned u;
        int n;

        (void) state;
        assert_int_equal(safe_atou64(" 42 \n", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(safe_atou64("42x", &v), -EINVAL);
        assert_int_equal(safe_atou64("", &v), -EINVAL);
        assert_int_equal(safe_atou64(NULL, &v), -EINVAL);
        assert_int_equal(safe_atoi64("-7", &i), 0);
        assert_int_equal(i, -7);
        assert_int_equal(safe_atou("4294967295", &u), 0);
        assert_int_equal(safe_atou("4294967296", &u), -ERANGE);
        assert_int_equal(safe_atoi("-2147483648", &n), 0);
        assert_int_equal(n, INT32_MIN);
        assert_int_equal(safe_atoi("2147483648", &n), -ERANGE);
}

static void test_parse_size_bytes_units(void **state)
{
        uint64_t v;

        (void) state;
        assert_int_equal(parse_size_bytes("512", &v), 0);
        assert_int_equal(v, 512);
        assert_int_equal(parse_size_bytes("4k", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size_bytes("16M", &v), 0);
        assert_int_equal(v, 16 << 20);
        assert_int_equal(parse_size_bytes("2 GiB", &v), 0);
        assert_int_equal(v, UINT64_C(2) << 30);
        assert_int_equal(parse_size_bytes("1T", &v), 0);
        assert_int_equal(v, UINT64_C(1) << 40);
        assert_int_equal(parse_size_bytes("100b", &v), 0);
        assert_int_equal(v, 100);
        assert_int_equal(parse_size_bytes("16E", &v), -ERANGE);
        assert_int_equal(parse_size_bytes("3X", &v), -EINVAL);
        assert_int_equal(parse_size_bytes("1KK", &v), -EINVAL);
        assert_int_equal(parse_size_bytes("-1", &v), -EINVAL);
        assert_int_equal(parse_size_bytes("\xe4k", &v), -EINVAL);
}

static void test_parse_boolean_words(void **state)
{
        bool b;

        (void) state;
        assert_int_equal(parse_boolean("YES", &b), 0);
        assert_true(b);
        assert_int_equal(parse_boolean("off", &b), 0);
        assert_false(b);
        assert_int_equal(parse_boolean("0", &b), 0);
        assert_false(b);
        assert_int_equal(parse_boolean("maybe", &b), -EINVAL);
        assert_int_equal(parse_boolean(NULL, &b), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_u64_advances),
                cmocka_unit_test(test_parse_u64_overflow),
                cmocka_unit_test(test_parse_i64_limits),
                cmocka_unit_test(test_parse_hex_u64_values),
                cmocka_unit_test(test_parse_double_values),
                cmocka_unit_test(test_parse_double_rejects_special),
                cmocka_unit_test(test_parse_double_ignores_locale),
                cmocka_unit_test(test_parse_skip_fields_and_words),
                cmocka_unit_test(test_safe_atou64_whole_string),
                cmocka_unit_test(test_parse_size_bytes_units),
                cmocka_unit_test(test_parse_boolean_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

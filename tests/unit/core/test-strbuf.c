#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "test-util.h"

static void test_strbuf_append_grows(void **state)
{
        _cleanup_(strbuf_done) StrBuf b = {};

        (void) state;
        assert_string_equal(strbuf_str(&b), "");
        for (int i = 0; i < 1000; i++)
                assert_int_equal(strbuf_puts(&b, "abc"), 0);
        assert_int_equal(b.len, 3000);
        assert_int_equal(strlen(strbuf_str(&b)), 3000);
        assert_true(b.cap > b.len);
        assert_int_equal(strbuf_putc(&b, 'x'), 0);
        assert_int_equal(b.data[3000], 'x');
        assert_int_equal(b.data[3001], '\0');
        assert_int_equal(strbuf_append(&b, NULL, 0), 0);
        assert_int_equal(b.len, 3001);
}

static void test_strbuf_printf_formats(void **state)
{
        _cleanup_(strbuf_done) StrBuf b = {};

        (void) state;
        assert_int_equal(strbuf_printf(&b, "%s=%d", "a", 42), 0);
        assert_int_equal(strbuf_printf(&b, ",%05.1f", 3.14159), 0);
        assert_string_equal(strbuf_str(&b), "a=42,003.1");
        assert_int_equal(b.len, 10);
        assert_int_equal(strbuf_printf(&b, "%s", ""), 0);
        assert_int_equal(b.len, 10);
}

static void test_strbuf_reserve_cap(void **state)
{
        _cleanup_(strbuf_done) StrBuf b = {.max = 8};

        (void) state;
        assert_int_equal(strbuf_puts(&b, "12345678"), 0);
        assert_int_equal(strbuf_putc(&b, '9'), -EFBIG);
        assert_string_equal(strbuf_str(&b), "12345678"); /* unchanged by the failure */
        assert_true(b.cap <= 9);
        assert_int_equal(strbuf_printf(&b, "%d", 1), -EFBIG);
        assert_int_equal(strbuf_reserve(&b, SIZE_MAX), -EFBIG);
        strbuf_reset(&b);
        assert_int_equal(b.len, 0);
        assert_string_equal(strbuf_str(&b), "");
        assert_int_equal(strbuf_puts(&b, "abc"), 0);
        assert_string_equal(strbuf_str(&b), "abc");
}

static void test_strbuf_steal_empties(void **state)
{
        StrBuf b = {};

        (void) state;
        _cleanup_free_ char *empty = strbuf_steal(&b);
        assert_string_equal(empty, "");
        assert_int_equal(strbuf_puts(&b, "hello"), 0);
        _cleanup_free_ char *s = strbuf_steal(&b);
        assert_string_equal(s, "hello");
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        assert_int_equal(b.cap, 0);
        strbuf_done(&b);
        strbuf_done(&b); /* idempotent */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strbuf_append_grows),
                cmocka_unit_test(test_strbuf_printf_formats),
                cmocka_unit_test(test_strbuf_reserve_cap),
                cmocka_unit_test(test_strbuf_steal_empties),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

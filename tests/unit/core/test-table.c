#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json-util.h"
#include "core/table.h"
#include "test-util.h"

/* Prints t into a string (a memstream has no fd: not a TTY, so no colour and no width). */
static char *print(const Table *t, OutputFormat fmt, const TablePrintOptions *opt)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(table_print(t, f, fmt, opt), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static Table *make_ps(void)
{
        Table *t = table_new((const char *const[]){"PID", "NAME", "%CPU", "RSS", NULL});

        table_add_u64(t, 1);
        table_add_str(t, "systemd");
        table_add_percent(t, 0.5);
        table_add_bytes(t, 2.5 * 1024 * 1024);

        table_add_u64(t, 4242);
        table_add_str(t, "中文进程");
        table_add_percent(t, 12.25);
        table_add_bytes(t, 512);

        table_add_u64(t, 77);
        table_add_str(t, NULL);
        table_add_percent(t, NAN);
        table_add_bytes(t, NAN);
        return t;
}

static void test_table_print_plain(void **state)
{
        _cleanup_(table_freep) Table *t = make_ps();
        const TablePrintOptions opt = {.style = TABLE_STYLE_PLAIN, .width = -1};

        (void) state;
        assert_int_equal(table_rows(t), 3);
        _cleanup_free_ char *s = print(t, OUTPUT_HUMAN, &opt);
        assert_string_equal(s, " PID  NAME       %CPU   RSS\n"
                               "   1  systemd    0.5%  2.5M\n"
                               "4242  中文进程  12.2%   512\n"
                               "  77  -             -     -\n");
}

static void test_table_print_box(void **state)
{
        _cleanup_(table_freep) Table *t = make_ps();
        const TablePrintOptions opt = {.style = TABLE_STYLE_BOX, .width = -1};

        (void) state;
        _cleanup_free_ char *s = print(t, OUTPUT_HUMAN, &opt);
        assert_string_equal(s, "┌──────┬──────────┬───────┬──────┐\n"
                               "│  PID │ NAME     │  %CPU │  RSS │\n"
                               "├──────┼──────────┼───────┼──────┤\n"
                               "│    1 │ systemd  │  0.5% │ 2.5M │\n"
                               "│ 4242 │ 中文进程 │ 12.2% │  512 │\n"
                               "│   77 │ -        │     - │    - │\n"
                               "└──────┴──────────┴───────┴──────┘\n");
}

static void test_table_print_plain_shrinks_flexible(void **state)
{
        _cleanup_(table_freep) Table *t = table_new((const char *const[]){"PID", "COMMAND", NULL});
        const TablePrintOptions opt = {.width = 16};

        (void) state;
        table_set_flexible(t, 1);
        table_add_u64(t, 1);
        table_add_str(t, "/sbin/init splash");
        table_add_u64(t, 2);
        table_add_str(t, "中文中文中文中文");
        _cleanup_free_ char *s = print(t, OUTPUT_HUMAN, &opt);
        assert_string_equal(s, "PID  COMMAND\n"
                               "  1  /sbin/init…\n"
                               "  2  中文中文中…\n");
}

static void test_table_print_shrinks_widest_then_stops(void **state)
{
        _cleanup_(table_freep) Table *t = table_new((const char *const[]){"A", "B", NULL});
        const TablePrintOptions opt = {.width = 6};

        (void) state;
        table_add_str(t, "aaaaaa");
        table_add_str(t, "bbbbbbbb");
        /* 6 + 2 + 8 = 16 columns: B shrinks first (widest), then both alternate */
        _cleanup_free_ char *s = print(t, OUTPUT_HUMAN, &opt);
        assert_string_equal(s, "A   B\n"
                               "a…  b…\n");
}

static void test_table_set_max_width_and_align(void **state)
{
        _cleanup_(table_freep) Table *t = table_new((const char *const[]){"NAME", "N", NULL});
        const TablePrintOptions opt = {.width = -1};

        (void) state;
        table_set_max_width(t, 0, 5);
        table_set_align(t, 1, TABLE_ALIGN_LEFT);
        table_add_str(t, "abcdefgh");
        table_add_i64(t, -5);
        table_add_str(t, "ab");
        table_add_i64(t, 100);
        _cleanup_free_ char *s = print(t, OUTPUT_HUMAN, &opt);
        assert_string_equal(s, "NAME   N\n"
                               "abcd…  -5\n"
                               "ab     100\n");
}

static void test_table_print_sanitizes_controls(void **state)
{
        _cleanup_(table_freep) Table *t = table_new((const char *const[]){"NAME", NULL});

        (void) state;
        table_add_str(t, "x\x1b[2Jy\n");
        table_add_str(t, "bad\xff");
        _cleanup_free_ char *s = print(t, OUTPUT_HUMAN, NULL);
        assert_string_equal(s, "NAME\n"
                               "x?[2Jy?\n"
                               "bad\xef\xbf\xbd\n");
}

static void test_table_print_csv_quoting(void **state)
{
        _cleanup_(table_freep) Table *t =
                table_new((const char *const[]){"NAME", "CMD", "BYTES", "PCT", NULL});

        (void) state;
        table_add_str(t, "a,b");
        table_add_str(t, "say \"hi\"");
        table_add_bytes(t, 1536.4);
        table_add_percent(t, 12.25);

        table_add_str(t, " lead");
        table_add_str(t, "two\nlines");
        table_add_bytes(t, NAN);
        table_add_null(t);

        table_add_str(t, "plain");
        table_add_str(t, "");
        table_add_bytes(t, 0);
        table_add_percent(t, 0.1);
        _cleanup_free_ char *s = print(t, OUTPUT_CSV, NULL);
        assert_string_equal(s, "NAME,CMD,BYTES,PCT\n"
                               "\"a,b\",\"say \"\"hi\"\"\",1536,12.25\n"
                               "\" lead\",\"two\nlines\",,\n"
                               "plain,,0,0.1\n");
}

static void test_table_print_csv_no_header(void **state)
{
        _cleanup_(table_freep) Table *t = table_new((const char *const[]){"T", "X", NULL});
        const TablePrintOptions opt = {.no_header = true};

        (void) state;
        table_add_time(t, INT64_C(1700000000123));
        table_add_double(t, 2.0 / 3.0, 2);
        _cleanup_free_ char *s = print(t, OUTPUT_CSV, &opt);
        assert_string_equal(s, "2023-11-14T22:13:20.123Z,0.6666666666666666\n");
}

static void test_table_to_json_types(void **state)
{
        _cleanup_(table_freep) Table *t = make_ps();

        (void) state;
        json_auto_t *j = table_to_json(t);
        assert_int_equal(json_array_size(j), 3);
        json_t *r0 = json_array_get(j, 0);
        assert_true(json_is_integer(json_object_get(r0, "pid")));
        assert_int_equal(json_integer_value(json_object_get(r0, "pid")), 1);
        assert_string_equal(json_string_value(json_object_get(r0, "name")), "systemd");
        assert_true(json_is_real(json_object_get(r0, "cpu")));
        assert_true(json_real_value(json_object_get(r0, "cpu")) == 0.5);
        assert_int_equal(json_integer_value(json_object_get(r0, "rss")), 2621440);
        json_t *r2 = json_array_get(j, 2);
        assert_true(json_is_null(json_object_get(r2, "name")));
        assert_true(json_is_null(json_object_get(r2, "cpu")));
        assert_true(json_is_null(json_object_get(r2, "rss")));
}

static void test_table_print_json_compact(void **state)
{
        _cleanup_(table_freep) Table *t =
                table_new((const char *const[]){"When", "RSS (MiB)", "big", "name", NULL});

        (void) state;
        table_add_time(t, 0);
        table_add_double(t, 0.1, 1);
        table_add_u64(t, UINT64_MAX);
        table_add_str(t, "bad\xff");
        table_add_i64(t, -1); /* an unfinished row: the rest is null */
        _cleanup_free_ char *s = print(t, OUTPUT_JSON, NULL);
        assert_string_equal(s, "[{\"when\":\"1970-01-01T00:00:00.000Z\",\"rss_mib\":0.1,"
                               "\"big\":1.84467440737096e19,\"name\":\"bad\uFFFD\"},"
                               "{\"when\":-1,\"rss_mib\":null,\"big\":null,\"name\":null}]\n");
}

static void test_table_new_json_keys(void **state)
{
        _cleanup_(table_freep) Table *t =
                table_new((const char *const[]){"%CPU", "--", "Start Time", NULL});

        (void) state;
        assert_int_equal(table_columns(t), 3);
        table_add_null(t);
        table_add_null(t);
        table_add_null(t);
        json_auto_t *j = table_to_json(t);
        json_t *o = json_array_get(j, 0);
        assert_non_null(json_object_get(o, "cpu"));
        assert_non_null(json_object_get(o, "col1"));
        assert_non_null(json_object_get(o, "start_time"));
}

static void test_table_print_empty(void **state)
{
        _cleanup_(table_freep) Table *t = table_new((const char *const[]){"A", "BB", NULL});
        const TablePrintOptions box = {.style = TABLE_STYLE_BOX};

        (void) state;
        assert_int_equal(table_rows(t), 0);
        _cleanup_free_ char *a = print(t, OUTPUT_HUMAN, NULL);
        assert_string_equal(a, "A  BB\n");
        _cleanup_free_ char *b = print(t, OUTPUT_HUMAN, &box);
        assert_string_equal(b, "┌───┬────┐\n"
                               "│ A │ BB │\n"
                               "├───┼────┤\n"
                               "└───┴────┘\n");
        _cleanup_free_ char *c = print(t, OUTPUT_JSON, NULL);
        assert_string_equal(c, "[]\n");
}

static void test_table_format_bytes_units(void **state)
{
        char buf[16];

        (void) state;
        assert_string_equal(table_format_bytes(0, buf, sizeof(buf)), "0");
        assert_string_equal(table_format_bytes(512, buf, sizeof(buf)), "512");
        assert_string_equal(table_format_bytes(1023, buf, sizeof(buf)), "1023");
        assert_string_equal(table_format_bytes(1024, buf, sizeof(buf)), "1.0K");
        assert_string_equal(table_format_bytes(1536, buf, sizeof(buf)), "1.5K");
        assert_string_equal(table_format_bytes(10189, buf, sizeof(buf)), "10K");
        assert_string_equal(table_format_bytes(512 * 1024, buf, sizeof(buf)), "512K");
        assert_string_equal(table_format_bytes(1023.9 * 1024, buf, sizeof(buf)), "1.0M");
        assert_string_equal(table_format_bytes(1.2 * 1024 * 1024 * 1024, buf, sizeof(buf)), "1.2G");
        assert_string_equal(table_format_bytes(-2048, buf, sizeof(buf)), "-2.0K");
        assert_string_equal(table_format_bytes(1e30, buf, sizeof(buf)), "867361737988E");
        assert_string_equal(table_format_bytes(NAN, buf, sizeof(buf)), "-");
}

static void test_panel_print_box(void **state)
{
        _cleanup_(panel_freep) Panel *p = panel_new("System");
        char *buf = NULL;
        size_t len = 0;

        (void) state;
        panel_add(p, "Host", "%s", "web-1");
        panel_add(p, "Uptime", "%dd %dh", 3, 4);
        panel_add_section(p, "Memory");
        panel_add(p, "名前", "%s", "中文");
        panel_set_width(p, -1);
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(panel_print(p, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(buf, "┌─ System ──────┐\n"
                                 "│ Host    web-1 │\n"
                                 "│ Uptime  3d 4h │\n"
                                 "├─ Memory ──────┤\n"
                                 "│ 名前    中文  │\n"
                                 "└───────────────┘\n");
        free(buf);
}

static void test_panel_print_truncates(void **state)
{
        _cleanup_(panel_freep) Panel *p = panel_new("A long title here");
        char *buf = NULL;
        size_t len = 0;

        (void) state;
        panel_add(p, "Key", "%s", "a value that is far too long");
        panel_set_width(p, 16);
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(panel_print(p, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(buf, "┌─ A long tit… ┐\n"
                                 "│ Key  a valu… │\n"
                                 "└──────────────┘\n");
        free(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_print_plain),
                cmocka_unit_test(test_table_print_box),
                cmocka_unit_test(test_table_print_plain_shrinks_flexible),
                cmocka_unit_test(test_table_print_shrinks_widest_then_stops),
                cmocka_unit_test(test_table_set_max_width_and_align),
                cmocka_unit_test(test_table_print_sanitizes_controls),
                cmocka_unit_test(test_table_print_csv_quoting),
                cmocka_unit_test(test_table_print_csv_no_header),
                cmocka_unit_test(test_table_to_json_types),
                cmocka_unit_test(test_table_print_json_compact),
                cmocka_unit_test(test_table_new_json_keys),
                cmocka_unit_test(test_table_print_empty),
                cmocka_unit_test(test_table_format_bytes_units),
                cmocka_unit_test(test_panel_print_box),
                cmocka_unit_test(test_panel_print_truncates),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time-util.h"
#include "test-util.h"

static int setup_utc(void **state)
{
        (void) state;
        /* local-time functions are tested in UTC and in a zone with an offset */
        (void) setenv("TZ", "UTC", 1);
        tzset();
        return 0;
}

static void test_time_parse_duration_ms_units(void **state)
{
        int64_t v;

        (void) state;
        assert_int_equal(time_parse_duration_ms("500ms", &v), 0);
        assert_int_equal(v, 500);
        assert_int_equal(time_parse_duration_ms("30s", &v), 0);
        assert_int_equal(v, 30000);
        assert_int_equal(time_parse_duration_ms("30", &v), 0);
        assert_int_equal(v, 30000);
        assert_int_equal(time_parse_duration_ms("5m", &v), 0);
        assert_int_equal(v, 300000);
        assert_int_equal(time_parse_duration_ms("5min", &v), 0);
        assert_int_equal(v, 300000);
        assert_int_equal(time_parse_duration_ms("1h30m", &v), 0);
        assert_int_equal(v, 5400000);
        assert_int_equal(time_parse_duration_ms(" 1h 30m ", &v), 0);
        assert_int_equal(v, 5400000);
        assert_int_equal(time_parse_duration_ms("7d", &v), 0);
        assert_int_equal(v, 7 * MSEC_PER_DAY);
        assert_int_equal(time_parse_duration_ms("1w", &v), 0);
        assert_int_equal(v, 7 * MSEC_PER_DAY);
        assert_int_equal(time_parse_duration_ms("2sec", &v), 0);
        assert_int_equal(v, 2000);
}

static void test_time_parse_duration_ms_invalid(void **state)
{
        static const char *const bad[] = {"",     "  ",   "fast", "5x",  "-5s",
                                          "1.5h", "1h30", "s",    "5 s", "5mm"};
        int64_t v = 42;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(time_parse_duration_ms(bad[i], &v), -EINVAL);
        assert_int_equal(v, 42);
        assert_int_equal(time_parse_duration_ms(NULL, &v), -EINVAL);
        assert_int_equal(time_parse_duration_ms("99999999999999999w", &v), -ERANGE);
        assert_int_equal(time_parse_duration_ms("99999999999999999999", &v), -ERANGE);
        assert_int_equal(time_parse_duration_ms("9223372036854775807ms1ms", &v), -ERANGE);
}

static void test_time_parse_timestamp_ms_forms(void **state)
{
        const int64_t now = INT64_C(1700000000000);
        int64_t v;

        (void) state;
        assert_int_equal(time_parse_timestamp_ms("1700000000", now, &v), 0);
        assert_int_equal(v, INT64_C(1700000000000));
        assert_int_equal(time_parse_timestamp_ms("1700000000123", now, &v), 0);
        assert_int_equal(v, INT64_C(1700000000123));
        assert_int_equal(time_parse_timestamp_ms("2023-11-14", now, &v), 0);
        assert_int_equal(v, INT64_C(1699920000000));
        assert_int_equal(time_parse_timestamp_ms("2023-11-14 22:13:20", now, &v), 0);
        assert_int_equal(v, INT64_C(1700000000000));
        assert_int_equal(time_parse_timestamp_ms("2023-11-14T22:13", now, &v), 0);
        assert_int_equal(v, INT64_C(1699999980000));
        assert_int_equal(time_parse_timestamp_ms("1h", now, &v), 0);
        assert_int_equal(v, now - MSEC_PER_HOUR);
        assert_int_equal(time_parse_timestamp_ms("yesterday", now, &v), -EINVAL);
        assert_int_equal(time_parse_timestamp_ms("2023-11-14x", now, &v), -EINVAL);
        assert_int_equal(time_parse_timestamp_ms("2023-13-45", now, &v), -EINVAL);
}

static void test_time_format_local_utc(void **state)
{
        char buf[32];

        (void) state;
        assert_string_equal(time_format_local(INT64_C(1700000000999), buf, sizeof(buf)),
                            "2023-11-14 22:13:20");
        assert_string_equal(time_format_local(-1, buf, sizeof(buf)), "1969-12-31 23:59:59");
        (void) setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        time_format_local(INT64_C(1700000000000), buf, sizeof(buf));
        (void) setenv("TZ", "UTC", 1);
        tzset();
        /* without tzdata the zone falls back to UTC */
        assert_true(strcmp(buf, "2023-11-15 06:13:20") == 0 ||
                    strcmp(buf, "2023-11-14 22:13:20") == 0);
}

static void test_time_format_rfc3339_values(void **state)
{
        char buf[32];

        (void) state;
        assert_string_equal(time_format_rfc3339(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000Z");
        assert_string_equal(time_format_rfc3339(INT64_C(1700000000123), buf, sizeof(buf)),
                            "2023-11-14T22:13:20.123Z");
        assert_string_equal(time_format_rfc3339(-1, buf, sizeof(buf)), "1969-12-31T23:59:59.999Z");
        assert_string_equal(time_format_rfc3339(-1000, buf, sizeof(buf)),
                            "1969-12-31T23:59:59.000Z");
}

static void test_time_format_duration_units(void **state)
{
        char buf[32];

        (void) state;
        assert_string_equal(time_format_duration(850, buf, sizeof(buf)), "850ms");
        assert_string_equal(time_format_duration(-5, buf, sizeof(buf)), "0ms");
        assert_string_equal(time_format_duration(1000, buf, sizeof(buf)), "1s");
        assert_string_equal(time_format_duration(12 * MSEC_PER_MIN + 5000, buf, sizeof(buf)),
                            "12m 5s");
        assert_string_equal(time_format_duration(3 * MSEC_PER_DAY + 4 * MSEC_PER_HOUR + 59000, buf,
                                                 sizeof(buf)),
                            "3d 4h");
        assert_string_equal(time_format_duration(MSEC_PER_DAY + 30000, buf, sizeof(buf)), "1d");
}

static void test_time_now_ms_clocks(void **state)
{
        (void) state;
        int64_t a = time_now_ms(), m = time_mono_ms(), n = time_mono_ns();
        assert_true(a > INT64_C(1600000000000));
        assert_true(m >= 0);
        assert_true(n / 1000000 >= m);
        assert_true(time_mono_ms() >= m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_time_parse_duration_ms_units),
                cmocka_unit_test(test_time_parse_duration_ms_invalid),
                cmocka_unit_test(test_time_parse_timestamp_ms_forms),
                cmocka_unit_test(test_time_format_local_utc),
                cmocka_unit_test(test_time_format_rfc3339_values),
                cmocka_unit_test(test_time_format_duration_units),
                cmocka_unit_test(test_time_now_ms_clocks),
        };
        return cmocka_run_group_tests(tests, setup_utc, NULL);
}

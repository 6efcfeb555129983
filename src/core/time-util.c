#include "core/time-util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/parse.h"

static int64_t clock_ms(clockid_t id)
{
        struct timespec ts;
        (void) clock_gettime(id, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_now_ms(void)
{
        return clock_ms(CLOCK_REALTIME);
}

int64_t time_mono_ms(void)
{
        return clock_ms(CLOCK_MONOTONIC);
}

int64_t time_mono_ns(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const struct {
        const char *suffix;
        int64_t ms;
} duration_units[] = {
        /* longest suffix first, so "ms" wins over "m" and "min" over "m" */
        {"msec", 1},
        {"ms", 1},
        {"sec", MSEC_PER_SEC},
        {"s", MSEC_PER_SEC},
        {"min", MSEC_PER_MIN},
        {"m", MSEC_PER_MIN},
        {"h", MSEC_PER_HOUR},
        {"d", MSEC_PER_DAY},
        {"w", 7 * MSEC_PER_DAY},
};

int time_parse_duration_ms(const char *s, int64_t *ret)
{
        int64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        parse_skip_blanks(&s);
        while (*s) {
                uint64_t v;
                int r = parse_u64(&s, &v);
                if (r < 0)
                        return any ? -EINVAL : r;
                int64_t unit = -1;
                if (*s == '\0' && !any) {
                        unit = MSEC_PER_SEC; /* bare number: seconds */
                } else {
                        for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]);
                             i++) {
                                size_t l = strlen(duration_units[i].suffix);
                                if (strncmp(s, duration_units[i].suffix, l) == 0) {
                                        unit = duration_units[i].ms;
                                        s += l;
                                        break;
                                }
                        }
                }
                if (unit < 0)
                        return -EINVAL;
                if (v > (uint64_t) (INT64_MAX / unit) || total > INT64_MAX - (int64_t) v * unit)
                        return -ERANGE;
                total += (int64_t) v * unit;
                any = true;
                parse_skip_blanks(&s);
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

int time_parse_timestamp_ms(const char *s, int64_t now_ms, int64_t *ret)
{
        struct tm tm = {0};
        int64_t v;

        if (!s)
                return -EINVAL;
        if (safe_atoi64(s, &v) == 0 && strlen(s) >= 9) {
                /* 13 digits and more are milliseconds (that is past 2001 as ms, past year
                 * 5000 as seconds). */
                *ret = strlen(s) >= 13 ? v : v * 1000;
                return 0;
        }
        const char *end = strptime(s, "%Y-%m-%d", &tm);
        if (end && (*end == ' ' || *end == 'T')) {
                const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
                if (!e2)
                        e2 = strptime(end + 1, "%H:%M", &tm);
                end = e2;
        }
        if (end && *end == '\0') {
                tm.tm_isdst = -1;
                time_t t = mktime(&tm);
                if (t == (time_t) -1)
                        return -ERANGE;
                *ret = (int64_t) t * 1000;
                return 0;
        }
        int r = time_parse_duration_ms(s, &v);
        if (r < 0)
                return r;
        *ret = now_ms - v;
        return 0;
}

/* Seconds and milliseconds of ms rounded towards the past: C division truncates towards zero,
 * which would put -1 ms (1969-12-31T23:59:59.999Z) at second 0 with a negative remainder. */
static void split_ms(int64_t ms, time_t *ret_sec, int *ret_msec)
{
        int64_t sec = ms / 1000, rest = ms % 1000;

        if (rest < 0) {
                sec--;
                rest += 1000;
        }
        *ret_sec = (time_t) sec;
        *ret_msec = (int) rest;
}

char *time_format_local(int64_t ms, char *buf, size_t n)
{
        struct tm tm;
        time_t t;
        int msec;

        split_ms(ms, &t, &msec);
        if (!localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                (void) snprintf(buf, n, "%lld", (long long) ms);
        return buf;
}

char *time_format_rfc3339(int64_t ms, char *buf, size_t n)
{
        struct tm tm;
        char base[32];
        time_t t;
        int msec;

        split_ms(ms, &t, &msec);

        if (!gmtime_r(&t, &tm) || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                (void) snprintf(buf, n, "%lld", (long long) ms);
        else
                (void) snprintf(buf, n, "%s.%03dZ", base, msec);
        return buf;
}

char *time_format_duration(int64_t ms, char *buf, size_t n)
{
        static const struct {
                const char *name;
                int64_t ms;
        } units[] = {{"d", MSEC_PER_DAY},
                     {"h", MSEC_PER_HOUR},
                     {"m", MSEC_PER_MIN},
                     {"s", MSEC_PER_SEC}};

        if (ms < 0)
                ms = 0;
        if (ms < 1000) {
                (void) snprintf(buf, n, "%lldms", (long long) ms);
                return buf;
        }
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (ms < units[i].ms)
                        continue;
                int64_t a = ms / units[i].ms, rest = ms % units[i].ms;
                if (i + 1 < sizeof(units) / sizeof(units[0]) && rest >= units[i + 1].ms)
                        (void) snprintf(buf, n, "%lld%s %lld%s", (long long) a, units[i].name,
                                        (long long) (rest / units[i + 1].ms), units[i + 1].name);
                else
                        (void) snprintf(buf, n, "%lld%s", (long long) a, units[i].name);
                break;
        }
        return buf;
}

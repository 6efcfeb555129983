/* Time inside aiops is Unix epoch milliseconds (int64_t); human forms only at the edges.
 * The monotonic clock is for scheduling and measuring intervals only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MSEC_PER_SEC  INT64_C(1000)
#define MSEC_PER_MIN  (INT64_C(60) * MSEC_PER_SEC)
#define MSEC_PER_HOUR (INT64_C(60) * MSEC_PER_MIN)
#define MSEC_PER_DAY  (INT64_C(24) * MSEC_PER_HOUR)

int64_t time_now_ms(void);
int64_t time_mono_ms(void);
/* Monotonic nanoseconds, for measuring short intervals (cycle costs, rates). */
int64_t time_mono_ns(void);

/* "500ms", "30s", "5m", "1h", "7d", "1w", combinations ("1h30m"), and a bare number of
 * seconds ("30"). 0 or -EINVAL / -ERANGE. */
int time_parse_duration_ms(const char *s, int64_t *ret);
/* A point in time: epoch seconds or milliseconds (13+ digits), "YYYY-MM-DD",
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" in local time, or a duration meaning
 * that long before now_ms ("1h" = one hour ago). */
int time_parse_timestamp_ms(const char *s, int64_t now_ms, int64_t *ret);

/* "2026-11-21 23:58:15" in local time; returns buf. n >= 20. */
char *time_format_local(int64_t ms, char *buf, size_t n);
/* RFC 3339 with milliseconds in UTC, "2026-11-21T23:58:15.123Z"; returns buf. n >= 25. */
char *time_format_rfc3339(int64_t ms, char *buf, size_t n);
/* The largest two units, "3d 4h", "12m 5s", "850ms"; returns buf. */
char *time_format_duration(int64_t ms, char *buf, size_t n);

/* Log line formats over real captures in logs/formats: nginx 1.22 access and error logs
 * (combined and three trailing-time formats, a TLS handshake and raw bytes sent to the HTTP
 * port), MariaDB 10.11 and PostgreSQL 15 (two log_line_prefix settings, three log_timezones),
 * Redis 7.0, logger(1) RFC 5424/3164 datagrams, /dev/kmsg records of kernel 6.18, a few Loghub
 * lines; hand-made MySQL 8, apache 2.4 and access lines; and nasty lines written here. Every
 * test runs with TZ=UTC unless it says otherwise. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "logs/logfmt.h"
#include "test-util.h"

/* 2026-11-22 03:00:00 UTC: just after the captures were made */
#define NOW_MS    INT64_C(1795316400000)
#define MAX_LINES 512

static const LogParseContext ctx = {.now_ms = NOW_MS};

static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s)
{
        struct tm tm = {
                .tm_year = y - 1900,
                .tm_mon = mo - 1,
                .tm_mday = d,
                .tm_hour = h,
                .tm_min = mi,
                .tm_sec = s,
        };
        return (int64_t) timegm(&tm) * 1000;
}

static void set_tz(const char *tz)
{
        assert_int_equal(setenv("TZ", tz, 1), 0);
        tzset();
}

typedef struct Lines {
        char *data;
        size_t n;
        const char *line[MAX_LINES];
        size_t len[MAX_LINES];
} Lines;

/* Loads a fixture split at "\n"; with records, a line starting with a blank continues the one
 * before it (kmsg's " KEY=value" lines), "\n" included. */
static void lines_load(Lines *l, const char *rel, bool records)
{
        _cleanup_free_ char *path = test_data_path(rel);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        size_t size = 0, cap = 0;

        if (!f)
                fail_msg("cannot open fixture '%s'", path);
        *l = (Lines){};
        for (;;) {
                if (size == cap)
                        l->data = xrealloc(l->data, cap = cap ? 2 * cap : 65536);
                size_t k = fread(l->data + size, 1, cap - size, f);
                if (k == 0)
                        break;
                size += k;
        }
        for (size_t i = 0; i < size;) {
                const char *nl = memchr(l->data + i, '\n', size - i);
                size_t end = nl ? (size_t) (nl - l->data) : size;
                if (records && l->n > 0 && l->data[i] == ' ')
                        l->len[l->n - 1] = end - (size_t) (l->line[l->n - 1] - l->data);
                else {
                        assert_true(l->n < MAX_LINES);
                        l->line[l->n] = l->data + i;
                        l->len[l->n] = end - i;
                        l->n++;
                }
                i = end + 1;
        }
}

static void lines_done(Lines *l)
{
        free(l->data);
}

static LogRecord parse_ok(LogFormat f, const char *line, size_t len)
{
        LogRecord r;

        if (logfmt_parse(f, line, len, &ctx, &r) != 0)
                fail_msg("not %s: '%.*s'", logfmt_to_string(f), (int) len, line);
        assert_int_equal(r.format, f);
        return r;
}

static LogRecord parse_str(LogFormat f, const char *line)
{
        return parse_ok(f, line, strlen(line));
}

static void parse_bad(LogFormat f, const char *line)
{
        LogRecord r;

        if (logfmt_parse(f, line, strlen(line), &ctx, &r) != -EBADMSG)
                fail_msg("taken as %s: '%s'", logfmt_to_string(f), line);
}

static void check_str(const char *what, const char *s, size_t n, const char *want)
{
        if (!want) {
                if (s)
                        fail_msg("%s is '%.*s', expected none", what, (int) n, s);
                return;
        }
        if (!s || n != strlen(want) || memcmp(s, want, n) != 0)
                fail_msg("%s is '%.*s', expected '%s'", what, s ? (int) n : 6, s ? s : "(null)",
                         want);
}

#define assert_msg(r, want)  check_str("msg", (r).msg, (r).msg_len, want)
#define assert_prog(r, want) check_str("program", (r).program, (r).program_len, want)

/* ---------- nginx ---------- */

static void test_logfmt_nginx_error_real(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/nginx-error.log", false);
        assert_int_equal(l.n, 37);
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_NGINX_ERROR, l.line[i], l.len[i]);
                assert_true(r.ts_ms >= utc_ms(2026, 11, 22, 2, 21, 7));
                assert_true(r.ts_ms <= utc_ms(2026, 11, 22, 2, 21, 26));
                assert_true(r.pid >= 19369 && r.pid <= 19956);
                assert_null(r.program);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_NGINX_ERROR);
        }

        r = parse_ok(LOG_FORMAT_NGINX_ERROR, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 7));
        assert_int_equal(r.severity, LOG_SEV_NOTICE);
        assert_int_equal(r.pid, 19369);
        assert_msg(r, "using the \"epoll\" event method");

        /* the connection number goes, so that connections mine together */
        r = parse_ok(LOG_FORMAT_NGINX_ERROR, l.line[8], l.len[8]);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 13));
        assert_int_equal(r.pid, 19371);
        assert_true(r.msg_len > 40);
        assert_memory_equal(r.msg, "connect() failed (111: Connection refused) while", 48);
        r = parse_ok(LOG_FORMAT_NGINX_ERROR, l.line[11], l.len[11]);
        assert_int_equal(r.severity, LOG_SEV_WARNING);
        assert_memory_equal(r.msg, "upstream server temporarily disabled", 36);

        /* line 25: a TLS ClientHello sent to the HTTP port, NUL byte included, logged raw */
        r = parse_ok(LOG_FORMAT_NGINX_ERROR, l.line[24], l.len[24]);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        assert_non_null(memchr(r.msg, '\0', r.msg_len));
        assert_true(r.msg + r.msg_len == l.line[24] + l.len[24]);
        assert_int_equal(r.msg[r.msg_len - 1], '"');

        /* nginx -t on a bad file, and a failed second start (from stderr) */
        r = parse_ok(LOG_FORMAT_NGINX_ERROR, l.line[35], l.len[35]);
        assert_int_equal(r.severity, LOG_SEV_EMERG);
        assert_int_equal(r.pid, 19939);
        lines_done(&l);

        /* the lines of testenv/README.md, hand-copied */
        r = parse_str(LOG_FORMAT_NGINX_ERROR,
                      "2026/11/21 22:56:17 [error] 20815#20815: *1 upstream timed out (110: "
                      "Connection timed out) while reading response header from upstream, "
                      "client: 127.0.0.1, server: , request: \"GET /slow HTTP/1.1\", upstream: "
                      "\"http://127.0.0.1:18081/slow\", host: \"127.0.0.1:18080\"");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 17));
        assert_int_equal(r.pid, 20815);
        assert_memory_equal(r.msg, "upstream timed out (110:", 24);
        /* without pid#tid (some builds' early messages) and with a "*" that is not a cid */
        r = parse_str(LOG_FORMAT_NGINX_ERROR, "2026/11/21 22:56:17 [crit] *x marks the spot");
        assert_int_equal(r.severity, LOG_SEV_CRIT);
        assert_int_equal(r.pid, 0);
        assert_msg(r, "*x marks the spot");
        parse_bad(LOG_FORMAT_NGINX_ERROR, "2026/11/21 22:56:17 [bogus] 1#1: x");
        parse_bad(LOG_FORMAT_NGINX_ERROR, "2026/11/21 22:56:17 error 1#1: x");
        parse_bad(LOG_FORMAT_NGINX_ERROR, "2026/11/21 22:56:17");
        parse_bad(LOG_FORMAT_NGINX_ERROR, "2026/11/21 22:56:17 [error");
}

static void test_logfmt_access_real(void **state)
{
        static const char *const files[] = {
                "logs/formats/nginx-access-combined.log", "logs/formats/nginx-access-timed.log",
                "logs/formats/nginx-access-bare.log", "logs/formats/nginx-access-named.log"};
        static const int status[18] = {200, 200, 502, 200, 200, 404, 200, 200, 405,
                                       400, 400, 405, 400, 400, 400, 404, 200, 403};
        static const char *const path[18] = {"/ok/index.html",
                                             "/ok/index.html",
                                             "/dead",
                                             "/two/x",
                                             "/up/y",
                                             "/missing/x.html",
                                             "/ok/",
                                             "/ok/index.html",
                                             "/ok/index.html",
                                             "/ok/",
                                             "/ok/%ZZ",
                                             "/ok/a%20b",
                                             "/has",
                                             NULL,
                                             NULL,
                                             "/caf\\xC3\\xA9/\\xFF\\xFE",
                                             "/ok/index.html",
                                             "/"};
        Lines l;
        LogRecord r;

        (void) state;
        for (size_t f = 0; f < ELEMENTSOF(files); f++) {
                lines_load(&l, files[f], false);
                assert_int_equal(l.n, 18);
                for (size_t i = 0; i < l.n; i++) {
                        r = parse_ok(LOG_FORMAT_ACCESS, l.line[i], l.len[i]);
                        assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx),
                                         LOG_FORMAT_ACCESS);
                        assert_true(r.is_access);
                        assert_int_equal(r.access.status, status[i]);
                        check_str("path", r.access.path, r.access.path_len, path[i]);
                        assert_int_equal(r.severity, status[i] >= 500   ? LOG_SEV_ERR
                                                     : status[i] >= 400 ? LOG_SEV_WARNING
                                                                        : LOG_SEV_INFO);
                        assert_int_equal(r.access.bytes, status[i] == 200 ? 3
                                                         : status[i] == 404 || status[i] == 403
                                                                 ? 153
                                                                 : 157);
                        /* combined has no times; the others all do, "-" upstream when none */
                        if (f == 0)
                                assert_true(isnan(r.access.request_time_s));
                        else
                                assert_true(r.access.request_time_s >= 0 &&
                                            r.access.request_time_s < 0.01);
                        if (f == 0 || !(i >= 2 && i <= 4))
                                assert_true(isnan(r.access.upstream_time_s));
                        else
                                assert_true(r.access.upstream_time_s == 0.0);
                }

                r = parse_ok(LOG_FORMAT_ACCESS, l.line[0], l.len[0]);
                assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 12));
                assert_msg(r, "GET /ok/index.html HTTP/1.1");
                check_str("method", r.access.method, r.access.method_len, "GET");
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[1], l.len[1]);
                assert_msg(r, "GET /ok/index.html?a=1&b=2 HTTP/1.1");
                /* IPv6 client, empty user agent (nginx writes "-") */
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[6], l.len[6]);
                assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 13));
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[8], l.len[8]);
                check_str("method", r.access.method, r.access.method_len, "POST");
                /* a request line with a quote nginx escaped as \x22 */
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[12], l.len[12]);
                assert_msg(r, "GET /has space\\x22quote HTTP/1.1");
                /* TLS handshake and garbage: no method, the bytes (escaped) as the message */
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[13], l.len[13]);
                assert_null(r.access.method);
                assert_msg(r, "\\x16\\x03\\x01\\x00\\xA5\\x01\\x00\\x00\\xA1\\x03\\x03");
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[14], l.len[14]);
                assert_msg(r, "garbage");
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[17], l.len[17]);
                assert_msg(r, "GET /");
                if (f == 1 || f == 2) {
                        /* rt=0.001 with urt="0.000, 0.000" (two upstreams tried) */
                        r = parse_ok(LOG_FORMAT_ACCESS, l.line[3], l.len[3]);
                        assert_true(r.access.request_time_s == 0.001);
                        assert_true(r.access.upstream_time_s == 0.0);
                        r = parse_ok(LOG_FORMAT_ACCESS, l.line[12], l.len[12]);
                        assert_true(r.access.request_time_s == 0.007);
                }
                lines_done(&l);
        }
}

static void test_logfmt_access_extras(void **state)
{
        static const struct {
                int status;
                int64_t bytes;
                double rt, urt; /* -1: NAN */
                const char *path;
                const char *msg;
        } want[] = {
                {200, 512, 0.123, 0.101, "/api/users", "GET /api/users?id=7 HTTP/1.1"},
                {302, 0, 1.25, 1.002, "/login", "POST /login HTTP/2.0"},
                {504, 167, 1.002, 1.001, "/slow", "GET /slow HTTP/1.1"},
                {502, 0, 0.010, -1, "/a", "GET /a HTTP/1.1"},
                {200, 10, -1, -1, "/vhost", "GET /vhost HTTP/1.1"},
                {404, 209, -1, -1, "/apache", "GET /apache \\\"quoted\\\" HTTP/1.1"},
                {400, 0, -1, -1, NULL, "-"},
                {0, 0, 0.0, -1, "/", "GET / HTTP/1.1"},
                {200, -1, -1, -1, "/common", "GET /common HTTP/1.0"},
                {200, 5, 0.300, 0.150, "/redirect", "GET /redirect HTTP/1.1"},
                {200, 5, 0.050, 0.040, "/x", "GET /x HTTP/1.1"},
                {200, 5, -1, -1, "/apache-d", "GET /apache-d HTTP/1.1"},
                {200, 5, 2, 0.003, "/leap", "GET /leap HTTP/1.1"},
                {503, 5, 0.700, -1, "/hdr", "GET /hdr HTTP/1.1"},
        };
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/access-extras.log", false);
        assert_int_equal(l.n, ELEMENTSOF(want));
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_ACCESS, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_ACCESS);
                assert_int_equal(r.access.status, want[i].status);
                assert_int_equal(r.access.bytes, want[i].bytes);
                if (want[i].rt < 0)
                        assert_true(isnan(r.access.request_time_s));
                else
                        assert_true(fabs(r.access.request_time_s - want[i].rt) < 1e-9);
                if (want[i].urt < 0)
                        assert_true(isnan(r.access.upstream_time_s));
                else
                        assert_true(fabs(r.access.upstream_time_s - want[i].urt) < 1e-9);
                check_str("path", r.access.path, r.access.path_len, want[i].path);
                assert_msg(r, want[i].msg);
        }
        /* zones: +0100 and -0500 */
        r = parse_ok(LOG_FORMAT_ACCESS, l.line[1], l.len[1]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 21, 56, 12));
        r = parse_ok(LOG_FORMAT_ACCESS, l.line[3], l.len[3]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 3, 56, 14));
        assert_int_equal(r.severity, LOG_SEV_ERR);
        /* Feb 29 of a leap year */
        r = parse_ok(LOG_FORMAT_ACCESS, l.line[12], l.len[12]);
        assert_int_equal(r.ts_ms, utc_ms(2028, 2, 29, 23, 59, 59));
        /* "000": no status, not an error */
        r = parse_ok(LOG_FORMAT_ACCESS, l.line[7], l.len[7]);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        lines_done(&l);
}

static void test_logfmt_access_bad(void **state)
{
        LogRecord r;

        (void) state;
        /* truncated inside the request, before the status, inside the date */
        parse_bad(LOG_FORMAT_ACCESS, "192.0.2.10 - - [21/Nov/2026:22:56:11 +0000] \"GET /api/us");
        parse_bad(LOG_FORMAT_ACCESS,
                  "192.0.2.10 - - [21/Nov/2026:22:56:11 +0000] \"GET / HTTP/1.1\"");
        parse_bad(LOG_FORMAT_ACCESS, "192.0.2.10 - - [21/Nov/2026:22:5");
        parse_bad(LOG_FORMAT_ACCESS, "192.0.2.10 - - [21/Nov/2026:22:56:11 +0000");
        /* Feb 29 of a common year, month names, hours and years out of range */
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [29/Feb/2027:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [21/Foo/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [21/Nov/2026:24:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [21/Nov/0000:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [21/Nov/1969:23:59:59 +0000] \"GET / HTTP/1.1\" 200 1");
        /* too few or too many fields before the date; a status that is not three digits */
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "a b c d e [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 2000 1");
        parse_bad(LOG_FORMAT_ACCESS,
                  "1.2.3.4 - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 20x 1");
        parse_bad(LOG_FORMAT_ACCESS, "");
        /* status and nothing else; status "-" */
        r = parse_str(LOG_FORMAT_ACCESS,
                      "1.2.3.4 - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200");
        assert_int_equal(r.access.status, 200);
        assert_int_equal(r.access.bytes, -1);
        r = parse_str(LOG_FORMAT_ACCESS, "1.2.3.4 - - [21/Nov/2026:00:00:00 +0000] \"\" - -");
        assert_int_equal(r.access.status, 0);
        assert_null(r.access.method);
        assert_int_equal(r.msg_len, 0);
        /* 599 is a status, 600 and 099 are not */
        r = parse_str(LOG_FORMAT_ACCESS,
                      "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 599 1");
        assert_int_equal(r.access.status, 599);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        r = parse_str(LOG_FORMAT_ACCESS,
                      "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 600 1");
        assert_int_equal(r.access.status, 0);
        r = parse_str(LOG_FORMAT_ACCESS,
                      "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 099 1");
        assert_int_equal(r.access.status, 0);
        /* a bare "-" before any time is not a request time; an unterminated trailing quote
         * ends the extras without harm; junk keys are skipped */
        r = parse_str(LOG_FORMAT_ACCESS, "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" "
                                         "200 1 \"-\" \"ua\" - 0.250 foo=\"a b\" rt");
        assert_true(r.access.request_time_s == 0.25);
        assert_true(isnan(r.access.upstream_time_s));
        r = parse_str(LOG_FORMAT_ACCESS, "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" "
                                         "200 1 \"-\" \"ua rt=9.0");
        assert_true(isnan(r.access.request_time_s));
        r = parse_str(LOG_FORMAT_ACCESS, "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" "
                                         "200 1 upstream_response_time - request_time 0.5");
        assert_true(r.access.request_time_s == 0.5);
        assert_true(isnan(r.access.upstream_time_s));
        /* urt= with an unquoted list */
        r = parse_str(LOG_FORMAT_ACCESS, "h - - [21/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" "
                                         "200 1 urt=0.5, 1.25 rt=2.5");
        assert_true(r.access.upstream_time_s == 1.25);
        assert_true(r.access.request_time_s == 2.5);
}

/* ---------- MySQL / MariaDB ---------- */

static void test_logfmt_mysql_real(void **state)
{
        Lines l;
        LogRecord r;
        int errors = 0, warnings = 0;

        (void) state;
        lines_load(&l, "logs/formats/mariadb-error.log", false);
        assert_int_equal(l.n, 60);
        for (size_t i = 0; i < l.n; i++) {
                if (l.line[i][0] == 'V') {
                        /* "Version: '10.11.19-MariaDB-0+deb12u1'  socket: ..." (no stamp) */
                        assert_int_equal(
                                logfmt_parse(LOG_FORMAT_MYSQL, l.line[i], l.len[i], &ctx, &r),
                                -EBADMSG);
                        assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx),
                                         LOG_FORMAT_GENERIC);
                        continue;
                }
                r = parse_ok(LOG_FORMAT_MYSQL, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_MYSQL);
                assert_true(r.ts_ms >= utc_ms(2026, 11, 22, 2, 21, 27) &&
                            r.ts_ms <= utc_ms(2026, 11, 22, 2, 22, 14));
                errors += r.severity == LOG_SEV_ERR;
                warnings += r.severity == LOG_SEV_WARNING;
                assert_true(r.severity == LOG_SEV_ERR || r.severity == LOG_SEV_WARNING ||
                            r.severity == LOG_SEV_INFO);
                assert_int_equal(r.pid, 0); /* the number is a thread id */
        }
        assert_int_equal(errors, 14);
        assert_int_equal(warnings, 4);

        /* "2026-11-22  2:21:27": MariaDB pads the hour with a blank */
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 27));
        assert_int_equal(r.severity, LOG_SEV_INFO);
        assert_null(r.program);
        assert_memory_equal(r.msg, "Starting MariaDB 10.11.19", 25);
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[24], l.len[24]);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_prog(r, "mariadbd");
        assert_msg(r, "The table 'm' is full");
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[29], l.len[29]);
        assert_int_equal(r.severity, LOG_SEV_WARNING);
        assert_msg(r, "Access denied for user 'root'@'localhost' (using password: YES)");
        lines_done(&l);
}

static void test_logfmt_mysql_forms(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/mysql8.log", false);
        for (size_t i = 0; i < l.n; i++)
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_MYSQL);
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 23, 15, 40) + 123);
        assert_int_equal(r.severity, LOG_SEV_NOTICE); /* [System] */
        assert_prog(r, "Server");
        assert_msg(r, "/usr/sbin/mysqld (mysqld 8.0.35) starting as process 1234");
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[1], l.len[1]);
        assert_prog(r, "InnoDB");
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[3], l.len[3]);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_msg(r, "Aborting");
        /* log_timestamps=SYSTEM writes an offset */
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[4], l.len[4]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 23, 15, 42) + 600);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        /* MySQL 5.5 "YYMMDD HH:MM:SS", hour padded, and a line without level */
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[5], l.len[5]);
        assert_int_equal(r.ts_ms, utc_ms(2016, 11, 21, 23, 15, 40));
        assert_int_equal(r.severity, LOG_SEV_ERR);
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[6], l.len[6]);
        assert_int_equal(r.ts_ms, utc_ms(2016, 11, 21, 3, 15, 40));
        assert_msg(r, "InnoDB: Initializing buffer pool, size = 128.0M");
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[7], l.len[7]);
        assert_int_equal(r.severity, LOG_SEV_UNKNOWN);
        assert_msg(r, "mysqld_safe Starting mysqld daemon with databases from /var/lib/mysql");
        r = parse_ok(LOG_FORMAT_MYSQL, l.line[8], l.len[8]);
        assert_prog(r, "mysqld");
        lines_done(&l);

        /* an ISO-stamped line without level is not MySQL; nor is an unknown level */
        parse_bad(LOG_FORMAT_MYSQL, "2026-11-21 23:15:40 something else");
        parse_bad(LOG_FORMAT_MYSQL, "2026-11-21 23:15:40 0 [Chatty] x");
        parse_bad(LOG_FORMAT_MYSQL, "2026-11-21 23:15:40 0 [ERROR");
        parse_bad(LOG_FORMAT_MYSQL, "161321 23:15:40 [ERROR] month 13");
        parse_bad(LOG_FORMAT_MYSQL, "2026-02-29 23:15:40 0 [ERROR] not a leap year");
        /* only a timestamp */
        parse_bad(LOG_FORMAT_MYSQL, "2026-11-21 23:15:40");
        r = parse_str(LOG_FORMAT_MYSQL, "2028-02-29 23:15:40 0 [ERROR]");
        assert_int_equal(r.ts_ms, utc_ms(2028, 2, 29, 23, 15, 40));
        assert_int_equal(r.msg_len, 0);
}

/* ---------- PostgreSQL ---------- */

static void test_logfmt_postgres_real(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/postgres.log", false);
        assert_int_equal(l.n, 30);
        for (size_t i = 0; i < l.n; i++) {
                if (l.line[i][0] == '\t') {
                        /* the rest of a multi-line DETAIL */
                        assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx),
                                         LOG_FORMAT_GENERIC);
                        continue;
                }
                r = parse_ok(LOG_FORMAT_POSTGRES, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_POSTGRES);
                assert_true(r.pid >= 20097 && r.pid <= 20136);
                assert_true(r.ts_ms >= utc_ms(2026, 11, 22, 2, 21, 42));
        }
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 42) + 386);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        assert_int_equal(r.pid, 20097);
        assert_memory_equal(r.msg, "starting PostgreSQL 15.18", 25);
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[5], l.len[5]);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_int_equal(r.pid, 20107);
        assert_msg(r, "syntax error at or near \"selec\" at character 1");
        /* a continuation keeps its kind in the message and is info */
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[6], l.len[6]);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        assert_msg(r, "STATEMENT:  selec 1");
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[7], l.len[7]);
        assert_int_equal(r.severity, LOG_SEV_CRIT);
        assert_msg(r, "database \"nosuchdb\" does not exist");
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[13], l.len[13]);
        assert_memory_equal(r.msg, "DETAIL:  Process 20120 waits", 28);
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[21], l.len[21]);
        assert_int_equal(r.severity, LOG_SEV_WARNING);
        assert_msg(r, "custom warning 42");
        lines_done(&l);

        r = parse_str(LOG_FORMAT_POSTGRES,
                      "2026-11-21 23:16:00.177 UTC [12465] FATAL:  could not create any TCP/IP "
                      "sockets");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 23, 16, 0) + 177);
        assert_int_equal(r.severity, LOG_SEV_CRIT);
        r = parse_str(LOG_FORMAT_POSTGRES, "2026-11-21 23:16:00 UTC [1] DEBUG3:  x");
        assert_int_equal(r.severity, LOG_SEV_DEBUG);
        r = parse_str(LOG_FORMAT_POSTGRES, "2026-11-21 23:16:00 UTC [1] PANIC:  x");
        assert_int_equal(r.severity, LOG_SEV_EMERG);
        parse_bad(LOG_FORMAT_POSTGRES, "2026-11-21 23:16:00 UTC [1] user@db NOPE:  x");
        parse_bad(LOG_FORMAT_POSTGRES, "2026-11-21 23:16:00 UTC [x] LOG:  x");
        parse_bad(LOG_FORMAT_POSTGRES, "2026-11-21 23:16:00 Not/AZone [1] LOG:  x");
        parse_bad(LOG_FORMAT_POSTGRES, "2026-11-21 23:16:00.177 UTC [12465]");
        parse_bad(LOG_FORMAT_POSTGRES, "2026-11-21T23:16:00 UTC [1] LOG:  x");
}

static void test_logfmt_postgres_zones(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        /* log_timezone=Asia/Shanghai writes "CST", which is read as local time */
        lines_load(&l, "logs/formats/postgres-prefix-cst.log", false);
        for (size_t i = 0; i < l.n; i++)
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_POSTGRES);
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[5], l.len[5]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 10, 21, 50));
        assert_int_equal(r.pid, 20192);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_msg(r, "syntax error at or near \"selec\" at character 1");
        set_tz("Asia/Shanghai");
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[5], l.len[5]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 50));
        set_tz("UTC");
        r = parse_ok(LOG_FORMAT_POSTGRES, l.line[6], l.len[6]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 10, 21, 50));
        assert_msg(r, "STATEMENT:  selec 2");
        lines_done(&l);

        /* America/Sao_Paulo has no abbreviation: "-03" is exact */
        lines_load(&l, "logs/formats/postgres-prefix-numeric-zone.log", false);
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_POSTGRES, l.line[i], l.len[i]);
                assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 21, 50));
        }
        lines_done(&l);
}

/* ---------- Redis ---------- */

static void test_logfmt_redis(void **state)
{
        Lines l;
        LogRecord r;
        const char *line;
        int n[8] = {};

        (void) state;
        lines_load(&l, "logs/formats/redis.log", false);
        assert_int_equal(l.n, 47);
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_REDIS, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_REDIS);
                assert_true(r.pid == 20751 || r.pid == 20761 || r.pid == 20783);
                assert_true(r.severity >= 0 && r.severity < 8);
                n[r.severity]++;
        }
        assert_int_equal(n[LOG_SEV_WARNING], 18); /* '#' */
        assert_int_equal(n[LOG_SEV_NOTICE], 16);  /* '*' */
        assert_int_equal(n[LOG_SEV_INFO], 13);    /* '-' (verbose) */
        r = parse_ok(LOG_FORMAT_REDIS, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 22, 29) + 326);
        assert_msg(r, "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
        r = parse_ok(LOG_FORMAT_REDIS, l.line[12], l.len[12]);
        assert_int_equal(r.pid, 20761);
        assert_memory_equal(r.msg, "Failed opening the temp RDB file", 32);
        lines_done(&l);

        r = parse_str(LOG_FORMAT_REDIS, "20854:S 21 Nov 2026 22:56:48.429 . debug line");
        assert_int_equal(r.severity, LOG_SEV_DEBUG);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 48) + 429);
        /* Redis 2.x "[pid] dd Mon HH:MM:SS.mmm": no year, so the one before NOW */
        r = parse_str(LOG_FORMAT_REDIS, "[4018] 14 Nov 07:01:22.119 * Server started");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 14, 7, 1, 22) + 119);
        assert_int_equal(r.pid, 4018);
        assert_int_equal(r.severity, LOG_SEV_NOTICE);
        line = "[4018] 14 Nov 07:01:22.119 * Server started";
        assert_int_equal(logfmt_detect(line, strlen(line), &ctx), LOG_FORMAT_REDIS);
        r = parse_str(LOG_FORMAT_REDIS, "[4018] 24 Dec 07:01:22 # in the future: last year");
        assert_int_equal(r.ts_ms, utc_ms(2025, 12, 24, 7, 1, 22));
        /* Redis 3-5: "pid:M dd Mon HH:MM:SS.mmm" */
        r = parse_str(LOG_FORMAT_REDIS, "1234:M 21 Nov 22:56:45.528 # x");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 45) + 528);
        r = parse_str(LOG_FORMAT_REDIS, "1234:C 21 Nov 2026 22:56:45.528 #");
        assert_int_equal(r.msg_len, 0);
        parse_bad(LOG_FORMAT_REDIS, "1234:Q 21 Nov 2026 22:56:45.528 # role Q");
        parse_bad(LOG_FORMAT_REDIS, "1234:M 21 Nov 2026 22:56:45.528 ! mark");
        parse_bad(LOG_FORMAT_REDIS, "1234:M 21 Nov 2026 22:56:45.528");
        parse_bad(LOG_FORMAT_REDIS, "1234:M 31 Nov 2026 22:56:45.528 # no such day");
        parse_bad(LOG_FORMAT_REDIS, "1234:M 21 Nov 2026 22:56:45.528 #x");
}

/* ---------- kmsg ---------- */

static void test_logfmt_kmsg(void **state)
{
        LogParseContext boot = {.now_ms = NOW_MS, .boot_time_ms = utc_ms(2026, 11, 21, 0, 0, 0)};
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/kmsg.records", true);
        assert_int_equal(l.n, 14);
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_KMSG, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_KMSG);
                assert_int_equal(r.ts_ms, 0); /* no boot time given */
                assert_null(memchr(r.msg, '\n', r.msg_len));
                assert_true(r.msg_len > 0);
        }
        /* a record with continuation lines: the message stops at the first "\n" */
        assert_non_null(memchr(l.line[0], '\n', l.len[0]));
        assert_int_equal(logfmt_parse(LOG_FORMAT_KMSG, l.line[0], l.len[0], &boot, &r), 0);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        assert_int_equal(r.seq, 199);
        assert_int_equal(r.ts_ms, boot.boot_time_ms + 147);
        assert_msg(r, "acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig ASPM ClockPM Segments "
                      "MSI HPX-Type3]");
        r = parse_ok(LOG_FORMAT_KMSG, l.line[3], l.len[3]);
        assert_int_equal(r.severity, LOG_SEV_NOTICE);
        assert_int_equal(r.seq, 0);
        assert_memory_equal(r.msg, "Linux version 6.18.44", 21);
        assert_int_equal(logfmt_parse(LOG_FORMAT_KMSG, l.line[5], l.len[5], &boot, &r), 0);
        assert_int_equal(r.seq, 348);
        assert_int_equal(r.ts_ms, boot.boot_time_ms + 820813);
        assert_memory_equal(r.msg, "traps: aiops[15838] general protection fault", 44);
        r = parse_ok(LOG_FORMAT_KMSG, l.line[10], l.len[10]);
        assert_int_equal(r.severity, LOG_SEV_DEBUG);
        /* written to /dev/kmsg by root: facility 1 (user), level 3 */
        r = parse_ok(LOG_FORMAT_KMSG, l.line[13], l.len[13]);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_int_equal(r.seq, 356);
        assert_msg(r, "aiops-test: logfmt fixture line");
        lines_done(&l);

        /* from testenv/README.md; flags with extra fields (caller=) */
        r = parse_str(LOG_FORMAT_KMSG, "6,349,277058824,-,caller=T5458;Code: ff c6 05 f5 2e 00");
        assert_int_equal(r.seq, 349);
        assert_msg(r, "Code: ff c6 05 f5 2e 00");
        r = parse_str(LOG_FORMAT_KMSG, "6,1,0,-;");
        assert_int_equal(r.msg_len, 0);
        parse_bad(LOG_FORMAT_KMSG, "6,348,277058808;no flags");
        parse_bad(LOG_FORMAT_KMSG, "6,348,277058808,- ;blank in flags");
        parse_bad(LOG_FORMAT_KMSG, "6,348,-1,-;negative");
        parse_bad(LOG_FORMAT_KMSG, "1024,1,1,-;prio too big");
        parse_bad(LOG_FORMAT_KMSG, "6,348,277058808,-");
        parse_bad(LOG_FORMAT_KMSG, "6,99999999999999999999,1,-;seq overflows");
}

/* ---------- syslog ---------- */

static void test_logfmt_syslog(void **state)
{
        static const struct {
                const char *program;
                int64_t pid;
                int severity;
                const char *msg_start;
        } want[] = {
                {"sshd(pam_unix)", 19939, LOG_SEV_UNKNOWN, "authentication failure; logname="},
                {"sshd(pam_unix)", 19937, LOG_SEV_UNKNOWN, "check pass; user unknown"},
                {"syslogd 1.4.1", 0, LOG_SEV_UNKNOWN, "restart."},
                {"-- root", 2421, LOG_SEV_UNKNOWN, "ROOT LOGIN ON tty2"},
                {"sshd", 24200, LOG_SEV_UNKNOWN, "reverse mapping checking"},
                {"sshd", 24200, LOG_SEV_UNKNOWN, "Invalid user webmaster from 173.234.31.186"},
                {"sshd", 24224, LOG_SEV_UNKNOWN, "pam_unix(sshd:auth): authentication failure;"},
                {"sshd", 1234, LOG_SEV_ERR, "error: kex_exchange_identification:"},
                {"CRON", 4321, LOG_SEV_UNKNOWN, "(root) CMD (command -v debian-sa1"},
                {"systemd", 1, LOG_SEV_UNKNOWN, "Started session-5.scope"},
                {"kernel", 0, LOG_SEV_UNKNOWN, "[ 1234.567890] Out of memory: Killed process"},
                {"NetworkManager", 812, LOG_SEV_WARNING, "<warn>  [1795301774.1234] dhcp4"},
                {NULL, 0, LOG_SEV_UNKNOWN, "-- MARK --"},
                {"postfix/smtpd", 9999, LOG_SEV_UNKNOWN, "connect from unknown[192.0.2.9]"},
                {"nginx", 20636, LOG_SEV_UNKNOWN, "worker process exited on signal 11"},
                {"app", 0, LOG_SEV_UNKNOWN, "no pid here"},
                {"su", 0, LOG_SEV_CRIT, "'su root' failed for lonvick on /dev/pts/8"},
        };
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/syslog.log", false);
        assert_int_equal(l.n, ELEMENTSOF(want));
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_SYSLOG, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_SYSLOG);
                assert_prog(r, want[i].program);
                assert_int_equal(r.pid, want[i].pid);
                assert_int_equal(r.severity, want[i].severity);
                if (r.msg_len < strlen(want[i].msg_start) ||
                    memcmp(r.msg, want[i].msg_start, strlen(want[i].msg_start)) != 0)
                        fail_msg("line %zu: msg '%.*s'", i + 1, (int) r.msg_len, r.msg);
        }
        /* years: June is this year, December (after NOW) last year */
        r = parse_ok(LOG_FORMAT_SYSLOG, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 6, 14, 15, 16, 1));
        r = parse_ok(LOG_FORMAT_SYSLOG, l.line[4], l.len[4]);
        assert_int_equal(r.ts_ms, utc_ms(2025, 12, 10, 6, 55, 46));
        r = parse_ok(LOG_FORMAT_SYSLOG, l.line[8], l.len[8]); /* "Nov  1" */
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 1, 3, 4, 5));
        /* rsyslog's ISO form, with fraction and offset */
        r = parse_ok(LOG_FORMAT_SYSLOG, l.line[14], l.len[14]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11) + 123);
        r = parse_ok(LOG_FORMAT_SYSLOG, l.line[15], l.len[15]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11) + 123);
        lines_done(&l);

        /* no hostname; a tag without pid and without message; a line that is only a stamp */
        r = parse_str(LOG_FORMAT_SYSLOG, "Nov 21 22:56:11 sshd[77]: no host");
        assert_prog(r, "sshd");
        assert_int_equal(r.pid, 77);
        assert_msg(r, "no host");
        r = parse_str(LOG_FORMAT_SYSLOG, "Nov 21 22:56:11 host prog:");
        assert_prog(r, "prog");
        assert_int_equal(r.msg_len, 0);
        r = parse_str(LOG_FORMAT_SYSLOG, "Nov 21 22:56:11 host prog[12] without colon");
        assert_prog(r, "prog");
        assert_int_equal(r.pid, 12);
        r = parse_str(LOG_FORMAT_SYSLOG, "Nov 21 22:56:11 host last message repeated 3 times");
        assert_null(r.program);
        assert_msg(r, "last message repeated 3 times");
        r = parse_str(LOG_FORMAT_SYSLOG, "Nov 21 2026 22:56:11 host prog: with a year");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11));
        parse_bad(LOG_FORMAT_SYSLOG, "Nov 21 22:56:11");
        parse_bad(LOG_FORMAT_SYSLOG, "Nov 21 22:56:11 ");
        parse_bad(LOG_FORMAT_SYSLOG, "Nov 32 22:56:11 host x: y");
        parse_bad(LOG_FORMAT_SYSLOG, "Nov 21 25:56:11 host x: y");
        parse_bad(LOG_FORMAT_SYSLOG, "November 21 22:56:11 host x: y");
        parse_bad(LOG_FORMAT_SYSLOG, "2026-11-21 22:56:11 host x: y"); /* needs the 'T' */
        parse_bad(LOG_FORMAT_SYSLOG, "<192>Nov 21 22:56:11 host x: y");
}

static void test_logfmt_syslog_year(void **state)
{
        LogParseContext jan = {.now_ms = utc_ms(2027, 1, 1, 0, 0, 30)};
        LogParseContext mar = {.now_ms = utc_ms(2027, 3, 1, 12, 0, 0)};
        LogRecord r;
        const char *line;

        (void) state;
        /* a December line read in January is last year's */
        line = "Dec 31 23:59:59 host k: x";
        assert_int_equal(logfmt_parse(LOG_FORMAT_SYSLOG, line, strlen(line), &jan, &r), 0);
        assert_int_equal(r.ts_ms, utc_ms(2026, 12, 31, 23, 59, 59));
        /* a line a little ahead of the clock stays in this year */
        line = "Jan  1 00:05:00 host k: x";
        assert_int_equal(logfmt_parse(LOG_FORMAT_SYSLOG, line, strlen(line), &jan, &r), 0);
        assert_int_equal(r.ts_ms, utc_ms(2027, 1, 1, 0, 5, 0));
        /* Feb 29 exists only in leap years: the last one */
        line = "Feb 29 10:00:00 host k: x";
        assert_int_equal(logfmt_parse(LOG_FORMAT_SYSLOG, line, strlen(line), &mar, &r), 0);
        assert_int_equal(r.ts_ms, utc_ms(2024, 2, 29, 10, 0, 0));
        line = "Feb 30 10:00:00 host k: x";
        assert_int_equal(logfmt_parse(LOG_FORMAT_SYSLOG, line, strlen(line), &mar, &r), -EBADMSG);
        /* no context at all: the current time decides, and a stamp comes out */
        line = "Jan  1 00:00:00 host k: x";
        assert_int_equal(logfmt_parse(LOG_FORMAT_SYSLOG, line, strlen(line), NULL, &r), 0);
        assert_true(r.ts_ms > utc_ms(2020, 1, 1, 0, 0, 0));
        assert_true(r.ts_ms <= time(NULL) * INT64_C(1000) + 2 * 86400000);
}

static void test_logfmt_syslog5424(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/syslog-udp.log", false);
        assert_int_equal(l.n, 6);
        r = parse_ok(LOG_FORMAT_SYSLOG5424, l.line[0], l.len[0]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 2, 22, 54) + 578);
        assert_int_equal(r.severity, LOG_SEV_ERR); /* <27> = daemon.err */
        assert_prog(r, "myapp");
        assert_int_equal(r.pid, 0);
        assert_msg(r, "disk /dev/sda1 almost full");
        /* NILVALUE everywhere */
        r = parse_ok(LOG_FORMAT_SYSLOG5424, l.line[1], l.len[1]);
        assert_int_equal(r.ts_ms, 0);
        assert_int_equal(r.severity, LOG_SEV_INFO);
        assert_prog(r, "app2");
        assert_msg(r, "no time here");
        /* the RFC 3164 datagram: with its PRI */
        parse_bad(LOG_FORMAT_SYSLOG5424, l.line[2]);
        r = parse_ok(LOG_FORMAT_SYSLOG, l.line[2], l.len[2]);
        assert_int_equal(r.severity, LOG_SEV_NOTICE);
        assert_prog(r, "sshd");
        assert_int_equal(r.pid, 21100);
        assert_int_equal(logfmt_detect(l.line[2], l.len[2], &ctx), LOG_FORMAT_SYSLOG);
        r = parse_ok(LOG_FORMAT_SYSLOG5424, l.line[3], l.len[3]);
        assert_msg(r, "utf8 caf\xc3\xa9");
        /* three SD elements, one value with an escaped ']' and '"' */
        r = parse_ok(LOG_FORMAT_SYSLOG5424, l.line[4], l.len[4]);
        assert_int_equal(r.severity, LOG_SEV_WARNING); /* <132> = local0.warning */
        assert_int_equal(r.pid, 21289);
        assert_msg(r, "an application event");
        r = parse_ok(LOG_FORMAT_SYSLOG5424, l.line[5], l.len[5]);
        assert_int_equal(r.severity, LOG_SEV_CRIT);
        for (size_t i = 0; i < l.n; i++)
                if (i != 2)
                        assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx),
                                         LOG_FORMAT_SYSLOG5424);
        lines_done(&l);

        /* RFC 5424's own examples, BOM and all */
        r = parse_str(LOG_FORMAT_SYSLOG5424,
                      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
                      "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8");
        assert_int_equal(r.ts_ms, utc_ms(2003, 10, 11, 22, 14, 15) + 3);
        assert_int_equal(r.severity, LOG_SEV_CRIT);
        assert_msg(r, "'su root' failed for lonvick on /dev/pts/8");
        r = parse_str(LOG_FORMAT_SYSLOG5424,
                      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's "
                      "time to make the do-nuts.");
        assert_int_equal(r.ts_ms, utc_ms(2003, 8, 24, 12, 14, 15));
        assert_int_equal(r.pid, 8710);
        assert_int_equal(r.severity, LOG_SEV_NOTICE);
        r = parse_str(LOG_FORMAT_SYSLOG5424,
                      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
                      "eventID=\"1011\"][examplePriority@32473 class=\"high\"]");
        assert_int_equal(r.msg_len, 0);
        assert_prog(r, "evntslog");
        /* a non-numeric PROCID is no pid */
        r = parse_str(LOG_FORMAT_SYSLOG5424, "<13>1 - h app worker-3 - - x");
        assert_int_equal(r.pid, 0);
        /* truncated inside the structured data, and other breakage */
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>1 - h app - - [id a=\"b]\"");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>1 - h app - - [id a=\"b\\\"]");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>1 - h app - - x");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>1 - h app - - [id]x");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>0 - h app - - -");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<192>1 - h app - - -");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>1 2003-10-11 h app - - -");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>1 - h");
        parse_bad(LOG_FORMAT_SYSLOG5424, "<34>");
}

/* ---------- apache ---------- */

static void test_logfmt_apache_error(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        lines_load(&l, "logs/formats/apache-error.log", false);
        assert_int_equal(l.n, 11);
        for (size_t i = 0; i < l.n; i++) {
                r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[i], l.len[i]);
                assert_int_equal(logfmt_detect(l.line[i], l.len[i], &ctx), LOG_FORMAT_APACHE_ERROR);
        }
        /* 2.2 (Loghub) */
        r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[1], l.len[1]);
        assert_int_equal(r.ts_ms, utc_ms(2005, 12, 4, 4, 47, 44));
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_null(r.program);
        assert_msg(r, "mod_jk child workerEnv in error state 6");
        r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[2], l.len[2]);
        assert_msg(r, "[client 222.166.160.184] Directory index forbidden by rule: /var/www/html/");
        /* 2.4 */
        r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[5], l.len[5]);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11) + 123);
        assert_int_equal(r.severity, LOG_SEV_ERR);
        assert_prog(r, "core");
        assert_int_equal(r.pid, 1234);
        assert_msg(r, "[client 192.0.2.7:51234] AH00126: Invalid URI in request GET "
                      "/../../etc/passwd HTTP/1.1");
        r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[6], l.len[6]);
        assert_int_equal(r.severity, LOG_SEV_NOTICE);
        assert_prog(r, "mpm_event");
        assert_memory_equal(r.msg, "AH00489:", 8);
        r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[8], l.len[8]);
        assert_int_equal(r.severity, LOG_SEV_DEBUG); /* trace3 */
        assert_int_equal(r.pid, 1236);
        r = parse_ok(LOG_FORMAT_APACHE_ERROR, l.line[10], l.len[10]);
        assert_int_equal(r.severity, LOG_SEV_WARNING);
        lines_done(&l);

        parse_bad(LOG_FORMAT_APACHE_ERROR, "[Sat Nov 21 22:56:16 2026] [chatty] x");
        parse_bad(LOG_FORMAT_APACHE_ERROR, "[Sat Nov 21 22:56:16 2026] error x");
        parse_bad(LOG_FORMAT_APACHE_ERROR, "[Sat Nov 21 22:56:16 2026]");
        parse_bad(LOG_FORMAT_APACHE_ERROR, "[Sat Feb 29 22:56:16 2026] [error] x");
        parse_bad(LOG_FORMAT_APACHE_ERROR, "[Sat Nov 21 22:56:16 99999] [error] x");
}

/* ---------- generic ---------- */

static void test_logfmt_generic_stamps(void **state)
{
        static const struct {
                const char *line;
                int64_t ts_ms;
                const char *msg;
        } cases[] = {
                {"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.MRAppMaster: Created",
                 INT64_C(1445191307978), "[main] org.apache.hadoop.MRAppMaster: Created"},
                {"2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]] - Notification time out",
                 INT64_C(1438191704747), "[QuorumPeer[myid=1]] - Notification time out"},
                {"2026-11-21T22:56:11.5+02:00 something", INT64_C(1795294571500), "something"},
                {"2026-11-21T22:56:11Z", INT64_C(1795301771000), ""},
                {"2026-11-21 22:56:11 | x", INT64_C(1795301771000), "x"},
                {"2026/11/21 22:56:11 plain", INT64_C(1795301771000), "plain"},
                {"Nov 21 22:56:11 not quite syslog", INT64_C(1795301771000), "not quite syslog"},
                {"[21/Nov/2026:22:56:11 +0100] bracketed", INT64_C(1795298171000), "bracketed"},
                {"[Sat Nov 21 22:56:11.250 2026] ctime", INT64_C(1795301771250), "ctime"},
                {"Sat Nov 21 22:56:11 2026 bare ctime", INT64_C(1795301771000), "bare ctime"},
                {"[2026-11-21 22:56:11] [error] iso in brackets", INT64_C(1795301771000),
                 "iso in brackets"},
                {"1286536308.779 180 192.168.0.224 TCP_MISS/200 411 GET http://x/",
                 INT64_C(1286536308779), "180 192.168.0.224 TCP_MISS/200 411 GET http://x/"},
                {"[1700000000.5] epoch in brackets", INT64_C(1700000000500), "epoch in brackets"},
                {"[  277.058808] segv[5458]: segfault at 0 ip 0000560ec5e41155", 0,
                 "segv[5458]: segfault at 0 ip 0000560ec5e41155"},
                /* not stamps */
                {"2026-11-21", 0, "2026-11-21"},
                {"2026-13-21 22:56:11 month 13", 0, "2026-13-21 22:56:11 month 13"},
                {"2027-02-29 22:56:11 not a leap year", 0, "2027-02-29 22:56:11 not a leap year"},
                {"0000-01-01 00:00:00 year zero", 0, "0000-01-01 00:00:00 year zero"},
                {"2026-11-21 22:56:11x glued", 0, "2026-11-21 22:56:11x glued"},
                {"123456789012 long number", 0, "123456789012 long number"},
                {"   ", 0, ""},
                {"", 0, ""},
        };
        LogParseContext boot = {.now_ms = NOW_MS, .boot_time_ms = utc_ms(2026, 11, 21, 0, 0, 0)};
        LogRecord r;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                r = parse_str(LOG_FORMAT_GENERIC, cases[i].line);
                if (r.ts_ms != cases[i].ts_ms)
                        fail_msg("'%s': ts %lld", cases[i].line, (long long) r.ts_ms);
                assert_msg(r, cases[i].msg);
        }
        /* dmesg's relative stamps count from boot when the boot time is known */
        const char *line = "[  277.058808] segv[5458]: segfault";
        assert_int_equal(logfmt_parse(LOG_FORMAT_GENERIC, line, strlen(line), &boot, &r), 0);
        assert_int_equal(r.ts_ms, boot.boot_time_ms + 277058);
        assert_int_equal(logfmt_parse(LOG_FORMAT_GENERIC, NULL, 0, &ctx, &r), 0);
        assert_int_equal(r.msg_len, 0);
        assert_non_null(r.msg);
}

static void test_logfmt_generic_levels(void **state)
{
        static const struct {
                const char *line;
                int severity;
                const char *msg;
        } cases[] = {
                {"2026-11-21 22:56:11 ERROR boom", LOG_SEV_ERR, "boom"},
                {"2026-11-21 22:56:11 [warn] careful", LOG_SEV_WARNING, "careful"},
                {"2026-11-21 22:56:11 <crit> hot", LOG_SEV_CRIT, "hot"},
                {"2026-11-21 22:56:11 error: lower case with colon", LOG_SEV_ERR,
                 "lower case with colon"},
                {"2026-11-21 22:56:11 WARNING: x", LOG_SEV_WARNING, "x"},
                {"2026-11-21 22:56:11 FATAL", LOG_SEV_CRIT, ""},
                {"2026-11-21 22:56:11 main.c:12 level=debug msg=x", LOG_SEV_DEBUG,
                 "main.c:12 level=debug msg=x"},
                {"2026-11-21 22:56:11 thread-1 INFO started", LOG_SEV_INFO,
                 "thread-1 INFO started"},
                {"{\"ts\":1,\"level\":\"warn\",\"msg\":\"json\"}", LOG_SEV_WARNING,
                 "{\"ts\":1,\"level\":\"warn\",\"msg\":\"json\"}"},
                {"ts=1 lvl=error msg=x", LOG_SEV_ERR, "ts=1 lvl=error msg=x"},
                {"severity=Notice x", LOG_SEV_NOTICE, "severity=Notice x"},
                {"[Error] no stamp, not stripped", LOG_SEV_ERR, "[Error] no stamp, not stripped"},
                /* not levels: lower case without brackets, inside words, unknown words */
                {"2026-11-21 22:56:11 an error occurred", LOG_SEV_UNKNOWN, "an error occurred"},
                {"2026-11-21 22:56:11 ERRORS and INFORMATIVE", LOG_SEV_UNKNOWN,
                 "ERRORS and INFORMATIVE"},
                {"2026-11-21 22:56:11 [errorx] y", LOG_SEV_UNKNOWN, "[errorx] y"},
                {"nothing here at all", LOG_SEV_UNKNOWN, "nothing here at all"},
        };
        LogRecord r;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                r = parse_str(LOG_FORMAT_GENERIC, cases[i].line);
                if (r.severity != cases[i].severity)
                        fail_msg("'%s': severity %d", cases[i].line, r.severity);
                assert_msg(r, cases[i].msg);
        }
        /* a level word far from the start does not count */
        char line[300];
        memset(line, 'x', sizeof(line));
        memcpy(line + 200, " ERROR ", 7);
        assert_int_equal(logfmt_parse(LOG_FORMAT_GENERIC, line, sizeof(line), &ctx, &r), 0);
        assert_int_equal(r.severity, LOG_SEV_UNKNOWN);
}

/* ---------- time zones ---------- */

static void test_logfmt_local_time(void **state)
{
        const char *nginx = "2026/11/21 22:56:11 [error] 1#1: x";
        const char *summer = "2026/07/01 12:00:00 [error] 1#1: x";
        LogRecord r;

        (void) state;
        r = parse_str(LOG_FORMAT_NGINX_ERROR, nginx);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11));

        set_tz("Asia/Shanghai");
        r = parse_str(LOG_FORMAT_NGINX_ERROR, nginx);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 14, 56, 11));
        r = parse_str(LOG_FORMAT_MYSQL, "2026-11-21 22:56:11 0 [Note] x");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 14, 56, 11));
        /* a zoned stamp does not care */
        r = parse_str(LOG_FORMAT_ACCESS,
                      "h - - [21/Nov/2026:22:56:11 +0000] \"GET / HTTP/1.1\" 200 1");
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11));

        /* DST: New York is UTC-5 in November, UTC-4 in July, and changes at 2:00 on March 8 */
        set_tz("America/New_York");
        r = parse_str(LOG_FORMAT_NGINX_ERROR, nginx);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 22, 3, 56, 11));
        r = parse_str(LOG_FORMAT_NGINX_ERROR, summer);
        assert_int_equal(r.ts_ms, utc_ms(2026, 7, 1, 16, 0, 0));
        r = parse_str(LOG_FORMAT_NGINX_ERROR, "2026/03/08 01:59:59 [error] 1#1: x");
        assert_int_equal(r.ts_ms, utc_ms(2026, 3, 8, 6, 59, 59));
        r = parse_str(LOG_FORMAT_NGINX_ERROR, "2026/03/08 03:00:00 [error] 1#1: x");
        assert_int_equal(r.ts_ms, utc_ms(2026, 3, 8, 7, 0, 0));

        /* back to UTC: the cached offsets of the other zones must not stick */
        set_tz("UTC");
        r = parse_str(LOG_FORMAT_NGINX_ERROR, nginx);
        assert_int_equal(r.ts_ms, utc_ms(2026, 11, 21, 22, 56, 11));
        r = parse_str(LOG_FORMAT_NGINX_ERROR, summer);
        assert_int_equal(r.ts_ms, utc_ms(2026, 7, 1, 12, 0, 0));
}

/* ---------- robustness ---------- */

static const char *const fixtures[] = {
        "logs/formats/access-extras.log",
        "logs/formats/apache-error.log",
        "logs/formats/kmsg.records",
        "logs/formats/mariadb-error.log",
        "logs/formats/mysql8.log",
        "logs/formats/nginx-access-bare.log",
        "logs/formats/nginx-access-combined.log",
        "logs/formats/nginx-access-named.log",
        "logs/formats/nginx-access-timed.log",
        "logs/formats/nginx-error.log",
        "logs/formats/postgres-prefix-cst.log",
        "logs/formats/postgres-prefix-numeric-zone.log",
        "logs/formats/postgres.log",
        "logs/formats/redis.log",
        "logs/formats/syslog-udp.log",
        "logs/formats/syslog.log",
};

static void check_inside(const LogRecord *r, const char *buf, size_t len)
{
        assert_non_null(r->msg);
        if (len > 0) {
                assert_true(r->msg >= buf && r->msg + r->msg_len <= buf + len);
                if (r->program)
                        assert_true(r->program >= buf && r->program + r->program_len <= buf + len);
                if (r->is_access && r->access.method)
                        assert_true(r->access.path >= buf &&
                                    r->access.path + r->access.path_len <= buf + len);
        }
        assert_true(r->severity >= LOG_SEV_UNKNOWN && r->severity <= LOG_SEV_DEBUG);
}

/* Every prefix of every fixture line, in a heap block of exactly its size (so that ASan sees
 * any read past the end), through every parser: 0 or -EBADMSG, pointers inside the line. */
static void test_logfmt_prefixes_stay_inside(void **state)
{
        Lines l;
        LogRecord r;

        (void) state;
        for (size_t f = 0; f < ELEMENTSOF(fixtures); f++) {
                lines_load(&l, fixtures[f], strstr(fixtures[f], "kmsg") != NULL);
                for (size_t i = 0; i < l.n; i++)
                        for (size_t k = 0; k <= l.len[i]; k++) {
                                _cleanup_free_ char *buf = xmalloc(k ? k : 1);
                                memcpy(buf, l.line[i], k);
                                for (int fmt = 0; fmt < _LOG_FORMAT_MAX; fmt++) {
                                        int ret = logfmt_parse(fmt, buf, k, &ctx, &r);
                                        if (fmt == LOG_FORMAT_GENERIC)
                                                assert_int_equal(ret, 0);
                                        if (ret == 0)
                                                check_inside(&r, buf, k);
                                        else
                                                assert_int_equal(ret, -EBADMSG);
                                }
                                LogFormat d = logfmt_detect(buf, k, &ctx);
                                assert_true(d >= 0 && d < _LOG_FORMAT_MAX);
                                assert_int_equal(logfmt_parse(d, buf, k, &ctx, &r), 0);
                        }
                lines_done(&l);
        }
}

static void test_logfmt_nul_and_binary(void **state)
{
        static const char nul_line[] = "2026/11/21 22:56:11 [error] 1#1: *2 a\0b\xff\xfe c";
        static const char nul_stamp[] = "2026/11/21 22:5\0:11 [error] 1#1: x";
        static const char nul_access[] =
                "h - - [21/Nov/2026:22:56:11 +0000] \"GET /\0x HTTP/1.1\" 200 1";
        LogRecord r;

        (void) state;
        r = parse_ok(LOG_FORMAT_NGINX_ERROR, nul_line, sizeof(nul_line) - 1);
        assert_int_equal(r.msg_len, 7);
        assert_memory_equal(r.msg, "a\0b\xff\xfe c", 7);
        assert_int_equal(
                logfmt_parse(LOG_FORMAT_NGINX_ERROR, nul_stamp, sizeof(nul_stamp) - 1, &ctx, &r),
                -EBADMSG);
        r = parse_ok(LOG_FORMAT_ACCESS, nul_access, sizeof(nul_access) - 1);
        assert_int_equal(r.access.status, 200);
        assert_int_equal(r.msg_len, 16);
        /* the line length is what counts, not a NUL: a stamp cut by len is no stamp */
        r = parse_ok(LOG_FORMAT_GENERIC, "2026-11-21 22:56:11 x", 15);
        assert_int_equal(r.ts_ms, 0);
        /* bytes >= 0x80 where letters and digits go */
        parse_bad(LOG_FORMAT_SYSLOG, "N\xf6v 21 22:56:11 h p: x");
        parse_bad(LOG_FORMAT_REDIS, "1\xb2:M 21 Nov 2026 22:56:45.528 # x");
        r = parse_str(LOG_FORMAT_GENERIC, "\xff\xfe\xfd ERROR \x80");
        assert_int_equal(r.severity, LOG_SEV_ERR);
}

/* ---------- detection, names ---------- */

static void test_logfmt_detect_misc(void **state)
{
        static const struct {
                const char *line;
                LogFormat f;
        } cases[] = {
                {"2026-11-21T23:15:40.123456Z 0 [ERROR] [MY-010119] [Server] x", LOG_FORMAT_MYSQL},
                {"2026-11-21T23:15:40.123456+00:00 host prog[1]: x", LOG_FORMAT_SYSLOG},
                {"::1 - - [21/Nov/2026:22:56:11 +0000] \"GET / HTTP/1.1\" 200 1",
                 LOG_FORMAT_ACCESS},
                {"fe80::1 - - [21/Nov/2026:22:56:11 +0000] \"GET / HTTP/1.1\" 200 1",
                 LOG_FORMAT_ACCESS},
                {"example.com - - [21/Nov/2026:22:56:11 +0000] \"GET / HTTP/1.1\" 200 1",
                 LOG_FORMAT_ACCESS},
                {"[21/Nov/2026:22:56:11 +0000] something", LOG_FORMAT_GENERIC},
                {"2015-10-18 18:01:47,978 INFO [main] x", LOG_FORMAT_GENERIC},
                {"\tcontinuation", LOG_FORMAT_GENERIC},
                {"<34>1 - - - - - -", LOG_FORMAT_SYSLOG5424},
                {"<34>Nov 21 22:56:11 h p: x", LOG_FORMAT_SYSLOG},
                {"<34>garbage", LOG_FORMAT_GENERIC},
                {"", LOG_FORMAT_GENERIC},
                /* application logs with an ISO stamp are not rsyslog's ISO form: a level is
                 * no host name, and that form always has a tag without blanks */
                {"2026-11-22T03:05:31+00:00 ERROR connection to db-1 refused", LOG_FORMAT_GENERIC},
                {"2026-11-22T03:05:31+00:00 FATAL out of memory: killed worker 7",
                 LOG_FORMAT_GENERIC},
                {"2026-11-22T03:05:31+00:00 worker-3 started job 7", LOG_FORMAT_GENERIC},
                {"2026-11-22T03:05:31+00:00 worker-3 job 7 is done: ok", LOG_FORMAT_GENERIC},
                {"Nov 22 03:05:31 WARN low disk", LOG_FORMAT_GENERIC},
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (logfmt_detect(cases[i].line, strlen(cases[i].line), &ctx) != cases[i].f)
                        fail_msg("'%s' not detected as %s", cases[i].line,
                                 logfmt_to_string(cases[i].f));
        assert_int_equal(logfmt_detect(NULL, 0, &ctx), LOG_FORMAT_GENERIC);
}

static void test_logfmt_from_path(void **state)
{
        static const struct {
                const char *path;
                LogFormat f;
        } cases[] = {
                {"/var/log/nginx/access.log", LOG_FORMAT_ACCESS},
                {"/var/log/nginx/access.log.1", LOG_FORMAT_ACCESS},
                {"/var/log/nginx/access.log.2.gz", LOG_FORMAT_ACCESS},
                {"/var/log/nginx/example.com-access.log", LOG_FORMAT_ACCESS},
                {"/var/log/apache2/other_vhosts_access.log", LOG_FORMAT_ACCESS},
                {"/var/log/httpd/ssl_access_log", LOG_FORMAT_ACCESS},
                {"/var/log/httpd/access_log-20261121", LOG_FORMAT_ACCESS},
                {"/var/log/nginx/error.log", LOG_FORMAT_NGINX_ERROR},
                {"/var/log/nginx/example.com.error.log.3.gz", LOG_FORMAT_NGINX_ERROR},
                {"/var/log/apache2/error.log", LOG_FORMAT_APACHE_ERROR},
                {"/var/log/httpd/error_log", LOG_FORMAT_APACHE_ERROR},
                {"/var/log/httpd/ssl_error_log.1", LOG_FORMAT_APACHE_ERROR},
                {"/var/log/mysql/error.log", LOG_FORMAT_MYSQL},
                {"/var/log/mariadb/mariadb.log", LOG_FORMAT_MYSQL},
                {"/var/log/mysqld.log", LOG_FORMAT_MYSQL},
                {"/var/lib/mysql/db1.example.com.err", LOG_FORMAT_MYSQL},
                {"/var/log/redis/redis-server.log", LOG_FORMAT_REDIS},
                {"/var/log/redis_6379.log", LOG_FORMAT_REDIS},
                {"/var/log/postgresql/postgresql-15-main.log", LOG_FORMAT_POSTGRES},
                {"/var/log/postgresql/postgresql-15-main.log.1", LOG_FORMAT_POSTGRES},
                {"/var/log/syslog", LOG_FORMAT_SYSLOG},
                {"/var/log/syslog.1", LOG_FORMAT_SYSLOG},
                {"/var/log/syslog.4.gz", LOG_FORMAT_SYSLOG},
                {"/var/log/messages", LOG_FORMAT_SYSLOG},
                {"/var/log/messages-20261121", LOG_FORMAT_SYSLOG},
                {"/var/log/auth.log", LOG_FORMAT_SYSLOG},
                {"/var/log/secure", LOG_FORMAT_SYSLOG},
                {"/var/log/kern.log", LOG_FORMAT_SYSLOG},
                {"/var/log/daemon.log", LOG_FORMAT_SYSLOG},
                {"/var/log/user.log", LOG_FORMAT_SYSLOG},
                {"/var/log/mail.err", LOG_FORMAT_SYSLOG},
                {"syslog", LOG_FORMAT_SYSLOG},
                {"/dev/kmsg", LOG_FORMAT_KMSG},
                {"/var/log/mysql/mysql-slow.log", LOG_FORMAT_AUTO},
                {"/var/log/error.log", LOG_FORMAT_AUTO},
                {"/var/log/app/app.log", LOG_FORMAT_AUTO},
                {"/var/log/access_control.txt", LOG_FORMAT_AUTO},
                {"", LOG_FORMAT_AUTO},
        };
        char long_path[3000];

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (logfmt_from_path(cases[i].path) != cases[i].f)
                        fail_msg("'%s' is %s", cases[i].path,
                                 logfmt_to_string(logfmt_from_path(cases[i].path)));
        assert_int_equal(logfmt_from_path(NULL), LOG_FORMAT_AUTO);
        memset(long_path, 'a', sizeof(long_path));
        memcpy(long_path + sizeof(long_path) - 24, "/nginx/access.log", 18);
        assert_int_equal(logfmt_from_path(long_path), LOG_FORMAT_ACCESS);
}

static void test_logfmt_strings(void **state)
{
        (void) state;
        for (int f = 0; f < _LOG_FORMAT_MAX; f++) {
                assert_non_null(logfmt_to_string(f));
                assert_int_equal(logfmt_from_string(logfmt_to_string(f)), f);
        }
        assert_string_equal(logfmt_to_string(LOG_FORMAT_NGINX_ERROR), "nginx-error");
        assert_string_equal(logfmt_to_string(LOG_FORMAT_ACCESS), "access");
        assert_string_equal(logfmt_to_string(LOG_FORMAT_SYSLOG), "syslog");
        assert_string_equal(logfmt_to_string(LOG_FORMAT_AUTO), "auto");
        assert_null(logfmt_to_string(_LOG_FORMAT_MAX));
        assert_null(logfmt_to_string(_LOG_FORMAT_INVALID));
        assert_int_equal(logfmt_from_string("auto"), LOG_FORMAT_AUTO);
        assert_int_equal(logfmt_from_string("Nginx-Error"), LOG_FORMAT_NGINX_ERROR);
        assert_int_equal(logfmt_from_string("rfc5424"), LOG_FORMAT_SYSLOG5424);
        assert_int_equal(logfmt_from_string("combined"), LOG_FORMAT_ACCESS);
        assert_int_equal(logfmt_from_string("mariadb"), LOG_FORMAT_MYSQL);
        assert_int_equal(logfmt_from_string("postgresql"), LOG_FORMAT_POSTGRES);
        assert_int_equal(logfmt_from_string("nginx"), _LOG_FORMAT_INVALID);
        assert_int_equal(logfmt_from_string(""), _LOG_FORMAT_INVALID);
        assert_int_equal(logfmt_from_string(NULL), _LOG_FORMAT_INVALID);

        static const struct {
                const char *word;
                int sev;
        } words[] = {
                {"error", LOG_SEV_ERR},
                {"ERROR", LOG_SEV_ERR},
                {"err", LOG_SEV_ERR},
                {"Warn", LOG_SEV_WARNING},
                {"warning", LOG_SEV_WARNING},
                {"fatal", LOG_SEV_CRIT},
                {"crit", LOG_SEV_CRIT},
                {"CRITICAL", LOG_SEV_CRIT},
                {"emerg", LOG_SEV_EMERG},
                {"panic", LOG_SEV_EMERG},
                {"alert", LOG_SEV_ALERT},
                {"notice", LOG_SEV_NOTICE},
                {"info", LOG_SEV_INFO},
                {"Note", LOG_SEV_INFO},
                {"debug", LOG_SEV_DEBUG},
                {"DEBUG5", LOG_SEV_DEBUG},
                {"trace8", LOG_SEV_DEBUG},
                {"severe", LOG_SEV_ERR},
                {"informational", LOG_SEV_INFO},
                {"errors", LOG_SEV_UNKNOWN},
                {"in", LOG_SEV_UNKNOWN},
                {"", LOG_SEV_UNKNOWN},
                {"debugx", LOG_SEV_UNKNOWN},
                {"inf", LOG_SEV_UNKNOWN},
                {"warni", LOG_SEV_UNKNOWN},
                {"debug12", LOG_SEV_UNKNOWN},
        };
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (log_severity_from_word(words[i].word, strlen(words[i].word)) != words[i].sev)
                        fail_msg("'%s' is not %d", words[i].word, words[i].sev);
        assert_int_equal(log_severity_from_word(NULL, 5), LOG_SEV_UNKNOWN);
        assert_int_equal(log_severity_from_word("errorless", 5), LOG_SEV_ERR);
        for (int s = 0; s < 8; s++)
                assert_int_equal(log_severity_from_word(log_severity_to_string(s),
                                                        strlen(log_severity_to_string(s))),
                                 s);
        assert_string_equal(log_severity_to_string(LOG_SEV_WARNING), "warning");
        assert_string_equal(log_severity_to_string(LOG_SEV_ERR), "err");
        assert_string_equal(log_severity_to_string(LOG_SEV_UNKNOWN), "unknown");
        assert_string_equal(log_severity_to_string(8), "unknown");
}

static void test_logfmt_parse_args(void **state)
{
        LogRecord r = {.pid = 42};

        (void) state;
        assert_int_equal(logfmt_parse(LOG_FORMAT_AUTO, "x", 1, &ctx, &r), -EINVAL);
        assert_int_equal(logfmt_parse(_LOG_FORMAT_MAX, "x", 1, &ctx, &r), -EINVAL);
        assert_int_equal(logfmt_parse(LOG_FORMAT_GENERIC, NULL, 1, &ctx, &r), -EINVAL);
        /* on failure the record is left alone */
        assert_int_equal(logfmt_parse(LOG_FORMAT_KMSG, "x", 1, &ctx, &r), -EBADMSG);
        assert_int_equal(r.pid, 42);
}

/* ---------- Loghub, read in place ---------- */

/* The next CSV field of *p (RFC 4180 quoting) into buf; false at the end of the line. */
static bool csv_field(const char **p, char *buf, size_t size)
{
        const char *s = *p;
        size_t n = 0;

        if (*s == '\0' || *s == '\n')
                return false;
        if (*s == '"') {
                for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
                        if (*s == '"')
                                s++;
                        if (n + 1 < size)
                                buf[n++] = *s;
                }
                if (*s == '"')
                        s++;
        } else
                for (; *s && *s != ',' && *s != '\n'; s++)
                        if (n + 1 < size)
                                buf[n++] = *s;
        buf[n] = '\0';
        if (*s == ',')
                s++;
        *p = s;
        return true;
}

/* s with blank runs made single blanks and trimmed, as the Loghub tools compare. */
static void squeeze(const char *s, size_t n, char *out, size_t size)
{
        size_t k = 0;

        for (size_t i = 0; i < n && k + 1 < size; i++) {
                if (s[i] == ' ' || s[i] == '\t') {
                        if (k > 0 && out[k - 1] != ' ')
                                out[k++] = ' ';
                } else
                        out[k++] = s[i];
        }
        while (k > 0 && out[k - 1] == ' ')
                k--;
        out[k] = '\0';
}

/* Loghub writes pids as floats ("19939.0"), none as "". */
static int64_t pid_of(const char *s)
{
        double v = 0;

        if (*s)
                assert_int_equal(safe_atod(s, &v), 0);
        return (int64_t) v;
}

static void test_logfmt_loghub(void **state)
{
        static const struct {
                const char *name;
                LogFormat f;
                int content_col, component_col, pid_col;
        } sets[] = {
                {"Apache", LOG_FORMAT_APACHE_ERROR, 3, -1, -1},
                {"Linux", LOG_FORMAT_SYSLOG, 7, 5, 6},
                {"OpenSSH", LOG_FORMAT_SYSLOG, 6, -1, 5},
        };
        const char *base = getenv("AIOPS_SHARED_DATA");
        char field[4096], a[4096], b[4096];

        (void) state;
        if (!base) {
                print_message("AIOPS_SHARED_DATA is not set, skipping the Loghub lines\n");
                skip();
        }
        char *dir = xasprintf("%s/loghub-2k", base);
        bool there = access(dir, R_OK | X_OK) >= 0;
        if (!there) /* a checkout without the shared data sets beside it */
                print_message("'%s' is not there, skipping the Loghub lines\n", dir);
        free(dir); /* skip() does not return */
        if (!there)
                skip();
        for (size_t s = 0; s < ELEMENTSOF(sets); s++) {
                _cleanup_free_ char *log_path =
                        xasprintf("%s/loghub-2k/%s/%s_2k.log", base, sets[s].name, sets[s].name);
                _cleanup_free_ char *csv_path =
                        xasprintf("%s/loghub-2k/%s/%s_2k.log_structured_corrected.csv", base,
                                  sets[s].name, sets[s].name);
                _cleanup_fclose_ FILE *lf = fopen(log_path, "re");
                _cleanup_fclose_ FILE *cf = fopen(csv_path, "re");
                _cleanup_free_ char *line = NULL, *row = NULL;
                size_t line_cap = 0, row_cap = 0, n = 0;
                ssize_t len;

                if (!lf || !cf)
                        fail_msg("cannot open '%s' or its CSV", log_path);
                assert_true(getline(&row, &row_cap, cf) > 0); /* header */
                /* the first 500 lines of each */
                while (n < 500 && (len = getline(&line, &line_cap, lf)) > 0 &&
                       getline(&row, &row_cap, cf) > 0) {
                        LogRecord r;
                        const char *p = row;
                        char component[4096] = "", pid[4096] = "";
                        if (line[len - 1] == '\n')
                                len--;
                        r = parse_ok(sets[s].f, line, (size_t) len);
                        assert_int_equal(logfmt_detect(line, (size_t) len, &ctx), sets[s].f);
                        assert_true(r.ts_ms > 0);
                        for (int col = 0; csv_field(&p, field, sizeof(field)); col++) {
                                if (col == sets[s].content_col)
                                        squeeze(field, strlen(field), a, sizeof(a));
                                else if (col == sets[s].component_col)
                                        snprintf(component, sizeof(component), "%s", field);
                                else if (col == sets[s].pid_col)
                                        snprintf(pid, sizeof(pid), "%s", field);
                        }
                        squeeze(r.msg, r.msg_len, b, sizeof(b));
                        if (strcmp(a, b) != 0)
                                fail_msg("%s line %zu: msg '%s', Loghub '%s'", sets[s].name, n + 1,
                                         b, a);
                        if (sets[s].component_col >= 0)
                                check_str("program", r.program, r.program_len, component);
                        if (sets[s].pid_col >= 0)
                                assert_int_equal(r.pid, pid_of(pid));
                        n++;
                }
                assert_int_equal(n, 500);
        }
}

static int setup(void **state)
{
        (void) state;
        set_tz("UTC");
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_logfmt_nginx_error_real),
                cmocka_unit_test(test_logfmt_access_real),
                cmocka_unit_test(test_logfmt_access_extras),
                cmocka_unit_test(test_logfmt_access_bad),
                cmocka_unit_test(test_logfmt_mysql_real),
                cmocka_unit_test(test_logfmt_mysql_forms),
                cmocka_unit_test(test_logfmt_postgres_real),
                cmocka_unit_test(test_logfmt_postgres_zones),
                cmocka_unit_test(test_logfmt_redis),
                cmocka_unit_test(test_logfmt_kmsg),
                cmocka_unit_test(test_logfmt_syslog),
                cmocka_unit_test(test_logfmt_syslog_year),
                cmocka_unit_test(test_logfmt_syslog5424),
                cmocka_unit_test(test_logfmt_apache_error),
                cmocka_unit_test(test_logfmt_generic_stamps),
                cmocka_unit_test(test_logfmt_generic_levels),
                cmocka_unit_test(test_logfmt_local_time),
                cmocka_unit_test(test_logfmt_prefixes_stay_inside),
                cmocka_unit_test(test_logfmt_nul_and_binary),
                cmocka_unit_test(test_logfmt_detect_misc),
                cmocka_unit_test(test_logfmt_from_path),
                cmocka_unit_test(test_logfmt_strings),
                cmocka_unit_test(test_logfmt_parse_args),
                cmocka_unit_test(test_logfmt_loghub),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}

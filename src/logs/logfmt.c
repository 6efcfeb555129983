/* Log line format parsers (logfmt.h). Every parser walks the line once with a bounded pointer
 * pair [p, e); none allocates, copies, calls sscanf/strptime or relies on a terminating NUL, so
 * NUL bytes and invalid UTF-8 inside a line are just bytes.
 *
 * Timestamps. Dates must exist (Feb 29 only in leap years) and years lie in 1970..9999, else
 * the line does not fit the format. A stamp with a zone (Z, +HH:MM, +HHMM, +HH, the access
 * log's "+0000", PostgreSQL's "UTC"/"GMT"/"+08") is exact; one without is local time in the
 * process's zone (TZ). Local stamps are converted with a per-thread cache of the zone offset per
 * local hour, filled by one mktime() per hour seen, so DST changes are followed; the cache is
 * dropped when tzset() changes timezone/tzname (tests switch TZ with setenv + tzset). A stamp
 * without a year (RFC 3164, old Redis) gets the latest year that does not put it more than two
 * days after ctx->now_ms (so a December line read in January is last year's; the slack covers
 * zone offsets and clock skew); Feb 29 goes back to the last leap year.
 *
 * Severity. log_severity_from_word() maps level words; per format:
 *   syslog RFC 3164   unknown, unless "<PRI>" leads the line or the message starts with a level
 *                     ("error: ...", "[warn] ...", "<crit> ...", "ALERT ...");
 *   RFC 5424, kmsg    PRI & 7;
 *   nginx, apache     the bracketed level (apache "trace1".."trace8" are debug);
 *   MySQL/MariaDB     ERROR err, Warning warning, Note info, System notice;
 *   Redis             the mark: '.' debug, '-' verbose = info, '*' notice, '#' warning;
 *   PostgreSQL        DEBUG1-5 debug, LOG and INFO info, NOTICE notice, WARNING warning,
 *                     ERROR err, FATAL crit, PANIC emerg. The continuation kinds DETAIL, HINT,
 *                     QUERY, CONTEXT, STATEMENT and LOCATION belong to the line before, which a
 *                     line parser cannot see: they are info, and their msg keeps the kind
 *                     ("STATEMENT:  selec 1") so that they never mine together with messages;
 *   access            status 5xx err, 4xx warning, anything else (also "000") info;
 *   generic           the first level word in the first 100 bytes after the timestamp (of
 *                     the line if it has none) that is upper case (ERROR), bracketed
 *                     ([error], <warn>), a value of level=, lvl=, severity=, loglevel= (also
 *                     JSON "level":"error"), or the first word followed by ':' ("error: ...").
 *
 * Messages. msg has no leading or trailing blanks. It is what follows the header: for syslog the
 * part after "prog[pid]: " (a tag may contain spaces, as "syslogd 1.4.1:" does), for nginx the
 * part after "pid#tid: *cid ", for apache after the level and "[pid N:tid M]" (the client stays,
 * as in the Loghub ground truth: "[client 1.2.3.4] Directory index forbidden ..."), for MySQL
 * after the level and a "mariadbd: "/"mysqld: " prefix (MySQL 8's "[MY-010119] [Server] " goes
 * into program "Server"), for access logs the request line ('GET /path?q=1 HTTP/1.1', or
 * whatever the client sent), for kmsg up to the first "\n" (continuation lines " KEY=value"
 * follow it), for generic the rest after the timestamp and a level word right after it.
 *
 * Access logs: "client ident user [dd/Mon/yyyy:HH:MM:SS +zzzz] "request" status bytes", with an
 * optional leading virtual host (apache vhost_combined), optional "referer" "user agent", and
 * then any trailing fields. Of those, these are recognised (anything else is skipped):
 *   request time          rt=0.123, request_time=0.123, req_time=, reqtime=, "request_time
 *                         0.123" (name, blank, value), or the first bare number with a decimal
 *                         point after the quoted fields ("UA" 0.123);
 *   upstream time         urt=, upstream_response_time=, upstream_time=, ut=, or
 *                         "upstream_response_time 1.002", or the second bare number (or "-")
 *                         after the quoted fields ("UA" 0.123 0.100); when no response time is
 *                         present, uht=/upstream_header_time= and then uct=/upstream_connect_time=
 *                         stand in (a response time of "-" stays unknown).
 * Values may be quoted (urt="0.100"). nginx writes one upstream time per upstream tried,
 * "0.5, 1.0", and joins internal redirects with " : "; the last counts. "-" is unknown (NAN).
 * Bare integers are not taken: apache's %D (microseconds) and %T (seconds) cannot be told
 * apart. status is 0 for "000" or anything outside 100..599. */
#include "logs/logfmt.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/macro.h"
#include "core/time-util.h"

#define YEAR_MIN 1970
#define YEAR_MAX 9999
/* How far into the future a stamp without year may be before it is taken as last year's. */
#define YEARLESS_SLACK_S (2 * 86400)
/* How far after the timestamp the generic parser looks for a level word. */
#define LEVEL_WINDOW 100
/* Longest syslog tag ("prog[pid]:") taken as one. */
#define TAG_MAX 48

/* ---------- bytes ---------- */

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_upper(char c)
{
        return c >= 'A' && c <= 'Z';
}

static bool is_word_char(char c)
{
        return is_alpha(c) || is_digit(c) || c == '_';
}

static char to_lower(char c)
{
        return is_upper(c) ? (char) (c - 'A' + 'a') : c;
}

static const char *skip_blanks(const char *p, const char *e)
{
        while (p < e && is_blank(*p))
                p++;
        return p;
}

static const char *skip_word(const char *p, const char *e)
{
        while (p < e && !is_blank(*p))
                p++;
        return p;
}

/* True if [p, e) starts with the literal. */
#define HAS(p, e, lit) \
        ((size_t) ((e) - (p)) >= sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* Case-insensitive: is [p, p+n) exactly the lower-case word w? */
static bool word_is(const char *p, size_t n, const char *w)
{
        size_t i;

        for (i = 0; i < n && w[i]; i++)
                if (to_lower(p[i]) != w[i])
                        return false;
        return i == n && w[i] == '\0';
}

/* Exactly n digits. */
static const char *get_digits(const char *p, const char *e, int n, int *ret)
{
        int v = 0;

        if (e - p < n)
                return NULL;
        for (int i = 0; i < n; i++) {
                if (!is_digit(p[i]))
                        return NULL;
                v = v * 10 + (p[i] - '0');
        }
        *ret = v;
        return p + n;
}

/* 1 to max (<= 18) digits; NULL if none or more than max. */
static const char *get_number(const char *p, const char *e, int max, int64_t *ret)
{
        int64_t v = 0;
        int n = 0;

        while (p < e && is_digit(*p)) {
                if (++n > max)
                        return NULL;
                v = v * 10 + (*p++ - '0');
        }
        if (n == 0)
                return NULL;
        *ret = v;
        return p;
}

/* p at '"': returns the position after the closing quote, NULL if there is none. A backslash
 * escapes the next byte (apache \" and \\; nginx's \x22 needs nothing special). */
static const char *skip_quoted(const char *p, const char *e)
{
        for (p++; p < e;) {
                const char *q = memchr(p, '"', (size_t) (e - p));
                if (!q)
                        return NULL;
                /* escaped if an odd number of backslashes precede it (after p) */
                size_t n = 0;
                while (q - n > p && q[-1 - (ptrdiff_t) n] == '\\')
                        n++;
                if (n % 2 == 0)
                        return q + 1;
                p = q + 1;
        }
        return NULL;
}

/* ---------- time ---------- */

typedef struct Stamp {
        int year, mon, day, hour, min, sec, msec;
        int off_s;
        bool zoned;
} Stamp;

static bool is_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
        static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static bool stamp_date_valid(const Stamp *st)
{
        return st->year >= YEAR_MIN && st->year <= YEAR_MAX && st->mon >= 1 && st->mon <= 12 &&
               st->day >= 1 && st->day <= days_in_month(st->year, st->mon);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
 * Low-Level Date Algorithms"). */
static int64_t days_from_civil(int y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

/* The year of a day count since 1970-01-01 (the inverse of the above, year only). */
static int year_from_days(int64_t z)
{
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        return (int) (yoe + era * 400 + (mp >= 10));
}

/* The stamp's wall-clock time read as if it were UTC. */
static int64_t stamp_naive_s(const Stamp *st)
{
        return days_from_civil(st->year, st->mon, st->day) * 86400 + st->hour * 3600 +
               st->min * 60 + st->sec;
}

typedef struct TzSlot {
        int64_t hour; /* naive local seconds / 3600 */
        int64_t off_s;
        long tz;
        const char *name0, *name1;
        bool valid;
} TzSlot;

static _Thread_local TzSlot tz_cache[8];

/* UTC offset of local wall-clock time naive_s (the stamp st), from the cache or one mktime(). */
static int64_t local_offset_s(const Stamp *st, int64_t naive_s)
{
        int64_t hour = naive_s / 3600; /* >= 0: years start at 1970 */
        TzSlot *c = &tz_cache[hour % (int64_t) ELEMENTSOF(tz_cache)];

        if (c->valid && c->hour == hour && c->tz == timezone && c->name0 == tzname[0] &&
            c->name1 == tzname[1])
                return c->off_s;

        struct tm tm = {
                .tm_year = st->year - 1900,
                .tm_mon = st->mon - 1,
                .tm_mday = st->day,
                .tm_hour = st->hour,
                .tm_isdst = -1,
        };
        time_t t = mktime(&tm);
        *c = (TzSlot){
                .hour = hour,
                .off_s = t == (time_t) -1 ? 0 : hour * 3600 - (int64_t) t,
                .tz = timezone,
                .name0 = tzname[0],
                .name1 = tzname[1],
                .valid = true,
        };
        return c->off_s;
}

static int64_t stamp_to_ms(const Stamp *st)
{
        int64_t naive = stamp_naive_s(st);
        int64_t off = st->zoned ? st->off_s : local_offset_s(st, naive);
        return (naive - off) * 1000 + st->msec;
}

static int64_t ctx_now_ms(const LogParseContext *ctx)
{
        return ctx && ctx->now_ms != 0 ? ctx->now_ms : time_now_ms();
}

/* Sets st->year for a stamp written without one (see the top comment). */
static bool stamp_guess_year(Stamp *st, const LogParseContext *ctx)
{
        int64_t now_s = ctx_now_ms(ctx) / 1000;
        int y = year_from_days(now_s / 86400);

        for (int cand = y + 1; cand >= y - 8; cand--) {
                if (st->mon == 2 && st->day == 29 && !is_leap(cand))
                        continue;
                st->year = cand;
                if (!stamp_date_valid(st))
                        return false;
                if (stamp_naive_s(st) <= now_s + YEARLESS_SLACK_S)
                        return true;
        }
        return false;
}

/* "Jan".."Dec" in any case, not followed by a letter; 1..12 or 0. */
static int get_month(const char *p, const char *e)
{
        static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

        if (e - p < 3 || (e - p > 3 && is_alpha(p[3])))
                return 0;
        char a = to_lower(p[0]), b = to_lower(p[1]), c = to_lower(p[2]);
        for (int i = 0; i < 12; i++)
                if (names[3 * i] == a && names[3 * i + 1] == b && names[3 * i + 2] == c)
                        return i + 1;
        return 0;
}

/* "HH:MM:SS" (the hour may have one digit, as MariaDB's "%2d" leaves after its padding blank)
 * with an optional ".frac" or ",frac" of any length (milliseconds kept). */
static const char *get_hms(const char *p, const char *e, Stamp *st)
{
        int h, m, s;

        if (p + 1 < e && is_digit(p[0]) && p[1] == ':') {
                h = p[0] - '0';
                p++;
        } else if (!(p = get_digits(p, e, 2, &h)))
                return NULL;
        if (p >= e || *p != ':' || !(p = get_digits(p + 1, e, 2, &m)))
                return NULL;
        if (p >= e || *p != ':' || !(p = get_digits(p + 1, e, 2, &s)))
                return NULL;
        if (h > 23 || m > 59 || s > 60)
                return NULL;
        st->hour = h;
        st->min = m;
        st->sec = s;
        st->msec = 0;
        if (p + 1 < e && (*p == '.' || *p == ',') && is_digit(p[1])) {
                int n = 0, ms = 0;
                for (p++; p < e && is_digit(*p); p++, n++)
                        if (n < 3)
                                ms = ms * 10 + (*p - '0');
                for (; n < 3; n++)
                        ms *= 10;
                st->msec = ms;
        }
        return p;
}

/* "Z", "+HH:MM", "+HHMM" or "+HH"; NULL if none. */
static const char *get_zone(const char *p, const char *e, Stamp *st)
{
        int hh, mm = 0;

        if (p < e && *p == 'Z') {
                st->zoned = true;
                st->off_s = 0;
                return p + 1;
        }
        if (p >= e || (*p != '+' && *p != '-'))
                return NULL;
        int sign = *p == '-' ? -1 : 1;
        const char *q = get_digits(p + 1, e, 2, &hh);
        if (!q)
                return NULL;
        if (q < e && *q == ':') {
                if (!(q = get_digits(q + 1, e, 2, &mm)))
                        return NULL;
        } else if (q + 1 < e && is_digit(q[0]) && is_digit(q[1]))
                q = get_digits(q, e, 2, &mm);
        if (hh > 23 || mm > 59)
                return NULL;
        st->zoned = true;
        st->off_s = sign * (hh * 3600 + mm * 60);
        return q;
}

/* "YYYY-MM-DD" + ('T' | blanks) + hms, zone optional. */
static const char *get_iso(const char *p, const char *e, Stamp *st)
{
        const char *q;

        *st = (Stamp){};
        if (!(p = get_digits(p, e, 4, &st->year)) || p >= e || *p != '-' ||
            !(p = get_digits(p + 1, e, 2, &st->mon)) || p >= e || *p != '-' ||
            !(p = get_digits(p + 1, e, 2, &st->day)) || p >= e)
                return NULL;
        if (*p == 'T')
                p++;
        else if (is_blank(*p))
                p = skip_blanks(p, e);
        else
                return NULL;
        if (!(p = get_hms(p, e, st)) || !stamp_date_valid(st))
                return NULL;
        if ((q = get_zone(p, e, st)))
                p = q;
        return p;
}

/* "Mmm dd HH:MM:SS" ("Nov  1" too), optionally with a year after the day ("Nov 21 2026 ..."). */
static const char *get_bsd(const char *p, const char *e, const LogParseContext *ctx, Stamp *st)
{
        int y;

        *st = (Stamp){};
        if (!(st->mon = get_month(p, e)) || e - p < 4 || p[3] != ' ')
                return NULL;
        p += 4;
        if (p < e && *p == ' ')
                p++;
        if (p + 1 < e && is_digit(p[0]) && is_digit(p[1]))
                st->day = (p[0] - '0') * 10 + (p[1] - '0'), p += 2;
        else if (p < e && is_digit(p[0]))
                st->day = p[0] - '0', p++;
        else
                return NULL;
        if (p >= e || *p != ' ')
                return NULL;
        p++;
        const char *q = get_digits(p, e, 4, &y);
        bool has_year = q && q < e && *q == ' ';
        if (has_year)
                p = q + 1;
        if (!(p = get_hms(p, e, st)))
                return NULL;
        if (has_year) {
                st->year = y;
                if (!stamp_date_valid(st))
                        return NULL;
        } else if (!stamp_guess_year(st, ctx))
                return NULL;
        return p;
}

/* "Www Mmm dd HH:MM:SS[.frac] YYYY" (ctime, apache error logs). */
static const char *get_ctime(const char *p, const char *e, Stamp *st)
{
        *st = (Stamp){};
        if (e - p < 8 || !is_alpha(p[0]) || !is_alpha(p[1]) || !is_alpha(p[2]) || p[3] != ' ' ||
            !(st->mon = get_month(p + 4, e)) || p[7] != ' ')
                return NULL;
        p = skip_blanks(p + 8, e);
        int64_t d;
        if (!(p = get_number(p, e, 2, &d)) || p >= e || *p != ' ')
                return NULL;
        st->day = (int) d;
        if (!(p = get_hms(p + 1, e, st)) || p >= e || *p != ' ' ||
            !(p = get_digits(p + 1, e, 4, &st->year)) || !stamp_date_valid(st))
                return NULL;
        return p;
}

/* "dd/Mon/yyyy:HH:MM:SS +zzzz" (NCSA), zone optional. */
static const char *get_ncsa(const char *p, const char *e, Stamp *st)
{
        const char *q;

        *st = (Stamp){};
        if (!(p = get_digits(p, e, 2, &st->day)) || p >= e || *p != '/' ||
            !(st->mon = get_month(p + 1, e)) || e - p < 5 || p[4] != '/' ||
            !(p = get_digits(p + 5, e, 4, &st->year)) || p >= e || *p != ':' ||
            !(p = get_hms(p + 1, e, st)) || !stamp_date_valid(st))
                return NULL;
        if (p + 1 < e && *p == ' ' && (q = get_zone(p + 1, e, st)))
                p = q;
        return p;
}

/* ---------- severity words ---------- */

const char *log_severity_to_string(int sev)
{
        static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};
        return sev >= 0 && sev < (int) ELEMENTSOF(names) ? names[sev] : "unknown";
}

int log_severity_from_word(const char *s, size_t len)
{
        /* by length, so that a word costs a switch and a compare or two */
        static const struct {
                const char *word;
                int sev;
        } words[] = {
                {"err", LOG_SEV_ERR},          {"dbg", LOG_SEV_DEBUG},
                {"crit", LOG_SEV_CRIT},        {"warn", LOG_SEV_WARNING},
                {"info", LOG_SEV_INFO},        {"note", LOG_SEV_INFO},
                {"fine", LOG_SEV_DEBUG},       {"emerg", LOG_SEV_EMERG},
                {"panic", LOG_SEV_EMERG},      {"alert", LOG_SEV_ALERT},
                {"fatal", LOG_SEV_CRIT},       {"error", LOG_SEV_ERR},
                {"debug", LOG_SEV_DEBUG},      {"trace", LOG_SEV_DEBUG},
                {"finer", LOG_SEV_DEBUG},      {"severe", LOG_SEV_ERR},
                {"notice", LOG_SEV_NOTICE},    {"finest", LOG_SEV_DEBUG},
                {"warning", LOG_SEV_WARNING},  {"verbose", LOG_SEV_INFO},
                {"critical", LOG_SEV_CRIT},    {"emergency", LOG_SEV_EMERG},
                {"information", LOG_SEV_INFO}, {"informational", LOG_SEV_INFO},
        };
        /* index of the first word of each length 3..13 in words[] */
        static const uint8_t first[] = {0, 0, 0, 0, 2, 7, 15, 18, 20, 21, 22, 22, 23, 23, 24};

        if (!s || len < 3 || len > 13)
                return LOG_SEV_UNKNOWN;
        /* "debug1".."debug5" (PostgreSQL), "trace1".."trace8" (apache) */
        if (len == 6 && is_digit(s[5]) && (word_is(s, 5, "debug") || word_is(s, 5, "trace")))
                return LOG_SEV_DEBUG;
        char c = to_lower(s[0]);
        for (size_t i = first[len]; i < first[len + 1]; i++)
                if (words[i].word[0] == c && word_is(s, len, words[i].word))
                        return words[i].sev;
        return LOG_SEV_UNKNOWN;
}

/* Is the word at ws the value of a level key: level=, lvl=, severity=, loglevel=, log_level=
 * or JSON "level":"? */
static bool after_level_key(const char *start, const char *ws)
{
        const char *k = ws;

        if (k > start && k[-1] == '"')
                k--;
        if (k > start && (k[-1] == '=' || k[-1] == ':'))
                k--;
        else
                return false;
        if (k > start && k[-1] == '"')
                k--;
        const char *ke = k;
        while (k > start && is_word_char(k[-1]))
                k--;
        size_t n = (size_t) (ke - k);
        return word_is(k, n, "level") || word_is(k, n, "lvl") || word_is(k, n, "severity") ||
               word_is(k, n, "loglevel") || word_is(k, n, "log_level");
}

/* The first level word in [p, p + window) as the top comment describes, or LOG_SEV_UNKNOWN.
 * When the word is the first thing at p (maybe bracketed, maybe with ':'), *ret_rest points
 * past it and its blanks; else it is left alone. */
static int scan_level(const char *p, const char *e, size_t window, const char **ret_rest)
{
        const char *we = p + MIN(window, (size_t) (e - p));

        for (const char *q = p; q < we;) {
                if (!is_word_char(*q)) {
                        q++;
                        continue;
                }
                const char *ws = q;
                while (q < e && is_word_char(*q) && q - ws <= 14)
                        q++;
                if (q < e && is_word_char(*q)) {
                        while (q < e && is_word_char(*q))
                                q++;
                        continue;
                }
                size_t n = (size_t) (q - ws);
                int sev = log_severity_from_word(ws, n);
                if (sev < 0)
                        continue;
                char before = ws > p ? ws[-1] : 0, after = q < e ? *q : 0;
                bool upper = true;
                for (size_t i = 0; i < n && upper; i++)
                        upper = is_upper(ws[i]) || is_digit(ws[i]);
                bool bracketed = (before == '[' && after == ']') || (before == '<' && after == '>');
                bool first = ws == p || (ws == p + 1 && bracketed);
                if (!upper && !bracketed && !(first && after == ':') && !after_level_key(p, ws))
                        continue;
                if (first) {
                        if (bracketed)
                                q++;
                        if (q < e && *q == ':')
                                q++;
                        *ret_rest = skip_blanks(q, e);
                }
                return sev;
        }
        return LOG_SEV_UNKNOWN;
}

/* ---------- records ---------- */

static void rec_init(LogRecord *r, LogFormat f, const char *e)
{
        *r = (LogRecord){
                .format = f,
                .severity = LOG_SEV_UNKNOWN,
                .msg = e,
        };
}

static void rec_set_msg(LogRecord *r, const char *p, const char *e)
{
        p = skip_blanks(p, e);
        while (e > p && (is_blank(e[-1]) || e[-1] == '\r' || e[-1] == '\n'))
                e--;
        r->msg = p;
        r->msg_len = (size_t) (e - p);
}

/* "<PRI>" with PRI 0..191; NULL if not there. */
static const char *get_pri(const char *p, const char *e, int *ret)
{
        int64_t v;

        if (p >= e || *p != '<' || !(p = get_number(p + 1, e, 3, &v)) || p >= e || *p != '>' ||
            v > 191)
                return NULL;
        *ret = (int) v;
        return p + 1;
}

/* ---------- kmsg ---------- */

static int parse_kmsg(const char *p, const char *e, const LogParseContext *ctx, LogRecord *r)
{
        int64_t prio, seq, usec;

        rec_init(r, LOG_FORMAT_KMSG, e);
        /* prio = facility * 8 + level; the kernel's facility mask allows up to 1023 */
        if (!(p = get_number(p, e, 4, &prio)) || prio > 1023 || p >= e || *p != ',' ||
            !(p = get_number(p + 1, e, 18, &seq)) || p >= e || *p != ',' ||
            !(p = get_number(p + 1, e, 18, &usec)) || p >= e || *p != ',')
                return -EBADMSG;
        /* flags and any further fields, up to ';' */
        const char *lim = p + MIN((size_t) 64, (size_t) (e - p));
        for (p++; p < lim && *p != ';'; p++)
                if ((unsigned char) *p <= ' ')
                        return -EBADMSG;
        if (p >= lim)
                return -EBADMSG;
        p++;
        const char *nl = memchr(p, '\n', (size_t) (e - p));
        rec_set_msg(r, p, nl ? nl : e);
        r->severity = (int) (prio & 7);
        r->seq = (uint64_t) seq;
        if (ctx && ctx->boot_time_ms != 0)
                r->ts_ms = ctx->boot_time_ms + usec / 1000;
        return 0;
}

/* ---------- syslog ---------- */

/* RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]". */
static int parse_syslog5424(const char *p, const char *e, LogRecord *r)
{
        const char *s, *q;
        int pri;
        int64_t v;

        rec_init(r, LOG_FORMAT_SYSLOG5424, e);
        if (!(p = get_pri(p, e, &pri)) || !(q = get_number(p, e, 2, &v)) || v == 0 || q >= e ||
            *q != ' ')
                return -EBADMSG;
        r->severity = pri & 7;
        p = q + 1;

        if (p < e && *p == '-' && (p + 1 == e || p[1] == ' '))
                p++;
        else {
                Stamp st;
                if (!(q = get_iso(p, e, &st)) || (q < e && *q != ' '))
                        return -EBADMSG;
                r->ts_ms = stamp_to_ms(&st);
                p = q;
        }

        /* HOSTNAME APP-NAME PROCID MSGID */
        for (int field = 0; field < 4; field++) {
                p = skip_blanks(p, e);
                s = p;
                p = skip_word(p, e);
                if (p == s) {
                        if (field < 3)
                                return -EBADMSG;
                        rec_set_msg(r, p, e);
                        return 0;
                }
                bool nil = p - s == 1 && *s == '-';
                if (field == 1 && !nil) {
                        r->program = s;
                        r->program_len = (size_t) (p - s);
                } else if (field == 2 && !nil && (q = get_number(s, p, 18, &v)) && q == p)
                        r->pid = v;
        }

        /* STRUCTURED-DATA: "-" or one or more [id param="value"...], where a value may hold
         * \" \\ and \] escapes */
        p = skip_blanks(p, e);
        if (p < e && *p == '-')
                p++;
        else if (p < e && *p == '[') {
                while (p < e && *p == '[') {
                        bool quoted = false;
                        for (p++;; p++) {
                                if (p >= e)
                                        return -EBADMSG;
                                if (quoted) {
                                        if (*p == '\\')
                                                p++;
                                        else if (*p == '"')
                                                quoted = false;
                                } else if (*p == '"')
                                        quoted = true;
                                else if (*p == ']')
                                        break;
                        }
                        p++;
                }
        } else if (p < e)
                return -EBADMSG;
        if (p < e && *p != ' ')
                return -EBADMSG;
        p = skip_blanks(p, e);
        if (HAS(p, e, "\xEF\xBB\xBF"))
                p += 3;
        rec_set_msg(r, p, e);
        return 0;
}

/* The syslog tag at p: "prog[pid]: ", "prog: ", "prog[pid] " (no spaces then), with a name of
 * up to TAG_MAX bytes that may contain blanks ("syslogd 1.4.1:"). Returns the start of the
 * message, or NULL if there is no tag. */
static const char *get_tag(const char *p, const char *e, LogRecord *r)
{
        const char *s = p, *lim = p + MIN((size_t) TAG_MAX, (size_t) (e - p));
        bool blank = false;

        while (p < lim && *p != ':' && *p != '[') {
                blank |= is_blank(*p);
                p++;
        }
        if (p == s || p >= lim || is_blank(p[-1]))
                return NULL;
        const char *name_end = p;
        int64_t pid = 0;
        if (*p == '[') {
                const char *q = get_number(p + 1, e, 18, &pid);
                if (!q || q >= e || *q != ']')
                        return NULL;
                p = q + 1;
                if (p < e && *p == ':')
                        p++;
                else if (blank || (p < e && !is_blank(*p)))
                        return NULL;
        } else
                p++; /* ':' */
        if (p < e && !is_blank(*p))
                return NULL;
        r->program = s;
        r->program_len = (size_t) (name_end - s);
        r->pid = pid;
        return p;
}

/* RFC 3164 "[<PRI>]Mmm dd HH:MM:SS host tag: msg", or rsyslog's ISO form
 * "2026-11-21T22:56:11.123456+00:00 host tag: msg". */
static int parse_syslog(const char *p, const char *e, const LogParseContext *ctx, LogRecord *r)
{
        const char *q, *host;
        Stamp st;
        int pri = -1;

        rec_init(r, LOG_FORMAT_SYSLOG, e);
        if ((q = get_pri(p, e, &pri)))
                p = q;
        if (p < e && is_digit(*p)) {
                /* the ISO form needs the 'T', so that other ISO-stamped logs are not syslog */
                if (e - p < 11 || p[10] != 'T' || !(q = get_iso(p, e, &st)))
                        return -EBADMSG;
        } else if (!(q = get_bsd(p, e, ctx, &st)))
                return -EBADMSG;
        if (q >= e || *q != ' ')
                return -EBADMSG;
        bool iso = is_digit(*p);
        r->ts_ms = stamp_to_ms(&st);

        host = skip_blanks(q, e);
        p = skip_word(host, e);
        if (p == host)
                return -EBADMSG;
        /* "<stamp> ERROR msg" is an application's log, not syslog: a level is no host name */
        if (log_severity_from_word(host, (size_t) (p - host)) >= 0)
                return -EBADMSG;
        /* no hostname: "Nov 21 22:56:11 sshd[1]: msg" */
        if ((p[-1] == ':' || p[-1] == ']') && (q = get_tag(host, e, r)))
                p = q;
        else {
                p = skip_blanks(p, e);
                if ((q = get_tag(p, e, r)))
                        p = q;
        }
        /* rsyslog's ISO form always has a tag, and one without blanks: without that the
         * line is some other ISO-stamped log ("<iso> worker-3 started job 7: ok") */
        if (iso && (!r->program || memchr(r->program, ' ', r->program_len)))
                return -EBADMSG;
        rec_set_msg(r, p, e);
        if (pri >= 0)
                r->severity = pri & 7;
        else {
                /* only the first word, so the window is the first token */
                const char *unused = NULL, *t = skip_word(r->msg, r->msg + r->msg_len);
                r->severity = scan_level(r->msg, t, 16, &unused);
                /* only a level that leads the message counts here */
                if (!unused)
                        r->severity = LOG_SEV_UNKNOWN;
        }
        return 0;
}

/* ---------- nginx ---------- */

/* "YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid msg" (pid#tid and *cid optional). */
static int parse_nginx_error(const char *p, const char *e, LogRecord *r)
{
        Stamp st = {};
        const char *s, *q;
        int64_t v;

        rec_init(r, LOG_FORMAT_NGINX_ERROR, e);
        if (!(p = get_digits(p, e, 4, &st.year)) || p >= e || *p != '/' ||
            !(p = get_digits(p + 1, e, 2, &st.mon)) || p >= e || *p != '/' ||
            !(p = get_digits(p + 1, e, 2, &st.day)) || p >= e || *p != ' ' ||
            !(p = get_hms(p + 1, e, &st)) || !stamp_date_valid(&st) || !HAS(p, e, " ["))
                return -EBADMSG;
        s = p += 2;
        while (p < e && p - s < 16 && is_alpha(*p))
                p++;
        if (p >= e || *p != ']' || (r->severity = log_severity_from_word(s, (size_t) (p - s))) < 0)
                return -EBADMSG;
        r->ts_ms = stamp_to_ms(&st);
        p = skip_blanks(p + 1, e);
        if ((q = get_number(p, e, 18, &v)) && q < e && *q == '#') {
                r->pid = v;
                if ((q = get_number(q + 1, e, 18, &v)) && q < e && *q == ':')
                        p = skip_blanks(q + 1, e);
        }
        if (p < e && *p == '*' && (q = get_number(p + 1, e, 18, &v)) && (q == e || is_blank(*q)))
                p = q;
        rec_set_msg(r, p, e);
        return 0;
}

/* ---------- access logs ---------- */

/* "0.123", "12" (if !need_dot) as seconds; false for anything else, "-" included. */
static bool get_seconds(const char *p, const char *e, bool need_dot, double *ret)
{
        static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        int64_t mant = 0;
        int n = 0, frac = 0;
        bool dot = false;

        for (; p < e; p++) {
                if (is_digit(*p)) {
                        if (++n > 15)
                                return false;
                        mant = mant * 10 + (*p - '0');
                        frac += dot;
                } else if (*p == '.' && !dot)
                        dot = true;
                else
                        return false;
        }
        if (n == 0 || (need_dot && !dot))
                return false;
        /* both exact, so the one division rounds correctly: "0.001" is 0.001 */
        *ret = (double) mant / pow10[frac];
        return true;
}

/* An element of a time list: a number or "-" (if dash_ok), maybe with the list's ',' attached. */
static bool is_list_elem(const char *p, const char *e, bool need_dot, bool dash_ok)
{
        double unused;

        if (e > p && e[-1] == ',')
                e--;
        return (dash_ok && e - p == 1 && *p == '-') || get_seconds(p, e, need_dot, &unused);
}

/* p at an unquoted value: the end of it, taking in the rest of an nginx list ("0.5, 1.0",
 * "0.5 : 1.0"). */
static const char *list_end(const char *p, const char *e)
{
        for (;;) {
                const char *t = skip_word(p, e);
                const char *n = skip_blanks(t, e);
                if (n == t || n >= e)
                        return t;
                if (t[-1] == ',' && is_list_elem(n, skip_word(n, e), false, true)) {
                        p = n;
                        continue;
                }
                if (*n == ':' && n + 1 < e && is_blank(n[1])) {
                        const char *m = skip_blanks(n + 1, e);
                        if (is_list_elem(m, skip_word(m, e), false, true)) {
                                p = m;
                                continue;
                        }
                }
                return t;
        }
}

/* The last element of the list in [p, e) in seconds; NAN if it is "-" or not a number. */
static double list_last(const char *p, const char *e)
{
        double v = NAN;

        while (p < e) {
                while (p < e && (is_blank(*p) || *p == ',' || *p == ':'))
                        p++;
                const char *s = p;
                while (p < e && !is_blank(*p) && *p != ',' && *p != ':')
                        p++;
                if (p > s && !get_seconds(s, p, false, &v))
                        v = NAN;
        }
        return v;
}

typedef enum TimeKey {
        KEY_NONE,
        KEY_REQUEST,
        KEY_UPSTREAM_CONNECT, /* ranks: a response time beats a header time beats a connect time */
        KEY_UPSTREAM_HEADER,
        KEY_UPSTREAM_RESPONSE,
} TimeKey;

static TimeKey time_key(const char *p, size_t n, bool short_ok)
{
        switch (n) {
        case 2:
                return !short_ok             ? KEY_NONE
                       : word_is(p, n, "rt") ? KEY_REQUEST
                       : word_is(p, n, "ut") ? KEY_UPSTREAM_RESPONSE
                                             : KEY_NONE;
        case 3:
                return !short_ok              ? KEY_NONE
                       : word_is(p, n, "urt") ? KEY_UPSTREAM_RESPONSE
                       : word_is(p, n, "uht") ? KEY_UPSTREAM_HEADER
                       : word_is(p, n, "uct") ? KEY_UPSTREAM_CONNECT
                                              : KEY_NONE;
        case 7:
                return short_ok && word_is(p, n, "reqtime") ? KEY_REQUEST : KEY_NONE;
        case 8:
                return word_is(p, n, "req_time") ? KEY_REQUEST : KEY_NONE;
        case 12:
                return word_is(p, n, "request_time") ? KEY_REQUEST : KEY_NONE;
        case 13:
                return word_is(p, n, "upstream_time") ? KEY_UPSTREAM_RESPONSE : KEY_NONE;
        case 20:
                return word_is(p, n, "upstream_header_time") ? KEY_UPSTREAM_HEADER : KEY_NONE;
        case 21:
                return word_is(p, n, "upstream_connect_time") ? KEY_UPSTREAM_CONNECT : KEY_NONE;
        case 22:
                return word_is(p, n, "upstream_response_time") ? KEY_UPSTREAM_RESPONSE : KEY_NONE;
        default:
                return KEY_NONE;
        }
}

/* The fields after "status bytes" (see the top comment). */
static void access_extras(const char *p, const char *e, LogAccess *a)
{
        double up[KEY_UPSTREAM_RESPONSE + 1] = {NAN, NAN, NAN, NAN, NAN};
        bool seen[KEY_UPSTREAM_RESPONSE + 1] = {};
        int bare = 0;

        for (;;) {
                p = skip_blanks(p, e);
                if (p >= e)
                        break;
                if (*p == '"') {
                        const char *q = skip_quoted(p, e);
                        if (!q)
                                break;
                        p = q;
                        continue;
                }
                const char *tok = p, *t = skip_word(p, e),
                           *eq = memchr(tok, '=', (size_t) (t - tok));
                const char *vs, *ve;
                TimeKey k;
                if (eq) {
                        /* key=value, key="value" */
                        k = time_key(tok, (size_t) (eq - tok), true);
                        vs = eq + 1;
                        if (vs < e && *vs == '"') {
                                if (!(p = skip_quoted(vs, e)))
                                        break;
                                vs++;
                                ve = p - 1;
                        } else
                                p = ve = list_end(vs, e);
                } else if ((k = time_key(tok, (size_t) (t - tok), false)) != KEY_NONE) {
                        /* "request_time 0.123" */
                        vs = skip_blanks(t, e);
                        if (vs >= e || !is_list_elem(vs, skip_word(vs, e), false, true)) {
                                p = t;
                                continue;
                        }
                        p = ve = list_end(vs, e);
                } else if (bare < 2 && is_list_elem(tok, t, true, bare > 0)) {
                        /* "UA" 0.123 0.100: $request_time $upstream_response_time */
                        k = bare++ == 0 ? KEY_REQUEST : KEY_UPSTREAM_RESPONSE;
                        vs = tok;
                        p = ve = list_end(tok, e);
                } else {
                        p = t;
                        continue;
                }
                if (k == KEY_NONE)
                        continue;
                double v = list_last(vs, ve);
                if (k == KEY_REQUEST)
                        a->request_time_s = v;
                else {
                        up[k] = v;
                        seen[k] = true;
                }
        }
        /* the best kind present decides, even when it is "-" */
        for (int k = KEY_UPSTREAM_RESPONSE; k >= KEY_UPSTREAM_CONNECT; k--)
                if (seen[k]) {
                        a->upstream_time_s = up[k];
                        break;
                }
}

/* The method and path of a request line; method NULL if it does not look like one. */
static void access_request(const char *p, const char *e, LogAccess *a)
{
        const char *s = p;

        while (p < e && p - s <= 20 && (is_upper(*p) || *p == '-' || *p == '_'))
                p++;
        if (p == s || p >= e || *p != ' ')
                return;
        a->method = s;
        a->method_len = (size_t) (p - s);
        s = ++p;
        while (p < e && *p != ' ' && *p != '?')
                p++;
        a->path = s;
        a->path_len = (size_t) (p - s);
}

static int parse_access(const char *p, const char *e, LogRecord *r)
{
        const char *q, *req, *req_end;
        Stamp st;
        int n, status = 0;
        int64_t bytes = -1;

        rec_init(r, LOG_FORMAT_ACCESS, e);
        /* client ident user, maybe a virtual host first */
        for (n = 0;; n++) {
                p = skip_blanks(p, e);
                if (p < e && *p == '[')
                        break;
                if (n == 4)
                        return -EBADMSG;
                q = skip_word(p, e);
                if (q == p)
                        return -EBADMSG;
                p = q;
        }
        if (n < 3 || !(q = get_ncsa(p + 1, e, &st)) || q >= e || *q != ']')
                return -EBADMSG;
        p = skip_blanks(q + 1, e);
        if (p >= e || *p != '"' || !(q = skip_quoted(p, e)))
                return -EBADMSG;
        req = p + 1;
        req_end = q - 1;
        p = skip_blanks(q, e);
        if (p < e && *p == '-' && (p + 1 == e || is_blank(p[1])))
                q = p + 1;
        else if (!(q = get_digits(p, e, 3, &status)) || (q < e && !is_blank(*q)))
                return -EBADMSG;
        p = skip_blanks(q, e);
        if (p < e && *p == '-' && (p + 1 == e || is_blank(p[1])))
                p++;
        else if ((q = get_number(p, e, 18, &bytes)) && (q == e || is_blank(*q)))
                p = q;
        else if (p < e)
                return -EBADMSG;

        r->ts_ms = stamp_to_ms(&st);
        r->is_access = true;
        r->access = (LogAccess){
                .status = status >= 100 && status <= 599 ? status : 0,
                .bytes = bytes,
                .request_time_s = NAN,
                .upstream_time_s = NAN,
        };
        r->severity = r->access.status >= 500   ? LOG_SEV_ERR
                      : r->access.status >= 400 ? LOG_SEV_WARNING
                                                : LOG_SEV_INFO;
        access_request(req, req_end, &r->access);
        access_extras(p, e, &r->access);
        rec_set_msg(r, req, req_end);
        return 0;
}

/* ---------- apache ---------- */

/* 2.4 "[Www Mmm dd HH:MM:SS.usec YYYY] [module:level] [pid N:tid M] [client A:P] msg";
 * 2.2 "[Www Mmm dd HH:MM:SS YYYY] [level] [client A] msg". */
static int parse_apache_error(const char *p, const char *e, LogRecord *r)
{
        const char *s, *q, *colon = NULL;
        Stamp st;
        int64_t v;

        rec_init(r, LOG_FORMAT_APACHE_ERROR, e);
        if (p >= e || *p != '[' || !(q = get_ctime(p + 1, e, &st)) || !HAS(q, e, "] ["))
                return -EBADMSG;
        s = p = q + 3;
        while (p < e && p - s < 64 && *p != ']' && !is_blank(*p)) {
                if (*p == ':')
                        colon = p;
                p++;
        }
        if (p >= e || *p != ']')
                return -EBADMSG;
        q = colon ? colon + 1 : s;
        if ((r->severity = log_severity_from_word(q, (size_t) (p - q))) < 0)
                return -EBADMSG;
        if (colon) {
                r->program = s;
                r->program_len = (size_t) (colon - s);
        }
        r->ts_ms = stamp_to_ms(&st);
        p = skip_blanks(p + 1, e);
        if (HAS(p, e, "[pid ") && (q = get_number(p + 5, e, 18, &v)) &&
            (q = memchr(q, ']', (size_t) (e - q)))) {
                r->pid = v;
                p = q + 1;
        }
        rec_set_msg(r, p, e);
        return 0;
}

/* ---------- MySQL / MariaDB ---------- */

/* "YYYY-MM-DD HH:MM:SS thread [Level] msg" (MariaDB, "  2:21:27" for early hours),
 * "YYYY-MM-DDTHH:MM:SS.uuuuuuZ thread [Level] [MY-nnnnnn] [Subsystem] msg" (MySQL 8),
 * "YYMMDD HH:MM:SS [Level] msg" (MySQL 5.5 and older; also without a level). */
static int parse_mysql(const char *p, const char *e, LogRecord *r)
{
        const char *s, *q;
        Stamp st = {};
        int64_t v;
        int yy;
        bool old = false;

        rec_init(r, LOG_FORMAT_MYSQL, e);
        if (e - p > 6 && p[6] == ' ') {
                if (!(p = get_digits(p, e, 2, &yy)) || !(p = get_digits(p, e, 2, &st.mon)) ||
                    !(p = get_digits(p, e, 2, &st.day)))
                        return -EBADMSG;
                st.year = 2000 + yy;
                if (!(p = get_hms(skip_blanks(p, e), e, &st)) || !stamp_date_valid(&st))
                        return -EBADMSG;
                old = true;
        } else if (!(p = get_iso(p, e, &st)))
                return -EBADMSG;
        if (p < e && !is_blank(*p))
                return -EBADMSG;
        r->ts_ms = stamp_to_ms(&st);
        p = skip_blanks(p, e);
        if ((q = get_number(p, e, 18, &v)) && q < e && is_blank(*q))
                p = skip_blanks(q, e); /* the thread (connection) id, not a pid */
        if (p < e && *p == '[') {
                s = ++p;
                while (p < e && p - s < 16 && is_alpha(*p))
                        p++;
                if (p >= e || *p != ']')
                        return -EBADMSG;
                r->severity = word_is(s, (size_t) (p - s), "system")
                                      ? LOG_SEV_NOTICE
                                      : log_severity_from_word(s, (size_t) (p - s));
                if (r->severity < 0)
                        return -EBADMSG;
                p = skip_blanks(p + 1, e);
        } else if (!old)
                return -EBADMSG;

        if (HAS(p, e, "[MY-") && (q = memchr(p, ']', (size_t) (e - p)))) {
                p = skip_blanks(q + 1, e);
                if (p < e && *p == '[' && (q = memchr(p, ']', (size_t) (e - p))) && q - p < 32) {
                        r->program = p + 1;
                        r->program_len = (size_t) (q - p - 1);
                        p = skip_blanks(q + 1, e);
                }
        } else {
                for (q = p; q < e && (is_alpha(*q) || *q == '_'); q++)
                        ;
                size_t n = (size_t) (q - p);
                if (HAS(q, e, ": ") && (word_is(p, n, "mariadbd") || word_is(p, n, "mysqld") ||
                                        word_is(p, n, "mariadb") || word_is(p, n, "mysql"))) {
                        r->program = p;
                        r->program_len = n;
                        p = q + 2;
                }
        }
        rec_set_msg(r, p, e);
        return 0;
}

/* ---------- Redis ---------- */

static int redis_mark(char c)
{
        switch (c) {
        case '.':
                return LOG_SEV_DEBUG;
        case '-':
                return LOG_SEV_INFO;
        case '*':
                return LOG_SEV_NOTICE;
        case '#':
                return LOG_SEV_WARNING;
        default:
                return LOG_SEV_UNKNOWN;
        }
}

/* "pid:R dd Mon [YYYY ]HH:MM:SS.mmm M msg" (R the role X C S M; the year since Redis 6?),
 * old "[pid] dd Mon HH:MM:SS[.mmm] M msg". */
static int parse_redis(const char *p, const char *e, const LogParseContext *ctx, LogRecord *r)
{
        const char *q;
        Stamp st = {};
        int64_t pid;
        int y;

        rec_init(r, LOG_FORMAT_REDIS, e);
        if (p < e && *p == '[') {
                if (!(p = get_number(p + 1, e, 18, &pid)) || !HAS(p, e, "] "))
                        return -EBADMSG;
                p += 2;
        } else {
                /* the role: X sentinel, C child, S replica, M master */
                if (!(p = get_number(p, e, 18, &pid)) || e - p < 3 || p[0] != ':' ||
                    (p[1] != 'X' && p[1] != 'C' && p[1] != 'S' && p[1] != 'M') || p[2] != ' ')
                        return -EBADMSG;
                p += 3;
        }
        if (!(p = get_digits(p, e, 2, &st.day)) || p >= e || *p != ' ' ||
            !(st.mon = get_month(p + 1, e)) || e - p < 5 || p[4] != ' ')
                return -EBADMSG;
        p += 5;
        if ((q = get_digits(p, e, 4, &y)) && q < e && *q == ' ') {
                st.year = y;
                p = q + 1;
        }
        if (!(p = get_hms(p, e, &st)) || e - p < 2 || p[0] != ' ' ||
            (r->severity = redis_mark(p[1])) < 0 || (p + 2 < e && p[2] != ' '))
                return -EBADMSG;
        if (st.year != 0 ? !stamp_date_valid(&st) : !stamp_guess_year(&st, ctx))
                return -EBADMSG;
        r->ts_ms = stamp_to_ms(&st);
        r->pid = pid;
        rec_set_msg(r, p + 2, e);
        return 0;
}

/* ---------- PostgreSQL ---------- */

static int pg_level(const char *p, size_t n, bool *ret_continuation)
{
        static const struct {
                const char *word;
                int sev;
        } levels[] = {
                {"LOG", LOG_SEV_INFO},
                {"ERROR", LOG_SEV_ERR},
                {"STATEMENT", -2},
                {"DETAIL", -2},
                {"FATAL", LOG_SEV_CRIT},
                {"WARNING", LOG_SEV_WARNING},
                {"HINT", -2},
                {"CONTEXT", -2},
                {"NOTICE", LOG_SEV_NOTICE},
                {"INFO", LOG_SEV_INFO},
                {"QUERY", -2},
                {"LOCATION", -2},
                {"PANIC", LOG_SEV_EMERG},
                {"DEBUG1", LOG_SEV_DEBUG},
                {"DEBUG2", LOG_SEV_DEBUG},
                {"DEBUG3", LOG_SEV_DEBUG},
                {"DEBUG4", LOG_SEV_DEBUG},
                {"DEBUG5", LOG_SEV_DEBUG},
        };

        for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                if (strlen(levels[i].word) == n && memcmp(p, levels[i].word, n) == 0) {
                        *ret_continuation = levels[i].sev == -2;
                        return levels[i].sev == -2 ? LOG_SEV_INFO : levels[i].sev;
                }
        return LOG_SEV_UNKNOWN;
}

/* "%m [%p] " and "%m [%p] %q%u@%d " ("2026-11-21 23:15:56.633 UTC [12347] user@db ERROR:  msg"),
 * also %t for %m, "[%p]:" and other fields before the level, up to 8 of them. The zone is
 * PostgreSQL's log_timezone abbreviation: UTC/GMT and numeric ones ("-03") are exact, other
 * names ("CET", "CST", ambiguous anyway) are taken as this process's local time. */
static int parse_postgres(const char *p, const char *e, LogRecord *r)
{
        const char *s, *q;
        Stamp st;
        int64_t v;
        bool cont = false;

        rec_init(r, LOG_FORMAT_POSTGRES, e);
        if (e - p < 11 || p[10] != ' ' || !(p = get_iso(p, e, &st)) || p >= e || *p != ' ')
                return -EBADMSG;
        p++;
        if (!st.zoned && p < e && *p != '[') {
                s = p;
                q = skip_word(p, e);
                Stamp z = {};
                if (word_is(s, (size_t) (q - s), "utc") || word_is(s, (size_t) (q - s), "gmt")) {
                        st.zoned = true;
                        st.off_s = 0;
                } else if (get_zone(s, q, &z) == q) {
                        st.zoned = true;
                        st.off_s = z.off_s;
                } else {
                        for (; s < q; s++)
                                if (!is_alpha(*s))
                                        return -EBADMSG;
                        if (q - p > 6)
                                return -EBADMSG;
                }
                p = skip_blanks(q, e);
        }
        if (p >= e || *p != '[' || !(q = get_number(p + 1, e, 18, &v)) || q >= e || *q != ']')
                return -EBADMSG;
        r->pid = v;
        p = q + 1;
        if (p < e && *p == ':')
                p++;
        for (int i = 0; i < 8; i++) {
                p = skip_blanks(p, e);
                s = p;
                q = skip_word(p, e);
                if (q - s >= 4 && q[-1] == ':') {
                        int sev = pg_level(s, (size_t) (q - s - 1), &cont);
                        if (sev != LOG_SEV_UNKNOWN) {
                                r->severity = sev;
                                r->ts_ms = stamp_to_ms(&st);
                                rec_set_msg(r, cont ? s : q, e);
                                return 0;
                        }
                }
                if (q == s)
                        break;
                p = q;
        }
        return -EBADMSG;
}

/* ---------- generic ---------- */

/* A leading timestamp of a common shape; NULL if none. *ret_ms stays 0 when the stamp is
 * relative and unusable (dmesg's "[  277.058808]" without ctx->boot_time_ms). */
static const char *generic_stamp(const char *p, const char *e, const LogParseContext *ctx,
                                 int64_t *ret_ms)
{
        const char *q;
        Stamp st;
        int64_t v;

        if (p >= e)
                return NULL;
        if (is_digit(*p)) {
                if (e - p > 4 && p[4] == '/') {
                        st = (Stamp){};
                        if (!(q = get_digits(p, e, 4, &st.year)) || !HAS(q, e, "/") ||
                            !(q = get_digits(q + 1, e, 2, &st.mon)) || !HAS(q, e, "/") ||
                            !(q = get_digits(q + 1, e, 2, &st.day)) || !HAS(q, e, " ") ||
                            !(q = get_hms(q + 1, e, &st)) || !stamp_date_valid(&st))
                                return NULL;
                } else if (e - p > 4 && p[4] == '-') {
                        if (!(q = get_iso(p, e, &st)))
                                return NULL;
                } else {
                        /* epoch seconds with a fraction, 2001..2286: "1700000000.123" */
                        int64_t ms = 0;
                        int n = 0;
                        if (!(q = get_number(p, e, 10, &v)) || q - p != 10 || q + 1 >= e ||
                            *q != '.' || !is_digit(q[1]))
                                return NULL;
                        for (q++; q < e && is_digit(*q); q++, n++)
                                if (n < 3)
                                        ms = ms * 10 + (*q - '0');
                        for (; n < 3; n++)
                                ms *= 10;
                        if (q < e && !is_blank(*q))
                                return NULL;
                        *ret_ms = v * 1000 + ms;
                        return q;
                }
        } else if (*p == '[') {
                p++;
                q = skip_blanks(p, e);
                if ((q = get_number(q, e, 10, &v)) && q < e && *q == '.') {
                        /* dmesg's seconds since boot, or epoch seconds */
                        int64_t us;
                        const char *f = q + 1;
                        if (!(q = get_number(f, e, 9, &us)) || q >= e || *q != ']')
                                return NULL;
                        for (ptrdiff_t i = q - f; i < 6; i++)
                                us *= 10;
                        for (ptrdiff_t i = q - f; i > 6; i--)
                                us /= 10;
                        if (v >= 1000000000)
                                *ret_ms = v * 1000 + us / 1000;
                        else if (ctx && ctx->boot_time_ms != 0)
                                *ret_ms = ctx->boot_time_ms + v * 1000 + us / 1000;
                        return q + 1;
                }
                if (!(q = get_ncsa(p, e, &st)) && !(q = get_ctime(p, e, &st)) &&
                    !(q = get_iso(p, e, &st)))
                        return NULL;
                if (q >= e || *q != ']')
                        return NULL;
                q++;
        } else if (is_alpha(*p)) {
                if (!(q = get_bsd(p, e, ctx, &st)) && !(q = get_ctime(p, e, &st)))
                        return NULL;
        } else
                return NULL;
        if (q < e && !is_blank(*q) && *q != ':' && *q != '|' && *q != ']')
                return NULL;
        *ret_ms = stamp_to_ms(&st);
        return q;
}

static int parse_generic(const char *s, const char *e, const LogParseContext *ctx, LogRecord *r)
{
        const char *p = s, *q, *rest = NULL;
        int64_t ms = 0;

        rec_init(r, LOG_FORMAT_GENERIC, e);
        if ((q = generic_stamp(p, e, ctx, &ms))) {
                r->ts_ms = ms;
                p = skip_blanks(q, e);
                /* "stamp - INFO ...", "stamp | ...", "stamp: ..." */
                if (p < e && (*p == '-' || *p == '|' || *p == ':') &&
                    (p + 1 == e || is_blank(p[1])))
                        p = skip_blanks(p + 1, e);
        }
        r->severity = scan_level(p, e, LEVEL_WINDOW, &rest);
        if (q && rest)
                p = rest;
        rec_set_msg(r, p, e);
        return 0;
}

/* ---------- the interface ---------- */

int logfmt_parse(LogFormat fmt, const char *line, size_t len, const LogParseContext *ctx,
                 LogRecord *ret)
{
        LogRecord rec;
        int r;

        if (!ret || (!line && len > 0))
                return -EINVAL;
        if (!line)
                line = "";
        const char *e = line + len;

        switch (fmt) {
        case LOG_FORMAT_GENERIC:
                r = parse_generic(line, e, ctx, &rec);
                break;
        case LOG_FORMAT_SYSLOG:
                r = parse_syslog(line, e, ctx, &rec);
                break;
        case LOG_FORMAT_SYSLOG5424:
                r = parse_syslog5424(line, e, &rec);
                break;
        case LOG_FORMAT_NGINX_ERROR:
                r = parse_nginx_error(line, e, &rec);
                break;
        case LOG_FORMAT_ACCESS:
                r = parse_access(line, e, &rec);
                break;
        case LOG_FORMAT_APACHE_ERROR:
                r = parse_apache_error(line, e, &rec);
                break;
        case LOG_FORMAT_MYSQL:
                r = parse_mysql(line, e, &rec);
                break;
        case LOG_FORMAT_REDIS:
                r = parse_redis(line, e, ctx, &rec);
                break;
        case LOG_FORMAT_POSTGRES:
                r = parse_postgres(line, e, &rec);
                break;
        case LOG_FORMAT_KMSG:
                r = parse_kmsg(line, e, ctx, &rec);
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        *ret = rec;
        return 0;
}

LogFormat logfmt_detect(const char *line, size_t len, const LogParseContext *ctx)
{
        /* In order of likelihood for the first byte; each parser gives up at the first byte
         * that does not fit, and the order settles the few lines more than one accepts (an
         * ISO-stamped MySQL 8 line would pass as rsyslog's ISO syslog form). */
        static const LogFormat digit[] = {
                LOG_FORMAT_ACCESS, LOG_FORMAT_NGINX_ERROR, LOG_FORMAT_KMSG,   LOG_FORMAT_POSTGRES,
                LOG_FORMAT_MYSQL,  LOG_FORMAT_REDIS,       LOG_FORMAT_SYSLOG,
        };
        static const LogFormat bracket[] = {LOG_FORMAT_APACHE_ERROR, LOG_FORMAT_REDIS};
        static const LogFormat angle[] = {LOG_FORMAT_SYSLOG5424, LOG_FORMAT_SYSLOG};
        static const LogFormat other[] = {LOG_FORMAT_SYSLOG, LOG_FORMAT_ACCESS};
        const LogFormat *try = other;
        size_t n = ELEMENTSOF(other);
        LogRecord rec;

        if (!line || len == 0)
                return LOG_FORMAT_GENERIC;
        if (is_digit(line[0])) {
                try = digit;
                n = ELEMENTSOF(digit);
        } else if (line[0] == '[') {
                try = bracket;
                n = ELEMENTSOF(bracket);
        } else if (line[0] == '<') {
                try = angle;
                n = ELEMENTSOF(angle);
        }
        for (size_t i = 0; i < n; i++)
                if (logfmt_parse(try[i], line, len, ctx, &rec) == 0)
                        return try[i];
        return LOG_FORMAT_GENERIC;
}

/* ---------- names ---------- */

static const char *const format_names[_LOG_FORMAT_MAX] = {
        [LOG_FORMAT_GENERIC] = "generic",       [LOG_FORMAT_SYSLOG] = "syslog",
        [LOG_FORMAT_SYSLOG5424] = "syslog5424", [LOG_FORMAT_NGINX_ERROR] = "nginx-error",
        [LOG_FORMAT_ACCESS] = "access",         [LOG_FORMAT_APACHE_ERROR] = "apache-error",
        [LOG_FORMAT_MYSQL] = "mysql",           [LOG_FORMAT_REDIS] = "redis",
        [LOG_FORMAT_POSTGRES] = "postgres",     [LOG_FORMAT_KMSG] = "kmsg",
};

const char *logfmt_to_string(LogFormat f)
{
        if (f == LOG_FORMAT_AUTO)
                return "auto";
        return f >= 0 && f < _LOG_FORMAT_MAX ? format_names[f] : NULL;
}

LogFormat logfmt_from_string(const char *s)
{
        static const struct {
                const char *name;
                LogFormat f;
        } aliases[] = {
                {"auto", LOG_FORMAT_AUTO},
                {"rfc3164", LOG_FORMAT_SYSLOG},
                {"rfc5424", LOG_FORMAT_SYSLOG5424},
                {"nginx-access", LOG_FORMAT_ACCESS},
                {"apache-access", LOG_FORMAT_ACCESS},
                {"combined", LOG_FORMAT_ACCESS},
                {"common", LOG_FORMAT_ACCESS},
                {"ncsa", LOG_FORMAT_ACCESS},
                {"mariadb", LOG_FORMAT_MYSQL},
                {"postgresql", LOG_FORMAT_POSTGRES},
        };

        if (!s)
                return _LOG_FORMAT_INVALID;
        for (int i = 0; i < _LOG_FORMAT_MAX; i++)
                if (strcasecmp(s, format_names[i]) == 0)
                        return (LogFormat) i;
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (strcasecmp(s, aliases[i].name) == 0)
                        return aliases[i].f;
        return _LOG_FORMAT_INVALID;
}

/* ---------- file names ---------- */

static bool ends_with(const char *s, size_t n, const char *suffix)
{
        size_t m = strlen(suffix);
        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The length of base without rotation suffixes: ".gz" ".zst" ".xz" ".bz2" ".lz4", ".N",
 * "-YYYYMMDD" (logrotate's dateext). */
static size_t strip_rotation(const char *base, size_t n)
{
        static const char *const comp[] = {".gz", ".zst", ".xz", ".bz2", ".lz4"};

        for (bool changed = true; changed;) {
                changed = false;
                for (size_t i = 0; i < ELEMENTSOF(comp); i++)
                        if (ends_with(base, n, comp[i]) && n > strlen(comp[i])) {
                                n -= strlen(comp[i]);
                                changed = true;
                        }
                size_t d = 0;
                while (d < n && is_digit(base[n - 1 - d]))
                        d++;
                if (d > 0 && d < n &&
                    (base[n - 1 - d] == '.' || (d >= 8 && base[n - 1 - d] == '-'))) {
                        n -= d + 1;
                        changed = true;
                }
        }
        return n;
}

LogFormat logfmt_from_path(const char *path)
{
        static const char *const syslog_names[] = {
                "syslog",     "messages", "auth.log",  "secure",    "kern.log",
                "daemon.log", "user.log", "cron",      "cron.log",  "maillog",
                "mail.log",   "mail.err", "mail.warn", "mail.info", "debug",
        };
        char buf[1024], *base, *slash;
        const char *dir = "";
        size_t n, len;

        if (!path)
                return LOG_FORMAT_AUTO;
        /* lower case, the last sizeof(buf) - 1 bytes */
        len = strlen(path);
        if (len >= sizeof(buf))
                path += len - (sizeof(buf) - 1), len = sizeof(buf) - 1;
        for (size_t i = 0; i < len; i++)
                buf[i] = to_lower(path[i]);
        buf[len] = '\0';
        if (strcmp(buf, "/dev/kmsg") == 0)
                return LOG_FORMAT_KMSG;
        slash = strrchr(buf, '/');
        if (slash) {
                *slash = '\0';
                base = slash + 1;
                dir = buf;
        } else
                base = buf;
        n = strip_rotation(base, strlen(base));
        base[n] = '\0';

        if (strstr(base, "access") && ends_with(base, n, "log"))
                return LOG_FORMAT_ACCESS;
        for (size_t i = 0; i < ELEMENTSOF(syslog_names); i++)
                if (strcmp(base, syslog_names[i]) == 0)
                        return LOG_FORMAT_SYSLOG;
        if (strstr(dir, "nginx") && strstr(base, "error"))
                return LOG_FORMAT_NGINX_ERROR;
        if (((strstr(dir, "apache") || strstr(dir, "httpd")) && strstr(base, "error")) ||
            strcmp(base, "error_log") == 0)
                return LOG_FORMAT_APACHE_ERROR;
        bool my_dir = strstr(dir, "mysql") || strstr(dir, "mariadb");
        bool my_base = strncmp(base, "mysql", 5) == 0 || strncmp(base, "mariadb", 7) == 0;
        if (!strstr(base, "slow") && !strstr(base, "general") && !strstr(base, "query") &&
            (ends_with(base, n, ".err") || my_base || (my_dir && strstr(base, "error"))))
                return LOG_FORMAT_MYSQL;
        if (strstr(dir, "redis") || strncmp(base, "redis", 5) == 0)
                return LOG_FORMAT_REDIS;
        if (strstr(dir, "postgresql") || strncmp(base, "postgresql", 10) == 0)
                return LOG_FORMAT_POSTGRES;
        return LOG_FORMAT_AUTO;
}

/* Log line formats: what a line says about itself. A parser takes one line (no newline) and
 * finds its timestamp, severity, program, pid and message; access logs also give the request's
 * status, size and times. Parsers only point into the line, never copy or allocate, never read
 * past len, and accept any bytes: a line that does not fit the format returns -EBADMSG and the
 * caller falls back to LOG_FORMAT_GENERIC, which always succeeds.
 *
 * Timestamps without a zone (nginx, MySQL, syslog RFC 3164, Redis) are local time, as the
 * servers write them; RFC 3164 has no year, so the year is the one that puts the line closest
 * before ctx->now_ms (a December line read in January is last year's). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum LogFormat {
        LOG_FORMAT_GENERIC,    /* a leading timestamp of a common shape, if any; the rest */
        LOG_FORMAT_SYSLOG,     /* RFC 3164 "Nov 21 22:56:11 host prog[pid]: msg" (also ISO stamps as
                                  rsyslog writes) */
        LOG_FORMAT_SYSLOG5424, /* RFC 5424 "<34>1 2026-11-21T22:56:11.003Z host app pid msgid [sd]
                                  msg" */
        LOG_FORMAT_NGINX_ERROR,  /* "2026/11/21 22:56:11 [error] 20636#20636: *2 msg" */
        LOG_FORMAT_ACCESS,       /* NCSA common/combined (nginx, apache), optional trailing times */
        LOG_FORMAT_APACHE_ERROR, /* "[Sat Nov 21 22:56:11.123456 2026] [core:error] [pid 1:tid 2]
                                    msg" */
        LOG_FORMAT_MYSQL,        /* MySQL/MariaDB error log "2026-11-21 23:15:40 5 [ERROR] msg" */
        LOG_FORMAT_REDIS,        /* "20854:M 21 Nov 2026 22:56:45.528 # msg" */
        LOG_FORMAT_POSTGRES,     /* "2026-11-21 23:15:56.633 UTC [12347] user@db ERROR:  msg" */
        LOG_FORMAT_KMSG,         /* /dev/kmsg record "6,348,277058808,-;msg" */
        _LOG_FORMAT_MAX,
        LOG_FORMAT_AUTO = 100, /* detect from the first lines (logfmt_detect) */
        _LOG_FORMAT_INVALID = -22,
} LogFormat;

/* syslog severities; LOG_SEV_UNKNOWN when the line does not say. */
enum {
        LOG_SEV_EMERG = 0,
        LOG_SEV_ALERT = 1,
        LOG_SEV_CRIT = 2,
        LOG_SEV_ERR = 3,
        LOG_SEV_WARNING = 4,
        LOG_SEV_NOTICE = 5,
        LOG_SEV_INFO = 6,
        LOG_SEV_DEBUG = 7,
        LOG_SEV_UNKNOWN = -1,
};

typedef struct LogAccess {
        int status;             /* 100..599; 0 for "000", "-" and anything outside */
        int64_t bytes;          /* -1: "-" */
        double request_time_s;  /* NAN when the line has none ($request_time, %D/%T) */
        double upstream_time_s; /* NAN when none ($upstream_response_time; the last of a list) */
        const char *method;     /* "GET"; NULL for a malformed request line */
        size_t method_len;
        const char *path; /* without the query string */
        size_t path_len;
} LogAccess;

typedef struct LogRecord {
        LogFormat format;    /* the parser that succeeded */
        int64_t ts_ms;       /* 0 when the line has no timestamp */
        int severity;        /* LOG_SEV_* */
        const char *program; /* NULL when the line does not say */
        size_t program_len;
        int64_t pid;     /* 0 when the line does not say */
        const char *msg; /* the message: the part worth mining; never NULL */
        size_t msg_len;
        bool is_access;
        LogAccess access; /* only when is_access */
        uint64_t seq;     /* kmsg sequence number (LOG_FORMAT_KMSG), else 0 */
} LogRecord;

typedef struct LogParseContext {
        int64_t now_ms;       /* for the year of RFC 3164 stamps; 0: the current time */
        int64_t boot_time_ms; /* wall clock at boot, for kmsg's monotonic stamps; 0: leave ts 0 */
} LogParseContext;

/* 0 and *ret filled (pointers into line), or -EBADMSG if the line is not of that format
 * (*ret untouched). LOG_FORMAT_GENERIC always succeeds. LOG_FORMAT_AUTO is not accepted here
 * (-EINVAL). ctx may be NULL: the current time and no boot time. msg has no leading or trailing
 * blanks. Thread-safe (the local-time offset cache is per thread). */
int logfmt_parse(LogFormat fmt, const char *line, size_t len, const LogParseContext *ctx,
                 LogRecord *ret);

/* The format a line most likely has (never AUTO; GENERIC when nothing else fits). */
LogFormat logfmt_detect(const char *line, size_t len, const LogParseContext *ctx);
/* A guess from a file name alone ("/var/log/nginx/access.log" → ACCESS), AUTO if none. */
LogFormat logfmt_from_path(const char *path);

/* "nginx-error", "access", "syslog", ..., "auto"; NULL for anything else */
const char *logfmt_to_string(LogFormat f);
LogFormat logfmt_from_string(const char *s); /* and "auto"; _LOG_FORMAT_INVALID if unknown */
const char *log_severity_to_string(int sev); /* "err", "warning", ...; "unknown" */
/* "error"/"err"/"ERROR", "warn", "fatal", "crit", "notice", "info", "debug", ... → LOG_SEV_*;
 * LOG_SEV_UNKNOWN if not a level word. */
int log_severity_from_word(const char *s, size_t len);

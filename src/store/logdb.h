/* The log tables of the store: the sources being read with their cursors, the templates
 * mined from each source, and log events (a template seen for the first time). The logs
 * layer keeps its state in memory and writes it here between store_begin() and
 * store_commit(), so cursors, templates and the log count samples of one flush become
 * durable together; outside a transaction each call is its own. Strings are any UTF-8; rows
 * returned are the caller's (logdb_*_free()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define LOGDB_SAMPLE_MAX_BYTES 500u

typedef struct LogSourceRow {
        char *name;
        char *kind;   /* "file", "journal", ... */
        char *target; /* path, units, command */
        char *cursor; /* "" before any line */
        int64_t first_seen_ms;
        int64_t updated_ms;
        uint64_t lines;
        uint64_t bytes;
        char *error; /* NULL when healthy */
        char *note;  /* NULL */
        /* The first count bucket not yet stored: later lines of earlier buckets are counted
         * in it, so a restart in the middle of a bucket never stores a bucket twice. */
        int64_t next_bucket_ms;
        char *format; /* the line format read ("syslog", "access", ...; "auto" before a line) */
} LogSourceRow;

typedef struct LogTemplateRow {
        char *source;
        uint32_t id;
        char *template;
        uint64_t count;
        int64_t first_seen_ms;
        int64_t last_seen_ms;
        int severity; /* the most severe seen (lowest syslog number), -1 unknown */
        char *sample; /* a line of it, at most LOGDB_SAMPLE_MAX_BYTES (cut on a UTF-8 boundary) */
        char *params; /* the sample's params as a JSON array */
} LogTemplateRow;

typedef struct LogEventRow {
        int64_t id; /* assigned by logdb_event_add() */
        int64_t ts_ms;
        char *kind; /* "new_template" */
        char *source;
        uint32_t template_id;
        char *template;
        char *sample;
        int severity;
        bool shadow; /* recorded only (shadow mode), not counted as an anomaly */
} LogEventRow;

/* Insert or replace by name; first_seen_ms keeps the stored one if earlier. */
int logdb_source_put(Store *s, const LogSourceRow *row);
/* 1 and *ret, or 0 if there is no such source. */
int logdb_source_get(Store *s, const char *name, LogSourceRow *ret);
int logdb_source_list(Store *s, LogSourceRow **ret, size_t *ret_n);
void logdb_source_row_done(LogSourceRow *r);
void logdb_source_rows_free(LogSourceRow *a, size_t n);

/* Insert or update by (source, id): template, count, last_seen, severity, sample and
 * params are replaced; first_seen keeps the earlier. */
int logdb_template_put(Store *s, const LogTemplateRow *row);
/* Templates of a source (NULL: all), by count descending then id; top 0: all. */
int logdb_template_list(Store *s, const char *source, size_t top, LogTemplateRow **ret,
                        size_t *ret_n);
/* Deletes a template (the miner dropped it: max_clusters). 0 also if there was none. */
int logdb_template_delete(Store *s, const char *source, uint32_t id);
void logdb_template_row_done(LogTemplateRow *r);
void logdb_template_rows_free(LogTemplateRow *a, size_t n);

int logdb_event_add(Store *s, LogEventRow *row);
/* Events with ts >= since_ms of a kind (NULL: any), oldest first. */
int logdb_event_list(Store *s, int64_t since_ms, const char *kind, LogEventRow **ret,
                     size_t *ret_n);
void logdb_event_rows_free(LogEventRow *a, size_t n);

/* Copies at most max bytes of s, cut back to a UTF-8 character boundary. */
char *logdb_truncate_utf8(const char *s, size_t max);

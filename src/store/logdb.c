/* The log tables (logdb.h); the schema is migration 3 in store.c. */
#include "store/logdb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store-private.h"

char *logdb_truncate_utf8(const char *s, size_t max)
{
        size_t n = strlen(s);

        if (n > max) {
                n = max;
                /* Back over continuation bytes to the start of the cut character. */
                while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                        n--;
        }
        return xstrndup(s, n);
}

/* --- sources --- */

static const char sql_source_put[] =
        "INSERT INTO log_source (name, kind, target, cursor, first_seen, updated, lines, bytes,"
        " error, note, next_bucket, format)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT (name) DO UPDATE SET kind = ?2, target = ?3, cursor = ?4,"
        " first_seen = min(first_seen, ?5), updated = ?6, lines = ?7, bytes = ?8, error = ?9,"
        " note = ?10, next_bucket = ?11, format = ?12";

int logdb_source_put(Store *s, const LogSourceRow *row)
{
        sqlite3_stmt *st;

        assert(s && row && row->name);
        int r = store_prepare_cached(s, sql_source_put, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, row->name);
        store_bind_text(st, 2, row->kind ? row->kind : "");
        store_bind_text(st, 3, row->target ? row->target : "");
        store_bind_text(st, 4, row->cursor ? row->cursor : "");
        (void) sqlite3_bind_int64(st, 5, row->first_seen_ms);
        (void) sqlite3_bind_int64(st, 6, row->updated_ms);
        (void) sqlite3_bind_int64(st, 7, (sqlite3_int64) row->lines);
        (void) sqlite3_bind_int64(st, 8, (sqlite3_int64) row->bytes);
        store_bind_text(st, 9, row->error);
        store_bind_text(st, 10, row->note);
        (void) sqlite3_bind_int64(st, 11, row->next_bucket_ms);
        store_bind_text(st, 12, row->format ? row->format : "");
        return store_step_done(s, st, "saving a log source");
}

static const char sql_source_select[] =
        "SELECT name, kind, target, cursor, first_seen, updated, lines, bytes, error, note,"
        " next_bucket, format"
        " FROM log_source WHERE ?1 IS NULL OR name = ?1 ORDER BY name";

static void source_from_row(sqlite3_stmt *st, LogSourceRow *r)
{
        *r = (LogSourceRow){
                .name = store_col_strdup(st, 0),
                .kind = store_col_strdup(st, 1),
                .target = store_col_strdup(st, 2),
                .cursor = store_col_strdup(st, 3),
                .first_seen_ms = sqlite3_column_int64(st, 4),
                .updated_ms = sqlite3_column_int64(st, 5),
                .lines = (uint64_t) sqlite3_column_int64(st, 6),
                .bytes = (uint64_t) sqlite3_column_int64(st, 7),
                .error = store_col_strdup_or_null(st, 8),
                .note = store_col_strdup_or_null(st, 9),
                .next_bucket_ms = sqlite3_column_int64(st, 10),
                .format = store_col_strdup(st, 11),
        };
}

static int source_select(Store *s, const char *name, LogSourceRow **ret, size_t *ret_n)
{
        LogSourceRow *v = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int rc;

        int r = store_prepare_cached(s, sql_source_select, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, name);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 8;
                        v = xreallocarray(v, cap, sizeof(*v));
                }
                source_from_row(st, &v[n++]);
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                logdb_source_rows_free(v, n);
                return store_sql_error(s, rc, "reading log sources");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int logdb_source_get(Store *s, const char *name, LogSourceRow *ret)
{
        LogSourceRow *v;
        size_t n;

        assert(s && name && ret);
        int r = source_select(s, name, &v, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                free(v);
                return 0;
        }
        *ret = v[0];
        for (size_t i = 1; i < n; i++)
                logdb_source_row_done(&v[i]);
        free(v);
        return 1;
}

int logdb_source_list(Store *s, LogSourceRow **ret, size_t *ret_n)
{
        assert(s && ret && ret_n);
        return source_select(s, NULL, ret, ret_n);
}

void logdb_source_row_done(LogSourceRow *r)
{
        if (!r)
                return;
        free(r->name);
        free(r->kind);
        free(r->target);
        free(r->cursor);
        free(r->error);
        free(r->note);
        free(r->format);
        *r = (LogSourceRow){};
}

void logdb_source_rows_free(LogSourceRow *a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                logdb_source_row_done(&a[i]);
        free(a);
}

/* --- templates --- */

static const char sql_template_put[] =
        "INSERT INTO log_template (source, id, template, count, first_seen, last_seen, severity,"
        " sample, params) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (source, id) DO UPDATE SET template = ?3, count = ?4,"
        " first_seen = min(first_seen, ?5), last_seen = ?6, severity = ?7, sample = ?8,"
        " params = ?9";

int logdb_template_put(Store *s, const LogTemplateRow *row)
{
        _cleanup_free_ char *sample = NULL;
        sqlite3_stmt *st;

        assert(s && row && row->source && row->template);
        int r = store_prepare_cached(s, sql_template_put, &st);
        if (r < 0)
                return r;
        sample = logdb_truncate_utf8(row->sample ? row->sample : "", LOGDB_SAMPLE_MAX_BYTES);
        store_bind_text(st, 1, row->source);
        (void) sqlite3_bind_int64(st, 2, row->id);
        store_bind_text(st, 3, row->template);
        (void) sqlite3_bind_int64(st, 4, (sqlite3_int64) row->count);
        (void) sqlite3_bind_int64(st, 5, row->first_seen_ms);
        (void) sqlite3_bind_int64(st, 6, row->last_seen_ms);
        (void) sqlite3_bind_int(st, 7, row->severity);
        store_bind_text(st, 8, sample);
        store_bind_text(st, 9, row->params ? row->params : "[]");
        return store_step_done(s, st, "saving a log template");
}

static const char sql_template_select[] =
        "SELECT source, id, template, count, first_seen, last_seen, severity, sample, params"
        " FROM log_template WHERE ?1 IS NULL OR source = ?1"
        " ORDER BY count DESC, source, id LIMIT ?2";

int logdb_template_list(Store *s, const char *source, size_t top, LogTemplateRow **ret,
                        size_t *ret_n)
{
        LogTemplateRow *v = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int rc;

        assert(s && ret && ret_n);
        int r = store_prepare_cached(s, sql_template_select, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, source);
        (void) sqlite3_bind_int64(st, 2, top > 0 && top < INT64_MAX ? (sqlite3_int64) top : -1);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        v = xreallocarray(v, cap, sizeof(*v));
                }
                v[n++] = (LogTemplateRow){
                        .source = store_col_strdup(st, 0),
                        .id = (uint32_t) sqlite3_column_int64(st, 1),
                        .template = store_col_strdup(st, 2),
                        .count = (uint64_t) sqlite3_column_int64(st, 3),
                        .first_seen_ms = sqlite3_column_int64(st, 4),
                        .last_seen_ms = sqlite3_column_int64(st, 5),
                        .severity = sqlite3_column_int(st, 6),
                        .sample = store_col_strdup(st, 7),
                        .params = store_col_strdup(st, 8),
                };
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                logdb_template_rows_free(v, n);
                return store_sql_error(s, rc, "reading log templates");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static const char sql_template_delete[] = "DELETE FROM log_template WHERE source = ?1 AND id = ?2";

int logdb_template_delete(Store *s, const char *source, uint32_t id)
{
        sqlite3_stmt *st;

        assert(s && source);
        int r = store_prepare_cached(s, sql_template_delete, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, source);
        (void) sqlite3_bind_int64(st, 2, id);
        return store_step_done(s, st, "deleting a log template");
}

void logdb_template_row_done(LogTemplateRow *r)
{
        if (!r)
                return;
        free(r->source);
        free(r->template);
        free(r->sample);
        free(r->params);
        *r = (LogTemplateRow){};
}

void logdb_template_rows_free(LogTemplateRow *a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                logdb_template_row_done(&a[i]);
        free(a);
}

/* --- events --- */

static const char sql_event_add[] =
        "INSERT INTO log_event (ts, kind, source, template_id, template, sample, severity, shadow)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

int logdb_event_add(Store *s, LogEventRow *row)
{
        _cleanup_free_ char *sample = NULL;
        sqlite3_stmt *st;

        assert(s && row && row->kind && row->source && row->template);
        int r = store_prepare_cached(s, sql_event_add, &st);
        if (r < 0)
                return r;
        sample = logdb_truncate_utf8(row->sample ? row->sample : "", LOGDB_SAMPLE_MAX_BYTES);
        (void) sqlite3_bind_int64(st, 1, row->ts_ms);
        store_bind_text(st, 2, row->kind);
        store_bind_text(st, 3, row->source);
        (void) sqlite3_bind_int64(st, 4, row->template_id);
        store_bind_text(st, 5, row->template);
        store_bind_text(st, 6, sample);
        (void) sqlite3_bind_int(st, 7, row->severity);
        (void) sqlite3_bind_int(st, 8, row->shadow);
        r = store_step_done(s, st, "saving a log event");
        if (r < 0)
                return r;
        row->id = sqlite3_last_insert_rowid(store_sqlite(s));
        return 0;
}

static const char sql_event_select[] =
        "SELECT id, ts, kind, source, template_id, template, sample, severity, shadow"
        " FROM log_event WHERE ts >= ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY ts, id";

int logdb_event_list(Store *s, int64_t since_ms, const char *kind, LogEventRow **ret, size_t *ret_n)
{
        LogEventRow *v = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int rc;

        assert(s && ret && ret_n);
        int r = store_prepare_cached(s, sql_event_select, &st);
        if (r < 0)
                return r;
        (void) sqlite3_bind_int64(st, 1, since_ms);
        store_bind_text(st, 2, kind);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        v = xreallocarray(v, cap, sizeof(*v));
                }
                v[n++] = (LogEventRow){
                        .id = sqlite3_column_int64(st, 0),
                        .ts_ms = sqlite3_column_int64(st, 1),
                        .kind = store_col_strdup(st, 2),
                        .source = store_col_strdup(st, 3),
                        .template_id = (uint32_t) sqlite3_column_int64(st, 4),
                        .template = store_col_strdup(st, 5),
                        .sample = store_col_strdup(st, 6),
                        .severity = sqlite3_column_int(st, 7),
                        .shadow = sqlite3_column_int(st, 8) != 0,
                };
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                logdb_event_rows_free(v, n);
                return store_sql_error(s, rc, "reading log events");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void logdb_event_rows_free(LogEventRow *a, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(a[i].kind);
                free(a[i].source);
                free(a[i].template);
                free(a[i].sample);
        }
        free(a);
}

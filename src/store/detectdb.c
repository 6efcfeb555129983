/* The detection tables (detectdb.h); the schema is migration 4 in store.c. */
#include "store/detectdb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store-private.h"

/* --- anomalies --- */

/* The stored anomaly of the same kind and subject that overlaps or touches the range. */
static const char sql_anomaly_find[] =
        "SELECT id, start_ts, end_ts, score FROM anomaly"
        " WHERE kind = ?1 AND subject = ?2 AND start_ts <= ?4 AND end_ts >= ?3"
        " ORDER BY start_ts LIMIT 1";
static const char sql_anomaly_update[] =
        "UPDATE anomaly SET start_ts = ?2, end_ts = ?3, detected = ?4, score = ?5, methods = ?6,"
        " summary = ?7, details = ?8 WHERE id = ?1";
static const char sql_anomaly_insert[] =
        "INSERT INTO anomaly (kind, subject, start_ts, end_ts, detected, score, methods, summary,"
        " details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

static int anomaly_find(Store *s, const AnomalyRow *row, int64_t *ret_id, int64_t *ret_start,
                        int64_t *ret_end, double *ret_score)
{
        sqlite3_stmt *st;
        int r = store_prepare_cached(s, sql_anomaly_find, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, row->kind);
        store_bind_text(st, 2, row->subject);
        (void) sqlite3_bind_int64(st, 3, row->start_ms);
        (void) sqlite3_bind_int64(st, 4, row->end_ms);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret_id = sqlite3_column_int64(st, 0);
                *ret_start = sqlite3_column_int64(st, 1);
                *ret_end = sqlite3_column_int64(st, 2);
                *ret_score = sqlite3_column_double(st, 3);
        }
        (void) sqlite3_reset(st);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_sql_error(s, rc, "looking up an anomaly");
}

static int anomaly_write(Store *s, AnomalyRow *row)
{
        int64_t id = 0, start = 0, end = 0;
        double score = 0;
        sqlite3_stmt *st;

        int found = anomaly_find(s, row, &id, &start, &end, &score);
        if (found < 0)
                return found;
        if (found) {
                int r = store_prepare_cached(s, sql_anomaly_update, &st);
                if (r < 0)
                        return r;
                (void) sqlite3_bind_int64(st, 1, id);
                (void) sqlite3_bind_int64(st, 2, start < row->start_ms ? start : row->start_ms);
                (void) sqlite3_bind_int64(st, 3, end > row->end_ms ? end : row->end_ms);
                (void) sqlite3_bind_int64(st, 4, row->detected_ms);
                (void) sqlite3_bind_double(st, 5, score > row->score ? score : row->score);
                store_bind_text(st, 6, row->methods ? row->methods : "");
                store_bind_text(st, 7, row->summary ? row->summary : "");
                store_bind_text(st, 8, row->details ? row->details : "{}");
                r = store_step_done(s, st, "updating an anomaly");
                if (r < 0)
                        return r;
                row->id = id;
                return 0;
        }
        int r = store_prepare_cached(s, sql_anomaly_insert, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, row->kind);
        store_bind_text(st, 2, row->subject);
        (void) sqlite3_bind_int64(st, 3, row->start_ms);
        (void) sqlite3_bind_int64(st, 4, row->end_ms);
        (void) sqlite3_bind_int64(st, 5, row->detected_ms);
        (void) sqlite3_bind_double(st, 6, row->score);
        store_bind_text(st, 7, row->methods ? row->methods : "");
        store_bind_text(st, 8, row->summary ? row->summary : "");
        store_bind_text(st, 9, row->details ? row->details : "{}");
        r = store_step_done(s, st, "saving an anomaly");
        if (r < 0)
                return r;
        row->id = sqlite3_last_insert_rowid(store_sqlite(s));
        return 1;
}

int detectdb_anomaly_put(Store *s, AnomalyRow *row)
{
        assert(s && row && row->kind && row->subject);
        if (row->end_ms < row->start_ms)
                return -EINVAL;
        /* Find-then-write is one unit whether or not the caller holds a transaction. */
        sqlite3 *db = store_sqlite(s);
        int rc = sqlite3_exec(db, "SAVEPOINT detectdb_anomaly", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return store_sql_error(s, rc, "saving an anomaly");
        int r = anomaly_write(s, row);
        rc = sqlite3_exec(db,
                          r >= 0 ? "RELEASE detectdb_anomaly"
                                 : "ROLLBACK TO detectdb_anomaly; RELEASE detectdb_anomaly",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK && r >= 0)
                r = store_sql_error(s, rc, "saving an anomaly");
        return r;
}

static const char sql_anomaly_select[] =
        "SELECT id, kind, subject, start_ts, end_ts, detected, score, methods, summary, details"
        " FROM anomaly WHERE end_ts > ?1 AND start_ts < ?2 AND (?3 IS NULL OR kind = ?3)"
        " AND (?4 IS NULL OR id = ?4) ORDER BY start_ts, id";

static void anomaly_from_row(sqlite3_stmt *st, AnomalyRow *r)
{
        *r = (AnomalyRow){
                .id = sqlite3_column_int64(st, 0),
                .kind = store_col_strdup(st, 1),
                .subject = store_col_strdup(st, 2),
                .start_ms = sqlite3_column_int64(st, 3),
                .end_ms = sqlite3_column_int64(st, 4),
                .detected_ms = sqlite3_column_int64(st, 5),
                .score = sqlite3_column_double(st, 6),
                .methods = store_col_strdup(st, 7),
                .summary = store_col_strdup(st, 8),
                .details = store_col_strdup(st, 9),
        };
}

static int anomaly_select(Store *s, int64_t since_ms, int64_t until_ms, const char *kind,
                          const int64_t *id, AnomalyRow **ret, size_t *ret_n)
{
        AnomalyRow *v = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int rc;

        int r = store_prepare_cached(s, sql_anomaly_select, &st);
        if (r < 0)
                return r;
        (void) sqlite3_bind_int64(st, 1, since_ms);
        (void) sqlite3_bind_int64(st, 2, until_ms);
        store_bind_text(st, 3, kind);
        if (id)
                (void) sqlite3_bind_int64(st, 4, *id);
        else
                (void) sqlite3_bind_null(st, 4);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        v = xreallocarray(v, cap, sizeof(*v));
                }
                anomaly_from_row(st, &v[n++]);
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                detectdb_anomaly_rows_free(v, n);
                return store_sql_error(s, rc, "reading anomalies");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int detectdb_anomaly_list(Store *s, int64_t since_ms, int64_t until_ms, const char *kind,
                          AnomalyRow **ret, size_t *ret_n)
{
        assert(s && ret && ret_n);
        return anomaly_select(s, since_ms, until_ms, kind, NULL, ret, ret_n);
}

int detectdb_anomaly_get(Store *s, int64_t id, AnomalyRow *ret)
{
        AnomalyRow *v = NULL;
        size_t n = 0;

        assert(s && ret);
        int r = anomaly_select(s, INT64_MIN, INT64_MAX, NULL, &id, &v, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                free(v);
                return 0;
        }
        *ret = v[0];
        free(v);
        return 1;
}

void detectdb_anomaly_row_done(AnomalyRow *r)
{
        if (!r)
                return;
        free(r->kind);
        free(r->subject);
        free(r->methods);
        free(r->summary);
        free(r->details);
        *r = (AnomalyRow){0};
}

void detectdb_anomaly_rows_free(AnomalyRow *a, size_t n)
{
        for (size_t i = 0; a && i < n; i++)
                detectdb_anomaly_row_done(&a[i]);
        free(a);
}

/* --- models --- */

static const char sql_model_put[] =
        "INSERT OR REPLACE INTO model (name, kind, trained, from_ts, to_ts, samples, meta, data)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

int detectdb_model_put(Store *s, const ModelRow *row)
{
        sqlite3_stmt *st;

        assert(s && row && row->name && row->kind);
        if (row->data_size > INT32_MAX)
                return -EFBIG;
        int r = store_prepare_cached(s, sql_model_put, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, row->name);
        store_bind_text(st, 2, row->kind);
        (void) sqlite3_bind_int64(st, 3, row->trained_ms);
        (void) sqlite3_bind_int64(st, 4, row->from_ms);
        (void) sqlite3_bind_int64(st, 5, row->to_ms);
        (void) sqlite3_bind_int64(st, 6, (sqlite3_int64) row->n_samples);
        store_bind_text(st, 7, row->meta ? row->meta : "{}");
        (void) sqlite3_bind_blob(st, 8, row->data ? row->data : "", (int) row->data_size,
                                 SQLITE_STATIC);
        return store_step_done(s, st, "saving a model");
}

static const char sql_model_get[] = "SELECT name, kind, trained, from_ts, to_ts, samples, meta, "
                                    "data FROM model WHERE name = ?1";

int detectdb_model_get(Store *s, const char *name, ModelRow *ret)
{
        sqlite3_stmt *st;

        assert(s && name && ret);
        int r = store_prepare_cached(s, sql_model_get, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, name);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const void *blob = sqlite3_column_blob(st, 7);
                size_t size = (size_t) sqlite3_column_bytes(st, 7);
                *ret = (ModelRow){
                        .name = store_col_strdup(st, 0),
                        .kind = store_col_strdup(st, 1),
                        .trained_ms = sqlite3_column_int64(st, 2),
                        .from_ms = sqlite3_column_int64(st, 3),
                        .to_ms = sqlite3_column_int64(st, 4),
                        .n_samples = (uint64_t) sqlite3_column_int64(st, 5),
                        .meta = store_col_strdup(st, 6),
                        .data = xmalloc(size ? size : 1),
                        .data_size = size,
                };
                if (size > 0)
                        memcpy(ret->data, blob, size);
        }
        (void) sqlite3_reset(st);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_sql_error(s, rc, "reading a model");
}

static const char sql_model_delete[] = "DELETE FROM model WHERE name = ?1";

int detectdb_model_delete(Store *s, const char *name)
{
        sqlite3_stmt *st;

        assert(s && name);
        int r = store_prepare_cached(s, sql_model_delete, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, name);
        return store_step_done(s, st, "deleting a model");
}

void detectdb_model_row_done(ModelRow *r)
{
        if (!r)
                return;
        free(r->name);
        free(r->kind);
        free(r->meta);
        free(r->data);
        *r = (ModelRow){0};
}

/* The pattern table (patterndb.h); the schema is migration 5 in store.c. */
#include "store/patterndb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store-private.h"

static const char sql_put[] =
        "INSERT OR REPLACE INTO pattern (id, json, updated) VALUES (?1, ?2, ?3)";

int patterndb_put(Store *s, const char *id, const char *json, int64_t updated_ms)
{
        sqlite3_stmt *st;

        assert(s && id && json);
        if (id[0] == '\0' || strlen(id) > 64)
                return -EINVAL;
        int r = store_prepare_cached(s, sql_put, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, json);
        (void) sqlite3_bind_int64(st, 3, updated_ms);
        return store_step_done(s, st, "saving a pattern");
}

static const char sql_select[] =
        "SELECT id, json, updated FROM pattern WHERE (?1 IS NULL OR id = ?1) ORDER BY id";

static int select_rows(Store *s, const char *id, PatternRow **ret, size_t *ret_n)
{
        PatternRow *v = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int rc;

        int r = store_prepare_cached(s, sql_select, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        v = xreallocarray(v, cap, sizeof(*v));
                }
                v[n++] = (PatternRow){
                        .id = store_col_strdup(st, 0),
                        .json = store_col_strdup(st, 1),
                        .updated_ms = sqlite3_column_int64(st, 2),
                };
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                patterndb_rows_free(v, n);
                return store_sql_error(s, rc, "reading patterns");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int patterndb_get(Store *s, const char *id, PatternRow *ret)
{
        PatternRow *v = NULL;
        size_t n = 0;

        assert(s && id && ret);
        int r = select_rows(s, id, &v, &n);
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

int patterndb_list(Store *s, PatternRow **ret, size_t *ret_n)
{
        assert(s && ret && ret_n);
        return select_rows(s, NULL, ret, ret_n);
}

static const char sql_delete[] = "DELETE FROM pattern WHERE id = ?1";

int patterndb_delete(Store *s, const char *id)
{
        sqlite3_stmt *st;

        assert(s && id);
        int r = store_prepare_cached(s, sql_delete, &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        r = store_step_done(s, st, "deleting a pattern");
        if (r < 0)
                return r;
        return sqlite3_changes(store_sqlite(s)) > 0;
}

void patterndb_row_done(PatternRow *r)
{
        if (!r)
                return;
        free(r->id);
        free(r->json);
        *r = (PatternRow){0};
}

void patterndb_rows_free(PatternRow *a, size_t n)
{
        for (size_t i = 0; a && i < n; i++)
                patterndb_row_done(&a[i]);
        free(a);
}

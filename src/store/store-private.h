/* For the store layer's own modules (logdb.c, detectdb.c): the SQLite handle behind a Store and its
 * error conventions. Other layers go through store.h, logdb.h and detectdb.h. */
#pragma once

#include <sqlite3.h>

#include "store/store.h"

sqlite3 *store_sqlite(Store *s);
/* A statement prepared once per Store and kept until store_free(); sql must be a string
 * with static storage (it is the cache key). Reset and unbound on every call. */
int store_prepare_cached(Store *s, const char *sql, sqlite3_stmt **ret);
/* Maps rc to -errno and sets the store's last error ("... while <what>"); returns it. */
int store_sql_error(Store *s, int rc, const char *what);

/* Steps a statement that returns no row and resets it: 0, or store_sql_error(). */
int store_step_done(Store *s, sqlite3_stmt *st, const char *what);
/* Binds s as text (borrowed until the step), or NULL when s is NULL. */
void store_bind_text(sqlite3_stmt *st, int col, const char *s);
/* A copy of a text column: "" for NULL, or NULL for NULL (_or_null). */
char *store_col_strdup(sqlite3_stmt *st, int col);
char *store_col_strdup_or_null(sqlite3_stmt *st, int col);

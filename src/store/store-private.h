/* For the store layer's own modules (logdb.c): the SQLite handle behind a Store and its
 * error conventions. Other layers go through store.h and logdb.h. */
#pragma once

#include <sqlite3.h>

#include "store/store.h"

sqlite3 *store_sqlite(Store *s);
/* A statement prepared once per Store and kept until store_free(); sql must be a string
 * with static storage (it is the cache key). Reset and unbound on every call. */
int store_prepare_cached(Store *s, const char *sql, sqlite3_stmt **ret);
/* Maps rc to -errno and sets the store's last error ("... while <what>"); returns it. */
int store_sql_error(Store *s, int rc, const char *what);

/* The one mapping of SQLite result codes to -errno for the store layer (STYLE.md §4). */
#pragma once

#include <sqlite3.h>

/* 0 for SQLITE_OK/ROW/DONE, else a negative errno: FULL → -ENOSPC, READONLY → -EROFS,
 * CORRUPT/NOTADB → -EBADMSG, CANTOPEN → the errno of the failed open() (or -EACCES),
 * PERM/AUTH → -EACCES, BUSY/LOCKED → -EBUSY, IOERR → -EIO (-ENOSPC if the write hit a
 * full disk). db (may be NULL) supplies the system errno of the failure. */
int sqlite_to_errno(sqlite3 *db, int rc);

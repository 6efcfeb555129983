#include "sqlite-util.h"

#include <errno.h>

int sqlite_to_errno(sqlite3 *db, int rc)
{
        int sys = db ? sqlite3_system_errno(db) : 0;

        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_CANTOPEN:
                return sys > 0 ? -sys : -EACCES;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_IOERR:
                /* The unix VFS reports most ENOSPC as SQLITE_FULL, but not all (e.g. WAL
                 * index growth); EDQUOT is the same condition for the user. */
                return sys == ENOSPC || sys == EDQUOT ? -ENOSPC : -EIO;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_INTERRUPT:
                return -EINTR;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
        case SQLITE_MISUSE:
                return -EINVAL;
        case SQLITE_PROTOCOL:
                return -EPROTO;
        default:
                return -EIO;
        }
}

/* uid → user name, from a passwd file (default /etc/passwd) read once and re-read when its
 * mtime, size or inode changes. Names of users known only through NSS (LDAP, sssd) are not
 * resolved: calling getpwuid() could block on the network inside the collection loop. An
 * unknown uid is shown as its number, as ps does. Not thread-safe. */
#pragma once

#include <sys/types.h>

typedef struct Users Users;

/* path NULL means /etc/passwd; the string is copied. Never fails: a missing or unreadable
 * file leaves every uid unresolved until a refresh finds it. */
Users *users_new(const char *path);
Users *users_free(Users *u);
/* Re-reads the file if it changed since the last load (one stat() otherwise). 1 if
 * reloaded, 0 if unchanged, -errno if it cannot be read (the old names are kept). A reload
 * invalidates every name users_name() returned before. */
int users_refresh(Users *u);
/* The name of uid, or its decimal number. Never NULL; borrowed until the next reload. */
const char *users_name(Users *u, uid_t uid);

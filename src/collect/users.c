#include "collect/users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "collect/procbuf.h"
#include "core/alloc.h"
#include "core/parse.h"

typedef struct UserSlot {
        uid_t uid;
        char *name; /* NULL: empty slot */
} UserSlot;

struct Users {
        char *path;
        struct stat st; /* of the loaded file; st_ino 0 before the first load */
        bool loaded;
        UserSlot *slots;
        size_t cap, n; /* cap is a power of two */
};

static size_t uid_hash(uid_t uid)
{
        return (size_t) ((uint32_t) uid * UINT32_C(2654435761));
}

static void slots_clear(Users *u)
{
        for (size_t i = 0; i < u->cap; i++)
                free(u->slots[i].name);
        free(u->slots);
        u->slots = NULL;
        u->cap = u->n = 0;
}

static UserSlot *slot_find(const Users *u, uid_t uid)
{
        if (u->cap == 0)
                return NULL;
        for (size_t i = uid_hash(uid) & (u->cap - 1);; i = (i + 1) & (u->cap - 1)) {
                UserSlot *s = &u->slots[i];
                if (!s->name || s->uid == uid)
                        return s;
        }
}

/* Takes ownership of name. The first entry for a uid wins, as with getpwuid(). */
static const char *slot_add(Users *u, uid_t uid, char *name)
{
        if ((u->n + 1) * 2 > u->cap) {
                UserSlot *old = u->slots;
                size_t old_cap = u->cap;
                u->cap = old_cap ? old_cap * 2 : 64;
                u->slots = xnew0(UserSlot, u->cap);
                u->n = 0;
                for (size_t i = 0; i < old_cap; i++)
                        if (old[i].name) {
                                *slot_find(u, old[i].uid) = old[i];
                                u->n++;
                        }
                free(old);
        }
        UserSlot *s = slot_find(u, uid);
        if (s->name) {
                free(name);
                return s->name;
        }
        s->uid = uid;
        s->name = name;
        u->n++;
        return name;
}

Users *users_new(const char *path)
{
        Users *u = xnew0(Users, 1);
        u->path = xstrdup(path ? path : "/etc/passwd");
        return u;
}

Users *users_free(Users *u)
{
        if (!u)
                return NULL;
        slots_clear(u);
        free(u->path);
        free(u);
        return NULL;
}

static void parse_passwd(Users *u, const char *p)
{
        /* name:password:UID:GID:GECOS:directory:shell (passwd(5)) */
        for (; *p; parse_skip_line(&p)) {
                const char *colon = strchr(p, ':');
                const char *nl = strchrnul(p, '\n');
                if (!colon || colon > nl || colon == p || *p == '+' || *p == '-')
                        continue; /* empty, malformed, or NIS compat lines */
                const char *q = strchr(colon + 1, ':');
                if (!q || q > nl)
                        continue;
                q++;
                uint64_t uid;
                if (parse_u64(&q, &uid) < 0 || *q != ':' || uid >= UINT32_MAX)
                        continue;
                (void) slot_add(u, (uid_t) uid, xstrndup(p, (size_t) (colon - p)));
        }
}

int users_refresh(Users *u)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        struct stat st;

        if (stat(u->path, &st) < 0)
                return -errno;
        if (u->loaded && st.st_mtim.tv_sec == u->st.st_mtim.tv_sec &&
            st.st_mtim.tv_nsec == u->st.st_mtim.tv_nsec && st.st_size == u->st.st_size &&
            st.st_ino == u->st.st_ino && st.st_dev == u->st.st_dev)
                return 0;

        int r = procbuf_read_at(&b, AT_FDCWD, u->path);
        if (r < 0)
                return r;
        slots_clear(u);
        parse_passwd(u, b.data);
        u->st = st;
        u->loaded = true;
        return 1;
}

const char *users_name(Users *u, uid_t uid)
{
        UserSlot *s = slot_find(u, uid);
        if (s && s->name)
                return s->name;

        /* Remember the number too, so each unknown uid is formatted once. */
        char buf[16], *e = buf + sizeof(buf);
        uint32_t v = (uint32_t) uid;
        *--e = '\0';
        do
                *--e = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        return slot_add(u, uid, xstrdup(e));
}

#include "collect/proc-pid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/parse.h"

static int next_u64(const char **p, uint64_t *ret)
{
        return parse_u64(p, ret);
}

static int next_int(const char **p, int *ret)
{
        int64_t v;
        int r = parse_i64(p, &v);
        if (r < 0)
                return r;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

static int next_pid(const char **p, pid_t *ret)
{
        int v;
        int r = next_int(p, &v);
        if (r < 0)
                return r;
        if (v < 0)
                return -ERANGE;
        *ret = (pid_t) v;
        return 0;
}

int proc_pid_parse_stat(const ProcBuf *b, ProcPidStat *ret)
{
        ProcPidStat st = {.processor = -1};
        const char *p, *open, *close;
        uint64_t v;

        if (!b->data || b->len == 0)
                return -EINVAL;

        /* (2) comm is "(%s)" with the name chosen by the process: it may hold spaces and
         * parentheses ("a) b (c"), so it runs from the first '(' to the last ')'. */
        open = memchr(b->data, '(', b->len);
        close = memrchr(b->data, ')', b->len);
        if (!open || !close || close < open)
                return -EINVAL;

        /* (1) pid, then exactly one space before the '(' */
        p = b->data;
        if (parse_u64(&p, &v) < 0 || v == 0 || v > INT_MAX || *p != ' ' || p + 1 != open)
                return -EINVAL;
        st.pid = (pid_t) v;

        size_t n = MIN((size_t) (close - open - 1), sizeof(st.comm) - 1);
        memcpy(st.comm, open + 1, n);
        st.comm[n] = '\0';

        /* (3) state: one character */
        p = close + 1;
        parse_skip_blanks(&p);
        if (*p <= ' ' || *p > '~')
                return -EINVAL;
        st.state = *p++;
        if (*p != ' ')
                return -EINVAL;

        if (next_pid(&p, &st.ppid) < 0 ||             /* (4) */
            next_pid(&p, &st.pgrp) < 0 ||             /* (5) */
            next_pid(&p, &st.session) < 0 ||          /* (6) */
            next_int(&p, &st.tty_nr) < 0 ||           /* (7) */
            parse_skip_fields(&p, 1) < 0 ||           /* (8) tpgid */
            next_u64(&p, &st.flags) < 0 ||            /* (9) */
            next_u64(&p, &st.minflt) < 0 ||           /* (10) */
            parse_skip_fields(&p, 1) < 0 ||           /* (11) cminflt */
            next_u64(&p, &st.majflt) < 0 ||           /* (12) */
            parse_skip_fields(&p, 1) < 0 ||           /* (13) cmajflt */
            next_u64(&p, &st.utime_ticks) < 0 ||      /* (14) */
            next_u64(&p, &st.stime_ticks) < 0 ||      /* (15) */
            parse_skip_fields(&p, 2) < 0 ||           /* (16) cutime, (17) cstime */
            next_int(&p, &st.priority) < 0 ||         /* (18) */
            next_int(&p, &st.nice) < 0 ||             /* (19) */
            next_u64(&p, &v) < 0 || v > UINT32_MAX || /* (20) num_threads */
            parse_skip_fields(&p, 1) < 0)             /* (21) itrealvalue */
                return -EINVAL;
        st.num_threads = (uint32_t) v;
        if (next_u64(&p, &st.starttime_ticks) < 0 || /* (22) */
            next_u64(&p, &st.vsize_bytes) < 0 ||     /* (23) */
            next_u64(&p, &st.rss_pages) < 0)         /* (24) */
                return -EINVAL;

        /* (39) processor exists since 2.2.8; tolerate its absence rather than lose the
         * process. Fields 25-38 are addresses and signal masks we have no use for. */
        int cpu;
        if (parse_skip_fields(&p, 14) >= 0 && next_int(&p, &cpu) >= 0 && cpu >= 0)
                st.processor = cpu;

        *ret = st;
        return 0;
}

/* A line of exactly n blank-separated decimal numbers, as the kernel prints statm and
 * schedstat: blanks and one trailing newline allowed, nothing else (no sign, no junk glued to
 * a number, no second line, no embedded NUL). 0, -EINVAL, or -ERANGE on overflow. */
static int parse_number_line(const ProcBuf *b, uint64_t *v, size_t n)
{
        const char *p;

        if (!b->data || b->len == 0)
                return -EINVAL;
        p = b->data;
        for (size_t i = 0; i < n; i++) {
                int r = parse_u64(&p, &v[i]);
                if (r < 0)
                        return r;
                if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\0')
                        return -EINVAL; /* "12x": not a number field */
        }
        parse_skip_blanks(&p);
        if (*p == '\n')
                p++;
        if (*p != '\0' || (size_t) (p - b->data) != b->len)
                return -EINVAL; /* trailing text or an embedded NUL */
        return 0;
}

int proc_pid_parse_statm(const ProcBuf *b, ProcPidStatm *ret)
{
        uint64_t v[7];

        /* "size resident shared text lib data dt\n" (fs/proc/array.c proc_pid_statm()) */
        int r = parse_number_line(b, v, ELEMENTSOF(v));
        if (r < 0)
                return r;
        *ret = (ProcPidStatm){
                .size_pages = v[0],
                .resident_pages = v[1],
                .shared_pages = v[2],
                .text_pages = v[3],
                .lib_pages = v[4],
                .data_pages = v[5],
                .dt_pages = v[6],
        };
        return 0;
}

int proc_pid_parse_schedstat(const ProcBuf *b, ProcPidSchedstat *ret)
{
        uint64_t v[3];

        /* "%llu %llu %lu\n" (fs/proc/base.c proc_pid_schedstat()) */
        int r = parse_number_line(b, v, ELEMENTSOF(v));
        if (r < 0)
                return r;
        *ret = (ProcPidSchedstat){
                .runtime_ns = v[0],
                .run_delay_ns = v[1],
                .timeslices = v[2],
        };
        return 0;
}

/* The value after "Key:" on the current line, in kB, as bytes. */
static int status_kb(const char *p, uint64_t *ret)
{
        uint64_t v;
        int r = parse_u64(&p, &v);
        if (r < 0)
                return r;
        if (v > UINT64_MAX / 1024)
                return -ERANGE;
        *ret = v * 1024;
        return 0;
}

int proc_pid_parse_status(const ProcBuf *b, ProcPidStatus *ret)
{
        ProcPidStatus st = {};
        bool have_uid = false;

        if (!b->data)
                return -EINVAL;

        for (const char *p = b->data; *p; parse_skip_line(&p)) {
                if (parse_startswith(p, "Uid:")) {
                        /* Real, effective, saved set, filesystem UIDs. */
                        const char *q = p + 4;
                        uint64_t ruid, euid;
                        if (parse_u64(&q, &ruid) < 0 || parse_u64(&q, &euid) < 0 ||
                            ruid > UINT32_MAX || euid > UINT32_MAX)
                                return -EINVAL;
                        st.uid_real = (uid_t) ruid;
                        st.uid_effective = (uid_t) euid;
                        have_uid = true;
                } else if (parse_startswith(p, "VmRSS:")) {
                        if (status_kb(p + 6, &st.vm_rss_bytes) >= 0)
                                st.has_vm = true;
                } else if (parse_startswith(p, "VmSwap:")) {
                        (void) status_kb(p + 7, &st.vm_swap_bytes);
                }
        }
        if (!have_uid)
                return -EINVAL;
        *ret = st;
        return 0;
}

int proc_pid_parse_io(const ProcBuf *b, ProcPidIo *ret)
{
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                {"rchar:", offsetof(ProcPidIo, rchar)},
                {"wchar:", offsetof(ProcPidIo, wchar)},
                {"syscr:", offsetof(ProcPidIo, syscr)},
                {"syscw:", offsetof(ProcPidIo, syscw)},
                {"read_bytes:", offsetof(ProcPidIo, read_bytes)},
                {"write_bytes:", offsetof(ProcPidIo, write_bytes)},
                {"cancelled_write_bytes:", offsetof(ProcPidIo, cancelled_write_bytes)},
        };
        ProcPidIo io = {};
        unsigned found = 0;
        size_t next = 0;

        if (!b->data)
                return -EINVAL;

        for (const char *p = b->data; *p; parse_skip_line(&p)) {
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        /* the file is in this order: usually the first probe hits */
                        size_t k = (next + i) % ELEMENTSOF(keys);
                        if (!parse_startswith(p, keys[k].key))
                                continue;
                        const char *q = p + strlen(keys[k].key);
                        uint64_t v;
                        if (parse_u64(&q, &v) < 0)
                                return -EINVAL;
                        memcpy((char *) &io + keys[k].offset, &v, sizeof(v));
                        found |= 1u << k;
                        next = k + 1;
                        break;
                }
        }
        if (found != (1u << ELEMENTSOF(keys)) - 1)
                return -EINVAL;
        *ret = io;
        return 0;
}

/* True if the comma-separated controller list [s, e) holds "name=systemd". */
static bool has_name_systemd(const char *s, const char *e)
{
        static const char want[] = "name=systemd";
        const size_t wl = sizeof(want) - 1;

        while (s < e) {
                const char *comma = memchr(s, ',', (size_t) (e - s));
                const char *end = comma ? comma : e;
                if ((size_t) (end - s) == wl && memcmp(s, want, wl) == 0)
                        return true;
                s = comma ? comma + 1 : e;
        }
        return false;
}

int proc_pid_parse_cgroup(const ProcBuf *b, char **ret_path)
{
        const char *v2 = NULL, *v1 = NULL;
        size_t v2_len = 0, v1_len = 0;

        if (!b->data)
                return -EINVAL;

        /* Lines are "hierarchy-ID:controller-list:cgroup-path" (proc(5) cgroup). */
        for (const char *p = b->data; *p;) {
                const char *nl = strchrnul(p, '\n');
                const char *c1 = memchr(p, ':', (size_t) (nl - p));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (nl - c1 - 1)) : NULL;
                if (!c2)
                        return -EINVAL;
                const char *path = c2 + 1;
                size_t len = (size_t) (nl - path);

                if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1) {
                        v2 = path;
                        v2_len = len;
                } else if (has_name_systemd(c1 + 1, c2)) {
                        v1 = path;
                        v1_len = len;
                }
                p = *nl ? nl + 1 : nl;
        }

        /* On a hybrid host the unified line is "0::/" unless systemd also manages the v2
         * tree; then the named v1 hierarchy is where systemd put the process. */
        const char *pick = NULL;
        size_t len = 0;
        if (v2 && v2_len > 1) {
                pick = v2;
                len = v2_len;
        } else if (v1 && v1_len > 0) {
                pick = v1;
                len = v1_len;
        } else if (v2 && v2_len > 0) {
                pick = v2;
                len = v2_len;
        }
        if (!pick)
                return -ENODATA;
        *ret_path = xstrndup(pick, len);
        return 0;
}

static bool endswith_n(const char *s, size_t n, const char *suffix)
{
        size_t sl = strlen(suffix);
        return n > sl && memcmp(s + n - sl, suffix, sl) == 0;
}

const char *proc_pid_cgroup_unit(const char *path, size_t *ret_len)
{
        /* Unit types whose processes live in their own cgroup (systemd.unit(5)); .slice and
         * .target never hold processes directly. */
        static const char *const suffixes[] = {".service", ".scope", ".socket", ".mount", ".swap"};
        const char *end = path + strlen(path);

        while (end > path) {
                const char *slash = memrchr(path, '/', (size_t) (end - path));
                const char *start = slash ? slash + 1 : path;
                size_t n = (size_t) (end - start);

                for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                        if (endswith_n(start, n, suffixes[i])) {
                                *ret_len = n;
                                return start;
                        }
                if (!slash)
                        break;
                end = slash;
        }
        return NULL;
}

int proc_pid_read_cmdline(ProcBuf *b, int pid_fd)
{
        _cleanup_close_ int fd = openat(pid_fd, "cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (b->len = 0; b->len < PROC_CMDLINE_MAX;) {
                size_t want = MIN(PROC_CMDLINE_MAX - b->len, (size_t) 16384);
                int r = procbuf_reserve(b, want);
                if (r < 0)
                        return r;
                ssize_t n = read(fd, b->data + b->len, want);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0) {
                        b->data[b->len] = '\0';
                        return 0;
                }
                b->len += (size_t) n;
        }
        b->data[b->len] = '\0';

        /* Exactly at the cap: one more byte tells a complete cmdline from a cut one. */
        char extra;
        ssize_t n;
        do
                n = read(fd, &extra, 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n > 0 ? 1 : 0;
}

char *proc_pid_parse_cmdline(const ProcBuf *b)
{
        size_t len = b->data ? b->len : 0;

        while (len > 0 && b->data[len - 1] == '\0')
                len--;

        char *s = xmalloc(len + 1);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) b->data[i];
                if (c == '\0')
                        s[i] = ' ';
                else if (c < ' ' || c == 0x7f)
                        s[i] = '?';
                else
                        s[i] = (char) c;
        }
        s[len] = '\0';
        return s;
}

int proc_pid_count_fds(int pid_fd, void *buf, size_t size)
{
        _cleanup_close_ int fd =
                openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        int count = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = getdents64(fd, buf, size);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                for (size_t off = 0; off < (size_t) n;) {
                        const struct dirent64 *d = (const void *) ((const char *) buf + off);
                        if (d->d_name[0] != '.')
                                count++;
                        off += d->d_reclen;
                }
        }
        return count;
}

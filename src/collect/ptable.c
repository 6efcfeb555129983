#include "collect/ptable.h"

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "collect/users.h"
#include "core/alloc.h"
#include "core/parse.h"
#include "core/time-util.h"

#define PROC_SUPER_MAGIC 0x9fa0

/* getdents64 buffer for /proc and fd/ listings: 32 KiB takes ~1,000 /proc entries per call. */
#define DENTS_SIZE ((size_t) 32 << 10)

/* The files read every scan whose descriptors an entry keeps between scans. fd/ is kept as
 * an O_PATH descriptor for fstat() (see count_fds()); schedstat only with
 * PTABLE_FIELD_SKIP_IDLE, for single-threaded processes. */
typedef enum KeptFile {
        KEPT_STAT,
        KEPT_STATM,
        KEPT_IO,
        KEPT_FD_DIR,
        KEPT_SCHEDSTAT,
        _KEPT_MAX,
} KeptFile;

static const char *const kept_name[_KEPT_MAX] = {
        [KEPT_STAT] = "stat",           /* always */
        [KEPT_STATM] = "statm",         /* PTABLE_FIELD_STATM, or read by details */
        [KEPT_IO] = "io",               /* PTABLE_FIELD_IO, or read by details */
        [KEPT_FD_DIR] = "fd",           /* PTABLE_FIELD_FDS, or read by details; O_PATH */
        [KEPT_SCHEDSTAT] = "schedstat", /* PTABLE_FIELD_SKIP_IDLE, one thread */
};

/* Descriptors left to the rest of the program: at least this many, or a quarter of the
 * limit if that is more. */
#define FD_RESERVE_MIN ((size_t) 256)
/* After EMFILE/ENFILE has cut the budget, each clean scan gives back this many. */
#define FD_BUDGET_REGROW ((size_t) 256)

/* Of /proc/loadavg, "0.00 0.01 0.05 1/123 45678": (4) after the slash, the number of
 * threads in the system (all pid namespaces), and (5), the last pid allocated in the
 * reader's pid namespace. */
typedef struct LoadavgForks {
        uint64_t threads, last_pid;
} LoadavgForks;

typedef struct ProcEntry {
        ProcInfo info;
        /* /proc/<pid> and its files of kept[], open across scans (-1 when not). Counted in
         * ProcTable.kept_fds; the entry owns them (entry_close_fds()). */
        int dir_fd;
        int kept[_KEPT_MAX];
        int64_t mono_ns; /* when stat was read (or found current): the base of cpu_percent */
        /* The stat line info was made from: what a scan that skips stat carries over. */
        ProcPidStat stat;
        /* PTABLE_FIELD_SKIP_IDLE. sched: the schedstat reading made just before that stat was
         * read (or found current), valid if sched_known. sched_absent: this process has no
         * usable schedstat (ENOENT, EACCES, or all zeros though it has run), so it is not
         * tried again; carried while (pid, starttime) stays the same. */
        ProcPidSchedstat sched;
        bool sched_known, sched_absent;
        /* The last io reading of this process, by a scan or by ptable_read_details(): the
         * base of the next I/O rates, whichever path takes that one. Carried from entry to
         * entry while (pid, starttime) stays the same. */
        bool io_base;
        int64_t io_ns;
        uint64_t io_read_bytes, io_write_bytes;
        /* t->scans when ptable_read_details() last read it (0 never): while that is the
         * last scan, scans keep the descriptors it opened for fields they do not read. */
        uint64_t details_gen;
        char *cmdline;                   /* owned; NULL when empty or not read */
        char *cgroup;                    /* owned */
        char *unit;                      /* owned */
        char bracket[PROC_COMM_MAX + 2]; /* "[comm]", shown when cmdline is empty */
        bool cmdline_read, cgroup_read;
        bool taken; /* in the previous generation: its cache moved to the new entry */
} ProcEntry;

struct ProcTable {
        int proc_fd;
        bool procfs;
        bool fd_size_counts; /* stat() of /proc/<pid>/fd gives the descriptor count */
        unsigned fields;
        ProcBuf buf;
        void *dents;
        pid_t *pids;
        size_t n_pids, cap_pids;

        ProcEntry *cur, *next; /* the last scan, and the one being built */
        size_t n_cur, cap_cur, cap_next;
        size_t n_next; /* entries of next completed so far in this scan */
        int32_t *hash; /* index into cur, -1 empty; open addressing on pid */
        size_t hash_cap;

        uint64_t btime_s, clk_tck, page_size, mem_total_bytes;
        Users *users;
        int64_t (*mono_ns)(void *userdata);
        void *mono_userdata;
        int64_t sample_ms;
        uint64_t scans;

        size_t kept_fds;      /* descriptors held by entries of cur and next */
        size_t fd_budget;     /* cap on kept_fds now */
        size_t fd_budget_max; /* from RLIMIT_NOFILE at ptable_new() */
        bool fd_starved;      /* EMFILE/ENFILE seen during this scan */
        ProcEntry *busy;      /* the entry of cur ptable_read_details() is reading */

        /* Skipping the listing (see ptable_scan()). loadavg_fd: <proc_root>/loadavg, -1 if
         * absent or /proc is not of our pid namespace. forks: its fourth and fifth fields at
         * the previous scan, if forks_known. settled: the previous scan's processes are all
         * there were with pids allocated up to then, and each read fine or was found gone. */
        int loadavg_fd;
        bool forks_known, settled;
        LoadavgForks forks;
        uint64_t unlisted_scans; /* scans since the last listing */
        uint64_t listings;
};

static int64_t default_mono_ns(void *userdata)
{
        (void) userdata;
        return time_mono_ns();
}

static size_t pid_hash(pid_t pid)
{
        return (size_t) ((uint32_t) pid * UINT32_C(2654435761));
}

static void hash_rebuild(ProcTable *t)
{
        size_t cap = 64;
        while (cap < t->n_cur * 2)
                cap *= 2;
        if (cap != t->hash_cap) {
                free(t->hash);
                t->hash = xnew(int32_t, cap);
                t->hash_cap = cap;
        }
        memset(t->hash, 0xff, cap * sizeof(*t->hash));
        for (size_t i = 0; i < t->n_cur; i++) {
                size_t h = pid_hash(t->cur[i].info.pid) & (cap - 1);
                while (t->hash[h] >= 0)
                        h = (h + 1) & (cap - 1);
                t->hash[h] = (int32_t) i;
        }
}

static ProcEntry *lookup(const ProcTable *t, pid_t pid)
{
        if (!t->hash)
                return NULL;
        for (size_t h = pid_hash(pid) & (t->hash_cap - 1);; h = (h + 1) & (t->hash_cap - 1)) {
                int32_t i = t->hash[h];
                if (i < 0)
                        return NULL;
                if (t->cur[i].info.pid == pid)
                        return &t->cur[i];
        }
}

static void entry_init(ProcEntry *e)
{
        memset(e, 0, sizeof(*e));
        e->dir_fd = -1;
        for (size_t k = 0; k < _KEPT_MAX; k++)
                e->kept[k] = -1;
}

static void close_kept(ProcTable *t, int *fd)
{
        if (*fd < 0)
                return;
        (void) close(*fd);
        *fd = -1;
        assert(t->kept_fds > 0);
        t->kept_fds--;
}

static void entry_close_fds(ProcTable *t, ProcEntry *e)
{
        close_kept(t, &e->dir_fd);
        for (size_t k = 0; k < _KEPT_MAX; k++)
                close_kept(t, &e->kept[k]);
}

/* Hands the descriptors of from over to to (which holds none). */
static void entry_move_fds(ProcEntry *to, ProcEntry *from)
{
        to->dir_fd = TAKE_FD(from->dir_fd);
        for (size_t k = 0; k < _KEPT_MAX; k++)
                to->kept[k] = TAKE_FD(from->kept[k]);
}

static void entry_done(ProcTable *t, ProcEntry *e)
{
        entry_close_fds(t, e);
        free(e->cmdline);
        free(e->cgroup);
        free(e->unit);
}

/* btime (boot time, epoch seconds) from <root>/stat. */
static int read_btime(ProcTable *t)
{
        int r = procbuf_read_at(&t->buf, t->proc_fd, "stat");
        if (r < 0)
                return r;
        for (const char *p = t->buf.data; *p; parse_skip_line(&p))
                if (parse_startswith(p, "btime ")) {
                        p += 6;
                        return parse_u64(&p, &t->btime_s);
                }
        return -ENODATA;
}

/* MemTotal can change with memory hotplug and balloon drivers, so it is read every scan. */
static void read_mem_total(ProcTable *t)
{
        t->mem_total_bytes = 0;
        if (procbuf_read_at(&t->buf, t->proc_fd, "meminfo") < 0)
                return;
        for (const char *p = t->buf.data; *p; parse_skip_line(&p))
                if (parse_startswith(p, "MemTotal:")) {
                        uint64_t kb;
                        p += 9;
                        if (parse_u64(&p, &kb) >= 0 && kb <= UINT64_MAX / 1024)
                                t->mem_total_bytes = kb * 1024;
                        return;
                }
}

/* Raises the soft RLIMIT_NOFILE to the hard one (best effort; systemd does the same for its
 * services' benefit) and returns how many descriptors the table may keep. */
static size_t fd_budget_from_rlimit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 0;
        if (rl.rlim_cur < rl.rlim_max) {
                struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
                if (setrlimit(RLIMIT_NOFILE, &raised) >= 0)
                        rl.rlim_cur = rl.rlim_max;
        }
        /* RLIM_INFINITY cannot be set for NOFILE (the kernel caps it at fs.nr_open), but
         * be safe about it and about absurd values. */
        uint64_t limit = MIN((uint64_t) rl.rlim_cur, (uint64_t) INT32_MAX);
        uint64_t reserve = MAX((uint64_t) FD_RESERVE_MIN, limit / 4);
        return limit > reserve ? (size_t) (limit - reserve) : 0;
}

/* Whether the proc root shows our pid namespace, whose last pid loadavg reports (the
 * reader's, whichever mount it is read through): its "self" names us by our own pid there.
 * Not so for a /proc mounted in another namespace (a container reading the host's, or the
 * host a container's), where "self" is another number or missing. Fixture trees: yes. */
static bool same_pid_ns(ProcTable *t)
{
        char buf[16];

        if (!t->procfs)
                return true;
        ssize_t n = readlinkat(t->proc_fd, "self", buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        const char *p = buf;
        uint64_t v;
        return parse_u64(&p, &v) >= 0 && *p == '\0' && v == (uint64_t) getpid();
}

int ptable_new(const char *proc_root, ProcTable **ret)
{
        ProcTable *t;
        struct statfs sfs;

        assert(proc_root && ret);

        int fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        t = xnew0(ProcTable, 1);
        t->proc_fd = fd;
        t->loadavg_fd = -1;
        t->procfs = fstatfs(fd, &sfs) >= 0 && sfs.f_type == PROC_SUPER_MAGIC;
        struct stat self_fd;
        t->fd_size_counts =
                t->procfs && fstatat(fd, "self/fd", &self_fd, 0) >= 0 && self_fd.st_size > 0;
        t->fields = PTABLE_FIELDS_DEFAULT;
        t->dents = xmalloc(DENTS_SIZE);
        t->mono_ns = default_mono_ns;
        long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
        t->clk_tck = tck > 0 ? (uint64_t) tck : 100;
        t->page_size = page > 0 ? (uint64_t) page : 4096;
        t->users = users_new(NULL);
        t->fd_budget = t->fd_budget_max = fd_budget_from_rlimit();

        int r = read_btime(t);
        if (r < 0) {
                ptable_free(t);
                return r;
        }
        t->loadavg_fd =
                same_pid_ns(t) ? openat(fd, "loadavg", O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
        *ret = t;
        return 0;
}

ProcTable *ptable_free(ProcTable *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cur; i++)
                entry_done(t, &t->cur[i]);
        assert(t->kept_fds == 0);
        free(t->cur);
        free(t->next);
        free(t->hash);
        free(t->pids);
        free(t->dents);
        procbuf_done(&t->buf);
        users_free(t->users);
        closep(&t->loadavg_fd);
        closep(&t->proc_fd);
        free(t);
        return NULL;
}

void ptable_set_fields(ProcTable *t, unsigned fields)
{
        t->fields = fields;
}

void ptable_set_passwd_path(ProcTable *t, const char *path)
{
        users_free(t->users);
        t->users = users_new(path);
}

void ptable_set_clock(ProcTable *t, int64_t (*mono_ns)(void *userdata), void *userdata)
{
        t->mono_ns = mono_ns ? mono_ns : default_mono_ns;
        t->mono_userdata = userdata;
}

static bool is_gone(int r)
{
        return r == -ENOENT || r == -ESRCH;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
        return (x > y) - (x < y);
}

/* Lists the numeric entries of the proc root into t->pids, in ascending order. */
static int list_pids(ProcTable *t)
{
        bool sorted = true;

        if (lseek(t->proc_fd, 0, SEEK_SET) < 0)
                return -errno;
        t->n_pids = 0;
        for (;;) {
                ssize_t n = getdents64(t->proc_fd, t->dents, DENTS_SIZE);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                for (size_t off = 0; off < (size_t) n;) {
                        const struct dirent64 *d = (const void *) ((const char *) t->dents + off);
                        const char *p = d->d_name;
                        uint64_t v;

                        off += d->d_reclen;
                        if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
                                continue;
                        if (parse_u64(&p, &v) < 0 || *p != '\0' || v == 0 || v > INT32_MAX ||
                            d->d_name[0] == '0')
                                continue;
                        if (t->n_pids == t->cap_pids) {
                                t->cap_pids = t->cap_pids ? t->cap_pids * 2 : 512;
                                t->pids = xreallocarray(t->pids, t->cap_pids, sizeof(pid_t));
                        }
                        if (t->n_pids > 0 && t->pids[t->n_pids - 1] > (pid_t) v)
                                sorted = false;
                        t->pids[t->n_pids++] = (pid_t) v;
                }
        }
        /* /proc lists pids in ascending order already; fixture directories may not. */
        if (!sorted)
                qsort(t->pids, t->n_pids, sizeof(pid_t), cmp_pid);
        return 0;
}

static void format_pid(pid_t pid, char buf[static 12])
{
        char tmp[12], *e = tmp + sizeof(tmp);
        uint32_t v = (uint32_t) pid;

        *--e = '\0';
        do
                *--e = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        memcpy(buf, e, (size_t) (tmp + sizeof(tmp) - e));
}

/* CPU% against the previous scan's stat of the same process (old, NULL if none). */
static void set_cpu_percent(ProcEntry *e, const ProcEntry *old, uint64_t clk_tck)
{
        ProcInfo *p = &e->info;

        p->cpu_percent = NAN;
        if (!old || e->mono_ns <= old->mono_ns || p->cpu_ticks < old->info.cpu_ticks)
                return;
        double dt_s = (double) (e->mono_ns - old->mono_ns) / 1e9;
        p->cpu_percent =
                (double) (p->cpu_ticks - old->info.cpu_ticks) / (double) clk_tck / dt_s * 100.0;
}

/* Takes an io reading made at now_ns into e: the totals, and the rates against the entry's
 * previous reading (by a scan or by ptable_read_details(), whichever came last), which this
 * one then replaces. The counters only grow for a process; if they did not (or the clock
 * did not move) the rates are unknown. */
static void take_io(ProcEntry *e, const ProcPidIo *io, int64_t now_ns)
{
        ProcInfo *p = &e->info;

        p->io_known = true;
        p->read_bytes = io->read_bytes;
        p->write_bytes = io->write_bytes;
        p->rchar = io->rchar;
        p->wchar = io->wchar;
        p->read_bytes_per_s = p->write_bytes_per_s = NAN;
        if (e->io_base && now_ns > e->io_ns && io->read_bytes >= e->io_read_bytes &&
            io->write_bytes >= e->io_write_bytes) {
                double dt_s = (double) (now_ns - e->io_ns) / 1e9;
                p->read_bytes_per_s = (double) (io->read_bytes - e->io_read_bytes) / dt_s;
                p->write_bytes_per_s = (double) (io->write_bytes - e->io_write_bytes) / dt_s;
        }
        e->io_base = true;
        e->io_ns = now_ns;
        e->io_read_bytes = io->read_bytes;
        e->io_write_bytes = io->write_bytes;
}

/* The statm text in t->buf as exact rss and vsz in bytes. false if unparsable. */
static bool parse_statm_bytes(const ProcTable *t, uint64_t *ret_rss, uint64_t *ret_vsz)
{
        ProcPidStatm sm;

        if (proc_pid_parse_statm(&t->buf, &sm) < 0 ||
            sm.resident_pages > UINT64_MAX / t->page_size ||
            sm.size_pages > UINT64_MAX / t->page_size)
                return false;
        *ret_rss = sm.resident_pages * t->page_size;
        *ret_vsz = sm.size_pages * t->page_size;
        return true;
}

static double mem_percent(const ProcTable *t, uint64_t rss_bytes)
{
        return t->mem_total_bytes > 0 ? (double) rss_bytes / (double) t->mem_total_bytes * 100.0
                                      : NAN;
}

static void set_unit(ProcEntry *e)
{
        size_t n;
        const char *u = e->cgroup ? proc_pid_cgroup_unit(e->cgroup, &n) : NULL;

        free(e->unit);
        e->unit = u ? xstrndup(u, n) : NULL;
}

/* Gives back kept descriptors after EMFILE/ENFILE: the budget halves, and the entries this
 * scan has finished with, then those of the last scan not reached yet, close theirs (they
 * are reopened by path when next read). Never touches the entry being read: in a scan that
 * is next[n_next], which is neither; in ptable_read_details() it is t->busy. */
static void shed_fds(ProcTable *t)
{
        t->fd_starved = true;
        t->fd_budget = t->kept_fds / 2;
        for (size_t i = 0; i < t->n_next && t->kept_fds > t->fd_budget; i++)
                entry_close_fds(t, &t->next[i]);
        for (size_t i = 0; i < t->n_cur && t->kept_fds > t->fd_budget; i++)
                if (&t->cur[i] != t->busy)
                        entry_close_fds(t, &t->cur[i]);
}

/* openat() that, when the descriptor table is full, sheds kept descriptors and tries once
 * more: a full table must cost us the fd cache, never a process. -1 with errno set. */
static int open_at(ProcTable *t, int dir_fd, const char *name, int flags)
{
        int fd = openat(dir_fd, name, flags | O_CLOEXEC);
        if (fd >= 0 || (errno != EMFILE && errno != ENFILE))
                return fd;
        shed_fds(t);
        return openat(dir_fd, name, flags | O_CLOEXEC);
}

/* stat, statm and io are single_open() seq files: their whole text comes from one ->show()
 * into a seq buffer grown until it fits, so one read() with room to spare returns all of it
 * (the short reads of STYLE §6 are those of multi-record seq files such as smaps, which stop
 * at a full page). This saves the read() that would return 0, which on procfs is not cheap:
 * a read at a non-zero offset of a seq file regenerates the text to skip to it. A read that
 * fills the buffer goes on as procbuf_read_fd(). Regular files (fixtures) behave the same. */
static int read_single(ProcBuf *b, int fd)
{
        b->len = 0;
        int r = procbuf_reserve(b, 4096);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = pread(fd, b->data, b->cap - 1, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if ((size_t) n == b->cap - 1)
                        return procbuf_read_fd(b, fd);
                b->len = (size_t) n;
                b->data[b->len] = '\0';
                return 0;
        }
}

/* Reads kept file k of e into t->buf: through its open descriptor if it has one, else
 * opened relative to e->dir_fd and kept (entries over the budget are closed at the end of
 * scan_one()). A kept descriptor of a process that was reaped fails with ESRCH, or reads
 * nothing: reported as -ESRCH. */
static int read_kept(ProcTable *t, ProcEntry *e, KeptFile k)
{
        bool reused = e->kept[k] >= 0;

        if (!reused) {
                int fd = open_at(t, e->dir_fd, kept_name[k], O_RDONLY | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                e->kept[k] = fd;
                t->kept_fds++;
        }
        int r = read_single(&t->buf, e->kept[k]);
        if (r >= 0 && reused && t->buf.len == 0)
                return -ESRCH;
        return r;
}

/* Since Linux 6.2 stat() of /proc/<pid>/fd reports the number of open descriptors as its
 * size: one syscall instead of open + getdents64 + close, and with fd/ kept open (O_PATH)
 * an fstat() without the path lookup of fstatat() (0.9 against 2.5 us here). Older kernels
 * report 0, so ptable_new() checks it on our own fd/ (which holds at least the proc root's
 * fd); fixture trees are not procfs and are listed. -ENOENT once the process is reaped. */
static int count_fds(ProcTable *t, ProcEntry *e)
{
        if (t->fd_size_counts) {
                struct stat st;
                int *fd = &e->kept[KEPT_FD_DIR];

                if (*fd < 0) {
                        *fd = open_at(t, e->dir_fd, kept_name[KEPT_FD_DIR],
                                      O_PATH | O_DIRECTORY | O_NOFOLLOW);
                        if (*fd < 0)
                                return -errno;
                        t->kept_fds++;
                }
                if (fstat(*fd, &st) < 0)
                        return -errno;
                if (st.st_size >= 0 && st.st_size <= INT32_MAX)
                        return (int) st.st_size;
        }
        return proc_pid_count_fds(e->dir_fd, t->dents, DENTS_SIZE);
}

static int read_at(ProcTable *t, int dir_fd, const char *name)
{
        _cleanup_close_ int fd = open_at(t, dir_fd, name, O_RDONLY | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return procbuf_read_fd(&t->buf, fd);
}

/* Reads stat through the descriptors the last scan's entry of pid kept, and moves them to e
 * if they still show the same process. A kept descriptor pins the process it was opened for
 * (its struct pid): once that process is reaped reads fail with ESRCH, and a new process
 * that reuses the pid is never seen through it. Then the old descriptors are closed and
 * *ret_reused tells the caller that the pid now belongs to another process. 1 if e got the
 * descriptors and st is filled, 0 if stat must be opened by path. */
static int reuse_fds(ProcTable *t, ProcEntry *old, pid_t pid, ProcEntry *e, ProcPidStat *st,
                     bool *ret_reused)
{
        *ret_reused = false;
        if (!old || old->kept[KEPT_STAT] < 0 || old->dir_fd < 0) {
                if (old)
                        entry_close_fds(t, old);
                return 0;
        }

        int r = read_single(&t->buf, old->kept[KEPT_STAT]);
        if (r >= 0 && t->buf.len > 0 && proc_pid_parse_stat(&t->buf, st) >= 0 && st->pid == pid &&
            st->starttime_ticks == old->info.starttime_ticks) {
                entry_move_fds(e, old);
                return 1;
        }
        /* On procfs the pid was listed but the process we knew is gone: a new one has it.
         * Fixture trees are regular files rewritten in place: there a changed start time
         * says the same. */
        *ret_reused = true;
        entry_close_fds(t, old);
        return 0;
}

/* Reads the schedstat of e's process through its kept descriptor (opened relative to
 * e->dir_fd, and kept, if need be). -EINVAL if it is not a schedstat line. */
static int read_schedstat(ProcTable *t, ProcEntry *e, ProcPidSchedstat *ret)
{
        int r = read_kept(t, e, KEPT_SCHEDSTAT);
        if (r < 0)
                return r;
        return proc_pid_parse_schedstat(&t->buf, ret);
}

/* Whether the task has not been on a CPU between the two readings: any run adds to the
 * runtime (the scheduler clock is in ns) and to the timeslices. "0 0 0" (never ran yet, or
 * sched_info off) proves nothing. */
static bool sched_unchanged(const ProcPidSchedstat *a, const ProcPidSchedstat *b)
{
        return a->runtime_ns != 0 && a->runtime_ns == b->runtime_ns &&
               a->timeslices == b->timeslices && a->run_delay_ns == b->run_delay_ns;
}

/* PTABLE_FIELD_SKIP_IDLE applies to old's process: one thread (schedstat covers only the
 * leader, see PtableField) and a schedstat that works for it. */
static bool sched_wanted(const ProcTable *t, const ProcEntry *old)
{
        return (t->fields & PTABLE_FIELD_SKIP_IDLE) &&
               !(old && (old->info.threads != 1 || old->sched_absent));
}

/* Reads one process into e (entry_init()ed). 0; -ENOENT/-ESRCH when it went away; another
 * -errno when it cannot be read (no descriptor left, -EBADMSG: its stat is not one). Either
 * way it is left out. */
static int scan_one(ProcTable *t, pid_t pid, int64_t mono_ns, ProcEntry *e)
{
        ProcInfo *p = &e->info;
        ProcPidStat st;
        ProcPidSchedstat sched = {};
        struct stat sb;
        bool reused = false, sched_read = false, idle = false;
        int r, sched_r = 0;

        ProcEntry *old = lookup(t, pid);
        if (old && old->taken)
                old = NULL;

        /* PTABLE_FIELD_SKIP_IDLE: schedstat first, then stat only if the process ran since
         * the reading made before its last stat (so that stat is still what it would show),
         * or on its refresh turn. The kept schedstat pins the process as stat does: reaped,
         * it fails with ESRCH, so a skipped stat needs no start time check. */
        bool want_sched = sched_wanted(t, old);
        if (want_sched && old && old->dir_fd >= 0 && old->kept[KEPT_STAT] >= 0) {
                t->busy = old; /* shed_fds() must not close what is read here */
                sched_r = read_schedstat(t, old, &sched);
                t->busy = NULL;
                sched_read = sched_r >= 0;
                idle = sched_read && old->sched_known && sched_unchanged(&sched, &old->sched) &&
                       (t->scans + (uint64_t) pid) % PTABLE_IDLE_REFRESH_SCANS != 0;
        }
        if (idle) {
                entry_move_fds(e, old);
                st = old->stat;
                r = 1;
        } else {
                r = reuse_fds(t, old, pid, e, &st, &reused);
        }
        if (reused) {
                old = NULL; /* nothing of the previous process carries over */
                want_sched = sched_wanted(t, NULL);
                sched_read = false;
                sched_r = 0;
        }
        if (r == 0) {
                char name[12];

                format_pid(pid, name);
                e->dir_fd = open_at(t, t->proc_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (e->dir_fd < 0)
                        return -errno; /* gone, not a directory we may enter, or no fds */
                t->kept_fds++;
                /* Before stat, for the same reason; not when the descriptors will be closed
                 * at the end (over the budget), it would not be read next time. */
                if (want_sched && !sched_read && t->kept_fds < t->fd_budget) {
                        sched_r = read_schedstat(t, e, &sched);
                        sched_read = sched_r >= 0;
                }
                r = read_kept(t, e, KEPT_STAT);
                if (r < 0)
                        return r;
                if (proc_pid_parse_stat(&t->buf, &st) < 0 || st.pid != pid)
                        return -EBADMSG; /* not a stat line: nothing to show for it */
        }
        /* The owner of /proc/<pid> follows setuid() and dumpability, and getattr on procfs
         * recomputes it (a kept descriptor sees no revalidation, but fstat() of the directory
         * does): read every scan with PTABLE_FIELD_OWNER, else only when first seen. */
        if (old && !(t->fields & PTABLE_FIELD_OWNER)) {
                sb.st_uid = old->info.uid;
        } else if (fstat(e->dir_fd, &sb) < 0) {
                return -errno;
        }

        e->mono_ns = mono_ns;
        p->pid = pid;
        p->ppid = st.ppid;
        p->state = st.state;
        memcpy(p->comm, st.comm, sizeof(p->comm));
        p->uid = p->uid_real = sb.st_uid;
        p->nice = st.nice;
        p->priority = st.priority;
        p->threads = st.num_threads;
        p->processor = st.processor;
        p->starttime_ticks = st.starttime_ticks;
        p->start_time_ms = t->btime_s * 1000 + st.starttime_ticks * 1000 / t->clk_tck;
        p->cpu_ticks = st.utime_ticks + st.stime_ticks;
        p->rss_bytes = st.rss_pages * t->page_size;
        p->vsz_bytes = st.vsize_bytes;
        p->minflt = st.minflt;
        p->majflt = st.majflt;
        p->kernel_thread = st.flags & PROC_PF_KTHREAD;
        p->fds = -1;
        e->stat = st;

        /* The process read fine, so a schedstat that could not be opened (ENOENT: no
         * CONFIG_SCHED_INFO, or a fixture without it; EACCES) is missing for it, and so is
         * one that says "0 0 0" while stat shows CPU time (sched_info off). */
        e->sched_absent =
                (old && old->sched_absent && old->info.starttime_ticks == st.starttime_ticks) ||
                sched_r == -ENOENT || sched_r == -EACCES ||
                (sched_read && sched.runtime_ns == 0 && sched.timeslices == 0 && p->cpu_ticks > 0);
        if (want_sched && st.num_threads == 1 && !e->sched_absent) {
                e->sched = sched_read ? sched : (ProcPidSchedstat){};
                e->sched_known = sched_read;
        } else {
                close_kept(t, &e->kept[KEPT_SCHEDSTAT]);
        }

        /* Descriptors of files this scan does not read are kept only for processes that
         * ptable_read_details() reads every cycle: it read them since the last scan. On
         * procfs they were moved over from old only if old is this process. */
        bool keep_details = old && old->details_gen == t->scans;

        if (t->fields & PTABLE_FIELD_STATM) {
                /* EACCES (not on Linux today, but statm has been restricted before): keep
                 * the approximate figures from stat. */
                r = read_kept(t, e, KEPT_STATM);
                if (is_gone(r))
                        return r;
                if (r >= 0)
                        (void) parse_statm_bytes(t, &p->rss_bytes, &p->vsz_bytes);
        } else if (!keep_details) {
                close_kept(t, &e->kept[KEPT_STATM]);
        }
        p->mem_percent = mem_percent(t, p->rss_bytes);

        if (t->fields & PTABLE_FIELD_STATUS) {
                ProcPidStatus ss;
                r = read_at(t, e->dir_fd, "status");
                if (is_gone(r))
                        return r;
                if (r >= 0 && proc_pid_parse_status(&t->buf, &ss) >= 0) {
                        p->uid = ss.uid_effective;
                        p->uid_real = ss.uid_real;
                        p->swap_bytes = ss.vm_swap_bytes;
                }
        }

        ProcPidIo io;
        bool io_read = false;
        if (t->fields & PTABLE_FIELD_IO) {
                /* EACCES for other users' processes (ptrace access mode), also for root
                 * without CAP_SYS_PTRACE in some containers: then the rates are unknown.
                 * The check is made at every read, so a kept descriptor gets it too. */
                r = read_kept(t, e, KEPT_IO);
                if (is_gone(r))
                        return r;
                io_read = r >= 0 && proc_pid_parse_io(&t->buf, &io) >= 0;
        } else if (!keep_details) {
                close_kept(t, &e->kept[KEPT_IO]);
        }

        if (t->fields & PTABLE_FIELD_FDS) {
                r = count_fds(t, e);
                if (is_gone(r))
                        return r;
                p->fds = r >= 0 ? r : -1;
        } else if (!keep_details) {
                close_kept(t, &e->kept[KEPT_FD_DIR]);
        }

        /* The cached parts: taken over from the previous entry of the same process, read
         * again when first seen, when comm changed (exec), or on its refresh turn. Kernel
         * threads have no cmdline and rename themselves (kworkers) all the time: skip them. */
        if (old && old->info.starttime_ticks != st.starttime_ticks)
                old = NULL;
        bool refresh = !old || (t->scans + (uint64_t) pid) % PTABLE_REFRESH_SCANS == 0;
        bool want_cmdline = (t->fields & PTABLE_FIELD_CMDLINE) && !p->kernel_thread;
        bool read_cmdline = want_cmdline &&
                            (refresh || !old->cmdline_read || strcmp(old->info.comm, p->comm) != 0);
        bool want_cgroup = t->fields & PTABLE_FIELD_CGROUP;
        bool read_cgroup = want_cgroup && (refresh || !old->cgroup_read);

        if (read_cmdline) {
                r = proc_pid_read_cmdline(&t->buf, e->dir_fd);
                if (is_gone(r))
                        return r;
                if (r >= 0) {
                        e->cmdline = proc_pid_parse_cmdline(&t->buf);
                        p->cmdline_truncated = r > 0;
                }
        }
        if (read_cgroup) {
                r = read_at(t, e->dir_fd, "cgroup");
                if (is_gone(r))
                        return r;
                if (r >= 0)
                        (void) proc_pid_parse_cgroup(&t->buf, &e->cgroup);
                set_unit(e);
        }

        /* Committed: only now may the old entry's cache move over. */
        e->cmdline_read = want_cmdline;
        e->cgroup_read = want_cgroup;
        if (old) {
                if (want_cmdline && !read_cmdline) {
                        e->cmdline = TAKE_PTR(old->cmdline);
                        p->cmdline_truncated = old->info.cmdline_truncated;
                }
                if (want_cgroup && !read_cgroup) {
                        e->cgroup = TAKE_PTR(old->cgroup);
                        e->unit = TAKE_PTR(old->unit);
                }
                e->io_base = old->io_base;
                e->io_ns = old->io_ns;
                e->io_read_bytes = old->io_read_bytes;
                e->io_write_bytes = old->io_write_bytes;
                e->details_gen = old->details_gen;
                old->taken = true;
        }
        set_cpu_percent(e, old, t->clk_tck);
        p->read_bytes_per_s = p->write_bytes_per_s = NAN;
        if (io_read)
                take_io(e, &io, mono_ns);

        /* Over the budget: read by path again next time. */
        if (t->kept_fds > t->fd_budget)
                entry_close_fds(t, e);
        return 0;
}

/* Fields (4) after the slash and (5) of <proc_root>/loadavg through the kept descriptor.
 * false if there is none or the text does not parse. */
static bool read_loadavg_forks(ProcTable *t, LoadavgForks *ret)
{
        uint64_t running;

        if (t->loadavg_fd < 0 || read_single(&t->buf, t->loadavg_fd) < 0)
                return false;
        const char *p = t->buf.data;
        if (parse_skip_fields(&p, 3) < 0 || parse_u64(&p, &running) < 0 || *p++ != '/' ||
            parse_u64(&p, &ret->threads) < 0 || parse_u64(&p, &ret->last_pid) < 0)
                return false;
        return true;
}

/* Every process of the last scan is held by its kept /proc/<pid> and stat: its end shows
 * as ESRCH there. Those past the descriptor budget are opened by path each scan. */
static bool all_kept(const ProcTable *t)
{
        for (size_t i = 0; i < t->n_cur; i++)
                if (t->cur[i].dir_fd < 0 || t->cur[i].kept[KEPT_STAT] < 0)
                        return false;
        return true;
}

/* The pids of the last scan as the ones to read, in its (pid) order. */
static void pids_from_table(ProcTable *t)
{
        if (t->cap_pids < t->n_cur) {
                t->cap_pids = t->n_cur;
                t->pids = xreallocarray(t->pids, t->cap_pids, sizeof(pid_t));
        }
        for (size_t i = 0; i < t->n_cur; i++)
                t->pids[i] = t->cur[i].info.pid;
        t->n_pids = t->n_cur;
}

/* Listing /proc is ~1 ms of the scan here (getdents64: proc_pid_readdir() walks every task
 * and fills the dcache), and it can only find something new if a process was created: the
 * ones that ended are found anyway, by their kept descriptors failing (ESRCH). Any fork or
 * clone, threads too and also in nested pid namespaces, allocates a pid in ours, which
 * moves loadavg (5) (the idr cursor of the reader's namespace), and adds a thread, which
 * moves (4) (all namespaces; a reaped one takes one off). So the listing is skipped, and the
 * last scan's processes read again, when both are what the previous scan read, and:
 *  - that scan's processes were "settled": its listing (or the one it carried on from) was
 *    made when (4) and (5) had not moved since the scan before it. A pid is allocated early
 *    in fork, the task becomes visible in /proc only at the end (attach_pid()): a listing
 *    right after the allocation misses the process while (5) already counts it. A process
 *    still in fork a whole scan interval after its pid was allocated would be missed; and
 *  - each of them read fine or was found gone (not EACCES, EMFILE, an unparsable stat:
 *    a listing would try it again, and might get it), and kept its stat open;
 *  - fewer than PTABLE_RELIST_SCANS scans were made since the last listing.
 * Otherwise, and without loadavg (old kernels, fixture trees without one), it lists.
 * What (4) and (5) could not show, left to the relisting every PTABLE_RELIST_SCANS scans:
 *  - pid wrap-around: (5) back at the same value needs pid_max (>= 32768) allocations in one
 *    interval, and (4) the same thread count too;
 *  - pids chosen by a privileged checkpoint/restore (CRIU: clone3() set_tid, writes to
 *    ns_last_pid) do not move (5); only (4) shows them, unless as many threads ended;
 *  - a /proc of another pid namespace than ours, whose forks (5) does not show:
 *    ptable_new() then does not use loadavg (see same_pid_ns()), but a namespace where we
 *    happen to have the same pid would pass that test;
 *  - with hidepid=invisible, a process of another user that becomes visible to us (setuid()
 *    to our uid) without a fork; hidepid=noaccess lists it but fails with EACCES, which
 *    keeps the table from settling (see above). Neither restricts root. */
int ptable_scan(ProcTable *t, int64_t now_ms)
{
        LoadavgForks forks = {};
        bool forks_known = read_loadavg_forks(t, &forks);
        bool unchanged = forks_known && t->forks_known && forks.threads == t->forks.threads &&
                         forks.last_pid == t->forks.last_pid;
        int r;

        if (unchanged && t->settled && t->unlisted_scans + 1 < PTABLE_RELIST_SCANS && all_kept(t)) {
                pids_from_table(t);
                t->unlisted_scans++;
        } else {
                r = list_pids(t);
                if (r < 0)
                        return r;
                t->unlisted_scans = 0;
                t->listings++;
        }
        t->forks = forks;
        t->forks_known = forks_known;
        /* Skipped: still settled. Listed: every pid up to (5) was allocated before the
         * previous scan read it, a whole interval ago. */
        t->settled = unchanged;

        read_mem_total(t);
        int64_t mono_ns = t->mono_ns(t->mono_userdata);

        if (t->cap_next < t->n_pids) {
                free(t->next);
                t->cap_next = t->n_pids + t->n_pids / 4;
                t->next = xnew(ProcEntry, t->cap_next);
        }
        if (!t->fd_starved)
                t->fd_budget = MIN(t->fd_budget_max, t->fd_budget + FD_BUDGET_REGROW);
        t->fd_starved = false;

        t->n_next = 0;
        for (size_t i = 0; i < t->n_pids; i++) {
                ProcEntry *e = &t->next[t->n_next];
                entry_init(e);
                r = scan_one(t, t->pids[i], mono_ns, e);
                if (r < 0) {
                        if (!is_gone(r))
                                t->settled = false;
                        entry_done(t, e);
                        continue;
                }
                t->n_next++;
        }
        size_t n = t->n_next;
        t->n_next = 0;

        /* Evict the processes that did not survive into this scan, closing what they kept. */
        for (size_t i = 0; i < t->n_cur; i++)
                entry_done(t, &t->cur[i]);

        ProcEntry *tmp = t->cur;
        size_t tmp_cap = t->cap_cur;
        t->cur = t->next;
        t->cap_cur = t->cap_next;
        t->n_cur = n;
        t->next = tmp;
        t->cap_next = tmp_cap;
        hash_rebuild(t);

        /* A changed /etc/passwd frees the old names: every entry is re-pointed below. */
        (void) users_refresh(t->users);
        for (size_t i = 0; i < n; i++) {
                ProcEntry *e = &t->cur[i];
                ProcInfo *p = &e->info;

                p->user = users_name(t->users, p->uid);
                if (e->cmdline && e->cmdline[0]) {
                        p->cmdline = e->cmdline;
                } else {
                        size_t len = strnlen(p->comm, sizeof(p->comm));
                        e->bracket[0] = '[';
                        memcpy(e->bracket + 1, p->comm, len);
                        e->bracket[len + 1] = ']';
                        e->bracket[len + 2] = '\0';
                        p->cmdline = e->bracket;
                }
                p->cgroup = e->cgroup;
                p->unit = e->unit;
        }
        t->sample_ms = now_ms;
        t->scans++;
        return 0;
}

/* Opens /proc/<pid> of e by path again (its descriptors were closed, being over the
 * budget) and checks through it that the pid still is e's process: an open directory pins
 * its process, so whatever is read through it afterwards is that process's. 0, -ESRCH when
 * the pid now is another process's, or -errno (-ENOENT: gone). */
static int reopen_dir(ProcTable *t, ProcEntry *e)
{
        ProcPidStat st;
        char name[12];

        format_pid(e->info.pid, name);
        e->dir_fd = open_at(t, t->proc_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (e->dir_fd < 0)
                return -errno;
        t->kept_fds++;
        int r = read_kept(t, e, KEPT_STAT);
        if (r < 0)
                return r;
        if (proc_pid_parse_stat(&t->buf, &st) < 0 || st.pid != e->info.pid ||
            st.starttime_ticks != e->info.starttime_ticks)
                return -ESRCH;
        return 0;
}

/* Reads fields of e at now_ns and takes them only if the process was there for all of
 * them: one that vanished keeps its scan values. A field that cannot be read (EACCES)
 * keeps its scan value too. Descriptors opened here stay with the entry within the budget
 * (the next scan keeps them, see scan_one()), and are closed at once past it. */
static void read_details(ProcTable *t, ProcEntry *e, unsigned fields, int64_t now_ns)
{
        ProcInfo *p = &e->info;
        bool had_dir = e->dir_fd >= 0, had[_KEPT_MAX], failed = true;
        uint64_t rss = 0, vsz = 0;
        bool statm_read = false, io_read = false;
        int64_t fds = -1;
        ProcPidIo io;
        int r;

        for (size_t k = 0; k < _KEPT_MAX; k++)
                had[k] = e->kept[k] >= 0;
        t->busy = e; /* shed_fds() must not close what is read here */

        /* Not reopened (gone, now another process's, or no descriptor left): nothing
         * read, the scan values stay. */
        if (!had_dir && reopen_dir(t, e) < 0)
                goto out_close;
        if (fields & PTABLE_FIELD_STATM) {
                r = read_kept(t, e, KEPT_STATM);
                if (is_gone(r))
                        goto out_close;
                statm_read = r >= 0 && parse_statm_bytes(t, &rss, &vsz);
        }
        /* Read at this very clock reading already (by the scan, or the pid is listed
         * twice): that reading stands, a second one would have no interval. */
        if ((fields & PTABLE_FIELD_IO) && !(e->io_base && e->io_ns == now_ns)) {
                r = read_kept(t, e, KEPT_IO);
                if (is_gone(r))
                        goto out_close;
                io_read = r >= 0 && proc_pid_parse_io(&t->buf, &io) >= 0;
        }
        if (fields & PTABLE_FIELD_FDS) {
                r = count_fds(t, e);
                if (is_gone(r))
                        goto out_close;
                fds = r;
        }

        failed = false;
        e->details_gen = t->scans;
        if (statm_read) {
                p->rss_bytes = rss;
                p->vsz_bytes = vsz;
                p->mem_percent = mem_percent(t, rss);
        }
        if (io_read)
                take_io(e, &io, now_ns);
        if (fds >= 0)
                p->fds = fds;

out_close:
        t->busy = NULL;
        if (failed || t->kept_fds > t->fd_budget) {
                for (size_t k = 0; k < _KEPT_MAX; k++)
                        if (!had[k])
                                close_kept(t, &e->kept[k]);
                if (!had_dir)
                        close_kept(t, &e->dir_fd);
        }
}

int ptable_read_details(ProcTable *t, const pid_t *pids, size_t n, unsigned fields)
{
        if (!t || (n > 0 && !pids))
                return -EINVAL;
        fields &= PTABLE_FIELD_STATM | PTABLE_FIELD_IO | PTABLE_FIELD_FDS;
        if (n == 0 || fields == 0)
                return 0;

        int64_t now_ns = t->mono_ns(t->mono_userdata);
        for (size_t i = 0; i < n; i++) {
                ProcEntry *e = lookup(t, pids[i]);
                if (e)
                        read_details(t, e, fields, now_ns);
        }
        return 0;
}

size_t ptable_count(const ProcTable *t)
{
        return t->n_cur;
}

const ProcInfo *ptable_get(const ProcTable *t, size_t i)
{
        return i < t->n_cur ? &t->cur[i].info : NULL;
}

const ProcInfo *ptable_find(const ProcTable *t, pid_t pid)
{
        ProcEntry *e = lookup(t, pid);
        return e ? &e->info : NULL;
}

int64_t ptable_sample_time_ms(const ProcTable *t)
{
        return t->sample_ms;
}

uint64_t ptable_mem_total_bytes(const ProcTable *t)
{
        return t->mem_total_bytes;
}

uint64_t ptable_listings(const ProcTable *t)
{
        return t->listings;
}

PtableSort ptable_sort_from_string(const char *s)
{
        static const char *const names[_PTABLE_SORT_MAX] = {
                [PTABLE_SORT_PID] = "pid", [PTABLE_SORT_CPU] = "cpu", [PTABLE_SORT_MEM] = "mem",
                [PTABLE_SORT_IO] = "io",   [PTABLE_SORT_FDS] = "fds",
        };
        for (int i = 0; s && i < _PTABLE_SORT_MAX; i++)
                if (strcmp(s, names[i]) == 0)
                        return (PtableSort) i;
        return _PTABLE_SORT_INVALID;
}

static double io_rate(const ProcInfo *p)
{
        return p->read_bytes_per_s + p->write_bytes_per_s; /* NaN if either is */
}

/* Descending by value, unknown (NaN) last. 0 on a tie. */
static int cmp_desc(double a, double b)
{
        bool na = isnan(a), nb = isnan(b);
        if (na || nb)
                return na - nb;
        return (a < b) - (a > b);
}

static int cmp_info(const ProcInfo *a, const ProcInfo *b, PtableSort key)
{
        int c = 0;

        switch (key) {
        case PTABLE_SORT_CPU:
                c = cmp_desc(a->cpu_percent, b->cpu_percent);
                break;
        case PTABLE_SORT_MEM:
                c = (a->rss_bytes < b->rss_bytes) - (a->rss_bytes > b->rss_bytes);
                break;
        case PTABLE_SORT_IO:
                c = cmp_desc(io_rate(a), io_rate(b));
                break;
        case PTABLE_SORT_FDS:
                c = (a->fds < b->fds) - (a->fds > b->fds);
                break;
        default:
                break;
        }
        return c ? c : (a->pid > b->pid) - (a->pid < b->pid);
}

static int cmp_info_ptr(const void *a, const void *b, void *key)
{
        return cmp_info(*(const ProcInfo *const *) a, *(const ProcInfo *const *) b,
                        *(PtableSort *) key);
}

void ptable_sorted(const ProcTable *t, PtableSort key, const ProcInfo **ret)
{
        for (size_t i = 0; i < t->n_cur; i++)
                ret[i] = &t->cur[i].info;
        if (key != PTABLE_SORT_PID) /* the table is in pid order already */
                qsort_r(ret, t->n_cur, sizeof(*ret), cmp_info_ptr, &key);
}

static int cmp_index(const void *a, const void *b, void *userdata)
{
        const void **ctx = userdata;
        const ProcTable *t = ctx[0];
        PtableSort key = *(const PtableSort *) ctx[1];
        return cmp_info(&t->cur[*(const uint32_t *) a].info, &t->cur[*(const uint32_t *) b].info,
                        key);
}

typedef struct TreeFrame {
        uint32_t i;
        unsigned depth;
        bool last;
} TreeFrame;

size_t ptable_tree(const ProcTable *t, pid_t root, PtableSort key, ProcTreeNode *ret)
{
        size_t n = t->n_cur, filled = 0;
        const void *ctx[2] = {t, &key};

        if (n == 0)
                return 0;

        /* Children lists in CSR form: kids[start[i] .. start[i+1]) are the children of i.
         * Slot n of parent[] collects the roots. */
        _cleanup_free_ uint32_t *parent = xnew(uint32_t, n);
        _cleanup_free_ uint32_t *start = xnew0(uint32_t, n + 2);
        _cleanup_free_ uint32_t *kids = xnew(uint32_t, n);
        _cleanup_free_ bool *seen = xnew0(bool, n);
        _cleanup_free_ TreeFrame *stack = xnew(TreeFrame, n);

        for (size_t i = 0; i < n; i++) {
                const ProcInfo *p = &t->cur[i].info;
                ProcEntry *pe = p->ppid != p->pid ? lookup(t, p->ppid) : NULL;
                parent[i] = pe ? (uint32_t) (pe - t->cur) : (uint32_t) n;
                start[parent[i] + 1]++;
        }
        for (size_t i = 1; i <= n + 1; i++)
                start[i] += start[i - 1];
        {
                _cleanup_free_ uint32_t *fill = xmemdup(start, (n + 1) * sizeof(uint32_t));
                for (size_t i = 0; i < n; i++)
                        kids[fill[parent[i]]++] = (uint32_t) i;
        }
        for (size_t i = 0; i <= n; i++)
                qsort_r(kids + start[i], start[i + 1] - start[i], sizeof(uint32_t), cmp_index, ctx);

        /* Depth-first from each root. A ppid cycle (impossible in the kernel, possible in
         * a hostile fixture) is reached from no root: its lowest member starts a tree. */
        uint32_t r_next = start[n];
        size_t leftover = 0;
        for (;;) {
                size_t sp = 0;

                if (root > 0) {
                        ProcEntry *re = lookup(t, root);
                        if (!re)
                                return 0;
                        stack[sp++] = (TreeFrame){(uint32_t) (re - t->cur), 0, true};
                } else if (r_next < start[n + 1]) {
                        stack[sp++] = (TreeFrame){kids[r_next], 0, r_next + 1 == start[n + 1]};
                        r_next++;
                } else {
                        while (leftover < n && seen[leftover])
                                leftover++;
                        if (leftover == n)
                                break;
                        stack[sp++] = (TreeFrame){(uint32_t) leftover, 0, true};
                }

                while (sp > 0) {
                        TreeFrame f = stack[--sp];
                        if (seen[f.i])
                                continue;
                        seen[f.i] = true;
                        ret[filled++] = (ProcTreeNode){&t->cur[f.i].info, f.depth, f.last};
                        /* push in reverse so that the first child pops first; each process
                         * is pushed at most once (by its one parent), so n slots suffice */
                        for (uint32_t k = start[f.i + 1]; k > start[f.i]; k--)
                                if (!seen[kids[k - 1]] && sp < n)
                                        stack[sp++] = (TreeFrame){kids[k - 1], f.depth + 1,
                                                                  k == start[f.i + 1]};
                }
                if (root > 0)
                        break;
        }
        return filled;
}

void proc_info_foreach_metric(const ProcInfo *p, MetricFn fn, void *userdata)
{
        char pid[12];
        format_pid(p->pid, pid);
        const char *const labels[] = {"pid", pid, "comm", p->comm, NULL};
        const struct {
                const char *name;
                double value;
        } m[] = {
                {"process_cpu_percent", p->cpu_percent},
                {"process_resident_memory_bytes", (double) p->rss_bytes},
                {"process_virtual_memory_bytes", (double) p->vsz_bytes},
                {"process_memory_percent", p->mem_percent},
                {"process_read_bytes_per_second", p->read_bytes_per_s},
                {"process_write_bytes_per_second", p->write_bytes_per_s},
                {"process_open_fds", p->fds >= 0 ? (double) p->fds : NAN},
                {"process_threads", (double) p->threads},
        };

        for (size_t i = 0; i < ELEMENTSOF(m); i++)
                if (!isnan(m[i].value))
                        fn(userdata, m[i].name, labels, m[i].value);
}

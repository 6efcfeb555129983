/* The process table over fixture trees (collect/proc-cases), over a scratch tree rewritten
 * between scans (CPU% and I/O rates, pid reuse, the cache), and over the real /proc. */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/ptable.h"
#include "collect/users.h"
#include "core/alloc.h"
#include "core/parse.h"
#include "test-util.h"

/* cmocka 1.1.7 (Debian 12) has no assert_double_equal. */
#define assert_near(a, b, eps)                                                \
        do {                                                                  \
                double _a_ = (a), _b_ = (b);                                  \
                if (!(fabs(_a_ - _b_) <= (eps)))                              \
                        fail_msg("%s = %.17g, expected %.17g", #a, _a_, _b_); \
        } while (0)

static int64_t fake_now_ns;

static int64_t fake_clock(void *userdata)
{
        (void) userdata;
        return fake_now_ns;
}

static uint64_t page_size(void)
{
        return (uint64_t) sysconf(_SC_PAGESIZE);
}

static ProcTable *open_fixture(const char *rel, unsigned fields)
{
        _cleanup_free_ char *root = test_data_path(rel);
        _cleanup_free_ char *passwd = test_data_path("collect/proc-cases/passwd");
        ProcTable *t = NULL;

        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_fields(t, fields);
        ptable_set_passwd_path(t, passwd);
        ptable_set_clock(t, fake_clock, NULL);
        return t;
}

static void test_ptable_scan_cases(void **state)
{
        static const pid_t want[] = {1, 2, 300, 500, 700, 800, 900, 901, 902, 4242};
        ProcTable *t =
                open_fixture("collect/proc-cases", PTABLE_FIELDS_DEFAULT | PTABLE_FIELD_STATUS);
        const ProcInfo *p;

        (void) state;
        fake_now_ns = 1000;
        assert_int_equal(ptable_scan(t, 1795309999000), 0);
        assert_int_equal(ptable_sample_time_ms(t), 1795309999000);
        assert_int_equal(ptable_mem_total_bytes(t), UINT64_C(8000000) * 1024);

        /* 600 has a stat and nothing else: it went away while being read. */
        assert_int_equal(ptable_count(t), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_int_equal(ptable_get(t, i)->pid, want[i]);
        assert_null(ptable_get(t, ELEMENTSOF(want)));
        assert_null(ptable_find(t, 600));
        assert_null(ptable_find(t, 3));

        p = ptable_find(t, 4242);
        assert_non_null(p);
        assert_int_equal(p->ppid, 1);
        assert_int_equal(p->state, 'R');
        assert_string_equal(p->comm, "a) b (c");
        assert_string_equal(p->cmdline, "./a) b (c --flag x?y");
        assert_false(p->cmdline_truncated);
        assert_int_equal(p->uid, 33); /* effective, from status */
        assert_int_equal(p->uid_real, 1000);
        assert_string_equal(p->user, "www-data");
        assert_int_equal(p->nice, 5);
        assert_int_equal(p->priority, 25);
        assert_int_equal(p->threads, 4);
        assert_int_equal(p->processor, 1);
        assert_int_equal(p->starttime_ticks, 12345);
        assert_int_equal(p->start_time_ms,
                         UINT64_C(1795305453000) + 12345 * 1000 / (uint64_t) sysconf(_SC_CLK_TCK));
        assert_int_equal(p->cpu_ticks, 10);
        assert_true(isnan(p->cpu_percent));
        /* from statm: stat (24) says 256 pages, (23) 1048576 bytes */
        assert_int_equal(p->rss_bytes, 260 * page_size());
        assert_int_equal(p->vsz_bytes, 256 * page_size());
        assert_int_equal(p->swap_bytes, 16 * 1024);
        assert_near(p->mem_percent, 260.0 * (double) page_size() / 8192000000.0 * 100, 1e-12);
        assert_int_equal(p->minflt, 11);
        assert_int_equal(p->majflt, 2);
        assert_true(p->io_known);
        assert_int_equal(p->read_bytes, 4096);
        assert_int_equal(p->write_bytes, 0);
        assert_int_equal(p->rchar, 111);
        assert_int_equal(p->wchar, 222);
        assert_true(isnan(p->read_bytes_per_s));
        assert_true(isnan(p->write_bytes_per_s));
        assert_int_equal(p->fds, 5);
        assert_string_equal(p->cgroup, "/user.slice/user-1000.slice/session-2.scope");
        assert_string_equal(p->unit, "session-2.scope");
        assert_false(p->kernel_thread);

        p = ptable_find(t, 300); /* kernel thread */
        assert_true(p->kernel_thread);
        assert_int_equal(p->state, 'I');
        assert_int_equal(p->ppid, 2);
        assert_string_equal(p->cmdline, "[kworker/0:1-events]");
        assert_int_equal(p->fds, 0);
        assert_string_equal(p->cgroup, "/");
        assert_null(p->unit);
        assert_string_equal(p->user, "root");

        p = ptable_find(t, 500); /* zombie */
        assert_int_equal(p->state, 'Z');
        assert_string_equal(p->cmdline, "[defunct]");
        assert_string_equal(p->unit, "foo.service");

        p = ptable_find(t, 700); /* io and statm unreadable: rss and vsz from stat */
        assert_false(p->io_known);
        assert_int_equal(p->rss_bytes, 10 * page_size());
        assert_int_equal(p->vsz_bytes, 0);
        assert_true(isnan(p->read_bytes_per_s));
        assert_int_equal(p->fds, 1);
        assert_string_equal(p->unit, "secret.service");

        p = ptable_find(t, 800);
        assert_true(p->cmdline_truncated);
        assert_int_equal(strlen(p->cmdline), PROC_CMDLINE_MAX);

        assert_string_equal(ptable_find(t, 900)->unit, "nginx.service");
        assert_string_equal(ptable_find(t, 901)->unit, "cron.service");
        assert_string_equal(ptable_find(t, 902)->user, "4321"); /* not in passwd */
        assert_string_equal(ptable_find(t, 1)->cmdline, "/sbin/init splash");
        assert_int_equal(ptable_find(t, 1)->rss_bytes, 3010 * page_size());
        assert_int_equal(ptable_find(t, 1)->vsz_bytes, 41504 * page_size());
        assert_int_equal(ptable_find(t, 902)->vsz_bytes, 8000 * page_size());
        assert_int_equal(ptable_find(t, 500)->rss_bytes, 0);
        assert_string_equal(ptable_find(t, 1)->unit, "init.scope");

        ptable_free(t);
}

static void test_ptable_fields_off(void **state)
{
        ProcTable *t = open_fixture("collect/proc-cases", 0);
        const ProcInfo *p;

        (void) state;
        assert_int_equal(ptable_scan(t, 1), 0);
        /* Without io, fd and cgroup reads 600 is not caught leaving: stat was readable. */
        assert_non_null(ptable_find(t, 600));
        p = ptable_find(t, 4242);
        assert_false(p->io_known);
        assert_int_equal(p->fds, -1);
        assert_null(p->cgroup);
        assert_null(p->unit);
        assert_string_equal(p->cmdline, "[a) b (c]");
        assert_int_equal(p->uid, p->uid_real);
        /* Without statm: stat (24) and (23). */
        assert_int_equal(p->rss_bytes, 256 * page_size());
        assert_int_equal(p->vsz_bytes, 1048576);
        ptable_free(t);
}

/* The captured tree: statm is exact where stat (24) drifted (3511 pages for init, 473 for
 * bash, against 3496 and 505 in statm and status VmRSS). */
static void test_ptable_statm_real(void **state)
{
        ProcTable *t = open_fixture("collect/proc-real", PTABLE_FIELDS_DEFAULT);
        const ProcInfo *p;

        (void) state;
        assert_int_equal(ptable_scan(t, 1), 0);
        assert_int_equal(ptable_count(t), 4);
        p = ptable_find(t, 1);
        assert_int_equal(p->rss_bytes, 3496 * page_size());
        assert_int_equal(p->vsz_bytes, 10900 * page_size());
        assert_near(p->mem_percent,
                    3496.0 * (double) page_size() / (double) ptable_mem_total_bytes(t) * 100,
                    1e-12);
        p = ptable_find(t, 7038);
        assert_int_equal(p->rss_bytes, 505 * page_size());
        assert_int_equal(p->vsz_bytes, 1152 * page_size());
        assert_int_equal(ptable_find(t, 15)->rss_bytes, 0);
        assert_int_equal(ptable_find(t, 15)->vsz_bytes, 0);

        /* Turned off at the next scan: the approximate figures. */
        ptable_set_fields(t, PTABLE_FIELDS_DEFAULT & ~PTABLE_FIELD_STATM);
        assert_int_equal(ptable_scan(t, 2), 0);
        p = ptable_find(t, 1);
        assert_int_equal(p->rss_bytes, 3511 * page_size());
        assert_int_equal(p->vsz_bytes, 44646400);
        assert_int_equal(ptable_find(t, 7038)->rss_bytes, 473 * page_size());
        ptable_free(t);
}

static void test_ptable_sorted_and_tree(void **state)
{
        ProcTable *t = open_fixture("collect/proc-cases", PTABLE_FIELDS_DEFAULT);
        _cleanup_free_ const ProcInfo **sorted = NULL;
        _cleanup_free_ ProcTreeNode *tree = NULL;
        size_t n;

        (void) state;
        assert_int_equal(ptable_scan(t, 1), 0);
        n = ptable_count(t);
        sorted = xnew(const ProcInfo *, n);
        tree = xnew(ProcTreeNode, n);

        ptable_sorted(t, PTABLE_SORT_MEM, sorted);
        assert_int_equal(sorted[0]->pid, 1);    /* 3010 pages */
        assert_int_equal(sorted[1]->pid, 4242); /* 260 */
        assert_int_equal(sorted[2]->pid, 700);  /* 10 */
        assert_int_equal(sorted[3]->pid, 2);    /* the zero ones by pid */

        ptable_sorted(t, PTABLE_SORT_FDS, sorted);
        assert_int_equal(sorted[0]->pid, 4242);
        assert_int_equal(sorted[1]->pid, 1);

        /* CPU is unknown for all after one scan: pid order. */
        ptable_sorted(t, PTABLE_SORT_CPU, sorted);
        for (size_t i = 0; i < n; i++)
                assert_ptr_equal(sorted[i], ptable_get(t, i));

        assert_int_equal(ptable_sort_from_string("io"), PTABLE_SORT_IO);
        assert_int_equal(ptable_sort_from_string("nope"), _PTABLE_SORT_INVALID);

        static const struct {
                pid_t pid;
                unsigned depth;
                bool last;
        } want[] = {
                {1, 0, false},   {500, 1, false}, {700, 1, false}, {800, 1, false}, {900, 1, false},
                {901, 1, false}, {902, 1, false}, {4242, 1, true}, {2, 0, true},    {300, 1, true},
        };
        assert_int_equal(ptable_tree(t, 0, PTABLE_SORT_PID, tree), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                assert_int_equal(tree[i].proc->pid, want[i].pid);
                assert_int_equal(tree[i].depth, want[i].depth);
                assert_int_equal(tree[i].last_child, want[i].last);
        }

        /* Siblings in key order: by memory 4242 (256 pages) comes first under 1. */
        assert_int_equal(ptable_tree(t, 0, PTABLE_SORT_MEM, tree), n);
        assert_int_equal(tree[1].proc->pid, 4242);

        assert_int_equal(ptable_tree(t, 2, PTABLE_SORT_PID, tree), 2);
        assert_int_equal(tree[0].proc->pid, 2);
        assert_int_equal(tree[1].proc->pid, 300);
        assert_int_equal(tree[1].depth, 1);
        assert_int_equal(ptable_tree(t, 12345, PTABLE_SORT_PID, tree), 0);
        ptable_free(t);
}

/* A scratch tree the test rewrites between scans. */
static void write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

static void write_proc(const char *root, pid_t pid, const char *comm, uint64_t utime,
                       uint64_t stime, uint64_t start, uint64_t read_bytes, const char *cmdline)
{
        _cleanup_free_ char *dir = xasprintf("%s/%d", root, (int) pid);
        _cleanup_free_ char *fd = xasprintf("%s/fd", dir);
        _cleanup_free_ char *stat = xasprintf(
                "%d (%s) S 1 1 1 0 -1 4194560 0 0 0 0 %llu %llu 0 0 20 0 1 0 %llu 1000 10 "
                "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                (int) pid, comm, (unsigned long long) utime, (unsigned long long) stime,
                (unsigned long long) start);
        _cleanup_free_ char *io = xasprintf("rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\n"
                                            "read_bytes: %llu\nwrite_bytes: 0\n"
                                            "cancelled_write_bytes: 0\n",
                                            (unsigned long long) read_bytes);

        (void) mkdir(dir, 0755);
        (void) mkdir(fd, 0755);
        write_file(dir, "stat", stat);
        write_file(dir, "statm", "3 1 0 0 0 1 0\n");
        write_file(dir, "io", io);
        /* '|' stands for the NUL between arguments */
        _cleanup_free_ char *args = xstrdup(cmdline);
        for (char *c = args; *c; c++)
                if (*c == '|')
                        *c = '\0';
        _cleanup_free_ char *path = xasprintf("%s/cmdline", dir);
        _cleanup_close_ int cfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_int_equal(write(cfd, args, strlen(cmdline)), (ssize_t) strlen(cmdline));
        write_file(dir, "cgroup", "0::/system.slice/x.service\n");
}

static void test_ptable_rates_and_cache(void **state)
{
        _cleanup_free_ char *root = test_mkdtemp();
        ProcTable *t = NULL;
        const ProcInfo *p;
        double tck = (double) sysconf(_SC_CLK_TCK);

        (void) state;
        write_file(root, "stat", "cpu 0 0 0 0\nbtime 1700000000\n");
        write_file(root, "meminfo", "MemTotal: 1000 kB\n");
        write_proc(root, 10, "worker", 100, 50, 500, 0, "worker|--a");
        write_proc(root, 11, "short", 0, 0, 600, 0, "short");

        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_clock(t, fake_clock, NULL);
        fake_now_ns = INT64_C(5000000000);
        assert_int_equal(ptable_scan(t, 1), 0);
        p = ptable_find(t, 10);
        assert_true(isnan(p->cpu_percent));
        assert_string_equal(p->cmdline, "worker --a");
        assert_int_equal(p->start_time_ms, 1700000000000 + (uint64_t) (500 * 1000 / tck));

        /* +100 ticks over 2 s, +4096 bytes read. The cmdline changes on disk but comm does
         * not: the cached one stays (until its refresh turn). 11 goes away. */
        write_proc(root, 10, "worker", 150, 100, 500, 4096, "changed");
        _cleanup_free_ char *dead = xasprintf("%s/11", root);
        test_rm_rf(dead);
        fake_now_ns += INT64_C(2000000000);
        assert_int_equal(ptable_scan(t, 2), 0);
        assert_int_equal(ptable_count(t), 1);
        assert_null(ptable_find(t, 11));
        p = ptable_find(t, 10);
        assert_near(p->cpu_percent, 100.0 / tck / 2.0 * 100.0, 1e-9);
        assert_near(p->read_bytes_per_s, 2048.0, 1e-9);
        assert_near(p->write_bytes_per_s, 0.0, 1e-9);
        assert_string_equal(p->cmdline, "worker --a");

        /* exec: comm changes, so cmdline is read again; same start time, rates go on. */
        write_proc(root, 10, "newprog", 150, 100, 500, 4096, "newprog|x");
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 3), 0);
        p = ptable_find(t, 10);
        assert_string_equal(p->cmdline, "newprog x");
        assert_near(p->cpu_percent, 0.0, 1e-9);

        /* pid reuse: a new start time is a new process, nothing carried over. */
        write_proc(root, 10, "newprog", 1, 1, 900, 0, "other");
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 4), 0);
        p = ptable_find(t, 10);
        assert_true(isnan(p->cpu_percent));
        assert_true(isnan(p->read_bytes_per_s));
        assert_string_equal(p->cmdline, "other");

        /* Emission: only known values. */
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 5), 0);
        ptable_free(t);
        test_rm_rf(root);
}

typedef struct Seen {
        unsigned n;
        double cpu, fds;
        const char *pid, *comm;
} Seen;

static void collect_metric(void *userdata, const char *name, const char *const *labels,
                           double value)
{
        Seen *s = userdata;
        s->n++;
        assert_string_equal(labels[0], "pid");
        assert_string_equal(labels[1], "4242");
        assert_string_equal(labels[2], "comm");
        assert_string_equal(labels[3], "a) b (c");
        assert_null(labels[4]);
        if (strcmp(name, "process_cpu_percent") == 0)
                s->cpu = value;
        else if (strcmp(name, "process_open_fds") == 0)
                s->fds = value;
}

static void test_proc_info_foreach_metric(void **state)
{
        ProcTable *t = open_fixture("collect/proc-cases", PTABLE_FIELDS_DEFAULT);
        Seen s = {.cpu = -1, .fds = -1};

        (void) state;
        fake_now_ns = 0;
        assert_int_equal(ptable_scan(t, 1), 0);
        proc_info_foreach_metric(ptable_find(t, 4242), collect_metric, &s);
        assert_int_equal(s.n, 5); /* no cpu nor rates before a second scan */
        assert_near(s.fds, 5, 0);
        assert_near(s.cpu, -1, 0);

        fake_now_ns = INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 2), 0);
        s.n = 0;
        proc_info_foreach_metric(ptable_find(t, 4242), collect_metric, &s);
        assert_int_equal(s.n, 8);
        assert_near(s.cpu, 0, 0);
        ptable_free(t);
}

static void test_users(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/passwd", dir);
        _cleanup_free_ char *fixture = test_data_path("collect/proc-cases/passwd");
        Users *u = users_new(fixture);

        (void) state;
        assert_int_equal(users_refresh(u), 1);
        assert_int_equal(users_refresh(u), 0);
        assert_string_equal(users_name(u, 0), "root");
        assert_string_equal(users_name(u, 1000), "alice"); /* first entry wins */
        assert_string_equal(users_name(u, 4294967294u), "4294967294");
        u = users_free(u);

        u = users_new(path);
        assert_int_equal(users_refresh(u), -ENOENT);
        assert_string_equal(users_name(u, 33), "33");
        write_file(dir, "passwd", "www:x:33:33::/:/bin/false\n");
        assert_int_equal(users_refresh(u), 1);
        assert_string_equal(users_name(u, 33), "www");
        /* a rewrite of another size is seen even within the same mtime tick */
        write_file(dir, "passwd", "www-data:x:33:33::/:/bin/false\n");
        assert_int_equal(users_refresh(u), 1);
        assert_string_equal(users_name(u, 33), "www-data");
        users_free(u);
        test_rm_rf(dir);
}

static void test_ptable_live(void **state)
{
        ProcTable *t = NULL;
        const ProcInfo *p;
        char comm[64] = "";
        struct timespec a, b;

        (void) state;
        _cleanup_close_ int cfd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
        ssize_t n = read(cfd, comm, sizeof(comm) - 1);
        assert_true(n > 1);
        comm[n - 1] = '\0'; /* the newline */

        assert_int_equal(ptable_new("/proc", &t), 0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
        assert_int_equal(ptable_scan(t, 1), 0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
        print_message("first scan: %zu processes, %.0f us CPU\n", ptable_count(t),
                      (double) (b.tv_sec - a.tv_sec) * 1e6 +
                              (double) (b.tv_nsec - a.tv_nsec) / 1e3);

        p = ptable_find(t, getpid());
        assert_non_null(p);
        assert_int_equal(p->ppid, getppid());
        assert_string_equal(p->comm, comm);
        assert_int_equal(p->uid, geteuid());
        assert_true(p->fds >= 3);
        assert_true(p->io_known);
        assert_true(p->rss_bytes > 0);
        assert_non_null(p->cgroup);
        assert_true(ptable_find(t, 1) != NULL);

        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                for (;;)
                        pause();
        }
        /* The child shows up once it exists; its comm is ours (no exec). */
        assert_int_equal(ptable_scan(t, 2), 0);
        p = ptable_find(t, child);
        assert_non_null(p);
        assert_int_equal(p->ppid, getpid());
        assert_string_equal(p->comm, comm);
        /* The count from stat() of fd/ (Linux >= 6.2) is the one a listing gives. */
        _cleanup_free_ char *child_dir = xasprintf("/proc/%d", (int) child);
        _cleanup_close_ int child_fd = open(child_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char dents[4096];
        assert_int_equal(p->fds, proc_pid_count_fds(child_fd, dents, sizeof(dents)));
        /* And our own entry now has a CPU figure. */
        assert_false(isnan(ptable_find(t, getpid())->cpu_percent));

        assert_int_equal(kill(child, SIGKILL), 0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
        assert_int_equal(ptable_scan(t, 3), 0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
        print_message("steady scan: %zu processes, %.0f us CPU\n", ptable_count(t),
                      (double) (b.tv_sec - a.tv_sec) * 1e6 +
                              (double) (b.tv_nsec - a.tv_nsec) / 1e3);
        assert_null(ptable_find(t, child));
        ptable_free(t);
}

static pid_t spawn_paused(void)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        return pid;
}

static void kill_reap(pid_t pid)
{
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
}

#define MAX_FD 4096
static bool fd_preexisting[MAX_FD];

/* Open descriptors of this process. With check_cloexec, fails unless every one that was
 * not open at the last call without it (inherited ones may lack it) has FD_CLOEXEC. */
static int count_own_fds(bool check_cloexec)
{
        int n = 0;
        for (int fd = 0; fd < MAX_FD; fd++) {
                int flags = fcntl(fd, F_GETFD);
                if (!check_cloexec)
                        fd_preexisting[fd] = flags >= 0;
                if (flags < 0)
                        continue;
                n++;
                if (check_cloexec && !fd_preexisting[fd] && !(flags & FD_CLOEXEC)) {
                        char link[64], target[256] = "";
                        (void) snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                        if (readlink(link, target, sizeof(target) - 1) < 0)
                                target[0] = '?';
                        fail_msg("fd %d (%s) has no FD_CLOEXEC", fd, target);
                }
        }
        return n;
}

/* The kernel behaviour the descriptor cache rests on, checked on the running kernel: a
 * kept /proc/<pid>/stat of a reaped process fails (ESRCH) rather than showing whoever gets
 * the pid next. Then the table: the dead process is dropped, and if the pid can be handed
 * to a new process (ns_last_pid, root only), that one is seen as new. */
static void test_ptable_kept_fds(void **state)
{
        ProcTable *t = NULL;
        const ProcInfo *p;
        char buf[1024];

        (void) state;
        int base = count_own_fds(false);

        pid_t a = spawn_paused();
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int) a);
        _cleanup_close_ int sfd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(sfd >= 0);
        assert_true(pread(sfd, buf, sizeof(buf), 0) > 0);

        assert_int_equal(ptable_new("/proc", &t), 0);
        assert_int_equal(ptable_scan(t, 1), 0);
        p = ptable_find(t, a);
        assert_non_null(p);
        uint64_t start_a = p->starttime_ticks;
        /* A count through the kept fd/ descriptor follows new descriptors: c opens three
         * when told to, between two scans. */
        int go[2], done[2];
        assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        assert_int_equal(pipe2(done, O_CLOEXEC), 0);
        pid_t c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                char x;
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (read(go[0], &x, 1) == 1)
                        for (int i = 0; i < 3; i++)
                                (void) open("/dev/null", O_RDONLY);
                if (write(done[1], "x", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        assert_int_equal(ptable_scan(t, 2), 0);
        int64_t before = ptable_find(t, c)->fds;
        assert_true(before >= 4);
        assert_int_equal(write(go[1], "x", 1), 1);
        assert_int_equal(read(done[0], buf, 1), 1);
        assert_int_equal(ptable_scan(t, 3), 0);
        assert_int_equal(ptable_find(t, c)->fds, before + 3);
        kill_reap(c);
        for (int i = 0; i < 2; i++) {
                close(go[i]);
                close(done[i]);
        }
        /* Everything the table keeps is close-on-exec. */
        assert_true(count_own_fds(true) > base + 3);

        kill_reap(a);
        errno = 0;
        ssize_t n = pread(sfd, buf, sizeof(buf), 0);
        assert_true(n <= 0);
        if (n < 0)
                assert_int_equal(errno, ESRCH);

        /* Try to have the pid reused: the next fork gets ns_last_pid + 1 unless another
         * process forks in between. */
        pid_t b = -1;
        _cleanup_close_ int lfd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
        if (lfd >= 0) {
                char num[16];
                int len = snprintf(num, sizeof(num), "%d", (int) a - 1);
                if (write(lfd, num, (size_t) len) == len)
                        b = spawn_paused();
        }
        if (b == a) {
                /* The kept stat descriptor of a fails though the pid is listed: reopened by
                 * path, and nothing of a (CPU ticks, cache) carries over, even with the same
                 * start tick. */
                errno = 0;
                assert_true(pread(sfd, buf, sizeof(buf), 0) <= 0);
                assert_int_equal(ptable_scan(t, 3), 0);
                p = ptable_find(t, a);
                assert_non_null(p);
                assert_true(p->starttime_ticks >= start_a);
                assert_true(isnan(p->cpu_percent));
                assert_int_equal(ptable_scan(t, 4), 0);
                assert_false(isnan(ptable_find(t, a)->cpu_percent));
        } else {
                print_message("pid %d not reused (got %d): reuse path not exercised\n", (int) a,
                              (int) b);
                assert_int_equal(ptable_scan(t, 3), 0);
                assert_null(ptable_find(t, a));
                if (b > 0)
                        assert_non_null(ptable_find(t, b));
        }
        if (b > 0)
                kill_reap(b);
        assert_int_equal(ptable_scan(t, 5), 0);
        if (b > 0)
                assert_null(ptable_find(t, b));

        /* ptable_free() closes all it kept. */
        ptable_free(t);
        closep(&sfd);
        closep(&lfd);
        assert_int_equal(count_own_fds(false), base);
}

static void write_io(const char *root, pid_t pid, uint64_t read_bytes, uint64_t write_bytes)
{
        _cleanup_free_ char *dir = xasprintf("%s/%d", root, (int) pid);
        _cleanup_free_ char *io =
                xasprintf("rchar: 7\nwchar: 8\nsyscr: 0\nsyscw: 0\n"
                          "read_bytes: %llu\nwrite_bytes: %llu\n"
                          "cancelled_write_bytes: 0\n",
                          (unsigned long long) read_bytes, (unsigned long long) write_bytes);
        write_file(dir, "io", io);
}

#define CACHED_FIELDS (PTABLE_FIELD_CGROUP | PTABLE_FIELD_CMDLINE)
#define DETAIL_FIELDS (PTABLE_FIELD_STATM | PTABLE_FIELD_IO | PTABLE_FIELD_FDS)

static int details1(ProcTable *t, pid_t pid)
{
        return ptable_read_details(t, &pid, 1, DETAIL_FIELDS);
}

/* The agent's way: scan with the cached fields only, then statm, io and fds for a few. The
 * I/O rate runs from one io reading of a process to the next, whichever path took them and
 * whatever scans without io came in between. A scratch tree rewritten in place, so the
 * descriptors kept across calls see the new text as they would on procfs. */
static void test_ptable_read_details(void **state)
{
        _cleanup_free_ char *root = test_mkdtemp();
        _cleanup_free_ const ProcInfo **sorted = NULL;
        ProcTable *t = NULL;
        const ProcInfo *p;
        uint64_t page = page_size();

        (void) state;
        write_file(root, "stat", "cpu 0 0 0 0\nbtime 1700000000\n");
        write_file(root, "meminfo", "MemTotal: 1000 kB\n");
        /* stat (24) says 10 pages for each, statm 300, 400 and 20 */
        write_proc(root, 10, "worker", 100, 50, 500, 0, "worker");
        write_proc(root, 11, "big", 0, 0, 600, 0, "big");
        write_proc(root, 12, "leaving", 0, 0, 700, 0, "leaving");
        _cleanup_free_ char *d10 = xasprintf("%s/10", root);
        _cleanup_free_ char *d11 = xasprintf("%s/11", root);
        _cleanup_free_ char *d12 = xasprintf("%s/12", root);
        write_file(d10, "statm", "5000 300 0 0 0 1 0\n");
        write_file(d11, "statm", "6000 400 0 0 0 1 0\n");
        write_file(d12, "statm", "7000 20 0 0 0 1 0\n");
        write_file(d10, "fd/0", "");
        write_file(d10, "fd/1", "");
        write_io(root, 10, 0, 0);

        int before_fds = count_own_fds(false);
        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_clock(t, fake_clock, NULL);
        ptable_set_fields(t, CACHED_FIELDS);
        int base_fds = count_own_fds(false);
        fake_now_ns = INT64_C(5000000000);
        assert_int_equal(ptable_scan(t, 1), 0);
        assert_int_equal(ptable_count(t), 3);
        /* Each process keeps /proc/<pid> and stat. */
        assert_int_equal(count_own_fds(false), base_fds + 6);
        sorted = xnew(const ProcInfo *, 3);

        /* After the scan: the approximate rss from stat, no io, no fds. */
        p = ptable_find(t, 10);
        assert_int_equal(p->rss_bytes, 10 * page);
        assert_int_equal(p->vsz_bytes, 1000);
        assert_near(p->mem_percent, 10.0 * (double) page / 1024000.0 * 100, 1e-12);
        assert_false(p->io_known);
        assert_true(isnan(p->read_bytes_per_s));
        assert_int_equal(p->fds, -1);
        ptable_sorted(t, PTABLE_SORT_MEM, sorted);
        assert_int_equal(sorted[0]->pid, 10); /* a tie at 10 pages: pid order */
        assert_int_equal(sorted[1]->pid, 11);

        /* Bad arguments; unknown pids (and no fields) are no error and change nothing. */
        static const pid_t pids[] = {11, 999, 10};
        assert_int_equal(ptable_read_details(NULL, pids, 1, DETAIL_FIELDS), -EINVAL);
        assert_int_equal(ptable_read_details(t, NULL, 1, DETAIL_FIELDS), -EINVAL);
        assert_int_equal(ptable_read_details(t, NULL, 0, DETAIL_FIELDS), 0);
        assert_int_equal(ptable_read_details(t, pids, 3, PTABLE_FIELD_CGROUP), 0);
        assert_int_equal(ptable_find(t, 10)->rss_bytes, 10 * page);
        assert_int_equal(count_own_fds(false), base_fds + 6);

        /* Details of 10 and 11 (999 is not there): exact rss and vsz from statm, fds, io
         * totals; no rate from a first io reading. The pointers stay valid. */
        fake_now_ns = INT64_C(6000000000);
        assert_int_equal(ptable_read_details(t, pids, 3, DETAIL_FIELDS), 0);
        assert_ptr_equal(ptable_find(t, 10), p);
        assert_null(ptable_find(t, 999));
        assert_int_equal(p->rss_bytes, 300 * page);
        assert_int_equal(p->vsz_bytes, 5000 * page);
        assert_near(p->mem_percent, 300.0 * (double) page / 1024000.0 * 100, 1e-12);
        assert_int_equal(p->fds, 2);
        assert_true(p->io_known);
        assert_int_equal(p->read_bytes, 0);
        assert_int_equal(p->rchar, 7);
        assert_int_equal(p->wchar, 8);
        assert_true(isnan(p->read_bytes_per_s));
        assert_true(isnan(p->write_bytes_per_s));
        assert_int_equal(ptable_find(t, 11)->rss_bytes, 400 * page);
        assert_int_equal(ptable_find(t, 11)->fds, 0);
        /* 12 was not asked for. */
        assert_int_equal(ptable_find(t, 12)->rss_bytes, 10 * page);
        assert_int_equal(ptable_find(t, 12)->fds, -1);
        /* Sorting sees the exact figures. */
        ptable_sorted(t, PTABLE_SORT_MEM, sorted);
        assert_int_equal(sorted[0]->pid, 11);
        assert_int_equal(sorted[1]->pid, 10);
        assert_int_equal(sorted[2]->pid, 12);
        /* statm and io stay open for each (fd/ of a fixture is listed, not kept). */
        assert_int_equal(count_own_fds(false), base_fds + 10);

        /* details -> details: +4096 read and +1000 written over 2 s. */
        write_io(root, 10, 4096, 1000);
        fake_now_ns = INT64_C(8000000000);
        assert_int_equal(details1(t, 10), 0);
        assert_near(p->read_bytes_per_s, 2048.0, 1e-9);
        assert_near(p->write_bytes_per_s, 500.0, 1e-9);
        /* Listed again at the same clock reading: the reading stands. */
        write_io(root, 10, 5000, 1000);
        assert_int_equal(details1(t, 10), 0);
        assert_int_equal(p->read_bytes, 4096);
        assert_near(p->read_bytes_per_s, 2048.0, 1e-9);
        write_io(root, 10, 4096, 1000);

        /* A scan without io: no io figures this cycle, the approximate rss again; the
         * descriptors details opened since the last scan are kept. */
        fake_now_ns = INT64_C(9000000000);
        assert_int_equal(ptable_scan(t, 2), 0);
        p = ptable_find(t, 10);
        assert_false(p->io_known);
        assert_true(isnan(p->read_bytes_per_s));
        assert_int_equal(p->rss_bytes, 10 * page);
        assert_int_equal(p->fds, -1);
        assert_int_equal(count_own_fds(false), base_fds + 10);

        /* details -> (scan without io) -> details: over the 2 s since the io reading at
         * 8 s, not since the scan. */
        write_io(root, 10, 12288, 1000);
        fake_now_ns = INT64_C(10000000000);
        assert_int_equal(details1(t, 10), 0);
        assert_near(p->read_bytes_per_s, 4096.0, 1e-9);
        assert_near(p->write_bytes_per_s, 0.0, 1e-9);
        assert_int_equal(p->rss_bytes, 300 * page);

        /* details -> scan with io: against the details reading at 10 s. */
        ptable_set_fields(t, CACHED_FIELDS | PTABLE_FIELD_IO);
        write_io(root, 10, 16384, 3000);
        fake_now_ns = INT64_C(12000000000);
        assert_int_equal(ptable_scan(t, 3), 0);
        p = ptable_find(t, 10);
        assert_near(p->read_bytes_per_s, 2048.0, 1e-9);
        assert_near(p->write_bytes_per_s, 1000.0, 1e-9);
        /* 11 was not read by details since scan 2: its statm descriptor is closed, its
         * io one kept since the scan reads io now; 12 got io. */
        assert_int_equal(count_own_fds(false), base_fds + 6 + 2 + 1 + 1);

        /* scan -> details: +3000 read in 1 s after the scan's reading. */
        write_io(root, 10, 19384, 3000);
        fake_now_ns = INT64_C(13000000000);
        assert_int_equal(details1(t, 10), 0);
        assert_near(p->read_bytes_per_s, 3000.0, 1e-9);
        assert_near(p->write_bytes_per_s, 0.0, 1e-9);

        /* scan (with io) -> scan without io -> details: over the 3 s since 13 s. */
        ptable_set_fields(t, CACHED_FIELDS);
        write_io(root, 10, 25384, 3000);
        fake_now_ns = INT64_C(15000000000);
        assert_int_equal(ptable_scan(t, 4), 0);
        p = ptable_find(t, 10);
        fake_now_ns = INT64_C(16000000000);
        assert_int_equal(details1(t, 10), 0);
        assert_near(p->read_bytes_per_s, 2000.0, 1e-9);

        /* 12 goes away after the scan: asked for, it keeps its scan values. */
        test_rm_rf(d12);
        assert_int_equal(details1(t, 12), 0);
        p = ptable_find(t, 12);
        assert_non_null(p);
        assert_int_equal(p->rss_bytes, 10 * page);
        assert_int_equal(p->vsz_bytes, 1000);
        assert_false(p->io_known);
        assert_int_equal(p->fds, -1);

        /* pid reuse (a new start time): nothing of the old io reading carries over. */
        write_proc(root, 10, "worker", 1, 1, 900, 0, "worker");
        write_io(root, 10, 100, 0);
        fake_now_ns = INT64_C(17000000000);
        assert_int_equal(ptable_scan(t, 5), 0);
        fake_now_ns = INT64_C(18000000000);
        assert_int_equal(details1(t, 10), 0);
        p = ptable_find(t, 10);
        assert_true(p->io_known);
        assert_true(isnan(p->read_bytes_per_s));
        assert_int_equal(p->rss_bytes, 1 * page); /* write_proc's statm */

        ptable_free(t);
        assert_int_equal(count_own_fds(false), before_fds);
        test_rm_rf(root);
}

/* stat of a scratch process, with what PTABLE_FIELD_SKIP_IDLE may carry over: state, CPU
 * ticks, threads (20) and rss pages (24). */
static void write_stat(const char *root, pid_t pid, char state, uint64_t ticks, unsigned threads,
                       uint64_t rss_pages)
{
        _cleanup_free_ char *dir = xasprintf("%s/%d", root, (int) pid);
        _cleanup_free_ char *stat = xasprintf(
                "%d (p%d) %c 1 1 1 0 -1 4194560 0 0 0 0 %llu 0 0 0 20 0 %u 0 %d 1000 %llu "
                "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                (int) pid, (int) pid, state, (unsigned long long) ticks, threads, (int) pid * 100,
                (unsigned long long) rss_pages);
        write_file(dir, "stat", stat);
}

static void write_schedstat(const char *root, pid_t pid, uint64_t runtime_ns, uint64_t slices)
{
        _cleanup_free_ char *dir = xasprintf("%s/%d", root, (int) pid);
        _cleanup_free_ char *text = xasprintf("%llu 5000 %llu\n", (unsigned long long) runtime_ns,
                                              (unsigned long long) slices);
        write_file(dir, "schedstat", text);
}

/* PTABLE_FIELD_SKIP_IDLE over a scratch tree rewritten in place: a stat changed behind a
 * process whose schedstat did not move is not read, until its refresh turn. Pids are chosen
 * for their turns, (scan + pid) % 10 == 0: 10 at scans 0 and 10, 11 at 9, 12 at 8, 13 at 7. */
static void test_ptable_skip_idle(void **state)
{
        _cleanup_free_ char *root = test_mkdtemp();
        ProcTable *t = NULL;
        const ProcInfo *p;
        double tck = (double) sysconf(_SC_CLK_TCK);
        uint64_t page = page_size();

        (void) state;
        assert_int_equal(PTABLE_IDLE_REFRESH_SCANS, 10);
        write_file(root, "stat", "cpu 0 0 0 0\nbtime 1700000000\n");
        write_file(root, "meminfo", "MemTotal: 1000 kB\n");
        /* 10 idle, 11 multi-threaded, 12 without schedstat, 13 busy */
        for (pid_t pid = 10; pid <= 13; pid++) {
                write_proc(root, pid, "x", 0, 0, (uint64_t) pid * 100, 0, "x");
                write_stat(root, pid, 'S', 100, pid == 11 ? 3 : 1, 50);
                if (pid != 12)
                        write_schedstat(root, pid, 1000000, 7);
        }

        int before_fds = count_own_fds(false);
        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_clock(t, fake_clock, NULL);
        ptable_set_fields(t, CACHED_FIELDS | PTABLE_FIELD_SKIP_IDLE);
        int base_fds = count_own_fds(false);
        fake_now_ns = INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 1), 0); /* scan 0 */
        assert_int_equal(ptable_count(t), 4);
        assert_int_equal(ptable_find(t, 10)->threads, 1);
        assert_int_equal(ptable_find(t, 11)->threads, 3);
        /* /proc/<pid> and stat for each, schedstat for 10 and 13 only. */
        assert_int_equal(count_own_fds(false), base_fds + 4 * 2 + 2);

        /* Every stat changes: 100 more ticks, state R, 80 pages. Only 13's schedstat moves. */
        for (pid_t pid = 10; pid <= 13; pid++)
                write_stat(root, pid, 'R', 200, pid == 11 ? 3 : 1, 80);
        write_schedstat(root, 13, 2000000, 8);
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 2), 0); /* scan 1 */
        p = ptable_find(t, 10);                 /* stat not read: the last values, 0 % CPU */
        assert_int_equal(p->state, 'S');
        assert_int_equal(p->cpu_ticks, 100);
        assert_near(p->cpu_percent, 0.0, 0);
        assert_int_equal(p->rss_bytes, 50 * page);
        assert_int_equal(p->starttime_ticks, 1000);
        assert_string_equal(p->cmdline, "x");
        assert_string_equal(p->unit, "x.service");
        for (pid_t pid = 11; pid <= 13; pid++) { /* multi-threaded, no schedstat, ran */
                p = ptable_find(t, pid);
                assert_int_equal(p->state, 'R');
                assert_int_equal(p->cpu_ticks, 200);
                assert_near(p->cpu_percent, 100.0 / tck * 100.0, 1e-9);
                assert_int_equal(p->rss_bytes, 80 * page);
        }

        /* 13 did not run since: its new stat is not read. 10 ran: read, over the 2 s since
         * its stat was last read, and one scan of 0 %. */
        write_stat(root, 13, 'S', 300, 1, 90);
        write_stat(root, 10, 'S', 300, 1, 60);
        write_schedstat(root, 10, 3000000, 9);
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 3), 0); /* scan 2 */
        p = ptable_find(t, 13);
        assert_int_equal(p->state, 'R');
        assert_int_equal(p->cpu_ticks, 200);
        assert_near(p->cpu_percent, 0.0, 0);
        p = ptable_find(t, 10);
        assert_int_equal(p->state, 'S');
        assert_int_equal(p->cpu_ticks, 300);
        assert_near(p->cpu_percent, 200.0 / tck * 100.0, 1e-9);
        assert_int_equal(p->rss_bytes, 60 * page);
        assert_int_equal(ptable_find(t, 12)->cpu_ticks, 200);

        /* A run delay or a timeslice without runtime change counts as having run too. */
        write_stat(root, 10, 'S', 301, 1, 60);
        write_file(root, "10/schedstat", "3000000 6000 9\n");
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 4), 0); /* scan 3 */
        assert_int_equal(ptable_find(t, 10)->cpu_ticks, 301);

        /* Nobody runs from now on: each gets its stat read on its refresh turn only, 13 at
         * scan 7 and 10 at scan 10; 11 and 12 at every scan. */
        for (uint64_t scan = 4; scan <= 10; scan++) {
                for (pid_t pid = 10; pid <= 13; pid++)
                        write_stat(root, pid, 'S', 1000 + scan, pid == 11 ? 3 : 1, 70);
                fake_now_ns += INT64_C(1000000000);
                assert_int_equal(ptable_scan(t, (int64_t) scan + 1), 0);
                assert_int_equal(ptable_find(t, 11)->cpu_ticks, 1000 + scan);
                assert_int_equal(ptable_find(t, 12)->cpu_ticks, 1000 + scan);
                assert_int_equal(ptable_find(t, 13)->cpu_ticks, scan < 7 ? 200 : 1007);
                assert_int_equal(ptable_find(t, 10)->cpu_ticks, scan < 10 ? 301 : 1010);
        }
        p = ptable_find(t, 13);
        assert_int_equal(p->state, 'S');
        assert_int_equal(p->rss_bytes, 70 * page);

        /* A thread appears (10 ran to clone it): stat read every scan, schedstat closed. */
        write_stat(root, 10, 'S', 2000, 2, 70);
        write_schedstat(root, 10, 4000000, 10);
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 20), 0); /* scan 11 */
        assert_int_equal(ptable_find(t, 10)->threads, 2);
        assert_int_equal(count_own_fds(false), base_fds + 4 * 2 + 1);
        write_stat(root, 10, 'S', 2001, 2, 70);
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 21), 0); /* scan 12 */
        assert_int_equal(ptable_find(t, 10)->cpu_ticks, 2001);
        /* Back to one thread: the stat that says so was read without a schedstat reading
         * before it, so the next scan takes one (opening schedstat) and reads stat again; the
         * one after can skip. */
        for (uint64_t i = 0; i < 3; i++) {
                write_stat(root, 10, 'S', 2002 + i, 1, 70);
                fake_now_ns += INT64_C(1000000000);
                assert_int_equal(ptable_scan(t, 22 + (int64_t) i), 0); /* scans 13-15 */
                assert_int_equal(ptable_find(t, 10)->cpu_ticks, i < 2 ? 2002 + i : 2003);
                assert_int_equal(count_own_fds(false), base_fds + 4 * 2 + (i == 0 ? 1 : 2));
        }

        /* "0 0 0" (sched_info off) though stat shows CPU time: stat every scan from now on,
         * and the descriptor is let go. */
        write_file(root, "13/schedstat", "0 0 0\n");
        for (uint64_t i = 0; i < 2; i++) {
                write_stat(root, 13, 'S', 3000 + i, 1, 70);
                fake_now_ns += INT64_C(1000000000);
                assert_int_equal(ptable_scan(t, 25 + (int64_t) i), 0); /* scans 16, 17 */
                assert_int_equal(ptable_find(t, 13)->cpu_ticks, 3000 + i);
        }
        write_file(root, "13/schedstat", "1 2 3\n");
        write_stat(root, 13, 'S', 3002, 1, 70);
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 27), 0); /* scan 18 */
        assert_int_equal(ptable_find(t, 13)->cpu_ticks, 3002);
        assert_int_equal(count_own_fds(false), base_fds + 4 * 2 + 1);

        /* The flag off: every stat is read, the schedstat descriptors closed. */
        ptable_set_fields(t, CACHED_FIELDS);
        write_stat(root, 10, 'S', 4000, 1, 70);
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 28), 0);
        assert_int_equal(ptable_find(t, 10)->cpu_ticks, 4000);
        assert_int_equal(count_own_fds(false), base_fds + 4 * 2);

        ptable_free(t);
        assert_int_equal(count_own_fds(false), before_fds);
        test_rm_rf(root);
}

static void spin_until_killed(void)
{
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (volatile unsigned long i = 0;; i++)
                ;
}

static uint64_t runtime_ns_of(pid_t pid)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        _cleanup_free_ char *dir = xasprintf("/proc/%d", (int) pid);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ProcPidSchedstat ss;

        assert_true(fd >= 0);
        assert_int_equal(procbuf_read_at(&b, fd, "schedstat"), 0);
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        return ss.runtime_ns;
}

/* The agent's fields with PTABLE_FIELD_SKIP_IDLE on the real /proc: a busy process shows its
 * CPU, a sleeping one 0 %, and both are gone at the scan after they were killed and reaped,
 * the sleeping one being read through schedstat only until then. */
static void test_ptable_skip_idle_live(void **state)
{
        ProcTable *t = NULL;
        const ProcInfo *p;
        char buf[256];

        (void) state;
        if (faccessat(AT_FDCWD, "/proc/self/schedstat", R_OK, 0) < 0) {
                print_message("no /proc/<pid>/schedstat (CONFIG_SCHED_INFO off), skipping\n");
                skip();
        }
        pid_t busy = fork();
        assert_true(busy >= 0);
        if (busy == 0)
                spin_until_killed();
        pid_t idle = spawn_paused();

        assert_int_equal(ptable_new("/proc", &t), 0);
        ptable_set_fields(t, CACHED_FIELDS | PTABLE_FIELD_SKIP_IDLE);
        assert_int_equal(ptable_scan(t, 1), 0);
        assert_int_equal(ptable_find(t, idle)->threads, 1);
        /* Real time must pass for a CPU figure: until the busy child has run 300 ms. */
        uint64_t start = runtime_ns_of(busy);
        for (int i = 0; i < 1000 && runtime_ns_of(busy) < start + 300000000; i++) {
                struct timespec ts = {0, 10000000};
                (void) nanosleep(&ts, NULL);
        }
        for (int scan = 2; scan <= 4; scan++) {
                assert_int_equal(ptable_scan(t, scan), 0);
                p = ptable_find(t, busy);
                assert_non_null(p);
                if (scan == 2) {
                        /* Not near 100: other tests may share the CPUs. Any clear figure
                         * shows stat was read, where a skipped one would give 0. */
                        print_message("busy child: %.1f %% CPU\n", p->cpu_percent);
                        assert_true(p->cpu_percent > 10);
                }
                p = ptable_find(t, idle);
                assert_non_null(p);
                assert_int_equal(p->state, 'S');
                assert_near(p->cpu_percent, 0.0, 0);
        }

        /* The kernel behaviour a skipped stat rests on: a kept schedstat of a reaped process
         * fails with ESRCH, as stat does. */
        _cleanup_free_ char *path = xasprintf("/proc/%d/schedstat", (int) idle);
        _cleanup_close_ int sfd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(sfd >= 0);
        assert_true(pread(sfd, buf, sizeof(buf), 0) > 0);
        kill_reap(idle);
        kill_reap(busy);
        errno = 0;
        assert_int_equal(pread(sfd, buf, sizeof(buf), 0), -1);
        assert_int_equal(errno, ESRCH);
        assert_int_equal(ptable_scan(t, 5), 0);
        assert_null(ptable_find(t, idle));
        assert_null(ptable_find(t, busy));
        ptable_free(t);
}

/* Our own process through the real /proc: details fill what the scan left out. */
static void test_ptable_read_details_live(void **state)
{
        ProcTable *t = NULL;
        const ProcInfo *p;
        pid_t self = getpid();
        char buf[256];

        (void) state;
        assert_int_equal(ptable_new("/proc", &t), 0);
        ptable_set_fields(t, CACHED_FIELDS);
        assert_int_equal(ptable_scan(t, 1), 0);
        p = ptable_find(t, self);
        assert_non_null(p);
        assert_false(p->io_known);
        assert_int_equal(p->fds, -1);
        assert_non_null(p->cgroup);

        assert_int_equal(details1(t, self), 0);
        assert_ptr_equal(ptable_find(t, self), p);
        assert_true(p->io_known);
        assert_true(p->fds >= 3);
        assert_true(isnan(p->read_bytes_per_s));
        /* rss as statm says: read it ourselves around the call (it may move a little). */
        _cleanup_close_ int sfd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        ssize_t n = read(sfd, buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        const char *q = buf;
        uint64_t size, resident;
        assert_int_equal(parse_u64(&q, &size), 0);
        assert_int_equal(parse_u64(&q, &resident), 0);
        assert_true(p->rss_bytes > 0);
        assert_true(p->rss_bytes / page_size() + 64 > resident);
        assert_true(p->rss_bytes / page_size() < resident + 64);
        assert_true(p->vsz_bytes > 0);

        /* Some reads, then a second reading: a known rate, and rchar grew. */
        uint64_t rchar = p->rchar;
        for (int i = 0; i < 4; i++)
                assert_true(pread(sfd, buf, sizeof(buf), 0) > 0);
        assert_int_equal(details1(t, self), 0);
        assert_false(isnan(p->read_bytes_per_s));
        assert_true(p->read_bytes_per_s >= 0);
        assert_true(p->rchar > rchar);

        /* Through a scan without io, to details again: still a rate. */
        assert_int_equal(ptable_scan(t, 2), 0);
        p = ptable_find(t, self);
        assert_false(p->io_known);
        assert_int_equal(details1(t, self), 0);
        assert_true(p->io_known);
        assert_false(isnan(p->write_bytes_per_s));
        ptable_free(t);
}

#define CHECK(cond)                                                                              \
        do {                                                                                     \
                if (!(cond)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        _exit(1);                                                                \
                }                                                                                \
        } while (0)

#define N_KIDS 200

/* Every kid, ourselves and init must be in each scan. */
static void check_all_present(ProcTable *t, const pid_t *kids, size_t n)
{
        CHECK(ptable_find(t, getpid()) != NULL);
        CHECK(ptable_find(t, 1) != NULL);
        for (size_t i = 0; i < n; i++) {
                const ProcInfo *p = ptable_find(t, kids[i]);
                CHECK(p != NULL);
                CHECK(p->io_known);
                CHECK(p->fds >= 0);
                CHECK(p->vsz_bytes > 0);
        }
}

/* Runs in a forked child: it changes RLIMIT_NOFILE. */
static void fd_limits_child(void)
{
        pid_t kids[N_KIDS];
        ProcTable *t = NULL;
        struct rlimit rl;

        /* Whatever the test process had open is not ours to count. */
        CHECK(close_range(3, ~0U, 0) == 0);
        for (size_t i = 0; i < N_KIDS; i++) {
                kids[i] = fork();
                CHECK(kids[i] >= 0);
                if (kids[i] == 0) {
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        for (;;)
                                pause();
                }
        }

        /* 1024: a budget of 768, less than the ~6 per process (200 kids) a scan would keep. Then
         * the rest of the program takes every free descriptor: the next scan hits EMFILE on its
         * first open, sheds what it kept, and still reads everyone. With SKIP_IDLE the paused
         * kids are read through schedstat when they have it kept. */
        rl = (struct rlimit){1024, 1024}; /* lowering the hard limit is one-way: this first */
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
        CHECK(ptable_new("/proc", &t) == 0);
        ptable_set_fields(t, PTABLE_FIELDS_DEFAULT | PTABLE_FIELD_SKIP_IDLE);
        CHECK(ptable_scan(t, 10) == 0);
        check_all_present(t, kids, N_KIDS);
        int first_dup = -1, last_dup = -1;
        for (;;) {
                int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
                if (fd < 0) {
                        CHECK(errno == EMFILE);
                        break;
                }
                if (first_dup < 0)
                        first_dup = fd;
                last_dup = fd;
        }
        for (int i = 0; i < 3; i++) {
                CHECK(ptable_scan(t, 11 + i) == 0);
                check_all_present(t, kids, N_KIDS);
        }
        /* Details hit EMFILE too: they shed the others' descriptors, never the entry they
         * read, and read everyone. */
        ptable_set_fields(t, CACHED_FIELDS | PTABLE_FIELD_SKIP_IDLE);
        for (int i = 0; i < 2; i++) {
                CHECK(ptable_scan(t, 14 + i) == 0);
                CHECK(ptable_read_details(t, kids, N_KIDS, DETAIL_FIELDS) == 0);
                check_all_present(t, kids, N_KIDS);
        }
        ptable_set_fields(t, PTABLE_FIELDS_DEFAULT);
        for (int fd = first_dup; fd >= 0 && fd <= last_dup; fd++)
                (void) close(fd);
        for (int i = 0; i < 3; i++) {
                CHECK(ptable_scan(t, 20 + i) == 0);
                check_all_present(t, kids, N_KIDS);
        }
        t = ptable_free(t);

        /* 64 descriptors: no budget at all, every process is opened and closed per scan. */
        rl = (struct rlimit){64, 64};
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
        CHECK(ptable_new("/proc", &t) == 0);
        for (int i = 0; i < 3; i++) {
                CHECK(ptable_scan(t, i) == 0);
                check_all_present(t, kids, N_KIDS);
        }
        /* Details without a budget: each process opened by path, checked, and closed. */
        int open_fds = count_own_fds(false);
        ptable_set_fields(t, CACHED_FIELDS);
        CHECK(ptable_scan(t, 3) == 0);
        CHECK(ptable_read_details(t, kids, N_KIDS, DETAIL_FIELDS) == 0);
        check_all_present(t, kids, N_KIDS);
        CHECK(count_own_fds(false) == open_fds);
        ptable_free(t);

        for (size_t i = 0; i < N_KIDS; i++)
                (void) kill(kids[i], SIGKILL);
        for (size_t i = 0; i < N_KIDS; i++)
                (void) waitpid(kids[i], NULL, 0);
        _exit(0);
}

static void test_ptable_fd_limits(void **state)
{
        int status;

        (void) state;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                fd_limits_child();
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void write_loadavg(const char *root, unsigned threads, unsigned last_pid)
{
        _cleanup_free_ char *text = xasprintf("0.00 0.01 0.05 1/%u %u\n", threads, last_pid);
        write_file(root, "loadavg", text);
}

/* The table holds exactly the pids want[0..n). */
static void check_pids(ProcTable *t, const pid_t *want, size_t n)
{
        assert_int_equal(ptable_count(t), n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(ptable_get(t, i)->pid, want[i]);
}

/* A pid directory removed the way procfs shows a reaped process: its kept stat reads
 * nothing (truncated in place), and /proc/<pid> is gone. */
static void remove_proc(const char *root, pid_t pid)
{
        _cleanup_free_ char *dir = xasprintf("%s/%d", root, (int) pid);
        write_file(dir, "stat", "");
        test_rm_rf(dir);
}

/* The listing is skipped while loadavg's thread count (4) and last pid (5) stay the same,
 * over a scratch tree whose loadavg is rewritten in place: a pid directory added behind the
 * table's back is not seen (which proves the skip) until either moves, or until the
 * relisting every PTABLE_RELIST_SCANS scans; a removed one is dropped at once. */
static void test_ptable_skip_listing(void **state)
{
        _cleanup_free_ char *root = test_mkdtemp();
        ProcTable *t = NULL;

        (void) state;
        write_file(root, "stat", "cpu 0 0 0 0\nbtime 1700000000\n");
        write_file(root, "meminfo", "MemTotal: 1000 kB\n");
        write_loadavg(root, 50, 100);
        for (pid_t pid = 10; pid <= 12; pid++)
                write_proc(root, pid, "x", 0, 0, (uint64_t) pid * 100, 0, "x");

        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_clock(t, fake_clock, NULL);
        ptable_set_fields(t, CACHED_FIELDS);
        fake_now_ns = INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 1), 0);
        assert_int_equal(ptable_listings(t), 1);
        check_pids(t, (const pid_t[]){10, 11, 12}, 3);

        /* Unchanged, but the first listing may have missed a process being forked: the next
         * scan lists too. */
        write_proc(root, 13, "x", 0, 0, 1300, 0, "x");
        assert_int_equal(ptable_scan(t, 2), 0);
        assert_int_equal(ptable_listings(t), 2);
        check_pids(t, (const pid_t[]){10, 11, 12, 13}, 4);

        /* Unchanged and settled: skipped. 14 is not seen, 12 is dropped, and the others are
         * read as ever (10 ran 100 ticks). */
        write_proc(root, 14, "x", 0, 0, 1400, 0, "x");
        remove_proc(root, 12);
        write_proc(root, 10, "x", 100, 0, 1000, 0, "x");
        fake_now_ns += INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 3), 0);
        assert_int_equal(ptable_listings(t), 2);
        check_pids(t, (const pid_t[]){10, 11, 13}, 3);
        assert_int_equal(ptable_find(t, 10)->cpu_ticks, 100);
        assert_near(ptable_find(t, 10)->cpu_percent, 100.0 / (double) sysconf(_SC_CLK_TCK) * 100.0,
                    1e-9);

        /* A new last pid: listed, 14 seen; listed again to settle. */
        write_loadavg(root, 50, 101);
        assert_int_equal(ptable_scan(t, 4), 0);
        assert_int_equal(ptable_listings(t), 3);
        check_pids(t, (const pid_t[]){10, 11, 13, 14}, 4);
        assert_int_equal(ptable_scan(t, 5), 0);
        assert_int_equal(ptable_listings(t), 4);

        /* Only the thread count moved (a pid chosen with clone3() set_tid): listed too. */
        write_proc(root, 15, "x", 0, 0, 1500, 0, "x");
        assert_int_equal(ptable_scan(t, 6), 0);
        assert_int_equal(ptable_listings(t), 4);
        assert_null(ptable_find(t, 15));
        write_loadavg(root, 51, 101);
        assert_int_equal(ptable_scan(t, 7), 0);
        assert_int_equal(ptable_listings(t), 5);
        assert_non_null(ptable_find(t, 15));
        assert_int_equal(ptable_scan(t, 8), 0); /* settles */
        assert_int_equal(ptable_listings(t), 6);

        /* Nothing moves: a real listing every PTABLE_RELIST_SCANS scans all the same. */
        write_proc(root, 16, "x", 0, 0, 1600, 0, "x");
        for (unsigned i = 1; i < PTABLE_RELIST_SCANS; i++) {
                assert_int_equal(ptable_scan(t, 9), 0);
                assert_null(ptable_find(t, 16));
        }
        assert_int_equal(ptable_listings(t), 6);
        assert_int_equal(ptable_scan(t, 10), 0);
        assert_int_equal(ptable_listings(t), 7);
        check_pids(t, (const pid_t[]){10, 11, 13, 14, 15, 16}, 6);

        /* A process that could not be read (here a stat that is not one) might be read by the
         * next listing: no skipping while there is one. */
        write_proc(root, 17, "x", 0, 0, 1700, 0, "x");
        write_file(root, "17/stat", "garbage\n");
        write_loadavg(root, 52, 102);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(ptable_scan(t, 11), 0);
                assert_int_equal(ptable_listings(t), 8 + i);
                assert_null(ptable_find(t, 17));
        }
        write_proc(root, 17, "x", 0, 0, 1700, 0, "x");
        assert_int_equal(ptable_scan(t, 12), 0);
        assert_int_equal(ptable_listings(t), 11);
        assert_non_null(ptable_find(t, 17));
        assert_int_equal(ptable_scan(t, 13), 0);
        assert_int_equal(ptable_listings(t), 11);

        /* loadavg unreadable as such: listed every scan. */
        write_file(root, "loadavg", "x\n");
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(ptable_scan(t, 14), 0);
                assert_int_equal(ptable_listings(t), 12 + i);
        }
        ptable_free(t);

        /* No loadavg at all (fixture trees, old kernels): listed every scan. */
        _cleanup_free_ char *loadavg = xasprintf("%s/loadavg", root);
        assert_int_equal(unlink(loadavg), 0);
        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_fields(t, CACHED_FIELDS);
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(ptable_scan(t, 15), 0);
        write_proc(root, 18, "x", 0, 0, 1800, 0, "x");
        assert_int_equal(ptable_scan(t, 16), 0);
        assert_int_equal(ptable_listings(t), 4);
        assert_non_null(ptable_find(t, 18));
        ptable_free(t);
        test_rm_rf(root);
}

static int read_last_pid(uint64_t *ret)
{
        char buf[256];
        _cleanup_close_ int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        const char *p = buf;
        if (parse_skip_fields(&p, 4) < 0)
                return -EINVAL;
        return parse_u64(&p, ret);
}

static void *thread_noop(void *arg)
{
        return arg;
}

/* The same on the real /proc, where other processes may fork at any time, so only that a
 * listing happens when it must is checked: a child forked is seen at the next scan, reaped
 * it is gone, and a thread created in this process moves the last pid (any clone allocates
 * one) and makes the next scan list. */
static void test_ptable_skip_listing_live(void **state)
{
        ProcTable *t = NULL;
        uint64_t before, after;

        (void) state;
        assert_int_equal(ptable_new("/proc", &t), 0);
        ptable_set_fields(t, CACHED_FIELDS | PTABLE_FIELD_SKIP_IDLE);
        for (unsigned i = 0; i < 10; i++)
                assert_int_equal(ptable_scan(t, 1), 0);
        print_message("10 scans, %llu listings\n", (unsigned long long) ptable_listings(t));

        for (unsigned i = 0; i < 3; i++) {
                pid_t child = spawn_paused();
                assert_int_equal(ptable_scan(t, 2), 0);
                assert_non_null(ptable_find(t, child));
                assert_int_equal(ptable_scan(t, 3), 0);
                assert_non_null(ptable_find(t, child));
                kill_reap(child);
                assert_int_equal(ptable_scan(t, 4), 0);
                assert_null(ptable_find(t, child));
                assert_non_null(ptable_find(t, getpid()));
        }

        pthread_t th;
        uint64_t n = ptable_listings(t);
        assert_int_equal(read_last_pid(&before), 0);
        assert_int_equal(pthread_create(&th, NULL, thread_noop, NULL), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(read_last_pid(&after), 0);
        assert_true(after != before);
        assert_int_equal(ptable_scan(t, 5), 0);
        assert_true(ptable_listings(t) > n);
        ptable_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ptable_scan_cases),
                cmocka_unit_test(test_ptable_fields_off),
                cmocka_unit_test(test_ptable_statm_real),
                cmocka_unit_test(test_ptable_sorted_and_tree),
                cmocka_unit_test(test_ptable_rates_and_cache),
                cmocka_unit_test(test_proc_info_foreach_metric),
                cmocka_unit_test(test_users),
                cmocka_unit_test(test_ptable_live),
                cmocka_unit_test(test_ptable_kept_fds),
                cmocka_unit_test(test_ptable_read_details),
                cmocka_unit_test(test_ptable_read_details_live),
                cmocka_unit_test(test_ptable_skip_idle),
                cmocka_unit_test(test_ptable_skip_idle_live),
                cmocka_unit_test(test_ptable_fd_limits),
                cmocka_unit_test(test_ptable_skip_listing),
                cmocka_unit_test(test_ptable_skip_listing_live),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

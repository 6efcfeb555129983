/* Parsers of one /proc/<pid>: captured trees (collect/proc-real, from this machine: 1 is a
 * root daemon whose io gave EACCES, 2 kthreadd, 15 an idle kernel thread, 7038 a bash) and
 * hand-made ones (collect/proc-cases). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/proc-pid.h"
#include "core/alloc.h"
#include "test-util.h"

static void read_fixture(ProcBuf *b, const char *dir, const char *file)
{
        _cleanup_close_ int fd = test_data_open(dir);
        assert_int_equal(procbuf_read_at(b, fd, file), 0);
}

static void set_text(ProcBuf *b, const char *s)
{
        size_t n = strlen(s);
        assert_int_equal(procbuf_reserve(b, n), 0);
        memcpy(b->data, s, n + 1);
        b->len = n;
}

static void test_proc_pid_parse_stat_real_bash(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStat st;

        (void) state;
        read_fixture(&b, "collect/proc-real/7038", "stat");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_int_equal(st.pid, 7038);
        assert_string_equal(st.comm, "bash");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 7036);
        assert_int_equal(st.pgrp, 7036);
        assert_int_equal(st.session, 2679);
        assert_int_equal(st.tty_nr, 0);
        assert_int_equal(st.flags, 4194368);
        assert_int_equal(st.minflt, 173);
        assert_int_equal(st.majflt, 0);
        assert_int_equal(st.utime_ticks, 0);
        assert_int_equal(st.stime_ticks, 0);
        assert_int_equal(st.priority, 20);
        assert_int_equal(st.nice, 0);
        assert_int_equal(st.num_threads, 1);
        assert_int_equal(st.starttime_ticks, 58890);
        assert_int_equal(st.vsize_bytes, 4718592);
        assert_int_equal(st.rss_pages, 473);
        assert_int_equal(st.processor, 0);
        assert_false(st.flags & PROC_PF_KTHREAD);
}

static void test_proc_pid_parse_stat_real_init(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStat st;

        (void) state;
        read_fixture(&b, "collect/proc-real/1", "stat");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_int_equal(st.pid, 1);
        assert_string_equal(st.comm, "process_api");
        assert_int_equal(st.ppid, 0);
        assert_int_equal(st.minflt, 42683);
        assert_int_equal(st.majflt, 0);
        assert_int_equal(st.utime_ticks, 81);
        assert_int_equal(st.stime_ticks, 142);
        assert_int_equal(st.priority, 10);
        assert_int_equal(st.nice, -10);
        assert_int_equal(st.num_threads, 13);
        assert_int_equal(st.starttime_ticks, 10);
        assert_int_equal(st.vsize_bytes, 44646400);
        assert_int_equal(st.rss_pages, 3511);
        assert_int_equal(st.processor, 1);
}

static void test_proc_pid_parse_stat_kernel_thread(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStat st;

        (void) state;
        read_fixture(&b, "collect/proc-real/15", "stat");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_string_equal(st.comm, "rcu_preempt");
        assert_int_equal(st.state, 'I');
        assert_int_equal(st.ppid, 2);
        assert_true(st.flags & PROC_PF_KTHREAD);
        assert_int_equal(st.vsize_bytes, 0);
        assert_int_equal(st.rss_pages, 0);
}

static void test_proc_pid_parse_stat_comm_with_parens(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStat st;

        (void) state;
        read_fixture(&b, "collect/proc-cases/4242", "stat");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_int_equal(st.pid, 4242);
        assert_string_equal(st.comm, "a) b (c");
        assert_int_equal(st.state, 'R');
        assert_int_equal(st.ppid, 1);
        assert_int_equal(st.minflt, 11);
        assert_int_equal(st.majflt, 2);
        assert_int_equal(st.utime_ticks, 7);
        assert_int_equal(st.stime_ticks, 3);
        assert_int_equal(st.priority, 25);
        assert_int_equal(st.nice, 5);
        assert_int_equal(st.num_threads, 4);
        assert_int_equal(st.starttime_ticks, 12345);
        assert_int_equal(st.vsize_bytes, 1048576);
        assert_int_equal(st.rss_pages, 256);
        assert_int_equal(st.processor, 1);
}

static void test_proc_pid_parse_stat_edge(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStat st;
        static const char *const bad[] = {
                "",
                "1 (x",
                "1 x) S 0",
                "abc (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
                "1 (x) S 0 1 1",
                "1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0",    /* no rss (24) */
                "1 (x) S -3 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", /* negative ppid */
                "1 (x)  0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",   /* no state */
                "0 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",  /* pid 0 */
                "1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 99999999999 0 5 0 0",
                "1  (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                set_text(&b, bad[i]);
                assert_int_equal(proc_pid_parse_stat(&b, &st), -EINVAL);
        }

        /* Fields 1-24 only (an old or short line): processor unknown. */
        set_text(&b, "9 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 7\n");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_int_equal(st.rss_pages, 7);
        assert_int_equal(st.processor, -1);

        /* A comm longer than we keep is cut, not rejected; ')' inside it is fine. */
        set_text(&b, "9 (0123456789012345678901234567890123456789012345678901234567890123456789) "
                     "S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 7\n");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_int_equal(strlen(st.comm), PROC_COMM_MAX - 1);
        set_text(&b, "9 ()) S 1 (x) S 5 6 7) S 2 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 7\n");
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_string_equal(st.comm, ")) S 1 (x) S 5 6 7");
        assert_int_equal(st.ppid, 2);
}

static void test_proc_pid_parse_statm(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStatm sm;

        (void) state;
        /* Captured init: statm says 3496 resident pages where stat (24) says 3511. */
        read_fixture(&b, "collect/proc-real/1", "statm");
        assert_int_equal(proc_pid_parse_statm(&b, &sm), 0);
        assert_int_equal(sm.size_pages, 10900);
        assert_int_equal(sm.resident_pages, 3496);
        assert_int_equal(sm.shared_pages, 1577);
        assert_int_equal(sm.text_pages, 1330);
        assert_int_equal(sm.lib_pages, 0);
        assert_int_equal(sm.data_pages, 9054);
        assert_int_equal(sm.dt_pages, 0);

        read_fixture(&b, "collect/proc-real/15", "statm");
        assert_int_equal(proc_pid_parse_statm(&b, &sm), 0);
        assert_int_equal(sm.size_pages, 0);
        assert_int_equal(sm.resident_pages, 0);

        /* No trailing newline, tabs, the largest value. */
        set_text(&b, "1 2 3 4 5 6 7");
        assert_int_equal(proc_pid_parse_statm(&b, &sm), 0);
        assert_int_equal(sm.dt_pages, 7);
        set_text(&b, "18446744073709551615\t2 3 4 5 6 7 \n");
        assert_int_equal(proc_pid_parse_statm(&b, &sm), 0);
        assert_true(sm.size_pages == UINT64_MAX);

        static const char *const bad[] = {
                "",
                "\n",
                "1 2 3 4 5 6",        /* six fields */
                "1 2 3 4 5 6\n7",     /* a line break inside */
                "1 2 3 4 5 6 7 8",    /* eight */
                "1 2 3 4 5 6 7\n\n",  /* a second line */
                "1 2 3 4x 5 6 7",     /* junk glued to a number */
                "1 2 -3 4 5 6 7",     /* negative */
                "1 2 3 4 5 6 7\nfoo", /* trailing text */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                set_text(&b, bad[i]);
                assert_int_equal(proc_pid_parse_statm(&b, &sm), -EINVAL);
        }
        set_text(&b, "1 18446744073709551616 3 4 5 6 7");
        assert_int_equal(proc_pid_parse_statm(&b, &sm), -ERANGE);

        /* An embedded NUL ends the text early: not a statm line. */
        set_text(&b, "1 2 3 4 5 6 7 ");
        b.data[b.len - 1] = '\0';
        assert_int_equal(proc_pid_parse_statm(&b, &sm), -EINVAL);
}

static void test_proc_pid_parse_schedstat(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidSchedstat ss;

        (void) state;
        read_fixture(&b, "collect/proc-real/1", "schedstat");
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        assert_int_equal(ss.runtime_ns, 99757306);
        assert_int_equal(ss.run_delay_ns, 11420661);
        assert_int_equal(ss.timeslices, 379);
        read_fixture(&b, "collect/proc-real/15", "schedstat");
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        assert_int_equal(ss.runtime_ns, UINT64_C(2435844676));
        assert_int_equal(ss.run_delay_ns, UINT64_C(11126848278));
        assert_int_equal(ss.timeslices, 123591);

        /* sched_info_on() false; no newline; tabs and the largest value. */
        set_text(&b, "0 0 0\n");
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        assert_int_equal(ss.runtime_ns, 0);
        set_text(&b, "1 2 3");
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        assert_int_equal(ss.timeslices, 3);
        set_text(&b, "18446744073709551615\t2 3 \n");
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        assert_true(ss.runtime_ns == UINT64_MAX);

        static const char *const bad[] = {
                "",          "\n",     "1 2",    "1 2\n3",     "1 2 3 4",
                "1 2 3\n\n", "1 2x 3", "1 -2 3", "1 2 3\nfoo", "(1) 2 3",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                set_text(&b, bad[i]);
                assert_int_equal(proc_pid_parse_schedstat(&b, &ss), -EINVAL);
        }
        set_text(&b, "18446744073709551616 2 3\n");
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), -ERANGE);
        set_text(&b, "1 2 3 ");
        b.data[b.len - 1] = '\0';
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), -EINVAL);

        /* What the table rests on: our own runtime grows as we run. */
        _cleanup_close_ int fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ProcPidSchedstat a;
        assert_int_equal(procbuf_read_at(&b, fd, "schedstat"), 0);
        assert_int_equal(proc_pid_parse_schedstat(&b, &a), 0);
        for (volatile unsigned long i = 0; i < 20000000; i++)
                ;
        assert_int_equal(procbuf_read_at(&b, fd, "schedstat"), 0);
        assert_int_equal(proc_pid_parse_schedstat(&b, &ss), 0);
        assert_true(ss.runtime_ns > a.runtime_ns);
}

static void test_proc_pid_parse_status(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        ProcPidStatus st;

        (void) state;
        read_fixture(&b, "collect/proc-real/7038", "status");
        assert_int_equal(proc_pid_parse_status(&b, &st), 0);
        assert_int_equal(st.uid_real, 0);
        assert_int_equal(st.uid_effective, 0);
        assert_true(st.has_vm);
        assert_int_equal(st.vm_rss_bytes, 2020 * 1024);
        assert_int_equal(st.vm_swap_bytes, 0);

        read_fixture(&b, "collect/proc-cases/4242", "status");
        assert_int_equal(proc_pid_parse_status(&b, &st), 0);
        assert_int_equal(st.uid_real, 1000);
        assert_int_equal(st.uid_effective, 33);
        assert_int_equal(st.vm_rss_bytes, 1024 * 1024);
        assert_int_equal(st.vm_swap_bytes, 16 * 1024);

        read_fixture(&b, "collect/proc-real/15", "status");
        assert_int_equal(proc_pid_parse_status(&b, &st), 0);
        assert_false(st.has_vm);

        set_text(&b, "Name:\tx\nVmRSS:\t4 kB\n");
        assert_int_equal(proc_pid_parse_status(&b, &st), -EINVAL);
        set_text(&b, "Uid:\t1\n");
        assert_int_equal(proc_pid_parse_status(&b, &st), -EINVAL);
        set_text(&b, "Uid:\t5000000000\t1\t1\t1\n");
        assert_int_equal(proc_pid_parse_status(&b, &st), -EINVAL);
}

static void test_proc_pid_parse_io(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        _cleanup_close_ int fd = -1;
        ProcPidIo io;

        (void) state;
        read_fixture(&b, "collect/proc-real/7038", "io");
        assert_int_equal(proc_pid_parse_io(&b, &io), 0);
        assert_int_equal(io.rchar, 32969);
        assert_int_equal(io.wchar, 2629);
        assert_int_equal(io.syscr, 50);
        assert_int_equal(io.syscw, 2);
        assert_int_equal(io.read_bytes, 0);
        assert_int_equal(io.write_bytes, 16384);
        assert_int_equal(io.cancelled_write_bytes, 0);

        /* The captured EACCES is stored as a directory, so that read() fails for root too
         * (root bypasses chmod 000). */
        fd = test_data_open("collect/proc-real/1");
        assert_int_equal(procbuf_read_at(&b, fd, "io"), -EISDIR);

        set_text(&b, "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\n");
        assert_int_equal(proc_pid_parse_io(&b, &io), -EINVAL);
        set_text(&b, "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: x\nwrite_bytes: 6\n"
                     "cancelled_write_bytes: 7\n");
        assert_int_equal(proc_pid_parse_io(&b, &io), -EINVAL);
}

static void check_cgroup(const char *dir, const char *path, const char *unit)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        _cleanup_free_ char *got = NULL;
        size_t n;

        read_fixture(&b, dir, "cgroup");
        assert_int_equal(proc_pid_parse_cgroup(&b, &got), 0);
        assert_string_equal(got, path);
        const char *u = proc_pid_cgroup_unit(got, &n);
        if (!unit) {
                assert_null(u);
                return;
        }
        assert_non_null(u);
        _cleanup_free_ char *us = xstrndup(u, n);
        assert_string_equal(us, unit);
}

static void test_proc_pid_parse_cgroup(void **state)
{
        (void) state;
        /* This machine: hybrid, nothing below the root in either hierarchy. */
        check_cgroup("collect/proc-real/7038", "/", NULL);
        check_cgroup("collect/proc-cases/900", "/system.slice/nginx.service", "nginx.service");
        /* v1 hybrid with an empty unified line: systemd's named hierarchy is the truth */
        check_cgroup("collect/proc-cases/901", "/system.slice/cron.service", "cron.service");
        check_cgroup("collect/proc-cases/902",
                     "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef"
                     "0123456789abcdef.scope",
                     "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                     ".scope");
        check_cgroup("collect/proc-cases/4242", "/user.slice/user-1000.slice/session-2.scope",
                     "session-2.scope");
        check_cgroup("collect/proc-cases/1", "/init.scope", "init.scope");
}

static void test_proc_pid_cgroup_unit_edge(void **state)
{
        static const struct {
                const char *path, *unit;
        } cases[] = {
                {"/system.slice/nginx.service/worker", "nginx.service"},
                {"/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
                 "foo.service"},
                {"/system.slice/var-lib.mount", "var-lib.mount"},
                {"/system.slice", NULL},
                {"/", NULL},
                {"", NULL},
                {"/.service", NULL},
                {"relative.socket", "relative.socket"},
                {"//x.swap//", "x.swap"},
        };
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = 0;
                const char *u = proc_pid_cgroup_unit(cases[i].path, &n);
                if (!cases[i].unit) {
                        assert_null(u);
                        continue;
                }
                assert_non_null(u);
                assert_int_equal(n, strlen(cases[i].unit));
                assert_memory_equal(u, cases[i].unit, n);
        }
}

static void test_proc_pid_parse_cgroup_bad(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        char *path = NULL;

        (void) state;
        set_text(&b, "4:memory:/x\n3:cpu:/\n");
        assert_int_equal(proc_pid_parse_cgroup(&b, &path), -ENODATA);
        set_text(&b, "garbage\n");
        assert_int_equal(proc_pid_parse_cgroup(&b, &path), -EINVAL);
        set_text(&b, "");
        assert_int_equal(proc_pid_parse_cgroup(&b, &path), -ENODATA);
        assert_null(path);
        /* pure v1 systemd host */
        set_text(&b, "2:cpu,cpuacct:/system.slice/a.service\n1:name=systemd:/system.slice/"
                     "a.service");
        assert_int_equal(proc_pid_parse_cgroup(&b, &path), 0);
        assert_string_equal(path, "/system.slice/a.service");
        free(path);
}

static void test_proc_pid_cmdline(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        _cleanup_close_ int odd = test_data_open("collect/proc-cases/4242");
        _cleanup_close_ int kthread = test_data_open("collect/proc-cases/300");
        _cleanup_close_ int big = test_data_open("collect/proc-cases/800");
        _cleanup_close_ int gone = test_data_open("collect/proc-cases/600");

        (void) state;
        assert_int_equal(proc_pid_read_cmdline(&b, odd), 0);
        _cleanup_free_ char *s = proc_pid_parse_cmdline(&b);
        assert_string_equal(s, "./a) b (c --flag x?y");

        assert_int_equal(proc_pid_read_cmdline(&b, kthread), 0);
        _cleanup_free_ char *k = proc_pid_parse_cmdline(&b);
        assert_string_equal(k, "");

        /* 70,009 bytes: cut at the cap, reported, not an error. */
        assert_int_equal(proc_pid_read_cmdline(&b, big), 1);
        assert_int_equal(b.len, PROC_CMDLINE_MAX);
        _cleanup_free_ char *l = proc_pid_parse_cmdline(&b);
        assert_int_equal(strlen(l), PROC_CMDLINE_MAX);
        assert_memory_equal(l, "longargs xxx", 12);

        assert_int_equal(proc_pid_read_cmdline(&b, gone), -ENOENT);
}

static void test_proc_pid_cmdline_exactly_at_cap(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/cmdline", dir);
        _cleanup_free_ char *data = xmalloc(PROC_CMDLINE_MAX + 1);

        (void) state;
        memset(data, 'a', PROC_CMDLINE_MAX + 1);
        data[PROC_CMDLINE_MAX - 1] = '\0';
        for (int extra = 0; extra <= 1; extra++) {
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, data, PROC_CMDLINE_MAX + (size_t) extra),
                                 PROC_CMDLINE_MAX + extra);
                _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_int_equal(proc_pid_read_cmdline(&b, dfd), extra);
                _cleanup_free_ char *s = proc_pid_parse_cmdline(&b);
                assert_int_equal(strlen(s), PROC_CMDLINE_MAX - 1); /* the trailing NUL goes */
        }
        test_rm_rf(dir);
}

static void test_proc_pid_count_fds(void **state)
{
        _cleanup_close_ int real = test_data_open("collect/proc-real/1");
        _cleanup_close_ int odd = test_data_open("collect/proc-cases/4242");
        _cleanup_close_ int kthread = test_data_open("collect/proc-cases/2");
        _cleanup_close_ int gone = test_data_open("collect/proc-cases/600");
        char buf[1024];

        (void) state;
        assert_int_equal(proc_pid_count_fds(real, buf, sizeof(buf)), 275);
        assert_int_equal(proc_pid_count_fds(odd, buf, sizeof(buf)), 5);
        assert_int_equal(proc_pid_count_fds(kthread, buf, sizeof(buf)), 0);
        assert_int_equal(proc_pid_count_fds(gone, buf, sizeof(buf)), -ENOENT);
}

static void test_proc_pid_live_self(void **state)
{
        _cleanup_(procbuf_done) ProcBuf b = {};
        _cleanup_close_ int fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ProcPidStat st;
        ProcPidIo io;
        char buf[4096];

        (void) state;
        assert_true(fd >= 0);
        assert_int_equal(procbuf_read_at(&b, fd, "stat"), 0);
        assert_int_equal(proc_pid_parse_stat(&b, &st), 0);
        assert_int_equal(st.pid, getpid());
        assert_int_equal(st.ppid, getppid());
        assert_int_equal(procbuf_read_at(&b, fd, "io"), 0);
        assert_int_equal(proc_pid_parse_io(&b, &io), 0);
        assert_true(io.rchar > 0);
        assert_true(proc_pid_count_fds(fd, buf, sizeof(buf)) >= 3);

        /* statm resident is status VmRSS exactly (both sum the per-CPU counters); nothing
         * in between allocates enough to fault pages in. */
        ProcPidStatm sm;
        ProcPidStatus ss;
        uint64_t page = (uint64_t) sysconf(_SC_PAGESIZE);
        for (int i = 0; i < 3; i++) { /* a page fault in between would move it */
                assert_int_equal(procbuf_read_at(&b, fd, "status"), 0);
                assert_int_equal(proc_pid_parse_status(&b, &ss), 0);
                assert_int_equal(procbuf_read_at(&b, fd, "statm"), 0);
                assert_int_equal(proc_pid_parse_statm(&b, &sm), 0);
                if (sm.resident_pages * page == ss.vm_rss_bytes)
                        break;
        }
        assert_int_equal(sm.resident_pages * page, ss.vm_rss_bytes);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proc_pid_parse_stat_real_bash),
                cmocka_unit_test(test_proc_pid_parse_stat_real_init),
                cmocka_unit_test(test_proc_pid_parse_stat_kernel_thread),
                cmocka_unit_test(test_proc_pid_parse_stat_comm_with_parens),
                cmocka_unit_test(test_proc_pid_parse_stat_edge),
                cmocka_unit_test(test_proc_pid_parse_statm),
                cmocka_unit_test(test_proc_pid_parse_schedstat),
                cmocka_unit_test(test_proc_pid_parse_status),
                cmocka_unit_test(test_proc_pid_parse_io),
                cmocka_unit_test(test_proc_pid_parse_cgroup),
                cmocka_unit_test(test_proc_pid_cgroup_unit_edge),
                cmocka_unit_test(test_proc_pid_parse_cgroup_bad),
                cmocka_unit_test(test_proc_pid_cmdline),
                cmocka_unit_test(test_proc_pid_cmdline_exactly_at_cap),
                cmocka_unit_test(test_proc_pid_count_fds),
                cmocka_unit_test(test_proc_pid_live_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

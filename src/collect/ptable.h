/* The process table: one scan of /proc (or of a fixture tree laid out like it) gives every
 * process (thread-group leaders only, not /proc/<pid>/task) with its identity, resources,
 * and the CPU and I/O rates since the previous scan of the same process.
 *
 * A process is identified by (pid, starttime): a reused pid is a new process. What does not
 * change during a process's life (cmdline after exec, cgroup) is read when it is first seen
 * and cached under that key; see PTABLE_REFRESH_SCANS for when it is re-read. Entries of
 * processes gone at a scan are dropped at the end of that scan.
 *
 * Everything a ProcInfo points to (cmdline, user, cgroup, unit) is owned by the table and
 * valid until the next ptable_scan() or ptable_free(). Not thread-safe: one table per thread.
 *
 * Intended use by the agent, each cycle: scan with only the cached fields,
 *         ptable_set_fields(t, PTABLE_FIELD_CGROUP | PTABLE_FIELD_CMDLINE |
 *                                  PTABLE_FIELD_SKIP_IDLE);                   (once)
 *         ptable_scan(t, now_ms);
 * which reads stat (CPU%, approximate rss) for everyone that ran, pick the processes worth
 * storing (top N by CPU and by memory, members of key services, watched pids), then
 *         ptable_read_details(t, pids, n, PTABLE_FIELD_STATM | PTABLE_FIELD_IO |
 *                                             PTABLE_FIELD_FDS);
 * for just those. With ~1,000 mostly idle processes that is about a third of a default-field
 * scan; the figures are in bench/results/cycle-cost.md.
 *
 * Descriptors. Between scans the entry of each process keeps /proc/<pid> and the files read
 * every scan (stat, and statm and io when those fields are on, fd/ as O_PATH for the count,
 * schedstat with PTABLE_FIELD_SKIP_IDLE for single-threaded processes; also those
 * ptable_read_details() read for it since the previous scan) open, and re-reads
 * them with one pread() at offset 0: half the cost of opening them again. A kept descriptor pins
 * the process it was opened for: once that process is reaped its reads fail (ESRCH), and a new
 * process reusing the pid is never seen through it; the table then drops the entry and reopens
 * /proc/<pid> by path. Hence a process costs up to 6 descriptors (O_CLOEXEC, all closed by
 * ptable_free()), and the table one more for <proc_root>/loadavg (see PTABLE_RELIST_SCANS). The
 * budget: ptable_new() raises the soft RLIMIT_NOFILE to the hard limit (best effort; like systemd,
 * which is why a caller that exec()s programs using select() should lower it again for them), and
 * the table keeps at most limit - max(256, limit / 4) descriptors; processes past that are opened
 * and closed in each scan as before. If an open fails with EMFILE or ENFILE anyway (the rest of the
 * program used the descriptors), the table halves its budget, closes kept descriptors and retries:
 * a scan never fails or loses a process for it; the budget grows back by 256 per scan. Fixture
 * trees work the same (pread() of a regular file), as long as tests rewrite files in place rather
 * than replacing them.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/metric.h"
#include "collect/proc-pid.h"
#include "core/macro.h"

typedef struct ProcInfo {
        pid_t pid, ppid;
        char state; /* stat (3): R S D Z T t I X W P K */
        char comm[PROC_COMM_MAX];
        /* The arguments separated by spaces, or "[comm]" (as ps) when empty: kernel
         * threads, zombies, and processes that cleared it. Never NULL. */
        const char *cmdline;
        const char *user; /* name of uid, or the number when unknown; never NULL */
        uid_t uid;        /* owner of /proc/<pid>; the effective uid with PTABLE_FIELD_STATUS */
        uid_t uid_real;   /* == uid unless PTABLE_FIELD_STATUS */
        int nice, priority;
        uint32_t threads;
        int processor;          /* CPU it last ran on, -1 unknown */
        uint64_t start_time_ms; /* epoch ms: starttime ticks after btime (/proc/stat) */
        uint64_t starttime_ticks;
        uint64_t cpu_ticks; /* utime + stime, stat (14) + (15) */
        double cpu_percent; /* over the interval; 100 = one full core; NaN when first seen */
        /* With PTABLE_FIELD_STATM (in the scan, or after ptable_read_details() of it) statm
         * (2) and (1) × page size, exact, what ps shows.
         * Without it (or if statm is unreadable) stat (24) × page size and stat (23): rss is
         * then approximate on Linux >= 6.2, where stat reads the per-CPU RSS counters
         * without summing them (here: 14,008 KiB for pid 1 where statm, status and ps say
         * 14,216). */
        uint64_t rss_bytes;
        uint64_t vsz_bytes;
        uint64_t swap_bytes; /* status VmSwap; 0 unless PTABLE_FIELD_STATUS */
        double mem_percent;  /* rss / MemTotal × 100; NaN if MemTotal is unknown */
        uint64_t minflt, majflt;
        bool io_known;                    /* io was readable (not EACCES, not disabled) */
        uint64_t read_bytes, write_bytes; /* io, storage layer; 0 unless io_known */
        uint64_t rchar, wchar;
        /* Since the previous io reading of the process, by a scan or ptable_read_details(),
         * however long ago; NaN unknown, first reading, or io not read this cycle. */
        double read_bytes_per_s, write_bytes_per_s;
        int64_t fds;        /* open descriptors, -1 unknown or not requested */
        const char *cgroup; /* NULL unknown or not requested */
        const char *unit;   /* systemd unit from the cgroup, NULL if none */
        bool kernel_thread; /* PF_KTHREAD */
        bool cmdline_truncated;
} ProcInfo;

/* Cost of a steady-state scan (after the first, descriptors kept) of ~1,065 processes on
 * the reference VM (kernel 6.18, 2 vCPUs, -O3, CPU time, medians of 100 scans): stat alone
 * 5.5-8.4 ms (9-13 ms when every file was opened each scan); with io, fds, cgroup and
 * cmdline 10-12.5 ms (was 16-22); the default (that + statm) 14-15 ms. Nearly all of it is
 * kernel time: generating stat is ~5 us per process and a syscall ~1 us here; io adds ~3,
 * statm ~3, fds ~1 (fstat() of a kept fd/), status ~7 (opened each scan); cmdline and
 * cgroup cost ~8 only for new processes. A first scan costs 30-50 ms. */
typedef enum PtableField {
        PTABLE_FIELD_IO = 1 << 0,      /* /proc/<pid>/io every scan */
        PTABLE_FIELD_FDS = 1 << 1,     /* count of fd/ every scan */
        PTABLE_FIELD_CGROUP = 1 << 2,  /* cgroup and unit, cached */
        PTABLE_FIELD_CMDLINE = 1 << 3, /* cached; without it cmdline is "[comm]" */
        /* /proc/<pid>/status every scan, for real and effective uid and swap. Without it the
         * uid is the owner of /proc/<pid> (htop, procps), one fstat(): the effective uid,
         * except that the kernel shows root for non-dumpable processes (setuid programs,
         * sshd privilege separation). */
        PTABLE_FIELD_STATUS = 1 << 4,
        /* /proc/<pid>/statm every scan, for exact rss_bytes and vsz_bytes (see ProcInfo). */
        PTABLE_FIELD_STATM = 1 << 5,
        /* The owner (uid) re-read every scan, one fstat() (~1.3 µs here); without it the
         * uid is read when a process is first seen and kept, so a later setuid() goes
         * unnoticed (the agent, which stores no uid, leaves it off). */
        PTABLE_FIELD_OWNER = 1 << 6,
        /* Skip stat for single-threaded processes that have not run since it was last read:
         * the scan first preads the process's kept schedstat (~2 us here against ~5.5 for
         * stat), and if its runtime, timeslices and run delay are those read just before the
         * last stat, it keeps the last ProcInfo (same cpu_ticks, so cpu_percent is 0 over the
         * interval, which is exact: the task was not on a CPU). Otherwise, and on the
         * process's refresh turn (every PTABLE_IDLE_REFRESH_SCANS scans, staggered by pid),
         * stat is read as usual. Multi-threaded processes (stat (20) > 1 at the last read)
         * always get stat: schedstat is per task and covers the leader only. A process that
         * had one thread can only get more by running (clone), which schedstat shows.
         *
         * What a skipped stat can leave stale, until the process next runs (the scan after
         * that reads stat) and at most PTABLE_IDLE_REFRESH_SCANS - 1 scans after the last
         * stat read (4.5 minutes at the agent's default 30 s cycle); everything else in stat
         * changes only when the task itself runs:
         *  - state: a sleeping (S, D) or stopped (T, t) task that was woken (or continued) but
         *    has not been given a CPU yet shows its old state instead of R. Going the other
         *    way (to S, D, T, Z) takes running, so is never missed.
         *  - rss_bytes (stat (24)), and vsz_bytes: memory reclaim, swap-out, KSM merging,
         *    process_madvise(MADV_PAGEOUT) and truncation of mapped files shrink rss without
         *    the task running; a process sharing its mm without being a thread (vfork()
         *    child, clone(CLONE_VM)) can change both. Exact figures come from statm, which
         *    ptable_read_details() (and PTABLE_FIELD_STATM) read every time regardless.
         *  - ppid (reparented when the parent exits), nice and priority (setpriority(), PI
         *    boosting by another task), processor (a wakeup may pick another CPU before the
         *    task runs).
         *  - minflt and majflt look stale only in the same sense as the rest (they are the
         *    last stat's): faults are counted on the task taking them, so an idle process
         *    has none to miss. utime and stime cannot move without runtime moving.
         * A run too short for the scheduler clock (jiffy-based sched_clock, no TSC) would be
         * missed, but adds no CPU time to stat either. For the agent this is acceptable: it
         * stores CPU and memory of the top processes, the CPU figure is exact, a process can
         * only grow its memory by running, and those it stores get exact memory from statm
         * through ptable_read_details(); state, owner and ppid are not stored (services use
         * state only for Z, which takes running to reach, and ppid only to find a unit's
         * main process, whose stale parent is gone from the table either way). `aiops ps`
         * needs every field exact and does not set this flag.
         *
         * No schedstat (CONFIG_SCHED_INFO off, fixture trees without it), EACCES, or "0 0 0"
         * for a process whose stat shows CPU time (sched_info off): stat every scan, as
         * without the flag. Costs one more kept descriptor per single-threaded process (see
         * the top of this file). Measured (release, 1,066 processes of which 1,000 paused
         * children, medians of 300 steady-state scans, 3 runs): CGROUP | CMDLINE 7.9-8.1 ms,
         * with SKIP_IDLE 4.5-4.6 ms. Fixture trees: a stat rewritten with a new start time (pid
         * reuse) is noticed only once schedstat changes too or on the refresh turn; on procfs
         * the kept descriptor fails (ESRCH) once the process is reaped, as stat's does. */
        PTABLE_FIELD_SKIP_IDLE = 1 << 7,
        PTABLE_FIELDS_DEFAULT = PTABLE_FIELD_IO | PTABLE_FIELD_FDS | PTABLE_FIELD_CGROUP |
                                PTABLE_FIELD_CMDLINE | PTABLE_FIELD_STATM | PTABLE_FIELD_OWNER,
} PtableField;

/* With PTABLE_FIELD_SKIP_IDLE every process still gets a full stat read at least every this
 * many scans: at scans where (scan number + pid) is a multiple of it. */
#define PTABLE_IDLE_REFRESH_SCANS 10

/* A scan lists the proc root (getdents64) only when a process or thread may have been
 * created since the previous one: when <proc_root>/loadavg's thread count (4) or last
 * allocated pid (5) moved. Otherwise it reads again the processes of the last scan, the
 * ended ones dropping out as usual (their kept descriptors fail), which gives the same
 * processes, in the same order, with the same values; hence no flag turns it off. It lists
 * anyway at least every this many scans, the safety net for what loadavg cannot show (pids
 * set by checkpoint/restore, a /proc of another pid namespace that passes ptable_new()'s
 * check; see ptable_scan() in ptable.c), after each change until loadavg stayed the same over
 * a whole scan interval (a process between its pid allocation and its appearance in /proc is
 * not listed yet), when a process of the last scan could not be read (EACCES, no descriptor)
 * or is past the descriptor budget, and always without a loadavg (fixture trees, or a /proc
 * of another pid namespace). Measured (release, 1,064 processes of which 1,000 paused
 * children, CGROUP | CMDLINE | SKIP_IDLE, medians of 300 scans, 3 runs): 4.8-4.9 ms a scan
 * listing every time, 3.7-3.8 ms skipping. */
#define PTABLE_RELIST_SCANS 60

/* Cached cmdline and cgroup of a live process are re-read every this many scans (staggered
 * by pid so that no scan pays for all), and at once when comm changes (an exec after the
 * process was first seen between fork and exec). Catches setproctitle() and cgroup moves. */
#define PTABLE_REFRESH_SCANS 60

typedef struct ProcTable ProcTable;

/* proc_root is "/proc" or a fixture tree with the same layout (<pid>/stat..., stat for
 * btime, meminfo for MemTotal). -errno if it cannot be opened or its stat has no btime.
 * Raises the soft RLIMIT_NOFILE to the hard limit (see the top of this file). */
int ptable_new(const char *proc_root, ProcTable **ret);
ProcTable *ptable_free(ProcTable *t);
DEFINE_FREEP(ProcTable, ptable_free)

/* Which optional files to read (PtableField bits); default PTABLE_FIELDS_DEFAULT. Takes
 * effect at the next scan. */
void ptable_set_fields(ProcTable *t, unsigned fields);
/* The passwd file for user names (default /etc/passwd); copied. For tests. */
void ptable_set_passwd_path(ProcTable *t, const char *path);
/* The monotonic clock (ns) that times intervals; default time_mono_ns(). For tests. */
void ptable_set_clock(ProcTable *t, int64_t (*mono_ns)(void *userdata), void *userdata);

/* Rescans the table. Processes that vanish while being read (ENOENT/ESRCH at any step) are
 * left out; fields that cannot be read (EACCES) are marked unknown. now_ms (epoch) stamps
 * the sample. 0, or -errno if the proc root itself cannot be listed (the previous contents
 * then remain). */
int ptable_scan(ProcTable *t, int64_t now_ms);

/* Reads the optional per-process files in `fields` (PTABLE_FIELD_STATM, _IO, _FDS; others
 * ignored) for just these pids, after a ptable_scan() that did not read them for everyone,
 * and updates their ProcInfo in place (exact rss/vsz and mem_percent from statm, io totals
 * and rates, fds); pointers from ptable_get()/ptable_sorted() stay valid, and sorting
 * afterwards sees the new values. I/O rates are computed against the previous io reading of
 * the same process (pid + starttime), whenever that was (a previous scan or a previous
 * ptable_read_details()), over the time between the two readings (the clock is read once
 * per call); NaN when there is none. A process whose io was read at the same clock reading
 * already (a pid listed twice) keeps that reading. Pids not in the table are ignored; a
 * process that vanished in between keeps its scan values, and so does a field that cannot
 * be read (EACCES). Descriptors follow the budget (see the top of this file). 0, or -EINVAL
 * for bad arguments only. */
int ptable_read_details(ProcTable *t, const pid_t *pids, size_t n, unsigned fields);

/* The processes of the last scan, ordered by pid. */
size_t ptable_count(const ProcTable *t);
const ProcInfo *ptable_get(const ProcTable *t, size_t i);
/* NULL if pid was not there at the last scan. */
const ProcInfo *ptable_find(const ProcTable *t, pid_t pid);
/* Epoch ms of the last scan, 0 before the first. */
int64_t ptable_sample_time_ms(const ProcTable *t);
/* MemTotal in bytes from the last scan, 0 if unknown. */
uint64_t ptable_mem_total_bytes(const ProcTable *t);
/* How many scans listed the proc root (see PTABLE_RELIST_SCANS). For tests and statistics. */
uint64_t ptable_listings(const ProcTable *t);

typedef enum PtableSort {
        PTABLE_SORT_PID, /* ascending */
        PTABLE_SORT_CPU, /* descending cpu_percent; unknown last */
        PTABLE_SORT_MEM, /* descending rss_bytes */
        PTABLE_SORT_IO,  /* descending read + write bytes per second; unknown last */
        PTABLE_SORT_FDS, /* descending fds; unknown last */
        _PTABLE_SORT_MAX,
        _PTABLE_SORT_INVALID = -EINVAL,
} PtableSort;

/* "pid", "cpu", "mem", "io", "fds"; _PTABLE_SORT_INVALID otherwise. */
PtableSort ptable_sort_from_string(const char *s);
/* Fills ret (ptable_count() slots) with every process in key order, ties by pid. */
void ptable_sorted(const ProcTable *t, PtableSort key, const ProcInfo **ret);

typedef struct ProcTreeNode {
        const ProcInfo *proc;
        unsigned depth;  /* 0 for a root */
        bool last_child; /* no later sibling: draw "└─" rather than "├─" */
} ProcTreeNode;

/* The forest in depth-first order, like `ps --forest` / pstree: each process is followed by
 * its children (siblings in `key` order). With root > 0 only that process and its
 * descendants; root 0 gives every process, roots being those whose parent is not in the
 * table. ret needs ptable_count() slots; returns the number filled (0 if root is absent). */
size_t ptable_tree(const ProcTable *t, pid_t root, PtableSort key, ProcTreeNode *ret);

/* Emits the process's known values (NaN and unknown ones are skipped) as process_cpu_percent,
 * process_resident_memory_bytes, process_virtual_memory_bytes, process_memory_percent,
 * process_read_bytes_per_second, process_write_bytes_per_second, process_open_fds and
 * process_threads, each labelled pid, comm. */
void proc_info_foreach_metric(const ProcInfo *p, MetricFn fn, void *userdata);

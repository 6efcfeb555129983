/* Parsers for the files of one /proc/<pid> directory (proc(5)). Every parser takes the text a
 * ProcBuf holds (NUL-terminated, possibly hostile: a process chooses its own comm and
 * cmdline), never reads past it, and fills a caller-owned struct; nothing here allocates
 * except the cmdline/cgroup helpers that say so. Readers take a directory fd, never a path,
 * so tests hand them a fixture tree. No global state; thread-safe on distinct buffers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/procbuf.h"

/* The kernel's TASK_COMM_LEN is 16, but kernel threads show longer names in stat since 6.x
 * ("kworker/u8:1-ext4-rsv-conversion"); 64 holds those, longer names are cut. */
#define PROC_COMM_MAX 64

/* cmdline is read up to this many bytes; a longer one (up to ARG_MAX, i.e. MiBs) is shown
 * truncated rather than failing the process. */
#define PROC_CMDLINE_MAX ((size_t) 64 << 10)

/* PF_KTHREAD in stat field 9 (flags): the only reliable kernel-thread test, since a user
 * process can have an empty cmdline too (zombies, or by clearing it). */
#define PROC_PF_KTHREAD UINT64_C(0x00200000)

typedef struct ProcPidStat {
        pid_t pid;                /* (1) */
        char comm[PROC_COMM_MAX]; /* (2), without the parentheses, cut at PROC_COMM_MAX-1 */
        char state;               /* (3) R S D Z T t W X x K W P I */
        pid_t ppid;               /* (4) */
        pid_t pgrp;               /* (5) */
        pid_t session;            /* (6) */
        int tty_nr;               /* (7) */
        uint64_t flags;           /* (9) PF_* */
        uint64_t minflt;          /* (10) */
        uint64_t majflt;          /* (12) */
        uint64_t utime_ticks;     /* (14) clock ticks */
        uint64_t stime_ticks;     /* (15) clock ticks */
        int priority;             /* (18) */
        int nice;                 /* (19) */
        uint32_t num_threads;     /* (20) */
        uint64_t starttime_ticks; /* (22) clock ticks after boot */
        uint64_t vsize_bytes;     /* (23) bytes */
        uint64_t rss_pages;       /* (24) pages; approximate, see ProcPidStatm */
        int processor;            /* (39) last CPU; -1 if the line is too short */
} ProcPidStat;

typedef struct ProcPidStatus {
        uid_t uid_real, uid_effective; /* "Uid:" fields 1 and 2 */
        uint64_t vm_rss_bytes;         /* "VmRSS:"; 0 for kernel threads and zombies */
        uint64_t vm_swap_bytes;        /* "VmSwap:" */
        bool has_vm;                   /* VmRSS was present */
} ProcPidStatus;

/* /proc/<pid>/statm, all in pages (proc(5)). Unlike stat (24), which since Linux 6.2 reads
 * the per-CPU RSS counters without summing them (pid 1 here: 14,008 KiB in stat, 14,216 KiB
 * in statm, status VmRSS and ps), resident is the exact sum. All zero for kernel threads
 * and zombies. */
typedef struct ProcPidStatm {
        uint64_t size_pages;     /* (1) VmSize */
        uint64_t resident_pages; /* (2) VmRSS: RssAnon + RssFile + RssShmem */
        uint64_t shared_pages;   /* (3) RssFile + RssShmem */
        uint64_t text_pages;     /* (4) VmExe */
        uint64_t lib_pages;      /* (5) always 0 since Linux 2.6 */
        uint64_t data_pages;     /* (6) VmData + VmStk */
        uint64_t dt_pages;       /* (7) always 0 since Linux 2.6 */
} ProcPidStatm;

/* /proc/<pid>/schedstat (Documentation/scheduler/sched-stats.rst), of the task with that id
 * only: for a thread-group leader it leaves out the other threads. The file exists with
 * CONFIG_SCHED_INFO (Debian, Fedora, RHEL kernels have it); a kernel where sched_info_on()
 * is false shows "0 0 0". Cheaper to generate than stat (~2 against ~5.5 us here). */
typedef struct ProcPidSchedstat {
        uint64_t runtime_ns;   /* (1) se.sum_exec_runtime: time on a CPU */
        uint64_t run_delay_ns; /* (2) sched_info.run_delay: time runnable, waiting for a CPU */
        uint64_t timeslices;   /* (3) sched_info.pcount: times it was put on a CPU */
} ProcPidSchedstat;

typedef struct ProcPidIo {
        uint64_t rchar, wchar; /* bytes passed to read()/write() and friends */
        uint64_t syscr, syscw; /* read/write system calls */
        uint64_t read_bytes;   /* bytes fetched from the storage layer */
        uint64_t write_bytes;  /* bytes sent to the storage layer */
        uint64_t cancelled_write_bytes /* truncated dirty page cache */;
} ProcPidIo;

/* /proc/<pid>/stat. 0, or -EINVAL when the text is not a stat line (fields 1-24 required). */
int proc_pid_parse_stat(const ProcBuf *b, ProcPidStat *ret);
/* /proc/<pid>/statm. 0, or -EINVAL unless the line holds seven numbers (and nothing else but
 * blanks and one trailing newline), -ERANGE if one overflows. */
int proc_pid_parse_statm(const ProcBuf *b, ProcPidStatm *ret);
/* /proc/<pid>/schedstat. 0, or -EINVAL unless the line holds three numbers (and nothing else
 * but blanks and one trailing newline), -ERANGE if one overflows. */
int proc_pid_parse_schedstat(const ProcBuf *b, ProcPidSchedstat *ret);
/* /proc/<pid>/status. 0, or -EINVAL without a valid "Uid:" line. */
int proc_pid_parse_status(const ProcBuf *b, ProcPidStatus *ret);
/* /proc/<pid>/io. 0, or -EINVAL unless all seven fields were found. */
int proc_pid_parse_io(const ProcBuf *b, ProcPidIo *ret);

/* /proc/<pid>/cgroup: picks the cgroup v2 line ("0::/path") when its path is more than "/",
 * else the v1 "name=systemd" line (hybrid and legacy systemd hosts), else the v2 line.
 * Returns a newly allocated path in *ret_path; -ENODATA when neither line is present,
 * -EINVAL on malformed text. */
int proc_pid_parse_cgroup(const ProcBuf *b, char **ret_path);
/* The systemd unit a cgroup path belongs to: the last component ending in .service, .scope,
 * .socket, .mount or .swap (the unit types that own processes), so a service's delegated
 * sub-cgroups still map to it. Returns a pointer into path and sets *ret_len, or NULL. */
const char *proc_pid_cgroup_unit(const char *path, size_t *ret_len);

/* Reads /proc/<pid>/cmdline relative to pid_fd into b, at most PROC_CMDLINE_MAX bytes.
 * 0 when complete, 1 when cut at the cap, or -errno as procbuf_read_at(). */
int proc_pid_read_cmdline(ProcBuf *b, int pid_fd);
/* Turns the NUL-separated arguments in b into one newly allocated line: separators and
 * control characters become ' ' and '?' (the text is the process's own, and ends up on
 * terminals), trailing NULs are dropped. "" for an empty cmdline (kernel threads, zombies). */
char *proc_pid_parse_cmdline(const ProcBuf *b);

/* Counts the entries of <pid_fd>/fd with getdents64 into the caller's reused buffer (at
 * least 1 KiB). >= 0, or -errno: -EACCES (another user's process), -ENOENT (gone). */
int proc_pid_count_fds(int pid_fd, void *buf, size_t size);

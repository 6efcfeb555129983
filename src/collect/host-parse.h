/* Parsers for the kernel text files the host collector reads, split out so the unit tests and
 * the fuzzer can feed them any bytes. Every function takes a NUL-terminated buffer, never reads
 * past the NUL, never allocates, and skips a line it cannot parse instead of failing the file.
 * Multi-line parsers return how many lines they skipped (>= 0), which the collector reports. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* Columns of the "cpu" line of /proc/stat, in kernel order (proc(5) /proc/stat). */
typedef enum HostCpuMode {
        HOST_CPU_USER,
        HOST_CPU_NICE,
        HOST_CPU_SYSTEM,
        HOST_CPU_IDLE,
        HOST_CPU_IOWAIT,     /* since Linux 2.5.41 */
        HOST_CPU_IRQ,        /* since 2.6.0 */
        HOST_CPU_SOFTIRQ,    /* since 2.6.0 */
        HOST_CPU_STEAL,      /* since 2.6.11 */
        HOST_CPU_GUEST,      /* since 2.6.24; already counted in user */
        HOST_CPU_GUEST_NICE, /* since 2.6.33; already counted in nice */
        _HOST_CPU_MODE_MAX,
        _HOST_CPU_MODE_INVALID = -EINVAL,
} HostCpuMode;

const char *host_cpu_mode_to_string(HostCpuMode m);

enum {
        HOST_STAT_HAS_CPU = 1 << 0,
        HOST_STAT_HAS_INTR = 1 << 1,
        HOST_STAT_HAS_CTXT = 1 << 2,
        HOST_STAT_HAS_PROCESSES = 1 << 3,
        HOST_STAT_HAS_PROCS_RUNNING = 1 << 4,
        HOST_STAT_HAS_PROCS_BLOCKED = 1 << 5,
};

/* /proc/stat. Columns the kernel did not print (older kernels) are 0. */
typedef struct HostStatRaw {
        uint64_t cpu[_HOST_CPU_MODE_MAX]; /* jiffies (USER_HZ) since boot, all CPUs */
        unsigned n_cpus;                  /* "cpuN" lines: CPUs online now */
        uint64_t intr;                    /* first field of "intr": all interrupts */
        uint64_t ctxt;
        uint64_t processes; /* forks since boot */
        uint64_t procs_running;
        uint64_t procs_blocked;
        unsigned present; /* HOST_STAT_HAS_* */
} HostStatRaw;

int host_parse_stat(const char *text, HostStatRaw *ret);

/* /proc/loadavg: "0.00 0.06 0.03 1/85 4182". 0 or -EINVAL. */
typedef struct HostLoadRaw {
        double load[3];
        uint64_t running; /* runnable scheduling entities (threads) */
        uint64_t tasks;   /* all threads */
} HostLoadRaw;

int host_parse_loadavg(const char *text, HostLoadRaw *ret);

typedef enum HostMemField {
        HOST_MEM_TOTAL,
        HOST_MEM_FREE,
        HOST_MEM_AVAILABLE,
        HOST_MEM_BUFFERS,
        HOST_MEM_CACHED,
        HOST_MEM_SWAP_TOTAL,
        HOST_MEM_SWAP_FREE,
        HOST_MEM_DIRTY,
        HOST_MEM_WRITEBACK,
        HOST_MEM_SHMEM,
        HOST_MEM_SLAB,
        HOST_MEM_SRECLAIMABLE,
        _HOST_MEM_FIELD_MAX,
} HostMemField;

/* /proc/meminfo, in bytes (the file says kB and means KiB). */
typedef struct HostMemRaw {
        uint64_t bytes[_HOST_MEM_FIELD_MAX];
        unsigned present; /* 1 << HostMemField */
} HostMemRaw;

int host_parse_meminfo(const char *text, HostMemRaw *ret);

enum {
        HOST_PSI_SOME,
        HOST_PSI_FULL,
        _HOST_PSI_KIND_MAX,
};

/* /proc/pressure/{cpu,memory,io}: "some avg10=3.11 avg60=0.68 avg300=0.29 total=2106335". The
 * "full" line of cpu exists since 5.13 (always 0 system-wide). */
typedef struct HostPsiRaw {
        bool present[_HOST_PSI_KIND_MAX];
        double avg[_HOST_PSI_KIND_MAX][3]; /* percent over 10 s, 60 s, 300 s */
        uint64_t total_us[_HOST_PSI_KIND_MAX];
} HostPsiRaw;

int host_parse_pressure(const char *text, HostPsiRaw *ret);

/* DISK_NAME_LEN in include/linux/blkdev.h is 32; longer names cannot be real. */
#define HOST_DISK_NAME_MAX 32

/* One line of /proc/diskstats (Documentation/admin-guide/iostats.rst fields 1-11). */
typedef struct HostDiskRaw {
        char name[HOST_DISK_NAME_MAX + 1];
        uint64_t reads;         /* field 1: reads completed */
        uint64_t read_sectors;  /* field 3: 512-byte sectors, whatever the device's size */
        uint64_t read_ms;       /* field 4 */
        uint64_t writes;        /* field 5 */
        uint64_t write_sectors; /* field 7 */
        uint64_t write_ms;      /* field 8 */
        uint64_t in_progress;   /* field 9: a gauge, not a counter */
        uint64_t io_ms;         /* field 10: ms with at least one I/O in flight */
} HostDiskRaw;

typedef void (*HostDiskFn)(void *userdata, const HostDiskRaw *d);
int host_parse_diskstats(const char *text, HostDiskFn fn, void *userdata);
/* loop, ram, zram, sr (optical) and fd (floppy) devices are not storage worth watching. */
bool host_disk_is_ignored(const char *name);

/* IFNAMSIZ is 16 including the NUL. */
#define HOST_NET_NAME_MAX 15

/* One line of /proc/net/dev (the 8 receive and 8 transmit columns; we keep 4 of each). */
typedef struct HostNetRaw {
        char name[HOST_NET_NAME_MAX + 1];
        uint64_t rx_bytes, rx_packets, rx_errors, rx_drops;
        uint64_t tx_bytes, tx_packets, tx_errors, tx_drops;
} HostNetRaw;

typedef void (*HostNetFn)(void *userdata, const HostNetRaw *n);
int host_parse_net_dev(const char *text, HostNetFn fn, void *userdata);

/* One line of /proc/self/mounts (fstab(5) format) with octal escapes (\040 space, \011 tab,
 * \012 newline, \134 backslash) decoded. Lines longer than PATH_MAX per field are skipped. */
typedef void (*HostMountFn)(void *userdata, const char *device, const char *mountpoint,
                            const char *fstype);
int host_parse_mounts(const char *text, HostMountFn fn, void *userdata);
/* False for pseudo and in-memory filesystems that have no disk usage worth watching. */
bool host_fstype_is_real(const char *fstype);

/* /proc/sys/fs/file-nr: "allocated unused max". 0 or -EINVAL. */
typedef struct HostFileNrRaw {
        uint64_t allocated;
        uint64_t unused; /* always 0 since 2.6 */
        uint64_t max;
} HostFileNrRaw;

int host_parse_file_nr(const char *text, HostFileNrRaw *ret);

/* /proc/uptime: "318.12 595.95" (seconds up, seconds idle summed over CPUs). 0 or -EINVAL. */
int host_parse_uptime(const char *text, double *ret_uptime);

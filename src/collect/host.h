/* The host metrics collector: CPU, load, memory, pressure (PSI), filesystems, block devices,
 * network interfaces, file descriptors and uptime, read from the kernel's own text files
 * relative to a proc and a sys root (fixture trees in tests). Not thread-safe: one collector
 * per thread. A collector keeps its files open and re-reads them with pread() into one reused
 * buffer; in steady state a cycle allocates nothing.
 *
 * Rates and CPU percentages are deltas against the previous host_collector_sample() of the same
 * collector over now_ms - previous now_ms; on the first call, when now_ms did not advance, and
 * for any counter that went backwards (CPU hotplug, a device or interface re-created, 32-bit
 * wrap) they are unknown (NaN) for that interval, never negative. Pass a clock that does not
 * jump (the agent's scheduler time); a wall-clock step skews one interval.
 *
 * Metric vocabulary (host_sample_foreach_metric(); values are skipped when unknown):
 *   host_cpu_percent{mode}                   user nice system idle iowait irq softirq steal
 *                                            guest guest_nice; user/nice exclude guest time,
 *                                            so the modes sum to 100
 *   host_cpu_busy_percent                    100 - idle - iowait
 *   host_cpus                                CPUs online ("cpuN" lines of /proc/stat)
 *   host_interrupts_per_second
 *   host_context_switches_per_second
 *   host_forks_per_second
 *   host_procs_running, host_procs_blocked   (/proc/stat)
 *   host_load1, host_load5, host_load15
 *   host_tasks                               threads in the system (/proc/loadavg)
 *   host_memory_total_bytes                  MemTotal
 *   host_memory_free_bytes                   MemFree
 *   host_memory_available_bytes              MemAvailable (or the estimate, see below)
 *   host_memory_available_estimated          1 when MemAvailable was missing, else 0
 *   host_memory_used_bytes                   total - available (free(1) of procps-ng >= 4)
 *   host_memory_used_percent                 used / total
 *   host_memory_buffers_bytes                Buffers
 *   host_memory_cached_bytes                 Cached + SReclaimable (free -w "cache"; free's
 *                                            "buff/cache" is buffers + cached)
 *   host_memory_shared_bytes                 Shmem (free's "shared")
 *   host_memory_dirty_bytes, host_memory_writeback_bytes, host_memory_slab_bytes
 *   host_swap_total_bytes, host_swap_free_bytes, host_swap_used_bytes
 *   host_swap_used_percent                   only when there is swap
 *   host_pressure_avg10_percent{resource,kind}     resource cpu|memory|io, kind some|full
 *   host_pressure_avg60_percent{resource,kind}
 *   host_pressure_avg300_percent{resource,kind}
 *   host_pressure_stall_seconds_total{resource,kind}
 *   host_pressure_stall_seconds_per_second{resource,kind}  delta of total over the interval
 *   host_filesystem_size_bytes{mountpoint,device,fstype}
 *   host_filesystem_used_bytes{...}          blocks - bfree (as df)
 *   host_filesystem_avail_bytes{...}         bavail: what unprivileged users can still write
 *   host_filesystem_used_percent{...}        used / (used + avail), as df (unrounded)
 *   host_filesystem_inodes_total{...}, host_filesystem_inodes_free{...}
 *   host_filesystem_inodes_used_percent{...} only when the filesystem has an inode count
 *   host_disk_reads_per_second{device}, host_disk_writes_per_second{device}
 *   host_disk_read_bytes_per_second{device}, host_disk_write_bytes_per_second{device}
 *   host_disk_busy_percent{device}           io_ticks delta / interval (%util of iostat)
 *   host_disk_await_seconds{device}          (read+write ms delta) / (reads+writes delta); 0
 *                                            when the device did no I/O, as iostat
 *   host_disk_io_in_progress{device}
 *   host_disk_read_bytes_total{device}, host_disk_written_bytes_total{device}
 *   host_network_{receive,transmit}_{bytes,packets,errors,drops}_per_second{interface}
 *   host_network_{receive,transmit}_{bytes,packets,errors,drops}_total{interface}
 *   host_file_descriptors_allocated, host_file_descriptors_max
 *   host_uptime_seconds
 *
 * What is watched: filesystems of /proc/self/mounts except pseudo and in-memory ones (proc,
 * sysfs, cgroup, tmpfs, ramfs, squashfs snaps, iso9660, ... see host_fstype_is_real()) and
 * those reporting 0 blocks; bind mounts of one block device are reported once, under the
 * shortest mount point. Overlay, NFS, CIFS and FUSE filesystems are kept. Block devices of
 * /proc/diskstats except loop, ram, zram, sr and fd; partitions are kept (so do not sum
 * disks and their partitions). Every interface of /proc/net/dev, lo included (HostNet.loopback). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/host-parse.h"
#include "collect/metric.h"
#include "core/macro.h"

typedef enum HostPsiResource {
        HOST_PSI_CPU,
        HOST_PSI_MEMORY,
        HOST_PSI_IO,
        _HOST_PSI_RESOURCE_MAX,
} HostPsiResource;

typedef struct HostPressure {
        bool present[_HOST_PSI_KIND_MAX]; /* [HOST_PSI_SOME], [HOST_PSI_FULL] */
        double avg10_percent[_HOST_PSI_KIND_MAX];
        double avg60_percent[_HOST_PSI_KIND_MAX];
        double avg300_percent[_HOST_PSI_KIND_MAX];
        double stall_seconds_total[_HOST_PSI_KIND_MAX];
        double stall_seconds_per_second[_HOST_PSI_KIND_MAX];
} HostPressure;

typedef struct HostFs {
        char *mountpoint; /* owned by the sample, kept across samples while unchanged */
        char *device;
        char *fstype;
        double size_bytes, used_bytes, avail_bytes, used_percent;
        double inodes_total, inodes_free, inodes_used_percent;
} HostFs;

typedef struct HostDisk {
        char name[HOST_DISK_NAME_MAX + 1];
        double reads_per_second, writes_per_second;
        double read_bytes_per_second, write_bytes_per_second;
        double busy_percent, await_seconds;
        double io_in_progress;
        double read_bytes_total, written_bytes_total;
} HostDisk;

typedef struct HostNet {
        char name[HOST_NET_NAME_MAX + 1];
        bool loopback; /* "lo" */
        double rx_bytes_per_second, rx_packets_per_second, rx_errors_per_second,
                rx_drops_per_second;
        double tx_bytes_per_second, tx_packets_per_second, tx_errors_per_second,
                tx_drops_per_second;
        double rx_bytes_total, rx_packets_total, rx_errors_total, rx_drops_total;
        double tx_bytes_total, tx_packets_total, tx_errors_total, tx_drops_total;
} HostNet;

/* One sample. Every double is NaN when unknown. Zero-initialise (`HostSample s = {};`), pass the
 * same one to every host_collector_sample() so its arrays and strings are reused, and release it
 * with host_sample_done(). It owns everything it points to and outlives its collector. */
typedef struct HostSample {
        int64_t timestamp_ms;
        double interval_seconds; /* NaN on the first sample */

        double cpu_percent[_HOST_CPU_MODE_MAX];
        double cpu_busy_percent;
        double cpus;
        double interrupts_per_second, context_switches_per_second, forks_per_second;
        double procs_running, procs_blocked;

        double load1, load5, load15;
        double tasks;

        double mem_total_bytes, mem_free_bytes, mem_available_bytes, mem_used_bytes;
        double mem_used_percent;
        double mem_buffers_bytes, mem_cached_bytes, mem_shared_bytes;
        double mem_dirty_bytes, mem_writeback_bytes, mem_slab_bytes;
        bool mem_available_estimated;
        double swap_total_bytes, swap_free_bytes, swap_used_bytes, swap_used_percent;

        bool psi_present; /* false on kernels without PSI (< 4.20, CONFIG_PSI=n, psi=0) */
        HostPressure pressure[_HOST_PSI_RESOURCE_MAX];

        HostFs *fs;
        size_t n_fs, alloc_fs;
        HostDisk *disks;
        size_t n_disks, alloc_disks;
        HostNet *nets;
        size_t n_nets, alloc_nets;

        double fds_allocated, fds_max;
        double uptime_seconds;

        /* Lines of the kernel files that could not be parsed this cycle and were skipped. */
        unsigned skipped_lines;
} HostSample;

typedef struct HostFsStat {
        uint64_t frsize; /* fragment size: the unit of the block counts (statvfs(3)) */
        uint64_t blocks, bfree, bavail;
        uint64_t files, ffree;
} HostFsStat;

/* How a mount point's usage is read: statvfs(3) by default; tests inject fixture values.
 * 0 or -errno (that filesystem is then left out of the sample). */
typedef int (*HostStatfsFn)(void *userdata, const char *mountpoint, HostFsStat *ret);

typedef struct HostCollector HostCollector;

/* proc_root "/proc" and sys_root "/sys" in production. Fails (-errno) only if proc_root cannot
 * be opened; a missing sys_root or missing files make those parts unknown. */
int host_collector_new(const char *proc_root, const char *sys_root, HostCollector **ret);
HostCollector *host_collector_free(HostCollector *c);
DEFINE_FREEP(HostCollector, host_collector_free)

/* Replaces statvfs(3). Note the default blocks as long as statvfs() does, e.g. on an NFS mount
 * whose server is gone. */
void host_collector_set_statfs(HostCollector *c, HostStatfsFn fn, void *userdata);

/* Takes one sample at now_ms into *s (see HostSample for reuse). Parts whose files are missing
 * or unparsable are unknown; returns 0, or -errno if nothing at all could be read (then *s holds
 * an all-unknown sample). */
int host_collector_sample(HostCollector *c, int64_t now_ms, HostSample *s);
/* Frees what the sample owns and leaves it zeroed, ready for reuse. */
void host_sample_done(HostSample *s);

/* Calls fn for every known value of s, with the names and labels listed above. */
void host_sample_foreach_metric(const HostSample *s, MetricFn fn, void *userdata);

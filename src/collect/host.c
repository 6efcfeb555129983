#include "collect/host.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collect/procbuf.h"
#include "core/alloc.h"

typedef enum HostFile {
        HOST_FILE_STAT,
        HOST_FILE_LOADAVG,
        HOST_FILE_MEMINFO,
        HOST_FILE_PSI_CPU,
        HOST_FILE_PSI_MEMORY,
        HOST_FILE_PSI_IO,
        HOST_FILE_MOUNTS,
        HOST_FILE_DISKSTATS,
        HOST_FILE_NET_DEV,
        HOST_FILE_FILE_NR,
        HOST_FILE_UPTIME,
        _HOST_FILE_MAX,
} HostFile;

/* Relative to proc_root. /proc/net is a link to self/net: the network namespace we run in. */
static const char *const host_file_paths[_HOST_FILE_MAX] = {
        [HOST_FILE_STAT] = "stat",
        [HOST_FILE_LOADAVG] = "loadavg",
        [HOST_FILE_MEMINFO] = "meminfo",
        [HOST_FILE_PSI_CPU] = "pressure/cpu",
        [HOST_FILE_PSI_MEMORY] = "pressure/memory",
        [HOST_FILE_PSI_IO] = "pressure/io",
        [HOST_FILE_MOUNTS] = "self/mounts",
        [HOST_FILE_DISKSTATS] = "diskstats",
        [HOST_FILE_NET_DEV] = "net/dev",
        [HOST_FILE_FILE_NR] = "sys/fs/file-nr",
        [HOST_FILE_UPTIME] = "uptime",
};

static const char *const psi_resource_names[_HOST_PSI_RESOURCE_MAX] = {"cpu", "memory", "io"};
static const char *const psi_kind_names[_HOST_PSI_KIND_MAX] = {"some", "full"};

/* A filesystem kept after filtering and de-duplication; re-derived only when the mounts text
 * changes. */
typedef struct HostMount {
        char *device;
        char *mountpoint;
        char *fstype;
} HostMount;

/* A growable array of raw counters, for matching devices to the previous cycle by name. */
#define RAW_ARRAY(T)             \
        struct {                 \
                T *items;        \
                size_t n, alloc; \
        }

struct HostCollector {
        int proc_fd;
        int sys_fd; /* unused today; kept so partition or device metadata can come from sysfs */
        int fds[_HOST_FILE_MAX];
        ProcBuf buf;

        HostStatfsFn statfs_fn;
        void *statfs_userdata;

        bool have_prev;
        int64_t prev_ms;
        HostStatRaw prev_stat;
        HostPsiRaw prev_psi[_HOST_PSI_RESOURCE_MAX];
        bool prev_psi_ok[_HOST_PSI_RESOURCE_MAX];

        RAW_ARRAY(HostDiskRaw) disks_cur, disks_prev;
        RAW_ARRAY(HostNetRaw) nets_cur, nets_prev;

        ProcBuf mounts_text; /* the text mounts[] was derived from */
        HostMount *mounts;
        size_t n_mounts, alloc_mounts;
        unsigned mounts_skipped; /* bad lines of mounts_text, reported every cycle */
        bool mounts_valid;
};

/* Grows *items to hold at least n elements of `size`, zeroing the new ones. Doubles, so a
 * device appearing costs one realloc now and then, never one per cycle. */
static void grow(void **items, size_t *alloc, size_t n, size_t size)
{
        if (n <= *alloc)
                return;
        size_t a = MAX(*alloc * 2, MAX(n, (size_t) 8));
        *items = xreallocarray(*items, a, size);
        memset((char *) *items + *alloc * size, 0, (a - *alloc) * size);
        *alloc = a;
}

#define GROW(arr, alloc, n) grow((void **) &(arr), &(alloc), (n), sizeof(*(arr)))

static int default_statfs(void *userdata, const char *mountpoint, HostFsStat *ret)
{
        struct statvfs sv;

        (void) userdata;
        if (statvfs(mountpoint, &sv) < 0)
                return -errno;
        *ret = (HostFsStat){
                .frsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize,
                .blocks = sv.f_blocks,
                .bfree = sv.f_bfree,
                .bavail = sv.f_bavail,
                .files = sv.f_files,
                .ffree = sv.f_ffree,
        };
        return 0;
}

int host_collector_new(const char *proc_root, const char *sys_root, HostCollector **ret)
{
        assert(proc_root && ret);

        int proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;

        HostCollector *c = xnew0(HostCollector, 1);
        c->proc_fd = proc_fd;
        c->sys_fd = sys_root ? open(sys_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        for (size_t i = 0; i < _HOST_FILE_MAX; i++)
                c->fds[i] = -1;
        c->statfs_fn = default_statfs;
        *ret = c;
        return 0;
}

static void free_mounts(HostCollector *c)
{
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].device);
                free(c->mounts[i].mountpoint);
                free(c->mounts[i].fstype);
        }
        c->n_mounts = 0;
}

HostCollector *host_collector_free(HostCollector *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < _HOST_FILE_MAX; i++)
                closep(&c->fds[i]);
        closep(&c->proc_fd);
        closep(&c->sys_fd);
        procbuf_done(&c->buf);
        procbuf_done(&c->mounts_text);
        free_mounts(c);
        free(c->mounts);
        free(c->disks_cur.items);
        free(c->disks_prev.items);
        free(c->nets_cur.items);
        free(c->nets_prev.items);
        free(c);
        return NULL;
}

void host_collector_set_statfs(HostCollector *c, HostStatfsFn fn, void *userdata)
{
        c->statfs_fn = fn ? fn : default_statfs;
        c->statfs_userdata = fn ? userdata : NULL;
}

/* Reads one kernel file into c->buf through its kept-open fd. A file that is missing (no PSI,
 * no /proc/net in a restricted container) is retried each cycle: one failing openat() per 10 s
 * is cheaper than the code to remember it. A read error closes the fd so the next cycle starts
 * from a fresh open. */
static int read_file(HostCollector *c, HostFile f)
{
        int r;

        if (c->fds[f] < 0) {
                c->fds[f] = openat(c->proc_fd, host_file_paths[f], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (c->fds[f] < 0 && f == HOST_FILE_MOUNTS)
                        /* No "self" under this proc root (a captured tree, or another
                         * namespace's proc): init's view is the host's view. A self/mounts fd
                         * opened before a daemonizing fork fails with ESRCH once the parent is
                         * gone, and is reopened here for the new self. */
                        c->fds[f] = openat(c->proc_fd, "1/mounts", O_RDONLY | O_CLOEXEC);
                if (c->fds[f] < 0)
                        return -errno;
        }
        r = procbuf_read_fd(&c->buf, c->fds[f]);
        if (r < 0) {
                closep(&c->fds[f]);
                c->fds[f] = -1;
        }
        return r;
}

static double delta(uint64_t now, uint64_t prev, bool *backwards)
{
        if (now < prev) {
                *backwards = true;
                return 0;
        }
        return (double) (now - prev);
}

static double per_second(uint64_t now, uint64_t prev, double dt)
{
        if (now < prev || !(dt > 0))
                return NAN;
        return (double) (now - prev) / dt;
}

static void sample_stat(HostCollector *c, HostSample *s, double dt, bool *any)
{
        HostStatRaw st;
        const HostStatRaw *p = &c->prev_stat;

        if (read_file(c, HOST_FILE_STAT) < 0) {
                c->prev_stat.present = 0;
                return;
        }
        *any = true;
        s->skipped_lines += (unsigned) host_parse_stat(c->buf.data, &st);

        if (st.n_cpus > 0)
                s->cpus = st.n_cpus;
        if (st.present & HOST_STAT_HAS_PROCS_RUNNING)
                s->procs_running = (double) st.procs_running;
        if (st.present & HOST_STAT_HAS_PROCS_BLOCKED)
                s->procs_blocked = (double) st.procs_blocked;

        if (st.present & p->present & HOST_STAT_HAS_CPU) {
                double d[_HOST_CPU_MODE_MAX], total = 0;
                bool backwards = false;

                for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                        d[m] = delta(st.cpu[m], p->cpu[m], &backwards);
                /* guest and guest_nice are already inside user and nice (kernel
                 * account_guest_time()), so they are not added to the total again; user and
                 * nice are reported without them so the modes add up to 100. The two columns
                 * are updated separately, so clamp the difference at 0. */
                for (size_t m = 0; m < HOST_CPU_GUEST; m++)
                        total += d[m];
                if (!backwards && total > 0) {
                        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                                s->cpu_percent[m] = 100.0 * d[m] / total;
                        s->cpu_percent[HOST_CPU_USER] =
                                100.0 * MAX(d[HOST_CPU_USER] - d[HOST_CPU_GUEST], 0.0) / total;
                        s->cpu_percent[HOST_CPU_NICE] =
                                100.0 * MAX(d[HOST_CPU_NICE] - d[HOST_CPU_GUEST_NICE], 0.0) / total;
                        s->cpu_busy_percent =
                                100.0 * (total - d[HOST_CPU_IDLE] - d[HOST_CPU_IOWAIT]) / total;
                }
        }
        if (st.present & p->present & HOST_STAT_HAS_INTR)
                s->interrupts_per_second = per_second(st.intr, p->intr, dt);
        if (st.present & p->present & HOST_STAT_HAS_CTXT)
                s->context_switches_per_second = per_second(st.ctxt, p->ctxt, dt);
        if (st.present & p->present & HOST_STAT_HAS_PROCESSES)
                s->forks_per_second = per_second(st.processes, p->processes, dt);
        c->prev_stat = st;
}

static void sample_loadavg(HostCollector *c, HostSample *s, bool *any)
{
        HostLoadRaw l;

        if (read_file(c, HOST_FILE_LOADAVG) < 0)
                return;
        *any = true;
        if (host_parse_loadavg(c->buf.data, &l) < 0) {
                s->skipped_lines++;
                return;
        }
        s->load1 = l.load[0];
        s->load5 = l.load[1];
        s->load15 = l.load[2];
        s->tasks = (double) l.tasks;
}

static void sample_meminfo(HostCollector *c, HostSample *s, bool *any)
{
        HostMemRaw m;

        if (read_file(c, HOST_FILE_MEMINFO) < 0)
                return;
        *any = true;
        s->skipped_lines += (unsigned) host_parse_meminfo(c->buf.data, &m);

#define HAS(f) (m.present & (1u << (f)))
#define B(f)   ((double) m.bytes[f])
        if (HAS(HOST_MEM_TOTAL) && HAS(HOST_MEM_FREE)) {
                s->mem_total_bytes = B(HOST_MEM_TOTAL);
                s->mem_free_bytes = B(HOST_MEM_FREE);
                if (HAS(HOST_MEM_AVAILABLE))
                        s->mem_available_bytes = B(HOST_MEM_AVAILABLE);
                else {
                        /* MemAvailable exists since Linux 3.14; older kernels get MemFree +
                         * Buffers + Cached, which overstates reclaimable memory, so the sample
                         * is tagged "estimated". */
                        s->mem_available_bytes =
                                B(HOST_MEM_FREE) + B(HOST_MEM_BUFFERS) + B(HOST_MEM_CACHED);
                        s->mem_available_estimated = true;
                }
                /* Used must not go negative: an lxcfs-faked meminfo or a garbled file can put
                 * available above total. */
                s->mem_available_bytes = MIN(s->mem_available_bytes, s->mem_total_bytes);
                s->mem_used_bytes = s->mem_total_bytes - s->mem_available_bytes;
                if (s->mem_total_bytes > 0)
                        s->mem_used_percent = 100.0 * s->mem_used_bytes / s->mem_total_bytes;
        }
        if (HAS(HOST_MEM_BUFFERS))
                s->mem_buffers_bytes = B(HOST_MEM_BUFFERS);
        if (HAS(HOST_MEM_CACHED))
                s->mem_cached_bytes = B(HOST_MEM_CACHED) + B(HOST_MEM_SRECLAIMABLE);
        if (HAS(HOST_MEM_SHMEM))
                s->mem_shared_bytes = B(HOST_MEM_SHMEM);
        if (HAS(HOST_MEM_DIRTY))
                s->mem_dirty_bytes = B(HOST_MEM_DIRTY);
        if (HAS(HOST_MEM_WRITEBACK))
                s->mem_writeback_bytes = B(HOST_MEM_WRITEBACK);
        if (HAS(HOST_MEM_SLAB))
                s->mem_slab_bytes = B(HOST_MEM_SLAB);
        if (HAS(HOST_MEM_SWAP_TOTAL) && HAS(HOST_MEM_SWAP_FREE)) {
                s->swap_total_bytes = B(HOST_MEM_SWAP_TOTAL);
                s->swap_free_bytes = MIN(B(HOST_MEM_SWAP_FREE), s->swap_total_bytes);
                s->swap_used_bytes = s->swap_total_bytes - s->swap_free_bytes;
                if (s->swap_total_bytes > 0)
                        s->swap_used_percent = 100.0 * s->swap_used_bytes / s->swap_total_bytes;
        }
#undef B
#undef HAS
}

static void sample_pressure(HostCollector *c, HostSample *s, double dt, bool *any)
{
        for (size_t r = 0; r < _HOST_PSI_RESOURCE_MAX; r++) {
                HostPressure *out = &s->pressure[r];
                HostPsiRaw psi;
                bool had_prev = c->prev_psi_ok[r];

                c->prev_psi_ok[r] = false;
                /* Present but unreadable (-EOPNOTSUPP with psi=0 on the command line) is the
                 * same as absent. */
                if (read_file(c, (HostFile) (HOST_FILE_PSI_CPU + r)) < 0)
                        continue;
                *any = true;
                s->skipped_lines += (unsigned) host_parse_pressure(c->buf.data, &psi);
                for (size_t k = 0; k < _HOST_PSI_KIND_MAX; k++) {
                        if (!psi.present[k])
                                continue;
                        s->psi_present = true;
                        out->present[k] = true;
                        out->avg10_percent[k] = psi.avg[k][0];
                        out->avg60_percent[k] = psi.avg[k][1];
                        out->avg300_percent[k] = psi.avg[k][2];
                        out->stall_seconds_total[k] = (double) psi.total_us[k] / 1e6;
                        if (had_prev && c->prev_psi[r].present[k])
                                out->stall_seconds_per_second[k] =
                                        per_second(psi.total_us[k], c->prev_psi[r].total_us[k],
                                                   dt) /
                                        1e6;
                }
                c->prev_psi[r] = psi;
                c->prev_psi_ok[r] = true;
        }
}

static void set_str(char **dst, const char *src)
{
        if (*dst && strcmp(*dst, src) == 0)
                return;
        free(*dst);
        *dst = xstrdup(src);
}

static void add_mount(void *userdata, const char *device, const char *mountpoint,
                      const char *fstype)
{
        HostCollector *c = userdata;

        if (!host_fstype_is_real(fstype))
                return;
        /* Bind mounts (and btrfs subvolumes) of one block device show the same usage again:
         * keep the shortest mount point, as df does. Only paths name a device: "overlay" or
         * "server:/export" may be many different filesystems. */
        if (device[0] == '/')
                for (size_t i = 0; i < c->n_mounts; i++) {
                        HostMount *m = &c->mounts[i];
                        if (strcmp(m->device, device) != 0 || strcmp(m->fstype, fstype) != 0)
                                continue;
                        if (strlen(mountpoint) < strlen(m->mountpoint))
                                set_str(&m->mountpoint, mountpoint);
                        return;
                }
        GROW(c->mounts, c->alloc_mounts, c->n_mounts + 1);
        c->mounts[c->n_mounts++] = (HostMount){
                .device = xstrdup(device),
                .mountpoint = xstrdup(mountpoint),
                .fstype = xstrdup(fstype),
        };
}

static void sample_filesystems(HostCollector *c, HostSample *s, bool *any)
{
        if (read_file(c, HOST_FILE_MOUNTS) < 0) {
                c->mounts_valid = false;
                return;
        }
        *any = true;
        /* The mount table rarely changes: only re-parse (and allocate) when its text did. */
        if (!c->mounts_valid || c->buf.len != c->mounts_text.len ||
            memcmp(c->buf.data, c->mounts_text.data, c->buf.len) != 0) {
                free_mounts(c);
                c->mounts_skipped = (unsigned) host_parse_mounts(c->buf.data, add_mount, c);
                ProcBuf t = c->mounts_text;
                c->mounts_text = c->buf;
                c->buf = t;
                c->mounts_valid = true;
        }
        s->skipped_lines += c->mounts_skipped;

        for (size_t i = 0; i < c->n_mounts; i++) {
                const HostMount *m = &c->mounts[i];
                HostFsStat st;

                if (c->statfs_fn(c->statfs_userdata, m->mountpoint, &st) < 0 || st.blocks == 0)
                        continue;
                GROW(s->fs, s->alloc_fs, s->n_fs + 1);
                HostFs *f = &s->fs[s->n_fs++];
                double unit = (double) st.frsize;
                double used = (double) (st.blocks - MIN(st.bfree, st.blocks)) * unit;
                double avail = (double) st.bavail * unit;

                set_str(&f->mountpoint, m->mountpoint);
                set_str(&f->device, m->device);
                set_str(&f->fstype, m->fstype);
                f->size_bytes = (double) st.blocks * unit;
                f->used_bytes = used;
                f->avail_bytes = avail;
                f->used_percent = used + avail > 0 ? 100.0 * used / (used + avail) : NAN;
                f->inodes_total = (double) st.files;
                f->inodes_free = (double) st.ffree;
                /* btrfs and some network filesystems report 0 inodes: no percentage. */
                f->inodes_used_percent =
                        st.files > 0 ? 100.0 * (double) (st.files - MIN(st.ffree, st.files)) /
                                               (double) st.files
                                     : NAN;
        }
}

static void add_disk(void *userdata, const HostDiskRaw *d)
{
        HostCollector *c = userdata;

        if (host_disk_is_ignored(d->name))
                return;
        GROW(c->disks_cur.items, c->disks_cur.alloc, c->disks_cur.n + 1);
        c->disks_cur.items[c->disks_cur.n++] = *d;
}

/* Devices come in the same order every cycle, so try the same index first. */
#define FIND_PREV(arr, i, nm)                                                \
        ({                                                                   \
                typeof((arr).items) _f_ = NULL;                              \
                if ((i) < (arr).n && strcmp((arr).items[i].name, (nm)) == 0) \
                        _f_ = &(arr).items[i];                               \
                for (size_t _j_ = 0; !_f_ && _j_ < (arr).n; _j_++)           \
                        if (strcmp((arr).items[_j_].name, (nm)) == 0)        \
                                _f_ = &(arr).items[_j_];                     \
                _f_;                                                         \
        })

static void sample_disks(HostCollector *c, HostSample *s, double dt, bool *any)
{
        c->disks_cur.n = 0;
        if (read_file(c, HOST_FILE_DISKSTATS) >= 0) {
                *any = true;
                s->skipped_lines += (unsigned) host_parse_diskstats(c->buf.data, add_disk, c);
        }

        GROW(s->disks, s->alloc_disks, c->disks_cur.n);
        s->n_disks = c->disks_cur.n;
        for (size_t i = 0; i < c->disks_cur.n; i++) {
                const HostDiskRaw *d = &c->disks_cur.items[i];
                const HostDiskRaw *p = FIND_PREV(c->disks_prev, i, d->name);
                HostDisk *o = &s->disks[i];

                memcpy(o->name, d->name, sizeof(o->name));
                o->io_in_progress = (double) d->in_progress;
                o->read_bytes_total = (double) d->read_sectors * 512.0;
                o->written_bytes_total = (double) d->write_sectors * 512.0;
                o->reads_per_second = o->writes_per_second = NAN;
                o->read_bytes_per_second = o->write_bytes_per_second = NAN;
                o->busy_percent = o->await_seconds = NAN;
                if (!p || !(dt > 0))
                        continue;

                /* A device re-created under the same name starts from 0: one counter going
                 * backwards makes the whole device unknown for this interval. */
                bool back = false;
                double reads = delta(d->reads, p->reads, &back);
                double writes = delta(d->writes, p->writes, &back);
                double rsec = delta(d->read_sectors, p->read_sectors, &back);
                double wsec = delta(d->write_sectors, p->write_sectors, &back);
                double rms = delta(d->read_ms, p->read_ms, &back);
                double wms = delta(d->write_ms, p->write_ms, &back);
                double io_ms = delta(d->io_ms, p->io_ms, &back);
                if (back)
                        continue;
                o->reads_per_second = reads / dt;
                o->writes_per_second = writes / dt;
                /* Sectors here are always 512 bytes, whatever the device's sector size
                 * (Documentation/admin-guide/iostats.rst). */
                o->read_bytes_per_second = rsec * 512.0 / dt;
                o->write_bytes_per_second = wsec * 512.0 / dt;
                /* io_ticks is sampled at jiffy granularity and can overshoot by a tick. */
                o->busy_percent = MIN(100.0 * io_ms / (dt * 1000.0), 100.0);
                o->await_seconds =
                        reads + writes > 0 ? (rms + wms) / (reads + writes) / 1000.0 : 0.0;
        }

        typeof(c->disks_cur) t = c->disks_cur;
        c->disks_cur = c->disks_prev;
        c->disks_prev = t;
}

static void add_net(void *userdata, const HostNetRaw *n)
{
        HostCollector *c = userdata;

        GROW(c->nets_cur.items, c->nets_cur.alloc, c->nets_cur.n + 1);
        c->nets_cur.items[c->nets_cur.n++] = *n;
}

static void sample_nets(HostCollector *c, HostSample *s, double dt, bool *any)
{
        c->nets_cur.n = 0;
        if (read_file(c, HOST_FILE_NET_DEV) >= 0) {
                *any = true;
                s->skipped_lines += (unsigned) host_parse_net_dev(c->buf.data, add_net, c);
        }

        GROW(s->nets, s->alloc_nets, c->nets_cur.n);
        s->n_nets = c->nets_cur.n;
        for (size_t i = 0; i < c->nets_cur.n; i++) {
                const HostNetRaw *d = &c->nets_cur.items[i];
                const HostNetRaw *p = FIND_PREV(c->nets_prev, i, d->name);
                HostNet *o = &s->nets[i];

                memcpy(o->name, d->name, sizeof(o->name));
                o->loopback = strcmp(d->name, "lo") == 0;
                o->rx_bytes_total = (double) d->rx_bytes;
                o->rx_packets_total = (double) d->rx_packets;
                o->rx_errors_total = (double) d->rx_errors;
                o->rx_drops_total = (double) d->rx_drops;
                o->tx_bytes_total = (double) d->tx_bytes;
                o->tx_packets_total = (double) d->tx_packets;
                o->tx_errors_total = (double) d->tx_errors;
                o->tx_drops_total = (double) d->tx_drops;

                o->rx_bytes_per_second = o->rx_packets_per_second = NAN;
                o->rx_errors_per_second = o->rx_drops_per_second = NAN;
                o->tx_bytes_per_second = o->tx_packets_per_second = NAN;
                o->tx_errors_per_second = o->tx_drops_per_second = NAN;
                if (!p || !(dt > 0))
                        continue;

                /* An interface re-created under the same name (a VPN reconnecting, a container
                 * veth) restarts from 0: unknown for one interval, like any backwards step. */
                bool back = false;
                double rxb = delta(d->rx_bytes, p->rx_bytes, &back);
                double rxp = delta(d->rx_packets, p->rx_packets, &back);
                double rxe = delta(d->rx_errors, p->rx_errors, &back);
                double rxd = delta(d->rx_drops, p->rx_drops, &back);
                double txb = delta(d->tx_bytes, p->tx_bytes, &back);
                double txp = delta(d->tx_packets, p->tx_packets, &back);
                double txe = delta(d->tx_errors, p->tx_errors, &back);
                double txd = delta(d->tx_drops, p->tx_drops, &back);
                if (back)
                        continue;
                o->rx_bytes_per_second = rxb / dt;
                o->rx_packets_per_second = rxp / dt;
                o->rx_errors_per_second = rxe / dt;
                o->rx_drops_per_second = rxd / dt;
                o->tx_bytes_per_second = txb / dt;
                o->tx_packets_per_second = txp / dt;
                o->tx_errors_per_second = txe / dt;
                o->tx_drops_per_second = txd / dt;
        }

        typeof(c->nets_cur) t = c->nets_cur;
        c->nets_cur = c->nets_prev;
        c->nets_prev = t;
}

static void sample_misc(HostCollector *c, HostSample *s, bool *any)
{
        HostFileNrRaw f;
        double up;

        if (read_file(c, HOST_FILE_FILE_NR) >= 0) {
                *any = true;
                if (host_parse_file_nr(c->buf.data, &f) >= 0) {
                        s->fds_allocated = (double) f.allocated;
                        s->fds_max = (double) f.max;
                } else
                        s->skipped_lines++;
        }
        if (read_file(c, HOST_FILE_UPTIME) >= 0) {
                *any = true;
                if (host_parse_uptime(c->buf.data, &up) >= 0)
                        s->uptime_seconds = up;
                else
                        s->skipped_lines++;
        }
}

static void sample_reset(HostSample *s, int64_t now_ms)
{
        s->timestamp_ms = now_ms;
        s->interval_seconds = NAN;
        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                s->cpu_percent[m] = NAN;
        s->cpu_busy_percent = s->cpus = NAN;
        s->interrupts_per_second = s->context_switches_per_second = s->forks_per_second = NAN;
        s->procs_running = s->procs_blocked = NAN;
        s->load1 = s->load5 = s->load15 = s->tasks = NAN;
        s->mem_total_bytes = s->mem_free_bytes = s->mem_available_bytes = NAN;
        s->mem_used_bytes = s->mem_used_percent = NAN;
        s->mem_buffers_bytes = s->mem_cached_bytes = s->mem_shared_bytes = NAN;
        s->mem_dirty_bytes = s->mem_writeback_bytes = s->mem_slab_bytes = NAN;
        s->mem_available_estimated = false;
        s->swap_total_bytes = s->swap_free_bytes = s->swap_used_bytes = NAN;
        s->swap_used_percent = NAN;
        s->psi_present = false;
        for (size_t r = 0; r < _HOST_PSI_RESOURCE_MAX; r++)
                for (size_t k = 0; k < _HOST_PSI_KIND_MAX; k++) {
                        HostPressure *p = &s->pressure[r];
                        p->present[k] = false;
                        p->avg10_percent[k] = p->avg60_percent[k] = p->avg300_percent[k] = NAN;
                        p->stall_seconds_total[k] = p->stall_seconds_per_second[k] = NAN;
                }
        s->n_fs = s->n_disks = s->n_nets = 0;
        s->fds_allocated = s->fds_max = s->uptime_seconds = NAN;
        s->skipped_lines = 0;
}

int host_collector_sample(HostCollector *c, int64_t now_ms, HostSample *s)
{
        double dt = NAN;
        bool any = false;

        assert(c && s);
        sample_reset(s, now_ms);
        if (c->have_prev && now_ms > c->prev_ms)
                dt = (double) (now_ms - c->prev_ms) / 1000.0;
        s->interval_seconds = dt;

        sample_stat(c, s, dt, &any);
        sample_loadavg(c, s, &any);
        sample_meminfo(c, s, &any);
        sample_pressure(c, s, dt, &any);
        sample_filesystems(c, s, &any);
        sample_disks(c, s, dt, &any);
        sample_nets(c, s, dt, &any);
        sample_misc(c, s, &any);

        c->have_prev = true;
        c->prev_ms = now_ms;
        return any ? 0 : -ENOENT;
}

void host_sample_done(HostSample *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->alloc_fs; i++) {
                free(s->fs[i].mountpoint);
                free(s->fs[i].device);
                free(s->fs[i].fstype);
        }
        free(s->fs);
        free(s->disks);
        free(s->nets);
        *s = (HostSample){};
}

static void emit(MetricFn fn, void *userdata, const char *name, const char *const *labels, double v)
{
        if (!isnan(v))
                fn(userdata, name, labels, v);
}

void host_sample_foreach_metric(const HostSample *s, MetricFn fn, void *userdata)
{
        assert(s && fn);

        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++) {
                const char *const l[] = {"mode", host_cpu_mode_to_string((HostCpuMode) m), NULL};
                emit(fn, userdata, "host_cpu_percent", l, s->cpu_percent[m]);
        }
        emit(fn, userdata, "host_cpu_busy_percent", NULL, s->cpu_busy_percent);
        emit(fn, userdata, "host_cpus", NULL, s->cpus);
        emit(fn, userdata, "host_interrupts_per_second", NULL, s->interrupts_per_second);
        emit(fn, userdata, "host_context_switches_per_second", NULL,
             s->context_switches_per_second);
        emit(fn, userdata, "host_forks_per_second", NULL, s->forks_per_second);
        emit(fn, userdata, "host_procs_running", NULL, s->procs_running);
        emit(fn, userdata, "host_procs_blocked", NULL, s->procs_blocked);
        emit(fn, userdata, "host_load1", NULL, s->load1);
        emit(fn, userdata, "host_load5", NULL, s->load5);
        emit(fn, userdata, "host_load15", NULL, s->load15);
        emit(fn, userdata, "host_tasks", NULL, s->tasks);

        emit(fn, userdata, "host_memory_total_bytes", NULL, s->mem_total_bytes);
        emit(fn, userdata, "host_memory_free_bytes", NULL, s->mem_free_bytes);
        emit(fn, userdata, "host_memory_available_bytes", NULL, s->mem_available_bytes);
        if (!isnan(s->mem_available_bytes))
                emit(fn, userdata, "host_memory_available_estimated", NULL,
                     s->mem_available_estimated ? 1 : 0);
        emit(fn, userdata, "host_memory_used_bytes", NULL, s->mem_used_bytes);
        emit(fn, userdata, "host_memory_used_percent", NULL, s->mem_used_percent);
        emit(fn, userdata, "host_memory_buffers_bytes", NULL, s->mem_buffers_bytes);
        emit(fn, userdata, "host_memory_cached_bytes", NULL, s->mem_cached_bytes);
        emit(fn, userdata, "host_memory_shared_bytes", NULL, s->mem_shared_bytes);
        emit(fn, userdata, "host_memory_dirty_bytes", NULL, s->mem_dirty_bytes);
        emit(fn, userdata, "host_memory_writeback_bytes", NULL, s->mem_writeback_bytes);
        emit(fn, userdata, "host_memory_slab_bytes", NULL, s->mem_slab_bytes);
        emit(fn, userdata, "host_swap_total_bytes", NULL, s->swap_total_bytes);
        emit(fn, userdata, "host_swap_free_bytes", NULL, s->swap_free_bytes);
        emit(fn, userdata, "host_swap_used_bytes", NULL, s->swap_used_bytes);
        emit(fn, userdata, "host_swap_used_percent", NULL, s->swap_used_percent);

        for (size_t r = 0; r < _HOST_PSI_RESOURCE_MAX; r++)
                for (size_t k = 0; k < _HOST_PSI_KIND_MAX; k++) {
                        const HostPressure *p = &s->pressure[r];
                        const char *const l[] = {"resource", psi_resource_names[r], "kind",
                                                 psi_kind_names[k], NULL};
                        if (!p->present[k])
                                continue;
                        emit(fn, userdata, "host_pressure_avg10_percent", l, p->avg10_percent[k]);
                        emit(fn, userdata, "host_pressure_avg60_percent", l, p->avg60_percent[k]);
                        emit(fn, userdata, "host_pressure_avg300_percent", l, p->avg300_percent[k]);
                        emit(fn, userdata, "host_pressure_stall_seconds_total", l,
                             p->stall_seconds_total[k]);
                        emit(fn, userdata, "host_pressure_stall_seconds_per_second", l,
                             p->stall_seconds_per_second[k]);
                }

        for (size_t i = 0; i < s->n_fs; i++) {
                const HostFs *f = &s->fs[i];
                const char *const l[] = {"mountpoint", f->mountpoint, "device", f->device,
                                         "fstype",     f->fstype,     NULL};
                emit(fn, userdata, "host_filesystem_size_bytes", l, f->size_bytes);
                emit(fn, userdata, "host_filesystem_used_bytes", l, f->used_bytes);
                emit(fn, userdata, "host_filesystem_avail_bytes", l, f->avail_bytes);
                emit(fn, userdata, "host_filesystem_used_percent", l, f->used_percent);
                emit(fn, userdata, "host_filesystem_inodes_total", l, f->inodes_total);
                emit(fn, userdata, "host_filesystem_inodes_free", l, f->inodes_free);
                emit(fn, userdata, "host_filesystem_inodes_used_percent", l,
                     f->inodes_used_percent);
        }

        for (size_t i = 0; i < s->n_disks; i++) {
                const HostDisk *d = &s->disks[i];
                const char *const l[] = {"device", d->name, NULL};
                emit(fn, userdata, "host_disk_reads_per_second", l, d->reads_per_second);
                emit(fn, userdata, "host_disk_writes_per_second", l, d->writes_per_second);
                emit(fn, userdata, "host_disk_read_bytes_per_second", l, d->read_bytes_per_second);
                emit(fn, userdata, "host_disk_write_bytes_per_second", l,
                     d->write_bytes_per_second);
                emit(fn, userdata, "host_disk_busy_percent", l, d->busy_percent);
                emit(fn, userdata, "host_disk_await_seconds", l, d->await_seconds);
                emit(fn, userdata, "host_disk_io_in_progress", l, d->io_in_progress);
                emit(fn, userdata, "host_disk_read_bytes_total", l, d->read_bytes_total);
                emit(fn, userdata, "host_disk_written_bytes_total", l, d->written_bytes_total);
        }

        for (size_t i = 0; i < s->n_nets; i++) {
                const HostNet *n = &s->nets[i];
                const char *const l[] = {"interface", n->name, NULL};
                static const struct {
                        const char *name;
                        size_t offset;
                } net_metrics[] = {
#define NM(name, field) {name, offsetof(HostNet, field)}
                        NM("host_network_receive_bytes_per_second", rx_bytes_per_second),
                        NM("host_network_receive_packets_per_second", rx_packets_per_second),
                        NM("host_network_receive_errors_per_second", rx_errors_per_second),
                        NM("host_network_receive_drops_per_second", rx_drops_per_second),
                        NM("host_network_transmit_bytes_per_second", tx_bytes_per_second),
                        NM("host_network_transmit_packets_per_second", tx_packets_per_second),
                        NM("host_network_transmit_errors_per_second", tx_errors_per_second),
                        NM("host_network_transmit_drops_per_second", tx_drops_per_second),
                        NM("host_network_receive_bytes_total", rx_bytes_total),
                        NM("host_network_receive_packets_total", rx_packets_total),
                        NM("host_network_receive_errors_total", rx_errors_total),
                        NM("host_network_receive_drops_total", rx_drops_total),
                        NM("host_network_transmit_bytes_total", tx_bytes_total),
                        NM("host_network_transmit_packets_total", tx_packets_total),
                        NM("host_network_transmit_errors_total", tx_errors_total),
                        NM("host_network_transmit_drops_total", tx_drops_total),
#undef NM
                };
                for (size_t j = 0; j < ELEMENTSOF(net_metrics); j++) {
                        double v;
                        memcpy(&v, (const char *) n + net_metrics[j].offset, sizeof(v));
                        emit(fn, userdata, net_metrics[j].name, l, v);
                }
        }

        emit(fn, userdata, "host_file_descriptors_allocated", NULL, s->fds_allocated);
        emit(fn, userdata, "host_file_descriptors_max", NULL, s->fds_max);
        emit(fn, userdata, "host_uptime_seconds", NULL, s->uptime_seconds);
}

/* Tests of the host collector against captured and hand-made /proc trees.
 *
 * tests/data/collect/host-live/{t0,t1}/proc: this machine (Linux 6.18, 2 CPUs, one virtio disk)
 * captured 3.64 s apart (uptime 550.15 → 553.79) around a 200 MiB O_DIRECT write.
 * tests/data/collect/host-edge/{t0,t1,t2}/proc: hand-made, 10 s apart: guest time, counters
 * going backwards, devices and interfaces coming and going, garbage lines, odd mounts.
 * tests/data/collect/host-oldkernel/proc: a 3.x-era tree: no MemAvailable, no PSI, 8 cpu
 * columns, old partition lines in diskstats, no /proc/self (mounts from /proc/1/mounts).
 *
 * A collector keeps its files open, so a snapshot is loaded by rewriting the files of one
 * scratch tree in place: the next pread() sees the new contents. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/host-parse.h"
#include "collect/host.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time-util.h"
#include "test-util.h"

#define assert_near(a, b)                                                     \
        do {                                                                  \
                double _a_ = (a), _b_ = (b);                                  \
                if (!(fabs(_a_ - _b_) <= 1e-9 * MAX(1.0, fabs(_b_))))         \
                        fail_msg("%s = %.17g, expected %.17g", #a, _a_, _b_); \
        } while (0)

#define assert_nan(a)                                                      \
        do {                                                               \
                double _a_ = (a);                                          \
                if (!isnan(_a_))                                           \
                        fail_msg("%s = %.17g, expected unknown", #a, _a_); \
        } while (0)

#define KIB 1024.0

/* Copies the regular files of src into dst (same relative paths), overwriting in place. */
static void copy_tree(const char *src, const char *dst)
{
        DIR *d = opendir(src);
        assert_non_null(d);
        (void) mkdir(dst, 0755);
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *s = xasprintf("%s/%s", src, de->d_name);
                _cleanup_free_ char *t = xasprintf("%s/%s", dst, de->d_name);
                struct stat st;
                assert_int_equal(stat(s, &st), 0);
                if (S_ISDIR(st.st_mode)) {
                        copy_tree(s, t);
                        continue;
                }
                _cleanup_close_ int in = open(s, O_RDONLY | O_CLOEXEC);
                _cleanup_close_ int out = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                char buf[8192];
                ssize_t n;
                assert_true(in >= 0 && out >= 0);
                while ((n = read(in, buf, sizeof(buf))) > 0)
                        assert_int_equal(write(out, buf, (size_t) n), n);
        }
        closedir(d);
}

typedef struct Fixture {
        char *tmp;
        char *proc;
        HostCollector *c;
        HostSample s;
} Fixture;

static const struct {
        const char *mountpoint;
        int error;
        HostFsStat st;
} fake_fs[] = {
        {"/",
         0,
         {.frsize = 4096,
          .blocks = 1000000,
          .bfree = 400000,
          .bavail = 350000,
          .files = 65536,
          .ffree = 60000}},
        {"/d", 0, {.frsize = 1024, .blocks = 1000, .bfree = 1000, .bavail = 900}},
        {"/mnt/my disk\ttab\\back",
         0,
         {.frsize = 512, .blocks = 200, .bfree = 50, .bavail = 50, .files = 10, .ffree = 5}},
        {"/var/lib/docker/overlay2/abc/merged", -EACCES, {}},
        {"/var/lib/docker/overlay2/def/merged",
         0,
         {.frsize = 4096, .blocks = 10, .bfree = 5, .bavail = 5, .files = 1, .ffree = 1}},
        {"/nfs", 0, {.frsize = 4096}}, /* 0 blocks: left out */
};

static int fake_statfs(void *userdata, const char *mountpoint, HostFsStat *ret)
{
        (void) userdata;
        for (size_t i = 0; i < ELEMENTSOF(fake_fs); i++)
                if (strcmp(fake_fs[i].mountpoint, mountpoint) == 0) {
                        if (fake_fs[i].error < 0)
                                return fake_fs[i].error;
                        *ret = fake_fs[i].st;
                        return 0;
                }
        return -ENOENT;
}

static void fixture_load(Fixture *f, const char *snapshot)
{
        _cleanup_free_ char *rel = xasprintf("collect/%s/proc", snapshot);
        _cleanup_free_ char *src = test_data_path(rel);
        copy_tree(src, f->proc);
}

static void fixture_init(Fixture *f, const char *snapshot)
{
        *f = (Fixture){.tmp = test_mkdtemp()};
        f->proc = xasprintf("%s/proc", f->tmp);
        fixture_load(f, snapshot);
        assert_int_equal(host_collector_new(f->proc, "/nonexistent", &f->c), 0);
        host_collector_set_statfs(f->c, fake_statfs, NULL);
}

static void fixture_sample(Fixture *f, const char *snapshot, int64_t now_ms)
{
        fixture_load(f, snapshot);
        assert_int_equal(host_collector_sample(f->c, now_ms, &f->s), 0);
}

static void fixture_done(Fixture *f)
{
        host_sample_done(&f->s);
        f->c = host_collector_free(f->c);
        test_rm_rf(f->tmp);
        free(f->tmp);
        free(f->proc);
}

static const HostDisk *find_disk(const HostSample *s, const char *name)
{
        for (size_t i = 0; i < s->n_disks; i++)
                if (strcmp(s->disks[i].name, name) == 0)
                        return &s->disks[i];
        fail_msg("no disk '%s'", name);
        return NULL;
}

static const HostNet *find_net(const HostSample *s, const char *name)
{
        for (size_t i = 0; i < s->n_nets; i++)
                if (strcmp(s->nets[i].name, name) == 0)
                        return &s->nets[i];
        fail_msg("no interface '%s'", name);
        return NULL;
}

static void test_host_collector_sample_live_first(void **state)
{
        Fixture f;

        (void) state;
        fixture_init(&f, "host-live/t0");
        assert_int_equal(host_collector_sample(f.c, 1000, &f.s), 0);

        /* First sample: every rate and CPU share is unknown, gauges are not. */
        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                assert_nan(f.s.cpu_percent[m]);
        assert_nan(f.s.cpu_busy_percent);
        assert_nan(f.s.context_switches_per_second);
        assert_nan(f.s.interval_seconds);
        assert_nan(f.s.pressure[HOST_PSI_MEMORY].stall_seconds_per_second[HOST_PSI_SOME]);
        assert_nan(find_disk(&f.s, "vda")->read_bytes_per_second);
        assert_nan(find_net(&f.s, "eth0")->rx_bytes_per_second);

        assert_near(f.s.cpus, 2);
        assert_near(f.s.procs_running, 1);
        assert_near(f.s.load1, 0.05);
        assert_near(f.s.tasks, 89);
        assert_near(f.s.uptime_seconds, 550.15);
        assert_near(f.s.fds_allocated, 478);
        assert_near(f.s.fds_max, 2466170);
        /* MemTotal 24684084 kB; MemAvailable 24341588 kB. free -b on this machine printed
         * total 25276502016 and used = total - available (procps-ng 4), and buff/cache =
         * Buffers + Cached + SReclaimable, checked against a live run. */
        assert_near(f.s.mem_total_bytes, 25276502016.0);
        assert_near(f.s.mem_available_bytes, 24341588 * KIB);
        assert_near(f.s.mem_used_bytes, (24684084 - 24341588) * KIB);
        assert_false(f.s.mem_available_estimated);
        assert_near(f.s.swap_total_bytes, 0);
        assert_nan(f.s.swap_used_percent);
        /* vda: 2154010 sectors read, 574224 written, of 512 bytes. loop* and zram0 are left
         * out, so vda is the only disk. */
        assert_int_equal(f.s.n_disks, 1);
        assert_near(find_disk(&f.s, "vda")->read_bytes_total, 2154010 * 512.0);
        assert_near(find_disk(&f.s, "vda")->written_bytes_total, 574224 * 512.0);
        /* lo, ifb0, ifb1, eth0 */
        assert_int_equal(f.s.n_nets, 4);
        assert_true(find_net(&f.s, "lo")->loopback);
        assert_near(find_net(&f.s, "eth0")->rx_bytes_total, 23148414);
        /* Of 21 mounts only "/dev/vda / ext4" is a real filesystem. */
        assert_int_equal(f.s.n_fs, 1);
        assert_string_equal(f.s.fs[0].mountpoint, "/");
        assert_string_equal(f.s.fs[0].device, "/dev/vda");
        assert_string_equal(f.s.fs[0].fstype, "ext4");
        assert_true(f.s.psi_present);
        assert_near(f.s.pressure[HOST_PSI_IO].avg300_percent[HOST_PSI_FULL], 0.10);
        assert_near(f.s.pressure[HOST_PSI_IO].stall_seconds_total[HOST_PSI_SOME], 2.443463);
        assert_near(f.s.pressure[HOST_PSI_MEMORY].stall_seconds_total[HOST_PSI_FULL], 0);
        assert_int_equal(f.s.skipped_lines, 0);
        fixture_done(&f);
}

static void test_host_collector_sample_live_delta(void **state)
{
        const int64_t t0 = INT64_C(1795306003150); /* btime 1795305453 + uptime 550.15 s */
        const double dt = 3.64;
        Fixture f;

        (void) state;
        fixture_init(&f, "host-live/t0");
        fixture_sample(&f, "host-live/t0", t0);
        fixture_sample(&f, "host-live/t1", t0 + 3640);
        assert_near(f.s.interval_seconds, dt);

        /* cpu t0: 3184 0 1281 104932 319 0 58 171 0 0
         * cpu t1: 3251 0 1343 105509 337 0 59 173 0 0
         * deltas: user 67, system 62, idle 577, iowait 18, softirq 1, steal 2; total 727 */
        assert_near(f.s.cpu_percent[HOST_CPU_USER], 100.0 * 67 / 727);
        assert_near(f.s.cpu_percent[HOST_CPU_NICE], 0);
        assert_near(f.s.cpu_percent[HOST_CPU_SYSTEM], 100.0 * 62 / 727);
        assert_near(f.s.cpu_percent[HOST_CPU_IDLE], 100.0 * 577 / 727);
        assert_near(f.s.cpu_percent[HOST_CPU_IOWAIT], 100.0 * 18 / 727);
        assert_near(f.s.cpu_percent[HOST_CPU_SOFTIRQ], 100.0 * 1 / 727);
        assert_near(f.s.cpu_percent[HOST_CPU_STEAL], 100.0 * 2 / 727);
        assert_near(f.s.cpu_percent[HOST_CPU_GUEST], 0);
        /* busy = 727 - 577 idle - 18 iowait = 132 → 18.1568 % */
        assert_near(f.s.cpu_busy_percent, 100.0 * 132 / 727);
        /* ctxt 267414 → 272029, processes 5923 → 6336, intr 148064 → 151343 */
        assert_near(f.s.context_switches_per_second, 4615 / dt);
        assert_near(f.s.forks_per_second, 413 / dt);
        assert_near(f.s.interrupts_per_second, 3279 / dt);
        assert_near(f.s.procs_running, 3);
        assert_near(f.s.load1, 0.12);
        assert_near(f.s.load5, 0.07);
        assert_near(f.s.load15, 0.03);
        assert_near(f.s.tasks, 102);

        /* t1 meminfo: MemAvailable 24340196, Buffers 44508, Cached 1284608, SReclaimable
         * 62536 kB. */
        assert_near(f.s.mem_used_bytes, (24684084.0 - 24340196) * KIB);
        assert_near(f.s.mem_used_percent, 100.0 * (24684084.0 - 24340196) / 24684084);
        assert_near(f.s.mem_buffers_bytes, 44508 * KIB);
        assert_near(f.s.mem_cached_bytes, (1284608 + 62536) * KIB);
        assert_near(f.s.mem_shared_bytes, 8872 * KIB);

        /* io some total 2443463 → 2541488 µs, full 2314803 → 2411723 (the O_DIRECT write);
         * cpu some 2515299 → 2537071; memory all 0. */
        const HostPressure *io = &f.s.pressure[HOST_PSI_IO];
        assert_near(io->stall_seconds_per_second[HOST_PSI_SOME], 98025e-6 / dt);
        assert_near(io->stall_seconds_per_second[HOST_PSI_FULL], 96920e-6 / dt);
        assert_near(io->avg10_percent[HOST_PSI_FULL], 0.59);
        assert_near(f.s.pressure[HOST_PSI_CPU].stall_seconds_per_second[HOST_PSI_SOME],
                    21772e-6 / dt);
        assert_near(f.s.pressure[HOST_PSI_MEMORY].stall_seconds_per_second[HOST_PSI_FULL], 0);

        /* vda t0: 27717 5306 2154010 5966 4800 6616 574224 2372 0 3828 ...
         *     t1: 27727 5306 2154650 5969 5239 6783 986720 2754 0 4032 ...
         * reads +10, sectors read +640, read ms +3, writes +439, sectors written +412496,
         * write ms +382, io ms +204. */
        const HostDisk *vda = find_disk(&f.s, "vda");
        assert_near(vda->reads_per_second, 10 / dt);
        assert_near(vda->writes_per_second, 439 / dt);
        assert_near(vda->read_bytes_per_second, 640 * 512.0 / dt);
        assert_near(vda->write_bytes_per_second, 412496 * 512.0 / dt); /* ~58 MB/s */
        assert_near(vda->busy_percent, 100.0 * 204 / 3640);
        assert_near(vda->await_seconds, (3 + 382) / 449.0 / 1000);

        /* eth0 rx 23148414 → 23151659 bytes, 894 → 906 packets; tx 51959 → 53790, 700 →
         * 716. */
        const HostNet *eth0 = find_net(&f.s, "eth0");
        assert_near(eth0->rx_bytes_per_second, 3245 / dt);
        assert_near(eth0->rx_packets_per_second, 12 / dt);
        assert_near(eth0->tx_bytes_per_second, 1831 / dt);
        assert_near(eth0->tx_packets_per_second, 16 / dt);
        assert_near(eth0->rx_errors_per_second, 0);
        assert_near(find_net(&f.s, "lo")->rx_bytes_per_second, 0);

        /* "/": fake statfs: 1000000 blocks of 4096, 400000 free, 350000 available to users */
        assert_near(f.s.fs[0].size_bytes, 4096e6);
        assert_near(f.s.fs[0].used_bytes, 600000 * 4096.0);
        assert_near(f.s.fs[0].avail_bytes, 350000 * 4096.0);
        assert_near(f.s.fs[0].used_percent, 100.0 * 600000 / 950000);
        assert_near(f.s.fs[0].inodes_used_percent, 100.0 * 5536 / 65536);
        fixture_done(&f);
}

static void test_host_collector_sample_edge(void **state)
{
        Fixture f;

        (void) state;
        fixture_init(&f, "host-edge/t0");
        fixture_sample(&f, "host-edge/t0", 100000);
        /* meminfo: Dirty overflows, Shmem is "abc"; mounts: 4 bad lines; diskstats: a garbage
         * line and a short nvme0n1 line. */
        assert_int_equal(f.s.skipped_lines, 2 + 4 + 2);
        assert_nan(f.s.mem_dirty_bytes);
        assert_nan(f.s.mem_shared_bytes);
        assert_near(f.s.mem_writeback_bytes, 12 * KIB);
        /* The duplicate "MemTotal: 1 kB" at the end is ignored. */
        assert_near(f.s.mem_total_bytes, 8000000 * KIB);
        assert_near(f.s.mem_used_percent, 25);
        assert_near(f.s.mem_cached_bytes, 4200000 * KIB);
        assert_near(f.s.swap_used_bytes, 500000 * KIB);
        assert_near(f.s.swap_used_percent, 25);
        assert_near(f.s.fds_max, 9223372036854775807.0);

        /* Mounts: "/" (sda1 also bound at /srv/bind), "/d" (sdb1 also at "/data/long name",
         * shortest wins, first position kept), the escaped one, one overlay (the other's statfs
         * fails); /nfs has 0 blocks; proc, tmpfs, squashfs and cgroup2 are skipped. */
        assert_int_equal(f.s.n_fs, 4);
        assert_string_equal(f.s.fs[0].mountpoint, "/");
        assert_string_equal(f.s.fs[1].mountpoint, "/d");
        assert_string_equal(f.s.fs[1].device, "/dev/sdb1");
        assert_string_equal(f.s.fs[2].mountpoint, "/mnt/my disk\ttab\\back");
        assert_string_equal(f.s.fs[3].mountpoint, "/var/lib/docker/overlay2/def/merged");
        assert_string_equal(f.s.fs[3].fstype, "overlay");
        assert_near(f.s.fs[1].used_percent, 0);
        assert_nan(f.s.fs[1].inodes_used_percent);
        assert_near(f.s.fs[2].used_bytes, 150 * 512.0);
        assert_near(f.s.fs[2].used_percent, 75);
        assert_near(f.s.fs[2].inodes_used_percent, 50);
        /* loop0 is ignored, nvme0n1's line is short: sda, sda1, dm-0 */
        assert_int_equal(f.s.n_disks, 3);
        const char *fs0 = f.s.fs[0].mountpoint;

        fixture_sample(&f, "host-edge/t1", 110000);
        /* meminfo 2, pressure/memory 2 (bad "full", "bogus"), mounts 4 (unchanged text, still
         * counted), diskstats 1 (sdb "1x"), net/dev 2 (bad0 short, "a b" has a blank). */
        assert_int_equal(f.s.skipped_lines, 2 + 2 + 4 + 1 + 2);
        /* Same mount table: the strings are reused, not reallocated. */
        assert_ptr_equal(f.s.fs[0].mountpoint, fs0);

        /* cpu t0: 1000 10 500 8000 200 0 20 0 100 0
         * cpu t1: 1300 10 600 8500 250 0 30 10 200 0
         * deltas: user 300 (of which guest 100), system 100, idle 500, iowait 50, softirq 10,
         * steal 10; total without guest (already in user) 970. */
        assert_near(f.s.cpu_percent[HOST_CPU_USER], 100.0 * 200 / 970);
        assert_near(f.s.cpu_percent[HOST_CPU_GUEST], 100.0 * 100 / 970);
        assert_near(f.s.cpu_percent[HOST_CPU_SYSTEM], 100.0 * 100 / 970);
        assert_near(f.s.cpu_percent[HOST_CPU_IDLE], 100.0 * 500 / 970);
        assert_near(f.s.cpu_busy_percent, 100.0 * 420 / 970);
        double sum = 0;
        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                sum += f.s.cpu_percent[m];
        assert_near(sum, 100);
        /* ctxt +1000 (the later duplicate "ctxt 5" is ignored), processes +10, intr +1000 */
        assert_near(f.s.context_switches_per_second, 100);
        assert_near(f.s.forks_per_second, 1);
        assert_near(f.s.interrupts_per_second, 100);
        assert_near(f.s.procs_running, 4);
        assert_near(f.s.procs_blocked, 2);
        assert_near(f.s.load5, 2.5);
        assert_near(f.s.tasks, 510);

        /* cpu has no "full" line (before 5.13); memory's "full" is broken in t1; no io file. */
        const HostPressure *cpu = &f.s.pressure[HOST_PSI_CPU],
                           *mem = &f.s.pressure[HOST_PSI_MEMORY];
        assert_true(f.s.psi_present);
        assert_true(cpu->present[HOST_PSI_SOME]);
        assert_false(cpu->present[HOST_PSI_FULL]);
        assert_near(cpu->stall_seconds_per_second[HOST_PSI_SOME], 2.0 / 10);
        assert_near(mem->stall_seconds_per_second[HOST_PSI_SOME], 1.0 / 10);
        assert_false(mem->present[HOST_PSI_FULL]);
        assert_false(f.s.pressure[HOST_PSI_IO].present[HOST_PSI_SOME]);

        /* sda: reads +100, sectors read +2000, writes +100, sectors written +4000, read ms
         * +100, write ms +100, io ms +1000 over 10 s. */
        assert_int_equal(f.s.n_disks, 3); /* sda sda1 nvme0n1; dm-0 went away, sr0 ignored */
        const HostDisk *sda = find_disk(&f.s, "sda");
        assert_near(sda->reads_per_second, 10);
        assert_near(sda->read_bytes_per_second, 2000 * 512.0 / 10);
        assert_near(sda->write_bytes_per_second, 4000 * 512.0 / 10);
        assert_near(sda->await_seconds, 0.001);
        assert_near(sda->busy_percent, 10);
        assert_near(sda->io_in_progress, 1);
        const HostDisk *sda1 = find_disk(&f.s, "sda1");
        assert_near(sda1->reads_per_second, 0);
        assert_near(sda1->await_seconds, 0);
        const HostDisk *nvme = find_disk(&f.s, "nvme0n1"); /* new: totals only */
        assert_nan(nvme->reads_per_second);
        assert_near(nvme->read_bytes_total, 40 * 512.0);

        /* eth0: rx +1000000 bytes +1000 packets +1 error +2 drops; tx +200000 +200. */
        assert_int_equal(f.s.n_nets, 3); /* lo eth0 veth1; wg0 went away */
        const HostNet *eth0 = find_net(&f.s, "eth0");
        assert_near(eth0->rx_bytes_per_second, 100000);
        assert_near(eth0->rx_packets_per_second, 100);
        assert_near(eth0->rx_errors_per_second, 0.1);
        assert_near(eth0->rx_drops_per_second, 0.2);
        assert_near(eth0->tx_bytes_per_second, 20000);
        assert_near(eth0->tx_drops_per_second, 0);
        assert_near(eth0->rx_errors_total, 2);
        assert_nan(find_net(&f.s, "veth1")->rx_bytes_per_second);

        fixture_sample(&f, "host-edge/t2", 120000);
        /* iowait 250 → 240: the CPU shares are unknown for this interval, not negative. */
        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                assert_nan(f.s.cpu_percent[m]);
        assert_nan(f.s.cpu_busy_percent);
        assert_near(f.s.cpus, 1); /* cpu1 went offline */
        assert_near(f.s.context_switches_per_second, 100);
        assert_nan(f.s.forks_per_second);                         /* processes 1010 → 1005 */
        assert_nan(f.s.load1);                                    /* "1.5 2.5": truncated */
        assert_nan(mem->stall_seconds_per_second[HOST_PSI_FULL]); /* no valid t1 value */
        assert_near(mem->avg10_percent[HOST_PSI_FULL], 5);
        /* sda was re-created (counters restarted): unknown; sda1: reads +50, sectors +1000,
         * read ms +10, io ms +200. */
        assert_nan(find_disk(&f.s, "sda")->reads_per_second);
        assert_nan(find_disk(&f.s, "sda")->busy_percent);
        sda1 = find_disk(&f.s, "sda1");
        assert_near(sda1->reads_per_second, 5);
        assert_near(sda1->read_bytes_per_second, 51200);
        assert_near(sda1->await_seconds, 10.0 / 50 / 1000);
        assert_near(sda1->busy_percent, 2);
        nvme = find_disk(&f.s, "nvme0n1");
        assert_near(nvme->read_bytes_per_second, 16 * 512.0 / 10);
        /* eth0 restarted, wg0 is back after a gap: both unknown; veth1 +1000 bytes. */
        assert_nan(find_net(&f.s, "eth0")->rx_bytes_per_second);
        assert_nan(find_net(&f.s, "wg0")->tx_bytes_per_second);
        assert_near(find_net(&f.s, "veth1")->rx_bytes_per_second, 100);
        assert_near(find_net(&f.s, "lo")->tx_packets_per_second, 1);
        /* sdc1 unmounted: the overlay moves up into its slot. */
        assert_int_equal(f.s.n_fs, 3);
        assert_string_equal(f.s.fs[2].mountpoint, "/var/lib/docker/overlay2/def/merged");

        /* Time standing still: rates unknown, gauges still there. */
        fixture_sample(&f, "host-edge/t2", 120000);
        assert_nan(f.s.context_switches_per_second);
        assert_nan(find_net(&f.s, "lo")->rx_bytes_per_second);
        assert_near(f.s.mem_used_percent, 25);
        fixture_done(&f);
}

static void test_host_collector_sample_old_kernel(void **state)
{
        Fixture f;

        (void) state;
        fixture_init(&f, "host-oldkernel");
        fixture_sample(&f, "host-oldkernel", 5000);

        /* No MemAvailable: MemFree 512000 + Buffers 128000 + Cached 256000 = 896000 kB. */
        assert_true(f.s.mem_available_estimated);
        assert_near(f.s.mem_available_bytes, 896000 * KIB);
        assert_near(f.s.mem_used_bytes, (2048000 - 896000) * KIB);
        assert_near(f.s.mem_used_percent, 56.25);
        assert_near(f.s.mem_cached_bytes, (256000 + 32000) * KIB);
        assert_near(f.s.swap_used_percent, 25);
        assert_false(f.s.psi_present);
        assert_near(f.s.cpus, 1);
        assert_near(f.s.procs_blocked, 1);
        assert_near(f.s.tasks, 150);
        assert_near(f.s.uptime_seconds, 1000.5);
        /* /proc/1/mounts: rootfs is skipped, /dev/sda1 on / is kept. */
        assert_int_equal(f.s.n_fs, 1);
        assert_string_equal(f.s.fs[0].fstype, "ext3");
        /* The 4-field partition line of pre-2.6.25 kernels is skipped. */
        assert_int_equal(f.s.n_disks, 1);
        assert_int_equal(f.s.skipped_lines, 1);
        /* "eth0:123456789" with no blank after the colon */
        assert_near(find_net(&f.s, "eth0")->rx_bytes_total, 123456789);
        assert_near(find_net(&f.s, "eth0")->tx_bytes_total, 987654321);

        /* Nothing moved in 10 s: CPU shares unknown (0 jiffies), rates 0. */
        fixture_sample(&f, "host-oldkernel", 15000);
        assert_nan(f.s.cpu_busy_percent);
        assert_near(f.s.context_switches_per_second, 0);
        assert_near(find_disk(&f.s, "sda")->busy_percent, 0);
        fixture_done(&f);
}

static void test_host_collector_sample_missing_everything(void **state)
{
        _cleanup_free_ char *tmp = test_mkdtemp();
        _cleanup_(host_collector_freep) HostCollector *c = NULL;
        HostSample s = {};

        (void) state;
        assert_int_equal(host_collector_new(tmp, NULL, &c), 0);
        assert_int_equal(host_collector_sample(c, 1, &s), -ENOENT);
        assert_nan(s.mem_total_bytes);
        assert_int_equal(s.n_fs + s.n_disks + s.n_nets, 0);
        host_sample_done(&s);
        test_rm_rf(tmp);
        assert_int_equal(host_collector_new("/nonexistent/proc", NULL, &c), -ENOENT);
}

typedef struct Collected {
        StrBuf text;
        unsigned n;
} Collected;

static void collect_metric(void *userdata, const char *name, const char *const *labels,
                           double value)
{
        Collected *c = userdata;

        assert_false(isnan(value));
        (void) strbuf_puts(&c->text, name);
        if (labels) {
                (void) strbuf_putc(&c->text, '{');
                for (size_t i = 0; labels[i]; i += 2) {
                        assert_non_null(labels[i + 1]);
                        (void) strbuf_printf(&c->text, "%s%s=\"%s\"", i ? "," : "", labels[i],
                                             labels[i + 1]);
                }
                (void) strbuf_putc(&c->text, '}');
        }
        (void) strbuf_printf(&c->text, " %.17g\n", value);
        c->n++;
}

static void assert_has_line(const Collected *c, const char *line)
{
        if (!strstr(strbuf_str(&c->text), line))
                fail_msg("no metric line '%s' in:\n%s", line, strbuf_str(&c->text));
}

static void assert_no_line(const Collected *c, const char *prefix)
{
        if (strstr(strbuf_str(&c->text), prefix))
                fail_msg("unexpected metric '%s'", prefix);
}

static void test_host_sample_foreach_metric(void **state)
{
        Fixture f;
        Collected col = {};

        (void) state;
        fixture_init(&f, "host-edge/t0");
        fixture_sample(&f, "host-edge/t0", 100000);
        fixture_sample(&f, "host-edge/t1", 110000);
        host_sample_foreach_metric(&f.s, collect_metric, &col);

        assert_has_line(&col, "host_cpu_percent{mode=\"guest\"} 10.309278350515465\n");
        assert_has_line(&col, "host_cpu_percent{mode=\"guest_nice\"} 0\n");
        assert_has_line(&col, "host_cpu_busy_percent 43.298969072164951\n");
        assert_has_line(&col, "host_cpus 2\n");
        assert_has_line(&col, "host_context_switches_per_second 100\n");
        assert_has_line(&col, "host_load15 3.5\n");
        assert_has_line(&col, "host_memory_used_percent 25\n");
        assert_has_line(&col, "host_memory_available_estimated 0\n");
        assert_has_line(&col, "host_swap_used_bytes 512000000\n");
        assert_has_line(&col, "host_pressure_stall_seconds_per_second{resource=\"cpu\","
                              "kind=\"some\"} 0.20000000000000001\n");
        assert_has_line(&col,
                        "host_pressure_avg10_percent{resource=\"memory\",kind=\"some\"} 12\n");
        assert_no_line(&col, "kind=\"full\"");           /* cpu: no line; memory: broken */
        assert_no_line(&col, "host_memory_dirty_bytes"); /* unknown: skipped */
        assert_has_line(&col, "host_filesystem_used_percent{mountpoint=\"/mnt/my disk\ttab\\back\","
                              "device=\"/dev/sdc1\",fstype=\"xfs\"} 75\n");
        assert_has_line(&col, "host_filesystem_size_bytes{mountpoint=\"/\",device=\"/dev/sda1\","
                              "fstype=\"ext4\"} 4096000000\n");
        assert_no_line(&col, "host_filesystem_inodes_used_percent{mountpoint=\"/d\"");
        assert_has_line(&col, "host_disk_busy_percent{device=\"sda\"} 10\n");
        assert_has_line(&col, "host_disk_read_bytes_total{device=\"nvme0n1\"} 20480\n");
        assert_no_line(&col, "host_disk_reads_per_second{device=\"nvme0n1\"}");
        assert_has_line(&col, "host_network_receive_bytes_per_second{interface=\"eth0\"} 100000\n");
        assert_has_line(&col, "host_network_transmit_errors_total{interface=\"eth0\"} 3\n");
        assert_has_line(&col, "host_network_receive_drops_per_second{interface=\"lo\"} 0\n");
        assert_has_line(&col, "host_file_descriptors_allocated 2048\n");
        assert_has_line(&col, "host_uptime_seconds 110\n");
        /* 10 cpu modes + 7 cpu + 4 load + 12 memory - 2 (shared, dirty unknown) + 4 swap + psi
         * 5 × 2 (cpu some, memory some) + fs 4 × 7 - 1 (no inode % on /d) + disks 3 × 9 - 6
         * (nvme0n1 rates) + nets 3 × 16 - 8 (veth1 rates) + 3 misc */
        assert_int_equal(col.n, 10 + 7 + 4 + 10 + 4 + 10 + 27 + 21 + 40 + 3);
        strbuf_done(&col.text);
        fixture_done(&f);
}

/* The real /proc and statvfs() of this machine: only invariants can be checked. */
static void test_host_collector_sample_live_proc(void **state)
{
        _cleanup_(host_collector_freep) HostCollector *c = NULL;
        HostSample s = {};

        (void) state;
        assert_int_equal(host_collector_new("/proc", "/sys", &c), 0);
        assert_int_equal(host_collector_sample(c, 0, &s), 0);
        /* Spin 200 ms so the second sample has jiffies (USER_HZ 100) to divide. */
        int64_t t0 = time_mono_ms();
        for (volatile unsigned x = 0; time_mono_ms() < t0 + 200;)
                x++;
        assert_int_equal(host_collector_sample(c, 200, &s), 0);

        assert_true(s.cpus >= 1);
        assert_true(s.cpu_busy_percent >= 0 && s.cpu_busy_percent <= 100);
        for (size_t m = 0; m < _HOST_CPU_MODE_MAX; m++)
                assert_true(s.cpu_percent[m] >= 0 && s.cpu_percent[m] <= 100);
        assert_true(s.context_switches_per_second > 0);
        assert_true(s.mem_total_bytes > 0);
        assert_true(s.mem_available_bytes <= s.mem_total_bytes);
        assert_true(s.mem_used_percent >= 0 && s.mem_used_percent <= 100);
        assert_true(s.load1 >= 0);
        assert_true(s.tasks >= 1);
        assert_true(s.uptime_seconds > 0);
        assert_true(s.fds_allocated > 0 && s.fds_allocated <= s.fds_max);
        assert_true(s.n_nets >= 1);
        for (size_t i = 0; i < s.n_fs; i++) {
                assert_true(s.fs[i].used_bytes <= s.fs[i].size_bytes);
                assert_true(s.fs[i].used_percent >= 0 && s.fs[i].used_percent <= 100);
        }
        for (size_t i = 0; i < s.n_disks; i++)
                if (!isnan(s.disks[i].busy_percent))
                        assert_true(s.disks[i].busy_percent >= 0 && s.disks[i].busy_percent <= 100);
        assert_int_equal(s.skipped_lines, 0);
        host_sample_done(&s);
}

static unsigned n_disks_seen, n_nets_seen, n_mounts_seen;

static void count_disk(void *userdata, const HostDiskRaw *d)
{
        (void) userdata;
        assert_true(strlen(d->name) <= HOST_DISK_NAME_MAX);
        n_disks_seen++;
}

static void count_net(void *userdata, const HostNetRaw *n)
{
        (void) userdata;
        assert_true(strlen(n->name) <= HOST_NET_NAME_MAX);
        n_nets_seen++;
}

static void check_mount(void *userdata, const char *device, const char *mountpoint,
                        const char *fstype)
{
        const char **expect = userdata;

        if (expect) {
                assert_string_equal(device, expect[0]);
                assert_string_equal(mountpoint, expect[1]);
                assert_string_equal(fstype, expect[2]);
        }
        n_mounts_seen++;
}

static void test_host_parse_garbage(void **state)
{
        HostStatRaw st;
        HostMemRaw m;
        HostPsiRaw psi;
        HostLoadRaw l;
        HostFileNrRaw fnr;
        double up;

        (void) state;
        /* Fewer than 4 cpu columns, a number glued to text, a 21-digit number. */
        assert_int_equal(host_parse_stat("cpu 1 2 3\nctxt 12ab\nprocesses 999999999999999999999\n"
                                         "cpu0\ncpux 1\nintr\n",
                                         &st),
                         5);
        assert_int_equal(st.present, 0);
        assert_int_equal(st.n_cpus, 0);
        assert_int_equal(host_parse_stat("cpu  1 2 3 4", &st), 0); /* 2.4-era, no newline */
        assert_int_equal(st.present, HOST_STAT_HAS_CPU);
        assert_int_equal(st.cpu[HOST_CPU_IDLE], 4);
        assert_int_equal(host_parse_stat("cpu  1 2 3 4 5 6 7 8 9 10 11 12\n", &st), 0);
        assert_int_equal(st.cpu[HOST_CPU_GUEST_NICE], 10);
        assert_int_equal(host_parse_stat("", &st), 0);

        assert_int_equal(host_parse_meminfo("MemTotal:\nMemFree: 5\nCached: 1 kB", &m), 1);
        assert_int_equal(m.present, 1u << HOST_MEM_FREE | 1u << HOST_MEM_CACHED);
        assert_int_equal(m.bytes[HOST_MEM_FREE], 5); /* no unit: not scaled */
        assert_int_equal(m.bytes[HOST_MEM_CACHED], 1024);
        assert_int_equal(host_parse_meminfo("Buffers: 18014398509481984 kB\n", &m), 1);
        assert_int_equal(host_parse_meminfo(":\n::\n: 5 kB", &m), 0);

        assert_int_equal(host_parse_pressure("some avg10=1 avg60=2 avg300=3 total=4\n"
                                             "some avg10=1 avg60=2 avg300=3 total=5\n"
                                             "full avg60=1 avg10=2 avg300=3 total=4\n"
                                             "full avg10=nan avg60=2 avg300=3 total=4\n"
                                             "full avg10=1e999 avg60=2 avg300=3 total=4\n"
                                             "full avg10=1 avg60=2 avg300=3 total=\n"
                                             "full avg10=1 avg60=2 avg300=3",
                                             &psi),
                         6);
        assert_true(psi.present[HOST_PSI_SOME]);
        assert_false(psi.present[HOST_PSI_FULL]);
        assert_int_equal(psi.total_us[HOST_PSI_SOME], 4);

        assert_int_equal(host_parse_loadavg("1 2 3 4/5 6", &l), 0);
        assert_int_equal(host_parse_loadavg("1 2 3 4 5 6", &l), -EINVAL);
        assert_int_equal(host_parse_loadavg("1 2 3 4/", &l), -EINVAL);
        assert_int_equal(host_parse_loadavg("-1 2 3 4/5", &l), -EINVAL);
        assert_int_equal(host_parse_loadavg("", &l), -EINVAL);
        assert_int_equal(host_parse_file_nr("1 0", &fnr), -EINVAL);
        assert_int_equal(host_parse_file_nr("1 0 2\n", &fnr), 0);
        assert_int_equal(host_parse_uptime("abc", &up), -EINVAL);
        assert_int_equal(host_parse_uptime("12.5", &up), 0);
        assert_near(up, 12.5);

        n_disks_seen = 0;
        assert_int_equal(host_parse_diskstats("\n  \n 8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
                                              " 8 0 sda 1 2 3 4 5 6 7 8 9 10\n"
                                              " 8 0 a234567890123456789012345678901234 1 2 3 4 5 "
                                              "6 7 8 9 10 11\n"
                                              " 8 x sdb 1 2 3 4 5 6 7 8 9 10 11\n"
                                              " 8 0\n",
                                              count_disk, NULL),
                         4);
        assert_int_equal(n_disks_seen, 1);

        n_nets_seen = 0;
        assert_int_equal(host_parse_net_dev(":1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                                            "a234567890123456: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
                                            "15 16\n"
                                            "a23456789012345: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
                                            "16 17\n"
                                            "x: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 1a\n"
                                            "no colon here\n",
                                            count_net, NULL),
                         3);
        assert_int_equal(n_nets_seen, 1);

        const char *expect[] = {"a b", "/x\\040y \\", "ext4"};
        n_mounts_seen = 0;
        assert_int_equal(host_parse_mounts("a\\040b /x\\134040y\\040\\ ext4 rw 0 0\n", check_mount,
                                           (void *) expect),
                         0);
        assert_int_equal(host_parse_mounts("a /\\400 ext4\na /x\\0 ext4\n\n", check_mount, NULL),
                         0);
        assert_int_equal(n_mounts_seen, 3); /* \400 and \0 are not escapes: kept literally */
        assert_int_equal(host_parse_mounts("a /b\\000 ext4\na /b\n", check_mount, NULL), 2);

        assert_false(host_fstype_is_real("tmpfs"));
        assert_false(host_fstype_is_real("cgroup2"));
        assert_false(host_fstype_is_real(""));
        assert_true(host_fstype_is_real("ext4"));
        assert_true(host_fstype_is_real("overlay"));
        assert_true(host_fstype_is_real("fuse.sshfs"));
        assert_true(host_disk_is_ignored("loop12"));
        assert_true(host_disk_is_ignored("zram0"));
        assert_true(host_disk_is_ignored("sr0"));
        assert_false(host_disk_is_ignored("sra"));
        assert_false(host_disk_is_ignored("loop"));
        assert_false(host_disk_is_ignored("dm-0"));
        assert_false(host_disk_is_ignored("nvme0n1p1"));
        assert_string_equal(host_cpu_mode_to_string(HOST_CPU_STEAL), "steal");
        assert_null(host_cpu_mode_to_string(_HOST_CPU_MODE_MAX));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_host_collector_sample_live_first),
                cmocka_unit_test(test_host_collector_sample_live_delta),
                cmocka_unit_test(test_host_collector_sample_edge),
                cmocka_unit_test(test_host_collector_sample_old_kernel),
                cmocka_unit_test(test_host_collector_sample_missing_everything),
                cmocka_unit_test(test_host_sample_foreach_metric),
                cmocka_unit_test(test_host_collector_sample_live_proc),
                cmocka_unit_test(test_host_parse_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

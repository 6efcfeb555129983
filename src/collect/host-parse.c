#include "collect/host-parse.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/macro.h"
#include "core/parse.h"

static bool is_end(char c)
{
        return c == '\0' || c == '\n';
}

static bool is_sep(char c)
{
        return c == ' ' || c == '\t' || is_end(c);
}

/* A number that is a whole field: "12ab" is garbage, not 12. */
static int field_u64(const char **p, uint64_t *ret)
{
        const char *s = *p;
        uint64_t v;

        if (parse_u64(&s, &v) < 0 || !is_sep(*s))
                return -EINVAL;
        *ret = v;
        *p = s;
        return 0;
}

static int field_double(const char **p, double *ret)
{
        const char *s = *p;
        double v;

        if (parse_double(&s, &v) < 0 || !is_sep(*s) || !isfinite(v))
                return -EINVAL;
        *ret = v;
        *p = s;
        return 0;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
        return n == strlen(lit) && memcmp(w, lit, n) == 0;
}

static const char *const cpu_mode_names[_HOST_CPU_MODE_MAX] = {
        [HOST_CPU_USER] = "user",       [HOST_CPU_NICE] = "nice",
        [HOST_CPU_SYSTEM] = "system",   [HOST_CPU_IDLE] = "idle",
        [HOST_CPU_IOWAIT] = "iowait",   [HOST_CPU_IRQ] = "irq",
        [HOST_CPU_SOFTIRQ] = "softirq", [HOST_CPU_STEAL] = "steal",
        [HOST_CPU_GUEST] = "guest",     [HOST_CPU_GUEST_NICE] = "guest_nice",
};

const char *host_cpu_mode_to_string(HostCpuMode m)
{
        if (m < 0 || m >= _HOST_CPU_MODE_MAX)
                return NULL;
        return cpu_mode_names[m];
}

/* "cpu  u n s i ...": user nice system idle are in every kernel; later columns were added over
 * time (see HostCpuMode) and columns newer than guest_nice are ignored. */
static int parse_cpu_line(const char *p, uint64_t cpu[static _HOST_CPU_MODE_MAX])
{
        uint64_t v[_HOST_CPU_MODE_MAX] = {};
        unsigned n = 0;

        while (n < _HOST_CPU_MODE_MAX && field_u64(&p, &v[n]) >= 0)
                n++;
        if (n < 4 || (n < _HOST_CPU_MODE_MAX && !is_end(*p)))
                return -EINVAL;
        memcpy(cpu, v, sizeof(v));
        return 0;
}

static bool is_cpun(const char *w, size_t n)
{
        if (n < 4 || memcmp(w, "cpu", 3) != 0)
                return false;
        for (size_t i = 3; i < n; i++)
                if (w[i] < '0' || w[i] > '9')
                        return false;
        return true;
}

int host_parse_stat(const char *text, HostStatRaw *ret)
{
        static const struct {
                const char *key;
                size_t offset;
                unsigned bit;
        } keys[] = {
                {"intr", offsetof(HostStatRaw, intr), HOST_STAT_HAS_INTR},
                {"ctxt", offsetof(HostStatRaw, ctxt), HOST_STAT_HAS_CTXT},
                {"processes", offsetof(HostStatRaw, processes), HOST_STAT_HAS_PROCESSES},
                {"procs_running", offsetof(HostStatRaw, procs_running),
                 HOST_STAT_HAS_PROCS_RUNNING},
                {"procs_blocked", offsetof(HostStatRaw, procs_blocked),
                 HOST_STAT_HAS_PROCS_BLOCKED},
        };
        HostStatRaw st = {};
        int skipped = 0;

        for (const char *p = text; *p;) {
                const char *q = p, *w;
                size_t n = parse_word(&q, &w);

                parse_skip_line(&p);
                if (n == 0)
                        continue;
                if (word_is(w, n, "cpu")) {
                        if (st.present & HOST_STAT_HAS_CPU)
                                continue;
                        if (parse_cpu_line(q, st.cpu) < 0) {
                                skipped++;
                                continue;
                        }
                        st.present |= HOST_STAT_HAS_CPU;
                        continue;
                }
                if (is_cpun(w, n)) {
                        uint64_t unused[_HOST_CPU_MODE_MAX];
                        if (parse_cpu_line(q, unused) < 0)
                                skipped++;
                        else
                                st.n_cpus++;
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        uint64_t v;
                        if (!word_is(w, n, keys[i].key) || (st.present & keys[i].bit))
                                continue;
                        if (field_u64(&q, &v) < 0) {
                                skipped++;
                                break;
                        }
                        /* Copy through memcpy: the table holds byte offsets into a struct of
                         * uint64_t members, so this is the member itself. */
                        memcpy((char *) &st + keys[i].offset, &v, sizeof(v));
                        st.present |= keys[i].bit;
                        break;
                }
        }
        *ret = st;
        return skipped;
}

int host_parse_loadavg(const char *text, HostLoadRaw *ret)
{
        const char *p = text;
        HostLoadRaw l = {};

        for (size_t i = 0; i < 3; i++)
                if (field_double(&p, &l.load[i]) < 0 || l.load[i] < 0)
                        return -EINVAL;
        /* Field 4 is "running/total" in one word. */
        if (parse_u64(&p, &l.running) < 0 || *p != '/')
                return -EINVAL;
        p++;
        if (field_u64(&p, &l.tasks) < 0)
                return -EINVAL;
        *ret = l;
        return 0;
}

int host_parse_meminfo(const char *text, HostMemRaw *ret)
{
        static const char *const keys[_HOST_MEM_FIELD_MAX] = {
                [HOST_MEM_TOTAL] = "MemTotal",
                [HOST_MEM_FREE] = "MemFree",
                [HOST_MEM_AVAILABLE] = "MemAvailable",
                [HOST_MEM_BUFFERS] = "Buffers",
                [HOST_MEM_CACHED] = "Cached",
                [HOST_MEM_SWAP_TOTAL] = "SwapTotal",
                [HOST_MEM_SWAP_FREE] = "SwapFree",
                [HOST_MEM_DIRTY] = "Dirty",
                [HOST_MEM_WRITEBACK] = "Writeback",
                [HOST_MEM_SHMEM] = "Shmem",
                [HOST_MEM_SLAB] = "Slab",
                [HOST_MEM_SRECLAIMABLE] = "SReclaimable",
        };
        HostMemRaw m = {};
        int skipped = 0;

        for (const char *p = text; *p;) {
                const char *line = p;
                size_t klen = strcspn(line, ":\n");

                parse_skip_line(&p);
                if (line[klen] != ':')
                        continue;
                for (size_t i = 0; i < _HOST_MEM_FIELD_MAX; i++) {
                        const char *q = line + klen + 1;
                        uint64_t v;

                        if (!word_is(line, klen, keys[i]) || (m.present & (1u << i)))
                                continue;
                        if (field_u64(&q, &v) < 0) {
                                skipped++;
                                break;
                        }
                        parse_skip_blanks(&q);
                        /* "kB" is the kernel's spelling of KiB (fs/proc/meminfo.c shifts by 10). */
                        if (parse_startswith(q, "kB")) {
                                if (v > UINT64_MAX / 1024) {
                                        skipped++;
                                        break;
                                }
                                v *= 1024;
                        }
                        m.bytes[i] = v;
                        m.present |= 1u << i;
                        break;
                }
        }
        *ret = m;
        return skipped;
}

static int parse_psi_line(const char *p, double avg[static 3], uint64_t *total)
{
        static const char *const keys[] = {"avg10=", "avg60=", "avg300="};

        for (size_t i = 0; i < 3; i++) {
                parse_skip_blanks(&p);
                if (!parse_startswith(p, keys[i]))
                        return -EINVAL;
                p += strlen(keys[i]);
                if (field_double(&p, &avg[i]) < 0 || avg[i] < 0)
                        return -EINVAL;
        }
        parse_skip_blanks(&p);
        if (!parse_startswith(p, "total="))
                return -EINVAL;
        p += strlen("total=");
        return field_u64(&p, total);
}

int host_parse_pressure(const char *text, HostPsiRaw *ret)
{
        HostPsiRaw psi = {};
        int skipped = 0;

        for (const char *p = text; *p;) {
                const char *q = p, *w;
                size_t n = parse_word(&q, &w);
                int k = word_is(w, n, "some")   ? HOST_PSI_SOME
                        : word_is(w, n, "full") ? HOST_PSI_FULL
                                                : -1;

                parse_skip_line(&p);
                if (n == 0)
                        continue;
                if (k < 0 || psi.present[k] ||
                    parse_psi_line(q, psi.avg[k], &psi.total_us[k]) < 0) {
                        skipped++;
                        continue;
                }
                psi.present[k] = true;
        }
        *ret = psi;
        return skipped;
}

bool host_disk_is_ignored(const char *name)
{
        static const char *const prefixes[] = {"loop", "ram", "zram", "sr", "fd"};

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                size_t n = strlen(prefixes[i]);
                /* Only "<prefix><digits>": "sra" or "fdisk0" would be someone's real name. */
                if (strncmp(name, prefixes[i], n) != 0 || name[n] == '\0')
                        continue;
                const char *s = name + n;
                while (*s >= '0' && *s <= '9')
                        s++;
                if (*s == '\0')
                        return true;
        }
        return false;
}

int host_parse_diskstats(const char *text, HostDiskFn fn, void *userdata)
{
        int skipped = 0;

        for (const char *p = text; *p;) {
                const char *q = p, *w;
                uint64_t major, minor, v[11];
                HostDiskRaw d = {};
                size_t n, i;

                parse_skip_line(&p);
                parse_skip_blanks(&q);
                if (is_end(*q))
                        continue;
                if (field_u64(&q, &major) < 0 || field_u64(&q, &minor) < 0)
                        goto skip;
                n = parse_word(&q, &w);
                if (n == 0 || n > HOST_DISK_NAME_MAX)
                        goto skip;
                /* 11 fields since 2.6.25 (partitions had 4 before), 15 since 4.18, 17 since 5.5:
                 * we need the first 11 and ignore the rest. */
                for (i = 0; i < ELEMENTSOF(v); i++)
                        if (field_u64(&q, &v[i]) < 0)
                                goto skip;
                memcpy(d.name, w, n);
                d.name[n] = '\0';
                d.reads = v[0];
                d.read_sectors = v[2];
                d.read_ms = v[3];
                d.writes = v[4];
                d.write_sectors = v[6];
                d.write_ms = v[7];
                d.in_progress = v[8];
                d.io_ms = v[9];
                fn(userdata, &d);
                continue;
        skip:
                skipped++;
        }
        return skipped;
}

int host_parse_net_dev(const char *text, HostNetFn fn, void *userdata)
{
        int skipped = 0;

        for (const char *p = text; *p;) {
                const char *line = p, *q;
                uint64_t v[16];
                HostNetRaw d = {};
                size_t nlen = strcspn(line, ":\n");

                parse_skip_line(&p);
                /* The two header lines have no ':'; interface names cannot contain one
                 * (dev_valid_name()), so the first ':' ends the name. */
                if (line[nlen] != ':')
                        continue;
                q = line;
                parse_skip_blanks(&q);
                nlen -= (size_t) (q - line);
                if (nlen == 0 || nlen > HOST_NET_NAME_MAX || memchr(q, ' ', nlen) ||
                    memchr(q, '\t', nlen)) {
                        skipped++;
                        continue;
                }
                memcpy(d.name, q, nlen);
                q += nlen + 1;
                size_t i;
                for (i = 0; i < ELEMENTSOF(v); i++)
                        if (field_u64(&q, &v[i]) < 0)
                                break;
                if (i < ELEMENTSOF(v)) {
                        skipped++;
                        continue;
                }
                /* Receive: bytes packets errs drop fifo frame compressed multicast;
                 * transmit: bytes packets errs drop fifo colls carrier compressed. */
                d.rx_bytes = v[0];
                d.rx_packets = v[1];
                d.rx_errors = v[2];
                d.rx_drops = v[3];
                d.tx_bytes = v[8];
                d.tx_packets = v[9];
                d.tx_errors = v[10];
                d.tx_drops = v[11];
                fn(userdata, &d);
        }
        return skipped;
}

/* Copies one blank-separated field of a mounts line, decoding the kernel's "\ooo" escapes
 * (fs/proc_namespace.c mangle()); 0 or -EINVAL when absent, too long or holding a NUL. */
static int mount_field(const char **p, char *out, size_t size)
{
        const char *s = *p;
        size_t n = 0;

        parse_skip_blanks(&s);
        if (is_sep(*s))
                return -EINVAL;
        for (; !is_sep(*s); s++) {
                char c = *s;
                if (c == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        c = (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                        if (c == '\0')
                                return -EINVAL;
                }
                if (n + 1 >= size)
                        return -EINVAL;
                out[n++] = c;
        }
        out[n] = '\0';
        *p = s;
        return 0;
}

int host_parse_mounts(const char *text, HostMountFn fn, void *userdata)
{
        char device[PATH_MAX], mountpoint[PATH_MAX], fstype[64];
        int skipped = 0;

        for (const char *p = text; *p;) {
                const char *q = p;

                parse_skip_line(&p);
                parse_skip_blanks(&q);
                if (is_end(*q))
                        continue;
                if (mount_field(&q, device, sizeof(device)) < 0 ||
                    mount_field(&q, mountpoint, sizeof(mountpoint)) < 0 ||
                    mount_field(&q, fstype, sizeof(fstype)) < 0 || mountpoint[0] != '/') {
                        skipped++;
                        continue;
                }
                fn(userdata, device, mountpoint, fstype);
        }
        return skipped;
}

bool host_fstype_is_real(const char *fstype)
{
        /* tmpfs and ramfs are memory, already counted in host_memory_*; squashfs and iso9660
         * are read-only images, always 100 % full; the rest have no blocks at all. */
        static const char *const pseudo[] = {
                "autofs",     "binfmt_misc", "bpf",         "cgroup",          "cgroup2",
                "configfs",   "debugfs",     "devpts",      "devtmpfs",        "efivarfs",
                "fuse.lxcfs", "fusectl",     "hugetlbfs",   "iso9660",         "mqueue",
                "nsfs",       "proc",        "pstore",      "ramfs",           "rootfs",
                "rpc_pipefs", "securityfs",  "selinuxfs",   "squashfs",        "sysfs",
                "tmpfs",      "tracefs",     "fuse.portal", "fuse.gvfsd-fuse",
        };

        for (size_t i = 0; i < ELEMENTSOF(pseudo); i++)
                if (strcmp(fstype, pseudo[i]) == 0)
                        return false;
        return fstype[0] != '\0';
}

int host_parse_file_nr(const char *text, HostFileNrRaw *ret)
{
        const char *p = text;
        HostFileNrRaw f;

        if (field_u64(&p, &f.allocated) < 0 || field_u64(&p, &f.unused) < 0 ||
            field_u64(&p, &f.max) < 0)
                return -EINVAL;
        *ret = f;
        return 0;
}

int host_parse_uptime(const char *text, double *ret_uptime)
{
        const char *p = text;
        double v;

        if (field_double(&p, &v) < 0 || v < 0)
                return -EINVAL;
        *ret_uptime = v;
        return 0;
}

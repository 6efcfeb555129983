/* Feeds arbitrary bytes to every text parser of the host collector (host-parse.h). Each
 * parser sees the whole input, so a seed captured from one /proc file also exercises the
 * others' error paths. */
#include <stdint.h>
#include <string.h>

#include "collect/host-parse.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_disk(void *userdata, const HostDiskRaw *d)
{
        /* Touch every byte the callback may rely on: the name must be NUL-terminated. */
        *(size_t *) userdata += strlen(d->name) + (size_t) host_disk_is_ignored(d->name);
}

static void on_net(void *userdata, const HostNetRaw *n)
{
        *(size_t *) userdata += strlen(n->name);
}

static void on_mount(void *userdata, const char *device, const char *mountpoint, const char *fstype)
{
        *(size_t *) userdata +=
                strlen(device) + strlen(mountpoint) + (size_t) host_fstype_is_real(fstype);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Kernel files we read are well under 1 MiB; bigger inputs only slow the fuzzer. */
        if (size > (1 << 20))
                return 0;
        _cleanup_free_ char *text = xmalloc(size + 1);
        memcpy(text, data, size);
        text[size] = '\0';

        HostStatRaw st;
        HostLoadRaw l;
        HostMemRaw m;
        HostPsiRaw psi;
        HostFileNrRaw f;
        double up;
        size_t sink = 0;

        (void) host_parse_stat(text, &st);
        (void) host_parse_loadavg(text, &l);
        (void) host_parse_meminfo(text, &m);
        (void) host_parse_pressure(text, &psi);
        (void) host_parse_diskstats(text, on_disk, &sink);
        (void) host_parse_net_dev(text, on_net, &sink);
        (void) host_parse_mounts(text, on_mount, &sink);
        (void) host_parse_file_nr(text, &f);
        (void) host_parse_uptime(text, &up);
        return sink == (size_t) -1;
}

/* Feeds arbitrary bytes to every /proc/<pid> parser: stat, statm, schedstat, status, io, cgroup
 * (and the unit derived from the path it picks) and cmdline. The first byte chooses nothing:
 * each input goes to all parsers, since real files differ only in which should accept them. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "collect/proc-pid.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ProcBuf b = {};
        ProcPidStat st;
        ProcPidStatm sm;
        ProcPidSchedstat sc;
        ProcPidStatus ss;
        ProcPidIo io;
        char *path = NULL;

        if (size > PROC_CMDLINE_MAX * 2)
                return 0;
        if (procbuf_reserve(&b, size) < 0)
                return 0;
        if (size > 0)
                memcpy(b.data, data, size);
        b.data[size] = '\0';
        b.len = size;

        if (proc_pid_parse_stat(&b, &st) == 0 && strlen(st.comm) >= PROC_COMM_MAX)
                __builtin_trap();
        /* statm and schedstat accept digits, blanks and one final newline, nothing else. */
        bool numbers = proc_pid_parse_statm(&b, &sm) == 0;
        if (proc_pid_parse_schedstat(&b, &sc) == 0)
                numbers = true;
        if (numbers)
                for (size_t i = 0; i < size; i++)
                        if (!memchr("0123456789 \t", data[i], 12) &&
                            (data[i] != '\n' || memchr(data + i + 1, '\n', size - i - 1)))
                                __builtin_trap();
        (void) proc_pid_parse_status(&b, &ss);
        (void) proc_pid_parse_io(&b, &io);
        if (proc_pid_parse_cgroup(&b, &path) == 0) {
                size_t n;
                const char *u = proc_pid_cgroup_unit(path, &n);
                if (u && (u < path || u + n > path + strlen(path)))
                        __builtin_trap();
                free(path);
        }
        char *cmd = proc_pid_parse_cmdline(&b);
        if (strlen(cmd) > size)
                __builtin_trap();
        free(cmd);
        procbuf_done(&b);
        return 0;
}

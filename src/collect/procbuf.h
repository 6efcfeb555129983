/* A read buffer reused across collection cycles for /proc and /sys files, so the collector
 * does not allocate per file per cycle (netdata). Always NUL-terminated after a read. */
#pragma once

#include <stddef.h>

/* No kernel text file we read comes near this; /proc/<pid>/cmdline is capped by ARG_MAX-ish
 * limits and some /proc/self/smaps reach a few MiB. */
#define PROCBUF_MAX ((size_t) 16 << 20)

typedef struct ProcBuf {
        char *data;
        size_t len;
        size_t cap;
} ProcBuf;

/* Reads the whole of `name` (relative to dir_fd) into b, looping until read() returns 0 (a
 * short read of a seq file is not EOF). 0, or -errno: -ENOENT/-ESRCH when a process went
 * away, -EACCES when not permitted, -EFBIG past PROCBUF_MAX. */
int procbuf_read_at(ProcBuf *b, int dir_fd, const char *name);
/* Reads from an already open fd (from the start, via pread), same contract. */
int procbuf_read_fd(ProcBuf *b, int fd);
/* Makes room for `extra` more bytes plus the NUL; -EFBIG past PROCBUF_MAX. */
int procbuf_reserve(ProcBuf *b, size_t extra);
void procbuf_done(ProcBuf *b);

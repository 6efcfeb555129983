#include "collect/procbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"

int procbuf_reserve(ProcBuf *b, size_t extra)
{
        if (b->len + extra + 1 <= b->cap)
                return 0;
        if (b->len + extra + 1 > PROCBUF_MAX)
                return -EFBIG;

        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + extra + 1)
                cap *= 2;
        if (cap > PROCBUF_MAX)
                cap = PROCBUF_MAX;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
        return 0;
}

int procbuf_read_fd(ProcBuf *b, int fd)
{
        for (b->len = 0;;) {
                /* Ask for a full page at least, so a 4 KiB file takes one read() + EOF. */
                int r = procbuf_reserve(b, b->cap - b->len > 4096 ? 1 : 4096);
                if (r < 0)
                        return r;
                ssize_t n = pread(fd, b->data + b->len, b->cap - b->len - 1, (off_t) b->len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                b->len += (size_t) n;
        }
        b->data[b->len] = '\0';
        return 0;
}

int procbuf_read_at(ProcBuf *b, int dir_fd, const char *name)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return procbuf_read_fd(b, fd);
}

void procbuf_done(ProcBuf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

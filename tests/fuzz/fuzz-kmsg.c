/* Feeds arbitrary bytes to the /dev/kmsg record parser, as one record (what one read() of
 * the device returns), and to the kmsg source's file mode as a text of records (through a
 * memfd), checking what it hands out: valid UTF-8 within bounds, a level, a short program. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/alloc.h"
#include "logs/kmsg.h"
#include "logs/linebuf.h"
#include "logs/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *check_buf;

typedef struct Check {
        size_t n;
        uint64_t last_seq;
        bool increasing; /* seq grew from line to line, as on the device */
} Check;

static int check_line(void *userdata, const LogLine *l)
{
        Check *c = userdata;

        if (l->len > LOG_LINE_MAX_BYTES || l->text[l->len] != '\0')
                __builtin_trap();
        if (l->severity < 0 || l->severity > 7)
                __builtin_trap();
        /* Valid UTF-8 is its own sanitised form. */
        if (utf8_sanitize(l->text, l->len, check_buf) != l->len ||
            memcmp(check_buf, l->text, l->len) != 0)
                __builtin_trap();
        if (l->program && (strlen(l->program) == 0 || strlen(l->program) > 64))
                __builtin_trap();
        if (c->n > 0 && l->seq <= c->last_seq)
                c->increasing = false;
        c->last_seq = l->seq;
        c->n++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *) data;
        KmsgRecord r;

        if (size > 4 * LOG_LINE_MAX_BYTES)
                return 0;
        /* An exact-size copy, so that a read past the end is caught by ASan. */
        char *copy = xmemdup(size > 0 ? buf : "", size > 0 ? size : 1);
        if (kmsg_parse_record(copy, size, &r) == 0) {
                if (r.msg < copy || r.msg > copy + size ||
                    r.msg_len > size - (size_t) (r.msg - copy))
                        __builtin_trap();
                if (memchr(r.msg, '\n', r.msg_len) || r.prio >= 1024)
                        __builtin_trap();
                if (r.msg == copy || r.msg[-1] != ';')
                        __builtin_trap();
        }
        free(copy);

        int fd = memfd_create("fuzz-kmsg", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (size > 0 && write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return 0;
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        LogSource *s = NULL;
        if (log_source_new_kmsg("fuzz", path, &s) == 0) {
                Check c = {.increasing = true};
                size_t rounds = 0;
                check_buf = xmalloc(3 * LOG_LINE_MAX_BYTES + 1);
                /* In small bites, then the rest. */
                while (log_source_read(s, 3, check_line, &c) > 0 && rounds++ < 100000)
                        ;
                (void) log_source_read(s, 0, check_line, &c);
                if (s->lines != c.n)
                        __builtin_trap();
                char *cursor = log_source_get_cursor(s);
                if (cursor[0] != '\0' && log_source_set_cursor(s, cursor) != 0)
                        __builtin_trap();
                /* From that cursor nothing is new, if seq only grew (as on the device). */
                size_t before = c.n;
                bool increasing = c.increasing;
                (void) log_source_read(s, 0, check_line, &c);
                if (increasing && c.n != before)
                        __builtin_trap();
                free(cursor);
                free(check_buf);
                check_buf = NULL;
                log_source_free(s);
        }
        close(fd);
        return 0;
}

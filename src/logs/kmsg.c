/* The kernel ring buffer as a log source (source.h), read from /dev/kmsg.
 *
 * /dev/kmsg opened O_NONBLOCK starts at the oldest record still in the buffer; each read()
 * returns one record (EINVAL if the buffer is too small for it, so we use 16 KiB: the
 * kernel's records are at most 8 KiB), EAGAIN when there is nothing new, and EPIPE once when
 * records we had not read yet were overwritten, after which reading resumes at the oldest
 * one left. Sequence numbers are consecutive within a boot, so a gap is the number of
 * records lost; we count those in the note.
 *
 * The text is the message as the kernel gives it: non-printable bytes stay in the kernel's
 * "\xNN" escapes (unescaping could make a line that says something the kernel did not).
 *
 * For tests, path may name a regular file: it is read as text with one record per line (in
 * /dev/kmsg's format, as `cat /dev/kmsg` prints them; continuation lines starting with a
 * space are skipped), from its start, and new lines appended to it are read too. */
#include "logs/kmsg.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "logs/linebuf.h"
#include "logs/source.h"

#define KMSG_BUF_BYTES   (16u * 1024u)
#define KMSG_BOOT_ID_MAX 64u
#define PROGRAM_MAX      64u

typedef struct KmsgSource {
        LogSource base;
        int fd;
        bool is_file;
        LineBuf lb;       /* file mode */
        char *buf;        /* a record (device) or a chunk of the file */
        size_t buf_start; /* file mode: bytes of buf not yet fed to lb */
        size_t buf_len;
        char *out; /* the sanitised message: 3 * LOG_LINE_MAX_BYTES + 1 */
        char boot_id[KMSG_BOOT_ID_MAX];
        int64_t boot_ms;   /* wall clock at boot */
        uint64_t last_seq; /* of the last record handed out, or the cursor's */
        bool have_last;
        uint64_t skip_upto; /* records up to this seq were read before (cursor) */
        bool skipping;
        uint64_t lost; /* records lost to overruns, in total */
        char program[PROGRAM_MAX + 1];
} KmsgSource;

static KmsgSource *to_kmsg(LogSource *s)
{
        assert(s && s->ops->kind == LOG_SOURCE_KMSG);
        return (KmsgSource *) s;
}

/* A decimal number of at most 20 digits at buf[*i..n); advances *i. */
static int parse_dec(const char *buf, size_t n, size_t *i, uint64_t *ret)
{
        uint64_t v = 0;
        size_t start = *i;

        while (*i < n && buf[*i] >= '0' && buf[*i] <= '9') {
                unsigned d = (unsigned) (buf[*i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
                (*i)++;
        }
        if (*i == start)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int kmsg_parse_record(const char *buf, size_t n, KmsgRecord *ret)
{
        uint64_t prio, seq, usec;
        size_t i = 0;

        assert(buf || n == 0);
        assert(ret);
        if (parse_dec(buf, n, &i, &prio) < 0 || prio >= 1024 || i >= n || buf[i++] != ',')
                return -EBADMSG;
        if (parse_dec(buf, n, &i, &seq) < 0 || i >= n || buf[i++] != ',')
                return -EBADMSG;
        if (parse_dec(buf, n, &i, &usec) < 0 || i >= n || buf[i++] != ',')
                return -EBADMSG;
        char flag = i < n && buf[i] != ',' && buf[i] != ';' ? buf[i] : '-';
        /* The flags, then any further fields, up to the ';' that ends the header. */
        while (i < n && buf[i] != ';') {
                if (buf[i] == '\n' || buf[i] == '\0')
                        return -EBADMSG;
                i++;
        }
        if (i >= n)
                return -EBADMSG;
        i++;
        const char *msg = buf + i;
        const char *nl = memchr(msg, '\n', n - i);
        *ret = (KmsgRecord){
                .prio = (unsigned) prio,
                .seq = seq,
                .usec = usec,
                .flag = flag,
                .msg = msg,
                .msg_len = nl ? (size_t) (nl - msg) : n - i,
        };
        return 0;
}

static void read_boot_id(char *buf, size_t size)
{
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

        if (n <= 0) {
                snprintf(buf, size, "unknown");
                return;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\n ")] = '\0';
        if (buf[0] == '\0')
                snprintf(buf, size, "unknown");
}

static int64_t boot_wall_ms(void)
{
        struct timespec rt, bt;

        if (clock_gettime(CLOCK_REALTIME, &rt) < 0 || clock_gettime(CLOCK_BOOTTIME, &bt) < 0)
                return 0;
        return ((int64_t) rt.tv_sec - (int64_t) bt.tv_sec) * 1000 +
               ((int64_t) rt.tv_nsec - (int64_t) bt.tv_nsec) / 1000000;
}

/* Lines written to /dev/kmsg from user space (facility 1) start with "ident: " or
 * "ident[pid]: ", as systemd and `logger --kmsg` write them. */
static const char *user_program(KmsgSource *k, const char *msg, size_t len, int64_t *ret_pid)
{
        size_t i = 0;
        uint64_t pid = 0;

        while (i < len && i < PROGRAM_MAX && msg[i] != ':' && msg[i] != '[' && msg[i] != ' ' &&
               (unsigned char) msg[i] >= 0x21 && (unsigned char) msg[i] < 0x7f)
                i++;
        if (i == 0 || i >= len)
                return NULL;
        size_t end = i;
        if (msg[i] == '[') {
                i++;
                if (parse_dec(msg, len, &i, &pid) < 0 || i >= len || msg[i] != ']')
                        return NULL;
                i++;
        }
        if (i + 1 >= len || msg[i] != ':' || msg[i + 1] != ' ')
                return NULL;
        memcpy(k->program, msg, end);
        k->program[end] = '\0';
        *ret_pid = pid <= INT64_MAX ? (int64_t) pid : 0;
        return k->program;
}

/* Hands out one record (already split from its continuation lines or not). Returns 1 if
 * handed out, 0 if skipped, or the callback's negative return. */
static int handle_record(KmsgSource *k, const char *rec, size_t n, bool truncated, LogLineFn fn,
                         void *userdata)
{
        LogSource *s = &k->base;
        KmsgRecord r;

        if (n > 0 && rec[0] == ' ')
                return 0; /* a continuation line " KEY=value" (file mode) */
        if (n == 0)
                return 0;
        if (kmsg_parse_record(rec, n, &r) < 0) {
                log_source_set_error(s, "kmsg: malformed record skipped");
                return 0;
        }
        if (k->skipping && r.seq <= k->skip_upto)
                return 0; /* read before the restart */
        k->skipping = false;
        /* Consecutive within a boot: a gap is records overwritten before we read them. The
         * file mode (fixtures, excerpts) has gaps by nature. */
        if (!k->is_file && k->have_last && r.seq > k->last_seq + 1) {
                k->lost += r.seq - k->last_seq - 1;
                log_source_set_note(s, "kmsg: %" PRIu64 " records lost to ring buffer overrun",
                                    k->lost);
        }
        k->last_seq = r.seq;
        k->have_last = true;

        LogLine line = {
                .severity = (int) (r.prio & 7),
                .seq = r.seq,
                .ts_ms = k->boot_ms > 0 ? k->boot_ms + (int64_t) (r.usec / 1000) : 0,
        };
        size_t len = MIN(r.msg_len, (size_t) LOG_LINE_MAX_BYTES);
        line.truncated = truncated || len < r.msg_len;
        line.len = utf8_sanitize(r.msg, len, k->out);
        if (line.len > LOG_LINE_MAX_BYTES) {
                line.truncated = true;
                line.len = LOG_LINE_MAX_BYTES;
                while (line.len > 0 && ((unsigned char) k->out[line.len] & 0xc0) == 0x80)
                        line.len--;
        }
        k->out[line.len] = '\0';
        line.text = k->out;
        if (r.prio >> 3 == 1)
                line.program = user_program(k, k->out, line.len, &line.pid);

        s->lines++;
        s->bytes += line.len;
        if (line.truncated)
                s->truncated_lines++;
        int ret = fn(userdata, &line);
        return ret < 0 ? ret : 1;
}

static int read_device(KmsgSource *k, size_t max_lines, LogLineFn fn, void *userdata)
{
        int count = 0;

        while (max_lines == 0 || (size_t) count < max_lines) {
                ssize_t n = read(k->fd, k->buf, KMSG_BUF_BYTES);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        if (errno == EPIPE)
                                continue; /* overrun; the gap in seq says how much */
                        int r = -errno;
                        log_source_set_error(&k->base, "kmsg: read failed: %s", strerror(-r));
                        return count > 0 ? count : r;
                }
                if (n == 0)
                        break;
                int r = handle_record(k, k->buf, (size_t) n, false, fn, userdata);
                if (r < 0)
                        return r;
                count += r;
        }
        return count;
}

typedef struct FileCtx {
        KmsgSource *k;
        LogLineFn fn;
        void *userdata;
        size_t max_lines;
        int count;
        int stop; /* the callback's negative return, or 1 when max_lines was reached */
        size_t consumed;
} FileCtx;

static int file_line(void *userdata, const char *line, size_t len, bool truncated, size_t consumed)
{
        FileCtx *c = userdata;

        c->consumed = consumed;
        int r = handle_record(c->k, line, len, truncated, c->fn, c->userdata);
        if (r < 0) {
                c->stop = r;
                return -1;
        }
        c->count += r;
        if (c->max_lines > 0 && (size_t) c->count >= c->max_lines) {
                c->stop = 1;
                return -1;
        }
        return 0;
}

static int read_file(KmsgSource *k, size_t max_lines, LogLineFn fn, void *userdata)
{
        FileCtx c = {.k = k, .fn = fn, .userdata = userdata, .max_lines = max_lines};

        for (;;) {
                if (k->buf_start >= k->buf_len) {
                        ssize_t n = read(k->fd, k->buf, KMSG_BUF_BYTES);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                int r = -errno;
                                log_source_set_error(&k->base, "kmsg: read failed: %s",
                                                     strerror(-r));
                                return c.count > 0 ? c.count : r;
                        }
                        if (n == 0)
                                break; /* a partial last line stays pending: it may grow */
                        k->buf_start = 0;
                        k->buf_len = (size_t) n;
                }
                c.stop = 0;
                (void) linebuf_feed(&k->lb, k->buf + k->buf_start, k->buf_len - k->buf_start,
                                    file_line, &c);
                if (c.stop != 0) {
                        /* Keep the rest of the chunk for the next call. */
                        k->buf_start += c.consumed;
                        if (c.stop < 0)
                                return c.stop;
                        break;
                }
                k->buf_start = k->buf_len;
        }
        return c.count;
}

static int kmsg_read(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata)
{
        KmsgSource *k = to_kmsg(s);

        return k->is_file ? read_file(k, max_lines, fn, userdata)
                          : read_device(k, max_lines, fn, userdata);
}

static char *kmsg_get_cursor(LogSource *s)
{
        KmsgSource *k = to_kmsg(s);

        if (!k->have_last)
                return xstrdup("");
        return xasprintf("boot=%s seq=%" PRIu64, k->boot_id, k->last_seq);
}

/* Back to the oldest record (device) or the start of the file. */
static void rewind_source(KmsgSource *k)
{
        (void) lseek(k->fd, 0, SEEK_SET);
        linebuf_reset(&k->lb);
        k->buf_start = k->buf_len = 0;
        k->have_last = false;
        k->skipping = false;
}

static int kmsg_set_cursor(LogSource *s, const char *cursor)
{
        KmsgSource *k = to_kmsg(s);
        const char *p = cursor;
        uint64_t seq;
        size_t i = 0;

        if (strncmp(p, "boot=", 5) != 0)
                return -EINVAL;
        p += 5;
        size_t id_len = strcspn(p, " ");
        if (id_len == 0 || id_len >= KMSG_BOOT_ID_MAX || p[id_len] != ' ')
                return -EINVAL;
        const char *q = p + id_len + 1;
        if (strncmp(q, "seq=", 4) != 0)
                return -EINVAL;
        q += 4;
        size_t qn = strlen(q);
        if (parse_dec(q, qn, &i, &seq) < 0 || i != qn)
                return -EINVAL;

        rewind_source(k);
        if (strlen(k->boot_id) != id_len || memcmp(k->boot_id, p, id_len) != 0) {
                log_source_set_note(s, "kmsg: the cursor is from another boot, reading from "
                                       "the oldest record");
                return 0;
        }
        k->skip_upto = seq;
        k->skipping = true;
        k->last_seq = seq;
        k->have_last = true;
        return 0;
}

static int kmsg_get_fd(LogSource *s)
{
        KmsgSource *k = to_kmsg(s);

        return k->is_file ? -1 : k->fd;
}

static void kmsg_free(LogSource *s)
{
        KmsgSource *k = to_kmsg(s);

        if (k->fd >= 0)
                (void) close(k->fd);
        linebuf_done(&k->lb);
        free(k->buf);
        free(k->out);
        log_source_done(s);
}

static const LogSourceOps kmsg_ops = {
        .kind = LOG_SOURCE_KMSG,
        .read = kmsg_read,
        .get_cursor = kmsg_get_cursor,
        .set_cursor = kmsg_set_cursor,
        .get_fd = kmsg_get_fd,
        .free = kmsg_free,
};

int log_source_new_kmsg(const char *name, const char *path, LogSource **ret)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        KmsgSource *k;
        struct stat st;

        assert(name && ret);
        if (!path)
                path = "/dev/kmsg";
        k = xnew0(KmsgSource, 1);
        s = &k->base;
        log_source_init(s, &kmsg_ops, name, path);
        k->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (k->fd < 0)
                return -errno;
        if (fstat(k->fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode))
                k->is_file = true;
        else if (!S_ISCHR(st.st_mode))
                return -ENOTTY; /* neither the device nor a fixture */
        k->buf = xmalloc(KMSG_BUF_BYTES);
        k->out = xmalloc(3 * LOG_LINE_MAX_BYTES + 1);
        read_boot_id(k->boot_id, sizeof(k->boot_id));
        k->boot_ms = boot_wall_ms();
        *ret = TAKE_PTR(s);
        return 0;
}

/* A log file followed by name (source.h), as `tail -F` does, with a cursor that survives
 * restarts, and the rotated history read once on request.
 *
 * Cursor: "dev=<st_dev> ino=<st_ino> off=<offset> hlen=<n> head=<16 hex digits>" and, while
 * rotated history is being read, " backfill=1". off is the byte offset just after the last
 * line handed out (in the decompressed stream for a .gz/.zst file); it never points into a
 * partial last line, so a restart reads such a line again, whole. head is the 64-bit FNV-1a
 * hash of the file's first hlen bytes, where hlen = min(first line with its "\n", 256, off):
 * only bytes already read, which appending never changes, so the hash stays valid while the
 * file grows, tells a file rewritten in place (or truncated and refilled) from the one read,
 * and finds the copy copytruncate made. Parsing is strict: decimal without signs, blanks or
 * leading zeros, lower-case hex, the fields in this order, hlen <= off and hlen > 0 when
 * off > 0; anything else is -EINVAL. "dev=0 ino=0 off=0 hlen=0 head=cbf29ce484222325" (no
 * inode) means "the file did not exist yet: read it from its start when it appears".
 *
 * Rotated files are the regular files next to path named path.N or path-DATE (DATE: a digit,
 * then digits, "-" and "_"), each optionally with .gz or .zst; oldest first: the dated ones
 * by name, then the numbered ones from the highest N down (path.1 last, the newest). A
 * compressed file is recognised by its magic bytes, and a plain one with the same stem wins
 * over it (logrotate compressing it right now). At most 128, the newest, are looked at.
 *
 * Restart (set_cursor, then the first read):
 * - path is the cursor's file (dev and inode), at least off long, and its first hlen bytes
 *   hash to head: continue at off.
 * - the same inode but shorter than off or with another head (copytruncate, or the file was
 *   rewritten, while we were stopped): the newest rotated file whose head matches and that
 *   is at least off long is read from off, then path from 0.
 * - path is another inode or is missing (rename rotation while stopped): the rotated file
 *   with the cursor's dev and inode (a rename keeps them) and head is read from off, then the
 *   rotated files newer than it, then path from 0.
 * - anything else (the file was deleted, or compressed into a new inode): the note says so
 *   and path is read from 0; lines may be read twice, never skipped in silence.
 *
 * While running, each read (after draining inotify):
 * - path's inode changed (rename rotation, or deleted and recreated): the old fd is read to
 *   its end, the rotated files newer than it (rotated twice since the last read) are read,
 *   then the new file from 0. The old fd is kept, "retired", and read before the others for
 *   as long as it keeps growing and 30 s after that: logrotate's `create` makes the new file
 *   before the daemon is told to reopen, and lines it writes meanwhile go to the old one.
 * - the file shrank below our offset or its first bytes changed (copytruncate): if the
 *   newest rotated file has our head and goes past our offset, it is read from our offset
 *   (the lines written between our last read and the copy), then path from 0.
 * - path is gone: the open fd is read to its end and kept until path reappears; a deleted
 *   file idle for 30 s is closed so that its disk space is freed.
 * - a partial last line stays pending (its own LineBuf per file) until its "\n" comes; a
 *   file left for good (retired, rotated history) hands it out as a line.
 *
 * First sight without a cursor: the end of the file (after its last complete line), or its
 * start with from_start; with backfill, first the rotated files oldest first, lines marked
 * backfill, then the file from 0 (each rotated file is opened at its turn, found again by
 * inode if logrotate renamed it meanwhile). A file that does not exist at first sight is
 * read from 0 when it appears. A cursor taken during backfill points into the rotated file
 * being read, so a restart continues the history there (the rotated-file rule above).
 *
 * get_fd: one inotify fd (IN_NONBLOCK | IN_CLOEXEC) with IN_MODIFY on the file being read
 * (through /proc/self/fd, so on the inode, not the name) and IN_CREATE, IN_MOVED_TO,
 * IN_DELETE, IN_MOVED_FROM and IN_ATTRIB (a chmod that ends "permission denied") on its
 * directory; read() drains it. Without inotify or without the directory, -1: the caller
 * polls. Out of watches for the file, the directory watch takes IN_MODIFY as well. If the
 * directory itself is removed, nothing wakes the caller until it is back, so callers should
 * still read now and then (every few seconds) when the fd stays quiet.
 *
 * Failures stay inside the source: open errors ("cannot open '/var/log/x': Permission
 * denied") are the source's error and retried on every read; a rotated file that cannot be
 * opened or decompressed is skipped with a note. Work per call is bounded by max_lines and
 * memory by the 64 KiB read buffer plus, per open file, its LineBuf (2 * 64 KiB at worst)
 * and a decoder while a compressed file is read. Counters: lines handed out, bytes (the
 * input bytes of those lines, line ends included), truncated lines. Not thread-safe. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "logs/linebuf.h"
#include "logs/source.h"

#define TAIL_BUF_BYTES  (64u * 1024u)
#define DEC_IN_BYTES    (64u * 1024u)
#define HEAD_MAX_BYTES  256u
#define ROTATED_MAX     128u
#define RETIRED_MAX     4u
#define RETIRE_IDLE_MS  (30 * MSEC_PER_SEC)
#define FNV_BASIS       UINT64_C(0xcbf29ce484222325)
#define DIR_WATCH_MASK  (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB)
#define READ_ROUNDS_MAX 8 /* rotations followed in one read call */

typedef enum Codec {
        CODEC_PLAIN,
        CODEC_GZIP,
        CODEC_ZSTD,
} Codec;

/* A gzip or zstd stream read by pread(), so that it does not depend on the fd's offset. */
typedef struct Decoder {
        Codec codec;
        z_stream z;
        bool z_ready;
        ZSTD_DCtx *zd;
        uint8_t *in;
        size_t in_pos, in_len;
        uint64_t in_off; /* file offset of the next compressed byte to fetch */
        bool in_eof;
        bool end;
        int err; /* sticky: returned once the bytes before it are out */
        char msg[128];
} Decoder;

typedef struct TailFile {
        int fd;
        char *path;
        dev_t dev;
        ino_t ino;
        Codec codec;
        bool backfill;
        uint64_t off;      /* stream offset of the next byte to fetch */
        uint64_t line_off; /* stream offset just after the last line handed out */
        uint64_t skip_to;  /* compressed: the stream below this is dropped (a resume) */
        char head[HEAD_MAX_BYTES];
        size_t head_have; /* head[] holds stream bytes [0, head_have); >= min(256, off) */
        LineBuf lb;
        Decoder *dec;
        char *carry; /* compressed: decoded bytes not fed yet when a read stopped */
        size_t carry_pos, carry_len;
        off_t seen_size; /* for the rewrite check: skip it while nothing changed */
        struct timespec seen_mtime;
        int64_t active_ms; /* retired or deleted: when it last grew (file_idle) */
        uint64_t active_off;
        int wd;
} TailFile;

typedef struct TailCursor {
        uint64_t dev, ino, off;
        size_t hlen;
        uint64_t head;
        bool backfill;
} TailCursor;

typedef struct Tail {
        LogSource s;
        char *path, *dir, *base;
        LogTailOptions opt;
        TailFile *cur;    /* the file at path, once opened */
        TailFile **queue; /* read before cur: rotated files, each to its end */
        size_t n_queue;
        TailFile **retired; /* former cur files still drained, oldest first */
        size_t n_retired;
        char *buf;
        bool started;
        bool start_end; /* the next open of path starts at its end (first sight) */
        bool cursor_pending;
        TailCursor cursor;
        char *last_cursor; /* of the last file left, while none is active */
        int ino_fd, wd_dir;
        bool ino_failed;
        int64_t (*clock)(void *userdata); /* monotonic ms; NULL: time_mono_ms() */
        void *clock_data;
} Tail;

typedef struct ReadCtx {
        Tail *t;
        TailFile *f;
        LogLineFn fn;
        void *userdata;
        size_t max;
        size_t count;
        uint64_t base; /* stream offset of the bytes being fed */
        size_t last;   /* consumed of the last line of this feed */
        bool flushing;
        int user_r;
        int err;
} ReadCtx;

enum {
        READ_EOF,
        READ_LIMIT,
        READ_FAILED,
};

static Tail *to_tail(LogSource *s)
{
        return (Tail *) s;
}

static uint64_t fnv1a(const void *p, size_t n)
{
        const uint8_t *b = p;
        uint64_t h = FNV_BASIS;

        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * UINT64_C(0x100000001b3);
        return h;
}

/* --- decoders --- */

static Decoder *decoder_free(Decoder *d)
{
        if (!d)
                return NULL;
        if (d->z_ready)
                (void) inflateEnd(&d->z);
        ZSTD_freeDCtx(d->zd);
        free(d->in);
        free(d);
        return NULL;
}
DEFINE_FREEP(Decoder, decoder_free)

static Decoder *decoder_new(Codec codec)
{
        Decoder *d = xnew0(Decoder, 1);

        d->codec = codec;
        d->in = xmalloc(DEC_IN_BYTES);
        if (codec == CODEC_GZIP) {
                if (inflateInit2(&d->z, 15 + 16) != Z_OK) /* + 16: gzip wrapper only */
                        abort();                          /* only on allocation failure */
                d->z_ready = true;
        } else {
                d->zd = ZSTD_createDCtx();
                if (!d->zd)
                        abort();
        }
        return d;
}

static void decoder_fail(Decoder *d, int err, const char *msg)
{
        d->err = err;
        (void) snprintf(d->msg, sizeof(d->msg), "%s", msg);
}

/* Moves what is left of the input to the front and reads more after it. */
static int decoder_fill(Decoder *d, int fd)
{
        if (d->in_pos > 0) {
                memmove(d->in, d->in + d->in_pos, d->in_len - d->in_pos);
                d->in_len -= d->in_pos;
                d->in_pos = 0;
        }
        for (;;) {
                ssize_t k =
                        pread(fd, d->in + d->in_len, DEC_IN_BYTES - d->in_len, (off_t) d->in_off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        d->in_eof = true;
                d->in_off += (uint64_t) k;
                d->in_len += (size_t) k;
                return 0;
        }
}

static int decoder_gzip_step(Decoder *d, int fd, char *out, size_t n, size_t *produced)
{
        d->z.next_in = d->in + d->in_pos;
        d->z.avail_in = (uInt) (d->in_len - d->in_pos);
        d->z.next_out = (Bytef *) out + *produced;
        d->z.avail_out = (uInt) (n - *produced);
        int zr = inflate(&d->z, Z_NO_FLUSH);
        *produced = n - d->z.avail_out;
        d->in_pos = d->in_len - d->z.avail_in;

        if (zr == Z_STREAM_END) {
                /* Another member may follow (gzip -c a >> b); anything else after the last
                 * member is ignored, as gzip -d does. */
                while (d->in_len - d->in_pos < 2 && !d->in_eof) {
                        int r = decoder_fill(d, fd);
                        if (r < 0)
                                return r;
                }
                if (d->in_len - d->in_pos >= 2 && d->in[d->in_pos] == 0x1f &&
                    d->in[d->in_pos + 1] == 0x8b)
                        (void) inflateReset(&d->z);
                else
                        d->end = true;
                return 0;
        }
        if (zr == Z_OK)
                return 0;
        if (zr == Z_BUF_ERROR) {
                if (d->in_pos == d->in_len && d->in_eof) {
                        decoder_fail(d, -EBADMSG, "unexpected end of file");
                        return -EBADMSG;
                }
                return 0; /* needs more input: the caller fetches it */
        }
        decoder_fail(d, -EBADMSG, d->z.msg ? d->z.msg : "corrupt data");
        return -EBADMSG;
}

static int decoder_zstd_step(Decoder *d, char *out, size_t n, size_t *produced)
{
        ZSTD_inBuffer ib = {d->in, d->in_len, d->in_pos};
        ZSTD_outBuffer ob = {out, n, *produced};
        size_t zr = ZSTD_decompressStream(d->zd, &ob, &ib);

        if (ZSTD_isError(zr)) {
                decoder_fail(d, -EBADMSG, ZSTD_getErrorName(zr));
                return -EBADMSG;
        }
        bool progress = ob.pos > *produced || ib.pos > d->in_pos;
        d->in_pos = ib.pos;
        *produced = ob.pos;
        if (d->in_pos == d->in_len && d->in_eof) {
                if (zr == 0)
                        d->end = true; /* at a frame end with no input left */
                else if (!progress) {
                        decoder_fail(d, -EBADMSG, "unexpected end of file");
                        return -EBADMSG;
                }
        }
        return 0;
}

/* Up to n decoded bytes; 0 at the end of the stream; -EBADMSG (d->msg says why) or -errno
 * once the bytes before the failure are out. */
static ssize_t decoder_read(Decoder *d, int fd, char *out, size_t n)
{
        size_t produced = 0;

        assert(n <= UINT_MAX);
        while (d->err == 0 && !d->end && produced < n) {
                if (d->in_pos == d->in_len && !d->in_eof) {
                        int r = decoder_fill(d, fd);
                        if (r < 0) {
                                decoder_fail(d, r, strerror(-r));
                                break;
                        }
                }
                if (d->codec == CODEC_GZIP)
                        (void) decoder_gzip_step(d, fd, out, n, &produced);
                else
                        (void) decoder_zstd_step(d, out, n, &produced);
        }
        if (produced > 0)
                return (ssize_t) produced;
        return d->err;
}

/* --- files --- */

static TailFile *tail_file_free(TailFile *f)
{
        if (!f)
                return NULL;
        if (f->fd >= 0)
                (void) close(f->fd);
        free(f->path);
        linebuf_done(&f->lb);
        decoder_free(f->dec);
        free(f->carry);
        free(f);
        return NULL;
}
DEFINE_FREEP(TailFile, tail_file_free)

static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
        size_t got = 0;

        while (got < n) {
                ssize_t k = pread(fd, (char *) buf + got, n - got, (off_t) (off + got));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        return (ssize_t) got;
}

/* Opens a regular file; with detect, gzip and zstd files (by their magic) are decoded. Its
 * head (the first 256 bytes of the stream, fewer if it is shorter) is read right away.
 * -EINVAL: not a regular file. */
static int tail_file_open(const char *path, bool detect, TailFile **ret)
{
        _cleanup_(tail_file_freep) TailFile *f = xnew0(TailFile, 1);
        struct stat st;

        f->wd = -1;
        f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (f->fd < 0)
                return -errno;
        if (fstat(f->fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        f->path = xstrdup(path);
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->seen_size = st.st_size;
        f->seen_mtime = st.st_mtim;

        ssize_t k = pread_full(f->fd, f->head, sizeof(f->head), 0);
        if (k < 0)
                return (int) k;
        if (detect && k >= 2 && (uint8_t) f->head[0] == 0x1f && (uint8_t) f->head[1] == 0x8b)
                f->codec = CODEC_GZIP;
        else if (detect && k >= 4 && memcmp(f->head, "\x28\xb5\x2f\xfd", 4) == 0)
                f->codec = CODEC_ZSTD;
        if (f->codec == CODEC_PLAIN)
                f->head_have = (size_t) k;
        else {
                _cleanup_(decoder_freep) Decoder *d = decoder_new(f->codec);
                while (f->head_have < sizeof(f->head)) {
                        k = decoder_read(d, f->fd, f->head + f->head_have,
                                         sizeof(f->head) - f->head_have);
                        if (k <= 0)
                                break; /* a corrupt start shows when the file is read */
                        f->head_have += (size_t) k;
                }
        }
        *ret = TAKE_PTR(f);
        return 0;
}

/* The length of the head the cursor hashes: the first line, at most 256 bytes, and only
 * bytes before line_off. */
static size_t tail_file_hlen(const TailFile *f)
{
        size_t n = MIN(f->head_have, (size_t) MIN(f->line_off, (uint64_t) HEAD_MAX_BYTES));
        const char *nl = memchr(f->head, '\n', n);

        return nl ? (size_t) (nl - f->head) + 1 : n;
}

static bool tail_file_head_is(const TailFile *f, size_t hlen, uint64_t hash)
{
        return hlen <= f->head_have && fnv1a(f->head, hlen) == hash;
}

/* Starts reading f at stream offset off: directly for a plain file, by decoding and dropping
 * the bytes before it for a compressed one. */
static void tail_file_seek(TailFile *f, uint64_t off)
{
        f->line_off = off;
        if (f->codec == CODEC_PLAIN)
                f->off = off;
        else
                f->skip_to = off;
}

static char *tail_file_cursor(const TailFile *f)
{
        size_t hlen = tail_file_hlen(f);

        return xasprintf("dev=%" PRIu64 " ino=%" PRIu64 " off=%" PRIu64 " hlen=%zu head=%016" PRIx64
                         "%s",
                         (uint64_t) f->dev, (uint64_t) f->ino, f->line_off, hlen,
                         fnv1a(f->head, hlen), f->backfill ? " backfill=1" : "");
}

/* The offset just after the last "\n" in the last 64 KiB (the end if there is none there):
 * where "start at the end" starts, so that a line being written is read whole. */
static uint64_t tail_file_end(Tail *t, TailFile *f)
{
        struct stat st;

        if (fstat(f->fd, &st) < 0 || st.st_size <= 0)
                return 0;
        uint64_t size = (uint64_t) st.st_size;
        size_t n = (size_t) MIN(size, (uint64_t) TAIL_BUF_BYTES);
        ssize_t k = pread_full(f->fd, t->buf, n, size - n);
        if (k != (ssize_t) n)
                return size;
        const char *nl = memrchr(t->buf, '\n', n);
        return nl ? size - n + (uint64_t) (nl - t->buf) + 1 : size;
}

/* --- the rotated files next to path --- */

typedef struct Rotated {
        char *path;
        bool dated;
        uint64_t num;    /* path.N */
        const char *key; /* path-DATE: points into path */
        size_t key_len;
        bool compressed;
        dev_t dev;
        ino_t ino;
        off_t size;
} Rotated;

static void rotated_free(Rotated *r, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(r[i].path);
        free(r);
}

/* Whether name (the part after the base name) is ".N" or "-DATE", with .gz or .zst. */
static bool rotated_suffix(const char *rest, Rotated *r)
{
        size_t len = strlen(rest);

        r->compressed = false;
        if (len > 3 && strcmp(rest + len - 3, ".gz") == 0) {
                len -= 3;
                r->compressed = true;
        } else if (len > 4 && strcmp(rest + len - 4, ".zst") == 0) {
                len -= 4;
                r->compressed = true;
        }
        if (len < 2)
                return false;
        if (rest[0] == '.') {
                if (len > 10)
                        return false;
                r->num = 0;
                for (size_t i = 1; i < len; i++) {
                        if (rest[i] < '0' || rest[i] > '9')
                                return false;
                        r->num = r->num * 10 + (uint64_t) (rest[i] - '0');
                }
                r->dated = false;
                return true;
        }
        if (rest[0] == '-' && rest[1] >= '0' && rest[1] <= '9') {
                for (size_t i = 1; i < len; i++)
                        if (!((rest[i] >= '0' && rest[i] <= '9') || rest[i] == '-' ||
                              rest[i] == '_'))
                                return false;
                r->dated = true;
                r->key_len = len - 1;
                return true;
        }
        return false;
}

static int rotated_cmp(const void *a, const void *b)
{
        const Rotated *x = a, *y = b;

        if (x->dated != y->dated)
                return x->dated ? -1 : 1;
        if (x->dated) {
                int c = memcmp(x->key, y->key, MIN(x->key_len, y->key_len));
                if (c != 0)
                        return c;
                if (x->key_len != y->key_len)
                        return x->key_len < y->key_len ? -1 : 1;
        } else if (x->num != y->num)
                return x->num > y->num ? -1 : 1;
        return (int) x->compressed - (int) y->compressed; /* plain first, for the dedup */
}

static bool rotated_same_stem(const Rotated *x, const Rotated *y)
{
        if (x->dated != y->dated)
                return false;
        if (x->dated)
                return x->key_len == y->key_len && memcmp(x->key, y->key, x->key_len) == 0;
        return x->num == y->num;
}

/* The rotated files of t, oldest first, without the file (dev, ino) (the current one) and
 * at most the newest ROTATED_MAX; *ret_dropped counts older ones left out. */
static int rotated_list(Tail *t, dev_t dev, ino_t ino, Rotated **ret, size_t *ret_n,
                        size_t *ret_dropped)
{
        DIR *d = opendir(t->dir);
        Rotated *r = NULL;
        size_t n = 0, cap = 0, blen = strlen(t->base);

        *ret = NULL;
        *ret_n = 0;
        if (ret_dropped)
                *ret_dropped = 0;
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                Rotated x = {};
                struct stat st;

                if (strncmp(de->d_name, t->base, blen) != 0 ||
                    !rotated_suffix(de->d_name + blen, &x))
                        continue;
                x.path = xasprintf("%s/%s", t->dir, de->d_name);
                if (stat(x.path, &st) < 0 || !S_ISREG(st.st_mode) ||
                    (st.st_dev == dev && st.st_ino == ino)) {
                        free(x.path);
                        continue;
                }
                x.dev = st.st_dev;
                x.ino = st.st_ino;
                x.size = st.st_size;
                x.key = x.path + strlen(t->dir) + 1 + blen + 1;
                if (n == cap) {
                        cap = cap ? 2 * cap : 16;
                        r = xreallocarray(r, cap, sizeof(*r));
                }
                r[n++] = x;
        }
        closedir(d);
        if (n > 0)
                qsort(r, n, sizeof(*r), rotated_cmp);

        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
                if (w > 0 && r[i].compressed && rotated_same_stem(&r[w - 1], &r[i])) {
                        free(r[i].path);
                        continue;
                }
                r[w++] = r[i];
        }
        n = w;
        if (n > ROTATED_MAX) {
                size_t drop = n - ROTATED_MAX;
                for (size_t i = 0; i < drop; i++)
                        free(r[i].path);
                memmove(r, r + drop, ROTATED_MAX * sizeof(*r));
                n = ROTATED_MAX;
                if (ret_dropped)
                        *ret_dropped = drop;
        }
        *ret = r;
        *ret_n = n;
        return 0;
}

/* --- inotify --- */

static void watch_file(Tail *t, TailFile *f)
{
        char p[64];

        if (t->ino_fd < 0 || f->wd >= 0)
                return;
        /* Through /proc, the watch is on the inode we read, whatever path names now. */
        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", f->fd);
        f->wd = inotify_add_watch(t->ino_fd, p, IN_MODIFY);
        if (f->wd < 0 && t->wd_dir >= 0) {
                /* Out of watches (ENOSPC) or no /proc: the directory watch reports changes
                 * to the files in it too, noisier but it costs no new watch. */
                (void) inotify_add_watch(t->ino_fd, t->dir, DIR_WATCH_MASK | IN_MODIFY);
        }
}

static void unwatch_file(Tail *t, TailFile *f)
{
        if (t->ino_fd >= 0 && f->wd >= 0 && f->wd != t->wd_dir)
                (void) inotify_rm_watch(t->ino_fd, f->wd);
        f->wd = -1;
}

static void forget_wd(Tail *t, int wd)
{
        if (wd == t->wd_dir)
                t->wd_dir = -1;
        if (t->cur && t->cur->wd == wd)
                t->cur->wd = -1;
        for (size_t i = 0; i < t->n_retired; i++)
                if (t->retired[i]->wd == wd)
                        t->retired[i]->wd = -1;
}

static void inotify_drain(Tail *t)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        if (t->ino_fd < 0)
                return;
        for (;;) {
                ssize_t n = read(t->ino_fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (size_t i = 0; i + sizeof(struct inotify_event) <= (size_t) n;) {
                        const struct inotify_event *e = (const void *) (buf + i);
                        if (e->mask & IN_IGNORED)
                                forget_wd(t, e->wd);
                        i += sizeof(*e) + e->len;
                }
        }
        if (t->wd_dir < 0) /* the directory was removed; it may be back */
                t->wd_dir = inotify_add_watch(t->ino_fd, t->dir, DIR_WATCH_MASK);
}

/* --- reading --- */

static int64_t tail_now_ms(Tail *t)
{
        return t->clock ? t->clock(t->clock_data) : time_mono_ms();
}

/* Tracks whether f still grows; true once it has not for RETIRE_IDLE_MS. */
static bool file_idle(TailFile *f, int64_t now)
{
        if (f->active_ms == 0 || f->off != f->active_off) {
                f->active_off = f->off;
                f->active_ms = now;
                return false;
        }
        return now - f->active_ms >= RETIRE_IDLE_MS;
}

static void retire_file(Tail *t, TailFile *f)
{
        t->retired = xreallocarray(t->retired, t->n_retired + 1, sizeof(*t->retired));
        t->retired[t->n_retired++] = f;
        f->active_ms = 0;
        (void) file_idle(f, tail_now_ms(t));
        watch_file(t, f);
}

/* Closes a file left for good; remembers its cursor for while no file is active. */
static void leave_file(Tail *t, TailFile *f)
{
        free(t->last_cursor);
        t->last_cursor = tail_file_cursor(f);
        unwatch_file(t, f);
        tail_file_free(f);
}

static int on_line(void *userdata, const char *text, size_t len, bool truncated, size_t consumed)
{
        ReadCtx *c = userdata;
        TailFile *f = c->f;
        LogSource *s = &c->t->s;
        uint64_t end = c->flushing ? f->off : c->base + consumed;

        s->bytes += end - f->line_off;
        f->line_off = end; /* the cursor is past the line before the callback runs */
        c->last = consumed;
        s->lines++;
        if (truncated)
                s->truncated_lines++;
        c->count++;

        LogLine line = {
                .text = text,
                .len = len,
                .truncated = truncated,
                .severity = -1,
                .backfill = f->backfill,
        };
        int r = c->fn(c->userdata, &line);
        if (r < 0) {
                c->user_r = r;
                return r;
        }
        return c->count >= c->max ? -ECANCELED : 0; /* stops the feed: the limit */
}

/* Next bytes of f's stream into buf: *ret_p points at them (past any skipped part). */
static ssize_t fetch(TailFile *f, char *buf, size_t cap, const char **ret_p)
{
        for (;;) {
                ssize_t k;

                if (f->codec == CODEC_PLAIN) {
                        k = pread(f->fd, buf, cap, (off_t) f->off);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return -errno;
                } else {
                        if (!f->dec)
                                f->dec = decoder_new(f->codec);
                        k = decoder_read(f->dec, f->fd, buf, cap);
                        if (k < 0)
                                return k;
                }
                if (k == 0)
                        return 0;

                uint64_t start = f->off;
                if (f->head_have >= start && f->head_have < start + (uint64_t) k &&
                    f->head_have < sizeof(f->head)) {
                        size_t from = (size_t) (f->head_have - start);
                        size_t n = MIN((size_t) k - from, sizeof(f->head) - f->head_have);
                        memcpy(f->head + f->head_have, buf + from, n);
                        f->head_have += n;
                }
                f->off += (uint64_t) k;
                if (f->off <= f->skip_to)
                        continue;
                size_t drop = start < f->skip_to ? (size_t) (f->skip_to - start) : 0;
                *ret_p = buf + drop;
                return k - (ssize_t) drop;
        }
}

/* Reads f to its current end. READ_EOF, READ_LIMIT (max lines handed out), READ_FAILED
 * (c->err), or the callback's negative return. */
static int read_file(Tail *t, TailFile *f, ReadCtx *c)
{
        for (;;) {
                const char *p = NULL;
                size_t n;
                bool from_carry = f->carry_pos < f->carry_len;

                if (from_carry) {
                        p = f->carry + f->carry_pos;
                        n = f->carry_len - f->carry_pos;
                } else {
                        ssize_t k = fetch(f, t->buf, TAIL_BUF_BYTES, &p);
                        if (k < 0) {
                                c->err = (int) k;
                                return READ_FAILED;
                        }
                        if (k == 0)
                                return READ_EOF;
                        n = (size_t) k;
                }
                c->f = f;
                c->base = f->off - n;
                c->last = 0;
                int r = linebuf_feed(&f->lb, p, n, on_line, c);
                if (r < 0) {
                        if (f->codec == CODEC_PLAIN)
                                f->off = c->base + c->last; /* read again from there */
                        else if (from_carry)
                                f->carry_pos += c->last;
                        else {
                                if (!f->carry)
                                        f->carry = xmalloc(TAIL_BUF_BYTES);
                                memcpy(f->carry, p + c->last, n - c->last);
                                f->carry_pos = 0;
                                f->carry_len = n - c->last;
                        }
                        return c->user_r < 0 ? c->user_r : READ_LIMIT;
                }
                f->carry_pos = f->carry_len = 0;
        }
}

/* Hands out f's pending partial line: f is left for good. */
static int flush_file(ReadCtx *c, TailFile *f)
{
        c->f = f;
        c->flushing = true;
        int r = linebuf_flush(&f->lb, on_line, c);
        c->flushing = false;
        return r < 0 && c->user_r < 0 ? c->user_r : 0;
}

static void note_read_failure(Tail *t, TailFile *f, int err)
{
        if (f->dec && f->dec->err == err && err == -EBADMSG)
                log_source_set_note(&t->s, "cannot decompress '%s': %s, skipping the rest", f->path,
                                    f->dec->msg);
        else
                log_source_set_note(&t->s, "cannot read '%s': %s, skipping the rest", f->path,
                                    strerror(-err));
}

/* Former files at path: drained first, closed once idle for RETIRE_IDLE_MS. */
static int read_retired(Tail *t, ReadCtx *c)
{
        int64_t now = tail_now_ms(t);

        for (size_t i = 0; i < t->n_retired;) {
                TailFile *f = t->retired[i];
                int r = read_file(t, f, c);
                if (r == READ_LIMIT || r < 0)
                        return r;
                bool done = file_idle(f, now) || r == READ_FAILED || t->n_retired - i > RETIRED_MAX;
                if (!done) {
                        i++;
                        continue;
                }
                if (r == READ_FAILED)
                        note_read_failure(t, f, c->err);
                if (c->count >= c->max)
                        return READ_LIMIT;
                r = flush_file(c, f);
                unwatch_file(t, f);
                tail_file_free(f);
                memmove(t->retired + i, t->retired + i + 1,
                        (t->n_retired - i - 1) * sizeof(*t->retired));
                t->n_retired--;
                if (r < 0)
                        return r;
        }
        return READ_EOF;
}

static void queue_file(Tail *t, TailFile *f)
{
        t->queue = xreallocarray(t->queue, t->n_queue + 1, sizeof(*t->queue));
        t->queue[t->n_queue++] = f;
}

/* Queues a rotated file from off: opened now, or, lazy (off 0 only), at its turn, so that a
 * long history does not hold an fd per file; false if it cannot be opened (noted). */
static bool queue_rotated(Tail *t, const Rotated *r, uint64_t off, bool backfill, bool lazy)
{
        TailFile *f;

        if (lazy) {
                assert(off == 0);
                f = xnew0(TailFile, 1);
                *f = (TailFile){.fd = -1,
                                .wd = -1,
                                .path = xstrdup(r->path),
                                .dev = r->dev,
                                .ino = r->ino,
                                .backfill = backfill};
                queue_file(t, f);
                return true;
        }
        int k = tail_file_open(r->path, true, &f);
        if (k < 0) {
                log_source_set_note(&t->s, "cannot open '%s': %s, skipping", r->path,
                                    k == -EINVAL ? "not a regular file" : strerror(-k));
                return false;
        }
        f->backfill = backfill;
        tail_file_seek(f, off);
        queue_file(t, f);
        return true;
}

/* Opens a lazily queued file at its turn, by its inode: it may have been renamed (path.1 to
 * path.2) since it was listed. NULL (noted) if it is gone. */
static TailFile *queue_open(Tail *t, const TailFile *f)
{
        TailFile *g = NULL;
        int r = tail_file_open(f->path, true, &g);

        if (r >= 0 && (g->dev != f->dev || g->ino != f->ino)) {
                g = tail_file_free(g);
                r = -ENOENT;
        }
        if (r == -ENOENT) {
                Rotated *l;
                size_t n;
                if (rotated_list(t, 0, 0, &l, &n, NULL) >= 0) {
                        for (size_t i = 0; i < n; i++) {
                                if (l[i].dev != f->dev || l[i].ino != f->ino)
                                        continue;
                                r = tail_file_open(l[i].path, true, &g);
                                if (r >= 0 && (g->dev != f->dev || g->ino != f->ino)) {
                                        g = tail_file_free(g);
                                        r = -ENOENT;
                                }
                                break;
                        }
                        rotated_free(l, n);
                }
        }
        if (r < 0) {
                log_source_set_note(&t->s, "cannot open '%s': %s, skipping", f->path,
                                    r == -EINVAL ? "not a regular file" : strerror(-r));
                return NULL;
        }
        g->backfill = f->backfill;
        return g;
}

/* Rotated files waiting to be read, each to its end, oldest first. */
static int read_queue(Tail *t, ReadCtx *c)
{
        while (t->n_queue > 0) {
                TailFile *f = t->queue[0];
                if (f->fd < 0) {
                        TailFile *g = queue_open(t, f);
                        tail_file_free(f);
                        if (!g) {
                                memmove(t->queue, t->queue + 1,
                                        (t->n_queue - 1) * sizeof(*t->queue));
                                t->n_queue--;
                                continue;
                        }
                        t->queue[0] = f = g;
                }
                int r = read_file(t, f, c);
                if (r == READ_LIMIT || r < 0)
                        return r;
                if (r == READ_FAILED)
                        note_read_failure(t, f, c->err);
                memmove(t->queue, t->queue + 1, (t->n_queue - 1) * sizeof(*t->queue));
                t->n_queue--;
                if (r == READ_EOF && f->codec == CODEC_PLAIN && !f->backfill) {
                        /* A file rotated while we were stopped may still get the lines its
                         * writer writes before it reopens: drain it a while. */
                        free(t->last_cursor);
                        t->last_cursor = tail_file_cursor(f);
                        retire_file(t, f);
                        continue;
                }
                if (c->count >= c->max) {
                        /* no room for its partial line now: it stays first */
                        memmove(t->queue + 1, t->queue, t->n_queue * sizeof(*t->queue));
                        t->queue[0] = f;
                        t->n_queue++;
                        return READ_LIMIT;
                }
                r = flush_file(c, f);
                leave_file(t, f);
                if (r < 0)
                        return r;
        }
        return READ_EOF;
}

static int open_cur(Tail *t)
{
        TailFile *f;
        int r = tail_file_open(t->path, false, &f);

        if (r < 0) {
                log_source_set_error(&t->s, "cannot open '%s': %s", t->path,
                                     r == -EINVAL ? "not a regular file" : strerror(-r));
                return r;
        }
        log_source_clear_error(&t->s);
        if (t->start_end)
                tail_file_seek(f, tail_file_end(t, f));
        t->start_end = false;
        free(t->last_cursor);
        t->last_cursor = NULL;
        t->cur = f;
        watch_file(t, f);
        return 0;
}

/* Whether cur was truncated or rewritten in place: shorter than what we read, or its first
 * bytes differ from those we saw. */
static bool cur_rewritten(Tail *t)
{
        TailFile *f = t->cur;
        struct stat st;
        char now[HEAD_MAX_BYTES];

        if (fstat(f->fd, &st) < 0)
                return false;
        if ((uint64_t) st.st_size < f->off)
                return true;
        if (st.st_size == f->seen_size && st.st_mtim.tv_sec == f->seen_mtime.tv_sec &&
            st.st_mtim.tv_nsec == f->seen_mtime.tv_nsec)
                return false;
        f->seen_size = st.st_size;
        f->seen_mtime = st.st_mtim;
        if (f->head_have == 0)
                return false;
        ssize_t k = pread_full(f->fd, now, f->head_have, 0);
        return k != (ssize_t) f->head_have || memcmp(now, f->head, f->head_have) != 0;
}

/* copytruncate: the lines written between our last read and the copy are in the newest
 * rotated file, if its head is ours and it goes on past our offset. */
static void cur_truncated(Tail *t)
{
        TailFile *f = t->cur;
        size_t hlen = tail_file_hlen(f);
        uint64_t hash = fnv1a(f->head, hlen);
        Rotated *r;
        size_t n;
        bool from_copy = false;

        if (hlen > 0 && rotated_list(t, f->dev, f->ino, &r, &n, NULL) >= 0) {
                if (n > 0) {
                        const Rotated *x = &r[n - 1];
                        TailFile *g;
                        if (tail_file_open(x->path, true, &g) >= 0) {
                                from_copy = tail_file_head_is(g, hlen, hash);
                                if (from_copy &&
                                    (g->codec != CODEC_PLAIN || (uint64_t) x->size > f->line_off)) {
                                        tail_file_seek(g, f->line_off);
                                        queue_file(t, g);
                                } else
                                        tail_file_free(g);
                        }
                        if (from_copy)
                                log_source_set_note(&t->s,
                                                    "'%s' was truncated (copytruncate): reading "
                                                    "the rest from '%s', then '%s' from the "
                                                    "start",
                                                    t->path, x->path, t->path);
                }
                rotated_free(r, n);
        }
        if (!from_copy)
                log_source_set_note(&t->s, "'%s' was truncated: reading it from the start",
                                    t->path);
        linebuf_reset(&f->lb);
        f->off = f->line_off = f->skip_to = 0;
        f->head_have = 0;
        f->seen_size = -1;
}

/* After path names another file: opens it right away (pinned: whatever is rotated after
 * this is found from it), queues the rotated files newer than the old one (it was rotated
 * more than once since the last read), retires the old one. */
static void cur_rotated(Tail *t, const struct stat *now)
{
        TailFile *f = TAKE_PTR(t->cur);
        Rotated *r;
        size_t n, queued = 0;

        int opened = open_cur(t);
        dev_t dev = t->cur ? t->cur->dev : now->st_dev;
        ino_t ino = t->cur ? t->cur->ino : now->st_ino;
        if (rotated_list(t, dev, ino, &r, &n, NULL) >= 0) {
                size_t i = 0;
                while (i < n && !(r[i].dev == f->dev && r[i].ino == f->ino))
                        i++;
                for (i++; i < n; i++)
                        queued += queue_rotated(t, &r[i], 0, false, false);
                rotated_free(r, n);
        }
        if (queued > 0)
                log_source_set_note(&t->s,
                                    "'%s' was rotated %zu times since the last read: reading "
                                    "the rotated files, then the new file",
                                    t->path, queued + 1);
        else
                log_source_set_note(&t->s, "'%s' was rotated: following the new file", t->path);
        if (opened < 0) {
                free(t->last_cursor);
                t->last_cursor = tail_file_cursor(f);
        }
        retire_file(t, f);
}

/* cur is deleted (path is gone, no link left) and has not grown for long: closing it frees
 * its disk space; the file that appears at path next is read from its start. */
static int cur_deleted(Tail *t, ReadCtx *c)
{
        struct stat st;

        if (fstat(t->cur->fd, &st) < 0 || st.st_nlink > 0 || !file_idle(t->cur, tail_now_ms(t)))
                return READ_EOF;
        if (c->count >= c->max)
                return READ_LIMIT;
        TailFile *f = TAKE_PTR(t->cur);
        int r = flush_file(c, f);
        leave_file(t, f);
        t->start_end = false;
        log_source_set_note(&t->s, "'%s' was deleted: waiting for it to appear again", t->path);
        return r < 0 ? r : READ_EOF;
}

static void close_all(Tail *t)
{
        if (t->cur) {
                unwatch_file(t, t->cur);
                t->cur = tail_file_free(t->cur);
        }
        for (size_t i = 0; i < t->n_queue; i++)
                tail_file_free(t->queue[i]);
        for (size_t i = 0; i < t->n_retired; i++) {
                unwatch_file(t, t->retired[i]);
                tail_file_free(t->retired[i]);
        }
        t->n_queue = t->n_retired = 0;
}

static void first_sight(Tail *t)
{
        Rotated *r;
        size_t n, dropped, queued = 0;

        if (open_cur(t) == -ENOENT)
                t->start_end = false; /* created later: all of it is new */
        if (!t->opt.backfill)
                return;
        if (rotated_list(t, t->cur ? t->cur->dev : 0, t->cur ? t->cur->ino : 0, &r, &n, &dropped) <
            0)
                return;
        for (size_t i = 0; i < n; i++)
                queued += queue_rotated(t, &r[i], 0, true, true);
        rotated_free(r, n);
        if (dropped > 0)
                log_source_set_note(&t->s,
                                    "backfill: reading the newest %zu rotated files of '%s', "
                                    "%zu older ones skipped",
                                    queued, t->path, dropped);
}

static void apply_cursor(Tail *t)
{
        const TailCursor *c = &t->cursor;
        TailFile *cur = NULL;
        Rotated *r = NULL;
        size_t n = 0;

        close_all(t);
        free(t->last_cursor);
        t->last_cursor = NULL;
        t->start_end = false; /* whatever path holds next is read from its start */
        if (c->ino == 0)
                return;

        (void) tail_file_open(t->path, false, &cur); /* errors show in the read loop */
        if (cur && cur->dev == c->dev && cur->ino == c->ino) {
                if ((uint64_t) cur->seen_size >= c->off &&
                    tail_file_head_is(cur, c->hlen, c->head)) {
                        tail_file_seek(cur, c->off);
                        t->cur = cur;
                        watch_file(t, cur);
                        return;
                }
                /* Truncated (copytruncate) or rewritten while we were stopped. */
                bool found = false;
                if (c->hlen > 0 && rotated_list(t, cur->dev, cur->ino, &r, &n, NULL) >= 0) {
                        for (size_t i = n; i-- > 0 && !found;) {
                                TailFile *g;
                                if (tail_file_open(r[i].path, true, &g) < 0)
                                        continue;
                                if (tail_file_head_is(g, c->hlen, c->head) &&
                                    (g->codec != CODEC_PLAIN || (uint64_t) r[i].size >= c->off)) {
                                        g->backfill = c->backfill;
                                        tail_file_seek(g, c->off);
                                        queue_file(t, g);
                                        found = true;
                                        log_source_set_note(&t->s,
                                                            "'%s' was truncated while stopped: "
                                                            "reading the rest from '%s', then "
                                                            "'%s' from the start",
                                                            t->path, r[i].path, t->path);
                                } else
                                        tail_file_free(g);
                        }
                        rotated_free(r, n);
                }
                if (!found)
                        log_source_set_note(&t->s,
                                            "'%s' was truncated or rewritten while stopped: "
                                            "reading it from the start",
                                            t->path);
                tail_file_seek(cur, 0);
                t->cur = cur;
                watch_file(t, cur);
                return;
        }

        /* Another file at path, or none: the cursor's file was rotated away (renamed). */
        bool found = false;
        if (rotated_list(t, cur ? cur->dev : 0, cur ? cur->ino : 0, &r, &n, NULL) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        if (found) {
                                (void) queue_rotated(t, &r[i], 0, c->backfill, true);
                                continue;
                        }
                        if (r[i].dev != c->dev || r[i].ino != c->ino)
                                continue;
                        TailFile *g;
                        if (tail_file_open(r[i].path, true, &g) < 0)
                                break;
                        if (!tail_file_head_is(g, c->hlen, c->head) ||
                            (g->codec == CODEC_PLAIN && (uint64_t) r[i].size < c->off)) {
                                tail_file_free(g);
                                break;
                        }
                        g->backfill = c->backfill;
                        tail_file_seek(g, c->off);
                        queue_file(t, g);
                        found = true;
                        log_source_set_note(&t->s,
                                            "'%s' was rotated while stopped: reading the rest "
                                            "of '%s' first",
                                            t->path, r[i].path);
                }
                rotated_free(r, n);
        }
        if (!found)
                log_source_set_note(&t->s,
                                    "the file of the cursor of '%s' (inode %" PRIu64
                                    ") is gone: reading '%s' from the start",
                                    t->path, c->ino, t->path);
        if (cur) {
                tail_file_seek(cur, 0);
                t->cur = cur;
                watch_file(t, cur);
        }
}

static int tail_read(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata)
{
        Tail *t = to_tail(s);
        ReadCtx c = {
                .t = t,
                .fn = fn,
                .userdata = userdata,
                .max = max_lines > 0 ? MIN(max_lines, (size_t) INT_MAX) : (size_t) INT_MAX,
        };
        int r;

        inotify_drain(t);
        if (t->cursor_pending) {
                apply_cursor(t);
                t->cursor_pending = false;
                t->started = true;
        } else if (!t->started) {
                first_sight(t);
                t->started = true;
        }

        for (unsigned round = 0; round < READ_ROUNDS_MAX; round++) {
                r = read_retired(t, &c);
                if (r != READ_EOF)
                        goto out;
                r = read_queue(t, &c);
                if (r != READ_EOF)
                        goto out;
                if (!t->cur && open_cur(t) < 0)
                        break;
                if (cur_rewritten(t)) {
                        cur_truncated(t);
                        continue; /* the copy's rest first */
                }
                r = read_file(t, t->cur, &c);
                if (r == READ_FAILED) {
                        log_source_set_error(&t->s, "cannot read '%s': %s", t->path,
                                             strerror(-c.err));
                        break;
                }
                if (r != READ_EOF)
                        goto out;

                struct stat now;
                if (stat(t->path, &now) < 0) {
                        r = errno == ENOENT ? cur_deleted(t, &c) : READ_EOF;
                        if (r != READ_EOF)
                                goto out;
                        break;
                }
                if (now.st_dev == t->cur->dev && now.st_ino == t->cur->ino)
                        break;
                /* Rotated: what was written to the old file before the new one appeared
                 * comes first. */
                r = read_file(t, t->cur, &c);
                if (r != READ_EOF && r != READ_FAILED)
                        goto out;
                cur_rotated(t, &now);
        }
        return (int) c.count;
out:
        return r < 0 ? r : (int) c.count;
}

/* --- cursor --- */

static int parse_field(const char **p, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);
        uint64_t v = 0;
        const char *q;

        if (strncmp(*p, key, klen) != 0)
                return -EINVAL;
        q = *p + klen;
        if (*q < '0' || *q > '9' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9'))
                return -EINVAL;
        for (; *q >= '0' && *q <= '9'; q++) {
                unsigned d = (unsigned) (*q - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *p = q;
        *ret = v;
        return 0;
}

static int cursor_parse(const char *s, TailCursor *ret)
{
        TailCursor c = {};
        const char *p = s;
        uint64_t hlen;

        if (parse_field(&p, "dev=", &c.dev) < 0 || parse_field(&p, " ino=", &c.ino) < 0 ||
            parse_field(&p, " off=", &c.off) < 0 || parse_field(&p, " hlen=", &hlen) < 0 ||
            strncmp(p, " head=", 6) != 0)
                return -EINVAL;
        p += 6;
        for (int i = 0; i < 16; i++, p++) {
                unsigned d;
                if (*p >= '0' && *p <= '9')
                        d = (unsigned) (*p - '0');
                else if (*p >= 'a' && *p <= 'f')
                        d = (unsigned) (*p - 'a' + 10);
                else
                        return -EINVAL;
                c.head = c.head << 4 | d;
        }
        if (strcmp(p, " backfill=1") == 0)
                c.backfill = true;
        else if (*p != '\0')
                return -EINVAL;
        if (hlen > HEAD_MAX_BYTES || hlen > c.off || (c.off > 0 && hlen == 0) ||
            (hlen == 0 && c.head != FNV_BASIS))
                return -EINVAL;
        if (c.ino == 0 && (c.dev != 0 || c.off != 0 || c.backfill))
                return -EINVAL;
        c.hlen = (size_t) hlen;
        *ret = c;
        return 0;
}

static TailFile *active_file(Tail *t)
{
        return t->n_queue > 0 ? t->queue[0] : t->cur;
}

static char *tail_get_cursor(LogSource *s)
{
        Tail *t = to_tail(s);
        TailFile *f = active_file(t);
        const TailCursor *c = &t->cursor;

        if (t->cursor_pending)
                return xasprintf("dev=%" PRIu64 " ino=%" PRIu64 " off=%" PRIu64
                                 " hlen=%zu head=%016" PRIx64 "%s",
                                 c->dev, c->ino, c->off, c->hlen, c->head,
                                 c->backfill ? " backfill=1" : "");
        if (f)
                return tail_file_cursor(f);
        if (t->last_cursor)
                return xstrdup(t->last_cursor);
        if (t->started && !t->start_end)
                return xasprintf("dev=0 ino=0 off=0 hlen=0 head=%016" PRIx64, FNV_BASIS);
        return xstrdup("");
}

static int tail_set_cursor(LogSource *s, const char *cursor)
{
        Tail *t = to_tail(s);
        TailCursor c;
        int r = cursor_parse(cursor, &c);

        if (r < 0)
                return r;
        t->cursor = c;
        t->cursor_pending = true;
        return 0;
}

static int tail_get_fd(LogSource *s)
{
        Tail *t = to_tail(s);

        if (t->ino_fd >= 0 || t->ino_failed)
                return t->ino_fd;
        t->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (t->ino_fd < 0) {
                t->ino_failed = true;
                return -1;
        }
        t->wd_dir = inotify_add_watch(t->ino_fd, t->dir, DIR_WATCH_MASK);
        if (t->wd_dir < 0) {
                /* ENOSPC (out of watches), or no directory yet: the caller polls. */
                (void) close(t->ino_fd);
                t->ino_fd = -1;
                t->ino_failed = true;
                return -1;
        }
        if (t->cur)
                watch_file(t, t->cur);
        for (size_t i = 0; i < t->n_retired; i++)
                watch_file(t, t->retired[i]);
        return t->ino_fd;
}

static void tail_free(LogSource *s)
{
        Tail *t = to_tail(s);

        close_all(t);
        free(t->queue);
        free(t->retired);
        if (t->ino_fd >= 0)
                (void) close(t->ino_fd);
        free(t->path);
        free(t->dir);
        free(t->base);
        free(t->buf);
        free(t->last_cursor);
        log_source_done(s);
}

void log_source_file_set_clock(LogSource *s, int64_t (*now_ms)(void *userdata), void *userdata)
{
        assert(s && s->ops->kind == LOG_SOURCE_FILE);
        to_tail(s)->clock = now_ms;
        to_tail(s)->clock_data = userdata;
}

static const LogSourceOps tail_ops = {
        .kind = LOG_SOURCE_FILE,
        .read = tail_read,
        .get_cursor = tail_get_cursor,
        .set_cursor = tail_set_cursor,
        .get_fd = tail_get_fd,
        .free = tail_free,
};

int log_source_new_file(const char *name, const char *path, const LogTailOptions *opt,
                        LogSource **ret)
{
        assert(name && path && ret);
        const char *slash = strrchr(path, '/');

        if (path[0] == '\0' || (slash && slash[1] == '\0'))
                return -EINVAL;

        Tail *t = xnew0(Tail, 1);
        log_source_init(&t->s, &tail_ops, name, path);
        t->path = xstrdup(path);
        if (!slash) {
                t->dir = xstrdup(".");
                t->base = xstrdup(path);
        } else {
                t->dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t) (slash - path));
                t->base = xstrdup(slash + 1);
        }
        if (opt)
                t->opt = *opt;
        t->start_end = !t->opt.from_start && !t->opt.backfill;
        t->buf = xmalloc(TAIL_BUF_BYTES);
        t->ino_fd = t->wd_dir = -1;
        *ret = &t->s;
        return 0;
}

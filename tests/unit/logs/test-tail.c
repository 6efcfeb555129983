/* The file source: following a file through rotation (rename, copytruncate, delete and
 * recreate), cursors across restarts in each of those states, backfill of the rotated
 * history (plain, gzip, zstd, corrupt), and failure isolation. Most tests write numbered
 * lines "L<n>" and check that what comes out is exactly 0..N-1, in order, none twice. */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "logs/source.h"
#include "test-util.h"

typedef struct Got {
        char **line;
        bool *backfill;
        bool *truncated;
        size_t *len;
        size_t n, cap;
        size_t stop_after; /* the callback returns -42 after this many lines; 0 never */
} Got;

static int got_line(void *userdata, const LogLine *l)
{
        Got *g = userdata;

        if (g->n == g->cap) {
                g->cap = g->cap ? 2 * g->cap : 64;
                g->line = xreallocarray(g->line, g->cap, sizeof(*g->line));
                g->backfill = xreallocarray(g->backfill, g->cap, sizeof(*g->backfill));
                g->truncated = xreallocarray(g->truncated, g->cap, sizeof(*g->truncated));
                g->len = xreallocarray(g->len, g->cap, sizeof(*g->len));
        }
        assert_int_equal(l->text[l->len], '\0');
        g->line[g->n] = xmemdup(l->text, l->len + 1);
        g->backfill[g->n] = l->backfill;
        g->truncated[g->n] = l->truncated;
        g->len[g->n] = l->len;
        g->n++;
        return g->stop_after && g->n == g->stop_after ? -42 : 0;
}

static void got_done(Got *g)
{
        for (size_t i = 0; i < g->n; i++)
                free(g->line[i]);
        free(g->line);
        free(g->backfill);
        free(g->truncated);
        free(g->len);
        *g = (Got){};
}

/* Reads until nothing more comes; returns the lines read. */
static size_t drain(LogSource *s, Got *g)
{
        size_t before = g->n;

        for (int i = 0; i < 1000; i++) {
                int r = log_source_read(s, 0, got_line, g);
                assert_true(r >= 0);
                if (r == 0)
                        break;
        }
        return g->n - before;
}

/* The lines "L<from>" .. "L<to - 1>", exactly, in order. */
static void expect_seq(const Got *g, int from, int to)
{
        char want[32];

        if (g->n != (size_t) (to - from)) {
                for (size_t i = 0; i < g->n && i < 2000; i++)
                        print_message("  got[%zu] = '%s'\n", i, g->line[i]);
                fail_msg("got %zu lines, want %d (L%d..L%d)", g->n, to - from, from, to - 1);
        }
        for (int i = from; i < to; i++) {
                (void) snprintf(want, sizeof(want), "L%d", i);
                assert_string_equal(g->line[i - from], want);
        }
}

static void append(const char *path, const char *text)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

static void write_fd_lines(int fd, int from, int to)
{
        char buf[32];

        for (int i = from; i < to; i++) {
                int n = snprintf(buf, sizeof(buf), "L%d\n", i);
                assert_int_equal(write(fd, buf, (size_t) n), n);
        }
}

static void append_lines(const char *path, int from, int to)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        write_fd_lines(fd, from, to);
}

static char *lines_text(int from, int to)
{
        _cleanup_(strbuf_done) StrBuf b = {};

        for (int i = from; i < to; i++)
                assert_int_equal(strbuf_printf(&b, "L%d\n", i), 0);
        return strbuf_steal(&b);
}

static void write_gz(const char *path, int from, int to, bool two_members)
{
        _cleanup_free_ char *text = lines_text(from, to);
        size_t n = strlen(text), half = two_members ? n / 2 : n;
        gzFile gz = gzopen(path, "wb");

        assert_non_null(gz);
        assert_int_equal(gzwrite(gz, text, (unsigned) half), (int) half);
        assert_int_equal(gzclose(gz), Z_OK);
        if (two_members) { /* as `gzip -c more >> file.gz` makes */
                gz = gzopen(path, "ab");
                assert_non_null(gz);
                assert_int_equal(gzwrite(gz, text + half, (unsigned) (n - half)), (int) (n - half));
                assert_int_equal(gzclose(gz), Z_OK);
        }
}

static void write_zst(const char *path, int from, int to)
{
        _cleanup_free_ char *text = lines_text(from, to);
        size_t n = strlen(text), cap = ZSTD_compressBound(n);
        _cleanup_free_ char *z = xmalloc(cap);
        size_t zn = ZSTD_compress(z, cap, text, n, 3);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_false(ZSTD_isError(zn));
        assert_true(fd >= 0);
        assert_int_equal(write(fd, z, zn), (ssize_t) zn);
}

static LogSource *new_source(const char *path, bool from_start, bool backfill)
{
        LogTailOptions opt = {.from_start = from_start, .backfill = backfill};
        LogSource *s = NULL;

        assert_int_equal(log_source_new_file("test", path, &opt, &s), 0);
        assert_int_equal(s->ops->kind, LOG_SOURCE_FILE);
        return s;
}

/* Frees s and returns a new source on path continuing at s's cursor. */
static LogSource *restart(LogSource *s, const char *path, bool backfill)
{
        _cleanup_free_ char *cursor = log_source_get_cursor(s);

        assert_true(cursor[0] != '\0');
        log_source_free(s);
        s = new_source(path, false, backfill);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        return s;
}

static void copy_file(const char *from, const char *to)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        char buf[65536];
        ssize_t n;

        assert_true(in >= 0 && out >= 0);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                assert_int_equal(write(out, buf, (size_t) n), n);
        assert_int_equal(n, 0);
}

/* logrotate copytruncate: copy to path.1, then truncate in place. */
static void copytruncate(const char *path, const char *rotated)
{
        copy_file(path, rotated);
        assert_int_equal(truncate(path, 0), 0);
}

typedef struct Dir {
        char *dir;
        char *path; /* dir/app.log */
        char *p1, *p2, *p3;
} Dir;

static void dir_setup(Dir *d)
{
        d->dir = test_mkdtemp();
        d->path = xasprintf("%s/app.log", d->dir);
        d->p1 = xasprintf("%s.1", d->path);
        d->p2 = xasprintf("%s.2", d->path);
        d->p3 = xasprintf("%s.3", d->path);
}

static void dir_done(Dir *d)
{
        test_rm_rf(d->dir);
        free(d->dir);
        free(d->path);
        free(d->p1);
        free(d->p2);
        free(d->p3);
}

static void test_tail_append_and_read(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 3);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 3);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        append_lines(d.path, 3, 5);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 2);
        expect_seq(&g, 0, 5);
        assert_int_equal(s->lines, 5);
        assert_int_equal(s->bytes, 15); /* "L0\n" .. "L4\n", line ends included */
        assert_null(s->error);
        assert_string_equal(log_source_kind_to_string(s->ops->kind), "file");

        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        struct stat st;
        assert_int_equal(stat(d.path, &st), 0);
        _cleanup_free_ char *want =
                xasprintf("dev=%" PRIu64 " ino=%" PRIu64 " off=15 hlen=3 head=%016" PRIx64,
                          (uint64_t) st.st_dev, (uint64_t) st.st_ino,
                          /* FNV-1a 64 of "L0\n" */
                          UINT64_C(0x261b6819b980b391));
        assert_string_equal(cursor, want);
}

static void test_tail_starts_at_end(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append(d.path, "old 1\nold 2\npart");
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, false);
        _cleanup_free_ char *before = log_source_get_cursor(s);
        assert_string_equal(before, ""); /* nothing read yet */
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        /* The line being written when we started is read whole. */
        append(d.path, "ial\nnew\n");
        assert_int_equal(log_source_read(s, 0, got_line, &g), 2);
        assert_string_equal(g.line[0], "partial");
        assert_string_equal(g.line[1], "new");
}

static void test_tail_partial_line(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append(d.path, "L0\nL");
        LogSource *s = new_source(d.path, true, false);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 1);
        append(d.path, "1");
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        assert_non_null(strstr(cursor, " off=3 ")); /* not past the partial line */

        /* A restart reads the partial line again, whole. */
        s = restart(s, d.path, false);
        append(d.path, "\nL2\n");
        assert_int_equal(log_source_read(s, 0, got_line, &g), 2);
        expect_seq(&g, 0, 3);
        log_source_free(s);
}

static void test_tail_max_lines_and_stop(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 10);
        LogSource *s = new_source(d.path, true, false);
        assert_int_equal(log_source_read(s, 3, got_line, &g), 3);
        assert_int_equal(log_source_read(s, 3, got_line, &g), 3);
        /* The callback stops: the line it got counts as read. */
        g.stop_after = 7;
        assert_int_equal(log_source_read(s, 3, got_line, &g), -42);
        assert_int_equal(g.n, 7);
        g.stop_after = 0;
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        assert_non_null(strstr(cursor, " off=21 "));
        s = restart(s, d.path, false);
        assert_int_equal(log_source_read(s, 2, got_line, &g), 2);
        assert_int_equal(log_source_read(s, 2, got_line, &g), 1);
        assert_int_equal(log_source_read(s, 2, got_line, &g), 0);
        expect_seq(&g, 0, 10);
        log_source_free(s);
}

/* A writer that keeps its fd, like a daemon: lines go to the old file after the rename until
 * it reopens, sometimes after logrotate already created the new file. Reads happen at odd
 * moments with small max_lines; sometimes two rotations happen between reads. */
static void test_tail_rename_rotation_while_writing(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};
        const int n = 3000;
        int rotations = 0;

        (void) state;
        dir_setup(&d);
        int wfd = open(d.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        assert_true(wfd >= 0);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, false);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);

        for (int i = 0; i < n;) {
                write_fd_lines(wfd, i, i + 1);
                i++;
                if (i % 101 == 0 || i % 257 == 0) {
                        /* logrotate: shift the old ones, rename, create, then the daemon
                         * reopens (a few lines later). */
                        rotations++;
                        for (int k = rotations; k >= 1; k--) {
                                _cleanup_free_ char *from = xasprintf("%s.%d", d.path, k);
                                _cleanup_free_ char *to = xasprintf("%s.%d", d.path, k + 1);
                                (void) rename(from, to);
                        }
                        assert_int_equal(rename(d.path, d.p1), 0);
                        if (i % 3 == 0 && i < n - 2) {
                                write_fd_lines(wfd, i, i + 2); /* before the new file */
                                i += 2;
                        }
                        _cleanup_close_ int cfd =
                                open(d.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                        assert_true(cfd >= 0);
                        if (rotations % 2 == 0) /* read before the daemon reopened */
                                (void) log_source_read(s, rotations % 4 ? 4 : 0, got_line, &g);
                        if (rotations % 3 != 0 && i < n - 3) {
                                write_fd_lines(wfd, i, i + 3); /* after it, before reopening */
                                i += 3;
                        }
                        (void) close(wfd);
                        wfd = open(d.path, O_WRONLY | O_APPEND | O_CLOEXEC);
                        assert_true(wfd >= 0);
                }
                if (i % 13 == 0)
                        assert_true(log_source_read(s, (size_t) (i % 7 + 1), got_line, &g) >= 0);
                if (i % 29 == 0)
                        drain(s, &g);
        }
        (void) close(wfd);
        drain(s, &g);
        assert_true(rotations > 20);
        expect_seq(&g, 0, n);
        assert_int_equal(s->lines, n);
}

/* logrotate `create`, then the daemon told to reopen: lines written to the old file after
 * we switched to the new one still come, and before the new file's. */
static void test_tail_rename_late_writes(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        int wfd = open(d.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        assert_true(wfd >= 0);
        write_fd_lines(wfd, 0, 2);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 2);
        assert_int_equal(rename(d.path, d.p1), 0);
        write_fd_lines(wfd, 2, 3);
        append(d.path, "");
        assert_int_equal(drain(s, &g), 1); /* the old file's end; now on the new one */
        assert_non_null(strstr(s->note, "rotated: following the new file"));
        write_fd_lines(wfd, 3, 5); /* the daemon has not reopened yet */
        (void) close(wfd);
        wfd = open(d.path, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(wfd >= 0);
        write_fd_lines(wfd, 5, 7);
        (void) close(wfd);
        assert_int_equal(drain(s, &g), 4);
        expect_seq(&g, 0, 7);
}

static int64_t fake_ms = 1000;

static int64_t fake_clock(void *userdata)
{
        (void) userdata;
        return fake_ms;
}

/* A rotated-away file is read for 30 s after it last grew; then its partial last line comes
 * out as a line and it is closed. A deleted file is closed likewise. */
static void test_tail_retired_and_deleted_expire(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append(d.path, "L0\nL1");
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        log_source_file_set_clock(s, fake_clock, NULL);
        assert_int_equal(drain(s, &g), 1);
        assert_int_equal(rename(d.path, d.p1), 0);
        append_lines(d.path, 2, 3);
        assert_int_equal(drain(s, &g), 1); /* L2; L1 still pending in the old file */
        fake_ms += 29000;
        assert_int_equal(drain(s, &g), 0);
        append(d.p1, "x"); /* it grows: another 30 s */
        fake_ms += 29000;
        assert_int_equal(drain(s, &g), 0);
        fake_ms += 29000;
        assert_int_equal(drain(s, &g), 0);
        fake_ms += 1000;
        assert_int_equal(drain(s, &g), 1);
        assert_string_equal(g.line[2], "L1x");

        /* Deleted and not recreated: closed after 30 s idle, then waiting for the file. */
        assert_int_equal(unlink(d.path), 0);
        assert_int_equal(drain(s, &g), 0);
        fake_ms += 30000;
        assert_int_equal(drain(s, &g), 0);
        assert_non_null(strstr(s->note, "was deleted"));
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        assert_non_null(strstr(cursor, " off=3 "));
        append_lines(d.path, 3, 5);
        assert_int_equal(drain(s, &g), 2);
}

static void test_tail_copytruncate(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 10);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 10);
        /* Written after our last read, then copied and truncated before the next. */
        append_lines(d.path, 10, 15);
        copytruncate(d.path, d.p1);
        append_lines(d.path, 15, 18);
        assert_int_equal(drain(s, &g), 8);
        assert_non_null(strstr(s->note, "copytruncate"));

        /* Again, the new content growing past our offset before we look (the head tells). */
        append_lines(d.path, 18, 20);
        assert_int_equal(drain(s, &g), 2);
        append_lines(d.path, 20, 22);
        assert_int_equal(rename(d.p1, d.p2), 0);
        copytruncate(d.path, d.p1);
        append_lines(d.path, 22, 60);
        drain(s, &g);
        expect_seq(&g, 0, 60);

        /* Truncated with no copy around: read from the start, said in the note. */
        test_rm_rf(d.p1);
        test_rm_rf(d.p2);
        assert_int_equal(truncate(d.path, 0), 0);
        append_lines(d.path, 60, 62);
        drain(s, &g);
        expect_seq(&g, 0, 62);
        assert_non_null(strstr(s->note, "truncated: reading it from the start"));
}

static void test_tail_delete_and_recreate(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 5);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 5);

        /* Deleted by a writer that still holds it: the open fd is read to its end. */
        int wfd = open(d.path, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(wfd >= 0);
        write_fd_lines(wfd, 5, 7);
        assert_int_equal(unlink(d.path), 0);
        write_fd_lines(wfd, 7, 8);
        assert_int_equal(drain(s, &g), 3);
        (void) close(wfd);
        assert_int_equal(drain(s, &g), 0);
        assert_null(s->error);

        /* Recreated: read from its start. */
        append_lines(d.path, 8, 10);
        assert_int_equal(drain(s, &g), 2);

        /* Deleted and recreated between two reads. */
        append_lines(d.path, 10, 11);
        assert_int_equal(unlink(d.path), 0);
        append_lines(d.path, 11, 13);
        drain(s, &g);
        expect_seq(&g, 0, 13);
}

static void test_tail_missing_file(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        LogSource *s = new_source(d.path, false, false);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        _cleanup_free_ char *want =
                xasprintf("cannot open '%s': No such file or directory", d.path);
        assert_string_equal(s->error, want);
        assert_true(s->error_new);
        s->error_new = false;
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        assert_false(s->error_new); /* the same error is not new again */

        /* It appears: read from its start, though we start at the end of files we find. */
        append_lines(d.path, 0, 2);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 2);
        assert_null(s->error);

        /* Missing at a restart too: the cursor says "read it from the start". */
        log_source_free(s);
        assert_int_equal(unlink(d.path), 0);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        assert_string_equal(cursor, "dev=0 ino=0 off=0 hlen=0 head=cbf29ce484222325");
        s = restart(s, d.path, false);
        append_lines(d.path, 2, 4);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 2);
        expect_seq(&g, 0, 4);
        log_source_free(s);
}

static void test_tail_restart_same_file(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 5);
        LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 5);
        append_lines(d.path, 5, 8);
        s = restart(s, d.path, false);
        /* The cursor as set is the cursor until the first read. */
        _cleanup_free_ char *c1 = log_source_get_cursor(s);
        assert_non_null(strstr(c1, " off=15 "));
        assert_int_equal(drain(s, &g), 3);
        expect_seq(&g, 0, 8);
        assert_null(s->note);
        log_source_free(s);
}

static void test_tail_restart_after_rename(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 5);
        LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 5);
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        log_source_free(s);

        /* While stopped: more lines, rotated (and once more), new file. */
        append_lines(d.path, 5, 7);
        assert_int_equal(rename(d.path, d.p1), 0);
        append_lines(d.path, 7, 9);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        drain(s, &g);
        expect_seq(&g, 0, 9);
        assert_non_null(strstr(s->note, "rotated while stopped"));

        /* Twice while stopped: app.log.2 rest, app.log.1 whole, app.log. */
        append_lines(d.path, 9, 10);
        free(cursor);
        cursor = log_source_get_cursor(s);
        log_source_free(s);
        append_lines(d.path, 10, 11);
        assert_int_equal(rename(d.p1, d.p2), 0);
        assert_int_equal(rename(d.path, d.p1), 0);
        append_lines(d.path, 11, 13);
        assert_int_equal(rename(d.p2, d.p3), 0);
        assert_int_equal(rename(d.p1, d.p2), 0);
        assert_int_equal(rename(d.path, d.p1), 0);
        append_lines(d.path, 13, 15);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        drain(s, &g);
        expect_seq(&g, 0, 15);

        /* Rotated and the new file not created yet: the rest, then wait for it. */
        free(cursor);
        cursor = log_source_get_cursor(s);
        log_source_free(s);
        append_lines(d.path, 15, 16);
        assert_int_equal(rename(d.path, d.p1), 0);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        assert_int_equal(drain(s, &g), 1);
        assert_non_null(s->error); /* no such file */
        append_lines(d.path, 16, 18);
        drain(s, &g);
        expect_seq(&g, 0, 18);
        log_source_free(s);
}

static void test_tail_restart_after_copytruncate(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 10);
        LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 10);
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        log_source_free(s);

        /* Shorter than the cursor's offset afterwards. */
        append_lines(d.path, 10, 12);
        copytruncate(d.path, d.p1);
        append_lines(d.path, 12, 13);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        drain(s, &g);
        expect_seq(&g, 0, 13);
        assert_non_null(strstr(s->note, "truncated while stopped"));

        /* Longer than the offset afterwards: the head tells. */
        free(cursor);
        cursor = log_source_get_cursor(s);
        log_source_free(s);
        append_lines(d.path, 13, 14);
        assert_int_equal(rename(d.p1, d.p2), 0);
        copytruncate(d.path, d.p1);
        append_lines(d.path, 14, 40);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        drain(s, &g);
        expect_seq(&g, 0, 40);
        log_source_free(s);
}

static void test_tail_restart_file_gone(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 3);
        LogSource *s = new_source(d.path, true, false);
        assert_int_equal(drain(s, &g), 3);
        _cleanup_free_ char *cursor = log_source_get_cursor(s);
        log_source_free(s);

        /* Deleted and recreated while stopped: nothing to resume, so from the start. */
        assert_int_equal(unlink(d.path), 0);
        append_lines(d.path, 3, 5);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        drain(s, &g);
        expect_seq(&g, 0, 5);
        /* "is gone", or, when the file system gave the new file the freed inode number,
         * "rewritten" (the head differs) */
        assert_non_null(s->note);
        log_source_free(s);

        /* Rewritten in place with other content, longer: read again, never skipped. */
        s = new_source(d.path, true, false);
        drain(s, &g);
        free(cursor);
        cursor = log_source_get_cursor(s);
        log_source_free(s);
        _cleanup_close_ int fd = open(d.path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        write_fd_lines(fd, 100, 110);
        s = new_source(d.path, false, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        got_done(&g);
        drain(s, &g);
        expect_seq(&g, 100, 110);
        assert_non_null(strstr(s->note, "rewritten"));
        log_source_free(s);
}

static void test_tail_backfill(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        _cleanup_free_ char *p4 = xasprintf("%s.4.gz", d.path);
        _cleanup_free_ char *p3 = xasprintf("%s.3.zst", d.path);
        _cleanup_free_ char *p2 = xasprintf("%s.2.gz", d.path);
        _cleanup_free_ char *other = xasprintf("%s/other.log.1", d.dir);
        _cleanup_free_ char *bak = xasprintf("%s.bak", d.path);
        _cleanup_free_ char *xz = xasprintf("%s.5.xz", d.path);
        write_gz(p4, 0, 100, true);
        write_zst(p3, 100, 200);
        write_gz(p2, 200, 300, false);
        append_lines(d.p1, 300, 310);
        append_lines(d.path, 310, 320);
        append_lines(other, 1000, 1001); /* not ours */
        append_lines(bak, 1000, 1001);   /* not a rotation name */
        append(xz, "\xfd"
                   "7zXZ"); /* .xz is not read */

        LogSource *s = new_source(d.path, false, true);
        drain(s, &g);
        expect_seq(&g, 0, 320);
        for (size_t i = 0; i < g.n; i++)
                assert_true(g.backfill[i] == (i < 310));
        assert_null(s->error);

        /* Once: a restart continues after the current file's lines. */
        append_lines(d.path, 320, 321);
        s = restart(s, d.path, true);
        drain(s, &g);
        expect_seq(&g, 0, 321);
        log_source_free(s);

        /* Restarted in the middle of the history: inside the .zst, then inside app.log.1. */
        for (size_t stop = 150; stop <= 305; stop += 155) {
                got_done(&g);
                s = new_source(d.path, false, true);
                while (g.n < stop)
                        assert_true(log_source_read(s, stop - g.n, got_line, &g) > 0);
                _cleanup_free_ char *cursor = log_source_get_cursor(s);
                assert_non_null(strstr(cursor, " backfill=1"));
                s = restart(s, d.path, true);
                drain(s, &g);
                expect_seq(&g, 0, 321);
                for (size_t i = 0; i < g.n; i++)
                        assert_true(g.backfill[i] == (i < 310));
                log_source_free(s);
        }
}

/* logrotate runs while the history is being read: the files still to read have new names. */
static void test_tail_backfill_rotated_meanwhile(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        _cleanup_free_ char *gz4 = xasprintf("%s.4.gz", d.path);
        _cleanup_free_ char *gz5 = xasprintf("%s.5.gz", d.path);
        _cleanup_free_ char *zst3 = xasprintf("%s.3.zst", d.path);
        _cleanup_free_ char *zst4 = xasprintf("%s.4.zst", d.path);
        _cleanup_free_ char *gz2 = xasprintf("%s.2.gz", d.path);
        _cleanup_free_ char *gz3 = xasprintf("%s.3.gz", d.path);
        write_gz(gz4, 0, 100, false);
        write_zst(zst3, 100, 200);
        write_gz(gz2, 200, 300, false);
        append_lines(d.p1, 300, 310);
        append_lines(d.path, 310, 320);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, true);
        assert_int_equal(log_source_read(s, 50, got_line, &g), 50);
        assert_int_equal(rename(gz4, gz5), 0);
        assert_int_equal(rename(zst3, zst4), 0);
        assert_int_equal(rename(gz2, gz3), 0);
        assert_int_equal(rename(d.p1, d.p2), 0);
        assert_int_equal(rename(d.path, d.p1), 0);
        append_lines(d.path, 320, 330);
        drain(s, &g);
        expect_seq(&g, 0, 330);
        for (size_t i = 0; i < g.n; i++)
                assert_true(g.backfill[i] == (i < 310));
}

static void test_tail_backfill_dateext(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        _cleanup_free_ char *d1 = xasprintf("%s-20261119.gz", d.path);
        _cleanup_free_ char *d2 = xasprintf("%s-20261120", d.path);
        _cleanup_free_ char *d2z = xasprintf("%s-20261120.gz", d.path); /* being compressed */
        _cleanup_free_ char *d3 = xasprintf("%s-20261121", d.path);
        write_gz(d1, 0, 10, false);
        append_lines(d2, 10, 20);
        write_gz(d2z, 10, 15, false); /* half written: the plain one wins */
        append_lines(d3, 20, 30);
        append_lines(d.path, 30, 35);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, true);
        drain(s, &g);
        expect_seq(&g, 0, 35);
}

static void test_tail_backfill_corrupt(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        _cleanup_free_ char *p3 = xasprintf("%s.3.gz", d.path);
        _cleanup_free_ char *p2 = xasprintf("%s.2.gz", d.path);
        /* A gzip header, then junk. */
        append(p3, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03 this is not deflate data \xff\xff");
        /* A good file cut in the middle: its lines up to the cut come out. */
        write_gz(p2, 0, 2000, false);
        struct stat st;
        assert_int_equal(stat(p2, &st), 0);
        assert_int_equal(truncate(p2, st.st_size / 2), 0);
        append_lines(d.p1, 3000, 3005);
        append_lines(d.path, 3005, 3010);

        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, true);
        drain(s, &g);
        assert_true(g.n > 100 && g.n < 2010);
        size_t cut = g.n - 10;
        for (size_t i = 0; i + 1 < cut; i++) { /* the last of them may be cut short */
                char want[32];
                (void) snprintf(want, sizeof(want), "L%zu", i);
                assert_string_equal(g.line[i], want);
        }
        assert_string_equal(g.line[cut], "L3000");
        assert_string_equal(g.line[g.n - 1], "L3009");
        assert_null(s->error);
        _cleanup_free_ char *want = xasprintf("cannot decompress '%s'", p2);
        assert_non_null(strstr(s->note, want));
        assert_non_null(strstr(s->note, "unexpected end of file"));
}

static void test_tail_backfill_corrupt_header(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};

        (void) state;
        dir_setup(&d);
        _cleanup_free_ char *p2 = xasprintf("%s.2.gz", d.path);
        _cleanup_free_ char *p1 = xasprintf("%s.1.zst", d.path);
        append(p2, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03 this is not deflate data \xff\xff");
        append(p1, "\x28\xb5\x2f\xfd garbage, not a frame");
        append_lines(d.path, 0, 3);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, true);
        drain(s, &g);
        expect_seq(&g, 0, 3);
        _cleanup_free_ char *want = xasprintf("cannot decompress '%s'", p1);
        assert_non_null(strstr(s->note, want));
}

static int check_permission_denied(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/secret.log", dir);
        _cleanup_free_ char *want = xasprintf("cannot open '%s': Permission denied", path);
        Got g = {};
        LogSource *s = NULL;
        LogTailOptions opt = {.from_start = true};
        int ret = 0;

        append(path, "L0\n");
        if (chmod(path, 0) < 0 || log_source_new_file("secret", path, &opt, &s) < 0)
                return 10;
        if (log_source_read(s, 0, got_line, &g) != 0 || !s->error || strcmp(s->error, want) != 0)
                ret = 11;
        else if (log_source_read(s, 0, got_line, &g) != 0 || !s->error) /* retried, same */
                ret = 12;
        else if (chmod(path, 0644) < 0 || log_source_read(s, 0, got_line, &g) != 1 || s->error ||
                 strcmp(g.line[0], "L0") != 0)
                ret = 13;
        log_source_free(s);
        got_done(&g);
        return ret;
}

static void test_tail_permission_denied(void **state)
{
        _cleanup_(dir_done) Dir d = {};

        (void) state;
        dir_setup(&d);
        if (geteuid() != 0) {
                assert_int_equal(check_permission_denied(d.dir), 0);
                return;
        }
        /* root reads anything: check as nobody in a child. */
        assert_int_equal(chmod(d.dir, 0755), 0);
        assert_int_equal(chown(d.dir, 65534, 65534), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                    setresuid(65534, 65534, 65534) < 0)
                        _exit(77);
                _exit(check_permission_denied(d.dir));
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_tail_huge_line_and_junk(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};
        const size_t big = 10u << 20;

        (void) state;
        dir_setup(&d);
        {
                _cleanup_close_ int fd =
                        open(d.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                _cleanup_free_ char *x = xmalloc(1 << 20);
                memset(x, 'x', 1 << 20);
                assert_true(fd >= 0);
                for (size_t i = 0; i < big >> 20; i++)
                        assert_int_equal(write(fd, x, 1 << 20), 1 << 20);
                const char tail[] = "\nafter\ncaf\xe9 \xff\xfe\x00 bin\r\n";
                assert_int_equal(write(fd, tail, sizeof(tail) - 1), (ssize_t) sizeof(tail) - 1);
        }
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 3);
        assert_int_equal(g.len[0], LOG_LINE_MAX_BYTES);
        assert_true(g.truncated[0]);
        assert_string_equal(g.line[1], "after");
        assert_false(g.truncated[1]);
        assert_int_equal(g.len[2], 18);
        assert_memory_equal(g.line[2], "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\0 bin", 18);
        assert_int_equal(s->truncated_lines, 1);
        assert_int_equal(s->bytes, big + 1 + 6 + 14);
}

static void test_tail_inotify(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        _cleanup_(got_done) Got g = {};
        struct pollfd p;

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 1);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, true, false);
        int fd = log_source_get_fd(s);
        assert_true(fd >= 0);
        assert_int_equal(log_source_get_fd(s), fd);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 1);
        p = (struct pollfd){.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 0), 0);

        append_lines(d.path, 1, 2); /* IN_MODIFY on the file */
        assert_int_equal(poll(&p, 1, 0), 1);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 1);
        assert_int_equal(poll(&p, 1, 0), 0); /* read() drained the events */

        assert_int_equal(rename(d.path, d.p1), 0); /* IN_MOVED_FROM on the directory */
        assert_int_equal(poll(&p, 1, 0), 1);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 0);
        append_lines(d.path, 2, 3); /* IN_CREATE */
        assert_int_equal(poll(&p, 1, 0), 1);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 1);
        assert_int_equal(poll(&p, 1, 0), 0);
        append_lines(d.path, 3, 4); /* the new file is watched */
        assert_int_equal(poll(&p, 1, 0), 1);
        assert_int_equal(log_source_read(s, 0, got_line, &g), 1);
        expect_seq(&g, 0, 4);

        /* No directory: no watch, the caller polls. */
        _cleanup_free_ char *nodir = xasprintf("%s/none/app.log", d.dir);
        _cleanup_(log_source_freep) LogSource *s2 = new_source(nodir, true, false);
        assert_int_equal(log_source_get_fd(s2), -1);
}

static void test_tail_cursor_parse(void **state)
{
        _cleanup_(dir_done) Dir d = {};
        static const char *const bad[] = {
                "x",
                "dev=1 ino=2 off=3 hlen=3 head=00000000000000",    /* short hash */
                "dev=1 ino=2 off=3 hlen=3 head=000000000000000A",  /* upper case */
                "dev=1 ino=2 off=3 hlen=3 head=0000000000000000 ", /* trailing blank */
                "dev=1 ino=2 off=3 hlen=3 head=0000000000000000 backfill=0",
                "dev=1  ino=2 off=3 hlen=3 head=0000000000000000",
                "dev=01 ino=2 off=3 hlen=3 head=0000000000000000", /* leading zero */
                "dev=+1 ino=2 off=3 hlen=3 head=0000000000000000",
                "dev=1 ino=2 off=18446744073709551616 hlen=3 head=0000000000000000",
                "dev=1 ino=2 off=3 hlen=4 head=0000000000000000",     /* hlen > off */
                "dev=1 ino=2 off=300 hlen=257 head=0000000000000000", /* hlen > 256 */
                "dev=1 ino=2 off=3 hlen=0 head=cbf29ce484222325",     /* no head */
                "dev=1 ino=2 off=0 hlen=0 head=0000000000000000",     /* empty != 0 */
                "dev=1 ino=0 off=0 hlen=0 head=cbf29ce484222325",     /* no inode */
                "ino=2 dev=1 off=3 hlen=3 head=0000000000000000",     /* order */
                "dev=1 ino=2 off=3 hlen=3",
        };

        (void) state;
        dir_setup(&d);
        append_lines(d.path, 0, 3);
        _cleanup_(log_source_freep) LogSource *s = new_source(d.path, false, false);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (log_source_set_cursor(s, bad[i]) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(log_source_set_cursor(s, ""), 0); /* "" is no cursor */
        const char *good = "dev=1 ino=2 off=18446744073709551615 hlen=256 head=0123456789abcdef"
                           " backfill=1";
        assert_int_equal(log_source_set_cursor(s, good), 0);
        _cleanup_free_ char *back = log_source_get_cursor(s);
        assert_string_equal(back, good);

        /* A cursor of another file (inode 2 is not ours): from the start, with a note. */
        _cleanup_(got_done) Got g = {};
        assert_int_equal(log_source_set_cursor(s, "dev=1 ino=2 off=3 hlen=3 head=0000000000000000"),
                         0);
        drain(s, &g);
        expect_seq(&g, 0, 3);
        assert_non_null(s->note);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tail_append_and_read),
                cmocka_unit_test(test_tail_starts_at_end),
                cmocka_unit_test(test_tail_partial_line),
                cmocka_unit_test(test_tail_max_lines_and_stop),
                cmocka_unit_test(test_tail_rename_rotation_while_writing),
                cmocka_unit_test(test_tail_rename_late_writes),
                cmocka_unit_test(test_tail_retired_and_deleted_expire),
                cmocka_unit_test(test_tail_copytruncate),
                cmocka_unit_test(test_tail_delete_and_recreate),
                cmocka_unit_test(test_tail_missing_file),
                cmocka_unit_test(test_tail_restart_same_file),
                cmocka_unit_test(test_tail_restart_after_rename),
                cmocka_unit_test(test_tail_restart_after_copytruncate),
                cmocka_unit_test(test_tail_restart_file_gone),
                cmocka_unit_test(test_tail_backfill),
                cmocka_unit_test(test_tail_backfill_rotated_meanwhile),
                cmocka_unit_test(test_tail_backfill_dateext),
                cmocka_unit_test(test_tail_backfill_corrupt),
                cmocka_unit_test(test_tail_backfill_corrupt_header),
                cmocka_unit_test(test_tail_permission_denied),
                cmocka_unit_test(test_tail_huge_line_and_junk),
                cmocka_unit_test(test_tail_inotify),
                cmocka_unit_test(test_tail_cursor_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

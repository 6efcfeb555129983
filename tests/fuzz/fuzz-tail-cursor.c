/* Untrusted cursor text given to a file source (a state file may be corrupt or edited).
 * set_cursor must accept only the canonical form, which get_cursor gives back unchanged,
 * and say -EINVAL to anything else. A cursor that parses is then applied to a small fixed
 * directory (app.log, app.log.1, app.log.2.gz): "ino=1", "ino=2" and "ino=3" stand for those
 * files' real dev and inode, and "head=0000000000000000" for the real hash of their first
 * hlen bytes, so that the resume paths (same file, rotated, truncated, unknown) are reached
 * and must neither crash nor hand out a bad line. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "logs/source.h"

#define CHECK(x)                 \
        do {                     \
                if (!(x))        \
                        abort(); \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;
static char *paths[3]; /* app.log, app.log.1, app.log.2.gz */
static char contents[3][512];
static size_t contents_len[3];
static struct stat st[3];

static void write_file(int i, const char *text)
{
        size_t n = strlen(text);

        CHECK(n < sizeof(contents[i]));
        memcpy(contents[i], text, n);
        contents_len[i] = n;
        if (i == 2) {
                gzFile gz = gzopen(paths[i], "wb");
                CHECK(gz && gzwrite(gz, text, (unsigned) n) == (int) n && gzclose(gz) == Z_OK);
        } else {
                int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                CHECK(fd >= 0 && write(fd, text, n) == (ssize_t) n);
                (void) close(fd);
        }
        CHECK(stat(paths[i], &st[i]) == 0);
}

static void cleanup(void)
{
        for (int i = 0; i < 3; i++)
                (void) unlink(paths[i]);
        (void) rmdir(dir);
}

static void setup(void)
{
        const char *tmp = getenv("TMPDIR");

        dir = xasprintf("%s/aiops-fuzz-tail-XXXXXX", tmp ? tmp : "/tmp");
        CHECK(mkdtemp(dir));
        paths[0] = xasprintf("%s/app.log", dir);
        paths[1] = xasprintf("%s/app.log.1", dir);
        paths[2] = xasprintf("%s/app.log.2.gz", dir);
        write_file(2, "old 1\nold 2\nold 3 \xff\xfe\n");
        write_file(1, "mid 1\nmid 2 a somewhat longer line\nmid 3\npartial");
        write_file(0, "new 1\r\nnew 2\n\nnew 4 caf\xe9\n");
        (void) atexit(cleanup);
}

static uint64_t fnv1a(const char *p, size_t n)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t) p[i]) * UINT64_C(0x100000001b3);
        return h;
}

/* "dev=1 ino=K ..." with K in 1..3 becomes the real file's dev and inode, and a zero head
 * its real hash. */
static char *substitute(const char *c)
{
        int k = -1;

        for (int i = 0; i < 3; i++) {
                char prefix[32];
                (void) snprintf(prefix, sizeof(prefix), "dev=1 ino=%d ", i + 1);
                if (strncmp(c, prefix, strlen(prefix)) == 0)
                        k = i;
        }
        if (k < 0)
                return NULL;
        const char *rest = strchr(c + 6, ' ');
        char *out = xasprintf("dev=%" PRIu64 " ino=%" PRIu64 "%s", (uint64_t) st[k].st_dev,
                              (uint64_t) st[k].st_ino, rest);
        const char *h = strstr(out, " hlen=");
        char *z = strstr(out, " head=0000000000000000");
        uint64_t hlen;
        if (h && z) {
                h += 6;
                if (parse_u64(&h, &hlen) == 0 && hlen <= contents_len[k]) {
                        char hex[17];
                        (void) snprintf(hex, sizeof(hex), "%016" PRIx64,
                                        fnv1a(contents[k], (size_t) hlen));
                        memcpy(z + 6, hex, 16);
                }
        }
        return out;
}

static int on_line(void *userdata, const LogLine *l)
{
        (void) userdata;
        CHECK(l->len <= LOG_LINE_MAX_BYTES && l->text[l->len] == '\0');
        CHECK(!memchr(l->text, '\n', l->len));
        return 0;
}

static void apply(const char *cursor, bool backfill)
{
        LogTailOptions opt = {.backfill = backfill};
        LogSource *s = NULL;

        CHECK(log_source_new_file("fuzz", paths[0], &opt, &s) == 0);
        int r = log_source_set_cursor(s, cursor);
        CHECK(r == 0 || r == -EINVAL);
        if (r == 0) {
                char *back = log_source_get_cursor(s);
                CHECK(cursor[0] == '\0' || strcmp(back, cursor) == 0);
                free(back);
                for (int i = 0; i < 4; i++)
                        CHECK(log_source_read(s, 2, on_line, NULL) >= 0);
                /* Whatever happened, the cursor handed out now is valid. */
                char *now = log_source_get_cursor(s);
                LogSource *again = NULL;
                CHECK(log_source_new_file("fuzz", paths[0], &opt, &again) == 0);
                CHECK(log_source_set_cursor(again, now) == 0);
                log_source_free(again);
                free(now);
        }
        log_source_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!dir)
                setup();
        if (size > 4096)
                return 0;
        char *cursor = xstrndup((const char *) data, size); /* up to the first NUL */
        apply(cursor, false);
        char *real = substitute(cursor);
        if (real) {
                apply(real, size % 2 == 1);
                free(real);
        }
        free(cursor);
        return 0;
}

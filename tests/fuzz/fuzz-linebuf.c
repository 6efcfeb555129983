/* Untrusted bytes through the line splitter. Byte 0 picks the line limit (small ones reach
 * truncation with small inputs), byte 1 seeds how the rest is cut into chunks. Every line
 * handed out must be valid UTF-8 (checked here by an independent decoder), hold no "\n", be
 * NUL-terminated and within the limit; consumed offsets must point just past a "\n" and add
 * up to the bytes fed minus what is pending; and the lines must not depend on the chunking,
 * nor on stopping after some lines and feeding the rest again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/linebuf.h"
#include "logs/source.h"

/* Not assert(): it must hold in release-mode fuzz builds too. */
#define CHECK(x)                 \
        do {                     \
                if (!(x))        \
                        abort(); \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes code points and checks them, rather than matching byte ranges as linebuf does. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len;
                if (s[i] < 0x80) {
                        i++;
                        continue;
                }
                if ((s[i] & 0xe0) == 0xc0)
                        len = 2, cp = s[i] & 0x1f;
                else if ((s[i] & 0xf0) == 0xe0)
                        len = 3, cp = s[i] & 0x0f;
                else if ((s[i] & 0xf8) == 0xf0)
                        len = 4, cp = s[i] & 0x07;
                else
                        return false;
                if (n - i < len)
                        return false;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[i + k] & 0x3f);
                }
                static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
                if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

typedef struct Run {
        size_t max;
        const char *chunk; /* the data of the current feed call */
        size_t chunk_len;
        size_t last_consumed;
        size_t lines_in_call;
        uint64_t hash; /* FNV-1a over every line and its truncated flag */
        size_t lines;
        size_t stop_every; /* 0: never stop */
} Run;

static void hash_bytes(Run *r, const void *p, size_t n)
{
        const uint8_t *b = p;

        for (size_t i = 0; i < n; i++)
                r->hash = (r->hash ^ b[i]) * UINT64_C(0x100000001b3);
}

static int on_line(void *userdata, const char *line, size_t len, bool truncated, size_t consumed)
{
        Run *r = userdata;

        CHECK(len <= r->max);
        CHECK(line[len] == '\0');
        CHECK(!memchr(line, '\n', len));
        CHECK(valid_utf8((const uint8_t *) line, len));
        if (r->chunk) {
                CHECK(consumed > r->last_consumed && consumed <= r->chunk_len);
                CHECK(r->chunk[consumed - 1] == '\n');
                r->last_consumed = consumed;
        } else {
                CHECK(consumed == 0);
        }
        r->lines_in_call++;
        hash_bytes(r, line, len);
        hash_bytes(r, truncated ? "T" : "F", 1);
        r->lines++;
        return r->stop_every && r->lines % r->stop_every == 0 ? -1 : 0;
}

/* Feeds data in chunks whose sizes come from seed (0: all at once); the lines' hash goes
 * to r. */
static void run(Run *r, const char *data, size_t size, uint32_t seed)
{
        bool whole = seed == 0;
        LineBuf b = {.max_bytes = r->max};
        size_t off = 0;

        r->hash = UINT64_C(0xcbf29ce484222325);
        while (off < size) {
                seed = seed * 1103515245u + 12345u;
                size_t n = whole ? size : 1 + (seed >> 16) % 97;
                n = n > size - off ? size - off : n;
                size_t before = linebuf_pending(&b);

                r->chunk = data + off;
                r->chunk_len = n;
                r->last_consumed = 0;
                r->lines_in_call = 0;
                int k = linebuf_feed(&b, data + off, n, on_line, r);
                if (k < 0) {
                        /* Stopped: nothing pending, the rest of the chunk is fed again. */
                        CHECK(r->stop_every && r->lines_in_call > 0);
                        CHECK(linebuf_pending(&b) == 0);
                        off += r->last_consumed;
                        continue;
                }
                CHECK(k == 0);
                if (r->lines_in_call > 0)
                        CHECK(linebuf_pending(&b) == n - r->last_consumed);
                else
                        CHECK(linebuf_pending(&b) == before + n);
                CHECK(b.cap <= r->max + 1 && b.out_cap <= r->max + 1);
                off += n;
        }
        r->chunk = NULL;
        r->lines_in_call = 0;
        (void) linebuf_flush(&b, on_line, r);
        CHECK(linebuf_pending(&b) == 0);
        linebuf_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 2)
                return 0;
        size_t max = data[0] < 16 ? LOG_LINE_MAX_BYTES : 3u + data[0] % 64;
        uint32_t seed = data[1];
        const char *text = (const char *) data + 2;
        size -= 2;

        Run whole = {.max = max};
        run(&whole, text, size, 0);

        Run chunked = {.max = max};
        run(&chunked, text, size, seed | 1);
        CHECK(chunked.lines == whole.lines && chunked.hash == whole.hash);

        Run stopping = {.max = max, .stop_every = 1 + seed % 3};
        run(&stopping, text, size, seed * 7 + 1);
        CHECK(stopping.lines == whole.lines && stopping.hash == whole.hash);

        /* utf8_sanitize: valid output, no longer than 3n, identity on valid input. */
        size_t n = size < 4096 ? size : 4096;
        char *out = malloc(3 * n + 1);
        CHECK(out);
        size_t len = utf8_sanitize(text, n, out);
        CHECK(len <= 3 * n && valid_utf8((const uint8_t *) out, len));
        if (valid_utf8((const uint8_t *) text, n))
                CHECK(len == n && memcmp(out, text, n) == 0);
        free(out);
        return 0;
}

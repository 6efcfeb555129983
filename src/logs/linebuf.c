/* Line splitting for every source (linebuf.h). A line that fits in the input chunk is handed
 * out from the chunk itself; only a line split across chunks is copied into b->data, and at
 * most max + 1 bytes of it (the + 1 is room for a "\r" that is dropped), so an endless line
 * costs nothing more than its first LOG_LINE_MAX_BYTES. */
#include "logs/linebuf.h"

#include <assert.h>
#include <string.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "logs/source.h"

static size_t line_max(const LineBuf *b)
{
        return b->max_bytes > 0 ? b->max_bytes : LOG_LINE_MAX_BYTES;
}

/* The valid UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no surrogates, nothing past
 * U+10FFFF): returns its length 1..4, or 0 if it is not valid; then *ret_bad is the length
 * of its maximal invalid subpart (at least 1; Unicode §3.9 "U+FFFD substitution of maximal
 * subparts") and *ret_incomplete tells whether only the end of the input cut it short. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *ret_bad, bool *ret_incomplete)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xbf;
        size_t need;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                need = 1;
        else if (c == 0xe0)
                need = 2, lo = 0xa0;
        else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
                need = 2;
        else if (c == 0xed)
                need = 2, hi = 0x9f; /* no UTF-16 surrogates */
        else if (c == 0xf0)
                need = 3, lo = 0x90;
        else if (c >= 0xf1 && c <= 0xf3)
                need = 3;
        else if (c == 0xf4)
                need = 3, hi = 0x8f;
        else {
                *ret_bad = 1;
                *ret_incomplete = false;
                return 0;
        }
        for (size_t k = 1; k <= need; k++) {
                if (k >= n) {
                        *ret_bad = k;
                        *ret_incomplete = true;
                        return 0;
                }
                if (s[k] < lo || s[k] > hi) {
                        *ret_bad = k;
                        *ret_incomplete = false;
                        return 0;
                }
                lo = 0x80;
                hi = 0xbf;
        }
        return need + 1;
}

/* Writes the valid form of s[0..n) to out, whole characters only and at most max bytes;
 * *ret_short is set if input was left over. With drop_tail, an incomplete but so far valid
 * sequence at the very end (the input was cut inside a character) is dropped instead of
 * becoming U+FFFD. */
static size_t sanitize(const char *s, size_t n, char *out, size_t max, bool drop_tail,
                       bool *ret_short)
{
        const unsigned char *u = (const unsigned char *) s;
        size_t i = 0, o = 0;

        *ret_short = false;
        while (i < n) {
                if (u[i] < 0x80) {
                        /* An ASCII run, the common case, copied in one go (8 bytes a test). */
                        size_t j = i;
                        uint64_t w8;
                        while (j + 8 <= n &&
                               (memcpy(&w8, u + j, 8), (w8 & UINT64_C(0x8080808080808080)) == 0))
                                j += 8;
                        while (j < n && u[j] < 0x80)
                                j++;
                        size_t run = j - i;
                        if (run > max - o) {
                                run = max - o;
                                *ret_short = true;
                        }
                        memcpy(out + o, s + i, run);
                        o += run;
                        i += run;
                        if (*ret_short)
                                break;
                        continue;
                }
                size_t bad = 0;
                bool incomplete = false;
                size_t k = utf8_seq(u + i, n - i, &bad, &incomplete);

                if (k == 0 && incomplete && drop_tail) {
                        *ret_short = true;
                        break;
                }
                size_t w = k > 0 ? k : 3;
                if (w > max - o) {
                        *ret_short = true;
                        break;
                }
                if (k > 0) {
                        memcpy(out + o, s + i, k);
                        i += k;
                } else {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        i += bad;
                }
                o += w;
        }
        return o;
}

size_t utf8_sanitize(const char *s, size_t n, char *out)
{
        bool cut;

        return sanitize(s, n, out, SIZE_MAX, false, &cut);
}

/* Hands out one line: drops a trailing "\r" (unless the line was cut before its end), cuts
 * at the limit and sanitises into b->out. */
static int emit(LineBuf *b, const char *line, size_t len, bool truncated, size_t consumed,
                LineBufFn fn, void *userdata)
{
        size_t max = line_max(b);
        bool cut;

        if (!truncated && len > 0 && line[len - 1] == '\r')
                len--;
        if (len > max) {
                len = max;
                truncated = true;
        }
        size_t need = (len <= max / 3 ? 3 * len : max) + 1; /* the worst case, and the NUL */
        if (b->out_cap < need) {
                b->out = xrealloc(b->out, need);
                b->out_cap = need;
        }
        size_t n = sanitize(line, len, b->out, max, truncated, &cut);
        b->out[n] = '\0';
        return fn(userdata, b->out, n, truncated || cut, consumed);
}

/* Keeps the first max + 1 bytes of a line that continues past this chunk; counts the rest. */
static void keep(LineBuf *b, const char *data, size_t n)
{
        size_t limit = line_max(b) + 1;
        size_t room = limit - b->len;
        size_t take = MIN(n, room);

        if (take > 0) {
                if (b->cap < b->len + take) {
                        size_t cap = b->cap ? b->cap : 256;
                        while (cap < b->len + take)
                                cap *= 2;
                        b->data = xrealloc(b->data, MIN(cap, limit));
                        b->cap = MIN(cap, limit);
                }
                memcpy(b->data + b->len, data, take);
                b->len += take;
        }
        if (n > take) {
                b->skipping = true;
                b->skipped += n - take;
        }
}

int linebuf_feed(LineBuf *b, const char *data, size_t n, LineBufFn fn, void *userdata)
{
        size_t pos = 0;

        assert(b && fn && (data || n == 0));
        while (pos < n) {
                const char *nl = memchr(data + pos, '\n', n - pos);
                if (!nl) {
                        keep(b, data + pos, n - pos);
                        break;
                }
                size_t end = (size_t) (nl - data);
                int r;
                if (b->len == 0 && !b->skipping)
                        r = emit(b, data + pos, end - pos, false, end + 1, fn, userdata);
                else {
                        keep(b, data + pos, end - pos);
                        r = emit(b, b->data, b->len, b->skipping, end + 1, fn, userdata);
                        b->len = 0;
                        b->skipping = false;
                        b->skipped = 0;
                }
                pos = end + 1;
                if (r < 0)
                        return r; /* nothing of data[pos..] is kept: the caller feeds it again */
        }
        return 0;
}

int linebuf_flush(LineBuf *b, LineBufFn fn, void *userdata)
{
        assert(b && fn);
        if (b->len == 0 && !b->skipping)
                return 0;
        int r = emit(b, b->data, b->len, b->skipping, 0, fn, userdata);
        b->len = 0;
        b->skipping = false;
        b->skipped = 0;
        return r;
}

size_t linebuf_pending(const LineBuf *b)
{
        return b->len + b->skipped;
}

void linebuf_reset(LineBuf *b)
{
        b->len = 0;
        b->skipping = false;
        b->skipped = 0;
}

void linebuf_done(LineBuf *b)
{
        if (!b)
                return;
        free(b->data);
        free(b->out);
        *b = (LineBuf){.max_bytes = b->max_bytes};
}

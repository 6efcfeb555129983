/* Splitting a byte stream into the lines sources hand out (source.h): "\n" ends a line, a
 * trailing "\r" is dropped, invalid UTF-8 becomes U+FFFD, a line longer than
 * LOG_LINE_MAX_BYTES is cut there (`truncated`) and the rest of it skipped up to its "\n".
 * Memory stays within about twice LOG_LINE_MAX_BYTES whatever the input: the kept part of a
 * pending line (at most max + 1 bytes) and the sanitised line (at most max + 1). NUL bytes
 * are valid UTF-8 and pass through; the line is also NUL-terminated for convenience.
 * Zero-initialise (`LineBuf b = {};`) to use; linebuf_done() frees. Not thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct LineBuf {
        char *data; /* the kept head of the pending partial line */
        size_t len;
        size_t cap;
        bool skipping;  /* inside the rest of an over-long line */
        size_t skipped; /* bytes of the pending line dropped past the limit */
        char *out;      /* the sanitised line handed out */
        size_t out_cap;
        size_t max_bytes; /* 0: LOG_LINE_MAX_BYTES; tests and fuzzers set less */
} LineBuf;

/* Feeds n bytes; for every complete line calls fn(userdata, line, len, truncated, consumed),
 * where line is valid UTF-8 and borrowed for the call. consumed is, for each line, the number of
 * input bytes of this call up to and including its "\n", so a reader can keep a byte offset that
 * points just after the last line handed out. Stops and returns the first negative return of fn;
 * else 0. After a stop nothing is pending and data[consumed..] has not been looked at: the caller
 * feeds it again later. */
typedef int (*LineBufFn)(void *userdata, const char *line, size_t len, bool truncated,
                         size_t consumed);
int linebuf_feed(LineBuf *b, const char *data, size_t n, LineBufFn fn, void *userdata);
/* Hands out a pending partial line as if it ended (EOF of a command or fd); files keep it
 * pending instead, since the writer may not have finished it. consumed is 0. */
int linebuf_flush(LineBuf *b, LineBufFn fn, void *userdata);
/* Bytes pending (a partial line not yet handed out, skipped bytes included). */
size_t linebuf_pending(const LineBuf *b);
/* Drops the pending line, keeping the memory. */
void linebuf_reset(LineBuf *b);
void linebuf_done(LineBuf *b);

/* Not in place: writes the UTF-8-valid form of s[0..n) to out (capacity at least 3n bytes,
 * since each bad byte becomes the 3-byte U+FFFD) and returns its length. Each maximal
 * invalid subpart (Unicode §3.9) becomes one U+FFFD; overlongs, surrogates and code points
 * past U+10FFFF are invalid. */
size_t utf8_sanitize(const char *s, size_t n, char *out);

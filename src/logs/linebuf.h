/* Splitting a byte stream into the lines sources hand out (source.h): "\n" ends a line, a
 * trailing "\r" is dropped, invalid UTF-8 becomes U+FFFD, a line longer than
 * LOG_LINE_MAX_BYTES is cut there (`truncated`) and the rest of it skipped up to its "\n".
 * Memory stays within about twice LOG_LINE_MAX_BYTES whatever the input. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct LineBuf {
        char *data; /* the pending partial line */
        size_t len;
        size_t cap;
        bool skipping; /* inside the rest of an over-long line */
        char *out;     /* the sanitised line handed out */
        size_t out_cap;
} LineBuf;

/* Feeds n bytes; for every complete line calls fn(userdata, line, len, truncated), where
 * line is valid UTF-8 and borrowed for the call. consumed (may be NULL) receives, for each
 * line, the number of input bytes of this call up to and including its "\n", so a reader can
 * keep a byte offset that points just after the last line handed out. Stops and returns the
 * first negative return of fn; else 0. */
typedef int (*LineBufFn)(void *userdata, const char *line, size_t len, bool truncated,
                         size_t consumed);
int linebuf_feed(LineBuf *b, const char *data, size_t n, LineBufFn fn, void *userdata);
/* Hands out a pending partial line as if it ended (EOF of a command or fd); files keep it
 * pending instead, since the writer may not have finished it. */
int linebuf_flush(LineBuf *b, LineBufFn fn, void *userdata);
/* Bytes pending (a partial line not yet handed out). */
size_t linebuf_pending(const LineBuf *b);
void linebuf_reset(LineBuf *b);
void linebuf_done(LineBuf *b);

/* Not in place: writes the UTF-8-valid form of s[0..n) to out (capacity at least 3n bytes,
 * since each bad byte becomes the 3-byte U+FFFD) and returns its length. */
size_t utf8_sanitize(const char *s, size_t n, char *out);

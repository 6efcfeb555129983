/* A growable, always NUL-terminated byte string. Zero-initialise (`StrBuf b = {};`) to use;
 * strbuf_done() frees. A buffer may carry a hard cap (max > 0): growth past it fails with
 * -EFBIG instead of allocating, so input can never make us allocate without bound. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "core/macro.h"

typedef struct StrBuf {
        char *data; /* NULL until the first append */
        size_t len; /* bytes used, not counting the NUL */
        size_t cap; /* bytes allocated */
        size_t max; /* 0 = unbounded */
} StrBuf;

/* Ensures room for `extra` more bytes plus the NUL. 0, or -EFBIG past the cap. */
int strbuf_reserve(StrBuf *b, size_t extra);
int strbuf_append(StrBuf *b, const void *data, size_t n);
int strbuf_puts(StrBuf *b, const char *s);
int strbuf_putc(StrBuf *b, char c);
int strbuf_printf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
int strbuf_vprintf(StrBuf *b, const char *fmt, va_list ap) _printf_(2, 0);
/* Empties the buffer, keeping its memory. */
void strbuf_reset(StrBuf *b);
/* The contents ("" when empty); borrowed. */
const char *strbuf_str(const StrBuf *b);
/* Hands the contents to the caller (never NULL) and empties the buffer. */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);

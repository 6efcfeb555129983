#include "core/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

int strbuf_reserve(StrBuf *b, size_t extra)
{
        if (extra > SIZE_MAX / 2 - b->len)
                return -EFBIG;
        size_t need = b->len + extra + 1;
        if (b->max && need > b->max + 1)
                return -EFBIG;
        if (need <= b->cap)
                return 0;

        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap *= 2;
        if (b->max && cap > b->max + 1)
                cap = b->max + 1;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
        return 0;
}

int strbuf_append(StrBuf *b, const void *data, size_t n)
{
        int r = strbuf_reserve(b, n);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int strbuf_puts(StrBuf *b, const char *s)
{
        return strbuf_append(b, s, strlen(s));
}

int strbuf_putc(StrBuf *b, char c)
{
        return strbuf_append(b, &c, 1);
}

int strbuf_vprintf(StrBuf *b, const char *fmt, va_list ap)
{
        va_list aq;

        va_copy(aq, ap);
        int n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0)
                return -EINVAL;
        int r = strbuf_reserve(b, (size_t) n);
        if (r < 0)
                return r;
        (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
        return 0;
}

int strbuf_printf(StrBuf *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        int r = strbuf_vprintf(b, fmt, ap);
        va_end(ap);
        return r;
}

void strbuf_reset(StrBuf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

const char *strbuf_str(const StrBuf *b)
{
        return b->data ? b->data : "";
}

char *strbuf_steal(StrBuf *b)
{
        char *s = b->data ? b->data : xstrdup("");
        b->data = NULL;
        b->len = b->cap = 0;
        return s;
}

void strbuf_done(StrBuf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

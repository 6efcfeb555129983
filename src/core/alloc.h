/* Allocation that cannot fail: on exhaustion it prints "aiops: out of memory" and aborts, so
 * no caller carries an untested -ENOMEM path (STYLE.md §5). */
#pragma once

#include <stddef.h>

#include "core/macro.h"

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grows an array of n elements of `size` bytes, overflow-checked. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* Returns a newly allocated, formatted string. */
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

#define xnew(T, n)  ((T *) xreallocarray(NULL, (n), sizeof(T)))
#define xnew0(T, n) ((T *) xcalloc((n), sizeof(T)))

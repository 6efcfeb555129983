/* Bounded, allocation-free parsers for kernel text and user arguments. The pointer-advancing
 * forms (`parse_u64(&p, &v)`) read a NUL-terminated buffer from *p, skip leading blanks
 * (space, tab), and on success leave *p just past what they consumed; on failure *p is
 * unchanged. They return 0, -EINVAL when no number is there, -ERANGE on overflow.
 * This is the only module allowed to call strto*() (tools/check-banned.sh). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_u64(const char **p, uint64_t *ret);
int parse_i64(const char **p, int64_t *ret);
/* A decimal floating-point number, locale-independent ("1.5", "-2", "3e4"). */
int parse_double(const char **p, double *ret);
/* An unsigned hexadecimal number without "0x". */
int parse_hex_u64(const char **p, uint64_t *ret);

/* Skips blanks; returns the number skipped. */
size_t parse_skip_blanks(const char **p);
/* Skips n blank-separated fields (and the blanks after them). -EINVAL if the text ends first. */
int parse_skip_fields(const char **p, unsigned n);
/* Skips to just past the next '\n' (or to the terminating NUL). */
void parse_skip_line(const char **p);
/* Returns the next blank-separated word at *p (not NUL-terminated) and its length; 0 at the
 * end of the line or text. */
size_t parse_word(const char **p, const char **ret_word);
/* True if the text at p starts with prefix. */
bool parse_startswith(const char *p, const char *prefix);

/* Whole-string conversions for arguments and config values: leading/trailing blanks are
 * allowed, anything else after the number is -EINVAL. */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi64(const char *s, int64_t *ret);
int safe_atoi(const char *s, int *ret);
int safe_atou(const char *s, unsigned *ret);
int safe_atod(const char *s, double *ret);
/* "512", "4k", "16M", "2G", "1T" (powers of 1024, optional trailing "B" or "iB"). */
int parse_size_bytes(const char *s, uint64_t *ret);
/* "yes/no/true/false/on/off/1/0". */
int parse_boolean(const char *s, bool *ret);

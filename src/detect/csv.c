/* The CSV readers of csv.h. One scanner, scan(), runs the RFC 4180 state machine over fread()
 * chunks, checks the shape of the file (columns per row, the header row) and hands each data
 * cell to a sink: the table sink copies it into one growing arena (cells hold offsets into it
 * until the end, so that growing it never leaves a dangling pointer), the numbers sink turns
 * it into a double at once. An unquoted field that lies inside one chunk is handed over where
 * it lies; only quoted fields and fields cut by a chunk boundary go through a scratch buffer.
 * So a million-row file takes a handful of allocations either way. */
#include "detect/csv.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "detect/stats.h"

#define READ_BYTES 65536

enum {
        ST_FIELD_START, /* at the first byte of a field */
        ST_UNQUOTED,
        ST_QUOTED,
        ST_QUOTE_SEEN, /* a '"' inside a quoted field: "" escape or the closing quote */
};

typedef struct Scanner Scanner;

typedef struct Sink {
        /* A cell of a data row, col from 0; text[len] need not be a NUL (text holds none). */
        int (*cell)(Scanner *s, size_t col, const char *text, size_t len);
        /* The end of data row s->n_rows (from 1), which started on line s->row_line. */
        int (*row)(Scanner *s);
} Sink;

struct Scanner {
        const char *name;
        const Sink *sink;
        void *userdata;
        StrBuf field;    /* the field being read, when it cannot be handed over in place */
        StrBuf first;    /* the first row's cells, each NUL-terminated, until the header is known */
        size_t n_rows;   /* data rows so far */
        size_t n_cols;   /* of the first row; 0 until it ends */
        size_t row_cols; /* cells in the row being read */
        bool have_first;
        char **header;
        size_t line;     /* physical line of the byte being read, from 1 */
        size_t row_line; /* the line the row being read started on */
        int state;
        bool in_row, after_cr;
        int64_t bytes;
        char *err;
};

static int fail(Scanner *s, const char *fmt, ...) _printf_(2, 3);
static int fail(Scanner *s, const char *fmt, ...)
{
        StrBuf b = {};
        va_list ap;

        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        free(s->err);
        s->err = strbuf_steal(&b);
        return -EINVAL;
}

static void scanner_done(Scanner *s)
{
        strbuf_done(&s->field);
        strbuf_done(&s->first);
        if (s->header)
                for (size_t i = 0; i < s->n_cols; i++)
                        free(s->header[i]);
        free(s->header);
        free(s->err);
}

/* A cell that may stand in a data row: a number, or a missing value. */
static bool cell_is_missing(const char *s)
{
        const char *q = s;
        parse_skip_blanks(&q);
        size_t n = strlen(q);
        while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
                n--;
        return n == 0 || (n == 3 && strncasecmp(q, "nan", 3) == 0) ||
               (n == 2 && strncasecmp(q, "na", 2) == 0);
}

static bool cell_is_data(const char *s)
{
        double v;
        int r = safe_atod(s, &v);
        return r == 0 || r == -ERANGE || cell_is_missing(s);
}

static int end_field(Scanner *s, const char *text, size_t len)
{
        if (s->row_cols >= CSV_MAX_COLUMNS)
                return fail(s, "%s:%zu: more than %u columns", s->name, s->row_line,
                            CSV_MAX_COLUMNS);
        size_t col = s->row_cols++;
        if (!s->have_first) {
                (void) strbuf_append(&s->first, text, len);
                (void) strbuf_putc(&s->first, '\0');
                return 0;
        }
        if (col >= s->n_cols)
                return 0; /* a ragged row: end_row() reports it */
        return s->sink->cell(s, col, text, len);
}

static int end_row(Scanner *s)
{
        if (!s->have_first) {
                const char *c = s->first.data;
                bool header = false;

                s->have_first = true;
                s->n_cols = s->row_cols;
                for (size_t j = 0; j < s->n_cols && !header; j++, c += strlen(c) + 1)
                        header = !cell_is_data(c);
                c = s->first.data;
                if (header) {
                        s->header = xnew(char *, s->n_cols);
                        for (size_t j = 0; j < s->n_cols; j++, c += strlen(c) + 1)
                                s->header[j] = xstrdup(c);
                } else {
                        for (size_t j = 0; j < s->n_cols; j++, c += strlen(c) + 1) {
                                int r = s->sink->cell(s, j, c, strlen(c));
                                if (r < 0)
                                        return r;
                        }
                }
                strbuf_done(&s->first);
                s->row_cols = 0;
                if (header)
                        return 0;
        } else if (s->row_cols != s->n_cols) {
                return fail(s, "%s:%zu: %zu column%s, the %s has %zu", s->name, s->row_line,
                            s->row_cols, s->row_cols == 1 ? "" : "s",
                            s->header ? "header" : "first row", s->n_cols);
        }
        s->row_cols = 0;
        s->n_rows++;
        return s->sink->row ? s->sink->row(s) : 0;
}

/* c, one of ',' '\n' '\r', ends the field text[0, len). */
static int field_ends(Scanner *s, char c, const char *text, size_t len)
{
        int r = end_field(s, text, len);
        strbuf_reset(&s->field); /* after end_field(): text may be s->field */
        if (r < 0)
                return r;
        s->state = ST_FIELD_START;
        if (c == ',')
                return 0;
        r = end_row(s);
        if (r < 0)
                return r;
        s->after_cr = c == '\r';
        s->line++;
        s->in_row = false;
        return 0;
}

static const char *field_text(const Scanner *s)
{
        return s->field.data ? s->field.data : "";
}

/* The bytes that end an unquoted field (NUL too, so that the main loop reports it). */
static const bool field_stop[256] = {[','] = true, ['\n'] = true, ['\r'] = true, ['\0'] = true};

/* SWAR (eight bytes in a uint64_t at a time), for the common numeric cell. On a little-endian
 * load the first byte in memory is the low byte. BYTES(b) repeats byte b; zero_lanes() has
 * the high bit of exactly the lanes of v that are 0 (the lanes never carry into each other:
 * 0x7F + 0x7F < 0x100). */
#define BYTES(b)   (UINT64_C(0x0101010101010101) * (uint8_t) (b))
#define LANE_HIGHS BYTES(0x80)

static uint64_t zero_lanes(uint64_t v)
{
        return ~(((v & BYTES(0x7F)) + BYTES(0x7F)) | v) & LANE_HIGHS;
}

/* The end of the unquoted field at buf[i, n): the first field_stop byte, or n. */
static size_t unquoted_end(const char *buf, size_t i, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        for (; n - i >= 8; i += 8) {
                uint64_t v;
                memcpy(&v, buf + i, sizeof(v));
                uint64_t stop = zero_lanes(v ^ BYTES(',')) | zero_lanes(v ^ BYTES('\n')) |
                                zero_lanes(v ^ BYTES('\r')) | zero_lanes(v);
                if (stop)
                        return i + (size_t) __builtin_ctzll(stop) / 8;
        }
#endif
        while (i < n && !field_stop[(unsigned char) buf[i]])
                i++;
        return i;
}

/* Consumes one chunk, buf[0, n); stops early only on an error. */
static int scan_chunk(Scanner *s, const char *buf, size_t n, size_t *quote_line)
{
        size_t i = 0;
        int r;

        while (i < n) {
                char c = buf[i];
                size_t start = i;

                if (s->after_cr) {
                        s->after_cr = false;
                        if (c == '\n') {
                                i++;
                                continue;
                        }
                }
                if (c == '\0')
                        return fail(s, "%s:%zu: a NUL byte (not a text file?)", s->name, s->line);
                switch (s->state) {
                case ST_FIELD_START:
                        if (!s->in_row) {
                                if (c == '\n' || c == '\r') { /* blank line: skipped */
                                        s->after_cr = c == '\r';
                                        s->line++;
                                        i++;
                                        continue;
                                }
                                s->in_row = true;
                                s->row_line = s->line;
                        }
                        if (c == '"') {
                                s->state = ST_QUOTED;
                                *quote_line = s->line;
                                i++;
                        } else {
                                s->state = ST_UNQUOTED; /* and the same byte again */
                        }
                        break;
                case ST_UNQUOTED:
                        i = unquoted_end(buf, i, n);
                        if (i == n || buf[i] == '\0') { /* the field goes on in the next chunk */
                                (void) strbuf_append(&s->field, buf + start, i - start);
                                break;
                        }
                        if (s->field.len == 0) {
                                r = field_ends(s, buf[i], buf + start, i - start);
                        } else {
                                (void) strbuf_append(&s->field, buf + start, i - start);
                                r = field_ends(s, buf[i], s->field.data, s->field.len);
                        }
                        if (r < 0)
                                return r;
                        i++;
                        break;
                case ST_QUOTED:
                        while (i < n && buf[i] != '"' && buf[i] != '\n' && buf[i] != '\0')
                                i++;
                        (void) strbuf_append(&s->field, buf + start, i - start);
                        if (i < n && buf[i] == '"') {
                                s->state = ST_QUOTE_SEEN;
                                i++;
                        } else if (i < n && buf[i] == '\n') {
                                (void) strbuf_putc(&s->field, '\n');
                                s->line++;
                                i++;
                        }
                        break;
                case ST_QUOTE_SEEN:
                        if (c == '"') {
                                (void) strbuf_putc(&s->field, '"');
                                s->state = ST_QUOTED;
                        } else if (c == ',' || c == '\n' || c == '\r') {
                                r = field_ends(s, c, field_text(s), s->field.len);
                                if (r < 0)
                                        return r;
                        } else {
                                return fail(s, "%s:%zu: column %zu: '%c' after the closing quote",
                                            s->name, s->line, s->row_cols + 1,
                                            (c >= ' ' && c < 127) ? c : '?');
                        }
                        i++;
                        break;
                }
        }
        return 0;
}

static int scan(Scanner *s, FILE *f)
{
        _cleanup_free_ char *buf = xmalloc(READ_BYTES);
        bool first_chunk = true;
        size_t quote_line = 0;
        int r;

        s->line = 1;
        s->state = ST_FIELD_START;
        for (;;) {
                size_t n = fread(buf, 1, READ_BYTES, f);
                if (n == 0) {
                        if (ferror(f))
                                return fail(s, "%s: cannot read: %s", s->name,
                                            strerror(errno ? errno : EIO));
                        break;
                }
                s->bytes += (int64_t) n;
                if (s->bytes > CSV_MAX_BYTES)
                        return fail(s, "%s: larger than %" PRId64 " bytes", s->name,
                                    (int64_t) CSV_MAX_BYTES);
                size_t skip = 0;
                if (first_chunk && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
                        skip = 3; /* the UTF-8 byte order mark some spreadsheets write */
                first_chunk = false;
                r = scan_chunk(s, buf + skip, n - skip, &quote_line);
                if (r < 0)
                        return r;
        }
        if (s->state == ST_QUOTED)
                return fail(s, "%s:%zu: column %zu: the quoted field never ends", s->name,
                            quote_line, s->row_cols + 1);
        if (s->in_row) { /* no final newline */
                r = end_field(s, field_text(s), s->field.len);
                if (r >= 0)
                        r = end_row(s);
                if (r < 0)
                        return r;
        }
        if (s->n_rows == 0)
                return fail(s, "%s: no data rows", s->name);
        return 0;
}

/* ---- the text table ---- */

typedef struct TableSink {
        char *text; /* the arena: every cell, NUL-terminated */
        size_t text_len, text_cap;
        size_t *offs; /* cell offsets into text, then (at the end) pointers */
        size_t n_cells, offs_cap;
        size_t *line_of;
        size_t rows_cap;
} TableSink;

static int table_cell(Scanner *s, size_t col, const char *text, size_t len)
{
        TableSink *t = s->userdata;

        (void) col;
        if (len >= t->text_cap - t->text_len) { /* bounded: the input is at most 2 GiB */
                while (len >= t->text_cap - t->text_len)
                        t->text_cap = t->text_cap ? t->text_cap * 2 : 4096;
                t->text = xrealloc(t->text, t->text_cap);
        }
        if (t->n_cells == t->offs_cap) {
                t->offs_cap = t->offs_cap ? t->offs_cap * 2 : 1024;
                t->offs = xreallocarray(t->offs, t->offs_cap, sizeof(size_t));
        }
        t->offs[t->n_cells++] = t->text_len;
        memcpy(t->text + t->text_len, text, len);
        t->text_len += len;
        t->text[t->text_len++] = '\0';
        return 0;
}

static int table_row(Scanner *s)
{
        TableSink *t = s->userdata;

        if (s->n_rows > t->rows_cap) {
                t->rows_cap = t->rows_cap ? t->rows_cap * 2 : 1024;
                t->line_of = xreallocarray(t->line_of, t->rows_cap, sizeof(size_t));
        }
        t->line_of[s->n_rows - 1] = s->row_line;
        return 0;
}

static const Sink table_sink = {.cell = table_cell, .row = table_row};

int csv_read_path(const char *path, CsvTable **ret, char **reterr_msg)
{
        if (strcmp(path, "-") == 0)
                return csv_read_table(stdin, path, ret, reterr_msg);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f) {
                int r = -errno;
                if (reterr_msg)
                        *reterr_msg = xasprintf("cannot open '%s': %s", path, strerror(-r));
                return r;
        }
        return csv_read_table(f, path, ret, reterr_msg);
}

int csv_read_table(FILE *f, const char *name, CsvTable **ret, char **reterr_msg)
{
        TableSink k = {};
        Scanner s = {.name = name ? name : "-", .sink = &table_sink, .userdata = &k};

        assert(f && ret);
        int r = scan(&s, f);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = TAKE_PTR(s.err);
                scanner_done(&s);
                free(k.text);
                free(k.offs);
                free(k.line_of);
                return r;
        }

        CsvTable *t = xnew0(CsvTable, 1);
        t->n_rows = s.n_rows;
        t->n_cols = s.n_cols;
        t->header = TAKE_PTR(s.header);
        t->line_of = k.line_of;
        t->text = k.text_len ? xrealloc(k.text, k.text_len) : k.text;
        /* offsets to pointers, in place: size_t and char * have the same size on Linux */
        _Static_assert(sizeof(size_t) == sizeof(char *), "cells reuse the offset array");
        t->cells = (char **) (void *) k.offs;
        for (size_t i = 0; i < k.n_cells; i++) {
                size_t off = k.offs[i];
                t->cells[i] = t->text + off;
        }
        scanner_done(&s);
        *ret = t;
        return 0;
}

CsvTable *csv_table_free(CsvTable *t)
{
        if (!t)
                return NULL;
        if (t->header)
                for (size_t i = 0; i < t->n_cols; i++)
                        free(t->header[i]);
        free(t->header);
        free(t->cells);
        free(t->text);
        free(t->line_of);
        free(t);
        return NULL;
}

/* ---- numbers ---- */

/* One cell (s NUL-terminated), found on line `line` in column col (from 1): 0 with the number
 * in *ret, or NaN for a missing cell that is to be imputed; else -errno and the message. */
static int cell_number(const char *s, const char *name, size_t line, size_t col, CsvImpute impute,
                       double *ret, char **reterr_msg)
{
        double v;
        int r = safe_atod(s, &v);
        if (r == 0 && isfinite(v)) {
                *ret = v;
                return 0;
        }
        if (r == -ERANGE) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("%s:%zu: column %zu: '%s' is out of range", name,
                                                line, col, s);
                return -ERANGE;
        }
        if (!cell_is_missing(s)) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("%s:%zu: column %zu: '%.64s' is not a number", name,
                                                line, col, s);
                return -EINVAL;
        }
        if (impute == CSV_IMPUTE_NONE) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("%s:%zu: column %zu: %s value (no imputation "
                                                "asked for)",
                                                name, line, col, *s ? "a missing" : "an empty");
                return -EINVAL;
        }
        *ret = (double) NAN;
        return 0;
}

/* Powers of ten held exactly: by a double up to 1e22 (5^22 < 2^53), by an x87 long double
 * up to 1e27 (5^27 < 2^64). */
static const double pow10_double[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
#define HAVE_X87_PATH 1
static const long double pow10_x87[] = {
        1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
        1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
        1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};
#endif

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* The value of digits x[0, k) (x the bytes minus '0', k <= 8, lanes k.. ignored) by SWAR:
 * three multiplications instead of eight dependent steps. */
static uint64_t swar_digits(uint64_t x, unsigned k)
{
        x = k < 8 ? x << (8 * (8 - k)) : x; /* the digits to the top lanes, zeros before them */
        x = (x * 10 + (x >> 8)) & UINT64_C(0x00FF00FF00FF00FF);        /* pairs, 0..99 */
        x = (x * 100 + (x >> 16)) & UINT64_C(0x0000FFFF0000FFFF);      /* 0..9999 */
        return (x * 10000 + (x >> 32)) & UINT64_C(0x00000000FFFFFFFF); /* 0..99999999 */
}

static const uint64_t pow10_u64[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* Appends the digits at *p to *w (w = w * 10^k + those k digits, modulo 2^64: the caller
 * rejects more than 19 significant digits) and returns k. */
static size_t read_digits(const char **p, const char *end, uint64_t *w)
{
        const char *q = *p;
        uint64_t v = *w;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - q >= 8) {
                uint64_t x;
                memcpy(&x, q, sizeof(x));
                x ^= BYTES('0'); /* a digit lane now holds 0..9, any other lane >= 10 */
                uint64_t other = (((x & BYTES(0x7F)) + BYTES(0x80 - 10)) | x) & LANE_HIGHS;
                unsigned k = other ? (unsigned) __builtin_ctzll(other) / 8 : 8;
                if (k > 0)
                        v = v * pow10_u64[k] + swar_digits(x, k);
                q += k;
                if (k < 8)
                        break; /* at a non-digit: the loop below stops at once */
        }
#endif
        for (; q < end && is_digit(*q); q++)
                v = v * 10 + (uint64_t) (*q - '0');
        size_t k = (size_t) (q - *p);
        *w = v;
        *p = q;
        return k;
}

/* The common cell, a plain decimal number, converted without strtod: true with the correctly
 * rounded double (what strtod gives) in *ret, false when this cannot tell, leaving it to
 * cell_number(). Accepts [blanks][sign]digits[.digits][e[sign]digits][blanks or newlines],
 * a subset of what safe_atod() accepts, with at most 19 significant digits; anything else
 * (including every error and missing value) is false.
 * The value w * 10^e10 (w the digits as an integer) is exact when both factors are exact
 * doubles and the one multiplication or division rounds once (Clinger, "How to read floating
 * point numbers accurately", PLDI 1990: w <= 2^53, |e10| <= 22). For up to 19 digits and
 * |e10| <= 27 both factors are exact in the x87 64-bit format and the one operation rounds
 * correctly to 64 bits; rounding that again to 53 bits gives the correctly rounded double
 * unless the 64-bit result lies exactly halfway between two doubles (its low 11 bits are
 * 10000000000): every such midpoint is itself a 64-bit number, so the exact value and its
 * 64-bit rounding cannot be on opposite sides of one otherwise. That case goes to strtod. */
static bool fast_atod(const char *s, size_t len, double *ret)
{
        const char *p = s, *end = s + len;
        uint64_t w = 0;
        bool neg = false;

        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p < end && (*p == '-' || *p == '+'))
                neg = *p++ == '-';
        const char *int_start = p;
        while (p < end && *p == '0') /* leading zeros are not significant digits */
                p++;
        size_t n_sig = read_digits(&p, end, &w), n_frac = 0;
        bool any = p > int_start;
        if (p < end && *p == '.') {
                const char *frac_start = ++p;
                if (n_sig == 0)
                        while (p < end && *p == '0')
                                p++;
                size_t zeros = (size_t) (p - frac_start);
                size_t k = read_digits(&p, end, &w);
                n_sig += k;
                n_frac = zeros + k;
                any = any || n_frac > 0;
        }
        if (!any || n_sig > 19 || n_frac > 10000)
                return false;
        int e10 = -(int) n_frac;
        if (p < end && (*p == 'e' || *p == 'E')) {
                bool eneg = false;
                int x = 0;

                p++;
                if (p < end && (*p == '-' || *p == '+'))
                        eneg = *p++ == '-';
                if (p == end || !is_digit(*p))
                        return false;
                for (; p < end && is_digit(*p); p++) {
                        if (x > 10000)
                                return false;
                        x = x * 10 + (*p - '0');
                }
                e10 += eneg ? -x : x;
        }
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
                p++;
        if (p != end)
                return false;

        if (w == 0) {
                *ret = neg ? -0.0 : 0.0;
                return true;
        }
#if FLT_EVAL_METHOD == 0
        if (w <= UINT64_C(1) << 53 && e10 >= -22 && e10 <= 22) {
                double v = (double) w;
                v = e10 < 0 ? v / pow10_double[-e10] : v * pow10_double[e10];
                *ret = neg ? -v : v;
                return true;
        }
#endif
#ifdef HAVE_X87_PATH
        if (e10 >= -27 && e10 <= 27) {
                long double v = (long double) w;
                uint64_t mant;

                v = e10 < 0 ? v / pow10_x87[-e10] : v * pow10_x87[e10];
                memcpy(&mant, &v, sizeof(mant)); /* the 64-bit significand, integer bit included */
                if ((mant & 0x7FF) != 0x400) {
                        double d = (double) v;
                        *ret = neg ? -d : d;
                        return true;
                }
        }
#endif
        return false;
}

static char *column_name(char *const *header, size_t j)
{
        if (header)
                return xasprintf("column %zu ('%s')", j + 1, header[j]);
        return xasprintf("column %zu", j + 1);
}

/* Replaces the NaNs (missing cells) of x, n x d, as `impute` says. */
static int impute_missing(double *x, size_t n, size_t d, char *const *header, const char *name,
                          CsvImpute impute, char **reterr_msg)
{
        _cleanup_free_ double *col = xnew(double, n);

        for (size_t j = 0; j < d; j++) {
                size_t m = 0;
                double mean = 0; /* running, so that huge values cannot overflow a sum */
                for (size_t i = 0; i < n; i++) {
                        double v = x[i * d + j];
                        if (!isnan(v)) {
                                col[m++] = v;
                                mean += (v - mean) / (double) m;
                        }
                }
                if (m == n)
                        continue;
                double fill = 0;
                if (impute != CSV_IMPUTE_ZERO && m == 0) {
                        _cleanup_free_ char *cn = column_name(header, j);
                        if (reterr_msg)
                                *reterr_msg =
                                        xasprintf("%s: %s has no numbers to impute from", name, cn);
                        return -EINVAL;
                }
                if (impute == CSV_IMPUTE_MEAN) {
                        fill = mean;
                } else if (impute == CSV_IMPUTE_MEDIAN) {
                        qsort(col, m, sizeof(double), stats_cmp_double);
                        fill = m % 2 ? col[m / 2] : col[m / 2 - 1] / 2 + col[m / 2] / 2;
                }
                for (size_t i = 0; i < n; i++)
                        if (isnan(x[i * d + j]))
                                x[i * d + j] = fill;
        }
        return 0;
}

int csv_table_numbers(const CsvTable *t, const char *name, CsvImpute impute, double **ret_x,
                      char **reterr_msg)
{
        assert(t && ret_x);

        size_t n = t->n_rows, d = t->n_cols, nd = n * d;
        _cleanup_free_ double *x = xnew(double, nd > 0 ? nd : 1);
        size_t missing = 0;

        name = name ? name : "-";
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < d; j++) {
                        double *v = &x[i * d + j];
                        int r = cell_number(t->cells[i * d + j], name, t->line_of[i], j + 1, impute,
                                            v, reterr_msg);
                        if (r < 0)
                                return r;
                        if (isnan(*v))
                                missing++;
                }
        if (missing > 0) {
                int r = impute_missing(x, n, d, t->header, name, impute, reterr_msg);
                if (r < 0)
                        return r;
        }
        *ret_x = TAKE_PTR(x);
        return 0;
}

typedef struct NumbersSink {
        CsvImpute impute;
        double *x;
        size_t n_x, x_cap;
        size_t missing;
        StrBuf tmp;   /* a NUL-terminated copy of a cell for cell_number() */
        int cell_err; /* the first bad cell: reported once the whole file proved well-formed */
        char *cell_msg;
} NumbersSink;

static int numbers_cell(Scanner *s, size_t col, const char *text, size_t len)
{
        NumbersSink *k = s->userdata;
        double v;

        if (k->cell_err < 0)
                return 0;
        if (!fast_atod(text, len, &v)) {
                strbuf_reset(&k->tmp);
                (void) strbuf_append(&k->tmp, text, len);
                int r = cell_number(k->tmp.data, s->name, s->row_line, col + 1, k->impute, &v,
                                    &k->cell_msg);
                if (r < 0) {
                        k->cell_err = r;
                        free(TAKE_PTR(k->x)); /* no use for it any more */
                        return 0;
                }
                if (isnan(v))
                        k->missing++;
        }
        if (k->n_x == k->x_cap) {
                k->x_cap = k->x_cap ? k->x_cap * 2 : 4096;
                k->x = xreallocarray(k->x, k->x_cap, sizeof(double));
        }
        k->x[k->n_x++] = v;
        return 0;
}

static const Sink numbers_sink = {.cell = numbers_cell};

int csv_read_numbers(FILE *f, const char *name, CsvImpute impute, CsvNumbers **ret,
                     char **reterr_msg)
{
        NumbersSink k = {.impute = impute};
        Scanner s = {.name = name ? name : "-", .sink = &numbers_sink, .userdata = &k};
        _cleanup_free_ char *msg = NULL;

        assert(f && ret);
        int r = scan(&s, f);
        if (r < 0) {
                msg = TAKE_PTR(s.err);
        } else if (k.cell_err < 0) {
                r = k.cell_err;
                msg = TAKE_PTR(k.cell_msg);
        } else if (k.missing > 0) {
                r = impute_missing(k.x, s.n_rows, s.n_cols, s.header, s.name, impute, &msg);
        }
        strbuf_done(&k.tmp);
        free(k.cell_msg);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = TAKE_PTR(msg);
                free(k.x);
                scanner_done(&s);
                return r;
        }

        assert(k.n_x == s.n_rows * s.n_cols);
        CsvNumbers *c = xnew0(CsvNumbers, 1);
        c->n_rows = s.n_rows;
        c->n_cols = s.n_cols;
        c->header = TAKE_PTR(s.header);
        c->x = xreallocarray(k.x, k.n_x, sizeof(double)); /* n_x >= 1: every row has a cell */
        scanner_done(&s);
        *ret = c;
        return 0;
}

int csv_read_numbers_path(const char *path, CsvImpute impute, CsvNumbers **ret, char **reterr_msg)
{
        if (strcmp(path, "-") == 0)
                return csv_read_numbers(stdin, path, impute, ret, reterr_msg);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f) {
                int r = -errno;
                if (reterr_msg)
                        *reterr_msg = xasprintf("cannot open '%s': %s", path, strerror(-r));
                return r;
        }
        return csv_read_numbers(f, path, impute, ret, reterr_msg);
}

CsvNumbers *csv_numbers_free(CsvNumbers *c)
{
        if (!c)
                return NULL;
        if (c->header)
                for (size_t i = 0; i < c->n_cols; i++)
                        free(c->header[i]);
        free(c->header);
        free(c->x);
        free(c);
        return NULL;
}

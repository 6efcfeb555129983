/* The CSV reader of csv.h: a byte-at-a-time RFC 4180 state machine over fread() chunks. All
 * cell text goes to one growing arena (cells hold offsets into it until the end, so that
 * growing it never leaves a dangling pointer), which keeps a million-row file to a handful
 * of allocations. */
#include "detect/csv.h"

#include <assert.h>
#include <errno.h>
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

enum {
        ST_FIELD_START, /* at the first byte of a field */
        ST_UNQUOTED,
        ST_QUOTED,
        ST_QUOTE_SEEN, /* a '"' inside a quoted field: "" escape or the closing quote */
};

typedef struct Parser {
        const char *name;
        char *text; /* the arena: every cell, NUL-terminated */
        size_t text_len, text_cap;
        size_t *offs; /* cell offsets into text, then (at the end) pointers */
        size_t n_cells, offs_cap;
        size_t *line_of;
        size_t n_rows, rows_cap;
        size_t n_cols;   /* of the first row; 0 until it ends */
        size_t row_cols; /* cells in the row being read */
        bool have_first, have_header;
        char **header;
        size_t cell_start; /* offset of the cell being read */
        size_t line;       /* physical line of the byte being read, from 1 */
        size_t row_line;   /* the line the row being read started on */
        int64_t bytes;
        char *err;
} Parser;

static int fail(Parser *p, const char *fmt, ...) _printf_(2, 3);
static int fail(Parser *p, const char *fmt, ...)
{
        StrBuf b = {};
        va_list ap;

        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        free(p->err);
        p->err = strbuf_steal(&b);
        return -EINVAL;
}

static void text_putc(Parser *p, char c)
{
        if (p->text_len + 1 >= p->text_cap) {
                p->text_cap = p->text_cap ? p->text_cap * 2 : 4096;
                p->text = xrealloc(p->text, p->text_cap);
        }
        p->text[p->text_len++] = c;
}

/* A cell's text, borrowed from the arena (valid until the next append). */
static const char *cell_text(const Parser *p, size_t i)
{
        return p->text + p->offs[i];
}

static int end_field(Parser *p)
{
        text_putc(p, '\0');
        if (p->row_cols >= CSV_MAX_COLUMNS)
                return fail(p, "%s:%zu: more than %u columns", p->name, p->row_line,
                            CSV_MAX_COLUMNS);
        if (p->n_cells == p->offs_cap) {
                p->offs_cap = p->offs_cap ? p->offs_cap * 2 : 1024;
                p->offs = xreallocarray(p->offs, p->offs_cap, sizeof(size_t));
        }
        p->offs[p->n_cells++] = p->cell_start;
        p->cell_start = p->text_len;
        p->row_cols++;
        return 0;
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

static int end_row(Parser *p)
{
        size_t first = p->n_cells - p->row_cols;

        if (!p->have_first) {
                p->have_first = true;
                p->n_cols = p->row_cols;
                for (size_t i = first; i < p->n_cells && !p->have_header; i++)
                        p->have_header = !cell_is_data(cell_text(p, i));
                if (p->have_header) {
                        p->header = xnew(char *, p->n_cols);
                        for (size_t i = 0; i < p->n_cols; i++)
                                p->header[i] = xstrdup(cell_text(p, first + i));
                        p->n_cells = first;
                        p->text_len = 0;
                        p->cell_start = 0;
                        p->row_cols = 0;
                        return 0;
                }
        } else if (p->row_cols != p->n_cols) {
                return fail(p, "%s:%zu: %zu column%s, the %s has %zu", p->name, p->row_line,
                            p->row_cols, p->row_cols == 1 ? "" : "s",
                            p->have_header ? "header" : "first row", p->n_cols);
        }
        if (p->n_rows == p->rows_cap) {
                p->rows_cap = p->rows_cap ? p->rows_cap * 2 : 1024;
                p->line_of = xreallocarray(p->line_of, p->rows_cap, sizeof(size_t));
        }
        p->line_of[p->n_rows++] = p->row_line;
        p->row_cols = 0;
        return 0;
}

static void parser_done(Parser *p)
{
        free(p->text);
        free(p->offs);
        free(p->line_of);
        if (p->header)
                for (size_t i = 0; i < p->n_cols; i++)
                        free(p->header[i]);
        free(p->header);
        free(p->err);
}

static int parse(Parser *p, FILE *f)
{
        unsigned char buf[65536];
        int state = ST_FIELD_START;
        bool in_row = false, after_cr = false, first_chunk = true;
        size_t quote_line = 0;
        int r;

        p->line = 1;
        for (;;) {
                size_t n = fread(buf, 1, sizeof(buf), f);
                if (n == 0) {
                        if (ferror(f))
                                return fail(p, "%s: cannot read: %s", p->name,
                                            strerror(errno ? errno : EIO));
                        break;
                }
                p->bytes += (int64_t) n;
                if (p->bytes > CSV_MAX_BYTES)
                        return fail(p, "%s: larger than %" PRId64 " bytes", p->name,
                                    (int64_t) CSV_MAX_BYTES);
                size_t i = 0;
                if (first_chunk && n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
                        i = 3; /* the UTF-8 byte order mark some spreadsheets write */
                first_chunk = false;
                for (; i < n; i++) {
                        char c = (char) buf[i];
                        if (after_cr) {
                                after_cr = false;
                                if (c == '\n')
                                        continue;
                        }
                        if (c == '\0')
                                return fail(p, "%s:%zu: a NUL byte (not a text file?)", p->name,
                                            p->line);
                        switch (state) {
                        case ST_FIELD_START:
                                if (!in_row) {
                                        if (c == '\n' || c == '\r') { /* blank line: skipped */
                                                after_cr = c == '\r';
                                                p->line++;
                                                continue;
                                        }
                                        in_row = true;
                                        p->row_line = p->line;
                                }
                                if (c == '"') {
                                        state = ST_QUOTED;
                                        quote_line = p->line;
                                        continue;
                                }
                                state = ST_UNQUOTED;
                                goto unquoted;
                        case ST_UNQUOTED:
                        unquoted:
                                if (c == ',') {
                                        r = end_field(p);
                                        if (r < 0)
                                                return r;
                                        state = ST_FIELD_START;
                                } else if (c == '\n' || c == '\r') {
                                        r = end_field(p);
                                        if (r >= 0)
                                                r = end_row(p);
                                        if (r < 0)
                                                return r;
                                        after_cr = c == '\r';
                                        p->line++;
                                        in_row = false;
                                        state = ST_FIELD_START;
                                } else {
                                        text_putc(p, c);
                                }
                                break;
                        case ST_QUOTED:
                                if (c == '"') {
                                        state = ST_QUOTE_SEEN;
                                } else {
                                        text_putc(p, c);
                                        if (c == '\n')
                                                p->line++;
                                }
                                break;
                        case ST_QUOTE_SEEN:
                                if (c == '"') {
                                        text_putc(p, '"');
                                        state = ST_QUOTED;
                                } else if (c == ',' || c == '\n' || c == '\r') {
                                        goto unquoted;
                                } else {
                                        return fail(p,
                                                    "%s:%zu: column %zu: '%c' after the closing "
                                                    "quote",
                                                    p->name, p->line, p->row_cols + 1,
                                                    (c >= ' ' && c < 127) ? c : '?');
                                }
                                break;
                        }
                }
        }
        if (state == ST_QUOTED)
                return fail(p, "%s:%zu: column %zu: the quoted field never ends", p->name,
                            quote_line, p->row_cols + 1);
        if (in_row) { /* no final newline */
                r = end_field(p);
                if (r >= 0)
                        r = end_row(p);
                if (r < 0)
                        return r;
        }
        if (p->n_rows == 0)
                return fail(p, "%s: no data rows", p->name);
        return 0;
}

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
        Parser p = {.name = name ? name : "-"};

        assert(f && ret);
        int r = parse(&p, f);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = TAKE_PTR(p.err);
                parser_done(&p);
                return r;
        }

        CsvTable *t = xnew0(CsvTable, 1);
        t->n_rows = p.n_rows;
        t->n_cols = p.n_cols;
        t->header = TAKE_PTR(p.header);
        t->line_of = TAKE_PTR(p.line_of);
        t->text = p.text_len ? xrealloc(p.text, p.text_len) : p.text;
        p.text = NULL;
        /* offsets to pointers, in place: size_t and char * have the same size on Linux */
        _Static_assert(sizeof(size_t) == sizeof(char *), "cells reuse the offset array");
        t->cells = (char **) (void *) p.offs;
        for (size_t i = 0; i < p.n_cells; i++) {
                size_t off = p.offs[i];
                t->cells[i] = t->text + off;
        }
        p.offs = NULL;
        parser_done(&p);
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

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static char *column_name(const CsvTable *t, size_t j)
{
        if (t->header)
                return xasprintf("column %zu ('%s')", j + 1, t->header[j]);
        return xasprintf("column %zu", j + 1);
}

int csv_table_numbers(const CsvTable *t, const char *name, CsvImpute impute, double **ret_x,
                      char **reterr_msg)
{
        size_t n = t->n_rows, d = t->n_cols, nd = n * d;
        _cleanup_free_ double *x = xnew(double, nd > 0 ? nd : 1);
        size_t missing = 0;

        assert(t && ret_x);
        name = name ? name : "-";
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < d; j++) {
                        const char *s = t->cells[i * d + j];
                        double v;
                        int r = safe_atod(s, &v);
                        if (r == 0 && isfinite(v)) {
                                x[i * d + j] = v;
                                continue;
                        }
                        if (r == -ERANGE) {
                                if (reterr_msg)
                                        *reterr_msg = xasprintf(
                                                "%s:%zu: column %zu: '%s' is out of range", name,
                                                t->line_of[i], j + 1, s);
                                return -ERANGE;
                        }
                        if (!cell_is_missing(s)) {
                                if (reterr_msg)
                                        *reterr_msg = xasprintf(
                                                "%s:%zu: column %zu: '%.64s' is not a number", name,
                                                t->line_of[i], j + 1, s);
                                return -EINVAL;
                        }
                        if (impute == CSV_IMPUTE_NONE) {
                                if (reterr_msg)
                                        *reterr_msg = xasprintf(
                                                "%s:%zu: column %zu: %s value (no imputation "
                                                "asked for)",
                                                name, t->line_of[i], j + 1,
                                                *s ? "a missing" : "an empty");
                                return -EINVAL;
                        }
                        x[i * d + j] = (double) NAN;
                        missing++;
                }
        if (missing == 0) {
                *ret_x = TAKE_PTR(x);
                return 0;
        }

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
                        _cleanup_free_ char *cn = column_name(t, j);
                        if (reterr_msg)
                                *reterr_msg =
                                        xasprintf("%s: %s has no numbers to impute from", name, cn);
                        return -EINVAL;
                }
                if (impute == CSV_IMPUTE_MEAN) {
                        fill = mean;
                } else if (impute == CSV_IMPUTE_MEDIAN) {
                        qsort(col, m, sizeof(double), cmp_double);
                        fill = m % 2 ? col[m / 2] : col[m / 2 - 1] / 2 + col[m / 2] / 2;
                }
                for (size_t i = 0; i < n; i++)
                        if (isnan(x[i * d + j]))
                                x[i * d + j] = fill;
        }
        *ret_x = TAKE_PTR(x);
        return 0;
}

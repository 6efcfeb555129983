#include "core/table.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json-util.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "core/time-util.h"

typedef enum CellType {
        CELL_NULL,
        CELL_STR,
        CELL_U64,
        CELL_I64,
        CELL_DOUBLE,
        CELL_BYTES,
        CELL_PERCENT,
        CELL_TIME,
} CellType;

typedef struct Cell {
        CellType type;
        int decimals;
        union {
                char *s;
                uint64_t u;
                int64_t i;
                double d;
        } v;
} Cell;

typedef struct Column {
        char *header;
        char *key;
        TableAlign align;
        bool align_set;
        size_t max_width;
} Column;

struct Table {
        Column *cols;
        size_t n_cols;
        Cell *cells;
        size_t n_cells, cap_cells;
        size_t flexible; /* SIZE_MAX: none */
};

static char *json_key_from_header(const char *h, size_t index)
{
        StrBuf b = {};
        bool sep = false;

        for (const char *p = h; *p; p++) {
                char c = *p;
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        if (sep && b.len > 0)
                                (void) strbuf_putc(&b, '_');
                        (void) strbuf_putc(&b, c);
                        sep = false;
                } else {
                        sep = true;
                }
        }
        if (b.len == 0)
                (void) strbuf_printf(&b, "col%zu", index);
        return strbuf_steal(&b);
}

Table *table_new(const char *const *headers)
{
        Table *t = xnew0(Table, 1);
        size_t n = 0;

        assert(headers && headers[0]);
        while (headers[n])
                n++;
        t->cols = xnew0(Column, n);
        t->n_cols = n;
        for (size_t i = 0; i < n; i++) {
                t->cols[i].header = xstrdup(headers[i]);
                t->cols[i].key = json_key_from_header(headers[i], i);
        }
        t->flexible = SIZE_MAX;
        return t;
}

Table *table_free(Table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cols; i++) {
                free(t->cols[i].header);
                free(t->cols[i].key);
        }
        for (size_t i = 0; i < t->n_cells; i++)
                if (t->cells[i].type == CELL_STR)
                        free(t->cells[i].v.s);
        free(t->cols);
        free(t->cells);
        free(t);
        return NULL;
}

size_t table_columns(const Table *t)
{
        return t->n_cols;
}

void table_set_align(Table *t, size_t col, TableAlign a)
{
        assert(col < t->n_cols);
        t->cols[col].align = a;
        t->cols[col].align_set = true;
}

void table_set_max_width(Table *t, size_t col, size_t w)
{
        assert(col < t->n_cols);
        t->cols[col].max_width = w;
}

void table_set_flexible(Table *t, size_t col)
{
        assert(col < t->n_cols);
        t->flexible = col;
}

static Cell *add_cell(Table *t, CellType type)
{
        if (t->n_cells == t->cap_cells) {
                t->cap_cells = t->cap_cells ? t->cap_cells * 2 : 16 * t->n_cols;
                t->cells = xreallocarray(t->cells, t->cap_cells, sizeof(Cell));
        }
        Cell *c = &t->cells[t->n_cells];
        Column *col = &t->cols[t->n_cells % t->n_cols];
        t->n_cells++;
        *c = (Cell){.type = type};
        if (type != CELL_NULL && type != CELL_STR && type != CELL_TIME && !col->align_set)
                col->align = TABLE_ALIGN_RIGHT;
        return c;
}

void table_add_null(Table *t)
{
        (void) add_cell(t, CELL_NULL);
}

void table_add_str(Table *t, const char *s)
{
        if (!s) {
                table_add_null(t);
                return;
        }
        add_cell(t, CELL_STR)->v.s = xstrdup(s);
}

void table_add_u64(Table *t, uint64_t v)
{
        add_cell(t, CELL_U64)->v.u = v;
}

void table_add_i64(Table *t, int64_t v)
{
        add_cell(t, CELL_I64)->v.i = v;
}

void table_add_double(Table *t, double v, int decimals)
{
        if (!isfinite(v)) {
                table_add_null(t);
                return;
        }
        Cell *c = add_cell(t, CELL_DOUBLE);
        c->v.d = v;
        c->decimals = decimals < 0 ? 0 : decimals > 17 ? 17 : decimals;
}

void table_add_bytes(Table *t, double bytes)
{
        if (!isfinite(bytes)) {
                table_add_null(t);
                return;
        }
        add_cell(t, CELL_BYTES)->v.d = bytes;
}

void table_add_percent(Table *t, double pct)
{
        if (!isfinite(pct)) {
                table_add_null(t);
                return;
        }
        add_cell(t, CELL_PERCENT)->v.d = pct;
}

void table_add_time(Table *t, int64_t epoch_ms)
{
        add_cell(t, CELL_TIME)->v.i = epoch_ms;
}

size_t table_rows(const Table *t)
{
        return (t->n_cells + t->n_cols - 1) / t->n_cols;
}

/* NULL past the end of an unfinished last row: such cells are unknown. */
static const Cell *cell_at(const Table *t, size_t row, size_t col)
{
        size_t i = row * t->n_cols + col;
        return i < t->n_cells ? &t->cells[i] : NULL;
}

char *table_format_bytes(double bytes, char *buf, size_t n)
{
        static const char units[] = "KMGTPE";
        const char *sign = bytes < 0 ? "-" : "";
        double v = fabs(bytes);

        if (!isfinite(bytes)) {
                (void) snprintf(buf, n, "-");
                return buf;
        }
        if (v < 1023.5) {
                (void) snprintf(buf, n, "%s%.0f", sign, v);
                return buf;
        }
        v /= 1024;
        for (size_t u = 0;; u++) {
                /* One decimal below 10 like `ls -h`; the thresholds are where rounding would
                 * print "10.0" or "1024". */
                if (v < 9.95) {
                        (void) snprintf(buf, n, "%s%.1f%c", sign, v, units[u]);
                        break;
                }
                if (v < 1023.5 || u + 2 == sizeof(units)) {
                        (void) snprintf(buf, n, "%s%.0f%c", sign, v, units[u]);
                        break;
                }
                v /= 1024;
        }
        return buf;
}

/* The shortest of %.15g..%.17g that reads back as the same double: 0.1 stays "0.1". */
static void format_real(double v, char *buf, size_t n)
{
        for (int prec = 15; prec <= 17; prec++) {
                double back;
                (void) snprintf(buf, n, "%.*g", prec, v);
                if (safe_atod(buf, &back) == 0 && back == v)
                        break;
        }
}

/* The cell as text for the human view (human = true) or CSV; NULL for unknown. */
static char *cell_to_text(const Cell *c, bool human)
{
        char buf[64];

        if (!c)
                return NULL;
        switch (c->type) {
        case CELL_NULL:
                return NULL;
        case CELL_STR:
                return xstrdup(c->v.s);
        case CELL_U64:
                return xasprintf("%" PRIu64, c->v.u);
        case CELL_I64:
                return xasprintf("%" PRIi64, c->v.i);
        case CELL_DOUBLE:
                if (human)
                        return xasprintf("%.*f", c->decimals, c->v.d);
                format_real(c->v.d, buf, sizeof(buf));
                return xstrdup(buf);
        case CELL_BYTES:
                if (human)
                        return xstrdup(table_format_bytes(c->v.d, buf, sizeof(buf)));
                return xasprintf("%.0f", round(c->v.d));
        case CELL_PERCENT:
                if (human)
                        return xasprintf("%.1f%%", c->v.d);
                format_real(c->v.d, buf, sizeof(buf));
                return xstrdup(buf);
        case CELL_TIME:
                if (human)
                        return xstrdup(time_format_local(c->v.i, buf, sizeof(buf)));
                return xstrdup(time_format_rfc3339(c->v.i, buf, sizeof(buf)));
        }
        return NULL;
}

static json_t *cell_to_json(const Cell *c)
{
        if (!c)
                return json_null();
        switch (c->type) {
        case CELL_NULL:
                return json_null();
        case CELL_STR:
                return json_string_lossy(c->v.s);
        case CELL_U64:
                /* json_int_t is long long: larger values lose precision rather than wrap. */
                return c->v.u <= INT64_MAX ? json_integer((json_int_t) c->v.u)
                                           : json_real((double) c->v.u);
        case CELL_I64:
                return json_integer((json_int_t) c->v.i);
        case CELL_BYTES:
                if (fabs(c->v.d) < 9.2e18)
                        return json_integer((json_int_t) llround(c->v.d));
                return json_real(round(c->v.d));
        case CELL_DOUBLE:
        case CELL_PERCENT:
                return json_double_or_null(c->v.d);
        case CELL_TIME:
                return json_time_rfc3339(c->v.i);
        }
        return json_null();
}

json_t *table_to_json(const Table *t)
{
        json_t *a = json_array();
        size_t rows = table_rows(t);

        for (size_t r = 0; r < rows; r++) {
                json_t *o = json_object();
                for (size_t c = 0; c < t->n_cols; c++)
                        (void) json_object_set_new(o, t->cols[c].key,
                                                   cell_to_json(cell_at(t, r, c)));
                (void) json_array_append_new(a, o);
        }
        return a;
}

static void csv_field(StrBuf *b, const char *s)
{
        size_t n = strlen(s);
        bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ' || strpbrk(s, ",\"\r\n"));

        if (!quote) {
                (void) strbuf_append(b, s, n);
                return;
        }
        (void) strbuf_putc(b, '"');
        for (const char *p = s; *p; p++) {
                if (*p == '"')
                        (void) strbuf_putc(b, '"');
                (void) strbuf_putc(b, *p);
        }
        (void) strbuf_putc(b, '"');
}

static void table_csv(const Table *t, StrBuf *b, bool header)
{
        size_t rows = table_rows(t);

        if (header) {
                for (size_t c = 0; c < t->n_cols; c++) {
                        if (c > 0)
                                (void) strbuf_putc(b, ',');
                        csv_field(b, t->cols[c].header);
                }
                (void) strbuf_putc(b, '\n');
        }
        for (size_t r = 0; r < rows; r++) {
                for (size_t c = 0; c < t->n_cols; c++) {
                        _cleanup_free_ char *s = cell_to_text(cell_at(t, r, c), false);
                        if (c > 0)
                                (void) strbuf_putc(b, ',');
                        if (s)
                                csv_field(b, s);
                }
                (void) strbuf_putc(b, '\n');
        }
}

static void put_repeat(StrBuf *b, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                (void) strbuf_puts(b, s);
}

/* Writes s (at most w columns once truncated) padded to w columns. */
static void put_cell(StrBuf *b, const char *s, size_t w, TableAlign align, bool pad_right,
                     const char *color)
{
        _cleanup_free_ char *v = term_truncate(s, w);
        size_t vw = term_display_width(v);
        size_t pad = vw < w ? w - vw : 0;

        if (align == TABLE_ALIGN_RIGHT)
                put_repeat(b, " ", pad);
        if (*color)
                (void) strbuf_printf(b, "%s%s%s", color, v, term_color(TERM_COLOR_RESET));
        else
                (void) strbuf_puts(b, v);
        if (align == TABLE_ALIGN_LEFT && pad_right)
                put_repeat(b, " ", pad);
}

static void box_rule(StrBuf *b, const size_t *w, size_t n, const char *l, const char *m,
                     const char *r)
{
        (void) strbuf_puts(b, l);
        for (size_t c = 0; c < n; c++) {
                if (c > 0)
                        (void) strbuf_puts(b, m);
                put_repeat(b, "─", w[c] + 2);
        }
        (void) strbuf_puts(b, r);
        (void) strbuf_putc(b, '\n');
}

/* Narrows w[] by `excess` columns in total: the flexible column first, then always the widest,
 * never below min_w[]. */
static void shrink_columns(size_t *w, const size_t *min_w, size_t n, size_t flexible, size_t excess)
{
        if (flexible < n && w[flexible] > min_w[flexible]) {
                size_t d = MIN(excess, w[flexible] - min_w[flexible]);
                w[flexible] -= d;
                excess -= d;
        }
        while (excess > 0) {
                size_t widest = SIZE_MAX;
                for (size_t c = 0; c < n; c++)
                        if (w[c] > min_w[c] && (widest == SIZE_MAX || w[c] > w[widest]))
                                widest = c;
                if (widest == SIZE_MAX)
                        return; /* cannot fit: the terminal wraps the lines */
                w[widest]--;
                excess--;
        }
}

static size_t resolve_width(FILE *f, int width)
{
        if (width < 0)
                return 0;
        if (width == 0)
                width = term_width(fileno(f));
        return (size_t) width;
}

static void table_human(const Table *t, StrBuf *b, const TablePrintOptions *opt, size_t limit)
{
        size_t n = t->n_cols, rows = table_rows(t);
        bool box = opt->style == TABLE_STYLE_BOX;
        _cleanup_free_ char **text = xnew0(char *, rows *n);
        _cleanup_free_ size_t *w = xnew0(size_t, n);
        _cleanup_free_ size_t *min_w = xnew0(size_t, n);

        for (size_t c = 0; c < n; c++) {
                size_t hw = opt->no_header ? 1 : term_display_width(t->cols[c].header);
                w[c] = MAX(hw, 1);
                for (size_t r = 0; r < rows; r++) {
                        char *s = cell_to_text(cell_at(t, r, c), true);
                        text[r * n + c] = s ? s : xstrdup("-");
                        w[c] = MAX(w[c], term_display_width(text[r * n + c]));
                }
                if (t->cols[c].max_width > 0)
                        w[c] = MIN(w[c], t->cols[c].max_width);
                min_w[c] = MIN(w[c], MAX(hw, 1));
        }

        size_t total = box ? 4 + 3 * (n - 1) : 2 * (n - 1);
        for (size_t c = 0; c < n; c++)
                total += w[c];
        if (limit > 0 && total > limit)
                shrink_columns(w, min_w, n, t->flexible, total - limit);

        /* Plain style leaves no trailing blanks behind a left-aligned last column, like ps. */
        const char *sep = box ? " │ " : "  ";
        if (box)
                box_rule(b, w, n, "┌", "┬", "┐");
        if (!opt->no_header) {
                (void) strbuf_puts(b, box ? "│ " : "");
                for (size_t c = 0; c < n; c++) {
                        if (c > 0)
                                (void) strbuf_puts(b, sep);
                        put_cell(b, t->cols[c].header, w[c], t->cols[c].align, box || c + 1 < n,
                                 term_color(TERM_COLOR_BOLD));
                }
                (void) strbuf_puts(b, box ? " │\n" : "\n");
                if (box)
                        box_rule(b, w, n, "├", "┼", "┤");
        }
        for (size_t r = 0; r < rows; r++) {
                (void) strbuf_puts(b, box ? "│ " : "");
                for (size_t c = 0; c < n; c++) {
                        if (c > 0)
                                (void) strbuf_puts(b, sep);
                        put_cell(b, text[r * n + c], w[c], t->cols[c].align, box || c + 1 < n, "");
                }
                (void) strbuf_puts(b, box ? " │\n" : "\n");
        }
        if (box)
                box_rule(b, w, n, "└", "┴", "┘");

        for (size_t i = 0; i < rows * n; i++)
                free(text[i]);
}

static int write_all(FILE *f, const StrBuf *b)
{
        errno = 0;
        if (fwrite(strbuf_str(b), 1, b->len, f) != b->len || fflush(f) == EOF || ferror(f))
                return errno > 0 ? -errno : -EIO;
        return 0;
}

int table_print(const Table *t, FILE *f, OutputFormat fmt, const TablePrintOptions *opt)
{
        static const TablePrintOptions defaults = {};
        _cleanup_(strbuf_done) StrBuf b = {};

        if (!opt)
                opt = &defaults;
        switch (fmt) {
        case OUTPUT_JSON: {
                json_t *j = table_to_json(t);
                int r = json_print(j, f);
                json_decref(j);
                return r;
        }
        case OUTPUT_CSV:
                table_csv(t, &b, !opt->no_header);
                break;
        default:
                table_human(t, &b, opt, resolve_width(f, opt->width));
                break;
        }
        return write_all(f, &b);
}

typedef struct PanelLine {
        char *key; /* NULL: a section rule titled value */
        char *value;
} PanelLine;

struct Panel {
        char *title;
        PanelLine *lines;
        size_t n_lines;
        int width;
};

Panel *panel_new(const char *title)
{
        Panel *p = xnew0(Panel, 1);
        p->title = xstrdup(title ? title : "");
        return p;
}

Panel *panel_free(Panel *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_lines; i++) {
                free(p->lines[i].key);
                free(p->lines[i].value);
        }
        free(p->lines);
        free(p->title);
        free(p);
        return NULL;
}

static void panel_push(Panel *p, char *key, char *value)
{
        p->lines = xreallocarray(p->lines, p->n_lines + 1, sizeof(PanelLine));
        p->lines[p->n_lines++] = (PanelLine){key, value};
}

void panel_add(Panel *p, const char *key, const char *fmt, ...)
{
        StrBuf b = {};
        va_list ap;

        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        panel_push(p, xstrdup(key), strbuf_steal(&b));
}

void panel_add_section(Panel *p, const char *title)
{
        panel_push(p, NULL, xstrdup(title ? title : ""));
}

void panel_set_width(Panel *p, int width)
{
        p->width = width;
}

/* "┌─ title ───┐" with the rule filling inner + 2 columns between the corners. */
static void panel_rule(StrBuf *b, const char *l, const char *title, size_t inner, const char *r)
{
        size_t used = 0;

        (void) strbuf_puts(b, l);
        if (*title) {
                _cleanup_free_ char *s = term_truncate(title, inner - 1);
                (void) strbuf_printf(b, "─ %s%s%s ", term_color(TERM_COLOR_BOLD), s,
                                     term_color(TERM_COLOR_RESET));
                used = term_display_width(s) + 3;
        }
        put_repeat(b, "─", inner + 2 - MIN(used, inner + 2));
        (void) strbuf_puts(b, r);
        (void) strbuf_putc(b, '\n');
}

int panel_print(const Panel *p, FILE *f)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        size_t kw = 0, vw = 0, tw = term_display_width(p->title) + 2;
        size_t limit = resolve_width(f, p->width);

        for (size_t i = 0; i < p->n_lines; i++) {
                const PanelLine *l = &p->lines[i];
                if (l->key) {
                        kw = MAX(kw, term_display_width(l->key));
                        vw = MAX(vw, term_display_width(l->value));
                } else {
                        tw = MAX(tw, term_display_width(l->value) + 2);
                }
        }
        /* inner = the columns between "│ " and " │" */
        size_t inner = MAX(kw + 2 + vw, tw);
        if (limit > 0 && inner + 4 > limit) {
                size_t excess = inner + 4 - limit;
                size_t cut = MIN(excess, vw > 1 ? vw - 1 : 0);
                vw -= cut;
                excess -= cut;
                cut = MIN(excess, kw > 1 ? kw - 1 : 0);
                kw -= cut;
                inner = MAX(kw + 2 + vw, 4);
        }
        inner = MAX(inner, 4);

        panel_rule(&b, "┌", p->title, inner, "┐");
        for (size_t i = 0; i < p->n_lines; i++) {
                const PanelLine *l = &p->lines[i];
                if (!l->key) {
                        panel_rule(&b, "├", l->value, inner, "┤");
                        continue;
                }
                (void) strbuf_puts(&b, "│ ");
                put_cell(&b, l->key, kw, TABLE_ALIGN_LEFT, true, "");
                (void) strbuf_puts(&b, "  ");
                put_cell(&b, l->value, inner - kw - 2, TABLE_ALIGN_LEFT, true, "");
                (void) strbuf_puts(&b, " │\n");
        }
        panel_rule(&b, "└", "", inner, "┘");
        return write_all(f, &b);
}

/* Tables and panels: one set of typed cells printed as a human view (aligned columns, plain
 * like `ps aux` or boxed), as JSON (an array of objects with typed values, null for unknown)
 * or as CSV (RFC 4180 quoting). The human view measures text in terminal columns (CJK and
 * emoji are two wide), never lets control characters through (process names are untrusted)
 * and shrinks to the terminal width; JSON and CSV carry the exact values, unformatted.
 *
 * Human formats: unknown "-"; bytes like `ls -h` ("0", "512", "1.5K", "12M", "1.2G", powers of
 * 1024); percent with one decimal and a sign ("12.3%"); time local "YYYY-MM-DD HH:MM:SS".
 * JSON: bytes as integer bytes, percent as a number of percent (12.3, not 0.123), time as an
 * RFC 3339 UTC string. CSV: the JSON values as text, unknown empty, LF line ends.
 * Not thread-safe; a Table is owned by one caller. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/macro.h"
#include "core/term.h"

typedef struct Table Table;
typedef struct Panel Panel;

typedef enum TableAlign {
        TABLE_ALIGN_LEFT,
        TABLE_ALIGN_RIGHT,
        _TABLE_ALIGN_MAX,
        _TABLE_ALIGN_INVALID = -EINVAL,
} TableAlign;

typedef enum TableStyle {
        TABLE_STYLE_PLAIN, /* columns separated by two spaces, header line, like `ps aux` */
        TABLE_STYLE_BOX,   /* UTF-8 box drawing */
        _TABLE_STYLE_MAX,
        _TABLE_STYLE_INVALID = -EINVAL,
} TableStyle;

typedef struct TablePrintOptions {
        TableStyle style;
        /* Columns to fit the human view in: > 0 that many, 0 ask term_width() for the fd of
         * the stream (0 from there, i.e. not a TTY: no limit), < 0 no limit. */
        int width;
        bool no_header; /* human and CSV: omit the header row */
} TablePrintOptions;

/* headers is NULL-terminated, at least one. The JSON key of a column is its header lower-
 * cased, with each run of other characters than [a-z0-9] turned into one '_' and '_' trimmed
 * at both ends ("%CPU" → "cpu", "RSS (MiB)" → "rss_mib"); "colN" if nothing is left. */
Table *table_new(const char *const *headers);
Table *table_free(Table *t);
DEFINE_FREEP(Table, table_free);

size_t table_columns(const Table *t);
/* Default: left, or right once a numeric cell (integer, double, bytes, percent) was added. */
void table_set_align(Table *t, size_t col, TableAlign a);
/* At most w columns wide in the human view (0 = no limit); longer cells end in "…". */
void table_set_max_width(Table *t, size_t col, size_t w);
/* The column that shrinks first (e.g. COMMAND) when the table is wider than the terminal;
 * after it the widest column shrinks, down to its header's width. */
void table_set_flexible(Table *t, size_t col);

/* Cells fill rows left to right; a row is complete after table_columns() cells. */
void table_add_str(Table *t, const char *s); /* NULL: unknown */
void table_add_u64(Table *t, uint64_t v);
void table_add_i64(Table *t, int64_t v);
void table_add_double(Table *t, double v, int decimals); /* NaN, ±inf: unknown */
void table_add_bytes(Table *t, double bytes);            /* NaN, ±inf: unknown */
void table_add_percent(Table *t, double pct);            /* 12.3 means 12.3%; NaN: unknown */
void table_add_time(Table *t, int64_t epoch_ms);
void table_add_null(Table *t);

/* Rows started so far; an unfinished last row is printed padded with unknown cells. */
size_t table_rows(const Table *t);

/* opt may be NULL (plain style, terminal width). 0, or -errno when writing failed. */
int table_print(const Table *t, FILE *f, OutputFormat fmt, const TablePrintOptions *opt);
/* An array with one object per row (a new reference). */
json_t *table_to_json(const Table *t);

/* The human form of a byte count, as in the table ("1.5K"); writes at most n bytes to buf and
 * returns buf. n >= 8 always suffices. */
char *table_format_bytes(double bytes, char *buf, size_t n);

/* A one-screen summary: a box with the title in its top border, "key  value" lines with the
 * keys aligned, and titled sections. Values are shown as given (sanitized, truncated to the
 * terminal width). */
Panel *panel_new(const char *title);
Panel *panel_free(Panel *p);
DEFINE_FREEP(Panel, panel_free);
void panel_add(Panel *p, const char *key, const char *fmt, ...) _printf_(3, 4);
void panel_add_section(Panel *p, const char *title);
/* Columns to fit in, as TablePrintOptions.width (default 0: the terminal's). */
void panel_set_width(Panel *p, int width);
/* 0, or -errno when writing failed. */
int panel_print(const Panel *p, FILE *f);

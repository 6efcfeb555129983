/* Reading users' numeric CSV files (`aiops detect outliers --input X.csv`, `aiops detect
 * stream --input series.csv`). The input is untrusted: any bytes, any size up to a limit.
 * RFC 4180: fields separated by ',', records by LF or CRLF (a lone CR ends a record too), a
 * field starting with '"' is quoted and may hold ',', newlines and "" (one quote); the final
 * newline is optional and a UTF-8 byte order mark is skipped. Deviations: blank lines are
 * skipped (as pandas does), a '"' inside an unquoted field is kept as text, and a NUL byte
 * is an error. The first row is the header when any of its cells is neither a number nor a
 * missing value. Every error names the line and the column ("X.csv:17: column 3: 'abc' is
 * not a number", "X.csv:9: 4 columns, the header has 3", "X.csv: no data rows"); ragged
 * rows, an empty file and (unless imputed) missing cells are errors. Numbers are decimal
 * (no hex, no "inf"; "1e999" is out of range); a missing cell is an empty one, "nan" or "NA"
 * (any case). Errors are -EINVAL (-ERANGE for out of range) with *reterr_msg (caller frees).
 * Two readers share one tokenizer: csv_read_table() keeps every cell as text (for columns
 * that are not numbers), csv_read_numbers() converts the cells to doubles as it reads (one
 * pass, no text kept, 8 bytes per cell) and gives exactly the numbers and messages of
 * csv_read_table() + csv_table_numbers(); in both a malformed file (quotes, ragged rows, no
 * data rows) is reported before the first bad cell, wherever in the file they are.
 * Not thread-safe per FILE; otherwise no shared state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/macro.h"

#define CSV_MAX_BYTES   (INT64_C(2) << 30) /* 2 GiB */
#define CSV_MAX_COLUMNS 100000u

typedef enum CsvImpute {
        CSV_IMPUTE_NONE,   /* an empty or NaN cell is an error */
        CSV_IMPUTE_MEAN,   /* replaced by its column's mean */
        CSV_IMPUTE_MEDIAN, /* by its column's median */
        CSV_IMPUTE_ZERO,
} CsvImpute;

/* A CSV as text cells (for columns that are not numbers, such as timestamps). */
typedef struct CsvTable {
        size_t n_rows; /* data rows, the header excluded */
        size_t n_cols;
        char **header;   /* n_cols names, or NULL when the file has none */
        char **cells;    /* n_rows * n_cols, NUL-terminated, unquoted */
        size_t *line_of; /* the file line number of each data row, for messages */
        char *text;      /* private: the storage the cells point into */
} CsvTable;

/* name is used in messages (the path, or "-"). */
int csv_read_table(FILE *f, const char *name, CsvTable **ret, char **reterr_msg);
/* The same from a path, "-" being standard input; a file that cannot be opened is
 * "cannot open 'PATH': <reason>" with its -errno. */
int csv_read_path(const char *path, CsvTable **ret, char **reterr_msg);
CsvTable *csv_table_free(CsvTable *t);
DEFINE_FREEP(CsvTable, csv_table_free)

/* All cells as numbers, row-major (*ret_x caller-freed, n_rows * n_cols). */
int csv_table_numbers(const CsvTable *t, const char *name, CsvImpute impute, double **ret_x,
                      char **reterr_msg);

/* A numeric CSV read straight into doubles. */
typedef struct CsvNumbers {
        size_t n_rows; /* data rows, the header excluded; at least 1 */
        size_t n_cols;
        char **header; /* n_cols names, or NULL when the file has none */
        double *x;     /* n_rows * n_cols, row-major, finite (missing cells imputed) */
} CsvNumbers;

/* csv_read_table() + csv_table_numbers() in one pass: the same numbers, bit for bit, and on
 * failure the same return value and message, without the text cells (name as there). */
int csv_read_numbers(FILE *f, const char *name, CsvImpute impute, CsvNumbers **ret,
                     char **reterr_msg);
/* The same from a path, "-" being standard input, as csv_read_path(). */
int csv_read_numbers_path(const char *path, CsvImpute impute, CsvNumbers **ret, char **reterr_msg);
CsvNumbers *csv_numbers_free(CsvNumbers *c);
DEFINE_FREEP(CsvNumbers, csv_numbers_free)

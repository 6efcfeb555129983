/* Reading users' numeric CSV files (`aiops detect outliers --input X.csv`, `aiops detect
 * stream --input series.csv`). The input is untrusted: any bytes, any size up to a limit.
 * RFC 4180 quoting is accepted; a first row that is not numeric is the header; every error
 * names the line and the column ("X.csv:17: column 3: 'abc' is not a number"); ragged rows,
 * an empty file and (unless imputed) empty or NaN cells are errors. (being written) */
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
} CsvTable;

/* name is used in messages (the path, or "-"). */
int csv_read_table(FILE *f, const char *name, CsvTable **ret, char **reterr_msg);
CsvTable *csv_table_free(CsvTable *t);
DEFINE_FREEP(CsvTable, csv_table_free)

/* All cells as numbers, row-major (*ret_x caller-freed, n_rows * n_cols). */
int csv_table_numbers(const CsvTable *t, const char *name, CsvImpute impute, double **ret_x,
                      char **reterr_msg);

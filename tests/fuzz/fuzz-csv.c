/* Feeds arbitrary bytes to the CSV reader (csv.h) and, when they read as a table, converts
 * it with every imputation: each call must either succeed with a consistent table and finite
 * numbers or fail with a message, never crash, leak or read out of bounds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ uint8_t *copy = xmemdup(data, size ? size : 1);
        _cleanup_fclose_ FILE *f = fmemopen(copy, size ? size : 1, "r");
        _cleanup_(csv_table_freep) CsvTable *t = NULL;
        _cleanup_free_ char *err = NULL;

        if (!f || size == 0)
                return 0;
        int r = csv_read_table(f, "fuzz.csv", &t, &err);
        if (r < 0) {
                if (!err || strncmp(err, "fuzz.csv", 8) != 0)
                        abort();
                return 0;
        }
        if (t->n_rows == 0 || t->n_cols == 0 || t->n_cols > CSV_MAX_COLUMNS)
                abort();
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                if (strlen(t->cells[i]) > size)
                        abort();
        for (size_t i = 1; i < t->n_rows; i++)
                if (t->line_of[i] <= t->line_of[i - 1])
                        abort();
        for (int how = CSV_IMPUTE_NONE; how <= CSV_IMPUTE_ZERO; how++) {
                _cleanup_free_ double *x = NULL;
                _cleanup_free_ char *nerr = NULL;
                r = csv_table_numbers(t, "fuzz.csv", (CsvImpute) how, &x, &nerr);
                if (r < 0) {
                        if (!nerr || x)
                                abort();
                        continue;
                }
                for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                        if (!isfinite(x[i]))
                                abort();
        }
        return 0;
}

/* Feeds arbitrary bytes to both CSV readers of csv.h, csv_read_numbers() and the two-step
 * csv_read_table() + csv_table_numbers(), with every imputation: they must agree, the same
 * return value and message on failure, the same shape, header and numbers (bit for bit) on
 * success, and never crash, leak or read out of bounds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *open_bytes(uint8_t *copy, size_t size)
{
        return fmemopen(copy, size, "r");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0; /* fmemopen() refuses an empty buffer */
        _cleanup_free_ uint8_t *copy = xmemdup(data, size);

        for (int how = CSV_IMPUTE_NONE; how <= CSV_IMPUTE_ZERO; how++) {
                _cleanup_fclose_ FILE *f1 = open_bytes(copy, size);
                _cleanup_fclose_ FILE *f2 = open_bytes(copy, size);
                _cleanup_(csv_table_freep) CsvTable *t = NULL;
                _cleanup_(csv_numbers_freep) CsvNumbers *c = NULL;
                _cleanup_free_ double *x = NULL;
                _cleanup_free_ char *terr = NULL, *nerr = NULL;

                if (!f1 || !f2)
                        return 0;
                int tr = csv_read_table(f1, "fuzz.csv", &t, &terr);
                if (tr >= 0)
                        tr = csv_table_numbers(t, "fuzz.csv", (CsvImpute) how, &x, &terr);
                int nr = csv_read_numbers(f2, "fuzz.csv", (CsvImpute) how, &c, &nerr);
                if (tr != nr)
                        abort();
                if (nr < 0) {
                        if (c || !terr || !nerr || strcmp(terr, nerr) != 0 ||
                            strncmp(nerr, "fuzz.csv", 8) != 0)
                                abort();
                        continue;
                }
                if (c->n_rows != t->n_rows || c->n_cols != t->n_cols || !c->header != !t->header)
                        abort();
                for (size_t j = 0; c->header && j < c->n_cols; j++)
                        if (strcmp(c->header[j], t->header[j]) != 0)
                                abort();
                for (size_t i = 0; i < c->n_rows * c->n_cols; i++)
                        if (memcmp(&c->x[i], &x[i], sizeof(double)) != 0 || !isfinite(c->x[i]))
                                abort();
        }
        return 0;
}

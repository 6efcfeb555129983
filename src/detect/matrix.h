/* The data the detection algorithms take: n points of d features, row-major doubles, owned
 * by the caller. Algorithms never keep a pointer into it after they return (a fitted model
 * copies what it needs). Values are finite: the readers (csv.h) reject or impute NaN and
 * infinities before anything reaches an algorithm. */
#pragma once

#include <stddef.h>

typedef struct Matrix {
        size_t n;        /* points (rows) */
        size_t d;        /* features (columns) */
        const double *x; /* n * d values; point i is x[i * d .. i * d + d) */
} Matrix;

static inline const double *matrix_row(const Matrix *m, size_t i)
{
        return m->x + i * m->d;
}

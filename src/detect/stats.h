/* Small order statistics shared by the detectors and their commands. */
#pragma once

#include <stddef.h>

/* qsort() comparison of doubles, ascending (no NaN expected). */
int stats_cmp_double(const void *a, const void *b);
/* The median of v[0..n) (n > 0); sorts v in place. */
double stats_median_sort(double *v, size_t n);
/* The median of an ascending v[0..n) (n > 0). */
double stats_median_sorted(const double *v, size_t n);

#include "detect/stats.h"

#include <stdlib.h>

int stats_cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

double stats_median_sorted(const double *v, size_t n)
{
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double stats_median_sort(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), stats_cmp_double);
        return stats_median_sorted(v, n);
}

#include "agent/quantize.h"

#include <math.h>
#include <string.h>

static int endswith(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int quantize_decimals(const char *name)
{
        if (endswith(name, "_seconds_per_second")) /* a share of time: 0.01 % */
                return 4;
        if (endswith(name, "_percent") || endswith(name, "_per_second"))
                return 2;
        if (endswith(name, "_seconds") || endswith(name, "_seconds_total"))
                return 6;
        if (strncmp(name, "host_load", 9) == 0)
                return 2;
        return -1;
}

double quantize(double v, int decimals)
{
        static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

        if (decimals < 0 || decimals > 6 || !isfinite(v) || v == floor(v))
                return v;
        double s = scale[decimals];
        /* Past 2^53 / scale the rounding would be coarser than the value's own precision. */
        if (fabs(v) * s >= 9007199254740992.0)
                return v;
        return round(v * s) / s;
}

/* The resolution at which metrics are stored. A CPU share of 87.43718592964824 % carries no
 * more information for an operator than 87.44 %, but its full mantissa costs ~7 bytes in a
 * Gorilla chunk where 87.44 costs ~2 with the chunk's decimal mode (store/chunk.h). So each
 * value is rounded to a fixed number of decimals chosen by the metric's unit suffix, always
 * well below the precision of the kernel counter it came from:
 *
 *   _percent            2 decimals (0.01 %)
 *   _seconds            6 decimals (1 µs), also _seconds_total
 *   _seconds_per_second 4 decimals (a share of time: 0.01 %)
 *   _per_second         2 decimals
 *   load averages       2 decimals (the kernel prints 2)
 *   anything else       unchanged (bytes, counts and totals are integers already)
 *
 * Integers, NaN and infinities pass through unchanged. */
#pragma once

/* The number of decimals `name` is stored with, or -1 for "as is". */
int quantize_decimals(const char *name);
/* v rounded to `decimals` decimals (half away from zero); v itself for decimals < 0. */
double quantize(double v, int decimals);

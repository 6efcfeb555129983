/* xoshiro256** (rng.h). */
#include "detect/rng.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/alloc.h"

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

void rng_seed(Rng *r, uint64_t seed)
{
        for (int i = 0; i < 4; i++)
                r->s[i] = splitmix64(&seed);
}

uint64_t rng_next(Rng *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

uint64_t rng_below(Rng *r, uint64_t n)
{
        assert(n > 0);
        /* Lemire's rejection on the 128-bit product. */
        unsigned __int128 m = (unsigned __int128) rng_next(r) * n;
        uint64_t lo = (uint64_t) m;
        if (lo < n) {
                uint64_t t = -n % n;
                while (lo < t) {
                        m = (unsigned __int128) rng_next(r) * n;
                        lo = (uint64_t) m;
                }
        }
        return (uint64_t) (m >> 64);
}

double rng_double(Rng *r)
{
        return (double) (rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_uniform(Rng *r, double lo, double hi)
{
        return lo + (hi - lo) * rng_double(r);
}

void rng_sample(Rng *r, size_t n, size_t k, size_t *out)
{
        assert(k <= n);
        if (k * 4 < n) {
                /* Floyd: k draws, a linear membership check (k is small here) */
                size_t m = 0;
                for (size_t j = n - k; j < n; j++) {
                        size_t t = (size_t) rng_below(r, j + 1);
                        bool seen = false;
                        for (size_t i = 0; i < m && !seen; i++)
                                seen = out[i] == t;
                        out[m++] = seen ? j : t;
                }
                /* Floyd's order is not uniform: shuffle */
                for (size_t i = m; i > 1; i--) {
                        size_t j = (size_t) rng_below(r, i);
                        size_t tmp = out[i - 1];
                        out[i - 1] = out[j];
                        out[j] = tmp;
                }
                return;
        }
        size_t *idx = xnew(size_t, n ? n : 1);
        for (size_t i = 0; i < n; i++)
                idx[i] = i;
        for (size_t i = 0; i < k; i++) {
                size_t j = i + (size_t) rng_below(r, n - i);
                size_t tmp = idx[i];
                idx[i] = idx[j];
                idx[j] = tmp;
                out[i] = idx[i];
        }
        free(idx);
}

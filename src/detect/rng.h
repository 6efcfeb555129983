/* A small deterministic random number generator for the algorithms (xoshiro256**, Blackman
 * and Vigna 2018, seeded through splitmix64): the same seed gives the same trees, samples and
 * centroids on every machine. Not for anything secret. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct Rng {
        uint64_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t rng_below(Rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 random bits. */
double rng_double(Rng *r);
/* Uniform in [lo, hi). */
double rng_uniform(Rng *r, double lo, double hi);
/* k distinct indices of [0, n) (k <= n) into out, in random order (partial Fisher-Yates over
 * a scratch array of n indices, or Floyd's method when k is small against n). */
void rng_sample(Rng *r, size_t n, size_t k, size_t *out);

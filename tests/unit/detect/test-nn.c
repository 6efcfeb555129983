#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/nn.h"
#include "detect/rng.h"
#include "test-util.h"

/* The reference: every distance, sorted by (squared distance, index), computed the way nn.h
 * promises (sum over the dimensions in order of (q_j - p_j)^2). */
typedef struct Pair {
        double dd;
        size_t id;
} Pair;

static int cmp_pair(const void *a, const void *b)
{
        const Pair *x = a, *y = b;
        if (x->dd != y->dd)
                return x->dd < y->dd ? -1 : 1;
        return (x->id > y->id) - (x->id < y->id);
}

static void brute(const Matrix *x, const double *q, size_t exclude, size_t k, size_t *ret_idx,
                  double *ret_dist)
{
        Pair *p = xnew(Pair, x->n);
        size_t m = 0;

        for (size_t i = 0; i < x->n; i++) {
                if (i == exclude)
                        continue;
                double s = 0.0;
                for (size_t j = 0; j < x->d; j++) {
                        double df = q[j] - matrix_row(x, i)[j];
                        s += df * df;
                }
                p[m++] = (Pair){s, i};
        }
        qsort(p, m, sizeof(*p), cmp_pair);
        for (size_t j = 0; j < k; j++) {
                ret_idx[j] = p[j].id;
                ret_dist[j] = sqrt(p[j].dd);
        }
        free(p);
}

/* values: 0 continuous normal-ish, else integers in [0, grid) (many exact ties) */
static double *make_data(Rng *r, size_t n, size_t d, unsigned grid)
{
        double *v = xnew(double, n *d);
        for (size_t i = 0; i < n * d; i++) {
                if (grid)
                        v[i] = (double) rng_below(r, grid);
                else
                        v[i] = rng_double(r) + rng_double(r) + rng_double(r) - 1.5;
        }
        return v;
}

/* The full sorted neighbour lists of every point (n - 1 each with exclude_self, else n),
 * computed once per data set and compared with every k and both engines. */
typedef struct Ref {
        size_t m;
        size_t *idx;
        double *dist;
} Ref;

static Ref ref_new(const Matrix *x, bool exclude_self, size_t step)
{
        Ref ref = {.m = exclude_self ? x->n - 1 : x->n};
        ref.idx = xnew(size_t, x->n * ref.m);
        ref.dist = xnew(double, x->n *ref.m);
        for (size_t i = 0; i < x->n; i += step)
                brute(x, matrix_row(x, i), exclude_self ? i : SIZE_MAX, ref.m, ref.idx + i * ref.m,
                      ref.dist + i * ref.m);
        return ref;
}

static void ref_done(Ref *ref)
{
        free(ref->idx);
        free(ref->dist);
}

static void check_all(const Matrix *x, const Ref *ref, size_t step, NnAlgorithm alg, size_t k,
                      bool exclude_self)
{
        NnIndex *idx = NULL;
        size_t *gi = xnew(size_t, x->n * k);
        double *gd = xnew(double, x->n *k);

        assert_int_equal(nn_build_with(x, alg, &idx), 0);
        assert_int_equal(nn_query_all(idx, k, exclude_self, gi, gd, NULL), 0);
        for (size_t i = 0; i < x->n; i += step)
                for (size_t j = 0; j < k; j++) {
                        assert_int_equal(gi[i * k + j], ref->idx[i * ref->m + j]);
                        assert_true(gd[i * k + j] == ref->dist[i * ref->m + j]);
                }
        nn_free(idx);
        free(gi);
        free(gd);
}

static void check_queries(const Matrix *x, NnAlgorithm alg, Rng *r, size_t k, unsigned grid)
{
        NnIndex *idx = NULL;
        size_t gi[64], wi[64];
        double gd[64], wd[64];

        assert_true(k <= 64);
        assert_int_equal(nn_build_with(x, alg, &idx), 0);
        for (int t = 0; t < 20; t++) {
                double *q = make_data(r, 1, x->d, grid);
                assert_int_equal(nn_query(idx, q, k, gi, gd, NULL), 0);
                brute(x, q, SIZE_MAX, k, wi, wd);
                for (size_t j = 0; j < k; j++) {
                        assert_int_equal(gi[j], wi[j]);
                        assert_true(gd[j] == wd[j]);
                }
                free(q);
        }
        nn_free(idx);
}

/* Both engines against the reference on random data: many seeds, sizes around the leaf size
 * and well above it, several dimensions, continuous values and coarse grids (duplicates and
 * equal distances everywhere, where only the index decides). */
static void test_nn_matches_brute_force(void **state)
{
        static const size_t dims[] = {1, 2, 3, 5, 8, 16, 30};
        static const size_t sizes[] = {2, 7, 33, 100, 257};
        static const unsigned grids[] = {0, 2, 5};
        Rng r;

        (void) state;
        for (uint64_t seed = 0; seed < 2; seed++)
                for (size_t a = 0; a < ELEMENTSOF(dims); a++)
                        for (size_t b = 0; b < ELEMENTSOF(sizes); b++)
                                for (size_t g = 0; g < ELEMENTSOF(grids); g++) {
                                        size_t n = sizes[b], d = dims[a];
                                        rng_seed(&r, seed * 1000 + a * 100 + b * 10 + g);
                                        double *v = make_data(&r, n, d, grids[g]);
                                        Matrix x = {n, d, v};
                                        Ref re = ref_new(&x, true, 1), ri = ref_new(&x, false, 1);
                                        size_t ks[] = {1, MIN(5, n - 1), n - 1};
                                        for (size_t ki = 0; ki < ELEMENTSOF(ks); ki++)
                                                for (int alg = NN_KDTREE; alg <= NN_BRUTE; alg++) {
                                                        check_all(&x, &re, 1, alg, ks[ki], true);
                                                        check_all(&x, &ri, 1, alg, ks[ki], false);
                                                        check_queries(&x, alg, &r, MIN(ks[ki], 64),
                                                                      grids[g]);
                                                }
                                        ref_done(&re);
                                        ref_done(&ri);
                                        free(v);
                                }
}

/* A deeper tree: 3,000 points in 3 dimensions, k = 20 as LOF uses it. */
static void test_nn_large(void **state)
{
        Rng r;

        (void) state;
        for (uint64_t seed = 0; seed < 3; seed++) {
                rng_seed(&r, seed);
                double *v = make_data(&r, 3000, 3, seed == 2 ? 20 : 0);
                Matrix x = {3000, 3, v};
                Ref re = ref_new(&x, true, 13);
                check_all(&x, &re, 13, NN_KDTREE, 20, true);
                check_all(&x, &re, 13, NN_BRUTE, 20, true);
                ref_done(&re);
                check_queries(&x, NN_KDTREE, &r, 20, seed == 2 ? 20 : 0);
                free(v);
        }
}

/* 300 copies of one point: every neighbour is at distance 0, and the nearest are the
 * smallest indices other than the point itself (a duplicate is a neighbour, the point is
 * not, as in scikit-learn's kneighbors() without X). */
static void test_nn_all_duplicates(void **state)
{
        double v[300 * 2];
        size_t gi[300 * 4];
        double gd[300 * 4];
        NnIndex *idx = NULL;

        (void) state;
        for (size_t i = 0; i < 600; i++)
                v[i] = 3.25;
        Matrix x = {300, 2, v};
        for (int alg = NN_KDTREE; alg <= NN_BRUTE; alg++) {
                assert_int_equal(nn_build_with(&x, alg, &idx), 0);
                assert_int_equal(nn_query_all(idx, 4, true, gi, gd, NULL), 0);
                assert_int_equal(gi[0 * 4 + 0], 1);
                assert_int_equal(gi[0 * 4 + 3], 4);
                assert_int_equal(gi[2 * 4 + 0], 0);
                assert_int_equal(gi[2 * 4 + 1], 1);
                assert_int_equal(gi[2 * 4 + 2], 3);
                assert_int_equal(gi[299 * 4 + 3], 3);
                for (size_t i = 0; i < 300 * 4; i++)
                        assert_true(gd[i] == 0.0);
                assert_int_equal(nn_query_all(idx, 4, false, gi, gd, NULL), 0);
                assert_int_equal(gi[2 * 4 + 2], 2); /* itself, at its index rank */
                idx = nn_free(idx);
        }
}

/* Hand-checked: points 0, 1, 3, 7 on a line. */
static void test_nn_line(void **state)
{
        const double v[] = {0, 1, 3, 7};
        Matrix x = {4, 1, v};
        NnIndex *idx = NULL;
        size_t gi[8];
        double gd[8];

        (void) state;
        assert_int_equal(nn_build(&x, &idx), 0);
        assert_int_equal(nn_size(idx), 4);
        assert_int_equal(nn_dim(idx), 1);
        assert_int_equal(nn_algorithm(idx), NN_KDTREE);
        assert_int_equal(nn_query_all(idx, 2, true, gi, gd, NULL), 0);
        /* 0: 1 (1), 3 (3); 1: 0 (1), 3 (2); 3: 1 (2), 0 (3); 7: 3 (4), 1 (6) */
        const size_t wi[] = {1, 2, 0, 2, 1, 0, 2, 1};
        const double wd[] = {1, 3, 1, 2, 2, 3, 4, 6};
        for (size_t i = 0; i < 8; i++) {
                assert_int_equal(gi[i], wi[i]);
                assert_true(gd[i] == wd[i]);
        }
        const double q[] = {4.5};
        assert_int_equal(nn_query(idx, q, 4, gi, gd, NULL), 0);
        assert_int_equal(gi[0], 2); /* 1.5 */
        assert_int_equal(gi[1], 3); /* 2.5 */
        assert_int_equal(gi[2], 1); /* 3.5 */
        assert_int_equal(gi[3], 0); /* 4.5 */
        assert_true(gd[3] == 4.5);
        nn_free(idx);
}

static void test_nn_errors(void **state)
{
        const double v[] = {0, 1, 3};
        Matrix x = {3, 1, v}, empty = {0, 1, v};
        _cleanup_(nn_freep) NnIndex *idx = NULL;
        size_t gi[16];
        double gd[16];
        char *msg = NULL;

        (void) state;
        assert_int_equal(nn_build(&empty, &idx), -EINVAL);
        assert_null(idx);
        assert_int_equal(nn_build(&x, &idx), 0);
        assert_int_equal(nn_query_all(idx, 3, true, gi, gd, &msg), -EINVAL);
        assert_non_null(strstr(msg, "below the number of points"));
        free(msg), msg = NULL;
        assert_int_equal(nn_query_all(idx, 0, true, gi, gd, &msg), -EINVAL);
        assert_non_null(strstr(msg, "at least 1"));
        free(msg), msg = NULL;
        assert_int_equal(nn_query_all(idx, 2, true, gi, gd, NULL), 0);
        assert_int_equal(nn_query_all(idx, 3, false, gi, gd, NULL), 0);
        assert_int_equal(nn_query_all(idx, 4, false, gi, gd, &msg), -EINVAL);
        assert_non_null(strstr(msg, "at most"));
        free(msg), msg = NULL;
        assert_int_equal(nn_query(idx, v, 4, gi, gd, &msg), -EINVAL);
        free(msg), msg = NULL;
        assert_int_equal(nn_query(idx, v, 3, gi, gd, NULL), 0);

        /* one point: nothing to exclude it from */
        Matrix one = {1, 1, v};
        _cleanup_(nn_freep) NnIndex *i1 = NULL;
        assert_int_equal(nn_build(&one, &i1), 0);
        assert_int_equal(nn_query_all(i1, 1, true, gi, gd, NULL), -EINVAL);
        assert_int_equal(nn_query_all(i1, 1, false, gi, gd, NULL), 0);
        assert_int_equal(gi[0], 0);
}

/* nn_query_all() on an index of the engine alg run on threads threads, against the
 * reference for every step-th point. */
static void check_engine(const Matrix *x, NnAlgorithm alg, unsigned threads, size_t k,
                         bool exclude_self, size_t step);

/* Every Gram kernel this CPU has, on the brute engine. */
static void check_kernels(const Matrix *x, size_t k, size_t step)
{
        for (int kern = NN_KERNEL_C; kern < _NN_KERNEL_MAX; kern++) {
                NnIndex *idx = NULL;
                size_t *gi = xnew(size_t, x->n * k), *wi = xnew(size_t, k);
                double *gd = xnew(double, x->n *k), *wd = xnew(double, k);

                assert_int_equal(nn_build_with(x, NN_BRUTE, &idx), 0);
                int r = nn_set_kernel(idx, kern);
                if (r == -EOPNOTSUPP) {
                        print_message("nn: kernel %d not on this CPU, not tested\n", kern);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(nn_query_all(idx, k, true, gi, gd, NULL), 0);
                        for (size_t i = 0; i < x->n; i += step) {
                                brute(x, matrix_row(x, i), i, k, wi, wd);
                                for (size_t j = 0; j < k; j++) {
                                        assert_int_equal(gi[i * k + j], wi[j]);
                                        assert_true(gd[i * k + j] == wd[j]);
                                }
                        }
                }
                nn_free(idx);
                free(gi);
                free(wi);
                free(gd);
                free(wd);
        }
}

static void check_engine(const Matrix *x, NnAlgorithm alg, unsigned threads, size_t k,
                         bool exclude_self, size_t step)
{
        NnIndex *idx = NULL;
        size_t *gi = xnew(size_t, x->n * k), *wi = xnew(size_t, k);
        double *gd = xnew(double, x->n *k), *wd = xnew(double, k);

        assert_int_equal(nn_build_with(x, alg, &idx), 0);
        nn_set_threads(idx, threads);
        assert_int_equal(nn_threads(idx), threads ? threads : nn_threads(idx));
        assert_int_equal(nn_query_all(idx, k, exclude_self, gi, gd, NULL), 0);
        for (size_t i = 0; i < x->n; i += step) {
                brute(x, matrix_row(x, i), exclude_self ? i : SIZE_MAX, k, wi, wd);
                for (size_t j = 0; j < k; j++) {
                        assert_int_equal(gi[i * k + j], wi[j]);
                        assert_true(gd[i * k + j] == wd[j]);
                }
        }
        nn_free(idx);
        free(gi);
        free(wi);
        free(gd);
        free(wd);
}

/* Both engines and several thread counts on the same data; n is no multiple of the
 * kernel's tiles (4 queries, 32 points) nor of the threads' chunks. */
static void check_everything(const Matrix *x, size_t k, size_t step)
{
        static const unsigned threads[] = {1, 2, 3};

        for (size_t t = 0; t < ELEMENTSOF(threads); t++) {
                check_engine(x, NN_BRUTE, threads[t], k, true, step);
                check_engine(x, NN_BRUTE, threads[t], k, false, step);
        }
        check_engine(x, NN_KDTREE, 2, k, true, step);
        check_engine(x, NN_AUTO, 0, k, true, step);
        check_kernels(x, k, step);
}

/* 16-dimensional Gaussian-like data, where the tree prunes little: the sampled choice
 * takes brute force, whose Gram kernel must give exactly the tree's (and the
 * reference's) neighbours and distances; low-dimensional data keeps the tree. */
static void test_nn_gram_random(void **state)
{
        static const size_t sizes[] = {601, 1030};
        NnIndex *idx = NULL;
        Rng r;

        (void) state;
        for (size_t a = 0; a < ELEMENTSOF(sizes); a++) {
                rng_seed(&r, 40 + a);
                double *v = make_data(&r, sizes[a], 16, 0);
                Matrix x = {sizes[a], 16, v};
                assert_int_equal(nn_build(&x, &idx), 0);
                assert_int_equal(nn_algorithm(idx), NN_BRUTE);
                idx = nn_free(idx);
                check_everything(&x, 5, 7);
                check_everything(&x, 20, 11);
                free(v);
        }
        rng_seed(&r, 44);
        double *v = make_data(&r, 3000, 2, 0);
        Matrix x = {3000, 2, v};
        assert_int_equal(nn_build(&x, &idx), 0);
        assert_int_equal(nn_algorithm(idx), NN_KDTREE);
        idx = nn_free(idx);
        free(v);
}

/* k = n - 1 (every other point, the farthest last) and k = n, through the Gram filter with
 * thresholds that stay infinite until the lists fill up. */
static void test_nn_gram_all_neighbours(void **state)
{
        Rng r;

        (void) state;
        rng_seed(&r, 45);
        double *v = make_data(&r, 131, 16, 0);
        Matrix x = {131, 16, v};
        for (unsigned t = 1; t <= 2; t++) {
                check_engine(&x, NN_BRUTE, t, 130, true, 1);
                check_engine(&x, NN_BRUTE, t, 131, false, 1);
        }
        free(v);
}

/* Near-duplicates: each base point repeated with its coordinates moved by 0 to 3 ulps, so
 * that many squared distances differ in the last bits only (and many are equal, where the
 * index decides): the approximate Gram distances cannot order them, the direct ones must.
 * Then exact duplicates of one point. */
static void test_nn_gram_near_duplicates(void **state)
{
        const size_t n = 600, d = 16;
        double *v = xnew(double, n *d);
        Rng r;

        (void) state;
        rng_seed(&r, 46);
        double *base = make_data(&r, 50, d, 0);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < d; j++) {
                        double b = base[(i % 50) * d + j];
                        unsigned ulps = (unsigned) rng_below(&r, 4);
                        for (unsigned u = 0; u < ulps; u++)
                                b = nextafter(b, HUGE_VAL);
                        v[i * d + j] = b;
                }
        Matrix x = {n, d, v};
        check_everything(&x, 5, 1);
        check_everything(&x, 20, 3);

        /* every third point one and the same, among scattered ones: more than k exact
         * duplicates, met in tree order, not index order */
        for (size_t i = 0; i < n; i += 3)
                for (size_t j = 0; j < d; j++)
                        v[i * d + j] = 0.25;
        check_everything(&x, 5, 1);
        check_everything(&x, 20, 2);
        free(base);
        free(v);
}

/* Large coordinates, where ||q||^2 + ||p||^2 - 2 q.p cancels badly: unit spread around
 * 1e8 (centring helps), two clusters 1e8 apart (it cannot: the norms stay ~1e16 and the
 * Gram form's error, ~1e0, exceeds the distances inside a cluster, so the filter must
 * let the candidates through by its error bound), and coordinates near 1e151 whose norms
 * could overflow (the filter is off, brute force ranks with the direct formula only), or
 * near the largest double (the mean must not overflow; the squared distances do, to
 * infinity, and every neighbour ties).
 * Tiny coordinates (1e-160, whose squares underflow) check the bound's absolute slack. */
static void test_nn_gram_large_and_tiny(void **state)
{
        static const double offsets[] = {1e8, 0.0, 0.0, 1e151, 1e308, 0.0};
        static const double spreads[] = {1.0, 1e-3, 1e-3, 1e150, 1e295, 1e-160};
        const size_t n = 401, d = 16;
        double *v = xnew(double, n *d);
        Rng r;

        (void) state;
        for (size_t c = 0; c < ELEMENTSOF(offsets); c++) {
                rng_seed(&r, 47 + c);
                for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; j < d; j++) {
                                double off = offsets[c];
                                if (c == 1 && i % 2 == 1)
                                        off = 1e8; /* two clusters: 0 and 1e8 */
                                if (c == 2)
                                        off = j == 0 ? 1e8 * (double) (i % 3) : -3e7;
                                v[i * d + j] = off + spreads[c] * (rng_double(&r) - 0.5);
                        }
                Matrix x = {n, d, v};
                check_everything(&x, 5, 3);
                check_everything(&x, 20, 7);
        }
        free(v);
}

/* New points (novelty mode) through the brute engine: data in two clusters 1e8 apart (the
 * norms stay large after centring), queries inside a cluster and between them. */
static void test_nn_gram_query(void **state)
{
        const size_t n = 500, d = 16;
        NnIndex *idx = NULL;
        size_t gi[20], wi[20];
        double gd[20], wd[20], q[16];
        Rng r;

        (void) state;
        rng_seed(&r, 53);
        double *v = make_data(&r, n, d, 0);
        for (size_t i = 0; i < n * d; i++)
                v[i] = v[i] * 1e-3 + (i / d % 2 ? 1e8 : 0.0);
        Matrix x = {n, d, v};
        assert_int_equal(nn_build_with(&x, NN_BRUTE, &idx), 0);
        for (int t = 0; t < 30; t++) {
                for (size_t j = 0; j < d; j++)
                        q[j] = (t % 3 == 0   ? 1e8
                                : t % 3 == 1 ? 0.0
                                             : 5e7) +
                               1e-3 * (rng_double(&r) - 0.5);
                assert_int_equal(nn_query(idx, q, 20, gi, gd, NULL), 0);
                brute(&x, q, SIZE_MAX, 20, wi, wd);
                for (size_t j = 0; j < 20; j++) {
                        assert_int_equal(gi[j], wi[j]);
                        assert_true(gd[j] == wd[j]);
                }
        }
        /* far out: the filter would overflow (1e150), the distances do (1e200) */
        for (int t = 0; t < 2; t++) {
                for (size_t j = 0; j < d; j++)
                        q[j] = t ? 1e200 : -1e150 * (double) j;
                assert_int_equal(nn_query(idx, q, 20, gi, gd, NULL), 0);
                brute(&x, q, SIZE_MAX, 20, wi, wd);
                for (size_t j = 0; j < 20; j++) {
                        assert_int_equal(gi[j], wi[j]);
                        assert_true(gd[j] == wd[j]);
                }
        }
        nn_free(idx);
        free(v);
}

static void test_nn_threads(void **state)
{
        const double v[] = {0, 1, 3, 7};
        Matrix x = {4, 1, v};
        _cleanup_(nn_freep) NnIndex *idx = NULL;

        (void) state;
        assert_int_equal(nn_build(&x, &idx), 0);
        assert_true(nn_threads(idx) >= 1); /* the online CPUs */
        assert_true(nn_threads(idx) <= NN_MAX_THREADS);
        nn_set_threads(idx, 3);
        assert_int_equal(nn_threads(idx), 3);
        nn_set_threads(idx, 100000);
        assert_int_equal(nn_threads(idx), NN_MAX_THREADS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nn_line),
                cmocka_unit_test(test_nn_errors),
                cmocka_unit_test(test_nn_all_duplicates),
                cmocka_unit_test(test_nn_large),
                cmocka_unit_test(test_nn_matches_brute_force),
                cmocka_unit_test(test_nn_threads),
                cmocka_unit_test(test_nn_gram_random),
                cmocka_unit_test(test_nn_gram_all_neighbours),
                cmocka_unit_test(test_nn_gram_near_duplicates),
                cmocka_unit_test(test_nn_gram_large_and_tiny),
                cmocka_unit_test(test_nn_gram_query),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

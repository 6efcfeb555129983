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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nn_line),
                cmocka_unit_test(test_nn_errors),
                cmocka_unit_test(test_nn_all_duplicates),
                cmocka_unit_test(test_nn_large),
                cmocka_unit_test(test_nn_matches_brute_force),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

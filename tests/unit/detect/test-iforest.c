#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/iforest.h"
#include "detect/rng.h"
#include "test-util.h"

/* c(n) = 2 (ln(n - 1) + 0.5772156649) - 2 (n - 1) / n (Liu et al. 2008, eq. 1), by hand:
 * c(3) = 2 (0.6931471806 + 0.5772156649) - 4/3 = 2.5407256910 - 1.3333333333 = 1.2073923576;
 * c(256) = 2 (5.5412635452 + 0.5772156649) - 510/256 = 12.2369584202 - 1.9921875
 * = 10.2447709202; c(2) = 1 and
 * c(1) = c(0) = 0 by definition. */
static void test_iforest_c(void **state)
{
        (void) state;
        assert_true(iforest_c(0) == 0);
        assert_true(iforest_c(1) == 0);
        assert_true(iforest_c(2) == 1);
        assert_true(fabs(iforest_c(3) - 1.2073923576) < 1e-9);
        assert_true(fabs(iforest_c(256) - 10.2447709201) < 1e-9);
}

/* A 14 x 14 grid in [0, 1.3]^2 and two far points, which must score highest. */
static double *toy(size_t *ret_n)
{
        size_t n = 14 * 14 + 2, i = 0;
        double *x = xnew(double, 2 * n);

        for (int a = 0; a < 14; a++)
                for (int b = 0; b < 14; b++) {
                        x[2 * i] = a * 0.1;
                        x[2 * i + 1] = b * 0.1;
                        i++;
                }
        x[2 * i] = 10, x[2 * i + 1] = 10, i++;
        x[2 * i] = -8, x[2 * i + 1] = 9, i++;
        *ret_n = n;
        return x;
}

static void test_iforest_outliers_highest(void **state)
{
        size_t n;
        _cleanup_free_ double *x = toy(&n);
        _cleanup_free_ double *s = xnew(double, n);
        Matrix m = {.n = n, .d = 2, .x = x};
        OutlierOptions o;

        (void) state;
        outlier_options_init(&o);
        for (uint64_t seed = 0; seed < 5; seed++) {
                o.seed = seed;
                assert_int_equal(iforest_score_matrix(&m, &o, s, NULL), 0);
                double inlier_max = 0;
                for (size_t i = 0; i < n - 2; i++) {
                        assert_true(s[i] > 0 && s[i] <= 1);
                        inlier_max = fmax(inlier_max, s[i]);
                }
                assert_true(s[n - 2] > inlier_max);
                assert_true(s[n - 1] > inlier_max);
                /* isolated in about 1-2 splits: 2^(-~2/c(198)) is well above 0.7 */
                assert_true(s[n - 1] > 0.7);
        }
}

static void test_iforest_deterministic(void **state)
{
        size_t n;
        _cleanup_free_ double *x = toy(&n);
        _cleanup_free_ double *a = xnew(double, n);
        _cleanup_free_ double *b = xnew(double, n);
        _cleanup_free_ double *c = xnew(double, n);
        Matrix m = {.n = n, .d = 2, .x = x};
        OutlierOptions o;

        (void) state;
        outlier_options_init(&o);
        o.seed = 42;
        o.max_samples = 64;
        assert_int_equal(iforest_score_matrix(&m, &o, a, NULL), 0);
        assert_int_equal(iforest_score_matrix(&m, &o, b, NULL), 0);
        o.seed = 43;
        assert_int_equal(iforest_score_matrix(&m, &o, c, NULL), 0);
        assert_memory_equal(a, b, n * sizeof(double));
        assert_memory_not_equal(a, c, n * sizeof(double));
}

/* Constant data cannot be split: every tree is one leaf holding the whole sub-sample, so
 * h(x) = 0 + c(m) and the score is 2^(-c(m)/c(m)) = 0.5 exactly. With one point, c(1) = 0:
 * 0.5 by convention. With two distinct points, m = 2, the height limit is 1: each point is
 * alone at depth 1, h = 1 = c(2), 0.5 again. */
static void test_iforest_degenerate(void **state)
{
        static const double constant[] = {3, 1, 3, 1, 3, 1, 3, 1, 3, 1};
        static const double two[] = {0, 0, 1, 5};
        double s[5];
        OutlierOptions o;

        (void) state;
        outlier_options_init(&o);
        Matrix m = {.n = 5, .d = 2, .x = constant};
        assert_int_equal(iforest_score_matrix(&m, &o, s, NULL), 0);
        for (int i = 0; i < 5; i++) /* 100 additions of c(5) round a little */
                assert_true(fabs(s[i] - 0.5) < 1e-12);
        m.n = 1;
        assert_int_equal(iforest_score_matrix(&m, &o, s, NULL), 0);
        assert_true(s[0] == 0.5);
        m = (Matrix){.n = 2, .d = 2, .x = two};
        assert_int_equal(iforest_score_matrix(&m, &o, s, NULL), 0);
        assert_true(fabs(s[0] - 0.5) < 1e-12 && fabs(s[1] - 0.5) < 1e-12);
}

/* A constant column beside a varying one: the splits all use the varying one. */
static void test_iforest_constant_column(void **state)
{
        double x[2 * 51];
        double s[51];
        OutlierOptions o;

        (void) state;
        for (int i = 0; i < 51; i++) {
                x[2 * i] = 7;
                x[2 * i + 1] = i < 50 ? i * 0.01 : 100;
        }
        outlier_options_init(&o);
        o.max_features = 0.5; /* half the trees see only the constant column */
        Matrix m = {.n = 51, .d = 2, .x = x};
        assert_int_equal(iforest_score_matrix(&m, &o, s, NULL), 0);
        for (int i = 0; i < 50; i++)
                assert_true(s[50] > s[i]);
}

static void test_iforest_bad_options(void **state)
{
        double x[4] = {1, 2, 3, 4};
        double s[2];
        Matrix m = {.n = 2, .d = 2, .x = x};
        OutlierOptions o;
        char *err = NULL;

        (void) state;
        outlier_options_init(&o);
        o.n_estimators = 0;
        assert_int_equal(iforest_score_matrix(&m, &o, s, &err), -EINVAL);
        assert_non_null(err);
        free(err);
        err = NULL;
        outlier_options_init(&o);
        o.max_features = 0;
        assert_int_equal(iforest_score_matrix(&m, &o, s, &err), -EINVAL);
        assert_non_null(err);
        free(err);

        /* scoring points of another dimension */
        _cleanup_(iforest_freep) Iforest *f = NULL;
        outlier_options_init(&o);
        assert_int_equal(iforest_fit(&m, &o, &f, NULL), 0);
        Matrix other = {.n = 1, .d = 4, .x = x};
        assert_int_equal(iforest_score(f, &other, s), -EINVAL);
}

static void test_iforest_save_load(void **state)
{
        size_t n;
        _cleanup_free_ double *x = toy(&n);
        _cleanup_free_ double *a = xnew(double, n);
        _cleanup_free_ double *b = xnew(double, n);
        _cleanup_(iforest_freep) Iforest *f = NULL;
        _cleanup_(iforest_freep) Iforest *g = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        Matrix m = {.n = n, .d = 2, .x = x};
        OutlierOptions o;
        size_t size;

        (void) state;
        outlier_options_init(&o);
        o.n_estimators = 20;
        assert_int_equal(iforest_fit(&m, &o, &f, NULL), 0);
        iforest_save(f, &blob, &size);
        assert_int_equal(iforest_load(blob, size, &g, NULL), 0);
        assert_int_equal(iforest_dimensions(g), 2);
        assert_int_equal(iforest_score(f, &m, a), 0);
        assert_int_equal(iforest_score(g, &m, b), 0);
        assert_memory_equal(a, b, n * sizeof(double));
        g = iforest_free(g);

        char *err = NULL;
        assert_int_equal(iforest_load(blob, size - 1, &g, &err), -EBADMSG);
        assert_non_null(err);
        free(err);
        err = NULL;
        assert_int_equal(iforest_load(blob, 10, &g, NULL), -EBADMSG);
        blob[4] = 2; /* a future version */
        assert_int_equal(iforest_load(blob, size, &g, &err), -EPROTONOSUPPORT);
        free(err);
        err = NULL;
        blob[4] = 1;
        blob[0] = 'X';
        assert_int_equal(iforest_load(blob, size, &g, NULL), -EBADMSG);
        blob[0] = 'A';

        /* every single-byte corruption is either rejected or yields a model that scores
         * without reading out of bounds (ASan watches) */
        Rng r;
        rng_seed(&r, 1);
        size_t rejected = 0;
        for (int i = 0; i < 3000; i++) {
                size_t at = (size_t) rng_below(&r, size);
                uint8_t old = blob[at];
                blob[at] = (uint8_t) (old ^ (1u << rng_below(&r, 8)));
                if (iforest_load(blob, size, &g, NULL) < 0) {
                        rejected++;
                } else {
                        assert_int_equal(iforest_score(g, &m, b), 0);
                        g = iforest_free(g);
                }
                blob[at] = old;
        }
        assert_true(rejected > 0);
        assert_int_equal(iforest_load(blob, size, &g, NULL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_iforest_c),
                cmocka_unit_test(test_iforest_outliers_highest),
                cmocka_unit_test(test_iforest_deterministic),
                cmocka_unit_test(test_iforest_degenerate),
                cmocka_unit_test(test_iforest_constant_column),
                cmocka_unit_test(test_iforest_bad_options),
                cmocka_unit_test(test_iforest_save_load),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

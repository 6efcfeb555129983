#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/mahalanobis.h"
#include "detect/outlier.h"
#include "detect/rng.h"
#include "test-util.h"

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* By hand: the points (1,0), (-1,0), (0,2), (0,-2) have mean 0 and biased covariance
 * S = diag(2/4, 8/4) = diag(0.5, 2). Ledoit-Wolf (mahalanobis.h's formulas):
 *   trace = 2.5, mu = 1.25, |S|_F^2 = 0.25 + 4 = 4.25, sum |x|^4 = 1 + 1 + 16 + 16 = 34,
 *   beta = (34 / 4 - 4.25) / (2 * 4) = 0.53125,
 *   delta = (4.25 - 2 * 1.25 * 2.5 + 2 * 1.25^2) / 2 = 0.5625,
 *   shrinkage = 0.53125 / 0.5625 = 17/18,
 *   Sigma = S / 18 + (17/18) 1.25 I = diag(21.75 / 18, 23.25 / 18).
 * Distances: (1,0): sqrt(18 / 21.75) = 0.909717652294684;
 *            (3,4): sqrt(9 * 18 / 21.75 + 16 * 18 / 23.25) = 4.453692023059353.
 * (scikit-learn's LedoitWolf gives the same shrinkage 0.9444444444444444 and, through
 * sqrt(mahalanobis()), the same distances.) */
static void test_mahalanobis_hand_2d(void **state)
{
        double x[] = {1, 0, -1, 0, 0, 2, 0, -2};
        double q[] = {1, 0, 3, 4};
        double dist[2];
        Mahalanobis *m = NULL;

        (void) state;
        Matrix mx = {4, 2, x};
        assert_int_equal(mahalanobis_fit(&mx, &m, NULL), 0);
        assert_close(mahalanobis_shrinkage(m), 17.0 / 18.0, 1e-15);
        const double *cov = mahalanobis_covariance(m);
        assert_close(cov[0], 21.75 / 18, 1e-15);
        assert_close(cov[1], 0, 1e-15);
        assert_close(cov[2], 0, 1e-15);
        assert_close(cov[3], 23.25 / 18, 1e-15);
        assert_true(mahalanobis_ridge(m) == 0);
        Matrix mq = {2, 2, q};
        assert_int_equal(mahalanobis_score(m, &mq, dist), 0);
        assert_close(dist[0], 0.909717652294684, 1e-14);
        assert_close(dist[1], 4.453692023059353, 1e-14);
        mahalanobis_free(m);
}

/* Against scikit-learn 1.2.1 (Debian python3-sklearn), computed once with:
 *   /usr/bin/python3 -c 'import numpy as np; from sklearn.covariance import LedoitWolf;
 *     X = np.array([[1.,2.,0.5],[2.,1.,1.5],[3.,5.,-1.],[4.,3.,2.],[0.,-1.,0.],[2.5,2.,1.]]);
 *     lw = LedoitWolf().fit(X); print(lw.shrinkage_, lw.location_, lw.covariance_,
 *     lw.mahalanobis(X), lw.mahalanobis([[10.,0.,0.]]))'
 * mahalanobis() there is the squared distance. */
static void test_mahalanobis_sklearn_ledoit_wolf(void **state)
{
        static const double x[] = {1, 2, 0.5, 2, 1, 1.5, 3, 5, -1, 4, 3, 2, 0, -1, 0, 2.5, 2, 1};
        static const double cov_ref[9] = {
                1.911239134087988,   0.5548610702742068,   0.13451177461192895,
                0.5548610702742068,  2.4051495564911645,   -0.12610478869868338,
                0.13451177461192895, -0.12610478869868338, 1.690555753865292,
        };
        static const double mean_ref[3] = {2.0833333333333335, 2.0, 0.6666666666666666};
        static const double d2_ref[6] = {0.6608481623535263, 0.7807977320359247,
                                         5.172843006274175,  2.917890341952807,
                                         5.117910478451646,  0.14953898413865313};
        double mean[3], cov[9], shrinkage, scores[6];
        double q[3] = {10, 0, 0}, scratch[3];
        Mahalanobis *m = NULL;
        OutlierOptions o;

        (void) state;
        Matrix mx = {6, 3, x};
        mahalanobis_ledoit_wolf(&mx, mean, cov, &shrinkage);
        assert_close(shrinkage, 0.6973485071231599, 1e-13);
        for (size_t i = 0; i < 3; i++)
                assert_close(mean[i], mean_ref[i], 1e-14);
        for (size_t i = 0; i < 9; i++)
                assert_close(cov[i], cov_ref[i], 1e-13);

        outlier_options_init(&o);
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &mx, &o, scores, NULL), 0);
        for (size_t i = 0; i < 6; i++)
                assert_close(scores[i] * scores[i], d2_ref[i], 1e-12);

        assert_int_equal(mahalanobis_fit(&mx, &m, NULL), 0);
        double dq = mahalanobis_distance(m, q, scratch);
        assert_close(dq * dq, 42.446587507587765, 1e-10);
        assert_int_equal(mahalanobis_dimensions(m), 3);
        assert_close(mahalanobis_location(m)[0], mean_ref[0], 1e-14);
        mahalanobis_free(m);
}

static bool all_finite(const double *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isfinite(v[i]))
                        return false;
        return true;
}

/* Constant columns, d > n, one column, collinear columns, one point: no crash, finite. */
static void test_mahalanobis_degenerate(void **state)
{
        double scores[16];
        OutlierOptions o;
        Mahalanobis *m = NULL;

        (void) state;
        outlier_options_init(&o);

        /* a constant second column: the shrinkage makes Sigma definite; the far point wins */
        double c[] = {1, 5, 2, 5, 3, 5, 2, 5, 9, 5};
        Matrix mc = {5, 2, c};
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &mc, &o, scores, NULL), 0);
        assert_true(all_finite(scores, 5));
        for (size_t i = 0; i < 4; i++)
                assert_true(scores[4] > scores[i]);

        /* one column: the distance is |x - mean| / the population standard deviation;
         * {1, 2, 3, 4}: mean 2.5, variance 1.25 */
        double one[] = {1, 2, 3, 4};
        Matrix m1 = {4, 1, one};
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &m1, &o, scores, NULL), 0);
        assert_close(scores[0], 1.5 / sqrt(1.25), 1e-14);
        assert_close(scores[2], 0.5 / sqrt(1.25), 1e-14);

        /* everything constant, and a single point: 0 everywhere */
        double k[] = {3, 3, 3, 3, 3, 3};
        Matrix mk = {3, 2, k};
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &mk, &o, scores, NULL), 0);
        assert_true(scores[0] == 0 && scores[1] == 0 && scores[2] == 0);
        Matrix m1p = {1, 2, c};
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &m1p, &o, scores, NULL), 0);
        assert_true(scores[0] == 0);

        /* a column constant but one row in 1 dimension, d = 1 constant but for n = 2 */
        double two[] = {0, 1};
        Matrix m2 = {2, 1, two};
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &m2, &o, scores, NULL), 0);
        assert_close(scores[0], 1, 1e-14); /* |0 - 0.5| / 0.5 */

        /* d > n: 3 points in 10 dimensions */
        double wide[30];
        Rng r;
        rng_seed(&r, 3);
        for (size_t i = 0; i < 30; i++)
                wide[i] = rng_uniform(&r, -1, 1);
        Matrix mw = {3, 10, wide};
        assert_int_equal(outlier_score(OUTLIER_MAHALANOBIS, &mw, &o, scores, NULL), 0);
        assert_true(all_finite(scores, 3));

        /* exactly collinear columns (y = 2x): still definite through the shrinkage */
        double col[] = {1, 2, 2, 4, 3, 6, 4, 8, 5, 10};
        Matrix mcol = {5, 2, col};
        assert_int_equal(mahalanobis_fit(&mcol, &m, NULL), 0);
        assert_int_equal(mahalanobis_score(m, &mcol, scores), 0);
        assert_true(all_finite(scores, 5));
        assert_true(scores[0] > scores[1] && scores[2] < scores[1]); /* ends beyond middle */
        m = mahalanobis_free(m);
}

static void test_mahalanobis_errors(void **state)
{
        double x[4] = {0, 1, 2, 3};
        char *err = NULL;
        Mahalanobis *m = NULL;

        (void) state;
        Matrix empty = {0, 2, x};
        assert_int_equal(mahalanobis_fit(&empty, &m, &err), -EINVAL);
        assert_non_null(err);
        free(err);
        err = NULL;
        Matrix huge = {1, MAHALANOBIS_MAX_DIMENSIONS + 1, x};
        assert_int_equal(mahalanobis_fit(&huge, &m, &err), -E2BIG);
        assert_non_null(strstr(err, "too many"));
        free(err);
        assert_null(m);

        Matrix mx = {2, 2, x};
        assert_int_equal(mahalanobis_fit(&mx, &m, NULL), 0);
        Matrix wrong = {1, 3, x};
        assert_int_equal(mahalanobis_score(m, &wrong, x), -EINVAL);
        mahalanobis_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mahalanobis_hand_2d),
                cmocka_unit_test(test_mahalanobis_sklearn_ledoit_wolf),
                cmocka_unit_test(test_mahalanobis_degenerate),
                cmocka_unit_test(test_mahalanobis_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

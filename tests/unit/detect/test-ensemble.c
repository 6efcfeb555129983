#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/ensemble.h"
#include "detect/outlier.h"
#include "test-util.h"

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* {3, 1, 2, 2}: sorted 1, 2, 2, 3 at 0-based positions 0, 1, 2, 3; the two 2s share 1.5;
 * divided by n - 1 = 3: {1, 0, 0.5, 0.5}. */
static void test_ensemble_normalize_rank(void **state)
{
        double s[] = {3, 1, 2, 2}, r[4];

        (void) state;
        ensemble_normalize_rank(s, 4, r);
        assert_close(r[0], 1, 1e-15);
        assert_close(r[1], 0, 1e-15);
        assert_close(r[2], 0.5, 1e-15);
        assert_close(r[3], 0.5, 1e-15);

        /* in place, one score, all tied, NaN lowest and +inf highest */
        double one = 42;
        ensemble_normalize_rank(&one, 1, &one);
        assert_true(one == 0.5);
        double tied[] = {7, 7, 7};
        ensemble_normalize_rank(tied, 3, tied);
        assert_true(tied[0] == 0.5 && tied[1] == 0.5 && tied[2] == 0.5);
        double odd[] = {NAN, HUGE_VAL, 0};
        ensemble_normalize_rank(odd, 3, odd);
        assert_true(odd[0] == 0 && odd[1] == 1 && odd[2] == 0.5);
}

/* {1, 2, 3, 4, 100}: median 3, absolute deviations {2, 1, 0, 1, 97}, MAD 1, scale 1.4826;
 * Phi(z) from scipy.stats.norm.cdf (computed once with /usr/bin/python3):
 *   1 -> Phi(-2 / 1.4826) = 0.0886714511369317, 2 -> Phi(-1 / 1.4826) = 0.24999967927440675,
 *   3 -> 0.5, 4 -> 0.7500003207255932, 100 -> Phi(65.4) = 1 in double precision. */
static void test_ensemble_normalize_robust(void **state)
{
        double s[] = {1, 2, 3, 4, 100}, r[5];

        (void) state;
        ensemble_normalize_robust(s, 5, r);
        assert_close(r[0], 0.0886714511369317, 1e-14);
        assert_close(r[1], 0.24999967927440675, 1e-14);
        assert_close(r[2], 0.5, 1e-15);
        assert_close(r[3], 0.7500003207255932, 1e-14);
        assert_close(r[4], 1, 1e-15);

        /* MAD 0 ({5, 5, 5, 5, 9}: deviations {0, 0, 0, 0, 4}): the scale becomes
         * 1.253314 * mean absolute deviation = 1.253314 * 0.8, and 9 maps to
         * Phi(4 / 1.0026512) = 0.9999668829260199 */
        double t[] = {5, 5, 5, 5, 9};
        ensemble_normalize_robust(t, 5, t);
        assert_close(t[0], 0.5, 1e-15);
        assert_close(t[4], 0.9999668829260199, 1e-12);

        /* all equal: 0.5; NaN 0, inf 1 */
        double k[] = {2, 2, NAN, HUGE_VAL};
        ensemble_normalize_robust(k, 4, k);
        assert_true(k[0] == 0.5 && k[1] == 0.5 && k[2] == 0 && k[3] == 1);

        assert_int_equal(ensemble_normalize((EnsembleNorm) 9, s, 5, r), -EINVAL);
}

/* Two methods on four points, A = {0, 0.5, 1, 0.2}, B = {1, 0.5, 0, 0.4}:
 * mean {0.5, 0.5, 0.5, 0.3}; max {1, 0.5, 1, 0.4}; vote at contamination 0.25 (ceil(1) point
 * per method: A's is point 2, B's point 0): {0.5, 0, 0.5, 0}. */
static void test_ensemble_combine(void **state)
{
        double s[] = {0, 0.5, 1, 0.2, 1, 0.5, 0, 0.4}, r[4];

        (void) state;
        assert_int_equal(ensemble_combine(ENSEMBLE_COMBINE_MEAN, s, 2, 4, 0.1, r), 0);
        assert_close(r[0], 0.5, 1e-15);
        assert_close(r[1], 0.5, 1e-15);
        assert_close(r[2], 0.5, 1e-15);
        assert_close(r[3], 0.3, 1e-15);
        assert_int_equal(ensemble_combine(ENSEMBLE_COMBINE_MAX, s, 2, 4, 0.1, r), 0);
        assert_true(r[0] == 1 && r[1] == 0.5 && r[2] == 1 && r[3] == 0.4);
        assert_int_equal(ensemble_combine(ENSEMBLE_COMBINE_VOTE, s, 2, 4, 0.25, r), 0);
        assert_true(r[0] == 0.5 && r[1] == 0 && r[2] == 0.5 && r[3] == 0);
        /* contamination 0.5: 2 points each, A {2, 1}, B {0, 1}: point 1 gets both votes */
        assert_int_equal(ensemble_combine(ENSEMBLE_COMBINE_VOTE, s, 2, 4, 0.5, r), 0);
        assert_true(r[0] == 0.5 && r[1] == 1 && r[2] == 0.5 && r[3] == 0);

        assert_int_equal(ensemble_combine(ENSEMBLE_COMBINE_MEAN, s, 0, 4, 0.1, r), -EINVAL);
        assert_int_equal(ensemble_combine(ENSEMBLE_COMBINE_VOTE, s, 2, 4, 0, r), -EINVAL);
        assert_int_equal(ensemble_combine((EnsembleCombine) 3, s, 2, 4, 0.1, r), -EINVAL);

        assert_int_equal(ensemble_combine_from_string("VOTE"), ENSEMBLE_COMBINE_VOTE);
        assert_int_equal(ensemble_combine_from_string("median"), _ENSEMBLE_COMBINE_INVALID);
        assert_string_equal(ensemble_norm_to_string(ENSEMBLE_NORM_RANK), "rank");
        assert_int_equal(ensemble_norm_from_string("robust"), ENSEMBLE_NORM_ROBUST);
}

/* 20 points on a small grid and one far away: the ensemble of k-means and Mahalanobis puts
 * the far one first, in every combination. */
static void test_ensemble_score_methods(void **state)
{
        double x[42], scores[21];
        OutlierOptions o;
        unsigned used = 0;
        char *err = NULL;

        (void) state;
        for (size_t i = 0; i < 20; i++) {
                x[2 * i] = (double) (i % 5);
                x[2 * i + 1] = (double) (i / 5);
        }
        x[40] = 30;
        x[41] = -20;
        Matrix mx = {21, 2, x};
        outlier_options_init(&o);
        o.n_clusters = 1; /* more would give the far point a centroid of its own */
        o.ensemble_methods =
                1u << OUTLIER_KMEANS | 1u << OUTLIER_MAHALANOBIS | 1u << OUTLIER_ENSEMBLE;
        for (int c = 0; c < _ENSEMBLE_COMBINE_MAX; c++) {
                o.ensemble_combine = c;
                for (int nm = 0; nm < _ENSEMBLE_NORM_MAX; nm++) {
                        assert_int_equal(
                                ensemble_score(&mx, &o, (EnsembleNorm) nm, scores, &used, &err), 0);
                        assert_int_equal(used, 1u << OUTLIER_KMEANS | 1u << OUTLIER_MAHALANOBIS);
                        for (size_t i = 0; i < 20; i++)
                                assert_true(scores[20] >= scores[i]);
                        assert_true(scores[20] == 1 || c == ENSEMBLE_COMBINE_MEAN);
                }
        }
        o.ensemble_combine = ENSEMBLE_COMBINE_MEAN;
        assert_int_equal(outlier_score(OUTLIER_ENSEMBLE, &mx, &o, scores, NULL), 0);
        for (size_t i = 0; i < 20; i++)
                assert_true(scores[20] > scores[i]);

        /* a method's own error comes back with its name */
        o.n_clusters = 1000000;
        assert_int_equal(ensemble_score(&mx, &o, ENSEMBLE_NORM_RANK, scores, NULL, &err), -EINVAL);
        assert_non_null(err);
        assert_true(strncmp(err, "kmeans: ", 8) == 0);
        free(err);
        err = NULL;

        /* bad options */
        outlier_options_init(&o);
        o.ensemble_combine = 7;
        assert_int_equal(ensemble_score_matrix(&mx, &o, scores, &err), -EINVAL);
        free(err);
        err = NULL;
        outlier_options_init(&o);
        o.ensemble_methods = 1u << 20;
        assert_int_equal(ensemble_score_matrix(&mx, &o, scores, &err), -EINVAL);
        free(err);
        err = NULL;
        o.ensemble_methods = 1u << OUTLIER_ENSEMBLE; /* nothing but itself */
        assert_int_equal(ensemble_score_matrix(&mx, &o, scores, &err), -EINVAL);
        free(err);
}

/* The default set (iforest, lof, knn) either works or, while none of them is built, says so;
 * whatever is built must rank the far point first. */
static void test_ensemble_default_methods(void **state)
{
        double x[42], scores[21];
        OutlierOptions o;
        unsigned used = 0;
        char *err = NULL;

        (void) state;
        for (size_t i = 0; i < 20; i++) {
                x[2 * i] = (double) (i % 5) + 0.01 * (double) i;
                x[2 * i + 1] = (double) (i / 5);
        }
        x[40] = 30;
        x[41] = -20;
        Matrix mx = {21, 2, x};
        outlier_options_init(&o);
        o.k = 3;
        int r = ensemble_score(&mx, &o, ENSEMBLE_NORM_RANK, scores, &used, &err);
        if (r == -EOPNOTSUPP) {
                assert_non_null(err);
                free(err);
                return;
        }
        assert_int_equal(r, 0);
        assert_true(used != 0);
        assert_true((used & ~(1u << OUTLIER_IFOREST | 1u << OUTLIER_LOF | 1u << OUTLIER_KNN)) == 0);
        for (size_t i = 0; i < 20; i++)
                assert_true(scores[20] > scores[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ensemble_normalize_rank),
                cmocka_unit_test(test_ensemble_normalize_robust),
                cmocka_unit_test(test_ensemble_combine),
                cmocka_unit_test(test_ensemble_score_methods),
                cmocka_unit_test(test_ensemble_default_methods),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

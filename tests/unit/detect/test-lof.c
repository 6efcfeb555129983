#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/lof.h"
#include "detect/outlier.h"
#include "detect/rng.h"
#include "test-util.h"

#define EPS                    1e-8
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* Points 0, 1, 2, 10 on a line, k = 2 (self excluded, ties by index):
 *   N(0) = {1 (d 1), 2 (d 2)}  k-distance 2
 *   N(1) = {0 (1), 2 (1)}      k-distance 1
 *   N(2) = {1 (1), 0 (2)}      k-distance 2
 *   N(10) = {2 (8), 1 (9)}     k-distance 9
 * reach-dist(p, o) = max(d(p, o), k-distance(o)):
 *   lrd(0) = 1 / mean(max(1, 1), max(2, 2)) = 1 / 1.5 = 2/3
 *   lrd(1) = 1 / mean(max(1, 2), max(1, 2)) = 1 / 2
 *   lrd(2) = 1 / mean(max(1, 1), max(2, 2)) = 2/3
 *   lrd(10) = 1 / mean(max(8, 2), max(9, 1)) = 2/17
 * LOF(p) = mean of lrd(o) / lrd(p):
 *   LOF(0) = (3/4 + 1) / 2 = 7/8, LOF(1) = (4/3 + 4/3) / 2 = 4/3, LOF(2) = 7/8,
 *   LOF(10) = (17/3 + 17/4) / 2 = 119/24
 * (scikit-learn 1.2 LocalOutlierFactor(n_neighbors=2) gives the same, the 1e-10 aside).
 * Novelty, q = 5: N(q) = {2 (3), 1 (4)}, lrd(q) = 1 / mean(max(3, 2), max(4, 1)) = 2/7,
 * LOF(q) = ((2/3) / (2/7) + (1/2) / (2/7)) / 2 = (7/3 + 7/4) / 2 = 49/24. */
static void test_lof_hand_computed(void **state)
{
        const double v[] = {0, 1, 2, 10}, q[] = {5};
        Matrix x = {4, 1, v}, mq = {1, 1, q};
        _cleanup_(lof_freep) Lof *l = NULL;
        double s[4];

        (void) state;
        assert_int_equal(lof_fit(&x, 2, &l, NULL), 0);
        assert_int_equal(lof_k(l), 2);
        const double *f = lof_fit_scores(l);
        assert_near(f[0], 7.0 / 8, EPS);
        assert_near(f[1], 4.0 / 3, EPS);
        assert_near(f[2], 7.0 / 8, EPS);
        assert_near(f[3], 119.0 / 24, EPS);
        assert_int_equal(lof_score(l, &mq, s, NULL), 0);
        assert_near(s[0], 49.0 / 24, EPS);

        OutlierOptions o;
        outlier_options_init(&o);
        o.k = 2;
        assert_int_equal(outlier_score(OUTLIER_LOF, &x, &o, s, NULL), 0);
        assert_near(s[3], 119.0 / 24, EPS);
}

/* 30 copies of the origin and (1, 1), k = 20: the copies' k-distance is 0, so their lrd is
 * 1 / (0 + 1e-10) and their LOF 1; the lone point's neighbours are 20 copies at sqrt 2, so
 * its LOF is 1e10 * (sqrt 2 + 1e-10) = 1.41421356e10 (scikit-learn: the same). Finite. */
static void test_lof_duplicates(void **state)
{
        double v[31 * 2] = {};
        Matrix x = {31, 2, v};
        double s[31];
        OutlierOptions o;

        (void) state;
        v[60] = v[61] = 1;
        outlier_options_init(&o);
        assert_int_equal(lof_score_matrix(&x, &o, s, NULL), 0);
        for (size_t i = 0; i < 30; i++)
                assert_near(s[i], 1.0, 1e-12);
        assert_near(s[30] / 1e10, sqrt(2.0), 1e-9);
}

/* Constant data: every lrd is 1e10, every LOF exactly 1. */
static void test_lof_constant(void **state)
{
        double v[50 * 3], s[50];
        Matrix x = {50, 3, v};
        OutlierOptions o;

        (void) state;
        for (size_t i = 0; i < 150; i++)
                v[i] = -7.5;
        outlier_options_init(&o);
        assert_int_equal(lof_score_matrix(&x, &o, s, NULL), 0);
        for (size_t i = 0; i < 50; i++)
                assert_true(s[i] == 1.0);
}

/* k above n - 1 is lowered to n - 1 (scikit-learn); fewer than 2 points is an error. */
static void test_lof_small_n(void **state)
{
        const double v[] = {0, 1, 2, 10};
        Matrix x = {4, 1, v}, one = {1, 1, v};
        _cleanup_(lof_freep) Lof *l = NULL;
        OutlierOptions o;
        double s[4];
        char *msg = NULL;

        (void) state;
        assert_int_equal(lof_fit(&x, 0, &l, NULL), 0);
        assert_int_equal(lof_k(l), 3);
        /* k = 3 on 4 points: every point's neighbours are the 3 others, and all LOFs are
         * near 1; scikit-learn 1.2 (n_neighbors=20, lowered to 3) prints these: */
        const double want[] = {0.96510673, 1.01319711, 1.06128748, 0.96510673};
        for (size_t i = 0; i < 4; i++)
                assert_near(lof_fit_scores(l)[i], want[i], 1e-7);
        outlier_options_init(&o);
        assert_int_equal(lof_score_matrix(&one, &o, s, &msg), -EINVAL);
        assert_non_null(strstr(msg, "at least 2 points"));
        free(msg);
        Lof *l1 = NULL;
        assert_int_equal(lof_fit(&one, 5, &l1, NULL), -EINVAL);
        assert_null(l1);

        Matrix q = {1, 2, v};
        msg = NULL;
        assert_int_equal(lof_score(l, &q, s, &msg), -EINVAL); /* 2 features, model 1 */
        free(msg);
}

/* A dense blob with one far point: the far point has the top score, the blob's scores are
 * near 1; the novelty scores of the fitted points themselves are close to their fit scores. */
static void test_lof_blob(void **state)
{
        Rng r;
        double v[201 * 2], s[201];
        Matrix x = {201, 2, v};
        OutlierOptions o;

        (void) state;
        rng_seed(&r, 3);
        for (size_t i = 0; i < 400; i++)
                v[i] = rng_double(&r);
        v[400] = 5;
        v[401] = 5;
        outlier_options_init(&o);
        assert_int_equal(lof_score_matrix(&x, &o, s, NULL), 0);
        for (size_t i = 0; i < 200; i++) {
                assert_true(s[i] < s[200]);
                assert_true(s[i] > 0.7 && s[i] < 2.0);
        }
        assert_true(s[200] > 5.0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lof_hand_computed), cmocka_unit_test(test_lof_duplicates),
                cmocka_unit_test(test_lof_constant),      cmocka_unit_test(test_lof_small_n),
                cmocka_unit_test(test_lof_blob),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

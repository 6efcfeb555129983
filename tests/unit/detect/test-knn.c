#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/knn.h"
#include "detect/nn.h"
#include "detect/outlier.h"
#include "test-util.h"

/* Points 0, 1, 3, 7 on a line, k = 2, self excluded:
 *   0: neighbours 1 (d 1), 3 (d 3) -> largest 3, mean 2
 *   1: 0 (1), 3 (2)                -> 2, 1.5
 *   3: 1 (2), 0 (3)                -> 3, 2.5
 *   7: 3 (4), 1 (6)                -> 6, 5
 * New point 4.5: 3 (1.5), 7 (2.5) -> 2.5, 2. */
static void test_knn_hand_computed(void **state)
{
        const double v[] = {0, 1, 3, 7}, q[] = {4.5};
        Matrix x = {4, 1, v}, mq = {1, 1, q};
        OutlierOptions o;
        double s[4];

        (void) state;
        outlier_options_init(&o);
        o.k = 2;
        assert_int_equal(knn_score_matrix(&x, &o, s, NULL), 0);
        assert_true(s[0] == 3 && s[1] == 2 && s[2] == 3 && s[3] == 6);
        o.knn_mean = true;
        assert_int_equal(outlier_score(OUTLIER_KNN, &x, &o, s, NULL), 0);
        assert_true(s[0] == 2 && s[1] == 1.5 && s[2] == 2.5 && s[3] == 5);

        _cleanup_(nn_freep) NnIndex *idx = NULL;
        assert_int_equal(nn_build(&x, &idx), 0);
        assert_int_equal(knn_score_points(idx, &mq, 2, false, s, NULL), 0);
        assert_true(s[0] == 2.5);
        assert_int_equal(knn_score_points(idx, &mq, 2, true, s, NULL), 0);
        assert_true(s[0] == 2);
        char *msg = NULL;
        assert_int_equal(knn_score_points(idx, &mq, 5, true, s, &msg), -EINVAL);
        free(msg);
}

/* Duplicates are neighbours at distance 0; the point itself is not: of three copies each
 * has two at 0, so k = 2 gives 0 and k = 3 the distance to the fourth point. */
static void test_knn_duplicates(void **state)
{
        const double v[] = {1, 1, 1, 1, 1, 1, 4, 5};
        Matrix x = {4, 2, v};
        OutlierOptions o;
        double s[4];

        (void) state;
        outlier_options_init(&o);
        o.k = 2;
        assert_int_equal(knn_score_matrix(&x, &o, s, NULL), 0);
        assert_true(s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 5);
        o.k = 3;
        assert_int_equal(knn_score_matrix(&x, &o, s, NULL), 0);
        assert_true(s[0] == 5 && s[1] == 5 && s[2] == 5 && s[3] == 5);
}

/* Default k is 5; k >= n is an error said in words; constant data scores 0. */
static void test_knn_k_and_errors(void **state)
{
        double v[6] = {2, 2, 2, 2, 2, 2}, s[6];
        Matrix x = {6, 1, v}, five = {5, 1, v};
        OutlierOptions o;
        char *msg = NULL;

        (void) state;
        outlier_options_init(&o);
        assert_int_equal(knn_score_matrix(&x, &o, s, NULL), 0);
        for (size_t i = 0; i < 6; i++)
                assert_true(s[i] == 0);
        assert_int_equal(knn_score_matrix(&five, &o, s, &msg), -EINVAL);
        assert_non_null(strstr(msg, "5 neighbours need at least 6 points"));
        free(msg);
        v[5] = 3;
        assert_int_equal(knn_score_matrix(&x, &o, s, NULL), 0);
        assert_true(s[5] == 1 && s[0] == 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_knn_hand_computed),
                cmocka_unit_test(test_knn_duplicates),
                cmocka_unit_test(test_knn_k_and_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

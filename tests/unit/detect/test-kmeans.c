#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/kmeans.h"
#include "detect/outlier.h"
#include "detect/rng.h"
#include "test-util.h"

/* Three blobs of 5 points: a centre and its 4 neighbours at distance 1 (the plus shape), at
 * (0,0), (10,10) and (20,0). The optimum for k = 3 is obvious by hand: each blob is a
 * cluster, its centroid is its centre, and the inertia is 3 blobs * 4 points * 1^2 = 12. */
static const double blob_centres[3][2] = {{0, 0}, {10, 10}, {20, 0}};
static const double plus[5][2] = {{0, 0}, {1, 0}, {0, 1}, {-1, 0}, {0, -1}};

static void make_blobs(double *x)
{
        for (size_t b = 0; b < 3; b++)
                for (size_t p = 0; p < 5; p++) {
                        x[(b * 5 + p) * 2] = blob_centres[b][0] + plus[p][0];
                        x[(b * 5 + p) * 2 + 1] = blob_centres[b][1] + plus[p][1];
                }
}

static void test_kmeans_blobs_recovered(void **state)
{
        double x[30];
        size_t labels[15];
        Kmeans *m = NULL;
        KmeansOptions o;
        char *err = NULL;

        (void) state;
        make_blobs(x);
        Matrix mx = {15, 2, x};
        kmeans_options_init(&o);
        o.n_clusters = 3;
        for (uint64_t seed = 0; seed < 20; seed++) {
                o.seed = seed;
                assert_int_equal(kmeans_fit(&mx, &o, &m, labels, &err), 0);
                assert_int_equal(kmeans_n_clusters(m), 3);
                assert_int_equal(kmeans_dimensions(m), 2);
                assert_true(fabs(kmeans_inertia(m) - 12) < 1e-9);
                /* each blob shares one label, the three labels differ */
                for (size_t b = 0; b < 3; b++) {
                        for (size_t p = 1; p < 5; p++)
                                assert_int_equal(labels[b * 5 + p], labels[b * 5]);
                        const double *c = kmeans_centroid(m, labels[b * 5]);
                        assert_true(fabs(c[0] - blob_centres[b][0]) < 1e-12);
                        assert_true(fabs(c[1] - blob_centres[b][1]) < 1e-12);
                }
                assert_true(labels[0] != labels[5] && labels[5] != labels[10] &&
                            labels[0] != labels[10]);
                /* a new point goes to the nearest centre, at its distance */
                double dist, q[2] = {19, 3};
                size_t c = kmeans_predict_one(m, q, &dist);
                assert_int_equal(c, labels[10]);
                assert_true(fabs(dist - sqrt(1.0 + 9.0)) < 1e-12);
                m = kmeans_free(m);
        }
}

/* The same seed gives bit-identical centroids; the run is independent of earlier calls. */
static void test_kmeans_deterministic(void **state)
{
        enum {
                N = 400,
                D = 3
        };
        double *x = xnew(double, N *D);
        Kmeans *a = NULL, *b = NULL;
        KmeansOptions o;
        Rng r;

        (void) state;
        rng_seed(&r, 5);
        for (size_t i = 0; i < N * D; i++)
                x[i] = rng_uniform(&r, 0, 1);
        Matrix mx = {N, D, x};
        kmeans_options_init(&o);
        o.seed = 77;
        assert_int_equal(kmeans_fit(&mx, &o, &a, NULL, NULL), 0);
        assert_int_equal(kmeans_fit(&mx, &o, &b, NULL, NULL), 0);
        assert_int_equal(kmeans_n_clusters(a), 8);
        assert_memory_equal(kmeans_centroid(a, 0), kmeans_centroid(b, 0), 8 * D * sizeof(double));
        assert_true(kmeans_inertia(a) == kmeans_inertia(b));

        /* more restarts never end worse than the first of them alone (same stream start) */
        Kmeans *one = NULL;
        o.n_init = 1;
        assert_int_equal(kmeans_fit(&mx, &o, &one, NULL, NULL), 0);
        assert_true(kmeans_inertia(a) <= kmeans_inertia(one));

        /* the inertia is the sum of squared distances to the nearest centroid */
        double *dist = xnew(double, N);
        assert_int_equal(kmeans_predict(a, &mx, NULL, dist), 0);
        double s = 0;
        for (size_t i = 0; i < N; i++)
                s += dist[i] * dist[i];
        assert_true(fabs(s - kmeans_inertia(a)) < 1e-9 * s);
        free(dist);
        kmeans_free(a);
        kmeans_free(b);
        kmeans_free(one);
        free(x);
}

/* More clusters asked than distinct points: capped, every point is a centroid. */
static void test_kmeans_more_clusters_than_points(void **state)
{
        double x[] = {1, 2, 1, 2, 3, 4, 3, 4, 1, 2};
        double scores[5];
        Kmeans *m = NULL;
        KmeansOptions o;
        OutlierOptions oo;

        (void) state;
        Matrix mx = {5, 2, x};
        assert_int_equal(kmeans_count_distinct(&mx), 2);
        kmeans_options_init(&o); /* 8 clusters */
        assert_int_equal(kmeans_fit(&mx, &o, &m, NULL, NULL), 0);
        assert_int_equal(kmeans_n_clusters(m), 2);
        assert_true(kmeans_inertia(m) == 0);
        m = kmeans_free(m);

        outlier_options_init(&oo);
        assert_int_equal(outlier_score(OUTLIER_KMEANS, &mx, &oo, scores, NULL), 0);
        for (size_t i = 0; i < 5; i++)
                assert_true(scores[i] == 0);

        /* one point; all points equal; no features */
        Matrix one = {1, 2, x};
        assert_int_equal(outlier_score(OUTLIER_KMEANS, &one, &oo, scores, NULL), 0);
        assert_true(scores[0] == 0);
        double same[] = {7, 7, 7};
        Matrix msame = {3, 1, same};
        assert_int_equal(kmeans_count_distinct(&msame), 1);
        assert_int_equal(outlier_score(OUTLIER_KMEANS, &msame, &oo, scores, NULL), 0);
        assert_true(scores[0] == 0 && scores[2] == 0);
        Matrix nod = {3, 0, same};
        assert_int_equal(outlier_score(OUTLIER_KMEANS, &nod, &oo, scores, NULL), 0);
        assert_true(scores[1] == 0);
}

/* The score is the distance to the nearest centroid: a lone far point scores highest. */
static void test_kmeans_score_outlier(void **state)
{
        double x[32];
        double scores[16];
        OutlierOptions oo;

        (void) state;
        make_blobs(x);
        x[30] = 5; /* (5, 30): far from every blob */
        x[31] = 30;
        Matrix mx = {16, 2, x};
        outlier_options_init(&oo);
        oo.n_clusters = 3;
        assert_int_equal(outlier_score(OUTLIER_KMEANS, &mx, &oo, scores, NULL), 0);
        for (size_t i = 0; i < 15; i++)
                assert_true(scores[15] > scores[i]);
}

static void test_kmeans_bad_options(void **state)
{
        double x[] = {1, 2, 3};
        Kmeans *m = NULL;
        KmeansOptions o;
        char *err = NULL;

        (void) state;
        Matrix mx = {3, 1, x};
        kmeans_options_init(&o);
        o.n_clusters = 0;
        assert_int_equal(kmeans_fit(&mx, &o, &m, NULL, &err), -EINVAL);
        assert_non_null(err);
        assert_null(m);
        free(err);
        err = NULL;
        kmeans_options_init(&o);
        o.n_init = 0;
        assert_int_equal(kmeans_fit(&mx, &o, &m, NULL, &err), -EINVAL);
        assert_non_null(strstr(err, "n_init"));
        free(err);
        Matrix empty = {0, 1, x};
        kmeans_options_init(&o);
        assert_int_equal(kmeans_fit(&empty, &o, &m, NULL, NULL), -EINVAL);

        assert_int_equal(kmeans_fit(&mx, &o, &m, NULL, NULL), 0);
        Matrix wrong = {1, 3, x};
        assert_int_equal(kmeans_predict(m, &wrong, NULL, NULL), -EINVAL);
        kmeans_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kmeans_blobs_recovered),
                cmocka_unit_test(test_kmeans_deterministic),
                cmocka_unit_test(test_kmeans_more_clusters_than_points),
                cmocka_unit_test(test_kmeans_score_outlier),
                cmocka_unit_test(test_kmeans_bad_options),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

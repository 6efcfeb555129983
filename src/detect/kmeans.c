/* k-means with greedy k-means++ seeding and Lloyd iterations (kmeans.h). */
#include "detect/kmeans.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/rng.h"

struct Kmeans {
        size_t k, d;
        double *centroids; /* k * d */
        double inertia;
        unsigned n_iter;
};

void kmeans_options_init(KmeansOptions *o)
{
        *o = (KmeansOptions){
                .n_clusters = 8,
                .n_init = 10,
                .max_iter = 300,
                .tol = 1e-4,
                .seed = 0,
        };
}

Kmeans *kmeans_free(Kmeans *m)
{
        if (!m)
                return NULL;
        free(m->centroids);
        free(m);
        return NULL;
}

static double sqdist(const double *a, const double *b, size_t d)
{
        double s = 0;
        for (size_t j = 0; j < d; j++) {
                double t = a[j] - b[j];
                s += t * t;
        }
        return s;
}

/* Nearest of k centres (lowest index on ties) and its squared distance. */
static size_t nearest(const double *centers, size_t k, size_t d, const double *p, double *ret_d2)
{
        size_t best = 0;
        double bd = HUGE_VAL;
        for (size_t c = 0; c < k; c++) {
                double s = sqdist(centers + c * d, p, d);
                if (s < bd) {
                        bd = s;
                        best = c;
                }
        }
        *ret_d2 = bd;
        return best;
}

static int cmp_rows(const void *a, const void *b, void *userdata)
{
        const Matrix *x = userdata;
        const double *p = matrix_row(x, *(const size_t *) a),
                     *q = matrix_row(x, *(const size_t *) b);
        for (size_t j = 0; j < x->d; j++)
                if (p[j] != q[j])
                        return p[j] < q[j] ? -1 : 1;
        return 0;
}

size_t kmeans_count_distinct(const Matrix *x)
{
        if (x->n <= 1)
                return x->n;
        if (x->d == 0)
                return 1;

        _cleanup_free_ size_t *idx = xnew(size_t, x->n);
        for (size_t i = 0; i < x->n; i++)
                idx[i] = i;
        qsort_r(idx, x->n, sizeof(*idx), cmp_rows, (void *) x);
        size_t distinct = 1;
        for (size_t i = 1; i < x->n; i++)
                distinct += cmp_rows(&idx[i - 1], &idx[i], (void *) x) != 0;
        return distinct;
}

/* Index of the first point whose cumulative weight exceeds r (so a point of weight 0 is never
 * drawn while the total is positive); the last point of positive weight if rounding runs r
 * past the end. */
static size_t draw_weighted(const double *cum, size_t n, double r)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] > r)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        if (lo >= n) {
                lo = n - 1;
                while (lo > 0 && cum[lo] == cum[lo - 1])
                        lo--;
        }
        return lo;
}

/* Greedy k-means++ (scikit-learn's _kmeans_plusplus) into centers (k * d). closest[] gets the
 * squared distance of each point to its nearest centre; scratch arrays are caller's. */
static void plusplus(const Matrix *x, size_t k, Rng *rng, double *centers, double *closest,
                     double *cand_d2, double *best_d2, double *cum)
{
        size_t n = x->n, d = x->d;
        size_t n_trials = 2 + (size_t) floor(log((double) k));

        size_t first = (size_t) rng_below(rng, n);
        memcpy(centers, matrix_row(x, first), d * sizeof(double));
        double pot = 0;
        for (size_t i = 0; i < n; i++) {
                closest[i] = sqdist(matrix_row(x, i), centers, d);
                pot += closest[i];
        }

        for (size_t c = 1; c < k; c++) {
                double acc = 0;
                for (size_t i = 0; i < n; i++) {
                        acc += closest[i];
                        cum[i] = acc;
                }
                size_t best = SIZE_MAX;
                double best_pot = HUGE_VAL;
                for (size_t t = 0; t < n_trials; t++) {
                        size_t cand = draw_weighted(cum, n, rng_double(rng) * pot);
                        const double *cp = matrix_row(x, cand);
                        double cpot = 0;
                        for (size_t i = 0; i < n; i++) {
                                double s = sqdist(matrix_row(x, i), cp, d);
                                cand_d2[i] = s < closest[i] ? s : closest[i];
                                cpot += cand_d2[i];
                        }
                        if (cpot < best_pot) {
                                best_pot = cpot;
                                best = cand;
                                memcpy(best_d2, cand_d2, n * sizeof(double));
                        }
                }
                assert(best != SIZE_MAX);
                memcpy(centers + c * d, matrix_row(x, best), d * sizeof(double));
                memcpy(closest, best_d2, n * sizeof(double));
                pot = best_pot;
        }
}

typedef struct Far {
        double d2;
        size_t i;
} Far;

static int cmp_far(const void *a, const void *b)
{
        const Far *p = a, *q = b;
        if (p->d2 != q->d2)
                return p->d2 < q->d2 ? 1 : -1;
        return (p->i > q->i) - (p->i < q->i);
}

/* One Lloyd run from the seeded centers; returns the inertia of the final assignment. */
static double lloyd(const Matrix *x, size_t k, unsigned max_iter, double tol, double *centers,
                    double *centers_new, size_t *labels, size_t *labels_old, double *d2,
                    double *counts, unsigned *ret_iter)
{
        size_t n = x->n, d = x->d;
        unsigned it;

        for (size_t i = 0; i < n; i++)
                labels_old[i] = SIZE_MAX;
        for (it = 0; it < max_iter; it++) {
                size_t changed = 0;
                for (size_t i = 0; i < n; i++) {
                        labels[i] = nearest(centers, k, d, matrix_row(x, i), &d2[i]);
                        changed += labels[i] != labels_old[i];
                }

                memset(centers_new, 0, k * d * sizeof(double));
                memset(counts, 0, k * sizeof(double));
                for (size_t i = 0; i < n; i++) {
                        const double *p = matrix_row(x, i);
                        double *c = centers_new + labels[i] * d;
                        for (size_t j = 0; j < d; j++)
                                c[j] += p[j];
                        counts[labels[i]] += 1;
                }

                size_t n_empty = 0;
                for (size_t c = 0; c < k; c++)
                        n_empty += counts[c] == 0;
                if (n_empty > 0) {
                        /* scikit-learn's _relocate_empty_clusters: the farthest points move,
                         * one per empty cluster, taken out of the sums of their old clusters */
                        _cleanup_free_ Far *far = xnew(Far, n);
                        for (size_t i = 0; i < n; i++)
                                far[i] = (Far){d2[i], i};
                        qsort(far, n, sizeof(*far), cmp_far);
                        size_t next = 0;
                        for (size_t c = 0; c < k && next < n; c++) {
                                if (counts[c] != 0)
                                        continue;
                                size_t p = far[next++].i;
                                const double *row = matrix_row(x, p);
                                double *old = centers_new + labels[p] * d;
                                for (size_t j = 0; j < d; j++)
                                        old[j] -= row[j];
                                counts[labels[p]] -= 1;
                                memcpy(centers_new + c * d, row, d * sizeof(double));
                                counts[c] = 1;
                        }
                }

                double shift = 0;
                for (size_t c = 0; c < k; c++) {
                        double *cn = centers_new + c * d;
                        if (counts[c] > 0)
                                for (size_t j = 0; j < d; j++)
                                        cn[j] /= counts[c];
                        else /* cannot happen while k <= distinct points; keep the old one */
                                memcpy(cn, centers + c * d, d * sizeof(double));
                        shift += sqdist(cn, centers + c * d, d);
                }
                memcpy(centers, centers_new, k * d * sizeof(double));
                if (changed == 0 || shift <= tol) {
                        it++;
                        break;
                }
                memcpy(labels_old, labels, n * sizeof(size_t));
        }

        double inertia = 0;
        for (size_t i = 0; i < n; i++) {
                labels[i] = nearest(centers, k, d, matrix_row(x, i), &d2[i]);
                inertia += d2[i];
        }
        *ret_iter = it;
        return inertia;
}

int kmeans_fit(const Matrix *x, const KmeansOptions *o, Kmeans **ret, size_t *ret_labels,
               char **reterr_msg)
{
        assert(x && o && ret);

        const char *why = NULL;
        if (x->n == 0)
                why = "no points to cluster";
        else if (o->n_clusters == 0 || o->n_clusters > KMEANS_MAX_CLUSTERS)
                why = "the number of clusters must be between 1 and 65536";
        else if (o->n_init == 0)
                why = "the number of restarts (n_init) must be at least 1";
        else if (!(o->tol >= 0))
                why = "the tolerance must be a number >= 0";
        if (why) {
                if (reterr_msg)
                        *reterr_msg = xstrdup(why);
                return -EINVAL;
        }

        size_t n = x->n, d = x->d;
        size_t k = MIN((size_t) o->n_clusters, kmeans_count_distinct(x));

        /* scikit-learn's _tolerance: tol times the mean of the per-feature variances */
        double tol = 0;
        for (size_t j = 0; j < d; j++) {
                double mean = 0, m2 = 0;
                for (size_t i = 0; i < n; i++) /* Welford */ {
                        double v = x->x[i * d + j], delta = v - mean;
                        mean += delta / (double) (i + 1);
                        m2 += delta * (v - mean);
                }
                tol += m2 / (double) n;
        }
        tol = d > 0 ? o->tol * tol / (double) d : 0;

        _cleanup_free_ double *centers = xnew(double, k *d + 1);
        _cleanup_free_ double *centers_new = xnew(double, k *d + 1);
        _cleanup_free_ double *best_centers = xnew(double, k *d + 1);
        _cleanup_free_ double *counts = xnew(double, k);
        _cleanup_free_ size_t *labels = xnew(size_t, n);
        _cleanup_free_ size_t *labels_old = xnew(size_t, n);
        _cleanup_free_ size_t *best_labels = ret_labels ? xnew(size_t, n) : NULL;
        _cleanup_free_ double *s1 = xnew(double, n), *s2 = xnew(double, n), *s3 = xnew(double, n),
                              *s4 = xnew(double, n);
        double best_inertia = HUGE_VAL;
        unsigned best_iter = 0;
        Rng rng;

        rng_seed(&rng, o->seed);
        for (unsigned run = 0; run < o->n_init; run++) {
                unsigned it;
                plusplus(x, k, &rng, centers, s1, s2, s3, s4);
                double inertia = lloyd(x, k, o->max_iter, tol, centers, centers_new, labels,
                                       labels_old, s1, counts, &it);
                if (inertia < best_inertia || run == 0) {
                        best_inertia = inertia;
                        best_iter = it;
                        memcpy(best_centers, centers, k * d * sizeof(double));
                        if (best_labels)
                                memcpy(best_labels, labels, n * sizeof(size_t));
                }
        }

        Kmeans *m = xnew0(Kmeans, 1);
        *m = (Kmeans){
                .k = k,
                .d = d,
                .centroids = TAKE_PTR(best_centers),
                .inertia = best_inertia,
                .n_iter = best_iter,
        };
        if (ret_labels)
                memcpy(ret_labels, best_labels, n * sizeof(size_t));
        *ret = m;
        return 0;
}

size_t kmeans_predict_one(const Kmeans *m, const double *point, double *ret_distance)
{
        double d2;
        size_t c = nearest(m->centroids, m->k, m->d, point, &d2);
        if (ret_distance)
                *ret_distance = sqrt(d2);
        return c;
}

int kmeans_predict(const Kmeans *m, const Matrix *x, size_t *ret_labels, double *ret_distances)
{
        assert(m && x);
        if (x->d != m->d)
                return -EINVAL;
        for (size_t i = 0; i < x->n; i++) {
                double dist;
                size_t c = kmeans_predict_one(m, matrix_row(x, i), &dist);
                if (ret_labels)
                        ret_labels[i] = c;
                if (ret_distances)
                        ret_distances[i] = dist;
        }
        return 0;
}

size_t kmeans_n_clusters(const Kmeans *m)
{
        return m->k;
}

size_t kmeans_dimensions(const Kmeans *m)
{
        return m->d;
}

const double *kmeans_centroid(const Kmeans *m, size_t c)
{
        assert(c < m->k);
        return m->centroids + c * m->d;
}

double kmeans_inertia(const Kmeans *m)
{
        return m->inertia;
}

unsigned kmeans_n_iter(const Kmeans *m)
{
        return m->n_iter;
}

int kmeans_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                        char **reterr_msg)
{
        _cleanup_(kmeans_freep) Kmeans *m = NULL;
        KmeansOptions ko;

        assert(x && o && ret_scores);
        kmeans_options_init(&ko);
        if (o->n_clusters > 0)
                ko.n_clusters = o->n_clusters;
        if (o->n_init > 0)
                ko.n_init = o->n_init;
        ko.seed = o->seed;

        int r = kmeans_fit(x, &ko, &m, NULL, reterr_msg);
        if (r < 0)
                return r;
        return kmeans_predict(m, x, NULL, ret_scores);
}

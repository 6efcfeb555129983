/* Local Outlier Factor; see lof.h. */
#include "detect/lof.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/nn.h"

/* scikit-learn's guard: lrd stays finite when more than k points coincide */
#define LRD_EPSILON 1e-10

struct Lof {
        size_t n, k;
        NnIndex *idx;
        double *kdist;  /* k-distance of each fitted point */
        double *lrd;    /* local reachability density of each fitted point */
        double *scores; /* LOF of each fitted point */
};

Lof *lof_free(Lof *l)
{
        if (!l)
                return NULL;
        nn_free(l->idx);
        free(l->kdist);
        free(l->lrd);
        free(l->scores);
        free(l);
        return NULL;
}

static double lrd_of(const Lof *l, const size_t *nb, const double *dist)
{
        double s = 0.0;
        for (size_t j = 0; j < l->k; j++) {
                double kd = l->kdist[nb[j]];
                s += dist[j] > kd ? dist[j] : kd;
        }
        return 1.0 / (s / (double) l->k + LRD_EPSILON);
}

static double lof_of(const Lof *l, const size_t *nb, double lrd)
{
        double s = 0.0;
        for (size_t j = 0; j < l->k; j++)
                s += l->lrd[nb[j]] / lrd;
        return s / (double) l->k;
}

int lof_fit(const Matrix *x, unsigned k, Lof **ret, char **reterr_msg)
{
        return lof_fit_threads(x, k, 0, ret, reterr_msg);
}

int lof_fit_threads(const Matrix *x, unsigned k_, unsigned threads, Lof **ret, char **reterr_msg)
{
        _cleanup_(lof_freep) Lof *l = NULL;

        assert(x && ret);
        if (x->n < 2) {
                if (reterr_msg)
                        *reterr_msg =
                                xasprintf("lof: needs at least 2 points, the data has %zu", x->n);
                return -EINVAL;
        }
        l = xnew0(Lof, 1);
        l->n = x->n;
        l->k = k_ ? k_ : LOF_DEFAULT_K;
        if (l->k > x->n - 1)
                l->k = x->n - 1; /* scikit-learn: n_neighbors = min(n_neighbors, n - 1) */
        int r = nn_build(x, &l->idx);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("lof: the points have no features");
                return r;
        }
        nn_set_threads(l->idx, threads);

        size_t n = x->n, k = l->k;
        _cleanup_free_ size_t *nb = xnew(size_t, n * k);
        _cleanup_free_ double *dist = xnew(double, n *k);
        r = nn_query_all(l->idx, k, true, nb, dist, reterr_msg);
        if (r < 0)
                return r;
        l->kdist = xnew(double, n);
        l->lrd = xnew(double, n);
        l->scores = xnew(double, n);
        for (size_t i = 0; i < n; i++)
                l->kdist[i] = dist[i * k + k - 1];
        for (size_t i = 0; i < n; i++)
                l->lrd[i] = lrd_of(l, nb + i * k, dist + i * k);
        for (size_t i = 0; i < n; i++)
                l->scores[i] = lof_of(l, nb + i * k, l->lrd[i]);
        *ret = TAKE_PTR(l);
        return 0;
}

size_t lof_k(const Lof *l)
{
        return l->k;
}

const double *lof_fit_scores(const Lof *l)
{
        return l->scores;
}

int lof_score(const Lof *l, const Matrix *q, double *ret_scores, char **reterr_msg)
{
        assert(l && q && ret_scores);
        if (q->d != nn_dim(l->idx)) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("lof: points have %zu features, the model %zu",
                                                q->d, nn_dim(l->idx));
                return -EINVAL;
        }
        _cleanup_free_ size_t *nb = xnew(size_t, l->k);
        _cleanup_free_ double *dist = xnew(double, l->k);
        for (size_t i = 0; i < q->n; i++) {
                int r = nn_query(l->idx, matrix_row(q, i), l->k, nb, dist, reterr_msg);
                if (r < 0)
                        return r;
                ret_scores[i] = lof_of(l, nb, lrd_of(l, nb, dist));
        }
        return 0;
}

int lof_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg)
{
        _cleanup_(lof_freep) Lof *l = NULL;

        assert(x && o && ret_scores);
        int r = lof_fit(x, o->k, &l, reterr_msg);
        if (r < 0)
                return r;
        memcpy(ret_scores, l->scores, x->n * sizeof(double));
        return 0;
}

/* k-NN distance outlier scores; see knn.h. */
#include "detect/knn.h"

#include <assert.h>
#include <errno.h>

#include "core/alloc.h"

static double reduce(const double *dist, size_t k, bool mean)
{
        if (!mean)
                return dist[k - 1];
        double s = 0.0;
        for (size_t j = 0; j < k; j++)
                s += dist[j];
        return s / (double) k;
}

int knn_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg)
{
        _cleanup_(nn_freep) NnIndex *idx = NULL;

        assert(x && o && ret_scores);
        size_t k = o->k ? o->k : KNN_DEFAULT_K;
        if (x->n == 0 || k >= x->n) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("knn: %zu neighbours need at least %zu points, "
                                                "the data has %zu",
                                                k, k + 1, x->n);
                return -EINVAL;
        }
        int r = nn_build(x, &idx);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("knn: the points have no features");
                return r;
        }
        _cleanup_free_ size_t *nb = xnew(size_t, x->n * k);
        _cleanup_free_ double *dist = xnew(double, x->n *k);
        r = nn_query_all(idx, k, true, nb, dist, reterr_msg);
        if (r < 0)
                return r;
        for (size_t i = 0; i < x->n; i++)
                ret_scores[i] = reduce(dist + i * k, k, o->knn_mean);
        return 0;
}

int knn_score_points(const NnIndex *idx, const Matrix *q, unsigned k, bool mean, double *ret_scores,
                     char **reterr_msg)
{
        assert(idx && q && ret_scores);
        if (q->d != nn_dim(idx)) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("knn: points have %zu features, the model %zu",
                                                q->d, nn_dim(idx));
                return -EINVAL;
        }
        if (q->n == 0)
                return 0;
        _cleanup_free_ size_t *nb = xnew(size_t, k ? k : 1);
        _cleanup_free_ double *dist = xnew(double, k ? k : 1);
        for (size_t i = 0; i < q->n; i++) {
                int r = nn_query(idx, matrix_row(q, i), k, nb, dist, reterr_msg);
                if (r < 0)
                        return r;
                ret_scores[i] = reduce(dist, k, mean);
        }
        return 0;
}

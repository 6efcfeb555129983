/* The method dispatch of outlier.h. */
#include "detect/outlier.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "detect/ensemble.h"
#include "detect/iforest.h"
#include "detect/kmeans.h"
#include "detect/knn.h"
#include "detect/lof.h"
#include "detect/mahalanobis.h"

static const char *const method_names[_OUTLIER_METHOD_MAX] = {
        [OUTLIER_IFOREST] = "iforest",
        [OUTLIER_LOF] = "lof",
        [OUTLIER_KNN] = "knn",
        [OUTLIER_KMEANS] = "kmeans",
        [OUTLIER_MAHALANOBIS] = "mahalanobis",
        [OUTLIER_ENSEMBLE] = "ensemble",
};

void outlier_options_init(OutlierOptions *o)
{
        *o = (OutlierOptions){
                .seed = 0,
                .contamination = 0.1,
                .n_estimators = 100,
                .max_samples = 256,
                .max_features = 1.0,
                .k = 0, /* per method: LOF 20, KNN 5 */
                .n_clusters = 8,
                .n_init = 10,
        };
}

int outlier_score(OutlierMethod m, const Matrix *x, const OutlierOptions *o, double *ret_scores,
                  char **reterr_msg)
{
        static int (*const fns[_OUTLIER_METHOD_MAX])(const Matrix *, const OutlierOptions *,
                                                     double *, char **) = {
                [OUTLIER_IFOREST] = iforest_score_matrix,
                [OUTLIER_LOF] = lof_score_matrix,
                [OUTLIER_KNN] = knn_score_matrix,
                [OUTLIER_KMEANS] = kmeans_score_matrix,
                [OUTLIER_MAHALANOBIS] = mahalanobis_score_matrix,
                [OUTLIER_ENSEMBLE] = ensemble_score_matrix,
        };

        assert(x && o && ret_scores);
        if (m < 0 || m >= _OUTLIER_METHOD_MAX)
                return -EINVAL;
        if (x->n == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("no points to score");
                return -EINVAL;
        }
        return fns[m](x, o, ret_scores, reterr_msg);
}

typedef struct Ranked {
        double v;
        size_t i;
} Ranked;

static int cmp_desc(const void *a, const void *b)
{
        const Ranked *x = a, *y = b;
        if (x->v != y->v)
                return x->v < y->v ? 1 : -1;
        return (x->i > y->i) - (x->i < y->i);
}

void outlier_labels(const double *scores, size_t n, double contamination, int *ret_labels)
{
        size_t k = (size_t) (contamination * (double) n + 0.999999999);
        Ranked *r = xnew(Ranked, n ? n : 1);

        for (size_t i = 0; i < n; i++)
                r[i] = (Ranked){scores[i], i};
        qsort(r, n, sizeof(*r), cmp_desc);
        for (size_t i = 0; i < n; i++)
                ret_labels[r[i].i] = i < k;
        free(r);
}

const char *outlier_method_to_string(OutlierMethod m)
{
        return m >= 0 && m < _OUTLIER_METHOD_MAX ? method_names[m] : NULL;
}

OutlierMethod outlier_method_from_string(const char *s)
{
        for (int i = 0; s && i < _OUTLIER_METHOD_MAX; i++)
                if (strcasecmp(s, method_names[i]) == 0)
                        return (OutlierMethod) i;
        return _OUTLIER_METHOD_INVALID;
}

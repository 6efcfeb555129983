/* (being written) */
#include "detect/knn.h"

#include <errno.h>

#include "core/alloc.h"

int knn_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg)
{
        (void) x;
        (void) o;
        (void) ret_scores;
        if (reterr_msg)
                *reterr_msg = xstrdup("method 'knn' is not built yet");
        return -EOPNOTSUPP;
}

/* (being written) */
#include "detect/iforest.h"

#include <errno.h>

#include "core/alloc.h"

int iforest_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                         char **reterr_msg)
{
        (void) x;
        (void) o;
        (void) ret_scores;
        if (reterr_msg)
                *reterr_msg = xstrdup("method 'iforest' is not built yet");
        return -EOPNOTSUPP;
}

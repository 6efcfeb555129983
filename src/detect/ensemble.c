/* (being written) */
#include "detect/ensemble.h"

#include <errno.h>

#include "core/alloc.h"

int ensemble_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                          char **reterr_msg)
{
        (void) x;
        (void) o;
        (void) ret_scores;
        if (reterr_msg)
                *reterr_msg = xstrdup("method 'ensemble' is not built yet");
        return -EOPNOTSUPP;
}

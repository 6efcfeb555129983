/* (being written) */
#include "detect/lof.h"

#include <errno.h>

#include "core/alloc.h"

int lof_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg)
{
        (void) x;
        (void) o;
        (void) ret_scores;
        if (reterr_msg)
                *reterr_msg = xstrdup("method 'lof' is not built yet");
        return -EOPNOTSUPP;
}

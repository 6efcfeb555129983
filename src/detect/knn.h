/* (being written) */
#pragma once

#include "detect/matrix.h"
#include "detect/outlier.h"

int knn_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg);

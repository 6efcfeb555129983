/* The k-nearest-neighbour distance outlier score: a point is as anomalous as it is far from
 * its k-th nearest neighbour (Ramaswamy, Rastogi, Shim, "Efficient algorithms for mining
 * outliers from large data sets", SIGMOD 2000; the "largest" detector of PyOD), or, with
 * mean, from its k nearest on average (Angiulli, Pizzuti, "Fast outlier detection in high
 * dimensional spaces", PKDD 2002; PyOD's method="mean"). Euclidean distance, exact
 * neighbours (nn.h; knn_score_matrix() queries on all online CPUs, nn_threads()). Scoring the
 * points the model was fitted on excludes each point itself by index (a duplicate counts, at
 * distance 0), as PyOD and scikit-learn's kneighbors() without X do; new points are scored against
 * all fitted points. Unlike PyOD, which ranks the k-th distance, nothing is rescaled: the score is
 * the distance itself. */
#pragma once

#include <stdbool.h>

#include "detect/matrix.h"
#include "detect/nn.h"
#include "detect/outlier.h"

#define KNN_DEFAULT_K 5

/* Scores of x's own points: o->k neighbours (KNN_DEFAULT_K when 0), o->knn_mean for the
 * mean. -EINVAL with *reterr_msg (caller frees) when k >= n. */
int knn_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg);

/* Novelty mode: scores of the q->n new points q against the indexed (fitted) points, k
 * neighbours each (k <= nn_size(idx), no exclusion). */
int knn_score_points(const NnIndex *idx, const Matrix *q, unsigned k, bool mean, double *ret_scores,
                     char **reterr_msg);

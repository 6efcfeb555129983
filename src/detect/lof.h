/* Local Outlier Factor (Breunig, Kriegel, Ng, Sander, "LOF: identifying density-based local
 * outliers", SIGMOD 2000), computed as scikit-learn's LocalOutlierFactor does (1.2):
 * - the k nearest neighbours N(p) of each fitted point p, itself excluded by index (a
 *   duplicate is a neighbour at distance 0), k-distance(p) = distance to the k-th;
 *   ties at the k-th distance are cut by index (the paper keeps all of them; scikit-learn
 *   keeps k, in the order of its tree);
 * - reach-dist(p, o) = max(d(p, o), k-distance(o));
 * - lrd(p) = 1 / (mean over o in N(p) of reach-dist(p, o) + 1e-10), the 1e-10 being
 *   scikit-learn's guard against more than k duplicates (the paper's lrd is then infinite);
 * - LOF(p) = mean over o in N(p) of lrd(o) / lrd(p).
 * The score is LOF itself (= -negative_outlier_factor_): about 1 inside a cluster, higher
 * for outliers. k defaults to LOF_DEFAULT_K and, as in scikit-learn, is lowered to n - 1
 * when larger. Novelty mode (lof_score()) is scikit-learn's score_samples() with
 * novelty=True, negated: new points' neighbours among the fitted points, none excluded.
 * A fitted Lof keeps its own copy of what it needs (the index, k-distances, lrds). */
#pragma once

#include "core/macro.h"
#include "detect/matrix.h"
#include "detect/outlier.h"

#define LOF_DEFAULT_K 20

typedef struct Lof Lof;

/* Fits on x with k neighbours (0: LOF_DEFAULT_K; > n - 1: n - 1). -EINVAL with
 * *reterr_msg (caller frees) when n < 2. */
int lof_fit(const Matrix *x, unsigned k, Lof **ret, char **reterr_msg);
/* The same with the neighbour queries on threads threads (nn_set_threads(): 0 for the
 * online CPUs, which lof_fit() uses); the result does not depend on it. */
int lof_fit_threads(const Matrix *x, unsigned k, unsigned threads, Lof **ret, char **reterr_msg);
Lof *lof_free(Lof *l);
DEFINE_FREEP(Lof, lof_free)

/* The k actually used. */
size_t lof_k(const Lof *l);
/* The LOF of each fitted point (n values, owned by l). */
const double *lof_fit_scores(const Lof *l);
/* Novelty mode: LOF of new points q relative to the fitted points. */
int lof_score(const Lof *l, const Matrix *q, double *ret_scores, char **reterr_msg);

/* Fit and score x's own points: o->k (0: LOF_DEFAULT_K). */
int lof_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                     char **reterr_msg);

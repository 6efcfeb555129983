/* Mahalanobis distance to the mean under a shrunk covariance, for multivariate points.
 *
 * The covariance is the Ledoit-Wolf estimate (Ledoit and Wolf, "A well-conditioned estimator
 * for large-dimensional covariance matrices", J. Multivariate Analysis 88, 2004), computed as
 * scikit-learn's sklearn.covariance.LedoitWolf (assume_centered=False):
 *   S = the biased (divided by n) empirical covariance of the centred data X,
 *   mu = trace(S) / d, the target is mu * I,
 *   delta = (|S|_F^2 - 2 mu trace(S) + d mu^2) / d,
 *   beta = min(delta, (sum_i |x_i|^4 / n - |S|_F^2) / (d n)),
 *   shrinkage = beta / delta (0 when beta = 0, and 0 for d = 1 as scikit-learn),
 *   Sigma = (1 - shrinkage) S + shrinkage mu I.
 * The distance sqrt((x - m)' Sigma^-1 (x - m)) is computed from the Cholesky factor L of
 * Sigma (solving L y = x - m, distance |y|), never an explicit inverse. Note scikit-learn's
 * mahalanobis() returns the SQUARED distance; this module returns the distance (same order).
 *
 * Degenerate data: Sigma is positive definite whenever the shrinkage is > 0 and mu > 0, which
 * covers constant columns and d > n. Where it is not (d = 1, or a shrinkage of 0 with
 * collinear columns) the factorisation adds a ridge of 1e-10 * mu to the diagonal, growing
 * tenfold until it succeeds, and says so through mahalanobis_ridge(). All columns constant
 * (mu = 0): every distance is 0.
 *
 * Memory is d^2 doubles twice, so d is capped at MAHALANOBIS_MAX_DIMENSIONS; time is
 * O(n d^2) to fit and O(d^2) per scored point. A fitted model is immutable and may score
 * from several threads at once (the scratch is the caller's). */
#pragma once

#include <stddef.h>

#include "core/macro.h"
#include "detect/matrix.h"
#include "detect/outlier.h"

#define MAHALANOBIS_MAX_DIMENSIONS 2048u

typedef struct Mahalanobis Mahalanobis;

/* The Ledoit-Wolf estimate of x: mean into ret_mean (d), shrunk covariance into ret_cov (d * d,
 * row-major), shrinkage into *ret_shrinkage. x->n >= 1. */
void mahalanobis_ledoit_wolf(const Matrix *x, double *ret_mean, double *ret_cov,
                             double *ret_shrinkage);

/* Fits on reference data. -EINVAL with *reterr_msg (caller frees) for no points, -E2BIG for
 * d > MAHALANOBIS_MAX_DIMENSIONS. */
int mahalanobis_fit(const Matrix *x, Mahalanobis **ret, char **reterr_msg);
/* Distance of one point (mahalanobis_dimensions() values); scratch holds as many doubles. */
double mahalanobis_distance(const Mahalanobis *m, const double *point, double *scratch);
/* Distances of the n points of x; -EINVAL if x->d is not the fitted dimension. */
int mahalanobis_score(const Mahalanobis *m, const Matrix *x, double *ret_distances);

size_t mahalanobis_dimensions(const Mahalanobis *m);
const double *mahalanobis_location(const Mahalanobis *m);   /* d values */
const double *mahalanobis_covariance(const Mahalanobis *m); /* d * d, the shrunk one */
double mahalanobis_shrinkage(const Mahalanobis *m);
/* The ridge that had to be added to the diagonal (0 almost always, see above). */
double mahalanobis_ridge(const Mahalanobis *m);
Mahalanobis *mahalanobis_free(Mahalanobis *m);
DEFINE_FREEP(Mahalanobis, mahalanobis_free)

/* outlier.h's entry point: fit on x, score x (no options used). */
int mahalanobis_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                             char **reterr_msg);

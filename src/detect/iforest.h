/* Isolation Forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008), computed as
 * scikit-learn's IsolationForest.score_samples() does, negated so that higher = more anomalous:
 *
 *   - n_estimators trees, each grown on max_samples points drawn without replacement
 *     (max_samples capped at n; 0 means 256, scikit-learn's "auto" min(256, n)) and on
 *     max(1, floor(max_features * d)) features drawn without replacement;
 *   - at a node, a feature is drawn at random among the tree's features until one is not
 *     constant on the node's points, and the split value is uniform in [min, max) of it there
 *     (points <= the value go left); a node with fewer than 2 points, whose features are all
 *     constant, or at the height limit ceil(log2(max(max_samples, 2))) is a leaf;
 *   - h(x) = the depth of x's leaf + c(size of the leaf), c(n) = 2 H(n - 1) - 2 (n - 1) / n
 *     with H(i) = ln(i) + 0.5772156649 (c(2) = 1, c(1) = c(0) = 0);
 *   - score(x) = 2^(-mean over trees of h(x) / c(max_samples)), in (0, 1]; 0.5 for every
 *     point when c(max_samples) = 0 (one sample), as scikit-learn >= 1.1 does.
 *
 * The random numbers differ from numpy's, so the scores equal scikit-learn's in distribution
 * (ROC-AUC within noise, bench/results/outlier-accuracy.md), not bit for bit. One deviation:
 * scikit-learn calls a feature constant on a node when max - min <= 1e-7 (an absolute
 * threshold); here when max == min, which only differs for features with minute ranges.
 *
 * A fitted Iforest is immutable: iforest_score() may run from several threads at once. Its
 * trees are flat arrays (16-byte nodes in preorder, the left child next to its parent, leaves
 * pointing to themselves) walked a fixed number of steps, 8 points in lockstep, so that
 * scoring has no unpredictable branches and no pointer chasing outside one small array. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "detect/matrix.h"
#include "detect/outlier.h"

#define IFOREST_MAX_ESTIMATORS 10000u

typedef struct Iforest Iforest;

/* Average path length of an unsuccessful BST search among n points, c(n) above. */
double iforest_c(double n);

/* Fits on x with o->seed, o->n_estimators, o->max_samples and o->max_features. -EINVAL with
 * *reterr_msg (caller frees) for an empty x or options out of range. */
int iforest_fit(const Matrix *x, const OutlierOptions *o, Iforest **ret, char **reterr_msg);
/* Scores the n points of x (x->d must be the d the model was fitted on: -EINVAL if not). */
int iforest_score(const Iforest *f, const Matrix *x, double *ret_scores);
size_t iforest_dimensions(const Iforest *f);
Iforest *iforest_free(Iforest *f);
DEFINE_FREEP(Iforest, iforest_free)

/* A compact binary form of a fitted model (little-endian, "AIF1" magic, a version byte),
 * for the monitor to keep models across restarts. *ret_blob is the caller's. */
void iforest_save(const Iforest *f, uint8_t **ret_blob, size_t *ret_size);
/* The blob is untrusted: every size, index and value is checked; -EBADMSG with *reterr_msg
 * for anything malformed, -EPROTONOSUPPORT for another version. */
int iforest_load(const uint8_t *blob, size_t size, Iforest **ret, char **reterr_msg);

/* outlier.h's entry point: fit on x and score x (transductive, as scikit-learn's
 * fit(X).score_samples(X)). */
int iforest_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                         char **reterr_msg);

/* Outlier ensembles: normalise the scores of several detectors to one scale and combine
 * them, after Aggarwal and Sathe, "Theoretical foundations and algorithms for outlier
 * ensembles" (SIGKDD Explorations 17(1), 2015) and PyOD's pyod.models.combination.
 *
 * Normalisation (each method's n scores to [0, 1], higher = more anomalous):
 *   - rank: the average rank of each score among the n (ties share their mean rank, as
 *     scipy.stats.rankdata "average"), minus 1, divided by n - 1 (0.5 for n = 1 or all tied);
 *   - robust: z = (s - median) / (1.4826 MAD), mapped through the standard normal CDF,
 *     Phi(z) = erfc(-z / sqrt 2) / 2, so the median maps to 0.5 and the order is kept (the
 *     Gaussian scaling of Kriegel, Kroger, Schubert and Zimek, "Interpreting and unifying
 *     outlier scores", SDM 2011, whose max(0, 2 Phi(z) - 1) drops the lower half; PyOD
 *     standardises by mean and standard deviation instead, which one huge score distorts).
 *     When MAD = 0 (over half the scores equal) the scale is 1.2533 times the mean absolute
 *     deviation from the median (Iglewicz and Hoaglin's modified z-score); when that is 0
 *     too, every score maps to 0.5. Phi saturates to 1 past z = 8.3 (double precision).
 * Combination of m normalised score arrays:
 *   - mean (PyOD average): the mean over methods, Aggarwal and Sathe's preferred default;
 *   - max (PyOD maximization): the largest;
 *   - vote: each method's top ceil(contamination * n) points (outlier_labels(), ties by
 *     index) vote; the score is the share of methods voting for the point, in {0, 1/m, .., 1}
 *     (PyOD's majority_vote gives the 0/1 majority; the share keeps the agreement).
 * Non-finite inputs: NaN ranks lowest and +inf highest. */
#pragma once

#include <errno.h>
#include <stddef.h>

#include "detect/matrix.h"
#include "detect/outlier.h"

typedef enum EnsembleNorm {
        ENSEMBLE_NORM_RANK,
        ENSEMBLE_NORM_ROBUST,
        _ENSEMBLE_NORM_MAX,
        _ENSEMBLE_NORM_INVALID = -EINVAL,
} EnsembleNorm;

/* The values of OutlierOptions.ensemble_combine. */
typedef enum EnsembleCombine {
        ENSEMBLE_COMBINE_MEAN = 0,
        ENSEMBLE_COMBINE_MAX = 1,
        ENSEMBLE_COMBINE_VOTE = 2,
        _ENSEMBLE_COMBINE_MAX,
        _ENSEMBLE_COMBINE_INVALID = -EINVAL,
} EnsembleCombine;

/* The normalisation ensemble_score_matrix() uses. */
#define ENSEMBLE_NORM_DEFAULT ENSEMBLE_NORM_ROBUST

/* n scores to [0, 1] as above; ret may be scores itself. */
void ensemble_normalize_rank(const double *scores, size_t n, double *ret);
void ensemble_normalize_robust(const double *scores, size_t n, double *ret);
/* -EINVAL for an unknown norm. */
int ensemble_normalize(EnsembleNorm norm, const double *scores, size_t n, double *ret);

/* Combines m arrays of n scores, method after method in `scores` (m * n values), into ret (n).
 * contamination (in (0, 1]) is used by vote only. -EINVAL for m = 0, an unknown combination
 * or a contamination out of range. */
int ensemble_combine(EnsembleCombine c, const double *scores, size_t m, size_t n,
                     double contamination, double *ret);

/* Runs outlier_score() for each method of o->ensemble_methods (bit i = OutlierMethod i;
 * 0: iforest, lof and knn; the ensemble bit itself is ignored), normalises each with `norm`
 * and combines them with o->ensemble_combine (vote works on the raw scores: only their order
 * matters). A method answering -EOPNOTSUPP (not built) is skipped; -EOPNOTSUPP with
 * *reterr_msg when none is left. Any other failure of a method is returned with its message,
 * prefixed with the method's name. If ret_used is not NULL it gets the bit set of the methods
 * actually combined. */
int ensemble_score(const Matrix *x, const OutlierOptions *o, EnsembleNorm norm, double *ret_scores,
                   unsigned *ret_used, char **reterr_msg);

/* outlier.h's entry point: ensemble_score() with ENSEMBLE_NORM_DEFAULT. */
int ensemble_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                          char **reterr_msg);

const char *ensemble_norm_to_string(EnsembleNorm n);
EnsembleNorm ensemble_norm_from_string(const char *s);
const char *ensemble_combine_to_string(EnsembleCombine c);
EnsembleCombine ensemble_combine_from_string(const char *s);

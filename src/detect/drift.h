/* Drift tests between a reference window and a current window of one variable: did the
 * distribution change? Three tests, each with the usual threshold (DriftOptions):
 *
 *   - two-sample Kolmogorov-Smirnov: D = max |F_ref(x) - F_cur(x)| over the pooled values
 *     (Smirnov 1939), and its two-sided p-value P(D >= d) under "same distribution":
 *       . exact when n_ref * n_cur <= DRIFT_KS_EXACT_MAX: the probability that a random
 *         interleaving of the two samples leaves the band |i/n_ref - j/n_cur| < d (lattice
 *         path counting, Hodges 1957), computed as probabilities, not counts, so nothing
 *         overflows; it agrees with scipy.stats.ks_2samp(method="exact");
 *       . otherwise the asymptotic Kolmogorov distribution with Stephens' correction,
 *         Q_KS((sqrt(en) + 0.12 + 0.11 / sqrt(en)) d), en = n_ref n_cur / (n_ref + n_cur)
 *         (Stephens 1970; Numerical Recipes' probks). scipy >= 1.5 "asymp" uses kstwo.sf(d,
 *         round(en)) instead; the two differ by well under 0.01 at these sample sizes.
 *     Ties between the samples make the p-value conservative (as in scipy, not corrected).
 *     Drift when p < ks_alpha (0.05).
 *   - Population Stability Index over shared bins: the bin edges are the reference's
 *     quantiles at 1/B, 2/B, .., (B-1)/B (numpy's default linear interpolation; repeated
 *     edges merged, so a discrete reference gets fewer bins), the outer bins open; a value v
 *     falls in the bin of index #{edges <= v} (numpy.digitize, right=False). With r_k and c_k
 *     the shares of the reference and current values in bin k, an empty share replaced by
 *     epsilon (1e-4), PSI = sum_k (c_k - r_k) ln(c_k / r_k). Drift when PSI > 0.2 (0.1-0.2 is
 *     the customary "moderate shift").
 *   - Jensen-Shannon divergence in bits over the same bins (no epsilon needed):
 *     JS = (KL(r | m) + KL(c | m)) / 2, m = (r + c) / 2, log base 2, in [0, 1]. Drift when
 *     JS > 0.1. Note scipy.spatial.distance.jensenshannon returns the square root of this
 *     (the JS distance).
 *
 * Inputs are not modified; values must be finite (-EINVAL otherwise). Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DRIFT_KS_EXACT_MAX 10000000.0 /* n_ref * n_cur up to which the KS p-value is exact */
#define DRIFT_MAX_BINS     1000u

typedef struct DriftOptions {
        double ks_alpha;      /* 0.05 */
        double psi_threshold; /* 0.2 */
        double js_threshold;  /* 0.1 */
        unsigned n_bins;      /* 10 quantile bins of the reference */
        double epsilon;       /* 1e-4, the share given to an empty bin in the PSI */
} DriftOptions;

typedef struct DriftResult {
        double ks_statistic, ks_pvalue;
        bool ks_exact; /* the p-value is exact (else asymptotic) */
        double psi, js;
        size_t n_bins; /* the bins actually used (after merging repeated edges) */
        bool ks_drift, psi_drift, js_drift;
        bool drift; /* any of the three */
} DriftResult;

void drift_options_init(DriftOptions *o);

/* The KS statistic and two-sided p-value (either pointer may be NULL); -EINVAL for an empty
 * sample or a non-finite value. */
int drift_ks(const double *ref, size_t n_ref, const double *cur, size_t n_cur,
             double *ret_statistic, double *ret_pvalue, bool *ret_exact);
/* Kolmogorov's limiting survival function Q_KS(lambda) = 2 sum_j (-1)^(j-1) e^(-2 j^2 l^2). */
double drift_kolmogorov_sf(double lambda);

/* The quantile edges of the reference for n_bins bins: up to n_bins - 1 strictly increasing
 * edges into ret_edges (room for n_bins - 1), their number returned. n_ref >= 1. */
size_t drift_quantile_edges(const double *ref, size_t n_ref, unsigned n_bins, double *ret_edges);
/* Shares of the n values in the n_edges + 1 bins of `edges` (numpy.digitize rule above). */
void drift_histogram(const double *v, size_t n, const double *edges, size_t n_edges,
                     double *ret_shares);
/* PSI and JS of two share vectors over the same n bins (each summing to 1). */
double drift_psi_shares(const double *ref, const double *cur, size_t n, double epsilon);
double drift_js_shares(const double *p, const double *q, size_t n);

/* All three tests. -EINVAL with *reterr_msg (caller frees) for an empty window, a non-finite
 * value or options out of range (n_bins 0 or > DRIFT_MAX_BINS, epsilon not in (0, 1)). */
int drift_test(const double *ref, size_t n_ref, const double *cur, size_t n_cur,
               const DriftOptions *o, DriftResult *ret, char **reterr_msg);

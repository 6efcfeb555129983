/* Streaming (online) anomaly detectors: one small state per series, one call per new sample,
 * a score in [0,1] and an anomaly bit out. A sample's score uses only the samples before it
 * and itself. Cost per sample is O(window) at worst with small constants (well under 1 µs, see
 * bench/results/stream-cost.md); the AR model is refitted every `ar_refit` samples only.
 * A StreamDetector is owned by the caller, not shared between threads.
 *
 * Methods and what they follow:
 * - robust: rolling median and MAD z-score over the last `window` samples (Hampel filter;
 *   Iglewicz and Hoaglin 1993, "How to detect and handle outliers", z = (x - med) /
 *   (1.4826 MAD)). Where MAD is 0 (a mostly constant window) the scale falls back to 1.2533
 *   times the mean absolute deviation from the median (the IBM SPSS modified z-score rule),
 *   and where both are 0 to a relative epsilon, so that any change of a constant series
 *   scores 1. The window is kept sorted beside a ring buffer: insertion and eviction are a
 *   binary search and a memmove, the MAD is a two-pointer walk outward from the median, O(w).
 *   The sample is scored against the window before it is inserted.
 * - ewma: exponentially weighted mean and variance (Finch 2009, "Incremental calculation of
 *   weighted mean and variance"), z = (x - mean) / sd, alpha `ewma_alpha` with a 1/n warm
 *   start. Cheap but not robust: a spike inflates the variance for ~1/alpha samples.
 * - seasonal: additive Holt-Winters style baseline (Holt 1957, Winters 1960; Hyndman and
 *   Athanasopoulos, "Forecasting: principles and practice" §8.3): forecast = level + offset
 *   of the sample's slot, with 168 hour-of-week slots (hour of day x day of week, UTC) and 24
 *   hour-of-day slots. A slot is used once it has been seen on `seasonal_min_visits` distinct
 *   days: the weekly slot first, else the daily one, else (warm-up) the robust detector's
 *   score. The level is the cumulative mean during the warm-up (so that the offsets learn the
 *   profile) and then an EWMA of the deseasonalised value with time constant 1 h; slot
 *   offsets and residual variances move by about `seasonal_gamma` per hour of data in the
 *   slot whatever the sampling rate (alpha = max(1/n, gamma * dt / 1 h)). z = residual /
 *   max(slot residual sd, 0.25 * global residual sd). Updates use the residual clipped at 3
 *   sd (Huber), so that an anomaly does not become the baseline at once.
 *   Deviation: a daily-seasonal series is learned from its third day, a weekly one from its
 *   third week; no explicit trend term (the level EWMA follows slow trends).
 * - kalman: local linear trend model (level + slope, Harvey 1989, "Forecasting, structural
 *   time series models and the Kalman filter"; Durbin and Koopman 2012 §3.2) with one step
 *   per sample (irregular timestamps are not modelled). Noise ratios q_level/r and
 *   q_slope/r are fixed (`kalman_q_level`, `kalman_q_slope`); since scaling Q and R together
 *   leaves the gain unchanged, the filter runs with r = 1 and the scale sigma^2 is estimated
 *   online as a winsorised EWMA of v^2/S (the "scale-free" form of the filter). z = v /
 *   sqrt(S sigma^2), the normalised innovation. The state update uses the innovation clipped
 *   at 3 sqrt(S sigma^2) (a Huberised filter, Masreliez and Martin 1977); after 3 clipped
 *   innovations of one sign in a row (a level shift, not a spike) the covariance is reset so
 *   the filter re-converges within a few samples.
 * - ar: AR(p) model of the first differences (the ARIMA(p,1,0) idea, Box and Jenkins), fitted
 *   by Yule-Walker (Levinson-Durbin recursion) on the last `ar_window` differences every
 *   `ar_refit` samples. z = residual / robust residual scale (1.4826 MAD of the in-window
 *   residuals at the last fit). Outliers are cleaned before they enter the history (the
 *   difference is clipped at 2 residual sd, so a spike does not alarm again on its way back);
 *   after 3 clipped residuals of one sign in a row the raw value is accepted (level shift).
 * - ensemble: robust, seasonal, kalman and ar on the same series; the scores are combined by
 *   `ensemble_combine` (default the mean of the two highest: at least two methods must agree
 *   for a score above the threshold, which cuts the false alarms of any single one).
 *
 * Score mapping (the same for every method, so one threshold means the same on every series
 * and method): score = 1 - 10^(-(z / 4)^2), i.e. 0.5 at |z| = 2.19, 0.9 (the default
 * threshold) at |z| = 4, 0.99 at |z| = 5.66. For Gaussian noise a score >= 0.9 has a
 * probability of 6.3e-5 per sample. Scores are 0 during each method's warm-up.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

#define STREAM_WINDOW_MAX        128u /* robust window */
#define STREAM_AR_ORDER_MAX      8u
#define STREAM_AR_WINDOW_MAX     256u
#define STREAM_WEEK_SLOTS        168u
#define STREAM_DAY_SLOTS         24u
#define STREAM_Z_REF             4.0 /* |z| scoring STREAM_THRESHOLD_DEFAULT */
#define STREAM_THRESHOLD_DEFAULT 0.9

typedef enum StreamMethod {
        STREAM_ROBUST,
        STREAM_EWMA,
        STREAM_SEASONAL,
        STREAM_KALMAN,
        STREAM_AR,
        STREAM_ENSEMBLE,
        _STREAM_METHOD_MAX,
        _STREAM_METHOD_INVALID = -22, /* -EINVAL */
} StreamMethod;

typedef enum StreamCombine {
        STREAM_COMBINE_TOP2, /* mean of the two highest scores */
        STREAM_COMBINE_MAX,
        STREAM_COMBINE_MEAN,
        _STREAM_COMBINE_MAX,
        _STREAM_COMBINE_INVALID = -22,
} StreamCombine;

typedef struct StreamOptions {
        double threshold;             /* anomaly bit: score >= threshold (0.9) */
        unsigned window;              /* robust window, 3..STREAM_WINDOW_MAX (60) */
        unsigned min_samples;         /* robust/ewma warm-up, >= 3 (10) */
        double ewma_alpha;            /* (0, 1) (0.05) */
        unsigned seasonal_min_visits; /* distinct days a slot needs before use (2) */
        double seasonal_gamma;        /* slot weight per hour of data, (0, 1] (0.2) */
        double kalman_q_level;        /* q_level / r (0.01) */
        double kalman_q_slope;        /* q_slope / r (1e-4) */
        unsigned ar_order;            /* 1..STREAM_AR_ORDER_MAX (4) */
        unsigned ar_window; /* differences fitted, 4 * order..STREAM_AR_WINDOW_MAX (128) */
        unsigned ar_refit;  /* samples between fits, >= 1 (32) */
        StreamCombine ensemble_combine;
} StreamOptions;

/* The defaults above. */
void stream_options_init(StreamOptions *o);

typedef struct StreamDetector StreamDetector;

/* o may be NULL (defaults). -EINVAL with *reterr_msg (caller frees) for options out of range. */
int stream_new(StreamMethod m, const StreamOptions *o, StreamDetector **ret, char **reterr_msg);
StreamDetector *stream_free(StreamDetector *s);
DEFINE_FREEP(StreamDetector, stream_free)
/* Forgets everything learned; the options stay. */
void stream_reset(StreamDetector *s);
/* Scores value (at ts_ms, epoch ms; only the seasonal method looks at it) and then learns it.
 * -EINVAL for a value that is not finite (the state is untouched). */
int stream_update(StreamDetector *s, int64_t ts_ms, double value, double *ret_score,
                  bool *ret_anomaly);
/* The raw statistic behind the last score (signed z; 0 during warm-up), for explanations. */
double stream_last_z(const StreamDetector *s);
size_t stream_state_bytes(const StreamDetector *s);

/* The mapping of the header comment: 1 - 10^(-(z / STREAM_Z_REF)^2). */
double stream_score_from_z(double z);

const char *stream_method_to_string(StreamMethod m);
StreamMethod stream_method_from_string(const char *s);

/* --- building blocks, exposed for tests and for other detectors --- */

/* A rolling window kept sorted beside its ring buffer. */
typedef struct StreamWindow {
        unsigned cap;  /* window length */
        unsigned n;    /* samples in it, <= cap */
        unsigned head; /* ring index of the oldest sample */
        double ring[STREAM_WINDOW_MAX];
        double sorted[STREAM_WINDOW_MAX];
} StreamWindow;

void stream_window_init(StreamWindow *w, unsigned cap);
void stream_window_push(StreamWindow *w, double x);
/* n > 0. */
double stream_window_median(const StreamWindow *w);
/* Median absolute deviation from the median (unscaled) and mean absolute deviation; n > 0. */
void stream_window_mad(const StreamWindow *w, double median, double *ret_mad, double *ret_meanad);

/* Local linear trend Kalman filter, explicit noise (q_level, q_slope, r). */
typedef struct StreamKalman {
        double level, slope;
        double p00, p01, p11; /* symmetric covariance */
        double q_level, q_slope, r;
        bool started;
} StreamKalman;

void stream_kalman_init(StreamKalman *k, double q_level, double q_slope, double r);
/* Forecast (level + slope) and its innovation variance S = H P- H' + r for the next sample,
 * after at least one step. */
void stream_kalman_predict(const StreamKalman *k, double *ret_forecast, double *ret_s);
/* One predict + update with observation y; the innovation is clipped at +-clip (clip <= 0:
 * no clipping). The first call sets level = y, slope = 0, P = diag(r, r). */
void stream_kalman_step(StreamKalman *k, double y, double clip);

/* Yule-Walker AR(p) fit of x[0..n) (the mean removed; n > p): coefficients phi[0..p) of
 * x_t - mu = sum phi_i (x_{t-1-i} - mu) + e_t, the mean and the innovation variance.
 * -EDOM when the series is constant. */
int stream_ar_fit(const double *x, size_t n, unsigned p, double *ret_phi, double *ret_mu,
                  double *ret_sigma2);

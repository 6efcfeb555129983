/* Batch detection (`aiops detect`): the windows of the last hours (features.h) scored by an
 * ensemble of outlier methods, the anomalous windows grouped into anomalies, each explained
 * by the features that deviate most from the baseline, and stored (store/detectdb.h). It
 * also trains the host model the monitor scores new windows with, and holds that model's
 * API. Part of the detect pipeline: reads and writes the store.
 *
 * Method (docs/detect.md "Batch detection"):
 * 1. features_build() over [now - lookback, now), both ends aligned down on multiples of
 *    window_ms (runs a minute apart cut the same windows; the partial window is left out);
 * 2. each method of o->methods scores every window on the scaled matrix (iforest on the raw
 *    one: it is scale-free); LOF and KNN with k = max(20 resp. 5, ceil(contamination * n))
 *    capped at BATCH_NEIGHBOURS_MAX and below n (a fault lasting many windows is a dense
 *    cluster that a small k calls normal; with few windows k shrinks to n - 1); the scores
 *    are normalised (ensemble.h, robust: Phi of the robust z, the median window at 0.5) and
 *    averaged. That mean, in [0, 1], is the window's score, and an anomaly's stored score
 *    is its highest window's;
 * 3. a window is anomalous when its ensemble score is among the ceil(contamination * n)
 *    highest AND its most deviating feature has |z| >= batch_guard_z() (min_deviation,
 *    raised for many windows x features), z = (value - baseline mean) / baseline sd over
 *    the windows that are not in the top cut; the sd is at least the column's robust scale
 *    over all windows (the top cut also removes normal noise's extremes) and is floored
 *    by batch_sd_floor() (a feature constant in the baseline still gets a finite z); count
 *    series take z on the Anscombe scale (batch_z_scale()). The guard keeps a quiet day
 *    from reporting its 10 % "least usual" windows: an anomaly is something that moved;
 * 4. runs of anomalous windows (gaps of one window bridged; a longer time gap, e.g.
 *    dropped windows, ends a run) are one anomaly: start, end, the highest ensemble score,
 *    the methods whose own top cut contains at least half of its anomalous windows (else
 *    those closest to it), and the explanation: the top BATCH_TOP_FEATURES features by |z|
 *    of their mean over the anomaly's windows vs the baseline mean ± sd. The summary, for
 *    people, names those past the guard (at least one), values with units
 *    (batch_format_value()): "host_memory_used_percent 93% vs 61% ± 4%;
 *    service_resident_memory_bytes{service="mysql"} 4.1G vs 2.2G ± 100M;
 *    log_keyword_lines{keyword="out of memory",source="mysql"} 37 vs 0 ± 1". The subject is
 *    "service:<name>" when at least half of those summary features have that subject
 *    (features.h: by labels only), else "host".
 *
 * details JSON: {"window_ms": N, "windows": N (anomalous windows), "features": [{"name",
 * "metric", "subject", "value", "baseline_mean", "baseline_sd", "z"}...] (top
 * BATCH_TOP_FEATURES by |z|; baseline_sd floored; z on batch_z_scale()), "scores":
 * {"<method>": normalised score at the highest window...}, "guard_z": G}.
 *
 * The host model's meta JSON: {"version": 1, "window_ms", "contamination", "min_deviation",
 * "guard_z", "names", "aggs" ("mean"/"sum"), "medians", "means", "sds", "z_means", "z_sds",
 * "threshold", "score_lo", "score_hi", "n_trained", "train_rows", "iforest_bytes"}; its data
 * blob: the iforest_save() blob (iforest_bytes) followed by train_rows * n_features
 * little-endian doubles (the training rows kept for drift tests, evenly spaced).
 * Score mapping: raw <= threshold maps linearly from score_lo (0) to threshold (0.5), above
 * it from threshold (0.5) to 1 (the forest's maximum raw score) to 1.
 * Not thread-safe (the Store is not). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/macro.h"
#include "detect/features.h"
#include "detect/iforest.h"
#include "detect/outlier.h"
#include "store/detectdb.h"
#include "store/store.h"

#define BATCH_TOP_FEATURES 5u
#define BATCH_MAX_METHODS  8u

typedef struct BatchOptions {
        int64_t now_ms;
        int64_t lookback_ms; /* detect.lookback, --hours-back */
        int64_t window_ms;   /* detect.window */
        double contamination;
        double min_deviation;
        OutlierMethod methods[BATCH_MAX_METHODS];
        size_t n_methods;
        uint64_t seed;
        bool store; /* write the anomalies and the host model (false: --dry-run) */
        /* Called before each long step ("reading the store", "scoring with lof") for a
         * progress line; may be NULL. */
        void (*progress)(const char *step, void *userdata);
        void *userdata;
} BatchOptions;

/* From the configuration's detect section; now_ms and seed 0, store true. */
void batch_options_from_config(const DetectConfig *c, int64_t now_ms, BatchOptions *ret);

typedef struct BatchResult {
        FeatureSet *features;
        double *scores;        /* n_windows ensemble scores in [0, 1] */
        bool *anomalous;       /* n_windows */
        AnomalyRow *anomalies; /* with ids when stored */
        size_t n_anomalies;
        size_t n_new; /* of them, not already stored (detectdb_anomaly_put() returned 1) */
        bool model_stored;
        OutlierMethod methods[BATCH_MAX_METHODS]; /* the methods that scored (a method not
                                                   * built, -EOPNOTSUPP, is left out) */
        size_t n_methods;
        double guard_z; /* the |z| a window's top feature needed: batch_guard_z() */
} BatchResult;

/* Runs steps 1-4, stores the anomalies (o->store), and trains and stores the host model on
 * the windows that are not anomalous. -ENODATA with *reterr_msg when the store has too
 * little data (features.h); other -errno for store failures, named. A model that cannot be
 * trained for too few normal windows is not an error: model_stored stays false and
 * *reterr_msg (if given) says why, with 0 returned. */
int batch_run(Store *s, const BatchOptions *o, BatchResult **ret, char **reterr_msg);
BatchResult *batch_result_free(BatchResult *r);
DEFINE_FREEP(BatchResult, batch_result_free)

/* The |z| a window's most deviating feature needs to count (step 3): min_deviation, raised
 * to the |z| that Gaussian noise passes somewhere in the run with probability 5 %: the upper
 * 0.025 / (n_windows * n_features) quantile of N(0, 1) (a two-sided Bonferroni bound: 4.3
 * for 1440 windows of 2 features, 4.6 of 10, 5.1 of 100, 5.3 of 300), so that a quiet day
 * with many features does not report its noise. */
double batch_guard_z(double min_deviation, size_t n_windows, size_t n_features);

/* The baseline sd floor (step 3): max(sd, BATCH_SD_FLOOR_SHARE * |mean|, 1 for count series
 * (one line more is no deviation), BATCH_SD_FLOOR_ABS for the others). */
#define BATCH_SD_FLOOR_SHARE 0.05
#define BATCH_SD_FLOOR_ABS   1e-6
double batch_sd_floor(FeatureAgg agg, double mean, double sd);

/* The scale z is computed on: the value itself, or for count series (FEATURE_SUM: lines per
 * window) the Anscombe transform 2 sqrt(v + 3/8), on which Poisson counts have unit variance
 * (Anscombe 1948). Counts are skewed: 10 lines in a window that usually has 2 ± 1.4 are z 5.4
 * on the raw scale, and occur a few times a day among many sources; on this scale they are
 * z 3.4, while 37 'out of memory' lines against none stay far out (z 11). A count's baseline
 * sd on this scale is at least 1 (Poisson). */
double batch_z_scale(FeatureAgg agg, double v);

/* LOF and KNN neighbours at most (their cost grows with k), see batch_run(). */
#define BATCH_NEIGHBOURS_MAX 60u

/* A value with the unit its metric name says: *_bytes "4.1G" (powers of 1024, as the
 * tables), *_bytes_per_second "12M/s", *_percent "93.2%", *_seconds_per_second "0.12 s/s",
 * *_per_second "250/s", *_seconds "0.35s", others (counts) plain; 3 significant digits,
 * integers from 1000 up. */
void batch_format_value(const char *metric, double v, char *buf, size_t n);
/* "<name> <value> vs <mean> ± <sd>" with batch_format_value() (caller frees). */
char *batch_explain_feature(const char *name, const char *metric, double value, double mean,
                            double sd);

/* --- the host model: an Isolation Forest over the feature columns, reused by the monitor --- */

#define BATCH_MODEL_NAME                  "host"
#define BATCH_MODEL_TRAIN_ROWS            2000u
#define BATCH_MODEL_MIN_DEVIATION_DEFAULT 3.0

typedef struct HostModel {
        Iforest *forest;
        size_t n_features;
        char **names; /* feature columns, canonical series names */
        FeatureAgg *aggs;
        double *medians;  /* for missing values (features_window()) */
        double threshold; /* raw iforest score at the contamination cut of the training data */
        double score_lo, score_hi; /* training score range, for mapping a score to [0, 1] */
        int64_t trained_ms, from_ms, to_ms;
        size_t n_samples;
        double *train; /* the training rows (n_samples * n_features), for drift tests */
        /* Added: the baseline of the explanation (mean and floored sd of each column over
         * the rows the forest was fitted on), the |z| guard (batch_guard_z() at training),
         * the window width trained on, and how many rows the forest was fitted on (train
         * keeps at most BATCH_MODEL_TRAIN_ROWS of them, evenly spaced). */
        double *means, *sds;
        double *z_means, *z_sds; /* the baseline on the z scale: batch_z_scale() */
        double guard_z;
        int64_t window_ms;
        size_t n_trained;
} HostModel;

/* Fits the model on the rows of f that are not anomalous (anomalous may be NULL) and stores
 * it as BATCH_MODEL_NAME (meta JSON: names, aggs, medians, threshold, score range, and the
 * training rows, at most 2000, for drift tests). */
int host_model_train(Store *s, const FeatureSet *f, const bool *anomalous, uint64_t seed,
                     double contamination, int64_t now_ms, char **reterr_msg);
/* host_model_train() with the min_deviation the model's guard is computed from
 * (host_model_train() uses BATCH_MODEL_MIN_DEVIATION_DEFAULT; batch_run() the option's). */
int host_model_train_with(Store *s, const FeatureSet *f, const bool *anomalous, uint64_t seed,
                          double contamination, double min_deviation, int64_t now_ms,
                          char **reterr_msg);
/* 1 and *ret, 0 when no model is stored, -EBADMSG with *reterr_msg for a model that does not
 * load (it should then be retrained). */
int host_model_load(Store *s, HostModel **ret, char **reterr_msg);
HostModel *host_model_free(HostModel *m);
DEFINE_FREEP(HostModel, host_model_free)
/* Scores the window [start_ms, start_ms + window) read from the store: *ret_score in [0, 1]
 * (host_model_map_score(): 0.5 at the threshold), *ret_anomaly when the raw score is above
 * the threshold AND a feature's |z| against the training baseline reaches guard_z (as
 * step 3; without it a tenth of normal windows would pass the contamination cut), and the
 * deviating features as text into *ret_summary (caller frees; NULL unless anomalous).
 * Each output may be NULL. -ENODATA when the window has no host data. */
int host_model_score_window(const HostModel *m, Store *s, int64_t start_ms, int64_t window_ms,
                            double *ret_score, bool *ret_anomaly, char **ret_summary);
/* A raw forest score mapped to [0, 1] as host_model_score_window() does. */
double host_model_map_score(const HostModel *m, double raw);

/* Batch detection (`aiops detect`): the windows of the last hours (features.h) scored by an
 * ensemble of outlier methods, the anomalous windows grouped into anomalies, each explained
 * by the features that deviate most from the baseline, and stored (store/detectdb.h). It
 * also trains the host model the monitor scores new windows with, and holds that model's
 * API. Part of the detect pipeline: reads and writes the store.
 *
 * Method (docs/detect.md "Batch detection"):
 * 1. features_build() over [now - lookback, now) in windows of window_ms;
 * 2. each method of o->methods scores every window on the scaled matrix (iforest on the raw
 *    one: it is scale-free); the scores are normalised (ensemble.h, robust) and averaged;
 * 3. a window is anomalous when its ensemble score is among the ceil(contamination * n)
 *    highest AND its most deviating feature has |z| >= min_deviation, z = (value -
 *    baseline mean) / baseline sd over the windows that are not in the top cut (sd floored
 *    at a small share of the mean, so that a feature constant in the baseline still gets a
 *    finite z). The second rule keeps a quiet day from reporting its 10 % "least usual"
 *    windows: an anomaly is something that actually moved;
 * 4. runs of anomalous windows (gaps of one window bridged) are one anomaly: start, end,
 *    the highest ensemble score mapped to [0, 1], the methods whose own top cut contains
 *    at least half of its windows, the subject ("service:<name>" when most of its top
 *    features are one service's, else "host"), and the explanation: the top features by
 *    |z| (mean over the anomaly vs baseline mean ± sd), as text for people
 *    ("host_memory_used_percent 93 vs 61 ± 4; service_resident_memory_bytes{service=
 *    "mysql"} 4.1G vs 2.2G ± 0.1G; log_keyword_lines{keyword="out of memory",source=
 *    "mysql"} 37 vs 0") and as JSON for the patterns (details below).
 *
 * details JSON: {"window_ms": N, "windows": N, "features": [{"name", "metric", "subject",
 * "value", "baseline_mean", "baseline_sd", "z"}...] (top BATCH_TOP_FEATURES by |z|),
 * "scores": {"<method>": normalised score...}}. */
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
} BatchResult;

/* Runs steps 1-4, stores the anomalies (o->store), and trains and stores the host model on
 * the windows that are not anomalous. -ENODATA with *reterr_msg when the store has too
 * little data (features.h); other -errno for store failures, named. */
int batch_run(Store *s, const BatchOptions *o, BatchResult **ret, char **reterr_msg);
BatchResult *batch_result_free(BatchResult *r);
DEFINE_FREEP(BatchResult, batch_result_free)

/* --- the host model: an Isolation Forest over the feature columns, reused by the monitor --- */

#define BATCH_MODEL_NAME "host"

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
} HostModel;

/* Fits the model on the rows of f that are not anomalous (anomalous may be NULL) and stores
 * it as BATCH_MODEL_NAME (meta JSON: names, aggs, medians, threshold, score range, and the
 * training rows, at most 2000, for drift tests). */
int host_model_train(Store *s, const FeatureSet *f, const bool *anomalous, uint64_t seed,
                     double contamination, int64_t now_ms, char **reterr_msg);
/* 1 and *ret, 0 when no model is stored, -EBADMSG with *reterr_msg for a model that does not
 * load (it should then be retrained). */
int host_model_load(Store *s, HostModel **ret, char **reterr_msg);
HostModel *host_model_free(HostModel *m);
DEFINE_FREEP(HostModel, host_model_free)
/* Scores the window [start_ms, start_ms + window) read from the store: *ret_score in [0, 1]
 * (0.5 at the threshold... see docs), *ret_anomaly when above the threshold, and the top
 * deviating features as text into *ret_summary (caller frees; NULL unless anomalous).
 * -ENODATA when the window has no host data. */
int host_model_score_window(const HostModel *m, Store *s, int64_t start_ms, int64_t window_ms,
                            double *ret_score, bool *ret_anomaly, char **ret_summary);

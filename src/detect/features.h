/* The feature matrix of batch detection (`aiops detect`, the monitor's host model): the
 * store's series over [from, to) cut into windows of window_ms, one row per window, one
 * column per feature. Part of the detect pipeline: it reads the store; the algorithms it
 * feeds (outlier.h) do not.
 *
 * Which series are features (docs/detect.md "Features"):
 * - host metrics (host_*), except counters (*_total), sizes and limits that only change
 *   with the configuration (host_cpus, host_memory_total_bytes, host_swap_total_bytes,
 *   host_filesystem_size_bytes, host_filesystem_inodes_total, host_file_descriptors_max)
 *   and host_uptime_seconds;
 * - key-service metrics (service_*), except service_main_pid;
 * - log counts: log_lines (by severity), log_keyword_lines, log_new_templates,
 *   log_anomalies, and the access-log metrics http_*;
 * - not: process_* (a pid's series ends with it; services aggregate processes),
 *   log_template_lines (hundreds per source; their surprises are log_new_templates),
 *   aiops_* (the agent's own cost) and the detectors' own output (anomaly_*,
 *   host_anomaly_*).
 * A window's value is the mean of the samples in it, except for count series (log_lines,
 * log_keyword_lines, log_new_templates, log_anomalies: lines per bucket), which are summed.
 *
 * Missing values: a window without any host sample is dropped (the agent was not running:
 * no data is not an anomaly). Then a missing service_*, log_* or http_* value is 0 (the
 * service had no process, the source no line); a missing host value is the column's
 * median. Columns that are constant over the kept windows are dropped (they cannot tell a
 * window from another), as are host columns with values in fewer than half of the windows
 * (mostly imputed; a count or service column's missing value is a real 0, so a log keyword
 * seen in a few windows only is kept).
 *
 * Subjects come from labels only: a service_* series is "service:<its service label>", a
 * log_* or http_* series "service:<source>" when its source label equals the service label
 * of some service_* series in the store; everything else is "host". Not thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "detect/matrix.h"
#include "store/store.h"

#define FEATURES_MAX 2000u /* columns kept at most (the first by canonical name) */

typedef enum FeatureAgg {
        FEATURE_MEAN,
        FEATURE_SUM,
} FeatureAgg;

typedef struct Feature {
        char *name; /* the series' canonical form: service_resident_memory_bytes{service="mysql"} */
        char *metric;  /* its metric name: service_resident_memory_bytes */
        char *subject; /* "host", or "service:<name>" for service_* series and for the
                        * http_* and log_* series of a log source named after a service
                        * (see above) */
        FeatureAgg agg;
        double median, scale; /* robust centre and scale over the kept windows (scale > 0):
                               * 1.4826 MAD, else the standard deviation, else 1 */
        double mad; /* 1.4826 MAD over the kept windows (0 when over half of them are equal) */
} Feature;

typedef struct FeatureSet {
        int64_t from_ms, to_ms, window_ms;
        size_t n_windows;  /* rows */
        int64_t *start_ms; /* each row's window start; windows with no host data are absent */
        size_t n_features; /* columns */
        Feature *features;
        double *x;                /* n_windows * n_features, row-major, raw values (no NaN left) */
        double *scaled;           /* the same as (x - median) / scale, for distance based methods */
        size_t n_dropped_windows; /* no host sample */
        size_t n_dropped_features; /* constant or too sparse */
} FeatureSet;

/* Builds the matrix of [from_ms, to_ms) in windows of window_ms (the last partial window is
 * left out). -ENODATA with *reterr_msg when fewer than 2 windows or no feature remain
 * (saying which, and how much data the store has). */
int features_build(Store *s, int64_t from_ms, int64_t to_ms, int64_t window_ms, FeatureSet **ret,
                   char **reterr_msg);
FeatureSet *features_free(FeatureSet *f);
DEFINE_FREEP(FeatureSet, features_free)

/* Views of the two matrices (borrowed). */
Matrix features_matrix(const FeatureSet *f);
Matrix features_scaled(const FeatureSet *f);

/* One window [start_ms, start_ms + window_ms) as a row over the columns of `like` (same
 * order, same aggregation and missing-value rules; a column with no sample gets `like`'s
 * median for host series, 0 for the others), for scoring new windows with a model trained
 * on `like`'s columns. names/n_names: the column names of a stored model (FeatureSet
 * columns or a model's meta); ret_row gets n_names values. 0, or -ENODATA when the window
 * has no host sample at all. */
int features_window(Store *s, const char *const *names, const FeatureAgg *aggs,
                    const double *medians, size_t n_names, int64_t start_ms, int64_t window_ms,
                    double *ret_row);

/* Whether a metric name is a feature by the rules above, and how it is aggregated. */
bool features_metric_wanted(const char *metric, FeatureAgg *ret_agg);

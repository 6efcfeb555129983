/* Online scoring in the agent (`aiops monitor`, `aiops collect`, `aiops run`): every new
 * sample of a scored series gets an anomaly score in [0, 1] and an anomaly bit from a
 * streaming detector (stream.h, detect.online.method, default seasonal) kept per series,
 * and the agent stores them as series of their own (docs/detect.md "Online scoring"):
 *
 *   anomaly_score{metric="<name>", <the series' labels>}   score of each scored sample
 *   host_anomaly_rate                                      share of the cycle's scored
 *                                                          series with the bit set
 *   host_anomalous_series                                  their number
 *
 * Scored series: those features.h takes as features (host, service, log counts, http),
 * never the detectors' own output. A detector learns from the samples it scores; on first
 * sight of a series (a restart) it is warmed up from the series' stored history
 * (ONLINE_WARMUP_MS at most), so a restart does not start the learning over. Part of the
 * detect pipeline: reads the store for the warm-up. Single-threaded. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/macro.h"
#include "store/store.h"

#define ONLINE_WARMUP_MS    (3 * 24 * 3600 * INT64_C(1000))
#define ONLINE_MAX_SERIES   20000u /* series scored at most; more are left unscored, said once */
#define ONLINE_SCORE_METRIC "anomaly_score"

typedef struct OnlineScorer OnlineScorer;

typedef struct OnlineStats {
        uint64_t series;            /* with a detector */
        uint64_t scored_last_cycle; /* samples scored in the last cycle */
        uint64_t anomalous_last_cycle;
        uint64_t samples_scored; /* over its life */
        uint64_t warmup_samples; /* replayed from the store */
        int64_t cpu_ns;          /* spent scoring (thread CPU), warm-up included */
        size_t state_bytes;
} OnlineStats;

/* -EINVAL with *reterr_msg for a method name or threshold that is not valid. */
int online_new(const DetectConfig *c, OnlineScorer **ret, char **reterr_msg);
OnlineScorer *online_free(OnlineScorer *o);
DEFINE_FREEP(OnlineScorer, online_free)

/* Whether samples of this metric name are scored. */
bool online_wants(const char *metric);

/* Starts a cycle (resets the cycle's counts). */
void online_cycle_begin(OnlineScorer *o);
/* Scores a sample of series (name, labels "k", "v", ..., NULL) at ts_ms; store (may be
 * NULL) is read once per series for the warm-up. 1 with *ret_score and *ret_anomaly when
 * scored, 0 when the series is not scored (online_wants(), ONLINE_MAX_SERIES, a non-finite
 * value, or a timestamp not after the series' last). */
int online_observe(OnlineScorer *o, Store *store, const char *name, const char *const *labels,
                   int64_t ts_ms, double value, double *ret_score, bool *ret_anomaly);
/* The cycle's anomaly rate (0 when nothing was scored) and count. */
void online_cycle_end(OnlineScorer *o, double *ret_rate, uint64_t *ret_anomalous);
void online_stats(const OnlineScorer *o, OnlineStats *ret);

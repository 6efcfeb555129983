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
 * never the detectors' own output (features_metric_wanted()). A detector learns from the
 * samples it scores; on first sight of a series (a restart) it is warmed up from the series'
 * stored history (ONLINE_WARMUP_MS at most), so a restart does not start the learning over:
 * a warmed-up detector is in exactly the state that feeding the same samples live gives.
 * Series are kept in an open-addressing hash table keyed by name and labels as the caller
 * spells them, so that scoring a known series allocates nothing. Part of the detect
 * pipeline: reads the store for the warm-up. Single-threaded; non-logging (a full table is
 * reported in OnlineStats.full for the caller to say once). */
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
        /* Spent in online_observe() and online_observe_stored(), warm-up included: monotonic
         * clock around one online_observe() call in 16, scaled, and around every warm-up and
         * online_observe_stored() call (the thread CPU clock is a ~0.5 µs system call, more
         * than a sample's scoring). A sampled call is counted as at most 20 µs: scoring never
         * blocks, so longer means the thread was descheduled. */
        int64_t cpu_ns;
        int64_t cpu_ns_last_cycle; /* of it, in the last cycle */
        int64_t warmup_ns;         /* of it, replaying stored history */
        size_t state_bytes;
        double rate_last_cycle;   /* online_cycle_end()'s rate */
        uint64_t refused_samples; /* of new series past ONLINE_MAX_SERIES */
        bool full;                /* ONLINE_MAX_SERIES reached: new series are not scored */
} OnlineStats;

/* One of the highest scores of the last cycle (online_top()). */
typedef struct OnlineTop {
        char series[256]; /* name{k="v",...}, cut at 255 bytes */
        double score;
        bool anomaly;
        int64_t ts_ms;
} OnlineTop;

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
/* The n highest scores of the series scored in the last completed cycle, highest first;
 * returns how many were written (<= n). O(series): for reports, not for every cycle. */
size_t online_top(const OnlineScorer *o, OnlineTop *ret, size_t n);

/* Called for each sample online_observe_stored() scores; labels as the store spells them. */
typedef void (*OnlineScoredFn)(void *userdata, const char *name, const char *const *labels,
                               int64_t ts_ms, double score, bool anomaly);
/* Scores series another writer stored (the logs layer's count buckets): every series of
 * metric in s whose samples are newer than the last one this scorer saw of it. On first
 * sight the samples before since_ms (and at most ONLINE_WARMUP_MS before the series' last)
 * are the warm-up and the later ones are scored. Counts into the current cycle like
 * online_observe(). Returns the number of samples scored, or -errno from the store. */
int online_observe_stored(OnlineScorer *o, Store *s, const char *metric, int64_t since_ms,
                          OnlineScoredFn cb, void *userdata);

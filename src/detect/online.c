#include "detect/online.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "detect/features.h"
#include "detect/stream.h"

#define LABELS_MAX 32u /* label pairs of a stored series we score at most */
/* One online_observe() call in this many is timed, and counts for all of them: two clock
 * reads (~50 ns each in a VM) would otherwise cost a third of a cheap detector's update.
 * The count runs across cycles, so the timed calls rotate over the series. Warm-ups are
 * always timed in full. */
#define TIMING_EVERY  16u
#define TIMING_MAX_NS INT64_C(20000) /* a scoring call takes < 2 µs */

typedef struct Entry {
        char *key; /* name \0 k \0 v \0 ... : NULL for an empty slot */
        size_t key_len;
        uint64_t hash;
        StreamDetector *det;
        int64_t last_ts_ms; /* INT64_MIN before the first sample */
        uint64_t cycle;     /* the cycle it was last scored in */
        double cycle_score; /* its highest score in that cycle */
        int64_t cycle_ts_ms;
        bool cycle_anomaly;
} Entry;

struct OnlineScorer {
        StreamMethod method;
        StreamOptions opts;
        Entry *slots; /* open addressing, linear probing; cap a power of two */
        size_t cap, n;

        uint64_t cycle;      /* starts at 1 */
        uint64_t cycle_done; /* the last cycle online_cycle_end() closed, 0 before */
        uint64_t cycle_samples, cycle_series, cycle_anomalous;
        uint64_t calls; /* online_observe() calls for wanted series */
        int64_t cycle_cpu_ns;
        OnlineStats stats;
};

int online_new(const DetectConfig *c, OnlineScorer **ret, char **reterr_msg)
{
        _cleanup_(online_freep) OnlineScorer *o = xnew0(OnlineScorer, 1);
        _cleanup_(stream_freep) StreamDetector *probe = NULL;

        assert(c && ret);
        o->method = stream_method_from_string(c->online_method ? c->online_method : "");
        if (o->method < 0) {
                if (reterr_msg)
                        *reterr_msg = xasprintf(
                                "invalid detect.online.method '%s' (expected robust, ewma, "
                                "seasonal, kalman, ar or ensemble)",
                                c->online_method ? c->online_method : "");
                return -EINVAL;
        }
        stream_options_init(&o->opts);
        o->opts.threshold = c->online_threshold;
        if (!(c->online_threshold > 0 && c->online_threshold < 1)) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("invalid detect.online.threshold %g (expected "
                                                "a score between 0 and 1)",
                                                c->online_threshold);
                return -EINVAL;
        }
        /* Checks the options once, so that creating a series' detector cannot fail later. */
        int r = stream_new(o->method, &o->opts, &probe, reterr_msg);
        if (r < 0)
                return r;
        o->cap = 64;
        o->slots = xnew0(Entry, o->cap);
        o->cycle = 1;
        *ret = TAKE_PTR(o);
        return 0;
}

OnlineScorer *online_free(OnlineScorer *o)
{
        if (!o)
                return NULL;
        for (size_t i = 0; i < o->cap; i++) {
                free(o->slots[i].key);
                stream_free(o->slots[i].det);
        }
        free(o->slots);
        free(o);
        return NULL;
}

static bool has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The cheap part of online_wants(), before the series is looked up (the agent offers every
 * sample, process_* included, and most of them are not scored); the rest runs only for a
 * series not seen yet. */
static bool quick_wants(const char *metric)
{
        return metric && (metric[0] == 'h' || metric[0] == 's' || metric[0] == 'l') &&
               !has_prefix(metric, "process_");
}

bool online_wants(const char *metric)
{
        if (!quick_wants(metric))
                return false;
        /* Never the detectors' own output (host_anomaly_score and _rate of the agent,
         * host_anomalous_series), whatever the features' rules say. */
        if (has_prefix(metric, "host_anomal"))
                return false;
        return features_metric_wanted(metric, NULL);
}

/* Over name and labels, each string with its terminating NUL (so that ("ab", "c") and ("a",
 * "bc") differ), 8 bytes at a time: a multiply-xorshift mix per word (FNV-1a's dependent
 * multiply per byte was a third of the lookup). */
static uint64_t key_hash(const char *name, const char *const *labels, size_t *ret_len)
{
        uint64_t h = UINT64_C(0x9E3779B97F4A7C15);
        size_t len = 0;

        for (size_t i = 0;; i++) {
                const char *s = i == 0 ? name : labels ? labels[i - 1] : NULL;
                if (!s)
                        break;
                size_t n = strlen(s) + 1;
                len += n;
                for (; n >= 8; s += 8, n -= 8) {
                        uint64_t w;
                        memcpy(&w, s, 8);
                        h = (h ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
                        h ^= h >> 31;
                }
                uint64_t w = 0;
                memcpy(&w, s, n);
                h = (h ^ w ^ (uint64_t) n << 56) * UINT64_C(0x94D049BB133111EB);
                h ^= h >> 29;
        }
        *ret_len = len;
        return h;
}

static bool key_equal(const Entry *e, const char *name, const char *const *labels, size_t len)
{
        const char *k = e->key;

        if (e->key_len != len)
                return false;
        for (size_t i = 0;; i++) {
                const char *s = i == 0 ? name : labels ? labels[i - 1] : NULL;
                if (!s)
                        return true;
                size_t n = strlen(s) + 1;
                if (memcmp(k, s, n) != 0)
                        return false;
                k += n;
        }
}

static Entry *lookup(OnlineScorer *o, uint64_t hash, const char *name, const char *const *labels,
                     size_t len)
{
        for (size_t mask = o->cap - 1, i = hash & mask; o->slots[i].key; i = (i + 1) & mask)
                if (o->slots[i].hash == hash && key_equal(&o->slots[i], name, labels, len))
                        return &o->slots[i];
        return NULL;
}

static Entry *slot_for(Entry *slots, size_t cap, uint64_t hash)
{
        size_t mask = cap - 1, i = hash & mask;
        while (slots[i].key)
                i = (i + 1) & mask;
        return &slots[i];
}

static void grow(OnlineScorer *o)
{
        size_t cap = o->cap * 2;
        Entry *slots = xnew0(Entry, cap);

        for (size_t i = 0; i < o->cap; i++)
                if (o->slots[i].key)
                        *slot_for(slots, cap, o->slots[i].hash) = o->slots[i];
        free(o->slots);
        o->slots = slots;
        o->cap = cap;
}

static Entry *add(OnlineScorer *o, uint64_t hash, const char *name, const char *const *labels,
                  size_t len)
{
        if (2 * (o->n + 1) > o->cap)
                grow(o);
        Entry *e = slot_for(o->slots, o->cap, hash);
        char *k = xmalloc(len);
        size_t off = 0;
        for (size_t i = 0;; i++) {
                const char *s = i == 0 ? name : labels ? labels[i - 1] : NULL;
                if (!s)
                        break;
                size_t n = strlen(s) + 1;
                memcpy(k + off, s, n);
                off += n;
        }
        int r = stream_new(o->method, &o->opts, &e->det, NULL);
        assert(r >= 0); /* the options were checked by online_new() */
        (void) r;
        e->key = k;
        e->key_len = len;
        e->hash = hash;
        e->last_ts_ms = INT64_MIN;
        o->n++;
        o->stats.series = o->n;
        o->stats.state_bytes += stream_state_bytes(e->det) + len + sizeof(Entry);
        return e;
}

/* Learns a sample without counting it as scored (warm-up). */
static void learn(OnlineScorer *o, Entry *e, int64_t ts_ms, double value)
{
        double score;
        bool anomaly;

        if (ts_ms <= e->last_ts_ms || stream_update(e->det, ts_ms, value, &score, &anomaly) < 0)
                return;
        e->last_ts_ms = ts_ms;
        o->stats.warmup_samples++;
}

static int score(OnlineScorer *o, Entry *e, int64_t ts_ms, double value, double *ret_score,
                 bool *ret_anomaly)
{
        double s;
        bool anomaly;

        if (ts_ms <= e->last_ts_ms || stream_update(e->det, ts_ms, value, &s, &anomaly) < 0)
                return 0;
        e->last_ts_ms = ts_ms;
        if (e->cycle != o->cycle) {
                e->cycle = o->cycle;
                e->cycle_score = -1;
                e->cycle_anomaly = false;
                o->cycle_series++;
        }
        if (s > e->cycle_score) {
                e->cycle_score = s;
                e->cycle_ts_ms = ts_ms;
        }
        if (anomaly && !e->cycle_anomaly) {
                e->cycle_anomaly = true;
                o->cycle_anomalous++;
        }
        o->cycle_samples++;
        o->stats.samples_scored++;
        *ret_score = s;
        *ret_anomaly = anomaly;
        return 1;
}

/* The stored series that name and labels spell (an empty label value is no label, as in
 * store_series_canonical()), fed with its samples in [ts_ms - ONLINE_WARMUP_MS, ts_ms). */
static void warm_up(OnlineScorer *o, Entry *e, Store *s, const char *name,
                    const char *const *labels, int64_t ts_ms)
{
        StoreSeries *series = NULL;
        size_t n = 0, n_labels = 0;

        for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2)
                n_labels += labels[i + 1][0] != '\0';
        if (store_series_match(s, name, labels, &series, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                StoreSample *samples = NULL;
                size_t n_samples = 0;

                if (series[i].n_labels != n_labels)
                        continue;
                if (store_query(s, series[i].id, ts_ms - ONLINE_WARMUP_MS, ts_ms - 1, &samples,
                                &n_samples) >= 0)
                        for (size_t j = 0; j < n_samples; j++)
                                learn(o, e, samples[j].ts_ms, samples[j].value);
                free(samples);
                break;
        }
        store_series_array_free(series, n);
}

/* The series' entry, created (and warmed up from store, if given) on first sight; NULL when
 * the table is full. */
static Entry *entry_get(OnlineScorer *o, Store *store, const char *name, const char *const *labels,
                        int64_t ts_ms, bool *ret_new)
{
        size_t len;
        uint64_t hash = key_hash(name, labels, &len);
        Entry *e = lookup(o, hash, name, labels, len);

        *ret_new = false;
        if (e)
                return e; /* only wanted series have an entry */
        if (!online_wants(name))
                return NULL;
        if (o->n >= ONLINE_MAX_SERIES) {
                o->stats.full = true;
                o->stats.refused_samples++;
                return NULL;
        }
        e = add(o, hash, name, labels, len);
        *ret_new = true;
        if (store) {
                int64_t t0 = time_mono_ns();
                warm_up(o, e, store, name, labels, ts_ms);
                o->stats.warmup_ns += time_mono_ns() - t0;
        }
        return e;
}

void online_cycle_begin(OnlineScorer *o)
{
        o->cycle++;
        o->cycle_samples = o->cycle_series = o->cycle_anomalous = 0;
        o->cycle_cpu_ns = 0;
}

int online_observe(OnlineScorer *o, Store *store, const char *name, const char *const *labels,
                   int64_t ts_ms, double value, double *ret_score, bool *ret_anomaly)
{
        bool is_new;

        if (!quick_wants(name) || !isfinite(value))
                return 0;
        bool timed = o->calls++ % TIMING_EVERY == 0;
        int64_t t0 = timed ? time_mono_ns() : 0, warm0 = o->stats.warmup_ns;
        Entry *e = entry_get(o, store, name, labels, ts_ms, &is_new);
        int r = e ? score(o, e, ts_ms, value, ret_score, ret_anomaly) : 0;
        int64_t warm = o->stats.warmup_ns - warm0;
        int64_t dt = 0;
        if (timed)
                /* Wall time: a call that took longer was descheduled, not scoring. */
                dt = MIN(time_mono_ns() - t0 - warm, TIMING_MAX_NS) * (int64_t) TIMING_EVERY;
        dt += warm;
        o->stats.cpu_ns += dt;
        o->cycle_cpu_ns += dt;
        return r;
}

int online_observe_stored(OnlineScorer *o, Store *s, const char *metric, int64_t since_ms,
                          OnlineScoredFn cb, void *userdata)
{
        StoreSeries *series = NULL;
        size_t n = 0;
        int scored = 0;

        if (!online_wants(metric))
                return 0;
        int64_t t0 = time_mono_ns();
        int r = store_series_match(s, metric, NULL, &series, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const char *labels[2 * LABELS_MAX + 1];
                StoreSample *samples = NULL;
                size_t n_samples = 0;
                bool is_new;

                if (series[i].n_labels > LABELS_MAX || series[i].samples == 0)
                        continue;
                for (size_t j = 0; j < series[i].n_labels; j++) {
                        labels[2 * j] = series[i].labels[j].key;
                        labels[2 * j + 1] = series[i].labels[j].value;
                }
                labels[2 * series[i].n_labels] = NULL;
                /* No warm-up query of its own: the one below reads the history too. */
                Entry *e = entry_get(o, NULL, metric, labels, 0, &is_new);
                if (!e)
                        continue;
                if (!is_new && series[i].last_ts_ms <= e->last_ts_ms)
                        continue;
                int64_t from = is_new ? series[i].last_ts_ms - ONLINE_WARMUP_MS : e->last_ts_ms + 1;
                int64_t tw = time_mono_ns();
                r = store_query(s, series[i].id, from, INT64_MAX, &samples, &n_samples);
                for (size_t j = 0; r >= 0 && j < n_samples; j++) {
                        double score_v;
                        bool anomaly;
                        if (is_new && samples[j].ts_ms < since_ms) {
                                learn(o, e, samples[j].ts_ms, samples[j].value);
                                if (j + 1 == n_samples || samples[j + 1].ts_ms >= since_ms)
                                        o->stats.warmup_ns += time_mono_ns() - tw;
                                continue;
                        }
                        if (score(o, e, samples[j].ts_ms, samples[j].value, &score_v, &anomaly) <=
                            0)
                                continue;
                        scored++;
                        if (cb)
                                cb(userdata, metric, labels, samples[j].ts_ms, score_v, anomaly);
                }
                free(samples);
        }
        store_series_array_free(series, n);
        int64_t dt = time_mono_ns() - t0;
        o->stats.cpu_ns += dt;
        o->cycle_cpu_ns += dt;
        return r < 0 ? r : scored;
}

void online_cycle_end(OnlineScorer *o, double *ret_rate, uint64_t *ret_anomalous)
{
        double rate =
                o->cycle_series > 0 ? (double) o->cycle_anomalous / (double) o->cycle_series : 0.0;

        o->stats.scored_last_cycle = o->cycle_samples;
        o->stats.anomalous_last_cycle = o->cycle_anomalous;
        o->stats.cpu_ns_last_cycle = o->cycle_cpu_ns;
        o->stats.rate_last_cycle = rate;
        o->cycle_done = o->cycle;
        *ret_rate = rate;
        *ret_anomalous = o->cycle_anomalous;
}

void online_stats(const OnlineScorer *o, OnlineStats *ret)
{
        *ret = o->stats;
}

/* name{k="v",...} from an entry's key, cut to fit. */
static void format_key(const Entry *e, char *buf, size_t size)
{
        const char *k = e->key, *end = e->key + e->key_len;
        size_t len = 0;

        len += (size_t) snprintf(buf, size, "%s", k);
        k += strlen(k) + 1;
        for (bool first = true; k < end && len < size; first = false) {
                const char *v = k + strlen(k) + 1;
                if (v >= end)
                        break;
                len += (size_t) snprintf(buf + len, size - len, "%s%s=\"%s\"", first ? "{" : ",", k,
                                         v);
                k = v + strlen(v) + 1;
                if (k >= end && len < size)
                        len += (size_t) snprintf(buf + len, size - len, "}");
        }
}

size_t online_top(const OnlineScorer *o, OnlineTop *ret, size_t n)
{
        size_t m = 0;
        uint64_t cycle = o->cycle_done;

        for (size_t i = 0; i < o->cap && n > 0; i++) {
                const Entry *e = &o->slots[i];
                if (!e->key || cycle == 0 || e->cycle != cycle)
                        continue;
                if (m == n && !(e->cycle_score > ret[m - 1].score))
                        continue;
                size_t j = m < n ? m++ : m - 1;
                for (; j > 0 && e->cycle_score > ret[j - 1].score; j--)
                        ret[j] = ret[j - 1];
                format_key(e, ret[j].series, sizeof(ret[j].series));
                ret[j].score = e->cycle_score;
                ret[j].anomaly = e->cycle_anomaly;
                ret[j].ts_ms = e->cycle_ts_ms;
        }
        return m;
}

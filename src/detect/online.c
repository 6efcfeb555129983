/* STUB: replaced by the online scoring implementation (online.h). */
#include "detect/online.h"

#include <errno.h>
#include <stdlib.h>

#include "core/alloc.h"

int online_new(const DetectConfig *c, OnlineScorer **ret, char **reterr_msg)
{
        (void) c, (void) ret;
        if (reterr_msg)
                *reterr_msg = xstrdup("online scoring is not implemented yet");
        return -EOPNOTSUPP;
}

OnlineScorer *online_free(OnlineScorer *o)
{
        (void) o;
        return NULL;
}

bool online_wants(const char *metric)
{
        (void) metric;
        return false;
}

void online_cycle_begin(OnlineScorer *o)
{
        (void) o;
}

int online_observe(OnlineScorer *o, Store *store, const char *name, const char *const *labels,
                   int64_t ts_ms, double value, double *ret_score, bool *ret_anomaly)
{
        (void) o, (void) store, (void) name, (void) labels, (void) ts_ms, (void) value,
                (void) ret_score, (void) ret_anomaly;
        return 0;
}

void online_cycle_end(OnlineScorer *o, double *ret_rate, uint64_t *ret_anomalous)
{
        (void) o;
        *ret_rate = 0;
        *ret_anomalous = 0;
}

void online_stats(const OnlineScorer *o, OnlineStats *ret)
{
        (void) o;
        *ret = (OnlineStats){0};
}

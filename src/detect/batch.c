/* STUB: replaced by the batch detection implementation (batch.h). */
#include "detect/batch.h"

#include <errno.h>
#include <stdlib.h>

#include "core/alloc.h"

void batch_options_from_config(const DetectConfig *c, int64_t now_ms, BatchOptions *ret)
{
        (void) c, (void) now_ms;
        *ret = (BatchOptions){0};
}

int batch_run(Store *s, const BatchOptions *o, BatchResult **ret, char **reterr_msg)
{
        (void) s, (void) o, (void) ret;
        if (reterr_msg)
                *reterr_msg = xstrdup("batch detection is not implemented yet");
        return -EOPNOTSUPP;
}

BatchResult *batch_result_free(BatchResult *r)
{
        free(r);
        return NULL;
}

int host_model_train(Store *s, const FeatureSet *f, const bool *anomalous, uint64_t seed,
                     double contamination, int64_t now_ms, char **reterr_msg)
{
        (void) s, (void) f, (void) anomalous, (void) seed, (void) contamination, (void) now_ms;
        if (reterr_msg)
                *reterr_msg = xstrdup("host models are not implemented yet");
        return -EOPNOTSUPP;
}

int host_model_load(Store *s, HostModel **ret, char **reterr_msg)
{
        (void) s, (void) ret, (void) reterr_msg;
        return 0;
}

HostModel *host_model_free(HostModel *m)
{
        free(m);
        return NULL;
}

int host_model_score_window(const HostModel *m, Store *s, int64_t start_ms, int64_t window_ms,
                            double *ret_score, bool *ret_anomaly, char **ret_summary)
{
        (void) m, (void) s, (void) start_ms, (void) window_ms, (void) ret_score, (void) ret_anomaly,
                (void) ret_summary;
        return -EOPNOTSUPP;
}

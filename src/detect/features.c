/* STUB: replaced by the features implementation (features.h). */
#include "detect/features.h"

#include <errno.h>
#include <stdlib.h>

#include "core/alloc.h"

int features_build(Store *s, int64_t from_ms, int64_t to_ms, int64_t window_ms, FeatureSet **ret,
                   char **reterr_msg)
{
        (void) s, (void) from_ms, (void) to_ms, (void) window_ms, (void) ret;
        if (reterr_msg)
                *reterr_msg = xstrdup("feature extraction is not implemented yet");
        return -EOPNOTSUPP;
}

FeatureSet *features_free(FeatureSet *f)
{
        free(f);
        return NULL;
}

Matrix features_matrix(const FeatureSet *f)
{
        return (Matrix){.n = f->n_windows, .d = f->n_features, .x = f->x};
}

Matrix features_scaled(const FeatureSet *f)
{
        return (Matrix){.n = f->n_windows, .d = f->n_features, .x = f->scaled};
}

int features_window(Store *s, const char *const *names, const FeatureAgg *aggs,
                    const double *medians, size_t n_names, int64_t start_ms, int64_t window_ms,
                    double *ret_row)
{
        (void) s, (void) names, (void) aggs, (void) medians, (void) n_names, (void) start_ms,
                (void) window_ms, (void) ret_row;
        return -EOPNOTSUPP;
}

bool features_metric_wanted(const char *metric, FeatureAgg *ret_agg)
{
        (void) metric, (void) ret_agg;
        return false;
}

/* The feature matrix of batch detection: see features.h. */
#include "detect/features.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "detect/stats.h"

static bool startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool endswith(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool features_metric_wanted(const char *metric, FeatureAgg *ret_agg)
{
        /* Sizes and limits that change only with the configuration or the hardware. */
        static const char *const host_static[] = {
                "host_cpus",
                "host_memory_total_bytes",
                "host_swap_total_bytes",
                "host_filesystem_size_bytes",
                "host_filesystem_inodes_total",
                "host_file_descriptors_max",
                "host_uptime_seconds",
        };
        /* Lines per log bucket: a window's value is their sum. */
        static const char *const counts[] = {
                "log_lines",
                "log_keyword_lines",
                "log_new_templates",
                "log_anomalies",
        };
        FeatureAgg agg = FEATURE_MEAN;

        if (!metric)
                return false;
        if (startswith(metric, "host_")) {
                if (endswith(metric, "_total") || startswith(metric, "host_anomal"))
                        return false;
                for (size_t i = 0; i < ELEMENTSOF(host_static); i++)
                        if (strcmp(metric, host_static[i]) == 0)
                                return false;
        } else if (startswith(metric, "service_")) {
                if (strcmp(metric, "service_main_pid") == 0 || endswith(metric, "_total"))
                        return false;
        } else if (startswith(metric, "http_")) {
                if (endswith(metric, "_total"))
                        return false;
        } else if (startswith(metric, "log_")) {
                bool found = false;
                for (size_t i = 0; i < ELEMENTSOF(counts) && !found; i++)
                        found = strcmp(metric, counts[i]) == 0;
                if (!found)
                        return false;
                agg = FEATURE_SUM;
        } else
                return false;

        if (ret_agg)
                *ret_agg = agg;
        return true;
}

static const char *label_value(const StoreSeries *se, const char *key)
{
        for (size_t i = 0; i < se->n_labels; i++)
                if (strcmp(se->labels[i].key, key) == 0)
                        return se->labels[i].value;
        return NULL;
}

/* "service:<name>" for a service's series and for the log and http series of a log source
 * named after a service of the store (services: the names of service_* series); else
 * "host". Only the labels decide: a log source whose name differs from its service's (e.g.
 * "mariadb" for service "mysql") is the host's. */
static char *feature_subject(const StoreSeries *se, const char *const *services, size_t n_services)
{
        const char *v = NULL;

        if (startswith(se->name, "service_"))
                v = label_value(se, "service");
        else if (startswith(se->name, "log_") || startswith(se->name, "http_")) {
                const char *src = label_value(se, "source");
                for (size_t i = 0; src && i < n_services && !v; i++)
                        if (strcmp(services[i], src) == 0)
                                v = src;
        }
        return v && *v ? xasprintf("service:%s", v) : xstrdup("host");
}

FeatureSet *features_free(FeatureSet *f)
{
        if (!f)
                return NULL;
        for (size_t j = 0; j < f->n_features; j++) {
                free(f->features[j].name);
                free(f->features[j].metric);
                free(f->features[j].subject);
        }
        free(f->features);
        free(f->start_ms);
        free(f->x);
        free(f->scaled);
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

/* A candidate column: the per-window sum and sample count of one series over all windows. */
typedef struct Column {
        const StoreSeries *se;
        FeatureAgg agg;
        bool host;
        double *sum;
        uint32_t *cnt;
} Column;

static void columns_free(Column *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(c[i].sum);
                free(c[i].cnt);
        }
        free(c);
}

/* Adds the samples of [from_ms, from_ms + n_windows * window_ms) to the column; marks the
 * windows with a sample in has (may be NULL). */
static int column_read(Store *s, Column *c, int64_t from_ms, int64_t window_ms, size_t n_windows,
                       bool *has)
{
        _cleanup_free_ StoreSample *v = NULL;
        size_t n = 0;
        int64_t to_ms = from_ms + (int64_t) n_windows * window_ms;

        int r = store_query(s, c->se->id, from_ms, to_ms - 1, &v, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (v[i].ts_ms < from_ms || v[i].ts_ms >= to_ms || !isfinite(v[i].value))
                        continue;
                size_t w = (size_t) ((v[i].ts_ms - from_ms) / window_ms);
                c->sum[w] += v[i].value;
                c->cnt[w]++;
                if (has)
                        has[w] = true;
        }
        return 0;
}

/* Robust centre and scale of a column (features.h). */
static void column_scale(const double *x, size_t n, double *scratch, double *ret_median,
                         double *ret_mad, double *ret_scale)
{
        double mean = 0, var = 0;

        for (size_t i = 0; i < n; i++) {
                scratch[i] = x[i];
                mean += scratch[i];
        }
        mean /= (double) n;
        for (size_t i = 0; i < n; i++)
                var += (scratch[i] - mean) * (scratch[i] - mean);
        double sd = n > 1 ? sqrt(var / (double) (n - 1)) : 0;

        double med = stats_median_sort(scratch, n);
        for (size_t i = 0; i < n; i++)
                scratch[i] = fabs(scratch[i] - med);
        double mad = 1.4826 * stats_median_sort(scratch, n);
        *ret_median = med;
        *ret_mad = mad;
        *ret_scale = mad > 0 ? mad : sd > 0 ? sd : 1;
}

static char *nodata_message(const StoreSeries *se, size_t n_se, int64_t from_ms, int64_t to_ms,
                            int64_t window_ms, size_t n_kept, size_t n_windows)
{
        int64_t first = INT64_MAX, last = INT64_MIN;
        char a[32], b[32], c[32], w[32], span[32];

        for (size_t i = 0; i < n_se; i++) {
                if (se[i].samples == 0 || !features_metric_wanted(se[i].name, NULL))
                        continue;
                first = MIN(first, se[i].first_ts_ms);
                last = MAX(last, se[i].last_ts_ms);
        }
        (void) time_format_duration(window_ms, w, sizeof(w));
        (void) time_format_duration(to_ms - from_ms, span, sizeof(span));
        if (first > last)
                return xasprintf("the store has no host, service or log data yet; detection "
                                 "needs at least 2 windows of %s with host samples (run 'aiops "
                                 "collect' or 'aiops monitor')",
                                 w);
        return xasprintf("the store has %.1f hours of data between %s and %s; detection needs "
                         "at least 2 windows of %s with host samples in the %s analysed (%s to "
                         "%s), found %zu of %zu",
                         (double) (last - first) / (double) MSEC_PER_HOUR,
                         time_format_local(first, a, sizeof(a)),
                         time_format_local(last, b, sizeof(b)), w, span,
                         time_format_local(from_ms, c, sizeof(c)),
                         time_format_local(to_ms, a, sizeof(a)), n_kept, n_windows);
}

int features_build(Store *s, int64_t from_ms, int64_t to_ms, int64_t window_ms, FeatureSet **ret,
                   char **reterr_msg)
{
        _cleanup_(features_freep) FeatureSet *f = NULL;
        _cleanup_free_ bool *has = NULL;
        _cleanup_free_ const char **services = NULL;
        _cleanup_free_ double *scratch = NULL, *colmajor = NULL;
        StoreSeries *se = NULL;
        Column *cols = NULL;
        size_t n_se = 0, n_cols = 0, n_services = 0;
        int r;

        assert(s && ret);
        if (window_ms <= 0 || to_ms <= from_ms) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("empty time range or window");
                return -EINVAL;
        }
        size_t n_all = (size_t) ((to_ms - from_ms) / window_ms);
        if (n_all > 10u * 1000u * 1000u) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("too many windows: use a wider window");
                return -E2BIG;
        }

        r = store_series_match(s, NULL, NULL, &se, &n_se);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("cannot list the series: %s", store_last_error(s));
                return r;
        }

        services = xnew0(const char *, n_se + 1);
        for (size_t i = 0; i < n_se; i++) {
                const char *v =
                        startswith(se[i].name, "service_") ? label_value(&se[i], "service") : NULL;
                bool dup = false;
                for (size_t k = 0; v && k < n_services && !dup; k++)
                        dup = strcmp(services[k], v) == 0;
                if (v && *v && !dup)
                        services[n_services++] = v;
        }

        has = xnew0(bool, MAX(n_all, (size_t) 1));
        cols = xnew0(Column, n_se + 1);
        for (size_t i = 0; i < n_se; i++) {
                FeatureAgg agg;
                if (!features_metric_wanted(se[i].name, &agg) || se[i].samples == 0 ||
                    se[i].last_ts_ms < from_ms || se[i].first_ts_ms >= to_ms || n_all == 0)
                        continue;
                Column *c = &cols[n_cols++];
                *c = (Column){
                        .se = &se[i],
                        .agg = agg,
                        .host = startswith(se[i].name, "host_"),
                        .sum = xnew0(double, n_all),
                        .cnt = xnew0(uint32_t, n_all),
                };
                r = column_read(s, c, from_ms, window_ms, n_all, c->host ? has : NULL);
                if (r < 0) {
                        if (reterr_msg)
                                *reterr_msg = xasprintf("cannot read '%s': %s", se[i].canonical,
                                                        store_last_error(s));
                        goto out;
                }
        }

        size_t n_kept = 0;
        for (size_t w = 0; w < n_all; w++)
                n_kept += has[w];
        if (n_kept < 2) {
                if (reterr_msg)
                        *reterr_msg =
                                nodata_message(se, n_se, from_ms, to_ms, window_ms, n_kept, n_all);
                r = -ENODATA;
                goto out;
        }

        f = xnew0(FeatureSet, 1);
        f->from_ms = from_ms;
        f->to_ms = to_ms;
        f->window_ms = window_ms;
        f->n_windows = n_kept;
        f->n_dropped_windows = n_all - n_kept;
        f->start_ms = xnew(int64_t, n_kept);
        for (size_t w = 0, k = 0; w < n_all; w++)
                if (has[w])
                        f->start_ms[k++] = from_ms + (int64_t) w * window_ms;

        /* Columns first into a column-major scratch, then transposed into rows. */
        size_t n_keep_cols = MIN(n_cols, (size_t) FEATURES_MAX);
        colmajor = xnew(double, MAX(n_keep_cols * n_kept, (size_t) 1));
        f->features = xnew0(Feature, MAX(n_keep_cols, (size_t) 1));
        scratch = xnew(double, n_kept);
        for (size_t i = 0; i < n_cols; i++) {
                const Column *c = &cols[i];
                double *v = colmajor + f->n_features * n_kept;
                size_t present = 0;

                if (f->n_features == FEATURES_MAX) {
                        f->n_dropped_features++;
                        continue;
                }
                for (size_t w = 0, k = 0; w < n_all; w++) {
                        if (!has[w])
                                continue;
                        if (c->cnt[w] > 0) {
                                v[k] = c->agg == FEATURE_SUM ? c->sum[w]
                                                             : c->sum[w] / (double) c->cnt[w];
                                scratch[present++] = v[k];
                        } else
                                v[k] = (double) NAN;
                        k++;
                }
                /* A host series missing from over half of the windows would be mostly
                 * imputed; a missing count or service value is a real 0. */
                if (present == 0 || (c->host && 2 * present < n_kept)) {
                        f->n_dropped_features++;
                        continue;
                }
                double fill = c->host ? stats_median_sort(scratch, present) : 0;
                bool constant = true;
                for (size_t k = 0; k < n_kept; k++) {
                        if (isnan(v[k]))
                                v[k] = fill;
                        constant = constant && v[k] == v[0];
                }
                if (constant) {
                        f->n_dropped_features++;
                        continue;
                }
                Feature *ft = &f->features[f->n_features++];
                ft->name = xstrdup(c->se->canonical);
                ft->metric = xstrdup(c->se->name);
                ft->subject = feature_subject(c->se, services, n_services);
                ft->agg = c->agg;
                column_scale(v, n_kept, scratch, &ft->median, &ft->mad, &ft->scale);
        }
        if (f->n_features == 0) {
                if (reterr_msg) {
                        char w[32];
                        *reterr_msg = xasprintf(
                                "no feature varies over the %zu windows of %s with data (%zu "
                                "series read): detection needs at least one metric that moves",
                                n_kept, time_format_duration(window_ms, w, sizeof(w)), n_cols);
                }
                r = -ENODATA;
                goto out;
        }

        size_t d = f->n_features;
        f->x = xnew(double, n_kept *d);
        f->scaled = xnew(double, n_kept *d);
        for (size_t j = 0; j < d; j++) {
                const double *v = colmajor + j * n_kept;
                const Feature *ft = &f->features[j];
                for (size_t k = 0; k < n_kept; k++) {
                        f->x[k * d + j] = v[k];
                        f->scaled[k * d + j] = (v[k] - ft->median) / ft->scale;
                }
        }
        *ret = TAKE_PTR(f);
        r = 0;
out:
        columns_free(cols, n_cols);
        store_series_array_free(se, n_se);
        return r;
}

static int cmp_series_canonical(const void *key, const void *elem)
{
        return strcmp((const char *) key, ((const StoreSeries *) elem)->canonical);
}

int features_window(Store *s, const char *const *names, const FeatureAgg *aggs,
                    const double *medians, size_t n_names, int64_t start_ms, int64_t window_ms,
                    double *ret_row)
{
        StoreSeries *se = NULL;
        size_t n_se = 0;
        bool any_host_column = false, has_host = false, has_any = false;

        assert(s && (names || n_names == 0) && aggs && medians && ret_row);
        if (window_ms <= 0)
                return -EINVAL;
        int r = store_series_match(s, NULL, NULL, &se, &n_se);
        if (r < 0)
                return r;

        for (size_t j = 0; j < n_names; j++) {
                bool host = startswith(names[j], "host_");
                const StoreSeries *m =
                        n_se > 0 ? bsearch(names[j], se, n_se, sizeof(*se), cmp_series_canonical)
                                 : NULL;
                Column c = {.se = m, .agg = aggs[j], .host = host};
                double sum = 0;
                uint32_t cnt = 0;
                bool has = false;

                any_host_column = any_host_column || host;
                if (m && m->samples > 0 && m->last_ts_ms >= start_ms &&
                    m->first_ts_ms < start_ms + window_ms) {
                        c.sum = &sum;
                        c.cnt = &cnt;
                        r = column_read(s, &c, start_ms, window_ms, 1, &has);
                        if (r < 0)
                                goto out;
                }
                if (cnt > 0)
                        ret_row[j] = aggs[j] == FEATURE_SUM ? sum : sum / (double) cnt;
                else
                        ret_row[j] = host ? medians[j] : 0;
                has_host = has_host || (host && has);
                has_any = has_any || has;
        }
        r = (any_host_column ? has_host : has_any) ? 0 : -ENODATA;
out:
        store_series_array_free(se, n_se);
        return r;
}

/* Batch detection over the store and the host model: see batch.h. */
#include "detect/batch.h"

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/json-util.h"
#include "core/strbuf.h"
#include "core/table.h"
#include "detect/ensemble.h"

#define LOF_K_DEFAULT 20u
#define KNN_K_DEFAULT 5u

void batch_options_from_config(const DetectConfig *c, int64_t now_ms, BatchOptions *ret)
{
        assert(c && ret);
        *ret = (BatchOptions){
                .now_ms = now_ms,
                .lookback_ms = c->lookback_ms,
                .window_ms = c->window_ms,
                .contamination = c->contamination,
                .min_deviation = c->min_deviation,
                .store = true,
        };
        for (size_t i = 0; i < c->n_methods && ret->n_methods < BATCH_MAX_METHODS; i++) {
                OutlierMethod m = outlier_method_from_string(c->methods[i]);
                if (m >= 0 && m != OUTLIER_ENSEMBLE)
                        ret->methods[ret->n_methods++] = m;
        }
        if (ret->n_methods == 0) {
                ret->methods[ret->n_methods++] = OUTLIER_IFOREST;
                ret->methods[ret->n_methods++] = OUTLIER_LOF;
                ret->methods[ret->n_methods++] = OUTLIER_KNN;
        }
}

/* Standard normal upper quantile: the z with P(Z > z) = p, by bisection on erfc (p in
 * (0, 0.5]). */
static double normal_upper_quantile(double p)
{
        double lo = 0, hi = 40;

        for (int i = 0; i < 200; i++) {
                double mid = (lo + hi) / 2;
                if (0.5 * erfc(mid / sqrt(2.0)) > p)
                        lo = mid;
                else
                        hi = mid;
        }
        return (lo + hi) / 2;
}

double batch_guard_z(double min_deviation, size_t n_windows, size_t n_features)
{
        double cells = (double) MAX(n_windows, (size_t) 1) * (double) MAX(n_features, (size_t) 1);
        return fmax(min_deviation, normal_upper_quantile(0.025 / cells));
}

double batch_sd_floor(FeatureAgg agg, double mean, double sd)
{
        return fmax(fmax(sd, BATCH_SD_FLOOR_SHARE * fabs(mean)),
                    agg == FEATURE_SUM ? 1.0 : BATCH_SD_FLOOR_ABS);
}

/* --- formatting --- */

static bool endswith(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void format_number(double v, char *buf, size_t n)
{
        if (!isfinite(v))
                (void) snprintf(buf, n, "-");
        else if (fabs(v) >= 1000)
                (void) snprintf(buf, n, "%.0f", v);
        else
                (void) snprintf(buf, n, "%.3g", v == 0 ? 0.0 : v); /* no "-0" */
}

void batch_format_value(const char *metric, double v, char *buf, size_t n)
{
        char num[64];
        const char *unit = "";

        assert(buf && n > 0);
        metric = metric ?: "";
        if (endswith(metric, "_bytes") || endswith(metric, "_bytes_per_second")) {
                if (v < 0) {
                        (void) table_format_bytes(-v, num + 1, sizeof(num) - 1);
                        num[0] = '-';
                } else
                        (void) table_format_bytes(v, num, sizeof(num));
                (void) snprintf(buf, n, "%s%s", num, endswith(metric, "_per_second") ? "/s" : "");
                return;
        }
        if (endswith(metric, "_percent"))
                unit = "%";
        else if (endswith(metric, "_seconds_per_second"))
                unit = " s/s";
        else if (endswith(metric, "_per_second"))
                unit = "/s";
        else if (endswith(metric, "_seconds"))
                unit = "s";
        format_number(v, num, sizeof(num));
        (void) snprintf(buf, n, "%s%s", num, unit);
}

char *batch_explain_feature(const char *name, const char *metric, double value, double mean,
                            double sd)
{
        char v[64], m[64], d[64];

        batch_format_value(metric, value, v, sizeof(v));
        batch_format_value(metric, mean, m, sizeof(m));
        batch_format_value(metric, sd, d, sizeof(d));
        return xasprintf("%s %s vs %s ± %s", name, v, m, d);
}

/* --- batch detection --- */

BatchResult *batch_result_free(BatchResult *r)
{
        if (!r)
                return NULL;
        features_free(r->features);
        free(r->scores);
        free(r->anomalous);
        detectdb_anomaly_rows_free(r->anomalies, r->n_anomalies);
        free(r);
        return NULL;
}

static void progress(const BatchOptions *o, const char *step)
{
        if (o->progress)
                o->progress(step, o->userdata);
}

typedef struct Baseline {
        const FeatureAgg *aggs; /* borrowed */
        double *mean;           /* n_features */
        double *sd;             /* floored: batch_sd_floor() */
        double *zmean, *zsd;    /* the scale z is computed on: batch_z_scale() */
} Baseline;

double batch_z_scale(FeatureAgg agg, double v)
{
        return agg == FEATURE_SUM ? 2 * sqrt(fmax(v, 0) + 0.375) : v;
}

/* Mean and sd of column j's rows that are not excluded, on the raw or the z scale. */
static void column_moments(const double *x, size_t n, size_t d, size_t j, const bool *exclude,
                           FeatureAgg z_agg, double *ret_mean, double *ret_sd)
{
        double sum = 0, ss = 0;
        size_t m = 0;

        for (size_t i = 0; i < n; i++)
                if (!exclude || !exclude[i]) {
                        sum += batch_z_scale(z_agg, x[i * d + j]);
                        m++;
                }
        double mean = sum / (double) MAX(m, (size_t) 1);
        for (size_t i = 0; i < n; i++)
                if (!exclude || !exclude[i]) {
                        double e = batch_z_scale(z_agg, x[i * d + j]) - mean;
                        ss += e * e;
                }
        *ret_mean = mean;
        *ret_sd = m > 1 ? sqrt(ss / (double) (m - 1)) : 0;
}

/* aggs: the columns' aggregation; mad: their robust scale over all windows (NULL: none). */
static void baseline_compute(const double *x, size_t n, size_t d, const FeatureAgg *aggs,
                             const double *mad, const bool *exclude, Baseline *ret)
{
        ret->aggs = aggs;
        ret->mean = xnew(double, d);
        ret->sd = xnew(double, d);
        ret->zmean = xnew(double, d);
        ret->zsd = xnew(double, d);
        for (size_t j = 0; j < d; j++) {
                double sd;
                column_moments(x, n, d, j, exclude, FEATURE_MEAN, &ret->mean[j], &sd);
                /* The top cut also removes the extremes of normal noise, which shrinks the
                 * sd of the rest: the robust scale of all windows bounds it from below. */
                if (mad)
                        sd = fmax(sd, mad[j]);
                ret->sd[j] = batch_sd_floor(aggs[j], ret->mean[j], sd);
                if (aggs[j] == FEATURE_SUM) {
                        /* Poisson counts have unit variance on the Anscombe scale. */
                        column_moments(x, n, d, j, exclude, FEATURE_SUM, &ret->zmean[j], &sd);
                        ret->zsd[j] = fmax(sd, 1);
                } else {
                        ret->zmean[j] = ret->mean[j];
                        ret->zsd[j] = ret->sd[j];
                }
        }
}

static double baseline_z(const Baseline *b, size_t j, double v)
{
        return (batch_z_scale(b->aggs[j], v) - b->zmean[j]) / b->zsd[j];
}

/* The columns' aggregations and robust scales, as baseline_compute() takes them. */
static void feature_arrays(const FeatureSet *f, FeatureAgg **ret_aggs, double **ret_mad)
{
        *ret_aggs = xnew(FeatureAgg, MAX(f->n_features, (size_t) 1));
        *ret_mad = xnew(double, MAX(f->n_features, (size_t) 1));
        for (size_t j = 0; j < f->n_features; j++) {
                (*ret_aggs)[j] = f->features[j].agg;
                (*ret_mad)[j] = f->features[j].mad;
        }
}

static void baseline_done(Baseline *b)
{
        free(b->mean);
        free(b->sd);
        free(b->zmean);
        free(b->zsd);
}

typedef struct Ranked {
        size_t j;
        double z;
} Ranked;

static int cmp_ranked(const void *a, const void *b)
{
        double x = fabs(((const Ranked *) a)->z), y = fabs(((const Ranked *) b)->z);
        if (x != y)
                return x < y ? 1 : -1;
        size_t i = ((const Ranked *) a)->j, k = ((const Ranked *) b)->j;
        return (i > k) - (i < k);
}

/* The features of one row (or a mean row) ranked by |z|, the top `top` into ret (sorted);
 * returns how many. */
static size_t rank_features(const double *row, const Baseline *b, size_t d, size_t top, Ranked *ret)
{
        _cleanup_free_ Ranked *all = xnew(Ranked, d);

        for (size_t j = 0; j < d; j++)
                all[j] = (Ranked){j, baseline_z(b, j, row[j])};
        qsort(all, d, sizeof(*all), cmp_ranked);
        size_t n = MIN(top, d);
        memcpy(ret, all, n * sizeof(*ret));
        return n;
}

static double max_abs_z(const double *row, const Baseline *b, size_t d)
{
        double m = 0;
        for (size_t j = 0; j < d; j++)
                m = fmax(m, fabs(baseline_z(b, j, row[j])));
        return m;
}

/* The subject of an explanation (batch.h). */
static char *pick_subject(const FeatureSet *f, const Ranked *top, size_t n)
{
        size_t best = 0, best_count = 0;

        for (size_t i = 0; i < n; i++) {
                const char *s = f->features[top[i].j].subject;
                size_t count = 0;
                if (strcmp(s, "host") == 0)
                        continue;
                for (size_t k = 0; k < n; k++)
                        count += strcmp(f->features[top[k].j].subject, s) == 0;
                if (count > best_count) {
                        best = i;
                        best_count = count;
                }
        }
        if (best_count > 0 && 2 * best_count >= n)
                return xstrdup(f->features[top[best].j].subject);
        return xstrdup("host");
}

typedef struct Scoring {
        size_t n_methods;
        OutlierMethod methods[BATCH_MAX_METHODS];
        double *norm; /* n_methods * n normalised scores */
        int *labels;  /* n_methods * n: each method's own top cut */
} Scoring;

static void scoring_done(Scoring *sc)
{
        free(sc->norm);
        free(sc->labels);
}

static int score_windows(const FeatureSet *f, const BatchOptions *o, Scoring *sc, double *ret,
                         char **reterr_msg)
{
        size_t n = f->n_windows;
        Matrix raw = features_matrix(f), scaled = features_scaled(f);
        _cleanup_free_ double *s = xnew(double, n);

        sc->norm = xnew(double, o->n_methods *n);
        sc->labels = xnew(int, o->n_methods *n);
        for (size_t k = 0; k < o->n_methods; k++) {
                OutlierMethod m = o->methods[k];
                OutlierOptions oo;
                _cleanup_free_ char *msg = NULL;
                char step[64];

                (void) snprintf(step, sizeof(step), "scoring with %s", outlier_method_to_string(m));
                progress(o, step);
                outlier_options_init(&oo);
                oo.seed = o->seed;
                oo.contamination = o->contamination;
                /* A fault lasting many windows is a dense little cluster of them: with
                 * k below its size, LOF and KNN find it normal (masking). So k is at least
                 * the top cut, ceil(contamination * n), the largest anomaly the cut can
                 * hold; and k < n: with few windows it shrinks to n - 1. */
                size_t k_cut = MIN((size_t) ceil(o->contamination * (double) n),
                                   (size_t) BATCH_NEIGHBOURS_MAX);
                if (m == OUTLIER_LOF)
                        oo.k = (unsigned) MIN(MAX((size_t) LOF_K_DEFAULT, k_cut), n - 1);
                else if (m == OUTLIER_KNN)
                        oo.k = (unsigned) MIN(MAX((size_t) KNN_K_DEFAULT, k_cut), n - 1);
                oo.n_clusters = (unsigned) MIN((size_t) oo.n_clusters, n);
                int r = outlier_score(m, m == OUTLIER_IFOREST ? &raw : &scaled, &oo, s, &msg);
                if (r == -EOPNOTSUPP)
                        continue;
                if (r < 0) {
                        if (reterr_msg)
                                *reterr_msg = xasprintf("%s: %s", outlier_method_to_string(m),
                                                        msg ? msg : "scoring failed");
                        return r;
                }
                size_t i = sc->n_methods++;
                sc->methods[i] = m;
                (void) ensemble_normalize(ENSEMBLE_NORM_ROBUST, s, n, sc->norm + i * n);
                outlier_labels(s, n, o->contamination, sc->labels + i * n);
        }
        if (sc->n_methods == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("none of the detection methods is available");
                return -EOPNOTSUPP;
        }
        for (size_t i = 0; i < n; i++) {
                double sum = 0;
                for (size_t k = 0; k < sc->n_methods; k++)
                        sum += sc->norm[k * n + i];
                ret[i] = sum / (double) sc->n_methods;
        }
        return 0;
}

/* One anomaly from the anomalous windows idx[0..m) of a run. */
static void explain(const FeatureSet *f, const Baseline *b, const Scoring *sc, const double *scores,
                    const size_t *idx, size_t m, double guard_z, int64_t now_ms, AnomalyRow *ret)
{
        size_t d = f->n_features, n = f->n_windows, best = idx[0];
        _cleanup_free_ double *mean_row = xnew0(double, d);
        Ranked top[BATCH_TOP_FEATURES];
        StrBuf methods = {}, summary = {};

        for (size_t k = 0; k < m; k++) {
                if (scores[idx[k]] > scores[best])
                        best = idx[k];
                for (size_t j = 0; j < d; j++)
                        mean_row[j] += f->x[idx[k] * d + j] / (double) m;
        }

        size_t best_votes = 0;
        for (size_t k = 0; k < sc->n_methods; k++) {
                size_t votes = 0;
                for (size_t i = 0; i < m; i++)
                        votes += sc->labels[k * n + idx[i]] != 0;
                best_votes = MAX(best_votes, votes);
        }
        for (size_t k = 0; k < sc->n_methods; k++) {
                size_t votes = 0;
                for (size_t i = 0; i < m; i++)
                        votes += sc->labels[k * n + idx[i]] != 0;
                /* At least half of the anomaly's windows in the method's own top cut; when no
                 * method reaches that, the ones that come closest. */
                if (2 * votes >= m || (2 * best_votes < m && votes == best_votes))
                        (void) strbuf_printf(&methods, "%s%s", methods.len ? "," : "",
                                             outlier_method_to_string(sc->methods[k]));
        }

        size_t n_top = rank_features(mean_row, b, d, BATCH_TOP_FEATURES, top);
        size_t n_shown = 0;
        while (n_shown < n_top && (n_shown == 0 || fabs(top[n_shown].z) >= guard_z))
                n_shown++;

        json_t *feats = json_array();
        for (size_t i = 0; i < n_top; i++) {
                const Feature *ft = &f->features[top[i].j];
                json_array_append_new(feats, json_pack("{s:o, s:o, s:o, s:f, s:f, s:f, s:f}",
                                                       "name", json_string_lossy(ft->name),
                                                       "metric", json_string_lossy(ft->metric),
                                                       "subject", json_string_lossy(ft->subject),
                                                       "value", mean_row[top[i].j], "baseline_mean",
                                                       b->mean[top[i].j], "baseline_sd",
                                                       b->sd[top[i].j], "z", top[i].z));
                if (i < n_shown) {
                        _cleanup_free_ char *t =
                                batch_explain_feature(ft->name, ft->metric, mean_row[top[i].j],
                                                      b->mean[top[i].j], b->sd[top[i].j]);
                        (void) strbuf_printf(&summary, "%s%s", i ? "; " : "", t);
                }
        }
        json_t *ms = json_object();
        for (size_t k = 0; k < sc->n_methods; k++)
                json_object_set_new(ms, outlier_method_to_string(sc->methods[k]),
                                    json_real(sc->norm[k * n + best]));
        json_t *details = json_pack("{s:I, s:I, s:o, s:o, s:f}", "window_ms",
                                    (json_int_t) f->window_ms, "windows", (json_int_t) m,
                                    "features", feats, "scores", ms, "guard_z", guard_z);
        char *text = json_dumps(details, JSON_COMPACT | JSON_REAL_PRECISION(10));
        json_decref(details);

        *ret = (AnomalyRow){
                .kind = xstrdup("batch"),
                .subject = pick_subject(f, top, n_shown),
                .start_ms = f->start_ms[idx[0]],
                .end_ms = f->start_ms[idx[m - 1]] + f->window_ms,
                .detected_ms = now_ms,
                .score = scores[best],
                .methods = strbuf_steal(&methods),
                .summary = strbuf_steal(&summary),
                .details = text ? text : xstrdup("{}"),
        };
        strbuf_done(&methods);
        strbuf_done(&summary);
}

static int validate(const BatchOptions *o, char **reterr_msg)
{
        const char *what = NULL;

        if (o->window_ms <= 0)
                what = "the window must be positive";
        else if (o->lookback_ms < 2 * o->window_ms)
                what = "the period analysed must hold at least 2 windows";
        else if (!(o->contamination > 0 && o->contamination <= 0.5))
                what = "the contamination must be in (0, 0.5]";
        else if (!(o->min_deviation >= 0) || !isfinite(o->min_deviation))
                what = "the minimum deviation must be a number >= 0";
        else if (o->n_methods == 0 || o->n_methods > BATCH_MAX_METHODS)
                what = "no detection method";
        for (size_t k = 0; !what && k < o->n_methods; k++)
                if (o->methods[k] < 0 || o->methods[k] >= OUTLIER_ENSEMBLE)
                        what = "unknown detection method";
        if (!what)
                return 0;
        if (reterr_msg)
                *reterr_msg = xstrdup(what);
        return -EINVAL;
}

int batch_run(Store *s, const BatchOptions *o, BatchResult **ret, char **reterr_msg)
{
        _cleanup_(batch_result_freep) BatchResult *res = NULL;
        _cleanup_(scoring_done) Scoring sc = {};
        _cleanup_(baseline_done) Baseline base = {};
        _cleanup_free_ int *top = NULL;
        _cleanup_free_ size_t *idx = NULL;
        _cleanup_free_ FeatureAgg *aggs = NULL;
        _cleanup_free_ double *mad = NULL;

        assert(s && o && ret);
        int r = validate(o, reterr_msg);
        if (r < 0)
                return r;

        /* Windows aligned on multiples of the window, so that runs a minute apart cut the
         * same windows; the current, partial window is left out. */
        int64_t w = o->window_ms;
        int64_t to = o->now_ms / w * w;
        int64_t from = to - o->lookback_ms / w * w;

        res = xnew0(BatchResult, 1);
        progress(o, "reading the store");
        r = features_build(s, from, to, w, &res->features, reterr_msg);
        if (r < 0)
                return r;
        const FeatureSet *f = res->features;
        size_t n = f->n_windows, d = f->n_features;

        res->scores = xnew(double, n);
        r = score_windows(f, o, &sc, res->scores, reterr_msg);
        if (r < 0)
                return r;
        res->n_methods = sc.n_methods;
        memcpy(res->methods, sc.methods, sizeof(sc.methods));

        /* The top cut, its baseline, and the guard. */
        progress(o, "explaining");
        top = xnew(int, n);
        outlier_labels(res->scores, n, o->contamination, top);
        _cleanup_free_ bool *in_top = xnew0(bool, n);
        for (size_t i = 0; i < n; i++)
                in_top[i] = top[i] != 0;
        feature_arrays(f, &aggs, &mad);
        baseline_compute(f->x, n, d, aggs, mad, in_top, &base);
        res->guard_z = batch_guard_z(o->min_deviation, n, d);
        res->anomalous = xnew0(bool, n);
        for (size_t i = 0; i < n; i++)
                res->anomalous[i] = in_top[i] && max_abs_z(f->x + i * d, &base, d) >= res->guard_z;

        /* Runs of anomalous windows, a gap of one window bridged (a dropped window, with no
         * host data, is a gap in time and ends the run unless it is that one window). */
        idx = xnew(size_t, n);
        for (size_t i = 0; i < n;) {
                if (!res->anomalous[i]) {
                        i++;
                        continue;
                }
                size_t m = 0;
                idx[m++] = i;
                size_t k = i + 1;
                for (; k < n; k++) {
                        if (f->start_ms[k] - f->start_ms[idx[m - 1]] > 2 * w)
                                break;
                        if (res->anomalous[k])
                                idx[m++] = k;
                }
                res->anomalies =
                        xreallocarray(res->anomalies, res->n_anomalies + 1, sizeof(AnomalyRow));
                explain(f, &base, &sc, res->scores, idx, m, res->guard_z, o->now_ms,
                        &res->anomalies[res->n_anomalies++]);
                i = idx[m - 1] + 1;
        }

        if (o->store) {
                progress(o, "storing");
                for (size_t i = 0; i < res->n_anomalies; i++) {
                        r = detectdb_anomaly_put(s, &res->anomalies[i]);
                        if (r < 0) {
                                if (reterr_msg)
                                        *reterr_msg = xasprintf("cannot store the anomalies: %s",
                                                                store_last_error(s));
                                return r;
                        }
                        res->n_new += r > 0;
                }
                progress(o, "training the host model");
                r = host_model_train_with(s, f, res->anomalous, o->seed, o->contamination,
                                          o->min_deviation, o->now_ms, reterr_msg);
                if (r < 0 && r != -ENODATA)
                        return r;
                res->model_stored = r >= 0;
        }
        *ret = TAKE_PTR(res);
        return 0;
}

/* --- the host model --- */

static int cmp_double_desc(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;
        return (x < y) - (x > y);
}

static const char *agg_to_string(FeatureAgg a)
{
        return a == FEATURE_SUM ? "sum" : "mean";
}

static json_t *json_doubles(const double *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_real(isfinite(v[i]) ? v[i] : 0));
        return a;
}

int host_model_train(Store *s, const FeatureSet *f, const bool *anomalous, uint64_t seed,
                     double contamination, int64_t now_ms, char **reterr_msg)
{
        return host_model_train_with(s, f, anomalous, seed, contamination,
                                     BATCH_MODEL_MIN_DEVIATION_DEFAULT, now_ms, reterr_msg);
}

int host_model_train_with(Store *s, const FeatureSet *f, const bool *anomalous, uint64_t seed,
                          double contamination, double min_deviation, int64_t now_ms,
                          char **reterr_msg)
{
        _cleanup_(iforest_freep) Iforest *forest = NULL;
        _cleanup_free_ double *rows = NULL, *scores = NULL;
        _cleanup_free_ uint8_t *blob = NULL, *data = NULL;
        _cleanup_(baseline_done) Baseline base = {};
        _cleanup_free_ FeatureAgg *aggs = NULL;
        _cleanup_free_ double *mad = NULL;
        size_t n = 0, d, blob_size = 0;
        OutlierOptions oo;

        assert(s && f);
        d = f->n_features;
        if (!(contamination > 0 && contamination <= 0.5))
                contamination = 0.1;
        rows = xnew(double, MAX(f->n_windows * d, (size_t) 1));
        for (size_t i = 0; i < f->n_windows; i++) {
                if (anomalous && anomalous[i])
                        continue;
                memcpy(rows + n * d, f->x + i * d, d * sizeof(double));
                n++;
        }
        if (n < 2 || d == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("too few normal windows to train the host model");
                return -ENODATA;
        }

        Matrix m = {.n = n, .d = d, .x = rows};
        outlier_options_init(&oo);
        oo.seed = seed;
        oo.contamination = contamination;
        int r = iforest_fit(&m, &oo, &forest, reterr_msg);
        if (r < 0)
                return r;
        scores = xnew(double, n);
        r = iforest_score(forest, &m, scores);
        if (r < 0)
                return r;

        /* The threshold: the ceil(contamination * n)-th highest training score, as
         * scikit-learn's offset_; the guard keeps the monitor from flagging those windows
         * of normal noise (batch.h). */
        _cleanup_free_ double *sorted = xmemdup(scores, n * sizeof(double));
        qsort(sorted, n, sizeof(double), cmp_double_desc);
        size_t cut = MIN(MAX((size_t) ceil(contamination * (double) n), (size_t) 1), n);
        double threshold = sorted[cut - 1], hi = sorted[0], lo = sorted[n - 1];

        feature_arrays(f, &aggs, &mad);
        baseline_compute(rows, n, d, aggs, mad, NULL, &base);

        /* The training rows kept for drift tests: at most BATCH_MODEL_TRAIN_ROWS, evenly
         * spaced, after the forest blob as little-endian doubles. */
        size_t n_keep = MIN(n, (size_t) BATCH_MODEL_TRAIN_ROWS);
        iforest_save(forest, &blob, &blob_size);
        size_t data_size = blob_size + n_keep * d * sizeof(uint64_t);
        data = xmalloc(data_size);
        memcpy(data, blob, blob_size);
        for (size_t k = 0; k < n_keep; k++) {
                size_t i = k * n / n_keep;
                for (size_t j = 0; j < d; j++) {
                        uint64_t u;
                        memcpy(&u, &rows[i * d + j], sizeof(u));
                        u = htole64(u);
                        memcpy(data + blob_size + (k * d + j) * sizeof(u), &u, sizeof(u));
                }
        }

        json_t *names = json_array(), *jaggs = json_array();
        for (size_t j = 0; j < d; j++) {
                json_array_append_new(names, json_string_lossy(f->features[j].name));
                json_array_append_new(jaggs, json_string(agg_to_string(f->features[j].agg)));
        }
        _cleanup_free_ double *medians = xnew(double, d);
        for (size_t j = 0; j < d; j++)
                medians[j] = f->features[j].median;
        double guard = batch_guard_z(min_deviation, f->n_windows, d);
        json_t *meta = json_pack(
                "{s:i, s:I, s:f, s:f, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:f, s:f, "
                "s:I, s:I, s:I}",
                "version", 1, "window_ms", (json_int_t) f->window_ms, "contamination",
                contamination, "min_deviation", min_deviation, "guard_z", guard, "names", names,
                "aggs", jaggs, "medians", json_doubles(medians, d), "means",
                json_doubles(base.mean, d), "sds", json_doubles(base.sd, d), "z_means",
                json_doubles(base.zmean, d), "z_sds", json_doubles(base.zsd, d), "threshold",
                threshold, "score_lo", lo, "score_hi", hi, "n_trained", (json_int_t) n,
                "train_rows", (json_int_t) n_keep, "iforest_bytes", (json_int_t) blob_size);
        _cleanup_free_ char *meta_text =
                meta ? json_dumps(meta, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(meta);
        if (!meta_text) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("cannot encode the host model");
                return -EINVAL;
        }

        ModelRow row = {
                .name = (char *) BATCH_MODEL_NAME,
                .kind = (char *) "iforest",
                .trained_ms = now_ms,
                .from_ms = f->from_ms,
                .to_ms = f->to_ms,
                .n_samples = n,
                .meta = meta_text,
                .data = data,
                .data_size = data_size,
        };
        r = detectdb_model_put(s, &row);
        if (r < 0 && reterr_msg)
                *reterr_msg = xasprintf("cannot store the host model: %s", store_last_error(s));
        return r < 0 ? r : 0;
}

HostModel *host_model_free(HostModel *m)
{
        if (!m)
                return NULL;
        iforest_free(m->forest);
        for (size_t j = 0; m->names && j < m->n_features; j++)
                free(m->names[j]);
        free(m->names);
        free(m->aggs);
        free(m->medians);
        free(m->means);
        free(m->sds);
        free(m->z_means);
        free(m->z_sds);
        free(m->train);
        free(m);
        return NULL;
}

static int read_doubles(json_t *meta, const char *key, size_t n, bool positive, double **ret)
{
        json_t *a = json_object_get(meta, key);
        if (!json_is_array(a) || json_array_size(a) != n)
                return -EBADMSG;
        double *v = xnew(double, MAX(n, (size_t) 1));
        for (size_t j = 0; j < n; j++) {
                json_t *e = json_array_get(a, j);
                v[j] = json_is_number(e) ? json_number_value(e) : (double) NAN;
                if (!isfinite(v[j]) || (positive && !(v[j] > 0))) {
                        free(v);
                        return -EBADMSG;
                }
        }
        *ret = v;
        return 0;
}

static double meta_number(json_t *meta, const char *key)
{
        json_t *e = json_object_get(meta, key);
        return json_is_number(e) ? json_number_value(e) : (double) NAN;
}

static int64_t meta_int(json_t *meta, const char *key)
{
        json_t *e = json_object_get(meta, key);
        return json_is_integer(e) ? (int64_t) json_integer_value(e) : -1;
}

static int model_from_row(const ModelRow *row, HostModel **ret, char **reterr_msg)
{
        _cleanup_(host_model_freep) HostModel *m = xnew0(HostModel, 1);
        _cleanup_free_ char *msg = NULL;
        json_error_t err;
        const char *what = NULL;
        int r = -EBADMSG;

        json_t *meta = row->meta ? json_loads(row->meta, JSON_REJECT_DUPLICATES, &err) : NULL;
        if (!json_is_object(meta)) {
                what = "its description is not a JSON object";
                goto out;
        }
        json_t *names = json_object_get(meta, "names"), *aggs = json_object_get(meta, "aggs");
        size_t d = json_array_size(names);
        if (!json_is_array(names) || d == 0 || d > FEATURES_MAX || !json_is_array(aggs) ||
            json_array_size(aggs) != d) {
                what = "its feature names do not match its aggregations";
                goto out;
        }
        m->names = xnew0(char *, d);
        m->aggs = xnew(FeatureAgg, d);
        m->n_features = d;
        for (size_t j = 0; j < d; j++) {
                const char *nm = json_string_value(json_array_get(names, j));
                const char *ag = json_string_value(json_array_get(aggs, j));
                if (!nm || !ag || (strcmp(ag, "sum") != 0 && strcmp(ag, "mean") != 0)) {
                        what = "a feature name or aggregation is not valid";
                        goto out;
                }
                m->names[j] = xstrdup(nm);
                m->aggs[j] = strcmp(ag, "sum") == 0 ? FEATURE_SUM : FEATURE_MEAN;
        }
        if (read_doubles(meta, "medians", d, false, &m->medians) < 0 ||
            read_doubles(meta, "means", d, false, &m->means) < 0 ||
            read_doubles(meta, "sds", d, true, &m->sds) < 0 ||
            read_doubles(meta, "z_means", d, false, &m->z_means) < 0 ||
            read_doubles(meta, "z_sds", d, true, &m->z_sds) < 0) {
                what = "its medians, means or deviations are not valid";
                goto out;
        }
        m->threshold = meta_number(meta, "threshold");
        m->score_lo = meta_number(meta, "score_lo");
        m->score_hi = meta_number(meta, "score_hi");
        m->guard_z = meta_number(meta, "guard_z");
        m->window_ms = meta_int(meta, "window_ms");
        int64_t n_trained = meta_int(meta, "n_trained"), rows = meta_int(meta, "train_rows");
        int64_t fb = meta_int(meta, "iforest_bytes");
        if (!(m->threshold > 0 && m->threshold <= 1) || !(m->score_lo <= m->threshold) ||
            !(m->score_hi >= m->threshold) || !(m->score_hi <= 1) || !(m->guard_z >= 0) ||
            !isfinite(m->guard_z) || m->window_ms <= 0 || n_trained < 1 || rows < 0 ||
            rows > n_trained || rows > BATCH_MODEL_TRAIN_ROWS || fb <= 0 ||
            (uint64_t) fb > row->data_size) {
                what = "its threshold, score range or sizes are not valid";
                goto out;
        }
        size_t want = (size_t) fb + (size_t) rows * d * sizeof(uint64_t);
        if (want != row->data_size) {
                what = "its data has the wrong size";
                goto out;
        }
        r = iforest_load(row->data, (size_t) fb, &m->forest, &msg);
        if (r < 0) {
                r = -EBADMSG;
                if (reterr_msg)
                        *reterr_msg = xasprintf("the stored host model does not load: %s",
                                                msg ? msg : "invalid forest");
                json_decref(meta);
                return r;
        }
        if (iforest_dimensions(m->forest) != d) {
                r = -EBADMSG;
                what = "its forest does not have one dimension per feature";
                goto out;
        }
        m->n_samples = (size_t) rows;
        m->n_trained = (size_t) n_trained;
        m->train = xnew(double, MAX(m->n_samples * d, (size_t) 1));
        const uint8_t *p = (const uint8_t *) row->data + fb;
        for (size_t k = 0; k < m->n_samples * d; k++) {
                uint64_t u;
                memcpy(&u, p + k * sizeof(u), sizeof(u));
                u = le64toh(u);
                memcpy(&m->train[k], &u, sizeof(u));
                if (!isfinite(m->train[k])) {
                        what = "its training rows are not finite";
                        goto out;
                }
        }
        m->trained_ms = row->trained_ms;
        m->from_ms = row->from_ms;
        m->to_ms = row->to_ms;
        *ret = TAKE_PTR(m);
        r = 0;
out:
        json_decref(meta);
        if (r < 0 && reterr_msg)
                *reterr_msg =
                        xasprintf("the stored host model does not load: %s", what ?: "invalid");
        return r;
}

int host_model_load(Store *s, HostModel **ret, char **reterr_msg)
{
        ModelRow row = {};

        assert(s && ret);
        int r = detectdb_model_get(s, BATCH_MODEL_NAME, &row);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg =
                                xasprintf("cannot read the host model: %s", store_last_error(s));
                return r;
        }
        if (r == 0)
                return 0;
        if (!row.kind || strcmp(row.kind, "iforest") != 0) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("the stored host model is of kind '%s', not "
                                                "iforest",
                                                row.kind ?: "");
                detectdb_model_row_done(&row);
                return -EBADMSG;
        }
        r = model_from_row(&row, ret, reterr_msg);
        detectdb_model_row_done(&row);
        return r < 0 ? r : 1;
}

double host_model_map_score(const HostModel *m, double raw)
{
        double thr = m->threshold, lo = m->score_lo;
        double v;

        if (raw <= thr)
                v = thr > lo ? 0.5 * (raw - lo) / (thr - lo) : 0.5;
        else
                v = thr < 1 ? 0.5 + 0.5 * (raw - thr) / (1 - thr) : 1;
        return fmin(fmax(v, 0), 1);
}

int host_model_score_window(const HostModel *m, Store *s, int64_t start_ms, int64_t window_ms,
                            double *ret_score, bool *ret_anomaly, char **ret_summary)
{
        _cleanup_free_ double *row = NULL;
        size_t d;
        double raw;

        assert(m && s);
        d = m->n_features;
        row = xnew(double, d);
        int r = features_window(s, (const char *const *) m->names, m->aggs, m->medians, d, start_ms,
                                window_ms, row);
        if (r < 0)
                return r;
        Matrix x = {.n = 1, .d = d, .x = row};
        r = iforest_score(m->forest, &x, &raw);
        if (r < 0)
                return r;

        Baseline b = {.aggs = m->aggs,
                      .mean = m->means,
                      .sd = m->sds,
                      .zmean = m->z_means,
                      .zsd = m->z_sds};
        bool anomaly = raw > m->threshold && max_abs_z(row, &b, d) >= m->guard_z;
        if (ret_score)
                *ret_score = host_model_map_score(m, raw);
        if (ret_anomaly)
                *ret_anomaly = anomaly;
        if (ret_summary) {
                *ret_summary = NULL;
                if (anomaly) {
                        Ranked top[BATCH_TOP_FEATURES];
                        StrBuf sb = {};
                        size_t n_top = rank_features(row, &b, d, BATCH_TOP_FEATURES, top);
                        for (size_t i = 0; i < n_top && (i == 0 || fabs(top[i].z) >= m->guard_z);
                             i++) {
                                const char *nm = m->names[top[i].j];
                                size_t len = strcspn(nm, "{");
                                _cleanup_free_ char *metric = xstrndup(nm, len);
                                _cleanup_free_ char *t =
                                        batch_explain_feature(nm, metric, row[top[i].j],
                                                              m->means[top[i].j], m->sds[top[i].j]);
                                (void) strbuf_printf(&sb, "%s%s", i ? "; " : "", t);
                        }
                        *ret_summary = strbuf_steal(&sb);
                        strbuf_done(&sb);
                }
        }
        return 0;
}

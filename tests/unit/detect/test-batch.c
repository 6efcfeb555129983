/* Batch detection over a synthetic store: a day at 1 minute of host memory and CPU with a
 * daily rhythm and noise, mysql's RSS and its error and 'out of memory' log lines, with a
 * 30-minute memory fault (memory 93 % vs 61 ± 4 %, RSS doubled, 37 'out of memory' lines a
 * minute) that must come out as exactly one anomaly, explained; a quiet day, a day with
 * agent downtime, re-runs, and the host model.
 *
 * Also a store generator for tests/integration/test-detect-batch.sh:
 *   unit-detect-test-batch --make-store DIR fault|quiet|big
 * writes DIR/aiops.db ending at the current minute ("big": 300 series at 30 s, for timing). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "detect/batch.h"
#include "detect/rng.h"
#include "store/detectdb.h"
#include "store/store.h"
#include "test-util.h"

#define MINUTE INT64_C(60000)
/* A minute boundary: the day analysed is [END - 24h, END). */
#define END         INT64_C(1699999980000)
#define DAY_WINDOWS 1440
#define FAULT_FIRST 900 /* window index of the fault's first minute */
#define FAULT_LEN   30

typedef enum Mode {
        MODE_FAULT,
        MODE_QUIET,
        MODE_GAP, /* quiet, no sample at all for 2 hours from window 400 */
        MODE_BIG,
} Mode;

static char *mfree_str(char *s)
{
        free(s);
        return NULL;
}

static double gauss(Rng *r)
{
        double u = rng_double(r), v = rng_double(r);
        return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static double poisson(Rng *r, double lambda)
{
        double l = exp(-lambda), p = 1;
        int k = 0;
        do {
                k++;
                p *= rng_double(r);
        } while (p > l);
        return k - 1;
}

static int64_t series(Store *s, const char *name, const char *const *labels)
{
        int64_t id;
        int r = store_series_get(s, name, labels, &id);
        if (r < 0)
                fail_msg("store_series_get %s: %d %s", name, r, store_last_error(s));
        return id;
}

static void append(Store *s, int64_t id, int64_t ts, double v)
{
        int r = store_append(s, id, ts, v);
        if (r < 0)
                fail_msg("store_append: %d %s", r, store_last_error(s));
}

static bool in_fault(Mode m, int w)
{
        return m == MODE_FAULT && w >= FAULT_FIRST && w < FAULT_FIRST + FAULT_LEN;
}

static bool in_gap(Mode m, int w)
{
        return m == MODE_GAP && w >= 400 && w < 520;
}

/* The day before end_ms, one sample a minute, 10 s into it. */
static void make_day(Store *s, Mode mode, int64_t end_ms)
{
        static const char *const mysql[] = {"service", "mysql", NULL};
        static const char *const err[] = {"source", "mysql", "severity", "err", NULL};
        static const char *const oom[] = {"source", "mysql", "keyword", "out of memory", NULL};
        static const char *const tpl[] = {"source", "mysql", "template", "7", NULL};
        static const char *const proc[] = {"pid", "4242", "comm", "mysqld", NULL};
        int64_t cpu = series(s, "host_cpu_busy_percent", NULL);
        int64_t mem = series(s, "host_memory_used_percent", NULL);
        int64_t total = series(s, "host_memory_total_bytes", NULL);
        int64_t rd = series(s, "host_disk_read_bytes_total", NULL);
        int64_t rss = series(s, "service_resident_memory_bytes", mysql);
        int64_t up = series(s, "service_up", mysql);
        int64_t lines = series(s, "log_lines", err);
        int64_t kw = series(s, "log_keyword_lines", oom);
        int64_t tl = series(s, "log_template_lines", tpl);
        int64_t pc = series(s, "process_cpu_percent", proc);
        int64_t start = end_ms - DAY_WINDOWS * MINUTE;
        Rng r;

        rng_seed(&r, 42);
        for (int w = 0; w < DAY_WINDOWS; w++) {
                int64_t ts = start + w * MINUTE + 10000;
                double phase = 2 * M_PI * (double) w / DAY_WINDOWS;
                bool fault = in_fault(mode, w);

                if (in_gap(mode, w))
                        continue;
                append(s, cpu, ts, fmax(0, 20 + 10 * sin(phase) + 3 * gauss(&r)));
                append(s, mem, ts, fault ? 93 + gauss(&r) : 61 + 5.3 * sin(phase) + gauss(&r));
                append(s, total, ts, 16e9);
                append(s, rd, ts, 1e6 * w);
                double base_rss = 2.2 * 1073741824.0 * (1 + 0.02 * sin(phase)) + 2e7 * gauss(&r);
                append(s, rss, ts, fault ? 2 * base_rss : base_rss);
                append(s, up, ts, 1);
                append(s, lines, start + w * MINUTE, poisson(&r, 0.3) + (fault ? 37 : 0));
                append(s, kw, start + w * MINUTE, fault ? 37 : 0);
                append(s, tl, start + w * MINUTE, poisson(&r, 5) + (fault ? 100 : 0));
                append(s, pc, ts, fault ? 90 : 5 + gauss(&r));
        }
}

/* ~300 series at 30 s: 100 per-CPU-like host series, 40 services of 5 series, 80 log
 * series. */
static void make_big(Store *s, int64_t end_ms)
{
        int64_t start = end_ms - DAY_WINDOWS * MINUTE;
        Rng r;

        rng_seed(&r, 7);
        for (int k = 0; k < 300; k++) {
                char name[64], lv[32];
                const char *labels[5] = {NULL};
                if (k < 100) {
                        (void) snprintf(name, sizeof(name), "host_cpu_percent");
                        (void) snprintf(lv, sizeof(lv), "m%03d", k);
                        labels[0] = "mode";
                } else if (k < 300 - 80) {
                        static const char *const m[] = {"cpu_percent", "memory_percent",
                                                        "resident_memory_bytes", "threads",
                                                        "open_fds"};
                        (void) snprintf(name, sizeof(name), "service_%s", m[k % 5]);
                        (void) snprintf(lv, sizeof(lv), "svc%02d", (k - 100) / 5);
                        labels[0] = "service";
                } else {
                        (void) snprintf(name, sizeof(name), "log_lines");
                        (void) snprintf(lv, sizeof(lv), "src%02d", k);
                        labels[0] = "source";
                }
                labels[1] = lv;
                int64_t id = series(s, name, labels);
                bool log = k >= 300 - 80;
                for (int64_t ts = start + (log ? 0 : 5000); ts < end_ms;
                     ts += log ? MINUTE : 30000) {
                        double phase = 2 * M_PI * (double) (ts - start) / (double) MSEC_PER_DAY;
                        append(s, id, ts,
                               log ? poisson(&r, 2) : 50 + 10 * sin(phase + k) + gauss(&r));
                }
                if (k % 20 == 19 && store_commit(s) < 0)
                        fail_msg("store_commit: %s", store_last_error(s));
        }
}

static Store *open_store(const char *path)
{
        _cleanup_free_ char *err = NULL;
        Store *s = NULL;
        if (store_open(path, NULL, &s, &err) < 0)
                fail_msg("store_open %s: %s", path, err);
        return s;
}

typedef struct Fixture {
        char *dir;
        char *path;
        Store *store;
} Fixture;

static Fixture *fixture_new(Mode mode)
{
        Fixture *f = xnew0(Fixture, 1);
        f->dir = test_mkdtemp();
        f->path = xasprintf("%s/aiops.db", f->dir);
        f->store = open_store(f->path);
        make_day(f->store, mode, END);
        if (store_commit(f->store) < 0)
                fail_msg("store_commit: %s", store_last_error(f->store));
        return f;
}

static void fixture_free(Fixture *f)
{
        store_free(f->store);
        test_rm_rf(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
}

static void options(BatchOptions *o, int64_t now_ms)
{
        DetectConfig c = {
                .window_ms = MINUTE,
                .lookback_ms = MSEC_PER_DAY,
                .contamination = 0.1,
                .min_deviation = 3,
        };
        batch_options_from_config(&c, now_ms, o);
        o->seed = 1;
}

static BatchResult *run(Store *s, const BatchOptions *o)
{
        _cleanup_free_ char *err = NULL;
        BatchResult *res = NULL;
        int r = batch_run(s, o, &res, &err);
        if (r < 0)
                fail_msg("batch_run: %d %s", r, err);
        for (size_t i = 0; getenv("TEST_DEBUG") && i < res->n_anomalies; i++)
                fprintf(stderr, "%" PRId64 "+%" PRId64 " %s %.3f %s | %s\n",
                        (res->anomalies[i].start_ms - (END - DAY_WINDOWS * MINUTE)) / MINUTE,
                        (res->anomalies[i].end_ms - res->anomalies[i].start_ms) / MINUTE,
                        res->anomalies[i].subject, res->anomalies[i].score,
                        res->anomalies[i].methods, res->anomalies[i].summary);
        return res;
}

static json_t *details(const AnomalyRow *a)
{
        json_error_t e;
        json_t *j = json_loads(a->details, 0, &e);
        if (!json_is_object(j))
                fail_msg("details are not a JSON object: %s", a->details);
        return j;
}

static double feature_z(json_t *d, const char *name)
{
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(d, "features"), i, f)
        {
                if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
                        return json_number_value(json_object_get(f, "z"));
        }
        return NAN;
}

static void test_batch_run_fault(void **state)
{
        Fixture *f = fixture_new(MODE_FAULT);
        BatchOptions o;
        int64_t fault_start = END - DAY_WINDOWS * MINUTE + FAULT_FIRST * MINUTE;
        int64_t fault_end = fault_start + FAULT_LEN * MINUTE;

        (void) state;
        options(&o, END + 5000);
        _cleanup_(batch_result_freep) BatchResult *res = run(f->store, &o);

        /* cpu, memory, RSS, err lines, oom lines; not the counter, the size, the constant
         * service_up, the process or the template series. */
        assert_int_equal(res->features->n_windows, DAY_WINDOWS);
        assert_int_equal(res->features->n_features, 5);
        assert_int_equal(res->n_methods, 3);
        assert_int_equal(res->n_anomalies, 1);
        assert_int_equal(res->n_new, 1);
        assert_true(res->model_stored);

        const AnomalyRow *a = &res->anomalies[0];
        assert_true(a->id > 0);
        assert_string_equal(a->kind, "batch");
        assert_true(llabs(a->start_ms - fault_start) <= MINUTE);
        assert_true(llabs(a->end_ms - fault_end) <= MINUTE);
        assert_true(a->score > 0.9 && a->score <= 1);
        /* Three of the four features that moved are mysql's. */
        assert_string_equal(a->subject, "service:mysql");
        assert_non_null(strstr(a->methods, "iforest"));
        assert_non_null(strstr(a->summary, "host_memory_used_percent 9"));
        assert_non_null(strstr(a->summary, "% vs 61"));
        assert_non_null(strstr(a->summary, "service_resident_memory_bytes{service=\"mysql\"} "
                                           "4.3G vs 2.2G ± 113M"));
        assert_non_null(strstr(a->summary, "log_keyword_lines{keyword=\"out of memory\","
                                           "source=\"mysql\"} 37 vs 0 ± 1"));
        assert_null(strstr(a->summary, "host_cpu_busy_percent"));

        json_t *d = details(a);
        double z_mem = feature_z(d, "host_memory_used_percent");
        assert_true(z_mem > 5 && z_mem < 12);
        assert_true(feature_z(d, "service_resident_memory_bytes{service=\"mysql\"}") > 5);
        assert_int_equal(json_integer_value(json_object_get(d, "window_ms")), MINUTE);
        assert_true(json_is_object(json_object_get(d, "scores")));
        assert_true(json_object_size(json_object_get(d, "scores")) == 3);
        json_decref(d);

        /* Only the fault's windows are flagged. */
        for (size_t i = 0; i < res->features->n_windows; i++) {
                int64_t t = res->features->start_ms[i];
                if (res->anomalous[i])
                        assert_true(t >= fault_start - MINUTE && t < fault_end + MINUTE);
        }
        fixture_free(f);
}

/* The memory fault falls: the z sign is negative. */
static void test_batch_run_negative_z(void **state)
{
        Fixture *f = xnew0(Fixture, 1);
        int64_t start = END - DAY_WINDOWS * MINUTE;
        Rng r;

        (void) state;
        f->dir = test_mkdtemp();
        f->path = xasprintf("%s/aiops.db", f->dir);
        f->store = open_store(f->path);
        int64_t mem = series(f->store, "host_memory_used_percent", NULL);
        int64_t cpu = series(f->store, "host_cpu_busy_percent", NULL);
        rng_seed(&r, 3);
        for (int w = 0; w < DAY_WINDOWS; w++) {
                bool fault = w >= 200 && w < 220;
                append(f->store, mem, start + w * MINUTE, fault ? 20 + gauss(&r) : 61 + gauss(&r));
                append(f->store, cpu, start + w * MINUTE, 20 + 3 * gauss(&r));
        }
        assert_int_equal(store_commit(f->store), 0);
        BatchOptions o;
        options(&o, END);
        o.store = false;
        _cleanup_(batch_result_freep) BatchResult *res = run(f->store, &o);
        assert_int_equal(res->n_anomalies, 1);
        assert_false(res->model_stored);
        assert_int_equal(res->anomalies[0].id, 0);
        json_t *d = details(&res->anomalies[0]);
        assert_true(feature_z(d, "host_memory_used_percent") < -10);
        json_decref(d);
        assert_string_equal(res->anomalies[0].subject, "host");
        assert_non_null(
                strstr(res->anomalies[0].summary, "host_memory_used_percent 19.7% vs 61% ± 3"));

        /* --dry-run stored nothing. */
        AnomalyRow *rows = NULL;
        size_t n = 0;
        assert_int_equal(detectdb_anomaly_list(f->store, 0, INT64_MAX, NULL, &rows, &n), 0);
        assert_int_equal(n, 0);
        detectdb_anomaly_rows_free(rows, n);
        fixture_free(f);
}

static void test_batch_run_quiet(void **state)
{
        Fixture *f = fixture_new(MODE_QUIET);
        BatchOptions o;

        (void) state;
        options(&o, END);
        _cleanup_(batch_result_freep) BatchResult *res = run(f->store, &o);
        assert_int_equal(res->features->n_windows, DAY_WINDOWS);
        assert_int_equal(res->n_anomalies, 0);
        for (size_t i = 0; i < res->features->n_windows; i++)
                assert_false(res->anomalous[i]);
        assert_true(res->guard_z >= 3);
        /* The model is stored all the same. */
        assert_true(res->model_stored);
        fixture_free(f);
}

static void test_batch_run_gap(void **state)
{
        Fixture *f = fixture_new(MODE_GAP);
        BatchOptions o;

        (void) state;
        options(&o, END);
        _cleanup_(batch_result_freep) BatchResult *res = run(f->store, &o);
        assert_int_equal(res->features->n_dropped_windows, 120);
        assert_int_equal(res->features->n_windows, DAY_WINDOWS - 120);
        assert_int_equal(res->n_anomalies, 0);
        fixture_free(f);
}

/* Running again, at the same time or five minutes later, finds the same anomaly: merged. */
static void test_batch_run_again(void **state)
{
        Fixture *f = fixture_new(MODE_FAULT);
        BatchOptions o;

        (void) state;
        options(&o, END);
        _cleanup_(batch_result_freep) BatchResult *a = run(f->store, &o);
        _cleanup_(batch_result_freep) BatchResult *b = run(f->store, &o);
        options(&o, END + 5 * MINUTE);
        _cleanup_(batch_result_freep) BatchResult *c = run(f->store, &o);
        assert_int_equal(a->n_anomalies, 1);
        assert_int_equal(b->n_anomalies, 1);
        assert_int_equal(c->n_anomalies, 1);
        assert_int_equal(a->n_new, 1);
        assert_int_equal(b->n_new, 0);
        assert_int_equal(c->n_new, 0);
        assert_int_equal(a->anomalies[0].id, b->anomalies[0].id);
        assert_int_equal(a->anomalies[0].id, c->anomalies[0].id);
        /* Same seed, same data: the same scores. */
        assert_memory_equal(a->scores, b->scores, a->features->n_windows * sizeof(double));

        AnomalyRow *rows = NULL;
        size_t n = 0;
        assert_int_equal(detectdb_anomaly_list(f->store, 0, INT64_MAX, "batch", &rows, &n), 0);
        assert_int_equal(n, 1);
        detectdb_anomaly_rows_free(rows, n);
        fixture_free(f);
}

static void test_host_model(void **state)
{
        Fixture *f = fixture_new(MODE_FAULT);
        _cleanup_free_ char *err = NULL, *summary = NULL;
        BatchOptions o;
        int64_t start = END - DAY_WINDOWS * MINUTE;
        double score;
        bool anomaly;

        (void) state;
        options(&o, END);
        _cleanup_(batch_result_freep) BatchResult *res = run(f->store, &o);

        /* Reopened, as the monitor would. */
        store_free(f->store);
        f->store = open_store(f->path);
        _cleanup_(host_model_freep) HostModel *m = NULL;
        assert_int_equal(host_model_load(f->store, &m, &err), 1);
        assert_int_equal(m->n_features, res->features->n_features);
        assert_int_equal(m->n_trained, DAY_WINDOWS - FAULT_LEN);
        assert_int_equal(m->n_samples, DAY_WINDOWS - FAULT_LEN);
        assert_int_equal(m->window_ms, MINUTE);
        assert_non_null(m->train);
        assert_true(m->threshold > m->score_lo && m->threshold < m->score_hi);

        assert_int_equal(host_model_score_window(m, f->store, start + (FAULT_FIRST + 10) * MINUTE,
                                                 MINUTE, &score, &anomaly, &summary),
                         0);
        assert_true(anomaly);
        assert_true(score > 0.5 && score <= 1);
        assert_non_null(summary);
        assert_non_null(strstr(summary, "host_memory_used_percent 9"));
        summary = mfree_str(summary);

        assert_int_equal(host_model_score_window(m, f->store, start + 300 * MINUTE, MINUTE, &score,
                                                 &anomaly, &summary),
                         0);
        assert_false(anomaly);
        assert_null(summary);
        assert_true(score >= 0 && score <= 1);

        /* Agent downtime: no host data. */
        assert_int_equal(host_model_score_window(m, f->store, END + 3 * MINUTE, MINUTE, &score,
                                                 &anomaly, &summary),
                         -ENODATA);
        fixture_free(f);
}

static void test_host_model_corrupt(void **state)
{
        Fixture *f = fixture_new(MODE_QUIET);
        _cleanup_free_ char *err = NULL;
        HostModel *m = NULL;
        BatchOptions o;
        ModelRow row = {};

        (void) state;
        assert_int_equal(host_model_load(f->store, &m, &err), 0); /* none yet */
        options(&o, END);
        batch_result_free(run(f->store, &o));
        assert_int_equal(detectdb_model_get(f->store, BATCH_MODEL_NAME, &row), 1);

        /* A flipped magic byte in the forest blob. */
        ((uint8_t *) row.data)[0] ^= 0xff;
        assert_int_equal(detectdb_model_put(f->store, &row), 0);
        assert_int_equal(host_model_load(f->store, &m, &err), -EBADMSG);
        assert_null(m);
        assert_non_null(strstr(err, "host model"));
        err = mfree_str(err);
        ((uint8_t *) row.data)[0] ^= 0xff;

        /* Data one byte short. */
        row.data_size--;
        assert_int_equal(detectdb_model_put(f->store, &row), 0);
        assert_int_equal(host_model_load(f->store, &m, &err), -EBADMSG);
        err = mfree_str(err);
        row.data_size++;

        /* Meta that is not JSON, or names that do not match. */
        char *meta = row.meta;
        row.meta = (char *) "{\"names\": [";
        assert_int_equal(detectdb_model_put(f->store, &row), 0);
        assert_int_equal(host_model_load(f->store, &m, &err), -EBADMSG);
        err = mfree_str(err);
        row.meta = (char *) "{\"names\": [\"a\"], \"aggs\": [\"mean\", \"sum\"]}";
        assert_int_equal(detectdb_model_put(f->store, &row), 0);
        assert_int_equal(host_model_load(f->store, &m, &err), -EBADMSG);
        err = mfree_str(err);

        /* Restored, it loads again. */
        row.meta = meta;
        assert_int_equal(detectdb_model_put(f->store, &row), 0);
        assert_int_equal(host_model_load(f->store, &m, &err), 1);
        host_model_free(m);
        detectdb_model_row_done(&row);
        fixture_free(f);
}

static void test_batch_run_errors(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp(), *path = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *err = NULL;
        Store *s = open_store(path);
        BatchResult *res = NULL;
        BatchOptions o;

        (void) state;
        options(&o, END);
        assert_int_equal(batch_run(s, &o, &res, &err), -ENODATA);
        assert_non_null(strstr(err, "no host, service or log data"));
        err = mfree_str(err);

        /* 30 minutes of data, analysed over the last hour with 1 h windows: one window. */
        int64_t id = series(s, "host_cpu_busy_percent", NULL);
        for (int i = 0; i < 30; i++)
                append(s, id, END - 30 * MINUTE + i * MINUTE, i);
        o.lookback_ms = 2 * MSEC_PER_HOUR;
        o.window_ms = MSEC_PER_HOUR;
        assert_int_equal(batch_run(s, &o, &res, &err), -ENODATA);
        assert_non_null(strstr(err, "the store has 0.5 hours of data between"));
        assert_non_null(strstr(err, "at least 2 windows"));
        err = mfree_str(err);

        /* With 1 minute windows there are 30, too few for LOF's 20 neighbours: k shrinks. */
        o.window_ms = MINUTE;
        assert_int_equal(batch_run(s, &o, &res, &err), 0);
        assert_int_equal(res->features->n_windows, 30);
        assert_int_equal(res->n_methods, 3);
        res = batch_result_free(res);

        o.contamination = 0.7;
        assert_int_equal(batch_run(s, &o, &res, &err), -EINVAL);
        assert_non_null(strstr(err, "contamination"));

        store_free(s);
        test_rm_rf(dir);
}

static void test_batch_format_value(void **state)
{
        char buf[64];
        _cleanup_free_ char *t = NULL;

        (void) state;
        batch_format_value("host_memory_used_percent", 93.24, buf, sizeof(buf));
        assert_string_equal(buf, "93.2%");
        batch_format_value("service_resident_memory_bytes", 4.4 * 1073741824.0, buf, sizeof(buf));
        assert_string_equal(buf, "4.4G");
        batch_format_value("host_disk_read_bytes_per_second", 12.0 * 1048576, buf, sizeof(buf));
        assert_string_equal(buf, "12M/s");
        batch_format_value("http_requests_per_second", 250, buf, sizeof(buf));
        assert_string_equal(buf, "250/s");
        batch_format_value("host_disk_await_seconds", 0.0035, buf, sizeof(buf));
        assert_string_equal(buf, "0.0035s");
        batch_format_value("log_keyword_lines", 37, buf, sizeof(buf));
        assert_string_equal(buf, "37");
        batch_format_value("log_lines", 123456, buf, sizeof(buf));
        assert_string_equal(buf, "123456");
        batch_format_value("log_lines", -0.0, buf, sizeof(buf));
        assert_string_equal(buf, "0");
        t = batch_explain_feature("host_memory_used_percent", "host_memory_used_percent", 93, 61,
                                  4);
        assert_string_equal(t, "host_memory_used_percent 93% vs 61% ± 4%");

        assert_true(batch_guard_z(3, 10, 1) == 3);
        assert_true(batch_guard_z(3, 1440, 10) > 4.6 && batch_guard_z(3, 1440, 10) < 4.7);
        assert_true(batch_sd_floor(FEATURE_SUM, 0, 0) == 1);
        assert_true(batch_sd_floor(FEATURE_MEAN, 100, 1) == 5);
        assert_true(batch_sd_floor(FEATURE_MEAN, 100, 7) == 7);
}

static int make_store(const char *dir, const char *what)
{
        _cleanup_free_ char *path = xasprintf("%s/aiops.db", dir);
        int64_t end = time_now_ms() / MINUTE * MINUTE;
        Store *s = open_store(path);

        if (strcmp(what, "big") == 0)
                make_big(s, end);
        else
                make_day(s, strcmp(what, "quiet") == 0 ? MODE_QUIET : MODE_FAULT, end);
        int r = store_commit(s);
        store_free(s);
        if (r < 0)
                return 1;
        /* Where the fault is, for the integration test. */
        printf("%" PRId64 " %" PRId64 "\n", end - DAY_WINDOWS * MINUTE + FAULT_FIRST * MINUTE,
               end - DAY_WINDOWS * MINUTE + (FAULT_FIRST + FAULT_LEN) * MINUTE);
        return 0;
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_batch_run_fault),
                cmocka_unit_test(test_batch_run_negative_z),
                cmocka_unit_test(test_batch_run_quiet),
                cmocka_unit_test(test_batch_run_gap),
                cmocka_unit_test(test_batch_run_again),
                cmocka_unit_test(test_host_model),
                cmocka_unit_test(test_host_model_corrupt),
                cmocka_unit_test(test_batch_run_errors),
                cmocka_unit_test(test_batch_format_value),
        };

        if (argc == 4 && strcmp(argv[1], "--make-store") == 0)
                return make_store(argv[2], argv[3]);
        return cmocka_run_group_tests(tests, NULL, NULL);
}

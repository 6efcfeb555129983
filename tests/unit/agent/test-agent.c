#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/quantize.h"
#include "core/alloc.h"
#include "core/time-util.h"
#include "detect/batch.h"
#include "detect/features.h"
#include "store/detectdb.h"
#include "test-util.h"

/* A fixed start on a 10 s boundary, so grid arithmetic is easy to check by hand. */
#define T0 INT64_C(1795300000000)
#define B  (T0 + 20000) /* on a minute boundary */

static double last_value(Store *s, const char *name, const char *k, const char *v, size_t *ret_n)
{
        const char *labels[] = {k, v, NULL};
        StoreSeries *series = NULL;
        StoreSample *samples = NULL;
        size_t n = 0, n_samples = 0;

        assert_int_equal(store_series_match(s, name, k ? labels : NULL, &series, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(store_query(s, series[0].id, 0, INT64_MAX, &samples, &n_samples), 0);
        assert_true(n_samples > 0);
        double value = samples[n_samples - 1].value;
        if (ret_n)
                *ret_n = n_samples;
        free(samples);
        store_series_array_free(series, n);
        return value;
}

static void test_agent_cycle_stores_services_and_top_processes(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = test_data_path("collect/proc-nginx");
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        StoreSeries *series = NULL;
        size_t n = 0;

        (void) state;
        cfg->top_processes = 2;
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), 0);
        assert_int_equal(agent_prime(a, T0), 0);
        assert_int_equal(agent_cycle(a, T0 + 10000), 0);

        Store *s = agent_store(a);
        assert_non_null(s);
        assert_true(last_value(s, "service_up", "service", "nginx", NULL) == 1);
        /* master 1000, workers 1001 and 1002, the hand-started 2001; not the zombie 1003 */
        assert_true(last_value(s, "service_processes", "service", "nginx", NULL) == 4);
        assert_true(last_value(s, "service_main_pid", "service", "nginx", NULL) == 1000);
        assert_true(last_value(s, "service_up", "service", "mysql", NULL) == 0);

        /* CPU is 0 for every process of a static fixture, so only the top 2 by memory are
         * stored, each with its own series. */
        assert_int_equal(store_series_match(s, "process_resident_memory_bytes", NULL, &series, &n),
                         0);
        assert_int_equal(n, 2);
        store_series_array_free(series, n);

        AgentStats st;
        agent_stats(a, &st);
        assert_true(st.store_ok);
        assert_int_equal(st.cycles, 1);
        assert_int_equal(st.processes_stored_last_cycle, 2);
        assert_true(st.samples_last_cycle > 20);
        a = agent_free(a);
        test_rm_rf(dir);
}

static void test_agent_keeps_samples_in_memory_until_the_store_works(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *sub = xasprintf("%s/later", dir);
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", sub);
        _cleanup_free_ char *proc = test_data_path("collect/proc-nginx");
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        AgentStats st;
        size_t n;

        (void) state;
        /* The directory does not exist yet: one-shot use fails, the daemon goes on. */
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), -ENOENT);
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", AGENT_STORE_MAY_FAIL, &a), 0);
        assert_int_equal(agent_prime(a, T0), 0);
        assert_int_equal(agent_cycle(a, T0 + 10000), 0);
        assert_int_equal(agent_cycle(a, T0 + 20000), 0);
        agent_stats(a, &st);
        assert_false(st.store_ok);
        assert_null(agent_store(a));
        assert_int_equal(st.samples_in_memory, st.samples_appended);

        assert_int_equal(mkdir(sub, 0700), 0);
        /* Retries back off from 1 s; a minute later it has certainly retried. */
        assert_int_equal(agent_cycle(a, T0 + 80000), 0);
        agent_stats(a, &st);
        assert_true(st.store_ok);
        assert_int_equal(st.samples_in_memory, 0);
        assert_true(last_value(agent_store(a), "service_up", "service", "nginx", &n) == 1);
        assert_int_equal(n, 3); /* both cycles from memory, and the one that found it back */
        a = agent_free(a);
        test_rm_rf(dir);
}

static void test_agent_grid_timestamps(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = test_data_path("collect/proc-nginx");
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        StoreSeries *series = NULL;
        StoreSample *samples = NULL;
        size_t n = 0, n_samples = 0;

        (void) state;
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), 0);
        agent_set_grid(a, 10000, true);
        assert_int_equal(agent_prime(a, T0 - 10000), 0);
        assert_int_equal(agent_cycle(a, T0 + 3), 0);     /* timer jitter: on the grid */
        assert_int_equal(agent_cycle(a, T0 + 9998), 0);  /* early: on the grid */
        assert_int_equal(agent_cycle(a, T0 + 24000), 0); /* 4 s late: its real time */
        assert_int_equal(agent_cycle(a, T0 + 24001), 0); /* too close: nudged, never lost */

        assert_int_equal(store_series_match(agent_store(a), "service_up", NULL, &series, &n), 0);
        assert_true(n > 0);
        assert_int_equal(
                store_query(agent_store(a), series[0].id, 0, INT64_MAX, &samples, &n_samples), 0);
        assert_int_equal(n_samples, 4);
        assert_int_equal(samples[0].ts_ms, T0);
        assert_int_equal(samples[1].ts_ms, T0 + 10000);
        assert_int_equal(samples[2].ts_ms, T0 + 24000);
        assert_int_equal(samples[3].ts_ms, T0 + 24001);
        free(samples);
        store_series_array_free(series, n);
        a = agent_free(a);
        test_rm_rf(dir);
}

/* A writable copy of the nginx fixture: its entries linked, plus a loadavg the test rewrites
 * in place between cycles (the collector keeps its fd open). */
static char *make_proc(const char *dir)
{
        _cleanup_free_ char *fixture = test_data_path("collect/proc-nginx");
        char *proc = xasprintf("%s/proc", dir);
        DIR *d = opendir(fixture);
        struct dirent *de;

        assert_non_null(d);
        assert_int_equal(mkdir(proc, 0700), 0);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *from = xasprintf("%s/%s", fixture, de->d_name);
                _cleanup_free_ char *to = xasprintf("%s/%s", proc, de->d_name);
                assert_int_equal(symlink(from, to), 0);
        }
        closedir(d);
        return proc;
}

static void set_load(const char *proc, double load1, double load5)
{
        _cleanup_free_ char *path = xasprintf("%s/loadavg", proc);
        char buf[64];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        int n = snprintf(buf, sizeof(buf), "%.2f %.2f 1.00 1/100 4242\n", load1, load5);
        assert_int_equal(write(fd, buf, (size_t) n), n);
        close(fd);
}

/* Small deterministic noise in [-0.1, 0.1]. */
static double wiggle(int i)
{
        return 0.1 * sin(i * 1.7) * cos(i * 0.3);
}

static void test_agent_online_scores(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = make_proc(dir);
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        StoreSeries *series = NULL;
        size_t n = 0;
        double rate_before = -1;
        AgentStats st;

        (void) state;
        cfg->detect.model = false;
        set_load(proc, 1, 1);
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), 0);
        assert_int_equal(agent_prime(a, T0), 0);
        for (int i = 1; i <= 40; i++) {
                set_load(proc, i == 40 ? 9 : 1 + wiggle(i), 1 + wiggle(i + 5));
                assert_int_equal(agent_cycle(a, T0 + i * 1000), 0);
                if (i == 39)
                        rate_before =
                                last_value(agent_store(a), "host_anomaly_rate", NULL, NULL, NULL);
        }
        Store *s = agent_store(a);

        /* The spike on host_load1 scores high there, not on host_load5, and raises the rate. */
        assert_true(last_value(s, "anomaly_score", "metric", "host_load1", NULL) >= 0.9);
        assert_true(last_value(s, "anomaly_score", "metric", "host_load5", NULL) < 0.9);
        double rate = last_value(s, "host_anomaly_rate", NULL, NULL, NULL);
        assert_true(rate > rate_before);
        assert_true(last_value(s, "host_anomalous_series", NULL, NULL, NULL) >= 1);
        OnlineTop top[3];
        assert_true(agent_online_top(a, top, 3) >= 1);
        assert_string_equal(top[0].series, "host_load1");
        assert_true(top[0].anomaly);

        /* Scores of host and service series only, each in [0, 1] with 2 decimals. */
        assert_int_equal(store_series_match(s, "anomaly_score", NULL, &series, &n), 0);
        assert_true(n > 10);
        bool service_seen = false;
        for (size_t i = 0; i < n; i++) {
                StoreSample *samples = NULL;
                size_t n_samples = 0;
                const char *metric = NULL;
                for (size_t j = 0; j < series[i].n_labels; j++)
                        if (strcmp(series[i].labels[j].key, "metric") == 0)
                                metric = series[i].labels[j].value;
                assert_non_null(metric);
                assert_true(strncmp(metric, "host_", 5) == 0 ||
                            strncmp(metric, "service_", 8) == 0);
                assert_false(strcmp(metric, "host_uptime_seconds") == 0);
                service_seen |= strncmp(metric, "service_", 8) == 0;
                assert_int_equal(store_query(s, series[i].id, 0, INT64_MAX, &samples, &n_samples),
                                 0);
                assert_int_equal(n_samples, 40);
                for (size_t j = 0; j < n_samples; j++) {
                        assert_true(samples[j].value >= 0 && samples[j].value <= 1);
                        assert_true(samples[j].value == quantize(samples[j].value, 2));
                }
                free(samples);
        }
        assert_true(service_seen);
        store_series_array_free(series, n);

        agent_stats(a, &st);
        assert_true(st.online);
        assert_int_equal(st.online_series, n);
        assert_int_equal(st.online_scored_last_cycle, n);
        assert_int_equal(st.online_samples_scored, 40 * n);
        assert_true(st.online_anomalous_last_cycle >= 1);
        assert_true(st.online_cpu_ns > 0);
        a = agent_free(a);
        test_rm_rf(dir);
}

static void test_agent_bad_online_method(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = test_data_path("collect/proc-nginx");
        _cleanup_(config_freep) Config *cfg = config_new_default();
        Agent *a = NULL;

        (void) state;
        free(cfg->detect.online_method);
        cfg->detect.online_method = xstrdup("crystal-ball");
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), -EINVAL);
        assert_null(a);
        /* Off: the method is not looked at. */
        cfg->detect.online = false;
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), 0);
        AgentStats st;
        agent_stats(a, &st);
        assert_false(st.online);
        a = agent_free(a);
        test_rm_rf(dir);
}

/* No model and too little data: the agent waits; once two windows are there it trains one
 * by itself and scores each completed window with it. */
static void test_agent_trains_the_host_model_when_there_is_data(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = make_proc(dir);
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        AgentStats st;
        size_t n;

        (void) state;
        cfg->detect.online = false;
        cfg->detect.window_ms = 5000;
        set_load(proc, 1, 1);
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", AGENT_HOST_MODEL, &a), 0);
        assert_int_equal(agent_prime(a, T0), 0);
        for (int i = 1; i <= 8; i++) {
                set_load(proc, 1 + wiggle(i), 1 + wiggle(i + 3));
                assert_int_equal(agent_cycle(a, T0 + i * 1000), 0);
        }
        agent_stats(a, &st);
        assert_true(st.model);
        assert_int_equal(st.model_trainings, 0); /* one complete window so far */
        assert_int_equal(st.model_trained_ms, 0);
        for (int i = 9; i <= 40; i++) {
                set_load(proc, 1 + wiggle(i), 1 + wiggle(i + 3));
                assert_int_equal(agent_cycle(a, T0 + i * 1000), 0);
        }
        agent_stats(a, &st);
        /* At 2 windows, then each time the data doubled (4, 8): not at every window. */
        assert_int_equal(st.model_trainings, 3);
        assert_true(st.model_windows >= 6);
        assert_true(st.model_trained_ms > 0);
        assert_true(st.model_features >= 1);
        double score = last_value(agent_store(a), "host_anomaly_score", NULL, NULL, &n);
        assert_true(score >= 0 && score <= 1);
        assert_true(n >= 3);
        assert_int_equal(st.model_last_window_ms, T0 + 35000);

        /* A restart loads the stored model instead of training again. */
        a = agent_free(a);
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", AGENT_HOST_MODEL, &a), 0);
        assert_int_equal(agent_prime(a, T0 + 41000), 0);
        for (int i = 42; i <= 52; i++)
                assert_int_equal(agent_cycle(a, T0 + i * 1000), 0);
        agent_stats(a, &st);
        assert_int_equal(st.model_trainings, 0);
        assert_true(st.model_trained_ms > 0);
        assert_int_equal(st.model_last_window_ms, T0 + 45000);
        a = agent_free(a);
        test_rm_rf(dir);
}

/* A model trained (host_model_train) on three hours of a synthetic store where the load is
 * about 1: the agent's window with a load of 1 is normal, the window with 50 is an anomaly
 * of kind "model", and the next faulty window extends it. */
static void test_agent_scores_windows_with_the_stored_model(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = make_proc(dir);
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        const int64_t from = B - 3 * MSEC_PER_HOUR, step = 10000;
        /* T0 is on a 10 s boundary; windows are on multiples of detect.window since the
         * epoch. */
        AnomalyRow *rows = NULL;
        size_t n_rows = 0, n;
        double normal_score = -1;

        (void) state;
        assert_int_equal(B % MSEC_PER_MIN, 0);
        {
                _cleanup_(store_freep) Store *s = NULL;
                _cleanup_(features_freep) FeatureSet *f = NULL;
                _cleanup_free_ char *msg = NULL;
                int64_t id1, id5;
                assert_int_equal(store_open(db, NULL, &s, NULL), 0);
                assert_int_equal(store_series_get(s, "host_load1", NULL, &id1), 0);
                assert_int_equal(store_series_get(s, "host_load5", NULL, &id5), 0);
                for (int i = 0; from + i * step < B; i++) {
                        int64_t ts = from + i * step;
                        assert_int_equal(store_append(s, id1, ts, quantize(1 + wiggle(i), 2)), 0);
                        assert_int_equal(store_append(s, id5, ts, quantize(1 + wiggle(i + 9), 2)),
                                         0);
                }
                assert_int_equal(store_commit(s), 0);
                assert_int_equal(features_build(s, from, B, MSEC_PER_MIN, &f, &msg), 0);
                assert_int_equal(f->n_windows, 180);
                assert_int_equal(host_model_train(s, f, NULL, 1, 0.1, B, &msg), 0);
        }

        cfg->detect.online = false;
        set_load(proc, 1, 1);
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", AGENT_HOST_MODEL, &a), 0);
        assert_int_equal(agent_prime(a, B), 0);
        for (int i = 1; i <= 18; i++) {
                bool faulty = i >= 7 && i <= 17; /* the windows [B+60s, B+120s) and after */
                set_load(proc, faulty ? 50 : 1 + wiggle(i), faulty ? 20 : 1 + wiggle(i + 9));
                assert_int_equal(agent_cycle(a, B + i * step), 0);
                if (i == 6) {
                        /* [B, B+60s) with the usual load: scored, not anomalous */
                        AgentStats st;
                        agent_stats(a, &st);
                        assert_int_equal(st.model_last_window_ms, B);
                        assert_false(st.model_last_anomaly);
                        normal_score = st.model_last_score;
                        assert_int_equal(st.model_trainings, 0);
                }
        }
        Store *s = agent_store(a);
        double score = last_value(s, "host_anomaly_score", NULL, NULL, &n);
        assert_int_equal(n, 3); /* windows at B, B+60s and B+120s */
        assert_true(score > 0.5);
        assert_true(normal_score >= 0 && score > normal_score);

        assert_int_equal(detectdb_anomaly_list(s, 0, INT64_MAX, "model", &rows, &n_rows), 0);
        assert_int_equal(n_rows, 1); /* two faulty windows, one anomaly */
        assert_string_equal(rows[0].subject, "host");
        assert_int_equal(rows[0].start_ms, B + MSEC_PER_MIN);
        assert_int_equal(rows[0].end_ms, B + 3 * MSEC_PER_MIN);
        assert_true(rows[0].score > 0.5 && rows[0].score <= 1);
        assert_non_null(strstr(rows[0].summary, "host_load1"));
        detectdb_anomaly_rows_free(rows, n_rows);

        AgentStats st;
        agent_stats(a, &st);
        assert_int_equal(st.model_anomalous_windows, 2);
        assert_int_equal(st.model_trainings, 0); /* the stored model was fresh */
        a = agent_free(a);
        test_rm_rf(dir);
}

/* Log counts are stored by the logs layer at its flush; the next cycle scores the buckets
 * stored since, with the buckets' timestamps. */
static void test_agent_scores_log_counts(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *log = xasprintf("%s/app.log", dir);
        _cleanup_free_ char *proc = test_data_path("collect/proc-nginx");
        _cleanup_free_ char *yaml = xasprintf("logs:\n  discover: false\n  journal: false\n"
                                              "  kmsg: false\n  count_interval: 10s\n"
                                              "  files:\n    - path: %s\n      name: app\n"
                                              "detect:\n  online:\n    method: robust\n",
                                              log);
        _cleanup_(config_freep) Config *cfg = NULL;
        _cleanup_(agent_freep) Agent *a = NULL;
        _cleanup_free_ char *msg = NULL;
        StoreSeries *series = NULL;
        size_t n = 0;
        FILE *f;

        (void) state;
        assert_int_equal(config_load_string(yaml, strlen(yaml), "test", &cfg, &msg), 0);
        f = fopen(log, "we");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", 0, &a), 0);
        assert_int_equal(agent_enable_logs(a, T0, false), 1);
        assert_int_equal(agent_prime(a, T0), 0);
        for (int i = 1; i <= 60; i++) {
                f = fopen(log, "ae");
                assert_non_null(f);
                for (int k = 0; k < 3 + i % 2; k++)
                        fprintf(f, "error: request %d failed\n", i * 10 + k);
                fclose(f);
                assert_int_equal(agent_cycle(a, T0 + i * 1000), 0);
        }
        Store *s = agent_store(a);
        const char *m[] = {"metric", "log_lines", NULL};
        assert_int_equal(store_series_match(s, "anomaly_score", m, &series, &n), 0);
        assert_true(n >= 1);
        for (size_t i = 0; i < n; i++) {
                StoreSample *v = NULL;
                size_t nv = 0;
                assert_int_equal(store_query(s, series[i].id, 0, INT64_MAX, &v, &nv), 0);
                assert_true(nv >= 3);
                for (size_t j = 0; j < nv; j++)
                        assert_true(v[j].value >= 0 && v[j].value <= 1);
                free(v);
        }
        store_series_array_free(series, n);
        a = agent_free(a);
        test_rm_rf(dir);
}

/* The load moved for good: the hourly (here: each minute) drift check sees it in both
 * features and the monitor retrains, once. */
static void test_agent_retrains_the_host_model_on_drift(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_free_ char *proc = make_proc(dir);
        _cleanup_(config_freep) Config *cfg = config_new_default();
        _cleanup_(agent_freep) Agent *a = NULL;
        const int64_t w = 5000, from = B - 20 * MSEC_PER_MIN;
        AgentStats st;

        (void) state;
        {
                _cleanup_(store_freep) Store *s = NULL;
                _cleanup_(features_freep) FeatureSet *f = NULL;
                _cleanup_free_ char *msg = NULL;
                int64_t id1, id5;
                assert_int_equal(store_open(db, NULL, &s, NULL), 0);
                assert_int_equal(store_series_get(s, "host_load1", NULL, &id1), 0);
                assert_int_equal(store_series_get(s, "host_load5", NULL, &id5), 0);
                for (int i = 0; from + i * 1000 < B; i++) {
                        int64_t ts = from + i * 1000;
                        assert_int_equal(store_append(s, id1, ts, quantize(1 + wiggle(i), 2)), 0);
                        assert_int_equal(store_append(s, id5, ts, quantize(1 + wiggle(i + 9), 2)),
                                         0);
                }
                assert_int_equal(store_commit(s), 0);
                assert_int_equal(features_build(s, from, B, w, &f, &msg), 0);
                assert_int_equal(host_model_train(s, f, NULL, 1, 0.1, B, &msg), 0);
        }
        cfg->detect.online = false;
        cfg->detect.window_ms = w;
        cfg->detect.drift_interval_ms = MSEC_PER_MIN;
        assert_int_equal(agent_new(cfg, db, proc, "/nonexistent", AGENT_HOST_MODEL, &a), 0);
        assert_int_equal(agent_prime(a, B), 0);
        for (int i = 1; i <= 100; i++) {
                set_load(proc, 1 + wiggle(i), 1 + wiggle(i + 9));
                assert_int_equal(agent_cycle(a, B + i * 1000), 0);
        }
        agent_stats(a, &st);
        assert_int_equal(st.model_trainings, 0); /* checked, no drift */
        for (int i = 101; i <= 300; i++) {
                set_load(proc, 4 + wiggle(i), 3 + wiggle(i + 9));
                assert_int_equal(agent_cycle(a, B + i * 1000), 0);
        }
        agent_stats(a, &st);
        assert_int_equal(st.model_trainings, 1);
        assert_true(st.model_trained_ms > B + 100000);
        a = agent_free(a);
        test_rm_rf(dir);
}

static void test_quantize_by_unit(void **state)
{
        (void) state;
        assert_int_equal(quantize_decimals("host_cpu_percent"), 2);
        assert_int_equal(quantize_decimals("host_disk_read_bytes_per_second"), 2);
        assert_int_equal(quantize_decimals("host_pressure_stall_seconds_per_second"), 4);
        assert_int_equal(quantize_decimals("host_disk_await_seconds"), 6);
        assert_int_equal(quantize_decimals("host_pressure_stall_seconds_total"), 6);
        assert_int_equal(quantize_decimals("host_load15"), 2);
        assert_int_equal(quantize_decimals("host_memory_used_bytes"), -1);

        assert_true(quantize(87.43718592964824, 2) == 87.44);
        assert_true(quantize(-0.005, 2) == -0.01); /* half away from zero */
        assert_true(quantize(0.0012345, 6) == 0.001235);
        assert_true(quantize(123456789.0, 2) == 123456789.0);
        assert_true(quantize(1.5, -1) == 1.5);
        assert_true(isnan(quantize(NAN, 2)));
        assert_true(isinf(quantize(INFINITY, 2)));
        /* Past 2^53 / 100 rounding would lose precision: left alone. */
        assert_true(quantize(9.1e13 + 0.3, 2) == 9.1e13 + 0.3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_agent_cycle_stores_services_and_top_processes),
                cmocka_unit_test(test_agent_keeps_samples_in_memory_until_the_store_works),
                cmocka_unit_test(test_agent_grid_timestamps),
                cmocka_unit_test(test_agent_online_scores),
                cmocka_unit_test(test_agent_bad_online_method),
                cmocka_unit_test(test_agent_trains_the_host_model_when_there_is_data),
                cmocka_unit_test(test_agent_scores_windows_with_the_stored_model),
                cmocka_unit_test(test_agent_scores_log_counts),
                cmocka_unit_test(test_agent_retrains_the_host_model_on_drift),
                cmocka_unit_test(test_quantize_by_unit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

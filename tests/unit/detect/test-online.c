#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/config.h"
#include "detect/online.h"
#include "detect/rng.h"
#include "store/store.h"
#include "test-util.h"

#define T0   INT64_C(1795300000000)
#define STEP INT64_C(30000)

static double gauss(Rng *r)
{
        double u = rng_double(r), v = rng_double(r);
        return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static OnlineScorer *scorer(const char *method)
{
        _cleanup_(config_freep) Config *cfg = config_new_default();
        OnlineScorer *o = NULL;
        _cleanup_free_ char *msg = NULL;

        free(cfg->detect.online_method);
        cfg->detect.online_method = xstrdup(method);
        assert_int_equal(online_new(&cfg->detect, &o, &msg), 0);
        assert_null(msg);
        return o;
}

static void test_online_wants_only_features(void **state)
{
        static const char *const yes[] = {
                "host_cpu_busy_percent",
                "host_load1",
                "host_memory_used_bytes",
                "host_disk_busy_percent",
                "service_up",
                "service_cpu_percent",
                "log_lines",
                "log_anomalies",
                "log_keyword_lines",
                "http_requests_per_second",
                "log_new_templates",
        };
        static const char *const no[] = {
                "host_cpus",
                "host_uptime_seconds",
                "host_memory_total_bytes",
                "host_disk_read_bytes_total",
                "host_file_descriptors_max",
                "host_anomaly_rate",
                "host_anomaly_score",
                "host_anomalous_series",
                "anomaly_score",
                "process_cpu_percent",
                "service_main_pid",
                "log_template_lines",
                "aiops_processes",
                "",
        };
        _cleanup_(online_freep) OnlineScorer *o = scorer("robust");
        const char *labels[] = {"pid", "1", "comm", "init", NULL};
        double score = -1;
        bool anomaly;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_true(online_wants(yes[i]));
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_false(online_wants(no[i]));
        assert_false(online_wants(NULL));

        online_cycle_begin(o);
        assert_int_equal(
                online_observe(o, NULL, "process_cpu_percent", labels, T0, 5, &score, &anomaly), 0);
        assert_int_equal(online_observe(o, NULL, "anomaly_score", NULL, T0, 5, &score, &anomaly),
                         0);
        assert_int_equal(online_observe(o, NULL, "host_load1", NULL, T0, 5, &score, &anomaly), 1);
        assert_true(score >= 0 && score <= 1);
        /* Not finite, or not after the series' last: not scored, state untouched. */
        assert_int_equal(
                online_observe(o, NULL, "host_load1", NULL, T0 + STEP, NAN, &score, &anomaly), 0);
        assert_int_equal(online_observe(o, NULL, "host_load1", NULL, T0, 6, &score, &anomaly), 0);

        OnlineStats st;
        online_stats(o, &st);
        assert_int_equal(st.series, 1);
        assert_int_equal(st.samples_scored, 1);
}

/* Two series of one metric, told apart by a label: a spike in one scores high there only,
 * and the other's scores are exactly those of a scorer that only ever saw it. */
static void test_online_series_are_isolated(void **state)
{
        _cleanup_(online_freep) OnlineScorer *both = scorer("seasonal");
        _cleanup_(online_freep) OnlineScorer *alone = scorer("seasonal");
        const char *sda[] = {"device", "sda", NULL};
        const char *sdb[] = {"device", "sdb", NULL};
        Rng r;

        (void) state;
        rng_seed(&r, 7);
        for (int i = 0; i < 300; i++) {
                int64_t ts = T0 + i * STEP;
                double va = 20 + gauss(&r), vb = 50 + 5 * gauss(&r);
                double sa, sb, sb_alone;
                bool aa, ab, ab_alone;

                if (i == 250)
                        va = 95; /* the spike */
                online_cycle_begin(both);
                assert_int_equal(
                        online_observe(both, NULL, "host_disk_busy_percent", sda, ts, va, &sa, &aa),
                        1);
                assert_int_equal(
                        online_observe(both, NULL, "host_disk_busy_percent", sdb, ts, vb, &sb, &ab),
                        1);
                assert_int_equal(online_observe(alone, NULL, "host_disk_busy_percent", sdb, ts, vb,
                                                &sb_alone, &ab_alone),
                                 1);
                assert_true(sb == sb_alone);
                assert_true(ab == ab_alone);
                if (i == 250) {
                        assert_true(sa > 0.99);
                        assert_true(aa);
                        assert_true(sb < 0.9);
                }
        }
        OnlineStats st;
        online_stats(both, &st);
        assert_int_equal(st.series, 2);
        assert_int_equal(st.samples_scored, 600);
}

/* A restart: the detector warmed up from the store is in the state live feeding gives, so
 * the next sample gets the same score to the last bit. */
static void test_online_warm_up_from_store_equals_live(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_(online_freep) OnlineScorer *live = scorer("seasonal");
        _cleanup_(online_freep) OnlineScorer *restarted = scorer("seasonal");
        const char *labels[] = {"service", "mysql", NULL};
        const int n = 500;
        int64_t id;
        Rng r;
        double live_score = -1, warm_score = -2;
        bool live_anomaly, warm_anomaly;

        (void) state;
        assert_int_equal(store_open(db, NULL, &s, NULL), 0);
        assert_int_equal(store_series_get(s, "service_cpu_percent", labels, &id), 0);
        rng_seed(&r, 3);
        for (int i = 0; i < n; i++) {
                int64_t ts = T0 + i * STEP;
                double v = round((30 + 10 * sin(i / 40.0) + gauss(&r)) * 100) / 100;
                assert_int_equal(store_append(s, id, ts, v), 0);
                online_cycle_begin(live);
                assert_int_equal(online_observe(live, NULL, "service_cpu_percent", labels, ts, v,
                                                &live_score, &live_anomaly),
                                 1);
        }
        assert_int_equal(store_commit(s), 0);
        s = store_free(s);

        /* The next sample, after a restart: stored first (as the agent does), then scored. */
        assert_int_equal(store_open(db, NULL, &s, NULL), 0);
        assert_int_equal(store_series_get(s, "service_cpu_percent", labels, &id), 0);
        int64_t ts = T0 + n * STEP;
        assert_int_equal(store_append(s, id, ts, 77.5), 0);
        assert_int_equal(online_observe(live, NULL, "service_cpu_percent", labels, ts, 77.5,
                                        &live_score, &live_anomaly),
                         1);
        online_cycle_begin(restarted);
        assert_int_equal(online_observe(restarted, s, "service_cpu_percent", labels, ts, 77.5,
                                        &warm_score, &warm_anomaly),
                         1);
        assert_true(live_score == warm_score);
        assert_true(live_anomaly == warm_anomaly);
        assert_true(warm_score > 0.9); /* 77.5 is far out */

        OnlineStats st;
        online_stats(restarted, &st);
        assert_int_equal(st.warmup_samples, n);
        assert_int_equal(st.samples_scored, 1);
        assert_true(st.cpu_ns > 0);
        s = store_free(s);
        test_rm_rf(dir);
}

/* The rate is over the series scored in the cycle; a cycle without spikes is back to 0. */
static void test_online_cycle_rate_and_count(void **state)
{
        _cleanup_(online_freep) OnlineScorer *o = scorer("robust");
        Rng r;
        double rate;
        uint64_t anomalous;

        (void) state;
        rng_seed(&r, 11);
        for (int i = 0; i < 100; i++) {
                online_cycle_begin(o);
                for (int k = 0; k < 10; k++) {
                        char svc[16];
                        const char *labels[] = {"service", svc, NULL};
                        double score, v = 100 + gauss(&r);
                        bool anomaly;
                        (void) snprintf(svc, sizeof(svc), "s%d", k);
                        if (i == 80 && k < 3)
                                v = 1000;
                        assert_int_equal(online_observe(o, NULL, "service_threads", labels,
                                                        T0 + i * STEP, v, &score, &anomaly),
                                         1);
                }
                online_cycle_end(o, &rate, &anomalous);
                if (i == 80) {
                        assert_int_equal(anomalous, 3);
                        assert_true(fabs(rate - 0.3) < 1e-12);
                        OnlineTop top[5];
                        assert_int_equal(online_top(o, top, 5), 5);
                        assert_true(top[0].anomaly && top[1].anomaly && top[2].anomaly);
                        assert_false(top[3].anomaly);
                        assert_true(top[0].score >= top[1].score && top[3].score >= top[4].score);
                        assert_non_null(strstr(top[0].series, "service_threads{service=\"s"));
                }
                if (i == 81) {
                        assert_int_equal(anomalous, 0);
                        assert_true(rate == 0);
                }
        }
        OnlineStats st;
        online_stats(o, &st);
        assert_int_equal(st.scored_last_cycle, 10);
        assert_int_equal(st.series, 10);

        /* A cycle that scored nothing has a rate of 0, not NaN. */
        online_cycle_begin(o);
        online_cycle_end(o, &rate, &anomalous);
        assert_true(rate == 0);
        assert_int_equal(anomalous, 0);
}

static void test_online_max_series(void **state)
{
        _cleanup_(online_freep) OnlineScorer *o = scorer("ewma");
        double score;
        bool anomaly;
        char pid[16];
        const char *labels[] = {"device", pid, NULL};

        (void) state;
        online_cycle_begin(o);
        for (unsigned i = 0; i < ONLINE_MAX_SERIES; i++) {
                (void) snprintf(pid, sizeof(pid), "d%u", i);
                assert_int_equal(online_observe(o, NULL, "host_disk_busy_percent", labels, T0, 1,
                                                &score, &anomaly),
                                 1);
        }
        OnlineStats st;
        online_stats(o, &st);
        assert_false(st.full);
        (void) snprintf(pid, sizeof(pid), "one-more");
        assert_int_equal(
                online_observe(o, NULL, "host_disk_busy_percent", labels, T0, 1, &score, &anomaly),
                0);
        /* Known series go on being scored. */
        (void) snprintf(pid, sizeof(pid), "d%u", 17u);
        assert_int_equal(online_observe(o, NULL, "host_disk_busy_percent", labels, T0 + STEP, 1,
                                        &score, &anomaly),
                         1);
        online_stats(o, &st);
        assert_true(st.full);
        assert_int_equal(st.series, ONLINE_MAX_SERIES);
        assert_int_equal(st.refused_samples, 1);
}

static void test_online_bad_settings(void **state)
{
        _cleanup_(config_freep) Config *cfg = config_new_default();
        OnlineScorer *o = NULL;
        char *msg = NULL;

        (void) state;
        free(cfg->detect.online_method);
        cfg->detect.online_method = xstrdup("magic");
        assert_int_equal(online_new(&cfg->detect, &o, &msg), -EINVAL);
        assert_null(o);
        assert_non_null(msg);
        assert_non_null(strstr(msg, "'magic'"));
        free(msg);
        msg = NULL;

        free(cfg->detect.online_method);
        cfg->detect.online_method = xstrdup("kalman");
        cfg->detect.online_threshold = 1.5;
        assert_int_equal(online_new(&cfg->detect, &o, &msg), -EINVAL);
        assert_null(o);
        assert_non_null(strstr(msg, "threshold"));
        free(msg);
}

static void scored_cb(void *userdata, const char *name, const char *const *labels, int64_t ts_ms,
                      double score, bool anomaly)
{
        int *n = userdata;

        (void) anomaly;
        assert_string_equal(name, "log_lines");
        assert_string_equal(labels[0], "severity");
        assert_true(ts_ms >= T0 + 100 * STEP);
        assert_true(score >= 0 && score <= 1);
        (*n)++;
}

/* Series another writer stores: history before since_ms is the warm-up, later buckets are
 * scored once each, and the scores are those of live feeding. */
static void test_online_observe_stored(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_(online_freep) OnlineScorer *o = scorer("robust");
        _cleanup_(online_freep) OnlineScorer *live = scorer("robust");
        const char *labels[] = {"severity", "err", "source", "app", NULL};
        int64_t id;
        int n_cb = 0;
        double score = -1, expected = -2;
        bool anomaly;

        (void) state;
        assert_int_equal(store_open(db, NULL, &s, NULL), 0);
        assert_int_equal(store_series_get(s, "log_lines", labels, &id), 0);
        for (int i = 0; i < 120; i++) {
                double v = i == 110 ? 500 : i % 7;
                assert_int_equal(store_append(s, id, T0 + i * STEP, v), 0);
                assert_int_equal(online_observe(live, NULL, "log_lines", labels, T0 + i * STEP, v,
                                                &expected, &anomaly),
                                 1);
        }
        online_cycle_begin(o);
        assert_int_equal(
                online_observe_stored(o, s, "log_lines", T0 + 100 * STEP, scored_cb, &n_cb), 20);
        assert_int_equal(n_cb, 20);
        double rate;
        uint64_t anomalous;
        online_cycle_end(o, &rate, &anomalous);
        assert_int_equal(anomalous, 1); /* the 500 */
        assert_true(rate == 1);

        /* Nothing new: nothing scored. One more bucket: just it. */
        online_cycle_begin(o);
        assert_int_equal(online_observe_stored(o, s, "log_lines", T0, scored_cb, &n_cb), 0);
        assert_int_equal(store_append(s, id, T0 + 120 * STEP, 3), 0);
        assert_int_equal(online_observe_stored(o, s, "log_lines", T0, scored_cb, &n_cb), 1);
        assert_int_equal(online_observe(live, NULL, "log_lines", labels, T0 + 120 * STEP, 3,
                                        &expected, &anomaly),
                         1);
        OnlineTop top[1];
        online_cycle_end(o, &rate, &anomalous);
        assert_int_equal(online_top(o, top, 1), 1);
        score = top[0].score;
        assert_true(score == expected);
        assert_string_equal(top[0].series, "log_lines{severity=\"err\",source=\"app\"}");

        OnlineStats st;
        online_stats(o, &st);
        assert_int_equal(st.warmup_samples, 100);
        assert_int_equal(st.samples_scored, 21);
        /* Metrics that are not scored are not read. */
        assert_int_equal(online_observe_stored(o, s, "log_template_lines", T0, scored_cb, &n_cb),
                         0);
        s = store_free(s);
        test_rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_online_wants_only_features),
                cmocka_unit_test(test_online_series_are_isolated),
                cmocka_unit_test(test_online_warm_up_from_store_equals_live),
                cmocka_unit_test(test_online_cycle_rate_and_count),
                cmocka_unit_test(test_online_max_series),
                cmocka_unit_test(test_online_bad_settings),
                cmocka_unit_test(test_online_observe_stored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

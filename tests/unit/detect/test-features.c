/* The feature matrix: which series are features, mean vs sum per window, missing values,
 * dropped windows and columns, subjects, and one window read against a model's columns. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/features.h"
#include "store/store.h"
#include "test-util.h"

#define MINUTE INT64_C(60000)
#define T0     INT64_C(1700000040000) /* a minute boundary */

static void test_features_metric_wanted(void **state)
{
        FeatureAgg agg = FEATURE_SUM;

        (void) state;
        assert_true(features_metric_wanted("host_cpu_busy_percent", &agg));
        assert_int_equal(agg, FEATURE_MEAN);
        assert_true(features_metric_wanted("host_memory_used_bytes", &agg));
        assert_true(features_metric_wanted("service_resident_memory_bytes", &agg));
        assert_int_equal(agg, FEATURE_MEAN);
        assert_true(features_metric_wanted("http_requests_per_second", &agg));
        assert_int_equal(agg, FEATURE_MEAN);
        static const char *const sums[] = {"log_lines", "log_keyword_lines", "log_new_templates",
                                           "log_anomalies"};
        for (size_t i = 0; i < ELEMENTSOF(sums); i++) {
                agg = FEATURE_MEAN;
                assert_true(features_metric_wanted(sums[i], &agg));
                assert_int_equal(agg, FEATURE_SUM);
        }
        static const char *const no[] = {"host_disk_read_bytes_total",
                                         "host_network_receive_bytes_total",
                                         "host_pressure_stall_seconds_total",
                                         "host_cpus",
                                         "host_memory_total_bytes",
                                         "host_swap_total_bytes",
                                         "host_filesystem_size_bytes",
                                         "host_filesystem_inodes_total",
                                         "host_file_descriptors_max",
                                         "host_uptime_seconds",
                                         "host_anomaly_rate",
                                         "host_anomalous_series",
                                         "service_main_pid",
                                         "process_cpu_percent",
                                         "process_resident_memory_bytes",
                                         "log_template_lines",
                                         "aiops_cycle_cpu_seconds",
                                         "anomaly_score",
                                         "",
                                         "hostname"};
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_false(features_metric_wanted(no[i], NULL));
        assert_false(features_metric_wanted(NULL, NULL));
}

typedef struct Fixture {
        char *dir;
        Store *s;
} Fixture;

static int setup(void **state)
{
        _cleanup_free_ char *err = NULL, *path = NULL;
        Fixture *f = xnew0(Fixture, 1);

        f->dir = test_mkdtemp();
        path = xasprintf("%s/aiops.db", f->dir);
        if (store_open(path, NULL, &f->s, &err) < 0)
                fail_msg("store_open: %s", err);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;
        store_free(f->s);
        test_rm_rf(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

static int64_t series(Store *s, const char *name, const char *const *labels)
{
        int64_t id;
        assert_int_equal(store_series_get(s, name, labels, &id), 0);
        return id;
}

static const Feature *find(const FeatureSet *fs, const char *name, size_t *ret_j)
{
        for (size_t j = 0; j < fs->n_features; j++)
                if (strcmp(fs->features[j].name, name) == 0) {
                        if (ret_j)
                                *ret_j = j;
                        return &fs->features[j];
                }
        return NULL;
}

/* 10 windows of 1 minute: host cpu at 0 s and 30 s (mean), log lines in buckets of 20 s
 * (sum), a service present in windows 0-4 only (0 after), a host series only in windows 0-2
 * (sparse: dropped), a constant host series (dropped), a counter and a process series (not
 * features), window 6 with no host sample (dropped), and a host series missing in window 8
 * (its median there). */
static void build_store(Store *s)
{
        static const char *const mysql[] = {"service", "mysql", NULL};
        static const char *const err[] = {"source", "mysql", "severity", "err", NULL};
        static const char *const sys[] = {"source", "syslog", "severity", "err", NULL};
        int64_t cpu = series(s, "host_cpu_busy_percent", NULL);
        int64_t mem = series(s, "host_memory_used_percent", NULL);
        int64_t sparse = series(s, "host_swap_used_percent", NULL);
        int64_t cst = series(s, "host_procs_blocked", NULL);
        int64_t ctr = series(s, "host_disk_read_bytes_total", NULL);
        int64_t rss = series(s, "service_resident_memory_bytes", mysql);
        int64_t lines = series(s, "log_lines", err);
        int64_t slines = series(s, "log_lines", sys);
        int64_t proc = series(s, "process_cpu_percent", (const char *const[]){"pid", "1", NULL});

        for (int w = 0; w < 10; w++) {
                int64_t t = T0 + w * MINUTE;
                if (w == 6)
                        continue;
                assert_int_equal(store_append(s, cpu, t, 10 * w), 0);
                assert_int_equal(store_append(s, cpu, t + 30000, 10 * w + 2), 0);
                if (w != 8)
                        assert_int_equal(store_append(s, mem, t + 1000, 50 + w), 0);
                if (w < 3)
                        assert_int_equal(store_append(s, sparse, t + 1000, w), 0);
                assert_int_equal(store_append(s, cst, t + 1000, 1), 0);
                assert_int_equal(store_append(s, ctr, t + 1000, 1e6 * w), 0);
                if (w < 5)
                        assert_int_equal(store_append(s, rss, t + 1000, 1e9 + w), 0);
                for (int b = 0; b < 3; b++) {
                        assert_int_equal(store_append(s, lines, t + b * 20000, w + b), 0);
                        assert_int_equal(store_append(s, slines, t + b * 20000, w % 2), 0);
                }
                assert_int_equal(store_append(s, proc, t + 1000, w), 0);
        }
        assert_int_equal(store_commit(s), 0);
}

static void test_features_build(void **state)
{
        Fixture *fx = *state;
        _cleanup_(features_freep) FeatureSet *fs = NULL;
        _cleanup_free_ char *err = NULL;
        size_t j;

        build_store(fx->s);
        /* The last partial window (30 s) is left out. */
        assert_int_equal(features_build(fx->s, T0, T0 + 10 * MINUTE + 30000, MINUTE, &fs, &err), 0);
        assert_int_equal(fs->n_windows, 9);
        assert_int_equal(fs->n_dropped_windows, 1);
        for (size_t i = 0; i < fs->n_windows; i++)
                assert_true(fs->start_ms[i] != T0 + 6 * MINUTE);
        assert_int_equal(fs->start_ms[6], T0 + 7 * MINUTE);
        /* cpu, memory, rss, the two log series; not swap (sparse), procs_blocked (constant),
         * the counter or the process. */
        assert_int_equal(fs->n_features, 5);
        assert_int_equal(fs->n_dropped_features, 2);
        assert_null(find(fs, "host_swap_used_percent", NULL));
        assert_null(find(fs, "host_procs_blocked", NULL));
        size_t d = fs->n_features;

        /* Mean per window for host series. */
        assert_non_null(find(fs, "host_cpu_busy_percent", &j));
        assert_int_equal(fs->features[j].agg, FEATURE_MEAN);
        assert_string_equal(fs->features[j].subject, "host");
        assert_float_equal(fs->x[0 * d + j], 1, 1e-9);
        assert_float_equal(fs->x[6 * d + j], 71, 1e-9); /* window 7 */

        /* Sum per window for counts. */
        assert_non_null(find(fs, "log_lines{severity=\"err\",source=\"mysql\"}", &j));
        assert_int_equal(fs->features[j].agg, FEATURE_SUM);
        assert_string_equal(fs->features[j].subject, "service:mysql");
        assert_float_equal(fs->x[2 * d + j], 2 + 3 + 4, 1e-9);
        /* A source not named after a service is the host's. */
        assert_non_null(find(fs, "log_lines{severity=\"err\",source=\"syslog\"}", &j));
        assert_string_equal(fs->features[j].subject, "host");

        /* A service absent from a window is 0 there. */
        assert_non_null(find(fs, "service_resident_memory_bytes{service=\"mysql\"}", &j));
        assert_string_equal(fs->features[j].subject, "service:mysql");
        assert_float_equal(fs->x[4 * d + j], 1e9 + 4, 1e-3);
        assert_float_equal(fs->x[5 * d + j], 0, 1e-9);

        /* A host value missing from a window is the column's median. */
        assert_non_null(find(fs, "host_memory_used_percent", &j));
        /* present: 50..55, 57, 59 (window 6 dropped, 8 missing): median (53 + 54) / 2 */
        assert_float_equal(fs->x[7 * d + j], 53.5, 1e-9);
        assert_float_equal(fs->features[j].median, 53.5, 1e-9);
        assert_true(fs->features[j].scale > 0);
        for (size_t i = 0; i < fs->n_windows; i++)
                assert_float_equal(
                        fs->scaled[i * d + j],
                        (fs->x[i * d + j] - fs->features[j].median) / fs->features[j].scale, 1e-12);
        Matrix m = features_matrix(fs);
        assert_int_equal(m.n, 9);
        assert_int_equal(m.d, 5);
        m = features_scaled(fs);
        assert_ptr_equal(m.x, fs->scaled);
}

static void test_features_window(void **state)
{
        Fixture *fx = *state;
        static const char *const names[] = {"host_cpu_busy_percent", "host_memory_used_percent",
                                            "log_lines{severity=\"err\",source=\"mysql\"}",
                                            "service_resident_memory_bytes{service=\"mysql\"}",
                                            "http_requests_per_second{source=\"nginx\"}"};
        static const FeatureAgg aggs[] = {FEATURE_MEAN, FEATURE_MEAN, FEATURE_SUM, FEATURE_MEAN,
                                          FEATURE_MEAN};
        static const double medians[] = {40, 53.5, 12, 5e8, 7};
        double row[5];

        build_store(fx->s);
        assert_int_equal(
                features_window(fx->s, names, aggs, medians, 5, T0 + 2 * MINUTE, MINUTE, row), 0);
        assert_float_equal(row[0], 21, 1e-9);
        assert_float_equal(row[1], 52, 1e-9);
        assert_float_equal(row[2], 9, 1e-9);
        assert_float_equal(row[3], 1e9 + 2, 1e-3);
        assert_float_equal(row[4], 0, 1e-9); /* a series the store does not have: 0 */

        /* Window 8: memory missing, its median; the service gone, 0. */
        assert_int_equal(
                features_window(fx->s, names, aggs, medians, 5, T0 + 8 * MINUTE, MINUTE, row), 0);
        assert_float_equal(row[1], 53.5, 1e-9);
        assert_float_equal(row[3], 0, 1e-9);

        /* Window 6: no host sample at all. */
        assert_int_equal(
                features_window(fx->s, names, aggs, medians, 5, T0 + 6 * MINUTE, MINUTE, row),
                -ENODATA);
        assert_int_equal(
                features_window(fx->s, names, aggs, medians, 5, T0 + 60 * MINUTE, MINUTE, row),
                -ENODATA);
}

static void test_features_build_nodata(void **state)
{
        Fixture *fx = *state;
        _cleanup_(features_freep) FeatureSet *fs = NULL;
        _cleanup_free_ char *err = NULL;

        assert_int_equal(features_build(fx->s, T0, T0 + 10 * MINUTE, MINUTE, &fs, &err), -ENODATA);
        assert_null(fs);
        assert_non_null(strstr(err, "no host, service or log data"));
        err = (free(err), NULL);

        /* Only a constant series: windows, but no feature. */
        int64_t id = series(fx->s, "host_procs_blocked", NULL);
        for (int w = 0; w < 10; w++)
                assert_int_equal(store_append(fx->s, id, T0 + w * MINUTE, 1), 0);
        assert_int_equal(features_build(fx->s, T0, T0 + 10 * MINUTE, MINUTE, &fs, &err), -ENODATA);
        assert_non_null(strstr(err, "no feature varies over the 10 windows"));
        err = (free(err), NULL);

        /* Data outside the range: fewer than 2 windows. */
        assert_int_equal(
                features_build(fx->s, T0 + 9 * MINUTE, T0 + 20 * MINUTE, MINUTE, &fs, &err),
                -ENODATA);
        assert_non_null(strstr(err, "the store has 0.1 hours of data between"));
        assert_non_null(strstr(err, "found 1 of 11"));
        err = (free(err), NULL);

        assert_int_equal(features_build(fx->s, T0, T0, MINUTE, &fs, &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_features_metric_wanted),
                cmocka_unit_test_setup_teardown(test_features_build, setup, teardown),
                cmocka_unit_test_setup_teardown(test_features_window, setup, teardown),
                cmocka_unit_test_setup_teardown(test_features_build_nodata, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

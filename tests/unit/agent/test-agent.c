#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "agent/agent.h"
#include "agent/quantize.h"
#include "core/alloc.h"
#include "core/time-util.h"
#include "test-util.h"

/* A fixed start on a 10 s boundary, so grid arithmetic is easy to check by hand. */
#define T0 INT64_C(1795300000000)

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
                cmocka_unit_test(test_quantize_by_unit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

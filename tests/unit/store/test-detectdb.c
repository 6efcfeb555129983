#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "store/detectdb.h"
#include "store/store-fixture.h"
#include "store/store.h"
#include "test-util.h"

#define T0     INT64_C(1700000000000)
#define MINUTE INT64_C(60000)

static AnomalyRow anomaly(const char *subject, int64_t start, int64_t end, double score)
{
        return (AnomalyRow){
                .kind = (char *) "batch",
                .subject = (char *) subject,
                .start_ms = start,
                .end_ms = end,
                .detected_ms = T0 + 100 * MINUTE,
                .score = score,
                .methods = (char *) "iforest,lof",
                .summary = (char *) "host_memory_used_percent 93 vs 61 ± 4",
                .details = (char *) "{\"features\":[]}",
        };
}

/* Overlapping or touching ranges of one kind and subject are one anomaly: the union of the
 * ranges and the higher score; a disjoint range or another subject is a new one. */
static void test_anomaly_merge(void **state)
{
        Fixture *f = *state;
        AnomalyRow a = anomaly("host", T0, T0 + 5 * MINUTE, 0.7);
        AnomalyRow b = anomaly("host", T0 + 3 * MINUTE, T0 + 9 * MINUTE, 0.6);
        AnomalyRow c = anomaly("host", T0 + 9 * MINUTE, T0 + 10 * MINUTE, 0.9); /* touches b */
        AnomalyRow d = anomaly("host", T0 + 30 * MINUTE, T0 + 31 * MINUTE, 0.5);
        AnomalyRow e = anomaly("service:mysql", T0, T0 + 5 * MINUTE, 0.8);

        assert_int_equal(detectdb_anomaly_put(f->store, &a), 1);
        assert_int_equal(detectdb_anomaly_put(f->store, &b), 0);
        assert_int_equal(b.id, a.id);
        assert_int_equal(detectdb_anomaly_put(f->store, &c), 0);
        assert_int_equal(c.id, a.id);
        assert_int_equal(detectdb_anomaly_put(f->store, &d), 1);
        assert_int_equal(detectdb_anomaly_put(f->store, &e), 1);
        assert_true(d.id != a.id && e.id != a.id && e.id != d.id);

        reopen(f);
        AnomalyRow *v;
        size_t n;
        assert_int_equal(detectdb_anomaly_list(f->store, INT64_MIN, INT64_MAX, "batch", &v, &n), 0);
        assert_int_equal(n, 3);
        /* Oldest first; a and e start together, a was stored first. */
        assert_int_equal(v[0].id, a.id);
        assert_int_equal(v[0].start_ms, T0);
        assert_int_equal(v[0].end_ms, T0 + 10 * MINUTE);
        assert_true(v[0].score == 0.9);
        assert_string_equal(v[0].subject, "host");
        assert_string_equal(v[0].methods, "iforest,lof");
        assert_string_equal(v[0].summary, "host_memory_used_percent 93 vs 61 ± 4");
        assert_string_equal(v[0].details, "{\"features\":[]}");
        assert_int_equal(v[1].id, e.id);
        assert_int_equal(v[2].id, d.id);
        detectdb_anomaly_rows_free(v, n);

        /* Ranges ending after since and starting before until. */
        assert_int_equal(detectdb_anomaly_list(f->store, T0 + 10 * MINUTE, INT64_MAX, NULL, &v, &n),
                         0);
        assert_int_equal(n, 1);
        assert_int_equal(v[0].id, d.id);
        detectdb_anomaly_rows_free(v, n);
        assert_int_equal(detectdb_anomaly_list(f->store, INT64_MIN, T0 + 30 * MINUTE, NULL, &v, &n),
                         0);
        assert_int_equal(n, 2);
        detectdb_anomaly_rows_free(v, n);
        assert_int_equal(detectdb_anomaly_list(f->store, INT64_MIN, INT64_MAX, "drift", &v, &n), 0);
        assert_int_equal(n, 0);
        detectdb_anomaly_rows_free(v, n);

        AnomalyRow got;
        assert_int_equal(detectdb_anomaly_get(f->store, e.id, &got), 1);
        assert_string_equal(got.subject, "service:mysql");
        detectdb_anomaly_row_done(&got);
        assert_int_equal(detectdb_anomaly_get(f->store, 999999, &got), 0);

        AnomalyRow bad = anomaly("host", T0 + MINUTE, T0, 0.5);
        assert_int_equal(detectdb_anomaly_put(f->store, &bad), -EINVAL);
}

/* Inside a caller's transaction a rollback takes the anomaly back with the rest. */
static void test_anomaly_in_transaction(void **state)
{
        Fixture *f = *state;
        AnomalyRow a = anomaly("host", T0, T0 + MINUTE, 0.7);
        AnomalyRow *v;
        size_t n;

        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(detectdb_anomaly_put(f->store, &a), 1);
        store_rollback(f->store);
        assert_int_equal(detectdb_anomaly_list(f->store, INT64_MIN, INT64_MAX, NULL, &v, &n), 0);
        assert_int_equal(n, 0);
        detectdb_anomaly_rows_free(v, n);

        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(detectdb_anomaly_put(f->store, &a), 1);
        assert_int_equal(store_commit(f->store), 0);
        reopen(f);
        assert_int_equal(detectdb_anomaly_list(f->store, INT64_MIN, INT64_MAX, NULL, &v, &n), 0);
        assert_int_equal(n, 1);
        detectdb_anomaly_rows_free(v, n);
}

/* Retention drops anomalies that ended before the cutoff, like samples. */
static void test_anomaly_retention(void **state)
{
        Fixture *f = *state;
        AnomalyRow old = anomaly("host", T0, T0 + MINUTE, 0.7);
        AnomalyRow recent = anomaly("host", T0 + 1000 * MINUTE, T0 + 1001 * MINUTE, 0.7);
        AnomalyRow *v;
        size_t n;

        assert_int_equal(detectdb_anomaly_put(f->store, &old), 1);
        assert_int_equal(detectdb_anomaly_put(f->store, &recent), 1);
        assert_true(store_retention(f->store, T0 + 1100 * MINUTE, 200 * MINUTE) >= 0);
        assert_int_equal(detectdb_anomaly_list(f->store, INT64_MIN, INT64_MAX, NULL, &v, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(v[0].id, recent.id);
        detectdb_anomaly_rows_free(v, n);
}

static void test_model_roundtrip(void **state)
{
        Fixture *f = *state;
        uint8_t blob[300];
        ModelRow got;

        for (size_t i = 0; i < sizeof(blob); i++)
                blob[i] = (uint8_t) (i * 7); /* NUL bytes included */
        ModelRow m = {.name = (char *) "host",
                      .kind = (char *) "iforest",
                      .trained_ms = T0,
                      .from_ms = T0 - 1440 * MINUTE,
                      .to_ms = T0,
                      .n_samples = 1440,
                      .meta = (char *) "{\"features\":[\"a\"]}",
                      .data = blob,
                      .data_size = sizeof(blob)};

        assert_int_equal(detectdb_model_get(f->store, "host", &got), 0);
        assert_int_equal(detectdb_model_put(f->store, &m), 0);
        reopen(f);
        assert_int_equal(detectdb_model_get(f->store, "host", &got), 1);
        assert_string_equal(got.kind, "iforest");
        assert_int_equal(got.trained_ms, T0);
        assert_int_equal(got.from_ms, T0 - 1440 * MINUTE);
        assert_int_equal(got.n_samples, 1440);
        assert_string_equal(got.meta, "{\"features\":[\"a\"]}");
        assert_int_equal(got.data_size, sizeof(blob));
        assert_memory_equal(got.data, blob, sizeof(blob));
        detectdb_model_row_done(&got);

        /* Replaced by name. */
        m.trained_ms = T0 + MINUTE;
        m.data_size = 3;
        assert_int_equal(detectdb_model_put(f->store, &m), 0);
        assert_int_equal(detectdb_model_get(f->store, "host", &got), 1);
        assert_int_equal(got.trained_ms, T0 + MINUTE);
        assert_int_equal(got.data_size, 3);
        detectdb_model_row_done(&got);

        assert_int_equal(detectdb_model_delete(f->store, "host"), 0);
        assert_int_equal(detectdb_model_get(f->store, "host", &got), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_anomaly_merge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_anomaly_in_transaction, setup, teardown),
                cmocka_unit_test_setup_teardown(test_anomaly_retention, setup, teardown),
                cmocka_unit_test_setup_teardown(test_model_roundtrip, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

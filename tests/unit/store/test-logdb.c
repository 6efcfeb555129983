#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "store/logdb.h"
#include "store/store-fixture.h"
#include "store/store.h"
#include "test-util.h"

#define T0 INT64_C(1700000000000)

static void test_source_upsert(void **state)
{
        Fixture *f = *state;
        LogSourceRow row = {.name = (char *) "nginx-access",
                            .kind = (char *) "file",
                            .target = (char *) "/var/log/nginx/access.log",
                            .cursor = (char *) "dev=1 ino=2 off=3",
                            .first_seen_ms = T0,
                            .updated_ms = T0,
                            .lines = 10,
                            .bytes = 1000};
        LogSourceRow got;

        assert_int_equal(logdb_source_get(f->store, "nginx-access", &got), 0);
        assert_int_equal(logdb_source_put(f->store, &row), 0);
        /* A later put keeps the earlier first_seen and replaces the rest. */
        row.first_seen_ms = T0 + 5000;
        row.updated_ms = T0 + 5000;
        row.cursor = (char *) "dev=1 ino=2 off=99";
        row.lines = 12;
        row.error = (char *) "cannot open: Permission denied";
        assert_int_equal(logdb_source_put(f->store, &row), 0);
        reopen(f);
        assert_int_equal(logdb_source_get(f->store, "nginx-access", &got), 1);
        assert_string_equal(got.cursor, "dev=1 ino=2 off=99");
        assert_int_equal(got.first_seen_ms, T0);
        assert_int_equal(got.updated_ms, T0 + 5000);
        assert_int_equal(got.lines, 12);
        assert_string_equal(got.error, "cannot open: Permission denied");
        assert_null(got.note);
        logdb_source_row_done(&got);

        LogSourceRow *all;
        size_t n;
        row.name = (char *) "journal";
        row.error = NULL;
        assert_int_equal(logdb_source_put(f->store, &row), 0);
        assert_int_equal(logdb_source_list(f->store, &all, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(all[0].name, "journal"); /* by name */
        assert_string_equal(all[1].name, "nginx-access");
        logdb_source_rows_free(all, n);
}

static void test_template_upsert_and_order(void **state)
{
        Fixture *f = *state;
        LogTemplateRow t = {.source = (char *) "app",
                            .id = 1,
                            .template = (char *) "connect <*> failed",
                            .count = 5,
                            .first_seen_ms = T0 + 100,
                            .last_seen_ms = T0 + 200,
                            .severity = 3,
                            .sample = (char *) "connect 10.0.0.1 failed",
                            .params = (char *) "[\"10.0.0.1\"]"};
        LogTemplateRow *v;
        size_t n;

        assert_int_equal(logdb_template_put(f->store, &t), 0);
        t.id = 2;
        t.template = (char *) "started";
        t.count = 50;
        t.params = NULL;
        assert_int_equal(logdb_template_put(f->store, &t), 0);
        t.source = (char *) "other";
        t.count = 7;
        assert_int_equal(logdb_template_put(f->store, &t), 0);
        /* update of (app, 1): count grows, first_seen keeps the earlier */
        t.source = (char *) "app";
        t.id = 1;
        t.template = (char *) "connect <*> failed <*>";
        t.count = 60;
        t.first_seen_ms = T0 + 150;
        t.last_seen_ms = T0 + 900;
        assert_int_equal(logdb_template_put(f->store, &t), 0);

        assert_int_equal(logdb_template_list(f->store, "app", 0, &v, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(v[0].id, 1);
        assert_string_equal(v[0].template, "connect <*> failed <*>");
        assert_int_equal(v[0].count, 60);
        assert_int_equal(v[0].first_seen_ms, T0 + 100);
        assert_int_equal(v[0].last_seen_ms, T0 + 900);
        assert_string_equal(v[0].params, "[]");
        assert_int_equal(v[1].id, 2);
        logdb_template_rows_free(v, n);

        assert_int_equal(logdb_template_list(f->store, NULL, 2, &v, &n), 0);
        assert_int_equal(n, 2); /* top 2 of 3, by count */
        assert_int_equal(v[0].count, 60);
        assert_int_equal(v[1].count, 50);
        logdb_template_rows_free(v, n);
}

static void test_sample_cut_on_utf8_boundary(void **state)
{
        Fixture *f = *state;
        char line[1200];
        LogTemplateRow *v;
        size_t n;

        /* 499 ASCII bytes then "é" (2 bytes) straddling the 500-byte limit */
        memset(line, 'a', 499);
        memcpy(line + 499, "\xc3\xa9 tail", 8);
        LogTemplateRow t = {.source = (char *) "s",
                            .id = 1,
                            .template = (char *) "x",
                            .count = 1,
                            .sample = line};
        assert_int_equal(logdb_template_put(f->store, &t), 0);
        assert_int_equal(logdb_template_list(f->store, "s", 0, &v, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(strlen(v[0].sample), 499);
        logdb_template_rows_free(v, n);

        _cleanup_free_ char *c = logdb_truncate_utf8("ab\xe2\x82\xac", 4); /* € is 3 bytes */
        assert_string_equal(c, "ab");
}

static void test_events_since(void **state)
{
        Fixture *f = *state;
        LogEventRow e = {.ts_ms = T0,
                         .kind = (char *) "new_template",
                         .source = (char *) "app",
                         .template_id = 3,
                         .template = (char *) "disk <*> failing",
                         .sample = (char *) "disk sda failing",
                         .severity = 2,
                         .shadow = true};
        LogEventRow *v;
        size_t n;

        assert_int_equal(logdb_event_add(f->store, &e), 0);
        assert_true(e.id > 0);
        e.ts_ms = T0 + 60000;
        e.shadow = false;
        assert_int_equal(logdb_event_add(f->store, &e), 0);
        assert_int_equal(logdb_event_list(f->store, T0 + 1, NULL, &v, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(v[0].ts_ms, T0 + 60000);
        assert_false(v[0].shadow);
        assert_int_equal(v[0].severity, 2);
        logdb_event_rows_free(v, n);
        assert_int_equal(logdb_event_list(f->store, 0, "nothing", &v, &n), 0);
        assert_int_equal(n, 0);
        logdb_event_rows_free(v, n);
        /* retention drops events like samples */
        assert_int_equal(store_retention(f->store, T0 + 60000 + 1000, 30000), 0);
        assert_int_equal(logdb_event_list(f->store, 0, NULL, &v, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(v[0].ts_ms, T0 + 60000);
        logdb_event_rows_free(v, n);
}

/* Rows written between store_begin() and store_commit() become durable with the samples,
 * and a rollback drops both. */
static void test_transaction_atomic(void **state)
{
        Fixture *f = *state;
        LogSourceRow row = {.name = (char *) "a", .cursor = (char *) "c1"};
        LogSourceRow got;
        int64_t id;
        StoreSample *smp;
        size_t n;

        assert_int_equal(store_series_get(f->store, "log_lines", NULL, &id), 0);
        assert_int_equal(store_begin(f->store), 0);
        assert_true(store_in_transaction(f->store));
        assert_int_equal(store_begin(f->store), -EBUSY);
        int64_t other;
        assert_int_equal(store_series_get(f->store, "new_series", NULL, &other), -EBUSY);
        assert_int_equal(logdb_source_put(f->store, &row), 0);
        assert_int_equal(store_append(f->store, id, T0, 3), 0);
        assert_int_equal(store_commit(f->store), 0);
        assert_false(store_in_transaction(f->store));

        /* A transaction with no samples still commits its rows. */
        row.cursor = (char *) "c2";
        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(logdb_source_put(f->store, &row), 0);
        assert_int_equal(store_commit(f->store), 0);

        row.cursor = (char *) "c3";
        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(logdb_source_put(f->store, &row), 0);
        store_rollback(f->store);
        assert_false(store_in_transaction(f->store));

        reopen(f);
        assert_int_equal(logdb_source_get(f->store, "a", &got), 1);
        assert_string_equal(got.cursor, "c2");
        logdb_source_row_done(&got);
        assert_int_equal(store_series_get(f->store, "log_lines", NULL, &id), 0);
        assert_int_equal(store_query(f->store, id, 0, INT64_MAX, &smp, &n), 0);
        assert_int_equal(n, 1);
        assert_true(smp[0].value == 3);
        free(smp);
}

/* A batch adds many series in one transaction; the same series asked twice is one. */
static void test_series_batch(void **state)
{
        Fixture *f = *state;
        const char *l1[] = {"source", "a", "severity", "err", NULL};
        const char *l2[] = {"severity", "err", "source", "a", NULL}; /* same, other order */
        const char *l3[] = {"source", "b", NULL};
        int64_t id1, id2, id3, old;

        assert_int_equal(store_series_get(f->store, "log_lines", l3, &old), 0);
        assert_int_equal(store_series_batch_begin(f->store), 0);
        assert_int_equal(store_begin(f->store), -EBUSY);
        assert_int_equal(store_series_get(f->store, "log_lines", l1, &id1), 0);
        assert_int_equal(store_series_get(f->store, "log_lines", l2, &id2), 0);
        assert_int_equal(store_series_get(f->store, "log_lines", l3, &id3), 0);
        assert_int_equal(id1, id2);
        assert_int_equal(id3, old);
        assert_int_equal(store_series_batch_end(f->store), 0);
        assert_int_equal(store_append(f->store, id1, T0, 1), 0);
        assert_int_equal(store_commit(f->store), 0);
        reopen(f);
        StoreSeries *v;
        size_t n;
        assert_int_equal(store_series_match(f->store, "log_lines", NULL, &v, &n), 0);
        assert_int_equal(n, 2);
        store_series_array_free(v, n);
        assert_int_equal(store_series_get(f->store, "log_lines", l1, &id2), 0);
        assert_int_equal(id1, id2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_source_upsert, setup, teardown),
                cmocka_unit_test_setup_teardown(test_template_upsert_and_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sample_cut_on_utf8_boundary, setup, teardown),
                cmocka_unit_test_setup_teardown(test_events_since, setup, teardown),
                cmocka_unit_test_setup_teardown(test_transaction_atomic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_series_batch, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

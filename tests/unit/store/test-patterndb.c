#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "store/patterndb.h"
#include "store/store-fixture.h"
#include "store/store.h"
#include "test-util.h"

#define T0 INT64_C(1700000000000)

static void test_patterndb_put_get_replace(void **state)
{
        Fixture *f = *state;
        PatternRow row;

        assert_int_equal(patterndb_get(f->store, "mysql-oom", &row), 0);
        assert_int_equal(patterndb_put(f->store, "mysql-oom", "{\"a\": 1}\n", T0), 0);
        assert_int_equal(patterndb_put(f->store, "mysql-oom", "{\"a\": 2}\n", T0 + 5), 0);
        /* Survives closing the store. */
        store_free(f->store);
        f->store = open_ok(f->path);
        assert_int_equal(patterndb_get(f->store, "mysql-oom", &row), 1);
        assert_string_equal(row.id, "mysql-oom");
        assert_string_equal(row.json, "{\"a\": 2}\n");
        assert_true(row.updated_ms == T0 + 5);
        patterndb_row_done(&row);
        assert_null(row.id);
}

static void test_patterndb_list_delete(void **state)
{
        Fixture *f = *state;
        PatternRow *rows = NULL;
        size_t n = 99;

        assert_int_equal(patterndb_list(f->store, &rows, &n), 0);
        assert_int_equal(n, 0);
        patterndb_rows_free(rows, n);
        assert_int_equal(patterndb_put(f->store, "zeta", "{}", T0), 0);
        assert_int_equal(patterndb_put(f->store, "alpha", "{\"x\": \"\\u00e9\"}", T0 + 1), 0);
        assert_int_equal(patterndb_put(f->store, "mid-1", "{}", T0 + 2), 0);
        assert_int_equal(patterndb_list(f->store, &rows, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(rows[0].id, "alpha");
        assert_string_equal(rows[0].json, "{\"x\": \"\\u00e9\"}");
        assert_string_equal(rows[1].id, "mid-1");
        assert_string_equal(rows[2].id, "zeta");
        patterndb_rows_free(rows, n);

        assert_int_equal(patterndb_delete(f->store, "mid-1"), 1);
        assert_int_equal(patterndb_delete(f->store, "mid-1"), 0);
        assert_int_equal(patterndb_list(f->store, &rows, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(rows[1].id, "zeta");
        patterndb_rows_free(rows, n);
}

static void test_patterndb_bad_id(void **state)
{
        Fixture *f = *state;
        char id[66];

        memset(id, 'a', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        assert_int_equal(patterndb_put(f->store, "", "{}", T0), -EINVAL);
        assert_int_equal(patterndb_put(f->store, id, "{}", T0), -EINVAL);
        id[64] = '\0';
        assert_int_equal(patterndb_put(f->store, id, "{}", T0), 0);
}

static void test_patterndb_in_transaction(void **state)
{
        Fixture *f = *state;
        PatternRow row;

        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(patterndb_put(f->store, "a", "{}", T0), 0);
        assert_int_equal(patterndb_put(f->store, "b", "{}", T0), 0);
        assert_int_equal(store_commit(f->store), 0);
        assert_int_equal(patterndb_get(f->store, "b", &row), 1);
        patterndb_row_done(&row);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_patterndb_put_get_replace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patterndb_list_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patterndb_bad_id, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patterndb_in_transaction, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "store/store.h"
#include "test-util.h"

#define T0 INT64_C(1700000000000)

typedef struct Fixture {
        char *dir;
        char *path;
} Fixture;

static int setup(void **state)
{
        Fixture *f = xnew0(Fixture, 1);

        f->dir = test_mkdtemp();
        f->path = xasprintf("%s/aiops.db", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;

        test_rm_rf(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
        return 0;
}

static Store *open_ok(const char *path, const StoreOptions *opt)
{
        _cleanup_free_ char *err = NULL;
        Store *s = NULL;

        int r = store_open(path, opt, &s, &err);
        if (r < 0)
                fail_msg("store_open: %s", err);
        return s;
}

static int open_fail(const char *path, char **ret_err)
{
        Store *s = NULL;
        int r = store_open(path, NULL, &s, ret_err);

        assert_true(r < 0);
        assert_null(s);
        return r;
}

static int64_t raw_int(const char *path, const char *sql)
{
        sqlite3 *db;
        sqlite3_stmt *st;
        int64_t v = -1;

        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static char *raw_text(const char *path, const char *sql)
{
        sqlite3 *db;
        sqlite3_stmt *st;
        char *v = NULL;

        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = xstrdup((const char *) sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static void raw_exec(const char *path, const char *sql)
{
        sqlite3 *db;

        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

static size_t query_n(Store *s, int64_t id, int64_t from, int64_t to)
{
        _cleanup_free_ StoreSample *v = NULL;
        size_t n;

        assert_int_equal(store_query(s, id, from, to, &v, &n), 0);
        for (size_t i = 1; i < n; i++)
                assert_true(v[i].ts_ms > v[i - 1].ts_ms);
        return n;
}

static double value_at(int64_t i)
{
        return 50 + 20 * sin((double) i / 30.0) + (double) (i % 7) * 0.01;
}

/* Checks that samples 0..n-1 of value_at() at T0 + i*10 s are all there, bit for bit. */
static void assert_samples(Store *s, int64_t id, size_t n)
{
        _cleanup_free_ StoreSample *v = NULL;
        size_t got;

        assert_int_equal(store_query(s, id, INT64_MIN, INT64_MAX, &v, &got), 0);
        assert_int_equal(got, n);
        for (size_t i = 0; i < n; i++) {
                assert_true(v[i].ts_ms == T0 + (int64_t) i * 10000);
                assert_true(v[i].value == value_at((int64_t) i));
        }
}

static void test_store_open_create_reopen(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);

        assert_string_equal(store_path(s), f->path);
        assert_string_equal(store_last_error(s), "");
        store_free(s);
        assert_true(raw_int(f->path, "PRAGMA application_id") == STORE_APPLICATION_ID);
        assert_true(raw_int(f->path, "PRAGMA user_version") == 5);
        assert_true(raw_int(f->path,
                            "SELECT count(*) FROM sqlite_schema WHERE name = 'sample_log'") == 1);
        assert_true(raw_int(f->path, "PRAGMA auto_vacuum") == 2); /* incremental */
        assert_true(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'chunk'") ==
                    1);

        s = open_ok(f->path, NULL);
        assert_int_equal(store_check(s, true), 0);
        store_free(s);

        /* an existing empty file is a new database */
        _cleanup_free_ char *empty = xasprintf("%s/empty.db", f->dir);
        int fd = open(empty, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        store_free(open_ok(empty, NULL));
}

static void test_store_series_identity(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);
        int64_t a, b, c, d;
        _cleanup_free_ char *canon = NULL;

        assert_int_equal(store_series_get(s, "host_cpu_seconds_total",
                                          (const char *const[]){"mode", "user", "cpu", "0", NULL},
                                          &a),
                         0);
        assert_int_equal(store_series_get(s, "host_cpu_seconds_total",
                                          (const char *const[]){"cpu", "0", "mode", "user", NULL},
                                          &b),
                         0);
        assert_true(a == b);
        assert_int_equal(store_series_get(s, "host_cpu_seconds_total",
                                          (const char *const[]){"cpu", "1", "mode", "user", NULL},
                                          &c),
                         0);
        assert_true(c != a);
        /* an empty value is no label (Prometheus) */
        assert_int_equal(store_series_get(s, "host_load1", NULL, &d), 0);
        assert_int_equal(
                store_series_get(s, "host_load1", (const char *const[]){"x", "", NULL}, &b), 0);
        assert_true(b == d);

        assert_int_equal(
                store_series_canonical(
                        "m", (const char *const[]){"z", "1", "a", "q\"b\\c\nd", NULL}, &canon),
                0);
        assert_string_equal(canon, "m{a=\"q\\\"b\\\\c\\nd\",z=\"1\"}");

        assert_int_equal(store_series_get(s, "9bad", NULL, &b), -EINVAL);
        assert_int_equal(store_series_get(s, "m", (const char *const[]){"a:b", "1", NULL}, &b),
                         -EINVAL);
        assert_int_equal(
                store_series_get(s, "m", (const char *const[]){"a", "1", "a", "2", NULL}, &b),
                -EINVAL);
        assert_int_equal(store_series_get(s, "m", (const char *const[]){"a", NULL}, &b), -EINVAL);

        int64_t e;
        assert_int_equal(
                store_series_get(s, "m", (const char *const[]){"a", "q\"b\\c\nd", NULL}, &e), 0);
        store_free(s);

        /* ids survive a reopen */
        s = open_ok(f->path, NULL);
        assert_int_equal(store_series_get(s, "host_cpu_seconds_total",
                                          (const char *const[]){"mode", "user", "cpu", "0", NULL},
                                          &b),
                         0);
        assert_true(a == b);

        StoreSeries *m;
        size_t n;
        assert_int_equal(store_series_match(s, "host_cpu_seconds_total",
                                            (const char *const[]){"mode", "user", NULL}, &m, &n),
                         0);
        assert_int_equal(n, 2);
        assert_string_equal(m[0].canonical, "host_cpu_seconds_total{cpu=\"0\",mode=\"user\"}");
        assert_string_equal(m[0].name, "host_cpu_seconds_total");
        assert_int_equal(m[0].n_labels, 2);
        assert_string_equal(m[0].labels[0].key, "cpu");
        assert_string_equal(m[0].labels[0].value, "0");
        assert_true(m[0].samples == 0);
        store_series_array_free(m, n);

        assert_int_equal(store_series_match(s, "m", NULL, &m, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(m[0].labels[0].value, "q\"b\\c\nd");
        assert_true(m[0].id == e);
        store_series_array_free(m, n);

        assert_int_equal(
                store_series_match(s, "host_load1", (const char *const[]){"x", "", NULL}, &m, &n),
                0);
        assert_int_equal(n, 1);
        store_series_array_free(m, n);
        assert_int_equal(store_series_match(s, "nope", NULL, &m, &n), 0);
        assert_int_equal(n, 0);
        store_series_array_free(m, n);

        char **names;
        assert_int_equal(store_series_list(s, &names, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(names[0], "host_cpu_seconds_total");
        assert_string_equal(names[1], "host_load1");
        assert_string_equal(names[2], "m");
        assert_null(names[3]);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        store_free(s);
}

/* store_series_get() remembers each series as it was last spelled: the same spelling finds
 * it again, any other spelling goes the full way and still finds the same series. */
static void test_store_series_get_fast_path(void **state)
{
        Fixture *f = *state;
        StoreOptions opt = {.chunk_max_samples = 10};
        Store *s = open_ok(f->path, &opt);
        const char *const ab[] = {"a", "1", "b", "2", NULL}, *const ba[] = {"b", "2", "a", "1",
                                                                            NULL};
        int64_t id, again, other;

        assert_int_equal(store_series_get(s, "m", ab, &id), 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(store_series_get(s, "m", ab, &again), 0);
                assert_true(again == id);
                assert_int_equal(store_series_get(s, "m", ba, &again), 0);
                assert_true(again == id);
        }
        /* the NUL-separated key cannot be fooled by moving text between name and labels */
        assert_int_equal(store_series_get(s, "ma", (const char *const[]){"1", "b", NULL}, &other),
                         -EINVAL);
        assert_int_equal(store_series_get(s, "m_a", NULL, &other), 0);
        assert_true(other != id);
        assert_int_equal(store_series_get(s, "m", (const char *const[]){"a", "1", NULL}, &other),
                         0);
        assert_true(other != id);
        assert_int_equal(
                store_series_get(s, "m", (const char *const[]){"a", "12", "b", "", NULL}, &again),
                0);
        assert_true(again != id && again != other);

        /* Retention drops series unused since open (a remembered one is in use), so after a
         * reopen the spelling goes the full way again and makes a new series. */
        assert_int_equal(store_append(s, id, T0, 1), 0);
        assert_int_equal(store_commit(s), 0);
        store_free(s);
        s = open_ok(f->path, &opt);
        assert_int_equal(store_retention(s, T0 + 100 * MSEC_PER_DAY, MSEC_PER_DAY), 1);
        assert_int_equal(store_series_get(s, "m", ab, &again), 0);
        assert_int_equal(store_append(s, again, T0 + 100 * MSEC_PER_DAY, 2), 0);
        assert_int_equal(query_n(s, again, INT64_MIN, INT64_MAX), 1);
        store_free(s);
}

static void test_store_append_commit_query(void **state)
{
        Fixture *f = *state;
        /* every commit a checkpoint: the chunk rows below are the point */
        StoreOptions opt = {.chunk_max_samples = 100, .log_checkpoint_commits = 1};
        Store *s = open_ok(f->path, &opt);
        int64_t id, other;
        StoreSeries *m;
        size_t n;

        assert_int_equal(store_series_get(s, "host_memory_used_bytes", NULL, &id), 0);
        assert_int_equal(store_series_get(s, "host_load1", NULL, &other), 0);
        for (int64_t i = 0; i < 250; i++)
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_samples(s, id, 250); /* all uncommitted */
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_commit(s), 0); /* nothing to do */
        for (int64_t i = 250; i < 530; i++)
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_samples(s, id, 530); /* committed head, uncommitted tail over 3 chunks */

        /* ranges are inclusive and cut inside chunks */
        assert_int_equal(query_n(s, id, T0 + 10000, T0 + 20000), 2);
        assert_int_equal(query_n(s, id, T0 + 995000, T0 + 2005000), 101);
        assert_int_equal(query_n(s, id, T0 - 1, T0), 1);
        assert_int_equal(query_n(s, id, T0 + 529 * 10000, INT64_MAX), 1);
        assert_int_equal(query_n(s, id, T0 + 530 * 10000, INT64_MAX), 0);
        assert_int_equal(query_n(s, other, INT64_MIN, INT64_MAX), 0);

        assert_int_equal(store_series_match(s, "host_memory_used_bytes", NULL, &m, &n), 0);
        assert_int_equal(n, 1);
        assert_true(m[0].samples == 530);
        assert_true(m[0].first_ts_ms == T0);
        assert_true(m[0].last_ts_ms == T0 + 529 * 10000);
        store_series_array_free(m, n);

        assert_int_equal(store_commit(s), 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM chunk") == 6);
        /* a kill after this point loses the uncommitted sample only */
        assert_int_equal(store_append(s, id, T0 + 530 * 10000, value_at(530)), 0);
        store_free(s);

        s = open_ok(f->path, &opt);
        assert_samples(s, id, 530);
        /* the last chunk (30 samples) is continued, not a new row */
        for (int64_t i = 530; i < 600; i++)
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_samples(s, id, 600);
        store_free(s);
        assert_true(raw_int(f->path, "SELECT count(*) FROM chunk") == 6);
        assert_true(raw_int(f->path, "SELECT sum(count) FROM chunk") == 600);
        assert_true(raw_int(f->path, "SELECT max(count) FROM chunk") == 100);
}

static void test_store_chunk_span_closes(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, &(StoreOptions){.log_checkpoint_commits = 1});
        int64_t id;

        assert_int_equal(store_series_get(s, "x", NULL, &id), 0);
        /* one sample an hour: the 2 h span cap closes chunks at 3 samples */
        for (int64_t i = 0; i < 10; i++)
                assert_int_equal(store_append(s, id, T0 + i * MSEC_PER_HOUR, (double) i), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(query_n(s, id, INT64_MIN, INT64_MAX), 10);
        store_free(s);
        assert_true(raw_int(f->path, "SELECT count(*) FROM chunk") == 4);
        assert_true(raw_int(f->path, "SELECT max(end_ts - start_ts) FROM chunk") ==
                    2 * MSEC_PER_HOUR);
}

static void test_store_append_rejects_out_of_order(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);
        int64_t id;

        assert_int_equal(store_series_get(s, "x", NULL, &id), 0);
        assert_int_equal(store_append(s, id, T0, 1), 0);
        assert_int_equal(store_append(s, id, T0 + 10, 2), 0);
        assert_int_equal(store_append(s, id, T0 + 10, 3), -EINVAL);
        assert_non_null(strstr(store_last_error(s), "not after"));
        assert_int_equal(store_append(s, id, T0 + 5, 3), -EINVAL);
        assert_int_equal(store_append(s, id + 1000, T0 + 50, 3), -ENOENT);
        assert_int_equal(query_n(s, id, INT64_MIN, INT64_MAX), 2);
        assert_int_equal(store_commit(s), 0);
        store_free(s);

        /* the last timestamp is known after a reopen too */
        s = open_ok(f->path, NULL);
        assert_int_equal(store_append(s, id, T0 + 10, 3), -EINVAL);
        assert_int_equal(store_append(s, id, T0 + 11, 3), 0);
        assert_int_equal(query_n(s, id, INT64_MIN, INT64_MAX), 3);
        store_free(s);
}

static void test_store_retention(void **state)
{
        Fixture *f = *state;
        StoreOptions opt = {.chunk_max_samples = 60};
        Store *s = open_ok(f->path, &opt);
        int64_t old, recent, now = T0 + 10 * MSEC_PER_DAY;
        StoreStats st;

        assert_int_equal(store_series_get(s, "old", NULL, &old), 0);
        assert_int_equal(store_series_get(s, "recent", NULL, &recent), 0);
        for (int64_t i = 0; i < 600; i++) {
                assert_int_equal(store_append(s, old, T0 + i * 10000, value_at(i)), 0);
                assert_int_equal(
                        store_append(s, recent, now - MSEC_PER_DAY + i * 10000, value_at(i)), 0);
        }
        assert_int_equal(store_commit(s), 0);
        /* one uncommitted old sample in memory goes too */
        assert_int_equal(store_append(s, old, T0 + 600 * 10000, 1), 0);
        store_free(s);

        s = open_ok(f->path, &opt);
        assert_int_equal(store_retention(s, now, 7 * MSEC_PER_DAY), 10);
        _cleanup_free_ StoreSample *v = NULL;
        size_t n;
        assert_int_equal(store_query(s, old, INT64_MIN, INT64_MAX, &v, &n), -ENOENT);
        assert_int_equal(query_n(s, recent, INT64_MIN, INT64_MAX), 600);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.series == 1); /* "old" was not used since open: gone */
        assert_true(st.chunks == 10);
        assert_int_equal(store_retention(s, now, 7 * MSEC_PER_DAY), 0);

        /* a series in use keeps its id even without chunks */
        int64_t id;
        assert_int_equal(store_series_get(s, "recent", NULL, &id), 0);
        assert_int_equal(store_retention(s, now + 100 * MSEC_PER_DAY, MSEC_PER_DAY), 10);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.series == 1 && st.chunks == 0 && st.samples == 0);
        assert_int_equal(store_append(s, id, now + 100 * MSEC_PER_DAY, 1), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_check(s, true), 0);
        store_free(s);
}

static void test_store_stats_and_meta(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);
        StoreStats st;
        int64_t a, b;
        char *v;

        assert_int_equal(store_series_get(s, "a", NULL, &a), 0);
        assert_int_equal(store_series_get(s, "b", NULL, &b), 0);
        for (int64_t i = 0; i < 300; i++)
                assert_int_equal(store_append(s, a, T0 + i * 10000, value_at(i)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_append(s, b, T0 - 5, 1), 0);
        assert_int_equal(store_append(s, a, T0 + 300 * 10000, 1), 0);

        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.series == 2);
        assert_true(st.samples == 302);
        assert_true(st.chunks == 3); /* a: 240 + 61 (one row, 60 committed), b: memory only */
        assert_true(st.first_ts_ms == T0 - 5);
        assert_true(st.last_ts_ms == T0 + 300 * 10000);
        assert_true(st.page_size > 0 && st.page_count > 0);
        assert_true(st.file_bytes == st.db_bytes + st.wal_bytes && st.file_bytes > 0);

        assert_int_equal(store_meta_get(s, "hostname", &v), 0);
        assert_null(v);
        assert_int_equal(store_meta_set(s, "hostname", "web-1"), 0);
        assert_int_equal(store_meta_set(s, "hostname", "web-2"), 0);
        assert_int_equal(store_meta_get(s, "hostname", &v), 1);
        assert_string_equal(v, "web-2");
        free(v);
        assert_int_equal(store_checkpoint(s), 0);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.wal_bytes == 0);
        store_free(s);
}

static void test_store_open_foreign_and_garbage(void **state)
{
        Fixture *f = *state;
        char *err = NULL;
        int fd;

        raw_exec(f->path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
        assert_int_equal(open_fail(f->path, &err), -EBADMSG);
        assert_non_null(strstr(err, f->path));
        assert_non_null(strstr(err, "is not an aiops database"));
        free(err);
        /* untouched: still a rollback-journal database without our id */
        assert_true(raw_int(f->path, "PRAGMA application_id") == 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sqlite_schema") == 1);
        unlink(f->path);

        /* a database with another application's id and no tables */
        raw_exec(f->path, "PRAGMA application_id = 1234");
        assert_int_equal(open_fail(f->path, &err), -EBADMSG);
        free(err);
        unlink(f->path);

        fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        for (int i = 0; i < 200; i++)
                assert_int_equal(write(fd, "this is not sqlite at all\n", 26), 26);
        close(fd);
        assert_int_equal(open_fail(f->path, &err), -EBADMSG);
        assert_non_null(strstr(err, f->path));
        assert_non_null(strstr(err, "not an aiops database"));
        free(err);
}

static void test_store_open_corrupt(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);
        int64_t id;
        char *err = NULL;

        assert_int_equal(store_series_get(s, "x", NULL, &id), 0);
        for (int64_t i = 0; i < 5000; i++)
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_checkpoint(s), 0);
        store_free(s);

        /* overwrite every page but the first: the header is fine, the b-trees are not */
        struct stat sb;
        assert_int_equal(stat(f->path, &sb), 0);
        int fd = open(f->path, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        char junk[4096];
        memset(junk, 0xa5, sizeof(junk));
        for (off_t o = 4096; o < sb.st_size; o += 4096)
                assert_int_equal(pwrite(fd, junk, sizeof(junk), o), (ssize_t) sizeof(junk));
        close(fd);

        Store *s2 = NULL;
        int r = store_open(f->path, NULL, &s2, &err);
        if (r == 0) {
                /* sqlite_schema lives on page 1: the damage shows when read */
                _cleanup_free_ StoreSample *v = NULL;
                size_t n;
                r = store_check(s2, false);
                assert_int_equal(r, -EBADMSG);
                assert_non_null(strstr(store_last_error(s2), "is corrupt"));
                assert_true(store_query(s2, id, INT64_MIN, INT64_MAX, &v, &n) == -EBADMSG);
                store_free(s2);
        } else {
                assert_int_equal(r, -EBADMSG);
                assert_non_null(strstr(err, f->path));
                free(err);
        }
}

static void test_store_open_newer_schema(void **state)
{
        Fixture *f = *state;
        char *err = NULL;

        store_free(open_ok(f->path, NULL));
        raw_exec(f->path, "PRAGMA user_version = 99");
        assert_int_equal(open_fail(f->path, &err), -EPROTONOSUPPORT);
        assert_non_null(strstr(err, f->path));
        assert_non_null(strstr(err, "newer aiops"));
        free(err);
}

static void test_store_open_missing_dir(void **state)
{
        Fixture *f = *state;
        _cleanup_free_ char *path = xasprintf("%s/nope/aiops.db", f->dir);
        char *err = NULL;

        assert_int_equal(open_fail(path, &err), -ENOENT);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "does not exist"));
        free(err);
        assert_int_equal(open_fail(f->dir, &err), -EISDIR);
        free(err);
}

static bool same_bits(double a, double b)
{
        return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Samples committed only to the log come back bit for bit after a reopen; a chunk that
 * closed after its samples were logged is not replayed twice; a checkpoint empties the log. */
static void test_store_log_replay(void **state)
{
        Fixture *f = *state;
        StoreOptions opt = {.chunk_max_samples = 4, .log_checkpoint_commits = 10};
        const double odd[] = {NAN, -0.0, INFINITY, -INFINITY, 5e-324, 87.43, -1e300};
        double payload_nan;
        uint64_t bits = UINT64_C(0x7ff8000000abcdef);
        Store *s = open_ok(f->path, &opt);
        int64_t a, b, c;
        StoreStats st;
        StoreSeries *m;
        size_t n;

        memcpy(&payload_nan, &bits, sizeof(bits));
        assert_int_equal(store_series_get(s, "a", NULL, &a), 0);
        assert_int_equal(store_series_get(s, "b", NULL, &b), 0);
        assert_int_equal(store_series_get(s, "c", NULL, &c), 0);
        for (int64_t i = 0; i < 7; i++) {
                assert_int_equal(store_append(s, a, T0 + i * 10000, value_at(i)), 0);
                assert_int_equal(store_append(s, b, T0 + i * 10000, i == 0 ? payload_nan : odd[i]),
                                 0);
                assert_int_equal(store_commit(s), 0);
        }
        /* c: one sample, at another time */
        assert_int_equal(store_append(s, c, INT64_MIN + 1, 3), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_append(s, a, T0 + 7 * 10000, 1), 0); /* never committed */
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.samples == 16);
        assert_true(st.log_rows == 8);
        store_free(s);
        /* a and b closed one chunk (samples 0..3) each; the rest is only in the log */
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 8);
        assert_true(raw_int(f->path, "SELECT count(*) FROM chunk") == 2);
        assert_true(raw_int(f->path, "SELECT sum(count) FROM chunk") == 8);

        s = open_ok(f->path, &opt);
        assert_string_equal(store_last_error(s), "");
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 8);
        assert_true(st.log_replayed_samples == 7); /* a, b: 4..6; c */
        assert_true(st.log_skipped_samples == 8);  /* a, b: 0..3, in their chunk rows */
        assert_true(st.log_unknown_series_samples == 0 && st.log_corrupt_rows == 0);
        assert_true(st.samples == 15); /* once each, though in a row and the log */
        assert_true(st.first_ts_ms == INT64_MIN + 1);
        assert_samples(s, a, 7);
        _cleanup_free_ StoreSample *v = NULL;
        assert_int_equal(store_query(s, b, INT64_MIN, INT64_MAX, &v, &n), 0);
        assert_int_equal(n, 7);
        assert_true(same_bits(v[0].value, payload_nan));
        for (size_t i = 1; i < n; i++)
                assert_true(same_bits(v[i].value, odd[i]));
        assert_int_equal(query_n(s, c, INT64_MIN, INT64_MAX), 1);
        assert_int_equal(store_series_match(s, "a", NULL, &m, &n), 0);
        assert_true(n == 1 && m[0].samples == 7 && m[0].last_ts_ms == T0 + 6 * 10000);
        store_series_array_free(m, n);
        /* the order check knows the replayed samples */
        assert_int_equal(store_append(s, a, T0 + 6 * 10000, 1), -EINVAL);

        /* commits 9 and 10 of the log: the 10th is a checkpoint */
        assert_int_equal(store_append(s, a, T0 + 7 * 10000, value_at(7)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 9);
        assert_int_equal(store_append(s, a, T0 + 8 * 10000, value_at(8)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 0 && st.log_bytes == 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 0);
        assert_true(raw_int(f->path, "SELECT sum(count) FROM chunk") == 7 + 9 + 1);
        assert_int_equal(store_check(s, true), 0);
        store_free(s);

        /* nothing left to replay */
        s = open_ok(f->path, &opt);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 0 && st.log_replayed_samples == 0 &&
                    st.log_skipped_samples == 0);
        assert_true(st.samples == 17);
        assert_samples(s, a, 9);
        store_free(s);
}

/* The log stays under STORE_LOG_MAX_BYTES: a commit that would pass it is a checkpoint, and
 * a commit's own record past it is dropped (the chunks hold the samples) for a checkpoint. */
static void test_store_log_bounded(void **state)
{
        Fixture *f = *state;
        StoreOptions opt = {.chunk_max_samples = 1000000, .chunk_max_span_ms = INT64_MAX};
        Store *s = open_ok(f->path, &opt);
        StoreStats st;
        int64_t id, i = 0;

        assert_int_equal(store_series_get(s, "x", NULL, &id), 0);
        /* 12 bytes a sample: id, a 3-byte delta, the value */
        for (; i < 60000; i++)
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 1 && st.log_bytes > 60000 * 11);
        for (; i < 100000; i++)
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_int_equal(store_commit(s), 0); /* 1.2 MB of log: a checkpoint */
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 0 && st.samples == 100000);
        assert_true(raw_int(f->path, "SELECT sum(count) FROM chunk") == 100000);

        for (; i < 200000; i++) /* one commit's record alone passes the limit */
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        assert_int_equal(store_commit(s), 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 0);
        assert_true(raw_int(f->path, "SELECT sum(count) FROM chunk") == 200000);
        assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
        i++;
        assert_int_equal(store_commit(s), 0); /* back to log rows */
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 1);
        store_free(s);

        s = open_ok(f->path, &opt);
        assert_samples(s, id, (size_t) i);
        store_free(s);
}

/* A row that does not decode is skipped alone; samples of an unknown series too. */
static void test_store_log_corrupt_row(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);
        int64_t id;
        StoreStats st;

        assert_int_equal(store_series_get(s, "x", NULL, &id), 0);
        for (int64_t i = 0; i < 4; i++) {
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
                assert_int_equal(store_commit(s), 0);
        }
        store_free(s);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 4);
        /* row 2: a truncated triple; row 3: an unknown version; then series 99 */
        raw_exec(f->path, "UPDATE sample_log SET data = X'0101' WHERE id = 2;"
                          "UPDATE sample_log SET data = X'7f' || substr(data, 2) WHERE id = 3;"
                          "INSERT INTO sample_log (data) VALUES (X'016300000000000000f03f')");

        s = open_ok(f->path, NULL);
        assert_non_null(strstr(store_last_error(s), "2 corrupt row(s) and 1 sample(s) of unknown"));
        assert_non_null(strstr(store_last_error(s), f->path));
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 5 && st.log_corrupt_rows == 2);
        assert_true(st.log_unknown_series_samples == 1 && st.log_replayed_samples == 2);
        _cleanup_free_ StoreSample *v = NULL;
        size_t n;
        assert_int_equal(store_query(s, id, INT64_MIN, INT64_MAX, &v, &n), 0);
        assert_int_equal(n, 2);
        assert_true(v[0].ts_ms == T0 && v[0].value == value_at(0));
        assert_true(v[1].ts_ms == T0 + 30000 && v[1].value == value_at(3));
        /* the next checkpoint keeps what was replayed and drops the bad rows */
        assert_int_equal(store_append(s, id, T0 + 40000, value_at(4)), 0);
        assert_int_equal(store_retention(s, T0, INT64_MAX / 2), 0); /* commits as a checkpoint */
        store_free(s);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 0);
        s = open_ok(f->path, NULL);
        assert_string_equal(store_last_error(s), "");
        assert_int_equal(query_n(s, id, INT64_MIN, INT64_MAX), 3);
        store_free(s);
}

/* A file of schema version 1 (no sample_log) is migrated on open and keeps its data. */
static void test_store_migrate_v1(void **state)
{
        Fixture *f = *state;
        StoreStats st;
        int64_t id;

        raw_exec(f->path,
                 "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
                 "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) "
                 "WITHOUT ROWID;"
                 "CREATE TABLE series (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "canonical TEXT NOT NULL UNIQUE);"
                 "CREATE TABLE series_label (series_id INTEGER NOT NULL REFERENCES series(id) "
                 "ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL, "
                 "PRIMARY KEY (series_id, key)) WITHOUT ROWID;"
                 "CREATE TABLE chunk (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL "
                 "REFERENCES series(id) ON DELETE CASCADE, start_ts INTEGER NOT NULL, "
                 "end_ts INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL, "
                 "UNIQUE (series_id, start_ts));"
                 "INSERT INTO series (id, name, canonical) VALUES (7, 'm', 'm{k=\"v\"}');"
                 "INSERT INTO series_label VALUES (7, 'k', 'v');"
                 "INSERT INTO meta VALUES ('hostname', 'web-1');"
                 "PRAGMA application_id = 1095323472; PRAGMA user_version = 1;");

        Store *s = open_ok(f->path, NULL);
        assert_true(raw_int(f->path, "PRAGMA user_version") == 5);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM anomaly") == 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM model") == 0);
        assert_int_equal(store_series_get(s, "m", (const char *const[]){"k", "v", NULL}, &id), 0);
        assert_true(id == 7);
        _cleanup_free_ char *host = NULL;
        assert_int_equal(store_meta_get(s, "hostname", &host), 1);
        assert_string_equal(host, "web-1");
        for (int64_t i = 0; i < 3; i++) {
                assert_int_equal(store_append(s, id, T0 + i * 10000, value_at(i)), 0);
                assert_int_equal(store_commit(s), 0);
        }
        store_free(s);

        s = open_ok(f->path, NULL);
        assert_samples(s, id, 3);
        assert_int_equal(store_stats(s, &st), 0);
        assert_true(st.log_rows == 3 && st.samples == 3);
        assert_int_equal(store_check(s, true), 0);
        store_free(s);
}

static int64_t data_version(sqlite3 *db)
{
        sqlite3_stmt *st;
        int64_t v = -1;

        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

/* Another process opening the store while the writer has log rows sees every committed
 * sample, and its replay writes nothing. */
static void test_store_log_reader_while_writer(void **state)
{
        Fixture *f = *state;
        Store *w = open_ok(f->path, NULL);
        int64_t id[3];
        StoreStats st;
        sqlite3 *raw;

        for (int k = 0; k < 3; k++) {
                _cleanup_free_ char *v = xasprintf("%d", k);
                assert_int_equal(
                        store_series_get(w, "m", (const char *const[]){"k", v, NULL}, &id[k]), 0);
        }
        for (int64_t i = 0; i < 250; i++) { /* a chunk row of 240, and 10 in the log */
                for (int k = 0; k < 3; k++)
                        assert_int_equal(store_append(w, id[k], T0 + i * 10000, value_at(i)), 0);
                if (i % 50 == 0 || i == 249)
                        assert_int_equal(store_commit(w), 0);
        }
        assert_int_equal(store_append(w, id[0], T0 + 250 * 10000, value_at(250)), 0);
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") > 0);

        assert_int_equal(sqlite3_open_v2(f->path, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        int64_t before = data_version(raw);
        int64_t log_before = raw_int(f->path, "SELECT count(*) FROM sample_log");
        Store *r = open_ok(f->path, NULL);
        for (int k = 0; k < 3; k++)
                assert_samples(r, id[k], 250); /* committed, not the uncommitted 251st */
        assert_int_equal(store_stats(r, &st), 0);
        assert_true(st.samples == 750);
        store_free(r);
        assert_true(data_version(raw) == before); /* no other connection committed */
        assert_true(raw_int(f->path, "SELECT count(*) FROM sample_log") == log_before);

        /* the writer goes on as if nobody had looked */
        assert_int_equal(store_commit(w), 0);
        assert_true(data_version(raw) != before);
        sqlite3_close(raw);
        store_free(w);
        w = open_ok(f->path, NULL);
        assert_samples(w, id[0], 251);
        assert_samples(w, id[2], 250);
        store_free(w);
}

/* Runs fn(dir) in a child with a private mount namespace and a tmpfs mounted on dir, so the
 * test can make real read-only or tiny file systems. Skips when namespaces are not allowed
 * (not root, or a container without CAP_SYS_ADMIN). */
static void run_on_tmpfs(const char *dir, const char *opts, unsigned long flags,
                         void (*fn)(const char *dir))
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("tmpfs", dir, "tmpfs", flags, opts) < 0)
                        _exit(77);
                fn(dir);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                skip();
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void readonly_child(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/aiops.db", dir);
        char *err = NULL;
        Store *s = NULL;

        int r = store_open(path, NULL, &s, &err);
        if (r != -EROFS || !strstr(err, "is read-only: cannot create") || !strstr(err, path)) {
                fprintf(stderr, "got %d '%s'\n", r, err);
                _exit(1);
        }
        free(err);
}

static void test_store_open_read_only_dir(void **state)
{
        Fixture *f = *state;

        /* chmod 555 does not stop root: use a real read-only mount in a private namespace */
        run_on_tmpfs(f->dir, "size=1m", MS_RDONLY, readonly_child);
}

static void disk_full_child(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/aiops.db", dir);
        Store *s = open_ok(path, NULL);
        int64_t id[20];
        int r = 0;
        int64_t i;

        for (int k = 0; k < 20; k++) {
                _cleanup_free_ char *v = xasprintf("%d", k);
                assert_int_equal(
                        store_series_get(s, "noise", (const char *const[]){"k", v, NULL}, &id[k]),
                        0);
        }
        /* random bits do not compress: fill the 1 MiB file system */
        uint64_t x = 88172645463325252u;
        for (i = 0; i < 100000 && r == 0; i++) {
                for (int k = 0; k < 20; k++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        assert_int_equal(store_append(s, id[k], T0 + i * 1000, (double) x), 0);
                }
                r = store_commit(s);
        }
        if (r != -ENOSPC || !strstr(store_last_error(s), "disk full")) {
                fprintf(stderr, "got %d '%s'\n", r, store_last_error(s));
                _exit(1);
        }
        /* nothing lost in memory */
        assert_int_equal(query_n(s, id[0], INT64_MIN, INT64_MAX), (size_t) i);
        store_free(s);
}

static void test_store_disk_full_tmpfs(void **state)
{
        Fixture *f = *state;

        run_on_tmpfs(f->dir, "size=1m", 0, disk_full_child);
}

static void test_store_enospc_retry(void **state)
{
        Fixture *f = *state;
        Store *s = open_ok(f->path, NULL);
        StoreStats st;
        int64_t id[10];
        int64_t i;
        int r = 0;

        for (int k = 0; k < 10; k++) {
                _cleanup_free_ char *v = xasprintf("%d", k);
                assert_int_equal(
                        store_series_get(s, "noise", (const char *const[]){"k", v, NULL}, &id[k]),
                        0);
        }
        assert_int_equal(store_stats(s, &st), 0);
        /* SQLite's max_page_count stands in for a full disk: it fails with SQLITE_FULL */
        assert_int_equal(store_set_max_size(s, (st.page_count + 8) * st.page_size), 0);

        uint64_t x = 88172645463325252u;
        for (i = 0; i < 100000 && r == 0; i++) {
                for (int k = 0; k < 10; k++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        assert_int_equal(store_append(s, id[k], T0 + i * 1000, (double) (x >> 11)),
                                         0);
                }
                r = store_commit(s);
        }
        assert_int_equal(r, -ENOSPC);
        assert_non_null(strstr(store_last_error(s), "disk full"));
        assert_non_null(strstr(store_last_error(s), f->path));
        /* the agent keeps collecting in memory */
        for (int64_t j = i; j < i + 50; j++)
                for (int k = 0; k < 10; k++)
                        assert_int_equal(store_append(s, id[k], T0 + j * 1000, (double) j), 0);
        assert_int_equal(store_commit(s), -ENOSPC);
        assert_int_equal(query_n(s, id[9], INT64_MIN, INT64_MAX), (size_t) i + 50);

        assert_int_equal(store_set_max_size(s, 0), 0);
        assert_int_equal(store_commit(s), 0);
        store_free(s);

        s = open_ok(f->path, NULL);
        for (int k = 0; k < 10; k++)
                assert_int_equal(query_n(s, id[k], INT64_MIN, INT64_MAX), (size_t) i + 50);
        assert_int_equal(store_check(s, true), 0);
        store_free(s);
}

/* The child commits cycles and reports each commit through a pipe; the parent kills it with
 * SIGKILL in the middle of later cycles. Everything reported must be there. */
static void test_store_crash_kill9(void **state)
{
        Fixture *f = *state;
        enum {
                SERIES = 30,
                K = 20
        };
        int p[2];
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                Store *s = open_ok(f->path, &(StoreOptions){.chunk_max_samples = 50});
                int64_t id[SERIES];

                close(p[0]);
                for (int k = 0; k < SERIES; k++) {
                        _cleanup_free_ char *v = xasprintf("%d", k);
                        if (store_series_get(s, "m", (const char *const[]){"k", v, NULL}, &id[k]) <
                            0)
                                _exit(1);
                }
                for (int32_t cycle = 0;; cycle++) {
                        for (int k = 0; k < SERIES; k++)
                                if (store_append(s, id[k], T0 + cycle * 10000, value_at(cycle)) < 0)
                                        _exit(1);
                        if (store_commit(s) < 0)
                                _exit(1);
                        if (write(p[1], &cycle, sizeof(cycle)) != sizeof(cycle))
                                _exit(1);
                }
        }
        close(p[1]);

        int32_t acked = -1, c;
        while (acked < K && read(p[0], &c, sizeof(c)) == sizeof(c))
                acked = c;
        assert_int_equal(kill(pid, SIGKILL), 0);
        while (read(p[0], &c, sizeof(c)) == sizeof(c))
                acked = c; /* commits reported before the kill landed */
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        Store *s = open_ok(f->path, NULL);
        StoreSeries *m;
        size_t n;
        assert_int_equal(store_check(s, true), 0);
        assert_int_equal(store_series_match(s, "m", NULL, &m, &n), 0);
        assert_int_equal(n, SERIES);
        for (size_t k = 0; k < n; k++) {
                /* every acknowledged cycle; at most one more that committed unreported */
                assert_true(m[k].samples >= (uint64_t) acked + 1);
                assert_true(m[k].samples <= (uint64_t) acked + 2);
                _cleanup_free_ StoreSample *v = NULL;
                size_t got;
                assert_int_equal(store_query(s, m[k].id, INT64_MIN, INT64_MAX, &v, &got), 0);
                for (size_t i = 0; i < got; i++) {
                        assert_true(v[i].ts_ms == T0 + (int64_t) i * 10000);
                        assert_true(v[i].value == value_at((int64_t) i));
                }
        }
        /* and it continues where it stopped */
        assert_int_equal(store_append(s, m[0].id, m[0].last_ts_ms + 10000, 1), 0);
        assert_int_equal(store_commit(s), 0);
        store_series_array_free(m, n);
        store_free(s);
        _cleanup_free_ char *check = raw_text(f->path, "PRAGMA integrity_check");
        assert_string_equal(check, "ok");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_store_open_create_reopen, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_series_identity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_series_get_fast_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_append_commit_query, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_chunk_span_closes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_append_rejects_out_of_order, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_store_retention, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_stats_and_meta, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_open_foreign_and_garbage, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_store_open_corrupt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_log_replay, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_log_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_log_corrupt_row, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_migrate_v1, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_log_reader_while_writer, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_store_open_newer_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_open_missing_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_open_read_only_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_disk_full_tmpfs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_enospc_retry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_crash_kill9, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/time-util.h"
#include "logs/ingest.h"
#include "store/logdb.h"
#include "store/store.h"
#include "test-util.h"

/* 2023-11-14 22:13:00 UTC, on a minute boundary */
#define T0 (INT64_C(1700000000000) - INT64_C(20000))

typedef struct Fixture {
        char *dir;
        char *db;
        char *log;
        Config *cfg;
        Store *store;
        LogIngest *in;
} Fixture;

static int setup(void **state)
{
        Fixture *f = xnew0(Fixture, 1);
        _cleanup_free_ char *err = NULL;

        setenv("TZ", "UTC", 1);
        tzset();
        f->dir = test_mkdtemp();
        f->db = xasprintf("%s/aiops.db", f->dir);
        f->log = xasprintf("%s/app.log", f->dir);
        f->cfg = config_new_default();
        f->cfg->logs.learning_ms = 0;
        f->cfg->logs.backfill = false;
        if (store_open(f->db, NULL, &f->store, &err) < 0)
                fail_msg("store_open: %s", err);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;

        log_ingest_free(f->in);
        store_free(f->store);
        config_free(f->cfg);
        test_rm_rf(f->dir);
        free(f->dir);
        free(f->db);
        free(f->log);
        free(f);
        return 0;
}

static void append(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

/* A new ingest over the fixture's store with one file source read from its start. */
static void start(Fixture *f, LogFormat fmt, int64_t now_ms)
{
        _cleanup_free_ char *err = NULL;
        LogTailOptions o = {.from_start = true};
        LogSource *src;

        f->in = log_ingest_free(f->in);
        assert_int_equal(log_ingest_new(&f->cfg->logs, f->store, &f->in, &err), 0);
        assert_int_equal(log_source_new_file("app", f->log, &o, &src), 0);
        assert_int_equal(log_ingest_add_source(f->in, src, fmt, now_ms), 0);
}

static void restart_store(Fixture *f)
{
        _cleanup_free_ char *err = NULL;

        f->in = log_ingest_free(f->in);
        store_free(f->store);
        if (store_open(f->db, NULL, &f->store, &err) < 0)
                fail_msg("store_open: %s", err);
}

/* Sum and count of the samples of name{source=app, key=value} (key NULL: any labels). */
static double sum_series(Store *s, const char *name, const char *key, const char *value,
                         size_t *ret_n)
{
        const char *m[] = {"source", "app", key, value, NULL};
        StoreSeries *series;
        size_t n_series, n_total = 0;
        double sum = 0;

        if (!key)
                m[2] = NULL;
        assert_int_equal(store_series_match(s, name, m, &series, &n_series), 0);
        for (size_t i = 0; i < n_series; i++) {
                StoreSample *smp;
                size_t n;
                assert_int_equal(store_query(s, series[i].id, 0, INT64_MAX, &smp, &n), 0);
                for (size_t j = 0; j < n; j++)
                        sum += smp[j].value;
                n_total += n;
                free(smp);
        }
        store_series_array_free(series, n_series);
        if (ret_n)
                *ret_n = n_total;
        return sum;
}

static StoreSample *samples_of(Store *s, const char *name, const char *key, const char *value,
                               size_t *ret_n)
{
        const char *m[] = {"source", "app", key, value, NULL};
        StoreSeries *series;
        size_t n_series;
        StoreSample *smp = NULL;

        assert_int_equal(store_series_match(s, name, m, &series, &n_series), 0);
        assert_int_equal(n_series, 1);
        assert_int_equal(store_query(s, series[0].id, 0, INT64_MAX, &smp, ret_n), 0);
        store_series_array_free(series, n_series);
        return smp;
}

/* Lines are counted in the bucket of their own timestamp; the empty bucket between is a
 * zero, and the counts, the templates and the cursor are stored by the flush. */
static void test_buckets_by_line_time(void **state)
{
        Fixture *f = *state;
        size_t n;

        append(f->log, "2023-11-14T22:13:05+00:00 web1 app[1]: error: disk 1 failing\n"
                       "2023-11-14T22:13:50+00:00 web1 app[1]: error: disk 2 failing\n"
                       "2023-11-14T22:13:59+00:00 web1 app[1]: started worker 7\n"
                       /* 22:14 is empty */
                       "2023-11-14T22:15:01+00:00 web1 app[1]: connection refused by 10.0.0.1\n");
        start(f, LOG_FORMAT_SYSLOG, T0 + 10 * MSEC_PER_MIN);
        assert_int_equal(log_ingest_poll(f->in, T0 + 10 * MSEC_PER_MIN, 0), 4);
        assert_int_equal(log_ingest_flush(f->in, T0 + 10 * MSEC_PER_MIN, true), 0);

        StoreSample *smp = samples_of(f->store, "log_keyword_lines", "keyword", "error", &n);
        assert_int_equal(n, 3); /* 22:13, 22:14 (zero), 22:15 */
        assert_int_equal(smp[0].ts_ms, T0);
        assert_true(smp[0].value == 2);
        assert_int_equal(smp[1].ts_ms, T0 + MSEC_PER_MIN);
        assert_true(smp[1].value == 0);
        assert_true(smp[2].value == 0);
        free(smp);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "refused", NULL) == 1);
        assert_true(sum_series(f->store, "log_lines", NULL, NULL, NULL) == 4);

        LogTemplateRow *t;
        size_t nt;
        assert_int_equal(logdb_template_list(f->store, "app", 0, &t, &nt), 0);
        assert_true(nt >= 3);
        assert_int_equal(t[0].count, 2); /* error: disk <*> failing */
        assert_non_null(strstr(t[0].template, "failing"));
        assert_non_null(strstr(t[0].sample, "disk 1 failing"));
        logdb_template_rows_free(t, nt);

        LogSourceRow row;
        assert_int_equal(logdb_source_get(f->store, "app", &row), 1);
        assert_int_equal(row.lines, 4);
        assert_true(row.cursor[0] != '\0');
        assert_string_equal(row.kind, "file");
        logdb_source_row_done(&row);
}

/* A flush while a source is still delivering (reading history in slices) does not cut the
 * bucket its lines are filling: the minute is stored once, whole. */
static void test_flush_mid_bucket_keeps_bucket_whole(void **state)
{
        Fixture *f = *state;
        int64_t now = T0 + 10 * MSEC_PER_MIN;
        size_t n;

        for (int i = 0; i < 10; i++)
                append(f->log, "2023-11-14T22:13:05+00:00 h app[1]: error again\n");
        append(f->log, "2023-11-14T22:14:05+00:00 h app[1]: error later\n");
        start(f, LOG_FORMAT_SYSLOG, now);
        assert_int_equal(log_ingest_poll(f->in, now, 4), 4);
        assert_int_equal(log_ingest_flush(f->in, now, false), 0);
        assert_int_equal(log_ingest_poll(f->in, now, 4), 4);
        assert_int_equal(log_ingest_flush(f->in, now, false), 0);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 3);
        assert_int_equal(log_ingest_flush(f->in, now, false), 0);
        /* quiet now: the clock closes the last bucket */
        assert_int_equal(log_ingest_poll(f->in, now, 0), 0);
        assert_int_equal(log_ingest_flush(f->in, now, false), 0);
        StoreSample *smp = samples_of(f->store, "log_keyword_lines", "keyword", "error", &n);
        assert_true(n >= 2);
        assert_int_equal(smp[0].ts_ms, T0);
        assert_true(smp[0].value == 10);
        assert_int_equal(smp[1].ts_ms, T0 + MSEC_PER_MIN);
        assert_true(smp[1].value == 1);
        for (size_t i = 2; i < n; i++) /* the silence up to now: zeros */
                assert_true(smp[i].value == 0);
        free(smp);
}

/* After a restart the cursor resumes after the last line, known templates stay known (no
 * new event for them), and a new kind of line is an event. */
static void test_restart_known_templates_not_new(void **state)
{
        Fixture *f = *state;
        LogEventRow *ev;
        size_t n;
        int64_t now = T0 + 10 * MSEC_PER_MIN;

        append(f->log, "2023-11-14T22:13:05+00:00 h app[1]: user alice logged in from 10.0.0.1\n"
                       "2023-11-14T22:13:06+00:00 h app[1]: user bob logged in from 10.0.0.2\n");
        start(f, LOG_FORMAT_SYSLOG, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 2);
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);
        assert_int_equal(logdb_event_list(f->store, 0, NULL, &ev, &n), 0);
        assert_int_equal(n, 1); /* learning_period 0: the first template is new */
        logdb_event_rows_free(ev, n);

        restart_store(f);
        append(f->log, "2023-11-14T22:16:00+00:00 h app[1]: user carol logged in from 10.0.0.3\n"
                       "2023-11-14T22:16:01+00:00 h app[1]: kernel panic on cpu 3\n");
        start(f, LOG_FORMAT_SYSLOG, now + MSEC_PER_MIN);
        assert_int_equal(log_ingest_poll(f->in, now + MSEC_PER_MIN, 0), 2); /* only the new */
        assert_int_equal(log_ingest_flush(f->in, now + MSEC_PER_MIN, true), 0);
        assert_int_equal(logdb_event_list(f->store, 0, NULL, &ev, &n), 0);
        assert_int_equal(n, 2);
        assert_non_null(strstr(ev[1].template, "panic"));
        assert_non_null(strstr(ev[1].sample, "kernel panic on cpu 3"));
        assert_true(ev[1].shadow);
        logdb_event_rows_free(ev, n);

        LogTemplateRow *t;
        size_t nt;
        assert_int_equal(logdb_template_list(f->store, "app", 0, &t, &nt), 0);
        assert_int_equal(nt, 2);
        assert_int_equal(t[0].count, 3); /* the restored count went on */
        logdb_template_rows_free(t, nt);
        assert_true(sum_series(f->store, "log_lines", NULL, NULL, NULL) == 4);
        assert_true(sum_series(f->store, "log_new_templates", NULL, NULL, NULL) == 2);
        assert_true(sum_series(f->store, "log_anomalies", NULL, NULL, NULL) == 0); /* shadow */
}

static void test_learning_and_shadow(void **state)
{
        Fixture *f = *state;
        LogEventRow *ev;
        size_t n;
        int64_t now = T0 + 10 * MSEC_PER_MIN;

        f->cfg->logs.learning_ms = MSEC_PER_HOUR;
        f->cfg->logs.shadow_mode = false;
        append(f->log, "2023-11-14T22:13:05+00:00 h app[1]: learned during the first hour\n");
        start(f, LOG_FORMAT_SYSLOG, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 1);
        assert_int_equal(log_ingest_flush(f->in, now, false), 0);
        assert_int_equal(logdb_event_list(f->store, 0, NULL, &ev, &n), 0);
        assert_int_equal(n, 0);
        logdb_event_rows_free(ev, n);

        /* Two hours on (same ingest): past learning, a new kind of line is an anomaly. */
        int64_t later = now + 2 * MSEC_PER_HOUR;
        append(f->log, "2024-01-01T00:00:00+00:00 h app[1]: something never seen before at all\n");
        assert_int_equal(log_ingest_poll(f->in, later, 0), 1);
        assert_int_equal(log_ingest_flush(f->in, later, true), 0);
        assert_int_equal(logdb_event_list(f->store, 0, NULL, &ev, &n), 0);
        assert_int_equal(n, 1);
        assert_false(ev[0].shadow);
        logdb_event_rows_free(ev, n);
        assert_true(sum_series(f->store, "log_anomalies", NULL, NULL, NULL) == 1);
}

static void test_access_metrics(void **state)
{
        Fixture *f = *state;
        int64_t now = T0 + 10 * MSEC_PER_MIN;
        static const int statuses[] = {200, 200, 200, 200, 502, 502, 504, 404, 301, 200};
        char line[512];

        f->cfg->logs.count_interval_ms = MSEC_PER_MIN;
        for (size_t i = 0; i < ELEMENTSOF(statuses); i++) {
                (void) snprintf(line, sizeof(line),
                                "127.0.0.1 - - [14/Nov/2023:22:13:%02zu +0000] \"GET /api/%zu "
                                "HTTP/1.1\" %d 12 \"-\" \"curl/7.88.1\" rt=0.%03zu\n",
                                i, i, statuses[i], (i + 1) * 10);
                append(f->log, line);
        }
        start(f, LOG_FORMAT_ACCESS, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 10);
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);

        size_t n;
        StoreSample *s = samples_of(f->store, "http_code_per_second", "code", "502", &n);
        assert_int_equal(n, 1);
        assert_true(fabs(s[0].value - 2.0 / 60) < 1e-4); /* two 502s in a minute */
        free(s);
        s = samples_of(f->store, "http_5xx_ratio", NULL, NULL, &n);
        assert_true(fabs(s[0].value - 0.3) < 1e-9);
        free(s);
        s = samples_of(f->store, "http_class_per_second", "class", "2xx", &n);
        assert_true(fabs(s[0].value * 60 - 5) < 1e-6);
        free(s);
        s = samples_of(f->store, "http_request_seconds", "quantile", "0.5", &n);
        assert_true(fabs(s[0].value - 0.05) < 1e-6); /* 0.01 .. 0.10, nearest rank */
        free(s);
        assert_true(sum_series(f->store, "http_upstream_timeouts", NULL, NULL, NULL) == 1);
}

/* A flush that cannot write (another process holds the write lock) keeps everything for the
 * next one: no count is lost or doubled. */
static void test_flush_failure_retries(void **state)
{
        Fixture *f = *state;
        int64_t now = T0 + 10 * MSEC_PER_MIN;
        _cleanup_free_ char *err = NULL;
        StoreOptions opt = {.busy_timeout_ms = 1};
        sqlite3 *other;

        store_free(f->store);
        if (store_open(f->db, &opt, &f->store, &err) < 0)
                fail_msg("store_open: %s", err);
        append(f->log, "2023-11-14T22:13:05+00:00 h app[1]: error one\n"
                       "2023-11-14T22:13:06+00:00 h app[1]: error two\n");
        start(f, LOG_FORMAT_SYSLOG, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 2);

        assert_int_equal(sqlite3_open(f->db, &other), SQLITE_OK);
        assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(log_ingest_flush(f->in, now, true), -EBUSY);
        assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        /* Once more with the series in place, so the transaction itself is refused. */
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);
        append(f->log, "2023-11-14T22:14:05+00:00 h app[1]: error three\n");
        assert_int_equal(log_ingest_poll(f->in, now, 0), 1);
        assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(log_ingest_flush(f->in, now, true), -EBUSY);
        assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);
        sqlite3_close(other);

        restart_store(f);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "error", NULL) == 3);
        LogSourceRow row;
        assert_int_equal(logdb_source_get(f->store, "app", &row), 1);
        assert_int_equal(row.lines, 3);
        logdb_source_row_done(&row);
}

static void set_keywords(Config *c, char **words, size_t n)
{
        for (size_t i = 0; i < c->logs.n_keywords; i++)
                free(c->logs.keywords[i]);
        free(c->logs.keywords);
        c->logs.keywords = words;
        c->logs.n_keywords = n;
}

/* Keywords are found case-blind, several per line, at the very end of a line, with spaces
 * inside, one byte long, and past the 64 matched in one pass. */
static void test_keywords(void **state)
{
        Fixture *f = *state;
        int64_t now = T0 + 10 * MSEC_PER_MIN;
        size_t n = 70;
        char **w = xnew0(char *, n);

        w[0] = xstrdup("x");
        w[1] = xstrdup("timed out");
        w[2] = xstrdup("error");
        for (size_t i = 3; i < n; i++)
                w[i] = xasprintf("kw%zu", i);
        set_keywords(f->cfg, w, n);
        append(f->log, "2023-11-14T22:13:01+00:00 h app[1]: ERROR connection Timed Out\n"
                       "2023-11-14T22:13:02+00:00 h app[1]: erro timed ou\n"
                       "2023-11-14T22:13:03+00:00 h app[1]: seen kw69\n"
                       "2023-11-14T22:13:04+00:00 h app[1]: a X\n"
                       "2023-11-14T22:13:05+00:00 h app[1]: kw3 and kw63 and kw64 and error\n");
        start(f, LOG_FORMAT_SYSLOG, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 5);
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "error", NULL) == 2);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "timed out", NULL) == 1);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "x", NULL) == 1);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "kw69", NULL) == 1);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "kw3", NULL) == 1);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "kw63", NULL) == 1);
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "kw64", NULL) == 1);
        /* substrings count, as "error" does in "errors" */
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "kw6", NULL) == 2);
        size_t n_kw5;
        assert_true(sum_series(f->store, "log_keyword_lines", "keyword", "kw5", &n_kw5) == 0);
        assert_int_equal(n_kw5, 0); /* never seen: no series at all */
}

/* The format is detected past a first line that says nothing (MariaDB's banner), stored
 * with the source, and the severities come from it. */
static void test_detect_after_banner(void **state)
{
        Fixture *f = *state;
        int64_t now = T0 + 10 * MSEC_PER_MIN;
        LogSourceRow row;

        append(f->log,
               "Version: '10.11.6-MariaDB-0+deb12u1'  socket: '/run/mysqld/mysqld.sock'  "
               "port: 3306  Debian 12\n"
               "2023-11-14 22:13:40 5 [ERROR] mariadbd: The table 'm' is full\n"
               "2023-11-14 22:13:41 6 [Warning] Aborted connection 6 to db: 'unconnected'\n");
        start(f, LOG_FORMAT_AUTO, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 3);
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);
        assert_int_equal(logdb_source_get(f->store, "app", &row), 1);
        assert_string_equal(row.format, "mysql");
        logdb_source_row_done(&row);
        assert_true(sum_series(f->store, "log_lines", "severity", "err", NULL) == 1);
        assert_true(sum_series(f->store, "log_lines", "severity", "warning", NULL) == 1);
}

/* Polls until the ingest has read `want` lines in all (real time: a child process writes). */
static void poll_until(LogIngest *in, int64_t now, uint64_t want)
{
        LogIngestStats st;

        for (int i = 0; i < 500; i++) {
                (void) log_ingest_poll(in, now, 0);
                log_ingest_stats(in, &st);
                if (st.lines >= want)
                        return;
                usleep(10000);
        }
        fail_msg("read %" PRIu64 " lines, expected %" PRIu64, st.lines, want);
}

/* With restarts on (the monitor), a command that ended runs again after a delay that doubles
 * while it ends without output; its counts go on under the same name. */
static void test_command_restarted(void **state)
{
        Fixture *f = *state;
        _cleanup_free_ char *err = NULL;
        LogSource *src;
        int64_t now = T0;
        LogIngestSourceInfo si;

        assert_int_equal(log_ingest_new(&f->cfg->logs, NULL, &f->in, &err), 0);
        log_ingest_set_restart_commands(f->in, true);
        assert_int_equal(log_source_new_command("cmd", "echo job done", true, &src), 0);
        assert_int_equal(log_ingest_add_source(f->in, src, LOG_FORMAT_AUTO, now), 0);
        poll_until(f->in, now, 1);
        log_ingest_source_info(f->in, 0, &si);
        for (int i = 0; i < 500 && !si.source->eof; i++) {
                usleep(10000);
                (void) log_ingest_poll(f->in, now, 0);
                log_ingest_source_info(f->in, 0, &si);
        }
        assert_true(si.source->eof);
        (void) log_ingest_poll(f->in, now, 0);       /* due in 1 s */
        (void) log_ingest_poll(f->in, now + 999, 0); /* not yet */
        log_ingest_source_info(f->in, 0, &si);
        assert_true(si.source->eof);
        (void) log_ingest_poll(f->in, now + 1000, 0); /* runs again */
        poll_until(f->in, now + 1000, 2);
        log_ingest_source_info(f->in, 0, &si);
        assert_string_equal(si.source->name, "cmd");
        assert_int_equal(si.source->lines, 2); /* the count went on across the restart */
}

/* Lines of n words "w w w ...": every length is a template of its own. */
static void append_lengths(const char *path, unsigned from, unsigned to)
{
        static const char head[] = "2023-11-14T22:13:05+00:00 h app[1]:";
        for (unsigned n = from; n <= to; n++) {
                char line[2048];
                size_t len = sizeof(head) - 1;
                memcpy(line, head, len);
                for (unsigned i = 0; i < n; i++, len += 2)
                        memcpy(line + len, " w", 2);
                memcpy(line + len, "\n", 2);
                append(path, line);
        }
}

static size_t template_rows(Store *s)
{
        LogTemplateRow *t;
        size_t n;
        assert_int_equal(logdb_template_list(s, "app", 0, &t, &n), 0);
        logdb_template_rows_free(t, n);
        return n;
}

/* A flood of never-seen lines: all counted, at most 100 events an hour, and the store keeps
 * only the templates the miner keeps (max_clusters). */
static void test_flood_bounded(void **state)
{
        Fixture *f = *state;
        int64_t now = T0 + 10 * MSEC_PER_MIN;
        LogEventRow *ev;
        size_t n;

        f->cfg->logs.drain_max_clusters = 10;
        append_lengths(f->log, 1, 10);
        start(f, LOG_FORMAT_SYSLOG, now);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 10);
        assert_int_equal(log_ingest_flush(f->in, now, false), 0);
        assert_int_equal(template_rows(f->store), 10);

        append_lengths(f->log, 11, 160);
        assert_int_equal(log_ingest_poll(f->in, now, 0), 150);
        assert_int_equal(log_ingest_flush(f->in, now, true), 0);
        assert_int_equal(template_rows(f->store), 10); /* the evicted ones are gone */
        assert_true(sum_series(f->store, "log_new_templates", NULL, NULL, NULL) == 160);
        assert_int_equal(logdb_event_list(f->store, 0, NULL, &ev, &n), 0);
        assert_int_equal(n, 100);
        logdb_event_rows_free(ev, n);
        LogSourceRow row;
        assert_int_equal(logdb_source_get(f->store, "app", &row), 1);
        assert_non_null(row.note);
        assert_non_null(strstr(row.note, "more than 100 new templates within an hour"));
        logdb_source_row_done(&row);
}

static void test_name_for_path(void **state)
{
        (void) state;
        static const char *const cases[][2] = {
                {"/var/log/nginx/access.log", "nginx-access"},
                {"/var/log/nginx/error.log", "nginx-error"},
                {"/var/log/httpd/error_log", "httpd-error"},
                {"/var/log/syslog", "syslog"},
                {"/var/log/auth.log", "auth"},
                {"/var/log/redis/redis-server.log", "redis-server"},
                {"/var/log/postgresql/postgresql-15-main.log", "postgresql-15-main"},
                {"/srv/app/logs/api.log", "logs-api"},
                {"/srv/my app/$(x).log", "my-app---x-"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *n = log_ingest_name_for_path(cases[i][0]);
                assert_string_equal(n, cases[i][1]);
        }
}

static void test_discovery(void **state)
{
        Fixture *f = *state;
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *d1 = xasprintf("%s/var", f->dir);
        _cleanup_free_ char *d2 = xasprintf("%s/var/log", f->dir);
        _cleanup_free_ char *d3 = xasprintf("%s/var/log/nginx", f->dir);
        _cleanup_free_ char *p1 = xasprintf("%s/var/log/nginx/access.log", f->dir);
        _cleanup_free_ char *p2 = xasprintf("%s/var/log/syslog", f->dir);
        _cleanup_free_ char *p3 = xasprintf("%s/var/log/syslog.1", f->dir);

        assert_int_equal(mkdir(d1, 0755), 0);
        assert_int_equal(mkdir(d2, 0755), 0);
        assert_int_equal(mkdir(d3, 0755), 0);
        append(p1, "");
        append(p2, "");
        append(p3, "");
        f->cfg->logs.journal = false;
        f->cfg->logs.kmsg = false;
        assert_int_equal(log_ingest_new(&f->cfg->logs, f->store, &f->in, &err), 0);
        log_ingest_set_discover_root(f->in, f->dir);
        assert_int_equal(log_ingest_add_configured(f->in, T0, &err), 2);
        LogIngestSourceInfo si;
        log_ingest_source_info(f->in, 0, &si);
        assert_string_equal(si.source->name, "nginx-access");
        assert_int_equal(si.format, LOG_FORMAT_ACCESS);
        log_ingest_source_info(f->in, 1, &si);
        assert_string_equal(si.source->name, "syslog");
}

static void test_bad_mask(void **state)
{
        Fixture *f = *state;
        _cleanup_free_ char *err = NULL;
        LogIngest *in = NULL;

        f->cfg->logs.drain_masks = xnew0(char *, 1);
        f->cfg->logs.drain_masks[0] = xstrdup("(unclosed");
        f->cfg->logs.n_drain_masks = 1;
        assert_int_equal(log_ingest_new(&f->cfg->logs, f->store, &in, &err), -EINVAL);
        assert_null(in);
        assert_non_null(err);
        assert_non_null(strstr(err, "(unclosed"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_buckets_by_line_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flush_mid_bucket_keeps_bucket_whole, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_restart_known_templates_not_new, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_learning_and_shadow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_access_metrics, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flush_failure_retries, setup, teardown),
                cmocka_unit_test_setup_teardown(test_keywords, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detect_after_banner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_command_restarted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flood_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_name_for_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_discovery, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_mask, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

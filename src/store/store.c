#include "store.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "store/chunk.h"
#include "store/sqlite-util.h"
#include "store/store-log.h"
#include "store/store-private.h"

/* Schema migrations: entry i takes user_version i to i + 1, applied in one transaction.
 * Append only; never edit a released entry.
 *
 * chunk is a rowid table with a UNIQUE (series_id, start_ts) index, not WITHOUT ROWID: a
 * WITHOUT ROWID row keeps at most ~1 KB on its b-tree page (4 KB pages) and spills the rest
 * into an overflow page of its own, which measured 2.6x the encoded bytes for 240-sample
 * chunks; a rowid row keeps up to ~4 KB in place for ~15 bytes of index per chunk.
 * Retention scans the table (an index on end_ts would cost as much again to speed up an
 * hourly job).
 *
 * Version 2 adds sample_log (store.h, store-log.h): one row per commit, emptied by every
 * checkpoint, so its ids restart from 1 and their order is the commit order.
 *
 * Version 3 adds the log tables of logdb.h: sources with their cursors, mined templates,
 * and log events (new templates).
 *
 * Version 4 adds the detection tables of detectdb.h: anomalies (with their explanation as
 * JSON text) and trained models.
 *
 * Version 5 adds the pattern table of patterndb.h: learned and hand-written patterns by id,
 * as their canonical JSON text (docs/pattern-schema.md). */
static const char *const migrations[] = {
        "CREATE TABLE meta (\n"
        "        key TEXT PRIMARY KEY NOT NULL,\n"
        "        value TEXT NOT NULL\n"
        ") WITHOUT ROWID;\n"
        "CREATE TABLE series (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        name TEXT NOT NULL,\n"
        "        canonical TEXT NOT NULL UNIQUE\n"
        ");\n"
        "CREATE TABLE series_label (\n"
        "        series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,\n"
        "        key TEXT NOT NULL,\n"
        "        value TEXT NOT NULL,\n"
        "        PRIMARY KEY (series_id, key)\n"
        ") WITHOUT ROWID;\n"
        "CREATE TABLE chunk (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,\n"
        "        start_ts INTEGER NOT NULL,\n"
        "        end_ts INTEGER NOT NULL,\n"
        "        count INTEGER NOT NULL,\n"
        "        data BLOB NOT NULL,\n"
        "        UNIQUE (series_id, start_ts)\n"
        ");\n",
        "CREATE TABLE sample_log (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        data BLOB NOT NULL\n"
        ");\n",
        "CREATE TABLE log_source (\n"
        "        name TEXT PRIMARY KEY NOT NULL,\n"
        "        kind TEXT NOT NULL,\n"
        "        target TEXT NOT NULL,\n"
        "        cursor TEXT NOT NULL,\n"
        "        first_seen INTEGER NOT NULL,\n"
        "        updated INTEGER NOT NULL,\n"
        "        lines INTEGER NOT NULL,\n"
        "        bytes INTEGER NOT NULL,\n"
        "        error TEXT,\n"
        "        note TEXT,\n"
        "        next_bucket INTEGER NOT NULL,\n"
        "        format TEXT NOT NULL\n"
        ") WITHOUT ROWID;\n"
        "CREATE TABLE log_template (\n"
        "        source TEXT NOT NULL,\n"
        "        id INTEGER NOT NULL,\n"
        "        template TEXT NOT NULL,\n"
        "        count INTEGER NOT NULL,\n"
        "        first_seen INTEGER NOT NULL,\n"
        "        last_seen INTEGER NOT NULL,\n"
        "        severity INTEGER NOT NULL,\n"
        "        sample TEXT NOT NULL,\n"
        "        params TEXT NOT NULL,\n"
        "        PRIMARY KEY (source, id)\n"
        ") WITHOUT ROWID;\n"
        "CREATE TABLE log_event (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        ts INTEGER NOT NULL,\n"
        "        kind TEXT NOT NULL,\n"
        "        source TEXT NOT NULL,\n"
        "        template_id INTEGER NOT NULL,\n"
        "        template TEXT NOT NULL,\n"
        "        sample TEXT NOT NULL,\n"
        "        severity INTEGER NOT NULL,\n"
        "        shadow INTEGER NOT NULL\n"
        ");\n"
        "CREATE INDEX log_event_ts ON log_event (ts);\n",
        "CREATE TABLE anomaly (\n"
        "        id INTEGER PRIMARY KEY,\n"
        "        kind TEXT NOT NULL,\n"
        "        subject TEXT NOT NULL,\n"
        "        start_ts INTEGER NOT NULL,\n"
        "        end_ts INTEGER NOT NULL,\n"
        "        detected INTEGER NOT NULL,\n"
        "        score REAL NOT NULL,\n"
        "        methods TEXT NOT NULL,\n"
        "        summary TEXT NOT NULL,\n"
        "        details TEXT NOT NULL\n"
        ");\n"
        "CREATE INDEX anomaly_end ON anomaly (end_ts);\n"
        "CREATE TABLE model (\n"
        "        name TEXT PRIMARY KEY NOT NULL,\n"
        "        kind TEXT NOT NULL,\n"
        "        trained INTEGER NOT NULL,\n"
        "        from_ts INTEGER NOT NULL,\n"
        "        to_ts INTEGER NOT NULL,\n"
        "        samples INTEGER NOT NULL,\n"
        "        meta TEXT NOT NULL,\n"
        "        data BLOB NOT NULL\n"
        ") WITHOUT ROWID;\n",
        "CREATE TABLE pattern (\n"
        "        id TEXT PRIMARY KEY NOT NULL,\n"
        "        json TEXT NOT NULL,\n"
        "        updated INTEGER NOT NULL\n"
        ") WITHOUT ROWID;\n",
};
#define SCHEMA_VERSION ((int) ELEMENTSOF(migrations))

typedef enum Stmt {
        STMT_CHUNK_UPSERT,
        STMT_CHUNK_TAIL,
        STMT_CHUNK_RANGE,
        STMT_CHUNK_SERIES_STATS,
        STMT_SERIES_INSERT,
        STMT_LABEL_INSERT,
        STMT_SERIES_DELETE_EMPTY,
        STMT_META_SET,
        STMT_META_GET,
        STMT_LOG_INSERT,
        STMT_LOG_CLEAR,
        STMT_LOG_SCAN,
        _STMT_MAX,
} Stmt;

static const char *const stmt_sql[_STMT_MAX] = {
        [STMT_CHUNK_UPSERT] = "INSERT INTO chunk (series_id, start_ts, end_ts, count, data) "
                              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (series_id, start_ts) DO "
                              "UPDATE SET end_ts = excluded.end_ts, count = excluded.count, "
                              "data = excluded.data",
        [STMT_CHUNK_TAIL] = "SELECT start_ts, end_ts, count, data FROM chunk WHERE series_id = ?1 "
                            "ORDER BY start_ts DESC LIMIT 1",
        [STMT_CHUNK_RANGE] = "SELECT start_ts, count, data FROM chunk WHERE series_id = ?1 AND "
                             "start_ts <= ?3 AND end_ts >= ?2 ORDER BY start_ts",
        [STMT_CHUNK_SERIES_STATS] = "SELECT min(start_ts), max(end_ts), total(count) FROM chunk "
                                    "WHERE series_id = ?1",
        [STMT_SERIES_INSERT] = "INSERT INTO series (name, canonical) VALUES (?1, ?2)",
        [STMT_LABEL_INSERT] =
                "INSERT INTO series_label (series_id, key, value) VALUES (?1, ?2, ?3)",
        [STMT_SERIES_DELETE_EMPTY] = "DELETE FROM series WHERE id = ?1 AND NOT EXISTS "
                                     "(SELECT 1 FROM chunk WHERE series_id = ?1)",
        [STMT_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO "
                          "UPDATE SET value = excluded.value",
        [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [STMT_LOG_INSERT] = "INSERT INTO sample_log (data) VALUES (?1)",
        [STMT_LOG_CLEAR] = "DELETE FROM sample_log",
        [STMT_LOG_SCAN] = "SELECT data FROM sample_log ORDER BY id",
};

/* A chunk in memory. persisted is how many of its samples its row held at the last commit
 * (0: no row yet), so the chunk is dirty while count > persisted. A dirty open chunk's
 * samples past persisted are in sample_log rows, or in s->log until the next commit. */
typedef struct Chunk {
        ChunkEncoder enc;
        uint32_t persisted;
        int64_t persisted_last_ts;
} Chunk;

typedef struct Series {
        int64_t id;
        char *name;
        char *canonical;
        StoreLabel *labels;
        size_t n_labels;
        /* The name and labels as a caller last spelled them ("name\0k\0v\0..."), for
         * store_series_get()'s fast path; NULL until asked for by name. */
        char *raw_key;
        size_t raw_len;
        uint64_t raw_hash;
        bool in_use;      /* asked for or appended to since open: retention keeps it */
        bool tail_loaded; /* last_ts and the open chunk reflect the stored rows */
        bool has_last;
        int64_t last_ts;
        Chunk open;    /* enc.count == 0: no open chunk */
        Chunk *closed; /* closed while still dirty; written by the next commit */
        size_t n_closed;
} Series;

struct Store {
        sqlite3 *db;
        char *path;
        char *last_error;
        StoreOptions opt;
        sqlite3_stmt *stmt[_STMT_MAX];

        Series **series; /* in id order */
        size_t n_series;
        /* Open addressing with linear probing, power-of-two sizes, at most half full. */
        Series **by_key;
        Series **by_id;
        Series **by_raw; /* series with a raw_key */
        size_t table_size;

        /* The samples appended since the last commit, as the sample_log row the next commit
         * writes. log_overflow: it passed STORE_LOG_MAX_BYTES and was dropped, so the next
         * commit must be a checkpoint. */
        StoreLogWriter log;
        bool log_overflow;
        /* store_begin() opened a transaction that the next store_commit() ends. */
        bool in_tx;
        /* store_series_batch_begin(): new series are inserted in one transaction and join
         * memory only when store_series_batch_end() commits it. */
        bool series_batch;
        Series **pending;
        size_t n_pending;
        /* Statements of the layer's other modules (store-private.h), by SQL text pointer. */
        struct {
                const char *sql;
                sqlite3_stmt *st;
        } cached[32];
        size_t n_cached;
        uint64_t log_rows; /* in sample_log, as far as this connection wrote or replayed */
        uint64_t log_bytes;
        uint64_t log_replayed;
        uint64_t log_skipped;
        uint64_t log_unknown;
        uint64_t log_corrupt_rows;
};

static bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static void chunk_done(Chunk *c)
{
        chunk_encoder_done(&c->enc);
        c->persisted = 0;
        c->persisted_last_ts = 0;
}

static Series *series_free(Series *se)
{
        if (!se)
                return NULL;
        for (size_t i = 0; i < se->n_labels; i++) {
                free(se->labels[i].key);
                free(se->labels[i].value);
        }
        free(se->labels);
        free(se->name);
        free(se->canonical);
        free(se->raw_key);
        chunk_done(&se->open);
        for (size_t i = 0; i < se->n_closed; i++)
                chunk_done(&se->closed[i]);
        free(se->closed);
        free(se);
        return NULL;
}
DEFINE_FREEP(Series, series_free);

Store *store_free(Store *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < _STMT_MAX; i++)
                (void) sqlite3_finalize(s->stmt[i]);
        for (size_t i = 0; i < s->n_cached; i++)
                (void) sqlite3_finalize(s->cached[i].st);
        for (size_t i = 0; i < s->n_pending; i++)
                series_free(s->pending[i]);
        free(s->pending);
        /* The last connection checkpoints and removes the WAL on close. */
        (void) sqlite3_close_v2(s->db);
        for (size_t i = 0; i < s->n_series; i++)
                series_free(s->series[i]);
        free(s->series);
        free(s->by_key);
        free(s->by_id);
        free(s->by_raw);
        store_log_writer_done(&s->log);
        free(s->path);
        free(s->last_error);
        free(s);
        return NULL;
}

const char *store_last_error(const Store *s)
{
        assert(s);
        return s->last_error ?: "";
}

const char *store_path(const Store *s)
{
        assert(s);
        return s->path;
}

static int set_error(Store *s, int r, const char *fmt, ...) _printf_(3, 4);
static int set_error(Store *s, int r, const char *fmt, ...)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        va_list ap;

        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        free(s->last_error);
        s->last_error = strbuf_steal(&b);
        return r;
}

/* Words a failed open(2) of the file or its directory. */
static int open_error(Store *s, int r)
{
        _cleanup_free_ char *dir = xstrdup(s->path);
        char *slash = strrchr(dir, '/');
        struct stat st;

        if (slash == dir)
                slash[1] = '\0';
        else if (slash)
                *slash = '\0';
        else {
                free(dir);
                dir = xstrdup(".");
        }

        bool exists = stat(s->path, &st) == 0;
        /* When O_RDWR|O_CREAT fails (EROFS, EACCES), SQLite retries O_RDONLY, whose ENOENT
         * is what it reports; ask the directory what really stops us. */
        if (r == -ENOENT && !exists && access(dir, F_OK) == 0 && access(dir, W_OK) < 0)
                r = -errno;
        if (r == -ENOENT)
                return set_error(s, r, "cannot create '%s': directory '%s' does not exist", s->path,
                                 dir);
        if (!exists && (r == -EACCES || r == -EROFS || r == -EPERM))
                return set_error(s, r, "'%s' is read-only: cannot create '%s'", dir, s->path);
        if (r == -EISDIR || (exists && S_ISDIR(st.st_mode)))
                return set_error(s, -EISDIR, "cannot open '%s': is a directory", s->path);
        return set_error(s, r, "cannot open '%s': %s", s->path, strerror(-r));
}

/* Maps an SQLite failure once, and words the message for the operator: what happened to
 * which file, then SQLite's own text. `what` says what we were doing. */
static int sql_error(Store *s, int rc, const char *what)
{
        int r = sqlite_to_errno(s->db, rc) ?: -EIO; /* ROW or DONE where neither belongs */
        const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

        switch (rc & 0xff) {
        case SQLITE_FULL:
                if (s->opt.max_size_bytes > 0)
                        return set_error(s, r,
                                         "disk full writing '%s' (or its size limit of %" PRIu64
                                         " bytes reached) while %s",
                                         s->path, s->opt.max_size_bytes, what);
                return set_error(s, r, "disk full writing '%s' while %s", s->path, what);
        case SQLITE_CANTOPEN:
                return open_error(s, r);
        case SQLITE_CORRUPT:
                return set_error(s, r, "'%s' is corrupt: %s", s->path, msg);
        case SQLITE_NOTADB:
                return set_error(s, r,
                                 "'%s' is not an aiops database (foreign SQLite file or garbage); "
                                 "move it away or point --data-dir elsewhere",
                                 s->path);
        case SQLITE_READONLY:
                return set_error(s, r, "'%s' is read-only: %s while %s", s->path, msg, what);
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return set_error(s, r, "'%s' is locked by another process while %s", s->path, what);
        default:
                if (r == -ENOSPC)
                        return set_error(s, r, "disk full writing '%s' while %s", s->path, what);
                return set_error(s, r, "'%s': %s while %s", s->path, msg, what);
        }
}

static int exec(Store *s, const char *sql, const char *what)
{
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, what);
        return 0;
}

static void rollback(Store *s)
{
        /* Some errors (SQLITE_FULL among them) may have rolled back already. */
        if (!sqlite3_get_autocommit(s->db))
                (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a one-row pragma or query and returns its first column as an integer. */
static int query_int(Store *s, const char *sql, int64_t *ret)
{
        sqlite3_stmt *st = NULL;

        *ret = 0; /* gcc -O2 cannot see that every failure path returns < 0 */
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        *ret = sqlite3_column_int64(st, 0);
                        rc = SQLITE_OK;
                }
        }
        (void) sqlite3_finalize(st);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "reading its header");
        return 0;
}

static sqlite3_stmt *stmt(Store *s, Stmt id)
{
        sqlite3_stmt *st = s->stmt[id];

        (void) sqlite3_reset(st);
        (void) sqlite3_clear_bindings(st);
        return st;
}

/* Steps a statement that returns no rows; the statement is reset for reuse. */
static int step_done(Store *s, sqlite3_stmt *st, const char *what)
{
        int rc = sqlite3_step(st);
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, what);
        return 0;
}

int store_step_done(Store *s, sqlite3_stmt *st, const char *what)
{
        return step_done(s, st, what);
}

void store_bind_text(sqlite3_stmt *st, int col, const char *s)
{
        if (s)
                (void) sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
        else
                (void) sqlite3_bind_null(st, col);
}

char *store_col_strdup_or_null(sqlite3_stmt *st, int col)
{
        const char *t = (const char *) sqlite3_column_text(st, col);
        return t ? xstrdup(t) : NULL;
}

char *store_col_strdup(sqlite3_stmt *st, int col)
{
        char *t = store_col_strdup_or_null(st, col);
        return t ? t : xstrdup("");
}

/* ---- series identity ---- */

static bool is_metric_name(const char *n)
{
        if (!n || !(n[0] == '_' || n[0] == ':' || (n[0] >= 'a' && n[0] <= 'z') ||
                    (n[0] >= 'A' && n[0] <= 'Z')))
                return false;
        for (const char *p = n + 1; *p; p++)
                if (!(*p == '_' || *p == ':' || (*p >= 'a' && *p <= 'z') ||
                      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                        return false;
        return true;
}

static bool is_label_name(const char *n)
{
        return n && !strchr(n, ':') && is_metric_name(n);
}

static int label_cmp(const void *a, const void *b)
{
        return strcmp(((const StoreLabel *) a)->key, ((const StoreLabel *) b)->key);
}

static void labels_free(StoreLabel *l, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(l[i].key);
                free(l[i].value);
        }
        free(l);
}

/* Validates and sorts a "k", "v", ..., NULL list into owned labels, empty values dropped. */
static int labels_parse(const char *const *labels, StoreLabel **ret, size_t *ret_n)
{
        size_t n = 0, m = 0;

        while (labels && labels[n])
                n++;
        if (n % 2 != 0)
                return -EINVAL;

        StoreLabel *l = xnew0(StoreLabel, n / 2 + 1);
        for (size_t i = 0; i < n; i += 2) {
                if (!is_label_name(labels[i])) {
                        labels_free(l, m);
                        return -EINVAL;
                }
                if (labels[i + 1][0] == '\0')
                        continue;
                l[m].key = xstrdup(labels[i]);
                l[m].value = xstrdup(labels[i + 1]);
                m++;
        }
        qsort(l, m, sizeof(*l), label_cmp);
        for (size_t i = 1; i < m; i++)
                if (streq(l[i - 1].key, l[i].key)) {
                        labels_free(l, m);
                        return -EINVAL;
                }
        *ret = l;
        *ret_n = m;
        return 0;
}

static char *canonical_format(const char *name, const StoreLabel *l, size_t n)
{
        _cleanup_(strbuf_done) StrBuf b = {};

        (void) strbuf_puts(&b, name);
        if (n == 0)
                return strbuf_steal(&b);
        (void) strbuf_putc(&b, '{');
        for (size_t i = 0; i < n; i++) {
                (void) strbuf_printf(&b, "%s%s=\"", i > 0 ? "," : "", l[i].key);
                for (const char *p = l[i].value; *p; p++) {
                        if (*p == '\\')
                                (void) strbuf_puts(&b, "\\\\");
                        else if (*p == '"')
                                (void) strbuf_puts(&b, "\\\"");
                        else if (*p == '\n')
                                (void) strbuf_puts(&b, "\\n");
                        else
                                (void) strbuf_putc(&b, *p);
                }
                (void) strbuf_putc(&b, '"');
        }
        (void) strbuf_putc(&b, '}');
        return strbuf_steal(&b);
}

int store_series_canonical(const char *name, const char *const *labels, char **ret)
{
        StoreLabel *l;
        size_t n;

        assert(ret);
        if (!is_metric_name(name))
                return -EINVAL;
        int r = labels_parse(labels, &l, &n);
        if (r < 0)
                return r;
        *ret = canonical_format(name, l, n);
        labels_free(l, n);
        return 0;
}

static uint64_t hash_str(const char *p)
{
        uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

        for (; *p; p++)
                h = (h ^ (uint8_t) *p) * UINT64_C(1099511628211);
        return h;
}

static uint64_t hash_id(int64_t id)
{
        return (uint64_t) id * UINT64_C(0x9E3779B97F4A7C15);
}

static void table_put(Store *s, Series *se)
{
        size_t mask = s->table_size - 1;
        size_t i;

        for (i = hash_str(se->canonical) & mask; s->by_key[i]; i = (i + 1) & mask)
                ;
        s->by_key[i] = se;
        for (i = hash_id(se->id) & mask; s->by_id[i]; i = (i + 1) & mask)
                ;
        s->by_id[i] = se;
        if (se->raw_key) {
                for (i = se->raw_hash & mask; s->by_raw[i]; i = (i + 1) & mask)
                        ;
                s->by_raw[i] = se;
        }
}

static void tables_rebuild(Store *s)
{
        size_t size = 16;

        while (size < s->n_series * 2 + 2)
                size *= 2;
        free(s->by_key);
        free(s->by_id);
        free(s->by_raw);
        s->by_key = xnew0(Series *, size);
        s->by_id = xnew0(Series *, size);
        s->by_raw = xnew0(Series *, size);
        s->table_size = size;
        for (size_t i = 0; i < s->n_series; i++)
                table_put(s, s->series[i]);
}

static void series_add(Store *s, Series *se)
{
        s->series = xreallocarray(s->series, s->n_series + 1, sizeof(Series *));
        s->series[s->n_series++] = se;
        if ((s->n_series + 1) * 2 > s->table_size)
                tables_rebuild(s);
        else
                table_put(s, se);
}

static Series *find_by_key(Store *s, const char *canonical)
{
        size_t mask = s->table_size - 1;

        for (size_t i = hash_str(canonical) & mask; s->by_key[i]; i = (i + 1) & mask)
                if (streq(s->by_key[i]->canonical, canonical))
                        return s->by_key[i];
        return NULL;
}

static Series *find_by_id(Store *s, int64_t id)
{
        size_t mask = s->table_size - 1;

        for (size_t i = hash_id(id) & mask; s->by_id[i]; i = (i + 1) & mask)
                if (s->by_id[i]->id == id)
                        return s->by_id[i];
        return NULL;
}

static int series_get_slow(Store *s, const char *name, const char *const *labels, int64_t *ret_id);

/* FNV-1a over the name and the label strings as given, each with its NUL. */
static uint64_t raw_hash(const char *name, const char *const *labels)
{
        uint64_t h = UINT64_C(14695981039346656037);
        const char *p = name;

        for (size_t i = 0;; i++) {
                do
                        h = (h ^ (uint8_t) *p) * UINT64_C(1099511628211);
                while (*p++);
                if (!labels || !labels[i])
                        return h;
                p = labels[i];
        }
}

static bool raw_equal(const Series *se, const char *name, const char *const *labels)
{
        const char *raw = se->raw_key, *end = se->raw_key + se->raw_len;

        for (size_t i = 0;; i++) {
                const char *p = i == 0 ? name : labels[i - 1];
                size_t n = strlen(p) + 1;
                if ((size_t) (end - raw) < n || memcmp(raw, p, n) != 0)
                        return false;
                raw += n;
                if (!labels || !labels[i])
                        return raw == end;
        }
}

static void raw_remember(Store *s, Series *se, const char *name, const char *const *labels,
                         uint64_t hash)
{
        StrBuf b = {};
        size_t mask = s->table_size - 1, i;

        (void) strbuf_append(&b, name, strlen(name) + 1);
        for (size_t j = 0; labels && labels[j]; j++)
                (void) strbuf_append(&b, labels[j], strlen(labels[j]) + 1);
        se->raw_len = b.len;
        se->raw_key = strbuf_steal(&b);
        se->raw_hash = hash;
        for (i = hash & mask; s->by_raw[i]; i = (i + 1) & mask)
                ;
        s->by_raw[i] = se;
}

int store_series_get(Store *s, const char *name, const char *const *labels, int64_t *ret_id)
{
        /* The agent asks for the same ~250 series every cycle, spelled the same way each time
         * (metric.h): find them without validating, sorting and escaping the labels again. */
        uint64_t hash = name ? raw_hash(name, labels) : 0;
        if (name && s->table_size > 0)
                for (size_t mask = s->table_size - 1, i = hash & mask; s->by_raw[i];
                     i = (i + 1) & mask)
                        if (s->by_raw[i]->raw_hash == hash &&
                            raw_equal(s->by_raw[i], name, labels)) {
                                s->by_raw[i]->in_use = true;
                                *ret_id = s->by_raw[i]->id;
                                return 0;
                        }

        int r = series_get_slow(s, name, labels, ret_id);
        if (r < 0)
                return r;
        Series *se = find_by_id(s, *ret_id);
        if (se && !se->raw_key)
                raw_remember(s, se, name, labels, hash);
        return 0;
}

static int series_get_slow(Store *s, const char *name, const char *const *labels, int64_t *ret_id)
{
        _cleanup_(series_freep) Series *se = NULL;
        _cleanup_free_ char *canonical = NULL;
        sqlite3_stmt *st;
        int r;

        assert(s && ret_id);
        if (!is_metric_name(name))
                return set_error(s, -EINVAL, "invalid metric name '%s'", name ?: "");

        se = xnew0(Series, 1);
        r = labels_parse(labels, &se->labels, &se->n_labels);
        if (r < 0)
                return set_error(s, r, "invalid labels of metric '%s'", name);
        canonical = canonical_format(name, se->labels, se->n_labels);

        Series *found = find_by_key(s, canonical);
        if (found) {
                found->in_use = true;
                *ret_id = found->id;
                return 0;
        }
        /* A new series is written at once and memory trusts it; a rollback of the caller's
         * transaction would leave memory wrong, so get series before store_begin(). */
        if (s->in_tx)
                return set_error(s, -EBUSY, "series '%s' added inside a transaction", canonical);
        if (s->series_batch)
                for (size_t i = 0; i < s->n_pending; i++)
                        if (streq(s->pending[i]->canonical, canonical)) {
                                *ret_id = s->pending[i]->id;
                                return 0;
                        }

        if (!s->series_batch) {
                r = exec(s, "BEGIN IMMEDIATE", "adding a series");
                if (r < 0)
                        return r;
        }
        st = stmt(s, STMT_SERIES_INSERT);
        (void) sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        (void) sqlite3_bind_text(st, 2, canonical, -1, SQLITE_STATIC);
        r = step_done(s, st, "adding a series");
        if (r < 0)
                goto out_rollback;
        se->id = sqlite3_last_insert_rowid(s->db);
        for (size_t i = 0; i < se->n_labels; i++) {
                st = stmt(s, STMT_LABEL_INSERT);
                (void) sqlite3_bind_int64(st, 1, se->id);
                (void) sqlite3_bind_text(st, 2, se->labels[i].key, -1, SQLITE_STATIC);
                (void) sqlite3_bind_text(st, 3, se->labels[i].value, -1, SQLITE_STATIC);
                r = step_done(s, st, "adding a series");
                if (r < 0)
                        goto out_rollback;
        }
        se->name = xstrdup(name);
        se->canonical = TAKE_PTR(canonical);
        se->in_use = true;
        se->tail_loaded = true; /* new: nothing stored */
        chunk_encoder_init(&se->open.enc);
        *ret_id = se->id;
        if (s->series_batch) {
                s->pending = xreallocarray(s->pending, s->n_pending + 1, sizeof(*s->pending));
                s->pending[s->n_pending++] = TAKE_PTR(se);
                return 0;
        }
        r = exec(s, "COMMIT", "adding a series");
        if (r < 0)
                goto out_rollback;
        series_add(s, TAKE_PTR(se));
        return 0;

out_rollback:
        if (!s->series_batch)
                rollback(s);
        return r;
}

int store_series_batch_begin(Store *s)
{
        assert(s);
        if (s->in_tx || s->series_batch)
                return set_error(s, -EBUSY, "a transaction is already open on '%s'", s->path);
        int r = exec(s, "BEGIN IMMEDIATE", "adding series");
        if (r < 0)
                return r;
        s->series_batch = true;
        return 0;
}

int store_series_batch_end(Store *s)
{
        int r;

        assert(s && s->series_batch);
        s->series_batch = false;
        r = exec(s, "COMMIT", "adding series");
        if (r < 0)
                rollback(s);
        for (size_t i = 0; i < s->n_pending; i++) {
                if (r >= 0)
                        series_add(s, s->pending[i]);
                else
                        series_free(s->pending[i]);
        }
        free(s->pending);
        s->pending = NULL;
        s->n_pending = 0;
        return r;
}

/* ---- open, schema ---- */

static int load_series(Store *s)
{
        static const char sql[] =
                "SELECT s.id, s.name, s.canonical, l.key, l.value FROM series s "
                "LEFT JOIN series_label l ON l.series_id = s.id ORDER BY s.id, l.key";
        sqlite3_stmt *st = NULL;
        Series *cur = NULL;
        int rc;

        rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        while (rc == SQLITE_OK || rc == SQLITE_ROW) {
                rc = sqlite3_step(st);
                if (rc != SQLITE_ROW)
                        break;
                int64_t id = sqlite3_column_int64(st, 0);
                const char *name = (const char *) sqlite3_column_text(st, 1);
                const char *canonical = (const char *) sqlite3_column_text(st, 2);
                const char *key = (const char *) sqlite3_column_text(st, 3);
                const char *value = (const char *) sqlite3_column_text(st, 4);

                if (!cur || cur->id != id) {
                        cur = xnew0(Series, 1);
                        cur->id = id;
                        cur->name = xstrdup(name ?: "");
                        cur->canonical = xstrdup(canonical ?: "");
                        chunk_encoder_init(&cur->open.enc);
                        series_add(s, cur);
                }
                if (key) {
                        cur->labels =
                                xreallocarray(cur->labels, cur->n_labels + 1, sizeof(StoreLabel));
                        cur->labels[cur->n_labels++] = (StoreLabel){
                                .key = xstrdup(key),
                                .value = xstrdup(value ?: ""),
                        };
                }
        }
        (void) sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, "loading series");
        return 0;
}

static int migrate(Store *s)
{
        _cleanup_free_ char *pragmas = NULL;
        int64_t version, app_id;
        int r;

        r = exec(s, "BEGIN IMMEDIATE", "migrating its schema");
        if (r < 0)
                return r;
        /* Read again under the write lock: another process may have migrated meanwhile. */
        r = query_int(s, "PRAGMA user_version", &version);
        if (r < 0)
                goto out_rollback;
        r = query_int(s, "PRAGMA application_id", &app_id);
        if (r < 0)
                goto out_rollback;
        if (version > SCHEMA_VERSION) {
                r = set_error(s, -EPROTONOSUPPORT,
                              "'%s' was written by a newer aiops (schema version %" PRIi64
                              ", this aiops knows up to %d); upgrade aiops or point --data-dir "
                              "elsewhere",
                              s->path, version, SCHEMA_VERSION);
                goto out_rollback;
        }
        if (version == SCHEMA_VERSION && app_id == STORE_APPLICATION_ID) {
                rollback(s);
                return 0;
        }
        for (int64_t v = version; v < SCHEMA_VERSION; v++) {
                r = exec(s, migrations[v], "migrating its schema");
                if (r < 0)
                        goto out_rollback;
        }
        pragmas = xasprintf("PRAGMA application_id = %d; "
                            "PRAGMA user_version = %d",
                            STORE_APPLICATION_ID, SCHEMA_VERSION);
        r = exec(s, pragmas, "migrating its schema");
        if (r < 0)
                goto out_rollback;
        return exec(s, "COMMIT", "migrating its schema");

out_rollback:
        rollback(s);
        return r;
}

static int apply_max_size(Store *s)
{
        int64_t page_size, pages;

        int r = query_int(s, "PRAGMA page_size", &page_size);
        if (r < 0)
                return r;
        /* SQLite's default limit is 2^32 - 2 pages: "unlimited" for us. */
        pages = s->opt.max_size_bytes == 0
                        ? INT64_C(4294967294)
                        : (int64_t) MIN(s->opt.max_size_bytes / (uint64_t) page_size,
                                        (uint64_t) 4294967294u);
        _cleanup_free_ char *sql = xasprintf("PRAGMA max_page_count = %" PRIi64, MAX(pages, 1));
        return query_int(s, sql, &pages);
}

int store_set_max_size(Store *s, uint64_t max_size_bytes)
{
        assert(s);
        s->opt.max_size_bytes = max_size_bytes;
        return apply_max_size(s);
}

static int open_classify(Store *s)
{
        int64_t app_id, version, tables;
        int r;

        /* The first read of a garbage file fails here with SQLITE_NOTADB. Nothing is written
         * before we know the file is ours (or empty): a foreign database stays untouched. */
        r = query_int(s, "PRAGMA application_id", &app_id);
        if (r < 0)
                return r;
        r = query_int(s, "PRAGMA user_version", &version);
        if (r < 0)
                return r;
        r = query_int(s, "SELECT count(*) FROM sqlite_schema", &tables);
        if (r < 0)
                return r;

        if (app_id == 0 && version == 0 && tables == 0)
                return 1; /* new (or empty) file */
        if (app_id != STORE_APPLICATION_ID)
                return sql_error(s, SQLITE_NOTADB, "opening");
        if (version > SCHEMA_VERSION)
                return set_error(s, -EPROTONOSUPPORT,
                                 "'%s' was written by a newer aiops (schema version %" PRIi64
                                 ", this aiops knows up to %d); upgrade aiops or point "
                                 "--data-dir elsewhere",
                                 s->path, version, SCHEMA_VERSION);
        return 0;
}

static int log_replay(Store *s);

int store_open(const char *path, const StoreOptions *opt, Store **ret, char **reterr_msg)
{
        _cleanup_(store_freep) Store *s = NULL;
        int rc, r;

        assert(path && ret);
        s = xnew0(Store, 1);
        s->path = xstrdup(path);
        if (opt)
                s->opt = *opt;
        if (s->opt.busy_timeout_ms <= 0)
                s->opt.busy_timeout_ms = STORE_BUSY_TIMEOUT_MS_DEFAULT;
        if (s->opt.chunk_max_samples == 0)
                s->opt.chunk_max_samples = STORE_CHUNK_MAX_SAMPLES_DEFAULT;
        if (s->opt.chunk_max_span_ms <= 0)
                s->opt.chunk_max_span_ms = STORE_CHUNK_MAX_SPAN_MS_DEFAULT;
        if (s->opt.log_checkpoint_commits == 0)
                s->opt.log_checkpoint_commits = STORE_LOG_CHECKPOINT_COMMITS;
        tables_rebuild(s);

        rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                     SQLITE_OPEN_EXRESCODE,
                             NULL);
        if (rc != SQLITE_OK) {
                r = sql_error(s, rc, "opening");
                goto out_fail;
        }
        (void) sqlite3_busy_timeout(s->db, s->opt.busy_timeout_ms);

        r = open_classify(s);
        if (r < 0)
                goto out_fail;
        if (r > 0) {
                /* Must precede the first table; lets retention give pages back. */
                r = exec(s, "PRAGMA auto_vacuum = INCREMENTAL", "creating it");
                if (r < 0)
                        goto out_fail;
        }
        /* WAL + synchronous=NORMAL: a commit is durable against process death (see store.h).
         * The mode is persistent; setting it again is a no-op. */
        r = exec(s,
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                 "PRAGMA foreign_keys = ON",
                 "opening");
        if (r < 0)
                goto out_fail;
        r = migrate(s);
        if (r < 0)
                goto out_fail;
        r = apply_max_size(s);
        if (r < 0)
                goto out_fail;
        for (size_t i = 0; i < _STMT_MAX; i++) {
                rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                        &s->stmt[i], NULL);
                if (rc != SQLITE_OK) {
                        r = sql_error(s, rc, "preparing statements");
                        goto out_fail;
                }
        }
        /* One read transaction, so that series, the log and the chunk tails it continues are
         * one snapshot even while a writer checkpoints; it never takes the write lock. */
        r = exec(s, "BEGIN DEFERRED", "loading series");
        if (r < 0)
                goto out_fail;
        r = load_series(s);
        if (r >= 0)
                r = log_replay(s);
        if (r < 0) {
                rollback(s);
                goto out_fail;
        }
        r = exec(s, "COMMIT", "loading series");
        if (r < 0) {
                rollback(s);
                goto out_fail;
        }
        /* An open that succeeds reports no failure but the replay's own. */
        free(s->last_error);
        s->last_error = NULL;
        if (s->log_corrupt_rows > 0 || s->log_unknown > 0)
                (void) set_error(s, -EBADMSG,
                                 "'%s': sample log replay skipped %" PRIu64
                                 " corrupt row(s) and %" PRIu64 " sample(s) of unknown series",
                                 s->path, s->log_corrupt_rows, s->log_unknown);

        *ret = TAKE_PTR(s);
        return 0;

out_fail:
        if (reterr_msg)
                *reterr_msg = xstrdup(store_last_error(s));
        return r;
}

/* ---- samples ---- */

/* Brings a series loaded from disk up to date with its last chunk row: its last timestamp
 * (for the ordering check) and, if that chunk is still open, its encoder, so the next
 * sample continues the row instead of starting a small one after every restart. */
static int series_load_tail(Store *s, Series *se)
{
        sqlite3_stmt *st;

        if (se->tail_loaded)
                return 0;
        st = stmt(s, STMT_CHUNK_TAIL);
        (void) sqlite3_bind_int64(st, 1, se->id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                (void) sqlite3_reset(st);
                se->tail_loaded = true;
                return 0;
        }
        if (rc != SQLITE_ROW) {
                (void) sqlite3_reset(st);
                return sql_error(s, rc, "reading the last chunk");
        }

        int64_t start = sqlite3_column_int64(st, 0);
        int64_t end = sqlite3_column_int64(st, 1);
        int64_t count = sqlite3_column_int64(st, 2);
        const uint8_t *data = sqlite3_column_blob(st, 3);
        size_t len = (size_t) sqlite3_column_bytes(st, 3);

        se->has_last = true;
        se->last_ts = end;
        if (count > 0 && count < s->opt.chunk_max_samples &&
            chunk_encoder_restore(&se->open.enc, data, len, (uint32_t) count) == 0 &&
            chunk_first_ts(&se->open.enc) == start && chunk_last_ts(&se->open.enc) == end) {
                se->open.persisted = (uint32_t) count;
                se->open.persisted_last_ts = end;
        } else
                /* Full, or it does not decode (then a new chunk starts after its end_ts and
                 * the bad row stays for store_check() to report). */
                chunk_done(&se->open);
        (void) sqlite3_reset(st);
        se->tail_loaded = true;
        return 0;
}

static bool chunk_should_close(const Store *s, const Chunk *c, int64_t ts_ms)
{
        if (c->enc.count == 0)
                return false;
        if (c->enc.count >= s->opt.chunk_max_samples)
                return true;
        /* ts > first_ts, so the unsigned difference is the exact span */
        return (uint64_t) ts_ms - (uint64_t) c->enc.first_ts > (uint64_t) s->opt.chunk_max_span_ms;
}

/* Adds a sample the caller checked is after the series' last to its open chunk, closing
 * that first if it is due. */
static int series_append(Store *s, Series *se, int64_t ts_ms, double v)
{
        if (chunk_should_close(s, &se->open, ts_ms)) {
                if (se->open.persisted == se->open.enc.count)
                        chunk_done(&se->open); /* its row is complete */
                else {
                        se->closed = xreallocarray(se->closed, se->n_closed + 1, sizeof(Chunk));
                        se->closed[se->n_closed++] = se->open;
                        se->open = (Chunk){};
                        chunk_encoder_init(&se->open.enc);
                }
        }
        int r = chunk_append(&se->open.enc, ts_ms, v);
        if (r < 0)
                return set_error(s, r, "cannot append to '%s'", se->canonical);
        se->has_last = true;
        se->last_ts = ts_ms;
        return 0;
}

int store_append(Store *s, int64_t series_id, int64_t ts_ms, double v)
{
        Series *se;
        int r;

        assert(s);
        se = find_by_id(s, series_id);
        if (!se)
                return set_error(s, -ENOENT, "no series with id %" PRIi64 " in '%s'", series_id,
                                 s->path);
        r = series_load_tail(s, se);
        if (r < 0)
                return r;
        se->in_use = true;
        if (se->has_last && ts_ms <= se->last_ts)
                return set_error(s, -EINVAL,
                                 "sample of '%s' at %" PRIi64 " ms is not after its last one at "
                                 "%" PRIi64 " ms",
                                 se->canonical, ts_ms, se->last_ts);
        r = series_append(s, se, ts_ms, v);
        if (r < 0)
                return r;

        if (!s->log_overflow) {
                store_log_put(&s->log, se->id, ts_ms, v);
                if (s->log.len > STORE_LOG_MAX_BYTES) {
                        /* The chunks hold the samples too: the next commit writes them. */
                        store_log_writer_reset(&s->log);
                        s->log_overflow = true;
                }
        }
        return 0;
}

/* Replays one sample_log row; -EBADMSG (nothing replayed) if it does not decode. */
static int log_replay_row(Store *s, const uint8_t *data, size_t len)
{
        StoreLogReader rd;
        int64_t id, ts;
        double v;
        int r;

        /* Check the whole row first: a corrupt row is skipped whole, not half replayed. */
        r = store_log_reader_init(&rd, data, len);
        while (r >= 0 && (r = store_log_next(&rd, &id, &ts, &v)) > 0)
                ;
        if (r < 0)
                return r;

        (void) store_log_reader_init(&rd, data, len);
        while (store_log_next(&rd, &id, &ts, &v) > 0) {
                Series *se = find_by_id(s, id);
                if (!se) {
                        s->log_unknown++;
                        continue;
                }
                r = series_load_tail(s, se);
                if (r < 0)
                        return r;
                if ((se->has_last && ts <= se->last_ts) || series_append(s, se, ts, v) < 0) {
                        s->log_skipped++; /* already in a chunk row */
                        continue;
                }
                s->log_replayed++;
        }
        return 0;
}

/* Replays sample_log into memory through the append path, without logging or writing: the
 * replayed samples are dirty chunks for the next checkpoint, and their rows stay until it. */
static int log_replay(Store *s)
{
        sqlite3_stmt *st = stmt(s, STMT_LOG_SCAN);
        int rc;

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const uint8_t *data = sqlite3_column_blob(st, 0);
                size_t len = (size_t) sqlite3_column_bytes(st, 0);

                s->log_rows++;
                s->log_bytes += len;
                int r = log_replay_row(s, data, len);
                if (r == -EBADMSG)
                        s->log_corrupt_rows++;
                else if (r < 0) {
                        (void) sqlite3_reset(st);
                        return r;
                }
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, "replaying the sample log");
        return 0;
}

static int chunk_write(Store *s, Series *se, const Chunk *c)
{
        sqlite3_stmt *st = stmt(s, STMT_CHUNK_UPSERT);
        const uint8_t *data;
        size_t len = chunk_bytes(&c->enc, &data);

        (void) sqlite3_bind_int64(st, 1, se->id);
        (void) sqlite3_bind_int64(st, 2, chunk_first_ts(&c->enc));
        (void) sqlite3_bind_int64(st, 3, chunk_last_ts(&c->enc));
        (void) sqlite3_bind_int64(st, 4, chunk_count(&c->enc));
        (void) sqlite3_bind_blob64(st, 5, data, len, SQLITE_STATIC);
        return step_done(s, st, "committing samples");
}

static bool chunk_dirty(const Chunk *c)
{
        return c->enc.count > c->persisted;
}

/* A checkpoint rewrites every dirty chunk and empties the log; other commits write closed
 * chunks and one log row. force: checkpoint even with nothing new appended. */
static int commit(Store *s, bool force)
{
        bool closed = false, dirty = false, checkpoint;
        int r;

        for (size_t i = 0; i < s->n_series; i++) {
                closed = closed || s->series[i]->n_closed > 0;
                dirty = dirty || chunk_dirty(&s->series[i]->open);
        }
        if (force)
                checkpoint = dirty || closed || s->log_rows > 0;
        else if (!closed && s->log.count == 0 && !s->log_overflow)
                checkpoint = false; /* replayed samples alone wait for the next checkpoint */
        else
                checkpoint = s->log_overflow || s->log_rows + 1 >= s->opt.log_checkpoint_commits ||
                             s->log_bytes + s->log.len > STORE_LOG_MAX_BYTES;
        if (!checkpoint && !closed && s->log.count == 0) {
                if (!s->in_tx)
                        return 0;
                s->in_tx = false; /* only the caller's rows (store_begin()) to commit */
                r = exec(s, "COMMIT", "committing");
                if (r < 0)
                        rollback(s);
                return r;
        }

        if (!s->in_tx) {
                r = exec(s, "BEGIN IMMEDIATE", "committing samples");
                if (r < 0)
                        return r;
        }
        s->in_tx = false;
        if (checkpoint) {
                /* First, so that the chunk rows below reuse the pages it frees. */
                r = step_done(s, stmt(s, STMT_LOG_CLEAR), "committing samples");
                if (r < 0)
                        goto out_rollback;
        }
        for (size_t i = 0; i < s->n_series; i++) {
                Series *se = s->series[i];

                for (size_t j = 0; j < se->n_closed; j++) {
                        r = chunk_write(s, se, &se->closed[j]);
                        if (r < 0)
                                goto out_rollback;
                }
                if (checkpoint && chunk_dirty(&se->open)) {
                        r = chunk_write(s, se, &se->open);
                        if (r < 0)
                                goto out_rollback;
                }
        }
        if (!checkpoint && s->log.count > 0) {
                sqlite3_stmt *st = stmt(s, STMT_LOG_INSERT);
                (void) sqlite3_bind_blob64(st, 1, s->log.data, s->log.len, SQLITE_STATIC);
                r = step_done(s, st, "committing samples");
                if (r < 0)
                        goto out_rollback;
        }
        r = exec(s, "COMMIT", "committing samples");
        if (r < 0)
                goto out_rollback;

        /* Only now is memory told what the file holds. */
        for (size_t i = 0; i < s->n_series; i++) {
                Series *se = s->series[i];

                for (size_t j = 0; j < se->n_closed; j++)
                        chunk_done(&se->closed[j]);
                free(se->closed);
                se->closed = NULL;
                se->n_closed = 0;
                if (checkpoint) {
                        se->open.persisted = se->open.enc.count;
                        se->open.persisted_last_ts = se->open.enc.last_ts;
                }
        }
        if (checkpoint) {
                s->log_rows = 0;
                s->log_bytes = 0;
                s->log_overflow = false;
        } else if (s->log.count > 0) {
                s->log_rows++;
                s->log_bytes += s->log.len;
        }
        store_log_writer_reset(&s->log);
        return 0;

out_rollback:
        rollback(s);
        return r;
}

int store_sql_error(Store *s, int rc, const char *what)
{
        return sql_error(s, rc, what);
}

int store_prepare_cached(Store *s, const char *sql, sqlite3_stmt **ret)
{
        assert(s && sql && ret);
        for (size_t i = 0; i < s->n_cached; i++)
                if (s->cached[i].sql == sql) {
                        (void) sqlite3_reset(s->cached[i].st);
                        (void) sqlite3_clear_bindings(s->cached[i].st);
                        *ret = s->cached[i].st;
                        return 0;
                }
        assert(s->n_cached < ELEMENTSOF(s->cached));
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "preparing a statement");
        s->cached[s->n_cached].sql = sql;
        s->cached[s->n_cached++].st = st;
        *ret = st;
        return 0;
}

int store_begin(Store *s)
{
        assert(s);
        if (s->in_tx || s->series_batch)
                return set_error(s, -EBUSY, "a transaction is already open on '%s'", s->path);
        int r = exec(s, "BEGIN IMMEDIATE", "starting a transaction");
        if (r < 0)
                return r;
        s->in_tx = true;
        return 0;
}

void store_rollback(Store *s)
{
        assert(s);
        s->in_tx = false;
        rollback(s);
}

bool store_in_transaction(const Store *s)
{
        assert(s);
        return s->in_tx;
}

sqlite3 *store_sqlite(Store *s)
{
        assert(s);
        return s->db;
}

int store_commit(Store *s)
{
        assert(s);
        return commit(s, false);
}

static bool chunk_in_memory(const Series *se, int64_t start_ts)
{
        if (se->open.enc.count > 0 && se->open.enc.first_ts == start_ts)
                return true;
        for (size_t i = 0; i < se->n_closed; i++)
                if (se->closed[i].enc.first_ts == start_ts)
                        return true;
        return false;
}

typedef struct SampleVec {
        StoreSample *v;
        size_t n;
        size_t cap;
} SampleVec;

static int decode_into(SampleVec *out, const uint8_t *data, size_t len, uint32_t count,
                       int64_t from_ms, int64_t to_ms)
{
        ChunkIter it;
        int64_t ts;
        double v;
        int r;

        (void) chunk_iter_init(&it, data, len, count);
        while ((r = chunk_iter_next(&it, &ts, &v)) > 0) {
                if (ts < from_ms)
                        continue;
                if (ts > to_ms)
                        break;
                if (out->n == out->cap) {
                        out->cap = MAX(out->cap * 2, (size_t) 256);
                        out->v = xreallocarray(out->v, out->cap, sizeof(StoreSample));
                }
                out->v[out->n++] = (StoreSample){ts, v};
        }
        return r;
}

int store_query(Store *s, int64_t series_id, int64_t from_ms, int64_t to_ms, StoreSample **ret,
                size_t *ret_n)
{
        _cleanup_free_ StoreSample *freeme = NULL;
        SampleVec out = {};
        sqlite3_stmt *st;
        Series *se;
        int rc, r = 0;

        assert(s && ret && ret_n);
        se = find_by_id(s, series_id);
        if (!se)
                return set_error(s, -ENOENT, "no series with id %" PRIi64 " in '%s'", series_id,
                                 s->path);

        st = stmt(s, STMT_CHUNK_RANGE);
        (void) sqlite3_bind_int64(st, 1, se->id);
        (void) sqlite3_bind_int64(st, 2, from_ms);
        (void) sqlite3_bind_int64(st, 3, to_ms);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t start = sqlite3_column_int64(st, 0);
                int64_t count = sqlite3_column_int64(st, 1);
                const uint8_t *data = sqlite3_column_blob(st, 2);
                size_t len = (size_t) sqlite3_column_bytes(st, 2);

                if (chunk_in_memory(se, start))
                        continue; /* memory holds the same chunk with more samples */
                if (count < 0 || count > UINT32_MAX)
                        r = -EBADMSG;
                else
                        r = decode_into(&out, data, len, (uint32_t) count, from_ms, to_ms);
                freeme = out.v;
                if (r < 0) {
                        (void) sqlite3_reset(st);
                        return set_error(s, -EBADMSG,
                                         "'%s' is corrupt: chunk of '%s' starting at %" PRIi64
                                         " ms does not decode",
                                         s->path, se->canonical, start);
                }
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, "querying samples");

        for (size_t i = 0; i <= se->n_closed; i++) {
                const ChunkEncoder *e = i < se->n_closed ? &se->closed[i].enc : &se->open.enc;
                const uint8_t *data;
                size_t len = chunk_bytes(e, &data);

                if (e->count == 0)
                        continue;
                r = decode_into(&out, data, len, e->count, from_ms, to_ms);
                freeme = out.v;
                assert(r >= 0); /* we wrote it */
        }

        *ret = out.n > 0 ? TAKE_PTR(freeme) : NULL;
        *ret_n = out.n;
        return 0;
}

/* ---- series lookup ---- */

static int series_stats(Store *s, Series *se, StoreSeries *ret)
{
        sqlite3_stmt *st = stmt(s, STMT_CHUNK_SERIES_STATS);
        int64_t first = INT64_MAX, last = INT64_MIN;
        uint64_t samples = 0;

        (void) sqlite3_bind_int64(st, 1, se->id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
                first = sqlite3_column_int64(st, 0);
                last = sqlite3_column_int64(st, 1);
                samples = (uint64_t) sqlite3_column_double(st, 2);
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_ROW)
                return sql_error(s, rc, "reading series statistics");

        for (size_t i = 0; i <= se->n_closed; i++) {
                const Chunk *c = i < se->n_closed ? &se->closed[i] : &se->open;
                if (c->enc.count == 0)
                        continue;
                first = MIN(first, c->enc.first_ts);
                last = MAX(last, c->enc.last_ts);
                samples += c->enc.count - c->persisted;
        }
        ret->first_ts_ms = samples > 0 ? first : 0;
        ret->last_ts_ms = samples > 0 ? last : 0;
        ret->samples = samples;
        return 0;
}

static bool series_matches(const Series *se, const char *name, const char *const *m)
{
        if (name && !streq(se->name, name))
                return false;
        for (size_t i = 0; m && m[i] && m[i + 1]; i += 2) {
                const char *have = NULL;
                for (size_t j = 0; j < se->n_labels && !have; j++)
                        if (streq(se->labels[j].key, m[i]))
                                have = se->labels[j].value;
                if (!streq(have ?: "", m[i + 1]))
                        return false;
        }
        return true;
}

static int series_cmp(const void *a, const void *b)
{
        return strcmp(((const StoreSeries *) a)->canonical, ((const StoreSeries *) b)->canonical);
}

void store_series_array_free(StoreSeries *a, size_t n)
{
        for (size_t i = 0; a && i < n; i++) {
                free(a[i].name);
                free(a[i].canonical);
                labels_free(a[i].labels, a[i].n_labels);
        }
        free(a);
}

int store_series_match(Store *s, const char *name, const char *const *label_matchers,
                       StoreSeries **ret, size_t *ret_n)
{
        StoreSeries *out = NULL;
        size_t n = 0;

        assert(s && ret && ret_n);
        for (size_t i = 0; i < s->n_series; i++) {
                Series *se = s->series[i];
                if (!series_matches(se, name, label_matchers))
                        continue;

                out = xreallocarray(out, n + 1, sizeof(StoreSeries));
                StoreSeries *o = &out[n++];
                *o = (StoreSeries){
                        .id = se->id,
                        .name = xstrdup(se->name),
                        .canonical = xstrdup(se->canonical),
                        .labels = xnew0(StoreLabel, se->n_labels + 1),
                        .n_labels = se->n_labels,
                };
                for (size_t j = 0; j < se->n_labels; j++)
                        o->labels[j] = (StoreLabel){xstrdup(se->labels[j].key),
                                                    xstrdup(se->labels[j].value)};
                int r = series_stats(s, se, o);
                if (r < 0) {
                        store_series_array_free(out, n);
                        return r;
                }
        }
        if (n > 1)
                qsort(out, n, sizeof(*out), series_cmp);
        *ret = out;
        *ret_n = n;
        return 0;
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int store_series_list(Store *s, char ***ret_names, size_t *ret_n)
{
        char **names = xnew0(char *, s->n_series + 1);
        size_t n = 0;

        assert(ret_names && ret_n);
        for (size_t i = 0; i < s->n_series; i++)
                names[n++] = s->series[i]->name;
        qsort(names, n, sizeof(char *), str_cmp);

        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (m == 0 || !streq(names[m - 1], names[i]))
                        names[m++] = names[i];
        for (size_t i = 0; i < m; i++)
                names[i] = xstrdup(names[i]);
        names[m] = NULL;
        *ret_names = names;
        *ret_n = m;
        return 0;
}

/* ---- maintenance ---- */

static bool series_has_chunk_after(const Series *se, int64_t cutoff)
{
        if (se->open.enc.count > 0 && se->open.enc.last_ts >= cutoff)
                return true;
        for (size_t i = 0; i < se->n_closed; i++)
                if (se->closed[i].enc.last_ts >= cutoff)
                        return true;
        return false;
}

/* Runs a statement with one integer parameter that returns no rows. */
static int exec_int64(Store *s, const char *sql, int64_t v, const char *what)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK) {
                (void) sqlite3_bind_int64(st, 1, v);
                rc = sqlite3_step(st);
        }
        (void) sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : sql_error(s, rc, what);
}

int store_retention(Store *s, int64_t now_ms, int64_t keep_ms)
{
        _cleanup_free_ bool *gone = NULL;
        sqlite3_stmt *st = NULL;
        int64_t cutoff, dropped;
        int rc, r;

        assert(s);
        if (keep_ms < 0)
                return -EINVAL;
        cutoff = now_ms < INT64_MIN + keep_ms ? INT64_MIN : now_ms - keep_ms;

        /* Otherwise log rows would bring back samples of the chunks dropped below, and name
         * series deleted below, at the next open. */
        r = commit(s, true);
        if (r < 0)
                return r;

        r = exec(s, "BEGIN IMMEDIATE", "applying retention");
        if (r < 0)
                return r;
        rc = sqlite3_prepare_v2(s->db, "DELETE FROM chunk WHERE end_ts < ?1", -1, &st, NULL);
        if (rc == SQLITE_OK) {
                (void) sqlite3_bind_int64(st, 1, cutoff);
                rc = sqlite3_step(st);
        }
        (void) sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                r = sql_error(s, rc, "applying retention");
                goto out_rollback;
        }
        dropped = sqlite3_changes64(s->db);
        /* Log events age like samples; templates and sources stay (a template forgotten
         * would be reported as new again). */
        r = exec_int64(s, "DELETE FROM log_event WHERE ts < ?1", cutoff, "applying retention");
        if (r < 0)
                goto out_rollback;
        /* Anomalies too; models are replaced by retraining, not aged. */
        r = exec_int64(s, "DELETE FROM anomaly WHERE end_ts < ?1", cutoff, "applying retention");
        if (r < 0)
                goto out_rollback;

        gone = xnew0(bool, s->n_series + 1);
        for (size_t i = 0; i < s->n_series; i++) {
                Series *se = s->series[i];
                /* In use: a caller may hold its id; it comes back with its next sample. Chunks
                 * in memory that end before the cutoff are dropped below. */
                if (se->in_use || series_has_chunk_after(se, cutoff))
                        continue;
                st = stmt(s, STMT_SERIES_DELETE_EMPTY);
                (void) sqlite3_bind_int64(st, 1, se->id);
                r = step_done(s, st, "applying retention");
                if (r < 0)
                        goto out_rollback;
                gone[i] = sqlite3_changes(s->db) > 0;
        }
        r = exec(s, "COMMIT", "applying retention");
        if (r < 0)
                goto out_rollback;

        /* Memory follows the file: drop expired chunks, forget rows that were deleted. */
        size_t kept = 0;
        for (size_t i = 0; i < s->n_series; i++) {
                Series *se = s->series[i];
                size_t k = 0;

                for (size_t j = 0; j < se->n_closed; j++) {
                        Chunk *c = &se->closed[j];
                        if (c->enc.last_ts < cutoff) {
                                dropped += c->persisted == 0;
                                chunk_done(c);
                                continue;
                        }
                        if (c->persisted > 0 && c->persisted_last_ts < cutoff)
                                c->persisted = 0;
                        se->closed[k++] = *c;
                }
                se->n_closed = k;
                if (se->open.enc.count > 0 && se->open.enc.last_ts < cutoff) {
                        dropped += se->open.persisted == 0;
                        chunk_done(&se->open);
                } else if (se->open.persisted > 0 && se->open.persisted_last_ts < cutoff)
                        se->open.persisted = 0;

                if (gone[i])
                        series_free(se);
                else
                        s->series[kept++] = se;
        }
        if (kept != s->n_series) {
                s->n_series = kept;
                tables_rebuild(s);
        }

        /* Gives the freed pages back to the file system. Its failure loses nothing. */
        (void) sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
        return (int) MIN(dropped, (int64_t) INT_MAX);

out_rollback:
        rollback(s);
        return r;
}

static uint64_t file_size(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

int store_stats(Store *s, StoreStats *ret)
{
        int64_t page_count, page_size, freelist, first = INT64_MAX, last = INT64_MIN;
        uint64_t chunks = 0, samples = 0;
        sqlite3_stmt *st = NULL;
        int rc, r;

        assert(s && ret);
        r = query_int(s, "PRAGMA page_count", &page_count);
        if (r < 0)
                return r;
        r = query_int(s, "PRAGMA page_size", &page_size);
        if (r < 0)
                return r;
        r = query_int(s, "PRAGMA freelist_count", &freelist);
        if (r < 0)
                return r;

        rc = sqlite3_prepare_v2(s->db,
                                "SELECT count(*), total(count), min(start_ts), max(end_ts) "
                                "FROM chunk",
                                -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                chunks = (uint64_t) sqlite3_column_int64(st, 0);
                samples = (uint64_t) sqlite3_column_double(st, 1);
                if (chunks > 0) {
                        first = sqlite3_column_int64(st, 2);
                        last = sqlite3_column_int64(st, 3);
                }
        }
        (void) sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                return sql_error(s, rc, "reading statistics");

        for (size_t i = 0; i < s->n_series; i++) {
                Series *se = s->series[i];
                for (size_t j = 0; j <= se->n_closed; j++) {
                        const Chunk *c = j < se->n_closed ? &se->closed[j] : &se->open;
                        if (c->enc.count == 0)
                                continue;
                        chunks += c->persisted == 0;
                        samples += c->enc.count - c->persisted;
                        first = MIN(first, c->enc.first_ts);
                        last = MAX(last, c->enc.last_ts);
                }
        }

        _cleanup_free_ char *wal = xasprintf("%s-wal", s->path);
        *ret = (StoreStats){
                .db_bytes = file_size(s->path),
                .wal_bytes = file_size(wal),
                .page_count = (uint64_t) page_count,
                .page_size = (uint64_t) page_size,
                .freelist_pages = (uint64_t) freelist,
                .series = s->n_series,
                .chunks = chunks,
                .samples = samples,
                .first_ts_ms = samples > 0 ? first : 0,
                .last_ts_ms = samples > 0 ? last : 0,
                .log_rows = s->log_rows,
                .log_bytes = s->log_bytes,
                .log_replayed_samples = s->log_replayed,
                .log_skipped_samples = s->log_skipped,
                .log_unknown_series_samples = s->log_unknown,
                .log_corrupt_rows = s->log_corrupt_rows,
        };
        ret->file_bytes = ret->db_bytes + ret->wal_bytes;
        return 0;
}

int store_checkpoint(Store *s)
{
        assert(s);
        int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "checkpointing");
        return 0;
}

int store_check(Store *s, bool full)
{
        sqlite3_stmt *st = NULL;
        int rc, r = 0;

        assert(s);
        rc = sqlite3_prepare_v2(s->db, full ? "PRAGMA integrity_check(1)" : "PRAGMA quick_check(1)",
                                -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *res = (const char *) sqlite3_column_text(st, 0);
                if (!streq(res ?: "", "ok"))
                        r = set_error(s, -EBADMSG, "'%s' is corrupt: %s", s->path, res ?: "");
                rc = SQLITE_OK;
        }
        (void) sqlite3_finalize(st);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "checking it");
        return r;
}

int store_meta_set(Store *s, const char *key, const char *value)
{
        sqlite3_stmt *st;

        assert(s && key && value);
        st = stmt(s, STMT_META_SET);
        (void) sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        (void) sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        return step_done(s, st, "writing meta data");
}

int store_meta_get(Store *s, const char *key, char **ret)
{
        sqlite3_stmt *st;

        assert(s && key && ret);
        st = stmt(s, STMT_META_GET);
        (void) sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const char *v = (const char *) sqlite3_column_text(st, 0);
                *ret = xstrdup(v ?: "");
                (void) sqlite3_reset(st);
                return 1;
        }
        (void) sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, "reading meta data");
        *ret = NULL;
        return 0;
}

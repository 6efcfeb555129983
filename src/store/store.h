/* The time-series store: one SQLite file (WAL) holding series, their samples as compressed
 * chunks (chunk.h), and a small key/value meta table.
 *
 * Writes are batched: store_append() only encodes into the series' open chunk in memory
 * (and into the commit's sample log record, store-log.h); store_commit() writes, in one
 * transaction, the chunks that closed since the last commit and one sample_log row holding
 * every other sample appended since. Every opt->log_checkpoint_commits commits, or when the
 * log would pass STORE_LOG_MAX_BYTES, the commit is a checkpoint instead: it rewrites every
 * changed open chunk and empties sample_log, in the same transaction. store_open() replays
 * the log into memory (without writing: readers may open a store the agent writes), so
 * queries and statistics include every committed sample; the replayed samples stay in
 * memory, changed, until the next checkpoint writes them. With journal_mode=WAL and
 * synchronous=NORMAL a committed transaction is in the WAL file (written with write(), not
 * yet fsync()ed) when COMMIT returns, so killing the process at any moment loses nothing
 * committed: the kernel page cache outlives the process and the next open replays the WAL.
 * A power loss or kernel crash may lose the transactions since the last WAL sync
 * (checkpoint), never consistency. If a commit fails (disk full, I/O error) the chunks stay
 * in memory and the next commit writes them: nothing is lost while the process lives.
 *
 * Chunks close at opt->chunk_max_samples samples or when a sample would make them span more
 * than opt->chunk_max_span_ms; the next sample starts a new chunk row. After a restart, the
 * first append to a series decodes its last chunk and continues it if it is still open.
 *
 * One process writes a store at a time (the agent, or a one-shot command when no agent runs);
 * others may read it concurrently (WAL). Not thread-safe: one thread uses a Store.
 * Errors are -errno (sqlite_to_errno() mapping: -ENOSPC disk full, -EROFS read-only,
 * -EBADMSG corrupt or not an aiops database, -EACCES, -EBUSY locked, -EIO); a message naming
 * the file is kept for store_last_error(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

/* 'AIOP' in PRAGMA application_id marks our files (`file(1)` shows it too). */
#define STORE_APPLICATION_ID 0x41494F50

#define STORE_CHUNK_MAX_SAMPLES_DEFAULT 240u
#define STORE_CHUNK_MAX_SPAN_MS_DEFAULT (2 * 3600 * INT64_C(1000))
#define STORE_BUSY_TIMEOUT_MS_DEFAULT   5000
/* A commit in 30 rewrites the open chunks: ~1/30 of the B-tree writes of rewriting them at
 * every commit, and at most 29 rows (~3 KB each for 240 series) to replay on open. */
#define STORE_LOG_CHECKPOINT_COMMITS 30u
/* The sample log (rows in the table plus the record being built) never grows past this:
 * a commit that would pass it is a checkpoint. */
#define STORE_LOG_MAX_BYTES (1024u * 1024u)

typedef struct Store Store;

typedef struct StoreOptions {
        int busy_timeout_ms;        /* 0: STORE_BUSY_TIMEOUT_MS_DEFAULT */
        uint32_t chunk_max_samples; /* 0: STORE_CHUNK_MAX_SAMPLES_DEFAULT */
        int64_t chunk_max_span_ms;  /* 0: STORE_CHUNK_MAX_SPAN_MS_DEFAULT */
        uint64_t max_size_bytes;    /* 0: unlimited; past it writes fail with -ENOSPC */
        /* 0: STORE_LOG_CHECKPOINT_COMMITS; 1: every commit is a checkpoint (no log rows). */
        uint32_t log_checkpoint_commits;
} StoreOptions;

typedef struct StoreSample {
        int64_t ts_ms;
        double value;
} StoreSample;

typedef struct StoreLabel {
        char *key;
        char *value;
} StoreLabel;

typedef struct StoreSeries {
        int64_t id;
        char *name;
        char *canonical;    /* name{k1="v1",k2="v2"}, keys sorted, values escaped */
        StoreLabel *labels; /* sorted by key */
        size_t n_labels;
        int64_t first_ts_ms; /* first and last sample, 0 when samples is 0 */
        int64_t last_ts_ms;
        uint64_t samples; /* stored and uncommitted */
} StoreSeries;

typedef struct StoreStats {
        uint64_t file_bytes; /* db_bytes + wal_bytes */
        uint64_t db_bytes;
        uint64_t wal_bytes;
        uint64_t page_count;
        uint64_t page_size;
        uint64_t freelist_pages;
        uint64_t series;
        uint64_t chunks;     /* rows, plus chunks only in memory */
        uint64_t samples;    /* stored and uncommitted */
        int64_t first_ts_ms; /* over all series; 0 when there are no samples */
        int64_t last_ts_ms;
        uint64_t log_rows;  /* sample_log rows not yet folded into chunks by a checkpoint */
        uint64_t log_bytes; /* their size */
        /* What store_open() did with the log: samples replayed into memory; samples skipped
         * because a chunk row already held them (normal: a chunk closed, or a checkpoint
         * ran, after they were logged) or because they were not after the series' last;
         * samples of a series that no longer exists; rows that do not decode. */
        uint64_t log_replayed_samples;
        uint64_t log_skipped_samples;
        uint64_t log_unknown_series_samples;
        uint64_t log_corrupt_rows;
} StoreStats;

/* Opens `path`, creating the file (not its directory) if missing, migrates its schema and
 * replays the sample log into memory (reading only). A log row that does not decode, or
 * samples of an unknown series, are skipped, counted in store_stats() and described in
 * store_last_error(); the rest is replayed. opt may be NULL. On failure *reterr_msg (if
 * given) gets a message naming the file, e.g.
 * "'/x/aiops.db' is not an aiops database (...)": -EBADMSG (foreign SQLite file, garbage,
 * corrupt), -EPROTONOSUPPORT (written by a newer aiops), -ENOENT (no such directory),
 * -EROFS/-EACCES (cannot write there), -ENOSPC, -EBUSY. */
int store_open(const char *path, const StoreOptions *opt, Store **ret, char **reterr_msg);
/* Closes without committing (call store_commit() first): samples appended since the last
 * commit are lost, committed ones are in chunks or in the sample log, which the next
 * store_open() replays. Accepts and returns NULL. */
Store *store_free(Store *s);
DEFINE_FREEP(Store, store_free)
/* The message of the last failure ("" if none); borrowed until the next call. */
const char *store_last_error(const Store *s);
const char *store_path(const Store *s);

/* The canonical form of a series, `name{k1="v1",k2="v2"}` (just `name` without labels):
 * labels sorted by key, values escaped as Prometheus does (\\, \", \n), empty values
 * dropped (Prometheus: an empty label is no label). labels is "k", "v", ..., NULL or NULL.
 * -EINVAL for an invalid metric or label name, a duplicate key, or an odd list. */
int store_series_canonical(const char *name, const char *const *labels, char **ret);
/* The id of the series, created if new (written at once, outside the batch). Cached: no
 * SQLite query for a known series. */
int store_series_get(Store *s, const char *name, const char *const *labels, int64_t *ret_id);
/* Series with this name (NULL: any) whose labels equal the matchers ("k", "v", ..., NULL;
 * a value "" matches series without the label), sorted by canonical form. Free with
 * store_series_array_free(). */
int store_series_match(Store *s, const char *name, const char *const *label_matchers,
                       StoreSeries **ret, size_t *ret_n);
void store_series_array_free(StoreSeries *a, size_t n);
/* The distinct metric names, sorted; a NULL-terminated array the caller frees (each string
 * and the array). */
int store_series_list(Store *s, char ***ret_names, size_t *ret_n);

/* Adds a sample to the series' open chunk in memory. -EINVAL if ts_ms is not after the last
 * sample of the series (stored or not), with nothing changed; -ENOENT for an unknown id. */
int store_append(Store *s, int64_t series_id, int64_t ts_ms, double v);
/* Makes every sample appended so far durable in one transaction: closed chunks as rows, the
 * rest as one sample_log row, or, at a checkpoint (see above), every changed chunk as a row
 * and the log emptied. On failure nothing is lost: the samples stay in memory and the next
 * commit retries. */
int store_commit(Store *s);
/* Adding many series at once (a first log flush adds hundreds): between these two calls
 * store_series_get() inserts new series in one transaction instead of one each. Their ids
 * are valid only once store_series_batch_end() returned 0; on failure none of them exists
 * (drop the ids). No samples may be appended in between. */
int store_series_batch_begin(Store *s);
int store_series_batch_end(Store *s);

/* Opens a write transaction that the next store_commit() ends (or store_rollback()), so
 * that rows other modules write meanwhile through store_sqlite() (logdb.h: log cursors and
 * templates) become durable atomically with the samples. New series must be got before it
 * (store_series_get() fails with -EBUSY inside). -EBUSY if one is open already. */
int store_begin(Store *s);
void store_rollback(Store *s);
bool store_in_transaction(const Store *s);

/* Samples with from_ms <= ts <= to_ms in time order, including uncommitted ones; *ret is
 * the caller's (free()), NULL when *ret_n is 0. */
int store_query(Store *s, int64_t series_id, int64_t from_ms, int64_t to_ms, StoreSample **ret,
                size_t *ret_n);

/* First commits as a checkpoint (so no log row holds samples of the chunks it drops), then
 * deletes chunks that ended before now_ms - keep_ms (in memory too), then series with no
 * chunk left that nobody used since open, then returns freed pages to the file system
 * (incremental vacuum). Returns the number of chunks dropped. */
int store_retention(Store *s, int64_t now_ms, int64_t keep_ms);
int store_stats(Store *s, StoreStats *ret);
/* Copies the WAL into the database and truncates it (PRAGMA wal_checkpoint(TRUNCATE)).
 * -EBUSY if readers kept it from completing. */
int store_checkpoint(Store *s);
/* PRAGMA quick_check (full = false: O(size) but skips index cross-checks) or
 * integrity_check. 0, or -EBADMSG with the first problem in store_last_error(). */
int store_check(Store *s, bool full);

/* Sets the size limit (0: none); lets a caller retry after -ENOSPC with a larger one. */
int store_set_max_size(Store *s, uint64_t max_size_bytes);

/* The meta table: small strings such as the last collection time or the hostname. */
int store_meta_set(Store *s, const char *key, const char *value);
/* 1 and *ret (the caller's) if the key exists, 0 and *ret = NULL if not. */
int store_meta_get(Store *s, const char *key, char **ret);

/* The log pipeline: sources → format parser → Drain → counts, templates, new-pattern events
 * → the store.
 *
 * Each source has its own miner, restored from the templates stored for it, so a template
 * known before a restart is never reported as new again; its cursor is restored too. A
 * template created after the source's learning period (logs.learning_period from the first
 * time the source was seen), outside backfill, is a new-pattern event; with
 * logs.shadow_mode it is recorded only, otherwise it also counts in log_anomalies.
 *
 * Counts go into buckets of logs.count_interval by the line's own timestamp (arrival time
 * when it has none or an implausible one); a line of a bucket already stored counts in the
 * oldest open one. Bucket series, per source (docs/metrics.md):
 *   log_lines{severity}, log_keyword_lines{keyword}, log_template_lines{template},
 *   log_new_templates, log_anomalies, and for access logs http_requests_per_second,
 *   http_class_per_second{class}, http_code_per_second{code=502|503|504}, http_5xx_ratio,
 *   http_request_seconds{quantile}, http_upstream_seconds{quantile}; http_upstream_timeouts
 *   for access 504s and nginx "upstream timed out" lines.
 *
 * log_ingest_flush() writes closed buckets, changed templates, events and cursors in one
 * transaction: after a crash the lines after the last flush are read again and counted once.
 * Memory is bounded by templates and open buckets, not by lines. Single-threaded. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/macro.h"
#include "logs/logfmt.h"
#include "logs/source.h"
#include "store/store.h"

typedef struct LogIngest LogIngest;

typedef struct LogIngestStats {
        uint64_t lines;
        uint64_t bytes;
        uint64_t new_templates; /* events raised (learning and backfill excluded) */
        uint64_t templates;     /* clusters over all sources now */
        uint64_t samples;       /* bucket samples stored */
        size_t sources;
        size_t sources_failing;
} LogIngestStats;

/* Per-source view for reports. Borrowed until the next call that changes the ingest. */
typedef struct LogIngestSourceInfo {
        const LogSource *source;
        LogFormat format; /* AUTO until the first line decided it */
        size_t templates;
        bool learning;
} LogIngestSourceInfo;

/* cfg is borrowed for the ingest's life. store may be NULL (nothing persisted: `logs mine`
 * style use, tests). -EINVAL with *reterr_msg for a bad drain mask. */
int log_ingest_new(const LogsConfig *cfg, Store *store, LogIngest **ret, char **reterr_msg);
LogIngest *log_ingest_free(LogIngest *in);
DEFINE_FREEP(LogIngest, log_ingest_free)

/* Takes src (also on failure). Restores the source's cursor, templates, first-seen time and
 * next bucket from the store. A source name already present is -EEXIST. */
int log_ingest_add_source(LogIngest *in, LogSource *src, LogFormat fmt, int64_t now_ms);

/* The sources the configuration asks for: discovered service logs (logs.discover), the
 * configured files (globs expanded; a plain path that does not exist yet is followed until
 * it does), the journal, /dev/kmsg and the commands. A source that cannot be set up is added
 * anyway with its error, or reported in *reterr_msg (caller frees; may be NULL) when it
 * cannot be built at all. Returns the number of sources added. */
int log_ingest_add_configured(LogIngest *in, int64_t now_ms, char **reterr_msg);

/* Replaces the store, and says the caller persists: from now on a NULL store (an agent's
 * store that went away) keeps everything in memory until a store is set again, instead of
 * dropping it. Sources added while there was no store were not restored. */
void log_ingest_set_store(LogIngest *in, Store *store);

/* Commands that end are run again (the agent), with a backoff from 1 s to 5 min while they
 * end without output; by default (one-shot use) a command runs once. */
void log_ingest_set_restart_commands(LogIngest *in, bool restart);

/* Reads what every source has now (at most max_lines per source; 0 = no limit), parses,
 * mines and counts. Returns lines read. */
int log_ingest_poll(LogIngest *in, int64_t now_ms, size_t max_lines);
/* Closes the buckets that ended before now_ms (final: also the open ones) and writes closed
 * buckets, changed templates, new events and cursors to the store in one transaction. On
 * failure everything stays in memory for the next flush. 0 without a store. */
int log_ingest_flush(LogIngest *in, int64_t now_ms, bool final);

/* The fds that signal new lines (inotify, journal, kmsg, pipes), up to max; sources without
 * one must be polled on a timer. */
size_t log_ingest_fds(LogIngest *in, int *fds, size_t max);
void log_ingest_stats(const LogIngest *in, LogIngestStats *ret);
size_t log_ingest_n_sources(const LogIngest *in);
void log_ingest_source_info(const LogIngest *in, size_t i, LogIngestSourceInfo *ret);
/* Sources whose error changed since the last call (error_new), for the caller to log once;
 * clears the flag. Returns the count filled. */
size_t log_ingest_take_errors(LogIngest *in, const LogSource **ret, size_t max);

/* For tests: discovery looks for the well-known paths under root instead of "/". */
void log_ingest_set_discover_root(LogIngest *in, const char *root);

/* The source name for a path: "/var/log/nginx/access.log" → "nginx-access",
 * "/var/log/syslog" → "syslog", "/srv/app/logs/api.log" → "logs-api"; caller frees. */
char *log_ingest_name_for_path(const char *path);

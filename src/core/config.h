/* The YAML configuration (default /etc/aiops/aiops.yaml). Every key is optional and has a
 * default; an unknown key, a value of the wrong type or out of range is an error that names
 * the file, the line and the key, so a typo never silently falls back to a default.
 * Keys are rows of one table in config.c (path, parser, field, bounds): a new key is a new row.
 * A Config is plain data owned by its creator; config_free() frees all of it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/macro.h"

#define CONFIG_DEFAULT_PATH     "/etc/aiops/aiops.yaml"
#define CONFIG_SYSTEM_DATA_DIR  "/var/lib/aiops"
#define CONFIG_MAX_FILE_BYTES   (1024 * 1024)
#define CONFIG_MAX_LIST_ENTRIES 4096

/* A service is recognised by its processes. A match entry is a process name compared with the
 * whole comm ("mysqld"), a prefix of comm when it ends in '*' ("php-fpm*"), or, when it
 * starts with '/', a prefix of the command line, i.e. of the executable as started
 * ("/opt/app/bin/"). */
typedef struct ServiceDef {
        char *name;
        char **match;
        size_t n_match;
} ServiceDef;

/* A log file to read: an absolute path or a glob such as "/var/log/app/<star>.log", the source name
 * ("" = derived from the path) and the format ("" or "auto" = detected; names in
 * logs/logfmt.h, checked by the logs layer). */
typedef struct LogFileDef {
        char *path;
        char *name;
        char *format;
} LogFileDef;

/* A command whose output is a log ("kubectl logs deploy/api -f"), run through /bin/sh. */
typedef struct LogCommandDef {
        char *name;
        char *command;
        char *format;
} LogCommandDef;

typedef struct LogsConfig {
        bool enabled;  /* logs.enabled: ingest logs in collect/monitor/run */
        bool discover; /* logs.discover: find the common service logs by themselves */
        bool backfill; /* logs.backfill: read rotated history once at first sight */
        LogFileDef *files;
        size_t n_files;
        bool journal;         /* logs.journal */
        char **journal_units; /* none: the whole journal */
        size_t n_journal_units;
        char **journal_files; /* journal files to read instead of the system journal */
        size_t n_journal_files;
        bool kmsg; /* logs.kmsg: the kernel ring buffer */
        LogCommandDef *commands;
        size_t n_commands;
        int64_t learning_ms; /* templates first seen within this of a source's start are learned */
        bool shadow_mode;    /* new templates are recorded only, not counted as anomalies */
        int64_t count_interval_ms; /* width of the stored log count buckets */
        char **keywords;           /* error keywords counted per window (lower case) */
        size_t n_keywords;
        unsigned drain_depth;
        double drain_similarity;
        unsigned drain_max_children;
        unsigned drain_max_clusters; /* per source; 0 = unlimited */
        bool drain_builtin_masks;
        char **drain_masks; /* PCRE2 regexes, masked before the built-ins */
        size_t n_drain_masks;
} LogsConfig;

/* Anomaly detection (docs/detect.md). Method names are those of detect/outlier.h and
 * detect/stream.h; config.c checks them against the lists in CONFIG_*_METHODS. */
typedef struct DetectConfig {
        bool online;             /* detect.online.enabled: score every new sample */
        char *online_method;     /* detect.online.method: a streaming method ("seasonal") */
        double online_threshold; /* detect.online.threshold: the anomaly bit's score (0.9) */
        int64_t window_ms;       /* detect.window: width of a batch window (1m) */
        int64_t lookback_ms;     /* detect.lookback: hours a batch run reads (24h) */
        double contamination;    /* detect.contamination: share of windows cut (0.1) */
        double min_deviation;    /* detect.min_deviation: |z| a window's top feature needs (3) */
        char **methods;          /* detect.methods: the batch ensemble's methods */
        size_t n_methods;
        bool model;                  /* detect.model.enabled: the monitor scores with the model */
        int64_t retrain_interval_ms; /* detect.model.retrain_interval (24h) */
        int64_t drift_interval_ms;   /* detect.model.drift_check_interval (1h) */
        double drift_ks_pvalue;      /* detect.drift.ks_pvalue: KS drift below it (0.05) */
        double drift_psi;            /* detect.drift.psi: PSI drift above it (0.2) */
        double drift_js;             /* detect.drift.js: JS divergence drift above it (0.1) */
} DetectConfig;

#define CONFIG_OUTLIER_METHODS "iforest", "lof", "knn", "kmeans", "mahalanobis"
#define CONFIG_STREAM_METHODS  "robust", "ewma", "seasonal", "kalman", "ar", "ensemble"

typedef struct Config {
        char *path;     /* the file loaded; NULL when only defaults are in effect */
        char *data_dir; /* "" = config_default_data_dir() */
        LogLevel log_level;
        char *log_file; /* "" = stderr or the journal */
        int64_t collect_interval_ms;
        unsigned top_processes; /* top N by CPU and by memory stored each cycle */
        int *watch_pids;
        size_t n_watch_pids;
        char **watch_processes;
        size_t n_watch_processes;
        int64_t retention_ms;
        ServiceDef *services; /* the built-in list unless the file has "services:" */
        size_t n_services;
        LogsConfig logs;
        DetectConfig detect;
} Config;

Config *config_new_default(void);
Config *config_free(Config *c);
DEFINE_FREEP(Config, config_free);

/* Loads path over the defaults. A missing file is not an error unless must_exist. Files over
 * CONFIG_MAX_FILE_BYTES are refused (-EFBIG). On failure returns -errno (-EINVAL for content
 * errors) and sets *reterr_msg (caller frees) to e.g.
 * "/etc/aiops/aiops.yaml:7: key 'collect.interval': invalid duration 'fast' (expected e.g.
 * 30s, 5m)"; *ret is set only on success. */
int config_load(const char *path, bool must_exist, Config **ret, char **reterr_msg);
/* The same from memory (size bytes, need not be NUL-terminated); name is used in messages. */
int config_load_string(const char *data, size_t size, const char *name, Config **ret,
                       char **reterr_msg);

/* DESIGN's rule: system_dir (CONFIG_SYSTEM_DATA_DIR) if it is writable, or does not exist and
 * its parent is writable; else $XDG_STATE_HOME/aiops (an absolute XDG_STATE_HOME only); else
 * $HOME/.local/state/aiops (the passwd entry's home when $HOME is unset). Never NULL. */
char *config_pick_data_dir(const char *system_dir);
char *config_default_data_dir(void);

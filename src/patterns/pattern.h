/* The pattern model (issue 5, docs/pattern-schema.md): what a learned or hand-written anomaly
 * pattern says, its JSON form (schema_version 1), the validation of that form and the
 * patterns/<id>.json files. A Pattern is a plain struct so that extraction can build one in
 * code; every string and array in it is owned by it and freed by pattern_free(). Optional
 * numbers are NAN when absent, optional times PATTERN_TIME_UNSET. Non-logging: errors are
 * -errno plus a message "<file>: <field path>: <why>" for the caller to print. Not
 * thread-safe per Pattern; different Patterns may be used from different threads. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/macro.h"

#define PATTERN_SCHEMA_VERSION    1
#define PATTERN_ID_MAX            64 /* bytes; ^[a-z0-9][a-z0-9-]{0,63}$ */
#define PATTERN_NAME_MAX          200
#define PATTERN_STRING_MAX        4096 /* any other string */
#define PATTERN_FILE_MAX          (1024 * 1024)
#define PATTERN_CONDITIONS_MAX    32
#define PATTERN_LABELS_MAX        16
#define PATTERN_EVIDENCE_MAX      64
#define PATTERN_ADVICE_MAX        16
#define PATTERN_ANOMALIES_MAX     256
#define PATTERN_DIR_FILES_MAX     10000
#define PATTERN_WINDOW_MIN_MS     INT64_C(1000)
#define PATTERN_WINDOW_MAX_MS     (INT64_C(7) * 24 * 3600 * 1000)
#define PATTERN_WINDOW_DEFAULT_MS (INT64_C(5) * 60 * 1000)
#define PATTERN_TIME_UNSET        INT64_MIN

typedef enum PatternKind {
        PATTERN_KIND_METRIC,
        PATTERN_KIND_LOG,
        PATTERN_KIND_COMPOSITE,
        PATTERN_KIND_PROCESS,
        _PATTERN_KIND_MAX,
        _PATTERN_KIND_INVALID = -EINVAL,
} PatternKind;

typedef enum PatternSeverity {
        PATTERN_SEVERITY_INFO,
        PATTERN_SEVERITY_WARNING,
        PATTERN_SEVERITY_CRITICAL,
        _PATTERN_SEVERITY_MAX,
        _PATTERN_SEVERITY_INVALID = -EINVAL,
} PatternSeverity;

typedef enum PatternMatch {
        PATTERN_MATCH_ALL, /* every condition holds */
        PATTERN_MATCH_ANY,
        _PATTERN_MATCH_MAX,
        _PATTERN_MATCH_INVALID = -EINVAL,
} PatternMatch;

typedef enum PatternOrigin {
        PATTERN_ORIGIN_LEARNED,
        PATTERN_ORIGIN_MANUAL,
        _PATTERN_ORIGIN_MAX,
        _PATTERN_ORIGIN_INVALID = -EINVAL,
} PatternOrigin;

typedef enum PatternCondType {
        PATTERN_COND_METRIC,
        PATTERN_COND_LOG,
        PATTERN_COND_PROCESS,
        _PATTERN_COND_MAX,
        _PATTERN_COND_INVALID = -EINVAL,
} PatternCondType;

typedef enum PatternAggregate {
        PATTERN_AGGREGATE_AVG,
        PATTERN_AGGREGATE_MAX,
        PATTERN_AGGREGATE_MIN,
        PATTERN_AGGREGATE_LAST,
        _PATTERN_AGGREGATE_MAX,
        _PATTERN_AGGREGATE_INVALID = -EINVAL,
} PatternAggregate;

typedef enum PatternOp {
        PATTERN_OP_GT, /* ">" */
        PATTERN_OP_GE, /* ">=" */
        PATTERN_OP_LT, /* "<" */
        PATTERN_OP_LE, /* "<=" */
        _PATTERN_OP_MAX,
        _PATTERN_OP_INVALID = -EINVAL,
} PatternOp;

typedef enum PatternProcState {
        PATTERN_PROC_RUNNING,
        PATTERN_PROC_ABSENT,
        PATTERN_PROC_ZOMBIE,
        _PATTERN_PROC_MAX,
        _PATTERN_PROC_INVALID = -EINVAL,
} PatternProcState;

/* Distribution of a metric over normal or anomalous windows (learned patterns). */
typedef struct PatternStats {
        bool set; /* false: absent from the JSON */
        uint64_t n;
        double mean, sd, p10, p50, p90, p99;
        json_t *extra; /* "x-" keys (an object), or NULL */
} PatternStats;

typedef struct PatternLabel {
        char *key; /* Prometheus label name; a condition's labels are sorted by key */
        char *value;
} PatternLabel;

typedef struct PatternCondition {
        PatternCondType type;
        int64_t window_ms; /* metric and log: PATTERN_WINDOW_MIN_MS..PATTERN_WINDOW_MAX_MS */
        /* metric */
        char *metric;
        PatternLabel *labels;
        size_t n_labels;
        PatternAggregate aggregate;
        PatternOp op;
        double threshold;
        char *threshold_rule; /* optional: how the threshold was chosen, for people */
        PatternStats normal, anomalous;
        /* log */
        char *source;
        char *match; /* fixed text, or a PCRE2 pattern when regex */
        bool regex;
        uint64_t min_count;                       /* matching lines within the window, >= 1 */
        double lift, normal_rate, anomalous_rate; /* optional (NAN) */
        /* process */
        char *process; /* comm */
        PatternProcState state;
        json_t *extra;
} PatternCondition;

typedef struct PatternEvidence {
        char *source;
        char *text;   /* a template ("<*>" for parameters) or a keyword */
        bool keyword; /* text is a keyword, not a template */
        uint64_t anomalous_count, normal_count;
        double lift; /* optional (NAN) */
        json_t *extra;
} PatternEvidence;

typedef struct PatternSupport {
        bool set;
        uint64_t count;        /* anomalies the pattern was learned from */
        int64_t first_seen_ms; /* PATTERN_TIME_UNSET if absent */
        int64_t last_seen_ms;  /* PATTERN_TIME_UNSET if absent */
        int64_t *anomalies;    /* anomaly ids (detectdb.h) */
        size_t n_anomalies;
        json_t *extra;
} PatternSupport;

typedef struct Pattern {
        char *id;
        char *name;
        char *description; /* optional */
        PatternKind kind;
        char *subject; /* "host", "service:<name>" or "process:<comm>" */
        PatternSeverity severity;
        PatternMatch match;
        PatternCondition *conditions;
        size_t n_conditions;
        PatternEvidence *evidence;
        size_t n_evidence;
        PatternSupport support;
        char **advice;
        size_t n_advice;
        char *advice_source; /* optional: "kb:<entry>", "generic" or "manual" */
        PatternOrigin origin;
        int64_t created_ms, updated_ms; /* PATTERN_TIME_UNSET if absent */
        json_t *extra; /* the pattern's own "x-" keys (an object, owned), or NULL */
} Pattern;

/* A Pattern with the defaults (severity warning, match all, origin manual, no times). */
Pattern *pattern_new(void);
Pattern *pattern_free(Pattern *p);
DEFINE_FREEP(Pattern, pattern_free);
/* Initialises a condition of the given type with its defaults (window 5m, aggregate avg,
 * op >, min_count 1, state running, optional numbers NAN). */
void pattern_condition_init(PatternCondition *c, PatternCondType type);

const char *pattern_kind_to_string(PatternKind k);
const char *pattern_severity_to_string(PatternSeverity s);
const char *pattern_op_to_string(PatternOp op);
const char *pattern_aggregate_to_string(PatternAggregate a);
const char *pattern_proc_state_to_string(PatternProcState s);

/* ^[a-z0-9][a-z0-9-]{0,63}$: safe as a file name and inside a shell word. */
bool pattern_id_is_valid(const char *id);

/* Checks every rule of docs/pattern-schema.md on p (also for patterns built in code). 0, or
 * -EINVAL and *reterr = "<name>: <field path>: <why>" (name NULL: no prefix). */
int pattern_validate(const Pattern *p, const char *name, char **reterr);
/* Parses and validates one pattern JSON document of len bytes (need not be NUL-terminated);
 * name is used in messages (a file name). 0 and *ret, or -EINVAL / -EFBIG and *reterr. */
int pattern_from_json(const char *text, size_t len, const char *name, Pattern **ret, char **reterr);
/* The canonical JSON text (the caller's): keys in schema order, "x-" keys sorted last, 2-space
 * indent, trailing newline, defaults written out; numbers printed so that they read back
 * bit-identical, so pattern_from_json(pattern_to_json(p)) equals p for a valid p. */
char *pattern_to_json(const Pattern *p);
/* Deep equality (NAN equals NAN, "x-" values compared as JSON). */
bool pattern_equal(const Pattern *a, const Pattern *b);

/* Reads and parses one file (at most PATTERN_FILE_MAX bytes); messages name path. */
int pattern_load_file(const char *path, Pattern **ret, char **reterr);
/* Validates p and writes it to <dir>/<id>.json atomically: a temporary ".<id>.json.XXXXXX" in
 * dir, fsync, rename over the target, fsync of dir. A crash leaves the old file or the new
 * one, never a mix. 0, or -errno and *reterr. */
int pattern_save_file(const char *dir, const Pattern *p, char **reterr);

typedef struct PatternList {
        Pattern **patterns; /* sorted by id */
        size_t n;
        char **errors; /* one message per file that failed to load */
        size_t n_errors;
} PatternList;

/* Loads every <id>.json in dir (hidden files skipped). A file that fails to load, or whose
 * id differs from its file name, adds a message to ret->errors and the others still load.
 * 0 (even with per-file errors), or -errno and *reterr when dir cannot be read. */
int pattern_load_dir(const char *dir, PatternList *ret, char **reterr);
void pattern_list_done(PatternList *l);

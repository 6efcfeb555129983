/* The condition language of scanner specs and alert rules: a small PromQL subset naming one
 * metric threshold (docs/scanners.md, "Conditions"):
 *
 *   expr     := agg '(' selector '[' duration ']' ')' op number  |  selector op number
 *   agg      := avg_over_time | max_over_time | min_over_time | sum_over_time
 *             | count_over_time | last_over_time
 *   selector := metric_name [ '{' [ matcher (',' matcher)* [','] ] '}' ]
 *   matcher  := label_name ('=' | '!=' | '=~' | '!~') string
 *   op       := '>' | '>=' | '<' | '<=' | '==' | '!='
 *
 * e.g. `avg_over_time(service_memory_percent{service="mysql"}[5m]) > 80`.
 * Strings are PromQL's: "..." or '...' with the escapes \\ \" \' \n \r \t \a \b \f \v
 * \xhh (ASCII) \uhhhh \Uhhhhhhhh, or `raw`; valid UTF-8 without NUL. Regexes are anchored
 * as Prometheus anchors them (^(?:re)$) and limited to the syntax Prometheus (Go regexp,
 * RE2 syntax) and PCRE2 share, so both read them alike. Durations are Prometheus': 500ms,
 * 30s, 5m, 1h30m, 2d, 1w, 1y (units in that order, each at most once), above 0 and at most
 * EXPR_DURATION_MAX_MS.
 *
 * Evaluation follows Prometheus alerting: one result per series of the metric whose labels
 * match (a missing label counts as ""), over the samples with now - window < ts <= now
 * (left-open, right-closed, as Prometheus 3); a bare selector takes the latest sample with
 * now - 5m < ts <= now (the lookback). A series without such samples gives no result.
 *
 * An Expr is immutable once parsed: threads may share it (each with its own Store). Not
 * logging: errors come back as text. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

typedef struct Store Store;

#define EXPR_TEXT_MAX          4096u /* bytes of condition text */
#define EXPR_MATCHERS_MAX      32u
#define EXPR_DURATION_MAX_MS   (INT64_C(10) * 365 * 24 * 3600 * 1000) /* 10y */
#define EXPR_LOOKBACK_MS       (INT64_C(5) * 60 * 1000)
#define EXPR_REGEX_MATCH_LIMIT 100000u /* PCRE2 backtracking steps per label value */

typedef enum ExprAgg {
        EXPR_AGG_NONE, /* bare selector: the latest sample within EXPR_LOOKBACK_MS */
        EXPR_AGG_AVG,
        EXPR_AGG_MAX,
        EXPR_AGG_MIN,
        EXPR_AGG_SUM,
        EXPR_AGG_COUNT,
        EXPR_AGG_LAST,
        _EXPR_AGG_MAX,
        _EXPR_AGG_INVALID = -EINVAL,
} ExprAgg;

typedef enum ExprMatchOp {
        EXPR_MATCH_EQ,  /* = */
        EXPR_MATCH_NE,  /* != */
        EXPR_MATCH_RE,  /* =~ */
        EXPR_MATCH_NRE, /* !~ */
        _EXPR_MATCH_MAX,
        _EXPR_MATCH_INVALID = -EINVAL,
} ExprMatchOp;

typedef enum ExprCmp {
        EXPR_CMP_GT,
        EXPR_CMP_GE,
        EXPR_CMP_LT,
        EXPR_CMP_LE,
        EXPR_CMP_EQ,
        EXPR_CMP_NE,
        _EXPR_CMP_MAX,
        _EXPR_CMP_INVALID = -EINVAL,
} ExprCmp;

typedef struct ExprMatcher {
        char *label;
        ExprMatchOp op;
        char *value; /* unescaped; for =~ and !~ the regex as written, without anchors */
        void *re;    /* private: the compiled regex (pcre2_code *) of =~ and !~ */
} ExprMatcher;

/* Read-only for callers (generators read the metric, labels, window and threshold). */
typedef struct Expr {
        ExprAgg agg;
        char *metric;
        ExprMatcher *matchers; /* sorted by label, op, value: the canonical order */
        size_t n_matchers;
        int64_t window_ms; /* 0 for EXPR_AGG_NONE */
        ExprCmp cmp;
        double threshold;
} Expr;

/* One row per matching series that had samples. */
typedef struct ExprResult {
        char *series; /* the store's canonical name, name{k="v",...} */
        double value; /* the aggregate (or the latest sample) */
        bool fired;   /* value <op> threshold; a NaN only satisfies != (as in PromQL) */
} ExprResult;

/* Parses a condition. On failure returns -EINVAL (-E2BIG past EXPR_TEXT_MAX, for the text
 * or the canonical text expr_to_promql() would write, or past
 * EXPR_MATCHERS_MAX) and, if reterr_msg, a one-line message starting with the 1-based byte
 * column it is about: "column 17: expected ']' after the duration". */
int expr_parse(const char *text, Expr **ret, char **reterr_msg);
/* Accepts and returns NULL. */
Expr *expr_free(Expr *e);
DEFINE_FREEP(Expr, expr_free)

/* For showing a parse error to a person: msg, then the text and a '^' under the column the
 * message names (control characters shown as spaces), e.g.
 *   column 17: expected ']' after the duration
 *     avg_over_time(x[5m) > 1
 *                       ^
 * Just a copy of msg if it names no column inside the text. Caller frees. */
char *expr_describe_error(const char *text, const char *msg);

/* The canonical text, valid PromQL that expr_parse() reads back to the same Expr: no
 * spaces inside the selector, matchers sorted, strings double-quoted and escaped, the
 * duration in Prometheus units ("1h30m"), the shortest number that round-trips, one space
 * around the operator: `avg_over_time(m{a="x",b=~"y.*"}[5m]) > 80`. Caller frees. */
char *expr_to_promql(const Expr *e);

const char *expr_agg_to_string(ExprAgg a);          /* "avg_over_time", "" for NONE */
const char *expr_cmp_to_string(ExprCmp c);          /* ">" ... */
const char *expr_match_op_to_string(ExprMatchOp o); /* "=" "!=" "=~" "!~" */
/* True if the label value satisfies the matcher ("" for a missing label). */
bool expr_matcher_matches(const ExprMatcher *m, const char *value);
bool expr_cmp_holds(ExprCmp c, double value, double threshold);

/* Evaluates e at now_ms over the store: *ret gets one row per matching series with
 * samples, sorted by series (NULL when there are none; free with expr_result_array_free()).
 * Returns the number of rows that fired (the condition fires when that is > 0), or -errno
 * with *reterr_msg (if given) from the store. */
int expr_eval(const Expr *e, Store *s, int64_t now_ms, ExprResult **ret, size_t *ret_n,
              char **reterr_msg);
void expr_result_array_free(ExprResult *a, size_t n);

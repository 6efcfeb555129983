/* The pattern model: JSON in and out, validation, files (pattern.h, docs/pattern-schema.md). */
#include "patterns/pattern.h"

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/time-util.h"

/* Counts must survive a trip through JSON readers that hold numbers as doubles. */
#define COUNT_MAX (UINT64_C(1) << 53)
/* Subject names, log sources, process names, metric and label names. */
#define NAME_MAX_BYTES 200

static const char *const kind_names[_PATTERN_KIND_MAX] = {"metric", "log", "composite", "process"};
static const char *const severity_names[_PATTERN_SEVERITY_MAX] = {"info", "warning", "critical"};
static const char *const match_names[_PATTERN_MATCH_MAX] = {"all", "any"};
static const char *const origin_names[_PATTERN_ORIGIN_MAX] = {"learned", "manual"};
static const char *const cond_names[_PATTERN_COND_MAX] = {"metric", "log", "process"};
static const char *const aggregate_names[_PATTERN_AGGREGATE_MAX] = {"avg", "max", "min", "last"};
static const char *const op_names[_PATTERN_OP_MAX] = {">", ">=", "<", "<="};
static const char *const proc_state_names[_PATTERN_PROC_MAX] = {"running", "absent", "zombie"};

static bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

#define TABLE_LOOKUP(t, i) ((i) >= 0 && (size_t) (i) < ELEMENTSOF(t) ? t[i] : NULL)

const char *pattern_kind_to_string(PatternKind k)
{
        return TABLE_LOOKUP(kind_names, k);
}

const char *pattern_severity_to_string(PatternSeverity s)
{
        return TABLE_LOOKUP(severity_names, s);
}

const char *pattern_op_to_string(PatternOp op)
{
        return TABLE_LOOKUP(op_names, op);
}

const char *pattern_aggregate_to_string(PatternAggregate a)
{
        return TABLE_LOOKUP(aggregate_names, a);
}

const char *pattern_proc_state_to_string(PatternProcState s)
{
        return TABLE_LOOKUP(proc_state_names, s);
}

/* --- construction --- */

Pattern *pattern_new(void)
{
        Pattern *p = xnew0(Pattern, 1);

        p->kind = PATTERN_KIND_METRIC;
        p->severity = PATTERN_SEVERITY_WARNING;
        p->match = PATTERN_MATCH_ALL;
        p->origin = PATTERN_ORIGIN_MANUAL;
        p->created_ms = p->updated_ms = PATTERN_TIME_UNSET;
        p->support.first_seen_ms = p->support.last_seen_ms = PATTERN_TIME_UNSET;
        return p;
}

void pattern_condition_init(PatternCondition *c, PatternCondType type)
{
        *c = (PatternCondition){
                .type = type,
                .window_ms = PATTERN_WINDOW_DEFAULT_MS,
                .aggregate = PATTERN_AGGREGATE_AVG,
                .op = PATTERN_OP_GT,
                .min_count = 1,
                .lift = NAN,
                .normal_rate = NAN,
                .anomalous_rate = NAN,
                .state = PATTERN_PROC_RUNNING,
        };
}

static void condition_done(PatternCondition *c)
{
        free(c->metric);
        for (size_t i = 0; i < c->n_labels; i++) {
                free(c->labels[i].key);
                free(c->labels[i].value);
        }
        free(c->labels);
        free(c->threshold_rule);
        json_decref(c->normal.extra);
        json_decref(c->anomalous.extra);
        free(c->source);
        free(c->match);
        free(c->process);
        json_decref(c->extra);
}

Pattern *pattern_free(Pattern *p)
{
        if (!p)
                return NULL;
        free(p->id);
        free(p->name);
        free(p->description);
        free(p->subject);
        for (size_t i = 0; i < p->n_conditions; i++)
                condition_done(&p->conditions[i]);
        free(p->conditions);
        for (size_t i = 0; i < p->n_evidence; i++) {
                free(p->evidence[i].source);
                free(p->evidence[i].text);
                json_decref(p->evidence[i].extra);
        }
        free(p->evidence);
        free(p->support.anomalies);
        json_decref(p->support.extra);
        for (size_t i = 0; i < p->n_advice; i++)
                free(p->advice[i]);
        free(p->advice);
        free(p->advice_source);
        json_decref(p->extra);
        free(p);
        return NULL;
}

/* --- errors --- */

/* "<name>: <path>: <why>"; either prefix may be missing. Returns r. */
_printf_(5, 6) static int fail(int r, char **reterr, const char *name, const char *path,
                               const char *fmt, ...)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        va_list ap;

        if (name)
                (void) strbuf_printf(&b, "%s: ", name);
        if (path && path[0])
                (void) strbuf_printf(&b, "%s: ", path);
        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (reterr)
                *reterr = strbuf_steal(&b);
        return r;
}

/* A user string fit for a message: at most 64 bytes, control characters and quotes as '?'. */
static char *quote(const char *s)
{
        size_t n = strlen(s), max = 64;
        char *q = xmalloc(MIN(n, max) + 4);
        size_t i;

        for (i = 0; i < n && i < max; i++)
                q[i] = ((unsigned char) s[i] < 0x20 || s[i] == 0x7f || s[i] == '\'') ? '?' : s[i];
        if (n > max) {
                memcpy(q + i, "...", 3);
                i += 3;
        }
        q[i] = '\0';
        return q;
}

static const char *type_name(const json_t *j)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        default:
                return "null";
        }
}

/* --- parsing --- */

typedef struct Ctx {
        const char *name;
        char **reterr;
} Ctx;

static char *path_key(const char *parent, const char *key)
{
        return parent && parent[0] ? xasprintf("%s.%s", parent, key) : xstrdup(key);
}

static char *path_index(const char *parent, size_t i)
{
        return xasprintf("%s[%zu]", parent, i);
}

static int expected(Ctx *c, const char *path, const char *what, const json_t *got)
{
        return fail(-EINVAL, c->reterr, c->name, path, "expected %s, got %s", what, type_name(got));
}

/* Checks obj's keys against allowed (NULL-terminated) and moves "x-" keys into *extra. */
static int check_keys(Ctx *c, const json_t *obj, const char *path, const char *const *allowed,
                      json_t **extra)
{
        const char *key;
        json_t *v;

        json_object_foreach((json_t *) obj, key, v)
        {
                if (strncmp(key, "x-", 2) == 0) {
                        if (!*extra)
                                *extra = json_object();
                        (void) json_object_set(*extra, key, v);
                        continue;
                }
                bool ok = false;
                for (size_t i = 0; allowed[i] && !ok; i++)
                        ok = streq(allowed[i], key);
                if (!ok) {
                        _cleanup_free_ char *q = quote(key);
                        _cleanup_free_ char *p = path_key(path, q);
                        return fail(-EINVAL, c->reterr, c->name, p,
                                    "unknown key (only keys starting with 'x-' may be added)");
                }
        }
        return 0;
}

/* Looks up key; 0 and *ret = NULL when absent and optional. */
static int get(Ctx *c, const json_t *obj, const char *path, const char *key, bool required,
               json_t **ret)
{
        json_t *v = json_object_get(obj, key);

        *ret = v;
        if (!v && required) {
                _cleanup_free_ char *p = path_key(path, key);
                return fail(-EINVAL, c->reterr, c->name, p, "missing (required)");
        }
        return 0;
}

static int get_string(Ctx *c, const json_t *obj, const char *path, const char *key, bool required,
                      char **ret)
{
        json_t *v;
        int r = get(c, obj, path, key, required, &v);
        if (r < 0 || !v)
                return r;
        if (!json_is_string(v)) {
                _cleanup_free_ char *p = path_key(path, key);
                return expected(c, p, "a string", v);
        }
        /* jansson refuses \u0000 without JSON_ALLOW_NUL, so the length is the C length. */
        free(*ret);
        *ret = xstrdup(json_string_value(v));
        return 0;
}

static int get_number(Ctx *c, const json_t *obj, const char *path, const char *key, bool required,
                      double *ret)
{
        json_t *v;
        int r = get(c, obj, path, key, required, &v);
        if (r < 0 || !v)
                return r;
        if (!json_is_number(v)) {
                _cleanup_free_ char *p = path_key(path, key);
                return expected(c, p, "a number", v);
        }
        *ret = json_number_value(v);
        return 0;
}

static int get_count(Ctx *c, const json_t *obj, const char *path, const char *key, bool required,
                     uint64_t *ret)
{
        json_t *v;
        int r = get(c, obj, path, key, required, &v);
        if (r < 0 || !v)
                return r;
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
                _cleanup_free_ char *p = path_key(path, key);
                if (json_is_integer(v))
                        return fail(-EINVAL, c->reterr, c->name, p,
                                    "expected a non-negative integer, got %" JSON_INTEGER_FORMAT,
                                    json_integer_value(v));
                return expected(c, p, "a non-negative integer", v);
        }
        *ret = (uint64_t) json_integer_value(v);
        return 0;
}

static int get_bool(Ctx *c, const json_t *obj, const char *path, const char *key, bool *ret)
{
        json_t *v;
        int r = get(c, obj, path, key, false, &v);
        if (r < 0 || !v)
                return r;
        if (!json_is_boolean(v)) {
                _cleanup_free_ char *p = path_key(path, key);
                return expected(c, p, "true or false", v);
        }
        *ret = json_is_true(v);
        return 0;
}

static int get_enum(Ctx *c, const json_t *obj, const char *path, const char *key, bool required,
                    const char *const *names, size_t n, int *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = get_string(c, obj, path, key, required, &s);
        if (r < 0 || !s)
                return r;
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], s)) {
                        *ret = (int) i;
                        return 0;
                }
        _cleanup_(strbuf_done) StrBuf list = {};
        for (size_t i = 0; i < n; i++)
                (void) strbuf_printf(&list, "%s%s", i ? ", " : "", names[i]);
        _cleanup_free_ char *p = path_key(path, key);
        _cleanup_free_ char *q = quote(s);
        return fail(-EINVAL, c->reterr, c->name, p, "'%s' is not one of %s", q, strbuf_str(&list));
}

#define GET_ENUM(c, obj, path, key, required, names, ret)                                        \
        ({                                                                                       \
                int _v_ = (int) *(ret);                                                          \
                int _r_ = get_enum(c, obj, path, key, required, names, ELEMENTSOF(names), &_v_); \
                *(ret) = (typeof(*(ret))) _v_;                                                   \
                _r_;                                                                             \
        })

static int get_duration(Ctx *c, const json_t *obj, const char *path, const char *key, int64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = get_string(c, obj, path, key, false, &s);
        if (r < 0 || !s)
                return r;
        if (time_parse_duration_ms(s, ret) < 0) {
                _cleanup_free_ char *p = path_key(path, key);
                _cleanup_free_ char *q = quote(s);
                return fail(-EINVAL, c->reterr, c->name, p,
                            "'%s' is not a duration (like \"30s\", \"5m\", \"1h\")", q);
        }
        return 0;
}

static int digits(const char **s, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++, (*s)++) {
                if (**s < '0' || **s > '9')
                        return -EINVAL;
                v = v * 10 + (**s - '0');
        }
        *ret = v;
        return 0;
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)", years 1970..9999; the fraction
 * is kept to the millisecond. */
static int parse_rfc3339(const char *s, int64_t *ret)
{
        int year, mon, day, hour, min, sec, oh = 0, om = 0, ms = 0;

        if (digits(&s, 4, &year) < 0 || *s++ != '-' || digits(&s, 2, &mon) < 0 || *s++ != '-' ||
            digits(&s, 2, &day) < 0 || (*s != 'T' && *s != 't'))
                return -EINVAL;
        s++;
        if (digits(&s, 2, &hour) < 0 || *s++ != ':' || digits(&s, 2, &min) < 0 || *s++ != ':' ||
            digits(&s, 2, &sec) < 0)
                return -EINVAL;
        if (*s == '.') {
                int nd = 0;
                for (s++; *s >= '0' && *s <= '9'; s++, nd++)
                        if (nd < 3)
                                ms = ms * 10 + (*s - '0');
                if (nd == 0)
                        return -EINVAL;
                for (; nd < 3; nd++)
                        ms *= 10;
        }
        int sign = 0;
        if (*s == 'Z' || *s == 'z')
                s++;
        else if (*s == '+' || *s == '-') {
                sign = *s++ == '+' ? 1 : -1;
                if (digits(&s, 2, &oh) < 0 || *s++ != ':' || digits(&s, 2, &om) < 0)
                        return -EINVAL;
        } else
                return -EINVAL;
        if (*s != '\0')
                return -EINVAL;
        if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
            sec > 60 || oh > 23 || om > 59)
                return -EINVAL;
        struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day};
        time_t t = timegm(&tm);
        if (t == (time_t) -1 || tm.tm_mday != day) /* timegm normalises 31 February */
                return -EINVAL;
        int64_t secs = (int64_t) t + hour * 3600 + min * 60 + sec - sign * (oh * 3600 + om * 60);
        *ret = secs * 1000 + ms;
        return 0;
}

static int get_time(Ctx *c, const json_t *obj, const char *path, const char *key, int64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = get_string(c, obj, path, key, false, &s);
        if (r < 0 || !s)
                return r;
        if (parse_rfc3339(s, ret) < 0) {
                _cleanup_free_ char *p = path_key(path, key);
                _cleanup_free_ char *q = quote(s);
                return fail(-EINVAL, c->reterr, c->name, p,
                            "'%s' is not an RFC 3339 time (like \"2026-11-21T21:01:00Z\")", q);
        }
        return 0;
}

static int get_typed(Ctx *c, const json_t *obj, const char *path, const char *key, bool required,
                     json_type type, const char *what, json_t **ret)
{
        int r = get(c, obj, path, key, required, ret);
        if (r < 0 || !*ret)
                return r;
        if (json_typeof(*ret) != type) {
                _cleanup_free_ char *p = path_key(path, key);
                return expected(c, p, what, *ret);
        }
        return 0;
}

static int parse_stats(Ctx *c, const json_t *obj, const char *path, const char *key,
                       PatternStats *st)
{
        static const char *const keys[] = {"n", "mean", "sd", "p10", "p50", "p90", "p99", NULL};
        json_t *o;
        int r = get_typed(c, obj, path, key, false, JSON_OBJECT, "an object", &o);
        if (r < 0 || !o)
                return r;
        _cleanup_free_ char *p = path_key(path, key);
        st->set = true;
        if ((r = check_keys(c, o, p, keys, &st->extra)) < 0 ||
            (r = get_count(c, o, p, "n", true, &st->n)) < 0 ||
            (r = get_number(c, o, p, "mean", true, &st->mean)) < 0 ||
            (r = get_number(c, o, p, "sd", true, &st->sd)) < 0 ||
            (r = get_number(c, o, p, "p10", true, &st->p10)) < 0 ||
            (r = get_number(c, o, p, "p50", true, &st->p50)) < 0 ||
            (r = get_number(c, o, p, "p90", true, &st->p90)) < 0 ||
            (r = get_number(c, o, p, "p99", true, &st->p99)) < 0)
                return r;
        return 0;
}

static int label_cmp(const void *a, const void *b)
{
        return strcmp(((const PatternLabel *) a)->key, ((const PatternLabel *) b)->key);
}

static int parse_condition(Ctx *c, const json_t *o, const char *path, PatternCondition *cond)
{
        static const char *const metric_keys[] = {
                "type",      "metric",         "labels", "aggregate", "window", "op",
                "threshold", "threshold_rule", "normal", "anomalous", NULL};
        static const char *const log_keys[] = {
                "type",      "source", "match",       "regex",          "window",
                "min_count", "lift",   "normal_rate", "anomalous_rate", NULL};
        static const char *const process_keys[] = {"type", "process", "state", NULL};
        PatternCondType type = PATTERN_COND_METRIC;
        int r;

        if (!json_is_object(o))
                return expected(c, path, "an object", o);
        if ((r = GET_ENUM(c, o, path, "type", true, cond_names, &type)) < 0)
                return r;
        pattern_condition_init(cond, type);
        switch (type) {
        case PATTERN_COND_METRIC: {
                json_t *labels;
                if ((r = check_keys(c, o, path, metric_keys, &cond->extra)) < 0 ||
                    (r = get_string(c, o, path, "metric", true, &cond->metric)) < 0 ||
                    (r = get_typed(c, o, path, "labels", false, JSON_OBJECT, "an object",
                                   &labels)) < 0 ||
                    (r = GET_ENUM(c, o, path, "aggregate", false, aggregate_names,
                                  &cond->aggregate)) < 0 ||
                    (r = get_duration(c, o, path, "window", &cond->window_ms)) < 0 ||
                    (r = GET_ENUM(c, o, path, "op", true, op_names, &cond->op)) < 0 ||
                    (r = get_number(c, o, path, "threshold", true, &cond->threshold)) < 0 ||
                    (r = get_string(c, o, path, "threshold_rule", false, &cond->threshold_rule)) <
                            0 ||
                    (r = parse_stats(c, o, path, "normal", &cond->normal)) < 0 ||
                    (r = parse_stats(c, o, path, "anomalous", &cond->anomalous)) < 0)
                        return r;
                if (labels) {
                        _cleanup_free_ char *lp = path_key(path, "labels");
                        size_t n = json_object_size(labels);
                        if (n > PATTERN_LABELS_MAX)
                                return fail(-EINVAL, c->reterr, c->name, lp,
                                            "too many labels (%zu, at most %d)", n,
                                            PATTERN_LABELS_MAX);
                        const char *k;
                        json_t *v;
                        cond->labels = xnew0(PatternLabel, n ? n : 1);
                        json_object_foreach(labels, k, v)
                        {
                                if (!json_is_string(v)) {
                                        _cleanup_free_ char *q = quote(k);
                                        _cleanup_free_ char *p = path_key(lp, q);
                                        return expected(c, p, "a string", v);
                                }
                                cond->labels[cond->n_labels++] = (PatternLabel){
                                        .key = xstrdup(k),
                                        .value = xstrdup(json_string_value(v)),
                                };
                        }
                        qsort(cond->labels, cond->n_labels, sizeof(*cond->labels), label_cmp);
                }
                break;
        }
        case PATTERN_COND_LOG:
                if ((r = check_keys(c, o, path, log_keys, &cond->extra)) < 0 ||
                    (r = get_string(c, o, path, "source", true, &cond->source)) < 0 ||
                    (r = get_string(c, o, path, "match", true, &cond->match)) < 0 ||
                    (r = get_bool(c, o, path, "regex", &cond->regex)) < 0 ||
                    (r = get_duration(c, o, path, "window", &cond->window_ms)) < 0 ||
                    (r = get_count(c, o, path, "min_count", false, &cond->min_count)) < 0 ||
                    (r = get_number(c, o, path, "lift", false, &cond->lift)) < 0 ||
                    (r = get_number(c, o, path, "normal_rate", false, &cond->normal_rate)) < 0 ||
                    (r = get_number(c, o, path, "anomalous_rate", false, &cond->anomalous_rate)) <
                            0)
                        return r;
                break;
        case PATTERN_COND_PROCESS:
                if ((r = check_keys(c, o, path, process_keys, &cond->extra)) < 0 ||
                    (r = get_string(c, o, path, "process", true, &cond->process)) < 0 ||
                    (r = GET_ENUM(c, o, path, "state", false, proc_state_names, &cond->state)) < 0)
                        return r;
                break;
        default:
                assert(false);
        }
        return 0;
}

static int parse_evidence(Ctx *c, const json_t *o, const char *path, PatternEvidence *e)
{
        static const char *const keys[] = {"source",       "text", "keyword", "anomalous_count",
                                           "normal_count", "lift", NULL};
        int r;

        *e = (PatternEvidence){.lift = NAN};
        if (!json_is_object(o))
                return expected(c, path, "an object", o);
        if ((r = check_keys(c, o, path, keys, &e->extra)) < 0 ||
            (r = get_string(c, o, path, "source", true, &e->source)) < 0 ||
            (r = get_string(c, o, path, "text", true, &e->text)) < 0 ||
            (r = get_bool(c, o, path, "keyword", &e->keyword)) < 0 ||
            (r = get_count(c, o, path, "anomalous_count", false, &e->anomalous_count)) < 0 ||
            (r = get_count(c, o, path, "normal_count", false, &e->normal_count)) < 0 ||
            (r = get_number(c, o, path, "lift", false, &e->lift)) < 0)
                return r;
        return 0;
}

static int parse_support(Ctx *c, const json_t *root, PatternSupport *s)
{
        static const char *const keys[] = {"count", "first_seen", "last_seen", "anomalies", NULL};
        json_t *o, *a;
        int r = get_typed(c, root, NULL, "support", false, JSON_OBJECT, "an object", &o);
        if (r < 0 || !o)
                return r;
        s->set = true;
        if ((r = check_keys(c, o, "support", keys, &s->extra)) < 0 ||
            (r = get_count(c, o, "support", "count", false, &s->count)) < 0 ||
            (r = get_time(c, o, "support", "first_seen", &s->first_seen_ms)) < 0 ||
            (r = get_time(c, o, "support", "last_seen", &s->last_seen_ms)) < 0 ||
            (r = get_typed(c, o, "support", "anomalies", false, JSON_ARRAY, "an array", &a)) < 0)
                return r;
        if (!a)
                return 0;
        size_t n = json_array_size(a);
        if (n > PATTERN_ANOMALIES_MAX)
                return fail(-EINVAL, c->reterr, c->name, "support.anomalies",
                            "too many anomaly ids (%zu, at most %d)", n, PATTERN_ANOMALIES_MAX);
        s->anomalies = xnew0(int64_t, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
                json_t *v = json_array_get(a, i);
                if (!json_is_integer(v) || json_integer_value(v) < 1) {
                        _cleanup_free_ char *p = path_index("support.anomalies", i);
                        return expected(c, p, "a positive integer (an anomaly id)", v);
                }
                s->anomalies[s->n_anomalies++] = json_integer_value(v);
        }
        return 0;
}

static int parse_root(Ctx *c, const json_t *root, Pattern *p)
{
        static const char *const keys[] = {
                "schema_version", "id",     "name",       "description", "kind",    "subject",
                "severity",       "match",  "conditions", "evidence",    "support", "advice",
                "advice_source",  "origin", "created",    "updated",     NULL};
        json_t *v, *a;
        int r;

        if (!json_is_object(root))
                return fail(-EINVAL, c->reterr, c->name, NULL,
                            "expected an object at the top level, got %s", type_name(root));
        if ((r = check_keys(c, root, NULL, keys, &p->extra)) < 0 ||
            (r = get_typed(c, root, NULL, "schema_version", true, JSON_INTEGER, "an integer", &v)) <
                    0)
                return r;
        if (json_integer_value(v) != PATTERN_SCHEMA_VERSION)
                return fail(-EINVAL, c->reterr, c->name, "schema_version",
                            "%" JSON_INTEGER_FORMAT " is not supported (this aiops reads %d)",
                            json_integer_value(v), PATTERN_SCHEMA_VERSION);
        if ((r = get_string(c, root, NULL, "id", true, &p->id)) < 0)
                return r;
        /* Checked at once so that later messages can trust it. */
        if (!pattern_id_is_valid(p->id)) {
                _cleanup_free_ char *q = quote(p->id);
                return fail(-EINVAL, c->reterr, c->name, "id",
                            "'%s' is not a valid id (lower-case letters, digits and '-', at "
                            "most 64)",
                            q);
        }
        if ((r = get_string(c, root, NULL, "name", true, &p->name)) < 0 ||
            (r = get_string(c, root, NULL, "description", false, &p->description)) < 0 ||
            (r = GET_ENUM(c, root, NULL, "kind", true, kind_names, &p->kind)) < 0 ||
            (r = get_string(c, root, NULL, "subject", true, &p->subject)) < 0 ||
            (r = GET_ENUM(c, root, NULL, "severity", false, severity_names, &p->severity)) < 0 ||
            (r = GET_ENUM(c, root, NULL, "match", false, match_names, &p->match)) < 0 ||
            (r = get_typed(c, root, NULL, "conditions", true, JSON_ARRAY, "an array", &a)) < 0)
                return r;

        size_t n = json_array_size(a);
        if (n < 1 || n > PATTERN_CONDITIONS_MAX)
                return fail(-EINVAL, c->reterr, c->name, "conditions",
                            "%zu conditions (expected 1 to %d)", n, PATTERN_CONDITIONS_MAX);
        p->conditions = xnew0(PatternCondition, n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = path_index("conditions", i);
                p->n_conditions++; /* so that pattern_free() sees what parse_condition() set */
                r = parse_condition(c, json_array_get(a, i), path, &p->conditions[i]);
                if (r < 0)
                        return r;
        }

        if ((r = get_typed(c, root, NULL, "evidence", false, JSON_ARRAY, "an array", &a)) < 0)
                return r;
        if (a) {
                n = json_array_size(a);
                if (n > PATTERN_EVIDENCE_MAX)
                        return fail(-EINVAL, c->reterr, c->name, "evidence",
                                    "%zu items (at most %d)", n, PATTERN_EVIDENCE_MAX);
                p->evidence = xnew0(PatternEvidence, n ? n : 1);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *path = path_index("evidence", i);
                        p->n_evidence++;
                        r = parse_evidence(c, json_array_get(a, i), path, &p->evidence[i]);
                        if (r < 0)
                                return r;
                }
        }

        if ((r = parse_support(c, root, &p->support)) < 0 ||
            (r = get_typed(c, root, NULL, "advice", false, JSON_ARRAY, "an array", &a)) < 0)
                return r;
        if (a) {
                n = json_array_size(a);
                if (n > PATTERN_ADVICE_MAX)
                        return fail(-EINVAL, c->reterr, c->name, "advice", "%zu items (at most %d)",
                                    n, PATTERN_ADVICE_MAX);
                p->advice = xnew0(char *, n ? n : 1);
                for (size_t i = 0; i < n; i++) {
                        json_t *v2 = json_array_get(a, i);
                        if (!json_is_string(v2)) {
                                _cleanup_free_ char *path = path_index("advice", i);
                                return expected(c, path, "a string", v2);
                        }
                        p->advice[p->n_advice++] = xstrdup(json_string_value(v2));
                }
        }

        if ((r = get_string(c, root, NULL, "advice_source", false, &p->advice_source)) < 0 ||
            (r = GET_ENUM(c, root, NULL, "origin", false, origin_names, &p->origin)) < 0 ||
            (r = get_time(c, root, NULL, "created", &p->created_ms)) < 0 ||
            (r = get_time(c, root, NULL, "updated", &p->updated_ms)) < 0)
                return r;
        return 0;
}

int pattern_from_json(const char *text, size_t len, const char *name, Pattern **ret, char **reterr)
{
        _cleanup_(pattern_freep) Pattern *p = NULL;
        json_error_t jerr;
        Ctx c = {.name = name ? name : "<pattern>", .reterr = reterr};

        assert(text || len == 0);
        assert(ret);
        if (len > PATTERN_FILE_MAX)
                return fail(-EFBIG, reterr, c.name, NULL, "too large (%zu bytes, at most %d)", len,
                            PATTERN_FILE_MAX);
        /* Duplicate keys are refused: the second of two "threshold" keys would silently win. */
        _cleanup_(json_decrefp) json_t *root =
                json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return fail(-EINVAL, reterr, NULL, NULL, "%s:%d:%d: invalid JSON: %s", c.name,
                            jerr.line, jerr.column,
                            json_error_code(&jerr) == json_error_null_character
                                    ? "NUL characters (\\u0000) are not allowed in strings"
                                    : jerr.text);

        p = pattern_new();
        int r = parse_root(&c, root, p);
        if (r < 0)
                return r;
        r = pattern_validate(p, c.name, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

/* --- validation --- */

bool pattern_id_is_valid(const char *id)
{
        size_t n;

        if (!id || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
                return false;
        for (n = 1; id[n]; n++)
                if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9') ||
                      id[n] == '-'))
                        return false;
        return n <= PATTERN_ID_MAX;
}

static bool has_control(const char *s, bool allow_tab_newline)
{
        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;
                if (allow_tab_newline && (ch == '\t' || ch == '\n'))
                        continue;
                if (ch < 0x20 || ch == 0x7f)
                        return true;
        }
        return false;
}

/* A string field: present unless optional, at most max bytes, no control characters
 * (tab and newline allowed in prose). */
static int check_text(Ctx *c, const char *path, const char *s, bool required, size_t max,
                      bool prose)
{
        if (!s)
                return required ? fail(-EINVAL, c->reterr, c->name, path, "missing (required)") : 0;
        size_t n = strlen(s);
        if (n == 0 && required)
                return fail(-EINVAL, c->reterr, c->name, path, "must not be empty");
        if (n > max)
                return fail(-EINVAL, c->reterr, c->name, path, "too long (%zu bytes, at most %zu)",
                            n, max);
        if (has_control(s, prose))
                return fail(-EINVAL, c->reterr, c->name, path, "contains control characters");
        return 0;
}

static int check_finite(Ctx *c, const char *path, double v, bool optional, bool non_negative)
{
        if (optional && isnan(v))
                return 0;
        if (!isfinite(v))
                return fail(-EINVAL, c->reterr, c->name, path, "must be a finite number");
        if (non_negative && v < 0)
                return fail(-EINVAL, c->reterr, c->name, path, "must not be negative, got %g", v);
        return 0;
}

static int check_count(Ctx *c, const char *path, uint64_t v)
{
        if (v > COUNT_MAX)
                return fail(-EINVAL, c->reterr, c->name, path,
                            "too large (%" PRIu64 ", at most 2^53)", v);
        return 0;
}

static int check_extra(Ctx *c, const char *path, const json_t *extra)
{
        const char *key;
        json_t *v;

        if (!extra)
                return 0;
        if (!json_is_object(extra))
                return fail(-EINVAL, c->reterr, c->name, path, "notes must be a JSON object");
        json_object_foreach((json_t *) extra, key, v) if (strncmp(key, "x-", 2) != 0)
        {
                _cleanup_free_ char *q = quote(key);
                _cleanup_free_ char *p = path_key(path, q);
                return fail(-EINVAL, c->reterr, c->name, p,
                            "unknown key (only keys starting with 'x-' may be added)");
        }
        return 0;
}

/* Prometheus: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*. */
static bool prom_name_is_valid(const char *s, bool colon)
{
        if (!s[0] || strlen(s) > NAME_MAX_BYTES)
                return false;
        for (size_t i = 0; s[i]; i++) {
                char ch = s[i];
                bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                          (colon && ch == ':') || (i > 0 && ch >= '0' && ch <= '9');
                if (!ok)
                        return false;
        }
        return true;
}

/* The largest unit that divides ms exactly, so that "90s" stays "90s" and "1h" stays "1h". */
static const char *format_duration(int64_t ms, char *buf, size_t n)
{
        static const struct {
                int64_t ms;
                const char *unit;
        } units[] = {{MSEC_PER_DAY, "d"},
                     {MSEC_PER_HOUR, "h"},
                     {MSEC_PER_MIN, "m"},
                     {MSEC_PER_SEC, "s"}};

        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (ms > 0 && ms % units[i].ms == 0) {
                        snprintf(buf, n, "%" PRId64 "%s", ms / units[i].ms, units[i].unit);
                        return buf;
                }
        snprintf(buf, n, "%" PRId64 "ms", ms);
        return buf;
}

static int check_window(Ctx *c, const char *path, int64_t ms)
{
        if (ms < PATTERN_WINDOW_MIN_MS || ms > PATTERN_WINDOW_MAX_MS) {
                char buf[64];
                return fail(-EINVAL, c->reterr, c->name, path, "%s is out of range (1s to 7d)",
                            format_duration(ms, buf, sizeof(buf)));
        }
        return 0;
}

static int check_stats(Ctx *c, const char *path, const char *key, const PatternStats *st)
{
        if (!st->set)
                return 0;
        _cleanup_free_ char *p = path_key(path, key);
        const double v[] = {st->mean, st->sd, st->p10, st->p50, st->p90, st->p99};
        static const char *const names[] = {"mean", "sd", "p10", "p50", "p90", "p99"};
        int r = check_count(c, p, st->n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *fp = path_key(p, names[i]);
                r = check_finite(c, fp, v[i], false, i == 1);
                if (r < 0)
                        return r;
        }
        return check_extra(c, p, st->extra);
}

static int check_regex(Ctx *c, const char *path, const char *re)
{
        int code;
        PCRE2_SIZE off;
        pcre2_code *rc =
                pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
        if (rc) {
                pcre2_code_free(rc);
                return 0;
        }
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
                snprintf((char *) msg, sizeof(msg), "error %d", code);
        return fail(-EINVAL, c->reterr, c->name, path,
                    "invalid regular expression at offset %zu: %s", (size_t) off, (char *) msg);
}

static int validate_condition(Ctx *c, const PatternCondition *cond, const char *path)
{
        _cleanup_free_ char *pw = path_key(path, "window");
        int r;

        switch (cond->type) {
        case PATTERN_COND_METRIC: {
                _cleanup_free_ char *pm = path_key(path, "metric");
                _cleanup_free_ char *pl = path_key(path, "labels");
                _cleanup_free_ char *pt = path_key(path, "threshold");
                _cleanup_free_ char *pr = path_key(path, "threshold_rule");
                if (!cond->metric)
                        return fail(-EINVAL, c->reterr, c->name, pm, "missing (required)");
                if (!prom_name_is_valid(cond->metric, true)) {
                        _cleanup_free_ char *q = quote(cond->metric);
                        return fail(-EINVAL, c->reterr, c->name, pm,
                                    "'%s' is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
                                    q);
                }
                if (cond->n_labels > PATTERN_LABELS_MAX)
                        return fail(-EINVAL, c->reterr, c->name, pl,
                                    "too many labels (%zu, at most %d)", cond->n_labels,
                                    PATTERN_LABELS_MAX);
                for (size_t i = 0; i < cond->n_labels; i++) {
                        const PatternLabel *l = &cond->labels[i];
                        _cleanup_free_ char *q = quote(l->key ? l->key : "");
                        _cleanup_free_ char *pk = path_key(pl, q);
                        if (!l->key || !prom_name_is_valid(l->key, false) ||
                            strncmp(l->key, "__", 2) == 0)
                                return fail(-EINVAL, c->reterr, c->name, pk,
                                            "not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, "
                                            "not starting with '__')");
                        if (i > 0 && strcmp(cond->labels[i - 1].key, l->key) >= 0)
                                return fail(-EINVAL, c->reterr, c->name, pk,
                                            "labels must be sorted by name and unique");
                        if ((r = check_text(c, pk, l->value, true, PATTERN_STRING_MAX, false)) < 0)
                                return r;
                }
                if (cond->aggregate < 0 || cond->aggregate >= _PATTERN_AGGREGATE_MAX ||
                    cond->op < 0 || cond->op >= _PATTERN_OP_MAX)
                        return fail(-EINVAL, c->reterr, c->name, path, "invalid aggregate or op");
                if ((r = check_window(c, pw, cond->window_ms)) < 0 ||
                    (r = check_finite(c, pt, cond->threshold, false, false)) < 0 ||
                    (r = check_text(c, pr, cond->threshold_rule, false, PATTERN_STRING_MAX, true)) <
                            0 ||
                    (r = check_stats(c, path, "normal", &cond->normal)) < 0 ||
                    (r = check_stats(c, path, "anomalous", &cond->anomalous)) < 0)
                        return r;
                break;
        }
        case PATTERN_COND_LOG: {
                _cleanup_free_ char *ps = path_key(path, "source");
                _cleanup_free_ char *pm = path_key(path, "match");
                _cleanup_free_ char *pc = path_key(path, "min_count");
                _cleanup_free_ char *p1 = path_key(path, "lift");
                _cleanup_free_ char *p2 = path_key(path, "normal_rate");
                _cleanup_free_ char *p3 = path_key(path, "anomalous_rate");
                if ((r = check_text(c, ps, cond->source, true, NAME_MAX_BYTES, false)) < 0 ||
                    (r = check_text(c, pm, cond->match, true, PATTERN_STRING_MAX, false)) < 0 ||
                    (cond->regex && (r = check_regex(c, pm, cond->match)) < 0) ||
                    (r = check_window(c, pw, cond->window_ms)) < 0)
                        return r;
                if (cond->min_count < 1 || cond->min_count > COUNT_MAX)
                        return fail(-EINVAL, c->reterr, c->name, pc,
                                    "must be at least 1 (and at most 2^53)");
                if ((r = check_finite(c, p1, cond->lift, true, true)) < 0 ||
                    (r = check_finite(c, p2, cond->normal_rate, true, true)) < 0 ||
                    (r = check_finite(c, p3, cond->anomalous_rate, true, true)) < 0)
                        return r;
                break;
        }
        case PATTERN_COND_PROCESS: {
                _cleanup_free_ char *pp = path_key(path, "process");
                if ((r = check_text(c, pp, cond->process, true, NAME_MAX_BYTES, false)) < 0)
                        return r;
                if (cond->state < 0 || cond->state >= _PATTERN_PROC_MAX)
                        return fail(-EINVAL, c->reterr, c->name, path, "invalid state");
                break;
        }
        default:
                return fail(-EINVAL, c->reterr, c->name, path, "invalid condition type");
        }
        return check_extra(c, path, cond->extra);
}

static int validate_subject(Ctx *c, const char *s)
{
        const char *rest = NULL;

        if (!s)
                return fail(-EINVAL, c->reterr, c->name, "subject", "missing (required)");
        if (streq(s, "host"))
                return 0;
        if (strncmp(s, "service:", 8) == 0)
                rest = s + 8;
        else if (strncmp(s, "process:", 8) == 0)
                rest = s + 8;
        if (!rest || !rest[0] || strlen(rest) > NAME_MAX_BYTES || has_control(rest, false)) {
                _cleanup_free_ char *q = quote(s);
                return fail(-EINVAL, c->reterr, c->name, "subject",
                            "'%s' is not \"host\", \"service:<name>\" or \"process:<name>\"", q);
        }
        return 0;
}

static int validate_kind(Ctx *c, const Pattern *p)
{
        size_t n[_PATTERN_COND_MAX] = {};
        const char *k = kind_names[p->kind];

        for (size_t i = 0; i < p->n_conditions; i++) {
                PatternCondType t = p->conditions[i].type;
                n[t]++;
                if ((p->kind == PATTERN_KIND_METRIC && t != PATTERN_COND_METRIC) ||
                    (p->kind == PATTERN_KIND_LOG && t != PATTERN_COND_LOG)) {
                        _cleanup_free_ char *path = path_index("conditions", i);
                        return fail(-EINVAL, c->reterr, c->name, path,
                                    "a %s condition in a '%s' pattern (which may only have %s "
                                    "conditions; use kind 'composite')",
                                    cond_names[t], k, k);
                }
        }
        if (p->kind == PATTERN_KIND_COMPOSITE &&
            !((n[PATTERN_COND_METRIC] > 0 && n[PATTERN_COND_LOG] > 0) ||
              n[PATTERN_COND_PROCESS] > 0))
                return fail(-EINVAL, c->reterr, c->name, "kind",
                            "a 'composite' pattern needs at least one metric and one log "
                            "condition, or a process condition");
        if (p->kind == PATTERN_KIND_PROCESS && n[PATTERN_COND_PROCESS] == 0)
                return fail(-EINVAL, c->reterr, c->name, "kind",
                            "a 'process' pattern needs at least one process condition");
        return 0;
}

static int validate_advice_source(Ctx *c, const char *s)
{
        if (!s || streq(s, "generic") || streq(s, "manual"))
                return 0;
        if (strncmp(s, "kb:", 3) == 0 && pattern_id_is_valid(s + 3))
                return 0;
        _cleanup_free_ char *q = quote(s);
        return fail(-EINVAL, c->reterr, c->name, "advice_source",
                    "'%s' is not \"kb:<entry>\", \"generic\" or \"manual\"", q);
}

int pattern_validate(const Pattern *p, const char *name, char **reterr)
{
        Ctx c = {.name = name, .reterr = reterr};
        int r;

        assert(p);
        if (!p->id)
                return fail(-EINVAL, reterr, name, "id", "missing (required)");
        if (!pattern_id_is_valid(p->id)) {
                _cleanup_free_ char *q = quote(p->id);
                return fail(-EINVAL, reterr, name, "id",
                            "'%s' is not a valid id (lower-case letters, digits and '-', at "
                            "most 64)",
                            q);
        }
        if ((r = check_text(&c, "name", p->name, true, PATTERN_NAME_MAX, false)) < 0 ||
            (r = check_text(&c, "description", p->description, false, PATTERN_STRING_MAX, true)) <
                    0)
                return r;
        if (p->kind < 0 || p->kind >= _PATTERN_KIND_MAX)
                return fail(-EINVAL, reterr, name, "kind", "invalid");
        if (p->severity < 0 || p->severity >= _PATTERN_SEVERITY_MAX)
                return fail(-EINVAL, reterr, name, "severity", "invalid");
        if (p->match < 0 || p->match >= _PATTERN_MATCH_MAX)
                return fail(-EINVAL, reterr, name, "match", "invalid");
        if (p->origin < 0 || p->origin >= _PATTERN_ORIGIN_MAX)
                return fail(-EINVAL, reterr, name, "origin", "invalid");
        if ((r = validate_subject(&c, p->subject)) < 0)
                return r;
        if (p->n_conditions < 1 || p->n_conditions > PATTERN_CONDITIONS_MAX)
                return fail(-EINVAL, reterr, name, "conditions",
                            "%zu conditions (expected 1 to %d)", p->n_conditions,
                            PATTERN_CONDITIONS_MAX);
        for (size_t i = 0; i < p->n_conditions; i++) {
                _cleanup_free_ char *path = path_index("conditions", i);
                if ((r = validate_condition(&c, &p->conditions[i], path)) < 0)
                        return r;
        }
        if ((r = validate_kind(&c, p)) < 0)
                return r;
        if (p->n_evidence > PATTERN_EVIDENCE_MAX)
                return fail(-EINVAL, reterr, name, "evidence", "%zu items (at most %d)",
                            p->n_evidence, PATTERN_EVIDENCE_MAX);
        for (size_t i = 0; i < p->n_evidence; i++) {
                const PatternEvidence *e = &p->evidence[i];
                _cleanup_free_ char *path = path_index("evidence", i);
                _cleanup_free_ char *ps = path_key(path, "source");
                _cleanup_free_ char *pt = path_key(path, "text");
                _cleanup_free_ char *pa = path_key(path, "anomalous_count");
                _cleanup_free_ char *pn = path_key(path, "normal_count");
                _cleanup_free_ char *pl = path_key(path, "lift");
                if ((r = check_text(&c, ps, e->source, true, NAME_MAX_BYTES, false)) < 0 ||
                    (r = check_text(&c, pt, e->text, true, PATTERN_STRING_MAX, false)) < 0 ||
                    (r = check_count(&c, pa, e->anomalous_count)) < 0 ||
                    (r = check_count(&c, pn, e->normal_count)) < 0 ||
                    (r = check_finite(&c, pl, e->lift, true, true)) < 0 ||
                    (r = check_extra(&c, path, e->extra)) < 0)
                        return r;
        }
        if (p->support.set) {
                const PatternSupport *s = &p->support;
                if (s->n_anomalies > PATTERN_ANOMALIES_MAX)
                        return fail(-EINVAL, reterr, name, "support.anomalies",
                                    "too many anomaly ids (%zu, at most %d)", s->n_anomalies,
                                    PATTERN_ANOMALIES_MAX);
                for (size_t i = 0; i < s->n_anomalies; i++)
                        if (s->anomalies[i] < 1) {
                                _cleanup_free_ char *path = path_index("support.anomalies", i);
                                return fail(-EINVAL, reterr, name, path,
                                            "expected a positive integer (an anomaly id)");
                        }
                if ((r = check_count(&c, "support.count", s->count)) < 0 ||
                    (r = check_extra(&c, "support", s->extra)) < 0)
                        return r;
                if (s->first_seen_ms != PATTERN_TIME_UNSET &&
                    s->last_seen_ms != PATTERN_TIME_UNSET && s->last_seen_ms < s->first_seen_ms)
                        return fail(-EINVAL, reterr, name, "support.last_seen",
                                    "earlier than first_seen");
        }
        if (p->n_advice > PATTERN_ADVICE_MAX)
                return fail(-EINVAL, reterr, name, "advice", "%zu items (at most %d)", p->n_advice,
                            PATTERN_ADVICE_MAX);
        for (size_t i = 0; i < p->n_advice; i++) {
                _cleanup_free_ char *path = path_index("advice", i);
                if ((r = check_text(&c, path, p->advice[i], true, PATTERN_STRING_MAX, true)) < 0)
                        return r;
        }
        if ((r = validate_advice_source(&c, p->advice_source)) < 0)
                return r;
        /* Times are written as RFC 3339 with a four-digit year. */
        const int64_t tmax = INT64_C(253402300799999); /* 9999-12-31T23:59:59.999Z */
        const int64_t *times[] = {&p->created_ms, &p->updated_ms, &p->support.first_seen_ms,
                                  &p->support.last_seen_ms};
        static const char *const tnames[] = {"created", "updated", "support.first_seen",
                                             "support.last_seen"};
        for (size_t i = 0; i < ELEMENTSOF(times); i++)
                if (*times[i] != PATTERN_TIME_UNSET && (*times[i] < 0 || *times[i] > tmax))
                        return fail(-EINVAL, reterr, name, tnames[i],
                                    "out of range (1970 to 9999)");
        return check_extra(&c, NULL, p->extra);
}

/* --- canonical output --- */

static json_t *jstr(const char *s)
{
        return json_string(s);
}

static int key_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Adds the "x-" keys of extra to o, sorted by key. */
static void add_extra(json_t *o, const json_t *extra)
{
        if (!extra)
                return;
        size_t n = json_object_size(extra), i = 0;
        _cleanup_free_ const char **keys = xnew(const char *, n ? n : 1);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *) extra, k, v) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), key_cmp);
        for (i = 0; i < n; i++)
                (void) json_object_set(o, keys[i], json_object_get(extra, keys[i]));
}

static void add_number(json_t *o, const char *key, double v)
{
        if (!isnan(v))
                (void) json_object_set_new(o, key, json_real(v));
}

static void add_count(json_t *o, const char *key, uint64_t v)
{
        (void) json_object_set_new(o, key, json_integer((json_int_t) v));
}

static void add_time(json_t *o, const char *key, int64_t ms)
{
        char buf[64];

        if (ms != PATTERN_TIME_UNSET)
                (void) json_object_set_new(o, key, jstr(time_format_rfc3339(ms, buf, sizeof(buf))));
}

static json_t *duration_json(int64_t ms)
{
        char buf[64];

        return jstr(format_duration(ms, buf, sizeof(buf)));
}

static json_t *stats_json(const PatternStats *st)
{
        json_t *o = json_object();

        add_count(o, "n", st->n);
        add_number(o, "mean", st->mean);
        add_number(o, "sd", st->sd);
        add_number(o, "p10", st->p10);
        add_number(o, "p50", st->p50);
        add_number(o, "p90", st->p90);
        add_number(o, "p99", st->p99);
        add_extra(o, st->extra);
        return o;
}

static json_t *condition_json(const PatternCondition *c)
{
        json_t *o = json_object();

        (void) json_object_set_new(o, "type", jstr(cond_names[c->type]));
        switch (c->type) {
        case PATTERN_COND_METRIC: {
                (void) json_object_set_new(o, "metric", jstr(c->metric));
                json_t *l = json_object();
                for (size_t i = 0; i < c->n_labels; i++)
                        (void) json_object_set_new(l, c->labels[i].key, jstr(c->labels[i].value));
                (void) json_object_set_new(o, "labels", l);
                (void) json_object_set_new(o, "aggregate", jstr(aggregate_names[c->aggregate]));
                (void) json_object_set_new(o, "window", duration_json(c->window_ms));
                (void) json_object_set_new(o, "op", jstr(op_names[c->op]));
                add_number(o, "threshold", c->threshold);
                if (c->threshold_rule)
                        (void) json_object_set_new(o, "threshold_rule", jstr(c->threshold_rule));
                if (c->normal.set)
                        (void) json_object_set_new(o, "normal", stats_json(&c->normal));
                if (c->anomalous.set)
                        (void) json_object_set_new(o, "anomalous", stats_json(&c->anomalous));
                break;
        }
        case PATTERN_COND_LOG:
                (void) json_object_set_new(o, "source", jstr(c->source));
                (void) json_object_set_new(o, "match", jstr(c->match));
                (void) json_object_set_new(o, "regex", json_boolean(c->regex));
                (void) json_object_set_new(o, "window", duration_json(c->window_ms));
                add_count(o, "min_count", c->min_count);
                add_number(o, "lift", c->lift);
                add_number(o, "normal_rate", c->normal_rate);
                add_number(o, "anomalous_rate", c->anomalous_rate);
                break;
        case PATTERN_COND_PROCESS:
                (void) json_object_set_new(o, "process", jstr(c->process));
                (void) json_object_set_new(o, "state", jstr(proc_state_names[c->state]));
                break;
        default:
                break;
        }
        add_extra(o, c->extra);
        return o;
}

static json_t *pattern_json(const Pattern *p)
{
        json_t *o = json_object(), *a;

        (void) json_object_set_new(o, "schema_version", json_integer(PATTERN_SCHEMA_VERSION));
        (void) json_object_set_new(o, "id", jstr(p->id));
        (void) json_object_set_new(o, "name", jstr(p->name));
        if (p->description)
                (void) json_object_set_new(o, "description", jstr(p->description));
        (void) json_object_set_new(o, "kind", jstr(kind_names[p->kind]));
        (void) json_object_set_new(o, "subject", jstr(p->subject));
        (void) json_object_set_new(o, "severity", jstr(severity_names[p->severity]));
        (void) json_object_set_new(o, "match", jstr(match_names[p->match]));
        a = json_array();
        for (size_t i = 0; i < p->n_conditions; i++)
                (void) json_array_append_new(a, condition_json(&p->conditions[i]));
        (void) json_object_set_new(o, "conditions", a);
        if (p->n_evidence > 0) {
                a = json_array();
                for (size_t i = 0; i < p->n_evidence; i++) {
                        const PatternEvidence *e = &p->evidence[i];
                        json_t *eo = json_object();
                        (void) json_object_set_new(eo, "source", jstr(e->source));
                        (void) json_object_set_new(eo, "text", jstr(e->text));
                        (void) json_object_set_new(eo, "keyword", json_boolean(e->keyword));
                        add_count(eo, "anomalous_count", e->anomalous_count);
                        add_count(eo, "normal_count", e->normal_count);
                        add_number(eo, "lift", e->lift);
                        add_extra(eo, e->extra);
                        (void) json_array_append_new(a, eo);
                }
                (void) json_object_set_new(o, "evidence", a);
        }
        if (p->support.set) {
                const PatternSupport *s = &p->support;
                json_t *so = json_object();
                add_count(so, "count", s->count);
                add_time(so, "first_seen", s->first_seen_ms);
                add_time(so, "last_seen", s->last_seen_ms);
                a = json_array();
                for (size_t i = 0; i < s->n_anomalies; i++)
                        (void) json_array_append_new(a, json_integer(s->anomalies[i]));
                (void) json_object_set_new(so, "anomalies", a);
                add_extra(so, s->extra);
                (void) json_object_set_new(o, "support", so);
        }
        if (p->n_advice > 0) {
                a = json_array();
                for (size_t i = 0; i < p->n_advice; i++)
                        (void) json_array_append_new(a, jstr(p->advice[i]));
                (void) json_object_set_new(o, "advice", a);
        }
        if (p->advice_source)
                (void) json_object_set_new(o, "advice_source", jstr(p->advice_source));
        (void) json_object_set_new(o, "origin", jstr(origin_names[p->origin]));
        add_time(o, "created", p->created_ms);
        add_time(o, "updated", p->updated_ms);
        add_extra(o, p->extra);
        return o;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double; always with a '.'
 * or an exponent, so that it reads back as a real. */
static void emit_real(StrBuf *b, double v)
{
        char buf[64];

        for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        (void) strbuf_puts(b, buf);
        if (!strpbrk(buf, ".eE"))
                (void) strbuf_puts(b, ".0");
}

static void emit_string(StrBuf *b, const char *s)
{
        _cleanup_(json_decrefp) json_t *j = json_string(s);
        _cleanup_free_ char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

        (void) strbuf_puts(b, t ? t : "\"\"");
}

static void emit_indent(StrBuf *b, int indent)
{
        for (int i = 0; i < indent; i++)
                (void) strbuf_putc(b, ' ');
}

static bool is_scalar_array(const json_t *a)
{
        size_t i;
        json_t *v;

        json_array_foreach(a, i, v) if (json_is_object(v) || json_is_array(v)) return false;
        return true;
}

/* 2-space indent like `jq .`, except that arrays of scalars stay on one line. */
static void emit(StrBuf *b, const json_t *j, int indent)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT: {
                const char *k;
                json_t *v;
                bool first = true;
                if (json_object_size(j) == 0) {
                        (void) strbuf_puts(b, "{}");
                        break;
                }
                (void) strbuf_puts(b, "{\n");
                json_object_foreach((json_t *) j, k, v)
                {
                        if (!first)
                                (void) strbuf_puts(b, ",\n");
                        first = false;
                        emit_indent(b, indent + 2);
                        emit_string(b, k);
                        (void) strbuf_puts(b, ": ");
                        emit(b, v, indent + 2);
                }
                (void) strbuf_putc(b, '\n');
                emit_indent(b, indent);
                (void) strbuf_putc(b, '}');
                break;
        }
        case JSON_ARRAY: {
                size_t i;
                json_t *v;
                bool inline_ = is_scalar_array(j) && json_array_size(j) <= 16;
                bool has_string = false;
                json_array_foreach(j, i, v) has_string = has_string || json_is_string(v);
                inline_ = inline_ && !has_string;
                if (json_array_size(j) == 0) {
                        (void) strbuf_puts(b, "[]");
                        break;
                }
                (void) strbuf_puts(b, inline_ ? "[" : "[\n");
                json_array_foreach(j, i, v)
                {
                        if (i > 0)
                                (void) strbuf_puts(b, inline_ ? ", " : ",\n");
                        if (!inline_)
                                emit_indent(b, indent + 2);
                        emit(b, v, indent + 2);
                }
                if (!inline_) {
                        (void) strbuf_putc(b, '\n');
                        emit_indent(b, indent);
                }
                (void) strbuf_putc(b, ']');
                break;
        }
        case JSON_STRING:
                emit_string(b, json_string_value(j));
                break;
        case JSON_INTEGER:
                (void) strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
                break;
        case JSON_REAL:
                emit_real(b, json_real_value(j));
                break;
        case JSON_TRUE:
                (void) strbuf_puts(b, "true");
                break;
        case JSON_FALSE:
                (void) strbuf_puts(b, "false");
                break;
        default:
                (void) strbuf_puts(b, "null");
                break;
        }
}

char *pattern_to_json(const Pattern *p)
{
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_(strbuf_done) StrBuf b = {};

        assert(p && p->id && p->name && p->subject);
        j = pattern_json(p);
        emit(&b, j, 0);
        (void) strbuf_putc(&b, '\n');
        return strbuf_steal(&b);
}

/* --- equality --- */

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static bool dbl_eq(double a, double b)
{
        return (isnan(a) && isnan(b)) || a == b;
}

static bool extra_eq(const json_t *a, const json_t *b)
{
        size_t na = a ? json_object_size(a) : 0, nb = b ? json_object_size(b) : 0;

        if (na == 0 || nb == 0)
                return na == nb;
        return json_equal((json_t *) a, (json_t *) b);
}

static bool stats_eq(const PatternStats *a, const PatternStats *b)
{
        if (a->set != b->set)
                return false;
        return !a->set ||
               (a->n == b->n && dbl_eq(a->mean, b->mean) && dbl_eq(a->sd, b->sd) &&
                dbl_eq(a->p10, b->p10) && dbl_eq(a->p50, b->p50) && dbl_eq(a->p90, b->p90) &&
                dbl_eq(a->p99, b->p99) && extra_eq(a->extra, b->extra));
}

static bool condition_eq(const PatternCondition *a, const PatternCondition *b)
{
        if (a->type != b->type || !extra_eq(a->extra, b->extra))
                return false;
        switch (a->type) {
        case PATTERN_COND_METRIC:
                if (a->n_labels != b->n_labels)
                        return false;
                for (size_t i = 0; i < a->n_labels; i++)
                        if (!str_eq(a->labels[i].key, b->labels[i].key) ||
                            !str_eq(a->labels[i].value, b->labels[i].value))
                                return false;
                return str_eq(a->metric, b->metric) && a->aggregate == b->aggregate &&
                       a->window_ms == b->window_ms && a->op == b->op &&
                       dbl_eq(a->threshold, b->threshold) &&
                       str_eq(a->threshold_rule, b->threshold_rule) &&
                       stats_eq(&a->normal, &b->normal) && stats_eq(&a->anomalous, &b->anomalous);
        case PATTERN_COND_LOG:
                return str_eq(a->source, b->source) && str_eq(a->match, b->match) &&
                       a->regex == b->regex && a->window_ms == b->window_ms &&
                       a->min_count == b->min_count && dbl_eq(a->lift, b->lift) &&
                       dbl_eq(a->normal_rate, b->normal_rate) &&
                       dbl_eq(a->anomalous_rate, b->anomalous_rate);
        case PATTERN_COND_PROCESS:
                return str_eq(a->process, b->process) && a->state == b->state;
        default:
                return true;
        }
}

bool pattern_equal(const Pattern *a, const Pattern *b)
{
        if (!a || !b)
                return a == b;
        if (!str_eq(a->id, b->id) || !str_eq(a->name, b->name) ||
            !str_eq(a->description, b->description) || a->kind != b->kind ||
            !str_eq(a->subject, b->subject) || a->severity != b->severity || a->match != b->match ||
            a->n_conditions != b->n_conditions || a->n_evidence != b->n_evidence ||
            a->n_advice != b->n_advice || !str_eq(a->advice_source, b->advice_source) ||
            a->origin != b->origin || a->created_ms != b->created_ms ||
            a->updated_ms != b->updated_ms || !extra_eq(a->extra, b->extra))
                return false;
        for (size_t i = 0; i < a->n_conditions; i++)
                if (!condition_eq(&a->conditions[i], &b->conditions[i]))
                        return false;
        for (size_t i = 0; i < a->n_evidence; i++) {
                const PatternEvidence *x = &a->evidence[i], *y = &b->evidence[i];
                if (!str_eq(x->source, y->source) || !str_eq(x->text, y->text) ||
                    x->keyword != y->keyword || x->anomalous_count != y->anomalous_count ||
                    x->normal_count != y->normal_count || !dbl_eq(x->lift, y->lift) ||
                    !extra_eq(x->extra, y->extra))
                        return false;
        }
        for (size_t i = 0; i < a->n_advice; i++)
                if (!str_eq(a->advice[i], b->advice[i]))
                        return false;
        const PatternSupport *s = &a->support, *t = &b->support;
        if (s->set != t->set)
                return false;
        if (!s->set)
                return true;
        if (s->count != t->count || s->first_seen_ms != t->first_seen_ms ||
            s->last_seen_ms != t->last_seen_ms || s->n_anomalies != t->n_anomalies ||
            !extra_eq(s->extra, t->extra))
                return false;
        return s->n_anomalies == 0 ||
               memcmp(s->anomalies, t->anomalies, s->n_anomalies * sizeof(*s->anomalies)) == 0;
}

/* --- files --- */

int pattern_load_file(const char *path, Pattern **ret, char **reterr)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        assert(path && ret);
        /* O_NONBLOCK: a FIFO dropped into patterns/ must not hang the loader. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return fail(-errno, reterr, path, NULL, "cannot open: %s", strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0)
                return fail(-errno, reterr, path, NULL, "cannot stat: %s", strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(-EINVAL, reterr, path, NULL, "not a regular file");
        /* One byte more than allowed tells "too large" from "exactly the limit". */
        buf = xmalloc(PATTERN_FILE_MAX + 1);
        for (;;) {
                ssize_t n = read(fd, buf + len, PATTERN_FILE_MAX + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail(-errno, reterr, path, NULL, "cannot read: %s", strerror(errno));
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > PATTERN_FILE_MAX)
                        return fail(-EFBIG, reterr, path, NULL, "too large (more than %d bytes)",
                                    PATTERN_FILE_MAX);
        }
        return pattern_from_json(buf, len, path, ret, reterr);
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

int pattern_save_file(const char *dir, const Pattern *p, char **reterr)
{
        _cleanup_free_ char *target = NULL, *tmp = NULL, *text = NULL;
        _cleanup_close_ int fd = -1, dfd = -1;
        int r;

        assert(dir && p);
        if (!pattern_id_is_valid(p->id)) {
                _cleanup_free_ char *q = quote(p->id ? p->id : "");
                return fail(-EINVAL, reterr, dir, "id",
                            "'%s' is not a valid id (lower-case letters, digits and '-', at "
                            "most 64)",
                            q);
        }
        target = xasprintf("%s/%s.json", dir, p->id);
        r = pattern_validate(p, target, reterr);
        if (r < 0)
                return r;
        text = pattern_to_json(p);
        if (strlen(text) > PATTERN_FILE_MAX)
                return fail(-EFBIG, reterr, target, NULL, "too large (%zu bytes, at most %d)",
                            strlen(text), PATTERN_FILE_MAX);

        /* Hidden, so that pattern_load_dir() never reads a half-written file. */
        tmp = xasprintf("%s/.%s.json.XXXXXX", dir, p->id);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return fail(-errno, reterr, target, NULL, "cannot create a temporary file: %s",
                            strerror(errno));
        r = write_all(fd, text, strlen(text));
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, target) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return fail(r, reterr, target, NULL, "cannot write: %s", strerror(-r));
        }
        /* The rename is durable only once the directory is. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return fail(-errno, reterr, dir, NULL, "cannot sync: %s", strerror(errno));
        return 0;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void list_add_error(PatternList *l, char *msg)
{
        l->errors = xreallocarray(l->errors, l->n_errors + 1, sizeof(*l->errors));
        l->errors[l->n_errors++] = msg;
}

int pattern_load_dir(const char *dir, PatternList *ret, char **reterr)
{
        PatternList l = {};
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        assert(dir && ret);
        DIR *d = opendir(dir);
        if (!d)
                return fail(-errno, reterr, dir, NULL, "cannot open: %s", strerror(errno));
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len <= 5 || !streq(de->d_name + len - 5, ".json"))
                        continue;
                if (n >= PATTERN_DIR_FILES_MAX) {
                        list_add_error(&l, xasprintf("%s: more than %d pattern files, the rest "
                                                     "are ignored",
                                                     dir, PATTERN_DIR_FILES_MAX));
                        break;
                }
                names = xreallocarray(names, n + 1, sizeof(*names));
                names[n++] = xstrdup(de->d_name);
        }
        (void) closedir(d);
        qsort(names, n, sizeof(*names), name_cmp);

        l.patterns = xnew0(Pattern *, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]);
                Pattern *p = NULL;
                char *err = NULL;
                size_t len = strlen(names[i]) - 5;
                if (pattern_load_file(path, &p, &err) < 0)
                        list_add_error(&l, err);
                else if (strlen(p->id) != len || strncmp(p->id, names[i], len) != 0) {
                        _cleanup_free_ char *q = quote(p->id);
                        list_add_error(&l, xasprintf("%s: id: '%s' does not match the file "
                                                     "name (it must be <id>.json)",
                                                     path, q));
                        pattern_free(p);
                } else
                        l.patterns[l.n++] = p;
                free(names[i]);
        }
        free(names);
        *ret = l;
        return 0;
}

void pattern_list_done(PatternList *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                pattern_free(l->patterns[i]);
        free(l->patterns);
        for (size_t i = 0; i < l->n_errors; i++)
                free(l->errors[i]);
        free(l->errors);
        *l = (PatternList){};
}

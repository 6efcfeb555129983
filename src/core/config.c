#include "core/config.h"

#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "core/time-util.h"

/* The kernel keeps TASK_COMM_LEN - 1 = 15 bytes of a process name. */
#define COMM_MAX 15
/* PID_MAX_LIMIT on 64-bit kernels. */
#define PID_MAX 4194304

static const struct {
        const char *name;
        const char *match[3];
} default_services[] = {
        {"mysql", {"mysqld", "mariadbd"}},
        {"nginx", {"nginx"}},
        {"apache", {"apache2", "httpd"}},
        {"redis", {"redis-server"}},
        {"postgres", {"postgres", "postmaster"}},
        {"sshd", {"sshd"}},
        {"docker", {"dockerd"}},
        {"containerd", {"containerd"}},
        {"php-fpm", {"php-fpm*"}}, /* comm is "php-fpm8.2": the version is part of the name */
        {"mongod", {"mongod"}},
        {"memcached", {"memcached"}},
        {"haproxy", {"haproxy"}},
        {"cron", {"cron", "crond"}},
};

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void services_free(ServiceDef *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(s[i].name);
                strv_free(s[i].match, s[i].n_match);
        }
        free(s);
}

static const char *const default_keywords[] = {
        "error",  "fatal",    "exception",     "timeout", "timed out", "refused",
        "denied", "failed",   "out of memory", "oom",     "segfault",  "panic",
        "killed", "critical", "unreachable",   "reset",   "too many",  "no space",
};

static void log_files_free(LogFileDef *f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(f[i].path);
                free(f[i].name);
                free(f[i].format);
        }
        free(f);
}

static void log_commands_free(LogCommandDef *f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(f[i].name);
                free(f[i].command);
                free(f[i].format);
        }
        free(f);
}

static void logs_config_default(LogsConfig *l)
{
        *l = (LogsConfig){
                .enabled = true,
                .discover = true,
                .backfill = true,
                .journal = true,
                .kmsg = true,
                .learning_ms = MSEC_PER_HOUR,
                .shadow_mode = true,
                .count_interval_ms = 60 * MSEC_PER_SEC,
                .drain_depth = 4,
                .drain_similarity = 0.4,
                .drain_max_children = 100,
                .drain_max_clusters = 5000,
                .drain_builtin_masks = true,
        };
        l->n_keywords = ELEMENTSOF(default_keywords);
        l->keywords = xnew(char *, l->n_keywords);
        for (size_t i = 0; i < l->n_keywords; i++)
                l->keywords[i] = xstrdup(default_keywords[i]);
}

static void logs_config_done(LogsConfig *l)
{
        log_files_free(l->files, l->n_files);
        strv_free(l->journal_units, l->n_journal_units);
        strv_free(l->journal_files, l->n_journal_files);
        log_commands_free(l->commands, l->n_commands);
        strv_free(l->keywords, l->n_keywords);
        strv_free(l->drain_masks, l->n_drain_masks);
}

static const char *const default_detect_methods[] = {"iforest", "lof", "knn"};

static void detect_config_default(DetectConfig *d)
{
        *d = (DetectConfig){
                .online = true,
                .online_method = xstrdup("seasonal"),
                .online_threshold = 0.9,
                .window_ms = MSEC_PER_MIN,
                .lookback_ms = MSEC_PER_DAY,
                .contamination = 0.1,
                .min_deviation = 3.0,
                .model = true,
                .retrain_interval_ms = MSEC_PER_DAY,
                .drift_interval_ms = MSEC_PER_HOUR,
                .drift_ks_pvalue = 0.05,
                .drift_psi = 0.2,
                .drift_js = 0.1,
        };
        d->n_methods = ELEMENTSOF(default_detect_methods);
        d->methods = xnew(char *, d->n_methods);
        for (size_t i = 0; i < d->n_methods; i++)
                d->methods[i] = xstrdup(default_detect_methods[i]);
}

static void detect_config_done(DetectConfig *d)
{
        free(d->online_method);
        strv_free(d->methods, d->n_methods);
}

Config *config_new_default(void)
{
        Config *c = xnew0(Config, 1);

        c->data_dir = xstrdup("");
        c->log_level = LOG_LEVEL_NOTICE;
        c->log_file = xstrdup("");
        c->collect_interval_ms = 30 * MSEC_PER_SEC;
        c->top_processes = 10;
        c->retention_ms = 7 * MSEC_PER_DAY;
        c->n_services = ELEMENTSOF(default_services);
        c->services = xnew0(ServiceDef, c->n_services);
        for (size_t i = 0; i < c->n_services; i++) {
                ServiceDef *s = &c->services[i];
                s->name = xstrdup(default_services[i].name);
                while (s->n_match < ELEMENTSOF(default_services[i].match) &&
                       default_services[i].match[s->n_match])
                        s->n_match++;
                s->match = xnew(char *, s->n_match);
                for (size_t j = 0; j < s->n_match; j++)
                        s->match[j] = xstrdup(default_services[i].match[j]);
        }
        logs_config_default(&c->logs);
        detect_config_default(&c->detect);
        return c;
}

Config *config_free(Config *c)
{
        if (!c)
                return NULL;
        free(c->path);
        free(c->data_dir);
        free(c->log_file);
        free(c->watch_pids);
        strv_free(c->watch_processes, c->n_watch_processes);
        services_free(c->services, c->n_services);
        logs_config_done(&c->logs);
        detect_config_done(&c->detect);
        free(c);
        return NULL;
}

/* Parsing state: the document, which nodes were seen (a node reached twice is an alias) and
 * the first error. */
typedef struct Ctx {
        const char *name;
        yaml_document_t *doc;
        bool *seen;
        char *error;
} Ctx;

_printf_(4, 5) static int fail(Ctx *ctx, const yaml_node_t *node, const char *key, const char *fmt,
                               ...)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        va_list ap;

        (void) strbuf_printf(&b, "%s:%zu: ", ctx->name, node->start_mark.line + 1);
        if (key)
                (void) strbuf_printf(&b, "key '%s': ", key);
        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        free(ctx->error);
        ctx->error = strbuf_steal(&b);
        return -EINVAL;
}

static const char *node_kind(const yaml_node_t *n)
{
        switch (n->type) {
        case YAML_SCALAR_NODE:
                return "a scalar";
        case YAML_SEQUENCE_NODE:
                return "a list";
        case YAML_MAPPING_NODE:
                return "a mapping";
        default:
                return "nothing";
        }
}

static bool node_is_null(const yaml_node_t *n)
{
        static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
                if (strcmp((const char *) n->data.scalar.value, nulls[i]) == 0)
                        return true;
        return false;
}

/* Resolves a node index, refusing aliases: with them a small file could make us walk (and
 * copy) the same list millions of times. */
static int get_node(Ctx *ctx, int index, const yaml_node_t *parent, const char *key,
                    yaml_node_t **ret)
{
        yaml_node_t *n = yaml_document_get_node(ctx->doc, index);

        if (!n)
                return fail(ctx, parent, key, "invalid document");
        size_t i = (size_t) (n - ctx->doc->nodes.start);
        /* The document keeps no position for the alias itself: name the node holding it. */
        if (ctx->seen[i])
                return fail(ctx, parent, key, "YAML aliases are not supported");
        ctx->seen[i] = true;
        *ret = n;
        return 0;
}

/* The value of a scalar node, borrowed; libyaml NUL-terminates it. */
static int get_scalar(Ctx *ctx, const yaml_node_t *n, const char *key, const char *what,
                      const char **ret)
{
        if (n->type != YAML_SCALAR_NODE)
                return fail(ctx, n, key, "expected %s, got %s", what, node_kind(n));
        if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
                return fail(ctx, n, key, "value contains a NUL byte");
        *ret = (const char *) n->data.scalar.value;
        return 0;
}

typedef struct ConfigKey ConfigKey;
typedef int (*ConfigParser)(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c);

struct ConfigKey {
        const char *path; /* dotted; the prefixes are the sections */
        ConfigParser parse;
        size_t offset;   /* of the field in Config */
        size_t offset_n; /* of the entry count, for lists */
        int64_t min, max;
        double real_min, real_max;  /* parse_real: the closed range */
        const char *const *choices; /* parse_choice(_list): the allowed values, NULL-ended */
};

#define FIELD(c, k, T) ((T *) (void *) ((char *) (c) + (k)->offset))
#define COUNT(c, k)    ((size_t *) (void *) ((char *) (c) + (k)->offset_n))

/* A string; empty means the default, otherwise it must be an absolute path (the agent runs
 * with / as its working directory, so a relative one would surprise). */
static int parse_path(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = "";
        char **field = FIELD(c, k, char *);

        if (!node_is_null(n)) {
                int r = get_scalar(ctx, n, k->path, "a path", &s);
                if (r < 0)
                        return r;
                if (*s && *s != '/')
                        return fail(ctx, n, k->path, "path '%s' is not absolute", s);
        }
        free(*field);
        *field = xstrdup(s);
        return 0;
}

static int parse_log_level(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = NULL;
        int r = get_scalar(ctx, n, k->path, "a log level", &s);
        if (r < 0)
                return r;
        LogLevel l = log_level_from_string(s);
        if (l < 0)
                return fail(ctx, n, k->path,
                            "invalid log level '%s' (expected error, warning, notice, info or "
                            "debug)",
                            s);
        *FIELD(c, k, LogLevel) = l;
        return 0;
}

static int parse_duration(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        char lo[32], hi[32];
        const char *s = NULL;
        int64_t v;

        int r = get_scalar(ctx, n, k->path, "a duration", &s);
        if (r < 0)
                return r;
        r = time_parse_duration_ms(s, &v);
        if (r == -ERANGE)
                return fail(ctx, n, k->path, "duration '%s' is too long", s);
        if (r < 0)
                return fail(ctx, n, k->path, "invalid duration '%s' (expected e.g. 30s, 5m)", s);
        if (v < k->min || v > k->max)
                return fail(ctx, n, k->path, "duration '%s' is out of range (%s..%s)", s,
                            time_format_duration(k->min, lo, sizeof(lo)),
                            time_format_duration(k->max, hi, sizeof(hi)));
        *FIELD(c, k, int64_t) = v;
        return 0;
}

static int parse_unsigned(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = NULL;
        unsigned v;

        int r = get_scalar(ctx, n, k->path, "a number", &s);
        if (r < 0)
                return r;
        r = safe_atou(s, &v);
        if (r == -EINVAL)
                return fail(ctx, n, k->path, "invalid number '%s'", s);
        if (r < 0 || v < k->min || v > k->max)
                return fail(ctx, n, k->path, "%s is out of range (%" PRIi64 "..%" PRIi64 ")", s,
                            k->min, k->max);
        *FIELD(c, k, unsigned) = v;
        return 0;
}

/* The items of a list node (null: none), checked against the list limit. */
static int get_list(Ctx *ctx, yaml_node_t *n, const char *key, yaml_node_item_t **ret_items,
                    size_t *ret_n)
{
        if (node_is_null(n)) {
                *ret_items = NULL;
                *ret_n = 0;
                return 0;
        }
        if (n->type != YAML_SEQUENCE_NODE)
                return fail(ctx, n, key, "expected a list, got %s", node_kind(n));
        size_t count = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > CONFIG_MAX_LIST_ENTRIES)
                return fail(ctx, n, key, "too many entries (%zu, at most %d)", count,
                            CONFIG_MAX_LIST_ENTRIES);
        *ret_items = n->data.sequence.items.start;
        *ret_n = count;
        return 0;
}

static int parse_pid_list(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        yaml_node_item_t *items;
        size_t count;
        int r = get_list(ctx, n, k->path, &items, &count);
        if (r < 0)
                return r;
        _cleanup_free_ int *pids = xnew(int, count);
        for (size_t i = 0; i < count; i++) {
                yaml_node_t *item = NULL;
                const char *s = NULL;
                r = get_node(ctx, items[i], n, k->path, &item);
                if (r < 0)
                        return r;
                r = get_scalar(ctx, item, k->path, "a pid", &s);
                if (r < 0)
                        return r;
                if (safe_atoi(s, &pids[i]) < 0 || pids[i] < 1 || pids[i] > PID_MAX)
                        return fail(ctx, item, k->path, "invalid pid '%s' (expected 1..%d)", s,
                                    PID_MAX);
        }
        int **field = FIELD(c, k, int *);
        free(*field);
        *field = TAKE_PTR(pids);
        *COUNT(c, k) = count;
        return 0;
}

/* A list of non-empty strings, each at most max bytes (0: no limit). */
static int get_string_list(Ctx *ctx, yaml_node_t *n, const char *key, size_t max, char ***ret_v,
                           size_t *ret_n)
{
        yaml_node_item_t *items;
        size_t count;
        int r = get_list(ctx, n, key, &items, &count);
        if (r < 0)
                return r;
        char **v = xnew0(char *, count);
        for (size_t i = 0; i < count; i++) {
                yaml_node_t *item = NULL;
                const char *s = NULL;
                r = get_node(ctx, items[i], n, key, &item);
                if (r >= 0)
                        r = get_scalar(ctx, item, key, "a string", &s);
                if (r >= 0 && *s == '\0')
                        r = fail(ctx, item, key, "empty entry");
                if (r >= 0 && max > 0 && strlen(s) > max)
                        r = fail(ctx, item, key, "entry '%.*s…' is longer than %zu bytes", 16, s,
                                 max);
                if (r < 0) {
                        strv_free(v, count);
                        return r;
                }
                v[i] = xstrdup(s);
        }
        *ret_v = v;
        *ret_n = count;
        return 0;
}

static int parse_name_list(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        char **v;
        size_t count;
        int r = get_string_list(ctx, n, k->path, (size_t) k->max, &v, &count);
        if (r < 0)
                return r;
        char ***field = FIELD(c, k, char **);
        strv_free(*field, *COUNT(c, k));
        *field = v;
        *COUNT(c, k) = count;
        return 0;
}

static int parse_service(Ctx *ctx, yaml_node_t *n, const char *key, ServiceDef *ret)
{
        yaml_node_t *name_node = NULL, *match_node = NULL;
        const char *name = NULL;

        if (n->type != YAML_MAPPING_NODE)
                return fail(ctx, n, key, "expected a mapping with 'name' and 'match', got %s",
                            node_kind(n));
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *kn = NULL, *vn = NULL;
                const char *kname = NULL;
                int r = get_node(ctx, p->key, n, key, &kn);
                if (r >= 0)
                        r = get_scalar(ctx, kn, key, "a key", &kname);
                if (r >= 0)
                        r = get_node(ctx, p->value, n, key, &vn);
                if (r < 0)
                        return r;
                yaml_node_t **slot = strcmp(kname, "name") == 0    ? &name_node
                                     : strcmp(kname, "match") == 0 ? &match_node
                                                                   : NULL;
                if (!slot)
                        return fail(ctx, kn, NULL, "unknown key '%s.%s'", key, kname);
                if (*slot)
                        return fail(ctx, kn, NULL, "duplicate key '%s.%s'", key, kname);
                *slot = vn;
        }
        if (!name_node)
                return fail(ctx, n, key, "missing 'name'");
        if (!match_node)
                return fail(ctx, n, key, "missing 'match'");

        _cleanup_free_ char *name_key = xasprintf("%s.name", key);
        int r = get_scalar(ctx, name_node, name_key, "a service name", &name);
        if (r < 0)
                return r;
        if (*name == '\0')
                return fail(ctx, name_node, name_key, "empty service name");

        _cleanup_free_ char *match_key = xasprintf("%s.match", key);
        ServiceDef d = {};
        r = get_string_list(ctx, match_node, match_key, 0, &d.match, &d.n_match);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d.n_match; i++) {
                const char *star = strchr(d.match[i], '*');
                if (star && (star[1] != '\0' || d.match[i][0] == '/'))
                        r = fail(ctx, match_node, match_key,
                                 "'%s': '*' is only allowed at the end of a process name",
                                 d.match[i]);
        }
        if (r >= 0 && d.n_match == 0)
                r = fail(ctx, match_node, match_key, "at least one entry is needed");
        if (r < 0) {
                strv_free(d.match, d.n_match);
                return r;
        }
        d.name = xstrdup(name);
        *ret = d;
        return 0;
}

static int parse_services(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        yaml_node_item_t *items;
        size_t count, done = 0;
        int r = get_list(ctx, n, k->path, &items, &count);
        if (r < 0)
                return r;
        ServiceDef *s = xnew0(ServiceDef, count);
        for (; done < count; done++) {
                _cleanup_free_ char *key = xasprintf("%s[%zu]", k->path, done);
                yaml_node_t *item = NULL;
                r = get_node(ctx, items[done], n, key, &item);
                if (r >= 0)
                        r = parse_service(ctx, item, key, &s[done]);
                if (r < 0)
                        break;
                for (size_t j = 0; j < done; j++)
                        if (strcmp(s[j].name, s[done].name) == 0) {
                                r = fail(ctx, item, key, "duplicate service '%s'", s[j].name);
                                done++; /* s[done] is filled: free it too */
                                break;
                        }
                if (r < 0)
                        break;
        }
        if (r < 0) {
                services_free(s, done);
                return r;
        }
        services_free(c->services, c->n_services);
        c->services = s;
        c->n_services = count;
        return 0;
}

static int parse_bool(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = NULL;
        bool v;
        int r = get_scalar(ctx, n, k->path, "true or false", &s);
        if (r < 0)
                return r;
        if (parse_boolean(s, &v) < 0)
                return fail(ctx, n, k->path, "invalid boolean '%s' (expected true or false)", s);
        *FIELD(c, k, bool) = v;
        return 0;
}

/* A fraction in (0, 1]. */
static int parse_fraction(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = NULL;
        double v;
        int r = get_scalar(ctx, n, k->path, "a number", &s);
        if (r < 0)
                return r;
        if (safe_atod(s, &v) < 0)
                return fail(ctx, n, k->path, "invalid number '%s'", s);
        if (!(v > 0 && v <= 1))
                return fail(ctx, n, k->path, "%s is out of range (expected more than 0, at most 1)",
                            s);
        *FIELD(c, k, double) = v;
        return 0;
}

/* A number in [real_min, real_max]. */
static int parse_real(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = NULL;
        double v;
        int r = get_scalar(ctx, n, k->path, "a number", &s);
        if (r < 0)
                return r;
        if (safe_atod(s, &v) < 0)
                return fail(ctx, n, k->path, "invalid number '%s'", s);
        if (!(v >= k->real_min && v <= k->real_max))
                return fail(ctx, n, k->path, "%s is out of range (%g..%g)", s, k->real_min,
                            k->real_max);
        *FIELD(c, k, double) = v;
        return 0;
}

static bool is_choice(const ConfigKey *k, const char *s)
{
        for (const char *const *p = k->choices; *p; p++)
                if (strcmp(*p, s) == 0)
                        return true;
        return false;
}

static int fail_choice(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, const char *s)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        for (const char *const *p = k->choices; *p; p++)
                (void) strbuf_printf(&b, "%s%s", p == k->choices ? "" : ", ", *p);
        return fail(ctx, n, k->path, "unknown value '%s' (expected one of: %s)", s, strbuf_str(&b));
}

/* One of k->choices. */
static int parse_choice(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        const char *s = NULL;
        int r = get_scalar(ctx, n, k->path, "a name", &s);
        if (r < 0)
                return r;
        if (!is_choice(k, s))
                return fail_choice(ctx, k, n, s);
        char **field = FIELD(c, k, char *);
        free(*field);
        *field = xstrdup(s);
        return 0;
}

/* A non-empty list of k->choices, each at most once. */
static int parse_choice_list(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        int r = parse_name_list(ctx, k, n, c);
        if (r < 0)
                return r;
        char **v = *FIELD(c, k, char **);
        size_t count = *COUNT(c, k);
        if (count == 0)
                return fail(ctx, n, k->path, "the list is empty");
        for (size_t i = 0; i < count; i++) {
                if (!is_choice(k, v[i]))
                        return fail_choice(ctx, k, n, v[i]);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(v[i], v[j]) == 0)
                                return fail(ctx, n, k->path, "'%s' is listed twice", v[i]);
        }
        return 0;
}

/* Lower-cases the keyword list after parse_name_list, so matching can be case-blind. */
static int parse_keyword_list(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        int r = parse_name_list(ctx, k, n, c);
        if (r < 0)
                return r;
        char **v = *FIELD(c, k, char **);
        for (size_t i = 0; i < *COUNT(c, k); i++)
                for (char *p = v[i]; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p - 'A' + 'a');
        return 0;
}

/* Fills the named string fields of a mapping entry of a list; a scalar entry is taken as the
 * first field. names[i] is the key of *fields[i]; required[i] says whether it must be there. */
static int parse_entry(Ctx *ctx, yaml_node_t *n, const char *key, const char *const *names,
                       const bool *required, char **fields, size_t n_fields)
{
        if (n->type == YAML_SCALAR_NODE) {
                const char *s = NULL;
                int r = get_scalar(ctx, n, key, "a string", &s);
                if (r < 0)
                        return r;
                if (*s == '\0')
                        return fail(ctx, n, key, "empty entry");
                fields[0] = xstrdup(s);
                for (size_t i = 1; i < n_fields; i++) {
                        if (required[i])
                                return fail(ctx, n, key, "missing '%s'", names[i]);
                        fields[i] = xstrdup("");
                }
                return 0;
        }
        if (n->type != YAML_MAPPING_NODE)
                return fail(ctx, n, key, "expected a mapping, got %s", node_kind(n));
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *kn = NULL, *vn = NULL;
                const char *kname = NULL, *v = NULL;
                int r = get_node(ctx, p->key, n, key, &kn);
                if (r >= 0)
                        r = get_node(ctx, p->value, n, key, &vn);
                if (r >= 0)
                        r = get_scalar(ctx, kn, key, "a key", &kname);
                if (r < 0)
                        return r;
                size_t i = 0;
                while (i < n_fields && strcmp(names[i], kname) != 0)
                        i++;
                if (i == n_fields)
                        return fail(ctx, kn, NULL, "unknown key '%s.%s'", key, kname);
                if (fields[i])
                        return fail(ctx, kn, NULL, "duplicate key '%s.%s'", key, kname);
                _cleanup_free_ char *fkey = xasprintf("%s.%s", key, kname);
                r = get_scalar(ctx, vn, fkey, "a string", &v);
                if (r < 0)
                        return r;
                if (*v == '\0' && required[i])
                        return fail(ctx, vn, fkey, "must not be empty");
                fields[i] = xstrdup(v);
        }
        for (size_t i = 0; i < n_fields; i++)
                if (!fields[i]) {
                        if (required[i])
                                return fail(ctx, n, key, "missing '%s'", names[i]);
                        fields[i] = xstrdup("");
                }
        return 0;
}

/* A list whose entries are parse_entry()'s: *ret_fields gets count triples (caller frees
 * each string and the array). absolute: the first field must be an absolute path. */
static int parse_entry_list(Ctx *ctx, const ConfigKey *k, yaml_node_t *n,
                            const char *const names[3], const bool required[3], bool absolute,
                            char *(**ret_fields)[3], size_t *ret_count)
{
        yaml_node_item_t *items;
        size_t count;
        int r = get_list(ctx, n, k->path, &items, &count);
        if (r < 0)
                return r;
        char *(*v)[3] = xcalloc(count ? count : 1, sizeof(*v));
        for (size_t i = 0; r >= 0 && i < count; i++) {
                _cleanup_free_ char *key = xasprintf("%s[%zu]", k->path, i);
                yaml_node_t *item = NULL;
                r = get_node(ctx, items[i], n, key, &item);
                if (r >= 0)
                        r = parse_entry(ctx, item, key, names, required, v[i], 3);
                if (r >= 0 && absolute && v[i][0][0] != '/')
                        r = fail(ctx, item, key, "'%s' is not an absolute path", v[i][0]);
        }
        if (r < 0) {
                for (size_t i = 0; i < count; i++)
                        for (size_t j = 0; j < 3; j++)
                                free(v[i][j]);
                free(v);
                return r;
        }
        *ret_fields = v;
        *ret_count = count;
        return 0;
}

static int parse_log_files(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        static const char *const names[] = {"path", "name", "format"};
        static const bool required[] = {true, false, false};
        char *(*f)[3];
        size_t count;
        int r = parse_entry_list(ctx, k, n, names, required, true, &f, &count);
        if (r < 0)
                return r;
        log_files_free(c->logs.files, c->logs.n_files);
        c->logs.files = xnew(LogFileDef, count ? count : 1);
        for (size_t i = 0; i < count; i++)
                c->logs.files[i] =
                        (LogFileDef){.path = f[i][0], .name = f[i][1], .format = f[i][2]};
        c->logs.n_files = count;
        free(f);
        return 0;
}

static int parse_log_commands(Ctx *ctx, const ConfigKey *k, yaml_node_t *n, Config *c)
{
        static const char *const names[] = {"command", "name", "format"};
        static const bool required[] = {true, true, false};
        char *(*f)[3];
        size_t count;
        int r = parse_entry_list(ctx, k, n, names, required, false, &f, &count);
        if (r < 0)
                return r;
        log_commands_free(c->logs.commands, c->logs.n_commands);
        c->logs.commands = xnew(LogCommandDef, count ? count : 1);
        for (size_t i = 0; i < count; i++)
                c->logs.commands[i] =
                        (LogCommandDef){.command = f[i][0], .name = f[i][1], .format = f[i][2]};
        c->logs.n_commands = count;
        free(f);
        return 0;
}

static const char *const outlier_methods[] = {CONFIG_OUTLIER_METHODS, NULL};
static const char *const stream_methods[] = {CONFIG_STREAM_METHODS, NULL};

#define LOGS_FIELD(f)   .offset = offsetof(Config, logs.f)
#define DETECT_FIELD(f) .offset = offsetof(Config, detect.f)
#define LOGS_LIST(f)    .offset = offsetof(Config, logs.f), .offset_n = offsetof(Config, logs.n_##f)

/* Every key of the file. Sections ("log", "collect", "store") are implied by the paths. */
static const ConfigKey config_keys[] = {
        {.path = "data_dir", .parse = parse_path, .offset = offsetof(Config, data_dir)},
        {.path = "log.level", .parse = parse_log_level, .offset = offsetof(Config, log_level)},
        {.path = "log.file", .parse = parse_path, .offset = offsetof(Config, log_file)},
        {.path = "collect.interval",
         .parse = parse_duration,
         .offset = offsetof(Config, collect_interval_ms),
         .min = 100,
         .max = 7 * MSEC_PER_DAY},
        {.path = "collect.top_processes",
         .parse = parse_unsigned,
         .offset = offsetof(Config, top_processes),
         .min = 0,
         .max = 1000},
        {.path = "collect.watch_pids",
         .parse = parse_pid_list,
         .offset = offsetof(Config, watch_pids),
         .offset_n = offsetof(Config, n_watch_pids)},
        {.path = "collect.watch_processes",
         .parse = parse_name_list,
         .offset = offsetof(Config, watch_processes),
         .offset_n = offsetof(Config, n_watch_processes)},
        {.path = "store.retention",
         .parse = parse_duration,
         .offset = offsetof(Config, retention_ms),
         .min = MSEC_PER_HOUR,
         .max = 100 * 365 * MSEC_PER_DAY},
        {.path = "services", .parse = parse_services},
        {.path = "logs.enabled", .parse = parse_bool, LOGS_FIELD(enabled)},
        {.path = "logs.discover", .parse = parse_bool, LOGS_FIELD(discover)},
        {.path = "logs.backfill", .parse = parse_bool, LOGS_FIELD(backfill)},
        {.path = "logs.files", .parse = parse_log_files},
        {.path = "logs.journal", .parse = parse_bool, LOGS_FIELD(journal)},
        {.path = "logs.journal_units",
         .parse = parse_name_list,
         .max = 256,
         LOGS_LIST(journal_units)},
        {.path = "logs.journal_files",
         .parse = parse_name_list,
         .max = 4096,
         LOGS_LIST(journal_files)},
        {.path = "logs.kmsg", .parse = parse_bool, LOGS_FIELD(kmsg)},
        {.path = "logs.commands", .parse = parse_log_commands},
        {.path = "logs.learning_period",
         .parse = parse_duration,
         LOGS_FIELD(learning_ms),
         .min = 0,
         .max = 365 * MSEC_PER_DAY},
        {.path = "logs.shadow_mode", .parse = parse_bool, LOGS_FIELD(shadow_mode)},
        {.path = "logs.count_interval",
         .parse = parse_duration,
         LOGS_FIELD(count_interval_ms),
         .min = MSEC_PER_SEC,
         .max = MSEC_PER_DAY},
        {.path = "logs.keywords", .parse = parse_keyword_list, .max = 64, LOGS_LIST(keywords)},
        {.path = "logs.drain.depth",
         .parse = parse_unsigned,
         LOGS_FIELD(drain_depth),
         .min = 3,
         .max = 16},
        {.path = "logs.drain.similarity", .parse = parse_fraction, LOGS_FIELD(drain_similarity)},
        {.path = "logs.drain.max_children",
         .parse = parse_unsigned,
         LOGS_FIELD(drain_max_children),
         .min = 2,
         .max = 100000},
        {.path = "logs.drain.max_clusters",
         .parse = parse_unsigned,
         LOGS_FIELD(drain_max_clusters),
         .min = 0,
         .max = 10000000},
        {.path = "logs.drain.builtin_masks", .parse = parse_bool, LOGS_FIELD(drain_builtin_masks)},
        {.path = "logs.drain.masks", .parse = parse_name_list, .max = 4096, LOGS_LIST(drain_masks)},
        {.path = "detect.online.enabled", .parse = parse_bool, DETECT_FIELD(online)},
        {.path = "detect.online.method",
         .parse = parse_choice,
         DETECT_FIELD(online_method),
         .choices = stream_methods},
        {.path = "detect.online.threshold",
         .parse = parse_real,
         DETECT_FIELD(online_threshold),
         .real_min = 0.01,
         .real_max = 0.9999},
        {.path = "detect.window",
         .parse = parse_duration,
         DETECT_FIELD(window_ms),
         .min = MSEC_PER_SEC,
         .max = MSEC_PER_DAY},
        {.path = "detect.lookback",
         .parse = parse_duration,
         DETECT_FIELD(lookback_ms),
         .min = MSEC_PER_MIN,
         .max = 400 * MSEC_PER_DAY},
        {.path = "detect.contamination",
         .parse = parse_real,
         DETECT_FIELD(contamination),
         .real_min = 0.001,
         .real_max = 0.5},
        {.path = "detect.min_deviation",
         .parse = parse_real,
         DETECT_FIELD(min_deviation),
         .real_min = 0,
         .real_max = 100},
        {.path = "detect.methods",
         .parse = parse_choice_list,
         .max = 32, /* bytes per name */
         .offset = offsetof(Config, detect.methods),
         .offset_n = offsetof(Config, detect.n_methods),
         .choices = outlier_methods},
        {.path = "detect.model.enabled", .parse = parse_bool, DETECT_FIELD(model)},
        {.path = "detect.model.retrain_interval",
         .parse = parse_duration,
         DETECT_FIELD(retrain_interval_ms),
         .min = MSEC_PER_HOUR,
         .max = 365 * MSEC_PER_DAY},
        {.path = "detect.model.drift_check_interval",
         .parse = parse_duration,
         DETECT_FIELD(drift_interval_ms),
         .min = MSEC_PER_MIN,
         .max = 30 * MSEC_PER_DAY},
        {.path = "detect.drift.ks_pvalue",
         .parse = parse_real,
         DETECT_FIELD(drift_ks_pvalue),
         .real_min = 1e-12,
         .real_max = 0.5},
        {.path = "detect.drift.psi",
         .parse = parse_real,
         DETECT_FIELD(drift_psi),
         .real_min = 0.001,
         .real_max = 100},
        {.path = "detect.drift.js",
         .parse = parse_real,
         DETECT_FIELD(drift_js),
         .real_min = 0.001,
         .real_max = 1},
};

static const ConfigKey *find_key(const char *path)
{
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].path, path) == 0)
                        return &config_keys[i];
        return NULL;
}

static bool is_section(const char *path)
{
        size_t n = strlen(path);

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strncmp(config_keys[i].path, path, n) == 0 && config_keys[i].path[n] == '.')
                        return true;
        return false;
}

static int walk_mapping(Ctx *ctx, yaml_node_t *map, const char *prefix, Config *c)
{
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
             p++) {
                yaml_node_t *kn = NULL, *vn = NULL;
                const char *name = NULL;
                int r = get_node(ctx, p->key, map, prefix, &kn);
                if (r < 0)
                        return r;
                if (kn->type != YAML_SCALAR_NODE)
                        return fail(ctx, kn, prefix, "keys must be plain strings, got %s",
                                    node_kind(kn));
                r = get_scalar(ctx, kn, prefix, "a key", &name);
                if (r < 0)
                        return r;
                _cleanup_free_ char *path =
                        prefix ? xasprintf("%s.%s", prefix, name) : xstrdup(name);

                for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
                        yaml_node_t *prev = yaml_document_get_node(ctx->doc, q->key);
                        if (strcmp((const char *) prev->data.scalar.value, name) == 0)
                                return fail(ctx, kn, NULL, "duplicate key '%s' (first on line %zu)",
                                            path, prev->start_mark.line + 1);
                }

                r = get_node(ctx, p->value, map, path, &vn);
                if (r < 0)
                        return r;
                const ConfigKey *k = find_key(path);
                if (k)
                        r = k->parse(ctx, k, vn, c);
                else if (!is_section(path))
                        r = fail(ctx, kn, NULL, "unknown key '%s'", path);
                else if (vn->type == YAML_MAPPING_NODE)
                        r = walk_mapping(ctx, vn, path, c);
                else if (!node_is_null(vn))
                        r = fail(ctx, vn, path, "expected a mapping, got %s", node_kind(vn));
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *yaml_error_message(const yaml_parser_t *p, const char *name)
{
        if (p->error == YAML_MEMORY_ERROR)
                return xasprintf("%s: out of memory while parsing", name);
        if (p->error == YAML_READER_ERROR)
                return xasprintf("%s: invalid YAML at byte %zu: %s", name, p->problem_offset,
                                 p->problem ? p->problem : "unknown error");
        if (p->context)
                return xasprintf("%s:%zu:%zu: invalid YAML: %s (%s on line %zu)", name,
                                 p->problem_mark.line + 1, p->problem_mark.column + 1,
                                 p->problem ? p->problem : "unknown error", p->context,
                                 p->context_mark.line + 1);
        return xasprintf("%s:%zu:%zu: invalid YAML: %s", name, p->problem_mark.line + 1,
                         p->problem_mark.column + 1, p->problem ? p->problem : "unknown error");
}

static int load_document(yaml_parser_t *parser, yaml_document_t *doc, const char *name, Config *c,
                         char **reterr_msg)
{
        yaml_node_t *root = yaml_document_get_root_node(doc);
        Ctx ctx = {.name = name, .doc = doc};
        int r = 0;

        if (!root || node_is_null(root))
                return 0; /* an empty file: all defaults */
        if (root->type != YAML_MAPPING_NODE) {
                ctx.error = xasprintf("%s:%zu: expected a mapping of keys at the top, got %s", name,
                                      root->start_mark.line + 1, node_kind(root));
                r = -EINVAL;
                goto out;
        }
        ctx.seen = xnew0(bool, (size_t) (doc->nodes.top - doc->nodes.start));
        ctx.seen[root - doc->nodes.start] = true;
        r = walk_mapping(&ctx, root, NULL, c);
        if (r < 0)
                goto out;

        yaml_document_t next;
        if (!yaml_parser_load(parser, &next)) {
                ctx.error = yaml_error_message(parser, name);
                r = -EINVAL;
                goto out;
        }
        yaml_node_t *next_root = yaml_document_get_root_node(&next);
        if (next_root) {
                ctx.error = xasprintf("%s:%zu: more than one YAML document", name,
                                      next_root->start_mark.line + 1);
                r = -EINVAL;
        }
        yaml_document_delete(&next);
out:
        free(ctx.seen);
        if (r < 0)
                *reterr_msg = TAKE_PTR(ctx.error);
        free(ctx.error);
        return r;
}

int config_load_string(const char *data, size_t size, const char *name, Config **ret,
                       char **reterr_msg)
{
        _cleanup_(config_freep) Config *c = config_new_default();
        yaml_parser_t parser;
        yaml_document_t doc;
        int r;

        assert(data && name && ret && reterr_msg);
        if (size > CONFIG_MAX_FILE_BYTES) {
                *reterr_msg = xasprintf("%s: larger than %d KiB, refusing to parse", name,
                                        CONFIG_MAX_FILE_BYTES / 1024);
                return -EFBIG;
        }
        if (!yaml_parser_initialize(&parser)) {
                *reterr_msg = xasprintf("%s: out of memory while parsing", name);
                return -ENOMEM;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        if (!yaml_parser_load(&parser, &doc)) {
                *reterr_msg = yaml_error_message(&parser, name);
                yaml_parser_delete(&parser);
                return -EINVAL;
        }
        r = load_document(&parser, &doc, name, c, reterr_msg);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        if (r < 0)
                return r;

        c->path = xstrdup(name);
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, bool must_exist, Config **ret, char **reterr_msg)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;

        assert(path && ret && reterr_msg);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                if (r == -ENOENT && !must_exist) {
                        *ret = config_new_default();
                        return 0;
                }
                *reterr_msg = xasprintf("%s: cannot open: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                *reterr_msg = xasprintf("%s: cannot stat: %s", path, strerror(-r));
                return r;
        }
        if (S_ISDIR(st.st_mode)) {
                *reterr_msg = xasprintf("%s: is a directory", path);
                return -EISDIR;
        }
        if (!S_ISREG(st.st_mode)) {
                *reterr_msg = xasprintf("%s: not a regular file", path);
                return -EINVAL;
        }
        if (st.st_size > CONFIG_MAX_FILE_BYTES) {
                *reterr_msg = xasprintf("%s: larger than %d KiB, refusing to parse", path,
                                        CONFIG_MAX_FILE_BYTES / 1024);
                return -EFBIG;
        }

        /* The size may change under us: read up to one byte past the cap to notice growth. */
        buf = xmalloc(CONFIG_MAX_FILE_BYTES + 1);
        while (len <= CONFIG_MAX_FILE_BYTES) {
                ssize_t n = read(fd, buf + len, CONFIG_MAX_FILE_BYTES + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = -errno;
                        *reterr_msg = xasprintf("%s: cannot read: %s", path, strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        return config_load_string(buf, len, path, ret, reterr_msg);
}

static bool dir_is_writable(const char *dir)
{
        if (access(dir, W_OK | X_OK) == 0)
                return true;
        if (errno != ENOENT)
                return false;
        /* Not there yet: whoever may create it may use it. */
        _cleanup_free_ char *parent = xstrdup(dir);
        char *slash = strrchr(parent, '/');
        if (!slash)
                return false;
        if (slash == parent)
                slash[1] = '\0';
        else
                *slash = '\0';
        return access(parent, W_OK | X_OK) == 0;
}

char *config_pick_data_dir(const char *system_dir)
{
        const char *e;

        if (system_dir && dir_is_writable(system_dir))
                return xstrdup(system_dir);
        e = getenv("XDG_STATE_HOME");
        if (e && e[0] == '/') /* the XDG spec says relative paths are invalid: ignore them */
                return xasprintf("%s/aiops", e);
        e = getenv("HOME");
        if (!e || e[0] != '/') {
                struct passwd *pw = getpwuid(getuid());
                e = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
        }
        if (e)
                return xasprintf("%s/.local/state/aiops", strcmp(e, "/") == 0 ? "" : e);
        return xstrdup(system_dir ? system_dir : CONFIG_SYSTEM_DATA_DIR);
}

char *config_default_data_dir(void)
{
        return config_pick_data_dir(CONFIG_SYSTEM_DATA_DIR);
}

/* Compares a process name with a pattern of n bytes, as a prefix if prefix is set. */

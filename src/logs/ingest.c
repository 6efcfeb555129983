/* The log pipeline (ingest.h). */
#include "logs/ingest.h"

#include <assert.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/json-util.h"
#include "core/strbuf.h"
#include "core/time-util.h"
#include "logs/drain.h"
#include "store/logdb.h"

/* Template series are kept for the first this many template ids of a source; later ones
 * count in template="other", so a flood of junk cannot create unbounded series. */
#define TEMPLATE_SERIES_MAX 500u
/* Response times kept per bucket for the quantiles (reservoir sampling beyond). */
#define RESERVOIR_MAX 1024u
/* Empty buckets filled with zeros between two lines at most this many apart; a longer
 * silence gets one zero bucket after the last line and then nothing until the next. */
#define ZERO_FILL_MAX 1440
/* Line timestamps further than this from the arrival time are not believed. */
#define TS_FUTURE_MAX_MS    (MSEC_PER_DAY)
#define TS_PAST_MAX_MS      (400 * MSEC_PER_DAY)
#define N_SEVERITIES        9 /* 0..7 and unknown */
#define KW_FAST             64
#define DETECT_LINES        8
#define RESTART_MAX_MS      (5 * MSEC_PER_MIN)
#define NEW_EVENTS_PER_HOUR 100u

static const char *const severity_labels[N_SEVERITIES] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "unknown",
};
static const char *const class_labels[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
static const int watched_codes[3] = {502, 503, 504};

typedef struct ClusterMeta {
        uint32_t id;
        uint64_t count;
        int64_t first_seen_ms;
        int64_t last_seen_ms;
        int severity;
        char *sample;
        char *params;
        bool dirty;
        bool stored;        /* has a row in the store (restored, or written) */
        uint64_t in_bucket; /* lines in the open bucket */
} ClusterMeta;

typedef struct TemplateCount {
        uint32_t id;
        uint64_t count;
} TemplateCount;

typedef struct Reservoir {
        double *v;
        size_t n;
        uint64_t seen;
} Reservoir;

typedef struct Bucket {
        int64_t start_ms; /* 0: no bucket */
        uint64_t lines;
        uint64_t sev[N_SEVERITIES];
        uint64_t *kw;
        TemplateCount *tpl;
        size_t n_tpl;
        uint64_t new_templates;
        uint64_t anomalies;
        bool access;
        uint64_t requests;
        uint64_t cls[6];
        uint64_t codes[3];
        uint64_t upstream_timeouts;
        Reservoir rt;
        Reservoir urt;
} Bucket;

typedef struct SourceState {
        LogSource *src;
        LogFormat fmt;
        bool fmt_fixed; /* given, not detected */
        Drain *drain;
        /* cluster id → meta, open addressing (id 0 = empty), power-of-two size */
        ClusterMeta **meta;
        size_t meta_size;
        size_t n_meta;
        uint32_t *touched; /* ids with in_bucket > 0 */
        size_t n_touched;
        size_t touched_cap;
        int64_t first_seen_ms;
        int64_t next_bucket_ms; /* first bucket not stored */
        Bucket cur;
        Bucket *closed; /* waiting for the flush, in time order */
        size_t n_closed;
        bool sev_seen[N_SEVERITIES];
        bool *kw_seen;
        bool access_seen;
        bool cls_seen[6];
        bool dirty;            /* cursor moved or counters changed since the last flush */
        bool active;           /* lines came since the last flush: the open bucket may still fill */
        unsigned detect_lines; /* lines looked at to detect the format */
        uint32_t *evicted;     /* templates the miner dropped, to delete from the store */
        size_t n_evicted;
        int64_t event_hour_ms;   /* the clock hour the events below were counted in */
        unsigned events_in_hour; /* new-pattern events recorded in it */
        uint64_t events_dropped; /* beyond NEW_EVENTS_PER_HOUR in it */
        int64_t restart_at_ms;   /* a command that ended runs again then (0: not yet due) */
        int64_t restart_delay_ms;
} SourceState;

struct LogIngest {
        const LogsConfig *cfg;
        Store *store;
        bool persistent; /* has (had) a store: without one now, keep everything for later */
        bool restart_commands;
        SourceState **sources;
        size_t n_sources;
        LogEventRow *events; /* not yet stored */
        size_t n_events;
        char *discover_root;
        uint64_t kw_first[256]; /* keywords_prepare() */
        uint64_t kw_second[256];
        size_t *kw_len;
        uint64_t rng;
        LogIngestStats stats;
        /* the line being handled, for the callback */
        SourceState *cur_st;
        int64_t cur_now_ms;
};

/* --- small helpers --- */

static uint64_t rng_next(LogIngest *in)
{
        /* xorshift64*: deterministic, good enough to pick reservoir slots */
        in->rng ^= in->rng >> 12;
        in->rng ^= in->rng << 25;
        in->rng ^= in->rng >> 27;
        return in->rng * UINT64_C(2685821657736338717);
}

static void reservoir_add(LogIngest *in, Reservoir *r, double v)
{
        if (!isfinite(v) || v < 0)
                return;
        r->seen++;
        if (r->n < RESERVOIR_MAX) {
                if (!r->v)
                        r->v = xnew(double, RESERVOIR_MAX);
                r->v[r->n++] = v;
                return;
        }
        uint64_t j = rng_next(in) % r->seen;
        if (j < RESERVOIR_MAX)
                r->v[j] = v;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

/* Nearest-rank quantile of the (sorted) reservoir. */
static double reservoir_quantile(const Reservoir *r, double q)
{
        size_t k = (size_t) ceil(q * (double) r->n);
        return r->v[k > 0 ? k - 1 : 0];
}

static void bucket_done(Bucket *b)
{
        free(b->kw);
        free(b->tpl);
        free(b->rt.v);
        free(b->urt.v);
        *b = (Bucket){};
}

static void bucket_open(const LogIngest *in, Bucket *b, int64_t start_ms)
{
        *b = (Bucket){.start_ms = start_ms};
        b->kw = xnew0(uint64_t, MAX(in->cfg->n_keywords, (size_t) 1));
}

static int64_t bucket_of(const LogIngest *in, int64_t ts_ms)
{
        int64_t iv = in->cfg->count_interval_ms;
        return ts_ms - ((ts_ms % iv) + iv) % iv;
}

/* --- cluster meta table --- */

static size_t meta_slot(const SourceState *st, uint32_t id)
{
        size_t mask = st->meta_size - 1;
        size_t i = (size_t) (id * UINT32_C(2654435761)) & mask;
        while (st->meta[i] && st->meta[i]->id != id)
                i = (i + 1) & mask;
        return i;
}

static ClusterMeta *meta_find(const SourceState *st, uint32_t id)
{
        if (st->meta_size == 0)
                return NULL;
        return st->meta[meta_slot(st, id)];
}

static ClusterMeta *meta_get(SourceState *st, uint32_t id)
{
        ClusterMeta *m = meta_find(st, id);
        if (m)
                return m;
        if ((st->n_meta + 1) * 2 > st->meta_size) {
                size_t old_size = st->meta_size;
                ClusterMeta **old = st->meta;
                st->meta_size = MAX(old_size * 2, (size_t) 64);
                st->meta = xnew0(ClusterMeta *, st->meta_size);
                for (size_t i = 0; i < old_size; i++)
                        if (old[i])
                                st->meta[meta_slot(st, old[i]->id)] = old[i];
                free(old);
        }
        m = xnew0(ClusterMeta, 1);
        m->id = id;
        m->severity = LOG_SEV_UNKNOWN;
        st->meta[meta_slot(st, id)] = m;
        st->n_meta++;
        return m;
}

static void meta_free(ClusterMeta *m)
{
        if (!m)
                return;
        free(m->sample);
        free(m->params);
        free(m);
}

/* Drops the metas of clusters the miner evicted (max_clusters), keeping dirty ones until
 * they are stored. Rebuilds the table. */
static void meta_prune(SourceState *st)
{
        if (drain_n_clusters(st->drain) >= st->n_meta)
                return;
        size_t old_size = st->meta_size;
        ClusterMeta **old = st->meta;
        st->meta = xnew0(ClusterMeta *, old_size);
        st->n_meta = 0;
        for (size_t i = 0; i < old_size; i++) {
                ClusterMeta *m = old[i];
                if (!m)
                        continue;
                if (m->in_bucket == 0 && !drain_get(st->drain, m->id, &(DrainCluster){})) {
                        /* dropped by the miner (max_clusters): its row goes too */
                        st->evicted =
                                xreallocarray(st->evicted, st->n_evicted + 1, sizeof(*st->evicted));
                        st->evicted[st->n_evicted++] = m->id;
                        meta_free(m);
                        continue;
                }
                st->meta[meta_slot(st, m->id)] = m;
                st->n_meta++;
        }
        free(old);
}

/* --- sources --- */

static void source_state_free(SourceState *st)
{
        if (!st)
                return;
        log_source_free(st->src);
        drain_free(st->drain);
        for (size_t i = 0; i < st->meta_size; i++)
                meta_free(st->meta[i]);
        free(st->meta);
        free(st->touched);
        free(st->evicted);
        bucket_done(&st->cur);
        for (size_t i = 0; i < st->n_closed; i++)
                bucket_done(&st->closed[i]);
        free(st->closed);
        free(st->kw_seen);
        free(st);
}

static void events_clear(LogIngest *in)
{
        for (size_t i = 0; i < in->n_events; i++) {
                free(in->events[i].kind);
                free(in->events[i].source);
                free(in->events[i].template);
                free(in->events[i].sample);
        }
        free(in->events);
        in->events = NULL;
        in->n_events = 0;
}

static void keywords_prepare(LogIngest *in);

static int drain_for(const LogsConfig *cfg, Drain **ret, char **reterr_msg)
{
        DrainOptions o;

        drain_options_init(&o);
        o.depth = cfg->drain_depth;
        o.similarity = cfg->drain_similarity;
        o.max_children = cfg->drain_max_children;
        o.max_clusters = cfg->drain_max_clusters;
        o.no_builtin_masks = !cfg->drain_builtin_masks;
        o.masks = (const char *const *) cfg->drain_masks;
        o.n_masks = cfg->n_drain_masks;
        return drain_new(&o, ret, reterr_msg);
}

int log_ingest_new(const LogsConfig *cfg, Store *store, LogIngest **ret, char **reterr_msg)
{
        _cleanup_(drain_freep) Drain *probe = NULL;

        assert(cfg && ret);
        /* A bad mask is the configuration's error: say so now, not per source. */
        int r = drain_for(cfg, &probe, reterr_msg);
        if (r < 0)
                return r;
        LogIngest *in = xnew0(LogIngest, 1);
        in->cfg = cfg;
        in->store = store;
        in->persistent = store != NULL;
        in->kw_len = xnew(size_t, MAX(cfg->n_keywords, (size_t) 1));
        for (size_t k = 0; k < cfg->n_keywords; k++)
                in->kw_len[k] = strlen(cfg->keywords[k]);
        keywords_prepare(in);
        in->rng = UINT64_C(0x9E3779B97F4A7C15);
        *ret = in;
        return 0;
}

LogIngest *log_ingest_free(LogIngest *in)
{
        if (!in)
                return NULL;
        for (size_t i = 0; i < in->n_sources; i++)
                source_state_free(in->sources[i]);
        free(in->sources);
        events_clear(in);
        free(in->discover_root);
        free(in->kw_len);
        free(in);
        return NULL;
}

static int restore_template(void *userdata, const LogTemplateRow *t);

static int restore(LogIngest *in, SourceState *st, int64_t now_ms)
{
        LogSourceRow row;
        LogTemplateRow *t = NULL;
        size_t n = 0;

        st->first_seen_ms = now_ms;
        if (!in->store)
                return 0;
        int r = logdb_source_get(in->store, st->src->name, &row);
        if (r < 0)
                return r;
        if (r > 0) {
                st->first_seen_ms = row.first_seen_ms;
                st->next_bucket_ms = row.next_bucket_ms;
                st->src->lines = row.lines;
                st->src->bytes = row.bytes;
                /* the format detected before goes on (a restart may read no line at all) */
                LogFormat f = logfmt_from_string(row.format);
                if (!st->fmt_fixed && f >= 0 && f != LOG_FORMAT_AUTO &&
                    st->src->ops->kind != LOG_SOURCE_JOURNAL &&
                    st->src->ops->kind != LOG_SOURCE_KMSG) {
                        st->fmt = f;
                        st->detect_lines = f == LOG_FORMAT_GENERIC ? DETECT_LINES : 0;
                }
                if (row.cursor[0] != '\0' && log_source_set_cursor(st->src, row.cursor) < 0)
                        log_source_set_note(st->src,
                                            "the stored cursor '%s' is malformed; started anew",
                                            row.cursor);
                logdb_source_row_done(&row);
        }
        r = logdb_template_list(in->store, st->src->name, 0, &t, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                (void) restore_template(st, &t[i]);
        logdb_template_rows_free(t, n);
        return 0;
}

static int restore_template(void *userdata, const LogTemplateRow *t)
{
        SourceState *st = userdata;

        int r = drain_restore(st->drain, t->id, t->template, t->count);
        if (r < 0)
                return r;
        ClusterMeta *m = meta_get(st, t->id);
        m->count = t->count;
        m->first_seen_ms = t->first_seen_ms;
        m->last_seen_ms = t->last_seen_ms;
        m->severity = t->severity;
        m->stored = true;
        free(m->sample);
        m->sample = xstrdup(t->sample);
        free(m->params);
        m->params = xstrdup(t->params);
        return 0;
}

int log_ingest_add_source(LogIngest *in, LogSource *src, LogFormat fmt, int64_t now_ms)
{
        _cleanup_(log_source_freep) LogSource *owned = src;
        SourceState *st;

        assert(in && src);
        for (size_t i = 0; i < in->n_sources; i++)
                if (strcmp(in->sources[i]->src->name, src->name) == 0)
                        return -EEXIST;
        st = xnew0(SourceState, 1);
        st->src = TAKE_PTR(owned);
        st->fmt = fmt;
        st->fmt_fixed = fmt != LOG_FORMAT_AUTO;
        st->kw_seen = xnew0(bool, MAX(in->cfg->n_keywords, (size_t) 1));
        int r = drain_for(in->cfg, &st->drain, NULL);
        if (r >= 0)
                r = restore(in, st, now_ms);
        if (r < 0) {
                source_state_free(st);
                return r;
        }
        in->sources = xreallocarray(in->sources, in->n_sources + 1, sizeof(*in->sources));
        in->sources[in->n_sources++] = st;
        return 0;
}

/* --- one line --- */

static unsigned char lower_ascii(unsigned char c)
{
        return c >= 'A' && c <= 'Z' ? (unsigned char) (c - 'A' + 'a') : c;
}

/* The first KW_FAST keywords are found in one pass over the message: kw_first[c] has the bit
 * of each keyword starting with byte c, kw_second[c] of each whose second byte is c (every
 * byte for one-byte keywords), so a position is compared only with the keywords both of its
 * first two bytes allow. Keywords past KW_FAST fall back to a search each. */
static void keywords_prepare(LogIngest *in)
{
        const LogsConfig *cfg = in->cfg;

        for (size_t k = 0; k < cfg->n_keywords && k < KW_FAST; k++) {
                const unsigned char *w = (const unsigned char *) cfg->keywords[k];
                uint64_t bit = UINT64_C(1) << k;
                if (w[0] == '\0')
                        continue;
                in->kw_first[w[0]] |= bit;
                if (w[1] == '\0')
                        for (size_t c = 0; c < 256; c++)
                                in->kw_second[c] |= bit;
                else
                        in->kw_second[w[1]] |= bit;
        }
}

static bool equal_ci(const char *s, const char *lower_word, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (lower_ascii((unsigned char) s[i]) != (unsigned char) lower_word[i])
                        return false;
        return true;
}

static void count_keywords(LogIngest *in, SourceState *st, Bucket *b, const char *msg, size_t len)
{
        const LogsConfig *cfg = in->cfg;
        const unsigned char *u = (const unsigned char *) msg;
        size_t n_fast = MIN(cfg->n_keywords, (size_t) KW_FAST);
        uint64_t found = 0, all = n_fast == 64 ? UINT64_MAX : (UINT64_C(1) << n_fast) - 1;

        for (size_t i = 0; i < len && found != all; i++) {
                uint64_t m = in->kw_first[lower_ascii(u[i])];
                if (!m)
                        continue;
                m &= i + 1 < len ? in->kw_second[lower_ascii(u[i + 1])] : in->kw_second[0];
                m &= ~found;
                while (m) {
                        unsigned k = (unsigned) __builtin_ctzll(m);
                        m &= m - 1;
                        size_t kl = in->kw_len[k];
                        if (kl <= len - i && equal_ci(msg + i, cfg->keywords[k], kl))
                                found |= UINT64_C(1) << k;
                }
        }
        for (size_t k = 0; k < n_fast; k++)
                if (found & (UINT64_C(1) << k)) {
                        b->kw[k]++;
                        st->kw_seen[k] = true;
                }
        for (size_t k = n_fast; k < cfg->n_keywords; k++) {
                size_t kl = in->kw_len[k];
                for (size_t i = 0; kl > 0 && i + kl <= len; i++)
                        if (equal_ci(msg + i, cfg->keywords[k], kl)) {
                                b->kw[k]++;
                                st->kw_seen[k] = true;
                                break;
                        }
        }
}

static void count_access(LogIngest *in, SourceState *st, Bucket *b, const LogAccess *a)
{
        b->access = true;
        st->access_seen = true;
        b->requests++;
        int cls = a->status >= 100 && a->status < 600 ? a->status / 100 : 0;
        b->cls[cls]++;
        st->cls_seen[cls] = true;
        for (size_t i = 0; i < ELEMENTSOF(watched_codes); i++)
                if (a->status == watched_codes[i])
                        b->codes[i]++;
        if (a->status == 504)
                b->upstream_timeouts++;
        reservoir_add(in, &b->rt, a->request_time_s);
        reservoir_add(in, &b->urt, a->upstream_time_s);
}

static void close_bucket(SourceState *st)
{
        Bucket *b = &st->cur;

        if (b->start_ms == 0)
                return;
        b->tpl = xnew(TemplateCount, MAX(st->n_touched, (size_t) 1));
        for (size_t i = 0; i < st->n_touched; i++) {
                ClusterMeta *m = meta_find(st, st->touched[i]);
                if (!m || m->in_bucket == 0)
                        continue;
                b->tpl[b->n_tpl++] = (TemplateCount){m->id, m->in_bucket};
                m->in_bucket = 0;
        }
        st->n_touched = 0;
        st->closed = xreallocarray(st->closed, st->n_closed + 1, sizeof(*st->closed));
        st->closed[st->n_closed++] = *b;
        *b = (Bucket){};
        st->dirty = true;
}

/* The bucket a line of time ts goes into, opening (and closing) buckets as time moves on. */
static Bucket *bucket_for(LogIngest *in, SourceState *st, int64_t ts_ms)
{
        int64_t start = bucket_of(in, ts_ms);
        int64_t floor = st->next_bucket_ms;

        if (st->n_closed > 0)
                floor = MAX(floor,
                            st->closed[st->n_closed - 1].start_ms + in->cfg->count_interval_ms);
        if (start < floor)
                start = floor; /* stored or closed already: count in the oldest open one */
        if (st->cur.start_ms != 0 && start <= st->cur.start_ms)
                return &st->cur; /* this one, or a late line of a closed one */
        close_bucket(st);
        bucket_open(in, &st->cur, start);
        return &st->cur;
}

static char *params_json(const char *const *params, size_t n)
{
        _cleanup_(json_decrefp) json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                (void) json_array_append_new(a, json_string_lossy(params[i]));
        char *s = json_dumps(a, JSON_COMPACT);
        return s ? s : xstrdup("[]");
}

static void new_event(LogIngest *in, SourceState *st, const DrainCluster *c, const char *line,
                      int severity, int64_t ts_ms)
{
        in->events = xreallocarray(in->events, in->n_events + 1, sizeof(*in->events));
        in->events[in->n_events++] = (LogEventRow){
                .ts_ms = ts_ms,
                .kind = xstrdup("new_template"),
                .source = xstrdup(st->src->name),
                .template_id = c->id,
                .template = xstrdup(c->template),
                .sample = logdb_truncate_utf8(line, LOGDB_SAMPLE_MAX_BYTES),
                .severity = severity,
                .shadow = in->cfg->shadow_mode,
        };
        in->stats.new_templates++;
}

static void parse(SourceState *st, const LogLine *l, int64_t now_ms, LogRecord *rec)
{
        LogParseContext pc = {.now_ms = now_ms};
        LogSourceKind kind = st->src->ops->kind;

        if (kind == LOG_SOURCE_JOURNAL || kind == LOG_SOURCE_KMSG) {
                /* The source has taken the record apart already. */
                *rec = (LogRecord){.format = LOG_FORMAT_GENERIC,
                                   .severity = LOG_SEV_UNKNOWN,
                                   .msg = l->text,
                                   .msg_len = l->len};
                return;
        }
        /* Detection looks at up to DETECT_LINES lines for a specific format: a first line
         * such as MariaDB's "Version: ..." banner says nothing. */
        LogFormat fmt = st->fmt;
        if (!st->fmt_fixed && l->len > 0 && (fmt == LOG_FORMAT_AUTO || fmt == LOG_FORMAT_GENERIC) &&
            st->detect_lines < DETECT_LINES) {
                st->detect_lines++;
                fmt = logfmt_detect(l->text, l->len, &pc);
                if (fmt != LOG_FORMAT_GENERIC || st->detect_lines == DETECT_LINES)
                        st->fmt = fmt;
        }
        if (fmt == LOG_FORMAT_AUTO || logfmt_parse(fmt, l->text, l->len, &pc, rec) < 0)
                (void) logfmt_parse(LOG_FORMAT_GENERIC, l->text, l->len, &pc, rec);
}

static int on_line(void *userdata, const LogLine *l)
{
        LogIngest *in = userdata;
        SourceState *st = in->cur_st;
        int64_t now = in->cur_now_ms;
        LogRecord rec;
        DrainChange change;
        DrainCluster c;
        const char *const *params = NULL;
        size_t n_params = 0;

        parse(st, l, now, &rec);
        int64_t ts = rec.ts_ms ? rec.ts_ms : l->ts_ms;
        if (ts <= 0 || ts > now + TS_FUTURE_MAX_MS || ts < now - TS_PAST_MAX_MS)
                ts = now;
        int sev = l->severity >= 0 && l->severity <= 7 ? l->severity : rec.severity;
        if (sev < 0 || sev > 7)
                sev = LOG_SEV_UNKNOWN;

        in->stats.lines++;
        in->stats.bytes += l->len;
        st->dirty = true;
        st->active = true;
        Bucket *b = bucket_for(in, st, ts);
        b->lines++;
        b->sev[sev >= 0 ? sev : 8]++;
        st->sev_seen[sev >= 0 ? sev : 8] = true;
        /* the whole line: "ERROR" as a level word is an error line to an operator too */
        count_keywords(in, st, b, l->text, l->len);
        if (rec.is_access)
                count_access(in, st, b, &rec.access);
        else if (rec.msg_len >= 18 && memmem(rec.msg, rec.msg_len, "upstream timed out", 18))
                b->upstream_timeouts++;

        if (drain_add(st->drain, rec.msg, rec.msg_len, &change, &c, &params, &n_params) < 0)
                return 0; /* the miner refused the line; it is still counted */
        ClusterMeta *m = meta_get(st, c.id);
        if (m->count == 0) {
                m->first_seen_ms = ts;
                m->sample = logdb_truncate_utf8(l->text, LOGDB_SAMPLE_MAX_BYTES);
                m->params = params_json(params, n_params);
        }
        m->count++;
        m->last_seen_ms = MAX(m->last_seen_ms, ts);
        if (sev >= 0 && (m->severity < 0 || sev < m->severity))
                m->severity = sev;
        m->dirty = true;
        if (m->in_bucket++ == 0) {
                if (st->n_touched == st->touched_cap) {
                        st->touched_cap = MAX(st->touched_cap * 2, (size_t) 64);
                        st->touched =
                                xreallocarray(st->touched, st->touched_cap, sizeof(*st->touched));
                }
                st->touched[st->n_touched++] = c.id;
        }
        if (change == DRAIN_CHANGE_CREATED && !l->backfill &&
            now >= st->first_seen_ms + in->cfg->learning_ms) {
                b->new_templates++;
                if (!in->cfg->shadow_mode)
                        b->anomalies++;
                /* A flood of never-seen lines (junk, a debug switch) is counted in full but
                 * recorded as events only up to NEW_EVENTS_PER_HOUR a clock hour. */
                int64_t hour = now - now % MSEC_PER_HOUR;
                if (hour != st->event_hour_ms) {
                        st->event_hour_ms = hour;
                        st->events_in_hour = 0;
                        st->events_dropped = 0;
                }
                if (st->events_in_hour < NEW_EVENTS_PER_HOUR) {
                        st->events_in_hour++;
                        new_event(in, st, &c, l->text, sev, ts);
                } else if (st->events_dropped++ == 0)
                        log_source_set_note(st->src,
                                            "more than %u new templates within an hour: the "
                                            "rest are counted (log_new_templates) but not "
                                            "listed as events",
                                            NEW_EVENTS_PER_HOUR);
        }
        return 0;
}

/* A command that ended is run again, after 1 s, doubling up to RESTART_MAX_MS while it
 * keeps ending without a line, as a supervisor would: `kubectl logs -f` loses its
 * connection, a container restarts. Its miner, counts and name go on. */
static void restart_command(SourceState *st, int64_t now_ms)
{
        if (st->restart_at_ms == 0) {
                st->restart_delay_ms = st->restart_delay_ms == 0
                                               ? MSEC_PER_SEC
                                               : MIN(st->restart_delay_ms * 2, RESTART_MAX_MS);
                st->restart_at_ms = now_ms + st->restart_delay_ms;
                return;
        }
        if (now_ms < st->restart_at_ms)
                return;
        st->restart_at_ms = 0;
        LogSource *fresh = NULL;
        if (log_source_new_command(st->src->name, st->src->target, true, &fresh) < 0)
                return; /* tried again after the next delay */
        fresh->lines = st->src->lines;
        fresh->bytes = st->src->bytes;
        fresh->truncated_lines = st->src->truncated_lines;
        log_source_set_note(fresh, "restarted after it ended (%s)",
                            st->src->error  ? st->src->error
                            : st->src->note ? st->src->note
                                            : "exit status 0");
        log_source_free(st->src);
        st->src = fresh;
}

int log_ingest_poll(LogIngest *in, int64_t now_ms, size_t max_lines)
{
        int total = 0;

        assert(in);
        for (size_t i = 0; i < in->n_sources; i++) {
                SourceState *st = in->sources[i];
                in->cur_st = st;
                in->cur_now_ms = now_ms;
                int r = log_source_read(st->src, max_lines, on_line, in);
                if (r > 0) {
                        total += r;
                        st->restart_delay_ms = 0; /* it delivers: a later exit restarts soon */
                }
                if (drain_n_clusters(st->drain) + 64 < st->n_meta)
                        meta_prune(st);
                if (in->restart_commands && st->src->ops->kind == LOG_SOURCE_COMMAND &&
                    st->src->eof)
                        restart_command(st, now_ms);
        }
        in->cur_st = NULL;
        return total;
}

void log_ingest_set_restart_commands(LogIngest *in, bool restart)
{
        assert(in);
        in->restart_commands = restart;
}

/* --- flush --- */

typedef struct Pending {
        int64_t series_id;
        int64_t ts_ms;
        double v;
} Pending;

typedef struct PendingVec {
        Pending *v;
        size_t n;
        size_t cap;
        int error;
} PendingVec;

static void put(LogIngest *in, PendingVec *pv, const char *name, const char *source,
                const char *key, const char *value, int64_t ts_ms, double v)
{
        const char *labels[] = {"source", source, key, value, NULL};
        int64_t id;

        if (!key)
                labels[2] = NULL;
        int r = store_series_get(in->store, name, labels, &id);
        if (r < 0) {
                pv->error = pv->error ?: r;
                return;
        }
        if (pv->n == pv->cap) {
                pv->cap = MAX(pv->cap * 2, (size_t) 64);
                pv->v = xreallocarray(pv->v, pv->cap, sizeof(*pv->v));
        }
        pv->v[pv->n++] = (Pending){id, ts_ms, v};
}

/* The samples of one bucket (b NULL: an empty one at start_ms). */
static void bucket_samples(LogIngest *in, SourceState *st, const Bucket *b, int64_t start_ms,
                           PendingVec *pv)
{
        const char *src = st->src->name;
        double secs = (double) in->cfg->count_interval_ms / 1000.0;
        char buf[32];

        for (size_t s = 0; s < N_SEVERITIES; s++)
                if (st->sev_seen[s])
                        put(in, pv, "log_lines", src, "severity", severity_labels[s], start_ms,
                            b ? (double) b->sev[s] : 0);
        for (size_t k = 0; k < in->cfg->n_keywords; k++)
                if (st->kw_seen[k])
                        put(in, pv, "log_keyword_lines", src, "keyword", in->cfg->keywords[k],
                            start_ms, b ? (double) b->kw[k] : 0);
        put(in, pv, "log_new_templates", src, NULL, NULL, start_ms,
            b ? (double) b->new_templates : 0);
        put(in, pv, "log_anomalies", src, NULL, NULL, start_ms, b ? (double) b->anomalies : 0);
        if (b) {
                uint64_t other = 0;
                for (size_t i = 0; i < b->n_tpl; i++) {
                        if (b->tpl[i].id > TEMPLATE_SERIES_MAX) {
                                other += b->tpl[i].count;
                                continue;
                        }
                        (void) snprintf(buf, sizeof(buf), "%" PRIu32, b->tpl[i].id);
                        put(in, pv, "log_template_lines", src, "template", buf, start_ms,
                            (double) b->tpl[i].count);
                }
                if (other > 0)
                        put(in, pv, "log_template_lines", src, "template", "other", start_ms,
                            (double) other);
        }
        if (b && b->upstream_timeouts > 0)
                put(in, pv, "http_upstream_timeouts", src, NULL, NULL, start_ms,
                    (double) b->upstream_timeouts);
        if (!st->access_seen)
                return;
        uint64_t requests = b ? b->requests : 0;
        put(in, pv, "http_requests_per_second", src, NULL, NULL, start_ms,
            (double) requests / secs);
        for (size_t c = 0; c < 6; c++)
                if (st->cls_seen[c])
                        put(in, pv, "http_class_per_second", src, "class", class_labels[c],
                            start_ms, b ? (double) b->cls[c] / secs : 0);
        for (size_t i = 0; i < ELEMENTSOF(watched_codes); i++) {
                (void) snprintf(buf, sizeof(buf), "%d", watched_codes[i]);
                put(in, pv, "http_code_per_second", src, "code", buf, start_ms,
                    b ? (double) b->codes[i] / secs : 0);
        }
        if (requests > 0)
                put(in, pv, "http_5xx_ratio", src, NULL, NULL, start_ms,
                    (double) b->cls[5] / (double) requests);
        static const struct {
                const char *label;
                double q;
        } qs[] = {{"0.5", 0.5}, {"0.9", 0.9}, {"0.99", 0.99}};
        const struct {
                const char *name;
                const Reservoir *r;
        } res[] = {{"http_request_seconds", b ? &b->rt : NULL},
                   {"http_upstream_seconds", b ? &b->urt : NULL}};
        for (size_t i = 0; i < ELEMENTSOF(res); i++) {
                if (!res[i].r || res[i].r->n == 0)
                        continue;
                qsort(res[i].r->v, res[i].r->n, sizeof(double), cmp_double);
                for (size_t q = 0; q < ELEMENTSOF(qs); q++)
                        put(in, pv, res[i].name, src, "quantile", qs[q].label, start_ms,
                            reservoir_quantile(res[i].r, qs[q].q));
        }
}

/* Samples of the closed buckets and the empty buckets between them and before them. */
static void source_samples(LogIngest *in, SourceState *st, PendingVec *pv)
{
        int64_t iv = in->cfg->count_interval_ms;

        for (size_t i = 0; i < st->n_closed; i++) {
                const Bucket *b = &st->closed[i];
                int64_t from = st->next_bucket_ms;
                if (from > 0 && b->start_ms - from <= ZERO_FILL_MAX * iv)
                        for (int64_t t = from; t < b->start_ms; t += iv)
                                bucket_samples(in, st, NULL, t, pv);
                else if (from > 0 && b->start_ms > from)
                        bucket_samples(in, st, NULL, from, pv);
                bucket_samples(in, st, b, b->start_ms, pv);
                st->next_bucket_ms = b->start_ms + iv;
        }
}

/* Empty buckets up to now for a source that stayed silent (live tailing). */
static void close_by_clock(LogIngest *in, SourceState *st, int64_t now_ms, bool final)
{
        int64_t iv = in->cfg->count_interval_ms;
        int64_t now_bucket = bucket_of(in, now_ms);

        /* A source still delivering (reading history, or a burst) closes its buckets by the
         * lines' times; the clock only closes those of a source that went quiet. */
        bool active = st->active;
        st->active = false;
        if (st->cur.start_ms != 0 && (final || (!active && st->cur.start_ms < now_bucket)))
                close_bucket(st);
        if (active && !final)
                return;
        if (final || st->next_bucket_ms == 0)
                return;
        /* Silence: store zeros up to the bucket before now's (within the fill limit). */
        int64_t last_closed = st->n_closed > 0 ? st->closed[st->n_closed - 1].start_ms : 0;
        int64_t from = MAX(st->next_bucket_ms, last_closed + iv);
        if (st->cur.start_ms == 0 && from < now_bucket && now_bucket - from <= ZERO_FILL_MAX * iv) {
                for (int64_t t = from; t < now_bucket; t += iv) {
                        st->closed =
                                xreallocarray(st->closed, st->n_closed + 1, sizeof(*st->closed));
                        bucket_open(in, &st->closed[st->n_closed++], t);
                }
        }
}

static const char *source_format_name(const SourceState *st)
{
        switch (st->src->ops->kind) {
        case LOG_SOURCE_JOURNAL:
                return "journal";
        case LOG_SOURCE_KMSG:
                return "kmsg";
        default:
                return st->fmt == LOG_FORMAT_AUTO ? "auto" : logfmt_to_string(st->fmt);
        }
}

static int write_source(LogIngest *in, SourceState *st, int64_t now_ms)
{
        _cleanup_free_ char *cursor = log_source_get_cursor(st->src);
        LogSourceRow row = {
                .name = st->src->name,
                .kind = (char *) log_source_kind_to_string(st->src->ops->kind),
                .target = st->src->target,
                .cursor = cursor,
                .first_seen_ms = st->first_seen_ms,
                .updated_ms = now_ms,
                .lines = st->src->lines,
                .bytes = st->src->bytes,
                .error = st->src->error,
                .note = st->src->note,
                .next_bucket_ms = st->next_bucket_ms,
                .format = (char *) source_format_name(st),
        };
        return logdb_source_put(in->store, &row);
}

static int write_templates(LogIngest *in, SourceState *st)
{
        for (size_t i = 0; i < st->n_evicted; i++) {
                int r = logdb_template_delete(in->store, st->src->name, st->evicted[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < st->meta_size; i++) {
                ClusterMeta *m = st->meta[i];
                DrainCluster c;
                if (!m)
                        continue;
                if (!drain_get(st->drain, m->id, &c)) {
                        /* dropped by the miner while its lines are still being counted */
                        if (m->stored) {
                                int r = logdb_template_delete(in->store, st->src->name, m->id);
                                if (r < 0)
                                        return r;
                                m->stored = false;
                        }
                        continue;
                }
                if (!m->dirty)
                        continue;
                LogTemplateRow row = {
                        .source = st->src->name,
                        .id = m->id,
                        .template = (char *) c.template,
                        .count = m->count,
                        .first_seen_ms = m->first_seen_ms,
                        .last_seen_ms = m->last_seen_ms,
                        .severity = m->severity,
                        .sample = m->sample,
                        .params = m->params,
                };
                int r = logdb_template_put(in->store, &row);
                if (r < 0)
                        return r;
                m->stored = true;
        }
        return 0;
}

int log_ingest_flush(LogIngest *in, int64_t now_ms, bool final)
{
        _cleanup_free_ int64_t *saved_next = NULL;
        PendingVec pv = {};
        int r = 0;

        assert(in);
        if (in->persistent && !in->store)
                return 0; /* the store is away: keep it all for the next flush */
        for (size_t i = 0; i < in->n_sources; i++)
                close_by_clock(in, in->sources[i], now_ms, final);
        if (!in->store)
                goto out_clear;

        /* Series first: they cannot be created inside the transaction (store.h). */
        saved_next = xnew(int64_t, MAX(in->n_sources, (size_t) 1));
        for (size_t i = 0; i < in->n_sources; i++)
                saved_next[i] = in->sources[i]->next_bucket_ms;
        r = store_series_batch_begin(in->store);
        if (r < 0)
                goto out_restore;
        for (size_t i = 0; i < in->n_sources; i++)
                source_samples(in, in->sources[i], &pv);
        r = store_series_batch_end(in->store);
        if (r >= 0)
                r = pv.error;
        if (r < 0)
                goto out_restore;

        r = store_begin(in->store);
        if (r < 0)
                goto out_restore;
        for (size_t i = 0; i < pv.n; i++) {
                int q = store_append(in->store, pv.v[i].series_id, pv.v[i].ts_ms, pv.v[i].v);
                if (q == -EINVAL)
                        continue; /* not after the series' last sample: a clock step; dropped */
                if (q < 0) {
                        r = q;
                        goto out_rollback;
                }
        }
        for (size_t i = 0; i < in->n_sources && r >= 0; i++) {
                SourceState *st = in->sources[i];
                r = write_templates(in, st);
                if (r >= 0)
                        r = write_source(in, st, now_ms);
        }
        for (size_t i = 0; i < in->n_events && r >= 0; i++)
                r = logdb_event_add(in->store, &in->events[i]);
        if (r < 0)
                goto out_rollback;
        r = store_commit(in->store);
        if (r < 0) {
                /* The samples stay in the store's memory and go with its next commit; the
                 * rows above were rolled back and are written again next time. */
                goto out_clear_buckets;
        }
        in->stats.samples += pv.n;
        for (size_t i = 0; i < in->n_sources; i++) {
                SourceState *st = in->sources[i];
                for (size_t j = 0; j < st->meta_size; j++)
                        if (st->meta[j])
                                st->meta[j]->dirty = false;
                st->dirty = false;
                st->n_evicted = 0;
        }
        events_clear(in);
        goto out_clear;

out_rollback:
        store_rollback(in->store);
out_restore:
        /* Nothing was appended: keep the buckets for the next flush. */
        for (size_t i = 0; i < in->n_sources; i++)
                in->sources[i]->next_bucket_ms = saved_next[i];
        free(pv.v);
        return r;

out_clear_buckets:
out_clear:
        for (size_t i = 0; i < in->n_sources; i++) {
                SourceState *st = in->sources[i];
                if (!in->store && st->n_closed > 0)
                        st->next_bucket_ms =
                                st->closed[st->n_closed - 1].start_ms + in->cfg->count_interval_ms;
                for (size_t j = 0; j < st->n_closed; j++)
                        bucket_done(&st->closed[j]);
                st->n_closed = 0;
        }
        if (!in->store)
                events_clear(in);
        free(pv.v);
        return r < 0 ? r : 0;
}

void log_ingest_set_store(LogIngest *in, Store *store)
{
        assert(in);
        in->store = store;
        in->persistent = true;
}

/* --- configured sources --- */

char *log_ingest_name_for_path(const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        const char *base, *dir = NULL;
        char *slash = strrchr(copy, '/');

        if (slash) {
                *slash = '\0';
                base = slash + 1;
                const char *d = strrchr(copy, '/');
                dir = d ? d + 1 : copy;
                if (strcmp(copy, "/var/log") == 0 || *dir == '\0')
                        dir = NULL;
        } else
                base = copy;
        _cleanup_free_ char *stem = xstrdup(base);
        size_t n = strlen(stem);
        if (n > 4 && (strcmp(stem + n - 4, ".log") == 0 || strcmp(stem + n - 4, "_log") == 0))
                stem[n - 4] = '\0';
        char *name = dir && strncmp(stem, dir, strlen(dir)) != 0 ? xasprintf("%s-%s", dir, stem)
                                                                 : xstrdup(stem);
        for (char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
                        *p = '-';
        if (*name == '\0') {
                free(name);
                name = xstrdup("log");
        }
        return name;
}

static bool have_path(LogIngest *in, const char *path)
{
        for (size_t i = 0; i < in->n_sources; i++)
                if (in->sources[i]->src->ops->kind == LOG_SOURCE_FILE &&
                    strcmp(in->sources[i]->src->target, path) == 0)
                        return true;
        return false;
}

static char *unique_name(LogIngest *in, const char *want)
{
        char *name = xstrdup(want);
        for (unsigned k = 2;; k++) {
                bool taken = false;
                for (size_t i = 0; i < in->n_sources && !taken; i++)
                        taken = strcmp(in->sources[i]->src->name, name) == 0;
                if (!taken)
                        return name;
                free(name);
                name = xasprintf("%s-%u", want, k);
        }
}

static void note_error(StrBuf *errs, const char *fmt, ...) _printf_(2, 3);
static void note_error(StrBuf *errs, const char *fmt, ...)
{
        va_list ap;

        if (errs->len > 0)
                (void) strbuf_puts(errs, "; ");
        va_start(ap, fmt);
        (void) strbuf_vprintf(errs, fmt, ap);
        va_end(ap);
}

/* root: a prefix of path that is not part of its name (discovery under a test root). */
static int add_file(LogIngest *in, const char *root, const char *path, const char *name,
                    LogFormat fmt, int64_t now_ms, StrBuf *errs)
{
        LogTailOptions o = {.backfill = in->cfg->backfill};
        LogSource *src;

        if (have_path(in, path))
                return 0;
        const char *name_path = path;
        if (root && strncmp(path, root, strlen(root)) == 0)
                name_path = path + strlen(root);
        _cleanup_free_ char *derived =
                name && *name ? xstrdup(name) : log_ingest_name_for_path(name_path);
        _cleanup_free_ char *uniq = unique_name(in, derived);
        if (fmt == LOG_FORMAT_AUTO)
                fmt = logfmt_from_path(path);
        int r = log_source_new_file(uniq, path, &o, &src);
        if (r < 0) {
                note_error(errs, "cannot follow '%s': %s", path, strerror(-r));
                return 0;
        }
        r = log_ingest_add_source(in, src, fmt, now_ms);
        if (r < 0) {
                note_error(errs, "cannot add '%s': %s", path, strerror(-r));
                return 0;
        }
        return 1;
}

static const struct {
        const char *pattern;
        LogFormat fmt;
} known_logs[] = {
        {"/var/log/nginx/access.log", LOG_FORMAT_ACCESS},
        {"/var/log/nginx/error.log", LOG_FORMAT_NGINX_ERROR},
        {"/var/log/apache2/access.log", LOG_FORMAT_ACCESS},
        {"/var/log/apache2/error.log", LOG_FORMAT_APACHE_ERROR},
        {"/var/log/httpd/access_log", LOG_FORMAT_ACCESS},
        {"/var/log/httpd/error_log", LOG_FORMAT_APACHE_ERROR},
        {"/var/log/mysql/error.log", LOG_FORMAT_MYSQL},
        {"/var/log/mariadb/mariadb.log", LOG_FORMAT_MYSQL},
        {"/var/log/mysqld.log", LOG_FORMAT_MYSQL},
        {"/var/log/redis/redis-server.log", LOG_FORMAT_REDIS},
        {"/var/log/redis/redis.log", LOG_FORMAT_REDIS},
        {"/var/log/postgresql/postgresql-*.log", LOG_FORMAT_POSTGRES},
        {"/var/log/syslog", LOG_FORMAT_SYSLOG},
        {"/var/log/messages", LOG_FORMAT_SYSLOG},
        {"/var/log/auth.log", LOG_FORMAT_SYSLOG},
        {"/var/log/secure", LOG_FORMAT_SYSLOG},
        {"/var/log/kern.log", LOG_FORMAT_SYSLOG},
};

static bool has_glob_chars(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* Regular files matching pattern (under root), in name order. */
static int add_glob(LogIngest *in, const char *root, const char *pattern, const char *name,
                    LogFormat fmt, bool follow_missing, int64_t now_ms, StrBuf *errs)
{
        _cleanup_free_ char *full = xasprintf("%s%s", root ? root : "", pattern);
        glob_t g = {};
        int added = 0;

        if (!has_glob_chars(full)) {
                struct stat sb;
                if (stat(full, &sb) < 0 && !follow_missing)
                        return 0;
                if (stat(full, &sb) == 0 && !S_ISREG(sb.st_mode)) {
                        note_error(errs, "'%s' is not a regular file, skipping", full);
                        return 0;
                }
                return add_file(in, root, full, name, fmt, now_ms, errs);
        }
        int rc = glob(full, 0, NULL, &g);
        if (rc == 0)
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        struct stat sb;
                        const char *p = g.gl_pathv[i];
                        size_t n = strlen(p);
                        /* rotated history is backfill of its live file, not a source */
                        if (n > 3 &&
                            (strcmp(p + n - 3, ".gz") == 0 || strcmp(p + n - 2, ".1") == 0 ||
                             strcmp(p + n - 4, ".zst") == 0))
                                continue;
                        if (stat(p, &sb) < 0 || !S_ISREG(sb.st_mode))
                                continue;
                        added += add_file(in, root, p, g.gl_pathc == 1 ? name : NULL, fmt, now_ms,
                                          errs);
                }
        globfree(&g);
        return added;
}

void log_ingest_set_discover_root(LogIngest *in, const char *root)
{
        free(in->discover_root);
        in->discover_root = root ? xstrdup(root) : NULL;
}

int log_ingest_add_configured(LogIngest *in, int64_t now_ms, char **reterr_msg)
{
        _cleanup_(strbuf_done) StrBuf errs = {};
        const LogsConfig *cfg = in->cfg;
        int added = 0, r;

        assert(in);
        for (size_t i = 0; i < cfg->n_files; i++) {
                LogFormat fmt = cfg->files[i].format[0] ? logfmt_from_string(cfg->files[i].format)
                                                        : LOG_FORMAT_AUTO;
                if (fmt < 0) {
                        if (reterr_msg)
                                *reterr_msg = xasprintf("logs.files: unknown format '%s' for '%s'",
                                                        cfg->files[i].format, cfg->files[i].path);
                        return -EINVAL;
                }
                added += add_glob(in, NULL, cfg->files[i].path, cfg->files[i].name, fmt, true,
                                  now_ms, &errs);
        }
        if (cfg->discover)
                for (size_t i = 0; i < ELEMENTSOF(known_logs); i++)
                        added += add_glob(in, in->discover_root, known_logs[i].pattern, NULL,
                                          known_logs[i].fmt, false, now_ms, &errs);
        if (cfg->journal) {
                LogSource *src;
                const char **units = NULL;
                if (cfg->n_journal_units > 0) {
                        units = xnew0(const char *, cfg->n_journal_units + 1);
                        for (size_t i = 0; i < cfg->n_journal_units; i++)
                                units[i] = cfg->journal_units[i];
                }
                const char **files = NULL;
                if (cfg->n_journal_files > 0) {
                        files = xnew0(const char *, cfg->n_journal_files + 1);
                        for (size_t i = 0; i < cfg->n_journal_files; i++)
                                files[i] = cfg->journal_files[i];
                }
                r = log_source_new_journal("journal", units, files, files != NULL, &src);
                free(units);
                free(files);
                if (r >= 0 && log_ingest_add_source(in, src, LOG_FORMAT_GENERIC, now_ms) >= 0)
                        added++;
                else if (r < 0)
                        note_error(&errs, "cannot read the journal: %s", strerror(-r));
        }
        if (cfg->kmsg) {
                LogSource *src;
                r = log_source_new_kmsg("kmsg", NULL, &src);
                if (r >= 0 && log_ingest_add_source(in, src, LOG_FORMAT_KMSG, now_ms) >= 0)
                        added++;
                else if (r < 0)
                        note_error(&errs, "cannot read /dev/kmsg: %s", strerror(-r));
        }
        for (size_t i = 0; i < cfg->n_commands; i++) {
                const LogCommandDef *d = &cfg->commands[i];
                LogFormat fmt = d->format[0] ? logfmt_from_string(d->format) : LOG_FORMAT_AUTO;
                LogSource *src;
                if (fmt < 0) {
                        if (reterr_msg)
                                *reterr_msg =
                                        xasprintf("logs.commands: unknown format '%s' for '%s'",
                                                  d->format, d->name);
                        return -EINVAL;
                }
                r = log_source_new_command(d->name, d->command, true, &src);
                if (r >= 0 && log_ingest_add_source(in, src, fmt, now_ms) >= 0)
                        added++;
                else if (r < 0)
                        note_error(&errs, "cannot run '%s': %s", d->command, strerror(-r));
        }
        if (reterr_msg && errs.len > 0)
                *reterr_msg = strbuf_steal(&errs);
        return added;
}

/* --- reporting --- */

size_t log_ingest_fds(LogIngest *in, int *fds, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < in->n_sources && n < max; i++) {
                int fd = log_source_get_fd(in->sources[i]->src);
                if (fd >= 0)
                        fds[n++] = fd;
        }
        return n;
}

void log_ingest_stats(const LogIngest *in, LogIngestStats *ret)
{
        *ret = in->stats;
        ret->sources = in->n_sources;
        ret->sources_failing = 0;
        ret->templates = 0;
        for (size_t i = 0; i < in->n_sources; i++) {
                ret->sources_failing += in->sources[i]->src->error != NULL;
                ret->templates += drain_n_clusters(in->sources[i]->drain);
        }
}

size_t log_ingest_n_sources(const LogIngest *in)
{
        return in->n_sources;
}

void log_ingest_source_info(const LogIngest *in, size_t i, LogIngestSourceInfo *ret)
{
        assert(i < in->n_sources);
        const SourceState *st = in->sources[i];
        *ret = (LogIngestSourceInfo){
                .source = st->src,
                .format = st->fmt,
                .templates = drain_n_clusters(st->drain),
                .learning = time_now_ms() < st->first_seen_ms + in->cfg->learning_ms,
        };
}

size_t log_ingest_take_errors(LogIngest *in, const LogSource **ret, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < in->n_sources && n < max; i++) {
                LogSource *s = in->sources[i]->src;
                if (s->error_new) {
                        s->error_new = false;
                        ret[n++] = s;
                }
        }
        return n;
}

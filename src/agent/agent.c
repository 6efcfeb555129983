#include "agent/agent.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/quantize.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/time-util.h"
#include "detect/batch.h"
#include "detect/drift.h"
#include "detect/features.h"
#include "store/detectdb.h"

/* Retry the real store after this, doubling up to the maximum. */
#define STORE_RETRY_MIN_MS MSEC_PER_SEC
#define STORE_RETRY_MAX_MS MSEC_PER_MIN
/* Retention and WAL checkpoints run this often. */
#define HOUSEKEEPING_MS MSEC_PER_HOUR

struct Agent {
        const Config *config;
        unsigned flags;
        char *db_path;
        HostCollector *host;
        HostSample host_sample;
        ProcTable *ptable;
        ServiceSpec *specs;
        ServiceStatus *services;
        size_t n_services;
        const ProcInfo **sorted; /* scratch for top-N selection */
        size_t sorted_alloc;
        pid_t *picked; /* this cycle's processes: [0, n_stored) stored, the rest details only */
        int *member;   /* by table position: the service of each process, or -1 */
        size_t n_picked, n_stored;

        Store *store;      /* the real one; NULL while unavailable */
        Store *fallback;   /* in memory while the real one is unavailable */
        char *store_error; /* the failure last logged, so each is logged once */
        int64_t store_retry_at_ms;
        int64_t store_retry_delay_ms;
        int64_t housekeeping_at_ms;

        int64_t grid_ms; /* 0: timestamps are real times */
        bool grid_wall;
        int64_t grid_origin_ms; /* 0 until the first cycle */
        int64_t cycle_ts_ms;
        uint64_t cycle_samples;
        AgentStats stats;

        LogIngest *logs;
        char *logs_error;            /* the last flush failure logged */
        int64_t logs_flushed_bucket; /* count bucket of the last flush, and of the last scan */
        int64_t logs_scanned_bucket;

        OnlineScorer *online;    /* NULL unless detect.online */
        int64_t online_since_ms; /* first cycle: older stored log buckets are warm-up */
        bool online_full_logged;

        HostModel *model;
        bool model_load_tried;
        int64_t model_window_ms;     /* start of the current window, 0 before the first */
        int64_t model_not_before_ms; /* no training before */
        int64_t model_drift_at_ms;   /* next drift check */
        bool model_waiting_logged;
        unsigned model_waits; /* trainings that found too little data in a row */
        char *model_error;    /* the failure last logged */
};

static void store_failed(Agent *a, int r, const char *msg)
{
        if (a->store_error && strcmp(a->store_error, msg) == 0)
                return;
        log_error_errno(r, "%s; collecting in memory and retrying", msg);
        free(a->store_error);
        a->store_error = xstrdup(msg);
}

static void store_recovered(Agent *a)
{
        if (!a->store_error)
                return;
        log_notice("store '%s' is writable again; samples kept in memory were saved", a->db_path);
        free(a->store_error);
        a->store_error = NULL;
}

static int open_real_store(Agent *a)
{
        _cleanup_free_ char *msg = NULL;

        int r = store_open(a->db_path, NULL, &a->store, &msg);
        if (r < 0) {
                store_failed(a, r, msg ? msg : "cannot open the store");
                return r;
        }
        return 0;
}

/* Where this cycle's samples go: the real store, unless samples are still waiting in memory
 * (then behind them, so that each series stays in time order when they are moved over). */
static Store *active_store(Agent *a)
{
        if (a->store && !a->fallback)
                return a->store;
        if (!a->fallback) {
                _cleanup_free_ char *msg = NULL;
                int r = store_open(":memory:", NULL, &a->fallback, &msg);
                if (r < 0) {
                        log_error_errno(r, "cannot create the in-memory store: %s", msg ? msg : "");
                        return NULL;
                }
        }
        return a->fallback;
}

/* Moves every sample of the in-memory store into the real one, then drops it. */
static int drain_fallback(Agent *a)
{
        StoreSeries *series = NULL;
        size_t n = 0;

        if (!a->fallback)
                return 0;
        int r = store_series_match(a->fallback, NULL, NULL, &series, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ const char **labels = xnew(const char *, 2 * series[i].n_labels + 1);
                _cleanup_free_ StoreSample *samples = NULL;
                size_t n_samples = 0;
                int64_t id;

                for (size_t j = 0; j < series[i].n_labels; j++) {
                        labels[2 * j] = series[i].labels[j].key;
                        labels[2 * j + 1] = series[i].labels[j].value;
                }
                labels[2 * series[i].n_labels] = NULL;
                r = store_series_get(a->store, series[i].name, labels, &id);
                if (r < 0)
                        break;
                r = store_query(a->fallback, series[i].id, INT64_MIN, INT64_MAX, &samples,
                                &n_samples);
                for (size_t j = 0; r >= 0 && j < n_samples; j++) {
                        int q = store_append(a->store, id, samples[j].ts_ms, samples[j].value);
                        if (q < 0 && q != -EINVAL) /* -EINVAL: already stored before the outage */
                                r = q;
                }
        }
        store_series_array_free(series, n);
        if (r < 0)
                return r;
        r = store_commit(a->store);
        if (r < 0)
                return r;
        a->fallback = store_free(a->fallback);
        return 0;
}

/* Stores value as it is at ts_ms; false if it was not stored. */
static bool emit_at(Agent *a, const char *name, const char *const *labels, int64_t ts_ms,
                    double value)
{
        Store *s = active_store(a);
        int64_t id;

        if (!s || !isfinite(value))
                return false;
        int r = store_series_get(s, name, labels, &id);
        if (r >= 0)
                r = store_append(s, id, ts_ms, value);
        if (r < 0) {
                log_debug_errno(r, "cannot store a sample of '%s', skipping: %m", name);
                return false;
        }
        a->cycle_samples++;
        return true;
}

/* Scores are stored with 2 decimals: 0.9 and 0.91 mean the same to anyone reading them, and
 * the chunk's decimal mode keeps them near 1 byte a sample. */
#define SCORE_DECIMALS 2
/* The rate with 4: one anomalous series in 300 is 0.0033. */
#define RATE_DECIMALS 4

/* anomaly_score{metric="<name>", <labels>} at ts_ms. */
static void emit_score(Agent *a, const char *name, const char *const *labels, int64_t ts_ms,
                       double score)
{
        const char *l[2 + 2 * 16 + 1] = {"metric", name};
        size_t n = 2;

        for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
                if (n + 3 > ELEMENTSOF(l))
                        return; /* more labels than any series of ours has */
                l[n++] = labels[i];
                l[n++] = labels[i + 1];
        }
        l[n] = NULL;
        (void) emit_at(a, ONLINE_SCORE_METRIC, l, ts_ms, quantize(score, SCORE_DECIMALS));
}

static void emit(void *userdata, const char *name, const char *const *labels, double value)
{
        Agent *a = userdata;
        double score;
        bool anomaly;

        if (!isfinite(value))
                return;
        /* The value scored is the value stored, so that a restart's warm-up from the store
         * replays exactly what was scored live. */
        value = quantize(value, quantize_decimals(name));
        if (!emit_at(a, name, labels, a->cycle_ts_ms, value) || !a->online)
                return;
        if (online_observe(a->online, a->store, name, labels, a->cycle_ts_ms, value, &score,
                           &anomaly) > 0)
                emit_score(a, name, labels, a->cycle_ts_ms, score);
}

static void emit1(Agent *a, const char *name, const char *k, const char *v, double value)
{
        const char *labels[] = {k, v, NULL};
        emit(a, name, k ? labels : NULL, value);
}

static void emit_services(Agent *a)
{
        for (size_t i = 0; i < a->n_services; i++) {
                const ServiceStatus *s = &a->services[i];
                emit1(a, "service_up", "service", s->name, s->alive ? 1 : 0);
                if (!s->alive)
                        continue;
                emit1(a, "service_processes", "service", s->name, s->n_procs);
                emit1(a, "service_main_pid", "service", s->name, s->main_pid);
                emit1(a, "service_cpu_percent", "service", s->name, s->cpu_percent);
                emit1(a, "service_resident_memory_bytes", "service", s->name, s->rss_bytes);
                emit1(a, "service_memory_percent", "service", s->name, s->mem_percent);
                emit1(a, "service_read_bytes_per_second", "service", s->name, s->read_bytes_per_s);
                emit1(a, "service_write_bytes_per_second", "service", s->name,
                      s->write_bytes_per_s);
                emit1(a, "service_threads", "service", s->name, s->threads);
                if (s->fds >= 0)
                        emit1(a, "service_open_fds", "service", s->name, (double) s->fds);
        }
}

static bool is_watched(const Agent *a, const ProcInfo *p)
{
        for (size_t i = 0; i < a->config->n_watch_pids; i++)
                if (a->config->watch_pids[i] == p->pid)
                        return true;
        for (size_t i = 0; i < a->config->n_watch_processes; i++)
                if (strcmp(a->config->watch_processes[i], p->comm) == 0)
                        return true;
        return false;
}

static bool pid_in(const pid_t *v, size_t n, pid_t pid)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == pid)
                        return true;
        return false;
}

static void pick(pid_t *v, size_t *n, pid_t pid)
{
        if (!pid_in(v, *n, pid))
                v[(*n)++] = pid;
}

/* Whether p ranks before q: more CPU (a known value first), or more memory; then lower pid. */
static bool ranks_before(const ProcInfo *p, const ProcInfo *q, PtableSort key)
{
        double a = key == PTABLE_SORT_CPU ? p->cpu_percent : (double) p->rss_bytes;
        double b = key == PTABLE_SORT_CPU ? q->cpu_percent : (double) q->rss_bytes;
        if (a != b)
                return a > b || isnan(b);
        return p->pid < q->pid;
}

/* The first `top` processes by key, in order, into a->sorted: one pass keeping a small sorted
 * array, as top is small and the table large. CPU ranks only processes that used some. */
static size_t top_processes(Agent *a, PtableSort key, unsigned top)
{
        size_t n = 0;

        for (size_t i = 0, c = ptable_count(a->ptable); i < c; i++) {
                const ProcInfo *p = ptable_get(a->ptable, i);
                if (key == PTABLE_SORT_CPU && !(p->cpu_percent > 0))
                        continue;
                if (n == top && !ranks_before(p, a->sorted[n - 1], key))
                        continue;
                size_t j = n < top ? n++ : n - 1;
                for (; j > 0 && ranks_before(p, a->sorted[j - 1], key); j--)
                        a->sorted[j] = a->sorted[j - 1];
                a->sorted[j] = p;
        }
        return n;
}

/* Chooses the processes to store — the top N by CPU and by memory, and the watched ones — and
 * those whose details (exact memory, I/O, open files) the cycle needs: these plus every member
 * of a key service. Only they pay for reading more than stat (ptable.h). Each process is
 * classified into its service here, once a cycle. */
static void select_processes(Agent *a)
{
        static const PtableSort keys[] = {PTABLE_SORT_CPU, PTABLE_SORT_MEM};
        size_t n = ptable_count(a->ptable);
        unsigned top = a->config->top_processes;

        if (n > a->sorted_alloc || top > a->sorted_alloc) {
                a->sorted_alloc = MAX(n + n / 2, (size_t) top) + 16;
                a->sorted = xreallocarray(a->sorted, a->sorted_alloc, sizeof(*a->sorted));
                a->picked = xreallocarray(a->picked, a->sorted_alloc, sizeof(*a->picked));
                a->member = xreallocarray(a->member, a->sorted_alloc, sizeof(*a->member));
        }
        a->n_picked = 0;
        for (size_t k = 0; k < ELEMENTSOF(keys) && top > 0; k++) {
                size_t m = top_processes(a, keys[k], top);
                for (size_t i = 0; i < m; i++)
                        pick(a->picked, &a->n_picked, a->sorted[i]->pid);
        }
        for (size_t i = 0; i < n; i++) {
                const ProcInfo *p = ptable_get(a->ptable, i);
                if (is_watched(a, p))
                        pick(a->picked, &a->n_picked, p->pid);
        }
        a->n_stored = a->n_picked;
        /* Each process once (the table has no duplicates), so only the stored ones need
         * checking: a service of 500 workers costs 500 checks against ~20, not 500². */
        for (size_t i = 0; i < n; i++) {
                const ProcInfo *p = ptable_get(a->ptable, i);
                a->member[i] = services_classify(a->specs, a->n_services, p);
                if (a->member[i] >= 0 && !pid_in(a->picked, a->n_stored, p->pid))
                        a->picked[a->n_picked++] = p->pid;
        }
}

static void emit_processes(Agent *a)
{
        for (size_t i = 0; i < a->n_stored; i++) {
                const ProcInfo *p = ptable_find(a->ptable, a->picked[i]);
                if (p)
                        proc_info_foreach_metric(p, emit, a);
        }
        a->stats.processes_stored_last_cycle = a->n_stored;
}

int agent_new(const Config *cfg, const char *db_path, const char *proc_root, const char *sys_root,
              unsigned flags, Agent **ret)
{
        _cleanup_(agent_freep) Agent *a = xnew0(Agent, 1);

        a->config = cfg;
        a->flags = flags;
        a->db_path = xstrdup(db_path);
        a->store_retry_delay_ms = STORE_RETRY_MIN_MS / 2;

        int r = host_collector_new(proc_root, sys_root, &a->host);
        if (r < 0)
                return log_error_errno(r, "cannot read host metrics from '%s': %m", proc_root);
        r = ptable_new(proc_root, &a->ptable);
        if (r < 0)
                return log_error_errno(r, "cannot read the process table from '%s': %m", proc_root);
        /* stat for everyone (cmdline and cgroup are cached); the rest for the chosen few. */
        ptable_set_fields(a->ptable,
                          PTABLE_FIELD_CGROUP | PTABLE_FIELD_CMDLINE | PTABLE_FIELD_SKIP_IDLE);

        a->n_services = cfg->n_services;
        a->specs = xnew0(ServiceSpec, a->n_services ? a->n_services : 1);
        a->services = xnew0(ServiceStatus, a->n_services ? a->n_services : 1);
        for (size_t i = 0; i < a->n_services; i++) {
                a->specs[i].name = cfg->services[i].name;
                a->specs[i].match = (const char *const *) cfg->services[i].match;
                a->specs[i].n_match = cfg->services[i].n_match;
        }

        if (cfg->detect.online) {
                _cleanup_free_ char *msg = NULL;
                r = online_new(&cfg->detect, &a->online, &msg);
                if (r < 0)
                        return log_error_errno(r, "cannot set up online scoring: %s",
                                               msg ? msg : "invalid detect.online settings");
        }

        if (!(flags & AGENT_STORE_MAY_FAIL)) {
                _cleanup_free_ char *msg = NULL;
                r = store_open(a->db_path, NULL, &a->store, &msg);
                if (r < 0)
                        return log_error_errno(r, "%s", msg ? msg : "cannot open the store");
        } else {
                (void) open_real_store(a);
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static void logs_flush(Agent *a, int64_t now_ms, bool final);

Agent *agent_free(Agent *a)
{
        if (!a)
                return NULL;
        if (a->logs) {
                /* The open buckets too: what was read is counted, and the cursors saved. */
                logs_flush(a, time_now_ms(), true);
                a->logs = log_ingest_free(a->logs);
        }
        free(a->logs_error);
        if (a->store) {
                int r = store_commit(a->store);
                if (r < 0)
                        log_error_errno(r, "samples of the last cycle were not saved: %s",
                                        store_last_error(a->store));
        }
        if (a->fallback) {
                AgentStats st;
                agent_stats(a, &st);
                if (st.samples_in_memory > 0)
                        log_error("%" PRIu64 " samples kept in memory are lost: the store '%s' "
                                  "never became writable",
                                  st.samples_in_memory, a->db_path);
        }
        online_free(a->online);
        host_model_free(a->model);
        free(a->model_error);
        store_free(a->store);
        store_free(a->fallback);
        host_sample_done(&a->host_sample);
        host_collector_free(a->host);
        ptable_free(a->ptable);
        free(a->specs);
        free(a->services);
        free(a->sorted);
        free(a->picked);
        free(a->member);
        free(a->store_error);
        free(a->db_path);
        free(a);
        return NULL;
}

static int collect(Agent *a, int64_t now_ms)
{
        int r = host_collector_sample(a->host, now_ms, &a->host_sample);
        if (r < 0)
                log_warning_errno(r, "cannot read host metrics: %m");
        int q = ptable_scan(a->ptable, now_ms);
        if (q < 0)
                log_warning_errno(q, "cannot scan the process table: %m");
        if (r < 0 && q < 0)
                return r;
        select_processes(a);
        (void) ptable_read_details(a->ptable, a->picked, a->n_picked,
                                   PTABLE_FIELD_STATM | PTABLE_FIELD_IO | PTABLE_FIELD_FDS);
        (void) services_evaluate_classified(a->specs, a->n_services, a->ptable, a->member,
                                            a->services);
        a->stats.processes_last_cycle = ptable_count(a->ptable);
        return 0;
}

int agent_prime(Agent *a, int64_t now_ms)
{
        return collect(a, now_ms);
}

static void housekeeping(Agent *a, int64_t now_ms)
{
        if (!a->store || now_ms < a->housekeeping_at_ms)
                return;
        a->housekeeping_at_ms = now_ms + HOUSEKEEPING_MS;
        int r = store_retention(a->store, now_ms, a->config->retention_ms);
        if (r < 0)
                log_warning("retention in '%s' failed, retrying in an hour: %s", a->db_path,
                            store_last_error(a->store));
        else if (r > 0)
                log_info("retention: dropped %d chunks older than the retention period", r);
        (void) store_checkpoint(a->store);
}

static void retry_store(Agent *a, int64_t now_ms)
{
        if (a->store || now_ms < a->store_retry_at_ms)
                return;
        if (open_real_store(a) < 0) {
                a->store_retry_delay_ms = MIN(2 * a->store_retry_delay_ms, STORE_RETRY_MAX_MS);
                a->store_retry_at_ms = now_ms + a->store_retry_delay_ms;
                return;
        }
        int r = drain_fallback(a);
        if (r < 0) {
                /* Keep both: the fallback still holds what did not make it. */
                store_failed(a, r, store_last_error(a->store));
                return;
        }
        a->store_retry_delay_ms = STORE_RETRY_MIN_MS / 2;
}

static void commit(Agent *a)
{
        if (!a->store) {
                a->stats.store_ok = false;
                return;
        }
        int r = store_commit(a->store);
        if (r < 0) {
                store_failed(a, r, store_last_error(a->store));
                a->stats.store_ok = false;
                return;
        }
        if (a->fallback) {
                r = drain_fallback(a);
                if (r < 0) {
                        store_failed(a, r, store_last_error(a->store));
                        a->stats.store_ok = false;
                        return;
                }
        }
        store_recovered(a);
        a->stats.store_ok = true;
}

static int64_t thread_cpu_ns(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void agent_set_grid(Agent *a, int64_t interval_ms, bool align_wall_clock)
{
        a->grid_ms = interval_ms > 0 ? interval_ms : 0;
        a->grid_wall = align_wall_clock;
        a->grid_origin_ms = 0;
}

static int64_t round_div(int64_t x, int64_t d)
{
        return x >= 0 ? (x + d / 2) / d : -((-x + d / 2) / d);
}

static int64_t cycle_timestamp(Agent *a, int64_t now_ms)
{
        if (a->grid_ms == 0)
                return now_ms;
        if (a->grid_origin_ms == 0)
                a->grid_origin_ms =
                        a->grid_wall ? round_div(now_ms, a->grid_ms) * a->grid_ms : now_ms;
        int64_t ts =
                a->grid_origin_ms + round_div(now_ms - a->grid_origin_ms, a->grid_ms) * a->grid_ms;
        int64_t off = now_ms > ts ? now_ms - ts : ts - now_ms;
        return off <= a->grid_ms / 10 ? ts : now_ms;
}

/* Reading budget of a cycle: a first run over big rotated history reads in slices, so a
 * monitor stays responsive; `aiops collect` calls agent_logs_poll() until it is done. */
#define LOGS_CYCLE_BUDGET_NS (INT64_C(500) * 1000 * 1000)
#define LOGS_POLL_SLICE      20000u

static void logs_report_errors(Agent *a)
{
        const LogSource *failed[16];
        size_t n;

        while ((n = log_ingest_take_errors(a->logs, failed, ELEMENTSOF(failed))) > 0)
                for (size_t i = 0; i < n; i++)
                        log_warning("log source '%s' (%s): %s", failed[i]->name, failed[i]->target,
                                    failed[i]->error);
}

int agent_logs_poll(Agent *a, int64_t now_ms, size_t max_lines)
{
        if (!a->logs)
                return 0;
        int r = log_ingest_poll(a->logs, now_ms, max_lines);
        logs_report_errors(a);
        return r;
}

static void logs_flush(Agent *a, int64_t now_ms, bool final)
{
        log_ingest_set_store(a->logs, a->store);
        int r = log_ingest_flush(a->logs, now_ms, final);
        if (r < 0) {
                const char *msg = a->store ? store_last_error(a->store) : "no store";
                if (!a->logs_error || strcmp(a->logs_error, msg) != 0) {
                        log_warning("cannot store log counts and templates, keeping them for the "
                                    "next cycle: %s",
                                    msg);
                        free(a->logs_error);
                        a->logs_error = xstrdup(msg);
                }
        } else if (a->logs_error && a->store) {
                log_notice("log counts and templates are stored again");
                free(a->logs_error);
                a->logs_error = NULL;
        }
}

void agent_logs_flush(Agent *a, int64_t now_ms, bool final)
{
        if (a->logs)
                logs_flush(a, now_ms, final);
}

static void logs_cycle(Agent *a, int64_t now_ms)
{
        if (!a->logs)
                return;
        int64_t t0 = time_mono_ns();
        while (agent_logs_poll(a, now_ms, LOGS_POLL_SLICE) > 0 &&
               time_mono_ns() - t0 < LOGS_CYCLE_BUDGET_NS)
                ;
        logs_flush(a, now_ms, false);
        if (a->config->logs.count_interval_ms > 0)
                a->logs_flushed_bucket = now_ms / a->config->logs.count_interval_ms;
}

int agent_enable_logs(Agent *a, int64_t now_ms, bool follow)
{
        _cleanup_free_ char *msg = NULL;

        if (a->logs || !a->config->logs.enabled)
                return 0;
        int r = log_ingest_new(&a->config->logs, a->store, &a->logs, &msg);
        if (r < 0)
                return log_error_errno(r, "%s", msg ? msg : "cannot set up log ingestion");
        log_ingest_set_store(a->logs, a->store); /* even if NULL for now: keep, never drop */
        log_ingest_set_restart_commands(a->logs, follow);
        r = log_ingest_add_configured(a->logs, now_ms, &msg);
        if (r < 0)
                return log_error_errno(r, "%s", msg ? msg : "cannot set up the log sources");
        if (msg)
                log_notice("logs: %s", msg);
        logs_report_errors(a);
        return (int) log_ingest_n_sources(a->logs);
}

LogIngest *agent_logs(Agent *a)
{
        return a->logs;
}

/* --- online scoring of the series the logs layer stores (docs/detect.md) --- */

static void on_stored_score(void *userdata, const char *name, const char *const *labels,
                            int64_t ts_ms, double score, bool anomaly)
{
        (void) anomaly;
        emit_score(userdata, name, labels, ts_ms, score);
}

/* Log count buckets are stored by the logs layer at its flush, after the cycle's metrics:
 * the cycle after a flush that closed a bucket reads the buckets stored since from the store
 * and scores them (one cycle late; a bucket is a minute long anyway). */
static void online_logs(Agent *a)
{
        char **names = NULL;
        size_t n = 0;

        if (!a->logs || !a->store || a->logs_flushed_bucket == a->logs_scanned_bucket)
                return;
        a->logs_scanned_bucket = a->logs_flushed_bucket;
        if (store_series_list(a->store, &names, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                if (strncmp(names[i], "log_", 4) == 0 || strncmp(names[i], "http_", 5) == 0) {
                        int r = online_observe_stored(a->online, a->store, names[i],
                                                      a->online_since_ms, on_stored_score, a);
                        if (r < 0)
                                log_debug_errno(r, "cannot score '%s', skipping: %m", names[i]);
                }
                free(names[i]);
        }
        free(names);
}

static void online_end(Agent *a)
{
        OnlineStats os;
        double rate;
        uint64_t anomalous;

        online_cycle_end(a->online, &rate, &anomalous);
        online_stats(a->online, &os);
        if (os.scored_last_cycle > 0) {
                emit1(a, "host_anomaly_rate", NULL, NULL, quantize(rate, RATE_DECIMALS));
                emit1(a, "host_anomalous_series", NULL, NULL, (double) anomalous);
        }
        if (os.full && !a->online_full_logged) {
                log_warning("online scoring: %u series scored already, new series are not "
                            "scored",
                            ONLINE_MAX_SERIES);
                a->online_full_logged = true;
        }
}

/* --- the host model (docs/detect.md "The host model") --- */

/* A drift check needs this many windows since the training, and per feature at least two of
 * the three tests (KS, PSI, JS) must agree: with hundreds of windows KS alone flags shifts
 * too small to matter. The model is stale when a third of the features drift. */
#define DRIFT_MIN_WINDOWS 30u
#define DRIFT_MAX_WINDOWS 240u
/* A training that took longer than this runs at most once per retrain interval. */
#define TRAIN_SLOW_NS (INT64_C(1000) * 1000 * 1000)
#define MODEL_SEED    UINT64_C(20261122)
/* Windows a model needs before only the schedule and drift retrain it. */
#define MODEL_MATURE_WINDOWS 60u

static void model_failed(Agent *a, int r, const char *what, const char *msg)
{
        _cleanup_free_ char *text = xasprintf("%s: %s", what, msg ? msg : strerror(-r));

        if (a->model_error && strcmp(a->model_error, text) == 0)
                return;
        log_warning("host model: %s", text);
        free(a->model_error);
        a->model_error = TAKE_PTR(text);
}

static void model_set_stats(Agent *a)
{
        a->stats.model_trained_ms = a->model ? a->model->trained_ms : 0;
        a->stats.model_windows = a->model ? a->model->n_trained : 0;
        a->stats.model_features = a->model ? a->model->n_features : 0;
}

static void model_load(Agent *a)
{
        _cleanup_free_ char *msg = NULL;
        HostModel *m = NULL;

        int r = host_model_load(a->store, &m, &msg);
        if (r < 0) {
                model_failed(a, r, "the stored model does not load, retraining", msg);
                return;
        }
        if (r > 0) {
                a->model = host_model_free(a->model);
                a->model = m;
        }
        model_set_stats(a);
}

/* Whether a third of the model's features moved since its training: the model's training
 * rows against the windows since (at most detect.lookback). *ret_why says which. */
static bool model_drifted(Agent *a, int64_t now_ms, char **ret_why)
{
        const DetectConfig *c = &a->config->detect;
        const HostModel *m = a->model;
        _cleanup_(features_freep) FeatureSet *f = NULL;
        _cleanup_free_ char *msg = NULL;
        _cleanup_free_ double *ref = NULL;
        _cleanup_free_ double *cur = NULL;
        DriftOptions o;
        size_t tested = 0, drifted = 0;
        const char *example = NULL;

        int64_t from = MAX(m->to_ms, now_ms - c->lookback_ms);
        if (m->n_samples < 2 || (now_ms - from) / c->window_ms < (int64_t) DRIFT_MIN_WINDOWS)
                return false;
        if (features_build(a->store, from, now_ms, c->window_ms, &f, &msg) < 0)
                return false;
        drift_options_init(&o);
        o.ks_alpha = c->drift_ks_pvalue;
        o.psi_threshold = c->drift_psi;
        o.js_threshold = c->drift_js;
        /* At most DRIFT_MAX_WINDOWS windows, evenly spaced: the exact KS p-value costs
         * n_ref x n_cur a feature, 1.5 s for 115 features after a day (measured). */
        size_t n_cur = MIN(f->n_windows, (size_t) DRIFT_MAX_WINDOWS);
        ref = xnew(double, m->n_samples);
        cur = xnew(double, n_cur);
        for (size_t j = 0; j < m->n_features; j++) {
                size_t k;
                DriftResult d;
                for (k = 0; k < f->n_features; k++)
                        if (strcmp(f->features[k].name, m->names[j]) == 0)
                                break;
                if (k == f->n_features)
                        continue; /* constant or absent since: not comparable */
                for (size_t i = 0; i < m->n_samples; i++)
                        ref[i] = m->train[i * m->n_features + j];
                for (size_t i = 0; i < n_cur; i++)
                        cur[i] = f->x[(i * f->n_windows / n_cur) * f->n_features + k];
                if (drift_test(ref, m->n_samples, cur, n_cur, &o, &d, NULL) < 0)
                        continue;
                tested++;
                if ((int) d.ks_drift + (int) d.psi_drift + (int) d.js_drift >= 2) {
                        drifted++;
                        example = example ?: m->names[j];
                }
        }
        if (tested == 0 || 3 * drifted < tested)
                return false;
        *ret_why = xasprintf("drift in %zu of %zu features since it was trained (e.g. %s)", drifted,
                             tested, example);
        return true;
}

static void model_train(Agent *a, int64_t now_ms, const char *why)
{
        const DetectConfig *c = &a->config->detect;
        _cleanup_(features_freep) FeatureSet *f = NULL;
        _cleanup_free_ char *msg = NULL;
        int64_t t0 = time_mono_ns();

        int r = features_build(a->store, now_ms - c->lookback_ms, now_ms, c->window_ms, &f, &msg);
        if (r == -ENODATA) {
                /* Too little data yet: wait, saying so once; it is cheap to try again. */
                if (!a->model_waiting_logged)
                        log_info("host model: waiting for data before training: %s",
                                 msg ? msg : "too few windows");
                a->model_waiting_logged = true;
                /* At each window while data comes in; hourly once it is clear that more data
                 * does not help (columns that never vary: nothing to learn from). */
                a->model_waits++;
                a->model_not_before_ms =
                        now_ms + (a->model_waits < 10 ? c->window_ms : c->drift_interval_ms);
                return;
        }
        if (r >= 0)
                r = host_model_train_with(a->store, f, NULL, MODEL_SEED, c->contamination,
                                          c->min_deviation, now_ms, &msg);
        int64_t cost = time_mono_ns() - t0;
        a->stats.model_train_ns = cost;
        if (r < 0) {
                model_failed(a, r, "training failed, retrying at the next drift check", msg);
                a->model_not_before_ms = now_ms + c->drift_interval_ms;
                return;
        }
        a->model_waiting_logged = false;
        a->model_waits = 0;
        a->stats.model_trainings++;
        char b1[32];
        log_info("host model trained on %zu windows of %s x %zu features in %.2f s (%s)",
                 f->n_windows, time_format_duration(c->window_ms, b1, sizeof(b1)), f->n_features,
                 (double) cost / 1e9, why);
        /* A slow training (a big lookback, many series) is not repeated on every drift. */
        a->model_not_before_ms = cost > TRAIN_SLOW_NS ? now_ms + c->retrain_interval_ms : 0;
        a->model_drift_at_ms = now_ms + c->drift_interval_ms;
        model_load(a);
}

/* Loads the model on first use, and retrains it when there is none, when it is too old, or
 * when the drift check says so. Runs at window boundaries only. */
static void model_maintain(Agent *a, int64_t now_ms)
{
        const DetectConfig *c = &a->config->detect;
        _cleanup_free_ char *why = NULL;

        if (!a->model_load_tried) {
                a->model_load_tried = true;
                model_load(a);
                if (a->model) {
                        char when[32];
                        log_info("host model loaded: trained %s on %zu windows of %zu features",
                                 time_format_local(a->model->trained_ms, when, sizeof(when)),
                                 a->model->n_trained, a->model->n_features);
                }
                a->model_drift_at_ms = now_ms + c->drift_interval_ms;
        }
        if (!a->model)
                why = xstrdup("no model yet");
        else if (now_ms - a->model->trained_ms >= c->retrain_interval_ms)
                why = xstrdup("older than detect.model.retrain_interval");
        else if (a->model->n_trained < MODEL_MATURE_WINDOWS &&
                 (now_ms - a->model->to_ms) / c->window_ms >= (int64_t) a->model->n_trained)
                /* A young store: the first model learns from 2 windows; retrain each time the
                 * data has doubled, until MODEL_MATURE_WINDOWS (a handful of cheap trainings). */
                why = xasprintf("trained on %zu windows only, as many again since",
                                a->model->n_trained);
        else if (now_ms >= a->model_drift_at_ms) {
                a->model_drift_at_ms = now_ms + c->drift_interval_ms;
                if (!model_drifted(a, now_ms, &why))
                        return;
        }
        if (!why || now_ms < a->model_not_before_ms)
                return;
        model_train(a, now_ms, why);
}

static void model_score(Agent *a, int64_t start_ms, int64_t now_ms)
{
        const DetectConfig *c = &a->config->detect;
        _cleanup_free_ char *summary = NULL;
        double score;
        bool anomaly;

        int r = host_model_score_window(a->model, a->store, start_ms, c->window_ms, &score,
                                        &anomaly, &summary);
        if (r == -ENODATA)
                return; /* no host data in the window: the agent was not running */
        if (r < 0) {
                model_failed(a, r, "cannot score a window", NULL);
                return;
        }
        (void) emit_at(a, "host_anomaly_score", NULL, start_ms, quantize(score, SCORE_DECIMALS));
        a->stats.model_last_window_ms = start_ms;
        a->stats.model_last_score = score;
        a->stats.model_last_anomaly = anomaly;
        if (!anomaly)
                return;
        a->stats.model_anomalous_windows++;
        _cleanup_free_ char *details = xasprintf(
                "{\"window_ms\": %" PRId64 ", \"model_trained_ms\": %" PRId64 ", \"score\": %.4f}",
                c->window_ms, a->model->trained_ms, score);
        AnomalyRow row = {
                .kind = (char *) "model",
                .subject = (char *) "host",
                .start_ms = start_ms,
                .end_ms = start_ms + c->window_ms,
                .detected_ms = now_ms,
                .score = score,
                .methods = (char *) "iforest",
                .summary = summary ? summary : (char *) "",
                .details = details,
        };
        r = detectdb_anomaly_put(a->store, &row);
        if (r < 0)
                model_failed(a, r, "cannot store an anomaly", store_last_error(a->store));
        else if (r > 0) {
                char when[32];
                log_notice("host anomaly from %s, score %.2f: %s",
                           time_format_local(start_ms, when, sizeof(when)), score,
                           summary ? summary : "");
        }
}

/* At each completed detect.window: keep the model fresh, then score the window. */
static void model_cycle(Agent *a, int64_t ts_ms)
{
        const DetectConfig *c = &a->config->detect;

        if (!c->model || !(a->flags & AGENT_HOST_MODEL) || !a->store)
                return;
        int64_t cur = ts_ms - ((ts_ms % c->window_ms) + c->window_ms) % c->window_ms;
        bool first = a->model_window_ms == 0;
        if (!first && cur <= a->model_window_ms)
                return;
        a->model_window_ms = cur;
        model_maintain(a, ts_ms);
        if (!first && a->model)
                model_score(a, cur - c->window_ms, ts_ms);
}

int agent_cycle(Agent *a, int64_t now_ms)
{
        int64_t cpu0 = thread_cpu_ns(), wall0 = time_mono_ns();

        int r = collect(a, now_ms);
        if (r < 0)
                return r;

        /* Timestamps must increase per series; two cycles on one grid point or in one
         * millisecond (a clock step back) would be rejected, so nudge instead of losing it. */
        int64_t ts = cycle_timestamp(a, now_ms);
        if (ts <= a->cycle_ts_ms)
                ts = a->cycle_ts_ms + 1;
        retry_store(a, now_ms);
        a->cycle_ts_ms = ts;
        a->cycle_samples = 0;
        if (a->online) {
                if (a->online_since_ms == 0)
                        a->online_since_ms = ts;
                online_cycle_begin(a->online);
                online_logs(a);
        }
        host_sample_foreach_metric(&a->host_sample, emit, a);
        emit_services(a);
        emit_processes(a);
        if (a->online)
                online_end(a);
        model_cycle(a, ts);
        emit1(a, "aiops_processes", NULL, NULL, (double) ptable_count(a->ptable));
        /* The cost of the previous cycle, measured to its end (commit included). */
        if (a->stats.cycles > 0) {
                emit1(a, "aiops_cycle_cpu_seconds", NULL, NULL,
                      (double) a->stats.last_cycle_cpu_ns / 1e9);
                emit1(a, "aiops_cycle_duration_seconds", NULL, NULL,
                      (double) a->stats.last_cycle_wall_ns / 1e9);
        }
        commit(a);
        logs_cycle(a, now_ms);
        housekeeping(a, now_ms);

        a->stats.cycles++;
        a->stats.samples_last_cycle = a->cycle_samples;
        a->stats.samples_appended += a->cycle_samples;
        a->stats.last_cycle_ms = ts;
        a->stats.last_cycle_cpu_ns = thread_cpu_ns() - cpu0;
        a->stats.last_cycle_wall_ns = time_mono_ns() - wall0;
        return 0;
}

const HostSample *agent_host(const Agent *a)
{
        return &a->host_sample;
}

const ProcTable *agent_ptable(const Agent *a)
{
        return a->ptable;
}

const ServiceStatus *agent_services(const Agent *a, size_t *ret_n)
{
        *ret_n = a->n_services;
        return a->services;
}

Store *agent_store(Agent *a)
{
        return a->store;
}

void agent_stats(const Agent *a, AgentStats *ret)
{
        *ret = a->stats;
        ret->model = a->config->detect.model && (a->flags & AGENT_HOST_MODEL);
        ret->online = a->online != NULL;
        if (a->online) {
                OnlineStats os;
                online_stats(a->online, &os);
                ret->online_series = os.series;
                ret->online_scored_last_cycle = os.scored_last_cycle;
                ret->online_anomalous_last_cycle = os.anomalous_last_cycle;
                ret->online_anomaly_rate = os.rate_last_cycle;
                ret->online_samples_scored = os.samples_scored;
                ret->online_warmup_samples = os.warmup_samples;
                ret->online_cpu_ns_last_cycle = os.cpu_ns_last_cycle;
                ret->online_cpu_ns = os.cpu_ns;
                ret->online_warmup_ns = os.warmup_ns;
                ret->online_state_bytes = os.state_bytes;
        }
        ret->samples_in_memory = 0;
        if (a->fallback) {
                StoreStats st;
                if (store_stats(a->fallback, &st) >= 0)
                        ret->samples_in_memory = st.samples;
        }
}

size_t agent_online_top(const Agent *a, OnlineTop *ret, size_t n)
{
        return a->online ? online_top(a->online, ret, n) : 0;
}

/* One collection cycle of the agent, shared by `aiops collect`, `aiops run` and `aiops
 * monitor`: sample the host, scan the process table, evaluate the key services, and store
 * what the configuration asks for — every host metric, the service groups, and the top-N
 * processes by CPU and by memory plus the watched ones (not every pid of every cycle).
 *
 * The store is the only state. When it cannot be opened (read-only directory, corrupt or
 * foreign file) the agent keeps collecting into an in-memory store and retries the real one
 * with backoff; when a commit fails (disk full) the store itself keeps its chunks and the next
 * commit retries. Each distinct failure is logged once, and so is the recovery.
 * With detect.online each stored sample of a scored series also gets its anomaly score
 * (anomaly_score{metric=...}, host_anomaly_rate, host_anomalous_series: detect/online.h);
 * with detect.model each completed detect.window is scored by the stored host model
 * (host_anomaly_score, anomalies of kind "model"), which the agent trains when there is none,
 * when it is older than detect.model.retrain_interval, and when a drift check says the data
 * moved (docs/detect.md "The host model").
 * Single-threaded. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "collect/host.h"
#include "collect/ptable.h"
#include "collect/services.h"
#include "core/config.h"
#include "core/macro.h"
#include "detect/online.h"
#include "logs/ingest.h"
#include "store/store.h"

typedef struct Agent Agent;

typedef struct AgentStats {
        uint64_t cycles;
        uint64_t samples_appended; /* over the agent's life */
        uint64_t samples_last_cycle;
        uint64_t processes_last_cycle;
        uint64_t processes_stored_last_cycle;
        int64_t last_cycle_ms;      /* epoch ms of the last cycle, 0 before */
        int64_t last_cycle_cpu_ns;  /* CPU time the last cycle took (this thread) */
        int64_t last_cycle_wall_ns; /* wall time it took */
        bool store_ok;              /* the real store is open and the last commit worked */
        uint64_t samples_in_memory; /* waiting for the real store to come back */

        /* Online scoring (detect.online, detect/online.h). */
        bool online;
        uint64_t online_series;               /* series with a detector */
        uint64_t online_scored_last_cycle;    /* samples scored */
        uint64_t online_anomalous_last_cycle; /* series with the anomaly bit */
        double online_anomaly_rate;           /* host_anomaly_rate of the last cycle */
        uint64_t online_samples_scored;       /* over the agent's life */
        uint64_t online_warmup_samples;       /* replayed from the store */
        int64_t online_cpu_ns_last_cycle;     /* time spent scoring in the last cycle */
        int64_t online_cpu_ns;                /* over the agent's life, warm-ups included */
        int64_t online_warmup_ns;             /* of it, warm-ups */
        size_t online_state_bytes;

        /* The host model (detect.model, detect/batch.h). */
        bool model;                   /* enabled */
        int64_t model_trained_ms;     /* 0: no model yet */
        uint64_t model_windows;       /* it was trained on */
        size_t model_features;        /* its columns */
        uint64_t model_trainings;     /* by this agent */
        int64_t model_train_ns;       /* wall time of the last training (features included) */
        int64_t model_last_window_ms; /* start of the last window scored, 0 before */
        double model_last_score;      /* its host_anomaly_score */
        bool model_last_anomaly;
        uint64_t model_anomalous_windows; /* over the agent's life */
} AgentStats;

typedef enum AgentFlags {
        /* If the store cannot be opened, start in memory and retry (the daemon), instead of
         * failing (one-shot commands, where a sample that cannot be stored is an error). */
        AGENT_STORE_MAY_FAIL = 1 << 0,
        /* Score each completed detect.window with the host model and keep the model trained
         * (detect.model): for the monitor, which runs long enough to complete windows. */
        AGENT_HOST_MODEL = 1 << 1,
} AgentFlags;

/* Paths are for tests: proc_root "/proc", sys_root "/sys" in production. The store at db_path
 * is opened now; a failure is logged once, naming the file. */
int agent_new(const Config *cfg, const char *db_path, const char *proc_root, const char *sys_root,
              unsigned flags, Agent **ret);
/* Commits what is pending (logging a failure) and frees. Accepts and returns NULL. */
Agent *agent_free(Agent *a);
DEFINE_FREEP(Agent, agent_free)

/* Takes a first sample of host and processes without storing it, so that the first cycle
 * after it has rates and CPU percentages. */
int agent_prime(Agent *a, int64_t now_ms);
/* One full cycle at now_ms: collect, store, commit. Returns 0 when the samples are stored or
 * kept in memory for a later retry; -errno only if nothing could be collected. */
int agent_cycle(Agent *a, int64_t now_ms);

/* Stores cycles on a grid of interval_ms: a cycle's timestamp is the grid point nearest to its
 * real time when it is within a tenth of the interval of it (timer jitter), else its real
 * time. The grid starts at the first cycle, or at a multiple of the interval since the epoch
 * with align_wall_clock (as the monitor's schedule is). Regular timestamps cost 1 bit a
 * sample in the store instead of ~4; rates are still computed over the real elapsed time. */
void agent_set_grid(Agent *a, int64_t interval_ms, bool align_wall_clock);

const HostSample *agent_host(const Agent *a);
const ProcTable *agent_ptable(const Agent *a);
const ServiceStatus *agent_services(const Agent *a, size_t *ret_n);
/* The real store, or NULL while it is unavailable. */
Store *agent_store(Agent *a);
void agent_stats(const Agent *a, AgentStats *ret);
/* The highest online scores of the last cycle (online_top()); 0 when online scoring is off. */
size_t agent_online_top(const Agent *a, OnlineTop *ret, size_t n);

/* Starts ingesting the logs of the configuration (logs.enabled): each cycle then reads them,
 * and stores their counts, templates, events and cursors after the metrics. Sources that
 * cannot be read are logged once and skipped. follow: the agent runs for ever (the monitor),
 * so log commands that end are run again. Returns the number of sources. */
int agent_enable_logs(Agent *a, int64_t now_ms, bool follow);
/* NULL unless agent_enable_logs() ran. */
LogIngest *agent_logs(Agent *a);
/* Reads the lines that are there now (the monitor calls this when a source's fd wakes up),
 * at most max_lines per source. */
int agent_logs_poll(Agent *a, int64_t now_ms, size_t max_lines);
/* Stores what the logs gave so far (final: the open count buckets too), logging a failure
 * once. agent_free() does a final flush by itself. */
void agent_logs_flush(Agent *a, int64_t now_ms, bool final);

#include "cli/report.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/json-util.h"
#include "core/table.h"
#include "core/time-util.h"

#define TOP_SHOWN 5

static const char *bytes(double v, char *buf, size_t n)
{
        return isfinite(v) ? table_format_bytes(v, buf, n) : "?";
}

static json_t *jnum(double v)
{
        return json_double_or_null(v);
}

static json_t *logs_json(LogIngest *logs)
{
        LogIngestStats ls;
        json_t *sources = json_array();

        log_ingest_stats(logs, &ls);
        for (size_t i = 0; i < log_ingest_n_sources(logs); i++) {
                LogIngestSourceInfo si;
                log_ingest_source_info(logs, i, &si);
                (void) json_array_append_new(
                        sources, json_pack("{s:o,s:s,s:o,s:s,s:I,s:I,s:o}", "name",
                                           json_string_lossy(si.source->name), "kind",
                                           log_source_kind_to_string(si.source->ops->kind),
                                           "target", json_string_lossy(si.source->target), "format",
                                           logfmt_to_string(si.format), "lines",
                                           (json_int_t) si.source->lines, "templates",
                                           (json_int_t) si.templates, "error",
                                           json_str_or_null(si.source->error)));
        }
        return json_pack("{s:I,s:I,s:I,s:I,s:o}", "lines", (json_int_t) ls.lines, "bytes",
                         (json_int_t) ls.bytes, "templates", (json_int_t) ls.templates,
                         "new_templates", (json_int_t) ls.new_templates, "sources", sources);
}

static json_t *detection_json(Agent *a, const AgentStats *st)
{
        OnlineTop top[TOP_SHOWN];
        size_t n_top = agent_online_top(a, top, TOP_SHOWN);
        json_t *jtop = json_array();

        for (size_t i = 0; i < n_top; i++)
                (void) json_array_append_new(
                        jtop, json_pack("{s:o,s:f,s:b}", "series", json_string_lossy(top[i].series),
                                        "score", top[i].score, "anomaly", top[i].anomaly));
        json_t *online = json_pack("{s:b,s:I,s:I,s:I,s:f,s:I,s:f,s:o}", "enabled", st->online,
                                   "series", (json_int_t) st->online_series, "scored_last_cycle",
                                   (json_int_t) st->online_scored_last_cycle, "anomalous",
                                   (json_int_t) st->online_anomalous_last_cycle, "anomaly_rate",
                                   st->online_anomaly_rate, "warmup_samples",
                                   (json_int_t) st->online_warmup_samples, "cpu_ms_last_cycle",
                                   (double) st->online_cpu_ns_last_cycle / 1e6, "top", jtop);
        json_object_set_new(online, "warmup_ms", json_real((double) st->online_warmup_ns / 1e6));
        json_t *model = json_pack(
                "{s:b,s:o,s:I,s:I,s:o,s:o,s:b,s:I}", "enabled", st->model, "trained",
                st->model_trained_ms ? json_time_rfc3339(st->model_trained_ms) : json_null(),
                "windows", (json_int_t) st->model_windows, "features",
                (json_int_t) st->model_features, "last_window",
                st->model_last_window_ms ? json_time_rfc3339(st->model_last_window_ms)
                                         : json_null(),
                "last_score", st->model_last_window_ms ? jnum(st->model_last_score) : json_null(),
                "last_anomalous", st->model_last_anomaly, "anomalous_windows",
                (json_int_t) st->model_anomalous_windows);
        return json_pack("{s:o,s:o}", "online", online, "model", model);
}

json_t *report_collection_json(Agent *a, const char *db_path)
{
        const HostSample *h = agent_host(a);
        AgentStats st;
        json_t *root = json_object(), *host = json_object(), *cpu = json_object();
        size_t n_services;
        const ServiceStatus *services = agent_services(a, &n_services);
        static const char *const modes[] = {"user", "nice",    "system", "idle",  "iowait",
                                            "irq",  "softirq", "steal",  "guest", "guest_nice"};

        agent_stats(a, &st);
        json_object_set_new(root, "timestamp", json_time_rfc3339(st.last_cycle_ms));
        for (size_t i = 0; i < ELEMENTSOF(modes) && i < _HOST_CPU_MODE_MAX; i++)
                json_object_set_new(cpu, modes[i], jnum(h->cpu_percent[i]));
        json_object_set_new(cpu, "busy", jnum(h->cpu_busy_percent));
        json_object_set_new(host, "cpu_percent", cpu);
        json_object_set_new(host, "cpus", jnum(h->cpus));
        json_object_set_new(host, "load",
                            json_pack("[o,o,o]", jnum(h->load1), jnum(h->load5), jnum(h->load15)));
        json_object_set_new(host, "procs_running", jnum(h->procs_running));
        json_object_set_new(host, "procs_blocked", jnum(h->procs_blocked));
        json_object_set_new(host, "context_switches_per_second",
                            jnum(h->context_switches_per_second));
        json_object_set_new(
                host, "memory",
                json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "total_bytes",
                          jnum(h->mem_total_bytes), "free_bytes", jnum(h->mem_free_bytes),
                          "available_bytes", jnum(h->mem_available_bytes), "used_bytes",
                          jnum(h->mem_used_bytes), "used_percent", jnum(h->mem_used_percent),
                          "buffers_bytes", jnum(h->mem_buffers_bytes), "cached_bytes",
                          jnum(h->mem_cached_bytes), "available_estimated",
                          h->mem_available_estimated));
        json_object_set_new(host, "swap",
                            json_pack("{s:o,s:o,s:o}", "total_bytes", jnum(h->swap_total_bytes),
                                      "free_bytes", jnum(h->swap_free_bytes), "used_bytes",
                                      jnum(h->swap_used_bytes)));
        if (h->psi_present) {
                static const char *const res[] = {"cpu", "memory", "io"};
                json_t *psi = json_object();
                for (int r = 0; r < _HOST_PSI_RESOURCE_MAX; r++)
                        json_object_set_new(
                                psi, res[r],
                                json_pack("{s:o,s:o}", "some_avg10",
                                          jnum(h->pressure[r].avg10_percent[HOST_PSI_SOME]),
                                          "full_avg10",
                                          jnum(h->pressure[r].avg10_percent[HOST_PSI_FULL])));
                json_object_set_new(host, "pressure", psi);
        }
        json_t *fs = json_array();
        for (size_t i = 0; i < h->n_fs; i++)
                json_array_append_new(fs, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "mountpoint",
                                                    json_string_lossy(h->fs[i].mountpoint),
                                                    "device", json_string_lossy(h->fs[i].device),
                                                    "fstype", json_string_lossy(h->fs[i].fstype),
                                                    "size_bytes", jnum(h->fs[i].size_bytes),
                                                    "used_bytes", jnum(h->fs[i].used_bytes),
                                                    "avail_bytes", jnum(h->fs[i].avail_bytes),
                                                    "used_percent", jnum(h->fs[i].used_percent)));
        json_object_set_new(host, "filesystems", fs);
        json_t *disks = json_array();
        for (size_t i = 0; i < h->n_disks; i++)
                json_array_append_new(
                        disks,
                        json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "device",
                                  json_string_lossy(h->disks[i].name), "read_bytes_per_second",
                                  jnum(h->disks[i].read_bytes_per_second), "write_bytes_per_second",
                                  jnum(h->disks[i].write_bytes_per_second), "reads_per_second",
                                  jnum(h->disks[i].reads_per_second), "writes_per_second",
                                  jnum(h->disks[i].writes_per_second), "busy_percent",
                                  jnum(h->disks[i].busy_percent)));
        json_object_set_new(host, "disks", disks);
        json_t *nets = json_array();
        for (size_t i = 0; i < h->n_nets; i++)
                json_array_append_new(
                        nets,
                        json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "interface",
                                  json_string_lossy(h->nets[i].name), "receive_bytes_per_second",
                                  jnum(h->nets[i].rx_bytes_per_second), "transmit_bytes_per_second",
                                  jnum(h->nets[i].tx_bytes_per_second), "receive_errors_total",
                                  jnum(h->nets[i].rx_errors_total), "transmit_errors_total",
                                  jnum(h->nets[i].tx_errors_total), "receive_drops_total",
                                  jnum(h->nets[i].rx_drops_total), "transmit_drops_total",
                                  jnum(h->nets[i].tx_drops_total)));
        json_object_set_new(host, "network", nets);
        json_object_set_new(host, "file_descriptors",
                            json_pack("{s:o,s:o}", "allocated", jnum(h->fds_allocated), "max",
                                      jnum(h->fds_max)));
        json_object_set_new(host, "uptime_seconds", jnum(h->uptime_seconds));
        json_object_set_new(root, "host", host);

        json_t *svc = json_array();
        for (size_t i = 0; i < n_services; i++) {
                const ServiceStatus *s = &services[i];
                json_array_append_new(
                        svc,
                        json_pack("{s:s,s:b,s:i,s:i,s:o,s:o,s:o,s:o}", "name", s->name, "alive",
                                  s->alive, "processes", (int) s->n_procs, "main_pid",
                                  (int) s->main_pid, "cpu_percent", jnum(s->cpu_percent),
                                  "resident_memory_bytes", jnum(s->rss_bytes), "memory_percent",
                                  jnum(s->mem_percent), "unit", json_str_or_null(s->unit)));
        }
        json_object_set_new(root, "services", svc);

        json_object_set_new(root, "processes",
                            json_pack("{s:I,s:I}", "count", (json_int_t) st.processes_last_cycle,
                                      "stored", (json_int_t) st.processes_stored_last_cycle));
        json_object_set_new(root, "store",
                            json_pack("{s:o,s:b,s:I,s:I,s:I,s:f,s:f}", "path",
                                      json_string_lossy(db_path), "ok", st.store_ok,
                                      "samples_last_cycle", (json_int_t) st.samples_last_cycle,
                                      "samples_appended", (json_int_t) st.samples_appended,
                                      "samples_in_memory", (json_int_t) st.samples_in_memory,
                                      "last_cycle_cpu_ms", (double) st.last_cycle_cpu_ns / 1e6,
                                      "last_cycle_wall_ms", (double) st.last_cycle_wall_ns / 1e6));
        if (agent_logs(a))
                json_object_set_new(root, "logs", logs_json(agent_logs(a)));
        json_object_set_new(root, "detection", detection_json(a, &st));
        return root;
}

static void top_line(Panel *p, const char *key, const ProcTable *t, PtableSort sort)
{
        size_t n = ptable_count(t);
        _cleanup_free_ const ProcInfo **v = xnew(const ProcInfo *, n ? n : 1);
        char line[256] = "", buf[32];
        size_t len = 0;

        ptable_sorted(t, sort, v);
        for (size_t i = 0; i < n && i < TOP_SHOWN; i++) {
                if (sort == PTABLE_SORT_CPU && !(v[i]->cpu_percent >= 0.5))
                        break; /* idle processes are not "top" */
                if (sort == PTABLE_SORT_CPU)
                        (void) snprintf(buf, sizeof(buf), "%.0f%%",
                                        isfinite(v[i]->cpu_percent) ? v[i]->cpu_percent : 0);
                else
                        (void) table_format_bytes((double) v[i]->rss_bytes, buf, sizeof(buf));
                int w = snprintf(line + len, sizeof(line) - len, "%s%s(%d) %s", i ? ", " : "",
                                 v[i]->comm, (int) v[i]->pid, buf);
                if (w < 0 || (size_t) w >= sizeof(line) - len)
                        break;
                len += (size_t) w;
        }
        panel_add(p, key, "%s", len ? line : "all idle");
}

static void detection_print(Panel *p, Agent *a, const AgentStats *st)
{
        OnlineTop top[3];
        char line[512] = "", when[32];
        size_t len = 0;

        panel_add_section(p, "detection");
        if (!st->online) {
                panel_add(p, "online", "off (detect.online.enabled)");
        } else {
                panel_add(p, "series scored",
                          "%" PRIu64 " (%" PRIu64 " samples this cycle, %.2f "
                          "ms)",
                          st->online_series, st->online_scored_last_cycle,
                          (double) st->online_cpu_ns_last_cycle / 1e6);
                if (st->online_warmup_samples > 0)
                        panel_add(p, "warm-up",
                                  "%" PRIu64 " stored samples replayed in %.0f ms (once per "
                                  "series and process)",
                                  st->online_warmup_samples, (double) st->online_warmup_ns / 1e6);
                size_t n = agent_online_top(a, top, ELEMENTSOF(top));
                for (size_t i = 0; i < n && top[i].anomaly; i++) {
                        int w = snprintf(line + len, sizeof(line) - len, "%s%s %.2f", i ? ", " : "",
                                         top[i].series, top[i].score);
                        if (w < 0 || (size_t) w >= sizeof(line) - len)
                                break;
                        len += (size_t) w;
                }
                panel_add(p, "anomalous now", "%" PRIu64 "%s%s", st->online_anomalous_last_cycle,
                          len ? ": " : "", line);
                panel_add(p, "host anomaly rate", "%.1f%% of the series scored",
                          100 * st->online_anomaly_rate);
        }
        if (!st->model)
                return;
        if (st->model_trained_ms)
                panel_add(p, "host model", "trained %s on %" PRIu64 " windows, %zu features",
                          time_format_local(st->model_trained_ms, when, sizeof(when)),
                          st->model_windows, st->model_features);
        else
                panel_add(p, "host model", "none yet (trained once 2 windows of data exist)");
        if (st->model_last_window_ms)
                panel_add(p, "last window", "score %.2f%s", st->model_last_score,
                          st->model_last_anomaly ? ", ANOMALOUS" : "");
}

void report_collection_print(Agent *a, const char *db_path, FILE *f)
{
        const HostSample *h = agent_host(a);
        const ProcTable *t = agent_ptable(a);
        _cleanup_(panel_freep) Panel *p = panel_new("aiops collection");
        char b1[32], b2[32], b3[32], when[32];
        AgentStats st;
        size_t n_services;
        const ServiceStatus *services = agent_services(a, &n_services);

        agent_stats(a, &st);
        panel_add(p, "time", "%s", time_format_local(st.last_cycle_ms, when, sizeof(when)));
        panel_add_section(p, "host");
        panel_add(p, "cpu", "%.1f%% busy (user %.1f%%, system %.1f%%, iowait %.1f%%) of %.0f CPUs",
                  h->cpu_busy_percent, h->cpu_percent[HOST_CPU_USER],
                  h->cpu_percent[HOST_CPU_SYSTEM], h->cpu_percent[HOST_CPU_IOWAIT], h->cpus);
        panel_add(p, "load", "%.2f %.2f %.2f, %.0f running, %.0f blocked", h->load1, h->load5,
                  h->load15, h->procs_running, h->procs_blocked);
        panel_add(p, "memory", "%s used of %s (%.1f%%), %s available",
                  bytes(h->mem_used_bytes, b1, sizeof(b1)),
                  bytes(h->mem_total_bytes, b2, sizeof(b2)), h->mem_used_percent,
                  bytes(h->mem_available_bytes, b3, sizeof(b3)));
        if (h->swap_total_bytes > 0)
                panel_add(p, "swap", "%s used of %s", bytes(h->swap_used_bytes, b1, sizeof(b1)),
                          bytes(h->swap_total_bytes, b2, sizeof(b2)));
        else
                panel_add(p, "swap", "none");
        if (h->psi_present)
                panel_add(p, "pressure", "cpu %.2f%%, memory %.2f%%, io %.2f%% (some, avg10)",
                          h->pressure[HOST_PSI_CPU].avg10_percent[HOST_PSI_SOME],
                          h->pressure[HOST_PSI_MEMORY].avg10_percent[HOST_PSI_SOME],
                          h->pressure[HOST_PSI_IO].avg10_percent[HOST_PSI_SOME]);
        for (size_t i = 0; i < h->n_fs; i++)
                panel_add(p, i == 0 ? "disk usage" : "", "%s %.1f%% of %s (%s)",
                          h->fs[i].mountpoint, h->fs[i].used_percent,
                          bytes(h->fs[i].size_bytes, b1, sizeof(b1)), h->fs[i].fstype);
        for (size_t i = 0; i < h->n_disks; i++)
                panel_add(p, i == 0 ? "disk I/O" : "", "%s read %s/s, write %s/s, %.1f%% busy",
                          h->disks[i].name,
                          bytes(h->disks[i].read_bytes_per_second, b1, sizeof(b1)),
                          bytes(h->disks[i].write_bytes_per_second, b2, sizeof(b2)),
                          h->disks[i].busy_percent);
        for (size_t i = 0; i < h->n_nets; i++)
                panel_add(p, i == 0 ? "network" : "",
                          "%s rx %s/s, tx %s/s, %.0f errors, %.0f drops", h->nets[i].name,
                          bytes(h->nets[i].rx_bytes_per_second, b1, sizeof(b1)),
                          bytes(h->nets[i].tx_bytes_per_second, b2, sizeof(b2)),
                          h->nets[i].rx_errors_total + h->nets[i].tx_errors_total,
                          h->nets[i].rx_drops_total + h->nets[i].tx_drops_total);
        panel_add(p, "open files", "%.0f of %.0f", h->fds_allocated, h->fds_max);
        panel_add(p, "uptime", "%s",
                  time_format_duration((int64_t) (h->uptime_seconds * 1000), b1, sizeof(b1)));

        panel_add_section(p, "processes");
        panel_add(p, "count", "%zu", ptable_count(t));
        top_line(p, "top cpu", t, PTABLE_SORT_CPU);
        top_line(p, "top memory", t, PTABLE_SORT_MEM);

        panel_add_section(p, "services");
        bool any = false;
        for (size_t i = 0; i < n_services; i++) {
                const ServiceStatus *s = &services[i];
                if (!s->alive)
                        continue;
                panel_add(p, s->name, "up, %u processes, main pid %d, cpu %.1f%%, memory %s",
                          s->n_procs, (int) s->main_pid,
                          isfinite(s->cpu_percent) ? s->cpu_percent : 0,
                          bytes(s->rss_bytes, b1, sizeof(b1)));
                any = true;
        }
        if (!any)
                panel_add(p, "", "none of the %zu known services is running", n_services);

        LogIngest *logs = agent_logs(a);
        if (logs) {
                LogIngestStats ls;
                log_ingest_stats(logs, &ls);
                panel_add_section(p, "logs");
                panel_add(p, "read", "%" PRIu64 " lines (%s) from %zu sources", ls.lines,
                          bytes((double) ls.bytes, b1, sizeof(b1)), ls.sources);
                size_t learning = 0;
                for (size_t i = 0; i < log_ingest_n_sources(logs); i++) {
                        LogIngestSourceInfo si;
                        log_ingest_source_info(logs, i, &si);
                        learning += si.learning;
                }
                if (learning > 0)
                        panel_add(p, "templates",
                                  "%" PRIu64 ", %" PRIu64 " new this run (%zu of %zu sources "
                                  "still learning: logs.learning_period)",
                                  ls.templates, ls.new_templates, learning, ls.sources);
                else
                        panel_add(p, "templates", "%" PRIu64 ", %" PRIu64 " new this run",
                                  ls.templates, ls.new_templates);
                for (size_t i = 0; i < log_ingest_n_sources(logs); i++) {
                        LogIngestSourceInfo si;
                        log_ingest_source_info(logs, i, &si);
                        if (si.source->error)
                                panel_add(p, si.source->name, "FAILING: %s", si.source->error);
                }
                if (ls.sources_failing == 0 && ls.sources > 0)
                        panel_add(p, "sources", "all readable ('aiops logs sources' lists them)");
        }

        detection_print(p, a, &st);

        panel_add_section(p, "store");
        panel_add(p, "database", "%s", db_path);
        if (st.store_ok)
                panel_add(p, "stored", "%" PRIu64 " samples this cycle, %" PRIu64 " in all",
                          st.samples_last_cycle, st.samples_appended);
        else
                panel_add(p, "stored", "NOT STORED: %" PRIu64 " samples kept in memory",
                          st.samples_in_memory);
        panel_add(p, "cycle cost", "%.2f ms CPU, %.2f ms wall", (double) st.last_cycle_cpu_ns / 1e6,
                  (double) st.last_cycle_wall_ns / 1e6);
        (void) panel_print(p, f);
}

void report_progress(const char *label, unsigned i, unsigned n, bool done)
{
        char bar[41];
        unsigned w = sizeof(bar) - 1;

        if (!isatty(STDERR_FILENO) || n == 0)
                return;
        unsigned fill = (unsigned) ((uint64_t) i * w / n);
        memset(bar, '#', fill);
        memset(bar + fill, '.', w - fill);
        bar[w] = '\0';
        fprintf(stderr, "\r%s [%s] %u/%u", label, bar, i, n);
        if (done)
                fputc('\n', stderr);
        fflush(stderr);
}

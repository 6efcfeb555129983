/* aiops collect [--count N] [--interval D]
 * aiops collect processes --duration D [--interval D] [--sort cpu|mem|io] [--top N] */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/table.h"
#include "core/time-util.h"

static void help_collect(void)
{
        printf("Usage: aiops collect [--count N] [--interval DURATION] [--no-logs] [--json]\n"
               "       aiops collect processes --duration DURATION [--interval DURATION]\n"
               "                               [--sort cpu|mem|io] [--top N] [--json|--csv]\n\n"
               "Collects host, process and key-service metrics N times, INTERVAL apart, stores\n"
               "them in the data directory and prints a one-screen summary of the last cycle.\n"
               "Rates and CPU percentages need two readings: a first, unstored reading is taken\n"
               "one INTERVAL before the first stored cycle.\n\n"
               "Logs (logs.* in the configuration) are read too: new lines since the last run,\n"
               "mined into templates, counted and stored; the first run also reads the rotated\n"
               "history once.\n\n"
               "  -n, --count N          cycles to store (default 1)\n"
               "  -i, --interval D       time between cycles (default 1s; 500ms, 10s, 1m ...)\n"
               "      --no-logs          metrics only\n\n"
               "'collect processes' samples the process table for DURATION and prints per-process\n"
               "averages and peaks (nothing is stored):\n"
               "  -d, --duration D       how long to sample (default 60s)\n"
               "  -s, --sort KEY         cpu (default), mem or io\n"
               "      --top N            show the N first processes (default 0: all)\n");
}

/* Sleeps until an absolute monotonic deadline, so that the cycles keep their cadence however
 * long each one took. A handled signal's EINTR resumes the sleep; SIGINT keeps its default
 * action and ends the command. */
static void sleep_until(int64_t deadline_ns)
{
        struct timespec ts = {.tv_sec = deadline_ns / 1000000000,
                              .tv_nsec = deadline_ns % 1000000000};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

/* Primes the agent, then runs `count` cycles `interval_ms` apart on the monotonic clock, with
 * progress on a terminal. 0 or -errno (logged). */
static int collect_cycles(Agent *a, unsigned count, int64_t interval_ms, const char *label)
{
        int64_t next = time_mono_ns();

        agent_set_grid(a, interval_ms, false);
        int r = agent_prime(a, time_now_ms());
        if (r < 0)
                return r;
        for (unsigned i = 0; i < count; i++) {
                report_progress(label, i, count, false);
                next += interval_ms * 1000000;
                sleep_until(next);
                r = agent_cycle(a, time_now_ms());
                if (r < 0)
                        return log_error_errno(r, "collection failed: %m");
        }
        report_progress(label, count, count, true);
        return 0;
}

/* Reads every log line that is there now (after the cycles, which read in slices), with a
 * line count on a terminal, then stores the counts, templates and cursors. */
static void read_logs(Agent *a)
{
        LogIngest *logs = agent_logs(a);
        LogIngestStats st;
        bool tty = isatty(STDERR_FILENO);

        if (!logs)
                return;
        while (agent_logs_poll(a, time_now_ms(), 100000) > 0) {
                log_ingest_stats(logs, &st);
                if (tty)
                        fprintf(stderr, "\rreading logs: %" PRIu64 " lines", st.lines);
                /* store as we go: memory stays bounded however much history there is */
                agent_logs_flush(a, time_now_ms(), false);
        }
        if (tty)
                fputs("\r\033[K", stderr);
        agent_logs_flush(a, time_now_ms(), true);
}

static int collect_processes(CliContext *ctx, int argc, char **argv);

int cli_collect_command(CliContext *ctx, int argc, char **argv, const CollectCommand *cmd)
{
        static const struct option options[] = {
                {"count", required_argument, NULL, 'n'},
                {"interval", required_argument, NULL, 'i'},
                {"no-logs", no_argument, NULL, CLI_OPT_FIRST_COMMAND_OPTION},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        _cleanup_free_ char *usage = xasprintf("%s ", cmd->name);
        bool logs = true;
        unsigned count = cmd->default_count;
        int64_t interval_ms = 1000;
        int opt;

        while ((opt = getopt_long(argc, argv, "n:i:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        cmd->help();
                        return EXIT_OK;
                case 'n':
                        if (safe_atou(optarg, &count) < 0 || count == 0 || count > 1000000)
                                return cli_usage_error(ctx, usage,
                                                       "invalid --count '%s' (1..1000000)", optarg);
                        break;
                case 'i':
                        if (cli_parse_duration("--interval", optarg, 100, &interval_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case CLI_OPT_FIRST_COMMAND_OPTION:
                        logs = false;
                        break;
                default:
                        return cli_usage_error(ctx, usage, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, usage, "unexpected argument '%s'", argv[optind]);
        if (ctx->format == OUTPUT_CSV)
                return cli_usage_error(ctx, usage,
                                       "--csv: the report is not a table; use --json, or "
                                       "'aiops query --csv'");

        _cleanup_free_ char *db_path = NULL;
        if (cli_prepare_data_dir(ctx, &db_path) < 0)
                return EXIT_UNKNOWN;
        _cleanup_(agent_freep) Agent *a = NULL;
        if (agent_new(ctx->config, db_path, "/proc", "/sys", 0, &a) < 0)
                return EXIT_UNKNOWN;
        if (logs && agent_enable_logs(a, time_now_ms(), false) < 0)
                return EXIT_UNKNOWN;
        if (collect_cycles(a, count, interval_ms, "collecting") < 0)
                return EXIT_UNKNOWN;
        read_logs(a);

        void *state = cmd->after ? cmd->after(ctx, a) : NULL;
        AgentStats st;
        agent_stats(a, &st);
        if (ctx->format == OUTPUT_JSON) {
                json_t *j = report_collection_json(a, db_path);
                if (cmd->extend_json)
                        cmd->extend_json(j, &st, state);
                (void) json_print(j, stdout);
                json_decref(j);
        } else {
                report_collection_print(a, db_path, stdout);
                if (cmd->extend_print)
                        cmd->extend_print(stdout, &st, db_path, state);
        }
        if (cmd->free_state)
                cmd->free_state(state);
        /* Not stored is a runtime failure for a one-shot command: say so by the exit code. */
        return st.store_ok ? EXIT_OK : EXIT_UNKNOWN;
}

int cmd_collect(CliContext *ctx, int argc, char **argv)
{
        static const CollectCommand collect = {
                .name = "collect", .default_count = 1, .help = help_collect};

        if (argc > 1 && strcmp(argv[1], "processes") == 0)
                return collect_processes(ctx, argc - 1, argv + 1);
        return cli_collect_command(ctx, argc, argv, &collect);
}

/* Per-process aggregate over the sampling period, keyed by (pid, starttime). */
typedef struct ProcAgg {
        pid_t pid, ppid;
        uint64_t starttime;
        char comm[PROC_COMM_MAX];
        char *cmdline, *user;
        unsigned samples, cpu_samples, io_samples;
        double cpu_sum, cpu_peak;
        double rss_sum, rss_peak;
        double mem_sum;
        double read_sum, write_sum, read_peak, write_peak;
        uint32_t threads_peak;
        char state; /* at the last sample */
} ProcAgg;

typedef struct AggTable {
        ProcAgg *v;
        size_t n, alloc;
} AggTable;

static int agg_cmp(const void *x, const void *y)
{
        const ProcAgg *a = x, *b = y;
        if (a->pid != b->pid)
                return a->pid < b->pid ? -1 : 1;
        return a->starttime < b->starttime ? -1 : a->starttime > b->starttime;
}

static void agg_add(ProcAgg *g, const ProcInfo *p)
{
        g->samples++;
        g->state = p->state;
        if (isfinite(p->cpu_percent)) {
                g->cpu_samples++;
                g->cpu_sum += p->cpu_percent;
                g->cpu_peak = MAX(g->cpu_peak, p->cpu_percent);
        }
        g->rss_sum += (double) p->rss_bytes;
        g->rss_peak = MAX(g->rss_peak, (double) p->rss_bytes);
        if (isfinite(p->mem_percent))
                g->mem_sum += p->mem_percent;
        if (isfinite(p->read_bytes_per_s) && isfinite(p->write_bytes_per_s)) {
                g->io_samples++;
                g->read_sum += p->read_bytes_per_s;
                g->write_sum += p->write_bytes_per_s;
                g->read_peak = MAX(g->read_peak, p->read_bytes_per_s);
                g->write_peak = MAX(g->write_peak, p->write_bytes_per_s);
        }
        g->threads_peak = MAX(g->threads_peak, p->threads);
}

/* Merges one scan (pid order) into the aggregate (sorted by pid, starttime). */
static void agg_scan(AggTable *t, const ProcTable *pt)
{
        size_t n = ptable_count(pt), j = 0, old_n = t->n;

        for (size_t i = 0; i < n; i++) {
                const ProcInfo *p = ptable_get(pt, i);
                while (j < old_n && t->v[j].pid < p->pid)
                        j++;
                size_t k = j;
                while (k < old_n && t->v[k].pid == p->pid &&
                       t->v[k].starttime != p->starttime_ticks)
                        k++;
                if (k < old_n && t->v[k].pid == p->pid) {
                        agg_add(&t->v[k], p);
                        continue;
                }
                if (t->n == t->alloc) {
                        t->alloc = t->alloc ? 2 * t->alloc : 1024;
                        t->v = xreallocarray(t->v, t->alloc, sizeof(*t->v));
                }
                ProcAgg *g = &t->v[t->n++];
                *g = (ProcAgg){.pid = p->pid, .ppid = p->ppid, .starttime = p->starttime_ticks};
                (void) snprintf(g->comm, sizeof(g->comm), "%s", p->comm);
                g->cmdline = xstrdup(p->cmdline);
                g->user = xstrdup(p->user);
                agg_add(g, p);
        }
        if (t->n != old_n)
                qsort(t->v, t->n, sizeof(*t->v), agg_cmp);
}

static double avg(double sum, unsigned n)
{
        return n ? sum / n : NAN;
}

static PtableSort agg_sort_key;

static int agg_sort_cmp(const void *x, const void *y)
{
        const ProcAgg *a = *(const ProcAgg *const *) x, *b = *(const ProcAgg *const *) y;
        double ka, kb;

        switch (agg_sort_key) {
        case PTABLE_SORT_MEM:
                ka = avg(a->rss_sum, a->samples);
                kb = avg(b->rss_sum, b->samples);
                break;
        case PTABLE_SORT_IO:
                ka = avg(a->read_sum + a->write_sum, a->io_samples);
                kb = avg(b->read_sum + b->write_sum, b->io_samples);
                break;
        default:
                ka = avg(a->cpu_sum, a->cpu_samples);
                kb = avg(b->cpu_sum, b->cpu_samples);
                break;
        }
        if (isnan(ka) != isnan(kb))
                return isnan(ka) ? 1 : -1;
        if (ka != kb && !isnan(ka))
                return ka > kb ? -1 : 1;
        return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int collect_processes(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"duration", required_argument, NULL, 'd'},
                {"interval", required_argument, NULL, 'i'},
                {"sort", required_argument, NULL, 's'},
                {"top", required_argument, NULL, CLI_OPT_FIRST_COMMAND_OPTION},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        int64_t duration_ms = 60 * 1000, interval_ms = 1000;
        unsigned top = 0;
        PtableSort sort = PTABLE_SORT_CPU;
        int opt;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "d:i:s:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help_collect();
                        return EXIT_OK;
                case 'd':
                        if (cli_parse_duration("--duration", optarg, 100, &duration_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case 'i':
                        if (cli_parse_duration("--interval", optarg, 100, &interval_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case 's':
                        sort = ptable_sort_from_string(optarg);
                        if (sort != PTABLE_SORT_CPU && sort != PTABLE_SORT_MEM &&
                            sort != PTABLE_SORT_IO)
                                return cli_usage_error(ctx, "collect ",
                                                       "invalid --sort '%s' (cpu, mem or io)",
                                                       optarg);
                        break;
                case CLI_OPT_FIRST_COMMAND_OPTION:
                        if (safe_atou(optarg, &top) < 0)
                                return cli_usage_error(ctx, "collect ", "invalid --top '%s'",
                                                       optarg);
                        break;
                default:
                        return cli_usage_error(ctx, "collect ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "collect ", "unexpected argument '%s'", argv[optind]);
        if (interval_ms > duration_ms)
                return cli_usage_error(ctx, "collect ",
                                       "--interval must not be longer than --duration");

        _cleanup_(ptable_freep) ProcTable *pt = NULL;
        int r = ptable_new("/proc", &pt);
        if (r < 0) {
                log_error_errno(r, "cannot read the process table from '/proc': %m");
                return EXIT_UNKNOWN;
        }
        unsigned count = (unsigned) (duration_ms / interval_ms);
        AggTable agg = {};
        int64_t next = time_mono_ns();

        (void) ptable_scan(pt, time_now_ms()); /* baseline for the first interval's rates */
        for (unsigned i = 0; i < count; i++) {
                report_progress("sampling processes", i, count, false);
                next += interval_ms * 1000000;
                sleep_until(next);
                r = ptable_scan(pt, time_now_ms());
                if (r < 0) {
                        log_error_errno(r, "cannot scan the process table: %m");
                        break;
                }
                agg_scan(&agg, pt);
        }
        report_progress("sampling processes", count, count, true);

        _cleanup_free_ ProcAgg **order = xnew(ProcAgg *, agg.n ? agg.n : 1);
        for (size_t i = 0; i < agg.n; i++)
                order[i] = &agg.v[i];
        agg_sort_key = sort;
        qsort(order, agg.n, sizeof(*order), agg_sort_cmp);
        size_t shown = top && top < agg.n ? top : agg.n;

        static const char *const headers[] = {"PID",      "PPID",     "USER",       "STATE",
                                              "SAMPLES",  "CPU% AVG", "CPU% PEAK",  "RSS AVG",
                                              "RSS PEAK", "MEM% AVG", "READ/S AVG", "WRITE/S AVG",
                                              "THREADS",  "COMMAND",  NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        table_set_flexible(t, 13);
        for (size_t i = 0; i < shown; i++) {
                const ProcAgg *g = order[i];
                char st[2] = {g->state, 0};
                table_add_i64(t, g->pid);
                table_add_i64(t, g->ppid);
                table_add_str(t, g->user);
                table_add_str(t, st);
                table_add_u64(t, g->samples);
                table_add_double(t, avg(g->cpu_sum, g->cpu_samples), 1);
                table_add_double(t, g->cpu_samples ? g->cpu_peak : NAN, 1);
                table_add_bytes(t, avg(g->rss_sum, g->samples));
                table_add_bytes(t, g->rss_peak);
                table_add_double(t, avg(g->mem_sum, g->samples), 1);
                table_add_bytes(t, avg(g->read_sum, g->io_samples));
                table_add_bytes(t, avg(g->write_sum, g->io_samples));
                table_add_u64(t, g->threads_peak);
                table_add_str(t, g->cmdline);
        }
        r = table_print(t, stdout, ctx->format, NULL);
        for (size_t i = 0; i < agg.n; i++) {
                free(agg.v[i].cmdline);
                free(agg.v[i].user);
        }
        free(agg.v);
        return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
}

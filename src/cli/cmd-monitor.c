/* aiops monitor [--interval D] */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/loop.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/time-util.h"

static void help(void)
{
        printf("Usage: aiops monitor [--interval DURATION] [--no-logs]\n\n"
               "Runs the agent: collects host, process and service metrics for ever on a fixed\n"
               "schedule aligned to the wall clock (every 30s by default: :00 and :30), commits\n"
               "each cycle to the store and stops cleanly on SIGINT or SIGTERM. SIGHUP logs a\n"
               "status line. If the store cannot be written (disk full, read-only, corrupt file)\n"
               "it keeps collecting in memory, says so once, and retries.\n"
               "Logs are read as lines arrive (inotify, journal, /dev/kmsg), mined and counted;\n"
               "each cycle stores their counts, templates and cursors (see 'aiops logs').\n"
               "On a terminal it prints one line per cycle.\n\n"
               "      --no-logs      metrics only\n"
               "  -i, --interval D   time between cycles (default: collect.interval of the\n"
               "                     configuration, 30s)\n");
}

typedef struct Monitor Monitor;

/* A log source's fd in the loop. */
typedef struct LogWatch {
        Monitor *m;
        LoopSource *ls;
} LogWatch;

struct Monitor {
        Agent *agent;
        bool tty;
        LogWatch *watches;
        size_t n_watches;
};

/* New lines are read as they come (inotify, the journal's and kmsg's fds, pipes) and
 * counted; the cycle stores them. */
static int on_logs(Loop *l, int fd, uint32_t revents, void *userdata)
{
        LogWatch *w = userdata;

        (void) fd;
        (void) agent_logs_poll(w->m->agent, time_now_ms(), 20000);
        if (revents & (EPOLLHUP | EPOLLERR)) {
                /* a command that exited: nothing more will come from it */
                loop_remove(l, w->ls);
                w->ls = NULL;
        }
        return 0;
}

static void watch_logs(Monitor *m, Loop *l)
{
        LogIngest *logs = agent_logs(m->agent);
        int fds[256];

        if (!logs)
                return;
        size_t n = log_ingest_fds(logs, fds, ELEMENTSOF(fds));
        m->watches = xnew0(LogWatch, MAX(n, (size_t) 1));
        for (size_t i = 0; i < n; i++) {
                LogWatch *w = &m->watches[m->n_watches];
                w->m = m;
                int r = loop_add_io(l, fds[i], EPOLLIN, on_logs, w, &w->ls);
                if (r < 0)
                        log_warning_errno(r, "cannot watch a log source, reading it every cycle "
                                             "instead: %m");
                else
                        m->n_watches++;
        }
}

static void status_line(Monitor *m, FILE *f)
{
        AgentStats st;
        char when[32];

        agent_stats(m->agent, &st);
        fprintf(f,
                "%s cycle %" PRIu64 ": %" PRIu64 " processes, %" PRIu64 " samples, %.2f ms CPU, "
                "%s",
                time_format_local(st.last_cycle_ms, when, sizeof(when)), st.cycles,
                st.processes_last_cycle, st.samples_last_cycle, (double) st.last_cycle_cpu_ns / 1e6,
                st.store_ok ? "stored" : "NOT STORED (kept in memory)");
        if (st.online)
                fprintf(f, ", %" PRIu64 " of %" PRIu64 " series anomalous",
                        st.online_anomalous_last_cycle, st.online_series);
        fputc('\n', f);
        fflush(f);
}

static int on_timer(Loop *l, int64_t now_ms, uint64_t missed, void *userdata)
{
        Monitor *m = userdata;

        (void) l;
        if (missed > 0)
                log_warning("%" PRIu64 " cycle(s) skipped: the previous one took longer than the "
                            "interval",
                            missed);
        int r = agent_cycle(m->agent, now_ms);
        if (r < 0)
                log_error_errno(r, "collection failed, retrying next cycle: %m");
        else if (m->tty)
                status_line(m, stdout);
        return 0;
}

static int on_signal(Loop *l, int signo, void *userdata)
{
        Monitor *m = userdata;

        (void) l;
        (void) signo;
        AgentStats st;
        agent_stats(m->agent, &st);
        log_notice("%" PRIu64 " cycles, %" PRIu64 " samples stored, store %s, %" PRIu64
                   " samples in memory; online scoring: %" PRIu64 " series, %" PRIu64
                   " anomalous, %" PRIu64 " samples scored in %.1f ms (%.0f ns a sample), %" PRIu64
                   " replayed from the store in %.1f ms",
                   st.cycles, st.samples_appended, st.store_ok ? "ok" : "unavailable",
                   st.samples_in_memory, st.online_series, st.online_anomalous_last_cycle,
                   st.online_samples_scored,
                   (double) (st.online_cpu_ns - st.online_warmup_ns) / 1e6,
                   st.online_samples_scored ? (double) (st.online_cpu_ns - st.online_warmup_ns) /
                                                      (double) st.online_samples_scored
                                            : 0.0,
                   st.online_warmup_samples, (double) st.online_warmup_ns / 1e6);
        return 0;
}

int cmd_monitor(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"interval", required_argument, NULL, 'i'},
                {"no-logs", no_argument, NULL, CLI_OPT_FIRST_COMMAND_OPTION},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *interval_arg = NULL;
        bool logs = true;
        int64_t interval_ms = 0;
        int opt;

        while ((opt = getopt_long(argc, argv, "i:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'i':
                        interval_arg = optarg;
                        if (cli_parse_duration("--interval", optarg, 100, &interval_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                case CLI_OPT_FIRST_COMMAND_OPTION:
                        logs = false;
                        break;
                default:
                        return cli_usage_error(ctx, "monitor ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "monitor ", "unexpected argument '%s'", argv[optind]);
        if (ctx->format != OUTPUT_HUMAN)
                return cli_usage_error(ctx, "monitor ",
                                       "monitor prints no data; read it with 'aiops query'");

        _cleanup_free_ char *db_path = NULL;
        if (cli_prepare_data_dir(ctx, &db_path) < 0)
                return EXIT_UNKNOWN;
        if (!interval_arg)
                interval_ms = ctx->config->collect_interval_ms;

        Monitor m = {.tty = isatty(STDOUT_FILENO)};
        _cleanup_(agent_freep) Agent *a = NULL;
        if (agent_new(ctx->config, db_path, "/proc", "/sys",
                      AGENT_STORE_MAY_FAIL | AGENT_HOST_MODEL, &a) < 0)
                return EXIT_UNKNOWN;
        m.agent = a;
        if (logs && agent_enable_logs(a, time_now_ms(), true) < 0)
                return EXIT_UNKNOWN;
        Loop *l = NULL;
        int r = loop_new(&l);
        if (r < 0) {
                log_error_errno(r, "cannot set up the event loop: %m");
                return EXIT_UNKNOWN;
        }
        agent_set_grid(a, interval_ms, true);
        (void) agent_prime(a, time_now_ms());
        r = loop_add_timer(l, interval_ms, true, false, on_timer, &m, NULL);
        if (r < 0) {
                log_error_errno(r, "cannot create the collection timer: %m");
                loop_free(l);
                return EXIT_UNKNOWN;
        }
        loop_set_signal_handler(l, on_signal, &m);
        watch_logs(&m, l);

        char b[32];
        log_info("monitoring every %s, storing in '%s'",
                 time_format_duration(interval_ms, b, sizeof(b)), db_path);
        if (m.tty)
                printf("aiops monitor: collecting every %s into %s; Ctrl-C stops\n",
                       time_format_duration(interval_ms, b, sizeof(b)), db_path);

        int signo = 0;
        r = loop_run(l, &signo);
        loop_free(l);
        free(m.watches);
        if (r < 0) {
                log_error_errno(r, "event loop failed: %m");
                return EXIT_UNKNOWN;
        }
        log_info("stopping on %s", signo ? strsignal(signo) : "request");
        return EXIT_OK; /* agent_free() commits what is pending */
}

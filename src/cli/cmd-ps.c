/* aiops ps [--sort cpu|mem|io|pid|fds] [--tree] [--pid PID] [--interval D] [--top N] */
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "collect/ptable.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "core/table.h"
#include "core/time-util.h"

static void help(void)
{
        printf("Usage: aiops ps [--sort cpu|mem|io|pid|fds] [--tree] [--pid PID] [--top N]\n"
               "                [--interval DURATION] [--json|--csv]\n\n"
               "The current process table from aiops' own collector, like 'ps aux' or\n"
               "'top -b -n1': every process with its state, CPU and memory, threads, open files,\n"
               "I/O rates, systemd unit and command line.\n\n"
               "  -s, --sort KEY       cpu (default), mem, io, fds or pid\n"
               "  -t, --tree           show parent/child relations like 'ps --forest'\n"
               "  -p, --pid PID        with --tree: only PID and its descendants; else only PID\n"
               "  -n, --top N          only the first N processes\n"
               "  -i, --interval D     CPU %% and I/O rates are measured over D (default 1s);\n"
               "                       0 gives the average over each process's life, like ps\n");
}

/* CPU % over the process's life, as ps computes it: CPU time / elapsed time. */
static double lifetime_cpu_percent(const ProcInfo *p, int64_t now_ms)
{
        static long hz;
        if (!hz)
                hz = sysconf(_SC_CLK_TCK);
        double elapsed = (double) (now_ms - (int64_t) p->start_time_ms) / 1000.0;
        if (hz <= 0 || elapsed <= 0)
                return NAN;
        return (double) p->cpu_ticks / (double) hz / elapsed * 100.0;
}

int cmd_ps(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"sort", required_argument, NULL, 's'},
                {"tree", no_argument, NULL, 't'},
                {"pid", required_argument, NULL, 'p'},
                {"top", required_argument, NULL, 'n'},
                {"interval", required_argument, NULL, 'i'},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        PtableSort sort = PTABLE_SORT_CPU;
        bool tree = false;
        int pid = 0;
        unsigned top = 0;
        int64_t interval_ms = 1000;
        int opt;

        while ((opt = getopt_long(argc, argv, "s:tp:n:i:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 's':
                        sort = ptable_sort_from_string(optarg);
                        if (sort < 0)
                                return cli_usage_error(ctx, "ps ",
                                                       "invalid --sort '%s' (cpu, mem, io, fds "
                                                       "or pid)",
                                                       optarg);
                        break;
                case 't':
                        tree = true;
                        break;
                case 'p':
                        if (safe_atoi(optarg, &pid) < 0 || pid <= 0)
                                return cli_usage_error(ctx, "ps ", "invalid --pid '%s'", optarg);
                        break;
                case 'n':
                        if (safe_atou(optarg, &top) < 0)
                                return cli_usage_error(ctx, "ps ", "invalid --top '%s'", optarg);
                        break;
                case 'i':
                        if (strcmp(optarg, "0") == 0)
                                interval_ms = 0;
                        else if (cli_parse_duration("--interval", optarg, 100, &interval_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                default:
                        return cli_usage_error(ctx, "ps ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "ps ", "unexpected argument '%s'", argv[optind]);

        _cleanup_(ptable_freep) ProcTable *pt = NULL;
        int r = ptable_new("/proc", &pt);
        if (r < 0) {
                log_error_errno(r, "cannot read the process table from '/proc': %m");
                return EXIT_UNKNOWN;
        }
        r = ptable_scan(pt, time_now_ms());
        if (r >= 0 && interval_ms > 0) {
                struct timespec ts = {.tv_sec = interval_ms / 1000,
                                      .tv_nsec = (interval_ms % 1000) * 1000000};
                (void) nanosleep(&ts, NULL);
                r = ptable_scan(pt, time_now_ms());
        }
        if (r < 0) {
                log_error_errno(r, "cannot scan the process table: %m");
                return EXIT_UNKNOWN;
        }

        size_t n = ptable_count(pt), shown = 0;
        _cleanup_free_ const ProcInfo **procs = xnew(const ProcInfo *, n ? n : 1);
        _cleanup_free_ ProcTreeNode *nodes = xnew(ProcTreeNode, n ? n : 1);
        if (tree) {
                shown = ptable_tree(pt, (pid_t) pid, sort, nodes);
                for (size_t i = 0; i < shown; i++)
                        procs[i] = nodes[i].proc;
        } else {
                ptable_sorted(pt, sort, procs);
                for (size_t i = 0; i < n; i++)
                        if (!pid || procs[i]->pid == pid)
                                procs[shown++] = procs[i];
        }
        if (pid && shown == 0) {
                log_error("no process with pid %d", pid);
                return EXIT_UNKNOWN;
        }
        if (top && top < shown)
                shown = top;

        static const char *const headers[] = {
                "PID", "PPID", "USER",   "STAT",    "%CPU",  "%MEM", "RSS",     "VSZ",
                "THR", "FDS",  "READ/S", "WRITE/S", "START", "UNIT", "COMMAND", NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        int64_t now_ms = ptable_sample_time_ms(pt);
        table_set_flexible(t, 14);
        table_set_max_width(t, 13, 32);

        /* Tree prefix per depth: "│  " while an ancestor has later siblings. */
        _cleanup_free_ bool *open_levels = xnew0(bool, n + 1);
        StrBuf cmd = {};
        for (size_t i = 0; i < shown; i++) {
                const ProcInfo *p = procs[i];
                char state[2] = {p->state, 0};
                table_add_i64(t, p->pid);
                table_add_i64(t, p->ppid);
                table_add_str(t, p->user);
                table_add_str(t, state);
                table_add_double(
                        t, interval_ms > 0 ? p->cpu_percent : lifetime_cpu_percent(p, now_ms), 1);
                table_add_double(t, p->mem_percent, 1);
                table_add_bytes(t, (double) p->rss_bytes);
                table_add_bytes(t, (double) p->vsz_bytes);
                table_add_u64(t, p->threads);
                if (p->fds >= 0)
                        table_add_i64(t, p->fds);
                else
                        table_add_null(t);
                table_add_bytes(t, p->read_bytes_per_s);
                table_add_bytes(t, p->write_bytes_per_s);
                table_add_time(t, (int64_t) p->start_time_ms);
                table_add_str(t, p->unit);
                if (tree && ctx->format == OUTPUT_HUMAN) {
                        unsigned d = nodes[i].depth;
                        strbuf_reset(&cmd);
                        for (unsigned k = 1; k < d; k++)
                                (void) strbuf_puts(&cmd, open_levels[k] ? "│  " : "   ");
                        if (d > 0)
                                (void) strbuf_puts(&cmd, nodes[i].last_child ? "└─ " : "├─ ");
                        open_levels[d] = !nodes[i].last_child;
                        (void) strbuf_puts(&cmd, p->cmdline);
                        table_add_str(t, strbuf_str(&cmd));
                } else {
                        table_add_str(t, p->cmdline);
                }
        }
        strbuf_done(&cmd);
        TablePrintOptions opt_print = {.style = TABLE_STYLE_PLAIN};
        r = table_print(t, stdout, ctx->format, &opt_print);
        return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
}

/* Cost of one collection cycle with many processes, and of the peers doing the same job in
 * the same run.
 *
 *   bench-cycle-cost [PROCESSES] [CYCLES]          (defaults: 1000 extra processes, 30 cycles)
 *
 * Spawns PROCESSES sleeping children, then measures CPU time (this thread,
 * CLOCK_THREAD_CPUTIME_ID) and wall time of: the host collector alone, a process-table scan
 * alone (default fields), and a full agent cycle (host + processes + services + store commit
 * into a scratch database). Peers, measured right after with the same processes alive:
 * `ps -eo pid,ppid,stat,rss,vsz,nlwp,comm,args` and `top -b -n1` (CPU of the child, user +
 * system, from wait4), and one scrape of prometheus-node-exporter (its CPU time per scrape,
 * from /proc/<pid>/stat, averaged over CYCLES scrapes) when it is installed.
 * Prints a Markdown table. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "collect/host.h"
#include "collect/ptable.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/parse.h"
#include "core/time-util.h"

typedef struct Cost {
        double cpu_us[1024];
        double wall_us[1024];
        size_t n;
} Cost;

static int64_t thread_cpu_ns(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n ? v[n / 2] : 0;
}

static void row(const char *what, Cost *c)
{
        double sum = 0;
        for (size_t i = 0; i < c->n; i++)
                sum += c->cpu_us[i];
        double mean = c->n ? sum / (double) c->n : 0;
        printf("| %s | %zu | %.0f | %.0f | %.0f |\n", what, c->n, median(c->cpu_us, c->n), mean,
               median(c->wall_us, c->n));
}

static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        return pid;
}

/* Runs argv with stdout to /dev/null; returns the child's user+system CPU in µs. */
static double run_peer(const char *const argv[], double *ret_wall_us)
{
        int64_t t0 = time_mono_ns();
        fflush(stdout); /* or the child's freopen() would print our buffer again */
        pid_t pid = fork();
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                        _exit(127);
                execvp(argv[0], (char *const *) argv);
                _exit(127);
        }
        int status;
        struct rusage ru;
        if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
                return -1;
        *ret_wall_us = (double) (time_mono_ns() - t0) / 1e3;
        return (double) ru.ru_utime.tv_sec * 1e6 + (double) ru.ru_utime.tv_usec +
               (double) ru.ru_stime.tv_sec * 1e6 + (double) ru.ru_stime.tv_usec;
}

static double proc_cpu_us(pid_t pid)
{
        char path[64], buf[1024];
        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        uint64_t ut, st;
        if (!p || (p += 2, parse_skip_fields(&p, 11) < 0) || parse_u64(&p, &ut) < 0 ||
            parse_u64(&p, &st) < 0)
                return -1;
        return (double) (ut + st) * 1e6 / (double) sysconf(_SC_CLK_TCK);
}

static void node_exporter_peer(unsigned cycles)
{
        if (access("/usr/bin/prometheus-node-exporter", X_OK) < 0) {
                printf("| prometheus-node-exporter scrape | not installed | | | |\n");
                return;
        }
        fflush(stdout);
        pid_t ne = fork();
        if (ne == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (!freopen("/dev/null", "w", stderr))
                        _exit(127);
                execl("/usr/bin/prometheus-node-exporter", "prometheus-node-exporter",
                      "--web.listen-address=127.0.0.1:19101", (char *) NULL);
                _exit(127);
        }
        usleep(500 * 1000);
        const char *const scrape[] = {
                "curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:19101/metrics", NULL};
        double wall, total_wall = 0;
        (void) run_peer(scrape, &wall); /* warm up */
        double c0 = proc_cpu_us(ne);
        for (unsigned i = 0; i < cycles; i++) {
                if (run_peer(scrape, &wall) < 0) {
                        printf("| prometheus-node-exporter scrape | failed | | | |\n");
                        kill(ne, SIGKILL);
                        waitpid(ne, NULL, 0);
                        return;
                }
                total_wall += wall;
        }
        double c1 = proc_cpu_us(ne);
        /* /proc/<pid>/stat counts in clock ticks (10 ms): only the average is meaningful. */
        printf("| prometheus-node-exporter, one scrape (server side) | %u | - | %.0f | %.0f |\n",
               cycles, (c1 - c0) / cycles, total_wall / cycles);
        kill(ne, SIGKILL);
        waitpid(ne, NULL, 0);
}

int main(int argc, char **argv)
{
        unsigned n_procs = 1000, cycles = 30;
        Cost host = {}, scan = {}, collect = {}, full = {}, ps = {}, top = {};

        if ((argc > 1 && safe_atou(argv[1], &n_procs) < 0) ||
            (argc > 2 && (safe_atou(argv[2], &cycles) < 0 || cycles > 1024))) {
                fprintf(stderr, "usage: %s [PROCESSES] [CYCLES<=1024]\n", argv[0]);
                return 2;
        }

        pid_t *kids = xnew(pid_t, n_procs ? n_procs : 1);
        for (unsigned i = 0; i < n_procs; i++) {
                kids[i] = spawn_sleeper();
                if (kids[i] < 0) {
                        fprintf(stderr, "fork failed after %u processes: %m\n", i);
                        n_procs = i;
                        break;
                }
        }
        usleep(300 * 1000);

        HostCollector *hc = NULL;
        ProcTable *pt = NULL;
        HostSample hs = {};
        if (host_collector_new("/proc", "/sys", &hc) < 0 || ptable_new("/proc", &pt) < 0) {
                fprintf(stderr, "cannot open /proc\n");
                return 1;
        }
        (void) host_collector_sample(hc, time_now_ms(), &hs);
        (void) ptable_scan(pt, time_now_ms());
        for (unsigned i = 0; i < cycles; i++) {
                usleep(20 * 1000);
                int64_t c0 = thread_cpu_ns(), w0 = time_mono_ns();
                (void) host_collector_sample(hc, time_now_ms(), &hs);
                int64_t c1 = thread_cpu_ns(), w1 = time_mono_ns();
                (void) ptable_scan(pt, time_now_ms());
                int64_t c2 = thread_cpu_ns(), w2 = time_mono_ns();
                host.cpu_us[host.n] = (double) (c1 - c0) / 1e3;
                host.wall_us[host.n++] = (double) (w1 - w0) / 1e3;
                scan.cpu_us[scan.n] = (double) (c2 - c1) / 1e3;
                scan.wall_us[scan.n++] = (double) (w2 - w1) / 1e3;
        }
        size_t seen = ptable_count(pt);
        host_sample_done(&hs);
        host_collector_free(hc);
        ptable_free(pt);

        char dir[] = "/tmp/aiops-bench-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        _cleanup_free_ char *db = xasprintf("%s/aiops.db", dir);
        Config *cfg = config_new_default();
        Agent *a = NULL;
        if (agent_new(cfg, db, "/proc", "/sys", 0, &a) < 0)
                return 1;
        agent_set_grid(a, 100, false);
        (void) agent_prime(a, time_now_ms());
        for (unsigned i = 0; i < cycles; i++) {
                /* The collection alone (what agent_prime() does: host, process scan with the
                 * agent's fields, details of the chosen processes, services), then a full
                 * cycle (the same and storing ~250 samples). */
                usleep(100 * 1000);
                int64_t c0 = thread_cpu_ns(), w0 = time_mono_ns();
                (void) agent_prime(a, time_now_ms());
                collect.cpu_us[collect.n] = (double) (thread_cpu_ns() - c0) / 1e3;
                collect.wall_us[collect.n++] = (double) (time_mono_ns() - w0) / 1e3;
                usleep(100 * 1000);
                w0 = time_mono_ns();
                (void) agent_cycle(a, time_now_ms());
                AgentStats st;
                agent_stats(a, &st);
                full.cpu_us[full.n] = (double) st.last_cycle_cpu_ns / 1e3;
                full.wall_us[full.n++] = (double) (time_mono_ns() - w0) / 1e3;
        }
        agent_free(a);
        config_free(cfg);

        const char *const ps_argv[] = {"ps", "-eo", "pid,ppid,stat,rss,vsz,nlwp,comm,args", NULL};
        const char *const top_argv[] = {"top", "-b", "-n1", NULL};
        for (unsigned i = 0; i < cycles && i < 10; i++) {
                double wall;
                double cpu = run_peer(ps_argv, &wall);
                if (cpu >= 0) {
                        ps.cpu_us[ps.n] = cpu;
                        ps.wall_us[ps.n++] = wall;
                }
                cpu = run_peer(top_argv, &wall);
                if (cpu >= 0) {
                        top.cpu_us[top.n] = cpu;
                        top.wall_us[top.n++] = wall;
                }
        }

        printf("%zu processes in the table (%u spawned for the benchmark)\n\n", seen, n_procs);
        printf("| what | runs | CPU µs median | CPU µs mean | wall µs median |\n");
        printf("|---|---|---|---|---|\n");
        row("aiops host collector (host_collector_sample)", &host);
        row("aiops process table scan (ptable_scan, default fields)", &scan);
        row("aiops collection as the agent does it (host + processes + services, not stored)",
            &collect);
        row("aiops full agent cycle (host + processes + services + store commit)", &full);
        row("peer: ps -eo pid,ppid,stat,rss,vsz,nlwp,comm,args (whole command)", &ps);
        row("peer: top -b -n1 (whole command)", &top);
        node_exporter_peer(cycles);

        for (unsigned i = 0; i < n_procs; i++)
                kill(kids[i], SIGKILL);
        for (unsigned i = 0; i < n_procs; i++)
                waitpid(kids[i], NULL, 0);
        free(kids);
        unlink(db);
        _cleanup_free_ char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
        unlink(wal);
        unlink(shm);
        rmdir(dir);
        return 0;
}

#include "collect/services.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/macro.h"

/* The kernel's TASK_COMM_LEN - 1: longer executable names are cut to this in comm. */
#define COMM_VISIBLE_MAX 15

static bool pattern_matches(const char *pat, const char *comm)
{
        /* Every form needs the two to start alike: a cheap first test, since the agent tries
         * every process against every pattern each cycle. */
        if (pat[0] != comm[0] && pat[0] != '*')
                return false;

        size_t pl = strlen(pat), cl = strlen(comm);

        if (pl > 0 && pat[pl - 1] == '*')
                return strncmp(comm, pat, pl - 1) == 0 ||
                       (cl == COMM_VISIBLE_MAX && pl - 1 > cl && strncmp(comm, pat, cl) == 0);
        if (pl == cl)
                return memcmp(pat, comm, cl) == 0;
        return cl == COMM_VISIBLE_MAX && pl > cl && memcmp(pat, comm, cl) == 0;
}

bool service_spec_matches(const ServiceSpec *spec, const char *comm, const char *cmdline)
{
        for (size_t i = 0; i < spec->n_match; i++) {
                const char *m = spec->match[i];
                if (!m)
                        continue;
                if (m[0] == '/') {
                        if (cmdline && strncmp(cmdline, m, strlen(m)) == 0)
                                return true;
                } else if (comm && pattern_matches(m, comm)) {
                        return true;
                }
        }
        return false;
}

/* Zombies are dead already and kernel threads never are a service. */
static bool counts(const ServiceSpec *spec, const ProcInfo *p)
{
        return !p->kernel_thread && p->state != 'Z' && p->state != 'X' &&
               service_spec_matches(spec, p->comm, p->cmdline);
}

static void add(double *sum, double v)
{
        if (isnan(v))
                return;
        *sum = isnan(*sum) ? v : *sum + v;
}

int services_evaluate(const ServiceSpec *specs, size_t n, const ProcTable *t, ServiceStatus *ret)
{
        if ((n > 0 && (!specs || !ret)) || !t)
                return -EINVAL;

        for (size_t s = 0; s < n; s++) {
                const ServiceSpec *spec = &specs[s];
                ServiceStatus st = {
                        .name = spec->name,
                        .cpu_percent = NAN,
                        .rss_bytes = NAN,
                        .mem_percent = NAN,
                        .read_bytes_per_s = NAN,
                        .write_bytes_per_s = NAN,
                        .fds = -1,
                };
                const ProcInfo *main = NULL, *lowest = NULL;

                /* The table is in pid order, so the first root found is the lowest. */
                for (size_t i = 0, c = ptable_count(t); i < c; i++) {
                        const ProcInfo *p = ptable_get(t, i);
                        if (!counts(spec, p))
                                continue;

                        st.n_procs++;
                        st.threads += p->threads;
                        add(&st.cpu_percent, p->cpu_percent);
                        add(&st.rss_bytes, (double) p->rss_bytes);
                        add(&st.mem_percent, p->mem_percent);
                        add(&st.read_bytes_per_s, p->read_bytes_per_s);
                        add(&st.write_bytes_per_s, p->write_bytes_per_s);
                        if (p->fds >= 0)
                                st.fds = (st.fds < 0 ? 0 : st.fds) + p->fds;
                        if (!lowest)
                                lowest = p;
                        if (!main) {
                                const ProcInfo *parent =
                                        p->ppid != p->pid ? ptable_find(t, p->ppid) : NULL;
                                if (!parent || !counts(spec, parent))
                                        main = p;
                        }
                }
                if (!main)
                        main = lowest; /* only on a ppid cycle, which the kernel never shows */
                st.alive = st.n_procs > 0;
                st.main_pid = main ? main->pid : 0;
                st.unit = main ? main->unit : NULL;
                ret[s] = st;
        }
        return 0;
}

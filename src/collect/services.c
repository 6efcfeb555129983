#include "collect/services.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
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

int services_classify(const ServiceSpec *specs, size_t n, const ProcInfo *p)
{
        /* Zombies are dead already and kernel threads never are a service. */
        if (p->kernel_thread || p->state == 'Z' || p->state == 'X')
                return -1;
        for (size_t s = 0; s < n; s++)
                if (service_spec_matches(&specs[s], p->comm, p->cmdline))
                        return (int) s;
        return -1;
}

static void add(double *sum, double v)
{
        if (isnan(v))
                return;
        *sum = isnan(*sum) ? v : *sum + v;
}

int services_evaluate_classified(const ServiceSpec *specs, size_t n, const ProcTable *t,
                                 const int *member, ServiceStatus *ret)
{
        size_t count = t ? ptable_count(t) : 0;

        if ((n > 0 && (!specs || !ret)) || !t || (count > 0 && !member))
                return -EINVAL;

        for (size_t s = 0; s < n; s++)
                ret[s] = (ServiceStatus){
                        .name = specs[s].name,
                        .cpu_percent = NAN,
                        .rss_bytes = NAN,
                        .mem_percent = NAN,
                        .read_bytes_per_s = NAN,
                        .write_bytes_per_s = NAN,
                        .fds = -1,
                };

        /* One pass in pid order: the first root found is the lowest. */
        for (size_t i = 0; i < count; i++) {
                if (member[i] < 0 || (size_t) member[i] >= n)
                        continue;
                const ProcInfo *p = ptable_get(t, i);
                ServiceStatus *st = &ret[member[i]];

                st->n_procs++;
                st->threads += p->threads;
                add(&st->cpu_percent, p->cpu_percent);
                add(&st->rss_bytes, (double) p->rss_bytes);
                add(&st->mem_percent, p->mem_percent);
                add(&st->read_bytes_per_s, p->read_bytes_per_s);
                add(&st->write_bytes_per_s, p->write_bytes_per_s);
                if (p->fds >= 0)
                        st->fds = (st->fds < 0 ? 0 : st->fds) + p->fds;
                if (st->main_pid == 0) {
                        /* The group's root: its parent is not of the same service. */
                        const ProcInfo *parent = p->ppid != p->pid ? ptable_find(t, p->ppid) : NULL;
                        if (!parent || services_classify(specs, n, parent) != member[i]) {
                                st->main_pid = p->pid;
                                st->unit = p->unit;
                        }
                }
        }
        for (size_t s = 0; s < n; s++)
                ret[s].alive = ret[s].n_procs > 0;
        /* A service whose every process has a parent of the same service would be a ppid cycle,
         * which the kernel never shows; then main_pid stays 0. */
        return 0;
}

int services_evaluate(const ServiceSpec *specs, size_t n, const ProcTable *t, ServiceStatus *ret)
{
        if (!t)
                return -EINVAL;

        size_t count = ptable_count(t);
        _cleanup_free_ int *member = xnew(int, count ? count : 1);
        for (size_t i = 0; i < count; i++)
                member[i] = services_classify(specs, n, ptable_get(t, i));
        return services_evaluate_classified(specs, n, t, member, ret);
}

/* Key services: named groups of processes recognised by comm, evaluated over a ProcTable.
 * The caller owns the specs (the agent maps the configuration's list, whose defaults cover the
 * usual daemons of a Linux server, onto ServiceSpec). No state; thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "collect/ptable.h"

typedef struct ServiceSpec {
        const char *name;
        /* comm names: exact, or a prefix when ending in '*' ("php-fpm*"). comm is cut by
         * the kernel at 15 bytes, so a longer pattern matches a 15-byte comm that is its
         * prefix ("containerd-shim-runc-v2" matches "containerd-shim"). A pattern starting
         * with '/' is a prefix of the command line instead ("/opt/app/bin/"). */
        const char *const *match;
        size_t n_match;
} ServiceSpec;

/* True if the process matches one of spec's patterns: a pattern starting with '/' is a prefix of
 * the command line (the executable's path as started, e.g. "/opt/app/bin/"), any other
 * matches comm as described above. comm or cmdline may be NULL (never matches). */
bool service_spec_matches(const ServiceSpec *spec, const char *comm, const char *cmdline);

typedef struct ServiceStatus {
        const char *name; /* the spec's */
        bool alive;       /* at least one matching process */
        unsigned n_procs;
        /* The group's root: a matching process whose parent does not match (the master,
         * not a worker); the lowest such pid on ties. 0 when not alive. */
        pid_t main_pid;
        /* Sums over the processes; NaN when unknown for all of them (or none alive). */
        double cpu_percent, rss_bytes, mem_percent, read_bytes_per_s, write_bytes_per_s;
        unsigned threads;
        int64_t fds;      /* sum of the known counts; -1 if none is known */
        const char *unit; /* main_pid's systemd unit, borrowed from the table; NULL unknown */
} ServiceStatus;

/* The index of the first spec the process belongs to, or -1 (zombies and kernel threads
 * belong to none). A process counts for one service only, the first that matches. */
int services_classify(const ServiceSpec *specs, size_t n, const ProcInfo *p);

/* Fills ret[0..n) for specs[0..n) from the last scan of t. Pointers in ret are borrowed
 * from specs and t (valid until the next ptable_scan()). 0, or -EINVAL on bad arguments. */
int services_evaluate(const ServiceSpec *specs, size_t n, const ProcTable *t, ServiceStatus *ret);
/* The same, with member[i] = services_classify() of ptable_get(t, i) already known (the agent
 * classifies once a cycle to choose whose details to read, and passes it on). */
int services_evaluate_classified(const ServiceSpec *specs, size_t n, const ProcTable *t,
                                 const int *member, ServiceStatus *ret);

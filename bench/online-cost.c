/* Per-sample cost of online_observe() as the agent calls it: the series of a real store
 * (names and labels copied from an `aiops collect`), one sample each per 30 s cycle, values
 * synthetic. Thread CPU over the whole run / samples scored, against the same samples fed
 * straight to stream_update() (no lookup, no timing). Results: bench/results/online-cost.md.
 *
 *   aiops collect --count 1 --no-logs --data-dir /tmp/oc
 *   build/release/bench/bench-online-cost /tmp/oc/aiops.db seasonal [CYCLES (5000)] */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/parse.h"
#include "detect/online.h"
#include "detect/rng.h"
#include "detect/stream.h"
#include "store/store.h"

static int64_t cpu_ns(void)
{
        struct timespec t;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

typedef struct S {
        const char *name;
        const char *labels[33];
        double base;
} S;

int main(int argc, char **argv)
{
        Store *src = NULL;
        StoreSeries *se = NULL;
        size_t n = 0, m = 0;
        char *msg = NULL;
        int cycles = 5000;

        if (argc < 3 || (argc > 3 && (safe_atoi(argv[3], &cycles) < 0 || cycles < 1))) {
                fprintf(stderr, "usage: %s STORE.db METHOD [CYCLES]\n", argv[0]);
                return 2;
        }
        if (store_open(argv[1], NULL, &src, &msg) < 0) {
                fprintf(stderr, "%s\n", msg);
                return 2;
        }
        store_series_match(src, NULL, NULL, &se, &n);
        S *v = xnew0(S, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
                if (strncmp(se[i].name, "aiops_", 6) == 0)
                        continue; /* the agent offers every series: process_* too */
                v[m].name = se[i].name;
                size_t k = 0;
                for (size_t j = 0; j < se[i].n_labels && k < 30; j++) {
                        v[m].labels[k++] = se[i].labels[j].key;
                        v[m].labels[k++] = se[i].labels[j].value;
                }
                v[m].base = 10 + (double) (i % 17);
                m++;
        }
        Config *cfg = config_new_default();
        free(cfg->detect.online_method);
        cfg->detect.online_method = xstrdup(argv[2]);
        OnlineScorer *o = NULL;
        if (online_new(&cfg->detect, &o, &msg) < 0)
                return 2;
        Rng r;
        rng_seed(&r, 1);
        int64_t t0 = cpu_ns();
        for (int c = 0; c < cycles; c++) {
                online_cycle_begin(o);
                for (size_t i = 0; i < m; i++) {
                        double s;
                        bool a;
                        double x = v[i].base * (1 + 0.1 * sin(c / 300.0)) + rng_double(&r);
                        (void) online_observe(o, NULL, v[i].name, v[i].labels,
                                              1795300000000 + (int64_t) c * 30000, x, &s, &a);
                }
                double rate;
                uint64_t an;
                online_cycle_end(o, &rate, &an);
        }
        int64_t t1 = cpu_ns();
        OnlineStats st;
        online_stats(o, &st);
        /* the same values, generated only */
        double sink = 0;
        rng_seed(&r, 1);
        int64_t g0 = cpu_ns();
        for (int c = 0; c < cycles; c++)
                for (size_t i = 0; i < m; i++)
                        sink += v[i].base * (1 + 0.1 * sin(c / 300.0)) + rng_double(&r);
        int64_t g1 = cpu_ns();
        /* the same values straight into one detector per scored series */
        StreamDetector **d = xnew0(StreamDetector *, m ? m : 1);
        StreamMethod sm = stream_method_from_string(argv[2]);
        for (size_t i = 0; i < m; i++)
                if (online_wants(v[i].name))
                        stream_new(sm, NULL, &d[i], NULL);
        rng_seed(&r, 1);
        int64_t s0 = cpu_ns();
        for (int c = 0; c < cycles; c++)
                for (size_t i = 0; i < m; i++) {
                        double x = v[i].base * (1 + 0.1 * sin(c / 300.0)) + rng_double(&r), sc;
                        bool a;
                        if (d[i])
                                stream_update(d[i], 1795300000000 + (int64_t) c * 30000, x, &sc,
                                              &a);
                }
        int64_t s1 = cpu_ns();
        double gen = (double) (g1 - g0) / (double) st.samples_scored;
        printf("  generating the values: %.0f ns per scored sample; stream_update() alone: %.0f "
               "ns; "
               "online_observe() net of generation: %.0f ns (%.0f ns over stream_update())\n",
               gen, (double) (s1 - s0) / (double) st.samples_scored - gen,
               (double) (t1 - t0) / (double) st.samples_scored - gen,
               (double) (t1 - t0 - (s1 - s0)) / (double) st.samples_scored);
        if (sink == 42)
                puts("");
        printf("%s: %zu series offered a cycle, %" PRIu64
               " scored (%zu ignored), %d cycles: %.0f ns of thread CPU per scored sample "
               "(%.0f ns per offered one); the scorer's own clock: %.0f ns per scored sample; "
               "state %.1f KiB per series\n",
               argv[2], m, st.series, m - (size_t) st.series, cycles,
               (double) (t1 - t0) / (double) st.samples_scored,
               (double) (t1 - t0) / ((double) m * cycles),
               (double) st.cpu_ns / (double) st.samples_scored,
               (double) st.state_bytes / 1024.0 / (double) st.series);
        return 0;
}

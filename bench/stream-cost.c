/* Cost per sample of the streaming detectors (detect/stream.h), the online scoring the agent
 * runs on every new sample of every series.
 *
 *   bench-stream-cost [SERIES] [SAMPLES]        (defaults: 500 series, 20000 samples each)
 *
 * Feeds SERIES independent detectors (as the agent holds one per series) round-robin, one
 * sample each per 10 s tick, with a noisy daily-seasonal signal plus spikes, and reports
 * the thread CPU time per sample (median of 5 runs) and the state size per series. Prints a
 * Markdown table. The target of issue 4 is < 1 µs per sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "detect/rng.h"
#include "detect/stream.h"

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

int main(int argc, char **argv)
{
        unsigned n_series = 500, n_samples = 20000;
        Rng r;

        if ((argc > 1 && safe_atou(argv[1], &n_series) < 0) ||
            (argc > 2 && safe_atou(argv[2], &n_samples) < 0) || n_series == 0 || n_samples == 0) {
                fprintf(stderr, "usage: bench-stream-cost [SERIES] [SAMPLES]\n");
                return 1;
        }
        /* one shared signal, offset per series, so the generator stays out of the timing */
        double *x = xnew(double, n_samples);
        rng_seed(&r, 1);
        for (unsigned i = 0; i < n_samples; i++) {
                double u = rng_double(&r), v = rng_double(&r);
                x[i] = 100 + 20 * sin(2 * M_PI * i / 8640.0) +
                       sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v) + (i % 997 == 0 ? 15 : 0);
        }
        StreamDetector **d = xnew(StreamDetector *, n_series);
        printf("| method | series | samples/series | ns per sample (median of 5) | state bytes "
               "per series | alarms |\n|---|---|---|---|---|---|\n");
        for (int m = 0; m < _STREAM_METHOD_MAX; m++) {
                double runs[5];
                unsigned long alarms = 0;
                size_t bytes = 0;
                for (int run = 0; run < 5; run++) {
                        for (unsigned s = 0; s < n_series; s++)
                                if (stream_new((StreamMethod) m, NULL, &d[s], NULL) < 0)
                                        return 1;
                        bytes = stream_state_bytes(d[0]);
                        alarms = 0;
                        int64_t t0 = thread_cpu_ns();
                        for (unsigned i = 0; i < n_samples; i++)
                                for (unsigned s = 0; s < n_series; s++) {
                                        double score;
                                        bool a;
                                        (void) stream_update(d[s], 1704067200000 + i * 10000LL,
                                                             x[i] + s, &score, &a);
                                        alarms += a;
                                }
                        int64_t t1 = thread_cpu_ns();
                        runs[run] = (double) (t1 - t0) / ((double) n_series * n_samples);
                        for (unsigned s = 0; s < n_series; s++)
                                d[s] = stream_free(d[s]);
                }
                qsort(runs, 5, sizeof(double), cmp_double);
                printf("| %s | %u | %u | %.0f | %zu | %lu |\n",
                       stream_method_to_string((StreamMethod) m), n_series, n_samples, runs[2],
                       bytes, alarms);
        }
        free(d);
        free(x);
        return 0;
}

/* LOF and KNN fit+score speed on a raw float64 matrix (bench/nn-speed.sh makes it and times
 * scikit-learn on the same data): nn-speed FILE N D lof|knn [auto|kdtree|brute [THREADS]]
 * prints the seconds of fit+score (wall) and the engine used on stderr, and one score per
 * line on stdout. KNN is k = 5 "largest" (knn_score_matrix()'s work: nn_build_with(),
 * nn_query_all() excluding self, the 5th distance), LOF k = 20 (lof_fit_threads(); the
 * engine argument does not apply). THREADS as nn_set_threads(): 0 (default) for the online
 * CPUs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "detect/lof.h"
#include "detect/nn.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
        unsigned n, d;

        if (argc < 5 || safe_atou(argv[2], &n) < 0 || safe_atou(argv[3], &d) < 0 || !n || !d) {
                fprintf(stderr, "usage: nn-speed FILE N D lof|knn [auto|kdtree|brute]\n");
                return 2;
        }
        double *v = xnew(double, (size_t) n *d);
        FILE *f = fopen(argv[1], "re");
        if (!f || fread(v, sizeof(double), (size_t) n * d, f) != (size_t) n * d) {
                fprintf(stderr, "nn-speed: cannot read %s\n", argv[1]);
                return 1;
        }
        fclose(f);
        Matrix x = {n, d, v};
        NnAlgorithm alg = NN_AUTO;
        if (argc > 5)
                alg = strcmp(argv[5], "kdtree") == 0  ? NN_KDTREE
                      : strcmp(argv[5], "brute") == 0 ? NN_BRUTE
                                                      : NN_AUTO;
        unsigned threads = 0;
        if (argc > 6 && safe_atou(argv[6], &threads) < 0) {
                fprintf(stderr, "nn-speed: bad thread count '%s'\n", argv[6]);
                return 2;
        }
        double *s = xnew(double, n);
        char *msg = NULL;
        const char *engine = "auto";
        int r;
        double t0 = now_s();
        if (strcmp(argv[4], "lof") == 0) {
                Lof *l = NULL;
                r = lof_fit_threads(&x, 20, threads, &l, &msg);
                if (r >= 0)
                        memcpy(s, lof_fit_scores(l), n * sizeof(double));
                lof_free(l);
        } else {
                NnIndex *idx = NULL;
                size_t *nb = xnew(size_t, (size_t) n * 5);
                double *dist = xnew(double, (size_t) n * 5);
                r = nn_build_with(&x, alg, &idx);
                if (r >= 0) {
                        nn_set_threads(idx, threads);
                        engine = nn_algorithm(idx) == NN_KDTREE ? "kdtree" : "brute";
                        r = nn_query_all(idx, 5, true, nb, dist, &msg);
                }
                for (size_t i = 0; r >= 0 && i < n; i++)
                        s[i] = dist[i * 5 + 4];
                nn_free(idx);
                free(nb);
                free(dist);
        }
        double t1 = now_s();
        if (r < 0) {
                fprintf(stderr, "nn-speed: %s\n", msg ? msg : strerror(-r));
                return 1;
        }
        fprintf(stderr, "%s %.4f\n", engine, t1 - t0);
        for (size_t i = 0; i < n; i++)
                printf("%.17g\n", s[i]);
        free(s);
        free(v);
        return 0;
}

/* k-means clustering and the k-means outlier score (distance to the nearest centroid).
 *
 * Follows scikit-learn's KMeans(init="k-means++", algorithm="lloyd"):
 *   - initialisation: greedy k-means++ (Arthur and Vassilvitskii, "k-means++: the advantages of
 *     careful seeding", SODA 2007, with the greedy variant of scikit-learn's _kmeans_plusplus):
 *     the first centre is a uniform random point; each next one is the best, by the resulting
 *     potential (sum of squared distances to the nearest centre), of 2 + floor(ln k) candidates
 *     drawn with probability proportional to the squared distance to the nearest centre;
 *   - Lloyd iterations (assign every point to its nearest centroid, move each centroid to the
 *     mean of its points) until the labels stop changing, or the sum over centroids of the
 *     squared shift is <= tol * mean over features of the data variance (scikit-learn's
 *     relative tolerance, tol = 1e-4), or max_iter (300) iterations;
 *   - a cluster left empty by an assignment is re-seeded with the point farthest from its
 *     centroid (each empty cluster takes the next farthest point, as scikit-learn does);
 *   - n_init restarts (10), each with its own k-means++ seeding from the one seeded stream,
 *     keeping the run of lowest inertia (sum of squared distances; the first run wins ties).
 *
 * Deviations: the random numbers are ours (rng.h), so centroids equal scikit-learn's in
 * quality, not bit for bit; n_clusters is capped at the number of distinct points (scikit-learn
 * warns and returns duplicate centroids instead); Elkan's algorithm is not implemented (Lloyd
 * only). Distances are Euclidean; the data is not copied or centred (distances are summed
 * from differences, not expanded as |x|^2 - 2xc + |c|^2, so no precision is lost).
 *
 * A fitted Kmeans is immutable: kmeans_predict() may run from several threads at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "detect/matrix.h"
#include "detect/outlier.h"

#define KMEANS_MAX_CLUSTERS 65536u

typedef struct KmeansOptions {
        unsigned n_clusters; /* 8; capped at the number of distinct points */
        unsigned n_init;     /* 10 restarts */
        unsigned max_iter;   /* 300 Lloyd iterations per restart */
        double tol;          /* 1e-4, relative to the mean feature variance (above) */
        uint64_t seed;
} KmeansOptions;

typedef struct Kmeans Kmeans;

void kmeans_options_init(KmeansOptions *o);

/* Fits on x. -EINVAL with *reterr_msg (caller frees) for an empty x or options out of range
 * (n_clusters or n_init 0, n_clusters > KMEANS_MAX_CLUSTERS). ret_labels, if not NULL, gets
 * x->n cluster indices (the final assignment). */
int kmeans_fit(const Matrix *x, const KmeansOptions *o, Kmeans **ret, size_t *ret_labels,
               char **reterr_msg);
/* The nearest centroid of one point of kmeans_dimensions() values (the lowest index on ties);
 * its Euclidean distance into *ret_distance if not NULL. */
size_t kmeans_predict_one(const Kmeans *m, const double *point, double *ret_distance);
/* For the n points of x: nearest centroid and distance to it (either array may be NULL).
 * -EINVAL if x->d is not the fitted dimension. */
int kmeans_predict(const Kmeans *m, const Matrix *x, size_t *ret_labels, double *ret_distances);

size_t kmeans_n_clusters(const Kmeans *m); /* after the cap */
size_t kmeans_dimensions(const Kmeans *m);
/* Centroid c (c < kmeans_n_clusters()), kmeans_dimensions() values. */
const double *kmeans_centroid(const Kmeans *m, size_t c);
/* Of the kept run: sum of squared distances to the nearest centroid, Lloyd iterations. */
double kmeans_inertia(const Kmeans *m);
unsigned kmeans_n_iter(const Kmeans *m);
Kmeans *kmeans_free(Kmeans *m);
DEFINE_FREEP(Kmeans, kmeans_free)

/* The number of distinct rows of x (exact comparison). */
size_t kmeans_count_distinct(const Matrix *x);

/* outlier.h's entry point: fit on x with o->n_clusters (0: 8), o->n_init (0: 10) and o->seed,
 * score each point by its Euclidean distance to the nearest centroid. */
int kmeans_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                        char **reterr_msg);

/* Exact k-nearest-neighbour search under the Euclidean distance, for the distance based
 * detectors (lof.h, knn.h).
 *
 * The points are indexed by a k-d tree (Friedman, Bentley, Finkel, ACM TOMS 1977) split at
 * the median of the widest dimension of each node's bounding box, leaves of NN_LEAF_SIZE
 * points stored column-wise (so the distance loops vectorise). Two engines query it:
 * - NN_KDTREE: depth first, nearer child first, with a bounded sorted candidate list, a
 *   node being skipped when the squared distance from the query to its bounding box exceeds
 *   the current k-th best;
 * - NN_BRUTE: every point, in cache blocks, a tile of queries against a block of points at
 *   a time. A register-blocked kernel computes ||p||^2 - 2 q.p (the Gram form that BLAS
 *   based brute force uses, on coordinates centred on the mean) with AVX-512 or AVX2+FMA
 *   where the CPU has them (picked at run time; plain C otherwise) and serves only as a
 *   filter: a point passes when that approximate distance is within a proven rounding
 *   bound (relative to the norms; see nn.c) of the query's current k-th best, and passing
 *   points are ranked by the direct distance, so no true neighbour is lost to cancellation
 *   and the result is the direct formula's, bit for bit.
 * Both rank by the squared distance computed the same way (sum over the dimensions in
 * order of (q_j - p_j)^2, no FMA), so they return identical results. nn_build() picks the
 * engine from a sample of tree queries: brute force when the tree would scan a large share
 * of the points anyway (high intrinsic dimension, e.g. 16-dimensional Gaussian data), the
 * tree otherwise (low intrinsic dimension, as most real data).
 *
 * Semantics follow scikit-learn's NearestNeighbors: distances are Euclidean (the square root
 * of the squared distance, taken at the end); neighbours come in increasing distance;
 * duplicates of a point are real neighbours at distance 0; nn_query_all() with exclude_self
 * leaves out the query's own index only (as kneighbors() with X=None does), never its
 * duplicates. Where scikit-learn leaves the order of equal distances to its tree, ties here
 * are broken by the smaller original index, so results are deterministic.
 *
 * The index copies the points it needs (twice: raw, and centred for the kernel; 2 n d
 * doubles plus the tree); the Matrix may be freed after nn_build(). A built
 * index is read-only: queries from several threads at once are safe. nn_query_all() itself
 * splits its queries over nn_threads() POSIX threads (the results do not depend on the
 * count); nn_query() runs in the calling thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "detect/matrix.h"

#define NN_LEAF_SIZE   32
#define NN_MAX_THREADS 64

typedef struct NnIndex NnIndex;

typedef enum NnAlgorithm {
        NN_AUTO,
        NN_KDTREE,
        NN_BRUTE,
        _NN_ALGORITHM_MAX,
        _NN_ALGORITHM_INVALID = -22,
} NnAlgorithm;

/* The brute engine's Gram kernel (nn_set_kernel()). */
typedef enum NnKernel {
        NN_KERNEL_AUTO,   /* the widest the CPU has, as nn_build() picks */
        NN_KERNEL_C,      /* portable C */
        NN_KERNEL_AVX2,   /* AVX2 + FMA: 4 queries x 8 points in 8 registers */
        NN_KERNEL_AVX512, /* AVX-512F: 4 queries x 32 points in 16 registers */
        _NN_KERNEL_MAX,
        _NN_KERNEL_INVALID = -22,
} NnKernel;

/* Builds the index of x's points (n >= 1, d >= 1, finite values) with the engine chosen
 * from a sample of queries (see above). -EINVAL for an empty matrix. */
int nn_build(const Matrix *x, NnIndex **ret);
/* The same with the engine forced (tests, benchmarks); NN_AUTO is nn_build(). */
int nn_build_with(const Matrix *x, NnAlgorithm algorithm, NnIndex **ret);
NnIndex *nn_free(NnIndex *idx);
DEFINE_FREEP(NnIndex, nn_free)

size_t nn_size(const NnIndex *idx);
size_t nn_dim(const NnIndex *idx);
NnAlgorithm nn_algorithm(const NnIndex *idx);

/* The threads nn_query_all() uses: 0 (the default) for the online CPUs
 * (sysconf(_SC_NPROCESSORS_ONLN)), else that many; at most NN_MAX_THREADS, and never more
 * than there are chunks of queries. Not to be called while queries run. */
void nn_set_threads(NnIndex *idx, unsigned threads);
/* The count nn_query_all() will start from (the setting, or the online CPUs). */
unsigned nn_threads(const NnIndex *idx);
/* Forces the brute engine's kernel (tests, benchmarks; results do not depend on it).
 * -EOPNOTSUPP when this CPU or build lacks it. Not to be called while queries run. */
int nn_set_kernel(NnIndex *idx, NnKernel kernel);

/* The k nearest neighbours of every indexed point i (in index order): ret_idx[i * k + j] and
 * ret_dist[i * k + j] for j < k, nearest first. With exclude_self, point i itself (by
 * index) is not its own neighbour and k must be < n; else k must be <= n. -EINVAL with
 * *reterr_msg (caller frees; may be NULL) when k is 0 or too large. */
int nn_query_all(const NnIndex *idx, size_t k, bool exclude_self, size_t *ret_idx, double *ret_dist,
                 char **reterr_msg);

/* The k nearest indexed points of one new point of nn_dim() values (novelty mode; no
 * exclusion): ret_idx[j], ret_dist[j], j < k, nearest first. -EINVAL when k is 0 or > n. */
int nn_query(const NnIndex *idx, const double *point, size_t k, size_t *ret_idx, double *ret_dist,
             char **reterr_msg);

/* Exact k-nearest-neighbour search under the Euclidean distance, for the distance based
 * detectors (lof.h, knn.h).
 *
 * Two engines behind one interface, chosen by nn_build() from the dimension:
 * - d <= NN_KDTREE_MAX_DIM: a k-d tree (Friedman, Bentley, Finkel, ACM TOMS 1977) split at the
 *   median of the widest dimension of each node's bounding box, leaves of at most
 *   NN_LEAF_SIZE points stored column-wise (so the distance loop vectorises), searched depth
 *   first nearer child first with a bounded sorted candidate list, a node being skipped when
 *   the squared distance from the query to its bounding box exceeds the current k-th best;
 * - higher d, where a tree prunes little: blocked brute force over the same column-wise
 *   blocks, a block of queries against a block of points at a time so both stay in cache.
 * Both compute the squared distance the same way (sum over the dimensions in order of
 * (q_j - p_j)^2), so they return identical results.
 *
 * Semantics follow scikit-learn's NearestNeighbors: distances are Euclidean (the square root
 * of the squared distance, taken at the end); neighbours come in increasing distance;
 * duplicates of a point are real neighbours at distance 0; nn_query_all() with exclude_self
 * leaves out the query's own index only (as kneighbors() with X=None does), never its
 * duplicates. Where scikit-learn leaves the order of equal distances to its tree, ties here
 * are broken by the smaller original index, so results are deterministic.
 *
 * The index copies the points it needs; the Matrix may be freed after nn_build(). A built
 * index is read-only: queries from several threads at once are safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "detect/matrix.h"

#define NN_LEAF_SIZE      32
#define NN_KDTREE_MAX_DIM 16 /* above it brute force; see bench/results/nn-speed.md */

typedef struct NnIndex NnIndex;

typedef enum NnAlgorithm {
        NN_AUTO,
        NN_KDTREE,
        NN_BRUTE,
        _NN_ALGORITHM_MAX,
        _NN_ALGORITHM_INVALID = -22,
} NnAlgorithm;

/* Builds the index of x's points (n >= 1, d >= 1, finite values) with the engine chosen
 * from d. -EINVAL for an empty matrix. */
int nn_build(const Matrix *x, NnIndex **ret);
/* The same with the engine forced (tests, benchmarks); NN_AUTO is nn_build(). */
int nn_build_with(const Matrix *x, NnAlgorithm algorithm, NnIndex **ret);
NnIndex *nn_free(NnIndex *idx);
DEFINE_FREEP(NnIndex, nn_free)

size_t nn_size(const NnIndex *idx);
size_t nn_dim(const NnIndex *idx);
NnAlgorithm nn_algorithm(const NnIndex *idx);

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

/* Isolation Forest (iforest.h). */
#include "detect/iforest.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/rng.h"

#define EULER_GAMMA 0.5772156649015329
#define MAX_DEPTH   64u
#define LOCKSTEP    8
#define BLOCK       512

/* An internal node splits on x[feature] <= threshold (left: the next node, right: `right`);
 * a leaf has threshold -inf and right = itself, so a walk that reaches it stays there. */
typedef struct IforestNode {
        double threshold;
        uint32_t feature;
        uint32_t right;
} IforestNode;

struct Iforest {
        size_t d;
        size_t max_samples;
        unsigned n_trees;
        uint32_t *tree_start; /* n_trees + 1 offsets into nodes */
        uint8_t *tree_depth;  /* steps a walk takes in each tree */
        IforestNode *nodes;
        double *value; /* per node; a leaf's depth + c(its size) */
        size_t n_nodes, nodes_cap;
};

double iforest_c(double n)
{
        if (n <= 1)
                return 0;
        if (n <= 2)
                return 1;
        return 2.0 * (log(n - 1.0) + EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

Iforest *iforest_free(Iforest *f)
{
        if (!f)
                return NULL;
        free(f->tree_start);
        free(f->tree_depth);
        free(f->nodes);
        free(f->value);
        free(f);
        return NULL;
}

size_t iforest_dimensions(const Iforest *f)
{
        return f->d;
}

static uint32_t node_new(Iforest *f)
{
        if (f->n_nodes == f->nodes_cap) {
                f->nodes_cap = f->nodes_cap ? f->nodes_cap * 2 : 1024;
                f->nodes = xreallocarray(f->nodes, f->nodes_cap, sizeof(IforestNode));
                f->value = xreallocarray(f->value, f->nodes_cap, sizeof(double));
        }
        f->value[f->n_nodes] = 0;
        return (uint32_t) f->n_nodes++;
}

typedef struct Builder {
        Iforest *f;
        Rng *rng;
        const double *cols; /* the sub-sample, column-major: cols[j * m + s] */
        size_t m;
        const size_t *features; /* the tree's features (original column numbers) */
        size_t *cand;           /* scratch: candidate features of a node */
        size_t k;               /* features per tree */
        unsigned max_depth;
        unsigned deepest;
        uint32_t base; /* the tree's first node: child links are relative to it */
} Builder;

static void leaf(Builder *b, uint32_t i, unsigned depth, size_t n)
{
        b->f->nodes[i] = (IforestNode){.threshold = -HUGE_VAL, .feature = 0, .right = i - b->base};
        b->f->value[i] = (double) depth + iforest_c((double) n);
}

/* Grows the subtree of the points idx[0, n) at depth; they are permuted in place. */
static void grow(Builder *b, size_t *idx, size_t n, unsigned depth)
{
        uint32_t i = node_new(b->f);

        if (depth > b->deepest)
                b->deepest = depth;
        if (n < 2 || depth >= b->max_depth) {
                leaf(b, i, depth, n);
                return;
        }
        /* draw features without replacement until one varies on these points */
        memcpy(b->cand, b->features, b->k * sizeof(size_t));
        size_t left_n = 0, feature = 0;
        const double *col = NULL;
        double lo = 0, hi = 0;
        for (size_t left = b->k; left > 0; left--) {
                size_t r = (size_t) rng_below(b->rng, left);
                size_t j = b->cand[r];
                b->cand[r] = b->cand[left - 1];
                b->cand[left - 1] = j;
                col = b->cols + j * b->m;
                lo = hi = col[idx[0]];
                for (size_t s = 1; s < n; s++) {
                        double v = col[idx[s]];
                        lo = v < lo ? v : lo;
                        hi = v > hi ? v : hi;
                }
                if (hi > lo) {
                        feature = j;
                        break;
                }
        }
        if (!(hi > lo)) {
                leaf(b, i, depth, n);
                return;
        }
        double t = rng_uniform(b->rng, lo, hi);
        if (t >= hi) /* rounding; scikit-learn's guard too */
                t = lo;
        for (size_t s = 0; s < n; s++)
                if (col[idx[s]] <= t) {
                        size_t tmp = idx[s];
                        idx[s] = idx[left_n];
                        idx[left_n++] = tmp;
                }
        b->f->nodes[i].threshold = t;
        b->f->nodes[i].feature = (uint32_t) b->features[feature];
        grow(b, idx, left_n, depth + 1);
        b->f->nodes[i].right = (uint32_t) b->f->n_nodes - b->base;
        grow(b, idx + left_n, n - left_n, depth + 1);
}

int iforest_fit(const Matrix *x, const OutlierOptions *o, Iforest **ret, char **reterr_msg)
{
        assert(x && o && ret);
        if (x->n == 0 || x->d == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup(x->n == 0 ? "no points to fit" : "no features");
                return -EINVAL;
        }
        if (x->d > UINT32_MAX) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("too many features (%zu)", x->d);
                return -EINVAL;
        }
        if (o->n_estimators == 0 || o->n_estimators > IFOREST_MAX_ESTIMATORS) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("the number of trees must be 1 to %u, not %u",
                                                IFOREST_MAX_ESTIMATORS, o->n_estimators);
                return -EINVAL;
        }
        if (!(o->max_features > 0 && o->max_features <= 1)) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("max_features must be in (0, 1], not %g",
                                                o->max_features);
                return -EINVAL;
        }
        size_t m = o->max_samples ? o->max_samples : 256;
        m = m < x->n ? m : x->n;
        /* every tree has at most 2m - 1 nodes, indexed by uint32_t */
        if (((double) m * 2.0 - 1.0) * (double) o->n_estimators >= (double) UINT32_MAX) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("%u trees of %zu samples are too many nodes",
                                                o->n_estimators, m);
                return -EINVAL;
        }
        size_t k = (size_t) (o->max_features * (double) x->d);
        k = k < 1 ? 1 : k > x->d ? x->d : k;

        _cleanup_(iforest_freep) Iforest *f = xnew0(Iforest, 1);
        f->d = x->d;
        f->max_samples = m;
        f->n_trees = o->n_estimators;
        f->tree_start = xnew(uint32_t, f->n_trees + 1);
        f->tree_depth = xnew(uint8_t, f->n_trees);

        unsigned max_depth = 0;
        while (max_depth < MAX_DEPTH && ((size_t) 1 << max_depth) < (m < 2 ? 2 : m))
                max_depth++;

        _cleanup_free_ size_t *sample = xnew(size_t, m);
        _cleanup_free_ size_t *idx = xnew(size_t, m);
        _cleanup_free_ size_t *features = xnew(size_t, k);
        _cleanup_free_ size_t *cand = xnew(size_t, k);
        _cleanup_free_ double *cols = xnew(double, k *m);
        /* the builder works on feature positions 0..k-1 of cols; remapped after each tree */
        _cleanup_free_ size_t *pos = xnew(size_t, k);
        for (size_t j = 0; j < k; j++)
                pos[j] = j;
        Rng rng;
        rng_seed(&rng, o->seed);

        for (unsigned t = 0; t < f->n_trees; t++) {
                rng_sample(&rng, x->n, m, sample);
                if (k == x->d)
                        for (size_t j = 0; j < k; j++)
                                features[j] = j;
                else
                        rng_sample(&rng, x->d, k, features);
                for (size_t s = 0; s < m; s++) {
                        const double *row = matrix_row(x, sample[s]);
                        for (size_t j = 0; j < k; j++)
                                cols[j * m + s] = row[features[j]];
                        idx[s] = s;
                }
                Builder b = {
                        .f = f,
                        .rng = &rng,
                        .cols = cols,
                        .m = m,
                        .features = pos,
                        .cand = cand,
                        .k = k,
                        .max_depth = max_depth,
                        .base = (uint32_t) f->n_nodes,
                };
                f->tree_start[t] = (uint32_t) f->n_nodes;
                grow(&b, idx, m, 0);
                for (size_t i = f->tree_start[t]; i < f->n_nodes; i++)
                        if (f->nodes[i].right != i - f->tree_start[t])
                                f->nodes[i].feature = (uint32_t) features[f->nodes[i].feature];
                f->tree_depth[t] = (uint8_t) b.deepest;
        }
        f->tree_start[f->n_trees] = (uint32_t) f->n_nodes;
        *ret = TAKE_PTR(f);
        return 0;
}

/* One step down a tree, without a branch: which way a point goes is a coin flip for the
 * branch predictor, and a mispredicted jump per level costs more than the whole step. */
static inline uint32_t step(const IforestNode *nd, const double *row, uint32_t at)
{
        uint32_t right = (uint32_t) - (int32_t) (row[nd->feature] > nd->threshold);
        return ((at + 1) & ~right) | (nd->right & right);
}

/* Adds each point's h(x) over all trees to acc[0, n). */
static void walk_block(const Iforest *f, const double *x, size_t d, size_t n, double *acc)
{
        for (unsigned t = 0; t < f->n_trees; t++) {
                const IforestNode *nodes = f->nodes + f->tree_start[t];
                const double *value = f->value + f->tree_start[t];
                unsigned steps = f->tree_depth[t];
                size_t p = 0;
                for (; p + LOCKSTEP <= n; p += LOCKSTEP) {
                        uint32_t at[LOCKSTEP] = {};
                        const double *row[LOCKSTEP];
                        for (int l = 0; l < LOCKSTEP; l++)
                                row[l] = x + (p + (size_t) l) * d;
                        for (unsigned s = 0; s < steps; s++)
                                for (int l = 0; l < LOCKSTEP; l++) {
                                        at[l] = step(&nodes[at[l]], row[l], at[l]);
                                }
                        for (int l = 0; l < LOCKSTEP; l++)
                                acc[p + (size_t) l] += value[at[l]];
                }
                for (; p < n; p++) {
                        uint32_t at = 0;
                        const double *row = x + p * d;
                        for (unsigned s = 0; s < steps; s++) {
                                at = step(&nodes[at], row, at);
                        }
                        acc[p] += value[at];
                }
        }
}

int iforest_score(const Iforest *f, const Matrix *x, double *ret_scores)
{
        assert(f && x && ret_scores);
        if (x->d != f->d)
                return -EINVAL;

        double c = iforest_c((double) f->max_samples) * (double) f->n_trees;
        double acc[BLOCK];
        for (size_t p = 0; p < x->n; p += BLOCK) {
                size_t n = x->n - p < BLOCK ? x->n - p : BLOCK;
                memset(acc, 0, sizeof(acc));
                walk_block(f, x->x + p * x->d, x->d, n, acc);
                for (size_t i = 0; i < n; i++)
                        ret_scores[p + i] = c > 0 ? exp2(-acc[i] / c) : 0.5;
        }
        return 0;
}

int iforest_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                         char **reterr_msg)
{
        _cleanup_(iforest_freep) Iforest *f = NULL;

        int r = iforest_fit(x, o, &f, reterr_msg);
        if (r < 0)
                return r;
        return iforest_score(f, x, ret_scores);
}

/* --- the binary form ---
 * "AIF1" version(1) 0 0 0 | d u64 | max_samples u64 | n_trees u32 | n_nodes u32 |
 * tree_start u32 * (n_trees + 1) | tree_depth u8 * n_trees |
 * per node: threshold f64, feature u32, right u32, value f64. All little-endian. */

#define BLOB_VERSION 1
#define HEADER_BYTES 32u
#define NODE_BYTES   24u

static void put_u32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put_f64(uint8_t *p, double v)
{
        uint64_t u;
        memcpy(&u, &v, sizeof(u));
        put_u64(p, u);
}

static uint32_t get_u32(const uint8_t *p)
{
        uint32_t v = 0;
        for (int i = 3; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static uint64_t get_u64(const uint8_t *p)
{
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static double get_f64(const uint8_t *p)
{
        uint64_t u = get_u64(p);
        double v;
        memcpy(&v, &u, sizeof(v));
        return v;
}

void iforest_save(const Iforest *f, uint8_t **ret_blob, size_t *ret_size)
{
        size_t size =
                HEADER_BYTES + 4 * ((size_t) f->n_trees + 1) + f->n_trees + NODE_BYTES * f->n_nodes;
        uint8_t *b = xnew0(uint8_t, size), *p = b;

        assert(ret_blob && ret_size);
        memcpy(p, "AIF1", 4);
        p[4] = BLOB_VERSION;
        put_u64(p + 8, f->d);
        put_u64(p + 16, f->max_samples);
        put_u32(p + 24, f->n_trees);
        put_u32(p + 28, (uint32_t) f->n_nodes);
        p += HEADER_BYTES;
        for (unsigned t = 0; t <= f->n_trees; t++, p += 4)
                put_u32(p, f->tree_start[t]);
        memcpy(p, f->tree_depth, f->n_trees);
        p += f->n_trees;
        for (size_t i = 0; i < f->n_nodes; i++, p += NODE_BYTES) {
                put_f64(p, f->nodes[i].threshold);
                put_u32(p + 8, f->nodes[i].feature);
                put_u32(p + 12, f->nodes[i].right);
                put_f64(p + 16, f->value[i]);
        }
        assert(p == b + size);
        *ret_blob = b;
        *ret_size = size;
}

static int bad(char **reterr_msg, const char *what)
{
        if (reterr_msg)
                *reterr_msg = xasprintf("not a valid isolation forest model: %s", what);
        return -EBADMSG;
}

/* One tree's nodes [lo, hi): a proper binary tree in preorder (each node but the root the
 * child of exactly one earlier node), leaves marked as such, no walk longer than depth. */
static bool tree_valid(const Iforest *f, uint32_t lo, uint32_t hi, unsigned depth, uint8_t *seen,
                       uint8_t *level)
{
        if (hi <= lo)
                return false;
        memset(seen + lo, 0, hi - lo);
        level[lo] = 0;
        seen[lo] = 1;
        for (uint32_t i = lo; i < hi; i++) {
                const IforestNode *nd = &f->nodes[i];
                if (!seen[i])
                        return false; /* unreachable node */
                bool is_leaf = nd->right == i - lo;
                if (is_leaf) {
                        if (nd->threshold != -HUGE_VAL || nd->feature != 0 ||
                            !isfinite(f->value[i]) || f->value[i] < 0 ||
                            f->value[i] > (double) MAX_DEPTH + iforest_c((double) f->max_samples))
                                return false;
                        continue;
                }
                if (!isfinite(nd->threshold) || nd->feature >= f->d || level[i] >= depth)
                        return false;
                uint32_t l = i + 1, r = lo + nd->right;
                if (nd->right >= hi - lo || r <= l || seen[l] || seen[r])
                        return false;
                seen[l] = seen[r] = 1;
                level[l] = level[r] = (uint8_t) (level[i] + 1);
        }
        return true;
}

int iforest_load(const uint8_t *blob, size_t size, Iforest **ret, char **reterr_msg)
{
        assert(ret);
        if (!blob || size < HEADER_BYTES || memcmp(blob, "AIF1", 4) != 0)
                return bad(reterr_msg, "no header");
        if (blob[4] != BLOB_VERSION) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("isolation forest model version %u is not "
                                                "supported (this build reads %u)",
                                                blob[4], BLOB_VERSION);
                return -EPROTONOSUPPORT;
        }
        uint64_t d = get_u64(blob + 8), m = get_u64(blob + 16);
        uint32_t n_trees = get_u32(blob + 24), n_nodes = get_u32(blob + 28);
        if (d == 0 || d > UINT32_MAX || m == 0 || m > UINT32_MAX)
                return bad(reterr_msg, "dimensions out of range");
        if (n_trees == 0 || n_trees > IFOREST_MAX_ESTIMATORS || n_nodes < n_trees)
                return bad(reterr_msg, "tree count out of range");
        if (size !=
            HEADER_BYTES + 4 * ((size_t) n_trees + 1) + n_trees + NODE_BYTES * (size_t) n_nodes)
                return bad(reterr_msg, "wrong size");

        _cleanup_(iforest_freep) Iforest *f = xnew0(Iforest, 1);
        f->d = (size_t) d;
        f->max_samples = (size_t) m;
        f->n_trees = n_trees;
        f->n_nodes = f->nodes_cap = n_nodes;
        f->tree_start = xnew(uint32_t, n_trees + 1);
        f->tree_depth = xnew(uint8_t, n_trees);
        f->nodes = xnew(IforestNode, n_nodes);
        f->value = xnew(double, n_nodes);
        const uint8_t *p = blob + HEADER_BYTES;
        for (uint32_t t = 0; t <= n_trees; t++, p += 4)
                f->tree_start[t] = get_u32(p);
        memcpy(f->tree_depth, p, n_trees);
        p += n_trees;
        for (uint32_t i = 0; i < n_nodes; i++, p += NODE_BYTES) {
                f->nodes[i].threshold = get_f64(p);
                f->nodes[i].feature = get_u32(p + 8);
                f->nodes[i].right = get_u32(p + 12);
                f->value[i] = get_f64(p + 16);
        }
        if (f->tree_start[0] != 0 || f->tree_start[n_trees] != n_nodes)
                return bad(reterr_msg, "tree offsets");
        _cleanup_free_ uint8_t *seen = xnew(uint8_t, n_nodes);
        _cleanup_free_ uint8_t *level = xnew(uint8_t, n_nodes);
        for (uint32_t t = 0; t < n_trees; t++) {
                uint32_t lo = f->tree_start[t], hi = f->tree_start[t + 1];
                if (hi <= lo || hi > n_nodes || f->tree_depth[t] > MAX_DEPTH ||
                    !tree_valid(f, lo, hi, f->tree_depth[t], seen, level))
                        return bad(reterr_msg, "malformed tree");
        }
        *ret = TAKE_PTR(f);
        return 0;
}

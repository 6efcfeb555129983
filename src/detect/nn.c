/* k-d tree and blocked brute-force k-nearest-neighbour search; see nn.h. */
#include "detect/nn.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

typedef struct NnNode {
        size_t lo, hi;      /* its points: tree positions [lo, hi) */
        size_t left, right; /* children; 0 for a leaf (the root is node 0, never a child) */
        size_t min_id;      /* smallest original index below it (ties with the k-th best) */
} NnNode;

struct NnIndex {
        size_t n, d;
        NnAlgorithm algorithm;
        /* The points in tree order, each leaf (block) [lo, hi) column-wise with a fixed
         * stride: dimension j of position p is soa[lo * d + j * NN_LEAF_SIZE + (p - lo)].
         * Every block starts at a multiple of NN_LEAF_SIZE; only the last may be short. */
        double *soa;
        size_t *ids; /* tree position -> original index */
        NnNode *nodes;
        size_t n_nodes, cap_nodes;
        double *boxes; /* k-d tree: per node d lower bounds then d upper bounds */
};

/* The candidates of one query: the best cnt <= k so far, sorted by (distance, index). */
typedef struct Cands {
        size_t k, cnt;
        size_t exclude; /* original index that is never a candidate (SIZE_MAX: none) */
        double *dist;   /* squared distances */
        size_t *id;
} Cands;

static inline bool cands_full_and_beats(const Cands *c, double dd, size_t id)
{
        /* true when (dd, id) is not better than the k-th best */
        return c->cnt == c->k &&
               (dd > c->dist[c->k - 1] || (dd == c->dist[c->k - 1] && id >= c->id[c->k - 1]));
}

static inline void cands_offer(Cands *c, double dd, size_t id)
{
        if (id == c->exclude || cands_full_and_beats(c, dd, id))
                return;
        size_t i = c->cnt < c->k ? c->cnt++ : c->k - 1;
        while (i > 0 && (c->dist[i - 1] > dd || (c->dist[i - 1] == dd && c->id[i - 1] > id))) {
                c->dist[i] = c->dist[i - 1];
                c->id[i] = c->id[i - 1];
                i--;
        }
        c->dist[i] = dd;
        c->id[i] = id;
}

/* Squared distances from q to the NN_LEAF_SIZE slots of the block at b (padding slots of a
 * short last block hold infinities). The sum runs over the dimensions in order for each
 * point, the same rounding in both engines; the fixed width lets the compiler keep acc in
 * vector registers, and an AVX2 clone is picked at load time where the CPU has it (no FMA:
 * contraction would change the rounding). */
__attribute__((target_clones("avx2", "default"))) static void
block_dist(const double *b, size_t d, const double *q, double *restrict acc)
{
        for (size_t p = 0; p < NN_LEAF_SIZE; p++)
                acc[p] = 0.0;
        for (size_t j = 0; j < d; j++) {
                const double qj = q[j], *col = b + j * NN_LEAF_SIZE;
                for (size_t p = 0; p < NN_LEAF_SIZE; p++) {
                        double df = qj - col[p];
                        acc[p] += df * df;
                }
        }
}

static void scan_block(const NnIndex *t, size_t lo, size_t hi, const double *q, Cands *c)
{
        double acc[NN_LEAF_SIZE];

        assert(lo % NN_LEAF_SIZE == 0 && hi - lo <= NN_LEAF_SIZE);
        block_dist(t->soa + lo * t->d, t->d, q, acc);
        for (size_t p = 0; p < hi - lo; p++)
                cands_offer(c, acc[p], t->ids[lo + p]);
}

/* Squared distance from q to the bounding box of node i; never more than the squared
 * distance to any point inside (each term and each partial sum rounds monotonically). */
static double box_dist(const NnIndex *t, size_t i, const double *q)
{
        const double *lo = t->boxes + 2 * t->d * i, *hi = lo + t->d;
        double s = 0.0;

        for (size_t j = 0; j < t->d; j++) {
                double df = 0.0;
                if (q[j] < lo[j])
                        df = lo[j] - q[j];
                else if (q[j] > hi[j])
                        df = q[j] - hi[j];
                s += df * df;
        }
        return s;
}

static void search(const NnIndex *t, size_t node, const double *q, Cands *c)
{
        const NnNode *nd = &t->nodes[node];

        if (nd->left == 0) {
                scan_block(t, nd->lo, nd->hi, q, c);
                return;
        }
        size_t a = nd->left, b = nd->right;
        double da = box_dist(t, a, q), db = box_dist(t, b, q);
        if (db < da) {
                size_t ti = a;
                double td = da;
                a = b, da = db;
                b = ti, db = td;
        }
        if (!cands_full_and_beats(c, da, t->nodes[a].min_id))
                search(t, a, q, c);
        if (!cands_full_and_beats(c, db, t->nodes[b].min_id))
                search(t, b, q, c);
}

static void search_any(const NnIndex *t, const double *q, Cands *c)
{
        if (t->algorithm == NN_KDTREE) {
                search(t, 0, q, c);
                return;
        }
        for (size_t i = 0; i < t->n_nodes; i++)
                scan_block(t, t->nodes[i].lo, t->nodes[i].hi, q, c);
}

/* ---- building */

/* Moves ids[lo..hi) so that position nth holds the element of that rank by coordinate dim,
 * smaller-or-equal ones before it, greater-or-equal after (Hoare's FIND, as written by
 * Wirth, with a median-of-three pivot). */
static void select_nth(size_t *ids, size_t lo_, size_t hi_, size_t nth, const double *x, size_t d,
                       size_t dim)
{
#define KEY(i) x[ids[i] * d + dim]
        ptrdiff_t lo = (ptrdiff_t) lo_, hi = (ptrdiff_t) hi_ - 1, k = (ptrdiff_t) nth;

        while (lo < hi) {
                double a = KEY(lo), b = KEY(lo + (hi - lo) / 2), c = KEY(hi), p;
                if (a < b)
                        p = b < c ? b : (a < c ? c : a);
                else
                        p = a < c ? a : (b < c ? c : b);
                ptrdiff_t i = lo, j = hi;
                do {
                        while (KEY(i) < p)
                                i++;
                        while (p < KEY(j))
                                j--;
                        if (i <= j) {
                                size_t tmp = ids[i];
                                ids[i] = ids[j];
                                ids[j] = tmp;
                                i++;
                                j--;
                        }
                } while (i <= j);
                if (j < k)
                        lo = i;
                if (k < i)
                        hi = j;
        }
#undef KEY
}

static size_t node_new(NnIndex *t, size_t lo, size_t hi)
{
        if (t->n_nodes == t->cap_nodes) {
                t->cap_nodes = t->cap_nodes ? 2 * t->cap_nodes : 64;
                t->nodes = xreallocarray(t->nodes, t->cap_nodes, sizeof(NnNode));
                if (t->algorithm == NN_KDTREE)
                        t->boxes = xreallocarray(t->boxes, t->cap_nodes, 2 * t->d * sizeof(double));
        }
        t->nodes[t->n_nodes] = (NnNode){.lo = lo, .hi = hi, .min_id = SIZE_MAX};
        return t->n_nodes++;
}

static size_t build_node(NnIndex *t, const Matrix *x, size_t lo, size_t hi)
{
        size_t i = node_new(t, lo, hi), d = t->d;
        double *blo = t->boxes + 2 * d * i, *bhi = blo + d;
        size_t min_id = SIZE_MAX;

        for (size_t j = 0; j < d; j++) {
                blo[j] = HUGE_VAL;
                bhi[j] = -HUGE_VAL;
        }
        for (size_t p = lo; p < hi; p++) {
                const double *r = matrix_row(x, t->ids[p]);
                for (size_t j = 0; j < d; j++) {
                        blo[j] = fmin(blo[j], r[j]);
                        bhi[j] = fmax(bhi[j], r[j]);
                }
                if (t->ids[p] < min_id)
                        min_id = t->ids[p];
        }
        t->nodes[i].min_id = min_id;
        if (hi - lo <= NN_LEAF_SIZE)
                return i;

        /* Split even when the widest spread is 0 (all points equal): leaves stay small and
         * min_id lets the search skip the duplicates it cannot use. */
        size_t dim = 0;
        for (size_t j = 1; j < d; j++)
                if (bhi[j] - blo[j] > bhi[dim] - blo[dim])
                        dim = j;
        /* the left half rounded up to whole blocks, so that every leaf but the last is full */
        size_t half = (hi - lo + 1) / 2;
        size_t mid = lo + (half + NN_LEAF_SIZE - 1) / NN_LEAF_SIZE * NN_LEAF_SIZE;
        select_nth(t->ids, lo, hi, mid, x->x, d, dim);
        size_t l = build_node(t, x, lo, mid);
        size_t r = build_node(t, x, mid, hi);
        t->nodes[i].left = l; /* t->nodes may have moved: index again */
        t->nodes[i].right = r;
        return i;
}

static void fill_soa(NnIndex *t, const Matrix *x)
{
        for (size_t i = 0; i < t->n_nodes; i++) {
                const NnNode *nd = &t->nodes[i];
                if (nd->left != 0)
                        continue;
                size_t m = nd->hi - nd->lo;
                double *b = t->soa + nd->lo * t->d;
                for (size_t p = 0; p < NN_LEAF_SIZE; p++) {
                        const double *r = p < m ? matrix_row(x, t->ids[nd->lo + p]) : NULL;
                        for (size_t j = 0; j < t->d; j++)
                                b[j * NN_LEAF_SIZE + p] = r ? r[j] : HUGE_VAL;
                }
        }
}

int nn_build_with(const Matrix *x, NnAlgorithm algorithm, NnIndex **ret)
{
        _cleanup_(nn_freep) NnIndex *t = NULL;

        assert(x && ret);
        if (x->n == 0 || x->d == 0 || !x->x)
                return -EINVAL;
        if (algorithm < 0 || algorithm >= _NN_ALGORITHM_MAX)
                return -EINVAL;
        if (algorithm == NN_AUTO)
                algorithm = x->d <= NN_KDTREE_MAX_DIM ? NN_KDTREE : NN_BRUTE;

        t = xnew0(NnIndex, 1);
        t->n = x->n;
        t->d = x->d;
        t->algorithm = algorithm;
        t->ids = xnew(size_t, x->n);
        for (size_t i = 0; i < x->n; i++)
                t->ids[i] = i;
        t->soa = xnew(double, (x->n + NN_LEAF_SIZE - 1) / NN_LEAF_SIZE * NN_LEAF_SIZE * x->d);
        if (algorithm == NN_KDTREE) {
                (void) build_node(t, x, 0, x->n);
        } else {
                for (size_t lo = 0; lo < x->n; lo += NN_LEAF_SIZE) {
                        size_t i = node_new(t, lo, MIN(lo + NN_LEAF_SIZE, x->n));
                        t->nodes[i].min_id = lo;
                }
        }
        fill_soa(t, x);
        *ret = TAKE_PTR(t);
        return 0;
}

int nn_build(const Matrix *x, NnIndex **ret)
{
        return nn_build_with(x, NN_AUTO, ret);
}

NnIndex *nn_free(NnIndex *t)
{
        if (!t)
                return NULL;
        free(t->soa);
        free(t->ids);
        free(t->nodes);
        free(t->boxes);
        free(t);
        return NULL;
}

size_t nn_size(const NnIndex *t)
{
        return t->n;
}

size_t nn_dim(const NnIndex *t)
{
        return t->d;
}

NnAlgorithm nn_algorithm(const NnIndex *t)
{
        return t->algorithm;
}

/* ---- queries */

static int check_k(const NnIndex *t, size_t k, bool exclude_self, char **reterr_msg)
{
        if (k == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("the number of neighbours k must be at least 1");
                return -EINVAL;
        }
        if (exclude_self ? k >= t->n : k > t->n) {
                if (reterr_msg)
                        *reterr_msg = xasprintf(
                                "%zu neighbours asked of %zu points: k must be %s the number "
                                "of points",
                                k, t->n, exclude_self ? "below" : "at most");
                return -EINVAL;
        }
        return 0;
}

static void cands_out(const Cands *c, size_t *ret_idx, double *ret_dist)
{
        assert(c->cnt == c->k);
        for (size_t j = 0; j < c->k; j++) {
                ret_idx[j] = c->id[j];
                ret_dist[j] = sqrt(c->dist[j]);
        }
}

int nn_query(const NnIndex *t, const double *point, size_t k, size_t *ret_idx, double *ret_dist,
             char **reterr_msg)
{
        assert(t && point && ret_idx && ret_dist);
        int r = check_k(t, k, false, reterr_msg);
        if (r < 0)
                return r;
        _cleanup_free_ double *dist = xnew(double, k);
        _cleanup_free_ size_t *id = xnew(size_t, k);
        Cands c = {.k = k, .exclude = SIZE_MAX, .dist = dist, .id = id};
        search_any(t, point, &c);
        cands_out(&c, ret_idx, ret_dist);
        return 0;
}

int nn_query_all(const NnIndex *t, size_t k, bool exclude_self, size_t *ret_idx, double *ret_dist,
                 char **reterr_msg)
{
        assert(t && ret_idx && ret_dist);
        int r = check_k(t, k, exclude_self, reterr_msg);
        if (r < 0)
                return r;

        size_t d = t->d;
        _cleanup_free_ double *q = xnew(double, NN_LEAF_SIZE *d);
        _cleanup_free_ double *dist = xnew(double, NN_LEAF_SIZE *k);
        _cleanup_free_ size_t *id = xnew(size_t, NN_LEAF_SIZE * k);
        Cands c[NN_LEAF_SIZE];

        /* Queries go a block at a time in tree order: neighbouring queries visit the same
         * nodes (k-d tree), and one point block serves the whole query block (brute). */
        for (size_t b = 0; b < t->n_nodes; b++) {
                const NnNode *nd = &t->nodes[b];
                if (nd->left != 0)
                        continue;
                size_t m = nd->hi - nd->lo;
                const double *soa = t->soa + nd->lo * d;
                for (size_t p = 0; p < m; p++) {
                        for (size_t j = 0; j < d; j++)
                                q[p * d + j] = soa[j * NN_LEAF_SIZE + p];
                        c[p] = (Cands){.k = k,
                                       .exclude = exclude_self ? t->ids[nd->lo + p] : SIZE_MAX,
                                       .dist = dist + p * k,
                                       .id = id + p * k};
                }
                if (t->algorithm == NN_KDTREE) {
                        for (size_t p = 0; p < m; p++)
                                search(t, 0, q + p * d, &c[p]);
                } else {
                        for (size_t o = 0; o < t->n_nodes; o++)
                                for (size_t p = 0; p < m; p++)
                                        scan_block(t, t->nodes[o].lo, t->nodes[o].hi, q + p * d,
                                                   &c[p]);
                }
                for (size_t p = 0; p < m; p++) {
                        size_t orig = t->ids[nd->lo + p];
                        cands_out(&c[p], ret_idx + orig * k, ret_dist + orig * k);
                }
        }
        return 0;
}

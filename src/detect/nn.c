/* k-d tree and blocked brute-force k-nearest-neighbour search; see nn.h. */
#include "detect/nn.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NN_X86 1
#else
#define NN_X86 0
#endif

#include "core/alloc.h"

/* Queries per tile of the Gram kernel, and point blocks per cache block of the brute engine
 * (SUPER_BLOCKS * NN_LEAF_SIZE points, d doubles each, stay in L1 while every query tile of
 * a chunk passes over them). */
#define TILE_Q       4
#define SUPER_BLOCKS 8
static_assert(NN_LEAF_SIZE == 32, "the Gram kernels keep one bit per point of a block in 32");

/* The sampled engine choice (nn_build): SAMPLE_QUERIES queries of SAMPLE_K neighbours
 * are run on the tree; brute force wins when the tree scans more than 1/TREE_VS_BRUTE of the
 * points per query, a point scanned by the tree costing about TREE_VS_BRUTE pairs of the
 * Gram kernel (measured: bench/results/nn-speed.md). */
#define SAMPLE_QUERIES 64
#define SAMPLE_K       10
#define TREE_VS_BRUTE  12.0

typedef struct NnNode {
        size_t lo, hi;      /* its points: tree positions [lo, hi) */
        size_t left, right; /* children; 0 for a leaf (the root is node 0, never a child) */
        size_t min_id;      /* smallest original index below it (ties with the k-th best) */
} NnNode;

/* The Gram kernel: for TILE_Q queries (rows of d values -2 (q - mean)) and the
 * NN_LEAF_SIZE points of one block (centred, column-wise), out[i * NN_LEAF_SIZE + p] =
 * pnc[p] - 2 (q_i - mean) . (p - mean), and bit p of mask[i] set when it is <= tq[i];
 * true when any bit is. */
typedef bool (*GramKernel)(const double *blk, size_t d, const double *pnc, const double *qs,
                           const double *tq, double *out, uint32_t *mask);

struct NnIndex {
        size_t n, d, n_blocks;
        NnAlgorithm algorithm;
        unsigned threads; /* 0: the online CPUs */
        /* The points in tree order, each leaf (block) [lo, hi) column-wise with a fixed
         * stride: dimension j of position p is soa[lo * d + j * NN_LEAF_SIZE + (p - lo)].
         * Every block starts at a multiple of NN_LEAF_SIZE; only the last may be short. */
        double *soa;
        size_t *ids; /* tree position -> original index */
        NnNode *nodes;
        size_t n_nodes, cap_nodes;
        double *boxes; /* per node d lower bounds then d upper bounds */
        /* The brute engine's filter (see nn.h): the same layout centred on mean (0 in the
         * padding slots), and per position ||p - mean||^2 (1 - gram_margin(d)) (NaN in the
         * padding slots, so that they never pass). gram is false when the norms could
         * overflow; brute force then scans with the direct formula only. */
        bool gram;
        double *mean, *csoa, *pnc;
        void *mem_soa, *mem_csoa, *mem_pnc; /* what soa, csoa, pnc are in */
        GramKernel kernel;
};

/* The candidates of one query: the best cnt <= k so far, sorted by (distance, index). */
typedef struct Cands {
        size_t k, cnt;
        size_t exclude; /* original index that is never a candidate (SIZE_MAX: none) */
        size_t scanned; /* points whose distance was computed (engine choice) */
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

/* The squared distance from q to slot p of the block at b, rounded exactly as block_dist()
 * rounds it. Never inlined into the kernels below, whose targets allow FMA contraction. */
__attribute__((noinline)) static double exact_dist(const double *b, size_t p, size_t d,
                                                   const double *q)
{
        double s = 0.0;
        for (size_t j = 0; j < d; j++) {
                double df = q[j] - b[j * NN_LEAF_SIZE + p];
                s += df * df;
        }
        return s;
}

static void scan_block(const NnIndex *t, size_t lo, size_t hi, const double *q, Cands *c)
{
        double acc[NN_LEAF_SIZE];

        assert(lo % NN_LEAF_SIZE == 0 && hi - lo <= NN_LEAF_SIZE);
        block_dist(t->soa + lo * t->d, t->d, q, acc);
        c->scanned += hi - lo;
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

/* ---- the brute engine's Gram filter
 *
 * For a query q and a point p (both centred on the mean: c_q, c_p), v = ||c_p||^2 (1 - M) -
 * 2 c_q . c_p computed in any order (FMA or not) differs from the exact real value by at
 * most about (3d + 2) u (||c_q||^2 + ||c_p||^2), u = 2^-53; centring adds at most
 * 6 u (||c_q||^2 + ||c_p||^2) to the squared distance, and the direct formula's result e
 * is within a relative (d + 2) u of the exact squared distance D. The filter passes p when
 * v <= e_k (1 + M) + S + M ||c_q||^2 - ||c_q||^2, e_k the current k-th best direct distance,
 * i.e. about when D <= e_k (1 + M) + M (||c_q||^2 + ||c_p||^2) + S. With M = (d + 8) 2^-48,
 * some 32 times the error bounds above, every point whose direct distance is <= e_k passes;
 * S = 2^-900 covers the absolute errors of underflow. Passing points are then offered with
 * their direct distance, so the result is that of the direct formula, bit for bit. */
#define GRAM_SLACK 0x1p-900
#define GRAM_LIMIT 0x1p1000 /* largest ||c_p||^2 for which nothing can overflow */

/* n doubles at a multiple of 64 bytes (a cache line, a full AVX-512 load); *ret_mem is what
 * to free. */
static double *alloc_lines(size_t n, void **ret_mem)
{
        double *mem = xnew(double, n + 8);
        *ret_mem = mem;
        return (double *) (((uintptr_t) mem + 63) & ~(uintptr_t) 63);
}

static double gram_margin(size_t d)
{
        return (double) (d + 8) * 0x1p-48;
}

static bool gram_default(const double *restrict blk, size_t d, const double *restrict pnc,
                         const double *restrict qs, const double *restrict tq, double *restrict out,
                         uint32_t *restrict mask)
{
        uint32_t any = 0;

        for (size_t i = 0; i < TILE_Q; i++) {
                double *o = out + i * NN_LEAF_SIZE;
                for (size_t p = 0; p < NN_LEAF_SIZE; p++)
                        o[p] = pnc[p];
                for (size_t j = 0; j < d; j++) {
                        const double qj = qs[i * d + j], *col = blk + j * NN_LEAF_SIZE;
                        for (size_t p = 0; p < NN_LEAF_SIZE; p++)
                                o[p] += qj * col[p];
                }
                mask[i] = 0;
                for (size_t p = 0; p < NN_LEAF_SIZE; p++)
                        if (o[p] <= tq[i])
                                mask[i] |= UINT32_C(1) << p;
                any |= mask[i];
        }
        return any != 0;
}

#if NN_X86
/* 4 queries x 8 points in 8 accumulators, four times over the block */
__attribute__((target("avx2,fma"))) static bool
gram_avx2(const double *restrict blk, size_t d, const double *restrict pnc,
          const double *restrict qs, const double *restrict tq, double *restrict out,
          uint32_t *restrict mask)
{
        const double *q0 = qs, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
        const __m256d t0 = _mm256_set1_pd(tq[0]), t1 = _mm256_set1_pd(tq[1]),
                      t2 = _mm256_set1_pd(tq[2]), t3 = _mm256_set1_pd(tq[3]);
        uint32_t m0 = 0, m1 = 0, m2 = 0, m3 = 0;

        for (size_t s = 0; s < NN_LEAF_SIZE; s += 8) {
                __m256d a00 = _mm256_load_pd(pnc + s), a01 = _mm256_load_pd(pnc + s + 4);
                __m256d a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
                const double *col = blk + s;
                for (size_t j = 0; j < d; j++, col += NN_LEAF_SIZE) {
                        const __m256d p0 = _mm256_load_pd(col), p1 = _mm256_load_pd(col + 4);
                        __m256d b = _mm256_broadcast_sd(q0 + j);
                        a00 = _mm256_fmadd_pd(b, p0, a00);
                        a01 = _mm256_fmadd_pd(b, p1, a01);
                        b = _mm256_broadcast_sd(q1 + j);
                        a10 = _mm256_fmadd_pd(b, p0, a10);
                        a11 = _mm256_fmadd_pd(b, p1, a11);
                        b = _mm256_broadcast_sd(q2 + j);
                        a20 = _mm256_fmadd_pd(b, p0, a20);
                        a21 = _mm256_fmadd_pd(b, p1, a21);
                        b = _mm256_broadcast_sd(q3 + j);
                        a30 = _mm256_fmadd_pd(b, p0, a30);
                        a31 = _mm256_fmadd_pd(b, p1, a31);
                }
                _mm256_store_pd(out + s, a00);
                _mm256_store_pd(out + s + 4, a01);
                _mm256_store_pd(out + NN_LEAF_SIZE + s, a10);
                _mm256_store_pd(out + NN_LEAF_SIZE + s + 4, a11);
                _mm256_store_pd(out + 2 * NN_LEAF_SIZE + s, a20);
                _mm256_store_pd(out + 2 * NN_LEAF_SIZE + s + 4, a21);
                _mm256_store_pd(out + 3 * NN_LEAF_SIZE + s, a30);
                _mm256_store_pd(out + 3 * NN_LEAF_SIZE + s + 4, a31);
#define BITS(a, b, t)                                                          \
        ((uint32_t) (_mm256_movemask_pd(_mm256_cmp_pd(a, t, _CMP_LE_OQ)) |     \
                     _mm256_movemask_pd(_mm256_cmp_pd(b, t, _CMP_LE_OQ)) << 4) \
         << s)
                m0 |= BITS(a00, a01, t0);
                m1 |= BITS(a10, a11, t1);
                m2 |= BITS(a20, a21, t2);
                m3 |= BITS(a30, a31, t3);
#undef BITS
        }
        mask[0] = m0, mask[1] = m1, mask[2] = m2, mask[3] = m3;
        return (m0 | m1 | m2 | m3) != 0;
}

/* 4 queries x 32 points in 16 accumulators */
__attribute__((target("avx512f,avx2,fma"))) static bool
gram_avx512(const double *restrict blk, size_t d, const double *restrict pnc,
            const double *restrict qs, const double *restrict tq, double *restrict out,
            uint32_t *restrict mask)
{
        const double *q0 = qs, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
        __m512d a00 = _mm512_load_pd(pnc), a01 = _mm512_load_pd(pnc + 8),
                a02 = _mm512_load_pd(pnc + 16), a03 = _mm512_load_pd(pnc + 24);
        __m512d a10 = a00, a11 = a01, a12 = a02, a13 = a03, a20 = a00, a21 = a01, a22 = a02,
                a23 = a03, a30 = a00, a31 = a01, a32 = a02, a33 = a03;

        for (size_t j = 0; j < d; j++, blk += NN_LEAF_SIZE) {
                const __m512d p0 = _mm512_load_pd(blk), p1 = _mm512_load_pd(blk + 8),
                              p2 = _mm512_load_pd(blk + 16), p3 = _mm512_load_pd(blk + 24);
#define ROW(i)                                             \
        do {                                               \
                const __m512d b = _mm512_set1_pd(q##i[j]); \
                a##i##0 = _mm512_fmadd_pd(b, p0, a##i##0); \
                a##i##1 = _mm512_fmadd_pd(b, p1, a##i##1); \
                a##i##2 = _mm512_fmadd_pd(b, p2, a##i##2); \
                a##i##3 = _mm512_fmadd_pd(b, p3, a##i##3); \
        } while (0)
                ROW(0);
                ROW(1);
                ROW(2);
                ROW(3);
#undef ROW
        }
#define ROW(i)                                                                          \
        do {                                                                            \
                const __m512d t = _mm512_set1_pd(tq[i]);                                \
                double *o = out + i * NN_LEAF_SIZE;                                     \
                _mm512_store_pd(o, a##i##0);                                            \
                _mm512_store_pd(o + 8, a##i##1);                                        \
                _mm512_store_pd(o + 16, a##i##2);                                       \
                _mm512_store_pd(o + 24, a##i##3);                                       \
                mask[i] = (uint32_t) _mm512_cmp_pd_mask(a##i##0, t, _CMP_LE_OQ) |       \
                          (uint32_t) _mm512_cmp_pd_mask(a##i##1, t, _CMP_LE_OQ) << 8 |  \
                          (uint32_t) _mm512_cmp_pd_mask(a##i##2, t, _CMP_LE_OQ) << 16 | \
                          (uint32_t) _mm512_cmp_pd_mask(a##i##3, t, _CMP_LE_OQ) << 24;  \
        } while (0)
        ROW(0);
        ROW(1);
        ROW(2);
        ROW(3);
#undef ROW
        return (mask[0] | mask[1] | mask[2] | mask[3]) != 0;
}
#endif

static bool kernel_supported(NnKernel k)
{
        switch (k) {
        case NN_KERNEL_AUTO:
        case NN_KERNEL_C:
                return true;
#if NN_X86
        case NN_KERNEL_AVX2:
                __builtin_cpu_init();
                return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case NN_KERNEL_AVX512:
                __builtin_cpu_init();
                return __builtin_cpu_supports("avx512f");
#endif
        default:
                return false;
        }
}

int nn_set_kernel(NnIndex *t, NnKernel k)
{
        assert(t);
        if (!kernel_supported(k))
                return -EOPNOTSUPP;
#if NN_X86
        if (k == NN_KERNEL_AUTO)
                k = kernel_supported(NN_KERNEL_AVX512) ? NN_KERNEL_AVX512
                    : kernel_supported(NN_KERNEL_AVX2) ? NN_KERNEL_AVX2
                                                       : NN_KERNEL_C;
        t->kernel = k == NN_KERNEL_AVX512 ? gram_avx512
                    : k == NN_KERNEL_AVX2 ? gram_avx2
                                          : gram_default;
#else
        t->kernel = gram_default;
#endif
        return 0;
}

/* The filter's threshold for a query with centred squared norm qn (see above). */
static double gram_threshold(const Cands *c, double qn, double margin)
{
        if (c->cnt < c->k)
                return HUGE_VAL;
        return c->dist[c->k - 1] * (1.0 + margin) + GRAM_SLACK + margin * qn - qn;
}

/* Per-thread buffers of the queries. */
typedef struct Work {
        size_t cap, k;
        double *q;  /* cap rows of d: the queries */
        double *qs; /* cap + TILE_Q rows of d: -2 (q - mean) */
        double *qn, *tq;
        double *out; /* TILE_Q * NN_LEAF_SIZE, in mem_out */
        void *mem_out;
        double *dist;
        size_t *id;
        Cands *c;
} Work;

static void work_init(Work *w, size_t d, size_t cap, size_t k)
{
        *w = (Work){.cap = cap, .k = k};
        w->q = xnew(double, cap *d);
        w->qs = xnew(double, (cap + TILE_Q) * d);
        w->qn = xnew(double, cap + TILE_Q);
        w->tq = xnew(double, cap + TILE_Q);
        w->out = alloc_lines(TILE_Q * NN_LEAF_SIZE, &w->mem_out);
        w->dist = xnew(double, cap *k);
        w->id = xnew(size_t, cap * k);
        w->c = xnew(Cands, cap);
}

static void work_done(Work *w)
{
        free(w->q);
        free(w->qs);
        free(w->qn);
        free(w->tq);
        free(w->mem_out);
        free(w->dist);
        free(w->id);
        free(w->c);
}

/* The points of block b that passed the filter for the queries of the tile at i (their
 * bits in mask), offered with their direct distance. */
static void gram_refine(const NnIndex *t, size_t b, size_t i, size_t m, const uint32_t *mask,
                        Work *w, double margin)
{
        size_t lo = b * NN_LEAF_SIZE, d = t->d;
        const double *blk = t->soa + lo * d;

        for (size_t r = 0; r < TILE_Q && i + r < m; r++) {
                const double *o = w->out + r * NN_LEAF_SIZE, *q = w->q + (i + r) * d;
                Cands *c = &w->c[i + r];
                for (uint32_t bits = mask[r]; bits != 0; bits &= bits - 1) {
                        unsigned p = (unsigned) __builtin_ctz(bits);
                        /* again: the threshold may have tightened since */
                        if (!(o[p] <= w->tq[i + r]))
                                continue;
                        size_t id = t->ids[lo + p];
                        if (id == c->exclude)
                                continue;
                        /* with k duplicates of the query found, only a duplicate of smaller
                         * index can enter: spares the direct distance of the many others */
                        if (c->cnt == c->k && c->dist[c->k - 1] == 0.0 && id > c->id[c->k - 1])
                                continue;
                        assert(lo + p < t->n); /* padding slots never pass */
                        cands_offer(c, exact_dist(blk, p, d, q), id);
                        w->tq[i + r] = gram_threshold(c, w->qn[i + r], margin);
                }
        }
}

/* Brute force for the m queries in w->q (candidates w->c), the point blocks by cache
 * blocks of SUPER_BLOCKS, starting with the one holding block first (where the queries
 * come from, so that the thresholds tighten early). */
static void brute_run(const NnIndex *t, size_t m, size_t first, Work *w)
{
        size_t d = t->d, nb = t->n_blocks;
        size_t n_super = (nb + SUPER_BLOCKS - 1) / SUPER_BLOCKS, s0 = first / SUPER_BLOCKS;
        double margin = gram_margin(d);
        size_t mt = (m + TILE_Q - 1) / TILE_Q * TILE_Q;
        bool gram = t->gram;

        for (size_t i = 0; gram && i < mt; i++) {
                const double *q = w->q + MIN(i, m - 1) * d;
                double *qs = w->qs + i * d, qn = 0.0;
                for (size_t j = 0; j < d; j++) {
                        double cj = q[j] - t->mean[j];
                        qs[j] = -2.0 * cj;
                        qn += cj * cj;
                }
                w->qn[i] = qn;
                /* the padding queries of the last tile never pass */
                w->tq[i] = i < m ? gram_threshold(&w->c[i], qn, margin) : -HUGE_VAL;
                /* a new point far out (nn_query()) could overflow the filter */
                gram = qn <= GRAM_LIMIT;
        }
        if (!gram) {
                for (size_t r = 0; r < n_super; r++) {
                        size_t s = (s0 + r) % n_super, hi = MIN(nb, (s + 1) * SUPER_BLOCKS);
                        for (size_t i = 0; i < m; i++)
                                for (size_t b = s * SUPER_BLOCKS; b < hi; b++)
                                        scan_block(t, b * NN_LEAF_SIZE,
                                                   MIN(t->n, (b + 1) * NN_LEAF_SIZE), w->q + i * d,
                                                   &w->c[i]);
                }
                return;
        }
        for (size_t r = 0; r < n_super; r++) {
                size_t s = (s0 + r) % n_super, hi = MIN(nb, (s + 1) * SUPER_BLOCKS);
                for (size_t i = 0; i < mt; i += TILE_Q)
                        for (size_t b = s * SUPER_BLOCKS; b < hi; b++) {
                                size_t lo = b * NN_LEAF_SIZE;
                                uint32_t mask[TILE_Q];
                                if (t->kernel(t->csoa + lo * d, d, t->pnc + lo, w->qs + i * d,
                                              w->tq + i, w->out, mask))
                                        gram_refine(t, b, i, m, mask, w, margin);
                        }
        }
        for (size_t i = 0; i < m; i++)
                w->c[i].scanned += t->n;
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
                        blo[j] =
                                r[j] < blo[j] ? r[j] : blo[j]; /* finite: fmin() without the call */
                        bhi[j] = r[j] > bhi[j] ? r[j] : bhi[j];
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

/* The column-wise blocks, raw and centred, and the centred norms. */
static void fill_soa(NnIndex *t, const Matrix *x)
{
        size_t d = t->d, np = t->n_blocks * NN_LEAF_SIZE;
        double margin = gram_margin(d);

        /* x / n summed: no overflow whatever the magnitudes */
        t->mean = xnew0(double, d);
        for (size_t i = 0; i < t->n; i++)
                for (size_t j = 0; j < d; j++)
                        t->mean[j] += matrix_row(x, i)[j] / (double) t->n;
        t->soa = alloc_lines(np * d, &t->mem_soa);
        t->csoa = alloc_lines(np * d, &t->mem_csoa);
        t->pnc = alloc_lines(np, &t->mem_pnc);
        t->gram = true;
        for (size_t pos = 0; pos < np; pos++) {
                const double *r = pos < t->n ? matrix_row(x, t->ids[pos]) : NULL;
                size_t base = pos / NN_LEAF_SIZE * NN_LEAF_SIZE * d + pos % NN_LEAF_SIZE;
                double s = 0.0;
                for (size_t j = 0; j < d; j++) {
                        double cj = r ? r[j] - t->mean[j] : 0.0;
                        t->soa[base + j * NN_LEAF_SIZE] = r ? r[j] : HUGE_VAL;
                        t->csoa[base + j * NN_LEAF_SIZE] = cj;
                        s += cj * cj;
                }
                t->pnc[pos] = r ? s * (1.0 - margin) : (double) NAN;
                /* every centred norm, and so every v of the filter and every distance,
                 * finite (false for NaN too) */
                if (r && !(s <= GRAM_LIMIT))
                        t->gram = false;
        }
        (void) nn_set_kernel(t, NN_KERNEL_AUTO);
}

/* The engine for NN_AUTO: a sample of tree queries measures how much the tree prunes on
 * this data (little in high intrinsic dimension, whatever d is). */
static NnAlgorithm choose_engine(const NnIndex *t)
{
        if (!t->gram || t->n_blocks <= 2)
                return NN_KDTREE;
        size_t s = MIN((size_t) SAMPLE_QUERIES, t->n), k = MIN((size_t) SAMPLE_K, t->n - 1);
        _cleanup_free_ double *q = xnew(double, t->d);
        _cleanup_free_ double *dist = xnew(double, k);
        _cleanup_free_ size_t *id = xnew(size_t, k);
        double scanned = 0.0;

        for (size_t i = 0; i < s; i++) {
                size_t pos = i * t->n / s;
                const double *b = t->soa + pos / NN_LEAF_SIZE * NN_LEAF_SIZE * t->d;
                for (size_t j = 0; j < t->d; j++)
                        q[j] = b[j * NN_LEAF_SIZE + pos % NN_LEAF_SIZE];
                Cands c = {.k = k, .exclude = t->ids[pos], .dist = dist, .id = id};
                search(t, 0, q, &c);
                scanned += (double) c.scanned;
        }
        return scanned * TREE_VS_BRUTE > (double) s * (double) t->n ? NN_BRUTE : NN_KDTREE;
}

int nn_build_with(const Matrix *x, NnAlgorithm algorithm, NnIndex **ret)
{
        _cleanup_(nn_freep) NnIndex *t = NULL;

        assert(x && ret);
        if (x->n == 0 || x->d == 0 || !x->x)
                return -EINVAL;
        if (algorithm < 0 || algorithm >= _NN_ALGORITHM_MAX)
                return -EINVAL;

        t = xnew0(NnIndex, 1);
        t->n = x->n;
        t->d = x->d;
        t->n_blocks = (x->n + NN_LEAF_SIZE - 1) / NN_LEAF_SIZE;
        t->ids = xnew(size_t, x->n);
        for (size_t i = 0; i < x->n; i++)
                t->ids[i] = i;
        /* Both engines use the tree's order: the brute engine's blocks are its leaves, so
         * that the queries of one chunk start on points near them. */
        (void) build_node(t, x, 0, x->n);
        fill_soa(t, x);
        t->algorithm = algorithm == NN_AUTO ? choose_engine(t) : algorithm;
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
        free(t->mem_soa);
        free(t->mem_csoa);
        free(t->mem_pnc);
        free(t->mean);
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

void nn_set_threads(NnIndex *t, unsigned threads)
{
        t->threads = MIN(threads, (unsigned) NN_MAX_THREADS);
}

unsigned nn_threads(const NnIndex *t)
{
        if (t->threads > 0)
                return t->threads;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        return cpus < 1 ? 1 : (unsigned) MIN(cpus, (long) NN_MAX_THREADS);
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
        if (t->algorithm == NN_KDTREE) {
                _cleanup_free_ double *dist = xnew(double, k);
                _cleanup_free_ size_t *id = xnew(size_t, k);
                Cands c = {.k = k, .exclude = SIZE_MAX, .dist = dist, .id = id};
                search(t, 0, point, &c);
                cands_out(&c, ret_idx, ret_dist);
                return 0;
        }
        Work w;
        work_init(&w, t->d, 1, k);
        memcpy(w.q, point, t->d * sizeof(double));
        w.c[0] = (Cands){.k = k, .exclude = SIZE_MAX, .dist = w.dist, .id = w.id};
        brute_run(t, 1, 0, &w);
        cands_out(&w.c[0], ret_idx, ret_dist);
        work_done(&w);
        return 0;
}

/* One nn_query_all() shared by its threads: the queries are the indexed points in tree
 * order, in chunks of whole blocks handed out by next. */
typedef struct Job {
        const NnIndex *t;
        size_t k;
        bool exclude_self;
        size_t *ret_idx;
        double *ret_dist;
        size_t chunk, n_chunks;
        atomic_size_t next;
} Job;

static void job_chunk(Job *j, size_t ci, Work *w)
{
        const NnIndex *t = j->t;
        size_t d = t->d, k = j->k, lo = ci * j->chunk, m = MIN(t->n, lo + j->chunk) - lo;

        for (size_t p = 0; p < m; p++) {
                size_t pos = lo + p;
                const double *b = t->soa + pos / NN_LEAF_SIZE * NN_LEAF_SIZE * d;
                for (size_t jj = 0; jj < d; jj++)
                        w->q[p * d + jj] = b[jj * NN_LEAF_SIZE + pos % NN_LEAF_SIZE];
                w->c[p] = (Cands){.k = k,
                                  .exclude = j->exclude_self ? t->ids[pos] : SIZE_MAX,
                                  .dist = w->dist + p * k,
                                  .id = w->id + p * k};
        }
        if (t->algorithm == NN_KDTREE)
                for (size_t p = 0; p < m; p++)
                        search(t, 0, w->q + p * d, &w->c[p]);
        else
                brute_run(t, m, lo / NN_LEAF_SIZE, w);
        for (size_t p = 0; p < m; p++) {
                size_t orig = t->ids[lo + p];
                cands_out(&w->c[p], j->ret_idx + orig * k, j->ret_dist + orig * k);
        }
}

static void *job_run(void *arg)
{
        Job *j = arg;
        Work w;

        work_init(&w, j->t->d, j->chunk, j->k);
        for (;;) {
                size_t ci = atomic_fetch_add(&j->next, 1);
                if (ci >= j->n_chunks)
                        break;
                job_chunk(j, ci, &w);
        }
        work_done(&w);
        return NULL;
}

int nn_query_all(const NnIndex *t, size_t k, bool exclude_self, size_t *ret_idx, double *ret_dist,
                 char **reterr_msg)
{
        assert(t && ret_idx && ret_dist);
        int r = check_k(t, k, exclude_self, reterr_msg);
        if (r < 0)
                return r;

        /* Chunks of queries in tree order: neighbouring queries visit the same nodes (k-d
         * tree) and share every pass over a cache block of points (brute force). */
        Job j = {.t = t,
                 .k = k,
                 .exclude_self = exclude_self,
                 .ret_idx = ret_idx,
                 .ret_dist = ret_dist,
                 .chunk = (t->algorithm == NN_KDTREE ? 2 : 8) * NN_LEAF_SIZE};
        unsigned threads = nn_threads(t);
        while (j.chunk > NN_LEAF_SIZE && t->n < 4 * (size_t) threads * j.chunk)
                j.chunk /= 2;
        j.n_chunks = (t->n + j.chunk - 1) / j.chunk;
        atomic_init(&j.next, 0);
        threads = (unsigned) MIN((size_t) threads, j.n_chunks);

        /* The calling thread is one of them; a thread that cannot be started leaves its
         * share to the others. */
        pthread_t tid[NN_MAX_THREADS];
        unsigned started = 0;
        for (unsigned i = 1; i < threads; i++)
                if (pthread_create(&tid[started], NULL, job_run, &j) == 0)
                        started++;
        (void) job_run(&j);
        for (unsigned i = 0; i < started; i++)
                (void) pthread_join(tid[i], NULL);
        return 0;
}

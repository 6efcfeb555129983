/* Kolmogorov-Smirnov, PSI and Jensen-Shannon drift tests (drift.h). */
#include "detect/drift.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "detect/stats.h"

void drift_options_init(DriftOptions *o)
{
        *o = (DriftOptions){
                .ks_alpha = 0.05,
                .psi_threshold = 0.2,
                .js_threshold = 0.1,
                .n_bins = 10,
                .epsilon = 1e-4,
        };
}

static bool all_finite(const double *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isfinite(v[i]))
                        return false;
        return true;
}

static double *sorted_copy(const double *v, size_t n)
{
        double *s = xnew(double, n ? n : 1);
        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), stats_cmp_double);
        return s;
}

double drift_kolmogorov_sf(double lambda)
{
        if (!(lambda > 0))
                return 1;
        if (lambda < 1.18) {
                /* the Jacobi theta form converges fast for small lambda:
                 * 1 - Q = sqrt(2 pi) / lambda sum_j exp(-(2j - 1)^2 pi^2 / (8 lambda^2)) */
                double s = 0;
                for (int j = 1; j <= 20; j++) {
                        double k = 2 * j - 1;
                        s += exp(-k * k * M_PI * M_PI / (8 * lambda * lambda));
                }
                double q = 1 - sqrt(2 * M_PI) / lambda * s;
                return q < 0 ? 0 : q > 1 ? 1 : q;
        }
        double s = 0;
        for (int j = 1; j <= 100; j++) {
                double t = exp(-2.0 * j * j * lambda * lambda);
                s += j % 2 ? t : -t;
                if (t < 1e-300)
                        break;
        }
        s *= 2;
        return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* P(D >= h / (n1 n2)) for samples of n1 and n2 without ties: the probability mass of random
 * interleavings (lattice paths from (0,0) to (n1,n2), each step to i+1 with probability
 * (n1 - i) / (n1 + n2 - i - j)) that first touch a cell with |i n2 - j n1| >= h. */
static double ks_exact_sf(uint64_t n1, uint64_t n2, uint64_t h)
{
        if (h == 0)
                return 1;

        double *row = xnew(double, n2 + 1);
        double out = 0, total = (double) (n1 + n2);

#define OUTSIDE(i, j) ((i) *n2 >= (j) *n1 ? (i) *n2 - (j) *n1 >= h : (j) *n1 - (i) *n2 >= h)
        row[0] = 1;
        for (uint64_t j = 1; j <= n2; j++) {
                double v = row[j - 1] * (double) (n2 - (j - 1)) / (total - (double) (j - 1));
                if (OUTSIDE(UINT64_C(0), j)) {
                        out += v;
                        v = 0;
                }
                row[j] = v;
        }
        for (uint64_t i = 1; i <= n1; i++) {
                for (uint64_t j = 0; j <= n2; j++) {
                        double v = row[j] * (double) (n1 - (i - 1)) /
                                   (total - (double) (i - 1) - (double) j);
                        if (j > 0)
                                v += row[j - 1] * (double) (n2 - (j - 1)) /
                                     (total - (double) i - (double) (j - 1));
                        if (OUTSIDE(i, j)) {
                                out += v;
                                v = 0;
                        }
                        row[j] = v;
                }
        }
#undef OUTSIDE
        free(row);
        return out > 1 ? 1 : out;
}

int drift_ks(const double *ref, size_t n_ref, const double *cur, size_t n_cur,
             double *ret_statistic, double *ret_pvalue, bool *ret_exact)
{
        if (n_ref == 0 || n_cur == 0 || !all_finite(ref, n_ref) || !all_finite(cur, n_cur))
                return -EINVAL;

        _cleanup_free_ double *a = sorted_copy(ref, n_ref);
        _cleanup_free_ double *b = sorted_copy(cur, n_cur);

        /* D n_ref n_cur = max |i n_cur - j n_ref| over the pooled values, where i and j count
         * the values <= the current one (all ties passed at once), in exact integers */
        uint64_t n1 = n_ref, n2 = n_cur, hmax = 0;
        size_t i = 0, j = 0;
        while (i < n_ref || j < n_cur) {
                double v = i < n_ref && (j >= n_cur || a[i] <= b[j]) ? a[i] : b[j];
                while (i < n_ref && a[i] <= v)
                        i++;
                while (j < n_cur && b[j] <= v)
                        j++;
                uint64_t p = i * n2, q = j * n1;
                uint64_t h = p > q ? p - q : q - p;
                hmax = MAX(hmax, h);
        }
        double d = (double) hmax / ((double) n1 * (double) n2);

        bool exact = (double) n1 * (double) n2 <= DRIFT_KS_EXACT_MAX;
        double p;
        if (exact) {
                p = ks_exact_sf(n1, n2, hmax);
        } else {
                double en = sqrt((double) n1 * (double) n2 / ((double) n1 + (double) n2));
                p = drift_kolmogorov_sf((en + 0.12 + 0.11 / en) * d);
        }
        if (ret_statistic)
                *ret_statistic = d;
        if (ret_pvalue)
                *ret_pvalue = p;
        if (ret_exact)
                *ret_exact = exact;
        return 0;
}

size_t drift_quantile_edges(const double *ref, size_t n_ref, unsigned n_bins, double *ret_edges)
{
        assert(n_ref >= 1);
        _cleanup_free_ double *s = sorted_copy(ref, n_ref);
        size_t m = 0;

        for (unsigned k = 1; k < n_bins; k++) {
                double h = (double) (n_ref - 1) * (double) k / (double) n_bins;
                size_t lo = (size_t) floor(h);
                double e = lo + 1 < n_ref ? s[lo] + (h - (double) lo) * (s[lo + 1] - s[lo])
                                          : s[n_ref - 1];
                if (m == 0 || e > ret_edges[m - 1])
                        ret_edges[m++] = e;
        }
        return m;
}

void drift_histogram(const double *v, size_t n, const double *edges, size_t n_edges,
                     double *ret_shares)
{
        memset(ret_shares, 0, (n_edges + 1) * sizeof(double));
        for (size_t i = 0; i < n; i++) {
                /* #{edges <= v}: the first edge > v */
                size_t lo = 0, hi = n_edges;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (edges[mid] <= v[i])
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                ret_shares[lo] += 1;
        }
        for (size_t k = 0; k <= n_edges && n > 0; k++)
                ret_shares[k] /= (double) n;
}

double drift_psi_shares(const double *ref, const double *cur, size_t n, double epsilon)
{
        double psi = 0;
        for (size_t k = 0; k < n; k++) {
                double r = ref[k] > 0 ? ref[k] : epsilon;
                double c = cur[k] > 0 ? cur[k] : epsilon;
                psi += (c - r) * log(c / r);
        }
        return psi;
}

double drift_js_shares(const double *p, const double *q, size_t n)
{
        double js = 0;
        for (size_t k = 0; k < n; k++) {
                double m = (p[k] + q[k]) / 2;
                if (p[k] > 0)
                        js += p[k] * log2(p[k] / m);
                if (q[k] > 0)
                        js += q[k] * log2(q[k] / m);
        }
        js /= 2;
        return js < 0 ? 0 : js > 1 ? 1 : js;
}

int drift_test(const double *ref, size_t n_ref, const double *cur, size_t n_cur,
               const DriftOptions *o, DriftResult *ret, char **reterr_msg)
{
        assert(o && ret);

        const char *why = NULL;
        if (n_ref == 0 || n_cur == 0)
                why = n_ref == 0 ? "the reference window is empty" : "the current window is empty";
        else if (!all_finite(ref, n_ref) || !all_finite(cur, n_cur))
                why = "a value is not a finite number";
        else if (o->n_bins == 0 || o->n_bins > DRIFT_MAX_BINS)
                why = "the number of bins must be between 1 and 1000";
        else if (!(o->epsilon > 0 && o->epsilon < 1))
                why = "the PSI epsilon must be in (0, 1)";
        if (why) {
                if (reterr_msg)
                        *reterr_msg = xstrdup(why);
                return -EINVAL;
        }

        DriftResult r = {};
        int k = drift_ks(ref, n_ref, cur, n_cur, &r.ks_statistic, &r.ks_pvalue, &r.ks_exact);
        assert(k == 0);

        _cleanup_free_ double *edges = xnew(double, o->n_bins);
        size_t n_edges = drift_quantile_edges(ref, n_ref, o->n_bins, edges);
        _cleanup_free_ double *rs = xnew(double, n_edges + 1);
        _cleanup_free_ double *cs = xnew(double, n_edges + 1);
        drift_histogram(ref, n_ref, edges, n_edges, rs);
        drift_histogram(cur, n_cur, edges, n_edges, cs);
        r.n_bins = n_edges + 1;
        r.psi = drift_psi_shares(rs, cs, n_edges + 1, o->epsilon);
        r.js = drift_js_shares(rs, cs, n_edges + 1);

        r.ks_drift = r.ks_pvalue < o->ks_alpha;
        r.psi_drift = r.psi > o->psi_threshold;
        r.js_drift = r.js > o->js_threshold;
        r.drift = r.ks_drift || r.psi_drift || r.js_drift;
        *ret = r;
        return 0;
}

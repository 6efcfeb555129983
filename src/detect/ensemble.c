/* Score normalisation and combination (ensemble.h). */
#include "detect/ensemble.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "detect/stats.h"

typedef struct Item {
        double v;
        size_t i;
} Item;

/* Ascending; NaN first (lowest); equal values by index so the sort is deterministic. */
static int cmp_item(const void *a, const void *b)
{
        const Item *p = a, *q = b;
        bool pn = isnan(p->v), qn = isnan(q->v);
        if (pn != qn)
                return pn ? -1 : 1;
        if (!pn && p->v != q->v)
                return p->v < q->v ? -1 : 1;
        return (p->i > q->i) - (p->i < q->i);
}

static bool same_value(double a, double b)
{
        return a == b || (isnan(a) && isnan(b));
}

void ensemble_normalize_rank(const double *scores, size_t n, double *ret)
{
        if (n == 0)
                return;
        if (n == 1) {
                ret[0] = 0.5;
                return;
        }

        _cleanup_free_ Item *it = xnew(Item, n);
        for (size_t i = 0; i < n; i++)
                it[i] = (Item){scores[i], i};
        qsort(it, n, sizeof(*it), cmp_item);
        for (size_t a = 0; a < n;) {
                size_t b = a + 1;
                while (b < n && same_value(it[b].v, it[a].v))
                        b++;
                /* positions a .. b-1 (0-based) share their mean, (a + b - 1) / 2 */
                double r = (double) (a + b - 1) / 2 / (double) (n - 1);
                for (size_t k = a; k < b; k++)
                        ret[it[k].i] = r;
                a = b;
        }
}

void ensemble_normalize_robust(const double *scores, size_t n, double *ret)
{
        if (n == 0)
                return;

        /* the statistics over the finite scores only; NaN maps to 0, +-inf to 1 / 0 */
        _cleanup_free_ double *v = xnew(double, n);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (isfinite(scores[i]))
                        v[m++] = scores[i];

        double med = 0, scale = 0;
        if (m > 0) {
                qsort(v, m, sizeof(double), stats_cmp_double);
                med = stats_median_sorted(v, m);
                double mean_ad = 0;
                for (size_t i = 0; i < m; i++) {
                        v[i] = fabs(v[i] - med);
                        mean_ad += v[i];
                }
                mean_ad /= (double) m;
                qsort(v, m, sizeof(double), stats_cmp_double);
                scale = 1.4826 * stats_median_sorted(v, m);
                if (!(scale > 0))
                        scale = 1.253314 * mean_ad;
        }

        for (size_t i = 0; i < n; i++) {
                double s = scores[i];
                if (isnan(s))
                        ret[i] = 0;
                else if (isinf(s))
                        ret[i] = s > 0 ? 1 : 0;
                else if (!(scale > 0))
                        ret[i] = 0.5;
                else
                        ret[i] = 0.5 * erfc(-(s - med) / scale / M_SQRT2);
        }
}

int ensemble_normalize(EnsembleNorm norm, const double *scores, size_t n, double *ret)
{
        switch (norm) {
        case ENSEMBLE_NORM_RANK:
                ensemble_normalize_rank(scores, n, ret);
                return 0;
        case ENSEMBLE_NORM_ROBUST:
                ensemble_normalize_robust(scores, n, ret);
                return 0;
        default:
                return -EINVAL;
        }
}

int ensemble_combine(EnsembleCombine c, const double *scores, size_t m, size_t n,
                     double contamination, double *ret)
{
        if (m == 0 || c < 0 || c >= _ENSEMBLE_COMBINE_MAX)
                return -EINVAL;
        if (c == ENSEMBLE_COMBINE_VOTE && !(contamination > 0 && contamination <= 1))
                return -EINVAL;

        switch (c) {
        case ENSEMBLE_COMBINE_MEAN:
                for (size_t i = 0; i < n; i++) {
                        double s = 0;
                        for (size_t k = 0; k < m; k++)
                                s += scores[k * n + i];
                        ret[i] = s / (double) m;
                }
                break;
        case ENSEMBLE_COMBINE_MAX:
                for (size_t i = 0; i < n; i++) {
                        double s = scores[i];
                        for (size_t k = 1; k < m; k++)
                                if (scores[k * n + i] > s || isnan(s))
                                        s = scores[k * n + i];
                        ret[i] = s;
                }
                break;
        case ENSEMBLE_COMBINE_VOTE: {
                _cleanup_free_ int *labels = xnew(int, n ? n : 1);
                _cleanup_free_ double *clean = xnew(double, n ? n : 1);
                memset(ret, 0, n * sizeof(double));
                for (size_t k = 0; k < m; k++) {
                        /* outlier_labels() sorts by value: NaN must not reach it */
                        for (size_t i = 0; i < n; i++)
                                clean[i] = isnan(scores[k * n + i]) ? -HUGE_VAL : scores[k * n + i];
                        outlier_labels(clean, n, contamination, labels);
                        for (size_t i = 0; i < n; i++)
                                ret[i] += labels[i];
                }
                for (size_t i = 0; i < n; i++)
                        ret[i] /= (double) m;
                break;
        }
        default:
                assert(false);
                return -EINVAL;
        }
        return 0;
}

int ensemble_score(const Matrix *x, const OutlierOptions *o, EnsembleNorm norm, double *ret_scores,
                   unsigned *ret_used, char **reterr_msg)
{
        assert(x && o && ret_scores);

        unsigned methods = o->ensemble_methods;
        if (methods == 0)
                methods = 1u << OUTLIER_IFOREST | 1u << OUTLIER_LOF | 1u << OUTLIER_KNN;
        methods &= ~(1u << OUTLIER_ENSEMBLE);

        const char *why = NULL;
        if (methods >> _OUTLIER_METHOD_MAX)
                why = "unknown method in the ensemble";
        else if (o->ensemble_combine < 0 || o->ensemble_combine >= _ENSEMBLE_COMBINE_MAX)
                why = "unknown ensemble combination (mean, max or vote)";
        else if (norm < 0 || norm >= _ENSEMBLE_NORM_MAX)
                why = "unknown ensemble normalisation (rank or robust)";
        else if (o->ensemble_combine == ENSEMBLE_COMBINE_VOTE &&
                 !(o->contamination > 0 && o->contamination <= 0.5))
                why = "the contamination must be in (0, 0.5] for the vote";
        else if (methods == 0)
                why = "no method to combine in the ensemble";
        if (why) {
                if (reterr_msg)
                        *reterr_msg = xstrdup(why);
                return -EINVAL;
        }

        size_t n = x->n, m = 0;
        unsigned used = 0;
        _cleanup_free_ double *all = xnew(double, n *(size_t) _OUTLIER_METHOD_MAX + 1);
        for (int k = 0; k < _OUTLIER_METHOD_MAX; k++) {
                if (!(methods & 1u << k))
                        continue;
                _cleanup_free_ char *msg = NULL;
                int r = outlier_score((OutlierMethod) k, x, o, all + m * n, &msg);
                if (r == -EOPNOTSUPP)
                        continue; /* not built (yet): the others still make an ensemble */
                if (r < 0) {
                        if (reterr_msg)
                                *reterr_msg = xasprintf("%s: %s",
                                                        outlier_method_to_string((OutlierMethod) k),
                                                        msg ? msg : "failed");
                        return r;
                }
                if (o->ensemble_combine != ENSEMBLE_COMBINE_VOTE)
                        (void) ensemble_normalize(norm, all + m * n, n, all + m * n);
                used |= 1u << k;
                m++;
        }
        if (m == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("none of the ensemble's methods is available");
                return -EOPNOTSUPP;
        }

        int r = ensemble_combine((EnsembleCombine) o->ensemble_combine, all, m, n, o->contamination,
                                 ret_scores);
        assert(r == 0);
        if (ret_used)
                *ret_used = used;
        return r;
}

int ensemble_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                          char **reterr_msg)
{
        return ensemble_score(x, o, ENSEMBLE_NORM_DEFAULT, ret_scores, NULL, reterr_msg);
}

static const char *const norm_names[_ENSEMBLE_NORM_MAX] = {
        [ENSEMBLE_NORM_RANK] = "rank",
        [ENSEMBLE_NORM_ROBUST] = "robust",
};

static const char *const combine_names[_ENSEMBLE_COMBINE_MAX] = {
        [ENSEMBLE_COMBINE_MEAN] = "mean",
        [ENSEMBLE_COMBINE_MAX] = "max",
        [ENSEMBLE_COMBINE_VOTE] = "vote",
};

const char *ensemble_norm_to_string(EnsembleNorm n)
{
        return n >= 0 && n < _ENSEMBLE_NORM_MAX ? norm_names[n] : NULL;
}

EnsembleNorm ensemble_norm_from_string(const char *s)
{
        for (int i = 0; s && i < _ENSEMBLE_NORM_MAX; i++)
                if (strcasecmp(s, norm_names[i]) == 0)
                        return (EnsembleNorm) i;
        return _ENSEMBLE_NORM_INVALID;
}

const char *ensemble_combine_to_string(EnsembleCombine c)
{
        return c >= 0 && c < _ENSEMBLE_COMBINE_MAX ? combine_names[c] : NULL;
}

EnsembleCombine ensemble_combine_from_string(const char *s)
{
        for (int i = 0; s && i < _ENSEMBLE_COMBINE_MAX; i++)
                if (strcasecmp(s, combine_names[i]) == 0)
                        return (EnsembleCombine) i;
        return _ENSEMBLE_COMBINE_INVALID;
}

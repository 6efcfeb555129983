/* Mahalanobis distance under the Ledoit-Wolf covariance (mahalanobis.h). */
#include "detect/mahalanobis.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

struct Mahalanobis {
        size_t d;
        double *mean; /* d */
        double *cov;  /* d * d, shrunk */
        double *chol; /* d * d, lower triangle of L with L L' = cov + ridge I */
        double shrinkage;
        double ridge;
        bool zero; /* every column constant: all distances are 0 */
};

void mahalanobis_ledoit_wolf(const Matrix *x, double *ret_mean, double *ret_cov,
                             double *ret_shrinkage)
{
        size_t n = x->n, d = x->d;

        assert(n >= 1);
        memset(ret_mean, 0, d * sizeof(double));
        memset(ret_cov, 0, d * d * sizeof(double));
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < d; j++)
                        ret_mean[j] += x->x[i * d + j];
        for (size_t j = 0; j < d; j++)
                ret_mean[j] /= (double) n;

        _cleanup_free_ double *c = xnew(double, d + 1);
        double sum_norm4 = 0;
        for (size_t i = 0; i < n; i++) {
                const double *p = matrix_row(x, i);
                double norm2 = 0;
                for (size_t j = 0; j < d; j++) {
                        c[j] = p[j] - ret_mean[j];
                        norm2 += c[j] * c[j];
                }
                sum_norm4 += norm2 * norm2;
                for (size_t a = 0; a < d; a++) { /* upper triangle */
                        double ca = c[a];
                        double *row = ret_cov + a * d;
                        for (size_t b = a; b < d; b++)
                                row[b] += ca * c[b];
                }
        }

        double trace = 0, fro2 = 0;
        for (size_t a = 0; a < d; a++) {
                for (size_t b = a; b < d; b++) {
                        double v = ret_cov[a * d + b] / (double) n;
                        ret_cov[a * d + b] = ret_cov[b * d + a] = v;
                        fro2 += a == b ? v * v : 2 * v * v;
                }
                trace += ret_cov[a * d + a];
        }

        double shrinkage = 0;
        if (d > 1) {
                /* scikit-learn's ledoit_wolf_shrinkage(), term by term */
                double dd = (double) d, nn = (double) n;
                double mu = trace / dd;
                double beta = (sum_norm4 / nn - fro2) / (dd * nn);
                double delta = (fro2 - 2 * mu * trace + dd * mu * mu) / dd;
                beta = MIN(beta, delta);
                shrinkage = beta > 0 && delta > 0 ? beta / delta : 0;
                shrinkage = MIN(shrinkage, 1.0);
                for (size_t a = 0; a < d; a++)
                        for (size_t b = 0; b < d; b++)
                                ret_cov[a * d + b] *= 1 - shrinkage;
                for (size_t a = 0; a < d; a++)
                        ret_cov[a * d + a] += shrinkage * mu;
        }
        *ret_shrinkage = shrinkage;
}

/* In-place Cholesky of a + ridge I into l (lower triangle); false when a pivot is not
 * clearly positive (<= d * eps * the largest diagonal entry). */
static bool cholesky(const double *a, size_t d, double ridge, double *l)
{
        double maxdiag = 0;
        for (size_t i = 0; i < d; i++)
                maxdiag = MAX(maxdiag, a[i * d + i] + ridge);
        double floor_ = (double) d * DBL_EPSILON * maxdiag;

        for (size_t j = 0; j < d; j++) {
                double s = a[j * d + j] + ridge;
                for (size_t k = 0; k < j; k++)
                        s -= l[j * d + k] * l[j * d + k];
                if (!(s > floor_))
                        return false;
                double ljj = sqrt(s);
                l[j * d + j] = ljj;
                for (size_t i = j + 1; i < d; i++) {
                        double t = a[i * d + j];
                        for (size_t k = 0; k < j; k++)
                                t -= l[i * d + k] * l[j * d + k];
                        l[i * d + j] = t / ljj;
                }
        }
        return true;
}

Mahalanobis *mahalanobis_free(Mahalanobis *m)
{
        if (!m)
                return NULL;
        free(m->mean);
        free(m->cov);
        free(m->chol);
        free(m);
        return NULL;
}

int mahalanobis_fit(const Matrix *x, Mahalanobis **ret, char **reterr_msg)
{
        assert(x && ret);

        if (x->n == 0) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("no points to fit the covariance on");
                return -EINVAL;
        }
        if (x->d > MAHALANOBIS_MAX_DIMENSIONS) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("%zu features are too many for a covariance "
                                                "matrix (at most %u)",
                                                x->d, MAHALANOBIS_MAX_DIMENSIONS);
                return -E2BIG;
        }

        size_t d = x->d;
        _cleanup_(mahalanobis_freep) Mahalanobis *m = xnew0(Mahalanobis, 1);
        m->d = d;
        m->mean = xnew(double, d + 1);
        m->cov = xnew(double, d *d + 1);
        m->chol = xnew0(double, d *d + 1);
        mahalanobis_ledoit_wolf(x, m->mean, m->cov, &m->shrinkage);

        double trace = 0;
        for (size_t j = 0; j < d; j++)
                trace += m->cov[j * d + j];
        if (!(trace > 0)) {
                m->zero = true;
        } else if (!cholesky(m->cov, d, 0, m->chol)) {
                double ridge = 1e-10 * trace / (double) d;
                while (!cholesky(m->cov, d, ridge, m->chol))
                        ridge *= 10; /* at trace/d the matrix is diagonally dominant: ends */
                m->ridge = ridge;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

double mahalanobis_distance(const Mahalanobis *m, const double *point, double *scratch)
{
        size_t d = m->d;
        double s = 0;

        if (m->zero)
                return 0;
        /* forward substitution L y = point - mean */
        for (size_t i = 0; i < d; i++) {
                double t = point[i] - m->mean[i];
                const double *li = m->chol + i * d;
                for (size_t k = 0; k < i; k++)
                        t -= li[k] * scratch[k];
                scratch[i] = t / li[i];
                s += scratch[i] * scratch[i];
        }
        return sqrt(s);
}

int mahalanobis_score(const Mahalanobis *m, const Matrix *x, double *ret_distances)
{
        assert(m && x && ret_distances);
        if (x->d != m->d)
                return -EINVAL;

        _cleanup_free_ double *scratch = xnew(double, m->d + 1);
        for (size_t i = 0; i < x->n; i++)
                ret_distances[i] = mahalanobis_distance(m, matrix_row(x, i), scratch);
        return 0;
}

size_t mahalanobis_dimensions(const Mahalanobis *m)
{
        return m->d;
}

const double *mahalanobis_location(const Mahalanobis *m)
{
        return m->mean;
}

const double *mahalanobis_covariance(const Mahalanobis *m)
{
        return m->cov;
}

double mahalanobis_shrinkage(const Mahalanobis *m)
{
        return m->shrinkage;
}

double mahalanobis_ridge(const Mahalanobis *m)
{
        return m->ridge;
}

int mahalanobis_score_matrix(const Matrix *x, const OutlierOptions *o, double *ret_scores,
                             char **reterr_msg)
{
        _cleanup_(mahalanobis_freep) Mahalanobis *m = NULL;

        assert(x && ret_scores);
        (void) o;
        int r = mahalanobis_fit(x, &m, reterr_msg);
        if (r < 0)
                return r;
        return mahalanobis_score(m, x, ret_scores);
}

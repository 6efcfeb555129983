#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/drift.h"
#include "test-util.h"

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))
#define assert_rel(a, b, rel)   assert_true(fabs((a) - (b)) <= (rel) *fabs(b))

/* Reference values from scipy 1.10.1 (Debian python3-scipy), computed once with
 *   /usr/bin/python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp(A, B,
 *       method="exact"); print(repr(r.statistic), repr(r.pvalue))'
 * for the samples below. */
static const double ks_a[] = {0.61, 0.29, 0.06,  0.59,  -1.73, -0.74, 0.51, -0.56, 0.39,
                              1.64, 0.05, -0.06, 0.64,  -0.82, 0.37,  1.77, 1.09,  -1.28,
                              2.36, 1.31, 1.05,  -0.32, -0.4,  1.06,  -2.47};
static const double ks_b[] = {2.2, 1.9, 0.3, 1.5, 2.8, 0.9, 1.1, 3.1, 0.2,
                              1.7, 2.4, 0.7, 1.3, 2.0, 0.5, 1.8, 2.6, 1.0};

static void test_drift_ks_exact_scipy(void **state)
{
        double d, p;
        bool exact;

        (void) state;
        /* 25 against 18 values: D = 0.5533333333333333, p = 0.0017575711467645338 */
        assert_int_equal(drift_ks(ks_a, 25, ks_b, 18, &d, &p, &exact), 0);
        assert_true(exact);
        assert_close(d, 0.5533333333333333, 1e-15);
        assert_rel(p, 0.0017575711467645338, 1e-9);
        /* symmetric in its two samples */
        double d2, p2;
        assert_int_equal(drift_ks(ks_b, 18, ks_a, 25, &d2, &p2, NULL), 0);
        assert_true(d2 == d);
        assert_rel(p2, p, 1e-12);

        /* 1..10 against 4.5..13.5: D = 0.4, p = 0.41752365281777043 */
        double c[10], e[10];
        for (int i = 0; i < 10; i++) {
                c[i] = i + 1;
                e[i] = i + 4.5;
        }
        assert_int_equal(drift_ks(c, 10, e, 10, &d, &p, NULL), 0);
        assert_close(d, 0.4, 1e-15);
        assert_rel(p, 0.41752365281777043, 1e-9);

        /* 0.1 i (i < 40) against 0.1 i + 2.05 (i < 30): D = 0.525, p = 8.09608055332692e-05 */
        double f[40], g[30];
        for (int i = 0; i < 40; i++)
                f[i] = 0.1 * i;
        for (int i = 0; i < 30; i++)
                g[i] = 0.1 * i + 2.05;
        assert_int_equal(drift_ks(f, 40, g, 30, &d, &p, NULL), 0);
        assert_close(d, 0.525, 1e-15);
        assert_rel(p, 8.09608055332692e-05, 1e-8);

        /* the same sample twice: D = 0, p = 1; one value each, equal: the same */
        assert_int_equal(drift_ks(ks_a, 25, ks_a, 25, &d, &p, NULL), 0);
        assert_true(d == 0 && p == 1);
        /* one value each, different: D = 1, and both orders are equally likely: p = 1 */
        assert_int_equal(drift_ks(c, 1, e, 1, &d, &p, NULL), 0);
        assert_true(d == 1);
        assert_close(p, 1, 1e-15);
}

/* Kolmogorov's Q_KS against scipy.special.kolmogorov (both series branches, split at 1.18);
 * and the large-sample KS p-value against the Stephens formula evaluated with scipy:
 *   A = numpy.fmod(arange(5000) * 0.6180339887, 1.0),
 *   B = numpy.fmod(arange(4000) * 0.41421356, 1.0) * 0.9 + 0.05,
 *   D = 0.0502 (ks_2samp), en = sqrt(5000 * 4000 / 9000),
 *   kstwobign.sf((en + 0.12 + 0.11 / en) * D) = 2.5797400216059153e-05
 * (scipy's own ks_2samp(method="asymp") gives 2.6336339167589064e-05 through kstwo.sf). */
static void test_drift_ks_asymptotic(void **state)
{
        static const double lambda[] = {0.3, 0.5, 1.0, 1.18, 1.36, 2.0, 3.0};
        static const double q[] = {0.9999906941986655,   0.9639452436648751,
                                   0.26999967167735456,  0.1234538094297657,
                                   0.049485876755377876, 0.0006709252557796953,
                                   3.045995948942526e-08};
        double d, p;
        bool exact = true;

        (void) state;
        for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
                assert_rel(drift_kolmogorov_sf(lambda[i]), q[i], 1e-12);
        assert_true(drift_kolmogorov_sf(0) == 1);
        assert_true(drift_kolmogorov_sf(40) == 0);

        double *a = xnew(double, 5000), *b = xnew(double, 4000);
        for (int i = 0; i < 5000; i++)
                a[i] = fmod(i * 0.6180339887, 1.0);
        for (int i = 0; i < 4000; i++)
                b[i] = fmod(i * 0.41421356, 1.0) * 0.9 + 0.05;
        assert_int_equal(drift_ks(a, 5000, b, 4000, &d, &p, &exact), 0);
        assert_false(exact); /* 5000 * 4000 > DRIFT_KS_EXACT_MAX */
        assert_close(d, 0.0502, 1e-15);
        assert_rel(p, 2.5797400216059153e-05, 1e-9);
        free(a);
        free(b);
}

/* A worked example on shares: reference {0.25, 0.25, 0.25, 0.25}, current {0.1, 0.2, 0.3,
 * 0.4}. PSI = -0.15 ln 0.4 - 0.05 ln 0.8 + 0.05 ln 1.2 + 0.15 ln 1.6 = 0.22821740957339182;
 * JS (bits) = 0.04020158234614192 (scipy.spatial.distance.jensenshannon(p, q, base=2)^2). */
static void test_drift_psi_js_shares(void **state)
{
        double r[] = {0.25, 0.25, 0.25, 0.25}, c[] = {0.1, 0.2, 0.3, 0.4};
        double z[] = {1, 0, 0, 0}, w[] = {0, 0, 0, 1};

        (void) state;
        assert_close(drift_psi_shares(r, c, 4, 1e-4), 0.22821740957339182, 1e-15);
        assert_close(drift_js_shares(r, c, 4), 0.04020158234614192, 1e-15);
        assert_true(drift_psi_shares(r, r, 4, 1e-4) == 0);
        assert_true(drift_js_shares(c, c, 4) == 0);
        /* disjoint supports: JS is exactly 1 bit; PSI with epsilon 1e-4:
         * 2 (1 - 1e-4) ln(1e4) */
        assert_close(drift_js_shares(z, w, 4), 1, 1e-15);
        assert_close(drift_psi_shares(z, w, 4, 1e-4), 2 * (1 - 1e-4) * log(1e4), 1e-12);
}

/* Reference 0..99, current 30..129, 10 bins. numpy.quantile(ref, k / 10) gives the edges
 * 9.9, 19.8, .., 89.1 (10 reference values per bin); the current shares are
 * {0, 0, 0, .1, .1, .1, .1, .1, .1, .4}. PSI (empty shares 1e-4) = 2.486142565446914,
 * JS = 0.21951797627815944, KS D = 0.3, exact p = 0.0002248739317492479 (scipy, as above). */
static void test_drift_test_worked(void **state)
{
        double ref[100], cur[100], edges[9];
        DriftOptions o;
        DriftResult r;

        (void) state;
        for (int i = 0; i < 100; i++) {
                ref[i] = i;
                cur[i] = i + 30;
        }
        assert_int_equal(drift_quantile_edges(ref, 100, 10, edges), 9);
        for (int k = 0; k < 9; k++)
                assert_close(edges[k], 9.9 * (k + 1), 1e-12);

        drift_options_init(&o);
        assert_int_equal(drift_test(ref, 100, cur, 100, &o, &r, NULL), 0);
        assert_int_equal(r.n_bins, 10);
        assert_close(r.psi, 2.486142565446914, 1e-12);
        assert_close(r.js, 0.21951797627815944, 1e-14);
        assert_close(r.ks_statistic, 0.3, 1e-15);
        assert_rel(r.ks_pvalue, 0.0002248739317492479, 1e-8);
        assert_true(r.ks_exact && r.ks_drift && r.psi_drift && r.js_drift && r.drift);

        /* no drift: the same window */
        assert_int_equal(drift_test(ref, 100, ref, 100, &o, &r, NULL), 0);
        assert_true(r.psi == 0 && r.js == 0 && r.ks_pvalue == 1 && !r.drift);

        /* thresholds are options: PSI 2.49 is not above 3 */
        o.psi_threshold = 3;
        o.js_threshold = 0.5;
        o.ks_alpha = 1e-4;
        assert_int_equal(drift_test(ref, 100, cur, 100, &o, &r, NULL), 0);
        assert_true(!r.psi_drift && !r.js_drift && !r.ks_drift && !r.drift);
}

/* A constant reference has one edge: bins (-inf, c) and [c, inf); repeated edges merge. */
static void test_drift_discrete_reference(void **state)
{
        double ref[] = {5, 5, 5, 5}, cur[] = {4, 5, 6, 7}, edges[9];
        DriftOptions o;
        DriftResult r;

        (void) state;
        assert_int_equal(drift_quantile_edges(ref, 4, 10, edges), 1);
        assert_true(edges[0] == 5);
        drift_options_init(&o);
        assert_int_equal(drift_test(ref, 4, cur, 4, &o, &r, NULL), 0);
        assert_int_equal(r.n_bins, 2);
        /* shares ref {0, 1}, cur {0.25, 0.75}: PSI = (0.25 - 1e-4) ln(0.25 / 1e-4)
         * + (0.75 - 1) ln(0.75) */
        assert_close(r.psi, (0.25 - 1e-4) * log(0.25 / 1e-4) - 0.25 * log(0.75), 1e-12);
        assert_true(r.psi_drift);

        /* one bin: nothing to compare */
        o.n_bins = 1;
        assert_int_equal(drift_test(ref, 4, cur, 4, &o, &r, NULL), 0);
        assert_true(r.n_bins == 1 && r.psi == 0 && r.js == 0);
}

static void test_drift_errors(void **state)
{
        double v[] = {1, 2, NAN};
        DriftOptions o;
        DriftResult r;
        char *err = NULL;

        (void) state;
        drift_options_init(&o);
        assert_int_equal(drift_test(v, 0, v, 2, &o, &r, &err), -EINVAL);
        assert_non_null(strstr(err, "reference"));
        free(err);
        err = NULL;
        assert_int_equal(drift_test(v, 3, v, 2, &o, &r, &err), -EINVAL);
        assert_non_null(strstr(err, "finite"));
        free(err);
        err = NULL;
        o.n_bins = 0;
        assert_int_equal(drift_test(v, 2, v, 2, &o, &r, &err), -EINVAL);
        free(err);
        err = NULL;
        drift_options_init(&o);
        o.epsilon = 0;
        assert_int_equal(drift_test(v, 2, v, 2, &o, &r, &err), -EINVAL);
        free(err);
        assert_int_equal(drift_ks(v, 2, v, 0, NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drift_ks_exact_scipy),
                cmocka_unit_test(test_drift_ks_asymptotic),
                cmocka_unit_test(test_drift_psi_js_shares),
                cmocka_unit_test(test_drift_test_worked),
                cmocka_unit_test(test_drift_discrete_reference),
                cmocka_unit_test(test_drift_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

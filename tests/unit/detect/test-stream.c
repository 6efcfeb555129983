#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "detect/rng.h"
#include "detect/stream.h"
#include "test-util.h"

static double gauss(Rng *r)
{
        double u = rng_double(r), v = rng_double(r);
        return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double brute_median(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The sorted window against a full recomputation (sort of the last cap values) after every
 * push, on data with many ties. */
static void test_stream_window_brute_force(void **state)
{
        static const unsigned caps[] = {1, 2, 3, 7, 60, 128};
        Rng r;

        (void) state;
        rng_seed(&r, 1);
        for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
                unsigned cap = caps[c];
                StreamWindow w;
                double *all = xnew(double, 3000), tmp[STREAM_WINDOW_MAX];
                stream_window_init(&w, cap);
                for (unsigned i = 0; i < 3000; i++) {
                        all[i] = i % 3 ? round(gauss(&r) * 3) : gauss(&r) * 100;
                        stream_window_push(&w, all[i]);
                        unsigned n = i + 1 < cap ? i + 1 : cap;
                        assert_int_equal(w.n, n);
                        memcpy(tmp, all + i + 1 - n, n * sizeof(double));
                        double med = brute_median(tmp, n);
                        for (unsigned j = 0; j < n; j++)
                                tmp[j] = fabs(tmp[j] - med);
                        double sum = 0;
                        for (unsigned j = 0; j < n; j++)
                                sum += tmp[j];
                        double mad = brute_median(tmp, n), m2, meanad;
                        assert_true(stream_window_median(&w) == med);
                        stream_window_mad(&w, med, &m2, &meanad);
                        assert_true(fabs(m2 - mad) <= 1e-12 * (1 + mad));
                        assert_true(fabs(meanad - sum / n) <= 1e-9 * (1 + meanad));
                }
                free(all);
        }
}

/* Hand-computed first step of the local linear trend filter. Start y0 = 10: level 10, slope
 * 0, P = diag(r, r) = I. q_level = 0.5, q_slope = 0.25, r = 1, y1 = 12:
 *   P- = F P F' + Q = [[1+1+0.5, 1], [1, 1+0.25]] = [[2.5, 1], [1, 1.25]]
 *   S = 2.5 + 1 = 3.5, v = 12 - (10 + 0) = 2, K = [2.5, 1] / 3.5 = [5/7, 2/7]
 *   level = 10 + 10/7, slope = 4/7
 *   P = (I - K H) P- = [[2/7 * 2.5, 2/7 * 1], [., 1.25 - 2/7 * 1]] = [[5/7, 2/7], [., 27/28]]
 * Then the closed form: with q_slope = 0 and no slope uncertainty, the filter is the local
 * level model, whose Riccati equation P- = P + q, P = P- r / (P- + r) has the steady state
 * P-^2 - q P- - q r = 0; q = r = 1 gives P- = (1 + sqrt 5) / 2 (the golden ratio) and the
 * gain K = P- / (P- + 1) = 1 / golden ratio = 0.6180. */
static void test_stream_kalman_hand_computed(void **state)
{
        StreamKalman k;
        double f, s;

        (void) state;
        stream_kalman_init(&k, 0.5, 0.25, 1);
        stream_kalman_step(&k, 10, 0);
        stream_kalman_predict(&k, &f, &s);
        assert_true(fabs(f - 10) < 1e-12 && fabs(s - 3.5) < 1e-12);
        stream_kalman_step(&k, 12, 0);
        assert_true(fabs(k.level - (10 + 10.0 / 7)) < 1e-12);
        assert_true(fabs(k.slope - 4.0 / 7) < 1e-12);
        assert_true(fabs(k.p00 - 5.0 / 7) < 1e-12);
        assert_true(fabs(k.p01 - 2.0 / 7) < 1e-12);
        assert_true(fabs(k.p11 - 27.0 / 28) < 1e-12);
        /* clipping: the same step with the innovation clipped at 1 moves half as far */
        stream_kalman_init(&k, 0.5, 0.25, 1);
        stream_kalman_step(&k, 10, 0);
        stream_kalman_step(&k, 12, 1);
        assert_true(fabs(k.level - (10 + 5.0 / 7)) < 1e-12);

        stream_kalman_init(&k, 1, 0, 1);
        stream_kalman_step(&k, 0, 0);
        k.p01 = k.p11 = 0;
        double phi = (1 + sqrt(5)) / 2;
        for (int i = 0; i < 50; i++) {
                stream_kalman_predict(&k, &f, &s);
                double level = k.level, y = i % 2 ? 3 : -1;
                stream_kalman_step(&k, y, 0);
                if (i == 49) {
                        assert_true(fabs(s - (phi + 1)) < 1e-9);
                        /* level moved by K v with K = P- / S = 1 / phi */
                        assert_true(fabs((k.level - level) / (y - level) - 1 / phi) < 1e-9);
                }
        }
        assert_true(k.slope == 0);
}

/* Yule-Walker recovers a simulated AR(2) x_t = 0.6 x_{t-1} - 0.3 x_{t-2} + e_t, e ~ N(0, 4):
 * with n = 20000 the standard error of each coefficient is about sqrt((1 - 0.3^2) / n) = 0.007. */
static void test_stream_ar_fit_recovers_ar2(void **state)
{
        size_t n = 20000;
        double *x = xnew(double, n), phi[2], mu, s2;
        Rng r;

        (void) state;
        rng_seed(&r, 2);
        x[0] = x[1] = 0;
        for (size_t t = 2; t < n; t++)
                x[t] = 0.6 * x[t - 1] - 0.3 * x[t - 2] + 2 * gauss(&r);
        for (size_t t = 0; t < n; t++)
                x[t] += 50;
        assert_int_equal(stream_ar_fit(x, n, 2, phi, &mu, &s2), 0);
        printf("AR(2) fit: phi = %.4f %.4f (0.6 -0.3), mu = %.3f (50), sigma2 = %.3f (4)\n", phi[0],
               phi[1], mu, s2);
        assert_true(fabs(phi[0] - 0.6) < 0.03);
        assert_true(fabs(phi[1] + 0.3) < 0.03);
        assert_true(fabs(mu - 50) < 0.2);
        assert_true(fabs(s2 - 4) < 0.2);
        for (size_t t = 0; t < n; t++)
                x[t] = 7;
        assert_int_equal(stream_ar_fit(x, n, 2, phi, &mu, &s2), -EDOM);
        assert_int_equal(stream_ar_fit(x, 2, 2, phi, &mu, &s2), -EINVAL);
        free(x);
}

static void test_stream_score_mapping(void **state)
{
        (void) state;
        assert_true(stream_score_from_z(0) == 0);
        assert_true(fabs(stream_score_from_z(4) - 0.9) < 1e-12);
        assert_true(fabs(stream_score_from_z(-4) - 0.9) < 1e-12);
        assert_true(fabs(stream_score_from_z(4 * sqrt(2)) - 0.99) < 1e-12);
        assert_true(stream_score_from_z(INFINITY) == 1);
        assert_true(stream_score_from_z(NAN) == 0);
        double prev = 0;
        for (double z = 0.1; z < 20; z += 0.1) {
                double s = stream_score_from_z(z);
                assert_true(s >= prev);
                assert_true(s >= 0 && s <= 1);
                prev = s;
        }
        assert_int_equal(stream_method_from_string("kalman"), STREAM_KALMAN);
        assert_int_equal(stream_method_from_string("nope"), _STREAM_METHOD_INVALID);
        assert_string_equal(stream_method_to_string(STREAM_AR), "ar");
}

static void test_stream_options_and_input(void **state)
{
        StreamOptions o;
        StreamDetector *s = NULL;
        char *err = NULL;
        double score;
        bool anomaly;

        (void) state;
        stream_options_init(&o);
        o.window = 1000;
        assert_int_equal(stream_new(STREAM_ROBUST, &o, &s, &err), -EINVAL);
        assert_non_null(strstr(err, "window"));
        free(err);
        err = NULL;
        stream_options_init(&o);
        o.ar_window = 8;
        assert_int_equal(stream_new(STREAM_AR, &o, &s, &err), -EINVAL);
        free(err);
        err = NULL;
        assert_int_equal(stream_new((StreamMethod) 99, NULL, &s, &err), -EINVAL);
        free(err);

        for (int m = 0; m < _STREAM_METHOD_MAX; m++) {
                assert_int_equal(stream_new((StreamMethod) m, NULL, &s, NULL), 0);
                assert_int_equal(stream_update(s, 0, NAN, &score, &anomaly), -EINVAL);
                assert_int_equal(stream_update(s, 0, INFINITY, &score, &anomaly), -EINVAL);
                /* a constant series scores 0, any change of it 1; one sample is enough */
                for (int i = 0; i < 300; i++) {
                        assert_int_equal(stream_update(s, i * 1000, 5, &score, &anomaly), 0);
                        assert_true(score == 0 && !anomaly);
                }
                assert_int_equal(stream_update(s, 300000, 6, &score, &anomaly), 0);
                assert_true(score > 0.99 && anomaly);
                /* reset = a new detector: the same inputs give the same scores */
                double a[400], b[400];
                Rng r;
                rng_seed(&r, 3);
                stream_reset(s);
                for (int i = 0; i < 400; i++)
                        assert_int_equal(stream_update(s, i * 60000, gauss(&r), &a[i], NULL), 0);
                StreamDetector *t = NULL;
                assert_int_equal(stream_new((StreamMethod) m, NULL, &t, NULL), 0);
                rng_seed(&r, 3);
                for (int i = 0; i < 400; i++)
                        assert_int_equal(stream_update(t, i * 60000, gauss(&r), &b[i], NULL), 0);
                assert_memory_equal(a, b, sizeof(a));
                assert_true(stream_state_bytes(s) < 8192);
                t = stream_free(t);
                s = stream_free(s);
        }
}

/* --- synthetic series with labelled anomalies --- */

enum {
        KIND_SPIKE,
        KIND_SHIFT,
        KIND_VARIANCE,
        KIND_TREND,
        KIND_SEASON,
        _KIND_MAX
};
static const char *const kind_names[] = {"spikes", "level shifts", "variance changes",
                                         "trend changes", "broken seasonality"};

#define STEP_MS    (5 * MSEC_PER_MIN)
#define N_DAY      288
#define N_SERIES   (28 * N_DAY) /* four weeks at 5 minutes */
#define WARMUP     (2 * N_DAY)  /* not scored: every method's warm-up, seasonal's included */
#define T0_MS      INT64_C(1704067200000) /* Monday 2024-01-01 00:00 UTC */
#define MAX_EVENTS 64

typedef struct Series {
        double x[N_SERIES];
        int event[N_SERIES]; /* event index + 1 in its labelled window, else 0 */
        unsigned n_events;
} Series;

/* Business hours: +20 from 09:00 to 17:00 with one-hour ramps, noise sd 1. */
static double business(unsigned i)
{
        double h = (double) (i % N_DAY) / 12.0;
        if (h < 8 || h >= 18)
                return 0;
        if (h < 9)
                return 20 * (h - 8);
        if (h >= 17)
                return 20 * (18 - h);
        return 20;
}

static void label(Series *s, unsigned from, unsigned len)
{
        s->n_events++;
        for (unsigned i = from; i < from + len && i < N_SERIES; i++)
                s->event[i] = (int) s->n_events;
}

static void make_series(Series *s, int kind, bool clean, uint64_t seed)
{
        Rng r;
        double level = 100, slope = 0;

        rng_seed(&r, seed);
        memset(s, 0, sizeof(*s));
        /* event starts: every 500 samples from day 3, jittered */
        bool start[N_SERIES] = {};
        for (unsigned t = WARMUP + 200; t + 300 < N_SERIES; t += 500)
                start[t + rng_below(&r, 100)] = !clean;
        unsigned var_left = 0, trend_left = 0;
        for (unsigned i = 0; i < N_SERIES; i++) {
                double sd = 1, extra = 0;
                if (start[i]) {
                        double mag = rng_uniform(&r, kind == KIND_SPIKE ? 8 : 6,
                                                 kind == KIND_SPIKE ? 12 : 10) *
                                     (rng_below(&r, 2) ? 1 : -1);
                        switch (kind) {
                        case KIND_SPIKE:
                                extra = mag;
                                label(s, i, 1);
                                break;
                        case KIND_SHIFT:
                                level += mag;
                                label(s, i, 30);
                                break;
                        case KIND_VARIANCE:
                                var_left = 60;
                                label(s, i, 60);
                                break;
                        case KIND_TREND:
                                trend_left = 40;
                                slope = mag / 20; /* 12 to 20 sd over 40 samples */
                                label(s, i, 50);
                                break;
                        case KIND_SEASON:
                                break;
                        }
                }
                if (var_left) {
                        sd = 6;
                        var_left--;
                }
                if (trend_left) {
                        level += slope;
                        trend_left--;
                }
                double season = kind == KIND_SEASON ? business(i) : 2 * sin(2 * M_PI * i / N_DAY);
                s->x[i] = level + season + extra + sd * gauss(&r);
        }
        if (kind == KIND_SEASON && !clean) {
                /* the business-hours plateau is missing on 4 working days of weeks 3 and 4 */
                static const unsigned days[] = {15, 17, 22, 25};
                for (size_t d = 0; d < 4; d++) {
                        unsigned from = days[d] * N_DAY + 8 * 12;
                        for (unsigned i = from; i < from + 10 * 12; i++)
                                s->x[i] -= business(i);
                        label(s, from + 12, 8 * 12);
                }
        }
}

typedef struct Eval {
        unsigned events, detected, alarms, true_alarms;
} Eval;

static void run_method(StreamMethod m, const Series *s, bool *alarm, unsigned *ret_n_alarms)
{
        StreamDetector *d = NULL;
        unsigned n = 0;

        assert_int_equal(stream_new(m, NULL, &d, NULL), 0);
        for (unsigned i = 0; i < N_SERIES; i++) {
                double score;
                assert_int_equal(
                        stream_update(d, T0_MS + (int64_t) i * STEP_MS, s->x[i], &score, &alarm[i]),
                        0);
                assert_true(score >= 0 && score <= 1);
                alarm[i] = alarm[i] && i >= WARMUP;
                n += alarm[i];
        }
        *ret_n_alarms = n;
        stream_free(d);
}

static Eval evaluate(StreamMethod m, const Series *s)
{
        bool *alarm = xnew0(bool, N_SERIES), hit[MAX_EVENTS + 1] = {};
        Eval e = {.events = s->n_events};

        run_method(m, s, alarm, &e.alarms);
        for (unsigned i = 0; i < N_SERIES; i++) {
                if (!alarm[i] || !s->event[i])
                        continue;
                e.true_alarms++;
                hit[s->event[i]] = true;
        }
        for (unsigned k = 1; k <= s->n_events; k++)
                e.detected += hit[k];
        free(alarm);
        return e;
}

/* Event recall (an event counts as found with one alarm in its labelled window: the spike
 * itself; 30 samples after a level shift; the 60 noisy samples; the 40-sample ramp + 10; the
 * 8 missing business hours) and alarm precision (alarms inside a window / all alarms), after
 * a two-day warm-up, per kind and method, on 5-minute series of four weeks with seed 7.
 * Printed as the table of bench/results/stream-detectors.md. */
static void test_stream_synthetic_precision_recall(void **state)
{
        static const StreamMethod methods[] = {STREAM_ROBUST, STREAM_EWMA, STREAM_SEASONAL,
                                               STREAM_KALMAN, STREAM_AR,   STREAM_ENSEMBLE};
        Series *s = xnew(Series, 1);
        Eval ev[_KIND_MAX][6];

        (void) state;
        printf("| kind | events |");
        for (size_t m = 0; m < 6; m++)
                printf(" %s P / R |", stream_method_to_string(methods[m]));
        printf("\n|---|---|");
        for (size_t m = 0; m < 6; m++)
                printf("---|");
        printf("\n");
        for (int k = 0; k < _KIND_MAX; k++) {
                make_series(s, k, false, 7 + (uint64_t) k);
                printf("| %s | %u |", kind_names[k], s->n_events);
                for (size_t m = 0; m < 6; m++) {
                        Eval e = evaluate(methods[m], s);
                        ev[k][m] = e;
                        double p = e.alarms ? (double) e.true_alarms / e.alarms : 1;
                        double r = e.events ? (double) e.detected / e.events : 1;
                        printf(" %.2f / %.2f |", p, r);
                }
                printf("\n");
        }
        /* sane minimums (the table shows the actual figures) */
        assert_true(ev[KIND_SPIKE][0].detected >= 0.9 * ev[KIND_SPIKE][0].events);
        for (size_t m = 0; m < 6; m++) {
                if (methods[m] == STREAM_EWMA)
                        continue;
                assert_true(ev[KIND_SPIKE][m].detected >= 0.8 * ev[KIND_SPIKE][m].events);
                assert_true(ev[KIND_SHIFT][m].detected >= 0.8 * ev[KIND_SHIFT][m].events);
        }
        assert_true(ev[KIND_SEASON][2].detected >= 3);
        assert_true(ev[KIND_SEASON][0].detected == 0); /* only a season model can see it */
        assert_true(ev[KIND_SHIFT][3].detected >= 0.9 * ev[KIND_SHIFT][3].events);
        assert_true(ev[KIND_VARIANCE][5].detected >= 0.8 * ev[KIND_VARIANCE][5].events);
        free(s);
}

/* A clean four-week business-hours series: after the two-day warm-up the seasonal method
 * raises no alarm during the business hours and their ramps (and at most the odd noise alarm
 * elsewhere), while a detector without a season model
 * alarms at the daily ramps. */
static void test_stream_seasonal_no_alarm_at_daily_peaks(void **state)
{
        Series *s = xnew(Series, 1);
        bool *alarm = xnew0(bool, N_SERIES);
        unsigned n_seasonal, n_robust, n_ensemble, at_peak = 0;

        (void) state;
        make_series(s, KIND_SEASON, true, 11);
        run_method(STREAM_SEASONAL, s, alarm, &n_seasonal);
        for (unsigned i = 0; i < N_SERIES; i++)
                at_peak += alarm[i] && business(i) > 0;
        run_method(STREAM_ENSEMBLE, s, alarm, &n_ensemble);
        run_method(STREAM_ROBUST, s, alarm, &n_robust);
        printf("clean business-hours series, alarms after day 2: seasonal %u, ensemble %u, "
               "robust %u\n",
               n_seasonal, n_ensemble, n_robust);
        /* Gaussian noise alone gives ~0.5 alarms in 26 days at the 0.9 threshold */
        assert_int_equal(at_peak, 0);
        assert_true(n_seasonal <= 3);
        assert_true(n_robust > 20); /* the ramps do look anomalous without a season model */
        free(alarm);
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stream_window_brute_force),
                cmocka_unit_test(test_stream_kalman_hand_computed),
                cmocka_unit_test(test_stream_ar_fit_recovers_ar2),
                cmocka_unit_test(test_stream_score_mapping),
                cmocka_unit_test(test_stream_options_and_input),
                cmocka_unit_test(test_stream_synthetic_precision_recall),
                cmocka_unit_test(test_stream_seasonal_no_alarm_at_daily_peaks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

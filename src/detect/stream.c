/* Streaming detectors: see stream.h for the methods, the papers and the score mapping. */
#include "detect/stream.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "core/time-util.h"

#define HUBER_C         3.0 /* clip of the Kalman and seasonal updates, in sd */
#define AR_CLEAN_C      2.0 /* clip of the AR history, in residual sd */
#define SHIFT_STREAK    3   /* clipped samples of one sign in a row that mean a level shift */
#define KALMAN_SCALE_A  0.02
#define SEASONAL_GLOBAL 0.01

typedef struct Robust {
        StreamWindow w;
} Robust;

typedef struct Ewma {
        uint64_t n;
        double mean, var;
} Ewma;

/* Offsets and variances as float: 192 slots per series, baselines need no more precision. */
typedef struct SeasonSlot {
        float offset;
        float var;
        uint32_t n;
        uint16_t visits;
        uint16_t last_day; /* day number mod 65536 of the last visit */
} SeasonSlot;

typedef struct Seasonal {
        SeasonSlot week[STREAM_WEEK_SLOTS];
        SeasonSlot day[STREAM_DAY_SLOTS];
        uint64_t n;
        double level;
        double global_var;
        int64_t last_ts_ms;
        bool level_tracking; /* false during the warm-up: level = cumulative mean */
        bool ready;          /* the last sample was scored from a slot */
} Seasonal;

typedef struct Kalman {
        StreamKalman k;
        uint64_t n; /* innovations seen */
        double sigma2;
        int streak;
} Kalman;

typedef struct Ar {
        double ring[STREAM_AR_WINDOW_MAX]; /* cleaned first differences */
        unsigned n, head;
        uint64_t count;
        unsigned since_fit;
        bool started, fitted;
        int streak;
        double last_x; /* cleaned level */
        double phi[STREAM_AR_ORDER_MAX];
        double mu, sigma;
} Ar;

struct StreamDetector {
        StreamMethod method;
        StreamOptions o;
        double last_z;
        Ewma ewma;
        Robust *robust;
        Seasonal *seasonal;
        Kalman *kalman;
        Ar *ar;
};

static const char *const method_names[_STREAM_METHOD_MAX] = {
        [STREAM_ROBUST] = "robust", [STREAM_EWMA] = "ewma", [STREAM_SEASONAL] = "seasonal",
        [STREAM_KALMAN] = "kalman", [STREAM_AR] = "ar",     [STREAM_ENSEMBLE] = "ensemble",
};

const char *stream_method_to_string(StreamMethod m)
{
        return m >= 0 && m < _STREAM_METHOD_MAX ? method_names[m] : NULL;
}

StreamMethod stream_method_from_string(const char *s)
{
        for (int i = 0; s && i < _STREAM_METHOD_MAX; i++)
                if (strcmp(s, method_names[i]) == 0)
                        return (StreamMethod) i;
        return _STREAM_METHOD_INVALID;
}

double stream_score_from_z(double z)
{
        if (isnan(z))
                return 0;
        double t = z / STREAM_Z_REF;
        return 1.0 - exp(-M_LN10 * t * t); /* 1 - 10^-(t^2); exp(-inf) = 0 for |z| = inf */
}

/* A scale never 0: a relative epsilon of the level, so that a change of a constant series
 * gives a huge z (score 1) while no change gives 0. */
static double scale_floor(double level)
{
        return fmax(1e-9 * fabs(level), 1e-300);
}

static double clamp(double x, double c)
{
        return x > c ? c : x < -c ? -c : x;
}

void stream_options_init(StreamOptions *o)
{
        *o = (StreamOptions){
                .threshold = STREAM_THRESHOLD_DEFAULT,
                .window = 60,
                .min_samples = 10,
                .ewma_alpha = 0.05,
                .seasonal_min_visits = 2,
                .seasonal_gamma = 0.2,
                .kalman_q_level = 0.01,
                .kalman_q_slope = 1e-4,
                .ar_order = 4,
                .ar_window = 128,
                .ar_refit = 32,
                .ensemble_combine = STREAM_COMBINE_TOP2,
        };
}

/* --- the sorted rolling window --- */

void stream_window_init(StreamWindow *w, unsigned cap)
{
        w->cap = MIN(MAX(cap, 1u), STREAM_WINDOW_MAX);
        w->n = 0;
        w->head = 0;
}

/* First index i with a[i] > x (upper) or a[i] >= x (lower). */
static unsigned bound(const double *a, unsigned n, double x, bool upper)
{
        unsigned lo = 0, hi = n;
        while (lo < hi) {
                unsigned mid = lo + (hi - lo) / 2;
                if (upper ? a[mid] <= x : a[mid] < x)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

void stream_window_push(StreamWindow *w, double x)
{
        unsigned pos;

        if (w->n == w->cap) {
                double old = w->ring[w->head];
                unsigned i = bound(w->sorted, w->n, old, false);
                memmove(w->sorted + i, w->sorted + i + 1, (w->n - i - 1) * sizeof(double));
                w->n--;
                pos = w->head;
                w->head = (w->head + 1) % w->cap;
        } else
                pos = (w->head + w->n) % w->cap;
        w->ring[pos] = x;
        unsigned i = bound(w->sorted, w->n, x, true);
        memmove(w->sorted + i + 1, w->sorted + i, (w->n - i) * sizeof(double));
        w->sorted[i] = x;
        w->n++;
}

double stream_window_median(const StreamWindow *w)
{
        unsigned n = w->n;
        return n % 2 ? w->sorted[n / 2] : 0.5 * (w->sorted[n / 2 - 1] + w->sorted[n / 2]);
}

void stream_window_mad(const StreamWindow *w, double median, double *ret_mad, double *ret_meanad)
{
        const double *s = w->sorted;
        int n = (int) w->n;
        /* Deviations grow outward from the median on both sides: merging the two sorted runs
         * gives them in order, and the middle one(s) of the merge are the MAD. */
        int l = n % 2 ? n / 2 : n / 2 - 1, r = l + 1;
        double d1 = 0, d2 = 0, sum = 0;

        for (int t = 0; t <= n / 2; t++) {
                double dl = l >= 0 ? median - s[l] : (double) HUGE_VAL;
                double dr = r < n ? s[r] - median : (double) HUGE_VAL;
                double d;
                if (dl <= dr) {
                        d = dl;
                        l--;
                } else {
                        d = dr;
                        r++;
                }
                if (t == (n - 1) / 2)
                        d1 = d;
                if (t == n / 2)
                        d2 = d;
        }
        for (int i = 0; i < n; i++)
                sum += fabs(s[i] - median);
        *ret_mad = 0.5 * (d1 + d2);
        *ret_meanad = sum / n;
}

/* The robust z of x against the window, before x enters it. */
static double robust_z(const StreamWindow *w, unsigned min_samples, double x)
{
        if (w->n < min_samples || w->n == 0)
                return 0;
        double med = stream_window_median(w), mad, meanad;
        stream_window_mad(w, med, &mad, &meanad);
        double scale = 1.4826 * mad;
        if (!(scale > 0))
                scale = 1.2533 * meanad;
        scale = fmax(scale, scale_floor(med));
        return (x - med) / scale;
}

/* --- EWMA --- */

static double ewma_update(Ewma *e, double alpha, unsigned min_samples, double x)
{
        double z = 0;
        if (e->n >= min_samples)
                z = (x - e->mean) / fmax(sqrt(e->var), scale_floor(e->mean));
        e->n++;
        double a = fmax(alpha, 1.0 / (double) e->n);
        double diff = x - e->mean, incr = a * diff;
        e->mean += incr;
        e->var = (1 - a) * (e->var + diff * incr);
        return z;
}

/* --- seasonal --- */

/* Learns one sample of the slot from r, the residual of the slot's forecast (level before
 * this sample + the slot's offset): the offset moves by alpha r, the variance is the EWMA of
 * r^2, the very quantity the z divides by. */
static void slot_learn(SeasonSlot *s, double r, double gamma_dt, uint16_t day)
{
        s->n++;
        if (s->n == 1) {
                s->offset = (float) r; /* the first residual is against an offset of 0 */
                s->var = 0;
        } else {
                double a = fmax(1.0 / (double) (s->n - 1), fmin(gamma_dt, 1.0));
                s->offset = (float) ((double) s->offset + a * r);
                s->var = (float) ((double) s->var + a * (r * r - (double) s->var));
        }
        if (s->n == 1 || s->last_day != day) {
                if (s->visits < UINT16_MAX)
                        s->visits++;
                s->last_day = day;
        }
}

/* Seen on min_visits days before today. */
static bool slot_ready(const SeasonSlot *s, unsigned min_visits, uint16_t day)
{
        return s->visits >= min_visits + (s->n > 0 && s->last_day == day ? 1u : 0u);
}

/* The weekly and daily slots of ts_ms, and the one a score uses (NULL during the warm-up). */
static SeasonSlot *seasonal_slots(Seasonal *se, const StreamOptions *o, int64_t ts_ms,
                                  SeasonSlot **ret_week, SeasonSlot **ret_day, uint16_t *ret_day16)
{
        int64_t day = ts_ms / MSEC_PER_DAY, ms = ts_ms % MSEC_PER_DAY;
        if (ms < 0) {
                ms += MSEC_PER_DAY;
                day--;
        }
        unsigned hour = (unsigned) (ms / MSEC_PER_HOUR);
        unsigned dow = (unsigned) (((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        SeasonSlot *ws = &se->week[dow * 24 + hour], *ds = &se->day[hour];
        uint16_t day16 = (uint16_t) ((uint64_t) day & 0xffff);
        *ret_week = ws;
        *ret_day = ds;
        *ret_day16 = day16;
        return slot_ready(ws, o->seasonal_min_visits, day16)   ? ws
               : slot_ready(ds, o->seasonal_min_visits, day16) ? ds
                                                               : NULL;
}

/* Whether the score at ts_ms comes from a slot, so that no fallback z is needed. */
static bool seasonal_has_slot(Seasonal *se, const StreamOptions *o, int64_t ts_ms)
{
        SeasonSlot *ws, *ds;
        uint16_t day16;
        return seasonal_slots(se, o, ts_ms, &ws, &ds, &day16) != NULL;
}

static double seasonal_update(Seasonal *se, const StreamOptions *o, int64_t ts_ms, double x,
                              double fallback_z)
{
        SeasonSlot *ws, *ds;
        uint16_t day16;
        SeasonSlot *use = seasonal_slots(se, o, ts_ms, &ws, &ds, &day16);
        double dt_ms = se->n ? (double) MIN(MAX(ts_ms - se->last_ts_ms, 0), MSEC_PER_HOUR) : 0;
        double level = se->level, z;

        se->n++;
        se->last_ts_ms = ts_ms;
        se->ready = use;
        if (use) {
                double sd = fmax(sqrt((double) use->var), 0.25 * sqrt(se->global_var));
                sd = fmax(sd, scale_floor(level));
                double resid = x - (level + (double) use->offset);
                z = resid / sd;
                x = level + (double) use->offset + clamp(resid, HUBER_C * sd);
                se->level_tracking = true;
                se->level += (1 - exp(-dt_ms / (double) MSEC_PER_HOUR)) *
                             (x - (double) use->offset - level);
        } else {
                z = fallback_z;
                if (se->level_tracking)
                        se->level += (1 - exp(-dt_ms / (double) MSEC_PER_HOUR)) * (x - level);
                else
                        se->level += (x - level) / (double) se->n;
        }
        double gamma_dt = o->seasonal_gamma * dt_ms / (double) MSEC_PER_HOUR;
        double rd = x - level - (double) ds->offset;
        double ga = fmax(SEASONAL_GLOBAL, 1.0 / (double) se->n);
        se->global_var += ga * (rd * rd - se->global_var);
        slot_learn(ws, x - level - (double) ws->offset, gamma_dt, day16);
        slot_learn(ds, rd, gamma_dt, day16);
        return z;
}

/* --- Kalman --- */

void stream_kalman_init(StreamKalman *k, double q_level, double q_slope, double r)
{
        *k = (StreamKalman){.q_level = q_level, .q_slope = q_slope, .r = r};
}

void stream_kalman_predict(const StreamKalman *k, double *ret_forecast, double *ret_s)
{
        *ret_forecast = k->level + k->slope;
        *ret_s = k->p00 + 2 * k->p01 + k->p11 + k->q_level + k->r;
}

void stream_kalman_step(StreamKalman *k, double y, double clip)
{
        if (!k->started) {
                k->level = y;
                k->slope = 0;
                k->p00 = k->r;
                k->p01 = 0;
                k->p11 = k->r;
                k->started = true;
                return;
        }
        /* predict: x- = F x, P- = F P F' + Q with F = [1 1; 0 1] */
        double p00 = k->p00 + 2 * k->p01 + k->p11 + k->q_level;
        double p01 = k->p01 + k->p11;
        double p11 = k->p11 + k->q_slope;
        double s = p00 + k->r;
        double v = y - (k->level + k->slope);
        if (clip > 0)
                v = clamp(v, clip);
        double k0 = p00 / s, k1 = p01 / s;
        k->level += k->slope + k0 * v;
        k->slope += k1 * v;
        /* P = (I - K H) P- */
        k->p00 = (1 - k0) * p00;
        k->p01 = (1 - k0) * p01;
        k->p11 = p11 - k1 * p01;
}

static double kalman_update(Kalman *ka, unsigned min_samples, double x)
{
        if (!ka->k.started) {
                stream_kalman_step(&ka->k, x, 0);
                return 0;
        }
        double f, s;
        stream_kalman_predict(&ka->k, &f, &s);
        double v = x - f, u = v * v / s;
        bool warm = ka->n >= min_samples;
        double z = 0, sd = sqrt(s * ka->sigma2);
        sd = fmax(sd, scale_floor(f));
        if (warm)
                z = v / sd;

        ka->n++;
        double a = fmax(KALMAN_SCALE_A, 1.0 / (double) ka->n);
        ka->sigma2 += a * ((warm ? fmin(u, HUBER_C * HUBER_C * ka->sigma2) : u) - ka->sigma2);
        if (warm && fabs(z) > HUBER_C) {
                int sign = z > 0 ? 1 : -1;
                ka->streak = ka->streak * sign > 0 ? ka->streak + sign : sign;
        } else
                ka->streak = 0;
        if (abs(ka->streak) >= SHIFT_STREAK) {
                /* a level shift: restart from the new level, keep slope and scale */
                ka->k.level = x;
                ka->k.p00 = ka->k.r;
                ka->k.p01 = 0;
                ka->streak = 0;
                return z;
        }
        stream_kalman_step(&ka->k, x, warm ? HUBER_C * sd : 0);
        return z;
}

/* --- AR on differences --- */

int stream_ar_fit(const double *x, size_t n, unsigned p, double *ret_phi, double *ret_mu,
                  double *ret_sigma2)
{
        double r[STREAM_AR_ORDER_MAX + 1], a[STREAM_AR_ORDER_MAX + 1] = {},
                                                                   tmp[STREAM_AR_ORDER_MAX + 1];
        double mu = 0;

        if (p == 0 || p > STREAM_AR_ORDER_MAX || n <= p)
                return -EINVAL;
        for (size_t t = 0; t < n; t++)
                mu += x[t];
        mu /= (double) n;
        for (unsigned k = 0; k <= p; k++) {
                double acc = 0;
                for (size_t t = k; t < n; t++)
                        acc += (x[t] - mu) * (x[t - k] - mu);
                r[k] = acc / (double) n;
        }
        if (!(r[0] > 1e-300) || !(r[0] > 1e-24 * mu * mu))
                return -EDOM;
        /* Levinson-Durbin */
        double e = r[0];
        for (unsigned k = 1; k <= p; k++) {
                double acc = r[k];
                for (unsigned j = 1; j < k; j++)
                        acc -= a[j] * r[k - j];
                double kappa = acc / e;
                for (unsigned j = 1; j < k; j++)
                        tmp[j] = a[j] - kappa * a[k - j];
                for (unsigned j = 1; j < k; j++)
                        a[j] = tmp[j];
                a[k] = kappa;
                e *= 1 - kappa * kappa;
        }
        for (unsigned i = 0; i < p; i++)
                ret_phi[i] = a[i + 1];
        *ret_mu = mu;
        *ret_sigma2 = fmax(e, 0);
        return 0;
}

/* The k-th smallest of v[0..n) (reorders v), Hoare's selection. */
static double select_kth(double *v, unsigned n, unsigned k)
{
        unsigned lo = 0, hi = n - 1;
        while (lo < hi) {
                double pivot = v[lo + (hi - lo) / 2];
                unsigned i = lo, j = hi;
                while (i <= j) {
                        while (v[i] < pivot)
                                i++;
                        while (v[j] > pivot)
                                j--;
                        if (i <= j) {
                                double t = v[i];
                                v[i] = v[j];
                                v[j] = t;
                                i++;
                                if (j == 0)
                                        break;
                                j--;
                        }
                }
                if (k <= j)
                        hi = j;
                else if (k >= i)
                        lo = i;
                else
                        break;
        }
        return v[k];
}

/* The i-th most recent difference (0 = newest). */
static double ar_hist(const Ar *ar, unsigned cap, unsigned i)
{
        return ar->ring[(ar->head + ar->n - 1 - i) % cap];
}

static void ar_fit(Ar *ar, const StreamOptions *o)
{
        double x[STREAM_AR_WINDOW_MAX] = {},
               e[STREAM_AR_WINDOW_MAX]; /* = {}: gcc -O2 -Wmaybe-uninitialized */
        unsigned n = ar->n, p = o->ar_order, cap = o->ar_window, m = 0;

        for (unsigned i = 0; i < n; i++)
                x[i] = ar->ring[(ar->head + i) % cap];
        double s2;
        if (stream_ar_fit(x, n, p, ar->phi, &ar->mu, &s2) < 0) {
                memset(ar->phi, 0, sizeof(ar->phi));
                ar->mu = x[n - 1];
        }
        for (unsigned t = p; t < n; t++) {
                double pred = ar->mu;
                for (unsigned i = 0; i < p; i++)
                        pred += ar->phi[i] * (x[t - 1 - i] - ar->mu);
                e[m++] = fabs(x[t] - pred);
        }
        double sum = 0;
        for (unsigned i = 0; i < m; i++)
                sum += e[i];
        double lo = select_kth(e, m, (m - 1) / 2), hi = select_kth(e, m, m / 2);
        double sigma = 1.4826 * 0.5 * (lo + hi);
        if (!(sigma > 0))
                sigma = 1.2533 * sum / m;
        ar->sigma = sigma;
        ar->fitted = true;
        ar->since_fit = 0;
}

static double ar_update(Ar *ar, const StreamOptions *o, double x)
{
        unsigned cap = o->ar_window, p = o->ar_order;
        double z = 0;

        if (!ar->started) {
                ar->started = true;
                ar->last_x = x;
                return 0;
        }
        double d = x - ar->last_x;
        if (ar->fitted) {
                double pred = ar->mu;
                for (unsigned i = 0; i < p; i++)
                        pred += ar->phi[i] * (ar_hist(ar, cap, i) - ar->mu);
                double sd = fmax(ar->sigma, scale_floor(x));
                double e = d - pred;
                z = e / sd;
                if (fabs(e) > AR_CLEAN_C * sd) {
                        int sign = e > 0 ? 1 : -1;
                        ar->streak = ar->streak * sign > 0 ? ar->streak + sign : sign;
                        if (abs(ar->streak) < SHIFT_STREAK)
                                d = pred + sign * AR_CLEAN_C * sd;
                        else
                                ar->streak = 0; /* a level shift: take the raw value */
                } else
                        ar->streak = 0;
        }
        if (ar->n == cap) {
                ar->ring[ar->head] = d;
                ar->head = (ar->head + 1) % cap;
        } else
                ar->ring[(ar->head + ar->n++) % cap] = d;
        ar->last_x += d;
        ar->count++;
        ar->since_fit++;
        unsigned min_fit = MIN(MAX(4 * p, 32u), cap);
        if (ar->n >= min_fit && (!ar->fitted || ar->since_fit >= o->ar_refit))
                ar_fit(ar, o);
        return z;
}

/* --- the detector --- */

int stream_new(StreamMethod m, const StreamOptions *opt, StreamDetector **ret, char **reterr_msg)
{
        StreamOptions o;
        const char *bad = NULL;

        assert(ret);
        if (opt)
                o = *opt;
        else
                stream_options_init(&o);
        if (m < 0 || m >= _STREAM_METHOD_MAX)
                bad = "unknown method";
        else if (!(o.threshold >= 0 && o.threshold <= 1))
                bad = "the threshold must be in [0, 1]";
        else if (o.window < 3 || o.window > STREAM_WINDOW_MAX)
                bad = "the window must be 3..128 samples";
        else if (o.min_samples < 3 || o.min_samples > o.window)
                bad = "min_samples must be 3..window";
        else if (!(o.ewma_alpha > 0 && o.ewma_alpha < 1))
                bad = "the EWMA alpha must be in (0, 1)";
        else if (o.seasonal_min_visits < 1)
                bad = "seasonal_min_visits must be >= 1";
        else if (!(o.seasonal_gamma > 0 && o.seasonal_gamma <= 1))
                bad = "the seasonal gamma must be in (0, 1]";
        else if (!(o.kalman_q_level >= 0 && o.kalman_q_slope >= 0 &&
                   o.kalman_q_level + o.kalman_q_slope > 0 && isfinite(o.kalman_q_level) &&
                   isfinite(o.kalman_q_slope)))
                bad = "the Kalman noise ratios must be finite, >= 0 and not both 0";
        else if (o.ar_order < 1 || o.ar_order > STREAM_AR_ORDER_MAX)
                bad = "the AR order must be 1..8";
        else if (o.ar_window < 4 * o.ar_order || o.ar_window > STREAM_AR_WINDOW_MAX)
                bad = "the AR window must be 4 * order..256";
        else if (o.ar_refit < 1)
                bad = "the AR refit interval must be >= 1";
        else if (o.ensemble_combine < 0 || o.ensemble_combine >= _STREAM_COMBINE_MAX)
                bad = "unknown ensemble combination";
        if (bad) {
                if (reterr_msg)
                        *reterr_msg = xstrdup(bad);
                return -EINVAL;
        }

        StreamDetector *s = xnew0(StreamDetector, 1);
        s->method = m;
        s->o = o;
        if (m == STREAM_ROBUST || m == STREAM_SEASONAL || m == STREAM_ENSEMBLE)
                s->robust = xnew0(Robust, 1);
        if (m == STREAM_SEASONAL || m == STREAM_ENSEMBLE)
                s->seasonal = xnew0(Seasonal, 1);
        if (m == STREAM_KALMAN || m == STREAM_ENSEMBLE)
                s->kalman = xnew0(Kalman, 1);
        if (m == STREAM_AR || m == STREAM_ENSEMBLE)
                s->ar = xnew0(Ar, 1);
        stream_reset(s);
        *ret = s;
        return 0;
}

StreamDetector *stream_free(StreamDetector *s)
{
        if (!s)
                return NULL;
        free(s->robust);
        free(s->seasonal);
        free(s->kalman);
        free(s->ar);
        free(s);
        return NULL;
}

void stream_reset(StreamDetector *s)
{
        s->last_z = 0;
        s->ewma = (Ewma){};
        if (s->robust)
                stream_window_init(&s->robust->w, s->o.window);
        if (s->seasonal)
                *s->seasonal = (Seasonal){};
        if (s->kalman) {
                *s->kalman = (Kalman){};
                stream_kalman_init(&s->kalman->k, s->o.kalman_q_level, s->o.kalman_q_slope, 1);
        }
        if (s->ar)
                *s->ar = (Ar){};
}

size_t stream_state_bytes(const StreamDetector *s)
{
        return sizeof(*s) + (s->robust ? sizeof(Robust) : 0) +
               (s->seasonal ? sizeof(Seasonal) : 0) + (s->kalman ? sizeof(Kalman) : 0) +
               (s->ar ? sizeof(Ar) : 0);
}

double stream_last_z(const StreamDetector *s)
{
        return s->last_z;
}

static double combine(const double *v, unsigned n, StreamCombine c)
{
        double best = 0, second = 0, sum = 0;
        for (unsigned i = 0; i < n; i++) {
                sum += v[i];
                if (v[i] > best) {
                        second = best;
                        best = v[i];
                } else if (v[i] > second)
                        second = v[i];
        }
        switch (c) {
        case STREAM_COMBINE_MAX:
                return best;
        case STREAM_COMBINE_MEAN:
                return sum / n;
        default:
                return n >= 2 ? 0.5 * (best + second) : best;
        }
}

/* The |z| that maps to score (inverse of stream_score_from_z). */
static double z_from_score(double score)
{
        if (score >= 1)
                return HUGE_VAL;
        return STREAM_Z_REF * sqrt(-log10(1 - score));
}

int stream_update(StreamDetector *s, int64_t ts_ms, double value, double *ret_score,
                  bool *ret_anomaly)
{
        double z = 0, score;

        if (!isfinite(value))
                return -EINVAL;
        switch (s->method) {
        case STREAM_ROBUST:
                z = robust_z(&s->robust->w, s->o.min_samples, value);
                stream_window_push(&s->robust->w, value);
                break;
        case STREAM_EWMA:
                z = ewma_update(&s->ewma, s->o.ewma_alpha, s->o.min_samples, value);
                break;
        case STREAM_SEASONAL: {
                /* The robust z (an O(window) MAD walk) only while the slot is not ready. */
                double zr = seasonal_has_slot(s->seasonal, &s->o, ts_ms)
                                    ? 0
                                    : robust_z(&s->robust->w, s->o.min_samples, value);
                stream_window_push(&s->robust->w, value);
                z = seasonal_update(s->seasonal, &s->o, ts_ms, value, zr);
                break;
        }
        case STREAM_KALMAN:
                z = kalman_update(s->kalman, s->o.min_samples, value);
                break;
        case STREAM_AR:
                z = ar_update(s->ar, &s->o, value);
                break;
        case STREAM_ENSEMBLE: {
                double v[4];
                unsigned n = 0;
                double zr = robust_z(&s->robust->w, s->o.min_samples, value);
                stream_window_push(&s->robust->w, value);
                v[n++] = stream_score_from_z(zr);
                double zs = seasonal_update(s->seasonal, &s->o, ts_ms, value, zr);
                if (s->seasonal->ready)
                        v[n++] = stream_score_from_z(zs);
                v[n++] = stream_score_from_z(kalman_update(s->kalman, s->o.min_samples, value));
                v[n++] = stream_score_from_z(ar_update(s->ar, &s->o, value));
                score = combine(v, n, s->o.ensemble_combine);
                s->last_z = z_from_score(score);
                goto out;
        }
        default:
                assert(false);
        }
        s->last_z = z;
        score = stream_score_from_z(z);
out:
        if (ret_score)
                *ret_score = score;
        if (ret_anomaly)
                *ret_anomaly = score >= s->o.threshold;
        return 0;
}

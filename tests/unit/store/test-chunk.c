#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "store/chunk.h"
#include "test-util.h"

typedef struct Rng {
        uint64_t s;
} Rng;

/* xorshift64* (Vigna): small, seeded, good enough to drive property tests. */
static uint64_t rng_next(Rng *r)
{
        r->s ^= r->s >> 12;
        r->s ^= r->s << 25;
        r->s ^= r->s >> 27;
        return r->s * UINT64_C(2685821657736338717);
}

static double rng_unit(Rng *r)
{
        return (double) (rng_next(r) >> 11) / 9007199254740992.0;
}

static uint64_t bits_of(double v)
{
        uint64_t b;
        memcpy(&b, &v, sizeof(b));
        return b;
}

static double double_of(uint64_t b)
{
        double v;
        memcpy(&v, &b, sizeof(v));
        return v;
}

/* Encodes, decodes and checks every bit; also checks that restoring the encoder from a
 * prefix and appending the rest gives the very same bytes. */
static void round_trip(const int64_t *ts, const double *v, size_t n)
{
        ChunkEncoder e, e2;
        ChunkIter it;
        const uint8_t *data, *data2;
        size_t len, len2, split = n / 2;

        chunk_encoder_init(&e);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(chunk_append(&e, ts[i], v[i]), 0);
        assert_int_equal(chunk_count(&e), n);
        if (n > 0) {
                assert_true(chunk_first_ts(&e) == ts[0]);
                assert_true(chunk_last_ts(&e) == ts[n - 1]);
        }
        len = chunk_bytes(&e, &data);

        assert_int_equal(chunk_iter_init(&it, data, len, (uint32_t) n), 0);
        for (size_t i = 0; i < n; i++) {
                int64_t t;
                double x;
                assert_int_equal(chunk_iter_next(&it, &t, &x), 1);
                assert_true(t == ts[i]);
                assert_true(bits_of(x) == bits_of(v[i]));
        }
        assert_int_equal(chunk_iter_next(&it, NULL, NULL), 0);

        chunk_encoder_init(&e2);
        for (size_t i = 0; i < split; i++)
                assert_int_equal(chunk_append(&e2, ts[i], v[i]), 0);
        len2 = chunk_bytes(&e2, &data2);
        _cleanup_free_ uint8_t *copy = xmemdup(data2 ?: (const uint8_t *) "", len2 + 1);
        copy[len2] = 0xff; /* garbage after the end must not leak into the restored tail */
        chunk_encoder_done(&e2);
        assert_int_equal(chunk_encoder_restore(&e2, copy, len2 + 1, (uint32_t) split), 0);
        for (size_t i = split; i < n; i++)
                assert_int_equal(chunk_append(&e2, ts[i], v[i]), 0);
        len2 = chunk_bytes(&e2, &data2);
        assert_int_equal(len2, len);
        if (len > 0)
                assert_memory_equal(data, data2, len);

        chunk_encoder_done(&e);
        chunk_encoder_done(&e2);
}

static void test_chunk_round_trip_random_walk(void **state)
{
        Rng rng = {0x1234567};
        enum {
                N = 2000
        };
        int64_t ts[N];
        double v[N];

        (void) state;
        for (int round = 0; round < 20; round++) {
                int64_t t = (int64_t) (rng_next(&rng) >> 24);
                double x = rng_unit(&rng) * 1000;
                for (size_t i = 0; i < N; i++) {
                        t += 10000 + (int64_t) (rng_next(&rng) % 7) - 3;
                        x += rng_unit(&rng) - 0.5;
                        ts[i] = t;
                        v[i] = round % 2 ? x : floor(x * 100) / 100;
                }
                round_trip(ts, v, N);
        }
}

static void test_chunk_round_trip_constants_and_counters(void **state)
{
        enum {
                N = 1000
        };
        int64_t ts[N];
        double v[N];

        (void) state;
        for (size_t i = 0; i < N; i++) {
                ts[i] = 1700000000000 + (int64_t) i * 10000;
                v[i] = 42.0;
        }
        round_trip(ts, v, N);
        for (size_t i = 0; i < N; i++)
                v[i] = (double) (i * i * 4096);
        round_trip(ts, v, N);
        round_trip(ts, v, 0);
        round_trip(ts, v, 1);
        round_trip(ts, v, 2);
}

static void test_chunk_round_trip_special_values(void **state)
{
        const double special[] = {
                NAN,
                -NAN,
                double_of(UINT64_C(0x7ff0000000000001)), /* signalling NaN */
                double_of(UINT64_C(0x7ff8dead0000beef)), /* NaN with a payload */
                double_of(UINT64_C(0xfff0000000000001)),
                INFINITY,
                -INFINITY,
                0.0,
                -0.0,
                DBL_MIN,
                DBL_MIN / 4,  /* denormal */
                double_of(1), /* smallest denormal */
                -double_of(1),
                DBL_MAX,
                -DBL_MAX,
                1e300,
                1e-300,
                -1e300,
                1.0,
        };
        enum {
                N = 3000
        };
        int64_t ts[N];
        double v[N];
        Rng rng = {42};

        (void) state;
        for (size_t i = 0; i < N; i++) {
                ts[i] = (int64_t) i;
                v[i] = special[rng_next(&rng) % ELEMENTSOF(special)];
        }
        round_trip(ts, v, N);
        for (size_t i = 0; i < N; i++) /* huge jumps back and forth */
                v[i] = i % 2 ? 1e300 : 1e-300;
        round_trip(ts, v, N);
        for (size_t i = 0; i < N; i++) /* any bit pattern at all */
                v[i] = double_of(rng_next(&rng));
        round_trip(ts, v, N);
}

static void test_chunk_round_trip_irregular_timestamps(void **state)
{
        static const int64_t gaps[] = {
                1,
                2,
                3,
                999,
                1000,
                10000,
                10003,
                60000,
                300000,
                3600000,
                86400000,
                31557600000,
                315576000000,
                INT64_C(1) << 40,
                INT64_C(1) << 52,
        };
        enum {
                N = 3000
        };
        int64_t ts[N];
        double v[N];
        Rng rng = {7};

        (void) state;
        for (int round = 0; round < 10; round++) {
                int64_t t = -(INT64_C(1) << 58);
                for (size_t i = 0; i < N; i++) {
                        t += gaps[rng_next(&rng) % ELEMENTSOF(gaps)];
                        ts[i] = t;
                        v[i] = (double) i;
                }
                round_trip(ts, v, N);
        }

        /* the extremes of int64, where the deltas only fit in 64 unsigned bits */
        const int64_t ext[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
        const double ev[ELEMENTSOF(ext)] = {0};
        round_trip(ext, ev, ELEMENTSOF(ext));
        const int64_t ext2[] = {INT64_MIN, INT64_MAX};
        round_trip(ext2, ev, 2);
}

static double round_to(double v, int decimals)
{
        static const double p[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

        return round(v * p[decimals]) / p[decimals]; /* as agent/quantize.c does */
}

static void fill_ts(int64_t *ts, size_t n)
{
        for (size_t i = 0; i < n; i++)
                ts[i] = 1700000000000 + (int64_t) i * 10000;
}

static void test_chunk_round_trip_decimals(void **state)
{
        enum {
                N = 2000
        };
        int64_t ts[N];
        double v[N];
        Rng rng = {0xdec1};

        (void) state;
        fill_ts(ts, N);
        /* random walks of 2-decimal values, and of every scale, big steps and small */
        for (int round = 0; round < 28; round++) {
                int d = round % 7;
                double x = (rng_unit(&rng) - 0.5) * 2000, step = round < 14 ? 1 : 1e4;
                for (size_t i = 0; i < N; i++) {
                        x += (rng_unit(&rng) - 0.5) * step;
                        v[i] = round_to(x, round < 7 ? 2 : d);
                }
                round_trip(ts, v, N);
        }
        /* decimal and not, mixed: NaN payloads, -0.0, unrounded values, infinities */
        const double odd[] = {NAN, -0.0, INFINITY, 1.0 / 3, double_of(UINT64_C(0x7ff8dead0000beef)),
                              0.0, 1e-7, -1e300};
        for (int round = 0; round < 10; round++) {
                double x = 50;
                for (size_t i = 0; i < N; i++) {
                        x += rng_unit(&rng) - 0.5;
                        uint64_t r = rng_next(&rng) % 8;
                        v[i] = r < 2   ? odd[rng_next(&rng) % ELEMENTSOF(odd)]
                               : r < 3 ? x
                               : r < 4 ? v[i > 0 ? i - 1 : 0] /* repeats, also of odd values */
                                       : round_to(x, 2);
                }
                v[0] = round % 2 ? NAN : v[0]; /* a chunk that starts without a scale */
                round_trip(ts, v, N);
        }
        /* the scale rising mid-chunk: 87.4 (d = 1), 87.43 (2), 87.431 (3), ... 1 µs */
        for (size_t i = 0; i < N; i++)
                v[i] = round_to(87.4 + (double) i * 0.0000317, (int) MIN(i / 200, 6));
        round_trip(ts, v, N);
        for (size_t i = 0; i < N; i++) /* and going back to fewer decimals */
                v[i] = round_to(50 + sin((double) i / 10) * 20, 6 - (int) (i / 300));
        round_trip(ts, v, N);
}

static void test_chunk_round_trip_decimal_extremes(void **state)
{
        const double big = 9007199254740992.0; /* 2^53 */
        const double v[] = {
                big - 1,
                big - 2,
                -(big - 1),
                big - 1,
                big, /* not decimal at any scale: |n| < 2^53 fails */
                big - 1,
                big * 2,
                -big,
                1.0,
                (big - 1) / 1e6, /* the largest 6-decimal integer n */
                -(big - 1) / 1e6,
                0.000001,
                -0.000001,
                0.0,
                -0.0,
                0.0,
                -0.0,
                double_of(UINT64_C(0x7ff0000000000001)),
                double_of(UINT64_C(0xfff8000000000000)),
                4503599627370495.5, /* 2^52 - 0.5: 1 decimal, but n would be 2^53 - 1 */
                4503599627370495.5 - 1,
                DBL_MIN,
                0.1,
                0.2,
                0.30000000000000004, /* 0.1 + 0.2: not a short decimal */
                0.3,
        };
        int64_t ts[ELEMENTSOF(v)];

        (void) state;
        fill_ts(ts, ELEMENTSOF(v));
        round_trip(ts, v, ELEMENTSOF(v));
        /* every prefix start, so each value opens a chunk once */
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                round_trip(ts + i, v + i, ELEMENTSOF(v) - i);

        /* integers near 2^53 in a random walk, jumping across the whole range */
        enum {
                N = 1000
        };
        int64_t ts2[N];
        double w[N];
        Rng rng = {77};
        fill_ts(ts2, N);
        for (size_t i = 0; i < N; i++) {
                int64_t n = (int64_t) (rng_next(&rng) % (UINT64_C(1) << 54)) - (INT64_C(1) << 53);
                w[i] = i % 3 == 0 ? (double) n
                                  : (double) ((INT64_C(1) << 53) - 1 - (int64_t) (i % 5));
        }
        round_trip(ts2, w, N);
}

static void test_chunk_append_rejects_out_of_order(void **state)
{
        ChunkEncoder e;
        const uint8_t *data;

        (void) state;
        chunk_encoder_init(&e);
        for (int64_t i = 0; i < 50; i++)
                assert_int_equal(chunk_append(&e, 1000 + i * 10000, (double) i), 0);
        ChunkEncoder before = e;
        size_t len = chunk_bytes(&e, &data);
        _cleanup_free_ uint8_t *copy = xmemdup(data, e.cap);

        assert_int_equal(chunk_append(&e, chunk_last_ts(&e), 1.0), -EINVAL); /* duplicate */
        assert_int_equal(chunk_append(&e, chunk_last_ts(&e) - 1, 1.0), -EINVAL);
        assert_int_equal(chunk_append(&e, INT64_MIN, 1.0), -EINVAL);
        assert_memory_equal(&before, &e, sizeof(e));
        assert_int_equal(chunk_bytes(&e, &data), len);
        assert_memory_equal(copy, data, e.cap);
        assert_int_equal(chunk_append(&e, chunk_last_ts(&e) + 1, 1.0), 0);
        chunk_encoder_done(&e);
}

/* Decodes untrusted bytes: must stay within count and return 0 or -EBADMSG, never crash. */
static size_t decode_untrusted(const uint8_t *data, size_t len, uint32_t count)
{
        ChunkIter it;
        size_t n = 0;
        int r;

        assert_int_equal(chunk_iter_init(&it, data, len, count), 0);
        while ((r = chunk_iter_next(&it, NULL, NULL)) > 0)
                n++;
        assert_true(r == 0 || r == -EBADMSG);
        assert_true(n <= count);
        if (r == -EBADMSG)
                assert_int_equal(chunk_iter_next(&it, NULL, NULL), -EBADMSG);
        return n;
}

static void test_chunk_iter_truncated_and_corrupt(void **state)
{
        enum {
                N = 300
        };
        ChunkEncoder e;
        const uint8_t *data;
        Rng rng = {99};

        (void) state;
        chunk_encoder_init(&e);
        for (int64_t i = 0; i < N; i++)
                assert_int_equal(chunk_append(&e, i * 10000 + (int64_t) (rng_next(&rng) % 5),
                                              rng_unit(&rng)),
                                 0);
        size_t len = chunk_bytes(&e, &data);

        /* every truncation: fewer samples and -EBADMSG, or all of them if only padding went */
        for (size_t cut = 0; cut < len; cut++) {
                _cleanup_free_ uint8_t *p = xmemdup(data, cut + 1); /* ASan sees overreads */
                size_t got = decode_untrusted(p, cut, N);
                assert_true(got < N);
        }
        /* a count larger than what is there */
        assert_int_equal(decode_untrusted(data, len, N), N);
        assert_true(decode_untrusted(data, len, UINT32_MAX) <= (size_t) len * 4);

        /* random bit flips and random garbage */
        for (int round = 0; round < 2000; round++) {
                _cleanup_free_ uint8_t *p = xmemdup(data, len);
                for (int k = 0; k < 1 + round % 4; k++) {
                        size_t bit = rng_next(&rng) % (len * 8);
                        p[bit / 8] ^= (uint8_t) (1u << (bit % 8));
                }
                (void) decode_untrusted(p, len, N);
                for (size_t i = 0; i < len; i++)
                        p[i] = (uint8_t) rng_next(&rng);
                (void) decode_untrusted(p, len, (uint32_t) (rng_next(&rng) % (N * 4)));
        }

        /* all zeros: timestamps stop increasing after one sample */
        _cleanup_free_ uint8_t *zeros = xcalloc(64, 1);
        assert_int_equal(decode_untrusted(zeros, 64, UINT32_MAX), 1);
        assert_int_equal(decode_untrusted(zeros, 0, 5), 0);
        assert_int_equal(decode_untrusted(NULL, 0, 0), 0);

        /* restore refuses what does not decode, and leaves an empty encoder */
        ChunkEncoder r;
        assert_int_equal(chunk_encoder_restore(&r, data, len / 2, N), -EBADMSG);
        assert_int_equal(chunk_count(&r), 0);
        chunk_encoder_done(&r);
        chunk_encoder_done(&e);
}

/* A noisy CPU percentage as the agent stores it: around a slowly moving mean, ±3 noise, 2
 * decimals. */
typedef struct BitWriter {
        uint8_t buf[64];
        size_t nbits;
} BitWriter;

static void bw_put(BitWriter *w, uint64_t v, unsigned n)
{
        for (unsigned i = n; i > 0; i--, w->nbits++)
                if ((v >> (i - 1)) & 1)
                        w->buf[w->nbits / 8] |= (uint8_t) (0x80u >> (w->nbits % 8));
}

/* Sample 0 at ts 1000 with value v and scale bits d, then the timestamp of sample 1: a dod
 * of +1 ms ('10' + 2), the first delta. */
static void bw_start(BitWriter *w, double v, unsigned d)
{
        *w = (BitWriter){};
        bw_put(w, 1000, 64);
        bw_put(w, bits_of(v), 64);
        bw_put(w, d, 3);
        bw_put(w, 2, 2);
        bw_put(w, 2, 2);
}

/* Hand-made bytes for each inconsistency the decimal mode can have. */
static void test_chunk_iter_decimal_inconsistent(void **state)
{
        BitWriter w;
        ChunkIter it;
        int64_t ts;
        double v;

        (void) state;
        /* the reference: 87.43 at scale 2, then +0.01 as '10' + '0' + z = 2 */
        bw_start(&w, 87.43, 2);
        bw_put(&w, 2, 2);
        bw_put(&w, 0, 1);
        bw_put(&w, 2, 6);
        assert_int_equal(chunk_iter_init(&it, w.buf, (w.nbits + 7) / 8, 2), 0);
        assert_int_equal(chunk_iter_next(&it, &ts, &v), 1);
        assert_int_equal(chunk_iter_next(&it, &ts, &v), 1);
        assert_true(bits_of(v) == bits_of(87.44));

        /* a scale the first value is not decimal at */
        bw_start(&w, 87.43, 1);
        assert_int_equal(decode_untrusted(w.buf, sizeof(w.buf), 1), 0);
        bw_start(&w, -0.0, 0);
        assert_int_equal(decode_untrusted(w.buf, sizeof(w.buf), 1), 0);
        bw_start(&w, NAN, 3);
        assert_int_equal(decode_untrusted(w.buf, sizeof(w.buf), 1), 0);
        bw_start(&w, NAN, 7); /* none: fine */
        assert_int_equal(decode_untrusted(w.buf, sizeof(w.buf), 1), 1);

        /* n leaving (-2^53, 2^53): 2^53 - 1, then +1 */
        bw_start(&w, 9007199254740991.0, 0);
        bw_put(&w, 2, 2);
        bw_put(&w, 0, 1);
        bw_put(&w, 2, 6);
        assert_int_equal(decode_untrusted(w.buf, (w.nbits + 7) / 8, 2), 1);
        /* and by a huge delta in the last bucket: -(2^53 - 1) - 2^62 */
        bw_start(&w, -9007199254740991.0, 0);
        bw_put(&w, 2, 2);
        bw_put(&w, 15, 4);
        bw_put(&w, (UINT64_C(1) << 63) - 1, 64); /* z of -2^62 */
        assert_int_equal(decode_untrusted(w.buf, (w.nbits + 7) / 8, 2), 1);
        bw_start(&w, 1.0, 0);
        bw_put(&w, 2, 2);
        bw_put(&w, 15, 4);
        bw_put(&w, UINT64_MAX, 64); /* z of INT64_MIN */
        assert_int_equal(decode_untrusted(w.buf, (w.nbits + 7) / 8, 2), 1);

        /* a decimal delta of 0 after a decimal value: a repeat has its own code */
        bw_start(&w, 5.0, 0);
        bw_put(&w, 2, 2);
        bw_put(&w, 0, 1);
        bw_put(&w, 0, 6);
        assert_int_equal(decode_untrusted(w.buf, (w.nbits + 7) / 8, 2), 1);
}

static double bytes_per_sample_percent(void)
{
        enum {
                N = 240
        };
        ChunkEncoder e;
        Rng rng = {11};

        chunk_encoder_init(&e);
        for (int i = 0; i < N; i++) {
                double mean = 80 + 10 * sin(i / 300.0);
                assert_int_equal(chunk_append(&e, 1700000000000 + i * 10000,
                                              round_to(mean + 6 * (rng_unit(&rng) - 0.5), 2)),
                                 0);
        }
        double r = (double) chunk_bytes(&e, NULL) / N;
        chunk_encoder_done(&e);
        return r;
}

/* A slow integer gauge: a task count moving by a few now and then. */
static double bytes_per_sample_slow_integer(void)
{
        enum {
                N = 240
        };
        ChunkEncoder e;
        Rng rng = {12};
        double tasks = 300;

        chunk_encoder_init(&e);
        for (int i = 0; i < N; i++) {
                if (rng_next(&rng) % 4 == 0)
                        tasks += (double) (rng_next(&rng) % 7) - 3;
                assert_int_equal(chunk_append(&e, 1700000000000 + i * 10000, tasks), 0);
        }
        double r = (double) chunk_bytes(&e, NULL) / N;
        chunk_encoder_done(&e);
        return r;
}

static double bytes_per_sample(int64_t jitter_ms, int flavour)
{
        enum {
                N = 240
        };
        ChunkEncoder e;
        Rng rng = {5};
        int64_t t = 1700000000000;

        chunk_encoder_init(&e);
        for (int i = 0; i < N; i++) {
                double v =
                        flavour == 0 ? 42.0 : round((50 + 10 * sin(i / 500.0)) * 10) / 10; /* % */
                int64_t j = jitter_ms > 0
                                    ? (int64_t) (rng_next(&rng) % (uint64_t) (2 * jitter_ms + 1)) -
                                              jitter_ms
                                    : 0;
                assert_int_equal(chunk_append(&e, t + i * 10000 + j, v), 0);
        }
        double r = (double) chunk_bytes(&e, NULL) / N;
        chunk_encoder_done(&e);
        return r;
}

static void test_chunk_bytes_per_sample_regular(void **state)
{
        (void) state;
        double constant = bytes_per_sample(0, 0);
        double slow = bytes_per_sample(0, 1);
        double slow_jitter = bytes_per_sample(1, 1);

        print_message("bytes/sample (240 per chunk): constant %.3f, slow %.3f, slow ±1 ms %.3f\n",
                      constant, slow, slow_jitter);
        /* A strict cadence costs 1 bit for the time and 1 for an unchanged value, plus the
         * 16-byte header and the first delta spread over the chunk. */
        assert_true(constant < 0.4);
        assert_true(slow < 3);
        assert_true(slow_jitter < 3);

        double percent = bytes_per_sample_percent();
        double integer = bytes_per_sample_slow_integer();
        print_message("bytes/sample (240 per chunk): 2-decimal noisy percent %.3f, slow integer "
                      "%.3f\n",
                      percent, integer);
        /* 1 bit of time, 2 of prefix and a 13-bit delta bucket for ±3.00; as XOR these cost
         * ~7 bytes. */
        assert_true(percent < 2.2);
        assert_true(integer < 0.6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_chunk_round_trip_random_walk),
                cmocka_unit_test(test_chunk_round_trip_constants_and_counters),
                cmocka_unit_test(test_chunk_round_trip_special_values),
                cmocka_unit_test(test_chunk_round_trip_irregular_timestamps),
                cmocka_unit_test(test_chunk_round_trip_decimals),
                cmocka_unit_test(test_chunk_round_trip_decimal_extremes),
                cmocka_unit_test(test_chunk_append_rejects_out_of_order),
                cmocka_unit_test(test_chunk_iter_truncated_and_corrupt),
                cmocka_unit_test(test_chunk_iter_decimal_inconsistent),
                cmocka_unit_test(test_chunk_bytes_per_sample_regular),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

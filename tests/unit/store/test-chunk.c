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
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_chunk_round_trip_random_walk),
                cmocka_unit_test(test_chunk_round_trip_constants_and_counters),
                cmocka_unit_test(test_chunk_round_trip_special_values),
                cmocka_unit_test(test_chunk_round_trip_irregular_timestamps),
                cmocka_unit_test(test_chunk_append_rejects_out_of_order),
                cmocka_unit_test(test_chunk_iter_truncated_and_corrupt),
                cmocka_unit_test(test_chunk_bytes_per_sample_regular),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "chunk.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/alloc.h"

#define WINDOW_NONE UINT8_C(0xff)
/* 5 bits hold the leading-zero count, so larger counts are clamped: the extra zeros are then
 * sent as part of the meaningful bits (as in the paper). */
#define LEADING_MAX 31u

/* Integers of decimal values stay within ±(2^53 - 1), where every int64 is an exact double. */
#define INT_LIMIT (INT64_C(1) << 53)

/* Payload widths of the zig-zag integer delta buckets, after prefixes '0', '10', '110', '1110',
 * '1111'. Tuned on bench/store-bytes.c: noisy 2-decimal percentages
 * move by a few hundred hundredths per interval, byte counters by 2^12..2^30. */
static const unsigned int_width[] = {6, 11, 20, 32, 64};

static const double pow10_table[CHUNK_SCALE_MAX + 1] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

static uint64_t double_bits(double v)
{
        uint64_t b;

        memcpy(&b, &v, sizeof(b)); /* bit pattern, so NaN payloads and -0.0 survive */
        return b;
}

static double bits_double(uint64_t b)
{
        double v;

        memcpy(&v, &b, sizeof(v));
        return v;
}

/* Whether v is exactly n / 10^d for an integer |n| < 2^53 (the test the decoder's division
 * must reproduce, see chunk.h); compares bit patterns, so -0.0 and NaN never pass. */
static bool decimal_at(double v, unsigned d, int64_t *ret_n)
{
        double x = v * pow10_table[d];

        if (!(fabs(x) < 0x1p53)) /* also NaN and ±Inf */
                return false;
        int64_t n = llround(x);
        if (double_bits((double) n / pow10_table[d]) != double_bits(v))
                return false;
        *ret_n = n;
        return true;
}

/* The scale rule after sample 0 and after an xor-sent sample (chunk.h): the smallest scale
 * from the current one up at which v is decimal, with its n; otherwise nothing changes. */
static void scale_follow(uint8_t *scale, int64_t *last_int, double v)
{
        unsigned from = *scale == CHUNK_SCALE_NONE ? 0 : *scale;

        for (unsigned d = from; d <= CHUNK_SCALE_MAX; d++)
                if (decimal_at(v, d, last_int)) {
                        *scale = (uint8_t) d;
                        return;
                }
}

void chunk_encoder_init(ChunkEncoder *e)
{
        assert(e);
        *e = (ChunkEncoder){
                .scale = CHUNK_SCALE_NONE,
                .leading = WINDOW_NONE,
        };
}

void chunk_encoder_done(ChunkEncoder *e)
{
        assert(e);
        free(e->data);
        chunk_encoder_init(e);
}

/* Makes room for n more bits; the new bytes are zeroed because put_bits() ORs into them. */
static void reserve_bits(ChunkEncoder *e, unsigned n)
{
        size_t need = (size_t) ((e->nbits + n + 7) / 8);

        if (need <= e->cap)
                return;
        size_t cap = MAX(MAX(e->cap * 2, need), (size_t) 64);
        e->data = xrealloc(e->data, cap);
        memset(e->data + e->cap, 0, cap - e->cap);
        e->cap = cap;
}

/* Appends the low n bits of v, most significant first. */
static void put_bits(ChunkEncoder *e, uint64_t v, unsigned n)
{
        assert(n <= 64);
        reserve_bits(e, n);
        while (n > 0) {
                size_t byte = (size_t) (e->nbits >> 3);
                unsigned room = 8 - (unsigned) (e->nbits & 7);
                unsigned take = MIN(room, n);
                unsigned piece = (unsigned) (v >> (n - take)) & ((1u << take) - 1);

                e->data[byte] = (uint8_t) (e->data[byte] | (piece << (room - take)));
                e->nbits += take;
                n -= take;
        }
}

static void put_dod(ChunkEncoder *e, uint64_t dod)
{
        int64_t d = (int64_t) dod; /* two's complement: the delta change may be negative */

        if (d == 0)
                put_bits(e, 0, 1);
        else if (d >= -2 && d <= 2) {
                /* -2, -1, +1, +2 → 0..3: zero has its own 1-bit code */
                put_bits(e, 2, 2);
                put_bits(e, (uint64_t) (d < 0 ? d + 2 : d + 1), 2);
        } else if (d >= -64 && d <= 63) {
                put_bits(e, 6, 3);
                put_bits(e, dod, 7);
        } else if (d >= -2048 && d <= 2047) {
                put_bits(e, 14, 4);
                put_bits(e, dod, 12);
        } else if (d >= -524288 && d <= 524287) {
                put_bits(e, 30, 5);
                put_bits(e, dod, 20);
        } else {
                put_bits(e, 31, 5);
                put_bits(e, dod, 64);
        }
}

/* zig-zag: small magnitudes of either sign get small codes */
static uint64_t zigzag(int64_t delta)
{
        return ((uint64_t) delta << 1) ^ (uint64_t) (delta >> 63);
}

static unsigned int_bucket(uint64_t z)
{
        unsigned k = 0;

        while (k + 1 < ELEMENTSOF(int_width) && z >> int_width[k] != 0)
                k++;
        return k;
}

static unsigned int_delta_cost(int64_t delta)
{
        unsigned k = int_bucket(zigzag(delta));

        return (k + 1 < ELEMENTSOF(int_width) ? k + 1 : k) + int_width[k];
}

static void put_int_delta(ChunkEncoder *e, int64_t delta)
{
        uint64_t z = zigzag(delta);
        unsigned k = int_bucket(z);
        /* k ones and a zero; the last bucket's ones need no zero */
        if (k + 1 < ELEMENTSOF(int_width))
                put_bits(e, ((UINT64_C(1) << k) - 1) << 1, k + 1);
        else
                put_bits(e, (UINT64_C(1) << k) - 1, k);
        put_bits(e, z, int_width[k]);
}

static bool xor_fits_window(const ChunkEncoder *e, uint64_t x)
{
        return e->leading != WINDOW_NONE &&
               MIN((unsigned) __builtin_clzll(x), LEADING_MAX) >= e->leading &&
               (unsigned) __builtin_ctzll(x) >= e->trailing;
}

/* The bits put_xor() would write. */
static unsigned xor_cost(const ChunkEncoder *e, uint64_t x)
{
        if (xor_fits_window(e, x))
                return 1 + 64u - e->leading - e->trailing;
        return 1 + 5 + 6 + 64u - MIN((unsigned) __builtin_clzll(x), LEADING_MAX) -
               (unsigned) __builtin_ctzll(x);
}

/* A value that differs from the previous one: '0' + the bits in the window, or '1' + a new
 * window. */
static void put_xor(ChunkEncoder *e, uint64_t bits)
{
        uint64_t x = bits ^ e->last_value;
        unsigned leading = MIN((unsigned) __builtin_clzll(x), LEADING_MAX);
        unsigned trailing = (unsigned) __builtin_ctzll(x);

        assert(x != 0);
        if (xor_fits_window(e, x)) {
                put_bits(e, 0, 1);
                put_bits(e, x >> e->trailing, 64u - e->leading - e->trailing);
                return;
        }

        unsigned sig = 64 - leading - trailing;
        put_bits(e, 1, 1);
        put_bits(e, leading, 5);
        put_bits(e, sig & 63u, 6); /* sig is 1..64; 64 is sent as 0 */
        put_bits(e, x >> trailing, sig);
        e->leading = (uint8_t) leading;
        e->trailing = (uint8_t) trailing;
}

static void put_value(ChunkEncoder *e, double v, uint64_t bits)
{
        int64_t n;

        if (bits == e->last_value) {
                put_bits(e, 0, 1); /* the scale state stays as it is */
                return;
        }
        if (e->scale != CHUNK_SCALE_NONE) {
                /* Integers with binary trailing zeros (bytes counted in KiB, sectors of 512)
                 * keep those zeros in n but not in the xor window: send the shorter code. */
                if (decimal_at(v, e->scale, &n) &&
                    int_delta_cost(n - e->last_int) <= xor_cost(e, bits ^ e->last_value)) {
                        put_bits(e, 2, 2);
                        put_int_delta(e, n - e->last_int); /* both within ±2^53: no overflow */
                        e->last_int = n;
                        return;
                }
                put_bits(e, 3, 2);
        } else
                put_bits(e, 1, 1);
        put_xor(e, bits);
        scale_follow(&e->scale, &e->last_int, v);
}

int chunk_append(ChunkEncoder *e, int64_t ts_ms, double v)
{
        uint64_t bits = double_bits(v);

        assert(e);
        if (e->count == UINT32_MAX)
                return -E2BIG;

        if (e->count == 0) {
                put_bits(e, (uint64_t) ts_ms, 64);
                put_bits(e, bits, 64);
                e->scale = CHUNK_SCALE_NONE;
                scale_follow(&e->scale, &e->last_int, v);
                put_bits(e, e->scale, 3);
                e->first_ts = ts_ms;
                e->last_delta = 0;
        } else {
                if (ts_ms <= e->last_ts)
                        return -EINVAL;
                /* Unsigned: the gap between INT64_MIN and INT64_MAX does not fit an int64. */
                uint64_t delta = (uint64_t) ts_ms - (uint64_t) e->last_ts;
                put_dod(e, delta - e->last_delta);
                put_value(e, v, bits);
                e->last_delta = delta;
        }
        e->last_ts = ts_ms;
        e->last_value = bits;
        e->count++;
        return 0;
}

size_t chunk_bytes(const ChunkEncoder *e, const uint8_t **ret_data)
{
        assert(e);
        if (ret_data)
                *ret_data = e->data;
        return (size_t) ((e->nbits + 7) / 8);
}

uint32_t chunk_count(const ChunkEncoder *e)
{
        assert(e);
        return e->count;
}

int64_t chunk_first_ts(const ChunkEncoder *e)
{
        assert(e);
        return e->count > 0 ? e->first_ts : 0;
}

int64_t chunk_last_ts(const ChunkEncoder *e)
{
        assert(e);
        return e->count > 0 ? e->last_ts : 0;
}

int chunk_iter_init(ChunkIter *it, const uint8_t *data, size_t len, uint32_t count)
{
        assert(it);
        assert(data || len == 0);
        *it = (ChunkIter){
                .data = data,
                /* a buffer of more than 2^61 bytes cannot exist, so this cannot overflow */
                .len_bits = (uint64_t) len * 8,
                .count = count,
                .scale = CHUNK_SCALE_NONE,
                .leading = WINDOW_NONE,
        };
        return 0;
}

static int get_bits(ChunkIter *it, unsigned n, uint64_t *ret)
{
        uint64_t v = 0;

        assert(n <= 64);
        if (n > it->len_bits - it->pos)
                return -EBADMSG;
        while (n > 0) {
                unsigned byte = it->data[it->pos >> 3];
                unsigned room = 8 - (unsigned) (it->pos & 7);
                unsigned take = MIN(room, n);
                unsigned piece = (byte >> (room - take)) & ((1u << take) - 1);

                v = (take == 64 ? 0 : v << take) | piece;
                it->pos += take;
                n -= take;
        }
        *ret = v;
        return 0;
}

/* Counts the '1' bits before the first '0' of a unary prefix, up to max (then no '0' is
 * read). */
static int get_prefix(ChunkIter *it, unsigned max, unsigned *ret)
{
        unsigned n = 0;

        for (; n < max; n++) {
                uint64_t b;
                int r = get_bits(it, 1, &b);
                if (r < 0)
                        return r;
                if (b == 0)
                        break;
        }
        *ret = n;
        return 0;
}

static uint64_t sign_extend(uint64_t v, unsigned n)
{
        uint64_t m = UINT64_C(1) << (n - 1);

        return (v ^ m) - m;
}

static int get_dod(ChunkIter *it, uint64_t *ret)
{
        static const unsigned width[] = {0, 2, 7, 12, 20, 64};
        unsigned prefix;
        uint64_t v;
        int r;

        r = get_prefix(it, 5, &prefix);
        if (r < 0)
                return r;
        if (prefix == 0) {
                *ret = 0;
                return 0;
        }
        r = get_bits(it, width[prefix], &v);
        if (r < 0)
                return r;
        if (prefix == 1)
                *ret = v < 2 ? v - 2 : v - 1; /* 0..3 → -2, -1, +1, +2 (mod 2^64) */
        else if (prefix == 5)
                *ret = v;
        else
                *ret = sign_extend(v, width[prefix]);
        return 0;
}

static int get_int_delta(ChunkIter *it, int64_t *ret)
{
        unsigned k;
        uint64_t z;
        int r;

        r = get_prefix(it, (unsigned) ELEMENTSOF(int_width) - 1, &k);
        if (r < 0)
                return r;
        r = get_bits(it, int_width[k], &z);
        if (r < 0)
                return r;
        *ret = (int64_t) ((z >> 1) ^ (0 - (z & 1)));
        return 0;
}

/* The counterpart of put_xor(), after its prefix. */
static int get_xor(ChunkIter *it, uint64_t *ret)
{
        uint64_t new_window, x, leading, sig;
        int r;

        r = get_bits(it, 1, &new_window);
        if (r < 0)
                return r;
        if (!new_window) {
                if (it->leading == WINDOW_NONE)
                        return -EBADMSG; /* the encoder never reuses a window it has not sent */
        } else {
                r = get_bits(it, 5, &leading);
                if (r < 0)
                        return r;
                r = get_bits(it, 6, &sig);
                if (r < 0)
                        return r;
                if (sig == 0)
                        sig = 64;
                if (leading + sig > 64)
                        return -EBADMSG;
                it->leading = (uint8_t) leading;
                it->trailing = (uint8_t) (64 - leading - sig);
        }

        unsigned n = 64u - it->leading - it->trailing;
        r = get_bits(it, n, &x);
        if (r < 0)
                return r;
        if (x == 0)
                return -EBADMSG; /* a zero XOR has its own code; this is not our encoding */
        *ret = it->last_value ^ (x << it->trailing);
        return 0;
}

static int get_value(ChunkIter *it, uint64_t *ret)
{
        unsigned prefix;
        int64_t n, delta;
        uint64_t bits;
        int r;

        /* '0' repeat, then '1' xor without a scale; '10' decimal, '11' xor with one */
        r = get_prefix(it, it->scale == CHUNK_SCALE_NONE ? 1 : 2, &prefix);
        if (r < 0)
                return r;
        if (prefix == 0) {
                *ret = it->last_value;
                return 0;
        }
        if (prefix == 1 && it->scale != CHUNK_SCALE_NONE) {
                r = get_int_delta(it, &delta);
                if (r < 0)
                        return r;
                /* |last_int| < 2^53, so only a delta within ±2^54 can land inside */
                if (delta <= -2 * INT_LIMIT || delta >= 2 * INT_LIMIT)
                        return -EBADMSG;
                n = it->last_int + delta;
                if (n <= -INT_LIMIT || n >= INT_LIMIT)
                        return -EBADMSG;
                bits = double_bits((double) n / pow10_table[it->scale]);
                if (bits == it->last_value)
                        return -EBADMSG; /* the encoder sends a repeat as '0' */
                it->last_int = n;
                *ret = bits;
                return 0;
        }

        r = get_xor(it, &bits);
        if (r < 0)
                return r;
        scale_follow(&it->scale, &it->last_int, bits_double(bits));
        *ret = bits;
        return 0;
}

static int get_scale(ChunkIter *it, uint64_t bits)
{
        uint64_t scale;

        int r = get_bits(it, 3, &scale);
        if (r < 0)
                return r;
        it->scale = (uint8_t) scale;
        if (scale != CHUNK_SCALE_NONE && !decimal_at(bits_double(bits), it->scale, &it->last_int))
                return -EBADMSG; /* n_prev would be undefined */
        return 0;
}

static int iter_step(ChunkIter *it, int64_t *ret_ts, uint64_t *ret_bits)
{
        uint64_t ts_bits, bits, dod;
        int r;

        if (it->index == 0) {
                r = get_bits(it, 64, &ts_bits);
                if (r < 0)
                        return r;
                r = get_bits(it, 64, &bits);
                if (r < 0)
                        return r;
                r = get_scale(it, bits);
                if (r < 0)
                        return r;
                it->last_delta = 0;
        } else {
                r = get_dod(it, &dod);
                if (r < 0)
                        return r;
                r = get_value(it, &bits);
                if (r < 0)
                        return r;
                uint64_t delta = it->last_delta + dod;
                ts_bits = (uint64_t) it->last_ts + delta;
                if ((int64_t) ts_bits <= it->last_ts)
                        return -EBADMSG; /* the encoder only writes increasing timestamps */
                it->last_delta = delta;
        }
        *ret_ts = (int64_t) ts_bits;
        *ret_bits = bits;
        return 0;
}

int chunk_iter_next(ChunkIter *it, int64_t *ret_ts, double *ret_v)
{
        int64_t ts;
        uint64_t bits;

        assert(it);
        if (it->index == UINT32_MAX)
                return -EBADMSG; /* a previous call failed */
        if (it->index >= it->count)
                return 0;

        int r = iter_step(it, &ts, &bits);
        if (r < 0) {
                it->index = UINT32_MAX;
                return r;
        }
        it->last_ts = ts;
        it->last_value = bits;
        it->index++;
        if (ret_ts)
                *ret_ts = ts;
        if (ret_v)
                *ret_v = bits_double(bits);
        return 1;
}

int chunk_encoder_restore(ChunkEncoder *e, const uint8_t *data, size_t len, uint32_t count)
{
        ChunkIter it;
        int64_t first_ts = 0;
        int r;

        assert(e);
        chunk_encoder_init(e);
        if (count == 0)
                return 0;
        if (count == UINT32_MAX)
                return -EBADMSG; /* never written: the encoder stops one short */

        (void) chunk_iter_init(&it, data, len, count);
        for (uint32_t i = 0; i < count; i++) {
                int64_t ts;
                r = chunk_iter_next(&it, &ts, NULL);
                if (r < 0)
                        return r;
                if (i == 0)
                        first_ts = ts;
        }

        size_t used = (size_t) ((it.pos + 7) / 8);
        e->cap = MAX(used, (size_t) 64);
        e->data = xcalloc(e->cap, 1);
        memcpy(e->data, data, used);
        if (it.pos % 8 != 0) /* later appends OR into the tail, so it must be clean */
                e->data[used - 1] &= (uint8_t) (0xffu << (8 - it.pos % 8));
        e->nbits = it.pos;
        e->count = count;
        e->first_ts = first_ts;
        e->last_ts = it.last_ts;
        e->last_delta = it.last_delta;
        e->last_value = it.last_value;
        e->last_int = it.last_int;
        e->scale = it.scale;
        e->leading = it.leading;
        e->trailing = it.trailing;
        return 0;
}

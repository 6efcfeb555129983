/* Compressed chunks of (timestamp, value) samples of one series, after the Gorilla encoding
 * (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database", VLDB 2015):
 * timestamps as delta-of-delta in variable-length buckets, values as the XOR with the
 * previous value with the leading/trailing-zero window reused; plus a decimal mode for values
 * that are exact short decimals (the agent rounds metrics to a few decimals, agent/quantize.h):
 * those are sent as the change of their integer n = v * 10^d. A noisy 2-decimal percentage
 * such as 87.43 differs from 86.91 in almost every mantissa bit (~7 bytes as XOR) while
 * 8743 - 8691 = 52 costs 15 bits.
 *
 * Bit layout (most significant bit of each byte first):
 *   sample 0: timestamp as 64 raw bits, value as 64 raw bits (IEEE 754 binary64 pattern),
 *             then the chunk's scale d in 3 bits: 0..6, or 7 = none (CHUNK_SCALE_NONE).
 *             The encoder writes the smallest d at which the value is decimal (below).
 *   sample i: dod = (ts_i - ts_{i-1}) - (ts_{i-1} - ts_{i-2}), with the delta before sample 1
 *             taken as 0 (so the first delta is sent as a dod), in milliseconds:
 *               '0'                           dod = 0                          1 bit
 *               '10'    + 2 bits              dod in {-2, -1, +1, +2}          4 bits
 *               '110'   + 7 bits              dod in [-64, 63]                10 bits
 *               '1110'  + 12 bits             dod in [-2048, 2047]            16 bits
 *               '11110' + 20 bits             dod in [-524288, 524287]        25 bits
 *               '11111' + 64 bits             anything (gaps of years)        69 bits
 *             The paper's buckets are for seconds; ours are for ms: a strict cadence costs
 *             1 bit, timer jitter of ±1-2 ms 4 bits, scheduling delays of tens of ms 10,
 *             an interval change between 1 s and ~8 min 16-25 bits.
 *             then the value, bits_i against bits_{i-1} (the previous double however it was
 *             sent); the decimal branch exists only while the chunk has a scale:
 *                                   scale none   scale d
 *               value repeated      '0'          '0'
 *               decimal             -            '10' + int delta of n_i - n_prev
 *               xor in the window   '10'         '110' + meaningful bits
 *               xor, new window     '11'         '111' + 5 bits leading zeros
 *                                                      + 6 bits length (0 means 64) + the bits
 *             xor = bits_i ^ bits_{i-1}; the window is the previous leading/trailing zero
 *             count sent (Gorilla); it survives decimal samples. int delta, zig-zag coded
 *             (0, -1, 1, -2, ... → z = 0, 1, 2, 3, ...):
 *               '0'    + 6 bits             z < 2^6    (n ± 32)                  7 bits
 *               '10'   + 11 bits            z < 2^11   (n ± 1024)               13 bits
 *               '110'  + 20 bits            z < 2^20                            23 bits
 *               '1110' + 32 bits            z < 2^32                            36 bits
 *               '1111' + 64 bits            anything                            68 bits
 *             so with a scale a repeat costs 1 bit, a 2-decimal percentage moving by up to
 *             ±10.24 15, and xor one bit more than without. A decimal delta of 0 is sent only
 *             after a non-decimal value (5, NaN, 5). The encoder sends a decimal value as xor
 *             when that is shorter: integers with binary trailing zeros (bytes counted in
 *             KiB, 512-byte sectors) keep the zeros in n but not in the xor window.
 *
 * v is decimal at scale d when |v * 10^d| < 2^53 and (double) llround(v * 10^d) / 10^d has
 * the same bit pattern as v; its n is that llround(). The decoder rebuilds the value as
 * (double) n / 10^d, exact integer and one correctly rounded IEEE division, so it gets the
 * very double the encoder tested. NaN, ±Inf and -0.0 are never decimal (0 / 10^d is +0.0).
 * A decoder refuses a decimal value that repeats the previous one (a repeat has its code).
 *
 * The scale state (d, n_prev) after each sample, the same in encoder and decoder:
 *   - after a decimal sample, n_prev = its n; d is unchanged; a repeat changes nothing;
 *   - after sample 0 and after every xor-sent sample, d becomes the smallest scale from the
 *     current one up (any, when none) at which the value is decimal, and n_prev its n there;
 *     if there is none, d and n_prev stay: n_prev is that of the last decimal value.
 * So d never falls within a chunk, and a chunk whose first value was 87.4 (d = 1) moves to
 * d = 2 at the first 87.43 (sent as xor once) instead of sending every later value as xor;
 * a NaN or an unrounded value costs one xor and leaves the integer state as it was.
 *
 * Values are compared as bit patterns, so every double (NaN payloads, -0.0, ±Inf,
 * denormals) round-trips exactly. Timestamp arithmetic is modulo 2^64, so any strictly
 * increasing int64 sequence round-trips, even INT64_MIN followed by INT64_MAX.
 *
 * The sample count is not part of the bytes: the owner stores it beside them. The decoder
 * takes its input as untrusted (it comes from disk): it never reads past `len`, stops after
 * `count` samples, and fails with -EBADMSG on truncation, on timestamps that do not
 * increase, on a scale the first value is not decimal at, on an integer that leaves
 * (-2^53, 2^53), and on a decimal repeat. Not thread-safe; an encoder belongs to
 * one owner. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The largest scale is 6 decimals (1 µs as seconds); 7 in the 3 scale bits means none. */
#define CHUNK_SCALE_MAX  6u
#define CHUNK_SCALE_NONE 7u

typedef struct ChunkEncoder {
        uint8_t *data;  /* owned; NULL until the first append */
        size_t cap;     /* bytes allocated */
        uint64_t nbits; /* bits written; unused bits of the last byte are zero */
        uint32_t count;
        int64_t first_ts;
        int64_t last_ts;
        uint64_t last_delta; /* ms, modulo 2^64 */
        uint64_t last_value; /* bit pattern of the last double */
        int64_t last_int;    /* n_prev: the integer of the last decimal value at `scale` */
        uint8_t scale;       /* decimals d, 0..6, or CHUNK_SCALE_NONE */
        uint8_t leading;     /* the XOR window in use; leading = 0xff: none yet */
        uint8_t trailing;
} ChunkEncoder;

typedef struct ChunkIter {
        const uint8_t *data;
        uint64_t len_bits;
        uint64_t pos;
        uint32_t count; /* samples the caller says are there */
        uint32_t index; /* samples returned so far */
        int64_t last_ts;
        uint64_t last_delta;
        uint64_t last_value;
        int64_t last_int;
        uint8_t scale;
        uint8_t leading;
        uint8_t trailing;
} ChunkIter;

/* An empty encoder (equivalent to zero-initialising it and setting the window and the scale
 * to none). */
void chunk_encoder_init(ChunkEncoder *e);
/* Frees the buffer and leaves an empty encoder behind. */
void chunk_encoder_done(ChunkEncoder *e);
/* Rebuilds the encoder state of a chunk stored earlier, so appending continues it: the
 * result is the encoder that wrote those `count` samples. 0, or -EBADMSG if the bytes do not
 * decode (then `e` is left empty). */
int chunk_encoder_restore(ChunkEncoder *e, const uint8_t *data, size_t len, uint32_t count);

/* 0, or -EINVAL if ts_ms is not after the last timestamp (out of order or duplicate); then
 * nothing changes. -E2BIG when the chunk already holds UINT32_MAX samples. */
int chunk_append(ChunkEncoder *e, int64_t ts_ms, double v);
/* The encoded bytes so far; borrowed, valid until the next append or done. */
size_t chunk_bytes(const ChunkEncoder *e, const uint8_t **ret_data);
uint32_t chunk_count(const ChunkEncoder *e);
/* Timestamps of the first and last sample; meaningless (0) while count is 0. */
int64_t chunk_first_ts(const ChunkEncoder *e);
int64_t chunk_last_ts(const ChunkEncoder *e);

/* Reads `count` samples from `len` bytes; the bytes are borrowed for the iteration.
 * Always 0 today (all checks happen while iterating). */
int chunk_iter_init(ChunkIter *it, const uint8_t *data, size_t len, uint32_t count);
/* 1 and the next sample, 0 at the end (after `count` samples), or -EBADMSG if the bytes are
 * truncated or corrupt (and on every later call). Outputs are set only when 1 is returned. */
int chunk_iter_next(ChunkIter *it, int64_t *ret_ts, double *ret_v);

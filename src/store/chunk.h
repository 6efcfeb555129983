/* Compressed chunks of (timestamp, value) samples of one series, after the Gorilla encoding
 * (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database", VLDB 2015):
 * timestamps as delta-of-delta in variable-length buckets, values as the XOR with the
 * previous value with the leading/trailing-zero window reused.
 *
 * Bit layout (most significant bit of each byte first):
 *   sample 0: timestamp as 64 raw bits, value as 64 raw bits (IEEE 754 binary64 pattern)
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
 *             value: xor = bits_i ^ bits_{i-1}
 *               '0'                           xor = 0 (value repeated)
 *               '10' + meaningful bits        fits the previous leading/trailing window
 *               '11' + 5 bits leading zeros + 6 bits length (0 means 64) + the bits
 * Values are compared as bit patterns, so every double (NaN payloads, -0.0, ±Inf,
 * denormals) round-trips exactly. Timestamp arithmetic is modulo 2^64, so any strictly
 * increasing int64 sequence round-trips, even INT64_MIN followed by INT64_MAX.
 *
 * The sample count is not part of the bytes: the owner stores it beside them. The decoder
 * takes its input as untrusted (it comes from disk): it never reads past `len`, stops after
 * `count` samples, and fails with -EBADMSG on truncation or on timestamps that do not
 * increase. Not thread-safe; an encoder belongs to one owner. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct ChunkEncoder {
        uint8_t *data;  /* owned; NULL until the first append */
        size_t cap;     /* bytes allocated */
        uint64_t nbits; /* bits written; unused bits of the last byte are zero */
        uint32_t count;
        int64_t first_ts;
        int64_t last_ts;
        uint64_t last_delta; /* ms, modulo 2^64 */
        uint64_t last_value; /* bit pattern of the last double */
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
        uint8_t leading;
        uint8_t trailing;
} ChunkIter;

/* An empty encoder (equivalent to zero-initialising it and setting the window to none). */
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

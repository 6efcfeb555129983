/* The record format of the store's sample log (store.h): the samples of one commit, of any
 * series, as (series id, timestamp, value) triples, so that a commit writes one row instead
 * of rewriting every open chunk.
 *
 * Layout: one version byte (STORE_LOG_VERSION), then per triple
 *   series id   unsigned LEB128 varint (1-2 bytes for the ids we hand out)
 *   timestamp   zig-zag varint of the difference to the previous triple's timestamp (the
 *               first against 0), modulo 2^64: samples of one cycle share a timestamp, so
 *               all but the first cost 1 byte
 *   value       the IEEE 754 binary64 bit pattern, 8 bytes little-endian (bit-exact for
 *               every double, NaN payloads included)
 * The triple count is not stored: the record ends with its bytes.
 *
 * The reader takes its input as untrusted (it comes from disk): it never reads past `len`,
 * and fails with -EBADMSG on an unknown version, a truncated triple or a varint longer than
 * 64 bits. A writer belongs to one owner; not thread-safe. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define STORE_LOG_VERSION 1u

typedef struct StoreLogWriter {
        uint8_t *data; /* owned; NULL until the first put */
        size_t len;    /* bytes written, version byte included; 0 when empty */
        size_t cap;
        uint64_t count; /* triples */
        int64_t last_ts;
} StoreLogWriter;

typedef struct StoreLogReader {
        const uint8_t *data;
        size_t len;
        size_t pos;
        int64_t last_ts;
        int failed; /* sticky -EBADMSG */
} StoreLogReader;

/* Appends one triple (the version byte first, if the record is empty). */
void store_log_put(StoreLogWriter *w, int64_t series_id, int64_t ts_ms, double v);
/* Empties the record, keeping its memory. */
void store_log_writer_reset(StoreLogWriter *w);
void store_log_writer_done(StoreLogWriter *w);

/* The bytes are borrowed for the iteration. -EBADMSG if empty or of an unknown version. */
int store_log_reader_init(StoreLogReader *r, const uint8_t *data, size_t len);
/* 1 and the next triple, 0 at the end, or -EBADMSG (and on every later call). Outputs are
 * set only when 1 is returned. */
int store_log_next(StoreLogReader *r, int64_t *ret_series_id, int64_t *ret_ts_ms, double *ret_v);

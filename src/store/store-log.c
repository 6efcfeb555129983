#include "store-log.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/macro.h"

/* A varint is at most 10 bytes, a triple at most 10 + 10 + 8. */
#define TRIPLE_MAX_BYTES 28u

static void put_varint(StoreLogWriter *w, uint64_t x)
{
        while (x >= 0x80) {
                w->data[w->len++] = (uint8_t) (x | 0x80);
                x >>= 7;
        }
        w->data[w->len++] = (uint8_t) x;
}

void store_log_put(StoreLogWriter *w, int64_t series_id, int64_t ts_ms, double v)
{
        uint64_t bits, delta;

        if (w->cap - w->len < TRIPLE_MAX_BYTES + 1) {
                w->cap = MAX(w->cap * 2, (size_t) 4096);
                w->data = xreallocarray(w->data, w->cap, 1);
        }
        if (w->len == 0) {
                w->data[w->len++] = STORE_LOG_VERSION;
                w->last_ts = 0;
        }
        put_varint(w, (uint64_t) series_id);
        delta = (uint64_t) ts_ms - (uint64_t) w->last_ts;
        put_varint(w, (delta << 1) ^ (0 - (delta >> 63))); /* zig-zag */
        memcpy(&bits, &v, sizeof(bits));
        for (unsigned i = 0; i < 8; i++)
                w->data[w->len++] = (uint8_t) (bits >> (8 * i));
        w->last_ts = ts_ms;
        w->count++;
}

void store_log_writer_reset(StoreLogWriter *w)
{
        w->len = 0;
        w->count = 0;
        w->last_ts = 0;
}

void store_log_writer_done(StoreLogWriter *w)
{
        free(w->data);
        *w = (StoreLogWriter){};
}

int store_log_reader_init(StoreLogReader *r, const uint8_t *data, size_t len)
{
        *r = (StoreLogReader){.data = data, .len = len, .pos = 1};
        if (len == 0 || !data || data[0] != STORE_LOG_VERSION) {
                r->failed = -EBADMSG;
                return -EBADMSG;
        }
        return 0;
}

static int get_varint(StoreLogReader *r, uint64_t *ret)
{
        uint64_t x = 0;

        for (unsigned shift = 0; shift < 64; shift += 7) {
                if (r->pos >= r->len)
                        return -EBADMSG;
                uint8_t b = r->data[r->pos++];
                if (shift == 63 && b > 1)
                        return -EBADMSG; /* more than 64 bits */
                x |= (uint64_t) (b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = x;
                        return 0;
                }
        }
        return -EBADMSG;
}

int store_log_next(StoreLogReader *r, int64_t *ret_series_id, int64_t *ret_ts_ms, double *ret_v)
{
        uint64_t id, z, bits = 0;
        double v;

        if (r->failed < 0)
                return r->failed;
        if (r->pos >= r->len)
                return 0;
        if (get_varint(r, &id) < 0 || get_varint(r, &z) < 0 || r->len - r->pos < 8) {
                r->failed = -EBADMSG;
                return -EBADMSG;
        }
        for (unsigned i = 0; i < 8; i++)
                bits |= (uint64_t) r->data[r->pos++] << (8 * i);
        memcpy(&v, &bits, sizeof(v));
        r->last_ts = (int64_t) ((uint64_t) r->last_ts + ((z >> 1) ^ (0 - (z & 1))));
        *ret_series_id = (int64_t) id;
        *ret_ts_ms = r->last_ts;
        *ret_v = v;
        return 1;
}

/* Untrusted chunk bytes: the first 4 bytes (little endian) are the sample count the row
 * claims, the rest the encoded data. Decoding must stay in bounds and stop; whatever
 * restores must continue to an encoding that decodes to the same samples plus one. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "store/chunk.h"

/* Not assert(): it must hold in release-mode fuzz builds too. */
#define CHECK(x)                 \
        do {                     \
                if (!(x))        \
                        abort(); \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ChunkIter it;
        ChunkEncoder e;
        uint32_t count, got = 0;
        int64_t ts, last_ts = 0;
        double v;
        int r;

        if (size < 4)
                return 0;
        count = (uint32_t) data[0] | (uint32_t) data[1] << 8 | (uint32_t) data[2] << 16 |
                (uint32_t) data[3] << 24;
        data += 4;
        size -= 4;

        (void) chunk_iter_init(&it, data, size, count);
        while ((r = chunk_iter_next(&it, &ts, &v)) > 0) {
                CHECK(got == 0 || ts > last_ts);
                last_ts = ts;
                got++;
        }
        CHECK(r == 0 || r == -EBADMSG);
        CHECK(got <= count);
        CHECK(r < 0 || got == count);

        if (chunk_encoder_restore(&e, data, size, count) < 0) {
                CHECK(chunk_count(&e) == 0);
                chunk_encoder_done(&e);
                return 0;
        }
        CHECK(r == 0 && chunk_count(&e) == count);
        if (count > 0 && count < UINT32_MAX - 1 && chunk_last_ts(&e) < INT64_MAX) {
                const uint8_t *enc;
                size_t len;

                CHECK(chunk_append(&e, chunk_last_ts(&e) + 1, 0.5) == 0);
                len = chunk_bytes(&e, &enc);
                (void) chunk_iter_init(&it, enc, len, count + 1);
                got = 0;
                while ((r = chunk_iter_next(&it, &ts, &v)) > 0)
                        got++;
                CHECK(r == 0 && got == count + 1 && v == 0.5 && ts == last_ts + 1);
        }
        chunk_encoder_done(&e);
        return 0;
}

/* The whole log pipeline on arbitrary input: the bytes are a log read through an fd source
 * (a memfd), with the format detected, each line parsed, mined by Drain, counted into
 * buckets and flushed (no store: everything is computed, nothing written). The first byte
 * picks the format and whether the keywords include odd ones. Nothing may crash, leak or
 * read out of bounds; the lines counted must equal the lines the source handed out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"
#include "logs/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        LogFormat fmt = data[0] % (_LOG_FORMAT_MAX + 1);
        if (fmt == _LOG_FORMAT_MAX)
                fmt = LOG_FORMAT_AUTO;
        data++;
        size--;

        int fd = memfd_create("fuzz-ingest", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (size > 0 && write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return 0;
        }
        (void) lseek(fd, 0, SEEK_SET);

        Config *cfg = config_new_default();
        cfg->logs.learning_ms = 0;
        cfg->logs.count_interval_ms = 1000;
        LogIngest *in = NULL;
        if (log_ingest_new(&cfg->logs, NULL, &in, NULL) < 0)
                abort();
        LogSource *src = NULL;
        if (log_source_new_fd("fuzz", fd, &src) < 0)
                abort();
        if (log_ingest_add_source(in, src, fmt, INT64_C(1700000000000)) < 0)
                abort();
        int64_t now = INT64_C(1700000000000);
        for (int i = 0; i < 1000; i++) {
                if (log_ingest_poll(in, now, 64) <= 0)
                        break;
                if (log_ingest_flush(in, now, false) < 0)
                        abort();
                now += 500;
        }
        if (log_ingest_flush(in, now, true) < 0)
                abort();
        LogIngestStats st;
        log_ingest_stats(in, &st);
        LogIngestSourceInfo si;
        log_ingest_source_info(in, 0, &si);
        if (st.lines != si.source->lines)
                abort();
        log_ingest_free(in);
        config_free(cfg);
        return 0;
}

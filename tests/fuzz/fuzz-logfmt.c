/* Feeds arbitrary bytes to every log line parser (logfmt.h) and to logfmt_detect(), as one
 * line and line by line, from a heap block of exactly the input's size so that ASan sees any
 * read past the end; a record that points outside the line is a bug too. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "logs/logfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const LogRecord *r, const char *line, size_t len)
{
        if (!r->msg || (len > 0 && (r->msg < line || r->msg + r->msg_len > line + len)))
                abort();
        if (r->program && (r->program < line || r->program + r->program_len > line + len))
                abort();
        if (r->is_access && r->access.method &&
            (r->access.path < line || r->access.path + r->access.path_len > line + len))
                abort();
        if (r->severity < LOG_SEV_UNKNOWN || r->severity > LOG_SEV_DEBUG)
                abort();
}

static void parse_all(const char *data, size_t len, const LogParseContext *ctx)
{
        _cleanup_free_ char *line = xmalloc(len ? len : 1);
        LogRecord r;

        memcpy(line, data, len);
        for (int f = 0; f < _LOG_FORMAT_MAX; f++) {
                int ret = logfmt_parse((LogFormat) f, line, len, ctx, &r);
                if (ret == 0)
                        check(&r, line, len);
                else if (ret != -EBADMSG || f == LOG_FORMAT_GENERIC)
                        abort();
        }
        LogFormat d = logfmt_detect(line, len, ctx);
        if (d < 0 || d >= _LOG_FORMAT_MAX || logfmt_parse(d, line, len, ctx, &r) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* a fixed clock keeps runs reproducible: 2026-11-22 03:00 UTC, booted a day before */
        static const LogParseContext ctx = {.now_ms = INT64_C(1795316400000),
                                            .boot_time_ms = INT64_C(1795230000000)};
        static const LogParseContext no_boot = {.now_ms = INT64_C(1795316400000)};
        const char *text = (const char *) data;

        /* sources cut lines at 64 KiB */
        if (size > 65536)
                return 0;
        parse_all(text, size, &ctx);
        for (size_t i = 0, n = 0; i < size && n < 64; n++) {
                const char *nl = memchr(text + i, '\n', size - i);
                size_t end = nl ? (size_t) (nl - text) : size;
                parse_all(text + i, end - i, &no_boot);
                i = end + 1;
        }

        _cleanup_free_ char *path = xmalloc(size + 1);
        memcpy(path, data, size);
        path[size] = '\0';
        LogFormat f = logfmt_from_path(path);
        if (f != LOG_FORMAT_AUTO && (f < 0 || f >= _LOG_FORMAT_MAX))
                abort();
        return 0;
}

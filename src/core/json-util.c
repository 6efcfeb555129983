#include "core/json-util.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/term.h"
#include "core/time-util.h"

int json_print(const json_t *j, FILE *f)
{
        size_t flags = JSON_REAL_PRECISION(15);

        flags |= isatty(fileno(f)) ? JSON_INDENT(2) : JSON_COMPACT;
        errno = 0;
        if (json_dumpf(j, f, flags) < 0 || fputc('\n', f) == EOF || fflush(f) == EOF || ferror(f))
                return errno > 0 ? -errno : -EIO;
        return 0;
}

json_t *json_double_or_null(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

json_t *json_time_rfc3339(int64_t ms)
{
        char buf[64];
        return json_string(time_format_rfc3339(ms, buf, sizeof(buf)));
}

json_t *json_string_lossy(const char *s)
{
        StrBuf b = {};
        size_t n;

        if (!s)
                return json_string("");
        n = strlen(s);
        json_t *j = json_stringn(s, n); /* the common case: already valid */
        if (j)
                return j;
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len = term_utf8_decode(s + i, n - i, &cp);
                if (cp == 0xfffd)
                        (void) strbuf_puts(&b, "\xef\xbf\xbd");
                else
                        (void) strbuf_append(&b, s + i, len);
                i += len;
        }
        j = json_stringn(strbuf_str(&b), b.len);
        strbuf_done(&b);
        return j ? j : json_string("");
}

json_t *json_str_or_null(const char *s)
{
        return s ? json_string_lossy(s) : json_null();
}

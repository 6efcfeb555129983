/* The common part of log sources (source.h); the kinds live in tail.c, journal.c, kmsg.c
 * and command.c. */
#include "logs/source.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"

int log_source_read(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata)
{
        assert(s && s->ops && fn);
        return s->ops->read(s, max_lines, fn, userdata);
}

char *log_source_get_cursor(LogSource *s)
{
        assert(s && s->ops);
        return s->ops->get_cursor ? s->ops->get_cursor(s) : xstrdup("");
}

int log_source_set_cursor(LogSource *s, const char *cursor)
{
        assert(s && s->ops && cursor);
        if (!s->ops->set_cursor || cursor[0] == '\0')
                return 0;
        return s->ops->set_cursor(s, cursor);
}

int log_source_get_fd(LogSource *s)
{
        assert(s && s->ops);
        return s->ops->get_fd ? s->ops->get_fd(s) : -1;
}

LogSource *log_source_free(LogSource *s)
{
        if (!s)
                return NULL;
        if (s->ops && s->ops->free)
                s->ops->free(s); /* frees its own part, then calls log_source_done() */
        else
                log_source_done(s);
        free(s);
        return NULL;
}

const char *log_source_kind_to_string(LogSourceKind k)
{
        static const char *const names[_LOG_SOURCE_KIND_MAX] = {
                [LOG_SOURCE_FILE] = "file", [LOG_SOURCE_JOURNAL] = "journal",
                [LOG_SOURCE_KMSG] = "kmsg", [LOG_SOURCE_COMMAND] = "command",
                [LOG_SOURCE_FD] = "fd",
        };
        return k >= 0 && k < _LOG_SOURCE_KIND_MAX ? names[k] : "unknown";
}

_printf_(1, 0) static char *vformat(const char *fmt, va_list ap)
{
        _cleanup_(strbuf_done) StrBuf b = {};

        (void) strbuf_vprintf(&b, fmt, ap);
        return strbuf_steal(&b);
}

void log_source_set_error(LogSource *s, const char *fmt, ...)
{
        va_list ap;

        assert(s);
        if (!fmt) {
                log_source_clear_error(s);
                return;
        }
        va_start(ap, fmt);
        char *e = vformat(fmt, ap);
        va_end(ap);
        if (s->error && strcmp(s->error, e) == 0) {
                free(e);
                return;
        }
        free(s->error);
        s->error = e;
        s->error_new = true;
}

void log_source_clear_error(LogSource *s)
{
        assert(s);
        free(s->error);
        s->error = NULL;
        s->error_new = false;
}

void log_source_set_note(LogSource *s, const char *fmt, ...)
{
        va_list ap;

        assert(s);
        free(s->note);
        s->note = NULL;
        if (!fmt)
                return;
        va_start(ap, fmt);
        s->note = vformat(fmt, ap);
        va_end(ap);
}

void log_source_init(LogSource *s, const LogSourceOps *ops, const char *name, const char *target)
{
        assert(s && ops && name);
        *s = (LogSource){
                .ops = ops, .name = xstrdup(name), .target = xstrdup(target ? target : "")};
}

void log_source_done(LogSource *s)
{
        if (!s)
                return;
        free(s->name);
        free(s->target);
        free(s->error);
        free(s->note);
        s->name = s->target = s->error = s->note = NULL;
}

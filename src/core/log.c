#include "core/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "core/parse.h"

static LogLevel log_level = LOG_LEVEL_NOTICE;
static LogTarget log_target = LOG_TARGET_STDERR;
static int log_fd = -1;
static const char *log_prefix = "aiops: ";

static const char *const level_names[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARNING] = "warning", [LOG_LEVEL_NOTICE] = "notice",
        [LOG_LEVEL_INFO] = "info",   [LOG_LEVEL_DEBUG] = "debug",
};

/* syslog(3) priorities for the journal's PRIORITY= field. */
static const int level_priority[_LOG_LEVEL_MAX] = {3, 4, 5, 6, 7};

void log_set_level(LogLevel level)
{
        if (level >= 0 && level < _LOG_LEVEL_MAX)
                log_level = level;
}

LogLevel log_get_level(void)
{
        return log_level;
}

LogLevel log_level_from_string(const char *s)
{
        for (int i = 0; i < _LOG_LEVEL_MAX; i++)
                if (s && strcmp(s, level_names[i]) == 0)
                        return (LogLevel) i;
        return _LOG_LEVEL_INVALID;
}

const char *log_level_to_string(LogLevel level)
{
        return level >= 0 && level < _LOG_LEVEL_MAX ? level_names[level] : NULL;
}

void log_set_prefix(const char *prefix)
{
        log_prefix = prefix ? prefix : "";
}

/* systemd sets JOURNAL_STREAM=<dev>:<ino> for services whose stderr goes to the journal; the
 * check that our stderr is that very stream keeps a child with redirected stderr honest. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        uint64_t dev, ino;
        struct stat st;

        if (!e || fstat(STDERR_FILENO, &st) < 0)
                return false;
        if (parse_u64(&e, &dev) < 0 || *e++ != ':' || parse_u64(&e, &ino) < 0 || *e)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_open_auto(void)
{
        if (stderr_is_journal())
                log_target = LOG_TARGET_JOURNAL;
}

int log_open_file(const char *path)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return -errno;
        log_close();
        log_fd = fd;
        log_target = LOG_TARGET_FILE;
        return 0;
}

void log_close(void)
{
        if (log_fd >= 0)
                (void) close(log_fd);
        log_fd = -1;
        log_target = LOG_TARGET_STDERR;
}

LogTarget log_get_target(void)
{
        return log_target;
}

int log_internal(LogLevel level, int error, const char *file, int line, const char *fmt, ...)
{
        char msg[4096];
        int saved = errno;
        va_list ap;

        /* An out-of-range level would index past level_names[]: log it as an error. */
        if (level < 0 || level >= _LOG_LEVEL_MAX)
                level = LOG_LEVEL_ERROR;
        if (error < 0)
                error = -error;
        if (error)
                errno = error;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (log_target == LOG_TARGET_JOURNAL) {
                char code_line[32];
                (void) snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
                (void) sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level_priority[level],
                                       "CODE_FILE=%s", file, code_line, "SYSLOG_IDENTIFIER=aiops",
                                       NULL);
        } else if (log_target == LOG_TARGET_FILE) {
                char stamp[40];
                struct timespec ts;
                struct tm tm;
                (void) clock_gettime(CLOCK_REALTIME, &ts);
                (void) localtime_r(&ts.tv_sec, &tm);
                (void) strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
                dprintf(log_fd, "%s aiops[%d] %s: %s\n", stamp, (int) getpid(), level_names[level],
                        msg);
        } else {
                dprintf(STDERR_FILENO, "%s%s%s\n", log_prefix,
                        level == LOG_LEVEL_WARNING ? "warning: " : "", msg);
        }

        errno = saved;
        return error ? -error : 0;
}

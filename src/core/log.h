/* Levelled logging to stderr, a file, or the journal when running under systemd.
 * log_*_errno(r, ...) set errno = -r so the format may use %m, and return r, so that
 * `return log_error_errno(r, "...: %m");` logs and propagates in one line (STYLE.md §7).
 * Not thread-safe for reconfiguration; logging itself is a single write per message. */
#pragma once

#include <stdbool.h>

#include "core/macro.h"

typedef enum LogLevel {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        _LOG_LEVEL_MAX,
        _LOG_LEVEL_INVALID = -EINVAL,
} LogLevel;

typedef enum LogTarget {
        LOG_TARGET_STDERR,
        LOG_TARGET_FILE,
        LOG_TARGET_JOURNAL,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

void log_set_level(LogLevel level);
LogLevel log_get_level(void);
/* "error", "warning", "notice", "info", "debug"; -EINVAL otherwise. */
LogLevel log_level_from_string(const char *s);
const char *log_level_to_string(LogLevel level);

/* Logs to the journal when stderr is connected to it (JOURNAL_STREAM), else to stderr. */
void log_open_auto(void);
/* Appends to `path` (created 0640). Returns 0 or -errno; on failure the target is unchanged. */
int log_open_file(const char *path);
void log_close(void);
LogTarget log_get_target(void);

/* Prefix printed before each stderr line, e.g. "aiops: ". Borrowed; must outlive logging. */
void log_set_prefix(const char *prefix);

int log_internal(LogLevel level, int error, const char *file, int line, const char *fmt, ...)
        _printf_(5, 6);

#define log_full_errno(level, error, ...)                                                        \
        ({                                                                                       \
                int _l_ = (level), _e_ = (error);                                                \
                _l_ <= log_get_level() ? log_internal(_l_, _e_, __FILE__, __LINE__, __VA_ARGS__) \
                                       : (_e_ > 0 ? -_e_ : _e_);                                 \
        })

#define log_debug(...)   log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full_errno(LOG_LEVEL_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_LEVEL_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...)  log_full_errno(LOG_LEVEL_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_LEVEL_ERROR, e, __VA_ARGS__)

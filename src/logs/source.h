/* Log sources: where lines come from. A source is a file followed through rotation, the
 * systemd journal, the kernel ring buffer (/dev/kmsg), a command's stdout, or a file
 * descriptor such as stdin. Every kind has the same interface: read what is there now, hand
 * each line to a callback, and describe the position after the last line handed out as a
 * cursor string, which the caller persists and gives back after a restart so that no line is
 * read twice and none is skipped.
 *
 * Failure isolation: a source never aborts the process and never logs (the logs layer is
 * non-logging); it keeps its last error as text ("permission denied", "line over 1 MiB
 * truncated", ...) for the caller to report once, and goes on where it can.
 *
 * Lines handed out are valid UTF-8 (invalid bytes become U+FFFD), have no "\n" or trailing
 * "\r", and are at most LOG_LINE_MAX_BYTES; the rest of a longer line is skipped and
 * `truncated` is set. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

#define LOG_LINE_MAX_BYTES (64u * 1024u)

typedef enum LogSourceKind {
        LOG_SOURCE_FILE,
        LOG_SOURCE_JOURNAL,
        LOG_SOURCE_KMSG,
        LOG_SOURCE_COMMAND,
        LOG_SOURCE_FD,
        _LOG_SOURCE_KIND_MAX,
} LogSourceKind;

/* One line and what the source itself knows of it (journal fields, kmsg header). */
typedef struct LogLine {
        const char *text; /* borrowed for the callback */
        size_t len;
        bool truncated;
        int64_t ts_ms;       /* 0: the source does not know (files, commands) */
        int severity;        /* LOG_SEV_* of logfmt.h; -1 unknown */
        const char *program; /* journal SYSLOG_IDENTIFIER or _COMM; NULL */
        int64_t pid;         /* 0 unknown */
        const char *unit;    /* journal _SYSTEMD_UNIT; NULL */
        uint64_t seq;        /* kmsg sequence number; 0 */
        bool backfill;       /* from rotated history read once at first sight */
} LogLine;

/* Return < 0 to stop reading; log_source_read() then returns that value. The source's
 * cursor already points after this line when the callback runs, so a callback that stops
 * still gets the line counted as read. */
typedef int (*LogLineFn)(void *userdata, const LogLine *line);

typedef struct LogSource LogSource;

typedef struct LogSourceOps {
        LogSourceKind kind;
        /* Reads up to max_lines lines (0: no limit) that are available now, without blocking.
         * Returns the number of lines handed out (0: nothing new), or a negative errno for a
         * failure of the source as a whole (set the error text first). */
        int (*read)(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata);
        /* The position after the last line handed out, "" before any; caller frees. */
        char *(*get_cursor)(LogSource *s);
        /* Continue after this position; a cursor that no longer applies (the file was
         * replaced, the journal vacuumed) is not an error: the source says what it did in its
         * note and starts from the best place it can. -EINVAL for a malformed cursor. */
        int (*set_cursor)(LogSource *s, const char *cursor);
        /* An fd that becomes readable when there may be new lines (inotify, journal, kmsg,
         * pipe), or -1 if the caller must poll. */
        int (*get_fd)(LogSource *s);
        void (*free)(LogSource *s);
} LogSourceOps;

/* The common part; implementations embed it first. */
struct LogSource {
        const LogSourceOps *ops;
        char *name;     /* e.g. "nginx-access", "journal", "kmsg" */
        char *target;   /* path, unit list, command: what is read, for `aiops logs sources` */
        char *error;    /* the current failure, NULL when healthy */
        bool error_new; /* set with error; the caller reports it once and clears this */
        char *note;     /* the last noteworthy event (rotation, truncation, restart), or NULL */
        uint64_t lines;
        uint64_t bytes;
        uint64_t truncated_lines;
        bool eof; /* a command exited or an fd hit end of file; nothing more will come */
};

int log_source_read(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata);
char *log_source_get_cursor(LogSource *s);
int log_source_set_cursor(LogSource *s, const char *cursor);
int log_source_get_fd(LogSource *s);
LogSource *log_source_free(LogSource *s);
DEFINE_FREEP(LogSource, log_source_free)
const char *log_source_kind_to_string(LogSourceKind k); /* "file", "journal", ... */

/* For implementations: sets the error (formatted, replacing any) and error_new if it differs
 * from the current one; NULL fmt clears it. Same for the note. */
_printf_(2, 3) void log_source_set_error(LogSource *s, const char *fmt, ...);
void log_source_clear_error(LogSource *s);
_printf_(2, 3) void log_source_set_note(LogSource *s, const char *fmt, ...);
/* Fills the common part (ops, name, target duplicated). */
void log_source_init(LogSource *s, const LogSourceOps *ops, const char *name, const char *target);
void log_source_done(LogSource *s);

/* --- constructors (each in its own module) --- */

/* tail.c: a file followed by name through rotation (rename or copytruncate), deletion and
 * re-creation. Without a cursor the source starts at the end of the file, unless
 * from_start; with backfill, at first sight (no cursor) it first reads the rotated history
 * (path.N.gz ... path.2.gz, path.1, also .zst and -YYYYMMDD forms) oldest first, once. */
typedef struct LogTailOptions {
        bool from_start;
        bool backfill;
} LogTailOptions;
int log_source_new_file(const char *name, const char *path, const LogTailOptions *opt,
                        LogSource **ret);
/* tail.c, for tests: the monotonic clock (ms) behind the 30 s a rotated-away or deleted
 * file is still read after it last grew. */
void log_source_file_set_clock(LogSource *s, int64_t (*now_ms)(void *userdata), void *userdata);

/* journal.c: the systemd journal through sd-journal. units: NULL-terminated list of unit
 * names to match (_SYSTEMD_UNIT or UNIT with _PID=1), NULL for all; a name without a "."
 * means name.service, and one with blanks, "=" or control characters is -EINVAL. files:
 * NULL-terminated journal files to read instead of the system journal (tests, exported
 * journals), or NULL. Without a cursor it starts at the tail (new entries only), unless
 * from_start; at the tail the cursor is the last entry's from the start, so that a cursor
 * saved before any line loses nothing. The cursor is sd-journal's. A line is an entry's
 * MESSAGE, its inner newlines joined by spaces. No journal on the system is not a failure:
 * the source is made, with the error saying so. */
int log_source_new_journal(const char *name, const char *const *units, const char *const *files,
                           bool from_start, LogSource **ret);

/* kmsg.c: the kernel ring buffer; path NULL for /dev/kmsg. The cursor is the sequence number
 * of the last record; after a reboot (a new boot id) the cursor is ignored. Without a cursor
 * it starts at the oldest record still in the buffer. Records lost to buffer overrun (EPIPE)
 * are counted in the note. The cursor reads "boot=<boot id> seq=<n>". A path naming a
 * regular file is read as text, one record per line as /dev/kmsg gives them (tests). The
 * record parser is in kmsg.h. */
int log_source_new_kmsg(const char *name, const char *path, LogSource **ret);

/* command.c: runs `sh -c command` with stdout (and stderr, if merge_stderr; else stderr is
 * ours) piped to the source, stdin from /dev/null; eof when its output closes (its status
 * goes into the note, "exited with status 0", or the error if not 0, "exited with status 3",
 * "killed by signal 9"). No cursor: every run reads anew. The child's process group is
 * killed (SIGTERM, SIGKILL after 2 s) when the source is freed. */
int log_source_new_command(const char *name, const char *command, bool merge_stderr,
                           LogSource **ret);
/* command.c: any readable fd (stdin), which the source takes over (also on failure) and
 * closes at eof; its flags are left alone (a pipe or terminal is polled before reading). */
int log_source_new_fd(const char *name, int fd, LogSource **ret);

/* The systemd journal as a log source (source.h), through sd-journal.
 *
 * One entry is one line: its MESSAGE, with embedded newlines (multi-line messages, stack
 * traces sent in one sd_journal_send()) joined by single spaces so that nothing is lost and
 * the entry stays one line; trailing newlines are dropped. A binary MESSAGE is sanitised to
 * UTF-8 and cut at LOG_LINE_MAX_BYTES like any line.
 *
 * The cursor is sd-journal's own cursor string.
 *
 * Damage: sd-journal (v252) skips unreadable objects without a word. An entry whose data is
 * damaged loses those fields (a MESSAGE-less entry is not a line); where an entry array is
 * damaged, iteration just ends there, or the file is dropped from the set read (its disk usage
 * then leaves the total). We report what shows: errors sd_journal_next() does return, the
 * total usage going down during sd_journal_next(), and, without unit matches, the journal
 * headers naming a later last entry (realtime) than any we reached which seeking to its time
 * does not find either. The last check is off with unit matches, where the last matching
 * entry is rarely the last entry. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "core/time-util.h"
#include "logs/linebuf.h"
#include "logs/source.h"

#define FIELD_MAX 256u /* program and unit names are cut here */
/* Entries looked through for a cursor's entry where sd-journal lands before it. */
#define CURSOR_LOOKAHEAD 1000u

typedef struct JournalSource {
        LogSource base;
        sd_journal *j;
        bool files;            /* reading the given files, not the system journal */
        bool pending;          /* positioned on an entry not handed out yet (see set_cursor) */
        bool no_journal;       /* the system journal had no files when last checked */
        bool matches;          /* unit matches in effect */
        uint64_t max_realtime; /* usec: the latest entry reached, or the tail at the start */
        uint64_t reachable_realtime; /* usec: a header's last entry found readable */
        char *cursor;                /* after the last entry handed out; NULL: none */
        char *raw; /* the message with newlines joined, at most LOG_LINE_MAX_BYTES */
        char *out; /* its sanitised form: 3 * LOG_LINE_MAX_BYTES + 1 */
        char program[3 * FIELD_MAX + 1];
        char unit[3 * FIELD_MAX + 1];
} JournalSource;

static JournalSource *to_journal(LogSource *s)
{
        assert(s && s->ops->kind == LOG_SOURCE_JOURNAL);
        return (JournalSource *) s;
}

/* The value of FIELD in the current entry (pointing into sd-journal's buffer, valid until
 * the next call on the journal), or NULL if the entry has none or it cannot be read. */
static const char *get_field(sd_journal *j, const char *field, size_t *ret_len, int *reterr)
{
        const void *d;
        size_t l, fl = strlen(field);

        int r = sd_journal_get_data(j, field, &d, &l);
        if (r < 0) {
                if (reterr)
                        *reterr = r;
                return NULL;
        }
        /* sd-journal returns "FIELD=value"; check rather than trust it. */
        if (l <= fl || memcmp(d, field, fl) != 0 || ((const char *) d)[fl] != '=') {
                if (reterr)
                        *reterr = -EBADMSG;
                return NULL;
        }
        *ret_len = l - fl - 1;
        return (const char *) d + fl + 1;
}

/* Copies a short field as valid UTF-8 without control characters into buf (3 * FIELD_MAX
 * + 1 bytes); returns buf, or NULL if the entry lacks it or it is empty. */
static const char *copy_short_field(sd_journal *j, const char *field, char *buf)
{
        char tmp[FIELD_MAX];
        size_t len;
        const char *v = get_field(j, field, &len, NULL);

        if (!v || len == 0)
                return NULL;
        len = MIN(len, sizeof(tmp));
        for (size_t i = 0; i < len; i++)
                tmp[i] = (unsigned char) v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
        size_t n = utf8_sanitize(tmp, len, buf);
        buf[n] = '\0';
        return buf;
}

static int64_t get_number_field(sd_journal *j, const char *field, int64_t dflt)
{
        char tmp[32];
        size_t len;
        int64_t v;
        const char *p = get_field(j, field, &len, NULL);

        if (!p || len == 0 || len >= sizeof(tmp))
                return dflt;
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        return safe_atoi64(tmp, &v) < 0 ? dflt : v;
}

/* Joins the lines of a message with single spaces (dropping "\r" before "\n" and trailing
 * line ends) into js->raw, at most LOG_LINE_MAX_BYTES, cut at a character boundary; then
 * sanitises it into js->out. Returns the length of js->out. */
static size_t prepare_text(JournalSource *js, const char *msg, size_t len, bool *ret_truncated)
{
        size_t n = 0;
        bool truncated = false;

        while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
                len--;
        for (size_t i = 0; i < len; i++) {
                char c = msg[i];
                if (c == '\r' && i + 1 < len && msg[i + 1] == '\n')
                        continue;
                if (c == '\n')
                        c = ' ';
                if (n == LOG_LINE_MAX_BYTES) {
                        truncated = true;
                        /* Do not leave a partial UTF-8 sequence at the cut. */
                        size_t back = 0;
                        while (back < 3 && n > back &&
                               ((unsigned char) js->raw[n - back - 1] & 0xc0) == 0x80)
                                back++;
                        if (n > back && (unsigned char) js->raw[n - back - 1] >= 0xc0)
                                n -= back + 1;
                        break;
                }
                js->raw[n++] = c;
        }

        size_t out_len = utf8_sanitize(js->raw, n, js->out);
        /* Invalid bytes grow 1 -> 3 (U+FFFD): cut again at the limit, on a boundary. */
        if (out_len > LOG_LINE_MAX_BYTES) {
                truncated = true;
                out_len = LOG_LINE_MAX_BYTES;
                while (out_len > 0 && ((unsigned char) js->out[out_len] & 0xc0) == 0x80)
                        out_len--;
        }
        js->out[out_len] = '\0';
        *ret_truncated = truncated;
        return out_len;
}

static uint64_t journal_usage(sd_journal *j)
{
        uint64_t u = 0;

        return sd_journal_get_usage(j, &u) < 0 ? 0 : u;
}

/* Journal files in root/<machine id>/, where journald keeps them, readable or not. */
static bool has_journal_files(const char *root)
{
        DIR *d = opendir(root);
        bool found = false;

        if (!d)
                return false;
        for (struct dirent *de; !found && (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", root, de->d_name);
                DIR *e = opendir(sub);
                if (!e)
                        continue;
                for (struct dirent *fe; !found && (fe = readdir(e));)
                        found = strstr(fe->d_name, ".journal") != NULL;
                closedir(e);
        }
        closedir(d);
        return found;
}

/* usage: the journal's current disk usage (0: sd-journal has no files open). */
static void check_no_journal(JournalSource *js, uint64_t usage)
{
        static const char *const roots[] = {"/var/log/journal", "/run/log/journal"};
        bool none = usage == 0;

        if (js->files)
                return;
        if (none && !js->no_journal) {
                bool dirs = false, files = false;
                for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                        dirs = dirs || access(roots[i], F_OK) >= 0;
                        files = files || has_journal_files(roots[i]);
                }
                if (files)
                        log_source_set_error(&js->base,
                                             "journal: cannot read the journal files (root or "
                                             "the systemd-journal group is needed)");
                /* Not a failure: a host without journald has nothing to read here. */
                else if (dirs)
                        log_source_set_note(&js->base, "journal: no journal files yet (is "
                                                       "systemd-journald running?)");
                else
                        log_source_set_note(&js->base,
                                            "journal: no journal on this system (neither "
                                            "/var/log/journal nor /run/log/journal exists; is "
                                            "systemd-journald running?)");
        } else if (!none && js->no_journal) {
                log_source_clear_error(&js->base);
                log_source_set_note(&js->base, NULL);
        }
        js->no_journal = none;
}

/* Moves onto the entry a cursor names. 1: on it; 0: it is gone, and the journal is on the
 * first entry after its position (seqnum, else monotonic time in its boot, else realtime),
 * not handed out yet; -ENOENT: gone and nothing after it (sd-journal keeps the position: the
 * next sd_journal_next() returns what comes after it); -EINVAL: malformed. */
static int seek_to_cursor(sd_journal *j, const char *cursor)
{
        if (sd_journal_seek_cursor(j, cursor) < 0)
                return -EINVAL;
        int r = sd_journal_next(j);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        if (sd_journal_test_cursor(j, cursor) > 0)
                return 1;
        /* sd-journal 252 can land early where the journal's files have different seqnum IDs
         * and the clock went back between them (it seeks those files by time); the entry
         * may be just ahead. */
        for (unsigned i = 0; i < CURSOR_LOOKAHEAD && sd_journal_next(j) > 0; i++)
                if (sd_journal_test_cursor(j, cursor) > 0)
                        return 1;
        /* Really gone (vacuumed, or another journal): back to where sd-journal placed us. */
        if (sd_journal_seek_cursor(j, cursor) >= 0 && sd_journal_next(j) > 0)
                return 0;
        return -ENOENT;
}

/* Whether an entry with this realtime can be reached by seeking to it; then back to where
 * we were (on the last entry handed out, or at the head if none). */
static bool entry_reachable(JournalSource *js, uint64_t realtime)
{
        uint64_t us = 0;
        bool found = sd_journal_seek_realtime_usec(js->j, realtime) >= 0 &&
                     sd_journal_next(js->j) > 0 && sd_journal_get_realtime_usec(js->j, &us) >= 0 &&
                     us == realtime;

        if (!js->cursor)
                (void) sd_journal_seek_head(js->j);
        else if (seek_to_cursor(js->j, js->cursor) == 0)
                js->pending = true; /* vacuumed meanwhile */
        return found;
}

/* At the end of what sd_journal_next() gives: true if it was not the end after all (the
 * journal is positioned on an entry not handed out yet), else reports signs of damage. */
static bool check_damage(JournalSource *js, uint64_t usage_before)
{
        LogSource *s = &js->base;
        uint64_t from, to;
        char when[32];

        /* A file sd-journal could not iterate leaves the set; the set then weighs less. */
        if (journal_usage(js->j) < usage_before) {
                log_source_set_error(s, "journal: a journal file could not be read on and was "
                                        "dropped (damaged?); its later entries are lost");
                return false;
        }
        if (js->matches || sd_journal_get_cutoff_realtime_usec(js->j, &from, &to) <= 0 ||
            to <= js->max_realtime)
                return false;
        /* An entry appended since sd_journal_next() looked would explain it too. */
        int r = sd_journal_next(js->j);
        if (r > 0) {
                js->pending = true;
                return true;
        }
        /* So would an entry before our position in sd-journal's order (another file, after
         * the clock went back) that is there to read. */
        if (to == js->reachable_realtime || entry_reachable(js, to)) {
                js->reachable_realtime = to;
                return js->pending;
        }
        log_source_set_error(s,
                             "journal: entries up to %s are recorded but cannot be read "
                             "(damaged file?), skipping them",
                             time_format_rfc3339((int64_t) (to / 1000), when, sizeof(when)));
        return js->pending;
}

static int journal_read(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata)
{
        JournalSource *js = to_journal(s);
        int count = 0;

        if (!js->j)
                return 0;
        (void) sd_journal_process(js->j);
        uint64_t usage_before = journal_usage(js->j);
        check_no_journal(js, usage_before);
        if (js->no_journal)
                return 0;

        for (;;) {
                int r;

                if (max_lines > 0 && (size_t) count >= max_lines)
                        break;
                if (js->pending)
                        js->pending = false;
                else {
                        r = sd_journal_next(js->j);
                        if (r < 0) {
                                /* Possibly the same error at the same place on the next
                                 * call: stop here and let the caller come back. */
                                log_source_set_error(s, "journal: %s", strerror(-r));
                                break;
                        }
                        if (r == 0) {
                                if (check_damage(js, usage_before))
                                        continue; /* not the end after all */
                                break;
                        }
                }

                char *c = NULL;
                r = sd_journal_get_cursor(js->j, &c);
                if (r < 0) {
                        log_source_set_error(s, "journal: cannot get the cursor: %s", strerror(-r));
                        continue;
                }
                free(js->cursor);
                js->cursor = c;
                uint64_t usec = 0;
                (void) sd_journal_get_realtime_usec(js->j, &usec);
                js->max_realtime = MAX(js->max_realtime, usec);

                size_t mlen;
                int err = 0;
                const char *msg = get_field(js->j, "MESSAGE", &mlen, &err);
                if (!msg) {
                        /* Entries without a MESSAGE carry no line; a damaged one is
                         * skipped by sd-journal the same way (-ENOENT). */
                        if (err != -ENOENT)
                                log_source_set_error(s, "journal: cannot read an entry: %s",
                                                     strerror(-err));
                        continue;
                }

                LogLine line = {.severity = -1};
                line.len = prepare_text(js, msg, mlen, &line.truncated);
                line.text = js->out;

                if (usec > 0)
                        line.ts_ms = (int64_t) (usec / 1000);
                int64_t prio = get_number_field(js->j, "PRIORITY", -1);
                line.severity = prio >= 0 && prio <= 7 ? (int) prio : -1;
                line.program = copy_short_field(js->j, "SYSLOG_IDENTIFIER", js->program);
                if (!line.program)
                        line.program = copy_short_field(js->j, "_COMM", js->program);
                int64_t pid = get_number_field(js->j, "_PID", 0);
                line.pid = pid > 0 ? pid : 0;
                line.unit = copy_short_field(js->j, "_SYSTEMD_UNIT", js->unit);

                s->lines++;
                s->bytes += line.len;
                if (line.truncated)
                        s->truncated_lines++;
                count++;
                r = fn(userdata, &line);
                if (r < 0)
                        return r;
        }
        return count;
}

static char *journal_get_cursor(LogSource *s)
{
        JournalSource *js = to_journal(s);

        return xstrdup(js->cursor ? js->cursor : "");
}

static int journal_set_cursor(LogSource *s, const char *cursor)
{
        JournalSource *js = to_journal(s);

        if (!js->j)
                return 0;
        int r = seek_to_cursor(js->j, cursor);
        if (r == -EINVAL) {
                log_source_set_note(s, "journal: malformed cursor, reading from the oldest entry");
                (void) sd_journal_seek_head(js->j);
                js->pending = false;
                return -EINVAL;
        }
        free(js->cursor);
        js->cursor = xstrdup(cursor);
        js->pending = r == 0;
        js->max_realtime = 0;
        if (r > 0) {
                /* On the last entry handed out; reading goes on after it. */
                (void) sd_journal_get_realtime_usec(js->j, &js->max_realtime);
                return 0;
        }
        if (r == 0) {
                log_source_set_note(s, "journal: cursor entry no longer in the journal, "
                                       "continuing with the oldest entry after it");
                return 0;
        }
        if (r != -ENOENT)
                log_source_set_error(s, "journal: %s", strerror(-r));
        log_source_set_note(s, "journal: cursor entry no longer in the journal and nothing "
                               "after it, waiting for new entries");
        return 0;
}

static int journal_get_fd(LogSource *s)
{
        JournalSource *js = to_journal(s);

        if (!js->j)
                return -1;
        int fd = sd_journal_get_fd(js->j);
        return fd < 0 ? -1 : fd;
}

static void journal_free(LogSource *s)
{
        JournalSource *js = to_journal(s);

        if (js->j)
                sd_journal_close(js->j);
        free(js->cursor);
        free(js->raw);
        free(js->out);
        log_source_done(s);
}

static const LogSourceOps journal_ops = {
        .kind = LOG_SOURCE_JOURNAL,
        .read = journal_read,
        .get_cursor = journal_get_cursor,
        .set_cursor = journal_set_cursor,
        .get_fd = journal_get_fd,
        .free = journal_free,
};

static bool unit_name_is_valid(const char *u)
{
        size_t n = strlen(u);

        if (n == 0 || n > FIELD_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) u[i] <= ' ' || u[i] == '=' || u[i] == 0x7f)
                        return false;
        return true;
}

static int add_match(sd_journal *j, const char *field, const char *value, const char *suffix)
{
        _cleanup_free_ char *m = xasprintf("%s=%s%s", field, value, suffix);

        return sd_journal_add_match(j, m, 0);
}

/* journalctl -u: for each unit, _SYSTEMD_UNIT=u OR (UNIT=u AND _PID=1), the units ORed.
 * Matches on different fields AND; add_disjunction closes a term and ORs it with the next. */
static int add_unit_matches(sd_journal *j, const char *const *units, StrBuf *target)
{
        int r;

        for (const char *const *u = units; *u; u++) {
                if (!unit_name_is_valid(*u))
                        return -EINVAL;
                /* A bare name means the service, as with journalctl -u. */
                const char *suffix = strchr(*u, '.') ? "" : ".service";
                r = add_match(j, "_SYSTEMD_UNIT", *u, suffix);
                if (r < 0)
                        return r;
                r = sd_journal_add_disjunction(j);
                if (r < 0)
                        return r;
                r = add_match(j, "UNIT", *u, suffix);
                if (r < 0)
                        return r;
                r = sd_journal_add_match(j, "_PID=1", 0);
                if (r < 0)
                        return r;
                r = sd_journal_add_disjunction(j);
                if (r < 0)
                        return r;
                (void) strbuf_printf(target, "%s%s%s", target->len > 0 ? "," : "", *u, suffix);
        }
        return 0;
}

int log_source_new_journal(const char *name, const char *const *units, const char *const *files,
                           bool from_start, LogSource **ret)
{
        _cleanup_(strbuf_done) StrBuf target = {};
        _cleanup_(log_source_freep) LogSource *s = NULL;
        JournalSource *js;
        int r;

        assert(name && ret);
        js = xnew0(JournalSource, 1);
        s = &js->base;
        log_source_init(s, &journal_ops, name, NULL);
        js->raw = xmalloc(LOG_LINE_MAX_BYTES);
        js->out = xmalloc(3 * LOG_LINE_MAX_BYTES + 1);
        js->files = files && files[0];

        if (js->files) {
                r = sd_journal_open_files(&js->j, (const char **) files, 0);
                if (r < 0) {
                        js->j = NULL;
                        return r;
                }
        } else {
                r = sd_journal_open(&js->j, SD_JOURNAL_LOCAL_ONLY);
                if (r < 0) {
                        js->j = NULL;
                        return r;
                }
        }
        /* sd-journal stops decompressing a field at this size (64 KiB by default); one byte
         * more than a line tells us the message was longer. */
        (void) sd_journal_set_data_threshold(js->j, strlen("MESSAGE=") + LOG_LINE_MAX_BYTES + 1);

        if (units && units[0]) {
                r = add_unit_matches(js->j, units, &target);
                if (r < 0)
                        return r;
                js->matches = true;
        } else
                (void) strbuf_puts(&target, "all units");
        if (js->files)
                for (const char *const *f = files; *f; f++)
                        (void) strbuf_printf(&target, " %s", *f);
        free(s->target);
        s->target = strbuf_steal(&target);

        /* Position now, so entries that arrive before the first read are not lost; a cursor
         * given later moves us again. At the tail, stand on the last entry, so that reading
         * returns what comes after it and the cursor already names it. */
        if (from_start)
                r = sd_journal_seek_head(js->j);
        else {
                uint64_t from;
                r = sd_journal_seek_tail(js->j);
                if (r >= 0 && sd_journal_previous(js->j) > 0) {
                        char *c = NULL;
                        if (sd_journal_get_cursor(js->j, &c) >= 0)
                                js->cursor = c;
                } else if (r >= 0)
                        /* Empty: all that comes is new. (sd-journal 252 answers the first
                         * sd_journal_next() after seek_tail with the last entry, which would
                         * skip all before it.) */
                        r = sd_journal_seek_head(js->j);
                /* What lies before the tail is not ours to read, damaged or not. */
                if (sd_journal_get_cutoff_realtime_usec(js->j, &from, &js->max_realtime) <= 0)
                        js->max_realtime = 0;
        }
        if (r < 0)
                return r;

        check_no_journal(js, journal_usage(js->j));
        *ret = TAKE_PTR(s);
        return 0;
}

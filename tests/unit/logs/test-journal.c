/* The journal source over real .journal files, made at test time from the export-format
 * fixtures in logs/journal/ (see gen-export.py there) by systemd-journal-remote; the tests
 * skip when it is not installed. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "logs/source.h"
#include "test-util.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#define BASE_MS        INT64_C(1700000000000)
#define MAX_GOT        64

typedef struct Got {
        char *text;
        size_t len;
        bool truncated;
        int64_t ts_ms;
        int severity;
        char *program;
        int64_t pid;
        char *unit;
} Got;

typedef struct Collect {
        Got got[MAX_GOT];
        size_t n;
        size_t stop_after; /* the callback returns -ECANCELED on this line; 0: never */
        LogSource *src;
        char *cursor_seen; /* the cursor while the stopping line was handed out */
} Collect;

static int collect(void *userdata, const LogLine *l)
{
        Collect *c = userdata;

        assert_true(c->n < MAX_GOT);
        assert_int_equal(strlen(l->text), l->len); /* NUL-terminated, no NUL inside here */
        c->got[c->n++] = (Got){
                .text = xstrndup(l->text, l->len),
                .len = l->len,
                .truncated = l->truncated,
                .ts_ms = l->ts_ms,
                .severity = l->severity,
                .program = l->program ? xstrdup(l->program) : NULL,
                .pid = l->pid,
                .unit = l->unit ? xstrdup(l->unit) : NULL,
        };
        if (c->stop_after > 0 && c->n == c->stop_after) {
                c->cursor_seen = log_source_get_cursor(c->src);
                return -ECANCELED;
        }
        return 0;
}

static void collect_done(Collect *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->got[i].text);
                free(c->got[i].program);
                free(c->got[i].unit);
        }
        free(c->cursor_seen);
        *c = (Collect){};
}

static bool have_journal_remote(void)
{
        return access(JOURNAL_REMOTE, X_OK) == 0;
}

#define REQUIRE_JOURNAL_REMOTE()                                                       \
        do {                                                                           \
                if (!have_journal_remote()) {                                          \
                        print_message("skipping: " JOURNAL_REMOTE " is not installed " \
                                      "(apt-get install systemd-journal-remote)\n");   \
                        skip();                                                        \
                }                                                                      \
        } while (0)

/* Runs journal-remote to write (or append to) journal from an export file. */
static void journal_remote(const char *export_path, const char *journal)
{
        _cleanup_free_ char *out = xasprintf("--output=%s", journal);
        char *argv[] = {(char *) "systemd-journal-remote", out, (char *) export_path, NULL};
        int status;

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(126);
                execv(JOURNAL_REMOTE, argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* dir/name.journal from logs/journal/<export> (caller frees). */
static char *make_journal(const char *dir, const char *export_name, const char *name)
{
        _cleanup_free_ char *rel = xasprintf("logs/journal/%s", export_name);
        _cleanup_free_ char *export_path = test_data_path(rel);
        char *journal = xasprintf("%s/%s.journal", dir, name);

        journal_remote(export_path, journal);
        return journal;
}

static LogSource *open_files(const char *path, const char *const *units, bool from_start)
{
        const char *files[] = {path, NULL};
        LogSource *s = NULL;

        assert_int_equal(log_source_new_journal("journal", units, files, from_start, &s), 0);
        assert_non_null(s);
        return s;
}

/* The MESSAGE of the sample entries that carry one, in order (entry 9 has none). */
static const char *const sample_text[] = {
        "Started nginx.service - A high performance web server.",
        "connect() failed (111: Connection refused) while connecting to upstream",
        "myapp.service: Main process exited, code=exited, status=1/FAILURE",
        "line one line two (multi-line, binary-safe field)",
        "bad bytes \xef\xbf\xbd\xef\xbf\xbd end",
        "(root) CMD (systemctl reload nginx.service)",
        "bind() to 0.0.0.0:80 failed (98: Address already in use)",
        ("nginx[4242]: segfault at 0 ip 000055f861214155 sp 00007ffe82d10820 error 4 in "
         "nginx[55f861214000+1000] likely on CPU 0 (core 0, socket 0)"),
        "nginx.service: Main process exited, code=killed, status=11/SEGV",
        "Stopped nginx.service - A high performance web server.",
};
/* Seconds after BASE of each of them. */
static const int sample_sec[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10};

static void assert_got(const Got *g, const char *text, int sec, int sev, const char *program,
                       int64_t pid, const char *unit)
{
        assert_string_equal(g->text, text);
        assert_false(g->truncated);
        assert_int_equal(g->ts_ms, BASE_MS + sec * 1000);
        assert_int_equal(g->severity, sev);
        if (program)
                assert_string_equal(g->program, program);
        else
                assert_null(g->program);
        assert_int_equal(g->pid, pid);
        if (unit)
                assert_string_equal(g->unit, unit);
        else
                assert_null(g->unit);
}

static void test_journal_read_all(void **state)
{
        _cleanup_free_ char *dir = NULL, *journal = NULL, *cursor = NULL;
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");
        s = open_files(journal, NULL, true);
        assert_int_equal(s->ops->kind, LOG_SOURCE_JOURNAL);
        assert_null(s->error);
        assert_true(log_source_get_fd(s) >= 0);
        cursor = log_source_get_cursor(s);
        assert_string_equal(cursor, ""); /* from the start: nothing handed out yet */

        assert_int_equal(log_source_read(s, 0, collect, &c), 10);
        assert_int_equal(c.n, 10);
        for (size_t i = 0; i < c.n; i++) {
                assert_string_equal(c.got[i].text, sample_text[i]);
                assert_int_equal(c.got[i].ts_ms, BASE_MS + sample_sec[i] * 1000);
        }
        assert_got(&c.got[0], sample_text[0], 0, 6, "systemd", 1, "init.scope");
        assert_got(&c.got[1], sample_text[1], 1, 3, "nginx", 4242, "nginx.service");
        /* Multi-line: joined with spaces, the trailing newline dropped. */
        assert_got(&c.got[3], sample_text[3], 3, 2, "myapp", 777, "myapp.service");
        /* Invalid UTF-8 (0xff 0xfe) becomes U+FFFD, "\r\n" at the end is dropped; no
         * PRIORITY, no SYSLOG_IDENTIFIER: _COMM is the program. */
        assert_got(&c.got[4], sample_text[4], 4, -1, "myapp-worker", 778, "myapp.service");
        /* A kernel line: no _PID, no unit. */
        assert_got(&c.got[7], sample_text[7], 7, 6, "kernel", 0, NULL);
        assert_int_equal(s->lines, 10);
        assert_null(s->error);

        /* Nothing more, and nothing twice. */
        assert_int_equal(log_source_read(s, 0, collect, &c), 0);
        assert_int_equal(c.n, 10);
        free(cursor);
        cursor = log_source_get_cursor(s);
        assert_non_null(strstr(cursor, "s=")); /* sd-journal's cursor */
        collect_done(&c);
        s = log_source_free(s);
        test_rm_rf(dir);
}

static void test_journal_max_lines(void **state)
{
        _cleanup_free_ char *dir = NULL, *journal = NULL;
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");
        s = open_files(journal, NULL, true);
        assert_int_equal(log_source_read(s, 3, collect, &c), 3);
        assert_int_equal(log_source_read(s, 3, collect, &c), 3);
        assert_int_equal(log_source_read(s, 0, collect, &c), 4);
        for (size_t i = 0; i < 10; i++)
                assert_string_equal(c.got[i].text, sample_text[i]);
        collect_done(&c);
        s = log_source_free(s);
        test_rm_rf(dir);
}

static void assert_texts(const Collect *c, const int *idx, size_t n)
{
        assert_int_equal(c->n, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(c->got[i].text, sample_text[idx[i]]);
}

static void test_journal_unit_filter(void **state)
{
        static const int nginx[] = {0, 1, 6, 8, 9};
        static const int both[] = {0, 1, 2, 3, 4, 6, 8, 9};
        const char *const one[] = {"nginx.service", NULL};
        const char *const bare[] = {"nginx", NULL};
        const char *const two[] = {"nginx.service", "myapp.service", NULL};
        _cleanup_free_ char *dir = NULL, *journal = NULL;
        Collect c = {};
        LogSource *s;

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");

        /* The unit's own lines (_SYSTEMD_UNIT) and PID 1's about it (UNIT= with _PID=1);
         * not cron's line that also carries UNIT=nginx.service. */
        s = open_files(journal, one, true);
        assert_int_equal(log_source_read(s, 0, collect, &c), 5);
        assert_texts(&c, nginx, ELEMENTSOF(nginx));
        assert_string_equal(c.got[0].program, "systemd"); /* PID 1 about nginx */
        assert_string_equal(c.got[1].unit, "nginx.service");
        assert_non_null(strstr(s->target, "nginx.service"));
        s = log_source_free(s);
        collect_done(&c);

        /* A bare name is the service, as with journalctl -u. */
        s = open_files(journal, bare, true);
        assert_int_equal(log_source_read(s, 0, collect, &c), 5);
        assert_texts(&c, nginx, ELEMENTSOF(nginx));
        s = log_source_free(s);
        collect_done(&c);

        s = open_files(journal, two, true);
        assert_int_equal(log_source_read(s, 0, collect, &c), 8);
        assert_texts(&c, both, ELEMENTSOF(both));
        s = log_source_free(s);
        collect_done(&c);

        /* Not a unit name: refused rather than matching something else. */
        const char *const bad[] = {"nginx.service\nUNIT=x", NULL};
        const char *files[] = {journal, NULL};
        s = NULL;
        assert_int_equal(log_source_new_journal("j", bad, files, true, &s), -EINVAL);
        assert_null(s);
        test_rm_rf(dir);
}

static void test_journal_cursor_round_trip(void **state)
{
        _cleanup_free_ char *dir = NULL, *journal = NULL, *cursor = NULL, *end = NULL;
        Collect c = {}, d = {};
        LogSource *s;

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");

        s = open_files(journal, NULL, true);
        c.src = s;
        c.stop_after = 2;
        assert_int_equal(log_source_read(s, 0, collect, &c), -ECANCELED);
        assert_int_equal(c.n, 2);
        cursor = log_source_get_cursor(s);
        /* The cursor already pointed after the line when the callback ran. */
        assert_string_equal(cursor, c.cursor_seen);
        s = log_source_free(s);

        /* A new source (from_start does not matter once a cursor is set) gets exactly the
         * rest: none twice, none skipped. */
        s = open_files(journal, NULL, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        assert_int_equal(log_source_read(s, 0, collect, &d), 8);
        for (size_t i = 0; i < 8; i++)
                assert_string_equal(d.got[i].text, sample_text[i + 2]);
        end = log_source_get_cursor(s);
        s = log_source_free(s);

        /* At the end: nothing. */
        s = open_files(journal, NULL, true);
        assert_int_equal(log_source_set_cursor(s, end), 0);
        assert_int_equal(log_source_read(s, 0, collect, &d), 0);
        assert_null(s->note);
        /* A cursor set and nothing read since: that cursor is the position. */
        free(cursor);
        cursor = log_source_get_cursor(s);
        assert_string_equal(cursor, end);
        s = log_source_free(s);

        /* Malformed. */
        s = open_files(journal, NULL, true);
        assert_int_equal(log_source_set_cursor(s, "no cursor at all"), -EINVAL);
        s = log_source_free(s);
        collect_done(&c);
        collect_done(&d);
        test_rm_rf(dir);
}

static void test_journal_vacuumed_cursor(void **state)
{
        _cleanup_free_ char *dir = NULL, *journal = NULL, *later = NULL, *cursor = NULL;
        Collect c = {}, d = {};
        LogSource *s;

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");
        later = make_journal(dir, "tail-only.export", "later");

        s = open_files(journal, NULL, true);
        c.src = s;
        c.stop_after = 5; /* up to the entry at +4 s */
        assert_int_equal(log_source_read(s, 0, collect, &c), -ECANCELED);
        cursor = log_source_get_cursor(s);
        s = log_source_free(s);

        /* The journal now holds only the entries from +6 s on: the cursor's entry is gone.
         * Not an error: a note, and reading goes on with the oldest entry after it. */
        s = open_files(later, NULL, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        assert_non_null(s->note);
        assert_null(s->error);
        assert_int_equal(log_source_read(s, 0, collect, &d), 4);
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(d.got[i].text, sample_text[i + 6]);
        s = log_source_free(s);
        collect_done(&c);
        collect_done(&d);
        test_rm_rf(dir);
}

static void test_journal_tail(void **state)
{
        _cleanup_free_ char *dir = NULL, *journal = NULL, *more = NULL, *cursor = NULL;
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");

        /* Without a cursor and not from the start: only what comes from now on. */
        s = open_files(journal, NULL, false);
        assert_int_equal(log_source_read(s, 0, collect, &c), 0);
        /* The position is the last entry already, so a cursor saved now loses nothing. */
        cursor = log_source_get_cursor(s);
        assert_non_null(strstr(cursor, "s="));

        more = test_data_path("logs/journal/more.export");
        journal_remote(more, journal); /* appends two entries to the open file */
        assert_int_equal(log_source_read(s, 0, collect, &c), 2);
        assert_string_equal(c.got[0].text, "signal process started");
        assert_int_equal(c.got[0].ts_ms, BASE_MS + 20000);
        assert_string_equal(c.got[1].text, "myapp ready");
        assert_null(s->error);
        s = log_source_free(s);

        /* The cursor saved before the append gives the same two to a new source. */
        collect_done(&c);
        s = open_files(journal, NULL, false);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        assert_int_equal(log_source_read(s, 0, collect, &c), 2);
        assert_string_equal(c.got[0].text, "signal process started");
        collect_done(&c);
        s = log_source_free(s);
        test_rm_rf(dir);
}

static void test_journal_clock_back(void **state)
{
        _cleanup_free_ char *dir = NULL, *old = NULL, *new = NULL, *cursor = NULL;
        Collect c = {}, d = {};
        LogSource *s;

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        old = make_journal(dir, "clock-old.export", "old");
        new = make_journal(dir, "clock-new.export", "new");
        const char *files[] = {old, new, NULL};

        /* One boot, ordered by monotonic time: the later file's entries come last although
         * their wall-clock times are earlier. */
        assert_int_equal(log_source_new_journal("j", NULL, files, true, &s), 0);
        c.src = s;
        c.stop_after = 7;
        assert_int_equal(log_source_read(s, 0, collect, &c), -ECANCELED);
        assert_string_equal(c.got[2].text, "before the clock change 3");
        assert_string_equal(c.got[3].text, "after the clock change 1");
        assert_int_equal(c.got[3].ts_ms, BASE_MS + 50000);
        assert_string_equal(c.got[6].text, "after the clock change 4");
        cursor = log_source_get_cursor(s);
        s = log_source_free(s);

        /* From there, the last two; the headers' later last entry (+102 s) lies behind us and
         * is no sign of damage. */
        assert_int_equal(log_source_new_journal("j", NULL, files, false, &s), 0);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        assert_null(s->note);
        assert_int_equal(log_source_read(s, 0, collect, &d), 2);
        assert_string_equal(d.got[0].text, "after the clock change 5");
        assert_string_equal(d.got[1].text, "after the clock change 6");
        assert_null(s->error);
        assert_int_equal(log_source_read(s, 0, collect, &d), 0);
        assert_null(s->error);
        s = log_source_free(s);
        collect_done(&c);
        collect_done(&d);
        test_rm_rf(dir);
}

static void put_binary_field(FILE *f, const char *name, const char *v, size_t n)
{
        uint8_t le[8];

        for (size_t i = 0; i < 8; i++)
                le[i] = (uint8_t) ((uint64_t) n >> (8 * i));
        fprintf(f, "%s\n", name);
        assert_int_equal(fwrite(le, 1, 8, f), 8);
        assert_int_equal(fwrite(v, 1, n, f), n);
        fputc('\n', f);
}

static void test_journal_long_message(void **state)
{
        _cleanup_free_ char *dir = NULL, *export_path = NULL, *journal = NULL, *msg = NULL;
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};
        FILE *f;

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        export_path = xasprintf("%s/long.export", dir);
        journal = xasprintf("%s/long.journal", dir);
        f = fopen(export_path, "we");
        assert_non_null(f);

        /* 70000 bytes; a 2-byte "é" straddles the limit: the line is cut before it. */
        msg = xmalloc(70000);
        memset(msg, 'a', LOG_LINE_MAX_BYTES - 1);
        msg[LOG_LINE_MAX_BYTES - 1] = (char) 0xc3;
        msg[LOG_LINE_MAX_BYTES] = (char) 0xa9;
        memset(msg + LOG_LINE_MAX_BYTES + 1, 'b', 70000 - LOG_LINE_MAX_BYTES - 1);
        fprintf(f, "__REALTIME_TIMESTAMP=1700000000000000\n__MONOTONIC_TIMESTAMP=1\n"
                   "_BOOT_ID=0123456789abcdef0123456789abcdef\n_PID=5\n");
        put_binary_field(f, "MESSAGE", msg, 70000);
        /* 30000 invalid bytes: 90000 once each is U+FFFD, cut at a character boundary. */
        memset(msg, 0xff, 30000);
        fprintf(f, "\n__REALTIME_TIMESTAMP=1700000001000000\n__MONOTONIC_TIMESTAMP=2\n"
                   "_BOOT_ID=0123456789abcdef0123456789abcdef\n_PID=5\n");
        put_binary_field(f, "MESSAGE", msg, 30000);
        fputc('\n', f);
        assert_int_equal(fclose(f), 0);
        journal_remote(export_path, journal);

        s = open_files(journal, NULL, true);
        assert_int_equal(log_source_read(s, 0, collect, &c), 2);
        assert_true(c.got[0].truncated);
        assert_int_equal(c.got[0].len, LOG_LINE_MAX_BYTES - 1);
        assert_int_equal(strspn(c.got[0].text, "a"), LOG_LINE_MAX_BYTES - 1);
        assert_true(c.got[1].truncated);
        assert_int_equal(c.got[1].len, (LOG_LINE_MAX_BYTES / 3) * 3);
        assert_memory_equal(c.got[1].text, "\xef\xbf\xbd\xef\xbf\xbd", 6);
        assert_int_equal(s->truncated_lines, 2);
        collect_done(&c);
        s = log_source_free(s);
        test_rm_rf(dir);
}

static void copy_file(const char *from, const char *to, uint8_t **ret_data, size_t *ret_size)
{
        FILE *f = fopen(from, "re");
        struct stat st;

        assert_non_null(f);
        assert_int_equal(fstat(fileno(f), &st), 0);
        uint8_t *data = xmalloc((size_t) st.st_size);
        assert_int_equal(fread(data, 1, (size_t) st.st_size, f), (size_t) st.st_size);
        fclose(f);
        f = fopen(to, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, (size_t) st.st_size, f), (size_t) st.st_size);
        assert_int_equal(fclose(f), 0);
        *ret_data = data;
        *ret_size = (size_t) st.st_size;
}

static void test_journal_corrupt(void **state)
{
        _cleanup_free_ char *dir = NULL, *journal = NULL, *bad = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_(log_source_freep) LogSource *s = NULL;
        uint64_t ts = (uint64_t) (BASE_MS + 4000) * 1000;
        uint8_t key[8];
        size_t size;
        Collect c = {};

        (void) state;
        REQUIRE_JOURNAL_REMOTE();
        dir = test_mkdtemp();
        journal = make_journal(dir, "sample.export", "sample");
        bad = xasprintf("%s/bad.journal", dir);
        copy_file(journal, bad, &data, &size);

        /* The entry object of the fifth entry (+4 s) holds its realtime (le64) 24 bytes in
         * (after the object header and the seqnum); the entry array for the entries after
         * the fourth follows it. Overwrite 4 KiB from that object on. */
        for (size_t i = 0; i < 8; i++)
                key[i] = (uint8_t) (ts >> (8 * i));
        uint8_t *p = memmem(data, size, key, sizeof(key));
        assert_non_null(p);
        size_t off = (size_t) (p - data) - 24;
        assert_true(off + 4096 < size);
        int fd = open(bad, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        uint8_t junk[4096];
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (uint8_t) (0xde + i * 7);
        assert_int_equal(pwrite(fd, junk, sizeof(junk), (off_t) off), sizeof(junk));
        assert_int_equal(close(fd), 0);

        s = open_files(bad, NULL, true);
        int n = log_source_read(s, 0, collect, &c);
        /* The entries before the damage, in order; the damage is reported, not fatal. */
        assert_true(n >= 4);
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(c.got[i].text, sample_text[i]);
        assert_non_null(s->error);
        assert_true(s->error_new);
        assert_non_null(strstr(s->error, "journal: "));
        print_message("error: %s\n", s->error);
        /* Reading on is safe and hands out nothing twice. */
        size_t before = c.n;
        assert_true(log_source_read(s, 0, collect, &c) >= 0);
        for (size_t i = before; i < c.n; i++)
                for (size_t k = 0; k < before; k++)
                        assert_string_not_equal(c.got[i].text, c.got[k].text);
        collect_done(&c);
        s = log_source_free(s);
        test_rm_rf(dir);
}

static void test_journal_missing_file(void **state)
{
        const char *files[] = {"/nonexistent/aiops/x.journal", NULL};
        LogSource *s = NULL;

        (void) state;
        assert_true(log_source_new_journal("j", NULL, files, true, &s) < 0);
        assert_null(s);
}

static size_t count_journal_files(const char *root)
{
        size_t n = 0;

        /* Two levels: <root>/<machine-id>/<name>.journal (or .journal~). */
        DIR *d = opendir(root);
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", root, de->d_name);
                DIR *e = opendir(sub);
                if (!e)
                        continue;
                for (struct dirent *fe; (fe = readdir(e));)
                        if (strstr(fe->d_name, ".journal"))
                                n++;
                closedir(e);
        }
        closedir(d);
        return n;
}

static void test_journal_system(void **state)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};

        (void) state;
        /* The system journal: either there is one (root reads it), or the note says there is
         * none, which is not an error. */
        assert_int_equal(log_source_new_journal("journal", NULL, NULL, false, &s), 0);
        size_t n =
                count_journal_files("/var/log/journal") + count_journal_files("/run/log/journal");
        assert_true(log_source_read(s, 10, collect, &c) >= 0);
        if (n == 0) {
                assert_null(s->error);
                assert_non_null(s->note);
                assert_non_null(strstr(s->note, "no journal"));
                print_message("no system journal here: %s\n", s->note);
        } else if (geteuid() == 0)
                assert_null(s->error);
        else
                print_message("journal files here, read as non-root: %s\n",
                              s->error ? s->error : "readable");
        collect_done(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_journal_read_all),
                cmocka_unit_test(test_journal_max_lines),
                cmocka_unit_test(test_journal_unit_filter),
                cmocka_unit_test(test_journal_cursor_round_trip),
                cmocka_unit_test(test_journal_vacuumed_cursor),
                cmocka_unit_test(test_journal_tail),
                cmocka_unit_test(test_journal_clock_back),
                cmocka_unit_test(test_journal_long_message),
                cmocka_unit_test(test_journal_corrupt),
                cmocka_unit_test(test_journal_missing_file),
                cmocka_unit_test(test_journal_system),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

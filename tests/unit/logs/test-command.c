/* The command and fd sources: real `sh -c` children and pipes. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "core/time-util.h"
#include "logs/source.h"
#include "test-util.h"

#define MAX_GOT 64

typedef struct Collect {
        char *text[MAX_GOT];
        bool truncated[MAX_GOT];
        size_t len[MAX_GOT];
        size_t n;
        size_t stop_at; /* return -ECANCELED on this line (1-based); 0: never */
} Collect;

static int collect(void *userdata, const LogLine *l)
{
        Collect *c = userdata;

        assert_true(c->n < MAX_GOT);
        assert_int_equal(l->severity, -1);
        assert_int_equal(l->ts_ms, 0);
        c->truncated[c->n] = l->truncated;
        c->len[c->n] = l->len;
        c->text[c->n++] = xstrndup(l->text, l->len);
        return c->stop_at > 0 && c->n == c->stop_at ? -ECANCELED : 0;
}

static void collect_done(Collect *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->text[i]);
        *c = (Collect){};
}

/* Reads until eof (or until `lines` lines when not 0), waiting on the source's fd; fails
 * after 30 s. */
static void drain(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata, size_t *count,
                  size_t lines)
{
        int64_t deadline = time_mono_ms() + 30000;

        for (;;) {
                int n = log_source_read(s, max_lines, fn, userdata);
                assert_true(n >= 0);
                if (s->eof || (lines > 0 && *count >= lines))
                        return;
                assert_true(time_mono_ms() < deadline);
                struct pollfd p = {.fd = log_source_get_fd(s), .events = POLLIN};
                assert_true(p.fd >= 0);
                (void) poll(&p, 1, 1000);
        }
}

static void drain_collect(LogSource *s, Collect *c)
{
        drain(s, 0, collect, c, &c->n, 0);
}

static LogSource *run(const char *command, bool merge)
{
        LogSource *s = NULL;

        assert_int_equal(log_source_new_command("cmd", command, merge, &s), 0);
        assert_non_null(s);
        assert_int_equal(s->ops->kind, LOG_SOURCE_COMMAND);
        assert_string_equal(s->target, command);
        return s;
}

static void test_command_last_line_flushed(void **state)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        _cleanup_free_ char *cursor = NULL;
        Collect c = {};

        (void) state;
        s = run("printf 'a\\nb\\r\\nc'", false);
        drain_collect(s, &c);
        assert_int_equal(c.n, 3);
        assert_string_equal(c.text[0], "a");
        assert_string_equal(c.text[1], "b");
        assert_string_equal(c.text[2], "c"); /* no newline: handed out at eof */
        assert_true(s->eof);
        assert_int_equal(log_source_get_fd(s), -1);
        assert_null(s->error);
        assert_string_equal(s->note, "exited with status 0");
        assert_int_equal(s->lines, 3);
        /* After eof: nothing, no error; no cursor for commands. */
        assert_int_equal(log_source_read(s, 0, collect, &c), 0);
        cursor = log_source_get_cursor(s);
        assert_string_equal(cursor, "");
        collect_done(&c);
}

typedef struct Seq {
        size_t n;
        bool bad;
} Seq;

static int check_seq(void *userdata, const LogLine *l)
{
        Seq *q = userdata;
        char want[32];

        int k = snprintf(want, sizeof(want), "%zu", q->n + 1);
        if ((size_t) k != l->len || memcmp(want, l->text, l->len) != 0)
                q->bad = true;
        q->n++;
        return 0;
}

static void test_command_many_lines(void **state)
{
        LogSource *s;
        Seq q = {};

        (void) state;
        /* 100000 lines, in order, none lost or doubled: read as fast as they come. */
        s = run("seq 1 100000", false);
        drain(s, 0, check_seq, &q, &q.n, 0);
        assert_int_equal(q.n, 100000);
        assert_false(q.bad);
        assert_null(s->error);
        s = log_source_free(s);

        /* And in small bites, so that most reads stop inside a chunk. */
        q = (Seq){};
        s = run("seq 1 100000", false);
        drain(s, 777, check_seq, &q, &q.n, 0);
        assert_int_equal(q.n, 100000);
        assert_false(q.bad);
        assert_int_equal(s->lines, 100000);
        s = log_source_free(s);
}

static void test_command_stop_keeps_the_rest(void **state)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {.stop_at = 2};

        (void) state;
        s = run("printf 'a\\nb\\nc\\nd\\n'", false);
        int64_t deadline = time_mono_ms() + 30000;
        int r;
        while ((r = log_source_read(s, 0, collect, &c)) == 0) {
                assert_true(time_mono_ms() < deadline);
                struct pollfd p = {.fd = log_source_get_fd(s), .events = POLLIN};
                (void) poll(&p, 1, 1000);
        }
        assert_int_equal(r, -ECANCELED);
        assert_int_equal(c.n, 2);
        c.stop_at = 0;
        drain_collect(s, &c);
        assert_int_equal(c.n, 4);
        assert_string_equal(c.text[2], "c");
        assert_string_equal(c.text[3], "d");
        collect_done(&c);
}

static void test_command_status(void **state)
{
        Collect c = {};
        LogSource *s;

        (void) state;
        s = run("echo before; exit 3", false);
        drain_collect(s, &c);
        assert_int_equal(c.n, 1);
        assert_true(s->eof);
        assert_string_equal(s->error, "exited with status 3");
        assert_true(s->error_new);
        s = log_source_free(s);
        collect_done(&c);

        s = run("echo x; kill -9 $$", false);
        drain_collect(s, &c);
        assert_string_equal(s->error, "killed by signal 9");
        assert_string_equal(s->note, "killed by signal 9");
        s = log_source_free(s);
        collect_done(&c);

        s = run("exec aiops-no-such-command-xyz", true);
        drain_collect(s, &c);
        assert_int_equal(c.n, 1); /* the shell's complaint, merged */
        assert_non_null(strstr(c.text[0], "aiops-no-such-command-xyz"));
        assert_string_equal(s->error, "exited with status 127");
        s = log_source_free(s);
        collect_done(&c);
}

/* 'Z' for a zombie, 0 if the process is gone. */
static char proc_state(pid_t pid)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int) pid);
        char buf[512];
        FILE *f = fopen(path, "re");

        if (!f)
                return 0;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        return p && p[1] == ' ' ? p[2] : '?';
}

static pid_t line_pid(const char *s)
{
        unsigned v;

        assert_int_equal(safe_atou(s, &v), 0);
        return (pid_t) v;
}

static void test_command_killed_on_free(void **state)
{
        Collect c = {};
        LogSource *s;

        (void) state;
        /* The shell and a child of its own in the background: both go with the source. */
        s = run("echo $$; sleep 100000 & echo $!; wait", false);
        drain(s, 0, collect, &c, &c.n, 2);
        assert_int_equal(c.n, 2);
        pid_t sh = line_pid(c.text[0]), sleeper = line_pid(c.text[1]);
        assert_int_equal(kill(sh, 0), 0);
        assert_int_equal(proc_state(sleeper) != 0, true);
        int64_t t0 = time_mono_ms();
        s = log_source_free(s);
        assert_true(time_mono_ms() - t0 < 1500); /* SIGTERM was enough */
        /* Ours is reaped: gone. The grandchild was re-parented; it is dead, reaped or not. */
        assert_int_equal(proc_state(sh), 0);
        assert_int_equal(kill(sh, 0), -1);
        assert_int_equal(errno, ESRCH);
        for (int i = 0; i < 100 && proc_state(sleeper) != 0 && proc_state(sleeper) != 'Z'; i++)
                usleep(10000);
        char st = proc_state(sleeper);
        assert_true(st == 0 || st == 'Z');
        collect_done(&c);

        /* One that ignores SIGTERM gets SIGKILL after a while. */
        s = run("trap '' TERM; echo $$; while :; do sleep 1; done", false);
        drain(s, 0, collect, &c, &c.n, 1);
        sh = line_pid(c.text[0]);
        s = log_source_free(s);
        assert_int_equal(proc_state(sh), 0);
        collect_done(&c);
}

static void test_command_stderr(void **state)
{
        Collect c = {};
        LogSource *s;

        (void) state;
        s = run("echo out; echo err >&2; echo out2", true);
        drain_collect(s, &c);
        assert_int_equal(c.n, 3);
        assert_string_equal(c.text[0], "out");
        assert_string_equal(c.text[1], "err");
        assert_string_equal(c.text[2], "out2");
        s = log_source_free(s);
        collect_done(&c);

        /* Not merged: stderr is ours (silenced here), only stdout is read. */
        int saved = dup(STDERR_FILENO);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        assert_true(saved >= 0 && null >= 0);
        assert_int_equal(dup2(null, STDERR_FILENO), STDERR_FILENO);
        s = run("echo out; echo err >&2; echo out2", false);
        drain_collect(s, &c);
        assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
        close(saved);
        close(null);
        assert_int_equal(c.n, 2);
        assert_string_equal(c.text[0], "out");
        assert_string_equal(c.text[1], "out2");
        s = log_source_free(s);
        collect_done(&c);

        /* stdin is /dev/null: a command reading it sees eof at once. */
        s = run("cat; echo done", false);
        drain_collect(s, &c);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.text[0], "done");
        s = log_source_free(s);
        collect_done(&c);
}

static void test_command_long_line(void **state)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};

        (void) state;
        s = run("head -c 200000 /dev/zero | tr '\\000' x; echo; echo after", false);
        drain_collect(s, &c);
        assert_int_equal(c.n, 2);
        assert_true(c.truncated[0]);
        assert_int_equal(c.len[0], LOG_LINE_MAX_BYTES);
        assert_string_equal(c.text[1], "after");
        assert_int_equal(s->truncated_lines, 1);
        collect_done(&c);
}

static void test_fd_pipe(void **state)
{
        LogSource *s = NULL;
        Collect c = {};
        int p[2];

        (void) state;
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        int flags = fcntl(p[0], F_GETFL);
        assert_int_equal(log_source_new_fd("stdin", p[0], &s), 0);
        assert_int_equal(s->ops->kind, LOG_SOURCE_FD);
        assert_int_equal(log_source_get_fd(s), p[0]);

        /* Nothing written yet: no blocking, nothing read. */
        assert_int_equal(log_source_read(s, 0, collect, &c), 0);
        assert_int_equal(write(p[1], "x\ny", 3), 3);
        assert_int_equal(log_source_read(s, 0, collect, &c), 1);
        assert_string_equal(c.text[0], "x");
        assert_int_equal(log_source_read(s, 0, collect, &c), 0); /* "y" is not a line yet */
        assert_int_equal(write(p[1], "\npartial", 8), 8);
        assert_int_equal(log_source_read(s, 0, collect, &c), 1);
        assert_string_equal(c.text[1], "y");
        assert_false(s->eof);
        /* The fd's flags are left alone (it may be a shared terminal). */
        assert_int_equal(fcntl(p[0], F_GETFL), flags);

        assert_int_equal(close(p[1]), 0);
        assert_int_equal(log_source_read(s, 0, collect, &c), 1);
        assert_string_equal(c.text[2], "partial");
        assert_true(s->eof);
        assert_null(s->error);
        assert_int_equal(log_source_get_fd(s), -1);
        s = log_source_free(s);
        /* The source closed the fd it took over. */
        assert_int_equal(fcntl(p[0], F_GETFD), -1);
        collect_done(&c);

        assert_int_equal(log_source_new_fd("x", -1, &s), -EBADF);
}

static void test_fd_file(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/f.log", dir);
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};
        FILE *f = fopen(path, "we");

        (void) state;
        assert_non_null(f);
        fputs("1\n2\n3", f);
        assert_int_equal(fclose(f), 0);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(log_source_new_fd("file", fd, &s), 0);
        assert_int_equal(log_source_read(s, 0, collect, &c), 3);
        assert_string_equal(c.text[2], "3");
        assert_true(s->eof);
        collect_done(&c);
        test_rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_command_last_line_flushed),
                cmocka_unit_test(test_command_many_lines),
                cmocka_unit_test(test_command_stop_keeps_the_rest),
                cmocka_unit_test(test_command_status),
                cmocka_unit_test(test_command_killed_on_free),
                cmocka_unit_test(test_command_stderr),
                cmocka_unit_test(test_command_long_line),
                cmocka_unit_test(test_fd_pipe),
                cmocka_unit_test(test_fd_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

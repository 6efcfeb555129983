/* A command's output, or any fd the caller hands over, as a log source (source.h).
 *
 * The command runs as `/bin/sh -c command` through posix_spawn, in a process group of its
 * own (so that freeing the source can signal everything it started), with stdin from
 * /dev/null, signals unblocked and at their defaults whatever the agent does with its own,
 * and stdout (and stderr, if merged; else stderr is the agent's) into a pipe we read without
 * blocking. When the pipe closes, the last partial line is handed out, the child is reaped
 * and its status goes into the note ("exited with status 0") or, if it failed, the error
 * ("exited with status 3", "killed by signal 9").
 *
 * An fd is read without blocking too, but without changing its flags (the file description
 * may be shared, e.g. a terminal, and O_NONBLOCK would leak to the shell): a pipe, terminal or
 * socket is polled before each read(); a regular file is read to its end, which is eof.
 *
 * One read call takes at most READ_BUDGET_BYTES from the fd, so an endless writer cannot
 * hold the caller; the fd stays readable and the caller comes back. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/macro.h"
#include "logs/linebuf.h"
#include "logs/source.h"

#define READ_CHUNK_BYTES  (64u * 1024u)
#define READ_BUDGET_BYTES (1024u * 1024u)
/* After the pipe closes the child is normally a zombie within microseconds. */
#define REAP_WAIT_MS 200
/* How long a child may take to exit after SIGTERM before it gets SIGKILL. */
#define TERM_WAIT_MS 2000

extern char **environ;

typedef struct CommandSource {
        LogSource base;
        int fd;          /* -1 after eof */
        pid_t pid;       /* the child (and its process group); 0: none or reaped */
        bool poll_reads; /* an fd that is not ours to make O_NONBLOCK */
        LineBuf lb;
        char *buf;        /* the last chunk read */
        size_t buf_start; /* bytes of buf not yet fed to lb */
        size_t buf_len;
} CommandSource;

static CommandSource *to_command(LogSource *s)
{
        assert(s && (s->ops->kind == LOG_SOURCE_COMMAND || s->ops->kind == LOG_SOURCE_FD));
        return (CommandSource *) s;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

        (void) nanosleep(&ts, NULL);
}

static void set_status(CommandSource *c, int status)
{
        LogSource *s = &c->base;

        if (WIFEXITED(status)) {
                log_source_set_note(s, "exited with status %d", WEXITSTATUS(status));
                if (WEXITSTATUS(status) != 0)
                        log_source_set_error(s, "exited with status %d", WEXITSTATUS(status));
        } else if (WIFSIGNALED(status)) {
                log_source_set_note(s, "killed by signal %d", WTERMSIG(status));
                log_source_set_error(s, "killed by signal %d", WTERMSIG(status));
        }
}

/* Reaps the child if it has exited, waiting up to wait_ms for it. True once reaped. */
static bool reap(CommandSource *c, long wait_ms)
{
        int status;

        if (c->pid <= 0)
                return true;
        for (long waited = 0;; waited++) {
                pid_t r = waitpid(c->pid, &status, WNOHANG);
                if (r == c->pid) {
                        c->pid = 0;
                        set_status(c, status);
                        return true;
                }
                if (r < 0 && errno != EINTR) {
                        /* ECHILD: someone else reaped it (a SIGCHLD handler of the caller's);
                         * the status is lost. */
                        c->pid = 0;
                        log_source_set_note(&c->base, "exited (status unknown)");
                        return true;
                }
                if (r == 0 && waited >= wait_ms)
                        return false;
                if (r == 0)
                        sleep_ms(1);
        }
}

typedef struct ReadCtx {
        CommandSource *c;
        LogLineFn fn;
        void *userdata;
        size_t max_lines;
        int count;
        int stop; /* the callback's negative return, or 1 when max_lines was reached */
        size_t consumed;
} ReadCtx;

static int on_line(void *userdata, const char *line, size_t len, bool truncated, size_t consumed)
{
        ReadCtx *x = userdata;
        LogSource *s = &x->c->base;
        LogLine l = {.text = line, .len = len, .truncated = truncated, .severity = -1};

        x->consumed = consumed;
        s->lines++;
        s->bytes += len;
        if (truncated)
                s->truncated_lines++;
        x->count++;
        int r = x->fn(x->userdata, &l);
        if (r < 0) {
                x->stop = r;
                return -1;
        }
        if (x->max_lines > 0 && (size_t) x->count >= x->max_lines) {
                x->stop = 1;
                return -1;
        }
        return 0;
}

static void finish(CommandSource *c, ReadCtx *x)
{
        x->stop = 0;
        (void) linebuf_flush(&c->lb, on_line, x);
        if (c->fd >= 0)
                (void) close(c->fd);
        c->fd = -1;
        c->base.eof = true;
        if (c->pid > 0 && !reap(c, REAP_WAIT_MS))
                log_source_set_note(&c->base, "closed its output but is still running");
}

/* 1 if the fd has something (data or hang-up) to read now, 0 if not. */
static int readable(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};

        for (;;) {
                int r = poll(&p, 1, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                return r > 0;
        }
}

static int command_read(LogSource *s, size_t max_lines, LogLineFn fn, void *userdata)
{
        CommandSource *c = to_command(s);
        ReadCtx x = {.c = c, .fn = fn, .userdata = userdata, .max_lines = max_lines};
        size_t budget = READ_BUDGET_BYTES;

        if (c->pid > 0 && c->fd < 0)
                (void) reap(c, 0); /* it closed its output earlier but was still running */
        while (max_lines == 0 || (size_t) x.count < max_lines) {
                if (c->buf_start >= c->buf_len) {
                        if (c->fd < 0 || budget == 0)
                                break;
                        if (c->poll_reads) {
                                int r = readable(c->fd);
                                if (r < 0) {
                                        log_source_set_error(s, "poll failed: %s", strerror(-r));
                                        return x.count > 0 ? x.count : r;
                                }
                                if (r == 0)
                                        break;
                        }
                        ssize_t n = read(c->fd, c->buf, MIN(budget, READ_CHUNK_BYTES));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0 && errno == EAGAIN)
                                break;
                        if (n < 0) {
                                /* Nothing more can come from an fd that fails. */
                                log_source_set_error(s, "read failed: %s", strerror(errno));
                                n = 0;
                        }
                        if (n == 0) {
                                finish(c, &x);
                                if (x.stop < 0)
                                        return x.stop;
                                break;
                        }
                        c->buf_start = 0;
                        c->buf_len = (size_t) n;
                        budget -= (size_t) n;
                }
                x.stop = 0;
                (void) linebuf_feed(&c->lb, c->buf + c->buf_start, c->buf_len - c->buf_start,
                                    on_line, &x);
                if (x.stop != 0) {
                        /* Keep the rest of the chunk for the next call. */
                        c->buf_start += x.consumed;
                        if (x.stop < 0)
                                return x.stop;
                        break;
                }
                c->buf_start = c->buf_len;
        }
        return x.count;
}

static int command_get_fd(LogSource *s)
{
        return to_command(s)->fd;
}

static void command_free(LogSource *s)
{
        CommandSource *c = to_command(s);

        if (c->fd >= 0)
                (void) close(c->fd);
        c->fd = -1;
        /* The child is unreaped, so its pid (and the group's id) cannot have been reused. */
        if (c->pid > 0) {
                /* The child itself too, in case it left the group. */
                (void) kill(-c->pid, SIGTERM);
                (void) kill(c->pid, SIGTERM);
                if (!reap(c, TERM_WAIT_MS)) {
                        (void) kill(-c->pid, SIGKILL);
                        (void) kill(c->pid, SIGKILL);
                        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                        c->pid = 0;
                }
        }
        linebuf_done(&c->lb);
        free(c->buf);
        log_source_done(s);
}

static const LogSourceOps command_ops = {
        .kind = LOG_SOURCE_COMMAND,
        .read = command_read,
        .get_fd = command_get_fd,
        .free = command_free,
};

static const LogSourceOps fd_ops = {
        .kind = LOG_SOURCE_FD,
        .read = command_read,
        .get_fd = command_get_fd,
        .free = command_free,
};

/* Moves an fd above stdio, so that dup2() onto 1 or 2 in the child never meets itself (a
 * dup2 of an fd onto itself would keep its close-on-exec flag). */
static int fd_above_stdio(int fd)
{
        if (fd > STDERR_FILENO)
                return fd;
        int n = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        int saved = errno;
        (void) close(fd);
        errno = saved;
        return n;
}

static int spawn(const char *command, bool merge_stderr, int out_fd, pid_t *ret_pid)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        char *argv[] = {(char *) "sh", (char *) "-c", (char *) command, NULL};
        int r;

        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                (void) posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        (void) sigemptyset(&none);
        (void) sigfillset(&all);
        if ((r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) ||
            (r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO)) ||
            (merge_stderr && (r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO))) ||
            (r = posix_spawnattr_setpgroup(&attr, 0)) ||
            (r = posix_spawnattr_setsigmask(&attr, &none)) ||
            (r = posix_spawnattr_setsigdefault(&attr, &all)) ||
            (r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                         POSIX_SPAWN_SETSIGDEF)))
                goto out;
        r = posix_spawn(ret_pid, "/bin/sh", &fa, &attr, argv, environ);
out:
        (void) posix_spawnattr_destroy(&attr);
        (void) posix_spawn_file_actions_destroy(&fa);
        return -r;
}

static CommandSource *command_new(const LogSourceOps *ops, const char *name, const char *target)
{
        CommandSource *c = xnew0(CommandSource, 1);

        log_source_init(&c->base, ops, name, target);
        c->fd = -1;
        c->buf = xmalloc(READ_CHUNK_BYTES);
        return c;
}

int log_source_new_command(const char *name, const char *command, bool merge_stderr,
                           LogSource **ret)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        _cleanup_close_ int wfd = -1;
        int p[2], r;

        assert(name && command && ret);
        CommandSource *c = command_new(&command_ops, name, command);
        s = &c->base;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        c->fd = p[0];
        wfd = p[1];
        c->fd = fd_above_stdio(c->fd);
        if (c->fd < 0)
                return -errno;
        wfd = fd_above_stdio(TAKE_FD(wfd));
        if (wfd < 0)
                return -errno;
        if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;

        r = spawn(command, merge_stderr, wfd, &c->pid);
        if (r < 0) {
                c->pid = 0;
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0; /* wfd closes here: the child holds the only write end */
}

int log_source_new_fd(const char *name, int fd, LogSource **ret)
{
        struct stat st;

        assert(name && ret);
        if (fd < 0)
                return -EBADF;
        _cleanup_free_ char *target = xasprintf("fd %d", fd);
        CommandSource *c = command_new(&fd_ops, name, target);
        c->fd = fd; /* ours from here on, also on failure */
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                log_source_free(&c->base);
                return r;
        }
        c->poll_reads = !S_ISREG(st.st_mode);
        *ret = &c->base;
        return 0;
}

#include "agent/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/time-util.h"

typedef enum SourceKind {
        SOURCE_TIMER,
        SOURCE_IO,
        SOURCE_SIGNAL,
} SourceKind;

struct LoopSource {
        SourceKind kind;
        int fd;
        bool owns_fd;
        LoopTimerFn timer_fn;
        LoopIoFn io_fn;
        void *userdata;
        LoopSource *next;
};

struct Loop {
        int epoll_fd;
        LoopSource *sources;
        LoopSource signal_source;
        LoopSignalFn signal_fn;
        void *signal_userdata;
        sigset_t old_mask;
        bool exit_requested;
        int exit_code;
        int exit_signo;
};

int loop_new(Loop **ret)
{
        Loop *l = xnew0(Loop, 1);
        sigset_t mask;

        l->signal_source.fd = -1;
        l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epoll_fd < 0) {
                int r = -errno;
                free(l);
                return r;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        (void) sigprocmask(SIG_BLOCK, &mask, &l->old_mask);
        l->signal_source.kind = SOURCE_SIGNAL;
        l->signal_source.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (l->signal_source.fd < 0) {
                int r = -errno;
                loop_free(l);
                return r;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->signal_source};
        if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->signal_source.fd, &ev) < 0) {
                int r = -errno;
                loop_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static void source_free(LoopSource *s)
{
        if (s->owns_fd && s->fd >= 0)
                (void) close(s->fd);
        free(s);
}

Loop *loop_free(Loop *l)
{
        if (!l)
                return NULL;
        while (l->sources) {
                LoopSource *next = l->sources->next;
                source_free(l->sources);
                l->sources = next;
        }
        if (l->signal_source.fd >= 0)
                (void) close(l->signal_source.fd);
        if (l->epoll_fd >= 0)
                (void) close(l->epoll_fd);
        (void) sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
        free(l);
        return NULL;
}

static int add_source(Loop *l, LoopSource *s, uint32_t events)
{
        struct epoll_event ev = {.events = events, .data.ptr = s};

        if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
                int r = -errno;
                source_free(s);
                return r;
        }
        s->next = l->sources;
        l->sources = s;
        return 0;
}

static struct timespec ms_to_timespec(int64_t ms)
{
        return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
}

int loop_add_timer(Loop *l, int64_t interval_ms, bool align_wall_clock, bool run_now,
                   LoopTimerFn fn, void *userdata, LoopSource **ret)
{
        if (interval_ms <= 0)
                return -EINVAL;

        LoopSource *s = xnew0(LoopSource, 1);
        s->kind = SOURCE_TIMER;
        s->timer_fn = fn;
        s->userdata = userdata;
        s->owns_fd = true;
        s->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->fd < 0) {
                int r = -errno;
                free(s);
                return r;
        }

        /* The schedule runs on the monotonic clock so that wall-clock steps (NTP, an operator
         * setting the date) never bunch or skip cycles; alignment is computed once. */
        int64_t first = interval_ms;
        if (align_wall_clock) {
                int64_t now = time_now_ms();
                first = interval_ms - now % interval_ms;
        }
        if (run_now)
                first = 0;
        struct itimerspec its = {
                .it_interval = ms_to_timespec(interval_ms),
                .it_value = ms_to_timespec(first > 0 ? first : 0),
        };
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                its.it_value.tv_nsec = 1; /* zero would disarm the timer */
        if (timerfd_settime(s->fd, 0, &its, NULL) < 0) {
                int r = -errno;
                source_free(s);
                return r;
        }
        int r = add_source(l, s, EPOLLIN);
        if (r < 0)
                return r;
        if (ret)
                *ret = s;
        return 0;
}

int loop_add_io(Loop *l, int fd, uint32_t events, LoopIoFn fn, void *userdata, LoopSource **ret)
{
        LoopSource *s = xnew0(LoopSource, 1);
        s->kind = SOURCE_IO;
        s->fd = fd;
        s->io_fn = fn;
        s->userdata = userdata;
        int r = add_source(l, s, events);
        if (r < 0)
                return r;
        if (ret)
                *ret = s;
        return 0;
}

void loop_set_signal_handler(Loop *l, LoopSignalFn fn, void *userdata)
{
        l->signal_fn = fn;
        l->signal_userdata = userdata;
}

void loop_remove(Loop *l, LoopSource *s)
{
        for (LoopSource **p = &l->sources; *p; p = &(*p)->next) {
                if (*p != s)
                        continue;
                *p = s->next;
                (void) epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
                source_free(s);
                return;
        }
}

void loop_exit(Loop *l, int code)
{
        l->exit_requested = true;
        l->exit_code = code;
}

static int dispatch_signal(Loop *l)
{
        struct signalfd_siginfo si;

        while (read(l->signal_source.fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                int signo = (int) si.ssi_signo;
                if (signo == SIGHUP && l->signal_fn) {
                        int r = l->signal_fn(l, signo, l->signal_userdata);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (signo == SIGHUP)
                        continue;
                l->exit_signo = signo;
                loop_exit(l, 0);
                break;
        }
        return 0;
}

static int dispatch(Loop *l, LoopSource *s, uint32_t revents)
{
        switch (s->kind) {
        case SOURCE_SIGNAL:
                return dispatch_signal(l);
        case SOURCE_TIMER: {
                uint64_t expirations = 0;
                if (read(s->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
                        return errno == EAGAIN ? 0 : -errno;
                return s->timer_fn(l, time_now_ms(), expirations ? expirations - 1 : 0,
                                   s->userdata);
        }
        case SOURCE_IO:
                return s->io_fn(l, s->fd, revents, s->userdata);
        }
        return 0;
}

int loop_run(Loop *l, int *ret_signo)
{
        struct epoll_event events[16];

        while (!l->exit_requested) {
                int n = epoll_wait(l->epoll_fd, events, (int) ELEMENTSOF(events), -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < n && !l->exit_requested; i++) {
                        int r = dispatch(l, events[i].data.ptr, events[i].events);
                        if (r < 0)
                                return r;
                }
        }
        if (ret_signo)
                *ret_signo = l->exit_signo;
        return l->exit_code;
}

/* The agent's event loop: one epoll instance, timers as timerfds, signals through a signalfd
 * (SIGINT, SIGTERM, SIGHUP are blocked and delivered as events), file descriptors for later
 * jobs (inotify, HTTP). Single-threaded; callbacks run one at a time.
 *
 * Periodic timers are drift-free: the kernel keeps the schedule (it_interval), so a slow
 * callback delays one run but never shifts the ones after it; runs missed while a callback
 * was slow are counted and reported to the callback, not replayed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct Loop Loop;
typedef struct LoopSource LoopSource;

/* `missed` is how many periods elapsed beyond the one being served (0 normally). A negative
 * return stops the loop with that error. */
typedef int (*LoopTimerFn)(Loop *l, int64_t now_ms, uint64_t missed, void *userdata);
typedef int (*LoopIoFn)(Loop *l, int fd, uint32_t revents, void *userdata);
/* Called for SIGHUP; SIGINT/SIGTERM end the loop. */
typedef int (*LoopSignalFn)(Loop *l, int signo, void *userdata);

int loop_new(Loop **ret);
Loop *loop_free(Loop *l);

/* A periodic timer. With align_wall_clock the first run is at the next multiple of the
 * interval in wall-clock time (10:00:00, 10:00:30, …, as sar and Prometheus scrapes do),
 * otherwise one interval from now; run_now adds an immediate first run. */
int loop_add_timer(Loop *l, int64_t interval_ms, bool align_wall_clock, bool run_now,
                   LoopTimerFn fn, void *userdata, LoopSource **ret);
int loop_add_io(Loop *l, int fd, uint32_t events, LoopIoFn fn, void *userdata, LoopSource **ret);
void loop_set_signal_handler(Loop *l, LoopSignalFn fn, void *userdata);
void loop_remove(Loop *l, LoopSource *s);

/* Runs until SIGINT/SIGTERM (returns 0 and sets *ret_signo), loop_exit() (returns its code),
 * or a callback error (returns it). */
int loop_run(Loop *l, int *ret_signo);
void loop_exit(Loop *l, int code);

#include <errno.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent/loop.h"
#include "core/time-util.h"
#include "test-util.h"

typedef struct Counter {
        unsigned runs;
        unsigned stop_after;
        int64_t first_ms, last_ms;
        unsigned hups;
} Counter;

static int count_and_stop(Loop *l, int64_t now_ms, uint64_t missed, void *userdata)
{
        Counter *c = userdata;

        (void) missed;
        if (c->runs++ == 0)
                c->first_ms = now_ms;
        c->last_ms = now_ms;
        if (c->runs == c->stop_after)
                loop_exit(l, 42);
        return 0;
}

static void test_loop_timer_runs_periodically(void **state)
{
        Loop *l = NULL;
        Counter c = {.stop_after = 5};
        int signo = -1;

        (void) state;
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, 20, false, true, count_and_stop, &c, NULL), 0);
        assert_int_equal(loop_run(l, &signo), 42);
        assert_int_equal(c.runs, 5);
        /* A first immediate run, then four periods of 20 ms. */
        assert_true(c.last_ms - c.first_ms >= 4 * 20 - 2);
        loop_free(l);
}

static int raise_term(Loop *l, int64_t now_ms, uint64_t missed, void *userdata)
{
        (void) l;
        (void) now_ms;
        (void) missed;
        (void) userdata;
        assert_int_equal(raise(SIGHUP), 0);
        assert_int_equal(raise(SIGTERM), 0);
        return 0;
}

static int on_hup(Loop *l, int signo, void *userdata)
{
        Counter *c = userdata;
        (void) l;
        assert_int_equal(signo, SIGHUP);
        c->hups++;
        return 0;
}

static void test_loop_stops_on_sigterm_and_reports_sighup(void **state)
{
        Loop *l = NULL;
        Counter c = {};
        int signo = 0;

        (void) state;
        assert_int_equal(loop_new(&l), 0);
        loop_set_signal_handler(l, on_hup, &c);
        assert_int_equal(loop_add_timer(l, 10, false, true, raise_term, NULL, NULL), 0);
        assert_int_equal(loop_run(l, &signo), 0);
        assert_int_equal(signo, SIGTERM);
        assert_int_equal(c.hups, 1);
        loop_free(l);
        /* The signal mask is restored: SIGTERM is no longer blocked. */
        sigset_t mask;
        assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
        assert_false(sigismember(&mask, SIGTERM));
}

static int fail_callback(Loop *l, int64_t now_ms, uint64_t missed, void *userdata)
{
        (void) l;
        (void) now_ms;
        (void) missed;
        (void) userdata;
        return -EIO;
}

static void test_loop_callback_error_ends_run(void **state)
{
        Loop *l = NULL;

        (void) state;
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, 10, false, true, fail_callback, NULL, NULL), 0);
        assert_int_equal(loop_run(l, NULL), -EIO);
        assert_int_equal(loop_add_timer(l, 0, false, false, fail_callback, NULL, NULL), -EINVAL);
        loop_free(l);
}

static int slow_callback(Loop *l, int64_t now_ms, uint64_t missed, void *userdata)
{
        Counter *c = userdata;

        (void) now_ms;
        c->hups += (unsigned) missed; /* reused as "missed" total */
        if (c->runs++ == 0)
                usleep(55 * 1000); /* the first run overruns almost three periods */
        else
                loop_exit(l, 0);
        return 0;
}

static void test_loop_counts_missed_periods_without_replaying_them(void **state)
{
        Loop *l = NULL;
        Counter c = {};

        (void) state;
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, 20, false, true, slow_callback, &c, NULL), 0);
        assert_int_equal(loop_run(l, NULL), 0);
        assert_int_equal(c.runs, 2);
        assert_true(c.hups >= 1); /* it overran two 20 ms periods; a busy machine adds more */
        loop_free(l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loop_timer_runs_periodically),
                cmocka_unit_test(test_loop_stops_on_sigterm_and_reports_sighup),
                cmocka_unit_test(test_loop_callback_error_ends_run),
                cmocka_unit_test(test_loop_counts_missed_periods_without_replaying_them),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

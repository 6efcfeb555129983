#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "test-util.h"

/* The whole content of path (caller frees). */
static char *slurp(const char *path)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *in = fopen(path, "re");
        FILE *out = open_memstream(&buf, &len);
        int c;

        assert_non_null(in);
        assert_non_null(out);
        while ((c = fgetc(in)) != EOF)
                (void) fputc(c, out);
        (void) fclose(in);
        (void) fclose(out);
        return buf;
}

static size_t count(const char *s, const char *needle)
{
        size_t n = 0;
        for (const char *p = s; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static void test_log_level_from_string_names(void **state)
{
        (void) state;
        assert_int_equal(log_level_from_string("error"), LOG_LEVEL_ERROR);
        assert_int_equal(log_level_from_string("debug"), LOG_LEVEL_DEBUG);
        assert_int_equal(log_level_from_string("DEBUG"), -EINVAL);
        assert_int_equal(log_level_from_string(NULL), -EINVAL);
        assert_string_equal(log_level_to_string(LOG_LEVEL_NOTICE), "notice");
        assert_null(log_level_to_string(_LOG_LEVEL_MAX));
        assert_null(log_level_to_string(_LOG_LEVEL_INVALID));
}

static void test_log_set_level_filters(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/aiops.log", dir);

        (void) state;
        assert_int_equal(log_open_file(path), 0);
        assert_int_equal(log_get_target(), LOG_TARGET_FILE);
        log_set_level(LOG_LEVEL_WARNING);
        assert_int_equal(log_get_level(), LOG_LEVEL_WARNING);
        log_set_level(_LOG_LEVEL_MAX); /* ignored */
        assert_int_equal(log_get_level(), LOG_LEVEL_WARNING);

        assert_int_equal(log_error("first %d", 1), 0);
        assert_int_equal(log_warning("second"), 0);
        assert_int_equal(log_notice("hidden notice"), 0);
        assert_int_equal(log_debug("hidden debug"), 0);
        log_set_level(LOG_LEVEL_DEBUG);
        assert_int_equal(log_debug("shown debug"), 0);
        log_close();
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);

        _cleanup_free_ char *s = slurp(path);
        assert_int_equal(count(s, "\n"), 3);
        assert_non_null(strstr(s, " error: first 1\n"));
        assert_non_null(strstr(s, " warning: second\n"));
        assert_non_null(strstr(s, " debug: shown debug\n"));
        assert_null(strstr(s, "hidden"));
        _cleanup_free_ char *pid = xasprintf(" aiops[%d] ", (int) getpid());
        assert_non_null(strstr(s, pid));
        log_set_level(LOG_LEVEL_NOTICE);
        test_rm_rf(dir);
}

static void test_log_error_errno_returns(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/aiops.log", dir);

        (void) state;
        assert_int_equal(log_open_file(path), 0);
        errno = EBADF;
        assert_int_equal(log_error_errno(-ENOENT, "open '%s': %m", "x"), -ENOENT);
        assert_int_equal(errno, EBADF); /* restored */
        assert_int_equal(log_warning_errno(EACCES, "positive: %m"), -EACCES);
        /* filtered out: still returns the error */
        assert_int_equal(log_debug_errno(-EIO, "not shown: %m"), -EIO);
        assert_int_equal(log_debug_errno(EIO, "not shown: %m"), -EIO);
        assert_int_equal(log_info_errno(0, "zero"), 0);
        log_close();

        _cleanup_free_ char *s = slurp(path);
        assert_non_null(strstr(s, "error: open 'x': No such file or directory\n"));
        assert_non_null(strstr(s, "warning: positive: Permission denied\n"));
        assert_null(strstr(s, "not shown"));
        test_rm_rf(dir);
}

static void test_log_internal_stderr_prefix(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/stderr", dir);
        int saved = dup(STDERR_FILENO);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        (void) state;
        assert_true(saved >= 0 && fd >= 0);
        assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
        (void) close(fd);
        log_set_prefix("test: ");
        (void) log_error("plain error");
        (void) log_warning("careful");
        log_set_prefix(NULL);
        (void) log_error("no prefix");
        log_set_prefix("aiops: ");
        /* an invalid level must not index past the level names */
        assert_int_equal(log_internal(_LOG_LEVEL_MAX, 0, __FILE__, __LINE__, "odd level"), 0);
        assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
        (void) close(saved);

        _cleanup_free_ char *s = slurp(path);
        assert_string_equal(s, "test: plain error\n"
                               "test: warning: careful\n"
                               "no prefix\n"
                               "aiops: odd level\n");
        test_rm_rf(dir);
}

static void test_log_open_file_failure_keeps_target(void **state)
{
        (void) state;
        assert_int_equal(log_open_file("/nonexistent/dir/aiops.log"), -ENOENT);
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);
        (void) unsetenv("JOURNAL_STREAM");
        log_open_auto();
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);
        (void) setenv("JOURNAL_STREAM", "1:2", 1); /* not our stderr */
        log_open_auto();
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);
        (void) setenv("JOURNAL_STREAM", "garbage", 1);
        log_open_auto();
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);
        (void) unsetenv("JOURNAL_STREAM");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_level_from_string_names),
                cmocka_unit_test(test_log_set_level_filters),
                cmocka_unit_test(test_log_error_errno_returns),
                cmocka_unit_test(test_log_internal_stderr_prefix),
                cmocka_unit_test(test_log_open_file_failure_keeps_target),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

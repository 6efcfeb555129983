#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/term.h"
#include "test-util.h"

static void test_term_display_width_ascii(void **state)
{
        (void) state;
        assert_int_equal(term_display_width("abc"), 3);
        assert_int_equal(term_display_width(""), 0);
        assert_int_equal(term_display_width(NULL), 0);
}

static void test_term_display_width_cjk(void **state)
{
        (void) state;
        assert_int_equal(term_display_width("中文"), 4);
        assert_int_equal(term_display_width("nginx-日本"), 10);
        assert_int_equal(term_display_width("한국어"), 6);
        assert_int_equal(term_display_width("ｱ"), 1);  /* halfwidth katakana */
        assert_int_equal(term_display_width("Ａ"), 2); /* fullwidth A */
        assert_int_equal(term_display_width("𠀀"), 2); /* CJK extension B, 4 bytes */
}

static void test_term_display_width_emoji(void **state)
{
        (void) state;
        assert_int_equal(term_display_width("🙂"), 2);
        assert_int_equal(term_display_width("🚀x"), 3);
        assert_int_equal(term_display_width("⚡"), 2);
        /* U+2764 has text presentation; the selector asks for emoji but is zero width */
        assert_int_equal(term_display_width("\u2764\ufe0f"), 1);
        /* man + ZWJ + laptop: wcwidth() semantics sum the parts */
        assert_int_equal(term_display_width("👨\u200d💻"), 4);
}

static void test_term_display_width_combining(void **state)
{
        (void) state;
        assert_int_equal(term_display_width("\u00e9"), 1);  /* é composed */
        assert_int_equal(term_display_width("e\u0301"), 1); /* é decomposed */
        assert_int_equal(term_display_width("a\u200bb"), 2);
        assert_int_equal(term_display_width("\ufeff"), 0);
}

static void test_term_display_width_invalid_utf8(void **state)
{
        (void) state;
        assert_int_equal(term_display_width("\xff"), 1);
        assert_int_equal(term_display_width("a\xe4\xb8"), 3);        /* truncated 3-byte sequence */
        assert_int_equal(term_display_width("\xc0\xaf"), 2);         /* overlong '/' */
        assert_int_equal(term_display_width("\xed\xa0\x80"), 3);     /* surrogate U+D800 */
        assert_int_equal(term_display_width("\xf4\x90\x80\x80"), 4); /* > U+10FFFF */
}

static void test_term_display_width_n_controls(void **state)
{
        (void) state;
        assert_int_equal(term_display_width("\t\x1b[31m"), 6);
        assert_int_equal(term_display_width_n("a\0b", 3), 3);
        assert_int_equal(term_display_width_n("中文", 3), 2);
        assert_int_equal(term_display_width_n("中文", 4), 3); /* one char, one cut byte */
}

static void test_term_utf8_decode_sequences(void **state)
{
        uint32_t cp;

        (void) state;
        assert_int_equal(term_utf8_decode("A", 1, &cp), 1);
        assert_int_equal(cp, 'A');
        assert_int_equal(term_utf8_decode("\xc3\xa9", 2, &cp), 2);
        assert_int_equal(cp, 0xe9);
        assert_int_equal(term_utf8_decode("\xe4\xb8\xad", 3, &cp), 3);
        assert_int_equal(cp, 0x4e2d);
        assert_int_equal(term_utf8_decode("\xf0\x9f\x99\x82", 4, &cp), 4);
        assert_int_equal(cp, 0x1f642);
        assert_int_equal(term_utf8_decode("\xf0\x9f\x99\x82", 3, &cp), 1);
        assert_int_equal(cp, 0xfffd);
        assert_int_equal(term_utf8_decode("\x80", 1, &cp), 1);
        assert_int_equal(cp, 0xfffd);
        assert_int_equal(term_utf8_decode("\xe0\x80\x80", 3, &cp), 1); /* overlong NUL */
        assert_int_equal(cp, 0xfffd);
}

static void test_term_sanitize_controls(void **state)
{
        (void) state;
        _cleanup_free_ char *a = term_sanitize("evil\x1b]0;title\x07\n");
        assert_string_equal(a, "evil?]0;title??");
        _cleanup_free_ char *b = term_sanitize("bad\xffname");
        assert_string_equal(b, "bad\xef\xbf\xbdname");
        _cleanup_free_ char *c = term_sanitize("c1\xc2\x9b"
                                               "2J");
        assert_string_equal(c, "c1?2J");
        _cleanup_free_ char *d = term_sanitize("rtl\u202eexe.txt");
        assert_string_equal(d, "rtl?exe.txt");
        _cleanup_free_ char *e = term_sanitize("中文é");
        assert_string_equal(e, "中文é");
}

static void test_term_truncate_fits(void **state)
{
        (void) state;
        _cleanup_free_ char *a = term_truncate("abc", 3);
        assert_string_equal(a, "abc");
        _cleanup_free_ char *b = term_truncate("中文", 4);
        assert_string_equal(b, "中文");
        _cleanup_free_ char *c = term_truncate(NULL, 4);
        assert_string_equal(c, "");
}

static void test_term_truncate_cuts(void **state)
{
        (void) state;
        _cleanup_free_ char *a = term_truncate("abcdef", 4);
        assert_string_equal(a, "abc…");
        _cleanup_free_ char *b = term_truncate("abcdef", 1);
        assert_string_equal(b, "…");
        _cleanup_free_ char *c = term_truncate("abcdef", 0);
        assert_string_equal(c, "");
}

static void test_term_truncate_never_splits_wide(void **state)
{
        (void) state;
        /* "中文字" is 6 wide; 4 columns leave 3 for text: one wide char fits, not two */
        _cleanup_free_ char *a = term_truncate("中文字", 4);
        assert_string_equal(a, "中…");
        assert_int_equal(term_display_width(a), 3);
        _cleanup_free_ char *b = term_truncate("中文字", 5);
        assert_string_equal(b, "中文…");
        _cleanup_free_ char *c = term_truncate("🙂🙂", 2);
        assert_string_equal(c, "…");
        for (size_t w = 0; w < 12; w++) {
                _cleanup_free_ char *s = term_truncate("a中b文c🙂d", w);
                assert_true(term_display_width(s) <= w);
        }
}

static void test_term_truncate_keeps_combining(void **state)
{
        (void) state;
        _cleanup_free_ char *a = term_truncate("e\u0301e\u0301e\u0301", 2);
        assert_string_equal(a, "e\u0301…");
        _cleanup_free_ char *b = term_truncate("ab\x01"
                                               "cd",
                                               4);
        assert_string_equal(b, "ab?…");
}

static void test_term_use_color_not_tty(void **state)
{
        (void) state;
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        assert_false(term_use_color(fds[1]));
        assert_int_equal(term_width(fds[1]), 0);
        term_init(fds[1]);
        assert_string_equal(term_color(TERM_COLOR_RED), "");
        assert_string_equal(term_color(_TERM_COLOR_MAX), "");
        (void) close(fds[0]);
        (void) close(fds[1]);
}

static void test_term_use_color_tty_env(void **state)
{
        (void) state;
        int fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0)
                skip();
        _cleanup_close_ int tty = open(ptsname(fd), O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(tty >= 0);

        assert_int_equal(setenv("TERM", "xterm-256color", 1), 0);
        assert_int_equal(setenv("NO_COLOR", "", 1), 0);
        assert_true(term_use_color(tty));
        term_init(tty);
        assert_string_equal(term_color(TERM_COLOR_BOLD), "\033[1m");
        term_set_no_color(true);
        assert_false(term_use_color(tty));
        assert_string_equal(term_color(TERM_COLOR_BOLD), ""); /* also after term_init() */
        term_set_no_color(false);

        assert_int_equal(setenv("NO_COLOR", "1", 1), 0);
        assert_false(term_use_color(tty));
        assert_int_equal(unsetenv("NO_COLOR"), 0);
        assert_int_equal(setenv("TERM", "dumb", 1), 0);
        assert_false(term_use_color(tty));
        assert_int_equal(unsetenv("TERM"), 0);
        assert_false(term_use_color(tty));

        /* a fresh pty has no size: $COLUMNS is the fallback */
        assert_int_equal(setenv("COLUMNS", "77", 1), 0);
        assert_int_equal(term_width(tty), 77);
        struct winsize ws = {.ws_row = 24, .ws_col = 120};
        assert_int_equal(ioctl(tty, TIOCSWINSZ, &ws), 0);
        assert_int_equal(term_width(tty), 120);
        assert_int_equal(unsetenv("COLUMNS"), 0);
        term_init(STDERR_FILENO);
        (void) close(fd);
}

static void test_term_output_format_from_string_all(void **state)
{
        (void) state;
        assert_int_equal(term_output_format_from_string("human"), OUTPUT_HUMAN);
        assert_int_equal(term_output_format_from_string("text"), OUTPUT_HUMAN);
        assert_int_equal(term_output_format_from_string("json"), OUTPUT_JSON);
        assert_int_equal(term_output_format_from_string("csv"), OUTPUT_CSV);
        assert_int_equal(term_output_format_from_string("xml"), -EINVAL);
        assert_int_equal(term_output_format_from_string(NULL), -EINVAL);
        assert_string_equal(term_output_format_to_string(OUTPUT_CSV), "csv");
        assert_null(term_output_format_to_string(_OUTPUT_MAX));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_term_display_width_ascii),
                cmocka_unit_test(test_term_display_width_cjk),
                cmocka_unit_test(test_term_display_width_emoji),
                cmocka_unit_test(test_term_display_width_combining),
                cmocka_unit_test(test_term_display_width_invalid_utf8),
                cmocka_unit_test(test_term_display_width_n_controls),
                cmocka_unit_test(test_term_utf8_decode_sequences),
                cmocka_unit_test(test_term_sanitize_controls),
                cmocka_unit_test(test_term_truncate_fits),
                cmocka_unit_test(test_term_truncate_cuts),
                cmocka_unit_test(test_term_truncate_never_splits_wide),
                cmocka_unit_test(test_term_truncate_keeps_combining),
                cmocka_unit_test(test_term_use_color_not_tty),
                cmocka_unit_test(test_term_use_color_tty_env),
                cmocka_unit_test(test_term_output_format_from_string_all),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

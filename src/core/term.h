/* Terminal output settings: the output format of a command, whether to use colour, the width
 * of the terminal, and the display width of UTF-8 text (CJK and emoji take two columns).
 * Width computations never depend on the locale: the tables are built in, so `LANG=C aiops`
 * aligns CJK process names the same way as a UTF-8 locale does.
 * Text shown on a terminal is untrusted (process names, log lines): the helpers here render
 * control characters as '?' and invalid UTF-8 as U+FFFD so nothing can drive the terminal.
 * The colour state is process-global and not thread-safe; set it once at start-up. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

typedef enum OutputFormat {
        OUTPUT_HUMAN,
        OUTPUT_JSON,
        OUTPUT_CSV,
        _OUTPUT_MAX,
        _OUTPUT_INVALID = -EINVAL,
} OutputFormat;

/* "human" (or "text"), "json", "csv"; -EINVAL otherwise. */
OutputFormat term_output_format_from_string(const char *s);
const char *term_output_format_to_string(OutputFormat f);

typedef enum TermColor {
        TERM_COLOR_RESET,
        TERM_COLOR_BOLD,
        TERM_COLOR_DIM,
        TERM_COLOR_RED,
        TERM_COLOR_GREEN,
        TERM_COLOR_YELLOW,
        TERM_COLOR_BLUE,
        TERM_COLOR_MAGENTA,
        TERM_COLOR_CYAN,
        TERM_COLOR_BOLD_RED,
        _TERM_COLOR_MAX,
        _TERM_COLOR_INVALID = -EINVAL,
} TermColor;

/* --no-color: overrides everything else, also after term_init(). */
void term_set_no_color(bool no_color);
/* True only if fd is a TTY, $NO_COLOR is unset or empty, $TERM is set and not "dumb", and
 * term_set_no_color(true) was not called (https://no-color.org). */
bool term_use_color(int fd);
/* Decides once whether term_color() returns escape sequences: for output going to fd. */
void term_init(int fd);
/* The ANSI sequence for c, or "" when colour is off (or c is out of range). */
const char *term_color(TermColor c);

/* Columns of the terminal on fd: TIOCGWINSZ, else $COLUMNS; 0 means "unlimited", which is
 * also the answer when fd is not a TTY (pipes and files are never truncated). */
int term_width(int fd);

/* Decodes one UTF-8 character of s[0..n) (n >= 1) into *ret_cp and returns the bytes
 * consumed. Invalid, overlong, surrogate or truncated sequences consume one byte and yield
 * U+FFFD. */
size_t term_utf8_decode(const char *s, size_t n, uint32_t *ret_cp);
/* True if the character must not reach a terminal as is: C0/C1 controls, DEL, bidi
 * overrides and line/paragraph separators. Such characters are shown as '?'. */
bool term_char_is_control(uint32_t cp);
/* Columns the character takes, as wcwidth() would in a UTF-8 locale: 0 for combining
 * marks, ZWJ and variation selectors, 2 for East Asian Wide/Fullwidth and emoji, 1 for
 * everything else (including controls, which are shown as '?', one column). */
size_t term_char_width(uint32_t cp);
size_t term_display_width(const char *s);
/* The same for the first `bytes` bytes of s (which may contain NULs: shown as '?'). */
size_t term_display_width_n(const char *s, size_t bytes);

/* A copy that is safe to print: controls become '?', invalid UTF-8 becomes U+FFFD. */
char *term_sanitize(const char *s);
/* A sanitized copy that takes at most max_width columns: cut on a character boundary, never
 * inside a wide character, with "…" as the last column when it had to cut. Combining marks
 * stay with the character before them. */
char *term_truncate(const char *s, size_t max_width);

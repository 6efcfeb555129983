#include "core/term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "core/strbuf.h"

static bool arg_no_color;
static bool color_enabled;

static const char *const output_format_names[_OUTPUT_MAX] = {
        [OUTPUT_HUMAN] = "human",
        [OUTPUT_JSON] = "json",
        [OUTPUT_CSV] = "csv",
};

OutputFormat term_output_format_from_string(const char *s)
{
        if (!s)
                return _OUTPUT_INVALID;
        if (strcmp(s, "text") == 0)
                return OUTPUT_HUMAN;
        for (int i = 0; i < _OUTPUT_MAX; i++)
                if (strcmp(s, output_format_names[i]) == 0)
                        return (OutputFormat) i;
        return _OUTPUT_INVALID;
}

const char *term_output_format_to_string(OutputFormat f)
{
        return f >= 0 && f < _OUTPUT_MAX ? output_format_names[f] : NULL;
}

void term_set_no_color(bool no_color)
{
        arg_no_color = no_color;
}

bool term_use_color(int fd)
{
        const char *e;

        if (arg_no_color || !isatty(fd))
                return false;
        e = getenv("NO_COLOR");
        if (e && *e)
                return false;
        /* An unset $TERM (cron, some service managers) is treated like "dumb": nothing says
         * the other end understands escape sequences. */
        e = getenv("TERM");
        return e && *e && strcmp(e, "dumb") != 0;
}

void term_init(int fd)
{
        color_enabled = term_use_color(fd);
}

static const char *const color_seq[_TERM_COLOR_MAX] = {
        [TERM_COLOR_RESET] = "\033[0m",  [TERM_COLOR_BOLD] = "\033[1m",
        [TERM_COLOR_DIM] = "\033[2m",    [TERM_COLOR_RED] = "\033[31m",
        [TERM_COLOR_GREEN] = "\033[32m", [TERM_COLOR_YELLOW] = "\033[33m",
        [TERM_COLOR_BLUE] = "\033[34m",  [TERM_COLOR_MAGENTA] = "\033[35m",
        [TERM_COLOR_CYAN] = "\033[36m",  [TERM_COLOR_BOLD_RED] = "\033[1;31m",
};

const char *term_color(TermColor c)
{
        if (!color_enabled || arg_no_color || c < 0 || c >= _TERM_COLOR_MAX)
                return "";
        return color_seq[c];
}

int term_width(int fd)
{
        struct winsize ws;
        unsigned v;

        if (!isatty(fd))
                return 0;
        if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        if (safe_atou(getenv("COLUMNS"), &v) == 0 && v > 0 && v <= 100000)
                return (int) v;
        return 0;
}

size_t term_utf8_decode(const char *str, size_t n, uint32_t *ret_cp)
{
        const unsigned char *s = (const unsigned char *) str;
        uint32_t cp, min;
        size_t len;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2, cp = s[0] & 0x1f, min = 0x80;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3, cp = s[0] & 0x0f, min = 0x800;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4, cp = s[0] & 0x07, min = 0x10000;
        } else {
                *ret_cp = 0xfffd; /* continuation byte, 0xc0/0xc1 (overlong) or > 0xf4 */
                return 1;
        }
        if (len > n)
                goto invalid;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        goto invalid;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                goto invalid;
        *ret_cp = cp;
        return len;
invalid:
        *ret_cp = 0xfffd;
        return 1;
}

typedef struct Range {
        uint32_t first, last;
} Range;

/* Nonspacing and enclosing marks (Mn, Me) and format characters (Cf) of the scripts a server
 * is likely to show, plus the Hangul medial vowels and final consonants that combine with the
 * preceding jamo: what glibc's wcwidth() gives 0 for. Sorted, for binary search. */
static const Range zero_width[] = {
        {0x0300, 0x036f},   {0x0483, 0x0489},   {0x0591, 0x05bd},   {0x05bf, 0x05bf},
        {0x05c1, 0x05c2},   {0x05c4, 0x05c5},   {0x05c7, 0x05c7},   {0x0610, 0x061a},
        {0x061c, 0x061c},   {0x064b, 0x065f},   {0x0670, 0x0670},   {0x06d6, 0x06dc},
        {0x06df, 0x06e4},   {0x06e7, 0x06e8},   {0x06ea, 0x06ed},   {0x0711, 0x0711},
        {0x0730, 0x074a},   {0x07a6, 0x07b0},   {0x07eb, 0x07f3},   {0x0816, 0x082d},
        {0x0859, 0x085b},   {0x08d3, 0x0902},   {0x093a, 0x093a},   {0x093c, 0x093c},
        {0x0941, 0x0948},   {0x094d, 0x094d},   {0x0951, 0x0957},   {0x0962, 0x0963},
        {0x0981, 0x0981},   {0x09bc, 0x09bc},   {0x09c1, 0x09c4},   {0x09cd, 0x09cd},
        {0x09e2, 0x09e3},   {0x0a01, 0x0a02},   {0x0a3c, 0x0a3c},   {0x0a41, 0x0a51},
        {0x0a70, 0x0a71},   {0x0a75, 0x0a75},   {0x0a81, 0x0a82},   {0x0abc, 0x0abc},
        {0x0ac1, 0x0ac8},   {0x0acd, 0x0acd},   {0x0ae2, 0x0ae3},   {0x0b01, 0x0b01},
        {0x0b3c, 0x0b3c},   {0x0b3f, 0x0b3f},   {0x0b41, 0x0b44},   {0x0b4d, 0x0b4d},
        {0x0b82, 0x0b82},   {0x0bc0, 0x0bc0},   {0x0bcd, 0x0bcd},   {0x0c3e, 0x0c40},
        {0x0c46, 0x0c56},   {0x0cbc, 0x0cbc},   {0x0ccc, 0x0ccd},   {0x0d41, 0x0d44},
        {0x0d4d, 0x0d4d},   {0x0dca, 0x0dca},   {0x0dd2, 0x0dd6},   {0x0e31, 0x0e31},
        {0x0e34, 0x0e3a},   {0x0e47, 0x0e4e},   {0x0eb1, 0x0eb1},   {0x0eb4, 0x0ebc},
        {0x0ec8, 0x0ecd},   {0x0f18, 0x0f19},   {0x0f35, 0x0f35},   {0x0f37, 0x0f37},
        {0x0f39, 0x0f39},   {0x0f71, 0x0f7e},   {0x0f80, 0x0f84},   {0x0f86, 0x0f87},
        {0x0f8d, 0x0fbc},   {0x0fc6, 0x0fc6},   {0x102d, 0x1030},   {0x1032, 0x1037},
        {0x1039, 0x103a},   {0x103d, 0x103e},   {0x1058, 0x1059},   {0x105e, 0x1060},
        {0x1071, 0x1074},   {0x1082, 0x1082},   {0x1085, 0x1086},   {0x108d, 0x108d},
        {0x109d, 0x109d},   {0x1160, 0x11ff},   {0x135d, 0x135f},   {0x1712, 0x1714},
        {0x1732, 0x1734},   {0x1752, 0x1753},   {0x1772, 0x1773},   {0x17b4, 0x17b5},
        {0x17b7, 0x17bd},   {0x17c6, 0x17c6},   {0x17c9, 0x17d3},   {0x17dd, 0x17dd},
        {0x180b, 0x180f},   {0x1885, 0x1886},   {0x18a9, 0x18a9},   {0x1920, 0x1922},
        {0x1927, 0x1928},   {0x1932, 0x1932},   {0x1939, 0x193b},   {0x1a17, 0x1a18},
        {0x1a1b, 0x1a1b},   {0x1a56, 0x1a56},   {0x1a58, 0x1a7f},   {0x1ab0, 0x1aff},
        {0x1b00, 0x1b03},   {0x1b34, 0x1b34},   {0x1b36, 0x1b3a},   {0x1b3c, 0x1b3c},
        {0x1b42, 0x1b42},   {0x1b6b, 0x1b73},   {0x1b80, 0x1b81},   {0x1ba2, 0x1ba5},
        {0x1ba8, 0x1bad},   {0x1be6, 0x1be6},   {0x1be8, 0x1be9},   {0x1bed, 0x1bed},
        {0x1bef, 0x1bf1},   {0x1c2c, 0x1c33},   {0x1c36, 0x1c37},   {0x1cd0, 0x1cd2},
        {0x1cd4, 0x1ce8},   {0x1ced, 0x1ced},   {0x1cf4, 0x1cf4},   {0x1cf8, 0x1cf9},
        {0x1dc0, 0x1dff},   {0x200b, 0x200f},   {0x2060, 0x2064},   {0x20d0, 0x20f0},
        {0x2cef, 0x2cf1},   {0x2d7f, 0x2d7f},   {0x2de0, 0x2dff},   {0x302a, 0x302d},
        {0x3099, 0x309a},   {0xa66f, 0xa672},   {0xa674, 0xa67d},   {0xa69e, 0xa69f},
        {0xa6f0, 0xa6f1},   {0xa802, 0xa802},   {0xa806, 0xa806},   {0xa80b, 0xa80b},
        {0xa825, 0xa826},   {0xa8c4, 0xa8c5},   {0xa8e0, 0xa8f1},   {0xa926, 0xa92d},
        {0xa947, 0xa951},   {0xa980, 0xa982},   {0xa9b3, 0xa9b3},   {0xa9b6, 0xa9b9},
        {0xa9bc, 0xa9bd},   {0xd7b0, 0xd7ff},   {0xfb1e, 0xfb1e},   {0xfe00, 0xfe0f},
        {0xfe20, 0xfe2f},   {0xfeff, 0xfeff},   {0x1d167, 0x1d169}, {0x1d173, 0x1d182},
        {0x1d185, 0x1d18b}, {0x1d1aa, 0x1d1ad}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
        {0xe0100, 0xe01ef},
};

/* East Asian Wide (W) and Fullwidth (F) from Unicode 15 EastAsianWidth.txt, which includes
 * the characters with default emoji presentation (they are W since Unicode 9). */
static const Range wide[] = {
        {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
        {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
        {0x2648, 0x2653},   {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
        {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},   {0x26ce, 0x26ce},
        {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
        {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
        {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},
        {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27b0, 0x27b0},   {0x27bf, 0x27bf},
        {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
        {0x3041, 0x3247},   {0x3250, 0x4dbf},   {0x4e00, 0xa4cf},   {0xa960, 0xa97f},
        {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},
        {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x16fe4}, {0x16ff0, 0x16ff1},
        {0x17000, 0x18cd5}, {0x18d00, 0x18d08}, {0x1aff0, 0x1b2ff}, {0x1f004, 0x1f004},
        {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f202},
        {0x1f210, 0x1f23b}, {0x1f240, 0x1f248}, {0x1f250, 0x1f251}, {0x1f260, 0x1f265},
        {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff}, {0x1f7e0, 0x1f7f0}, {0x1f90c, 0x1f9ff},
        {0x1fa70, 0x1faff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

static bool in_ranges(uint32_t cp, const Range *r, size_t n)
{
        size_t lo = 0, hi = n;

        if (cp < r[0].first || cp > r[n - 1].last)
                return false;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cp > r[mid].last)
                        lo = mid + 1;
                else if (cp < r[mid].first)
                        hi = mid;
                else
                        return true;
        }
        return false;
}

bool term_char_is_control(uint32_t cp)
{
        /* Bidi embeddings, overrides and isolates can reorder what follows them on screen
         * ("Trojan Source", CVE-2021-42574): untrusted text must not carry them to a table. */
        return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
               (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t term_char_width(uint32_t cp)
{
        if (cp < 0x300)
                return 1; /* ASCII, Latin-1 and controls (shown as '?') */
        if (term_char_is_control(cp))
                return 1;
        if (in_ranges(cp, zero_width, ELEMENTSOF(zero_width)))
                return 0;
        if (in_ranges(cp, wide, ELEMENTSOF(wide)))
                return 2;
        return 1;
}

size_t term_display_width_n(const char *s, size_t bytes)
{
        size_t w = 0;

        for (size_t i = 0; i < bytes;) {
                uint32_t cp;
                i += term_utf8_decode(s + i, bytes - i, &cp);
                w += term_char_width(cp);
        }
        return w;
}

size_t term_display_width(const char *s)
{
        return s ? term_display_width_n(s, strlen(s)) : 0;
}

/* Appends the character at s (len bytes, decoded as cp) in its printable form. */
static void put_safe(StrBuf *b, const char *s, size_t len, uint32_t cp)
{
        if (term_char_is_control(cp))
                (void) strbuf_putc(b, '?');
        else if (cp == 0xfffd)
                (void) strbuf_puts(b, "\xef\xbf\xbd"); /* also replaces the invalid byte */
        else
                (void) strbuf_append(b, s, len);
}

char *term_truncate(const char *s, size_t max_width)
{
        StrBuf b = {};
        size_t n, w = 0;

        if (!s)
                return xstrdup("");
        n = strlen(s);
        /* Room for the "…" only has to be kept when the whole text does not fit. */
        size_t limit = term_display_width_n(s, n) <= max_width ? max_width
                       : max_width > 0                         ? max_width - 1
                                                               : 0;
        bool cut = false;
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len = term_utf8_decode(s + i, n - i, &cp);
                size_t cw = term_char_width(cp);
                if (w + cw > limit) {
                        cut = true;
                        break;
                }
                put_safe(&b, s + i, len, cp);
                w += cw;
                i += len;
        }
        if (cut && max_width > 0)
                (void) strbuf_puts(&b, "…");
        return strbuf_steal(&b);
}

char *term_sanitize(const char *s)
{
        return term_truncate(s, SIZE_MAX);
}

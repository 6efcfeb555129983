/* The condition language (expr.h): a recursive-descent parser over the text, the canonical
 * printer, and the evaluator over the store. */
#include "scanners/expr.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/alloc.h"
#include "core/parse.h"
#include "core/strbuf.h"
#include "store/store.h"

static const char *const agg_names[_EXPR_AGG_MAX] = {
        [EXPR_AGG_NONE] = "",
        [EXPR_AGG_AVG] = "avg_over_time",
        [EXPR_AGG_MAX] = "max_over_time",
        [EXPR_AGG_MIN] = "min_over_time",
        [EXPR_AGG_SUM] = "sum_over_time",
        [EXPR_AGG_COUNT] = "count_over_time",
        [EXPR_AGG_LAST] = "last_over_time",
};

static const char *const cmp_names[_EXPR_CMP_MAX] = {
        [EXPR_CMP_GT] = ">",  [EXPR_CMP_GE] = ">=", [EXPR_CMP_LT] = "<",
        [EXPR_CMP_LE] = "<=", [EXPR_CMP_EQ] = "==", [EXPR_CMP_NE] = "!=",
};

static const char *const match_names[_EXPR_MATCH_MAX] = {
        [EXPR_MATCH_EQ] = "=",
        [EXPR_MATCH_NE] = "!=",
        [EXPR_MATCH_RE] = "=~",
        [EXPR_MATCH_NRE] = "!~",
};

/* Words the PromQL lexer takes as keywords (or numbers) wherever a metric name may stand,
 * compared case-insensitively as it does: a metric so named cannot be written bare. */
static const char *const promql_keywords[] = {
        "and",          "or",       "unless",     "atan2",       "sum",    "avg",   "count",
        "min",          "max",      "group",      "stddev",      "stdvar", "topk",  "bottomk",
        "count_values", "quantile", "limitk",     "limit_ratio", "offset", "by",    "without",
        "on",           "ignoring", "group_left", "group_right", "bool",   "start", "end",
        "step",         "inf",      "nan",
};

const char *expr_agg_to_string(ExprAgg a)
{
        return a >= 0 && a < _EXPR_AGG_MAX ? agg_names[a] : NULL;
}

const char *expr_cmp_to_string(ExprCmp c)
{
        return c >= 0 && c < _EXPR_CMP_MAX ? cmp_names[c] : NULL;
}

const char *expr_match_op_to_string(ExprMatchOp o)
{
        return o >= 0 && o < _EXPR_MATCH_MAX ? match_names[o] : NULL;
}

Expr *expr_free(Expr *e)
{
        if (!e)
                return NULL;
        for (size_t i = 0; i < e->n_matchers; i++) {
                free(e->matchers[i].label);
                free(e->matchers[i].value);
                pcre2_code_free(e->matchers[i].re);
        }
        free(e->matchers);
        free(e->metric);
        free(e);
        return NULL;
}

typedef struct Parser {
        const char *text;
        const char *p;
        char *err;
        int r;
} Parser;

static size_t column_of(const Parser *ps, const char *at)
{
        return (size_t) (at - ps->text) + 1;
}

_printf_(3, 4) static int fail_at(Parser *ps, const char *at, const char *fmt, ...)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        va_list ap;

        if (ps->err) /* the first error wins */
                return ps->r;
        (void) strbuf_printf(&b, "column %zu: ", column_of(ps, at));
        va_start(ap, fmt);
        (void) strbuf_vprintf(&b, fmt, ap);
        va_end(ap);
        ps->err = strbuf_steal(&b);
        ps->r = -EINVAL;
        return ps->r;
}

/* What the parser found instead, for messages: "'x'" or "the end". */
static const char *found(const char *at, char buf[static 16])
{
        if (*at == '\0')
                return "the end";
        if ((unsigned char) *at < 0x20 || (unsigned char) *at >= 0x7f)
                snprintf(buf, 16, "byte 0x%02x", (unsigned char) *at);
        else
                snprintf(buf, 16, "'%c'", *at);
        return buf;
}

static void skip_ws(Parser *ps)
{
        while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
                ps->p++;
}

static bool is_name_start(char c, bool colon)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

static bool is_name_char(char c, bool colon)
{
        return is_name_start(c, colon) || (c >= '0' && c <= '9');
}

static size_t name_len(const char *p, bool colon)
{
        size_t n = 0;

        if (!is_name_start(p[0], colon))
                return 0;
        while (is_name_char(p[n], colon))
                n++;
        return n;
}

static bool is_keyword(const char *s)
{
        for (size_t i = 0; i < ELEMENTSOF(promql_keywords); i++)
                if (strcasecmp(s, promql_keywords[i]) == 0)
                        return true;
        return false;
}

/* Length of the UTF-8 sequence at p, or 0 if it is not valid (overlong, surrogate, > U+10FFFF,
 * truncated), as Go's utf8 package judges. */
static size_t utf8_len(const unsigned char *p)
{
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                return (p[1] & 0xc0) == 0x80 ? 2 : 0;
        if (p[0] >= 0xe0 && p[0] <= 0xef) {
                unsigned char lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
                return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
        }
        if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                unsigned char lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
                return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80
                               ? 4
                               : 0;
        }
        return 0;
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static void put_utf8(StrBuf *b, uint32_t cp)
{
        char u[4];
        size_t n;

        if (cp < 0x80) {
                u[0] = (char) cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (char) (0xc0 | cp >> 6);
                u[1] = (char) (0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                u[0] = (char) (0xe0 | cp >> 12);
                u[1] = (char) (0x80 | (cp >> 6 & 0x3f));
                u[2] = (char) (0x80 | (cp & 0x3f));
                n = 3;
        } else {
                u[0] = (char) (0xf0 | cp >> 18);
                u[1] = (char) (0x80 | (cp >> 12 & 0x3f));
                u[2] = (char) (0x80 | (cp >> 6 & 0x3f));
                u[3] = (char) (0x80 | (cp & 0x3f));
                n = 4;
        }
        (void) strbuf_append(b, u, n);
}

/* A PromQL string at ps->p: "..." or '...' with escapes, or `raw`. */
static int parse_string(Parser *ps, char **ret)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        const char *start = ps->p;
        char q = *ps->p;
        char buf[16];

        if (q != '"' && q != '\'' && q != '`')
                return fail_at(ps, ps->p, "expected a quoted string, found %s", found(ps->p, buf));
        ps->p++;
        for (;;) {
                const char *at = ps->p;
                char c = *at;

                if (c == '\0')
                        return fail_at(ps, start, "string not closed");
                if (c == q) {
                        ps->p++;
                        break;
                }
                if (c == '\n' && q != '`')
                        return fail_at(ps, at, "newline in a string (write \\n)");
                if (c == '\\' && q != '`') {
                        char e = at[1];
                        switch (e) {
                        case '\\':
                        case '"':
                        case '\'':
                                c = e;
                                break;
                        case 'n':
                                c = '\n';
                                break;
                        case 't':
                                c = '\t';
                                break;
                        case 'r':
                                c = '\r';
                                break;
                        case 'a':
                                c = '\a';
                                break;
                        case 'b':
                                c = '\b';
                                break;
                        case 'f':
                                c = '\f';
                                break;
                        case 'v':
                                c = '\v';
                                break;
                        case 'x':
                        case 'u':
                        case 'U': {
                                /* Go's \xhh is a byte: only ASCII keeps the string UTF-8. */
                                size_t nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                                uint32_t cp = 0;
                                for (size_t k = 0; k < nd; k++) {
                                        int h = hex_digit(at[2 + k]);
                                        if (h < 0)
                                                return fail_at(ps, at,
                                                               "'\\%c' needs %zu hex digits", e,
                                                               nd);
                                        cp = cp << 4 | (uint32_t) h;
                                }
                                if (cp == 0 || (e == 'x' && cp > 0x7f) || cp > 0x10ffff ||
                                    (cp >= 0xd800 && cp <= 0xdfff))
                                        return fail_at(ps, at,
                                                       "escape of an invalid character (NUL, "
                                                       "a surrogate, or \\x above 7f)");
                                put_utf8(&b, cp);
                                ps->p += 2 + nd;
                                continue;
                        }
                        default:
                                return fail_at(ps, at,
                                               "unknown escape '\\%c' in a string (known: \\\\ "
                                               "\\\" \\' \\n \\r \\t \\a \\b \\f \\v "
                                               "\\xhh \\uhhhh \\Uhhhhhhhh)",
                                               e >= 0x20 && e < 0x7f ? e : '?');
                        }
                        (void) strbuf_putc(&b, c);
                        ps->p += 2;
                        continue;
                }
                size_t n = utf8_len((const unsigned char *) at);
                if (n == 0)
                        return fail_at(ps, at, "invalid UTF-8 in a string");
                (void) strbuf_append(&b, at, n);
                ps->p += n;
        }
        *ret = strbuf_steal(&b);
        return 0;
}

/* Prometheus durations: [0-9]+ with units y w d h m s ms, in that order, each once. */
static const struct {
        const char *unit;
        int64_t ms;
} duration_units[] = {
        {"y", 365 * 24 * 3600 * INT64_C(1000)},
        {"w", 7 * 24 * 3600 * INT64_C(1000)},
        {"d", 24 * 3600 * INT64_C(1000)},
        {"h", 3600 * INT64_C(1000)},
        {"ms", 1},
        {"m", 60 * INT64_C(1000)},
        {"s", 1000},
};

/* The rank of each unit in the required order (ms after s although listed before m so that
 * "ms" is tried before "m"). */
static const int duration_rank[] = {0, 1, 2, 3, 6, 4, 5};

static int parse_duration(Parser *ps, int64_t *ret)
{
        const char *start = ps->p;
        int64_t total = 0;
        int last_rank = -1;
        char buf[16];

        if (!(*ps->p >= '0' && *ps->p <= '9'))
                return fail_at(ps, ps->p, "expected a duration such as 5m, found %s",
                               found(ps->p, buf));
        while (*ps->p >= '0' && *ps->p <= '9') {
                const char *num = ps->p;
                uint64_t v = 0;

                while (*ps->p >= '0' && *ps->p <= '9') {
                        if (v > (uint64_t) EXPR_DURATION_MAX_MS)
                                return fail_at(ps, start, "duration too long (at most 10y)");
                        v = v * 10 + (uint64_t) (*ps->p - '0');
                        ps->p++;
                }
                size_t i;
                for (i = 0; i < ELEMENTSOF(duration_units); i++)
                        if (parse_startswith(ps->p, duration_units[i].unit))
                                break;
                if (i == ELEMENTSOF(duration_units))
                        return fail_at(ps, ps->p,
                                       "expected a duration unit (ms s m h d w y), found %s",
                                       found(ps->p, buf));
                if (duration_rank[i] <= last_rank)
                        return fail_at(ps, num,
                                       "duration units must go from the largest to the "
                                       "smallest, each once (as in 1h30m)");
                last_rank = duration_rank[i];
                if (v > (uint64_t) (EXPR_DURATION_MAX_MS / duration_units[i].ms))
                        return fail_at(ps, start, "duration too long (at most 10y)");
                total += (int64_t) v * duration_units[i].ms;
                if (total > EXPR_DURATION_MAX_MS)
                        return fail_at(ps, start, "duration too long (at most 10y)");
                ps->p += strlen(duration_units[i].unit);
        }
        if (total == 0)
                return fail_at(ps, start, "the duration must be above 0");
        *ret = total;
        return 0;
}

/* The length of the hex digits of \x (after the 'x'): "hh" or "{h...}" (1 to 6 digits),
 * the forms Go and PCRE2 both read; 0 for anything else (PCRE2 also takes \x and \xh). */
static size_t hex_escape_len(const char *h)
{
        static const char hex[] = "0123456789abcdefABCDEF";

        if (*h == '{') {
                size_t nd = strspn(h + 1, hex);
                return nd > 0 && nd <= 6 && h[1 + nd] == '}' ? nd + 2 : 0;
        }
        return strspn(h, hex) >= 2 ? 2 : 0;
}

/* Unicode classes both Go and PCRE2 know: the general categories Go has, Any, and the
 * common scripts (the full script lists follow different Unicode versions). */
static const char *const portable_props[] = {
        "L",        "Lu",     "Ll",     "Lt",         "Lm",   "Lo",       "M",      "Mn",
        "Mc",       "Me",     "N",      "Nd",         "Nl",   "No",       "P",      "Pc",
        "Pd",       "Ps",     "Pe",     "Pi",         "Pf",   "Po",       "S",      "Sm",
        "Sc",       "Sk",     "So",     "Z",          "Zs",   "Zl",       "Zp",     "C",
        "Cc",       "Cf",     "Co",     "Cs",         "Any",  "Latin",    "Greek",  "Cyrillic",
        "Armenian", "Hebrew", "Arabic", "Devanagari", "Thai", "Georgian", "Hangul", "Hiragana",
        "Katakana", "Han",    "Common", "Inherited",
};

/* The length of what follows \p or \P: "X" or "{[^]Name}" with a portable name; 0 if not. */
static size_t prop_escape_len(const char *h)
{
        const char *name = h;
        size_t n = 1, len = 1;

        if (*h == '{') {
                const char *e = strchr(h, '}');
                if (!e)
                        return 0;
                name = h[1] == '^' ? h + 2 : h + 1;
                n = (size_t) (e - name);
                len = (size_t) (e - h) + 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(portable_props); i++)
                if (strlen(portable_props[i]) == n && memcmp(portable_props[i], name, n) == 0)
                        return len;
        return 0;
}

#define REGEX_DEPTH_MAX 100
#define REGEX_SIZE_MAX  100000

/* An atom (literal, class, escape, group) of the given expanded size; counted at the
 * current level, remembered for a quantifier that may follow. */
#define ATOM(n)                                                                 \
        do {                                                                    \
                size[depth] += (n);                                             \
                if (size[depth] > REGEX_SIZE_MAX)                               \
                        return "regex too large once repetitions are expanded"; \
                last_size = (n);                                                \
                last_rep = 1;                                                   \
                have_atom = true;                                               \
                after_quant = false;                                            \
        } while (0)

/* Checks that a regex uses only syntax that Go's regexp (Prometheus) and PCRE2 both accept
 * and read alike: no backreferences, lookaround, atomic groups, possessive or nested
 * quantifiers, recursion, conditionals, \K \G \Z \R \h and friends, counts above 1000.
 * Returns NULL or why not, and the offset in *ret_off. */
static const char *regex_check_portable(const char *re, size_t *ret_off)
{
        const char *p = re;
        int depth = 0;
        bool have_atom = false, after_quant = false;
        /* Per group level: the size of the expanded regex (one per atom, times the counts
         * of {n,m}) and the largest product of nested counts, which Go limits to 1000; and
         * both for the last atom, which a quantifier applies to. */
        uint64_t size[REGEX_DEPTH_MAX + 1] = {0}, rep[REGEX_DEPTH_MAX + 1] = {0};
        uint64_t last_size = 0, last_rep = 1;

        for (; *p; p++) {
                *ret_off = (size_t) (p - re);
                if (*p == '\\') {
                        char c = p[1];
                        if (c == '\0')
                                return "trailing backslash";
                        if (c == 'Q') { /* literal up to \E */
                                const char *e = strstr(p + 2, "\\E");
                                /* Without \E it would swallow the ')' Prometheus adds. */
                                if (!e)
                                        return "\\Q needs a closing \\E";
                                p = e + 1;
                                ATOM(1);
                                continue;
                        }
                        if (c >= '1' && c <= '9')
                                return "backreferences are not supported by Prometheus";
                        if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
                            !strchr("afnrtvxdDsSwWpPbBAz", c))
                                return "escape not supported by Prometheus (RE2)";
                        if (c == 'p' || c == 'P') {
                                size_t n = prop_escape_len(p + 2);
                                if (n == 0)
                                        return "Unicode class unknown to Prometheus or PCRE2";
                                p += 1 + n;
                                ATOM(1);
                                continue;
                        }
                        if (c == 'x') {
                                size_t n = hex_escape_len(p + 2);
                                if (n == 0)
                                        return "\\x needs two hex digits or {hex}";
                                p += 1 + n;
                                ATOM(1);
                                continue;
                        }
                        p++;
                        ATOM(1);
                        continue;
                }
                if (*p == '[') {
                        const char *q = p + 1;
                        if (*q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        for (; *q && *q != ']'; q++) {
                                if (*q == '\\') {
                                        char c = q[1];
                                        if (c == '\0')
                                                return "trailing backslash";
                                        if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
                                            !strchr("afnrtvxdDsSwWpP", c))
                                                return "escape not supported in a class by "
                                                       "Prometheus (RE2)";
                                        if (c >= '0' && c <= '9')
                                                return "octal escapes are not portable";
                                        if (c == 'x' && hex_escape_len(q + 2) == 0)
                                                return "\\x needs two hex digits or {hex}";
                                        if ((c == 'p' || c == 'P') && prop_escape_len(q + 2) == 0)
                                                return "Unicode class unknown to Prometheus or "
                                                       "PCRE2";
                                        q += c == 'x'               ? 1 + hex_escape_len(q + 2)
                                             : c == 'p' || c == 'P' ? 1 + prop_escape_len(q + 2)
                                                                    : 1;
                                } else if (*q == '[' && q[1] == ':') {
                                        const char *e = strstr(q + 2, ":]");
                                        if (e)
                                                q = e + 1;
                                } else if (*q == '[' && (q[1] == '.' || q[1] == '=')) {
                                        return "collating elements are not supported";
                                }
                        }
                        if (!*q)
                                return "unclosed character class";
                        p = q;
                        ATOM(1);
                        continue;
                }
                if (*p == '(') {
                        if (p[1] == '?') {
                                const char *q = p + 2;
                                if (q[0] == 'P' && q[1] == '<') {
                                        p = q + 1;
                                } else if (*q == ':') {
                                        p = q;
                                } else {
                                        /* flags: [imsU]+ ['-' [imsU]+] or '-' [imsU]+ */
                                        size_t on = strspn(q, "imsU"), off = 0;
                                        q += on;
                                        if (*q == '-') {
                                                off = strspn(q + 1, "imsU");
                                                q += 1 + off;
                                                if (off == 0)
                                                        q = p + 2; /* refused below */
                                        }
                                        if ((on == 0 && off == 0) || (*q != ')' && *q != ':'))
                                                return "group syntax not supported by "
                                                       "Prometheus (RE2)";
                                        if (*q == ')') {
                                                p = q;
                                                continue; /* a flag setting, not an atom */
                                        }
                                        p = q;
                                }
                        } else if (p[1] == '*') {
                                return "PCRE verbs are not supported by Prometheus (RE2)";
                        }
                        if (depth >= REGEX_DEPTH_MAX)
                                return "groups nested too deep";
                        depth++;
                        size[depth] = 0;
                        rep[depth] = 1;
                        have_atom = false;
                        after_quant = false;
                        continue;
                }
                if (*p == ')') {
                        if (depth == 0)
                                return "unmatched ')'";
                        uint64_t inner_size = size[depth], inner_rep = rep[depth];
                        depth--;
                        rep[depth] = MAX(rep[depth], inner_rep);
                        ATOM(inner_size);
                        last_rep = inner_rep;
                        continue;
                }
                if (*p == '|') {
                        have_atom = false;
                        after_quant = false;
                        continue;
                }
                if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
                        const char *q = p;
                        uint64_t count = 1;
                        if (*p == '{') {
                                /* {n}, {n,}, {n,m}; anything else is a literal '{' in both */
                                uint64_t lo = 0, hi = 0;
                                bool has_hi = false;
                                q = p + 1;
                                if (*q == ',')
                                        return "'{,' is a literal for Prometheus but a "
                                               "quantifier for newer PCRE2: write \\{";
                                if (!(*q >= '0' && *q <= '9')) {
                                        ATOM(1);
                                        continue;
                                }
                                while (*q >= '0' && *q <= '9' && lo <= 100000)
                                        lo = lo * 10 + (uint64_t) (*q++ - '0');
                                if (*q == ',') {
                                        q++;
                                        has_hi = *q >= '0' && *q <= '9';
                                        while (*q >= '0' && *q <= '9' && hi <= 100000)
                                                hi = hi * 10 + (uint64_t) (*q++ - '0');
                                }
                                if (*q != '}') {
                                        ATOM(1);
                                        continue;
                                }
                                if (lo > 1000 || (has_hi && (hi > 1000 || hi < lo)))
                                        return "repetition counts must be at most 1000 and "
                                               "in order";
                                count = MAX(MAX(lo, hi), UINT64_C(1));
                        }
                        if (after_quant)
                                return "nested or possessive quantifiers are not supported "
                                       "by Prometheus (RE2)";
                        if (!have_atom)
                                return "a quantifier must follow something to repeat";
                        if (count * last_rep > 1000)
                                return "nested repetition counts multiply past 1000 (the "
                                       "limit of Prometheus)";
                        rep[depth] = MAX(rep[depth], count * last_rep);
                        size[depth] += last_size * (count - 1);
                        if (size[depth] > REGEX_SIZE_MAX)
                                return "regex too large once repetitions are expanded";
                        p = q;
                        after_quant = true;
                        if (p[1] == '?')
                                p++; /* lazy: still after a quantifier */
                        continue;
                }
                if (*p == '^' || *p == '$') {
                        ATOM(1); /* both engines let an anchor be repeated */
                        continue;
                }
                ATOM(1);
        }
        if (depth != 0) {
                *ret_off = (size_t) (p - re);
                return "missing ')'";
        }
        return NULL;
}

/* Compiled so that the whole value must match, as Prometheus' ^(?:re)$: anchored at both
 * ends, '$' only at the very end (Go's '$' without (?m)), UTF-8 as Go reads it. */
static int compile_regex(Parser *ps, const char *at, ExprMatcher *m)
{
        const char *why;
        size_t off = 0;
        int code;
        PCRE2_SIZE erroff;

        why = regex_check_portable(m->value, &off);
        if (why)
                return fail_at(ps, at, "invalid regex for label '%s' at offset %zu: %s", m->label,
                               off, why);
        m->re = pcre2_compile((PCRE2_SPTR) m->value, PCRE2_ZERO_TERMINATED,
                              PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY |
                                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                              &code, &erroff, NULL);
        if (!m->re) {
                PCRE2_UCHAR msg[256];
                if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
                        snprintf((char *) msg, sizeof(msg), "error %d", code);
                return fail_at(ps, at, "invalid regex for label '%s' at offset %zu: %s", m->label,
                               (size_t) erroff, (const char *) msg);
        }
        return 0;
}

static int parse_matchers(Parser *ps, Expr *e)
{
        size_t cap = 0;
        char buf[16];

        ps->p++; /* '{' */
        for (;;) {
                skip_ws(ps);
                if (*ps->p == '}') {
                        ps->p++;
                        return 0;
                }
                const char *lstart = ps->p;
                size_t n = name_len(ps->p, false);
                if (n == 0)
                        return fail_at(ps, ps->p, "expected a label name or '}', found %s",
                                       found(ps->p, buf));
                if (n == 8 && memcmp(lstart, "__name__", 8) == 0)
                        return fail_at(ps, lstart,
                                       "the metric name goes before '{', not in '__name__'");
                if (e->n_matchers >= EXPR_MATCHERS_MAX) {
                        fail_at(ps, lstart, "too many label matchers (at most %u)",
                                EXPR_MATCHERS_MAX);
                        return ps->r = -E2BIG;
                }
                if (e->n_matchers == cap) {
                        cap = cap ? cap * 2 : 4;
                        e->matchers = xreallocarray(e->matchers, cap, sizeof(ExprMatcher));
                }
                ExprMatcher *m = &e->matchers[e->n_matchers++];
                *m = (ExprMatcher){.label = xstrndup(lstart, n)};
                ps->p += n;
                skip_ws(ps);
                const char *opat = ps->p;
                if (parse_startswith(ps->p, "=~"))
                        m->op = EXPR_MATCH_RE;
                else if (parse_startswith(ps->p, "!~"))
                        m->op = EXPR_MATCH_NRE;
                else if (parse_startswith(ps->p, "!="))
                        m->op = EXPR_MATCH_NE;
                else if (*ps->p == '=')
                        m->op = EXPR_MATCH_EQ;
                else
                        return fail_at(ps, opat,
                                       "expected '=', '!=', '=~' or '!~' after label '%s', "
                                       "found %s",
                                       m->label, found(opat, buf));
                ps->p += strlen(match_names[m->op]);
                skip_ws(ps);
                const char *sat = ps->p;
                int r = parse_string(ps, &m->value);
                if (r < 0)
                        return r;
                if (m->op == EXPR_MATCH_RE || m->op == EXPR_MATCH_NRE) {
                        r = compile_regex(ps, sat, m);
                        if (r < 0)
                                return r;
                }
                skip_ws(ps);
                if (*ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (*ps->p != '}')
                        return fail_at(ps, ps->p, "expected ',' or '}' after a matcher, found %s",
                                       found(ps->p, buf));
        }
}

static int parse_number(Parser *ps, double *ret)
{
        const char *start = ps->p, *q = ps->p;
        char buf[64];
        double v;

        if (*q == '+' || *q == '-')
                q++;
        const char *digits = q;
        while (*q >= '0' && *q <= '9')
                q++;
        bool int_digits = q > digits;
        if (*q == '.') {
                q++;
                const char *frac = q;
                while (*q >= '0' && *q <= '9')
                        q++;
                if (!int_digits && q == frac)
                        return fail_at(ps, start, "expected a number");
        } else if (!int_digits) {
                return fail_at(ps, start, "expected a number, found %s", found(start, buf));
        }
        if (*q == 'e' || *q == 'E') {
                const char *ex = q + 1;
                if (*ex == '+' || *ex == '-')
                        ex++;
                if (!(*ex >= '0' && *ex <= '9'))
                        return fail_at(ps, q, "expected digits after the exponent");
                while (*ex >= '0' && *ex <= '9')
                        ex++;
                q = ex;
        }
        if ((size_t) (q - start) >= sizeof(buf))
                return fail_at(ps, start, "number too long");
        memcpy(buf, start, (size_t) (q - start));
        buf[q - start] = '\0';
        if (safe_atod(buf, &v) < 0 || !isfinite(v))
                return fail_at(ps, start, "number out of range");
        ps->p = q;
        *ret = v;
        return 0;
}

static int matcher_cmp(const void *a, const void *b)
{
        const ExprMatcher *x = a, *y = b;
        int c = strcmp(x->label, y->label);

        if (c != 0)
                return c;
        if (x->op != y->op)
                return x->op < y->op ? -1 : 1;
        return strcmp(x->value, y->value);
}

static int parse_expr(Parser *ps, Expr *e)
{
        char buf[16];
        const char *at;
        size_t n;

        skip_ws(ps);
        at = ps->p;
        n = name_len(ps->p, true);
        if (n == 0)
                return fail_at(ps, at,
                               "expected a metric name or a function such as avg_over_time, "
                               "found %s",
                               found(at, buf));
        _cleanup_free_ char *word = xstrndup(at, n);
        ps->p += n;
        skip_ws(ps);
        if (*ps->p == '(') {
                int a;
                for (a = EXPR_AGG_AVG; a < _EXPR_AGG_MAX; a++)
                        if (strcmp(word, agg_names[a]) == 0)
                                break;
                if (a == _EXPR_AGG_MAX)
                        return fail_at(ps, at,
                                       "unknown function '%s' (known: avg_over_time "
                                       "max_over_time min_over_time sum_over_time "
                                       "count_over_time last_over_time)",
                                       word);
                e->agg = (ExprAgg) a;
                ps->p++;
                skip_ws(ps);
                at = ps->p;
                n = name_len(ps->p, true);
                if (n == 0)
                        return fail_at(ps, at, "expected a metric name after '(', found %s",
                                       found(at, buf));
                e->metric = xstrndup(at, n);
                ps->p += n;
        } else {
                e->agg = EXPR_AGG_NONE;
                e->metric = TAKE_PTR(word);
        }
        if (is_keyword(e->metric))
                return fail_at(ps, at, "'%s' is a PromQL keyword, not usable as a metric name",
                               e->metric);
        skip_ws(ps);
        if (*ps->p == '{') {
                int r = parse_matchers(ps, e);
                if (r < 0)
                        return r;
                skip_ws(ps);
        }
        if (e->agg != EXPR_AGG_NONE) {
                if (*ps->p != '[')
                        return fail_at(ps, ps->p,
                                       "expected '[' and a duration after the selector, found %s",
                                       found(ps->p, buf));
                ps->p++;
                skip_ws(ps);
                int r = parse_duration(ps, &e->window_ms);
                if (r < 0)
                        return r;
                skip_ws(ps);
                if (*ps->p != ']')
                        return fail_at(ps, ps->p, "expected ']' after the duration, found %s",
                                       found(ps->p, buf));
                ps->p++;
                skip_ws(ps);
                if (*ps->p != ')')
                        return fail_at(ps, ps->p, "expected ')' after the range, found %s",
                                       found(ps->p, buf));
                ps->p++;
                skip_ws(ps);
        } else if (*ps->p == '[') {
                return fail_at(ps, ps->p,
                               "a range needs a function around it, as in "
                               "avg_over_time(%s[5m])",
                               e->metric);
        }
        at = ps->p;
        int c;
        for (c = EXPR_CMP_GE; c < _EXPR_CMP_MAX; c++) /* two-character operators first */
                if (strlen(cmp_names[c]) == 2 && parse_startswith(at, cmp_names[c]))
                        break;
        if (c == _EXPR_CMP_MAX) {
                if (*at == '>')
                        c = EXPR_CMP_GT;
                else if (*at == '<')
                        c = EXPR_CMP_LT;
                else if (*at == '=')
                        return fail_at(ps, at, "'=' is not a comparison, write '=='");
                else
                        return fail_at(ps, at, "expected a comparison (> >= < <= == !=), found %s",
                                       found(at, buf));
        }
        e->cmp = (ExprCmp) c;
        ps->p += strlen(cmp_names[c]);
        skip_ws(ps);
        if (*ps->p == 'b' && parse_startswith(ps->p, "bool"))
                return fail_at(ps, ps->p, "'bool' is not supported here");
        int r = parse_number(ps, &e->threshold);
        if (r < 0)
                return r;
        skip_ws(ps);
        if (*ps->p != '\0')
                return fail_at(ps, ps->p, "unexpected %s after the number", found(ps->p, buf));
        if (e->n_matchers > 1)
                qsort(e->matchers, e->n_matchers, sizeof(ExprMatcher), matcher_cmp);
        return 0;
}

int expr_parse(const char *text, Expr **ret, char **reterr_msg)
{
        _cleanup_(expr_freep) Expr *e = NULL;
        Parser ps = {.text = text, .p = text};

        assert(text && ret);
        if (strlen(text) > EXPR_TEXT_MAX) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("column %u: condition too long (at most %u bytes)",
                                                EXPR_TEXT_MAX + 1, EXPR_TEXT_MAX);
                return -E2BIG;
        }
        e = xnew0(Expr, 1);
        int r = parse_expr(&ps, e);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = TAKE_PTR(ps.err);
                free(ps.err);
                return r;
        }
        /* Escapes may make the canonical text longer than the input: it must parse too. */
        _cleanup_free_ char *canonical = expr_to_promql(e);
        if (strlen(canonical) > EXPR_TEXT_MAX) {
                if (reterr_msg)
                        *reterr_msg = xasprintf("column 1: condition too long once written "
                                                "canonically (at most %u bytes)",
                                                EXPR_TEXT_MAX);
                return -E2BIG;
        }
        *ret = TAKE_PTR(e);
        return 0;
}

char *expr_describe_error(const char *text, const char *msg)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        const char *p = msg;
        uint64_t col;

        assert(text && msg);
        (void) strbuf_puts(&b, msg);
        if (!parse_startswith(p, "column "))
                return strbuf_steal(&b);
        p += 7;
        size_t len = strlen(text);
        if (parse_u64(&p, &col) < 0 || *p != ':' || col < 1 || col > len + 1)
                return strbuf_steal(&b);
        (void) strbuf_puts(&b, "\n  ");
        for (size_t i = 0; i < len; i++)
                (void) strbuf_putc(&b, (unsigned char) text[i] < 0x20 ? ' ' : text[i]);
        (void) strbuf_puts(&b, "\n  ");
        /* Count UTF-8 characters, not bytes, so the caret lands under the right one. */
        for (size_t i = 0; i + 1 < col; i++)
                if (((unsigned char) text[i] & 0xc0) != 0x80)
                        (void) strbuf_putc(&b, ' ');
        (void) strbuf_putc(&b, '^');
        return strbuf_steal(&b);
}

static void put_string(StrBuf *b, const char *s)
{
        (void) strbuf_putc(b, '"');
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '\\' || c == '"') {
                        (void) strbuf_putc(b, '\\');
                        (void) strbuf_putc(b, (char) c);
                } else if (c == '\n') {
                        (void) strbuf_puts(b, "\\n");
                } else if (c == '\t') {
                        (void) strbuf_puts(b, "\\t");
                } else if (c == '\r') {
                        (void) strbuf_puts(b, "\\r");
                } else if (c < 0x20 || c == 0x7f) {
                        /* Control characters escaped: rule files are YAML, which refuses them. */
                        (void) strbuf_printf(b, "\\x%02x", c);
                } else if (c == 0xc2 && (unsigned char) s[1] >= 0x80 &&
                           (unsigned char) s[1] <= 0x9f) {
                        (void) strbuf_printf(b, "\\u%04x", (unsigned char) s[1]); /* C1 */
                        s++;
                } else if (c == 0xef && (unsigned char) s[1] == 0xbf &&
                           (unsigned char) s[2] >= 0xbe) {
                        (void) strbuf_printf(b, "\\u%04x", 0xffc0 | ((unsigned char) s[2] & 0x3f));
                        s += 2;
                } else {
                        (void) strbuf_putc(b, (char) c);
                }
        }
        (void) strbuf_putc(b, '"');
}

/* The shortest text that reads back to the same double, without an exponent when one of
 * at most 17 digits exists ("80", not "8e+01"). */
static void put_number(StrBuf *b, double v)
{
        char buf[40], best[40] = "";

        for (int prec = 1; prec <= 17; prec++) {
                double back;
                snprintf(buf, sizeof(buf), "%.*g", prec, v);
                if (safe_atod(buf, &back) < 0 || back != v)
                        continue;
                if (!best[0])
                        memcpy(best, buf, sizeof(best));
                if (!strchr(buf, 'e')) {
                        memcpy(best, buf, sizeof(best));
                        break;
                }
        }
        (void) strbuf_puts(b, best);
}

static void put_duration(StrBuf *b, int64_t ms)
{
        static const size_t order[] = {0, 1, 2, 3, 5, 6, 4}; /* y w d h m s ms */

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                int64_t u = duration_units[order[i]].ms;
                if (ms >= u) {
                        (void) strbuf_printf(b, "%" PRId64 "%s", ms / u,
                                             duration_units[order[i]].unit);
                        ms %= u;
                }
        }
}

char *expr_to_promql(const Expr *e)
{
        _cleanup_(strbuf_done) StrBuf b = {};

        assert(e);
        if (e->agg != EXPR_AGG_NONE) {
                (void) strbuf_puts(&b, agg_names[e->agg]);
                (void) strbuf_putc(&b, '(');
        }
        (void) strbuf_puts(&b, e->metric);
        if (e->n_matchers > 0) {
                (void) strbuf_putc(&b, '{');
                for (size_t i = 0; i < e->n_matchers; i++) {
                        if (i > 0)
                                (void) strbuf_putc(&b, ',');
                        (void) strbuf_puts(&b, e->matchers[i].label);
                        (void) strbuf_puts(&b, match_names[e->matchers[i].op]);
                        put_string(&b, e->matchers[i].value);
                }
                (void) strbuf_putc(&b, '}');
        }
        if (e->agg != EXPR_AGG_NONE) {
                (void) strbuf_putc(&b, '[');
                put_duration(&b, e->window_ms);
                (void) strbuf_puts(&b, "])");
        }
        (void) strbuf_printf(&b, " %s ", cmp_names[e->cmp]);
        put_number(&b, e->threshold);
        return strbuf_steal(&b);
}

bool expr_matcher_matches(const ExprMatcher *m, const char *value)
{
        assert(m && value);
        switch (m->op) {
        case EXPR_MATCH_EQ:
                return strcmp(value, m->value) == 0;
        case EXPR_MATCH_NE:
                return strcmp(value, m->value) != 0;
        case EXPR_MATCH_RE:
        case EXPR_MATCH_NRE: {
                pcre2_match_data *md = pcre2_match_data_create(1, NULL);
                pcre2_match_context *mc = pcre2_match_context_create(NULL);
                if (!md || !mc)
                        abort();
                (void) pcre2_set_match_limit(mc, EXPR_REGEX_MATCH_LIMIT);
                int rc = pcre2_match(m->re, (PCRE2_SPTR) value, strlen(value), 0, 0, md, mc);
                pcre2_match_context_free(mc);
                pcre2_match_data_free(md);
                /* A value too costly to decide (match limit) counts as not matching. */
                return (rc >= 0) == (m->op == EXPR_MATCH_RE);
        }
        default:
                assert(false);
                return false;
        }
}

bool expr_cmp_holds(ExprCmp c, double value, double threshold)
{
        switch (c) {
        case EXPR_CMP_GT:
                return value > threshold;
        case EXPR_CMP_GE:
                return value >= threshold;
        case EXPR_CMP_LT:
                return value < threshold;
        case EXPR_CMP_LE:
                return value <= threshold;
        case EXPR_CMP_EQ:
                return value == threshold;
        case EXPR_CMP_NE:
                return value != threshold; /* NaN != x holds in Go too */
        default:
                return false;
        }
}

static const char *label_value(const StoreSeries *s, const char *key)
{
        for (size_t i = 0; i < s->n_labels; i++)
                if (strcmp(s->labels[i].key, key) == 0)
                        return s->labels[i].value;
        return "";
}

/* As Prometheus' functions.go: avg is the plain mean (Prometheus switches to an incremental
 * mean only past float overflow), min/max replace a NaN by any number. */
static double aggregate(ExprAgg agg, const StoreSample *v, size_t n)
{
        double acc = v[0].value;

        switch (agg) {
        case EXPR_AGG_AVG:
        case EXPR_AGG_SUM:
                for (size_t i = 1; i < n; i++)
                        acc += v[i].value;
                return agg == EXPR_AGG_AVG ? acc / (double) n : acc;
        case EXPR_AGG_MAX:
                for (size_t i = 1; i < n; i++)
                        if (v[i].value > acc || isnan(acc))
                                acc = v[i].value;
                return acc;
        case EXPR_AGG_MIN:
                for (size_t i = 1; i < n; i++)
                        if (v[i].value < acc || isnan(acc))
                                acc = v[i].value;
                return acc;
        case EXPR_AGG_COUNT:
                return (double) n;
        case EXPR_AGG_NONE:
        case EXPR_AGG_LAST:
        default:
                return v[n - 1].value;
        }
}

void expr_result_array_free(ExprResult *a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(a[i].series);
        free(a);
}

int expr_eval(const Expr *e, Store *s, int64_t now_ms, ExprResult **ret, size_t *ret_n,
              char **reterr_msg)
{
        StoreSeries *series = NULL;
        size_t n_series = 0, n = 0;
        ExprResult *res = NULL;
        int fired = 0;
        int64_t window = e->agg == EXPR_AGG_NONE ? EXPR_LOOKBACK_MS : e->window_ms;

        assert(e && s && ret && ret_n);
        int r = store_series_match(s, e->metric, NULL, &series, &n_series);
        if (r < 0)
                goto out_error;
        for (size_t i = 0; i < n_series; i++) {
                bool ok = true;
                for (size_t j = 0; ok && j < e->n_matchers; j++)
                        ok = expr_matcher_matches(&e->matchers[j],
                                                  label_value(&series[i], e->matchers[j].label));
                if (!ok)
                        continue;
                _cleanup_free_ StoreSample *v = NULL;
                size_t nv = 0;
                /* (now - window, now]: the left edge is excluded, as in Prometheus 3. */
                r = store_query(s, series[i].id, now_ms - window + 1, now_ms, &v, &nv);
                if (r < 0)
                        goto out_error;
                if (nv == 0)
                        continue;
                if (!res)
                        res = xnew(ExprResult, n_series);
                double value = aggregate(e->agg, v, nv);
                bool f = expr_cmp_holds(e->cmp, value, e->threshold);
                res[n++] = (ExprResult){
                        .series = xstrdup(series[i].canonical),
                        .value = value,
                        .fired = f,
                };
                fired += f;
        }
        store_series_array_free(series, n_series);
        *ret = res;
        *ret_n = n;
        return fired;

out_error:
        if (reterr_msg)
                *reterr_msg = xasprintf("cannot evaluate '%s': %s", e->metric, store_last_error(s));
        store_series_array_free(series, n_series);
        expr_result_array_free(res, n);
        return r;
}

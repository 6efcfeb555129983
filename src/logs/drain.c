/* Drain (see drain.h), built for about a microsecond per line.
 *
 * Choices, beside what drain.h says (accuracy figures: bench/results/loghub-accuracy.md):
 * - Similarity of a line to a template of the same length: (tokens equal to the
 *   template's - 2 x conflicts) / token count, compared with the threshold the way Drain3
 *   compares (in double). Equality is literal: a "<*>" of the template equals only a "<*>"
 *   of the line (a masked token). Drain3 never counts a template's "<*>", not even against
 *   a masked token, so a template full of masked fields stops matching its own lines
 *   (Linux GA 0.42 with our maskers); counting every "<*>" as equal instead makes general
 *   templates swallow everything of their length (Hadoop GA 0.56 under the benchmark
 *   settings). A conflict is a position where template and line hold two different tokens
 *   that both look constant (a letter, no digit, no "<*>") and are not values of one key
 *   ("ret:true", "ret:false"): "VM Resumed" and "VM Started" are two templates however long
 *   the rest is. Over the 12 Loghub-2k sets this raises the average GA from 0.905 to 0.945.
 *   The best cluster has the highest similarity, then the most "<*>" (the most general),
 *   then is the oldest (Drain3's order of a leaf's list).
 * - Routing, as Drain3: the first min(depth - 3, tokens - 1) tokens pick the path; a token
 *   with a digit, or a "<*>", takes the "<*>" child; a new token takes the "<*>" child once
 *   the node has max_children children (the "<*>" child counted). Unlike Drain3, when the
 *   exact-token path holds no match the "<*>" path is tried as well, so a restored template
 *   with "<*>" where its first line had a word still catches that line.
 * - Messages shorter than depth - 2 tokens are mined like the others (logparser's Drain only
 *   groups identical ones; that costs Android 2.6 points of GA with the benchmark settings).
 * - Tokens are split on ASCII whitespace (space, \t, \n, \v, \f, \r); NUL and all other
 *   bytes are ordinary. Leading and trailing whitespace is dropped and runs of whitespace
 *   become one space in templates.
 * - Masks. The user's PCRE2 regexes run first, in order, each over the output of the one
 *   before (as Drain3's masker): every non-empty match becomes "<*>" (an empty match masks
 *   nothing); a match that cuts into an earlier "<*>" is widened to cover it. Patterns are
 *   compiled in UTF mode that tolerates invalid UTF-8 (\d, \w, \s stay ASCII, as in grep
 *   -P), JIT-compiled when the platform allows, with match and depth limits so a
 *   backtracking pattern cannot stall a line (a line over the limit keeps the rest of that
 *   regex's matches unmasked). Then the built-in maskers, written by hand, look at places
 *   where a word starts (after a byte that is not a letter or a digit; '_' and '.' do not
 *   join words, so "blk_-42" and "core.42" mask their numbers); a mask must end where a word
 *   ends. In order of trial:
 *     UUID            8-4-4-4-12 hex digits
 *     hex             0x1f, 0X1F; or 8+ hex digits, at least one a decimal digit and
 *                     one a letter
 *     IPv4[:port]     four groups of 1-3 digits, then optionally ':' and 1-5 digits
 *     MAC             six pairs of hex digits separated by ':' or '-'
 *     IPv6            hex groups with "::" or 8 groups, at least one decimal digit (not a
 *                     time like 12:34:56), optionally in [] with ":port", or with an IPv4
 *                     tail (::ffff:10.0.0.1)
 *     number          [-+]digits(.digits)*: integers, decimals, versions
 *     absolute path   '/' + one or more path bytes (letters, digits, ._-~+@%#!$&*=,
 *                     '/', bytes >= 0x80, "<*>"), 2 bytes at least, trailing '.' and ','
 *                     dropped; not after another '/' (URLs stay), not "/10.0.0.1" (an
 *                     address after a slash)
 * - Params: the masked text keeps, for every "<*>" in it, the byte range of the original
 *   message it replaced (a mask can span whitespace, e.g. OpenStack's "/.+?\s"); a literal
 *   "<*>" of the message is recorded as standing for itself. A "<*>" token of the template
 *   yields the original text of the whole message token there; any other template token
 *   equals the message token and yields the original text of each mask in it. So there is
 *   exactly one param per "<*>" of the template.
 * - Memory: clusters live in a slot array (id -> slot through an open-addressing table),
 *   tree edges are one open-addressing table keyed by (parent node, token), and a node is
 *   freed when the last cluster below it is evicted, so nodes follow the live clusters.
 *   Per-line work uses buffers kept in the Drain: no allocation per line once warm. */
#include "logs/drain.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/alloc.h"

#define NONE UINT32_MAX
/* What a conflict (see conflict()) costs in similarity, in tokens. */
#define CONFLICT_WEIGHT 2u
/* Bound on the work of one regex on one line: PCRE2's match limit (backtracking steps) and
 * depth limit, and the largest JIT stack. */
#define REGEX_MATCH_LIMIT     1000000u
#define REGEX_DEPTH_LIMIT     10000u
#define REGEX_JIT_STACK_BYTES (1024u * 1024u)

typedef struct Tok {
        uint32_t off; /* in the text it was cut from */
        uint32_t len;
        uint32_t word; /* of a template token: TOK_WORD or TOK_NOT_WORD (is_wordlike()) */
} Tok;

enum {
        TOK_UNKNOWN,
        TOK_WORD,
        TOK_NOT_WORD
};

/* A "<*>" of a masked text (at m_off) and the bytes [o_start, o_end) of the original message
 * it stands for. Spans are kept sorted by m_off, never overlapping. */
typedef struct Span {
        uint32_t m_off;
        uint32_t o_start;
        uint32_t o_end;
} Span;

typedef struct MaskBuf {
        char *text;
        size_t len, cap;
        Span *spans;
        size_t n_spans, cap_spans;
} MaskBuf;

typedef struct Cluster {
        uint32_t id; /* 0: free slot */
        uint32_t n_tokens;
        uint64_t count;
        char *template; /* tokens joined by single spaces, NUL-terminated */
        size_t template_len;
        Tok *tokens;       /* into template */
        uint32_t n_params; /* "<*>" tokens */
        uint32_t leaf;
        uint32_t lru_prev, lru_next; /* slots; NONE at the ends */
} Cluster;

typedef struct Node {
        uint32_t parent; /* NONE for a token-count node */
        uint32_t key_len;
        char *key; /* the token of the edge from the parent; NULL for "<*>" and count nodes */
        uint64_t key_hash;
        uint32_t wild;       /* the "<*>" child */
        uint32_t n_children; /* the "<*>" child included */
        uint32_t n_live;     /* clusters at or below; 0 = free node */
        uint32_t *clusters;  /* a leaf's cluster slots, oldest first */
        uint32_t n_clusters;
        size_t cap_clusters;
} Node;

struct Drain {
        unsigned layers; /* token layers: depth - 3 */
        double similarity;
        unsigned max_children;
        unsigned max_clusters;
        bool builtin_masks;

        pcre2_code **re;
        size_t n_re;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
        pcre2_jit_stack *jit_stack;
        bool *re_jit;

        Node *nodes;
        size_t n_nodes, cap_nodes;
        uint32_t *free_nodes;
        size_t n_free_nodes, cap_free_nodes;
        uint32_t count_node[DRAIN_MAX_TOKENS + 1];
        uint32_t *edges; /* node index or NONE; power-of-two size */
        size_t edge_cap, n_edges;

        Cluster *cl;
        size_t n_cl, cap_cl;
        uint32_t *free_cl;
        size_t n_free_cl, cap_free_cl;
        uint32_t *ids; /* slot or NONE; power-of-two size */
        size_t id_cap;
        size_t n_live;
        uint32_t lru_head, lru_tail; /* most and least recently matched */
        uint32_t last_id;

        /* The line being mined. */
        const char *orig;
        size_t orig_len;
        MaskBuf mb[3];
        const char *text;
        size_t text_len;
        const Span *spans;
        size_t n_spans;
        Tok toks[DRAIN_MAX_TOKENS];
        uint32_t n_toks;

        char *pbuf;
        size_t pbuf_cap;
        size_t *param_off;
        size_t *param_len;
        const char **params;
        size_t params_cap;
        char *tbuf; /* template being built */
        size_t tbuf_cap;
};

void drain_options_init(DrainOptions *o)
{
        assert(o);
        *o = (DrainOptions){
                .depth = DRAIN_DEPTH_DEFAULT,
                .similarity = DRAIN_SIMILARITY_DEFAULT,
                .max_children = DRAIN_MAX_CHILDREN_DEFAULT,
        };
}

/* Grows *p (elements of size) to hold at least need, doubling. */
static void grow(void *pp, size_t *cap, size_t need, size_t size)
{
        void **p = pp;
        if (need <= *cap)
                return;
        size_t c = *cap ? *cap : 16;
        while (c < need)
                c *= 2;
        *p = xreallocarray(*p, c, size);
        *cap = c;
}

/* Byte classes, one table lookup per byte in the hot loops. */
enum {
        C_SPACE = 1 << 0, /* ASCII whitespace: token separators */
        C_DIGIT = 1 << 1,
        C_HEX = 1 << 2,  /* 0-9 a-f A-F */
        C_WORD = 1 << 3, /* letters, digits, bytes of multi-byte characters */
        C_PATH = 1 << 4, /* may be inside an absolute path */
        C_LEAD = 1 << 5, /* may start a built-in mask outside a word: - + / [ : */
};

static const uint8_t cclass[256] = {
        ['\t' ... '\r'] = C_SPACE,
        [' '] = C_SPACE,
        ['0' ... '9'] = C_DIGIT | C_HEX | C_WORD | C_PATH,
        ['a' ... 'f'] = C_HEX | C_WORD | C_PATH,
        ['A' ... 'F'] = C_HEX | C_WORD | C_PATH,
        ['g' ... 'z'] = C_WORD | C_PATH,
        ['G' ... 'Z'] = C_WORD | C_PATH,
        [0x80 ... 0xff] = C_WORD | C_PATH,
        ['.'] = C_PATH,
        ['_'] = C_PATH,
        ['~'] = C_PATH,
        ['@'] = C_PATH,
        ['%'] = C_PATH,
        ['#'] = C_PATH,
        ['!'] = C_PATH,
        ['$'] = C_PATH,
        ['&'] = C_PATH,
        ['*'] = C_PATH,
        ['='] = C_PATH,
        [','] = C_PATH,
        ['-'] = C_PATH | C_LEAD,
        ['+'] = C_PATH | C_LEAD,
        ['/'] = C_PATH | C_LEAD,
        ['['] = C_LEAD,
        [':'] = C_LEAD,
};

static inline bool is_space(unsigned char c)
{
        return cclass[c] & C_SPACE;
}

static inline bool is_digit(unsigned char c)
{
        return cclass[c] & C_DIGIT;
}

static inline bool is_hex(unsigned char c)
{
        return cclass[c] & C_HEX;
}

/* Bytes that make words: letters, digits, and every byte of a multi-byte character. */
static inline bool is_word(unsigned char c)
{
        return cclass[c] & C_WORD;
}

static inline bool is_param(const char *s, size_t len)
{
        return len == 3 && s[0] == '<' && s[1] == '*' && s[2] == '>';
}

static bool has_digit(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (is_digit((unsigned char) s[i]))
                        return true;
        return false;
}

/* A hash of a token, 8 bytes at a time. */
static uint64_t hash_bytes(const char *s, size_t len)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325) ^ len, w;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                memcpy(&w, s + i, 8);
                h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
                h ^= h >> 31;
        }
        if (i < len) {
                w = 0;
                memcpy(&w, s + i, len - i);
                h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
                h ^= h >> 31;
        }
        return h;
}

static inline uint64_t mix(uint64_t h)
{
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        return h;
}

/* ---- masking ---------------------------------------------------------------------------- */

/* Rewrites a text (with its spans) into out, replacing byte ranges by "<*>". Nothing is
 * copied until the first replacement. */
typedef struct Rewrite {
        const char *in;
        size_t in_len;
        const Span *in_spans;
        size_t n_in_spans;
        MaskBuf *out;
        size_t copied;    /* input bytes [0, copied) are in out */
        size_t next_span; /* input spans before it are in out */
        bool changed;
} Rewrite;

static void mb_append(MaskBuf *b, const char *s, size_t n)
{
        grow(&b->text, &b->cap, b->len + n + 1, 1);
        char *o = b->text + b->len;
        if (n <= 16) { /* the gaps between masks are short: no library call */
                for (size_t i = 0; i < n; i++)
                        o[i] = s[i];
        } else {
                memcpy(o, s, n);
        }
        b->len += n;
}

static void mb_add_span(MaskBuf *b, uint32_t m_off, uint32_t o_start, uint32_t o_end)
{
        grow(&b->spans, &b->cap_spans, b->n_spans + 1, sizeof(Span));
        b->spans[b->n_spans++] = (Span){m_off, o_start, o_end};
}

/* Copies input [copied, upto) and the input spans [next_span, span_end) in it. */
static void rw_copy(Rewrite *w, size_t upto, size_t span_end)
{
        size_t base = w->out->len;
        for (size_t k = w->next_span; k < span_end; k++) {
                const Span *s = &w->in_spans[k];
                mb_add_span(w->out, (uint32_t) (base + (s->m_off - w->copied)), s->o_start,
                            s->o_end);
        }
        mb_append(w->out, w->in + w->copied, upto - w->copied);
        w->copied = upto;
        w->next_span = span_end;
}

/* The original offset of input position p, given k = the number of input spans that end at
 * or before p and none starting at p. */
static uint32_t map_literal(const Span *spans, size_t k, size_t p)
{
        if (k == 0)
                return (uint32_t) p;
        const Span *s = &spans[k - 1];
        return (uint32_t) (s->o_end + (p - (s->m_off + 3)));
}

/* Replaces input [ms, me) (ms >= copied) by "<*>"; returns the end actually replaced (the
 * range grows over any "<*>" it cuts into). */
static size_t rw_replace(Rewrite *w, size_t ms, size_t me)
{
        const Span *sp = w->in_spans;
        size_t n = w->n_in_spans, k = w->next_span;

        if (!w->changed) {
                w->out->len = 0;
                w->out->n_spans = 0;
                w->changed = true;
        }
        while (k < n && sp[k].m_off + 3 <= ms)
                k++;
        if (k < n && sp[k].m_off < ms)
                ms = sp[k].m_off;
        size_t j = k;
        while (j < n && sp[j].m_off < me) {
                if (sp[j].m_off + 3 > me)
                        me = sp[j].m_off + 3;
                j++;
        }
        uint32_t o_start = k < n && sp[k].m_off == ms ? sp[k].o_start : map_literal(sp, k, ms);
        uint32_t o_end = map_literal(sp, j, me);
        rw_copy(w, ms, k);
        mb_add_span(w->out, (uint32_t) w->out->len, o_start, o_end);
        mb_append(w->out, DRAIN_PARAM, 3);
        w->copied = me;
        w->next_span = j;
        return me;
}

/* Finishes a rewrite: true if anything was replaced (then out holds the new text). */
static bool rw_finish(Rewrite *w)
{
        if (!w->changed)
                return false;
        rw_copy(w, w->in_len, w->n_in_spans);
        return true;
}

static size_t next_char(const char *s, size_t n, size_t i)
{
        i++;
        while (i < n && ((unsigned char) s[i] & 0xc0) == 0x80)
                i++;
        return i;
}

static bool mask_regex(Drain *d, size_t r, Rewrite *w)
{
        size_t start = 0, n = w->in_len;

        while (start <= n) {
                int rc = d->re_jit[r] ? pcre2_jit_match(d->re[r], (PCRE2_SPTR) w->in, n, start, 0,
                                                        d->md, d->mctx)
                                      : pcre2_match(d->re[r], (PCRE2_SPTR) w->in, n, start, 0,
                                                    d->md, d->mctx);
                if (rc < 0)
                        break; /* no (further) match, or a limit was hit */
                const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->md);
                size_t ms = ov[0], me = ov[1];
                if (ms < w->copied)
                        ms = w->copied; /* \K games: never go back */
                if (me > n)
                        me = n;
                if (me <= ms) {
                        start = next_char(w->in, n, MAX(ms, start));
                        continue;
                }
                start = rw_replace(w, ms, me);
        }
        return rw_finish(w);
}

/* The built-in maskers: each returns the end of its match at s[i] (a word start), or i. */

static size_t run_of(const char *s, size_t n, size_t i, bool (*pred)(unsigned char))
{
        while (i < n && pred((unsigned char) s[i]))
                i++;
        return i;
}

static inline bool ends_word(const char *s, size_t n, size_t e)
{
        return e >= n || !is_word((unsigned char) s[e]);
}

static size_t match_uuid(const char *s, size_t n, size_t i)
{
        static const uint8_t groups[] = {8, 4, 4, 4, 12};
        size_t p = i;

        if (n - i < 36)
                return i;
        for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
                if (g > 0 && s[p++] != '-')
                        return i;
                for (size_t k = 0; k < groups[g]; k++)
                        if (!is_hex((unsigned char) s[p++]))
                                return i;
        }
        return ends_word(s, n, p) ? p : i;
}

static size_t match_hex(const char *s, size_t n, size_t i)
{
        if (s[i] == '0' && i + 2 < n && (s[i + 1] | 0x20) == 'x' &&
            is_hex((unsigned char) s[i + 2])) {
                size_t e = run_of(s, n, i + 2, is_hex);
                return ends_word(s, n, e) ? e : i;
        }
        size_t e = run_of(s, n, i, is_hex);
        if (e - i < 8 || !ends_word(s, n, e) || !has_digit(s + i, e - i))
                return i;
        for (size_t p = i; p < e; p++)
                if (!is_digit((unsigned char) s[p]))
                        return e; /* digits only: a number */
        return i;
}

/* 1 to max digits at s[p]; returns the end or p. */
static size_t digits(const char *s, size_t n, size_t p, size_t max)
{
        size_t e = p;
        while (e < n && e - p < max && is_digit((unsigned char) s[e]))
                e++;
        if (e < n && e - p == max && is_digit((unsigned char) s[e]))
                return p; /* too many */
        return e;
}

/* Four dotted groups of 1-3 digits; returns the end or i. */
static size_t ipv4_core(const char *s, size_t n, size_t i)
{
        size_t p = i;
        for (unsigned g = 0; g < 4; g++) {
                if (g > 0) {
                        if (p >= n || s[p] != '.')
                                return i;
                        p++;
                }
                size_t e = digits(s, n, p, 3);
                if (e == p)
                        return i;
                p = e;
        }
        return p;
}

static size_t match_ipv4(const char *s, size_t n, size_t i)
{
        size_t p = ipv4_core(s, n, i);
        if (p == i)
                return i;
        /* "1.2.3.4.5" is a version, not an address */
        if (p < n && s[p] == '.' && p + 1 < n && is_digit((unsigned char) s[p + 1]))
                return i;
        if (p + 1 < n && s[p] == ':' && is_digit((unsigned char) s[p + 1])) {
                size_t e = digits(s, n, p + 1, 5);
                if (e > p + 1 && ends_word(s, n, e))
                        return e;
        }
        return ends_word(s, n, p) ? p : i;
}

/* An IPv6 address without brackets at s[i]; returns the end or i. */
static size_t ipv6_core(const char *s, size_t n, size_t i)
{
        size_t p = i, groups = 0;
        bool dbl = false, digit = false;

        if (p + 1 < n && s[p] == ':' && s[p + 1] == ':') {
                dbl = true;
                p += 2;
        }
        for (;;) {
                size_t e = p;
                while (e < n && e - p < 4 && is_hex((unsigned char) s[e]))
                        e++;
                if (e == p)
                        break;
                if (e < n && (s[e] == '.') && groups <= 6) {
                        /* an IPv4 tail */
                        size_t v4 = ipv4_core(s, n, p);
                        if (v4 != p) {
                                p = v4;
                                groups += 2;
                                digit = true;
                        }
                        break;
                }
                if (e < n && is_hex((unsigned char) s[e]))
                        return i; /* a group of more than 4 */
                digit = digit || has_digit(s + p, e - p);
                groups++;
                p = e;
                if (groups == 8 || p >= n || s[p] != ':')
                        break;
                if (p + 1 < n && s[p + 1] == ':') {
                        if (dbl)
                                break; /* a second "::" */
                        dbl = true;
                        p += 2;
                        continue;
                }
                if (p + 1 < n && is_hex((unsigned char) s[p + 1]))
                        p++;
                else
                        break;
        }
        if (!digit || groups == 0 || (!dbl && groups != 8) || groups > 8)
                return i;
        return p;
}

static size_t match_ipv6(const char *s, size_t n, size_t i)
{
        if (s[i] == '[') {
                size_t p = ipv6_core(s, n, i + 1);
                if (p == i + 1 || p >= n || s[p] != ']')
                        return i;
                p++;
                if (p + 1 < n && s[p] == ':' && is_digit((unsigned char) s[p + 1])) {
                        size_t e = digits(s, n, p + 1, 5);
                        if (e > p + 1)
                                p = e;
                }
                return ends_word(s, n, p) ? p : i;
        }
        size_t p = ipv6_core(s, n, i);
        if (p == i || !ends_word(s, n, p) || (p < n && s[p] == ':'))
                return i;
        return p;
}

static size_t match_mac(const char *s, size_t n, size_t i)
{
        if (n - i < 17)
                return i;
        char sep = s[i + 2];
        if (sep != ':' && sep != '-')
                return i;
        for (size_t g = 0; g < 6; g++) {
                size_t p = i + 3 * g;
                if (!is_hex((unsigned char) s[p]) || !is_hex((unsigned char) s[p + 1]))
                        return i;
                if (g < 5 && s[p + 2] != sep)
                        return i;
        }
        return ends_word(s, n, i + 17) ? i + 17 : i;
}

static size_t match_number(const char *s, size_t n, size_t i)
{
        size_t p = i;
        if (s[p] == '-' || s[p] == '+')
                p++;
        size_t e = run_of(s, n, p, is_digit);
        if (e == p)
                return i;
        while (e + 1 < n && s[e] == '.' && is_digit((unsigned char) s[e + 1]))
                e = run_of(s, n, e + 1, is_digit);
        return ends_word(s, n, e) ? e : i;
}

static bool is_path_byte(unsigned char c)
{
        return cclass[c] & C_PATH;
}

static size_t match_path(const char *s, size_t n, size_t i)
{
        if (s[i] != '/' || (i > 0 && s[i - 1] == '/'))
                return i;
        size_t p = i + 1;
        for (;;) {
                if (p < n && is_path_byte((unsigned char) s[p]))
                        p++;
                else if (p + 2 < n && is_param(s + p, 3))
                        p += 3;
                else
                        break;
        }
        while (p > i + 1 && (s[p - 1] == '.' || s[p - 1] == ','))
                p--;
        if (p - i < 2 || s[i + 1] == '/')
                return i;
        /* "/10.0.0.1:50010" is an address after a slash: the address masker takes it */
        if (is_digit((unsigned char) s[i + 1]) && match_ipv4(s, n, i + 1) >= p)
                return i;
        return p;
}

/* The masks that can start with a letter or digit, at a word start. The run of hex digits
 * there and the byte after it rule out most of them at once. */
static size_t match_word(const char *s, size_t n, size_t i)
{
        size_t h = i, e;
        while (h < n && is_hex((unsigned char) s[h]))
                h++;
        size_t run = h - i;
        unsigned char next = h < n ? (unsigned char) s[h] : ' ';

        if (run == 0)
                return i;
        if (is_word(next)) /* only "0x1f" survives a letter after the hex run */
                return s[i] == '0' && run == 1 && (next | 0x20) == 'x' ? match_hex(s, n, i) : i;
        if (run == 8 && next == '-' && (e = match_uuid(s, n, i)) > i)
                return e;
        if (run >= 8 && (e = match_hex(s, n, i)) > i)
                return e;
        if (next == '.' && is_digit((unsigned char) s[i]) && (e = match_ipv4(s, n, i)) > i)
                return e;
        if (run == 2 && (next == ':' || next == '-') && (e = match_mac(s, n, i)) > i)
                return e;
        if (run <= 4 && next == ':' && (e = match_ipv6(s, n, i)) > i)
                return e;
        return is_digit((unsigned char) s[i]) ? match_number(s, n, i) : i;
}

/* Tries the built-in masks at s[i]; returns the end of the match or i. */
static size_t match_at(const char *s, size_t n, size_t i)
{
        unsigned char c = (unsigned char) s[i];
        uint8_t k = cclass[c];

        if (k & C_WORD)
                return k & C_HEX ? match_word(s, n, i) : i;
        if (!(k & C_LEAD) || (i > 0 && is_word((unsigned char) s[i - 1])))
                return i; /* not "a-5", "and/or", "std::map" */
        if (c == '-' || c == '+')
                return i + 1 < n && is_digit((unsigned char) s[i + 1]) ? match_number(s, n, i) : i;
        if (c == '/')
                return match_path(s, n, i);
        return match_ipv6(s, n, i);
}

#if defined(__SSE2__)
/* Bits of the 16 bytes at s (only the first n count when n < 16): the bytes in [lo, lo + len)
 * as unsigned values. */
static inline __m128i in_range(__m128i x, unsigned char lo, unsigned char len)
{
        return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char) (0x80 - lo))),
                              _mm_set1_epi8((char) (0x80 + len)));
}

/* 16 bytes from s, or the n < 16 left padded with zeros. */
static inline __m128i load16(const char *s, size_t n)
{
        if (n >= 16)
                return _mm_loadu_si128((const __m128i *) (const void *) s);
        char buf[16] = {0};
        memcpy(buf, s, n);
        return _mm_loadu_si128((const __m128i *) (const void *) buf);
}

/* Candidates for match_at() in 16 bytes: word starts on a hex digit, and - + / [ : after a
 * byte that is not a word byte. *word_carry: whether the byte before was a word byte. */
static inline unsigned candidates16(__m128i x, unsigned *word_carry)
{
        __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
        __m128i digit = in_range(x, '0', 10);
        __m128i letter = in_range(lower, 'a', 26);
        __m128i hexletter = in_range(lower, 'a', 6);
        __m128i lead =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
                                          _mm_cmpeq_epi8(x, _mm_set1_epi8('+'))),
                             _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')),
                                                       _mm_cmpeq_epi8(x, _mm_set1_epi8('['))),
                                          _mm_cmpeq_epi8(x, _mm_set1_epi8(':'))));
        unsigned word = (unsigned) (_mm_movemask_epi8(_mm_or_si128(digit, letter)) |
                                    _mm_movemask_epi8(x)); /* bytes >= 0x80 */
        unsigned hex = (unsigned) _mm_movemask_epi8(_mm_or_si128(digit, hexletter));
        unsigned after_word = ((word << 1) | *word_carry) & 0xffff;
        *word_carry = (word >> 15) & 1;
        return ((word & hex) | (unsigned) _mm_movemask_epi8(lead)) & ~after_word;
}
#endif

static bool mask_builtin(Rewrite *w)
{
        const char *s = w->in;
        size_t n = w->in_len, i = 0;

#if defined(__SSE2__)
        unsigned carry = 0;
        for (size_t base = 0; base < n; base += 16) {
                unsigned cand = candidates16(load16(s + base, n - base), &carry);
                if (n - base < 16)
                        cand &= (1u << (n - base)) - 1;
                while (cand) {
                        size_t p = base + (size_t) __builtin_ctz(cand);
                        cand &= cand - 1;
                        if (p < i)
                                continue; /* inside the last mask */
                        size_t e = match_at(s, n, p);
                        if (e > p)
                                i = rw_replace(w, p, e);
                }
        }
#else
        while (i < n) {
                size_t e = match_at(s, n, i);
                if (e > i) {
                        i = rw_replace(w, i, e);
                } else if (is_word((unsigned char) s[i])) {
                        /* to the end of the word */
                        while (i < n && is_word((unsigned char) s[i]))
                                i++;
                } else {
                        i++;
                }
        }
#endif
        return rw_finish(w);
}

/* Records the literal "<*>" of the text that no mask made, as standing for themselves, so
 * that every "<*>" of the masked text has a span. */
static void mark_literal_params(Drain *d)
{
        const char *t = d->text, *end = t + d->text_len, *p = t;
        size_t k = 0;
        MaskBuf *out = NULL;
        size_t copied_spans = 0;

        while ((p = memchr(p, '<', (size_t) (end - p)))) {
                size_t off = (size_t) (p - t);
                if (end - p < 3)
                        break;
                if (!is_param(p, 3)) {
                        p++;
                        continue;
                }
                while (k < d->n_spans && d->spans[k].m_off < off)
                        k++;
                if (k < d->n_spans && d->spans[k].m_off == off) {
                        p += 3;
                        continue;
                }
                if (!out) {
                        /* the spread-out copy lives in the buffer the text is not in */
                        out = &d->mb[2];
                        out->n_spans = 0;
                }
                for (; copied_spans < k; copied_spans++)
                        mb_add_span(out, d->spans[copied_spans].m_off,
                                    d->spans[copied_spans].o_start, d->spans[copied_spans].o_end);
                uint32_t o = map_literal(d->spans, k, off);
                mb_add_span(out, (uint32_t) off, o, o + 3);
                p += 3;
        }
        if (!out)
                return;
        for (; copied_spans < d->n_spans; copied_spans++)
                mb_add_span(out, d->spans[copied_spans].m_off, d->spans[copied_spans].o_start,
                            d->spans[copied_spans].o_end);
        d->spans = out->spans;
        d->n_spans = out->n_spans;
}

/* Splits text into d->toks. */
static void tokenize(Drain *d, const char *t, size_t n)
{
        uint32_t k = 0;

#if defined(__SSE2__)
        /* Token starts and ends from 16-byte masks of whitespace. */
        unsigned space_carry = 1;
        size_t start = 0;
        bool in = false;
        for (size_t base = 0; base < n; base += 16) {
                __m128i x = load16(t + base, n - base);
                unsigned space = (unsigned) _mm_movemask_epi8(
                        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), in_range(x, '\t', 5)));
                if (n - base < 16)
                        space |= ~((1u << (n - base)) - 1) & 0xffff; /* past the end */
                unsigned before = ((space << 1) | space_carry) & 0xffff;
                space_carry = (space >> 15) & 1;
                unsigned edges = (~space & before) | (space & ~before); /* starts, ends */
                while (edges) {
                        size_t p = base + (size_t) __builtin_ctz(edges);
                        edges &= edges - 1;
                        if (!in) {
                                start = p;
                                in = true;
                                if (k == DRAIN_MAX_TOKENS - 1)
                                        goto last;
                        } else {
                                d->toks[k++] = (Tok){.off = (uint32_t) start,
                                                     .len = (uint32_t) (p - start)};
                                in = false;
                        }
                }
        }
        if (in)
                d->toks[k++] = (Tok){.off = (uint32_t) start, .len = (uint32_t) (n - start)};
        d->n_toks = k;
        return;
last:;
        /* the last token is the rest of the text */
        size_t e = n;
        while (e > start && is_space((unsigned char) t[e - 1]))
                e--;
        d->toks[k++] = (Tok){.off = (uint32_t) start, .len = (uint32_t) (e - start)};
        d->n_toks = k;
#else
        size_t i = 0;
        for (;;) {
                while (i < n && is_space((unsigned char) t[i]))
                        i++;
                if (i >= n)
                        break;
                size_t start = i;
                if (k == DRAIN_MAX_TOKENS - 1) {
                        size_t e = n;
                        while (e > start && is_space((unsigned char) t[e - 1]))
                                e--;
                        d->toks[k++] =
                                (Tok){.off = (uint32_t) start, .len = (uint32_t) (e - start)};
                        break;
                }
                while (i < n && !is_space((unsigned char) t[i]))
                        i++;
                d->toks[k++] = (Tok){.off = (uint32_t) start, .len = (uint32_t) (i - start)};
        }
        d->n_toks = k;
#endif
}

/* Masks and tokenizes a message into d->text, d->spans, d->toks. */
static void prepare(Drain *d, const char *msg, size_t len)
{
        MaskBuf *cur = NULL;

        if (len > DRAIN_MAX_LINE_BYTES)
                len = DRAIN_MAX_LINE_BYTES;
        d->orig = msg;
        d->orig_len = len;
        d->text = msg;
        d->text_len = len;
        d->spans = NULL;
        d->n_spans = 0;

        for (size_t r = 0; r < d->n_re + (d->builtin_masks ? 1 : 0); r++) {
                MaskBuf *out = cur == &d->mb[0] ? &d->mb[1] : &d->mb[0];
                Rewrite w = {
                        .in = d->text,
                        .in_len = d->text_len,
                        .in_spans = d->spans,
                        .n_in_spans = d->n_spans,
                        .out = out,
                };
                bool changed = r < d->n_re ? mask_regex(d, r, &w) : mask_builtin(&w);
                if (!changed)
                        continue;
                cur = out;
                d->text = out->text;
                d->text_len = out->len;
                d->spans = out->spans;
                d->n_spans = out->n_spans;
        }
        /* a "<*>" that no mask made is in the message already */
        for (const char *p = memchr(msg, '<', len); p;
             p = memchr(p + 1, '<', (size_t) (msg + len - p - 1)))
                if (msg + len - p >= 3 && p[1] == '*' && p[2] == '>') {
                        mark_literal_params(d);
                        break;
                }
        tokenize(d, d->text, d->text_len);
}

/* ---- the tree ----------------------------------------------------------------------------- */

static inline uint64_t edge_hash(uint32_t parent, uint64_t key_hash)
{
        return mix(key_hash ^ ((uint64_t) parent * UINT64_C(0x9e3779b97f4a7c15)));
}

static void edges_insert_raw(Drain *d, uint32_t node)
{
        size_t mask = d->edge_cap - 1;
        size_t h = edge_hash(d->nodes[node].parent, d->nodes[node].key_hash) & mask;
        while (d->edges[h] != NONE)
                h = (h + 1) & mask;
        d->edges[h] = node;
}

static void edges_grow(Drain *d)
{
        uint32_t *old = d->edges;
        size_t old_cap = d->edge_cap;

        d->edge_cap = old_cap ? old_cap * 2 : 256;
        d->edges = xnew(uint32_t, d->edge_cap);
        memset(d->edges, 0xff, d->edge_cap * sizeof(uint32_t));
        for (size_t i = 0; i < old_cap; i++)
                if (old[i] != NONE)
                        edges_insert_raw(d, old[i]);
        free(old);
}

static uint32_t edges_find(const Drain *d, uint32_t parent, const char *key, size_t len,
                           uint64_t key_hash)
{
        if (!d->n_edges)
                return NONE;
        size_t mask = d->edge_cap - 1;
        for (size_t h = edge_hash(parent, key_hash) & mask;; h = (h + 1) & mask) {
                uint32_t e = d->edges[h];
                if (e == NONE)
                        return NONE;
                const Node *c = &d->nodes[e];
                if (c->key_hash == key_hash && c->parent == parent && c->key_len == len &&
                    memcmp(c->key, key, len) == 0)
                        return e;
        }
}

/* Deletion with backward shift (linear probing keeps no tombstones). */
static void edges_remove(Drain *d, uint32_t node)
{
        size_t mask = d->edge_cap - 1;
        size_t h = edge_hash(d->nodes[node].parent, d->nodes[node].key_hash) & mask;

        while (d->edges[h] != node)
                h = (h + 1) & mask;
        for (size_t j = (h + 1) & mask;; j = (j + 1) & mask) {
                uint32_t e = d->edges[j];
                if (e == NONE)
                        break;
                size_t home = edge_hash(d->nodes[e].parent, d->nodes[e].key_hash) & mask;
                /* e may move to h if its home is not in (h, j] cyclically */
                bool stays = h <= j ? (home > h && home <= j) : (home > h || home <= j);
                if (!stays) {
                        d->edges[h] = e;
                        h = j;
                }
        }
        d->edges[h] = NONE;
        d->n_edges--;
}

static uint32_t node_new(Drain *d, uint32_t parent)
{
        uint32_t i;
        if (d->n_free_nodes) {
                i = d->free_nodes[--d->n_free_nodes];
        } else {
                grow(&d->nodes, &d->cap_nodes, d->n_nodes + 1, sizeof(Node));
                i = (uint32_t) d->n_nodes++;
        }
        d->nodes[i] = (Node){.parent = parent, .wild = NONE};
        return i;
}

static uint32_t child_new(Drain *d, uint32_t parent, const char *key, size_t len)
{
        uint32_t c = node_new(d, parent);
        Node *p = &d->nodes[parent];

        p->n_children++;
        if (!key) {
                p->wild = c;
                return c;
        }
        if ((d->n_edges + 1) * 2 > d->edge_cap)
                edges_grow(d);
        Node *n = &d->nodes[c];
        n->key = xmemdup(key, len ? len : 1);
        n->key_len = (uint32_t) len;
        n->key_hash = hash_bytes(key, len);
        edges_insert_raw(d, c);
        d->n_edges++;
        return c;
}

static void node_release(Drain *d, uint32_t i)
{
        Node *n = &d->nodes[i];

        if (n->parent == NONE) {
                d->count_node[n->key_len] = NONE;
        } else {
                Node *p = &d->nodes[n->parent];
                if (p->wild == i)
                        p->wild = NONE;
                else
                        edges_remove(d, i);
                p->n_children--;
        }
        free(n->key);
        free(n->clusters);
        *n = (Node){.parent = NONE, .wild = NONE};
        grow(&d->free_nodes, &d->cap_free_nodes, d->n_free_nodes + 1, sizeof(uint32_t));
        d->free_nodes[d->n_free_nodes++] = i;
}

static inline uint32_t route_child(const Drain *d, uint32_t node, const char *tok, size_t len)
{
        if (is_param(tok, len))
                return d->nodes[node].wild;
        return edges_find(d, node, tok, len, hash_bytes(tok, len));
}

/* The leaf for a template's tokens, creating the path (Drain3's add_seq_to_prefix_tree). */
static uint32_t tree_add_path(Drain *d, const char *text, const Tok *toks, uint32_t n)
{
        uint32_t node = d->count_node[n];
        if (node == NONE) {
                node = d->count_node[n] = node_new(d, NONE);
                d->nodes[node].key_len = n; /* a token-count node keeps its count there */
        }

        uint32_t walk = n ? MIN(d->layers, n - 1) : 0;
        for (uint32_t i = 0; i < walk; i++) {
                const char *t = text + toks[i].off;
                size_t len = toks[i].len;
                uint32_t child = route_child(d, node, t, len);
                if (child == NONE) {
                        const Node *p = &d->nodes[node];
                        bool wild = is_param(t, len) || has_digit(t, len);
                        if (!wild && p->wild != NONE)
                                wild = p->n_children >= d->max_children;
                        else if (!wild)
                                wild = p->n_children + 1 >= d->max_children;
                        if (wild)
                                child = p->wild != NONE ? p->wild : child_new(d, node, NULL, 0);
                        else
                                child = child_new(d, node, t, len);
                }
                node = child;
        }
        return node;
}

static void leaf_add(Drain *d, uint32_t leaf, uint32_t slot)
{
        Node *n = &d->nodes[leaf];
        grow(&n->clusters, &n->cap_clusters, n->n_clusters + 1, sizeof(uint32_t));
        n->clusters[n->n_clusters++] = slot;
        for (uint32_t i = leaf; i != NONE; i = d->nodes[i].parent)
                d->nodes[i].n_live++;
}

static void leaf_remove(Drain *d, uint32_t leaf, uint32_t slot)
{
        Node *n = &d->nodes[leaf];
        for (uint32_t k = 0; k < n->n_clusters; k++)
                if (n->clusters[k] == slot) {
                        memmove(n->clusters + k, n->clusters + k + 1,
                                (n->n_clusters - k - 1) * sizeof(uint32_t));
                        n->n_clusters--;
                        break;
                }
        for (uint32_t i = leaf; i != NONE;) {
                uint32_t parent = d->nodes[i].parent;
                if (--d->nodes[i].n_live == 0)
                        node_release(d, i);
                i = parent;
        }
}

/* ---- clusters ----------------------------------------------------------------------------- */

static void ids_insert_raw(Drain *d, uint32_t slot)
{
        size_t mask = d->id_cap - 1;
        size_t h = mix(d->cl[slot].id) & mask;
        while (d->ids[h] != NONE)
                h = (h + 1) & mask;
        d->ids[h] = slot;
}

static void ids_grow(Drain *d)
{
        uint32_t *old = d->ids;
        size_t old_cap = d->id_cap;

        d->id_cap = old_cap ? old_cap * 2 : 256;
        d->ids = xnew(uint32_t, d->id_cap);
        memset(d->ids, 0xff, d->id_cap * sizeof(uint32_t));
        for (size_t i = 0; i < old_cap; i++)
                if (old[i] != NONE)
                        ids_insert_raw(d, old[i]);
        free(old);
}

static uint32_t ids_find(const Drain *d, uint32_t id)
{
        if (!d->id_cap)
                return NONE;
        size_t mask = d->id_cap - 1;
        for (size_t h = mix(id) & mask;; h = (h + 1) & mask) {
                uint32_t s = d->ids[h];
                if (s == NONE || d->cl[s].id == id)
                        return s;
        }
}

static void ids_remove(Drain *d, uint32_t slot)
{
        size_t mask = d->id_cap - 1;
        size_t h = mix(d->cl[slot].id) & mask;

        while (d->ids[h] != slot)
                h = (h + 1) & mask;
        for (size_t j = (h + 1) & mask;; j = (j + 1) & mask) {
                uint32_t e = d->ids[j];
                if (e == NONE)
                        break;
                size_t home = mix(d->cl[e].id) & mask;
                bool stays = h <= j ? (home > h && home <= j) : (home > h || home <= j);
                if (!stays) {
                        d->ids[h] = e;
                        h = j;
                }
        }
        d->ids[h] = NONE;
}

static void lru_unlink(Drain *d, uint32_t s)
{
        Cluster *c = &d->cl[s];
        if (c->lru_prev != NONE)
                d->cl[c->lru_prev].lru_next = c->lru_next;
        else
                d->lru_head = c->lru_next;
        if (c->lru_next != NONE)
                d->cl[c->lru_next].lru_prev = c->lru_prev;
        else
                d->lru_tail = c->lru_prev;
        c->lru_prev = c->lru_next = NONE;
}

static void lru_push_front(Drain *d, uint32_t s)
{
        Cluster *c = &d->cl[s];
        c->lru_prev = NONE;
        c->lru_next = d->lru_head;
        if (d->lru_head != NONE)
                d->cl[d->lru_head].lru_prev = s;
        d->lru_head = s;
        if (d->lru_tail == NONE)
                d->lru_tail = s;
}

static bool is_wordlike(const char *s, size_t n);

static void cluster_set_template(Cluster *c, const char *text, const Tok *toks, uint32_t n)
{
        size_t len = 0;
        for (uint32_t i = 0; i < n; i++)
                len += toks[i].len + (i > 0);
        char *t = xmalloc(len + 1);
        Tok *nt = c->tokens && c->n_tokens == n ? c->tokens : xnew(Tok, n ? n : 1);
        size_t p = 0;
        uint32_t n_params = 0;
        for (uint32_t i = 0; i < n; i++) {
                if (i > 0)
                        t[p++] = ' ';
                memcpy(t + p, text + toks[i].off, toks[i].len);
                nt[i] = (Tok){.off = (uint32_t) p,
                              .len = toks[i].len,
                              .word = is_wordlike(t + p, toks[i].len) ? TOK_WORD : TOK_NOT_WORD};
                n_params += is_param(t + p, toks[i].len);
                p += toks[i].len;
        }
        t[p] = '\0';
        free(c->template);
        if (nt != c->tokens)
                free(c->tokens);
        c->template = t;
        c->template_len = len;
        c->tokens = nt;
        c->n_tokens = n;
        c->n_params = n_params;
}

static void cluster_evict(Drain *d, uint32_t s)
{
        Cluster *c = &d->cl[s];
        lru_unlink(d, s);
        ids_remove(d, s);
        leaf_remove(d, c->leaf, s);
        free(c->template);
        free(c->tokens);
        *c = (Cluster){.lru_prev = NONE, .lru_next = NONE};
        grow(&d->free_cl, &d->cap_free_cl, d->n_free_cl + 1, sizeof(uint32_t));
        d->free_cl[d->n_free_cl++] = s;
        d->n_live--;
}

/* A new cluster with the given template tokens; evicts the least recently matched one first
 * when max_clusters is reached. */
static uint32_t cluster_new(Drain *d, uint32_t id, const char *text, const Tok *toks, uint32_t n,
                            uint64_t count)
{
        if (d->max_clusters && d->n_live >= d->max_clusters && d->lru_tail != NONE)
                cluster_evict(d, d->lru_tail);

        uint32_t s;
        if (d->n_free_cl) {
                s = d->free_cl[--d->n_free_cl];
        } else {
                grow(&d->cl, &d->cap_cl, d->n_cl + 1, sizeof(Cluster));
                s = (uint32_t) d->n_cl++;
        }
        Cluster *c = &d->cl[s];
        *c = (Cluster){.id = id, .count = count, .lru_prev = NONE, .lru_next = NONE};
        cluster_set_template(c, text, toks, n);
        if ((d->n_live + 1) * 2 > d->id_cap)
                ids_grow(d);
        ids_insert_raw(d, s);
        d->n_live++;
        lru_push_front(d, s);
        c->leaf = tree_add_path(d, c->template, c->tokens, n);
        leaf_add(d, c->leaf, s);
        if (id > d->last_id)
                d->last_id = id;
        return s;
}

/* ---- matching ----------------------------------------------------------------------------- */

static inline bool tok_eq(const char *a, size_t alen, const char *b, size_t blen)
{
        if (alen != blen)
                return false;
        if (alen > 16)
                return memcmp(a, b, alen) == 0;
        for (size_t i = 0; i < alen; i++)
                if (a[i] != b[i])
                        return false;
        return true;
}

/* The least number of matching tokens (of n) that reaches the threshold, computed the way
 * Drain3 compares: (double) k / n >= st. */
static uint32_t min_matching(double st, uint32_t n)
{
        uint32_t k = (uint32_t) (st * n);
        while (k > 0 && (double) (k - 1) / n >= st)
                k--;
        while (k < n && (double) k / n < st)
                k++;
        return k;
}

/* A token that looks like a constant: a letter, no digit, no "<*>". */
static bool is_wordlike(const char *s, size_t n)
{
        bool letter = false;
        for (size_t i = 0; i < n; i++) {
                uint8_t k = cclass[(unsigned char) s[i]];
                if (k & C_DIGIT)
                        return false;
                if (s[i] == '<' && i + 2 < n && s[i + 1] == '*' && s[i + 2] == '>')
                        return false;
                letter = letter || ((k & C_WORD) && (unsigned char) s[i] < 0x80);
        }
        return letter;
}

/* Whether two tokens are "key=value" or "key:value" with the same key. */
static bool same_key(const char *a, size_t an, const char *b, size_t bn)
{
        for (size_t i = 0; i < an && i < bn && a[i] == b[i]; i++)
                if (a[i] == '=' || a[i] == ':')
                        return true;
        return false;
}

/* Two different constant-looking tokens at one position ("Resumed" and "Started", "(usable)"
 * and "(reserved)"), not values of one key: evidence of two templates. */
static bool conflict(const Tok *ta, const char *a, const char *b, size_t bn, uint8_t *b_word)
{
        if (ta->word != TOK_WORD)
                return false;
        if (*b_word == TOK_UNKNOWN)
                *b_word = is_wordlike(b, bn) ? TOK_WORD : TOK_NOT_WORD;
        return *b_word == TOK_WORD && !same_key(a, ta->len, b, bn);
}

/* The best cluster of a leaf for the current line, or NONE. The score of a cluster is its
 * tokens equal to the line's (a "<*>" of the template equals only a "<*>" of the line) less
 * CONFLICT_WEIGHT per conflict; the best has the highest score, then the most "<*>", then is
 * the oldest. *ret_equal = the equal tokens of the best. */
static uint32_t leaf_match(const Drain *d, uint32_t leaf, uint32_t *ret_equal)
{
        const Node *node = &d->nodes[leaf];
        uint32_t n = d->n_toks, best = NONE, best_score = 0, best_params = 0, best_equal = 0;
        uint32_t need = min_matching(d->similarity, n);
        const char *text = d->text;
        const Tok *mt = d->toks;

        *ret_equal = 0;
        if (n == 0)
                return node->n_clusters ? node->clusters[0] : NONE;
        /* whether each line token is word-like, found out once when first needed */
        uint8_t line_word[DRAIN_MAX_TOKENS];
        memset(line_word, TOK_UNKNOWN, n);
        for (uint32_t k = 0; k < node->n_clusters; k++) {
                const Cluster *c = &d->cl[node->clusters[k]];
                const Tok *tt = c->tokens;
                uint32_t equal = 0, conflicts = 0, floor = MAX(need, best_score);
                for (uint32_t i = 0; i < n; i++) {
                        const char *t = c->template + tt[i].off, *m = text + mt[i].off;
                        if (tok_eq(t, tt[i].len, m, mt[i].len)) {
                                equal++;
                                continue;
                        }
                        conflicts += conflict(&tt[i], t, m, mt[i].len, &line_word[i]);
                        /* the best this cluster can still score: every later token equal */
                        if (equal + (n - i - 1) < floor + CONFLICT_WEIGHT * conflicts)
                                break; /* cannot reach the threshold or the best */
                }
                uint32_t penalty = CONFLICT_WEIGHT * conflicts;
                if (equal < penalty || equal - penalty < need)
                        continue;
                uint32_t score = equal - penalty;
                if (best == NONE || score > best_score ||
                    (score == best_score && c->n_params > best_params)) {
                        best = node->clusters[k];
                        best_score = score;
                        best_params = c->n_params;
                        best_equal = equal;
                }
        }
        *ret_equal = best_equal;
        return best;
}

/* Walks the exact-token path, then (when it found nothing) the "<*>" path, at each layer. */
static uint32_t search(const Drain *d, uint32_t node, uint32_t i, uint32_t walk,
                       uint32_t *ret_score)
{
        if (i == walk)
                return leaf_match(d, node, ret_score);
        const char *t = d->text + d->toks[i].off;
        size_t len = d->toks[i].len;
        uint32_t child = route_child(d, node, t, len), wild = d->nodes[node].wild;
        if (child != NONE) {
                uint32_t r = search(d, child, i + 1, walk, ret_score);
                if (r != NONE || child == wild)
                        return r;
        }
        return wild != NONE ? search(d, wild, i + 1, walk, ret_score) : NONE;
}

/* The cluster for the current line, or NONE; *ret_score = its tokens equal to the line's. */
static uint32_t tree_search(const Drain *d, uint32_t *ret_score)
{
        uint32_t n = d->n_toks;
        uint32_t node = d->count_node[n];
        *ret_score = 0;
        if (node == NONE)
                return NONE;
        return search(d, node, 0, n ? MIN(d->layers, n - 1) : 0, ret_score);
}

/* ---- params ------------------------------------------------------------------------------- */

static void params_add(Drain *d, size_t *n, size_t *used, uint32_t o_start, uint32_t o_end)
{
        size_t len = o_end - o_start;
        grow(&d->pbuf, &d->pbuf_cap, *used + len + 1, 1);
        if (*n + 1 > d->params_cap) {
                size_t cap = d->params_cap;
                grow(&d->param_off, &cap, *n + 1, sizeof(size_t));
                cap = d->params_cap;
                grow(&d->param_len, &cap, *n + 1, sizeof(size_t));
                grow(&d->params, &d->params_cap, *n + 1, sizeof(char *));
        }
        memcpy(d->pbuf + *used, d->orig + o_start, len);
        d->pbuf[*used + len] = '\0';
        d->param_off[*n] = *used;
        d->param_len[*n] = len;
        *used += len + 1;
        (*n)++;
}

static size_t params_build(Drain *d, const Cluster *c)
{
        const Span *sp = d->spans;
        size_t ns = d->n_spans, k = 0, n = 0, used = 0;

        for (uint32_t i = 0; i < d->n_toks; i++) {
                size_t a = d->toks[i].off, b = a + d->toks[i].len;
                while (k < ns && sp[k].m_off < a)
                        k++;
                if (is_param(c->template + c->tokens[i].off, c->tokens[i].len)) {
                        uint32_t o_a =
                                k < ns && sp[k].m_off == a ? sp[k].o_start : map_literal(sp, k, a);
                        while (k < ns && sp[k].m_off < b)
                                k++;
                        params_add(d, &n, &used, o_a, map_literal(sp, k, b));
                        continue;
                }
                for (; k < ns && sp[k].m_off < b; k++)
                        params_add(d, &n, &used, sp[k].o_start, sp[k].o_end);
        }
        for (size_t j = 0; j < n; j++)
                d->params[j] = d->pbuf + d->param_off[j];
        return n;
}

/* ---- the API ------------------------------------------------------------------------------ */

static void fill(const Cluster *c, DrainCluster *ret)
{
        *ret = (DrainCluster){
                .id = c->id,
                .template = c->template,
                .template_len = c->template_len,
                .count = c->count,
        };
}

int drain_new(const DrainOptions *opt, Drain **ret, char **reterr_msg)
{
        _cleanup_(drain_freep) Drain *d = NULL;

        assert(opt && ret);
        if (opt->depth < 3 || opt->depth > 64 || !(opt->similarity > 0 && opt->similarity <= 1) ||
            opt->max_children < 2 || (opt->n_masks && !opt->masks)) {
                if (reterr_msg)
                        *reterr_msg = xstrdup("drain option out of range (depth 3..64, "
                                              "similarity in (0, 1], max_children >= 2)");
                return -EINVAL;
        }

        d = xnew0(Drain, 1);
        d->layers = opt->depth - 3;
        d->similarity = opt->similarity;
        d->max_children = opt->max_children;
        d->max_clusters = opt->max_clusters;
        d->builtin_masks = !opt->no_builtin_masks;
        d->lru_head = d->lru_tail = NONE;
        memset(d->count_node, 0xff, sizeof(d->count_node));

        if (opt->n_masks) {
                d->re = xnew0(pcre2_code *, opt->n_masks);
                d->re_jit = xnew0(bool, opt->n_masks);
                d->mctx = pcre2_match_context_create(NULL);
                if (!d->mctx)
                        abort(); /* out of memory, as xmalloc */
                (void) pcre2_set_match_limit(d->mctx, REGEX_MATCH_LIMIT);
                (void) pcre2_set_depth_limit(d->mctx, REGEX_DEPTH_LIMIT);
        }
        for (size_t i = 0; i < opt->n_masks; i++) {
                int err;
                PCRE2_SIZE off;
                const char *pat = opt->masks[i];

                if (!pat) {
                        if (reterr_msg)
                                *reterr_msg = xstrdup("mask regex missing");
                        return -EINVAL;
                }
                d->re[i] = pcre2_compile((PCRE2_SPTR) pat, PCRE2_ZERO_TERMINATED,
                                         PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
                if (!d->re[i]) {
                        PCRE2_UCHAR buf[256];
                        if (pcre2_get_error_message(err, buf, sizeof(buf)) < 0)
                                buf[0] = '\0';
                        if (reterr_msg)
                                *reterr_msg = xasprintf("invalid mask regex '%s': %s at offset %zu",
                                                        pat, (const char *) buf, (size_t) off);
                        return -EINVAL;
                }
                d->n_re = i + 1;
                d->re_jit[i] = pcre2_jit_compile(d->re[i], PCRE2_JIT_COMPLETE) == 0;
                if (d->re_jit[i] && !d->jit_stack) {
                        d->jit_stack =
                                pcre2_jit_stack_create(32 * 1024, REGEX_JIT_STACK_BYTES, NULL);
                        if (d->jit_stack)
                                pcre2_jit_stack_assign(d->mctx, NULL, d->jit_stack);
                }
        }
        if (d->n_re) {
                d->md = pcre2_match_data_create(1, NULL);
                if (!d->md)
                        abort();
        }
        *ret = TAKE_PTR(d);
        return 0;
}

Drain *drain_free(Drain *d)
{
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_re; i++)
                pcre2_code_free(d->re[i]);
        free(d->re);
        free(d->re_jit);
        pcre2_match_data_free(d->md);
        pcre2_match_context_free(d->mctx);
        pcre2_jit_stack_free(d->jit_stack);
        for (size_t i = 0; i < d->n_nodes; i++) {
                free(d->nodes[i].key);
                free(d->nodes[i].clusters);
        }
        free(d->nodes);
        free(d->free_nodes);
        free(d->edges);
        for (size_t i = 0; i < d->n_cl; i++) {
                free(d->cl[i].template);
                free(d->cl[i].tokens);
        }
        free(d->cl);
        free(d->free_cl);
        free(d->ids);
        for (size_t i = 0; i < ELEMENTSOF(d->mb); i++) {
                free(d->mb[i].text);
                free(d->mb[i].spans);
        }
        free(d->pbuf);
        free(d->param_off);
        free(d->param_len);
        free(d->params);
        free(d->tbuf);
        free(d);
        return NULL;
}

/* Merges the current line into cluster s; true if the template gained a "<*>". */
static bool cluster_merge(Drain *d, uint32_t s)
{
        Cluster *c = &d->cl[s];
        uint32_t n = c->n_tokens;
        bool changed = false;

        for (uint32_t i = 0; i < n && !changed; i++) {
                const char *t = c->template + c->tokens[i].off;
                if (!is_param(t, c->tokens[i].len) &&
                    !tok_eq(t, c->tokens[i].len, d->text + d->toks[i].off, d->toks[i].len))
                        changed = true;
        }
        if (!changed)
                return false;

        /* Rebuild: the template's tokens, "<*>" where the line differs. */
        grow(&d->tbuf, &d->tbuf_cap, c->template_len + 3 * n + 1, 1);
        Tok *nt = xnew(Tok, n);
        size_t p = 0;
        for (uint32_t i = 0; i < n; i++) {
                const char *t = c->template + c->tokens[i].off;
                size_t tl = c->tokens[i].len;
                if (!is_param(t, tl) && !tok_eq(t, tl, d->text + d->toks[i].off, d->toks[i].len)) {
                        t = DRAIN_PARAM;
                        tl = 3;
                }
                memcpy(d->tbuf + p, t, tl);
                nt[i] = (Tok){.off = (uint32_t) p, .len = (uint32_t) tl};
                p += tl + 1;
        }
        cluster_set_template(c, d->tbuf, nt, n);
        free(nt);
        return true;
}

int drain_add(Drain *d, const char *msg, size_t len, DrainChange *ret_change,
              DrainCluster *ret_cluster, const char *const **ret_params, size_t *ret_n_params)
{
        DrainChange change = DRAIN_CHANGE_NONE;

        assert(d && (msg || len == 0));
        prepare(d, msg ? msg : "", len);

        uint32_t score;
        uint32_t s = tree_search(d, &score);
        if (s == NONE) {
                if (d->last_id == UINT32_MAX)
                        return -ERANGE;
                s = cluster_new(d, d->last_id + 1, d->text, d->toks, d->n_toks, 1);
                change = DRAIN_CHANGE_CREATED;
        } else {
                if (score < d->n_toks && cluster_merge(d, s))
                        change = DRAIN_CHANGE_TEMPLATE;
                d->cl[s].count++;
                if (d->max_clusters && d->lru_head != s) {
                        lru_unlink(d, s);
                        lru_push_front(d, s);
                }
        }

        const Cluster *c = &d->cl[s];
        if (ret_params || ret_n_params) {
                size_t np = params_build(d, c);
                if (ret_params)
                        *ret_params = d->params;
                if (ret_n_params)
                        *ret_n_params = np;
        }
        if (ret_change)
                *ret_change = change;
        if (ret_cluster)
                fill(c, ret_cluster);
        return 0;
}

const size_t *drain_param_lengths(const Drain *d)
{
        assert(d);
        return d->param_len;
}

int drain_match(Drain *d, const char *msg, size_t len, DrainCluster *ret_cluster)
{
        assert(d && (msg || len == 0));
        prepare(d, msg ? msg : "", len);
        uint32_t score;
        uint32_t s = tree_search(d, &score);
        if (s == NONE)
                return 0;
        if (ret_cluster)
                fill(&d->cl[s], ret_cluster);
        return 1;
}

int drain_restore(Drain *d, uint32_t id, const char *template, uint64_t count)
{
        assert(d && template);
        if (id == 0)
                return -EINVAL;
        if (ids_find(d, id) != NONE)
                return -EEXIST;
        size_t len = strnlen(template, DRAIN_MAX_LINE_BYTES);
        tokenize(d, template, len);
        (void) cluster_new(d, id, template, d->toks, d->n_toks, count);
        return 0;
}

bool drain_get(Drain *d, uint32_t id, DrainCluster *ret)
{
        assert(d);
        uint32_t s = id ? ids_find(d, id) : NONE;
        if (s == NONE)
                return false;
        if (ret)
                fill(&d->cl[s], ret);
        return true;
}

size_t drain_n_clusters(const Drain *d)
{
        assert(d);
        return d->n_live;
}

static int cmp_id(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

int drain_foreach(Drain *d, int (*fn)(void *userdata, const DrainCluster *c), void *userdata)
{
        assert(d && fn);
        _cleanup_free_ uint32_t *ids = xnew(uint32_t, d->n_live ? d->n_live : 1);
        size_t n = 0;

        for (size_t s = 0; s < d->n_cl; s++)
                if (d->cl[s].id)
                        ids[n++] = d->cl[s].id;
        qsort(ids, n, sizeof(uint32_t), cmp_id);
        for (size_t i = 0; i < n; i++) {
                DrainCluster c;
                if (!drain_get(d, ids[i], &c))
                        continue; /* fn evicted it (it may add lines) */
                int r = fn(userdata, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}

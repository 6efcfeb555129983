/* Drain on small hand-checked corpora: routing, merging, the similarity boundary, the
 * maskers and params, restore after a restart, LRU eviction, and junk input. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "logs/drain.h"
#include "test-util.h"

/* A Drain with the given settings (no regexes); fails the test if it cannot be made. */
static Drain *make(unsigned depth, double sim, bool builtin)
{
        DrainOptions o;
        Drain *d = NULL;

        drain_options_init(&o);
        o.depth = depth;
        o.similarity = sim;
        o.no_builtin_masks = !builtin;
        assert_int_equal(drain_new(&o, &d, NULL), 0);
        return d;
}

/* Adds a line; returns its cluster id and checks that the template is `want` (if not NULL). */
static uint32_t add(Drain *d, const char *line, const char *want)
{
        DrainCluster c;
        assert_int_equal(drain_add(d, line, strlen(line), NULL, &c, NULL, NULL), 0);
        if (want)
                assert_string_equal(c.template, want);
        assert_int_equal(c.template_len, strlen(c.template));
        return c.id;
}

/* Adds a line and checks its template and params (a NULL-terminated list). */
static void add_params(Drain *d, const char *line, const char *want, const char *const *params)
{
        DrainCluster c;
        const char *const *got = NULL;
        size_t n = 0, want_n = 0;

        assert_int_equal(drain_add(d, line, strlen(line), NULL, &c, &got, &n), 0);
        assert_string_equal(c.template, want);
        while (params[want_n])
                want_n++;
        if (n != want_n)
                fail_msg("'%s': %zu params, expected %zu", line, n, want_n);
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(got[i], params[i]);
                assert_int_equal(drain_param_lengths(d)[i], strlen(params[i]));
        }
}

static const char *template_of(Drain *d, uint32_t id)
{
        DrainCluster c;
        assert_true(drain_get(d, id, &c));
        return c.template;
}

/* The running example of the Drain paper's section III, without masks. */
static void test_drain_add_paper_example(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(4, 0.4, false);
        DrainChange ch;
        DrainCluster c;

        (void) state;
        assert_int_equal(add(d, "Receive from node 4", NULL), 1);
        assert_int_equal(add(d, "Receive from node 5", "Receive from node <*>"), 1);
        assert_int_equal(add(d, "Send file file_01", NULL), 2);
        assert_int_equal(add(d, "Send file file_02", "Send file <*>"), 2);
        /* three tokens again, another first token: its own leaf */
        assert_int_equal(add(d, "Delete file file_01", "Delete file file_01"), 3);
        assert_int_equal(drain_add(d, "Receive from node 6", 19, &ch, &c, NULL, NULL), 0);
        assert_int_equal(ch, DRAIN_CHANGE_NONE);
        assert_int_equal(c.count, 3);
        assert_int_equal(drain_add(d, "Send file blob_03", 17, &ch, &c, NULL, NULL), 0);
        assert_int_equal(ch, DRAIN_CHANGE_NONE);
        assert_int_equal(c.id, 2);
        /* "data" and "file" are two words at one position: a conflict, 1 - 2 of 3 tokens */
        assert_int_equal(drain_add(d, "Send data file_03", 17, &ch, &c, NULL, NULL), 0);
        assert_int_equal(ch, DRAIN_CHANGE_CREATED);
        assert_int_equal(c.id, 4);
        assert_int_equal(drain_add(d, "Stop", 4, &ch, &c, NULL, NULL), 0);
        assert_int_equal(ch, DRAIN_CHANGE_CREATED);
        assert_int_equal(c.id, 5);
        assert_int_equal(drain_n_clusters(d), 5);
}

static void test_drain_add_lengths_never_merge(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(3, 0.1, false);

        (void) state;
        assert_int_equal(add(d, "a b", NULL), 1);
        assert_int_equal(add(d, "a b c", NULL), 2);
        assert_int_equal(add(d, "a b c d", NULL), 3);
        assert_int_equal(add(d, "a  b   c  ", "a b c"), 2); /* whitespace runs are one */
        assert_int_equal(add(d, "\ta\tb\t", "a b"), 1);
        assert_int_equal(drain_n_clusters(d), 3);
}

/* depth 3 routes on no token, 4 on the first, 5 on the first two. "(", "[", "#", "%" and
 * "&" are not words, so they never conflict. */
static void test_drain_add_depth(void **state)
{
        (void) state;
        Drain *d = make(3, 0.5, false);
        assert_int_equal(add(d, "( # a b", NULL), 1);
        assert_int_equal(add(d, "[ # a b", "<*> # a b"), 1);
        drain_free(d);

        d = make(4, 0.5, false);
        assert_int_equal(add(d, "( # a b", NULL), 1);
        assert_int_equal(add(d, "[ # a b", "[ # a b"), 2);
        assert_int_equal(add(d, "( % a b", "( <*> a b"), 1);
        drain_free(d);

        d = make(5, 0.5, false);
        assert_int_equal(add(d, "( # a b", NULL), 1);
        assert_int_equal(add(d, "( % a b", "( % a b"), 2);
        assert_int_equal(add(d, "( % a &", "( % a <*>"), 2);
        /* a token with a digit takes the "<*>" child: x1 and x2 share a leaf */
        assert_int_equal(add(d, "x1 # a b", NULL), 3);
        assert_int_equal(add(d, "x2 # a b", "<*> # a b"), 3);
        /* a line shorter than the layers routes on all but its last token */
        assert_int_equal(add(d, "q &", NULL), 4);
        assert_int_equal(add(d, "q #", "q <*>"), 4);
        drain_free(d);
}

static void test_drain_add_max_children(void **state)
{
        DrainOptions o;
        Drain *d = NULL;

        (void) state;
        drain_options_init(&o);
        o.depth = 4;
        o.similarity = 0.5;
        o.max_children = 2;
        o.no_builtin_masks = true;
        assert_int_equal(drain_new(&o, &d, NULL), 0);
        assert_int_equal(add(d, "( x y", NULL), 1);
        /* the second child of a node with max_children 2 is the "<*>" child */
        assert_int_equal(add(d, "[ x y", NULL), 2);
        assert_int_equal(add(d, "{ x y", "<*> x y"), 2);
        assert_int_equal(add(d, "( x y", "( x y"), 1);
        drain_free(d);

        o.max_children = 100;
        assert_int_equal(drain_new(&o, &d, NULL), 0);
        assert_int_equal(add(d, "( x y", NULL), 1);
        assert_int_equal(add(d, "[ x y", NULL), 2);
        assert_int_equal(add(d, "{ x y", NULL), 3);
        drain_free(d);
}

/* Equality is literal: the template's "<*>" matches only a masked token. */
static void test_drain_add_param_merging(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(3, 0.5, true);

        (void) state;
        assert_int_equal(add(d, "job 1 ran in 5 s", NULL), 1);
        assert_string_equal(template_of(d, 1), "job <*> ran in <*> s");
        assert_int_equal(add(d, "job 2 ran in 7 s", "job <*> ran in <*> s"), 1);
        assert_int_equal(add(d, "job 3 ran in 7 min", "job <*> ran in <*> <*>"), 1);
        /* "<*>" against "<*>" (a masked number) is equal, against a word not: 4 of 6 */
        assert_int_equal(add(d, "job x ran in 7 min", "job <*> ran in <*> <*>"), 1);
        /* two words conflict: 3 - 2 x 2 of 6 */
        assert_int_equal(add(d, "job 9 sat on 7 min", "job <*> sat on <*> min"), 2);
        /* a "<*>" of the template does not match a word: 1 of 6 */
        assert_int_equal(add(d, "task x y z w v", NULL), 3);
}

static void test_drain_add_similarity_boundary(void **state)
{
        Drain *d;

        (void) state;
        /* 2 of 4 equal: exactly 0.5 joins at 0.5 */
        d = make(3, 0.5, false);
        assert_int_equal(add(d, "a b # %", NULL), 1);
        assert_int_equal(add(d, "a b & *", "a b <*> <*>"), 1);
        drain_free(d);
        d = make(3, 0.51, false);
        assert_int_equal(add(d, "a b # %", NULL), 1);
        assert_int_equal(add(d, "a b & *", NULL), 2);
        drain_free(d);
        /* 1 of 3: 0.333... reaches 1/3 but not 0.34 */
        d = make(3, 1.0 / 3.0, false);
        assert_int_equal(add(d, "a # %", NULL), 1);
        assert_int_equal(add(d, "a & *", "a <*> <*>"), 1);
        drain_free(d);
        d = make(3, 0.34, false);
        assert_int_equal(add(d, "a # %", NULL), 1);
        assert_int_equal(add(d, "a & *", NULL), 2);
        drain_free(d);
        /* similarity 1: only the same tokens */
        d = make(3, 1.0, false);
        assert_int_equal(add(d, "a b c", NULL), 1);
        assert_int_equal(add(d, "a b c", NULL), 1);
        assert_int_equal(add(d, "a b #", NULL), 2);
        drain_free(d);
}

/* Two different words at one position weigh against a merge; values of one key do not. */
static void test_drain_add_word_conflicts(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(3, 0.6, true);

        (void) state;
        assert_int_equal(add(d, "instance 42 VM Resumed (Lifecycle Event)", NULL), 1);
        assert_int_equal(add(d, "instance 43 VM Started (Lifecycle Event)",
                             "instance <*> VM Started (Lifecycle Event)"),
                         2);
        assert_int_equal(add(d, "instance 44 VM Resumed (Lifecycle Event)",
                             "instance <*> VM Resumed (Lifecycle Event)"),
                         1);
        /* key:value with the same key: a variable value */
        assert_int_equal(add(d, "shouldBlockLocation ret:false now", NULL), 3);
        assert_int_equal(add(d, "shouldBlockLocation ret:true now", "shouldBlockLocation <*> now"),
                         3);
        /* a word against a token with a digit is no conflict */
        assert_int_equal(add(d, "user alice logged in", NULL), 4);
        assert_int_equal(add(d, "user bob42 logged in", "user <*> logged in"), 4);
}

static void test_drain_builtin_masks(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(3, 1.0, true);
        static const struct {
                const char *line, *template;
        } cases[] = {
                {"from 10.0.0.1:8080 to 192.168.1.255", "from <*> to <*>"},
                {"peer fe80::1 and [2001:db8::7]:443 and ::ffff:10.1.2.3",
                 "peer <*> and <*> and <*>"},
                {"mac 00:1a:2B:3c:4d:5e, mac 00-1a-2b-3c-4d-5e", "mac <*>, mac <*>"},
                {"ptr 0x7f3a addr 0XDEAD hash deadbeef12 id 123e4567-e89b-12d3-a456-426614174000",
                 "ptr <*> addr <*> hash <*> id <*>"},
                {"n=-5 m=+3 x=3.14 v1.2.3 ver 1.2.3.4.5 core.42 blk_-123",
                 "n=<*> m=<*> x=<*> v1.<*> ver <*> core.<*> blk_<*>"},
                {"open /var/log/syslog: denied (/etc/x.conf), see /tmp.",
                 "open <*>: denied (<*>), see <*>."},
                {"at 12:34:56 on 2024-01-02", "at <*>:<*>:<*> on <*>-<*>-<*>"},
                /* not masked: inside words, between words, URLs, too short hex, a bare slash */
                {"user123 and/or std::map http://h/p cafe12 / //x 12ms",
                 "user123 and/or std::map http://h/p cafe12 / //x 12ms"},
                {"deadbeef not hex: no digit; 12345678 is a number",
                 "deadbeef not hex: no digit; <*> is a number"},
                {"addr /10.0.0.1:50010 ok", "addr /<*> ok"},
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                DrainCluster c;
                assert_int_equal(
                        drain_add(d, cases[i].line, strlen(cases[i].line), NULL, &c, NULL, NULL),
                        0);
                if (strcmp(c.template, cases[i].template) != 0)
                        fail_msg("'%s' -> '%s', expected '%s'", cases[i].line, c.template,
                                 cases[i].template);
        }
}

static void test_drain_params(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(4, 0.4, true);

        (void) state;
        add_params(d, "user 42 logged in from 10.0.0.1:22", "user <*> logged in from <*>",
                   (const char *const[]){"42", "10.0.0.1:22", NULL});
        /* a differing word becomes a param too; masks inside kept tokens give params */
        add_params(d, "user 7 logged out from 10.0.0.2:22", "user <*> logged <*> from <*>",
                   (const char *const[]){"7", "out", "10.0.0.2:22", NULL});
        add_params(d, "size=12 block blk_-99 done", "size=<*> block blk_<*> done",
                   (const char *const[]){"12", "-99", NULL});
        /* a literal "<*>" of the line is a param standing for itself */
        add_params(d, "literal <*> here", "literal <*> here", (const char *const[]){"<*>", NULL});
        add_params(d, "nothing to see", "nothing to see", (const char *const[]){NULL});
}

/* A regex mask that takes whitespace with it: params come from the original bytes. */
static void test_drain_regex_mask_spanning_spaces(void **state)
{
        static const char *const masks[] = {"/.+?\\s", "\\d+"};
        DrainOptions o;
        Drain *d = NULL;

        (void) state;
        drain_options_init(&o);
        o.no_builtin_masks = true;
        o.masks = masks;
        o.n_masks = 2;
        assert_int_equal(drain_new(&o, &d, NULL), 0);
        add_params(d, "GET /v2/x HTTP/1.1 200 len 15", "GET <*>HTTP<*><*> len <*>",
                   (const char *const[]){"/v2/x ", "/1.1 ", "200", "15", NULL});
        /* the second token differs: the whole token's original text, spaces included */
        add_params(d, "GET /v2/yy HTTPS/2 404 len 3", "GET <*> len <*>",
                   (const char *const[]){"/v2/yy HTTPS/2 404", "3", NULL});
        drain_free(d);
}

static void test_drain_new_errors(void **state)
{
        static const char *const bad[] = {"ok", "a(b"};
        DrainOptions o;
        Drain *d = NULL;
        char *err = NULL;

        (void) state;
        drain_options_init(&o);
        o.masks = bad;
        o.n_masks = 2;
        assert_int_equal(drain_new(&o, &d, &err), -EINVAL);
        assert_null(d);
        assert_non_null(strstr(err, "'a(b'"));
        assert_non_null(strstr(err, "at offset 3"));
        free(err);
        err = NULL;

        drain_options_init(&o);
        o.depth = 2;
        assert_int_equal(drain_new(&o, &d, &err), -EINVAL);
        assert_non_null(err);
        free(err);
        drain_options_init(&o);
        o.similarity = 0;
        assert_int_equal(drain_new(&o, &d, NULL), -EINVAL);
        drain_options_init(&o);
        o.max_children = 1;
        assert_int_equal(drain_new(&o, &d, NULL), -EINVAL);
}

typedef struct Saved {
        uint32_t id[64];
        char *template[64];
        uint64_t count[64];
        size_t n;
} Saved;

static int save(void *userdata, const DrainCluster *c)
{
        Saved *s = userdata;
        assert_true(s->n < ELEMENTSOF(s->id));
        if (s->n)
                assert_true(c->id > s->id[s->n - 1]); /* id order */
        s->id[s->n] = c->id;
        s->template[s->n] = xstrdup(c->template);
        s->count[s->n] = c->count;
        s->n++;
        return 0;
}

static char **read_lines(const char *rel, size_t *ret_n)
{
        _cleanup_free_ char *path = test_data_path(rel);
        FILE *f = fopen(path, "re");
        char **lines = NULL, buf[4096];
        size_t n = 0;

        assert_non_null(f);
        while (fgets(buf, sizeof(buf), f)) {
                buf[strcspn(buf, "\n")] = '\0';
                lines = xreallocarray(lines, n + 1, sizeof(char *));
                lines[n++] = xstrdup(buf);
        }
        fclose(f);
        *ret_n = n;
        return lines;
}

/* A restart: the templates saved and restored; every line finds what it found before. */
static void test_drain_restore(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(4, 0.5, true);
        _cleanup_(drain_freep) Drain *r = make(4, 0.5, true);
        Saved s = {};
        size_t n;
        char **lines = read_lines("logs/drain/dpkg.log", &n);

        (void) state;
        assert_true(n >= 200);
        for (size_t i = 0; i < n; i++)
                (void) add(d, lines[i], NULL);
        assert_int_equal(drain_foreach(d, save, &s), 0);
        assert_int_equal(s.n, drain_n_clusters(d));
        assert_true(s.n >= 5);
        for (size_t i = 0; i < s.n; i++)
                assert_int_equal(drain_restore(r, s.id[i], s.template[i], s.count[i]), 0);
        assert_int_equal(drain_n_clusters(r), s.n);
        assert_int_equal(drain_restore(r, s.id[0], "x", 1), -EEXIST);
        assert_int_equal(drain_restore(r, 0, "x", 1), -EINVAL);

        size_t matched = 0;
        for (size_t i = 0; i < n; i++) {
                DrainCluster a = {}, b = {};
                int ra = drain_match(d, lines[i], strlen(lines[i]), &a);
                int rb = drain_match(r, lines[i], strlen(lines[i]), &b);
                assert_int_equal(ra, rb);
                assert_int_equal(a.id, b.id);
                matched += ra;
        }
        assert_int_equal(matched, n); /* on this log every line finds its cluster again */
        /* re-adding everything makes no new cluster and changes no template */
        for (size_t i = 0; i < n; i++) {
                DrainChange ch;
                DrainCluster c;
                assert_int_equal(drain_add(r, lines[i], strlen(lines[i]), &ch, &c, NULL, NULL), 0);
                assert_int_equal(ch, DRAIN_CHANGE_NONE);
        }
        assert_int_equal(drain_n_clusters(r), s.n);
        for (size_t i = 0; i < s.n; i++) {
                DrainCluster c;
                assert_true(drain_get(r, s.id[i], &c));
                assert_string_equal(c.template, s.template[i]);
                assert_int_equal(c.count, 2 * s.count[i]);
        }
        /* new ids start after the largest restored one */
        assert_int_equal(add(r, "a line like no other", NULL), s.id[s.n - 1] + 1);

        for (size_t i = 0; i < s.n; i++)
                free(s.template[i]);
        for (size_t i = 0; i < n; i++)
                free(lines[i]);
        free(lines);
}

/* A restored template with "<*>" where its first line had a word: the word's path exists for
 * another template, yet the line still finds its cluster through the "<*>" child. */
static void test_drain_restore_wildcard_route(void **state)
{
        _cleanup_(drain_freep) Drain *r = make(4, 0.5, false);
        DrainCluster c;

        (void) state;
        assert_int_equal(drain_restore(r, 7, "<*> # x y", 10), 0);
        assert_int_equal(drain_restore(r, 3, "open % a b", 2), 0);
        assert_int_equal(drain_match(r, "open # x y", 10, &c), 1);
        assert_int_equal(c.id, 7);
        assert_int_equal(add(r, "open # x y", "<*> # x y"), 7);
        assert_int_equal(add(r, "open % a b", "open % a b"), 3);
        assert_int_equal(add(r, "new", NULL), 8);
}

static void test_drain_lru_eviction(void **state)
{
        DrainOptions o;
        Drain *d = NULL;

        (void) state;
        drain_options_init(&o);
        o.max_clusters = 2;
        o.no_builtin_masks = true;
        assert_int_equal(drain_new(&o, &d, NULL), 0);
        assert_int_equal(add(d, "alpha one", NULL), 1);
        assert_int_equal(add(d, "beta two three", NULL), 2);
        assert_int_equal(add(d, "alpha one", NULL), 1); /* 1 is now the most recent */
        assert_int_equal(add(d, "gamma", NULL), 3);     /* evicts 2 */
        assert_int_equal(drain_n_clusters(d), 2);
        assert_false(drain_get(d, 2, NULL));
        assert_true(drain_get(d, 1, NULL));
        assert_true(drain_get(d, 3, NULL));
        /* the evicted template is gone from the tree too: the line starts a new cluster */
        assert_int_equal(add(d, "beta two three", NULL), 4); /* evicts 1 */
        assert_false(drain_get(d, 1, NULL));
        assert_int_equal(add(d, "gamma", NULL), 3);
        /* many more, always within the bound */
        for (unsigned i = 0; i < 1000; i++) {
                char line[64];
                snprintf(line, sizeof(line), "w%u x%u", i, i);
                (void) add(d, line, NULL);
                assert_true(drain_n_clusters(d) <= 2);
        }
        drain_free(d);
}

static int count_params(const char *t, size_t len)
{
        int n = 0;
        for (size_t i = 0; i + 2 < len; i++)
                if (t[i] == '<' && t[i + 1] == '*' && t[i + 2] == '>')
                        n++;
        return n;
}

static void check_junk(Drain *d, const char *line, size_t len, const char *want, size_t want_len)
{
        DrainCluster c;
        const char *const *params;
        size_t n;

        assert_int_equal(drain_add(d, line, len, NULL, &c, &params, &n), 0);
        assert_int_equal(c.template_len, want_len);
        assert_memory_equal(c.template, want, want_len);
        assert_int_equal(c.template[c.template_len], '\0');
        assert_int_equal(n, count_params(c.template, c.template_len));
}

static void test_drain_junk(void **state)
{
        _cleanup_(drain_freep) Drain *d = make(4, 0.4, true);
        DrainCluster c;

        (void) state;
        check_junk(d, "", 0, "", 0);
        check_junk(d, "   \t  ", 6, "", 0);
        assert_true(drain_get(d, 1, &c));
        assert_int_equal(c.count, 2);
        assert_int_equal(drain_add(d, NULL, 0, NULL, &c, NULL, NULL), 0);
        assert_int_equal(c.id, 1);
        check_junk(d, "a\0b c\0", 6, "a\0b c\0", 6);
        check_junk(d, "\xff\xfe bad \xc3(", 9, "\xff\xfe bad \xc3(", 9);
        check_junk(d, "x\r\n\v\fy", 6, "x y", 3);

        /* 10,000 tokens: the 512th token is the rest of the line */
        _cleanup_free_ char *big = xmalloc(20000 + 1);
        for (size_t i = 0; i < 10000; i++) {
                big[2 * i] = 'a';
                big[2 * i + 1] = ' ';
        }
        big[20000] = '\0';
        assert_int_equal(drain_add(d, big, 20000, NULL, &c, NULL, NULL), 0);
        assert_int_equal(c.template_len, 19999);
        assert_memory_equal(c.template, big, 19999);
        assert_int_equal(drain_add(d, big, 20000, NULL, &c, NULL, NULL), 0);
        assert_int_equal(c.count, 2);

        /* a line past DRAIN_MAX_LINE_BYTES is mined from its head */
        size_t huge = DRAIN_MAX_LINE_BYTES + 1000;
        _cleanup_free_ char *h = xmalloc(huge);
        memset(h, 'z', huge);
        assert_int_equal(drain_add(d, h, huge, NULL, &c, NULL, NULL), 0);
        assert_int_equal(c.template_len, DRAIN_MAX_LINE_BYTES);
        /* many masks in one line: each "<*>" has its param */
        _cleanup_free_ char *nums = xmalloc(30000);
        size_t p = 0;
        for (unsigned i = 0; p + 16 < 30000; i++)
                p += (size_t) snprintf(nums + p, 30000 - p, "%u,", i);
        const char *const *params;
        size_t n;
        assert_int_equal(drain_add(d, nums, p, NULL, &c, &params, &n), 0);
        assert_int_equal(n, count_params(c.template, c.template_len));
        assert_string_equal(params[0], "0");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drain_add_paper_example),
                cmocka_unit_test(test_drain_add_lengths_never_merge),
                cmocka_unit_test(test_drain_add_depth),
                cmocka_unit_test(test_drain_add_max_children),
                cmocka_unit_test(test_drain_add_param_merging),
                cmocka_unit_test(test_drain_add_similarity_boundary),
                cmocka_unit_test(test_drain_add_word_conflicts),
                cmocka_unit_test(test_drain_builtin_masks),
                cmocka_unit_test(test_drain_params),
                cmocka_unit_test(test_drain_regex_mask_spanning_spaces),
                cmocka_unit_test(test_drain_new_errors),
                cmocka_unit_test(test_drain_restore),
                cmocka_unit_test(test_drain_restore_wildcard_route),
                cmocka_unit_test(test_drain_lru_eviction),
                cmocka_unit_test(test_drain_junk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

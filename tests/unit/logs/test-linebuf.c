/* Line splitting: line ends, "\r", UTF-8 repair, over-long lines, stopping, and that the
 * result does not depend on how the stream is cut into chunks. */
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "logs/linebuf.h"
#include "logs/source.h"
#include "test-util.h"

#define MAX_SEEN 64

typedef struct Seen {
        char *line[MAX_SEEN];
        size_t len[MAX_SEEN];
        bool truncated[MAX_SEEN];
        size_t consumed[MAX_SEEN];
        size_t n;
        size_t stop_at; /* 1-based line that returns -5; 0 never */
} Seen;

static int collect(void *userdata, const char *line, size_t len, bool truncated, size_t consumed)
{
        Seen *s = userdata;

        assert_true(s->n < MAX_SEEN);
        assert_int_equal(line[len], '\0');
        s->line[s->n] = xmemdup(line, len + 1);
        s->len[s->n] = len;
        s->truncated[s->n] = truncated;
        s->consumed[s->n] = consumed;
        s->n++;
        return s->n == s->stop_at ? -5 : 0;
}

static void seen_done(Seen *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->line[i]);
        *s = (Seen){};
}

static void test_linebuf_feed_splits(void **state)
{
        _cleanup_(linebuf_done) LineBuf b = {};
        Seen s = {};
        const char in[] = "a\nbb\r\n\nccc";

        (void) state;
        assert_int_equal(linebuf_feed(&b, in, strlen(in), collect, &s), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.line[0], "a");
        assert_string_equal(s.line[1], "bb");
        assert_string_equal(s.line[2], "");
        assert_int_equal(s.consumed[0], 2);
        assert_int_equal(s.consumed[1], 6);
        assert_int_equal(s.consumed[2], 7);
        assert_false(s.truncated[1]);
        assert_int_equal(linebuf_pending(&b), 3);

        /* The partial line continues in the next chunk; consumed counts this chunk only. */
        assert_int_equal(linebuf_feed(&b, "dd\nx", 4, collect, &s), 0);
        assert_int_equal(s.n, 4);
        assert_string_equal(s.line[3], "cccdd");
        assert_int_equal(s.consumed[3], 3);
        assert_int_equal(linebuf_pending(&b), 1);

        /* Only a trailing "\r" goes; inner ones stay. */
        assert_int_equal(linebuf_feed(&b, "\ra\rb\r\r\n", 7, collect, &s), 0);
        assert_string_equal(s.line[4], "x\ra\rb\r");
        assert_int_equal(linebuf_pending(&b), 0);

        /* A "\r" whose "\n" comes in the next chunk is still dropped. */
        assert_int_equal(linebuf_feed(&b, "y\r", 2, collect, &s), 0);
        assert_int_equal(linebuf_feed(&b, "\n", 1, collect, &s), 0);
        assert_string_equal(s.line[5], "y");
        assert_int_equal(s.n, 6);
        seen_done(&s);
}

static void test_linebuf_flush(void **state)
{
        _cleanup_(linebuf_done) LineBuf b = {};
        Seen s = {};

        (void) state;
        assert_int_equal(linebuf_flush(&b, collect, &s), 0);
        assert_int_equal(s.n, 0); /* nothing pending: no empty line made up */
        assert_int_equal(linebuf_feed(&b, "last\r", 5, collect, &s), 0);
        assert_int_equal(s.n, 0);
        assert_int_equal(linebuf_flush(&b, collect, &s), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.line[0], "last");
        assert_int_equal(s.consumed[0], 0);
        assert_int_equal(linebuf_pending(&b), 0);

        /* reset drops the pending line */
        assert_int_equal(linebuf_feed(&b, "gone", 4, collect, &s), 0);
        linebuf_reset(&b);
        assert_int_equal(linebuf_pending(&b), 0);
        assert_int_equal(linebuf_feed(&b, "new\n", 4, collect, &s), 0);
        assert_string_equal(s.line[1], "new");
        seen_done(&s);
}

static void test_linebuf_stop(void **state)
{
        _cleanup_(linebuf_done) LineBuf b = {};
        Seen s = {.stop_at = 2};
        const char in[] = "one\ntwo\nthree\nfour";

        (void) state;
        assert_int_equal(linebuf_feed(&b, "o", 1, collect, &s), 0);
        assert_int_equal(linebuf_feed(&b, in + 1, strlen(in) - 1, collect, &s), -5);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.line[1], "two");
        assert_int_equal(s.consumed[1], 7);
        /* Nothing of the rest was taken: feeding it again gives the rest once. */
        assert_int_equal(linebuf_pending(&b), 0);
        s.stop_at = 0;
        assert_int_equal(linebuf_feed(&b, in + 1 + 7, strlen(in) - 8, collect, &s), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.line[2], "three");
        assert_int_equal(linebuf_pending(&b), 4);
        seen_done(&s);
}

static void check_sanitize(const char *in, size_t n, const char *want)
{
        char out[64];

        assert_true(3 * n < sizeof(out));
        size_t len = utf8_sanitize(in, n, out);
        out[len] = '\0';
        assert_int_equal(len, strlen(want));
        assert_memory_equal(out, want, len);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8_sanitize(void **state)
{
        (void) state;
        check_sanitize("plain ascii", 11, "plain ascii");
        check_sanitize("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
                       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        check_sanitize("caf\xe9!", 5, "caf" FFFD "!"); /* Latin-1 */
        check_sanitize("\xff\xfe", 2, FFFD FFFD);
        check_sanitize("\xc0\xaf", 2, FFFD FFFD);                   /* overlong "/" */
        check_sanitize("\xe0\x80\xaf", 3, FFFD FFFD FFFD);          /* overlong, 3 bytes */
        check_sanitize("\xed\xa0\x80", 3, FFFD FFFD FFFD);          /* surrogate U+D800 */
        check_sanitize("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD); /* past U+10FFFF */
        check_sanitize("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");  /* U+10FFFF itself */
        check_sanitize("\xe2\x82x", 3, FFFD "x"); /* one maximal subpart, one U+FFFD */
        check_sanitize("\xf0\x9f\x98", 3, FFFD);  /* cut at the end */
        check_sanitize("\x80\xbf", 2, FFFD FFFD); /* lone continuation bytes */
        check_sanitize("", 0, "");

        char out[9];
        assert_int_equal(utf8_sanitize("a\0b", 3, out), 3); /* NUL is valid UTF-8 */
        assert_memory_equal(out, "a\0b", 3);
}

static void test_linebuf_feed_invalid_utf8(void **state)
{
        _cleanup_(linebuf_done) LineBuf b = {};
        Seen s = {};

        (void) state;
        /* A character split across chunks is whole again. */
        assert_int_equal(linebuf_feed(&b, "\xe2\x82", 2, collect, &s), 0);
        assert_int_equal(linebuf_feed(&b, "\xac\n\xff\n", 4, collect, &s), 0);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.line[0], "\xe2\x82\xac");
        assert_string_equal(s.line[1], FFFD);
        seen_done(&s);
}

static void test_linebuf_feed_truncates(void **state)
{
        _cleanup_(linebuf_done) LineBuf b = {.max_bytes = 8};
        Seen s = {};

        (void) state;
        assert_int_equal(linebuf_feed(&b, "0123456789\nok\n", 14, collect, &s), 0);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.line[0], "01234567");
        assert_true(s.truncated[0]);
        assert_int_equal(s.consumed[0], 11);
        assert_string_equal(s.line[1], "ok");
        assert_false(s.truncated[1]);

        /* Exactly max bytes plus "\r": fits. */
        assert_int_equal(linebuf_feed(&b, "abcdefgh\r\n", 10, collect, &s), 0);
        assert_string_equal(s.line[2], "abcdefgh");
        assert_false(s.truncated[2]);

        /* Across chunks: the head is kept, the rest skipped and counted as pending. */
        assert_int_equal(linebuf_feed(&b, "ABCDEF", 6, collect, &s), 0);
        assert_int_equal(linebuf_feed(&b, "GHIJKL", 6, collect, &s), 0);
        assert_int_equal(linebuf_feed(&b, "MNOP", 4, collect, &s), 0);
        assert_int_equal(s.n, 3);
        assert_int_equal(linebuf_pending(&b), 16);
        assert_true(b.cap <= 9);
        assert_int_equal(linebuf_feed(&b, "Q\r\nnext\n", 8, collect, &s), 0);
        assert_int_equal(s.n, 5);
        assert_string_equal(s.line[3], "ABCDEFGH");
        assert_true(s.truncated[3]);
        assert_int_equal(s.consumed[3], 3);
        assert_string_equal(s.line[4], "next");

        /* The cut falls inside "€": the partial character is dropped, not replaced. */
        assert_int_equal(linebuf_feed(&b, "aaaaaa\xe2\x82\xac\n", 10, collect, &s), 0);
        assert_string_equal(s.line[5], "aaaaaa");
        assert_true(s.truncated[5]);

        /* Repair grows the line (1 bad byte -> 3): cut again, on a character boundary. */
        assert_int_equal(linebuf_feed(&b, "\xff\xff\xff\n", 4, collect, &s), 0);
        assert_string_equal(s.line[6], FFFD FFFD);
        assert_true(s.truncated[6]);
        assert_true(b.out_cap <= 9);
        seen_done(&s);
}

typedef struct Big {
        size_t n;
        size_t len;
        bool truncated;
} Big;

static int count_big(void *userdata, const char *line, size_t len, bool truncated, size_t consumed)
{
        Big *big = userdata;

        (void) line;
        (void) consumed;
        if (big->n++ == 0) {
                big->len = len;
                big->truncated = truncated;
        }
        return 0;
}

static void test_linebuf_feed_huge_line_bounded(void **state)
{
        _cleanup_(linebuf_done) LineBuf b = {};
        _cleanup_free_ char *chunk = xmalloc(4096);
        Big big = {};

        (void) state;
        memset(chunk, 'x', 4096);
        for (int i = 0; i < 2560; i++) /* 10 MiB without a line end */
                assert_int_equal(linebuf_feed(&b, chunk, 4096, count_big, &big), 0);
        assert_int_equal(big.n, 0);
        assert_int_equal(linebuf_pending(&b), 10u << 20);
        assert_true(b.cap <= LOG_LINE_MAX_BYTES + 1);
        assert_int_equal(linebuf_feed(&b, "x\nshort\n", 8, count_big, &big), 0);
        assert_int_equal(big.n, 2);
        assert_int_equal(big.len, LOG_LINE_MAX_BYTES);
        assert_true(big.truncated);
        assert_true(b.out_cap <= LOG_LINE_MAX_BYTES + 1);

        /* A whole over-long line inside one chunk is cut the same way. */
        _cleanup_free_ char *one = xmalloc(LOG_LINE_MAX_BYTES + 2);
        memset(one, 'y', LOG_LINE_MAX_BYTES + 1);
        one[LOG_LINE_MAX_BYTES + 1] = '\n';
        big = (Big){};
        assert_int_equal(linebuf_feed(&b, one, LOG_LINE_MAX_BYTES + 2, count_big, &big), 0);
        assert_int_equal(big.len, LOG_LINE_MAX_BYTES);
        assert_true(big.truncated);
}

typedef struct Joined {
        StrBuf text;
        size_t lines;
} Joined;

static int join(void *userdata, const char *line, size_t len, bool truncated, size_t consumed)
{
        Joined *j = userdata;

        (void) consumed;
        assert_int_equal(strbuf_append(&j->text, line, len), 0);
        assert_int_equal(strbuf_puts(&j->text, truncated ? "|T\n" : "|\n"), 0);
        j->lines++;
        return 0;
}

/* The fixture mixes CRLF, Latin-1, a split-looking emoji and an over-long line (for a max of
 * 40): every chunk size must give the same lines as feeding it whole. */
static void test_linebuf_feed_chunking_independent(void **state)
{
        _cleanup_free_ char *path = test_data_path("logs/linebuf/mixed.log");
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char data[4096];
        Joined whole = {};

        (void) state;
        assert_non_null(f);
        size_t n = fread(data, 1, sizeof(data), f);
        assert_true(n > 100 && n < sizeof(data));
        {
                _cleanup_(linebuf_done) LineBuf b = {.max_bytes = 40};
                assert_int_equal(linebuf_feed(&b, data, n, join, &whole), 0);
                assert_int_equal(linebuf_flush(&b, join, &whole), 0);
        }
        assert_true(whole.lines >= 8);
        assert_non_null(strstr(strbuf_str(&whole.text), "caf" FFFD " logged"));
        assert_non_null(strstr(strbuf_str(&whole.text), "|T\n"));
        for (size_t step = 1; step <= 17; step++) {
                _cleanup_(linebuf_done) LineBuf b = {.max_bytes = 40};
                Joined j = {};
                for (size_t off = 0; off < n; off += step)
                        assert_int_equal(linebuf_feed(&b, data + off, MIN(step, n - off), join, &j),
                                         0);
                assert_int_equal(linebuf_flush(&b, join, &j), 0);
                assert_string_equal(strbuf_str(&j.text), strbuf_str(&whole.text));
                strbuf_done(&j.text);
        }
        strbuf_done(&whole.text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_linebuf_feed_splits),
                cmocka_unit_test(test_linebuf_flush),
                cmocka_unit_test(test_linebuf_stop),
                cmocka_unit_test(test_utf8_sanitize),
                cmocka_unit_test(test_linebuf_feed_invalid_utf8),
                cmocka_unit_test(test_linebuf_feed_truncates),
                cmocka_unit_test(test_linebuf_feed_huge_line_bounded),
                cmocka_unit_test(test_linebuf_feed_chunking_independent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

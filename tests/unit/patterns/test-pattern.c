#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "patterns/pattern.h"
#include "test-util.h"

static char *read_file(const char *path, size_t *ret_len)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char buf[4096];
        size_t n;

        if (!f)
                fail_msg("cannot open %s", path);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                assert_int_equal(strbuf_append(&b, buf, n), 0);
        *ret_len = b.len;
        return strbuf_steal(&b);
}

static void write_file(const char *path, const char *text)
{
        _cleanup_fclose_ FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
}

/* Parses text and returns the error message (the test fails if it parses). */
static char *parse_err(const char *text)
{
        Pattern *p = NULL;
        char *err = NULL;

        int r = pattern_from_json(text, strlen(text), "t.json", &p, &err);
        if (r >= 0)
                fail_msg("parsed although it should not: %s", text);
        assert_null(p);
        assert_non_null(err);
        return err;
}

static Pattern *parse_ok(const char *text)
{
        _cleanup_free_ char *err = NULL;
        Pattern *p = NULL;

        if (pattern_from_json(text, strlen(text), "t.json", &p, &err) < 0)
                fail_msg("%s", err);
        return p;
}

#define assert_parse_err(text, msg)                         \
        do {                                                \
                _cleanup_free_ char *_e_ = parse_err(text); \
                assert_string_equal(_e_, msg);              \
        } while (0)

/* A valid document around one condition and extra top-level members. */
#define DOC(kind, extra, conds)                                                            \
        "{\"schema_version\": 1, \"id\": \"t\", \"name\": \"T\", \"kind\": \"" kind "\", " \
        "\"subject\": \"host\", " extra "\"conditions\": [" conds "]}"
#define METRIC "{\"type\": \"metric\", \"metric\": \"host_load1\", \"op\": \">\", \"threshold\": 8}"
#define LOG    "{\"type\": \"log\", \"source\": \"kernel\", \"match\": \"oops\"}"
#define PROC   "{\"type\": \"process\", \"process\": \"init\"}"

/* to_json(p) parses back to an equal pattern and is a fixed point. */
static void assert_round_trip(const Pattern *p)
{
        _cleanup_free_ char *t1 = pattern_to_json(p), *t2 = NULL, *err = NULL;
        _cleanup_(pattern_freep) Pattern *q = NULL;

        if (pattern_from_json(t1, strlen(t1), "round-trip", &q, &err) < 0)
                fail_msg("%s\n%s", err, t1);
        assert_true(pattern_equal(p, q));
        t2 = pattern_to_json(q);
        assert_string_equal(t1, t2);
        assert_true(t1[strlen(t1) - 1] == '\n');
}

static void test_pattern_examples_good(void **state)
{
        _cleanup_free_ char *dir = test_data_path("patterns/good");
        PatternList l = {};
        _cleanup_free_ char *err = NULL;

        (void) state;
        assert_int_equal(pattern_load_dir(dir, &l, &err), 0);
        for (size_t i = 0; i < l.n_errors; i++)
                print_error("%s\n", l.errors[i]);
        assert_int_equal(l.n_errors, 0);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.patterns[0]->id, "disk-almost-full");
        assert_string_equal(l.patterns[1]->id, "mysql-memory-oom");
        for (size_t i = 0; i < l.n; i++)
                assert_round_trip(l.patterns[i]);

        /* Values as read, defaults filled in. */
        const Pattern *d = l.patterns[0], *m = l.patterns[1], *n = l.patterns[2];
        assert_int_equal(d->severity, PATTERN_SEVERITY_WARNING);
        assert_int_equal(d->match, PATTERN_MATCH_ALL);
        assert_int_equal(d->origin, PATTERN_ORIGIN_MANUAL);
        assert_true(d->conditions[0].window_ms == 90 * 60 * 1000);
        assert_true(d->conditions[0].threshold == 95.0);
        assert_int_equal(m->kind, PATTERN_KIND_COMPOSITE);
        assert_int_equal(m->n_conditions, 2);
        assert_true(m->conditions[0].normal.set && m->conditions[0].normal.n == 1410);
        assert_true(m->conditions[0].anomalous.p10 == 88.0);
        assert_true(m->conditions[1].lift == 37.0);
        assert_true(m->support.first_seen_ms == INT64_C(1795294860000));
        /* "2026-11-22T03:15:30.250+01:00" */
        assert_true(m->support.last_seen_ms == INT64_C(1795313730250));
        assert_int_equal(m->support.n_anomalies, 3);
        assert_true(isnan(d->conditions[0].lift));
        assert_int_equal(n->conditions[0].state, PATTERN_PROC_ABSENT);
        pattern_list_done(&l);
}

static void test_pattern_examples_bad(void **state)
{
        _cleanup_free_ char *dir = test_data_path("patterns/bad");
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        (void) state;
        assert_non_null(d);
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
                        continue;
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
                _cleanup_free_ char *exp_path =
                        xasprintf("%s/%.*s.expected", dir, (int) (len - 5), de->d_name);
                size_t tlen, elen;
                _cleanup_free_ char *text = read_file(path, &tlen);
                _cleanup_free_ char *expected = read_file(exp_path, &elen);
                _cleanup_free_ char *err = NULL;
                Pattern *p = NULL;
                while (elen > 0 && expected[elen - 1] == '\n')
                        expected[--elen] = '\0';
                assert_int_equal(pattern_from_json(text, tlen, de->d_name, &p, &err), -EINVAL);
                assert_null(p);
                assert_string_equal(err, expected);
                n++;
        }
        closedir(d);
        assert_true(n >= 10);
}

static void test_pattern_from_json_errors(void **state)
{
        (void) state;
        assert_parse_err("[]", "t.json: expected an object at the top level, got an array");
        assert_parse_err("", "t.json:1:0: invalid JSON: '[' or '{' expected near end of file");
        /* NUL bytes: escaped and raw. */
        assert_parse_err(
                DOC("metric", "\"description\": \"a\\u0000b\", ", METRIC),
                "t.json:1:108: invalid JSON: NUL characters (\\u0000) are not allowed in strings");
        {
                Pattern *p = NULL;
                _cleanup_free_ char *err = NULL;
                assert_int_equal(pattern_from_json("{\"a\0\": 1}", 9, "t.json", &p, &err), -EINVAL);
                assert_non_null(strstr(err, "invalid JSON"));
        }
        assert_parse_err("{\"id\": \"t\"}", "t.json: schema_version: missing (required)");
        assert_parse_err("{\"schema_version\": 2}",
                         "t.json: schema_version: 2 is not supported (this aiops reads 1)");
        assert_parse_err("{\"schema_version\": \"1\"}",
                         "t.json: schema_version: expected an integer, got a string");
        assert_parse_err(DOC("metric", "\"nmae\": 1, ", METRIC),
                         "t.json: nmae: unknown key (only keys starting with 'x-' may be added)");
        assert_parse_err(DOC("metric", "\"severity\": 3, ", METRIC),
                         "t.json: severity: expected a string, got a number");
        assert_parse_err(DOC("metric", "\"match\": \"some\", ", METRIC),
                         "t.json: match: 'some' is not one of all, any");
        assert_parse_err(DOC("metric", "\"created\": \"yesterday\", ", METRIC),
                         "t.json: created: 'yesterday' is not an RFC 3339 time (like "
                         "\"2026-11-21T21:01:00Z\")");
        assert_parse_err(DOC("metric", "\"created\": \"2026-02-30T00:00:00Z\", ", METRIC),
                         "t.json: created: '2026-02-30T00:00:00Z' is not an RFC 3339 time (like "
                         "\"2026-11-21T21:01:00Z\")");
        assert_parse_err(DOC("metric", "\"advice_source\": \"kb:\", ", METRIC),
                         "t.json: advice_source: 'kb:' is not \"kb:<entry>\", \"generic\" or "
                         "\"manual\"");
        assert_parse_err(DOC("metric", "\"advice\": [\"ok\", 3], ", METRIC),
                         "t.json: advice[1]: expected a string, got a number");
        assert_parse_err(DOC("metric", "\"name\": \"\", ", METRIC),
                         "t.json:1:89: invalid JSON: duplicate object key near '\"name\"'");
        assert_parse_err(
                "{\"schema_version\": 1, \"id\": \"t\", \"name\": \"\", \"kind\": \"metric\", "
                "\"subject\": \"host\", \"conditions\": [" METRIC "]}",
                "t.json: name: must not be empty");
        assert_parse_err(DOC("metric", "\"support\": {\"anomalies\": [0]}, ", METRIC),
                         "t.json: support.anomalies[0]: expected a positive integer (an anomaly "
                         "id), got a number");
        assert_parse_err(DOC("metric", "\"evidence\": [{\"source\": \"s\"}], ", METRIC),
                         "t.json: evidence[0].text: missing (required)");
        assert_parse_err(DOC("metric", "",
                             "{\"type\": \"metric\", \"metric\": \"a-b\", \"op\": \">\", "
                             "\"threshold\": 1}"),
                         "t.json: conditions[0].metric: 'a-b' is not a valid metric name "
                         "([a-zA-Z_:][a-zA-Z0-9_:]*)");
        assert_parse_err(DOC("metric", "",
                             "{\"type\": \"metric\", \"metric\": \"m\", \"op\": \"=\", "
                             "\"threshold\": 1}"),
                         "t.json: conditions[0].op: '=' is not one of >, >=, <, <=");
        assert_parse_err(DOC("metric", "",
                             "{\"type\": \"metric\", \"metric\": \"m\", \"op\": \">\", "
                             "\"threshold\": 1, \"labels\": {\"__name__\": \"x\"}}"),
                         "t.json: conditions[0].labels.__name__: not a valid label name "
                         "([a-zA-Z_][a-zA-Z0-9_]*, not starting with '__')");
        assert_parse_err(DOC("metric", "",
                             "{\"type\": \"metric\", \"metric\": \"m\", \"op\": \">\", "
                             "\"threshold\": 1, \"window\": \"5x\"}"),
                         "t.json: conditions[0].window: '5x' is not a duration (like \"30s\", "
                         "\"5m\", \"1h\")");
        assert_parse_err(DOC("metric", "",
                             "{\"type\": \"metric\", \"metric\": \"m\", \"op\": \">\", "
                             "\"threshold\": 1, \"normal\": {\"n\": 1}}"),
                         "t.json: conditions[0].normal.mean: missing (required)");
        assert_parse_err(DOC("log", "",
                             "{\"type\": \"log\", \"source\": \"k\", \"match\": \"x\", "
                             "\"min_count\": 0}"),
                         "t.json: conditions[0].min_count: must be at least 1 (and at most 2^53)");
        assert_parse_err(DOC("log", "",
                             "{\"type\": \"log\", \"source\": \"k\", \"match\": \"x\", "
                             "\"lift\": -1}"),
                         "t.json: conditions[0].lift: must not be negative, got -1");
        assert_parse_err(DOC("log", "",
                             "{\"type\": \"log\", \"source\": \"k\", \"match\": \"a(\", "
                             "\"regex\": true}"),
                         "t.json: conditions[0].match: invalid regular expression at offset 2: "
                         "missing closing parenthesis");
        assert_parse_err(DOC("log", "",
                             "{\"type\": \"log\", \"source\": \"k\", \"match\": \"x\", "
                             "\"regex\": 1}"),
                         "t.json: conditions[0].regex: expected true or false, got a number");
        assert_parse_err(
                DOC("log", "", "{\"type\": \"log\", \"source\": \"k\\nx\", \"match\": \"x\"}"),
                "t.json: conditions[0].source: contains control characters");
        assert_parse_err(DOC("process", "", "{\"type\": \"proc\"}"),
                         "t.json: conditions[0].type: 'proc' is not one of metric, log, process");
        assert_parse_err(DOC("process", "", "3"),
                         "t.json: conditions[0]: expected an object, got a number");
        assert_parse_err(DOC("process", "",
                             "{\"type\": \"process\", \"process\": \"p\", \"metric\": \"m\"}"),
                         "t.json: conditions[0].metric: unknown key (only keys starting with 'x-' "
                         "may be added)");
        /* kind rules */
        assert_parse_err(DOC("log", "", LOG "," METRIC),
                         "t.json: conditions[1]: a metric condition in a 'log' pattern (which may "
                         "only have log conditions; use kind 'composite')");
        assert_parse_err(DOC("process", "", METRIC),
                         "t.json: kind: a 'process' pattern needs at least one process condition");
        assert_parse_err(
                DOC("composite", "", LOG),
                "t.json: kind: a 'composite' pattern needs at least one metric and one log "
                "condition, or a process condition");
        _cleanup_(pattern_freep) Pattern *p1 = parse_ok(DOC("composite", "", LOG "," METRIC));
        _cleanup_(pattern_freep) Pattern *p2 = parse_ok(DOC("composite", "", PROC));
        _cleanup_(pattern_freep) Pattern *p3 =
                parse_ok(DOC("process", "", PROC "," METRIC "," LOG));
        assert_int_equal(p1->n_conditions, 2);
        assert_int_equal(p2->n_conditions, 1);
        assert_int_equal(p3->n_conditions, 3);
}

static void test_pattern_from_json_bounds(void **state)
{
        _cleanup_(strbuf_done) StrBuf b = {};
        Pattern *p = NULL;
        _cleanup_free_ char *err = NULL;

        (void) state;
        /* name: 201 bytes */
        assert_int_equal(strbuf_puts(&b, "{\"schema_version\": 1, \"id\": \"t\", \"name\": \""), 0);
        for (int i = 0; i < 201; i++)
                assert_int_equal(strbuf_putc(&b, 'n'), 0);
        assert_int_equal(strbuf_puts(&b, "\", \"kind\": \"process\", \"subject\": \"host\", "
                                         "\"conditions\": [" PROC "]}"),
                         0);
        assert_parse_err(strbuf_str(&b), "t.json: name: too long (201 bytes, at most 200)");

        /* 33 conditions */
        strbuf_reset(&b);
        assert_int_equal(strbuf_puts(&b, DOC("process", "", PROC)), 0);
        b.len -= 2;
        for (int i = 0; i < 32; i++)
                assert_int_equal(strbuf_puts(&b, "," PROC), 0);
        assert_int_equal(strbuf_puts(&b, "]}"), 0);
        assert_parse_err(strbuf_str(&b), "t.json: conditions: 33 conditions (expected 1 to 32)");

        /* id of 64 and 65 bytes */
        assert_true(pattern_id_is_valid(
                "a123456789012345678901234567890123456789012345678901234567890123"));
        assert_false(pattern_id_is_valid(
                "a1234567890123456789012345678901234567890123456789012345678901234"));
        assert_false(pattern_id_is_valid("-a"));
        assert_false(pattern_id_is_valid("a/b"));
        assert_false(pattern_id_is_valid("a.json"));
        assert_false(pattern_id_is_valid(""));
        assert_true(pattern_id_is_valid("0-a-"));

        /* a file larger than 1 MiB */
        size_t big = PATTERN_FILE_MAX + 1;
        _cleanup_free_ char *text = xmalloc(big);
        memset(text, ' ', big);
        text[0] = '{';
        text[big - 1] = '}';
        assert_int_equal(pattern_from_json(text, big, "big.json", &p, &err), -EFBIG);
        assert_string_equal(err, "big.json: too large (1048577 bytes, at most 1048576)");
        assert_null(p);
}

static void test_pattern_x_keys_kept(void **state)
{
        _cleanup_(pattern_freep) Pattern *p = NULL;
        _cleanup_free_ char *t = NULL;

        (void) state;
        p = parse_ok(DOC("metric", "\"x-zz\": [1.5, \"a\"], \"x-note\": {\"by\": \"ops\"}, ",
                         "{\"type\": \"metric\", \"metric\": \"m\", \"op\": \"<=\", "
                         "\"threshold\": 0.1, \"x-c\": true}"));
        t = pattern_to_json(p);
        /* Sorted, after the known keys. */
        assert_non_null(strstr(t,
                               "  \"origin\": \"manual\",\n  \"x-note\": {\n    \"by\": \"ops\"\n  "
                               "},\n  \"x-zz\": [\n    1.5,\n    \"a\"\n  ]\n}\n"));
        assert_non_null(strstr(t, "\"threshold\": 0.1,\n      \"x-c\": true\n"));
        assert_round_trip(p);

        /* Notes that are not "x-" are refused when built in code. */
        _cleanup_free_ char *err = NULL;
        (void) json_object_set_new(p->extra, "note", json_true());
        assert_int_equal(pattern_validate(p, NULL, &err), -EINVAL);
        assert_string_equal(err, "note: unknown key (only keys starting with 'x-' may be added)");
}

static Pattern *build(void)
{
        Pattern *p = pattern_new();

        p->id = xstrdup("built-in-code");
        p->name = xstrdup("Built in code");
        p->kind = PATTERN_KIND_COMPOSITE;
        p->subject = xstrdup("service:db");
        p->conditions = xnew0(PatternCondition, 2);
        p->n_conditions = 2;
        pattern_condition_init(&p->conditions[0], PATTERN_COND_METRIC);
        p->conditions[0].metric = xstrdup("service_cpu_percent");
        p->conditions[0].threshold = 0.1 + 0.2; /* needs 17 digits */
        p->conditions[0].window_ms = 1500;
        p->conditions[0].labels = xnew0(PatternLabel, 1);
        p->conditions[0].labels[0] = (PatternLabel){xstrdup("service"), xstrdup("d\"b\\")};
        p->conditions[0].n_labels = 1;
        pattern_condition_init(&p->conditions[1], PATTERN_COND_LOG);
        p->conditions[1].source = xstrdup("db");
        p->conditions[1].match = xstrdup("fatal: \xc3\xa9t\xc3\xa9");
        p->conditions[1].anomalous_rate = 1e-300;
        p->created_ms = 0;
        p->updated_ms = INT64_C(1795813260123);
        p->support.set = true;
        p->support.count = 2;
        return p;
}

static void test_pattern_round_trip_built(void **state)
{
        _cleanup_(pattern_freep) Pattern *p = build();
        _cleanup_free_ char *err = NULL, *t = NULL;

        (void) state;
        assert_int_equal(pattern_validate(p, NULL, &err), 0);
        assert_round_trip(p);
        t = pattern_to_json(p);
        assert_non_null(strstr(t, "\"window\": \"1500ms\""));
        assert_non_null(strstr(t, "\"threshold\": 0.30000000000000004"));
        assert_non_null(strstr(t, "\"created\": \"1970-01-01T00:00:00.000Z\""));

        /* pattern_validate() names the field, with or without a file name. */
        p->conditions[1].window_ms = 500;
        assert_int_equal(pattern_validate(p, "x.json", &err), -EINVAL);
        assert_string_equal(err, "x.json: conditions[1].window: 500ms is out of range (1s to 7d)");
        free(err);
        err = NULL;
        p->conditions[1].window_ms = 1000;
        p->conditions[0].threshold = NAN;
        assert_int_equal(pattern_validate(p, NULL, &err), -EINVAL);
        assert_string_equal(err, "conditions[0].threshold: must be a finite number");
        free(err);
        err = NULL;
        p->conditions[0].threshold = 1;
        p->kind = PATTERN_KIND_METRIC;
        assert_int_equal(pattern_validate(p, NULL, &err), -EINVAL);
        assert_string_equal(err, "conditions[1]: a log condition in a 'metric' pattern (which may "
                                 "only have metric conditions; use kind 'composite')");
        free(err);
        err = NULL;
        p->kind = PATTERN_KIND_COMPOSITE;
        free(p->subject);
        p->subject = xstrdup("service:");
        assert_int_equal(pattern_validate(p, NULL, &err), -EINVAL);
        assert_string_equal(err, "subject: 'service:' is not \"host\", \"service:<name>\" or "
                                 "\"process:<name>\"");
}

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static void test_pattern_save_file(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp(), *path = NULL, *err = NULL, *text = NULL;
        _cleanup_(pattern_freep) Pattern *p = build(), *q = NULL;
        size_t len;

        (void) state;
        assert_int_equal(pattern_save_file(dir, p, &err), 0);
        free(p->name);
        p->name = xstrdup("Second version");
        assert_int_equal(pattern_save_file(dir, p, &err), 0);
        /* No temporary file is left behind. */
        assert_int_equal(count_entries(dir), 1);
        path = xasprintf("%s/built-in-code.json", dir);
        assert_int_equal(pattern_load_file(path, &q, &err), 0);
        assert_true(pattern_equal(p, q));
        text = read_file(path, &len);
        _cleanup_free_ char *canon = pattern_to_json(p);
        assert_string_equal(text, canon);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);

        /* An invalid id is refused before anything is written. */
        free(p->id);
        p->id = xstrdup("../evil");
        assert_int_equal(pattern_save_file(dir, p, &err), -EINVAL);
        _cleanup_free_ char *exp = xasprintf("%s: id: '../evil' is not a valid id (lower-case "
                                             "letters, digits and '-', at most 64)",
                                             dir);
        assert_string_equal(err, exp);
        free(err);
        err = NULL;
        /* So is an invalid pattern. */
        free(p->id);
        p->id = xstrdup("other");
        p->n_conditions = 0;
        assert_int_equal(pattern_save_file(dir, p, &err), -EINVAL);
        p->n_conditions = 2;
        assert_int_equal(count_entries(dir), 1);
        /* A missing directory. */
        _cleanup_free_ char *missing = xasprintf("%s/nope", dir);
        free(err);
        err = NULL;
        assert_int_equal(pattern_save_file(missing, p, &err), -ENOENT);
        assert_non_null(strstr(err, "cannot create a temporary file"));
        test_rm_rf(dir);
}

static void test_pattern_load_dir_bad_file(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp(), *err = NULL;
        _cleanup_(pattern_freep) Pattern *p = build();
        PatternList l = {};

        (void) state;
        assert_int_equal(pattern_save_file(dir, p, &err), 0);
        _cleanup_free_ char *bad = xasprintf("%s/broken.json", dir);
        write_file(bad, "{\"schema_version\": 1,\n  \"id\": 5}\n");
        _cleanup_free_ char *renamed = xasprintf("%s/renamed.json", dir);
        _cleanup_free_ char *canon = pattern_to_json(p);
        write_file(renamed, canon);
        _cleanup_free_ char *hidden = xasprintf("%s/.built-in-code.json.XXXX12", dir);
        write_file(hidden, "garbage");
        _cleanup_free_ char *other = xasprintf("%s/README", dir);
        write_file(other, "not a pattern");

        _cleanup_free_ char *fifo = xasprintf("%s/fifo.json", dir);
        assert_int_equal(mkfifo(fifo, 0600), 0);

        assert_int_equal(pattern_load_dir(dir, &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_true(pattern_equal(l.patterns[0], p));
        assert_int_equal(l.n_errors, 3);
        _cleanup_free_ char *e0 = xasprintf("%s: id: expected a string, got a number", bad);
        _cleanup_free_ char *e1 = xasprintf("%s: id: 'built-in-code' does not match the file name "
                                            "(it must be <id>.json)",
                                            renamed);
        assert_string_equal(l.errors[0], e0);
        _cleanup_free_ char *e2 = xasprintf("%s: not a regular file", fifo);
        assert_string_equal(l.errors[1], e2);
        assert_string_equal(l.errors[2], e1);
        pattern_list_done(&l);
        assert_int_equal(l.n, 0);

        _cleanup_free_ char *missing = xasprintf("%s/nope", dir);
        free(err);
        err = NULL;
        assert_int_equal(pattern_load_dir(missing, &l, &err), -ENOENT);
        assert_non_null(strstr(err, "cannot open"));
        test_rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pattern_examples_good),
                cmocka_unit_test(test_pattern_examples_bad),
                cmocka_unit_test(test_pattern_from_json_errors),
                cmocka_unit_test(test_pattern_from_json_bounds),
                cmocka_unit_test(test_pattern_x_keys_kept),
                cmocka_unit_test(test_pattern_round_trip_built),
                cmocka_unit_test(test_pattern_save_file),
                cmocka_unit_test(test_pattern_load_dir_bad_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

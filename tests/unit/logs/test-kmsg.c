/* The kmsg source: the record parser, the file mode over captured records (logs/kmsg/), and,
 * as root, the real /dev/kmsg with a line we inject. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/time-util.h"
#include "logs/kmsg.h"
#include "logs/source.h"
#include "test-util.h"

#define MAX_GOT 4096

typedef struct Got {
        char *text;
        int severity;
        uint64_t seq;
        int64_t ts_ms;
        char *program;
        int64_t pid;
        bool truncated;
        size_t len;
} Got;

typedef struct Collect {
        Got *got;
        size_t n;
        LogSource *src;
        const char *want; /* remember the cursor when this text goes by */
        char *cursor_seen;
} Collect;

static int collect(void *userdata, const LogLine *l)
{
        Collect *c = userdata;

        if (!c->got)
                c->got = xnew0(Got, MAX_GOT);
        assert_true(c->n < MAX_GOT);
        assert_int_equal(l->text[l->len], '\0');
        c->got[c->n++] = (Got){
                .text = xstrndup(l->text, l->len),
                .severity = l->severity,
                .seq = l->seq,
                .ts_ms = l->ts_ms,
                .program = l->program ? xstrdup(l->program) : NULL,
                .pid = l->pid,
                .truncated = l->truncated,
                .len = l->len,
        };
        if (c->want && strcmp(c->got[c->n - 1].text, c->want) == 0) {
                free(c->cursor_seen);
                c->cursor_seen = log_source_get_cursor(c->src);
        }
        return 0;
}

static void collect_done(Collect *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->got[i].text);
                free(c->got[i].program);
        }
        free(c->got);
        free(c->cursor_seen);
        *c = (Collect){};
}

static const Got *find_seq(const Collect *c, uint64_t seq)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->got[i].seq == seq)
                        return &c->got[i];
        fail_msg("no line with seq %llu", (unsigned long long) seq);
        return NULL;
}

static int parse(const char *s, KmsgRecord *r)
{
        return kmsg_parse_record(s, strlen(s), r);
}

static void test_kmsg_parse_record(void **state)
{
        KmsgRecord r;

        (void) state;
        const char *rec = "6,348,277058808,-;segv[5458]: segfault at 0 ip 0000560ec5e41155\n"
                          " SUBSYSTEM=x\n DEVICE=+y\n";
        assert_int_equal(parse(rec, &r), 0);
        assert_int_equal(r.prio, 6);
        assert_int_equal(r.seq, 348);
        assert_int_equal(r.usec, 277058808);
        assert_int_equal(r.flag, '-');
        assert_int_equal(r.msg_len, strlen("segv[5458]: segfault at 0 ip 0000560ec5e41155"));
        assert_memory_equal(r.msg, "segv[5458]: segfault", 20);

        /* Further header fields; no newline at the end; an empty message. */
        assert_int_equal(parse("12,7,1,-,caller=T123;hello", &r), 0);
        assert_int_equal(r.prio, 12);
        assert_int_equal(r.msg_len, 5);
        assert_int_equal(parse("6,1,2,c;", &r), 0);
        assert_int_equal(r.flag, 'c');
        assert_int_equal(r.msg_len, 0);
        assert_int_equal(parse("6,1,2,;x", &r), 0);
        assert_int_equal(r.flag, '-');
        assert_int_equal(parse("1023,18446744073709551615,0,-;max", &r), 0);
        assert_int_equal(r.seq, UINT64_MAX);
        /* A ';' in the message is the message's. */
        assert_int_equal(parse("6,1,2,-;a;b", &r), 0);
        assert_int_equal(r.msg_len, 3);

        static const char *const bad[] = {
                "",
                "6",
                "6,",
                "6,1,2,-", /* no ';' */
                "6,1,2;x", /* three fields */
                "x,1,2,-;m",
                "6,,2,-;m",
                "-6,1,2,-;m",
                " 6,1,2,-;m",
                "1024,1,2,-;m",                 /* prio past facility 127 */
                "6,18446744073709551616,2,-;m", /* seq past 64 bits */
                "6,1,99999999999999999999,-;m",
                "6,1,2,-\n;m", /* the header ends at the line */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(parse(bad[i], &r), -EBADMSG);
        /* Bounded by n, not by a NUL. */
        assert_int_equal(kmsg_parse_record("6,1,2,-;m", 7, &r), -EBADMSG);
        assert_int_equal(kmsg_parse_record("6,1,2,-;msg", 9, &r), 0);
        assert_int_equal(r.msg_len, 1);
        assert_int_equal(kmsg_parse_record(NULL, 0, &r), -EBADMSG);
        assert_int_equal(kmsg_parse_record("6,1,2,-\0;m", 10, &r), -EBADMSG);
}

static LogSource *open_fixture(const char *name)
{
        _cleanup_free_ char *rel = xasprintf("logs/kmsg/%s", name);
        _cleanup_free_ char *path = test_data_path(rel);
        LogSource *s = NULL;

        assert_int_equal(log_source_new_kmsg("kmsg", path, &s), 0);
        assert_int_equal(s->ops->kind, LOG_SOURCE_KMSG);
        return s;
}

static void test_kmsg_file_records(void **state)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        _cleanup_free_ char *cursor = NULL;
        Collect c = {};
        const Got *g;

        (void) state;
        s = open_fixture("records.txt");
        cursor = log_source_get_cursor(s);
        assert_string_equal(cursor, "");
        assert_int_equal(log_source_get_fd(s), -1); /* a file: the caller polls */

        /* 42 records; the " KEY=value" continuation lines are not lines. */
        assert_int_equal(log_source_read(s, 0, collect, &c), 42);
        assert_int_equal(c.n, 42);
        assert_null(s->error);
        for (size_t i = 1; i < c.n; i++)
                assert_true(c.got[i].seq > c.got[i - 1].seq);

        g = find_seq(&c, 0);
        assert_int_equal(g->severity, 5);
        assert_true(strncmp(g->text, "Linux version 6.18.44", 21) == 0);
        assert_null(g->program);

        g = find_seq(&c, 348);
        assert_string_equal(g->text, "segv[5458]: segfault at 0 ip 0000560ec5e41155 sp "
                                     "00007fff485d38b0 error 4 in segv[1155,560ec5e41000+1000] "
                                     "likely on CPU 1 (core 1, socket 0)");
        assert_int_equal(g->severity, 6);
        assert_null(g->program); /* a kernel line: the "segv[5458]:" is not a program */
        assert_int_equal(g->pid, 0);
        /* Wall time: boot time + usec; 277058808 us after the record at 0 us. */
        assert_true(g->ts_ms > 0);
        assert_int_equal(g->ts_ms - find_seq(&c, 0)->ts_ms, 277058);

        /* The kernel's escapes stay as they are. */
        assert_string_equal(find_seq(&c, 92)->text,
                            "\\x09Trampoline variant of Tasks RCU enabled.");
        assert_string_equal(find_seq(&c, 199)->text,
                            "acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig ASPM ClockPM "
                            "Segments MSI HPX-Type3]");

        /* Injected by root: facility user, level 3. */
        g = find_seq(&c, 380);
        assert_string_equal(g->text, "aiops-test: injected line");
        assert_int_equal(g->severity, 3);
        assert_string_equal(g->program, "aiops-test");
        assert_int_equal(g->pid, 0);

        g = find_seq(&c, 458);
        assert_int_equal(g->severity, 3);
        assert_true(strncmp(g->text, "Memory cgroup out of memory: Killed process 7466", 48) == 0);
        assert_int_equal(find_seq(&c, 381)->severity, 4);
        assert_int_equal(find_seq(&c, 19)->severity, 7);

        /* Nothing more until the file grows. */
        assert_int_equal(log_source_read(s, 0, collect, &c), 0);
        free(cursor);
        cursor = log_source_get_cursor(s);
        assert_non_null(strstr(cursor, " seq=460"));
        assert_true(strncmp(cursor, "boot=", 5) == 0);
        collect_done(&c);
}

static void test_kmsg_file_nasty(void **state)
{
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};
        const Got *g;

        (void) state;
        s = open_fixture("nasty.txt");
        assert_int_equal(log_source_read(s, 0, collect, &c), 9);
        /* Malformed records are skipped and reported, the rest read. */
        assert_non_null(s->error);
        assert_non_null(strstr(s->error, "malformed"));

        assert_string_equal(find_seq(&c, 1000)->text,
                            "a record with a caller field (CONFIG_PRINTK_CALLER)");
        assert_string_equal(find_seq(&c, 1001)->text, "an old continuation-start flag");
        assert_string_equal(find_seq(&c, 1002)->text, "");

        g = find_seq(&c, 1006); /* facility daemon: not an injected user line */
        assert_int_equal(g->severity, 6);
        assert_null(g->program);
        g = find_seq(&c, 1007);
        assert_string_equal(g->program, "myapp");
        assert_int_equal(g->pid, 4242);
        assert_string_equal(g->text, "myapp[4242]: user line with a pid");
        assert_null(find_seq(&c, 1008)->program);
        assert_null(find_seq(&c, 1009)->program);
        g = find_seq(&c, 1010);
        assert_int_equal(g->severity, 0);
        assert_string_equal(g->program, "user");
        g = find_seq(&c, 1011);
        assert_true(g->ts_ms > 0);
        collect_done(&c);
}

static void test_kmsg_file_cursor(void **state)
{
        _cleanup_free_ char *cursor = NULL, *again = NULL;
        Collect c = {}, d = {};
        LogSource *s;

        (void) state;
        s = open_fixture("records.txt");
        assert_int_equal(log_source_read(s, 10, collect, &c), 10);
        cursor = log_source_get_cursor(s);
        assert_int_equal(c.got[9].seq, 10); /* 0, then 2 to 10 */
        assert_true(strlen(cursor) > 7 && strcmp(cursor + strlen(cursor) - 7, " seq=10") == 0);
        s = log_source_free(s);

        /* Same boot: the rest, none twice. */
        s = open_fixture("records.txt");
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        again = log_source_get_cursor(s);
        assert_string_equal(again, cursor); /* nothing read yet: still that position */
        assert_int_equal(log_source_read(s, 0, collect, &d), 32);
        assert_int_equal(d.got[0].seq, 11);
        assert_null(s->note);
        s = log_source_free(s);

        /* Another boot: from the oldest, with a note. */
        collect_done(&d);
        s = open_fixture("records.txt");
        assert_int_equal(log_source_set_cursor(s, "boot=00000000-0000-0000-0000-000000000000 "
                                                  "seq=10"),
                         0);
        assert_non_null(s->note);
        assert_int_equal(log_source_read(s, 0, collect, &d), 42);
        assert_int_equal(d.got[0].seq, 0);

        static const char *const bad[] = {
                "seq=10",        "boot= seq=1",   "boot=x",        "boot=x seq=",
                "boot=x seq=1x", "boot=x  seq=1", "boot=x seq=-1",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(log_source_set_cursor(s, bad[i]), -EINVAL);
        s = log_source_free(s);
        collect_done(&c);
        collect_done(&d);
}

static void test_kmsg_file_long_line(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/long.txt", dir);
        _cleanup_(log_source_freep) LogSource *s = NULL;
        Collect c = {};
        FILE *f = fopen(path, "we");

        (void) state;
        assert_non_null(f);
        fprintf(f, "6,1,2,-;");
        for (size_t i = 0; i < 100000; i++)
                fputc('x', f);
        fprintf(f, "\n6,2,3,-;short \xff\n6,3,4,-;partial");
        assert_int_equal(fclose(f), 0);

        assert_int_equal(log_source_new_kmsg("kmsg", path, &s), 0);
        assert_int_equal(log_source_read(s, 0, collect, &c), 2);
        assert_true(c.got[0].truncated);
        assert_true(c.got[0].len <= LOG_LINE_MAX_BYTES);
        assert_int_equal(c.got[0].len, strspn(c.got[0].text, "x"));
        assert_string_equal(c.got[1].text, "short \xef\xbf\xbd");
        /* The unfinished last line waits for its newline. */
        f = fopen(path, "ae");
        assert_non_null(f);
        fprintf(f, " done\n");
        assert_int_equal(fclose(f), 0);
        assert_int_equal(log_source_read(s, 0, collect, &c), 1);
        assert_string_equal(c.got[2].text, "partial done");
        collect_done(&c);
        s = log_source_free(s);
        test_rm_rf(dir);
}

static void test_kmsg_not_a_device(void **state)
{
        LogSource *s = NULL;

        (void) state;
        assert_int_equal(log_source_new_kmsg("kmsg", "/nonexistent/kmsg", &s), -ENOENT);
        assert_null(s);
        assert_int_equal(log_source_new_kmsg("kmsg", "/", &s), -ENOTTY);
        assert_null(s);
}

static int read_all(LogSource *s, Collect *c)
{
        int total = 0;

        for (;;) {
                int n = log_source_read(s, 0, collect, c);
                assert_true(n >= 0);
                if (n == 0)
                        return total;
                total += n;
        }
}

static size_t count_text(const Collect *c, const char *text, const Got **ret)
{
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->got[i].text, text) == 0) {
                        n++;
                        *ret = &c->got[i];
                }
        return n;
}

static void inject(const char *line)
{
        int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, line, strlen(line)), (ssize_t) strlen(line));
        assert_int_equal(close(fd), 0);
}

static void test_kmsg_device(void **state)
{
        _cleanup_free_ char *text = NULL, *line = NULL, *cursor = NULL, *text2 = NULL;
        LogSource *s = NULL;
        Collect c = {}, d = {};
        const Got *g = NULL;
        struct timespec ts;

        (void) state;
        if (geteuid() != 0 || access("/dev/kmsg", R_OK | W_OK) < 0) {
                print_message("skipping: /dev/kmsg needs root to inject a line\n");
                skip();
        }
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        text = xasprintf("aiops-test-%ld%09ld: injected", (long) getpid(), (long) ts.tv_nsec);
        line = xasprintf("<3>%s\n", text);
        inject(line);

        /* From the oldest record: the injected one exactly once, as root wrote it. */
        assert_int_equal(log_source_new_kmsg("kmsg", NULL, &s), 0);
        assert_true(log_source_get_fd(s) >= 0);
        c.src = s;
        c.want = text;
        assert_true(read_all(s, &c) > 0);
        assert_null(s->error);
        assert_int_equal(count_text(&c, text, &g), 1);
        assert_int_equal(g->severity, 3);
        assert_true(g->seq > 0);
        assert_non_null(g->program);
        assert_true(strncmp(g->program, "aiops-test-", 11) == 0);
        assert_true(llabs(g->ts_ms - time_now_ms()) < 60000);
        for (size_t i = 1; i < c.n; i++)
                assert_true(c.got[i].seq > c.got[i - 1].seq);
        assert_non_null(c.cursor_seen);
        cursor = xstrdup(c.cursor_seen);
        s = log_source_free(s);

        /* A source restarted at the cursor taken when it went by does not see it again, but
         * sees what came after. */
        text2 = xasprintf("%s again", text);
        free(line);
        line = xasprintf("<4>%s\n", text2);
        inject(line);
        assert_int_equal(log_source_new_kmsg("kmsg", NULL, &s), 0);
        assert_int_equal(log_source_set_cursor(s, cursor), 0);
        assert_null(s->note);
        (void) read_all(s, &d);
        assert_int_equal(count_text(&d, text, &g), 0);
        assert_int_equal(count_text(&d, text2, &g), 1);
        assert_int_equal(g->severity, 4);
        s = log_source_free(s);
        collect_done(&c);
        collect_done(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kmsg_parse_record),
                cmocka_unit_test(test_kmsg_file_records),
                cmocka_unit_test(test_kmsg_file_nasty),
                cmocka_unit_test(test_kmsg_file_cursor),
                cmocka_unit_test(test_kmsg_file_long_line),
                cmocka_unit_test(test_kmsg_not_a_device),
                cmocka_unit_test(test_kmsg_device),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

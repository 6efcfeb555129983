/* Key services over collect/proc-nginx: an nginx master (1000) with two workers (1001, 1002;
 * 1002's io unreadable) and a zombie worker (1003), a hand-started nginx under a shell
 * (2001), php-fpm master + pool, and a containerd shim whose comm the kernel cut to 15. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "collect/services.h"
#include "core/alloc.h"
#include "core/config.h"
#include "test-util.h"

static int64_t fake_now_ns;

static int64_t fake_clock(void *userdata)
{
        (void) userdata;
        return fake_now_ns;
}

static const ServiceStatus *find(const ServiceStatus *st, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(st[i].name, name) == 0)
                        return &st[i];
        fail_msg("no status for '%s'", name);
        return NULL;
}

static void test_services_evaluate_nginx(void **state)
{
        _cleanup_free_ char *root = test_data_path("collect/proc-nginx");
        ProcTable *t = NULL;
        /* The built-in list lives with the configuration, where the user's list replaces it. */
        _cleanup_(config_freep) Config *cfg = config_new_default();
        size_t n = cfg->n_services;
        _cleanup_free_ ServiceSpec *specs = xnew(ServiceSpec, n);
        _cleanup_free_ ServiceStatus *st = xnew(ServiceStatus, n);
        double page = (double) sysconf(_SC_PAGESIZE);
        const ServiceStatus *s;

        (void) state;
        assert_int_equal(n, 13);
        for (size_t i = 0; i < n; i++)
                specs[i] = (ServiceSpec){cfg->services[i].name,
                                         (const char *const *) cfg->services[i].match,
                                         cfg->services[i].n_match};
        assert_int_equal(ptable_new(root, &t), 0);
        ptable_set_clock(t, fake_clock, NULL);
        fake_now_ns = 0;
        assert_int_equal(ptable_scan(t, 1), 0);
        assert_int_equal(services_evaluate(specs, n, t, st), 0);

        s = find(st, n, "nginx");
        assert_true(s->alive);
        assert_int_equal(s->n_procs, 4); /* master, 2 workers, the hand-started one; no zombie */
        assert_int_equal(s->main_pid, 1000);
        assert_string_equal(s->unit, "nginx.service");
        assert_int_equal(s->threads, 4);
        assert_true(s->rss_bytes == (1000 + 2000 + 3000 + 100) * page);
        assert_true(fabs(s->mem_percent - 6100 * page / 1024000000.0 * 100) < 1e-9);
        assert_int_equal(s->fds, 8 + 10 + 12 + 3);
        assert_true(isnan(s->cpu_percent)); /* first scan: unknown for all */
        assert_true(isnan(s->read_bytes_per_s));

        fake_now_ns = INT64_C(1000000000);
        assert_int_equal(ptable_scan(t, 2), 0);
        assert_int_equal(services_evaluate(specs, n, t, st), 0);
        s = find(st, n, "nginx");
        assert_true(s->cpu_percent == 0.0);
        assert_true(s->read_bytes_per_s == 0.0); /* 1002 unknown, the others known */

        s = find(st, n, "php-fpm");
        assert_true(s->alive);
        assert_int_equal(s->n_procs, 2);
        assert_int_equal(s->main_pid, 1100);
        assert_int_equal(s->threads, 3);
        assert_string_equal(s->unit, "php8.2-fpm.service");

        /* "containerd" is not "containerd-shim" */
        s = find(st, n, "containerd");
        assert_false(s->alive);

        s = find(st, n, "mysql");
        assert_false(s->alive);
        assert_int_equal(s->n_procs, 0);
        assert_int_equal(s->main_pid, 0);
        assert_null(s->unit);
        assert_true(isnan(s->rss_bytes));
        assert_true(isnan(s->cpu_percent));
        assert_int_equal(s->fds, -1);

        /* A pattern longer than comm can be matches the cut comm. */
        static const char *const shim_match[] = {"containerd-shim-runc-v2"};
        static const char *const nginx_match[] = {"ngin*"};
        const ServiceSpec custom[] = {
                {"shim", shim_match, 1},
                {"web", nginx_match, 1},
        };
        ServiceStatus cs[2];
        assert_int_equal(services_evaluate(custom, 2, t, cs), 0);
        assert_true(cs[0].alive);
        assert_int_equal(cs[0].main_pid, 2002);
        assert_int_equal(cs[1].n_procs, 4);
        assert_int_equal(cs[1].main_pid, 1000);

        assert_int_equal(services_evaluate(custom, 2, NULL, cs), -EINVAL);
        ptable_free(t);
}

static void test_service_spec_matches(void **state)
{
        static const char *const m[] = {"php-fpm*", "cron"};
        const ServiceSpec spec = {"x", m, 2};

        (void) state;
        assert_true(service_spec_matches(&spec, "php-fpm", NULL));
        assert_true(service_spec_matches(&spec, "php-fpm8.2", NULL));
        assert_true(service_spec_matches(&spec, "cron", NULL));
        assert_false(service_spec_matches(&spec, "crond", NULL));
        assert_false(service_spec_matches(&spec, "php", NULL));
        assert_false(service_spec_matches(&spec, "", NULL));
}

static void test_service_spec_matches_path_prefix(void **state)
{
        static const char *const m[] = {"/opt/app/bin/", "mysqld"};
        const ServiceSpec spec = {"app", m, 2};

        (void) state;
        assert_true(service_spec_matches(&spec, "java", "/opt/app/bin/java -jar app.jar"));
        assert_false(service_spec_matches(&spec, "java", "/usr/bin/java -jar other.jar"));
        assert_false(service_spec_matches(&spec, "java", NULL));
        /* a path pattern never matches comm, a name pattern never the command line */
        assert_false(service_spec_matches(&spec, "/opt/app/bin/", "[kworker]"));
        assert_false(service_spec_matches(&spec, "bash", "mysqld --defaults-file=x"));
        assert_true(service_spec_matches(&spec, "mysqld", "/usr/sbin/mysqld"));

        /* comm may hold a '/' itself: only a leading '/' makes a path pattern */
        static const char *const k[] = {"kworker/*", "*"};
        const ServiceSpec kspec = {"kworkers", k, 1}, any = {"any", k + 1, 1};
        assert_true(service_spec_matches(&kspec, "kworker/0:1", NULL));
        assert_false(service_spec_matches(&kspec, "kswapd0", "kworker/0:1"));
        assert_true(service_spec_matches(&any, "anything", NULL));
}

static void test_services_classify_first_spec_wins(void **state)
{
        _cleanup_free_ char *root = test_data_path("collect/proc-nginx");
        static const char *const web[] = {"nginx"}, *const all[] = {"*"};
        const ServiceSpec specs[] = {{"web", web, 1}, {"everything", all, 1}};
        ServiceStatus st[2];
        ProcTable *t = NULL;

        (void) state;
        assert_int_equal(ptable_new(root, &t), 0);
        assert_int_equal(ptable_scan(t, 1), 0);
        assert_int_equal(services_evaluate(specs, 2, t, st), 0);
        /* nginx processes count for "web" only; the rest (not zombies) for "everything" */
        assert_int_equal(st[0].n_procs, 4);
        const ProcInfo *zombie = ptable_find(t, 1003);
        assert_non_null(zombie);
        assert_int_equal(services_classify(specs, 2, zombie), -1);
        assert_int_equal(services_classify(specs, 2, ptable_find(t, 1000)), 0);
        assert_int_equal(services_classify(specs, 2, ptable_find(t, 2000)), 1);
        assert_int_equal(st[0].n_procs + st[1].n_procs, ptable_count(t) - 1);
        ptable_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_services_evaluate_nginx),
                cmocka_unit_test(test_service_spec_matches),
                cmocka_unit_test(test_service_spec_matches_path_prefix),
                cmocka_unit_test(test_services_classify_first_spec_wins),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

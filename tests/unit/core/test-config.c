#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/config.h"
#include "test-util.h"

/* Loads tests/data/core/config/<name>; on failure checks that the message is
 * "<path><rest>" and returns the error. */
static int load(const char *name, Config **ret, const char *rest)
{
        _cleanup_free_ char *rel = xasprintf("core/config/%s", name);
        _cleanup_free_ char *path = test_data_path(rel);
        char *err = NULL;

        int r = config_load(path, true, ret, &err);
        if (r < 0) {
                _cleanup_free_ char *want = xasprintf("%s%s", path, rest ? rest : "");
                assert_non_null(err);
                assert_string_equal(err, want);
                free(err);
        } else {
                assert_null(err);
        }
        return r;
}

static void test_config_new_default_values(void **state)
{
        _cleanup_(config_freep) Config *c = config_new_default();

        (void) state;
        assert_null(c->path);
        assert_string_equal(c->data_dir, "");
        assert_int_equal(c->log_level, LOG_LEVEL_NOTICE);
        assert_string_equal(c->log_file, "");
        assert_int_equal(c->collect_interval_ms, 30000);
        assert_int_equal(c->top_processes, 10);
        assert_int_equal(c->n_watch_pids, 0);
        assert_int_equal(c->n_watch_processes, 0);
        assert_int_equal(c->retention_ms, 7 * 24 * 3600 * INT64_C(1000));
        assert_int_equal(c->n_services, 13);
        assert_string_equal(c->services[0].name, "mysql");
        assert_int_equal(c->services[0].n_match, 2);
        assert_string_equal(c->services[0].match[1], "mariadbd");
        assert_string_equal(c->services[12].name, "cron");
}

static void test_config_load_full(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;

        (void) state;
        assert_int_equal(load("full.yaml", &c, NULL), 0);
        assert_non_null(strstr(c->path, "core/config/full.yaml"));
        assert_string_equal(c->data_dir, "/srv/aiops");
        assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
        assert_string_equal(c->log_file, "/var/log/aiops.log");
        assert_int_equal(c->collect_interval_ms, 15000);
        assert_int_equal(c->top_processes, 20);
        assert_int_equal(c->n_watch_pids, 2);
        assert_int_equal(c->watch_pids[0], 1);
        assert_int_equal(c->watch_pids[1], 42);
        assert_int_equal(c->n_watch_processes, 2);
        assert_string_equal(c->watch_processes[0], "nginx");
        assert_string_equal(c->watch_processes[1], "中文进程");
        assert_int_equal(c->retention_ms, 30 * 24 * 3600 * INT64_C(1000));
        assert_int_equal(c->n_services, 2);
        assert_string_equal(c->services[1].name, "app");
        assert_int_equal(c->services[1].n_match, 2);
        assert_string_equal(c->services[1].match[0], "/opt/app/bin/");
}

static void test_config_load_empty(void **state)
{
        (void) state;
        for (size_t i = 0; i < 2; i++) {
                _cleanup_(config_freep) Config *c = NULL;
                assert_int_equal(load(i == 0 ? "empty.yaml" : "comments-only.yaml", &c, NULL), 0);
                assert_int_equal(c->collect_interval_ms, 30000);
                assert_int_equal(c->n_services, 13);
        }
}

static void test_config_load_missing(void **state)
{
        Config *c = NULL;
        char *err = NULL;

        (void) state;
        assert_int_equal(config_load("/nonexistent/aiops.yaml", false, &c, &err), 0);
        assert_null(err);
        assert_null(c->path);
        assert_int_equal(c->top_processes, 10);
        c = config_free(c);

        assert_int_equal(config_load("/nonexistent/aiops.yaml", true, &c, &err), -ENOENT);
        assert_null(c);
        assert_string_equal(err, "/nonexistent/aiops.yaml: cannot open: No such file or directory");
        free(err);
}

static void test_config_load_unknown_key(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load("unknown-key.yaml", &c, ":2: unknown key 'colect'"), -EINVAL);
        assert_null(c);
        assert_int_equal(load("unknown-nested-key.yaml", &c, ":3: unknown key 'collect.intervall'"),
                         -EINVAL);
}

static void test_config_load_bad_duration(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load("bad-duration.yaml", &c,
                              ":7: key 'collect.interval': invalid duration 'fast' (expected e.g. "
                              "30s, 5m)"),
                         -EINVAL);
        assert_int_equal(load("too-short.yaml", &c,
                              ":2: key 'collect.interval': duration '50ms' is out of range "
                              "(100ms..7d)"),
                         -EINVAL);
}

static void test_config_load_bad_type(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load("bad-type.yaml", &c,
                              ":2: key 'collect.interval': expected a duration, got a list"),
                         -EINVAL);
        assert_int_equal(load("section-not-mapping.yaml", &c,
                              ":1: key 'log': expected a mapping, got a scalar"),
                         -EINVAL);
}

static void test_config_load_syntax_error(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load("syntax-error.yaml", &c,
                              ":3:2: invalid YAML: did not find expected key (while parsing a "
                              "block mapping on line 1)"),
                         -EINVAL);
}

static void test_config_load_duplicate_key(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load("duplicate-key.yaml", &c,
                              ":3: duplicate key 'store.retention' (first on line 2)"),
                         -EINVAL);
}

static void test_config_load_services_errors(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load("services-bad.yaml", &c, ":5: unknown key 'services[1].mach'"),
                         -EINVAL);
        assert_int_equal(
                load("alias.yaml", &c, ":4: key 'services[0]': YAML aliases are not supported"),
                -EINVAL);
}

/* Loads YAML text; on failure checks the message is "test.yaml<rest>". */
static int load_str(const char *yaml, Config **ret, const char *rest)
{
        char *err = NULL;

        int r = config_load_string(yaml, strlen(yaml), "test.yaml", ret, &err);
        if (r < 0) {
                _cleanup_free_ char *want = xasprintf("test.yaml%s", rest ? rest : "");
                assert_non_null(err);
                assert_string_equal(err, want);
                free(err);
        } else {
                assert_null(err);
        }
        return r;
}

static void test_config_load_string_values(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load_str("log:\n  level: loud\n", &c,
                                  ":2: key 'log.level': invalid log level 'loud' (expected "
                                  "error, warning, notice, info or debug)"),
                         -EINVAL);
        assert_int_equal(load_str("collect:\n  top_processes: 1001\n", &c,
                                  ":2: key 'collect.top_processes': 1001 is out of range "
                                  "(0..1000)"),
                         -EINVAL);
        assert_int_equal(load_str("collect:\n  top_processes: ten\n", &c,
                                  ":2: key 'collect.top_processes': invalid number 'ten'"),
                         -EINVAL);
        assert_int_equal(load_str("collect:\n  watch_pids: [1, 0]\n", &c,
                                  ":2: key 'collect.watch_pids': invalid pid '0' (expected "
                                  "1..4194304)"),
                         -EINVAL);
        assert_int_equal(load_str("collect:\n  watch_pids: 1\n", &c,
                                  ":2: key 'collect.watch_pids': expected a list, got a scalar"),
                         -EINVAL);
        assert_int_equal(load_str("data_dir: relative/dir\n", &c,
                                  ":1: key 'data_dir': path 'relative/dir' is not absolute"),
                         -EINVAL);
        assert_int_equal(load_str("store:\n  retention: 30m\n", &c,
                                  ":2: key 'store.retention': duration '30m' is out of range "
                                  "(1h..36500d)"),
                         -EINVAL);
        assert_int_equal(
                load_str("- a\n- b\n", &c, ":1: expected a mapping of keys at the top, got a list"),
                -EINVAL);
        assert_int_equal(load_str("log: {}\n---\nb: 2\n", &c, ":3: more than one YAML document"),
                         -EINVAL);
        assert_int_equal(load_str("? [a]\n: 1\n", &c, ":1: keys must be plain strings, got a list"),
                         -EINVAL);
        assert_int_equal(
                load_str("log: \"\\0\"\n", &c, ":1: key 'log': expected a mapping, got a scalar"),
                -EINVAL);
        assert_int_equal(load_str("log:\n  file: \"/a\\0b\"\n", &c,
                                  ":2: key 'log.file': value contains a NUL byte"),
                         -EINVAL);
        assert_int_equal(
                load_str("x: \xff\n", &c, ": invalid YAML at byte 3: invalid leading UTF-8 octet"),
                -EINVAL);
        assert_null(c);
}

static void test_config_load_string_nulls(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;

        (void) state;
        assert_int_equal(
                load_str("log:\ncollect:\n  watch_pids: ~\ndata_dir:\nservices: []\n", &c, NULL),
                0);
        assert_string_equal(c->data_dir, "");
        assert_int_equal(c->n_watch_pids, 0);
        assert_int_equal(c->n_services, 0);
        assert_string_equal(c->path, "test.yaml");
}

static void test_config_load_string_services(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(load_str("services:\n  - name: a\n    match: [x]\n  - name: a\n    match: "
                                  "[y]\n",
                                  &c, ":4: key 'services[1]': duplicate service 'a'"),
                         -EINVAL);
        assert_int_equal(
                load_str("services:\n  - name: a\n", &c, ":2: key 'services[0]': missing 'match'"),
                -EINVAL);
        assert_int_equal(load_str("services:\n  - match: [a]\n", &c,
                                  ":2: key 'services[0]': missing 'name'"),
                         -EINVAL);
        assert_int_equal(load_str("services:\n  - name: a\n    match: []\n", &c,
                                  ":3: key 'services[0].match': at least one entry is needed"),
                         -EINVAL);
        assert_int_equal(load_str("services:\n  - name: a\n    match: ['*x']\n", &c,
                                  ":3: key 'services[0].match': '*x': '*' is only allowed at the "
                                  "end of a process name"),
                         -EINVAL);
        assert_int_equal(load_str("services:\n  - web\n", &c,
                                  ":2: key 'services[0]': expected a mapping with 'name' and "
                                  "'match', got a scalar"),
                         -EINVAL);
        assert_null(c);
}

static void test_config_load_logs(void **state)
{
        Config *c = NULL;

        (void) state;
        assert_int_equal(
                load_str("logs:\n"
                         "  discover: no\n"
                         "  files:\n"
                         "    - /srv/app/*.log\n"
                         "    - {path: /var/log/haproxy.log, name: haproxy, format: syslog}\n"
                         "  journal_units: [nginx.service]\n"
                         "  journal_files: [/tmp/x.journal]\n"
                         "  commands:\n"
                         "    - {name: api, command: \"kubectl logs -f deploy/api\"}\n"
                         "  learning_period: 0s\n"
                         "  shadow_mode: false\n"
                         "  count_interval: 10s\n"
                         "  keywords: [Timeout, OOM]\n"
                         "  drain:\n"
                         "    depth: 5\n"
                         "    similarity: 0.5\n"
                         "    max_clusters: 0\n"
                         "    masks: ['blk_-?\\d+']\n",
                         &c, NULL),
                0);
        assert_false(c->logs.discover);
        assert_true(c->logs.enabled);
        assert_int_equal(c->logs.n_files, 2);
        assert_string_equal(c->logs.files[0].path, "/srv/app/*.log");
        assert_string_equal(c->logs.files[0].name, "");
        assert_string_equal(c->logs.files[1].name, "haproxy");
        assert_string_equal(c->logs.files[1].format, "syslog");
        assert_string_equal(c->logs.journal_units[0], "nginx.service");
        assert_string_equal(c->logs.journal_files[0], "/tmp/x.journal");
        assert_string_equal(c->logs.commands[0].name, "api");
        assert_string_equal(c->logs.commands[0].command, "kubectl logs -f deploy/api");
        assert_string_equal(c->logs.commands[0].format, "");
        assert_int_equal(c->logs.learning_ms, 0);
        assert_false(c->logs.shadow_mode);
        assert_int_equal(c->logs.count_interval_ms, 10000);
        assert_string_equal(c->logs.keywords[0], "timeout"); /* lower-cased */
        assert_int_equal(c->logs.n_keywords, 2);
        assert_int_equal(c->logs.drain_depth, 5);
        assert_true(c->logs.drain_similarity == 0.5);
        assert_int_equal(c->logs.drain_max_clusters, 0);
        assert_string_equal(c->logs.drain_masks[0], "blk_-?\\d+");
        config_free(c);

        assert_int_equal(
                load_str("logs:\n  files: [relative.log]\n", &c,
                         ":2: key 'logs.files[0]': 'relative.log' is not an absolute path"),
                -EINVAL);
        assert_int_equal(load_str("logs:\n  files:\n    - {name: x}\n", &c,
                                  ":3: key 'logs.files[0]': missing 'path'"),
                         -EINVAL);
        assert_int_equal(load_str("logs:\n  files:\n    - {path: /a, colour: red}\n", &c,
                                  ":3: unknown key 'logs.files[0].colour'"),
                         -EINVAL);
        assert_int_equal(load_str("logs:\n  commands:\n    - {command: ls}\n", &c,
                                  ":3: key 'logs.commands[0]': missing 'name'"),
                         -EINVAL);
        assert_int_equal(load_str("logs:\n  drain:\n    similarity: 1.5\n", &c,
                                  ":3: key 'logs.drain.similarity': 1.5 is out of range (expected "
                                  "more than 0, at most 1)"),
                         -EINVAL);
        assert_int_equal(load_str("logs:\n  drain:\n    depth: 2\n", &c,
                                  ":3: key 'logs.drain.depth': 2 is out of range (3..16)"),
                         -EINVAL);
        assert_int_equal(load_str("logs:\n  shadow_mode: perhaps\n", &c,
                                  ":2: key 'logs.shadow_mode': invalid boolean 'perhaps' (expected "
                                  "true or false)"),
                         -EINVAL);
}

static void test_config_load_detect(void **state)
{
        Config *c = NULL;

        (void) state;
        c = config_new_default();
        assert_true(c->detect.online);
        assert_string_equal(c->detect.online_method, "seasonal");
        assert_true(c->detect.online_threshold == 0.9);
        assert_int_equal(c->detect.window_ms, 60000);
        assert_int_equal(c->detect.lookback_ms, 86400000);
        assert_true(c->detect.contamination == 0.1);
        assert_int_equal(c->detect.n_methods, 3);
        assert_string_equal(c->detect.methods[2], "knn");
        config_free(c);

        assert_int_equal(load_str("detect:\n"
                                  "  online: {enabled: false, method: kalman, threshold: 0.95}\n"
                                  "  window: 5m\n"
                                  "  lookback: 7d\n"
                                  "  contamination: 0.05\n"
                                  "  min_deviation: 4\n"
                                  "  methods: [iforest, mahalanobis]\n"
                                  "  model: {enabled: false, retrain_interval: 12h}\n"
                                  "  drift: {ks_pvalue: 0.01, psi: 0.25, js: 0.2}\n",
                                  &c, NULL),
                         0);
        assert_false(c->detect.online);
        assert_string_equal(c->detect.online_method, "kalman");
        assert_true(c->detect.online_threshold == 0.95);
        assert_int_equal(c->detect.window_ms, 300000);
        assert_int_equal(c->detect.lookback_ms, 7 * 86400000LL);
        assert_true(c->detect.contamination == 0.05);
        assert_true(c->detect.min_deviation == 4);
        assert_int_equal(c->detect.n_methods, 2);
        assert_string_equal(c->detect.methods[1], "mahalanobis");
        assert_false(c->detect.model);
        assert_int_equal(c->detect.retrain_interval_ms, 12 * 3600000LL);
        assert_true(c->detect.drift_ks_pvalue == 0.01);
        assert_true(c->detect.drift_js == 0.2);
        config_free(c);

        assert_int_equal(load_str("detect:\n  online:\n    method: prophet\n", &c,
                                  ":3: key 'detect.online.method': unknown value 'prophet' "
                                  "(expected one of: robust, ewma, seasonal, kalman, ar, "
                                  "ensemble)"),
                         -EINVAL);
        assert_int_equal(load_str("detect:\n  methods: [iforest, svm]\n", &c,
                                  ":2: key 'detect.methods': unknown value 'svm' (expected one "
                                  "of: iforest, lof, knn, kmeans, mahalanobis)"),
                         -EINVAL);
        assert_int_equal(load_str("detect:\n  methods: [lof, lof]\n", &c,
                                  ":2: key 'detect.methods': 'lof' is listed twice"),
                         -EINVAL);
        assert_int_equal(load_str("detect:\n  methods: []\n", &c,
                                  ":2: key 'detect.methods': the list is empty"),
                         -EINVAL);
        assert_int_equal(load_str("detect:\n  contamination: 0.7\n", &c,
                                  ":2: key 'detect.contamination': 0.7 is out of range "
                                  "(0.001..0.5)"),
                         -EINVAL);
        assert_int_equal(load_str("detect:\n  contamination: lots\n", &c,
                                  ":2: key 'detect.contamination': invalid number 'lots'"),
                         -EINVAL);
}

static void test_config_load_too_big(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *path = xasprintf("%s/big.yaml", dir);
        Config *c = NULL;
        char *err = NULL;

        (void) state;
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        for (size_t i = 0; i < CONFIG_MAX_FILE_BYTES / 16 + 1; i++)
                assert_int_equal(fputs("# padding line\n\n", f) >= 0, 1);
        assert_int_equal(fclose(f), 0);

        assert_int_equal(config_load(path, true, &c, &err), -EFBIG);
        _cleanup_free_ char *want = xasprintf("%s: larger than 1024 KiB, refusing to parse", path);
        assert_string_equal(err, want);
        free(err);
        err = NULL;

        assert_int_equal(config_load(dir, true, &c, &err), -EISDIR);
        free(err);
        assert_null(c);
        test_rm_rf(dir);
}

static void test_config_pick_data_dir_rules(void **state)
{
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *sys = xasprintf("%s/sys/aiops", dir);
        _cleanup_free_ char *ro = xasprintf("%s/ro", dir);
        _cleanup_free_ char *ro_sys = xasprintf("%s/ro/aiops", dir);
        _cleanup_free_ char *saved_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
        _cleanup_free_ char *saved_xdg =
                getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) : NULL;

        (void) state;
        /* missing, but its parent is writable: it can be created */
        _cleanup_free_ char *sys_parent = xasprintf("%s/sys", dir);
        assert_int_equal(mkdir(sys_parent, 0755), 0);
        _cleanup_free_ char *a = config_pick_data_dir(sys);
        assert_string_equal(a, sys);

        assert_int_equal(setenv("XDG_STATE_HOME", "/xdg/state", 1), 0);
        assert_int_equal(setenv("HOME", "/home/op", 1), 0);
        /* a parent that does not exist either */
        _cleanup_free_ char *b = config_pick_data_dir("/nonexistent/dir/aiops");
        assert_string_equal(b, "/xdg/state/aiops");

        assert_int_equal(setenv("XDG_STATE_HOME", "relative", 1), 0);
        _cleanup_free_ char *c = config_pick_data_dir("/nonexistent/dir/aiops");
        assert_string_equal(c, "/home/op/.local/state/aiops");

        assert_int_equal(unsetenv("XDG_STATE_HOME"), 0);
        _cleanup_free_ char *d = config_pick_data_dir("/nonexistent/dir/aiops");
        assert_string_equal(d, "/home/op/.local/state/aiops");

        /* read-only parent: root ignores the mode bits, so only check as a user */
        assert_int_equal(mkdir(ro, 0555), 0);
        if (geteuid() != 0) {
                _cleanup_free_ char *e = config_pick_data_dir(ro_sys);
                assert_string_equal(e, "/home/op/.local/state/aiops");
        }

        _cleanup_free_ char *f = config_default_data_dir();
        assert_non_null(f);
        assert_true(f[0] == '/');

        if (saved_home)
                assert_int_equal(setenv("HOME", saved_home, 1), 0);
        if (saved_xdg)
                assert_int_equal(setenv("XDG_STATE_HOME", saved_xdg, 1), 0);
        (void) chmod(ro, 0755);
        test_rm_rf(dir);
}

static void test_config_default_services(void **state)
{
        _cleanup_(config_freep) Config *c = config_new_default();
        static const char *const names[] = {
                "mysql",      "nginx",   "apache", "redis",     "postgres", "sshd", "docker",
                "containerd", "php-fpm", "mongod", "memcached", "haproxy",  "cron"};

        (void) state;
        assert_int_equal(c->n_services, ELEMENTSOF(names));
        for (size_t i = 0; i < c->n_services; i++)
                assert_string_equal(c->services[i].name, names[i]);
        assert_string_equal(c->services[0].match[1], "mariadbd");
        assert_string_equal(c->services[8].match[0], "php-fpm*");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_new_default_values),
                cmocka_unit_test(test_config_load_full),
                cmocka_unit_test(test_config_load_empty),
                cmocka_unit_test(test_config_load_missing),
                cmocka_unit_test(test_config_load_unknown_key),
                cmocka_unit_test(test_config_load_bad_duration),
                cmocka_unit_test(test_config_load_bad_type),
                cmocka_unit_test(test_config_load_syntax_error),
                cmocka_unit_test(test_config_load_duplicate_key),
                cmocka_unit_test(test_config_load_services_errors),
                cmocka_unit_test(test_config_load_string_values),
                cmocka_unit_test(test_config_load_logs),
                cmocka_unit_test(test_config_load_detect),
                cmocka_unit_test(test_config_load_string_nulls),
                cmocka_unit_test(test_config_load_string_services),
                cmocka_unit_test(test_config_load_too_big),
                cmocka_unit_test(test_config_pick_data_dir_rules),
                cmocka_unit_test(test_config_default_services),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

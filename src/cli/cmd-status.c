/* aiops status [--json] */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/table.h"
#include "core/time-util.h"
#include "detect/batch.h"
#include "detect/online.h"
#include "store/detectdb.h"
#include "store/logdb.h"
#include "store/store.h"

#define TOP_SHOWN 3

/* What the agent's detection stored: the last cycle's anomaly scores (the anomaly_score
 * series with a sample at the newest of their timestamps), its rate, the host model. */
typedef struct Detection {
        size_t series;      /* anomaly_score series */
        int64_t last_ms;    /* the newest score */
        size_t anomalous;   /* at last_ms, >= the threshold */
        double rate;        /* host_anomaly_rate at its last sample, NAN if none */
        double model_score; /* host_anomaly_score, NAN if none */
        int64_t model_score_ms;
        struct {
                char series[256];
                double score;
        } top[TOP_SHOWN];
        size_t n_top;
        bool model;
        int64_t model_trained_ms;
        uint64_t model_windows;
        size_t anomalies_24h;
} Detection;

static double last_sample(Store *s, int64_t id, int64_t from_ms, int64_t *ret_ts)
{
        _cleanup_free_ StoreSample *v = NULL;
        size_t n = 0;

        if (store_query(s, id, from_ms, INT64_MAX, &v, &n) < 0 || n == 0)
                return NAN;
        if (ret_ts)
                *ret_ts = v[n - 1].ts_ms;
        return v[n - 1].value;
}

static double last_of(Store *s, const char *name, int64_t *ret_ts)
{
        StoreSeries *se = NULL;
        size_t n = 0;
        double v = NAN;

        if (store_series_match(s, name, NULL, &se, &n) >= 0 && n > 0 && se[0].samples > 0)
                v = last_sample(s, se[0].id, se[0].last_ts_ms, ret_ts);
        store_series_array_free(se, n);
        return v;
}

static int detection_read(Store *s, double threshold, int64_t now_ms, Detection *ret)
{
        StoreSeries *se = NULL;
        size_t n = 0;
        AnomalyRow *rows = NULL;
        size_t n_rows = 0;
        ModelRow m = {};

        *ret = (Detection){.rate = NAN, .model_score = NAN};
        int r = store_series_match(s, ONLINE_SCORE_METRIC, NULL, &se, &n);
        if (r < 0)
                return r;
        ret->series = n;
        for (size_t i = 0; i < n; i++)
                ret->last_ms = MAX(ret->last_ms, se[i].last_ts_ms);
        for (size_t i = 0; i < n; i++) {
                /* A log bucket's score carries the bucket's time: a minute back at most. */
                if (se[i].samples == 0 || se[i].last_ts_ms < ret->last_ms - MSEC_PER_MIN)
                        continue;
                double v = last_sample(s, se[i].id, se[i].last_ts_ms, NULL);
                if (!(v >= threshold))
                        continue;
                ret->anomalous++;
                size_t j = ret->n_top < TOP_SHOWN ? ret->n_top++ : TOP_SHOWN;
                for (; j > 0 && v > ret->top[j - 1].score; j--)
                        if (j < TOP_SHOWN)
                                ret->top[j] = ret->top[j - 1];
                if (j < TOP_SHOWN) {
                        const char *metric = "?";
                        for (size_t k = 0; k < se[i].n_labels; k++)
                                if (strcmp(se[i].labels[k].key, "metric") == 0)
                                        metric = se[i].labels[k].value;
                        /* the scored series: its metric, then its own labels */
                        size_t len = (size_t) snprintf(ret->top[j].series,
                                                       sizeof(ret->top[j].series), "%s", metric);
                        for (size_t k = 0, first = 1;
                             k < se[i].n_labels && len < sizeof(ret->top[j].series); k++) {
                                if (strcmp(se[i].labels[k].key, "metric") == 0)
                                        continue;
                                len += (size_t) snprintf(
                                        ret->top[j].series + len, sizeof(ret->top[j].series) - len,
                                        "%s%s=\"%s\"", first ? "{" : ",", se[i].labels[k].key,
                                        se[i].labels[k].value);
                                first = 0;
                                if (len < sizeof(ret->top[j].series) && k + 1 == se[i].n_labels)
                                        len += (size_t) snprintf(ret->top[j].series + len,
                                                                 sizeof(ret->top[j].series) - len,
                                                                 "}");
                        }
                        ret->top[j].score = v;
                }
        }
        store_series_array_free(se, n);
        ret->rate = last_of(s, "host_anomaly_rate", NULL);
        ret->model_score = last_of(s, "host_anomaly_score", &ret->model_score_ms);
        r = detectdb_model_get(s, BATCH_MODEL_NAME, &m);
        if (r < 0)
                return r;
        if (r > 0) {
                ret->model = true;
                ret->model_trained_ms = m.trained_ms;
                ret->model_windows = m.n_samples;
                detectdb_model_row_done(&m);
        }
        r = detectdb_anomaly_list(s, now_ms - MSEC_PER_DAY, INT64_MAX, NULL, &rows, &n_rows);
        if (r < 0)
                return r;
        ret->anomalies_24h = n_rows;
        detectdb_anomaly_rows_free(rows, n_rows);
        return 0;
}

static void help(void)
{
        printf("Usage: aiops status [--json]\n\n"
               "Summarises what aiops holds: the data directory, the database and its size, the\n"
               "series and samples stored, the time span covered, and the last collection.\n"
               "Exit status 3 if the store is missing or unreadable.\n");
}

int cmd_status(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {CLI_COMMON_LONG_OPTIONS, {}};
        int opt;

        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                if (opt == 'h') {
                        help();
                        return EXIT_OK;
                }
                return cli_usage_error(ctx, "status ", "invalid option");
        }
        if (optind < argc)
                return cli_usage_error(ctx, "status ", "unexpected argument '%s'", argv[optind]);
        if (ctx->format == OUTPUT_CSV)
                return cli_usage_error(ctx, "status ", "--csv: status is not a table; use --json");
        _cleanup_free_ char *db_path = NULL;
        _cleanup_(store_freep) Store *s = NULL;
        if (cli_open_existing_store(ctx, &s, &db_path) < 0)
                return EXIT_UNKNOWN;
        int r;
        StoreStats st;
        r = store_stats(s, &st);
        if (r < 0) {
                log_error("cannot read statistics of '%s': %s", db_path, store_last_error(s));
                return EXIT_UNKNOWN;
        }
        /* Every cycle stores host_uptime_seconds and friends: the last sample is the last
         * collection. */
        int64_t last_ms = st.last_ts_ms;
        double bytes_per_sample = st.samples ? (double) st.file_bytes / (double) st.samples : 0;
        int64_t now = time_now_ms();
        char b1[32], b2[32], b3[32];

        /* The logs: sources, failing ones, templates, new patterns of the last day. */
        LogSourceRow *srcs = NULL;
        LogTemplateRow *tpls = NULL;
        LogEventRow *evs = NULL;
        size_t n_srcs = 0, n_tpls = 0, n_evs = 0, n_failing = 0;
        if (logdb_source_list(s, &srcs, &n_srcs) < 0 ||
            logdb_template_list(s, NULL, 0, &tpls, &n_tpls) < 0 ||
            logdb_event_list(s, now - MSEC_PER_DAY, "new_template", &evs, &n_evs) < 0) {
                log_error("cannot read the log tables of '%s': %s", db_path, store_last_error(s));
                logdb_source_rows_free(srcs, n_srcs);
                logdb_template_rows_free(tpls, n_tpls);
                return EXIT_UNKNOWN;
        }
        for (size_t i = 0; i < n_srcs; i++)
                n_failing += srcs[i].error != NULL;
        logdb_source_rows_free(srcs, n_srcs);
        logdb_template_rows_free(tpls, n_tpls);
        logdb_event_rows_free(evs, n_evs);

        Detection d;
        if (detection_read(s, ctx->config->detect.online_threshold, now, &d) < 0) {
                log_error("cannot read the detection results in '%s': %s", db_path,
                          store_last_error(s));
                return EXIT_UNKNOWN;
        }

        if (ctx->format == OUTPUT_JSON) {
                json_t *j = json_pack(
                        "{s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o},s:{s:o,s:I},"
                        "s:{s:I,s:I},s:{s:I,s:I,s:I,s:I},s:{s:n,s:n,s:n}}",
                        "data_dir", json_string_lossy(ctx->data_dir), "database",
                        json_string_lossy(db_path), "config", json_str_or_null(ctx->config->path),
                        "store", "file_bytes", (json_int_t) st.file_bytes, "db_bytes",
                        (json_int_t) st.db_bytes, "wal_bytes", (json_int_t) st.wal_bytes, "series",
                        (json_int_t) st.series, "chunks", (json_int_t) st.chunks, "samples",
                        (json_int_t) st.samples, "bytes_per_sample", bytes_per_sample,
                        "first_sample",
                        st.first_ts_ms ? json_time_rfc3339(st.first_ts_ms) : json_null(),
                        "last_sample",
                        st.last_ts_ms ? json_time_rfc3339(st.last_ts_ms) : json_null(),
                        "collection", "last", last_ms ? json_time_rfc3339(last_ms) : json_null(),
                        "interval_ms", (json_int_t) ctx->config->collect_interval_ms, "retention",
                        "raw_ms", (json_int_t) ctx->config->retention_ms, "top_processes",
                        (json_int_t) ctx->config->top_processes, "logs", "sources",
                        (json_int_t) n_srcs, "sources_failing", (json_int_t) n_failing, "templates",
                        (json_int_t) n_tpls, "new_patterns_24h", (json_int_t) n_evs, "later_stages",
                        "patterns", "scanners", "alerts");
                json_t *top = json_array();
                for (size_t i = 0; i < d.n_top; i++)
                        (void) json_array_append_new(top,
                                                     json_pack("{s:o,s:f}", "series",
                                                               json_string_lossy(d.top[i].series),
                                                               "score", d.top[i].score));
                json_object_set_new(
                        j, "detection",
                        json_pack("{s:I,s:o,s:I,s:o,s:o,s:o,s:I}", "series_scored",
                                  (json_int_t) d.series, "last_score",
                                  d.last_ms ? json_time_rfc3339(d.last_ms) : json_null(),
                                  "anomalous", (json_int_t) d.anomalous, "top", top,
                                  "host_anomaly_rate", json_double_or_null(d.rate), "host_model",
                                  d.model ? json_pack("{s:o,s:I,s:o}", "trained",
                                                      json_time_rfc3339(d.model_trained_ms),
                                                      "windows", (json_int_t) d.model_windows,
                                                      "last_score",
                                                      json_double_or_null(d.model_score))
                                          : json_null(),
                                  "anomalies_24h", (json_int_t) d.anomalies_24h));
                r = json_print(j, stdout);
                json_decref(j);
                return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
        }

        _cleanup_(panel_freep) Panel *p = panel_new("aiops status");
        panel_add(p, "data directory", "%s", ctx->data_dir);
        panel_add(p, "configuration", "%s",
                  ctx->config->path ? ctx->config->path : "defaults (no configuration file)");
        panel_add_section(p, "store");
        panel_add(p, "database", "%s", db_path);
        panel_add(p, "size", "%s (database %s, write-ahead log %s)",
                  table_format_bytes((double) st.file_bytes, b1, sizeof(b1)),
                  table_format_bytes((double) st.db_bytes, b2, sizeof(b2)),
                  table_format_bytes((double) st.wal_bytes, b3, sizeof(b3)));
        panel_add(p, "series", "%" PRIu64, st.series);
        panel_add(p, "samples", "%" PRIu64 " in %" PRIu64 " chunks, %.2f bytes a sample on disk",
                  st.samples, st.chunks, bytes_per_sample);
        if (st.samples)
                panel_add(p, "time span", "%s .. %s",
                          time_format_local(st.first_ts_ms, b1, sizeof(b1)),
                          time_format_local(st.last_ts_ms, b2, sizeof(b2)));
        panel_add(p, "retention", "%s",
                  time_format_duration(ctx->config->retention_ms, b1, sizeof(b1)));
        panel_add_section(p, "collection");
        if (last_ms)
                panel_add(p, "last", "%s (%s ago)", time_format_local(last_ms, b1, sizeof(b1)),
                          time_format_duration(now - last_ms, b2, sizeof(b2)));
        else
                panel_add(p, "last", "never");
        panel_add(p, "interval", "%s (aiops monitor)",
                  time_format_duration(ctx->config->collect_interval_ms, b1, sizeof(b1)));
        panel_add_section(p, "logs");
        if (n_srcs == 0)
                panel_add(p, "sources", "none read yet");
        else
                panel_add(p, "sources", "%zu (%zu failing: 'aiops logs sources')", n_srcs,
                          n_failing);
        panel_add(p, "templates", "%zu ('aiops logs templates')", n_tpls);
        panel_add(p, "new patterns", "%zu in the last 24h ('aiops logs patterns --new')", n_evs);
        panel_add_section(p, "detection");
        if (d.series == 0) {
                panel_add(p, "series scored", "none yet (online scoring runs in 'aiops monitor')");
        } else {
                char line[512] = "";
                size_t len = 0;
                for (size_t i = 0; i < d.n_top; i++) {
                        int w = snprintf(line + len, sizeof(line) - len, "%s%s %.2f", i ? ", " : "",
                                         d.top[i].series, d.top[i].score);
                        if (w < 0 || (size_t) w >= sizeof(line) - len)
                                break;
                        len += (size_t) w;
                }
                panel_add(p, "series scored", "%zu, last at %s", d.series,
                          time_format_local(d.last_ms, b1, sizeof(b1)));
                panel_add(p, "anomalous now", "%zu%s%s", d.anomalous, len ? ": " : "", line);
                if (isfinite(d.rate))
                        panel_add(p, "host anomaly rate", "%.1f%%", 100 * d.rate);
        }
        if (d.model)
                panel_add(p, "host model", "trained %s on %" PRIu64 " windows",
                          time_format_local(d.model_trained_ms, b1, sizeof(b1)), d.model_windows);
        else
                panel_add(p, "host model",
                          "none yet ('aiops monitor' or 'aiops detect' trains it)");
        if (isfinite(d.model_score))
                panel_add(p, "last window", "host anomaly score %.2f at %s", d.model_score,
                          time_format_local(d.model_score_ms, b1, sizeof(b1)));
        panel_add(p, "anomalies", "%zu in the last 24h ('aiops anomalies')", d.anomalies_24h);
        panel_add_section(p, "analysis");
        panel_add(p, "patterns", "not yet available");
        panel_add(p, "scanners", "not yet available");
        panel_add(p, "alerts", "not yet available");
        r = panel_print(p, stdout);
        return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
}

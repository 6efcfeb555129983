/* aiops status [--json] */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/table.h"
#include "core/time-util.h"
#include "store/logdb.h"
#include "store/store.h"

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

        if (ctx->format == OUTPUT_JSON) {
                json_t *j = json_pack(
                        "{s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o},s:{s:o,s:I},"
                        "s:{s:I,s:I},s:{s:I,s:I,s:I,s:I},s:{s:n,s:n,s:n,s:n}}",
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
                        "anomalies", "patterns", "scanners", "alerts");
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
        panel_add_section(p, "analysis");
        panel_add(p, "anomalies",
                  "not yet available (anomaly detection lands with 'aiops detect')");
        panel_add(p, "patterns", "not yet available");
        panel_add(p, "scanners", "not yet available");
        panel_add(p, "alerts", "not yet available");
        r = panel_print(p, stdout);
        return r < 0 ? EXIT_UNKNOWN : EXIT_OK;
}

/* aiops run: the main job, once. */
#include "agent/agent.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/table.h"

static void help(void)
{
        printf("Usage: aiops run [--count N] [--interval DURATION] [--json]\n\n"
               "The main job, once: collects a short window (30 cycles, 1s apart), stores it and\n"
               "prints the report. As the later stages land it becomes the whole pipeline:\n"
               "collect -> ingest logs -> detect anomalies -> learn patterns -> generate and run\n"
               "scanners.\n\n"
               "  -n, --count N        cycles (default 30)\n"
               "  -i, --interval D     time between cycles (default 1s)\n");
}

/* What later stages will add to this report, said plainly rather than faked. */
static const char *const later[][2] = {
        {"logs", "log ingestion and template mining: not yet available"},
        {"detect", "anomaly detection: not yet available"},
        {"patterns", "pattern learning: not yet available"},
        {"scanners", "scanner generation and scans: not yet available"},
};

int cmd_run(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"count", required_argument, NULL, 'n'},
                {"interval", required_argument, NULL, 'i'},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        unsigned count = 30;
        int64_t interval_ms = 1000;
        int opt;

        while ((opt = getopt_long(argc, argv, "n:i:vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'n':
                        if (safe_atou(optarg, &count) < 0 || count == 0 || count > 1000000)
                                return cli_usage_error(ctx, "run ",
                                                       "invalid --count '%s' (1..1000000)", optarg);
                        break;
                case 'i':
                        if (cli_parse_duration("--interval", optarg, 100, &interval_ms) < 0)
                                return EXIT_UNKNOWN;
                        break;
                default:
                        return cli_usage_error(ctx, "run ", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(ctx, "run ", "unexpected argument '%s'", argv[optind]);
        if (ctx->format == OUTPUT_CSV)
                return cli_usage_error(ctx, "run ", "--csv: the report is not a table; use --json");

        _cleanup_free_ char *db_path = NULL;
        if (cli_prepare_data_dir(ctx, &db_path) < 0)
                return EXIT_UNKNOWN;
        _cleanup_(agent_freep) Agent *a = NULL;
        if (agent_new(ctx->config, db_path, "/proc", "/sys", 0, &a) < 0)
                return EXIT_UNKNOWN;
        if (cli_collect_cycles(ctx, a, count, interval_ms, "collecting") < 0)
                return EXIT_UNKNOWN;

        AgentStats st;
        agent_stats(a, &st);
        if (ctx->format == OUTPUT_JSON) {
                json_t *j = report_collection_json(a, db_path);
                json_t *stages = json_object();
                for (size_t i = 0; i < ELEMENTSOF(later); i++)
                        json_object_set_new(stages, later[i][0], json_string("not available"));
                json_object_set_new(j, "cycles", json_integer((json_int_t) st.cycles));
                json_object_set_new(j, "stages", stages);
                (void) json_print(j, stdout);
                json_decref(j);
        } else {
                report_collection_print(a, db_path, stdout);
                _cleanup_(panel_freep) Panel *p = panel_new("next stages");
                for (size_t i = 0; i < ELEMENTSOF(later); i++)
                        panel_add(p, later[i][0], "%s", later[i][1]);
                (void) panel_print(p, stdout);
                printf("Stored %u cycles in %s; read them with 'aiops query' or 'aiops status'.\n",
                       count, db_path);
        }
        return st.store_ok ? EXIT_OK : EXIT_UNKNOWN;
}

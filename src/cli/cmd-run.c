/* aiops run: the main job, once. */
#include <inttypes.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "core/table.h"

static void help(void)
{
        printf("Usage: aiops run [--count N] [--interval DURATION] [--no-logs] [--json]\n\n"
               "The main job, once: collects a short window (30 cycles, 1s apart) and the logs\n"
               "(new lines since the last run, mined into templates), stores them and prints\n"
               "the report. As the later stages land it becomes the whole pipeline:\n"
               "collect -> ingest logs -> detect anomalies -> learn patterns -> generate and run\n"
               "scanners.\n\n"
               "  -n, --count N        cycles (default 30)\n"
               "  -i, --interval D     time between cycles (default 1s)\n"
               "      --no-logs        metrics only\n");
}

/* What later stages will add to this report, said plainly rather than faked. */
static const char *const later[][2] = {
        {"detect", "anomaly detection: not yet available"},
        {"patterns", "pattern learning: not yet available"},
        {"scanners", "scanner generation and scans: not yet available"},
};

static void extend_json(json_t *report, const AgentStats *st)
{
        json_t *stages = json_object();
        for (size_t i = 0; i < ELEMENTSOF(later); i++)
                json_object_set_new(stages, later[i][0], json_string("not available"));
        json_object_set_new(report, "cycles", json_integer((json_int_t) st->cycles));
        json_object_set_new(report, "stages", stages);
}

static void extend_print(FILE *f, const AgentStats *st, const char *db_path)
{
        _cleanup_(panel_freep) Panel *p = panel_new("next stages");
        for (size_t i = 0; i < ELEMENTSOF(later); i++)
                panel_add(p, later[i][0], "%s", later[i][1]);
        (void) panel_print(p, f);
        fprintf(f,
                "Stored %" PRIu64
                " cycles in %s; read them with 'aiops query' or 'aiops status'.\n",
                st->cycles, db_path);
}

int cmd_run(CliContext *ctx, int argc, char **argv)
{
        static const CollectCommand run = {
                .name = "run",
                .default_count = 30,
                .help = help,
                .extend_json = extend_json,
                .extend_print = extend_print,
        };
        return cli_collect_command(ctx, argc, argv, &run);
}

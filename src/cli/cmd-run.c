/* aiops run: the main job, once. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/table.h"
#include "core/time-util.h"
#include "detect/batch.h"

#define RUN_ANOMALIES_SHOWN 3u

static void help(void)
{
        printf("Usage: aiops run [--count N] [--interval DURATION] [--no-logs] [--json]\n\n"
               "The main job, once: collects a short window (30 cycles, 1s apart) and the logs\n"
               "(new lines since the last run, mined into templates), stores them, runs batch\n"
               "anomaly detection over the stored hours (as 'aiops detect': detect.lookback,\n"
               "default 24h) and prints the report. As the later stages land it becomes the\n"
               "whole pipeline: collect -> ingest logs -> detect anomalies -> learn patterns\n"
               "-> generate and run scanners.\n\n"
               "  -n, --count N        cycles (default 30)\n"
               "  -i, --interval D     time between cycles (default 1s)\n"
               "      --no-logs        metrics only\n\n"
               "Exit status: 0 (anomalies found are reported, not an error), 3 error.\n");
}

/* What later stages will add to this report, said plainly rather than faked. */
static const char *const later[][2] = {
        {"patterns", "pattern learning: not yet available"},
        {"scanners", "scanner generation and scans: not yet available"},
};

/* The detection stage's outcome. */
typedef struct RunDetect {
        BatchResult *result; /* NULL when it did not run */
        char *skipped;       /* why not (too little data, no store), one short line */
        char *detail;        /* the whole message, for --json */
        int error;
} RunDetect;

static void *run_detect(CliContext *ctx, Agent *a)
{
        RunDetect *d = xnew0(RunDetect, 1);
        Store *s = agent_store(a);
        BatchOptions o;
        _cleanup_free_ char *msg = NULL;

        if (!s) {
                d->skipped = xstrdup("the store is not writable (see above)");
                return d;
        }
        /* The samples of this run must be visible to the queries. */
        (void) store_commit(s);
        batch_options_from_config(&ctx->config->detect, time_now_ms(), &o);
        int r = batch_run(s, &o, &d->result, &msg);
        if (r == -ENODATA) {
                char w[32], l[32];
                d->skipped = xasprintf("not enough data yet: it needs 2 windows of %s with host "
                                       "samples in the last %s ('aiops detect' says more)",
                                       time_format_duration(o.window_ms, w, sizeof(w)),
                                       time_format_duration(o.lookback_ms, l, sizeof(l)));
                d->detail = TAKE_PTR(msg);
        } else if (r < 0) {
                d->error = r;
                d->skipped = xasprintf("failed: %s", msg ? msg : store_last_error(s));
        }
        return d;
}

static void free_detect(void *state)
{
        RunDetect *d = state;
        if (!d)
                return;
        batch_result_free(d->result);
        free(d->skipped);
        free(d->detail);
        free(d);
}

static void extend_json(json_t *report, const AgentStats *st, void *state)
{
        const RunDetect *d = state;
        json_t *stages = json_object();
        json_t *det = json_object();

        if (d && d->result) {
                const BatchResult *b = d->result;
                json_t *arr = json_array();
                for (size_t i = 0; i < b->n_anomalies; i++)
                        (void) json_array_append_new(arr, cli_anomaly_to_json(&b->anomalies[i]));
                json_object_set_new(det, "windows",
                                    json_integer((json_int_t) b->features->n_windows));
                json_object_set_new(det, "features",
                                    json_integer((json_int_t) b->features->n_features));
                json_object_set_new(det, "new", json_integer((json_int_t) b->n_new));
                json_object_set_new(det, "model_stored", json_boolean(b->model_stored));
                json_object_set_new(det, "anomalies", arr);
        } else {
                json_object_set_new(det, "skipped",
                                    json_string(d && d->skipped ? d->skipped : "not run"));
                if (d && d->detail)
                        json_object_set_new(det, "detail", json_string(d->detail));
        }
        json_object_set_new(report, "detect", det);
        for (size_t i = 0; i < ELEMENTSOF(later); i++)
                json_object_set_new(stages, later[i][0], json_string("not available"));
        json_object_set_new(report, "cycles", json_integer((json_int_t) st->cycles));
        json_object_set_new(report, "stages", stages);
}

static void print_detect(FILE *f, const RunDetect *d)
{
        _cleanup_(panel_freep) Panel *p = panel_new("anomalies (aiops detect)");

        if (!d || !d->result) {
                panel_add(p, "detect", "%s", d && d->skipped ? d->skipped : "not run");
                (void) panel_print(p, f);
                return;
        }
        const BatchResult *b = d->result;
        const FeatureSet *fs = b->features;
        char span[32];
        panel_add(p, "analysed", "%zu windows of %s x %zu features", fs->n_windows,
                  time_format_duration(fs->window_ms, span, sizeof(span)), fs->n_features);
        panel_add(p, "found", "%zu anomalies (%zu new)%s", b->n_anomalies, b->n_new,
                  b->n_anomalies ? "; 'aiops anomalies' lists them" : "");
        for (size_t i = b->n_anomalies, shown = 0; i > 0 && shown < RUN_ANOMALIES_SHOWN;
             i--, shown++) {
                const AnomalyRow *a = &b->anomalies[i - 1];
                char start[32];
                /* The top feature only: 'aiops anomalies show ID' has them all. */
                const char *more = strstr(a->summary, "; ");
                int len = more ? (int) (more - a->summary) : (int) strlen(a->summary);
                panel_add(p, shown == 0 ? "latest" : "", "#%" PRIi64 " %s %s: %.*s%s", a->id,
                          time_format_local(a->start_ms, start, sizeof(start)), a->subject, len,
                          a->summary, more ? "; ..." : "");
        }
        panel_add(p, "host model", "%s", b->model_stored ? "trained and stored" : "not stored");
        (void) panel_print(p, f);
}

static void extend_print(FILE *f, const AgentStats *st, const char *db_path, void *state)
{
        print_detect(f, state);
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
                .after = run_detect,
                .extend_json = extend_json,
                .extend_print = extend_print,
                .free_state = free_detect,
        };
        return cli_collect_command(ctx, argc, argv, &run);
}

/* The one-screen summary of a collection, shared by `aiops collect` and `aiops run`: a
 * panel on a terminal, one JSON document with --json. */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "agent/agent.h"
#include "cli/cli.h"

/* JSON object describing the last cycle: host, services, top processes, store. */
json_t *report_collection_json(Agent *a, const char *db_path);
/* Prints the human panel. */
void report_collection_print(Agent *a, const char *db_path, FILE *f);
/* Writes "label [#####.....] i/n" on stderr when it is a terminal; a no-op otherwise. done
 * ends the line. */
void report_progress(const char *label, unsigned i, unsigned n, bool done);

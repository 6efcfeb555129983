/* Small helpers around jansson for the --json output of every command. Values built here are
 * new references (the caller owns them; json_object_set_new() steals them). jansson refuses
 * NaN, infinities and invalid UTF-8 by returning NULL, which json_object_set_new() would turn
 * into a silently missing key; these helpers never return NULL. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/macro.h"

/* jansson >= 2.9 provides json_decrefp() for _cleanup_(json_decrefp). */

/* Writes j to f followed by a newline: indented by 2 when f is a TTY, compact otherwise (one
 * document per line, for jq and log shippers). Reals use 15 significant digits, so 0.1 prints
 * as 0.1. Does not steal j. 0, or -errno when writing failed. */
int json_print(const json_t *j, FILE *f);
/* A real, or null for NaN and infinities. */
json_t *json_double_or_null(double v);
/* "2026-11-21T23:58:15.123Z" (UTC, milliseconds). */
json_t *json_time_rfc3339(int64_t ms);
/* A string with every invalid UTF-8 sequence (process names and log lines are arbitrary
 * bytes) replaced by U+FFFD. NULL gives "". */
json_t *json_string_lossy(const char *s);
/* json_string_lossy(), or null for NULL. */
json_t *json_str_or_null(const char *s);

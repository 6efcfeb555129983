/* The pattern table of the store (docs/store.md, schema version 5): patterns by id as their
 * JSON text (docs/pattern-schema.md). The store does not parse the JSON; the patterns layer
 * validates it before putting it here. Like detectdb.h, each call is its own transaction
 * unless the caller opened one with store_begin(). Rows returned are the caller's
 * (patterndb_row_done(), patterndb_rows_free()). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct PatternRow {
        char *id;           /* ^[a-z0-9][a-z0-9-]{0,63}$ (patterns/pattern.h) */
        char *json;         /* the pattern's canonical JSON text */
        int64_t updated_ms; /* when it was last put */
} PatternRow;

/* Insert or replace by id. -EINVAL for an empty id or one longer than 64 bytes. */
int patterndb_put(Store *s, const char *id, const char *json, int64_t updated_ms);
/* 1 and *ret, or 0 if there is no pattern with this id. */
int patterndb_get(Store *s, const char *id, PatternRow *ret);
/* Every pattern, ordered by id. */
int patterndb_list(Store *s, PatternRow **ret, size_t *ret_n);
/* 1 if a pattern was deleted, 0 if there was none with this id. */
int patterndb_delete(Store *s, const char *id);
void patterndb_row_done(PatternRow *r);
void patterndb_rows_free(PatternRow *a, size_t n);

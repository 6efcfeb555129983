/* Feeds arbitrary bytes to the pattern JSON parser: it must return a pattern or an error
 * message, never crash, leak or read out of bounds; and a parsed pattern must survive
 * pattern_to_json() and parse back equal (the canonical form is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Pattern *p = NULL, *q = NULL;
        char *err = NULL;

        int r = pattern_from_json((const char *) data, size, "fuzz.json", &p, &err);
        /* Not assert(): the invariants must hold in NDEBUG builds too. */
        if (r < 0 ? !err || p : !p || err)
                abort();
        free(err);
        if (!p)
                return 0;

        char *text = pattern_to_json(p);
        if (pattern_from_json(text, strlen(text), "canonical.json", &q, &err) < 0 ||
            !pattern_equal(p, q))
                abort();
        char *again = pattern_to_json(q);
        if (strcmp(text, again) != 0)
                abort();
        free(again);
        free(text);
        pattern_free(q);
        pattern_free(p);
        return 0;
}

/* Feeds arbitrary bytes to the condition parser: it must return an Expr or an error message,
 * never crash, leak or read out of bounds; whatever parses prints as canonical PromQL that
 * parses again to the same text; matchers can be applied to any value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scanners/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Expr *e = NULL, *again = NULL;
        char *err = NULL, *err2 = NULL;

        if (size > 2 * EXPR_TEXT_MAX)
                return 0;
        char *text = xmalloc(size + 1);
        memcpy(text, data, size);
        text[size] = '\0';

        int r = expr_parse(text, &e, &err);
        /* Not assert(): the invariants must hold in NDEBUG builds too. */
        if (r < 0 ? !err || e : !e || err)
                abort();
        if (r < 0) {
                free(expr_describe_error(text, err));
        } else {
                char *canonical = expr_to_promql(e);
                if (expr_parse(canonical, &again, &err2) < 0)
                        abort();
                char *twice = expr_to_promql(again);
                if (strcmp(canonical, twice) != 0)
                        abort();
                for (size_t i = 0; i < e->n_matchers; i++) {
                        (void) expr_matcher_matches(&e->matchers[i], "");
                        (void) expr_matcher_matches(&e->matchers[i], text);
                }
                free(twice);
                free(canonical);
        }
        free(err);
        free(err2);
        expr_free(again);
        expr_free(e);
        free(text);
        return 0;
}

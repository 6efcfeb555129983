/* Feeds arbitrary bytes to the YAML config loader: it must return 0 or an error with a
 * message, never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Config *c = NULL;
        char *err = NULL;

        int r = config_load_string((const char *) data, size, "fuzz.yaml", &c, &err);
        /* Not assert(): the invariant must hold in NDEBUG builds too. */
        if (r < 0 ? !err || c : !c || err)
                abort();
        free(err);
        config_free(c);
        return 0;
}

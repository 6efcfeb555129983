/* Feeds the lines of the input to a Drain with two regex masks (one that spans whitespace)
 * and the built-in maskers. The first byte picks depth, similarity and max_clusters.
 * Invariants: a cluster's template keeps its token count whatever lines join it; there is
 * one param per "<*>" of the template, each a piece of the line; the cluster count stays
 * within max_clusters; every template can be restored into a fresh Drain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/drain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRACKED 1024u

static size_t count_tokens(const char *s, size_t n)
{
        size_t k = 0;
        bool in = false;
        for (size_t i = 0; i < n; i++) {
                bool space = s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r');
                if (!space && !in)
                        k++;
                in = !space;
        }
        return k < DRAIN_MAX_TOKENS ? k : DRAIN_MAX_TOKENS;
}

static size_t count_params(const char *s, size_t n)
{
        size_t k = 0;
        for (size_t i = 0; i + 2 < n; i++)
                if (s[i] == '<' && s[i + 1] == '*' && s[i + 2] == '>') {
                        k++;
                        i += 2;
                }
        return k;
}

static int restore_into(void *userdata, const DrainCluster *c)
{
        /* templates with NUL bytes are cut at the first one: still a valid template */
        return drain_restore(userdata, c->id, c->template, c->count) < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const masks[] = {"\\d+\\.\\d+", "/.+?\\s"};
        uint32_t tokens_of[TRACKED] = {0}; /* token count + 1 per tracked cluster id */
        DrainOptions o;
        Drain *d = NULL, *r = NULL;

        if (size < 1)
                return 0;
        drain_options_init(&o);
        o.depth = 3 + data[0] % 4;
        o.similarity = (double) (1 + (data[0] >> 2) % 10) / 10.0;
        o.max_clusters = data[0] & 0x80 ? 3 : 0;
        o.no_builtin_masks = data[0] & 0x40;
        o.masks = masks;
        o.n_masks = 2;
        if (drain_new(&o, &d, NULL) < 0)
                abort();

        const char *p = (const char *) data + 1, *end = (const char *) data + size;
        while (p <= end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) ((nl ? nl : end) - p);
                DrainCluster c;
                const char *const *params;
                size_t n_params;

                if (drain_add(d, p, len, NULL, &c, &params, &n_params) < 0)
                        abort();
                if (c.id == 0 || c.template[c.template_len] != '\0')
                        abort();
                if (count_params(c.template, c.template_len) != n_params)
                        abort();
                const size_t *lens = drain_param_lengths(d);
                for (size_t i = 0; i < n_params; i++)
                        if (lens[i] > len || (lens[i] && !memmem(p, len, params[i], lens[i])))
                                abort();
                size_t k = count_tokens(c.template, c.template_len);
                if (c.id < TRACKED) {
                        if (tokens_of[c.id] && tokens_of[c.id] != k + 1)
                                abort();
                        tokens_of[c.id] = (uint32_t) k + 1;
                }
                if (o.max_clusters && drain_n_clusters(d) > o.max_clusters)
                        abort();
                if (!nl)
                        break;
                p = nl + 1;
        }

        o.max_clusters = 0;
        if (drain_new(&o, &r, NULL) < 0 || drain_foreach(d, restore_into, r) < 0 ||
            drain_n_clusters(r) != drain_n_clusters(d))
                abort();
        drain_free(r);
        drain_free(d);
        return 0;
}

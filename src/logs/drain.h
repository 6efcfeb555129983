/* Drain: online log template mining (He, Zhu, Zheng, Lyu, "Drain: An Online Log Parsing
 * Approach with Fixed Depth Tree", ICWS 2017), in the form of logpai/logparser's Drain and
 * Drain3.
 *
 * A message is masked (user regexes, then the built-in maskers), split on whitespace into
 * tokens, and routed down a fixed-depth prefix tree: the first layer is the token count, the
 * next depth - 3 layers are the leading tokens (depth counts the root, the token-count layer
 * and the leaf layer of clusters, exactly as Drain3's and logparser's depth, so the
 * benchmark settings carry over: depth 4 routes on 1 token, depth 6 on 3). A token with a
 * digit goes to the "<*>" child, and a node with max_children children sends new tokens to
 * "<*>" too. The leaf holds clusters; the message joins the most similar one (share of equal
 * tokens, less two for each position where both hold different constant-looking words) if
 * that similarity reaches the threshold, turning differing positions of the template into
 * "<*>"; otherwise it starts a new cluster. drain.c says why equality is literal (a "<*>"
 * of the template equals only a "<*>" of the message) and how the words weigh.
 *
 * Memory is bounded by the clusters (and max_clusters, if set), never by the lines mined.
 * Not thread-safe; one Drain per source. Input is untrusted: any bytes, any length. drain.c
 * documents the masks and the remaining choices. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

#define DRAIN_DEPTH_DEFAULT        4u
#define DRAIN_SIMILARITY_DEFAULT   0.4
#define DRAIN_MAX_CHILDREN_DEFAULT 100u
/* Tokens past this many are mined as one last token (bounds the work per line). */
#define DRAIN_MAX_TOKENS 512u
/* Bytes of a message past this many are ignored (the sources cut lines there too). */
#define DRAIN_MAX_LINE_BYTES (64u * 1024u)
#define DRAIN_PARAM          "<*>"

typedef struct DrainOptions {
        unsigned depth;           /* counting the root, token-count and leaf layers; 3..64 */
        double similarity;        /* (0, 1] */
        unsigned max_children;    /* >= 2 */
        unsigned max_clusters;    /* 0: unlimited; else the least recently matched is evicted */
        bool no_builtin_masks;    /* true: only the regexes below are masked */
        const char *const *masks; /* PCRE2 patterns, applied in order before the built-ins */
        size_t n_masks;
} DrainOptions;

/* The defaults above, the built-in masks on, no regexes. */
void drain_options_init(DrainOptions *o);

typedef enum DrainChange {
        DRAIN_CHANGE_NONE,     /* joined a cluster, template unchanged */
        DRAIN_CHANGE_CREATED,  /* a new cluster */
        DRAIN_CHANGE_TEMPLATE, /* joined a cluster whose template gained a "<*>" */
        _DRAIN_CHANGE_MAX,
} DrainChange;

typedef struct Drain Drain;

typedef struct DrainCluster {
        uint32_t id;          /* 1, 2, ... in creation order (or as restored) */
        const char *template; /* tokens joined by single spaces; borrowed until the next add */
        size_t template_len;  /* bytes (a template may hold NUL bytes of the input) */
        uint64_t count;
} DrainCluster;

/* Compiles the masks (PCRE2, JIT when available). -EINVAL with *reterr_msg naming the
 * pattern and the offset of its error, or an option out of range. */
int drain_new(const DrainOptions *opt, Drain **ret, char **reterr_msg);
Drain *drain_free(Drain *d);
DEFINE_FREEP(Drain, drain_free)

/* Mines one message (len bytes, no newline needed; NUL bytes are ordinary bytes). Returns
 * the cluster and what changed. The params of the message, the texts of the original line
 * that stand where the template (or a mask) has "<*>", in order, are put in *ret_params
 * (borrowed until the next call) when ret_params is not NULL: one per "<*>" of the
 * template. -ERANGE once all 2^32 - 1 ids are used. */
int drain_add(Drain *d, const char *msg, size_t len, DrainChange *ret_change,
              DrainCluster *ret_cluster, const char *const **ret_params, size_t *ret_n_params);
/* The byte lengths of the params of the last drain_add() (params may hold NUL bytes);
 * borrowed like them. */
const size_t *drain_param_lengths(const Drain *d);
/* Like drain_add() but read-only: 1 and the cluster the message would join, 0 if none. */
int drain_match(Drain *d, const char *msg, size_t len, DrainCluster *ret_cluster);

/* Re-creates a cluster from a stored template (a restart): the template's "<*>" tokens
 * route through the "<*>" children. The template is split like a message but not masked.
 * -EEXIST if the id is taken, -EINVAL for id 0. Ids handed out later start after the
 * largest id seen. May evict, as drain_add(). After restoring every cluster a line finds the
 * cluster it found before the restart: the rebuilt tree may route the line by a word where
 * the template has "<*>", so when the exact-token path holds no match the search also tries
 * the "<*>" child. (Only a line that two clusters both match could pick the other one.) */
int drain_restore(Drain *d, uint32_t id, const char *template, uint64_t count);

/* false if there is no such cluster (or it was evicted). */
bool drain_get(Drain *d, uint32_t id, DrainCluster *ret);
size_t drain_n_clusters(const Drain *d);
/* Calls fn for every cluster in id order; stops at and returns the first negative return. */
int drain_foreach(Drain *d, int (*fn)(void *userdata, const DrainCluster *c), void *userdata);

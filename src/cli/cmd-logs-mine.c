/* aiops logs mine FILE... [--format text|jsonl] [--depth N] [--sim X] [--max-children N]
 *                         [--max-clusters N] [--mask REGEX]... [--no-builtin-masks]
 *                         [--masks-file F]
 * Batch template mining with Drain (logs/drain.h). The JSONL form is the contract of the
 * Loghub benchmark harness (one object per input line, in order), written by hand into one
 * big buffer: a JSON library per line would cost more than the mining. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/table.h"
#include "logs/drain.h"

#define READ_BYTES      (1024u * 1024u)
#define OUT_FLUSH_BYTES (1024u * 1024u)
#define MAX_MASKS       4096u
#define MASKS_FILE_MAX  (1024u * 1024u)

enum {
        OPT_FORMAT = CLI_OPT_FIRST_COMMAND_OPTION,
        OPT_DEPTH,
        OPT_SIM,
        OPT_MAX_CHILDREN,
        OPT_MAX_CLUSTERS,
        OPT_MASK,
        OPT_NO_BUILTIN_MASKS,
        OPT_MASKS_FILE,
};

static void help(void)
{
        printf("Usage: aiops logs mine [FILE...] [--format text|jsonl] [--depth N] [--sim X]\n"
               "                       [--max-children N] [--max-clusters N] [--mask REGEX]...\n"
               "                       [--no-builtin-masks] [--masks-file FILE]\n\n"
               "Mines log templates from FILEs (or standard input: none or '-') with Drain: one\n"
               "message per line, a trailing CR dropped. Defaults come from the logs.drain.*\n"
               "keys of the configuration; the options override them.\n\n"
               "  --format text       at the end, the clusters by count: id, count, template\n"
               "                      (default; --json or --csv for the table as data)\n"
               "  --format jsonl      for every input line, in order:\n"
               "                      {\"cluster_id\":N,\"template\":\"...\",\"params\":[...]}\n"
               "  --depth N           tree depth, counting root, length and leaf layers (>= 3)\n"
               "  --sim X             similarity threshold, in (0, 1]\n"
               "  --max-children N    children of a tree node before new tokens go to <*>\n"
               "  --max-clusters N    keep at most N clusters, evicting the least recently\n"
               "                      matched (0: no limit)\n"
               "  --mask REGEX        a PCRE2 regex whose matches become <*> before mining\n"
               "                      (repeatable, in order; replaces logs.drain.masks)\n"
               "  --masks-file FILE   the same, one regex per line (empty lines skipped)\n"
               "  --no-builtin-masks  do not mask numbers, addresses, hex, UUIDs and paths\n");
}

#define TEMPLATE_CACHE 4096u

typedef struct TemplateCache {
        uint32_t id; /* 0: empty */
        const char *template;
        size_t template_len;
        char *json;
        size_t json_len, json_cap;
} TemplateCache;

typedef struct Mine {
        TemplateCache *cache;
        Drain *drain;
        bool jsonl;
        FILE *out;
        char *obuf;
        size_t olen, ocap;
        int out_error;
        uint64_t lines;
        bool progress;
        struct timespec start, last;
} Mine;

/* ---- output ------------------------------------------------------------------------------- */

static void out_flush(Mine *m)
{
        if (m->olen && !m->out_error && fwrite(m->obuf, 1, m->olen, m->out) != m->olen)
                m->out_error = errno ? -errno : -EIO;
        m->olen = 0;
}

static char *out_reserve(Mine *m, size_t n)
{
        if (m->olen + n > m->ocap) {
                out_flush(m);
                if (n > m->ocap) {
                        m->ocap = n;
                        m->obuf = xrealloc(m->obuf, m->ocap);
                }
        }
        return m->obuf + m->olen;
}

/* The length of the valid UTF-8 sequence at s (lead byte >= 0x80), 0 if it is not one. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else {
                return 0;
        }
        if (n < len || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return len;
}

/* Bytes copied into a JSON string as they are. */
static const bool json_plain[256] = {
        [0x20 ... 0x21] = true,
        [0x23 ... 0x5b] = true,
        [0x5d ... 0x7f] = true,
};

/* Writes a JSON string to o (room for 6 * n + 2 bytes): '"', '\\' and control bytes
 * escaped, invalid UTF-8 as U+FFFD. Returns the end. */
static inline char *put_json_string(char *o, const char *str, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *s = (const unsigned char *) str;
        size_t i = 0;

        *o++ = '"';
        while (i < n) {
                unsigned char c = s[i];
                if (json_plain[c]) {
                        *o++ = (char) c;
                        i++;
                } else if (c < 0x80) {
                        *o++ = '\\';
                        switch (c) {
                        case '"':
                        case '\\':
                                *o++ = (char) c;
                                break;
                        case '\n':
                                *o++ = 'n';
                                break;
                        case '\t':
                                *o++ = 't';
                                break;
                        case '\r':
                                *o++ = 'r';
                                break;
                        default:
                                *o++ = 'u';
                                *o++ = '0';
                                *o++ = '0';
                                *o++ = hex[c >> 4];
                                *o++ = hex[c & 0xf];
                        }
                        i++;
                } else {
                        size_t len = utf8_valid_len(s + i, n - i);
                        if (len) {
                                memcpy(o, s + i, len);
                                o += len;
                                i += len;
                        } else {
                                memcpy(o, "\xef\xbf\xbd", 3);
                                o += 3;
                                i++;
                        }
                }
        }
        *o++ = '"';
        return o;
}

/* The JSON form of a cluster's template, cached: most lines repeat a template unchanged. */
static const TemplateCache *template_json(Mine *m, const DrainCluster *c, DrainChange change)
{
        TemplateCache *e = &m->cache[c->id % TEMPLATE_CACHE];

        if (e->id != c->id || change != DRAIN_CHANGE_NONE || e->template != c->template ||
            e->template_len != c->template_len) {
                if (e->json_cap < 6 * c->template_len + 2) {
                        e->json_cap = 6 * c->template_len + 2;
                        e->json = xrealloc(e->json, e->json_cap);
                }
                e->json_len =
                        (size_t) (put_json_string(e->json, c->template, c->template_len) - e->json);
                e->id = c->id;
                e->template = c->template;
                e->template_len = c->template_len;
        }
        return e;
}

static char *put_u32(char *o, uint32_t v)
{
        char buf[10];
        size_t n = 0;
        do {
                buf[sizeof(buf) - ++n] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        memcpy(o, buf + sizeof(buf) - n, n);
        return o + n;
}

/* ---- mining ------------------------------------------------------------------------------- */

static double seconds_since(const struct timespec *t0, const struct timespec *t1)
{
        return (double) (t1->tv_sec - t0->tv_sec) + (double) (t1->tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress(Mine *m, bool done)
{
        struct timespec now;

        (void) clock_gettime(CLOCK_MONOTONIC, &now);
        if (!done && seconds_since(&m->last, &now) < 1.0)
                return;
        m->last = now;
        double dt = seconds_since(&m->start, &now);
        if (done)
                fprintf(stderr, "\r\033[K");
        else
                fprintf(stderr, "\r\033[K%llu lines, %.0f lines/s, %zu clusters",
                        (unsigned long long) m->lines, dt > 0 ? (double) m->lines / dt : 0.0,
                        drain_n_clusters(m->drain));
}

static int mine_line(Mine *m, const char *line, size_t len)
{
        DrainCluster c;
        DrainChange change = DRAIN_CHANGE_NONE;
        const char *const *params = NULL;
        size_t n_params = 0;
        int r;

        if (len && line[len - 1] == '\r')
                len--;
        if (!m->jsonl)
                r = drain_add(m->drain, line, len, NULL, NULL, NULL, NULL);
        else
                r = drain_add(m->drain, line, len, &change, &c, &params, &n_params);
        if (r < 0)
                return r;
        m->lines++;
        if (m->progress && (m->lines & 0xffff) == 0)
                progress(m, false);
        if (!m->jsonl)
                return 0;

        /* One reservation for the whole object, then plain stores. */
        const size_t *lens = drain_param_lengths(m->drain);
        const TemplateCache *t = template_json(m, &c, change);
        size_t need = 64 + t->json_len;
        for (size_t i = 0; i < n_params; i++)
                need += 6 * lens[i] + 3;
        char *o = out_reserve(m, need), *start = o;
        memcpy(o, "{\"cluster_id\":", 14);
        o = put_u32(o + 14, c.id);
        memcpy(o, ",\"template\":", 12);
        memcpy(o + 12, t->json, t->json_len);
        o += 12 + t->json_len;
        memcpy(o, ",\"params\":[", 11);
        o += 11;
        for (size_t i = 0; i < n_params; i++) {
                if (i)
                        *o++ = ',';
                o = put_json_string(o, params[i], lens[i]);
        }
        memcpy(o, "]}\n", 3);
        m->olen += (size_t) (o + 3 - start);
        if (m->olen >= OUT_FLUSH_BYTES)
                out_flush(m);
        return m->out_error;
}

/* Reads fd to the end, mining each line. A line longer than the buffer is mined from its
 * first bytes (Drain looks at DRAIN_MAX_LINE_BYTES at most) and the rest skipped. */
static int mine_fd(Mine *m, int fd, char *buf, size_t cap)
{
        size_t have = 0;
        bool skipping = false;

        for (;;) {
                ssize_t k = read(fd, buf + have, cap - have);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                have += (size_t) k;

                char *p = buf, *end = buf + have, *nl;
                while ((nl = memchr(p, '\n', (size_t) (end - p)))) {
                        if (!skipping) {
                                int r = mine_line(m, p, (size_t) (nl - p));
                                if (r < 0)
                                        return r;
                        }
                        skipping = false;
                        p = nl + 1;
                }
                have = (size_t) (end - p);
                if (have == cap) {
                        /* no newline in a full buffer: mine its head, skip the rest */
                        if (!skipping) {
                                int r = mine_line(m, buf, have);
                                if (r < 0)
                                        return r;
                        }
                        skipping = true;
                        have = 0;
                } else if (have && p != buf) {
                        memmove(buf, p, have);
                }
        }
        if (have && !skipping)
                return mine_line(m, buf, have);
        return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

typedef struct Row {
        uint32_t id;
        uint64_t count;
        char *template;
} Row;

typedef struct Rows {
        Row *v;
        size_t n;
} Rows;

static int collect_row(void *userdata, const DrainCluster *c)
{
        Rows *rows = userdata;
        rows->v[rows->n++] = (Row){c->id, c->count, xstrdup(c->template)};
        return 0;
}

static int cmp_rows(const void *a, const void *b)
{
        const Row *x = a, *y = b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static int print_table(CliContext *ctx, Drain *d)
{
        static const char *const headers[] = {"CLUSTER ID", "COUNT", "TEMPLATE", NULL};
        _cleanup_(table_freep) Table *t = table_new(headers);
        Rows rows = {.v = xnew(Row, drain_n_clusters(d) + 1)};

        (void) drain_foreach(d, collect_row, &rows);
        qsort(rows.v, rows.n, sizeof(Row), cmp_rows);
        table_set_flexible(t, 2);
        for (size_t i = 0; i < rows.n; i++) {
                table_add_u64(t, rows.v[i].id);
                table_add_u64(t, rows.v[i].count);
                table_add_str(t, rows.v[i].template);
                free(rows.v[i].template);
        }
        free(rows.v);
        int r = table_print(t, stdout, ctx->format, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot write output: %m");
        return 0;
}

/* ---- options ------------------------------------------------------------------------------ */

static int read_masks_file(CliContext *ctx, const char *path, char ***masks, size_t *n)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        if (fd < 0)
                return log_error_errno(-errno, "cannot read '%s': %m", path);
        data = xmalloc(MASKS_FILE_MAX + 1);
        for (;;) {
                ssize_t k = read(fd, data + len, MASKS_FILE_MAX - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "cannot read '%s': %m", path);
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len == MASKS_FILE_MAX)
                        return log_error_errno(-EFBIG, "cannot read '%s': larger than %u bytes",
                                               path, MASKS_FILE_MAX);
        }
        data[len] = '\0';
        for (char *p = data; p < data + len;) {
                char *nl = memchr(p, '\n', (size_t) (data + len - p));
                char *e = nl ? nl : data + len;
                if (e > p && e[-1] == '\r')
                        e[-1] = '\0';
                *e = '\0';
                if (*p) {
                        if (*n >= MAX_MASKS)
                                return cli_usage_error(ctx, "logs mine ", "at most %u masks",
                                                       MAX_MASKS);
                        *masks = xreallocarray(*masks, *n + 1, sizeof(char *));
                        (*masks)[(*n)++] = xstrdup(p);
                }
                p = e + 1;
        }
        return 0;
}

static void strv_free_n(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int cmd_logs_mine(CliContext *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"format", required_argument, NULL, OPT_FORMAT},
                {"depth", required_argument, NULL, OPT_DEPTH},
                {"sim", required_argument, NULL, OPT_SIM},
                {"max-children", required_argument, NULL, OPT_MAX_CHILDREN},
                {"max-clusters", required_argument, NULL, OPT_MAX_CLUSTERS},
                {"mask", required_argument, NULL, OPT_MASK},
                {"no-builtin-masks", no_argument, NULL, OPT_NO_BUILTIN_MASKS},
                {"masks-file", required_argument, NULL, OPT_MASKS_FILE},
                CLI_COMMON_LONG_OPTIONS,
                {},
        };
        const char *depth_arg = NULL, *sim_arg = NULL, *children_arg = NULL, *clusters_arg = NULL;
        bool jsonl = false, no_builtin = false, masks_given = false;
        char **masks = NULL;
        size_t n_masks = 0;
        int opt, r, ret = EXIT_UNKNOWN;

        /* Options first: --help must work whatever the configuration says. */
        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                if (cli_common_option(ctx, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        help();
                        strv_free_n(masks, n_masks);
                        return EXIT_OK;
                case OPT_FORMAT:
                        if (strcmp(optarg, "jsonl") == 0) {
                                jsonl = true;
                        } else if (strcmp(optarg, "text") == 0) {
                                jsonl = false;
                        } else {
                                strv_free_n(masks, n_masks);
                                return cli_usage_error(ctx, "logs mine ",
                                                       "invalid --format '%s' (text or jsonl)",
                                                       optarg);
                        }
                        break;
                case OPT_DEPTH:
                        depth_arg = optarg;
                        break;
                case OPT_SIM:
                        sim_arg = optarg;
                        break;
                case OPT_MAX_CHILDREN:
                        children_arg = optarg;
                        break;
                case OPT_MAX_CLUSTERS:
                        clusters_arg = optarg;
                        break;
                case OPT_MASK:
                        if (n_masks >= MAX_MASKS) {
                                strv_free_n(masks, n_masks);
                                return cli_usage_error(ctx, "logs mine ", "at most %u masks",
                                                       MAX_MASKS);
                        }
                        masks = xreallocarray(masks, n_masks + 1, sizeof(char *));
                        masks[n_masks++] = xstrdup(optarg);
                        masks_given = true;
                        break;
                case OPT_NO_BUILTIN_MASKS:
                        no_builtin = true;
                        break;
                case OPT_MASKS_FILE:
                        masks_given = true;
                        if (read_masks_file(ctx, optarg, &masks, &n_masks) < 0) {
                                strv_free_n(masks, n_masks);
                                return EXIT_UNKNOWN;
                        }
                        break;
                default:
                        strv_free_n(masks, n_masks);
                        return cli_usage_error(ctx, "logs mine ", "invalid option");
                }
        }

        _cleanup_(drain_freep) Drain *d = NULL;
        _cleanup_free_ char *err = NULL, *buf = NULL;
        Mine m = {.jsonl = jsonl, .out = stdout};
        DrainOptions o;

        if (cli_load_config(ctx) < 0)
                goto out_masks;
        drain_options_init(&o);
        o.depth = ctx->config->logs.drain_depth;
        o.similarity = ctx->config->logs.drain_similarity;
        o.max_children = ctx->config->logs.drain_max_children;
        o.max_clusters = ctx->config->logs.drain_max_clusters;
        o.no_builtin_masks = no_builtin || !ctx->config->logs.drain_builtin_masks;
        if (masks_given) {
                o.masks = (const char *const *) masks;
                o.n_masks = n_masks;
        } else {
                o.masks = (const char *const *) ctx->config->logs.drain_masks;
                o.n_masks = ctx->config->logs.n_drain_masks;
        }
        if (depth_arg && (safe_atou(depth_arg, &o.depth) < 0 || o.depth < 3 || o.depth > 64)) {
                ret = cli_usage_error(ctx, "logs mine ", "invalid --depth '%s' (3 to 64)",
                                      depth_arg);
                goto out_masks;
        }
        if (sim_arg &&
            (safe_atod(sim_arg, &o.similarity) < 0 || !(o.similarity > 0 && o.similarity <= 1))) {
                ret = cli_usage_error(ctx, "logs mine ",
                                      "invalid --sim '%s' (more than 0, at most 1)", sim_arg);
                goto out_masks;
        }
        if (children_arg && (safe_atou(children_arg, &o.max_children) < 0 || o.max_children < 2)) {
                ret = cli_usage_error(ctx, "logs mine ", "invalid --max-children '%s' (2 or more)",
                                      children_arg);
                goto out_masks;
        }
        if (clusters_arg && safe_atou(clusters_arg, &o.max_clusters) < 0) {
                ret = cli_usage_error(ctx, "logs mine ", "invalid --max-clusters '%s'",
                                      clusters_arg);
                goto out_masks;
        }
        r = drain_new(&o, &d, &err);
        if (r < 0) {
                log_error("%s", err ? err : "cannot set up the miner");
                goto out_masks;
        }

        m.drain = d;
        m.ocap = OUT_FLUSH_BYTES + 64 * 1024;
        m.obuf = xmalloc(m.ocap);
        m.progress = isatty(STDERR_FILENO);
        if (jsonl)
                m.cache = xnew0(TemplateCache, TEMPLATE_CACHE);
        (void) clock_gettime(CLOCK_MONOTONIC, &m.start);
        m.last = m.start;
        buf = xmalloc(READ_BYTES);

        bool from_stdin = optind >= argc;
        for (int i = optind; i < argc || from_stdin; i++) {
                const char *path = from_stdin ? "-" : argv[i];
                bool is_stdin = strcmp(path, "-") == 0;
                _cleanup_close_ int fd = is_stdin ? -1 : open(path, O_RDONLY | O_CLOEXEC);
                if (!is_stdin && fd < 0) {
                        log_error("cannot read '%s': %m", path);
                        goto out_buf;
                }
                r = mine_fd(&m, is_stdin ? STDIN_FILENO : fd, buf, READ_BYTES);
                if (r == m.out_error && r < 0) {
                        log_error_errno(r, "cannot write output: %m");
                        goto out_buf;
                }
                if (r < 0) {
                        log_error_errno(r, "cannot read '%s': %m", path);
                        goto out_buf;
                }
                if (from_stdin)
                        break;
        }
        if (m.progress)
                progress(&m, true);
        out_flush(&m);
        if (m.out_error < 0) {
                log_error_errno(m.out_error, "cannot write output: %m");
                goto out_buf;
        }
        if (!jsonl && print_table(ctx, d) < 0)
                goto out_buf;
        ret = EXIT_OK;

out_buf:
        free(m.obuf);
        for (size_t i = 0; m.cache && i < TEMPLATE_CACHE; i++)
                free(m.cache[i].json);
        free(m.cache);
out_masks:
        strv_free_n(masks, n_masks);
        return ret;
}

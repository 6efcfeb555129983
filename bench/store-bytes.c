/* Bytes per stored sample after a simulated day of host metrics at a 10 s interval.
 *
 * The series are this host's real metric set (host_collector_new("/proc", "/sys"), sampled twice
 * a second apart); their values for 8640 cycles come from a seeded model per kind (noisy
 * percentages around a slowly moving mean, bursty log-normal rates, increasing counters,
 * smooth AR(1) load averages, constant sizes), rounded with quantize() exactly as the agent
 * stores them, on the exact 10 s grid. They go through the real store API (store_append()
 * for every series and store_commit() every cycle), then store_checkpoint(); the figures are
 * the chunk bytes (sum of length(data)) and the file bytes (db + WAL) per sample.
 *
 * Measured in the same run: the same samples as plain SQLite rows (series_id, ts, value) in a
 * WITHOUT ROWID table, and the Gorilla-only encoding (no decimal mode) counted bit by bit.
 *
 * Usage: bench-store-bytes [DIR]   (scratch files go to DIR, default a new /tmp directory,
 * and are removed at the end). Output is Markdown, for bench/results/store-bytes.md. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agent/quantize.h"
#include "collect/host.h"
#include "core/alloc.h"
#include "store/store.h"

#define CYCLES      8640 /* a day at 10 s */
#define INTERVAL_MS 10000
#define START_MS    INT64_C(1700000000000) /* on the 10 s grid */
#define SEED        UINT64_C(0x5eed2024)

typedef enum Kind {
        KIND_PERCENT,
        KIND_RATE,
        KIND_SECONDS,
        KIND_LOAD,
        KIND_COUNTER,
        KIND_GAUGE,
        KIND_CONSTANT,
        _KIND_MAX,
} Kind;

static const char *const kind_name[_KIND_MAX] = {
        [KIND_PERCENT] = "percent (2 dec.)",   [KIND_RATE] = "rate /s (2 dec.)",
        [KIND_SECONDS] = "seconds (4-6 dec.)", [KIND_LOAD] = "load (2 dec.)",
        [KIND_COUNTER] = "counter _total",     [KIND_GAUGE] = "integer gauge",
        [KIND_CONSTANT] = "constant",
};

typedef struct Rng {
        uint64_t s;
} Rng;

/* xorshift64* (Vigna) */
static uint64_t rng_next(Rng *r)
{
        r->s ^= r->s >> 12;
        r->s ^= r->s << 25;
        r->s ^= r->s >> 27;
        return r->s * UINT64_C(2685821657736338717);
}

static double rng_unit(Rng *r)
{
        return (double) (rng_next(r) >> 11) / 9007199254740992.0;
}

static double rng_normal(Rng *r)
{
        double u = rng_unit(r), v = rng_unit(r);
        return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v); /* Box-Muller */
}

/* How one series' values evolve. `level` is where it starts (the real value for constants
 * and counters), the rest shapes the model of its kind. */
typedef enum Model {
        MODEL_CONSTANT,
        MODEL_NOISY_PERCENT, /* mean moving between lo and hi over the day, ± noise */
        MODEL_SLOW_PERCENT,  /* drifts by ~noise per cycle */
        MODEL_BURSTY,        /* log-normal around level with spread sigma; p_zero: idle */
        MODEL_RARE,          /* 0, rarely a small value (errors, drops, blocked) */
        MODEL_LOAD,          /* AR(1) of a moving run-queue length, time constant tau */
        MODEL_COUNTER,       /* += a bursty increment of mean `level`, in units of `unit` */
        MODEL_WALK,          /* integer random walk in multiples of `unit` */
        MODEL_UPTIME,
} Model;

typedef struct Series {
        char *canonical;
        const char *name; /* within canonical */
        char **labels;
        Kind kind;
        Model model;
        int decimals;
        double level, lo, hi, noise, sigma, p_zero, tau, unit, phase;
        double state, total;
        double real; /* the value this host reported */
        Rng rng;
        int64_t id;      /* in the all-series store */
        int64_t kind_id; /* in the store of its kind */
        /* Gorilla-only bit count (the encoding without decimal mode) */
        uint32_t g_count;
        uint64_t g_bits, g_last_value, g_last_delta;
        int64_t g_last_ts;
        uint8_t g_leading, g_trailing;
        uint64_t g_bytes;
} Series;

typedef struct Collected {
        Series *v;
        size_t n;
} Collected;

static bool endswith(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *label(const Series *se, const char *key)
{
        for (size_t i = 0; se->labels[i]; i += 2)
                if (strcmp(se->labels[i], key) == 0)
                        return se->labels[i + 1];
        return "";
}

/* Chooses kind and model from the name and labels (collect/host.h vocabulary). Only constants
 * keep the value this host reported (memory and filesystem sizes, CPUs: stable), and an
 * interface whose counters are 0 here (ifb, a link that is down) stays idle; everything else
 * starts from fixed levels, so that a run does not depend on the moment it was started. */
static void series_model(Series *se, double real)
{
        const char *n = se->name;
        bool idle = real == 0;
        const char *res = label(se, "resource");

        se->level = real;
        se->real = real;
        se->model = MODEL_CONSTANT;
        se->kind = KIND_CONSTANT;
        se->decimals = quantize_decimals(n);
        se->phase = rng_unit(&se->rng) * 2 * M_PI;

        if (strncmp(n, "host_load", 9) == 0) {
                se->kind = KIND_LOAD;
                se->model = MODEL_LOAD;
                se->tau = strcmp(n, "host_load1") == 0   ? 60
                          : strcmp(n, "host_load5") == 0 ? 300
                                                         : 900;
                se->state = 1.0;
        } else if (strcmp(n, "host_uptime_seconds") == 0) {
                se->kind = KIND_SECONDS;
                se->model = MODEL_UPTIME;
                se->level = 1234567.89;
        } else if (endswith(n, "_seconds_total")) { /* PSI stall time, µs resolution */
                se->kind = KIND_SECONDS;
                /* no memory pressure; cpu "full" is always 0 system-wide */
                se->model = strcmp(res, "memory") == 0 || (strcmp(res, "cpu") == 0 &&
                                                           strcmp(label(se, "kind"), "full") == 0)
                                    ? MODEL_CONSTANT
                                    : MODEL_COUNTER;
                se->level = 0.05; /* s of stall per 10 s */
                se->sigma = 1.0;
                se->unit = 1e-6;
                se->total = strcmp(res, "cpu") == 0 ? 2345.678901 : 123.456789;
                se->level = se->model == MODEL_CONSTANT ? 0 : se->level;
        } else if (endswith(n, "_seconds_per_second") || endswith(n, "_seconds")) {
                se->kind = KIND_SECONDS;
                se->model = MODEL_BURSTY;
                se->level = strstr(n, "await") ? 0.002 : 0.005;
                se->sigma = 1.0;
                se->p_zero = strstr(n, "pressure") && strcmp(label(se, "resource"), "cpu") != 0
                                     ? 0.97
                                     : 0.3;
                if (strstr(n, "pressure") && strcmp(label(se, "kind"), "full") == 0 &&
                    strcmp(label(se, "resource"), "cpu") == 0)
                        se->model = MODEL_CONSTANT; /* always 0 for the whole system */
        } else if (endswith(n, "_percent")) {
                se->kind = KIND_PERCENT;
                if (strcmp(n, "host_cpu_percent") == 0) {
                        const char *mode = label(se, "mode");
                        se->model = MODEL_NOISY_PERCENT;
                        if (strcmp(mode, "idle") == 0)
                                se->lo = 60, se->hi = 95, se->noise = 3;
                        else if (strcmp(mode, "user") == 0)
                                se->lo = 3, se->hi = 25, se->noise = 2;
                        else if (strcmp(mode, "system") == 0)
                                se->lo = 1, se->hi = 8, se->noise = 1;
                        else if (strcmp(mode, "iowait") == 0)
                                se->lo = 0, se->hi = 3, se->noise = 0.5;
                        else if (strcmp(mode, "irq") == 0 || strcmp(mode, "softirq") == 0 ||
                                 strcmp(mode, "steal") == 0)
                                se->lo = 0, se->hi = 0.5, se->noise = 0.1;
                        else
                                se->model = MODEL_CONSTANT, se->level = 0; /* nice, guest */
                } else if (strcmp(n, "host_cpu_busy_percent") == 0) {
                        se->model = MODEL_NOISY_PERCENT;
                        se->lo = 5, se->hi = 40, se->noise = 3;
                } else if (strcmp(n, "host_disk_busy_percent") == 0) {
                        se->model = MODEL_BURSTY;
                        se->level = 2, se->sigma = 1.2, se->p_zero = 0.2;
                } else if (strstr(n, "pressure")) {
                        bool none =
                                strcmp(res, "memory") == 0 ||
                                (strcmp(res, "cpu") == 0 && strcmp(label(se, "kind"), "full") == 0);
                        se->model = none ? MODEL_CONSTANT : MODEL_LOAD;
                        se->level = 0;
                        se->tau = strstr(n, "avg10") ? 10 : strstr(n, "avg60") ? 60 : 300;
                        se->state = 0.5;
                } else { /* memory, swap, filesystem, inodes used */
                        se->model = MODEL_SLOW_PERCENT;
                        se->noise = strstr(n, "memory") ? 0.05 : 0.005;
                        se->state = strstr(n, "memory") ? 35 : 40;
                }
        } else if (endswith(n, "_per_second")) {
                se->kind = KIND_RATE;
                se->model = MODEL_BURSTY;
                const char *ifc = label(se, "interface");
                bool lo = strcmp(ifc, "lo") == 0;
                if (strstr(n, "errors") || strstr(n, "drops"))
                        se->model = MODEL_RARE;
                else if (strstr(n, "interrupts"))
                        se->level = 2000, se->sigma = 0.3;
                else if (strstr(n, "context_switches"))
                        se->level = 5000, se->sigma = 0.4;
                else if (strstr(n, "forks"))
                        se->level = 5, se->sigma = 0.7, se->p_zero = 0.05;
                else if (strstr(n, "disk"))
                        se->level = strstr(n, "bytes") ? 200e3 : 20, se->sigma = 1.2,
                        se->p_zero = 0.1;
                else
                        se->level = (strstr(n, "bytes") ? 20e3 : 50) * (lo ? 0.2 : 1),
                        se->sigma = 1.0;
                se->p_zero = se->p_zero > 0 ? se->p_zero : 0.0;
        } else if (endswith(n, "_total") && !endswith(n, "inodes_total") &&
                   !endswith(n, "swap_total") && strcmp(n, "host_memory_total_bytes") != 0 &&
                   !endswith(n, "_total_bytes")) {
                se->kind = KIND_COUNTER;
                se->total = idle                 ? 0
                            : strstr(n, "disk")  ? 1e10 * 1.024
                            : strstr(n, "bytes") ? 5e9 + 7
                                                 : 4e6 + 3;
                if (strstr(n, "errors") || strstr(n, "drops"))
                        se->model = MODEL_RARE;
                else {
                        se->model = MODEL_COUNTER;
                        se->unit = strstr(n, "disk") ? 512 : 1; /* sectors */
                        se->level = strstr(n, "disk") ? 2e6 : strstr(n, "bytes") ? 2e5 : 500;
                        se->sigma = 1.0;
                }
        } else if (endswith(n, "_bytes") && !endswith(n, "_total_bytes") &&
                   !endswith(n, "size_bytes") && strncmp(n, "host_swap", 9) != 0) {
                se->kind = KIND_GAUGE;
                se->model = MODEL_WALK;
                se->unit = strstr(n, "filesystem") ? 4096 : 1024;
                se->state = se->unit * (strstr(n, "filesystem")                        ? 5e6
                                        : strstr(n, "dirty") || strstr(n, "writeback") ? 1e4
                                                                                       : 2e6);
                se->noise = strstr(n, "dirty") || strstr(n, "writeback") ? 4e6
                            : strstr(n, "filesystem")                    ? 40e3
                                                                         : 2e6;
        } else if (strcmp(n, "host_tasks") == 0 ||
                   strcmp(n, "host_file_descriptors_allocated") == 0 ||
                   strcmp(n, "host_filesystem_inodes_free") == 0 ||
                   strcmp(n, "host_procs_running") == 0) {
                se->kind = KIND_GAUGE;
                se->model = MODEL_WALK;
                se->state = strcmp(n, "host_tasks") == 0                        ? 300
                            : strcmp(n, "host_file_descriptors_allocated") == 0 ? 2000
                            : strcmp(n, "host_procs_running") == 0              ? 2
                                                                                : 1e6;
                se->unit = 1;
                se->noise = strcmp(n, "host_procs_running") == 0 ? 1 : 3;
        } else if (strcmp(n, "host_procs_blocked") == 0 ||
                   strcmp(n, "host_disk_io_in_progress") == 0) {
                se->kind = KIND_GAUGE;
                se->model = MODEL_RARE;
        }
        /* the rest (cpus, totals, sizes, max, swap on a host without swap) stays constant */
}

/* An interface that has received nothing here (ifb, a link that is down) stays idle: its rates
 * and counters are constant 0. */
static void interfaces_idle(Series *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *ifc = label(&v[i], "interface");
                if (!*ifc)
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (strcmp(v[j].name, "host_network_receive_bytes_total") == 0 &&
                            strcmp(label(&v[j], "interface"), ifc) == 0 && v[j].real == 0) {
                                v[i].model = MODEL_CONSTANT;
                                v[i].level = 0;
                        }
        }
}

static double clamp(double v, double lo, double hi)
{
        return v < lo ? lo : v > hi ? hi : v;
}

static double series_next(Series *se, int64_t cycle)
{
        Rng *r = &se->rng;
        double day = (double) cycle / CYCLES;

        switch (se->model) {
        case MODEL_CONSTANT:
                return se->level;
        case MODEL_NOISY_PERCENT: {
                double mean =
                        se->lo + (se->hi - se->lo) * (0.5 + 0.5 * sin(2 * M_PI * day + se->phase));
                return clamp(mean + se->noise * (2 * rng_unit(r) - 1), 0, 100);
        }
        case MODEL_SLOW_PERCENT:
                se->state = clamp(se->state + se->noise * rng_normal(r), 0, 100);
                return se->state;
        case MODEL_BURSTY:
                if (rng_unit(r) < se->p_zero)
                        return 0;
                return se->level * exp(se->sigma * rng_normal(r) - se->sigma * se->sigma / 2);
        case MODEL_RARE:
                return rng_unit(r) < 0.002 ? floor(1 + 3 * rng_unit(r)) : 0;
        case MODEL_LOAD: {
                double run = 0.5 + 2 * (0.5 + 0.5 * sin(2 * M_PI * day * 3 + se->phase)) +
                             (double) (rng_next(r) % 3);
                double a = exp(-10.0 / se->tau);
                se->state = se->state * a + run * (1 - a);
                return se->state;
        }
        case MODEL_COUNTER: {
                double inc =
                        se->level * 10 * exp(se->sigma * rng_normal(r) - se->sigma * se->sigma / 2);
                se->total += floor(inc / se->unit) * se->unit;
                if (se->unit < 1) /* µs: keep the total an exact multiple */
                        se->total = round(se->total / se->unit) * se->unit;
                return se->total;
        }
        case MODEL_WALK:
                se->state =
                        fmax(0, se->state + round(se->noise * rng_normal(r) / se->unit) * se->unit);
                return se->state;
        case MODEL_UPTIME:
                se->level += 10 + (double) ((int) (rng_next(r) % 3) - 1) / 100;
                return se->level;
        }
        return 0;
}

/* ---- the Gorilla-only peer: the bit count of the encoding without decimal mode ---- */

static unsigned dod_bits(int64_t d)
{
        if (d == 0)
                return 1;
        if (d >= -2 && d <= 2)
                return 4;
        if (d >= -64 && d <= 63)
                return 10;
        if (d >= -2048 && d <= 2047)
                return 16;
        if (d >= -524288 && d <= 524287)
                return 25;
        return 69;
}

static void gorilla_close(Series *se)
{
        se->g_bytes += (se->g_bits + 7) / 8;
        se->g_bits = 0;
        se->g_count = 0;
}

static void gorilla_add(Series *se, int64_t ts, double v, uint32_t max_samples)
{
        uint64_t bits;

        memcpy(&bits, &v, sizeof(bits));
        if (se->g_count == max_samples)
                gorilla_close(se);
        if (se->g_count == 0) {
                se->g_bits = 128;
                se->g_last_delta = 0;
                se->g_leading = 0xff;
        } else {
                uint64_t delta = (uint64_t) (ts - se->g_last_ts);
                se->g_bits += dod_bits((int64_t) (delta - se->g_last_delta));
                se->g_last_delta = delta;
                uint64_t x = bits ^ se->g_last_value;
                if (x == 0)
                        se->g_bits += 1;
                else {
                        unsigned lead = (unsigned) __builtin_clzll(x),
                                 trail = (unsigned) __builtin_ctzll(x);
                        lead = lead > 31 ? 31 : lead;
                        if (se->g_leading != 0xff && lead >= se->g_leading &&
                            trail >= se->g_trailing)
                                se->g_bits += 2 + 64u - se->g_leading - se->g_trailing;
                        else {
                                se->g_bits += 2 + 5 + 6 + 64u - lead - trail;
                                se->g_leading = (uint8_t) lead;
                                se->g_trailing = (uint8_t) trail;
                        }
                }
        }
        se->g_last_ts = ts;
        se->g_last_value = bits;
        se->g_count++;
}

/* ---- collection of the real metric set ---- */

static void collect_fn(void *userdata, const char *name, const char *const *labels, double value)
{
        Collected *c = userdata;
        size_t nl = 0;

        while (labels && labels[nl])
                nl++;
        c->v = xreallocarray(c->v, c->n + 1, sizeof(Series));
        Series *se = &c->v[c->n++];
        *se = (Series){.rng = {SEED ^ (UINT64_C(0x9E3779B97F4A7C15) * c->n)}};
        se->canonical = xstrdup(name);
        se->name = se->canonical;
        se->labels = xnew0(char *, nl + 1);
        for (size_t i = 0; i < nl; i++)
                se->labels[i] = xstrdup(labels[i]);
        for (int k = 0; k < 10; k++)
                (void) rng_next(&se->rng);
        series_model(se, value);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what, int r)
{
        fprintf(stderr, "bench-store-bytes: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(1);
}

static uint64_t file_size(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

static uint64_t db_bytes(const char *path)
{
        _cleanup_free_ char *wal = xasprintf("%s-wal", path);
        return file_size(path) + file_size(wal);
}

static void sql_exec(sqlite3 *db, const char *sql)
{
        char *err = NULL;

        if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
                fprintf(stderr, "bench-store-bytes: %s: %s\n", sql, err ? err : "?");
                exit(1);
        }
}

typedef struct Figures {
        uint64_t samples[_KIND_MAX + 1]; /* [_KIND_MAX]: all */
        uint64_t data_bytes[_KIND_MAX + 1];
        uint64_t chunks[_KIND_MAX + 1];
        uint64_t file_bytes[_KIND_MAX + 1];
        uint64_t series[_KIND_MAX + 1];
        uint64_t gorilla_bytes[_KIND_MAX + 1];
        uint64_t chunk_pages_bytes; /* chunk table + its index, from dbstat */
        uint64_t page_count, freelist;
} Figures;

/* Sums length(data) per series straight from the chunk table. */
static void chunk_sums(const char *path, const Series *v, size_t n, Figures *f)
{
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                die("cannot open a result", -EIO);
        if (sqlite3_prepare_v2(db,
                               "SELECT series_id, sum(length(data)), sum(count), count(*) FROM "
                               "chunk GROUP BY series_id",
                               -1, &st, NULL) != SQLITE_OK)
                die(sqlite3_errmsg(db), -EIO);
        while (sqlite3_step(st) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                for (size_t i = 0; i < n; i++) {
                        if (v[i].id != id)
                                continue;
                        Kind k = v[i].kind;
                        if (getenv("BENCH_VERBOSE")) /* per series, for tuning */
                                fprintf(stderr, "%-60s %s model %d: %.3f B/sample, gorilla %.3f\n",
                                        v[i].name, kind_name[k], (int) v[i].model,
                                        (double) sqlite3_column_int64(st, 1) /
                                                (double) sqlite3_column_int64(st, 2),
                                        (double) v[i].g_bytes /
                                                (double) sqlite3_column_int64(st, 2));
                        f->data_bytes[k] += (uint64_t) sqlite3_column_int64(st, 1);
                        f->samples[k] += (uint64_t) sqlite3_column_int64(st, 2);
                        f->chunks[k] += (uint64_t) sqlite3_column_int64(st, 3);
                        break;
                }
        }
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT sum(pgsize) FROM dbstat WHERE name = 'chunk' OR name LIKE "
                               "'sqlite_autoindex_chunk%'",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                f->chunk_pages_bytes = (uint64_t) sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        (void) sqlite3_close(db);
}

static void die_store(Store *s, const char *what, int r)
{
        fprintf(stderr, "bench-store-bytes: %s: %s (%s)\n", what, strerror(-r),
                store_last_error(s));
        exit(1);
}

/* One simulated day into one store of all series, one store per kind (per_kind) and the
 * plain-rows peer (rows); returns the figures. */
static void run_day(const char *dir, Collected *c, uint32_t chunk_max, bool per_kind, bool rows,
                    Figures *f, uint64_t *ret_rows_bytes)
{
        Store *all = NULL, *kind_store[_KIND_MAX] = {};
        StoreOptions opt = {.chunk_max_samples = chunk_max};
        char path[4096], kpath[_KIND_MAX][4096], rpath[4096];
        sqlite3 *rdb = NULL;
        sqlite3_stmt *ins = NULL;
        char *err = NULL;
        int r;

        *f = (Figures){};
        (void) snprintf(path, sizeof(path), "%s/all-%u.db", dir, chunk_max);
        r = store_open(path, &opt, &all, &err);
        if (r < 0)
                die(err, r);
        for (int k = 0; per_kind && k < _KIND_MAX; k++) {
                (void) snprintf(kpath[k], sizeof(kpath[k]), "%s/kind%d-%u.db", dir, k, chunk_max);
                r = store_open(kpath[k], &opt, &kind_store[k], &err);
                if (r < 0)
                        die(err, r);
        }
        if (rows) {
                (void) snprintf(rpath, sizeof(rpath), "%s/rows.db", dir);
                if (sqlite3_open(rpath, &rdb) != SQLITE_OK)
                        die("cannot create the rows database", -EIO);
                sql_exec(rdb, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                              "CREATE TABLE sample (series_id INTEGER NOT NULL, ts INTEGER NOT "
                              "NULL, value REAL NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT "
                              "ROWID");
                if (sqlite3_prepare_v2(rdb, "INSERT INTO sample VALUES (?1, ?2, ?3)", -1, &ins,
                                       NULL) != SQLITE_OK)
                        die(sqlite3_errmsg(rdb), -EIO);
        }

        for (size_t i = 0; i < c->n; i++) {
                Series *se = &c->v[i];
                const char *const *l = (const char *const *) se->labels;
                r = store_series_get(all, se->name, l, &se->id);
                if (r < 0)
                        die_store(all, se->name, r);
                if (per_kind) {
                        r = store_series_get(kind_store[se->kind], se->name, l, &se->kind_id);
                        if (r < 0)
                                die_store(kind_store[se->kind], se->name, r);
                }
                /* the model restarts for every run: all runs see the same samples */
                se->rng = (Rng){SEED ^ (UINT64_C(0x9E3779B97F4A7C15) * (i + 1))};
                se->g_count = 0;
                se->g_bytes = 0;
        }
        /* Model state: restart from a copy so every run sees identical values. */
        Series *init = xmemdup(c->v, c->n * sizeof(Series));

        for (int64_t cyc = 0; cyc < CYCLES; cyc++) {
                int64_t ts = START_MS + cyc * INTERVAL_MS;
                if (rows)
                        sql_exec(rdb, "BEGIN");
                for (size_t i = 0; i < c->n; i++) {
                        Series *se = &c->v[i];
                        double v = quantize(series_next(se, cyc), se->decimals);

                        r = store_append(all, se->id, ts, v);
                        if (r < 0)
                                die_store(all, "append", r);
                        if (per_kind) {
                                r = store_append(kind_store[se->kind], se->kind_id, ts, v);
                                if (r < 0)
                                        die_store(kind_store[se->kind], "append", r);
                        }
                        if (rows) {
                                (void) sqlite3_reset(ins);
                                (void) sqlite3_bind_int64(ins, 1, se->id);
                                (void) sqlite3_bind_int64(ins, 2, ts);
                                (void) sqlite3_bind_double(ins, 3, v);
                                if (sqlite3_step(ins) != SQLITE_DONE)
                                        die(sqlite3_errmsg(rdb), -EIO);
                        }
                        gorilla_add(se, ts, v, chunk_max);
                }
                r = store_commit(all);
                if (r < 0)
                        die_store(all, "commit", r);
                for (int k = 0; per_kind && k < _KIND_MAX; k++) {
                        r = store_commit(kind_store[k]);
                        if (r < 0)
                                die_store(kind_store[k], "commit", r);
                }
                if (rows)
                        sql_exec(rdb, "COMMIT");
        }

        r = store_checkpoint(all);
        if (r < 0)
                die_store(all, "checkpoint", r);
        StoreStats stats;
        r = store_stats(all, &stats);
        if (r < 0)
                die_store(all, "stats", r);
        f->page_count = stats.page_count;
        f->freelist = stats.freelist_pages;
        f->file_bytes[_KIND_MAX] = db_bytes(path);
        for (size_t i = 0; i < c->n; i++) {
                gorilla_close(&c->v[i]);
                f->gorilla_bytes[c->v[i].kind] += c->v[i].g_bytes;
                f->series[c->v[i].kind]++;
        }
        chunk_sums(path, c->v, c->n, f);
        for (int k = 0; per_kind && k < _KIND_MAX; k++) {
                r = store_checkpoint(kind_store[k]);
                if (r < 0)
                        die_store(kind_store[k], "checkpoint", r);
                f->file_bytes[k] = db_bytes(kpath[k]);
        }
        for (int k = 0; k < _KIND_MAX; k++) {
                f->samples[_KIND_MAX] += f->samples[k];
                f->data_bytes[_KIND_MAX] += f->data_bytes[k];
                f->chunks[_KIND_MAX] += f->chunks[k];
                f->gorilla_bytes[_KIND_MAX] += f->gorilla_bytes[k];
                f->series[_KIND_MAX] += f->series[k];
        }

        if (rows) {
                sqlite3_finalize(ins);
                sql_exec(rdb, "PRAGMA wal_checkpoint(TRUNCATE)");
                *ret_rows_bytes = db_bytes(rpath);
                (void) sqlite3_close(rdb);
                (void) unlink(rpath);
        }
        store_free(all);
        (void) unlink(path);
        for (int k = 0; per_kind && k < _KIND_MAX; k++) {
                store_free(kind_store[k]);
                (void) unlink(kpath[k]);
        }
        /* restore the model state for the next run */
        memcpy(c->v, init, c->n * sizeof(Series));
        free(init);
}

static double per(uint64_t bytes, uint64_t samples)
{
        return samples > 0 ? (double) bytes / (double) samples : 0;
}

int main(int argc, char **argv)
{
        _cleanup_(host_collector_freep) HostCollector *hc = NULL;
        static const uint32_t sizes[] = {120, 240, 480, 720};
        HostSample hs = {};
        Collected c = {};
        char tmpl[] = "/tmp/bench-store-bytes.XXXXXX";
        const char *dir;
        int r;

        if (argc > 1)
                dir = argv[1];
        else {
                dir = mkdtemp(tmpl);
                if (!dir)
                        die("mkdtemp", -errno);
        }

        r = host_collector_new("/proc", "/sys", &hc);
        if (r < 0)
                die("host_collector_new", r);
        /* a second apart, so CPU shares and rates are known */
        (void) host_collector_sample(hc, now_ms(), &hs);
        (void) sleep(1);
        r = host_collector_sample(hc, now_ms(), &hs);
        if (r < 0)
                die("host_collector_sample", r);
        host_sample_foreach_metric(&hs, collect_fn, &c);
        host_sample_done(&hs);
        interfaces_idle(c.v, c.n);

        printf("Series of this host: %zu, %d cycles at %d s: %zu samples\n\n", c.n, CYCLES,
               INTERVAL_MS / 1000, c.n * CYCLES);

        Figures f;
        uint64_t rows_bytes = 0;
        run_day(dir, &c, STORE_CHUNK_MAX_SAMPLES_DEFAULT, true, true, &f, &rows_bytes);

        printf("## Per kind, chunk_max_samples %u (default)\n\n", STORE_CHUNK_MAX_SAMPLES_DEFAULT);
        printf("| kind | series | samples | encoded B/sample | on disk B/sample (own store) | "
               "Gorilla-only encoded B/sample |\n|---|---:|---:|---:|---:|---:|\n");
        for (int k = 0; k <= _KIND_MAX; k++)
                printf("| %s | %" PRIu64 " | %" PRIu64 " | %.3f | %.3f | %.3f |\n",
                       k < _KIND_MAX ? kind_name[k] : "**all (one store)**", f.series[k],
                       f.samples[k], per(f.data_bytes[k], f.samples[k]),
                       per(f.file_bytes[k], f.samples[k]), per(f.gorilla_bytes[k], f.samples[k]));
        printf("\nOne store of all series: %" PRIu64 " bytes on disk (db + WAL after checkpoint), "
               "%" PRIu64 " chunks, %" PRIu64 " pages (%" PRIu64 " free), chunk table + index "
               "pages %" PRIu64 " bytes (%.3f B/sample)\n",
               f.file_bytes[_KIND_MAX], f.chunks[_KIND_MAX], f.page_count, f.freelist,
               f.chunk_pages_bytes, per(f.chunk_pages_bytes, f.samples[_KIND_MAX]));
        printf("Peer, plain rows (series_id, ts, value) WITHOUT ROWID: %" PRIu64
               " bytes, %.3f B/sample\n\n",
               rows_bytes, per(rows_bytes, f.samples[_KIND_MAX]));

        printf("## Chunk size (one store of all series)\n\n");
        printf("| chunk_max_samples | chunks | encoded B/sample | on disk B/sample | chunk table + "
               "index B/sample | Gorilla-only encoded B/sample |\n"
               "|---:|---:|---:|---:|---:|---:|\n");
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                Figures g;
                run_day(dir, &c, sizes[i], false, false, &g, &rows_bytes);
                printf("| %u | %" PRIu64 " | %.3f | %.3f | %.3f | %.3f |\n", sizes[i],
                       g.chunks[_KIND_MAX], per(g.data_bytes[_KIND_MAX], g.samples[_KIND_MAX]),
                       per(g.file_bytes[_KIND_MAX], g.samples[_KIND_MAX]),
                       per(g.chunk_pages_bytes, g.samples[_KIND_MAX]),
                       per(g.gorilla_bytes[_KIND_MAX], g.samples[_KIND_MAX]));
                fflush(stdout);
        }

        if (argc <= 1)
                (void) rmdir(dir);
        for (size_t i = 0; i < c.n; i++) {
                for (size_t j = 0; c.v[i].labels[j]; j++)
                        free(c.v[i].labels[j]);
                free(c.v[i].labels);
                free(c.v[i].canonical);
        }
        free(c.v);
        return 0;
}

/* The detection tables of the store: anomalies found by `aiops detect` and the monitor, and
 * the models they trained (docs/store.md, schema version 4). Like logdb.h, each call is its
 * own transaction unless the caller opened one with store_begin(). Strings are any UTF-8;
 * rows returned are the caller's (detectdb_*_free()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct AnomalyRow {
        int64_t id;       /* assigned by detectdb_anomaly_put() */
        char *kind;       /* "batch" (aiops detect), "model" (the monitor scoring with a stored
                           * model), "drift" */
        char *subject;    /* what is anomalous: "host", or "service:<name>" */
        int64_t start_ms; /* first window of the anomaly */
        int64_t end_ms;   /* end of its last window (exclusive) */
        int64_t detected_ms;
        double score;  /* ensemble score in [0, 1], the highest over its windows */
        char *methods; /* the methods that flag it, comma separated ("iforest,lof") */
        char *summary; /* one line for people: "host_memory_used_percent 93 vs 61 ± 4; ..." */
        char *details; /* JSON object: the explanation ({"features": [...], ...}, detect/batch.h) */
} AnomalyRow;

/* Stores an anomaly. An anomaly of the same kind and subject whose time range overlaps or
 * touches [start_ms, end_ms] is updated instead (the union of the two ranges, the higher
 * score, the new methods, summary and details), so that running detection again over the
 * same hours does not store it twice. Sets row->id; returns 1 if a new row was inserted,
 * 0 if one was updated. */
int detectdb_anomaly_put(Store *s, AnomalyRow *row);
/* Anomalies whose range ends after since_ms (and starts before until_ms; INT64_MAX for no
 * bound) of a kind (NULL: any), oldest first. */
int detectdb_anomaly_list(Store *s, int64_t since_ms, int64_t until_ms, const char *kind,
                          AnomalyRow **ret, size_t *ret_n);
/* 1 and *ret, or 0 if there is no anomaly with this id. */
int detectdb_anomaly_get(Store *s, int64_t id, AnomalyRow *ret);
void detectdb_anomaly_row_done(AnomalyRow *r);
void detectdb_anomaly_rows_free(AnomalyRow *a, size_t n);

typedef struct ModelRow {
        char *name; /* the key: "host" for the monitor's host model */
        char *kind; /* the algorithm, "iforest" */
        int64_t trained_ms;
        int64_t from_ms, to_ms; /* the data it was trained on */
        uint64_t n_samples;     /* rows it was trained on */
        char *meta; /* JSON object: features, their scaling, threshold (detect/batch.h) */
        void *data; /* the serialised model (iforest_save()) */
        size_t data_size;
} ModelRow;

/* Insert or replace by name. */
int detectdb_model_put(Store *s, const ModelRow *row);
/* 1 and *ret, or 0 if there is no model of this name. */
int detectdb_model_get(Store *s, const char *name, ModelRow *ret);
int detectdb_model_delete(Store *s, const char *name);
void detectdb_model_row_done(ModelRow *r);

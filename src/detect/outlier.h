/* Batch outlier scoring with one entry point for every method, for `aiops detect outliers`
 * and the batch detector: points in, one score per point out, higher = more anomalous.
 * Deterministic for a given seed. Each method lives in its own module (iforest.h, lof.h,
 * knn.h, kmeans.h, mahalanobis.h, ensemble.h), which documents the paper it follows and how
 * its scores compare with scikit-learn's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/matrix.h"

typedef enum OutlierMethod {
        OUTLIER_IFOREST,
        OUTLIER_LOF,
        OUTLIER_KNN,
        OUTLIER_KMEANS,
        OUTLIER_MAHALANOBIS,
        OUTLIER_ENSEMBLE,
        _OUTLIER_METHOD_MAX,
        _OUTLIER_METHOD_INVALID = -22,
} OutlierMethod;

typedef struct OutlierOptions {
        uint64_t seed;
        double contamination;  /* expected share of outliers in (0, 0.5]; sets the labels' cut */
        unsigned n_estimators; /* iforest trees (100) */
        size_t max_samples;    /* iforest sub-sample (256; capped at n) */
        double max_features;   /* iforest share of features per tree (1.0) */
        unsigned k;            /* LOF and KNN neighbours (LOF 20, KNN 5 as scikit-learn/PyOD) */
        unsigned n_clusters;   /* k-means clusters (8) */
        unsigned n_init;       /* k-means restarts (10) */
        bool knn_mean;         /* KNN: mean distance to the k neighbours instead of the k-th */
        /* ensemble: the methods it combines (bit i = method i; 0: iforest, lof, knn) */
        unsigned ensemble_methods;
        int ensemble_combine; /* 0 mean, 1 max, 2 vote */
} OutlierOptions;

/* The defaults above, contamination 0.1, seed 0. */
void outlier_options_init(OutlierOptions *o);

/* ret_scores has x->n entries. -EINVAL with *reterr_msg (caller frees) for options that do
 * not fit the data (k >= n, ...), said in words. */
int outlier_score(OutlierMethod m, const Matrix *x, const OutlierOptions *o, double *ret_scores,
                  char **reterr_msg);
/* 0/1 labels from scores: the ceil(contamination * n) highest are 1 (ties broken by index). */
void outlier_labels(const double *scores, size_t n, double contamination, int *ret_labels);

const char *outlier_method_to_string(OutlierMethod m);
OutlierMethod outlier_method_from_string(const char *s);

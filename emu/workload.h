/*
 * workload: what a training job is, independent of where it runs. A workload names a dataset,
 * a model and its default hyper-parameters (lenet-mnist, lenet-fashion, textcnn-polarity,
 * lr-ctr, lr-a9a, lr-synthetic, lr-criteo). It loads the data once, turns rows into kernel batches, and
 * evaluates a model; the reference trainer (`siren train`), the function handler and the
 * coordinator all go through it, so the three compute the same thing.
 * A struct workload owns its data and scratch buffers; release with workload_close().
 */
#ifndef SIREN_WORKLOAD_H
#define SIREN_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core.h"
#include "datasets.h"
#include "kernels.h"

/* Options a user may override; zero / NULL fields take the workload's defaults. */
struct workload_opts {
    int batch;              /* mini-batch size */
    double lr;              /* learning rate */
    uint64_t seed;          /* model init, shuffling, dropout, synthetic data */
    size_t synthetic_rows;  /* --rows: training rows. lr-synthetic, lr-criteo: generated (test
                               rows are a tenth; 0 = 100,000). Images and token ids: 0 = the real
                               split, else the real rows at this count (ds_augment_make).
                               Sparse data sets refuse it. */
    int hash_bits;          /* lr-ctr / lr-synthetic: 2^k weights */
    int load_train, load_test; /* which splits to load (both when both are 0) */
    int generate;           /* lr-synthetic, lr-criteo: no training split is made here; the functions
                               generate their mini-batches' rows where they train
                               (staging_generated_batch), and the test split is at most
                               WORKLOAD_GENERATED_TEST_ROWS rows */
    const char *optimizer;  /* "sgd", "sgd-momentum", "adam" or, for LR workloads only,
                               "newton" (full-batch, see kn_lr_newton_create); borrowed */
};

#define WORKLOAD_GENERATED_TEST_ROWS 100000

struct workload_info {
    const char *name;
    const char *dataset;     /* registry name given to ds_load, or "synthetic" (lr-synthetic's
                                rows) or "synthetic-criteo" (lr-criteo's): generated */
    const char *optimizer;   /* "sgd", "sgd-momentum", "adam" or "newton" */
    int batch;               /* default mini-batch size */
    double lr;               /* default learning rate */
    double lr_decay;         /* per epoch: epoch e (from 1) trains at lr * lr_decay^(e-1) */
    int epochs;              /* default epochs for `siren train` */
    double target_loss;      /* default target (test) loss for runs that stop at a loss */
    int binary;              /* two classes: AUC and log-loss are reported */
    const char *about;       /* one line for --help */
};

/* The table of workloads, terminated by a NULL name. */
const struct workload_info *workload_list(void);
/* The workload of a name, or NULL. */
const struct workload_info *workload_find(const char *name);

struct workload {
    struct workload_info info;        /* with the options applied */
    struct workload_opts opts;
    struct ds_data train, test;       /* loaded splits (layout set when loaded) */
    struct kn_model_config model_cfg; /* max_batch = opts.batch */
    struct kn_optim_config optim_cfg;
    /* Scratch for workload_batch (sized for one batch). */
    float *images;
    int32_t *tokens, *labels;
    uint64_t *row_ptr;
    uint32_t *col;
    float *val;
    size_t col_cap;
};

/* Loads the workload's data (fetching and preparing it when needed) and fills the model and
 * optimiser configurations. Caller owns *out; release with workload_close().
 * Errors: SIREN_ENOTFOUND (unknown workload or data), SIREN_EINVAL (unknown optimizer, or
 * newton for a model other than LR), SIREN_EFORMAT, SIREN_EIO, SIREN_ENOMEM. */
int workload_open(const char *name, const struct workload_opts *opts, struct workload **out,
                  struct err *e) SIREN_WUR;
void workload_close(struct workload *w);

/* Gathers rows idx[0..n) of a split (the training split when `test` is 0) into a kernel
 * batch. The batch borrows the workload's scratch: valid until the next call.
 * n <= the workload's batch size. Errors: SIREN_ERANGE (row out of range), SIREN_ENOMEM. */
int workload_batch(struct workload *w, int test, const uint32_t *idx, int n, uint64_t seed,
                   struct kn_batch *out, struct err *e) SIREN_WUR;

struct workload_eval {
    double loss;     /* mean per-row loss */
    double accuracy; /* fraction of rows classified right */
    double auc;      /* binary workloads: area under the ROC curve; else NAN */
    size_t rows;
};

/* Evaluates params-bearing model m on a split (all rows, or the first max_rows when > 0).
 * Errors: as kn_model_eval. */
int workload_evaluate(struct workload *w, struct kn_model *m, int test, size_t max_rows,
                      struct workload_eval *out, struct err *e) SIREN_WUR;

/* 1 when the workload trains full-batch with Newton's method (optimizer "newton"): one
 * "epoch" is then one Newton step over all training rows, and lr, lr_decay and batch only
 * size the evaluation batches. */
int workload_is_newton(const struct workload *w);
/* Whether w's rows are generated from its seed (lr-synthetic, lr-criteo), and their shape
 * (enum ds_synthetic_schema). Inline: the function runtime generates rows without linking the
 * loaders of workload.c (and, through them, the fetch and HDF5 libraries). */
static inline int workload_is_generated(const struct workload *w)
{
    return !strncmp(w->info.dataset, "synthetic", 9);
}
static inline int workload_schema(const struct workload *w)
{
    return !strcmp(w->info.dataset, "synthetic-criteo") ? DS_SCHEMA_CRITEO : DS_SCHEMA_CTR;
}

/* The learning rate of epoch e (from 1): lr * lr_decay^(e-1). */
double workload_lr_at(const struct workload *w, int epoch);

/* Area under the ROC curve of scores against 0/1 labels (ties count one half), or NAN when
 * one class is absent. Allocates scratch. */
double workload_auc(const float *score, const int32_t *labels, size_t n);

#endif

/*
 * kernels_internal.h: what the files of kernels/ share and nobody else sees.
 *
 * The model object (a table of per-model functions plus the three allocations: params,
 * grads, activation arena), the SIMD clone attribute for hand-written loops (OpenBLAS picks
 * its own kernels at run time; our loops get AVX-512/AVX2 clones chosen by the loader, so
 * the binary stays portable), and small helpers.
 */
#ifndef SIREN_KERNELS_INTERNAL_H
#define SIREN_KERNELS_INTERNAL_H

#include "kernels.h"

#include <cblas.h>

#if defined(__x86_64__)
#define KN_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KN_SIMD
#endif

/* Per-model functions behind the uniform interface of kernels.h. */
struct kn_model_ops {
    /* Sizes for cfg at batch rows: parameter floats and activation-arena bytes. */
    int (*sizes)(const struct kn_model_config *cfg, int batch, size_t *n_params, size_t *act_bytes,
                 struct err *e);
    void (*init)(struct kn_model *m, uint64_t seed);
    /* Forward (+ backward when grads != NULL, which then is overwritten). Returns the mean
     * loss in *loss; eval fills the optional outputs. */
    int (*loss_grad)(struct kn_model *m, const struct kn_batch *b, float *loss, struct err *e);
    int (*train_step)(struct kn_model *m, const struct kn_batch *b, struct kn_optim *o, float *loss,
                      struct err *e);
    int (*eval)(struct kn_model *m, const struct kn_batch *b, struct kn_eval *out, float *prob1,
                struct err *e);
    double (*flops)(const struct kn_model_config *cfg);
};

struct kn_model {
    struct kn_model_config cfg;
    const struct kn_model_ops *ops;
    size_t n_params;
    float *params; /* (n_params), one allocation */
    float *grads;  /* (n_params), one allocation */
    void *act;     /* activation arena for cfg.max_batch rows, one allocation */
    size_t act_bytes;
    void *priv; /* model-specific layout (pointers into params, grads and act) */
};

extern const struct kn_model_ops kn_lr_ops;
extern const struct kn_model_ops kn_lenet_ops;
extern const struct kn_model_ops kn_textcnn_ops;

/* Rounds a byte count up to 64 (cache-line aligned carving of the arena). */
static inline size_t kn_align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Checks the batch size and labels (labels in [0, classes)). */
int kn_batch_check(const struct kn_model *m, const struct kn_batch *b, struct err *e) SIREN_WUR;

/* Uniform in [-a, a) for n floats (parameter init). */
void kn_fill_uniform(float *x, size_t n, float a, struct rng *r);

/* Optimiser steps in pieces, for models that update a dense part and sparse rows in one
 * step: kn_optim_begin counts the step once (Adam's t) and gives the step's rates; the apply
 * functions then update index ranges or lists. */
struct kn_optim_rates {
    float lr_t, eps_t;
};
void kn_optim_begin(struct kn_optim *o, struct kn_optim_rates *r);
void kn_optim_apply_range(struct kn_optim *o, const struct kn_optim_rates *r, float *params,
                          const float *grads, size_t i0, size_t i1);
void kn_optim_apply_idx(struct kn_optim *o, const struct kn_optim_rates *r, float *params,
                        const float *grads, const uint32_t *idx, size_t count);

/* Stable log(1 + e^z). */
float kn_softplus(float z);

/* Evaluation bookkeeping shared by the classifiers: from prob (n, classes) counts the rows
 * whose arg-max is the label into out->correct, and copies P(class 1) into prob1 (n) when
 * prob1 is not NULL. */
void kn_eval_tally(const float *prob, int n, int classes, const int32_t *labels,
                   struct kn_eval *out, float *prob1);

#endif

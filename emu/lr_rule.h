/*
 * lr_rule: the learning rate under data parallelism (`--lr-scale`). One update of the round
 * rules combines the work of several mini-batches: under average, n functions' local runs
 * are averaged; under the gradient rules, n functions' gradients of K mini-batches each. A
 * user expects the learning rate to grow with that effective batch (Goyal et al., "Accurate,
 * Large Minibatch SGD", 2017: linear scaling with a gradual warm-up), or with its square root
 * (the usual choice for Adam; Hoffer et al. 2017), or not at all. The factor is ramped from
 * 1 over the first warmup_epochs of the run, so that the first steps do not diverge.
 * Per-function recipe (batch, optimiser, base rate and its decay) stays the workload's.
 */
#ifndef SIREN_LR_RULE_H
#define SIREN_LR_RULE_H

#include <stddef.h>

#include "core.h"

/* The default warm-up, epochs: a quarter of the first epoch. Goyal et al. warm up over 5 of 90
 * epochs; siren's runs are a few epochs long, and a quarter epoch is the same order of their
 * length (and of the rounds average:K makes). */
#define LR_RULE_WARMUP_EPOCHS 0.25

enum lr_scale {
    LR_SCALE_NONE = 0,
    LR_SCALE_LINEAR,
    LR_SCALE_SQRT,
    LR_SCALE_AUTO, /* resolved per optimiser by lr_rule_resolve: linear for SGD (Goyal et al.
                      2017), square root for Adam (Malladi et al., "On the SDEs and Scaling
                      Rules for Adaptive Gradient Algorithms", NeurIPS 2022) */
};

struct lr_rule {
    enum lr_scale scale;
    double warmup_epochs; /* >= 0; 0: the full factor from the first step */
};

/* "none", "auto[:W]", "linear[:W]" or "sqrt[:W]" (W: warm-up epochs, default
 * LR_RULE_WARMUP_EPOCHS).
 * Errors: SIREN_EFORMAT naming the text and what is expected. */
int lr_rule_parse(const char *text, struct lr_rule *out, struct err *e) SIREN_WUR;
/* The rule as lr_rule_parse reads it ("linear:1"). */
void lr_rule_format(const struct lr_rule *r, char *buf, size_t len);
/* AUTO becomes the rule of the optimiser kind (enum kn_optim_kind: 1 SGD, 2 Adam). */
void lr_rule_resolve(struct lr_rule *r, int optim_kind);

/* The learning rate of an update that combines `factor` mini-batches' worth (>= 1), at
 * `progress` epochs into the run (epoch e runs from e - 1 to e), when one mini-batch at that
 * epoch would use lr_epoch (the workload's rate and decay). */
double lr_rule_at(const struct lr_rule *r, double lr_epoch, double factor, double progress);

#endif

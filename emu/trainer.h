/*
 * trainer: single-process reference training of a workload (`siren train`): shuffled
 * mini-batches, one optimiser step each, evaluation on the held-out split after every epoch.
 * With the optimizer "newton" (LR workloads), an epoch is instead one full-batch Newton step
 * (kn_lr_newton_step). The emulator's results are checked against it. Deterministic for a
 * seed and thread count.
 */
#ifndef SIREN_TRAINER_H
#define SIREN_TRAINER_H

#include "workload.h"

struct train_opts {
    int epochs;
    int quiet;          /* no per-epoch progress on stderr */
    int threads;        /* newton: threads of its passes (0 = 1); SGD and Adam ignore it */
    double target_loss; /* > 0: stop after the first evaluation whose test loss is <= this */
};

struct train_result {
    int epochs;
    double train_loss;         /* mean training loss over the last epoch's steps */
    struct workload_eval test; /* on the held-out split after the last epoch */
    double train_seconds;      /* time in training steps (evaluation excluded) */
    double samples_per_second; /* training samples / train_seconds */
    double seconds_to_target;  /* train_seconds when the test loss first met target_loss;
                                  NAN when it did not (or no target was set) */
    size_t params;             /* number of model parameters */
};

/* Trains a fresh model of w from w->opts.seed. Errors: from the kernels and the workload. */
int train_run(struct workload *w, const struct train_opts *o, struct train_result *out,
              struct err *e) SIREN_WUR;

#endif

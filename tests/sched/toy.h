/*
 * A toy job for the scheduler tests: no dataset, constants chosen so that epochs take a few
 * seconds on the 2019 preset and the loss model reaches its target in a handful of epochs.
 */
#ifndef SIREN_TEST_SCHED_TOY_H
#define SIREN_TEST_SCHED_TOY_H

#include "sim.h"

#include <string.h>

static inline int toy_config(struct sim_config *c, int rows, int max_epochs, double budget_usd)
{
    struct err e;
    memset(c, 0, sizeof *c);
    if (platform_load("lambda-2019", &c->platform, &e)) return -1;
    snprintf(c->job.workload, sizeof c->job.workload, "toy");
    c->job.batch = 10;
    c->job.rows = (size_t)rows;
    c->job.n_batches = ((size_t)rows + 9) / 10;
    c->job.last_batch_rows = (uint32_t)(rows - (int)(c->job.n_batches - 1) * 10);
    c->job.shard_bytes_per_sample = 3000.5;
    c->job.weight_bytes = 2.5e6; /* the shared object */
    c->job.param_bytes = 7.5e6;  /* with Adam's state */
    c->job.s_per_sample = 4e-3;
    c->job.model_bytes = 8e6;
    c->job.default_target_loss = 0.5;
    c->job.seed = 7;
    snprintf(c->loss.workload, sizeof c->loss.workload, "toy");
    snprintf(c->loss.update, sizeof c->loss.update, "overwrite"); /* the config's update 0 */
    c->loss.loss0 = 1.0;
    c->loss.loss_inf = 0.3;
    c->loss.tau_samples = 500;
    c->loss.kappa = 1.0;
    c->loss.gamma = 0.3;
    c->loss.beta = 1.0;
    c->loss.lr_decay = 1.0;
    c->budget_usd = budget_usd;
    c->max_epochs = max_epochs;
    return 0;
}

#endif

/*
 * drl: training the DRL scheduler (the paper's agent: a Gaussian policy over (n, memory),
 * trained by policy gradient) in the simulator (sim.h). The trained policy is a file that the
 * "drl:POLICY" scheduler (scheduler.h) reads. Training is deterministic for a seed (one
 * thread); sched/README.md documents the algorithm, its defaults and what they were measured
 * against.
 */
#ifndef SIREN_DRL_H
#define SIREN_DRL_H

#include <stdio.h>

#include "core.h"
#include "sim.h"

/* The DRL agent's training (drl.c): PPO (clipped surrogate, GAE) or REINFORCE with a learned
 * value baseline, Adam, in this simulator, at its budget and target; deterministic for a seed
 * (one thread). Prints a learning curve to o->curve; writes the policy file to out_path.
 * Errors: from the simulator, SIREN_EIO. */
enum sched_train_algo { SCHED_TRAIN_PPO = 0, SCHED_TRAIN_REINFORCE = 1 };
struct sched_train_opts {
    int episodes, batch_episodes;
    double lr_policy, lr_value;
    uint64_t seed;
    int print_every; /* updates between learning-curve lines (0: none) */
    FILE *curve;     /* may be NULL */
    /* > 1: each episode's budget is drawn log-uniformly from [B / spread, B x spread] (B the
     * simulator's budget), and the kept checkpoint is the best over B / spread, B and
     * B x spread; 1 or less: every episode at B. */
    double budget_spread;
    /* 1: every start from a random network (on its own stream) instead of a static action. */
    int cold_start;
    /* > 1: that many runs of episodes / starts episodes each, from the grid's action and from
     * static actions spread over n (see drl_train); the best greedy checkpoint of all wins.
     * 0 or 1: one run. */
    int starts;
    enum sched_train_algo algo;
    double gae_lambda;  /* PPO: GAE lambda (REINFORCE uses 1) */
    double ppo_clip;    /* PPO: ratio clip epsilon */
    int ppo_epochs;     /* PPO: passes over each batch (0: 4) */
    int minibatch;      /* PPO: steps per minibatch (0: 256) */
    double entropy_coef; /* entropy bonus, annealed linearly to 0 */
    /* The exploration ceiling sigma_max (action coordinates), annealed geometrically from
     * sigma_start to sigma_end over the run (0: 0.3 and 0.02). */
    double sigma_start, sigma_end;
    int greedy_every;   /* updates between greedy checkpoints (0: 5) */
};
/* The defaults of `siren sched train` (PPO; see sched/README.md). */
void sched_train_opts_default(struct sched_train_opts *o);
int sched_drl_train(struct sim *s, const struct sched_train_opts *o, const char *out_path,
                    struct err *e) SIREN_WUR;

#endif

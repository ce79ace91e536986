/*
 * Private to sched/: the DRL agent's network and policy file, shared by sched.c (the drl:
 * policy), drl.c (training) and the tests. Not installed, not included outside sched/ and
 * tests/sched/.
 */
#ifndef SIREN_SCHED_INTERNAL_H
#define SIREN_SCHED_INTERNAL_H

#include "scheduler.h"
#include "drl.h"
#include "sim.h"

/* Network sizes: 10 state features -> 32 tanh -> 32 tanh -> 4 outputs (mean of the two action
 * coordinates, then their log-std). The value baseline: 10 -> 32 tanh -> 32 tanh -> 1. */
#define DRL_IN 10
#define DRL_HIDDEN 32
#define DRL_OUT 4

/* A two-hidden-layer tanh MLP; params holds W1 (h x in), b1, W2 (h x h), b2, W3 (out x h), b3. */
struct drl_mlp {
    int in, hidden, out;
    size_t n_params;
    double *params; /* owned */
};

struct drl_cache {
    double x[DRL_IN], h1[DRL_HIDDEN], h2[DRL_HIDDEN], y[DRL_OUT];
};

int drl_mlp_init(struct drl_mlp *m, int in, int hidden, int out, struct rng *r, double out_scale,
                 struct err *e) SIREN_WUR;
void drl_mlp_free(struct drl_mlp *m);
void drl_mlp_forward(const struct drl_mlp *m, const double *x, struct drl_cache *c);
/* Adds d(loss)/d(params) for d(loss)/d(y) = dy into grad (n_params). */
void drl_mlp_backward(const struct drl_mlp *m, const struct drl_cache *c, const double *dy,
                      double *grad);

/* What a policy file holds besides the weights: the action ranges and the normalisation. */
struct drl_meta {
    char workload[64];
    double budget_usd;       /* training budget: b_t is normalised by it */
    double target_loss, loss0;
    double epoch_time_ref_s; /* P_t is squashed as P_t / (P_t + ref) */
    double jct_ref_s;        /* reward scale: r_t = -P_t / jct_ref_s */
    int max_epochs, n_max, m_min, m_max, m_step;
    uint64_t seed;
    int episodes;
};

struct drl_policy {
    struct drl_meta meta;
    struct drl_mlp net;
};

/* The normalised state (sched/README.md, "State"); state NULL = before the first epoch. */
void drl_features(const struct drl_meta *m, const struct epoch_report *state, double *x);
/* Action coordinates in [-1, 1] (clamped) -> (n, m): log-uniform between 1 and n_max, and
 * between m_min and m_max, rounded to the memory grid. */
struct sched_action drl_action_map(const struct drl_meta *m, double a_n, double a_m);
/* The inverse of drl_action_map for an action on the grid. */
void drl_action_unmap(const struct drl_meta *m, struct sched_action a, double *a_n, double *a_m);
/* How far below its (annealed) ceiling the policy may narrow its exploration. */
#define DRL_SIGMA_RANGE 4.0
/* log-std of output y[2 + i] (action coordinates, [-1, 1]) under the ceiling hi (log sigma,
 * annealed during training): hi - log(DRL_SIGMA_RANGE) (1 - tanh y) / 2; and its derivative
 * in y. */
double drl_log_std(double y, double hi);
double drl_log_std_slope(double y, double hi);

/* Policy file: JSON {"format": "siren-drl-2", meta..., "layers": [10, 32, 32, 4], "params": [...]}.
 * Errors: SIREN_ENOTFOUND, SIREN_EFORMAT naming the file (and line for JSON syntax) and key. */
int drl_policy_load(const char *path, struct drl_policy *out, struct err *e) SIREN_WUR;
int drl_policy_save(const char *path, const struct drl_policy *p, struct err *e) SIREN_WUR;
void drl_policy_free(struct drl_policy *p);

/* Trains into out (PPO or REINFORCE with a learned value baseline, Adam); see sched_drl_train. */
int drl_train(struct sim *s, const struct sched_train_opts *o, struct drl_policy *out,
              struct err *e) SIREN_WUR;

#endif

/*
 * sim: `siren sim`, the in-process environment the scheduler is trained and judged in. An
 * epoch's time and cost come from the emulator's own arithmetic (planner.h, epoch_model.h,
 * the platform preset and the calibration), with a closed-form fast path for HSP that gives
 * the planner's numbers without building the plan; the loss comes from a loss-progress model
 * fitted to emulator runs (`siren sim fit`). No MPI, no sandboxes, no training.
 * Loss model (documented in sched/README.md): under HSP with overwrite the n functions of an
 * epoch step in rounds and only the last writer's step of a round survives, so an epoch adds
 * E += batch x ceil(n_batches / n) x (1 - psi (1 - 1/n)) x lr_decay^(epoch - 1) effective
 * samples (the "rounds" form; the older "discount" form, S / (1 + gamma (n - 1)), still
 * loads), and the held-out loss
 * after E effective samples is loss_inf + (loss0 - loss_inf) (1 + (E / tau)^beta)^-kappa.
 * Ownership: struct sim is opaque (sim_open / sim_close); the other structs are caller storage.
 */
#ifndef SIREN_SIM_H
#define SIREN_SIM_H

#include "core.h"
#include "epoch_report.h"
#include "planner.h"
#include "platform.h"
#include "scheduler.h"
#include "workload.h"

#define SIM_MAX_EPOCHS 256

/* The constants of a job, exactly as the emulator stages it. */
struct sim_job {
    char workload[64];
    int batch;
    size_t rows, n_batches;
    uint32_t last_batch_rows;      /* rows of the last staged mini-batch (<= batch) */
    double shard_bytes_per_sample; /* staged bytes / rows */
    double param_bytes;            /* weights and optimiser state: a round rule's saved state */
    double weight_bytes;           /* the weights alone: the shared parameter object */
    double s_per_sample;           /* calibration: seconds per sample at one vCPU */
    double model_bytes;            /* kn_model_memory total at the batch size */
    double default_target_loss;
    uint64_t seed;
};

/* Loads the training split and stages it in memory as the emulator does (same shuffle, same
 * encoding) to measure the object sizes; nothing is trained. calibration NULL = the reference.
 * Errors: from workload_open, calibration_load, the encoders. */
int sim_job_load(const char *workload, const struct workload_opts *opts, const char *calibration,
                 struct sim_job *out, struct err *e) SIREN_WUR;

/* How an epoch of n functions turns into effective samples E (sched/README.md). */
enum sim_progress {
    SIM_PROGRESS_DISCOUNT = 0, /* E += n_batches x batch / (1 + gamma (n - 1)) */
    SIM_PROGRESS_ROUNDS = 1,   /* E += batch x ceil(n_batches / n) x (1 - psi (1 - 1/n))
                                * x lr_decay^(epoch - 1) */
    SIM_PROGRESS_PARALLEL = 2, /* the round rules, under which every function's work counts:
                                * E += n_batches x batch x lr_decay^(epoch - 1)
                                * / (1 + gamma (n - 1))^rho; gamma and rho are the rule's
                                * statistical inefficiency (gamma 0: n functions learn as one
                                * doing all the batches; gamma 1, rho 1: as one doing a share;
                                * rho > 1: large swarms fall off faster) */
};
const char *sim_progress_name(enum sim_progress p);

struct sim_loss_model {
    char workload[64];
    char update[32]; /* the update rule of the runs it was fitted to (plan_update_format);
                        files without one were fitted to overwrite runs */
    enum sim_progress progress;
    double loss0, loss_inf, tau_samples, kappa;
    double beta;  /* shape: loss_inf + (loss0 - loss_inf) (1 + (E/tau)^beta)^-kappa */
    double gamma; /* discount and parallel forms */
    double rho;   /* parallel form: E's discount is (1 + gamma (n - 1))^-rho (1 in the others) */
    double psi;   /* rounds form: the worth lost by a round's stale reads, in [0, 1) */
    double lr_decay; /* rounds form: epoch t's steps count lr_decay^(t-1) (the workload's
                      * per-epoch learning-rate decay; 1: none) */
    double rmse;  /* of the fit, in loss units */
    int points, runs;
    int dropped;  /* epochs after a run's lowest loss, left out of the fit */
};

/* Effective samples of epoch `epoch` (from 1) of n functions over n_batches mini-batches of
 * batch rows; and the learning-rate weight of that epoch alone. */
double sim_loss_effective(const struct sim_loss_model *m, size_t n_batches, int batch, int n,
                          int epoch);
double sim_loss_lr_weight(const struct sim_loss_model *m, int epoch);
/* Loss after eff effective samples. */
double sim_loss_at(const struct sim_loss_model *m, double eff);
/* Effective samples needed to reach loss target (INFINITY when target <= loss_inf). */
double sim_loss_needed(const struct sim_loss_model *m, double target);
/* Fits a model of the given progress form to the epochs.csv and summary.json of `siren run`
 * directories: a grid over the progress parameter (gamma or psi), kappa, tau and (rounds
 * form) beta, refined by Nelder-Mead; loss0 and loss_inf by least squares with
 * 0 <= loss_inf <= loss0. Unless all_epochs, each run's epochs after its lowest test loss are
 * left out (overfitting: see fit_keep_descent). Deterministic. Errors: SIREN_ENOTFOUND / SIREN_EFORMAT naming the
 * file and line; SIREN_EINVAL when the runs are of several workloads or have fewer than 3
 * epochs in all. */
int sim_loss_model_fit(const char *const *run_dirs, int n_dirs, enum sim_progress form,
                       int all_epochs, struct sim_loss_model *out, struct err *e) SIREN_WUR;
/* How a model predicts runs it may not have been fitted to. */
struct sim_loss_check {
    int epochs;
    double rmse;       /* over the run's epochs */
    double last_loss;  /* the run's loss after its last epoch */
    double last_error; /* model - run, after the last epoch */
};
/* per_run (n_dirs entries) may be NULL. Errors: as sim_loss_model_fit; SIREN_EINVAL when the
 * runs are not of the model's workload. */
int sim_loss_model_check(const struct sim_loss_model *m, const char *const *run_dirs, int n_dirs,
                         struct sim_loss_check *per_run, double *rmse, int *points,
                         struct err *e) SIREN_WUR;
int sim_loss_model_save(const char *path, const struct sim_loss_model *m, struct err *e) SIREN_WUR;
/* Reads format siren-loss-model-2, or -1 (the discount form, beta = 1). Errors:
 * SIREN_ENOTFOUND, SIREN_EFORMAT naming the file and key. */
int sim_loss_model_load(const char *path, struct sim_loss_model *out, struct err *e) SIREN_WUR;
/* The shipped model of a workload under an update rule (plan_update_format's text, ':' written
 * '-'): results/sched/models/<workload>.<rule>.json in the source tree. */
int sim_loss_model_default_path(const char *workload, const char *update, char *buf,
                                size_t len);

struct sim_config {
    struct platform platform;
    struct sim_job job;
    struct sim_loss_model loss;
    enum plan_sync sync;
    int staleness;
    enum plan_update update;
    int round_batches;    /* round rules (plan_update_parse's K) */
    enum plan_fetch fetch; /* round rules: how functions read their shares */
    enum plan_timeout on_timeout;
    enum channel_kind channel; /* --channel */
    int fixed_latency;   /* --latency fixed; else drawn from the job's seed, as the emulator */
    double budget_usd;   /* <= 0: none */
    double target_loss;  /* <= 0: the workload's default */
    int max_epochs;      /* 1..SIM_MAX_EPOCHS */
    int exact;           /* build every epoch's plan with the planner (no fast path) */
};

/* Why an episode ended. */
enum sim_stop { SIM_RUNNING = 0, SIM_TARGET, SIM_BUDGET, SIM_EPOCHS };

struct sim_result {
    int epochs;
    double jct_s, cost_usd, final_loss;
    int reached_target, within_budget;
    enum sim_stop stop;
    struct sched_action actions[SIM_MAX_EPOCHS];
};

struct sim;

/* Caller owns *out; release with sim_close(). Errors: SIREN_EINVAL (max_epochs, loss model of
 * another workload), SIREN_ENOMEM. */
int sim_open(const struct sim_config *cfg, struct sim **out, struct err *e) SIREN_WUR;
void sim_close(struct sim *s);
const struct sim_config *sim_config_of(const struct sim *s);
/* The action space: n in 1..sim_max_functions, memory on the preset's grid from
 * sim_min_memory_mb (the smallest size that holds the model with room for the runtime). */
int sim_max_functions(const struct sim *s);
int sim_min_memory_mb(const struct sim *s);
/* Clips an action onto the action space. */
struct sched_action sim_clip(const struct sim *s, struct sched_action a);
/* Changes the budget of the following episodes (<= 0: none). */
void sim_set_budget(struct sim *s, double budget_usd);
/* Starts a new episode (epoch 0, nothing spent, no warm containers). */
void sim_reset(struct sim *s);
/* Runs one epoch of the current episode with action a (clipped first). *out gets the state
 * the scheduler sees, as job_epoch would. Errors: SIREN_EINVAL from the planner. */
int sim_step(struct sim *s, struct sched_action a, struct epoch_report *out, struct err *e) SIREN_WUR;
/* SIM_RUNNING while the episode goes on (as sched_drive: stop at the target, when the cost
 * reaches the budget, or at max_epochs). */
enum sim_stop sim_stopped(const struct sim *s);
/* Runs a whole episode under policy p (its state is not reset: open a fresh policy per
 * episode for stateful ones). */
int sim_run_policy(struct sim *s, struct sched_policy *p, struct sim_result *out,
                   struct err *e) SIREN_WUR;
/* Runs a whole episode of a fixed action list (the last repeats). */
int sim_run_actions(struct sim *s, const struct sched_action *a, int n_actions,
                    struct sim_result *out, struct err *e) SIREN_WUR;

/* Baselines that search the simulator. The candidate grid: every n from 1 to 64, then a ladder
 * of x1.25 steps up to sim_max_functions; every memory size on the preset's grid from
 * sim_min_memory_mb, in steps of at least SIM_GRID_MEMORY_STEP_MB (lambda-2019's 64 MB; a
 * multiple of the preset's step). Caller owns *actions (free()). */
#define SIM_GRID_MEMORY_STEP_MB 64
int sim_action_grid(const struct sim *s, struct sched_action **actions, int *count,
                    struct err *e) SIREN_WUR;
/* grid: every static action, keeping the fastest (JCT) that reaches the target within budget
 * (when none does: the lowest final loss within budget). */
int sim_grid_search(struct sim *s, struct sim_result *best, struct err *e) SIREN_WUR;
/* bo: Bayesian optimisation over two-phase schedules (after SMLT, Ali et al. 2022: BO picks
 * the workers and memory and adapts them during training): (n1, m1) for the first k epochs,
 * then (n2, m2), with x in [0,1]^5 (n log-scaled over 1..sim_max_functions, memory linear
 * from sim_min_memory_mb to the preset's largest, k in 1..max_epochs). Objective: ln JCT of
 * the episodes that reach the target within budget, a penalty above the worst of them for
 * the others; a Gaussian process (Matern 5/2, ARD length scales by the marginal likelihood)
 * models it and expected improvement over seeded random candidates and local moves picks
 * the next schedule (sched/README.md, "Bayesian optimisation"). Deterministic: same seed,
 * same result. *best: the fastest episode that reaches the target within budget, else the
 * best by grid's rule (the lowest final loss within budget), as sim_run_actions scored it.
 * stats (may be NULL): episodes run (distinct schedules; fewer than asked only when no new
 * one is found) and how many of them were feasible. s's episode is reset. Errors:
 * SIREN_EINVAL (evaluations outside 1..SIM_BO_MAX_EVALUATIONS, initial outside
 * 1..evaluations), SIREN_ENOMEM, from the planner. */
#define SIM_BO_MAX_EVALUATIONS 2000
struct sim_bo_opts {
    int evaluations; /* simulator episodes in all (default 100) */
    int initial;     /* of them, the space-filling start: a Latin hypercube (default 20) */
    uint64_t seed;
};
void sim_bo_opts_default(struct sim_bo_opts *o);
struct sim_bo_stats {
    int evaluations; /* episodes run */
    int feasible;    /* of them, reached the target within budget */
};
int sim_bo_search(struct sim *s, const struct sim_bo_opts *o, struct sim_result *best,
                  struct sim_bo_stats *stats, struct err *e) SIREN_WUR;
/* oracle: the fastest schedule of actions from `actions` (each epoch any of them, clipped onto
 * the action space) that reaches s's target loss within its budget and max epochs, exactly as
 * sim_run_actions scores it: the same epochs (warm functions, latency draws, learning-rate
 * decay), the same stopping rule. A forward search over epochs whose labels are partial
 * schedules (time, cost, effective samples) per (epoch, last action), dropping a label that
 * another of the same (epoch, last action) is at least as good as in all three, or whose time
 * plus a lower bound on the time still needed is over the best JCT found (sched/README.md,
 * "Oracle": the bound, and why the result is the optimum). When nothing reaches the target
 * within budget, the best static action by grid's rule. stats (may be NULL) gets the search's
 * size, and bound_violations: epochs evaluated that broke a premise of the bound (0 on every
 * configuration tested; not 0, the result is the best found, not a proof). s's episode is
 * reset. Errors: SIREN_EINVAL (no actions, or the schedule found does not replay to its
 * JCT), SIREN_ENOMEM, from the planner. */
struct sim_oracle_stats {
    int actions;                /* distinct actions after clipping */
    int horizon;                /* epochs whose every action was evaluated with all warm */
    long long epochs_evaluated; /* epochs computed (each (epoch, action, warm) once) */
    long long labels;           /* partial schedules kept */
    long long bound_violations; /* see above */
    int budget_search;          /* the budget-free optimum broke the budget: searched again
                                   with cost in the labels */
};
int sim_oracle_search(struct sim *s, const struct sched_action *actions, int n_actions,
                      struct sim_result *best, struct sim_oracle_stats *stats,
                      struct err *e) SIREN_WUR;

/* Everything a command needs to build a simulator. */
struct sim_setup {
    const char *workload;
    struct workload_opts wopts;
    const char *platform;    /* NULL = lambda-2019 */
    const char *calibration; /* NULL = the reference */
    const char *loss_model;  /* NULL = the shipped model of the workload */
    enum plan_sync sync;
    int staleness;
    enum plan_update update;
    int round_batches;
    enum plan_fetch fetch;
    enum plan_timeout on_timeout;
    enum channel_kind channel;
    int fixed_latency;
    int concurrency; /* > 0: the account's concurrency limit instead of the preset's */
    double budget_usd, target_loss;
    int max_epochs, exact;
};
/* Loads the job's constants, the platform and the loss model, and opens the simulator.
 * Errors: from sim_job_load, platform_load, sim_loss_model_load, sim_open. */
int sim_open_setup(const struct sim_setup *su, struct sim **out, struct err *e) SIREN_WUR;
/* The target loss the episode stops at. */
double sim_target_loss(const struct sim *s);
/* Changes it for the following episodes (> 0). A scheduler plans against a target below the
 * real one (sched eval's and sched train's --plan-margin) so that a loss model that errs by
 * its RMSE still leaves the planned schedule reaching the real target. */
void sim_set_target_loss(struct sim *s, double target_loss);

#endif

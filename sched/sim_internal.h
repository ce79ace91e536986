/*
 * Private to the simulator's files: the state of struct sim, shared by sim.c (the environment
 * and its epochs), sim_search.c (the grid and the oracle, which step episodes and save and
 * restore them during the search) and sim_bo.c (Bayesian optimisation). sim_loss.c and
 * sim_fit.c need only sim.h. Not included outside sched/.
 */
#ifndef SIREN_SIM_INTERNAL_H
#define SIREN_SIM_INTERNAL_H

#include "sim.h"

struct sim {
    struct sim_config cfg;
    double target_loss;
    int max_n, min_memory_mb;
    /* Position, in each epoch's batch order, of the short last staged batch (-1: none). */
    int64_t short_pos[SIM_MAX_EPOCHS + 1];
    /* Episode state. */
    int epoch, prev_n, prev_memory_mb;
    double eff, total_time_s, total_cost_usd;
    enum sim_stop stop;
    struct epoch_report last;
};

/* The planner's costs of functions of memory_mb in this job (epoch_model_costs). An epoch's
 * time depends on the memory size only through them; its cost also through the GB-s price. */
void sim_epoch_costs(const struct sim *s, int memory_mb, struct plan_costs *k);

/* One epoch's time, cost and usage (rep, as sim_step fills it before the loss) for action a
 * (already on the action space) at epoch `epoch` (from 1) with n_warm of its functions warm,
 * whatever the episode's state: what sim_step computes for that epoch, bit for bit. The
 * oracle tabulates epochs with it. Errors: SIREN_EINVAL (epoch), from the planner. */
int sim_epoch_eval(const struct sim *s, int epoch, struct sched_action a, int n_warm,
                   struct epoch_report *rep, struct err *e) SIREN_WUR;

/* The episode so far as a result (epochs, JCT, cost, final loss, whether it reached the target
 * within budget, why it stopped); out->actions are left to the caller. */
void sim_result_finish(const struct sim *s, struct sim_result *out);

/* 1 if result a is better than b by the searches' rule (sim_search.c): reaching the target
 * within budget first, then faster; failing both, the lower final loss within budget. */
int sim_result_better(const struct sim_result *a, const struct sim_result *b);

#endif

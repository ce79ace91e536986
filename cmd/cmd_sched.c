/*
 * siren sched: `train` (the DRL agent, in the simulator) and `eval` (every policy in the
 * simulator at a budget, and with --emulate the schedule each took in the emulator, for the
 * simulator-vs-emulator fidelity). Each workload has a default budget and target loss (the
 * table below, documented in sched/README.md).
 */
#include "bench.h"
#include "cmd.h"
#include "drl.h"
#include "sched_eval.h"
#include "sim.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wl_default {
    const char *name;
    int batch, hash_bits;
    size_t eval_rows;
    double budget_usd, target_loss;
    int max_epochs;
};

/* Defaults: small jobs whose emulation takes seconds to minutes (see sched/README.md). */
static const struct wl_default defaults[] = {
    {"lr-ctr", 16, 16, 0, 0.03, 0.50, 30},
    {"lenet-fashion", 256, 0, 2000, 0.01, 0.40, 20},
    {"textcnn-polarity", 50, 0, 0, 0.05, 0.55, 20},
    {NULL, 0, 0, 0, 0, 0, 0},
};


/* The options of siren sched train and eval, in the order of their help. */
static const struct opt_use sched_opts[] = {
    {.id = OPT_WORKLOAD, .help = "the workload (defaults below for lr-ctr, lenet-fashion and "
                                 "textcnn-polarity)"},
    {.id = OPT_BUDGET, .def = "the workload's",
     .help = "the budget every policy plans within; train: the centre of --budget-spread"},
    {.id = OPT_TARGET_LOSS},
    {.id = OPT_MAX_EPOCHS, .def = "the workload's, else 20"},
    {.id = OPT_OUT, .arg = "POLICY|DIR",
     .help = "train: the policy file written; eval: a directory for eval.json, eval.md and the "
             "emulated runs"},
    {.id = OPT_POLICIES, .help = "eval: the policies to compare, comma-separated"},
    {.id = OPT_EMULATE, .help = "eval: replay each policy's schedule in the emulator (one "
                                "rank) and report the fidelity of the simulated JCT (needs --out)"},
    {.id = OPT_EPISODES, .help = "train: training episodes"},
    {.id = OPT_SEED, .help = "eval: the job's seed (data order, as in siren run); train: the "
                             "agent's (the job keeps seed 0)"},
    {.id = OPT_BATCH}, {.id = OPT_ROWS}, {.id = OPT_DATA}, {.id = OPT_HASH_BITS},
    {.id = OPT_CALIBRATION, .def = "results/sched/calibration.json in the source tree"},
    {.id = OPT_PLATFORM}, {.id = OPT_LATENCY}, {.id = OPT_CHANNEL}, {.id = OPT_CONCURRENCY},
    {.id = OPT_LOSS_MODEL},
    {.id = OPT_UPDATE}, {.id = OPT_FETCH},
    {.id = OPT_LR_SCALE, .help = "eval --emulate: the learning rate of an update of several "
                                 "functions' work (as siren run)"},
    {.id = OPT_EVAL_ROWS, .help = "eval --emulate: held-out rows evaluated per epoch"},
    {.id = OPT_BUDGET_SPREAD}, {.id = OPT_ALGO}, {.id = OPT_SIGMA}, {.id = OPT_COLD_START},
    {.id = OPT_STARTS}, {.id = OPT_PLAN_MARGIN},
    {.id = OPT_MATRIX, .help = "eval: the scheduler contest of a suite file (sched/README.md, "
                               "\"Contest\"); --out DIR gets each workload's cells and the "
                               "report; --workload W runs only W; --emulate replays the best "
                               "policies"},
    {.id = OPT_DRY_RUN, .help = "eval --matrix: check the suite and write the report from the "
                                "cells already in --out, running nothing"},
    {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren sched train --workload W [--budget USD] [--episodes K] --out POLICY\n"
            "       siren sched eval --workload W [--budget USD] [--policies LIST] [--emulate]\n"
            "                        [--out DIR]\n"
            "       siren sched eval --matrix SUITE --out DIR [--workload W] [--emulate]\n\n"
            "train: PPO (or --algo reinforce) in the simulator; prints a learning curve.\n"
            "eval:  runs every policy (default drl:results/sched/W.policy.json,grid,heuristic,\n"
            "       bo,model,oracle) in the simulator; --emulate replays each one's schedule in\n"
            "       the emulator (one rank) and reports the fidelity of the simulated JCT.\n"
            "       --matrix: the contest of a suite file over workloads, budgets and seeds\n"
            "       (sched/README.md, \"Contest\"; results/sched/contest.json).\n\n");
    opt_help_write(f, sched_opts, CMD_COUNT(sched_opts));
    fprintf(f, "\nDefaults: lr-ctr budget $0.03 target 0.50 batch 16 hash-bits 16 (30 epochs);\n"
               "lenet-fashion budget $0.01 target 0.40 batch 256 (20 epochs);\n"
               "textcnn-polarity budget $0.05 target 0.55 batch 50 (20 epochs).\n");
}

/* Stores one option of siren sched train or eval (opt_parse's handler). */
static int sched_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct sched_opts *o = ctx;
    /* --seed is the job's in eval and the agent's in train (see parse). */
    if (v->id == OPT_SEED) o->seed = (uint64_t)v->i;
    else if (cmd_sim_setup_opt(v, &o->su)) return SIREN_OK;
    int u = cmd_update_opt(v, &o->su, e);
    if (u) return u < 0 ? SIREN_EUSAGE : SIREN_OK;
    switch (v->id) {
    case OPT_MAX_EPOCHS: o->su.max_epochs = (int)v->i; break;
    case OPT_EPISODES: o->episodes = (int)v->i; break;
    case OPT_OUT: o->out = v->text; break;
    case OPT_POLICIES: o->policies = v->text; break;
    case OPT_EMULATE: o->emulate = 1; break;
    case OPT_EVAL_ROWS: o->eval_rows = (size_t)v->i; break;
    case OPT_BUDGET_SPREAD: o->budget_spread = v->d; break;
    case OPT_ALGO: o->reinforce = v->i == 1; break;
    case OPT_SIGMA: {
        char *end;
        o->sigma_start = strtod(v->text, &end);
        o->sigma_end = *end == ',' ? strtod(end + 1, &end) : -1;
        if (*end || !(o->sigma_start > 0) || !(o->sigma_end > 0))
            return err_set(e, SIREN_EUSAGE, "--sigma: expected START,END > 0, got '%s'", v->text);
        break;
    }
    case OPT_COLD_START: o->cold_start = 1; break;
    case OPT_STARTS: o->starts = (int)v->i; break;
    case OPT_PLAN_MARGIN: o->plan_margin = v->d; break;
    case OPT_MATRIX: o->matrix = v->text; break;
    case OPT_DRY_RUN: o->dry_run = 1; break;
    case OPT_LR_SCALE:
        o->has_lr_rule = 1;
        return lr_rule_parse(v->text, &o->lr_rule, e);
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int sched_parse(int argc, char **argv, const char *cmd, struct sched_opts *o)
{
    memset(o, 0, sizeof *o);
    o->su.update = PLAN_UPDATE_AVERAGE;
    o->episodes = 20000;
    o->plan_margin = 1.5;
    int rc = opt_parse(cmd, sched_opts, CMD_COUNT(sched_opts), argc, argv, sched_opt, o, NULL);
    if (rc != OPT_GO_ON) return rc ? rc : -1;
    int max_epochs = o->su.max_epochs;
    /* With --matrix, --workload only picks one of the suite's, each parsed on its own. */
    if (o->matrix) return 0;
    if (!o->su.workload) return opt_usage_error(cmd, "--workload is required");
    const struct wl_default *df = NULL;
    for (const struct wl_default *x = defaults; x->name; x++)
        if (!strcmp(x->name, o->su.workload)) df = x;
    if (df) {
        if (!o->su.wopts.batch) o->su.wopts.batch = df->batch;
        if (!o->su.wopts.hash_bits) o->su.wopts.hash_bits = df->hash_bits;
        if (!o->eval_rows) o->eval_rows = df->eval_rows;
        if (!(o->su.budget_usd > 0)) o->su.budget_usd = df->budget_usd;
        if (!(o->su.target_loss > 0)) o->su.target_loss = df->target_loss;
        if (!max_epochs) max_epochs = df->max_epochs;
    } else if (!(o->su.budget_usd > 0)) {
        return opt_usage_error(cmd, "%s has no default budget: give --budget", o->su.workload);
    }
    if (!o->su.calibration) {
        if (core_source_path("results/sched/calibration.json", o->calibration,
                             sizeof o->calibration))
            return opt_usage_error(cmd, "the source tree's path is too long");
        o->su.calibration = o->calibration;
    }
    o->su.max_epochs = max_epochs ? max_epochs : 20;
    /* --seed is the job's seed in eval (data order, as in siren run) and the agent's seed in
     * train, where the job keeps seed 0 so that training and evaluation see the same job. */
    if (!strcmp(cmd, "sched eval")) o->su.wopts.seed = o->seed;
    return 0;
}

/* Moves s's target down by the planning margin and returns the real target. The margin is
 * o->plan_margin RMSEs of the loss model, but at most half the way from the target to the
 * model's asymptote loss_inf: a target close to loss_inf (textcnn-polarity's 0.55 was, over an
 * earlier model's 0.540) must stay reachable in the model, or no schedule would reach it. */
static double plan_below_target(const struct sched_opts *o, struct sim *s)
{
    double target = sim_target_loss(s);
    const struct sim_loss_model *m = &sim_config_of(s)->loss;
    double margin = o->plan_margin * m->rmse, room = (target - m->loss_inf) / 2.0;
    if (margin > room) margin = room > 0 ? room : 0.0;
    sim_set_target_loss(s, target - margin);
    return target;
}

static int cmd_sched_train(int argc, char **argv)
{
    struct sched_opts o;
    int rc = sched_parse(argc, argv, "sched train", &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (!o.out) return opt_usage_error("sched train", "--out POLICY is required");
    struct sim *s;
    struct err e;
    if (sim_open_setup(&o.su, &s, &e)) return cmd_fail("sched train", &e);
    double target = plan_below_target(&o, s);
    struct sched_train_opts t;
    sched_train_opts_default(&t);
    t.episodes = o.episodes;
    t.seed = o.seed;
    t.print_every = 25;
    t.curve = stdout;
    t.budget_spread = o.budget_spread;
    t.cold_start = o.cold_start;
    if (o.starts) t.starts = o.starts;
    if (o.sigma_start > 0) {
        t.sigma_start = o.sigma_start;
        t.sigma_end = o.sigma_end;
    }
    if (o.reinforce) {
        /* One whole-batch step per batch: the rates of the REINFORCE runs of sched/README.md. */
        t.algo = SCHED_TRAIN_REINFORCE;
        t.batch_episodes = 32;
        t.lr_policy = 1e-3;
        t.lr_value = 3e-3;
    }
    printf("# %s: %s, %d episodes (%d start%s) in batches of %d, Adam lr %g (value %g), "
           "sigma %g -> %g, seed %llu, target loss %g planned as %g\n", o.su.workload,
           o.reinforce ? "REINFORCE with a value baseline" :
           "PPO (clip 0.2, GAE 0.95, 4 passes of minibatches of 256 steps)", t.episodes,
           t.starts, t.starts == 1 ? "" : "s",
           t.batch_episodes, t.lr_policy, t.lr_value, t.sigma_start, t.sigma_end,
           (unsigned long long)t.seed, target, sim_target_loss(s));
    double t0 = clock_mono_s();
    rc = sched_drl_train(s, &t, o.out, &e);
    sim_close(s);
    if (rc) return cmd_fail("sched train", &e);
    printf("trained %d episodes in %.1f s -> %s\n", o.episodes, clock_mono_s() - t0, o.out);
    return 0;
}


int sched_emulate_row(const struct sched_opts *o, const char *dir, struct sched_row *w, int idx,
                      struct err *e)
{
    char sched_path[1300], run_dir[1300], kv[1300];
    snprintf(sched_path, sizeof sched_path, "%s/schedule-%d.txt", dir, idx);
    snprintf(run_dir, sizeof run_dir, "%s/emulated-%d", dir, idx);
    snprintf(kv, sizeof kv, "file:%s/kv", run_dir);
    FILE *f = fopen(sched_path, "w");
    if (!f) return err_set(e, SIREN_EIO, "cannot create %s", sched_path);
    fprintf(f, "# %s\n", w->policy);
    for (int k = 0; k < w->plan.epochs; k++)
        fprintf(f, "%d %d\n", w->plan.actions[k].n, w->plan.actions[k].memory_mb);
    fclose(f);
    char spec[1400];
    snprintf(spec, sizeof spec, "schedule:%s", sched_path);
    struct job_config jc;
    job_config_init(&jc);
    jc.update = o->su.update;
    jc.round_batches = o->su.round_batches;
    jc.fetch = o->su.fetch;
    if (o->has_lr_rule) jc.lr_rule = o->lr_rule;
    jc.workload = o->su.workload;
    jc.wopts = o->su.wopts;
    jc.platform = o->su.platform;
    jc.channel = o->su.channel;
    jc.fixed_latency = o->su.fixed_latency;
    jc.concurrency = o->su.concurrency;
    jc.calibration = o->su.calibration;
    jc.out_dir = run_dir;
    jc.kv_url = kv;
    jc.scheduler = spec;
    jc.budget_usd = o->su.budget_usd;
    jc.target_loss = o->su.target_loss;
    jc.eval_rows = o->eval_rows;
    jc.quiet = 1;
    struct epoch_report *reps = NULL;
    int nrep = 0;
    int rc = bench_job(&jc, spec, w->plan.epochs, &reps, &nrep, e);
    if (!rc && nrep > 0) {
        w->emulated = 1;
        w->emu_jct_s = reps[nrep - 1].total_time_s;
        w->emu_cost_usd = reps[nrep - 1].total_cost_usd;
        w->emu_loss = reps[nrep - 1].test_loss;
        w->emu_reached = reps[nrep - 1].reached_target;
        w->emu_epochs = nrep;
    }
    free(reps);
    struct err ig;
    char kvdir[1300];
    snprintf(kvdir, sizeof kvdir, "%s/kv", run_dir);
    if (fs_remove_tree(kvdir, &ig)) LOG_WARN("sched", "cannot remove %s", kvdir);
    return rc;
}

/* "heuristic": the best of the heuristic's parameter grid (n0 functions first, times decay
 * per epoch, at least n1; memory m) in the simulator, named by its spec. */
static int tune_heuristic(struct sim *s, struct sched_row *w, struct err *e)
{
    static const double decays[] = {0.25, 0.5, 0.75};
    const struct sim_config *cfg = sim_config_of(s);
    int ms[4] = {sim_min_memory_mb(s), 1024, 1792, cfg->platform.memory_mb_max};
    int first = 1, rc = SIREN_OK;
    for (double n0 = 2; n0 <= sim_max_functions(s) && !rc; n0 *= 2)
        for (double n1 = 1; n1 < n0 && !rc; n1 *= 2)
            for (int di = 0; di < 3 && !rc; di++)
                for (int mi = 0; mi < 4 && !rc; mi++) {
                    char spec[128];
                    snprintf(spec, sizeof spec, "heuristic:n0=%d,n1=%d,decay=%g,m=%d", (int)n0,
                             (int)n1, decays[di], ms[mi]);
                    struct sched_policy *pol;
                    struct sim_result r;
                    if ((rc = sched_open(spec, &pol, e))) break;
                    rc = sim_run_policy(s, pol, &r, e);
                    sched_close(pol);
                    int good = r.reached_target && r.within_budget;
                    int best_good = w->plan.reached_target && w->plan.within_budget;
                    if (!rc && (first || (good && (!best_good || r.jct_s < w->plan.jct_s)) ||
                                (!good && !best_good && r.final_loss < w->plan.final_loss))) {
                        w->plan = r;
                        snprintf(w->policy, sizeof w->policy, "%s", spec);
                        first = 0;
                    }
                }
    return rc;
}

/* The planned schedule replayed in s as the emulator replays it: w->r is the schedule cut
 * where it first reaches target (or whole), and w->clock_s the simulator's clock after each
 * epoch of the whole schedule (or up to the budget) whatever the loss, its time model alone. */
static int replay(struct sim *s, struct sched_row *w, double target, double budget_usd,
                  struct err *e)
{
    const struct sim_result *plan = &w->plan;
    struct sim_result *out = &w->r;
    memset(out, 0, sizeof *out);
    out->final_loss = plan->final_loss;
    w->clocked = 0;
    sim_set_target_loss(s, DBL_MIN); /* no loss reaches it: the whole schedule runs */
    sim_reset(s);
    struct epoch_report rep;
    int rc = SIREN_OK;
    for (int k = 0; k < plan->epochs && sim_stopped(s) == SIM_RUNNING; k++) {
        if ((rc = sim_step(s, plan->actions[k], &rep, e))) break;
        w->clock_s[w->clocked++] = rep.total_time_s;
        if (out->reached_target) continue; /* cut: the emulator stops there */
        out->actions[k] = plan->actions[k];
        out->epochs = k + 1;
        out->jct_s = rep.total_time_s;
        out->cost_usd = rep.total_cost_usd;
        out->final_loss = rep.test_loss;
        out->reached_target = rep.test_loss <= target;
        out->within_budget = budget_usd <= 0 || rep.total_cost_usd <= budget_usd;
    }
    out->stop = out->reached_target ? SIM_TARGET : sim_stopped(s);
    sim_set_target_loss(s, target);
    return rc;
}


/* Row w: the oracle to `target` over the action grid and every action the rows[0..nr) took
 * (so that none of them chose from a set the oracle did not search). */
static int eval_oracle(struct sim *s, const struct sched_row *rows, int nr, double target,
                       struct sched_row *w, struct sched_oracle_run *run, struct err *e)
{
    struct sched_action *grid = NULL;
    int ng = 0, rc = sim_action_grid(s, &grid, &ng, e);
    if (rc) return rc;
    int cap = ng;
    for (int i = 0; i < nr; i++) cap += rows[i].plan.epochs;
    struct sched_action *acts = realloc(grid, (size_t)cap * sizeof *acts);
    if (!acts) {
        free(grid);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    for (int i = 0; i < nr; i++)
        for (int k = 0; k < rows[i].plan.epochs; k++) acts[ng++] = rows[i].plan.actions[k];
    memset(w, 0, sizeof *w);
    snprintf(w->policy, sizeof w->policy, "oracle");
    sim_set_target_loss(s, target);
    run->target = target;
    double t0 = clock_mono_s();
    rc = sim_oracle_search(s, acts, ng, &w->plan, &run->st, e);
    run->seconds = clock_mono_s() - t0;
    free(acts);
    if (!rc && run->st.bound_violations)
        LOG_WARN("sched", "oracle to %g: %lld epochs broke the search bound's premise; its "
                 "schedule is the best found, not a proven optimum", target,
                 run->st.bound_violations);
    return rc;
}

/* "model": model-based enumeration from the analytic time and cost model (as lambdaDNN
 * chooses a configuration: Xu et al., "lambdaDNN", 2021): every static action of the grid
 * is priced by the same job with every request at its fixed latency (the closed form, no
 * draws), and the fastest within budget is then run on the job as it is. Unlike grid, it
 * never sees the job's latency draws. */
static int model_enumerate(struct sim *s, struct sched_row *w, struct err *e)
{
    /* The same job (its staged constants, platform and loss model) at fixed latency. */
    struct sim_config cfg = *sim_config_of(s);
    cfg.fixed_latency = 1;
    struct sim *fixed;
    int rc = sim_open(&cfg, &fixed, e);
    if (rc) return rc;
    sim_set_target_loss(fixed, sim_target_loss(s));
    struct sim_result pick;
    rc = sim_grid_search(fixed, &pick, e);
    sim_close(fixed);
    if (!rc) rc = sim_run_actions(s, pick.actions, 1, &w->plan, e);
    if (!rc)
        snprintf(w->policy, sizeof w->policy, "model (static n=%d, m=%d)", pick.actions[0].n,
                 pick.actions[0].memory_mb);
    return rc;
}

/* Row w: policy spec p planned in s (see sched_eval_cell). */
static int plan_row(struct sim *s, const char *p, const char *drl_path, struct sched_row *w,
                    struct err *e)
{
    memset(w, 0, sizeof *w);
    snprintf(w->policy, sizeof w->policy, "%s", p);
    double t0 = clock_mono_s();
    int rc;
    if (!strcmp(p, "grid")) rc = sim_grid_search(s, &w->plan, e);
    else if (!strcmp(p, "heuristic")) rc = tune_heuristic(s, w, e);
    else if (!strcmp(p, "model")) rc = model_enumerate(s, w, e);
    else if (!strcmp(p, "bo")) {
        struct sim_bo_opts bo;
        sim_bo_opts_default(&bo); /* 100 episodes, its own seed: the job's draws are the sim's */
        rc = sim_bo_search(s, &bo, &w->plan, NULL, e);
    }
    else {
        char spec[1300];
        if (drl_path && !strncmp(p, "drl:", 4)) snprintf(spec, sizeof spec, "drl:%s", drl_path);
        else snprintf(spec, sizeof spec, "%s", p);
        struct sched_policy *pol;
        rc = sched_open(spec, &pol, e);
        if (!rc) rc = sim_run_policy(s, pol, &w->plan, e);
        sched_close(pol);
    }
    w->seconds = clock_mono_s() - t0;
    return rc;
}

int sched_eval_cell(const struct sched_opts *o, const char *drl_path, struct sched_cell *c,
                    struct err *e)
{
    memset(c, 0, sizeof *c);
    struct sim *s;
    int rc = sim_open_setup(&o->su, &s, e);
    if (rc) return rc;
    c->target = plan_below_target(o, s);
    c->plan_target = sim_target_loss(s);
    int want_oracle = 0;
    char list[2048];
    snprintf(list, sizeof list, "%s", o->policies);
    for (char *save, *p = strtok_r(list, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save)) {
        if (!strcmp(p, "oracle")) { /* last: it searches every action the others took */
            want_oracle = 1;
            continue;
        }
        if (c->nr == SCHED_MAX_ROWS - 2) {
            rc = err_set(e, SIREN_EUSAGE, "--policies: at most %d besides the oracle",
                         SCHED_MAX_ROWS - 2);
            break;
        }
        rc = plan_row(s, p, drl_path, &c->rows[c->nr], e);
        if (!rc) c->nr++;
    }
    if (!rc && want_oracle) {
        /* The oracle: the fastest schedule to the real target, the objective every row is
         * scored on; then, when the policies planned with a margin, the oracle of that
         * planned objective, replayed to the real target like the others. */
        struct sched_row *w = &c->rows[c->nr];
        rc = eval_oracle(s, c->rows, c->nr, c->target, w, &c->orc[c->n_orc], e);
        if (!rc) w->seconds = c->orc[c->n_orc].seconds, c->n_orc++, c->nr++;
        if (!rc && c->plan_target < c->target) {
            w = &c->rows[c->nr];
            rc = eval_oracle(s, c->rows, c->nr - 1, c->plan_target, w, &c->orc[c->n_orc], e);
            if (!rc) {
                snprintf(w->policy, sizeof w->policy, "oracle (planned with margin)");
                w->seconds = c->orc[c->n_orc].seconds;
                c->n_orc++, c->nr++;
            }
        }
        sim_set_target_loss(s, c->plan_target);
    }
    for (int i = 0; i < c->nr && !rc; i++)
        rc = replay(s, &c->rows[i], c->target, o->su.budget_usd, e);
    sim_close(s);
    if (rc) return rc;
    double oracle = NAN, oracle_plan = NAN;
    for (int i = 0; i < c->nr; i++) {
        if (!strcmp(c->rows[i].policy, "oracle")) oracle = oracle_plan = c->rows[i].r.jct_s;
        if (!strcmp(c->rows[i].policy, "oracle (planned with margin)"))
            oracle_plan = c->rows[i].plan.jct_s;
    }
    for (int i = 0; i < c->nr; i++) {
        struct sched_row *w = &c->rows[i];
        const struct sim_result *p = &w->plan, *r = &w->r;
        w->ratio = r->reached_target && r->within_budget ? r->jct_s / oracle : (double)NAN;
        /* The oracle row did not plan to the planned target: no planned ratio. */
        w->plan_ratio = p->reached_target && p->within_budget && strcmp(w->policy, "oracle")
                            ? p->jct_s / oracle_plan
                            : (double)NAN;
    }
    return SIREN_OK;
}

double sched_row_jct_error_pct(const struct sched_row *w)
{
    return w->emulated ? 100.0 * (w->r.jct_s - w->emu_jct_s) / w->emu_jct_s : (double)NAN;
}

double sched_row_cost_error_pct(const struct sched_row *w)
{
    return w->emulated ? 100.0 * (w->r.cost_usd - w->emu_cost_usd) / w->emu_cost_usd
                       : (double)NAN;
}

static void add_number_or_null(cJSON *j, const char *key, double v)
{
    if (isnan(v)) cJSON_AddNullToObject(j, key);
    else cJSON_AddNumberToObject(j, key, v);
}

cJSON *sched_row_json(const struct sched_row *w, double plan_target)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "policy", w->policy);
    cJSON_AddNumberToObject(j, "jct_s", w->r.jct_s);
    cJSON_AddNumberToObject(j, "cost_usd", w->r.cost_usd);
    cJSON_AddNumberToObject(j, "final_loss", w->r.final_loss);
    cJSON_AddBoolToObject(j, "reached_target", w->r.reached_target && w->r.within_budget);
    add_number_or_null(j, "ratio_to_oracle", w->ratio);
    cJSON_AddNumberToObject(j, "epochs", w->r.epochs);
    cJSON_AddNumberToObject(j, "plan_target_loss", plan_target);
    cJSON_AddNumberToObject(j, "planned_epochs", w->plan.epochs);
    cJSON_AddNumberToObject(j, "planned_jct_s", w->plan.jct_s);
    add_number_or_null(j, "planned_ratio_to_oracle", w->plan_ratio);
    cJSON_AddNumberToObject(j, "plan_wall_s", w->seconds);
    cJSON *sch = cJSON_AddArrayToObject(j, "schedule");
    for (int k = 0; k < w->plan.epochs; k++) {
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, cJSON_CreateNumber(w->plan.actions[k].n));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(w->plan.actions[k].memory_mb));
        cJSON_AddItemToArray(sch, a);
    }
    if (w->emulated) {
        cJSON_AddNumberToObject(j, "emu_jct_s", w->emu_jct_s);
        cJSON_AddNumberToObject(j, "emu_cost_usd", w->emu_cost_usd);
        cJSON_AddNumberToObject(j, "emu_final_loss", w->emu_loss);
        cJSON_AddBoolToObject(j, "emu_reached_target", w->emu_reached);
        cJSON_AddNumberToObject(j, "emu_epochs", w->emu_epochs);
        add_number_or_null(j, "jct_error_pct", sched_row_jct_error_pct(w));
        add_number_or_null(j, "cost_error_pct", sched_row_cost_error_pct(w));
        add_number_or_null(j, "emu_epochs_time_error_pct", sched_row_time_error_pct(w));
    }
    return j;
}

double sched_row_time_error_pct(const struct sched_row *w)
{
    if (!w->emulated || w->emu_epochs < 1 || w->emu_epochs > w->clocked) return NAN;
    return 100.0 * (w->clock_s[w->emu_epochs - 1] - w->emu_jct_s) / w->emu_jct_s;
}

static int write_eval(const struct sched_opts *o, struct sched_cell *c, struct err *e);

static int cmd_sched_eval(int argc, char **argv)
{
    struct sched_opts o;
    int rc = sched_parse(argc, argv, "sched eval", &o);
    if (rc) return rc < 0 ? 0 : rc;
    struct err e;
    if (o.matrix) {
        if (!o.out) return opt_usage_error("sched eval", "--matrix needs --out DIR");
        return sched_matrix(&o, &e) ? cmd_fail("sched eval", &e) : 0;
    }
    if (o.emulate && !o.out)
        return opt_usage_error("sched eval", "--emulate needs --out DIR (for the runs)");
    /* The default list names the committed policy as results/sched/W.policy.json (its name in
     * the tables); it is read from the source tree, wherever the command runs. */
    char deflist[1200], path[1200] = "";
    const char *drl_path = NULL;
    if (!o.policies) {
        snprintf(deflist, sizeof deflist,
                 "drl:results/sched/%s.policy.json,grid,heuristic,bo,model,oracle", o.su.workload);
        o.policies = deflist;
        char policy[1200];
        snprintf(policy, sizeof policy, "results/sched/%s.policy.json", o.su.workload);
        if (core_source_path(policy, path, sizeof path))
            return opt_usage_error("sched eval", "the source tree's path is too long");
        drl_path = path;
    }
    struct sched_cell *cell = malloc(sizeof *cell);
    if (!cell) {
        err_set(&e, SIREN_ENOMEM, "out of memory");
        return cmd_fail("sched eval", &e);
    }
    if (sched_eval_cell(&o, drl_path, cell, &e)) {
        free(cell);
        return cmd_fail("sched eval", &e);
    }
    rc = write_eval(&o, cell, &e);
    free(cell);
    return rc ? cmd_fail("sched eval", &e) : 0;
}

/* Writes one evaluation: the table on stdout, and eval.json, eval.md and the emulated runs
 * under o->out. */
static int write_eval(const struct sched_opts *o, struct sched_cell *c, struct err *e)
{
    struct sched_row *rows = c->rows;
    int nr = c->nr, n_orc = c->n_orc, rc = SIREN_OK;
    double target = c->target, plan_target = c->plan_target;
    const struct sched_oracle_run *orc = c->orc;
    const char *dir = o->out;
    if (o->out && (rc = fs_mkdir_p(o->out, e))) return rc;
    if (o->emulate) {
        int argc0 = 1;
        char *argv0[] = {"siren", NULL}, **pargv = argv0;
        bench_mpi_init(&argc0, &pargv);
        for (int i = 0; i < nr && !rc; i++) rc = sched_emulate_row(o, dir, &rows[i], i, e);
        if (rc) return rc;
    }
    static const char *cols[] = {"policy", "budget_usd", "jct_s", "cost_usd", "final_loss",
                                 "reached_target", "ratio_to_oracle", "epochs", "planned_jct_s",
                                 "planned_ratio", "emu_jct_s", "emu_cost_usd", "emu_final_loss",
                                 "emu_reached_target", "jct_error_pct", "cost_error_pct",
                                 "emu_epochs_time_error_pct"};
    struct table t;
    if (table_init(&t, o->emulate ? 17 : 10, cols))
        return err_set(e, SIREN_ENOMEM, "out of memory");
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < nr; i++) {
        const struct sched_row *w = &rows[i];
        if (table_add_row(&t)) {
            cJSON_Delete(arr);
            table_free(&t);
            return err_set(e, SIREN_ENOMEM, "out of memory");
        }
        table_setf(&t, (size_t)i, 0, "%s", w->policy);
        table_setf(&t, (size_t)i, 1, "%.4f", o->su.budget_usd);
        table_setf(&t, (size_t)i, 2, "%.3f", w->r.jct_s);
        table_setf(&t, (size_t)i, 3, "%.6f", w->r.cost_usd);
        table_setf(&t, (size_t)i, 4, "%.4f", w->r.final_loss);
        table_setf(&t, (size_t)i, 5, "%s", w->r.reached_target && w->r.within_budget ? "yes" :
                                           w->r.reached_target ? "over budget" : "no");
        if (isnan(w->ratio)) table_setf(&t, (size_t)i, 6, "-");
        else table_setf(&t, (size_t)i, 6, "%.3f", w->ratio);
        table_setf(&t, (size_t)i, 7, "%d", w->r.epochs);
        table_setf(&t, (size_t)i, 8, "%.3f", w->plan.jct_s);
        if (isnan(w->plan_ratio)) table_setf(&t, (size_t)i, 9, "-");
        else table_setf(&t, (size_t)i, 9, "%.3f", w->plan_ratio);
        cJSON *j = sched_row_json(w, plan_target);
        cJSON_AddNumberToObject(j, "budget_usd", o->su.budget_usd);
        if (o->emulate && w->emulated) {
            table_setf(&t, (size_t)i, 10, "%.3f", w->emu_jct_s);
            table_setf(&t, (size_t)i, 11, "%.6f", w->emu_cost_usd);
            table_setf(&t, (size_t)i, 12, "%.4f", w->emu_loss);
            table_setf(&t, (size_t)i, 13, "%s", w->emu_reached ? "yes" : "no");
            table_setf(&t, (size_t)i, 14, "%+.3f", sched_row_jct_error_pct(w));
            table_setf(&t, (size_t)i, 15, "%+.3f", sched_row_cost_error_pct(w));
            /* The same epochs as the emulator ran: the time model's error alone. */
            double same = sched_row_time_error_pct(w);
            if (!isnan(same)) table_setf(&t, (size_t)i, 16, "%+.3f", same);
            else table_setf(&t, (size_t)i, 16, "-");
        }
        cJSON_AddItemToArray(arr, j);
    }
    printf("<!-- siren sched eval: %s, budget $%g, target loss %g (planned as %.4f), max %d "
           "epochs, commit %s -->\n", o->su.workload, o->su.budget_usd, target, plan_target,
           o->su.max_epochs, build_commit());
    for (int k = 0; k < n_orc; k++)
        printf("<!-- oracle to %.4f: exact over %d actions (the grid and every action a row "
               "took), %lld epochs evaluated, %lld partial schedules, %.1f s%s -->\n",
               orc[k].target, orc[k].st.actions, orc[k].st.epochs_evaluated, orc[k].st.labels,
               orc[k].seconds, orc[k].st.bound_violations ? ", BOUND PREMISE BROKEN" : "");
    table_write_markdown(&t, stdout);
    if (o->out) {
        char path[1300];
        snprintf(path, sizeof path, "%s/eval.json", o->out);
        rc = json_write_file(path, arr, e);
        snprintf(path, sizeof path, "%s/eval.md", o->out);
        FILE *f = fopen(path, "w");
        if (f) {
            bench_write_header(f, "sched eval", o->su.workload);
            fprintf(f, "budget $%g, target loss %g, max %d epochs. Every policy planned its "
                    "schedule to reach %.4f (%g RMSE of the loss model below the target, at most "
                    "half the way to its asymptote); the rows are that schedule replayed to the "
                    "target (it stops there), in the simulator and, with --emulate, in the "
                    "emulator. The oracle row is the fastest schedule to the target itself "
                    "within the budget and max epochs, exact in the simulator over the action "
                    "grid and every action a row took, and ratio_to_oracle is each row's JCT "
                    "over its (rows that miss the target or the budget: -); \"oracle (planned "
                    "with margin)\" is the fastest schedule to the planned target, replayed "
                    "like the others. planned_jct_s and planned_ratio are the planned "
                    "schedule's time to the planned target and its ratio to that one's, the "
                    "objective every policy optimised.\n\n",
                    o->su.budget_usd, target, o->su.max_epochs, plan_target, o->plan_margin);
            for (int k = 0; k < n_orc; k++)
                fprintf(f, "Oracle to %.4f: %d actions, %lld epochs evaluated, %lld partial "
                        "schedules kept%s.\n\n", orc[k].target, orc[k].st.actions,
                        orc[k].st.epochs_evaluated, orc[k].st.labels,
                        orc[k].st.bound_violations ? "; the bound's premise broke, so not "
                        "proven optimal" : "");
            table_write_markdown(&t, f);
            fclose(f);
        }
    }
    cJSON_Delete(arr);
    table_free(&t);
    if (o->emulate) bench_mpi_finalize();
    return rc;
}

int cmd_sched(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "train")) return cmd_sched_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return cmd_sched_eval(argc - 1, argv + 1);
    return opt_usage_error("sched", "unknown subcommand '%s' (train, eval)", argv[1]);
}

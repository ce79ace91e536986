/*
 * The baselines that search the simulator (see sim.h): the action grid, the best static
 * action of it (grid), and the oracle: exhaustive depth-first search on small instances, else
 * a dynamic programme over cost and progress (with the epoch as a third dimension when a
 * learning-rate decay makes the order matter), then coordinate descent off the grid.
 */
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sim_action_grid(const struct sim *s, struct sched_action **actions, int *count, struct err *e)
{
    const struct platform *pf = &s->cfg.platform;
    int ns = 0, n_vals[128];
    for (double x = 1; ns < 128; x = x < 64 ? x + 1 : x * 1.25) {
        int v = (int)lround(x);
        if (ns && v <= n_vals[ns - 1]) v = n_vals[ns - 1] + 1;
        if (v >= s->max_n) {
            n_vals[ns++] = s->max_n;
            break;
        }
        n_vals[ns++] = v;
    }
    /* Memory in the preset's steps, but never finer than SIM_GRID_MEMORY_STEP_MB: today's
     * Lambda takes any size in 1 MB steps, and ten thousand sizes would only multiply the
     * searches' time (the oracle's coordinate descent still moves off this grid). */
    int step = pf->memory_mb_step;
    if (step < SIM_GRID_MEMORY_STEP_MB)
        step *= (SIM_GRID_MEMORY_STEP_MB + pf->memory_mb_step - 1) / pf->memory_mb_step;
    int nm = 0;
    for (int m = s->min_memory_mb; m <= pf->memory_mb_max; m += step) nm++;
    *actions = malloc((size_t)(ns * nm) * sizeof **actions);
    if (!*actions) return err_set(e, SIREN_ENOMEM, "out of memory");
    *count = 0;
    for (int i = 0; i < ns; i++)
        for (int m = s->min_memory_mb; m <= pf->memory_mb_max; m += step)
            (*actions)[(*count)++] = (struct sched_action){n_vals[i], m};
    return SIREN_OK;
}

/* 1 if result a is better than b: reaching the target within budget first, then faster;
 * failing both, the lower final loss within budget. */
static int result_better(const struct sim_result *a, const struct sim_result *b)
{
    int ga = a->reached_target && a->within_budget, gb = b->reached_target && b->within_budget;
    if (ga != gb) return ga > gb;
    if (ga) return a->jct_s < b->jct_s;
    if (a->within_budget != b->within_budget) return a->within_budget > b->within_budget;
    return a->final_loss < b->final_loss;
}

int sim_grid_search(struct sim *s, struct sim_result *best, struct err *e)
{
    struct sched_action *grid;
    int ng, rc = sim_action_grid(s, &grid, &ng, e);
    if (rc) return rc;
    struct sim_result r;
    memset(best, 0, sizeof *best);
    for (int i = 0; i < ng && !rc; i++) {
        rc = sim_run_actions(s, &grid[i], 1, &r, e);
        if (!rc && (i == 0 || result_better(&r, best))) *best = r;
    }
    free(grid);
    return rc;
}

struct dfs_ctx {
    const struct sched_action *grid;
    int ng;
    struct sched_action seq[SIM_MAX_EPOCHS];
    struct sim_result best;
    int found;
};

static int oracle_dfs(struct sim *s, struct dfs_ctx *c, struct err *e)
{
    for (int i = 0; i < c->ng; i++) {
        struct sim saved = *s;
        struct epoch_report rep;
        int rc = sim_step(s, c->grid[i], &rep, e);
        if (rc) return rc;
        c->seq[s->epoch - 1] = sim_clip(s, c->grid[i]);
        if (!c->found || s->total_time_s < c->best.jct_s) {
            if (s->stop == SIM_RUNNING) {
                if ((rc = oracle_dfs(s, c, e))) return rc;
            } else {
                struct sim_result r;
                memset(&r, 0, sizeof r);
                sim_result_finish(s, &r);
                if (r.reached_target && r.within_budget) {
                    memcpy(r.actions, c->seq, sizeof r.actions);
                    c->best = r;
                    c->found = 1;
                }
            }
        }
        *s = saved;
    }
    return SIREN_OK;
}

/* Each action's steady epoch, as the dynamic programmes price it: the time and cost of its
 * second epoch in a row (its containers warm), and the largest of those costs. Leaves s reset. */
static int oracle_warm_epochs(struct sim *s, const struct sched_action *grid, int ng, double *tau,
                              double *cost, double *max_cost, struct err *e)
{
    int rc = SIREN_OK;
    *max_cost = 0;
    for (int i = 0; i < ng && !rc; i++) {
        struct epoch_report rep;
        sim_reset(s);
        rc = sim_step(s, grid[i], &rep, e);
        if (!rc) rc = sim_step(s, grid[i], &rep, e);
        if (rc) break;
        tau[i] = rep.time_s;
        cost[i] = rep.cost_usd;
        if (cost[i] > *max_cost) *max_cost = cost[i];
    }
    sim_reset(s);
    return rc;
}

/* The dynamic programme: dp[c][p] = least time to gain at least p progress units spending at
 * most c cost units; actions at their steady (warm) epoch time and cost. */
static int oracle_dp(struct sim *s, const struct sched_action *grid, int ng,
                     struct sched_action *seq, int *n_seq, struct err *e)
{
    enum { CB = 400, PB = 400 };
    const struct sim_config *cfg = &s->cfg;
    double need = sim_loss_needed(&cfg->loss, s->target_loss);
    *n_seq = 0;
    if (!isfinite(need)) return SIREN_OK;
    double *tau = malloc((size_t)ng * sizeof *tau), *cost = malloc((size_t)ng * sizeof *cost);
    int *ca = malloc((size_t)ng * sizeof *ca), *pa = malloc((size_t)ng * sizeof *pa);
    double *dp = malloc((size_t)(CB + 1) * (PB + 1) * sizeof *dp);
    int *ep = malloc((size_t)(CB + 1) * (PB + 1) * sizeof *ep);
    int *ch = malloc((size_t)(CB + 1) * (PB + 1) * sizeof *ch);
    int rc = SIREN_OK;
    if (!tau || !cost || !ca || !pa || !dp || !ep || !ch) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    double max_cost;
    if ((rc = oracle_warm_epochs(s, grid, ng, tau, cost, &max_cost, e))) goto out;
    double budget = cfg->budget_usd > 0 ? cfg->budget_usd : max_cost * cfg->max_epochs;
    double dc = budget / CB, dpu = need / PB;
    for (int i = 0; i < ng; i++) {
        ca[i] = (int)ceil(cost[i] / dc);
        if (ca[i] < 1) ca[i] = 1;
        pa[i] = (int)floor(sim_loss_effective(&cfg->loss, cfg->job.n_batches, cfg->job.batch,
                                                grid[i].n, 1) / dpu);
    }
    for (int c = 0; c <= CB; c++)
        for (int p = 0; p <= PB; p++) {
            size_t at = (size_t)c * (PB + 1) + p;
            dp[at] = p == 0 ? 0 : (double)INFINITY;
            ep[at] = 0;
            ch[at] = -1;
            if (p == 0) continue;
            for (int i = 0; i < ng; i++) {
                if (ca[i] > c || pa[i] == 0) continue;
                int pp = p - pa[i] > 0 ? p - pa[i] : 0;
                size_t from = (size_t)(c - ca[i]) * (PB + 1) + pp;
                if (!isfinite(dp[from]) || ep[from] + 1 > cfg->max_epochs) continue;
                double t = dp[from] + tau[i];
                if (t < dp[at]) {
                    dp[at] = t;
                    ep[at] = ep[from] + 1;
                    ch[at] = i;
                }
            }
        }
    int c = CB, p = PB;
    while (p > 0 && ch[(size_t)c * (PB + 1) + p] >= 0) {
        int i = ch[(size_t)c * (PB + 1) + p];
        seq[(*n_seq)++] = grid[i];
        c -= ca[i];
        p = p - pa[i] > 0 ? p - pa[i] : 0;
    }
    /* Many functions first, then fewer (the order does not change the model's loss, and equal
     * actions side by side keep containers warm). */
    for (int i = 1; i < *n_seq; i++)
        for (int j = i; j > 0 && (seq[j].n > seq[j - 1].n ||
                                  (seq[j].n == seq[j - 1].n && seq[j].memory_mb > seq[j - 1].memory_mb)); j--) {
            struct sched_action t = seq[j];
            seq[j] = seq[j - 1];
            seq[j - 1] = t;
        }
out:
    free(tau);
    free(cost);
    free(ca);
    free(pa);
    free(dp);
    free(ep);
    free(ch);
    return rc;
}

/* The actions not dominated in (time, cost, progress): no other is at least as good in all
 * three and better in one (of equal ones, the first is kept). Writes their indices into keep;
 * returns how many. */
static int oracle_undominated(const double *tau, const double *cost, const double *prog, int ng,
                              int *keep)
{
    int nk = 0;
    for (int i = 0; i < ng; i++) {
        int dominated = 0;
        for (int j = 0; j < ng && !dominated; j++)
            dominated = j != i && tau[j] <= tau[i] && cost[j] <= cost[i] && prog[j] >= prog[i] &&
                        (tau[j] < tau[i] || cost[j] < cost[i] || prog[j] > prog[i] || j < i);
        if (!dominated) keep[nk++] = i;
    }
    return nk;
}

/* The table of oracle_dp_epochs: per epoch t in 0..T, for (cost units c, progress units p)
 * of DPE_CB x DPE_PB, the least time to reach that cell at the end of epoch t (dp), the kept
 * action that did (ch) and the progress it came from (pp). */
enum { DPE_CB = 300, DPE_PB = 300 };
#define DPE_CELLS ((size_t)(DPE_CB + 1) * (DPE_PB + 1))
struct dp_epochs {
    int T, nk;
    const int *keep, *ca;     /* the kept actions' grid indices and their cost units */
    const double *tau, *prog; /* by grid index: steady epoch time; effective samples at epoch 1 */
    double dpu;               /* effective samples per progress unit */
    double *dp;
    int *ch;
    short *pp;
};

/* Fills the table forward over the epochs; each action's progress at epoch t weighted by the
 * learning rate of t. States no faster than the best finished schedule are not expanded. The
 * best finished schedule ends at epoch *best_t (-1: none reaches the target) in cost cell
 * *best_c. */
static void dp_epochs_forward(const struct sim_loss_model *lm, struct dp_epochs *d, int *best_t,
                              int *best_c)
{
    for (size_t i = 0; i < (size_t)(d->T + 1) * DPE_CELLS; i++) d->dp[i] = (double)INFINITY;
    d->dp[0] = 0;
    double best = INFINITY;
    *best_t = *best_c = -1;
    for (int t = 0; t < d->T; t++) {
        double w = sim_loss_lr_weight(lm, t + 1);
        const double *cur = d->dp + (size_t)t * DPE_CELLS;
        double *nxt = d->dp + (size_t)(t + 1) * DPE_CELLS;
        int *nch = d->ch + (size_t)(t + 1) * DPE_CELLS;
        short *npp = d->pp + (size_t)(t + 1) * DPE_CELLS;
        for (int c = 0; c <= DPE_CB; c++)
            for (int p = 0; p < DPE_PB; p++) {
                double t0 = cur[(size_t)c * (DPE_PB + 1) + p];
                if (!(t0 < best)) continue;
                for (int k = 0; k < d->nk; k++) {
                    int c2 = c + d->ca[k];
                    if (c2 > DPE_CB) continue;
                    int i = d->keep[k], p2 = p + (int)floor(d->prog[i] * w / d->dpu);
                    if (p2 > DPE_PB) p2 = DPE_PB;
                    double t2 = t0 + d->tau[i];
                    size_t at = (size_t)c2 * (DPE_PB + 1) + p2;
                    if (t2 < nxt[at]) {
                        nxt[at] = t2;
                        nch[at] = k;
                        npp[at] = (short)p;
                        if (p2 == DPE_PB && t2 < best) {
                            best = t2;
                            *best_t = t + 1;
                            *best_c = c2;
                        }
                    }
                }
            }
    }
}

/* The schedule of the table's best finished state (epoch best_t, cost cell best_c, all the
 * progress), backwards from its last epoch. */
static void dp_epochs_schedule(const struct dp_epochs *d, const struct sched_action *grid,
                               int best_t, int best_c, struct sched_action *seq)
{
    int c = best_c, p = DPE_PB;
    for (int t = best_t; t > 0; t--) {
        size_t at = (size_t)t * DPE_CELLS + (size_t)c * (DPE_PB + 1) + p;
        int k = d->ch[at];
        seq[t - 1] = grid[d->keep[k]];
        p = d->pp[at];
        c -= d->ca[k];
    }
}

/* The dynamic programme when progress depends on the epoch (a learning-rate decay): state
 * (epoch t, cost units c, progress units p), value the least time; forward over t, each
 * action's progress at epoch t weighted by the learning rate. Actions dominated in (time,
 * cost, progress) are dropped first; states no faster than the best finished schedule are not
 * expanded. Cost rounded up and progress down, as in oracle_dp. */
static int oracle_dp_epochs(struct sim *s, const struct sched_action *grid, int ng,
                            struct sched_action *seq, int *n_seq, struct err *e)
{
    const struct sim_config *cfg = &s->cfg;
    const int T = cfg->max_epochs;
    double need = sim_loss_needed(&cfg->loss, s->target_loss);
    *n_seq = 0;
    if (!isfinite(need)) return SIREN_OK;
    double *tau = malloc((size_t)ng * sizeof *tau), *cost = malloc((size_t)ng * sizeof *cost),
           *prog = malloc((size_t)ng * sizeof *prog);
    int *keep = malloc((size_t)ng * sizeof *keep), *ca = malloc((size_t)ng * sizeof *ca);
    struct dp_epochs d = {.T = T, .keep = keep, .ca = ca, .tau = tau, .prog = prog};
    d.dp = malloc((size_t)(T + 1) * DPE_CELLS * sizeof *d.dp);
    d.ch = malloc((size_t)(T + 1) * DPE_CELLS * sizeof *d.ch);
    d.pp = malloc((size_t)(T + 1) * DPE_CELLS * sizeof *d.pp);
    int rc = SIREN_OK;
    if (!tau || !cost || !prog || !keep || !ca || !d.dp || !d.ch || !d.pp) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    double max_cost;
    if ((rc = oracle_warm_epochs(s, grid, ng, tau, cost, &max_cost, e))) goto out;
    for (int i = 0; i < ng; i++)
        prog[i] = sim_loss_effective(&cfg->loss, cfg->job.n_batches, cfg->job.batch, grid[i].n, 1);
    d.nk = oracle_undominated(tau, cost, prog, ng, keep);
    double budget = cfg->budget_usd > 0 ? cfg->budget_usd : max_cost * T;
    double dc = budget / DPE_CB;
    d.dpu = need / DPE_PB;
    for (int k = 0; k < d.nk; k++) {
        ca[k] = (int)ceil(cost[keep[k]] / dc);
        if (ca[k] < 1) ca[k] = 1;
    }
    int best_t, best_c;
    dp_epochs_forward(&cfg->loss, &d, &best_t, &best_c);
    if (best_t > 0) {
        dp_epochs_schedule(&d, grid, best_t, best_c, seq);
        *n_seq = best_t;
    }
out:
    free(tau);
    free(cost);
    free(prog);
    free(keep);
    free(ca);
    free(d.dp);
    free(d.ch);
    free(d.pp);
    return rc;
}

/* Coordinate descent off the grid: each epoch's n and memory moved a little at a time while
 * the whole schedule, re-simulated, gets better. */
static int oracle_refine(struct sim *s, struct sim_result *best, struct err *e)
{
    const int step = s->cfg.platform.memory_mb_step;
    for (int pass = 0; pass < 6; pass++) {
        int improved = 0;
        for (int i = 0; i < best->epochs; i++)
            for (int dn = -4; dn <= 4; dn++)
                for (int dm = -3; dm <= 3; dm++) {
                    if (!dn && !dm) continue;
                    struct sched_action seq[SIM_MAX_EPOCHS];
                    int len = best->epochs;
                    memcpy(seq, best->actions, (size_t)len * sizeof *seq);
                    int n = seq[i].n, dnn = abs(dn) <= 2 ? dn : (dn > 0 ? 1 : -1) * (n / 4 + 1);
                    seq[i].n = n + dnn;
                    seq[i].memory_mb += dm * step;
                    if (seq[i].n < 1 || seq[i].n > s->max_n || seq[i].memory_mb < s->min_memory_mb ||
                        seq[i].memory_mb > s->cfg.platform.memory_mb_max)
                        continue;
                    struct sim_result r;
                    int rc = sim_run_actions(s, seq, len, &r, e);
                    if (rc) return rc;
                    if (result_better(&r, best)) {
                        *best = r;
                        improved = 1;
                    }
                }
        if (!improved) break;
    }
    return SIREN_OK;
}

int sim_oracle_search(struct sim *s, const struct sched_action *grid, int n_grid,
                      double exhaustive_limit, struct sim_result *best, struct err *e)
{
    /* The best static action of the grid first: the oracle is never worse than grid. */
    int rc = SIREN_OK;
    struct sim_result r;
    for (int i = 0; i < n_grid && !rc; i++) {
        rc = sim_run_actions(s, &grid[i], 1, &r, e);
        if (!rc && (i == 0 || result_better(&r, best))) *best = r;
    }
    if (rc) return rc;
    double space = pow((double)n_grid, (double)s->cfg.max_epochs);
    if (space <= exhaustive_limit) {
        struct dfs_ctx *c = calloc(1, sizeof *c);
        if (!c) return err_set(e, SIREN_ENOMEM, "out of memory");
        c->grid = grid;
        c->ng = n_grid;
        sim_reset(s);
        rc = oracle_dfs(s, c, e);
        if (!rc && c->found && result_better(&c->best, best)) *best = c->best;
        free(c);
        sim_reset(s);
        return rc;
    }
    struct sched_action seq[SIM_MAX_EPOCHS];
    int n_seq;
    int order_free = s->cfg.loss.progress == SIM_PROGRESS_DISCOUNT ||
                     sim_loss_lr_weight(&s->cfg.loss, 2) == 1.0;
    if ((rc = order_free ? oracle_dp(s, grid, n_grid, seq, &n_seq, e)
                         : oracle_dp_epochs(s, grid, n_grid, seq, &n_seq, e)))
        return rc;
    if (n_seq > 0) {
        if ((rc = sim_run_actions(s, seq, n_seq, &r, e))) return rc;
        if (result_better(&r, best)) *best = r;
    }
    return oracle_refine(s, best, e);
}

/*
 * The baselines that search the simulator (see sim.h): the action grid, the best static
 * action of it (grid), and the oracle: the fastest schedule over an action set that reaches
 * the target within budget, found by a forward search over epochs with labels (time, cost,
 * progress) per (epoch, last action), dominance between labels and a lower bound on the time
 * still needed (sched/README.md, "Oracle", gives the argument that it is exact).
 */
#include "sim_internal.h"

#include "epoch_model.h"

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

int sim_result_better(const struct sim_result *a, const struct sim_result *b)
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
        if (!rc && (i == 0 || sim_result_better(&r, best))) *best = r;
    }
    free(grid);
    return rc;
}

/* ------------------------------------------------------------------ oracle */

/* A partial schedule is dropped only when its lower bound exceeds the best JCT by more than
 * this relative amount, so that sums rounded in another order never drop the optimum. */
#define ORACLE_SLACK 1e-12
/* Progress units of the lower bound's table (oracle_bound_table). */
#define ORACLE_UNITS 1024

/* One evaluated epoch of an action: w functions warm, its time and cost. */
struct oracle_entry {
    int w;
    double time_s, cost_usd;
};

/* The evaluated epochs of one (epoch, action). */
struct oracle_memo {
    struct oracle_entry *v;
    int n, cap;
};

/* A partial schedule after its last epoch: the totals as sim_step sums them, that epoch's
 * action (index into the action set; -1 before the first epoch), the label it extends in
 * the previous layer, and the next label of the same action in this layer. */
struct oracle_label {
    double time_s, cost_usd, eff;
    int a, parent, next, dead;
};

/* The labels after one epoch, chained per action. */
struct oracle_layer {
    struct oracle_label *v;
    int n, cap;
    int *head;
    int ignore_cost; /* no budget: cost does not tell labels apart, and labels are chained
                        by their action's rep (see oracle_insert) */
};

struct oracle {
    struct sim *s;
    struct sched_action *act; /* the distinct actions, on the action space */
    int *rep; /* per action: the first action of the same n whose memory gives the planner the
                 same costs (plan_costs bit for bit), so its epochs take the same time */
    int na, T;
    double target, budget, need_lb, unit, driver_s;
    struct oracle_memo *memo; /* [(T + 1) x na] */
    double *lo;               /* [(T + 1) x na]: no epoch t of action a is faster than this */
    double *prog;             /* [(T + 1) x na]: effective samples of epoch t of action a */
    double *pmax;             /* [T + 1]: the most of any action at epoch t */
    int horizon;              /* epochs 1..horizon have lo */
    double *L;                /* [(T + 1) x (ORACLE_UNITS + 1)]: oracle_bound_table */
    struct oracle_layer *layers; /* [T + 1] */
    struct sim_oracle_stats st;
};

/* Epoch t of action a with w warm functions, evaluated once (sim_epoch_eval). */
static int oracle_epoch(struct oracle *o, int t, int a, int w, double *time_s, double *cost_usd,
                        struct err *e)
{
    /* Without a budget only the time counts, and the rep's is the same. */
    if (o->budget <= 0) a = o->rep[a];
    struct oracle_memo *m = &o->memo[(size_t)t * o->na + a];
    for (int i = 0; i < m->n; i++)
        if (m->v[i].w == w) {
            *time_s = m->v[i].time_s;
            *cost_usd = m->v[i].cost_usd;
            return SIREN_OK;
        }
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 2;
        struct oracle_entry *v = realloc(m->v, (size_t)cap * sizeof *v);
        if (!v) return err_set(e, SIREN_ENOMEM, "out of memory");
        m->v = v;
        m->cap = cap;
    }
    struct epoch_report rep;
    int rc = sim_epoch_eval(o->s, t, o->act[a], w, &rep, e);
    if (rc) return rc;
    o->st.epochs_evaluated++;
    m->v[m->n++] = (struct oracle_entry){w, rep.time_s, rep.cost_usd};
    *time_s = rep.time_s;
    *cost_usd = rep.cost_usd;
    /* The bound's premises, checked on every epoch evaluated: no epoch is shorter than the
     * driver's step, nor than the same action's epoch with every function warm. */
    double floor = t <= o->horizon ? o->lo[(size_t)t * o->na + a] : o->driver_s;
    if (rep.time_s < floor * (1 - ORACLE_SLACK) || rep.time_s < o->driver_s * (1 - ORACLE_SLACK))
        o->st.bound_violations++;
    return SIREN_OK;
}

/* Progress units that surely cover eff effective samples of progress (rounded up). */
static int oracle_units_up(const struct oracle *o, double eff)
{
    if (!(eff > 0)) return 0;
    double u = ceil(eff / o->unit * (1 + ORACLE_SLACK));
    return u >= ORACLE_UNITS ? ORACLE_UNITS : (int)u;
}

/* The lower bound on the time still needed after epoch t with eff effective samples. */
static double oracle_bound(const struct oracle *o, int t, double eff)
{
    double r = o->need_lb - eff;
    int q = 0;
    if (r > 0) {
        double u = ceil(r / o->unit * (1 - ORACLE_SLACK));
        q = u >= ORACLE_UNITS ? ORACLE_UNITS : u < 0 ? 0 : (int)u;
    }
    return o->L[(size_t)t * (ORACLE_UNITS + 1) + q];
}

/* Time ascending, then progress descending. */
static int cmp_item_time(const void *x, const void *y)
{
    const double *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] < b[1]) - (a[1] > b[1]);
}

/* L[t][q]: the least time of epochs t+1.. that gains q progress units, every epoch priced at
 * its lower bound (lo within the horizon, the driver's step beyond) and credited with its
 * progress rounded up (beyond the horizon: the most any action gains). Every schedule that
 * reaches the target from a label takes at least L[t][units still needed]. */
static int oracle_bound_table(struct oracle *o, struct err *e)
{
    const int Q = ORACLE_UNITS, T = o->T;
    double *items = malloc((size_t)(o->na + 1) * 2 * sizeof *items);
    if (!items) return err_set(e, SIREN_ENOMEM, "out of memory");
    double *L = o->L;
    for (int q = 0; q <= Q; q++) L[(size_t)T * (Q + 1) + q] = q ? (double)INFINITY : 0.0;
    for (int t = T - 1; t >= 0; t--) {
        int ep = t + 1, ni = 0;
        if (ep <= o->horizon) {
            for (int a = 0; a < o->na; a++) {
                items[2 * ni] = o->lo[(size_t)ep * o->na + a];
                items[2 * ni + 1] = oracle_units_up(o, o->prog[(size_t)ep * o->na + a]);
                ni++;
            }
            /* Only the actions no other beats in both time and progress matter. */
            qsort(items, (size_t)ni, 2 * sizeof *items, cmp_item_time);
            int nk = 0;
            double best_u = -1;
            for (int i = 0; i < ni; i++)
                if (items[2 * i + 1] > best_u) {
                    best_u = items[2 * i + 1];
                    items[2 * nk] = items[2 * i];
                    items[2 * nk + 1] = items[2 * i + 1];
                    nk++;
                }
            ni = nk;
        } else {
            items[0] = o->driver_s;
            items[1] = oracle_units_up(o, o->pmax[ep]);
            ni = 1;
        }
        const double *next = L + (size_t)(t + 1) * (Q + 1);
        double *cur = L + (size_t)t * (Q + 1);
        for (int q = 0; q <= Q; q++) {
            double best = q ? (double)INFINITY : 0.0;
            for (int i = 0; i < ni; i++) {
                int q2 = q - (int)items[2 * i + 1];
                double v = items[2 * i] + next[q2 > 0 ? q2 : 0];
                if (v < best) best = v;
            }
            cur[q] = best;
        }
    }
    free(items);
    return SIREN_OK;
}

/* Extends the lower bounds lo to epochs up to h: epoch 1 of an action is always cold, so its
 * bound is its epoch; a later epoch's is its epoch with all n functions warm. */
static int oracle_extend(struct oracle *o, int h, struct err *e)
{
    if (h > o->T) h = o->T;
    if (h <= o->horizon) return SIREN_OK;
    for (int t = o->horizon + 1; t <= h; t++) {
        for (int a = 0; a < o->na; a++) {
            double time_s = o->lo[(size_t)t * o->na + o->rep[a]], cost_usd;
            if (o->rep[a] == a) {
                int rc = oracle_epoch(o, t, a, t == 1 ? 0 : o->act[a].n, &time_s, &cost_usd, e);
                if (rc) return rc;
            }
            o->lo[(size_t)t * o->na + a] = time_s;
        }
        o->horizon = t;
        o->st.horizon = t;
    }
    return oracle_bound_table(o, e);
}

/* Adds a label to layer ly unless one of the same action is at least as good in time, cost
 * and progress; the ones it beats so are dropped. Without a budget, one of the same n at a
 * memory size of the same planner costs (key: the action's rep) is as good as one of the
 * same action: exchanging the two memory sizes throughout any continuation keeps which
 * functions are warm and every epoch's time. *at gets its index, or -1. */
static int oracle_insert(struct oracle_layer *ly, int a, int key, double time_s, double cost_usd,
                         double eff, int parent, int *at, struct err *e)
{
    *at = -1;
    if (ly->ignore_cost) cost_usd = 0;
    else key = a;
    for (int j = ly->head[key]; j >= 0; j = ly->v[j].next) {
        const struct oracle_label *x = &ly->v[j];
        if (!x->dead && x->time_s <= time_s && x->cost_usd <= cost_usd && x->eff >= eff)
            return SIREN_OK;
    }
    for (int j = ly->head[key]; j >= 0; j = ly->v[j].next) {
        struct oracle_label *x = &ly->v[j];
        if (time_s <= x->time_s && cost_usd <= x->cost_usd && eff >= x->eff) x->dead = 1;
    }
    if (ly->n == ly->cap) {
        int cap = ly->cap ? 2 * ly->cap : 64;
        struct oracle_label *v = realloc(ly->v, (size_t)cap * sizeof *v);
        if (!v) return err_set(e, SIREN_ENOMEM, "out of memory");
        ly->v = v;
        ly->cap = cap;
    }
    ly->v[ly->n] = (struct oracle_label){.time_s = time_s, .cost_usd = cost_usd, .eff = eff,
                                         .a = a, .parent = parent, .next = ly->head[key]};
    ly->head[key] = *at = ly->n++;
    return SIREN_OK;
}

static int cmp_action(const void *x, const void *y)
{
    const struct sched_action *a = x, *b = y;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    return (a->memory_mb > b->memory_mb) - (a->memory_mb < b->memory_mb);
}

/* The best schedule's end: layer, label it extends, and its last action. */
struct oracle_best {
    double jct_s;
    int t, parent, a;
};

/* The labels still to extend, least bound first (a binary heap): key is the label's time
 * plus the bound on the time it still needs when it was pushed. */
struct oracle_open {
    double key;
    int t, i;
};

struct oracle_heap {
    struct oracle_open *v;
    size_t n, cap;
};

static int heap_push(struct oracle_heap *h, struct oracle_open x, struct err *e)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        struct oracle_open *v = realloc(h->v, cap * sizeof *v);
        if (!v) return err_set(e, SIREN_ENOMEM, "out of memory");
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && x.key < h->v[(i - 1) / 2].key) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
    return SIREN_OK;
}

static struct oracle_open heap_pop(struct oracle_heap *h)
{
    struct oracle_open top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->v[c + 1].key < h->v[c].key) c++;
        if (!(h->v[c].key < last.key)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

/* Extends label i of layer t by every action: a schedule that reaches the target within
 * budget faster than the best so far becomes the best, the others go to layer t + 1 (and
 * the heap) unless their bound or a label of the same action rules them out. */
static int oracle_expand(struct oracle *o, int t, int i, struct oracle_best *b,
                         struct oracle_heap *h, struct err *e)
{
    const struct oracle_label x = o->layers[t].v[i];
    const struct sim_loss_model *lm = &o->s->cfg.loss;
    const double *prog = o->prog + (size_t)(t + 1) * o->na, *lo = o->lo + (size_t)(t + 1) * o->na;
    int rc = SIREN_OK;
    for (int a = 0; a < o->na && !rc; a++) {
        double eff = x.eff + prog[a];
        int reached = sim_loss_at(lm, eff) <= o->target;
        double rest = reached ? 0.0 : oracle_bound(o, t + 1, eff);
        if (x.time_s + lo[a] + rest > b->jct_s * (1 + ORACLE_SLACK)) continue;
        int w = x.a < 0 ? 0 : epoch_model_warm(o->act[a].n, o->act[a].memory_mb,
                                               o->act[x.a].n, o->act[x.a].memory_mb);
        double dt, dc;
        if ((rc = oracle_epoch(o, t + 1, a, w, &dt, &dc, e))) break;
        double time_s = x.time_s + dt, cost_usd = x.cost_usd + dc;
        if (reached) {
            if ((o->budget <= 0 || cost_usd <= o->budget) && time_s < b->jct_s)
                *b = (struct oracle_best){time_s, t + 1, i, a};
            continue;
        }
        if (o->budget > 0 && cost_usd >= o->budget) continue; /* sched_drive stops here */
        if (t + 1 >= o->T || time_s + rest > b->jct_s * (1 + ORACLE_SLACK)) continue;
        int at;
        if ((rc = oracle_insert(&o->layers[t + 1], a, o->rep[a], time_s, cost_usd, eff, i, &at, e)))
            break;
        if (at >= 0) {
            o->st.labels++;
            rc = heap_push(h, (struct oracle_open){time_s + rest, t + 1, at}, e);
        }
    }
    return rc;
}

/* Epochs after t that a label with eff effective samples needs at the least (each gaining the
 * most any action gains at it), at least 1. */
static int oracle_epochs_needed(const struct oracle *o, int t, double eff)
{
    int k = 0;
    while (eff < o->need_lb && t + k < o->T) eff += o->pmax[t + ++k];
    return k > 0 ? k : 1;
}

static void oracle_free(struct oracle *o)
{
    if (o->memo)
        for (size_t i = 0; i < (size_t)(o->T + 1) * o->na; i++) free(o->memo[i].v);
    if (o->layers)
        for (int t = 0; t <= o->T; t++) {
            free(o->layers[t].v);
            free(o->layers[t].head);
        }
    free(o->act);
    free(o->rep);
    free(o->memo);
    free(o->lo);
    free(o->prog);
    free(o->pmax);
    free(o->L);
    free(o->layers);
}

/* The tables the searches share: evaluated epochs, progress, bounds, layers. */
static int oracle_setup(struct oracle *o, struct err *e)
{
    const struct sim_config *cfg = &o->s->cfg;
    const int T = o->T, na = o->na;
    size_t cells = (size_t)(T + 1) * na;
    o->memo = calloc(cells, sizeof *o->memo);
    o->lo = calloc(cells, sizeof *o->lo);
    o->prog = calloc(cells, sizeof *o->prog);
    o->pmax = calloc((size_t)T + 1, sizeof *o->pmax);
    o->L = malloc((size_t)(T + 1) * (ORACLE_UNITS + 1) * sizeof *o->L);
    o->layers = calloc((size_t)T + 1, sizeof *o->layers);
    if (!o->memo || !o->lo || !o->prog || !o->pmax || !o->L || !o->layers)
        return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int t = 0; t <= T; t++)
        if (!(o->layers[t].head = malloc((size_t)na * sizeof(int))))
            return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int t = 1; t <= T; t++)
        for (int a = 0; a < na; a++) {
            double p = sim_loss_effective(&cfg->loss, cfg->job.n_batches, cfg->job.batch,
                                          o->act[a].n, t);
            o->prog[(size_t)t * na + a] = p;
            if (p > o->pmax[t]) o->pmax[t] = p;
        }
    return oracle_bound_table(o, e);
}

/* One search from the incumbent b (a JCT no schedule needs to beat, with its end, or
 * INFINITY), under o->budget (<= 0: none, and cost does not tell labels apart): best first,
 * always extending the open label of least bound, until that bound passes the best JCT. */
static int oracle_run(struct oracle *o, struct oracle_best *b, struct err *e)
{
    const int T = o->T;
    for (int t = 0; t <= T; t++) {
        struct oracle_layer *ly = &o->layers[t];
        ly->n = 0;
        for (int a = 0; a < o->na; a++) ly->head[a] = -1;
        ly->ignore_cost = o->budget <= 0;
    }
    struct oracle_layer *root = &o->layers[0];
    struct oracle_heap h = {0};
    int at, rc = oracle_insert(root, 0, 0, 0.0, 0.0, 0.0, -1, &at, e);
    if (!rc) {
        root->v[0].a = -1; /* before the first epoch: nothing warm */
        root->head[0] = -1;
        rc = heap_push(&h, (struct oracle_open){oracle_bound(o, 0, 0.0), 0, 0}, e);
    }
    while (!rc && h.n) {
        struct oracle_open x = heap_pop(&h);
        if (x.key > b->jct_s * (1 + ORACLE_SLACK)) break;
        const struct oracle_label *l = &o->layers[x.t].v[x.i];
        if (l->dead || x.t >= T) continue;
        int need = x.t + oracle_epochs_needed(o, x.t, l->eff);
        if (need > o->horizon && o->horizon < T) {
            /* A longer horizon only raises the bound: the label's key is taken again. */
            if ((rc = oracle_extend(o, need, e))) break;
            l = &o->layers[x.t].v[x.i];
            if (l->time_s + oracle_bound(o, x.t, l->eff) > b->jct_s * (1 + ORACLE_SLACK)) continue;
        }
        rc = oracle_expand(o, x.t, x.i, b, &h, e);
    }
    free(h.v);
    return rc;
}

/* Static action a run as sim_run_actions runs it, from the search's epochs (the first cold,
 * the others all warm): *jct gets its JCT when it reaches the target within budget in less
 * than `beat`, else INFINITY (it is given up as soon as it cannot). */
static int oracle_static(struct oracle *o, int a, double beat, double *jct, struct err *e)
{
    const struct sim_loss_model *lm = &o->s->cfg.loss;
    double time_s = 0, cost_usd = 0, eff = 0;
    *jct = (double)INFINITY;
    for (int t = 1; t <= o->T && time_s < beat; t++) {
        double dt, dc;
        int rc = oracle_epoch(o, t, a, t == 1 ? 0 : o->act[a].n, &dt, &dc, e);
        if (rc) return rc;
        time_s += dt;
        cost_usd += dc;
        eff += o->prog[(size_t)t * o->na + a];
        if (sim_loss_at(lm, eff) <= o->target) {
            if ((o->budget <= 0 || cost_usd <= o->budget) && time_s < beat) *jct = time_s;
            break;
        }
        if (o->budget > 0 && cost_usd >= o->budget) break;
    }
    return SIREN_OK;
}

/* The schedule that ends at b, back from its last epoch, replayed by sim_run_actions. */
static int oracle_replay(struct oracle *o, const struct oracle_best *b, struct sim_result *r,
                         struct err *e)
{
    struct sched_action seq[SIM_MAX_EPOCHS];
    seq[b->t - 1] = o->act[b->a];
    for (int t = b->t - 1, li = b->parent; t >= 1; t--) {
        const struct oracle_label *x = &o->layers[t].v[li];
        seq[t - 1] = o->act[x->a];
        li = x->parent;
    }
    return sim_run_actions(o->s, seq, b->t, r, e);
}

int sim_oracle_search(struct sim *s, const struct sched_action *actions, int n_actions,
                      struct sim_result *best, struct sim_oracle_stats *stats, struct err *e)
{
    memset(best, 0, sizeof *best);
    if (stats) memset(stats, 0, sizeof *stats);
    if (n_actions < 1) return err_set(e, SIREN_EINVAL, "oracle: no actions to search");
    struct oracle o;
    memset(&o, 0, sizeof o);
    o.s = s;
    o.T = s->cfg.max_epochs;
    o.target = s->target_loss;
    o.budget = s->cfg.budget_usd;
    o.driver_s = epoch_model_driver_s(&s->cfg.platform, s->cfg.sync);
    /* The actions as sim_step takes them (clipped), each once. */
    if (!(o.act = malloc((size_t)n_actions * sizeof *o.act)))
        return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int i = 0; i < n_actions; i++) o.act[i] = sim_clip(s, actions[i]);
    qsort(o.act, (size_t)n_actions, sizeof *o.act, cmp_action);
    for (int i = 0; i < n_actions; i++)
        if (!o.na || cmp_action(&o.act[o.na - 1], &o.act[i])) o.act[o.na++] = o.act[i];
    o.st.actions = o.na;
    if (!(o.rep = malloc((size_t)o.na * sizeof *o.rep))) {
        free(o.act);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    /* Memory sizes the planner cannot tell apart: the same costs, bit for bit (the structure
     * is zeroed before it is filled, padding included). The actions are sorted by n, then
     * memory, so an action's rep comes before it. */
    for (int a = 0; a < o.na; a++) {
        struct plan_costs ka, kb;
        sim_epoch_costs(s, o.act[a].memory_mb, &ka);
        o.rep[a] = a;
        for (int b = a - 1; b >= 0 && o.act[b].n == o.act[a].n; b--) {
            sim_epoch_costs(s, o.act[b].memory_mb, &kb);
            if (!memcmp(&ka, &kb, sizeof ka)) o.rep[a] = o.rep[b];
        }
    }
    int rc = SIREN_OK;
    struct sim_result r;
    struct oracle_best b = {(double)INFINITY, -1, -1, -1};
    double need = sim_loss_needed(&s->cfg.loss, o.target);
    if (isfinite(need)) {
        /* A hair below the analytic need, so that the bound never asks more than the loss
         * model's own comparison does. */
        o.need_lb = need * (1 - 1e-9);
        o.unit = o.need_lb > 0 ? o.need_lb / ORACLE_UNITS : 1.0;
        rc = oracle_setup(&o, e);
    }
    /* The incumbent: the best static action, from the search's own epochs. */
    int best_static = -1;
    for (int a = 0; a < o.na && !rc && isfinite(need); a++) {
        double jct;
        if ((rc = oracle_static(&o, a, b.jct_s, &jct, e))) break;
        if (jct < b.jct_s) {
            b.jct_s = jct;
            best_static = a;
        }
    }
    if (!rc && best_static >= 0) {
        rc = sim_run_actions(s, &o.act[best_static], 1, best, e);
        if (!rc && !(best->reached_target && best->within_budget &&
                     fabs(best->jct_s - b.jct_s) <= 1e-9 * b.jct_s))
            rc = err_set(e, SIREN_EINVAL, "oracle: static n=%d, %d MB replays to %.9f s, not "
                         "%.9f s", o.act[best_static].n, o.act[best_static].memory_mb,
                         best->jct_s, b.jct_s);
    }
    /* No static action reaches the target within budget: the answer, unless the search finds
     * a schedule, is the best of them by grid's rule (the lowest final loss within budget). */
    for (int a = 0; a < o.na && !rc && best_static < 0; a++) {
        rc = sim_run_actions(s, &o.act[a], 1, &r, e);
        if (!rc && (a == 0 || sim_result_better(&r, best))) *best = r;
    }
    if (!rc && isfinite(need)) {
        /* First without the budget (no budget stop, cost ignored): a relaxation, so its
         * optimum, when it keeps to the budget after all, is the optimum. Only otherwise
         * the search with cost as a third dimension of the labels. */
        struct oracle_best relaxed = b;
        double budget = o.budget;
        o.budget = 0;
        rc = oracle_run(&o, &relaxed, e);
        o.budget = budget;
        if (!rc && relaxed.t > 0) {
            rc = oracle_replay(&o, &relaxed, &r, e);
            if (!rc && r.reached_target && r.within_budget && r.epochs == relaxed.t) {
                b = relaxed;
            } else if (!rc) {
                o.st.budget_search = 1;
                rc = oracle_run(&o, &b, e);
            }
        }
    }
    if (!rc && b.t > 0) {
        rc = oracle_replay(&o, &b, &r, e);
        if (!rc && !(r.reached_target && r.within_budget && r.epochs == b.t &&
                     fabs(r.jct_s - b.jct_s) <= 1e-9 * b.jct_s))
            rc = err_set(e, SIREN_EINVAL, "oracle: the schedule found (%d epochs, %.9f s) "
                         "replays to %d epochs, %.9f s", b.t, b.jct_s, r.epochs, r.jct_s);
        if (!rc) *best = r;
    }
    if (stats) *stats = o.st;
    oracle_free(&o);
    sim_reset(s);
    return rc;
}

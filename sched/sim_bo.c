/*
 * Bayesian optimisation over two-phase schedules (sim.h, sim_bo_search), the idea of SMLT
 * (Ali et al. 2022): a Gaussian process models ln JCT over the schedule's five coordinates,
 * and expected improvement picks the next schedule to simulate. Every episode is a
 * sim_run_actions of max_epochs actions, so the result is scored exactly as every other
 * policy. The GP's Cholesky factor and solves come from LAPACK (OpenBLAS); the start and
 * each acquisition draw from their own seeded stream, so the same seed gives the same bits.
 * Everything the search allocates is freed before it returns.
 */
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS ships no header for it): column-major, Fortran calling convention; the
 * trailing size_t is the hidden length of the character argument. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info, size_t);

/* x = (n1, m1, k, n2, m2), each in [0, 1]. */
#define BO_DIM 5
/* Acquisition: this many uniform candidates, plus BO_LOCAL_PER moves around each of the
 * BO_LOCAL_TOP best schedules evaluated. */
#define BO_CANDIDATES 2000
#define BO_LOCAL_TOP 5
#define BO_LOCAL_PER 100
/* Length scales tried per coordinate, in units of the unit cube. */
static const double bo_ell[] = {0.03, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5, 0.8, 1.3, 2.0, 3.2};
#define BO_N_ELL ((int)(sizeof bo_ell / sizeof *bo_ell))
/* Nuggets (relative to the signal variance) tried in turn until the factor exists: the
 * simulator is deterministic, so the noise is only there for conditioning. */
static const double bo_nugget[] = {1e-6, 1e-4, 1e-2};
/* Penalty of an infeasible episode, in ln JCT above the worst feasible one (sim.h): a step,
 * then slopes in how far the loss stayed above the target and the cost went over budget,
 * each capped so that one bad corner does not flatten the rest of the surface. */
#define BO_PENALTY_STEP 0.5
#define BO_PENALTY_LOSS 4.0
#define BO_PENALTY_COST 1.0
#define BO_PENALTY_CAP 3.0
/* RNG streams of the seed: the start, then one per acquisition. */
#define BO_STREAM_START 0
#define BO_STREAM_ACQ 1

/* A schedule as simulated: n1 functions of m1 MB for epochs 1..k, then n2 of m2 MB. When the
 * two phases are the same action or k = max_epochs the schedule is static and is written
 * (n1, m1, max_epochs, n1, m1), so that one schedule has one key. */
struct bo_key {
    int n1, m1, k, n2, m2;
};

struct bo_eval {
    struct bo_key key;
    double jct_s, cost_usd, final_loss;
    int feasible;
};

struct bo {
    struct sim *s;
    int T, max_n, min_mb, max_mb, step_mb;
    double target, budget;
    int n, cap;         /* episodes evaluated, room */
    double *x;          /* [cap x BO_DIM]: the point each was proposed at */
    struct bo_eval *ev; /* [cap] */
    double *y;          /* [cap]: the objective, standardised before each fit */
    /* The fitted GP: length scales, nugget, the factor L of R = C + g I, R^-1 y, signal
     * variance s2 (profiled: y' R^-1 y / n). */
    double ell[BO_DIM], g, s2;
    double *L, *alpha; /* [cap x cap], [cap] */
    double *cand;      /* [C x BO_DIM] */
    double *kc, *v;    /* [cap x C]: kernel column per candidate, and R^-1 of it */
    double *ei;        /* [C] */
    struct sim_result r, best;
    struct sim_bo_stats st;
};

#define BO_C (BO_CANDIDATES + BO_LOCAL_TOP * BO_LOCAL_PER)
_Static_assert(SIM_BO_MAX_EVALUATIONS <= BO_C, "the start's points are kept in the candidates");

void sim_bo_opts_default(struct sim_bo_opts *o)
{
    o->evaluations = 100;
    o->initial = 20;
    o->seed = 1;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

/* n in 1..max_n, log-scaled: x = 0 is one function, x = 1 the most. */
static int bo_decode_n(const struct bo *b, double x)
{
    long n = lround(exp(clamp01(x) * log((double)b->max_n)));
    return n < 1 ? 1 : n > b->max_n ? b->max_n : (int)n;
}

/* Memory in MB to the nearest size of the preset's grid (sim_clip). */
static int bo_round_m(const struct bo *b, double mb)
{
    long steps = lround((mb - b->min_mb) / b->step_mb);
    struct sched_action a = {1, b->min_mb + (int)steps * b->step_mb};
    return sim_clip(b->s, a).memory_mb;
}

/* The first phase's memory: linear over the action space's sizes. */
static int bo_decode_m1(const struct bo *b, double x)
{
    return bo_round_m(b, b->min_mb + clamp01(x) * (b->max_mb - b->min_mb));
}

/* The second phase's memory, relative to the first's m1: the middle third of x keeps m1,
 * the outer thirds move linearly down to the smallest size (x = 0) or up to the largest
 * (x = 1). Keeping the size keeps the warm functions (a new size starts every function
 * cold), so it gets a band of its own rather than a needle's width. */
static int bo_decode_m2(const struct bo *b, double x, int m1)
{
    x = clamp01(x);
    if (x < 1.0 / 3) return bo_round_m(b, b->min_mb + 3 * x * (m1 - b->min_mb));
    if (x > 2.0 / 3) return bo_round_m(b, m1 + (3 * x - 2) * (b->max_mb - m1));
    return m1;
}

static struct bo_key bo_decode(const struct bo *b, const double *x)
{
    struct bo_key k;
    k.n1 = bo_decode_n(b, x[0]);
    k.m1 = bo_decode_m1(b, x[1]);
    k.k = 1 + (int)floor(clamp01(x[2]) * b->T);
    if (k.k > b->T) k.k = b->T;
    k.n2 = bo_decode_n(b, x[3]);
    k.m2 = bo_decode_m2(b, x[4], k.m1);
    if (k.k == b->T || (k.n1 == k.n2 && k.m1 == k.m2)) {
        k.k = b->T;
        k.n2 = k.n1;
        k.m2 = k.m1;
    }
    return k;
}

static int bo_seen(const struct bo *b, const struct bo_key *k)
{
    for (int i = 0; i < b->n; i++)
        if (!memcmp(&b->ev[i].key, k, sizeof *k)) return 1;
    return 0;
}

/* Simulates the schedule of x (not yet seen) and records it. */
static int bo_evaluate(struct bo *b, const double *x, const struct bo_key *k, struct err *e)
{
    struct sched_action a[SIM_MAX_EPOCHS];
    for (int t = 0; t < b->T; t++)
        a[t] = t < k->k ? (struct sched_action){k->n1, k->m1} : (struct sched_action){k->n2, k->m2};
    int rc = sim_run_actions(b->s, a, b->T, &b->r, e);
    if (rc) return rc;
    struct bo_eval *v = &b->ev[b->n];
    v->key = *k;
    v->jct_s = b->r.jct_s;
    v->cost_usd = b->r.cost_usd;
    v->final_loss = b->r.final_loss;
    v->feasible = b->r.reached_target && b->r.within_budget;
    memcpy(b->x + (size_t)b->n * BO_DIM, x, BO_DIM * sizeof *x);
    if (b->n == 0 || sim_result_better(&b->r, &b->best)) b->best = b->r;
    b->n++;
    b->st.evaluations++;
    b->st.feasible += v->feasible;
    return SIREN_OK;
}

/* The objective of every episode so far into b->y, standardised (mean 0, deviation 1): ln JCT
 * when feasible; otherwise the ln JCT of the worst feasible episode (of the slowest episode
 * while none is feasible) plus the penalty. Recomputed before each fit, as the reference
 * moves. */
static void bo_objective(struct bo *b)
{
    double ref = -INFINITY, ref_any = -INFINITY;
    for (int i = 0; i < b->n; i++) {
        double l = log(b->ev[i].jct_s > 0 ? b->ev[i].jct_s : 1e-9);
        if (b->ev[i].feasible && l > ref) ref = l;
        if (l > ref_any) ref_any = l;
    }
    if (!isfinite(ref)) ref = ref_any;
    double mean = 0;
    for (int i = 0; i < b->n; i++) {
        const struct bo_eval *v = &b->ev[i];
        if (v->feasible) {
            b->y[i] = log(v->jct_s);
        } else {
            double over_loss = v->final_loss > b->target ? log(v->final_loss / b->target) : 0;
            double over_cost = b->budget > 0 && v->cost_usd > b->budget
                                   ? log(v->cost_usd / b->budget) : 0;
            b->y[i] = ref + BO_PENALTY_STEP + fmin(BO_PENALTY_CAP, BO_PENALTY_LOSS * over_loss) +
                      fmin(BO_PENALTY_CAP, BO_PENALTY_COST * over_cost);
        }
    }
    for (int i = 0; i < b->n; i++) mean += b->y[i];
    mean /= b->n;
    double var = 0;
    for (int i = 0; i < b->n; i++) var += (b->y[i] - mean) * (b->y[i] - mean);
    double sd = sqrt(var / b->n);
    if (!(sd > 1e-12)) sd = 1;
    for (int i = 0; i < b->n; i++) b->y[i] = (b->y[i] - mean) / sd;
}

/* Matern 5/2 correlation of two points under length scales ell. */
static double bo_kernel(const double *p, const double *q, const double *ell)
{
    double d2 = 0;
    for (int j = 0; j < BO_DIM; j++) {
        double d = (p[j] - q[j]) / ell[j];
        d2 += d * d;
    }
    double r = sqrt(5.0 * d2);
    return (1 + r + r * r / 3) * exp(-r);
}

/* Factors R = C(ell) + g I into b->L and solves b->alpha = R^-1 y, with the first nugget
 * that gives a factor; returns the log marginal likelihood with the signal variance
 * profiled out (up to a constant), -INFINITY when no nugget does. */
static double bo_factor(struct bo *b, const double *ell)
{
    const int n = b->n, one = 1;
    for (size_t gi = 0; gi < sizeof bo_nugget / sizeof *bo_nugget; gi++) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double c = bo_kernel(b->x + (size_t)i * BO_DIM, b->x + (size_t)j * BO_DIM, ell);
                if (i == j) c += bo_nugget[gi];
                b->L[(size_t)j * n + i] = b->L[(size_t)i * n + j] = c;
            }
        int info;
        dpotrf_("L", &n, b->L, &n, &info, 1);
        if (info) continue;
        memcpy(b->alpha, b->y, (size_t)n * sizeof *b->alpha);
        dpotrs_("L", &n, &one, b->L, &n, b->alpha, &n, &info, 1);
        if (info) continue;
        double q = 0, logdet = 0;
        for (int i = 0; i < n; i++) {
            q += b->y[i] * b->alpha[i];
            logdet += log(b->L[(size_t)i * n + i]);
        }
        if (!(q > 0)) q = 1e-300;
        b->g = bo_nugget[gi];
        b->s2 = q / n;
        return -0.5 * n * log(q / n) - logdet;
    }
    return -INFINITY;
}

/* The length scales of the greatest marginal likelihood: the best shared one of bo_ell, then
 * one pass over the coordinates, each over bo_ell with the others held. Leaves the GP
 * factored at them. */
static void bo_fit(struct bo *b)
{
    double ell[BO_DIM], best = -INFINITY;
    int shared = 0;
    for (int i = 0; i < BO_N_ELL; i++) {
        for (int j = 0; j < BO_DIM; j++) ell[j] = bo_ell[i];
        double l = bo_factor(b, ell);
        if (l > best) {
            best = l;
            shared = i;
        }
    }
    for (int j = 0; j < BO_DIM; j++) b->ell[j] = bo_ell[shared];
    for (int j = 0; j < BO_DIM; j++)
        for (int i = 0; i < BO_N_ELL; i++) {
            if (i == shared) continue;
            memcpy(ell, b->ell, sizeof ell);
            ell[j] = bo_ell[i];
            double l = bo_factor(b, ell);
            if (l > best) {
                best = l;
                b->ell[j] = bo_ell[i];
            }
        }
    (void)bo_factor(b, b->ell);
}

/* Expected improvement (minimising) of every candidate over the best objective so far. */
static void bo_acquire(struct bo *b, int nc)
{
    const int n = b->n;
    for (int c = 0; c < nc; c++)
        for (int i = 0; i < n; i++)
            b->kc[(size_t)c * n + i] =
                bo_kernel(b->x + (size_t)i * BO_DIM, b->cand + (size_t)c * BO_DIM, b->ell);
    memcpy(b->v, b->kc, (size_t)n * nc * sizeof *b->v);
    int info;
    dpotrs_("L", &n, &nc, b->L, &n, b->v, &n, &info, 1);
    double fbest = INFINITY;
    for (int i = 0; i < n; i++) fbest = fmin(fbest, b->y[i]);
    for (int c = 0; c < nc; c++) {
        const double *k = b->kc + (size_t)c * n, *v = b->v + (size_t)c * n;
        double mu = 0, kv = 0;
        for (int i = 0; i < n; i++) {
            mu += k[i] * b->alpha[i];
            kv += k[i] * v[i];
        }
        double var = b->s2 * (1 - kv), ei = 0;
        if (var > 1e-12 * b->s2) {
            double sd = sqrt(var), z = (fbest - mu) / sd;
            ei = (fbest - mu) * 0.5 * erfc(-z / sqrt(2.0)) +
                 sd * exp(-0.5 * z * z) / sqrt(2 * M_PI);
        }
        b->ei[c] = info ? 0 : ei;
    }
}

/* Candidates: uniform points, then moves around the best schedules so far (all coordinates
 * by a small normal step, or one coordinate anew). Returns how many. */
static int bo_candidates(struct bo *b, struct rng *g)
{
    int nc = 0;
    for (; nc < BO_CANDIDATES; nc++)
        for (int j = 0; j < BO_DIM; j++) b->cand[(size_t)nc * BO_DIM + j] = rng_uniform(g);
    /* The best BO_LOCAL_TOP by objective (ties: the earlier). */
    int top[BO_LOCAL_TOP], nt = 0;
    for (int i = 0; i < b->n; i++) {
        int p = nt < BO_LOCAL_TOP ? nt++ : BO_LOCAL_TOP;
        while (p > 0 && b->y[i] < b->y[top[p - 1]]) {
            if (p < BO_LOCAL_TOP) top[p] = top[p - 1];
            p--;
        }
        if (p < BO_LOCAL_TOP) top[p] = i;
    }
    for (int t = 0; t < nt; t++)
        for (int k = 0; k < BO_LOCAL_PER; k++, nc++) {
            double *c = b->cand + (size_t)nc * BO_DIM;
            memcpy(c, b->x + (size_t)top[t] * BO_DIM, BO_DIM * sizeof *c);
            if (k % 2 == 0) {
                double sd = k % 4 == 0 ? 0.03 : 0.1;
                for (int j = 0; j < BO_DIM; j++) c[j] = clamp01(c[j] + sd * rng_normal(g));
            } else {
                c[rng_below(g, BO_DIM)] = rng_uniform(g);
            }
        }
    return nc;
}

int sim_bo_search(struct sim *s, const struct sim_bo_opts *o, struct sim_result *best,
                  struct sim_bo_stats *stats, struct err *e)
{
    memset(best, 0, sizeof *best);
    if (stats) memset(stats, 0, sizeof *stats);
    if (o->evaluations < 1 || o->evaluations > SIM_BO_MAX_EVALUATIONS)
        return err_set(e, SIREN_EINVAL, "bo: %d evaluations, expected 1..%d", o->evaluations,
                       SIM_BO_MAX_EVALUATIONS);
    if (o->initial < 1 || o->initial > o->evaluations)
        return err_set(e, SIREN_EINVAL, "bo: %d initial evaluations, expected 1..%d",
                       o->initial, o->evaluations);
    struct bo *b = calloc(1, sizeof *b);
    if (!b) return err_set(e, SIREN_ENOMEM, "out of memory");
    const struct platform *pf = &s->cfg.platform;
    b->s = s;
    b->T = s->cfg.max_epochs;
    b->max_n = sim_max_functions(s);
    b->min_mb = sim_min_memory_mb(s);
    b->max_mb = pf->memory_mb_max;
    b->step_mb = pf->memory_mb_step > 0 ? pf->memory_mb_step : 1;
    b->target = sim_target_loss(s);
    b->budget = s->cfg.budget_usd;
    const size_t cap = (size_t)o->evaluations;
    b->cap = o->evaluations;
    b->x = malloc(cap * BO_DIM * sizeof *b->x);
    b->ev = malloc(cap * sizeof *b->ev);
    b->y = malloc(cap * sizeof *b->y);
    b->L = malloc(cap * cap * sizeof *b->L);
    b->alpha = malloc(cap * sizeof *b->alpha);
    b->cand = malloc((size_t)BO_C * BO_DIM * sizeof *b->cand);
    b->kc = malloc(cap * BO_C * sizeof *b->kc);
    b->v = malloc(cap * BO_C * sizeof *b->v);
    b->ei = malloc((size_t)BO_C * sizeof *b->ei);
    uint32_t *perm = malloc(cap * sizeof *perm);
    int rc = SIREN_OK;
    if (!b->x || !b->ev || !b->y || !b->L || !b->alpha || !b->cand || !b->kc || !b->v ||
        !b->ei || !perm) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }

    /* The start: a Latin hypercube of `initial` points (each coordinate's strata shuffled),
     * schedules met twice simulated once. */
    struct rng g;
    rng_seed_stream(&g, o->seed, BO_STREAM_START);
    double *lhs = b->cand; /* free until the first acquisition */
    for (int j = 0; j < BO_DIM; j++) {
        for (int i = 0; i < o->initial; i++) perm[i] = (uint32_t)i;
        rng_shuffle_u32(&g, perm, (size_t)o->initial);
        for (int i = 0; i < o->initial; i++)
            lhs[(size_t)i * BO_DIM + j] = (perm[i] + rng_uniform(&g)) / o->initial;
    }
    for (int i = 0; i < o->initial && !rc; i++) {
        struct bo_key k = bo_decode(b, lhs + (size_t)i * BO_DIM);
        if (!bo_seen(b, &k)) rc = bo_evaluate(b, lhs + (size_t)i * BO_DIM, &k, e);
    }

    /* Then one schedule at a time: the unseen candidate of the greatest expected
     * improvement. */
    for (int it = 0; !rc && b->n < b->cap; it++) {
        bo_objective(b);
        bo_fit(b);
        rng_seed_stream(&g, o->seed, BO_STREAM_ACQ + (uint64_t)it);
        int nc = bo_candidates(b, &g);
        bo_acquire(b, nc);
        int pick = -1;
        struct bo_key k = {0};
        for (int tries = 0; tries < nc && pick < 0; tries++) {
            int c = 0;
            for (int i = 1; i < nc; i++)
                if (b->ei[i] > b->ei[c]) c = i;
            if (b->ei[c] < 0) break;
            k = bo_decode(b, b->cand + (size_t)c * BO_DIM);
            if (bo_seen(b, &k)) b->ei[c] = -1;
            else pick = c;
        }
        if (pick < 0) break; /* every candidate was simulated already */
        rc = bo_evaluate(b, b->cand + (size_t)pick * BO_DIM, &k, e);
    }
    if (!rc) {
        *best = b->best;
        if (stats) *stats = b->st;
    }
out:
    free(perm);
    free(b->x);
    free(b->ev);
    free(b->y);
    free(b->L);
    free(b->alpha);
    free(b->cand);
    free(b->kc);
    free(b->v);
    free(b->ei);
    free(b);
    return rc;
}

/*
 * The virtual-clock planner (see planner.h). Timelines are built phase by phase from the cost
 * model; versions are then assigned by sorting PUT completions, and each GET is resolved to
 * the newest version completed at or before it starts.
 */
#include "planner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void plan_epoch_free(struct plan_epoch *p)
{
    if (!p) return;
    free(p->fns);
    free(p->steps);
    memset(p, 0, sizeof *p);
}

static int check_config(const struct plan_config *c, struct err *e)
{
    const struct plan_costs *k = &c->costs;
    if (c->n_functions <= 0)
        return err_set(e, SIREN_EINVAL, "plan: number of functions %d, expected > 0",
                       c->n_functions);
    if (c->batch_rows) {
        if (c->n_batches < (size_t)c->n_functions)
            return err_set(e, SIREN_EINVAL, "plan: %zu mini-batches cannot feed %d functions "
                           "(use a smaller batch or fewer functions)", c->n_batches, c->n_functions);
    } else {
        if (c->batch_size <= 0)
            return err_set(e, SIREN_EINVAL, "plan: batch size %d, expected > 0", c->batch_size);
        if (c->epoch_samples < (size_t)c->n_functions)
            return err_set(e, SIREN_EINVAL, "plan: %zu samples cannot feed %d functions",
                           c->epoch_samples, c->n_functions);
    }
    if (c->sync == PLAN_SYNC_SSP && c->staleness < 0)
        return err_set(e, SIREN_EINVAL, "plan: SSP staleness %d, expected >= 0", c->staleness);
    const double vals[] = {k->start_cold_s,         k->start_warm_s,         k->kv_get_latency_s,
                           k->kv_put_latency_s,     k->compute_s_per_sample, k->data_bytes_per_sample,
                           k->param_bytes,          k->timeout_s};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        if (!(vals[i] >= 0) || !isfinite(vals[i]))
            return err_set(e, SIREN_EINVAL, "plan: cost #%zu is %g, expected a finite value >= 0",
                           i, vals[i]);
    if (!(k->kv_bandwidth_bytes_per_s > 0))
        return err_set(e, SIREN_EINVAL, "plan: KV bandwidth must be > 0");
    return SIREN_OK;
}

static double get_s(const struct plan_costs *k, double bytes)
{
    return k->kv_get_latency_s + bytes / k->kv_bandwidth_bytes_per_s;
}

static double put_s(const struct plan_costs *k, double bytes)
{
    return k->kv_put_latency_s + bytes / k->kv_bandwidth_bytes_per_s;
}

/* Lays out the steps of each function (counts and sample ranges); times come later. */
static int layout_steps(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    int n = c->n_functions;
    size_t total = 0;
    if (c->batch_rows) {
        total = c->n_batches;
    } else {
        for (int i = 0; i < n; i++) {
            size_t lo = c->epoch_samples * (size_t)i / (size_t)n;
            size_t hi = c->epoch_samples * (size_t)(i + 1) / (size_t)n;
            total += (hi - lo + (size_t)c->batch_size - 1) / (size_t)c->batch_size;
        }
    }
    p->fns = calloc((size_t)n, sizeof *p->fns);
    p->steps = calloc(total, sizeof *p->steps);
    if (!p->fns || !p->steps) return err_set(e, SIREN_ENOMEM, "plan: out of memory");
    p->n_functions = n;
    p->n_steps = total;
    size_t s = 0;
    uint32_t batch = 0;
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->fn = i;
        f->cold = i >= c->n_warm;
        f->first_step = (int)s;
        if (c->batch_rows) {
            size_t lo = c->n_batches * (size_t)i / (size_t)n;
            size_t hi = c->n_batches * (size_t)(i + 1) / (size_t)n;
            for (size_t b = lo; b < hi; b++) {
                struct plan_step *st = &p->steps[s++];
                st->fn = i;
                st->step = f->n_steps++;
                st->batch = (uint32_t)b;
                st->n_samples = c->batch_rows[b];
            }
            continue;
        }
        size_t lo = c->epoch_samples * (size_t)i / (size_t)n;
        size_t hi = c->epoch_samples * (size_t)(i + 1) / (size_t)n;
        for (size_t at = lo; at < hi; at += (size_t)c->batch_size) {
            struct plan_step *st = &p->steps[s++];
            st->fn = i;
            st->step = f->n_steps++;
            st->batch = batch++;
            size_t left = hi - at;
            st->n_samples = (uint32_t)(left < (size_t)c->batch_size ? left : (size_t)c->batch_size);
        }
    }
    return SIREN_OK;
}

/* Times one step's phases from `t`; returns its end. */
static double time_step(const struct plan_config *c, struct plan_step *st, double t)
{
    const struct plan_costs *k = &c->costs;
    st->t_data_get = t;
    st->t_param_get = t + get_s(k, k->data_bytes_per_sample * st->n_samples);
    st->t_compute = st->t_param_get + get_s(k, k->param_bytes);
    st->t_put = st->t_compute + k->compute_s_per_sample * st->n_samples;
    double put = put_s(k, k->param_bytes);
    if (c->update == PLAN_UPDATE_APPLY) put += get_s(k, k->param_bytes); /* re-read newest */
    st->t_end = st->t_put + put;
    return st->t_end;
}

/* HSP and ASP inside an epoch: every function runs its steps back to back. SSP: step k of a
 * function waits until every function has finished its step k - staleness - 1. */
static int time_async(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    int n = p->n_functions;
    int max_steps = 0;
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->t_invoke = 0.0;
        f->t_start = f->cold ? c->costs.start_cold_s : c->costs.start_warm_s;
        f->t_end = f->t_start;
        f->invocations = 1;
        if (f->n_steps > max_steps) max_steps = f->n_steps;
    }
    int bound = c->sync == PLAN_SYNC_SSP ? c->staleness : -1;
    for (int k = 0; k < max_steps; k++) {
        double gate = 0.0; /* SSP: when every function has finished step k - bound - 1 */
        if (bound >= 0 && k - bound - 1 >= 0) {
            int done = k - bound - 1;
            for (int j = 0; j < n; j++) {
                const struct plan_fn *g = &p->fns[j];
                int s = done < g->n_steps ? done : g->n_steps - 1;
                if (s >= 0 && p->steps[g->first_step + s].t_end > gate)
                    gate = p->steps[g->first_step + s].t_end;
            }
        }
        for (int i = 0; i < n; i++) {
            struct plan_fn *f = &p->fns[i];
            if (k >= f->n_steps) continue;
            struct plan_step *st = &p->steps[f->first_step + k];
            if (f->timed_out && c->on_timeout == PLAN_TIMEOUT_FAIL) {
                st->failed = 1; /* killed at the timeout: the rest never runs */
                st->invocation = f->invocations - 1;
                continue;
            }
            double t = f->t_end > gate ? f->t_end : gate;
            double end = time_step(c, st, t);
            if (end - f->t_invoke > c->costs.timeout_s) {
                f->timed_out = 1;
                if (c->on_timeout == PLAN_TIMEOUT_FAIL) {
                    st->failed = 1;
                    f->billed_s += f->t_invoke + c->costs.timeout_s - f->t_start;
                    f->t_end = f->t_invoke + c->costs.timeout_s;
                    st->invocation = f->invocations - 1;
                    continue;
                }
                /* Continuation: this invocation ends after the previous step; a new (warm)
                 * invocation starts then and runs this step. */
                f->billed_s += f->t_end - f->t_start;
                f->t_invoke = f->t_end;
                f->t_start = f->t_invoke + c->costs.start_warm_s;
                f->invocations++;
                end = time_step(c, st, f->t_start > gate ? f->t_start : gate);
                if (end - f->t_invoke > c->costs.timeout_s)
                    return err_set(e, SIREN_EINVAL, "plan: one mini-batch of function %d takes "
                                   "%.3f s, more than the %.3f s timeout: no continuation can "
                                   "finish it", i, end - f->t_invoke, c->costs.timeout_s);
            }
            st->invocation = f->invocations - 1;
            f->t_end = end;
        }
    }
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        if (!(f->timed_out && c->on_timeout == PLAN_TIMEOUT_FAIL)) f->billed_s += f->t_end - f->t_start;
    }
    return SIREN_OK;
}

/* BSP: round k starts for everyone when round k-1's averaged parameters are written. Each
 * function PUTs its gradient; the leader (function 0) then GETs the others' gradients, averages
 * them, applies them and PUTs the next version, which the next round reads. */
static void time_bsp(const struct plan_config *c, struct plan_epoch *p)
{
    const struct plan_costs *k = &c->costs;
    int n = p->n_functions, max_steps = 0;
    double round_start = 0.0;
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->t_start = f->cold ? k->start_cold_s : k->start_warm_s;
        f->invocations = 1;
        if (f->t_start > round_start) round_start = f->t_start;
        if (f->n_steps > max_steps) max_steps = f->n_steps;
    }
    for (int r = 0; r < max_steps; r++) {
        double barrier = round_start;
        int members = 0;
        for (int i = 0; i < n; i++) {
            struct plan_fn *f = &p->fns[i];
            if (r >= f->n_steps) continue;
            struct plan_step *st = &p->steps[f->first_step + r];
            /* A gradient PUT, not a parameter version: no re-read even under APPLY. */
            st->t_data_get = round_start;
            st->t_param_get = st->t_data_get + get_s(k, k->data_bytes_per_sample * st->n_samples);
            st->t_compute = st->t_param_get + get_s(k, k->param_bytes);
            st->t_put = st->t_compute + k->compute_s_per_sample * st->n_samples;
            st->t_end = st->t_put + put_s(k, k->param_bytes);
            st->read_version = st->base_version = r;
            st->write_version = r + 1;
            if (st->t_end > barrier) barrier = st->t_end;
            members++;
        }
        /* The leader's aggregation: members-1 gradient GETs, then the parameter PUT. */
        double agg = (members - 1) * get_s(k, k->param_bytes) + put_s(k, k->param_bytes);
        round_start = barrier + agg;
        for (int i = 0; i < n; i++) {
            struct plan_fn *f = &p->fns[i];
            if (r < f->n_steps) f->t_end = (i == 0 || r + 1 < f->n_steps) ? round_start
                                                                         : p->steps[f->first_step + r].t_end;
        }
    }
    p->n_versions = max_steps;
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->billed_s = f->t_end - f->t_start;
        f->timed_out = f->t_end - f->t_invoke > k->timeout_s; /* BSP: reported, not enforced */
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Number of PUTs completed at or before t: the version a GET starting at t reads. */
static int64_t versions_at(const double *put_ends, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (put_ends[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    return (int64_t)lo;
}

struct put_ref {
    double t_end;
    int fn, step;
    size_t index;
};

static int cmp_put(const void *a, const void *b)
{
    const struct put_ref *x = a, *y = b;
    if (x->t_end != y->t_end) return x->t_end < y->t_end ? -1 : 1;
    if (x->fn != y->fn) return x->fn < y->fn ? -1 : 1;
    return (x->step > y->step) - (x->step < y->step);
}

static int assign_versions(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    struct put_ref *puts = malloc(p->n_steps * sizeof *puts);
    double *ends = malloc(p->n_steps * sizeof *ends);
    if (!puts || !ends) {
        free(puts);
        free(ends);
        return err_set(e, SIREN_ENOMEM, "plan: out of memory");
    }
    /* Steps planned past the timeout never run and create no version. */
    size_t nput = 0;
    for (size_t s = 0; s < p->n_steps; s++) {
        if (p->steps[s].failed) continue;
        puts[nput] = (struct put_ref){p->steps[s].t_end, p->steps[s].fn, p->steps[s].step, s};
        ends[nput++] = p->steps[s].t_end;
    }
    qsort(puts, nput, sizeof *puts, cmp_put);
    qsort(ends, nput, sizeof *ends, cmp_double);
    for (size_t v = 0; v < nput; v++) p->steps[puts[v].index].write_version = (int64_t)v + 1;
    for (size_t s = 0; s < p->n_steps; s++) {
        struct plan_step *st = &p->steps[s];
        if (st->failed) {
            st->read_version = st->base_version = st->write_version = -1;
            continue;
        }
        st->read_version = versions_at(ends, nput, st->t_param_get);
        st->base_version = c->update == PLAN_UPDATE_APPLY ? versions_at(ends, nput, st->t_put)
                                                          : st->read_version;
    }
    p->n_versions = (int64_t)nput;
    free(puts);
    free(ends);
    return SIREN_OK;
}

static void sum_phases(struct plan_epoch *p)
{
    p->t_end = 0.0;
    p->fetch_s = p->compute_s = p->update_s = 0.0;
    p->invocations = p->failed_steps = 0;
    for (int i = 0; i < p->n_functions; i++) {
        struct plan_fn *f = &p->fns[i];
        f->fetch_s = f->compute_s = f->update_s = 0.0;
        p->invocations += f->invocations;
        for (int k = 0; k < f->n_steps; k++) {
            const struct plan_step *st = &p->steps[f->first_step + k];
            if (st->failed) {
                p->failed_steps++;
                continue;
            }
            f->fetch_s += st->t_compute - st->t_data_get;
            f->compute_s += st->t_put - st->t_compute;
            f->update_s += st->t_end - st->t_put;
        }
        if (f->t_end > p->t_end) p->t_end = f->t_end;
        p->fetch_s += f->fetch_s;
        p->compute_s += f->compute_s;
        p->update_s += f->update_s;
    }
}

int plan_epoch_build(const struct plan_config *cfg, struct plan_epoch *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    int rc = check_config(cfg, e);
    if (rc) return rc;
    rc = layout_steps(cfg, out, e);
    if (rc) goto fail;
    if (cfg->sync == PLAN_SYNC_BSP) {
        time_bsp(cfg, out);
    } else {
        rc = time_async(cfg, out, e);
        if (!rc) rc = assign_versions(cfg, out, e);
        if (rc) goto fail;
    }
    sum_phases(out);
    return SIREN_OK;
fail:
    plan_epoch_free(out);
    return rc;
}

struct order_ref {
    double t;
    int fn, step;
    uint32_t index;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order_ref *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->fn != y->fn) return x->fn < y->fn ? -1 : 1;
    return (x->step > y->step) - (x->step < y->step);
}

int plan_epoch_run_order(const struct plan_epoch *p, uint32_t **order, struct err *e)
{
    struct order_ref *refs = malloc(p->n_steps * sizeof *refs);
    *order = malloc(p->n_steps * sizeof **order);
    if (!refs || !*order) {
        free(refs);
        free(*order);
        *order = NULL;
        return err_set(e, SIREN_ENOMEM, "plan: out of memory");
    }
    for (size_t s = 0; s < p->n_steps; s++)
        refs[s] = (struct order_ref){p->steps[s].t_put, p->steps[s].fn, p->steps[s].step,
                                     (uint32_t)s};
    qsort(refs, p->n_steps, sizeof *refs, cmp_order);
    for (size_t s = 0; s < p->n_steps; s++) (*order)[s] = refs[s].index;
    free(refs);
    return SIREN_OK;
}

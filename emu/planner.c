/*
 * The virtual-clock planner (see planner.h). Timelines are built phase by phase from the cost
 * model; versions are then assigned by sorting PUT completions, and each GET is resolved to
 * the newest version completed at or before it starts.
 */
#include "planner.h"

#include "latency.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plan_epoch_free(struct plan_epoch *p)
{
    if (!p) return;
    free(p->fns);
    free(p->steps);
    free(p->attempts);
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
    if (c->passes < 0 || (c->passes > 1 && c->sync != PLAN_SYNC_ASP))
        return err_set(e, SIREN_EINVAL, "plan: %d passes in one plan: only ASP plans more "
                       "than one pass", c->passes);
    if (c->passes > 1 && c->faults)
        return err_set(e, SIREN_EINVAL, "plan: faults are not modelled across ASP passes");
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
    if (c->faults) {
        const struct fault_config *f = c->faults;
        if (c->sync == PLAN_SYNC_BSP)
            return err_set(e, SIREN_EINVAL, "plan: faults are modelled for hsp, asp and ssp, not bsp");
        if (!(f->crash_p >= 0 && f->crash_p <= 1) || !(f->straggler_p >= 0 && f->straggler_p <= 1) ||
            !(f->kv_error_p >= 0 && f->kv_error_p < 1) || !(f->straggler_factor >= 1) ||
            !isfinite(f->straggler_factor) || f->retries < 0 || !(f->retry_delay_s >= 0) ||
            !isfinite(f->retry_delay_s))
            return err_set(e, SIREN_EINVAL, "plan: a fault probability, factor, retry count or "
                           "delay is out of range");
        if (!(k->kv_gets_per_s_per_prefix >= 0) || !(k->kv_puts_per_s_per_prefix >= 0))
            return err_set(e, SIREN_EINVAL, "plan: request rates must be >= 0");
    }
    return SIREN_OK;
}

/* One request of the step planner. With fixed latency and no split or shared cap: latency +
 * bytes / bandwidth, the same doubles as ever. */
static double get_s(const struct plan_costs *k, struct rng *r, double bytes)
{
    return plan_burst_s(k, r, 0, 1, bytes, 0);
}

static double put_s(const struct plan_costs *k, struct rng *r, double bytes)
{
    return plan_burst_s(k, r, 1, 1, bytes, 0);
}

static double data_get_s(const struct plan_costs *k, struct rng *r, double bytes)
{
    return plan_data_burst_s(k, r, 1, bytes);
}

static double start_s(const struct plan_costs *k, struct rng *r, int cold)
{
    return cold ? latency_draw(r, k->start_cold_s, k->sigma_cold)
                : latency_draw(r, k->start_warm_s, k->sigma_warm);
}

/* The latency streams of an epoch's functions (NULL with fixed latency). */
static struct rng *latency_streams(const struct plan_config *c, int n, struct err *e, int *rc)
{
    *rc = SIREN_OK;
    if (!plan_costs_variable(&c->costs)) return NULL;
    struct rng *r = malloc((size_t)n * sizeof *r);
    if (!r) {
        *rc = err_set(e, SIREN_ENOMEM, "plan: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) latency_stream(c->costs.latency_seed, c->epoch, i, &r[i]);
    return r;
}

/* Lays out the steps of each function (counts and sample ranges); times come later. A
 * multi-pass ASP plan repeats the one-epoch split once per pass, each function's shares of
 * the passes one after another. */
static int layout_steps(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    int n = c->n_functions;
    int passes = c->passes > 1 ? c->passes : 1;
    size_t per_pass = 0;
    if (c->batch_rows) {
        per_pass = c->n_batches;
    } else {
        for (int i = 0; i < n; i++) {
            size_t lo = c->epoch_samples * (size_t)i / (size_t)n;
            size_t hi = c->epoch_samples * (size_t)(i + 1) / (size_t)n;
            per_pass += (hi - lo + (size_t)c->batch_size - 1) / (size_t)c->batch_size;
        }
    }
    size_t total = per_pass * (size_t)passes;
    p->fns = calloc((size_t)n, sizeof *p->fns);
    p->steps = calloc(total, sizeof *p->steps);
    if (!p->fns || !p->steps) return err_set(e, SIREN_ENOMEM, "plan: out of memory");
    p->n_functions = n;
    p->n_steps = total;
    size_t s = 0;
    uint32_t fn_base = 0; /* batches of the functions before this one, in one pass */
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->fn = i;
        f->cold = i >= c->n_warm;
        f->first_step = (int)s;
        uint32_t share = 0;
        for (int pass = 0; pass < passes; pass++) {
            uint32_t pass_base = (uint32_t)((size_t)pass * per_pass);
            if (c->batch_rows) {
                size_t lo = c->n_batches * (size_t)i / (size_t)n;
                size_t hi = c->n_batches * (size_t)(i + 1) / (size_t)n;
                for (size_t b = lo; b < hi; b++) {
                    struct plan_step *st = &p->steps[s++];
                    st->fn = i;
                    st->step = f->n_steps++;
                    st->batch = pass_base + (uint32_t)b;
                    st->n_samples = c->batch_rows[pass_base + b];
                    st->pass = pass;
                }
                continue;
            }
            size_t lo = c->epoch_samples * (size_t)i / (size_t)n;
            size_t hi = c->epoch_samples * (size_t)(i + 1) / (size_t)n;
            share = 0;
            for (size_t at = lo; at < hi; at += (size_t)c->batch_size) {
                struct plan_step *st = &p->steps[s++];
                st->fn = i;
                st->step = f->n_steps++;
                st->batch = pass_base + fn_base + share++;
                size_t left = hi - at;
                st->n_samples = (uint32_t)(left < (size_t)c->batch_size ? left : (size_t)c->batch_size);
                st->pass = pass;
            }
        }
        fn_base += share;
    }
    return SIREN_OK;
}

/* Times one step's phases from `t`; returns its end. */
static double time_step(const struct plan_config *c, struct plan_step *st, double t,
                        struct rng *r)
{
    const struct plan_costs *k = &c->costs;
    st->t_data_get = t;
    st->t_param_get = t + data_get_s(k, r, k->data_bytes_per_sample * st->n_samples);
    st->t_compute = st->t_param_get + get_s(k, r, k->param_bytes);
    st->t_put = st->t_compute + k->compute_s_per_sample * st->n_samples;
    double put = put_s(k, r, k->param_bytes);
    if (c->update == PLAN_UPDATE_APPLY) put += get_s(k, r, k->param_bytes); /* re-read newest */
    st->t_end = st->t_put + put;
    return st->t_end;
}

/* HSP and ASP inside an epoch, and multi-pass ASP over the whole run: every function runs its
 * steps back to back. SSP: step k of a
 * function waits until every function has finished its step k - staleness - 1. */
static int time_async(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    int n = p->n_functions;
    int max_steps = 0, rc;
    struct rng *lat = latency_streams(c, n, e, &rc);
    if (rc) return rc;
#define LAT(i) (lat ? &lat[i] : NULL)
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->t_invoke = plan_invoke_time(&c->costs, i, c->n_warm);
        f->t_start = f->t_invoke + start_s(&c->costs, LAT(i), f->cold);
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
            double end = time_step(c, st, t, LAT(i));
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
                f->t_start = f->t_invoke + start_s(&c->costs, LAT(i), 0);
                f->invocations++;
                end = time_step(c, st, f->t_start > gate ? f->t_start : gate, LAT(i));
                if (end - f->t_invoke > c->costs.timeout_s) {
                    free(lat);
                    return err_set(e, SIREN_EINVAL, "plan: one mini-batch of function %d takes "
                                   "%.3f s, more than the %.3f s timeout: no continuation can "
                                   "finish it", i, end - f->t_invoke, c->costs.timeout_s);
                }
            }
            st->invocation = f->invocations - 1;
            f->t_end = end;
        }
    }
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        if (!(f->timed_out && c->on_timeout == PLAN_TIMEOUT_FAIL)) f->billed_s += f->t_end - f->t_start;
    }
    free(lat);
    return SIREN_OK;
#undef LAT
}

/* BSP: round k starts for everyone when round k-1's averaged parameters are written. Each
 * function PUTs its gradient; the leader (function 0) then GETs the others' gradients (a burst
 * on its connections), averages them, applies them and PUTs the next version, which the next
 * round reads. */
static int time_bsp(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    const struct plan_costs *k = &c->costs;
    int n = p->n_functions, max_steps = 0, rc;
    double round_start = 0.0;
    struct rng *lat = latency_streams(c, n, e, &rc);
    if (rc) return rc;
#define LAT(i) (lat ? &lat[i] : NULL)
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->t_invoke = plan_invoke_time(k, i, c->n_warm);
        f->t_start = f->t_invoke + start_s(k, LAT(i), f->cold);
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
            st->t_param_get = st->t_data_get + data_get_s(k, LAT(i), k->data_bytes_per_sample * st->n_samples);
            st->t_compute = st->t_param_get + get_s(k, LAT(i), k->param_bytes);
            st->t_put = st->t_compute + k->compute_s_per_sample * st->n_samples;
            st->t_end = st->t_put + put_s(k, LAT(i), k->param_bytes);
            st->read_version = st->base_version = r;
            st->write_version = r + 1;
            if (st->t_end > barrier) barrier = st->t_end;
            members++;
        }
        /* The leader's aggregation: members-1 gradient GETs, on its connections at once as
         * the round rules' leader reads them, then the parameter PUT. */
        double agg = plan_burst_s(k, LAT(0), 0, (uint32_t)(members - 1), k->param_bytes, 0);
        agg += put_s(k, LAT(0), k->param_bytes);
        round_start = barrier + agg;
        for (int i = 0; i < n; i++) {
            struct plan_fn *f = &p->fns[i];
            if (r < f->n_steps) f->t_end = (i == 0 || r + 1 < f->n_steps) ? round_start
                                                                         : p->steps[f->first_step + r].t_end;
        }
    }
#undef LAT
    free(lat);
    p->n_versions = max_steps;
    for (int i = 0; i < n; i++) {
        struct plan_fn *f = &p->fns[i];
        f->billed_s = f->t_end - f->t_start;
        f->timed_out = f->t_end - f->t_invoke > k->timeout_s; /* BSP: reported, not enforced */
    }
    return SIREN_OK;
}

/* ------------------------------------------------------------------------- faults */

/* Requests a prefix accepted in each whole second of virtual time (throttle=on): a request
 * arriving in a second that already holds `limit` is refused, as S3 answers 503 SlowDown
 * above its per-prefix rates. */
struct rate_window {
    double limit; /* requests per second; 0 = no limit */
    uint32_t *count;
    size_t n;
};

enum { RATE_DATA_GET = 0, RATE_PARAM_GET, RATE_PARAM_PUT, RATE_CLASSES };

static uint32_t rate_count(const struct rate_window *w, double t)
{
    double b = floor(t);
    return b >= 0 && b < (double)w->n ? w->count[(size_t)b] : 0;
}

static int rate_add(struct rate_window *w, double t)
{
    if (w->limit <= 0 || !(t >= 0)) return SIREN_OK;
    size_t b = (size_t)floor(t);
    if (b >= w->n) {
        size_t n = w->n ? w->n : 64;
        while (n <= b) n *= 2;
        uint32_t *c = realloc(w->count, n * sizeof *c);
        if (!c) return SIREN_ENOMEM;
        memset(c + w->n, 0, (n - w->n) * sizeof *c);
        w->count = c;
        w->n = n;
    }
    w->count[b]++;
    return SIREN_OK;
}

/* The planner's view of the faults of one epoch. */
struct fault_ctx {
    const struct plan_config *c;
    const struct fault_config *f;
    struct rate_window win[RATE_CLASSES];
    /* Requests of the step being timed that the store accepted, committed to the windows only
     * when the step's timing is kept (a step re-timed for a continuation leaves none). */
    int pend_cls[4];
    double pend_t[4];
    int n_pend;
    struct rng *lat; /* per function: the latency streams (NULL: fixed latency) */
};

/* One request issued at time t: tries until the store accepts it or FAULT_KV_MAX_TRIES tries
 * have failed. Returns the delay before the accepted try starts (failed tries' error
 * responses, latency_s each, and the back-off waits between them); *exhausted is set when no
 * try was accepted, the delay then ending at the last error response. */
static double issue_request(struct fault_ctx *fx, struct rng *r, int cls, double t,
                            double latency_s, int16_t *retried, int16_t *refused, int *exhausted)
{
    const struct fault_config *f = fx->f;
    const struct rate_window *w = &fx->win[cls];
    double delay = 0.0;
    for (int tries = 0;;) {
        int error = fault_kv_try(f, r); /* one draw per try, refused or not */
        int over = 0;
        if (f->throttle && w->limit > 0) {
            uint32_t n = rate_count(w, t + delay);
            for (int q = 0; q < fx->n_pend; q++)
                n += fx->pend_cls[q] == cls && floor(fx->pend_t[q]) == floor(t + delay);
            over = (double)n >= w->limit;
        }
        if (!over && !error) {
            fx->pend_cls[fx->n_pend] = cls;
            fx->pend_t[fx->n_pend++] = t + delay;
            return delay;
        }
        if (over) (*refused)++;
        else (*retried)++;
        tries++;
        delay += latency_s; /* the error response */
        if (tries == FAULT_KV_MAX_TRIES) {
            *exhausted = 1;
            return delay;
        }
        delay += fault_kv_backoff_s(r, tries);
    }
}

/* One step timed from t under faults: the phases of time_step with each request's delays
 * added and compute scaled by the attempt's straggler factor. With no delays and a factor of
 * 1 the arithmetic is time_step's, operation for operation (the same doubles). */
struct step_timing {
    double t_data_get, t_param_get, t_compute, t_put, t_end;
    int16_t kv_retries[4], throttled[4];
    int kv_failed;  /* a request failed on every try */
    double t_fail;  /* when it did */
    double base_end; /* APPLY: when the base GET completed */
};

static void time_step_faults(struct fault_ctx *fx, const struct plan_step *st, int invocation,
                             int attempt, double factor, double t, struct step_timing *o)
{
    const struct plan_config *c = fx->c;
    const struct plan_costs *k = &c->costs;
    struct rng r, *lr = fx->lat ? &fx->lat[st->fn] : NULL;
    memset(o, 0, sizeof *o);
    fx->n_pend = 0;
    fault_kv_stream(fx->f, c->epoch, st->fn, invocation, attempt, st->step, &r);
    int ex = 0;
    double d;
    o->t_data_get = t;
    d = issue_request(fx, &r, RATE_DATA_GET, t, k->kv_get_latency_s, &o->kv_retries[0],
                      &o->throttled[0], &ex);
    if (ex) goto failed;
    o->t_param_get = (t + d) + data_get_s(k, lr, k->data_bytes_per_sample * st->n_samples);
    d = issue_request(fx, &r, RATE_PARAM_GET, o->t_param_get, k->kv_get_latency_s,
                      &o->kv_retries[1], &o->throttled[1], &ex);
    if (ex) {
        t = o->t_param_get;
        goto failed;
    }
    o->t_compute = (o->t_param_get + d) + get_s(k, lr, k->param_bytes);
    o->t_put = o->t_compute + k->compute_s_per_sample * st->n_samples * factor;
    double put = put_s(k, lr, k->param_bytes), late = 0.0, reread = 0.0;
    if (c->update == PLAN_UPDATE_APPLY) {
        reread = get_s(k, lr, k->param_bytes); /* re-read newest */
        put += reread;
        late = issue_request(fx, &r, RATE_PARAM_GET, o->t_put, k->kv_get_latency_s,
                             &o->kv_retries[2], &o->throttled[2], &ex);
        if (ex) {
            t = o->t_put;
            d = late;
            goto failed;
        }
        o->base_end = o->t_put + late + reread;
    }
    double at = o->t_put + late + reread;
    d = issue_request(fx, &r, RATE_PARAM_PUT, at, k->kv_put_latency_s, &o->kv_retries[3],
                      &o->throttled[3], &ex);
    if (ex) {
        t = at;
        goto failed;
    }
    o->t_end = (o->t_put + (late + d)) + put;
    return;
failed:
    o->kv_failed = 1;
    o->t_fail = t + d;
}

/* Per function, while the epoch is planned under faults. */
struct fn_progress {
    int k;             /* next step (within the function) */
    double t;          /* when it can start step k */
    double t_invoke;   /* of its current invocation */
    int invocation, attempt, gen, cur; /* cur: its open attempt in plan_epoch.attempts */
    struct fault_attempt_draw draw;
    int done;
};

static int open_attempt(struct fault_ctx *fx, struct plan_epoch *p, size_t *cap, int i,
                        struct fn_progress *fp, int invocation, int attempt, int gen, int cold,
                        double t_invoke, struct err *e)
{
    const struct plan_costs *k = &fx->c->costs;
    if (p->n_attempts == *cap) {
        size_t n = *cap ? 2 * *cap : (size_t)p->n_functions + 16;
        struct plan_attempt *a = realloc(p->attempts, n * sizeof *a);
        if (!a) return err_set(e, SIREN_ENOMEM, "plan: out of memory");
        p->attempts = a;
        *cap = n;
    }
    const struct plan_fn *f = &p->fns[i];
    struct plan_attempt *a = &p->attempts[p->n_attempts];
    memset(a, 0, sizeof *a);
    fault_draw_attempt(fx->f, fx->c->epoch, i, invocation, attempt, fp->k, f->n_steps, &fp->draw);
    a->fn = i;
    a->invocation = invocation;
    a->attempt = attempt;
    a->gen = gen;
    a->cold = cold;
    a->t_invoke = t_invoke;
    a->t_start = t_invoke + start_s(k, fx->lat ? &fx->lat[i] : NULL, cold);
    a->t_stop = a->t_start;
    a->first_step = a->end_step = f->first_step + fp->k;
    a->compute_factor = fp->draw.compute_factor;
    if (a->compute_factor > 1.0) p->stragglers++;
    fp->cur = (int)p->n_attempts++;
    fp->t = a->t_start;
    fp->t_invoke = t_invoke;
    fp->invocation = invocation;
    fp->attempt = attempt;
    fp->gen = gen;
    return SIREN_OK;
}

/* Marks the function's steps from k on as never completing. */
static void fail_rest(struct plan_epoch *p, int i, const struct fn_progress *fp)
{
    const struct plan_fn *f = &p->fns[i];
    for (int q = fp->k; q < f->n_steps; q++) {
        struct plan_step *st = &p->steps[f->first_step + q];
        st->failed = 1;
        st->invocation = fp->invocation;
        st->attempt = fp->attempt;
        st->gen = fp->gen;
    }
}

/* SSP's gate for step k: when every function has finished step k - bound - 1 (or its last
 * step, or failed). Returns 0 while some function has not got there yet. */
static int ssp_gate(const struct plan_config *c, const struct plan_epoch *p,
                    const struct fn_progress *fps, int k, double *gate)
{
    *gate = 0.0;
    if (c->sync != PLAN_SYNC_SSP || k - c->staleness - 1 < 0) return 1;
    int done = k - c->staleness - 1;
    for (int j = 0; j < p->n_functions; j++) {
        const struct plan_fn *g = &p->fns[j];
        int s = done < g->n_steps ? done : g->n_steps - 1;
        if (s < 0) continue;
        if (!fps[j].done && fps[j].k <= s) return 0;
        if (p->steps[g->first_step + s].t_end > *gate) *gate = p->steps[g->first_step + s].t_end;
    }
    return 1;
}

static int cmp_attempt(const void *x, const void *y)
{
    const struct plan_attempt *a = x, *b = y;
    if (a->fn != b->fn) return a->fn < b->fn ? -1 : 1;
    if (a->t_invoke != b->t_invoke) return a->t_invoke < b->t_invoke ? -1 : 1;
    if (a->invocation != b->invocation) return a->invocation < b->invocation ? -1 : 1;
    return (a->attempt > b->attempt) - (a->attempt < b->attempt);
}

/* HSP, ASP and SSP under faults. Functions advance one step at a time in the order of their
 * steps' start times (ties: lower function), so that the request-rate windows see requests
 * in time order; each step is timed whole (time_step_faults) and then kept, re-timed by a
 * continuation, or ended by its attempt's death and picked up by the retry. */
static int time_faults(const struct plan_config *c, struct plan_epoch *p, struct err *e)
{
    int n = p->n_functions, rc = SIREN_OK;
    struct fault_ctx fx = {0};
    fx.c = c;
    fx.f = c->faults;
    fx.win[RATE_DATA_GET].limit = c->costs.kv_gets_per_s_per_prefix;
    fx.win[RATE_PARAM_GET].limit = c->costs.kv_gets_per_s_per_prefix;
    fx.win[RATE_PARAM_PUT].limit = c->costs.kv_puts_per_s_per_prefix;
    fx.lat = latency_streams(c, n, e, &rc);
    if (rc) return rc;
    struct fn_progress *fps = calloc((size_t)n, sizeof *fps);
    size_t cap = 0;
    if (!fps) {
        free(fx.lat);
        return err_set(e, SIREN_ENOMEM, "plan: out of memory");
    }
    for (int i = 0; i < n && !rc; i++) {
        struct plan_fn *f = &p->fns[i];
        f->t_invoke = plan_invoke_time(&c->costs, i, c->n_warm);
        f->invocations = 1;
        if ((rc = open_attempt(&fx, p, &cap, i, &fps[i], 0, 0, 0, f->cold, f->t_invoke, e))) break;
        f->t_start = fps[i].t;
        f->t_end = f->t_start;
        fps[i].done = f->n_steps == 0;
    }
    while (!rc) {
        int best = -1;
        double best_t = 0.0;
        for (int i = 0; i < n; i++) {
            double gate;
            if (fps[i].done || !ssp_gate(c, p, fps, fps[i].k, &gate)) continue;
            double t = fps[i].t > gate ? fps[i].t : gate;
            if (best < 0 || t < best_t) {
                best = i;
                best_t = t;
            }
        }
        if (best < 0) {
            for (int i = 0; i < n && !rc; i++)
                if (!fps[i].done)
                    rc = err_set(e, SIREN_EINVAL, "plan: function %d can never start step %d",
                                 i, fps[i].k);
            break;
        }
        int i = best;
        struct fn_progress *fp = &fps[i];
        struct plan_fn *f = &p->fns[i];
        struct plan_step *st = &p->steps[f->first_step + fp->k];
        struct plan_attempt *a = &p->attempts[fp->cur];
        struct step_timing tm;
        time_step_faults(&fx, st, fp->invocation, fp->attempt, fp->draw.compute_factor, best_t, &tm);
        int crashed = !tm.kv_failed && fp->draw.crash_step == fp->k;
        double t_dead = tm.kv_failed ? tm.t_fail : tm.t_end;
        if (crashed) t_dead = best_t + fp->draw.crash_frac * (tm.t_end - best_t);
        int dead = tm.kv_failed || crashed;
        if (dead && tm.kv_failed && fp->draw.crash_step == fp->k) {
            /* Both in one step: whichever comes first. */
            double tc = best_t + fp->draw.crash_frac * (tm.t_fail - best_t);
            crashed = tc < tm.t_fail;
            if (crashed) t_dead = tc;
        }
        if (t_dead - fp->t_invoke > c->costs.timeout_s) {
            f->timed_out = 1;
            if (c->on_timeout == PLAN_TIMEOUT_FAIL) {
                a->status = PLAN_ATTEMPT_TIMED_OUT;
                a->t_stop = fp->t_invoke + c->costs.timeout_s;
                a->end_step = f->first_step + fp->k;
                f->t_end = a->t_stop;
                fail_rest(p, i, fp);
                fp->done = 1;
                continue;
            }
            if (a->first_step == f->first_step + fp->k) {
                rc = err_set(e, SIREN_EINVAL, "plan: one mini-batch of function %d takes %.3f s, "
                             "more than the %.3f s timeout: no continuation can finish it", i,
                             t_dead - fp->t_invoke, c->costs.timeout_s);
                break;
            }
            /* Continuation: this invocation ends after the previous step; a new (warm) one
             * starts then and runs this step. */
            a->status = PLAN_ATTEMPT_CONTINUED;
            a->t_stop = fp->t;
            a->end_step = f->first_step + fp->k;
            f->invocations++;
            if ((rc = open_attempt(&fx, p, &cap, i, fp, fp->invocation + 1, 0, fp->gen, 0, fp->t, e)))
                break;
            continue;
        }
        for (int q = 0; q < 4; q++) {
            a->kv_errors += tm.kv_retries[q];
            a->throttled += tm.throttled[q];
            p->kv_errors += tm.kv_retries[q];
            p->throttled += tm.throttled[q];
        }
        /* Only the requests issued before a death reached the store. */
        for (int q = 0; q < fx.n_pend && !rc; q++)
            if ((!dead || fx.pend_t[q] < t_dead) && rate_add(&fx.win[fx.pend_cls[q]], fx.pend_t[q]))
                rc = err_set(e, SIREN_ENOMEM, "plan: out of memory");
        if (rc) break;
        if (dead) {
            a->status = crashed ? PLAN_ATTEMPT_CRASHED : PLAN_ATTEMPT_KV_FAILED;
            a->t_stop = t_dead;
            a->end_step = f->first_step + fp->k;
            a->dead_gets = (tm.t_param_get > 0 && tm.t_param_get <= t_dead) +
                           (tm.t_compute > 0 && tm.t_compute <= t_dead) +
                           (tm.base_end > 0 && tm.base_end <= t_dead);
            if (crashed) p->crashes++;
            else p->kv_failures++;
            f->t_end = t_dead;
            if (fp->attempt < c->faults->retries) {
                /* Lambda retries the event as a fresh invocation after its wait; an
                 * environment whose process crashed is gone, one whose handler raised is
                 * kept warm. */
                p->retries++;
                int retry = fp->attempt + 1;
                if ((rc = open_attempt(&fx, p, &cap, i, fp, fp->invocation, retry, fp->gen + 1,
                                       crashed, t_dead + fault_retry_delay_s(c->faults, retry), e)))
                    break;
                continue;
            }
            fail_rest(p, i, fp);
            p->lost_functions++;
            fp->done = 1;
            continue;
        }
        st->t_data_get = tm.t_data_get;
        st->t_param_get = tm.t_param_get;
        st->t_compute = tm.t_compute;
        st->t_put = tm.t_put;
        st->t_end = tm.t_end;
        st->invocation = fp->invocation;
        st->attempt = fp->attempt;
        st->gen = fp->gen;
        memcpy(st->kv_retries, tm.kv_retries, sizeof st->kv_retries);
        memcpy(st->throttled, tm.throttled, sizeof st->throttled);
        a->end_step = f->first_step + fp->k + 1;
        a->t_stop = tm.t_end;
        f->t_end = tm.t_end;
        fp->t = tm.t_end;
        if (++fp->k == f->n_steps) fp->done = 1;
    }
    for (int w = 0; w < RATE_CLASSES; w++) free(fx.win[w].count);
    free(fx.lat);
    free(fps);
    if (rc) return rc;
    /* Billed: every attempt from its start (after the start latency) to its stop. */
    for (size_t q = 0; q < p->n_attempts; q++) {
        struct plan_attempt *a = &p->attempts[q];
        p->fns[a->fn].billed_s += a->t_stop - a->t_start;
    }
    qsort(p->attempts, p->n_attempts, sizeof *p->attempts, cmp_attempt);
    return SIREN_OK;
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
    out->param_bytes = cfg->costs.param_bytes;
    if (cfg->sync == PLAN_SYNC_BSP) {
        if ((rc = time_bsp(cfg, out, e))) goto fail;
    } else {
        rc = cfg->faults ? time_faults(cfg, out, e) : time_async(cfg, out, e);
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

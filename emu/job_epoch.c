/*
 * job_epoch: one epoch on rank 0, from the scheduler's action to its commit. The action is
 * checked against the platform, the epoch's batches are shuffled and planned on the virtual
 * clock (planner.h), the plan becomes one task message per rank in run order, the messages
 * are exchanged for the ranks' results, and the epoch is recorded (job_record.c), evaluated on
 * held-out data and committed: checkpoint first (job_ckpt.c), then its epochs.csv row, then
 * its parameter versions dropped. A planned crash (faults) is made real by a task whose data
 * object does not exist.
 */
#include "job_internal.h"

#include "epoch_model.h"
#include "handler.h"
#include "staging.h"
#include "streams.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* How long a step may wait for a version another function writes, in real time. */
#define JOB_WAIT_MS 600000.0

/* The version a planned crash's event names as its write: no step ever reads it, so the
 * failure marker its sandbox's failure leaves (an invoker marks a failed task's version)
 * stands in nobody's way. */
#define JOB_FAULT_VERSION 99999999

int job_invoker_of(const struct job *j, int fn)
{
    return j->size == 1 ? 0 : 1 + fn % (j->size - 1);
}

void job_model_opts(const struct job *j, struct epoch_model_opts *o)
{
    *o = (struct epoch_model_opts){.channel = j->cfg.channel,
                                   .variable_latency = !j->cfg.fixed_latency,
                                   .seed = j->coord->w->opts.seed};
}

double job_driver_s(const struct job *j)
{
    return epoch_model_driver_s(&j->platform, j->cfg.sync);
}

void job_plan_costs(const struct job *j, int memory_mb, struct plan_costs *k)
{
    const struct job_coord *c = j->coord;
    struct epoch_model_opts o;
    job_model_opts(j, &o);
    epoch_model_costs(&j->platform, &o, c->cal.s_per_sample, c->shard_bytes_per_sample,
                      c->param_bytes, memory_mb, k);
}

int job_action_check(const struct job *j, int n, int memory_mb, struct err *e)
{
    const struct platform *pf = &j->platform;
    if (!platform_memory_valid(pf, memory_mb))
        return err_set(e, SIREN_EINVAL,
                       "memory %d MB is not valid on %s (%d..%d MB in steps of %d)", memory_mb,
                       pf->name, pf->memory_mb_min, pf->memory_mb_max, pf->memory_mb_step);
    if (n < 1 || n > pf->concurrency_limit)
        return err_set(e, SIREN_EINVAL,
                       "%d functions: expected 1..%d (the concurrency limit of %s; "
                       "--concurrency N raises it, as AWS does on request)", n,
                       pf->concurrency_limit, pf->name);
    if ((size_t)n > j->coord->n_batches)
        return err_set(e, SIREN_EINVAL, "%d functions but only %zu mini-batches of %d rows "
                       "(use a smaller --batch)", n, j->coord->n_batches, j->coord->w->opts.batch);
    return SIREN_OK;
}

/* ------------------------------------------------------------------ task messages */

/* The leader's aggregation of BSP round r (a task of function 0 with step -1 - r): the mean of
 * the round's gradients applied to version r gives version r + 1. */
static int add_aggregation(const struct plan_epoch *p, const char *prefix, int round,
                           struct task_msg *m, struct err *e)
{
    struct task_spec *t = job_task_msg_add(m);
    struct task_step *s = t ? job_task_spec_add_step(t) : NULL;
    if (!s) return err_set(e, SIREN_ENOMEM, "out of memory");
    t->fn = 0;
    t->first_step = -1 - round;
    snprintf(t->state_key, sizeof t->state_key, "%sstate-leader", prefix);
    s->kind = TASK_STEP_AGGREGATE;
    s->read_version = round;
    s->base_version = -1;
    s->write_version = round + 1;
    int members = 0;
    for (int i = 0; i < p->n_functions; i++) members += round < p->fns[i].n_steps;
    int rc = job_task_step_aggregate(s, members, e);
    for (int i = 0, k = 0; !rc && i < p->n_functions; i++)
        if (round < p->fns[i].n_steps)
            job_key_grad(s->aggregate[k++], TASK_KEY_MAX, prefix, round, i);
    return rc;
}

/* The function number the invokers see for attempt generation gen of function fn (gen: failed
 * attempts before it). A retry is a fresh invocation: as its own function, it does not wait for
 * the tasks of the attempt that died, nor is it skipped because that attempt failed. Without
 * faults gen is 0 and this is fn. */
static int wire_fn(const struct plan_epoch *p, int fn, int gen)
{
    return fn + gen * p->n_functions;
}

/* Faults: every attempt planned to die gets one more task, the step it dies in, whose event
 * names a data object that does not exist. Its handler fails at that GET, for real, in its
 * sandbox; the attempt's later steps are not sent. Its write is JOB_FAULT_VERSION, so the
 * failure marker lands where no reader looks. Appended after the attempt's other tasks, so
 * it runs after them on its rank. */
static int add_fault_tasks(const struct job *j, const struct plan_epoch *p, struct task_msg *m,
                           struct err *e)
{
    for (size_t q = 0; q < p->n_attempts; q++) {
        const struct plan_attempt *at = &p->attempts[q];
        if (at->status != PLAN_ATTEMPT_CRASHED && at->status != PLAN_ATTEMPT_KV_FAILED) continue;
        struct task_spec *t = job_task_msg_add(&m[job_invoker_of(j, at->fn)]);
        struct task_step *s = t ? job_task_spec_add_step(t) : NULL;
        if (!s) return err_set(e, SIREN_ENOMEM, "out of memory");
        t->fn = wire_fn(p, at->fn, at->gen);
        t->first_step = p->steps[at->end_step].step;
        s->kind = TASK_STEP_TRAIN;
        store_key_fault(s->data_key, sizeof s->data_key, j->job_id, j->coord->progress.epoch,
                        at->fn, at->invocation, at->attempt,
                        at->status == PLAN_ATTEMPT_CRASHED ? "crash" : "kv-error");
        s->read_version = 0;
        s->base_version = j->cfg.update == PLAN_UPDATE_APPLY ? 0 : -1;
        s->write_version = JOB_FAULT_VERSION;
        s->seed = 0;
    }
    return SIREN_OK;
}

void job_message_head(const struct job *j, int memory_mb, const char *prefix,
                      struct task_msg *m)
{
    const struct job_coord *c = j->coord;
    const struct job_progress *prog = &c->progress;
    m->epoch = prog->epoch;
    m->memory_mb = memory_mb;
    m->timeout_ms = j->platform.timeout_s * 1e3;
    m->wall = j->cfg.wall_clock;
    cJSON *t = m->event = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "job", j->job_id);
    /* The function stops waiting once this record is replaced or gone (handler.h). */
    cJSON_AddStringToObject(t, "owner_key", c->owner_key);
    cJSON_AddStringToObject(t, "owner", c->owner);
    cJSON_AddStringToObject(t, "workload", c->w->info.name);
    cJSON_AddNumberToObject(t, "epoch", prog->epoch);
    cJSON_AddNumberToObject(t, "memory_mb", memory_mb);
    cJSON_AddStringToObject(t, "kv", j->kv_url);
    cJSON_AddStringToObject(t, "update", job_update_name(j->cfg.update));
    cJSON_AddNumberToObject(t, "wait_ms", JOB_WAIT_MS);
    cJSON_AddStringToObject(t, "params", prefix);
    cJSON_AddItemToObject(t, "model", fn_model_config_to_json(&c->w->model_cfg));
    struct kn_optim_config oc = c->w->optim_cfg;
    oc.lr = (float)workload_lr_at(c->w, prog->epoch); /* the workload's per-epoch decay */
    cJSON_AddItemToObject(t, "optimizer", fn_optim_config_to_json(&oc));
}

/* A planned step as sent: its staged batch, its versions (all FN_CURRENT under the wall
 * clock; the base only under APPLY) and its seed; under BSP it writes a gradient instead. */
static void step_fill(const struct job *j, const struct plan_step *st, const uint32_t *perm,
                      const char *prefix, uint64_t seed, struct task_step *s)
{
    int apply = j->cfg.update == PLAN_UPDATE_APPLY;
    s->kind = TASK_STEP_TRAIN;
    job_key_data(j, s->data_key, sizeof s->data_key, perm[st->batch]);
    s->read_version = st->read_version;
    s->base_version = apply ? st->base_version : -1;
    s->write_version = st->write_version;
    s->seed = seed;
    if (j->cfg.wall_clock) s->read_version = s->base_version = s->write_version = FN_CURRENT;
    if (j->cfg.sync == PLAN_SYNC_BSP) {
        s->kind = TASK_STEP_GRADIENT;
        s->write_version = -1;
        job_key_grad(s->grad_key, sizeof s->grad_key, prefix, st->step, st->fn);
    }
}

/* Fills m[r], rank r's message, with the n_order steps order[0..n_order) of p in run order. */
static int messages_fill(struct job *j, const struct plan_epoch *p, const uint32_t *order,
                         size_t n_order, const uint32_t *perm, const char *prefix,
                         struct task_msg *m, struct err *e)
{
    const struct job_coord *c = j->coord;
    /* Under the virtual clock a task is one step, in run order; under the wall clock a task
     * is a whole function, every step reading and overwriting the current object. Under BSP
     * each round of gradient steps is followed by the leader's aggregation. */
    int bsp = j->cfg.sync == PLAN_SYNC_BSP, round = 0, rc;
    int fn_of_task = -1, task_rank = 0, task_idx = 0; /* the task steps go to */
    for (size_t i = 0; i <= n_order; i++) {
        if (bsp && (i == n_order || p->steps[order[i]].step != round)) {
            if ((rc = add_aggregation(p, prefix, round, &m[job_invoker_of(j, 0)], e))) return rc;
            if (i == n_order) break;
            round = p->steps[order[i]].step;
        }
        if (i == n_order) break;
        const struct plan_step *st = &p->steps[j->cfg.wall_clock ? i : order[i]];
        if (st->failed) continue; /* planned past the timeout: never runs */
        /* Seeds of the step's random masks: fixed by (seed, epoch, batch). A step of pass p
         * of an ASP run counts as epoch 1 + p, its batch numbered within its pass. */
        int ep = c->progress.epoch + st->pass;
        uint32_t batch = st->batch - (uint32_t)st->pass * (uint32_t)c->n_batches;
        uint64_t seed = stream_step_seed(c->w->opts.seed, ep, batch);
        if (!j->cfg.wall_clock || st->fn != fn_of_task) {
            task_rank = job_invoker_of(j, st->fn);
            struct task_spec *t = job_task_msg_add(&m[task_rank]);
            if (!t) return err_set(e, SIREN_ENOMEM, "out of memory");
            task_idx = m[task_rank].n_tasks - 1;
            t->fn = wire_fn(p, st->fn, st->gen);
            t->first_step = st->step;
            /* Each event of the function's invocation restores and saves its optimiser state
             * (the wall clock runs the invocation as one event). */
            if (!j->cfg.wall_clock)
                snprintf(t->state_key, sizeof t->state_key, "%sstate-f%06d", prefix, st->fn);
            if (j->cfg.sync == PLAN_SYNC_ASP) {
                /* ASP: the learning rate of the step's pass (the template has pass 1's). */
                t->lr = (double)(float)workload_lr_at(c->w, ep);
                t->epoch = ep;
            }
            fn_of_task = st->fn;
        }
        struct task_step *s = job_task_spec_add_step(&m[task_rank].tasks[task_idx]);
        if (!s) return err_set(e, SIREN_ENOMEM, "out of memory");
        step_fill(j, st, perm, prefix, seed, s);
    }
    return add_fault_tasks(j, p, m, e);
}

int job_messages_build(struct job *j, const struct plan_epoch *p, const uint32_t *order,
                       size_t n_order, const uint32_t *perm, int memory_mb, const char *prefix,
                       char **msgs, struct err *e)
{
    struct task_msg *m = calloc((size_t)j->size, sizeof *m);
    if (!m) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int r = 0; r < j->size; r++) job_message_head(j, memory_mb, prefix, &m[r]);
    int rc = messages_fill(j, p, order, n_order, perm, prefix, m, e);
    for (int r = 0; r < j->size; r++) {
        if (!rc) rc = job_task_msg_encode(&m[r], &msgs[r], e);
        job_task_msg_free(&m[r]);
    }
    free(m);
    return rc;
}

/* ------------------------------------------------------------------- the results */

/* The attempt of function fn, generation gen, planned to die in step index s, or -1. */
static long dying_attempt(const struct plan_epoch *p, int fn, int gen, size_t s)
{
    size_t lo = 0, hi = p->n_attempts;
    while (lo < hi) { /* attempts are sorted by function */
        size_t mid = lo + (hi - lo) / 2;
        if (p->attempts[mid].fn < fn) lo = mid + 1;
        else hi = mid;
    }
    for (size_t q = lo; q < p->n_attempts && p->attempts[q].fn == fn; q++) {
        const struct plan_attempt *a = &p->attempts[q];
        if (a->gen == gen && (size_t)a->end_step == s &&
            (a->status == PLAN_ATTEMPT_CRASHED || a->status == PLAN_ATTEMPT_KV_FAILED))
            return (long)q;
    }
    return -1;
}

/* Step q of task result t into the outcomes: an aggregation's failure is counted, a planned
 * crash's step goes to its attempt (ao), any other to its step (out). */
static int absorb_step(const struct plan_epoch *p, const struct task_result *t, int q,
                       struct step_outcome *out, struct attempt_outcome *ao,
                       int *failed_aggregations, struct err *e)
{
    int wire = t->fn, step = t->first_step + q;
    if (step < 0) { /* a BSP aggregation: a failed one shows as a missing version */
        if (!t->ok) (*failed_aggregations)++;
        return SIREN_OK;
    }
    /* wire_fn(): the function and its attempt generation. */
    int fn = wire >= 0 ? wire % p->n_functions : -1, gen = wire / p->n_functions;
    if (fn < 0 || step >= p->fns[fn].n_steps)
        return err_set(e, SIREN_EFORMAT, "results message: step %d of function %d is unknown",
                       step, wire);
    size_t s = (size_t)(p->fns[fn].first_step + step);
    long qa = p->n_attempts ? dying_attempt(p, fn, gen, s) : -1;
    if (qa >= 0 && ao) {
        struct attempt_outcome *a = &ao[qa];
        a->ran = 1;
        a->ok = t->ok;
        a->wall_ms = t->wall_ms;
        a->peak_mb = t->peak_mb;
        snprintf(a->error, sizeof a->error, "%s", t->error);
        return SIREN_OK;
    }
    if (gen != p->steps[s].gen || p->steps[s].failed)
        /* No attempt was planned to run it: a retry must never redo a written step. */
        return err_set(e, SIREN_EFORMAT, "results message: step %d of function %d came from "
                       "attempt generation %d, which was not planned to run it", step, fn, gen);
    const struct step_result *sr = &t->steps[q];
    struct step_outcome *o = &out[s];
    o->ran = 1;
    o->ok = t->ok;
    o->read_got = sr->read_got;
    o->base_got = sr->base_got;
    o->loss = sr->loss;
    o->wall_ms = t->wall_ms;
    o->peak_mb = t->peak_mb;
    o->cold = t->cold;
    o->timing = sr->timing;
    o->start_ms = t->start_ms;
    o->end_ms = t->end_ms;
    o->init_ms = t->init_ms;
    o->run_ms = t->run_ms;
    snprintf(o->error, sizeof o->error, "%s", t->error);
    return SIREN_OK;
}

/* Hands every task result of a results message to absorb. */
static int absorb_results(const char *msg, job_absorb_fn absorb, void *ctx, struct err *e)
{
    struct task_result *res;
    int n, rc = job_task_results_decode(msg, &res, &n, e);
    for (int i = 0; !rc && i < n; i++) rc = absorb(ctx, &res[i], e);
    job_task_results_free(res, n);
    return rc;
}

int job_exchange_tasks(struct job *j, char **msgs, job_absorb_fn absorb, void *ctx,
                       struct err *e)
{
    int rc;
    if (j->size == 1) {
        char *res;
        if ((rc = job_tasks_run(j, msgs[0], &res, e))) return rc;
        rc = absorb_results(res, absorb, ctx, e);
        free(res);
        return rc;
    }
    for (int k = 1; k < j->size; k++)
        if ((rc = job_msg_send(msgs[k], k, TAG_TASKS, e))) return rc;
    for (int k = 1; k < j->size; k++) {
        char *res;
        int tag, from;
        if ((rc = job_msg_recv(MPI_ANY_SOURCE, &tag, &from, &res, e))) return rc;
        rc = tag == TAG_RESULTS ? absorb_results(res, absorb, ctx, e)
                                : err_set(e, SIREN_EMPI, "rank %d sent tag %d", from, tag);
        free(res);
        if (rc) return rc;
    }
    return SIREN_OK;
}

/* Where a step plan's results go. */
struct step_sink {
    const struct plan_epoch *p;
    struct step_outcome *so;
    struct attempt_outcome *ao;
    int *failed_aggregations;
};

static int absorb_steps(void *ctx, const struct task_result *t, struct err *e)
{
    struct step_sink *k = ctx;
    int rc = SIREN_OK;
    for (int q = 0; !rc && q < t->n_steps; q++)
        rc = absorb_step(k->p, t, q, k->so, k->ao, k->failed_aggregations, e);
    return rc;
}

int job_exchange(struct job *j, char **msgs, const struct plan_epoch *p, struct step_outcome *so,
                 struct attempt_outcome *ao, int *failed_aggregations, struct err *e)
{
    struct step_sink k = {p, so, ao, failed_aggregations};
    return job_exchange_tasks(j, msgs, absorb_steps, &k, e);
}

/* ------------------------------------------------------------------------ an epoch */

/* An epoch between its plan and its commit. */
struct epoch_run {
    struct plan_config pc;
    struct plan_epoch p;
    uint32_t *perm;  /* (n_batches) which staged mini-batch each of the epoch's batches is */
    uint32_t *rows;  /* (n_batches) the rows of each of the epoch's batches */
    uint32_t *order; /* (p.n_steps) the plan's run order */
    char **msgs;     /* (size) each rank's task message */
    struct step_outcome *so;    /* (p.n_steps) */
    struct attempt_outcome *ao; /* (p.n_attempts) */
    char prefix[STORE_KEY_MAX]; /* the epoch's parameter versions */
    int failed_aggregations, survivors;
};

void job_messages_free(const struct job *j, char **msgs)
{
    for (int k = 0; msgs && k < j->size; k++) free(msgs[k]);
    free(msgs);
}

static void epoch_run_free(struct job *j, struct epoch_run *r)
{
    job_messages_free(j, r->msgs);
    free(r->perm);
    free(r->rows);
    free(r->order);
    free(r->so);
    free(r->ao);
    plan_epoch_free(&r->p);
}

/* The planner's settings for n functions of memory_mb: warm containers are the last epoch's
 * survivors of the same size. */
static void epoch_plan_config(const struct job *j, int n, int memory_mb, struct plan_config *pc)
{
    const struct job_coord *c = j->coord;
    const struct job_progress *prog = &c->progress;
    struct plan_costs costs;
    job_plan_costs(j, memory_mb, &costs);
    /* The batches are the epoch's order, set by the caller. */
    epoch_model_plan_config(&costs, prog->epoch, n,
                            epoch_model_warm(n, memory_mb, prog->prev_n, prog->prev_memory_mb),
                            j->cfg.sync, j->cfg.staleness, j->cfg.update, j->cfg.on_timeout, NULL,
                            c->n_batches, pc);
    if (c->faults_on) {
        pc->faults = &c->faults;
        pc->epoch = prog->epoch;
        if (c->faults.throttle) {
            pc->costs.kv_gets_per_s_per_prefix = j->platform.store_gets_per_s_per_prefix;
            pc->costs.kv_puts_per_s_per_prefix = j->platform.store_puts_per_s_per_prefix;
        }
    }
}

/* Shuffles the epoch's batches (a seeded order per epoch) and plans them. */
static int epoch_plan(struct job *j, int n, int memory_mb, struct epoch_run *r, struct err *e)
{
    struct job_coord *c = j->coord;
    epoch_plan_config(j, n, memory_mb, &r->pc);
    r->perm = malloc(c->n_batches * sizeof *r->perm);
    r->rows = malloc(c->n_batches * sizeof *r->rows);
    r->msgs = calloc((size_t)j->size, sizeof *r->msgs);
    if (!r->perm || !r->rows || !r->msgs) return err_set(e, SIREN_ENOMEM, "out of memory");
    staging_epoch_order(c->w->opts.seed, c->progress.epoch, c->n_batches, r->perm);
    for (size_t b = 0; b < c->n_batches; b++) r->rows[b] = c->batch_rows[r->perm[b]];
    r->pc.batch_rows = r->rows;
    int rc = plan_epoch_build(&r->pc, &r->p, e);
    if (!rc) rc = plan_epoch_run_order(&r->p, &r->order, e);
    return rc;
}

/* Sends the plan's steps to the ranks and gathers what happened. */
static int epoch_run(struct job *j, int memory_mb, struct epoch_run *r, struct err *e)
{
    r->so = calloc(r->p.n_steps, sizeof *r->so);
    r->ao = calloc(r->p.n_attempts ? r->p.n_attempts : 1, sizeof *r->ao);
    if (!r->so || !r->ao) return err_set(e, SIREN_ENOMEM, "out of memory");
    job_key_params(j, r->prefix, sizeof r->prefix, j->coord->progress.epoch);
    int rc = job_messages_build(j, &r->p, r->order, r->p.n_steps, r->perm, memory_mb, r->prefix,
                                r->msgs, e);
    if (!rc) rc = job_exchange(j, r->msgs, &r->p, r->so, r->ao, &r->failed_aggregations, e);
    return rc;
}

/* Evaluates the epoch's newest surviving version on held-out data (and carries it over as the
 * next epoch's version 0). */
static int epoch_evaluate(struct job *j, struct epoch_run *r,
                          struct epoch_report *rep, struct err *e)
{
    int64_t got;
    int rc = job_version_load(j, r->prefix, r->p.n_versions, 1, &got, e);
    if (rc) return rc;
    struct workload_eval ev;
    if ((rc = job_evaluate(j, &ev, e))) return rc;
    rep->test_loss = ev.loss;
    rep->test_accuracy = ev.accuracy;
    rep->test_auc = ev.auc;
    return SIREN_OK;
}

void job_progress_report(struct job *j, double budget_usd, struct epoch_report *rep)
{
    struct job_progress *prog = &j->coord->progress;
    rep->total_time_s = prog->total_time_s;
    rep->total_cost_usd = prog->total_cost_usd;
    rep->budget_left_usd = budget_usd > 0 ? budget_usd - prog->total_cost_usd : (double)INFINITY;
    if (!prog->reached_target && rep->test_loss <= j->cfg.target_loss) {
        prog->reached_target = 1;
        prog->time_to_target_s = prog->total_time_s;
    }
    rep->reached_target = prog->reached_target;
}

void job_epoch_account(struct job *j, int n, int memory_mb, int survivors,
                       struct epoch_report *rep)
{
    struct job_coord *c = j->coord;
    struct job_progress *prog = &c->progress;
    prog->total_time_s += rep->time_s;
    prog->total_cost_usd += rep->cost_usd;
    prog->invocations += rep->invocations;
    prog->failed_invocations += rep->failed_invocations;
    if (n > prog->peak_functions) prog->peak_functions = n;
    job_progress_report(j, j->cfg.budget_usd, rep);
    /* Containers of functions that died are gone: only the survivors start warm next time. */
    prog->prev_n = n - rep->failed_invocations > 0 ? n - rep->failed_invocations : 0;
    if (c->faults_on) prog->prev_n = survivors; /* a function retried to success has one */
    prog->prev_memory_mb = memory_mb;
    prog->last = *rep;
    prog->faults.crashes += rep->crashes;
    prog->faults.kv_failures += rep->kv_failures;
    prog->faults.retries += rep->retries;
    prog->faults.stragglers += rep->stragglers;
    prog->faults.kv_errors += rep->kv_errors;
    prog->faults.throttled += rep->throttled;
    prog->faults.lost_functions += rep->lost_functions;
    prog->faults.failed_steps += rep->failed_steps;
}

/* The checkpoint comes first; only then may the epoch's parameter versions go (a resume from
 * the previous checkpoint would run this epoch again from its version 0), and only then does
 * its row appear in epochs.csv, so that a row there is an epoch a resume continues after (the
 * checkpoint carries the row for the resumed epochs.csv). */
int job_epoch_commit(struct job *j, const char *prefix, const struct epoch_report *rep,
                     size_t inv0, size_t ops0, struct err *e)
{
    char row[512];
    int rc = job_owner_check(j, e);
    if (!rc) rc = job_epoch_row(j, rep, j->cfg.budget_usd, row, sizeof row, e);
    if (!rc) rc = job_ckpt_put(j, inv0, ops0, row, e);
    if (rc) return rc;
    job_epochs_csv_add(j, row);
    job_versions_drop(j, prefix);
    return SIREN_OK;
}

int job_epoch(struct job *j, int n, int memory_mb, struct epoch_report *rep, struct err *e)
{
    struct job_coord *c = j->coord;
    struct job_progress *prog = &c->progress;
    memset(rep, 0, sizeof *rep);
    int rc = job_action_check(j, n, memory_mb, e);
    if (rc) return rc;
    prog->epoch++;
    size_t inv0 = c->trace.n_inv, ops0 = c->trace.n_ops; /* the epoch's trace records start here */
    struct epoch_run r = {0};
    if (plan_update_in_rounds(j->cfg.update)) {
        job_key_params(j, r.prefix, sizeof r.prefix, prog->epoch);
        if ((rc = job_epoch_rounds(j, n, memory_mb, rep, &r.survivors, e))) goto out;
        job_epoch_account(j, n, memory_mb, r.survivors, rep);
        if ((rc = job_epoch_commit(j, r.prefix, rep, inv0, ops0, e))) goto out;
        goto done;
    }
    if ((rc = epoch_plan(j, n, memory_mb, &r, e)) || (rc = epoch_run(j, memory_mb, &r, e)))
        goto out;
    epoch_model_report_start(rep, prog->epoch, n, memory_mb, r.pc.n_warm, job_model_bytes(j));
    rc = j->cfg.wall_clock
             ? job_record_epoch_wall(j, &r.p, r.so, memory_mb, rep, e)
             : job_record_epoch(j, &r.p, r.so, r.ao, memory_mb, rep, &r.survivors, e);
    if (rc || (rc = epoch_evaluate(j, &r, rep, e))) goto out;
    job_epoch_account(j, n, memory_mb, r.survivors, rep);
    if ((rc = job_epoch_commit(j, r.prefix, rep, inv0, ops0, e))) goto out;
done:
    if (!j->cfg.quiet)
        LOG_INFO("run", "epoch %d: n=%d m=%d loss %.4f acc %.4f time %.2f s cost $%.6f "
                 "(total %.2f s, $%.6f)%s",
                 rep->epoch, n, memory_mb, rep->test_loss, rep->test_accuracy, rep->time_s,
                 rep->cost_usd, prog->total_time_s, prog->total_cost_usd,
                 rep->failed_invocations ? " with failed functions" : "");
out:
    /* An epoch that did not commit is not one of the job's: the summary counts those that
     * did. */
    if (rc) prog->epoch--;
    epoch_run_free(j, &r);
    return rc;
}

/*
 * job_rounds: an epoch of a round rule (average[:K], allreduce, scatter-reduce, allgather) on
 * rank 0. The round planner (plan_rounds.h) times it; then every member's part of every round
 * becomes a round event of its function, and every round's reduction one event of a reducer:
 * a part loads the round's input model (restoring its own optimiser state after round 0,
 * under average), trains its mini-batches (local steps, or a gradient sum at fixed weights),
 * and puts its contribution; the reducer averages the round's contributions weighted by their
 * rows (gradient rules: one optimiser step with the mean gradient) into the round's result,
 * the last round's being the next epoch's parameters. Tasks go to the ranks round by round,
 * parts before their reduction, so that every wait is for an earlier task and nothing can
 * deadlock. The emulator computes each reduction once, in one event: the same numbers every
 * collective gives (sums in function order), while the plan times and bills the rule's own
 * traffic (plan_rounds.h). Keys under the epoch's prefix: contributions cRRRRRR/fFFFFFF,
 * results rRRRRRR, saved states sRRRRRR/fFFFFFF (the reducer's sRRRRRR/reduce).
 * Faults (crash, straggler): the plan lays them in (plan_rounds.h); a crashed attempt becomes a
 * task of its own whose train op GETs a data object that does not exist, so that its handler
 * fails for real in its sandbox, and a part every attempt of which crashed sends no work: its
 * round reduces the others (or, with none left, passes its input on).
 * Under the wall clock nothing is planned: every function runs at once as one event with all
 * its rounds, keeping its optimiser state in memory, and each round's first member (the
 * leader of LambdaML's allreduce) reduces it inside its own event while the others wait for
 * the result; times, bills and requests are what was measured.
 */
#include "job_internal.h"

#include "epoch_model.h"
#include "handler.h"
#include "staging.h"
#include "streams.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How long a load may wait for an object another task writes, in real time. */
#define ROUNDS_WAIT_MS 600000.0

/* An epoch of a round rule between its plan and its record. */
struct rounds_run {
    struct plan_config pc;
    struct plan_rounds p;
    uint32_t *order; /* (n_batches) the staged batch at each position of the epoch's order */
    uint32_t *rows;  /* (n_batches) its rows */
    /* This epoch's keys; the next epoch's (its parameters). */
    char prefix[STORE_KEY_MAX], next[STORE_KEY_MAX];
    /* Outcomes, per part (indexed like p.parts) and per round's reduction. */
    struct task_result *parts, *reduces;
    struct task_result *crashes; /* (n_calls) faults: a crashed call's task, by its index */
    size_t *call_first;          /* (n_functions + 1) faults: each function's first call */
    int gradient;    /* a gradient rule (the others: average) */
    int wall;        /* the wall clock: one event per function */
};

/* Each function's objects sit under a prefix of their own (fNNNNNN/), as a job spreads its keys
 * so that S3's per-prefix request rates are per function (the plan assumes it). */
static void key_contrib(char *buf, size_t len, const char *prefix, int round, int fn)
{
    snprintf(buf, len, "%sf%06d/c%06d", prefix, fn, round);
}

/* An epoch's parameters are its version 0 (the wall clock's current object, as staged). */
static void key_result(char *buf, size_t len, const struct rounds_run *r, int round)
{
    if (round == r->p.n_rounds - 1) fn_version_key(r->next, r->wall ? FN_CURRENT : 0, 0, buf, len);
    else snprintf(buf, len, "%sr%06d", r->prefix, round);
}

static void key_input(char *buf, size_t len, const struct rounds_run *r, int round)
{
    if (round == 0) fn_version_key(r->prefix, r->wall ? FN_CURRENT : 0, 0, buf, len);
    else key_result(buf, len, r, round - 1);
}

static void key_state(char *buf, size_t len, const char *prefix, int round, int fn)
{
    if (fn < 0) snprintf(buf, len, "%ss%06d/reduce", prefix, round);
    else snprintf(buf, len, "%sf%06d/s%06d", prefix, fn, round);
}

/* The learning rate of round `round`, whose update combines `members` functions' work: the
 * warm-up is read at the end of the round, so that an epoch of one round (average without K)
 * is scaled once the warm-up is shorter than an epoch. */
static double round_lr(const struct job *j, const struct rounds_run *r, int round, int members)
{
    const struct job_coord *c = j->coord;
    int epoch = c->progress.epoch;
    double factor = (double)members * (r->gradient ? (double)r->pc.round_batches : 1.0);
    double progress = (epoch - 1) + (double)(round + 1) / r->p.n_rounds;
    return lr_rule_at(&j->cfg.lr_rule, workload_lr_at(c->w, epoch), factor, progress);
}

/* ------------------------------------------------------------------------ the plan */

static int rounds_plan(struct job *j, int n, int memory_mb, struct rounds_run *r, struct err *e)
{
    struct job_coord *c = j->coord;
    struct job_progress *prog = &c->progress;
    size_t nb = c->n_batches;
    struct plan_costs costs;
    job_plan_costs(j, memory_mb, &costs);
    epoch_model_plan_config(&costs, prog->epoch, n,
                            epoch_model_warm(n, memory_mb, prog->prev_n, prog->prev_memory_mb),
                            j->cfg.sync, j->cfg.staleness, j->cfg.update, j->cfg.on_timeout, NULL,
                            nb, &r->pc);
    r->pc.round_batches = j->cfg.round_batches;
    r->pc.fetch = j->cfg.fetch;
    if (c->faults_on) {
        r->pc.faults = &c->faults;
        r->pc.epoch = prog->epoch;
    }
    r->gradient = j->cfg.update != PLAN_UPDATE_AVERAGE;
    r->wall = j->cfg.wall_clock;
    r->order = malloc(nb * sizeof *r->order);
    r->rows = malloc(nb * sizeof *r->rows);
    if (!r->order || !r->rows) return err_set(e, SIREN_ENOMEM, "out of memory");
    /* A share read in ranged GETs wants whole chunks of the staged data (staging.h). */
    uint32_t chunk = j->cfg.fetch == PLAN_FETCH_SHARE
                         ? plan_rounds_chunk_batches(&costs, (uint32_t)c->w->opts.batch)
                         : 1;
    staging_epoch_order_chunked(c->w->opts.seed, prog->epoch, nb, chunk, r->order);
    for (size_t b = 0; b < nb; b++) r->rows[b] = c->batch_rows[r->order[b]];
    r->pc.batch_rows = r->rows;
    job_key_params(j, r->prefix, sizeof r->prefix, prog->epoch);
    job_key_params(j, r->next, sizeof r->next, prog->epoch + 1);
    return plan_rounds_build(&r->pc, c->state_bytes, &r->p, e);
}

/* --------------------------------------------------------------------- the events */

static cJSON *op_new(cJSON *ops, const char *name, const char *key)
{
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "op", name);
    if (key) cJSON_AddStringToObject(op, "key", key);
    cJSON_AddItemToArray(ops, op);
    return op;
}

/* A member's training and contribution: train, contribute. */
static void add_train_ops(const struct job *j, const struct rounds_run *r,
                          const struct plan_part *q, int members, cJSON *ops)
{
    const struct job_coord *c = j->coord;
    char key[128];
    cJSON *train = op_new(ops, "train", NULL);
    if (r->gradient) cJSON_AddTrueToObject(train, "gradient");
    else cJSON_AddNumberToObject(train, "lr", round_lr(j, r, q->round, members));
    cJSON *batches = cJSON_AddArrayToObject(train, "batches");
    for (uint32_t pos = q->first; pos < q->first + q->count; pos++) {
        cJSON *b = cJSON_CreateObject();
        if (c->w->opts.generate) {
            /* The function makes the batch's rows itself (staging_generated). */
            size_t batch = r->order[pos], B = (size_t)c->w->opts.batch;
            cJSON *g = cJSON_AddObjectToObject(b, "generate");
            if (workload_schema(c->w) == DS_SCHEMA_CRITEO)
                cJSON_AddStringToObject(g, "schema", "criteo");
            cJSON_AddNumberToObject(g, "seed", (double)c->w->opts.seed);
            cJSON_AddNumberToObject(g, "hash_bits", c->w->opts.hash_bits);
            cJSON_AddNumberToObject(g, "first_row", (double)(batch * B));
            cJSON_AddNumberToObject(g, "rows", c->batch_rows[batch]);
        } else {
            job_key_data(j, key, sizeof key, r->order[pos]);
            cJSON_AddStringToObject(b, "data", key);
        }
        cJSON_AddNumberToObject(
            b, "seed", (double)stream_step_seed(c->w->opts.seed, c->progress.epoch, pos));
        cJSON_AddItemToArray(batches, b);
    }
    key_contrib(key, sizeof key, r->prefix, q->round, q->fn);
    op_new(ops, "contribute", key);
}

/* A member's part as an event of its own: [restore,] load, train, contribute[, save]. */
static cJSON *part_ops(const struct job *j, const struct rounds_run *r, const struct plan_part *q,
                       int members)
{
    char key[128];
    cJSON *ops = cJSON_CreateArray();
    if (!r->gradient && q->round > 0) {
        key_state(key, sizeof key, r->prefix, q->round - 1, q->fn);
        op_new(ops, "restore", key);
    }
    key_input(key, sizeof key, r, q->round);
    op_new(ops, "load", key);
    add_train_ops(j, r, q, members, ops);
    /* Its optimiser state goes on to its next round (average:K). */
    if (!r->gradient && plan_rounds_part(&r->p, q->fn, q->round + 1)) {
        key_state(key, sizeof key, r->prefix, q->round, q->fn);
        op_new(ops, "save", key);
    }
    return ops;
}

/* Round `round`'s reduction of the parts mem[0..m). */
static void add_reduce_op(const struct job *j, const struct rounds_run *r,
                          const struct plan_part *const *mem, int m, int round, cJSON *ops)
{
    char key[128];
    cJSON *red = op_new(ops, "reduce", NULL);
    cJSON *in = cJSON_AddArrayToObject(red, "inputs");
    for (int x = 0; x < m; x++) {
        cJSON *i = cJSON_CreateObject();
        key_contrib(key, sizeof key, r->prefix, round, mem[x]->fn);
        cJSON_AddStringToObject(i, "key", key);
        cJSON_AddNumberToObject(i, "weight", mem[x]->samples);
        cJSON_AddItemToArray(in, i);
    }
    key_result(key, sizeof key, r, round);
    cJSON_AddStringToObject(red, "out", key);
    key_input(key, sizeof key, r, round);
    cJSON_AddStringToObject(red, "fallback", key);
    if (r->gradient) {
        cJSON_AddTrueToObject(red, "gradient");
        key_input(key, sizeof key, r, round);
        cJSON_AddStringToObject(red, "base", key);
        cJSON_AddNumberToObject(red, "lr", round_lr(j, r, round, m));
        if (round > 0) {
            key_state(key, sizeof key, r->prefix, round - 1, -1);
            cJSON_AddStringToObject(red, "state_in", key);
        }
        if (round < r->p.n_rounds - 1) {
            key_state(key, sizeof key, r->prefix, round, -1);
            cJSON_AddStringToObject(red, "state_out", key);
        }
    }
}

static cJSON *reduce_ops(const struct job *j, const struct rounds_run *r,
                         const struct plan_part *const *mem, int m, int round)
{
    cJSON *ops = cJSON_CreateArray();
    add_reduce_op(j, r, mem, m, round, ops);
    return ops;
}

/* Adds a round task for wire function fn (the reducer is function n, whose sandbox gets the
 * platform's largest memory: it stands for a reduction the plan spreads over the functions,
 * so the epoch's memory size must not limit it) to m. */
static int add_task(struct task_msg *m, int fn, int round, cJSON *ops, const char *fail,
                    int memory_mb, struct err *e)
{
    struct task_spec *t = job_task_msg_add(m);
    if (!t || !ops) {
        cJSON_Delete(ops);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    t->fn = fn;
    t->first_step = round;
    t->ops = ops;
    t->memory_mb = memory_mb;
    snprintf(t->fail_key, sizeof t->fail_key, "%s", fail);
    return SIREN_OK;
}

/* The parts of the round that starts at p->parts[at]: returns how many there are, and puts
 * those that were not lost (the round's members) in mem[0..*kept), in the plan's order. */
static int round_parts(const struct plan_rounds *p, size_t at, const struct plan_part **mem,
                       int *kept)
{
    int round = p->parts[at].round, count = 0;
    *kept = 0;
    for (; at + (size_t)count < p->n_parts && p->parts[at + (size_t)count].round == round; count++)
        if (!p->parts[at + (size_t)count].lost) mem[(*kept)++] = &p->parts[at + (size_t)count];
    return count;
}

/* The wire function of call i's crash task: beyond the functions and the reducer, one per
 * call, so that it neither waits for its function's earlier tasks nor has the retry that
 * follows it skipped because it failed. */
static int crash_wire_fn(const struct plan_rounds *p, size_t i)
{
    return p->n_functions + 1 + (int)i;
}

/* Faults: the tasks of part q's attempts that crash, in the order Lambda made them: each loads
 * the round's input and dies at the GET of a data object that does not exist. What its failure
 * marks lies under the epoch's prefix, dropped with it. */
static int add_crash_tasks(struct job *j, const struct rounds_run *r, const struct plan_part *q,
                           int members, struct task_msg *m, struct err *e)
{
    const struct plan_rounds *p = &r->p;
    char key[128], fail[128];
    for (size_t i = r->call_first[q->fn]; i < r->call_first[q->fn + 1]; i++) {
        const struct plan_call *call = &p->calls[i];
        if (!call->crashed || call->round != q->round) continue;
        cJSON *ops = cJSON_CreateArray();
        key_input(key, sizeof key, r, q->round);
        op_new(ops, "load", key);
        cJSON *train = op_new(ops, "train", NULL);
        if (r->gradient) cJSON_AddTrueToObject(train, "gradient");
        else cJSON_AddNumberToObject(train, "lr", round_lr(j, r, q->round, members));
        cJSON *b = cJSON_CreateObject();
        snprintf(key, sizeof key, "%sx%06d/f%06d-i%d-crash", r->prefix, q->round, q->fn,
                 call->invocation);
        cJSON_AddStringToObject(b, "data", key);
        cJSON_AddNumberToObject(b, "seed", 0);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(train, "batches"), b);
        snprintf(fail, sizeof fail, "%sx%06d/f%06d-i%d", r->prefix, q->round, q->fn,
                 call->invocation);
        int rc = add_task(&m[job_invoker_of(j, q->fn)], crash_wire_fn(p, i), q->round, ops, fail,
                          0, e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

/* Every rank's message: round by round, each member's part on its function's rank (after its
 * attempts that crash), then the round's reduction of the parts that were not lost on the rank
 * of its first member. */
static int rounds_messages(struct job *j, const struct rounds_run *r, int memory_mb, char **msgs,
                           struct err *e)
{
    const struct plan_rounds *p = &r->p;
    struct task_msg *m = calloc((size_t)j->size, sizeof *m);
    const struct plan_part **kept = malloc((size_t)p->n_functions * sizeof *kept);
    int rc = m && kept ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
    char key[128];
    for (int k = 0; k < j->size && m; k++) job_message_head(j, memory_mb, r->prefix, &m[k]);
    for (size_t at = 0; at < p->n_parts && !rc;) {
        const struct plan_part *first = &p->parts[at];
        int round = first->round, n_kept, members = round_parts(p, at, kept, &n_kept);
        for (int x = 0; x < members && !rc; x++) {
            const struct plan_part *q = &first[x];
            if (r->call_first) rc = add_crash_tasks(j, r, q, n_kept, m, e);
            if (rc || q->lost) continue;
            key_contrib(key, sizeof key, r->prefix, round, q->fn);
            rc = add_task(&m[job_invoker_of(j, q->fn)], q->fn, round,
                          part_ops(j, r, q, n_kept), key, 0, e);
        }
        key_result(key, sizeof key, r, round);
        if (!rc)
            rc = add_task(&m[job_invoker_of(j, n_kept ? kept[0]->fn : first->fn)],
                          p->n_functions, round, reduce_ops(j, r, kept, n_kept, round), key,
                          j->platform.memory_mb_max, e);
        at += (size_t)members;
    }
    /* Rounds no function reached (every one died before them) pass their input on. */
    for (int round = p->n_parts ? p->parts[p->n_parts - 1].round + 1 : 0;
         !rc && round < p->n_rounds; round++) {
        key_result(key, sizeof key, r, round);
        rc = add_task(&m[job_invoker_of(j, 0)], p->n_functions, round,
                      reduce_ops(j, r, NULL, 0, round), key,
                      j->platform.memory_mb_max, e);
    }
    for (int k = 0; m && k < j->size; k++) {
        if (!rc) rc = job_task_msg_encode(&m[k], &msgs[k], e);
        job_task_msg_free(&m[k]);
    }
    free(m);
    free(kept);
    return rc;
}

/* Under the wall clock: one event per function, all its rounds, the reductions of the rounds
 * it leads inside it. */
static int rounds_messages_wall(struct job *j, const struct rounds_run *r, int memory_mb,
                                char **msgs, struct err *e)
{
    const struct plan_rounds *p = &r->p;
    struct task_msg *m = calloc((size_t)j->size, sizeof *m);
    cJSON **ops = calloc((size_t)p->n_functions, sizeof *ops);
    const struct plan_part **mem = malloc((size_t)p->n_functions * sizeof *mem);
    int rc = m && ops && mem ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
    char key[128];
    for (int k = 0; k < j->size && m; k++) job_message_head(j, memory_mb, r->prefix, &m[k]);
    for (int f = 0; !rc && f < p->n_functions; f++) {
        ops[f] = cJSON_CreateArray();
        key_input(key, sizeof key, r, 0);
        op_new(ops[f], "load", key);
    }
    for (size_t at = 0; !rc && at < p->n_parts;) {
        const struct plan_part *first = &p->parts[at];
        int round = first->round, kept, members = round_parts(p, at, mem, &kept);
        for (int x = 0; x < members; x++) add_train_ops(j, r, &first[x], members, ops[first[x].fn]);
        add_reduce_op(j, r, mem, kept, round, ops[first->fn]);
        for (int x = 0; x < members; x++)
            if (plan_rounds_part(p, first[x].fn, round + 1)) {
                key_result(key, sizeof key, r, round);
                op_new(ops[first[x].fn], "load", key);
            }
        at += (size_t)members;
    }
    for (int f = 0; !rc && f < p->n_functions; f++) {
        key_contrib(key, sizeof key, r->prefix, 0, f);
        rc = add_task(&m[job_invoker_of(j, f)], f, 0, ops[f], key, 0, e);
        ops[f] = NULL;
    }
    for (int f = 0; ops && f < p->n_functions; f++) cJSON_Delete(ops[f]);
    free(ops);
    free(mem);
    for (int k = 0; m && k < j->size; k++) {
        if (!rc) rc = job_task_msg_encode(&m[k], &msgs[k], e);
        job_task_msg_free(&m[k]);
    }
    free(m);
    return rc;
}

/* Stores a task's result with its part (or its round's reduction). */
static int absorb(void *ctx, const struct task_result *t, struct err *e)
{
    struct rounds_run *r = ctx;
    const struct plan_rounds *p = &r->p;
    struct task_result *slot = NULL;
    if (t->fn == p->n_functions && t->first_step >= 0 && t->first_step < p->n_rounds) {
        slot = &r->reduces[t->first_step];
    } else if (t->fn > p->n_functions) {
        size_t i = (size_t)(t->fn - p->n_functions - 1);
        if (r->crashes && i < p->n_calls && p->calls[i].crashed) slot = &r->crashes[i];
    } else {
        const struct plan_part *q = t->fn >= 0 && t->fn < p->n_functions
                                        ? plan_rounds_part(p, t->fn, t->first_step)
                                        : NULL;
        if (q) slot = &r->parts[q - p->parts];
    }
    if (!slot)
        return err_set(e, SIREN_EFORMAT, "results message: round %d of function %d was not "
                       "planned", t->first_step, t->fn);
    *slot = *t;
    slot->steps = NULL; /* round tasks have none; the caller frees t's */
    slot->n_steps = 0;
    return SIREN_OK;
}

/* ----------------------------------------------------------------------- the record */

static const int32_t trace_ops[PLAN_OP_COUNT] = {
    [PLAN_OP_PARAM_GET] = TRACE_PARAM_GET,   [PLAN_OP_DATA_GET] = TRACE_DATA_GET,
    [PLAN_OP_CONTRIB_PUT] = TRACE_CONTRIB_PUT, [PLAN_OP_REDUCE_GET] = TRACE_REDUCE_GET,
    [PLAN_OP_REDUCE_PUT] = TRACE_REDUCE_PUT, [PLAN_OP_RESULT_GET] = TRACE_RESULT_GET,
    [PLAN_OP_RESULT_PUT] = TRACE_RESULT_PUT, [PLAN_OP_STATE_PUT] = TRACE_STATE_PUT,
    [PLAN_OP_STATE_GET] = TRACE_STATE_GET};

/* Function fn's parts (those not lost): whether one failed, their real time and peak memory. */
static void fn_outcome(const struct rounds_run *r, int fn, int *failed, double *wall_ms,
                       double *peak_mb, const char **error)
{
    *failed = 0;
    *wall_ms = *peak_mb = 0;
    *error = "";
    for (size_t i = 0; i < r->p.n_parts; i++) {
        const struct task_result *t = &r->parts[i];
        if (r->p.parts[i].fn != fn || r->p.parts[i].lost) continue;
        *wall_ms += t->wall_ms;
        if (t->peak_mb > *peak_mb) *peak_mb = t->peak_mb;
        if (!t->ok && !*failed) {
            *failed = 1;
            *error = t->error[0] ? t->error : "Skipped: the function died earlier";
        }
    }
}

/* Bills and traces every invocation (the ledger's order: epoch_model_bill_rounds), traces
 * every burst of requests, and fills rep; *survivors: the functions that ended well (their
 * containers stay warm). A crashed attempt is a failed invocation with its task's real error;
 * a function whose part failed unplanned has every invocation failed. */
static int rounds_record(struct job *j, const struct rounds_run *r, int memory_mb,
                         struct epoch_report *rep, int *survivors, struct err *e)
{
    struct job_coord *c = j->coord;
    const struct plan_rounds *p = &r->p;
    const struct platform *pf = &j->platform;
    double t0 = c->progress.total_time_s, billed_s = 0;
    int rc = SIREN_OK, failed_fns = 0, last_fn = -1, wall_given = 0;
    *survivors = p->n_functions - p->lost_functions;
    for (size_t i = 0; i < p->n_calls && !rc; i++) {
        const struct plan_call *call = &p->calls[i];
        struct epoch_invocation ei;
        epoch_model_call(pf, call, memory_mb, &ei);
        double cost;
        rc = ledger_add_invocation(&c->progress.ledger, memory_mb, (ei.stop_s - ei.start_s) * 1e3,
                                   ei.init_ms, &cost, e);
        if (rc) break;
        billed_s += ei.billed_ms / 1e3;
        int failed;
        double wall_ms, peak_mb;
        const char *error;
        fn_outcome(r, call->fn, &failed, &wall_ms, &peak_mb, &error);
        if (call->fn != last_fn) {
            failed_fns += failed;
            wall_given = 0;
        }
        last_fn = call->fn;
        const struct task_result *crash = call->crashed ? &r->crashes[i] : NULL;
        struct trace_invocation ti = {0};
        ti.epoch = c->progress.epoch;
        ti.fn = call->fn;
        ti.invocation = call->invocation;
        ti.attempt = call->attempt;
        ti.fault = (crash ? TRACE_FAULT_CRASH : 0) |
                   (call->compute_factor > 1.0 ? TRACE_FAULT_STRAGGLER : 0);
        ti.rank = job_invoker_of(j, call->fn);
        ti.memory_mb = memory_mb;
        ti.cold = call->cold;
        ti.status = call->continued ? TRACE_CONTINUED
                    : failed || crash ? TRACE_FAILED
                                      : TRACE_OK;
        ti.v_start_s = t0 + call->t_invoke;
        ti.v_end_s = t0 + call->t_stop;
        ti.billed_ms = ei.billed_ms;
        ti.cost_usd = cost;
        /* The function's parts ran as one: their time goes to its first call that did not
         * crash. */
        ti.wall_ms = crash ? crash->wall_ms : !wall_given ? wall_ms : 0.0;
        wall_given |= !crash;
        ti.peak_mb = crash ? crash->peak_mb : peak_mb;
        ti.compute_factor = call->compute_factor;
        if (crash) /* what its sandbox really said (its data object is missing) */
            snprintf(ti.error, sizeof ti.error, "Fault.Crash: round %d: %s", call->round,
                     crash->ok ? "did not fail" : crash->error);
        else snprintf(ti.error, sizeof ti.error, "%s", call->continued ? "" : error);
        if (trace_add_invocation(&c->trace, &ti)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->n_bursts && !rc; i++) {
        const struct plan_burst *b = &p->bursts[i];
        int32_t kind = b->op == PLAN_OP_DATA_GET && c->w->opts.generate ? TRACE_DATA_GEN
                                                                         : trace_ops[b->op];
        struct trace_kv_op op = {c->progress.epoch, b->fn, b->round, kind, -1, -1,
                                 t0 + b->t_start, t0 + b->t_end, b->bytes, 0, 0, 0, 0,
                                 (int32_t)b->requests};
        if (trace_add_kv_op(&c->trace, &op)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    }
    if (rc) return rc;
    /* As epoch_model_bill_rounds: S3's requests, then the channel's fees. */
    struct epoch_model_opts mo;
    job_model_opts(j, &mo);
    double time_s = p->t_end + job_driver_s(j);
    int s3 = j->cfg.channel == CHANNEL_S3;
    ledger_add_kv(&c->progress.ledger, s3 ? p->gets : p->data_gets, s3 ? p->puts : 0, 0, 0);
    ledger_add_channel(&c->progress.ledger, epoch_model_channel_usd(pf, &mo, p, time_s));
    struct ledger_totals tot;
    ledger_end_epoch(&c->progress.ledger, &tot);
    epoch_model_report_usage(rep, time_s, p->fetch_s, p->compute_s, p->update_s, billed_s,
                             tot.total_usd);
    double loss_sum = 0;
    long steps = 0;
    for (size_t i = 0; i < p->n_parts; i++) {
        loss_sum += r->parts[i].loss_sum;
        steps += r->parts[i].loss_steps;
    }
    rep->train_loss = steps ? loss_sum / (double)steps : (double)NAN;
    rep->invocations = (int)p->n_calls;
    rep->failed_invocations = failed_fns + p->crashes;
    rep->crashes = p->crashes;
    rep->retries = p->retries;
    rep->stragglers = p->stragglers;
    rep->lost_functions = p->lost_functions;
    *survivors -= failed_fns;
    /* The round rules' "versions": the mini-batches whose work reached the epoch's model;
     * failed steps: those lost functions never trained. */
    rep->versions = 0;
    rep->failed_steps += p->lost_batches;
    for (size_t i = 0; i < p->n_parts; i++)
        if (!p->parts[i].lost && r->parts[i].ok) rep->versions += p->parts[i].count;
    return SIREN_OK;
}

/* The wall clock's record: every function's one invocation billed for its own duration, its
 * requests as the function counted them (one record of its GETs, one of its PUTs). */
static int rounds_record_wall(struct job *j, const struct rounds_run *r, int memory_mb,
                              struct epoch_report *rep, struct err *e)
{
    struct job_coord *c = j->coord;
    const struct plan_rounds *p = &r->p;
    const struct platform *pf = &j->platform;
    double t0 = c->progress.total_time_s, billed_s = 0, loss_sum = 0;
    double fetch_ms = 0, compute_ms = 0, update_ms = 0, gets = 0, puts = 0;
    long steps = 0;
    int rc = SIREN_OK;
    for (int f = 0; f < p->n_functions && !rc; f++) {
        const struct task_result *t = &r->parts[plan_rounds_part(p, f, 0) - p->parts];
        double init_ms = t->cold ? t->init_ms : 0.0, cost;
        if ((rc = ledger_add_invocation(&c->progress.ledger, memory_mb, t->run_ms, init_ms, &cost,
                                        e)))
            break;
        double billed_ms = platform_billed_ms(pf, t->run_ms, init_ms);
        billed_s += billed_ms / 1e3;
        if (t->end_ms / 1e3 > rep->time_s) rep->time_s = t->end_ms / 1e3;
        struct trace_invocation ti = {0};
        ti.epoch = c->progress.epoch;
        ti.fn = f;
        ti.rank = job_invoker_of(j, f);
        ti.memory_mb = memory_mb;
        ti.cold = t->cold;
        ti.status = t->ok ? TRACE_OK : TRACE_FAILED;
        ti.v_start_s = t0 + t->start_ms / 1e3;
        ti.v_end_s = t0 + t->end_ms / 1e3;
        ti.billed_ms = billed_ms;
        ti.cost_usd = cost;
        ti.wall_ms = t->wall_ms;
        ti.peak_mb = t->peak_mb;
        ti.compute_factor = 1.0;
        snprintf(ti.error, sizeof ti.error, "%s", t->error);
        struct trace_kv_op ops[2] = {
            {c->progress.epoch, f, 0, TRACE_PARAM_GET, -1, -1, ti.v_start_s, ti.v_end_s,
             t->bytes_read, t->fetch_ms, 0, 0, 0, (int32_t)t->kv_gets},
            {c->progress.epoch, f, 0, TRACE_CONTRIB_PUT, -1, -1, ti.v_start_s, ti.v_end_s,
             t->bytes_written, t->update_ms, 0, 0, 0, (int32_t)t->kv_puts},
        };
        if (trace_add_invocation(&c->trace, &ti) || trace_add_kv_op(&c->trace, &ops[0]) ||
            trace_add_kv_op(&c->trace, &ops[1]))
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
        rep->invocations++;
        rep->failed_invocations += !t->ok;
        fetch_ms += t->fetch_ms;
        compute_ms += t->compute_ms;
        update_ms += t->update_ms;
        gets += t->kv_gets;
        puts += t->kv_puts;
        loss_sum += t->loss_sum;
        steps += t->loss_steps;
    }
    if (rc) return rc;
    ledger_add_kv(&c->progress.ledger, (uint64_t)gets, (uint64_t)puts, 0, 0);
    struct ledger_totals tot;
    ledger_end_epoch(&c->progress.ledger, &tot);
    epoch_model_report_usage(rep, rep->time_s, fetch_ms / 1e3, compute_ms / 1e3, update_ms / 1e3,
                             billed_s, tot.total_usd);
    rep->train_loss = steps ? loss_sum / (double)steps : (double)NAN;
    rep->versions = steps; /* the mini-batches trained (see rounds_record) */
    return SIREN_OK;
}

/* ------------------------------------------------------------------------ the epoch */

int job_epoch_rounds(struct job *j, int n, int memory_mb, struct epoch_report *rep,
                     int *survivors, struct err *e)
{
    struct job_coord *c = j->coord;
    struct rounds_run r = {0};
    char **msgs = calloc((size_t)j->size, sizeof *msgs);
    int rc = msgs ? rounds_plan(j, n, memory_mb, &r, e)
                  : err_set(e, SIREN_ENOMEM, "out of memory");
    if (rc) goto out;
    r.parts = calloc(r.p.n_parts, sizeof *r.parts);
    r.reduces = calloc((size_t)r.p.n_rounds, sizeof *r.reduces);
    if (!r.parts || !r.reduces) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    if (c->faults_on) {
        r.crashes = calloc(r.p.n_calls ? r.p.n_calls : 1, sizeof *r.crashes);
        r.call_first = calloc((size_t)n + 1, sizeof *r.call_first);
        if (!r.crashes || !r.call_first) {
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
            goto out;
        }
        /* Calls are sorted by function: where each function's begin. */
        for (size_t i = 0; i < r.p.n_calls; i++) r.call_first[r.p.calls[i].fn + 1] = i + 1;
        for (int f = 1; f <= n; f++)
            if (r.call_first[f] < r.call_first[f - 1]) r.call_first[f] = r.call_first[f - 1];
    }
    rc = r.wall ? rounds_messages_wall(j, &r, memory_mb, msgs, e)
                : rounds_messages(j, &r, memory_mb, msgs, e);
    if (rc || (rc = job_exchange_tasks(j, msgs, absorb, &r, e))) goto out;
    for (int k = 0; k < r.p.n_rounds && !r.wall; k++)
        if (!r.reduces[k].ok) {
            rc = err_set(e, SIREN_EINVAL, "epoch %d: the reduction of round %d failed: %s",
                         c->progress.epoch, k, r.reduces[k].error);
            goto out;
        }
    epoch_model_report_start(rep, c->progress.epoch, n, memory_mb, r.pc.n_warm,
                             job_model_bytes(j));
    rc = r.wall ? rounds_record_wall(j, &r, memory_mb, rep, e)
                : rounds_record(j, &r, memory_mb, rep, survivors, e);
    if (r.wall) *survivors = n - rep->failed_invocations;
    if (rc) goto out;
    /* The epoch's result is the next epoch's parameters. */
    int64_t got;
    struct workload_eval ev;
    if ((rc = job_version_load(j, r.next, 0, 0, &got, e)) ||
        (rc = job_evaluate(j, &ev, e)))
        goto out;
    rep->test_loss = ev.loss;
    rep->test_accuracy = ev.accuracy;
    rep->test_auc = ev.auc;
out:
    job_messages_free(j, msgs);
    free(r.order);
    free(r.rows);
    free(r.parts);
    free(r.reduces);
    free(r.crashes);
    free(r.call_first);
    plan_rounds_free(&r.p);
    return rc;
}

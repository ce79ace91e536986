/*
 * job_asp: the ASP run (job.h, job_run_asp). With no barrier there is one plan for the whole
 * run; it is really run in parts, every step that completes by T_1 (pass 1's last planned
 * step), then by T_2, and so on, so that nothing after the client stops runs. After each part
 * rank 0 evaluates the newest version at T_k and writes the pass's row, billed as C(T_k) -
 * C(T_(k-1)) where C(T) is the bill if every function were stopped at T. Versions no step
 * still to run can read are dropped as the run goes; trace.h5 gets the run up to its end.
 */
#include "job_internal.h"

#include "epoch_model.h"
#include "handler.h"
#include "staging.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What the run has come to by virtual time T (cumulative; a row is the difference of two). */
struct asp_upto {
    double cost_usd;          /* the bill if every function were stopped at T */
    int invocations, warm, failed;
    uint64_t gets, puts;
};

/* An ASP run between its parts. */
struct asp_run {
    int n, memory_mb, passes;
    double budget_usd;
    char prefix[STORE_KEY_MAX]; /* the run's versions: epoch 1's, where version 0 was staged */
    struct plan_epoch p;
    uint32_t *perm, *rows;   /* (passes x n_batches) each pass's staged batches and rows */
    uint32_t *order;         /* (p.n_steps) the plan's run order */
    uint32_t *chunk;         /* (p.n_steps) the steps of the part being run */
    char **msgs;             /* (size) each rank's task message */
    struct step_outcome *so; /* (p.n_steps) */
    unsigned char *sent;     /* (p.n_steps) sent (or skipped: their function died) */
    int *dead_at;            /* (n) the step each function really died at, or -1 */
    double *T;               /* (passes) when each pass's last planned step completes */
    int64_t *ver_step;       /* (p.n_versions + 1) the step that writes each version */
    int64_t v_prev;          /* the newest version at the last row */
    int64_t dropped;         /* versions below it are deleted */
    struct asp_upto prev;    /* the run at the last row */
};

static void asp_run_free(struct job *j, struct asp_run *r)
{
    job_messages_free(j, r->msgs);
    free(r->perm);
    free(r->rows);
    free(r->order);
    free(r->chunk);
    free(r->so);
    free(r->sent);
    free(r->dead_at);
    free(r->T);
    free(r->ver_step);
    plan_epoch_free(&r->p);
}

/* Invocation inv of function fn: its billing window (epoch_model_invocation) and when the
 * client invoked it. */
static void asp_invocation(const struct job *j, const struct asp_run *r, int fn, int inv,
                           struct epoch_invocation *ei, double *t_invoke)
{
    const struct plan_epoch *p = &r->p;
    epoch_model_invocation(&j->platform, p, fn, inv, r->dead_at[fn], r->memory_mb, ei);
    *t_invoke = ei->invoke_s;
}

/* Whether step s's requests are (or will be) made: it was sent and ran, or it is still to be
 * sent and its function has not died. *put_ok: whether its PUT is made too. */
static int asp_step_requests(const struct asp_run *r, size_t s, int *put_ok)
{
    const struct plan_step *st = &r->p.steps[s];
    *put_ok = 0;
    if (st->failed) return 0;
    if (r->sent[s]) {
        *put_ok = r->so[s].ok;
        return r->so[s].ran;
    }
    *put_ok = r->dead_at[st->fn] < 0;
    return r->dead_at[st->fn] < 0;
}

/* The run up to T, as the platform bills it if the client stopped every function at T: each
 * invocation invoked by T is billed for the time it ran up to min(its stop, T), rounded up to
 * the billing granularity as any invocation is, plus its request fee; the object store bills
 * the requests issued by T (a GET or PUT when it starts). Summed in epoch_model_bill's order,
 * so that for T at or after the run's end it is the run's bill to the last bit. */
static void asp_cost_until(const struct job *j, const struct asp_run *r, double T,
                           struct asp_upto *out)
{
    const struct platform *pf = &j->platform;
    const struct plan_epoch *p = &r->p;
    int apply = j->cfg.update == PLAN_UPDATE_APPLY;
    double total = 0.0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < p->n_functions; i++)
        for (int inv = 0; inv < p->fns[i].invocations; inv++) {
            struct epoch_invocation ei;
            double t_inv;
            asp_invocation(j, r, i, inv, &ei, &t_inv);
            if (!ei.ran || t_inv > T) continue;
            double stop = ei.stop_s < T ? ei.stop_s : T;
            total += platform_invocation_cost_usd(pf, r->memory_mb, (stop - ei.start_s) * 1e3,
                                                  ei.init_ms);
            out->invocations++;
            out->warm += !ei.cold;
            out->failed += (ei.status == TRACE_FAILED || ei.status == TRACE_TIMED_OUT) &&
                           ei.stop_s <= T;
        }
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        int put_ok;
        if (!asp_step_requests(r, s, &put_ok)) continue;
        out->gets += (st->t_data_get <= T) + (st->t_param_get <= T) + (apply && st->t_put <= T);
        out->puts += put_ok && st->t_put <= T;
    }
    /* An ASP run makes no LIST requests. */
    total += ((double)out->gets * pf->store_usd_per_1000_get +
              (double)out->puts * pf->store_usd_per_1000_put) / 1000.0;
    out->cost_usd = total;
}

/* The trace record of invocation inv of function fn as the run saw it up to T_end (one still
 * running at T_end was stopped there by the client). 0 when it was not invoked by then. */
static int asp_trace_invocation(const struct job *j, const struct asp_run *r, int fn, int inv,
                                double T_end, struct trace_invocation *ti)
{
    const struct platform *pf = &j->platform;
    const struct plan_epoch *p = &r->p;
    const struct plan_fn *f = &p->fns[fn];
    struct epoch_invocation ei;
    double t_inv;
    asp_invocation(j, r, fn, inv, &ei, &t_inv);
    if (!ei.ran || t_inv > T_end) return 0;
    int stopped = ei.stop_s > T_end;
    double stop = stopped ? T_end : ei.stop_s;
    memset(ti, 0, sizeof *ti);
    int first = -1;
    for (int k = 0; k < f->n_steps; k++) {
        const struct plan_step *st = &p->steps[f->first_step + k];
        const struct step_outcome *o = &r->so[f->first_step + k];
        if (st->invocation != inv || st->failed || !r->sent[f->first_step + k]) continue;
        if (first < 0) first = k;
        ti->wall_ms += o->wall_ms;
        if (o->peak_mb > ti->peak_mb) ti->peak_mb = o->peak_mb;
    }
    const char *error = stopped ? "Client.Stopped: the run ended before it did"
                                : job_invocation_error(&ei, f, r->so);
    ti->epoch = 1 + p->steps[f->first_step + (first >= 0 ? first : 0)].pass;
    ti->fn = fn;
    ti->invocation = inv;
    ti->rank = job_invoker_of(j, fn);
    ti->memory_mb = r->memory_mb;
    ti->cold = ei.cold;
    ti->status = stopped ? TRACE_OK : ei.status;
    ti->v_start_s = t_inv;
    ti->v_end_s = stop;
    ti->billed_ms = platform_billed_ms(pf, (stop - ei.start_s) * 1e3, ei.init_ms);
    ti->cost_usd = platform_invocation_cost_usd(pf, r->memory_mb, (stop - ei.start_s) * 1e3,
                                                ei.init_ms);
    ti->compute_factor = 1.0;
    snprintf(ti->error, sizeof ti->error, "%s", error);
    return 1;
}

/* Trace records of the run up to T_end: one per invocation invoked by then, and the requests
 * of every step that ran. */
static int asp_trace(struct job *j, const struct asp_run *r, double T_end, struct err *e)
{
    struct job_coord *c = j->coord;
    const struct plan_epoch *p = &r->p;
    for (int i = 0; i < p->n_functions; i++)
        for (int inv = 0; inv < p->fns[i].invocations; inv++) {
            struct trace_invocation ti;
            if (asp_trace_invocation(j, r, i, inv, T_end, &ti) &&
                trace_add_invocation(&c->trace, &ti))
                return err_set(e, SIREN_ENOMEM, "out of memory");
        }
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        const struct step_outcome *o = &r->so[s];
        if (st->failed || !r->sent[s] || !o->ran) continue;
        struct trace_kv_op ops[4];
        job_trace_step_ops(j, 1 + st->pass, 0.0, st, o, ops);
        int rc = job_trace_add_step_ops(j, ops, o->ok, e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

/* The run's plan: function i takes its HSP share of every pass, each pass's batches in that
 * epoch's shuffled order (as job_epoch draws them). Then T[k], when pass k's last planned
 * step completes (never before T[k-1]), and which step writes each version. */
static int asp_plan(struct job *j, struct asp_run *r, struct err *e)
{
    struct job_coord *c = j->coord;
    size_t nb = c->n_batches, total = nb * (size_t)r->passes;
    struct plan_config pc = {0};
    pc.n_functions = r->n;
    pc.n_warm = 0;
    pc.sync = PLAN_SYNC_ASP;
    pc.update = j->cfg.update;
    pc.on_timeout = j->cfg.on_timeout;
    pc.passes = r->passes;
    pc.n_batches = nb;
    job_plan_costs(j, r->memory_mb, &pc.costs);
    r->perm = malloc(total * sizeof *r->perm);
    r->rows = malloc(total * sizeof *r->rows);
    r->msgs = calloc((size_t)j->size, sizeof *r->msgs);
    if (!r->perm || !r->rows || !r->msgs) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int pass = 0; pass < r->passes; pass++) {
        uint32_t *pp = r->perm + (size_t)pass * nb;
        staging_epoch_order(c->w->opts.seed, pass + 1, nb, pp);
        for (size_t b = 0; b < nb; b++) r->rows[(size_t)pass * nb + b] = c->batch_rows[pp[b]];
    }
    pc.batch_rows = r->rows;
    int rc = plan_epoch_build(&pc, &r->p, e);
    if (!rc) rc = plan_epoch_run_order(&r->p, &r->order, e);
    if (rc) return rc;
    const struct plan_epoch *p = &r->p;
    r->so = calloc(p->n_steps, sizeof *r->so);
    r->sent = calloc(p->n_steps, 1);
    r->chunk = malloc(p->n_steps * sizeof *r->chunk);
    r->dead_at = malloc((size_t)r->n * sizeof *r->dead_at);
    r->T = calloc((size_t)r->passes, sizeof *r->T);
    r->ver_step = malloc(((size_t)p->n_versions + 1) * sizeof *r->ver_step);
    if (!r->so || !r->sent || !r->chunk || !r->dead_at || !r->T || !r->ver_step)
        return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int i = 0; i < r->n; i++) r->dead_at[i] = -1;
    r->ver_step[0] = -1;
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        if (st->failed) continue;
        if (st->t_end > r->T[st->pass]) r->T[st->pass] = st->t_end;
        r->ver_step[st->write_version] = (int64_t)s;
    }
    for (int k = 1; k < r->passes; k++)
        if (r->T[k] < r->T[k - 1]) r->T[k] = r->T[k - 1];
    return SIREN_OK;
}

/* Runs, in run order, every step that completes by T[k]: what it reads was written before its
 * GET, so by an earlier part or this one. A function that really died (out of memory) runs
 * nothing more; its versions are marked failed so that readers fall back, as an invoker marks
 * those of a dead function's skipped steps. */
static int asp_run_part(struct job *j, struct asp_run *r, int k, struct err *e)
{
    struct job_coord *c = j->coord;
    const struct plan_epoch *p = &r->p;
    size_t m = 0;
    for (size_t q = 0; q < p->n_steps; q++) {
        size_t s = r->order[q];
        const struct plan_step *st = &p->steps[s];
        if (r->sent[s] || st->failed || st->t_end > r->T[k]) continue;
        r->sent[s] = 1;
        if (r->dead_at[st->fn] >= 0) {
            char key[128];
            fn_version_key(r->prefix, st->write_version, 1, key, sizeof key);
            if (kv_put(c->kv, key, "failed", 6))
                return err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
            continue;
        }
        r->chunk[m++] = (uint32_t)s;
    }
    int failed_aggregations = 0, rc;
    if (m > 0) {
        if ((rc = job_messages_build(j, p, r->chunk, m, r->perm, r->memory_mb, r->prefix, r->msgs,
                                     e)) ||
            (rc = job_exchange(j, r->msgs, p, r->so, NULL, &failed_aggregations, e)))
            return rc;
        for (int q = 0; q < j->size; q++) {
            free(r->msgs[q]);
            r->msgs[q] = NULL;
        }
    }
    for (size_t q = 0; q < m; q++) {
        const struct plan_step *st = &p->steps[r->chunk[q]];
        if (!r->so[r->chunk[q]].ok && (r->dead_at[st->fn] < 0 || st->step < r->dead_at[st->fn]))
            r->dead_at[st->fn] = st->step;
    }
    return SIREN_OK;
}

/* Pass k's row: the held-out loss of the newest version at T[k] (*v_at; PUTs are numbered in
 * the order they complete), the time and the bill since the last row, and the job's totals. */
static int asp_report_pass(struct job *j, struct asp_run *r, int k, int64_t *v_at,
                           struct err *e)
{
    struct job_coord *c = j->coord;
    struct job_progress *prog = &c->progress;
    const struct plan_epoch *p = &r->p;
    const double *T = r->T;
    *v_at = r->v_prev;
    while (*v_at < p->n_versions && p->steps[r->ver_step[*v_at + 1]].t_end <= T[k]) (*v_at)++;
    int64_t got;
    int rc = job_version_load(j, r->prefix, *v_at, 0, &got, e);
    if (rc) return rc;
    struct asp_upto now;
    asp_cost_until(j, r, T[k], &now);
    struct epoch_report *rep = &prog->last;
    epoch_model_report_start(rep, k + 1, r->n, r->memory_mb, now.warm - r->prev.warm,
                             job_model_bytes(j));
    struct workload_eval ev;
    if ((rc = job_evaluate(j, &ev, e))) return rc;
    double loss_sum = 0;
    int loss_n = 0;
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        if (st->pass != k || st->failed) continue;
        rep->fetch_s += st->t_compute - st->t_data_get;
        rep->compute_s += st->t_put - st->t_compute;
        rep->update_s += st->t_end - st->t_put;
        if (!r->sent[s] || !r->so[s].ok) continue;
        loss_sum += r->so[s].loss;
        loss_n++;
        if (r->so[s].read_got < st->write_version - 1) rep->stale_reads++;
    }
    rep->time_s = T[k] - (k > 0 ? T[k - 1] : 0.0);
    rep->cost_usd = now.cost_usd - r->prev.cost_usd;
    rep->train_loss = loss_n ? loss_sum / loss_n : (double)NAN;
    rep->test_loss = ev.loss;
    rep->test_accuracy = ev.accuracy;
    rep->test_auc = ev.auc;
    rep->invocations = now.invocations - r->prev.invocations;
    rep->failed_invocations = now.failed - r->prev.failed;
    rep->versions = *v_at - r->v_prev;
    prog->total_time_s = T[k];
    prog->total_cost_usd = now.cost_usd;
    prog->invocations = now.invocations;
    prog->failed_invocations = now.failed;
    prog->peak_functions = r->n;
    job_progress_report(j, r->budget_usd, rep); /* the target, if reached, at T[k] */
    char row[512];
    if ((rc = job_epoch_row(j, rep, r->budget_usd, row, sizeof row, e))) return rc;
    job_epochs_csv_add(j, row);
    if (!j->cfg.quiet)
        LOG_INFO("run", "asp pass %d: n=%d m=%d loss %.4f acc %.4f ends at %.2f s, cost $%.6f "
                 "(total $%.6f)%s",
                 k + 1, r->n, r->memory_mb, rep->test_loss, rep->test_accuracy, T[k],
                 rep->cost_usd, prog->total_cost_usd,
                 rep->failed_invocations ? " with failed functions" : "");
    r->prev = now;
    r->v_prev = *v_at;
    return SIREN_OK;
}

/* Memory: the store keeps only the versions still read. Every version up to v_at is settled
 * (written or failed); the steps still to run read (or re-read under apply) none older than
 * `need`, and a read of a failed version falls back to the newest earlier one that was
 * written, so versions older than that one are dropped, with their failure markers. The store
 * thus holds about one pass of versions (plus those a slow function still reads), as an HSP
 * epoch does before its versions are dropped. */
static void asp_drop_unread(struct job *j, struct asp_run *r, int64_t v_at)
{
    struct kv *kv = j->coord->kv;
    const struct plan_epoch *p = &r->p;
    int64_t need = v_at;
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        if (r->sent[s] || st->failed) continue;
        if (st->read_version < need) need = st->read_version;
        if (j->cfg.update == PLAN_UPDATE_APPLY && st->base_version < need) need = st->base_version;
    }
    while (need > 0 && !r->so[r->ver_step[need]].ok) need--;
    for (int64_t v = r->dropped; v < need; v++)
        for (int failed = 0; failed < 2; failed++) {
            char key[128];
            fn_version_key(r->prefix, v, failed, key, sizeof key);
            if (kv_delete(kv, key) && kv_errcode(kv) != SIREN_ENOTFOUND)
                LOG_WARN("job", "cannot delete %s: %s", key, kv_errmsg(kv));
        }
    if (need > r->dropped) r->dropped = need;
}

int job_run_asp(struct job *j, int n, int memory_mb, int passes, double budget_usd,
                struct err *e)
{
    struct job_coord *c = j->coord;
    struct job_progress *prog = &c->progress;
    int rc = job_action_check(j, n, memory_mb, e);
    if (rc) return rc;
    if (j->cfg.sync != PLAN_SYNC_ASP || j->cfg.wall_clock || c->faults_on || prog->epoch > 0)
        return err_set(e, SIREN_EINVAL, "asp: a run of its own, fresh, on the virtual clock and "
                       "without faults is needed");
    if (passes < 1) return err_set(e, SIREN_EINVAL, "asp: %d passes, expected >= 1", passes);
    /* The run's versions live under epoch 1's prefix, where version 0 was staged; a step of
     * pass p counts as epoch 1 + p for its seeds and learning rate (job_messages_build). */
    prog->epoch = 1;
    struct asp_run r = {.n = n, .memory_mb = memory_mb, .passes = passes, .budget_usd = budget_usd};
    job_key_params(j, r.prefix, sizeof r.prefix, prog->epoch);
    int rows_done = 0;
    if ((rc = asp_plan(j, &r, e))) goto out;
    for (int k = 0; k < passes; k++) {
        int64_t v_at;
        if ((rc = asp_run_part(j, &r, k, e)) || (rc = asp_report_pass(j, &r, k, &v_at, e)))
            goto out;
        rows_done = k + 1;
        /* The client stops every function at T[k] once the target or the budget is met. */
        if (prog->reached_target) break;
        if (budget_usd > 0 && prog->total_cost_usd >= budget_usd) {
            LOG_INFO("run", "budget of $%g reached at the end of pass %d", budget_usd, k + 1);
            break;
        }
        asp_drop_unread(j, &r, v_at);
    }
    prog->epoch = rows_done;
    rc = asp_trace(j, &r, r.T[rows_done - 1], e);
    if (!rc) rc = job_kv_delete_prefix(j, r.prefix, NULL, e);
out:
    asp_run_free(j, &r);
    return rc;
}

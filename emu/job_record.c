/*
 * job_record: what rank 0 keeps of a run. Per epoch: one ledger entry and one trace.h5 record
 * per invocation (per attempt with faults: retries are billed), one trace record per request
 * with the version it read or wrote, the epoch's totals in its report, and its epochs.csv row;
 * at the end, summary.json. Planned epochs are billed from the plan's virtual timeline (the
 * epoch model the simulator uses too), cut short where a step really failed; wall-clock
 * epochs from what was measured.
 */
#include "job_internal.h"

#include "epoch_model.h"
#include "handler.h"
#include "run_summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ an epoch's bill */

/* The error text of an invocation planned past the timeout and killed there. */
#define TIMED_OUT_ERROR "Sandbox.Timedout: Task timed out"

/* What an epoch's record adds up as it goes. */
struct epoch_tally {
    double t0;           /* the epoch's start on the job's virtual clock, s */
    double end_s;        /* planned epochs: the last invocation's end, s from t0 */
    double billed_s;     /* sum of the invocations' billed durations, s */
    uint64_t gets, puts; /* object-store requests */
    uint64_t data_gets;  /* of the gets: the data's (the rest are the channel's) */
    double loss_sum;     /* training losses of the steps that succeeded */
    int loss_n;
    int survivors;       /* faults: functions whose last attempt succeeded */
};

/* Bills one invocation of memory_mb that ran dur_ms after init_ms of start-up, and adds its
 * trace record ti (filled but for its billed time and cost). */
static int bill_invocation(struct job *j, int memory_mb, double dur_ms, double init_ms,
                           struct trace_invocation *ti, struct epoch_tally *t,
                           struct epoch_report *rep, struct err *e)
{
    struct job_coord *c = j->coord;
    double cost;
    int rc = ledger_add_invocation(&c->progress.ledger, memory_mb, dur_ms, init_ms, &cost, e);
    if (rc) return rc;
    ti->billed_ms = platform_billed_ms(&j->platform, dur_ms, init_ms);
    ti->cost_usd = cost;
    t->billed_s += ti->billed_ms / 1e3;
    if (trace_add_invocation(&c->trace, ti)) return err_set(e, SIREN_ENOMEM, "out of memory");
    rep->invocations++;
    if (ti->status == TRACE_FAILED || ti->status == TRACE_TIMED_OUT) rep->failed_invocations++;
    return SIREN_OK;
}

const char *job_invocation_error(const struct epoch_invocation *ei, const struct plan_fn *f,
                                 const struct step_outcome *so)
{
    return ei->status == TRACE_FAILED      ? so[f->first_step + ei->dead_step].error
           : ei->status == TRACE_TIMED_OUT ? TIMED_OUT_ERROR
                                           : "";
}

/* Without faults: one ledger entry and trace record per planned invocation (continuations
 * are invocations of their own), its billing window from the epoch model the simulator uses
 * too. A function that really died ends at the compute of the step that failed. */
static int record_invocations(struct job *j, const struct plan_epoch *p,
                              const struct step_outcome *so, int memory_mb,
                              struct epoch_tally *t, struct epoch_report *rep, struct err *e)
{
    const struct platform *pf = &j->platform;
    for (int i = 0; i < p->n_functions; i++) {
        const struct plan_fn *f = &p->fns[i];
        int dead_at = -1;
        for (int k = 0; k < f->n_steps && dead_at < 0; k++)
            if (!p->steps[f->first_step + k].failed && !so[f->first_step + k].ok) dead_at = k;
        double end = dead_at >= 0 ? p->steps[f->first_step + dead_at].t_compute : f->t_end;
        if (end > t->end_s) t->end_s = end;
        for (int inv = 0; inv < f->invocations; inv++) {
            struct epoch_invocation ei;
            epoch_model_invocation(pf, p, i, inv, dead_at, memory_mb, &ei);
            if (!ei.ran) continue;
            struct trace_invocation ti = {0};
            for (int k = 0; k < f->n_steps; k++) {
                const struct plan_step *st = &p->steps[f->first_step + k];
                const struct step_outcome *o = &so[f->first_step + k];
                if (st->invocation != inv || st->failed || (dead_at >= 0 && k >= dead_at)) continue;
                ti.wall_ms += o->wall_ms;
                if (o->peak_mb > ti.peak_mb) ti.peak_mb = o->peak_mb;
            }
            ti.epoch = j->coord->progress.epoch;
            ti.fn = i;
            ti.invocation = inv;
            ti.rank = job_invoker_of(j, i);
            ti.memory_mb = memory_mb;
            ti.cold = ei.cold;
            ti.status = ei.status;
            ti.v_start_s = t->t0 + ei.invoke_s;
            ti.v_end_s = t->t0 + ei.stop_s;
            ti.compute_factor = 1.0;
            snprintf(ti.error, sizeof ti.error, "%s", job_invocation_error(&ei, f, so));
            int rc = bill_invocation(j, memory_mb, (ei.stop_s - ei.start_s) * 1e3, ei.init_ms,
                                     &ti, t, rep, e);
            if (rc) return rc;
        }
    }
    return SIREN_OK;
}

/* The trace status of an attempt that died at step `dead` (-1: it did not die for real). */
static int attempt_status(const struct plan_attempt *a, int dead)
{
    if (dead >= 0) return TRACE_FAILED;
    return a->status == PLAN_ATTEMPT_OK          ? TRACE_OK
           : a->status == PLAN_ATTEMPT_CONTINUED ? TRACE_CONTINUED
           : a->status == PLAN_ATTEMPT_TIMED_OUT ? TRACE_TIMED_OUT
                                                 : TRACE_FAILED;
}

static int attempt_faults(const struct plan_attempt *a)
{
    return (a->status == PLAN_ATTEMPT_CRASHED ? TRACE_FAULT_CRASH : 0) |
           (a->status == PLAN_ATTEMPT_KV_FAILED ? TRACE_FAULT_KV_FAILED : 0) |
           (a->compute_factor > 1.0 ? TRACE_FAULT_STRAGGLER : 0) |
           (a->kv_errors ? TRACE_FAULT_KV_ERROR : 0) | (a->throttled ? TRACE_FAULT_THROTTLED : 0);
}

/* Faults: one ledger entry and trace record per attempt (retries are billed), each cut short
 * where one of its steps really failed (out of memory, a handler error): the attempt died
 * there, and the rest of its steps were skipped. A planned crash is recorded with what its
 * sandbox really said, after the planned kind. */
static int record_attempts(struct job *j, const struct plan_epoch *p,
                           const struct step_outcome *so, const struct attempt_outcome *ao,
                           int memory_mb, struct epoch_tally *t, struct epoch_report *rep,
                           struct err *e)
{
    const struct platform *pf = &j->platform;
    int *ends_ok = calloc((size_t)p->n_functions, sizeof *ends_ok), rc = SIREN_OK;
    if (!ends_ok) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t q = 0; q < p->n_attempts && !rc; q++) {
        const struct plan_attempt *a = &p->attempts[q];
        int dead = -1;
        for (int s = a->first_step; s < a->end_step && dead < 0; s++)
            if (!so[s].ok) dead = s;
        double stop = dead >= 0 ? p->steps[dead].t_compute : a->t_stop;
        if (stop < a->t_start) stop = a->t_start;
        if (stop > t->end_s) t->end_s = stop;
        struct trace_invocation ti = {0};
        ti.epoch = j->coord->progress.epoch;
        ti.fn = a->fn;
        ti.invocation = a->invocation;
        ti.attempt = a->attempt;
        ti.rank = job_invoker_of(j, a->fn);
        ti.memory_mb = memory_mb;
        ti.cold = a->cold;
        ti.status = attempt_status(a, dead);
        ti.v_start_s = t->t0 + a->t_invoke;
        ti.v_end_s = t->t0 + stop;
        ti.compute_factor = a->compute_factor;
        ti.kv_errors = a->kv_errors;
        ti.throttled = a->throttled;
        ti.fault = attempt_faults(a);
        ends_ok[a->fn] = ti.status == TRACE_OK;
        for (int s = a->first_step; s < a->end_step && (dead < 0 || s <= dead); s++) {
            ti.wall_ms += so[s].wall_ms;
            if (so[s].peak_mb > ti.peak_mb) ti.peak_mb = so[s].peak_mb;
        }
        if (dead >= 0) {
            snprintf(ti.error, sizeof ti.error, "%s", so[dead].error);
        } else if (a->status == PLAN_ATTEMPT_CRASHED || a->status == PLAN_ATTEMPT_KV_FAILED) {
            const struct attempt_outcome *o = &ao[q];
            ti.wall_ms += o->wall_ms;
            if (o->peak_mb > ti.peak_mb) ti.peak_mb = o->peak_mb;
            snprintf(ti.error, sizeof ti.error, "%s: step %d: %s",
                     a->status == PLAN_ATTEMPT_CRASHED ? "Fault.Crash" : "Fault.KvError",
                     p->steps[a->end_step].step,
                     !o->ran ? "not run" : o->ok ? "did not fail" : o->error);
            t->gets += (uint64_t)a->dead_gets; /* what completed of the step it died in */
        } else if (a->status == PLAN_ATTEMPT_TIMED_OUT) {
            snprintf(ti.error, sizeof ti.error, TIMED_OUT_ERROR);
        }
        double init_ms = a->cold ? pf->cold_start_ms : 0.0;
        rc = bill_invocation(j, memory_mb, (stop - a->t_start) * 1e3, init_ms, &ti, t, rep, e);
    }
    for (int i = 0; i < p->n_functions; i++) t->survivors += ends_ok[i];
    free(ends_ok);
    return rc;
}

void job_trace_step_ops(const struct job *j, int32_t epoch, double t0,
                        const struct plan_step *st, const struct step_outcome *o,
                        struct trace_kv_op ops[4])
{
    const struct job_coord *c = j->coord;
    const struct step_timing *tm = &o->timing;
    ops[0] = (struct trace_kv_op){epoch, st->fn, st->step, TRACE_DATA_GET, -1, -1,
                                  t0 + st->t_data_get, t0 + st->t_param_get,
                                  c->shard_bytes_per_sample * st->n_samples, tm->data_get_ms,
                                  st->attempt, st->kv_retries[0], st->throttled[0], 1};
    ops[1] = (struct trace_kv_op){epoch, st->fn, st->step, TRACE_PARAM_GET, st->read_version,
                                  o->read_got, t0 + st->t_param_get, t0 + st->t_compute,
                                  c->param_bytes, tm->param_get_ms, st->attempt,
                                  st->kv_retries[1], st->throttled[1], 1};
    ops[2] = (struct trace_kv_op){epoch, st->fn, st->step, TRACE_BASE_GET, st->base_version,
                                  o->base_got, t0 + st->t_put, t0 + st->t_end, c->param_bytes,
                                  tm->base_get_ms, st->attempt, st->kv_retries[2],
                                  st->throttled[2], 1};
    ops[3] = (struct trace_kv_op){epoch, st->fn, st->step, TRACE_PARAM_PUT, st->write_version,
                                  -1, t0 + st->t_put, t0 + st->t_end, c->param_bytes,
                                  tm->put_ms, st->attempt, st->kv_retries[3], st->throttled[3],
                                  1};
}

int job_trace_add_step_ops(struct job *j, const struct trace_kv_op ops[4], int put_ok,
                           struct err *e)
{
    for (int q = 0; q < 4; q++) {
        if ((q == 2 && j->cfg.update != PLAN_UPDATE_APPLY) || (q == 3 && !put_ok)) continue;
        if (trace_add_kv_op(&j->coord->trace, &ops[q]))
            return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    return SIREN_OK;
}

/* KV requests: per step that ran, a data GET, a parameter GET, the APPLY re-read and, when it
 * succeeded, a PUT; each also goes into the trace, with its failed tries (faults). */
static int record_requests(struct job *j, const struct plan_epoch *p,
                           const struct step_outcome *so, struct epoch_tally *t,
                           struct epoch_report *rep, struct err *e)
{
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        const struct step_outcome *o = &so[s];
        if (st->failed || !o->ran) continue;
        t->gets += 2 + (uint64_t)(j->cfg.update == PLAN_UPDATE_APPLY);
        t->data_gets++;
        if (o->ok) {
            t->puts++;
            t->loss_sum += o->loss;
            t->loss_n++;
            if (o->read_got < st->write_version - 1) rep->stale_reads++;
        }
        struct trace_kv_op ops[4];
        job_trace_step_ops(j, j->coord->progress.epoch, t->t0, st, o, ops);
        int rc = job_trace_add_step_ops(j, ops, o->ok, e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

/* BSP: the leader's aggregation per round, as planned: the other members' gradients GET, the
 * averaged parameters PUT. */
static int record_aggregations(struct job *j, const struct plan_epoch *p, struct epoch_tally *t,
                               struct err *e)
{
    struct job_coord *c = j->coord;
    const struct platform *pf = &j->platform;
    double put_s = pf->channels[j->cfg.channel].put_ms / 1e3; /* the PUT's median, for the
                                                                 record's start */
    for (int64_t r = 0; r < p->n_versions; r++) {
        int members = 0;
        double next = -1; /* when round r + 1 starts: the averaged parameters are written */
        for (int i = 0; i < p->n_functions; i++) {
            if (r + 1 < p->fns[i].n_steps) {
                double s = p->steps[p->fns[i].first_step + r + 1].t_data_get;
                if (next < 0 || s < next) next = s;
            }
            if (r >= p->fns[i].n_steps) continue;
            members++;
        }
        if (next < 0) next = p->fns[0].t_end; /* the last round: the leader's end */
        t->gets += (uint64_t)(members - 1);
        t->puts++;
        double begin = next - put_s > 0 ? next - put_s : 0;
        struct trace_kv_op op = {c->progress.epoch, 0, (int32_t)(-1 - r), TRACE_PARAM_PUT,
                                 r + 1, -1, t->t0 + begin, t->t0 + next,
                                 c->param_bytes, 0, 0, 0, 0, 1};
        if (trace_add_kv_op(&c->trace, &op)) return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    return SIREN_OK;
}

/* The end of an epoch's record: its object-store requests billed, the epoch closed in the
 * ledger, and the report's cost and mean training loss. */
static void close_epoch(struct job *j, const struct epoch_tally *t, double time_s,
                        struct epoch_report *rep)
{
    struct job_coord *c = j->coord;
    if (j->cfg.channel == CHANNEL_S3) {
        ledger_add_kv(&c->progress.ledger, t->gets, t->puts, 0, 0);
    } else { /* as epoch_model_bill: the data's GETs with S3, the rest the channel's */
        struct epoch_model_opts mo;
        job_model_opts(j, &mo);
        ledger_add_kv(&c->progress.ledger, t->data_gets, 0, 0, 0);
        ledger_add_channel(&c->progress.ledger,
                           epoch_model_channel_step_usd(&j->platform, &mo, t->gets - t->data_gets,
                                                        t->puts, c->param_bytes, time_s));
    }
    struct ledger_totals tot;
    ledger_end_epoch(&c->progress.ledger, &tot);
    rep->cost_usd = tot.total_usd;
    rep->train_loss = t->loss_n ? t->loss_sum / t->loss_n : (double)NAN;
}

int job_record_epoch(struct job *j, const struct plan_epoch *p, const struct step_outcome *so,
                     const struct attempt_outcome *ao, int memory_mb, struct epoch_report *rep,
                     int *survivors, struct err *e)
{
    struct job_coord *c = j->coord;
    struct epoch_tally t = {.t0 = c->progress.total_time_s};
    int rc = c->faults_on ? record_attempts(j, p, so, ao, memory_mb, &t, rep, e)
                          : record_invocations(j, p, so, memory_mb, &t, rep, e);
    if (!rc) rc = record_requests(j, p, so, &t, rep, e);
    if (!rc && j->cfg.sync == PLAN_SYNC_BSP) rc = record_aggregations(j, p, &t, e);
    if (rc) return rc;
    double time_s = t.end_s + job_driver_s(j);
    close_epoch(j, &t, time_s, rep);
    epoch_model_report_usage(rep, time_s, p->fetch_s, p->compute_s, p->update_s, t.billed_s,
                             rep->cost_usd);
    rep->versions = p->n_versions;
    if (c->faults_on) {
        rep->crashes = p->crashes;
        rep->kv_failures = p->kv_failures;
        rep->retries = p->retries;
        rep->stragglers = p->stragglers;
        rep->kv_errors = p->kv_errors;
        rep->throttled = p->throttled;
        rep->lost_functions = p->lost_functions;
        rep->failed_steps = p->failed_steps;
    }
    *survivors = t.survivors;
    return SIREN_OK;
}

/* Wall clock: a step's requests laid end to end from *at (s on the job's clock) as measured
 * inside the function, its compute between the parameter GET and the PUT; every version is
 * the current object. */
static void wall_step_ops(const struct job *j, int fn, int k, const struct plan_step *st,
                          const struct step_outcome *o, double *at, struct trace_kv_op ops[4])
{
    const struct job_coord *c = j->coord;
    static const int kinds[4] = {TRACE_DATA_GET, TRACE_PARAM_GET, TRACE_BASE_GET,
                                 TRACE_PARAM_PUT};
    const struct step_timing *tm = &o->timing;
    double ms[4] = {tm->data_get_ms, tm->param_get_ms, tm->base_get_ms, tm->put_ms};
    double bytes[4] = {c->shard_bytes_per_sample * st->n_samples, c->param_bytes,
                       c->param_bytes, c->param_bytes};
    for (int q = 0; q < 4; q++) {
        ops[q] = (struct trace_kv_op){c->progress.epoch, fn, k, kinds[q], FN_CURRENT,
                                      FN_CURRENT, *at, *at + ms[q] / 1e3, bytes[q], ms[q],
                                      0, 0, 0, 1};
        if (q == 2 && j->cfg.update != PLAN_UPDATE_APPLY) continue; /* not made */
        if (q == 1) *at += tm->compute_ms / 1e3;
        *at += ms[q] / 1e3;
    }
}

/* Wall clock: one invocation per function, billed as the platform bills: the function's own
 * duration (Lambda's REPORT figures, or the sandbox's event-to-response time), not the round
 * trip the rank saw; then its requests, as measured. */
static int record_function_wall(struct job *j, const struct plan_epoch *p,
                                const struct step_outcome *so, int i, int memory_mb,
                                struct epoch_tally *t, struct epoch_report *rep, struct err *e)
{
    const struct plan_fn *f = &p->fns[i];
    const struct step_outcome *o0 = &so[f->first_step];
    double init_ms = o0->cold ? o0->init_ms : 0.0;
    if (o0->end_ms / 1e3 > rep->time_s) rep->time_s = o0->end_ms / 1e3;
    struct trace_invocation ti = {0};
    ti.epoch = j->coord->progress.epoch;
    ti.fn = i;
    ti.rank = job_invoker_of(j, i);
    ti.memory_mb = memory_mb;
    ti.cold = o0->cold;
    ti.status = o0->ok ? TRACE_OK : TRACE_FAILED;
    ti.v_start_s = t->t0 + o0->start_ms / 1e3;
    ti.v_end_s = t->t0 + o0->end_ms / 1e3;
    ti.wall_ms = o0->end_ms - o0->start_ms;
    ti.peak_mb = o0->peak_mb;
    ti.compute_factor = 1.0;
    snprintf(ti.error, sizeof ti.error, "%s", o0->error);
    int rc = bill_invocation(j, memory_mb, o0->run_ms, init_ms, &ti, t, rep, e);
    double at = t->t0 + (o0->start_ms + init_ms) / 1e3;
    for (int k = 0; k < f->n_steps && o0->ok && !rc; k++) {
        const struct plan_step *st = &p->steps[f->first_step + k];
        const struct step_outcome *o = &so[f->first_step + k];
        const struct step_timing *tm = &o->timing;
        struct trace_kv_op ops[4];
        wall_step_ops(j, i, k, st, o, &at, ops);
        rc = job_trace_add_step_ops(j, ops, 1, e);
        rep->fetch_s += (tm->data_get_ms + tm->param_get_ms) / 1e3;
        rep->compute_s += tm->compute_ms / 1e3;
        rep->update_s += (tm->base_get_ms + tm->put_ms) / 1e3;
        t->gets += 2 + (uint64_t)(j->cfg.update == PLAN_UPDATE_APPLY);
        t->data_gets++;
        t->puts++;
        t->loss_sum += o->loss;
        t->loss_n++;
    }
    return rc;
}

int job_record_epoch_wall(struct job *j, const struct plan_epoch *p,
                          const struct step_outcome *so, int memory_mb,
                          struct epoch_report *rep, struct err *e)
{
    struct epoch_tally t = {.t0 = j->coord->progress.total_time_s};
    for (int i = 0; i < p->n_functions; i++) {
        if (!so[p->fns[i].first_step].ran) continue;
        int rc = record_function_wall(j, p, so, i, memory_mb, &t, rep, e);
        if (rc) return rc;
    }
    close_epoch(j, &t, rep->time_s, rep);
    epoch_model_report_usage(rep, rep->time_s, rep->fetch_s, rep->compute_s, rep->update_s,
                             t.billed_s, rep->cost_usd);
    rep->versions = t.puts;
    return SIREN_OK;
}

/* The evaluation's part of a report: the workload's predicted peak memory over memory_mb. */
double job_model_bytes(const struct job *j)
{
    const struct workload *w = j->coord->w;
    struct kn_mem_report mr;
    struct err ignore;
    if (kn_model_memory(&w->model_cfg, w->opts.batch, &w->optim_cfg, &mr, &ignore)) return 0.0;
    return (double)mr.total_bytes;
}

/* ------------------------------------------------------------------------ the row */

/* An epoch's epochs.csv row, newline included (the fault columns when faults are on);
 * budget_usd <= 0: no budget, written as -1. */
int job_epoch_row(const struct job *j, const struct epoch_report *rep, double budget_usd,
                     char *row, size_t size, struct err *e)
{
    int len = snprintf(row, size, "%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.9f,%.6f,%.6f,%.6f,%.9f,%d,%d,"
                       "%lld,%lld",
                       rep->epoch, rep->n, rep->memory_mb, rep->warm, rep->time_s, rep->fetch_s,
                       rep->compute_s, rep->update_s, rep->cost_usd, rep->train_loss,
                       rep->test_loss, rep->test_accuracy,
                       budget_usd > 0 ? rep->budget_left_usd : -1.0, rep->invocations,
                       rep->failed_invocations, (long long)rep->versions,
                       (long long)rep->stale_reads);
    if (j->coord->faults_on && len > 0 && (size_t)len < size)
        len += snprintf(row + len, size - (size_t)len, ",%d,%d,%d,%d,%d,%d,%d,%d",
                        rep->crashes, rep->kv_failures, rep->retries, rep->stragglers,
                        rep->kv_errors, rep->throttled, rep->lost_functions, rep->failed_steps);
    if (len < 0 || (size_t)len + 2 > size)
        return err_set(e, SIREN_ENOMEM, "epoch %d: the epochs.csv row does not fit", rep->epoch);
    row[len++] = '\n';
    row[len] = '\0';
    return SIREN_OK;
}

/* ----------------------------------------------------------------------- epochs.csv */

int job_epochs_csv_open(struct job *j, const char *rows, struct err *e)
{
    struct job_coord *c = j->coord;
    char path[1200];
    snprintf(path, sizeof path, "%s/epochs.csv", j->out_dir);
    if (!(c->epochs_csv = fopen(path, "w"))) return err_errno(e, errno, "cannot create %s", path);
    fprintf(c->epochs_csv,
            "epoch,n,memory_mb,warm,time_s,fetch_s,compute_s,update_s,cost_usd,train_loss,"
            "test_loss,test_accuracy,budget_left_usd,invocations,failed_invocations,versions,"
            "stale_reads%s\n%s",
            c->faults_on ? ",crashes,kv_failures,retries,stragglers,kv_errors,throttled,"
                           "lost_functions,failed_steps"
                         : "",
            rows ? rows : "");
    fflush(c->epochs_csv);
    return SIREN_OK;
}

void job_epochs_csv_add(struct job *j, const char *row)
{
    fputs(row, j->coord->epochs_csv);
    fflush(j->coord->epochs_csv);
}

/* --------------------------------------------------------------------- summary.json */

/* What was injected, and what it cost in retries and lost work (epochs.csv has the same
 * counts per epoch, trace.h5 per invocation and request): summary.json's "faults". */
static cJSON *faults_json(const struct job_coord *c)
{
    const struct job_fault_totals *t = &c->progress.faults;
    char spec[256];
    fault_config_format(&c->faults, spec, sizeof spec);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "spec", spec);
    cJSON_AddNumberToObject(f, "retries_allowed", c->faults.retries);
    cJSON_AddNumberToObject(f, "retry_delay_s", c->faults.retry_delay_s);
    cJSON_AddNumberToObject(f, "crashes", t->crashes);
    cJSON_AddNumberToObject(f, "kv_failures", t->kv_failures);
    cJSON_AddNumberToObject(f, "retries", t->retries);
    cJSON_AddNumberToObject(f, "stragglers", t->stragglers);
    cJSON_AddNumberToObject(f, "kv_errors", t->kv_errors);
    cJSON_AddNumberToObject(f, "throttled", t->throttled);
    cJSON_AddNumberToObject(f, "lost_functions", t->lost_functions);
    cJSON_AddNumberToObject(f, "failed_steps", t->failed_steps);
    return f;
}

int job_summary_write(const struct job *j, struct err *e)
{
    const struct job_coord *c = j->coord;
    const struct job_progress *prog = &c->progress;
    char sync[32], update[48], path[1200];
    plan_sync_format(j->cfg.sync, j->cfg.staleness, sync, sizeof sync);
    plan_update_format(j->cfg.update, j->cfg.round_batches, update, sizeof update);
    struct run_summary s = {
        .workload = c->w->info.name,
        .scheduler = j->scheduler,
        .sync = sync,
        .update = update,
        .clock = j->cfg.wall_clock ? "wall" : "virtual",
        .backend = j->backend,
        .platform = j->platform.name,
        .seed = c->w->opts.seed,
        .batch = c->w->opts.batch,
        .calibration_s_per_sample = c->cal.s_per_sample,
        .epochs = prog->epoch,
        .target_loss = j->cfg.target_loss,
        .reached_target = prog->reached_target,
        .time_to_target_s = prog->time_to_target_s,
        .total_time_s = prog->total_time_s,
        .cost_usd = prog->total_cost_usd,
        .budget_usd = j->cfg.budget_usd,
        .final_loss = prog->last.test_loss,
        .test_accuracy = prog->last.test_accuracy,
        .test_auc = (double)NAN, /* epochs.csv has no AUC either */
        .invocations = prog->invocations,
        .failed_invocations = prog->failed_invocations,
        .peak_functions = prog->peak_functions,
    };
    cJSON *extra = cJSON_CreateObject();
    if (!extra) return err_set(e, SIREN_ENOMEM, "out of memory");
    if (c->faults_on) cJSON_AddItemToObject(extra, "faults", faults_json(c));
    /* The platform model's choices (--channel, --latency). */
    cJSON_AddStringToObject(extra, "channel", j->platform.channels[j->cfg.channel].name);
    cJSON_AddStringToObject(extra, "latency", j->cfg.fixed_latency ? "fixed" : "variable");
    if (plan_update_in_rounds(j->cfg.update)) {
        /* How the round rules ran: the learning-rate rule resolved for the optimiser, and
         * how data was read. */
        char lr[32];
        lr_rule_format(&j->cfg.lr_rule, lr, sizeof lr);
        cJSON_AddStringToObject(extra, "lr_scale", lr);
        cJSON_AddStringToObject(extra, "fetch",
                                j->cfg.fetch == PLAN_FETCH_BATCH ? "batch" : "share");
    }
    snprintf(path, sizeof path, "%s/summary.json", j->out_dir);
    int rc = run_summary_write(path, &s, extra, e);
    cJSON_Delete(extra);
    return rc;
}

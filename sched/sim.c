/*
 * The simulator (see sim.h): the job's constants, the environment and its epochs. Per epoch:
 * the planner's costs for the action (epoch_model.h); under HSP without timeouts, the epoch's
 * time and bill in closed form over the three kinds of function (q or q + 1 mini-batches, and
 * the one holding the short last batch), each cold or warm; otherwise the planner itself. The
 * loss is the fitted loss-progress model (sim_loss.c; fitted in sim_fit.c). The grid and the
 * oracle that search this environment are sim_search.c.
 */
#include "sim_internal.h"

#include "calibration.h"
#include "epoch_model.h"
#include "staging.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ job constants */

int sim_job_load(const char *workload, const struct workload_opts *opts, const char *calibration,
                 struct sim_job *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct workload *w = NULL;
    struct kn_model *m = NULL;
    struct staging st = {0};
    uint8_t *obj = NULL;
    struct workload_opts o = *opts;
    o.load_train = 1;
    o.load_test = 0;
    int rc = workload_open(workload, &o, &w, e);
    if (rc) return rc;
    snprintf(out->workload, sizeof out->workload, "%s", workload);
    out->batch = w->opts.batch;
    out->seed = w->opts.seed;
    out->default_target_loss = w->info.target_loss;
    struct calibration_entry cal;
    if ((rc = calibration_load(calibration ? calibration : calibration_reference_path(), workload,
                               &cal, e)))
        goto out;
    out->s_per_sample = cal.s_per_sample;
    /* The staged shards, measured as the emulator stages them (nothing is put), or as it
     * measures generated ones. */
    if ((rc = w->opts.generate ? staging_generated(w, &st, e) : staging_build(w, NULL, NULL, &st, e)))
        goto out;
    out->rows = st.rows;
    out->n_batches = st.n_batches;
    out->last_batch_rows = st.n_batches ? st.batch_rows[st.n_batches - 1] : 0;
    out->shard_bytes_per_sample = st.shard_bytes_per_sample;
    size_t len;
    if ((rc = kn_model_create(&w->model_cfg, &m, e))) goto out;
    if ((rc = staging_initial_params(w, m, 1, &obj, &len, e))) goto out;
    out->param_bytes = (double)len;
    free(obj);
    obj = NULL;
    if ((rc = staging_initial_params(w, m, 0, &obj, &len, e))) goto out;
    out->weight_bytes = (double)len;
    struct kn_mem_report mr;
    if ((rc = kn_model_memory(&w->model_cfg, w->opts.batch, &w->optim_cfg, &mr, e))) goto out;
    out->model_bytes = (double)mr.total_bytes;
out:
    free(obj);
    staging_free(&st);
    kn_model_free(m);
    workload_close(w);
    return rc;
}

int sim_loss_model_default_path(const char *workload, const char *update, char *buf,
                                size_t len)
{
    char rel[512];
    if (snprintf(rel, sizeof rel, "results/sched/models/%s.%s.json", workload, update) >=
        (int)sizeof rel)
        return -1;
    for (char *p = strrchr(rel, '/'); p && *p; p++)
        if (*p == ':') *p = '-';
    return core_source_path(rel, buf, len) ? -1 : 0;
}

/* ------------------------------------------------------------------ environment */

int sim_open(const struct sim_config *cfg, struct sim **out, struct err *e)
{
    *out = NULL;
    if (cfg->max_epochs < 1 || cfg->max_epochs > SIM_MAX_EPOCHS)
        return err_set(e, SIREN_EINVAL, "sim: max epochs %d, expected 1..%d", cfg->max_epochs,
                       SIM_MAX_EPOCHS);
    if (strcmp(cfg->loss.workload, cfg->job.workload))
        return err_set(e, SIREN_EINVAL, "sim: the loss model is of %s, the job of %s",
                       cfg->loss.workload, cfg->job.workload);
    char rule[32];
    plan_update_format(cfg->update, cfg->round_batches, rule, sizeof rule);
    if (strcmp(cfg->loss.update, rule))
        return err_set(e, SIREN_EINVAL, "sim: the loss model of %s was fitted to --update %s "
                       "runs, the job runs --update %s (fit one with `siren sim fit` over runs "
                       "of that rule)", cfg->loss.workload, cfg->loss.update, rule);
    const struct sim_loss_model *lm = &cfg->loss;
    if (!(lm->tau_samples > 0) || !(lm->kappa > 0) || !(lm->beta > 0) || !(lm->psi >= 0) ||
        !(lm->psi < 1) || !(lm->gamma >= 0) || !(lm->lr_decay > 0 && lm->lr_decay <= 1))
        return err_set(e, SIREN_EINVAL, "sim: loss model of %s: expected tau_samples, kappa, "
                       "beta > 0, gamma >= 0, 0 <= psi < 1 and 0 < lr_decay <= 1", lm->workload);
    if (cfg->job.n_batches < 1 || cfg->job.n_batches > UINT32_MAX)
        return err_set(e, SIREN_EINVAL, "sim: %zu mini-batches", cfg->job.n_batches);
    struct sim *s = calloc(1, sizeof *s);
    if (!s) return err_set(e, SIREN_ENOMEM, "out of memory");
    s->cfg = *cfg;
    s->target_loss = cfg->target_loss > 0 ? cfg->target_loss : cfg->job.default_target_loss;
    size_t lim = (size_t)cfg->platform.concurrency_limit;
    s->max_n = (int)(cfg->job.n_batches < lim ? cfg->job.n_batches : lim);
    /* Room for the model and the runtime's own resident memory (64 MB). */
    s->min_memory_mb = platform_memory_clip_mb(&cfg->platform,
                                               cfg->job.model_bytes / 1048576.0 * 1.25 + 64.0);
    /* Where each epoch's order puts the short last batch (staging_epoch_order). */
    size_t nb = cfg->job.n_batches;
    uint32_t *perm = malloc(nb * sizeof *perm);
    if (!perm) {
        free(s);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    for (int ep = 1; ep <= SIM_MAX_EPOCHS; ep++) {
        s->short_pos[ep] = -1;
        if (ep > cfg->max_epochs || cfg->job.last_batch_rows == (uint32_t)cfg->job.batch) continue;
        staging_epoch_order(cfg->job.seed, ep, nb, perm);
        for (size_t b = 0; b < nb; b++)
            if (perm[b] == nb - 1) s->short_pos[ep] = (int64_t)b;
    }
    free(perm);
    sim_reset(s);
    *out = s;
    return SIREN_OK;
}

void sim_close(struct sim *s) { free(s); }
const struct sim_config *sim_config_of(const struct sim *s) { return &s->cfg; }
int sim_max_functions(const struct sim *s) { return s->max_n; }
int sim_min_memory_mb(const struct sim *s) { return s->min_memory_mb; }

struct sched_action sim_clip(const struct sim *s, struct sched_action a)
{
    if (a.n < 1) a.n = 1;
    if (a.n > s->max_n) a.n = s->max_n;
    if (a.memory_mb < s->min_memory_mb) a.memory_mb = s->min_memory_mb;
    a.memory_mb = platform_memory_clip_mb(&s->cfg.platform, a.memory_mb);
    return a;
}

void sim_set_budget(struct sim *s, double budget_usd) { s->cfg.budget_usd = budget_usd; }

void sim_reset(struct sim *s)
{
    s->epoch = 0;
    s->prev_n = 0;
    s->prev_memory_mb = 0;
    s->eff = 0;
    s->total_time_s = 0;
    s->total_cost_usd = 0;
    s->stop = SIM_RUNNING;
    memset(&s->last, 0, sizeof s->last);
}

enum sim_stop sim_stopped(const struct sim *s) { return s->stop; }

/* The model's options of the simulated job: its channel, and latency draws from its seed. */
static struct epoch_model_opts sim_model_opts(const struct sim *s)
{
    return (struct epoch_model_opts){.channel = s->cfg.channel,
                                     .variable_latency = !s->cfg.fixed_latency,
                                     .seed = s->cfg.job.seed};
}

/* The planner's duration of one mini-batch step of rows samples (same operations). */
static double step_s(const struct plan_costs *k, enum plan_update u, double rows)
{
    double t = 0.0;
    double t_param_get = t + (k->kv_get_latency_s + k->data_bytes_per_sample * rows / k->kv_bandwidth_bytes_per_s);
    double t_compute = t_param_get + (k->kv_get_latency_s + k->param_bytes / k->kv_bandwidth_bytes_per_s);
    double t_put = t_compute + k->compute_s_per_sample * rows;
    double put = k->kv_put_latency_s + k->param_bytes / k->kv_bandwidth_bytes_per_s;
    if (u == PLAN_UPDATE_APPLY) put += k->kv_get_latency_s + k->param_bytes / k->kv_bandwidth_bytes_per_s;
    return t_put + put;
}

/* The functions of an HSP epoch by kind: function i runs floor((i+1) nb/n) - floor(i nb/n)
 * mini-batches, q or q + 1 ("big"), and functions 0..n_warm-1 start warm. cnt[big][cold]
 * counts them without the one that holds the short last batch (i_short, -1: every batch is
 * full), which is of kind (short_big, short_cold). */
struct fast_kinds {
    int64_t q, cnt[2][2];
    int i_short, short_big, short_cold;
};

/* short_pos: where the epoch's order puts the short batch (-1: none). */
static void fast_epoch_kinds(int64_t nb, int n, int n_warm, int64_t short_pos,
                             struct fast_kinds *f)
{
    int64_t q = nb / n;
    f->q = q;
    f->i_short = short_pos >= 0 ? (int)(((short_pos + 1) * n - 1) / nb) : -1;
    int64_t big_total = nb - q * n, big_warm = (int64_t)n_warm * nb / n - (int64_t)n_warm * q;
    f->cnt[1][0] = big_warm;
    f->cnt[1][1] = big_total - big_warm;
    f->cnt[0][0] = n_warm - big_warm;
    f->cnt[0][1] = (n - n_warm) - f->cnt[1][1];
    f->short_big = f->short_cold = 0;
    if (f->i_short >= 0) {
        int64_t steps = ((int64_t)(f->i_short + 1) * nb) / n - ((int64_t)f->i_short * nb) / n;
        f->short_big = steps == q + 1;
        f->short_cold = f->i_short >= n_warm;
        f->cnt[f->short_big][f->short_cold]--;
    }
}

/* The epoch's phases summed over functions, and its object-store fees (returned, USD): each of
 * the nb mini-batches is one step, whichever function runs it; rows is the epoch's samples. */
static double fast_epoch_phases(const struct platform *pf, const struct plan_costs *k,
                                enum plan_update u, int64_t nb, double rows, double *fetch_s,
                                double *compute_s, double *update_s)
{
    double g = k->kv_get_latency_s, bw = k->kv_bandwidth_bytes_per_s;
    *fetch_s = (double)nb * (2 * g + k->param_bytes / bw) + rows * k->data_bytes_per_sample / bw;
    *compute_s = rows * k->compute_s_per_sample;
    double put = k->kv_put_latency_s + k->param_bytes / bw;
    if (u == PLAN_UPDATE_APPLY) put += g + k->param_bytes / bw;
    *update_s = (double)nb * put;
    uint64_t gets = (uint64_t)nb * (2 + (u == PLAN_UPDATE_APPLY)), puts = (uint64_t)nb;
    return ((double)gets * pf->store_usd_per_1000_get +
            (double)puts * pf->store_usd_per_1000_put) / 1000.0;
}

/* HSP (or ASP) epoch in closed form, into the report's time, phases, cost, CPU utilisation and
 * invocations; returns 0 when it does not apply (a function would run past the timeout), and
 * the planner must be used. Each kind of function (fast_kinds) is billed at once. */
static int fast_epoch(const struct sim *s, int epoch, int n, int memory_mb, int n_warm,
                      const struct plan_costs *k, struct epoch_report *rep)
{
    const struct platform *pf = &s->cfg.platform;
    const struct sim_job *jb = &s->cfg.job;
    int64_t nb = (int64_t)jb->n_batches, sp = s->short_pos[epoch];
    struct fast_kinds f;
    fast_epoch_kinds(nb, n, n_warm, sp, &f);
    double B = jb->batch, d_full = step_s(k, s->cfg.update, B);
    double d_short = sp >= 0 ? step_s(k, s->cfg.update, jb->last_batch_rows) : d_full;
    double gb = memory_mb / 1024.0, time_s = 0, billed_s = 0, cost_usd = 0;
    /* The epoch ends with the function that ends last: its invocation, start and steps. */
    for (int i = 0; i < n; i++) {
        int64_t steps = ((int64_t)(i + 1) * nb) / n - ((int64_t)i * nb) / n;
        double dur = i == f.i_short ? (double)(steps - 1) * d_full + d_short : (double)steps * d_full;
        double end = plan_invoke_time(k, i, n_warm) + (i < n_warm ? k->start_warm_s : k->start_cold_s) + dur;
        if (end > time_s) time_s = end;
    }
    for (int kind = 0; kind < 5; kind++) {
        int big, cold;
        int64_t c;
        double dur;
        if (kind < 4) {
            big = kind >> 1;
            cold = kind & 1;
            c = f.cnt[big][cold];
            dur = (double)(f.q + big) * d_full;
        } else {
            if (f.i_short < 0) continue;
            big = f.short_big;
            cold = f.short_cold;
            c = 1;
            dur = (double)(f.q + big - 1) * d_full + d_short;
        }
        if (c <= 0) continue;
        double start = cold ? k->start_cold_s : k->start_warm_s;
        if (start + dur > k->timeout_s) return 0;
        double billed_ms = platform_billed_ms(pf, dur * 1e3, cold ? start * 1e3 : 0.0);
        billed_s += (double)c * billed_ms / 1e3;
        cost_usd += (double)c * (billed_ms / 1000.0 * gb * pf->price_usd_per_gb_s +
                                 pf->price_usd_per_request);
    }
    double rows = (double)jb->n_batches * B - (sp >= 0 ? B - jb->last_batch_rows : 0);
    double fetch_s, compute_s, update_s;
    cost_usd += fast_epoch_phases(pf, k, s->cfg.update, nb, rows, &fetch_s, &compute_s, &update_s);
    time_s += epoch_model_driver_s(pf, s->cfg.sync);
    epoch_model_report_usage(rep, time_s, fetch_s, compute_s, update_s, billed_s, cost_usd);
    rep->invocations = n;
    return 1;
}

/* The rows of each position of an epoch's order: full batches, the short one at short_pos (-1:
 * none). Caller frees. */
static uint32_t *epoch_rows(const struct sim_job *jb, int64_t short_pos, struct err *e)
{
    uint32_t *rows = malloc(jb->n_batches * sizeof *rows);
    if (!rows) {
        err_set(e, SIREN_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t b = 0; b < jb->n_batches; b++) rows[b] = (uint32_t)jb->batch;
    if (short_pos >= 0) rows[short_pos] = jb->last_batch_rows;
    return rows;
}

/* The planner's epoch (exact): the plan job_epoch builds, billed as the ledger bills it, into
 * the report's time, phases, cost, CPU utilisation, invocations and stale reads. */
static int exact_epoch(const struct sim *s, int epoch, int n, int memory_mb, int n_warm,
                       const struct plan_costs *k, struct epoch_report *rep, struct err *e)
{
    const struct sim_config *cfg = &s->cfg;
    size_t nb = cfg->job.n_batches;
    uint32_t *rows = epoch_rows(&cfg->job, s->short_pos[epoch], e);
    if (!rows) return SIREN_ENOMEM;
    struct plan_config pc;
    epoch_model_plan_config(k, epoch, n, n_warm, cfg->sync, cfg->staleness, cfg->update,
                            cfg->on_timeout, rows, nb, &pc);
    struct plan_epoch p;
    int rc = plan_epoch_build(&pc, &p, e);
    free(rows);
    if (rc) return rc;
    struct epoch_bill bill;
    struct epoch_model_opts mo = sim_model_opts(s);
    epoch_model_bill(&cfg->platform, &mo, &p, memory_mb, cfg->update, NULL, NULL,
                     epoch_model_driver_s(&cfg->platform, cfg->sync), &bill);
    epoch_model_report_usage(rep, bill.time_s, p.fetch_s, p.compute_s, p.update_s, bill.billed_s,
                             bill.cost_usd);
    rep->invocations = bill.invocations;
    rep->stale_reads = 0;
    for (size_t i = 0; i < p.n_steps; i++)
        if (!p.steps[i].failed && p.steps[i].read_version < p.steps[i].write_version - 1)
            rep->stale_reads++;
    plan_epoch_free(&p);
    return SIREN_OK;
}

/* An epoch of a round rule: the round planner's plan (plan_rounds.h) of the epoch job_rounds.c
 * runs, billed as its ledger bills it. The epoch's order (staging_epoch_order_chunked) keeps a
 * short last batch last when shares are read in chunks; one GET per batch uses the plain
 * order. */
static int rounds_epoch(const struct sim *s, int epoch, int n, int memory_mb, int n_warm,
                        const struct plan_costs *k, struct epoch_report *rep, struct err *e)
{
    const struct sim_config *cfg = &s->cfg;
    const struct sim_job *jb = &cfg->job;
    size_t nb = jb->n_batches;
    uint32_t chunk = cfg->fetch == PLAN_FETCH_SHARE ? plan_rounds_chunk_batches(k, (uint32_t)jb->batch)
                                                    : 1;
    int64_t sp = chunk > 1 ? (jb->last_batch_rows < (uint32_t)jb->batch ? (int64_t)nb - 1 : -1)
                           : s->short_pos[epoch];
    uint32_t *rows = epoch_rows(jb, sp, e);
    if (!rows) return SIREN_ENOMEM;
    struct plan_config pc;
    epoch_model_plan_config(k, epoch, n, n_warm, cfg->sync, cfg->staleness, cfg->update,
                            cfg->on_timeout, rows, nb, &pc);
    pc.round_batches = cfg->round_batches;
    pc.fetch = cfg->fetch;
    struct plan_rounds p;
    int rc = plan_rounds_build(&pc, jb->param_bytes, &p, e);
    free(rows);
    if (rc) return rc;
    struct epoch_bill bill;
    struct epoch_model_opts mo = sim_model_opts(s);
    epoch_model_bill_rounds(&cfg->platform, &mo, &p, memory_mb,
                            epoch_model_driver_s(&cfg->platform, cfg->sync), &bill);
    epoch_model_report_usage(rep, bill.time_s, p.fetch_s, p.compute_s, p.update_s, bill.billed_s,
                             bill.cost_usd);
    rep->invocations = bill.invocations;
    rep->stale_reads = 0;
    rep->versions = (int64_t)nb; /* every mini-batch's work reaches the model */
    plan_rounds_free(&p);
    return SIREN_OK;
}

void sim_epoch_costs(const struct sim *s, int memory_mb, struct plan_costs *k)
{
    const struct sim_job *jb = &s->cfg.job;
    struct epoch_model_opts mo = sim_model_opts(s);
    epoch_model_costs(&s->cfg.platform, &mo, jb->s_per_sample, jb->shard_bytes_per_sample,
                      jb->weight_bytes, memory_mb, k);
}

int sim_epoch_eval(const struct sim *s, int epoch, struct sched_action a, int n_warm,
                   struct epoch_report *rep, struct err *e)
{
    if (epoch < 1 || epoch > SIM_MAX_EPOCHS)
        return err_set(e, SIREN_EINVAL, "sim: epoch %d, expected 1..%d", epoch, SIM_MAX_EPOCHS);
    const struct sim_job *jb = &s->cfg.job;
    struct plan_costs k;
    int rounds = plan_update_in_rounds(s->cfg.update);
    sim_epoch_costs(s, a.memory_mb, &k);
    epoch_model_report_start(rep, epoch, a.n, a.memory_mb, n_warm, jb->model_bytes);
    rep->stale_reads = -1; /* the closed form does not count them */
    rep->versions = (int64_t)jb->n_batches;
    /* The closed form knows medians and one channel's fees: S3, fixed latency. */
    int fast = !rounds && !s->cfg.exact && !plan_costs_variable(&k) &&
               s->cfg.channel == CHANNEL_S3 &&
               (s->cfg.sync == PLAN_SYNC_HSP || s->cfg.sync == PLAN_SYNC_ASP) &&
               fast_epoch(s, epoch, a.n, a.memory_mb, n_warm, &k, rep);
    if (fast) return SIREN_OK;
    return rounds ? rounds_epoch(s, epoch, a.n, a.memory_mb, n_warm, &k, rep, e)
                  : exact_epoch(s, epoch, a.n, a.memory_mb, n_warm, &k, rep, e);
}

int sim_step(struct sim *s, struct sched_action a, struct epoch_report *rep, struct err *e)
{
    if (s->epoch >= SIM_MAX_EPOCHS)
        return err_set(e, SIREN_EINVAL, "sim: more than %d epochs", SIM_MAX_EPOCHS);
    a = sim_clip(s, a);
    const struct sim_job *jb = &s->cfg.job;
    int n_warm = epoch_model_warm(a.n, a.memory_mb, s->prev_n, s->prev_memory_mb);
    int rc = sim_epoch_eval(s, s->epoch + 1, a, n_warm, rep, e);
    if (rc) return rc;
    s->epoch++;
    s->eff += sim_loss_effective(&s->cfg.loss, jb->n_batches, jb->batch, a.n, s->epoch);
    rep->test_loss = rep->train_loss = sim_loss_at(&s->cfg.loss, s->eff);
    rep->test_accuracy = rep->test_auc = (double)NAN;
    epoch_model_report_totals(rep, s->cfg.budget_usd, &s->total_time_s, &s->total_cost_usd);
    rep->reached_target = rep->test_loss <= s->target_loss;
    s->prev_n = a.n;
    s->prev_memory_mb = a.memory_mb;
    s->last = *rep;
    if (rep->reached_target) s->stop = SIM_TARGET;
    else if (s->cfg.budget_usd > 0 && s->total_cost_usd >= s->cfg.budget_usd) s->stop = SIM_BUDGET;
    else if (s->epoch >= s->cfg.max_epochs) s->stop = SIM_EPOCHS;
    return SIREN_OK;
}

void sim_result_finish(const struct sim *s, struct sim_result *out)
{
    out->epochs = s->epoch;
    out->jct_s = s->total_time_s;
    out->cost_usd = s->total_cost_usd;
    out->final_loss = s->epoch ? s->last.test_loss : s->cfg.loss.loss0;
    out->reached_target = s->last.reached_target;
    out->within_budget = s->cfg.budget_usd <= 0 || s->total_cost_usd <= s->cfg.budget_usd;
    out->stop = s->stop;
}

int sim_run_policy(struct sim *s, struct sched_policy *p, struct sim_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sim_reset(s);
    const struct epoch_report *state = NULL;
    while (s->stop == SIM_RUNNING) {
        struct sched_action a;
        struct epoch_report rep;
        int rc = sched_next(p, state, &a, e);
        if (!rc) rc = sim_step(s, a, &rep, e);
        if (rc) return rc;
        out->actions[s->epoch - 1] = sim_clip(s, a);
        state = &s->last;
    }
    sim_result_finish(s, out);
    return SIREN_OK;
}

int sim_run_actions(struct sim *s, const struct sched_action *a, int n_actions,
                    struct sim_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sim_reset(s);
    while (s->stop == SIM_RUNNING) {
        struct epoch_report rep;
        struct sched_action x = a[s->epoch < n_actions ? s->epoch : n_actions - 1];
        int rc = sim_step(s, x, &rep, e);
        if (rc) return rc;
        out->actions[s->epoch - 1] = sim_clip(s, x);
    }
    sim_result_finish(s, out);
    return SIREN_OK;
}

int sim_open_setup(const struct sim_setup *su, struct sim **out, struct err *e)
{
    *out = NULL;
    struct sim_config *c = malloc(sizeof *c);
    if (!c) return err_set(e, SIREN_ENOMEM, "out of memory");
    /* The setup's settings as given, the rest zero until the platform, the loss model and the
     * job are loaded into it. */
    *c = (struct sim_config){.sync = su->sync, .staleness = su->staleness, .update = su->update,
                             .round_batches = su->round_batches, .fetch = su->fetch,
                             .on_timeout = su->on_timeout, .channel = su->channel,
                             .fixed_latency = su->fixed_latency, .budget_usd = su->budget_usd,
                             .target_loss = su->target_loss, .max_epochs = su->max_epochs,
                             .exact = su->exact};
    char path[1200];
    const char *lm = su->loss_model;
    if (!lm) {
        char rule[32];
        plan_update_format(su->update, su->round_batches, rule, sizeof rule);
        if (sim_loss_model_default_path(su->workload, rule, path, sizeof path)) {
            free(c);
            return err_set(e, SIREN_EINVAL, "source path too long");
        }
        lm = path;
    }
    int rc = platform_load(su->platform ? su->platform : "lambda-2019", &c->platform, e);
    if (!rc && su->concurrency > 0) c->platform.concurrency_limit = su->concurrency;
    if (!rc) rc = sim_loss_model_load(lm, &c->loss, e);
    if (rc == SIREN_ENOTFOUND && !su->loss_model)
        err_prefix(e, "no loss model for %s (fit one with `siren sim fit`): ", su->workload);
    if (!rc) rc = sim_job_load(su->workload, &su->wopts, su->calibration, &c->job, e);
    if (!rc) rc = sim_open(c, out, e);
    free(c);
    return rc;
}

double sim_target_loss(const struct sim *s) { return s->target_loss; }
void sim_set_target_loss(struct sim *s, double target_loss)
{
    if (target_loss > 0) s->target_loss = target_loss;
}

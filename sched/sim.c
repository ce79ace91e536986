/*
 * The simulator (see sim.h). Per epoch: the planner's costs for the action (epoch_model.h);
 * under HSP without timeouts, the epoch's time and bill in closed form over the three kinds
 * of function (q or q + 1 mini-batches, and the one holding the short last batch), each cold
 * or warm; otherwise the planner itself. The loss is the fitted loss-progress model.
 */
#include "sim.h"

#include "calibration.h"
#include "epoch_model.h"
#include "shard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sim {
    struct sim_config cfg;
    double target_loss, samples_per_epoch;
    int max_n, min_memory_mb;
    /* Position, in each epoch's batch order, of the short last staged batch (-1: none). */
    int64_t short_pos[SIM_MAX_EPOCHS + 1];
    /* Episode state. */
    int epoch, prev_n, prev_memory_mb;
    double eff, total_time_s, total_cost_usd;
    enum sim_stop stop;
    struct epoch_report last;
};

/* ------------------------------------------------------------------ job constants */

int sim_job_load(const char *workload, const struct workload_opts *opts, const char *calibration,
                 struct sim_job *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct workload *w = NULL;
    struct kn_model *m = NULL;
    struct kn_optim opt = {0};
    uint32_t *perm = NULL;
    uint8_t *obj = NULL;
    struct workload_opts o = *opts;
    o.load_train = 1;
    o.load_test = 0;
    int rc = workload_open(workload, &o, &w, e);
    if (rc) return rc;
    snprintf(out->workload, sizeof out->workload, "%s", workload);
    out->batch = w->opts.batch;
    out->seed = w->opts.seed;
    out->rows = w->train.rows;
    out->default_target_loss = w->info.target_loss;
    size_t B = (size_t)out->batch;
    out->n_batches = (out->rows + B - 1) / B;
    out->last_batch_rows = (uint32_t)(out->rows - (out->n_batches - 1) * B);
    struct calibration_entry cal;
    if ((rc = calibration_load(calibration ? calibration : calibration_reference_path(), workload,
                               &cal, e)))
        goto out;
    out->s_per_sample = cal.s_per_sample;
    /* The staged shards, as job.c's stage() cuts them: one seeded shuffle, then batches. */
    perm = malloc(out->rows * sizeof *perm);
    if (!perm) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < out->rows; i++) perm[i] = (uint32_t)i;
    struct rng r;
    rng_seed_stream(&r, w->opts.seed, 0x57a9e);
    rng_shuffle_u32(&r, perm, out->rows);
    double bytes = 0;
    for (size_t b = 0; b < out->n_batches; b++) {
        size_t lo = b * B, n = out->rows - lo < B ? out->rows - lo : B, len;
        if ((rc = shard_encode(&w->train, perm + lo, n, &obj, &len, e))) goto out;
        bytes += (double)len;
        free(obj);
        obj = NULL;
    }
    out->shard_bytes_per_sample = bytes / (double)out->rows;
    size_t len;
    if ((rc = kn_model_create(&w->model_cfg, &m, e))) goto out;
    kn_model_init(m, w->opts.seed);
    if ((rc = kn_optim_init(&opt, &w->optim_cfg, kn_model_num_params(m), e))) goto out;
    if ((rc = params_encode(kn_model_params(m), kn_model_num_params(m), &opt, &obj, &len, e)))
        goto out;
    out->param_bytes = (double)len;
    struct kn_mem_report mr;
    if ((rc = kn_model_memory(&w->model_cfg, w->opts.batch, &w->optim_cfg, &mr, e))) goto out;
    out->model_bytes = (double)mr.total_bytes;
out:
    free(obj);
    free(perm);
    kn_optim_free(&opt);
    kn_model_free(m);
    workload_close(w);
    return rc;
}

/* ------------------------------------------------------------------- loss model */

double sim_loss_effective(const struct sim_loss_model *m, double samples, int n)
{
    return samples / (1.0 + m->gamma * (double)(n - 1));
}

double sim_loss_at(const struct sim_loss_model *m, double eff)
{
    return m->loss_inf + (m->loss0 - m->loss_inf) * pow(1.0 + eff / m->tau_samples, -m->kappa);
}

double sim_loss_needed(const struct sim_loss_model *m, double target)
{
    if (target >= m->loss0) return 0.0;
    if (target <= m->loss_inf) return (double)INFINITY;
    double g = (target - m->loss_inf) / (m->loss0 - m->loss_inf);
    return m->tau_samples * (pow(g, -1.0 / m->kappa) - 1.0);
}

int sim_loss_model_default_path(const char *workload, char *buf, size_t len)
{
    const char *src = getenv("SIREN_SOURCE_DIR");
#ifdef SIREN_SOURCE_ROOT
    if (!src || !*src) src = SIREN_SOURCE_ROOT;
#endif
    return snprintf(buf, len, "%s/results/sched/models/%s.json", src && *src ? src : ".",
                    workload) >= (int)len ? -1 : 0;
}

int sim_loss_model_save(const char *path, const struct sim_loss_model *m, struct err *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", "siren-loss-model-1");
    cJSON_AddStringToObject(o, "workload", m->workload);
    cJSON_AddStringToObject(o, "model", "loss = loss_inf + (loss0 - loss_inf) * (1 + E/tau)^-kappa; "
                                        "E += samples / (1 + gamma*(n-1)) per epoch");
    cJSON_AddNumberToObject(o, "loss0", m->loss0);
    cJSON_AddNumberToObject(o, "loss_inf", m->loss_inf);
    cJSON_AddNumberToObject(o, "tau_samples", m->tau_samples);
    cJSON_AddNumberToObject(o, "kappa", m->kappa);
    cJSON_AddNumberToObject(o, "gamma", m->gamma);
    cJSON_AddNumberToObject(o, "rmse", m->rmse);
    cJSON_AddNumberToObject(o, "points", m->points);
    cJSON_AddNumberToObject(o, "runs", m->runs);
    int rc = json_write_file(path, o, e);
    cJSON_Delete(o);
    return rc;
}

int sim_loss_model_load(const char *path, struct sim_loss_model *out, struct err *e)
{
    cJSON *o;
    memset(out, 0, sizeof *out);
    int rc = json_load_file(path, &o, e);
    if (rc) return rc;
    const char *fmt, *wl;
    double v[5];
    const char *keys[5] = {"loss0", "loss_inf", "tau_samples", "kappa", "gamma"};
    if ((rc = json_get_string(o, "format", path, &fmt, e))) goto out;
    if (strcmp(fmt, "siren-loss-model-1")) {
        rc = err_set(e, SIREN_EFORMAT, "%s: format '%s', expected siren-loss-model-1", path, fmt);
        goto out;
    }
    if ((rc = json_get_string(o, "workload", path, &wl, e))) goto out;
    for (int i = 0; i < 5; i++)
        if ((rc = json_get_number(o, keys[i], path, &v[i], e))) goto out;
    if (!(v[2] > 0) || !(v[3] > 0) || v[4] < 0 || !(v[0] >= v[1])) {
        rc = err_set(e, SIREN_EFORMAT, "%s: expected tau_samples > 0, kappa > 0, gamma >= 0 and "
                     "loss0 >= loss_inf", path);
        goto out;
    }
    snprintf(out->workload, sizeof out->workload, "%s", wl);
    out->loss0 = v[0];
    out->loss_inf = v[1];
    out->tau_samples = v[2];
    out->kappa = v[3];
    out->gamma = v[4];
    double d;
    if (!json_get_number(o, "rmse", path, &d, e)) out->rmse = d;
out:
    cJSON_Delete(o);
    return rc;
}

struct fit_point {
    int run;
    double samples; /* of this epoch */
    int n;
    double loss;
};

/* Reads one run directory's epochs into pts (appended). */
static int fit_read_run(const char *dir, int run, char *workload, size_t wlen,
                        struct fit_point **pts, int *np, int *cap, struct err *e)
{
    char path[1200];
    cJSON *s;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    int rc = json_load_file(path, &s, e);
    if (rc) return rc;
    const char *wl;
    long long batch;
    if ((rc = json_get_string(s, "workload", path, &wl, e)) ||
        (rc = json_get_int(s, "batch", path, &batch, e))) {
        cJSON_Delete(s);
        return rc;
    }
    if (*workload && strcmp(workload, wl)) {
        rc = err_set(e, SIREN_EINVAL, "%s: workload %s, but the other runs are of %s", path, wl,
                     workload);
        cJSON_Delete(s);
        return rc;
    }
    snprintf(workload, wlen, "%s", wl);
    cJSON_Delete(s);
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    char *text;
    size_t len;
    if ((rc = fs_read_all(path, &text, &len, e))) return rc;
    int line = 0;
    for (char *save, *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        line++;
        if (line == 1) {
            if (strncmp(ln, "epoch,n,memory_mb,", 18)) {
                rc = err_set(e, SIREN_EFORMAT, "%s line 1: not an epochs.csv header", path);
                break;
            }
            continue;
        }
        double f[17];
        int k = 0;
        for (char *p = ln; k < 17; k++) {
            char *end;
            f[k] = strtod(p, &end);
            if (end == p) break;
            p = *end == ',' ? end + 1 : end;
        }
        if (k < 17 || !(f[1] >= 1) || !(f[10] >= 0)) {
            rc = err_set(e, SIREN_EFORMAT, "%s line %d: expected 17 numeric fields (epoch .. "
                         "stale_reads)", path, line);
            break;
        }
        if (*np == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            struct fit_point *q = realloc(*pts, (size_t)*cap * sizeof *q);
            if (!q) {
                rc = err_set(e, SIREN_ENOMEM, "out of memory");
                break;
            }
            *pts = q;
        }
        /* Samples of the epoch: versions (completed steps) x batch. */
        (*pts)[(*np)++] = (struct fit_point){run, f[15] * (double)batch, (int)f[1], f[10]};
    }
    free(text);
    return rc;
}

/* Sum of squared errors for (gamma, kappa, tau), with loss0 and loss_inf solved by least
 * squares (loss = loss_inf (1 - g) + loss0 g, g = (1 + E/tau)^-kappa). */
static double fit_sse(const struct fit_point *p, int n, double gamma, double kappa, double tau,
                      double *loss0, double *loss_inf)
{
    double sxx = 0, sxy = 0, syy = 0, sx = 0, sy = 0, sl = 0, sxl = 0, syl = 0, eff = 0;
    int run = -1;
    for (int i = 0; i < n; i++) {
        if (p[i].run != run) {
            run = p[i].run;
            eff = 0;
        }
        eff += p[i].samples / (1.0 + gamma * (p[i].n - 1));
        double g = pow(1.0 + eff / tau, -kappa);
        double x = 1 - g, y = g; /* coefficients of loss_inf and loss0 */
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        sxl += x * p[i].loss;
        syl += y * p[i].loss;
        sx += x;
        sy += y;
        sl += p[i].loss * p[i].loss;
    }
    double det = sxx * syy - sxy * sxy;
    double a = 0, b = 0;
    if (fabs(det) > 1e-300) {
        a = (sxl * syy - syl * sxy) / det;
        b = (syl * sxx - sxl * sxy) / det;
    }
    if (a < 0) a = 0;
    if (b < a) b = a;
    *loss_inf = a;
    *loss0 = b;
    (void)sx;
    (void)sy;
    return sl - 2 * a * sxl - 2 * b * syl + a * a * sxx + 2 * a * b * sxy + b * b * syy;
}

int sim_loss_model_fit(const char *const *run_dirs, int n_dirs, struct sim_loss_model *out,
                       struct err *e)
{
    memset(out, 0, sizeof *out);
    struct fit_point *pts = NULL;
    int np = 0, cap = 0, rc = SIREN_OK;
    char workload[64] = "";
    for (int i = 0; i < n_dirs && !rc; i++)
        rc = fit_read_run(run_dirs[i], i, workload, sizeof workload, &pts, &np, &cap, e);
    if (!rc && np < 3) rc = err_set(e, SIREN_EINVAL, "%d epochs in all: at least 3 are needed", np);
    if (rc) {
        free(pts);
        return rc;
    }
    double samples = pts[0].samples, best = INFINITY;
    for (int gi = 0; gi <= 40; gi++) {
        double gamma = gi / 40.0;
        for (int ki = 0; ki < 40; ki++) {
            double kappa = 0.05 * pow(3.0 / 0.05, ki / 39.0);
            for (int ti = 0; ti < 60; ti++) {
                double tau = samples * 1e-3 * pow(1e5, ti / 59.0);
                double l0, li;
                double sse = fit_sse(pts, np, gamma, kappa, tau, &l0, &li);
                if (sse < best) {
                    best = sse;
                    out->gamma = gamma;
                    out->kappa = kappa;
                    out->tau_samples = tau;
                    out->loss0 = l0;
                    out->loss_inf = li;
                }
            }
        }
    }
    snprintf(out->workload, sizeof out->workload, "%s", workload);
    out->rmse = sqrt(best / np);
    out->points = np;
    out->runs = n_dirs;
    free(pts);
    return SIREN_OK;
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
    if (cfg->job.n_batches < 1 || cfg->job.n_batches > UINT32_MAX)
        return err_set(e, SIREN_EINVAL, "sim: %zu mini-batches", cfg->job.n_batches);
    struct sim *s = calloc(1, sizeof *s);
    if (!s) return err_set(e, SIREN_ENOMEM, "out of memory");
    s->cfg = *cfg;
    s->target_loss = cfg->target_loss > 0 ? cfg->target_loss : cfg->job.default_target_loss;
    s->samples_per_epoch = (double)cfg->job.n_batches * cfg->job.batch;
    size_t lim = (size_t)cfg->platform.concurrency_limit;
    s->max_n = (int)(cfg->job.n_batches < lim ? cfg->job.n_batches : lim);
    /* Room for the model and the runtime's own resident memory (64 MB). */
    s->min_memory_mb = platform_memory_clip_mb(&cfg->platform,
                                               cfg->job.model_bytes / 1048576.0 * 1.25 + 64.0);
    /* Where each epoch's shuffle puts the short last batch (job.c: one shuffle per epoch). */
    size_t nb = cfg->job.n_batches;
    uint32_t *perm = malloc(nb * sizeof *perm);
    if (!perm) {
        free(s);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    for (int ep = 1; ep <= SIM_MAX_EPOCHS; ep++) {
        s->short_pos[ep] = -1;
        if (ep > cfg->max_epochs || cfg->job.last_batch_rows == (uint32_t)cfg->job.batch) continue;
        for (size_t b = 0; b < nb; b++) perm[b] = (uint32_t)b;
        struct rng r;
        rng_seed_stream(&r, cfg->job.seed, ((uint64_t)ep << 16) | 0xe9);
        rng_shuffle_u32(&r, perm, nb);
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

struct fast_epoch {
    double time_s, cost_usd, billed_s, fetch_s, compute_s, update_s;
    int invocations;
};

/* HSP (or ASP) epoch in closed form; returns 0 when it does not apply (a function would run
 * past the timeout), and the planner must be used. Functions: i has floor((i+1)nb/n) -
 * floor(i nb/n) steps (q or q + 1); functions 0..w-1 are warm; one holds the short batch. */
static int fast_epoch(const struct sim *s, int n, int memory_mb, int n_warm,
                      const struct plan_costs *k, struct fast_epoch *out)
{
    const struct platform *pf = &s->cfg.platform;
    const struct sim_job *jb = &s->cfg.job;
    int64_t nb = (int64_t)jb->n_batches, q = nb / n;
    double B = jb->batch, d_full = step_s(k, s->cfg.update, B);
    int64_t sp = s->short_pos[s->epoch];
    int i_short = sp >= 0 ? (int)(((sp + 1) * n - 1) / nb) : -1;
    double d_short = sp >= 0 ? step_s(k, s->cfg.update, jb->last_batch_rows) : d_full;
    /* counts[big][cold] */
    int64_t big_total = nb - q * n, big_warm = (int64_t)n_warm * nb / n - (int64_t)n_warm * q;
    int64_t cnt[2][2];
    cnt[1][0] = big_warm;
    cnt[1][1] = big_total - big_warm;
    cnt[0][0] = n_warm - big_warm;
    cnt[0][1] = (n - n_warm) - cnt[1][1];
    int short_big = 0, short_cold = 0;
    if (i_short >= 0) {
        int64_t steps = ((int64_t)(i_short + 1) * nb) / n - ((int64_t)i_short * nb) / n;
        short_big = steps == q + 1;
        short_cold = i_short >= n_warm;
        cnt[short_big][short_cold]--;
    }
    double gb = memory_mb / 1024.0;
    memset(out, 0, sizeof *out);
    for (int kind = 0; kind < 5; kind++) {
        int big, cold;
        int64_t c;
        double dur;
        if (kind < 4) {
            big = kind >> 1;
            cold = kind & 1;
            c = cnt[big][cold];
            dur = (double)(q + big) * d_full;
        } else {
            if (i_short < 0) continue;
            big = short_big;
            cold = short_cold;
            c = 1;
            dur = (double)(q + big - 1) * d_full + d_short;
        }
        if (c <= 0) continue;
        double start = cold ? k->start_cold_s : k->start_warm_s;
        if (start + dur > k->timeout_s) return 0;
        if (start + dur > out->time_s) out->time_s = start + dur;
        double billed_ms = platform_billed_ms(pf, dur * 1e3, cold ? pf->cold_start_ms : 0.0);
        out->billed_s += (double)c * billed_ms / 1e3;
        out->cost_usd += (double)c * (billed_ms / 1000.0 * gb * pf->price_usd_per_gb_s +
                                      pf->price_usd_per_request);
    }
    out->invocations = n;
    double rows = (double)jb->n_batches * B - (sp >= 0 ? B - jb->last_batch_rows : 0);
    double g = k->kv_get_latency_s, bw = k->kv_bandwidth_bytes_per_s;
    out->fetch_s = (double)nb * (2 * g + k->param_bytes / bw) + rows * k->data_bytes_per_sample / bw;
    out->compute_s = rows * k->compute_s_per_sample;
    double put = k->kv_put_latency_s + k->param_bytes / bw;
    if (s->cfg.update == PLAN_UPDATE_APPLY) put += g + k->param_bytes / bw;
    out->update_s = (double)nb * put;
    uint64_t gets = (uint64_t)nb * (2 + (s->cfg.update == PLAN_UPDATE_APPLY)), puts = (uint64_t)nb;
    out->cost_usd += ((double)gets * pf->store_usd_per_1000_get +
                      (double)puts * pf->store_usd_per_1000_put) / 1000.0;
    return 1;
}

/* The planner's epoch (exact): the same plan_config job_epoch builds. */
static int exact_epoch(const struct sim *s, int n, int memory_mb, int n_warm,
                       const struct plan_costs *k, struct fast_epoch *out, int64_t *stale,
                       struct err *e)
{
    const struct sim_job *jb = &s->cfg.job;
    size_t nb = jb->n_batches;
    uint32_t *rows = malloc(nb * sizeof *rows);
    if (!rows) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t b = 0; b < nb; b++) rows[b] = (uint32_t)jb->batch;
    if (s->short_pos[s->epoch] >= 0) rows[s->short_pos[s->epoch]] = jb->last_batch_rows;
    struct plan_config pc = {0};
    pc.n_functions = n;
    pc.n_warm = n_warm;
    pc.sync = s->cfg.sync;
    pc.staleness = s->cfg.staleness;
    pc.update = s->cfg.update;
    pc.on_timeout = s->cfg.on_timeout;
    pc.costs = *k;
    pc.batch_rows = rows;
    pc.n_batches = nb;
    struct plan_epoch p;
    int rc = plan_epoch_build(&pc, &p, e);
    free(rows);
    if (rc) return rc;
    struct epoch_bill bill;
    epoch_model_bill(&s->cfg.platform, &p, memory_mb, s->cfg.update, NULL, NULL, &bill);
    out->time_s = bill.time_s;
    out->cost_usd = bill.cost_usd;
    out->billed_s = bill.billed_s;
    out->fetch_s = p.fetch_s;
    out->compute_s = p.compute_s;
    out->update_s = p.update_s;
    out->invocations = bill.invocations;
    *stale = 0;
    for (size_t i = 0; i < p.n_steps; i++)
        if (!p.steps[i].failed && p.steps[i].read_version < p.steps[i].write_version - 1) (*stale)++;
    plan_epoch_free(&p);
    return SIREN_OK;
}

int sim_step(struct sim *s, struct sched_action a, struct epoch_report *rep, struct err *e)
{
    if (s->epoch >= SIM_MAX_EPOCHS)
        return err_set(e, SIREN_EINVAL, "sim: more than %d epochs", SIM_MAX_EPOCHS);
    a = sim_clip(s, a);
    s->epoch++;
    int n_warm = a.memory_mb == s->prev_memory_mb ? (a.n < s->prev_n ? a.n : s->prev_n) : 0;
    struct plan_costs k;
    const struct sim_job *jb = &s->cfg.job;
    epoch_model_costs(&s->cfg.platform, jb->s_per_sample, jb->shard_bytes_per_sample,
                      jb->param_bytes, a.memory_mb, &k);
    struct fast_epoch fe;
    int64_t stale = -1;
    int fast = !s->cfg.exact && (s->cfg.sync == PLAN_SYNC_HSP || s->cfg.sync == PLAN_SYNC_ASP) &&
               fast_epoch(s, a.n, a.memory_mb, n_warm, &k, &fe);
    if (!fast) {
        int rc = exact_epoch(s, a.n, a.memory_mb, n_warm, &k, &fe, &stale, e);
        if (rc) {
            s->epoch--;
            return rc;
        }
    }
    memset(rep, 0, sizeof *rep);
    rep->epoch = s->epoch;
    rep->n = a.n;
    rep->memory_mb = a.memory_mb;
    rep->warm = n_warm;
    rep->time_s = fe.time_s;
    rep->fetch_s = fe.fetch_s;
    rep->compute_s = fe.compute_s;
    rep->update_s = fe.update_s;
    rep->cost_usd = fe.cost_usd;
    rep->cpu_util = fe.billed_s > 0 ? fe.compute_s / fe.billed_s : 0.0;
    rep->mem_util = jb->model_bytes / (a.memory_mb * 1048576.0);
    s->eff += sim_loss_effective(&s->cfg.loss, s->samples_per_epoch, a.n);
    rep->test_loss = rep->train_loss = sim_loss_at(&s->cfg.loss, s->eff);
    rep->test_accuracy = rep->test_auc = (double)NAN;
    rep->invocations = fe.invocations;
    rep->versions = (int64_t)jb->n_batches;
    rep->stale_reads = stale;
    s->total_time_s += rep->time_s;
    s->total_cost_usd += rep->cost_usd;
    rep->total_time_s = s->total_time_s;
    rep->total_cost_usd = s->total_cost_usd;
    rep->budget_left_usd = s->cfg.budget_usd > 0 ? s->cfg.budget_usd - s->total_cost_usd
                                                 : (double)INFINITY;
    rep->reached_target = rep->test_loss <= s->target_loss;
    s->prev_n = a.n;
    s->prev_memory_mb = a.memory_mb;
    s->last = *rep;
    if (rep->reached_target) s->stop = SIM_TARGET;
    else if (s->cfg.budget_usd > 0 && s->total_cost_usd >= s->cfg.budget_usd) s->stop = SIM_BUDGET;
    else if (s->epoch >= s->cfg.max_epochs) s->stop = SIM_EPOCHS;
    return SIREN_OK;
}

static void result_finish(const struct sim *s, struct sim_result *out)
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
    result_finish(s, out);
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
    result_finish(s, out);
    return SIREN_OK;
}

/* ------------------------------------------------------------- grid and oracle */

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
    int nm = 0;
    for (int m = s->min_memory_mb; m <= pf->memory_mb_max; m += pf->memory_mb_step) nm++;
    *actions = malloc((size_t)(ns * nm) * sizeof **actions);
    if (!*actions) return err_set(e, SIREN_ENOMEM, "out of memory");
    *count = 0;
    for (int i = 0; i < ns; i++)
        for (int m = s->min_memory_mb; m <= pf->memory_mb_max; m += pf->memory_mb_step)
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
                result_finish(s, &r);
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
    double max_cost = 0;
    for (int i = 0; i < ng && !rc; i++) {
        struct epoch_report rep;
        sim_reset(s);
        rc = sim_step(s, grid[i], &rep, e);
        if (!rc) rc = sim_step(s, grid[i], &rep, e);
        tau[i] = rep.time_s;
        cost[i] = rep.cost_usd;
        if (cost[i] > max_cost) max_cost = cost[i];
    }
    sim_reset(s);
    if (rc) goto out;
    double budget = cfg->budget_usd > 0 ? cfg->budget_usd : max_cost * cfg->max_epochs;
    double dc = budget / CB, dpu = need / PB;
    for (int i = 0; i < ng; i++) {
        ca[i] = (int)ceil(cost[i] / dc);
        if (ca[i] < 1) ca[i] = 1;
        pa[i] = (int)floor(sim_loss_effective(&cfg->loss, s->samples_per_epoch, grid[i].n) / dpu);
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
    if ((rc = oracle_dp(s, grid, n_grid, seq, &n_seq, e))) return rc;
    if (n_seq > 0) {
        if ((rc = sim_run_actions(s, seq, n_seq, &r, e))) return rc;
        if (result_better(&r, best)) *best = r;
    }
    return oracle_refine(s, best, e);
}

int sim_open_setup(const struct sim_setup *su, struct sim **out, struct err *e)
{
    *out = NULL;
    struct sim_config *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, SIREN_ENOMEM, "out of memory");
    char path[1200];
    const char *lm = su->loss_model;
    if (!lm) {
        if (sim_loss_model_default_path(su->workload, path, sizeof path)) {
            free(c);
            return err_set(e, SIREN_EINVAL, "source path too long");
        }
        lm = path;
    }
    int rc = platform_load(su->platform ? su->platform : "lambda-2019", &c->platform, e);
    if (!rc) rc = sim_loss_model_load(lm, &c->loss, e);
    if (rc == SIREN_ENOTFOUND && !su->loss_model)
        err_prefix(e, "no loss model for %s (fit one with `siren sim fit`): ", su->workload);
    if (!rc) rc = sim_job_load(su->workload, &su->wopts, su->calibration, &c->job, e);
    if (!rc) {
        c->sync = su->sync;
        c->staleness = su->staleness;
        c->update = su->update;
        c->on_timeout = su->on_timeout;
        c->budget_usd = su->budget_usd;
        c->target_loss = su->target_loss;
        c->max_epochs = su->max_epochs;
        c->exact = su->exact;
        rc = sim_open(c, out, e);
    }
    free(c);
    return rc;
}

double sim_target_loss(const struct sim *s) { return s->target_loss; }

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
    double target_loss;
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

double sim_loss_lr_weight(const struct sim_loss_model *m, int epoch)
{
    return m->lr_decay > 0 && m->lr_decay != 1.0 && epoch > 1 ? pow(m->lr_decay, epoch - 1) : 1.0;
}

double sim_loss_effective(const struct sim_loss_model *m, size_t n_batches, int batch, int n,
                          int epoch)
{
    if (n < 1) n = 1;
    if (m->progress == SIM_PROGRESS_DISCOUNT)
        return (double)n_batches * batch / (1.0 + m->gamma * (double)(n - 1));
    /* Under HSP with overwrite, the n functions of an epoch step in rounds: each round every
     * function reads (nearly) the same version and the last writer's step survives, so the
     * model advances one step per round, ceil(n_batches / n) rounds (the emulator's fresh,
     * non-stale reads count exactly these). psi discounts a round by its stale fraction, and
     * a step counts in proportion to its epoch's learning rate (Adam's step scales with it). */
    size_t rounds = (n_batches + (size_t)n - 1) / (size_t)n;
    return (double)rounds * batch * (1.0 - m->psi * (1.0 - 1.0 / n)) * sim_loss_lr_weight(m, epoch);
}

double sim_loss_at(const struct sim_loss_model *m, double eff)
{
    double x = eff > 0 ? eff / m->tau_samples : 0.0;
    if (m->beta != 1.0) x = pow(x, m->beta);
    return m->loss_inf + (m->loss0 - m->loss_inf) * pow(1.0 + x, -m->kappa);
}

double sim_loss_needed(const struct sim_loss_model *m, double target)
{
    if (target >= m->loss0) return 0.0;
    if (target <= m->loss_inf) return (double)INFINITY;
    double g = (target - m->loss_inf) / (m->loss0 - m->loss_inf);
    double x = pow(g, -1.0 / m->kappa) - 1.0;
    return m->tau_samples * (m->beta != 1.0 ? pow(x, 1.0 / m->beta) : x);
}

int sim_loss_model_default_path(const char *workload, char *buf, size_t len)
{
    char rel[512];
    if (snprintf(rel, sizeof rel, "results/sched/models/%s.json", workload) >= (int)sizeof rel)
        return -1;
    return core_source_path(rel, buf, len) ? -1 : 0;
}

const char *sim_progress_name(enum sim_progress p)
{
    return p == SIM_PROGRESS_ROUNDS ? "rounds" : "discount";
}

int sim_loss_model_save(const char *path, const struct sim_loss_model *m, struct err *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", "siren-loss-model-2");
    cJSON_AddStringToObject(o, "workload", m->workload);
    cJSON_AddStringToObject(o, "progress", sim_progress_name(m->progress));
    cJSON_AddStringToObject(
        o, "model",
        m->progress == SIM_PROGRESS_ROUNDS
            ? "loss = loss_inf + (loss0 - loss_inf) * (1 + (E/tau)^beta)^-kappa; E += batch * "
              "ceil(n_batches/n) * (1 - psi*(1 - 1/n)) * lr_decay^(epoch-1) per epoch"
            : "loss = loss_inf + (loss0 - loss_inf) * (1 + (E/tau)^beta)^-kappa; E += samples / "
              "(1 + gamma*(n-1)) per epoch");
    cJSON_AddNumberToObject(o, "loss0", m->loss0);
    cJSON_AddNumberToObject(o, "loss_inf", m->loss_inf);
    cJSON_AddNumberToObject(o, "tau_samples", m->tau_samples);
    cJSON_AddNumberToObject(o, "kappa", m->kappa);
    cJSON_AddNumberToObject(o, "beta", m->beta);
    cJSON_AddNumberToObject(o, "gamma", m->gamma);
    cJSON_AddNumberToObject(o, "psi", m->psi);
    cJSON_AddNumberToObject(o, "lr_decay", m->lr_decay);
    cJSON_AddNumberToObject(o, "rmse", m->rmse);
    cJSON_AddNumberToObject(o, "points", m->points);
    cJSON_AddNumberToObject(o, "runs", m->runs);
    cJSON_AddNumberToObject(o, "epochs_after_lowest_loss_left_out", m->dropped);
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
    const char *fmt, *wl, *prog = "discount";
    double v[5];
    const char *keys[5] = {"loss0", "loss_inf", "tau_samples", "kappa", "gamma"};
    if ((rc = json_get_string(o, "format", path, &fmt, e))) goto out;
    /* Version 1 is the discount form with beta = 1 (files fitted before the rounds form). */
    int v2 = !strcmp(fmt, "siren-loss-model-2");
    if (!v2 && strcmp(fmt, "siren-loss-model-1")) {
        rc = err_set(e, SIREN_EFORMAT, "%s: format '%s', expected siren-loss-model-2 (or -1)",
                     path, fmt);
        goto out;
    }
    if ((rc = json_get_string(o, "workload", path, &wl, e))) goto out;
    for (int i = 0; i < 5; i++)
        if ((rc = json_get_number(o, keys[i], path, &v[i], e))) goto out;
    out->beta = 1.0;
    out->lr_decay = 1.0;
    if (v2 && ((rc = json_get_string(o, "progress", path, &prog, e)) ||
               (rc = json_get_number(o, "beta", path, &out->beta, e)) ||
               (rc = json_get_number(o, "psi", path, &out->psi, e)) ||
               (rc = json_get_number(o, "lr_decay", path, &out->lr_decay, e))))
        goto out;
    if (!strcmp(prog, "rounds")) out->progress = SIM_PROGRESS_ROUNDS;
    else if (!strcmp(prog, "discount")) out->progress = SIM_PROGRESS_DISCOUNT;
    else {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'progress': '%s', expected rounds or discount",
                     path, prog);
        goto out;
    }
    if (!(v[2] > 0) || !(v[3] > 0) || !(v[4] >= 0) || !(v[0] >= v[1]) || !(out->beta > 0) ||
        !(out->psi >= 0 && out->psi < 1) || !(out->lr_decay > 0 && out->lr_decay <= 1)) {
        rc = err_set(e, SIREN_EFORMAT, "%s: expected tau_samples > 0, kappa > 0, beta > 0, "
                     "gamma >= 0, 0 <= psi < 1, 0 < lr_decay <= 1 and loss0 >= loss_inf", path);
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
    int run, epoch;
    int n, batch;
    size_t steps; /* completed mini-batch steps of this epoch (the emulator's versions) */
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
    if (batch < 1 || batch > INT32_MAX) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'batch': %lld, expected >= 1", path, batch);
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
        if (k < 17 || !(f[0] >= 1 && f[0] <= SIM_MAX_EPOCHS) || !(f[1] >= 1 && f[1] <= INT32_MAX) || !(f[10] >= 0) ||
            !(f[15] >= 0 && f[15] <= 1e15)) {
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
        (*pts)[(*np)++] = (struct fit_point){run, (int)f[0], (int)f[1], (int)batch, (size_t)f[15],
                                             f[10]};
    }
    free(text);
    return rc;
}

static int fit_read_runs(const char *const *run_dirs, int n_dirs, char *workload, size_t wlen,
                         struct fit_point **pts, int *np, struct err *e)
{
    int cap = 0, rc = SIREN_OK;
    *pts = NULL;
    *np = 0;
    workload[0] = '\0';
    for (int i = 0; i < n_dirs && !rc; i++)
        rc = fit_read_run(run_dirs[i], i, workload, wlen, pts, np, &cap, e);
    if (!rc && *np < 3) rc = err_set(e, SIREN_EINVAL, "%d epochs in all: at least 3 are needed", *np);
    if (rc) {
        free(*pts);
        *pts = NULL;
    }
    return rc;
}

/* g_i = (1 + (E_i/tau)^beta)^-kappa for every point, E_i accumulated per run. */
static void fit_shape(const struct sim_loss_model *m, const struct fit_point *p, int n, double *g)
{
    double eff = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || p[i].run != p[i - 1].run) eff = 0;
        eff += sim_loss_effective(m, p[i].steps, p[i].batch, p[i].n, p[i].epoch);
        double x = eff / m->tau_samples;
        g[i] = pow(1.0 + (m->beta != 1.0 ? pow(x, m->beta) : x), -m->kappa);
    }
}

/* Sum of squared errors of m's progress and shape parameters, with loss0 and loss_inf solved
 * by least squares (loss = loss_inf (1 - g) + loss0 g) under 0 <= loss_inf <= loss0; both
 * written into m. g is scratch (n). */
static double fit_sse(struct sim_loss_model *m, const struct fit_point *p, int n, double *g)
{
    fit_shape(m, p, n, g);
    double sxx = 0, sxy = 0, syy = 0, sxl = 0, syl = 0, sl = 0;
    for (int i = 0; i < n; i++) {
        double x = 1 - g[i], y = g[i]; /* coefficients of loss_inf and loss0 */
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        sxl += x * p[i].loss;
        syl += y * p[i].loss;
        sl += p[i].loss * p[i].loss;
    }
    double det = sxx * syy - sxy * sxy, a = 0, b = 0;
    if (fabs(det) > 1e-300) {
        a = (sxl * syy - syl * sxy) / det;
        b = (syl * sxx - sxl * sxy) / det;
    }
    /* On the boundary: loss_inf = 0 (loss0 alone), or loss0 = loss_inf (a constant). */
    if (a < 0) {
        a = 0;
        b = syy > 0 ? syl / syy : 0;
    }
    if (b < a) a = b = (sxl + syl) / (sxx + 2 * sxy + syy);
    m->loss_inf = a;
    m->loss0 = b;
    /* The expanded form can round below zero on an exact fit. */
    double sse = sl - 2 * a * sxl - 2 * b * syl + a * a * sxx + 2 * a * b * sxy + b * b * syy;
    return sse > 0 ? sse : 0.0;
}

/* The free parameters of the form as a vector (progress, ln kappa, ln tau, ln beta) and back;
 * out-of-range vectors are rejected (a penalty for the simplex). */
static int fit_unpack(struct sim_loss_model *m, const double *x, int fit_beta)
{
    double hi = m->progress == SIM_PROGRESS_ROUNDS ? 0.95 : 1.0;
    if (!(x[0] >= 0 && x[0] <= hi) || !(x[1] >= log(0.02) && x[1] <= log(5.0)) ||
        !(x[3] >= log(0.3) && x[3] <= log(4.0)))
        return 0;
    if (m->progress == SIM_PROGRESS_ROUNDS) m->psi = x[0];
    else m->gamma = x[0];
    m->kappa = exp(x[1]);
    m->tau_samples = exp(x[2]);
    m->beta = fit_beta ? exp(x[3]) : 1.0;
    return 1;
}

static double fit_eval(struct sim_loss_model *m, const double *x, int fit_beta,
                       const struct fit_point *p, int n, double *g)
{
    return fit_unpack(m, x, fit_beta) ? fit_sse(m, p, n, g) : (double)INFINITY;
}

/* Nelder-Mead (Nelder and Mead 1965) from x over the 4 (or 3 without beta) parameters: the
 * grid's best point is refined off the grid. Deterministic. */
static void fit_refine(struct sim_loss_model *m, double *x, int fit_beta, const struct fit_point *p,
                       int n, double *g)
{
    enum { D = 4 };
    int d = fit_beta ? 4 : 3;
    double s[D + 1][D], f[D + 1];
    static const double step[D] = {0.05, 0.2, 0.3, 0.15};
    for (int i = 0; i <= d; i++) {
        memcpy(s[i], x, sizeof s[i]);
        if (i) s[i][i - 1] += step[i - 1];
        if (i && !(fit_eval(m, s[i], fit_beta, p, n, g) < (double)INFINITY)) s[i][i - 1] -= 2 * step[i - 1];
        f[i] = fit_eval(m, s[i], fit_beta, p, n, g);
    }
    for (int it = 0; it < 600; it++) {
        /* order: best first */
        for (int i = 1; i <= d; i++)
            for (int j = i; j > 0 && f[j] < f[j - 1]; j--) {
                double t = f[j];
                f[j] = f[j - 1];
                f[j - 1] = t;
                double tv[D];
                memcpy(tv, s[j], sizeof tv);
                memcpy(s[j], s[j - 1], sizeof tv);
                memcpy(s[j - 1], tv, sizeof tv);
            }
        if (f[d] - f[0] <= 1e-12 * (f[0] + 1e-12)) break;
        double c[D] = {0}, xr[D], xe[D], xc[D];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++) c[k] += s[i][k] / d;
        for (int k = 0; k < D; k++) xr[k] = xe[k] = xc[k] = s[0][k];
        for (int k = 0; k < d; k++) xr[k] = 2 * c[k] - s[d][k];
        double fr = fit_eval(m, xr, fit_beta, p, n, g);
        if (fr < f[0]) {
            for (int k = 0; k < d; k++) xe[k] = 3 * c[k] - 2 * s[d][k];
            double fe = fit_eval(m, xe, fit_beta, p, n, g);
            memcpy(s[d], fe < fr ? xe : xr, sizeof s[d]);
            f[d] = fe < fr ? fe : fr;
        } else if (fr < f[d - 1]) {
            memcpy(s[d], xr, sizeof s[d]);
            f[d] = fr;
        } else {
            for (int k = 0; k < d; k++) xc[k] = 0.5 * (c[k] + s[d][k]);
            double fc = fit_eval(m, xc, fit_beta, p, n, g);
            if (fc < f[d]) {
                memcpy(s[d], xc, sizeof s[d]);
                f[d] = fc;
            } else {
                for (int i = 1; i <= d; i++) {
                    for (int k = 0; k < d; k++) s[i][k] = 0.5 * (s[0][k] + s[i][k]);
                    f[i] = fit_eval(m, s[i], fit_beta, p, n, g);
                }
            }
        }
    }
    int b = 0;
    for (int i = 1; i <= d; i++)
        if (f[i] < f[b]) b = i;
    memcpy(x, s[b], sizeof s[b]);
}

/* Drops each run's epochs after its lowest test loss: where the test loss rises again the run
 * overfits (or a late one is noise), which the model's monotone curve does not describe, and
 * fitted to, those epochs pull its asymptote up and make every schedule look slower near the
 * target. Only trailing epochs go, so each run's effective samples still add up from its
 * start. Returns the number dropped. */
static int fit_keep_descent(struct fit_point *pts, int *np)
{
    int out = 0, dropped = 0;
    for (int i = 0; i < *np;) {
        int j = i, low = i;
        for (; j < *np && pts[j].run == pts[i].run; j++)
            if (pts[j].loss <= pts[low].loss) low = j;
        for (int k = i; k <= low; k++) pts[out++] = pts[k];
        dropped += j - low - 1;
        i = j;
    }
    *np = out;
    return dropped;
}

int sim_loss_model_fit(const char *const *run_dirs, int n_dirs, enum sim_progress form,
                       int all_epochs, struct sim_loss_model *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct fit_point *pts;
    int np;
    char workload[64];
    int rc = fit_read_runs(run_dirs, n_dirs, workload, sizeof workload, &pts, &np, e);
    if (rc) return rc;
    int dropped = all_epochs ? 0 : fit_keep_descent(pts, &np);
    if (np < 3) {
        free(pts);
        return err_set(e, SIREN_EINVAL, "%d epochs up to each run's lowest loss: at least 3 are "
                       "needed", np);
    }
    double *g = malloc((size_t)np * sizeof *g);
    if (!g) {
        free(pts);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    /* The discount form keeps its original shape (beta = 1); the rounds form fits beta, the
     * sharpness of the bend from the first, nearly linear, descent into the slow tail. */
    int fit_beta = form == SIM_PROGRESS_ROUNDS;
    struct sim_loss_model m = {0};
    m.progress = form;
    m.lr_decay = 1.0;
    /* The rounds form weighs steps by their epoch's learning rate: the workload's decay. */
    const struct workload_info *wi = workload_find(workload);
    if (form == SIM_PROGRESS_ROUNDS && wi && wi->lr_decay > 0 && wi->lr_decay <= 1)
        m.lr_decay = wi->lr_decay;
    double samples = (double)pts[0].steps * pts[0].batch, best = INFINITY, bx[4] = {0};
    int np_grid = form == SIM_PROGRESS_ROUNDS ? 20 : 41;
    static const double betas[] = {0.5, 0.75, 1.0, 1.5, 2.0, 3.0};
    for (int pi = 0; pi < np_grid; pi++)
        for (int bi = 0; bi < (fit_beta ? 6 : 1); bi++)
            for (int ki = 0; ki < 40; ki++)
                for (int ti = 0; ti < 60; ti++) {
                    double x[4] = {form == SIM_PROGRESS_ROUNDS ? pi * 0.05 : pi / 40.0,
                                   log(0.05) + ki / 39.0 * log(3.0 / 0.05),
                                   log(samples * 1e-3) + ti / 59.0 * log(1e5),
                                   fit_beta ? log(betas[bi]) : 0.0};
                    double sse = fit_eval(&m, x, fit_beta, pts, np, g);
                    if (sse < best) {
                        best = sse;
                        memcpy(bx, x, sizeof bx);
                    }
                }
    fit_refine(&m, bx, fit_beta, pts, np, g);
    best = fit_eval(&m, bx, fit_beta, pts, np, g);
    snprintf(m.workload, sizeof m.workload, "%s", workload);
    m.rmse = sqrt(best / np);
    m.points = np;
    m.dropped = dropped;
    m.runs = n_dirs;
    *out = m;
    free(g);
    free(pts);
    return SIREN_OK;
}

int sim_loss_model_check(const struct sim_loss_model *m, const char *const *run_dirs,
                         int n_dirs, struct sim_loss_check *per_run, double *rmse, int *points,
                         struct err *e)
{
    struct fit_point *pts;
    int np;
    char workload[64];
    int rc = fit_read_runs(run_dirs, n_dirs, workload, sizeof workload, &pts, &np, e);
    if (rc) return rc;
    if (strcmp(workload, m->workload)) {
        free(pts);
        return err_set(e, SIREN_EINVAL, "the runs are of %s, the model of %s", workload,
                       m->workload);
    }
    double sse = 0, eff = 0;
    if (per_run) memset(per_run, 0, (size_t)n_dirs * sizeof *per_run);
    for (int i = 0; i < np; i++) {
        if (i == 0 || pts[i].run != pts[i - 1].run) eff = 0;
        eff += sim_loss_effective(m, pts[i].steps, pts[i].batch, pts[i].n, pts[i].epoch);
        double d = sim_loss_at(m, eff) - pts[i].loss;
        sse += d * d;
        if (per_run) {
            struct sim_loss_check *c = &per_run[pts[i].run];
            c->rmse += d * d; /* a sum of squares until the end */
            c->epochs++;
            c->last_error = d;
            c->last_loss = pts[i].loss;
        }
    }
    for (int r = 0; per_run && r < n_dirs; r++)
        if (per_run[r].epochs) per_run[r].rmse = sqrt(per_run[r].rmse / per_run[r].epochs);
    *rmse = sqrt(sse / np);
    *points = np;
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
    s->eff += sim_loss_effective(&s->cfg.loss, jb->n_batches, jb->batch, a.n, s->epoch);
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
        pa[i] = (int)floor(sim_loss_effective(&cfg->loss, cfg->job.n_batches, cfg->job.batch,
                                                grid[i].n, 1) / dpu);
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

/* The dynamic programme when progress depends on the epoch (a learning-rate decay): state
 * (epoch t, cost units c, progress units p), value the least time; forward over t, each
 * action's progress at epoch t weighted by the learning rate. Actions dominated in (time,
 * cost, progress) are dropped first; states no faster than the best finished schedule are not
 * expanded. Cost rounded up and progress down, as in oracle_dp. */
static int oracle_dp_epochs(struct sim *s, const struct sched_action *grid, int ng,
                            struct sched_action *seq, int *n_seq, struct err *e)
{
    enum { CB = 300, PB = 300 };
    const size_t cells = (size_t)(CB + 1) * (PB + 1);
    const struct sim_config *cfg = &s->cfg;
    const int T = cfg->max_epochs;
    double need = sim_loss_needed(&cfg->loss, s->target_loss);
    *n_seq = 0;
    if (!isfinite(need)) return SIREN_OK;
    double *tau = malloc((size_t)ng * sizeof *tau), *cost = malloc((size_t)ng * sizeof *cost),
           *prog = malloc((size_t)ng * sizeof *prog);
    int *keep = malloc((size_t)ng * sizeof *keep), *ca = malloc((size_t)ng * sizeof *ca);
    double *dp = malloc((size_t)(T + 1) * cells * sizeof *dp);
    int *ch = malloc((size_t)(T + 1) * cells * sizeof *ch);
    short *pp = malloc((size_t)(T + 1) * cells * sizeof *pp);
    int rc = SIREN_OK, nk = 0;
    if (!tau || !cost || !prog || !keep || !ca || !dp || !ch || !pp) {
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
        prog[i] = sim_loss_effective(&cfg->loss, cfg->job.n_batches, cfg->job.batch, grid[i].n, 1);
        if (cost[i] > max_cost) max_cost = cost[i];
    }
    sim_reset(s);
    if (rc) goto out;
    for (int i = 0; i < ng; i++) {
        int dominated = 0;
        for (int j = 0; j < ng && !dominated; j++)
            dominated = j != i && tau[j] <= tau[i] && cost[j] <= cost[i] && prog[j] >= prog[i] &&
                        (tau[j] < tau[i] || cost[j] < cost[i] || prog[j] > prog[i] || j < i);
        if (!dominated) keep[nk++] = i;
    }
    double budget = cfg->budget_usd > 0 ? cfg->budget_usd : max_cost * T;
    double dc = budget / CB, dpu = need / PB;
    for (int k = 0; k < nk; k++) {
        ca[k] = (int)ceil(cost[keep[k]] / dc);
        if (ca[k] < 1) ca[k] = 1;
    }
    for (size_t i = 0; i < (size_t)(T + 1) * cells; i++) dp[i] = (double)INFINITY;
    dp[0] = 0;
    double best = INFINITY;
    int best_t = -1, best_c = -1;
    for (int t = 0; t < T; t++) {
        double w = sim_loss_lr_weight(&cfg->loss, t + 1);
        const double *cur = dp + (size_t)t * cells;
        double *nxt = dp + (size_t)(t + 1) * cells;
        int *nch = ch + (size_t)(t + 1) * cells;
        short *npp = pp + (size_t)(t + 1) * cells;
        for (int c = 0; c <= CB; c++)
            for (int p = 0; p < PB; p++) {
                double t0 = cur[(size_t)c * (PB + 1) + p];
                if (!(t0 < best)) continue;
                for (int k = 0; k < nk; k++) {
                    int c2 = c + ca[k];
                    if (c2 > CB) continue;
                    int i = keep[k], p2 = p + (int)floor(prog[i] * w / dpu);
                    if (p2 > PB) p2 = PB;
                    double t2 = t0 + tau[i];
                    size_t at = (size_t)c2 * (PB + 1) + p2;
                    if (t2 < nxt[at]) {
                        nxt[at] = t2;
                        nch[at] = k;
                        npp[at] = (short)p;
                        if (p2 == PB && t2 < best) {
                            best = t2;
                            best_t = t + 1;
                            best_c = c2;
                        }
                    }
                }
            }
    }
    if (best_t > 0) {
        int c = best_c, p = PB;
        for (int t = best_t; t > 0; t--) {
            size_t at = (size_t)t * cells + (size_t)c * (PB + 1) + p;
            int k = ch[at];
            seq[t - 1] = grid[keep[k]];
            p = pp[at];
            c -= ca[k];
        }
        *n_seq = best_t;
    }
out:
    free(tau);
    free(cost);
    free(prog);
    free(keep);
    free(ca);
    free(dp);
    free(ch);
    free(pp);
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
    int order_free = s->cfg.loss.progress == SIM_PROGRESS_DISCOUNT ||
                     sim_loss_lr_weight(&s->cfg.loss, 2) == 1.0;
    if ((rc = order_free ? oracle_dp(s, grid, n_grid, seq, &n_seq, e)
                         : oracle_dp_epochs(s, grid, n_grid, seq, &n_seq, e)))
        return rc;
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
void sim_set_target_loss(struct sim *s, double target_loss)
{
    if (target_loss > 0) s->target_loss = target_loss;
}

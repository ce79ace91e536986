/*
 * `siren sim fit`: the loss-progress model fitted to the epochs.csv and summary.json of
 * emulator runs (a grid over its free parameters refined by Nelder-Mead, loss0 and loss_inf by
 * least squares), and the check of a model against runs. Deterministic.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fit_point {
    int run, epoch;
    int n, batch;
    size_t steps; /* completed mini-batch steps of this epoch (the emulator's versions) */
    double loss;
};

/* Reads one run directory's epochs into pts (appended); workload and update get the run's (all
 * runs must agree). */
static int fit_read_run(const char *dir, int run, char *workload, size_t wlen, char *update,
                        size_t ulen, struct fit_point **pts, int *np, int *cap, struct err *e)
{
    char path[1200];
    cJSON *s;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    int rc = json_load_file(path, &s, e);
    if (rc) return rc;
    const char *wl, *rule = "overwrite";
    long long batch;
    if ((rc = json_get_string(s, "workload", path, &wl, e)) ||
        (rc = json_get_int(s, "batch", path, &batch, e)) ||
        (cJSON_GetObjectItemCaseSensitive(s, "update") &&
         (rc = json_get_string(s, "update", path, &rule, e)))) {
        cJSON_Delete(s);
        return rc;
    }
    if (*update && strcmp(update, rule)) {
        rc = err_set(e, SIREN_EINVAL, "%s: --update %s, but the other runs are of %s: a model "
                     "describes one rule", path, rule, update);
        cJSON_Delete(s);
        return rc;
    }
    snprintf(update, ulen, "%s", rule);
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
                         char *update, size_t ulen, struct fit_point **pts, int *np,
                         struct err *e)
{
    int cap = 0, rc = SIREN_OK;
    *pts = NULL;
    *np = 0;
    workload[0] = update[0] = '\0';
    for (int i = 0; i < n_dirs && !rc; i++)
        rc = fit_read_run(run_dirs[i], i, workload, wlen, update, ulen, pts, np, &cap, e);
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

/* The free parameters of the form as a vector (progress, ln kappa, ln tau, ln beta, ln rho)
 * and back (rho: the parallel form only); out-of-range vectors are rejected (a penalty for the
 * simplex). */
static int fit_unpack(struct sim_loss_model *m, const double *x, int fit_beta)
{
    int parallel = m->progress == SIM_PROGRESS_PARALLEL;
    double hi = m->progress == SIM_PROGRESS_ROUNDS ? 0.95 : parallel ? 4.0 : 1.0;
    if (!(x[0] >= 0 && x[0] <= hi) || !(x[1] >= log(0.02) && x[1] <= log(5.0)) ||
        !(x[3] >= log(0.3) && x[3] <= log(4.0)) ||
        (parallel && !(x[4] >= log(0.5) && x[4] <= log(4.0))))
        return 0;
    m->rho = parallel ? exp(x[4]) : 1.0;
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

/* Nelder-Mead (Nelder and Mead 1965) from x over the 5 (parallel form), 4 (with beta) or 3
 * parameters: the grid's best point is refined off the grid. Deterministic. */
static void fit_refine(struct sim_loss_model *m, double *x, int fit_beta, const struct fit_point *p,
                       int n, double *g)
{
    enum { D = 5 };
    int d = m->progress == SIM_PROGRESS_PARALLEL ? 5 : fit_beta ? 4 : 3;
    double s[D + 1][D], f[D + 1];
    static const double step[D] = {0.05, 0.2, 0.3, 0.15, 0.15};
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

/* The grid's best point into bx (progress, ln kappa, ln tau, ln beta, ln rho): the progress
 * parameter (psi in steps of 0.05 up to 0.95, gamma in steps of 0.025 up to 1, or of 0.1 up to
 * 4 in the parallel form), kappa
 * log-spaced over 0.05..3, tau over 1e-3..1e2 times the first epoch's samples, and beta (rounds
 * and parallel forms) and rho (parallel form) over a few values. */
static void fit_grid(struct sim_loss_model *m, int fit_beta, const struct fit_point *pts, int np,
                     double *g, double *bx)
{
    int rounds = m->progress == SIM_PROGRESS_ROUNDS;
    double samples = (double)pts[0].steps * pts[0].batch, best = INFINITY;
    int np_grid = rounds ? 20 : 41;
    static const double betas[] = {0.5, 0.75, 1.0, 1.5, 2.0, 3.0}, rhos[] = {0.5, 1.0, 2.0, 3.0};
    int n_rho = m->progress == SIM_PROGRESS_PARALLEL ? 4 : 1;
    memset(bx, 0, 5 * sizeof *bx);
    for (int pi = 0; pi < np_grid; pi++)
        for (int ri = 0; ri < n_rho; ri++)
            for (int bi = 0; bi < (fit_beta ? 6 : 1); bi++)
                for (int ki = 0; ki < 40; ki++)
                    for (int ti = 0; ti < 60; ti++) {
                        double x[5] = {rounds ? pi * 0.05 : n_rho > 1 ? pi / 10.0 : pi / 40.0,
                                       log(0.05) + ki / 39.0 * log(3.0 / 0.05),
                                       log(samples * 1e-3) + ti / 59.0 * log(1e5),
                                       fit_beta ? log(betas[bi]) : 0.0,
                                       n_rho > 1 ? log(rhos[ri]) : 0.0};
                        double sse = fit_eval(m, x, fit_beta, pts, np, g);
                        if (sse < best) {
                            best = sse;
                            memcpy(bx, x, sizeof x);
                        }
                    }
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
    char workload[64], update[32];
    int rc = fit_read_runs(run_dirs, n_dirs, workload, sizeof workload, update, sizeof update,
                           &pts, &np, e);
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
    int fit_beta = form != SIM_PROGRESS_DISCOUNT;
    struct sim_loss_model m = {0};
    m.progress = form;
    m.lr_decay = 1.0;
    /* The rounds form weighs steps by their epoch's learning rate: the workload's decay. */
    const struct workload_info *wi = workload_find(workload);
    if (form != SIM_PROGRESS_DISCOUNT && wi && wi->lr_decay > 0 && wi->lr_decay <= 1)
        m.lr_decay = wi->lr_decay;
    double bx[5];
    fit_grid(&m, fit_beta, pts, np, g, bx);
    fit_refine(&m, bx, fit_beta, pts, np, g);
    double best = fit_eval(&m, bx, fit_beta, pts, np, g);
    snprintf(m.workload, sizeof m.workload, "%s", workload);
    snprintf(m.update, sizeof m.update, "%s", update);
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
    char workload[64], update[32];
    int rc = fit_read_runs(run_dirs, n_dirs, workload, sizeof workload, update, sizeof update,
                           &pts, &np, e);
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

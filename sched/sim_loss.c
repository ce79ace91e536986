/*
 * The simulator's loss-progress model (see sim.h and sched/README.md): effective samples per
 * epoch in either progress form, the loss after them and its inverse, and the model file
 * (format siren-loss-model-2; -1 loads as the discount form). Fitting it is sim_fit.c.
 */
#include "sim.h"

#include <math.h>
#include <string.h>

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

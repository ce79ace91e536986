/*
 * The simulator's loss-progress model (see sim.h and sched/README.md): effective samples per
 * epoch in either progress form, the loss after them and its inverse, and the model file
 * (format siren-loss-model-2; -1 loads as the discount form). Fitting it is sim_fit.c.
 */
#include "sim.h"

#include <math.h>
#include <stddef.h>
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
    if (m->progress == SIM_PROGRESS_PARALLEL) {
        double d = 1.0 + m->gamma * (double)(n - 1);
        return (double)n_batches * batch * sim_loss_lr_weight(m, epoch) /
               (m->rho > 0 && m->rho != 1.0 ? pow(d, m->rho) : d);
    }
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
    return p == SIM_PROGRESS_ROUNDS     ? "rounds"
           : p == SIM_PROGRESS_PARALLEL ? "parallel"
                                        : "discount";
}

/* The model file's numbers, in the order the file lists them; one table for saving and
 * loading, so that the two cannot disagree on a key. `since`: the format from which loading
 * requires the key (1: every format; 2: siren-loss-model-2; 0: read when present; -1: what
 * the fit saw, written and not read back). */
#define LOSS_DOUBLE(f) offsetof(struct sim_loss_model, f), 0
#define LOSS_INT(f) offsetof(struct sim_loss_model, f), 1
static const struct {
    const char *key;
    size_t offset;
    int is_int; /* an int field, else a double */
    int since;
} loss_keys[] = {
    {"loss0", LOSS_DOUBLE(loss0), 1},
    {"loss_inf", LOSS_DOUBLE(loss_inf), 1},
    {"tau_samples", LOSS_DOUBLE(tau_samples), 1},
    {"kappa", LOSS_DOUBLE(kappa), 1},
    {"beta", LOSS_DOUBLE(beta), 2},
    {"gamma", LOSS_DOUBLE(gamma), 1},
    {"psi", LOSS_DOUBLE(psi), 2},
    {"lr_decay", LOSS_DOUBLE(lr_decay), 2},
    {"rho", LOSS_DOUBLE(rho), 0},
    {"rmse", LOSS_DOUBLE(rmse), 0},
    {"points", LOSS_INT(points), -1},
    {"runs", LOSS_INT(runs), -1},
    {"epochs_after_lowest_loss_left_out", LOSS_INT(dropped), -1},
};
#define LOSS_KEYS (sizeof loss_keys / sizeof *loss_keys)

/* The double field of key i (since >= 0). */
static double *loss_key_at(struct sim_loss_model *m, size_t i)
{
    return (double *)((char *)m + loss_keys[i].offset);
}

static double loss_key_value(const struct sim_loss_model *m, size_t i)
{
    const char *at = (const char *)m + loss_keys[i].offset;
    return loss_keys[i].is_int ? *(const int *)at : *(const double *)at;
}

/* Reads the keys required since format `since` (in the table's order) into m. */
static int loss_keys_load(const cJSON *o, const char *path, int since, struct sim_loss_model *m,
                          struct err *e)
{
    for (size_t i = 0; i < LOSS_KEYS; i++) {
        if (loss_keys[i].since != since) continue;
        int rc = json_get_number(o, loss_keys[i].key, path, loss_key_at(m, i), e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

int sim_loss_model_save(const char *path, const struct sim_loss_model *m, struct err *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", "siren-loss-model-2");
    cJSON_AddStringToObject(o, "workload", m->workload);
    cJSON_AddStringToObject(o, "update", m->update);
    cJSON_AddStringToObject(o, "progress", sim_progress_name(m->progress));
    cJSON_AddStringToObject(
        o, "model",
        m->progress == SIM_PROGRESS_ROUNDS
            ? "loss = loss_inf + (loss0 - loss_inf) * (1 + (E/tau)^beta)^-kappa; E += batch * "
              "ceil(n_batches/n) * (1 - psi*(1 - 1/n)) * lr_decay^(epoch-1) per epoch"
        : m->progress == SIM_PROGRESS_PARALLEL
            ? "loss = loss_inf + (loss0 - loss_inf) * (1 + (E/tau)^beta)^-kappa; E += samples * "
              "lr_decay^(epoch-1) / (1 + gamma*(n-1))^rho per epoch"
            : "loss = loss_inf + (loss0 - loss_inf) * (1 + (E/tau)^beta)^-kappa; E += samples / "
              "(1 + gamma*(n-1)) per epoch");
    for (size_t i = 0; i < LOSS_KEYS; i++)
        cJSON_AddNumberToObject(o, loss_keys[i].key, loss_key_value(m, i));
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
    if ((rc = json_get_string(o, "format", path, &fmt, e))) goto out;
    /* Version 1 is the discount form with beta = 1 (files fitted before the rounds form). */
    int v2 = !strcmp(fmt, "siren-loss-model-2");
    if (!v2 && strcmp(fmt, "siren-loss-model-1")) {
        rc = err_set(e, SIREN_EFORMAT, "%s: format '%s', expected siren-loss-model-2 (or -1)",
                     path, fmt);
        goto out;
    }
    if ((rc = json_get_string(o, "workload", path, &wl, e))) goto out;
    if ((rc = loss_keys_load(o, path, 1, out, e))) goto out;
    out->beta = 1.0;
    out->lr_decay = 1.0;
    out->rho = 1.0; /* files without it: the plain discount */
    if (v2 && ((rc = json_get_string(o, "progress", path, &prog, e)) ||
               (rc = loss_keys_load(o, path, 2, out, e))))
        goto out;
    if (!strcmp(prog, "rounds")) out->progress = SIM_PROGRESS_ROUNDS;
    else if (!strcmp(prog, "parallel")) out->progress = SIM_PROGRESS_PARALLEL;
    else if (!strcmp(prog, "discount")) out->progress = SIM_PROGRESS_DISCOUNT;
    else {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'progress': '%s', expected rounds, parallel or discount",
                     path, prog);
        goto out;
    }
    if (!(out->tau_samples > 0) || !(out->kappa > 0) || !(out->gamma >= 0) ||
        !(out->loss0 >= out->loss_inf) || !(out->beta > 0) || !(out->psi >= 0 && out->psi < 1) ||
        !(out->lr_decay > 0 && out->lr_decay <= 1)) {
        rc = err_set(e, SIREN_EFORMAT, "%s: expected tau_samples > 0, kappa > 0, beta > 0, "
                     "gamma >= 0, 0 <= psi < 1, 0 < lr_decay <= 1 and loss0 >= loss_inf", path);
        goto out;
    }
    snprintf(out->workload, sizeof out->workload, "%s", wl);
    const char *update = "overwrite";
    if (cJSON_GetObjectItemCaseSensitive(o, "update") &&
        (rc = json_get_string(o, "update", path, &update, e)))
        goto out;
    snprintf(out->update, sizeof out->update, "%s", update);
    /* The optional keys: kept where present and numeric. */
    for (size_t i = 0; i < LOSS_KEYS; i++) {
        double d;
        if (!loss_keys[i].since && !json_get_number(o, loss_keys[i].key, path, &d, e))
            *loss_key_at(out, i) = d;
    }
out:
    cJSON_Delete(o);
    return rc;
}

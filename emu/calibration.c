/* Per-sample compute time of a workload on this host (see calibration.h). */
#include "calibration.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int calibration_measure(struct workload *w, int reps, struct calibration_entry *out,
                        struct err *e)
{
    struct kn_model *m = NULL;
    struct kn_optim opt = {0};
    int B = w->opts.batch;
    uint32_t *idx = malloc((size_t)B * sizeof *idx);
    double *t = malloc((size_t)reps * sizeof *t);
    int rc = (!idx || !t) ? err_set(e, SIREN_ENOMEM, "calibrate: out of memory") : SIREN_OK;
    if (!rc) rc = kn_model_create(&w->model_cfg, &m, e);
    if (!rc) {
        kn_model_init(m, w->opts.seed);
        rc = kn_optim_init(&opt, &w->optim_cfg, kn_model_num_params(m), e);
    }
    struct rng r;
    rng_seed_stream(&r, w->opts.seed, 0xca1);
    /* Three warm-up steps (caches, page faults), then the timed ones. */
    for (int i = -3; !rc && i < reps; i++) {
        for (int j = 0; j < B; j++) idx[j] = (uint32_t)rng_below(&r, w->train.rows);
        struct kn_batch b;
        float loss;
        rc = workload_batch(w, 0, idx, B, (uint64_t)i, &b, e);
        double t0 = clock_mono_s();
        if (!rc) rc = kn_model_train_step(m, &b, &opt, &loss, e);
        if (i >= 0) t[i] = (clock_mono_s() - t0) / B;
    }
    if (!rc) {
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        out->s_per_sample = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
        out->min_s_per_sample = t[0];
        out->max_s_per_sample = t[reps - 1];
        out->batch = B;
        out->reps = reps;
    }
    free(idx);
    free(t);
    kn_optim_free(&opt);
    kn_model_free(m);
    return rc;
}

int calibration_load(const char *path, const char *workload, struct calibration_entry *out,
                     struct err *e)
{
    cJSON *root;
    int rc = json_load_file(path, &root, e);
    if (rc) return rc;
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(root, "workloads");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(all, workload);
    char where[1200];
    snprintf(where, sizeof where, "%s: workloads.%s", path, workload);
    long long batch = 0, reps = 0;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(w)) {
        rc = err_set(e, SIREN_ENOTFOUND, "%s: no calibration for %s (run `siren calibrate "
                     "--workload %s --out %s`)", path, workload, workload, path);
    } else if (!(rc = json_get_number(w, "s_per_sample", where, &out->s_per_sample, e)) &&
               !(rc = json_get_int(w, "batch", where, &batch, e)) &&
               !(rc = json_get_int(w, "reps", where, &reps, e))) {
        out->batch = (int)batch;
        out->reps = (int)reps;
        double v;
        out->min_s_per_sample = json_get_number(w, "min", where, &v, NULL) ? out->s_per_sample : v;
        out->max_s_per_sample = json_get_number(w, "max", where, &v, NULL) ? out->s_per_sample : v;
        if (!(out->s_per_sample > 0))
            rc = err_set(e, SIREN_EFORMAT, "%s: key 's_per_sample': expected a number > 0", where);
    }
    cJSON_Delete(root);
    return rc;
}

/* Puts entry (ownership passes, even on error) under workloads.<key> of the file, stamped
 * with this host, commit and date; the file is created if missing and replaced atomically. */
static int store_entry(const char *path, const char *key, cJSON *entry, struct err *e)
{
    cJSON *root = NULL;
    if (fs_exists(path)) {
        int rc = json_load_file(path, &root, e);
        if (rc) {
            cJSON_Delete(entry);
            return rc;
        }
    } else {
        root = cJSON_CreateObject();
    }
    struct utsname u;
    uname(&u);
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_DeleteItemFromObjectCaseSensitive(root, "host");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "commit");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "date");
    cJSON_AddStringToObject(root, "host", u.nodename);
    cJSON_AddStringToObject(root, "commit", build_commit());
    cJSON_AddStringToObject(root, "date", date);
    cJSON *all = cJSON_GetObjectItemCaseSensitive(root, "workloads");
    if (!cJSON_IsObject(all)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "workloads");
        all = cJSON_AddObjectToObject(root, "workloads");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(all, key);
    cJSON_AddItemToObject(all, key, entry);
    int rc = json_write_file(path, root, e);
    cJSON_Delete(root);
    return rc;
}

int calibration_store(const char *path, const char *workload, const struct calibration_entry *c,
                      struct err *e)
{
    cJSON *w = cJSON_CreateObject();
    if (!w) return err_set(e, SIREN_ENOMEM, "calibrate: out of memory");
    cJSON_AddNumberToObject(w, "batch", c->batch);
    cJSON_AddNumberToObject(w, "s_per_sample", c->s_per_sample);
    cJSON_AddNumberToObject(w, "min", c->min_s_per_sample);
    cJSON_AddNumberToObject(w, "max", c->max_s_per_sample);
    cJSON_AddNumberToObject(w, "reps", c->reps);
    return store_entry(path, workload, w, e);
}

/* The median of t[0..n), sorting t. */
static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

int calibration_update_measure(const struct workload *w, int reps,
                               struct calibration_update *out, struct err *e)
{
    struct kn_model *m = NULL;
    struct kn_optim opt = {0};
    float *grad = NULL, *sum = NULL;
    double *t_step = malloc((size_t)reps * sizeof *t_step);
    double *t_sum = malloc((size_t)reps * sizeof *t_sum);
    int rc = (!t_step || !t_sum) ? err_set(e, SIREN_ENOMEM, "calibrate: out of memory")
                                 : kn_model_create(&w->model_cfg, &m, e);
    size_t n = m ? kn_model_num_params(m) : 0;
    if (!rc) {
        kn_model_init(m, w->opts.seed);
        grad = malloc(n * sizeof *grad);
        sum = calloc(n, sizeof *sum);
        if (!grad || !sum) rc = err_set(e, SIREN_ENOMEM, "calibrate: out of memory");
    }
    if (!rc) rc = kn_optim_init(&opt, &w->optim_cfg, n, e);
    struct rng r;
    rng_seed_stream(&r, w->opts.seed, 0xca2);
    for (size_t i = 0; !rc && i < n; i++) grad[i] = (float)(rng_uniform(&r) - 0.5) * 1e-3f;
    float *params = m ? kn_model_params(m) : NULL;
    /* Three warm-up passes (caches, page faults), then the timed ones: the weighted sum the
     * servers run per contributing worker (ps_server.c), then one optimiser step. */
    for (int i = -3; !rc && i < reps; i++) {
        const float wk = 0.5f;
        double t0 = clock_mono_s();
        for (size_t j = 0; j < n; j++) sum[j] += wk * grad[j];
        double t1 = clock_mono_s();
        kn_optim_step(&opt, params, sum);
        double t2 = clock_mono_s();
        if (i >= 0) {
            t_sum[i] = (t1 - t0) / (double)n;
            t_step[i] = (t2 - t1) / (double)n;
        }
    }
    if (!rc) {
        *out = (struct calibration_update){.step_s_per_param = median(t_step, reps),
                                           .sum_s_per_param = median(t_sum, reps),
                                           .params = (long long)n, .reps = reps};
    }
    free(grad);
    free(sum);
    free(t_step);
    free(t_sum);
    kn_optim_free(&opt);
    kn_model_free(m);
    return rc;
}

int calibration_update_load(const char *path, const char *workload,
                            struct calibration_update *out, struct err *e)
{
    cJSON *root;
    int rc = json_load_file(path, &root, e);
    if (rc) return rc;
    char key[160], where[1400];
    snprintf(key, sizeof key, "%s@update", workload);
    snprintf(where, sizeof where, "%s: workloads.%s", path, key);
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(root, "workloads");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(all, key);
    long long reps = 0;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(u)) {
        rc = err_set(e, SIREN_ENOTFOUND, "%s: no server update measured for %s (run `siren "
                     "calibrate --workload %s --server-update --out %s`)", path, workload, workload,
                     path);
    } else if (!(rc = json_get_number(u, "step_s_per_param", where, &out->step_s_per_param,
                                      e)) &&
               !(rc = json_get_number(u, "sum_s_per_param", where, &out->sum_s_per_param, e)) &&
               !(rc = json_get_int(u, "params", where, &out->params, e)) &&
               !(rc = json_get_int(u, "reps", where, &reps, e))) {
        out->reps = (int)reps;
        if (!(out->step_s_per_param >= 0) || !(out->sum_s_per_param >= 0))
            rc = err_set(e, SIREN_EFORMAT, "%s: keys 'step_s_per_param' and 'sum_s_per_param': "
                         "expected numbers >= 0", where);
    }
    cJSON_Delete(root);
    return rc;
}

int calibration_update_store(const char *path, const char *workload,
                             const struct calibration_update *c, struct err *e)
{
    char key[160];
    snprintf(key, sizeof key, "%s@update", workload);
    cJSON *u = cJSON_CreateObject();
    if (!u) return err_set(e, SIREN_ENOMEM, "calibrate: out of memory");
    cJSON_AddNumberToObject(u, "step_s_per_param", c->step_s_per_param);
    cJSON_AddNumberToObject(u, "sum_s_per_param", c->sum_s_per_param);
    cJSON_AddNumberToObject(u, "params", (double)c->params);
    cJSON_AddNumberToObject(u, "reps", c->reps);
    return store_entry(path, key, u, e);
}

const char *calibration_reference_path(void)
{
    /* Per thread: the simulator's episodes may open jobs from several threads. */
    static _Thread_local char path[4096];
    if (core_source_path("results/calibration/reference.json", path, sizeof path))
        return "results/calibration/reference.json";
    return path;
}

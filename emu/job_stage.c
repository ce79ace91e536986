/*
 * job_stage: the job's objects in the KV store and their keys. The training split is staged
 * once as mini-batch objects job/data/bNNNNNNN (staging.h cuts them); epoch e's parameter
 * versions live under job/params/eNNNN/ (handler.h names a version within a prefix), its BSP
 * gradients under that prefix too. Rank 0 reads the newest surviving version of an epoch to
 * evaluate it and carries it over as the next epoch's version 0, then drops the epoch's
 * versions once the epoch is committed.
 */
#include "job_internal.h"

#include "handler.h"
#include "shard.h"
#include "staging.h"

#include <stdlib.h>
#include <string.h>

void job_key_data(char *buf, size_t len, size_t batch)
{
    snprintf(buf, len, "job/data/b%07zu", batch);
}

void job_key_params(char *buf, size_t len, int epoch)
{
    snprintf(buf, len, "job/params/e%04d/", epoch);
}

void job_key_grad(char *buf, size_t len, const char *prefix, int round, int fn)
{
    snprintf(buf, len, "%sg%06d/f%06d", prefix, round, fn);
}

/* Puts staged batch b (staging_build's put). */
static int stage_put(void *ctx, size_t b, const uint8_t *obj, size_t len, struct err *e)
{
    struct kv *kv = ctx;
    char key[64];
    job_key_data(key, sizeof key, b);
    if (kv_put(kv, key, obj, len)) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    return SIREN_OK;
}

int job_stage(struct job *j, int put_params, struct err *e)
{
    struct job_coord *c = j->coord;
    struct staging st;
    int rc = staging_build(c->w, stage_put, c->kv, &st, e);
    if (rc) return rc;
    c->n_batches = st.n_batches;
    c->batch_rows = st.batch_rows; /* taken over from st */
    c->shard_bytes_per_sample = st.shard_bytes_per_sample;

    /* The shared object holds the weights only; the optimiser state stays in the functions. */
    uint8_t *obj;
    size_t len;
    if ((rc = staging_initial_params(c->w, c->eval_model, 1, &obj, &len, e))) return rc;
    c->state_bytes = (double)len;
    free(obj);
    if ((rc = staging_initial_params(c->w, c->eval_model, 0, &obj, &len, e))) return rc;
    c->param_bytes = (double)len;
    char prefix[64], key[128];
    job_key_params(prefix, sizeof prefix, 1);
    fn_version_key(prefix, j->cfg.wall_clock ? FN_CURRENT : 0, 0, key, sizeof key);
    if (put_params && kv_put(c->kv, key, obj, len))
        rc = err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
    free(obj);
    return rc;
}

int job_version_load(struct job *j, const char *prefix, int64_t v, int carry, int64_t *got,
                     struct err *e)
{
    struct job_coord *c = j->coord;
    if (j->cfg.wall_clock) v = FN_CURRENT;
    for (; v >= FN_CURRENT; v--) {
        char key[128];
        struct kv_value val;
        fn_version_key(prefix, v, 0, key, sizeof key);
        int rc = kv_get(c->kv, key, &val);
        if (rc == SIREN_ENOTFOUND && v >= 0) continue;
        if (rc == SIREN_ENOTFOUND) break;
        if (rc) return err_set(e, rc, "%s", kv_errmsg(c->kv));
        rc = params_decode(val.data, val.len, key, kn_model_params(c->eval_model),
                           kn_model_num_params(c->eval_model), NULL, e);
        if (!rc && carry) {
            /* The next epoch starts from these bytes, optimiser state included. */
            char next[64], nkey[128];
            job_key_params(next, sizeof next, c->progress.epoch + 1);
            fn_version_key(next, j->cfg.wall_clock ? FN_CURRENT : 0, 0, nkey, sizeof nkey);
            if (kv_put(c->kv, nkey, val.data, val.len))
                rc = err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
        }
        kv_value_free(&val);
        *got = v;
        return rc;
    }
    return err_set(e, SIREN_ENOTFOUND, "%s: no parameter version survived the epoch", prefix);
}

void job_versions_drop(struct job *j, const char *prefix)
{
    struct kv *kv = j->coord->kv;
    struct kv_keys keys;
    if (kv_list(kv, prefix, &keys)) return;
    for (size_t i = 0; i < keys.count; i++)
        if (kv_delete(kv, keys.keys[i]))
            LOG_WARN("job", "cannot delete %s: %s", keys.keys[i], kv_errmsg(kv));
    kv_keys_free(&keys);
}

int job_kv_delete_prefix(struct job *j, const char *prefix, const char *keep, struct err *e)
{
    struct kv *kv = j->coord->kv;
    struct kv_keys keys;
    if (kv_list(kv, prefix, &keys)) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    int rc = SIREN_OK;
    for (size_t i = 0; i < keys.count && !rc; i++)
        if ((!keep || strcmp(keys.keys[i], keep)) && kv_delete(kv, keys.keys[i]) &&
            kv_errcode(kv) != SIREN_ENOTFOUND)
            rc = err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    kv_keys_free(&keys);
    return rc;
}

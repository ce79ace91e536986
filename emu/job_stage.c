/*
 * job_stage: the job's objects in the KV store and their keys (built by store.h). The
 * training split is staged as mini-batch objects data/<digest>/bNNNNNNN (staging.h cuts
 * them), named by the digest of their bytes so that every job that stages the same bytes
 * shares one read-only copy: the job puts its reference data/<digest>/users/<id>, then under
 * the dataset's lock either finds it complete (its ready marker) or puts it. Epoch e's
 * parameter versions live under jobs/<id>/params/eNNNN/ (handler.h names a version within a
 * prefix), its BSP gradients under that prefix too. Rank 0 reads the newest surviving version
 * of an epoch to evaluate it and carries it over as the next epoch's version 0, then drops
 * the epoch's versions once the epoch is committed.
 */
#include "job_internal.h"

#include "handler.h"
#include "shard.h"
#include "staging.h"

#include <stdlib.h>
#include <string.h>

void job_key_data(const struct job *j, char *buf, size_t len, size_t batch)
{
    store_key_data(buf, len, j->coord->data_digest, batch);
}

void job_key_params(const struct job *j, char *buf, size_t len, int epoch)
{
    store_key_params(buf, len, j->job_id, epoch);
}

void job_key_grad(char *buf, size_t len, const char *prefix, int round, int fn)
{
    snprintf(buf, len, "%sg%06d/f%06d", prefix, round, fn);
}

/* The digest of the staged data: the SHA-256 of its batches' SHA-256s in staged order, so
 * that it is computed a batch at a time. */
struct stage_digest {
    char *hexes; /* (cap * 64) */
    size_t n, cap;
};

/* Adds staged batch b to the digest (staging_build's put). */
static int stage_hash(void *ctx, size_t b, const uint8_t *obj, size_t len, struct err *e)
{
    struct stage_digest *d = ctx;
    char hex[STORE_DIGEST_HEX + 1];
    if (b >= d->cap)
        return err_set(e, SIREN_ERANGE, "staging: batch %zu of %zu expected", b + 1, d->cap);
    sha256_hex(obj, len, hex);
    memcpy(d->hexes + b * STORE_DIGEST_HEX, hex, STORE_DIGEST_HEX);
    d->n = b + 1;
    return SIREN_OK;
}

/* Puts staged batch b (staging_build's put). */
static int stage_put(void *ctx, size_t b, const uint8_t *obj, size_t len, struct err *e)
{
    const struct job *j = ctx;
    struct kv *kv = j->coord->kv;
    char key[STORE_KEY_MAX];
    job_key_data(j, key, sizeof key, b);
    if (kv_put(kv, key, obj, len)) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    return SIREN_OK;
}

/* Whether dataset digest is complete in the store (its ready marker is there). */
static int data_ready(struct kv *kv, const char *digest, int *ready, struct err *e)
{
    char key[STORE_KEY_MAX];
    struct kv_value v;
    store_key_data_ready(key, sizeof key, digest);
    int rc = kv_get(kv, key, &v);
    *ready = rc == SIREN_OK;
    if (rc == SIREN_OK) kv_value_free(&v);
    if (rc && rc != SIREN_ENOTFOUND) return err_set(e, rc, "%s", kv_errmsg(kv));
    return SIREN_OK;
}

/* Stages the training split, or finds it staged by another job: the digest first (the
 * batches are cut without being put), then the reference, then under the dataset's lock the
 * batches and the ready marker unless that is there. A backend without kv_put_new (S3, where
 * one job runs) stages without the lock. */
static int stage_data(struct job *j, struct staging *st, struct err *e)
{
    struct job_coord *c = j->coord;
    size_t B = (size_t)c->w->opts.batch, n_batches = (c->w->train.rows + B - 1) / B;
    struct stage_digest d = {.hexes = malloc(n_batches * STORE_DIGEST_HEX + 1),
                            .cap = n_batches};
    if (!d.hexes) return err_set(e, SIREN_ENOMEM, "staging: out of memory");
    int rc = staging_build(c->w, stage_hash, &d, st, e);
    if (rc) goto out;
    sha256_hex(d.hexes, d.n * STORE_DIGEST_HEX, c->data_digest);

    char user[STORE_KEY_MAX], lock[STORE_KEY_MAX], ready_key[STORE_KEY_MAX];
    store_key_data_user(user, sizeof user, c->data_digest, j->job_id);
    store_key_data_lock(lock, sizeof lock, c->data_digest);
    store_key_data_ready(ready_key, sizeof ready_key, c->data_digest);
    /* The reference before the lock: a job deleting the dataset counts references again
     * under the lock (store_data_release). */
    if (kv_put(c->kv, user, "", 0)) {
        rc = err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
        goto out;
    }
    rc = store_lock(c->kv, lock, e);
    int locked = rc == SIREN_OK, ready = 0;
    if (rc == SIREN_EUNSUPPORTED) rc = SIREN_OK;
    if (!rc) rc = data_ready(c->kv, c->data_digest, &ready, e);
    if (!rc && !ready) {
        struct staging again;
        rc = staging_build(c->w, stage_put, j, &again, e);
        if (!rc) staging_free(&again);
        char n[32];
        snprintf(n, sizeof n, "%zu", st->n_batches);
        if (!rc && kv_put(c->kv, ready_key, n, strlen(n)))
            rc = err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
        if (!rc) LOG_DEBUG("run", "staged %zu batches as data/%.12s...", st->n_batches,
                          c->data_digest);
    } else if (!rc) {
        LOG_DEBUG("run", "data/%.12s... staged already: shared", c->data_digest);
    }
    if (locked) store_unlock(c->kv, lock);
out:
    free(d.hexes);
    if (rc) staging_free(st);
    return rc;
}

int job_stage_release(struct job *j, size_t *removed, struct err *e)
{
    struct job_coord *c = j->coord;
    if (!c->data_digest[0]) return SIREN_OK;
    return store_data_release(c->kv, c->data_digest, j->job_id, removed, e);
}

int job_stage(struct job *j, int put_params, struct err *e)
{
    struct job_coord *c = j->coord;
    struct staging st;
    int rc;
    if (c->w->opts.generate) {
        /* Nothing to stage: the functions make their rows (the plan still bills the GETs). */
        if (!plan_update_in_rounds(j->cfg.update))
            return err_set(e, SIREN_EINVAL, "--data generate needs a round rule (--update "
                           "average, allreduce, scatter-reduce or allgather), not %s",
                           job_update_name(j->cfg.update));
        rc = staging_generated(c->w, &st, e);
    } else {
        rc = stage_data(j, &st, e);
    }
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
    char prefix[STORE_KEY_MAX], key[STORE_KEY_MAX];
    job_key_params(j, prefix, sizeof prefix, 1);
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
        char key[STORE_KEY_MAX];
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
            char next[STORE_KEY_MAX], nkey[STORE_KEY_MAX];
            job_key_params(j, next, sizeof next, c->progress.epoch + 1);
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

/*
 * job_ckpt: checkpoints and the owner record. After every epoch rank 0 puts one object,
 * jobs/<id>/ckpt/eNNNNNN, holding its state after that epoch, the epoch's epochs.csv row and
 * its trace records. A put is atomic on every backend (file: a temporary file, fsync, rename;
 * Redis: one SET; S3: one PUT), so a reader finds the whole checkpoint or none. A resume
 * reads them back in order and restores the state after the newest. The owner record
 * (jobs/<id>/owner, store.h) says which coordinator runs the job: a fresh run creates it and
 * refuses an id that is taken; a coordinator whose run another has resumed stops.
 */
#include "job_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The head of an epoch's checkpoint object, which goes on with the epoch's epochs.csv row and
 * then its trace records. Raw structs: a checkpoint is read back by the build that wrote it,
 * and the head names the sizes it was written with. */
struct ckpt_head {
    char magic[8]; /* "SIRENCK2" */
    uint32_t head_bytes, progress_bytes, inv_bytes, op_bytes;
    uint64_t config_hash;
    struct job_progress progress; /* rank 0's after the epoch; ledger.platform NULL */
    uint64_t row_bytes, n_inv, n_ops;
};

/* The checkpoint format's version is its last byte: 2 holds struct job_progress whole. */
static const char ckpt_magic[8] = {'S', 'I', 'R', 'E', 'N', 'C', 'K', '2'};

/* Why a fresh run may not take job id, whose owner record is o (text: as stored), into e:
 * the id, the owner, and what the user can do instead. */
static int owner_refuse(const struct job *j, const struct store_owner *o, struct err *e)
{
    const char *id = j->job_id, *store = kv_url(j->coord->kv); /* no password in it */
    char who[160];
    store_owner_describe(o, who, sizeof who);
    const char *other = "choose another id with --job NAME, or leave --job out for a fresh one";
    if (o->kept)
        return err_set(e, SIREN_EEXISTS, "job '%s' is taken in %s: it finished and was kept "
                       "(--keep; its owner was %s). To reuse the id, --force deletes it first "
                       "(or siren kv gc --kept); or %s", id, store, who, other);
    double age = time(NULL) - store_last_heard_s(j->coord->kv, id, o);
    switch (store_owner_liveness(o)) {
    case STORE_GONE:
        return err_set(e, SIREN_EEXISTS, "job '%s' is taken in %s by a coordinator that is "
                       "gone (%s; last heard of %.0f s ago). siren run --resume OUT continues "
                       "it from its last epoch; --force starts it afresh, deleting its objects; "
                       "or %s", id, store, who, age, other);
    case STORE_ALIVE:
        return err_set(e, SIREN_EEXISTS, "job '%s' is in use in %s: its coordinator runs (%s). "
                       "Jobs sharing a store need ids of their own: %s", id, store, who,
                       other);
    default:
        return err_set(e, SIREN_EEXISTS, "job '%s' is in use in %s by a coordinator of another "
                       "machine (%s; last heard of %.0f s ago), which cannot be checked from "
                       "here. %s; if that job is dead, siren run --resume OUT continues it and "
                       "--force starts it afresh, deleting its objects", id, store, who,
                       age, other);
    }
}

/* Reads job id's owner record into o; SIREN_ENOTFOUND when there is none. */
static int owner_read(struct job *j, struct store_owner *o, struct err *e)
{
    struct job_coord *c = j->coord;
    struct kv_value v;
    int rc = kv_get(c->kv, c->owner_key, &v);
    if (rc == SIREN_ENOTFOUND) return rc;
    if (rc) return err_set(e, rc, "%s", kv_errmsg(c->kv));
    rc = store_owner_decode((const char *)v.data, v.len, c->owner_key, o, e);
    kv_value_free(&v);
    return rc;
}

int job_owner_claim(struct job *j, struct err *e)
{
    struct job_coord *c = j->coord;
    struct store_owner me, o;
    store_owner_self(&me);
    store_owner_encode(&me, c->owner, sizeof c->owner);
    store_key_owner(c->owner_key, sizeof c->owner_key, j->job_id);
    /* Of two coordinators claiming one id at once, exactly one creates the record. */
    int rc = kv_put_new(c->kv, c->owner_key, c->owner, strlen(c->owner));
    if (rc == SIREN_OK) return SIREN_OK;
    if (rc != SIREN_EEXISTS && rc != SIREN_EUNSUPPORTED)
        return err_set(e, rc, "job '%s': %s", j->job_id, kv_errmsg(c->kv));
    /* Taken (or a backend that cannot create atomically: S3, which serves one job). */
    rc = owner_read(j, &o, e);
    if (rc && rc != SIREN_ENOTFOUND) {
        if (!j->cfg.force && !j->cfg.resume) return rc;
        rc = SIREN_OK; /* an unreadable record is replaced when asked to */
    }
    int taken = rc == SIREN_OK;
    if (taken && !j->cfg.resume && !j->cfg.force) return owner_refuse(j, &o, e);
    if (taken && j->cfg.resume && !o.kept) {
        /* A resume continues a job whose coordinator is gone; one that may still run is
         * taken over only when asked (it then stops at its next epoch boundary). */
        enum store_liveness l = store_owner_liveness(&o);
        char who[160];
        store_owner_describe(&o, who, sizeof who);
        if (l != STORE_GONE && !j->cfg.force)
            return err_set(e, SIREN_EEXISTS, "resume: job '%s' in %s %s (%s). %s, or siren run "
                           "--resume OUT --force takes the job over (the other coordinator "
                           "stops at its next epoch)", j->job_id, kv_url(c->kv),
                           l == STORE_ALIVE ? "is still run by its coordinator"
                                            : "is run by a coordinator of another machine, "
                                              "which cannot be checked from here",
                           who, l == STORE_ALIVE ? "Stop it first (its ranks can outlive a "
                                                   "killed mpirun)"
                                                 : "If it is dead");
        if (l != STORE_GONE)
            LOG_WARN("run", "job '%s': taking it over from %s; it stops at its next epoch",
                     j->job_id, who);
    }
    /* --force on a fresh run: the owner's objects go first, so nothing of its run is read. */
    if (taken && !j->cfg.resume && (rc = store_job_remove(c->kv, j->job_id, 1, NULL, e)))
        return rc;
    if (kv_put(c->kv, c->owner_key, c->owner, strlen(c->owner)))
        return err_set(e, kv_errcode(c->kv), "job '%s': %s", j->job_id, kv_errmsg(c->kv));
    return SIREN_OK;
}

int job_owner_check(struct job *j, struct err *e)
{
    struct job_coord *c = j->coord;
    struct kv_value v;
    int rc = kv_get(c->kv, c->owner_key, &v);
    if (rc && rc != SIREN_ENOTFOUND) return err_set(e, rc, "%s", kv_errmsg(c->kv));
    int mine = !rc && v.len == strlen(c->owner) && !memcmp(v.data, c->owner, v.len);
    if (!rc) kv_value_free(&v);
    if (!mine)
        return err_set(e, SIREN_EINVAL, "epoch %d: job '%s' in %s is no longer this "
                       "coordinator's (%s): this one stops", c->progress.epoch, j->job_id,
                       kv_url(c->kv), rc ? "its owner record was deleted" :
                       "another coordinator has resumed it");
    return store_beat_put(c->kv, j->job_id, e);
}

int job_release(struct job *j, size_t *removed, struct err *e)
{
    struct job_coord *c = j->coord;
    size_t n = 0;
    int rc;
    if (j->cfg.keep) {
        /* Kept: the record says so, so that the id is refused as finished, not as running,
         * and siren kv gc leaves it unless asked (--kept). */
        struct store_owner o;
        if ((rc = owner_read(j, &o, e))) return rc;
        o.kept = 1;
        o.finished_s = (double)time(NULL);
        store_owner_encode(&o, c->owner, sizeof c->owner);
        if (kv_put(c->kv, c->owner_key, c->owner, strlen(c->owner)))
            return err_set(e, kv_errcode(c->kv), "job '%s': %s", j->job_id, kv_errmsg(c->kv));
    } else {
        rc = store_job_remove(c->kv, j->job_id, 0, &n, e);
        if (!rc) rc = job_stage_release(j, &n, e);
        if (rc) return rc;
    }
    if (removed) *removed = n;
    return SIREN_OK;
}

int job_ckpt_clear(struct job *j, struct err *e)
{
    char prefix[STORE_KEY_MAX];
    store_key_ckpt_prefix(prefix, sizeof prefix, j->job_id);
    return job_kv_delete_prefix(j, prefix, NULL, e);
}

int job_ckpt_put(struct job *j, size_t inv0, size_t ops0, const char *row, struct err *e)
{
    struct job_coord *c = j->coord;
    struct ckpt_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, ckpt_magic, sizeof h.magic);
    h.head_bytes = sizeof h;
    h.progress_bytes = sizeof(struct job_progress);
    h.inv_bytes = sizeof(struct trace_invocation);
    h.op_bytes = sizeof(struct trace_kv_op);
    h.config_hash = j->cfg.config_hash;
    h.progress = c->progress;
    h.progress.ledger.platform = NULL; /* the job's, not state */
    h.row_bytes = strlen(row);
    h.n_inv = c->trace.n_inv - inv0;
    h.n_ops = c->trace.n_ops - ops0;
    size_t len = sizeof h + h.row_bytes + h.n_inv * sizeof(struct trace_invocation) +
                 h.n_ops * sizeof(struct trace_kv_op);
    uint8_t *buf = malloc(len), *at = buf;
    if (!buf)
        return err_set(e, SIREN_ENOMEM, "checkpoint of epoch %d: out of memory", h.progress.epoch);
    memcpy(at, &h, sizeof h);
    at += sizeof h;
    memcpy(at, row, h.row_bytes);
    at += h.row_bytes;
    if (h.n_inv) memcpy(at, c->trace.inv + inv0, h.n_inv * sizeof(struct trace_invocation));
    at += h.n_inv * sizeof(struct trace_invocation);
    if (h.n_ops) memcpy(at, c->trace.ops + ops0, h.n_ops * sizeof(struct trace_kv_op));
    char key[STORE_KEY_MAX];
    store_key_ckpt(key, sizeof key, j->job_id, h.progress.epoch);
    int rc = SIREN_OK;
    if (kv_put(c->kv, key, buf, len))
        rc = err_set(e, kv_errcode(c->kv), "checkpoint: %s", kv_errmsg(c->kv));
    free(buf);
    return rc;
}

/* Whether v is a whole checkpoint of epoch ep that this build wrote. */
static int ckpt_valid(const struct kv_value *v, const struct ckpt_head *h, int ep)
{
    return v->len >= sizeof *h && !memcmp(h->magic, ckpt_magic, sizeof h->magic) &&
           h->head_bytes == sizeof *h && h->progress_bytes == sizeof(struct job_progress) &&
           h->inv_bytes == sizeof(struct trace_invocation) &&
           h->op_bytes == sizeof(struct trace_kv_op) && h->progress.epoch == ep &&
           v->len == sizeof *h + h->row_bytes + h->n_inv * sizeof(struct trace_invocation) +
                         h->n_ops * sizeof(struct trace_kv_op);
}

/* Appends the checkpoint's row to *rows and its trace records to the trace. */
static int ckpt_take_records(struct job_coord *c, const struct ckpt_head *h, const uint8_t *at,
                             char **rows, size_t *rows_len, struct err *e)
{
    char *r = realloc(*rows, *rows_len + h->row_bytes + 1);
    if (!r) return err_set(e, SIREN_ENOMEM, "out of memory");
    *rows = r;
    memcpy(r + *rows_len, at, h->row_bytes);
    *rows_len += h->row_bytes;
    r[*rows_len] = '\0';
    at += h->row_bytes;
    for (uint64_t q = 0; q < h->n_inv; q++) {
        struct trace_invocation ti;
        memcpy(&ti, at + q * sizeof ti, sizeof ti);
        if (trace_add_invocation(&c->trace, &ti)) return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    at += h->n_inv * sizeof(struct trace_invocation);
    for (uint64_t q = 0; q < h->n_ops; q++) {
        struct trace_kv_op op;
        memcpy(&op, at + q * sizeof op, sizeof op);
        if (trace_add_kv_op(&c->trace, &op)) return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    return SIREN_OK;
}

int job_ckpt_restore(struct job *j, char **rows, struct err *e)
{
    struct job_coord *c = j->coord;
    size_t rows_len = 0;
    *rows = calloc(1, 1);
    if (!*rows) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int ep = 1;; ep++) {
        char key[STORE_KEY_MAX];
        struct kv_value v;
        store_key_ckpt(key, sizeof key, j->job_id, ep);
        int rc = kv_get(c->kv, key, &v);
        if (rc == SIREN_ENOTFOUND) return SIREN_OK;
        if (rc) return err_set(e, rc, "resume: %s", kv_errmsg(c->kv));
        struct ckpt_head h;
        if (v.len >= sizeof h) memcpy(&h, v.data, sizeof h);
        if (!ckpt_valid(&v, &h, ep)) {
            kv_value_free(&v);
            return err_set(e, SIREN_EFORMAT, "resume: %s in %s is not a checkpoint this build "
                           "wrote (or is cut short)", key, kv_url(c->kv));
        }
        if (j->cfg.config_hash && h.config_hash != j->cfg.config_hash) {
            kv_value_free(&v);
            return err_set(e, SIREN_EINVAL, "resume: %s in %s was written by a run of another "
                           "configuration", key, kv_url(c->kv));
        }
        rc = ckpt_take_records(c, &h, v.data + sizeof h, rows, &rows_len, e);
        kv_value_free(&v);
        if (rc) return rc;
        c->progress = h.progress;
        c->progress.ledger.platform = &j->platform;
    }
}

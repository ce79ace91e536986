/*
 * job_ckpt: checkpoints and the owner token. After every epoch rank 0 puts one object,
 * job/ckpt/eNNNNNN, holding its state after that epoch, the epoch's epochs.csv row and its
 * trace records. A put is atomic on every backend (file: a temporary file, fsync, rename;
 * Redis: one SET; S3: one PUT), so a reader finds the whole checkpoint or none. A resume
 * reads them back in order and restores the state after the newest. The owner token
 * (job/owner) stops a coordinator whose run another has resumed.
 */
#include "job_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CKPT_PREFIX "job/ckpt/"

/* Which coordinator owns the run: each one that opens it puts a token of its own here, and
 * checks it before it commits an epoch. A coordinator whose ranks outlived it (mpirun killed,
 * its ranks not yet) stops at its next epoch boundary instead of writing over the run that
 * resumed it. */
#define CKPT_OWNER "job/owner"

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

int job_owner_claim(struct job *j, struct err *e)
{
    struct job_coord *c = j->coord;
    char host[64] = "";
    struct timespec ts;
    gethostname(host, sizeof host - 1);
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(c->owner, sizeof c->owner, "%s:%ld:%lld.%09ld", host, (long)getpid(),
             (long long)ts.tv_sec, ts.tv_nsec);
    if (kv_put(c->kv, CKPT_OWNER, c->owner, strlen(c->owner)))
        return err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
    return SIREN_OK;
}

int job_owner_check(struct job *j, struct err *e)
{
    struct job_coord *c = j->coord;
    struct kv_value v;
    if (kv_get(c->kv, CKPT_OWNER, &v)) return err_set(e, kv_errcode(c->kv), "%s", kv_errmsg(c->kv));
    int mine = v.len == strlen(c->owner) && !memcmp(v.data, c->owner, v.len);
    kv_value_free(&v);
    return mine ? SIREN_OK
                : err_set(e, SIREN_EINVAL, "epoch %d: another coordinator (%s) has taken this "
                          "run over (resumed): this one stops", c->progress.epoch, j->kv_url);
}

static void ckpt_key(char *buf, size_t len, int epoch)
{
    snprintf(buf, len, CKPT_PREFIX "e%06d", epoch);
}

int job_ckpt_clear(struct job *j, struct err *e)
{
    return job_kv_delete_prefix(j, CKPT_PREFIX, NULL, e);
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
    char key[64];
    ckpt_key(key, sizeof key, h.progress.epoch);
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
        char key[64];
        struct kv_value v;
        ckpt_key(key, sizeof key, ep);
        int rc = kv_get(c->kv, key, &v);
        if (rc == SIREN_ENOTFOUND) return SIREN_OK;
        if (rc) return err_set(e, rc, "resume: %s", kv_errmsg(c->kv));
        struct ckpt_head h;
        if (v.len >= sizeof h) memcpy(&h, v.data, sizeof h);
        if (!ckpt_valid(&v, &h, ep)) {
            kv_value_free(&v);
            return err_set(e, SIREN_EFORMAT, "resume: %s in %s is not a checkpoint this build "
                           "wrote (or is cut short)", key, j->kv_url);
        }
        if (j->cfg.config_hash && h.config_hash != j->cfg.config_hash) {
            kv_value_free(&v);
            return err_set(e, SIREN_EINVAL, "resume: %s in %s was written by a run of another "
                           "configuration", key, j->kv_url);
        }
        rc = ckpt_take_records(c, &h, v.data + sizeof h, rows, &rows_len, e);
        kv_value_free(&v);
        if (rc) return rc;
        c->progress = h.progress;
        c->progress.ledger.platform = &j->platform;
    }
}

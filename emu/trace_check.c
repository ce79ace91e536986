/*
 * trace_check: counts the PUTs of every planned parameter version of a run from its trace
 * (see trace_check.h).
 */
#include "trace_check.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "trace.h"

void trace_check_free(struct trace_check *c)
{
    if (!c) return;
    free(c->epochs);
    memset(c, 0, sizeof *c);
}

/* Field col of an epochs.csv line as a whole number >= 0, or -1. */
static int64_t field_count(const char *line, int col)
{
    double v;
    if (csv_number(line, col, &v) || !(v >= 0) || v > 9e15 || v != (double)(int64_t)v) return -1;
    return (int64_t)v;
}

/* The rows of epochs.csv into c->epochs (epoch and versions). */
static int read_epochs(const char *path, struct trace_check *c, struct err *e)
{
    char *text;
    size_t len;
    int rc = fs_read_all(path, &text, &len, e);
    if (rc) return rc;
    char *save, *line = strtok_r(text, "\n", &save);
    int col_epoch = line ? csv_column(line, "epoch") : -1;
    int col_versions = line ? csv_column(line, "versions") : -1;
    if (col_epoch != 0 || col_versions < 0) {
        free(text);
        return err_set(e, SIREN_EFORMAT,
                       "%s line 1: expected the header siren run writes (epoch, ..., versions, "
                       "...)", path);
    }
    int cap = 0, lineno = 1;
    while ((line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        struct trace_check_epoch r = {0};
        int64_t ep = field_count(line, col_epoch);
        r.versions = field_count(line, col_versions);
        if (ep < 1 || ep > INT_MAX || ep != c->n_epochs + 1 || r.versions < 0) {
            rc = err_set(e, SIREN_EFORMAT,
                         "%s line %d: expected epoch %d and a whole number of versions", path,
                         lineno, c->n_epochs + 1);
            break;
        }
        r.epoch = (int)ep;
        if (c->n_epochs == cap) {
            cap = cap ? cap * 2 : 16;
            struct trace_check_epoch *grown = realloc(c->epochs, (size_t)cap * sizeof *grown);
            if (!grown) {
                rc = err_set(e, SIREN_ENOMEM, "out of memory");
                break;
            }
            c->epochs = grown;
        }
        c->epochs[c->n_epochs++] = r;
    }
    free(text);
    return rc;
}

/* Refuses runs whose versions are not one sequence per epoch. */
static int check_sync(const char *path, struct err *e)
{
    cJSON *s;
    int rc = json_load_file(path, &s, e);
    if (rc) return rc;
    const char *sync;
    enum plan_sync mode;
    int staleness;
    struct err ignore;
    rc = json_get_string(s, "sync", path, &sync, e);
    if (!rc && (plan_sync_parse(sync, &mode, &staleness, &ignore) ||
                (mode != PLAN_SYNC_HSP && mode != PLAN_SYNC_SSP)))
        rc = err_set(e, SIREN_EINVAL,
                     "%s: sync %s: the check covers hsp and ssp runs (bsp writes gradients, "
                     "asp numbers versions across passes)", path, sync);
    cJSON_Delete(s);
    return rc;
}

int trace_check_run(const char *run_dir, struct trace_check *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    int rc = check_sync(path, e);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/epochs.csv", run_dir);
    if ((rc = read_epochs(path, out, e))) goto fail;
    struct trace t;
    snprintf(path, sizeof path, "%s/trace.h5", run_dir);
    if ((rc = trace_read_h5(path, &t, e))) goto fail;
    for (int k = 0; k < out->n_epochs && !rc; k++) {
        struct trace_check_epoch *r = &out->epochs[k];
        uint32_t *writes = calloc((size_t)r->versions + 1, sizeof *writes);
        if (!writes) {
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
            break;
        }
        for (size_t i = 0; i < t.n_ops; i++) {
            const struct trace_kv_op *o = &t.ops[i];
            if (o->epoch != r->epoch || o->op != TRACE_PARAM_PUT) continue;
            if (o->version < 1 || o->version > r->versions) {
                rc = err_set(e, SIREN_EFORMAT,
                             "%s: epoch %d: a PUT of version %lld, but epochs.csv plans "
                             "versions 1..%lld", path, r->epoch, (long long)o->version,
                             (long long)r->versions);
                break;
            }
            writes[o->version]++;
            r->puts++;
            if (o->attempt > 0) r->retried_puts++;
        }
        for (int64_t v = 1; v <= r->versions && !rc; v++) {
            if (writes[v] == 0) r->unwritten++;
            else r->doubled += writes[v] - 1;
        }
        free(writes);
        for (size_t i = 0; i < t.n_inv; i++) {
            const struct trace_invocation *v = &t.inv[i];
            if (v->epoch == r->epoch &&
                (v->status == TRACE_FAILED || v->status == TRACE_TIMED_OUT) &&
                !(v->fault & (TRACE_FAULT_CRASH | TRACE_FAULT_KV_FAILED)))
                r->died++;
        }
        r->lost = r->died > 0 ? 0 : r->unwritten;
        out->puts += r->puts;
        out->retried_puts += r->retried_puts;
        out->unwritten += r->unwritten;
        out->doubled += r->doubled;
        out->lost += r->lost;
    }
    trace_free(&t);
    if (!rc) return SIREN_OK;
fail:
    trace_check_free(out);
    return rc;
}

/*
 * ps_net: the message plumbing of the parameter-server baseline: an outbox of non-blocking
 * sends whose buffers it owns until MPI is done with them, and a receive that polls with
 * short sleeps. Sleeping instead of spinning matters on a small host running more ranks than
 * cores: a waiting server must not steal the core of a worker that computes.
 */
#define _GNU_SOURCE
#include "ps_internal.h"

#include <stdlib.h>
#include <time.h>

void ps_outbox_init(struct ps_outbox *o) { *o = (struct ps_outbox){0}; }

int ps_outbox_send(struct ps_outbox *o, void *buf, size_t len, int dest, int tag, struct err *e)
{
    if (len > (size_t)INT32_MAX) {
        free(buf);
        return err_set(e, SIREN_ERANGE, "ps: message of %zu bytes is too large", len);
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        MPI_Request *r = realloc(o->req, cap * sizeof *r);
        if (r) o->req = r;
        void **b = r ? realloc(o->buf, cap * sizeof *b) : NULL;
        if (!r || !b) {
            free(buf);
            return err_set(e, SIREN_ENOMEM, "ps: out of memory for the outbox");
        }
        o->buf = b;
        o->cap = cap;
    }
    if (MPI_Isend(buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD, &o->req[o->n]) !=
        MPI_SUCCESS) {
        free(buf);
        return err_set(e, SIREN_EMPI, "ps: MPI_Isend to rank %d failed", dest);
    }
    o->buf[o->n++] = buf;
    return SIREN_OK;
}

void ps_outbox_reap(struct ps_outbox *o)
{
    size_t keep = 0;
    for (size_t i = 0; i < o->n; i++) {
        int done = 0;
        MPI_Test(&o->req[i], &done, MPI_STATUS_IGNORE);
        if (done) {
            free(o->buf[i]);
        } else {
            o->req[keep] = o->req[i];
            o->buf[keep] = o->buf[i];
            keep++;
        }
    }
    o->n = keep;
}

int ps_outbox_flush(struct ps_outbox *o, struct err *e)
{
    int rc = SIREN_OK;
    if (o->n && MPI_Waitall((int)o->n, o->req, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
        rc = err_set(e, SIREN_EMPI, "ps: MPI_Waitall failed");
    for (size_t i = 0; i < o->n; i++) free(o->buf[i]);
    o->n = 0;
    return rc;
}

void ps_outbox_free(struct ps_outbox *o)
{
    /* Only called after a flush or on an error path where the job is aborted. */
    for (size_t i = 0; i < o->n; i++) free(o->buf[i]);
    free(o->req);
    free(o->buf);
    *o = (struct ps_outbox){0};
}

int ps_recv_any(int source, int tag, struct ps_outbox *ob, void **out, size_t *len,
                MPI_Status *st, struct err *e)
{
    int flag = 0;
    long sleep_ns = 2000;
    for (int spins = 0;; spins++) {
        if (MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, st) != MPI_SUCCESS)
            return err_set(e, SIREN_EMPI, "ps: MPI_Iprobe failed");
        if (flag) break;
        if (ob) ps_outbox_reap(ob);
        if (spins < 200) continue;
        /* Back off from 2 us to 100 us: quick replies stay quick, long waits stay idle. */
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        if (sleep_ns < 100000) sleep_ns *= 2;
    }
    int count = 0;
    MPI_Get_count(st, MPI_BYTE, &count);
    void *buf = malloc(count > 0 ? (size_t)count : 1);
    if (!buf) return err_set(e, SIREN_ENOMEM, "ps: out of memory for a %d-byte message", count);
    if (MPI_Recv(buf, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        free(buf);
        return err_set(e, SIREN_EMPI, "ps: MPI_Recv from rank %d failed", st->MPI_SOURCE);
    }
    *out = buf;
    *len = (size_t)count;
    return SIREN_OK;
}

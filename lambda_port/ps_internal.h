/*
 * ps_internal: what the client (ps.c), the servers (ps_server.c) and the workers
 * (ps_worker.c) of the parameter-server baseline share: the job context every rank builds the
 * same way, the wire format of the messages, and a small outbox of non-blocking sends.
 * All messages are MPI_BYTE buffers: a fixed header then a payload. Senders never block on a
 * peer that may itself be sending (servers and workers use the outbox), so no cycle of
 * blocked sends can form whatever S and K are. Never leaves lambda_port/.
 */
#ifndef SIREN_PS_INTERNAL_H
#define SIREN_PS_INTERNAL_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "ps.h"
#include "trace.h"
#include "workload.h"

/* Tags of the messages. */
enum {
    PS_TAG_REQ = 101,    /* worker -> server: pull, push or epoch done */
    PS_TAG_REPLY = 102,  /* server -> worker: pulled values */
    PS_TAG_REPORT = 103, /* worker -> client: the epoch's times, losses and trace records */
    PS_TAG_CMD = 104,    /* client -> worker or server: go, stop, snapshot */
    PS_TAG_SNAP = 105,   /* server -> client: its shard and counters */
};

enum ps_req_kind { PS_REQ_PULL = 1, PS_REQ_PUSH = 2, PS_REQ_DONE = 3 };
enum ps_cmd_kind { PS_CMD_GO = 1, PS_CMD_STOP = 2, PS_CMD_SNAPSHOT = 3 };

/* Header of a worker request. Payload: pull = n uint32 shard-local indices (none when n < 0:
 * the whole shard); push = n indices then n floats (sparse) or the whole shard's floats
 * (n < 0). */
struct ps_req {
    int32_t kind, worker;
    int32_t n;        /* indices following; -1 = dense (the whole shard) */
    int32_t rows;     /* push: rows of the batch the gradient is the mean over (0 = empty) */
    int64_t round;    /* the worker's round counter, from 0 over the whole job */
    double t_arrive_s; /* virtual time the request reaches the server (+inf for DONE) */
    double t_next_s;   /* the worker's next request to this server arrives no earlier */
};

/* Header of a reply. Payload: the pulled floats. */
struct ps_reply {
    int64_t version;  /* updates the shard had received when served */
    double t_served_s; /* virtual time the server sent it */
};

struct ps_cmd {
    int32_t kind, pad;
    double t_start_s; /* GO: virtual time the next epoch starts */
};

/* A worker's epoch, for the client. Followed by n_ops struct trace_kv_op. */
struct ps_report {
    int32_t worker, epoch, steps, n_ops;
    double t_end_s;             /* virtual end of the worker's epoch */
    double wall_s;              /* measured duration of the worker's epoch */
    double pull_s, compute_s, push_s; /* the clock's time in each phase (virtual or wall) */
    double loss_sum;            /* sum of the steps' training losses */
};

/* A server's snapshot header; followed by its shard's floats. */
struct ps_snap {
    int64_t version;      /* updates applied since the start */
    int64_t updates;      /* updates applied during the epoch */
    int64_t stale_pushes; /* pushes computed on parameters older than the shard they updated */
};

/* The job as every rank sees it. */
struct ps_ctx {
    struct ps_config cfg;
    int rank, size;
    int K, S;                  /* workers (instances) and servers */
    struct workload *w;        /* this rank's splits: test on the client and servers, train
                                  on workers */
    struct platform plat;
    struct vm_instance vm;     /* with the vCPU and bandwidth overrides applied */
    double latency_s;          /* one-way, between two instances */
    double bytes_per_s;        /* instance network bandwidth */
    double s_per_sample;       /* calibration at one thread (virtual clock) */
    double speedup;            /* measured multi-thread speed-up at vm.vcpus */
    double update_step_s_per_param; /* a server's optimiser step (virtual clock) */
    double update_sum_s_per_param;  /* a server's weighted sum of one worker's gradient */
    double boot_s, data_s;     /* provisioning before training (0 when off) */
    double data_bytes;         /* the training split as staged in S3, copied to each instance */
    int blas_threads;          /* OpenBLAS threads of a worker */
    size_t n_params;
    int sparse;                /* logistic regression: row-sparse push and pull */
    uint32_t lr_mask;          /* 2^k - 1: feature id mask of the LR model */
};

/* Shard s of S over n parameters: [lo, hi). */
static inline size_t ps_shard_lo(size_t n, int S, int s)
{
    return (size_t)((unsigned __int128)n * (unsigned)s / (unsigned)S);
}

/* Rank of server s and worker k. */
static inline int ps_server_rank(int s) { return 1 + s; }
static inline int ps_worker_rank(const struct ps_ctx *c, int k) { return 1 + c->S + k; }

/* The virtual time of moving bytes over one instance's network interface. */
static inline double ps_net_s(const struct ps_ctx *c, double bytes)
{
    return c->latency_s + bytes / c->bytes_per_s;
}

/* Outstanding non-blocking sends; the outbox owns their buffers until they complete. */
struct ps_outbox {
    MPI_Request *req;
    void **buf;
    size_t n, cap;
};

void ps_outbox_init(struct ps_outbox *o);
/* Sends buf (len bytes; ownership passes to the outbox, even on error) with MPI_Isend. */
int ps_outbox_send(struct ps_outbox *o, void *buf, size_t len, int dest, int tag,
                   struct err *e) SIREN_WUR;
/* Frees the buffers of completed sends (never blocks). */
void ps_outbox_reap(struct ps_outbox *o);
/* Waits for every send, then frees the buffers. */
int ps_outbox_flush(struct ps_outbox *o, struct err *e) SIREN_WUR;
void ps_outbox_free(struct ps_outbox *o);

/* Waits for a message from source (or MPI_ANY_SOURCE) with tag (or MPI_ANY_TAG) and receives
 * it whole. Polls with short sleeps rather than spinning, so oversubscribed ranks leave the
 * cores to the ranks that compute; completed sends of ob (may be NULL) are reaped meanwhile.
 * Caller owns *out (free()). Errors: SIREN_EMPI, SIREN_ENOMEM. */
int ps_recv_any(int source, int tag, struct ps_outbox *ob, void **out, size_t *len,
                MPI_Status *st, struct err *e) SIREN_WUR;

/* The two roles besides the client. Both block until the client sends STOP. */
int ps_server_main(struct ps_ctx *c, struct err *e) SIREN_WUR;
int ps_worker_main(struct ps_ctx *c, struct err *e) SIREN_WUR;

#endif

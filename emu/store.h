/*
 * store: how many jobs share one KV store (a cluster's filesystem, one Redis). Every object of
 * a job lives under jobs/<id>/: its owner record, heartbeat, checkpoints, parameter versions
 * and fault markers. A job's staged data lives under data/<digest>/, where <digest> is the
 * SHA-256 of its batches' SHA-256s in staged order (job_stage.c), so every job that stages the
 * same bytes shares one read-only copy; each job using it holds a reference
 * data/<digest>/users/<id>, and the last one to let go deletes it. This file is the only place keys are built (store_key_*), and
 * holds owner records (who runs a job, and whether that process still exists), the lock that
 * orders staging against deleting a dataset, and the garbage collector of `siren kv gc`.
 * A job id never enters a number of a run: it names keys only.
 */
#ifndef SIREN_STORE_H
#define SIREN_STORE_H

#include <stddef.h>

#include "core.h"
#include "kv.h"

/* A job id: 1..STORE_JOB_ID_MAX of [A-Za-z0-9._-], starting with a letter or a digit. */
#define STORE_JOB_ID_MAX 48
/* Bytes that hold any key built here, NUL included (a task message carries 128). */
#define STORE_KEY_MAX 128
/* A dataset digest: SHA-256 as lowercase hex. */
#define STORE_DIGEST_HEX 64

/* SIREN_EINVAL naming the id and what an id may hold. */
int store_job_id_check(const char *id, struct err *e) SIREN_WUR;
/* A fresh id: the local time and 32 random bits, "20250611-124500-3f9a2c1d". */
void store_job_id_new(char buf[STORE_JOB_ID_MAX + 1]);

/* ---------------------------------------------------------------- the key layout */

/* Every key of job id starts with this prefix: "jobs/<id>/". */
void store_key_job(char *buf, size_t len, const char *id);
/* jobs/<id>/owner: the owner record (struct store_owner as JSON). */
void store_key_owner(char *buf, size_t len, const char *id);
/* jobs/<id>/beat: when the owner last committed an epoch (seconds since 1970, as text). */
void store_key_beat(char *buf, size_t len, const char *id);
/* jobs/<id>/ckpt/: the checkpoints; and epoch's, jobs/<id>/ckpt/eNNNNNN. */
void store_key_ckpt_prefix(char *buf, size_t len, const char *id);
void store_key_ckpt(char *buf, size_t len, const char *id, int epoch);
/* jobs/<id>/params/: every parameter version; and an epoch's prefix jobs/<id>/params/eNNNN/
 * (handler.h names a version within it, job_rounds.c its round objects). */
void store_key_params_all(char *buf, size_t len, const char *id);
void store_key_params(char *buf, size_t len, const char *id, int epoch);
/* The data object a planned crash reads and never finds (job_epoch.c): jobs/<id>/faults/
 * eNNNN/fNNNNNN-iI-aA-<kind>. */
void store_key_fault(char *buf, size_t len, const char *id, int epoch, int fn, int invocation,
                     int attempt, const char *kind);
/* data/: every dataset; data/<digest>/: one dataset; its batch b, data/<digest>/bNNNNNNN; its
 * completion marker data/<digest>/ready (put after every batch); its lock data/<digest>/lock;
 * job id's reference data/<digest>/users/<id>, and the prefix of them all. */
void store_key_data_all(char *buf, size_t len);
void store_key_data_prefix(char *buf, size_t len, const char *digest);
void store_key_data(char *buf, size_t len, const char *digest, size_t batch);
void store_key_data_ready(char *buf, size_t len, const char *digest);
void store_key_data_lock(char *buf, size_t len, const char *digest);
void store_key_data_user(char *buf, size_t len, const char *digest, const char *id);
void store_key_data_users(char *buf, size_t len, const char *digest);

/* ---------------------------------------------------------------- owner records */

/* Who runs a job (or holds a lock): a process named by its host, the host's boot, its PID
 * namespace, its pid and that process's start time (so that a recycled pid is not taken for
 * it), with when it started; a job finished with --keep says so instead. */
struct store_owner {
    char host[64];
    char boot[40];     /* /proc/sys/kernel/random/boot_id */
    char pidns[40];    /* /proc/self/ns/pid's target */
    long long pid;
    long long pid_start; /* clock ticks after boot (/proc/PID/stat field 22) */
    double started_s;  /* seconds since 1970 */
    char nonce[20];    /* tells two records of one process apart */
    int kept;          /* the job finished and was kept (--keep) */
    double finished_s; /* when, if kept */
};

/* This process, started now. */
void store_owner_self(struct store_owner *o);
/* As JSON text into buf (at most STORE_OWNER_TEXT_MAX bytes, NUL included), and back; the
 * decoder names where in its messages and fails with SIREN_EFORMAT. */
#define STORE_OWNER_TEXT_MAX 512
void store_owner_encode(const struct store_owner *o, char *buf, size_t len);
int store_owner_decode(const char *text, size_t len, const char *where, struct store_owner *o,
                       struct err *e) SIREN_WUR;

/* Whether an owner's process still exists, as far as this process can tell. */
enum store_liveness {
    STORE_ALIVE,   /* this machine, and the process is there */
    STORE_GONE,    /* this machine (same boot and PID namespace), and it is not */
    STORE_UNKNOWN, /* another host, boot or PID namespace: it cannot be checked from here */
};
enum store_liveness store_owner_liveness(const struct store_owner *o);
/* "host H, pid P, started 2025-06-11 12:45:00 (95 s ago)" into buf. */
void store_owner_describe(const struct store_owner *o, char *buf, size_t len);

/* Puts job id's heartbeat (now). Errors: the store's. */
int store_beat_put(struct kv *kv, const char *id, struct err *e) SIREN_WUR;
/* When job id was last heard of: the later of its owner's start and its heartbeat. */
double store_last_heard_s(struct kv *kv, const char *id, const struct store_owner *o);

/* ---------------------------------------------------------------- locks */

/* Takes the lock at key: creates it (kv_put_new) holding this process's record, waiting
 * (polling with back-off) while another holds it. A holder that is gone is stepped over: its
 * lock is broken; so is one that cannot be checked from here after STORE_LOCK_STALE_S.
 * Errors: the store's (SIREN_EUNSUPPORTED on a backend without kv_put_new). */
#define STORE_LOCK_STALE_S 900.0
int store_lock(struct kv *kv, const char *key, struct err *e) SIREN_WUR;
/* The same, without waiting: SIREN_EEXISTS when a live holder has it. */
int store_lock_try(struct kv *kv, const char *key, struct err *e) SIREN_WUR;
void store_unlock(struct kv *kv, const char *key);

/* ---------------------------------------------------------------- lifecycle */

/* Deletes every object of job id but its owner record, then (unless keep_owner) the owner
 * record last, so that a job half deleted still shows as one. *removed grows by the objects
 * deleted (may be NULL). Errors: the store's. */
int store_job_remove(struct kv *kv, const char *id, int keep_owner, size_t *removed,
                     struct err *e) SIREN_WUR;
/* Drops job id's reference to dataset digest; when none is left, deletes the dataset under its
 * lock (the completion marker first, so that a reader never trusts a part of it). *removed
 * grows by the objects deleted (may be NULL). Errors: the store's. */
int store_data_release(struct kv *kv, const char *digest, const char *id, size_t *removed,
                       struct err *e) SIREN_WUR;

/* `siren kv gc`: a job is garbage when its objects have no owner record, or its owner is gone
 * (STORE_GONE); one whose owner cannot be checked from here when it was last heard of more
 * than stale_after_s ago (<= 0: never); one finished with --keep only with kept. A dataset is
 * garbage when no job that is not garbage holds a reference to it (references of garbage
 * jobs go with them) and nobody holds its lock. note(ctx, line) gets one line per job and per
 * dataset looked at, saying what was (or, dry_run, would be) done and why. */
struct store_gc_opts {
    int dry_run;
    int kept;
    double stale_after_s;
};
struct store_gc_report {
    int jobs_removed, jobs_left, data_removed, data_left;
    size_t objects_removed;
};
int store_gc(struct kv *kv, const struct store_gc_opts *o,
             void (*note)(void *ctx, const char *line), void *ctx, struct store_gc_report *out,
             struct err *e) SIREN_WUR;

#endif

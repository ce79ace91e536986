/*
 * shard: the binary objects a training function reads and writes through the KV store.
 *
 * A batch shard holds the rows of one mini-batch (labels and pixels | tokens | sparse rows) so
 * a function needs no dataset of its own. A parameter object holds a model's flat parameter
 * vector and its optimiser's state (momentum, or Adam's moments and step), because a stateless
 * function can keep nothing between invocations. Both are little-endian with a magic, a
 * version and their sizes in a fixed header; decoding checks every size against the object's
 * length, so a short or foreign object is an error naming its key, never a wrong gradient.
 */
#ifndef SIREN_SHARD_H
#define SIREN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "datasets.h"
#include "kernels.h"
#include "kv.h"

/* Rows idx[0..n) of d as a batch shard. Caller owns *out (free()). Errors: SIREN_ERANGE,
 * SIREN_ENOMEM. */
int shard_encode(const struct ds_data *d, const uint32_t *idx, size_t n, uint8_t **out,
                 size_t *len, struct err *e) SIREN_WUR;

/* A decoded shard: pointers into the object's bytes (borrowed; valid while they are). */
struct shard_view {
    enum ds_layout layout;
    uint32_t n;
    int classes;
    const int32_t *labels;   /* (n) */
    const uint8_t *pixels;   /* (n,channels,height,width) */
    int channels, height, width;
    const int32_t *tokens;   /* (n,seq_len) */
    int seq_len;
    const uint64_t *row_ptr; /* (n+1), from 0 */
    const uint32_t *col;     /* (nnz) */
    const float *val;        /* (nnz) */
    uint64_t nnz;
};

/* Errors: SIREN_EFORMAT naming key (bad magic, version, sizes or an object too short). */
int shard_decode(const uint8_t *buf, size_t len, const char *key, struct shard_view *out,
                 struct err *e) SIREN_WUR;

/* Parameter objects: n params followed by the optimiser state o holds (o may be NULL: no
 * state). Caller owns *out (free()). Errors: SIREN_ENOMEM. */
int params_encode(const float *params, size_t n, const struct kn_optim *o, uint8_t **out,
                  size_t *len, struct err *e) SIREN_WUR;
/* Reads an object into params (n floats) and, when o is not NULL and the object carries state
 * of o's kind, into o's state (otherwise o's state is zeroed). Errors: SIREN_EFORMAT naming
 * key, with the expected and found parameter counts for an object of the wrong size. */
int params_decode(const uint8_t *buf, size_t len, const char *key, float *params, size_t n,
                  struct kn_optim *o, struct err *e) SIREN_WUR;

/* A parameter object as pieces that stay where the model keeps them (kv_put_iov and
 * kv_get_iov, no copy through one buffer): hdr (PARAMS_HEADER_BYTES, filled as
 * params_encode writes it), params (n floats) and the state arrays o holds (o may be
 * NULL). Returns the number of pieces written to iov (at most PARAMS_IOV_MAX). */
#define PARAMS_HEADER_BYTES 32
#define PARAMS_IOV_MAX 4
int params_iov(float *params, size_t n, const struct kn_optim *o, uint8_t *hdr,
               struct kv_iov *iov);
/* After an object was read into the pieces of params_iov(params, n, o, hdr, iov): 1 when its
 * header says it is exactly what params_decode(.., params, n, o) would have taken whole (the
 * parameter count, and o's kind of state), and then o's step count is set from it as
 * params_decode sets it; 0 otherwise (decode the object with params_decode instead, which
 * also names what is wrong). */
int params_iov_took(const uint8_t *hdr, size_t n, struct kn_optim *o);

#endif

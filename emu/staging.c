/* Staging a training split (see staging.h). */
#include "staging.h"

#include "shard.h"
#include "streams.h"

#include <stdlib.h>

void staging_free(struct staging *s)
{
    if (!s) return;
    free(s->batch_rows);
    s->batch_rows = NULL;
}

int staging_build(const struct workload *w, staging_put_fn put, void *ctx, struct staging *out,
                  struct err *e)
{
    *out = (struct staging){0};
    size_t B = (size_t)w->opts.batch, rows = w->train.rows;
    out->rows = rows;
    out->batch = w->opts.batch;
    out->n_batches = (rows + B - 1) / B;
    out->batch_rows = malloc((out->n_batches ? out->n_batches : 1) * sizeof *out->batch_rows);
    uint32_t *perm = malloc((rows ? rows : 1) * sizeof *perm);
    if (!out->batch_rows || !perm) {
        free(perm);
        staging_free(out);
        return err_set(e, SIREN_ENOMEM, "staging %zu rows: out of memory", rows);
    }
    for (size_t i = 0; i < rows; i++) perm[i] = (uint32_t)i;
    struct rng r;
    rng_seed_stream(&r, w->opts.seed, STREAM_STAGE_ROWS);
    rng_shuffle_u32(&r, perm, rows);
    int rc = SIREN_OK;
    for (size_t b = 0; b < out->n_batches && !rc; b++) {
        size_t lo = b * B, n = rows - lo < B ? rows - lo : B, len;
        uint8_t *obj;
        out->batch_rows[b] = (uint32_t)n;
        if ((rc = shard_encode(&w->train, perm + lo, n, &obj, &len, e))) break;
        if (put) rc = put(ctx, b, obj, len, e);
        out->bytes += (double)len;
        free(obj);
    }
    free(perm);
    if (rc) {
        staging_free(out);
        return rc;
    }
    out->shard_bytes_per_sample = rows ? out->bytes / (double)rows : 0.0;
    return SIREN_OK;
}

int staging_generated_batch(int schema, uint64_t seed, int hash_bits, size_t first_row,
                            size_t rows, uint8_t **obj, size_t *len, struct err *e)
{
    struct ds_synthetic_opts so = {.schema = (enum ds_synthetic_schema)schema, .rows = rows, .hash_bits = hash_bits, .seed = seed,
                                   .stream = 0, .first_row = first_row};
    struct ds_data d = {0};
    uint32_t *idx = malloc((rows ? rows : 1) * sizeof *idx);
    if (!idx) return err_set(e, SIREN_ENOMEM, "generating %zu rows: out of memory", rows);
    int rc = ds_synthetic_make(&so, &d, e);
    for (size_t i = 0; !rc && i < rows; i++) idx[i] = (uint32_t)i;
    if (!rc) rc = shard_encode(&d, idx, rows, obj, len, e);
    ds_data_free(&d);
    free(idx);
    return rc;
}

int staging_generated(const struct workload *w, struct staging *out, struct err *e)
{
    *out = (struct staging){0};
    if (!w->opts.generate)
        return err_set(e, SIREN_EINVAL, "staging: the workload's rows are not generated");
    size_t B = (size_t)w->opts.batch, rows = w->opts.synthetic_rows;
    out->rows = rows;
    out->batch = w->opts.batch;
    out->n_batches = (rows + B - 1) / B;
    out->batch_rows = malloc((out->n_batches ? out->n_batches : 1) * sizeof *out->batch_rows);
    if (!out->batch_rows) return err_set(e, SIREN_ENOMEM, "staging %zu rows: out of memory", rows);
    for (size_t b = 0; b < out->n_batches; b++)
        out->batch_rows[b] = (uint32_t)(rows - b * B < B ? rows - b * B : B);
    uint8_t *obj;
    size_t len, first = out->batch_rows[0];
    int rc = staging_generated_batch(workload_schema(w), w->opts.seed, w->opts.hash_bits, 0, first,
                                     &obj, &len, e);
    if (rc) {
        staging_free(out);
        return rc;
    }
    free(obj);
    out->shard_bytes_per_sample = (double)len / (double)first;
    out->bytes = out->shard_bytes_per_sample * (double)rows;
    return SIREN_OK;
}

void staging_epoch_order(uint64_t seed, int epoch, size_t n_batches, uint32_t *order)
{
    for (size_t b = 0; b < n_batches; b++) order[b] = (uint32_t)b;
    struct rng r;
    rng_seed_stream(&r, seed, stream_epoch_batches(epoch));
    rng_shuffle_u32(&r, order, n_batches);
}

void staging_epoch_order_chunked(uint64_t seed, int epoch, size_t n_batches, size_t chunk,
                                 uint32_t *order)
{
    if (chunk <= 1) {
        staging_epoch_order(seed, epoch, n_batches, order);
        return;
    }
    size_t n_chunks = (n_batches + chunk - 1) / chunk;
    uint32_t *chunks = malloc(n_chunks * sizeof *chunks);
    struct rng r;
    rng_seed_stream(&r, seed, stream_epoch_chunks(epoch));
    if (!chunks) { /* no room to shuffle the chunks: keep them in staged order */
        for (size_t b = 0; b < n_batches; b++) order[b] = (uint32_t)b;
    } else {
        /* A short last chunk stays last, so that chunks start at multiples of `chunk`. */
        for (size_t c = 0; c < n_chunks; c++) chunks[c] = (uint32_t)c;
        rng_shuffle_u32(&r, chunks, n_batches % chunk ? n_chunks - 1 : n_chunks);
        size_t at = 0;
        for (size_t c = 0; c < n_chunks; c++) {
            size_t lo = (size_t)chunks[c] * chunk, hi = lo + chunk < n_batches ? lo + chunk : n_batches;
            for (size_t b = lo; b < hi; b++) order[at++] = (uint32_t)b;
        }
        free(chunks);
    }
    /* Inside each chunk-sized run of the order: a shuffle of its own. */
    for (size_t lo = 0; lo < n_batches; lo += chunk) {
        size_t len = n_batches - lo < chunk ? n_batches - lo : chunk;
        rng_shuffle_u32(&r, order + lo, len);
    }
}

int staging_initial_params(const struct workload *w, struct kn_model *m, int with_state,
                           uint8_t **obj, size_t *len, struct err *e)
{
    kn_model_init(m, w->opts.seed);
    struct kn_optim opt = {0};
    int rc = kn_optim_init(&opt, &w->optim_cfg, kn_model_num_params(m), e);
    if (!rc)
        rc = params_encode(kn_model_params(m), kn_model_num_params(m), with_state ? &opt : NULL,
                           obj, len, e);
    kn_optim_free(&opt);
    return rc;
}

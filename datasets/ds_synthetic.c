/*
 * lr-synthetic: CTR-shaped hashed sparse rows from a planted logistic model.
 *
 * Each row has one active feature per field (nnz_per_row fields, like Criteo's 39). Within a
 * field, the value's popularity rank r is drawn log-uniformly from 1..V (P(r) ~ 1/r, a Zipf
 * law with exponent 1), and the column is hash(seed, field, r) mod 2^k. The weight of a column
 * is a near-normal draw made from a hash of (seed, column), so the model needs no 2^k table
 * and is the same for train and test. label ~ Bernoulli(sigmoid(w.x + b)): learnable, noisy.
 * Row g of a stream has its own RNG stream (seed, stream, g): any slice of rows can be made
 * on its own, and threads split the rows without changing a bit of the result.
 * lr-criteo (DS_SCHEMA_CRITEO) shares all of this but the row itself, which has Criteo's
 * schema (ds_criteo_gen.c).
 */
#include "ds_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYN_VALUES_PER_FIELD 100000.0 /* V: distinct values a field can take */
#define SYN_BIAS (-1.6)               /* b: about 30% of rows are positive */
#define SYN_LOGIT_STD 2.0             /* std of w.x over a row */
#define SYN_MAX_THREADS 8
#define SYN_ROWS_PER_THREAD_MIN 65536 /* below this, threads cost more than they save */

/* An approximately standard normal weight fixed by (seed, col); the exact shape of the
 * tails does not matter for a planted model. */
static float planted_weight(uint64_t seed, uint32_t col)
{
    return ds_hashed_normal(ds_mix64(seed ^ ds_mix64(0x5eedull + col)));
}

/* Rows [begin, end) of the output; row i is row first_row + i of the stream. Each row's
 * columns land sorted and merged at col[i * nnz], its count in row_nnz[i]. */
struct syn_job {
    const struct ds_synthetic_opts *opts;
    int nnz, bits;
    uint64_t mask;
    size_t begin, end;
    uint32_t *col;
    float *val;
    uint32_t *row_nnz;
    int32_t *labels;
    const float *norm_mean, *norm_inv_sd; /* lr-criteo: ds_criteo_gen_norm's */
};

/* One lr-synthetic row: nnz Zipf-popular fields into cols (unsorted); returns its logit. */
static float ctr_row(uint64_t seed, struct rng *r, int nnz, uint64_t mask, uint32_t *cols)
{
    const float log2_v = (float)log2(SYN_VALUES_PER_FIELD);
    const float w_scale = (float)(SYN_LOGIT_STD / sqrt((double)nnz));
    float logit = (float)SYN_BIAS;
    for (int f = 0; f < nnz; f++) {
        /* 1 .. V with P(rank) ~ 1/rank; float precision is plenty for a rank. */
        uint64_t rank = (uint64_t)exp2f(rng_uniform_f(r) * log2_v);
        uint64_t h = ds_mix64(seed ^ ds_mix64(((uint64_t)f << 40) ^ rank));
        uint32_t c = (uint32_t)(h & mask);
        cols[f] = c;
        logit += w_scale * planted_weight(seed, c);
    }
    return logit;
}

static void *syn_run(void *arg)
{
    const struct syn_job *j = arg;
    const uint64_t seed = j->opts->seed;
    const uint64_t stream_base = (uint64_t)(1000u + (unsigned)j->opts->stream) << 40;
    uint32_t cols[1024];
    for (size_t i = j->begin; i < j->end; i++) {
        struct rng r;
        rng_seed_stream(&r, seed, stream_base ^ (j->opts->first_row + i));
        float logit = j->opts->schema == DS_SCHEMA_CRITEO
                          ? ds_criteo_gen_row(seed, j->norm_mean, j->norm_inv_sd, &r, j->bits, cols)
                          : ctr_row(seed, &r, j->nnz, j->mask, cols);
        float p = 1.0f / (1.0f + expf(-logit));
        j->labels[i] = rng_uniform_f(&r) < p;
        if (j->opts->probs) j->opts->probs[i] = p;
        /* Insertion sort: rows are short, and CSR wants sorted, unique columns. */
        for (int a = 1; a < j->nnz; a++) {
            uint32_t x = cols[a];
            int b = a - 1;
            while (b >= 0 && cols[b] > x) {
                cols[b + 1] = cols[b];
                b--;
            }
            cols[b + 1] = x;
        }
        uint32_t *oc = j->col + i * (size_t)j->nnz;
        float *ov = j->val + i * (size_t)j->nnz;
        uint32_t k = 0;
        for (int a = 0; a < j->nnz; a++) {
            if (k > 0 && oc[k - 1] == cols[a]) {
                ov[k - 1] += 1.0f; /* two fields hashed to one column */
                continue;
            }
            oc[k] = cols[a];
            ov[k] = 1.0f;
            k++;
        }
        j->row_nnz[i] = k;
    }
    return NULL;
}

int ds_synthetic_make(const struct ds_synthetic_opts *opts, struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    int bits = opts->hash_bits ? opts->hash_bits : 20;
    int nnz = opts->nnz_per_row ? opts->nnz_per_row : 39;
    const char *name = opts->schema == DS_SCHEMA_CRITEO ? "lr-criteo" : "lr-synthetic";
    if (opts->schema == DS_SCHEMA_CRITEO) nnz = DS_CRITEO_FIELDS - 1; /* the schema fixes it */
    if (bits < 1 || bits > 30)
        return err_set(e, SIREN_EINVAL, "%s: hash bits %d outside 1..30", name, bits);
    if (nnz < 1 || nnz > 1024)
        return err_set(e, SIREN_EINVAL, "%s: %d nonzeros per row outside 1..1024", name, nnz);
    size_t rows = opts->rows;
    uint32_t *row_nnz = malloc((rows + 1) * sizeof *row_nnz);
    out->row_ptr = malloc((rows + 1) * sizeof *out->row_ptr);
    out->col = malloc((rows * (size_t)nnz + 1) * sizeof *out->col);
    out->val = malloc((rows * (size_t)nnz + 1) * sizeof *out->val);
    out->labels = malloc((rows + 1) * sizeof *out->labels);
    if (!row_nnz || !out->row_ptr || !out->col || !out->val || !out->labels) {
        free(row_nnz);
        ds_data_free(out);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory for %zu rows", name, rows);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = cores > 1 ? (size_t)cores : 1;
    if (nthreads > SYN_MAX_THREADS) nthreads = SYN_MAX_THREADS;
    if (nthreads > rows / SYN_ROWS_PER_THREAD_MIN) nthreads = rows / SYN_ROWS_PER_THREAD_MIN;
    if (nthreads < 1) nthreads = 1;
    float norm_mean[DS_CRITEO_FIELDS - 1] = {0}, norm_inv_sd[DS_CRITEO_FIELDS - 1] = {0};
    if (opts->schema == DS_SCHEMA_CRITEO) ds_criteo_gen_norm(opts->seed, norm_mean, norm_inv_sd);
    struct syn_job jobs[SYN_MAX_THREADS];
    pthread_t tid[SYN_MAX_THREADS];
    int started[SYN_MAX_THREADS] = {0};
    for (size_t t = 0; t < nthreads; t++) {
        jobs[t] = (struct syn_job){opts, nnz, bits, (1ull << bits) - 1, rows * t / nthreads,
                                   rows * (t + 1) / nthreads, out->col, out->val, row_nnz,
                                   out->labels, norm_mean, norm_inv_sd};
        /* Thread 0 is this one; a thread that cannot start is run here too. */
        if (t > 0) started[t] = pthread_create(&tid[t], NULL, syn_run, &jobs[t]) == 0;
    }
    syn_run(&jobs[0]);
    for (size_t t = 1; t < nthreads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else syn_run(&jobs[t]);
    }
    /* Pack the rows (each sits at i * nnz) into CSR; dst never passes src, so memmove is safe. */
    size_t k = 0;
    out->row_ptr[0] = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t src = i * (size_t)nnz;
        if (k != src) {
            memmove(out->col + k, out->col + src, row_nnz[i] * sizeof *out->col);
            memmove(out->val + k, out->val + src, row_nnz[i] * sizeof *out->val);
        }
        k += row_nnz[i];
        out->row_ptr[i + 1] = k;
    }
    free(row_nnz);
    out->layout = DS_SPARSE_CSR;
    out->rows = rows;
    out->nnz = k;
    out->classes = 2;
    out->hash_bits = bits;
    out->n_features = (uint32_t)1 << bits;
    out->seed = opts->seed;
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->split, sizeof out->split, "%s",
             opts->stream == 0 ? "train" : opts->stream == 1 ? "test" : "other");
    snprintf(out->source, sizeof out->source,
             "%s seed=%llu stream=%d first_row=%zu nnz_per_row=%d hash_bits=%d", name,
             (unsigned long long)opts->seed, opts->stream, opts->first_row, nnz, bits);
    return SIREN_OK;
}

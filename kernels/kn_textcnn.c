/*
 * Text CNN, Kim (2014) "Convolutional Neural Networks for Sentence Classification", CNN-rand:
 * a learned embedding (V, D), convolutions over time of widths 3, 4, 5 with n_maps each,
 * ReLU, max-over-time pooling (eq. 3), dropout (seeded by the batch), fc to the classes.
 * Speed: all widths' convolutions are ONE GEMM per group of sentences, Y = E (rows, D) .
 * Wall^T (D, 12 maps) over the non-padding rows only, followed by shifted sums over the
 * taps; backward uses the sparsity of max-over-time (one position per map and sentence has
 * a gradient), so the convolution and embedding gradients are D-long axpys, not GEMMs. Token 0 is
 * padding (a zero row, no gradient). The training step updates only the embedding rows of the
 * batch's tokens.
 */
#include "kernels_internal.h"

#include <math.h>
#include <string.h>

#define NW 3    /* filter widths */
#define WSUM 12 /* 3 + 4 + 5: rows of Wall per map */
#define CHUNK 8 /* sentences (of full length) per forward GEMM: Y stays near L2 size */
static const int tc_width[NW] = {3, 4, 5};
static const int tc_off[NW] = {0, 3, 7}; /* first tap row block of each width in Wall */

struct tc_dims {
    int V, L, D, F, classes;
    int P; /* pooled features NW * F */
};

struct tc_params {
    float *emb;  /* (V, D) */
    float *wall; /* (WSUM * F, D): row (tc_off[w] + k) * F + f is tap k of map f of width w */
    float *bc;   /* (NW * F) conv biases, ordered (width, map) */
    float *wfc;  /* (classes, P) */
    float *bfc;  /* (classes) */
};

struct tc_act {
    float *e;             /* (B, L, D) gathered embeddings */
    float *ec;            /* (CHUNK * L, D) non-padding rows of one group of sentences */
    float *y;             /* (CHUNK * L, WSUM * F) per-tap responses of those rows */
    int32_t *len;         /* (B) rows up to the last non-padding token */
    float *s;             /* (F) one time step's sums (scratch) */
    float *pooled;        /* (B, P) relu(max_t + b) */
    int32_t *arg;         /* (B, P) arg-max time */
    float *mask;          /* (B, P) dropout mask */
    float *drop;          /* (B, P) pooled * mask */
    float *z, *prob, *dz; /* (B, classes) */
    float *ddrop;         /* (B, P) */
    uint8_t *mark;        /* (V) rows touched in this step, all 0 between calls */
    uint32_t *rows;       /* (B * L) list of touched rows */
};

static void tc_dims_of(const struct kn_model_config *cfg, struct tc_dims *d)
{
    d->V = cfg->vocab_size;
    d->L = cfg->seq_len;
    d->D = cfg->embed_dim;
    d->F = cfg->n_maps;
    d->classes = cfg->classes;
    d->P = NW * cfg->n_maps;
}

static size_t tc_params_of(const struct tc_dims *d, float *base, struct tc_params *p)
{
    size_t off = 0;
#define TP(field, count)                                                                           \
    do {                                                                                           \
        if (base) p->field = base + off;                                                           \
        off += (size_t)(count);                                                                    \
    } while (0)
    TP(emb, (size_t)d->V * d->D);
    TP(wall, (size_t)WSUM * d->F * d->D);
    TP(bc, d->P);
    TP(wfc, (size_t)d->classes * d->P);
    TP(bfc, d->classes);
#undef TP
    return off;
}

static size_t tc_act_of(const struct tc_dims *d, int B, void *base, struct tc_act *a)
{
    size_t off = 0;
    char *p = base;
#define TA(field, type, count)                                                                     \
    do {                                                                                           \
        if (p) a->field = (type *)(void *)(p + off);                                               \
        off += kn_align64(sizeof(type) * (size_t)(count));                                         \
    } while (0)
    TA(e, float, (size_t)B * d->L * d->D);
    TA(ec, float, (size_t)CHUNK * d->L * d->D);
    TA(y, float, (size_t)CHUNK * d->L * WSUM * d->F);
    TA(len, int32_t, B);
    TA(s, float, d->F);
    TA(pooled, float, (size_t)B * d->P);
    TA(arg, int32_t, (size_t)B * d->P);
    TA(mask, float, (size_t)B * d->P);
    TA(drop, float, (size_t)B * d->P);
    TA(z, float, (size_t)B * d->classes);
    TA(prob, float, (size_t)B * d->classes);
    TA(dz, float, (size_t)B * d->classes);
    TA(ddrop, float, (size_t)B * d->P);
    TA(mark, uint8_t, d->V);
    TA(rows, uint32_t, (size_t)B * d->L);
#undef TA
    return off;
}

static int tc_sizes(const struct kn_model_config *cfg, int batch, size_t *n_params,
                    size_t *act_bytes, struct err *e)
{
    struct tc_dims d;
    tc_dims_of(cfg, &d);
    if (d.V < 2 || d.L < 5 || d.D < 1 || d.F < 1 || d.classes < 2)
        return err_set(e, SIREN_EINVAL,
                       "textcnn: vocabulary %d (>= 2), sequence length %d (>= 5, the widest "
                       "filter), embedding %d, maps %d, classes %d (>= 2)",
                       d.V, d.L, d.D, d.F, d.classes);
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return err_set(e, SIREN_EINVAL, "textcnn: dropout %g outside [0, 1)", (double)cfg->dropout);
    *n_params = tc_params_of(&d, NULL, NULL);
    *act_bytes = tc_act_of(&d, batch, NULL, NULL);
    return SIREN_OK;
}

static void tc_init(struct kn_model *m, uint64_t seed)
{
    struct tc_dims d;
    struct tc_params p = {0};
    struct rng r;
    tc_dims_of(&m->cfg, &d);
    tc_params_of(&d, m->params, &p);
    memset(m->params, 0, m->n_params * sizeof(float));
    rng_seed_stream(&r, seed, 0x7e47c2);
    /* Kim's CNN-rand draws the embedding from U[-a, a] (variance matching word2vec's); 0.25
     * is the bound of his code. Row 0 (padding) stays 0. */
    kn_fill_uniform(p.emb + d.D, (size_t)(d.V - 1) * d.D, 0.25f, &r);
    for (int w = 0; w < NW; w++)
        kn_fill_uniform(p.wall + (size_t)tc_off[w] * d.F * d.D, (size_t)tc_width[w] * d.F * d.D,
                        sqrtf(6.0f / (float)(tc_width[w] * d.D)), &r);
    kn_fill_uniform(p.wfc, (size_t)d.classes * d.P, sqrtf(6.0f / (float)(d.P + d.classes)), &r);
}

/* For the rows y (len, WSUM*F) of one sentence: pooled (P) = relu(max_t sum_k y[t+k, tap k]
 * + b), arg (P) = arg-max t (Kim eq. 2-3). Rows from len to L are padding, whose responses
 * are exactly 0: they are skipped, not computed, with the same result. */
KN_SIMD static void tc_pool_sentence(float *restrict pooled, int32_t *restrict arg,
                                     float *restrict s, const float *restrict y, int len,
                                     const float *restrict bc, const struct tc_dims *d)
{
    int F = d->F;
    size_t ld = (size_t)WSUM * F;
    for (int w = 0; w < NW; w++) {
        int T = d->L - tc_width[w] + 1;
        float *best = pooled + w * F;
        int32_t *bt = arg + w * F;
        for (int t = 0; t < T; t++) {
            for (int f = 0; f < F; f++) s[f] = 0.0f;
            for (int k = 0; k < tc_width[w] && t + k < len; k++) {
                const float *rk = y + (size_t)(t + k) * ld + (size_t)(tc_off[w] + k) * F;
                for (int f = 0; f < F; f++) s[f] += rk[f];
            }
            if (t == 0) {
                for (int f = 0; f < F; f++) {
                    best[f] = s[f];
                    bt[f] = 0;
                }
            } else {
                for (int f = 0; f < F; f++) {
                    int better = s[f] > best[f];
                    best[f] = better ? s[f] : best[f];
                    bt[f] = better ? t : bt[f];
                }
            }
        }
        for (int f = 0; f < F; f++) {
            float v = best[f] + bc[w * F + f];
            best[f] = v > 0.0f ? v : 0.0f;
        }
    }
}

static inline int tc_token_ok(int32_t t, int V) { return t > 0 && t < V; }

static int tc_check_input(const struct kn_batch *b, struct err *e)
{
    if (!b->tokens) return err_set(e, SIREN_EINVAL, "textcnn: batch has no tokens");
    return SIREN_OK;
}

/* Forward to probabilities; train != 0 applies dropout from the batch seed. Returns the mean
 * loss. */
static float tc_forward(const struct kn_batch *b, const struct tc_dims *d,
                        const struct tc_params *p, const struct tc_act *a, float dropout, int train)
{
    int B = b->n, L = d->L, D = d->D, N = WSUM * d->F;
    kn_embedding_forward(a->e, b->tokens, p->emb, B, L, D, d->V);
    for (int n = 0; n < B; n++) {
        int len = L;
        while (len > 1 && !tc_token_ok(b->tokens[(size_t)n * L + len - 1], d->V)) len--;
        a->len[n] = len;
    }
    /* Groups of sentences whose non-padding rows fill up to CHUNK * L rows: one GEMM each,
     * so short (padded) sentences cost in proportion to their length. */
    for (int n0 = 0; n0 < B;) {
        int rows = 0, n1 = n0;
        while (n1 < B && rows + a->len[n1] <= CHUNK * L) {
            memcpy(a->ec + (size_t)rows * D, a->e + (size_t)n1 * L * D,
                   sizeof(float) * (size_t)a->len[n1] * D);
            rows += a->len[n1++];
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, N, D, 1.0f, a->ec, D, p->wall, D,
                    0.0f, a->y, N);
        for (int n = n0, r = 0; n < n1; r += a->len[n++])
            tc_pool_sentence(a->pooled + (size_t)n * d->P, a->arg + (size_t)n * d->P, a->s,
                             a->y + (size_t)r * N, a->len[n], p->bc, d);
        n0 = n1;
    }
    size_t np = (size_t)B * d->P;
    if (train && dropout > 0.0f) {
        struct rng r;
        rng_seed_stream(&r, b->seed, 0xd209);
        kn_dropout_forward(a->drop, a->mask, a->pooled, np, dropout, &r);
    } else {
        for (size_t i = 0; i < np; i++) a->mask[i] = 1.0f;
        memcpy(a->drop, a->pooled, np * sizeof(float));
    }
    kn_dense_forward(a->z, a->drop, p->wfc, p->bfc, B, d->P, d->classes, 0);
    return kn_softmax_xent_forward(a->prob, a->z, b->labels, B, d->classes);
}

/* g * x (n) added to y (n). */
KN_SIMD static void tc_axpy(float *restrict y, const float *restrict x, float g, int n)
{
    for (int i = 0; i < n; i++) y[i] += g * x[i];
}

/* Backward after tc_forward(train). dense != 0: grads fully overwritten. dense == 0: the
 * embedding part of grads is valid only on the rows listed in a->rows (*n_rows of them,
 * marked in a->mark), which are zeroed here first; the caller updates and unmarks them. */
static void tc_backward(struct kn_model *m, const struct kn_batch *b, const struct tc_dims *d,
                        const struct tc_params *p, const struct tc_act *a, int dense,
                        size_t *n_rows)
{
    int B = b->n, L = d->L, D = d->D, F = d->F;
    struct tc_params g = {0};
    tc_params_of(d, m->grads, &g);
    size_t emb_n = (size_t)d->V * D;
    *n_rows = 0;
    if (dense) {
        memset(m->grads, 0, m->n_params * sizeof(float));
    } else {
        memset(m->grads + emb_n, 0, (m->n_params - emb_n) * sizeof(float));
        for (size_t i = 0; i < (size_t)B * L; i++) {
            int32_t t = b->tokens[i];
            if (!tc_token_ok(t, d->V) || a->mark[t]) continue;
            a->mark[t] = 1;
            a->rows[(*n_rows)++] = (uint32_t)t;
            memset(g.emb + (size_t)t * D, 0, sizeof(float) * (size_t)D);
        }
    }
    kn_softmax_xent_backward(a->dz, a->prob, b->labels, B, d->classes);
    kn_dense_backward(a->ddrop, g.wfc, g.bfc, a->dz, a->drop, p->wfc, B, d->P, d->classes);
    for (int n = 0; n < B; n++)
        for (int j = 0; j < d->P; j++) {
            size_t i = (size_t)n * d->P + j;
            if (a->pooled[i] <= 0.0f || a->mask[i] == 0.0f) continue;
            float gj = a->ddrop[i] * a->mask[i];
            int w = j / F, f = j % F, t0 = a->arg[i];
            g.bc[j] += gj;
            for (int k = 0; k < tc_width[w] && t0 + k < a->len[n]; k++) {
                size_t r = (size_t)n * L + t0 + k;
                size_t wrow = ((size_t)(tc_off[w] + k) * F + f) * D;
                tc_axpy(g.wall + wrow, a->e + r * D, gj, D);
                int32_t tok = b->tokens[r];
                if (tc_token_ok(tok, d->V)) tc_axpy(g.emb + (size_t)tok * D, p->wall + wrow, gj, D);
            }
        }
}

static void tc_setup(struct kn_model *m, struct tc_dims *d, struct tc_params *p, struct tc_act *a)
{
    tc_dims_of(&m->cfg, d);
    tc_params_of(d, m->params, p);
    tc_act_of(d, m->cfg.max_batch, m->act, a);
}

/* Checks the batch and runs the training forward (with dropout) and backward passes: *loss
 * gets the mean loss, m->grads the gradient; dense as tc_backward's, whose touched embedding
 * rows are then a->rows[0..*n_rows). *d and *a are the layout the caller reads. */
static int tc_forward_backward(struct kn_model *m, const struct kn_batch *b, int dense,
                               struct tc_dims *d, struct tc_act *a, size_t *n_rows, float *loss,
                               struct err *e)
{
    int rc = tc_check_input(b, e);
    if (rc) return rc;
    struct tc_params p = {0};
    tc_setup(m, d, &p, a);
    *loss = tc_forward(b, d, &p, a, m->cfg.dropout, 1);
    tc_backward(m, b, d, &p, a, dense, n_rows);
    return SIREN_OK;
}

static int tc_loss_grad(struct kn_model *m, const struct kn_batch *b, float *loss, struct err *e)
{
    struct tc_dims d;
    struct tc_act a = {0};
    size_t nr;
    return tc_forward_backward(m, b, 1, &d, &a, &nr, loss, e);
}

static int tc_train_step(struct kn_model *m, const struct kn_batch *b, struct kn_optim *o,
                         float *loss, struct err *e)
{
    struct tc_dims d;
    struct tc_act a = {0};
    size_t nr;
    int rc = tc_forward_backward(m, b, 0, &d, &a, &nr, loss, e);
    if (rc) return rc;
    struct kn_optim_rates r;
    kn_optim_begin(o, &r);
    size_t emb_n = (size_t)d.V * d.D;
    kn_optim_apply_range(o, &r, m->params, m->grads, emb_n, m->n_params);
    for (size_t i = 0; i < nr; i++) {
        size_t row = a.rows[i];
        kn_optim_apply_range(o, &r, m->params, m->grads, row * d.D, (row + 1) * d.D);
        a.mark[row] = 0;
    }
    return SIREN_OK;
}

static int tc_eval(struct kn_model *m, const struct kn_batch *b, struct kn_eval *out, float *prob1,
                   struct err *e)
{
    int rc = tc_check_input(b, e);
    if (rc) return rc;
    struct tc_dims d;
    struct tc_params p = {0};
    struct tc_act a = {0};
    tc_setup(m, &d, &p, &a);
    float mean = tc_forward(b, &d, &p, &a, 0.0f, 0);
    out->loss_sum = (double)mean * b->n;
    out->n = b->n;
    kn_eval_tally(a.prob, b->n, d.classes, b->labels, out, prob1);
    return SIREN_OK;
}

/* FLOPs (2 per multiply-add) a training step executes per full-length sentence: the forward
 * GEMM over all L rows and 12 taps per map, the fc layer, and the backward axpys of the one
 * arg-max window per pooled feature (weights and embedding: 2 * width * D each, counted as if
 * every feature were active: an upper bound). */
static double tc_flops(const struct kn_model_config *cfg)
{
    struct tc_dims d;
    tc_dims_of(cfg, &d);
    double gemm = (double)d.L * WSUM * d.F * d.D;
    double back = 0.0;
    for (int w = 0; w < NW; w++) back += 2.0 * tc_width[w] * d.F * d.D;
    double fc = (double)d.P * d.classes;
    return 2.0 * (gemm + fc + back + 2.0 * fc);
}

const struct kn_model_ops kn_textcnn_ops = {
    .sizes = tc_sizes,
    .init = tc_init,
    .loss_grad = tc_loss_grad,
    .train_step = tc_train_step,
    .eval = tc_eval,
    .flops = tc_flops,
};

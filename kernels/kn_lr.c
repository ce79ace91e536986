/*
 * Logistic regression on hashed sparse features: 2^k weights plus a bias (the last
 * parameter). A row's feature id j uses weight j mod 2^k (the hashing trick, Weinberger et
 * al. 2009). Loss: mean log(1 + e^z) - y z, plus l2/2 * |w_S|^2 over the set S of distinct
 * weights the batch touches (lazy L2, so a step never walks all 2^k weights). The training
 * step touches only those weights: plain SGD updates them in place while scattering; other
 * optimisers gather the gradient of S and apply a lazy update. A 2^k-bit map finds S.
 */
#include "kernels_internal.h"

#include <math.h>
#include <string.h>

#define LR_IDX_CHUNK 256   /* indices per flush of the lazy optimiser update */
#define LR_PREFETCH_ROWS 6 /* rows ahead whose weights are prefetched */

struct lr_act {
    float *p;       /* (B) sigmoid(z) */
    float *g;       /* (B) d loss / d z */
    uint64_t *bits; /* (2^k / 64) touched-weight map, all 0 between calls */
    uint32_t *idx;  /* (LR_IDX_CHUNK) indices of a lazy update */
};

/* Carves the arena (base NULL: only sizes) for B rows; returns the bytes. */
static size_t lr_layout(const struct kn_model_config *cfg, int B, void *base, struct lr_act *a)
{
    size_t off = 0, nw = (size_t)1 << cfg->lr_log2_weights;
    char *p = base;
#define LR_TAKE(field, type, count)                                                                \
    do {                                                                                           \
        if (p) a->field = (type *)(void *)(p + off);                                               \
        off += kn_align64(sizeof(type) * (size_t)(count));                                         \
    } while (0)
    LR_TAKE(p, float, B);
    LR_TAKE(g, float, B);
    LR_TAKE(bits, uint64_t, (nw + 63) / 64);
    LR_TAKE(idx, uint32_t, LR_IDX_CHUNK);
#undef LR_TAKE
    return off;
}

static int lr_sizes(const struct kn_model_config *cfg, int batch, size_t *n_params,
                    size_t *act_bytes, struct err *e)
{
    if (cfg->lr_log2_weights < 1 || cfg->lr_log2_weights > 30)
        return err_set(e, SIREN_EINVAL, "lr: log2 weights %d outside 1..30", cfg->lr_log2_weights);
    if (cfg->classes != 2)
        return err_set(e, SIREN_EINVAL, "lr: %d classes, expected 2", cfg->classes);
    if (cfg->lr_l2 < 0.0f) return err_set(e, SIREN_EINVAL, "lr: l2 %g < 0", (double)cfg->lr_l2);
    *n_params = ((size_t)1 << cfg->lr_log2_weights) + 1;
    *act_bytes = lr_layout(cfg, batch, NULL, NULL);
    return SIREN_OK;
}

static void lr_init(struct kn_model *m, uint64_t seed)
{
    (void)seed; /* a convex model: zero is the standard start */
    memset(m->params, 0, m->n_params * sizeof(float));
}

/* z_i = bias + sum_k w[col & mask] val; p (n) = sigmoid(z); returns the summed row losses. Four
 * partial sums break the dependency chain of the gather. */
/* Scalar on purpose: GCC's vectorised form of this gather (index arithmetic in SSE registers,
 * extracted lane by lane) measured 25% slower. */
__attribute__((optimize("no-tree-vectorize"))) static double
lr_forward(const struct kn_model *m, const struct kn_batch *b, float *p, float *z_out)
{
    const float *w = m->params;
    uint32_t mask = (uint32_t)((1u << m->cfg.lr_log2_weights) - 1);
    float bias = w[mask + 1];
    double total = 0.0;
    const uint32_t *c = b->col;
    for (int i = 0; i < b->n; i++) {
        uint64_t k = b->row_ptr[i], end = b->row_ptr[i + 1];
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        /* The ids are known ahead: ask for the weights of row i + LR_PREFETCH_ROWS now, so
         * their cache misses overlap this row's work instead of stalling one by one. */
        if (i + LR_PREFETCH_ROWS < b->n)
            for (uint64_t q = b->row_ptr[i + LR_PREFETCH_ROWS];
                 q < b->row_ptr[i + LR_PREFETCH_ROWS + 1]; q++)
                __builtin_prefetch(w + (c[q] & mask), 0, 3);
        if (b->val) {
            const float *v = b->val;
            for (; k + 4 <= end; k += 4) {
                s0 += w[c[k] & mask] * v[k];
                s1 += w[c[k + 1] & mask] * v[k + 1];
                s2 += w[c[k + 2] & mask] * v[k + 2];
                s3 += w[c[k + 3] & mask] * v[k + 3];
            }
            for (; k < end; k++) s0 += w[c[k] & mask] * v[k];
        } else {
            for (; k + 4 <= end; k += 4) {
                s0 += w[c[k] & mask];
                s1 += w[c[k + 1] & mask];
                s2 += w[c[k + 2] & mask];
                s3 += w[c[k + 3] & mask];
            }
            for (; k < end; k++) s0 += w[c[k] & mask];
        }
        float z = bias + ((s0 + s1) + (s2 + s3));
        /* One exponential serves both p and the loss: e = e^-|z|. */
        float ez = expf(-fabsf(z));
        float inv = 1.0f / (1.0f + ez);
        p[i] = z >= 0.0f ? inv : ez * inv;
        float y = b->labels[i] ? 1.0f : 0.0f;
        /* logf(1 + e) instead of log1pf(e): glibc's logf is several times faster, and the
         * absolute error of rounding 1 + e (<= 6e-8) is far below what a loss report needs. */
        total += (double)((z > 0.0f ? z : 0.0f) + logf(1.0f + ez) - y * z);
        if (z_out) z_out[i] = z;
    }
    return total;
}

static int lr_check_input(const struct kn_model *m, const struct kn_batch *b, struct err *e)
{
    if (!b->row_ptr || !b->col)
        return err_set(e, SIREN_EINVAL, "lr: batch has no sparse rows (row_ptr, col)");
    (void)m;
    return SIREN_OK;
}

static inline int bit_test_set(uint64_t *bits, uint32_t j)
{
    uint64_t bit = (uint64_t)1 << (j & 63);
    int was = (bits[j >> 6] & bit) != 0;
    bits[j >> 6] |= bit;
    return was;
}

static inline void bit_clear(uint64_t *bits, uint32_t j)
{
    bits[j >> 6] &= ~((uint64_t)1 << (j & 63));
}

static int lr_loss_grad(struct kn_model *m, const struct kn_batch *b, float *loss, struct err *e)
{
    int rc = lr_check_input(m, b, e);
    if (rc) return rc;
    struct lr_act a = {0};
    lr_layout(&m->cfg, m->cfg.max_batch, m->act, &a);
    uint32_t mask = (uint32_t)((1u << m->cfg.lr_log2_weights) - 1);
    double total = lr_forward(m, b, a.p, NULL);
    float *gw = m->grads;
    const float *w = m->params;
    memset(gw, 0, m->n_params * sizeof(float));
    float inv_n = 1.0f / (float)b->n, gb = 0.0f, l2 = m->cfg.lr_l2;
    double reg = 0.0;
    for (int i = 0; i < b->n; i++) {
        float g = (a.p[i] - (b->labels[i] ? 1.0f : 0.0f)) * inv_n;
        gb += g;
        for (uint64_t k = b->row_ptr[i]; k < b->row_ptr[i + 1]; k++) {
            uint32_t j = b->col[k] & mask;
            gw[j] += g * (b->val ? b->val[k] : 1.0f);
            if (l2 > 0.0f && !bit_test_set(a.bits, j)) {
                gw[j] += l2 * w[j];
                reg += 0.5 * (double)l2 * (double)w[j] * (double)w[j];
            }
        }
    }
    if (l2 > 0.0f)
        for (uint64_t k = b->row_ptr[0]; k < b->row_ptr[b->n]; k++)
            bit_clear(a.bits, b->col[k] & mask);
    gw[mask + 1] = gb;
    *loss = (float)(total / b->n + reg);
    return SIREN_OK;
}

/* Plain SGD: every touched weight moves in place while scattering, w_j -= lr (sum_i g_i x_ij +
 * l2 w_j); the decay is applied at the first touch, before any data term, so it uses the old
 * w_j exactly as the dense step would. */
__attribute__((optimize("no-tree-vectorize"))) static double
lr_sgd_inplace(struct kn_model *m, const struct kn_batch *b, const struct lr_act *a, float lr)
{
    float *w = m->params;
    uint32_t mask = (uint32_t)((1u << m->cfg.lr_log2_weights) - 1);
    float inv_n = 1.0f / (float)b->n, gb = 0.0f, l2 = m->cfg.lr_l2;
    double reg = 0.0;
    for (int i = 0; i < b->n; i++) {
        float g = (a->p[i] - (b->labels[i] ? 1.0f : 0.0f)) * inv_n;
        gb += g;
        a->g[i] = lr * g;
    }
    const uint32_t *c = b->col;
    for (int i = 0; i < b->n; i++) {
        float s = a->g[i];
        uint64_t k = b->row_ptr[i], end = b->row_ptr[i + 1];
        if (l2 > 0.0f) {
            for (; k < end; k++) {
                uint32_t j = c[k] & mask;
                if (!bit_test_set(a->bits, j)) {
                    reg += 0.5 * (double)l2 * (double)w[j] * (double)w[j];
                    w[j] -= lr * l2 * w[j];
                }
                w[j] -= s * (b->val ? b->val[k] : 1.0f);
            }
        } else if (b->val) {
            const float *v = b->val;
            for (; k < end; k++) w[c[k] & mask] -= s * v[k];
        } else {
            for (; k < end; k++) w[c[k] & mask] -= s;
        }
    }
    if (l2 > 0.0f)
        for (uint64_t k = b->row_ptr[0]; k < b->row_ptr[b->n]; k++) bit_clear(a->bits, c[k] & mask);
    w[mask + 1] -= lr * gb;
    return reg;
}

/* Other optimisers: gradient of the touched set S into grads (entries of S zeroed first),
 * then a lazy update of S and the bias, in chunks of indices. */
static double lr_lazy_step(struct kn_model *m, const struct kn_batch *b, const struct lr_act *a,
                           struct kn_optim *o)
{
    float *w = m->params, *gw = m->grads;
    uint32_t mask = (uint32_t)((1u << m->cfg.lr_log2_weights) - 1);
    float inv_n = 1.0f / (float)b->n, gb = 0.0f, l2 = m->cfg.lr_l2;
    uint64_t k0 = b->row_ptr[0], k1 = b->row_ptr[b->n];
    for (uint64_t k = k0; k < k1; k++) gw[b->col[k] & mask] = 0.0f;
    for (int i = 0; i < b->n; i++) {
        float g = (a->p[i] - (b->labels[i] ? 1.0f : 0.0f)) * inv_n;
        gb += g;
        for (uint64_t k = b->row_ptr[i]; k < b->row_ptr[i + 1]; k++)
            gw[b->col[k] & mask] += g * (b->val ? b->val[k] : 1.0f);
    }
    gw[mask + 1] = gb;
    struct kn_optim_rates r;
    kn_optim_begin(o, &r);
    double reg = 0.0;
    size_t cnt = 0;
    for (uint64_t k = k0; k < k1; k++) {
        uint32_t j = b->col[k] & mask;
        if (bit_test_set(a->bits, j)) continue;
        gw[j] += l2 * w[j];
        reg += 0.5 * (double)l2 * (double)w[j] * (double)w[j];
        a->idx[cnt++] = j;
        if (cnt == LR_IDX_CHUNK) {
            kn_optim_apply_idx(o, &r, w, gw, a->idx, cnt);
            cnt = 0;
        }
    }
    a->idx[cnt++] = mask + 1;
    kn_optim_apply_idx(o, &r, w, gw, a->idx, cnt);
    for (uint64_t k = k0; k < k1; k++) bit_clear(a->bits, b->col[k] & mask);
    return reg;
}

static int lr_train_step(struct kn_model *m, const struct kn_batch *b, struct kn_optim *o,
                         float *loss, struct err *e)
{
    int rc = lr_check_input(m, b, e);
    if (rc) return rc;
    struct lr_act a = {0};
    lr_layout(&m->cfg, m->cfg.max_batch, m->act, &a);
    double total = lr_forward(m, b, a.p, NULL);
    double reg;
    if (o->cfg.kind == KN_OPTIM_SGD && o->cfg.momentum == 0.0f && o->cfg.weight_decay == 0.0f)
        reg = lr_sgd_inplace(m, b, &a, o->cfg.lr);
    else
        reg = lr_lazy_step(m, b, &a, o);
    *loss = (float)(total / b->n + reg);
    return SIREN_OK;
}

static int lr_eval(struct kn_model *m, const struct kn_batch *b, struct kn_eval *out, float *prob1,
                   struct err *e)
{
    int rc = lr_check_input(m, b, e);
    if (rc) return rc;
    struct lr_act a = {0};
    lr_layout(&m->cfg, m->cfg.max_batch, m->act, &a);
    out->loss_sum = lr_forward(m, b, a.p, NULL);
    out->n = b->n;
    for (int i = 0; i < b->n; i++) {
        out->correct += (a.p[i] >= 0.5f) == (b->labels[i] == 1);
        if (prob1) prob1[i] = a.p[i];
    }
    return SIREN_OK;
}

const struct kn_model_ops kn_lr_ops = {
    .sizes = lr_sizes,
    .init = lr_init,
    .loss_grad = lr_loss_grad,
    .train_step = lr_train_step,
    .eval = lr_eval,
    .flops = NULL,
};

/*
 * Optimisers on flat vectors: SGD with momentum (PyTorch's form: v = mu v + g, p -= lr v) and
 * Adam (Kingma & Ba 2015, Algorithm 1, bias-corrected). The state (momentum, or m and v) is
 * one allocation of n or 2n floats. The sparse step updates only listed indices, the lazy
 * scheme used for embeddings and hashed logistic regression.
 */
#include "kernels_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct kn_optim_config kn_optim_config_default(enum kn_optim_kind kind)
{
    struct kn_optim_config c = {
        .kind = kind, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    if (kind == KN_OPTIM_ADAM) c.lr = 0.001f;
    return c;
}

static size_t state_floats(const struct kn_optim_config *cfg, size_t n)
{
    if (cfg->kind == KN_OPTIM_ADAM) return 2 * n;
    return cfg->momentum != 0.0f ? n : 0;
}

size_t kn_optim_state_bytes(const struct kn_optim_config *cfg, size_t n)
{
    return state_floats(cfg, n) * sizeof(float);
}

int kn_optim_init(struct kn_optim *o, const struct kn_optim_config *cfg, size_t n, struct err *e)
{
    memset(o, 0, sizeof *o);
    if (cfg->kind != KN_OPTIM_SGD && cfg->kind != KN_OPTIM_ADAM)
        return err_set(e, SIREN_EINVAL, "optimiser: unknown kind %d", (int)cfg->kind);
    if (!(cfg->lr > 0.0f) || cfg->momentum < 0.0f || cfg->momentum >= 1.0f ||
        cfg->weight_decay < 0.0f)
        return err_set(e, SIREN_EINVAL,
                       "optimiser: lr %g must be > 0, momentum %g in [0,1), weight decay %g >= 0",
                       (double)cfg->lr, (double)cfg->momentum, (double)cfg->weight_decay);
    if (cfg->kind == KN_OPTIM_ADAM &&
        (cfg->beta1 < 0.0f || cfg->beta1 >= 1.0f || cfg->beta2 < 0.0f || cfg->beta2 >= 1.0f ||
         !(cfg->eps > 0.0f)))
        return err_set(e, SIREN_EINVAL, "optimiser: Adam betas must be in [0,1), eps > 0");
    o->cfg = *cfg;
    o->n = n;
    size_t nf = state_floats(cfg, n);
    if (nf) {
        o->m = calloc(nf, sizeof(float));
        if (!o->m) return err_set(e, SIREN_ENOMEM, "optimiser: %zu state floats", nf);
        if (cfg->kind == KN_OPTIM_ADAM) o->v = o->m + n;
    }
    return SIREN_OK;
}

void kn_optim_free(struct kn_optim *o)
{
    if (!o) return;
    free(o->m);
    o->m = o->v = NULL;
}

/* One parameter's update; i indexes params, grads and state alike. */
static inline void sgd_one(const struct kn_optim_config *c, float *m, float *p, float g)
{
    g += c->weight_decay * *p;
    if (m) {
        *m = c->momentum * *m + g;
        g = *m;
    }
    *p -= c->lr * g;
}

static inline void adam_one(const struct kn_optim_config *c, float *m, float *v, float *p, float g,
                            float lr_t, float eps_t)
{
    g += c->weight_decay * *p;
    *m = c->beta1 * *m + (1.0f - c->beta1) * g;
    *v = c->beta2 * *v + (1.0f - c->beta2) * g * g;
    *p -= lr_t * *m / (sqrtf(*v) + eps_t);
}

/* Adam's bias correction folded into the step size (Kingma & Ba, Section 2, last paragraph):
 * lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), eps_t = eps sqrt(1 - b2^t). */
void kn_optim_begin(struct kn_optim *o, struct kn_optim_rates *r)
{
    r->lr_t = o->cfg.lr;
    r->eps_t = o->cfg.eps;
    if (o->cfg.kind != KN_OPTIM_ADAM) return;
    o->t++;
    double c1 = 1.0 - pow((double)o->cfg.beta1, (double)o->t);
    double c2 = sqrt(1.0 - pow((double)o->cfg.beta2, (double)o->t));
    r->lr_t = (float)((double)o->cfg.lr * c2 / c1);
    r->eps_t = (float)((double)o->cfg.eps * c2);
}

KN_SIMD void kn_optim_apply_range(struct kn_optim *o, const struct kn_optim_rates *r, float *params,
                                  const float *grads, size_t i0, size_t i1)
{
    const struct kn_optim_config *c = &o->cfg;
    if (c->kind == KN_OPTIM_SGD) {
        if (!o->m && c->weight_decay == 0.0f) {
            float lr = c->lr;
            for (size_t i = i0; i < i1; i++) params[i] -= lr * grads[i];
            return;
        }
        for (size_t i = i0; i < i1; i++) sgd_one(c, o->m ? o->m + i : NULL, params + i, grads[i]);
        return;
    }
    for (size_t i = i0; i < i1; i++)
        adam_one(c, o->m + i, o->v + i, params + i, grads[i], r->lr_t, r->eps_t);
}

void kn_optim_apply_idx(struct kn_optim *o, const struct kn_optim_rates *r, float *params,
                        const float *grads, const uint32_t *idx, size_t count)
{
    const struct kn_optim_config *c = &o->cfg;
    for (size_t k = 0; k < count; k++) {
        uint32_t i = idx[k];
        if (c->kind == KN_OPTIM_SGD)
            sgd_one(c, o->m ? o->m + i : NULL, params + i, grads[i]);
        else
            adam_one(c, o->m + i, o->v + i, params + i, grads[i], r->lr_t, r->eps_t);
    }
}

void kn_optim_step(struct kn_optim *o, float *params, const float *grads)
{
    struct kn_optim_rates r;
    kn_optim_begin(o, &r);
    kn_optim_apply_range(o, &r, params, grads, 0, o->n);
}

void kn_optim_step_sparse(struct kn_optim *o, float *params, const float *grads,
                          const uint32_t *idx, size_t count)
{
    struct kn_optim_rates r;
    kn_optim_begin(o, &r);
    kn_optim_apply_idx(o, &r, params, grads, idx, count);
}

/*
 * The uniform model interface: configs by model or workload name, creation (three
 * allocations: params, grads, activation arena for max_batch rows), seeded init, and the
 * dispatch of loss+gradient, train step and evaluation to the model's table of functions.
 * Memory reports come from the same size functions the allocation uses, so the emulator's
 * prediction and the real footprint cannot drift apart.
 */
#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const struct kn_model_ops *ops_of(enum kn_model_kind kind)
{
    switch (kind) {
    case KN_MODEL_LR:
        return &kn_lr_ops;
    case KN_MODEL_LENET5:
        return &kn_lenet_ops;
    case KN_MODEL_TEXTCNN:
        return &kn_textcnn_ops;
    }
    return NULL;
}

const char *kn_model_kind_name(enum kn_model_kind kind)
{
    switch (kind) {
    case KN_MODEL_LR:
        return "lr";
    case KN_MODEL_LENET5:
        return "lenet5";
    case KN_MODEL_TEXTCNN:
        return "textcnn";
    }
    return "unknown";
}

/* The configuration of each model and of the workloads that train it, as data: the names
 * that select a row, and the row's configuration (max_batch is the caller's). */
static const struct {
    const char *names[4]; /* the first NULL ends a shorter list */
    struct kn_model_config cfg;
} presets[] = {
    {{"lr", "lr-ctr", "lr-synthetic", "lr-criteo"}, {.kind = KN_MODEL_LR, .classes = 2, .lr_log2_weights = 20}},
    /* a9a has 123 binary features: 2^7 weights hold them without collisions. */
    {{"lr-a9a"}, {.kind = KN_MODEL_LR, .classes = 2, .lr_log2_weights = 7}},
    {{"lenet5", "lenet-mnist", "lenet-fashion"},
     {.kind = KN_MODEL_LENET5, .classes = 10, .channels = 1, .height = 28, .width = 28}},
    {{"textcnn", "textcnn-polarity"},
     {.kind = KN_MODEL_TEXTCNN, .classes = 2, .vocab_size = 20000, .seq_len = 56,
      .embed_dim = 128, .n_maps = 100, .dropout = 0.5f}},
};

int kn_model_config_from_name(const char *name, int max_batch, struct kn_model_config *out,
                              struct err *e)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        for (size_t k = 0; k < 4 && presets[i].names[k]; k++) {
            if (strcmp(name, presets[i].names[k])) continue;
            memcpy(out, &presets[i].cfg, sizeof *out);
            out->max_batch = max_batch;
            return SIREN_OK;
        }
    out->max_batch = max_batch;
    return err_set(e, SIREN_ENOTFOUND,
                   "model '%s': expected lr, lenet5, textcnn or a workload (lr-ctr, lr-a9a, "
                   "lr-synthetic, lr-criteo, lenet-mnist, lenet-fashion, textcnn-polarity)",
                   name);
}

int kn_model_memory(const struct kn_model_config *cfg, int batch,
                    const struct kn_optim_config *ocfg, struct kn_mem_report *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const struct kn_model_ops *ops = ops_of(cfg->kind);
    if (!ops) return err_set(e, SIREN_EINVAL, "model: unknown kind %d", (int)cfg->kind);
    if (batch < 1) return err_set(e, SIREN_EINVAL, "model: batch %d must be >= 1", batch);
    size_t np = 0, act = 0;
    int rc = ops->sizes(cfg, batch, &np, &act, e);
    if (rc) return rc;
    out->param_bytes = np * sizeof(float);
    out->grad_bytes = np * sizeof(float);
    out->optim_bytes = ocfg ? kn_optim_state_bytes(ocfg, np) : 0;
    out->act_bytes = act;
    out->total_bytes = out->param_bytes + out->grad_bytes + out->optim_bytes + out->act_bytes;
    return SIREN_OK;
}

double kn_model_train_flops(const struct kn_model_config *cfg)
{
    const struct kn_model_ops *ops = ops_of(cfg->kind);
    return ops && ops->flops ? ops->flops(cfg) : 0.0;
}

/* Cache-line aligned; blocks of 2 MiB and more are aligned to 2 MiB and marked for
 * transparent huge pages, so random access into a 4 MiB hashed weight table does not miss
 * the TLB (a measurable share of logistic regression's step time). */
static void *alloc64(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < huge) return aligned_alloc(64, kn_align64(bytes ? bytes : 64));
    size_t n = (bytes + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, n);
#ifdef MADV_HUGEPAGE
    if (p) (void)madvise(p, n, MADV_HUGEPAGE); /* a hint; failure changes nothing */
#endif
    return p;
}

int kn_model_create(const struct kn_model_config *cfg, struct kn_model **out, struct err *e)
{
    *out = NULL;
    const struct kn_model_ops *ops = ops_of(cfg->kind);
    if (!ops) return err_set(e, SIREN_EINVAL, "model: unknown kind %d", (int)cfg->kind);
    if (cfg->max_batch < 1)
        return err_set(e, SIREN_EINVAL, "model: max_batch %d must be >= 1", cfg->max_batch);
    size_t np = 0, act = 0;
    int rc = ops->sizes(cfg, cfg->max_batch, &np, &act, e);
    if (rc) return rc;
    struct kn_model *m = calloc(1, sizeof *m);
    if (!m) return err_set(e, SIREN_ENOMEM, "model: out of memory");
    m->cfg = *cfg;
    m->ops = ops;
    m->n_params = np;
    m->act_bytes = act;
    m->params = alloc64(np * sizeof(float));
    m->grads = alloc64(np * sizeof(float));
    m->act = alloc64(act);
    if (!m->params || !m->grads || !m->act) {
        kn_model_free(m);
        return err_set(e, SIREN_ENOMEM, "model %s: %zu parameters, %zu activation bytes",
                       kn_model_kind_name(cfg->kind), np, act);
    }
    memset(m->params, 0, np * sizeof(float));
    memset(m->grads, 0, np * sizeof(float));
    memset(m->act, 0, act);
    *out = m;
    return SIREN_OK;
}

void kn_model_free(struct kn_model *m)
{
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->act);
    free(m);
}

void kn_model_init(struct kn_model *m, uint64_t seed) { m->ops->init(m, seed); }
const struct kn_model_config *kn_model_config(const struct kn_model *m) { return &m->cfg; }
size_t kn_model_num_params(const struct kn_model *m) { return m->n_params; }
float *kn_model_params(struct kn_model *m) { return m->params; }
float *kn_model_grads(struct kn_model *m) { return m->grads; }

int kn_batch_check(const struct kn_model *m, const struct kn_batch *b, struct err *e)
{
    if (b->n < 1 || b->n > m->cfg.max_batch)
        return err_set(e, SIREN_EINVAL, "%s: batch of %d rows, expected 1..%d",
                       kn_model_kind_name(m->cfg.kind), b->n, m->cfg.max_batch);
    if (!b->labels)
        return err_set(e, SIREN_EINVAL, "%s: batch has no labels", kn_model_kind_name(m->cfg.kind));
    for (int i = 0; i < b->n; i++)
        if (b->labels[i] < 0 || b->labels[i] >= m->cfg.classes)
            return err_set(e, SIREN_EINVAL, "%s: row %d: label %d outside 0..%d",
                           kn_model_kind_name(m->cfg.kind), i, (int)b->labels[i],
                           m->cfg.classes - 1);
    return SIREN_OK;
}

int kn_model_loss_grad(struct kn_model *m, const struct kn_batch *b, float *loss, struct err *e)
{
    int rc = kn_batch_check(m, b, e);
    if (rc) return rc;
    return m->ops->loss_grad(m, b, loss, e);
}

int kn_model_train_step(struct kn_model *m, const struct kn_batch *b, struct kn_optim *o,
                        float *loss, struct err *e)
{
    int rc = kn_batch_check(m, b, e);
    if (rc) return rc;
    if (o->n != m->n_params)
        return err_set(e, SIREN_EINVAL, "%s: optimiser sized for %zu parameters, model has %zu",
                       kn_model_kind_name(m->cfg.kind), o->n, m->n_params);
    return m->ops->train_step(m, b, o, loss, e);
}

void kn_eval_tally(const float *prob, int n, int classes, const int32_t *labels,
                   struct kn_eval *out, float *prob1)
{
    for (int i = 0; i < n; i++) {
        const float *pr = prob + (size_t)i * classes;
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (pr[c] > pr[best]) best = c;
        out->correct += best == labels[i];
        if (prob1) prob1[i] = pr[1];
    }
}

int kn_model_eval(struct kn_model *m, const struct kn_batch *b, struct kn_eval *out, float *prob1,
                  struct err *e)
{
    memset(out, 0, sizeof *out);
    int rc = kn_batch_check(m, b, e);
    if (rc) return rc;
    return m->ops->eval(m, b, out, prob1, e);
}

void kn_fill_uniform(float *x, size_t n, float a, struct rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = (2.0f * rng_uniform_f(r) - 1.0f) * a;
}

KN_SIMD void kn_images_from_u8(float *out, const uint8_t *px, size_t n)
{
    const float scale = 1.0f / 255.0f;
    for (size_t i = 0; i < n; i++) out[i] = (float)px[i] * scale;
}

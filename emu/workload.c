/*
 * Workloads: the table of named jobs, loading their data, turning rows into kernel batches,
 * and evaluating a model on a split. Defaults were chosen by training runs with `siren train`
 * (see the README's accuracy table for what they reach).
 */
#include "workload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct workload_info workloads[] = {
    {"lenet-mnist", "mnist", "adam", 64, 0.001, 0.75, 15, 0.05, 0,
     "LeNet-5 on MNIST digits (60,000 train / 10,000 test images)"},
    {"lenet-fashion", "fashion-mnist", "adam", 64, 0.001, 0.75, 15, 0.35, 0,
     "LeNet-5 on Fashion-MNIST (60,000 train / 10,000 test images)"},
    {"textcnn-polarity", "polarity", "adam", 50, 0.001, 1.0, 10, 0.55, 1,
     "Kim's CNN-rand on movie-review sentence polarity (seeded 90/10 split)"},
    {"lr-ctr", "criteo", "adam", 64, 0.001, 1.0, 5, 0.50, 1,
     "logistic regression on hashed Criteo click-through rows"},
    {"lr-a9a", "a9a", "adam", 1024, 0.01, 1.0, 50, 0.33, 1,
     "logistic regression on LIBSVM a9a (UCI Adult income)"},
    {"lr-synthetic", "synthetic", "sgd", 64, 0.1, 1.0, 3, 0.45, 1,
     "logistic regression on seeded CTR-shaped hashed rows from a planted model (--rows N)"},
    {"lr-criteo", "synthetic-criteo", "sgd", 64, 0.1, 1.0, 1, 0.48, 1,
     "logistic regression on seeded rows of Criteo's schema (13 integer + 26 categorical "
     "fields) from a planted model with Criteo's click rate and best log loss (--rows N, up "
     "to 45,840,617 and beyond)"},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL},
};

const struct workload_info *workload_list(void) { return workloads; }

const struct workload_info *workload_find(const char *name)
{
    for (const struct workload_info *w = workloads; w->name; w++)
        if (!strcmp(w->name, name)) return w;
    return NULL;
}

void workload_close(struct workload *w)
{
    if (!w) return;
    ds_data_free(&w->train);
    ds_data_free(&w->test);
    free(w->images);
    free(w->tokens);
    free(w->labels);
    free(w->row_ptr);
    free(w->col);
    free(w->val);
    free(w);
}

static int load_data(struct workload *w, struct err *e)
{
    int want_train = (w->opts.load_train || !w->opts.load_test) && !w->opts.generate;
    /* Generated rows: the (small) test split stands in for the training split's shape. */
    int want_test = w->opts.load_test || !w->opts.load_train || w->opts.generate;
    if (workload_is_generated(w)) {
        /* The planted model is fixed by the data seed; test rows are a tenth of the train rows. */
        struct ds_synthetic_opts so = {0};
        so.schema = workload_schema(w);
        so.rows = w->opts.synthetic_rows;
        so.hash_bits = w->opts.hash_bits;
        so.seed = w->opts.seed;
        so.stream = 0;
        int rc = SIREN_OK;
        if (want_train) rc = ds_synthetic_make(&so, &w->train, e);
        so.rows = w->opts.synthetic_rows / 10 ? w->opts.synthetic_rows / 10 : 1;
        if (w->opts.generate && so.rows > WORKLOAD_GENERATED_TEST_ROWS)
            so.rows = WORKLOAD_GENERATED_TEST_ROWS;
        so.stream = 1;
        if (!rc && want_test) rc = ds_synthetic_make(&so, &w->test, e);
        return rc;
    }
    int rc = SIREN_OK;
    if (want_train) rc = ds_load(w->info.dataset, "train", &w->train, e);
    /* --rows N: the real training rows, then seeded augmentations of them (datasets.h). */
    if (!rc && want_train && w->opts.synthetic_rows &&
        (rc = ds_augment_resize(&w->train, w->opts.synthetic_rows, w->opts.seed, e)))
        err_prefix(e, "--rows %zu", w->opts.synthetic_rows);
    if (!rc && want_test) rc = ds_load(w->info.dataset, "test", &w->test, e);
    return rc;
}

int workload_is_newton(const struct workload *w) { return !strcmp(w->info.optimizer, "newton"); }

/* An optimizer other than the workload's default, checked against the model it trains. */
static int apply_optimizer(struct workload *w, const char *name, struct err *e)
{
    static const char *const known[] = {"sgd", "sgd-momentum", "adam", "newton"};
    const char *found = NULL;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(name, known[i])) found = known[i];
    if (!found)
        return err_set(e, SIREN_EINVAL,
                       "optimizer '%s': expected sgd, sgd-momentum, adam or newton", name);
    if (!strcmp(found, "newton") && w->model_cfg.kind != KN_MODEL_LR)
        return err_set(e, SIREN_EINVAL,
                       "optimizer newton fits logistic regression only (lr-ctr, lr-a9a, "
                       "lr-synthetic), not a %s model",
                       kn_model_kind_name(w->model_cfg.kind));
    w->info.optimizer = found;
    /* Newton steps, not passes of SGD: logistic regression needs 5 to 15. */
    if (!strcmp(found, "newton")) w->info.epochs = 20;
    return SIREN_OK;
}

/* Model configuration: the kernel's defaults for the workload, then the data's shape. */
static int configure_model(struct workload *w, struct err *e)
{
    int rc = kn_model_config_from_name(w->info.name, w->opts.batch, &w->model_cfg, e);
    if (rc) return rc;
    const struct ds_data *d = w->train.layout ? &w->train : &w->test;
    struct kn_model_config *m = &w->model_cfg;
    m->classes = d->classes;
    switch (d->layout) {
    case DS_IMAGES_U8:
        m->channels = d->channels;
        m->height = d->height;
        m->width = d->width;
        break;
    case DS_TOKENS_I32:
        m->vocab_size = d->vocab_size;
        m->seq_len = d->seq_len;
        break;
    case DS_SPARSE_CSR: {
        /* Enough weights for every feature id, or 2^hash_bits when that is fewer: the model
         * takes ids modulo its size, which for hashed ids is hashing into fewer buckets. */
        int bits = 1;
        while (bits < 31 && (1u << bits) < d->n_features) bits++;
        m->lr_log2_weights = bits < w->opts.hash_bits ? bits : w->opts.hash_bits;
        break;
    }
    }
    if (w->opts.optimizer && (rc = apply_optimizer(w, w->opts.optimizer, e))) return rc;
    /* newton keeps SGD's settings here: it takes no mini-batch steps (see trainer.c). */
    enum kn_optim_kind kind = strcmp(w->info.optimizer, "adam") ? KN_OPTIM_SGD : KN_OPTIM_ADAM;
    w->optim_cfg = kn_optim_config_default(kind);
    w->optim_cfg.lr = (float)w->info.lr;
    if (!strcmp(w->info.optimizer, "sgd-momentum")) w->optim_cfg.momentum = 0.9f;
    return SIREN_OK;
}

static int alloc_scratch(struct workload *w, struct err *e)
{
    const struct ds_data *d = w->train.layout ? &w->train : &w->test;
    size_t b = (size_t)w->opts.batch;
    w->labels = malloc(b * sizeof *w->labels);
    if (!w->labels) goto nomem;
    if (d->layout == DS_IMAGES_U8) {
        w->images = malloc(b * (size_t)(d->channels * d->height * d->width) * sizeof *w->images);
        if (!w->images) goto nomem;
    } else if (d->layout == DS_TOKENS_I32) {
        w->tokens = malloc(b * (size_t)d->seq_len * sizeof *w->tokens);
        if (!w->tokens) goto nomem;
    } else {
        w->row_ptr = malloc((b + 1) * sizeof *w->row_ptr);
        if (!w->row_ptr) goto nomem;
    }
    return SIREN_OK;
nomem:
    return err_set(e, SIREN_ENOMEM, "workload %s: out of memory", w->info.name);
}

int workload_open(const char *name, const struct workload_opts *opts, struct workload **out,
                  struct err *e)
{
    *out = NULL;
    const struct workload_info *info = workload_find(name);
    if (!info)
        return err_set(e, SIREN_ENOTFOUND,
                       "unknown workload '%s' (expected lenet-mnist, lenet-fashion, "
                       "textcnn-polarity, lr-ctr, lr-a9a, lr-synthetic or lr-criteo)",
                       name);
    struct workload *w = calloc(1, sizeof *w);
    if (!w) return err_set(e, SIREN_ENOMEM, "workload %s: out of memory", name);
    w->info = *info;
    if (opts) w->opts = *opts;
    if (w->opts.batch <= 0) w->opts.batch = info->batch;
    if (w->opts.lr > 0) w->info.lr = w->opts.lr;
    w->opts.lr = w->info.lr;
    w->info.batch = w->opts.batch;
    if (!w->opts.synthetic_rows && !strncmp(info->dataset, "synthetic", 9))
        w->opts.synthetic_rows = 100000;
    if (w->opts.hash_bits <= 0) w->opts.hash_bits = 20;
    int rc = SIREN_OK;
    if (w->opts.generate && !workload_is_generated(w))
        rc = err_set(e, SIREN_EINVAL, "generated training rows (--data generate) need a "
                     "generated data set (lr-synthetic or lr-criteo), not %s", w->info.dataset);
    if (!rc) rc = load_data(w, e);
    if (!rc) rc = configure_model(w, e);
    if (!rc) rc = alloc_scratch(w, e);
    if (rc) {
        err_prefix(e, "workload %s", name);
        workload_close(w);
        return rc;
    }
    *out = w;
    return SIREN_OK;
}

int workload_batch(struct workload *w, int test, const uint32_t *idx, int n, uint64_t seed,
                   struct kn_batch *out, struct err *e)
{
    const struct ds_data *d = test ? &w->test : &w->train;
    memset(out, 0, sizeof *out);
    if (n <= 0 || n > w->opts.batch)
        return err_set(e, SIREN_ERANGE, "batch of %d rows, expected 1..%d", n, w->opts.batch);
    for (int i = 0; i < n; i++) {
        if (idx[i] >= d->rows)
            return err_set(e, SIREN_ERANGE, "row %u of a %zu-row split", idx[i], d->rows);
        w->labels[i] = d->labels[idx[i]];
    }
    out->n = n;
    out->labels = w->labels;
    out->seed = seed;
    switch (d->layout) {
    case DS_IMAGES_U8: {
        size_t px = (size_t)(d->channels * d->height * d->width);
        for (int i = 0; i < n; i++) {
            const uint8_t *src = d->pixels + (size_t)idx[i] * px;
            float *dst = w->images + (size_t)i * px;
            for (size_t j = 0; j < px; j++) dst[j] = (float)src[j] * (1.0f / 255.0f);
        }
        out->images = w->images;
        break;
    }
    case DS_TOKENS_I32: {
        size_t L = (size_t)d->seq_len;
        for (int i = 0; i < n; i++)
            memcpy(w->tokens + (size_t)i * L, d->tokens + (size_t)idx[i] * L, L * sizeof(int32_t));
        out->tokens = w->tokens;
        break;
    }
    case DS_SPARSE_CSR: {
        size_t nnz = 0;
        for (int i = 0; i < n; i++) nnz += d->row_ptr[idx[i] + 1] - d->row_ptr[idx[i]];
        if (nnz > w->col_cap) {
            uint32_t *col = realloc(w->col, nnz * sizeof *col);
            if (col) w->col = col;
            float *val = realloc(w->val, nnz * sizeof *val);
            if (val) w->val = val;
            if (!col || !val) return err_set(e, SIREN_ENOMEM, "batch: out of memory");
            w->col_cap = nnz;
        }
        size_t at = 0;
        w->row_ptr[0] = 0;
        for (int i = 0; i < n; i++) {
            uint64_t lo = d->row_ptr[idx[i]], hi = d->row_ptr[idx[i] + 1];
            memcpy(w->col + at, d->col + lo, (hi - lo) * sizeof *w->col);
            if (d->val) memcpy(w->val + at, d->val + lo, (hi - lo) * sizeof *w->val);
            else for (uint64_t j = lo; j < hi; j++) w->val[at + (j - lo)] = 1.0f;
            at += hi - lo;
            w->row_ptr[i + 1] = at;
        }
        out->row_ptr = w->row_ptr;
        out->col = w->col;
        out->val = w->val;
        break;
    }
    }
    return SIREN_OK;
}

struct scored {
    float score;
    int32_t label;
};

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
    return (x > y) - (x < y);
}

double workload_lr_at(const struct workload *w, int epoch)
{
    return w->info.lr * pow(w->info.lr_decay, epoch - 1);
}

double workload_auc(const float *score, const int32_t *labels, size_t n)
{
    struct scored *s = malloc(n * sizeof *s);
    if (!s) return NAN;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].score = score[i];
        s[i].label = labels[i];
        pos += labels[i] == 1;
    }
    size_t neg = n - pos;
    if (pos == 0 || neg == 0) {
        free(s);
        return NAN;
    }
    qsort(s, n, sizeof *s, cmp_scored);
    /* Mann-Whitney: sum of the positives' ranks, tied scores sharing their mean rank. */
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].score == s[i].score) j++;
        double mean_rank = 0.5 * (double)(i + 1 + j); /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (s[k].label == 1) rank_sum += mean_rank;
        i = j;
    }
    free(s);
    return (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) / ((double)pos * (double)neg);
}

int workload_evaluate(struct workload *w, struct kn_model *m, int test, size_t max_rows,
                      struct workload_eval *out, struct err *e)
{
    const struct ds_data *d = test ? &w->test : &w->train;
    size_t rows = max_rows && max_rows < d->rows ? max_rows : d->rows;
    int binary = w->info.binary;
    float *prob = binary ? malloc(rows * sizeof *prob) : NULL;
    uint32_t *idx = malloc((size_t)w->opts.batch * sizeof *idx);
    int rc = SIREN_OK;
    if ((binary && !prob) || !idx) {
        rc = err_set(e, SIREN_ENOMEM, "evaluate: out of memory");
        goto out;
    }
    double loss_sum = 0.0;
    long correct = 0;
    for (size_t at = 0; at < rows; at += (size_t)w->opts.batch) {
        int n = (int)(rows - at < (size_t)w->opts.batch ? rows - at : (size_t)w->opts.batch);
        for (int i = 0; i < n; i++) idx[i] = (uint32_t)(at + (size_t)i);
        struct kn_batch b;
        struct kn_eval ev;
        rc = workload_batch(w, test, idx, n, 0, &b, e);
        if (!rc) rc = kn_model_eval(m, &b, &ev, binary ? prob + at : NULL, e);
        if (rc) goto out;
        loss_sum += ev.loss_sum;
        correct += ev.correct;
    }
    out->rows = rows;
    out->loss = rows ? loss_sum / (double)rows : (double)NAN;
    out->accuracy = rows ? (double)correct / (double)rows : (double)NAN;
    out->auc = binary ? workload_auc(prob, d->labels, rows) : (double)NAN;
out:
    free(prob);
    free(idx);
    return rc;
}

/*
 * The round events of the training function (handler.h, "kind": "rounds"): the update rules
 * under which every function's work counts. An event is a list of operations run in order:
 *   load KEY         wait for a weights object and read it into the model
 *   restore KEY      wait for a saved state (weights and optimiser state) and read both
 *   train            the listed mini-batches: optimiser steps (local SGD), or with
 *                    "gradient" the sum of rows x gradient at fixed weights, kept aside
 *   contribute KEY   PUT the weights, or the gradient sum (weights only, no state)
 *   save KEY         PUT the weights and the optimiser state
 *   reduce           read the inputs (waiting for each; one marked failed is left out),
 *                    combine them weighted (models: sum w_i x_i / sum w_i; gradient sums:
 *                    sum x_i / sum w_i, then one optimiser step on the base model, from a
 *                    restored or a fresh optimiser state) and PUT the result (and the state);
 *                    when every input failed (or none is listed), the "fallback" model (the
 *                    round's input) is the result, with the state passed on unchanged, or
 *                    without one the reduction fails
 * Every event starts with a zero optimiser state: nothing survives an invocation but what it
 * restores. Sums run over inputs in the order listed, in double, so a result does not depend
 * on which process or host computed it.
 */
#include "handler_internal.h"
#include "staging.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct round_run {
    struct fn_context *ctx;
    const struct kn_model_config *mcfg;
    struct fn_wait wait;
    size_t np;
    int have_grad; /* ctx->scratch holds a gradient sum from a train op */
};

static int op_key(const cJSON *op, const char *name, const char *where, const char **out,
                  struct err *e)
{
    int rc = json_get_string(op, name, where, out, e);
    if (!rc && kv_key_check(*out, strlen(*out), e)) {
        err_prefix(e, "%s: key '%s'", where, name);
        return SIREN_EFORMAT;
    }
    return rc;
}

/* Waits for key and decodes it into params (and o's state when o is not NULL). */
static int read_object(struct round_run *r, const char *key, float *params, struct kn_optim *o,
                       struct err *e)
{
    int present = 0;
    int rc = fn_wait_object(r->ctx->kv, key, &r->wait, &r->ctx->param_buf, &present, e);
    if (rc) return rc;
    if (!present) return err_set(e, SIREN_ENOTFOUND, "'%s': its writer failed", key);
    return params_decode(r->ctx->param_buf.data, r->ctx->param_buf.len, key, params, r->np, o, e);
}

static int write_object(struct round_run *r, const char *key, float *params,
                        const struct kn_optim *o, struct err *e)
{
    uint8_t hdr[PARAMS_HEADER_BYTES];
    struct kv_iov iov[PARAMS_IOV_MAX];
    int n = params_iov(params, r->np, o, hdr, iov);
    int rc = kv_put_iov(r->ctx->kv, key, iov, n);
    return rc ? err_set(e, rc, "%s", kv_errmsg(r->ctx->kv)) : SIREN_OK;
}

static int op_lr(const cJSON *op, const char *where, float *lr, struct err *e)
{
    double v;
    int rc = json_get_number(op, "lr", where, &v, e);
    if (rc) return rc;
    if (!(v > 0) || v > 1e6)
        return err_set(e, SIREN_EFORMAT, "%s: key 'lr': %g, expected a learning rate > 0", where, v);
    *lr = (float)v;
    return SIREN_OK;
}

/* An operation's list (key `list`: non-empty) and its "gradient" flag (absent: false). */
static int op_list_and_flag(const cJSON *op, const char *list, int may_be_empty,
                            const char *where, const cJSON **items, int *gradient, struct err *e)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(op, "gradient");
    *items = cJSON_GetObjectItemCaseSensitive(op, list);
    if (!cJSON_IsArray(*items) || (!may_be_empty && cJSON_GetArraySize(*items) == 0))
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': expected a %sarray", where, list,
                       may_be_empty ? "" : "non-empty ");
    if (g && !cJSON_IsBool(g))
        return err_set(e, SIREN_EFORMAT, "%s: key 'gradient': expected true or false", where);
    *gradient = cJSON_IsTrue(g);
    return SIREN_OK;
}

/* One mini-batch of a train op: an optimiser step, or (gradient) rows x its gradient added
 * to acc. *loss: its mean loss; *rows: its rows. */
static int train_batch(struct round_run *r, const cJSON *bt, const char *where, int gradient,
                       float *acc, float *loss, float *rows, struct err *e)
{
    struct fn_context *ctx = r->ctx;
    const char *data = "generated rows";
    long long seed;
    int rc;
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(bt, "generate");
    uint8_t *made = NULL; /* the generated batch's object (--data generate) */
    size_t made_len = 0;
    if ((rc = json_get_int(bt, "seed", where, &seed, e))) return rc;
    if (gen) {
        /* The batch's rows are made here, from the generator's seed and row range. */
        long long gseed, bits, first, count;
        if ((rc = json_get_int(gen, "seed", where, &gseed, e)) ||
            (rc = json_get_int(gen, "hash_bits", where, &bits, e)) ||
            (rc = json_get_int(gen, "first_row", where, &first, e)) ||
            (rc = json_get_int(gen, "rows", where, &count, e)))
            return rc;
        if (gseed < 0 || bits < 1 || bits > 30 || first < 0 || count < 1 || count > 1000000)
            return err_set(e, SIREN_EINVAL, "%s: generate: expected seed >= 0, hash_bits 1..30, "
                           "first_row >= 0 and 1..1000000 rows", where);
        /* The rows' shape: lr-synthetic's unless named. */
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(gen, "schema");
        int shape = DS_SCHEMA_CTR;
        if (schema && !(cJSON_IsString(schema) && !strcmp(schema->valuestring, "criteo")))
            return err_set(e, SIREN_EINVAL, "%s: generate: schema: expected \"criteo\" or no "
                           "schema (lr-synthetic's rows)", where);
        if (schema) shape = DS_SCHEMA_CRITEO;
        if ((rc = staging_generated_batch(shape, (uint64_t)gseed, (int)bits, (size_t)first,
                                          (size_t)count, &made, &made_len, e)))
            return rc;
    } else {
        if ((rc = op_key(bt, "data", where, &data, e))) return rc;
        if ((rc = kv_get_into(ctx->kv, data, &ctx->shard_buf)))
            return err_set(e, rc, "%s", kv_errmsg(ctx->kv));
    }
    struct shard_view sv;
    struct kn_batch b;
    if ((rc = shard_decode(made ? made : ctx->shard_buf.data, made ? made_len : ctx->shard_buf.len,
                           data, &sv, e)) ||
        (rc = fn_batch_from_shard(&sv, r->mcfg, (uint64_t)seed, &ctx->images, &ctx->images_cap,
                                  &b, e))) {
        free(made);
        return rc;
    }
    if (gradient) {
        rc = kn_model_loss_grad(ctx->model, &b, loss, e);
        const float *grad = kn_model_grads(ctx->model);
        float w = (float)b.n;
        for (size_t j = 0; !rc && j < r->np; j++) acc[j] += w * grad[j];
    } else {
        rc = kn_model_train_step(ctx->model, &b, &ctx->optim, loss, e);
    }
    if (rc) err_prefix(e, "%s", data);
    *rows = (float)b.n;
    free(made);
    return rc;
}

/* train: the mini-batches in order; their mean losses summed into the result's loss_sum. */
static int op_train(struct round_run *r, const cJSON *op, const char *where, cJSON *out,
                    struct err *e)
{
    struct fn_context *ctx = r->ctx;
    const cJSON *batches;
    int gradient;
    int rc = op_list_and_flag(op, "batches", 0, where, &batches, &gradient, e);
    if (rc) return rc;
    float lr = 0.0f;
    if (!gradient && (rc = op_lr(op, where, &lr, e))) return rc;
    ctx->optim.cfg.lr = lr;
    float *acc = ctx->scratch;
    if (gradient && !r->have_grad) memset(acc, 0, r->np * sizeof *acc);
    double loss_sum = 0.0, rows = 0.0, t0 = fn_now_ms();
    int steps = 0;
    const cJSON *bt;
    cJSON_ArrayForEach(bt, batches)
    {
        char bwhere[96];
        snprintf(bwhere, sizeof bwhere, "%s: batches[%d]", where, steps);
        float loss = 0.0f, n = 0.0f;
        if ((rc = train_batch(r, bt, bwhere, gradient, acc, &loss, &n, e))) return rc;
        loss_sum += (double)loss;
        rows += (double)n;
        steps++;
    }
    r->have_grad = gradient;
    cJSON_AddNumberToObject(out, "steps", steps);
    cJSON_AddNumberToObject(out, "rows", rows);
    cJSON_AddNumberToObject(out, "loss_sum", loss_sum);
    cJSON_AddNumberToObject(out, "compute_ms", fn_now_ms() - t0);
    return SIREN_OK;
}

static void optim_zero(struct kn_optim *o)
{
    if (o->m) memset(o->m, 0, o->n * sizeof *o->m);
    if (o->v) memset(o->v, 0, o->n * sizeof *o->v);
    o->t = 0;
}

/* reduce: see the file's comment. */
static int op_reduce(struct round_run *r, const cJSON *op, const char *where, cJSON *out,
                     struct err *e)
{
    struct fn_context *ctx = r->ctx;
    const cJSON *inputs;
    const char *dest;
    int gradient;
    const char *state_in = NULL, *state_out = NULL; /* a gradient rule's optimiser state */
    int rc = op_key(op, "out", where, &dest, e);
    if (rc || (rc = op_list_and_flag(op, "inputs", 1, where, &inputs, &gradient, e))) return rc;
    if (cJSON_GetObjectItemCaseSensitive(op, "state_in") &&
        (rc = op_key(op, "state_in", where, &state_in, e)))
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(op, "state_out") &&
        (rc = op_key(op, "state_out", where, &state_out, e)))
        return rc;
    float *x = ctx->base, *params = kn_model_params(ctx->model);
    double *sum = calloc(r->np ? r->np : 1, sizeof *sum), total = 0.0;
    if (!sum) return err_set(e, SIREN_ENOMEM, "%s: out of memory", where);
    int used = 0, k = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs)
    {
        char iwhere[96];
        snprintf(iwhere, sizeof iwhere, "%s: inputs[%d]", where, k++);
        const char *key;
        double w;
        int present = 0;
        if ((rc = op_key(in, "key", iwhere, &key, e)) ||
            (rc = json_get_number(in, "weight", iwhere, &w, e)))
            goto out;
        if (!(w > 0)) {
            rc = err_set(e, SIREN_EFORMAT, "%s: key 'weight': %g, expected > 0", iwhere, w);
            goto out;
        }
        if ((rc = fn_wait_object(ctx->kv, key, &r->wait, &ctx->param_buf, &present, e)))
            goto out;
        if (!present) continue; /* its writer died: the others are averaged */
        if ((rc = params_decode(ctx->param_buf.data, ctx->param_buf.len, key, x, r->np, NULL, e)))
            goto out;
        double scale = gradient ? 1.0 : w;
        for (size_t j = 0; j < r->np; j++) sum[j] += scale * (double)x[j];
        total += w;
        used++;
    }
    if (used == 0) {
        /* Nothing trained this round: its input model stands. */
        const char *fallback;
        if (!cJSON_GetObjectItemCaseSensitive(op, "fallback")) {
            rc = err_set(e, SIREN_ENOTFOUND, "%s: every input's writer failed", where);
            goto out;
        }
        if ((rc = op_key(op, "fallback", where, &fallback, e)) ||
            (rc = read_object(r, fallback, params, NULL, e)) ||
            (rc = write_object(r, dest, params, NULL, e)))
            goto out;
        /* The optimiser state passes on unchanged too (a gradient rule's next round reads it). */
        if (state_out) {
            optim_zero(&ctx->optim);
            float *scratch = ctx->base; /* the state's copy of the weights is not kept */
            if (state_in && (rc = read_object(r, state_in, scratch, &ctx->optim, e))) goto out;
            rc = write_object(r, state_out, params, &ctx->optim, e);
        }
        goto out;
    }
    if (!gradient) {
        for (size_t j = 0; j < r->np; j++) params[j] = (float)(sum[j] / total);
        rc = write_object(r, dest, params, NULL, e);
        goto out;
    }
    /* One optimiser step on the base model with the mean gradient. */
    const char *base;
    float lr;
    if ((rc = op_key(op, "base", where, &base, e)) || (rc = op_lr(op, where, &lr, e))) goto out;
    if (state_in && (rc = read_object(r, state_in, params, &ctx->optim, e))) goto out;
    if ((rc = read_object(r, base, params, NULL, e))) goto out;
    for (size_t j = 0; j < r->np; j++) x[j] = (float)(sum[j] / total);
    ctx->optim.cfg.lr = lr;
    kn_optim_step(&ctx->optim, params, x);
    if ((rc = write_object(r, dest, params, NULL, e))) goto out;
    if (state_out) rc = write_object(r, state_out, params, &ctx->optim, e);
out:
    free(sum);
    if (!rc) {
        cJSON_AddNumberToObject(out, "inputs", used);
        cJSON_AddNumberToObject(out, "weight", total);
    }
    return rc;
}

int fn_handle_rounds(const cJSON *event, struct fn_context *ctx, cJSON *response, struct err *e)
{
    const char *url;
    long long epoch, fn;
    struct kn_model_config mcfg;
    struct kn_optim_config ocfg;
    struct round_run r = {0};
    int rc;
    if ((rc = json_get_string(event, "kv", "event", &url, e)) ||
        (rc = json_get_int(event, "epoch", "event", &epoch, e)) ||
        (rc = json_get_int(event, "function", "event", &fn, e)))
        return rc;
    if ((rc = fn_wait_parse(event, &r.wait, e))) return rc;
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(event, "ops");
    if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) == 0)
        return err_set(e, SIREN_EFORMAT, "event: key 'ops': expected a non-empty array");
    if ((rc = fn_model_config_from_json(cJSON_GetObjectItemCaseSensitive(event, "model"), &mcfg,
                                        e)) ||
        (rc = fn_optim_config_from_json(cJSON_GetObjectItemCaseSensitive(event, "optimizer"),
                                        &ocfg, e)) ||
        (rc = fn_context_kv(ctx, url, e)) || (rc = fn_context_model(ctx, &mcfg, &ocfg, e)))
        return rc;
    r.ctx = ctx;
    r.mcfg = &mcfg;
    r.np = kn_model_num_params(ctx->model);
    if ((rc = fn_context_scratch(ctx, r.np, 1, e))) return rc;
    optim_zero(&ctx->optim);
    float *params = kn_model_params(ctx->model);
    struct kv_stats before, after;
    kv_stats_get(ctx->kv, &before);
    cJSON *results = cJSON_AddArrayToObject(response, "ops");
    int i = 0;
    const cJSON *op;
    cJSON_ArrayForEach(op, ops)
    {
        char where[48];
        snprintf(where, sizeof where, "event: ops[%d]", i++);
        const char *name, *key;
        if ((rc = json_get_string(op, "op", where, &name, e))) return rc;
        cJSON *res = cJSON_CreateObject();
        cJSON_AddItemToArray(results, res);
        cJSON_AddStringToObject(res, "op", name);
        double t0 = fn_now_ms();
        if (!strcmp(name, "load")) {
            rc = op_key(op, "key", where, &key, e);
            if (!rc) rc = read_object(&r, key, params, NULL, e);
        } else if (!strcmp(name, "restore")) {
            rc = op_key(op, "key", where, &key, e);
            if (!rc) rc = read_object(&r, key, params, &ctx->optim, e);
        } else if (!strcmp(name, "train")) {
            rc = op_train(&r, op, where, res, e);
        } else if (!strcmp(name, "contribute")) {
            rc = op_key(op, "key", where, &key, e);
            if (!rc) rc = write_object(&r, key, r.have_grad ? ctx->scratch : params, NULL, e);
            r.have_grad = 0;
        } else if (!strcmp(name, "save")) {
            rc = op_key(op, "key", where, &key, e);
            if (!rc) rc = write_object(&r, key, params, &ctx->optim, e);
        } else if (!strcmp(name, "reduce")) {
            rc = op_reduce(&r, op, where, res, e);
            r.have_grad = 0;
        } else {
            rc = err_set(e, SIREN_EFORMAT, "%s: key 'op': '%.32s', expected load, restore, "
                         "train, contribute, save or reduce", where, name);
        }
        if (rc) return rc;
        cJSON_AddNumberToObject(res, "ms", fn_now_ms() - t0);
    }
    kv_stats_get(ctx->kv, &after);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    cJSON_AddNumberToObject(response, "epoch", (double)epoch);
    cJSON_AddNumberToObject(response, "function", (double)fn);
    cJSON_AddNumberToObject(response, "wait_ms", r.wait.waited_ms);
    cJSON_AddNumberToObject(response, "kv_gets",
                            (double)(after.gets - before.gets - r.wait.watch_gets));
    cJSON_AddNumberToObject(response, "kv_puts", (double)(after.puts - before.puts));
    cJSON_AddNumberToObject(response, "bytes_read", (double)(after.bytes_out - before.bytes_out));
    cJSON_AddNumberToObject(response, "bytes_written", (double)(after.bytes_in - before.bytes_in));
    cJSON_AddNumberToObject(response, "max_rss_mb", (double)ru.ru_maxrss / 1024.0);
    return SIREN_OK;
}

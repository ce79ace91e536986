/* fn_handle: the training function's body (see handler.h). */
#include "handler.h"
#include "handler_internal.h"

#include "shard.h"

#include "sandbox.h"
#include "store.h"

#include <errno.h>
#include <stddef.h>
#include <linux/magic.h>
#include <math.h>
#include <sys/vfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

void fn_context_free(struct fn_context *ctx)
{
    if (!ctx) return;
    kv_close(ctx->kv);
    kn_model_free(ctx->model);
    kn_optim_free(&ctx->optim);
    kv_buf_free(&ctx->shard_buf);
    kv_buf_free(&ctx->param_buf);
    free(ctx->images);
    free(ctx->scratch);
    free(ctx->base);
    memset(ctx, 0, sizeof *ctx);
}

int fn_context_scratch(struct fn_context *ctx, size_t n, int both, struct err *e)
{
    if (n > ctx->scratch_cap || (both && !ctx->base)) {
        free(ctx->scratch);
        free(ctx->base);
        ctx->base = NULL;
        ctx->scratch_cap = 0;
        ctx->scratch = malloc((n ? n : 1) * sizeof *ctx->scratch);
        if (both && ctx->scratch) ctx->base = malloc((n ? n : 1) * sizeof *ctx->base);
        if (!ctx->scratch || (both && !ctx->base))
            return err_set(e, SIREN_ENOMEM, "function: out of memory");
        ctx->scratch_cap = n;
    }
    return SIREN_OK;
}

int fn_context_model(struct fn_context *ctx, const struct kn_model_config *mcfg,
                         const struct kn_optim_config *ocfg, struct err *e)
{
    if (ctx->model && !memcmp(&ctx->model_cfg, mcfg, sizeof *mcfg) &&
        !memcmp(&ctx->optim_cfg, ocfg, sizeof *ocfg))
        return SIREN_OK;
    kn_model_free(ctx->model);
    kn_optim_free(&ctx->optim);
    ctx->model = NULL;
    memset(&ctx->optim, 0, sizeof ctx->optim);
    int rc = kn_model_create(mcfg, &ctx->model, e);
    if (!rc) rc = kn_optim_init(&ctx->optim, ocfg, kn_model_num_params(ctx->model), e);
    if (rc) {
        kn_model_free(ctx->model);
        ctx->model = NULL;
        return rc;
    }
    ctx->model_cfg = *mcfg;
    ctx->optim_cfg = *ocfg;
    return SIREN_OK;
}

/* ------------------------------------------------------------ configurations as JSON */

/* A number of a configuration sent in an event: its key (the member's name), its place in
 * the struct, and for an int member the bounds a decoded value must keep (a float member
 * takes any finite number). One list per struct drives both the encoder and the decoder,
 * so the two always agree on the keys, their order and their types. */
struct cfg_field {
    const char *key;
    size_t offset;
    int is_float;
    int lo, hi;
};
#define CFG_COUNT(a) (sizeof(a) / sizeof *(a))

#define MODEL_INT(f, lo, hi) {#f, offsetof(struct kn_model_config, f), 0, lo, hi}
#define MODEL_FLOAT(f) {#f, offsetof(struct kn_model_config, f), 1, 0, 0}
static const struct cfg_field model_fields[] = {
    MODEL_INT(max_batch, 1, 1 << 20),  MODEL_INT(classes, 2, 1 << 16),
    MODEL_INT(lr_log2_weights, 0, 30), MODEL_FLOAT(lr_l2),
    MODEL_INT(channels, 0, 4096),      MODEL_INT(height, 0, 65536),
    MODEL_INT(width, 0, 65536),        MODEL_INT(vocab_size, 0, 1 << 26),
    MODEL_INT(seq_len, 0, 1 << 20),    MODEL_INT(embed_dim, 0, 1 << 16),
    MODEL_INT(n_maps, 0, 1 << 16),     MODEL_FLOAT(dropout),
};
#undef MODEL_INT
#undef MODEL_FLOAT

#define OPTIM_FLOAT(f) {#f, offsetof(struct kn_optim_config, f), 1, 0, 0}
static const struct cfg_field optim_fields[] = {
    OPTIM_FLOAT(lr),   OPTIM_FLOAT(momentum), OPTIM_FLOAT(beta1),
    OPTIM_FLOAT(beta2), OPTIM_FLOAT(eps),     OPTIM_FLOAT(weight_decay),
};
#undef OPTIM_FLOAT

/* {"kind": kind, then each field of cfg} (NULL when out of memory). */
static cJSON *cfg_to_json(const char *kind, const void *cfg, const struct cfg_field *f,
                          size_t n)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddStringToObject(j, "kind", kind);
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)cfg + f[i].offset;
        double v = f[i].is_float ? (double)*(const float *)(const void *)p
                                 : (double)*(const int *)(const void *)p;
        cJSON_AddNumberToObject(j, f[i].key, v);
    }
    return j;
}

cJSON *fn_model_config_to_json(const struct kn_model_config *m)
{
    return cfg_to_json(kn_model_kind_name(m->kind), m, model_fields, CFG_COUNT(model_fields));
}

static int get_int_field(const cJSON *j, const char *key, const char *where, int lo, int hi,
                         int *out, struct err *e)
{
    long long v;
    int rc = json_get_int(j, key, where, &v, e);
    if (rc) return rc;
    if (v < lo || v > hi)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': %lld is outside %d..%d", where, key, v,
                       lo, hi);
    *out = (int)v;
    return SIREN_OK;
}

static int get_float_field(const cJSON *j, const char *key, const char *where, float *out,
                           struct err *e)
{
    double d;
    int rc = json_get_number(j, key, where, &d, e);
    if (!rc) *out = (float)d;
    return rc;
}

/* Each field of cfg from j, in order; stops at the first missing, mistyped or out-of-range
 * one (SIREN_EFORMAT naming where and the key). */
static int cfg_from_json(const cJSON *j, const char *where, const struct cfg_field *f, size_t n,
                         void *cfg, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        void *p = (char *)cfg + f[i].offset;
        int rc = f[i].is_float ? get_float_field(j, f[i].key, where, p, e)
                               : get_int_field(j, f[i].key, where, f[i].lo, f[i].hi, p, e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

int fn_model_config_from_json(const cJSON *j, struct kn_model_config *out, struct err *e)
{
    const char *w = "event: model";
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(j)) return err_set(e, SIREN_EFORMAT, "event: key 'model': expected an object");
    const char *kind;
    int rc = json_get_string(j, "kind", w, &kind, e);
    if (rc) return rc;
    for (int k = KN_MODEL_LR; k <= KN_MODEL_TEXTCNN; k++)
        if (!strcmp(kind, kn_model_kind_name((enum kn_model_kind)k))) out->kind = (enum kn_model_kind)k;
    if (!out->kind) return err_set(e, SIREN_EFORMAT, "%s: key 'kind': unknown model '%s'", w, kind);
    return cfg_from_json(j, w, model_fields, CFG_COUNT(model_fields), out, e);
}

cJSON *fn_optim_config_to_json(const struct kn_optim_config *o)
{
    return cfg_to_json(o->kind == KN_OPTIM_ADAM ? "adam" : "sgd", o, optim_fields,
                       CFG_COUNT(optim_fields));
}

int fn_optim_config_from_json(const cJSON *j, struct kn_optim_config *out, struct err *e)
{
    const char *w = "event: optimizer";
    if (!cJSON_IsObject(j))
        return err_set(e, SIREN_EFORMAT, "event: key 'optimizer': expected an object");
    const char *kind;
    int rc = json_get_string(j, "kind", w, &kind, e);
    if (rc) return rc;
    if (strcmp(kind, "sgd") && strcmp(kind, "adam"))
        return err_set(e, SIREN_EFORMAT, "%s: key 'kind': '%s', expected sgd or adam", w, kind);
    *out = kn_optim_config_default(strcmp(kind, "adam") ? KN_OPTIM_SGD : KN_OPTIM_ADAM);
    return cfg_from_json(j, w, optim_fields, CFG_COUNT(optim_fields), out, e);
}

/* ------------------------------------------------------------------- the handler */

/* A step of an event: a training step (read a version, step the optimiser, write the next),
 * and for BSP a gradient step (write the gradient, no version) or the leader's aggregation
 * (average the round's gradients into the next version). */
enum step_kind { STEP_TRAIN = 0, STEP_GRADIENT, STEP_AGGREGATE };

struct step_keys {
    enum step_kind kind;
    const char *data;          /* TRAIN, GRADIENT: the batch shard */
    const char *grad;          /* GRADIENT: where the gradient goes */
    const cJSON *grads;        /* AGGREGATE: the round's gradient keys (borrowed) */
    int64_t read, base, write; /* versions; base < 0 without apply */
    uint64_t seed;
};

void fn_version_key(const char *prefix, int64_t version, int failed, char *buf, size_t buflen)
{
    if (version < 0) snprintf(buf, buflen, "%scurrent", prefix);
    else snprintf(buf, buflen, "%sv%08lld%s", prefix, (long long)version, failed ? "-failed" : "");
}

double fn_now_ms(void) { return clock_mono_s() * 1e3; }

void fn_sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The owner record at w->owner_key, compared with the event's: SIREN_OK while it is the same
 * and its process is not known to be gone; else SIREN_ENOTFOUND saying what happened. */
static int watch_owner(struct kv *kv, struct fn_wait *w, const char *what, const char *key,
                       struct err *e)
{
    struct kv_value v;
    w->watch_gets++;
    int rc = kv_get(kv, w->owner_key, &v);
    if (rc == SIREN_ENOTFOUND)
        return err_set(e, SIREN_ENOTFOUND, "job '%s' is gone from the store (its owner record "
                       "'%s' was deleted) while waiting for %s '%s'", w->job, w->owner_key,
                       what, key);
    if (rc) return SIREN_OK; /* a store that falters now is the wait's own business */
    int same = v.len == strlen(w->owner) && !memcmp(v.data, w->owner, v.len);
    kv_value_free(&v);
    if (!same)
        return err_set(e, SIREN_ENOTFOUND, "job '%s' was taken over by another coordinator "
                       "while waiting for %s '%s'", w->job, what, key);
    struct store_owner o;
    struct err ignore;
    if (store_owner_decode(w->owner, strlen(w->owner), w->owner_key, &o, &ignore) ||
        store_owner_liveness(&o) != STORE_GONE)
        return SIREN_OK;
    char who[256];
    store_owner_describe(&o, who, sizeof who);
    return err_set(e, SIREN_ENOTFOUND, "job '%s': its coordinator is gone (%s) while waiting "
                   "for %s '%s'", w->job, who, what, key);
}

int fn_wait_check(struct kv *kv, struct fn_wait *w, double start_ms, double *next_watch_ms,
                  const char *what, const char *key, struct err *e)
{
    double now = fn_now_ms();
    if (now - start_ms > w->wait_ms)
        return err_set(e, SIREN_ETIMEOUT, "job '%s': %s '%s' did not appear within %.0f ms (the "
                       "bound its epoch's plan allows): its job or coordinator is gone, or this "
                       "host runs far slower than planned", w->job, what, key, w->wait_ms);
    if (!w->owner_key || now < *next_watch_ms) return SIREN_OK;
    *next_watch_ms = now + FN_WATCH_MS;
    return watch_owner(kv, w, what, key, e);
}

int fn_wait_parse(const cJSON *event, struct fn_wait *w, struct err *e)
{
    memset(w, 0, sizeof *w);
    w->wait_ms = 60000.0;
    w->job = "?";
    int rc;
    if (cJSON_GetObjectItemCaseSensitive(event, "wait_ms") &&
        (rc = json_get_number(event, "wait_ms", "event", &w->wait_ms, e)))
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(event, "job") &&
        (rc = json_get_string(event, "job", "event", &w->job, e)))
        return rc;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(event, "owner_key");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(event, "owner");
    if (!k && !o) return SIREN_OK;
    if ((rc = json_get_string(event, "owner_key", "event", &w->owner_key, e)) ||
        (rc = json_get_string(event, "owner", "event", &w->owner, e)))
        return rc;
    if (kv_key_check(w->owner_key, strlen(w->owner_key), e))
        return err_prefix(e, "event: key 'owner_key'");
    return SIREN_OK;
}

/* GETs parameter version v into out, or straight into the pieces iov[0..n_iov) when iov is
 * not NULL (kv_get_iov: SIREN_ERANGE when the object does not fit them), waiting (as w says)
 * while it does not exist yet: a planned version another function is still writing. A
 * version marked failed resolves to the newest earlier one. *got is the version read and key
 * its key. */
static int get_version(struct kv *kv, const char *prefix, int64_t v, struct fn_wait *w,
                       struct kv_buf *out, const struct kv_iov *iov, int n_iov, int64_t *got,
                       char *key, size_t keylen, struct err *e)
{
    double start = fn_now_ms(), pause = 0.1, next_watch = start + FN_WATCH_MS;
    int retried = 0;
    for (;; retried = 1) {
        fn_version_key(prefix, v, 0, key, keylen);
        int rc = iov ? kv_get_iov(kv, key, iov, n_iov) : kv_get_into(kv, key, out);
        if (rc != SIREN_ENOTFOUND || v == FN_CURRENT) {
            if (retried) w->waited_ms += fn_now_ms() - start;
            *got = v;
            return rc ? err_set(e, rc, "%s", kv_errmsg(kv)) : SIREN_OK;
        }
        char failed[1100];
        struct kv_value marker;
        fn_version_key(prefix, v, 1, failed, sizeof failed);
        rc = kv_get(kv, failed, &marker);
        if (rc == SIREN_OK) {
            kv_value_free(&marker);
            if (v == 0)
                return err_set(e, SIREN_ENOTFOUND, "%s: version 0 is marked failed", prefix);
            v--; /* its writer died: the newest earlier version stands in for it */
            continue;
        }
        if (rc != SIREN_ENOTFOUND) return err_set(e, rc, "%s", kv_errmsg(kv));
        if ((rc = fn_wait_check(kv, w, start, &next_watch, "parameter version", key, e)))
            return rc;
        fn_sleep_ms(pause);
        if (pause < 5.0) pause *= 2;
    }
}

/* GETs parameter version v (as get_version) into params (np floats) and o's state: straight
 * into the model's arrays when the object is exactly what they hold (one copy, from the store
 * into the model, instead of two through a buffer), otherwise whole into the context's buffer
 * and through params_decode, which also names what is wrong. The same bits either way. */
static int read_params(struct fn_context *ctx, const char *prefix, int64_t v, struct fn_wait *w,
                       float *params, size_t np, struct kn_optim *o, int64_t *got, char *key,
                       size_t keylen, struct err *e)
{
    uint8_t hdr[PARAMS_HEADER_BYTES];
    struct kv_iov iov[PARAMS_IOV_MAX];
    int n = params_iov(params, np, o, hdr, iov);
    int rc = get_version(ctx->kv, prefix, v, w, NULL, iov, n, got, key, keylen, e);
    if (rc == SIREN_OK && params_iov_took(hdr, np, o)) return SIREN_OK;
    if (rc != SIREN_OK && rc != SIREN_ERANGE) return rc;
    if ((rc = kv_get_into(ctx->kv, key, &ctx->param_buf)))
        return err_set(e, rc, "%s", kv_errmsg(ctx->kv));
    return params_decode(ctx->param_buf.data, ctx->param_buf.len, key, params, np, o, e);
}

/* PUTs params (np floats) and o's state (o may be NULL) as a parameter object under key,
 * written from the model's arrays where they are. */
static int put_params(struct fn_context *ctx, const char *key, float *params, size_t np,
                      const struct kn_optim *o, struct err *e)
{
    uint8_t hdr[PARAMS_HEADER_BYTES];
    struct kv_iov iov[PARAMS_IOV_MAX];
    int n = params_iov(params, np, o, hdr, iov);
    int rc = kv_put_iov(ctx->kv, key, iov, n);
    return rc ? err_set(e, rc, "%s", kv_errmsg(ctx->kv)) : SIREN_OK;
}

static int parse_steps(const cJSON *event, int apply, struct step_keys **out, int *count,
                       struct err *e)
{
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(event, "steps");
    if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) == 0)
        return err_set(e, SIREN_EFORMAT, "event: key 'steps': expected a non-empty array");
    int n = cJSON_GetArraySize(steps);
    struct step_keys *k = calloc((size_t)n, sizeof *k);
    if (!k) return err_set(e, SIREN_ENOMEM, "event: out of memory");
    int i = 0, rc = SIREN_OK;
    const cJSON *s;
    cJSON_ArrayForEach(s, steps)
    {
        char where[48];
        snprintf(where, sizeof where, "event: steps[%d]", i);
        long long seed, rd, wr, base = -1;
        const cJSON *agg = cJSON_GetObjectItemCaseSensitive(s, "aggregate");
        if (agg) {
            k[i].kind = STEP_AGGREGATE;
            k[i].grads = agg;
            if ((rc = json_get_int(s, "read", where, &rd, e)) ||
                (rc = json_get_int(s, "write", where, &wr, e)))
                break;
            const cJSON *g;
            int bad = !cJSON_IsArray(agg) || rd < 0 || wr != rd + 1;
            cJSON_ArrayForEach(g, agg) bad |= !cJSON_IsString(g) ||
                                             kv_key_check(g->valuestring, strlen(g->valuestring), NULL);
            if (bad) {
                rc = err_set(e, SIREN_EFORMAT, "%s: an aggregation needs 'aggregate' (gradient "
                             "keys), 'read' r >= 0 and 'write' r + 1", where);
                break;
            }
            k[i].read = rd;
            k[i].write = wr;
            k[i].base = -1;
            i++;
            continue;
        }
        const cJSON *grad = cJSON_GetObjectItemCaseSensitive(s, "grad");
        if (grad) {
            k[i].kind = STEP_GRADIENT;
            if ((rc = json_get_string(s, "data", where, &k[i].data, e)) ||
                (rc = json_get_string(s, "grad", where, &k[i].grad, e)) ||
                (rc = json_get_int(s, "read", where, &rd, e)) ||
                (rc = json_get_int(s, "seed", where, &seed, e)))
                break;
            if (rd < 0 || (rc = kv_key_check(k[i].grad, strlen(k[i].grad), e)) ||
                (rc = kv_key_check(k[i].data, strlen(k[i].data), e))) {
                rc = err_set(e, SIREN_EFORMAT, "%s: a gradient step needs 'read' >= 0 and valid "
                             "'data' and 'grad' keys", where);
                break;
            }
            k[i].read = rd;
            k[i].write = k[i].base = -1;
            k[i].seed = (uint64_t)seed;
            i++;
            continue;
        }
        if ((rc = json_get_string(s, "data", where, &k[i].data, e)) ||
            (rc = json_get_int(s, "read", where, &rd, e)) ||
            (rc = json_get_int(s, "write", where, &wr, e)) ||
            (apply && (rc = json_get_int(s, "base", where, &base, e))) ||
            (rc = json_get_int(s, "seed", where, &seed, e)))
            break;
        /* Planned versions satisfy read <= base < write; -1 everywhere is the wall clock's
         * single lock-free object, read and overwritten in place. */
        int current = rd == FN_CURRENT && wr == FN_CURRENT && (!apply || base == FN_CURRENT);
        if (!current && (rd < 0 || wr <= rd || (apply && (base < rd || base >= wr)))) {
            rc = err_set(e, SIREN_EFORMAT, "%s: versions read %lld, base %lld, write %lld: "
                         "expected 0 <= read <= base < write", where, rd, base, wr);
            break;
        }
        k[i].read = rd;
        k[i].write = wr;
        k[i].base = base;
        k[i].seed = (uint64_t)seed;
        if ((rc = kv_key_check(k[i].data, strlen(k[i].data), e))) {
            err_prefix(e, "%s: key 'data'", where);
            break;
        }
        i++;
    }
    if (rc) {
        free(k);
        return rc;
    }
    *out = k;
    *count = n;
    return SIREN_OK;
}

int fn_context_kv(struct fn_context *ctx, const char *url, struct err *e)
{
    if (ctx->kv && !strcmp(ctx->kv_url, url)) return SIREN_OK;
    kv_close(ctx->kv);
    ctx->kv = NULL;
    int rc = kv_open(url, &ctx->kv, e);
    if (rc) return rc;
    snprintf(ctx->kv_url, sizeof ctx->kv_url, "%s", url);
    return SIREN_OK;
}

int fn_batch_from_shard(const struct shard_view *v, const struct kn_model_config *m,
                            uint64_t seed, float **images, size_t *cap, struct kn_batch *b,
                            struct err *e)
{
    memset(b, 0, sizeof *b);
    if ((int)v->n > m->max_batch)
        return err_set(e, SIREN_EFORMAT, "batch of %u rows, the model takes at most %d", v->n,
                       m->max_batch);
    b->n = (int)v->n;
    b->labels = v->labels;
    b->seed = seed;
    if (v->layout == DS_IMAGES_U8) {
        size_t px = (size_t)v->channels * (size_t)v->height * (size_t)v->width;
        if (v->channels != m->channels || v->height != m->height || v->width != m->width)
            return err_set(e, SIREN_EFORMAT, "images of %dx%dx%d, the model takes %dx%dx%d",
                           v->channels, v->height, v->width, m->channels, m->height, m->width);
        if (v->n * px > *cap) {
            float *p = realloc(*images, v->n * px * sizeof *p);
            if (!p) return err_set(e, SIREN_ENOMEM, "batch: out of memory");
            *images = p;
            *cap = v->n * px;
        }
        for (size_t i = 0; i < v->n * px; i++) (*images)[i] = (float)v->pixels[i] * (1.0f / 255.0f);
        b->images = *images;
    } else if (v->layout == DS_TOKENS_I32) {
        if (v->seq_len != m->seq_len)
            return err_set(e, SIREN_EFORMAT, "sentences of %d tokens, the model takes %d",
                           v->seq_len, m->seq_len);
        b->tokens = v->tokens;
    } else {
        b->row_ptr = v->row_ptr;
        b->col = v->col;
        b->val = v->val;
    }
    return SIREN_OK;
}

int fn_wait_object(struct kv *kv, const char *key, struct fn_wait *w, struct kv_buf *out,
                   int *present, struct err *e)
{
    double start = fn_now_ms(), pause = 0.1, next_watch = start + FN_WATCH_MS;
    char failed[1100];
    snprintf(failed, sizeof failed, "%s-failed", key);
    for (int retried = 0;; retried = 1) {
        int rc = kv_get_into(kv, key, out);
        if (rc != SIREN_ENOTFOUND) {
            if (retried) w->waited_ms += fn_now_ms() - start;
            *present = rc == SIREN_OK;
            return rc ? err_set(e, rc, "%s", kv_errmsg(kv)) : SIREN_OK;
        }
        struct kv_value marker;
        if ((rc = kv_get(kv, failed, &marker)) == SIREN_OK) {
            kv_value_free(&marker);
            *present = 0;
            return SIREN_OK;
        }
        if (rc != SIREN_ENOTFOUND) return err_set(e, rc, "%s", kv_errmsg(kv));
        if ((rc = fn_wait_check(kv, w, start, &next_watch, "object", key, e))) return rc;
        fn_sleep_ms(pause);
        if (pause < 5.0) pause *= 2;
    }
}

/* The function's own optimiser state from key (weights and state, as params_encode writes them;
 * the weights are overwritten by the version its step reads), or a fresh one when key is NULL
 * or the function has saved none yet. */
static int load_state(struct fn_context *ctx, const char *key, size_t np, struct err *e)
{
    struct kn_optim *o = &ctx->optim;
    int rc = key ? kv_get_into(ctx->kv, key, &ctx->param_buf) : SIREN_ENOTFOUND;
    if (rc == SIREN_ENOTFOUND) {
        if (o->m) memset(o->m, 0, o->n * sizeof *o->m);
        if (o->v) memset(o->v, 0, o->n * sizeof *o->v);
        o->t = 0;
        return SIREN_OK;
    }
    if (rc) return err_set(e, rc, "%s", kv_errmsg(ctx->kv));
    return params_decode(ctx->param_buf.data, ctx->param_buf.len, key,
                         kn_model_params(ctx->model), np, o, e);
}

/* BSP's leader: version read + the optimiser step on the mean of the round's gradients ->
 * version write. Gradients whose writers died are left out of the mean. sum is scratch of
 * num_params floats. */
static int aggregate_round(struct fn_context *ctx, const char *prefix, const struct step_keys *k,
                           struct fn_wait *w, float *sum, struct err *e)
{
    struct kn_model *m = ctx->model;
    size_t np = kn_model_num_params(m);
    float *params = kn_model_params(m), *grad = kn_model_grads(m);
    char key[1100];
    struct kv_buf *v = &ctx->param_buf;
    int64_t got;
    int rc = read_params(ctx, prefix, k->read, w, params, np, NULL, &got, key, sizeof key, e);
    if (rc) return rc;
    memset(sum, 0, np * sizeof *sum);
    int count = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, k->grads)
    {
        int present = 0;
        if ((rc = fn_wait_object(ctx->kv, g->valuestring, w, v, &present, e)))
            return rc;
        if (!present) continue;
        if ((rc = params_decode(v->data, v->len, g->valuestring, grad, np, NULL, e))) return rc;
        for (size_t j = 0; j < np; j++) sum[j] += grad[j];
        count++;
    }
    if (count > 0) {
        for (size_t j = 0; j < np; j++) grad[j] = sum[j] / (float)count;
        kn_optim_step(&ctx->optim, params, grad);
    }
    fn_version_key(prefix, k->write, 0, key, sizeof key);
    return put_params(ctx, key, params, np, NULL, e);
}

int fn_handle(const cJSON *event, struct fn_context *ctx, cJSON *response, struct err *e)
{
    const char *url, *prefix, *update = "overwrite";
    long long epoch, fn;
    struct fn_wait w;
    struct kn_model_config mcfg;
    struct kn_optim_config ocfg;
    struct step_keys *steps = NULL;
    int n_steps = 0, rc;

    if (!cJSON_IsObject(event)) return err_set(e, SIREN_EFORMAT, "event: expected a JSON object");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(event, "kind");
    if (kind && !(cJSON_IsString(kind) && !strcmp(kind->valuestring, "rounds")))
        return err_set(e, SIREN_EFORMAT, "event: key 'kind': expected \"rounds\" (or no kind: "
                       "steps)");
    if (kind) return fn_handle_rounds(event, ctx, response, e);
    if ((rc = json_get_string(event, "kv", "event", &url, e)) ||
        (rc = json_get_int(event, "epoch", "event", &epoch, e)) ||
        (rc = json_get_int(event, "function", "event", &fn, e)) ||
        (rc = json_get_string(event, "params", "event", &prefix, e)))
        return rc;
    if (strlen(prefix) > 512 || (*prefix && kv_prefix_check(prefix, e)))
        return err_set(e, SIREN_EFORMAT, "event: key 'params': '%.64s' is not a key prefix", prefix);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(event, "update");
    if (u && !(cJSON_IsString(u) && (!strcmp(u->valuestring, "overwrite") ||
                                     !strcmp(u->valuestring, "apply"))))
        return err_set(e, SIREN_EFORMAT, "event: key 'update': expected \"overwrite\" or \"apply\"");
    if (u) update = u->valuestring;
    int apply = !strcmp(update, "apply");
    if ((rc = fn_wait_parse(event, &w, e))) return rc;
    if ((rc = fn_model_config_from_json(cJSON_GetObjectItemCaseSensitive(event, "model"), &mcfg, e)) ||
        (rc = fn_optim_config_from_json(cJSON_GetObjectItemCaseSensitive(event, "optimizer"), &ocfg, e)) ||
        (rc = parse_steps(event, apply, &steps, &n_steps, e)))
        return rc;
    /* Configurations are compared byte for byte when the cache is checked. */
    if ((rc = fn_context_kv(ctx, url, e)) || (rc = fn_context_model(ctx, &mcfg, &ocfg, e))) goto out;
    struct kn_model *m = ctx->model;
    struct kn_optim *opt = &ctx->optim;
    size_t np = kn_model_num_params(m);
    float *params = kn_model_params(m);
    /* The shared versions hold the weights only; the optimiser state is the function's own:
     * fresh at the start of an invocation, or restored from its state object when the event
     * names one (an invocation the emulator runs as one event per step). */
    const char *state = NULL;
    if (cJSON_GetObjectItemCaseSensitive(event, "state")) {
        if ((rc = json_get_string(event, "state", "event", &state, e))) goto out;
        if ((rc = kv_key_check(state, strlen(state), e))) {
            err_prefix(e, "event: key 'state'");
            goto out;
        }
    }
    if ((rc = load_state(ctx, state, np, e))) goto out;
    int aggregates = 0;
    for (int i = 0; i < n_steps; i++) aggregates |= steps[i].kind == STEP_AGGREGATE;
    if ((apply || aggregates) && (rc = fn_context_scratch(ctx, np, apply, e))) goto out;
    float *read_copy = ctx->scratch, *base = ctx->base; /* read_copy: also the aggregation's sum */
    struct kv_buf *pv = &ctx->param_buf;

    struct kv_stats before;
    kv_stats_get(ctx->kv, &before);
    double fetch_ms = 0, compute_ms = 0, update_ms = 0;
    cJSON *out_steps = cJSON_AddArrayToObject(response, "steps");
    for (int i = 0; i < n_steps; i++) {
        const struct step_keys *k = &steps[i];
        double t0 = fn_now_ms();
        if (k->kind == STEP_AGGREGATE) {
            if ((rc = aggregate_round(ctx, prefix, k, &w, read_copy, e)))
                goto out;
            double t_agg = fn_now_ms();
            update_ms += t_agg - t0;
            cJSON *s = cJSON_CreateObject();
            cJSON_AddNumberToObject(s, "read", (double)k->read);
            cJSON_AddNumberToObject(s, "write", (double)k->write);
            cJSON_AddNumberToObject(s, "loss", 0);
            cJSON_AddNumberToObject(s, "put_ms", t_agg - t0);
            cJSON_AddItemToArray(out_steps, s);
            continue;
        }
        struct shard_view sv;
        if ((rc = kv_get_into(ctx->kv, k->data, &ctx->shard_buf))) {
            rc = err_set(e, rc, "%s", kv_errmsg(ctx->kv));
            goto out;
        }
        if ((rc = shard_decode(ctx->shard_buf.data, ctx->shard_buf.len, k->data, &sv, e)))
            goto out;
        double t_data = fn_now_ms();
        char key[1100];
        int64_t read_got, base_got = -1;
        if ((rc = read_params(ctx, prefix, k->read, &w, params, np, NULL, &read_got, key,
                              sizeof key, e)))
            goto out;
        if (apply) memcpy(read_copy, params, np * sizeof *params);
        double t1 = fn_now_ms();
        struct kn_batch b;
        float loss;
        if ((rc = fn_batch_from_shard(&sv, &mcfg, k->seed, &ctx->images, &ctx->images_cap, &b, e)) ||
            (rc = k->kind == STEP_GRADIENT ? kn_model_loss_grad(m, &b, &loss, e)
                                           : kn_model_train_step(m, &b, opt, &loss, e))) {
            err_prefix(e, "%s", k->data);
            goto out;
        }
        double t2 = fn_now_ms(), t_base = t2;
        if (apply) {
            /* Apply this step's change to the newest version instead of overwriting it. */
            if ((rc = get_version(ctx->kv, prefix, k->base, &w, pv, NULL, 0, &base_got, key,
                                  sizeof key, e)) ||
                (rc = params_decode(pv->data, pv->len, key, base, np, NULL, e)))
                goto out;
            for (size_t j = 0; j < np; j++) params[j] = base[j] + (params[j] - read_copy[j]);
            t_base = fn_now_ms();
        }
        if (k->kind == STEP_GRADIENT) {
            /* BSP: the gradient goes to the leader, which applies the round's average. */
            snprintf(key, sizeof key, "%s", k->grad);
            rc = put_params(ctx, key, kn_model_grads(m), np, NULL, e);
        } else {
            fn_version_key(prefix, k->write, 0, key, sizeof key);
            rc = put_params(ctx, key, params, np, NULL, e);
        }
        if (rc) goto out;
        double t3 = fn_now_ms();
        fetch_ms += t1 - t0;
        compute_ms += t2 - t1;
        update_ms += t3 - t2;
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "read", (double)read_got);
        if (apply) cJSON_AddNumberToObject(s, "base", (double)base_got);
        cJSON_AddNumberToObject(s, "write", (double)k->write);
        cJSON_AddNumberToObject(s, "rows", b.n);
        cJSON_AddNumberToObject(s, "loss", loss);
        /* Real durations of the step's operations, for checking the virtual clock. */
        cJSON_AddNumberToObject(s, "data_get_ms", t_data - t0);
        cJSON_AddNumberToObject(s, "param_get_ms", t1 - t_data);
        cJSON_AddNumberToObject(s, "compute_ms", t2 - t1);
        cJSON_AddNumberToObject(s, "base_get_ms", t_base - t2);
        cJSON_AddNumberToObject(s, "put_ms", t3 - t_base);
        cJSON_AddItemToArray(out_steps, s);
    }
    if (state && (rc = put_params(ctx, state, params, np, opt, e))) goto out;
    struct kv_stats after;
    kv_stats_get(ctx->kv, &after);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    cJSON_AddNumberToObject(response, "epoch", (double)epoch);
    cJSON_AddNumberToObject(response, "function", (double)fn);
    cJSON_AddNumberToObject(response, "fetch_ms", fetch_ms);
    cJSON_AddNumberToObject(response, "compute_ms", compute_ms);
    cJSON_AddNumberToObject(response, "update_ms", update_ms);
    cJSON_AddNumberToObject(response, "wait_ms", w.waited_ms);
    cJSON_AddNumberToObject(response, "kv_gets", (double)(after.gets - before.gets - w.watch_gets));
    cJSON_AddNumberToObject(response, "kv_puts", (double)(after.puts - before.puts));
    cJSON_AddNumberToObject(response, "bytes_read", (double)(after.bytes_out - before.bytes_out));
    cJSON_AddNumberToObject(response, "bytes_written", (double)(after.bytes_in - before.bytes_in));
    cJSON_AddNumberToObject(response, "max_rss_mb", (double)ru.ru_maxrss / 1024.0);
out:
    free(steps);
    return rc;
}

int fn_memory_method_for(const char *kv_url)
{
    const char *dir = NULL;
    if (!strncmp(kv_url, "file:", 5)) dir = kv_url + 5;
    else if (!strstr(kv_url, "://")) dir = kv_url;
    struct statfs st;
    if (dir && statfs(dir, &st) == 0 && st.f_type == TMPFS_MAGIC) return SANDBOX_MEM_WATCHDOG;
    return SANDBOX_MEM_AUTO;
}

int fn_handler_train(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    return fn_handle(event, (struct fn_context *)ctx, response, e);
}

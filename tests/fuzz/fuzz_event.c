/*
 * fuzz_event: the training function's event JSON, end to end (fn_handle) against a file KV
 * store in the scratch directory. The store holds three small models' version 0 and batch
 * shards, so well-formed events reach the kernels and the PUTs. Input: the event JSON,
 * optionally followed by a NUL and the bytes of a batch shard stored as "d/fuzz" first.
 * Work is bounded: "kv" is always replaced by the scratch store, wait_ms is clamped to
 * 10 ms (2 ms when absent), and events whose model is larger than the caps below, or with
 * more than 8 steps or gradient keys, are rejected before fn_handle sees them.
 */
#include "handler.h"
#include "kv.h"
#include "shard.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS_MAX 10.0
#define WAIT_MS_ABSENT 2.0
#define MAX_STEPS 8

/* The stored models; the seeds in corpus/event use exactly these configurations. */
static const char *const base_models[3][2] = {
    {"pr/", "{\"kind\":\"lr\",\"max_batch\":8,\"classes\":2,\"lr_log2_weights\":4,"
            "\"lr_l2\":0,\"channels\":0,\"height\":0,\"width\":0,\"vocab_size\":0,"
            "\"seq_len\":0,\"embed_dim\":0,\"n_maps\":0,\"dropout\":0}"},
    {"pt/", "{\"kind\":\"textcnn\",\"max_batch\":8,\"classes\":2,\"lr_log2_weights\":0,"
            "\"lr_l2\":0,\"channels\":0,\"height\":0,\"width\":0,\"vocab_size\":32,"
            "\"seq_len\":8,\"embed_dim\":8,\"n_maps\":4,\"dropout\":0.5}"},
    {"pl/", "{\"kind\":\"lenet5\",\"max_batch\":8,\"classes\":10,\"lr_log2_weights\":0,"
            "\"lr_l2\":0,\"channels\":1,\"height\":28,\"width\":28,\"vocab_size\":0,"
            "\"seq_len\":0,\"embed_dim\":0,\"n_maps\":0,\"dropout\":0}"},
};

static char store_dir[512], store_url[600];
static struct kv *store; /* the harness's own handle, for setting up and cleaning */

static void must(int rc, const char *what, const struct err *e)
{
    if (rc == SIREN_OK) return;
    fprintf(stderr, "fuzz_event: setup failed: %s: %s\n", what, e ? e->msg : "");
    abort();
}

static void put_or_die(const char *key, const void *data, size_t len)
{
    if (kv_put(store, key, data, len) != SIREN_OK) {
        fprintf(stderr, "fuzz_event: setup put %s: %s\n", key, kv_errmsg(store));
        abort();
    }
}

/* Shards: 4 sparse rows (16 features), 2 sentences of 8 tokens (vocab 32), 2 28x28 images. */
static void put_shards(void)
{
    struct err e;
    uint32_t idx[4] = {0, 1, 2, 3};
    uint8_t *buf;
    size_t len;

    uint64_t row_ptr[5] = {0, 2, 3, 5, 6};
    uint32_t col[6] = {1, 5, 0, 3, 15, 7};
    float val[6] = {1, 1, 2, 1, 0.5f, 1};
    int32_t lab4[4] = {0, 1, 1, 0};
    struct ds_data sp = {.layout = DS_SPARSE_CSR, .rows = 4, .classes = 2, .labels = lab4,
                         .row_ptr = row_ptr, .col = col, .val = val, .nnz = 6,
                         .n_features = 16};
    must(shard_encode(&sp, idx, 4, &buf, &len, &e), "sparse shard", &e);
    put_or_die("d/sparse", buf, len);
    free(buf);

    int32_t tokens[16] = {2, 3, 4, 5, 0, 0, 0, 0, 6, 7, 8, 9, 10, 31, 1, 0};
    int32_t lab2[2] = {1, 0};
    struct ds_data tk = {.layout = DS_TOKENS_I32, .rows = 2, .classes = 2, .labels = lab2,
                         .tokens = tokens, .seq_len = 8, .vocab_size = 32};
    must(shard_encode(&tk, idx, 2, &buf, &len, &e), "token shard", &e);
    put_or_die("d/tokens", buf, len);
    free(buf);

    static uint8_t pixels[2 * 28 * 28];
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)(i * 7);
    int32_t lab_img[2] = {3, 9};
    struct ds_data im = {.layout = DS_IMAGES_U8, .rows = 2, .classes = 10, .labels = lab_img,
                         .pixels = pixels, .channels = 1, .height = 28, .width = 28};
    must(shard_encode(&im, idx, 2, &buf, &len, &e), "image shard", &e);
    put_or_die("d/images", buf, len);
    free(buf);
}

/* Version 0, the wall clock's "current" and a failure marker for version 1 of each model;
 * for the LR model also a BSP round: gradient g/r0/f0 and a dead writer's marker for f1. */
static void put_params(void)
{
    for (int i = 0; i < 3; i++) {
        struct err e;
        cJSON *j;
        struct kn_model_config cfg;
        struct kn_model *m;
        must(json_parse(base_models[i][1], strlen(base_models[i][1]), "model", &j, &e), "model", &e);
        must(fn_model_config_from_json(j, &cfg, &e), "model config", &e);
        cJSON_Delete(j);
        must(kn_model_create(&cfg, &m, &e), "model create", &e);
        kn_model_init(m, 7);
        uint8_t *buf;
        size_t len;
        must(params_encode(kn_model_params(m), kn_model_num_params(m), NULL, &buf, &len, &e),
             "params", &e);
        char key[128];
        fn_version_key(base_models[i][0], 0, 0, key, sizeof key);
        put_or_die(key, buf, len);
        fn_version_key(base_models[i][0], FN_CURRENT, 0, key, sizeof key);
        put_or_die(key, buf, len);
        fn_version_key(base_models[i][0], 1, 1, key, sizeof key);
        put_or_die(key, "", 0);
        if (i == 0) {
            put_or_die("g/r0/f0", buf, len);
            put_or_die("g/r0/f1-failed", "", 0);
        }
        free(buf);
        kn_model_free(m);
    }
}

/* Empties the store and puts the base objects back. */
static void store_reset(void)
{
    struct err e;
    if (store_dir[0]) {
        kv_close(store);
        store = NULL;
        (void)fs_remove_tree(store_dir, NULL);
    } else {
        snprintf(store_dir, sizeof store_dir, "%s/kv", fuzz_dir());
        snprintf(store_url, sizeof store_url, "file:%s", store_dir);
    }
    must(kv_open(store_url, &store, &e), "kv_open", &e);
    put_shards();
    put_params();
}

/* Replaces (or adds) a number member. */
static void set_number(cJSON *obj, const char *key, double v)
{
    cJSON *n = cJSON_CreateNumber(v);
    if (!n) abort();
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_ReplaceItemInObjectCaseSensitive(obj, key, n);
    else cJSON_AddItemToObject(obj, key, n);
}

/* 1 when the event is cheap enough to run: a small model, few steps and gradient keys. */
static int event_bounded(cJSON *ev)
{
    struct kn_model_config c;
    struct err e;
    if (fn_model_config_from_json(cJSON_GetObjectItemCaseSensitive(ev, "model"), &c, &e) == SIREN_OK) {
        if (c.max_batch > 256 || c.lr_log2_weights > 16 || c.channels > 3 || c.height > 64 ||
            c.width > 64 || c.vocab_size > 4096 || c.seq_len > 128 || c.embed_dim > 64 ||
            c.n_maps > 64)
            return 0;
    }
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(ev, "steps");
    if (cJSON_GetArraySize(steps) > MAX_STEPS) return 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, steps)
    {
        const cJSON *agg = cJSON_GetObjectItemCaseSensitive(s, "aggregate");
        if (cJSON_IsArray(agg) && cJSON_GetArraySize(agg) > MAX_STEPS) return 0;
    }
    return 1;
}

static struct fn_context ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    if (!store) store_reset();
    const uint8_t *json, *shard;
    size_t json_len, shard_len;
    int has_shard;
    fuzz_split(data, size, "", 1, &json, &json_len, &shard, &shard_len, &has_shard);

    struct err e;
    cJSON *ev;
    if (json_parse((const char *)json, json_len, "event", &ev, &e) != SIREN_OK) return 0;
    if (cJSON_IsObject(ev)) {
        if (!event_bounded(ev)) {
            cJSON_Delete(ev);
            return -1; /* too costly to run; keep it out of the corpus */
        }
        const cJSON *kvu = cJSON_GetObjectItemCaseSensitive(ev, "kv");
        if (cJSON_IsString(kvu))
            cJSON_ReplaceItemInObjectCaseSensitive(ev, "kv", cJSON_CreateString(store_url));
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(ev, "wait_ms");
        if (!w) set_number(ev, "wait_ms", WAIT_MS_ABSENT);
        else if (cJSON_IsNumber(w) && !(w->valuedouble <= WAIT_MS_MAX)) set_number(ev, "wait_ms", WAIT_MS_MAX);
    }
    if (has_shard) put_or_die("d/fuzz", shard, shard_len);

    /* Twice when the first run succeeds: the second is a warm container (cached store and
     * model) over the versions the first one wrote. */
    for (int round = 0; round < 2; round++) {
        cJSON *resp = cJSON_CreateObject();
        if (!resp) abort();
        int rc = fn_handle(ev, &ctx, resp, &e);
        cJSON_Delete(resp);
        if (rc != SIREN_OK) break;
    }
    cJSON_Delete(ev);

    /* Every input starts from the same store and a cold container, so a crash reproduces
     * from its input alone. */
    struct kv_stats st = {0};
    if (ctx.kv) kv_stats_get(ctx.kv, &st);
    fn_context_free(&ctx);
    if (st.puts > 0 || st.deletes > 0) store_reset();
    else if (has_shard && kv_delete(store, "d/fuzz") != SIREN_OK) abort();
    return 0;
}

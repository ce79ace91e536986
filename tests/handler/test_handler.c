/*
 * fn_handle, the training function: in-process it trains on generated LeNet-shaped and sparse
 * batches from a file KV store, reads exactly the planned versions, falls back past a version
 * marked failed, and rejects bad events naming the field. In real siren-fn sandboxes, a sweep
 * of memory sizes over one LeNet event: every size below what the batch needs fails with
 * Lambda's memory error, every size above succeeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "sandbox.h"
#include "shard.h"
#include "testutil.h"

static char *dir, *url;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    if (!dir || asprintf(&url, "file:%s/kv", dir) < 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    free(url);
    return 0;
}

/* Random 1x28x28 images with labels 0..9. */
static void make_images(struct ds_data *d, size_t rows, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    memset(d, 0, sizeof *d);
    d->layout = DS_IMAGES_U8;
    d->rows = rows;
    d->classes = 10;
    d->channels = 1;
    d->height = d->width = 28;
    d->labels = malloc(rows * sizeof *d->labels);
    d->pixels = malloc(rows * 784);
    for (size_t i = 0; i < rows; i++) d->labels[i] = (int32_t)rng_below(&r, 10);
    for (size_t i = 0; i < rows * 784; i++) d->pixels[i] = (uint8_t)rng_below(&r, 256);
}

/* Puts `steps` shards of `batch` rows and version 0 of a fresh LeNet; returns the event. */
static cJSON *lenet_event(struct kv *kv, const char *prefix, int batch, int steps)
{
    struct ds_data d;
    make_images(&d, (size_t)batch * (size_t)steps, 7);
    struct kn_model_config mc;
    struct err e;
    assert_int_equal(kn_model_config_from_name("lenet5", batch, &mc, &e), SIREN_OK);
    struct kn_model *m;
    assert_int_equal(kn_model_create(&mc, &m, &e), SIREN_OK);
    kn_model_init(m, 1);
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_SGD);
    oc.lr = 0.05f;
    uint8_t *obj;
    size_t len;
    char key[256];
    assert_int_equal(params_encode(kn_model_params(m), kn_model_num_params(m), NULL, &obj, &len, &e), SIREN_OK);
    fn_version_key(prefix, 0, 0, key, sizeof key);
    assert_int_equal(kv_put(kv, key, obj, len), SIREN_OK);
    free(obj);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "kv", url);
    cJSON_AddNumberToObject(ev, "epoch", 1);
    cJSON_AddNumberToObject(ev, "function", 0);
    cJSON_AddStringToObject(ev, "params", prefix);
    cJSON_AddItemToObject(ev, "model", fn_model_config_to_json(&mc));
    cJSON_AddItemToObject(ev, "optimizer", fn_optim_config_to_json(&oc));
    cJSON *arr = cJSON_AddArrayToObject(ev, "steps");
    uint32_t *idx = malloc((size_t)batch * sizeof *idx);
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < batch; i++) idx[i] = (uint32_t)(s * batch + i);
        assert_int_equal(shard_encode(&d, idx, (size_t)batch, &obj, &len, &e), SIREN_OK);
        snprintf(key, sizeof key, "%sdata/%d", prefix, s);
        assert_int_equal(kv_put(kv, key, obj, len), SIREN_OK);
        free(obj);
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "data", key);
        cJSON_AddNumberToObject(st, "read", s);
        cJSON_AddNumberToObject(st, "write", s + 1);
        cJSON_AddNumberToObject(st, "seed", s);
        cJSON_AddItemToArray(arr, st);
    }
    free(idx);
    kn_model_free(m);
    ds_data_free(&d);
    return ev;
}

static void test_handler_trains_and_writes_each_planned_version(void **state)
{
    (void)state;
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    cJSON *ev = lenet_event(kv, "t1/", 16, 3);
    struct fn_context ctx = {0};
    cJSON *resp = cJSON_CreateObject();
    assert_int_equal(fn_handle(ev, &ctx, resp, &e), SIREN_OK);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(resp, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 3);
    for (int s = 0; s < 3; s++) {
        const cJSON *st = cJSON_GetArrayItem(steps, s);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(st, "read")->valueint, s);
        double loss = cJSON_GetObjectItemCaseSensitive(st, "loss")->valuedouble;
        assert_true(loss > 0.5 && loss < 5.0); /* about ln 10 for a fresh 10-class model */
        char key[64];
        struct kv_value v;
        fn_version_key("t1/", s + 1, 0, key, sizeof key);
        assert_int_equal(kv_get(kv, key, &v), SIREN_OK);
        kv_value_free(&v);
    }
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(resp, "kv_puts")->valuedouble, 3);
    /* The parameters changed: version 3 differs from version 0. */
    struct kv_value v0, v3;
    char k0[64], k3[64];
    fn_version_key("t1/", 0, 0, k0, sizeof k0);
    fn_version_key("t1/", 3, 0, k3, sizeof k3);
    assert_int_equal(kv_get(kv, k0, &v0), SIREN_OK);
    assert_int_equal(kv_get(kv, k3, &v3), SIREN_OK);
    assert_int_equal(v0.len, v3.len);
    assert_true(memcmp(v0.data, v3.data, v0.len) != 0);
    kv_value_free(&v0);
    kv_value_free(&v3);
    /* The same event again in the warm context gives the same bytes (no state survives). */
    cJSON *resp2 = cJSON_CreateObject();
    assert_int_equal(fn_handle(ev, &ctx, resp2, &e), SIREN_OK);
    double l1 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, 2), "loss")->valuedouble;
    double l2 = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp2, "steps"), 2), "loss")
                    ->valuedouble;
    assert_true(l1 == l2);
    cJSON_Delete(resp);
    cJSON_Delete(resp2);
    cJSON_Delete(ev);
    fn_context_free(&ctx);
    kv_close(kv);
}

static void test_handler_reads_past_a_version_marked_failed(void **state)
{
    (void)state;
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    cJSON *ev = lenet_event(kv, "t2/", 8, 1);
    /* The step reads version 2, whose writer died, and version 1 that failed too: it must
     * fall back to version 0. */
    cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ev, "steps"), 0);
    cJSON_ReplaceItemInObject(st, "read", cJSON_CreateNumber(2));
    cJSON_ReplaceItemInObject(st, "write", cJSON_CreateNumber(3));
    char key[64];
    fn_version_key("t2/", 2, 1, key, sizeof key);
    assert_int_equal(kv_put(kv, key, "x", 1), SIREN_OK);
    fn_version_key("t2/", 1, 1, key, sizeof key);
    assert_int_equal(kv_put(kv, key, "x", 1), SIREN_OK);
    struct fn_context ctx = {0};
    cJSON *resp = cJSON_CreateObject();
    assert_int_equal(fn_handle(ev, &ctx, resp, &e), SIREN_OK);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp, "steps"), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(s0, "read")->valueint, 0);
    cJSON_Delete(resp);
    cJSON_Delete(ev);
    fn_context_free(&ctx);
    kv_close(kv);
}

static void test_handler_rejects_bad_events_naming_the_field(void **state)
{
    (void)state;
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    cJSON *ev = lenet_event(kv, "t3/", 4, 1);
    struct fn_context ctx = {0};
    cJSON *resp = cJSON_CreateObject();

    cJSON *bad = cJSON_Duplicate(ev, 1);
    cJSON_DeleteItemFromObject(bad, "params");
    assert_int_equal(fn_handle(bad, &ctx, resp, &e), SIREN_EFORMAT);
    assert_string_equal(e.msg, "event: key 'params' is missing");
    cJSON_Delete(bad);

    bad = cJSON_Duplicate(ev, 1);
    cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(bad, "steps"), 0);
    cJSON_ReplaceItemInObject(st, "data", cJSON_CreateString("../escape"));
    assert_int_equal(fn_handle(bad, &ctx, resp, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "steps[0]"));
    cJSON_Delete(bad);

    bad = cJSON_Duplicate(ev, 1);
    st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(bad, "steps"), 0);
    cJSON_ReplaceItemInObject(st, "data", cJSON_CreateString("t3/missing"));
    assert_int_equal(fn_handle(bad, &ctx, resp, &e), SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "t3/missing"));
    cJSON_Delete(bad);

    /* A parameter object of the wrong size: a model with other dimensions. */
    bad = cJSON_Duplicate(ev, 1);
    cJSON *model = cJSON_GetObjectItemCaseSensitive(bad, "model");
    cJSON_ReplaceItemInObject(model, "classes", cJSON_CreateNumber(7));
    assert_int_equal(fn_handle(bad, &ctx, resp, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "parameters, the model has"));
    cJSON_Delete(bad);

    cJSON_Delete(resp);
    cJSON_Delete(ev);
    fn_context_free(&ctx);
    kv_close(kv);
}

/* The same LeNet event (one batch of 8,192 images: about 224 MiB of activations, by
 * kn_model_memory) in sandboxes from 128 MB to 1,024 MB. What it needs is measured at 1,024 MB
 * first; every size clearly below fails with the memory error, every size clearly above
 * succeeds. */
static void test_handler_memory_sweep_in_sandboxes(void **state)
{
    (void)state;
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    cJSON *ev = lenet_event(kv, "sweep/", 8192, 1);
    kv_close(kv);
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    char fn_path[1024];
    snprintf(fn_path, sizeof fn_path, "%s-fn", bin);
    const int sizes[] = {1024, 128, 192, 256, 384, 512, 768};
    double need_mb = 0;
    int failed = 0, passed = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        struct sandbox_opts so;
        sandbox_opts_init(&so);
        so.mem_limit_mb = sizes[i];
        so.timeout_ms = 60000;
        so.fn_path = fn_path;
        so.mem_method = (enum sandbox_mem_method)fn_memory_method_for(url);
        struct sandbox *sb;
        struct sandbox_result res;
        assert_int_equal(sandbox_open(&so, &sb, &e), SIREN_OK);
        assert_int_equal(sandbox_invoke(sb, "train", ev, &res, &e), SIREN_OK);
        sandbox_close(sb);
        if (i == 0) {
            assert_int_equal(res.status, SANDBOX_OK);
            need_mb = res.peak_mb;
            print_message("LeNet batch 8192 needs %.1f MB resident\n", need_mb);
            assert_true(need_mb > 200 && need_mb < 700); /* the sweep brackets it */
        } else if (sizes[i] < need_mb * 0.9) {
            assert_int_equal(res.status, SANDBOX_MEMORY);
            assert_string_equal(res.error_type, "Runtime.ExitError");
            assert_string_equal(res.error_msg, "Runtime exited with error: signal: killed");
            failed++;
        } else if (sizes[i] > need_mb * 1.1) {
            assert_int_equal(res.status, SANDBOX_OK);
            passed++;
        }
        sandbox_result_free(&res);
    }
    assert_true(failed >= 1);
    assert_true(passed >= 1);
    cJSON_Delete(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handler_trains_and_writes_each_planned_version),
        cmocka_unit_test(test_handler_reads_past_a_version_marked_failed),
        cmocka_unit_test(test_handler_rejects_bad_events_naming_the_field),
        cmocka_unit_test(test_handler_memory_sweep_in_sandboxes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

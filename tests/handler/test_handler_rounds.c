/*
 * The round events of fn_handle, in-process against a file store: model averaging and the
 * gradient reduction give, bit for bit, what the kernels compute directly; one event per
 * function with the leader's reduction inside (the wall clock's shape) gives the same model
 * as separate events; an input whose writer failed is left out of the average; bad events
 * are errors naming the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "shard.h"
#include "testutil.h"

#define BATCH 8
#define BATCHES 4
#define LR 0.01f

static char *dir, *url;
static struct ds_data data;
static struct kn_model_config mc;
static struct kn_optim_config oc;
static struct kv *kv;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    if (!dir || asprintf(&url, "file:%s/kv", dir) < 0) return -1;
    struct err e;
    if (kv_open(url, &kv, &e)) return -1;
    /* Random 28x28 images, labels 0..9, cut into BATCHES shards under d/0 .. d/3. */
    struct rng r;
    rng_seed(&r, 11);
    size_t rows = BATCH * BATCHES;
    memset(&data, 0, sizeof data);
    data.layout = DS_IMAGES_U8;
    data.rows = rows;
    data.classes = 10;
    data.channels = 1;
    data.height = data.width = 28;
    data.labels = malloc(rows * sizeof *data.labels);
    data.pixels = malloc(rows * 784);
    for (size_t i = 0; i < rows; i++) data.labels[i] = (int32_t)rng_below(&r, 10);
    for (size_t i = 0; i < rows * 784; i++) data.pixels[i] = (uint8_t)rng_below(&r, 256);
    for (int b = 0; b < BATCHES; b++) {
        uint32_t idx[BATCH];
        for (int i = 0; i < BATCH; i++) idx[i] = (uint32_t)(b * BATCH + i);
        uint8_t *obj;
        size_t len;
        char key[32];
        if (shard_encode(&data, idx, BATCH, &obj, &len, &e)) return -1;
        snprintf(key, sizeof key, "d/%d", b);
        if (kv_put(kv, key, obj, len)) return -1;
        free(obj);
    }
    if (kn_model_config_from_name("lenet5", BATCH, &mc, &e)) return -1;
    oc = kn_optim_config_default(KN_OPTIM_ADAM);
    oc.lr = LR;
    /* The initial weights under "init". */
    struct kn_model *m;
    if (kn_model_create(&mc, &m, &e)) return -1;
    kn_model_init(m, 3);
    uint8_t *obj;
    size_t len;
    if (params_encode(kn_model_params(m), kn_model_num_params(m), NULL, &obj, &len, &e) ||
        kv_put(kv, "init", obj, len))
        return -1;
    free(obj);
    kn_model_free(m);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kv_close(kv);
    ds_data_free(&data);
    tu_rm_rf(dir);
    free(dir);
    free(url);
    return 0;
}

/* The kernel batch of shard b, as the handler builds it (pixels / 255, seed b). */
static struct kn_batch batch_of(int b, float *images)
{
    for (size_t i = 0; i < BATCH * 784; i++)
        images[i] = (float)data.pixels[(size_t)b * BATCH * 784 + i] * (1.0f / 255.0f);
    struct kn_batch kb = {.n = BATCH, .images = images, .labels = data.labels + b * BATCH};
    kb.seed = (uint64_t)b;
    return kb;
}

static struct kn_model *model_from(const char *key)
{
    struct kn_model *m;
    struct kv_value v;
    struct err e;
    assert_int_equal(kn_model_create(&mc, &m, &e), SIREN_OK);
    if (kv_get(kv, key, &v)) fail_msg("%s: %s", key, kv_errmsg(kv));
    if (params_decode(v.data, v.len, key, kn_model_params(m), kn_model_num_params(m), NULL, &e))
        fail_msg("%s", e.msg);
    kv_value_free(&v);
    return m;
}

static cJSON *event(int fn)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "kind", "rounds");
    cJSON_AddStringToObject(ev, "kv", url);
    cJSON_AddNumberToObject(ev, "epoch", 1);
    cJSON_AddNumberToObject(ev, "function", fn);
    cJSON_AddNumberToObject(ev, "wait_ms", 20000);
    cJSON_AddItemToObject(ev, "model", fn_model_config_to_json(&mc));
    cJSON_AddItemToObject(ev, "optimizer", fn_optim_config_to_json(&oc));
    cJSON_AddArrayToObject(ev, "ops");
    return ev;
}

static cJSON *add_op(cJSON *ev, const char *name, const char *key)
{
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "op", name);
    if (key) cJSON_AddStringToObject(op, "key", key);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(ev, "ops"), op);
    return op;
}

static void add_train(cJSON *ev, int first, int count, int gradient)
{
    cJSON *op = add_op(ev, "train", NULL);
    if (gradient) cJSON_AddTrueToObject(op, "gradient");
    else cJSON_AddNumberToObject(op, "lr", (double)LR);
    cJSON *bs = cJSON_AddArrayToObject(op, "batches");
    for (int b = first; b < first + count; b++) {
        char key[32];
        snprintf(key, sizeof key, "d/%d", b);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "data", key);
        cJSON_AddNumberToObject(x, "seed", b);
        cJSON_AddItemToArray(bs, x);
    }
}

static cJSON *add_reduce(cJSON *ev, const char *const *inputs, int n, const char *out, int gradient)
{
    cJSON *op = add_op(ev, "reduce", NULL);
    cJSON *in = cJSON_AddArrayToObject(op, "inputs");
    for (int i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "key", inputs[i]);
        cJSON_AddNumberToObject(x, "weight", 2 * BATCH);
        cJSON_AddItemToArray(in, x);
    }
    cJSON_AddStringToObject(op, "out", out);
    if (gradient) {
        cJSON_AddTrueToObject(op, "gradient");
        cJSON_AddStringToObject(op, "base", "init");
        cJSON_AddNumberToObject(op, "lr", (double)LR);
        cJSON_AddStringToObject(op, "state_out", "red-state");
    }
    return op;
}

static int handle(cJSON *ev, struct err *e)
{
    struct fn_context ctx = {0};
    cJSON *resp = cJSON_CreateObject();
    int rc = fn_handle(ev, &ctx, resp, e);
    cJSON_Delete(resp);
    cJSON_Delete(ev);
    fn_context_free(&ctx);
    return rc;
}

/* Function fn's part (batches 2 fn, 2 fn + 1) as its own event: load, train, contribute. */
static void run_part(int fn, int gradient, const char *contrib)
{
    cJSON *ev = event(fn);
    add_op(ev, "load", "init");
    add_train(ev, 2 * fn, 2, gradient);
    add_op(ev, "contribute", contrib);
    struct err e;
    if (handle(ev, &e)) fail_msg("%s", e.msg);
}

static void reduce_into(const char *out, int gradient, const char *const *inputs)
{
    cJSON *ev = event(0);
    add_reduce(ev, inputs, 2, out, gradient);
    struct err e;
    if (handle(ev, &e)) fail_msg("%s", e.msg);
}

/* What the kernels give directly: two local Adam runs from init, averaged (16 rows each). */
static float *expected_average(size_t *np)
{
    static float images[BATCH * 784];
    struct kn_model *m[2];
    struct err e;
    for (int f = 0; f < 2; f++) {
        m[f] = model_from("init");
        struct kn_optim o;
        assert_int_equal(kn_optim_init(&o, &oc, kn_model_num_params(m[f]), &e), SIREN_OK);
        for (int b = 2 * f; b < 2 * f + 2; b++) {
            struct kn_batch kb = batch_of(b, images);
            float loss;
            assert_int_equal(kn_model_train_step(m[f], &kb, &o, &loss, &e), SIREN_OK);
        }
        kn_optim_free(&o);
    }
    *np = kn_model_num_params(m[0]);
    float *avg = malloc(*np * sizeof *avg);
    const float *a = kn_model_params(m[0]), *b = kn_model_params(m[1]);
    for (size_t j = 0; j < *np; j++)
        avg[j] = (float)((16.0 * (double)a[j] + 16.0 * (double)b[j]) / 32.0);
    kn_model_free(m[0]);
    kn_model_free(m[1]);
    return avg;
}

static void test_average_of_two_parts_is_the_weighted_mean_of_their_models(void **state)
{
    (void)state;
    run_part(0, 0, "avg/c0");
    run_part(1, 0, "avg/c1");
    static const char *const in[] = {"avg/c0", "avg/c1"};
    reduce_into("avg/out", 0, in);
    size_t np;
    float *want = expected_average(&np);
    struct kn_model *got = model_from("avg/out");
    assert_memory_equal(kn_model_params(got), want, np * sizeof *want);
    kn_model_free(got);
    free(want);
}

static void test_gradient_reduction_is_one_step_on_the_mean_gradient(void **state)
{
    (void)state;
    run_part(0, 1, "grad/c0");
    run_part(1, 1, "grad/c1");
    static const char *const in[] = {"grad/c0", "grad/c1"};
    reduce_into("grad/out", 1, in);
    /* Directly: each part's sum of 8 x gradient, the two sums added in double, / 32, one
     * Adam step from a fresh state on init. */
    static float images[BATCH * 784];
    struct err e;
    struct kn_model *m = model_from("init");
    size_t np = kn_model_num_params(m);
    float *acc[2];
    double *sum = calloc(np, sizeof *sum);
    for (int f = 0; f < 2; f++) {
        acc[f] = calloc(np, sizeof *acc[f]);
        for (int b = 2 * f; b < 2 * f + 2; b++) {
            struct kn_batch kb = batch_of(b, images);
            float loss;
            assert_int_equal(kn_model_loss_grad(m, &kb, &loss, &e), SIREN_OK);
            for (size_t j = 0; j < np; j++) acc[f][j] += 8.0f * kn_model_grads(m)[j];
        }
        for (size_t j = 0; j < np; j++) sum[j] += (double)acc[f][j];
    }
    float *g = malloc(np * sizeof *g);
    for (size_t j = 0; j < np; j++) g[j] = (float)(sum[j] / 32.0);
    struct kn_optim o;
    assert_int_equal(kn_optim_init(&o, &oc, np, &e), SIREN_OK);
    kn_optim_step(&o, kn_model_params(m), g);
    struct kn_model *got = model_from("grad/out");
    assert_memory_equal(kn_model_params(got), kn_model_params(m), np * sizeof(float));
    /* The reducer's optimiser state went to state_out: one Adam step taken. */
    struct kv_value v;
    assert_int_equal(kv_get(kv, "red-state", &v), SIREN_OK);
    struct kn_optim back;
    assert_int_equal(kn_optim_init(&back, &oc, np, &e), SIREN_OK);
    assert_int_equal(params_decode(v.data, v.len, "red-state", g, np, &back, &e), SIREN_OK);
    assert_int_equal(back.t, 1);
    assert_memory_equal(back.m, o.m, np * sizeof(float));
    kv_value_free(&v);
    kn_optim_free(&back);
    kn_optim_free(&o);
    kn_model_free(got);
    kn_model_free(m);
    free(acc[0]);
    free(acc[1]);
    free(sum);
    free(g);
}

struct wall_arg {
    cJSON *ev;
    int rc;
    char msg[256];
};

static void *wall_thread(void *p)
{
    struct wall_arg *a = p;
    struct err e;
    a->rc = handle(a->ev, &e);
    if (a->rc) snprintf(a->msg, sizeof a->msg, "%s", e.msg);
    return NULL;
}

static void test_one_event_per_function_with_the_leaders_reduction_inside(void **state)
{
    (void)state;
    /* The wall clock's shape: both functions at once, the leader reduces inside its event
     * while the other waits for the result. */
    static const char *const in[] = {"wall/c0", "wall/c1"};
    cJSON *lead = event(0), *other = event(1);
    add_op(lead, "load", "init");
    add_train(lead, 0, 2, 0);
    add_op(lead, "contribute", "wall/c0");
    add_reduce(lead, in, 2, "wall/out", 0);
    add_op(other, "load", "init");
    add_train(other, 2, 2, 0);
    add_op(other, "contribute", "wall/c1");
    add_op(other, "load", "wall/out");
    struct wall_arg a[2] = {{other, 0, ""}, {lead, 0, ""}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, wall_thread, &a[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        if (a[i].rc) fail_msg("%s", a[i].msg);
    size_t np;
    float *want = expected_average(&np);
    struct kn_model *got = model_from("wall/out");
    assert_memory_equal(kn_model_params(got), want, np * sizeof *want);
    kn_model_free(got);
    free(want);
}

static void test_an_input_whose_writer_failed_is_left_out(void **state)
{
    (void)state;
    run_part(0, 0, "fail/c0");
    assert_int_equal(kv_put(kv, "fail/c1-failed", "failed", 6), SIREN_OK);
    static const char *const in[] = {"fail/c0", "fail/c1"};
    reduce_into("fail/out", 0, in);
    struct kn_model *a = model_from("fail/c0"), *b = model_from("fail/out");
    assert_memory_equal(kn_model_params(a), kn_model_params(b),
                        kn_model_num_params(a) * sizeof(float));
    kn_model_free(a);
    kn_model_free(b);
}

static void test_bad_round_events_name_the_field(void **state)
{
    (void)state;
    struct err e;
    cJSON *ev = event(0);
    add_op(ev, "jump", NULL);
    assert_int_equal(handle(ev, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "ops[0]"));
    ev = event(0);
    cJSON *t = add_op(ev, "train", NULL);
    cJSON_AddArrayToObject(t, "batches");
    assert_int_equal(handle(ev, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "batches"));
    ev = event(0);
    add_train(ev, 0, 1, 0);
    cJSON_DeleteItemFromObject(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ev, "ops"), 0),
                               "lr");
    assert_int_equal(handle(ev, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "lr"));
    ev = event(0);
    static const char *const in[] = {"init", "init"};
    cJSON *r = add_reduce(ev, in, 2, "x", 0);
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "inputs"), 1),
                              "weight", cJSON_CreateNumber(0));
    assert_int_equal(handle(ev, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "inputs[1]"));
    ev = event(0);
    cJSON_ReplaceItemInObject(ev, "wait_ms", cJSON_CreateNumber(50));
    add_op(ev, "load", "never/there");
    assert_int_equal(handle(ev, &e), SIREN_ETIMEOUT);
    assert_non_null(strstr(e.msg, "never/there"));
    ev = event(0);
    cJSON_ReplaceItemInObject(ev, "kind", cJSON_CreateString("steps"));
    assert_int_equal(handle(ev, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "kind"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_average_of_two_parts_is_the_weighted_mean_of_their_models),
        cmocka_unit_test(test_gradient_reduction_is_one_step_on_the_mean_gradient),
        cmocka_unit_test(test_one_event_per_function_with_the_leaders_reduction_inside),
        cmocka_unit_test(test_an_input_whose_writer_failed_is_left_out),
        cmocka_unit_test(test_bad_round_events_name_the_field),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * LeNet-5 tests: the whole model's gradient against central differences (h = 1e-3 with 1e-2
 * and 1e-4 as kink fallbacks, per parameter tensor; criterion in kn_check.h: normalised L2
 * error <= 1e-2, <= 5% of entries above 5e-2 relative error), overfitting a tiny batch,
 * bit-identical runs from one seed, evaluation, memory reports, validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kn_check.h"

static struct kn_model *make_lenet(int hw, int max_batch)
{
    struct kn_model_config cfg;
    struct kn_model *m = NULL;
    struct err e;
    assert_int_equal(kn_model_config_from_name("lenet-mnist", max_batch, &cfg, &e), SIREN_OK);
    cfg.height = cfg.width = hw;
    assert_int_equal(kn_model_create(&cfg, &m, &e), SIREN_OK);
    return m;
}

static void random_images(float *x, int32_t *y, int n, int hw, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    kc_fill(x, (size_t)n * hw * hw, 0.0f, 1.0f, &r);
    for (int i = 0; i < n; i++) y[i] = (int32_t)rng_below(&r, 10);
}

static void test_lenet_gradient_matches_finite_differences(void **state)
{
    (void)state;
    /* 20x20 input: 10x10 after pool1, 6x6 after conv2, 3x3 after pool2 (feat 144). */
    struct kn_model *m = make_lenet(20, 3);
    kn_model_init(m, 1);
    float x[3 * 400];
    int32_t y[3];
    random_images(x, y, 3, 20, 3);
    struct kn_batch b = {.n = 3, .images = x, .labels = y};
    /* Every parameter of the small tensors, a strided sample of the fc weights. */
    static const char *names[10] = {"conv1 w", "conv1 b", "conv2 w", "conv2 b", "fc1 w",
                                    "fc1 b",   "fc2 w",   "fc2 b",   "fc3 w",   "fc3 b"};
    size_t len[10] = {150, 6, 2400, 16, 120 * 144, 120, 84 * 120, 84, 840, 10};
    size_t off = 0;
    for (int g = 0; g < 10; g++) {
        size_t stride = len[g] > 3000 ? 7 : 1;
        kc_assert_model(kc_model_gradcheck(m, &b, off, off + len[g], stride, 1e-3f), names[g]);
        off += len[g];
    }
    assert_int_equal(off, kn_model_num_params(m));
    kn_model_free(m);
}

static void test_lenet_overfits_a_tiny_batch(void **state)
{
    (void)state;
    struct kn_model *m = make_lenet(28, 16);
    kn_model_init(m, 4);
    static float x[16 * 784];
    int32_t y[16];
    random_images(x, y, 16, 28, 5);
    struct kn_batch b = {.n = 16, .images = x, .labels = y};
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_SGD);
    oc.lr = 0.05f;
    oc.momentum = 0.9f;
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &oc, kn_model_num_params(m), &e), SIREN_OK);
    float loss = 0.0f, first = 0.0f;
    for (int s = 0; s < 150; s++) {
        assert_int_equal(kn_model_train_step(m, &b, &o, &loss, &e), SIREN_OK);
        if (s == 0) first = loss;
    }
    print_message("lenet: loss %.4f -> %.4f\n", (double)first, (double)loss);
    assert_true(loss < 0.05f); /* random labels: only memorising gets here */
    struct kn_eval ev;
    assert_int_equal(kn_model_eval(m, &b, &ev, NULL, &e), SIREN_OK);
    assert_int_equal(ev.correct, 16);
    kn_optim_free(&o);
    kn_model_free(m);
}

static void test_lenet_same_seed_gives_same_bits(void **state)
{
    (void)state;
    static float x[8 * 784];
    int32_t y[8];
    random_images(x, y, 8, 28, 6);
    struct kn_batch b = {.n = 8, .images = x, .labels = y};
    float *run[2];
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        struct kn_model *m = make_lenet(28, 8);
        kn_model_init(m, 7);
        run[k] = kc_train_copy(m, b, 4, &n);
    }
    assert_memory_equal(run[0], run[1], n * sizeof(float));
    free(run[0]);
    free(run[1]);
}

static void test_lenet_has_61706_parameters_and_reports_memory(void **state)
{
    (void)state;
    struct kn_model *m = make_lenet(28, 4);
    assert_int_equal(kn_model_num_params(m), 61706);
    struct kn_mem_report r64, r256;
    struct err e;
    assert_int_equal(kn_model_memory(kn_model_config(m), 64, NULL, &r64, &e), SIREN_OK);
    assert_int_equal(kn_model_memory(kn_model_config(m), 256, NULL, &r256, &e), SIREN_OK);
    assert_int_equal(r64.param_bytes, 61706 * 4);
    assert_int_equal(r64.optim_bytes, 0);
    assert_true(r256.act_bytes > 2 * r64.act_bytes && r256.act_bytes < 4 * r64.act_bytes);
    kn_model_free(m);
}

static void test_images_from_u8_scale_to_unit_interval(void **state)
{
    (void)state;
    uint8_t px[4] = {0, 1, 128, 255};
    float out[4];
    kn_images_from_u8(out, px, 4);
    assert_true(out[0] == 0.0f && out[3] == 1.0f);
    assert_float_equal(out[2], 0.50196078, 1e-7); /* 128 / 255 */
}

static void test_lenet_rejects_bad_shapes_and_inputs(void **state)
{
    (void)state;
    struct kn_model_config cfg;
    struct kn_model *m = NULL;
    struct err e;
    assert_int_equal(kn_model_config_from_name("lenet5", 4, &cfg, &e), SIREN_OK);
    cfg.height = 27;
    assert_int_equal(kn_model_create(&cfg, &m, &e), SIREN_EINVAL);
    assert_null(m);
    m = make_lenet(28, 4);
    int32_t y[2] = {0, 1};
    struct kn_batch b = {.n = 2, .labels = y};
    float loss;
    assert_int_equal(kn_model_loss_grad(m, &b, &loss, &e), SIREN_EINVAL);
    kn_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenet_gradient_matches_finite_differences),
        cmocka_unit_test(test_lenet_overfits_a_tiny_batch),
        cmocka_unit_test(test_lenet_same_seed_gives_same_bits),
        cmocka_unit_test(test_lenet_has_61706_parameters_and_reports_memory),
        cmocka_unit_test(test_images_from_u8_scale_to_unit_interval),
        cmocka_unit_test(test_lenet_rejects_bad_shapes_and_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

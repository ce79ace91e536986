/*
 * Logistic regression tests: gradient (with lazy L2, duplicate and colliding features)
 * against central differences (max relative error <= 1e-2 at h = 1e-3; the loss is smooth),
 * the sparse training step against loss+gradient followed by a dense optimiser step, learning
 * a separable problem, bit-identical runs from the same seed, and input validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kn_check.h"

/* Four rows over 2^6 weights: feature 70 collides with 6, row 2 repeats feature 3. */
static const uint64_t RP[5] = {0, 3, 5, 9, 11};
static const uint32_t COL[11] = {1, 6, 9, 70, 2, 3, 3, 11, 40, 9, 63};
static const float VAL[11] = {1.0f, 0.5f, -1.5f, 2.0f, 1.0f, 0.3f, 0.7f, -0.4f, 1.2f, 0.8f, 1.0f};
static const int32_t LAB[4] = {1, 0, 1, 0};

static struct kn_batch tiny_batch(void)
{
    struct kn_batch b = {.n = 4, .row_ptr = RP, .col = COL, .val = VAL, .labels = LAB};
    return b;
}

static struct kn_model *make_lr(int log2w, float l2)
{
    struct kn_model_config cfg;
    struct kn_model *m = NULL;
    struct err e;
    assert_int_equal(kn_model_config_from_name("lr", 8, &cfg, &e), SIREN_OK);
    cfg.lr_log2_weights = log2w;
    cfg.lr_l2 = l2;
    assert_int_equal(kn_model_create(&cfg, &m, &e), SIREN_OK);
    return m;
}

static void random_params(struct kn_model *m, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    kc_fill(kn_model_params(m), kn_model_num_params(m), -0.5f, 0.5f, &r);
}

static void test_lr_gradient_with_l2_matches_finite_differences(void **state)
{
    (void)state;
    struct kn_model *m = make_lr(6, 0.1f);
    random_params(m, 1);
    struct kn_batch b = tiny_batch();
    struct kc_result r = kc_model_gradcheck(m, &b, 0, kn_model_num_params(m), 1, 1e-3f);
    if (r.max_rel > 1e-2) fail_msg("lr: max relative error %.3g", r.max_rel);
    assert_int_equal(r.checked, 65);
    kn_model_free(m);
}

static void check_step_equals_dense(struct kn_optim_config oc, float l2)
{
    struct kn_model *a = make_lr(6, l2), *b = make_lr(6, l2);
    random_params(a, 2);
    random_params(b, 2);
    struct kn_batch bt = tiny_batch();
    struct kn_optim oa, ob;
    struct err e;
    size_t n = kn_model_num_params(a);
    assert_int_equal(kn_optim_init(&oa, &oc, n, &e), SIREN_OK);
    assert_int_equal(kn_optim_init(&ob, &oc, n, &e), SIREN_OK);
    float la, lb;
    /* Dense reference: loss+grad, then a full optimiser step. */
    assert_int_equal(kn_model_loss_grad(a, &bt, &la, &e), SIREN_OK);
    kn_optim_step(&oa, kn_model_params(a), kn_model_grads(a));
    assert_int_equal(kn_model_train_step(b, &bt, &ob, &lb, &e), SIREN_OK);
    assert_float_equal(la, lb, 1e-6);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(kn_model_params(a)[i], kn_model_params(b)[i], 1e-6);
    kn_optim_free(&oa);
    kn_optim_free(&ob);
    kn_model_free(a);
    kn_model_free(b);
}

static void test_lr_sparse_sgd_step_equals_dense_step(void **state)
{
    (void)state;
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_SGD);
    oc.lr = 0.5f;
    check_step_equals_dense(oc, 0.0f);
    check_step_equals_dense(oc, 0.2f); /* in-place path with first-touch decay */
    oc.momentum = 0.9f;
    check_step_equals_dense(oc, 0.2f); /* lazy path; equal on a first step */
}

static void test_lr_lazy_adam_first_step_equals_dense_step(void **state)
{
    (void)state;
    /* Untouched weights have g = 0, so dense Adam's first step leaves them alone too. */
    check_step_equals_dense(kn_optim_config_default(KN_OPTIM_ADAM), 0.1f);
}

/* Rows with feature 2i (label 1) or 2i+1 (label 0), i in 0..7, plus a shared feature 100. */
static void separable(uint64_t *rp, uint32_t *col, int32_t *lab, int n)
{
    for (int i = 0; i < n; i++) {
        rp[i] = (uint64_t)2 * i;
        col[2 * i] = 100;
        col[2 * i + 1] = (uint32_t)(2 * (i % 8) + (i % 2));
        lab[i] = (i % 2) == 0;
    }
    rp[n] = (uint64_t)2 * n;
}

static void test_lr_learns_a_separable_problem(void **state)
{
    (void)state;
    uint64_t rp[9];
    uint32_t col[16];
    int32_t lab[8];
    separable(rp, col, lab, 8);
    struct kn_batch b = {.n = 8, .row_ptr = rp, .col = col, .labels = lab};
    struct kn_model *m = make_lr(10, 0.0f);
    kn_model_init(m, 3);
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_SGD);
    oc.lr = 1.0f;
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &oc, kn_model_num_params(m), &e), SIREN_OK);
    float loss = 0.0f;
    for (int s = 0; s < 200; s++)
        assert_int_equal(kn_model_train_step(m, &b, &o, &loss, &e), SIREN_OK);
    assert_true(loss < 0.05f);
    struct kn_eval ev;
    float p1[8];
    assert_int_equal(kn_model_eval(m, &b, &ev, p1, &e), SIREN_OK);
    assert_int_equal(ev.correct, 8);
    assert_int_equal(ev.n, 8);
    assert_float_equal(ev.loss_sum / 8, loss, 0.01);
    for (int i = 0; i < 8; i++) assert_true(lab[i] ? p1[i] > 0.9f : p1[i] < 0.1f);
    kn_optim_free(&o);
    kn_model_free(m);
}

static void test_lr_same_seed_gives_same_bits(void **state)
{
    (void)state;
    float *run[2];
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        struct kn_model *m = make_lr(6, 0.01f);
        kn_model_init(m, 9);
        run[k] = kc_train_copy(m, tiny_batch(), 5, &n);
    }
    assert_memory_equal(run[0], run[1], n * sizeof(float));
    free(run[0]);
    free(run[1]);
}

static void test_lr_rejects_bad_batches(void **state)
{
    (void)state;
    struct kn_model *m = make_lr(6, 0.0f);
    struct kn_batch b = tiny_batch();
    int32_t bad[4] = {1, 2, 0, 0};
    float loss;
    struct err e;
    b.labels = bad;
    assert_int_equal(kn_model_loss_grad(m, &b, &loss, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "label 2"));
    b = tiny_batch();
    b.n = 9;
    assert_int_equal(kn_model_loss_grad(m, &b, &loss, &e), SIREN_EINVAL);
    b = tiny_batch();
    b.col = NULL;
    assert_int_equal(kn_model_loss_grad(m, &b, &loss, &e), SIREN_EINVAL);
    kn_model_free(m);
}

static void test_lr_memory_report_counts_weights(void **state)
{
    (void)state;
    struct kn_model_config cfg;
    struct kn_mem_report r;
    struct err e;
    assert_int_equal(kn_model_config_from_name("lr-ctr", 256, &cfg, &e), SIREN_OK);
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_ADAM);
    assert_int_equal(kn_model_memory(&cfg, 256, &oc, &r, &e), SIREN_OK);
    assert_int_equal(r.param_bytes, ((1u << 20) + 1) * 4);
    assert_int_equal(r.optim_bytes, 2 * r.param_bytes);
    assert_int_equal(r.total_bytes, r.param_bytes + r.grad_bytes + r.optim_bytes + r.act_bytes);
    assert_int_equal(kn_model_config_from_name("nope", 1, &cfg, &e), SIREN_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lr_gradient_with_l2_matches_finite_differences),
        cmocka_unit_test(test_lr_sparse_sgd_step_equals_dense_step),
        cmocka_unit_test(test_lr_lazy_adam_first_step_equals_dense_step),
        cmocka_unit_test(test_lr_learns_a_separable_problem),
        cmocka_unit_test(test_lr_same_seed_gives_same_bits),
        cmocka_unit_test(test_lr_rejects_bad_batches),
        cmocka_unit_test(test_lr_memory_report_counts_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

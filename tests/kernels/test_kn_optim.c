/*
 * Optimiser tests: SGD (with momentum and weight decay) and Adam steps against values
 * computed by hand from the update rules (Kingma & Ba 2015, Algorithm 1, for Adam), and the
 * sparse (lazy) step against the dense one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernels.h"

static void test_sgd_momentum_weight_decay_matches_hand_values(void **state)
{
    (void)state;
    struct kn_optim_config c = kn_optim_config_default(KN_OPTIM_SGD);
    c.lr = 0.1f;
    c.momentum = 0.9f;
    c.weight_decay = 0.01f;
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &c, 1, &e), SIREN_OK);
    float p = 1.0f;
    /* g' = g + 0.01 p; v = 0.9 v + g'; p -= 0.1 v:
     * (g=0.5) v=0.51 p=0.949; (g=0.5) v=0.96849 p=0.852151; (g=-0.2) v=0.68016249 p=0.7841347 */
    const float g[3] = {0.5f, 0.5f, -0.2f};
    const double want[3] = {0.949, 0.852151, 0.784134749};
    for (int t = 0; t < 3; t++) {
        kn_optim_step(&o, &p, &g[t]);
        assert_float_equal(p, want[t], 1e-6);
    }
    kn_optim_free(&o);
}

static void test_adam_matches_hand_values(void **state)
{
    (void)state;
    struct kn_optim_config c = kn_optim_config_default(KN_OPTIM_ADAM);
    c.lr = 0.1f;
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &c, 1, &e), SIREN_OK);
    float p = 1.0f;
    /* m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2; p -= 0.1 m/(1-0.9^t) / (sqrt(v/(1-0.999^t))
     * + 1e-8). Step 1 moves by lr exactly (m_hat/sqrt(v_hat) = sign g). */
    const float g[3] = {0.5f, -1.0f, 0.25f};
    const double want[3] = {0.900000002, 0.9366103542, 0.9502794203};
    for (int t = 0; t < 3; t++) {
        kn_optim_step(&o, &p, &g[t]);
        assert_float_equal(p, want[t], 2e-6);
    }
    assert_int_equal(o.t, 3);
    kn_optim_free(&o);
}

static void test_plain_sgd_sparse_step_equals_dense_step(void **state)
{
    (void)state;
    struct kn_optim_config c = kn_optim_config_default(KN_OPTIM_SGD);
    struct kn_optim a, b;
    struct err e;
    assert_int_equal(kn_optim_init(&a, &c, 6, &e), SIREN_OK);
    assert_int_equal(kn_optim_init(&b, &c, 6, &e), SIREN_OK);
    float pa[6] = {1, 2, 3, 4, 5, 6}, pb[6] = {1, 2, 3, 4, 5, 6};
    float g[6] = {0, 0.5f, 0, 0, -1.0f, 0};
    uint32_t idx[2] = {1, 4};
    kn_optim_step(&a, pa, g);
    kn_optim_step_sparse(&b, pb, g, idx, 2);
    assert_memory_equal(pa, pb, sizeof pa);
    kn_optim_free(&a);
    kn_optim_free(&b);
}

static void test_lazy_adam_leaves_untouched_entries_and_state_alone(void **state)
{
    (void)state;
    struct kn_optim_config c = kn_optim_config_default(KN_OPTIM_ADAM);
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &c, 4, &e), SIREN_OK);
    float p[4] = {1, 1, 1, 1}, g[4] = {9, 0.5f, 9, 9};
    uint32_t idx[1] = {1};
    kn_optim_step_sparse(&o, p, g, idx, 1);
    assert_true(p[0] == 1.0f && p[2] == 1.0f && p[3] == 1.0f);
    assert_float_equal(p[1], 0.999, 1e-6); /* 1 - lr */
    assert_true(o.m[0] == 0.0f && o.v[3] == 0.0f);
    kn_optim_free(&o);
}

static void test_optim_rejects_bad_config(void **state)
{
    (void)state;
    struct kn_optim_config c = kn_optim_config_default(KN_OPTIM_SGD);
    c.lr = -1.0f;
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &c, 4, &e), SIREN_EINVAL);
    c = kn_optim_config_default(KN_OPTIM_SGD);
    c.momentum = 1.0f;
    assert_int_equal(kn_optim_init(&o, &c, 4, &e), SIREN_EINVAL);
    c.kind = (enum kn_optim_kind)7;
    assert_int_equal(kn_optim_init(&o, &c, 4, &e), SIREN_EINVAL);
    c = kn_optim_config_default(KN_OPTIM_ADAM);
    assert_int_equal(kn_optim_state_bytes(&c, 10), 80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_momentum_weight_decay_matches_hand_values),
        cmocka_unit_test(test_adam_matches_hand_values),
        cmocka_unit_test(test_plain_sgd_sparse_step_equals_dense_step),
        cmocka_unit_test(test_lazy_adam_leaves_untouched_entries_and_state_alone),
        cmocka_unit_test(test_optim_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

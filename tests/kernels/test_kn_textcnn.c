/*
 * Text CNN tests: the model's gradient (embedding, the three convolution widths, fc; dropout
 * active with the batch's seed) against central differences (criterion in kn_check.h), the
 * sparse training step against loss+gradient followed by a dense step, overfitting a tiny
 * batch, bit-identical runs from one seed, dropout off in evaluation, validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kn_check.h"

enum { V = 30, L = 9, D = 6, F = 4, NB = 4 };

static struct kn_model *make_tc(float dropout, int max_batch)
{
    struct kn_model_config cfg;
    struct kn_model *m = NULL;
    struct err e;
    assert_int_equal(kn_model_config_from_name("textcnn-polarity", max_batch, &cfg, &e), SIREN_OK);
    cfg.vocab_size = V;
    cfg.seq_len = L;
    cfg.embed_dim = D;
    cfg.n_maps = F;
    cfg.dropout = dropout;
    assert_int_equal(kn_model_create(&cfg, &m, &e), SIREN_OK);
    return m;
}

/* Sentences of 5..9 tokens in 1..V-1, padded with 0; repeated tokens across sentences. */
static void random_tokens(int32_t *tok, int32_t *lab, int n, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int len = 5 + (int)rng_below(&r, L - 4);
        for (int t = 0; t < L; t++)
            tok[i * L + t] = t < len ? 1 + (int32_t)rng_below(&r, V - 1) : 0;
        lab[i] = (int32_t)rng_below(&r, 2);
    }
}

static void test_textcnn_gradient_matches_finite_differences(void **state)
{
    (void)state;
    struct kn_model *m = make_tc(0.5f, NB);
    kn_model_init(m, 1);
    /* Non-zero conv biases so the ReLUs sit away from their kink more often. */
    int32_t tok[NB * L], lab[NB];
    random_tokens(tok, lab, NB, 2);
    struct kn_batch b = {.n = NB, .tokens = tok, .labels = lab, .seed = 99};
    static const char *names[5] = {"embedding", "conv w", "conv b", "fc w", "fc b"};
    size_t len[5] = {V * D, 12 * F * D, 3 * F, 2 * 3 * F, 2};
    size_t off = 0;
    for (int g = 0; g < 5; g++) {
        kc_assert_model(kc_model_gradcheck(m, &b, off, off + len[g], 1, 1e-3f), names[g]);
        off += len[g];
    }
    assert_int_equal(off, kn_model_num_params(m));
    /* Padding row 0 and tokens absent from the batch get no gradient. */
    float loss;
    struct err e;
    assert_int_equal(kn_model_loss_grad(m, &b, &loss, &e), SIREN_OK);
    for (int k = 0; k < D; k++) assert_true(kn_model_grads(m)[k] == 0.0f);
    kn_model_free(m);
}

static void test_textcnn_sparse_step_equals_dense_step(void **state)
{
    (void)state;
    struct kn_model *a = make_tc(0.5f, NB), *b = make_tc(0.5f, NB);
    kn_model_init(a, 3);
    kn_model_init(b, 3);
    int32_t tok[NB * L], lab[NB];
    random_tokens(tok, lab, NB, 4);
    struct kn_batch bt = {.n = NB, .tokens = tok, .labels = lab, .seed = 5};
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_SGD);
    oc.lr = 0.3f;
    struct kn_optim oa, ob;
    struct err e;
    size_t n = kn_model_num_params(a);
    assert_int_equal(kn_optim_init(&oa, &oc, n, &e), SIREN_OK);
    assert_int_equal(kn_optim_init(&ob, &oc, n, &e), SIREN_OK);
    for (int s = 0; s < 3; s++) {
        float la, lb;
        bt.seed = 5 + (uint64_t)s;
        assert_int_equal(kn_model_loss_grad(a, &bt, &la, &e), SIREN_OK);
        kn_optim_step(&oa, kn_model_params(a), kn_model_grads(a));
        assert_int_equal(kn_model_train_step(b, &bt, &ob, &lb, &e), SIREN_OK);
        assert_true(la == lb);
    }
    /* Plain SGD: rows without gradient do not move either way, so the results agree (to
     * rounding: the vectorised update may split the two ranges differently). */
    for (size_t i = 0; i < n; i++)
        assert_float_equal(kn_model_params(a)[i], kn_model_params(b)[i], 1e-6);
    kn_optim_free(&oa);
    kn_optim_free(&ob);
    kn_model_free(a);
    kn_model_free(b);
}

static void test_textcnn_overfits_a_tiny_batch(void **state)
{
    (void)state;
    struct kn_model *m = make_tc(0.5f, 8);
    kn_model_init(m, 6);
    int32_t tok[8 * L], lab[8];
    random_tokens(tok, lab, 8, 7);
    struct kn_batch b = {.n = 8, .tokens = tok, .labels = lab};
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_ADAM);
    oc.lr = 0.01f;
    struct kn_optim o;
    struct err e;
    assert_int_equal(kn_optim_init(&o, &oc, kn_model_num_params(m), &e), SIREN_OK);
    float loss = 0.0f;
    for (int s = 0; s < 300; s++) {
        b.seed = (uint64_t)s;
        assert_int_equal(kn_model_train_step(m, &b, &o, &loss, &e), SIREN_OK);
    }
    struct kn_eval ev;
    float p1[8];
    assert_int_equal(kn_model_eval(m, &b, &ev, p1, &e), SIREN_OK);
    print_message("textcnn: train loss %.4f, eval loss %.4f, %d/8 correct\n", (double)loss,
                  ev.loss_sum / 8, ev.correct);
    assert_true(ev.loss_sum / 8 < 0.05); /* evaluation (no dropout) on the memorised batch */
    assert_int_equal(ev.correct, 8);
    for (int i = 0; i < 8; i++) assert_true(lab[i] ? p1[i] > 0.5f : p1[i] < 0.5f);
    kn_optim_free(&o);
    kn_model_free(m);
}

static void test_textcnn_same_seed_gives_same_bits(void **state)
{
    (void)state;
    int32_t tok[NB * L], lab[NB];
    random_tokens(tok, lab, NB, 8);
    struct kn_batch b = {.n = NB, .tokens = tok, .labels = lab, .seed = 100};
    float *run[2];
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        struct kn_model *m = make_tc(0.5f, NB);
        kn_model_init(m, 9);
        run[k] = kc_train_copy(m, b, 4, &n); /* dropout masks from seeds 100..103 */
    }
    assert_memory_equal(run[0], run[1], n * sizeof(float));
    free(run[0]);
    free(run[1]);
}

static void test_textcnn_eval_is_deterministic_and_dropout_free(void **state)
{
    (void)state;
    struct kn_model *m = make_tc(0.5f, NB);
    kn_model_init(m, 10);
    int32_t tok[NB * L], lab[NB];
    random_tokens(tok, lab, NB, 11);
    struct kn_batch b = {.n = NB, .tokens = tok, .labels = lab, .seed = 1};
    struct kn_eval e1, e2;
    float p1[NB], p2[NB];
    struct err e;
    assert_int_equal(kn_model_eval(m, &b, &e1, p1, &e), SIREN_OK);
    b.seed = 2; /* a different dropout seed must not matter in evaluation */
    assert_int_equal(kn_model_eval(m, &b, &e2, p2, &e), SIREN_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_true(e1.loss_sum == e2.loss_sum);
    kn_model_free(m);
}

static void test_textcnn_rejects_bad_config_and_input(void **state)
{
    (void)state;
    struct kn_model_config cfg;
    struct kn_model *m = NULL;
    struct err e;
    assert_int_equal(kn_model_config_from_name("textcnn", 4, &cfg, &e), SIREN_OK);
    cfg.seq_len = 4; /* shorter than the widest filter */
    assert_int_equal(kn_model_create(&cfg, &m, &e), SIREN_EINVAL);
    cfg.seq_len = 10;
    cfg.dropout = 1.0f;
    assert_int_equal(kn_model_create(&cfg, &m, &e), SIREN_EINVAL);
    m = make_tc(0.5f, NB);
    int32_t lab[2] = {0, 1};
    struct kn_batch b = {.n = 2, .labels = lab};
    float loss;
    assert_int_equal(kn_model_loss_grad(m, &b, &loss, &e), SIREN_EINVAL);
    kn_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textcnn_gradient_matches_finite_differences),
        cmocka_unit_test(test_textcnn_sparse_step_equals_dense_step),
        cmocka_unit_test(test_textcnn_overfits_a_tiny_batch),
        cmocka_unit_test(test_textcnn_same_seed_gives_same_bits),
        cmocka_unit_test(test_textcnn_eval_is_deterministic_and_dropout_free),
        cmocka_unit_test(test_textcnn_rejects_bad_config_and_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

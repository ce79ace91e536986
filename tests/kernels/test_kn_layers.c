/*
 * Layer tests: every layer's backward against central finite differences of its forward
 * (loss = sum(out * R) for a fixed random R, so d loss / d out = R), and the convolutions'
 * forward against naive loops. Tolerances: linear layers (dense, conv2d, conv1d, embedding)
 * max relative error <= 1e-3 at h = 0.1 (exact for linear maps up to rounding); non-linear ones
 * (ReLU, tanh, pools, dropout, losses) <= 1e-2 at h = 1e-3, with inputs kept away from kinks and
 * ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kn_check.h"

#define TOL_LINEAR 1e-3
#define TOL_SMOOTH 1e-2

static double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
    return s;
}

static void assert_check(struct kc_result r, double tol, const char *what)
{
    if (r.max_rel > tol)
        fail_msg("%s: max relative error %.3g > %.3g (%zu checked)", what, r.max_rel, tol,
                 r.checked);
    assert_true(r.checked > 0);
}

/* ------------------------------------------------------------------ dense */

enum { DB = 3, DI = 5, DO = 4 };
struct dense_ctx {
    float x[DB * DI], w[DO * DI], b[DO], out[DB * DO], R[DB * DO];
};

static double dense_f(void *p)
{
    struct dense_ctx *c = p;
    kn_dense_forward(c->out, c->x, c->w, c->b, DB, DI, DO, 0);
    return dot_d(c->out, c->R, DB * DO);
}

static void test_dense_gradients_match_finite_differences(void **state)
{
    (void)state;
    struct dense_ctx c;
    struct rng r;
    rng_seed(&r, 1);
    kc_fill(c.x, DB * DI, -1, 1, &r);
    kc_fill(c.w, DO * DI, -1, 1, &r);
    kc_fill(c.b, DO, -1, 1, &r);
    kc_fill(c.R, DB * DO, -1, 1, &r);
    float dx[DB * DI], dw[DO * DI] = {0}, db[DO] = {0};
    kn_dense_backward(dx, dw, db, c.R, c.x, c.w, DB, DI, DO);
    assert_check(kc_gradcheck(c.x, dx, DB * DI, 0, 1, 1e-1f, dense_f, &c), TOL_LINEAR, "dense dx");
    assert_check(kc_gradcheck(c.w, dw, DO * DI, 0, 1, 1e-1f, dense_f, &c), TOL_LINEAR, "dense dw");
    assert_check(kc_gradcheck(c.b, db, DO, 0, 1, 1e-1f, dense_f, &c), TOL_LINEAR, "dense db");
}

static void test_dense_fused_relu_equals_relu_of_dense(void **state)
{
    (void)state;
    struct dense_ctx c;
    struct rng r;
    rng_seed(&r, 2);
    kc_fill(c.x, DB * DI, -1, 1, &r);
    kc_fill(c.w, DO * DI, -1, 1, &r);
    kc_fill(c.b, DO, -1, 1, &r);
    float fused[DB * DO], plain[DB * DO];
    kn_dense_forward(fused, c.x, c.w, c.b, DB, DI, DO, 1);
    kn_dense_forward(plain, c.x, c.w, c.b, DB, DI, DO, 0);
    kn_relu_forward(plain, plain, DB * DO);
    assert_memory_equal(fused, plain, sizeof fused);
}

/* ------------------------------------------------------------ activations */

enum { AN = 40 };
struct act_ctx {
    float x[AN], out[AN], R[AN];
    int tanh_;
};

static double act_f(void *p)
{
    struct act_ctx *c = p;
    if (c->tanh_)
        kn_tanh_forward(c->out, c->x, AN);
    else
        kn_relu_forward(c->out, c->x, AN);
    return dot_d(c->out, c->R, AN);
}

static void check_activation(int use_tanh)
{
    struct act_ctx c = {.tanh_ = use_tanh};
    struct rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < AN; i++) {
        /* |x| in [0.1, 2]: at least 100 steps h away from the ReLU kink. */
        float m = 0.1f + 1.9f * rng_uniform_f(&r);
        c.x[i] = (i % 2) ? m : -m;
    }
    kc_fill(c.R, AN, -1, 1, &r);
    float dx[AN];
    act_f(&c);
    if (use_tanh)
        kn_tanh_backward(dx, c.R, c.out, AN);
    else
        kn_relu_backward(dx, c.R, c.out, AN);
    assert_check(kc_gradcheck(c.x, dx, AN, 0, 1, 1e-3f, act_f, &c), TOL_SMOOTH,
                 use_tanh ? "tanh" : "relu");
}

static void test_relu_gradient_matches_finite_differences(void **state)
{
    (void)state;
    check_activation(0);
}

static void test_tanh_gradient_matches_finite_differences(void **state)
{
    (void)state;
    check_activation(1);
}

/* ----------------------------------------------------------------- conv2d */

static const struct kn_conv2d_shape CS = {
    .B = 2, .C = 2, .H = 6, .W = 5, .OC = 3, .K = 3, .pad = 1};
#define C_IN (2 * 2 * 6 * 5)
#define C_W (3 * 2 * 3 * 3)
#define C_OUT (2 * 3 * 6 * 5)
struct conv_ctx {
    float x[C_IN], w[C_W], b[3], out[C_OUT], R[C_OUT], col[2 * 9 * 30];
};

static double conv_f(void *p)
{
    struct conv_ctx *c = p;
    kn_conv2d_forward(c->out, c->x, c->w, c->b, &CS, c->col);
    return dot_d(c->out, c->R, C_OUT);
}

static void test_conv2d_forward_matches_naive_loops(void **state)
{
    (void)state;
    struct conv_ctx c;
    struct rng r;
    rng_seed(&r, 4);
    kc_fill(c.x, C_IN, -1, 1, &r);
    kc_fill(c.w, C_W, -1, 1, &r);
    kc_fill(c.b, 3, -1, 1, &r);
    assert_int_equal(kn_conv2d_col_floats(&CS), 2 * 9 * 30);
    kn_conv2d_forward(c.out, c.x, c.w, c.b, &CS, c.col);
    for (int n = 0; n < 2; n++)
        for (int oc = 0; oc < 3; oc++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 5; x++) {
                    double s = c.b[oc];
                    for (int ci = 0; ci < 2; ci++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = y + ky - 1, ix = x + kx - 1;
                                if (iy < 0 || iy >= 6 || ix < 0 || ix >= 5) continue;
                                s += (double)c.w[((oc * 2 + ci) * 3 + ky) * 3 + kx] *
                                     (double)c.x[((n * 2 + ci) * 6 + iy) * 5 + ix];
                            }
                    assert_float_equal(c.out[((n * 3 + oc) * 6 + y) * 5 + x], s, 1e-5);
                }
}

static void test_conv2d_gradients_match_finite_differences(void **state)
{
    (void)state;
    struct conv_ctx c;
    struct rng r;
    rng_seed(&r, 5);
    kc_fill(c.x, C_IN, -1, 1, &r);
    kc_fill(c.w, C_W, -1, 1, &r);
    kc_fill(c.b, 3, -1, 1, &r);
    kc_fill(c.R, C_OUT, -1, 1, &r);
    float dx[C_IN], dw[C_W] = {0}, db[3] = {0};
    kn_conv2d_backward(dx, dw, db, c.R, c.x, c.w, &CS, c.col);
    assert_check(kc_gradcheck(c.x, dx, C_IN, 0, 1, 1e-1f, conv_f, &c), TOL_LINEAR, "conv2d dx");
    assert_check(kc_gradcheck(c.w, dw, C_W, 0, 1, 1e-1f, conv_f, &c), TOL_LINEAR, "conv2d dw");
    assert_check(kc_gradcheck(c.b, db, 3, 0, 1, 1e-1f, conv_f, &c), TOL_LINEAR, "conv2d db");
}

static void test_col2im_is_the_adjoint_of_im2col(void **state)
{
    (void)state;
    float img[C_IN / 2], y[2 * 9 * 30], col[2 * 9 * 30], back[C_IN / 2] = {0};
    struct rng r;
    rng_seed(&r, 6);
    kc_fill(img, C_IN / 2, -1, 1, &r);
    kc_fill(y, 2 * 9 * 30, -1, 1, &r);
    kn_im2col(col, img, 2, 6, 5, 3, 1, 30);
    kn_col2im(back, y, 2, 6, 5, 3, 1, 30);
    /* <im2col(x), y> = <x, col2im(y)> */
    assert_float_equal(dot_d(col, y, 2 * 9 * 30), dot_d(img, back, C_IN / 2), 1e-4);
}

/* --------------------------------------------------------------- max-pool */

enum { PP = 3, PH = 4, PW = 6 };
struct pool_ctx {
    float x[PP * PH * PW], out[PP * PH * PW / 4], R[PP * PH * PW / 4];
    int32_t arg[PP * PH * PW / 4];
};

static double pool_f(void *p)
{
    struct pool_ctx *c = p;
    kn_maxpool2_forward(c->out, c->arg, c->x, PP, PH, PW);
    return dot_d(c->out, c->R, PP * PH * PW / 4);
}

/* Distinct values 0.05 apart: no ties within a step h = 1e-3. */
static void fill_distinct(float *x, size_t n, struct rng *r)
{
    uint32_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    rng_shuffle_u32(r, perm, n);
    for (size_t i = 0; i < n; i++) x[i] = 0.05f * (float)perm[i] - 1.0f;
    free(perm);
}

static void test_maxpool_gradient_matches_finite_differences(void **state)
{
    (void)state;
    struct pool_ctx c;
    struct rng r;
    rng_seed(&r, 7);
    fill_distinct(c.x, PP * PH * PW, &r);
    kc_fill(c.R, PP * PH * PW / 4, -1, 1, &r);
    pool_f(&c);
    float dx[PP * PH * PW];
    kn_maxpool2_backward(dx, c.R, c.arg, PP, PH, PW);
    assert_check(kc_gradcheck(c.x, dx, PP * PH * PW, 0, 1, 1e-3f, pool_f, &c), TOL_SMOOTH,
                 "maxpool");
}

/* -------------------------------------------------------------- embedding */

enum { EB = 2, EL = 4, ED = 3, EV = 5 };
struct emb_ctx {
    float table[EV * ED], out[EB * EL * ED], R[EB * EL * ED];
    int32_t tok[EB * EL];
};

static double emb_f(void *p)
{
    struct emb_ctx *c = p;
    kn_embedding_forward(c->out, c->tok, c->table, EB, EL, ED, EV);
    return dot_d(c->out, c->R, EB * EL * ED);
}

static void test_embedding_gradient_is_sparse_and_matches_finite_differences(void **state)
{
    (void)state;
    struct emb_ctx c = {.tok = {1, 3, 3, 0, 4, 1, 0, 0}};
    struct rng r;
    rng_seed(&r, 8);
    kc_fill(c.table, EV * ED, -1, 1, &r);
    kc_fill(c.R, EB * EL * ED, -1, 1, &r);
    float dt[EV * ED] = {0};
    kn_embedding_backward(dt, c.R, c.tok, EB, EL, ED, EV);
    /* Row 0 is padding and row 2 is unused: no gradient. */
    for (int k = 0; k < ED; k++) {
        assert_true(dt[0 * ED + k] == 0.0f);
        assert_true(dt[2 * ED + k] == 0.0f);
    }
    emb_f(&c);
    for (int k = 0; k < ED; k++) assert_true(c.out[3 * ED + k] == 0.0f); /* padding reads 0 */
    assert_check(kc_gradcheck(c.table, dt, EV * ED, 0, 1, 1e-1f, emb_f, &c), TOL_LINEAR,
                 "embedding");
}

/* ----------------------------------------------------------------- conv1d */

enum { TB = 2, TL = 7, TD = 3, TF = 4, TK = 3, TT = TL - TK + 1 };
struct c1_ctx {
    float x[TB * TL * TD], w[TF * TK * TD], b[TF], out[TB * TT * TF], R[TB * TT * TF];
};

static double c1_f(void *p)
{
    struct c1_ctx *c = p;
    kn_conv1d_forward(c->out, c->x, c->w, c->b, TB, TL, TD, TF, TK);
    return dot_d(c->out, c->R, TB * TT * TF);
}

static void test_conv1d_matches_naive_loops_and_finite_differences(void **state)
{
    (void)state;
    struct c1_ctx c;
    struct rng r;
    rng_seed(&r, 9);
    kc_fill(c.x, TB * TL * TD, -1, 1, &r);
    kc_fill(c.w, TF * TK * TD, -1, 1, &r);
    kc_fill(c.b, TF, -1, 1, &r);
    kc_fill(c.R, TB * TT * TF, -1, 1, &r);
    c1_f(&c);
    for (int n = 0; n < TB; n++)
        for (int t = 0; t < TT; t++)
            for (int f = 0; f < TF; f++) {
                double s = c.b[f];
                for (int k = 0; k < TK; k++)
                    for (int d = 0; d < TD; d++)
                        s += (double)c.x[(n * TL + t + k) * TD + d] *
                             (double)c.w[(f * TK + k) * TD + d];
                assert_float_equal(c.out[(n * TT + t) * TF + f], s, 1e-5);
            }
    float dx[TB * TL * TD], dw[TF * TK * TD] = {0}, db[TF] = {0};
    kn_conv1d_backward(dx, dw, db, c.R, c.x, c.w, TB, TL, TD, TF, TK);
    assert_check(kc_gradcheck(c.x, dx, TB * TL * TD, 0, 1, 1e-1f, c1_f, &c), TOL_LINEAR,
                 "conv1d dx");
    assert_check(kc_gradcheck(c.w, dw, TF * TK * TD, 0, 1, 1e-1f, c1_f, &c), TOL_LINEAR,
                 "conv1d dw");
    assert_check(kc_gradcheck(c.b, db, TF, 0, 1, 1e-1f, c1_f, &c), TOL_LINEAR, "conv1d db");
}

/* --------------------------------------------------------- max over time */

enum { MB = 2, MT = 5, MF = 3 };
struct mt_ctx {
    float x[MB * MT * MF], out[MB * MF], R[MB * MF];
    int32_t arg[MB * MF];
};

static double mt_f(void *p)
{
    struct mt_ctx *c = p;
    kn_maxtime_forward(c->out, c->arg, c->x, MB, MT, MF);
    return dot_d(c->out, c->R, MB * MF);
}

static void test_max_over_time_gradient_matches_finite_differences(void **state)
{
    (void)state;
    struct mt_ctx c;
    struct rng r;
    rng_seed(&r, 10);
    fill_distinct(c.x, MB * MT * MF, &r);
    kc_fill(c.R, MB * MF, -1, 1, &r);
    mt_f(&c);
    float dx[MB * MT * MF];
    kn_maxtime_backward(dx, c.R, c.arg, MB, MT, MF);
    assert_check(kc_gradcheck(c.x, dx, MB * MT * MF, 0, 1, 1e-3f, mt_f, &c), TOL_SMOOTH,
                 "max over time");
}

/* ---------------------------------------------------------------- dropout */

enum { RN = 10000 };
struct drop_ctx {
    float x[64], out[64], mask[64], R[64];
};

static double drop_f(void *p)
{
    struct drop_ctx *c = p;
    struct rng r;
    rng_seed(&r, 77); /* the same mask at every evaluation */
    kn_dropout_forward(c->out, c->mask, c->x, 64, 0.5f, &r);
    return dot_d(c->out, c->R, 64);
}

static void test_dropout_mask_is_seeded_scaled_and_differentiable(void **state)
{
    (void)state;
    static float x[RN], out[RN], m1[RN], m2[RN];
    struct rng r;
    for (int i = 0; i < RN; i++) x[i] = 1.0f;
    rng_seed(&r, 11);
    kn_dropout_forward(out, m1, x, RN, 0.5f, &r);
    rng_seed(&r, 11);
    kn_dropout_forward(out, m2, x, RN, 0.5f, &r);
    assert_memory_equal(m1, m2, sizeof m1);
    int zeros = 0;
    for (int i = 0; i < RN; i++) {
        assert_true(m1[i] == 0.0f || m1[i] == 2.0f);
        zeros += m1[i] == 0.0f;
    }
    /* Binomial(10000, 0.5): 4 standard deviations is +-200. */
    assert_in_range(zeros, 4800, 5200);

    struct drop_ctx c;
    rng_seed(&r, 12);
    kc_fill(c.x, 64, -1, 1, &r);
    kc_fill(c.R, 64, -1, 1, &r);
    drop_f(&c);
    float dx[64];
    kn_dropout_backward(dx, c.R, c.mask, 64);
    assert_check(kc_gradcheck(c.x, dx, 64, 0, 1, 1e-1f, drop_f, &c), TOL_LINEAR, "dropout");
}

/* ----------------------------------------------------------------- losses */

enum { LB = 3, LC = 4 };
struct xent_ctx {
    float z[LB * LC], p[LB * LC];
    int32_t y[LB];
};

static double xent_f(void *p)
{
    struct xent_ctx *c = p;
    return kn_softmax_xent_forward(c->p, c->z, c->y, LB, LC);
}

static void test_softmax_xent_gradient_matches_finite_differences(void **state)
{
    (void)state;
    struct xent_ctx c = {.y = {0, 3, 2}};
    struct rng r;
    rng_seed(&r, 13);
    kc_fill(c.z, LB * LC, -3, 3, &r);
    float loss = (float)xent_f(&c);
    /* The loss is the mean of -log p[label]. */
    double ref = 0.0;
    for (int n = 0; n < LB; n++) ref -= log((double)c.p[n * LC + c.y[n]]);
    assert_float_equal(loss, ref / LB, 1e-5);
    float dz[LB * LC];
    kn_softmax_xent_backward(dz, c.p, c.y, LB, LC);
    assert_check(kc_gradcheck(c.z, dz, LB * LC, 0, 1, 1e-3f, xent_f, &c), TOL_SMOOTH,
                 "softmax xent");
}

static void test_softmax_xent_is_finite_for_huge_logits(void **state)
{
    (void)state;
    float z[2] = {1000.0f, -1000.0f}, p[2];
    int32_t y = 1;
    float loss = kn_softmax_xent_forward(p, z, &y, 1, 2);
    assert_float_equal(loss, 2000.0, 1e-3);
}

enum { GB = 6 };
struct logi_ctx {
    float z[GB], p[GB];
    int32_t y[GB];
};

static double logi_f(void *p)
{
    struct logi_ctx *c = p;
    return kn_logistic_forward(c->p, c->z, c->y, GB);
}

static void test_logistic_loss_gradient_matches_finite_differences(void **state)
{
    (void)state;
    struct logi_ctx c = {.z = {-30.0f, -2.0f, -0.3f, 0.4f, 2.5f, 30.0f}, .y = {0, 1, 0, 1, 1, 1}};
    double loss = logi_f(&c);
    double ref = 0.0;
    for (int i = 0; i < GB; i++) {
        double z = c.z[i];
        ref += log1p(exp(z)) - (c.y[i] ? z : 0.0);
    }
    assert_float_equal(loss, ref / GB, 1e-5);
    float dz[GB];
    kn_logistic_backward(dz, c.p, c.y, GB);
    assert_check(kc_gradcheck(c.z, dz, GB, 0, 1, 1e-3f, logi_f, &c), TOL_SMOOTH, "logistic");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_gradients_match_finite_differences),
        cmocka_unit_test(test_dense_fused_relu_equals_relu_of_dense),
        cmocka_unit_test(test_relu_gradient_matches_finite_differences),
        cmocka_unit_test(test_tanh_gradient_matches_finite_differences),
        cmocka_unit_test(test_conv2d_forward_matches_naive_loops),
        cmocka_unit_test(test_conv2d_gradients_match_finite_differences),
        cmocka_unit_test(test_col2im_is_the_adjoint_of_im2col),
        cmocka_unit_test(test_maxpool_gradient_matches_finite_differences),
        cmocka_unit_test(test_embedding_gradient_is_sparse_and_matches_finite_differences),
        cmocka_unit_test(test_conv1d_matches_naive_loops_and_finite_differences),
        cmocka_unit_test(test_max_over_time_gradient_matches_finite_differences),
        cmocka_unit_test(test_dropout_mask_is_seeded_scaled_and_differentiable),
        cmocka_unit_test(test_softmax_xent_gradient_matches_finite_differences),
        cmocka_unit_test(test_softmax_xent_is_finite_for_huge_logits),
        cmocka_unit_test(test_logistic_loss_gradient_matches_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

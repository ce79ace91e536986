/*
 * Full-batch Newton-CG for logistic regression (kn_lr_newton_*): its minimiser against ones
 * computed here by other means (bisection on the first-order condition of a bias-only model;
 * plain gradient descent in double on a small dense problem), convergence to a finite
 * minimiser on separable data, a monotone objective, the same answer on 1 and 3 threads, and
 * the errors of a bad setup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* A small sparse problem owned by the test: rows in CSR, labels 0/1. */
struct problem {
    int n;
    uint64_t *row_ptr;
    uint32_t *col;
    float *val;
    int32_t *labels;
};

static void problem_free(struct problem *p)
{
    free(p->row_ptr);
    free(p->col);
    free(p->val);
    free(p->labels);
}

static struct kn_batch problem_batch(const struct problem *p)
{
    return (struct kn_batch){.n = p->n, .row_ptr = p->row_ptr, .col = p->col, .val = p->val,
                             .labels = p->labels};
}

static struct kn_model *lr_model(int log2_weights)
{
    struct kn_model_config c;
    struct err e;
    struct kn_model *m = NULL;
    assert_int_equal(kn_model_config_from_name("lr", 1, &c, &e), SIREN_OK);
    c.lr_log2_weights = log2_weights;
    assert_int_equal(kn_model_create(&c, &m, &e), SIREN_OK);
    kn_model_init(m, 0);
    return m;
}

/* Runs Newton steps until converged (at most max_steps); returns the steps taken and checks
 * that the objective never rose beyond rounding. */
static int fit(struct kn_model *m, const struct problem *p, double l2, int threads, int max_steps)
{
    struct kn_lr_newton_config c = kn_lr_newton_config_default(l2);
    c.threads = threads;
    c.rel_tol = 1e-6;
    struct kn_batch b = problem_batch(p);
    struct kn_lr_newton *s = NULL;
    struct err e;
    assert_int_equal(kn_lr_newton_create(m, &b, &c, &s, &e), SIREN_OK);
    double last = INFINITY;
    int steps = 0;
    struct kn_lr_newton_report r = {0};
    while (steps < max_steps && !r.converged) {
        kn_lr_newton_step(s, &r);
        steps++;
        /* Rising by no more than F's float resolution (1e-7 relative). */
        assert_true(r.objective <= last + 1e-7 * fabs(last));
        last = r.objective;
    }
    assert_true(r.converged);
    kn_lr_newton_free(s);
    return steps;
}

/* Rows with no features: the model is the bias b alone, whose minimiser solves
 * sigmoid(b) - mean(y) + l2 b = 0 (F is convex in b, so bisection finds it). */
static void test_bias_only_model_matches_bisection_of_first_order_condition(void **state)
{
    (void)state;
    struct problem p = {.n = 10};
    p.row_ptr = calloc(11, sizeof *p.row_ptr);
    p.col = calloc(1, sizeof *p.col);
    p.labels = calloc(10, sizeof *p.labels);
    for (int i = 0; i < 3; i++) p.labels[i] = 1; /* mean(y) = 0.3 */
    const double l2 = 0.05;
    double lo = -10.0, hi = 10.0;
    for (int k = 0; k < 200; k++) {
        double mid = 0.5 * (lo + hi);
        double g = 1.0 / (1.0 + exp(-mid)) - 0.3 + l2 * mid;
        if (g > 0) hi = mid;
        else lo = mid;
    }
    struct kn_model *m = lr_model(4);
    fit(m, &p, l2, 1, 30);
    const float *theta = kn_model_params(m);
    double bias_ref = 0.5 * (lo + hi);
    assert_float_equal(theta[16], bias_ref, 1e-5);
    for (int j = 0; j < 16; j++) assert_true(theta[j] == 0.0f); /* no data, only L2 */
    kn_model_free(m);
    problem_free(&p);
}

/* F and its gradient in double, straight from the definition (reference for the next test). */
static double reference_grad(const struct problem *p, const double *w, size_t d, double l2,
                             double *g)
{
    double f = 0.0;
    for (size_t j = 0; j < d; j++) g[j] = l2 * w[j];
    for (int i = 0; i < p->n; i++) {
        double z = w[d - 1];
        for (uint64_t k = p->row_ptr[i]; k < p->row_ptr[i + 1]; k++)
            z += w[p->col[k]] * (double)p->val[k];
        double prob = 1.0 / (1.0 + exp(-z)), y = p->labels[i];
        f += log1p(exp(-fabs(z))) + fmax(z, 0.0) - y * z;
        double c = (prob - y) / p->n;
        for (uint64_t k = p->row_ptr[i]; k < p->row_ptr[i + 1]; k++)
            g[p->col[k]] += c * (double)p->val[k];
        g[d - 1] += c;
    }
    double ww = 0.0;
    for (size_t j = 0; j < d; j++) ww += w[j] * w[j];
    return f / p->n + 0.5 * l2 * ww;
}

/* A dense 40 x 3 problem with real-valued features and overlapping classes. */
static void make_dense_problem(struct problem *p, int n)
{
    p->n = n;
    p->row_ptr = malloc((size_t)(n + 1) * sizeof *p->row_ptr);
    p->col = malloc((size_t)n * 3 * sizeof *p->col);
    p->val = malloc((size_t)n * 3 * sizeof *p->val);
    p->labels = malloc((size_t)n * sizeof *p->labels);
    struct rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < n; i++) {
        p->row_ptr[i] = (uint64_t)i * 3;
        double z = 0.3;
        for (int j = 0; j < 3; j++) {
            float x = (float)(rng_uniform(&r) * 2.0 - 1.0);
            p->col[i * 3 + j] = (uint32_t)j;
            p->val[i * 3 + j] = x;
            z += (j + 1) * (double)x;
        }
        p->labels[i] = rng_uniform(&r) < 1.0 / (1.0 + exp(-z));
    }
    p->row_ptr[n] = (uint64_t)n * 3;
}

static void test_dense_problem_matches_gradient_descent_in_double(void **state)
{
    (void)state;
    struct problem p;
    make_dense_problem(&p, 40);
    const double l2 = 0.1;
    /* Reference: gradient descent in double. F's curvature is at most 0.25 max|x|^2 * 4 + l2
     * < 1.2, so the step 0.5 is stable and 20,000 steps reach machine precision. */
    const size_t d = 5; /* 2^2 weights + bias; feature 3 is unused */
    double w[5] = {0}, g[5];
    for (int t = 0; t < 20000; t++) {
        reference_grad(&p, w, d, l2, g);
        for (size_t j = 0; j < d; j++) w[j] -= 0.5 * g[j];
    }
    double f_ref = reference_grad(&p, w, d, l2, g);
    struct kn_model *m = lr_model(2);
    int steps = fit(m, &p, l2, 1, 30);
    assert_true(steps <= 15); /* Newton: a handful, not thousands */
    const float *theta = kn_model_params(m);
    double wm[5];
    for (size_t j = 0; j < d; j++) {
        assert_float_equal(theta[j], w[j], 2e-4);
        wm[j] = theta[j];
    }
    assert_float_equal(reference_grad(&p, wm, d, l2, g), f_ref, 1e-7);
    kn_model_free(m);
    problem_free(&p);
}

/* Two features that separate the classes perfectly: without L2 the minimiser is at
 * infinity; with it Newton converges to a finite point that classifies every row right. */
static void test_separable_problem_converges_to_finite_weights(void **state)
{
    (void)state;
    struct problem p = {.n = 20};
    p.row_ptr = malloc(21 * sizeof *p.row_ptr);
    p.col = malloc(20 * sizeof *p.col);
    p.val = NULL; /* all values 1 */
    p.labels = malloc(20 * sizeof *p.labels);
    for (int i = 0; i < 20; i++) {
        p.row_ptr[i] = (uint64_t)i;
        p.col[i] = (uint32_t)(i % 2); /* feature 0 in even rows (label 1), 1 in odd rows */
        p.labels[i] = i % 2 == 0;
    }
    p.row_ptr[20] = 20;
    struct kn_model *m = lr_model(4);
    fit(m, &p, 1e-3, 1, 40);
    const float *theta = kn_model_params(m);
    float z_pos = theta[0] + theta[16], z_neg = theta[1] + theta[16];
    assert_true(isfinite(theta[0]) && isfinite(theta[1]));
    assert_true(z_pos > 2.0f && z_neg < -2.0f);
    kn_model_free(m);
    problem_free(&p);
}

/* 20,000 rows over 3 threads (each above the per-thread minimum) against 1 thread: the
 * partial scatters are summed in another order, so equal to float rounding, not bitwise. */
static void test_three_threads_reach_the_one_thread_minimiser(void **state)
{
    (void)state;
    struct problem p;
    make_dense_problem(&p, 20000);
    struct kn_model *one = lr_model(2), *three = lr_model(2);
    fit(one, &p, 1e-3, 1, 30);
    fit(three, &p, 1e-3, 3, 30);
    for (int j = 0; j < 5; j++)
        assert_float_equal(kn_model_params(one)[j], kn_model_params(three)[j], 1e-4);
    kn_model_free(one);
    kn_model_free(three);
    problem_free(&p);
}

static void test_newton_rejects_bad_setup(void **state)
{
    (void)state;
    struct problem p;
    make_dense_problem(&p, 8);
    struct kn_batch b = problem_batch(&p);
    struct kn_lr_newton *s = (struct kn_lr_newton *)&p; /* must come back NULL */
    struct err e;
    struct kn_model *m = lr_model(2);
    struct kn_lr_newton_config c = kn_lr_newton_config_default(0.0);
    assert_int_equal(kn_lr_newton_create(m, &b, &c, &s, &e), SIREN_EINVAL);
    assert_null(s);
    assert_non_null(strstr(e.msg, "l2"));
    c = kn_lr_newton_config_default(0.1);
    p.labels[3] = 2;
    assert_int_equal(kn_lr_newton_create(m, &b, &c, &s, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "row 3 has label 2"));
    p.labels[3] = 1;
    struct kn_model_config lc;
    struct kn_model *lenet = NULL;
    assert_int_equal(kn_model_config_from_name("lenet5", 1, &lc, &e), SIREN_OK);
    assert_int_equal(kn_model_create(&lc, &lenet, &e), SIREN_OK);
    assert_int_equal(kn_lr_newton_create(lenet, &b, &c, &s, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "expected lr"));
    kn_lr_newton_free(NULL);
    kn_model_free(lenet);
    kn_model_free(m);
    problem_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bias_only_model_matches_bisection_of_first_order_condition),
        cmocka_unit_test(test_dense_problem_matches_gradient_descent_in_double),
        cmocka_unit_test(test_separable_problem_converges_to_finite_weights),
        cmocka_unit_test(test_three_threads_reach_the_one_thread_minimiser),
        cmocka_unit_test(test_newton_rejects_bad_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Helpers of the kernel tests: random fills and the finite-difference gradient check.
 * Central differences (f(x+h) - f(x-h)) / (x+h - (x-h)) are formed in double from losses the
 * callers accumulate in double; the step actually taken (float rounding of x +- h) is the
 * denominator. Errors are reported per element, relative to max(|analytic|, |numeric|, floor),
 * where floor = 1e-3 * the largest analytic gradient (so near-zero entries do not dominate;
 * 1e-2 for models, whose kinks shift many units at once and leave noise of that size),
 * and as the normalised L2 error |a - n| / max(|a|, |n|) over the checked entries.
 * Piecewise-linear models (ReLU, max-pool) have kinks: a step that crosses one measures a
 * mix of two slopes. For models each entry is therefore differenced at h, 10h and h/10 and
 * the estimate closest to the analytic value is kept; a wrong gradient matches none of them.
 */
#ifndef KN_CHECK_H
#define KN_CHECK_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels.h"

static inline void kc_fill(float *x, size_t n, float lo, float hi, struct rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * rng_uniform_f(r);
}

struct kc_result {
    double max_rel; /* worst per-element relative error */
    double l2_rel;  /* normalised L2 error */
    size_t checked;
    size_t over; /* checked entries with relative error > 5e-2 */
};

/* Checks analytic gradient g (n) of f with respect to x (n), every `stride`-th entry starting
 * at `first`. f reads x through ctx and returns the loss in double. */
/* Central difference of f at x[i] with step h, in double. */
static inline double kc_central(float *x, size_t i, float h, double (*f)(void *), void *ctx)
{
    float save = x[i];
    float xp = save + h, xm = save - h;
    x[i] = xp;
    double fp = f(ctx);
    x[i] = xm;
    double fm = f(ctx);
    x[i] = save;
    return (fp - fm) / ((double)xp - (double)xm);
}

static inline struct kc_result kc_gradcheck_k(float *x, const float *g, size_t n, size_t first,
                                              size_t stride, float h, double (*f)(void *),
                                              void *ctx, int kinks)
{
    struct kc_result res = {0, 0, 0, 0};
    double gmax = 0.0, num2 = 0.0, diff2 = 0.0, ana2 = 0.0;
    for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs((double)g[i]));
    double floor_abs = (kinks ? 1e-2 : 1e-3) * gmax + 1e-7;
    for (size_t i = first; i < n; i += stride) {
        double a = g[i];
        double num = kc_central(x, i, h, f, ctx);
        if (kinks) {
            /* A kink inside [x-h, x+h] spoils one step size, rarely all three. */
            const float alt[2] = {h * 10.0f, h * 0.1f};
            for (int k = 0; k < 2; k++) {
                double other = kc_central(x, i, alt[k], f, ctx);
                if (fabs(other - a) < fabs(num - a)) num = other;
            }
        }
        double den = fmax(fmax(fabs(a), fabs(num)), floor_abs);
        double rel = fabs(a - num) / den;
        if (rel > res.max_rel) res.max_rel = rel;
        if (rel > 5e-2) res.over++;
        num2 += num * num;
        ana2 += a * a;
        diff2 += (a - num) * (a - num);
        res.checked++;
    }
    double scale = fmax(sqrt(num2), sqrt(ana2));
    res.l2_rel = scale > 0.0 ? sqrt(diff2) / scale : 0.0;
    return res;
}

static inline struct kc_result kc_gradcheck(float *x, const float *g, size_t n, size_t first,
                                            size_t stride, float h, double (*f)(void *), void *ctx)
{
    return kc_gradcheck_k(x, g, n, first, stride, h, f, ctx, 0);
}

/* Takes `steps` Adam steps of the initialised model m on b (the batch's mask seed advancing
 * by one per step from b.seed), frees m, and returns a malloc'ed copy of the parameters (n in
 * *n): run twice from the same seed, the copies must be equal bit for bit. */
static inline float *kc_train_copy(struct kn_model *m, struct kn_batch b, int steps, size_t *n)
{
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_ADAM);
    struct kn_optim o;
    struct err e;
    *n = kn_model_num_params(m);
    assert_int_equal(kn_optim_init(&o, &oc, *n, &e), SIREN_OK);
    uint64_t seed0 = b.seed;
    float loss;
    for (int s = 0; s < steps; s++) {
        b.seed = seed0 + (uint64_t)s;
        assert_int_equal(kn_model_train_step(m, &b, &o, &loss, &e), SIREN_OK);
    }
    float *copy = malloc(*n * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, kn_model_params(m), *n * sizeof *copy);
    kn_optim_free(&o);
    kn_model_free(m);
    return copy;
}

#endif

/* ------------------------------------------------ model gradient checks */

#include <stdlib.h>
#include <string.h>

struct kc_model_ctx {
    struct kn_model *m;
    const struct kn_batch *b;
};

/* The model's mean loss (training mode) at its current parameters, in double. */
static inline double kc_model_loss(void *p)
{
    struct kc_model_ctx *c = p;
    float loss = 0.0f;
    struct err e;
    if (kn_model_loss_grad(c->m, c->b, &loss, &e) != SIREN_OK) return NAN;
    return (double)loss;
}

/* Analytic gradient of the model on b versus central differences over the parameters
 * [begin, end), every stride-th one (three step sizes, see above). */
static inline struct kc_result kc_model_gradcheck(struct kn_model *m, const struct kn_batch *b,
                                                  size_t begin, size_t end, size_t stride, float h)
{
    size_t n = kn_model_num_params(m);
    float loss;
    struct err e;
    struct kc_result bad = {INFINITY, INFINITY, 0, 0};
    if (kn_model_loss_grad(m, b, &loss, &e) != SIREN_OK) return bad;
    float *g = malloc(n * sizeof *g);
    if (!g) return bad;
    memcpy(g, kn_model_grads(m), n * sizeof *g);
    struct kc_model_ctx c = {m, b};
    struct kc_result r = kc_gradcheck_k(kn_model_params(m) + begin, g + begin, end - begin, 0,
                                        stride, h, kc_model_loss, &c, 1);
    free(g);
    return r;
}

/* The model criterion: normalised L2 error <= 1e-2 and at most 5% of the checked entries,
 * rounded up, with a relative error above 5e-2. Rounded up because a small tensor (16 biases)
 * would otherwise allow none: the loss is a float, and its rounding divided by 2h leaves
 * noise of a few percent on an entry near the floor, whose size depends on the CPU's sgemm. */
#define kc_assert_model(r, what)                                                                   \
    do {                                                                                           \
        struct kc_result r_ = (r);                                                                 \
        print_message("%s: l2 %.2g, max %.2g, %zu checked, %zu over 5e-2\n", what, r_.l2_rel,      \
                      r_.max_rel, r_.checked, r_.over);                                            \
        if (!(r_.checked > 0 && r_.l2_rel <= 1e-2 && r_.over * 20 <= r_.checked + 19))             \
            fail_msg("%s: gradient check failed", what);                                           \
    } while (0)

/*
 * Full-batch Newton-CG for logistic regression (see kernels.h). State: the margins z (n) of
 * the current parameters, the per-row curvature D (n), the gradient, and the CG vectors (d
 * each, d = 2^k weights + bias), in one allocation. Parameters stay in the model's own
 * vector, so evaluation and saving see the fit as it goes.
 */
#include "kernels_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NEWTON_MAX_THREADS 64
#define NEWTON_ROWS_PER_THREAD_MIN 4096 /* below this a thread costs more than it saves */
#define NEWTON_ETA_MAX 0.1              /* loosest CG solve: |r| <= 0.1 |g| */
#define NEWTON_ARMIJO_C1 1e-4           /* sufficient decrease (Nocedal & Wright eq. 3.4) */
#define NEWTON_MAX_HALVINGS 30
#define NEWTON_F_RESOLUTION 1e-7 /* relative: F's sum of float row losses resolves no finer */

struct kn_lr_newton {
    struct kn_model *m;
    struct kn_batch b; /* borrowed arrays */
    struct kn_lr_newton_config cfg;
    size_t d;      /* parameters; the bias is the last */
    uint32_t mask; /* feature id -> weight: id & mask */
    float *g, *diag;             /* (d) each, adjacent: gradient, diagonal of the Hessian */
    float *dir, *r, *y, *p, *hp; /* (d) Newton direction, CG residual, preconditioned
                                    residual, CG direction, H p */
    float *z, *u, *xp, *curv;    /* (n) margins, X dir, X p, D_i */
    float *thread_out;           /* (threads - 1, 2d) private scatter targets */
    double f, grad_norm, grad_norm0;
    int converged;
};

enum pass_kind {
    PASS_MARGINS, /* z_i = theta . x_i */
    PASS_GRAD,    /* out (2d) = [X^T (p - y) / n, diag(X^T D X)], D_i = p_i (1 - p_i) / n;
                     sum = sum of row losses */
    PASS_HV,      /* xv_i = v . x_i, out = X^T D X v */
};

struct pass_job {
    struct kn_lr_newton *s;
    enum pass_kind kind;
    size_t i0, i1;  /* rows */
    const float *v; /* (d) PASS_MARGINS: theta; PASS_HV: v */
    float *rows;    /* (n) PASS_MARGINS: z; PASS_HV: X v */
    float *out;     /* (d, or 2d for PASS_GRAD) scatter target, zeroed by the caller */
    double sum;
};

/* v . x_i, the bias counted as a feature of value 1. Four partial sums break the dependency
 * chain of the gather. */
static inline float row_dot(const struct kn_lr_newton *s, size_t i, const float *v)
{
    const uint32_t *c = s->b.col;
    const float *val = s->b.val;
    uint32_t mask = s->mask;
    uint64_t k = s->b.row_ptr[i], end = s->b.row_ptr[i + 1];
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    if (val) {
        for (; k + 4 <= end; k += 4) {
            s0 += v[c[k] & mask] * val[k];
            s1 += v[c[k + 1] & mask] * val[k + 1];
            s2 += v[c[k + 2] & mask] * val[k + 2];
            s3 += v[c[k + 3] & mask] * val[k + 3];
        }
        for (; k < end; k++) s0 += v[c[k] & mask] * val[k];
    } else {
        for (; k + 4 <= end; k += 4) {
            s0 += v[c[k] & mask];
            s1 += v[c[k + 1] & mask];
            s2 += v[c[k + 2] & mask];
            s3 += v[c[k + 3] & mask];
        }
        for (; k < end; k++) s0 += v[c[k] & mask];
    }
    return v[mask + 1] + ((s0 + s1) + (s2 + s3));
}

/* out += t x_i (bias included). */
static inline void row_axpy(const struct kn_lr_newton *s, size_t i, float t, float *out)
{
    const uint32_t *c = s->b.col;
    const float *val = s->b.val;
    uint32_t mask = s->mask;
    uint64_t end = s->b.row_ptr[i + 1];
    if (val)
        for (uint64_t k = s->b.row_ptr[i]; k < end; k++) out[c[k] & mask] += t * val[k];
    else
        for (uint64_t k = s->b.row_ptr[i]; k < end; k++) out[c[k] & mask] += t;
    out[mask + 1] += t;
}

/* out[j] += t x_ij^2: the row's part of the Hessian's diagonal. */
static inline void row_axpy_sq(const struct kn_lr_newton *s, size_t i, float t, float *out)
{
    const uint32_t *c = s->b.col;
    const float *val = s->b.val;
    uint32_t mask = s->mask;
    uint64_t end = s->b.row_ptr[i + 1];
    if (val)
        for (uint64_t k = s->b.row_ptr[i]; k < end; k++) out[c[k] & mask] += t * val[k] * val[k];
    else
        for (uint64_t k = s->b.row_ptr[i]; k < end; k++) out[c[k] & mask] += t;
    out[mask + 1] += t;
}

/* Row loss log(1 + e^z) - y z and p = sigmoid(z) from one exponential. The loss is written
 * as max(-z, 0) + log1p(e^-|z|) for y = 1 (max(z, 0) + ... for y = 0): the textbook form
 * subtracts y z from a number near z and loses the small loss of a confident row to
 * cancellation, which near the minimum is all that changes. */
static inline float row_loss(float z, int32_t y, float *p)
{
    float ez = expf(-fabsf(z));
    float inv = 1.0f / (1.0f + ez);
    if (p) *p = z >= 0.0f ? inv : ez * inv;
    float margin = y ? -z : z;
    return (margin > 0.0f ? margin : 0.0f) + log1pf(ez);
}

/* Scalar on purpose, as lr_forward in kn_lr.c: the vectorised gather measured slower. */
__attribute__((optimize("no-tree-vectorize"))) static void *pass_run(void *arg)
{
    struct pass_job *j = arg;
    struct kn_lr_newton *s = j->s;
    float inv_n = 1.0f / (float)s->b.n;
    double sum = 0.0;
    for (size_t i = j->i0; i < j->i1; i++) {
        switch (j->kind) {
        case PASS_MARGINS: j->rows[i] = row_dot(s, i, j->v); break;
        case PASS_GRAD: {
            float p;
            sum += (double)row_loss(s->z[i], s->b.labels[i], &p);
            s->curv[i] = p * (1.0f - p) * inv_n;
            row_axpy(s, i, (p - (s->b.labels[i] ? 1.0f : 0.0f)) * inv_n, j->out);
            row_axpy_sq(s, i, s->curv[i], j->out + s->d);
            break;
        }
        case PASS_HV: {
            float t = row_dot(s, i, j->v);
            j->rows[i] = t;
            row_axpy(s, i, s->curv[i] * t, j->out);
            break;
        }
        }
    }
    j->sum = sum;
    return NULL;
}

/* Runs one pass over all rows on up to cfg.threads threads; returns the summed j->sum. out (d,
 * or 2d for PASS_GRAD) is overwritten with the summed scatter (when the pass scatters). A
 * thread that cannot be started leaves its rows to the calling thread: slower, same result. */
static double pass(struct kn_lr_newton *s, enum pass_kind kind, const float *v, float *rows,
                   float *out)
{
    size_t n = (size_t)s->b.n;
    size_t threads = (size_t)s->cfg.threads;
    if (threads > n / NEWTON_ROWS_PER_THREAD_MIN) threads = n / NEWTON_ROWS_PER_THREAD_MIN;
    if (threads < 1) threads = 1;
    struct pass_job jobs[NEWTON_MAX_THREADS];
    pthread_t tid[NEWTON_MAX_THREADS];
    int started[NEWTON_MAX_THREADS] = {0};
    size_t width = kind == PASS_GRAD ? 2 * s->d : s->d;
    for (size_t t = 0; t < threads; t++) {
        float *target = out ? (t == 0 ? out : s->thread_out + (t - 1) * 2 * s->d) : NULL;
        if (target) memset(target, 0, width * sizeof *target);
        jobs[t] = (struct pass_job){.s = s, .kind = kind, .i0 = n * t / threads,
                                    .i1 = n * (t + 1) / threads, .v = v, .rows = rows,
                                    .out = target};
    }
    for (size_t t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, pass_run, &jobs[t]) == 0;
    pass_run(&jobs[0]);
    double sum = jobs[0].sum;
    for (size_t t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else pass_run(&jobs[t]);
        sum += jobs[t].sum;
        if (out) {
            const float *part = jobs[t].out;
            for (size_t k = 0; k < width; k++) out[k] += part[k];
        }
    }
    return sum;
}

static double dot(const float *a, const float *b, size_t n)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += (double)a[i] * (double)b[i];
    return acc;
}

/* F, its gradient and the Hessian's diagonal at the current parameters, from the cached
 * margins z; refreshes D. */
static void eval_grad(struct kn_lr_newton *s)
{
    const float *theta = kn_model_params(s->m);
    double loss = pass(s, PASS_GRAD, NULL, NULL, s->g);
    float l2 = (float)s->cfg.l2;
    for (size_t k = 0; k < s->d; k++) {
        s->g[k] += l2 * theta[k];
        s->diag[k] += l2;
    }
    s->f = loss / s->b.n + 0.5 * s->cfg.l2 * dot(theta, theta, s->d);
    s->grad_norm = sqrt(dot(s->g, s->g, s->d));
}

struct kn_lr_newton_config kn_lr_newton_config_default(double l2)
{
    return (struct kn_lr_newton_config){.l2 = l2, .max_cg = 100, .rel_tol = 1e-5, .threads = 1};
}

int kn_lr_newton_create(struct kn_model *m, const struct kn_batch *all,
                        const struct kn_lr_newton_config *cfg, struct kn_lr_newton **out,
                        struct err *e)
{
    *out = NULL;
    if (m->cfg.kind != KN_MODEL_LR)
        return err_set(e, SIREN_EINVAL, "newton: model is %s, expected lr",
                       kn_model_kind_name(m->cfg.kind));
    if (!(cfg->l2 > 0.0) || cfg->max_cg < 1 || cfg->max_cg > 1000 || !(cfg->rel_tol >= 0.0) ||
        cfg->threads < 1 || cfg->threads > NEWTON_MAX_THREADS)
        return err_set(e, SIREN_EINVAL,
                       "newton: l2 %g must be > 0, max_cg %d in 1..1000, rel_tol %g >= 0, "
                       "threads %d in 1..%d",
                       cfg->l2, cfg->max_cg, cfg->rel_tol, cfg->threads, NEWTON_MAX_THREADS);
    if (all->n < 1 || !all->row_ptr || !all->col || !all->labels)
        return err_set(e, SIREN_EINVAL, "newton: %d rows; expected row_ptr, col and labels of "
                       "at least one row", all->n);
    for (int i = 0; i < all->n; i++)
        if (all->labels[i] != 0 && all->labels[i] != 1)
            return err_set(e, SIREN_EINVAL, "newton: row %d has label %d, expected 0 or 1", i,
                           (int)all->labels[i]);
    struct kn_lr_newton *s = calloc(1, sizeof *s);
    if (!s) return err_set(e, SIREN_ENOMEM, "newton: out of memory");
    s->m = m;
    s->b = *all;
    s->cfg = *cfg;
    s->d = kn_model_num_params(m);
    s->mask = (uint32_t)(s->d - 2);
    size_t n = (size_t)all->n;
    size_t floats = 7 * s->d + 4 * n + (size_t)(cfg->threads - 1) * 2 * s->d;
    float *mem = malloc(floats * sizeof *mem);
    if (!mem) {
        free(s);
        return err_set(e, SIREN_ENOMEM, "newton: %zu floats of state", floats);
    }
    s->g = mem;
    s->diag = s->g + s->d;
    s->dir = s->diag + s->d;
    s->r = s->dir + s->d;
    s->y = s->r + s->d;
    s->p = s->y + s->d;
    s->hp = s->p + s->d;
    s->z = s->hp + s->d;
    s->u = s->z + n;
    s->xp = s->u + n;
    s->curv = s->xp + n;
    s->thread_out = s->curv + n;
    pass(s, PASS_MARGINS, kn_model_params(m), s->z, NULL);
    eval_grad(s);
    s->grad_norm0 = s->grad_norm;
    s->converged = s->grad_norm == 0.0;
    *out = s;
    return SIREN_OK;
}

void kn_lr_newton_free(struct kn_lr_newton *s)
{
    if (!s) return;
    free(s->g); /* the one allocation */
    free(s);
}

/* Approximately solves H dir = -g by conjugate gradients preconditioned with H's diagonal
 * (Nocedal & Wright Algorithm 5.3; the diagonal preconditioner as in Hsia, Chiang & Lin 2018
 * for liblinear). Stops at |r| <= eta |g| with eta = min(0.1, sqrt(|g| / |g_0|)): the
 * superlinear forcing term of Nocedal & Wright Algorithm 7.1, made independent of the loss's
 * scale, capped at the 0.1 of Lin, Weng & Keerthi 2008 (Section 2.1) rather than 0.5, since
 * a loose first direction costs a whole Newton step and its passes to repair. Also accumulates u = X dir
 * from the X p of every product, which saves the line search a pass. Returns the products
 * taken. */
static int solve_cg(struct kn_lr_newton *s)
{
    size_t d = s->d, n = (size_t)s->b.n;
    float l2 = (float)s->cfg.l2;
    double eta = fmin(NEWTON_ETA_MAX, sqrt(s->grad_norm / s->grad_norm0));
    double tol = eta * s->grad_norm;
    memset(s->dir, 0, d * sizeof *s->dir);
    memset(s->u, 0, n * sizeof *s->u);
    for (size_t k = 0; k < d; k++) {
        s->r[k] = -s->g[k];
        s->p[k] = s->y[k] = s->r[k] / s->diag[k];
    }
    double ry = dot(s->r, s->y, d);
    int it = 0;
    while (it < s->cfg.max_cg) {
        pass(s, PASS_HV, s->p, s->xp, s->hp);
        for (size_t k = 0; k < d; k++) s->hp[k] += l2 * s->p[k];
        it++;
        double php = dot(s->p, s->hp, d);
        if (!(php > 0.0)) break; /* H is positive definite; only rounding gets here */
        float alpha = (float)(ry / php);
        for (size_t k = 0; k < d; k++) {
            s->dir[k] += alpha * s->p[k];
            s->r[k] -= alpha * s->hp[k];
        }
        for (size_t i = 0; i < n; i++) s->u[i] += alpha * s->xp[i];
        if (sqrt(dot(s->r, s->r, d)) <= tol) break;
        for (size_t k = 0; k < d; k++) s->y[k] = s->r[k] / s->diag[k];
        double ry_next = dot(s->r, s->y, d);
        float beta = (float)(ry_next / ry);
        for (size_t k = 0; k < d; k++) s->p[k] = s->y[k] + beta * s->p[k];
        ry = ry_next;
    }
    return it;
}

/* F(theta + a dir) from the cached margins: z + a u, and |theta + a dir|^2 expanded. */
static double objective_along(const struct kn_lr_newton *s, double a, double tt, double td,
                              double dd)
{
    double loss = 0.0;
    float af = (float)a;
    for (int i = 0; i < s->b.n; i++)
        loss += (double)row_loss(s->z[i] + af * s->u[i], s->b.labels[i], NULL);
    return loss / s->b.n + 0.5 * s->cfg.l2 * (tt + 2.0 * a * td + a * a * dd);
}

void kn_lr_newton_step(struct kn_lr_newton *s, struct kn_lr_newton_report *out)
{
    *out = (struct kn_lr_newton_report){0};
    if (!s->converged) {
        out->cg_iters = solve_cg(s);
        float *theta = kn_model_params(s->m);
        double gd = dot(s->g, s->dir, s->d);
        double tt = dot(theta, theta, s->d), td = dot(theta, s->dir, s->d),
               dd = dot(s->dir, s->dir, s->d);
        double f_before = s->f, grad_before = s->grad_norm;
        /* Near the minimum the step's decrease (about -gd / 2) drops below what F computed
         * from float margins can resolve; the Newton step is then taken as it is and the
         * gradient judges it. Elsewhere: backtracking from the full step (Nocedal & Wright
         * Algorithm 3.1). */
        int unresolved = -0.5 * gd <= NEWTON_F_RESOLUTION * fabs(s->f);
        double a = 1.0;
        int found = unresolved;
        for (int h = 0; !found && gd < 0.0 && h < NEWTON_MAX_HALVINGS; h++, a *= 0.5)
            if (objective_along(s, a, tt, td, dd) <= s->f + NEWTON_ARMIJO_C1 * a * gd) {
                found = 1;
                break;
            }
        if (found) {
            float af = (float)a;
            for (size_t k = 0; k < s->d; k++) theta[k] += af * s->dir[k];
            for (int i = 0; i < s->b.n; i++) s->z[i] += af * s->u[i];
            eval_grad(s);
            out->step = a;
        }
        /* Converged: the gradient met the tolerance, or float rounding has the last word (no
         * step decreases F, or a step below F's resolution no longer shrinks the gradient). */
        if (!found || s->grad_norm <= s->cfg.rel_tol * s->grad_norm0 ||
            (unresolved ? s->grad_norm >= grad_before : !(s->f < f_before)))
            s->converged = 1;
    }
    out->objective = s->f;
    out->grad_norm = s->grad_norm;
    out->converged = s->converged;
}

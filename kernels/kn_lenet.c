/*
 * LeNet-5 (LeCun et al. 1998) in its common modern form: conv 6@5x5 pad 2, max-pool 2x2,
 * conv 16@5x5, max-pool 2x2, fc 400-120-84-classes, with ReLU instead of the paper's scaled
 * tanh and max instead of average pooling (faster to train, the form PyTorch users run, and
 * what the PyTorch peer in bench/torch_peer.py runs). Speed comes from three choices:
 * conv1 is a direct convolution in registers (one input channel makes im2col wasteful);
 * conv2 is a GEMM per chunk of 16 images over an NHWC im2row matrix; backward exploits max-pool
 * sparsity: only the arg-max position of each active pooled unit has a gradient, so the
 * conv2 weight and input gradients are 150-float axpys per active unit instead of GEMMs 4x
 * larger. Bias + ReLU are fused into the pooling; conv1 has no input gradient.
 */
#include "kernels_internal.h"

#include <math.h>
#include <string.h>

#define C1 6              /* conv1 maps */
#define C2 16             /* conv2 maps */
#define KS 5              /* kernel size of both convolutions */
#define F1 120            /* fc1 outputs */
#define F2 84             /* fc2 outputs */
#define CH 32             /* x-chunk of the direct conv1 loops (two AVX-512 vectors) */
#define P2 (KS * KS * C1) /* conv2 patch length: (ky, kx, c) = 150 */
#define LCHUNK                                                                                     \
    16 /* images per conv2 GEMM: the im2row block (16 x 100 x 150 floats) stays in L2              \
        */

/* 16 floats, loaded and stored unaligned (GCC vector extension; the AVX-512 clone keeps it in
 * one register, the others split it). */
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64), aligned(4)));
#define PR 32 /* padded length of one conv2 patch row: KS * C1 = 30 floats, rounded to 2 x 16 */

struct lenet_dims {
    int C, H, W;  /* input */
    int XS;       /* row stride of the padded input and of dy1 (>= W + 4, chunk slack) */
    int Q1h, Q1w; /* pool1 output */
    int H2, W2;   /* conv2 output */
    int Q2h, Q2w; /* pool2 output */
    int feat;     /* C2 * Q2h * Q2w */
    int classes;
};

struct lenet_params {
    float *w1, *b1; /* (C1, C, 5, 5), (C1) */
    float *w2, *b2; /* (C2, 5, 5, C1) for the NHWC patches, (C2) */
    float *w3, *b3; /* (F1, feat) with features ordered (py, px, c), (F1) */
    float *w4, *b4; /* (F2, F1), (F2) */
    float *w5, *b5; /* (classes, F2), (classes) */
};

struct lenet_act {
    float *xpad;     /* (B, C, H+4, XS) zero-padded input */
    float *y1;       /* (C1, H, W) conv1 output of one image (scratch) */
    float *a1;       /* (B, Q1h, Q1w, C1) pool1 + bias + ReLU, NHWC (+ PR floats slack) */
    int32_t *arg1;   /* (B, C1, Q1h, Q1w) arg-max code dy*2+dx, planar */
    float *rows2;    /* (LCHUNK*H2*W2, 150) im2row of a1 for one chunk of images */
    float *y2;       /* (B*H2*W2, C2) conv2 output, no bias */
    float *h0;       /* (B, feat) pool2 + bias + ReLU */
    uint8_t *arg2;   /* (B, feat) */
    float *h1, *h2;  /* (B, F1), (B, F2) after ReLU */
    float *z, *prob; /* (B, classes) logits, softmax */
    float *dz, *dh2, *dh1, *dh0; /* gradients of the above */
    float *da1;  /* (B, Q1h, Q1w, C1) (+ PR floats of slack for padded patch rows) */
    float *w2p;  /* (C2, KS, PR) w2 with each patch row zero-padded to PR floats */
    float *dw2p; /* (C2, KS, PR) conv2 weight gradient in the padded layout */
    float *p1;   /* (C1, Q1h, Q1w) pool1 maxima of one image, planar (scratch) */
    float *dy1;  /* (C1, H, XS) conv1 output gradient of one image (scratch) */
};

static void lenet_dims_of(const struct kn_model_config *cfg, struct lenet_dims *d)
{
    d->C = cfg->channels;
    d->H = cfg->height;
    d->W = cfg->width;
    d->XS = (d->W + CH - 1) / CH * CH + 16;
    d->Q1h = d->H / 2;
    d->Q1w = d->W / 2;
    d->H2 = d->Q1h - KS + 1;
    d->W2 = d->Q1w - KS + 1;
    d->Q2h = d->H2 / 2;
    d->Q2w = d->W2 / 2;
    d->feat = C2 * d->Q2h * d->Q2w;
    d->classes = cfg->classes;
}

/* Parameter offsets in the flat vector (base NULL: only the count). */
static size_t lenet_params_of(const struct lenet_dims *d, float *base, struct lenet_params *p)
{
    size_t off = 0;
#define LP(field, count)                                                                           \
    do {                                                                                           \
        if (base) p->field = base + off;                                                           \
        off += (size_t)(count);                                                                    \
    } while (0)
    LP(w1, C1 * d->C * KS * KS);
    LP(b1, C1);
    LP(w2, C2 * P2);
    LP(b2, C2);
    LP(w3, (size_t)F1 * d->feat);
    LP(b3, F1);
    LP(w4, F2 * F1);
    LP(b4, F2);
    LP(w5, d->classes * F2);
    LP(b5, d->classes);
#undef LP
    return off;
}

static size_t lenet_act_of(const struct lenet_dims *d, int B, void *base, struct lenet_act *a)
{
    size_t off = 0;
    char *p = base;
    size_t n1 = (size_t)B * d->Q1h * d->Q1w * C1, n2 = (size_t)B * d->H2 * d->W2;
#define LA(field, type, count)                                                                     \
    do {                                                                                           \
        if (p) a->field = (type *)(void *)(p + off);                                               \
        off += kn_align64(sizeof(type) * (size_t)(count));                                         \
    } while (0)
    LA(xpad, float, (size_t)B * d->C * (d->H + 4) * d->XS);
    LA(y1, float, (size_t)C1 * d->H * d->W + 2 * CH); /* + slack for pool1_plane reads */
    LA(a1, float, n1 + PR);
    LA(arg1, int32_t, n1 + 16);
    LA(rows2, float, (size_t)(B < LCHUNK ? B : LCHUNK) * d->H2 * d->W2 * P2);
    LA(y2, float, n2 *C2);
    LA(h0, float, (size_t)B * d->feat);
    LA(arg2, uint8_t, (size_t)B * d->feat);
    LA(h1, float, (size_t)B *F1);
    LA(h2, float, (size_t)B *F2);
    LA(z, float, (size_t)B * d->classes);
    LA(prob, float, (size_t)B * d->classes);
    LA(dz, float, (size_t)B * d->classes);
    LA(dh2, float, (size_t)B *F2);
    LA(dh1, float, (size_t)B *F1);
    LA(dh0, float, (size_t)B * d->feat);
    LA(da1, float, n1 + PR);
    LA(w2p, float, C2 *KS *PR);
    LA(dw2p, float, C2 *KS *PR);
    LA(p1, float, (size_t)C1 * d->Q1h * d->Q1w + 16);
    LA(dy1, float, (size_t)C1 * d->H * d->XS);
#undef LA
    return off;
}

static int lenet_sizes(const struct kn_model_config *cfg, int batch, size_t *n_params,
                       size_t *act_bytes, struct err *e)
{
    struct lenet_dims d;
    lenet_dims_of(cfg, &d);
    if (d.C < 1 || d.H < 1 || d.W < 1 || d.H % 2 || d.W % 2 || d.H2 < 2 || d.W2 < 2 || d.H2 % 2 ||
        d.W2 % 2 || d.H > 1024 || d.W > 1024)
        return err_set(e, SIREN_EINVAL,
                       "lenet5: input %dx%dx%d: height and width must be even, and half of "
                       "them minus 4 even and >= 2 (28x28 works)",
                       d.C, d.H, d.W);
    if (cfg->classes < 2)
        return err_set(e, SIREN_EINVAL, "lenet5: %d classes, expected >= 2", cfg->classes);
    *n_params = lenet_params_of(&d, NULL, NULL);
    *act_bytes = lenet_act_of(&d, batch, NULL, NULL);
    return SIREN_OK;
}

static void lenet_init(struct kn_model *m, uint64_t seed)
{
    struct lenet_dims d;
    struct lenet_params p = {0};
    struct rng r;
    lenet_dims_of(&m->cfg, &d);
    lenet_params_of(&d, m->params, &p);
    memset(m->params, 0, m->n_params * sizeof(float));
    rng_seed_stream(&r, seed, 0x1e7e75);
    /* He uniform (bound sqrt(6 / fan_in)) for ReLU layers, Glorot for the output layer. */
    kn_fill_uniform(p.w1, (size_t)C1 * d.C * KS * KS, sqrtf(6.0f / (float)(d.C * KS * KS)), &r);
    kn_fill_uniform(p.w2, (size_t)C2 * P2, sqrtf(6.0f / (float)P2), &r);
    kn_fill_uniform(p.w3, (size_t)F1 * d.feat, sqrtf(6.0f / (float)d.feat), &r);
    kn_fill_uniform(p.w4, (size_t)F2 * F1, sqrtf(6.0f / (float)F1), &r);
    kn_fill_uniform(p.w5, (size_t)d.classes * F2, sqrtf(6.0f / (float)(F2 + d.classes)), &r);
}

/* y (C1, H, W) = conv(xp (C, H+4, XS) padded, w1 (C1, C, 5, 5)), no bias. The 12 vector
 * accumulators of all C1 maps over a 32-wide chunk of one output row stay in registers. */
KN_SIMD static void conv1_direct(float *restrict y, const float *restrict xp,
                                 const float *restrict w, const struct lenet_dims *d)
{
    int H = d->H, W = d->W, XS = d->XS, C = d->C;
    for (int yy = 0; yy < H; yy++)
        for (int x0 = 0; x0 < W; x0 += CH) {
            v16 acc[C1][2];
#pragma GCC unroll 6
            for (int oc = 0; oc < C1; oc++) acc[oc][0] = acc[oc][1] = (v16){0};
            for (int ci = 0; ci < C; ci++)
                for (int ky = 0; ky < KS; ky++) {
                    const float *src = xp + ((size_t)ci * (H + 4) + yy + ky) * XS + x0;
                    const float *wk = w + ((size_t)ci * KS + ky) * KS;
#pragma GCC unroll 5
                    for (int kx = 0; kx < KS; kx++) {
                        v16 s0 = *(const v16 *)(src + kx), s1 = *(const v16 *)(src + kx + 16);
#pragma GCC unroll 6
                        for (int oc = 0; oc < C1; oc++) {
                            float wv = wk[(size_t)oc * C * KS * KS + kx];
                            acc[oc][0] += wv * s0;
                            acc[oc][1] += wv * s1;
                        }
                    }
                }
            int nx = W - x0 < CH ? W - x0 : CH;
            for (int oc = 0; oc < C1; oc++) {
                float *dst = y + ((size_t)oc * H + yy) * W + x0;
                if (nx == CH) {
                    *(v16 *)dst = acc[oc][0];
                    *(v16 *)(dst + 16) = acc[oc][1];
                } else {
                    float tmp[CH];
                    *(v16 *)tmp = acc[oc][0];
                    *(v16 *)(tmp + 16) = acc[oc][1];
                    memcpy(dst, tmp, sizeof(float) * (size_t)nx);
                }
            }
        }
}

/* dw (C1, C, 5, 5) += sum over (y, x) of dy (C1, H, XS) * xp (C, H+4, XS) shifted. dy is zero
 * beyond column W, so the chunk tails add nothing. */
KN_SIMD static void conv1_dweight(float *restrict dw, const float *restrict dy,
                                  const float *restrict xp, const struct lenet_dims *d)
{
    int H = d->H, W = d->W, XS = d->XS, C = d->C;
    for (int ci = 0; ci < C; ci++)
        for (int ky = 0; ky < KS; ky++)
            for (int kx = 0; kx < KS; kx++) {
                v16 acc[C1][2];
#pragma GCC unroll 6
                for (int oc = 0; oc < C1; oc++) acc[oc][0] = acc[oc][1] = (v16){0};
                for (int yy = 0; yy < H; yy++)
                    for (int x0 = 0; x0 < W; x0 += CH) {
                        const float *sp = xp + ((size_t)ci * (H + 4) + yy + ky) * XS + x0 + kx;
                        v16 s0 = *(const v16 *)sp, s1 = *(const v16 *)(sp + 16);
#pragma GCC unroll 6
                        for (int oc = 0; oc < C1; oc++) {
                            const float *g = dy + ((size_t)oc * H + yy) * XS + x0;
                            acc[oc][0] += *(const v16 *)g * s0;
                            acc[oc][1] += *(const v16 *)(g + 16) * s1;
                        }
                    }
                for (int oc = 0; oc < C1; oc++) {
                    v16 v = acc[oc][0] + acc[oc][1];
                    float t = 0.0f;
                    for (int x = 0; x < 16; x++) t += v[x];
                    dw[((oc * C + ci) * KS + ky) * KS + kx] += t;
                }
            }
}

/* Max-pool 2x2 of one plane y (H, W) -> m (H/2, W/2) and arg codes, 16 outputs per step
 * from 32 inputs split into even and odd columns; ties keep the first position in (0,0),
 * (0,1), (1,0), (1,1) order. Reads up to 32 floats past a row and writes up to 16 past the
 * plane (the callers' slack). */
KN_SIMD static void pool1_plane(float *restrict m, int32_t *restrict code, const float *restrict y,
                                int H, int W)
{
    const v16i even = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    const v16i odd = even + 1;
    int OW = W / 2;
    for (int py = 0; py < H / 2; py++) {
        const float *r0 = y + (size_t)(2 * py) * W, *r1 = r0 + W;
        for (int px = 0; px < OW; px += 16) {
            v16 u0 = *(const v16 *)(r0 + 2 * px), u1 = *(const v16 *)(r0 + 2 * px + 16);
            v16 l0 = *(const v16 *)(r1 + 2 * px), l1 = *(const v16 *)(r1 + 2 * px + 16);
            v16 a = __builtin_shuffle(u0, u1, even), b = __builtin_shuffle(u0, u1, odd);
            v16 c = __builtin_shuffle(l0, l1, even), e = __builtin_shuffle(l0, l1, odd);
            v16i g01 = b > a, g23 = e > c;
            v16 m01 = (v16)(((v16i)b & g01) | ((v16i)a & ~g01));
            v16 m23 = (v16)(((v16i)e & g23) | ((v16i)c & ~g23));
            v16i g = m23 > m01;
            v16 mx = (v16)(((v16i)m23 & g) | ((v16i)m01 & ~g));
            v16i k = ((2 + (g23 & 1)) & g) | ((g01 & 1) & ~g);
            /* Whole-vector stores: lanes past the row end land in the next row (rewritten
             * later) or in the callers' 16-element slack. */
            *(v16 *)(m + (size_t)py * OW + px) = mx;
            *(v16i *)(code + (size_t)py * OW + px) = k;
        }
    }
}

/* Pool1 of one image: y (C1, H, W) -> a (Q1h, Q1w, C1) NHWC = relu(max + b1), codes planar
 * (C1, Q1h, Q1w); m is a planar scratch. */
static void pool1_fused(float *a, int32_t *arg, float *m, const float *y, const float *b1,
                        const struct lenet_dims *d)
{
    size_t q = (size_t)d->Q1h * d->Q1w;
    for (int c = 0; c < C1; c++)
        pool1_plane(m + c * q, arg + c * q, y + (size_t)c * d->H * d->W, d->H, d->W);
    for (size_t i = 0; i < q; i++)
        for (int c = 0; c < C1; c++) {
            float v = m[c * q + i] + b1[c];
            a[i * C1 + c] = v > 0.0f ? v : 0.0f;
        }
}

/* rows (H2*W2, 150) of one image from a1 (Q1h, Q1w, C1): each patch is KS runs of KS*C1
 * contiguous floats. */
static void im2row2(float *rows, const float *a1, const struct lenet_dims *d)
{
    for (int y = 0; y < d->H2; y++)
        for (int x = 0; x < d->W2; x++) {
            float *r = rows + ((size_t)y * d->W2 + x) * P2;
            for (int ky = 0; ky < KS; ky++)
                memcpy(r + ky * KS * C1, a1 + ((size_t)(y + ky) * d->Q1w + x) * C1,
                       sizeof(float) * KS * C1);
        }
}

/* Max-pool 2x2 of y2 (H2, W2, C2) of one image + bias + ReLU -> h (Q2h, Q2w, C2) and codes. */
KN_SIMD static void pool2_fused(float *h, uint8_t *arg, const float *y2, const float *b2,
                                const struct lenet_dims *d)
{
    int W2 = d->W2;
    for (int py = 0; py < d->Q2h; py++)
        for (int px = 0; px < d->Q2w; px++) {
            const float *q0 = y2 + ((size_t)(2 * py) * W2 + 2 * px) * C2;
            const float *q1 = q0 + C2, *q2 = q0 + (size_t)W2 * C2, *q3 = q2 + C2;
            float *o = h + ((size_t)py * d->Q2w + px) * C2;
            uint8_t *g = arg + ((size_t)py * d->Q2w + px) * C2;
            for (int c = 0; c < C2; c++) {
                float best = q0[c];
                uint8_t code = 0;
                if (q1[c] > best) {
                    best = q1[c];
                    code = 1;
                }
                if (q2[c] > best) {
                    best = q2[c];
                    code = 2;
                }
                if (q3[c] > best) {
                    best = q3[c];
                    code = 3;
                }
                float v = best + b2[c];
                o[c] = v > 0.0f ? v : 0.0f;
                g[c] = code;
            }
        }
}

static int lenet_check_input(const struct kn_batch *b, struct err *e)
{
    if (!b->images) return err_set(e, SIREN_EINVAL, "lenet5: batch has no images");
    return SIREN_OK;
}

/* Forward of B rows up to the logits z and probabilities; returns the mean loss. */
static float lenet_forward(struct kn_model *m, const struct kn_batch *b, const struct lenet_dims *d,
                           const struct lenet_params *p, const struct lenet_act *a)
{
    int B = b->n;
    size_t img = (size_t)d->C * d->H * d->W, padimg = (size_t)d->C * (d->H + 4) * d->XS;
    size_t q1 = (size_t)d->Q1h * d->Q1w * C1, n2img = (size_t)d->H2 * d->W2;
    (void)m;
    for (int n0 = 0; n0 < B; n0 += LCHUNK) {
        int cn = B - n0 < LCHUNK ? B - n0 : LCHUNK;
        for (int n = n0; n < n0 + cn; n++) {
            float *xp = a->xpad + n * padimg;
            memset(xp, 0, sizeof(float) * padimg);
            for (int c = 0; c < d->C; c++)
                for (int y = 0; y < d->H; y++)
                    memcpy(xp + ((size_t)c * (d->H + 4) + y + 2) * d->XS + 2,
                           b->images + n * img + ((size_t)c * d->H + y) * d->W,
                           sizeof(float) * (size_t)d->W);
            conv1_direct(a->y1, xp, p->w1, d);
            pool1_fused(a->a1 + n * q1, a->arg1 + n * q1, a->p1, a->y1, p->b1, d);
            im2row2(a->rows2 + (n - n0) * n2img * P2, a->a1 + n * q1, d);
        }
        /* conv2 for the chunk: y2 (cn*H2*W2, C2) = rows2 (., 150) . w2^T (150, C2). */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(cn * n2img), C2, P2, 1.0f,
                    a->rows2, P2, p->w2, P2, 0.0f, a->y2 + n0 * n2img * C2, C2);
        for (int n = n0; n < n0 + cn; n++)
            pool2_fused(a->h0 + (size_t)n * d->feat, a->arg2 + (size_t)n * d->feat,
                        a->y2 + n * n2img * C2, p->b2, d);
    }
    kn_dense_forward(a->h1, a->h0, p->w3, p->b3, B, d->feat, F1, 1);
    kn_dense_forward(a->h2, a->h1, p->w4, p->b4, B, F1, F2, 1);
    kn_dense_forward(a->z, a->h2, p->w5, p->b5, B, F2, d->classes, 0);
    return kn_softmax_xent_forward(a->prob, a->z, b->labels, B, d->classes);
}

/* conv2 backward through pool2, one image: for each active pooled unit, its gradient g goes
 * to the arg-max position only: dw2[c] += g * patch, db2[c] += g, da1 patch += g * w2[c].
 * Patch rows are KS runs of 30 contiguous floats of a1; they are processed as 32 (two
 * vectors) against the zero-padded w2p, so the 2 extra floats of da1 get += 0 and the 2
 * extra products land in dw2p's padding, which is discarded. */
KN_SIMD static void conv2_backward_sparse(float *restrict dw2p, float *restrict db2,
                                          float *restrict da1, const float *restrict dh0,
                                          const float *restrict h0, const uint8_t *arg2,
                                          const float *restrict a1, const float *restrict w2p,
                                          const struct lenet_dims *d)
{
    /* Map-major order: the weight gradient row of map c (10 vectors) and its weights stay
     * in registers across the pooled positions; only da1 is read-modify-written per unit. */
    for (int c = 0; c < C2; c++) {
        v16 acc[2 * KS], wv[2 * KS];
        const float *wr = w2p + (size_t)c * KS * PR;
        float *dwc = dw2p + (size_t)c * KS * PR;
#pragma GCC unroll 10
        for (int j = 0; j < 2 * KS; j++) {
            acc[j] = *(const v16 *)(dwc + 16 * j);
            wv[j] = *(const v16 *)(wr + 16 * j);
        }
        float gb = 0.0f;
        for (int py = 0; py < d->Q2h; py++)
            for (int px = 0; px < d->Q2w; px++) {
                size_t i = ((size_t)py * d->Q2w + px) * C2 + c;
                if (h0[i] <= 0.0f) continue;
                float g = dh0[i];
                int y = 2 * py + (arg2[i] >> 1), x = 2 * px + (arg2[i] & 1);
                gb += g;
#pragma GCC unroll 5
                for (int ky = 0; ky < KS; ky++) {
                    size_t at = ((size_t)(y + ky) * d->Q1w + x) * C1;
                    acc[2 * ky] += g * *(const v16 *)(a1 + at);
                    acc[2 * ky + 1] += g * *(const v16 *)(a1 + at + 16);
                    *(v16 *)(da1 + at) += g * wv[2 * ky];
                    *(v16 *)(da1 + at + 16) += g * wv[2 * ky + 1];
                }
            }
#pragma GCC unroll 10
        for (int j = 0; j < 2 * KS; j++) *(v16 *)(dwc + 16 * j) = acc[j];
        db2[c] += gb;
    }
}

/* Pool1 backward, one image: dy1 (C1, H, XS) = da1 scattered to the arg-max positions of
 * active units; db1 += . */
static void pool1_backward(float *dy1, float *db1, const float *da1, const float *a1,
                           const int32_t *arg1, const struct lenet_dims *d)
{
    memset(dy1, 0, sizeof(float) * (size_t)C1 * d->H * d->XS);
    for (int py = 0; py < d->Q1h; py++)
        for (int px = 0; px < d->Q1w; px++)
            for (int c = 0; c < C1; c++) {
                size_t i = ((size_t)py * d->Q1w + px) * C1 + c;
                if (a1[i] <= 0.0f) continue;
                float g = da1[i];
                db1[c] += g;
                int32_t k = arg1[((size_t)c * d->Q1h + py) * d->Q1w + px];
                int y = 2 * py + (k >> 1), x = 2 * px + (k & 1);
                dy1[((size_t)c * d->H + y) * d->XS + x] = g;
            }
}

/* Backward of the batch after lenet_forward; m->grads is overwritten. */
static void lenet_backward(struct kn_model *m, const struct kn_batch *b, const struct lenet_dims *d,
                           const struct lenet_params *p, const struct lenet_act *a)
{
    int B = b->n;
    struct lenet_params g = {0};
    lenet_params_of(d, m->grads, &g);
    memset(m->grads, 0, m->n_params * sizeof(float));
    kn_softmax_xent_backward(a->dz, a->prob, b->labels, B, d->classes);
    kn_dense_backward(a->dh2, g.w5, g.b5, a->dz, a->h2, p->w5, B, F2, d->classes);
    kn_relu_backward(a->dh2, a->dh2, a->h2, (size_t)B * F2);
    kn_dense_backward(a->dh1, g.w4, g.b4, a->dh2, a->h1, p->w4, B, F1, F2);
    kn_relu_backward(a->dh1, a->dh1, a->h1, (size_t)B * F1);
    kn_dense_backward(a->dh0, g.w3, g.b3, a->dh1, a->h0, p->w3, B, d->feat, F1);
    size_t q1 = (size_t)d->Q1h * d->Q1w * C1;
    size_t padimg = (size_t)d->C * (d->H + 4) * d->XS;
    memset(a->da1, 0, sizeof(float) * (q1 * B + PR));
    memset(a->w2p, 0, sizeof(float) * C2 * KS * PR);
    memset(a->dw2p, 0, sizeof(float) * C2 * KS * PR);
    for (int c = 0; c < C2; c++)
        for (int ky = 0; ky < KS; ky++)
            memcpy(a->w2p + ((size_t)c * KS + ky) * PR, p->w2 + (size_t)c * P2 + ky * KS * C1,
                   sizeof(float) * KS * C1);
    for (int n = 0; n < B; n++) {
        conv2_backward_sparse(a->dw2p, g.b2, a->da1 + n * q1, a->dh0 + (size_t)n * d->feat,
                              a->h0 + (size_t)n * d->feat, a->arg2 + (size_t)n * d->feat,
                              a->a1 + n * q1, a->w2p, d);
        pool1_backward(a->dy1, g.b1, a->da1 + n * q1, a->a1 + n * q1, a->arg1 + n * q1, d);
        conv1_dweight(g.w1, a->dy1, a->xpad + n * padimg, d);
    }
    for (int c = 0; c < C2; c++)
        for (int ky = 0; ky < KS; ky++)
            memcpy(g.w2 + (size_t)c * P2 + ky * KS * C1, a->dw2p + ((size_t)c * KS + ky) * PR,
                   sizeof(float) * KS * C1);
}

/* Checks the batch, lays the model out into *d, *p and *a (read by lenet_backward and the
 * evaluation) and runs the forward pass; *loss gets the mean loss. */
static int lenet_forward_batch(struct kn_model *m, const struct kn_batch *b, struct lenet_dims *d,
                               struct lenet_params *p, struct lenet_act *a, float *loss,
                               struct err *e)
{
    int rc = lenet_check_input(b, e);
    if (rc) return rc;
    lenet_dims_of(&m->cfg, d);
    lenet_params_of(d, m->params, p);
    lenet_act_of(d, m->cfg.max_batch, m->act, a);
    *loss = lenet_forward(m, b, d, p, a);
    return SIREN_OK;
}

static int lenet_loss_grad(struct kn_model *m, const struct kn_batch *b, float *loss, struct err *e)
{
    struct lenet_dims d;
    struct lenet_params p = {0};
    struct lenet_act a = {0};
    int rc = lenet_forward_batch(m, b, &d, &p, &a, loss, e);
    if (!rc) lenet_backward(m, b, &d, &p, &a);
    return rc;
}

static int lenet_train_step(struct kn_model *m, const struct kn_batch *b, struct kn_optim *o,
                            float *loss, struct err *e)
{
    int rc = lenet_loss_grad(m, b, loss, e);
    if (rc) return rc;
    kn_optim_step(o, m->params, m->grads);
    return SIREN_OK;
}

static int lenet_eval(struct kn_model *m, const struct kn_batch *b, struct kn_eval *out,
                      float *prob1, struct err *e)
{
    struct lenet_dims d;
    struct lenet_params p = {0};
    struct lenet_act a = {0};
    float mean;
    int rc = lenet_forward_batch(m, b, &d, &p, &a, &mean, e);
    if (rc) return rc;
    out->loss_sum = (double)mean * b->n;
    out->n = b->n;
    kn_eval_tally(a.prob, b->n, d.classes, b->labels, out, prob1);
    return SIREN_OK;
}

/* FLOPs (2 per multiply-add) a training step executes per image: forward conv1, conv2, fc;
 * backward conv1 weights (dense, no input gradient), conv2 weights and input through the
 * pool arg-max only (a quarter of the positions, counted as if every unit were active: an
 * upper bound), fc weights and inputs. */
static double lenet_flops(const struct kn_model_config *cfg)
{
    struct lenet_dims d;
    lenet_dims_of(cfg, &d);
    double c1 = (double)C1 * d.H * d.W * KS * KS * d.C;
    double c2 = (double)C2 * d.H2 * d.W2 * P2;
    double fc = (double)d.feat * F1 + (double)F1 * F2 + (double)F2 * d.classes;
    return 2.0 * ((c1 + c2 + fc) + (c1 + 2.0 * c2 / 4.0 + 2.0 * fc));
}

const struct kn_model_ops kn_lenet_ops = {
    .sizes = lenet_sizes,
    .init = lenet_init,
    .loss_grad = lenet_loss_grad,
    .train_step = lenet_train_step,
    .eval = lenet_eval,
    .flops = lenet_flops,
};

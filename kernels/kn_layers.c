/*
 * Layers: forward/backward pairs writing into caller buffers (see kernels.h for shapes).
 *
 * Matrix products go to OpenBLAS cblas_sgemm; the element-wise loops are written so the
 * compiler vectorises them, with AVX-512/AVX2 clones picked at load time (KN_SIMD). Weight
 * gradients accumulate (+=), input gradients are overwritten. These standalone layers are
 * what the tests check against finite differences; the models use the same math, sometimes
 * fused (bias + ReLU + pool) or batched differently for speed.
 */
#include "kernels_internal.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ dense */

/* out (B,O) = in (B,I) . w (O,I)^T + b (O), optional ReLU. */
void kn_dense_forward(float *out, const float *in, const float *w, const float *b, int B, int NI,
                      int NO, int relu)
{
    for (int r = 0; r < B; r++) memcpy(out + (size_t)r * NO, b, sizeof(float) * (size_t)NO);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, NO, NI, 1.0f, in, NI, w, NI, 1.0f, out,
                NO);
    if (relu) kn_relu_forward(out, out, (size_t)B * (size_t)NO);
}

/* dw (O,I) += dout (B,O)^T . in (B,I); db (O) += sum_rows dout; din (B,I) = dout . w. */
void kn_dense_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                       const float *w, int B, int NI, int NO)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, NO, NI, B, 1.0f, dout, NO, in, NI, 1.0f,
                dw, NI);
    for (int r = 0; r < B; r++)
        for (int o = 0; o < NO; o++) db[o] += dout[(size_t)r * NO + o];
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, NI, NO, 1.0f, dout, NO, w, NI,
                    0.0f, din, NI);
}

/* ------------------------------------------------------------ activations */

/* out (n) = max(in, 0). */
KN_SIMD void kn_relu_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* din (n) = dout where out > 0. */
KN_SIMD void kn_relu_backward(float *din, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

/* out (n) = tanh(in). */
void kn_tanh_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
}

/* din (n) = dout (1 - out^2). */
void kn_tanh_backward(float *din, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * (1.0f - out[i] * out[i]);
}

/* ----------------------------------------------------------------- conv2d */

int kn_conv2d_out_h(const struct kn_conv2d_shape *s) { return s->H + 2 * s->pad - s->K + 1; }
int kn_conv2d_out_w(const struct kn_conv2d_shape *s) { return s->W + 2 * s->pad - s->K + 1; }

size_t kn_conv2d_col_floats(const struct kn_conv2d_shape *s)
{
    return (size_t)s->C * s->K * s->K * (size_t)kn_conv2d_out_h(s) * kn_conv2d_out_w(s);
}

/* col (C*K*K, OH*OW) with row stride ld <- img (C,H,W). */
KN_SIMD void kn_im2col(float *col, const float *img, int C, int H, int W, int K, int pad, size_t ld)
{
    int OH = H + 2 * pad - K + 1, OW = W + 2 * pad - K + 1;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                float *row = col + ((size_t)(c * K + ky) * K + kx) * ld;
                /* Output columns ox whose input column ox + kx - pad lies inside [0, W). */
                int x0 = pad - kx > 0 ? pad - kx : 0;
                int x1 = W + pad - kx < OW ? W + pad - kx : OW;
                for (int oy = 0; oy < OH; oy++) {
                    float *dst = row + (size_t)oy * OW;
                    int iy = oy + ky - pad;
                    if (iy < 0 || iy >= H || x1 <= x0) {
                        memset(dst, 0, sizeof(float) * (size_t)OW);
                        continue;
                    }
                    const float *src = img + ((size_t)c * H + iy) * W + (kx - pad);
                    for (int ox = 0; ox < x0; ox++) dst[ox] = 0.0f;
                    for (int ox = x0; ox < x1; ox++) dst[ox] = src[ox];
                    for (int ox = x1; ox < OW; ox++) dst[ox] = 0.0f;
                }
            }
}

/* img (C,H,W) += col (C*K*K, OH*OW) scattered back (adjoint of im2col). */
KN_SIMD void kn_col2im(float *img, const float *col, int C, int H, int W, int K, int pad, size_t ld)
{
    int OH = H + 2 * pad - K + 1, OW = W + 2 * pad - K + 1;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float *row = col + ((size_t)(c * K + ky) * K + kx) * ld;
                int x0 = pad - kx > 0 ? pad - kx : 0;
                int x1 = W + pad - kx < OW ? W + pad - kx : OW;
                for (int oy = 0; oy < OH; oy++) {
                    int iy = oy + ky - pad;
                    if (iy < 0 || iy >= H) continue;
                    const float *src = row + (size_t)oy * OW;
                    float *dst = img + ((size_t)c * H + iy) * W + (kx - pad);
                    for (int ox = x0; ox < x1; ox++) dst[ox] += src[ox];
                }
            }
}

/* out (B,OC,OH,OW) = w (OC, C*K*K) . im2col(in[b]) + b, per image. */
void kn_conv2d_forward(float *out, const float *in, const float *w, const float *b,
                       const struct kn_conv2d_shape *s, float *col)
{
    int OH = kn_conv2d_out_h(s), OW = kn_conv2d_out_w(s);
    int P = OH * OW, CKK = s->C * s->K * s->K;
    for (int n = 0; n < s->B; n++) {
        const float *img = in + (size_t)n * s->C * s->H * s->W;
        float *o = out + (size_t)n * s->OC * P;
        kn_im2col(col, img, s->C, s->H, s->W, s->K, s->pad, (size_t)P);
        for (int oc = 0; oc < s->OC; oc++)
            for (int p = 0; p < P; p++) o[(size_t)oc * P + p] = b[oc];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, P, CKK, 1.0f, w, CKK, col, P,
                    1.0f, o, P);
    }
}

/* dw (OC,CKK) += dout[b] (OC,P) . col^T; db += sums; din[b] = col2im(w^T . dout[b]). */
void kn_conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                        const float *w, const struct kn_conv2d_shape *s, float *col)
{
    int OH = kn_conv2d_out_h(s), OW = kn_conv2d_out_w(s);
    int P = OH * OW, CKK = s->C * s->K * s->K;
    size_t img_floats = (size_t)s->C * s->H * s->W;
    for (int n = 0; n < s->B; n++) {
        const float *d = dout + (size_t)n * s->OC * P;
        kn_im2col(col, in + (size_t)n * img_floats, s->C, s->H, s->W, s->K, s->pad, (size_t)P);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, CKK, P, 1.0f, d, P, col, P,
                    1.0f, dw, CKK);
        for (int oc = 0; oc < s->OC; oc++) {
            float acc = 0.0f;
            for (int p = 0; p < P; p++) acc += d[(size_t)oc * P + p];
            db[oc] += acc;
        }
        if (din) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, P, s->OC, 1.0f, w, CKK, d, P,
                        0.0f, col, P);
            float *di = din + (size_t)n * img_floats;
            memset(di, 0, sizeof(float) * img_floats);
            kn_col2im(di, col, s->C, s->H, s->W, s->K, s->pad, (size_t)P);
        }
    }
}

/* --------------------------------------------------------------- max-pool */

/* out (P,H/2,W/2), arg (same) <- in (P,H,W). */
void kn_maxpool2_forward(float *out, int32_t *arg, const float *in, int P, int H, int W)
{
    int OH = H / 2, OW = W / 2;
    for (int p = 0; p < P; p++) {
        const float *x = in + (size_t)p * H * W;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                int i0 = 2 * oy * W + 2 * ox, best = i0;
                if (x[i0 + 1] > x[best]) best = i0 + 1;
                if (x[i0 + W] > x[best]) best = i0 + W;
                if (x[i0 + W + 1] > x[best]) best = i0 + W + 1;
                size_t o = (size_t)p * OH * OW + (size_t)oy * OW + ox;
                out[o] = x[best];
                arg[o] = best;
            }
    }
}

/* din (P,H,W) = scatter of dout (P,H/2,W/2) to the arg positions. */
void kn_maxpool2_backward(float *din, const float *dout, const int32_t *arg, int P, int H, int W)
{
    size_t q = (size_t)(H / 2) * (W / 2);
    memset(din, 0, sizeof(float) * (size_t)P * H * W);
    for (int p = 0; p < P; p++)
        for (size_t i = 0; i < q; i++)
            din[(size_t)p * H * W + arg[(size_t)p * q + i]] += dout[(size_t)p * q + i];
}

/* -------------------------------------------------------------- embedding */

/* out (B,L,D) = table (V,D)[tokens (B,L)], padding rows zero. */
void kn_embedding_forward(float *out, const int32_t *tokens, const float *table, int B, int L,
                          int D, int V)
{
    for (size_t i = 0; i < (size_t)B * L; i++) {
        int32_t t = tokens[i];
        float *o = out + i * D;
        if (t <= 0 || t >= V)
            memset(o, 0, sizeof(float) * (size_t)D);
        else
            memcpy(o, table + (size_t)t * D, sizeof(float) * (size_t)D);
    }
}

/* dtable[tokens] (D) += dout (B,L,D) rows. */
KN_SIMD void kn_embedding_backward(float *dtable, const float *dout, const int32_t *tokens, int B,
                                   int L, int D, int V)
{
    for (size_t i = 0; i < (size_t)B * L; i++) {
        int32_t t = tokens[i];
        if (t <= 0 || t >= V) continue;
        float *g = dtable + (size_t)t * D;
        const float *d = dout + i * D;
        for (int k = 0; k < D; k++) g[k] += d[k];
    }
}

/* ----------------------------------------------------------------- conv1d */

/* out (B,T,F) = b + sum_k in (B, t+k, D) . w[:,k,:]^T ; one GEMM per (image, k). */
void kn_conv1d_forward(float *out, const float *in, const float *w, const float *b, int B, int L,
                       int D, int F, int KW)
{
    int T = L - KW + 1;
    for (int n = 0; n < B; n++) {
        float *o = out + (size_t)n * T * F;
        for (int t = 0; t < T; t++) memcpy(o + (size_t)t * F, b, sizeof(float) * (size_t)F);
        for (int k = 0; k < KW; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, F, D, 1.0f,
                        in + ((size_t)n * L + k) * D, D, w + (size_t)k * D, KW * D, 1.0f, o, F);
    }
}

/* dw (F,KW,D) += , db (F) += , din (B,L,D) = , from dout (B,T,F). */
void kn_conv1d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                        const float *w, int B, int L, int D, int F, int KW)
{
    int T = L - KW + 1;
    if (din) memset(din, 0, sizeof(float) * (size_t)B * L * D);
    for (int n = 0; n < B; n++) {
        const float *d = dout + (size_t)n * T * F;
        for (int t = 0; t < T; t++)
            for (int f = 0; f < F; f++) db[f] += d[(size_t)t * F + f];
        for (int k = 0; k < KW; k++) {
            /* dw[:,k,:] (F,D) += d^T (F,T) . in[n, k:k+T, :] (T,D) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, F, D, T, 1.0f, d, F,
                        in + ((size_t)n * L + k) * D, D, 1.0f, dw + (size_t)k * D, KW * D);
            /* din[n, k:k+T, :] (T,D) += d (T,F) . w[:,k,:] (F,D) */
            if (din)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, F, 1.0f, d, F,
                            w + (size_t)k * D, KW * D, 1.0f, din + ((size_t)n * L + k) * D, D);
        }
    }
}

/* out (B,F), arg (B,F) <- max over t of in (B,T,F). */
void kn_maxtime_forward(float *out, int32_t *arg, const float *in, int B, int T, int F)
{
    for (int n = 0; n < B; n++) {
        const float *x = in + (size_t)n * T * F;
        for (int f = 0; f < F; f++) {
            float best = x[f];
            int32_t bt = 0;
            for (int t = 1; t < T; t++)
                if (x[(size_t)t * F + f] > best) {
                    best = x[(size_t)t * F + f];
                    bt = t;
                }
            out[(size_t)n * F + f] = best;
            arg[(size_t)n * F + f] = bt;
        }
    }
}

/* din (B,T,F) = dout (B,F) at the arg positions, 0 elsewhere. */
void kn_maxtime_backward(float *din, const float *dout, const int32_t *arg, int B, int T, int F)
{
    memset(din, 0, sizeof(float) * (size_t)B * T * F);
    for (int n = 0; n < B; n++)
        for (int f = 0; f < F; f++)
            din[((size_t)n * T + arg[(size_t)n * F + f]) * F + f] = dout[(size_t)n * F + f];
}

/* ---------------------------------------------------------------- dropout */

/* mask (n) in {0, 1/(1-p)}; out = in * mask. */
void kn_dropout_forward(float *out, float *mask, const float *in, size_t n, float p, struct rng *r)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = rng_uniform_f(r) < p ? 0.0f : keep;
        out[i] = in[i] * mask[i];
    }
}

void kn_dropout_backward(float *din, const float *dout, const float *mask, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

/* ----------------------------------------------------------------- losses */

/* probs (B,C) = softmax(logits); returns mean -log probs[label]. */
float kn_softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, int B,
                              int C)
{
    double total = 0.0;
    for (int n = 0; n < B; n++) {
        const float *z = logits + (size_t)n * C;
        float *p = probs + (size_t)n * C;
        float mx = z[0];
        for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
        float sum = 0.0f;
        for (int c = 0; c < C; c++) {
            p[c] = expf(z[c] - mx);
            sum += p[c];
        }
        float inv = 1.0f / sum;
        for (int c = 0; c < C; c++) p[c] *= inv;
        /* -log softmax = log(sum) - (z - mx), exact even when p underflows. */
        total += (double)(logf(sum) - (z[labels[n]] - mx));
    }
    return (float)(total / B);
}

/* dlogits (B,C) = (probs - onehot) / B. */
void kn_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B,
                              int C)
{
    float inv = 1.0f / (float)B;
    for (int n = 0; n < B; n++)
        for (int c = 0; c < C; c++)
            dlogits[(size_t)n * C + c] =
                (probs[(size_t)n * C + c] - (c == labels[n] ? 1.0f : 0.0f)) * inv;
}

float kn_softplus(float z)
{
    /* log(1 + e^z) = max(z, 0) + log1p(e^-|z|) */
    return (z > 0.0f ? z : 0.0f) + log1pf(expf(-fabsf(z)));
}

/* p (B) = sigmoid(z); returns mean softplus(z) - y z. */
float kn_logistic_forward(float *p, const float *z, const int32_t *labels, int B)
{
    double total = 0.0;
    for (int n = 0; n < B; n++) {
        p[n] = 1.0f / (1.0f + expf(-z[n]));
        total += (double)(kn_softplus(z[n]) - (labels[n] ? z[n] : 0.0f));
    }
    return (float)(total / B);
}

void kn_logistic_backward(float *dz, const float *p, const int32_t *labels, int B)
{
    float inv = 1.0f / (float)B;
    for (int n = 0; n < B; n++) dz[n] = (p[n] - (labels[n] ? 1.0f : 0.0f)) * inv;
}

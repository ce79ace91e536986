/*
 * kernels: the ML compute of siren. Pure compute: no I/O, no MPI, HDF5 or curl.
 *
 * Layers are pairs of forward/backward functions writing into caller buffers; the shape of
 * every tensor is in the comment above each function (row-major, B = batch rows). Backward
 * functions ACCUMULATE (+=) into weight gradients and OVERWRITE input gradients. Models
 * (logistic regression on hashed features, LeNet-5, Kim's text CNN) keep ONE flat parameter
 * vector and ONE flat gradient vector, plus one activation arena sized for a maximum batch
 * at creation, so no step allocates. Optimisers work on flat vectors. Everything is
 * deterministic for a given seed on a given machine (OpenBLAS kernels may differ across CPUs).
 */
#ifndef SIREN_KERNELS_H
#define SIREN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* ================================================================ layers */

/* Dense: out (B,O) = in (B,I) . w^T + b, w (O,I), b (O); relu != 0 applies ReLU in place
 * (fused, one pass). */
void kn_dense_forward(float *out, const float *in, const float *w, const float *b, int B, int NI,
                      int NO, int relu);
/* dout (B,O) is the gradient at the dense output (after ReLU masking, see kn_relu_backward).
 * dw (O,I) += dout^T . in; db (O) += column sums of dout; din (B,I) = dout . w (skipped when
 * din is NULL, e.g. for a first layer). */
void kn_dense_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                       const float *w, int B, int NI, int NO);

/* ReLU: out (n) = max(in, 0) (out may equal in). Backward: din (n) = dout where out > 0, else 0
 * (din may equal dout). */
void kn_relu_forward(float *out, const float *in, size_t n);
void kn_relu_backward(float *din, const float *dout, const float *out, size_t n);
/* tanh: out (n) = tanh(in); din (n) = dout * (1 - out^2). */
void kn_tanh_forward(float *out, const float *in, size_t n);
void kn_tanh_backward(float *din, const float *dout, const float *out, size_t n);

/* 2-D convolution, stride 1, square kernel K, zero padding pad on every side. */
struct kn_conv2d_shape {
    int B, C, H, W; /* input (B,C,H,W) */
    int OC, K, pad; /* weights (OC,C,K,K), bias (OC) */
};
/* Output height/width: H + 2 pad - K + 1. */
int kn_conv2d_out_h(const struct kn_conv2d_shape *s);
int kn_conv2d_out_w(const struct kn_conv2d_shape *s);
/* Floats of the im2col buffer `col` the conv2d functions need: C*K*K * OH*OW (one image at a
 * time; this standalone layer keeps the layout (B,C,H,W) of the caller). */
size_t kn_conv2d_col_floats(const struct kn_conv2d_shape *s);
/* im2col: col (C*K*K, OH*OW) from one image img (C,H,W); rows ordered (c, ky, kx); padded
 * positions are 0. ld = row stride of col in floats (>= OH*OW). */
void kn_im2col(float *col, const float *img, int C, int H, int W, int K, int pad, size_t ld);
/* col2im: img (C,H,W) += the patches in col (C*K*K, OH*OW) (the adjoint of kn_im2col). */
void kn_col2im(float *img, const float *col, int C, int H, int W, int K, int pad, size_t ld);
/* out (B,OC,OH,OW) = conv(in (B,C,H,W), w (OC,C,K,K)) + b (OC), im2col + sgemm per image. */
void kn_conv2d_forward(float *out, const float *in, const float *w, const float *b,
                       const struct kn_conv2d_shape *s, float *col);
/* dw (OC,C,K,K) += , db (OC) += , din (B,C,H,W) = (skipped when NULL), from dout
 * (B,OC,OH,OW). */
void kn_conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                        const float *w, const struct kn_conv2d_shape *s, float *col);

/* Max-pool 2x2, stride 2 over P planes: in (P,H,W) -> out (P,H/2,W/2) (H, W even); arg (P,
 * H/2, W/2) keeps the index of the maximum inside its plane, for backward. Backward: din
 * (P,H,W) = 0 except din[arg] = dout. */
void kn_maxpool2_forward(float *out, int32_t *arg, const float *in, int P, int H, int W);
void kn_maxpool2_backward(float *din, const float *dout, const int32_t *arg, int P, int H, int W);

/* Embedding lookup: out (B,L,D) = table[tokens (B,L)] (table (V,D)). Token 0 is padding:
 * its row reads as zeros and gets no gradient. Ids outside [0,V) are treated as padding. */
void kn_embedding_forward(float *out, const int32_t *tokens, const float *table, int B, int L,
                          int D, int V);
/* Sparse gradient: dtable[tok] (D) += dout[b,t] for every non-padding token; touched rows are
 * those ids (the caller zeroes them afterwards, see the text CNN). */
void kn_embedding_backward(float *dtable, const float *dout, const int32_t *tokens, int B, int L,
                           int D, int V);

/* Conv1d over time, valid: in (B,L,D), w (F,KW,D), b (F) -> out (B,T,F), T = L-KW+1:
 * out[b,t,f] = b[f] + sum_{k,d} in[b,t+k,d] w[f,k,d] (Kim 2014, eq. 2, before the ReLU). */
void kn_conv1d_forward(float *out, const float *in, const float *w, const float *b, int B, int L,
                       int D, int F, int KW);
/* dw (F,KW,D) += , db (F) += , din (B,L,D) = (skipped when NULL), from dout (B,T,F). */
void kn_conv1d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                        const float *w, int B, int L, int D, int F, int KW);
/* Max over time: in (B,T,F) -> out (B,F), arg (B,F) = the t of the maximum. Backward:
 * din (B,T,F) = 0 except din[b, arg, f] = dout[b,f]. */
void kn_maxtime_forward(float *out, int32_t *arg, const float *in, int B, int T, int F);
void kn_maxtime_backward(float *din, const float *dout, const int32_t *arg, int B, int T, int F);

/* Inverted dropout with rate p in [0,1): mask (n) is 0 or 1/(1-p), drawn from r;
 * out = in * mask. Backward: din = dout * mask. */
void kn_dropout_forward(float *out, float *mask, const float *in, size_t n, float p, struct rng *r);
void kn_dropout_backward(float *din, const float *dout, const float *mask, size_t n);

/* Softmax cross-entropy: logits (B,C), labels (B) in [0,C) -> probs (B,C); returns the mean
 * loss over rows. Backward: dlogits (B,C) = (probs - onehot(labels)) / B. */
float kn_softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, int B,
                              int C);
void kn_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B,
                              int C);
/* Logistic loss: z (B) logits, labels (B) in {0,1} -> p (B) = sigmoid(z); returns the mean of
 * log(1 + e^z) - y z (computed stably). Backward: dz (B) = (p - y) / B. */
float kn_logistic_forward(float *p, const float *z, const int32_t *labels, int B);
void kn_logistic_backward(float *dz, const float *p, const int32_t *labels, int B);

/* ============================================================ optimisers */

enum kn_optim_kind { KN_OPTIM_SGD = 1, KN_OPTIM_ADAM = 2 };

struct kn_optim_config {
    enum kn_optim_kind kind;
    float lr;           /* learning rate */
    float momentum;     /* SGD: v = momentum v + g; p -= lr v (0 = plain SGD) */
    float beta1, beta2; /* Adam (Kingma & Ba 2015, Algorithm 1) */
    float eps;
    float weight_decay; /* L2: g += weight_decay * p before the update */
};

/* Defaults: SGD lr 0.01 no momentum; Adam lr 0.001, betas 0.9/0.999, eps 1e-8. */
struct kn_optim_config kn_optim_config_default(enum kn_optim_kind kind);

/* Optimiser state for n parameters: one allocation (momentum, or Adam's m and v). */
struct kn_optim {
    struct kn_optim_config cfg;
    size_t n;
    float *m, *v; /* (n) each; NULL when unused */
    long long t;  /* Adam steps taken (dense and sparse steps both count) */
};

/* Bytes of state kn_optim_init allocates for n parameters (for memory reports). */
size_t kn_optim_state_bytes(const struct kn_optim_config *cfg, size_t n);
/* Allocates zeroed state. Errors: SIREN_EINVAL (bad config), SIREN_ENOMEM. */
int kn_optim_init(struct kn_optim *o, const struct kn_optim_config *cfg, size_t n,
                  struct err *e) SIREN_WUR;
void kn_optim_free(struct kn_optim *o); /* accepts a zeroed struct */
/* Dense step: params (n) updated from grads (n). */
void kn_optim_step(struct kn_optim *o, float *params, const float *grads);
/* Sparse (lazy) step over the distinct indices idx (count): only those parameters and their
 * state move (as TensorFlow's LazyAdam / PyTorch SparseAdam: Adam's bias correction uses the
 * global step count); other entries of grads are ignored. For plain SGD without weight decay
 * this equals the dense step when the other gradients are 0. */
void kn_optim_step_sparse(struct kn_optim *o, float *params, const float *grads,
                          const uint32_t *idx, size_t count);

/* ================================================================ models */

/* One mini-batch as the trainer hands it over (kernels do not see datasets.h). Pointers are
 * borrowed for the call. Only the fields of the model's input layout are read. */
struct kn_batch {
    int n;                   /* rows */
    const float *images;     /* (n,C,H,W) in [0,1]; LeNet */
    const int32_t *tokens;   /* (n,seq_len), 0 = padding; text CNN */
    const uint64_t *row_ptr; /* (n+1) offsets into col/val; LR */
    const uint32_t *col;     /* (nnz) feature ids, taken modulo the model's 2^k weights */
    const float *val;        /* (nnz) values; NULL means all 1 */
    const int32_t *labels;   /* (n) classes */
    uint64_t seed;           /* seed of this batch's random masks (dropout) */
};

/* The trainer's conversion of dataset pixels: out (n) = px (n) / 255, in [0, 1]. */
void kn_images_from_u8(float *out, const uint8_t *px, size_t n);

enum kn_model_kind { KN_MODEL_LR = 1, KN_MODEL_LENET5 = 2, KN_MODEL_TEXTCNN = 3 };

struct kn_model_config {
    enum kn_model_kind kind;
    int max_batch; /* largest batch.n the model will see (sizes the activation arena) */
    int classes;   /* LR: 2 (binary); LeNet: 10; text CNN: 2 */
    /* LR */
    int lr_log2_weights; /* 2^k weights + 1 bias (default 20) */
    float lr_l2;         /* L2 coefficient added to the loss: l2/2 |w|^2 over touched weights */
    /* LeNet-5 */
    int channels, height, width; /* input images (default 1x28x28) */
    /* text CNN */
    int vocab_size, seq_len, embed_dim, n_maps; /* defaults 20000, 56, 128, 100 */
    float dropout;                              /* default 0.5 */
};

/* Fills *out with the model and defaults of a name: a model ("lr", "lenet5", "textcnn") or a
 * workload ("lr-ctr", "lr-a9a", "lr-synthetic", "lenet-mnist", "lenet-fashion",
 * "textcnn-polarity"). The caller then overrides data-dependent fields (vocab_size,
 * seq_len, ...) and max_batch. Errors: SIREN_ENOTFOUND (unknown name). */
int kn_model_config_from_name(const char *name, int max_batch, struct kn_model_config *out,
                              struct err *e) SIREN_WUR;

struct kn_model; /* opaque */

/* Allocates the model: params, grads and activations (for cfg->max_batch rows), each one
 * allocation. Parameters are zero until kn_model_init. Caller owns *out; release with
 * kn_model_free(). Errors: SIREN_EINVAL (bad config), SIREN_ENOMEM. */
int kn_model_create(const struct kn_model_config *cfg, struct kn_model **out,
                    struct err *e) SIREN_WUR;
void kn_model_free(struct kn_model *m); /* accepts NULL */
/* Initialises the parameters from seed (He/Glorot-style uniform, biases 0; LR all 0). */
void kn_model_init(struct kn_model *m, uint64_t seed);
const struct kn_model_config *kn_model_config(const struct kn_model *m);
size_t kn_model_num_params(const struct kn_model *m);
/* The flat vectors (num_params floats each); borrowed, valid until kn_model_free. The trainer
 * may read and write params (e.g. load them from the KV store). */
float *kn_model_params(struct kn_model *m);
float *kn_model_grads(struct kn_model *m);

/* Mean loss over the batch and its gradient: grads is OVERWRITTEN with d(mean loss)/d(params)
 * (dense; for LR and the text CNN's embedding this writes the whole vector, see
 * kn_model_train_step for the sparse path). Training mode (dropout on).
 * Errors: SIREN_EINVAL (batch.n outside 1..max_batch, missing input, label out of range). */
int kn_model_loss_grad(struct kn_model *m, const struct kn_batch *b, float *loss,
                       struct err *e) SIREN_WUR;
/* One optimiser step on the batch: loss, gradient, update of params by o (which must have
 * been initialised for num_params). Uses sparse paths: LR touches only the weights of the
 * batch's features; the text CNN updates only the embedding rows of the batch's tokens (lazy
 * for momentum/Adam). grads is scratch afterwards. Errors: as kn_model_loss_grad. */
int kn_model_train_step(struct kn_model *m, const struct kn_batch *b, struct kn_optim *o,
                        float *loss, struct err *e) SIREN_WUR;

struct kn_eval {
    double loss_sum; /* sum over rows of the per-row loss (no regulariser) */
    int correct;     /* rows whose arg-max class equals the label */
    int n;           /* rows evaluated */
};
/* Evaluation mode (no dropout): fills *out; prob1 (n) gets P(class 1) per row for binary
 * models (LR, text CNN) and may be NULL. Errors: as kn_model_loss_grad. */
int kn_model_eval(struct kn_model *m, const struct kn_batch *b, struct kn_eval *out, float *prob1,
                  struct err *e) SIREN_WUR;

/* ============================================ full-batch Newton for LR */

/* A second-order fit of a logistic-regression model on all its training rows at once, the
 * solver liblinear uses for the same problem: line-search Newton-CG (Nocedal & Wright 2006,
 * Algorithm 7.1) on F(theta) = (1/n) sum_i [log(1 + e^{z_i}) - y_i z_i] + l2/2 |theta|^2,
 * z_i = theta . x_i, every weight and the bias regularised (liblinear's -s 0 -B 1 objective
 * with C = 1 / (l2 n)). The Hessian is never formed: CG uses products
 * H v = X^T D X v + l2 v, D_i = p_i (1 - p_i) / n (Lin, Weng & Keerthi 2008, Section 3), each
 * one pass over the rows. The line search runs on cached margins, so a trial step costs O(n),
 * not a pass. Passes split the rows over `threads` threads, each scattering into its own
 * buffer, summed afterwards: results depend on the thread count, not on timing. */
struct kn_lr_newton_config {
    double l2;      /* > 0: keeps the minimiser finite on separable or rare features */
    int max_cg;     /* CG iterations per Newton step (1..1000; default 100) */
    double rel_tol; /* converged when |grad F| <= rel_tol |grad F at the start| (default 1e-5) */
    int threads;    /* 1..64 (default 1) */
};
/* Defaults for l2 (the caller usually sets it from the row count). */
struct kn_lr_newton_config kn_lr_newton_config_default(double l2);

struct kn_lr_newton_report {
    double objective; /* F after the step */
    double grad_norm; /* |grad F| after the step */
    double step;      /* the line search's step length (1 = full Newton step) */
    int cg_iters;     /* Hessian-vector products this step */
    int converged;    /* 1 once |grad F| met rel_tol or no step decreases F any more */
};

struct kn_lr_newton; /* opaque */

/* Prepares a fit of LR model m (kn_model_config kind KN_MODEL_LR) from its current parameters
 * on the rows of `all` (row_ptr, col, val, labels; all.n rows, any count, max_batch does not
 * apply) and evaluates F and its gradient there (one pass). m and the arrays of `all` are
 * borrowed and must outlive the solver. Caller owns *out; release with kn_lr_newton_free().
 * Errors: SIREN_EINVAL (not an LR model, bad config, no rows, label not 0/1), SIREN_ENOMEM. */
int kn_lr_newton_create(struct kn_model *m, const struct kn_batch *all,
                        const struct kn_lr_newton_config *cfg, struct kn_lr_newton **out,
                        struct err *e) SIREN_WUR;
/* One Newton step: updates m's parameters in place and fills *out. After convergence a step
 * changes nothing and reports converged again. */
void kn_lr_newton_step(struct kn_lr_newton *s, struct kn_lr_newton_report *out);
void kn_lr_newton_free(struct kn_lr_newton *s); /* accepts NULL */

/* Memory a model needs, in bytes, at a batch size (the emulator decides from this whether a
 * function of a memory size can run it). */
struct kn_mem_report {
    size_t param_bytes, grad_bytes, optim_bytes, act_bytes, total_bytes;
};
/* For cfg at batch rows with optimiser ocfg (NULL: no optimiser state). Errors: SIREN_EINVAL. */
int kn_model_memory(const struct kn_model_config *cfg, int batch,
                    const struct kn_optim_config *ocfg, struct kn_mem_report *out,
                    struct err *e) SIREN_WUR;
/* Floating-point operations a training step executes per sample (forward + backward, 2 per
 * multiply-add; sparse backward parts at their upper bound); 0 where not defined (LR, whose
 * cost is memory traffic). */
double kn_model_train_flops(const struct kn_model_config *cfg);
const char *kn_model_kind_name(enum kn_model_kind kind);

#endif

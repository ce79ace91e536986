/* The reference trainer (see trainer.h). */
#include "trainer.h"

#include "streams.h"

#include <math.h>
#include <stdlib.h>

/* After an epoch's evaluation: the progress line, and whether the target loss stops training. */
static int epoch_done(const struct train_opts *o, int epoch, double dt, size_t rows,
                      struct train_result *out)
{
    if (!o->quiet) {
        char auc[48] = "";
        if (!isnan(out->test.auc)) snprintf(auc, sizeof auc, " test_auc %.4f", out->test.auc);
        LOG_INFO("train", "epoch %d/%d train_loss %.4f test_loss %.4f test_acc %.4f%s "
                 "samples/s %.0f",
                 epoch, o->epochs, out->train_loss, out->test.loss, out->test.accuracy, auc,
                 (double)rows / dt);
    }
    if (o->target_loss > 0 && out->test.loss <= o->target_loss) {
        out->seconds_to_target = out->train_seconds;
        return 1;
    }
    return 0;
}

/* Full-batch Newton (see kn_lr_newton_create) on all training rows: epoch e is Newton step e.
 * Without an L2 of its own the workload is fitted with l2 = 1/n, liblinear's C = 1: the
 * unregularised minimiser is infinite when a rare feature occurs only in rows of one class. */
static int train_newton(struct workload *w, const struct train_opts *o, struct train_result *out,
                        struct err *e)
{
    struct kn_model *m = NULL;
    struct kn_lr_newton *s = NULL;
    const struct ds_data *d = &w->train;
    if (d->rows > INT32_MAX)
        return err_set(e, SIREN_EINVAL, "train: newton takes at most %d rows, not %zu",
                       INT32_MAX, d->rows);
    int rc = kn_model_create(&w->model_cfg, &m, e);
    if (rc) return rc;
    kn_model_init(m, w->opts.seed);
    *out = (struct train_result){.seconds_to_target = NAN, .params = kn_model_num_params(m)};
    double l2 = w->model_cfg.lr_l2 > 0.0f ? (double)w->model_cfg.lr_l2 : 1.0 / (double)d->rows;
    struct kn_lr_newton_config nc = kn_lr_newton_config_default(l2);
    nc.threads = o->threads > 0 ? o->threads : 1;
    struct kn_batch all = {.n = (int)d->rows, .row_ptr = d->row_ptr, .col = d->col,
                           .val = d->val, .labels = d->labels};
    double t0 = clock_mono_s();
    rc = kn_lr_newton_create(m, &all, &nc, &s, e);
    if (rc) goto out;
    out->train_seconds = clock_mono_s() - t0; /* the first gradient is part of training */
    for (int epoch = 1; epoch <= o->epochs; epoch++) {
        struct kn_lr_newton_report rep;
        t0 = clock_mono_s();
        kn_lr_newton_step(s, &rep);
        double dt = clock_mono_s() - t0;
        out->train_seconds += dt;
        out->train_loss = rep.objective;
        LOG_DEBUG("train", "newton step %d: %d CG products, step length %g, objective %.7f, "
                  "|gradient| %.3g, %.2f ms", epoch, rep.cg_iters, rep.step, rep.objective,
                  rep.grad_norm, dt * 1e3);
        rc = workload_evaluate(w, m, 1, 0, &out->test, e);
        if (rc) goto out;
        out->epochs = epoch;
        if (epoch_done(o, epoch, dt, d->rows, out) || rep.converged) break;
    }
    out->samples_per_second =
        out->train_seconds > 0 ? (double)d->rows * out->epochs / out->train_seconds : 0.0;
out:
    kn_lr_newton_free(s);
    kn_model_free(m);
    return rc;
}

int train_run(struct workload *w, const struct train_opts *o, struct train_result *out,
              struct err *e)
{
    struct kn_model *m = NULL;
    struct kn_optim opt = {0};
    uint32_t *order = NULL;
    size_t rows = w->train.rows;
    if (workload_is_newton(w)) return train_newton(w, o, out, e);
    int rc = kn_model_create(&w->model_cfg, &m, e);
    if (rc) return rc;
    kn_model_init(m, w->opts.seed);
    rc = kn_optim_init(&opt, &w->optim_cfg, kn_model_num_params(m), e);
    if (rc) goto out;
    order = malloc(rows * sizeof *order);
    if (!order) {
        rc = err_set(e, SIREN_ENOMEM, "train: out of memory");
        goto out;
    }
    *out = (struct train_result){.seconds_to_target = NAN};
    out->params = kn_model_num_params(m);
    int B = w->opts.batch;
    for (int epoch = 1; epoch <= o->epochs; epoch++) {
        opt.cfg.lr = (float)workload_lr_at(w, epoch);
        struct rng r;
        rng_seed_stream(&r, w->opts.seed, stream_train_shuffle(epoch));
        for (size_t i = 0; i < rows; i++) order[i] = (uint32_t)i;
        rng_shuffle_u32(&r, order, rows);
        double loss_sum = 0.0, t0 = clock_mono_s();
        size_t steps = 0;
        for (size_t at = 0; at < rows; at += (size_t)B) {
            int n = (int)(rows - at < (size_t)B ? rows - at : (size_t)B);
            uint64_t mask_seed = stream_train_dropout(epoch, (uint64_t)steps);
            struct kn_batch b;
            float loss;
            rc = workload_batch(w, 0, order + at, n, w->opts.seed ^ mask_seed, &b, e);
            if (!rc) rc = kn_model_train_step(m, &b, &opt, &loss, e);
            if (rc) goto out;
            loss_sum += (double)loss;
            steps++;
        }
        double dt = clock_mono_s() - t0;
        out->train_seconds += dt;
        out->train_loss = loss_sum / (double)steps;
        rc = workload_evaluate(w, m, 1, 0, &out->test, e);
        if (rc) goto out;
        out->epochs = epoch;
        if (epoch_done(o, epoch, dt, rows, out)) break;
    }
    out->samples_per_second =
        out->train_seconds > 0 ? (double)rows * out->epochs / out->train_seconds : 0.0;
out:
    free(order);
    kn_optim_free(&opt);
    kn_model_free(m);
    return rc;
}

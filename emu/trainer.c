/* The reference trainer (see trainer.h). */
#include "trainer.h"

#include "streams.h"

#include <math.h>
#include <stdlib.h>

int train_run(struct workload *w, const struct train_opts *o, struct train_result *out,
              struct err *e)
{
    struct kn_model *m = NULL;
    struct kn_optim opt = {0};
    uint32_t *order = NULL;
    size_t rows = w->train.rows;
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
    *out = (struct train_result){0};
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
        if (!o->quiet) {
            char auc[48] = "";
            if (!isnan(out->test.auc)) snprintf(auc, sizeof auc, " test_auc %.4f", out->test.auc);
            LOG_INFO("train", "epoch %d/%d train_loss %.4f test_loss %.4f test_acc %.4f%s "
                     "samples/s %.0f",
                     epoch, o->epochs, out->train_loss, out->test.loss, out->test.accuracy, auc,
                     (double)rows / dt);
        }
    }
    out->samples_per_second =
        out->train_seconds > 0 ? (double)rows * out->epochs / out->train_seconds : 0.0;
out:
    free(order);
    kn_optim_free(&opt);
    kn_model_free(m);
    return rc;
}

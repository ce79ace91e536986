/* siren train: single-process reference training of a workload. */
#define _GNU_SOURCE
#include "cmd.h"
#include "trainer.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of siren train, in the order of its help. */
static const struct opt_use train_opts[] = {
    {.id = OPT_WORKLOAD, .def = "lenet-mnist"},
    {.id = OPT_EPOCHS}, {.id = OPT_BATCH}, {.id = OPT_LR}, {.id = OPT_OPTIMIZER}, {.id = OPT_SEED},
    {.id = OPT_THREADS, .help = "OpenBLAS threads, and the threads of --optimizer newton"},
    {.id = OPT_ROWS}, {.id = OPT_HASH_BITS}, {.id = OPT_JSON}, {.id = OPT_DRY_RUN},
    {.id = OPT_QUIET, .help = "no progress line per epoch on stderr"},
    {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren train [--workload W] [--epochs N] [--batch B] [--lr X]\n"
            "                   [--optimizer NAME] [--seed S] [--threads T] [--rows N]\n"
            "                   [--hash-bits K] [--json] [--dry-run] [--quiet]\n\n"
            "Trains a workload in this process (the reference the emulator is checked against):\n"
            "per-epoch progress on stderr; with --json, one JSON object as the last stdout line.\n\n");
    opt_help_write(f, train_opts, CMD_COUNT(train_opts));
    fprintf(f, "\nworkloads:\n");
    for (const struct workload_info *w = workload_list(); w->name; w++)
        fprintf(f, "  %-17s %s (batch %d, %s lr %g x %g per epoch, %d epochs)\n", w->name,
                w->about, w->batch, w->optimizer, w->lr, w->lr_decay, w->epochs);
}

static void print_memory(const struct workload *w)
{
    struct kn_mem_report r;
    struct err e;
    if (kn_model_memory(&w->model_cfg, w->opts.batch, &w->optim_cfg, &r, &e)) {
        fprintf(stderr, "siren train: %s\n", e.msg);
        return;
    }
    char a[32], b[32], c[32], d[32], t[32];
    printf("%s at batch %d: parameters %s, gradients %s, optimiser state %s, activations %s, "
           "total %s\n",
           w->info.name, w->opts.batch, fmt_bytes((double)r.param_bytes, a, sizeof a),
           fmt_bytes((double)r.grad_bytes, b, sizeof b), fmt_bytes((double)r.optim_bytes, c, sizeof c),
           fmt_bytes((double)r.act_bytes, d, sizeof d), fmt_bytes((double)r.total_bytes, t, sizeof t));
}

static void print_json(const struct workload *w, const struct train_result *r, int threads)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "workload", w->info.name);
    cJSON_AddNumberToObject(o, "epochs", r->epochs);
    cJSON_AddNumberToObject(o, "batch", w->opts.batch);
    cJSON_AddNumberToObject(o, "lr", w->info.lr);
    cJSON_AddNumberToObject(o, "lr_decay", w->info.lr_decay);
    cJSON_AddStringToObject(o, "optimizer", w->info.optimizer);
    cJSON_AddNumberToObject(o, "seed", (double)w->opts.seed);
    cJSON_AddNumberToObject(o, "threads", threads);
    cJSON_AddNumberToObject(o, "params", (double)r->params);
    cJSON_AddNumberToObject(o, "train_rows", (double)w->train.rows);
    cJSON_AddNumberToObject(o, "test_rows", (double)r->test.rows);
    cJSON_AddNumberToObject(o, "train_loss", r->train_loss);
    cJSON_AddNumberToObject(o, "test_loss", r->test.loss);
    cJSON_AddNumberToObject(o, "test_accuracy", r->test.accuracy);
    if (w->info.binary) {
        cJSON_AddNumberToObject(o, "test_auc", r->test.auc);
        cJSON_AddNumberToObject(o, "test_logloss", r->test.loss);
    }
    cJSON_AddNumberToObject(o, "train_seconds", r->train_seconds);
    cJSON_AddNumberToObject(o, "samples_per_second", r->samples_per_second);
    cJSON_AddStringToObject(o, "commit", build_commit());
    char *s = cJSON_PrintUnformatted(o);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(o);
}

/* What the command line asks of siren train. */
struct train_request {
    const char *name;
    struct workload_opts wo;
    long long epochs, threads;
    int json, dry, quiet;
};

static int train_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct train_request *r = ctx;
    (void)e;
    if (cmd_workload_opt(v, &r->wo)) return SIREN_OK;
    switch (v->id) {
    case OPT_WORKLOAD: r->name = v->text; break;
    case OPT_EPOCHS: r->epochs = v->i; break;
    case OPT_THREADS: r->threads = v->i; break;
    case OPT_OPTIMIZER: r->wo.optimizer = v->text; break;
    case OPT_JSON: r->json = 1; break;
    case OPT_DRY_RUN: r->dry = 1; break;
    case OPT_QUIET: r->quiet = 1; break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int cmd_train(int argc, char **argv)
{
    struct train_request req = {.name = "lenet-mnist", .epochs = -1, .threads = 1};
    struct err e;
    int rc = opt_parse("train", train_opts, CMD_COUNT(train_opts), argc, argv, train_opt, &req,
                       NULL);
    if (rc != OPT_GO_ON) return rc;
    if (!workload_find(req.name))
        return cmd_unknown_workload("train", req.name);
    openblas_set_num_threads((int)req.threads);

    struct workload *w;
    if (workload_open(req.name, &req.wo, &w, &e)) return cmd_fail("train", &e);
    if (req.dry) {
        print_memory(w);
        workload_close(w);
        return 0;
    }
    struct train_opts to = {.epochs = req.epochs > 0 ? (int)req.epochs : w->info.epochs,
                            .quiet = req.quiet, .threads = (int)req.threads};
    if (!req.quiet)
        LOG_INFO("train", "%s: %zu train / %zu test rows, batch %d, %s lr %g, seed %llu, %lld thread(s)",
                 req.name, w->train.rows, w->test.rows, w->opts.batch, w->info.optimizer,
                 w->info.lr, (unsigned long long)w->opts.seed, req.threads);
    struct train_result r;
    rc = train_run(w, &to, &r, &e);
    if (rc) {
        workload_close(w);
        return cmd_fail("train", &e);
    }
    if (req.json) print_json(w, &r, (int)req.threads);
    else
        printf("%s: %d epochs, train_loss %.4f, test_loss %.4f, test_accuracy %.4f, %.0f samples/s\n",
               req.name, r.epochs, r.train_loss, r.test.loss, r.test.accuracy, r.samples_per_second);
    workload_close(w);
    return 0;
}

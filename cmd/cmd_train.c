/* siren train: single-process reference training of a workload. */
#define _GNU_SOURCE
#include "cmd.h"
#include "trainer.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren train [--workload W] [--epochs N] [--batch B] [--lr X] [--seed S]\n"
            "                   [--threads T] [--rows N] [--hash-bits K] [--json] [--dry-run]\n"
            "                   [--quiet]\n\n"
            "Trains a workload in this process (the reference the emulator is checked against):\n"
            "per-epoch progress on stderr; with --json, one JSON object as the last stdout line.\n"
            "--dry-run prints the model's memory at the batch size and trains nothing.\n"
            "--rows and --hash-bits apply to lr-synthetic (and --hash-bits to lr-ctr).\n\n"
            "workloads:\n");
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

int cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workload", required_argument, 0, 'w'}, {"epochs", required_argument, 0, 'e'},
        {"batch", required_argument, 0, 'b'},    {"lr", required_argument, 0, 'l'},
        {"seed", required_argument, 0, 's'},     {"threads", required_argument, 0, 't'},
        {"rows", required_argument, 0, 'r'},     {"hash-bits", required_argument, 0, 'k'},
        {"json", no_argument, 0, 'j'},           {"dry-run", no_argument, 0, 'd'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *name = "lenet-mnist";
    struct workload_opts wo = {0};
    long long epochs = -1, threads = 1, v;
    int json = 0, dry = 0, quiet = 0, c;
    double d;
    struct err e;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:e:b:l:s:t:r:k:jdqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': name = optarg; break;
        case 'e':
            if (parse_long(optarg, "--epochs", &epochs, &e) || epochs < 1)
                return cmd_usage_error("train", "--epochs: expected an integer >= 1, got '%s'", optarg);
            break;
        case 'b':
            if (parse_long(optarg, "--batch", &v, &e) || v < 1 || v > 1 << 20)
                return cmd_usage_error("train", "--batch: expected an integer in 1..1048576, got '%s'", optarg);
            wo.batch = (int)v;
            break;
        case 'l':
            if (parse_double(optarg, "--lr", &d, &e) || !(d > 0))
                return cmd_usage_error("train", "--lr: expected a number > 0, got '%s'", optarg);
            wo.lr = d;
            break;
        case 's':
            if (parse_long(optarg, "--seed", &v, &e) || v < 0)
                return cmd_usage_error("train", "--seed: expected an integer >= 0, got '%s'", optarg);
            wo.seed = (uint64_t)v;
            break;
        case 't':
            if (parse_long(optarg, "--threads", &threads, &e) || threads < 1 || threads > 1024)
                return cmd_usage_error("train", "--threads: expected an integer in 1..1024, got '%s'", optarg);
            break;
        case 'r':
            if (parse_long(optarg, "--rows", &v, &e) || v < 10)
                return cmd_usage_error("train", "--rows: expected an integer >= 10, got '%s'", optarg);
            wo.synthetic_rows = (size_t)v;
            break;
        case 'k':
            if (parse_long(optarg, "--hash-bits", &v, &e) || v < 4 || v > 28)
                return cmd_usage_error("train", "--hash-bits: expected an integer in 4..28, got '%s'", optarg);
            wo.hash_bits = (int)v;
            break;
        case 'j': json = 1; break;
        case 'd': dry = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cmd_usage_error("train", "unknown option");
        }
    }
    if (optind < argc) return cmd_usage_error("train", "unexpected argument '%s'", argv[optind]);
    if (!workload_find(name)) return cmd_usage_error("train", "unknown workload '%s'", name);
    openblas_set_num_threads((int)threads);

    struct workload *w;
    if (workload_open(name, &wo, &w, &e)) return cmd_fail("train", &e);
    if (dry) {
        print_memory(w);
        workload_close(w);
        return 0;
    }
    struct train_opts to = {.epochs = epochs > 0 ? (int)epochs : w->info.epochs, .quiet = quiet};
    if (!quiet)
        LOG_INFO("train", "%s: %zu train / %zu test rows, batch %d, %s lr %g, seed %llu, %lld thread(s)",
                 name, w->train.rows, w->test.rows, w->opts.batch, w->info.optimizer, w->info.lr,
                 (unsigned long long)w->opts.seed, threads);
    struct train_result r;
    int rc = train_run(w, &to, &r, &e);
    if (rc) {
        workload_close(w);
        return cmd_fail("train", &e);
    }
    if (json) print_json(w, &r, (int)threads);
    else
        printf("%s: %d epochs, train_loss %.4f, test_loss %.4f, test_accuracy %.4f, %.0f samples/s\n",
               name, r.epochs, r.train_loss, r.test.loss, r.test.accuracy, r.samples_per_second);
    workload_close(w);
    return 0;
}

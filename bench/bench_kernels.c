/*
 * siren bench kernels: training throughput of each model on one thread, against PyTorch.
 *
 * For LeNet-5, the text CNN and hashed logistic regression, at batch 64 and 256, on random
 * data of the real shapes (MNIST images, polarity sentences, Criteo-shaped rows of 39
 * features over 2^20 weights): validate (one step, finite loss), warm up, then repeat timed
 * runs of plain-SGD training steps; report samples/s min/median/max and GFLOP/s where the
 * model defines FLOPs. OpenBLAS runs on one thread. When /usr/bin/python3 imports torch, the
 * same run executes bench/torch_peer.py (same models, shapes, batches, scheme) and the table
 * gets PyTorch's samples/s and the ratio. Writes table.md and table.csv.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REPS 32

/* How each model is timed (--quick shortens it), and whether PyTorch is timed too. */
struct bk_opts {
    int warmup, reps;
    double min_time_s;
    int no_torch;
};

/* Random training data of a model's input shape: a pool of `rows` rows the timed steps
 * cycle through in batches. */
struct bk_data {
    int rows;
    float *images;
    int32_t *tokens;
    uint64_t *row_ptr;
    uint32_t *col;
    float *val;
    int32_t *labels;
};

static void bk_data_free(struct bk_data *d)
{
    free(d->images);
    free(d->tokens);
    free(d->row_ptr);
    free(d->col);
    free(d->val);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

#define CTR_NNZ 39 /* Criteo: 13 integer + 26 categorical fields per row */
#define CTR_NUMERIC 13

static int bk_data_make(const struct kn_model_config *cfg, int rows, uint64_t seed,
                        struct bk_data *d)
{
    struct rng r;
    rng_seed(&r, seed);
    memset(d, 0, sizeof *d);
    d->rows = rows;
    d->labels = malloc(sizeof(int32_t) * (size_t)rows);
    if (!d->labels) return -1;
    for (int i = 0; i < rows; i++) d->labels[i] = (int32_t)rng_below(&r, (uint64_t)cfg->classes);
    if (cfg->kind == KN_MODEL_LENET5) {
        size_t n = (size_t)rows * cfg->channels * cfg->height * cfg->width;
        d->images = malloc(sizeof(float) * n);
        if (!d->images) return -1;
        for (size_t i = 0; i < n; i++) d->images[i] = rng_uniform_f(&r);
    } else if (cfg->kind == KN_MODEL_TEXTCNN) {
        size_t n = (size_t)rows * cfg->seq_len;
        d->tokens = malloc(sizeof(int32_t) * n);
        if (!d->tokens) return -1;
        for (size_t i = 0; i < n; i++)
            d->tokens[i] = 1 + (int32_t)rng_below(&r, (uint64_t)cfg->vocab_size - 1);
    } else {
        size_t nnz = (size_t)rows * CTR_NNZ;
        d->row_ptr = malloc(sizeof(uint64_t) * ((size_t)rows + 1));
        d->col = malloc(sizeof(uint32_t) * nnz);
        d->val = malloc(sizeof(float) * nnz);
        if (!d->row_ptr || !d->col || !d->val) return -1;
        for (int i = 0; i <= rows; i++) d->row_ptr[i] = (uint64_t)i * CTR_NNZ;
        /* Hashed ids (uniform over 32 bits, reduced mod 2^k by the model); the numeric
         * fields carry a log-scaled value in [0, 1), the categorical ones 1. */
        for (size_t k = 0; k < nnz; k++) {
            d->col[k] = (uint32_t)rng_u64(&r);
            d->val[k] = (k % CTR_NNZ) < CTR_NUMERIC ? rng_uniform_f(&r) : 1.0f;
        }
    }
    return 0;
}

static struct kn_batch bk_batch(const struct kn_model_config *cfg, const struct bk_data *d,
                                int first, int n, uint64_t seed)
{
    struct kn_batch b = {.n = n, .labels = d->labels + first, .seed = seed};
    if (d->images) b.images = d->images + (size_t)first * cfg->channels * cfg->height * cfg->width;
    if (d->tokens) b.tokens = d->tokens + (size_t)first * cfg->seq_len;
    if (d->row_ptr) {
        /* Row offsets stay absolute: the model reads col[row_ptr[i]]. */
        b.row_ptr = d->row_ptr + first;
        b.col = d->col;
        b.val = d->val;
    }
    return b;
}

struct bk_result {
    double sps_min, sps_med, sps_max; /* training samples/s */
    double gflops_med;                /* 0 when not defined */
    double mem_mb;                    /* params + grads + optimiser + activations */
    int steps_per_rep;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Validates, warms up and times one model at one batch size. */
static int bk_run(const char *name, int batch, const struct bk_opts *o, struct bk_result *res,
                  struct err *e)
{
    struct kn_model_config cfg;
    struct kn_model *m = NULL;
    struct bk_data d = {0};
    struct kn_optim opt = {0};
    int rc = kn_model_config_from_name(name, batch, &cfg, e);
    if (rc) return rc;
    struct kn_optim_config oc = kn_optim_config_default(KN_OPTIM_SGD);
    struct kn_mem_report mem;
    rc = kn_model_memory(&cfg, batch, &oc, &mem, e);
    if (rc) return rc;
    rc = kn_model_create(&cfg, &m, e);
    if (rc) return rc;
    kn_model_init(m, 1);
    rc = kn_optim_init(&opt, &oc, kn_model_num_params(m), e);
    if (rc) goto out;
    /* A pool of 16 batches (LR: at least 64k rows, 20 MB of features, so the rows stream
     * from memory as in real training). */
    int rows = 16 * batch;
    if (cfg.kind == KN_MODEL_LR && rows < 65536) rows = 65536;
    if (bk_data_make(&cfg, rows, 7, &d)) {
        rc = err_set(e, SIREN_ENOMEM, "bench kernels: %s: no memory for %d rows", name, rows);
        goto out;
    }
    int nb = rows / batch, cursor = 0;
    uint64_t step = 0;
    float loss = 0.0f;
#define BK_STEP()                                                                                  \
    do {                                                                                           \
        struct kn_batch b_ = bk_batch(&cfg, &d, (cursor % nb) * batch, batch, step++);             \
        cursor++;                                                                                  \
        rc = kn_model_train_step(m, &b_, &opt, &loss, e);                                          \
        if (rc) goto out;                                                                          \
    } while (0)
    /* Validate: a step runs and gives a finite loss. */
    BK_STEP();
    if (!isfinite(loss)) {
        rc = err_set(e, SIREN_ERANGE, "bench kernels: %s batch %d: loss %g is not finite", name,
                     batch, (double)loss);
        goto out;
    }
    for (int i = 0; i < o->warmup; i++) BK_STEP();
    double t0 = clock_mono_s();
    BK_STEP();
    double one = clock_mono_s() - t0;
    int steps = one > 0.0 ? (int)(o->min_time_s / one) : 1000;
    if (steps < 1) steps = 1;
    double rates[MAX_REPS];
    for (int r = 0; r < o->reps; r++) {
        t0 = clock_mono_s();
        for (int s = 0; s < steps; s++) BK_STEP();
        double dt = clock_mono_s() - t0;
        rates[r] = (double)steps * batch / dt;
    }
#undef BK_STEP
    qsort(rates, (size_t)o->reps, sizeof(double), cmp_double);
    res->sps_min = rates[0];
    res->sps_max = rates[o->reps - 1];
    res->sps_med =
        (o->reps % 2) ? rates[o->reps / 2] : 0.5 * (rates[o->reps / 2 - 1] + rates[o->reps / 2]);
    res->gflops_med = kn_model_train_flops(&cfg) * res->sps_med / 1e9;
    res->mem_mb = (double)mem.total_bytes / (1024.0 * 1024.0);
    res->steps_per_rep = steps;
out:
    kn_optim_free(&opt);
    kn_model_free(m);
    bk_data_free(&d);
    return rc;
}

/* ----------------------------------------------------------- PyTorch peer */

struct bk_torch {
    int ok;
    char version[64];
    char why[256];
    cJSON *root;
};

static void bk_torch_run(const struct bk_opts *o, struct bk_torch *t)
{
    memset(t, 0, sizeof *t);
    if (o->no_torch) {
        snprintf(t->why, sizeof t->why, "skipped (--no-torch)");
        return;
    }
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        snprintf(t->why, sizeof t->why, "not available (/usr/bin/python3 cannot import torch)");
        return;
    }
    char script[1024], tmp[] = "/tmp/siren-torch-XXXXXX", cmd[2048];
    if (core_source_path("bench/torch_peer.py", script, sizeof script) || !fs_exists(script)) {
        snprintf(t->why, sizeof t->why, "%s not found (set SIREN_SOURCE_DIR)", script);
        return;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(t->why, sizeof t->why, "cannot create a temporary file");
        return;
    }
    close(fd);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s' --models lenet5,textcnn,lr --batches 64,256 --warmup %d "
             "--reps %d --min-time %g > '%s'",
             script, o->warmup, o->reps, o->min_time_s, tmp);
    fprintf(stderr, "bench kernels: running the PyTorch peer\n");
    struct err je;
    if (system(cmd) != 0) {
        snprintf(t->why, sizeof t->why, "torch_peer.py failed");
    } else if (json_load_file(tmp, &t->root, &je) != SIREN_OK) {
        snprintf(t->why, sizeof t->why, "torch_peer.py output: %s", je.msg);
    } else {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->root, "torch_version");
        snprintf(t->version, sizeof t->version, "%s", cJSON_IsString(v) ? v->valuestring : "?");
        t->ok = 1;
    }
    remove(tmp);
}

/* PyTorch's median samples/s for (model, batch), or 0. */
static double bk_torch_sps(const struct bk_torch *t, const char *model, int batch)
{
    if (!t->ok) return 0.0;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(t->root, "results"), *it;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *mo = cJSON_GetObjectItemCaseSensitive(it, "model");
        const cJSON *ba = cJSON_GetObjectItemCaseSensitive(it, "batch");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "samples_per_s_median");
        if (cJSON_IsString(mo) && !strcmp(mo->valuestring, model) && cJSON_IsNumber(ba) &&
            (int)ba->valuedouble == batch && cJSON_IsNumber(sp))
            return sp->valuedouble;
    }
    return 0.0;
}

/* ------------------------------------------------------------------ main */

static const struct opt_use bk_opts[] = {
    {.id = OPT_OUT, .def = "results/kernels in the source tree"},
    {.id = OPT_QUICK, .help = "fewer and shorter repetitions"},
    {.id = OPT_NO_TORCH}, {.id = OPT_HELP},
};

static const char bk_help[] =
    "usage: siren bench kernels [--out DIR] [--quick] [--no-torch]\n\n"
    "Training samples/s of lenet5, textcnn and lr (2^20 hashed weights, 39 features\n"
    "per row) on one thread at batch 64 and 256, with PyTorch's figures when\n"
    "/usr/bin/python3 imports torch. Writes table.md and table.csv into DIR.\n\n";

static int bk_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct bk_opts *o = ctx;
    (void)e;
    if (v->id == OPT_NO_TORCH) o->no_torch = 1;
    return SIREN_OK;
}

static const struct bench_cli bk_cli = BENCH_CLI("bench kernels", bk_opts, bk_opt, bk_help);

int bench_kernels_main(int argc, char **argv)
{
    struct bench_args a = {0};
    struct bk_opts o = {.warmup = 5, .reps = 7, .min_time_s = 0.5};
    struct err e;
    int rc = bench_args_parse(&bk_cli, argc, argv, &a, &o, NULL);
    if (rc != OPT_GO_ON) return rc;
    if (a.quick) {
        o.warmup = 2;
        o.reps = 3;
        o.min_time_s = 0.1;
    }
    openblas_set_num_threads(1);

    char dir[1024];
    if (bench_out_dir(a.out, "kernels", dir, sizeof dir, &e) != SIREN_OK) {
        fprintf(stderr, "siren bench kernels: %s\n", e.msg);
        return 1;
    }

    static const char *const models[] = {"lenet5", "textcnn", "lr"};
    static const int batches[] = {64, 256};
    static const char *const cols[] = {"model",
                                       "batch",
                                       "samples_per_s_min",
                                       "samples_per_s_median",
                                       "samples_per_s_max",
                                       "gflop_per_s_median",
                                       "mem_mib",
                                       "torch_samples_per_s_median",
                                       "ratio_siren_over_torch"};
    struct bk_result res[3][2];
    for (int mi = 0; mi < 3; mi++)
        for (int bi = 0; bi < 2; bi++) {
            fprintf(stderr, "bench kernels: %s batch %d\n", models[mi], batches[bi]);
            if (bk_run(models[mi], batches[bi], &o, &res[mi][bi], &e) != SIREN_OK) {
                fprintf(stderr, "siren bench kernels: %s\n", e.msg);
                return 1;
            }
        }
    struct bk_torch torch;
    bk_torch_run(&o, &torch);

    struct table t;
    if (table_init(&t, 9, cols) != SIREN_OK) return 1;
    for (int mi = 0; mi < 3; mi++)
        for (int bi = 0; bi < 2; bi++) {
            const struct bk_result *r = &res[mi][bi];
            size_t row = t.nrows;
            if (table_add_row(&t) != SIREN_OK) {
                table_free(&t);
                return 1;
            }
            table_setf(&t, row, 0, "%s", models[mi]);
            table_setf(&t, row, 1, "%d", batches[bi]);
            table_setf(&t, row, 2, "%.0f", r->sps_min);
            table_setf(&t, row, 3, "%.0f", r->sps_med);
            table_setf(&t, row, 4, "%.0f", r->sps_max);
            if (r->gflops_med > 0.0)
                table_setf(&t, row, 5, "%.2f", r->gflops_med);
            else
                table_setf(&t, row, 5, "n/a");
            table_setf(&t, row, 6, "%.1f", r->mem_mb);
            double ts = bk_torch_sps(&torch, models[mi], batches[bi]);
            if (ts > 0.0) {
                table_setf(&t, row, 7, "%.0f", ts);
                table_setf(&t, row, 8, "%.2f", r->sps_med / ts);
            } else {
                table_setf(&t, row, 7, "n/a");
                table_setf(&t, row, 8, "n/a");
            }
        }

    char config[512], torch_line[512];
    snprintf(config, sizeof config,
             "1 thread (OpenBLAS and torch); plain SGD lr 0.01; warm-up %d steps, %d reps of "
             ">= %.2f s; lenet5 1x28x28 10 classes; textcnn vocab 20000, 56 tokens, dim 128, "
             "3x100 maps, dropout 0.5; lr 2^20 weights, %d features per row%s",
             o.warmup, o.reps, o.min_time_s, CTR_NNZ, a.quick ? "; --quick" : "");
    if (torch.ok)
        snprintf(torch_line, sizeof torch_line,
                 "PyTorch %s via bench/torch_peer.py (same models, shapes, batches and scheme; "
                 "sparse embedding gradients for textcnn and lr).",
                 torch.version);
    else
        snprintf(torch_line, sizeof torch_line, "PyTorch: %s.", torch.why);

    char notes[1024];
    snprintf(notes, sizeof notes,
             "%s GFLOP/s counts the FLOPs siren executes (its backward passes only the "
             "max-pool and max-over-time arg-max positions, counted as all active, so the "
             "figure is an upper bound; a dense backward, as PyTorch's, does 1.5-3x more "
             "work per sample); lr has no FLOP figure (it is memory-bound). samples/s are "
             "training samples per second of wall time on one core.",
             torch_line);
    rc = bench_write_table(&t, dir, "table", "kernels", config, &e);
    if (rc != SIREN_OK) {
        fprintf(stderr, "siren bench kernels: %s\n", e.msg);
    } else {
        char path[1200];
        snprintf(path, sizeof path, "%s/table.md", dir);
        FILE *f = fopen(path, "a");
        if (!f || fprintf(f, "\n%s\n", notes) < 0 || fclose(f) != 0) {
            fprintf(stderr, "siren bench kernels: cannot append to %s\n", path);
            rc = 1;
        }
        printf("\n%s\nwritten to %s/table.md and table.csv\n", notes, dir);
    }
    table_free(&t);
    cJSON_Delete(torch.root);
    return rc ? 1 : 0;
}

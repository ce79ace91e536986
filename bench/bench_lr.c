/*
 * siren bench lr: siren's logistic regression against liblinear's (Debian's liblinear-tools,
 * solver 0: L2-regularised LR, primal) on the same features, in the same run: for lr-a9a and
 * lr-ctr the rows siren trains on are written as LIBSVM files, liblinear trains on them with
 * its defaults (C = 1, bias term on) and predicts probabilities, and both are scored on the
 * held-out rows by the same code: accuracy, AUC and log-loss.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "trainer.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes a sparse split in LIBSVM format (labels 0/1 as -1/+1, 1-based ascending indices). */
static int write_libsvm(const struct ds_data *d, const char *path, struct err *e)
{
    FILE *f = fopen(path, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", path);
    uint32_t *cols = NULL;
    size_t cap = 0;
    for (size_t r = 0; r < d->rows; r++) {
        uint64_t lo = d->row_ptr[r], hi = d->row_ptr[r + 1];
        size_t n = (size_t)(hi - lo);
        if (n > cap) {
            uint32_t *grown = realloc(cols, (cap = n) * sizeof *cols);
            if (!grown) {
                free(cols);
                fclose(f);
                return err_set(e, SIREN_ENOMEM, "out of memory");
            }
            cols = grown;
        }
        memcpy(cols, d->col + lo, n * sizeof *cols);
        /* Insertion sort: rows are short; equal ids (hash collisions) are merged by summing. */
        for (size_t i = 1; i < n; i++)
            for (size_t k = i; k > 0 && cols[k - 1] > cols[k]; k--) {
                uint32_t t = cols[k];
                cols[k] = cols[k - 1];
                cols[k - 1] = t;
            }
        fprintf(f, "%s", d->labels[r] == 1 ? "+1" : "-1");
        for (size_t i = 0; i < n;) {
            size_t k = i;
            double v = 0;
            while (k < n && cols[k] == cols[i]) v += d->val ? (double)d->val[lo + k] : 1.0, k++;
            fprintf(f, " %u:%g", cols[i] + 1, v);
            i = k;
        }
        fputc('\n', f);
    }
    free(cols);
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", path);
    return SIREN_OK;
}

struct scores {
    double accuracy, auc, logloss, seconds;
};

static void score(const float *p1, const int32_t *labels, size_t n, struct scores *s)
{
    size_t right = 0;
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        double p = p1[i] < 1e-15f ? 1e-15 : p1[i] > 1 - 1e-15f ? 1 - 1e-15 : (double)p1[i];
        right += (p >= 0.5) == (labels[i] == 1);
        ll -= labels[i] == 1 ? log(p) : log(1 - p);
    }
    s->accuracy = (double)right / (double)n;
    s->logloss = ll / (double)n;
    s->auc = workload_auc(p1, labels, n);
}

/* liblinear on the workload's features: train, predict probabilities, score. */
static int run_liblinear(struct workload *w, const char *dir, struct scores *s, struct err *e)
{
    char train[1100], test[1100], model[1100], out[1100], cmd[4600];
    snprintf(train, sizeof train, "%s/%s.train.svm", dir, w->info.name);
    snprintf(test, sizeof test, "%s/%s.test.svm", dir, w->info.name);
    snprintf(model, sizeof model, "%s/%s.model", dir, w->info.name);
    snprintf(out, sizeof out, "%s/%s.predict", dir, w->info.name);
    int rc = write_libsvm(&w->train, train, e);
    if (!rc) rc = write_libsvm(&w->test, test, e);
    if (rc) return rc;
    double t0 = clock_mono_s();
    snprintf(cmd, sizeof cmd, "liblinear-train -s 0 -B 1 -q '%s' '%s' && liblinear-predict -b 1 "
             "'%s' '%s' '%s' >/dev/null", train, model, test, model, out);
    if (system(cmd) != 0) return err_set(e, SIREN_EIO, "liblinear failed: %s", cmd);
    s->seconds = clock_mono_s() - t0;
    /* The output's first line names the label order ("labels 1 -1" or "labels -1 1"). */
    FILE *f = fopen(out, "r");
    if (!f) return err_errno(e, errno, "cannot open %s", out);
    int first, second, pos_col;
    if (fscanf(f, "labels %d %d", &first, &second) != 2) {
        fclose(f);
        return err_set(e, SIREN_EFORMAT, "%s: line 1: expected 'labels A B'", out);
    }
    pos_col = first == 1 ? 0 : 1;
    float *p1 = malloc(w->test.rows * sizeof *p1);
    for (size_t i = 0; p1 && i < w->test.rows; i++) {
        int lab;
        double a, b;
        if (fscanf(f, "%d %lf %lf", &lab, &a, &b) != 3) {
            rc = err_set(e, SIREN_EFORMAT, "%s: line %zu: expected 'label p p'", out, i + 2);
            break;
        }
        p1[i] = (float)(pos_col == 0 ? a : b);
    }
    fclose(f);
    if (!p1) return err_set(e, SIREN_ENOMEM, "out of memory");
    if (!rc) score(p1, w->test.labels, w->test.rows, s);
    free(p1);
    unlink(train), unlink(test), unlink(model), unlink(out);
    return rc;
}

/* siren's reference trainer with the workload's defaults, scored the same way. */
static int run_siren(struct workload *w, struct scores *s, struct err *e)
{
    struct train_opts to = {.epochs = w->info.epochs, .quiet = 1};
    struct train_result r;
    double t0 = clock_mono_s();
    /* train_run scores the held-out rows with the same definitions (its loss is the mean
     * log-loss of the binary model). */
    int rc = train_run(w, &to, &r, e);
    if (rc) return rc;
    s->seconds = clock_mono_s() - t0;
    s->accuracy = r.test.accuracy;
    s->auc = r.test.auc;
    s->logloss = r.test.loss;
    return SIREN_OK;
}

static const struct opt_use lr_opts[] = {
    {.id = OPT_OUT, .def = "results/lr in the source tree"},
    {.id = OPT_QUICK, .help = "accepted and ignored: the benchmark is small already"},
    {.id = OPT_HELP},
};

static const char lr_help[] =
    "usage: siren bench lr [--out DIR]\n\nsiren's LR against liblinear's on the same "
    "features (lr-a9a, lr-ctr).\n\n";

static const struct bench_cli lr_cli = BENCH_CLI("bench lr", lr_opts, NULL, lr_help);

int bench_lr_main(int argc, char **argv)
{
    struct bench_args a = {0};
    struct err e;
    int rc = bench_args_parse(&lr_cli, argc, argv, &a, NULL, NULL);
    if (rc != OPT_GO_ON) return rc;
    openblas_set_num_threads(1);
    char dir[1024];
    rc = bench_out_dir(a.out, "lr", dir, sizeof dir, &e);
    if (!rc && system("command -v liblinear-train >/dev/null 2>&1") != 0)
        rc = err_set(&e, SIREN_ENOTFOUND, "liblinear-train is not installed (scripts/setup --peers)");
    const char *cols[] = {"workload", "trainer", "test_accuracy", "test_auc", "test_logloss",
                          "seconds"};
    struct table t;
    if (!rc) rc = table_init(&t, 6, cols);
    const char *names[] = {"lr-a9a", "lr-ctr"};
    for (int k = 0; k < 2 && !rc; k++) {
        struct workload *w;
        struct workload_opts wo = {0};
        if ((rc = workload_open(names[k], &wo, &w, &e))) break;
        struct scores sc[2];
        rc = run_siren(w, &sc[0], &e);
        if (!rc) rc = run_liblinear(w, dir, &sc[1], &e);
        for (int q = 0; q < 2 && !rc; q++) {
            if ((rc = table_add_row(&t))) break;
            size_t row = t.nrows - 1;
            table_setf(&t, row, 0, "%s", names[k]);
            table_setf(&t, row, 1, "%s", q ? "liblinear -s 0 (C=1, bias)" : "siren train (defaults)");
            table_setf(&t, row, 2, "%.4f", sc[q].accuracy);
            table_setf(&t, row, 3, "%.4f", sc[q].auc);
            table_setf(&t, row, 4, "%.4f", sc[q].logloss);
            table_setf(&t, row, 5, "%.2f", sc[q].seconds);
        }
        workload_close(w);
    }
    if (!rc)
        rc = bench_write_table(&t, dir, "lr", "lr",
                               "the same hashed / LIBSVM features for both; siren: the workload's "
                               "default optimiser, batch and epochs, one thread", &e);
    if (rc) fprintf(stderr, "siren bench lr: %s\n", e.msg);
    table_free(&t);
    return rc ? 1 : 0;
}

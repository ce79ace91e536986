/*
 * siren bench lr: time to the same held-out log loss, siren's logistic regression against
 * liblinear's (Debian's liblinear-tools, solver 0: L2-regularised LR, primal trust-region
 * Newton), in one run. For lr-a9a, lr-synthetic (10^6 CTR-shaped rows, Criteo's 39 fields)
 * and lr-ctr the rows siren trains on are written as LIBSVM files; liblinear trains on them
 * with its defaults (C = 1, bias term on), and its held-out log loss becomes the target. siren
 * then trains with --optimizer newton (the same objective) and with the workload's default
 * optimiser, each stopping at the first epoch whose held-out log loss meets the target.
 * Repetitions alternate liblinear and siren; the report has medians, ranges, and the median
 * and range of the per-repetition ratio siren / liblinear.
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
#include <sys/wait.h>
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

/* Runs argv (argv[0] found on PATH) with stdout to /dev/null and waits; its wall time in
 * *seconds. No shell in between, so the time is the program's own. */
static int run_timed(char *const argv[], double *seconds, struct err *e)
{
    double t0 = clock_mono_s();
    pid_t pid = fork();
    if (pid < 0) return err_errno(e, errno, "cannot start %s", argv[0]);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return err_errno(e, errno, "waiting for %s", argv[0]);
    *seconds = clock_mono_s() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return err_set(e, SIREN_EIO, "%s on %s failed (wait status %d)", argv[0],
                       argv[1] ? argv[1] : "", status);
    return SIREN_OK;
}

/* The LIBSVM files of one workload, in a scratch directory. */
struct ll_files {
    char train[1100], test[1100], model[1100], out[1100];
};

/* Reads liblinear-predict -b 1's output and scores it against the held-out labels. */
static int score_predictions(const char *path, const struct ds_data *test, struct scores *s,
                             struct err *e)
{
    /* The first line names the label order ("labels 1 -1" or "labels -1 1"). */
    FILE *f = fopen(path, "r");
    if (!f) return err_errno(e, errno, "cannot open %s", path);
    int first, second, rc = SIREN_OK;
    if (fscanf(f, "labels %d %d", &first, &second) != 2) {
        fclose(f);
        return err_set(e, SIREN_EFORMAT, "%s: line 1: expected 'labels A B'", path);
    }
    int pos_col = first == 1 ? 0 : 1;
    float *p1 = malloc(test->rows * sizeof *p1);
    for (size_t i = 0; p1 && i < test->rows; i++) {
        int lab;
        double a, b;
        if (fscanf(f, "%d %lf %lf", &lab, &a, &b) != 3) {
            rc = err_set(e, SIREN_EFORMAT, "%s: line %zu: expected 'label p p'", path, i + 2);
            break;
        }
        p1[i] = (float)(pos_col == 0 ? a : b);
    }
    fclose(f);
    if (!p1) return err_set(e, SIREN_ENOMEM, "out of memory");
    if (!rc) score(p1, test->labels, test->rows, s);
    free(p1);
    return rc;
}

/* liblinear-train on the training file, timed; with `predict`, also predicts the held-out
 * rows (untimed, as siren's evaluations are) and scores them into *s. */
static int run_liblinear(const struct ll_files *fl, const struct ds_data *test, int predict,
                         struct scores *s, struct err *e)
{
    char *train_argv[] = {"liblinear-train", "-s", "0", "-B", "1", "-q", (char *)fl->train,
                          (char *)fl->model, NULL};
    int rc = run_timed(train_argv, &s->seconds, e);
    if (rc || !predict) return rc;
    char *predict_argv[] = {"liblinear-predict", "-b", "1", (char *)fl->test, (char *)fl->model,
                            (char *)fl->out, NULL};
    double ignored;
    rc = run_timed(predict_argv, &ignored, e);
    if (!rc) rc = score_predictions(fl->out, test, s, e);
    return rc;
}

/* siren's trainer with w's optimiser until the held-out log loss is at most target (target 0:
 * until its own stopping rule or `epochs`): the time is training only (the evaluation after
 * each epoch, which decides when to stop, is not counted; nor is liblinear's prediction).
 * seconds is NAN when the target was not met. */
static int run_siren(struct workload *w, double target, int epochs, int threads,
                     struct scores *s, int *epochs_run, struct err *e)
{
    struct train_opts to = {.epochs = epochs, .quiet = 1, .threads = threads,
                            .target_loss = target};
    struct train_result r;
    /* train_run scores the held-out rows with the same definitions (its loss is the mean
     * log-loss of the binary model). */
    int rc = train_run(w, &to, &r, e);
    if (rc) return rc;
    s->seconds = target > 0 ? r.seconds_to_target : r.train_seconds;
    s->accuracy = r.test.accuracy;
    s->auc = r.test.auc;
    s->logloss = r.test.loss;
    *epochs_run = r.epochs;
    return SIREN_OK;
}

/* One comparison: the workload and what siren runs of it. */
struct lr_case {
    const char *workload;
    size_t synthetic_rows; /* lr-synthetic only */
    int default_epochs;    /* epochs of the default optimiser: at most this many */
};

/* The trainers of a case, in the table's order. TR_CONVERGED is Newton run to its own
 * stopping rule (|gradient| down by 1e-5, stricter than liblinear's default), so the table
 * also shows the time to solve the same problem, not only to pass the same loss. */
enum { TR_LIBLINEAR, TR_NEWTON, TR_CONVERGED, TR_DEFAULT, TR_COUNT };

#define LR_MAX_REPS 100
#define NEWTON_MAX_STEPS 50

struct lr_opts {
    int threads; /* siren's newton threads */
};

static const struct opt_use lr_opts[] = {
    {.id = OPT_OUT, .def = "results/lr in the source tree"},
    {.id = OPT_BENCH_REPS, .def = "5",
     .help = "repetitions, alternating liblinear and siren: medians, ranges and the per-pair "
             "ratio's median and range"},
    {.id = OPT_THREADS, .help = "threads of siren's Newton passes (liblinear uses one)"},
    {.id = OPT_QUICK, .help = "lr-a9a and lr-ctr only (no 10^6-row lr-synthetic)"},
    {.id = OPT_HELP},
};

static int lr_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct lr_opts *o = ctx;
    (void)e;
    if (v->id == OPT_THREADS) o->threads = (int)v->i;
    return SIREN_OK;
}

static const char lr_help[] =
    "usage: siren bench lr [--out DIR] [--reps N] [--threads T] [--quick]\n\n"
    "Time to the same held-out log loss: liblinear -s 0 (C = 1, bias) against siren's\n"
    "trainer with --optimizer newton and with the workload's default optimiser, on lr-a9a,\n"
    "lr-synthetic (10^6 rows) and lr-ctr. Pin OpenBLAS to one thread\n"
    "(OPENBLAS_NUM_THREADS=1) for numbers comparable to results/lr.\n\n";

static const struct bench_cli lr_cli = BENCH_CLI("bench lr", lr_opts, lr_opt, lr_help);

/* Writes the row of one trainer: scores of its first repetition, times over all. */
/* Columns col, col + 1 and col + 2 of row: the median, min and max of v[0..n), with the given
 * decimals (sorts v). */
static void set_median_min_max(struct table *t, size_t row, int col, int decimals, double *v,
                               int n)
{
    bench_sort(v, (size_t)n);
    table_setf(t, row, col, "%.*f", decimals, bench_median(v, (size_t)n));
    table_setf(t, row, col + 1, "%.*f", decimals, v[0]);
    table_setf(t, row, col + 2, "%.*f", decimals, v[n - 1]);
}

static int add_row(struct table *t, const struct lr_case *c, size_t train_rows,
                   const char *trainer, const struct scores *first, double *secs, double *ratio,
                   int reps, int epochs)
{
    int rc = table_add_row(t);
    if (rc) return rc;
    size_t row = t->nrows - 1;
    int reached = 0;
    for (int k = 0; k < reps; k++) reached += !isnan(secs[k]);
    table_setf(t, row, 0, "%s", c->workload);
    table_setf(t, row, 1, "%zu", train_rows);
    table_setf(t, row, 2, "%s", trainer);
    table_setf(t, row, 3, "%.5f", first->logloss);
    table_setf(t, row, 4, "%.4f", first->accuracy);
    table_setf(t, row, 5, "%.4f", first->auc);
    if (epochs > 0) table_setf(t, row, 6, "%d", epochs);
    else table_setf(t, row, 6, "%s", "-"); /* liblinear: its own iterations, not reported */
    if (reached < reps) {
        /* A repetition that never met the target has no time; say so, not a number. */
        for (int col = 7; col <= 12; col++) table_setf(t, row, col, "%s", "not reached");
        return SIREN_OK;
    }
    set_median_min_max(t, row, 7, 4, secs, reps);
    if (!ratio) {
        for (int col = 10; col <= 12; col++) table_setf(t, row, col, "%s", "1");
        return SIREN_OK;
    }
    set_median_min_max(t, row, 10, 3, ratio, reps);
    return SIREN_OK;
}

static int run_case(const struct lr_case *c, const char *scratch, int reps, int threads,
                    struct table *t, struct err *e)
{
    struct workload *w[2] = {NULL, NULL}; /* [0] newton, [1] the default optimiser */
    struct workload_opts wo = {.synthetic_rows = c->synthetic_rows, .optimizer = "newton"};
    int rc = workload_open(c->workload, &wo, &w[0], e);
    wo.optimizer = NULL;
    if (!rc) rc = workload_open(c->workload, &wo, &w[1], e);
    struct ll_files fl;
    snprintf(fl.train, sizeof fl.train, "%s/%s.train.svm", scratch, c->workload);
    snprintf(fl.test, sizeof fl.test, "%s/%s.test.svm", scratch, c->workload);
    snprintf(fl.model, sizeof fl.model, "%s/%s.model", scratch, c->workload);
    snprintf(fl.out, sizeof fl.out, "%s/%s.predict", scratch, c->workload);
    if (!rc) rc = write_libsvm(&w[0]->train, fl.train, e);
    if (!rc) rc = write_libsvm(&w[0]->test, fl.test, e);
    struct scores first[TR_COUNT];
    double secs[TR_COUNT][LR_MAX_REPS], ratio[TR_COUNT][LR_MAX_REPS];
    int epochs[TR_COUNT] = {0};
    for (int k = 0; k < reps && !rc; k++) {
        struct scores s;
        rc = run_liblinear(&fl, &w[0]->test, k == 0, k == 0 ? &first[TR_LIBLINEAR] : &s, e);
        if (rc) break;
        secs[TR_LIBLINEAR][k] = (k == 0 ? first[TR_LIBLINEAR] : s).seconds;
        double target = first[TR_LIBLINEAR].logloss;
        for (int q = TR_NEWTON; q <= TR_DEFAULT && !rc; q++) {
            struct workload *wq = w[q == TR_DEFAULT ? 1 : 0];
            int max_epochs = q == TR_DEFAULT ? c->default_epochs : NEWTON_MAX_STEPS;
            rc = run_siren(wq, q == TR_CONVERGED ? 0.0 : target, max_epochs, threads,
                           k == 0 ? &first[q] : &s, &epochs[q], e);
            if (rc) break;
            secs[q][k] = (k == 0 ? first[q] : s).seconds;
            ratio[q][k] = secs[q][k] / secs[TR_LIBLINEAR][k];
        }
    }
    char name[TR_COUNT][96];
    snprintf(name[TR_LIBLINEAR], sizeof name[0], "liblinear -s 0 (C=1, bias)");
    const char *plural = threads == 1 ? "" : "s";
    snprintf(name[TR_NEWTON], sizeof name[0], "siren --optimizer newton (%d thread%s)", threads,
             plural);
    snprintf(name[TR_CONVERGED], sizeof name[0],
             "siren --optimizer newton (%d thread%s), to convergence", threads, plural);
    if (w[1])
        snprintf(name[TR_DEFAULT], sizeof name[0], "siren --optimizer %s (default, lr %g)",
                 w[1]->info.optimizer, w[1]->info.lr);
    for (int q = 0; q < TR_COUNT && !rc; q++)
        rc = add_row(t, c, w[0]->train.rows, name[q], &first[q], secs[q],
                     q == TR_LIBLINEAR ? NULL : ratio[q], reps, epochs[q]);
    unlink(fl.train), unlink(fl.test), unlink(fl.model), unlink(fl.out);
    workload_close(w[0]);
    workload_close(w[1]);
    return rc;
}

int bench_lr_main(int argc, char **argv)
{
    struct bench_args a = {.reps = 5};
    struct lr_opts lo = {.threads = 1};
    struct err e;
    int rc = bench_args_parse(&lr_cli, argc, argv, &a, &lo, NULL);
    if (rc != OPT_GO_ON) return rc;
    if (a.reps > LR_MAX_REPS) a.reps = LR_MAX_REPS;
    openblas_set_num_threads(1);
    char dir[1024], scratch[1100];
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/siren-bench-lr.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    rc = bench_out_dir(a.out, "lr", dir, sizeof dir, &e);
    if (!rc && system("command -v liblinear-train >/dev/null 2>&1") != 0)
        rc = err_set(&e, SIREN_ENOTFOUND, "liblinear-train is not installed (scripts/setup --peers)");
    if (!rc && !mkdtemp(scratch)) rc = err_errno(&e, errno, "cannot create %s", scratch);
    const char *cols[] = {"workload", "train_rows", "trainer", "test_logloss", "test_accuracy",
                          "test_auc", "epochs", "time_to_target_s_median", "time_to_target_s_min",
                          "time_to_target_s_max", "ratio_median", "ratio_min", "ratio_max"};
    struct table t = {0};
    if (!rc) rc = table_init(&t, 13, cols);
    /* Default epochs: the workload's, so the last row shows what `siren train` gives today. */
    const struct lr_case cases[] = {
        {"lr-a9a", 0, 50},
        {"lr-synthetic", 1000000, 3},
        {"lr-ctr", 0, 5},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases && !rc; k++) {
        if (a.quick && cases[k].synthetic_rows) continue;
        rc = run_case(&cases[k], scratch, a.reps, lo.threads, &t, &e);
        if (rc) err_prefix(&e, "%s", cases[k].workload);
    }
    rmdir(scratch);
    char config[512];
    snprintf(config, sizeof config,
             "the same features for both; target = liblinear's held-out log loss; siren's time "
             "is training until an epoch's held-out log loss meets it (evaluations not counted), "
             "liblinear's the wall time of liblinear-train (reading its LIBSVM file, fitting, "
             "writing the model); %d alternating repetitions; ratio = siren / liblinear per "
             "repetition; OpenBLAS threads %s",
             a.reps, getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset");
    if (!rc) rc = bench_write_table(&t, dir, "lr", "lr", config, &e);
    if (rc) fprintf(stderr, "siren bench lr: %s\n", e.msg);
    table_free(&t);
    return rc ? 1 : 0;
}

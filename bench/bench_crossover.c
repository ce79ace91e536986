/*
 * siren bench crossover: at which data size do serverless functions beat a VM cluster, at the
 * same cost? For each workload family (logistic regression on Criteo-schema rows, LeNet-5 on
 * Fashion-MNIST, the text CNN on polarity), each Lambda preset and each size on a geometric
 * grid of training rows, one epoch over the rows (equal work on both sides):
 *
 * - Lambda: the simulator (the emulator's own arithmetic, variable latency) times and bills
 *   the epoch for every action of a grid (n functions x memory size), every round rule it
 *   searches (average, allreduce) and every channel (S3, ElastiCache Redis, an EC2 parameter
 *   server), and keeps them all; the job's constants are measured on the family's data and
 *   scaled to the size (same bytes and seconds per row, more mini-batches). An action whose
 *   functions would pass Lambda's time limit is infeasible.
 * - EC2: `siren ps` (the MXNet-style parameter server, virtual clock) runs one epoch of the
 *   family's data for every instance type x count x mode; its time per mini-batch per worker
 *   is scaled to the size (a PS epoch is the same pull, compute, push per batch, so it is
 *   linear in batches per worker), and the preset's boot and data-copy terms are added
 *   (provisioning included), billed per second with EC2's minimum.
 *
 * The row compares the fastest EC2 configuration with the fastest Lambda configuration whose
 * cost is at most the EC2 one's, and names the cheaper side. The crossover of a family is the
 * size above which Lambda stays faster (interpolated on the log grid). Both sides use one
 * calibration measured in one sitting (results/crossover/calibrate.sh). Writes
 * crossover.md/.csv, the per-configuration points (points.csv) and crossover.png.
 */
#include "bench.h"
#include "epoch_model.h"
#include "platform.h"
#include "sim.h"
#include "suite_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct family {
    const char *name, *workload;
    size_t base_rows; /* --rows of the measured job (generated workloads); 0: the data set's */
};

static const struct family families[] = {
    {"lr", "lr-criteo", 100000},
    {"image", "lenet-fashion", 0},
    {"text", "textcnn-polarity", 0},
};
#define N_FAMILIES (sizeof families / sizeof *families)

static const char *const presets[] = {"lambda-2019", "lambda-2024"};
#define N_PRESETS 2

static const char *const vm_types[] = {"m4.large", "m4.xlarge", "m4.2xlarge", "c5.2xlarge"};
static const int vm_counts[] = {1, 2, 4, 8};
static const char *const ps_modes[] = {"async", "sync"};

static const char *const rules[] = {"average", "allreduce"};
static const enum channel_kind channels[] = {CHANNEL_S3, CHANNEL_REDIS, CHANNEL_VM_PS};
static const int fn_ladder[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 2000, 3000};
static const int memory_mb[] = {1024, 1792, 3008}; /* and the smallest that holds the model */

#define MAX_SIZES 16

/* A configuration's epoch at one size. */
struct point {
    double time_s, cost_usd;
    int stateful; /* Lambda: its channel is a node of its own (ElastiCache, a PS VM) */
    char what[96];
};

/* EC2: one measured `siren ps` configuration. */
struct ec2_cfg {
    const char *type, *mode;
    int count;
    double batch_s;       /* train time per mini-batch per worker */
    double bytes_per_row; /* the staged split the instances copy from S3 */
};

struct xo {
    struct bench_args a;
    char dir[1200], calibration[1200], exe[1200];
    FILE *points; /* points.csv */
};

/* ------------------------------------------------------------------ EC2 */

/* Runs (or reuses: a finished run directory is kept) one `siren ps` epoch of family f and reads
 * its time per batch per worker. */
static int ec2_measure(struct xo *x, const struct family *f, const struct sim_job *job,
                       const char *preset, struct ec2_cfg *c, struct err *e)
{
    char run[1400], summary[1500], rows[64] = "";
    snprintf(run, sizeof run, "%s/ec2/%s-%s-%s-x%d-%s", x->dir, f->name, preset, c->type,
             c->count, c->mode);
    snprintf(summary, sizeof summary, "%s/summary.json", run);
    if (f->base_rows) snprintf(rows, sizeof rows, "%zu", f->base_rows);
    struct stat st;
    if (stat(summary, &st) != 0) {
        struct bench_argv av = {0};
        char count[16], log[1500], ec2_dir[1300];
        snprintf(ec2_dir, sizeof ec2_dir, "%s/ec2", x->dir);
        int made = fs_mkdir_p(ec2_dir, e);
        if (made) return made;
        snprintf(count, sizeof count, "%d", c->count);
        snprintf(log, sizeof log, "%s.log", run);
        int rc = bench_argv_mpirun(&av, 1 + 2 * c->count, e);
        const char *words[] = {x->exe, "ps", "--workload", f->workload,
                               "--instance-type", c->type, "--instances", count, "--mode",
                               c->mode, "--max-epochs", "1", "--target-loss", "1e-9",
                               "--eval-rows", "1000", "--platform", preset, "--calibration",
                               x->calibration, "--quiet", "--out", run};
        for (size_t i = 0; !rc && i < sizeof words / sizeof *words; i++)
            rc = bench_argv_push(&av, words[i], e);
        if (!rc && f->base_rows) {
            rc = bench_argv_push(&av, "--rows", e);
            if (!rc) rc = bench_argv_push(&av, rows, e);
        }
        fprintf(stderr, "bench crossover: ec2 %s %s %s x%d %s\n", f->name, preset, c->type,
                c->count, c->mode);
        if (!rc) rc = bench_spawn_logged(&av, log, e);
        bench_argv_free(&av);
        if (rc) return rc;
    }
    cJSON *s;
    int rc = json_load_file(summary, &s, e);
    if (rc) return rc;
    double train_s, data_bytes, epochs;
    rc = json_get_number(s, "train_s", summary, &train_s, e);
    if (!rc) rc = json_get_number(s, "data_bytes", summary, &data_bytes, e);
    if (!rc) rc = json_get_number(s, "epochs", summary, &epochs, e);
    cJSON_Delete(s);
    if (rc) return rc;
    /* The run staged the same split the simulator measured (same workload, seed, batch). */
    double per_worker = ceil((double)job->n_batches / c->count);
    c->batch_s = train_s / (epochs * per_worker);
    c->bytes_per_row = data_bytes / (double)job->rows;
    return SIREN_OK;
}

/* Time and cost of one epoch of `rows` rows on configuration c. Booted: from the launch
 * request, billed per second with EC2's minimum. Warm: the instances are already running for
 * other work too, so the epoch is billed its share, pro rata, as the Lambda side's cache
 * node or parameter-server VM is (epoch_model_channel_usd). */
static void ec2_epoch(const struct platform *p, const struct ec2_cfg *c, double rows, int batch,
                      int booted, struct point *out)
{
    const struct vm_instance *vm = platform_vm_find(p, c->type);
    double per_worker = ceil(ceil(rows / batch) / c->count);
    double t = per_worker * c->batch_s;
    if (booted) t += p->vm_boot_s + platform_vm_staging_s(p, vm, rows * c->bytes_per_row);
    out->time_s = t;
    out->cost_usd = booted ? platform_vm_cost_usd(p, vm, c->count, t)
                           : c->count * vm->price_usd_per_hour * t / 3600.0;
    out->stateful = 0;
    snprintf(out->what, sizeof out->what, "%s x%d %s", c->type, c->count, c->mode);
}

/* ------------------------------------------------------------------ Lambda */

/* A loss model that never reaches its target: only times and costs are read. */
static void stand_in_loss(const char *workload, const char *rule, struct sim_loss_model *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->workload, sizeof m->workload, "%s", workload);
    snprintf(m->update, sizeof m->update, "%s", rule);
    m->progress = SIM_PROGRESS_PARALLEL;
    m->loss0 = 1.0, m->loss_inf = 0.5, m->tau_samples = 1.0, m->kappa = 1.0, m->beta = 1.0;
    m->rho = 1.0, m->lr_decay = 1.0;
}

/* The job's constants at `rows` rows: the measured job with more (or fewer) mini-batches. */
static struct sim_job scaled_job(const struct sim_job *j, double rows)
{
    struct sim_job s = *j;
    s.rows = (size_t)rows;
    s.n_batches = (s.rows + (size_t)s.batch - 1) / (size_t)s.batch;
    s.last_batch_rows = (uint32_t)(s.rows - (s.n_batches - 1) * (size_t)s.batch);
    return s;
}

/* Every Lambda configuration's epoch at one size; appends feasible points to pts. */
static int lambda_points(struct xo *x, const struct family *f, const struct sim_job *job,
                         const struct platform *p, double rows, struct point *pts, int *n_pts,
                         int max_pts, struct err *e)
{
    struct sim_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return err_set(e, SIREN_ENOMEM, "out of memory");
    int rc = SIREN_OK;
    for (size_t r = 0; r < sizeof rules / sizeof *rules && !rc; r++)
        for (size_t ch = 0; ch < sizeof channels / sizeof *channels && !rc; ch++) {
            if (x->a.quick && (r > 0 || ch > 0)) continue;
            memset(cfg, 0, sizeof *cfg);
            cfg->platform = *p;
            cfg->job = scaled_job(job, rows);
            stand_in_loss(f->workload, rules[r], &cfg->loss);
            if ((rc = plan_update_parse(rules[r], &cfg->update, &cfg->round_batches, e))) break;
            cfg->sync = PLAN_SYNC_HSP;
            cfg->fetch = PLAN_FETCH_SHARE;
            cfg->on_timeout = PLAN_TIMEOUT_FAIL;
            cfg->channel = channels[ch];
            cfg->target_loss = 1e-9;
            cfg->max_epochs = 1;
            struct sim *s;
            if ((rc = sim_open(cfg, &s, e))) break;
            int mems[4] = {sim_min_memory_mb(s)}, n_mem = 1;
            for (size_t k = 0; k < sizeof memory_mb / sizeof *memory_mb; k++)
                if (memory_mb[k] > mems[0] && memory_mb[k] <= p->memory_mb_max)
                    mems[n_mem++] = memory_mb[k];
            for (size_t k = 0; k < sizeof fn_ladder / sizeof *fn_ladder && !rc; k++) {
                int n = fn_ladder[k];
                if (n > sim_max_functions(s)) break;
                for (int mi = 0; mi < n_mem && !rc; mi++) {
                    struct epoch_report rep;
                    sim_reset(s);
                    rc = sim_step(s, (struct sched_action){n, mems[mi]}, &rep, e);
                    if (rc == SIREN_EINVAL) { /* the planner refuses it (e.g. the time limit) */
                        rc = SIREN_OK;
                        continue;
                    }
                    if (rc || rep.failed_invocations > 0 || rep.lost_functions > 0) continue;
                    if (*n_pts >= max_pts) {
                        rc = err_set(e, SIREN_ENOMEM, "too many configurations");
                        break;
                    }
                    struct point *q = &pts[(*n_pts)++];
                    q->time_s = rep.time_s;
                    q->cost_usd = rep.cost_usd;
                    q->stateful = channels[ch] != CHANNEL_S3;
                    snprintf(q->what, sizeof q->what, "%s %s n=%d m=%d", rules[r],
                             p->channels[channels[ch]].name, n, mems[mi]);
                }
            }
            sim_close(s);
        }
    free(cfg);
    return rc;
}

/* ------------------------------------------------------------------ the comparison */

/* One EC2 side of a size: its fastest configuration, and the fastest Lambda configuration that
 * costs no more. */
struct duel {
    struct point ec2, lambda;
    int lambda_within; /* some Lambda configuration costs no more than ec2 */
    double ratio;      /* lambda time / ec2 time (NAN when none within) */
};

struct row {
    struct duel booted, warm;   /* EC2 from the launch request; EC2 already running */
    struct point lambda_fastest; /* at any cost, over S3 */
    struct point lambda_cheapest, ec2_cheapest; /* Lambda over S3; EC2 booted */
};

/* The fastest of p within max_cost (ties: the cheaper); stateless: Lambda over S3 only. */
static void fastest(const struct point *p, int n, double max_cost, int stateless,
                    struct point *out, int *found)
{
    *found = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].cost_usd > max_cost * (1 + 1e-12) || (stateless && p[i].stateful)) continue;
        if (!*found || p[i].time_s < out->time_s ||
            (p[i].time_s == out->time_s && p[i].cost_usd < out->cost_usd)) {
            *out = p[i];
            *found = 1;
        }
    }
}

static void cheapest(const struct point *p, int n, int stateless, struct point *out)
{
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (stateless && p[i].stateful) continue;
        if (!found || p[i].cost_usd < out->cost_usd ||
            (p[i].cost_usd == out->cost_usd && p[i].time_s < out->time_s))
            *out = p[i];
        found = 1;
    }
}

/* Booted EC2 meets Lambda over S3 only: a cache node or parameter-server VM of Lambda's would
 * boot too, which the channel model leaves out. Warm EC2 meets every channel, its node
 * already running as EC2's instances are. */
static void duel(const struct point *ec2, int n_ec2, const struct point *lambda, int n_lambda,
                 int stateless, struct duel *d)
{
    int found;
    fastest(ec2, n_ec2, (double)INFINITY, 0, &d->ec2, &found);
    fastest(lambda, n_lambda, d->ec2.cost_usd, stateless, &d->lambda, &d->lambda_within);
    d->ratio = d->lambda_within ? d->lambda.time_s / d->ec2.time_s : (double)NAN;
}

static void put_points(FILE *f, const char *family, const char *preset, double rows,
                       const char *side, const struct point *p, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(f, "%s,%s,%.0f,%s,%s,%.6f,%.9f\n", family, preset, rows, side, p[i].what,
                p[i].time_s, p[i].cost_usd);
}

static void fmt_rows(double v, char *buf, size_t len)
{
    if (v >= 1e6) snprintf(buf, len, "%.3gM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, len, "%.3gk", v / 1e3);
    else snprintf(buf, len, "%.0f", v);
}

/* Where Lambda is faster at the same cost, as a sentence: the sizes where the time ratio
 * crosses 1, interpolated log-linearly between grid points (a size with no Lambda
 * configuration within the EC2 cost counts as EC2's). */
static void crossings(const double *sizes, const struct duel *const *d, int n, char *buf,
                      size_t len)
{
    int lambda_at[MAX_SIZES], any = 0, all = 1;
    for (int i = 0; i < n; i++) {
        lambda_at[i] = d[i]->ratio < 1;
        any |= lambda_at[i];
        all &= lambda_at[i];
    }
    if (all) {
        snprintf(buf, len, "Lambda is faster at every size");
        return;
    }
    if (!any) {
        snprintf(buf, len, "EC2 is faster at every size (no crossover)");
        return;
    }
    size_t at = (size_t)snprintf(buf, len, "Lambda is faster%s", lambda_at[0] ? " up to" : "");
    int first = 1;
    for (int i = 0; i + 1 < n && at < len; i++) {
        if (lambda_at[i] == lambda_at[i + 1]) continue;
        /* The crossing: where log(ratio) is 0 between the two points; a missing ratio (no
         * Lambda within budget) puts it at the grid point. */
        double r0 = d[i]->ratio, r1 = d[i + 1]->ratio;
        char s[80];
        if (isnan(r0) || isnan(r1)) { /* no ratio to interpolate: name both grid points */
            char lo[32], hi[32];
            fmt_rows(sizes[i], lo, sizeof lo);
            fmt_rows(sizes[i + 1], hi, sizeof hi);
            snprintf(s, sizeof s, "between %s and %s", lo, hi);
        } else {
            double w = log(r0) / (log(r0) - log(r1));
            fmt_rows(exp(log(sizes[i]) + w * (log(sizes[i + 1]) - log(sizes[i]))), s, sizeof s);
        }
        at += (size_t)snprintf(buf + at, len - at, "%s%s %s rows", first ? "" : ",",
                               lambda_at[i] ? (first ? "" : " up to") : " above", s);
        first = 0;
    }
}

/* One figure per preset: the time ratio against the size, booted and warm EC2. */
static int write_figure(const char *dir, int pi, const double sizes[N_FAMILIES][MAX_SIZES],
                        const int *n_sizes, struct row rows[N_FAMILIES][N_PRESETS][MAX_SIZES],
                        struct err *e)
{
    char gp[1400], png[1400];
    snprintf(gp, sizeof gp, "%s/crossover-%s.gp", dir, presets[pi]);
    snprintf(png, sizeof png, "%s/crossover-%s.png", dir, presets[pi]);
    FILE *f = fopen(gp, "w");
    if (!f) return err_errno(e, errno, "cannot write %s", gp);
    fprintf(f, "# Drawn by siren bench crossover; run `gnuplot THIS_FILE` to redraw.\n"
               "set terminal pngcairo size 900,700 font 'sans,10'\nset output '%s'\n"
               "set title \"%s: one epoch, Lambda's time / the fastest EC2 configuration's,\\n"
               "Lambda at no more than that configuration's cost\"\n"
               "set logscale xy\nset xlabel 'training rows (one epoch)'\n"
               "set ylabel 'time ratio, Lambda / EC2'\nset grid\nset key below maxrows 3\n"
               "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lw 2 lc rgb 'black'\n"
               "set label 'Lambda faster' at graph 0.02, graph 0.04\n"
               "set label 'EC2 faster' at graph 0.02, graph 0.96\n",
               png, presets[pi]);
    static const char *colours[] = {"#1f77b4", "#d62728", "#2ca02c"};
    fprintf(f, "plot ");
    int first = 1;
    for (size_t fi = 0; fi < N_FAMILIES; fi++)
        for (int warm = 0; warm < 2; warm++) {
            if (!n_sizes[fi]) continue;
            int points = 0;
            for (int si = 0; si < n_sizes[fi]; si++)
                points += !isnan(warm ? rows[fi][pi][si].warm.ratio
                                      : rows[fi][pi][si].booted.ratio);
            fprintf(f, "%s'-' using 1:2 with linespoints lw 2 pt %d ps 1.3 lc rgb '%s' dt %d "
                       "title '%s (%s), EC2 %s%s'",
                    first ? "" : ", ", warm ? 6 : 7, colours[fi], warm ? 2 : 1,
                    families[fi].name, families[fi].workload,
                    warm ? "already running" : "booted",
                    points < n_sizes[fi] ? (points ? " (gaps: no Lambda within its cost)"
                                                   : ": no Lambda within its cost")
                                         : "");
            first = 0;
        }
    fprintf(f, "\n");
    for (size_t fi = 0; fi < N_FAMILIES; fi++)
        for (int warm = 0; warm < 2; warm++) {
            if (!n_sizes[fi]) continue;
            int points = 0;
            for (int si = 0; si < n_sizes[fi]; si++) {
                const struct duel *d = warm ? &rows[fi][pi][si].warm : &rows[fi][pi][si].booted;
                if (isnan(d->ratio)) continue;
                fprintf(f, "%.0f %.6g\n", sizes[fi][si], d->ratio);
                points++;
            }
            if (!points) fprintf(f, "NaN NaN\n");
            fprintf(f, "e\n");
        }
    fclose(f);
    return suite_gnuplot_run(gp, e);
}

static const struct opt_use xo_opts[] = {
    {.id = OPT_QUICK},
    {.id = OPT_OUT, .def = "results/crossover in the source tree"},
    {.id = OPT_HELP},
};

static const char xo_help[] =
    "usage: siren bench crossover [--quick] [--out DIR]\n\n"
    "For each workload family (lr: lr-criteo, image: lenet-fashion, text: textcnn-polarity),\n"
    "each Lambda preset and each training-set size from 10^4 to 10^8 rows: one epoch on the\n"
    "fastest EC2 parameter-server configuration (m4.large/xlarge/2xlarge, c5.2xlarge x 1-8,\n"
    "sync or async; booted, and already running) against the fastest Lambda configuration\n"
    "(the simulator over functions x memory x update rule x channel) that costs no more.\n"
    "EC2 times per mini-batch come from `siren ps` runs kept under OUT/ec2 (delete them to\n"
    "measure again). Both sides use OUT/calibration.json (results/crossover/calibrate.sh).\n"
    "--quick: the lr family, three sizes, S3 and average only, two EC2 configurations.\n\n";

static const struct bench_cli xo_cli = BENCH_CLI("bench crossover", xo_opts, NULL, xo_help);

static void set_duel(struct table *t, size_t row, int col, const struct duel *d)
{
    table_setf(t, row, col, "%s", d->ec2.what);
    table_setf(t, row, col + 1, "%.3f", d->ec2.time_s);
    table_setf(t, row, col + 2, "%.6f", d->ec2.cost_usd);
    table_setf(t, row, col + 3, "%s", d->lambda_within ? d->lambda.what : "none within");
    table_setf(t, row, col + 4, d->lambda_within ? "%.3f" : "-", d->lambda.time_s);
    table_setf(t, row, col + 5, d->lambda_within ? "%.6f" : "-", d->lambda.cost_usd);
    table_setf(t, row, col + 6, d->lambda_within ? "%.3f" : "-", d->ratio);
}

int bench_crossover_main(int argc, char **argv)
{
    struct xo x = {0};
    struct err e;
    int rc = bench_args_parse(&xo_cli, argc, argv, &x.a, NULL, NULL);
    if (rc != OPT_GO_ON) return rc;
    if ((rc = bench_out_dir(x.a.out, "crossover", x.dir, sizeof x.dir, &e))) goto fail;
    ssize_t exe_len = readlink("/proc/self/exe", x.exe, sizeof x.exe - 1);
    if (exe_len <= 0) {
        rc = err_errno(&e, errno, "cannot find the siren executable (/proc/self/exe)");
        goto fail;
    }
    x.exe[exe_len] = '\0';
    snprintf(x.calibration, sizeof x.calibration, "%s/calibration.json", x.dir);
    struct stat st;
    if (stat(x.calibration, &st) != 0 &&
        core_source_path("results/crossover/calibration.json", x.calibration,
                         sizeof x.calibration)) {
        rc = err_set(&e, SIREN_EINVAL, "source path too long");
        goto fail;
    }
    static double sizes[N_FAMILIES][MAX_SIZES];
    int n_sizes[N_FAMILIES] = {0};
    static struct row rows[N_FAMILIES][N_PRESETS][MAX_SIZES];
    char path[1400];
    snprintf(path, sizeof path, "%s/points.csv", x.dir);
    x.points = fopen(path, "w");
    if (!x.points) {
        rc = err_errno(&e, errno, "cannot write %s", path);
        goto fail;
    }
    fprintf(x.points, "family,preset,rows,side,configuration,time_s,cost_usd\n");
    static const char *cols[] = {
        "family", "workload", "preset", "rows",
        "ec2", "ec2_time_s", "ec2_cost_usd", "lambda", "lambda_time_s", "lambda_cost_usd",
        "time_ratio",
        "ec2_warm", "ec2_warm_time_s", "ec2_warm_cost_usd", "lambda_vs_warm",
        "lambda_vs_warm_time_s", "lambda_vs_warm_cost_usd", "warm_time_ratio",
        "lambda_fastest", "lambda_fastest_time_s", "lambda_fastest_cost_usd",
        "lambda_min_cost_usd", "ec2_min_cost_usd", "cheaper"};
    enum { N_COLS = sizeof cols / sizeof *cols };
    struct table t;
    if (table_init(&t, N_COLS, cols)) {
        rc = err_set(&e, SIREN_ENOMEM, "out of memory");
        goto fail;
    }
    enum { MAX_PTS = 4096 };
    struct point *pts = malloc(MAX_PTS * sizeof *pts);
    if (!pts) rc = err_set(&e, SIREN_ENOMEM, "out of memory");
    size_t trow = 0;
    char summary[8192] = "";
    size_t sum_len = 0;
    for (size_t fi = 0; fi < N_FAMILIES && !rc; fi++) {
        const struct family *f = &families[fi];
        if (x.a.quick && fi > 0) break;
        /* Sizes: 10^4 .. 10^8, two per decade, and Criteo Kaggle's 45,840,617 for lr. */
        int ns = 0;
        for (int k = 0; k <= 8; k++) {
            if (x.a.quick && k % 4) continue;
            sizes[fi][ns++] = round(1e4 * pow(10.0, k / 2.0));
            if (!strcmp(f->name, "lr") && k == 7 && !x.a.quick) sizes[fi][ns++] = 45840617;
        }
        n_sizes[fi] = ns;
        struct workload_opts wo = {0};
        wo.synthetic_rows = f->base_rows;
        wo.generate = f->base_rows > 0;
        struct sim_job job;
        if ((rc = sim_job_load(f->workload, &wo, x.calibration, &job, &e))) break;
        /* EC2 configurations: a time per batch measured under the first preset serves every
         * preset whose instance has the same vCPUs and network (the presets differ in boot
         * time and, possibly, prices, which are applied here). */
        struct platform p0;
        if ((rc = platform_load(presets[0], &p0, &e))) break;
        struct ec2_cfg ec2[32];
        int n_ec2 = 0;
        for (size_t ti = 0; ti < sizeof vm_types / sizeof *vm_types && !rc; ti++)
            for (size_t ki = 0; ki < sizeof vm_counts / sizeof *vm_counts && !rc; ki++)
                for (int mi = 0; mi < 2 && !rc; mi++) {
                    if (x.a.quick && (ti % 3 || ki > 1 || mi)) continue;
                    if (!platform_vm_find(&p0, vm_types[ti])) continue;
                    ec2[n_ec2] = (struct ec2_cfg){vm_types[ti], ps_modes[mi], vm_counts[ki], 0, 0};
                    if (!(rc = ec2_measure(&x, f, &job, presets[0], &ec2[n_ec2], &e))) n_ec2++;
                }
        for (int pi = 0; pi < N_PRESETS && !rc; pi++) {
            struct platform p;
            if ((rc = platform_load(presets[pi], &p, &e))) break;
            for (int k = 0; k < n_ec2 && !rc; k++) {
                const struct vm_instance *a = platform_vm_find(&p0, ec2[k].type),
                                         *b = platform_vm_find(&p, ec2[k].type);
                if (!b || a->vcpus != b->vcpus || a->network_gbit_s != b->network_gbit_s)
                    rc = err_set(&e, SIREN_EINVAL, "%s: %s differs from %s's; measure it under "
                                 "%s too", presets[pi], ec2[k].type, presets[0], presets[pi]);
            }
            for (int si = 0; si < ns && !rc; si++) {
                double n_rows = sizes[fi][si];
                struct point ec2_pts[32], warm_pts[32];
                for (int k = 0; k < n_ec2; k++) {
                    ec2_epoch(&p, &ec2[k], n_rows, job.batch, 1, &ec2_pts[k]);
                    ec2_epoch(&p, &ec2[k], n_rows, job.batch, 0, &warm_pts[k]);
                }
                int n_pts = 0;
                if ((rc = lambda_points(&x, f, &job, &p, n_rows, pts, &n_pts, MAX_PTS, &e))) break;
                if (!n_pts) {
                    rc = err_set(&e, SIREN_EINVAL, "%s, %s, %.0f rows: no feasible Lambda "
                                 "configuration", f->name, presets[pi], n_rows);
                    break;
                }
                fprintf(stderr, "bench crossover: %s %s %.0f rows: %d Lambda configurations\n",
                        f->name, presets[pi], n_rows, n_pts);
                put_points(x.points, f->name, presets[pi], n_rows, "lambda", pts, n_pts);
                put_points(x.points, f->name, presets[pi], n_rows, "ec2", ec2_pts, n_ec2);
                put_points(x.points, f->name, presets[pi], n_rows, "ec2-warm", warm_pts, n_ec2);
                struct row *r = &rows[fi][pi][si];
                int found;
                duel(ec2_pts, n_ec2, pts, n_pts, 1, &r->booted);
                duel(warm_pts, n_ec2, pts, n_pts, 0, &r->warm);
                fastest(pts, n_pts, (double)INFINITY, 1, &r->lambda_fastest, &found);
                cheapest(pts, n_pts, 1, &r->lambda_cheapest);
                cheapest(ec2_pts, n_ec2, 0, &r->ec2_cheapest);
                if (table_add_row(&t)) {
                    rc = err_set(&e, SIREN_ENOMEM, "out of memory");
                    break;
                }
                table_setf(&t, trow, 0, "%s", f->name);
                table_setf(&t, trow, 1, "%s", f->workload);
                table_setf(&t, trow, 2, "%s", presets[pi]);
                table_setf(&t, trow, 3, "%.0f", n_rows);
                set_duel(&t, trow, 4, &r->booted);
                set_duel(&t, trow, 11, &r->warm);
                table_setf(&t, trow, 18, "%s", r->lambda_fastest.what);
                table_setf(&t, trow, 19, "%.3f", r->lambda_fastest.time_s);
                table_setf(&t, trow, 20, "%.6f", r->lambda_fastest.cost_usd);
                table_setf(&t, trow, 21, "%.6f", r->lambda_cheapest.cost_usd);
                table_setf(&t, trow, 22, "%.6f", r->ec2_cheapest.cost_usd);
                table_setf(&t, trow, 23, "%s",
                           r->lambda_cheapest.cost_usd < r->ec2_cheapest.cost_usd ? "lambda"
                                                                                   : "ec2");
                trow++;
            }
            for (int warm = 0; warm < 2 && !rc && ns > 1 && sum_len < sizeof summary; warm++) {
                const struct duel *d[MAX_SIZES];
                for (int si = 0; si < ns; si++)
                    d[si] = warm ? &rows[fi][pi][si].warm : &rows[fi][pi][si].booted;
                char what[512];
                crossings(sizes[fi], d, ns, what, sizeof what);
                sum_len += (size_t)snprintf(summary + sum_len, sizeof summary - sum_len,
                                            "- %s (%s), %s, EC2 %s: %s\n", f->name, f->workload,
                                            presets[pi], warm ? "already running" : "booted",
                                            what);
            }
        }
    }
    free(pts);
    fclose(x.points);
    if (!rc) {
        char config[1400], footer[8400];
        snprintf(config, sizeof config,
                 "one epoch over the rows on each side; calibration %s; Lambda: the simulator, "
                 "variable latency (seed 0), HSP, rules average/allreduce, channels s3/redis/"
                 "vm-ps, n from 1 up to the preset's concurrency limit, memory {smallest, 1024, "
                 "1792, 3008} MB, an action whose functions pass the time limit left out; EC2: "
                 "siren ps per-batch time x batches per worker; booted: + boot + data copy, "
                 "per-second billing with the minimum, against Lambda over S3 only; warm: "
                 "billed pro rata, against every channel (their nodes billed pro rata too); "
                 "lambda = the fastest Lambda configuration costing at most the fastest EC2 "
                 "one's; time_ratio = lambda / ec2; lambda_fastest, the min costs and cheaper: "
                 "Lambda over S3, EC2 booted",
                 x.calibration);
        snprintf(footer, sizeof footer, "\nWhere Lambda is faster at no more than the fastest "
                                        "EC2 configuration's cost:\n\n%s", summary);
        rc = bench_write_report(&t, x.dir, "crossover", "crossover", config, footer, 1, &e);
    }
    for (int pi = 0; pi < N_PRESETS && !rc; pi++)
        rc = write_figure(x.dir, pi, (const double(*)[MAX_SIZES])sizes, n_sizes, rows, &e);
    table_free(&t);
    if (rc) goto fail;
    return 0;
fail:
    fprintf(stderr, "siren bench crossover: %s\n", e.msg);
    return 1;
}

/* siren calibrate: seconds per training sample of a workload on this host (one thread, or T
 * OpenBLAS threads with --threads T, stored under the key "W@Tt"). */
#define _GNU_SOURCE
#include "calibration.h"
#include "cmd.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

/* The options of siren calibrate, in the order of its help. */
static const struct opt_use calibrate_opts[] = {
    {.id = OPT_WORKLOAD},
    {.id = OPT_OUT, .arg = "FILE", .def = "results/calibration/local.json",
     .help = "the calibration file the measurement is stored in (under the workload's name)"},
    {.id = OPT_REPS},
    {.id = OPT_THREADS, .help = "OpenBLAS threads; more than one is stored as \"W@Tt\""},
    {.id = OPT_SERVER_UPDATE},
    {.id = OPT_BATCH}, {.id = OPT_ROWS}, {.id = OPT_SEED}, {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: siren calibrate --workload W [--out FILE] [--reps N] [--batch B]\n"
               "                       [--rows N] [--seed S] [--threads T] [--server-update]\n\n"
               "Times real training steps of W at one thread (three warm-up steps, then N timed\n"
               "ones) and stores the median seconds per sample in FILE, the compute term of the\n"
               "virtual clock. The committed results/calibration/reference.json makes runs\n"
               "identical anywhere. With --threads T (> 1) the step runs on T OpenBLAS threads\n"
               "and is stored as \"W@Tt\": the measured multi-thread speed-up `siren ps` scales\n"
               "VM compute with. With --server-update it times instead what a server of `siren\n"
               "ps` spends per parameter on an update (a weighted gradient sum and one optimiser\n"
               "step), stored as \"W@update\".\n\n");
    opt_help_write(f, calibrate_opts, CMD_COUNT(calibrate_opts));
}

/* What the command line asks of siren calibrate. */
struct calibrate_request {
    const char *name, *out;
    long long reps, threads;
    int server_update;
    struct workload_opts wo;
};

static int calibrate_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct calibrate_request *r = ctx;
    (void)e;
    if (cmd_workload_opt(v, &r->wo)) return SIREN_OK;
    switch (v->id) {
    case OPT_WORKLOAD: r->name = v->text; break;
    case OPT_OUT: r->out = v->text; break;
    case OPT_REPS: r->reps = v->i; break;
    case OPT_THREADS: r->threads = v->i; break;
    case OPT_SERVER_UPDATE: r->server_update = 1; break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int cmd_calibrate(int argc, char **argv)
{
    struct calibrate_request r = {.out = "results/calibration/local.json", .reps = 21,
                                  .threads = 1, .wo.load_train = 1};
    struct err e;
    int rc = opt_parse("calibrate", calibrate_opts, CMD_COUNT(calibrate_opts), argc, argv,
                       calibrate_opt, &r, NULL);
    if (rc != OPT_GO_ON) return rc;
    if (!r.name) return opt_usage_error("calibrate", "--workload is required");
    if (!workload_find(r.name))
        return cmd_unknown_workload("calibrate", r.name);
    openblas_set_num_threads((int)r.threads);
    char key[160];
    if (r.threads > 1) snprintf(key, sizeof key, "%s@%lldt", r.name, r.threads);
    else snprintf(key, sizeof key, "%s", r.name);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", r.out);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (fs_mkdir_p(dir, &e)) return cmd_fail("calibrate", &e);
    }
    struct workload *w;
    if (r.server_update) {
        /* The update needs the model's shape only, not the data. */
        r.wo.load_train = 0;
        r.wo.load_test = 1;
        if (workload_open(r.name, &r.wo, &w, &e)) return cmd_fail("calibrate", &e);
        struct calibration_update u;
        rc = calibration_update_measure(w, (int)r.reps, &u, &e);
        workload_close(w);
        if (rc || calibration_update_store(r.out, r.name, &u, &e)) return cmd_fail("calibrate", &e);
        printf("%s@update: %.3e s per parameter for the optimiser step, %.3e for a weighted sum, "
               "over %lld parameters, %d reps -> %s\n", r.name, u.step_s_per_param,
               u.sum_s_per_param, u.params, u.reps, r.out);
        return 0;
    }
    if (workload_open(r.name, &r.wo, &w, &e)) return cmd_fail("calibrate", &e);
    struct calibration_entry cal;
    rc = calibration_measure(w, (int)r.reps, &cal, &e);
    workload_close(w);
    if (rc) return cmd_fail("calibrate", &e);
    if (calibration_store(r.out, key, &cal, &e)) return cmd_fail("calibrate", &e);
    printf("%s: %.3e s per sample (min %.3e, max %.3e) at batch %d, %d reps -> %s\n", key,
           cal.s_per_sample, cal.min_s_per_sample, cal.max_s_per_sample, cal.batch, cal.reps,
           r.out);
    return 0;
}

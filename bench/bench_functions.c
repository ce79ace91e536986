/*
 * siren bench functions: the sandbox half measures invocation round trips through siren-fn:
 * warm (an echo event on a live process, many repetitions) and cold (spawn, start-up and the
 * first event), for each memory-limit method available here. It validates the echo first,
 * warms up, then repeats, and writes sandbox.md and sandbox.csv (min/median/max in ms) to
 * results/functions/ in the source tree (core_source_root()) or --out DIR, and
 * prints the markdown. The KV half (bench_kv_run) runs afterwards with the same options.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "sandbox.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Targets on a 2-core host; reported beside the numbers, never asserted. */
#define WARM_TARGET_MS 0.2
#define COLD_TARGET_MS 3.0

struct stats {
    double min_ms, median_ms, max_ms;
};

static struct stats stats_of(double *v, int n)
{
    double median = bench_median(v, (size_t)n);
    struct stats s = {v[0], median, v[n - 1]};
    return s;
}

/* The echo must come back equal to the event, or the numbers mean nothing. */
static int check_echo(const struct sandbox_result *res, const cJSON *event, struct err *e)
{
    if (res->status != SANDBOX_OK)
        return err_set(e, SIREN_EBACKEND, "echo failed: %s: %s", sandbox_status_name(res->status),
                       res->error_msg);
    if (!cJSON_Compare(res->response, event, 1))
        return err_set(e, SIREN_EFORMAT, "echo returned a different event");
    return 0;
}

/* Warm round trips on one live sandbox: reps timed, after warmup untimed. */
static int bench_warm(enum sandbox_mem_method method, const cJSON *event, int warmup, int reps,
                      double *samples, struct err *e)
{
    struct sandbox_opts opts;
    sandbox_opts_init(&opts);
    opts.mem_method = method;
    struct sandbox *sb = NULL;
    struct sandbox_result res;
    int rc = sandbox_open(&opts, &sb, e);
    for (int i = 0; !rc && i < warmup + reps; i++) {
        double t0 = clock_mono_s();
        rc = sandbox_invoke(sb, "echo", event, &res, e);
        double t1 = clock_mono_s();
        if (!rc) rc = check_echo(&res, event, e);
        sandbox_result_free(&res);
        if (i >= warmup) samples[i - warmup] = (t1 - t0) * 1000.0;
    }
    sandbox_close(sb);
    return rc;
}

/* Cold round trips: open (spawn + ready) and the first event, each on a new process. */
static int bench_cold(enum sandbox_mem_method method, const cJSON *event, int warmup, int reps,
                      double *samples, double *init_samples, struct err *e)
{
    struct sandbox_opts opts;
    sandbox_opts_init(&opts);
    opts.mem_method = method;
    int rc = 0;
    for (int i = 0; !rc && i < warmup + reps; i++) {
        struct sandbox *sb = NULL;
        struct sandbox_result res;
        sandbox_result_init(&res);
        double t0 = clock_mono_s();
        rc = sandbox_open(&opts, &sb, e);
        if (!rc) rc = sandbox_invoke(sb, "echo", event, &res, e);
        double t1 = clock_mono_s();
        if (!rc) rc = check_echo(&res, event, e);
        if (!rc && !res.cold) rc = err_set(e, SIREN_EINVAL, "first invocation was not cold");
        if (i >= warmup) {
            samples[i - warmup] = (t1 - t0) * 1000.0;
            init_samples[i - warmup] = res.init_ms;
        }
        sandbox_result_free(&res);
        sandbox_close(sb);
    }
    return rc;
}

static int add_row(struct table *t, const char *kind, const char *method, int reps,
                   struct stats s, const struct stats *init, double target_ms)
{
    if (table_add_row(t)) return SIREN_ENOMEM;
    size_t r = t->nrows - 1;
    table_setf(t, r, 0, "%s", kind);
    table_setf(t, r, 1, "%s", method);
    table_setf(t, r, 2, "%d", reps);
    table_setf(t, r, 3, "%.4f", s.min_ms);
    table_setf(t, r, 4, "%.4f", s.median_ms);
    table_setf(t, r, 5, "%.4f", s.max_ms);
    if (init) table_setf(t, r, 6, "%.4f", init->median_ms);
    table_setf(t, r, 7, "%.1f", target_ms);
    table_setf(t, r, 8, "%s", s.median_ms <= target_ms ? "yes" : "no");
    return 0;
}

static int bench_sandbox(int quick, const char *out_dir)
{
    struct err e;
    err_clear(&e);
    cJSON *event = cJSON_Parse("{\"job\":\"bench\",\"epoch\":3,\"fn\":7,\"batches\":[1,2,3,4]}");
    const int warm_warmup = quick ? 50 : 200, warm_reps = quick ? 500 : 5000;
    const int cold_warmup = quick ? 2 : 5, cold_reps = quick ? 20 : 100;
    double *warm = calloc((size_t)warm_reps, sizeof *warm);
    double *cold = calloc((size_t)cold_reps, sizeof *cold);
    double *init = calloc((size_t)cold_reps, sizeof *init);
    static const char *const cols[] = {"case",          "mem_method",     "reps",
                                       "time_ms_min",   "time_ms_median", "time_ms_max",
                                       "init_ms_median", "target_ms",     "meets_target"};
    struct table t;
    memset(&t, 0, sizeof t);
    int rc = table_init(&t, 9, cols);
    if (rc || !event || !warm || !cold || !init) {
        rc = err_set(&e, SIREN_ENOMEM, "bench functions: buffers");
        goto out;
    }
    enum sandbox_mem_method methods[2] = {SANDBOX_MEM_WATCHDOG, SANDBOX_MEM_CGROUP};
    for (int m = 0; m < 2 && !rc; m++) {
        if (methods[m] == SANDBOX_MEM_CGROUP && sandbox_cgroup_probe(NULL, &e)) {
            fprintf(stderr, "bench functions: cgroup method skipped: %s\n", e.msg);
            err_clear(&e);
            continue;
        }
        const char *mname = sandbox_method_name(methods[m]);
        rc = bench_warm(methods[m], event, warm_warmup, warm_reps, warm, &e);
        if (!rc) rc = add_row(&t, "warm echo round trip", mname, warm_reps,
                              stats_of(warm, warm_reps), NULL, WARM_TARGET_MS);
        if (!rc) rc = bench_cold(methods[m], event, cold_warmup, cold_reps, cold, init, &e);
        if (!rc) {
            struct stats si = stats_of(init, cold_reps);
            rc = add_row(&t, "cold spawn + first echo", mname, cold_reps,
                         stats_of(cold, cold_reps), &si, COLD_TARGET_MS);
        }
    }
    if (!rc) {
        char dir[PATH_MAX], config[256];
        if (out_dir) snprintf(dir, sizeof dir, "%s", out_dir);
        else snprintf(dir, sizeof dir, "%s/results/functions", core_source_root());
        snprintf(config, sizeof config,
                 "%s; echo event of %zu bytes; 128 MB, 3 s timeout; warm: %d warm-up + %d reps "
                 "on one process; cold: %d + %d new processes",
                 quick ? "quick" : "full", strlen("{\"job\":\"bench\",\"epoch\":3,\"fn\":7,"
                                                  "\"batches\":[1,2,3,4]}"),
                 warm_warmup, warm_reps, cold_warmup, cold_reps);
        rc = bench_write_report(&t, dir, "sandbox", "functions (sandbox)", config, NULL, 1, &e);
    }
out:
    if (rc) fprintf(stderr, "siren bench functions: %s\n", e.msg);
    table_free(&t);
    free(warm);
    free(cold);
    free(init);
    cJSON_Delete(event);
    return rc ? 1 : 0;
}

static const struct opt_use functions_opts[] = {
    {.id = OPT_OUT, .def = "results/functions in the source tree"},
    {.id = OPT_QUICK, .help = "fewer repetitions and objects"},
    {.id = OPT_KV_DIR}, {.id = OPT_HELP},
};

static const char functions_help[] =
    "usage: siren bench functions [--out DIR] [--quick] [--kv-dir DIR]\n"
    "  sandbox round trips (warm and cold siren-fn invocations), then KV\n"
    "  throughput; writes sandbox.md, sandbox.csv, kv.md and kv.csv to DIR\n\n";

/* --kv-dir into a const char * (ctx). */
static int functions_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    (void)e;
    if (v->id == OPT_KV_DIR) *(const char **)ctx = v->text;
    return SIREN_OK;
}

static const struct bench_cli functions_cli =
    BENCH_CLI("bench functions", functions_opts, functions_opt, functions_help);

int bench_functions_main(int argc, char **argv)
{
    struct bench_args a = {0};
    const char *kv_dir = NULL; /* where the KV half's stores live */
    int rc = bench_args_parse(&functions_cli, argc, argv, &a, &kv_dir, NULL);
    if (rc != OPT_GO_ON) return rc;
    int sandbox_status = bench_sandbox(a.quick, a.out);
    int kv_status = bench_kv_run(&a, kv_dir);
    return sandbox_status ? sandbox_status : kv_status;
}

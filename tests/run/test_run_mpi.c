/*
 * `siren run` under mpirun with real ranks and sandboxes: the same job on 1, 2 and 3 ranks
 * (and a LeNet-5 job on 1 and 4) gives byte-identical summary.json and epochs.csv, its held-out loss decreases, and a job
 * whose functions run out of memory finishes with the failure recorded, not a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "testutil.h"
#include "run_test.h"
#include "trace.h"

/* Runs a small lr-synthetic job on `ranks` ranks into dir/name; returns the exit status. */
static int run_job(int ranks, const char *name, const char *extra)
{
    char *args = NULL;
    assert_true(asprintf(&args, "--workload lr-synthetic --rows 6000 --hash-bits 14 --batch 200 "
                                "--max-epochs 3 %s", extra) > 0);
    int rc = run_siren(ranks, name, args);
    free(args);
    return rc;
}

/* A top-level integer of dir/name/summary.json, parsed; the test fails when it is missing or
 * not an integer. */
static long long summary_int(const char *name, const char *key)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s/summary.json", dir, name) > 0);
    cJSON *sum;
    struct err e;
    long long v = 0;
    if (json_load_file(path, &sum, &e) || json_get_int(sum, key, path, &v, &e))
        fail_msg("%s", e.msg);
    cJSON_Delete(sum);
    free(path);
    return v;
}

static void test_run_is_identical_on_1_2_and_3_ranks_and_learns(void **state)
{
    (void)state;
    const char *job = "--scheduler static:n=3,m=1024";
    assert_int_equal(run_job(1, "r1", job), 0);
    assert_int_equal(run_job(2, "r2", job), 0);
    assert_int_equal(run_job(3, "r3", job), 0);
    char *s1 = slurp("r1", "summary.json"), *s2 = slurp("r2", "summary.json"),
         *s3 = slurp("r3", "summary.json");
    char *e1 = slurp("r1", "epochs.csv"), *e2 = slurp("r2", "epochs.csv"),
         *e3 = slurp("r3", "epochs.csv");
    assert_string_equal(s1, s2);
    assert_string_equal(s1, s3);
    assert_string_equal(e1, e2);
    assert_string_equal(e1, e3);
    /* The held-out loss (column 11) falls every epoch. */
    double loss[3];
    char *line = strchr(e1, '\n') + 1;
    for (int i = 0; i < 3; i++) {
        char *p = line;
        for (int c = 0; c < 10; c++) p = strchr(p, ',') + 1;
        loss[i] = strtod(p, NULL);
        line = strchr(line, '\n') + 1;
    }
    assert_true(loss[1] < loss[0]);
    assert_true(loss[2] < loss[1]);
    assert_int_equal(summary_int("r1", "failed_invocations"), 0);
    assert_int_equal(summary_int("r1", "invocations"), 9);
    free(s1), free(s2), free(s3), free(e1), free(e2), free(e3);
}

/* wall.json: rank 0's real seconds per phase, each non-negative, the parts inside their
 * whole (load and staging inside opening, evaluation inside the epochs), and the phases
 * together no more than the total the process measured. */
static void test_run_records_its_wall_time_per_phase(void **state)
{
    (void)state;
    char *path = NULL;
    assert_true(asprintf(&path, "%s/r2/wall.json", dir) > 0);
    cJSON *w;
    struct err e;
    if (json_load_file(path, &w, &e)) fail_msg("%s", e.msg);
    double mpi_init, open, load, stage, epochs, evaluate, finish, close, total;
    const struct json_number_field f[] = {
        {"mpi_init_s", &mpi_init}, {"open_s", &open},         {"load_s", &load},
        {"stage_s", &stage},       {"epochs_s", &epochs},     {"evaluate_s", &evaluate},
        {"finish_s", &finish},     {"close_s", &close},       {"total_s", &total},
    };
    if (json_get_numbers(w, path, f, sizeof f / sizeof *f, &e)) fail_msg("%s", e.msg);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (!(*f[i].out >= 0)) fail_msg("%s: %s = %g", path, f[i].key, *f[i].out);
    assert_true(load + stage <= open);
    assert_true(evaluate > 0 && evaluate <= epochs); /* three epochs evaluated */
    assert_true(mpi_init + open + epochs + finish + close <= total);
    cJSON_Delete(w);
    free(path);
}

/* BSP (rounds averaged by the leader) and SSP (bounded staleness) are just as deterministic,
 * and BSP never reads a stale version. */
static void test_bsp_and_ssp_runs_are_identical_across_rank_counts(void **state)
{
    (void)state;
    const char *modes[] = {"--sync bsp", "--sync ssp:1"};
    for (int m = 0; m < 2; m++) {
        char job[128], a[16], b[16];
        snprintf(job, sizeof job, "--scheduler static:n=3,m=1024 %s --max-epochs 2", modes[m]);
        snprintf(a, sizeof a, "s%d_1", m);
        snprintf(b, sizeof b, "s%d_3", m);
        assert_int_equal(run_job(1, a, job), 0);
        assert_int_equal(run_job(3, b, job), 0);
        char *ea = slurp(a, "epochs.csv"), *eb = slurp(b, "epochs.csv");
        assert_string_equal(ea, eb);
        if (m == 0) {
            /* stale_reads, the last column, is 0 on every epoch row. */
            for (char *line = strchr(ea, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
                char *end = strchr(line, '\n');
                char *last = end;
                while (last > line && last[-1] != ',') last--;
                assert_int_equal(strtol(last, NULL, 10), 0);
            }
        }
        free(ea);
        free(eb);
    }
}

/* A model whose evaluation runs sgemm (LeNet-5 on Fashion-MNIST): the same bits on 1 rank
 * (bound to one core by mpirun) and on 4 (unbound, so a rank sees every CPU), as rank 0's
 * evaluation must not take as many OpenBLAS threads as it sees. */
static void test_lenet_run_is_identical_on_1_and_4_ranks(void **state)
{
    (void)state;
    const char *job = "--workload lenet-fashion --scheduler static:n=8,m=1792 --batch 256 "
                      "--eval-rows 2000 --max-epochs 1";
    assert_int_equal(run_siren(1, "lenet1", job), 0);
    assert_int_equal(run_siren(4, "lenet4", job), 0);
    char *s1 = slurp("lenet1", "summary.json"), *s4 = slurp("lenet4", "summary.json");
    char *e1 = slurp("lenet1", "epochs.csv"), *e4 = slurp("lenet4", "epochs.csv");
    assert_string_equal(s1, s4);
    assert_string_equal(e1, e4);
    free(s1), free(s4), free(e1), free(e4);
}

static void test_run_with_functions_out_of_memory_records_the_failure(void **state)
{
    (void)state;
    /* 2^24 weights: 64 MB of parameters alone, which a 128 MB function cannot hold. */
    assert_int_equal(run_job(2, "oom", "--scheduler static:n=2,m=128 --hash-bits 24 "
                                       "--max-epochs 1 --rows 2000 --batch 500"),
                     0);
    char *s = slurp("oom", "summary.json");
    assert_int_equal(summary_int("oom", "failed_invocations"), 2);
    char *path = NULL;
    assert_true(asprintf(&path, "%s/oom/trace.h5", dir) > 0);
    struct trace t;
    struct err e;
    if (trace_read_h5(path, &t, &e)) fail_msg("%s", e.msg);
    assert_int_equal(t.n_inv, 2);
    for (size_t i = 0; i < t.n_inv; i++) {
        assert_int_equal(t.inv[i].status, TRACE_FAILED);
        assert_string_equal(t.inv[i].error,
                            "Runtime.ExitError: Runtime exited with error: signal: killed");
    }
    trace_free(&t);
    free(path);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_is_identical_on_1_2_and_3_ranks_and_learns),
        cmocka_unit_test(test_run_records_its_wall_time_per_phase),
        cmocka_unit_test(test_bsp_and_ssp_runs_are_identical_across_rank_counts),
        cmocka_unit_test(test_lenet_run_is_identical_on_1_and_4_ranks),
        cmocka_unit_test(test_run_with_functions_out_of_memory_records_the_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

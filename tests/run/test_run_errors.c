/*
 * The errors a new user meets first, from a singleton `siren run` (no mpirun, as one tries a
 * command): a misspelt workload is named with the known ones before anything else is asked
 * for, and an error found after MPI has started is siren's message alone, without OpenMPI's
 * MPI_ABORT notice after it, and exit status 1.
 */
#include "run_test.h"

#include <string.h>
#include <sys/wait.h>

static void test_an_unknown_workload_is_named_with_the_known_ones(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_one("run", "--workload nope", &out), 2); /* no --scheduler yet */
    if (!strstr(out, "unknown workload 'nope'") || !strstr(out, "lenet-fashion") ||
        !strstr(out, "lr-synthetic") || strstr(out, "--scheduler is required"))
        fail_msg("%s", out);
    free(out);
}

static void test_an_error_after_mpi_start_is_sirens_message_alone(void **state)
{
    (void)state;
    char *out, *args = NULL;
    assert_true(asprintf(&args, "--workload lr-synthetic --rows 2000 --scheduler "
                                "static:n=2,m=1024 --max-epochs 1 --quiet --out %s/alone "
                                "--calibration %s/missing.json",
                         dir, dir) > 0);
    assert_int_equal(run_one("run", args, &out), 1);
    if (!strstr(out, "missing.json") || strstr(out, "MPI_ABORT") || strstr(out, "-----"))
        fail_msg("%s", out);
    free(out);
    free(args);
}

/* More functions than the account's concurrency limit: refused naming the limit and the option
 * that raises it; with the limit raised, the same job runs. */
static void test_the_concurrency_limit_is_named_and_can_be_raised(void **state)
{
    (void)state;
    char *out, *args = NULL;
    assert_true(asprintf(&args, "--workload lr-synthetic --rows 120000 --batch 100 --hash-bits 8 "
                                "--scheduler static:n=1100,m=128 --max-epochs 1 --quiet "
                                "--out %s/wide",
                         dir) > 0);
    assert_int_equal(run_one("run", args, &out), 1);
    if (!strstr(out, "1100 functions: expected 1..1000") || !strstr(out, "--concurrency"))
        fail_msg("%s", out);
    free(out);
    free(args);
    assert_true(asprintf(&args, "--workload lr-synthetic --rows 120000 --batch 100 --hash-bits 8 "
                                "--scheduler static:n=1100,m=128 --max-epochs 1 --quiet "
                                "--concurrency 1100 --out %s/wide-raised",
                         dir) > 0);
    assert_int_equal(run_one("run", args, &out), 0);
    free(out);
    free(args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_unknown_workload_is_named_with_the_known_ones),
        cmocka_unit_test(test_an_error_after_mpi_start_is_sirens_message_alone),
        cmocka_unit_test(test_the_concurrency_limit_is_named_and_can_be_raised),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * `siren ps` under mpirun with real ranks: tiny dist_sync and dist_async jobs run and learn;
 * dist_sync with one worker is `siren train` step for step (same seed, batch and learning
 * rate: held-out loss and accuracy after 2 epochs agree within 1e-5); the virtual clock gives
 * byte-identical outputs on two runs; bad options and a wrong rank count are usage errors.
 * A calibration fixture is written into the test directory, so results do not depend on the
 * committed calibration files.
 */
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "../run/run_test.h"

/* The job every test runs: lr-synthetic, small enough for a few seconds. */
#define PS_JOB "--workload lr-synthetic --rows 6000 --hash-bits 14 --batch 200 --seed 3"

/* run_test.h's fixture, and a calibration file in it. */
static int ps_setup(void **state)
{
    if (setup(state)) return -1;
    const char *cal = "{\"workloads\": {"
                      "\"lr-synthetic\": {\"batch\": 200, \"s_per_sample\": 1e-6, \"min\": 1e-6,"
                      " \"max\": 1e-6, \"reps\": 1},"
                      "\"lr-synthetic@2t\": {\"batch\": 200, \"s_per_sample\": 6e-7, \"min\": 6e-7,"
                      " \"max\": 6e-7, \"reps\": 1}}}";
    char *path = tu_path(dir, "cal.json");
    int rc = tu_write_file(path, cal, strlen(cal));
    free(path);
    return rc;
}

/* Runs `mpirun -n ranks siren ps PS_JOB extra --out dir/name`; returns the exit status. */
static int run_ps(int ranks, const char *name, const char *extra)
{
    char *cmd = NULL;
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    assert_true(asprintf(&cmd,
                         "mpirun -n %d --oversubscribe %s ps " PS_JOB " --calibration %s/cal.json "
                         "--quiet %s --out %s/%s >%s/%s.log 2>&1",
                         ranks, bin, dir, extra, dir, name, dir, name) > 0);
    int rc = system(cmd);
    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Column col (from 0) of data row `row` (from 0) of an epochs.csv text. */
static double csv_cell(const char *csv, int row, int col)
{
    const char *p = strchr(csv, '\n') + 1;
    for (int r = 0; r < row; r++) p = strchr(p, '\n') + 1;
    for (int c = 0; c < col; c++) p = strchr(p, ',') + 1;
    return strtod(p, NULL);
}

static void test_ps_sync_one_worker_matches_siren_train(void **state)
{
    (void)state;
    assert_int_equal(run_ps(3, "one", "--instance-type m4.large --instances 1 --mode sync "
                                      "--max-epochs 2 --target-loss 0.01"),
                     0);
    char *csv = slurp("one", "epochs.csv");
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "%s train " PS_JOB " --epochs 2 --json >%s/train.json 2>/dev/null",
                         getenv("SIREN_BIN"), dir) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char *path = tu_path(dir, "train.json"), *text = NULL;
    size_t len;
    struct err e;
    cJSON *j = NULL;
    double loss, acc, train_loss;
    if (fs_read_all(path, &text, &len, &e) || json_parse(text, len, "train.json", &j, &e) ||
        json_get_number(j, "test_loss", "train", &loss, &e) ||
        json_get_number(j, "test_accuracy", "train", &acc, &e) ||
        json_get_number(j, "train_loss", "train", &train_loss, &e))
        fail_msg("%s", e.msg);
    /* Columns: 9 train_loss, 10 test_loss, 11 test_accuracy; row 1 = epoch 2. */
    assert_true(fabs(csv_cell(csv, 1, 10) - loss) < 1e-5);
    assert_true(fabs(csv_cell(csv, 1, 11) - acc) < 1e-5);
    assert_true(fabs(csv_cell(csv, 1, 9) - train_loss) < 1e-5);
    cJSON_Delete(j);
    free(text);
    free(path);
    free(csv);
}

static void test_ps_tiny_sync_and_async_jobs_run_and_learn(void **state)
{
    (void)state;
    const char *modes[] = {"sync", "async"};
    for (int i = 0; i < 2; i++) {
        char extra[160];
        snprintf(extra, sizeof extra, "--instance-type m4.large --instances 2 --mode %s "
                 "--max-epochs 3 --target-loss 0.01", modes[i]);
        assert_int_equal(run_ps(5, modes[i], extra), 0);
        char *csv = slurp(modes[i], "epochs.csv"), *sum = slurp(modes[i], "summary.json");
        assert_true(csv_cell(csv, 1, 10) < csv_cell(csv, 0, 10));
        assert_true(csv_cell(csv, 2, 10) < csv_cell(csv, 1, 10));
        char want[64];
        snprintf(want, sizeof want, "\"ps:%s:m4.large x 2\"", modes[i]);
        assert_non_null(strstr(sum, want));
        assert_non_null(strstr(sum, "\"epochs\":\t3"));
        /* Three epochs of milliseconds bill the 60 s minimum of two m4.large at $0.10/h. */
        assert_non_null(strstr(sum, "\"cost_usd\":\t0.0033333333333333"));
        free(csv);
        free(sum);
    }
}

static void test_ps_virtual_clock_gives_identical_outputs(void **state)
{
    (void)state;
    const char *job = "--instance-type m4.xlarge --instances 2 --servers 1 --mode async "
                      "--max-epochs 2 --target-loss 0.01";
    assert_int_equal(run_ps(4, "v1", job), 0);
    assert_int_equal(run_ps(4, "v2", job), 0);
    const char *files[] = {"summary.json", "epochs.csv"};
    for (int i = 0; i < 2; i++) {
        char *a = slurp("v1", files[i]), *b = slurp("v2", files[i]);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

static void test_ps_bad_options_are_usage_errors(void **state)
{
    (void)state;
    /* One instance and one server need 3 ranks. */
    assert_int_equal(run_ps(2, "ranks", "--instance-type m4.large --instances 1"), 2);
    char *log = slurp("", "ranks.log");
    assert_non_null(strstr(log, "need mpirun -n 3"));
    free(log);
    assert_int_equal(run_ps(3, "type", "--instance-type m9.huge --instances 1"), 2);
    log = slurp("", "type.log");
    assert_non_null(strstr(log, "'m9.huge' is not in platform"));
    free(log);
    assert_int_equal(run_ps(3, "mode", "--instance-type m4.large --instances 1 --mode bsp"), 2);
    log = slurp("", "mode.log");
    assert_non_null(strstr(log, "--mode: expected sync or async"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_sync_one_worker_matches_siren_train),
        cmocka_unit_test(test_ps_tiny_sync_and_async_jobs_run_and_learn),
        cmocka_unit_test(test_ps_virtual_clock_gives_identical_outputs),
        cmocka_unit_test(test_ps_bad_options_are_usage_errors),
    };
    return cmocka_run_group_tests(tests, ps_setup, teardown);
}

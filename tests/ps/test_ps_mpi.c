/*
 * `siren ps` under mpirun with real ranks: tiny dist_sync and dist_async jobs run and learn;
 * dist_sync with one worker is `siren train` step for step (same seed, batch and learning
 * rate: held-out loss and accuracy after 2 epochs agree within 1e-5); the virtual clock gives
 * byte-identical outputs on two runs; bad options and a wrong rank count are usage errors.
 * Provisioning: boot and the data copy come before training and are billed from the launch,
 * with the 60 s minimum, and --provisioning off leaves the training itself unchanged. Workers
 * compute as fast as the calibration says all their vCPUs do, and a server's update takes the
 * calibrated time per parameter. With --data generate the workers make their rows as they
 * train: the job learns, the copy from S3 is billed as the staged split's, the trace folds each
 * worker's epoch into one pull and one push record, and a workload whose
 * rows are read is refused naming the option. Calibration fixtures are written into the test
 * directory, so results do not depend on the committed calibration files.
 */
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "../run/run_test.h"
#include "trace.h"

/* The job every test runs: lr-synthetic, small enough for a few seconds. */
#define PS_JOB "--workload lr-synthetic --rows 6000 --hash-bits 14 --batch 200 --seed 3"

/* Writes dir/name: lr-synthetic at 1e-6 s per sample on one thread, s_2t on two, and a server
 * update of step_s (optimiser step) and sum_s (weighted sum) per parameter. */
static int write_cal(const char *name, double s_2t, double step_s, double sum_s)
{
    char *cal = NULL;
    if (asprintf(&cal, "{\"workloads\": {"
                       "\"lr-synthetic\": {\"batch\": 200, \"s_per_sample\": 1e-6, \"reps\": 1},"
                       "\"lr-synthetic@2t\": {\"batch\": 200, \"s_per_sample\": %g, \"reps\": 1},"
                       "\"lr-synthetic@update\": {\"step_s_per_param\": %g, "
                       "\"sum_s_per_param\": %g, \"params\": 16385, \"reps\": 1}}}",
                 s_2t, step_s, sum_s) < 0)
        return -1;
    char *path = tu_path(dir, name);
    int rc = tu_write_file(path, cal, strlen(cal));
    free(path);
    free(cal);
    return rc;
}

/* The shipped lambda-2019 preset with instances that take 100 s to boot, as dir/slow-boot.json:
 * a job then outlasts the 60 s minimum. */
static int write_slow_boot_preset(void)
{
    char src[4096];
    struct err e;
    cJSON *root = NULL;
    if (core_source_path("emu/platforms/lambda-2019.json", src, sizeof src) ||
        json_load_file(src, &root, &e))
        return -1;
    cJSON *boot = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "vm"), "boot_to_ready_s");
    cJSON_ReplaceItemInObject(boot, "value", cJSON_CreateNumber(100));
    char *path = tu_path(dir, "slow-boot.json");
    int rc = json_write_file(path, root, &e);
    free(path);
    cJSON_Delete(root);
    return rc;
}

/* run_test.h's fixture, the calibration every run reads (cal.json) and a slow-boot preset. */
static int ps_setup(void **state)
{
    if (setup(state)) return -1;
    return write_cal("cal.json", 6e-7, 1e-8, 5e-9) || write_slow_boot_preset() ? -1 : 0;
}

/* Runs `mpirun -n ranks siren ps job --calibration dir/cal extra --out dir/name`; returns the
 * exit status. */
static int run_ps_job(int ranks, const char *name, const char *job, const char *cal,
                      const char *extra)
{
    char *cmd = NULL;
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    assert_true(asprintf(&cmd,
                         "mpirun -n %d --oversubscribe %s ps %s --calibration %s/%s "
                         "--quiet %s --out %s/%s >%s/%s.log 2>&1",
                         ranks, bin, job, dir, cal, extra, dir, name, dir, name) > 0);
    int rc = system(cmd);
    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Runs `mpirun -n ranks siren ps PS_JOB extra --out dir/name`; returns the exit status. */
static int run_ps(int ranks, const char *name, const char *extra)
{
    return run_ps_job(ranks, name, PS_JOB, "cal.json", extra);
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

/* A number of a summary.json text; fails the test when the key is missing. */
static double sum_num(const char *sum, const char *key)
{
    struct err e;
    cJSON *j = NULL;
    double v = NAN;
    if (json_parse(sum, strlen(sum), "summary.json", &j, &e) ||
        json_get_number(j, key, "summary.json", &v, &e))
        fail_msg("%s", e.msg);
    cJSON_Delete(j);
    return v;
}

/* |got - want| <= tol |want|, failing with the caller's line. */
static void assert_rel_at(double got, double want, double tol, int line)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("line %d: got %.17g, expected %.17g (relative %g)", line, got, want, tol);
}
#define assert_rel(got, want, tol) assert_rel_at(got, want, tol, __LINE__)

static void test_ps_provisioning_boots_copies_and_bills_from_launch(void **state)
{
    (void)state;
    char job[512];
    snprintf(job, sizeof job, "--platform %s/slow-boot.json --instances 2 --mode sync "
             "--max-epochs 2 --target-loss 0.01", dir);
    char on_large[600], off_large[600], on_xlarge[600];
    snprintf(on_large, sizeof on_large, "%s --instance-type m4.large", job);
    snprintf(off_large, sizeof off_large, "%s --instance-type m4.large --provisioning off", job);
    snprintf(on_xlarge, sizeof on_xlarge, "%s --instance-type m4.xlarge", job);
    assert_int_equal(run_ps(5, "on-large", on_large), 0);
    assert_int_equal(run_ps(5, "off-large", off_large), 0);
    assert_int_equal(run_ps(5, "on-xlarge", on_xlarge), 0);
    char *on = slurp("on-large", "summary.json"), *off = slurp("off-large", "summary.json");
    char *onx = slurp("on-xlarge", "summary.json");
    double boot = sum_num(on, "boot_s"), data = sum_num(on, "data_s");
    double train = sum_num(on, "train_s"), total = sum_num(on, "total_time_s");
    double bytes = sum_num(on, "data_bytes");
    /* The preset's boot, then the training split at m4.large's 53 MB/s after S3's 27 ms median GET. */
    assert_rel(boot, 100.0, 1e-12);
    assert_true(bytes > 6000.0 * 4); /* at least a label per training row */
    assert_rel(data, 0.027 + bytes / 53e6, 1e-12);
    assert_rel(total, boot + data + train, 1e-12);
    /* An m4.xlarge copies the same bytes at 87 MB/s. */
    assert_rel(sum_num(onx, "data_bytes"), bytes, 0);
    assert_rel(sum_num(onx, "data_s"), 0.027 + bytes / 87e6, 1e-12);
    /* Billed from the launch, past the minimum: two m4.large at $0.10/h for ceil(total) s. */
    assert_true(total > 100.0 && total < 110.0);
    assert_rel(sum_num(on, "cost_usd"), 2 * 0.10 * ceil(total) / 3600.0, 1e-12);
    /* Warm instances: no boot, no copy, the same training, the 60 s minimum. */
    assert_true(sum_num(off, "boot_s") == 0.0 && sum_num(off, "data_s") == 0.0);
    /* (train_s of a run that starts at t = 100 s holds some 1e-14 s of rounding.) */
    assert_rel(sum_num(off, "train_s"), train, 1e-9);
    assert_rel(sum_num(off, "total_time_s"), sum_num(off, "train_s"), 1e-12);
    assert_rel(sum_num(off, "cost_usd"), 2 * 0.10 * 60 / 3600.0, 1e-12);
    char *csv_on = slurp("on-large", "epochs.csv"), *csv_off = slurp("off-large", "epochs.csv");
    for (int row = 0; row < 2; row++)
        for (int col = 4; col <= 7; col++) /* time_s, fetch_s, compute_s, update_s: 6 decimals */
            assert_true(fabs(csv_cell(csv_off, row, col) - csv_cell(csv_on, row, col)) <= 2e-6);
    /* The first epoch's cost carries the boot and the copy. */
    assert_true(csv_cell(csv_on, 0, 8) > csv_cell(csv_off, 0, 8));
    free(csv_on);
    free(csv_off);
    free(on);
    free(off);
    free(onx);
}

/* Sum of epochs.csv's compute_s over the job's epochs. */
static double compute_s(const char *name, int epochs)
{
    char *csv = slurp(name, "epochs.csv");
    double sum = 0.0;
    for (int r = 0; r < epochs; r++) sum += csv_cell(csv, r, 6);
    free(csv);
    return sum;
}

static void test_ps_workers_compute_on_every_vcpu_as_calibrated(void **state)
{
    (void)state;
    assert_int_equal(write_cal("slow-2t.json", 1.25e-6, 1e-8, 5e-9), 0);
    const char *job = "--instances 1 --mode sync --max-epochs 2 --target-loss 0.01 "
                      "--provisioning off";
    char args[600];
    snprintf(args, sizeof args, "%s --instance-type m4.large --vcpus 1", job);
    assert_int_equal(run_ps(3, "one-thread", args), 0);
    snprintf(args, sizeof args, "%s --instance-type m4.large", job);
    assert_int_equal(run_ps(3, "two-vcpus", args), 0);
    snprintf(args, sizeof args, "%s --instance-type m4.xlarge", job);
    assert_int_equal(run_ps(3, "four-vcpus", args), 0);
    snprintf(args, sizeof args, "%s --instance-type m4.large --calibration %s/slow-2t.json", job,
             dir);
    assert_int_equal(run_ps(3, "two-vcpus-slower", args), 0);
    double one = compute_s("one-thread", 2);
    assert_true(one > 0);
    /* epochs.csv has 6 decimals of some 0.01 s: ratios hold to about 1e-3. Two vCPUs: 6e-7 s
     * per sample measured at two threads against 1e-6 at one. */
    assert_rel(one / compute_s("two-vcpus", 2), 1e-6 / 6e-7, 1e-3);
    /* Four vCPUs, measured up to two: Amdahl's law fitted to the two-thread speed-up 5/3
     * (parallel fraction 0.8) gives 1 / (0.2 + 0.8 / 4) = 2.5. */
    assert_rel(one / compute_s("four-vcpus", 2), 2.5, 1e-3);
    /* Where two threads are slower than one, an instance that uses both is slower too. */
    assert_rel(one / compute_s("two-vcpus-slower", 2), 1e-6 / 1.25e-6, 1e-3);
    char *sum = slurp("two-vcpus-slower", "summary.json");
    assert_rel(sum_num(sum, "speedup"), 0.8, 1e-12);
    free(sum);
}

static void test_ps_server_updates_take_calibrated_time(void **state)
{
    (void)state;
    /* One worker and one server on the same instance: every pull waits for the update of the
     * round before it, so the updates add to the training time one after the other. */
    assert_int_equal(write_cal("upd0.json", 6e-7, 0, 0), 0);
    assert_int_equal(write_cal("upd1.json", 6e-7, 1e-6, 0), 0);
    assert_int_equal(write_cal("upd2.json", 6e-7, 2e-6, 0), 0);
    const char *names[] = {"upd0", "upd1", "upd2"};
    double train[3];
    for (int i = 0; i < 3; i++) {
        char args[600];
        snprintf(args, sizeof args, "--instance-type m4.large --instances 1 --mode sync "
                 "--max-epochs 2 --target-loss 0.01 --provisioning off --calibration %s/%s.json",
                 dir, names[i]);
        assert_int_equal(run_ps(3, names[i], args), 0);
        char *sum = slurp(names[i], "summary.json");
        train[i] = sum_num(sum, "train_s");
        free(sum);
    }
    double d1 = train[1] - train[0], d2 = train[2] - train[0];
    /* 6000 rows in batches of 200: 30 rounds an epoch, 60 updates; the job ends before the
     * last one is waited for. Each touches the bias and at most all 2^14 + 1 parameters. */
    assert_true(d1 >= 59 * 1e-6);
    assert_true(d1 <= 59 * 16385 * 1e-6);
    assert_rel(d2, 2 * d1, 1e-6);
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
    assert_int_equal(run_ps(3, "prov", "--instance-type m4.large --instances 1 "
                                       "--provisioning maybe"), 2);
    log = slurp("", "prov.log");
    assert_non_null(strstr(log, "--provisioning"));
    free(log);
}

static void test_ps_generated_rows_learn_and_bill_the_copy_as_staged(void **state)
{
    (void)state;
    const char *job = "--instance-type m4.large --instances 2 --mode sync --max-epochs 2 "
                      "--target-loss 0.01";
    char gen[300];
    snprintf(gen, sizeof gen, "%s --data generate", job);
    assert_int_equal(run_ps(5, "gen", gen), 0);
    assert_int_equal(run_ps(5, "gen-again", gen), 0);
    assert_int_equal(run_ps(5, "staged", job), 0);
    char *sg = slurp("gen", "summary.json"), *ss = slurp("staged", "summary.json");
    char *cg = slurp("gen", "epochs.csv"), *cs = slurp("staged", "epochs.csv");
    /* It learns: from ln 2 (zero-initialised logistic regression) down, epoch after epoch,
     * about as far as the staged rows take it. */
    assert_true(sum_num(sg, "epochs") == 2);
    double loss = sum_num(sg, "final_loss");
    assert_true(loss < log(2.0) - 0.02);
    assert_true(csv_cell(cg, 1, 10) < csv_cell(cg, 0, 10));
    assert_true(fabs(loss - sum_num(ss, "final_loss")) < 0.02);
    /* The copy is billed as the staged split's: one generated batch's bytes per row times the
     * rows (the staged batches' rows differ in their collisions only), at m4.large's 53 MB/s
     * after S3's 27 ms median GET; the rest of the bill follows. */
    double bytes = sum_num(sg, "data_bytes");
    assert_true(bytes > 6000.0 * 4);
    assert_rel(bytes, sum_num(ss, "data_bytes"), 1e-3);
    assert_rel(sum_num(sg, "data_s"), 0.027 + bytes / 53e6, 1e-12);
    assert_rel(sum_num(sg, "data_s"), sum_num(ss, "data_s"), 1e-3);
    assert_rel(sum_num(sg, "boot_s"), sum_num(ss, "boot_s"), 1e-12);
    assert_rel(sum_num(sg, "train_s"), sum_num(ss, "train_s"), 0.02);
    assert_rel(sum_num(sg, "cost_usd"), sum_num(ss, "cost_usd"), 1e-12);
    /* The trace holds one pull and one push record per worker and epoch, which together
     * stand for the epoch's 30 steps (6,000 rows in batches of 200). */
    char *path = tu_path(dir, "gen/trace.h5");
    struct trace tf;
    struct err e;
    trace_init(&tf);
    if (trace_read_h5(path, &tf, &e)) fail_msg("%s", e.msg);
    assert_int_equal(tf.n_ops, 2 * 2 * 2);
    for (int epoch = 1; epoch <= 2; epoch++) {
        int steps[2] = {0, 0}, records[2][2] = {{0, 0}, {0, 0}};
        for (size_t i = 0; i < tf.n_ops; i++) {
            const struct trace_kv_op *r = &tf.ops[i];
            if (r->epoch != epoch) continue;
            assert_true(r->fn >= 0 && r->fn < 2);
            assert_true(r->op == TRACE_PARAM_GET || r->op == TRACE_PARAM_PUT);
            int put = r->op == TRACE_PARAM_PUT;
            records[r->fn][put]++;
            steps[put] += r->requests;
            assert_true(r->bytes > 0 && r->v_end_s > r->v_start_s);
        }
        assert_int_equal(steps[0], 30);
        assert_int_equal(steps[1], 30);
        for (int k = 0; k < 2; k++) assert_true(records[k][0] == 1 && records[k][1] == 1);
    }
    trace_free(&tf);
    free(path);
    /* The virtual clock makes the same bits on every run. */
    const char *files[] = {"summary.json", "epochs.csv"};
    for (int i = 0; i < 2; i++) {
        char *a = slurp("gen", files[i]), *b = slurp("gen-again", files[i]);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    free(sg);
    free(ss);
    free(cg);
    free(cs);
}

static void test_ps_generated_rows_of_a_read_data_set_are_refused(void **state)
{
    (void)state;
    /* A calibration of lr-ctr, so that the job gets as far as opening its workload. */
    const char *cal = "{\"workloads\": {"
                      "\"lr-ctr\": {\"batch\": 64, \"s_per_sample\": 1e-6, \"reps\": 1},"
                      "\"lr-ctr@2t\": {\"batch\": 64, \"s_per_sample\": 6e-7, \"reps\": 1},"
                      "\"lr-ctr@update\": {\"step_s_per_param\": 1e-8, "
                      "\"sum_s_per_param\": 5e-9, \"params\": 16385, \"reps\": 1}}}";
    char *path = tu_path(dir, "cal-ctr.json");
    assert_int_equal(tu_write_file(path, cal, strlen(cal)), 0);
    free(path);
    /* A usage error (exit 2, every rank alike, no abort) that names the option. */
    assert_int_equal(run_ps_job(5, "gen-ctr", "--workload lr-ctr --data generate", "cal-ctr.json",
                                "--instance-type m4.large --instances 2"),
                     2);
    char *log = slurp("", "gen-ctr.log");
    assert_non_null(strstr(log, "--data generate"));
    assert_null(strstr(log, "MPI_ABORT"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_sync_one_worker_matches_siren_train),
        cmocka_unit_test(test_ps_tiny_sync_and_async_jobs_run_and_learn),
        cmocka_unit_test(test_ps_virtual_clock_gives_identical_outputs),
        cmocka_unit_test(test_ps_provisioning_boots_copies_and_bills_from_launch),
        cmocka_unit_test(test_ps_workers_compute_on_every_vcpu_as_calibrated),
        cmocka_unit_test(test_ps_server_updates_take_calibrated_time),
        cmocka_unit_test(test_ps_bad_options_are_usage_errors),
        cmocka_unit_test(test_ps_generated_rows_learn_and_bill_the_copy_as_staged),
        cmocka_unit_test(test_ps_generated_rows_of_a_read_data_set_are_refused),
    };
    return cmocka_run_group_tests(tests, ps_setup, teardown);
}

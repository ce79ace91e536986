/*
 * --data generate: lr-synthetic's functions make their batches' rows from the seed and their
 * row range instead of reading staged objects. Nothing of the training split is staged (the
 * store holds no data objects), the plan still times and bills each batch's GET (the virtual
 * times and costs of a staged run of the same job, within the batch-size measurement's
 * rounding), trace.h5 marks those GETs as generated, the result is the same on 1 and 3 ranks,
 * and the model learns as a staged run does; lr-criteo's rows too. A step rule, which reads
 * staged objects, is refused.
 */
#include "run_test.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

static const char *const job = "--workload lr-synthetic --rows 40000 --batch 500 --hash-bits 14 "
                               "--max-epochs 2 --target-loss 1e-9 --scheduler static:n=8,m=1024";

static void test_generated_rows_train_like_staged_ones_and_stage_nothing(void **state)
{
    (void)state;
    char args[512], kv[256];
    snprintf(kv, sizeof kv, "%s/gen-kv", dir);
    snprintf(args, sizeof args, "%s --data generate --kv file:%s", job, kv);
    assert_int_equal(run_siren(3, "gen3", args), 0);
    assert_int_equal(run_siren(1, "gen1", args), 0);
    assert_int_equal(run_siren(2, "staged", job), 0);
    /* The same on 1 and 3 ranks, byte for byte. */
    char *a = slurp("gen1", "epochs.csv"), *b = slurp("gen3", "epochs.csv");
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* Times (column 4) and costs (8) as the staged run's; test losses (10) as good. */
    double tg[2], ts[2], cg[2], cs[2], lg[2], ls[2];
    assert_int_equal(column("gen3", 4, tg, 2), 2);
    assert_int_equal(column("staged", 4, ts, 2), 2);
    assert_int_equal(column("gen3", 8, cg, 2), 2);
    assert_int_equal(column("staged", 8, cs, 2), 2);
    assert_int_equal(column("gen3", 10, lg, 2), 2);
    assert_int_equal(column("staged", 10, ls, 2), 2);
    for (int k = 0; k < 2; k++) {
        assert_true(fabs(tg[k] / ts[k] - 1) < 1e-3);
        assert_true(fabs(cg[k] / cs[k] - 1) < 1e-3);
        assert_true(fabs(lg[k] - ls[k]) < 0.01);
    }
    assert_true(lg[1] < lg[0]); /* it learns */
    /* No data object was staged: the store has no data/ prefix. */
    char *data_dir = NULL;
    assert_true(asprintf(&data_dir, "%s/data", kv) > 0);
    assert_true(access(data_dir, F_OK) != 0);
    free(data_dir);
    /* The trace marks the generated GETs, and has no staged ones. */
    char *path = NULL;
    assert_true(asprintf(&path, "%s/gen3/trace.h5", dir) > 0);
    struct trace tf;
    struct err e;
    trace_init(&tf);
    if (trace_read_h5(path, &tf, &e)) fail_msg("%s", e.msg);
    size_t gen = 0, staged = 0;
    for (size_t i = 0; i < tf.n_ops; i++) {
        gen += tf.ops[i].op == TRACE_DATA_GEN;
        staged += tf.ops[i].op == TRACE_DATA_GET;
    }
    assert_true(gen > 0);
    assert_int_equal(staged, 0);
    trace_free(&tf);
    free(path);
}

/* The simulator measures generated batches as the emulator does: the same epoch times and
 * costs (siren sim prints 3 decimals of time and 6 of cost). Its loss model is a stand-in
 * (lr-ctr's, renamed): only the times and costs are compared. */
static void test_the_simulator_times_generated_rows_as_the_emulator(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "%s --data generate", job);
    assert_int_equal(run_siren(2, "gen-sim", args), 0);
    const char *src = getenv("SIREN_SOURCE_DIR");
    assert_non_null(src);
    char *model_in = NULL, *model = NULL, *text = NULL, *cmd = NULL, *out = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&model_in, "%s/results/sched/models/lr-ctr.average.json", src) > 0);
    if (fs_read_all(model_in, &text, &len, &e)) fail_msg("%s", e.msg);
    char *at = strstr(text, "\"lr-ctr\"");
    assert_non_null(at);
    assert_true(asprintf(&model, "%s/lr-synthetic.average.json", dir) > 0);
    FILE *f = fopen(model, "w");
    assert_non_null(f);
    fprintf(f, "%.*s\"lr-synthetic\"%s", (int)(at - text), text, at + strlen("\"lr-ctr\""));
    fclose(f);
    assert_true(asprintf(&out, "%s/gen-sim.txt", dir) > 0);
    assert_true(asprintf(&cmd, "%s sim %s --data generate --loss-model %s >%s 2>&1",
                         getenv("SIREN_BIN"), job, model, out) > 0);
    assert_int_equal(system(cmd), 0);
    char *sim = NULL;
    if (fs_read_all(out, &sim, &len, &e)) fail_msg("%s", e.msg);
    double t[2], c[2];
    assert_int_equal(column("gen-sim", 4, t, 2), 2);
    assert_int_equal(column("gen-sim", 8, c, 2), 2);
    for (int k = 0; k < 2; k++) {
        char want[96];
        snprintf(want, sizeof want, "time %.3f s cost $%.6f", t[k], c[k]);
        if (!strstr(sim, want)) fail_msg("no '%s' in:\n%s", want, sim);
    }
    free(sim);
    free(out);
    free(cmd);
    free(model);
    free(text);
    free(model_in);
}

/* lr-criteo's rows (Criteo's schema) go through the same path: generated where they are
 * trained, timed and billed as the staged run of the same job, and learnt: after two epochs
 * the held-out log loss is below 0.5688, the best a model that only knows the click rate
 * (0.2562) can do. */
static void test_criteo_schema_rows_are_generated_timed_and_learnt(void **state)
{
    (void)state;
    const char *cj = "--workload lr-criteo --rows 40000 --batch 500 --hash-bits 16 "
                     "--max-epochs 2 --target-loss 1e-9 --scheduler static:n=8,m=1024";
    char args[512];
    snprintf(args, sizeof args, "%s --data generate", cj);
    assert_int_equal(run_siren(2, "criteo-gen", args), 0);
    assert_int_equal(run_siren(1, "criteo-staged", cj), 0);
    double tg[2], ts[2], lg[2], ls[2];
    assert_int_equal(column("criteo-gen", 4, tg, 2), 2);
    assert_int_equal(column("criteo-staged", 4, ts, 2), 2);
    assert_int_equal(column("criteo-gen", 10, lg, 2), 2);
    assert_int_equal(column("criteo-staged", 10, ls, 2), 2);
    for (int k = 0; k < 2; k++) {
        assert_true(fabs(tg[k] / ts[k] - 1) < 1e-3);
        assert_true(fabs(lg[k] - ls[k]) < 0.01);
    }
    assert_true(lg[1] < lg[0]);
    assert_true(lg[1] < 0.5688);
}

static void test_a_step_rule_with_generated_rows_is_refused(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "%s --data generate --update overwrite", job);
    assert_int_not_equal(run_siren(2, "step", args), 0);
    char *log = NULL, *text = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&log, "%s/step.log", dir) > 0);
    if (fs_read_all(log, &text, &len, &e)) fail_msg("%s", e.msg);
    if (!strstr(text, "--data generate needs a round rule")) fail_msg("%s", text);
    free(text);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_rows_train_like_staged_ones_and_stage_nothing),
        cmocka_unit_test(test_the_simulator_times_generated_rows_as_the_emulator),
        cmocka_unit_test(test_criteo_schema_rows_are_generated_timed_and_learnt),
        cmocka_unit_test(test_a_step_rule_with_generated_rows_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * The round rules under mpirun (real ranks, real sandboxes): every rule gives the same
 * summary.json and epochs.csv on 1, 2 and 3 ranks and learns; the wall clock gives the
 * virtual clock's losses for the same seed; the simulator's clock and bill for the same
 * schedule are the emulator's to the last printed digit; a swarm's epoch is shorter than one
 * function's; combinations the rules do not model are refused with a message.
 */
#include "run_test.h"

#include <stdio.h>
#include <string.h>

#define JOB "--workload lr-synthetic --rows 4000 --batch 100 --hash-bits 12 --max-epochs 3 "

static int run_rule(int ranks, const char *name, const char *rule, const char *extra)
{
    char args[512];
    snprintf(args, sizeof args, JOB "--scheduler static:n=4,m=1024 --update %s %s", rule, extra);
    return run_siren(ranks, name, args);
}

/* Column col (from 0) of every row of dir/name/epochs.csv into out; returns the rows. */
static int column(const char *name, int col, double *out, int max)
{
    char *csv = slurp(name, "epochs.csv");
    int n = 0;
    for (char *line = strchr(csv, '\n'); line && line[1] && n < max; n++) {
        char *p = line + 1;
        for (int c = 0; c < col; c++) p = strchr(p, ',') + 1;
        out[n] = strtod(p, NULL);
        line = strchr(line + 1, '\n');
    }
    free(csv);
    return n;
}

static void test_every_round_rule_is_identical_on_1_2_and_3_ranks_and_learns(void **state)
{
    (void)state;
    static const char *const rules[] = {"average", "average:5", "allreduce", "scatter-reduce:2",
                                        "allgather"};
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        char names[3][64];
        for (int r = 0; r < 3; r++) {
            snprintf(names[r], sizeof names[r], "rule%zu-n%d", i, r + 1);
            if (run_rule(r + 1, names[r], rules[i], "") != 0)
                fail_msg("%s on %d ranks failed (see %s/%s.log)", rules[i], r + 1, dir, names[r]);
        }
        char *s1 = slurp(names[0], "summary.json"), *e1 = slurp(names[0], "epochs.csv");
        for (int r = 1; r < 3; r++) {
            char *s = slurp(names[r], "summary.json"), *c = slurp(names[r], "epochs.csv");
            assert_string_equal(s1, s);
            assert_string_equal(e1, c);
            free(s);
            free(c);
        }
        cJSON *sum;
        const char *update;
        struct err e;
        assert_int_equal(json_parse(s1, strlen(s1), "summary.json", &sum, &e), SIREN_OK);
        assert_int_equal(json_get_string(sum, "update", "summary.json", &update, &e), SIREN_OK);
        assert_string_equal(update, rules[i]);
        cJSON_Delete(sum);
        double loss[3];
        assert_int_equal(column(names[0], 10, loss, 3), 3);
        print_message("%-16s test loss %.4f %.4f %.4f\n", rules[i], loss[0], loss[1], loss[2]);
        assert_true(loss[2] < loss[0]);
        free(s1);
        free(e1);
    }
}

static void test_wall_clock_gives_the_virtual_clocks_losses(void **state)
{
    (void)state;
    assert_int_equal(run_rule(2, "virt", "average", ""), 0);
    assert_int_equal(run_rule(2, "wall", "average", "--clock wall"), 0);
    double v[3], w[3];
    assert_int_equal(column("virt", 10, v, 3), 3);
    assert_int_equal(column("wall", 10, w, 3), 3);
    for (int k = 0; k < 3; k++) assert_true(v[k] == w[k]);
}

static void test_simulator_clock_and_bill_are_the_emulators(void **state)
{
    (void)state;
    const char *bin = getenv("SIREN_BIN");
    assert_int_equal(run_rule(1, "emu-a", "allreduce:2", ""), 0);
    assert_int_equal(run_rule(1, "emu-b", "allreduce:2", "--scheduler static:n=2,m=512"), 0);
    /* A loss model of the rule, fitted to the two runs, lets the simulator open; its clock and
     * bill do not depend on it. */
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "%s sim fit --form parallel --out %s/m.json %s/emu-a %s/emu-b "
                               ">%s/fit.log 2>&1",
                         bin, dir, dir, dir, dir) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_true(asprintf(&cmd, "%s sim " JOB "--scheduler static:n=4,m=1024 --update allreduce:2 "
                               "--loss-model %s/m.json --target-loss 0.01 >%s/sim.txt 2>&1",
                         bin, dir, dir) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    double t[3], c[3];
    assert_int_equal(column("emu-a", 4, t, 3), 3);
    assert_int_equal(column("emu-a", 8, c, 3), 3);
    char *text = NULL;
    size_t len;
    struct err e;
    char *path = tu_path(dir, "sim.txt");
    if (fs_read_all(path, &text, &len, &e)) fail_msg("%s", e.msg);
    for (int k = 0; k < 3; k++) {
        char want[128];
        /* siren sim prints 3 decimals of time and 6 of cost: the emulator's, rounded alike. */
        snprintf(want, sizeof want, "epoch %d: n=4 m=1024 ", k + 1);
        char *at = strstr(text, want);
        assert_non_null(at);
        double ts, cs;
        assert_int_equal(sscanf(strstr(at, "time ") + 5, "%lf", &ts), 1);
        assert_int_equal(sscanf(strstr(at, "cost $") + 6, "%lf", &cs), 1);
        char a[32], b[32];
        snprintf(a, sizeof a, "%.3f", t[k]);
        snprintf(b, sizeof b, "%.3f", ts);
        assert_string_equal(a, b);
        snprintf(a, sizeof a, "%.6f", c[k]);
        snprintf(b, sizeof b, "%.6f", cs);
        assert_string_equal(a, b);
    }
    free(text);
    free(path);
}

static void test_a_swarm_epoch_is_shorter_than_one_functions(void **state)
{
    (void)state;
    /* LeNet-5 on Fashion-MNIST: compute, not latency, makes one function's epoch. */
    assert_int_equal(run_siren(2, "one", "--workload lenet-fashion --max-epochs 1 "
                                         "--scheduler static:n=1,m=1792"), 0);
    assert_int_equal(run_siren(2, "swarm", "--workload lenet-fashion --max-epochs 1 "
                                           "--scheduler static:n=16,m=1792"), 0);
    double one, swarm;
    assert_int_equal(column("one", 4, &one, 1), 1);
    assert_int_equal(column("swarm", 4, &swarm, 1), 1);
    print_message("epoch: 1 function %.3f s, 16 functions %.3f s\n", one, swarm);
    assert_true(swarm * 2 < one);
}

static void test_combinations_the_round_rules_do_not_model_are_refused(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"--update average --sync bsp", "runs inside HSP epochs"},
        {"--update allgather --sync asp", "runs inside HSP epochs"},
        {"--update average --faults crash=0.1", "not yet for --update average"},
        {"--update average:0", "average[:K]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu", i);
        assert_int_not_equal(run_rule(1, name, "average", bad[i][0]), 0);
        char *log = NULL;
        char *path = NULL;
        size_t len;
        struct err e;
        assert_true(asprintf(&path, "%s/%s.log", dir, name) > 0);
        if (fs_read_all(path, &log, &len, &e)) fail_msg("%s", e.msg);
        if (!strstr(log, bad[i][1])) fail_msg("'%s': no '%s' in: %s", bad[i][0], bad[i][1], log);
        free(log);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_round_rule_is_identical_on_1_2_and_3_ranks_and_learns),
        cmocka_unit_test(test_wall_clock_gives_the_virtual_clocks_losses),
        cmocka_unit_test(test_simulator_clock_and_bill_are_the_emulators),
        cmocka_unit_test(test_a_swarm_epoch_is_shorter_than_one_functions),
        cmocka_unit_test(test_combinations_the_round_rules_do_not_model_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

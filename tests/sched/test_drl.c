/*
 * The DRL agent: the policy gradient (REINFORCE and PPO), from a random network (cold start),
 * improves the return on a toy environment whose optimum is known (the oracle's), at each of
 * several seeds; the same seed gives the same policy bits; bad policy files and bad specs are
 * errors that name the file (and line) or the spec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "testutil.h"
#include "toy.h"

static struct sim *toy_sim(void)
{
    struct sim_config c;
    assert_int_equal(toy_config(&c, 600, 10, 0.02), 0);
    c.target_loss = 0.5;
    struct sim *s;
    struct err e;
    assert_int_equal(sim_open(&c, &s, &e), 0);
    return s;
}

/* REINFORCE with a value baseline as `siren sched train --algo reinforce` runs it. */
static struct sched_train_opts reinforce_opts(int episodes, uint64_t seed)
{
    struct sched_train_opts o;
    sched_train_opts_default(&o);
    o.algo = SCHED_TRAIN_REINFORCE;
    o.episodes = episodes;
    o.batch_episodes = 32;
    o.lr_policy = 1e-3;
    o.lr_value = 3e-3;
    o.seed = seed;
    o.starts = 1; /* the gradient itself, not the restarts */
    return o;
}

static double greedy_jct(struct sim *s, const char *path)
{
    char spec[1200];
    snprintf(spec, sizeof spec, "drl:%s", path);
    struct sched_policy *p;
    struct err e;
    assert_int_equal(sched_open(spec, &p, &e), 0);
    struct sim_result r;
    assert_int_equal(sim_run_policy(s, p, &r, &e), 0);
    sched_close(p);
    return r.reached_target && r.within_budget ? r.jct_s : (double)INFINITY;
}

/* The seeds every quality claim below is held to: a result that holds at one seed may be
 * that seed's luck. */
static const uint64_t quality_seeds[] = {1, 2, 3};
#define N_SEEDS (sizeof quality_seeds / sizeof *quality_seeds)

/* The oracle's JCT on s over the grid's actions of at most 16 functions: the reference the
 * trained policies are measured against. The toy's fastest schedules run 5 to 8 functions
 * (13.569 s: 8, 8, 8, 8, 7, 5 at 2,048 MB); the exact search over the whole grid of 60
 * functions takes minutes where this one takes seconds. */
static double oracle_jct(struct sim *s)
{
    struct sched_action *grid;
    int ng, k = 0;
    struct err e;
    assert_int_equal(sim_action_grid(s, &grid, &ng, &e), 0);
    for (int i = 0; i < ng; i++)
        if (grid[i].n <= 16) grid[k++] = grid[i];
    struct sim_result best;
    assert_int_equal(sim_oracle_search(s, grid, k, &best, NULL, &e), 0);
    free(grid);
    return best.jct_s;
}

/* Trains a policy with a few episodes (before) and one with the full budget (after) and
 * returns their greedy JCTs. */
static void train_before_after(struct sim *s, const struct sched_train_opts *before,
                               const struct sched_train_opts *after, double *j0, double *j1)
{
    char *dir = tu_mkdtemp();
    char *p0 = tu_path(dir, "p0.json"), *p1 = tu_path(dir, "p1.json");
    struct err e;
    assert_int_equal(sched_drl_train(s, before, p0, &e), 0);
    assert_int_equal(sched_drl_train(s, after, p1, &e), 0);
    *j0 = greedy_jct(s, p0);
    *j1 = greedy_jct(s, p1);
    tu_rm_rf(dir);
    free(p0);
    free(p1);
    free(dir);
}

/* REINFORCE from a random network improves on its untrained self and reaches the oracle's
 * neighbourhood, at every seed. */
static void test_drl_improves_return_toward_known_optimum(void **state)
{
    (void)state;
    struct sim *s = toy_sim();
    double oracle = oracle_jct(s), j0[N_SEEDS], j1[N_SEEDS];
    for (size_t k = 0; k < N_SEEDS; k++) {
        struct sched_train_opts before = reinforce_opts(32, quality_seeds[k]),
                                after = reinforce_opts(20000, quality_seeds[k]);
        before.cold_start = after.cold_start = 1;
        train_before_after(s, &before, &after, &j0[k], &j1[k]);
        print_message("seed %d: greedy JCT untrained %.3f s, trained %.3f s, oracle %.3f s\n",
                      (int)quality_seeds[k], j0[k], j1[k], oracle);
    }
    for (size_t k = 0; k < N_SEEDS; k++) {
        assert_true(isfinite(j1[k]));
        assert_true(j1[k] < j0[k]);
        assert_true(j1[k] <= oracle * 1.25);
    }
    sim_close(s);
}

/* PPO (the default of `siren sched train`) from a random network reaches the oracle's
 * neighbourhood on the toy job too: within 15 %, at every seed. Near the oracle's schedule lie
 * others a few per cent slower, and one start, its exploration annealed over the run, settles
 * in one of them by its seed more than by its budget: after 15,000 episodes seeds 1, 2 and 3
 * end 11.2, 0.2 and 0.9 % above the exact oracle (13.569 s; the bound was 10 % when the
 * oracle was a heuristic search, whose schedule was slower).
 * The restarts of sched train are the insurance against such a basin. */
static void test_ppo_improves_return_toward_known_optimum(void **state)
{
    (void)state;
    struct sim *s = toy_sim();
    double oracle = oracle_jct(s), j0[N_SEEDS], j1[N_SEEDS];
    for (size_t k = 0; k < N_SEEDS; k++) {
        struct sched_train_opts before, after;
        sched_train_opts_default(&before);
        before.episodes = 64;
        before.seed = quality_seeds[k];
        before.cold_start = 1;
        before.starts = 1; /* the gradient itself, not the restarts */
        after = before;
        after.episodes = 15000;
        assert_int_equal(after.algo, SCHED_TRAIN_PPO);
        train_before_after(s, &before, &after, &j0[k], &j1[k]);
        print_message("seed %d: PPO greedy JCT untrained %.3f s, trained %.3f s, oracle %.3f s\n",
                      (int)quality_seeds[k], j0[k], j1[k], oracle);
    }
    for (size_t k = 0; k < N_SEEDS; k++) {
        assert_true(isfinite(j1[k]));
        assert_true(j1[k] < j0[k]);
        assert_true(j1[k] <= oracle * 1.15);
    }
    sim_close(s);
}

/* Restarts: the first start of a run of k starts is the one-start run (same stream, same
 * episodes), and the best checkpoint is kept over all, so k starts never end worse than one;
 * the other starts are not copies of it. */
static void test_restarts_never_worse_than_one_start(void **state)
{
    (void)state;
    struct sim *s = toy_sim();
    for (size_t k = 0; k < N_SEEDS; k++) {
        struct sched_train_opts one;
        sched_train_opts_default(&one);
        one.episodes = 2000;
        one.seed = quality_seeds[k];
        one.starts = 1;
        struct sched_train_opts three = one;
        three.episodes = 3 * one.episodes;
        three.starts = 3;
        double j1, j3;
        train_before_after(s, &one, &three, &j1, &j3);
        print_message("seed %d: greedy JCT one start %.3f s, three starts %.3f s\n",
                      (int)quality_seeds[k], j1, j3);
        assert_true(isfinite(j1));
        assert_true(j3 <= j1);
    }
    sim_close(s);
}

static void test_drl_same_seed_same_bits(void **state)
{
    (void)state;
    struct sim *s = toy_sim();
    struct sched_train_opts o;
    sched_train_opts_default(&o);
    o.episodes = 2000;
    o.seed = 11;
    struct drl_policy a, b, c;
    struct err e;
    assert_int_equal(drl_train(s, &o, &a, &e), 0);
    assert_int_equal(drl_train(s, &o, &b, &e), 0);
    o.seed = 12;
    assert_int_equal(drl_train(s, &o, &c, &e), 0);
    assert_int_equal(a.net.n_params, b.net.n_params);
    assert_memory_equal(a.net.params, b.net.params, a.net.n_params * sizeof *a.net.params);
    assert_memory_not_equal(a.net.params, c.net.params, a.net.n_params * sizeof *a.net.params);
    /* And the file round-trips bit for bit. */
    char *dir = tu_mkdtemp(), *path = tu_path(dir, "p.json");
    assert_int_equal(drl_policy_save(path, &a, &e), 0);
    struct drl_policy d;
    assert_int_equal(drl_policy_load(path, &d, &e), 0);
    assert_memory_equal(a.net.params, d.net.params, a.net.n_params * sizeof *a.net.params);
    assert_memory_equal(&a.meta.epoch_time_ref_s, &d.meta.epoch_time_ref_s, sizeof(double));
    assert_memory_equal(&a.meta.loss0, &d.meta.loss0, sizeof(double));
    assert_memory_equal(&a.meta.budget_usd, &d.meta.budget_usd, sizeof(double));
    drl_policy_free(&a);
    drl_policy_free(&b);
    drl_policy_free(&c);
    drl_policy_free(&d);
    sim_close(s);
    tu_rm_rf(dir);
    free(path);
    free(dir);
}

/* sched_open(spec) fails with code (a malformed file or spec is SIREN_EFORMAT, a missing file
 * SIREN_ENOTFOUND), leaves no policy, and says what was wrong with which input (needle). */
static void expect_open_error(const char *spec, int code, const char *needle)
{
    struct sched_policy *p = (struct sched_policy *)1;
    struct err e;
    int rc = sched_open(spec, &p, &e);
    if (rc != code) {
        print_error("sched_open(%s): %s (%s), expected %s\n", spec, err_name(rc), e.msg,
                    err_name(code));
        fail();
    }
    assert_null(p);
    if (!strstr(e.msg, needle)) {
        print_error("'%s' does not contain '%s'\n", e.msg, needle);
        fail();
    }
}

static void test_bad_policy_files_and_specs_name_the_input(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *bad_json = tu_path(dir, "bad.json"), *bad_key = tu_path(dir, "key.json"),
         *bad_sched = tu_path(dir, "s.txt");
    const char *j = "{\n  \"format\": \"siren-drl-2\",\n  \"workload\": oops\n}\n";
    assert_int_equal(tu_write_file(bad_json, j, strlen(j)), 0);
    const char *k = "{\"format\": \"siren-drl-1\"}";
    assert_int_equal(tu_write_file(bad_key, k, strlen(k)), 0);
    const char *s = "4 1024\n# fine\n4 lots\n";
    assert_int_equal(tu_write_file(bad_sched, s, strlen(s)), 0);
    char spec[1200];
    snprintf(spec, sizeof spec, "drl:%s", bad_json);
    expect_open_error(spec, SIREN_EFORMAT, "bad.json");
    expect_open_error(spec, SIREN_EFORMAT, "line 3");
    snprintf(spec, sizeof spec, "drl:%s", bad_key);
    expect_open_error(spec, SIREN_EFORMAT, "siren-drl-2");
    snprintf(spec, sizeof spec, "drl:%s/missing.json", dir);
    expect_open_error(spec, SIREN_ENOTFOUND, "missing.json");
    snprintf(spec, sizeof spec, "schedule:%s", bad_sched);
    expect_open_error(spec, SIREN_EFORMAT, "s.txt line 3");
    expect_open_error("heuristic:n0=abc", SIREN_EFORMAT, "heuristic:n0=abc");
    expect_open_error("heuristic:decay=2", SIREN_EFORMAT, "decay");
    expect_open_error("static:n=0,m=1024", SIREN_EFORMAT, "static:n=0,m=1024");
    expect_open_error("sometimes", SIREN_EFORMAT, "sometimes");
    expect_open_error("grid", SIREN_EFORMAT, "schedule:FILE");
    tu_rm_rf(dir);
    free(bad_json);
    free(bad_key);
    free(bad_sched);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drl_improves_return_toward_known_optimum),
        cmocka_unit_test(test_ppo_improves_return_toward_known_optimum),
        cmocka_unit_test(test_restarts_never_worse_than_one_start),
        cmocka_unit_test(test_drl_same_seed_same_bits),
        cmocka_unit_test(test_bad_policy_files_and_specs_name_the_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

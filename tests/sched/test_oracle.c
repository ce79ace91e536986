/*
 * The oracle is the optimum of the objective every policy is scored on: on small simulated
 * jobs (the toy job, and jobs of each workload's size under its shipped loss model, with
 * variable latency and several budgets) it equals brute force over every schedule of a tiny
 * action set, and no policy that reaches the target within budget is faster than it: not
 * grid, not tuned heuristics, not any static action, not random schedules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_internal.h"
#include "toy.h"

/* Ratios below 1 - this are a policy beating the oracle. */
#define RATIO_TOL 1e-12

/* The jobs: the toy (step rule, discount form), and three of the workloads' sizes under their
 * shipped round-rule models (learning-rate decay included where the model has one). */
enum { JOB_TOY, JOB_LR_CTR, JOB_LENET, JOB_TEXTCNN, N_JOBS };

/* A simulator of job j with max_epochs and budget_usd; the target is set so that the fastest
 * schedule needs a few epochs. small: an action space small enough to enumerate (at most 6
 * functions, 3 memory sizes), so that the grid is the whole space. */
static struct sim *job_sim(int j, int max_epochs, double budget_usd, int small)
{
    static const struct {
        const char *workload;
        int batch, n_batches;
    } jobs[] = {{"toy", 10, 60}, {"lr-ctr", 16, 450}, {"lenet-fashion", 256, 235},
                {"textcnn-polarity", 50, 192}};
    struct sim_config c;
    struct err e;
    assert_int_equal(toy_config(&c, jobs[j].batch * jobs[j].n_batches, max_epochs, budget_usd), 0);
    c.job.batch = jobs[j].batch;
    c.job.n_batches = (size_t)jobs[j].n_batches;
    c.job.last_batch_rows = (uint32_t)jobs[j].batch;
    c.job.s_per_sample = 4e-3 / jobs[j].batch;
    if (j != JOB_TOY) {
        char path[1200];
        assert_int_equal(sim_loss_model_default_path(jobs[j].workload, "average", path,
                                                     sizeof path), 0);
        if (sim_loss_model_load(path, &c.loss, &e)) fail_msg("%s", e.msg);
        snprintf(c.job.workload, sizeof c.job.workload, "%s", jobs[j].workload);
        c.update = PLAN_UPDATE_AVERAGE;
    }
    if (small) {
        c.platform.concurrency_limit = 6;
        c.platform.memory_mb_max = c.platform.memory_mb_min + 2 * c.platform.memory_mb_step;
    }
    /* Two and a half epochs of the most progress an epoch can make: the fastest schedule
     * needs three or more. */
    double most = 0;
    for (int n = 1; n <= 64; n++) {
        double p = sim_loss_effective(&c.loss, c.job.n_batches, c.job.batch, n, 1);
        if (p > most) most = p;
    }
    c.target_loss = sim_loss_at(&c.loss, 2.5 * most);
    struct sim *s;
    if (sim_open(&c, &s, &e)) fail_msg("%s", e.msg);
    return s;
}

/* 1 and the JCT when r reaches the target within budget. */
static int good(const struct sim_result *r, double *jct)
{
    *jct = r->jct_s;
    return r->reached_target && r->within_budget;
}

/* The fastest of every sequence of max_epochs actions of acts (shorter schedules are their
 * prefixes: the episode stops at the target), INFINITY when none reaches the target within
 * budget. */
static double brute_force(struct sim *s, const struct sched_action *acts, int na, int T)
{
    double best = INFINITY;
    int idx[SIM_MAX_EPOCHS] = {0};
    for (;;) {
        struct sched_action seq[SIM_MAX_EPOCHS];
        for (int i = 0; i < T; i++) seq[i] = acts[idx[i]];
        struct sim_result r;
        struct err e;
        double jct;
        assert_int_equal(sim_run_actions(s, seq, T, &r, &e), 0);
        if (good(&r, &jct) && jct < best) best = jct;
        int k = 0;
        while (k < T && ++idx[k] == na) idx[k++] = 0;
        if (k == T) break;
    }
    return best;
}

/* The oracle over acts, asserting that the search's premises held. */
static void oracle(struct sim *s, const struct sched_action *acts, int na, struct sim_result *r)
{
    struct sim_oracle_stats st;
    struct err e;
    if (sim_oracle_search(s, acts, na, r, &st, &e)) fail_msg("%s", e.msg);
    assert_int_equal(st.bound_violations, 0);
}

static void check_brute_force(int j, double budget_usd, const struct sched_action *acts, int na,
                              int T)
{
    struct sim *s = job_sim(j, T, budget_usd, 0);
    double bf = brute_force(s, acts, na, T), jct;
    struct sim_result r;
    oracle(s, acts, na, &r);
    if (!isfinite(bf)) {
        assert_false(good(&r, &jct));
    } else {
        assert_true(good(&r, &jct));
        if (fabs(jct - bf) > 1e-12 * bf) {
            print_message("job %d budget %g: oracle %.12f (%d epochs:", j, budget_usd, jct,
                          r.epochs);
            for (int i = 0; i < r.epochs; i++)
                print_message(" %d/%d", r.actions[i].n, r.actions[i].memory_mb);
            print_message("), brute force %.12f\n", bf);
        }
        assert_true(fabs(jct - bf) <= 1e-12 * bf);
    }
    sim_close(s);
}

/* The unconstrained optimum's cost, for budgets that bind. */
static double free_cost(int j, const struct sched_action *acts, int na, int T)
{
    struct sim *s = job_sim(j, T, 0, 0);
    struct sim_result r;
    oracle(s, acts, na, &r);
    assert_true(r.reached_target);
    sim_close(s);
    return r.cost_usd;
}

static void test_oracle_equals_brute_force_on_tiny_action_sets(void **state)
{
    (void)state;
    /* Few and many functions, two memory sizes: warm and cold epochs, cheap and fast ones. */
    static const struct sched_action acts[] = {{1, 1024}, {4, 1024}, {12, 1024}, {4, 3008},
                                               {2, 512}};
    const int na = 5, T = 4;
    for (int j = 0; j < N_JOBS; j++) {
        double c = free_cost(j, acts, na, T);
        check_brute_force(j, 0, acts, na, T);
        check_brute_force(j, 1.0, acts, na, T);
        /* Budgets under the fastest schedule's cost: the budget binds, and at the smallest
         * perhaps nothing fits. */
        check_brute_force(j, c * 0.999, acts, na, T);
        check_brute_force(j, c * 0.7, acts, na, T);
        check_brute_force(j, c * 0.4, acts, na, T);
    }
}

/* Every policy's JCT over the oracle's, for those that reach the target within budget. */
static void assert_not_better(const struct sim_result *r, double oracle_jct, const char *what)
{
    double jct;
    if (!good(r, &jct)) return;
    if (jct / oracle_jct < 1 - RATIO_TOL)
        fail_msg("%s: JCT %.12f s, under the oracle's %.12f s", what, jct, oracle_jct);
}

static void run_spec(struct sim *s, const char *spec, double oracle_jct)
{
    struct sched_policy *p;
    struct sim_result r;
    struct err e;
    assert_int_equal(sched_open(spec, &p, &e), 0);
    assert_int_equal(sim_run_policy(s, p, &r, &e), 0);
    sched_close(p);
    assert_not_better(&r, oracle_jct, spec);
}

static void check_policies(int j, double budget_usd)
{
    const int T = 5;
    struct sim *s = job_sim(j, T, budget_usd, 1);
    struct sched_action *grid;
    int ng;
    struct err e;
    assert_int_equal(sim_action_grid(s, &grid, &ng, &e), 0);
    /* The grid is the whole action space here: every n, every memory size. */
    assert_int_equal(ng, sim_max_functions(s) * 3);
    struct sim_result o, r;
    oracle(s, grid, ng, &o);
    double ojct;
    if (!good(&o, &ojct)) {
        /* Nothing reaches the target within budget: neither does any policy. */
        assert_int_equal(sim_grid_search(s, &r, &e), 0);
        assert_false(good(&r, &ojct));
        sim_close(s);
        free(grid);
        return;
    }
    assert_int_equal(sim_grid_search(s, &r, &e), 0);
    assert_not_better(&r, ojct, "grid");
    for (int i = 0; i < ng; i++) {
        assert_int_equal(sim_run_actions(s, &grid[i], 1, &r, &e), 0);
        assert_not_better(&r, ojct, "a static action");
    }
    static const double decays[] = {0.25, 0.5, 0.75};
    for (int n0 = 2; n0 <= 8; n0 *= 2)
        for (int n1 = 1; n1 < n0; n1 *= 2)
            for (int d = 0; d < 3; d++)
                for (int m = 128; m <= 3008; m += 1440) {
                    char spec[128];
                    snprintf(spec, sizeof spec, "heuristic:n0=%d,n1=%d,decay=%g,m=%d", n0, n1,
                             decays[d], m);
                    run_spec(s, spec, ojct);
                }
    /* Random schedules, and the oracle's own with one epoch changed. */
    struct rng g;
    rng_seed(&g, 1234 + (uint64_t)j);
    for (int k = 0; k < 400; k++) {
        struct sched_action seq[SIM_MAX_EPOCHS];
        for (int i = 0; i < T; i++) seq[i] = grid[rng_below(&g, (uint64_t)ng)];
        assert_int_equal(sim_run_actions(s, seq, T, &r, &e), 0);
        assert_not_better(&r, ojct, "a random schedule");
    }
    for (int i = 0; i < o.epochs; i++)
        for (int a = 0; a < ng; a++) {
            struct sched_action seq[SIM_MAX_EPOCHS];
            for (int k = 0; k < T; k++) seq[k] = o.actions[k < o.epochs ? k : o.epochs - 1];
            seq[i] = grid[a];
            assert_int_equal(sim_run_actions(s, seq, T, &r, &e), 0);
            assert_not_better(&r, ojct, "a neighbour of the oracle's schedule");
        }
    free(grid);
    sim_close(s);
}

static void test_no_policy_beats_the_oracle(void **state)
{
    (void)state;
    for (int j = 0; j < N_JOBS; j++) {
        check_policies(j, 0);
        check_policies(j, 1.0);
        check_policies(j, 0.002);
        check_policies(j, 0.0004);
    }
}

/* The bound's premise: no epoch is faster than the same action's epoch with every function
 * warm, whichever number of them is warm. Checked over every warm count on the jobs above. */
static void test_all_warm_epoch_is_the_fastest(void **state)
{
    (void)state;
    static const struct sched_action acts[] = {{1, 1024}, {5, 1024}, {12, 512}, {30, 3008}};
    for (int j = 0; j < N_JOBS; j++) {
        struct sim *s = job_sim(j, 3, 0, 0);
        for (int t = 1; t <= 3; t++)
            for (int a = 0; a < 4; a++) {
                struct epoch_report warm, rep;
                struct err e;
                assert_int_equal(sim_epoch_eval(s, t, acts[a], acts[a].n, &warm, &e), 0);
                for (int w = 0; w < acts[a].n; w++) {
                    assert_int_equal(sim_epoch_eval(s, t, acts[a], w, &rep, &e), 0);
                    assert_true(rep.time_s >= warm.time_s);
                }
            }
        sim_close(s);
    }
}

/* An oracle that a slower schedule fooled would fail here: brute force disagrees when the
 * search's answer is moved by one epoch's action. (The check of the test itself.) */
static void test_brute_force_tells_a_worse_schedule_apart(void **state)
{
    (void)state;
    static const struct sched_action acts[] = {{1, 1024}, {4, 1024}, {12, 1024}};
    struct sim *s = job_sim(JOB_TOY, 4, 0, 0);
    double bf = brute_force(s, acts, 3, 4), jct;
    struct sim_result r, worse;
    struct err e;
    oracle(s, acts, 3, &r);
    assert_true(good(&r, &jct));
    assert_true(fabs(jct - bf) <= 1e-12 * bf);
    int slower = 0;
    for (int i = 0; i < r.epochs; i++)
        for (int a = 0; a < 3; a++) {
            struct sched_action seq[SIM_MAX_EPOCHS];
            for (int k = 0; k < r.epochs; k++) seq[k] = r.actions[k];
            if (seq[i].n == acts[a].n && seq[i].memory_mb == acts[a].memory_mb) continue;
            seq[i] = acts[a];
            assert_int_equal(sim_run_actions(s, seq, r.epochs, &worse, &e), 0);
            slower += !good(&worse, &jct) || jct > bf * (1 + 1e-12);
        }
    assert_true(slower > 0);
    sim_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_equals_brute_force_on_tiny_action_sets),
        cmocka_unit_test(test_no_policy_beats_the_oracle),
        cmocka_unit_test(test_all_warm_epoch_is_the_fastest),
        cmocka_unit_test(test_brute_force_tells_a_worse_schedule_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The oracle is optimal on a tiny instance: every sequence of a few actions over a few epochs
 * is run in the simulator by brute force, and the oracle (exhaustive mode, and dynamic
 * programming mode within 3 %) matches the fastest one that reaches the target within budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "toy.h"

static const struct sched_action acts[] = {{1, 1024}, {4, 1024}, {10, 1024}, {4, 3008}};
enum { NA = 4, T = 5 };

static double brute_force(struct sim *s, double budget)
{
    double best = INFINITY;
    int idx[T] = {0};
    for (;;) {
        struct sched_action seq[T];
        for (int i = 0; i < T; i++) seq[i] = acts[idx[i]];
        struct sim_result r;
        struct err e;
        assert_int_equal(sim_run_actions(s, seq, T, &r, &e), 0);
        if (r.reached_target && r.cost_usd <= budget && r.jct_s < best) best = r.jct_s;
        int k = 0;
        while (k < T && ++idx[k] == NA) idx[k++] = 0;
        if (k == T) break;
    }
    return best;
}

static void check_budget(double budget)
{
    struct sim_config c;
    assert_int_equal(toy_config(&c, 600, T, budget), 0);
    c.target_loss = 0.55;
    struct sim *s;
    struct err e;
    assert_int_equal(sim_open(&c, &s, &e), 0);
    double bf = brute_force(s, budget);
    assert_true(isfinite(bf));
    struct sim_result ex, dp;
    assert_int_equal(sim_oracle_search(s, acts, NA, 1e9, &ex, &e), 0);
    assert_true(ex.reached_target && ex.within_budget);
    if (fabs(ex.jct_s - bf) > 1e-9) {
        print_message("oracle %.9f (%d epochs:", ex.jct_s, ex.epochs);
        for (int i = 0; i < ex.epochs; i++) print_message(" %d/%d", ex.actions[i].n, ex.actions[i].memory_mb);
        print_message("), brute force %.9f\n", bf);
    }
    assert_true(ex.jct_s <= bf + 1e-9);
    assert_true(ex.jct_s >= bf - 1e-9);
    assert_int_equal(sim_oracle_search(s, acts, NA, 0, &dp, &e), 0);
    assert_true(dp.reached_target && dp.within_budget);
    assert_true(dp.jct_s <= bf * 1.03);
    sim_close(s);
}

static void test_oracle_matches_brute_force(void **state)
{
    (void)state;
    check_budget(1.0);    /* loose: speed only */
    check_budget(0.0045); /* tight: the budget binds */
}

static void test_grid_is_never_better_than_oracle(void **state)
{
    (void)state;
    struct sim_config c;
    assert_int_equal(toy_config(&c, 600, 8, 0.01), 0);
    struct sim *s;
    struct err e;
    assert_int_equal(sim_open(&c, &s, &e), 0);
    struct sched_action *grid;
    int ng;
    assert_int_equal(sim_action_grid(s, &grid, &ng, &e), 0);
    struct sim_result g, o;
    assert_int_equal(sim_grid_search(s, &g, &e), 0);
    assert_int_equal(sim_oracle_search(s, grid, ng, 0, &o, &e), 0);
    assert_true(g.reached_target && g.within_budget);
    assert_true(o.jct_s <= g.jct_s);
    free(grid);
    sim_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_matches_brute_force),
        cmocka_unit_test(test_grid_is_never_better_than_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The RNG gives the same stream on every machine: its first outputs are pinned to values
 * computed by an independent implementation of splitmix64 + xoshiro256**. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "core.h"

static void test_rng_stream_matches_reference_values(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 42);
    assert_true(rng_u64(&r) == 0x15780b2e0c2ec716ULL);
    assert_true(rng_u64(&r) == 0x6104d9866d113a7eULL);
    assert_true(rng_u64(&r) == 0xae17533239e499a1ULL);
    rng_seed(&r, 0);
    assert_true(rng_u64(&r) == 0x99ec5f36cb75f2b4ULL);
}

static void test_rng_streams_differ_and_repeat(void **state)
{
    (void)state;
    struct rng a, b, c;
    rng_seed_stream(&a, 7, 1);
    rng_seed_stream(&b, 7, 2);
    rng_seed_stream(&c, 7, 1);
    uint64_t xa = rng_u64(&a), xb = rng_u64(&b), xc = rng_u64(&c);
    assert_true(xa != xb);
    assert_true(xa == xc);
}

static void test_rng_uniform_and_normal_moments(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 1);
    const int n = 200000;
    double sum = 0, sumsq = 0, usum = 0;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        usum += u;
        double z = rng_normal(&r);
        sum += z;
        sumsq += z * z;
    }
    assert_true(fabs(usum / n - 0.5) < 0.005);
    assert_true(fabs(sum / n) < 0.01);
    assert_true(fabs(sumsq / n - 1.0) < 0.02);
}

static void test_rng_below_is_in_range_and_covers_it(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 3);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t v = rng_below(&r, 7);
        assert_true(v < 7);
        seen[v]++;
    }
    for (int i = 0; i < 7; i++) assert_true(seen[i] > 800 && seen[i] < 1200);
}

static void test_rng_shuffle_is_a_permutation(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 5);
    uint32_t idx[100];
    int seen[100] = {0};
    for (uint32_t i = 0; i < 100; i++) idx[i] = i;
    rng_shuffle_u32(&r, idx, 100);
    int moved = 0;
    for (uint32_t i = 0; i < 100; i++) {
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_stream_matches_reference_values),
        cmocka_unit_test(test_rng_streams_differ_and_repeat),
        cmocka_unit_test(test_rng_uniform_and_normal_moments),
        cmocka_unit_test(test_rng_below_is_in_range_and_covers_it),
        cmocka_unit_test(test_rng_shuffle_is_a_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

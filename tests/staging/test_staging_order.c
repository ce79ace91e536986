/* Epoch orders over staged mini-batches: the chunked order keeps each chunk of the staged data
 * in one run of the order (so a share spans few ranged GETs), is a permutation, keeps a short
 * chunk last, and with chunks of one is the plain order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "staging.h"

static void check_chunked(size_t nb, size_t chunk, int epoch)
{
    uint32_t *order = malloc(nb * sizeof *order);
    int *seen = calloc(nb, sizeof *seen);
    staging_epoch_order_chunked(7, epoch, nb, chunk, order);
    for (size_t p = 0; p < nb; p++) {
        assert_true(order[p] < nb);
        assert_int_equal(seen[order[p]]++, 0);
        /* Position p's run [p - p % chunk, ...) holds one staged chunk. */
        assert_int_equal(order[p] / chunk, order[p - p % chunk] / chunk);
    }
    if (nb % chunk) assert_int_equal(order[nb - 1] / chunk, (nb - 1) / chunk);
    free(order);
    free(seen);
}

static void test_chunked_order_keeps_chunks_together(void **state)
{
    (void)state;
    check_chunked(938, 78, 1);
    check_chunked(938, 78, 2);
    check_chunked(100, 10, 3);
    check_chunked(5, 2, 1);
    check_chunked(7, 100, 1);
}

static void test_chunked_order_moves_between_epochs_and_repeats_for_a_seed(void **state)
{
    (void)state;
    uint32_t a[200], b[200], c[200];
    staging_epoch_order_chunked(7, 1, 200, 10, a);
    staging_epoch_order_chunked(7, 1, 200, 10, b);
    staging_epoch_order_chunked(7, 2, 200, 10, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    /* Chunks of one: the plain per-epoch order. */
    staging_epoch_order_chunked(7, 3, 200, 1, a);
    staging_epoch_order(7, 3, 200, b);
    assert_memory_equal(a, b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunked_order_keeps_chunks_together),
        cmocka_unit_test(test_chunked_order_moves_between_epochs_and_repeats_for_a_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

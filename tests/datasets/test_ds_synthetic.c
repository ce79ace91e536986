/*
 * lr-synthetic: deterministic for a seed, train and test streams differ, rows are valid CSR
 * with about nnz_per_row features, and the labels are neither constant nor a coin flip
 * (popular features recur, so a model can learn them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "datasets.h"
#include "testutil.h"

static void test_ds_synthetic_is_deterministic_for_a_seed(void **state)
{
    (void)state;
    struct ds_synthetic_opts o = {.rows = 20000, .hash_bits = 16, .nnz_per_row = 39, .seed = 7};
    struct ds_data a, b, t;
    struct err e;
    assert_int_equal(ds_synthetic_make(&o, &a, &e), SIREN_OK);
    assert_int_equal(ds_synthetic_make(&o, &b, &e), SIREN_OK);
    o.stream = 1;
    assert_int_equal(ds_synthetic_make(&o, &t, &e), SIREN_OK);
    assert_int_equal(a.rows, 20000);
    assert_int_equal(a.n_features, 65536);
    assert_int_equal(a.nnz, b.nnz);
    assert_memory_equal(a.row_ptr, b.row_ptr, (a.rows + 1) * sizeof *a.row_ptr);
    assert_memory_equal(a.col, b.col, a.nnz * sizeof *a.col);
    assert_memory_equal(a.labels, b.labels, a.rows * sizeof *a.labels);
    /* The test stream is other rows. */
    assert_true(a.nnz != t.nnz || memcmp(a.col, t.col, a.nnz * sizeof *a.col) != 0);
    assert_int_equal(ds_data_check(&a, "synthetic", &e), SIREN_OK);
    assert_true(a.nnz > 20000 * 38 && a.nnz <= 20000 * 39);
    size_t pos = 0;
    for (size_t i = 0; i < a.rows; i++) pos += a.labels[i];
    assert_true(pos > a.rows / 10 && pos < a.rows / 2);
    ds_data_free(&a), ds_data_free(&b), ds_data_free(&t);
}

static void test_ds_synthetic_popular_features_carry_signal(void **state)
{
    (void)state;
    /* For the most frequent column, the positive rate among rows that have it differs from
     * the overall rate: the planted weights show through. Checked over the top columns. */
    struct ds_synthetic_opts o = {.rows = 50000, .hash_bits = 12, .nnz_per_row = 39, .seed = 3};
    struct ds_data a;
    struct err e;
    assert_int_equal(ds_synthetic_make(&o, &a, &e), SIREN_OK);
    static uint32_t cnt[4096], posc[4096];
    size_t pos = 0;
    for (size_t r = 0; r < a.rows; r++) {
        pos += a.labels[r];
        for (uint64_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; k++) {
            cnt[a.col[k]]++;
            posc[a.col[k]] += (uint32_t)a.labels[r];
        }
    }
    double base = (double)pos / (double)a.rows, max_dev = 0.0;
    for (int c = 0; c < 4096; c++) {
        if (cnt[c] < 2000) continue;
        double dev = (double)posc[c] / cnt[c] - base;
        if (dev < 0) dev = -dev;
        if (dev > max_dev) max_dev = dev;
    }
    assert_true(max_dev > 0.05);
    ds_data_free(&a);
}

static void test_ds_synthetic_slice_equals_rows_of_a_longer_threaded_run(void **state)
{
    (void)state;
    /* 150,000 rows use two threads on two cores; the 10,000-row slice uses one. */
    struct ds_synthetic_opts o = {.rows = 150000, .hash_bits = 20, .seed = 11, .stream = 1};
    struct ds_data all, part;
    struct err e;
    assert_int_equal(ds_synthetic_make(&o, &all, &e), SIREN_OK);
    o.rows = 10000;
    o.first_row = 140000;
    assert_int_equal(ds_synthetic_make(&o, &part, &e), SIREN_OK);
    uint64_t base = all.row_ptr[140000];
    for (size_t i = 0; i < part.rows; i++) {
        assert_int_equal(part.labels[i], all.labels[140000 + i]);
        assert_int_equal(part.row_ptr[i + 1] - part.row_ptr[i],
                         all.row_ptr[140000 + i + 1] - all.row_ptr[140000 + i]);
    }
    assert_memory_equal(part.col, all.col + base, part.nnz * sizeof *part.col);
    assert_memory_equal(part.val, all.val + base, part.nnz * sizeof *part.val);
    ds_data_free(&all), ds_data_free(&part);
}

static void test_ds_synthetic_rejects_bad_options(void **state)
{
    (void)state;
    struct ds_synthetic_opts o = {.rows = 10, .hash_bits = 31, .nnz_per_row = 39, .seed = 1};
    struct ds_data a;
    struct err e;
    assert_int_equal(ds_synthetic_make(&o, &a, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "hash bits 31"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_synthetic_is_deterministic_for_a_seed),
        cmocka_unit_test(test_ds_synthetic_popular_features_carry_signal),
        cmocka_unit_test(test_ds_synthetic_slice_equals_rows_of_a_longer_threaded_run),
        cmocka_unit_test(test_ds_synthetic_rejects_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Criteo reader: the hashed columns of a known line, the log transform of integer fields,
 * missing values, and the errors that must name file, line and field (38 fields, a
 * non-numeric integer). The real 8,000-row sample is read when the mirror has it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>

#include "datasets.h"
#include "testutil.h"

/* A line with label, 13 integers and 26 categoricals; empty strings are missing values. */
static size_t make_line(char *buf, size_t cap, const char *label, const char *const *ints,
                        const char *const *cats, int nfields)
{
    size_t n = (size_t)snprintf(buf, cap, "%s", label);
    for (int f = 1; f < nfields; f++)
        n += (size_t)snprintf(buf + n, cap - n, "\t%s", f <= 13 ? ints[f - 1] : cats[f - 14]);
    n += (size_t)snprintf(buf + n, cap - n, "\n");
    return n;
}

static const char *ints[13] = {"1", "", "5", "0", "1382", "4", "15", "2", "181", "1", "2", "", "-1"};
static const char *cats[26] = {"68fd1e64", "80e26c9b", "fb936136", "7b4723c4", "25c83c98",
                               "7e0ccccf", "de7995b8", "1f89b562", "a73ee510", "a8cd5504",
                               "b2cb9c98", "37c9c164", "2824a5f6", "1adce6ef", "8ba8b39a",
                               "891b62e7", "e5ba7672", "f54016b9", "21ddcdc9", "b1252a9d",
                               "07b5194c", "", "3a171ecb", "c5c50484", "e8b83407", "9727dd16"};

static int row_has(const struct ds_data *d, size_t row, uint32_t col)
{
    for (uint64_t k = d->row_ptr[row]; k < d->row_ptr[row + 1]; k++)
        if (d->col[k] == col) return 1;
    return 0;
}

static void test_ds_criteo_line_hashes_to_expected_columns(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "train.txt");
    char buf[2048];
    size_t n = make_line(buf, sizeof buf, "1", ints, cats, 40);
    n += make_line(buf + n, sizeof buf - n, "0", ints, cats, 40);
    assert_int_equal(tu_write_file(p, buf, n), 0);
    struct ds_data d;
    struct err e;
    const char *paths[1] = {p};
    assert_int_equal(ds_criteo_read(paths, 1, 12, &d, &e), SIREN_OK);
    assert_int_equal(d.layout, DS_SPARSE_CSR);
    assert_int_equal(d.rows, 2);
    assert_int_equal(d.n_features, 4096);
    assert_int_equal(d.hash_bits, 12);
    assert_int_equal(d.labels[0], 1);
    assert_int_equal(d.labels[1], 0);
    /* I5 = 1382 > 2 becomes floor(ln(1382)^2) = 52; I1 = 1 stays "1"; I2 missing is "". */
    double l = log(1382.0);
    char t[16];
    snprintf(t, sizeof t, "%d", (int)floor(l * l));
    assert_string_equal(t, "52");
    assert_true(row_has(&d, 0, ds_criteo_feature(5, "52", 2, 12)));
    assert_true(row_has(&d, 0, ds_criteo_feature(1, "1", 1, 12)));
    assert_true(row_has(&d, 0, ds_criteo_feature(2, "", 0, 12)));
    assert_true(row_has(&d, 0, ds_criteo_feature(13, "-1", 2, 12)));
    assert_true(row_has(&d, 0, ds_criteo_feature(14, "68fd1e64", 8, 12)));
    assert_true(row_has(&d, 0, ds_criteo_feature(35, "", 0, 12)));
    /* The same value in another field is another feature (almost surely another column). */
    assert_int_not_equal(ds_criteo_feature(1, "1", 1, 20), ds_criteo_feature(10, "1", 1, 20));
    /* Sorted unique columns; 39 values in all (a collision would add 2 to one value). */
    float sum = 0.0f;
    for (uint64_t k = d.row_ptr[0]; k < d.row_ptr[1]; k++) {
        sum += d.val[k];
        if (k > d.row_ptr[0]) assert_true(d.col[k] > d.col[k - 1]);
    }
    assert_true(sum == 39.0f);
    assert_int_equal(ds_data_check(&d, "criteo", &e), SIREN_OK);
    ds_data_free(&d);
    tu_rm_rf(dir);
    free(p), free(dir);
}

static void test_ds_criteo_38_fields_names_file_and_line(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "train.txt");
    char buf[4096];
    size_t n = make_line(buf, sizeof buf, "0", ints, cats, 40);
    n += make_line(buf + n, sizeof buf - n, "0", ints, cats, 40);
    n += make_line(buf + n, sizeof buf - n, "1", ints, cats, 38);
    assert_int_equal(tu_write_file(p, buf, n), 0);
    struct ds_data d;
    struct err e;
    const char *paths[1] = {p};
    assert_int_equal(ds_criteo_read(paths, 1, 20, &d, &e), SIREN_EFORMAT);
    assert_string_equal(e.msg, "train.txt line 3: 38 fields, expected 40");
    assert_null(d.row_ptr);
    tu_rm_rf(dir);
    free(p), free(dir);
}

static void test_ds_criteo_non_numeric_integer_names_line_and_field(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "day_0.txt");
    const char *bad[13] = {"1", "2", "3", "4", "x7", "6", "7", "8", "9", "10", "11", "12", "13"};
    char buf[4096];
    size_t n = make_line(buf, sizeof buf, "0", ints, cats, 40);
    n += make_line(buf + n, sizeof buf - n, "0", bad, cats, 40);
    assert_int_equal(tu_write_file(p, buf, n), 0);
    struct ds_data d;
    struct err e;
    const char *paths[1] = {p};
    assert_int_equal(ds_criteo_read(paths, 1, 20, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "day_0.txt line 2: field 6 (I5): expected an integer, got 'x7'"));
    /* A bad label and a bad categorical are named too. */
    n = make_line(buf, sizeof buf, "2", ints, cats, 40);
    assert_int_equal(tu_write_file(p, buf, n), 0);
    assert_int_equal(ds_criteo_read(paths, 1, 20, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "day_0.txt line 1: field 1 (label)"));
    const char *badcat[26];
    memcpy(badcat, cats, sizeof badcat);
    badcat[3] = "zz";
    n = make_line(buf, sizeof buf, "1", ints, badcat, 40);
    assert_int_equal(tu_write_file(p, buf, n), 0);
    assert_int_equal(ds_criteo_read(paths, 1, 20, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "day_0.txt line 1: field 18 (C4): expected 8 hex digits"));
    tu_rm_rf(dir);
    free(p), free(dir);
}

static void test_ds_criteo_real_sample_has_7200_train_rows(void **state)
{
    (void)state;
    char mirror[4096], p[4200];
    ds_mirror_dir(mirror, sizeof mirror);
    snprintf(p, sizeof p, "%s/ctr/criteo_kaggle_8k/train.txt", mirror);
    if (!mirror[0] || !fs_exists(p)) skip();
    struct ds_data d;
    struct err e;
    const char *paths[1] = {p};
    assert_int_equal(ds_criteo_read(paths, 1, DS_CRITEO_HASH_BITS, &d, &e), SIREN_OK);
    assert_int_equal(d.rows, 7200);
    size_t pos = 0;
    for (size_t i = 0; i < d.rows; i++) pos += d.labels[i];
    assert_int_equal(pos, 1549);
    assert_true(d.nnz <= 7200 * 39 && d.nnz > 7200 * 38);
    ds_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_criteo_line_hashes_to_expected_columns),
        cmocka_unit_test(test_ds_criteo_38_fields_names_file_and_line),
        cmocka_unit_test(test_ds_criteo_non_numeric_integer_names_line_and_field),
        cmocka_unit_test(test_ds_criteo_real_sample_has_7200_train_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

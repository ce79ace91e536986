/*
 * LIBSVM reader: labels +1/-1 and 1/0, 1-based indices to 0-based columns, the fixed or
 * inferred dimension, and errors naming file and line (non-increasing index, bad tokens).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "datasets.h"
#include "testutil.h"

static int read_text(const char *text, uint32_t dim, struct ds_data *d, struct err *e)
{
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "a9a.t");
    assert_int_equal(tu_write_file(p, text, strlen(text)), 0);
    int rc = ds_libsvm_read(p, dim, d, e);
    tu_rm_rf(dir);
    free(p), free(dir);
    return rc;
}

static void test_ds_libsvm_reads_values_labels_and_dimension(void **state)
{
    (void)state;
    struct ds_data d;
    struct err e;
    assert_int_equal(read_text("+1 3:1 11:0.5 \n-1 1:2\n0\n1 122:1\n", 0, &d, &e), SIREN_OK);
    assert_int_equal(d.rows, 4);
    assert_int_equal(d.n_features, 122);
    assert_int_equal(d.labels[0], 1);
    assert_int_equal(d.labels[1], 0);
    assert_int_equal(d.labels[2], 0);
    assert_int_equal(d.labels[3], 1);
    assert_int_equal(d.nnz, 4);
    assert_int_equal(d.row_ptr[1], 2);
    assert_int_equal(d.row_ptr[3], 3); /* the empty row */
    assert_int_equal(d.col[0], 2);
    assert_int_equal(d.col[1], 10);
    assert_true(d.val[1] == 0.5f);
    assert_int_equal(d.col[2], 0);
    assert_true(d.val[2] == 2.0f);
    assert_int_equal(d.col[3], 121);
    ds_data_free(&d);
    /* A fixed dimension, as a9a.t needs (max index 122, 123 features). */
    assert_int_equal(read_text("-1 5:1\n", 123, &d, &e), SIREN_OK);
    assert_int_equal(d.n_features, 123);
    ds_data_free(&d);
    assert_int_equal(read_text("-1 124:1\n", 123, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "a9a.t line 1"));
}

static void test_ds_libsvm_non_increasing_index_names_line(void **state)
{
    (void)state;
    struct ds_data d;
    struct err e;
    assert_int_equal(read_text("+1 1:1 2:1\n-1 3:1 7:1 7:1\n", 0, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "a9a.t line 2: token 4: index 7 after 7"));
    assert_int_equal(read_text("+1 5:1 2:1\n", 0, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "a9a.t line 1: token 3: index 2 after 5"));
}

static void test_ds_libsvm_bad_tokens_name_line(void **state)
{
    (void)state;
    struct ds_data d;
    struct err e;
    assert_int_equal(read_text("+1 1:1\n2 1:1\n", 0, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "a9a.t line 2: label '2'"));
    assert_int_equal(read_text("+1 1:1 junk\n", 0, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "a9a.t line 1: token 3 'junk': expected index:value"));
    assert_int_equal(read_text("+1 0:1\n", 0, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "bad index '0'"));
    assert_int_equal(read_text("+1 4:x\n", 0, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "bad value 'x'"));
}

static void test_ds_libsvm_real_a9a(void **state)
{
    (void)state;
    char mirror[4096], p[4200];
    ds_mirror_dir(mirror, sizeof mirror);
    snprintf(p, sizeof p, "%s/a9a/a9a", mirror);
    if (!mirror[0] || !fs_exists(p)) skip();
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_libsvm_read(p, 123, &d, &e), SIREN_OK);
    assert_int_equal(d.rows, 32561);
    size_t pos = 0;
    for (size_t i = 0; i < d.rows; i++) pos += d.labels[i];
    assert_int_equal(pos, 7841);
    ds_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_libsvm_reads_values_labels_and_dimension),
        cmocka_unit_test(test_ds_libsvm_non_increasing_index_names_line),
        cmocka_unit_test(test_ds_libsvm_bad_tokens_name_line),
        cmocka_unit_test(test_ds_libsvm_real_a9a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * HDF5 shards: every layout survives a write and a read bit for bit (arrays, vocabulary,
 * provenance), a failed write leaves neither the file nor its temporary, and an unwritable
 * directory is a clear error naming the path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdint.h>

#include "datasets.h"
#include "testutil.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void roundtrip(struct ds_data *d, struct ds_data *back)
{
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "train.h5");
    struct err e;
    assert_int_equal(ds_h5_write(d, p, &e), SIREN_OK);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(ds_load_file(p, back, &e), SIREN_OK);
    assert_int_equal(back->layout, d->layout);
    assert_int_equal(back->rows, d->rows);
    assert_int_equal(back->classes, d->classes);
    assert_memory_equal(back->labels, d->labels, d->rows * sizeof *d->labels);
    assert_string_equal(back->name, d->name);
    assert_string_equal(back->split, d->split);
    assert_string_equal(back->source, d->source);
    assert_string_equal(back->sha256, d->sha256);
    assert_true(back->seed == d->seed);
    tu_rm_rf(dir);
    free(p), free(dir);
}

static void test_ds_h5_images_roundtrip_identical(void **state)
{
    (void)state;
    struct ds_data d = {0}, back;
    d.layout = DS_IMAGES_U8;
    d.rows = 3, d.classes = 10, d.channels = 1, d.height = 4, d.width = 5;
    d.labels = malloc(3 * sizeof *d.labels);
    d.pixels = malloc(3 * 20);
    for (int i = 0; i < 3; i++) d.labels[i] = 9 - i;
    for (int i = 0; i < 60; i++) d.pixels[i] = (uint8_t)(i * 37);
    snprintf(d.name, sizeof d.name, "mnist");
    snprintf(d.split, sizeof d.split, "train");
    snprintf(d.source, sizeof d.source, "a b");
    snprintf(d.sha256, sizeof d.sha256, "%064d", 5);
    roundtrip(&d, &back);
    assert_int_equal(back.height, 4);
    assert_int_equal(back.width, 5);
    assert_memory_equal(back.pixels, d.pixels, 60);
    ds_data_free(&d), ds_data_free(&back);
}

static void test_ds_h5_tokens_and_vocab_roundtrip_identical(void **state)
{
    (void)state;
    struct ds_data d = {0}, back;
    d.layout = DS_TOKENS_I32;
    d.rows = 2, d.classes = 2, d.seq_len = 3, d.vocab_size = 4, d.seed = 2014;
    d.labels = calloc(2, sizeof *d.labels);
    d.labels[1] = 1;
    d.tokens = malloc(6 * sizeof *d.tokens);
    for (int i = 0; i < 6; i++) d.tokens[i] = i % 4;
    d.vocab = malloc(4 * sizeof *d.vocab);
    d.vocab[0] = strdup("<pad>"), d.vocab[1] = strdup("<unk>");
    d.vocab[2] = strdup("caf\xe9"), d.vocab[3] = strdup("\x97");
    roundtrip(&d, &back);
    assert_int_equal(back.seq_len, 3);
    assert_int_equal(back.vocab_size, 4);
    assert_memory_equal(back.tokens, d.tokens, 6 * sizeof *d.tokens);
    for (int i = 0; i < 4; i++) assert_string_equal(back.vocab[i], d.vocab[i]);
    ds_data_free(&d), ds_data_free(&back);
}

static void test_ds_h5_sparse_roundtrip_identical(void **state)
{
    (void)state;
    struct ds_synthetic_opts o = {.rows = 500, .hash_bits = 10, .nnz_per_row = 39, .seed = 9};
    struct ds_data d, back;
    struct err e;
    assert_int_equal(ds_synthetic_make(&o, &d, &e), SIREN_OK);
    roundtrip(&d, &back);
    assert_int_equal(back.nnz, d.nnz);
    assert_int_equal(back.n_features, 1024);
    assert_int_equal(back.hash_bits, 10);
    assert_memory_equal(back.row_ptr, d.row_ptr, (d.rows + 1) * sizeof *d.row_ptr);
    assert_memory_equal(back.col, d.col, d.nnz * sizeof *d.col);
    assert_memory_equal(back.val, d.val, d.nnz * sizeof *d.val);
    ds_data_free(&d), ds_data_free(&back);
}

static void test_ds_h5_failed_write_leaves_no_partial_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "train.h5");
    struct ds_data d = {0};
    struct err e;
    /* Labels are written, then the missing pixels fail the write half-way. */
    d.layout = DS_IMAGES_U8;
    d.rows = 2, d.classes = 10, d.channels = 1, d.height = 2, d.width = 2;
    int32_t labels[2] = {1, 2};
    d.labels = labels;
    assert_int_equal(ds_h5_write(&d, p, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "train.h5"));
    assert_int_equal(count_entries(dir), 0);
    /* An old file stays as it was when a new write fails. */
    assert_int_equal(tu_write_file(p, "old", 3), 0);
    assert_int_equal(ds_h5_write(&d, p, &e), SIREN_EFORMAT);
    assert_int_equal(count_entries(dir), 1);
    char *buf;
    size_t len;
    assert_int_equal(fs_read_all(p, &buf, &len, &e), SIREN_OK);
    assert_string_equal(buf, "old");
    free(buf);
    /* Not an HDF5 file: a clear error naming it. */
    struct ds_data back;
    assert_int_equal(ds_load_file(p, &back, &e), SIREN_EHDF5);
    assert_non_null(strstr(e.msg, p));
    tu_rm_rf(dir);
    free(p), free(dir);
}

static void test_ds_h5_unwritable_directory_is_named(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *file = tu_path(dir, "f");
    char *p = tu_path(dir, "f/train.h5"); /* under a regular file: root cannot write there */
    assert_int_equal(tu_write_file(file, "x", 1), 0);
    struct ds_synthetic_opts o = {.rows = 5, .hash_bits = 4, .nnz_per_row = 3, .seed = 1};
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_synthetic_make(&o, &d, &e), SIREN_OK);
    assert_int_equal(ds_h5_write(&d, p, &e), SIREN_EHDF5);
    assert_non_null(strstr(e.msg, p));
    ds_data_free(&d);
    tu_rm_rf(dir);
    free(file), free(p), free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_h5_images_roundtrip_identical),
        cmocka_unit_test(test_ds_h5_tokens_and_vocab_roundtrip_identical),
        cmocka_unit_test(test_ds_h5_sparse_roundtrip_identical),
        cmocka_unit_test(test_ds_h5_failed_write_leaves_no_partial_file),
        cmocka_unit_test(test_ds_h5_unwritable_directory_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

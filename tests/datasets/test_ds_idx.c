/*
 * IDX reader: generated images/labels pairs, raw and gzipped, with every header fault the
 * reader must name (magic, truncation with its byte offset, count mismatch, bad label), and
 * the real MNIST test files when the mirror has them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <zlib.h>

#include "datasets.h"
#include "testutil.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* n images of h x w with pixel (i, k) = (i * 7 + k) & 255; labels i % 10. */
static size_t make_images(uint8_t *buf, uint32_t magic, uint32_t n, uint32_t h, uint32_t w)
{
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, h);
    put_be32(buf + 12, w);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < h * w; k++) buf[16 + i * h * w + k] = (uint8_t)((i * 7 + k) & 255);
    return 16 + (size_t)n * h * w;
}

static size_t make_labels(uint8_t *buf, uint32_t magic, uint32_t n)
{
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    for (uint32_t i = 0; i < n; i++) buf[8 + i] = (uint8_t)(i % 10);
    return 8 + n;
}

static int write_gz(const char *path, const void *data, size_t len)
{
    gzFile g = gzopen(path, "wb");
    if (!g) return -1;
    int w = gzwrite(g, data, (unsigned)len);
    return gzclose(g) == Z_OK && (size_t)w == len ? 0 : -1;
}

static uint8_t img[16 + 5 * 28 * 28], lab[8 + 16];

static void test_ds_idx_reads_gz_and_raw_pairs_with_values(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *ip = tu_path(dir, "x-images-idx3-ubyte.gz"), *lp = tu_path(dir, "x-labels-idx1-ubyte");
    size_t il = make_images(img, 0x803, 5, 28, 28), ll = make_labels(lab, 0x801, 5);
    assert_int_equal(write_gz(ip, img, il), 0);
    assert_int_equal(tu_write_file(lp, lab, ll), 0); /* raw: gz* reads it as it is */
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_OK);
    assert_int_equal(d.layout, DS_IMAGES_U8);
    assert_int_equal(d.rows, 5);
    assert_int_equal(d.channels, 1);
    assert_int_equal(d.height, 28);
    assert_int_equal(d.width, 28);
    assert_int_equal(d.classes, 10);
    for (int i = 0; i < 5; i++) assert_int_equal(d.labels[i], i);
    assert_int_equal(d.pixels[3 * 784 + 10], (3 * 7 + 10) & 255);
    assert_int_equal(d.pixels[4 * 784 + 783], (4 * 7 + 783) & 255);
    ds_data_free(&d);
    /* ds_raw_read pairs the images file with its labels file by name. */
    assert_int_equal(ds_raw_read(ip, DS_FMT_UNKNOWN, &d, &e), SIREN_OK);
    assert_int_equal(d.rows, 5);
    assert_int_equal(d.labels[4], 4);
    assert_int_equal(strlen(d.sha256), 64);
    ds_data_free(&d);
    tu_rm_rf(dir);
    free(ip), free(lp), free(dir);
}

static void test_ds_idx_wrong_magic_is_named(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *ip = tu_path(dir, "bad-images"), *lp = tu_path(dir, "bad-labels");
    size_t il = make_images(img, 0x801, 5, 28, 28), ll = make_labels(lab, 0x801, 5);
    assert_int_equal(tu_write_file(ip, img, il), 0);
    assert_int_equal(tu_write_file(lp, lab, ll), 0);
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "bad-images"));
    assert_non_null(strstr(e.msg, "bad magic 0x00000801, expected 0x00000803"));
    assert_null(d.pixels);
    tu_rm_rf(dir);
    free(ip), free(lp), free(dir);
}

static void test_ds_idx_truncated_data_names_byte_offset(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *ip = tu_path(dir, "short-images.gz"), *lp = tu_path(dir, "labels");
    size_t il = make_images(img, 0x803, 5, 28, 28), ll = make_labels(lab, 0x801, 5);
    /* Cut the last image in half: 16 + 4 * 784 + 392 bytes are there. */
    assert_int_equal(write_gz(ip, img, il - 392), 0);
    assert_int_equal(tu_write_file(lp, lab, ll), 0);
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "short-images.gz"));
    assert_non_null(strstr(e.msg, "truncated at byte 3544")); /* 16 + 4*784 + 392 */
    /* A header cut short names offset 0 of the dimension read. */
    assert_int_equal(tu_write_file(ip, img, 10), 0);
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "truncated at byte 10"));
    tu_rm_rf(dir);
    free(ip), free(lp), free(dir);
}

static void test_ds_idx_count_mismatch_and_bad_label(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *ip = tu_path(dir, "i"), *lp = tu_path(dir, "l");
    size_t il = make_images(img, 0x803, 5, 28, 28), ll = make_labels(lab, 0x801, 4);
    assert_int_equal(tu_write_file(ip, img, il), 0);
    assert_int_equal(tu_write_file(lp, lab, ll), 0);
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_EFORMAT);
    assert_string_equal(e.msg, "i has 5 images but l has 4 labels");
    ll = make_labels(lab, 0x801, 5);
    lab[8 + 2] = 11;
    assert_int_equal(tu_write_file(lp, lab, ll), 0);
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "l: byte 10: label 11 of item 2 outside 0..9"));
    /* Bytes after the declared data mean the header is wrong. */
    ll = make_labels(lab, 0x801, 5);
    assert_int_equal(tu_write_file(lp, lab, ll + 1), 0);
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "unexpected data after byte 13"));
    tu_rm_rf(dir);
    free(ip), free(lp), free(dir);
}

static void test_ds_idx_real_mnist_test_split(void **state)
{
    (void)state;
    char mirror[4096], ip[4200], lp[4200];
    ds_mirror_dir(mirror, sizeof mirror);
    snprintf(ip, sizeof ip, "%s/mnist/t10k-images-idx3-ubyte.gz", mirror);
    snprintf(lp, sizeof lp, "%s/mnist/t10k-labels-idx1-ubyte.gz", mirror);
    if (!mirror[0] || !fs_exists(ip) || !fs_exists(lp)) skip();
    struct ds_data d;
    struct err e;
    assert_int_equal(ds_idx_read(ip, lp, &d, &e), SIREN_OK);
    assert_int_equal(d.rows, 10000);
    static const int counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int got[10] = {0};
    for (size_t i = 0; i < d.rows; i++) got[d.labels[i]]++;
    for (int k = 0; k < 10; k++) assert_int_equal(got[k], counts[k]);
    ds_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_idx_reads_gz_and_raw_pairs_with_values),
        cmocka_unit_test(test_ds_idx_wrong_magic_is_named),
        cmocka_unit_test(test_ds_idx_truncated_data_names_byte_offset),
        cmocka_unit_test(test_ds_idx_count_mismatch_and_bad_label),
        cmocka_unit_test(test_ds_idx_real_mnist_test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

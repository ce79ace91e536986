/*
 * fetch and prepare through the registry, with SIREN_DATA_MIRROR and SIREN_DATA_DIR pointed
 * at temporary directories and downloads switched off: a mirror file with the wrong SHA-256
 * is refused naming file, expected and actual sums; a missing file names the mirror and the
 * address; an unwritable cache is a clear error; with the real mirror, a9a is fetched,
 * stamped, prepared and loaded, and polarity is extracted from the publisher's archive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "datasets.h"
#include "testutil.h"

static char real_mirror[4096];

static int setup(void **state)
{
    (void)state;
    unsetenv("SIREN_DATA_MIRROR");
    ds_mirror_dir(real_mirror, sizeof real_mirror);
    setenv("SIREN_DATA_OFFLINE", "1", 1);
    return 0;
}

static void test_ds_fetch_checksum_mismatch_names_file_and_sums(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *mirror = tu_path(dir, "mirror"), *cache = tu_path(dir, "cache");
    char *sub = tu_path(mirror, "a9a"), *bad = tu_path(sub, "a9a");
    assert_int_equal(mkdir(mirror, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(tu_write_file(bad, "+1 1:1\n", 7), 0);
    setenv("SIREN_DATA_MIRROR", mirror, 1);
    setenv("SIREN_DATA_DIR", cache, 1);
    struct err e;
    assert_int_equal(ds_fetch(ds_registry_find("a9a"), &e), SIREN_ECHECKSUM);
    assert_non_null(strstr(e.msg, "a9a: a9a"));
    assert_non_null(strstr(e.msg, "expected f5d5ffd8d865ff41328e7ee043e4b020816914ff6843ff15b98905ddbedce906"));
    char actual[65];
    sha256_hex("+1 1:1\n", 7, actual);
    assert_non_null(strstr(e.msg, actual));
    /* Nothing unverified entered the cache. */
    char raw[4200];
    ds_raw_path(ds_registry_find("a9a"), "a9a", raw, sizeof raw);
    assert_false(fs_exists(raw));
    tu_rm_rf(dir);
    free(mirror), free(cache), free(sub), free(bad), free(dir);
}

static void test_ds_fetch_missing_file_names_mirror_and_address(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *cache = tu_path(dir, "cache");
    setenv("SIREN_DATA_MIRROR", dir, 1);
    setenv("SIREN_DATA_DIR", cache, 1);
    struct err e;
    assert_int_equal(ds_fetch(ds_registry_find("mnist"), &e), SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "mnist: train-images-idx3-ubyte.gz: not in mirror"));
    assert_non_null(strstr(e.msg, dir));
    assert_non_null(strstr(e.msg, "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"));
    tu_rm_rf(dir);
    free(cache), free(dir);
}

static void test_ds_fetch_unwritable_cache_is_clear(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *file = tu_path(dir, "file"), *cache = tu_path(dir, "file/cache");
    assert_int_equal(tu_write_file(file, "x", 1), 0);
    setenv("SIREN_DATA_MIRROR", dir, 1);
    setenv("SIREN_DATA_DIR", cache, 1);
    struct err e;
    assert_int_not_equal(ds_fetch(ds_registry_find("a9a"), &e), SIREN_OK);
    assert_non_null(strstr(e.msg, "cache directory"));
    assert_non_null(strstr(e.msg, cache));
    assert_int_not_equal(ds_prepare("a9a", &e), SIREN_OK);
    assert_non_null(strstr(e.msg, cache));
    tu_rm_rf(dir);
    free(file), free(cache), free(dir);
}

static void test_ds_fetch_prepare_load_real_a9a(void **state)
{
    (void)state;
    char src[4200];
    snprintf(src, sizeof src, "%s/a9a/a9a.t", real_mirror);
    if (!real_mirror[0] || !fs_exists(src)) skip();
    char *dir = tu_mkdtemp();
    setenv("SIREN_DATA_MIRROR", real_mirror, 1);
    setenv("SIREN_DATA_DIR", dir, 1);
    struct err e;
    const struct ds_entry *a9a = ds_registry_find("a9a");
    assert_int_equal(ds_fetch(a9a, &e), SIREN_OK);
    char raw[4200], stamp[4300];
    ds_raw_path(a9a, "a9a.t", raw, sizeof raw);
    snprintf(stamp, sizeof stamp, "%s/raw/a9a/.a9a.t.stamp", dir);
    assert_true(fs_exists(raw));
    assert_true(fs_exists(stamp));
    /* Second fetch: trusted from the stamp, even with the mirror gone. */
    setenv("SIREN_DATA_MIRROR", dir, 1);
    assert_int_equal(ds_fetch(a9a, &e), SIREN_OK);
    struct ds_data te;
    assert_int_equal(ds_load("a9a", "test", &te, &e), SIREN_OK);
    assert_int_equal(te.rows, 16281);
    assert_int_equal(te.n_features, 123);
    assert_string_equal(te.name, "a9a");
    assert_string_equal(te.split, "test");
    assert_string_equal(te.sha256, "1f448a153f0320399a7e40836eb207655b0bde0f21fc941cc472193daa9f5de9");
    ds_data_free(&te);
    char h5[4200];
    ds_split_path("a9a", "train", h5, sizeof h5);
    assert_true(fs_exists(h5));
    tu_rm_rf(dir);
    free(dir);
}

static void test_ds_fetch_extracts_polarity_from_archive(void **state)
{
    (void)state;
    char src[4200];
    snprintf(src, sizeof src, "%s/polarity/rt-polaritydata.tar.gz", real_mirror);
    if (!real_mirror[0] || !fs_exists(src)) skip();
    /* A mirror holding only the publisher's archive. */
    char *dir = tu_mkdtemp();
    char *mirror = tu_path(dir, "m"), *sub = tu_path(dir, "m/polarity");
    char *dst = tu_path(sub, "rt-polaritydata.tar.gz"), *cache = tu_path(dir, "cache");
    assert_int_equal(mkdir(mirror, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    char *data;
    size_t len;
    struct err e;
    assert_int_equal(fs_read_all(src, &data, &len, &e), SIREN_OK);
    assert_int_equal(tu_write_file(dst, data, len), 0);
    free(data);
    setenv("SIREN_DATA_MIRROR", mirror, 1);
    setenv("SIREN_DATA_DIR", cache, 1);
    const struct ds_entry *pol = ds_registry_find("polarity");
    assert_int_equal(ds_fetch(pol, &e), SIREN_OK);
    char raw[4200], sum[65];
    ds_raw_path(pol, "rt-polarity.neg", raw, sizeof raw);
    assert_int_equal(sha256_file(raw, sum, &e), SIREN_OK);
    assert_string_equal(sum, "4af43bf489620b498a0852c5a8c6a535155dec7985fdfea782b8f7756b957ccc");
    tu_rm_rf(dir);
    free(mirror), free(sub), free(dst), free(cache), free(dir);
}

static void test_ds_prepare_criteo_full_splits_by_row_order(void **state)
{
    (void)state;
    /* No published sum exists for the full file: any copy is accepted and its sum recorded.
     * 20 rows split 18 / 2 by row order; labels mark the row number's parity. */
    char *dir = tu_mkdtemp();
    char *mirror = tu_path(dir, "m"), *sub = tu_path(dir, "m/criteo-full");
    char *file = tu_path(sub, "train.txt"), *cache = tu_path(dir, "cache");
    assert_int_equal(mkdir(mirror, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    char text[8192];
    size_t n = 0;
    for (int r = 0; r < 20; r++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "%d", r % 2);
        for (int f = 1; f < 40; f++)
            n += (size_t)snprintf(text + n, sizeof text - n, f <= 13 ? "\t%d" : "\t%08x", r + f);
        text[n++] = '\n';
    }
    assert_int_equal(tu_write_file(file, text, n), 0);
    setenv("SIREN_DATA_MIRROR", mirror, 1);
    setenv("SIREN_DATA_DIR", cache, 1);
    struct err e;
    assert_int_equal(ds_prepare("criteo-full", &e), SIREN_OK);
    struct ds_data tr, te;
    assert_int_equal(ds_load("criteo-full", "train", &tr, &e), SIREN_OK);
    assert_int_equal(ds_load("criteo-full", "test", &te, &e), SIREN_OK);
    assert_int_equal(tr.rows, 18);
    assert_int_equal(te.rows, 2);
    assert_int_equal(te.labels[0], 0); /* row 18 */
    assert_int_equal(te.labels[1], 1); /* row 19 */
    assert_int_equal(te.row_ptr[0], 0);
    assert_int_equal(te.row_ptr[2], te.nnz);
    assert_non_null(strstr(te.source, "rows 19..20"));
    ds_data_free(&tr), ds_data_free(&te);
    tu_rm_rf(dir);
    free(mirror), free(sub), free(file), free(cache), free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_fetch_checksum_mismatch_names_file_and_sums),
        cmocka_unit_test(test_ds_fetch_missing_file_names_mirror_and_address),
        cmocka_unit_test(test_ds_fetch_unwritable_cache_is_clear),
        cmocka_unit_test(test_ds_fetch_prepare_load_real_a9a),
        cmocka_unit_test(test_ds_fetch_extracts_polarity_from_archive),
        cmocka_unit_test(test_ds_prepare_criteo_full_splits_by_row_order),
    };
    return cmocka_run_group_tests_name("ds_fetch", tests, setup, NULL);
}

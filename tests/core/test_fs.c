/* Atomic writes, whole reads, SHA-256 and number parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"
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

static void test_fs_write_atomic_replaces_and_leaves_no_temp(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "a.bin");
    struct err e;
    assert_int_equal(fs_write_atomic(path, "old", 3, &e), SIREN_OK);
    assert_int_equal(fs_write_atomic(path, "newer", 5, &e), SIREN_OK);
    char *buf;
    size_t len;
    assert_int_equal(fs_read_all(path, &buf, &len, &e), SIREN_OK);
    assert_int_equal(len, 5);
    assert_string_equal(buf, "newer");
    free(buf);
    assert_int_equal(count_entries(dir), 1);
    /* A directory that cannot exist: the error names it and nothing is left behind. */
    assert_int_equal(fs_write_atomic("/proc/siren-no/x", "a", 1, &e), SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "/proc/siren-no/x"));
    tu_rm_rf(dir);
    free(path);
    free(dir);
}

static void test_fs_write_atomic_refuses_to_replace_a_pipe_or_directory(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *fifo = tu_path(dir, "pipe");
    char *sub = tu_path(dir, "sub");
    struct err e;
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    /* Renaming over them would turn a pipe (or /dev/null) into a regular file. */
    assert_int_equal(fs_write_atomic(fifo, "x", 1, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_non_null(strstr(e.msg, "pipe"));
    assert_int_equal(fs_write_atomic(sub, "x", 1, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "directory"));
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(count_entries(dir), 2); /* no temporary file left */
    /* The same for writers that fill a temporary file themselves (HDF5). */
    char tmp[4300];
    fs_tmp_name(fifo, tmp, sizeof tmp);
    assert_int_equal(tu_write_file(tmp, "y", 1), 0);
    assert_int_equal(fs_commit_tmp(tmp, fifo, &e), SIREN_EINVAL);
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(count_entries(dir), 2);
    tu_rm_rf(dir);
    free(fifo);
    free(sub);
    free(dir);
}

static void test_fs_mkdir_p_under_a_file_fails_clearly(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *file = tu_path(dir, "f");
    char *sub = tu_path(dir, "f/sub/dir");
    char *good = tu_path(dir, "x/y/z");
    struct err e;
    assert_int_equal(tu_write_file(file, "x", 1), 0);
    assert_int_equal(fs_mkdir_p(good, &e), SIREN_OK);
    assert_true(fs_is_dir(good));
    assert_int_not_equal(fs_mkdir_p(sub, &e), SIREN_OK);
    assert_non_null(strstr(e.msg, "cannot create directory"));
    tu_rm_rf(dir);
    free(file);
    free(sub);
    free(good);
    free(dir);
}

static void test_sha256_of_known_inputs(void **state)
{
    (void)state;
    char hex[65];
    sha256_hex("abc", 3, hex); /* FIPS 180-2 example */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "empty");
    assert_int_equal(tu_write_file(path, "", 0), 0);
    struct err e;
    assert_int_equal(sha256_file(path, hex, &e), SIREN_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tu_rm_rf(dir);
    free(path);
    free(dir);
}

static void test_parse_numbers_reject_trailing_text(void **state)
{
    (void)state;
    double d;
    long long l;
    struct err e;
    assert_int_equal(parse_double("0.25", "--lr", &d, &e), SIREN_OK);
    assert_true(d == 0.25);
    assert_int_equal(parse_double("0.25x", "--lr", &d, &e), SIREN_EFORMAT);
    assert_string_equal(e.msg, "--lr: expected a number, got '0.25x'");
    assert_int_equal(parse_long("12", "--epochs", &l, &e), SIREN_OK);
    assert_int_equal(l, 12);
    assert_int_equal(parse_long("", "--epochs", &l, &e), SIREN_EFORMAT);
    assert_int_equal(parse_double("nan", "--lr", &d, &e), SIREN_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fs_write_atomic_replaces_and_leaves_no_temp),
        cmocka_unit_test(test_fs_write_atomic_refuses_to_replace_a_pipe_or_directory),
        cmocka_unit_test(test_fs_mkdir_p_under_a_file_fails_clearly),
        cmocka_unit_test(test_sha256_of_known_inputs),
        cmocka_unit_test(test_parse_numbers_reject_trailing_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

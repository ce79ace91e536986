/*
 * The file backend's own paths that the shared interface suite (kv_suite.h) does not reach:
 * reads into a kept buffer (kv_get_into), puts and gets of objects in pieces (kv_put_iov,
 * kv_get_iov), deletes of large objects handed to the store's background unlinker, and the
 * stored checksum's values (pinned, so that every code path of kv_hash64 -- portable, SSE2,
 * AVX2 -- keeps reading the objects older builds wrote).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kv.h"
#include "testutil.h"

static int setup(void **state)
{
    char *dir = tu_mkdtemp();
    if (!dir) return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    tu_rm_rf(*state);
    free(*state);
    return 0;
}

static struct kv *open_store(const char *dir)
{
    char url[1100];
    snprintf(url, sizeof url, "file:%s/store", dir);
    struct kv *kv = NULL;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    return kv;
}

/* Entries of dir whose names start with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) n += !strncmp(de->d_name, prefix, strlen(prefix));
    closedir(d);
    return n;
}

static void test_kv_get_into_reads_what_get_reads_and_keeps_its_buffer(void **state)
{
    struct kv *kv = open_store(*state);
    size_t big = 300 << 10;
    uint8_t *data = malloc(big);
    assert_non_null(data);
    tu_fill_pattern(data, big, 1);
    assert_int_equal(kv_put(kv, "p/big", data, big), SIREN_OK);
    assert_int_equal(kv_put(kv, "p/small", data + 7, 10), SIREN_OK);
    assert_int_equal(kv_put(kv, "p/empty", "", 0), SIREN_OK);

    struct kv_buf buf = {0};
    assert_int_equal(kv_get_into(kv, "p/big", &buf), SIREN_OK);
    assert_int_equal(buf.len, big);
    assert_memory_equal(buf.data, data, big);
    assert_int_equal(buf.data[big], '\0');
    uint8_t *block = buf.data;
    size_t cap = buf.cap;
    assert_true(cap >= big + 1);
    /* Smaller objects land in the same block, NUL-terminated, the counters as kv_get's. */
    struct kv_stats before, after;
    kv_stats_get(kv, &before);
    assert_int_equal(kv_get_into(kv, "p/small", &buf), SIREN_OK);
    assert_ptr_equal(buf.data, block);
    assert_int_equal(buf.cap, cap);
    assert_int_equal(buf.len, 10);
    assert_memory_equal(buf.data, data + 7, 10);
    assert_int_equal(buf.data[10], '\0');
    kv_stats_get(kv, &after);
    assert_int_equal(after.gets, before.gets + 1);
    assert_int_equal(after.bytes_out, before.bytes_out + 10);
    assert_int_equal(kv_get_into(kv, "p/empty", &buf), SIREN_OK);
    assert_int_equal(buf.len, 0);
    assert_int_equal(buf.data[0], '\0');
    /* A miss empties the buffer but keeps the block for the next read. */
    assert_int_equal(kv_get_into(kv, "p/missing", &buf), SIREN_ENOTFOUND);
    assert_int_equal(buf.len, 0);
    assert_ptr_equal(buf.data, block);
    assert_int_equal(kv_get_into(kv, "bad//key", &buf), SIREN_EINVAL);
    kv_buf_free(&buf);
    assert_null(buf.data);
    assert_int_equal(buf.cap, 0);
    kv_buf_free(NULL);
    free(data);
    kv_close(kv);
}

static void test_kv_get_into_finds_a_torn_object(void **state)
{
    struct kv *kv = open_store(*state);
    uint8_t data[5000];
    tu_fill_pattern(data, sizeof data, 2);
    assert_int_equal(kv_put(kv, "t/obj", data, sizeof data), SIREN_OK);
    char path[1200];
    snprintf(path, sizeof path, "%s/store/t/obj", (const char *)*state);
    /* Flip one payload byte in place, as a torn or corrupted file would have it. */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, KV_FRAME_HEADER_BYTES + 1234, SEEK_SET), 0);
    assert_int_equal(fputc(data[1234] ^ 0x01, f), data[1234] ^ 0x01);
    assert_int_equal(fclose(f), 0);
    struct kv_buf buf = {0};
    assert_int_equal(kv_get_into(kv, "t/obj", &buf), SIREN_ECHECKSUM);
    assert_int_equal(buf.len, 0);
    assert_non_null(strstr(kv_errmsg(kv), "t/obj"));
    kv_buf_free(&buf);
    kv_close(kv);
}

/* Reads a store file whole (the stored bytes, header included). */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_kv_put_iov_stores_the_bytes_put_would_and_get_iov_reads_them(void **state)
{
    struct kv *kv = open_store(*state);
    /* Pieces whose joins fall inside hash blocks, and an empty one. */
    size_t lens[4] = {32, 246824, 0, 246824 + 1000};
    size_t total = lens[0] + lens[1] + lens[2] + lens[3];
    uint8_t *whole = malloc(total);
    assert_non_null(whole);
    tu_fill_pattern(whole, total, 4);
    struct kv_iov iov[4];
    for (size_t i = 0, at = 0; i < 4; at += lens[i], i++) iov[i] = (struct kv_iov){whole + at, lens[i]};
    assert_true(kv_hash64_iov(iov, 4) == kv_hash64(whole, total));
    assert_int_equal(kv_put(kv, "o/whole", whole, total), SIREN_OK);
    assert_int_equal(kv_put_iov(kv, "o/pieces", iov, 4), SIREN_OK);
    /* The same file, byte for byte: readers of either kind (and older builds) see one format. */
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/store/o/whole", (const char *)*state);
    snprintf(b, sizeof b, "%s/store/o/pieces", (const char *)*state);
    size_t la, lb;
    uint8_t *fa = read_file(a, &la), *fb = read_file(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(fa, fb, la);
    free(fa);
    free(fb);
    /* Read back into other pieces of the same lengths. */
    uint8_t *back = calloc(1, total);
    assert_non_null(back);
    struct kv_iov into[4];
    for (size_t i = 0, at = 0; i < 4; at += lens[i], i++) into[i] = (struct kv_iov){back + at, lens[i]};
    struct kv_stats before, after;
    kv_stats_get(kv, &before);
    assert_int_equal(kv_get_iov(kv, "o/whole", into, 4), SIREN_OK);
    assert_memory_equal(back, whole, total);
    kv_stats_get(kv, &after);
    assert_int_equal(after.gets, before.gets + 1);
    assert_int_equal(after.bytes_out, before.bytes_out + total);
    /* Pieces of another total length: SIREN_ERANGE, and nothing written into them. */
    memset(back, 0x5a, total);
    into[3].len -= 1;
    assert_int_equal(kv_get_iov(kv, "o/whole", into, 4), SIREN_ERANGE);
    for (size_t i = 0; i < total; i++) assert_int_equal(back[i], 0x5a);
    assert_int_equal(kv_get_iov(kv, "o/missing", into, 4), SIREN_ENOTFOUND);
    free(back);
    free(whole);
    kv_close(kv);
}

static void test_kv_file_delete_of_a_large_object_is_immediate_and_reaped_by_close(void **state)
{
    struct kv *kv = open_store(*state);
    size_t big = 1 << 20;
    uint8_t *data = malloc(big);
    assert_non_null(data);
    tu_fill_pattern(data, big, 3);
    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "v/e1/v%08d", i);
        assert_int_equal(kv_put(kv, key, data, big), SIREN_OK);
    }
    assert_int_equal(kv_put(kv, "v/e1/small", "tiny", 4), SIREN_OK);
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "v/e1/v%08d", i);
        assert_int_equal(kv_delete(kv, key), SIREN_OK);
        /* Gone at once: neither readable nor listed, and a second delete misses. */
        struct kv_value v;
        assert_int_equal(kv_get(kv, key, &v), SIREN_ENOTFOUND);
        assert_int_equal(kv_delete(kv, key), SIREN_ENOTFOUND);
    }
    assert_int_equal(kv_delete(kv, "v/e1/small"), SIREN_OK);
    struct kv_keys keys;
    assert_int_equal(kv_list(kv, "v/", &keys), SIREN_OK);
    assert_int_equal(keys.count, 0);
    kv_keys_free(&keys);
    /* A key deleted and put again reads as the new object. */
    assert_int_equal(kv_put(kv, "v/e1/v00000003", "new", 3), SIREN_OK);
    struct kv_value v;
    assert_int_equal(kv_get(kv, "v/e1/v00000003", &v), SIREN_OK);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.data, "new", 3);
    kv_value_free(&v);
    /* Deleting a prefix (a directory here) is a miss, not a removal. */
    assert_int_equal(kv_delete(kv, "v/e1"), SIREN_ENOTFOUND);
    kv_close(kv);
    /* Closing the store waited for its unlinks: no hidden object is left behind. */
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/store/v/e1", (const char *)*state);
    assert_int_equal(count_entries(dir, ".del."), 0);
    assert_int_equal(count_entries(dir, "v"), 1);
    free(data);
}

static void test_kv_hash64_values_are_pinned(void **state)
{
    (void)state;
    /* Values of the first implementation; objects on disk carry them in their headers. */
    static const struct {
        size_t len;
        uint64_t hash;
    } want[] = {
        {0, 0xc39eeeee8ebef1c3ULL},      {1, 0xcbe97f210b1c936dULL},
        {63, 0x5c962b9f5787c65aULL},     {64, 0x0fbb74aa2d849586ULL},
        {65, 0x72e9b15cc63137dcULL},     {1023, 0xc80ad9083ac2e1c2ULL},
        {1024, 0xb3022b490f7c23d2ULL},   {1025, 0xa7b444e6c968ba8bULL},
        {4096, 0x0f6559bbab76e6c7ULL},   {5000, 0x803e29afe8be1b02ULL},
        {262144, 0x731479893b09024eULL}, {740504, 0xe941c6e3bae72106ULL},
    };
    uint8_t *data = malloc(740504);
    assert_non_null(data);
    tu_fill_pattern(data, 740504, 42);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_true(kv_hash64(data, want[i].len) == want[i].hash);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kv_get_into_reads_what_get_reads_and_keeps_its_buffer,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv_get_into_finds_a_torn_object, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kv_put_iov_stores_the_bytes_put_would_and_get_iov_reads_them, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kv_file_delete_of_a_large_object_is_immediate_and_reaped_by_close, setup,
            teardown),
        cmocka_unit_test(test_kv_hash64_values_are_pinned),
    };
    return cmocka_run_group_tests_name("kv file backend", tests, NULL, NULL);
}

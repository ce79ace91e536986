/*
 * The framing is kv.c's, whatever the backend: an in-memory backend registered here with
 * kv_register() does no framing and no checking of its own (it keeps the stored bytes it is
 * handed), and still every torn, truncated or foreign object it returns is an error naming the
 * key, on every read path (kv_get, kv_get_into, kv_get_iov). The backend comes in both styles
 * the backend table allows: "memwhole" hands its objects over whole (in memory on a get, in
 * kv.c's buffer on a put: no write_open), "memparts" moves them through read_at / write_at.
 * The bytes it stores are the bytes the file store writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kv.h"
#include "testutil.h"

/* ------------------------------------------------------------ the test backend */

#define MEM_MAX_OBJECTS 8

struct mem_object {
    char key[64];
    uint8_t *bytes; /* stored bytes: header + payload, exactly as kv.c handed them over */
    size_t len;
};

/* One store for both schemes (the tests open one at a time); the tests reach into it to
 * damage objects behind kv's back. */
static struct {
    struct mem_object obj[MEM_MAX_OBJECTS];
    int n;
    int parts;              /* 1: the store opened as memparts (read_at / write_at) */
    int opened, closed;     /* read_open and write_open calls; the read_close and write_end
                             * calls that ended them */
    uint64_t fail_write_at; /* memparts: write_at fails at this stored offset (0: never) */
} mem;

static struct mem_object *mem_find(const char *key)
{
    for (int i = 0; i < mem.n; i++)
        if (!strcmp(mem.obj[i].key, key)) return &mem.obj[i];
    return NULL;
}

static int mem_open(const char *url, void **state, struct err *e)
{
    (void)e;
    mem.parts = !strncmp(url, "memparts:", 9);
    *state = &mem;
    return SIREN_OK;
}

static void mem_close(void *state) { (void)state; }

static int mem_list(void *state, const char *prefix, struct kv_keys *out, struct err *e)
{
    (void)state, (void)prefix, (void)out, (void)e;
    return SIREN_OK;
}

static int mem_del(void *state, const char *key, struct err *e)
{
    (void)state;
    return err_set(e, SIREN_EUNSUPPORTED, "key '%s': no deletes here", key);
}

static int mem_read_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    (void)state;
    struct mem_object *o = mem_find(key);
    if (!o) return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
    mem.opened++;
    raw->len = o->len;
    raw->data = mem.parts ? NULL : o->bytes;
    raw->handle = o;
    return SIREN_OK;
}

static int mem_read_at(void *state, const char *key, const struct kv_raw *raw, uint64_t off,
                       const struct kv_iov *iov, int n, struct err *e)
{
    (void)state;
    const struct mem_object *o = raw->handle;
    for (int i = 0; i < n; off += iov[i].len, i++) {
        if (off + iov[i].len > o->len) return err_set(e, SIREN_EIO, "key '%s': short read", key);
        memcpy(iov[i].base, o->bytes + off, iov[i].len);
    }
    return SIREN_OK;
}

static void mem_read_close(void *state, struct kv_raw *raw)
{
    (void)state, (void)raw;
    mem.closed++;
}

/* memparts only: memwhole has no write_open, so kv.c gathers each object in its own buffer. */
static int mem_write_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    (void)state;
    /* The new bytes live apart from any old object until the commit, as a put must. */
    uint8_t *bytes = malloc((size_t)raw->len);
    if (!bytes) return err_set(e, SIREN_ENOMEM, "key '%s': out of memory", key);
    mem.opened++;
    raw->data = NULL;
    raw->handle = bytes;
    return SIREN_OK;
}

static int mem_write_at(void *state, const char *key, const struct kv_raw *raw, uint64_t off,
                        const struct kv_iov *iov, int n, struct err *e)
{
    (void)state;
    uint8_t *bytes = raw->handle;
    for (int i = 0; i < n; off += iov[i].len, i++) {
        if (mem.fail_write_at && off == mem.fail_write_at)
            return err_set(e, SIREN_EIO, "key '%s': injected write failure", key);
        if (off + iov[i].len > raw->len) return err_set(e, SIREN_EIO, "key '%s': overrun", key);
        memcpy(bytes + off, iov[i].base, iov[i].len);
    }
    return SIREN_OK;
}

static int mem_write_end(void *state, const char *key, struct kv_raw *raw, int commit,
                         struct err *e)
{
    (void)state;
    uint8_t *bytes = raw->handle; /* memparts: from mem_write_open; memwhole: none */
    if (bytes) mem.closed++;
    if (!commit) {
        free(bytes);
        return SIREN_OK;
    }
    if (!bytes) { /* memwhole: raw->data is kv.c's buffer, kept only until we return */
        if (!(bytes = malloc((size_t)raw->len)))
            return err_set(e, SIREN_ENOMEM, "key '%s': out of memory", key);
        memcpy(bytes, raw->data, (size_t)raw->len);
    }
    struct mem_object *o = mem_find(key);
    if (!o) {
        if (mem.n == MEM_MAX_OBJECTS) {
            free(bytes);
            return err_set(e, SIREN_ELIMIT, "key '%s': store full", key);
        }
        o = &mem.obj[mem.n++];
        snprintf(o->key, sizeof o->key, "%s", key);
    }
    free(o->bytes);
    o->bytes = bytes;
    o->len = (size_t)raw->len;
    return SIREN_OK;
}

static const struct kv_ops mem_whole_ops = {
    .scheme = "memwhole",
    .open = mem_open,
    .close = mem_close,
    .list = mem_list,
    .del = mem_del,
    .read_open = mem_read_open,
    .read_close = mem_read_close,
    .write_end = mem_write_end,
};

static const struct kv_ops mem_parts_ops = {
    .scheme = "memparts",
    .open = mem_open,
    .close = mem_close,
    .list = mem_list,
    .del = mem_del,
    .read_open = mem_read_open,
    .read_at = mem_read_at,
    .read_close = mem_read_close,
    .write_open = mem_write_open,
    .write_at = mem_write_at,
    .write_end = mem_write_end,
};

static void mem_reset(void)
{
    for (int i = 0; i < mem.n; i++) free(mem.obj[i].bytes);
    memset(&mem, 0, sizeof mem);
}

static int teardown(void **state)
{
    (void)state;
    mem_reset();
    return 0;
}

static struct kv *open_mem(const char *scheme)
{
    char url[64];
    snprintf(url, sizeof url, "%s:test", scheme);
    struct kv *kv = NULL;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    return kv;
}

/* ----------------------------------------------------------------------- tests */

static const char *const schemes[] = {"memwhole", "memparts"};

/* Damages the stored object behind kv's back: 0 flips a payload byte, 1 cuts the last 100
 * bytes, 2 replaces it with foreign bytes, 3 flips a header byte, 4 empties it, 5 appends a
 * byte. */
static void damage(const char *key, int mode)
{
    struct mem_object *o = mem_find(key);
    assert_non_null(o);
    assert_true(o->len > KV_FRAME_HEADER_BYTES + 100);
    if (mode == 0) o->bytes[o->len - 10] ^= 0x01;
    if (mode == 1) o->len -= 100;
    if (mode == 2) {
        memcpy(o->bytes, "hello world", 11);
        o->len = 11;
    }
    if (mode == 3) o->bytes[20] ^= 0x40;
    if (mode == 4) o->len = 0;
    if (mode == 5) {
        uint8_t *grown = realloc(o->bytes, o->len + 1);
        assert_non_null(grown);
        grown[o->len++] = 0x2a;
        o->bytes = grown;
    }
}

static void test_kv_torn_object_from_a_backend_that_does_no_framing_is_an_error_naming_the_key(
    void **state)
{
    (void)state;
    static const int want[] = {SIREN_ECHECKSUM, SIREN_ECHECKSUM, SIREN_EFORMAT,
                               SIREN_ECHECKSUM, SIREN_ECHECKSUM, SIREN_ECHECKSUM};
    uint8_t data[3000], back[3000];
    tu_fill_pattern(data, sizeof data, 11);
    struct kv_iov pieces[2] = {{back, 1000}, {back + 1000, 2000}};
    for (size_t s = 0; s < 2; s++) {
        struct kv *kv = open_mem(schemes[s]);
        for (int mode = 0; mode < 6; mode++) {
            for (int path = 0; path < 3; path++) {
                assert_int_equal(kv_put(kv, "grad/w17", data, sizeof data), SIREN_OK);
                damage("grad/w17", mode);
                int rc;
                struct kv_value v = {(uint8_t *)"x", 1};
                struct kv_buf buf = {0};
                if (path == 0) {
                    rc = kv_get(kv, "grad/w17", &v);
                    assert_null(v.data);
                } else if (path == 1) {
                    rc = kv_get_into(kv, "grad/w17", &buf);
                    assert_int_equal(buf.len, 0);
                    kv_buf_free(&buf);
                } else {
                    rc = kv_get_iov(kv, "grad/w17", pieces, 2);
                }
                assert_int_equal(rc, want[mode]);
                assert_non_null(strstr(kv_errmsg(kv), "key 'grad/w17'"));
                assert_int_equal(kv_errcode(kv), want[mode]);
            }
        }
        /* Every object the backend opened was released exactly once. */
        assert_int_equal(mem.opened, mem.closed);
        kv_close(kv);
    }
}

static void test_kv_objects_round_trip_through_both_backend_styles(void **state)
{
    (void)state;
    /* Several 256 KiB chunks, a partial one, and pieces whose joins fall inside hash blocks. */
    size_t len = 700001;
    uint8_t *data = malloc(len), *back = malloc(len);
    assert_non_null(data);
    assert_non_null(back);
    tu_fill_pattern(data, len, 12);
    struct kv_iov put_pieces[3] = {{data, 33}, {data + 33, 0}, {data + 33, len - 33}};
    for (size_t s = 0; s < 2; s++) {
        struct kv *kv = open_mem(schemes[s]);
        assert_int_equal(kv_put(kv, "a/whole", data, len), SIREN_OK);
        assert_int_equal(kv_put_iov(kv, "a/pieces", put_pieces, 3), SIREN_OK);
        assert_int_equal(kv_put(kv, "a/empty", NULL, 0), SIREN_OK);
        struct kv_value v;
        assert_int_equal(kv_get(kv, "a/pieces", &v), SIREN_OK);
        assert_int_equal(v.len, len);
        assert_memory_equal(v.data, data, len);
        assert_int_equal(v.data[len], '\0');
        kv_value_free(&v);
        struct kv_buf buf = {0};
        assert_int_equal(kv_get_into(kv, "a/whole", &buf), SIREN_OK);
        assert_int_equal(buf.len, len);
        assert_memory_equal(buf.data, data, len);
        assert_int_equal(kv_get_into(kv, "a/empty", &buf), SIREN_OK);
        assert_int_equal(buf.len, 0);
        assert_int_equal(buf.data[0], '\0');
        kv_buf_free(&buf);
        memset(back, 0, len);
        struct kv_iov get_pieces[3] = {{back, 5000}, {back + 5000, 0}, {back + 5000, len - 5000}};
        assert_int_equal(kv_get_iov(kv, "a/whole", get_pieces, 3), SIREN_OK);
        assert_memory_equal(back, data, len);
        get_pieces[2].len--;
        assert_int_equal(kv_get_iov(kv, "a/whole", get_pieces, 3), SIREN_ERANGE);
        assert_non_null(strstr(kv_errmsg(kv), "key 'a/whole'"));
        assert_int_equal(kv_get(kv, "a/missing", &v), SIREN_ENOTFOUND);
        assert_int_equal(mem.opened, mem.closed);
        kv_close(kv);
        mem_reset();
    }
    free(data);
    free(back);
}

static void test_kv_backend_stores_the_bytes_the_file_store_writes(void **state)
{
    (void)state;
    size_t len = 300000;
    uint8_t *data = malloc(len);
    assert_non_null(data);
    tu_fill_pattern(data, len, 13);
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char url[1100], path[1200];
    snprintf(url, sizeof url, "file:%s", dir);
    snprintf(path, sizeof path, "%s/o/x", dir);
    struct kv *fkv = NULL;
    struct err e;
    assert_int_equal(kv_open(url, &fkv, &e), SIREN_OK);
    assert_int_equal(kv_put(fkv, "o/x", data, len), SIREN_OK);
    kv_close(fkv);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *file = malloc(len + KV_FRAME_HEADER_BYTES + 1);
    assert_non_null(file);
    size_t stored = len + KV_FRAME_HEADER_BYTES;
    assert_int_equal(fread(file, 1, stored + 1, f), stored);
    fclose(f);
    /* The header as kv.h lays it out, then the payload. */
    assert_memory_equal(file, "SIRENKV\n", 8);
    assert_int_equal(file[16] | file[17] << 8 | file[18] << 16, len);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | file[24 + i];
    assert_true(h == kv_hash64(data, len));
    assert_memory_equal(file + KV_FRAME_HEADER_BYTES, data, len);
    for (size_t s = 0; s < 2; s++) {
        struct kv *kv = open_mem(schemes[s]);
        struct kv_iov pieces[2] = {{data, 1}, {data + 1, len - 1}};
        assert_int_equal(kv_put_iov(kv, "o/x", pieces, 2), SIREN_OK);
        const struct mem_object *o = mem_find("o/x");
        assert_non_null(o);
        assert_int_equal(o->len, len + KV_FRAME_HEADER_BYTES);
        assert_memory_equal(o->bytes, file, o->len);
        kv_close(kv);
        mem_reset();
    }
    free(file);
    free(data);
    tu_rm_rf(dir);
    free(dir);
}

static void test_kv_failed_write_is_dropped_and_the_old_object_stays(void **state)
{
    (void)state;
    uint8_t old[600], data[600000];
    tu_fill_pattern(old, sizeof old, 14);
    tu_fill_pattern(data, sizeof data, 15);
    struct kv *kv = open_mem("memparts");
    assert_int_equal(kv_put(kv, "w/x", old, sizeof old), SIREN_OK);
    /* The second payload chunk fails: the put is an error, the backend was told to drop it. */
    mem.fail_write_at = KV_FRAME_HEADER_BYTES + ((size_t)256 << 10);
    assert_int_equal(kv_put(kv, "w/x", data, sizeof data), SIREN_EIO);
    assert_non_null(strstr(kv_errmsg(kv), "injected write failure"));
    assert_int_equal(mem.opened, mem.closed);
    mem.fail_write_at = 0;
    struct kv_value v;
    assert_int_equal(kv_get(kv, "w/x", &v), SIREN_OK);
    assert_int_equal(v.len, sizeof old);
    assert_memory_equal(v.data, old, sizeof old);
    kv_value_free(&v);
    kv_close(kv);
}

int main(void)
{
    if (kv_register(&mem_whole_ops) != SIREN_OK || kv_register(&mem_parts_ops) != SIREN_OK) {
        fprintf(stderr, "cannot register the test backends\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(
            test_kv_torn_object_from_a_backend_that_does_no_framing_is_an_error_naming_the_key,
            teardown),
        cmocka_unit_test_teardown(test_kv_objects_round_trip_through_both_backend_styles,
                                  teardown),
        cmocka_unit_test_teardown(test_kv_backend_stores_the_bytes_the_file_store_writes,
                                  teardown),
        cmocka_unit_test_teardown(test_kv_failed_write_is_dropped_and_the_old_object_stays,
                                  teardown),
    };
    return cmocka_run_group_tests_name("kv framing over any backend", tests, NULL, NULL);
}

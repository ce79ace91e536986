/*
 * The KV interface suite every backend passes (tests/kv for file: and redis://, tests/s3 for
 * s3://): round trips of binary, empty and 4 MiB objects, last writer wins, missing keys, sorted
 * listing under a prefix, deletion, and the request counters of each. An includer's fixture
 * starts with a struct kv_suite_fx, and its set-up opens fx->kv on a fresh, empty store.
 * Backend-specific checks (corruption, kill -9 during puts, key encodings) stay beside it.
 */
#ifndef SIREN_KV_SUITE_H
#define SIREN_KV_SUITE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

struct kv_suite_fx {
    struct kv *kv;
    char url[4200];
};

static void fill_pattern(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

static void assert_get_equals(struct kv *kv, const char *key, const void *data, size_t len)
{
    struct kv_value v;
    int rc = kv_get(kv, key, &v);
    if (rc) fprintf(stderr, "kv_get %s: %s\n", key, kv_errmsg(kv));
    assert_int_equal(rc, SIREN_OK);
    assert_int_equal(v.len, len);
    assert_non_null(v.data);
    assert_int_equal(v.data[len], 0);
    if (len) assert_memory_equal(v.data, data, len);
    kv_value_free(&v);
}

static void kv_suite_put_get_round_trips_binary_empty_and_large(void **state)
{
    struct kv_suite_fx *fx = *state;
    const uint8_t nuls[] = {0, 1, 0, 0, 255, 0, 'a', 0};
    size_t big_len = 4u << 20;
    uint8_t *big = malloc(big_len);
    assert_non_null(big);
    fill_pattern(big, big_len, 7);
    assert_int_equal(kv_put(fx->kv, "bin/nuls", nuls, sizeof nuls), SIREN_OK);
    assert_int_equal(kv_put(fx->kv, "bin/empty", NULL, 0), SIREN_OK);
    assert_int_equal(kv_put(fx->kv, "bin/big-4MiB", big, big_len), SIREN_OK);
    assert_get_equals(fx->kv, "bin/nuls", nuls, sizeof nuls);
    assert_get_equals(fx->kv, "bin/empty", "", 0);
    assert_get_equals(fx->kv, "bin/big-4MiB", big, big_len);
    struct kv_stats st;
    kv_stats_get(fx->kv, &st);
    assert_int_equal(st.puts, 3);
    assert_int_equal(st.gets, 3);
    assert_int_equal(st.bytes_in, sizeof nuls + big_len);
    assert_int_equal(st.bytes_out, sizeof nuls + big_len);
    assert_int_equal(st.lists, 0);
    assert_int_equal(st.deletes, 0);
    assert_string_equal(kv_errmsg(fx->kv), "");
    free(big);
}

static void kv_suite_put_overwrites_last_writer_wins(void **state)
{
    struct kv_suite_fx *fx = *state;
    assert_int_equal(kv_put(fx->kv, "p/v", "first version", 13), SIREN_OK);
    assert_int_equal(kv_put(fx->kv, "p/v", "second", 6), SIREN_OK);
    assert_get_equals(fx->kv, "p/v", "second", 6);
}

static void kv_suite_get_missing_key_returns_not_found(void **state)
{
    struct kv_suite_fx *fx = *state;
    struct kv_value v = {(uint8_t *)1, 5};
    assert_int_equal(kv_get(fx->kv, "no/such-key", &v), SIREN_ENOTFOUND);
    assert_null(v.data);
    assert_int_equal(v.len, 0);
    assert_int_equal(kv_errcode(fx->kv), SIREN_ENOTFOUND);
    assert_non_null(strstr(kv_errmsg(fx->kv), "no/such-key"));
    assert_non_null(strstr(kv_errmsg(fx->kv), fx->url));
    struct kv_stats st;
    kv_stats_get(fx->kv, &st);
    assert_int_equal(st.gets, 1); /* a missing key is still a request */
    assert_int_equal(st.bytes_out, 0);
}

static void kv_suite_list_returns_sorted_keys_under_prefix(void **state)
{
    struct kv_suite_fx *fx = *state;
    const char *keys[] = {"job/b", "job/a", "job/a2/x", "jobx", "other/k", "job/a2/y/z"};
    for (size_t i = 0; i < 6; i++) assert_int_equal(kv_put(fx->kv, keys[i], "x", 1), SIREN_OK);
    struct kv_keys k;
    assert_int_equal(kv_list(fx->kv, "job/", &k), SIREN_OK);
    assert_int_equal(k.count, 4);
    assert_string_equal(k.keys[0], "job/a");
    assert_string_equal(k.keys[1], "job/a2/x");
    assert_string_equal(k.keys[2], "job/a2/y/z");
    assert_string_equal(k.keys[3], "job/b");
    kv_keys_free(&k);
    assert_int_equal(kv_list(fx->kv, "job", &k), SIREN_OK);
    assert_int_equal(k.count, 5);
    assert_string_equal(k.keys[4], "jobx");
    kv_keys_free(&k);
    assert_int_equal(kv_list(fx->kv, "job/a", &k), SIREN_OK);
    assert_int_equal(k.count, 3);
    kv_keys_free(&k);
    assert_int_equal(kv_list(fx->kv, "", &k), SIREN_OK);
    assert_int_equal(k.count, 6);
    assert_string_equal(k.keys[0], "job/a");
    assert_string_equal(k.keys[5], "other/k");
    kv_keys_free(&k);
    assert_int_equal(kv_list(fx->kv, "nothing/", &k), SIREN_OK);
    assert_int_equal(k.count, 0);
    kv_keys_free(&k);
    assert_int_equal(kv_list(fx->kv, "../", &k), SIREN_EINVAL);
    struct kv_stats st;
    kv_stats_get(fx->kv, &st);
    assert_int_equal(st.lists, 5); /* the rejected prefix never reached the backend */
}

static void kv_suite_delete_removes_and_second_delete_is_not_found(void **state)
{
    struct kv_suite_fx *fx = *state;
    assert_int_equal(kv_put(fx->kv, "d/k", "abc", 3), SIREN_OK);
    assert_int_equal(kv_delete(fx->kv, "d/k"), SIREN_OK);
    struct kv_value v;
    assert_int_equal(kv_get(fx->kv, "d/k", &v), SIREN_ENOTFOUND);
    assert_int_equal(kv_delete(fx->kv, "d/k"), SIREN_ENOTFOUND);
    struct kv_keys k;
    assert_int_equal(kv_list(fx->kv, "d/", &k), SIREN_OK);
    assert_int_equal(k.count, 0);
    kv_keys_free(&k);
}

#define KV_SUITE_TESTS(setup, teardown, fx)                                                      \
    cmocka_unit_test_prestate_setup_teardown(kv_suite_put_get_round_trips_binary_empty_and_large, \
                                             setup, teardown, fx),                                \
        cmocka_unit_test_prestate_setup_teardown(kv_suite_put_overwrites_last_writer_wins, setup, \
                                                 teardown, fx),                                   \
        cmocka_unit_test_prestate_setup_teardown(kv_suite_get_missing_key_returns_not_found,      \
                                                 setup, teardown, fx),                            \
        cmocka_unit_test_prestate_setup_teardown(kv_suite_list_returns_sorted_keys_under_prefix,  \
                                                 setup, teardown, fx),                            \
        cmocka_unit_test_prestate_setup_teardown(                                                 \
            kv_suite_delete_removes_and_second_delete_is_not_found, setup, teardown, fx)

#endif

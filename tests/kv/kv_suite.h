/*
 * The KV interface suite every backend passes (tests/kv for file: and redis://, tests/s3 for
 * s3://): round trips of binary, empty and 4 MiB objects, last writer wins, missing keys, sorted
 * listing under a prefix, deletion, the request counters of each, keys that must be rejected
 * (path escapes, control characters, over-long keys: SIREN_EINVAL, no request, nothing created
 * in or around the store), and kill -9 during puts. An includer's fixture
 * starts with a struct kv_suite_fx, and its set-up opens fx->kv on a fresh, empty store.
 * Backend-specific checks (corruption, key encodings, failures) stay beside it.
 */
#ifndef SIREN_KV_SUITE_H
#define SIREN_KV_SUITE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kv.h"
#include "testutil.h"

struct kv_suite_fx {
    struct kv *kv;
    char url[4200];
    const char *name;    /* backend, for messages */
    int torn_kills;      /* kill -9s in the torn-write test */
    double torn_window_s; /* longest a writer runs before it is killed */
    /* Optional (NULL: not checked): everything in the storage around the store, counted raw
     * and behind the backend's back, including what no listing shows (hidden files, entries
     * beside the store's directory, other prefixes of the bucket, every Redis key), plus any
     * entry named KV_SUITE_MARKER where an escaping key would land; -1 if it cannot count. */
    long (*raw_entries)(struct kv_suite_fx *fx);
};

/* The name every rejected key in the bad-key test tries to reach. */
#define KV_SUITE_MARKER "siren-kv-escape-marker"

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
    tu_fill_pattern(big, big_len, 7);
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

/* Keys that must be rejected (SIREN_EINVAL) before any backend sees them: path escapes, absolute
 * paths, '.' segments and hidden names, empty segments, control characters, bytes outside the
 * key alphabet, and lengths past the limits. Each one aims at KV_SUITE_MARKER. */
#define KV_SUITE_M KV_SUITE_MARKER
static const char *const kv_suite_bad_keys[] = {
    /* path escapes and absolute paths */
    "../" KV_SUITE_M, "../../" KV_SUITE_M, "../../../../../../../../tmp/" KV_SUITE_M,
    "/" KV_SUITE_M, "/tmp/" KV_SUITE_M, "a/../" KV_SUITE_M, "a/../../" KV_SUITE_M,
    "a/b/../../../" KV_SUITE_M, "..", ".", "~/" KV_SUITE_M,
    /* '.' segments, hidden names (the file backend's temporary files among them) */
    "./" KV_SUITE_M, "a/./" KV_SUITE_M, "." KV_SUITE_M, "a/." KV_SUITE_M, "a/.tmp.1",
    /* empty keys and segments */
    "", "/", "a//" KV_SUITE_M, KV_SUITE_M "/",
    /* other separators, control characters, bytes outside ASCII, shell and URL syntax */
    "a\\..\\" KV_SUITE_M, "..\\" KV_SUITE_M, "a/" KV_SUITE_M "\n", KV_SUITE_M "\r",
    "\t" KV_SUITE_M, KV_SUITE_M "\x01", KV_SUITE_M "\x1b[31m", KV_SUITE_M "\x7f",
    KV_SUITE_M "\xc3\xa4", KV_SUITE_M "\xff", KV_SUITE_M " x", KV_SUITE_M "*",
    KV_SUITE_M "?", KV_SUITE_M "[a]", KV_SUITE_M "%2e%2e", "%2e%2e/" KV_SUITE_M,
    KV_SUITE_M ":x", KV_SUITE_M ";x", KV_SUITE_M "\"x",
};
#undef KV_SUITE_M

static void kv_suite_bad_keys_are_einval_and_create_nothing(void **state)
{
    struct kv_suite_fx *fx = *state;
    long raw_before = fx->raw_entries ? fx->raw_entries(fx) : -1;
    /* Past the limits: 1,025 bytes in short segments, and one segment of 256 bytes. */
    char too_long[KV_KEY_MAX_BYTES + 2], long_segment[KV_KEY_SEGMENT_MAX_BYTES + 8];
    memset(too_long, 'k', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    for (size_t i = 100; i < KV_KEY_MAX_BYTES; i += 101) too_long[i] = '/';
    memcpy(long_segment, "a/", 2);
    memset(long_segment + 2, 's', KV_KEY_SEGMENT_MAX_BYTES + 1);
    long_segment[KV_KEY_SEGMENT_MAX_BYTES + 3] = '\0';
    size_t n_listed = sizeof kv_suite_bad_keys / sizeof *kv_suite_bad_keys;
    for (size_t i = 0; i < n_listed + 2; i++) {
        const char *key = i < n_listed ? kv_suite_bad_keys[i] : i == n_listed ? too_long
                                                                              : long_segment;
        struct kv_value v = {(uint8_t *)1, 7};
        int rc = kv_put(fx->kv, key, "escaped", 7);
        if (rc != SIREN_EINVAL) fprintf(stderr, "%s: bad key #%zu accepted by put\n", fx->name, i);
        assert_int_equal(rc, SIREN_EINVAL);
        assert_int_equal(kv_errcode(fx->kv), SIREN_EINVAL);
        /* The message names the store and the key (bytes outside ASCII shown escaped). */
        assert_non_null(strstr(kv_errmsg(fx->kv), fx->url));
        assert_non_null(strstr(kv_errmsg(fx->kv), "key"));
        assert_int_equal(kv_get(fx->kv, key, &v), SIREN_EINVAL);
        assert_null(v.data);
        assert_int_equal(v.len, 0);
        assert_int_equal(kv_delete(fx->kv, key), SIREN_EINVAL);
        assert_int_equal(kv_errcode(fx->kv), SIREN_EINVAL);
    }
    /* A NUL inside a key that arrives with its length (JSON, the network) is rejected too. */
    struct err e;
    assert_int_equal(
        kv_key_check("a\0/../" KV_SUITE_MARKER, sizeof("a\0/../" KV_SUITE_MARKER) - 1, &e),
        SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "NUL byte at byte 1"));
    /* Prefixes follow the same rules (a partial last segment and a trailing '/' aside). */
    const char *bad_prefixes[] = {"../", "..", "/", "/tmp", "a//", "a/../", ".x", "a/.",
                                  "a\n",  "a b", "a*"};
    for (size_t i = 0; i < sizeof bad_prefixes / sizeof *bad_prefixes; i++) {
        struct kv_keys k = {(char **)1, 3};
        assert_int_equal(kv_list(fx->kv, bad_prefixes[i], &k), SIREN_EINVAL);
        assert_int_equal(kv_errcode(fx->kv), SIREN_EINVAL);
        assert_null(k.keys);
        assert_int_equal(k.count, 0);
    }
    /* Not one request reached the backend... */
    struct kv_stats st;
    kv_stats_get(fx->kv, &st);
    assert_int_equal(st.puts + st.gets + st.deletes + st.lists, 0);
    assert_int_equal(st.bytes_in + st.bytes_out, 0);
    /* ...so the store is as empty as it started, and so is everything around it. */
    struct kv_keys k;
    assert_int_equal(kv_list(fx->kv, "", &k), SIREN_OK);
    assert_int_equal(k.count, 0);
    kv_keys_free(&k);
    if (fx->raw_entries) {
        long raw_after = fx->raw_entries(fx);
        assert_true(raw_before >= 0);
        assert_int_equal(raw_after, raw_before);
    }
    /* The limits themselves are legal: the rules reject only what they must. A key of
     * exactly KV_KEY_MAX_BYTES is only checked (an S3 store's prefix could push it past S3's
     * own limit); the longest segment is stored. */
    too_long[KV_KEY_MAX_BYTES] = '\0';
    assert_int_equal(kv_key_check(too_long, KV_KEY_MAX_BYTES, &e), SIREN_OK);
    long_segment[KV_KEY_SEGMENT_MAX_BYTES + 2] = '\0';
    assert_int_equal(kv_put(fx->kv, long_segment, "ok", 2), SIREN_OK);
    assert_get_equals(fx->kv, long_segment, "ok", 2);
    assert_int_equal(kv_delete(fx->kv, long_segment), SIREN_OK);
}

/* The torn-write test: a child process overwrites one object with two alternating contents
 * while this process reads it, then is killed at a random moment, fx->torn_kills times
 * ($SIREN_KV_TORN_ITERATIONS overrides); every read, during and after, is one whole version, and
 * no temporary object of a killed writer ever shows in a listing. */
static void kv_suite_killed_writer_never_leaves_a_torn_object(void **state)
{
    struct kv_suite_fx *fx = *state;
    const char *env = getenv("SIREN_KV_TORN_ITERATIONS");
    int iterations = env && atoi(env) > 0 ? atoi(env) : fx->torn_kills;
    size_t len = 2u << 20;
    uint8_t *a = malloc(len), *b = malloc(len);
    assert_non_null(a);
    assert_non_null(b);
    tu_fill_pattern(a, len, 11);
    tu_fill_pattern(b, len, 12);
    uint64_t x = 0x5eed;
    long reads = 0, found_a = 0, found_b = 0;
    /* The object exists from the start: an overwrite must never make it disappear. */
    assert_int_equal(kv_put(fx->kv, "torn/obj", a, len), SIREN_OK);
    for (int it = 0; it < iterations; it++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            struct kv *kv;
            struct err e;
            if (kv_open(fx->url, &kv, &e) != SIREN_OK) _exit(3);
            for (unsigned n = 0;; n++)
                if (kv_put(kv, "torn/obj", n % 2 ? b : a, len) != SIREN_OK) _exit(4);
        }
        /* Read while the writer runs for a random part of the window, then kill it. */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double until = clock_mono_s() + fx->torn_window_s * (double)(x % 1000) / 1000.0;
        do {
            struct kv_value v;
            int rc = kv_get(fx->kv, "torn/obj", &v);
            if (rc) fprintf(stderr, "iteration %d: %s\n", it, kv_errmsg(fx->kv));
            assert_int_equal(rc, SIREN_OK);
            assert_int_equal(v.len, len);
            int is_a = !memcmp(v.data, a, len), is_b = !memcmp(v.data, b, len);
            assert_true(is_a || is_b);
            found_a += is_a;
            found_b += is_b;
            reads++;
            kv_value_free(&v);
        } while (clock_mono_s() < until);
        kill(child, SIGKILL);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status)); /* killed, not failed */
        struct kv_value v;
        assert_int_equal(kv_get(fx->kv, "torn/obj", &v), SIREN_OK);
        assert_true(v.len == len && (!memcmp(v.data, a, len) || !memcmp(v.data, b, len)));
        kv_value_free(&v);
    }
    struct kv_keys k;
    assert_int_equal(kv_list(fx->kv, "", &k), SIREN_OK);
    assert_int_equal(k.count, 1); /* temporary files of killed writers are not objects */
    assert_string_equal(k.keys[0], "torn/obj");
    kv_keys_free(&k);
    fprintf(stderr, "[ torn ] %s: %d kills, %ld concurrent reads (%ld of A, %ld of B), none torn\n",
            fx->name, iterations, reads, found_a, found_b);
    free(a);
    free(b);
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
            kv_suite_delete_removes_and_second_delete_is_not_found, setup, teardown, fx),         \
        cmocka_unit_test_prestate_setup_teardown(                                                 \
            kv_suite_bad_keys_are_einval_and_create_nothing, setup, teardown, fx),                \
        cmocka_unit_test_prestate_setup_teardown(                                                 \
            kv_suite_killed_writer_never_leaves_a_torn_object, setup, teardown, fx)

#endif

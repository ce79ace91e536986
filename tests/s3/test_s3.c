/*
 * The s3:// backend against a real radosgw on 127.0.0.1 (scripts/peers/s3-up.sh, or the one
 * SIREN_S3_ENDPOINT names): the KV interface suite the file and Redis backends pass (round
 * trips, overwrite, missing keys, sorted listing, delete, bad keys, corrupt objects written
 * behind the backend's back, a killed writer never leaving a torn object), then what is S3's
 * own: a wrong secret is SIREN_EAUTH and the secret appears in no message, listings past
 * 1,000 keys follow continuation tokens, credentials from a profile file, endpoint from the
 * environment, a missing bucket; and, against a local HTTP server playing a throttling S3,
 * 503 SlowDown and 500 retried with backoff. Exit 77 (skipped) only when radosgw cannot be
 * installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../lambda/http_stub.h"
#include "kv.h"
#include "../kv/kv_suite.h"
#include "s3.h"
#include "s3_peer.h"
#include "testutil.h"

#define BUCKET "siren-test"

static struct s3_peer peer;
static int prefix_counter;

struct fixture {
    struct kv_suite_fx base; /* first: the shared suite sees only this */
    char prefix[64];
};

static long s3_raw_entries(struct kv_suite_fx *base);

/* Each kill costs an S3 connection: fewer than the file backend's 200, with a longer window. */
static struct fixture fx_store = {.base = {.name = "s3", .torn_kills = 30, .torn_window_s = 0.2,
                                           .raw_entries = s3_raw_entries}};

static void make_url(char *buf, size_t cap, const char *bucket, const char *prefix)
{
    snprintf(buf, cap, "s3://%s/%s?endpoint=%s", bucket, prefix, peer.endpoint);
}

static int setup_each(void **state)
{
    struct fixture *fx = *state;
    struct err e;
    /* A fresh prefix per test: the bucket is shared, the store is not. */
    snprintf(fx->prefix, sizeof fx->prefix, "t%d-%d", (int)getpid(), ++prefix_counter);
    make_url(fx->base.url, sizeof fx->base.url, BUCKET, fx->prefix);
    if (kv_open(fx->base.url, &fx->base.kv, &e) != SIREN_OK) {
        fprintf(stderr, "kv_open: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown_each(void **state)
{
    struct fixture *fx = *state;
    kv_close(fx->base.kv);
    fx->base.kv = NULL;
    return 0;
}

static long raw_request(const char *method, const char *path, const void *body, size_t len,
                        struct curl_slist *extra, char *resp, size_t resp_cap);

static size_t raw_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    char **cursor = userdata;
    size_t n = size * nmemb;
    /* cursor[0] = write position, cursor[1] = end */
    size_t room = (size_t)(cursor[1] - cursor[0]);
    size_t c = n < room ? n : room;
    memcpy(cursor[0], ptr, c);
    cursor[0] += c;
    return n;
}

static long raw_request(const char *method, const char *path, const void *body, size_t len,
                        struct curl_slist *extra, char *resp, size_t resp_cap)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[2048], userpwd[512], hash[65], hdr[128];
    snprintf(url, sizeof url, "%s/%s/%s", peer.endpoint, BUCKET, path);
    snprintf(userpwd, sizeof userpwd, "%s:%s", getenv("AWS_ACCESS_KEY_ID"),
             getenv("AWS_SECRET_ACCESS_KEY"));
    sha256_hex(body ? body : "", body ? len : 0, hash);
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hash);
    struct curl_slist *h = curl_slist_append(extra, hdr);
    char *cursor[2] = {resp, resp ? resp + resp_cap - 1 : NULL};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, raw_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp ? (void *)cursor : NULL);
    if (!resp) curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)cursor);
    char dummy[16];
    if (!resp) {
        cursor[0] = dummy;
        cursor[1] = dummy + sizeof dummy;
    }
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (resp) *cursor[0] = '\0';
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* GET endpoint + path_query (already canonical: encoded, parameters sorted), signed; the body
 * goes to resp (cut to resp_cap - 1 bytes and terminated). Returns the HTTP status. */
static long raw_get_service(const char *path_query, char *resp, size_t resp_cap)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[2048], userpwd[512];
    snprintf(url, sizeof url, "%s%s", peer.endpoint, path_query);
    snprintf(userpwd, sizeof userpwd, "%s:%s", getenv("AWS_ACCESS_KEY_ID"),
             getenv("AWS_SECRET_ACCESS_KEY"));
    struct curl_slist *h = curl_slist_append(
        NULL, "x-amz-content-sha256: "
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char *cursor[2] = {resp, resp + resp_cap - 1};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, raw_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)cursor);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *cursor[0] = '\0';
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static long count_tags(const char *body, const char *tag)
{
    long n = 0;
    for (const char *p = strstr(body, tag); p; p = strstr(p + 1, tag)) n++;
    return n;
}

/* Every object of the test bucket, whatever its prefix (listed behind the backend's back,
 * page by page), plus every bucket of the user: a key that escaped its prefix, or even the
 * bucket (curl resolves "/../" in a path), would add one. */
static long s3_raw_entries(struct kv_suite_fx *base)
{
    (void)base;
    size_t cap = 4u << 20;
    char *resp = malloc(cap), query[2048], token[1024] = "";
    if (!resp) return -1;
    long n = 0;
    for (;;) {
        if (token[0]) {
            char enc[1500];
            aws_uri_encode(token, 0, enc, sizeof enc);
            snprintf(query, sizeof query, "/%s/?continuation-token=%s&list-type=2", BUCKET, enc);
        } else {
            snprintf(query, sizeof query, "/%s/?list-type=2", BUCKET);
        }
        if (raw_get_service(query, resp, cap) != 200) {
            n = -1;
            break;
        }
        n += count_tags(resp, "<Key>");
        const char *t = strstr(resp, "<NextContinuationToken>");
        if (!strstr(resp, "<IsTruncated>true</IsTruncated>") || !t) break;
        t += strlen("<NextContinuationToken>");
        snprintf(token, sizeof token, "%.*s", (int)strcspn(t, "<"), t);
    }
    if (n >= 0) {
        if (raw_get_service("/", resp, cap) == 200)
            n += count_tags(resp, "<Bucket>");
        else
            n = -1;
    }
    free(resp);
    return n;
}

/* ------------------------------------------------------------ the interface suite */

/* Beyond the shared suite: objects sit under the store's prefix, framed (magic first). */
static void test_s3_objects_are_framed_under_the_prefix(void **state)
{
    struct fixture *fx = *state;
    const uint8_t nuls[] = {0, 1, 0, 0, 255, 0, 'a', 0};
    assert_int_equal(kv_put(fx->base.kv, "bin/nuls", nuls, sizeof nuls), SIREN_OK);
    char path[256], resp[64];
    snprintf(path, sizeof path, "%s/bin/nuls", fx->prefix);
    assert_int_equal(raw_request("GET", path, NULL, 0, NULL, resp, sizeof resp), 200);
    assert_memory_equal(resp, "SIRENKV\n", 8);
}

static void test_s3_bad_keys_are_rejected_and_odd_characters_round_trip(void **state)
{
    struct fixture *fx = *state;
    const char *bad[] = {"", "/abs", "a/../b", "..", "a//b", "a/", "a b", ".hid", "x*y", "q?"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct kv_value v;
        assert_int_equal(kv_put(fx->base.kv, bad[i], "x", 1), SIREN_EINVAL);
        assert_int_equal(kv_get(fx->base.kv, bad[i], &v), SIREN_EINVAL);
        assert_int_equal(kv_delete(fx->base.kv, bad[i]), SIREN_EINVAL);
    }
    /* Every allowed punctuation character is percent-encoded in the signed path. */
    const char *odd = "a=b/c+d,e@f/g-h_i.j";
    assert_int_equal(kv_put(fx->base.kv, odd, "ok", 2), SIREN_OK);
    assert_get_equals(fx->base.kv, odd, "ok", 2);
    struct kv_keys k;
    assert_int_equal(kv_list(fx->base.kv, "a=b/c+", &k), SIREN_OK);
    assert_int_equal(k.count, 1);
    assert_string_equal(k.keys[0], odd);
    kv_keys_free(&k);
    char longkey[KV_KEY_MAX_BYTES + 1];
    memset(longkey, 'k', KV_KEY_MAX_BYTES);
    longkey[KV_KEY_MAX_BYTES] = '\0';
    for (size_t i = 200; i < KV_KEY_MAX_BYTES; i += 201) longkey[i] = '/';
    /* The prefix adds bytes: S3 keys may have 1,024, so this one is refused by S3 or fits. */
    int rc = kv_put(fx->base.kv, longkey, "ok", 2);
    assert_true(rc == SIREN_OK || rc == SIREN_EBACKEND);
    assert_int_equal(kv_delete(fx->base.kv, odd), SIREN_OK);
    assert_int_equal(kv_delete(fx->base.kv, odd), SIREN_ENOTFOUND);
}

/* Damages the stored object behind the backend's back: mode 0 flips a payload byte, 1
 * truncates, 2 replaces it with foreign bytes, 3 flips a header byte. */
static void corrupt(struct fixture *fx, const char *key, int mode, const uint8_t *orig,
                    size_t len)
{
    size_t total = KV_FRAME_HEADER_BYTES + len;
    uint8_t *data = malloc(total);
    assert_non_null(data);
    kv_frame_header(orig, len, data);
    memcpy(data + KV_FRAME_HEADER_BYTES, orig, len);
    if (mode == 0) data[total - 10] ^= 0x01;
    if (mode == 1) total -= 100;
    if (mode == 3) data[20] ^= 0x40;
    if (mode == 2) {
        total = 11;
        memcpy(data, "hello world", 11);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fx->prefix, key);
    assert_int_equal(raw_request("PUT", path, data, total, NULL, NULL, 0), 200);
    free(data);
}

static void test_s3_corrupt_object_is_checksum_error_naming_key(void **state)
{
    struct fixture *fx = *state;
    uint8_t buf[1000];
    tu_fill_pattern(buf, sizeof buf, 3);
    const int modes[] = {0, 1, 3, 2};
    const int want[] = {SIREN_ECHECKSUM, SIREN_ECHECKSUM, SIREN_ECHECKSUM, SIREN_EFORMAT};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(kv_put(fx->base.kv, "grad/w17", buf, sizeof buf), SIREN_OK);
        corrupt(fx, "grad/w17", modes[i], buf, sizeof buf);
        struct kv_value v;
        assert_int_equal(kv_get(fx->base.kv, "grad/w17", &v), want[i]);
        assert_null(v.data);
        assert_non_null(strstr(kv_errmsg(fx->base.kv), "key 'grad/w17'"));
    }
    assert_int_equal(kv_put(fx->base.kv, "grad/w17", buf, sizeof buf), SIREN_OK);
    assert_get_equals(fx->base.kv, "grad/w17", buf, sizeof buf);
}

/* --------------------------------------------------------------- S3's own behaviour */

static void test_s3_wrong_secret_is_auth_error_without_the_secret(void **state)
{
    (void)state;
    const char *good = getenv("AWS_SECRET_ACCESS_KEY");
    char *saved = strdup(good);
    assert_non_null(saved);
    const char *wrong = "WrongSecretWrongSecretWrongSecret0123456";
    setenv("AWS_SECRET_ACCESS_KEY", wrong, 1);
    char url[512];
    make_url(url, sizeof url, BUCKET, "auth");
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK); /* no request at open */
    struct kv_value v;
    struct kv_keys k;
    assert_int_equal(kv_put(kv, "a", "x", 1), SIREN_EAUTH);
    assert_non_null(strstr(kv_errmsg(kv), "SignatureDoesNotMatch"));
    assert_non_null(strstr(kv_errmsg(kv), "AWS_SECRET_ACCESS_KEY"));
    assert_null(strstr(kv_errmsg(kv), wrong));
    assert_null(strstr(kv_errmsg(kv), saved));
    assert_null(strstr(kv_errmsg(kv), "Signature="));
    assert_int_equal(kv_get(kv, "a", &v), SIREN_EAUTH);
    assert_null(strstr(kv_errmsg(kv), wrong));
    assert_int_equal(kv_list(kv, "", &k), SIREN_EAUTH);
    assert_int_equal(kv_delete(kv, "a"), SIREN_EAUTH);
    kv_close(kv);
    /* An access key the server does not know. */
    setenv("AWS_SECRET_ACCESS_KEY", saved, 1);
    char *saved_id = strdup(getenv("AWS_ACCESS_KEY_ID"));
    setenv("AWS_ACCESS_KEY_ID", "AKIDNOSUCHUSER000000", 1);
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    assert_int_equal(kv_get(kv, "a", &v), SIREN_EAUTH);
    assert_non_null(strstr(kv_errmsg(kv), "InvalidAccessKeyId"));
    kv_close(kv);
    setenv("AWS_ACCESS_KEY_ID", saved_id, 1);
    free(saved_id);
    free(saved);
}

static void test_s3_list_follows_continuation_tokens_past_1000_keys(void **state)
{
    struct fixture *fx = *state;
    const int n = 1005; /* S3 returns at most 1,000 keys per page */
    char key[64];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "many/k%05d", i);
        assert_int_equal(kv_put(fx->base.kv, key, "", 0), SIREN_OK);
    }
    struct kv_keys k;
    assert_int_equal(kv_list(fx->base.kv, "many/", &k), SIREN_OK);
    assert_int_equal(k.count, (size_t)n);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "many/k%05d", i);
        assert_string_equal(k.keys[i], key);
    }
    kv_keys_free(&k);
}

static void test_s3_credentials_from_profile_file_and_endpoint_from_env(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char *path = tu_path(dir, "credentials");
    char *id = strdup(getenv("AWS_ACCESS_KEY_ID")), *sk = strdup(getenv("AWS_SECRET_ACCESS_KEY"));
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "[default]\naws_access_key_id = AKIDNOSUCHUSER000000\n"
                     "aws_secret_access_key = nope\n\n# the test profile\n[siren-test]\n"
                     "aws_access_key_id = %s\naws_secret_access_key=%s\n",
                     id, sk);
    assert_int_equal(tu_write_file(path, text, (size_t)n), 0);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "siren-test", 1);
    setenv("AWS_ENDPOINT_URL_S3", peer.endpoint, 1);
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open("s3://" BUCKET "/profile", &kv, &e), SIREN_OK);
    assert_int_equal(kv_put(kv, "k", "v", 1), SIREN_OK);
    assert_get_equals(kv, "k", "v", 1);
    kv_close(kv);
    /* No profile of that name, no environment: a clear error naming where it looked. */
    setenv("AWS_PROFILE", "missing", 1);
    assert_int_equal(kv_open("s3://" BUCKET "/profile", &kv, &e), SIREN_EAUTH);
    assert_non_null(strstr(e.msg, "profile 'missing'"));
    assert_null(strstr(e.msg, sk));
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_ENDPOINT_URL_S3");
    setenv("AWS_ACCESS_KEY_ID", id, 1);
    setenv("AWS_SECRET_ACCESS_KEY", sk, 1);
    free(id);
    free(sk);
    free(path);
    tu_rm_rf(dir);
    free(dir);
}

static void test_s3_missing_bucket_and_bad_urls(void **state)
{
    (void)state;
    char url[512];
    make_url(url, sizeof url, "no-such-bucket-siren", "p");
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    struct kv_value v;
    assert_int_equal(kv_get(kv, "a", &v), SIREN_ENOTFOUND);
    assert_non_null(strstr(kv_errmsg(kv), "bucket 'no-such-bucket-siren' does not exist"));
    kv_close(kv);
    assert_int_equal(kv_open("s3://Bad_Bucket/p", &kv, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "bad bucket name"));
    assert_int_equal(kv_open("s3://bucket/p?endpoint=ftp://x", &kv, &e), SIREN_EINVAL);
    assert_int_equal(kv_open("s3://bucket/p?colour=red", &kv, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "unknown parameter"));
    assert_int_equal(kv_open("s3://bucket/a//b", &kv, &e), SIREN_EINVAL);
    /* Creating an existing bucket of ours is fine. */
    make_url(url, sizeof url, BUCKET, "");
    assert_int_equal(s3_bucket_create(url, &e), SIREN_OK);
}

static void test_s3_uri_encoding_follows_sigv4(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(aws_uri_encode("a-z_0.9~/=+,@ ", 1, buf, sizeof buf), 24);
    assert_string_equal(buf, "a-z_0.9~/%3D%2B%2C%40%20");
    aws_uri_encode("a/b", 0, buf, sizeof buf);
    assert_string_equal(buf, "a%2Fb");
    assert_int_equal(aws_uri_encode("\xff", 0, buf, 3), 3);
    assert_string_equal(buf, ""); /* too small: cut, still terminated */
}


/* S3 throttles with 503 SlowDown and sometimes answers 500: both are retried with backoff.
 * radosgw cannot be made to throttle on demand, so a local HTTP server plays S3 here. */
static void test_s3_slowdown_and_500_are_retried_then_reported(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    const char *slow = "HTTP/1.1 503 Slow Down\r\nContent-Length: 63\r\nConnection: close\r\n\r\n"
                       "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>\r\n";
    const char *err500 = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n";
    const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const char *responses[] = {slow, err500, ok, err500, err500, err500, err500, err500, err500};
    struct http_stub hs;
    assert_int_equal(http_stub_start(&hs, dir, responses, 9), 0);
    char url[256];
    snprintf(url, sizeof url, "s3://stub-bucket/p?endpoint=http://127.0.0.1:%d", hs.port);
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    assert_int_equal(kv_put(kv, "k", "v", 1), SIREN_OK); /* third attempt */
    assert_int_equal(kv_put(kv, "k", "v", 1), SIREN_EBACKEND); /* six 500s: gives up */
    assert_non_null(strstr(kv_errmsg(kv), "HTTP 500"));
    kv_close(kv);
    http_stub_stop(&hs);
    char *req = http_stub_request(&hs, 2);
    assert_non_null(req);
    assert_non_null(strstr(req, "PUT /stub-bucket/p/k HTTP/1.1"));
    assert_non_null(strcasestr(req, "\r\nx-amz-content-sha256: "));
    assert_non_null(strcasestr(req, "/us-east-1/s3/aws4_request"));
    assert_null(strstr(req, getenv("AWS_SECRET_ACCESS_KEY")));
    free(req);
    req = http_stub_request(&hs, 8);
    assert_non_null(req); /* 1 + 2 attempts, then 6 */
    free(req);
    tu_rm_rf(dir);
    free(dir);
}

#define S3_TEST(f) cmocka_unit_test_prestate_setup_teardown(f, setup_each, teardown_each, &fx_store)

int main(void)
{
    int up = s3_peer_up(&peer);
    if (up == 1) {
        fprintf(stderr, "[ SKIPPED ] s3: radosgw is not installed and cannot be installed "
                        "(apt-get install --no-install-recommends radosgw ceph-mon ceph-osd)\n");
        return 77;
    }
    if (up < 0) {
        fprintf(stderr, "[ FAILED ] s3: could not start radosgw (scripts/peers/s3-up.sh)\n");
        s3_peer_down(&peer);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s3_kv_register();
    struct err e;
    char url[512];
    make_url(url, sizeof url, BUCKET, "");
    if (s3_bucket_create(url, &e) != SIREN_OK) {
        fprintf(stderr, "[ FAILED ] s3: create bucket: %s\n", e.msg);
        s3_peer_down(&peer);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        KV_SUITE_TESTS(setup_each, teardown_each, &fx_store),
        S3_TEST(test_s3_objects_are_framed_under_the_prefix),
        S3_TEST(test_s3_bad_keys_are_rejected_and_odd_characters_round_trip),
        S3_TEST(test_s3_corrupt_object_is_checksum_error_naming_key),
        S3_TEST(test_s3_list_follows_continuation_tokens_past_1000_keys),
        cmocka_unit_test(test_s3_wrong_secret_is_auth_error_without_the_secret),
        cmocka_unit_test(test_s3_credentials_from_profile_file_and_endpoint_from_env),
        cmocka_unit_test(test_s3_missing_bucket_and_bad_urls),
        cmocka_unit_test(test_s3_uri_encoding_follows_sigv4),
        cmocka_unit_test(test_s3_slowdown_and_500_are_retried_then_reported),
    };
    int failed = cmocka_run_group_tests_name("kv s3:// (radosgw)", tests, NULL, NULL);
    s3_peer_down(&peer);
    curl_global_cleanup();
    return failed;
}

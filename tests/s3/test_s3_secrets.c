/*
 * Credentials are never printed, logged or written: with a known AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the environment and SIREN_LOG=debug,
 * `siren kv put/get/ls/rm` against a real radosgw (scripts/peers/s3-up.sh, through s3_peer.h),
 * the same with a wrong secret and with an unknown key id (whose failures print messages), and
 * a small `siren run` whose functions run in bootstrap behind the local Runtime API emulator
 * (scripts/peers/lambda-up.sh) on an s3:// store, are searched: stdout, stderr, every file of
 * the run directory (summary.json, epochs.csv, the bytes of trace.h5) and what the functions
 * sent back, for the key id, the secret and the token, raw and percent-encoded. radosgw
 * accepts the session-token header from a user with static keys, so the token travels with
 * every request as it would with temporary credentials. Exit 77 (skipped) only when radosgw
 * cannot be installed; the run test alone is skipped when the emulator cannot be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core.h"
#include "kv.h"
#include "s3.h"
#include "s3_peer.h"
#include "testutil.h"

#define BUCKET "siren-secrets"
/* A token in the shape of an STS one, with the characters that URL encoding changes. */
#define SESSION_TOKEN "FwoGZXIvYXdzEXAMPLE/siren+session=token0123456789abcdefSECRETTOKEN"
#define WRONG_SECRET "WrongSecretWrongSecretWrongSecret0123456"

static struct s3_peer peer;
static char *lambda_dir;
static char lambda_http[256], runtime_trace[1024];

/* ------------------------------------------------------------------- the search */

struct needle {
    const char *what;
    char text[4200];
};
static struct needle needles[8];
static size_t n_needles;

static void add_needle(const char *what, const char *text)
{
    if (!text || !*text || n_needles == sizeof needles / sizeof *needles) return;
    for (size_t i = 0; i < n_needles; i++)
        if (!strcmp(needles[i].text, text)) return;
    needles[n_needles].what = what;
    snprintf(needles[n_needles].text, sizeof needles[n_needles].text, "%s", text);
    n_needles++;
}

/* Each credential, and its percent-encoded form where that differs (a URL or a signed
 * canonical request would carry it so). */
static void set_needles(void)
{
    n_needles = 0;
    const char *names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        add_needle(names[i], v);
        char enc[4200];
        if (v && aws_uri_encode(v, 0, enc, sizeof enc) < sizeof enc) add_needle(names[i], enc);
    }
    add_needle("the wrong secret", WRONG_SECRET);
}

static long files_searched;
static char found[8192];

static int search_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (flag != FTW_F) return 0;
    char *data;
    size_t len;
    struct err e;
    if (fs_read_all(path, &data, &len, &e)) {
        snprintf(found + strlen(found), sizeof found - strlen(found), "cannot read %s; ", path);
        return 0;
    }
    files_searched++;
    for (size_t i = 0; i < n_needles; i++)
        if (memmem(data, len, needles[i].text, strlen(needles[i].text)))
            snprintf(found + strlen(found), sizeof found - strlen(found), "%s in %s; ",
                     needles[i].what, path);
    free(data);
    return 0;
}

/* Searches every regular file under each path (a file or a directory) for every credential;
 * *out_files gets the number searched. Returns "" when nothing was found, else what and
 * where (the credential's name, never its value). */
static const char *search(const char *const *paths, size_t n, long *out_files)
{
    found[0] = '\0';
    files_searched = 0;
    for (size_t i = 0; i < n; i++)
        if (nftw(paths[i], search_one, 16, FTW_PHYS) != 0)
            snprintf(found + strlen(found), sizeof found - strlen(found), "cannot walk %s; ",
                     paths[i]);
    *out_files = files_searched;
    return found;
}

/* ----------------------------------------------------------------- the commands */

/* Runs a shell command line; returns its exit status (-1 if it did not exit). */
static int shell(const char *fmt, ...) SIREN_PRINTF(1, 2);
static int shell(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = NULL;
    int n = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    assert_true(n > 0);
    int st = system(cmd);
    free(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The scanner finds what it looks for: a planted secret, raw and encoded, in a binary file. */
static void test_search_finds_a_planted_credential(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char *path = tu_path(dir, "planted.bin");
    char blob[8192] = {0};
    const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
    memcpy(blob + 5000, sk, strlen(sk)); /* after a NUL, far into the file */
    assert_int_equal(tu_write_file(path, blob, sizeof blob), 0);
    long files;
    const char *where[] = {dir};
    const char *hits = search(where, 1, &files);
    assert_int_equal(files, 1);
    assert_non_null(strstr(hits, "AWS_SECRET_ACCESS_KEY in "));
    assert_null(strstr(hits, sk)); /* the report names the credential, not its value */
    free(path);
    tu_rm_rf(dir);
    free(dir);
}

static void test_kv_commands_print_no_credentials(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    const char *bin = getenv("SIREN_BIN");
    char url[512];
    snprintf(url, sizeof url, "s3://%s/kv-cmd?endpoint=%s", BUCKET, peer.endpoint);
    char *payload = tu_path(dir, "payload.txt");
    assert_int_equal(tu_write_file(payload, "gradient bytes\n", 15), 0);
    /* The good credentials: every subcommand succeeds. */
    assert_int_equal(shell("'%s' kv put --kv '%s' job/a '%s' >'%s/put.out' 2>'%s/put.err'", bin,
                           url, payload, dir, dir),
                     0);
    assert_int_equal(shell("'%s' kv get --kv '%s' job/a >'%s/get.out' 2>'%s/get.err'", bin, url,
                           dir, dir),
                     0);
    assert_int_equal(shell("'%s' kv ls --kv '%s' job/ >'%s/ls.out' 2>'%s/ls.err'", bin, url, dir,
                           dir),
                     0);
    /* Missing keys and bad keys fail with messages. */
    assert_int_equal(shell("'%s' kv get --kv '%s' job/missing >'%s/miss.out' 2>'%s/miss.err'",
                           bin, url, dir, dir),
                     1);
    assert_int_equal(shell("'%s' kv get --kv '%s' ../up >'%s/bad.out' 2>'%s/bad.err'", bin, url,
                           dir, dir),
                     2);
    assert_int_equal(shell("'%s' kv rm --kv '%s' job/a >'%s/rm.out' 2>'%s/rm.err'", bin, url, dir,
                           dir),
                     0);
    /* A wrong secret and an unknown key id: the server refuses, siren says why. */
    assert_int_equal(shell("AWS_SECRET_ACCESS_KEY='%s' '%s' kv ls --kv '%s' >'%s/wrong.out' "
                           "2>'%s/wrong.err'",
                           WRONG_SECRET, bin, url, dir, dir),
                     1);
    assert_int_equal(shell("AWS_ACCESS_KEY_ID=AKIDNOSUCHUSER000000 '%s' kv get --kv '%s' job/a "
                           ">'%s/unknown.out' 2>'%s/unknown.err'",
                           bin, url, dir, dir),
                     1);
    /* The commands did what they say (so there was output to search). */
    char *text, *p;
    size_t len;
    struct err e;
    p = tu_path(dir, "get.out");
    assert_int_equal(fs_read_all(p, &text, &len, &e), SIREN_OK);
    assert_string_equal(text, "gradient bytes\n");
    free(text), free(p);
    p = tu_path(dir, "ls.out");
    assert_int_equal(fs_read_all(p, &text, &len, &e), SIREN_OK);
    assert_string_equal(text, "job/a\n");
    free(text), free(p);
    p = tu_path(dir, "wrong.err");
    assert_int_equal(fs_read_all(p, &text, &len, &e), SIREN_OK);
    assert_non_null(strstr(text, "SignatureDoesNotMatch"));
    free(text), free(p);
    p = tu_path(dir, "unknown.err");
    assert_int_equal(fs_read_all(p, &text, &len, &e), SIREN_OK);
    assert_non_null(strstr(text, "InvalidAccessKeyId"));
    free(text), free(p);
    unlink(payload);
    long files;
    const char *where[] = {dir};
    const char *hits = search(where, 1, &files);
    print_message("searched %ld files of siren kv output for %zu credential strings\n", files,
                  n_needles);
    assert_int_equal(files, 16);
    if (hits[0]) fail_msg("credentials found: %s", hits);
    free(payload);
    tu_rm_rf(dir);
    free(dir);
}

static void test_run_prints_and_writes_no_credentials(void **state)
{
    (void)state;
    if (!lambda_http[0]) {
        print_message("the Runtime API emulator cannot be installed here: no run to search\n");
        skip();
    }
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    int rc = shell("%s mpirun -n 2 --oversubscribe '%s' run --workload lr-synthetic --rows 2000 "
                   "--hash-bits 12 --batch 200 --scheduler static:n=2,m=1024 --max-epochs 2 "
                   "--clock wall --backend lambda --function '%s' "
                   "--kv 's3://%s/run?endpoint=%s' --out '%s/run' >'%s/run.out' 2>'%s/run.err'",
                   getenv("SIREN_SANITIZED") ? "ASAN_OPTIONS=handle_segv=0:detect_leaks=0" : "",
                   getenv("SIREN_BIN"), lambda_http, BUCKET, peer.endpoint, dir, dir, dir);
    if (rc != 0) {
        char *p = tu_path(dir, "run.err"), *text;
        size_t len;
        struct err e;
        if (!fs_read_all(p, &text, &len, &e)) fprintf(stderr, "%s", text), free(text);
        free(p);
    }
    assert_int_equal(rc, 0);
    /* The run is complete: its outputs exist and its functions ran. */
    const char *outputs[] = {"run/summary.json", "run/epochs.csv", "run/trace.h5"};
    for (size_t i = 0; i < 3; i++) {
        char *p = tu_path(dir, outputs[i]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_true(st.st_size > 0);
        free(p);
    }
    char *sum = tu_path(dir, "run/summary.json"), *text;
    size_t len;
    struct err e;
    assert_int_equal(fs_read_all(sum, &text, &len, &e), SIREN_OK);
    assert_non_null(strstr(text, "\"invocations\":\t4"));
    assert_non_null(strstr(text, "\"failed_invocations\":\t0"));
    free(text);
    free(sum);
    /* stdout, stderr (at debug level: the progress lines and every log line of every rank),
     * the run directory, and what the functions sent back through the Runtime API. */
    long files;
    const char *where[] = {dir, runtime_trace};
    const char *hits = search(where, 2, &files);
    print_message("searched %ld files (stdout, stderr, summary.json, epochs.csv, trace.h5, the "
                  "functions' responses) for %zu credential strings\n",
                  files, n_needles);
    assert_true(files >= 6);
    if (hits[0]) fail_msg("credentials found: %s", hits);
    tu_rm_rf(dir);
    free(dir);
}

/* --------------------------------------------------------------------- the peers */

/* The Runtime API emulator (scripts/peers/lambda-up.sh): 0 ready, 1 cannot be installed,
 * -1 failed. */
static int lambda_up(void)
{
    if (!(lambda_dir = tu_mkdtemp())) return -1;
    int st = shell("'%s/scripts/peers/lambda-up.sh' '%s' '%s' >/dev/null",
                   getenv("SIREN_SOURCE_DIR"), lambda_dir, SIREN_BOOTSTRAP_BIN);
    if (st == 3) return 1;
    if (st != 0) return -1;
    char *envf = tu_path(lambda_dir, "env"), *text;
    size_t len;
    struct err e;
    int rc = fs_read_all(envf, &text, &len, &e);
    free(envf);
    if (rc) return -1;
    char *p = strstr(text, "SIREN_LAMBDA_HTTP=");
    if (p) snprintf(lambda_http, sizeof lambda_http, "%.*s", (int)strcspn(p + 18, "\n"), p + 18);
    free(text);
    snprintf(runtime_trace, sizeof runtime_trace, "%s/trace.jsonl", lambda_dir);
    return lambda_http[0] ? 0 : -1;
}

static void lambda_down(void)
{
    if (!lambda_dir) return;
    if (shell("'%s/scripts/peers/lambda-down.sh' '%s'", getenv("SIREN_SOURCE_DIR"), lambda_dir))
        fprintf(stderr, "lambda-down.sh failed\n");
    tu_rm_rf(lambda_dir);
    free(lambda_dir);
    lambda_dir = NULL;
}

int main(void)
{
    if (!getenv("SIREN_SOURCE_DIR") || !getenv("SIREN_BIN")) {
        fprintf(stderr, "run through ctest (SIREN_SOURCE_DIR and SIREN_BIN are needed)\n");
        return 1;
    }
    int up = s3_peer_up(&peer);
    if (up == 1) {
        fprintf(stderr, "[ SKIPPED ] s3 secrets: radosgw is not installed and cannot be "
                        "installed\n");
        return 77;
    }
    if (up < 0) {
        fprintf(stderr, "[ FAILED ] s3 secrets: could not start radosgw\n");
        s3_peer_down(&peer);
        return 1;
    }
    /* Every process started from here on (siren, the ranks, the emulator and its bootstrap
     * functions) has the token and logs at debug level. */
    setenv("AWS_SESSION_TOKEN", SESSION_TOKEN, 1);
    setenv("SIREN_LOG", "debug", 1);
    set_needles();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s3_kv_register();
    struct err e;
    char url[512];
    snprintf(url, sizeof url, "s3://%s?endpoint=%s", BUCKET, peer.endpoint);
    if (s3_bucket_create(url, &e) != SIREN_OK) {
        fprintf(stderr, "[ FAILED ] s3 secrets: create bucket: %s\n", e.msg);
        s3_peer_down(&peer);
        return 1;
    }
    up = lambda_up();
    if (up < 0) {
        fprintf(stderr, "[ FAILED ] s3 secrets: the Runtime API emulator did not start\n");
        lambda_down();
        s3_peer_down(&peer);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_finds_a_planted_credential),
        cmocka_unit_test(test_kv_commands_print_no_credentials),
        cmocka_unit_test(test_run_prints_and_writes_no_credentials),
    };
    int failed = cmocka_run_group_tests_name("credentials (radosgw + Runtime API emulator)",
                                             tests, NULL, NULL);
    lambda_down();
    s3_peer_down(&peer);
    curl_global_cleanup();
    return failed;
}

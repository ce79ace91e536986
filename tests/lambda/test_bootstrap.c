/*
 * bootstrap, the Lambda custom runtime, in full invocations: the local Runtime API emulator
 * (npm @architect/sandbox, scripts/peers/lambda-up.sh) starts a fresh bootstrap per request
 * and radosgw (scripts/peers/s3-up.sh) is its S3. A training event staged by
 * `siren invoke --example lr-synthetic --kv s3://...` succeeds and writes the next parameter
 * versions; a bad event and a missing data key come back in the Runtime API's error shape
 * {"errorMessage","errorType","stackTrace":[]} (read from the trace the test driver keeps).
 * Then, against a local HTTP server: the "host:port" form of AWS_LAMBDA_RUNTIME_API, the
 * init error path, and a response over the payload limit posted as Lambda's error instead.
 * Exit 77 (skipped) only when radosgw or the emulator cannot be installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http_stub.h"
#include "handler.h"
#include "kv.h"
#include "payload_preset.h"
#include "s3.h"
#include "s3_peer.h"
#include "testutil.h"

extern char **environ;

#define BUCKET "siren-lambda"

static struct s3_peer s3;
static char *lambda_dir;
static char lambda_http[256], trace_path[4200];
static char store_url[512];

/* ----------------------------------------------------------------------- helpers */

struct body {
    char *data;
    size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct body *b = userdata;
    size_t n = size * nmemb;
    char *g = realloc(b->data, b->len + n + 1);
    if (!g) return 0;
    b->data = g;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* POSTs event to the emulator's /invoke route (one invocation); returns the HTTP status. */
static long invoke(const char *event, struct body *out)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[300];
    snprintf(url, sizeof url, "%s/invoke", lambda_http);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    memset(out, 0, sizeof *out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, event);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* The last line of the runtime trace, parsed: {"path","errorType","body"}. */
static cJSON *last_trace(void)
{
    char *text;
    size_t len;
    struct err e;
    assert_int_equal(fs_read_all(trace_path, &text, &len, &e), SIREN_OK);
    while (len && text[len - 1] == '\n') text[--len] = '\0';
    char *line = strrchr(text, '\n');
    line = line ? line + 1 : text;
    cJSON *j = cJSON_Parse(line);
    free(text);
    assert_non_null(j);
    return j;
}

/* Runs a command, returns its stdout (malloc'ed) and exit status. */
static char *run_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    struct body b = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) on_body(buf, 1, n, &b);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (!b.data) b.data = strdup("");
    return b.data;
}

/* A training event staged in the store by siren invoke --example. */
static cJSON *stage_event(const char *prefix)
{
    char cmd[2048];
    char url[600];
    snprintf(url, sizeof url, "s3://%s/%s?endpoint=%s", BUCKET, prefix, s3.endpoint);
    snprintf(cmd, sizeof cmd, "'%s' invoke --example lr-synthetic --steps 2 --kv '%s'",
             getenv("SIREN_BIN"), url);
    int st;
    char *out = run_capture(cmd, &st);
    assert_int_equal(st, 0);
    cJSON *ev = cJSON_Parse(out);
    free(out);
    assert_non_null(ev);
    snprintf(store_url, sizeof store_url, "%s", url);
    return ev;
}

static void assert_error_document(const char *doc, const char *type, const char *needle)
{
    cJSON *j = cJSON_Parse(doc);
    assert_non_null(j);
    assert_int_equal(cJSON_GetArraySize(j), 3); /* exactly the documented fields */
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "errorMessage");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "errorType");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "stackTrace");
    assert_true(cJSON_IsString(m));
    assert_true(cJSON_IsString(t));
    assert_true(cJSON_IsArray(s));
    assert_int_equal(cJSON_GetArraySize(s), 0);
    assert_string_equal(t->valuestring, type);
    if (!strstr(m->valuestring, needle))
        fail_msg("errorMessage '%s' does not name '%s'", m->valuestring, needle);
    cJSON_Delete(j);
}

/* ------------------------------------------------------------------------- tests */

static void test_bootstrap_links_no_mpi(void **state)
{
    (void)state;
    int st;
    char *out = run_capture("ldd '" SIREN_BOOTSTRAP_BIN "'", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "libcurl"));
    assert_null(strstr(out, "libmpi"));
    free(out);
}

static void test_bootstrap_training_event_writes_next_versions(void **state)
{
    (void)state;
    cJSON *ev = stage_event("train");
    char *text = cJSON_PrintUnformatted(ev);
    struct body b;
    long status = invoke(text, &b);
    if (status != 200) fprintf(stderr, "HTTP %ld: %.500s\n", status, b.data);
    assert_int_equal(status, 200);
    cJSON *resp = cJSON_Parse(b.data);
    assert_non_null(resp);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(resp, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 2);
    double loss0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, 0), "loss")->valuedouble;
    double loss1 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, 1), "loss")->valuedouble;
    assert_true(fabs(loss0 - log(2.0)) < 1e-5); /* zero-initialised LR: ln 2 */
    assert_true(loss1 < loss0);                 /* the second step read the first's write */
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, 1), "write")->valueint,
                     2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(resp, "kv_puts")->valueint, 2);
    /* The versions are in S3, framed, and differ. */
    struct kv *kv;
    struct err e;
    assert_int_equal(kv_open(store_url, &kv, &e), SIREN_OK);
    struct kv_value v0, v1, v2;
    assert_int_equal(kv_get(kv, "examples/lr-synthetic/params/v00000000", &v0), SIREN_OK);
    assert_int_equal(kv_get(kv, "examples/lr-synthetic/params/v00000001", &v1), SIREN_OK);
    assert_int_equal(kv_get(kv, "examples/lr-synthetic/params/v00000002", &v2), SIREN_OK);
    assert_int_equal(v1.len, v0.len);
    assert_int_equal(v2.len, v0.len);
    assert_true(memcmp(v1.data, v0.data, v0.len) != 0);
    assert_true(memcmp(v2.data, v1.data, v1.len) != 0);
    kv_value_free(&v0);
    kv_value_free(&v1);
    kv_value_free(&v2);
    kv_close(kv);
    cJSON *t = last_trace();
    const char *path = cJSON_GetObjectItemCaseSensitive(t, "path")->valuestring;
    assert_non_null(strstr(path, "/2018-06-01/runtime/invocation/"));
    assert_string_equal(path + strlen(path) - strlen("/response"), "/response");
    cJSON_Delete(t);
    cJSON_Delete(resp);
    free(b.data);
    free(text);
    cJSON_Delete(ev);
}

static void test_bootstrap_bad_event_reports_the_documented_error_shape(void **state)
{
    (void)state;
    struct body b;
    long status = invoke("{\"job\":\"bad\"}", &b);
    assert_int_equal(status, 500); /* the emulator's answer to a function error */
    cJSON *t = last_trace();
    const char *path = cJSON_GetObjectItemCaseSensitive(t, "path")->valuestring;
    assert_string_equal(path + strlen(path) - strlen("/error"), "/error");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "errorType")->valuestring,
                        "SIREN_EFORMAT");
    assert_error_document(cJSON_GetObjectItemCaseSensitive(t, "body")->valuestring,
                          "SIREN_EFORMAT", "'kv'");
    cJSON_Delete(t);
    free(b.data);
    /* Not JSON at all. */
    invoke("this is not json", &b);
    t = last_trace();
    assert_error_document(cJSON_GetObjectItemCaseSensitive(t, "body")->valuestring,
                          "SIREN_EFORMAT", "event");
    cJSON_Delete(t);
    free(b.data);
}

static void test_bootstrap_missing_data_key_is_not_found_error(void **state)
{
    (void)state;
    cJSON *ev = stage_event("missing");
    cJSON *step0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ev, "steps"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(step0, "data", cJSON_CreateString("examples/none/x"));
    char *text = cJSON_PrintUnformatted(ev);
    struct body b;
    assert_int_equal(invoke(text, &b), 500);
    cJSON *t = last_trace();
    assert_error_document(cJSON_GetObjectItemCaseSensitive(t, "body")->valuestring,
                          "SIREN_ENOTFOUND", "examples/none/x");
    cJSON_Delete(t);
    free(b.data);
    free(text);
    cJSON_Delete(ev);
}

/* Runs bootstrap with AWS_LAMBDA_RUNTIME_API=api (and extra env); returns its exit status. */
static int run_bootstrap(const char *api, const char *extra_env)
{
    pid_t pid;
    char api_env[512];
    snprintf(api_env, sizeof api_env, "AWS_LAMBDA_RUNTIME_API=%s", api ? api : "");
    char *argv[] = {SIREN_BOOTSTRAP_BIN, NULL};
    char *envp[] = {api_env, (char *)extra_env, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&pid, SIREN_BOOTSTRAP_BIN, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_bootstrap_host_port_form_and_init_error(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    /* host:port as real Lambda gives it: one event, its error, then the API goes away. */
    const char *responses[] = {
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-1\r\n"
        "Lambda-Runtime-Deadline-Ms: 9999999999999\r\nContent-Length: 2\r\n"
        "Connection: close\r\n\r\n[]",
        "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 2), 0);
    char api[64];
    snprintf(api, sizeof api, "127.0.0.1:%d", s.port);
    assert_int_equal(run_bootstrap(api, NULL), 1); /* exits when /next fails */
    http_stub_stop(&s);
    char *req = http_stub_request(&s, 0);
    assert_non_null(req);
    assert_non_null(strstr(req, "GET /2018-06-01/runtime/invocation/next HTTP/1.1"));
    free(req);
    req = http_stub_request(&s, 1);
    assert_non_null(req);
    assert_non_null(strstr(req, "POST /2018-06-01/runtime/invocation/req-1/error HTTP/1.1"));
    assert_non_null(strcasestr(req, "\r\nLambda-Runtime-Function-Error-Type: SIREN_EFORMAT\r\n"));
    assert_error_document(strstr(req, "\r\n\r\n") + 4, "SIREN_EFORMAT", "JSON object");
    free(req);
    /* An init failure goes to /runtime/init/error (URL form with a prefix, as emulators give). */
    const char *init_resp[] = {"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n"};
    assert_int_equal(http_stub_start(&s, dir, init_resp, 1), 0);
    snprintf(api, sizeof api, "http://127.0.0.1:%d/abc/", s.port);
    assert_int_equal(run_bootstrap(api, "SIREN_BOOTSTRAP_FAIL_INIT=cannot load the model"), 1);
    http_stub_stop(&s);
    req = http_stub_request(&s, 0);
    assert_non_null(req);
    assert_non_null(strstr(req, "POST /abc/2018-06-01/runtime/init/error HTTP/1.1"));
    assert_error_document(strstr(req, "\r\n\r\n") + 4, "Runtime.InitError",
                          "cannot load the model");
    free(req);
    /* Outside Lambda: a clear exit, not a crash. */
    assert_int_equal(run_bootstrap(NULL, NULL), 1);
    tu_rm_rf(dir);
    free(dir);
}

/* A training event whose response (a loss and five times per step) is larger than the event
 * (a key per step), under a preset whose limit is the event's size: the event fits, as the
 * Invoke API would have let it through; the response does not. The function runs (its
 * versions are written) but nothing of its response is posted: the runtime posts Lambda's
 * Function.ResponseSizeTooLarge to /error and goes on to the next event. A preset that cannot
 * be loaded is an init error. */
static void test_bootstrap_response_over_the_limit_is_posted_as_an_error(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' invoke --example lr-synthetic --steps 8 --kv 'file:%s/kv'",
             getenv("SIREN_BIN"), dir);
    int st;
    char *event = run_capture(cmd, &st);
    assert_int_equal(st, 0);
    cJSON *ev = cJSON_Parse(event);
    assert_non_null(ev);
    char *text = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    free(event);
    size_t limit = strlen(text);
    char *preset_path = tu_payload_preset(dir, "tiny-payload", (long long)limit, 1);
    assert_non_null(preset_path);
    char *next = NULL;
    assert_true(asprintf(&next, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-1\r\n"
                                "Lambda-Runtime-Deadline-Ms: 9999999999999\r\n"
                                "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         limit, text) > 0);
    const char *responses[] = {next, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
                                     "Connection: close\r\n\r\n"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 2), 0);
    char api[64], env[4200];
    snprintf(api, sizeof api, "127.0.0.1:%d", s.port);
    snprintf(env, sizeof env, "SIREN_BOOTSTRAP_PLATFORM=%s", preset_path);
    assert_int_equal(run_bootstrap(api, env), 1); /* exits when the next /next fails */
    http_stub_stop(&s);
    char *req = http_stub_request(&s, 1);
    assert_non_null(req);
    assert_non_null(strstr(req, "POST /2018-06-01/runtime/invocation/req-1/error HTTP/1.1"));
    assert_non_null(strcasestr(req, "\r\nLambda-Runtime-Function-Error-Type: "
                                    "Function.ResponseSizeTooLarge\r\n"));
    char want[128];
    snprintf(want, sizeof want, "exceeded maximum allowed payload size (%zu bytes).", limit);
    assert_error_document(strstr(req, "\r\n\r\n") + 4, "Function.ResponseSizeTooLarge", want);
    assert_error_document(strstr(req, "\r\n\r\n") + 4, "Function.ResponseSizeTooLarge",
                          "payload_bytes.sync of platform 'tiny-payload'");
    free(req);
    /* The function ran: its last step's version is in the store. */
    struct kv *kv;
    struct kv_value v;
    struct err e;
    char url[4200];
    snprintf(url, sizeof url, "file:%s/kv", dir);
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    assert_int_equal(kv_get(kv, "examples/lr-synthetic/params/v00000008", &v), SIREN_OK);
    kv_value_free(&v);
    kv_close(kv);

    const char *init_resp[] = {"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n"};
    assert_int_equal(http_stub_start(&s, dir, init_resp, 1), 0);
    snprintf(api, sizeof api, "127.0.0.1:%d", s.port);
    assert_int_equal(run_bootstrap(api, "SIREN_BOOTSTRAP_PLATFORM=/nonexistent/preset.json"), 1);
    http_stub_stop(&s);
    req = http_stub_request(&s, 0);
    assert_non_null(req);
    assert_non_null(strstr(req, "POST /2018-06-01/runtime/init/error HTTP/1.1"));
    assert_error_document(strstr(req, "\r\n\r\n") + 4, "Runtime.InitError",
                          "/nonexistent/preset.json");
    free(req);
    free(next);
    free(text);
    free(preset_path);
    tu_rm_rf(dir);
    free(dir);
}

/* `siren run` of a small HSP job into dir/name with extra options; returns the exit status.
 * Under the sanitizer run the OpenMPI ranks run without LeakSanitizer (tests/lsan.supp). */
static int run_job(const char *dir, const char *name, const char *extra)
{
    char *cmd = NULL;
    int n = asprintf(&cmd,
                     "%s mpirun -n 2 --oversubscribe '%s' run --workload lr-synthetic --rows 2000 "
                     "--hash-bits 12 --batch 200 --scheduler static:n=1,m=1024 --max-epochs 2 "
                     "--clock wall --quiet --out '%s/%s' %s >'%s/%s.log' 2>&1",
                     getenv("SIREN_SANITIZED") ? "ASAN_OPTIONS=handle_segv=0:detect_leaks=0" : "",
                     getenv("SIREN_BIN"), dir, name, extra, dir, name);
    assert_true(n > 0);
    int st = system(cmd);
    free(cmd);
    return st;
}

static double summary_number(const char *dir, const char *name, const char *key)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/summary.json", dir, name);
    cJSON *s;
    struct err e;
    if (json_load_file(path, &s, &e)) fail_msg("%s", e.msg);
    double v;
    if (json_get_number(s, key, path, &v, &e)) fail_msg("%s", e.msg);
    cJSON_Delete(s);
    return v;
}

/* The check: a small HSP job whose functions run in bootstrap processes behind the
 * Runtime API emulator, on the S3 server, ends with the same loss as the same job in the
 * emulator's sandboxes on a file store, both on the wall clock. With one function the job is
 * deterministic, so the tolerance is 1e-9 (the losses are the same computation). */
static void test_hsp_job_in_bootstrap_matches_the_emulator(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    char extra[1024];
    snprintf(extra, sizeof extra, "--backend lambda --function '%s' --kv 's3://%s/job?endpoint=%s'",
             lambda_http, BUCKET, s3.endpoint);
    assert_int_equal(run_job(dir, "lambda", extra), 0);
    snprintf(extra, sizeof extra, "--kv 'file:%s/kv'", dir);
    assert_int_equal(run_job(dir, "emulator", extra), 0);
    double a = summary_number(dir, "lambda", "final_loss");
    double b = summary_number(dir, "emulator", "final_loss");
    print_message("final loss: bootstrap %.17g, emulator %.17g\n", a, b);
    assert_true(fabs(a - b) <= 1e-9);
    assert_true(a < log(2.0)); /* it learned from the zero-initialised model */
    assert_true(summary_number(dir, "lambda", "invocations") == 2.0);
    assert_true(summary_number(dir, "lambda", "failed_invocations") == 0.0);
    tu_rm_rf(dir);
    free(dir);
}

/* Three functions under average (HSP's default rule), each a bootstrap process behind the
 * Runtime API emulator, the first reducing each round inside its own invocation while the
 * others wait: the same final loss as the emulator's sandboxes, to 1e-9 (the average sums in
 * function order wherever it runs). */
static void test_average_job_of_three_functions_in_bootstrap_matches_the_emulator(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    char extra[1024];
    snprintf(extra, sizeof extra, "--backend lambda --function '%s' --kv 's3://%s/avg?endpoint=%s' "
             "--scheduler static:n=3,m=1024 --update average:2", lambda_http, BUCKET, s3.endpoint);
    assert_int_equal(run_job(dir, "lambda", extra), 0);
    snprintf(extra, sizeof extra, "--kv 'file:%s/kv' --scheduler static:n=3,m=1024 "
             "--update average:2", dir);
    assert_int_equal(run_job(dir, "emulator", extra), 0);
    double a = summary_number(dir, "lambda", "final_loss");
    double b = summary_number(dir, "emulator", "final_loss");
    print_message("final loss: bootstrap %.17g, emulator %.17g\n", a, b);
    assert_true(fabs(a - b) <= 1e-9);
    assert_true(a < log(2.0));
    assert_true(summary_number(dir, "lambda", "invocations") == 6.0);
    assert_true(summary_number(dir, "lambda", "failed_invocations") == 0.0);
    tu_rm_rf(dir);
    free(dir);
}

/* --------------------------------------------------------------------- the peers */

/* 0 ready, 1 cannot be installed, -1 failed. */
static int lambda_up(void)
{
    if (!(lambda_dir = tu_mkdtemp())) return -1;
    char *cmd = NULL;
    if (asprintf(&cmd, "'%s/scripts/peers/lambda-up.sh' '%s' '%s' >/dev/null",
                 getenv("SIREN_SOURCE_DIR"), lambda_dir, SIREN_BOOTSTRAP_BIN) < 0)
        return -1;
    int st = system(cmd);
    free(cmd);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) return 1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    snprintf(trace_path, sizeof trace_path, "%s/trace.jsonl", lambda_dir);
    char *envf = tu_path(lambda_dir, "env");
    char *text;
    size_t len;
    struct err e;
    int rc = fs_read_all(envf, &text, &len, &e);
    free(envf);
    if (rc) return -1;
    char *p = strstr(text, "SIREN_LAMBDA_HTTP=");
    if (p) snprintf(lambda_http, sizeof lambda_http, "%.*s", (int)strcspn(p + 18, "\n"), p + 18);
    free(text);
    return lambda_http[0] ? 0 : -1;
}

static void lambda_down(void)
{
    if (!lambda_dir) return;
    char *cmd = NULL;
    if (asprintf(&cmd, "'%s/scripts/peers/lambda-down.sh' '%s'", getenv("SIREN_SOURCE_DIR"),
                 lambda_dir) >= 0) {
        if (system(cmd) != 0) fprintf(stderr, "lambda-down.sh failed\n");
        free(cmd);
    }
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
    int up = s3_peer_up(&s3);
    if (up == 1) {
        fprintf(stderr, "[ SKIPPED ] lambda: radosgw is not installed and cannot be installed\n");
        return 77;
    }
    if (up < 0) {
        fprintf(stderr, "[ FAILED ] lambda: could not start radosgw (scripts/peers/s3-up.sh)\n");
        s3_peer_down(&s3);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s3_kv_register();
    struct err e;
    char url[512];
    snprintf(url, sizeof url, "s3://%s?endpoint=%s", BUCKET, s3.endpoint);
    if (s3_bucket_create(url, &e) != SIREN_OK) {
        fprintf(stderr, "[ FAILED ] lambda: create bucket: %s\n", e.msg);
        s3_peer_down(&s3);
        return 1;
    }
    up = lambda_up();
    if (up != 0) {
        fprintf(stderr, up == 1 ? "[ SKIPPED ] lambda: node/npm or @architect/sandbox cannot be "
                                  "installed\n"
                                : "[ FAILED ] lambda: the Runtime API emulator did not start\n");
        lambda_down();
        s3_peer_down(&s3);
        return up == 1 ? 77 : 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bootstrap_links_no_mpi),
        cmocka_unit_test(test_bootstrap_training_event_writes_next_versions),
        cmocka_unit_test(test_bootstrap_bad_event_reports_the_documented_error_shape),
        cmocka_unit_test(test_bootstrap_missing_data_key_is_not_found_error),
        cmocka_unit_test(test_bootstrap_host_port_form_and_init_error),
        cmocka_unit_test(test_bootstrap_response_over_the_limit_is_posted_as_an_error),
        cmocka_unit_test(test_hsp_job_in_bootstrap_matches_the_emulator),
        cmocka_unit_test(test_average_job_of_three_functions_in_bootstrap_matches_the_emulator),
    };
    int failed = cmocka_run_group_tests_name("bootstrap (Runtime API emulator + radosgw)", tests,
                                             NULL, NULL);
    lambda_down();
    s3_peer_down(&s3);
    curl_global_cleanup();
    return failed;
}

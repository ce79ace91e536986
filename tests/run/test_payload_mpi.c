/*
 * `siren run` under the Invoke API's payload limits, with copies of the shipped preset whose
 * payload_bytes.sync was lowered: an epoch whose events do not fit is refused before any
 * function runs, on every rank even when only one rank's events are too large, and the message
 * names the size, the limit, the preset and what to do; a job whose events fit runs exactly
 * as under the shipped preset; a function whose response does not fit fails its
 * invocation as Lambda's does, and the job goes on. Event sizes are read from the refusal of a
 * probe run (limit 1 byte), so that the tests do not depend on what an event holds; they vary
 * by a few bytes from run to run (the events carry the coordinator's owner record, its pid
 * and start time), so every limit is set well clear of the sizes it separates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core.h"
#include "payload_preset.h"
#include "run_test.h"
#include "testutil.h"
#include "trace.h"

/* Three mini-batches of lr-synthetic; the rule, clock and epochs are the test's. */
#define SMALL_JOB "--workload lr-synthetic --rows 600 --hash-bits 12 --batch 200"

/* dir/<name>.json: the shipped preset with a synchronous limit of sync_bytes. Returns the
 * path (caller frees). */
static char *preset(const char *name, long long sync_bytes)
{
    long long async_bytes = sync_bytes < 262144 ? sync_bytes : 262144;
    char *path = tu_payload_preset(dir, name, sync_bytes, async_bytes);
    assert_non_null(path);
    return path;
}

/* Runs `siren run ARGS --platform PRESET` on ranks into dir/name; returns the exit status. */
static int run_with(int ranks, const char *name, const char *preset_path, const char *args)
{
    char *all = NULL;
    assert_true(asprintf(&all, "%s --platform '%s'", args, preset_path) > 0);
    int st = run_siren(ranks, name, all);
    free(all);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle)) fail_msg("'%s' does not say '%s'", text, needle);
}

/* The whole of dir/<name>.log, what the run wrote on stdout and stderr. */
static char *run_log(const char *name)
{
    char *log = NULL, *path = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&path, "%s/%s.log", dir, name) > 0);
    if (fs_read_all(path, &log, &len, &e)) fail_msg("%s", e.msg);
    free(path);
    return log;
}

/* The size of the event a refused run names in its log ("function F...: event of N bytes"),
 * and (fn: may be NULL) its function. */
static long long refused_event_bytes(const char *name, int *fn)
{
    char *log = run_log(name);
    const char *at = strstr(log, "event of "), *f = strstr(log, ", function ");
    if (!at || !f) fail_msg("%s.log: no refusal in '%s'", name, log);
    long long bytes = strtoll(at + strlen("event of "), NULL, 10);
    if (fn) *fn = atoi(f + strlen(", function "));
    free(log);
    return bytes;
}

/* A top-level number of dir/name/summary.json. */
static double summary_number(const char *name, const char *key)
{
    char *path = NULL;
    cJSON *sum;
    struct err e;
    double v = 0;
    assert_true(asprintf(&path, "%s/%s/summary.json", dir, name) > 0);
    if (json_load_file(path, &sum, &e) || json_get_number(sum, key, path, &v, &e))
        fail_msg("%s", e.msg);
    cJSON_Delete(sum);
    free(path);
    return v;
}

/* The bytes of the one object dir/name/kv/jobs/<id>/params/e0001/<object>. */
static char *epoch1_object(const char *name, const char *object, size_t *len)
{
    char *pattern = NULL, *text = NULL;
    glob_t g;
    struct err e;
    assert_true(asprintf(&pattern, "%s/%s/kv/jobs/*/params/e0001/%s", dir, name, object) > 0);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 1);
    if (fs_read_all(g.gl_pathv[0], &text, len, &e)) fail_msg("%s", e.msg);
    globfree(&g);
    free(pattern);
    return text;
}

/* A refused epoch runs nothing and writes no row: one rank, every event over 1 byte. Then on
 * 3 ranks (a function per invoker), the larger event (the function of 2 steps) over the limit
 * and the other (1 step, some 130 bytes less) under it: the invokers agree before either
 * starts, so the other does not run either, and the shared parameter object is still the
 * staged one. */
static void test_event_over_the_limit_is_refused_before_anything_runs(void **state)
{
    (void)state;
    const char *job = SMALL_JOB " --max-epochs 2 --clock wall --update overwrite "
                                "--scheduler static:n=2,m=1024";
    char *one = preset("one-byte", 1);
    assert_int_equal(run_with(1, "probe", one, job), 1);
    char *log = run_log("probe");
    assert_has(log, "siren run: rank 0: epoch 1, function ");
    assert_has(log, " (the largest of 2 events over the limit): event of ");
    assert_has(log, "bytes is over the synchronous (RequestResponse) invocation payload limit "
                    "of 1 bytes (payload_bytes.sync of platform 'one-byte', ");
    assert_has(log, one);
    assert_has(log, "nothing was run. An event carries keys into the KV store, not data");
    free(log);
    int fn;
    long long largest = refused_event_bytes("probe", &fn);
    assert_true(largest > 1);
    /* No row: the header alone. */
    char *csv = NULL;
    assert_true(asprintf(&csv, "%s/probe/epochs.csv", dir) > 0);
    assert_int_equal(lines_of(csv), 1);
    free(csv);
    assert_true(summary_number("probe", "invocations") == 0);
    assert_true(summary_number("probe", "epochs") == 0); /* the refused epoch is not counted */

    long long limit = largest - 48;
    char *under = preset("split-limit", limit);
    assert_int_equal(run_with(3, "split", under, job), 1);
    log = run_log("split");
    char want[160];
    snprintf(want, sizeof want, "epoch 1, function %d: event of ", fn);
    assert_has(log, want); /* that function's event alone is over */
    snprintf(want, sizeof want, "bytes is over the synchronous (RequestResponse) invocation "
             "payload limit of %lld bytes (payload_bytes.sync of platform 'split-limit'", limit);
    assert_has(log, want);
    free(log);
    assert_true(refused_event_bytes("split", NULL) > limit);
    size_t len0, len1;
    char *staged = epoch1_object("probe", "current", &len0);
    char *after = epoch1_object("split", "current", &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(staged, after, len0);
    free(staged);
    free(after);
    free(one);
    free(under);
}

/* Every event of the job fits under a limit just above its largest (the boundary to the byte
 * is test_payload's): the job runs and gives the same row as under the shipped preset (one
 * epoch, so the probe saw every event). */
static void test_events_under_the_limit_run_as_under_the_shipped_preset(void **state)
{
    (void)state;
    const char *job = SMALL_JOB " --max-epochs 1 --update overwrite "
                                "--scheduler static:n=2,m=1024";
    char *one = preset("one-byte-v", 1);
    assert_int_equal(run_with(1, "vprobe", one, job), 1);
    long long largest = refused_event_bytes("vprobe", NULL);
    char *above = preset("above", largest + 48);
    assert_int_equal(run_with(2, "above", above, job), 0);
    assert_int_equal(WEXITSTATUS(run_siren(2, "shipped", job)), 0);
    char *a = slurp("above", "epochs.csv"), *b = slurp("shipped", "epochs.csv");
    assert_string_equal(a, b);
    assert_true(summary_number("above", "failed_invocations") == 0);
    assert_true(summary_number("above", "invocations") > 0);
    free(a);
    free(b);
    free(one);
    free(above);
}

/* One function runs 60 steps in one event (the wall clock), and its response (a loss and
 * times per step) outgrows its event (keys per step). With a limit between the two, the
 * function runs but its invocation fails with Lambda's error, recorded in the trace, and the
 * job goes on to its end. */
static void test_response_over_the_limit_fails_the_invocation(void **state)
{
    (void)state;
    const char *job = "--workload lr-synthetic --rows 12000 --hash-bits 12 --batch 200 "
                      "--max-epochs 2 --clock wall --update overwrite "
                      "--scheduler static:n=1,m=1024";
    char *one = preset("one-byte-r", 1);
    assert_int_equal(run_with(1, "rprobe", one, job), 1);
    long long event = refused_event_bytes("rprobe", NULL);
    char *between = preset("between", event + event / 8);
    assert_int_equal(run_with(2, "resp", between, job), 0);
    assert_true(summary_number("resp", "invocations") == 2);
    assert_true(summary_number("resp", "failed_invocations") == 2);
    char *path = NULL;
    assert_true(asprintf(&path, "%s/resp/trace.h5", dir) > 0);
    struct trace t;
    struct err e;
    if (trace_read_h5(path, &t, &e)) fail_msg("%s", e.msg);
    assert_int_equal(t.n_inv, 2);
    for (size_t i = 0; i < t.n_inv; i++) {
        assert_int_equal(t.inv[i].status, TRACE_FAILED);
        assert_has(t.inv[i].error, "Function.ResponseSizeTooLarge: Response payload size (");
    }
    trace_free(&t);
    free(path);
    free(one);
    free(between);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_over_the_limit_is_refused_before_anything_runs),
        cmocka_unit_test(test_events_under_the_limit_run_as_under_the_shipped_preset),
        cmocka_unit_test(test_response_over_the_limit_fails_the_invocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

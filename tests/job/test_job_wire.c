/*
 * The wire formats of an emulated job (job_wire.h): a task message and a results message come
 * back from their text as they went in (integers and strings exactly, other numbers as cJSON
 * prints them: within DBL_EPSILON, relative), and a malformed one
 * (a field missing, a string where a number goes, a fraction where an integer goes, the old
 * positional array where an object goes, an entry that is not a key) is SIREN_EFORMAT with a
 * message that names the field and where it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "job_wire.h"

/* ------------------------------------------------------------------- results */

static void result_fill(struct task_result *r, int fn, int n_steps)
{
    memset(r, 0, sizeof *r);
    r->fn = fn;
    r->first_step = 3;
    r->ok = fn % 2 == 0;
    r->cold = 1;
    r->wall_ms = 12.345678901234567;
    r->peak_mb = 4.90234375;
    r->init_ms = 250.0000000001;
    r->run_ms = 0.1 + 0.2;
    r->start_ms = 1e-9;
    r->end_ms = 98765.4321;
    snprintf(r->error, sizeof r->error, "Runtime.ExitError: signal: \"killed\"");
    r->n_steps = n_steps;
    r->steps = calloc((size_t)n_steps, sizeof *r->steps);
    assert_non_null(r->steps);
    for (int k = 0; k < n_steps; k++) {
        struct step_result *s = &r->steps[k];
        s->read_got = (int64_t)1 << (40 + k);
        s->base_got = k ? -1 : 7;
        s->loss = 0.6931471805599453 / (k + 1);
        s->timing = (struct step_timing){1.0 / 3, 2.5 + k, 1e-7, 0, 1e300};
    }
}

/* cJSON prints 15 significant digits when they read back within DBL_EPSILON of the number
 * (relative), 17 otherwise: a number crosses the wire within that. */
#define assert_same_number(a, b) assert_same_number_at((a), (b), #a, __LINE__)
static void assert_same_number_at(double a, double b, const char *what, int line)
{
    double big = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (!(fabs(a - b) <= big * DBL_EPSILON))
        fail_msg("line %d: %s: %.17g came back as %.17g", line, what, a, b);
}

static void assert_results_equal(const struct task_result *a, const struct task_result *b)
{
    assert_int_equal(a->fn, b->fn);
    assert_int_equal(a->first_step, b->first_step);
    assert_int_equal(a->ok, b->ok);
    assert_int_equal(a->cold, b->cold);
    assert_same_number(a->wall_ms, b->wall_ms);
    assert_same_number(a->peak_mb, b->peak_mb);
    assert_same_number(a->init_ms, b->init_ms);
    assert_same_number(a->run_ms, b->run_ms);
    assert_same_number(a->start_ms, b->start_ms);
    assert_same_number(a->end_ms, b->end_ms);
    assert_string_equal(a->error, b->error);
    assert_int_equal(a->n_steps, b->n_steps);
    for (int k = 0; k < a->n_steps; k++) {
        const struct step_result *x = &a->steps[k], *y = &b->steps[k];
        assert_true(x->read_got == y->read_got);
        assert_true(x->base_got == y->base_got);
        assert_same_number(x->loss, y->loss);
        assert_same_number(x->timing.data_get_ms, y->timing.data_get_ms);
        assert_same_number(x->timing.param_get_ms, y->timing.param_get_ms);
        assert_same_number(x->timing.compute_ms, y->timing.compute_ms);
        assert_same_number(x->timing.base_get_ms, y->timing.base_get_ms);
        assert_same_number(x->timing.put_ms, y->timing.put_ms);
    }
}

static void test_job_results_round_trip(void **state)
{
    (void)state;
    struct task_result in[2], *out;
    result_fill(&in[0], 4, 2);
    result_fill(&in[1], 7, 1);
    char *text;
    int n;
    struct err e;
    assert_int_equal(job_task_results_encode(in, 2, &text, &e), SIREN_OK);
    assert_int_equal(job_task_results_decode(text, &out, &n, &e), SIREN_OK);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) assert_results_equal(&in[i], &out[i]);
    free(text);
    job_task_results_free(out, n);
    job_task_result_free(&in[0]);
    job_task_result_free(&in[1]);
}

static void test_job_results_empty_message_has_no_results(void **state)
{
    (void)state;
    char *text;
    struct task_result *out;
    int n = -1;
    struct err e;
    assert_int_equal(job_task_results_encode(NULL, 0, &text, &e), SIREN_OK);
    assert_int_equal(job_task_results_decode(text, &out, &n, &e), SIREN_OK);
    assert_int_equal(n, 0);
    free(text);
    job_task_results_free(out, n);
}

/* An invoker that refused its task message (an event over the payload limit) answers with
 * its reason, which decodes as that error, code and message, with no results; a malformed
 * refusal is a format error. */
static void test_job_results_refusal_decodes_as_its_error(void **state)
{
    (void)state;
    char *text;
    struct task_result *out = (struct task_result *)&out;
    int n = -1;
    struct err e;
    const char *why = "epoch 2, function 5: event of 70 bytes is over the synchronous "
                      "(RequestResponse) invocation payload limit of 64 bytes";
    assert_int_equal(job_task_results_encode_refusal(SIREN_ELIMIT, why, &text, &e), SIREN_OK);
    assert_int_equal(job_task_results_decode(text, &out, &n, &e), SIREN_ELIMIT);
    assert_int_equal(e.code, SIREN_ELIMIT);
    assert_string_equal(e.msg, why);
    assert_null(out);
    assert_int_equal(n, 0);
    free(text);
    const char *bad = "{\"results\":[],\"refused\":{\"code\":8,\"message\":\"x\"}}";
    assert_int_equal(job_task_results_decode(bad, &out, &n, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "'code'"));
}

/* A results message of one valid result (fn 4, two steps) after `mutate` changed it. */
static char *results_text(void (*mutate)(cJSON *result))
{
    struct task_result r;
    result_fill(&r, 4, 2);
    cJSON *o = job_task_result_encode(&r);
    assert_non_null(o);
    job_task_result_free(&r);
    mutate(o);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "results"), o);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    assert_non_null(text);
    return text;
}

/* Decoding text fails with SIREN_EFORMAT and a message holding each of the words. */
static void assert_results_refused(char *text, const char *word1, const char *word2)
{
    struct task_result *out = (struct task_result *)&out;
    int n = -1;
    struct err e;
    assert_int_equal(job_task_results_decode(text, &out, &n, &e), SIREN_EFORMAT);
    assert_null(out);
    assert_int_equal(n, 0);
    if (!strstr(e.msg, word1) || !strstr(e.msg, word2))
        fail_msg("'%s' does not name %s and %s", e.msg, word1, word2);
    free(text);
}

static void drop_wall_ms(cJSON *o) { cJSON_DeleteItemFromObjectCaseSensitive(o, "wall_ms"); }
static void loss_as_string(cJSON *o)
{
    cJSON *step = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "steps"), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(step, "loss", cJSON_CreateString("0.69"));
}
static void fn_fraction(cJSON *o)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, "fn", cJSON_CreateNumber(1.5));
}
static void ok_as_number(cJSON *o)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, "ok", cJSON_CreateNumber(1));
}
static void steps_not_array(cJSON *o)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, "steps", cJSON_CreateNumber(2));
}
static void step_drop_put_ms(cJSON *o)
{
    cJSON *step = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "steps"), 0);
    cJSON_DeleteItemFromObjectCaseSensitive(step, "put_ms");
}

static void test_job_results_missing_field_is_named(void **state)
{
    (void)state;
    assert_results_refused(results_text(drop_wall_ms), "task 0", "'wall_ms' is missing");
    assert_results_refused(results_text(step_drop_put_ms), "task 0: step 0",
                           "'put_ms' is missing");
}

static void test_job_results_wrong_type_is_named(void **state)
{
    (void)state;
    assert_results_refused(results_text(loss_as_string), "task 0: step 1", "'loss'");
    assert_results_refused(results_text(fn_fraction), "task 0", "'fn': expected an integer");
    assert_results_refused(results_text(ok_as_number), "task 0", "'ok'");
    assert_results_refused(results_text(steps_not_array), "task 0", "'steps': expected an array");
}

static void test_job_results_positional_row_is_refused(void **state)
{
    (void)state;
    /* The old format, a row of numbers read by position, and a short one at that. */
    char *text = strdup("{\"results\":[[4,3,1,0,-1,0.5,12.3]]}");
    assert_results_refused(text, "task 0", "expected an object");
    assert_results_refused(strdup("{\"results\":{}}"), "results message", "'results'");
}

/* ---------------------------------------------------------------- task messages */

static void msg_fill(struct task_msg *m)
{
    struct err e;
    memset(m, 0, sizeof *m);
    m->epoch = 3;
    m->memory_mb = 1792;
    m->timeout_ms = 900000;
    m->wall = 0;
    m->event = cJSON_CreateObject();
    cJSON_AddStringToObject(m->event, "kv", "file:/tmp/kv");
    cJSON_AddStringToObject(m->event, "params", "job/params/e0003/");
    cJSON_AddNumberToObject(m->event, "wait_ms", 600000.0);
    /* A training step of an ASP pass. */
    struct task_spec *t = job_task_msg_add(m);
    assert_non_null(t);
    t->fn = 5;
    t->first_step = 2;
    t->epoch = 4;
    t->lr = (double)0.01f;
    struct task_step *s = job_task_spec_add_step(t);
    assert_non_null(s);
    s->kind = TASK_STEP_TRAIN;
    snprintf(s->data_key, sizeof s->data_key, "job/data/b0000042");
    s->read_version = 17;
    s->base_version = -1;
    s->write_version = 18;
    s->seed = ((uint64_t)1 << 52) - 1;
    /* A BSP gradient step and the leader's aggregation after it. */
    t = job_task_msg_add(m);
    s = job_task_spec_add_step(t);
    t->fn = 1;
    s->kind = TASK_STEP_GRADIENT;
    snprintf(s->data_key, sizeof s->data_key, "job/data/b0000001");
    s->base_version = 0;
    s->write_version = -1;
    snprintf(s->grad_key, sizeof s->grad_key, "job/params/e0003/g000000/f000001");
    t = job_task_msg_add(m);
    s = job_task_spec_add_step(t);
    t->first_step = -1;
    s->kind = TASK_STEP_AGGREGATE;
    s->base_version = -1;
    s->write_version = 1;
    assert_int_equal(job_task_step_aggregate(s, 3, &e), SIREN_OK);
    for (int i = 0; i < 3; i++)
        snprintf(s->aggregate[i], TASK_KEY_MAX, "job/params/e0003/g000000/f%06d", i);
    /* A wall-clock task of two steps. */
    t = job_task_msg_add(m);
    t->fn = 2;
    for (int k = 0; k < 2; k++) {
        s = job_task_spec_add_step(t);
        s->read_version = s->base_version = s->write_version = -1;
        s->seed = (uint64_t)k;
        snprintf(s->data_key, sizeof s->data_key, "job/data/b%07d", k);
    }
}

static void test_job_task_msg_round_trips(void **state)
{
    (void)state;
    struct task_msg in, out;
    struct err e;
    char *text;
    msg_fill(&in);
    assert_int_equal(job_task_msg_encode(&in, &text, &e), SIREN_OK);
    assert_int_equal(job_task_msg_decode(text, &out, &e), SIREN_OK);
    assert_int_equal(out.epoch, 3);
    assert_int_equal(out.memory_mb, 1792);
    assert_true(out.timeout_ms == 900000);
    assert_int_equal(out.wall, 0);
    assert_true(cJSON_Compare(in.event, out.event, 1));
    assert_int_equal(out.n_tasks, in.n_tasks);
    for (int i = 0; i < in.n_tasks; i++) {
        const struct task_spec *a = &in.tasks[i], *b = &out.tasks[i];
        assert_int_equal(a->fn, b->fn);
        assert_int_equal(a->first_step, b->first_step);
        assert_int_equal(a->epoch, b->epoch);
        assert_same_number(a->lr, b->lr);
        assert_int_equal(a->n_steps, b->n_steps);
        for (int k = 0; k < a->n_steps; k++) {
            const struct task_step *x = &a->steps[k], *y = &b->steps[k];
            assert_int_equal(x->kind, y->kind);
            assert_string_equal(x->data_key, y->data_key);
            assert_true(x->read_version == y->read_version);
            assert_true(x->base_version == y->base_version);
            assert_true(x->write_version == y->write_version);
            assert_true(x->seed == y->seed);
            assert_string_equal(x->grad_key, y->grad_key);
            assert_int_equal(x->n_aggregate, y->n_aggregate);
            for (int q = 0; q < x->n_aggregate; q++)
                assert_string_equal(x->aggregate[q], y->aggregate[q]);
        }
    }
    free(text);
    job_task_msg_free(&in);
    job_task_msg_free(&out);
}

/* The valid message after `mutate` changed its task 0 (or, with task < 0, its root). */
static char *msg_text(int task, void (*mutate)(cJSON *o))
{
    struct task_msg m;
    struct err e;
    char *text;
    msg_fill(&m);
    assert_int_equal(job_task_msg_encode(&m, &text, &e), SIREN_OK);
    job_task_msg_free(&m);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    mutate(task < 0 ? root
                    : cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "tasks"), task));
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

static void assert_msg_refused(char *text, const char *word1, const char *word2)
{
    struct task_msg m;
    struct err e;
    assert_int_equal(job_task_msg_decode(text, &m, &e), SIREN_EFORMAT);
    assert_null(m.tasks);
    assert_null(m.event);
    if (!strstr(e.msg, word1) || !strstr(e.msg, word2))
        fail_msg("'%s' does not name %s and %s", e.msg, word1, word2);
    free(text);
}

static cJSON *first_step(cJSON *task)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(task, "steps"), 0);
}
static void drop_seed(cJSON *t) { cJSON_DeleteItemFromObjectCaseSensitive(first_step(t), "seed"); }
static void read_as_string(cJSON *t)
{
    cJSON_ReplaceItemInObjectCaseSensitive(first_step(t), "read", cJSON_CreateString("17"));
}
static void kind_unknown(cJSON *t)
{
    cJSON_ReplaceItemInObjectCaseSensitive(first_step(t), "kind", cJSON_CreateString("apply"));
}
static void aggregate_number(cJSON *t)
{
    cJSON *agg = cJSON_GetObjectItemCaseSensitive(first_step(t), "aggregate");
    cJSON_AddItemToArray(agg, cJSON_CreateNumber(3));
}
static void positional_step(cJSON *t)
{
    cJSON *s = cJSON_CreateArray();
    cJSON_AddItemToArray(s, cJSON_CreateString("job/data/b0000042"));
    cJSON_AddItemToArray(s, cJSON_CreateNumber(17));
    cJSON_ReplaceItemInArray(cJSON_GetObjectItemCaseSensitive(t, "steps"), 0, s);
}
static void no_steps(cJSON *t)
{
    cJSON_ReplaceItemInObjectCaseSensitive(t, "steps", cJSON_CreateArray());
}
static void drop_lr(cJSON *t) { cJSON_DeleteItemFromObjectCaseSensitive(t, "lr"); }
static void drop_template_kv(cJSON *root)
{
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "template"),
                                            "kv");
}
static void timeout_fraction(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(root, "timeout_ms", cJSON_CreateNumber(0.5));
}

static void test_job_task_msg_malformed_is_named(void **state)
{
    (void)state;
    assert_msg_refused(msg_text(0, drop_seed), "task 0: step 0", "'seed' is missing");
    assert_msg_refused(msg_text(0, read_as_string), "task 0: step 0", "'read'");
    assert_msg_refused(msg_text(0, kind_unknown), "task 0: step 0", "'kind'");
    assert_msg_refused(msg_text(2, aggregate_number), "task 2: step 0", "'aggregate'");
    assert_msg_refused(msg_text(0, positional_step), "task 0: step 0", "expected an object");
    assert_msg_refused(msg_text(1, no_steps), "task 1", "'steps'");
    assert_msg_refused(msg_text(3, drop_lr), "task 3", "'lr' is missing");
    assert_msg_refused(msg_text(-1, drop_template_kv), "template", "'kv' is missing");
    assert_msg_refused(msg_text(-1, timeout_fraction), "task message", "'timeout_ms'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_results_round_trip),
        cmocka_unit_test(test_job_results_empty_message_has_no_results),
        cmocka_unit_test(test_job_results_refusal_decodes_as_its_error),
        cmocka_unit_test(test_job_results_missing_field_is_named),
        cmocka_unit_test(test_job_results_wrong_type_is_named),
        cmocka_unit_test(test_job_results_positional_row_is_refused),
        cmocka_unit_test(test_job_task_msg_round_trips),
        cmocka_unit_test(test_job_task_msg_malformed_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * How jobs share one store (emu/store.h), on a file store in a mkdtemp directory: the key
 * layout, job ids, owner records and whether their process lives (this process; a child that
 * has exited; another host), locks whose holder died, the last reference to a dataset taking
 * it along, and the garbage collector's decisions, dry and for real, on a store of jobs in
 * every state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kv.h"
#include "store.h"
#include "testutil.h"

static char *dir;
static struct kv *kv;

static int setup_each(void **state)
{
    (void)state;
    struct err e;
    char url[4200];
    dir = tu_mkdtemp();
    if (!dir) return -1;
    snprintf(url, sizeof url, "file:%s/store", dir);
    if (kv_open(url, &kv, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown_each(void **state)
{
    (void)state;
    kv_close(kv);
    tu_rm_rf(dir);
    free(dir);
    return 0;
}

/* A pid that existed and is gone: a child that has exited and been reaped. */
static long long dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return (long long)pid;
}

static void put_text(const char *key, const char *text)
{
    assert_int_equal(kv_put(kv, key, text, strlen(text)), SIREN_OK);
}

static void put_owner(const char *id, const struct store_owner *o)
{
    char key[STORE_KEY_MAX], text[STORE_OWNER_TEXT_MAX];
    store_key_owner(key, sizeof key, id);
    store_owner_encode(o, text, sizeof text);
    put_text(key, text);
}

static size_t count(const char *prefix)
{
    struct kv_keys k;
    assert_int_equal(kv_list(kv, prefix, &k), SIREN_OK);
    size_t n = k.count;
    kv_keys_free(&k);
    return n;
}

static void test_store_keys_and_ids(void **state)
{
    (void)state;
    char b[STORE_KEY_MAX];
    store_key_owner(b, sizeof b, "j1");
    assert_string_equal(b, "jobs/j1/owner");
    store_key_ckpt(b, sizeof b, "j1", 7);
    assert_string_equal(b, "jobs/j1/ckpt/e000007");
    store_key_params(b, sizeof b, "j1", 3);
    assert_string_equal(b, "jobs/j1/params/e0003/");
    store_key_fault(b, sizeof b, "j1", 2, 5, 1, 0, "crash");
    assert_string_equal(b, "jobs/j1/faults/e0002/f000005-i1-a0-crash");
    store_key_data(b, sizeof b, "abc", 12);
    assert_string_equal(b, "data/abc/b0000012");
    store_key_data_user(b, sizeof b, "abc", "j1");
    assert_string_equal(b, "data/abc/users/j1");
    /* The longest keys built fit a task message's key, with the longest id. */
    char id[STORE_JOB_ID_MAX + 1], digest[STORE_DIGEST_HEX + 1];
    memset(id, 'i', STORE_JOB_ID_MAX);
    id[STORE_JOB_ID_MAX] = '\0';
    memset(digest, 'd', STORE_DIGEST_HEX);
    digest[STORE_DIGEST_HEX] = '\0';
    char big[512];
    store_key_fault(big, sizeof big, id, 9999, 999999, 99, 99, "kv-error");
    assert_true(strlen(big) < STORE_KEY_MAX);
    store_key_data_user(big, sizeof big, digest, id);
    assert_true(strlen(big) < STORE_KEY_MAX);

    struct err e;
    assert_int_equal(store_job_id_check("sweep-3.a_b", &e), SIREN_OK);
    const char *bad[] = {"", "-x", ".x", "a/b", "a b", "a*"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(store_job_id_check(bad[i], &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "expected 1 to 48 letters"));
    char too_long[STORE_JOB_ID_MAX + 2];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_int_equal(store_job_id_check(too_long, &e), SIREN_EINVAL);
    char a[STORE_JOB_ID_MAX + 1], b2[STORE_JOB_ID_MAX + 1];
    store_job_id_new(a);
    store_job_id_new(b2);
    assert_int_equal(store_job_id_check(a, &e), SIREN_OK);
    assert_string_not_equal(a, b2);
}

static void test_store_owner_records_and_liveness(void **state)
{
    (void)state;
    struct store_owner me, back, o;
    struct err e;
    char text[STORE_OWNER_TEXT_MAX], who[256];
    store_owner_self(&me);
    store_owner_encode(&me, text, sizeof text);
    assert_int_equal(store_owner_decode(text, strlen(text), "k", &back, &e), SIREN_OK);
    assert_string_equal(back.host, me.host);
    assert_int_equal(back.pid, getpid());
    assert_true(back.pid_start == me.pid_start && back.started_s == me.started_s);
    assert_int_equal(store_owner_liveness(&back), STORE_ALIVE);
    store_owner_describe(&back, who, sizeof who);
    assert_non_null(strstr(who, "pid"));
    /* The same pid with another start time is a recycled pid: its owner is gone. */
    o = me;
    o.pid_start += 1;
    assert_int_equal(store_owner_liveness(&o), STORE_GONE);
    o = me;
    o.pid = dead_pid();
    assert_int_equal(store_owner_liveness(&o), STORE_GONE);
    /* Another host, boot or PID namespace: nothing can be told from here. */
    o = me;
    snprintf(o.host, sizeof o.host, "elsewhere");
    assert_int_equal(store_owner_liveness(&o), STORE_UNKNOWN);
    o = me;
    snprintf(o.pidns, sizeof o.pidns, "pid:[1]");
    assert_int_equal(store_owner_liveness(&o), STORE_UNKNOWN);
    /* Kept records round-trip; garbage is refused naming where. */
    o = me;
    o.kept = 1;
    o.finished_s = 1234.5;
    store_owner_encode(&o, text, sizeof text);
    assert_int_equal(store_owner_decode(text, strlen(text), "k", &back, &e), SIREN_OK);
    assert_true(back.kept && back.finished_s == 1234.5);
    assert_int_equal(store_owner_decode("nope", 4, "jobs/x/owner", &back, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "jobs/x/owner"));
}

static void test_store_lock_is_exclusive_and_broken_when_its_holder_died(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(store_lock_try(kv, "data/d/lock", &e), SIREN_OK);
    assert_int_equal(store_lock_try(kv, "data/d/lock", &e), SIREN_EEXISTS);
    store_unlock(kv, "data/d/lock");
    assert_int_equal(store_lock_try(kv, "data/d/lock", &e), SIREN_OK);
    store_unlock(kv, "data/d/lock");
    /* A lock left by a process that died is taken over. */
    struct store_owner dead;
    char text[STORE_OWNER_TEXT_MAX];
    store_owner_self(&dead);
    dead.pid = dead_pid();
    store_owner_encode(&dead, text, sizeof text);
    put_text("data/d/lock", text);
    assert_int_equal(store_lock(kv, "data/d/lock", &e), SIREN_OK);
    store_unlock(kv, "data/d/lock");
    assert_int_equal(count("data/d/"), 0);
}

static void test_store_last_reference_takes_the_dataset_along(void **state)
{
    (void)state;
    struct err e;
    size_t removed = 0;
    put_text("data/dd/b0000000", "x");
    put_text("data/dd/b0000001", "y");
    put_text("data/dd/ready", "2 batches");
    put_text("data/dd/users/a", "a");
    put_text("data/dd/users/b", "b");
    assert_int_equal(store_data_release(kv, "dd", "a", &removed, &e), SIREN_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(count("data/dd/"), 4);
    assert_int_equal(store_data_release(kv, "dd", "b", &removed, &e), SIREN_OK);
    assert_int_equal(removed, 5);
    assert_int_equal(count(""), 0);
    /* A job's removal keeps its owner record until asked. */
    put_text("jobs/j/owner", "{}");
    put_text("jobs/j/ckpt/e000001", "c");
    put_text("jobs/j/params/e0002/v00000000", "p");
    removed = 0;
    assert_int_equal(store_job_remove(kv, "j", 1, &removed, &e), SIREN_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(count("jobs/"), 1);
    assert_int_equal(store_job_remove(kv, "j", 0, &removed, &e), SIREN_OK);
    assert_int_equal(count(""), 0);
}

/* Collects gc's lines. */
static char notes[8192];
static void take_note(void *ctx, const char *line)
{
    (void)ctx;
    strncat(notes, line, sizeof notes - strlen(notes) - 2);
    strcat(notes, "\n");
}

/* A store of jobs in every state: live (this process), gone (a dead pid), kept, with no owner
 * record, and on another host heard of long ago; datasets used by the live job, by the gone
 * one only, and by nobody. */
static void fill_store(void)
{
    struct store_owner me, o;
    store_owner_self(&me);
    put_owner("live", &me);
    put_text("jobs/live/ckpt/e000001", "c");
    o = me;
    o.pid = dead_pid();
    put_owner("gone", &o);
    put_text("jobs/gone/ckpt/e000001", "c");
    put_text("jobs/gone/params/e0002/v00000000", "p");
    o = me;
    o.kept = 1;
    o.finished_s = me.started_s;
    put_owner("kept", &o);
    put_text("jobs/kept/ckpt/e000001", "c");
    put_text("jobs/orphan/params/e0001/v00000003", "p");
    o = me;
    snprintf(o.host, sizeof o.host, "node17");
    o.started_s -= 7200;
    put_owner("far", &o);
    put_text("jobs/far/beat", "1");
    put_text("data/d1/b0000000", "1");
    put_text("data/d1/ready", "1");
    put_text("data/d1/users/live", "live");
    put_text("data/d1/users/gone", "gone");
    put_text("data/d2/b0000000", "2");
    put_text("data/d2/ready", "1");
    put_text("data/d2/users/gone", "gone");
    put_text("data/d3/b0000000", "3");
}

static void test_store_gc_removes_what_nobody_owns(void **state)
{
    (void)state;
    fill_store();
    size_t all = count("");
    struct store_gc_opts o = {.dry_run = 1};
    struct store_gc_report r;
    struct err e;
    notes[0] = '\0';
    assert_int_equal(store_gc(kv, &o, take_note, NULL, &r, &e), SIREN_OK);
    assert_int_equal(count(""), all); /* dry: nothing went */
    assert_int_equal(r.jobs_removed, 2); /* gone, orphan */
    assert_int_equal(r.jobs_left, 3);    /* live, kept, far */
    assert_int_equal(r.data_removed, 2); /* d2, d3 */
    assert_non_null(strstr(notes, "job gone: would remove 3 objects: its owner is gone"));
    assert_non_null(strstr(notes, "job orphan: would remove 1 objects: no owner record"));
    assert_non_null(strstr(notes, "job live: left: running"));
    assert_non_null(strstr(notes, "job kept: left: finished and kept"));
    assert_non_null(strstr(notes, "job far: left: its owner cannot be checked from here"));
    assert_non_null(strstr(notes, "data d1: left: used by 1 job (live)"));

    o.dry_run = 0;
    notes[0] = '\0';
    assert_int_equal(store_gc(kv, &o, take_note, NULL, &r, &e), SIREN_OK);
    assert_int_equal(r.jobs_removed, 2);
    assert_int_equal(r.data_removed, 2);
    assert_int_equal(count("jobs/gone/"), 0);
    assert_int_equal(count("jobs/orphan/"), 0);
    assert_int_equal(count("jobs/live/"), 2);
    assert_int_equal(count("data/d1/"), 3); /* the gone job's reference went */
    assert_int_equal(count("data/d2/"), 0);
    assert_int_equal(count("data/d3/"), 0);
    /* Kept jobs go when asked; so do other hosts' jobs not heard of for long enough. */
    o.kept = 1;
    o.stale_after_s = 3600;
    assert_int_equal(store_gc(kv, &o, take_note, NULL, &r, &e), SIREN_OK);
    assert_int_equal(r.jobs_removed, 2);
    assert_int_equal(r.jobs_left, 1);
    assert_int_equal(count("jobs/kept/"), 0);
    assert_int_equal(count("jobs/far/"), 0);
    assert_int_equal(count("jobs/"), 2);
    assert_int_equal(count("data/"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_keys_and_ids),
        cmocka_unit_test(test_store_owner_records_and_liveness),
        cmocka_unit_test_setup_teardown(
            test_store_lock_is_exclusive_and_broken_when_its_holder_died, setup_each,
            teardown_each),
        cmocka_unit_test_setup_teardown(test_store_last_reference_takes_the_dataset_along,
                                        setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_store_gc_removes_what_nobody_owns, setup_each,
                                        teardown_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

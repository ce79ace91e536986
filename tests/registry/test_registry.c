/*
 * The one rule of the named backend tables (core.h, registry_admit), through both tables that
 * follow it: kv_register (16 entries, built-in "file" and "redis" count as taken) and
 * job_backend_register (8 entries). The same table again is a success that changes nothing;
 * another table under a taken name is SIREN_EINVAL, logged naming it, and the first table
 * stays; a full table is SIREN_ELIMIT. The tables are process-wide, so each is filled once here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "job.h"
#include "kv.h"
#include "testutil.h"

/* Runs fn with stderr going to a file, and returns what it wrote (malloc'ed). */
static char *stderr_of(int (*fn)(const void *), const void *arg, int *rc)
{
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char *path = tu_path(dir, "stderr.txt");
    assert_non_null(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
    *rc = fn(arg);
    fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    char *text = NULL;
    size_t len = 0;
    struct err e;
    assert_int_equal(fs_read_all(path, &text, &len, &e), SIREN_OK);
    tu_rm_rf(dir);
    free(path);
    free(dir);
    return text;
}

static void test_registry_admit_decides_from_what_the_name_holds(void **state)
{
    (void)state;
    int a = 0, b = 0;
    assert_int_equal(registry_admit(NULL, &a, 0, 2, "t", "thing", "a"), SIREN_OK);
    assert_int_equal(registry_admit(&a, &a, 1, 2, "t", "thing", "a"), REGISTRY_PRESENT);
    assert_int_equal(registry_admit(&a, &b, 1, 2, "t", "thing", "a"), SIREN_EINVAL);
    assert_int_equal(registry_admit(NULL, &b, 2, 2, "t", "thing", "b"), SIREN_ELIMIT);
    /* A full table still knows what it holds. */
    assert_int_equal(registry_admit(&a, &a, 2, 2, "t", "thing", "a"), REGISTRY_PRESENT);
}

/* ---------------------------------------------------------------- kv_register */

static int first_open(const char *url, void **st, struct err *e)
{
    (void)url, (void)e;
    *st = NULL;
    return SIREN_OK;
}
static int second_open(const char *url, void **st, struct err *e)
{
    (void)st;
    return err_set(e, SIREN_EUNSUPPORTED, "%s: the second table was used", url);
}
static void none_close(void *st) { (void)st; }
static int none_list(void *st, const char *p, struct kv_keys *o, struct err *e)
{
    (void)st, (void)p, (void)o, (void)e;
    return SIREN_OK;
}
static int none_del(void *st, const char *k, struct err *e)
{
    (void)st;
    return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", k);
}
static int none_read_open(void *st, const char *k, struct kv_raw *r, struct err *e)
{
    (void)st, (void)r;
    return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", k);
}
static void none_read_close(void *st, struct kv_raw *r) { (void)st, (void)r; }
static int none_write_open(void *st, const char *k, struct kv_raw *r, struct err *e)
{
    (void)st, (void)r;
    return err_set(e, SIREN_EUNSUPPORTED, "key '%s': read-only", k);
}
static int none_write_end(void *st, const char *k, struct kv_raw *r, int c, struct err *e)
{
    (void)st, (void)k, (void)r, (void)c, (void)e;
    return SIREN_OK;
}

#define KV_TABLE(name, open_fn)                                                              \
    {.scheme = name, .open = open_fn, .close = none_close, .list = none_list,                \
     .del = none_del, .read_open = none_read_open, .read_close = none_read_close,            \
     .write_open = none_write_open, .write_end = none_write_end}

static int kv_register_arg(const void *ops) { return kv_register(ops); }

static void test_kv_register_follows_the_rule(void **state)
{
    (void)state;
    static const struct kv_ops first = KV_TABLE("reg", first_open);
    static const struct kv_ops second = KV_TABLE("reg", second_open);
    static const struct kv_ops other_file = KV_TABLE("file", second_open);
    assert_int_equal(kv_register(&first), SIREN_OK);
    assert_int_equal(kv_register(&first), SIREN_OK);
    assert_int_equal(kv_register(&kv_file_ops), SIREN_OK);
    assert_int_equal(kv_register(&kv_redis_ops), SIREN_OK);
    int rc;
    char *log = stderr_of(kv_register_arg, &second, &rc);
    assert_int_equal(rc, SIREN_EINVAL);
    assert_non_null(strstr(log, "KV backend 'reg'"));
    free(log);
    assert_int_equal(kv_register(&other_file), SIREN_EINVAL);
    /* The first table still serves its scheme, and the built-in one its own. */
    struct kv *kv = NULL;
    struct err e;
    assert_int_equal(kv_open("reg:anything", &kv, &e), SIREN_OK);
    kv_close(kv);
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char url[1100];
    snprintf(url, sizeof url, "file:%s", dir);
    assert_int_equal(kv_open(url, &kv, &e), SIREN_OK);
    kv_close(kv);
    tu_rm_rf(dir);
    free(dir);
    /* 16 entries: "reg" and 15 more fill it. */
    static char names[16][8];
    static struct kv_ops more[16];
    for (int i = 0; i < 16; i++) {
        snprintf(names[i], sizeof names[i], "fill%d", i);
        more[i] = (struct kv_ops)KV_TABLE(names[i], first_open);
    }
    for (int i = 0; i < 15; i++) assert_int_equal(kv_register(&more[i]), SIREN_OK);
    log = stderr_of(kv_register_arg, &more[15], &rc);
    assert_int_equal(rc, SIREN_ELIMIT);
    assert_non_null(strstr(log, "KV backend 'fill15'"));
    free(log);
    assert_int_equal(kv_register(&more[3]), SIREN_OK);
    assert_int_equal(kv_register(&second), SIREN_EINVAL);
}

/* -------------------------------------------------------- job_backend_register */

static int invoke_none(const char *target, int memory_mb, int timeout_ms, const cJSON *event,
                       struct sandbox_result *res, struct err *e)
{
    (void)target, (void)memory_mb, (void)timeout_ms, (void)event, (void)res;
    return err_set(e, SIREN_EUNSUPPORTED, "not here");
}

static int job_register_arg(const void *b) { return job_backend_register(b); }

static void test_job_backend_register_follows_the_rule(void **state)
{
    (void)state;
    static const struct job_backend first = {"remote", invoke_none};
    static const struct job_backend second = {"remote", invoke_none};
    assert_int_equal(job_backend_register(&first), SIREN_OK);
    assert_int_equal(job_backend_register(&first), SIREN_OK);
    int rc;
    char *log = stderr_of(job_register_arg, &second, &rc);
    assert_int_equal(rc, SIREN_EINVAL);
    assert_non_null(strstr(log, "job backend 'remote'"));
    free(log);
    /* 8 entries: "remote" and 7 more fill it. */
    static char names[8][8];
    static struct job_backend more[8];
    for (int i = 0; i < 8; i++) {
        snprintf(names[i], sizeof names[i], "fill%d", i);
        more[i] = (struct job_backend){names[i], invoke_none};
    }
    for (int i = 0; i < 7; i++) assert_int_equal(job_backend_register(&more[i]), SIREN_OK);
    log = stderr_of(job_register_arg, &more[7], &rc);
    assert_int_equal(rc, SIREN_ELIMIT);
    assert_non_null(strstr(log, "job backend 'fill7'"));
    free(log);
    assert_int_equal(job_backend_register(&more[2]), SIREN_OK);
    assert_int_equal(job_backend_register(&second), SIREN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_admit_decides_from_what_the_name_holds),
        cmocka_unit_test(test_kv_register_follows_the_rule),
        cmocka_unit_test(test_job_backend_register_follows_the_rule),
    };
    return cmocka_run_group_tests_name("backend tables", tests, NULL, NULL);
}

/*
 * Platform presets: both shipped presets load with the figures they document, the helpers
 * (memory grid, vCPU share, billed duration, costs) give hand-computed values, and malformed
 * presets are rejected naming the file, the key and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "platform.h"
#include "testutil.h"

/* cmocka's assert_float_equal compares floats; costs need doubles. */
#define assert_near(a, b, eps) assert_near_impl((double)(a), (double)(b), (double)(eps), #a, __LINE__)
static void assert_near_impl(double a, double b, double eps, const char *what, int line)
{
    if (!(fabs(a - b) <= eps)) fail_msg("line %d: %s = %.17g, expected %.17g (+/- %g)", line, what, a, b, eps);
}


static void test_platform_lambda_2019_loads_documented_values(void **state)
{
    (void)state;
    struct platform p;
    struct err e;
    assert_int_equal(platform_load("lambda-2019", &p, &e), SIREN_OK);
    assert_string_equal(p.name, "lambda-2019");
    assert_int_equal(p.memory_mb_min, 128);
    assert_int_equal(p.memory_mb_max, 3008);
    assert_int_equal(p.memory_mb_step, 64);
    assert_near(p.vcpu_full_at_mb, 1792, 0);
    assert_near(p.vcpu_max, 2, 0);
    assert_near(p.timeout_s, 900, 0);
    assert_int_equal(p.payload_sync_bytes, 6291456);
    assert_int_equal(p.payload_async_bytes, 262144);
    assert_int_equal(p.tmp_mb_max, 512);
    assert_int_equal(p.concurrency_limit, 1000);
    assert_near(p.billing_granularity_ms, 100, 0);
    assert_int_equal(p.init_billed, 0);
    assert_near(p.price_usd_per_gb_s, 0.0000166667, 1e-15);
    assert_near(p.price_usd_per_request, 0.0000002, 1e-15);
    assert_near(p.store_usd_per_1000_get, 0.0004, 1e-12);
    assert_near(p.store_usd_per_1000_put, 0.005, 1e-12);
    assert_near(p.store_usd_per_1000_list, 0.005, 1e-12);
    assert_near(p.store_puts_per_s_per_prefix, 3500, 0);
    assert_near(p.store_gets_per_s_per_prefix, 5500, 0);
    assert_near(p.vm_billing_min_s, 60, 0);
    assert_int_equal(p.n_vms, 4);
    const struct vm_instance *vm = platform_vm_find(&p, "m4.large");
    assert_non_null(vm);
    assert_int_equal(vm->vcpus, 2);
    assert_near(vm->memory_gib, 8, 0);
    assert_near(vm->price_usd_per_hour, 0.10, 1e-12);
    assert_near(vm->s3_mb_per_s, 53, 0);
    assert_near(p.vm_boot_s, 29.3, 1e-12);
    vm = platform_vm_find(&p, "c5.2xlarge");
    assert_non_null(vm);
    assert_int_equal(vm->vcpus, 8);
    assert_near(vm->memory_gib, 16, 0);
    assert_near(vm->price_usd_per_hour, 0.34, 1e-12);
    assert_near(platform_vm_find(&p, "m4.2xlarge")->price_usd_per_hour, 0.40, 1e-12);
    assert_null(platform_vm_find(&p, "t2.micro"));
}

static void test_platform_lambda_2024_loads_documented_values(void **state)
{
    (void)state;
    struct platform p;
    struct err e;
    assert_int_equal(platform_load("lambda-2024", &p, &e), SIREN_OK);
    assert_int_equal(p.memory_mb_min, 128);
    assert_int_equal(p.memory_mb_max, 10240);
    assert_int_equal(p.memory_mb_step, 1);
    assert_near(p.vcpu_full_at_mb, 1769, 0);
    assert_near(p.vcpu_max, 6, 0);
    assert_near(p.billing_granularity_ms, 1, 0);
    assert_int_equal(p.init_billed, 1);
    assert_int_equal(p.tmp_mb_default, 512);
    assert_int_equal(p.tmp_mb_max, 10240);
    assert_near(p.price_usd_per_gb_s, 0.0000166667, 1e-15);
}

static void test_platform_helpers_give_hand_computed_values(void **state)
{
    (void)state;
    struct platform p19, p24;
    struct err e;
    assert_int_equal(platform_load("lambda-2019", &p19, &e), SIREN_OK);
    assert_int_equal(platform_load("lambda-2024", &p24, &e), SIREN_OK);
    /* Memory grid: clamp, then round up to 128 + 64k. */
    assert_int_equal(platform_memory_clip_mb(&p19, 1000), 1024);
    assert_int_equal(platform_memory_clip_mb(&p19, 1024), 1024);
    assert_int_equal(platform_memory_clip_mb(&p19, 100), 128);
    assert_int_equal(platform_memory_clip_mb(&p19, 5000), 3008);
    assert_int_equal(platform_memory_clip_mb(&p24, 1000.5), 1001);
    assert_true(platform_memory_valid(&p19, 3008));
    assert_false(platform_memory_valid(&p19, 1000));
    assert_true(platform_memory_valid(&p24, 1000));
    /* vCPU share: linear in memory, capped. */
    assert_near(platform_vcpu_share(&p19, 1792), 1.0, 1e-12);
    assert_near(platform_vcpu_share(&p19, 896), 0.5, 1e-12);
    assert_near(platform_vcpu_share(&p24, 10240), 10240.0 / 1769.0, 1e-12);
    struct platform capped = p19;
    capped.vcpu_max = 1.5;
    assert_near(platform_vcpu_share(&capped, 3008), 1.5, 0);
    /* Billing: 100 ms units in 2019 (init not billed), 1 ms units plus init today. */
    assert_near(platform_billed_ms(&p19, 1234, 0), 1300, 0);
    assert_near(platform_billed_ms(&p19, 1200, 0), 1200, 0);
    assert_near(platform_billed_ms(&p19, 0.5, 0), 100, 0);
    assert_near(platform_billed_ms(&p19, 1234, 500), 1300, 0);
    assert_near(platform_billed_ms(&p24, 1234, 0), 1234, 0);
    assert_near(platform_billed_ms(&p24, 1234.2, 0), 1235, 0);
    assert_near(platform_billed_ms(&p24, 1234, 250), 1484, 0);
    /* 1,024 MB for 1,234 ms: 1.3 GB-s (2019), 1.234 GB-s (today), plus $0.0000002. */
    assert_near(platform_invocation_cost_usd(&p19, 1024, 1234, 0), 0.00002186671, 1e-15);
    assert_near(platform_invocation_cost_usd(&p24, 1024, 1234, 0), 0.0000207667078,
                       1e-15);
    /* 4 MB at the 27 ms median GET + 4e6 B / 55e6 B/s (a function of 1,024 MB: the network
     * table's point), and at 1,280 MB halfway between 55 and 70 MB/s. */
    assert_near(platform_store_transfer_ms(&p19, 1024, 4e6), 27 + 4000.0 / 55.0, 1e-9);
    assert_near(platform_network_mb_per_s(&p19, 1280), 62.5, 1e-12);
    assert_near(platform_network_mb_per_s(&p19, 64), 10, 0);
    assert_near(platform_network_mb_per_s(&p19, 3008), 75, 0);
    /* The per-connection cap (85 MB/s) binds above it. */
    assert_near(platform_store_transfer_ms(&p19, 3008, 4e6), 27 + 4000.0 / 75.0, 1e-9);
    /* Cold start: the runtime's 262 ms + 15 ms/MB x 20.5 MB. */
    assert_near(platform_cold_start_ms(&p19), 262 + 15 * 20.5, 1e-9);
    /* Channels: S3 from the object store, the others from channels.*. */
    const struct channel *s3 = platform_channel_find(&p19, "s3");
    const struct channel *dyn = platform_channel_find(&p19, "dynamodb");
    const struct channel *ps = platform_channel_find(&p19, "vm-ps");
    assert_non_null(s3);
    assert_non_null(dyn);
    assert_non_null(ps);
    assert_null(platform_channel_find(&p19, "kafka"));
    assert_near(s3->put_ms, 40, 0);
    assert_near(dyn->item_max_bytes, 409600, 0);
    assert_string_equal(ps->node, "c5.2xlarge");
    assert_near(ps->usd_per_hour, platform_vm_find(&p19, "c5.2xlarge")->price_usd_per_hour, 0);
    /* VMs: per second, 60 s minimum. */
    const struct vm_instance *m4l = platform_vm_find(&p19, "m4.large");
    const struct vm_instance *m4xl = platform_vm_find(&p19, "m4.xlarge");
    assert_near(platform_vm_cost_usd(&p19, m4l, 1, 30), 0.10 * 60 / 3600, 1e-15);
    assert_near(platform_vm_cost_usd(&p19, m4xl, 3, 3600.2), 3 * 0.20 * 3601 / 3600,
                       1e-12);
    assert_near(platform_vm_cost_usd(&p19, m4xl, 0, 100), 0, 0);
    /* Staging 106 MB onto an m4.large: the 27 ms median GET, then 53 MB/s. */
    assert_near(platform_vm_staging_s(&p19, m4l, 106e6), 0.027 + 2.0, 1e-12);
    assert_near(platform_vm_staging_s(&p19, m4xl, 87e6), 0.027 + 1.0, 1e-12);
}

/* Writes the shipped 2019 preset, changed by edit, as DIR/lambda-2019.json and loads it. */
static int load_edited(void (*edit)(cJSON *root), struct err *e)
{
    struct platform p;
    struct err e0;
    assert_int_equal(platform_load("lambda-2019", &p, &e0), SIREN_OK);
    cJSON *root;
    assert_int_equal(json_load_file(p.path, &root, &e0), SIREN_OK);
    edit(root);
    char *dir = tu_mkdtemp();
    if (!dir) {
        fail_msg("mkdtemp failed");
        return -1;
    }
    char *path = tu_path(dir, "lambda-2019.json");
    assert_int_equal(json_write_file(path, root, &e0), SIREN_OK);
    cJSON_Delete(root);
    int rc = platform_load(path, &p, e);
    tu_rm_rf(dir);
    free(path);
    free(dir);
    return rc;
}

static cJSON *at(cJSON *root, const char *a, const char *b)
{
    cJSON *n = cJSON_GetObjectItemCaseSensitive(root, a);
    return b ? cJSON_GetObjectItemCaseSensitive(n, b) : n;
}

static void drop_memory_max(cJSON *r) { cJSON_DeleteItemFromObject(at(r, "memory_mb", NULL), "max"); }
static void timeout_as_string(cJSON *r)
{
    cJSON_ReplaceItemInObject(at(r, "timeout_s", NULL), "value", cJSON_CreateString("900"));
}
static void min_above_max(cJSON *r)
{
    cJSON_ReplaceItemInObject(at(r, "memory_mb", "min"), "value", cJSON_CreateNumber(4000));
}
static void drop_source(cJSON *r) { cJSON_DeleteItemFromObject(at(r, "price", "usd_per_gb_s"), "source"); }
static void wrong_unit(cJSON *r)
{
    cJSON_ReplaceItemInObject(at(r, "timeout_s", NULL), "unit", cJSON_CreateString("ms"));
}
static void bare_number(cJSON *r)
{
    cJSON_ReplaceItemInObject(at(r, "billing", NULL), "granularity_ms", cJSON_CreateNumber(100));
}
static void vm_without_price(cJSON *r)
{
    cJSON *vm = cJSON_GetArrayItem(at(r, "vm", "instances"), 1);
    cJSON_DeleteItemFromObject(vm, "usd_per_hour");
}
static void vm_s3_without_source(cJSON *r)
{
    cJSON *vm = cJSON_GetArrayItem(at(r, "vm", "instances"), 2);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItemCaseSensitive(vm, "s3_mb_per_s"), "source");
}
static void drop_boot(cJSON *r) { cJSON_DeleteItemFromObject(at(r, "vm", NULL), "boot_to_ready_s"); }
static void negative_price(cJSON *r)
{
    cJSON_ReplaceItemInObject(at(r, "price", "usd_per_request"), "value", cJSON_CreateNumber(-1));
}
static void step_off_grid(cJSON *r)
{
    cJSON_ReplaceItemInObject(at(r, "memory_mb", "step"), "value", cJSON_CreateNumber(100));
}

static void test_platform_malformed_presets_name_file_key_and_reason(void **state)
{
    (void)state;
    struct {
        void (*edit)(cJSON *);
        const char *msg;
    } cases[] = {
        {drop_memory_max, "lambda-2019.json: key 'memory_mb.max': missing"},
        {timeout_as_string, "lambda-2019.json: key 'timeout_s.value': expected a number"},
        {min_above_max, "lambda-2019.json: key 'memory_mb.min': 4000 is greater than "
                        "'memory_mb.max' (3008)"},
        {drop_source, "lambda-2019.json: key 'price.usd_per_gb_s.source': missing (every "
                      "number needs its source)"},
        {wrong_unit, "lambda-2019.json: key 'timeout_s.unit': \"ms\", expected \"s\""},
        {bare_number, "lambda-2019.json: key 'billing.granularity_ms': expected an object "
                      "{\"value\", \"unit\", \"source\"}"},
        {vm_without_price, "lambda-2019.json: vm.instances[1]: key 'usd_per_hour' is missing"},
        {vm_s3_without_source, "lambda-2019.json: vm.instances[2]: key 's3_mb_per_s.source': "
                               "missing (every number needs its source)"},
        {drop_boot, "lambda-2019.json: key 'vm.boot_to_ready_s': missing"},
        {negative_price, "lambda-2019.json: key 'price.usd_per_request.value': -1, expected a "
                         "non-negative number"},
        {step_off_grid, "lambda-2019.json: key 'memory_mb.step': 100 does not divide max - min "
                        "(2880)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct err e;
        assert_int_equal(load_edited(cases[i].edit, &e), SIREN_EFORMAT);
        assert_string_equal(e.msg, cases[i].msg);
    }
}

static void test_platform_unknown_name_and_bad_json(void **state)
{
    (void)state;
    struct platform p;
    struct err e;
    assert_int_equal(platform_load("lambda-1999", &p, &e), SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "platform 'lambda-1999'"));
    char *dir = tu_mkdtemp();
    if (!dir) {
        fail_msg("mkdtemp failed");
        return;
    }
    char *path = tu_path(dir, "broken.json");
    assert_int_equal(tu_write_file(path, "{\"name\": \"x\",\n  oops}", 22), 0);
    assert_int_equal(platform_load(path, &p, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "line 2"));
    tu_rm_rf(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_platform_lambda_2019_loads_documented_values),
        cmocka_unit_test(test_platform_lambda_2024_loads_documented_values),
        cmocka_unit_test(test_platform_helpers_give_hand_computed_values),
        cmocka_unit_test(test_platform_malformed_presets_name_file_key_and_reason),
        cmocka_unit_test(test_platform_unknown_name_and_bad_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

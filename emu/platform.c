/*
 * platform: loads and checks a platform preset, and the arithmetic on it (memory grid, vCPU
 * share, billed duration, invocation and VM cost, object-store transfer time). Every number
 * in a preset is {"value", "unit", "source"}: the loader insists on all three, so a number
 * never enters the model without its source, and a unit mismatch (ms for s) is caught at load.
 */
#define _GNU_SOURCE
#include "platform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Resolves "a.b.c" from root; returns NULL and sets e when a level is missing. */
static const cJSON *walk_path(const cJSON *root, const char *path, const char *where,
                              struct err *e)
{
    char part[128];
    const cJSON *node = root;
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        if (!cJSON_IsObject(node)) {
            err_set(e, SIREN_EFORMAT, "%s: key '%.*s': expected an object", where,
                    (int)(p - path - 1), path);
            return NULL;
        }
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        if (!node) {
            err_set(e, SIREN_EFORMAT, "%s: key '%s': missing", where, path);
            return NULL;
        }
        p += n;
        if (*p == '.') p++;
    }
    return node;
}

/* A leaf {"value": ..., "unit": unit, "source": "..."}; returns the value item. */
static int leaf(const cJSON *root, const char *path, const char *unit, const char *where,
                const cJSON **value, struct err *e)
{
    const cJSON *node = walk_path(root, path, where, e);
    if (!node) return SIREN_EFORMAT;
    if (!cJSON_IsObject(node))
        return err_set(e, SIREN_EFORMAT,
                       "%s: key '%s': expected an object {\"value\", \"unit\", \"source\"}",
                       where, path);
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(node, "source");
    if (!cJSON_IsString(src) || !src->valuestring[0])
        return err_set(e, SIREN_EFORMAT,
                       "%s: key '%s.source': missing (every number needs its source)", where,
                       path);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(node, "unit");
    if (!cJSON_IsString(u))
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.unit': missing, expected \"%s\"", where,
                       path, unit);
    if (strcmp(u->valuestring, unit) != 0)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.unit': \"%s\", expected \"%s\"", where,
                       path, u->valuestring, unit);
    *value = cJSON_GetObjectItemCaseSensitive(node, "value");
    if (!*value) return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': missing", where, path);
    return SIREN_OK;
}

/* A positive (or, with allow_zero, non-negative) finite number. */
static int num(const cJSON *root, const char *path, const char *unit, int allow_zero,
               const char *where, double *out, struct err *e)
{
    const cJSON *v;
    int rc = leaf(root, path, unit, where, &v, e);
    if (rc) return rc;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': expected a number", where, path);
    if (v->valuedouble < 0 || (!allow_zero && v->valuedouble == 0))
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': %g, expected a %s number", where,
                       path, v->valuedouble, allow_zero ? "non-negative" : "positive");
    *out = v->valuedouble;
    return SIREN_OK;
}

static int integer(const cJSON *root, const char *path, const char *unit, const char *where,
                   long long *out, struct err *e)
{
    double d;
    int rc = num(root, path, unit, 0, where, &d, e);
    if (rc) return rc;
    if (d != floor(d) || d > 1e15)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': %g, expected a whole number",
                       where, path, d);
    *out = (long long)d;
    return SIREN_OK;
}

static int integer_int(const cJSON *root, const char *path, const char *unit, const char *where,
                       int *out, struct err *e)
{
    long long v;
    int rc = integer(root, path, unit, where, &v, e);
    if (rc) return rc;
    if (v > 1000000000LL)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': %lld is too large", where, path,
                       v);
    *out = (int)v;
    return SIREN_OK;
}

static int boolean(const cJSON *root, const char *path, const char *where, int *out,
                   struct err *e)
{
    const cJSON *v;
    int rc = leaf(root, path, "bool", where, &v, e);
    if (rc) return rc;
    if (!cJSON_IsBool(v))
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': expected true or false", where,
                       path);
    *out = cJSON_IsTrue(v);
    return SIREN_OK;
}

static int vm_list(const cJSON *root, const char *where, struct platform *p, struct err *e)
{
    const cJSON *arr = walk_path(root, "vm.instances", where, e);
    if (!arr) return SIREN_EFORMAT;
    if (!cJSON_IsArray(arr))
        return err_set(e, SIREN_EFORMAT, "%s: key 'vm.instances': expected an array", where);
    int n = cJSON_GetArraySize(arr);
    if (n == 0 || n > PLATFORM_MAX_VMS)
        return err_set(e, SIREN_EFORMAT, "%s: key 'vm.instances': %d entries, expected 1 to %d",
                       where, n, PLATFORM_MAX_VMS);
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(arr, i);
        struct vm_instance *vm = &p->vms[i];
        char at[160];
        snprintf(at, sizeof at, "%s: vm.instances[%d]", where, i);
        const char *name, *source;
        long long vcpus;
        int rc;
        if (!cJSON_IsObject(it))
            return err_set(e, SIREN_EFORMAT, "%s: expected an object", at);
        if ((rc = json_get_string(it, "name", at, &name, e)) ||
            (rc = json_get_string(it, "source", at, &source, e)) ||
            (rc = json_get_int(it, "vcpus", at, &vcpus, e)) ||
            (rc = json_get_number(it, "memory_gib", at, &vm->memory_gib, e)) ||
            (rc = json_get_number(it, "network_gbit_s", at, &vm->network_gbit_s, e)) ||
            (rc = json_get_number(it, "usd_per_hour", at, &vm->price_usd_per_hour, e)) ||
            (rc = num(it, "s3_mb_per_s", "MB/s", 0, at, &vm->s3_mb_per_s, e)))
            return rc;
        if (!name[0] || strlen(name) >= sizeof vm->name)
            return err_set(e, SIREN_EFORMAT, "%s: key 'name': empty or longer than %zu bytes",
                           at, sizeof vm->name - 1);
        if (!source[0])
            return err_set(e, SIREN_EFORMAT, "%s: key 'source': empty", at);
        if (vcpus < 1 || vcpus > 100000 || !(vm->memory_gib > 0) ||
            !(vm->network_gbit_s > 0) || !(vm->price_usd_per_hour > 0))
            return err_set(e, SIREN_EFORMAT,
                           "%s (%s): vcpus, memory_gib, network_gbit_s and usd_per_hour must "
                           "be positive",
                           at, name);
        snprintf(vm->name, sizeof vm->name, "%s", name);
        vm->vcpus = (int)vcpus;
        for (int j = 0; j < i; j++)
            if (!strcmp(p->vms[j].name, vm->name))
                return err_set(e, SIREN_EFORMAT, "%s: name '%s' appears twice", at, name);
    }
    p->n_vms = (size_t)n;
    return SIREN_OK;
}

/* "a.b" must not exceed "c.d". */
static int not_greater(double a, const char *an, double b, const char *bn, const char *where,
                       struct err *e)
{
    if (a > b)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': %g is greater than '%s' (%g)", where, an,
                       a, bn, b);
    return SIREN_OK;
}

static int parse_preset(const cJSON *root, const char *where, struct platform *p,
                        struct err *e)
{
    const char *name;
    long long sync_b, async_b;
    int rc;
    if (!cJSON_IsObject(root))
        return err_set(e, SIREN_EFORMAT, "%s: expected a JSON object", where);
    if ((rc = json_get_string(root, "name", where, &name, e))) return rc;
    if (!name[0] || strlen(name) >= sizeof p->name)
        return err_set(e, SIREN_EFORMAT, "%s: key 'name': empty or too long", where);
    snprintf(p->name, sizeof p->name, "%s", name);
    if ((rc = integer_int(root, "memory_mb.min", "MB", where, &p->memory_mb_min, e)) ||
        (rc = integer_int(root, "memory_mb.max", "MB", where, &p->memory_mb_max, e)) ||
        (rc = integer_int(root, "memory_mb.step", "MB", where, &p->memory_mb_step, e)) ||
        (rc = num(root, "vcpu.full_at_mb", "MB", 0, where, &p->vcpu_full_at_mb, e)) ||
        (rc = num(root, "vcpu.max", "vCPU", 0, where, &p->vcpu_max, e)) ||
        (rc = num(root, "timeout_s", "s", 0, where, &p->timeout_s, e)) ||
        (rc = integer(root, "payload_bytes.sync", "bytes", where, &sync_b, e)) ||
        (rc = integer(root, "payload_bytes.async", "bytes", where, &async_b, e)) ||
        (rc = integer_int(root, "tmp_mb.default", "MB", where, &p->tmp_mb_default, e)) ||
        (rc = integer_int(root, "tmp_mb.max", "MB", where, &p->tmp_mb_max, e)) ||
        (rc = integer_int(root, "concurrency.limit", "executions", where,
                          &p->concurrency_limit, e)) ||
        (rc = integer_int(root, "concurrency.burst", "executions", where,
                          &p->concurrency_burst, e)) ||
        (rc = integer_int(root, "concurrency.scale_step", "executions", where,
                          &p->concurrency_scale_step, e)) ||
        (rc = num(root, "concurrency.scale_interval_s", "s", 0, where,
                  &p->concurrency_scale_interval_s, e)) ||
        (rc = num(root, "start_ms.cold", "ms", 1, where, &p->cold_start_ms, e)) ||
        (rc = num(root, "start_ms.warm", "ms", 1, where, &p->warm_start_ms, e)) ||
        (rc = num(root, "price.usd_per_gb_s", "USD/GB-s", 1, where, &p->price_usd_per_gb_s,
                  e)) ||
        (rc = num(root, "price.usd_per_request", "USD/request", 1, where,
                  &p->price_usd_per_request, e)) ||
        (rc = num(root, "billing.granularity_ms", "ms", 0, where, &p->billing_granularity_ms,
                  e)) ||
        (rc = boolean(root, "billing.init_billed", where, &p->init_billed, e)) ||
        (rc = num(root, "object_store.first_byte_ms", "ms", 1, where, &p->store_first_byte_ms,
                  e)) ||
        (rc = num(root, "object_store.mb_per_s_per_connection", "MB/s", 0, where,
                  &p->store_mb_per_s_per_connection, e)) ||
        (rc = num(root, "object_store.mb_per_s_per_function", "MB/s", 0, where,
                  &p->store_mb_per_s_per_function, e)) ||
        (rc = num(root, "object_store.puts_per_s_per_prefix", "requests/s", 0, where,
                  &p->store_puts_per_s_per_prefix, e)) ||
        (rc = num(root, "object_store.gets_per_s_per_prefix", "requests/s", 0, where,
                  &p->store_gets_per_s_per_prefix, e)) ||
        (rc = num(root, "object_store.usd_per_1000_get", "USD/1000 requests", 1, where,
                  &p->store_usd_per_1000_get, e)) ||
        (rc = num(root, "object_store.usd_per_1000_put", "USD/1000 requests", 1, where,
                  &p->store_usd_per_1000_put, e)) ||
        (rc = num(root, "object_store.usd_per_1000_list", "USD/1000 requests", 1, where,
                  &p->store_usd_per_1000_list, e)) ||
        (rc = integer_int(root, "object_store.connections_per_function", "connections", where,
                          &p->store_connections_per_function, e)) ||
        (rc = num(root, "object_store.range_get_bytes", "bytes", 0, where,
                  &p->store_range_get_bytes, e)) ||
        (rc = num(root, "vm.billing_granularity_s", "s", 0, where, &p->vm_billing_granularity_s,
                  e)) ||
        (rc = num(root, "vm.billing_min_s", "s", 1, where, &p->vm_billing_min_s, e)) ||
        (rc = num(root, "vm.boot_to_ready_s", "s", 1, where, &p->vm_boot_s, e)) ||
        (rc = vm_list(root, where, p, e)))
        return rc;
    p->payload_sync_bytes = sync_b;
    p->payload_async_bytes = async_b;
    if (p->store_connections_per_function < 1)
        return err_set(e, SIREN_EFORMAT, "%s: key 'object_store.connections_per_function.value': "
                       "%d, expected >= 1", where, p->store_connections_per_function);
    /* Consistency: ranges ordered, the grid reaches max exactly. */
    if ((rc = not_greater(p->memory_mb_min, "memory_mb.min", p->memory_mb_max, "memory_mb.max",
                          where, e)) ||
        (rc = not_greater(p->tmp_mb_default, "tmp_mb.default", p->tmp_mb_max, "tmp_mb.max",
                          where, e)) ||
        (rc = not_greater(p->warm_start_ms, "start_ms.warm", p->cold_start_ms, "start_ms.cold",
                          where, e)) ||
        (rc = not_greater((double)p->payload_async_bytes, "payload_bytes.async",
                          (double)p->payload_sync_bytes, "payload_bytes.sync", where, e)))
        return rc;
    if ((p->memory_mb_max - p->memory_mb_min) % p->memory_mb_step != 0)
        return err_set(e, SIREN_EFORMAT,
                       "%s: key 'memory_mb.step': %d does not divide max - min (%d)", where,
                       p->memory_mb_step, p->memory_mb_max - p->memory_mb_min);
    return SIREN_OK;
}

int platform_load(const char *name_or_path, struct platform *out, struct err *e)
{
    char path[1024], presets[1024];
    size_t n = strlen(name_or_path);
    if (!n) return err_set(e, SIREN_EINVAL, "platform name is empty");
    int is_path = strchr(name_or_path, '/') || (n > 5 && !strcmp(name_or_path + n - 5, ".json"));
    if (is_path) {
        snprintf(path, sizeof path, "%s", name_or_path);
    } else {
        const char *dir = getenv("SIREN_PLATFORM_DIR");
        if (!dir || !dir[0]) {
            if (core_source_path("emu/platforms", presets, sizeof presets))
                return err_set(e, SIREN_ERANGE, "platform '%s': the source tree's path is too long",
                               name_or_path);
            dir = presets;
        }
        snprintf(path, sizeof path, "%s/%s.json", dir, name_or_path);
        if (!fs_exists(path))
            return err_set(e, SIREN_ENOTFOUND,
                           "platform '%s': no preset %s (presets are the .json files in %s)",
                           name_or_path, path, dir);
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    cJSON *root;
    int rc = json_load_file(path, &root, e);
    if (rc) return rc;
    struct platform *p = calloc(1, sizeof *p);
    if (!p) {
        cJSON_Delete(root);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", base);
    }
    rc = parse_preset(root, base, p, e);
    cJSON_Delete(root);
    if (!rc) {
        snprintf(p->path, sizeof p->path, "%s", path);
        *out = *p;
    }
    free(p);
    return rc;
}

int platform_dir(char *buf, size_t len, struct err *e)
{
    const char *dir = getenv("SIREN_PLATFORM_DIR");
    if (dir && dir[0]) {
        if ((size_t)snprintf(buf, len, "%s", dir) >= len)
            return err_set(e, SIREN_ERANGE, "SIREN_PLATFORM_DIR is too long (%zu bytes)",
                           strlen(dir));
        return SIREN_OK;
    }
    if (core_source_path("emu/platforms", buf, len))
        return err_set(e, SIREN_ERANGE,
                       "the presets directory: the source tree's path is too long");
    return SIREN_OK;
}

int platform_preset_path(const char *name_or_path, char *buf, size_t len, struct err *e)
{
    size_t n = strlen(name_or_path);
    if (!n) return err_set(e, SIREN_EINVAL, "platform name is empty");
    if (strchr(name_or_path, '/') || (n > 5 && !strcmp(name_or_path + n - 5, ".json"))) {
        if ((size_t)snprintf(buf, len, "%s", name_or_path) >= len)
            return err_set(e, SIREN_ERANGE, "platform file '%s': path too long", name_or_path);
        return SIREN_OK;
    }
    char dir[1024];
    int rc = platform_dir(dir, sizeof dir, e);
    if (rc) return rc;
    if ((size_t)snprintf(buf, len, "%s/%s.json", dir, name_or_path) >= len)
        return err_set(e, SIREN_ERANGE, "platform '%s': path too long", name_or_path);
    if (!fs_exists(buf))
        return err_set(e, SIREN_ENOTFOUND,
                       "platform '%s': no preset %s (presets are the .json files in %s)",
                       name_or_path, buf, dir);
    return SIREN_OK;
}

int platform_memory_clip_mb(const struct platform *p, double memory_mb)
{
    if (!(memory_mb > p->memory_mb_min)) return p->memory_mb_min; /* also NaN */
    if (memory_mb >= p->memory_mb_max) return p->memory_mb_max;
    double steps = ceil((memory_mb - p->memory_mb_min) / p->memory_mb_step - 1e-9);
    double mb = p->memory_mb_min + steps * p->memory_mb_step;
    return mb > p->memory_mb_max ? p->memory_mb_max : (int)mb;
}

int platform_memory_valid(const struct platform *p, int memory_mb)
{
    return memory_mb >= p->memory_mb_min && memory_mb <= p->memory_mb_max &&
           (memory_mb - p->memory_mb_min) % p->memory_mb_step == 0;
}

double platform_vcpu_share(const struct platform *p, int memory_mb)
{
    double share = (double)memory_mb / p->vcpu_full_at_mb;
    return share > p->vcpu_max ? p->vcpu_max : share;
}

double platform_billed_ms(const struct platform *p, double duration_ms, double init_ms)
{
    double ms = duration_ms > 0 ? duration_ms : 0;
    if (p->init_billed && init_ms > 0) ms += init_ms;
    double g = p->billing_granularity_ms;
    /* The small slack keeps an exact multiple (1200.0000000001 from float sums) from
     * billing one more unit. */
    double units = ceil(ms / g - 1e-9);
    if (units < 1) units = 1;
    return units * g;
}

double platform_invocation_cost_usd(const struct platform *p, int memory_mb, double duration_ms,
                                    double init_ms)
{
    double billed_s = platform_billed_ms(p, duration_ms, init_ms) / 1000.0;
    double gb = memory_mb / 1024.0;
    return billed_s * gb * p->price_usd_per_gb_s + p->price_usd_per_request;
}

double platform_store_transfer_ms(const struct platform *p, double bytes)
{
    double mb_per_s = p->store_mb_per_s_per_connection < p->store_mb_per_s_per_function
                          ? p->store_mb_per_s_per_connection
                          : p->store_mb_per_s_per_function;
    return p->store_first_byte_ms + bytes / (mb_per_s * 1e6) * 1000.0;
}

const struct vm_instance *platform_vm_find(const struct platform *p, const char *name)
{
    for (size_t i = 0; i < p->n_vms; i++)
        if (!strcmp(p->vms[i].name, name)) return &p->vms[i];
    return NULL;
}

double platform_vm_staging_s(const struct platform *p, const struct vm_instance *vm,
                             double bytes)
{
    return p->store_first_byte_ms * 1e-3 + bytes / (vm->s3_mb_per_s * 1e6);
}

double platform_vm_cost_usd(const struct platform *p, const struct vm_instance *vm, int count,
                            double seconds)
{
    if (count <= 0) return 0;
    double g = p->vm_billing_granularity_s;
    double billed = ceil((seconds > 0 ? seconds : 0) / g - 1e-9) * g;
    if (billed < p->vm_billing_min_s) billed = p->vm_billing_min_s;
    return count * vm->price_usd_per_hour * billed / 3600.0;
}

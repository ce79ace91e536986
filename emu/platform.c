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

/* "a.b" must not exceed "c.d". */
static int not_greater(double a, const char *an, double b, const char *bn, const char *where,
                       struct err *e)
{
    if (a > b)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': %g is greater than '%s' (%g)", where, an,
                       a, bn, b);
    return SIREN_OK;
}

/* A string leaf {"value": "text", "unit": "name", "source"}, copied into out[len]. */
static int name_leaf(const cJSON *root, const char *path, const char *where, char *out,
                     size_t len, struct err *e)
{
    const cJSON *v;
    int rc = leaf(root, path, "name", where, &v, e);
    if (rc) return rc;
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= len)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': expected a name of 1 to %zu "
                       "characters", where, path, len - 1);
    snprintf(out, len, "%s", v->valuestring);
    return SIREN_OK;
}

/* network.mb_per_s_by_memory: [[MB, MB/s], ...], memory ascending, every figure positive. */
static int network_points(const cJSON *root, const char *where, struct platform *p,
                          struct err *e)
{
    const char *path = "network.mb_per_s_by_memory";
    const cJSON *v;
    int rc = leaf(root, path, "MB/s by MB", where, &v, e);
    if (rc) return rc;
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n < 1 || n > PLATFORM_MAX_NET)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': expected 1 to %d points "
                       "[memory MB, MB/s]", where, path, PLATFORM_MAX_NET);
    for (int i = 0; i < n; i++) {
        const cJSON *pt = cJSON_GetArrayItem(v, i);
        const cJSON *mb = cJSON_GetArrayItem(pt, 0), *bw = cJSON_GetArrayItem(pt, 1);
        if (!cJSON_IsArray(pt) || cJSON_GetArraySize(pt) != 2 || !cJSON_IsNumber(mb) ||
            !cJSON_IsNumber(bw) || !(mb->valuedouble > 0) || !(bw->valuedouble > 0) ||
            !isfinite(mb->valuedouble) || !isfinite(bw->valuedouble) ||
            (i > 0 && !(mb->valuedouble > p->net_memory_mb[i - 1])))
            return err_set(e, SIREN_EFORMAT, "%s: key '%s.value[%d]': expected [memory MB, "
                           "MB/s], both positive, memory ascending", where, path, i);
        p->net_memory_mb[i] = mb->valuedouble;
        p->net_mb_per_s[i] = bw->valuedouble;
    }
    p->n_net = n;
    return SIREN_OK;
}

/* A latency pair: key.<get|put>_ms and _p95_ms, the percentile not below the median. */
static int latency_pair(const cJSON *root, const char *base, const char *kind,
                        const char *where, double *median, double *p95, struct err *e)
{
    char a[96], b[96];
    snprintf(a, sizeof a, "%s.%s_ms", base, kind);
    snprintf(b, sizeof b, "%s.%s_p95_ms", base, kind);
    int rc;
    if ((rc = num(root, a, "ms", 0, where, median, e)) || (rc = num(root, b, "ms", 0, where, p95, e)))
        return rc;
    return not_greater(*median, a, *p95, b, where, e);
}

static const char *const channel_names[CHANNEL_COUNT] = {
    [CHANNEL_S3] = "s3", [CHANNEL_REDIS] = "redis", [CHANNEL_MEMCACHED] = "memcached",
    [CHANNEL_DYNAMODB] = "dynamodb", [CHANNEL_VM_PS] = "vm-ps"};

/* The channels: S3 from object_store, the others from channels.<name>. */
static int channel_list(const cJSON *root, const char *where, struct platform *p,
                        struct err *e)
{
    struct channel *s3 = &p->channels[CHANNEL_S3];
    *s3 = (struct channel){.kind = CHANNEL_S3,
                           .get_ms = p->store_first_byte_ms,
                           .get_p95_ms = p->store_get_p95_ms,
                           .put_ms = p->store_put_ms,
                           .put_p95_ms = p->store_put_p95_ms,
                           .mb_per_s = p->store_mb_per_s_per_connection,
                           .usd_per_1000_get = p->store_usd_per_1000_get,
                           .usd_per_1000_put = p->store_usd_per_1000_put};
    snprintf(s3->name, sizeof s3->name, "s3");
    snprintf(s3->node, sizeof s3->node, "-");
    for (int k = CHANNEL_REDIS; k < CHANNEL_COUNT; k++) {
        struct channel *c = &p->channels[k];
        char base[64], key[96];
        int rc;
        memset(c, 0, sizeof *c);
        c->kind = (enum channel_kind)k;
        snprintf(c->name, sizeof c->name, "%s", channel_names[k]);
        snprintf(base, sizeof base, "channels.%s", channel_names[k]);
        if ((rc = latency_pair(root, base, "get", where, &c->get_ms, &c->get_p95_ms, e)) ||
            (rc = latency_pair(root, base, "put", where, &c->put_ms, &c->put_p95_ms, e)))
            return rc;
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", base, suffix), key)
        if ((rc = num(root, KEY("mb_per_s"), "MB/s", 0, where, &c->mb_per_s, e))) return rc;
        if (k == CHANNEL_DYNAMODB) {
            if ((rc = num(root, KEY("usd_per_million_reads"), "USD/million request units", 1,
                          where, &c->usd_per_million_reads, e)) ||
                (rc = num(root, KEY("usd_per_million_writes"), "USD/million request units", 1,
                          where, &c->usd_per_million_writes, e)) ||
                (rc = num(root, KEY("read_unit_bytes"), "bytes", 0, where, &c->read_unit_bytes,
                          e)) ||
                (rc = num(root, KEY("write_unit_bytes"), "bytes", 0, where,
                          &c->write_unit_bytes, e)) ||
                (rc = num(root, KEY("item_max_bytes"), "bytes", 0, where, &c->item_max_bytes,
                          e)))
                return rc;
            snprintf(c->node, sizeof c->node, "-");
        } else if (k == CHANNEL_VM_PS) {
            if ((rc = name_leaf(root, KEY("instance"), where, c->node, sizeof c->node, e)))
                return rc;
            const struct vm_instance *vm = platform_vm_find(p, c->node);
            if (!vm)
                return err_set(e, SIREN_EFORMAT, "%s: key '%s.value': '%s' is not one of "
                               "vm.instances", where, key, c->node);
            c->usd_per_hour = vm->price_usd_per_hour;
            c->node_mb_per_s = vm->network_gbit_s * 1e3 / 8.0;
        } else {
            double node_gbit;
            if ((rc = name_leaf(root, KEY("node"), where, c->node, sizeof c->node, e)) ||
                (rc = num(root, KEY("usd_per_hour"), "USD/h", 0, where, &c->usd_per_hour, e)) ||
                (rc = num(root, KEY("node_gbit_s"), "Gbit/s", 0, where, &node_gbit, e)))
                return rc;
            c->node_mb_per_s = node_gbit * 1e3 / 8.0;
        }
#undef KEY
    }
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
        (rc = num(root, "start_ms.cold_p95", "ms", 1, where, &p->cold_start_p95_ms, e)) ||
        (rc = num(root, "start_ms.cold_ms_per_package_mb", "ms/MB", 1, where,
                  &p->cold_ms_per_package_mb, e)) ||
        (rc = num(root, "start_ms.warm", "ms", 1, where, &p->warm_start_ms, e)) ||
        (rc = num(root, "start_ms.warm_p95", "ms", 1, where, &p->warm_start_p95_ms, e)) ||
        (rc = num(root, "function.package_mb", "MB", 1, where, &p->package_mb, e)) ||
        (rc = num(root, "invoke.per_s", "invocations/s", 0, where, &p->invoke_per_s, e)) ||
        (rc = num(root, "driver.step_ms", "ms", 1, where, &p->driver_step_ms, e)) ||
        (rc = network_points(root, where, p, e)) ||
        (rc = num(root, "price.usd_per_gb_s", "USD/GB-s", 1, where, &p->price_usd_per_gb_s,
                  e)) ||
        (rc = num(root, "price.usd_per_request", "USD/request", 1, where,
                  &p->price_usd_per_request, e)) ||
        (rc = num(root, "billing.granularity_ms", "ms", 0, where, &p->billing_granularity_ms,
                  e)) ||
        (rc = boolean(root, "billing.init_billed", where, &p->init_billed, e)) ||
        (rc = latency_pair(root, "object_store", "get", where, &p->store_first_byte_ms,
                           &p->store_get_p95_ms, e)) ||
        (rc = latency_pair(root, "object_store", "put", where, &p->store_put_ms,
                           &p->store_put_p95_ms, e)) ||
        (rc = num(root, "object_store.mb_per_s_per_connection", "MB/s", 0, where,
                  &p->store_mb_per_s_per_connection, e)) ||
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
        (rc = vm_list(root, where, p, e)) || (rc = channel_list(root, where, p, e)))
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
        (rc = not_greater(p->cold_start_ms, "start_ms.cold", p->cold_start_p95_ms,
                          "start_ms.cold_p95", where, e)) ||
        (rc = not_greater(p->warm_start_ms, "start_ms.warm", p->warm_start_p95_ms,
                          "start_ms.warm_p95", where, e)) ||
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

double platform_network_mb_per_s(const struct platform *p, int memory_mb)
{
    int n = p->n_net;
    if (n < 1) return 0;
    if (memory_mb <= p->net_memory_mb[0]) return p->net_mb_per_s[0];
    for (int i = 1; i < n; i++)
        if (memory_mb <= p->net_memory_mb[i]) {
            double f = (memory_mb - p->net_memory_mb[i - 1]) /
                       (p->net_memory_mb[i] - p->net_memory_mb[i - 1]);
            return p->net_mb_per_s[i - 1] + f * (p->net_mb_per_s[i] - p->net_mb_per_s[i - 1]);
        }
    return p->net_mb_per_s[n - 1];
}

double platform_cold_start_ms(const struct platform *p)
{
    return p->cold_start_ms + p->cold_ms_per_package_mb * p->package_mb;
}

double platform_store_transfer_ms(const struct platform *p, int memory_mb, double bytes)
{
    double fn = platform_network_mb_per_s(p, memory_mb);
    double mb_per_s = p->store_mb_per_s_per_connection < fn ? p->store_mb_per_s_per_connection : fn;
    return p->store_first_byte_ms + bytes / (mb_per_s * 1e6) * 1000.0;
}

const struct channel *platform_channel_find(const struct platform *p, const char *name)
{
    for (int k = 0; k < CHANNEL_COUNT; k++)
        if (!strcmp(p->channels[k].name, name)) return &p->channels[k];
    return NULL;
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

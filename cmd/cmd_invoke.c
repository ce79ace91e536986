/* siren invoke: one function in a sandbox, like `aws lambda invoke`, with Lambda's REPORT line;
 * or --example W: stage a ready event's data and parameters in the KV store and print it. */
#include "cmd.h"
#include "handler.h"
#include "ledger.h"
#include "payload.h"
#include "platform.h"
#include "s3.h"
#include "sandbox.h"
#include "shard.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of siren invoke, in the order of its help. */
static const struct opt_use invoke_opts[] = {
    {.id = OPT_EVENT}, {.id = OPT_EXAMPLE},
    {.id = OPT_MEMORY, .def = "the event's, else 128; --example: 1024"},
    {.id = OPT_TIMEOUT},
    {.id = OPT_KV, .def = "the event's; --example: $SIREN_KV, else " KV_DEFAULT_URL},
    {.id = OPT_PLATFORM}, {.id = OPT_HANDLER},
    {.id = OPT_BATCH, .def = "8,192 images for LeNet (about 260 MB resident), else the "
                             "workload's"},
    {.id = OPT_STEPS}, {.id = OPT_SEED}, {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren invoke --event FILE [--memory MB] [--timeout S] [--kv URL]\n"
            "                    [--platform P] [--handler NAME]\n"
            "       siren invoke --example W [--kv URL] [--batch B] [--steps K] [--memory MB]\n"
            "                    [--seed S]\n\n"
            "Runs one function in a siren-fn sandbox with the platform's limits (memory enforced\n"
            "on resident memory, a wall-clock timeout, the synchronous invocation payload limit\n"
            "on the event and on the response) and prints its response as one JSON line, then\n"
            "Lambda's REPORT line with the cost. A failed function prints Lambda's\n"
            "{errorType, errorMessage} and exits 1; an event over the payload limit is refused\n"
            "before anything runs.\n\n"
            "--example W puts K mini-batches of workload W and the initial parameters into the\n"
            "KV store and prints an event that trains on them.\n\n");
    opt_help_write(f, invoke_opts, CMD_COUNT(invoke_opts));
}

static const char *default_kv(void)
{
    const char *v = getenv("SIREN_KV");
    return v && *v ? v : KV_DEFAULT_URL;
}

/* Puts the example's shards and version 0, and builds its event. */
static int make_example(const char *name, const char *url, int batch, int steps, int memory_mb,
                        uint64_t seed, cJSON **out, struct err *e)
{
    struct workload_opts wo = {.seed = seed, .load_train = 1};
    const struct workload_info *info = workload_find(name);
    if (!info) return err_set(e, SIREN_ENOTFOUND, "unknown workload '%s'", name);
    wo.batch = batch > 0 ? batch : (strstr(name, "lenet") ? 8192 : info->batch);
    if (!strcmp(name, "lr-synthetic")) wo.synthetic_rows = (size_t)wo.batch * (size_t)steps;
    struct workload *w = NULL;
    struct kv *kv = NULL;
    struct kn_model *m = NULL;
    uint32_t *idx = NULL;
    uint8_t *obj = NULL;
    cJSON *ev = NULL;
    int rc = workload_open(name, &wo, &w, e);
    if (rc) return rc;
    if ((size_t)wo.batch * (size_t)steps > w->train.rows) {
        rc = err_set(e, SIREN_ERANGE, "%d steps of %d rows need %zu rows; %s has %zu", steps,
                     wo.batch, (size_t)wo.batch * (size_t)steps, name, w->train.rows);
        goto out;
    }
    if ((rc = kv_open(url, &kv, e)) || (rc = kn_model_create(&w->model_cfg, &m, e))) goto out;
    kn_model_init(m, seed);
    size_t len;
    char key[256];
    char prefix[128];
    snprintf(prefix, sizeof prefix, "examples/%s/params/", name);
    fn_version_key(prefix, 0, 0, key, sizeof key);
    if ((rc = params_encode(kn_model_params(m), kn_model_num_params(m), NULL, &obj, &len, e)))
        goto out;
    if ((rc = kv_put(kv, key, obj, len))) {
        rc = err_set(e, rc, "%s", kv_errmsg(kv));
        goto out;
    }
    ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "job", "example");
    cJSON_AddStringToObject(ev, "workload", name);
    cJSON_AddNumberToObject(ev, "epoch", 0);
    cJSON_AddNumberToObject(ev, "function", 0);
    cJSON_AddNumberToObject(ev, "memory_mb", memory_mb);
    /* The printed event names the store without its password: invoking it takes the password
     * from $REDISCLI_AUTH, never from a file that may be shared. */
    char kept[1200];
    kv_url_strip_password(url, kept, sizeof kept);
    cJSON_AddStringToObject(ev, "kv", kept);
    cJSON_AddStringToObject(ev, "update", "overwrite");
    cJSON_AddStringToObject(ev, "params", prefix);
    cJSON_AddItemToObject(ev, "model", fn_model_config_to_json(&w->model_cfg));
    cJSON_AddItemToObject(ev, "optimizer", fn_optim_config_to_json(&w->optim_cfg));
    cJSON *arr = cJSON_AddArrayToObject(ev, "steps");
    idx = malloc((size_t)wo.batch * sizeof *idx);
    if (!idx) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < wo.batch; i++) idx[i] = (uint32_t)(s * wo.batch + i);
        free(obj);
        obj = NULL;
        if ((rc = shard_encode(&w->train, idx, (size_t)wo.batch, &obj, &len, e))) goto out;
        snprintf(key, sizeof key, "examples/%s/data/%d", name, s);
        if ((rc = kv_put(kv, key, obj, len))) {
            rc = err_set(e, rc, "%s", kv_errmsg(kv));
            goto out;
        }
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "data", key);
        cJSON_AddNumberToObject(st, "read", s);
        cJSON_AddNumberToObject(st, "write", s + 1);
        cJSON_AddNumberToObject(st, "seed", (double)(seed + (uint64_t)s));
        cJSON_AddItemToArray(arr, st);
    }
    *out = ev;
    ev = NULL;
out:
    cJSON_Delete(ev);
    free(idx);
    free(obj);
    kn_model_free(m);
    kv_close(kv);
    workload_close(w);
    return rc;
}

static int read_event(const char *path, cJSON **out, struct err *e)
{
    if (strcmp(path, "-")) return json_load_file(path, out, e);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    if (!buf) return err_set(e, SIREN_ENOMEM, "event: out of memory");
    int rc = json_parse(buf, len, "event (stdin)", out, e);
    free(buf);
    return rc;
}

/* What the command line asks of siren invoke. */
struct invoke_request {
    const char *event_path, *example, *url, *platform_name, *handler;
    long long memory_mb, batch, steps, seed;
    double timeout_s;
};

static int invoke_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct invoke_request *r = ctx;
    (void)e;
    switch (v->id) {
    case OPT_EVENT: r->event_path = v->text; break;
    case OPT_EXAMPLE: r->example = v->text; break;
    case OPT_MEMORY: r->memory_mb = v->i; break;
    case OPT_TIMEOUT: r->timeout_s = v->d; break;
    case OPT_KV: r->url = v->text; break;
    case OPT_PLATFORM: r->platform_name = v->text; break;
    case OPT_HANDLER: r->handler = v->text; break;
    case OPT_BATCH: r->batch = v->i; break;
    case OPT_STEPS: r->steps = v->i; break;
    case OPT_SEED: r->seed = v->i; break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int cmd_invoke(int argc, char **argv)
{
    struct invoke_request r = {.platform_name = "lambda-2019", .handler = "train", .steps = 1};
    struct err e;
    s3_kv_register();
    int rc = opt_parse("invoke", invoke_opts, CMD_COUNT(invoke_opts), argc, argv, invoke_opt, &r,
                       NULL);
    if (rc != OPT_GO_ON) return rc;
    const char *event_path = r.event_path, *example = r.example, *url = r.url;
    const char *platform_name = r.platform_name, *handler = r.handler;
    long long memory_mb = r.memory_mb, batch = r.batch, steps = r.steps, seed = r.seed;
    double timeout_s = r.timeout_s;
    if (!!event_path == !!example) return opt_usage_error("invoke", "give --event FILE or --example W");

    if (example) {
        cJSON *ev = NULL;
        if (make_example(example, url ? url : default_kv(), (int)batch, (int)steps,
                         memory_mb ? (int)memory_mb : 1024, (uint64_t)seed, &ev, &e))
            return cmd_fail("invoke", &e);
        char *s = cJSON_Print(ev);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(ev);
        return 0;
    }

    struct platform p;
    cJSON *ev = NULL;
    if (platform_load(platform_name, &p, &e)) return cmd_fail("invoke", &e);
    if (read_event(event_path, &ev, &e)) return cmd_fail("invoke", &e);
    if (!cJSON_IsObject(ev)) {
        cJSON_Delete(ev);
        err_set(&e, SIREN_EFORMAT, "%s: the event must be a JSON object", event_path);
        return cmd_fail("invoke", &e);
    }
    if (url) {
        cJSON_DeleteItemFromObjectCaseSensitive(ev, "kv");
        cJSON_AddStringToObject(ev, "kv", url);
    }
    if (memory_mb == 0) {
        const cJSON *mm = cJSON_GetObjectItemCaseSensitive(ev, "memory_mb");
        memory_mb = cJSON_IsNumber(mm) ? (long long)mm->valuedouble : 128;
    }
    if (!platform_memory_valid(&p, (int)memory_mb)) {
        cJSON_Delete(ev);
        return opt_usage_error("invoke", "--memory %lld MB is not a valid memory size on %s "
                               "(%d..%d MB in steps of %d)", memory_mb, p.name, p.memory_mb_min,
                               p.memory_mb_max, p.memory_mb_step);
    }
    struct sandbox_opts so;
    sandbox_opts_init(&so);
    so.mem_limit_mb = (int)memory_mb;
    so.timeout_ms = (int)((timeout_s > 0 ? timeout_s : p.timeout_s) * 1000.0);
    /* Like `aws lambda invoke` (RequestResponse): the synchronous limit, on the event as sent
     * and on the response. */
    payload_limits_of(&p, &so.payload);
    const cJSON *kvj = cJSON_GetObjectItemCaseSensitive(ev, "kv");
    if (cJSON_IsString(kvj) && !strncmp(kvj->valuestring, "s3://", 5)) {
        cJSON_Delete(ev);
        return opt_usage_error("invoke", "the sandbox's stores are file: and redis://; an event "
                               "on an s3:// store runs in lambda_port's bootstrap (the Lambda "
                               "runtime), see lambda_port/README.md");
    }
    if (cJSON_IsString(kvj)) so.mem_method = (enum sandbox_mem_method)fn_memory_method_for(kvj->valuestring);
    /* The event as sent, checked before a sandbox starts: a refused event runs nothing. */
    char *text = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    if (!text) {
        err_set(&e, SIREN_ENOMEM, "out of memory");
        return cmd_fail("invoke", &e);
    }
    if (payload_event_check(&so.payload, PAYLOAD_SYNC, strlen(text),
                            strcmp(event_path, "-") ? event_path : "stdin", &e)) {
        free(text);
        return cmd_fail("invoke", &e);
    }
    struct sandbox *sb;
    struct sandbox_result res;
    sandbox_result_init(&res);
    rc = sandbox_open(&so, &sb, &e);
    if (!rc) {
        rc = sandbox_invoke_text(sb, handler, text, &res, &e);
        sandbox_close(sb);
    }
    free(text);
    if (rc) return cmd_fail("invoke", &e);

    if (res.status == SANDBOX_OK) {
        char *s = cJSON_PrintUnformatted(res.response);
        printf("%s\n", s);
        free(s);
    } else {
        cJSON *fail = cJSON_CreateObject();
        cJSON_AddStringToObject(fail, "errorType", res.error_type);
        cJSON_AddStringToObject(fail, "errorMessage", res.error_msg);
        char *s = cJSON_PrintUnformatted(fail);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(fail);
    }
    char report[2048];
    sandbox_result_report(&res, (int)memory_mb, (int)p.billing_granularity_ms, report, sizeof report);
    double cost = platform_invocation_cost_usd(&p, (int)memory_mb, res.duration_ms, res.init_ms);
    /* The cost goes on the REPORT line itself, before any "Error:" lines that follow it. */
    char *nl = strchr(report, '\n');
    if (nl) *nl = '\0';
    const char *rest = nl ? nl + 1 : "";
    size_t rest_len = strlen(rest);
    printf("%s\tCost: $%.10f (%s)\n%s%s", report, cost, p.name, rest,
           rest_len && rest[rest_len - 1] != '\n' ? "\n" : "");
    int ok = res.status == SANDBOX_OK;
    sandbox_result_free(&res);
    return ok ? 0 : 1;
}

/* siren invoke: one function in a sandbox, like `aws lambda invoke`, with Lambda's REPORT line;
 * or --example W: stage a ready event's data and parameters in the KV store and print it. */
#include "cmd.h"
#include "handler.h"
#include "ledger.h"
#include "platform.h"
#include "s3.h"
#include "sandbox.h"
#include "shard.h"
#include "workload.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren invoke --event FILE [--memory MB] [--timeout S] [--kv URL]\n"
            "                    [--platform P] [--handler NAME]\n"
            "       siren invoke --example W [--kv URL] [--batch B] [--steps K] [--memory MB]\n"
            "                    [--seed S]\n\n"
            "Runs one function in a siren-fn sandbox with the platform's limits (memory enforced\n"
            "on resident memory, a wall-clock timeout) and prints its response as one JSON line,\n"
            "then Lambda's REPORT line with the cost. A failed function prints Lambda's\n"
            "{errorType, errorMessage} and exits 1. FILE '-' reads the event from stdin.\n"
            "--memory and --kv override the event's; --timeout defaults to the platform's.\n\n"
            "--example W puts K mini-batches of workload W (batch B; default 8,192 images, which\n"
            "need about 260 MB resident, or the workload's batch) and the initial parameters into the KV store and prints an\n"
            "event that trains on them. Default KV: $SIREN_KV or %s; platform lambda-2019.\n",
            KV_DEFAULT_URL);
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
    cJSON_AddStringToObject(ev, "kv", url);
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

int cmd_invoke(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"event", required_argument, 0, 'e'},  {"example", required_argument, 0, 'x'},
        {"memory", required_argument, 0, 'm'}, {"timeout", required_argument, 0, 't'},
        {"kv", required_argument, 0, 'k'},     {"platform", required_argument, 0, 'p'},
        {"handler", required_argument, 0, 'H'}, {"batch", required_argument, 0, 'b'},
        {"steps", required_argument, 0, 's'},  {"seed", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    const char *event_path = NULL, *example = NULL, *url = NULL, *platform_name = "lambda-2019";
    const char *handler = "train";
    long long memory_mb = 0, batch = 0, steps = 1, seed = 0;
    double timeout_s = 0;
    struct err e;
    int c;
    s3_kv_register();
    optind = 1;
    while ((c = getopt_long(argc, argv, "e:x:m:t:k:p:H:b:s:S:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': event_path = optarg; break;
        case 'x': example = optarg; break;
        case 'm':
            if (parse_long(optarg, "--memory", &memory_mb, &e) || memory_mb < 1)
                return cmd_usage_error("invoke", "--memory: expected MB >= 1, got '%s'", optarg);
            break;
        case 't':
            if (parse_double(optarg, "--timeout", &timeout_s, &e) || !(timeout_s > 0))
                return cmd_usage_error("invoke", "--timeout: expected seconds > 0, got '%s'", optarg);
            break;
        case 'k': url = optarg; break;
        case 'p': platform_name = optarg; break;
        case 'H': handler = optarg; break;
        case 'b':
            if (parse_long(optarg, "--batch", &batch, &e) || batch < 1 || batch > 1 << 20)
                return cmd_usage_error("invoke", "--batch: expected 1..1048576, got '%s'", optarg);
            break;
        case 's':
            if (parse_long(optarg, "--steps", &steps, &e) || steps < 1 || steps > 100000)
                return cmd_usage_error("invoke", "--steps: expected 1..100000, got '%s'", optarg);
            break;
        case 'S':
            if (parse_long(optarg, "--seed", &seed, &e) || seed < 0)
                return cmd_usage_error("invoke", "--seed: expected an integer >= 0, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: return cmd_usage_error("invoke", "unknown option");
        }
    }
    if (optind < argc) return cmd_usage_error("invoke", "unexpected argument '%s'", argv[optind]);
    if (!!event_path == !!example) return cmd_usage_error("invoke", "give --event FILE or --example W");

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
        return cmd_usage_error("invoke", "--memory %lld MB is not a valid memory size on %s "
                               "(%d..%d MB in steps of %d)", memory_mb, p.name, p.memory_mb_min,
                               p.memory_mb_max, p.memory_mb_step);
    }
    struct sandbox_opts so;
    sandbox_opts_init(&so);
    so.mem_limit_mb = (int)memory_mb;
    so.timeout_ms = (int)((timeout_s > 0 ? timeout_s : p.timeout_s) * 1000.0);
    const cJSON *kvj = cJSON_GetObjectItemCaseSensitive(ev, "kv");
    if (cJSON_IsString(kvj) && !strncmp(kvj->valuestring, "s3://", 5)) {
        cJSON_Delete(ev);
        return cmd_usage_error("invoke", "the sandbox's stores are file: and redis://; an event "
                               "on an s3:// store runs in lambda_port's bootstrap (the Lambda "
                               "runtime), see lambda_port/README.md");
    }
    if (cJSON_IsString(kvj)) so.mem_method = (enum sandbox_mem_method)fn_memory_method_for(kvj->valuestring);
    struct sandbox *sb;
    struct sandbox_result res;
    sandbox_result_init(&res);
    int rc = sandbox_open(&so, &sb, &e);
    if (!rc) {
        rc = sandbox_invoke(sb, handler, ev, &res, &e);
        sandbox_close(sb);
    }
    cJSON_Delete(ev);
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

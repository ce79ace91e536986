/*
 * ps: set-up of the parameter-server baseline on every rank, and the client (rank 0): it
 * gathers the workers' epoch reports, takes a snapshot of every server's shard, evaluates the
 * parameters on held-out data, bills the instances from the launch request, boot and data
 * copy included (per-second billing with the preset's minimum) and writes epochs.csv, trace.h5 and summary.json in the format of `siren run`.
 * Epochs end with a barrier of the workers (the evaluation is not part of the training time).
 */
#define _GNU_SOURCE
#include "ps_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibration.h"
#include "ledger.h"
#include "run_summary.h"
#include "staging.h"

int ps_ranks_needed(const struct ps_config *c)
{
    int K = c->instances, S = c->servers > 0 ? c->servers : c->instances;
    return 1 + S + K;
}

double ps_speedup(int vcpus, double s1, const int *threads, const double *t_s, int n, int *rc)
{
    *rc = SIREN_OK;
    if (vcpus <= 1) return 1.0;
    int top = -1;
    for (int i = 0; i < n; i++) {
        if (threads[i] < 2 || threads[i] > vcpus || !(t_s[i] > 0)) continue;
        if (threads[i] == vcpus) return s1 / t_s[i];
        if (top < 0 || threads[i] > threads[top]) top = i;
    }
    if (top < 0) {
        *rc = SIREN_ENOTFOUND;
        return 0.0;
    }
    double T = threads[top], sp = s1 / t_s[top];
    /* Threads that did not gain up to T are not assumed to gain (or lose more) beyond it. */
    if (sp <= 1.0) return sp;
    /* Amdahl: 1/sp = (1 - p) + p / T, so p = (1 - 1/sp) / (1 - 1/T). */
    double p = (1.0 - 1.0 / sp) / (1.0 - 1.0 / T);
    if (p > 1.0) p = 1.0;
    return 1.0 / ((1.0 - p) + p / (double)vcpus);
}

/* The default calibration file: results/ps/calibration.json beside the reference. */
static void default_calibration(char *buf, size_t len)
{
    snprintf(buf, len, "%s", calibration_reference_path());
    char *p = strstr(buf, "calibration/reference.json");
    if (p) snprintf(p, len - (size_t)(p - buf), "ps/calibration.json");
}

/* Rank 0: seconds per sample at one thread, the measured speed-up at the vCPUs and the
 * servers' update time per parameter. */
static int load_compute(struct ps_ctx *c, struct err *e)
{
    char def[1200];
    const char *path = c->cfg.calibration;
    if (!path) {
        default_calibration(def, sizeof def);
        path = def;
    }
    struct calibration_entry one;
    int rc = calibration_load(path, c->cfg.workload, &one, e);
    if (rc) return rc;
    int threads[64];
    double t_s[64];
    int n = 0;
    for (int T = 2; T <= c->vm.vcpus && n < 64; T++) {
        char key[160];
        struct calibration_entry ent;
        struct err ignore;
        snprintf(key, sizeof key, "%s@%dt", c->cfg.workload, T);
        if (calibration_load(path, key, &ent, &ignore)) continue;
        threads[n] = T;
        t_s[n++] = ent.s_per_sample;
    }
    c->s_per_sample = one.s_per_sample;
    c->speedup = ps_speedup(c->vm.vcpus, one.s_per_sample, threads, t_s, n, &rc);
    if (rc)
        return err_set(e, SIREN_ENOTFOUND,
                       "%s: no multi-thread measurement of %s for %d vCPUs; run `siren calibrate "
                       "--workload %s --threads %d --out %s` (and --batch as in the job)",
                       path, c->cfg.workload, c->vm.vcpus, c->cfg.workload, c->vm.vcpus, path);
    struct calibration_update upd;
    if ((rc = calibration_update_load(path, c->cfg.workload, &upd, e))) return rc;
    c->update_step_s_per_param = upd.step_s_per_param;
    c->update_sum_s_per_param = upd.sum_s_per_param;
    return SIREN_OK;
}

/* Checks that need no communication: every rank reaches the same verdict. */
static int check_config(struct ps_ctx *c, struct err *e)
{
    const struct ps_config *g = &c->cfg;
    c->K = g->instances;
    c->S = g->servers > 0 ? g->servers : g->instances;
    if (!g->workload || !workload_find(g->workload))
        return err_set(e, SIREN_EUSAGE, "unknown workload '%s'", g->workload ? g->workload : "");
    if (g->instances < 1 || g->instances > 4096)
        return err_set(e, SIREN_EUSAGE, "--instances: expected 1..4096, got %d", g->instances);
    if (g->mode != PS_MODE_SYNC && g->mode != PS_MODE_ASYNC)
        return err_set(e, SIREN_EUSAGE, "--mode: expected sync or async");
    if (g->max_epochs < 1) return err_set(e, SIREN_EUSAGE, "--max-epochs: expected >= 1");
    if (!g->out_dir || !*g->out_dir) return err_set(e, SIREN_EUSAGE, "--out is required");
    if (c->size != 1 + c->S + c->K)
        return err_set(e, SIREN_EUSAGE,
                       "%d instance(s) and %d server(s) need mpirun -n %d (rank 0 client, ranks "
                       "1..%d servers, ranks %d..%d workers), got -n %d",
                       c->K, c->S, 1 + c->S + c->K, c->S, c->S + 1, c->S + c->K, c->size);
    int rc = platform_load(g->platform ? g->platform : "lambda-2019", &c->plat, e);
    if (rc) return rc;
    if (!g->instance_type) return err_set(e, SIREN_EUSAGE, "--instance-type is required");
    const struct vm_instance *vm = platform_vm_find(&c->plat, g->instance_type);
    if (!vm) {
        char names[512] = "";
        for (size_t i = 0; i < c->plat.n_vms; i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "", c->plat.vms[i].name);
        }
        return err_set(e, SIREN_EUSAGE, "--instance-type: '%s' is not in platform %s (%s)",
                       g->instance_type, c->plat.name, names);
    }
    c->vm = *vm;
    if (g->vcpus > 0) c->vm.vcpus = g->vcpus;
    if (g->net_gbit_s > 0) c->vm.network_gbit_s = g->net_gbit_s;
    c->latency_s = (g->latency_us >= 0 ? g->latency_us : PS_DEFAULT_LATENCY_US) * 1e-6;
    c->bytes_per_s = c->vm.network_gbit_s * 1e9 / 8.0;
    return SIREN_OK;
}

/* Collective: 0 if every rank is fine, else one failing code that every rank agrees on. */
static int all_ok(int rc)
{
    int agreed = 0;
    MPI_Allreduce(&rc, &agreed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return agreed;
}

static int ctx_open(const struct ps_config *cfg, struct ps_ctx *c, struct err *e)
{
    *c = (struct ps_ctx){.cfg = *cfg};
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    int rc = check_config(c, e);
    if (rc) return rc;
    /* The calibration is rank 0's: one file to have, one value for everybody. */
    double vals[5] = {0, 1, 0, 0, 0};
    if (c->rank == 0 && !cfg->wall_clock) {
        rc = load_compute(c, e);
        vals[0] = c->s_per_sample;
        vals[1] = c->speedup;
        vals[2] = rc;
        vals[3] = c->update_step_s_per_param;
        vals[4] = c->update_sum_s_per_param;
    }
    MPI_Bcast(vals, 5, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    /* Every rank returns rank 0's code, so the command can exit cleanly without an abort. */
    if (vals[2] != 0)
        return c->rank == 0 ? rc : err_set(e, (int)vals[2], "ps: set-up failed on rank 0");
    c->s_per_sample = vals[0];
    c->speedup = vals[1];
    c->update_step_s_per_param = vals[3];
    c->update_sum_s_per_param = vals[4];
    struct workload_opts wo = cfg->wopts;
    int worker = c->rank > c->S;
    wo.load_train = worker;
    wo.load_test = !worker;
    rc = workload_open(cfg->workload, &wo, &c->w, e);
    /* An option the workload refuses (--data generate for rows that are read, not generated)
     * is refused alike on every rank, before any message: a usage error. */
    if (rc == SIREN_EINVAL) e->code = rc = SIREN_EUSAGE;
    if (!rc) {
        struct kn_model *m = NULL;
        rc = kn_model_create(&c->w->model_cfg, &m, e);
        if (!rc) c->n_params = kn_model_num_params(m);
        kn_model_free(m);
        c->sparse = c->w->model_cfg.kind == KN_MODEL_LR;
        c->lr_mask = (uint32_t)((1u << c->w->model_cfg.lr_log2_weights) - 1);
        if (!rc && c->n_params < (size_t)c->S)
            rc = err_set(e, SIREN_EUSAGE, "%d servers for %zu parameters", c->S, c->n_params);
    }
    /* Every instance copies the whole training split (each worker walks all of it, as
     * MXNet's workers read a shared data set): measured as the emulator stages it in S3, on
     * the first worker, which has the split loaded. Generated rows are billed as if they were
     * copied: one generated batch's bytes per row times the rows (staging_generated). */
    struct staging st = {0};
    if (!rc && !cfg->provisioning_off && c->rank == ps_worker_rank(c, 0))
        rc = c->w->opts.generate ? staging_generated(c->w, &st, e)
                                 : staging_build(c->w, NULL, NULL, &st, e);
    c->data_bytes = st.bytes;
    staging_free(&st);
    int agreed = all_ok(rc);
    if (agreed) return rc ? rc : err_set(e, agreed, "ps: set-up failed on another rank");
    if (!cfg->provisioning_off) {
        MPI_Bcast(&c->data_bytes, 1, MPI_DOUBLE, ps_worker_rank(c, 0), MPI_COMM_WORLD);
        /* The instances boot and copy in parallel; training starts when all are ready. */
        c->boot_s = c->plat.vm_boot_s;
        c->data_s = platform_vm_staging_s(&c->plat, &c->vm, c->data_bytes);
    }
    /* Wall clock: the workers that share this host share its cores. */
    MPI_Comm node;
    int local_workers = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Allreduce(&worker, &local_workers, 1, MPI_INT, MPI_SUM, node);
        MPI_Comm_free(&node);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int cap = (int)(cores > 0 ? cores : 1) / (local_workers > 0 ? local_workers : 1);
    if (cap < 1) cap = 1;
    c->blas_threads = cfg->wall_clock ? (c->vm.vcpus < cap ? c->vm.vcpus : cap) : 1;
    return SIREN_OK;
}

/* ----------------------------------------------------------------- client */

struct ps_client {
    struct ps_ctx *c;
    struct kn_model *eval;
    struct trace trace;
    FILE *csv;
    struct ps_report *reps;
    struct trace_kv_op **ops;
    double total_s, total_wall_s, cost_usd, time_to_target_s;
    int64_t versions;
    int reached, epochs;
    double last_loss, last_acc, last_auc;
};

static int client_send_cmd(int dest, int kind, double t_start_s, struct err *e)
{
    struct ps_cmd cmd = {.kind = kind, .t_start_s = t_start_s};
    if (MPI_Send(&cmd, (int)sizeof cmd, MPI_BYTE, dest, PS_TAG_CMD, MPI_COMM_WORLD) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "ps: command to rank %d failed", dest);
    return SIREN_OK;
}

/* Gathers the K reports of an epoch. */
static int client_reports(struct ps_client *p, struct err *e)
{
    struct ps_ctx *c = p->c;
    for (int got = 0; got < c->K; got++) {
        void *buf;
        size_t len;
        MPI_Status st;
        int rc = ps_recv_any(MPI_ANY_SOURCE, PS_TAG_REPORT, NULL, &buf, &len, &st, e);
        if (rc) return rc;
        struct ps_report r;
        memcpy(&r, buf, sizeof r);
        if (len != sizeof r + (size_t)r.n_ops * sizeof(struct trace_kv_op) || r.worker < 0 ||
            r.worker >= c->K) {
            free(buf);
            return err_set(e, SIREN_EFORMAT, "ps: bad report from rank %d", st.MPI_SOURCE);
        }
        p->reps[r.worker] = r;
        free(p->ops[r.worker]);
        p->ops[r.worker] = NULL;
        if (r.n_ops) {
            p->ops[r.worker] = malloc((size_t)r.n_ops * sizeof(struct trace_kv_op));
            if (!p->ops[r.worker]) {
                free(buf);
                return err_set(e, SIREN_ENOMEM, "ps: out of memory");
            }
            memcpy(p->ops[r.worker], (char *)buf + sizeof r,
                   (size_t)r.n_ops * sizeof(struct trace_kv_op));
        }
        free(buf);
    }
    return SIREN_OK;
}

/* Collects every shard into the evaluation model; counts updates and stale pushes. */
static int client_snapshot(struct ps_client *p, int64_t *updates, int64_t *stale, struct err *e)
{
    struct ps_ctx *c = p->c;
    float *params = kn_model_params(p->eval);
    *updates = *stale = 0;
    for (int s = 0; s < c->S; s++) {
        int rc = client_send_cmd(ps_server_rank(s), PS_CMD_SNAPSHOT, 0.0, e);
        if (rc) return rc;
    }
    for (int s = 0; s < c->S; s++) {
        void *buf;
        size_t len;
        MPI_Status st;
        int rc = ps_recv_any(ps_server_rank(s), PS_TAG_SNAP, NULL, &buf, &len, &st, e);
        if (rc) return rc;
        size_t lo = ps_shard_lo(c->n_params, c->S, s), hi = ps_shard_lo(c->n_params, c->S, s + 1);
        struct ps_snap h;
        if (len != sizeof h + (hi - lo) * sizeof(float)) {
            free(buf);
            return err_set(e, SIREN_EFORMAT, "ps: bad snapshot from server %d", s);
        }
        memcpy(&h, buf, sizeof h);
        memcpy(params + lo, (char *)buf + sizeof h, (hi - lo) * sizeof(float));
        free(buf);
        *updates += h.updates; /* summed here, divided by S below: versions of the vector */
        *stale += h.stale_pushes;
    }
    *updates /= c->S;
    return SIREN_OK;
}

static double client_cost(const struct ps_client *p, double seconds)
{
    return platform_vm_cost_usd(&p->c->plat, &p->c->vm, p->c->K, seconds);
}

static int client_epoch(struct ps_client *p, int epoch, double t_start_s, struct err *e)
{
    struct ps_ctx *c = p->c;
    int rc = client_reports(p, e);
    if (rc) return rc;
    int64_t updates, stale;
    if ((rc = client_snapshot(p, &updates, &stale, e))) return rc;
    double t_end = t_start_s, wall = 0, pull = 0, comp = 0, push = 0, loss_sum = 0;
    long long steps = 0;
    for (int k = 0; k < c->K; k++) {
        const struct ps_report *r = &p->reps[k];
        t_end = fmax(t_end, r->t_end_s);
        wall = fmax(wall, r->wall_s);
        pull += r->pull_s;
        comp += r->compute_s;
        push += r->push_s;
        loss_sum += r->loss_sum;
        steps += r->steps;
        for (int32_t i = 0; i < r->n_ops; i++)
            if ((rc = trace_add_kv_op(&p->trace, &p->ops[k][i])))
                return err_set(e, rc, "ps: out of memory for the trace");
    }
    double epoch_s = c->cfg.wall_clock ? wall : t_end - t_start_s;
    struct workload_eval ev;
    if ((rc = workload_evaluate(c->w, p->eval, 1, c->cfg.eval_rows, &ev, e))) return rc;
    double cost_before = p->epochs ? client_cost(p, p->total_s) : 0.0;
    p->total_s += epoch_s;
    p->total_wall_s += wall;
    p->cost_usd = client_cost(p, p->total_s);
    p->versions += updates;
    p->epochs = epoch;
    p->last_loss = ev.loss;
    p->last_acc = ev.accuracy;
    p->last_auc = ev.auc;
    double train_loss = steps ? loss_sum / (double)steps : (double)NAN;
    double target = c->cfg.target_loss;
    if (!p->reached && ev.loss <= target) {
        p->reached = 1;
        p->time_to_target_s = p->total_s;
    }
    int memory_mb = (int)lround(c->vm.memory_gib * 1024.0);
    fprintf(p->csv, "%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.9f,%.6f,%.6f,%.6f,%.9f,%d,%d,%lld,%lld\n",
            epoch, c->K, memory_mb, c->K, epoch_s, pull, comp, push, p->cost_usd - cost_before,
            train_loss, ev.loss, ev.accuracy, -1.0, c->K, 0, (long long)updates, (long long)stale);
    fflush(p->csv);
    if (!c->cfg.quiet)
        LOG_INFO("ps", "epoch %d: %s x %d %s loss %.4f acc %.4f time %.3f s (total %.3f s, "
                 "$%.6f)%s",
                 epoch, c->vm.name, c->K, c->cfg.mode == PS_MODE_SYNC ? "sync" : "async",
                 ev.loss, ev.accuracy, epoch_s, p->total_s, p->cost_usd,
                 p->reached ? " target reached" : "");
    return SIREN_OK;
}

static int client_finish(struct ps_client *p, struct err *e)
{
    struct ps_ctx *c = p->c;
    char path[1200];
    int memory_mb = (int)lround(c->vm.memory_gib * 1024.0);
    double per_instance = client_cost(p, p->total_s) / c->K;
    for (int k = 0; k < c->K; k++) {
        struct trace_invocation r = {.epoch = p->epochs, .fn = k, .invocation = 0,
                                     .rank = ps_worker_rank(c, k), .memory_mb = memory_mb,
                                     .cold = 1, .status = TRACE_OK, .v_start_s = 0.0,
                                     .v_end_s = p->total_s, .cost_usd = per_instance,
                                     .wall_ms = p->total_wall_s * 1e3};
        double g = c->plat.vm_billing_granularity_s > 0 ? c->plat.vm_billing_granularity_s : 1.0;
        r.billed_ms = fmax(ceil(p->total_s / g) * g, c->plat.vm_billing_min_s) * 1e3;
        if (trace_add_invocation(&p->trace, &r))
            return err_set(e, SIREN_ENOMEM, "ps: out of memory for the trace");
    }
    snprintf(path, sizeof path, "%s/trace.h5", c->cfg.out_dir);
    int rc = trace_write_h5(&p->trace, path, e);
    if (rc) return rc;
    /* The ledger bills the instances exactly as the preset says; its total is the cost. */
    struct ledger led;
    ledger_init(&led, &c->plat);
    double cost = 0.0;
    if ((rc = ledger_add_vm(&led, c->cfg.instance_type, c->K, p->total_s, &cost, e))) return rc;
    if (c->cfg.vcpus > 0 || c->cfg.net_gbit_s > 0) cost = client_cost(p, p->total_s);
    p->cost_usd = cost;
    char sched[128];
    const char *mode = c->cfg.mode == PS_MODE_SYNC ? "sync" : "async";
    snprintf(sched, sizeof sched, "ps:%s:%s x %d", mode, c->vm.name, c->K);
    /* One "invocation" per instance, as in trace.h5's invocations; no functions. */
    struct run_summary s = {
        .workload = c->w->info.name,
        .scheduler = sched,
        .sync = c->cfg.mode == PS_MODE_SYNC ? "dist_sync" : "dist_async",
        .update = "server",
        .clock = c->cfg.wall_clock ? "wall" : "virtual",
        .platform = c->plat.name,
        .seed = c->w->opts.seed,
        .batch = c->w->opts.batch,
        .calibration_s_per_sample = c->s_per_sample,
        .epochs = p->epochs,
        .target_loss = c->cfg.target_loss,
        .reached_target = p->reached,
        .time_to_target_s = p->time_to_target_s,
        .total_time_s = p->total_s,
        .cost_usd = p->cost_usd,
        .final_loss = p->last_loss,
        .test_accuracy = p->last_acc,
        .test_auc = p->last_auc,
        .invocations = c->K,
    };
    cJSON *x = cJSON_CreateObject();
    if (!x) return err_set(e, SIREN_ENOMEM, "ps: out of memory");
    cJSON_AddStringToObject(x, "instance_type", c->vm.name);
    cJSON_AddNumberToObject(x, "instances", c->K);
    cJSON_AddNumberToObject(x, "servers", c->S);
    cJSON_AddStringToObject(x, "server_placement", "colocated: server s on instance s mod K");
    cJSON_AddNumberToObject(x, "vcpus_per_instance", c->vm.vcpus);
    cJSON_AddNumberToObject(x, "speedup", c->speedup);
    cJSON_AddNumberToObject(x, "network_gbit_s", c->vm.network_gbit_s);
    cJSON_AddNumberToObject(x, "latency_us", c->latency_s * 1e6);
    cJSON_AddNumberToObject(x, "price_usd_per_hour", c->vm.price_usd_per_hour);
    cJSON_AddNumberToObject(x, "updates", (double)p->versions);
    cJSON_AddStringToObject(x, "provisioning", c->cfg.provisioning_off ? "off" : "on");
    cJSON_AddNumberToObject(x, "boot_s", c->boot_s);
    cJSON_AddNumberToObject(x, "data_s", c->data_s);
    cJSON_AddNumberToObject(x, "train_s", p->total_s - (c->boot_s + c->data_s));
    cJSON_AddNumberToObject(x, "data_bytes", c->data_bytes);
    cJSON_AddNumberToObject(x, "s3_mb_per_s", c->vm.s3_mb_per_s);
    /* Measured time only under the wall clock: a virtual-clock summary is the same bits on
     * every run. */
    if (c->cfg.wall_clock) cJSON_AddNumberToObject(x, "wall_s", p->total_wall_s);
    snprintf(path, sizeof path, "%s/summary.json", c->cfg.out_dir);
    rc = run_summary_write(path, &s, x, e);
    cJSON_Delete(x);
    return rc;
}

static int client_main(struct ps_ctx *c, struct ps_result *out, struct err *e)
{
    struct ps_client p = {.c = c, .time_to_target_s = (double)NAN};
    trace_init(&p.trace);
    if (c->cfg.target_loss <= 0) c->cfg.target_loss = c->w->info.target_loss;
    int rc = kn_model_create(&c->w->model_cfg, &p.eval, e);
    p.reps = calloc((size_t)c->K, sizeof *p.reps);
    p.ops = calloc((size_t)c->K, sizeof *p.ops);
    if (!rc && (!p.reps || !p.ops)) rc = err_set(e, SIREN_ENOMEM, "ps: out of memory");
    if (!rc) rc = fs_mkdir_p(c->cfg.out_dir, e);
    char path[1200];
    snprintf(path, sizeof path, "%s/epochs.csv", c->cfg.out_dir);
    if (!rc && !(p.csv = fopen(path, "w"))) rc = err_errno(e, errno, "cannot create %s", path);
    if (!rc)
        fprintf(p.csv, "epoch,n,memory_mb,warm,time_s,fetch_s,compute_s,update_s,cost_usd,"
                       "train_loss,test_loss,test_accuracy,budget_left_usd,invocations,"
                       "failed_invocations,versions,stale_reads\n");
    /* The clock starts at the launch request: training starts once every instance is up and
     * holds the data, and total_s (what is billed) counts from the launch. */
    double t_start = c->boot_s + c->data_s;
    p.total_s = t_start;
    for (int epoch = 1; !rc; epoch++) {
        double virt_before = p.total_s;
        if ((rc = client_epoch(&p, epoch, t_start, e))) break;
        t_start += p.total_s - virt_before;
        int last = p.reached || epoch >= c->cfg.max_epochs;
        for (int k = 0; k < c->K && !rc; k++)
            rc = client_send_cmd(ps_worker_rank(c, k), last ? PS_CMD_STOP : PS_CMD_GO, t_start, e);
        if (last) break;
    }
    for (int s = 0; s < c->S && !rc; s++) rc = client_send_cmd(ps_server_rank(s), PS_CMD_STOP, 0, e);
    if (p.csv && fclose(p.csv) && !rc) rc = err_errno(e, errno, "cannot write %s", path);
    p.csv = NULL;
    if (!rc) rc = client_finish(&p, e);
    if (!rc && out) {
        double train_s = p.total_s - (c->boot_s + c->data_s);
        *out = (struct ps_result){.epochs = p.epochs, .reached_target = p.reached,
                                  .time_to_target_s = p.time_to_target_s,
                                  .total_time_s = p.total_s, .boot_s = c->boot_s,
                                  .data_s = c->data_s, .train_s = train_s,
                                  .epoch_time_s_mean = p.epochs ? train_s / p.epochs : 0.0,
                                  .cost_usd = p.cost_usd, .final_loss = p.last_loss,
                                  .test_accuracy = p.last_acc};
    }
    for (int k = 0; p.ops && k < c->K; k++) free(p.ops[k]);
    free(p.ops);
    free(p.reps);
    trace_free(&p.trace);
    kn_model_free(p.eval);
    return rc;
}

int ps_run(const struct ps_config *cfg, struct ps_result *out, struct err *e)
{
    struct ps_ctx c;
    err_clear(e);
    int rc = ctx_open(cfg, &c, e);
    if (!rc) {
        if (c.rank == 0) rc = client_main(&c, out, e);
        else if (c.rank <= c.S) rc = ps_server_main(&c, e);
        else rc = ps_worker_main(&c, e);
    }
    workload_close(c.w);
    return rc;
}

/*
 * The emulator and the simulator see one staging (emu/staging.h): for every workload, a real
 * `siren run` stages mini-batch objects whose count, rows and bytes are exactly the
 * simulator's sim_job_load figures, its parameter object is the simulator's size, and the
 * batches its single function trains in epochs 1 and 2 have the rows the simulator places
 * there (the short last batch at the position the simulator's epoch order puts it).
 */
#include "run_test.h"

#include "handler.h"
#include "kv.h"
#include "shard.h"
#include "sim.h"
#include "staging.h"
#include "trace.h"

#include <stdio.h>
#include <string.h>

#define SEED 5
#define EPOCHS 2

/* Each workload with a batch size that leaves a short last batch. */
static const struct {
    const char *workload;
    int batch;
    const char *extra;
} cases[] = {
    {"lr-synthetic", 300, "--rows 4000"}, {"lr-ctr", 700, ""},
    {"lr-a9a", 1000, ""},                 {"lenet-fashion", 700, ""},
    {"lenet-mnist", 700, ""},             {"textcnn-polarity", 500, ""},
};

static void check_workload(const char *workload, int batch, const char *extra)
{
    char name[64], args[512], kv_url[1200];
    snprintf(name, sizeof name, "stage-%s", workload);
    snprintf(kv_url, sizeof kv_url, "file:%s/%s-kv", dir, name);
    snprintf(args, sizeof args,
             "--workload %s --batch %d --seed %d %s --update overwrite "
             "--scheduler static:n=1,m=2048 "
             "--max-epochs %d --target-loss 0.000001 --kv %s --job staging --keep",
             workload, batch, SEED, extra, EPOCHS, kv_url);
    if (run_siren(1, name, args) != 0) fail_msg("%s: siren run failed (see %s/%s.log)", workload, dir, name);

    /* The simulator's view of the same job. */
    struct workload_opts wo = {0};
    wo.batch = batch;
    wo.seed = SEED;
    if (!strcmp(workload, "lr-synthetic")) wo.synthetic_rows = 4000;
    struct sim_job jb;
    struct err e;
    if (sim_job_load(workload, &wo, NULL, &jb, &e)) fail_msg("%s", e.msg);
    assert_true(jb.last_batch_rows < (uint32_t)batch); /* a short batch, so order shows */

    /* The emulator's staged objects: as many, as many rows each, as many bytes. */
    struct kv *kv;
    if (kv_open(kv_url, &kv, &e)) fail_msg("%s", e.msg);
    struct kv_keys keys;
    /* One dataset, its batches data/<digest>/bNNNNNNN beside its marker and reference. */
    assert_int_equal(kv_list(kv, "data/", &keys), SIREN_OK);
    size_t n = 0;
    for (size_t b = 0; b < keys.count; b++) {
        const char *base = strrchr(keys.keys[b], '/') + 1;
        if (base[0] == 'b' && strlen(base) == 8) keys.keys[n++] = keys.keys[b];
        else free(keys.keys[b]);
    }
    keys.count = n;
    assert_int_equal(keys.count, jb.n_batches);
    double bytes = 0;
    size_t rows = 0;
    for (size_t b = 0; b < keys.count; b++) {
        struct kv_value v;
        struct shard_view sv;
        assert_int_equal(kv_get(kv, keys.keys[b], &v), SIREN_OK);
        if (shard_decode(v.data, v.len, keys.keys[b], &sv, &e)) fail_msg("%s", e.msg);
        assert_int_equal(sv.n, b + 1 < keys.count ? (uint32_t)batch : jb.last_batch_rows);
        rows += sv.n;
        bytes += (double)v.len;
        kv_value_free(&v);
    }
    kv_keys_free(&keys);
    assert_int_equal(rows, jb.rows);
    assert_true(bytes / (double)rows == jb.shard_bytes_per_sample);
    /* The parameters the next epoch starts from: the simulator's parameter object size. */
    char key[128];
    fn_version_key("jobs/staging/params/e0003/", 0, 0, key, sizeof key);
    struct kv_value pv;
    if (kv_get(kv, key, &pv)) fail_msg("%s: %s", key, kv_errmsg(kv));
    assert_true((double)pv.len == jb.weight_bytes);
    kv_value_free(&pv);
    kv_close(kv);

    /* The order: step k of epoch t read as many rows as the simulator's k-th batch of t. */
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s/trace.h5", dir, name) > 0);
    struct trace t;
    if (trace_read_h5(path, &t, &e)) fail_msg("%s", e.msg);
    uint32_t *order = malloc(jb.n_batches * sizeof *order);
    assert_non_null(order);
    size_t seen[EPOCHS + 1] = {0};
    for (int ep = 1; ep <= EPOCHS; ep++) {
        staging_epoch_order(jb.seed, ep, jb.n_batches, order);
        for (size_t q = 0; q < t.n_ops; q++) {
            const struct trace_kv_op *op = &t.ops[q];
            if (op->epoch != ep || op->op != TRACE_DATA_GET) continue;
            assert_int_equal(op->fn, 0);
            assert_true(op->step >= 0 && (size_t)op->step < jb.n_batches);
            uint32_t b = order[op->step];
            double want_rows = b + 1 == jb.n_batches ? jb.last_batch_rows : (double)batch;
            assert_true(op->bytes == jb.shard_bytes_per_sample * want_rows);
            seen[ep]++;
        }
        assert_int_equal(seen[ep], jb.n_batches);
    }
    free(order);
    trace_free(&t);
    free(path);
}

static void test_emulator_and_simulator_stage_alike_for_every_workload(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        print_message("%s\n", cases[i].workload);
        check_workload(cases[i].workload, cases[i].batch, cases[i].extra);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_and_simulator_stage_alike_for_every_workload),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

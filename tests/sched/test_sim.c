/*
 * The simulator gives the planner's and the ledger's numbers: the closed-form HSP epoch
 * equals the planner-built one, epoch_model_bill equals charging the ledger invocation by
 * invocation, for several schedules (warm and cold functions, a short last batch, apply), and
 * the report follows the epoch rules the emulator shares (epoch_model.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "epoch_model.h"
#include "ledger.h"
#include "staging.h"
#include "testutil.h"
#include "toy.h"

#include <sys/stat.h>

static void assert_close(double a, double b, double rel)
{
    if (fabs(a - b) > rel * fmax(fabs(a), fabs(b)) + 1e-15) {
        print_error("%.17g != %.17g\n", a, b);
        fail();
    }
}

static void run_schedule(enum plan_update update, int rows)
{
    static const struct sched_action sched[] = {{7, 1024}, {7, 1024}, {3, 1024}, {12, 1024},
                                                {12, 512}, {1, 3008}, {99, 128}, {5, 1792}};
    struct sim_config c;
    assert_int_equal(toy_config(&c, rows, 8, 0), 0);
    c.update = update;
    plan_update_format(update, 0, c.loss.update, sizeof c.loss.update);
    struct sim *fast, *exact;
    struct err e;
    assert_int_equal(sim_open(&c, &fast, &e), 0);
    c.exact = 1;
    assert_int_equal(sim_open(&c, &exact, &e), 0);
    for (size_t i = 0; i < sizeof sched / sizeof *sched; i++) {
        struct epoch_report a, b;
        assert_int_equal(sim_step(fast, sched[i], &a, &e), 0);
        assert_int_equal(sim_step(exact, sched[i], &b, &e), 0);
        assert_int_equal(a.warm, b.warm);
        assert_close(a.time_s, b.time_s, 1e-9);
        assert_close(a.cost_usd, b.cost_usd, 1e-9);
        assert_close(a.fetch_s, b.fetch_s, 1e-9);
        assert_close(a.compute_s, b.compute_s, 1e-9);
        assert_close(a.update_s, b.update_s, 1e-9);
        assert_close(a.cpu_util, b.cpu_util, 1e-9);
        assert_true(a.time_s > 0 && a.cost_usd > 0);
    }
    sim_close(fast);
    sim_close(exact);
}

static void test_sim_fast_path_equals_planner(void **state)
{
    (void)state;
    run_schedule(PLAN_UPDATE_OVERWRITE, 1000);
    run_schedule(PLAN_UPDATE_OVERWRITE, 995); /* a short last batch */
    run_schedule(PLAN_UPDATE_APPLY, 997);
}

static void test_sim_bill_equals_ledger(void **state)
{
    (void)state;
    struct sim_config c;
    assert_int_equal(toy_config(&c, 995, 4, 0), 0);
    const struct platform *pf = &c.platform;
    int ns[] = {1, 4, 13, 99}, mems[] = {128, 1024, 1792, 3008};
    uint32_t rows[100];
    for (int b = 0; b < 100; b++) rows[b] = b == 42 ? 5 : 10;
    for (int k = 0; k < 4; k++) {
        struct plan_config pc = {0};
        pc.n_functions = ns[k];
        pc.n_warm = ns[k] / 2;
        pc.batch_rows = rows;
        pc.n_batches = 100;
        epoch_model_costs(pf, NULL, c.job.s_per_sample, c.job.shard_bytes_per_sample,
                          c.job.weight_bytes, mems[k], &pc.costs);
        struct plan_epoch p;
        struct err e;
        assert_int_equal(plan_epoch_build(&pc, &p, &e), 0);
        struct epoch_bill bill;
        epoch_model_bill(pf, NULL, &p, mems[k], PLAN_UPDATE_OVERWRITE, NULL, NULL, 0.0, &bill);
        /* The ledger, charged as job.c's record_epoch does. */
        struct ledger l;
        ledger_init(&l, pf);
        for (int i = 0; i < p.n_functions; i++) {
            const struct plan_fn *f = &p.fns[i];
            double stop = p.steps[f->first_step + f->n_steps - 1].t_end;
            assert_int_equal(ledger_add_invocation(&l, mems[k], (stop - f->t_start) * 1e3,
                                                   f->cold ? (f->t_start - f->t_invoke) * 1e3 : 0,
                                                   NULL, &e), 0);
        }
        ledger_add_kv(&l, 2 * p.n_steps, p.n_steps, 0, 0);
        struct ledger_totals t;
        ledger_end_epoch(&l, &t);
        assert_true(bill.cost_usd == t.total_usd); /* the same doubles, bit for bit */
        assert_true(bill.time_s == p.t_end);
        assert_int_equal(bill.invocations, ns[k]);
        assert_int_equal((int)bill.kv_gets, 200);
        /* And the simulator's epoch agrees with the plan. */
        plan_epoch_free(&p);
    }
}

/* The epoch's report follows the rules the emulator's job_epoch shares (epoch_model.h): warm
 * functions are the previous epoch's while the memory size stays, the exact path plans what
 * epoch_model_plan_config gives the planner, and the running totals and budget left add up. */
static void test_sim_report_follows_shared_epoch_rules(void **state)
{
    (void)state;
    static const struct sched_action sched[] = {{7, 1024}, {3, 1024}, {12, 1024}, {12, 512}};
    static const int warm[] = {0, 3, 3, 0};
    struct sim_config c;
    assert_int_equal(toy_config(&c, 995, 4, 0.5), 0);
    c.exact = 1;
    struct sim *s;
    struct err e;
    assert_int_equal(sim_open(&c, &s, &e), 0);
    double total_time = 0, total_cost = 0;
    int prev_n = 0, prev_mb = 0;
    for (int i = 0; i < 4; i++) {
        struct epoch_report r;
        assert_int_equal(sim_step(s, sched[i], &r, &e), 0);
        assert_int_equal(r.epoch, i + 1);
        assert_int_equal(r.warm, warm[i]);
        assert_int_equal(r.warm, epoch_model_warm(sched[i].n, sched[i].memory_mb, prev_n, prev_mb));
        prev_n = sched[i].n;
        prev_mb = sched[i].memory_mb;
        /* The planner's epoch from the shared configuration, billed: the report's numbers. */
        struct plan_costs k;
        struct epoch_model_opts mo = {c.channel, !c.fixed_latency, c.job.seed};
        epoch_model_costs(&c.platform, &mo, c.job.s_per_sample, c.job.shard_bytes_per_sample,
                          c.job.weight_bytes, sched[i].memory_mb, &k);
        uint32_t order[100], rows[100];
        staging_epoch_order(c.job.seed, i + 1, c.job.n_batches, order);
        for (size_t b = 0; b < c.job.n_batches; b++)
            rows[b] = order[b] == c.job.n_batches - 1 ? c.job.last_batch_rows : (uint32_t)c.job.batch;
        struct plan_config pc;
        epoch_model_plan_config(&k, i + 1, sched[i].n, r.warm, c.sync, c.staleness, c.update,
                                c.on_timeout, rows, c.job.n_batches, &pc);
        struct plan_epoch p;
        assert_int_equal(plan_epoch_build(&pc, &p, &e), 0);
        struct epoch_bill bill;
        epoch_model_bill(&c.platform, &mo, &p, sched[i].memory_mb, c.update, NULL, NULL,
                         epoch_model_driver_s(&c.platform, c.sync), &bill);
        assert_true(r.time_s == bill.time_s && r.cost_usd == bill.cost_usd);
        assert_true(r.compute_s == p.compute_s && r.cpu_util == p.compute_s / bill.billed_s);
        plan_epoch_free(&p);
        assert_true(r.mem_util == c.job.model_bytes / (sched[i].memory_mb * 1048576.0));
        total_time += r.time_s;
        total_cost += r.cost_usd;
        assert_true(r.total_time_s == total_time && r.total_cost_usd == total_cost);
        assert_true(r.budget_left_usd == 0.5 - total_cost);
    }
    sim_close(s);
    /* Without a budget, none is left to spend: infinitely much. */
    struct epoch_report r;
    epoch_model_report_start(&r, 1, 4, 1024, 0, 0);
    epoch_model_report_usage(&r, 2.0, 1.0, 0.5, 0.25, 0.0, 1e-4);
    assert_true(r.cpu_util == 0.0); /* nothing billed */
    assert_true(r.mem_util == 0.0);
    epoch_model_report_totals(&r, 0, &total_time, &total_cost);
    assert_true(isinf(r.budget_left_usd) && r.budget_left_usd > 0);
}

static void test_sim_loss_model_inverts(void **state)
{
    (void)state;
    struct sim_config c;
    assert_int_equal(toy_config(&c, 1000, 4, 0), 0);
    double need = sim_loss_needed(&c.loss, 0.5);
    assert_close(sim_loss_at(&c.loss, need), 0.5, 1e-12);
    assert_true(isinf(sim_loss_needed(&c.loss, 0.2)));
    assert_close(sim_loss_effective(&c.loss, 100, 10, 11, 1), 1000 / 4.0, 1e-12);
}

/* Writes a run directory whose losses follow model m exactly for the schedule ns, then
 * `overfit` more epochs (of the last n) whose loss rises by 0.05 each. */
static void write_run_overfit(const char *dir, const struct sim_loss_model *m, const int *ns,
                              int epochs, size_t n_batches, int batch, int overfit)
{
    assert_int_equal(mkdir(dir, 0755), 0);
    char *path = tu_path(dir, "summary.json");
    char text[4096];
    int len = snprintf(text, sizeof text, "{\"workload\": \"%s\", \"batch\": %d}\n", m->workload,
                       batch);
    assert_int_equal(tu_write_file(path, text, (size_t)len), 0);
    free(path);
    len = snprintf(text, sizeof text, "epoch,n,memory_mb,warm,time_s,fetch_s,compute_s,update_s,"
                   "cost_usd,train_loss,test_loss,test_accuracy,budget_left_usd,invocations,"
                   "failed_invocations,versions,stale_reads\n");
    double eff = 0;
    for (int t = 1; t <= epochs; t++) {
        eff += sim_loss_effective(m, n_batches, batch, ns[t - 1], t);
        len += snprintf(text + len, sizeof text - (size_t)len,
                        "%d,%d,1024,0,1,1,1,1,0.001,0,%.9f,0,-1,%d,0,%zu,0\n", t, ns[t - 1],
                        sim_loss_at(m, eff), ns[t - 1], n_batches);
    }
    for (int t = epochs + 1; t <= epochs + overfit; t++)
        len += snprintf(text + len, sizeof text - (size_t)len,
                        "%d,%d,1024,0,1,1,1,1,0.001,0,%.9f,0,-1,%d,0,%zu,0\n", t, ns[epochs - 1],
                        sim_loss_at(m, eff) + 0.05 * (t - epochs), ns[epochs - 1], n_batches);
    path = tu_path(dir, "epochs.csv");
    assert_int_equal(tu_write_file(path, text, (size_t)len), 0);
    free(path);
}

static void write_run(const char *dir, const struct sim_loss_model *m, const int *ns, int epochs,
                      size_t n_batches, int batch)
{
    write_run_overfit(dir, m, ns, epochs, n_batches, batch, 0);
}

/* A rounds-form model of the given parameters. */
static struct sim_loss_model rounds_model(const char *workload, double loss0, double loss_inf,
                                          double tau, double kappa, double beta, double psi,
                                          double lr_decay)
{
    struct sim_loss_model m = {0};
    snprintf(m.workload, sizeof m.workload, "%s", workload);
    m.progress = SIM_PROGRESS_ROUNDS;
    m.loss0 = loss0;
    m.loss_inf = loss_inf;
    m.tau_samples = tau;
    m.kappa = kappa;
    m.beta = beta;
    m.psi = psi;
    m.lr_decay = lr_decay;
    return m;
}

/* sim fit recovers a rounds-form model (with lenet-fashion's learning-rate decay) from runs it
 * generated, and the check of that model on the runs is exact; a model file round-trips. */
static void test_sim_fit_recovers_rounds_model(void **state)
{
    (void)state;
    /* lr_decay 0.75: the workload's, which the fit takes from the workload table */
    struct sim_loss_model m = rounds_model("lenet-fashion", 2.3, 0.35, 1500, 0.5, 2.0, 0.2, 0.75);
    char *dir = tu_mkdtemp();
    static const int s1[] = {2, 2, 2, 2, 2, 2}, s2[] = {16, 16, 16, 16, 16, 16},
                     s3[] = {64, 8, 4, 1, 1, 1}, s4[] = {200, 200, 200, 200, 200, 200};
    const int *sch[] = {s1, s2, s3, s4};
    char *runs[4];
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "run%d", i);
        runs[i] = tu_path(dir, name);
        write_run(runs[i], &m, sch[i], 6, 235, 256);
    }
    struct sim_loss_model f;
    struct err e;
    assert_int_equal(sim_loss_model_fit((const char *const *)runs, 4, SIM_PROGRESS_ROUNDS, 1, &f, &e), 0);
    print_message("fit: psi %.4f kappa %.4f tau %.1f beta %.4f rmse %.2g\n", f.psi, f.kappa,
                  f.tau_samples, f.beta, f.rmse);
    assert_true(f.rmse < 2e-3);
    assert_close(f.lr_decay, 0.75, 1e-12);
    assert_true(fabs(f.psi - m.psi) < 0.05);
    /* The discount form cannot follow these runs as closely. */
    struct sim_loss_model d;
    assert_int_equal(sim_loss_model_fit((const char *const *)runs, 4, SIM_PROGRESS_DISCOUNT, 1, &d, &e), 0);
    assert_true(d.rmse > 3 * f.rmse);
    struct sim_loss_check c[4];
    double rmse;
    int points;
    assert_int_equal(sim_loss_model_check(&m, (const char *const *)runs, 4, c, &rmse, &points, &e), 0);
    assert_int_equal(points, 24);
    assert_true(rmse < 1e-8);
    assert_int_equal(c[2].epochs, 6);
    char *path = tu_path(dir, "model.json");
    assert_int_equal(sim_loss_model_save(path, &f, &e), 0);
    struct sim_loss_model g;
    assert_int_equal(sim_loss_model_load(path, &g, &e), 0);
    assert_int_equal(g.progress, SIM_PROGRESS_ROUNDS);
    assert_close(g.beta, f.beta, 1e-12);
    assert_close(g.psi, f.psi, 1e-12);
    double need = sim_loss_needed(&g, 0.5);
    assert_close(sim_loss_at(&g, need), 0.5, 1e-9);
    free(path);
    for (int i = 0; i < 4; i++) free(runs[i]);
    tu_rm_rf(dir);
    free(dir);
}

/* A run that overfits (its test loss rises after its lowest point) does not bend the fit: those
 * epochs are left out by default, and with them kept (all_epochs) the same runs fit far
 * worse. */
static void test_sim_fit_leaves_out_overfitting_epochs(void **state)
{
    (void)state;
    struct sim_loss_model m = rounds_model("textcnn-polarity", 0.69, 0.45, 20000, 1.0, 1.5, 0.0, 1.0);
    char *dir = tu_mkdtemp();
    static const int s1[] = {1, 1, 1, 1}, s2[] = {4, 4, 4, 4}, s3[] = {16, 16, 16, 16};
    const int *sch[] = {s1, s2, s3};
    const int overfit[] = {3, 0, 0};
    char *runs[3];
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "run%d", i);
        runs[i] = tu_path(dir, name);
        write_run_overfit(runs[i], &m, sch[i], 4, 192, 50, overfit[i]);
    }
    struct sim_loss_model f, all;
    struct err e;
    assert_int_equal(sim_loss_model_fit((const char *const *)runs, 3, SIM_PROGRESS_ROUNDS, 0, &f,
                                        &e), 0);
    assert_int_equal(sim_loss_model_fit((const char *const *)runs, 3, SIM_PROGRESS_ROUNDS, 1,
                                        &all, &e), 0);
    print_message("descent only: rmse %.2g loss_inf %.4f; all epochs: rmse %.2g loss_inf %.4f\n",
                  f.rmse, f.loss_inf, all.rmse, all.loss_inf);
    assert_int_equal(f.dropped, 3);
    assert_int_equal(f.points, 12);
    assert_int_equal(all.dropped, 0);
    assert_int_equal(all.points, 15);
    assert_true(f.rmse < 2e-3);
    assert_true(all.rmse > 10 * f.rmse);
    for (int i = 0; i < 3; i++) free(runs[i]);
    tu_rm_rf(dir);
    free(dir);
}

static void test_sim_stops_at_budget_and_epochs(void **state)
{
    (void)state;
    struct sim_config c;
    assert_int_equal(toy_config(&c, 1000, 3, 0.002), 0);
    c.target_loss = 0.31;
    struct sim *s;
    struct err e;
    assert_int_equal(sim_open(&c, &s, &e), 0);
    struct sched_action a = {50, 3008};
    struct sim_result r;
    assert_int_equal(sim_run_actions(s, &a, 1, &r, &e), 0);
    assert_int_equal(r.stop, SIM_BUDGET);
    assert_true(r.cost_usd >= 0.002);
    assert_false(r.within_budget);
    sim_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_fast_path_equals_planner),
        cmocka_unit_test(test_sim_bill_equals_ledger),
        cmocka_unit_test(test_sim_report_follows_shared_epoch_rules),
        cmocka_unit_test(test_sim_loss_model_inverts),
        cmocka_unit_test(test_sim_fit_recovers_rounds_model),
        cmocka_unit_test(test_sim_fit_leaves_out_overfitting_epochs),
        cmocka_unit_test(test_sim_stops_at_budget_and_epochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

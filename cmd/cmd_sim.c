/*
 * siren sim: a training job in the simulator (sim.h): the emulator's planner, platform and
 * calibration arithmetic for time and cost, a fitted loss-progress model for the loss; no
 * mpirun, no kernels. `siren sim fit RUN_DIR...` fits that model to `siren run` outputs.
 * Results (one line per epoch, then the summary as JSON) go to stdout.
 */
#include "cmd.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --max-epochs' bound is the simulator's: an episode's actions are held in arrays of it. */
_Static_assert(SIREN_MAX_EPOCHS == SIM_MAX_EPOCHS, "--max-epochs must fit the simulator");

/* The options of siren sim, and of siren sim fit, in the order of their help. */
static const struct opt_use sim_opts[] = {
    {.id = OPT_WORKLOAD, .def = "lenet-fashion"},
    {.id = OPT_SCHEDULER, .help = "static:n=N,m=MB | schedule:FILE | heuristic[:..] | "
                                  "drl:POLICY | grid | oracle (searched in the simulator)"},
    {.id = OPT_LOSS_MODEL},
    {.id = OPT_SYNC, .help = "hsp | ssp:S (the modes the simulator models)"},
    {.id = OPT_UPDATE}, {.id = OPT_FETCH}, {.id = OPT_PLATFORM}, {.id = OPT_LATENCY},
    {.id = OPT_CHANNEL}, {.id = OPT_CONCURRENCY}, {.id = OPT_BUDGET},
    {.id = OPT_TARGET_LOSS},
    {.id = OPT_MAX_EPOCHS}, {.id = OPT_ON_TIMEOUT}, {.id = OPT_BATCH}, {.id = OPT_LR},
    {.id = OPT_SEED}, {.id = OPT_ROWS}, {.id = OPT_HASH_BITS}, {.id = OPT_DATA},
    {.id = OPT_CALIBRATION},
    {.id = OPT_EXACT},
    {.id = OPT_SCHEDULE_OUT}, {.id = OPT_HELP},
};
static const struct opt_use fit_opts[] = {
    {.id = OPT_OUT, .arg = "MODEL.json", .help = "fit a model to the runs and write it here"},
    {.id = OPT_MODEL}, {.id = OPT_FORM}, {.id = OPT_ALL_EPOCHS}, {.id = OPT_PER_RUN},
    {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren sim --workload W --scheduler SPEC [options]\n"
            "       siren sim fit --out MODEL.json [--form F] [--all-epochs] [--per-run] RUN_DIR...\n"
            "       siren sim fit --model MODEL.json RUN_DIR...   (how MODEL predicts the runs)\n\n"
            "Runs W epoch by epoch in the simulator: epoch time and cost from the emulator's\n"
            "planner, platform preset and calibration (the same numbers as `siren run` for the\n"
            "same schedule), loss from a loss-progress model fitted to emulator runs.\n\n");
    opt_help_write(f, sim_opts, CMD_COUNT(sim_opts));
    fprintf(f, "\nsiren sim fit:\n");
    opt_help_write(f, fit_opts, CMD_COUNT(fit_opts));
}

/* Prints how model m predicts each run (the fit's own runs, or held-out ones). */
static int print_check(const struct sim_loss_model *m, const char **dirs, int nd, struct err *e)
{
    struct sim_loss_check *c = calloc((size_t)nd, sizeof *c);
    double rmse;
    int points;
    if (!c) return err_set(e, SIREN_ENOMEM, "out of memory");
    int rc = sim_loss_model_check(m, dirs, nd, c, &rmse, &points, e);
    if (!rc) {
        printf("%-48s %6s %8s %9s %10s\n", "run", "epochs", "rmse", "last_loss", "last_error");
        for (int i = 0; i < nd; i++)
            printf("%-48s %6d %8.4f %9.4f %+10.4f\n", dirs[i], c[i].epochs, c[i].rmse,
                   c[i].last_loss, c[i].last_error);
        printf("%s (%s form): rmse %.4f over %d epochs of %d runs\n", m->workload,
               sim_progress_name(m->progress), rmse, points, nd);
    }
    free(c);
    return rc;
}

/* What the command line asks of siren sim fit. */
struct fit_request {
    const char *out, *model;
    enum sim_progress form;
    int verbose, all_epochs;
};

static int fit_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct fit_request *r = ctx;
    (void)e;
    switch (v->id) {
    case OPT_OUT: r->out = v->text; break;
    case OPT_MODEL: r->model = v->text; break;
    case OPT_FORM:
        r->form = v->i == 0 ? SIM_PROGRESS_ROUNDS : v->i == 1 ? SIM_PROGRESS_DISCOUNT
                                                              : SIM_PROGRESS_PARALLEL;
        break;
    case OPT_PER_RUN: r->verbose = 1; break;
    case OPT_ALL_EPOCHS: r->all_epochs = 1; break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

static int cmd_sim_fit(int argc, char **argv)
{
    struct fit_request r = {.form = SIM_PROGRESS_ROUNDS};
    struct err e;
    int first;
    int rc = opt_parse("sim fit", fit_opts, CMD_COUNT(fit_opts), argc, argv, fit_opt, &r, &first);
    if (rc != OPT_GO_ON) return rc;
    const char *out = r.out, *model = r.model;
    const char **dirs = (const char **)argv + first;
    int nd = argc - first;
    if ((!out && !model) || (out && model) || nd == 0)
        return opt_usage_error("sim fit", "expected --out MODEL.json (fit) or --model MODEL.json "
                               "(check), and at least one RUN_DIR");
    struct sim_loss_model m;
    if (model) {
        rc = sim_loss_model_load(model, &m, &e);
        if (!rc) rc = print_check(&m, dirs, nd, &e);
        return rc ? cmd_fail("sim fit", &e) : 0;
    }
    rc = sim_loss_model_fit(dirs, nd, r.form, r.all_epochs, &m, &e);
    if (!rc) rc = sim_loss_model_save(out, &m, &e);
    if (!rc && r.verbose) rc = print_check(&m, dirs, nd, &e);
    if (rc) return cmd_fail("sim fit", &e);
    char rho[32] = "";
    if (m.progress == SIM_PROGRESS_PARALLEL) snprintf(rho, sizeof rho, " rho %.3f", m.rho);
    printf("%s (--update %s): %s form: loss0 %.4f loss_inf %.4f tau_samples %.1f kappa %.3f "
           "beta %.3f %s %.3f%s rmse %.4f (%d epochs of %d runs; %d after a run's lowest loss "
           "left out) -> %s\n",
           m.workload, m.update, sim_progress_name(m.progress), m.loss0, m.loss_inf,
           m.tau_samples, m.kappa, m.beta, m.progress == SIM_PROGRESS_ROUNDS ? "psi" : "gamma",
           m.progress == SIM_PROGRESS_ROUNDS ? m.psi : m.gamma, rho, m.rmse, m.points, m.runs,
           m.dropped, out);
    return 0;
}

/* What the command line asks of siren sim. */
struct sim_request {
    struct sim_setup su;
    const char *spec, *sched_out;
};

static int sim_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct sim_request *r = ctx;
    struct sim_setup *su = &r->su;
    if (cmd_sim_setup_opt(v, su)) return SIREN_OK;
    int u = cmd_update_opt(v, su, e);
    if (u) return u < 0 ? SIREN_EUSAGE : SIREN_OK;
    switch (v->id) {
    case OPT_SCHEDULER: r->spec = v->text; break;
    case OPT_SYNC:
        /* The simulator models the two modes with a barrier between epochs. */
        if (plan_sync_parse(v->text, &su->sync, &su->staleness, e) ||
            (su->sync != PLAN_SYNC_HSP && su->sync != PLAN_SYNC_SSP))
            return err_set(e, SIREN_EUSAGE, "--sync: expected hsp or ssp:S, got '%s'", v->text);
        break;
    case OPT_MAX_EPOCHS: su->max_epochs = (int)v->i; break;
    case OPT_ON_TIMEOUT: su->on_timeout = v->i ? PLAN_TIMEOUT_FAIL : PLAN_TIMEOUT_CONTINUE; break;
    case OPT_EXACT: su->exact = 1; break;
    case OPT_SCHEDULE_OUT: r->sched_out = v->text; break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int cmd_sim(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "fit")) return cmd_sim_fit(argc - 1, argv + 1);
    struct sim_request req = {.su.workload = "lenet-fashion", .su.max_epochs = 10,
                              .su.update = PLAN_UPDATE_AVERAGE};
    struct err e;
    int rc = opt_parse("sim", sim_opts, CMD_COUNT(sim_opts), argc, argv, sim_opt, &req, NULL);
    if (rc != OPT_GO_ON) return rc;
    struct sim_setup su = req.su;
    const char *spec = req.spec, *sched_out = req.sched_out;
    if (!spec) return opt_usage_error("sim", "--scheduler is required (e.g. static:n=10,m=1024)");
    struct sched_policy *pol = NULL;
    int searched = !strcmp(spec, "grid") || !strcmp(spec, "oracle");
    if (!searched && sched_open(spec, &pol, &e)) return opt_usage_error("sim", "%s", e.msg);
    struct sim *s = NULL;
    struct sim_result r;
    rc = sim_open_setup(&su, &s, &e);
    if (!rc && searched) {
        struct sched_action *grid = NULL;
        int ng;
        rc = sim_action_grid(s, &grid, &ng, &e);
        if (!rc) rc = !strcmp(spec, "grid") ? sim_grid_search(s, &r, &e)
                                            : sim_oracle_search(s, grid, ng, &r, NULL, &e);
        free(grid);
        if (!rc) rc = sched_open_actions(r.actions, r.epochs, spec, &pol, &e);
    }
    if (rc) {
        sched_close(pol);
        sim_close(s);
        return cmd_fail("sim", &e);
    }
    /* Replay with the per-epoch lines. */
    sim_reset(s);
    const struct epoch_report *state = NULL;
    struct epoch_report rep;
    int epochs = 0;
    FILE *so = sched_out ? fopen(sched_out, "w") : NULL;
    if (sched_out && !so) rc = err_errno(&e, errno, "cannot create %s", sched_out);
    while (!rc && sim_stopped(s) == SIM_RUNNING) {
        struct sched_action a;
        if ((rc = sched_next(pol, state, &a, &e)) || (rc = sim_step(s, a, &rep, &e))) break;
        state = &rep;
        epochs++;
        printf("epoch %d: n=%d m=%d loss %.4f time %.3f s cost $%.6f (total %.3f s, $%.6f)\n",
               rep.epoch, rep.n, rep.memory_mb, rep.test_loss, rep.time_s, rep.cost_usd,
               rep.total_time_s, rep.total_cost_usd);
        if (so) fprintf(so, "%d %d\n", rep.n, rep.memory_mb);
    }
    if (so) fclose(so);
    if (!rc) {
        static const char *why[] = {"running", "target", "budget", "max-epochs"};
        printf("{\"workload\": \"%s\", \"scheduler\": \"%s\", \"epochs\": %d, \"jct_s\": %.6f, "
               "\"cost_usd\": %.9f, \"final_loss\": %.6f, \"target_loss\": %.4f, "
               "\"reached_target\": %s, \"stop\": \"%s\"}\n",
               su.workload, spec, epochs, rep.total_time_s, rep.total_cost_usd, rep.test_loss,
               sim_target_loss(s), rep.reached_target ? "true" : "false", why[sim_stopped(s)]);
    }
    sched_close(pol);
    sim_close(s);
    return rc ? cmd_fail("sim", &e) : 0;
}

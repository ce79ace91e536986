/*
 * siren sim: a training job in the simulator (sim.h): the emulator's planner, platform and
 * calibration arithmetic for time and cost, a fitted loss-progress model for the loss; no
 * mpirun, no kernels. `siren sim fit RUN_DIR...` fits that model to `siren run` outputs.
 * Results (one line per epoch, then the summary as JSON) go to stdout.
 */
#include "cmd.h"
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren sim --workload W --scheduler SPEC [options]\n"
            "       siren sim fit [--form rounds|discount] [--all-epochs] [--per-run] --out MODEL.json\n"
            "                     RUN_DIR...   (--all-epochs: keep each run's epochs after its\n"
            "                     lowest loss, left out by default)\n"
            "       siren sim fit --model MODEL.json RUN_DIR...   (how MODEL predicts the runs)\n\n"
            "Runs W epoch by epoch in the simulator: epoch time and cost from the emulator's\n"
            "planner, platform preset and calibration (the same numbers as `siren run` for the\n"
            "same schedule), loss from a loss-progress model fitted to emulator runs.\n\n"
            "  --scheduler SPEC     static:n=N,m=MB | schedule:FILE | heuristic[:..] | drl:POLICY\n"
            "                       | grid | oracle (searched in the simulator)\n"
            "  --loss-model FILE    (default results/sched/models/W.json)\n"
            "  --sync MODE          hsp (default) | ssp:S\n"
            "  --update RULE        overwrite (default) | apply\n"
            "  --platform P --budget USD --target-loss L --max-epochs E (default 10)\n"
            "  --on-timeout WHAT --batch B --lr X --seed S --hash-bits K --calibration FILE\n"
            "  --exact              build every epoch with the planner (no closed form)\n"
            "  --schedule-out FILE  write the actions taken as a schedule file\n");
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

static int cmd_sim_fit(int argc, char **argv)
{
    const char *out = NULL, *model = NULL;
    enum sim_progress form = SIM_PROGRESS_ROUNDS;
    int verbose = 0, all_epochs = 0;
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    int nd = 0;
    if (!dirs) return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--form") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "rounds")) form = SIM_PROGRESS_ROUNDS;
            else if (!strcmp(argv[i], "discount")) form = SIM_PROGRESS_DISCOUNT;
            else {
                free(dirs);
                return cmd_usage_error("sim fit", "--form: expected rounds or discount, got '%s'",
                                       argv[i]);
            }
        } else if (!strcmp(argv[i], "--per-run")) verbose = 1;
        else if (!strcmp(argv[i], "--all-epochs")) all_epochs = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(dirs);
            return 0;
        } else dirs[nd++] = argv[i];
    }
    if ((!out && !model) || (out && model) || nd == 0) {
        free(dirs);
        return cmd_usage_error("sim fit", "expected --out MODEL.json (fit) or --model MODEL.json "
                               "(check), and at least one RUN_DIR");
    }
    struct sim_loss_model m;
    struct err e;
    int rc;
    if (model) {
        rc = sim_loss_model_load(model, &m, &e);
        if (!rc) rc = print_check(&m, dirs, nd, &e);
        free(dirs);
        return rc ? cmd_fail("sim fit", &e) : 0;
    }
    rc = sim_loss_model_fit(dirs, nd, form, all_epochs, &m, &e);
    if (!rc) rc = sim_loss_model_save(out, &m, &e);
    if (!rc && verbose) rc = print_check(&m, dirs, nd, &e);
    free(dirs);
    if (rc) return cmd_fail("sim fit", &e);
    printf("%s: %s form: loss0 %.4f loss_inf %.4f tau_samples %.1f kappa %.3f beta %.3f "
           "%s %.3f rmse %.4f (%d epochs of %d runs; %d after a run's lowest loss left out) "
           "-> %s\n",
           m.workload, sim_progress_name(m.progress), m.loss0, m.loss_inf, m.tau_samples,
           m.kappa, m.beta, m.progress == SIM_PROGRESS_ROUNDS ? "psi" : "gamma",
           m.progress == SIM_PROGRESS_ROUNDS ? m.psi : m.gamma, m.rmse, m.points, m.runs,
           m.dropped, out);
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "fit")) return cmd_sim_fit(argc - 1, argv + 1);
    static const struct option longopts[] = {
        {"workload", required_argument, 0, 'w'}, {"scheduler", required_argument, 0, 'S'},
        {"sync", required_argument, 0, 'y'},     {"update", required_argument, 0, 'u'},
        {"platform", required_argument, 0, 'p'}, {"budget", required_argument, 0, 'B'},
        {"target-loss", required_argument, 0, 'T'}, {"max-epochs", required_argument, 0, 'E'},
        {"batch", required_argument, 0, 'b'},    {"lr", required_argument, 0, 'l'},
        {"calibration", required_argument, 0, 'C'}, {"seed", required_argument, 0, 's'},
        {"hash-bits", required_argument, 0, 'H'}, {"on-timeout", required_argument, 0, 'O'},
        {"loss-model", required_argument, 0, 'L'}, {"exact", no_argument, 0, 'x'},
        {"schedule-out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct sim_setup su = {0};
    const char *spec = NULL, *sched_out = NULL;
    long long v, max_epochs = 10;
    double d;
    struct err e;
    int c;
    su.workload = "lenet-fashion";
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:S:y:u:p:B:T:E:b:l:C:s:H:O:L:xo:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': su.workload = optarg; break;
        case 'S': spec = optarg; break;
        case 'y':
            if (!strcmp(optarg, "hsp")) su.sync = PLAN_SYNC_HSP;
            else if (!strncmp(optarg, "ssp:", 4) && !parse_long(optarg + 4, "--sync", &v, &e) && v >= 0) {
                su.sync = PLAN_SYNC_SSP;
                su.staleness = (int)v;
            } else return cmd_usage_error("sim", "--sync: expected hsp or ssp:S, got '%s'", optarg);
            break;
        case 'u':
            if (!strcmp(optarg, "overwrite")) su.update = PLAN_UPDATE_OVERWRITE;
            else if (!strcmp(optarg, "apply")) su.update = PLAN_UPDATE_APPLY;
            else return cmd_usage_error("sim", "--update: expected overwrite or apply, got '%s'", optarg);
            break;
        case 'p': su.platform = optarg; break;
        case 'B':
            if (parse_double(optarg, "--budget", &d, &e) || !(d > 0))
                return cmd_usage_error("sim", "--budget: expected USD > 0, got '%s'", optarg);
            su.budget_usd = d;
            break;
        case 'T':
            if (parse_double(optarg, "--target-loss", &d, &e) || !(d > 0))
                return cmd_usage_error("sim", "--target-loss: expected a number > 0, got '%s'", optarg);
            su.target_loss = d;
            break;
        case 'E':
            if (parse_long(optarg, "--max-epochs", &max_epochs, &e) || max_epochs < 1 ||
                max_epochs > SIM_MAX_EPOCHS)
                return cmd_usage_error("sim", "--max-epochs: expected 1..%d, got '%s'", SIM_MAX_EPOCHS, optarg);
            break;
        case 'b':
            if (parse_long(optarg, "--batch", &v, &e) || v < 1 || v > 1 << 20)
                return cmd_usage_error("sim", "--batch: expected 1..1048576, got '%s'", optarg);
            su.wopts.batch = (int)v;
            break;
        case 'l':
            if (parse_double(optarg, "--lr", &d, &e) || !(d > 0))
                return cmd_usage_error("sim", "--lr: expected a number > 0, got '%s'", optarg);
            su.wopts.lr = d;
            break;
        case 'C': su.calibration = optarg; break;
        case 's':
            if (parse_long(optarg, "--seed", &v, &e) || v < 0)
                return cmd_usage_error("sim", "--seed: expected an integer >= 0, got '%s'", optarg);
            su.wopts.seed = (uint64_t)v;
            break;
        case 'H':
            if (parse_long(optarg, "--hash-bits", &v, &e) || v < 4 || v > 28)
                return cmd_usage_error("sim", "--hash-bits: expected 4..28, got '%s'", optarg);
            su.wopts.hash_bits = (int)v;
            break;
        case 'O':
            if (!strcmp(optarg, "continue")) su.on_timeout = PLAN_TIMEOUT_CONTINUE;
            else if (!strcmp(optarg, "fail")) su.on_timeout = PLAN_TIMEOUT_FAIL;
            else return cmd_usage_error("sim", "--on-timeout: expected continue or fail, got '%s'", optarg);
            break;
        case 'L': su.loss_model = optarg; break;
        case 'x': su.exact = 1; break;
        case 'o': sched_out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cmd_usage_error("sim", "unknown option");
        }
    }
    if (optind < argc) return cmd_usage_error("sim", "unexpected argument '%s'", argv[optind]);
    if (!spec) return cmd_usage_error("sim", "--scheduler is required (e.g. static:n=10,m=1024)");
    su.max_epochs = (int)max_epochs;
    struct sched_policy *pol = NULL;
    int searched = !strcmp(spec, "grid") || !strcmp(spec, "oracle");
    if (!searched && sched_open(spec, &pol, &e)) return cmd_usage_error("sim", "%s", e.msg);
    struct sim *s = NULL;
    struct sim_result r;
    int rc = sim_open_setup(&su, &s, &e);
    if (!rc && searched) {
        struct sched_action *grid = NULL;
        int ng;
        rc = sim_action_grid(s, &grid, &ng, &e);
        if (!rc) rc = !strcmp(spec, "grid") ? sim_grid_search(s, &r, &e)
                                            : sim_oracle_search(s, grid, ng, 1e6, &r, &e);
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

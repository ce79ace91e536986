/* What several subcommands do with their options alike: the workload's options, the
 * simulator's set-up, the default run directory. */
#include "cmd.h"
#include "sim.h"
#include "workload.h"

#include <stdio.h>
#include <time.h>

int cmd_unknown_workload(const char *cmd, const char *name)
{
    char known[512] = "";
    size_t len = 0;
    for (const struct workload_info *w = workload_list(); w->name; w++) {
        int n = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", w->name);
        if (n < 0 || (size_t)n >= sizeof known - len) break;
        len += (size_t)n;
    }
    return opt_usage_error(cmd, "--workload: unknown workload '%s' (known: %s)", name, known);
}

int cmd_workload_opt(const struct opt_value *v, struct workload_opts *w)
{
    switch (v->id) {
    case OPT_BATCH: w->batch = (int)v->i; return 1;
    case OPT_LR: w->lr = v->d; return 1;
    case OPT_SEED: w->seed = (uint64_t)v->i; return 1;
    case OPT_ROWS: w->synthetic_rows = (size_t)v->i; return 1;
    case OPT_HASH_BITS: w->hash_bits = (int)v->i; return 1;
    case OPT_DATA: w->generate = v->i == 1; return 1;
    default: return 0;
    }
}

int cmd_update_opt(const struct opt_value *v, struct sim_setup *su, struct err *e)
{
    if (v->id == OPT_FETCH) {
        su->fetch = v->i ? PLAN_FETCH_BATCH : PLAN_FETCH_SHARE;
        return 1;
    }
    if (v->id != OPT_UPDATE) return 0;
    if (plan_update_parse(v->text, &su->update, &su->round_batches, e)) {
        err_prefix(e, "--update");
        e->code = SIREN_EUSAGE;
        return -1;
    }
    return 1;
}

int cmd_sim_setup_opt(const struct opt_value *v, struct sim_setup *su)
{
    switch (v->id) {
    case OPT_WORKLOAD: su->workload = v->text; return 1;
    case OPT_PLATFORM: su->platform = v->text; return 1;
    case OPT_LATENCY: su->fixed_latency = v->i == 1; return 1;
    case OPT_CHANNEL: su->channel = (enum channel_kind)v->i; return 1;
    case OPT_CONCURRENCY: su->concurrency = (int)v->i; return 1;
    case OPT_BUDGET: su->budget_usd = v->d; return 1;
    case OPT_TARGET_LOSS: su->target_loss = v->d; return 1;
    case OPT_CALIBRATION: su->calibration = v->text; return 1;
    case OPT_LOSS_MODEL: su->loss_model = v->text; return 1;
    default: return cmd_workload_opt(v, &su->wopts);
    }
}

const char *cmd_default_run_dir(const char *prefix, const char *workload)
{
    static char buf[256];
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
    snprintf(buf, sizeof buf, "results/runs/%s-%s%s", stamp, prefix, workload);
    return buf;
}

/*
 * run_summary (see run_summary.h): the common keys of summary.json in their one order, then
 * the run's own. Numbers are written as cJSON prints doubles; time_to_target_s is null until
 * the target is reached, so that a reader tells "not reached" from a time.
 */
#include "run_summary.h"

#include <math.h>

int run_summary_write(const char *path, const struct run_summary *r, const cJSON *extra,
                      struct err *e)
{
    cJSON *s = cJSON_CreateObject();
    if (!s) return err_set(e, SIREN_ENOMEM, "%s: out of memory", path);
    cJSON_AddStringToObject(s, "workload", r->workload);
    cJSON_AddStringToObject(s, "scheduler", r->scheduler);
    cJSON_AddStringToObject(s, "sync", r->sync);
    cJSON_AddStringToObject(s, "update", r->update);
    cJSON_AddStringToObject(s, "clock", r->clock);
    if (r->backend) cJSON_AddStringToObject(s, "backend", r->backend);
    cJSON_AddStringToObject(s, "platform", r->platform);
    cJSON_AddNumberToObject(s, "seed", (double)r->seed);
    cJSON_AddNumberToObject(s, "batch", r->batch);
    cJSON_AddStringToObject(s, "commit", build_commit());
    cJSON_AddNumberToObject(s, "calibration_s_per_sample", r->calibration_s_per_sample);
    cJSON_AddNumberToObject(s, "epochs", r->epochs);
    cJSON_AddNumberToObject(s, "target_loss", r->target_loss);
    if (r->reached_target) cJSON_AddNumberToObject(s, "time_to_target_s", r->time_to_target_s);
    else cJSON_AddNullToObject(s, "time_to_target_s");
    cJSON_AddNumberToObject(s, "total_time_s", r->total_time_s);
    cJSON_AddNumberToObject(s, "cost_usd", r->cost_usd);
    if (r->budget_usd > 0) cJSON_AddNumberToObject(s, "budget_usd", r->budget_usd);
    cJSON_AddNumberToObject(s, "final_loss", r->final_loss);
    cJSON_AddNumberToObject(s, "test_accuracy", r->test_accuracy);
    if (!isnan(r->test_auc)) cJSON_AddNumberToObject(s, "test_auc", r->test_auc);
    cJSON_AddBoolToObject(s, "reached_target", r->reached_target);
    cJSON_AddNumberToObject(s, "invocations", r->invocations);
    cJSON_AddNumberToObject(s, "failed_invocations", r->failed_invocations);
    cJSON_AddNumberToObject(s, "peak_functions", r->peak_functions);
    const cJSON *item;
    cJSON_ArrayForEach(item, extra) cJSON_AddItemToObject(s, item->string, cJSON_Duplicate(item, 1));
    int rc = json_write_file(path, s, e);
    cJSON_Delete(s);
    return rc;
}

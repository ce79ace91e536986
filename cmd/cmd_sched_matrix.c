/*
 * siren sched eval --matrix SUITE --out DIR: the scheduler contest. For each workload of the
 * suite file, every policy at every budget multiple and seed in the simulator against the
 * exact oracle (sched_eval_cell), then, with --emulate, the best policies' schedules at the
 * default budget replayed in the emulator. Each workload's cells go to DIR/<workload>/
 * cells.json; the tables and the figure (bench_contest_report) are written from every
 * workload's file found in DIR, so the workloads may run as separate processes (--workload W
 * runs one) and the report gathers them. The suite's format is in sched/README.md, "Contest".
 */
#include "bench.h"
#include "cmd.h"
#include "sched_eval.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATRIX_MAX_BUDGETS 8
#define MATRIX_MAX_SEEDS 8
#define MATRIX_MAX_ARGS 64
#define MATRIX_MAX_AGENTS 4

struct suite {
    char path[1100], dir[1100];
    cJSON *root;
    double budgets[MATRIX_MAX_BUDGETS];
    int n_budgets;
    long long seeds[MATRIX_MAX_SEEDS];
    int n_seeds;
    const char *policies;
    int emulate_best;
    const cJSON *workloads;
};

/* A path of the suite, relative to the suite file's directory unless absolute. */
static void suite_path(const struct suite *st, const char *p, char *buf, size_t len)
{
    if (p[0] == '/') snprintf(buf, len, "%s", p);
    else snprintf(buf, len, "%s/%s", st->dir, p);
}

/* Reads numbers[] of key into out (1..max of them, each > 0). */
static int suite_numbers(const struct suite *st, const char *key, double *out, int max, int *n,
                         struct err *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(st->root, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 || cJSON_GetArraySize(a) > max)
        return err_set(e, SIREN_EFORMAT, "%s: \"%s\": expected an array of 1 to %d numbers",
                       st->path, key, max);
    *n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) || !(x->valuedouble > 0))
            return err_set(e, SIREN_EFORMAT, "%s: \"%s\"[%d]: expected a number > 0", st->path,
                           key, *n);
        out[(*n)++] = x->valuedouble;
    }
    return SIREN_OK;
}

static int suite_load(const char *path, struct suite *st, struct err *e)
{
    memset(st, 0, sizeof *st);
    snprintf(st->path, sizeof st->path, "%s", path);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(st->dir, sizeof st->dir, "%s", dirname(tmp));
    int rc = json_load_file(path, &st->root, e);
    if (rc) return rc;
    const char *format;
    if ((rc = json_get_string(st->root, "format", path, &format, e))) return rc;
    if (strcmp(format, "siren-contest-1"))
        return err_set(e, SIREN_EFORMAT, "%s: \"format\": expected \"siren-contest-1\", got \"%s\"",
                       path, format);
    if ((rc = suite_numbers(st, "budgets", st->budgets, MATRIX_MAX_BUDGETS, &st->n_budgets, e)))
        return rc;
    double seeds[MATRIX_MAX_SEEDS];
    if ((rc = suite_numbers(st, "seeds", seeds, MATRIX_MAX_SEEDS, &st->n_seeds, e))) return rc;
    for (int i = 0; i < st->n_seeds; i++) {
        if (seeds[i] != floor(seeds[i]))
            return err_set(e, SIREN_EFORMAT, "%s: \"seeds\"[%d]: expected a whole number", path, i);
        st->seeds[i] = (long long)seeds[i];
    }
    if ((rc = json_get_string(st->root, "policies", path, &st->policies, e))) return rc;
    long long best = 0;
    if (cJSON_GetObjectItemCaseSensitive(st->root, "emulate_best") &&
        (rc = json_get_int(st->root, "emulate_best", path, &best, e)))
        return rc;
    if (best < 0 || best > SCHED_MAX_ROWS)
        return err_set(e, SIREN_EFORMAT, "%s: \"emulate_best\": expected 0..%d, got %lld", path,
                       SCHED_MAX_ROWS, best);
    st->emulate_best = (int)best;
    st->workloads = cJSON_GetObjectItemCaseSensitive(st->root, "workloads");
    if (!cJSON_IsArray(st->workloads) || cJSON_GetArraySize(st->workloads) < 1)
        return err_set(e, SIREN_EFORMAT, "%s: \"workloads\": expected a non-empty array", path);
    return SIREN_OK;
}

/* One workload of the suite: its options parsed as `siren sched eval` parses a command line
 * (so every check and message is the command's), its paths made relative to the suite. */
struct matrix_job {
    const char *name;
    struct sched_opts o;
    /* The trained agents the suite names (drl: policies): name, file and training log. */
    int n_agents;
    const char *agent[MATRIX_MAX_AGENTS];
    char agent_path[MATRIX_MAX_AGENTS][1200], agent_log[MATRIX_MAX_AGENTS][1200];
    char calibration[1200], loss_model[1200];
    char *argv[MATRIX_MAX_ARGS + 1];
};

static int job_load(const struct suite *st, const cJSON *w, int idx, struct matrix_job *j,
                    struct err *e)
{
    char where[1200];
    snprintf(where, sizeof where, "%s: workloads[%d]", st->path, idx);
    int rc;
    const char *name;
    if ((rc = json_get_string(w, "name", where, &name, e))) return rc;
    j->name = name;
    /* "agents": {"drl": {"policy": FILE, "train_log": FILE}, ...}: each a row of its own. */
    const cJSON *agents = cJSON_GetObjectItemCaseSensitive(w, "agents"), *a;
    if (!cJSON_IsObject(agents) || cJSON_GetArraySize(agents) > MATRIX_MAX_AGENTS)
        return err_set(e, SIREN_EFORMAT, "%s: \"agents\": expected an object of at most %d "
                       "named agents ({\"drl\": {\"policy\": FILE, \"train_log\": FILE}})", where,
                       MATRIX_MAX_AGENTS);
    j->n_agents = 0;
    cJSON_ArrayForEach(a, agents)
    {
        char at[1400];
        snprintf(at, sizeof at, "%s: \"agents\".%s", where, a->string);
        const char *policy;
        if (strncmp(a->string, "drl", 3))
            return err_set(e, SIREN_EFORMAT, "%s: an agent's name starts with drl", at);
        if ((rc = json_get_string(a, "policy", at, &policy, e))) return rc;
        int k = j->n_agents++;
        j->agent[k] = a->string;
        suite_path(st, policy, j->agent_path[k], sizeof j->agent_path[k]);
        const cJSON *log = cJSON_GetObjectItemCaseSensitive(a, "train_log");
        j->agent_log[k][0] = 0;
        if (cJSON_IsString(log))
            suite_path(st, log->valuestring, j->agent_log[k], sizeof j->agent_log[k]);
    }
    /* Every drl name of the policies is an agent of this workload. */
    char list[2048];
    snprintf(list, sizeof list, "%s", st->policies);
    for (char *save, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        int found = strncmp(p, "drl", 3) != 0;
        for (int k = 0; k < j->n_agents && !found; k++) found = !strcmp(p, j->agent[k]);
        if (!found)
            return err_set(e, SIREN_EFORMAT, "%s: \"policies\" names %s, which is not one of its "
                           "\"agents\"", where, p);
    }
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(w, "args");
    if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) > MATRIX_MAX_ARGS)
        return err_set(e, SIREN_EFORMAT, "%s: \"args\": expected an array of at most %d strings "
                       "(the options of siren sched eval)", where, MATRIX_MAX_ARGS);
    int argc = 0;
    j->argv[argc++] = "sched eval";
    cJSON_ArrayForEach(a, args)
    {
        if (!cJSON_IsString(a))
            return err_set(e, SIREN_EFORMAT, "%s: \"args\"[%d]: expected a string", where,
                           argc - 1);
        j->argv[argc++] = a->valuestring;
    }
    j->argv[argc] = NULL;
    if (sched_parse(argc, j->argv, "sched eval", &j->o) || !j->o.su.workload || j->o.matrix)
        return err_set(e, SIREN_EFORMAT, "%s: \"args\": not the options of one sched eval job "
                       "with --workload (the message above says why)", where);
    if (strcmp(j->o.su.workload, name))
        return err_set(e, SIREN_EFORMAT, "%s: \"name\" is %s but --workload is %s", where, name,
                       j->o.su.workload);
    if (j->o.su.calibration && j->o.su.calibration != j->o.calibration) {
        suite_path(st, j->o.su.calibration, j->calibration, sizeof j->calibration);
        j->o.su.calibration = j->calibration;
    }
    if (j->o.su.loss_model) {
        suite_path(st, j->o.su.loss_model, j->loss_model, sizeof j->loss_model);
        j->o.su.loss_model = j->loss_model;
    }
    return SIREN_OK;
}

/* A row's name in the contest: its policy's kind (the agent's name, not its file;
 * "heuristic", not the tuned spec; "model", not its action). */
static const char *row_kind(const struct matrix_job *j, const char *policy)
{
    static const char *const kinds[] = {"grid", "heuristic", "bo", "model", NULL};
    if (!strcmp(policy, "oracle")) return "oracle";
    if (!strncmp(policy, "oracle ", 7)) return "oracle (planned with margin)";
    for (int k = 0; k < j->n_agents; k++)
        if (!strncmp(policy, "drl:", 4) && !strcmp(policy + 4, j->agent_path[k]))
            return j->agent[k];
    for (int k = 0; kinds[k]; k++)
        if (!strncmp(policy, kinds[k], strlen(kinds[k]))) return kinds[k];
    return policy;
}

/* A row of cells.json: sched_row_json's, with the policy's kind. */
static cJSON *row_json(const struct matrix_job *mj, const struct sched_row *w, double plan_target)
{
    cJSON *j = sched_row_json(w, plan_target);
    cJSON_AddStringToObject(j, "kind", row_kind(mj, w->policy));
    return j;
}

/* The policies' ranking over a workload's cells: most cells reached, then the lowest mean
 * ratio to the oracle over them. Fills order[] with indices into the first cell's rows
 * (oracles left out); returns how many. */
static int rank_policies(struct sched_cell *const *cells, int n_cells, int *order)
{
    int n = 0;
    double reached[SCHED_MAX_ROWS] = {0}, sum[SCHED_MAX_ROWS] = {0};
    for (int i = 0; i < cells[0]->nr; i++) {
        if (!strncmp(cells[0]->rows[i].policy, "oracle", 6)) continue;
        for (int c = 0; c < n_cells; c++) {
            double r = cells[c]->rows[i].ratio;
            if (!isnan(r)) reached[i]++, sum[i] += r;
        }
        order[n++] = i;
    }
    for (int a = 1; a < n; a++) /* insertion sort: a handful of policies */
        for (int b = a; b > 0; b--) {
            int x = order[b - 1], y = order[b];
            double mx = reached[x] ? sum[x] / reached[x] : (double)INFINITY;
            double my = reached[y] ? sum[y] / reached[y] : (double)INFINITY;
            if (reached[y] > reached[x] || (reached[y] == reached[x] && my < mx)) {
                order[b - 1] = y;
                order[b] = x;
            } else {
                break;
            }
        }
    return n;
}

/* The agents' training wall time, from each log ("trained K episodes in X s"). */
static void train_cost(const struct matrix_job *j, cJSON *out)
{
    cJSON *arr = cJSON_AddArrayToObject(out, "agents");
    for (int k = 0; k < j->n_agents; k++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "name", j->agent[k]);
        cJSON_AddStringToObject(a, "policy", j->agent_path[k]);
        cJSON_AddItemToArray(arr, a);
        FILE *f = j->agent_log[k][0] ? fopen(j->agent_log[k], "r") : NULL;
        if (!f) continue;
        char line[1024];
        int episodes;
        double secs;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "trained %d episodes in %lf s", &episodes, &secs) == 2) {
                cJSON_AddNumberToObject(a, "train_episodes", episodes);
                cJSON_AddNumberToObject(a, "train_wall_s", secs);
                cJSON_AddStringToObject(a, "train_log", j->agent_log[k]);
            }
        fclose(f);
    }
}

static int run_job(const struct suite *st, struct matrix_job *j, const struct sched_opts *top,
                   struct err *e)
{
    char dir[1300], list[2048];
    snprintf(dir, sizeof dir, "%s/%s", top->out, j->name);
    int rc = fs_mkdir_p(dir, e);
    if (rc) return rc;
    /* Each agent's name is a drl: policy with its file. */
    list[0] = 0;
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", st->policies);
    for (char *save, *p = strtok_r(tmp, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        const char *spec = p, *sep = list[0] ? "," : "";
        for (int k = 0; k < j->n_agents; k++)
            if (!strcmp(p, j->agent[k])) {
                snprintf(list + strlen(list), sizeof list - strlen(list), "%sdrl:%s", sep,
                         j->agent_path[k]);
                spec = NULL;
            }
        if (spec) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", sep, spec);
    }
    j->o.policies = list;
    const double budget0 = j->o.su.budget_usd;
    int n_cells = st->n_budgets * st->n_seeds;
    struct sched_cell **cells = calloc((size_t)n_cells, sizeof *cells);
    if (!cells) return err_set(e, SIREN_ENOMEM, "out of memory");
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "cells");
    cJSON_AddStringToObject(root, "workload", j->name);
    cJSON_AddNumberToObject(root, "budget_usd", budget0);
    cJSON_AddNumberToObject(root, "target_loss", j->o.su.target_loss);
    cJSON_AddNumberToObject(root, "max_epochs", j->o.su.max_epochs);
    cJSON_AddNumberToObject(root, "rows", (double)j->o.su.wopts.synthetic_rows);
    cJSON_AddStringToObject(root, "commit", build_commit());
    train_cost(j, root);
    for (int b = 0, c = 0; b < st->n_budgets && !rc; b++)
        for (int k = 0; k < st->n_seeds && !rc; k++, c++) {
            j->o.su.budget_usd = budget0 * st->budgets[b];
            j->o.su.wopts.seed = (uint64_t)st->seeds[k];
            if (!(cells[c] = malloc(sizeof *cells[c]))) {
                rc = err_set(e, SIREN_ENOMEM, "out of memory");
                break;
            }
            double t0 = clock_mono_s();
            if ((rc = sched_eval_cell(&j->o, NULL, cells[c], e))) {
                err_prefix(e, "%s at %gx the budget, seed %lld", j->name, st->budgets[b],
                           st->seeds[k]);
                break;
            }
            fprintf(stderr, "sched eval --matrix: %s budget x%g seed %lld: %.1f s\n", j->name,
                    st->budgets[b], st->seeds[k], clock_mono_s() - t0);
            cJSON *cj = cJSON_CreateObject();
            cJSON_AddNumberToObject(cj, "budget_x", st->budgets[b]);
            cJSON_AddNumberToObject(cj, "budget_usd", j->o.su.budget_usd);
            cJSON_AddNumberToObject(cj, "seed", (double)st->seeds[k]);
            cJSON_AddNumberToObject(cj, "plan_target_loss", cells[c]->plan_target);
            cJSON *rows = cJSON_AddArrayToObject(cj, "rows");
            for (int i = 0; i < cells[c]->nr; i++)
                cJSON_AddItemToArray(rows, row_json(j, &cells[c]->rows[i], cells[c]->plan_target));
            if (cells[c]->n_orc)
                cJSON_AddNumberToObject(cj, "oracle_bound_violations",
                                        (double)cells[c]->orc[0].st.bound_violations);
            cJSON_AddItemToArray(arr, cj);
        }
    /* The best policies at the default budget and the first seed, in the emulator. */
    int one = -1;
    for (int b = 0; b < st->n_budgets; b++)
        if (st->budgets[b] == 1.0) one = b * st->n_seeds;
    if (!rc && top->emulate && st->emulate_best > 0 && one >= 0) {
        int order[SCHED_MAX_ROWS];
        int n = rank_policies(cells, n_cells, order);
        if (n > st->emulate_best) n = st->emulate_best;
        char edir[1400];
        snprintf(edir, sizeof edir, "%s/emulated", dir);
        if (!(rc = fs_mkdir_p(edir, e))) {
            j->o.su.budget_usd = budget0;
            j->o.su.wopts.seed = (uint64_t)st->seeds[0];
            cJSON *em = cJSON_AddArrayToObject(root, "emulated");
            for (int i = 0; i < n && !rc; i++) {
                struct sched_row *w = &cells[one]->rows[order[i]];
                double t0 = clock_mono_s();
                if ((rc = sched_emulate_row(&j->o, edir, w, order[i], e))) break;
                fprintf(stderr, "sched eval --matrix: %s emulated %s: %.1f s\n", j->name,
                        row_kind(j, w->policy), clock_mono_s() - t0);
                cJSON *x = row_json(j, w, cells[one]->plan_target);
                cJSON_AddNumberToObject(x, "seed", (double)st->seeds[0]);
                cJSON_AddItemToArray(em, x);
            }
        }
    }
    if (!rc) {
        char path[1400];
        snprintf(path, sizeof path, "%s/cells.json", dir);
        rc = json_write_file(path, root, e);
    }
    cJSON_Delete(root);
    for (int c = 0; c < n_cells; c++) free(cells[c]);
    free(cells);
    return rc;
}

int sched_matrix(const struct sched_opts *top, struct err *e)
{
    struct suite st;
    int rc = suite_load(top->matrix, &st, e);
    struct matrix_job *j = calloc(1, sizeof *j);
    if (!rc && !j) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    const char *names[64];
    int n_names = 0, ran = 0, mpi = 0;
    const cJSON *w;
    int idx = 0;
    /* Every workload is checked before the first runs: a typo in the last must not cost the
     * hours of the first. */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        idx = 0;
        cJSON_ArrayForEach(w, st.workloads)
        {
            if ((rc = job_load(&st, w, idx++, j, e))) break;
            if (pass == 0) {
                if (n_names < 64) names[n_names++] = j->name;
                continue;
            }
            if (top->dry_run || (top->su.workload && strcmp(top->su.workload, j->name))) continue;
            if (top->emulate && !mpi) {
                int argc0 = 1;
                char *argv0[] = {"siren", NULL}, **pargv = argv0;
                bench_mpi_init(&argc0, &pargv);
                mpi = 1;
            }
            if ((rc = run_job(&st, j, top, e))) break;
            ran++;
        }
    }
    if (!rc && top->su.workload && !ran && !top->dry_run)
        rc = err_set(e, SIREN_EUSAGE, "--workload %s: not a workload of %s", top->su.workload,
                     st.path);
    if (!rc) rc = bench_contest_report(top->out, names, n_names, st.path, e);
    if (mpi) bench_mpi_finalize();
    free(j);
    cJSON_Delete(st.root);
    return rc;
}

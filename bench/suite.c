/*
 * siren bench SUITE for suites defined as files (bench/suites/SUITE.json): one runner for all of
 * them. The file names sections; each section runs its list of runs once per workload, by
 * launching siren's own commands as a user would (`siren run`, `mpirun siren ps`, `siren sched
 * eval`), each into its own directory under OUT/runs/, and reads back the summary.json,
 * epochs.csv and eval.json they wrote. The rows (suite_internal.h) become table.md, table.csv,
 * table.json and the gnuplot figures; a suite with "expected" values is also a regression check.
 * The whole file is validated before the first run starts, so a typo never costs a long run.
 */
#include "bench.h"
#include "suite_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bench_suite_path(const char *name, char *buf, size_t len)
{
    char rel[300];
    snprintf(rel, sizeof rel, "bench/suites/%s.json", name);
    return !core_source_path(rel, buf, len) && fs_exists(buf) ? 0 : -1;
}

/* ------------------------------------------------------------- validation */

static int is_string_array(const cJSON *a)
{
    if (!cJSON_IsArray(a)) return 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) if (!cJSON_IsString(v)) return 0;
    return 1;
}

static int is_name(const char *s)
{
    if (!*s || strlen(s) > 40) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int check_run(const char *path, const char *where, const cJSON *run, const cJSON *runs,
                     struct err *e)
{
    const cJSON *label = get(run, "label"), *command = get(run, "command");
    if (!cJSON_IsString(label) || !label->valuestring[0] || strlen(label->valuestring) > 100)
        return err_set(e, SIREN_EFORMAT, "%s: %s: key 'label': expected a string of 1 to 100 "
                                         "characters", path, where);
    if (!cJSON_IsString(command) ||
        (strcmp(command->valuestring, "run") && strcmp(command->valuestring, "ps") &&
         strcmp(command->valuestring, "sched-eval")))
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'command': expected \"run\", \"ps\" "
                                         "or \"sched-eval\"", path, where, label->valuestring);
    const cJSON *args = get(run, "args"), *ranks = get(run, "ranks"), *sch = get(run, "schedule");
    const cJSON *quick = get(run, "quick"), *same = get(run, "same_cost_as");
    if (args && !is_string_array(args))
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'args': expected an array of strings",
                       path, where, label->valuestring);
    int min_ranks = strcmp(command->valuestring, "ps") ? 1 : 3;
    if (ranks && (!cJSON_IsNumber(ranks) || ranks->valuedouble != (int)ranks->valuedouble ||
                  ranks->valueint < min_ranks || ranks->valueint > 256))
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'ranks': expected an integer from %d "
                                         "to 256", path, where, label->valuestring, min_ranks);
    if (!strcmp(command->valuestring, "ps") && !ranks)
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'ranks': a ps run needs its rank "
                                         "count (1 + servers + instances)", path, where,
                       label->valuestring);
    const cJSON *only = get(run, "workloads");
    if (only && (!is_string_array(only) || !cJSON_GetArraySize(only)))
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'workloads': expected a non-empty "
                                         "array of workload names (the run is made for those of "
                                         "the section only)", path, where, label->valuestring);
    if (quick && !cJSON_IsBool(quick))
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'quick': expected true or false",
                       path, where, label->valuestring);
    if (sch) {
        int ok = strcmp(command->valuestring, "run") == 0 && cJSON_IsArray(sch) &&
                 cJSON_GetArraySize(sch) > 0;
        const cJSON *a;
        cJSON_ArrayForEach(a, sch) ok = ok && cJSON_IsArray(a) && cJSON_GetArraySize(a) == 2 &&
                                        cJSON_IsNumber(a->child) && cJSON_IsNumber(a->child->next) &&
                                        a->child->valueint >= 1 && a->child->next->valueint >= 128;
        if (!ok)
            return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'schedule': expected, for a "
                                             "\"run\", a non-empty array of [functions, memory_mb] "
                                             "pairs (functions >= 1, memory >= 128)",
                           path, where, label->valuestring);
    }
    if (same) {
        /* Must name an earlier ps run of the same section: its cost is this run's budget. */
        int found = 0;
        for (const cJSON *r = runs->child; r && r != run && !found; r = r->next)
            found = cJSON_IsString(same) && !strcmp(get(r, "label")->valuestring, same->valuestring) &&
                    !strcmp(get(r, "command")->valuestring, "ps");
        if (!found)
            return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'same_cost_as': expected the "
                                             "label of an earlier \"ps\" run of the section",
                           path, where, label->valuestring);
    }
    return 0;
}

static int check_suite(const char *path, const cJSON *root, struct err *e)
{
    if (!cJSON_IsObject(root)) return err_set(e, SIREN_EFORMAT, "%s: expected a JSON object", path);
    static const char *const string_keys[] = {"platform", "summary", "description", "expected"};
    for (size_t k = 0; k < 4; k++) {
        const cJSON *v = get(root, string_keys[k]);
        if (v && !cJSON_IsString(v))
            return err_set(e, SIREN_EFORMAT, "%s: key '%s': expected a string", path, string_keys[k]);
    }
    if (get(root, "options") && !is_string_array(get(root, "options")))
        return err_set(e, SIREN_EFORMAT, "%s: key 'options': expected an array of strings", path);
    const cJSON *wo = get(root, "workload_options"), *v;
    if (wo && !cJSON_IsObject(wo))
        return err_set(e, SIREN_EFORMAT, "%s: key 'workload_options': expected an object "
                                         "(workload -> array of strings)", path);
    cJSON_ArrayForEach(v, wo) if (!is_string_array(v)) return err_set(
        e, SIREN_EFORMAT, "%s: key 'workload_options.%s': expected an array of strings", path,
        v->string);
    const cJSON *sections = get(root, "sections"), *s;
    if (!cJSON_IsArray(sections) || !cJSON_GetArraySize(sections))
        return err_set(e, SIREN_EFORMAT, "%s: key 'sections': expected a non-empty array", path);
    int i = 0;
    cJSON_ArrayForEach(s, sections)
    {
        char where[64];
        snprintf(where, sizeof where, "sections[%d]", i++);
        const cJSON *name = get(s, "name"), *runs = get(s, "runs"), *w = get(s, "workloads");
        if (!cJSON_IsString(name) || !is_name(name->valuestring))
            return err_set(e, SIREN_EFORMAT, "%s: %s: key 'name': expected a name of lower-case "
                                             "letters, digits, '-' and '_' (at most 40)", path, where);
        if (!is_string_array(w) || !cJSON_GetArraySize(w))
            return err_set(e, SIREN_EFORMAT, "%s: section '%s': key 'workloads': expected a "
                                             "non-empty array of workload names", path,
                           name->valuestring);
        const cJSON *qw = get(s, "quick_workloads"), *opt = get(s, "options"), *pl = get(s, "platform");
        if ((qw && !is_string_array(qw)) || (opt && !is_string_array(opt)) ||
            (pl && !cJSON_IsString(pl)) || (get(s, "title") && !cJSON_IsString(get(s, "title"))) ||
            (get(s, "quick") && !cJSON_IsBool(get(s, "quick"))))
            return err_set(e, SIREN_EFORMAT, "%s: section '%s': expected 'quick_workloads' and "
                                             "'options' to be arrays of strings, 'platform' and "
                                             "'title' strings, 'quick' a bool", path,
                           name->valuestring);
        if (!cJSON_IsArray(runs) || !cJSON_GetArraySize(runs))
            return err_set(e, SIREN_EFORMAT, "%s: section '%s': key 'runs': expected a non-empty "
                                             "array", path, name->valuestring);
        int k = 0;
        const cJSON *run;
        cJSON_ArrayForEach(run, runs)
        {
            char rw[128];
            snprintf(rw, sizeof rw, "section '%s' runs[%d]", name->valuestring, k++);
            int rc = check_run(path, rw, run, runs, e);
            if (rc) return rc;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ runs */

struct runner {
    const char *suite_path;
    const cJSON *root;
    const char *out_dir;
    char siren[1024];
    int quick;
    struct suite_rows *rows;
    int done, total;
};

/* The row of label in the current group (section, workload, platform). */
static const struct suite_row *group_row(const struct runner *R, const char *section,
                                         const char *workload, const char *platform,
                                         const char *label)
{
    for (size_t i = 0; i < R->rows->n; i++) {
        const struct suite_row *r = &R->rows->v[i];
        if (!strcmp(r->section, section) && !strcmp(r->workload, workload) &&
            !strcmp(r->platform, platform) && !strcmp(r->label, label))
            return r;
    }
    return NULL;
}

/* Pushes arg with {workload}, {source} and {cost:LABEL} replaced. */
static int push_expanded(struct runner *R, struct bench_argv *a, const char *arg,
                         const char *section, const char *workload, const char *platform,
                         struct err *e)
{
    char out[2048];
    size_t o = 0;
    for (const char *p = arg; *p;) {
        const char *rep = NULL;
        char num[64];
        size_t skip = 0;
        if (!strncmp(p, "{workload}", 10)) {
            rep = workload, skip = 10;
        } else if (!strncmp(p, "{source}", 8)) {
            rep = core_source_root(), skip = 8;
        } else if (!strncmp(p, "{cost:", 6)) {
            const char *end = strchr(p, '}');
            char label[200];
            if (!end || (size_t)(end - p - 6) >= sizeof label)
                return err_set(e, SIREN_EFORMAT, "%s: argument '%s': unterminated {cost:LABEL}",
                               R->suite_path, arg);
            memcpy(label, p + 6, (size_t)(end - p - 6));
            label[end - p - 6] = 0;
            const struct suite_row *r = group_row(R, section, workload, platform, label);
            if (!r || isnan(r->cost_usd))
                return err_set(e, SIREN_EFORMAT, "%s: argument '%s': no earlier run '%s' with a "
                                                 "cost in section %s, %s on %s", R->suite_path, arg,
                               label, section, workload, platform);
            snprintf(num, sizeof num, "%.12g", r->cost_usd);
            rep = num, skip = (size_t)(end - p) + 1;
        }
        if (rep) {
            size_t n = strlen(rep);
            if (o + n >= sizeof out) return err_set(e, SIREN_ELIMIT, "argument '%s' too long", arg);
            memcpy(out + o, rep, n);
            o += n;
            p += skip;
        } else {
            if (o + 1 >= sizeof out) return err_set(e, SIREN_ELIMIT, "argument '%s' too long", arg);
            out[o++] = *p++;
        }
    }
    out[o] = 0;
    return bench_argv_push(a, out, e);
}

static int push_array(struct runner *R, struct bench_argv *a, const cJSON *arr, const char *section,
                      const char *workload, const char *platform, struct err *e)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        int rc = push_expanded(R, a, v->valuestring, section, workload, platform, e);
        if (rc) return rc;
    }
    return 0;
}

static const char *short_policy(const char *policy, char *buf, size_t len)
{
    size_t n = strcspn(policy, ":");
    snprintf(buf, len, "%.*s", (int)n, policy);
    return buf;
}

/* Rows of a `siren sched eval` directory: one per policy; emulated ones from their runs. */
static int read_eval(struct runner *R, const char *label, const char *dir, const char *section,
                     const char *workload, const char *platform, struct err *e)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/eval.json", dir);
    cJSON *a = NULL;
    int rc = json_load_file(path, &a, e);
    if (rc) return rc;
    int i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, a)
    {
        const char *policy;
        double jct, cost, loss, budget;
        int reached;
        if ((rc = json_get_string(o, "policy", path, &policy, e)) ||
            (rc = json_get_number(o, "jct_s", path, &jct, e)) ||
            (rc = json_get_number(o, "cost_usd", path, &cost, e)) ||
            (rc = json_get_number(o, "final_loss", path, &loss, e)) ||
            (rc = json_get_number(o, "budget_usd", path, &budget, e)) ||
            (rc = json_get_bool(o, "reached_target", path, &reached, e)))
            break;
        struct suite_row *r = suite_rows_add(R->rows);
        if (!r) {
            rc = err_set(e, SIREN_ENOMEM, "no memory for rows");
            break;
        }
        char sp[64], run_dir[1300];
        snprintf(r->section, sizeof r->section, "%s", section);
        snprintf(r->workload, sizeof r->workload, "%s", workload);
        snprintf(r->platform, sizeof r->platform, "%s", platform);
        snprintf(r->label, sizeof r->label, "%s%s%s", label, label[0] ? " " : "",
                 short_policy(policy, sp, sizeof sp));
        r->budget_usd = budget;
        snprintf(run_dir, sizeof run_dir, "%s/emulated-%d", dir, i++);
        char summary[1400];
        snprintf(summary, sizeof summary, "%s/summary.json", run_dir);
        if (fs_exists(summary)) {
            snprintf(r->kind, sizeof r->kind, "emulator");
            if ((rc = suite_row_read_run(r, run_dir, e))) break;
        } else {
            snprintf(r->kind, sizeof r->kind, "simulator");
            double epochs = 0;
            if ((rc = json_get_number(o, "epochs", path, &epochs, e))) break;
            r->epochs = (int)epochs;
            r->reached_target = reached;
            r->time_to_target_s = reached ? jct : (double)NAN;
            r->total_time_s = jct;
            r->cost_usd = cost;
            r->final_loss = loss;
            const cJSON *ratio = get(o, "ratio_to_oracle");
            r->ratio_to_oracle = cJSON_IsNumber(ratio) ? ratio->valuedouble : (double)NAN;
        }
    }
    cJSON_Delete(a);
    return rc;
}

static int run_one(struct runner *R, const cJSON *section, const cJSON *run, const char *workload,
                   const char *platform, struct err *e)
{
    const char *sname = get(section, "name")->valuestring;
    const char *label = get(run, "label")->valuestring;
    const char *command = get(run, "command")->valuestring;
    const cJSON *ranks_j = get(run, "ranks");
    int ranks = ranks_j ? ranks_j->valueint : 1;
    char ls[128], dir[1400], log_path[1500];
    suite_slug(label, ls, sizeof ls);
    snprintf(dir, sizeof dir, "%s/runs/%s/%s-%s/%s", R->out_dir, sname, workload, platform, ls);
    /* A stale directory from an earlier run must not be read as this run's result. */
    int rc = fs_remove_tree(dir, e);
    if (!rc) rc = fs_mkdir_p(dir, e);
    if (rc) return rc;
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);

    struct bench_argv a = {.n = 0};
    if (ranks > 1 && (rc = bench_argv_mpirun(&a, ranks, e))) goto out;
    if ((rc = bench_argv_push(&a, R->siren, e))) goto out;
    if (!strcmp(command, "sched-eval")) {
        if ((rc = bench_argv_push(&a, "sched", e)) || (rc = bench_argv_push(&a, "eval", e))) goto out;
    } else if ((rc = bench_argv_push(&a, command, e))) {
        goto out;
    }
    if ((rc = bench_argv_push(&a, "--workload", e)) || (rc = bench_argv_push(&a, workload, e)) ||
        (rc = bench_argv_push(&a, "--platform", e)) || (rc = bench_argv_push(&a, platform, e)))
        goto out;
    const cJSON *wo = get(get(R->root, "workload_options"), workload);
    if ((rc = push_array(R, &a, get(R->root, "options"), sname, workload, platform, e)) ||
        (rc = push_array(R, &a, wo, sname, workload, platform, e)) ||
        (rc = push_array(R, &a, get(section, "options"), sname, workload, platform, e)) ||
        (rc = push_array(R, &a, get(run, "args"), sname, workload, platform, e)))
        goto out;
    const cJSON *sch = get(run, "schedule");
    if (sch) {
        char path[1500], text[4096];
        size_t len = (size_t)snprintf(text, sizeof text, "# %s, from %s\n", label, R->suite_path);
        const cJSON *p;
        cJSON_ArrayForEach(p, sch) if (len < sizeof text) len += (size_t)snprintf(
            text + len, sizeof text - len, "%d %d\n", p->child->valueint, p->child->next->valueint);
        if (len >= sizeof text) {
            rc = err_set(e, SIREN_ELIMIT, "%s: run '%s': schedule too long", R->suite_path, label);
            goto out;
        }
        snprintf(path, sizeof path, "%s.schedule", dir);
        char spec[1600];
        snprintf(spec, sizeof spec, "schedule:%s", path);
        if ((rc = fs_write_atomic(path, text, len, e)) || (rc = bench_argv_push(&a, "--scheduler", e)) ||
            (rc = bench_argv_push(&a, spec, e)))
            goto out;
    }
    if ((rc = bench_argv_push(&a, "--out", e)) || (rc = bench_argv_push(&a, dir, e))) goto out;
    if (strcmp(command, "sched-eval") && (rc = bench_argv_push(&a, "--quiet", e))) goto out;

    fprintf(stderr, "[%d/%d] %s, %s on %s: %s ... ", ++R->done, R->total, sname, workload,
            platform, label);
    double t0 = clock_mono_s();
    if ((rc = bench_spawn_logged(&a, log_path, e))) {
        fprintf(stderr, "failed\n");
        goto out;
    }
    fprintf(stderr, "%.1f s\n", clock_mono_s() - t0);
    size_t first_row = R->rows->n;

    if (!strcmp(command, "sched-eval")) {
        /* Rows move when the list grows: the reference is looked up after reading. */
        rc = read_eval(R, label, dir, sname, workload, platform, e);
        const cJSON *same = get(run, "same_cost_as");
        if (!rc && same) {
            /* Every row this eval produced is compared with the EC2 run it got its budget from,
             * where both reached the target and siren spent no more than that run: a budget is
             * checked after each epoch, so a schedule whose first epoch costs more ends over
             * it, and that is not "the same cost". */
            const struct suite_row *ref = group_row(R, sname, workload, platform, same->valuestring);
            for (size_t i = first_row; i < R->rows->n; i++) {
                struct suite_row *r = &R->rows->v[i];
                snprintf(r->same_cost_as, sizeof r->same_cost_as, "%s", same->valuestring);
                if (ref && r->reached_target && ref->reached_target &&
                    r->cost_usd <= ref->cost_usd * (1.0 + 1e-9))
                    r->time_reduction_pct = 100.0 * (1.0 - r->time_to_target_s / ref->time_to_target_s);
            }
        }
    } else {
        struct suite_row *r = suite_rows_add(R->rows);
        if (!r) {
            rc = err_set(e, SIREN_ENOMEM, "no memory for rows");
            goto out;
        }
        snprintf(r->section, sizeof r->section, "%s", sname);
        snprintf(r->workload, sizeof r->workload, "%s", workload);
        snprintf(r->platform, sizeof r->platform, "%s", platform);
        snprintf(r->label, sizeof r->label, "%s", label);
        snprintf(r->kind, sizeof r->kind, "%s", !strcmp(command, "ps") ? "ec2-ps" : "emulator");
        suite_row_series(r, run);
        rc = suite_row_read_run(r, dir, e);
    }
    /* Tables name each run's directory relative to the result folder, which may be moved. */
    size_t base = strlen(R->out_dir);
    for (size_t i = first_row; !rc && i < R->rows->n; i++) {
        char *d = R->rows->v[i].run_dir;
        if (!strncmp(d, R->out_dir, base) && d[base] == '/')
            memmove(d, d + base + 1, strlen(d + base));
    }
out:
    bench_argv_free(&a);
    return rc;
}

static const cJSON *section_workloads(const struct runner *R, const cJSON *s)
{
    const cJSON *qw = get(s, "quick_workloads");
    return R->quick && qw ? qw : get(s, "workloads");
}

static int section_selected(const struct runner *R, const cJSON *s)
{
    const cJSON *q = get(s, "quick");
    return !R->quick || !q || cJSON_IsTrue(q);
}

/* Whether run is made for workload: --quick drops runs marked "quick": false, and a run with
 * its own "workloads" is made for those only. */
static int run_selected(const struct runner *R, const cJSON *run, const char *workload)
{
    const cJSON *q = get(run, "quick"), *only = get(run, "workloads"), *w;
    if (R->quick && q && !cJSON_IsTrue(q)) return 0;
    if (!only) return 1;
    cJSON_ArrayForEach(w, only) if (!strcmp(w->valuestring, workload)) return 1;
    return 0;
}

static int run_suite(struct runner *R, struct err *e)
{
    const cJSON *s, *w, *run;
    const cJSON *pl = get(R->root, "platform");
    cJSON_ArrayForEach(s, get(R->root, "sections"))
    {
        if (!section_selected(R, s)) continue;
        cJSON_ArrayForEach(w, section_workloads(R, s))
        cJSON_ArrayForEach(run, get(s, "runs")) R->total += run_selected(R, run, w->valuestring);
    }
    cJSON_ArrayForEach(s, get(R->root, "sections"))
    {
        if (!section_selected(R, s)) continue;
        const cJSON *spl = get(s, "platform");
        const char *platform = spl ? spl->valuestring : pl ? pl->valuestring : "lambda-2019";
        cJSON_ArrayForEach(w, section_workloads(R, s))
        {
            cJSON_ArrayForEach(run, get(s, "runs"))
            {
                if (!run_selected(R, run, w->valuestring)) continue;
                int rc = run_one(R, s, run, w->valuestring, platform, e);
                if (rc) return rc;
            }
        }
    }
    return 0;
}

/* Appends to list (NULL-terminated, at most max) each value following "--calibration" in arr,
 * with {source} dropped: paths relative to the source tree. */
static void collect_calibrations(const cJSON *arr, const char **list, int max)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        if (strcmp(v->valuestring, "--calibration") || !cJSON_IsString(v->next)) continue;
        const char *path = v->next->valuestring;
        if (!strncmp(path, "{source}/", 9)) path += 9;
        int n = 0;
        while (n < max && list[n] && strcmp(list[n], path)) n++;
        if (n < max && !list[n]) list[n] = path;
    }
}

static void describe_file(FILE *f, const char *what, const char *rel)
{
    char path[1200], hex[65];
    struct err e;
    snprintf(path, sizeof path, "%s%s%s", rel[0] == '/' ? "" : core_source_root(), rel[0] == '/' ? "" : "/",
             rel);
    if (sha256_file(path, hex, &e)) snprintf(hex, sizeof hex, "unreadable");
    fprintf(f, "- %s: `%s` (sha256 %.16s)\n", what, rel, hex);
}

/* The lines above the tables: machine, commit, date, and the calibrations and presets the runs
 * used (with their SHA-256, so a reader can tell whether two result folders are comparable). */
static char *header_text(const struct runner *R, const char *suite)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    char config[1400];
    const cJSON *d = get(R->root, "description");
    snprintf(config, sizeof config, "suite file bench/suites/%s.json%s", suite,
             R->quick ? " (--quick)" : "");
    bench_write_header(f, suite, config);
    if (cJSON_IsString(d)) fprintf(f, "%s\n\n", d->valuestring);
    const char *cal[16] = {0}, *presets[16] = {0};
    const cJSON *pl = get(R->root, "platform"), *s, *w, *run;
    collect_calibrations(get(R->root, "options"), cal, 15);
    cJSON_ArrayForEach(w, get(R->root, "workload_options")) collect_calibrations(w, cal, 15);
    presets[0] = pl ? pl->valuestring : "lambda-2019";
    cJSON_ArrayForEach(s, get(R->root, "sections"))
    {
        collect_calibrations(get(s, "options"), cal, 15);
        cJSON_ArrayForEach(run, get(s, "runs")) collect_calibrations(get(run, "args"), cal, 15);
        const cJSON *sp = get(s, "platform");
        int n = 0;
        while (n < 15 && presets[n] && (!sp || strcmp(presets[n], sp->valuestring))) n++;
        if (sp && n < 15 && !presets[n]) presets[n] = sp->valuestring;
    }
    for (int i = 0; cal[i]; i++) describe_file(f, "calibration", cal[i]);
    if (!cal[0])
        fprintf(f, "- calibration: each command's default (siren run: "
                   "results/calibration/reference.json; sched eval: results/sched/calibration.json; "
                   "siren ps: results/ps/calibration.json)\n");
    for (int i = 0; presets[i]; i++) {
        char rel[200];
        snprintf(rel, sizeof rel, "emu/platforms/%s.json", presets[i]);
        describe_file(f, "platform preset", rel);
    }
    fclose(f);
    return buf;
}

static const struct opt_use suite_opts[] = {
    {.id = OPT_OUT}, /* the default is the suite's: see usage() */
    {.id = OPT_QUICK, .help = "only the sections and runs the file marks quick"},
    {.id = OPT_EXPECTED}, {.id = OPT_CHECK}, {.id = OPT_WRITE_EXPECTED}, {.id = OPT_NO_PLOTS},
    {.id = OPT_HELP},
};

static void usage(FILE *f, const char *suite)
{
    fprintf(f,
            "usage: siren bench %s [--out DIR] [--quick] [--expected FILE] [--check DIR]\n"
            "                      [--write-expected] [--no-plots]\n\n"
            "Runs the suite defined in bench/suites/%s.json: each of its runs is a siren command\n"
            "(`siren run`, `mpirun siren ps`, `siren sched eval`) writing into OUT/runs/; the rows\n"
            "become OUT/table.md (printed), table.csv, table.json and gnuplot PNGs.\n\n",
            suite, suite);
    /* The default --out names the suite. */
    struct opt_use use[sizeof suite_opts / sizeof *suite_opts];
    char def[300];
    snprintf(def, sizeof def, "results/%s in the source tree (results/%s-quick with --quick)",
             suite, suite);
    memcpy(use, suite_opts, sizeof use);
    use[0].def = def;
    opt_help_write(f, use, sizeof use / sizeof *use);
    fprintf(f, "\nenvironment:\n");
    env_help_write(f, "SIREN_MPIRUN");
}

/* What the command line asks of a suite. */
struct suite_args {
    const char *suite, *out, *expected, *check;
    int quick, write_expected, plots;
};

static int suite_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct suite_args *a = ctx;
    (void)e;
    switch (v->id) {
    case OPT_OUT: a->out = v->text; break;
    case OPT_QUICK: a->quick = 1; break;
    case OPT_EXPECTED: a->expected = v->text; break;
    case OPT_CHECK: a->check = v->text; break;
    case OPT_WRITE_EXPECTED: a->write_expected = 1; break;
    case OPT_NO_PLOTS: a->plots = 0; break;
    case OPT_HELP: usage(stdout, a->suite); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int bench_suite_main(const char *suite, int argc, char **argv)
{
    struct suite_args a = {.suite = suite, .plots = 1};
    char cmd[160];
    snprintf(cmd, sizeof cmd, "bench %s", suite);
    int rc = opt_parse(cmd, suite_opts, sizeof suite_opts / sizeof *suite_opts, argc, argv,
                       suite_opt, &a, NULL);
    if (rc != OPT_GO_ON) return rc;
    const char *out = a.out, *expected = a.expected, *check = a.check;
    int quick = a.quick, write_expected = a.write_expected, plots = a.plots;
    struct err e = {0};
    char path[1200], exp_path[1200] = "", dir[1200];
    bench_suite_path(suite, path, sizeof path);
    cJSON *root = NULL;
    struct suite_rows rows = {0};
    rc = json_load_file(path, &root, &e);
    if (!rc) rc = suite_expand_matrices(root, path, &e);
    if (!rc) rc = check_suite(path, root, &e);
    if (rc) goto fail;
    const cJSON *x = get(root, "expected");
    if (expected) snprintf(exp_path, sizeof exp_path, "%s", expected);
    else if (cJSON_IsString(x)) snprintf(exp_path, sizeof exp_path, "%s/%s", core_source_root(), x->valuestring);
    if ((check || write_expected) && !exp_path[0]) {
        fprintf(stderr, "siren bench %s: the suite names no expected values; give --expected FILE\n",
                suite);
        cJSON_Delete(root);
        return 2;
    }

    if (check) {
        snprintf(dir, sizeof dir, "%s/table.json", check);
        if ((rc = suite_read_table_json(dir, &rows, &e))) goto fail;
    } else {
        char name[128];
        snprintf(name, sizeof name, "%s%s", suite, quick ? "-quick" : "");
        if ((rc = bench_out_dir(out, name, dir, sizeof dir, &e))) goto fail;
        struct runner R = {.suite_path = path, .root = root, .out_dir = dir, .quick = quick,
                           .rows = &rows};
        ssize_t n = readlink("/proc/self/exe", R.siren, sizeof R.siren - 1);
        if (n <= 0) {
            rc = err_errno(&e, errno, "cannot find the siren executable (/proc/self/exe)");
            goto fail;
        }
        R.siren[n] = 0;
        /* The suite file travels with its results: they say which runs made them. */
        char copy[1300];
        char *text = NULL;
        size_t len;
        snprintf(copy, sizeof copy, "%s/suite.json", dir);
        if ((rc = fs_read_all(path, &text, &len, &e)) ||
            (rc = fs_write_atomic(copy, text, len, &e))) {
            free(text);
            goto fail;
        }
        free(text);
        double t0 = clock_mono_s();
        rc = run_suite(&R, &e);
        if (rc) goto fail;
        char *header = header_text(&R, suite);
        rc = suite_write_tables(&rows, dir, suite, header, get(root, "sections"), 1, &e);
        free(header);
        if (rc) goto fail;
        if (plots && (rc = suite_plot(&rows, dir, &e))) goto fail;
        if ((rc = suite_write_scaling(&rows, dir, plots, &e))) goto fail;
        fprintf(stderr, "siren bench %s: %zu rows in %.1f s -> %s/table.md%s\n", suite, rows.n,
                clock_mono_s() - t0, dir, plots ? " and PNGs" : "");
    }
    if (write_expected) {
        if ((rc = suite_write_expected(&rows, exp_path, &e))) goto fail;
        fprintf(stderr, "siren bench %s: wrote expected values %s\n", suite, exp_path);
    } else if (exp_path[0]) {
        int failures = 0;
        if ((rc = suite_check_expected(&rows, exp_path, &failures, &e))) goto fail;
        if (failures) {
            fprintf(stderr, "siren bench %s: %d figure%s regressed (see above)\n", suite, failures,
                    failures == 1 ? "" : "s");
            suite_rows_free(&rows);
            cJSON_Delete(root);
            return 1;
        }
        fprintf(stderr, "siren bench %s: every figure within tolerance of %s\n", suite, exp_path);
    }
    suite_rows_free(&rows);
    cJSON_Delete(root);
    return 0;
fail:
    fprintf(stderr, "siren bench %s: %s\n", suite, e.msg[0] ? e.msg : err_str(e.code));
    suite_rows_free(&rows);
    cJSON_Delete(root);
    return 1;
}

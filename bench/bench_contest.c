/*
 * The scheduler contest's report (`siren sched eval --matrix`): from each workload's
 * cells.json (every policy at every budget multiple and seed, and the emulated replays), per
 * workload, policy and budget: how many seeds reached the target within budget, the mean and
 * worst ratio to the exact oracle over them, the time each policy took to plan, and the
 * emulator's error; then whether each trained agent (drl...) meets the bar (mean ratio at most
 * 1.05 and no worse than the best rival) at each budget, the agents' training cost, and the
 * figure.
 */
#include "bench.h"
#include "suite_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEST_MAX_POLICIES 16
#define CONTEST_MAX_BUDGETS 8
#define CONTEST_DRL_BAR 1.05

/* One policy at one budget multiple, over the seeds. */
struct contest_stat {
    int cells, reached;
    double sum_ratio, worst_ratio, sum_jct_s, sum_plan_s;
    double jct_error_pct, time_error_pct; /* emulated at this budget; NAN when not */
};

struct contest_workload {
    const char *name;
    const char *policies[CONTEST_MAX_POLICIES];
    int n_policies;
    double budgets[CONTEST_MAX_BUDGETS];
    int n_budgets;
    struct contest_stat st[CONTEST_MAX_POLICIES][CONTEST_MAX_BUDGETS];
};

static int index_of_policy(struct contest_workload *w, const char *p)
{
    for (int i = 0; i < w->n_policies; i++)
        if (!strcmp(w->policies[i], p)) return i;
    if (w->n_policies == CONTEST_MAX_POLICIES) return -1;
    w->policies[w->n_policies] = p;
    for (int b = 0; b < CONTEST_MAX_BUDGETS; b++)
        w->st[w->n_policies][b] =
            (struct contest_stat){.jct_error_pct = NAN, .time_error_pct = NAN};
    return w->n_policies++;
}

static int index_of_budget(struct contest_workload *w, double x)
{
    for (int b = 0; b < w->n_budgets; b++)
        if (w->budgets[b] == x) return b;
    if (w->n_budgets == CONTEST_MAX_BUDGETS) return -1;
    w->budgets[w->n_budgets] = x;
    return w->n_budgets++;
}

static double mean_ratio(const struct contest_stat *s)
{
    return s->reached ? s->sum_ratio / s->reached : (double)NAN;
}

/* Gathers a workload's cells.json into w (strings borrowed from root). */
static int contest_gather(const cJSON *root, const char *path, struct contest_workload *w,
                          struct err *e)
{
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(root, "cells"), *c;
    if (!cJSON_IsArray(cells)) return err_set(e, SIREN_EFORMAT, "%s: no \"cells\" array", path);
    cJSON_ArrayForEach(c, cells)
    {
        double x;
        int rc = json_get_number(c, "budget_x", path, &x, e);
        if (rc) return rc;
        int b = index_of_budget(w, x);
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(c, "rows"), *r;
        if (b < 0 || !cJSON_IsArray(rows))
            return err_set(e, SIREN_EFORMAT, "%s: a cell without rows, or over %d budgets", path,
                           CONTEST_MAX_BUDGETS);
        cJSON_ArrayForEach(r, rows)
        {
            const char *p;
            if ((rc = json_get_string(r, "kind", path, &p, e))) return rc;
            int i = index_of_policy(w, p);
            if (i < 0)
                return err_set(e, SIREN_EFORMAT, "%s: over %d policies", path,
                               CONTEST_MAX_POLICIES);
            struct contest_stat *s = &w->st[i][b];
            const cJSON *ratio = cJSON_GetObjectItemCaseSensitive(r, "ratio_to_oracle");
            double jct = 0, plan = 0;
            if ((rc = json_get_number(r, "jct_s", path, &jct, e)) ||
                (rc = json_get_number(r, "plan_wall_s", path, &plan, e)))
                return rc;
            s->cells++;
            s->sum_plan_s += plan;
            if (cJSON_IsNumber(ratio)) {
                s->reached++;
                s->sum_ratio += ratio->valuedouble;
                s->sum_jct_s += jct;
                if (ratio->valuedouble > s->worst_ratio) s->worst_ratio = ratio->valuedouble;
            }
        }
    }
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(root, "emulated");
    cJSON_ArrayForEach(c, em)
    {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "kind");
        const cJSON *je = cJSON_GetObjectItemCaseSensitive(c, "jct_error_pct");
        const cJSON *te = cJSON_GetObjectItemCaseSensitive(c, "emu_epochs_time_error_pct");
        int i = cJSON_IsString(p) ? index_of_policy(w, p->valuestring) : -1;
        int b = index_of_budget(w, 1.0);
        if (i < 0 || b < 0) continue;
        w->st[i][b].jct_error_pct = cJSON_IsNumber(je) ? je->valuedouble : (double)NAN;
        w->st[i][b].time_error_pct = cJSON_IsNumber(te) ? te->valuedouble : (double)NAN;
    }
    /* Budgets in increasing order, their stats with them. */
    for (int a = 1; a < w->n_budgets; a++)
        for (int b = a; b > 0 && w->budgets[b - 1] > w->budgets[b]; b--) {
            double t = w->budgets[b];
            w->budgets[b] = w->budgets[b - 1];
            w->budgets[b - 1] = t;
            for (int i = 0; i < w->n_policies; i++) {
                struct contest_stat s = w->st[i][b];
                w->st[i][b] = w->st[i][b - 1];
                w->st[i][b - 1] = s;
            }
        }
    return SIREN_OK;
}

/* The trained agents are named drl...; the oracles are not rivals either. */
static int is_agent(const char *p) { return !strncmp(p, "drl", 3); }
static int is_rival(const char *p) { return !is_agent(p) && strncmp(p, "oracle", 6); }

/* Agent drl's verdict at budget b: writes one markdown line to f. Returns 1 when it meets the
 * bar (reached every seed the best rival reached, mean ratio <= CONTEST_DRL_BAR and <= the
 * best rival's), 0 when not, -1 when the budget is out of every schedule's reach. */
static int verdict(FILE *f, const struct contest_workload *w, int drl, int b)
{
    for (int i = 0; i < w->n_policies; i++)
        if (!strcmp(w->policies[i], "oracle") && w->st[i][b].reached == 0) {
            fprintf(f, "- %s at %gx: not judged: no schedule reaches the target within this "
                       "budget, the oracle's neither\n", w->name, w->budgets[b]);
            return -1;
        }
    int best = -1;
    for (int i = 0; i < w->n_policies; i++) {
        if (!is_rival(w->policies[i])) continue;
        const struct contest_stat *s = &w->st[i][b], *t = best >= 0 ? &w->st[best][b] : NULL;
        if (!t || s->reached > t->reached ||
            (s->reached == t->reached && mean_ratio(s) < mean_ratio(t)))
            best = i;
    }
    const struct contest_stat *d = &w->st[drl][b];
    double md = mean_ratio(d);
    fprintf(f, "- %s at %gx: %s reached %d/%d, mean ratio ", w->name, w->budgets[b],
            w->policies[drl], d->reached, d->cells);
    if (isnan(md)) fprintf(f, "-");
    else fprintf(f, "%.3f", md);
    int ok = d->reached > 0 && md <= CONTEST_DRL_BAR;
    if (best >= 0) {
        const struct contest_stat *r = &w->st[best][b];
        double mr = mean_ratio(r);
        fprintf(f, "; best rival %s reached %d/%d, mean ", w->policies[best], r->reached, r->cells);
        if (isnan(mr)) fprintf(f, "-");
        else fprintf(f, "%.3f", mr);
        ok = ok && d->reached >= r->reached && (isnan(mr) || d->reached > r->reached || md <= mr);
    }
    fprintf(f, ": %s\n", ok ? "**meets the bar**" : "**does not meet the bar**");
    return ok;
}

/* A workload's policies against its budgets, each cell "mean ratio (reached/cells)": the table
 * to read first. */
static void pivot(FILE *f, const struct contest_workload *w)
{
    fprintf(f, "\n### %s: mean ratio to the oracle (seeds that reached the target within budget "
               "/ seeds)\n\n| policy |", w->name);
    for (int b = 0; b < w->n_budgets; b++) fprintf(f, " %gx |", w->budgets[b]);
    fprintf(f, "\n| --- |");
    for (int b = 0; b < w->n_budgets; b++) fprintf(f, " --- |");
    fprintf(f, "\n");
    for (int i = 0; i < w->n_policies; i++) {
        fprintf(f, "| %s |", w->policies[i]);
        for (int b = 0; b < w->n_budgets; b++) {
            const struct contest_stat *s = &w->st[i][b];
            if (s->reached) fprintf(f, " %.3f (%d/%d) |", mean_ratio(s), s->reached, s->cells);
            else fprintf(f, " - (0/%d) |", s->cells);
        }
        fprintf(f, "\n");
    }
}

/* contest.png: a panel per workload, mean ratio to the oracle against the budget multiple. */
static int contest_figure(const char *dir, const struct contest_workload *ws, int n, struct err *e)
{
    char script[1300], png[1300];
    snprintf(script, sizeof script, "%s/contest.gp", dir);
    snprintf(png, sizeof png, "%s/contest.png", dir);
    FILE *f = fopen(script, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", script);
    suite_plot_preamble(f, png, 420 * n + 200, 460, "",
                        "budget (x the workload's default)", "JCT / oracle's JCT");
    fprintf(f, "unset title\nset logscale x 2\nset multiplot layout 1,%d title "
               "'scheduler contest: mean ratio to the exact oracle over the seeds that reached "
               "the target within budget'\n", n);
    for (int k = 0; k < n; k++) {
        const struct contest_workload *w = &ws[k];
        fprintf(f, "set title ");
        suite_put_quoted(f, w->name);
        fprintf(f, "\n");
        if (k < n - 1) fprintf(f, "unset key\n");
        else fprintf(f, "set key outside right top Left reverse\n");
        int drawn = 0;
        for (int i = 0; i < w->n_policies; i++) {
            if (!strncmp(w->policies[i], "oracle (", 8)) continue;
            fprintf(f, "$w%dp%d << EOD\n", k, i);
            for (int b = 0; b < w->n_budgets; b++) {
                double m = mean_ratio(&w->st[i][b]);
                if (!isnan(m)) fprintf(f, "%.9g %.9g\n", w->budgets[b], m);
            }
            fprintf(f, "EOD\n");
        }
        fprintf(f, "plot ");
        for (int i = 0; i < w->n_policies; i++) {
            if (!strncmp(w->policies[i], "oracle (", 8)) continue;
            struct suite_plot_style s = suite_plot_style(i);
            fprintf(f, "%s$w%dp%d using 1:2 with linespoints lc rgb '%s' pt %d ps 1.3 title ",
                    drawn++ ? ", " : "", k, i, s.colour, s.pt_filled);
            suite_put_quoted(f, w->policies[i]);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", script);
    return suite_gnuplot_run(script, e);
}

int bench_contest_report(const char *dir, const char *const *names, int n_names,
                         const char *suite_path, struct err *e)
{
    struct contest_workload *ws = calloc((size_t)(n_names ? n_names : 1), sizeof *ws);
    cJSON **roots = calloc((size_t)(n_names ? n_names : 1), sizeof *roots);
    int n = 0, rc = SIREN_OK;
    if (!ws || !roots) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    for (int k = 0; k < n_names && !rc; k++) {
        char path[1300];
        snprintf(path, sizeof path, "%s/%s/cells.json", dir, names[k]);
        if (!fs_exists(path)) continue; /* not run (yet) */
        if ((rc = json_load_file(path, &roots[n], e))) break;
        ws[n].name = names[k];
        rc = contest_gather(roots[n], path, &ws[n], e);
        n++;
    }
    static const char *cols[] = {"workload", "policy", "budget_x", "reached", "mean_ratio",
                                 "worst_ratio", "mean_jct_s", "plan_wall_s", "emu_jct_error_pct",
                                 "emu_time_error_pct"};
    struct table t;
    if (!rc && table_init(&t, 10, cols)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    else if (!rc) {
        size_t row = 0;
        for (int k = 0; k < n && !rc; k++)
            for (int i = 0; i < ws[k].n_policies && !rc; i++)
                for (int b = 0; b < ws[k].n_budgets; b++, row++) {
                    const struct contest_stat *s = &ws[k].st[i][b];
                    if (table_add_row(&t)) {
                        rc = err_set(e, SIREN_ENOMEM, "out of memory");
                        break;
                    }
                    table_setf(&t, row, 0, "%s", ws[k].name);
                    table_setf(&t, row, 1, "%s", ws[k].policies[i]);
                    table_setf(&t, row, 2, "%g", ws[k].budgets[b]);
                    table_setf(&t, row, 3, "%d/%d", s->reached, s->cells);
                    if (s->reached) {
                        table_setf(&t, row, 4, "%.3f", mean_ratio(s));
                        table_setf(&t, row, 5, "%.3f%s", s->worst_ratio,
                                   s->reached < s->cells ? " (some missed)" : "");
                        table_setf(&t, row, 6, "%.3f", s->sum_jct_s / s->reached);
                    } else {
                        table_setf(&t, row, 4, "-");
                        table_setf(&t, row, 5, "-");
                        table_setf(&t, row, 6, "-");
                    }
                    table_setf(&t, row, 7, "%.3f", s->cells ? s->sum_plan_s / s->cells : 0.0);
                    if (isnan(s->jct_error_pct)) table_setf(&t, row, 8, "-");
                    else table_setf(&t, row, 8, "%+.3f", s->jct_error_pct);
                    if (isnan(s->time_error_pct)) table_setf(&t, row, 9, "-");
                    else table_setf(&t, row, 9, "%+.3f", s->time_error_pct);
                }
        char *footer = NULL;
        size_t flen = 0;
        FILE *f = rc ? NULL : open_memstream(&footer, &flen);
        if (f) {
            for (int k = 0; k < n; k++) pivot(f, &ws[k]);
            fprintf(f, "\n## The agents against the bar (mean ratio <= %.2f, no worse than the "
                       "best rival), per budget\n\n", CONTEST_DRL_BAR);
            /* Per agent: how many (workload, budget) pairs it meets the bar at. */
            const char *agents[CONTEST_MAX_POLICIES];
            int met[CONTEST_MAX_POLICIES] = {0}, all[CONTEST_MAX_POLICIES] = {0}, na = 0;
            for (int k = 0; k < n; k++)
                for (int i = 0; i < ws[k].n_policies; i++) {
                    if (!is_agent(ws[k].policies[i])) continue;
                    int a = 0;
                    while (a < na && strcmp(agents[a], ws[k].policies[i])) a++;
                    if (a == na && na < CONTEST_MAX_POLICIES) agents[na++] = ws[k].policies[i];
                    for (int b = 0; b < ws[k].n_budgets && a < na; b++) {
                        int v = verdict(f, &ws[k], i, b);
                        if (v >= 0) met[a] += v, all[a]++;
                    }
                }
            fprintf(f, "\n");
            for (int a = 0; a < na; a++)
                fprintf(f, "%s meets the bar at %d of %d (workload, budget) pairs that some "
                           "schedule can reach.\n", agents[a], met[a], all[a]);
            fprintf(f, "\n## Training cost of the agents\n\n");
            for (int k = 0; k < n; k++) {
                const cJSON *ag = cJSON_GetObjectItemCaseSensitive(roots[k], "agents"), *x;
                cJSON_ArrayForEach(x, ag)
                {
                    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(x, "name");
                    const cJSON *ws_ = cJSON_GetObjectItemCaseSensitive(x, "train_wall_s");
                    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(x, "train_episodes");
                    if (!cJSON_IsString(nm)) continue;
                    if (cJSON_IsNumber(ws_) && cJSON_IsNumber(ep))
                        fprintf(f, "- %s, %s: %d episodes in %.1f s of wall time (one core)\n",
                                ws[k].name, nm->valuestring, ep->valueint, ws_->valuedouble);
                    else
                        fprintf(f, "- %s, %s: no training log given\n", ws[k].name,
                                nm->valuestring);
                }
            }
            fprintf(f, "\nSuite: `%s`. Figure: `contest.png`.\n", suite_path);
            fclose(f);
        }
        if (!rc)
            rc = bench_write_report(&t, dir, "contest", "sched eval --matrix", suite_path,
                                    footer, 1, e);
        free(footer);
        table_free(&t);
    }
    if (!rc && n) {
        struct err pe;
        if (contest_figure(dir, ws, n, &pe)) LOG_WARN("bench", "contest figure: %s", pe.msg);
    }
    for (int k = 0; k < n; k++) cJSON_Delete(roots[k]);
    free(roots);
    free(ws);
    return rc;
}

/*
 * Matrices of runs and their scaling tables. A suite run with a "matrix" stands for one run per
 * combination of its values (a rule and a number of functions, say); its "series" and "x" name
 * the matrix keys that make the curves and the x axis of the scaling table and figure. The
 * table separates the two efficiencies of parallel training: hardware (virtual time of an
 * epoch against x: the first, every function cold, and the mean of the later, warm ones) and
 * statistical (epochs to the target against x), then their product, the time to the target,
 * and the cost; speed-ups are over the same series' run at x = 1 (of warm epochs where both
 * runs have them, else of first epochs).
 */
#include "suite_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ expansion */

/* text with every "{key}" of the matrix replaced by that key's value in this combination. */
static int substitute(const char *text, const cJSON *matrix, const int *pick, char *out,
                      size_t len, struct err *e)
{
    size_t o = 0;
    for (const char *p = text; *p;) {
        const cJSON *k;
        int i = 0, done = 0;
        cJSON_ArrayForEach(k, matrix)
        {
            size_t kl = strlen(k->string);
            if (!done && p[0] == '{' && !strncmp(p + 1, k->string, kl) && p[1 + kl] == '}') {
                const cJSON *v = cJSON_GetArrayItem(k, pick[i]);
                char val[64];
                if (cJSON_IsString(v)) snprintf(val, sizeof val, "%s", v->valuestring);
                else snprintf(val, sizeof val, "%.15g", v->valuedouble);
                size_t vl = strlen(val);
                if (o + vl >= len) return err_set(e, SIREN_ELIMIT, "'%s' is too long", text);
                memcpy(out + o, val, vl);
                o += vl;
                p += kl + 2;
                done = 1;
            }
            i++;
        }
        if (done) continue;
        if (o + 1 >= len) return err_set(e, SIREN_ELIMIT, "'%s' is too long", text);
        out[o++] = *p++;
    }
    out[o] = 0;
    return SIREN_OK;
}

/* The value of matrix key `name` in this combination, as a string (NULL: no such key). */
static const cJSON *picked(const cJSON *matrix, const int *pick, const char *name)
{
    const cJSON *k;
    int i = 0;
    cJSON_ArrayForEach(k, matrix)
    {
        if (!strcmp(k->string, name)) return cJSON_GetArrayItem(k, pick[i]);
        i++;
    }
    return NULL;
}

/* One run of the combination pick: the template's keys, its label and args substituted. */
static cJSON *expanded(const cJSON *tmpl, const cJSON *matrix, const int *pick, struct err *e)
{
    cJSON *run = cJSON_Duplicate(tmpl, 1);
    if (!run) {
        err_set(e, SIREN_ENOMEM, "out of memory");
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(run, "matrix");
    char buf[2048];
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(tmpl, "label");
    if (substitute(label->valuestring, matrix, pick, buf, sizeof buf, e)) goto fail;
    cJSON_ReplaceItemInObjectCaseSensitive(run, "label", cJSON_CreateString(buf));
    cJSON *args = cJSON_GetObjectItemCaseSensitive(run, "args"), *a;
    cJSON_ArrayForEach(a, args)
    {
        if (substitute(a->valuestring, matrix, pick, buf, sizeof buf, e)) goto fail;
        cJSON_SetValuestring(a, buf);
    }
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(tmpl, "series");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(tmpl, "x");
    if (series) {
        const cJSON *v = picked(matrix, pick, series->valuestring);
        cJSON_AddStringToObject(run, "series_value",
                                cJSON_IsString(v) ? v->valuestring : series->valuestring);
    }
    if (x) cJSON_AddNumberToObject(run, "x_value", picked(matrix, pick, x->valuestring)->valuedouble);
    return run;
fail:
    cJSON_Delete(run);
    return NULL;
}

/* Checks a run's matrix: values, and that series and x name its keys (x numeric). */
static int check_matrix(const cJSON *run, const char *path, const char *where, struct err *e)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(run, "matrix"), *k, *v;
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(run, "label");
    if (!cJSON_IsString(label))
        return err_set(e, SIREN_EFORMAT, "%s: %s: key 'label': expected a string", path, where);
    if (!cJSON_IsObject(m) || !m->child)
        return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'matrix': expected an object of "
                       "arrays of values", path, where, label->valuestring);
    cJSON_ArrayForEach(k, m)
    {
        int ok = cJSON_IsArray(k) && cJSON_GetArraySize(k) > 0;
        cJSON_ArrayForEach(v, k) ok = ok && (cJSON_IsString(v) || cJSON_IsNumber(v));
        char ph[80];
        snprintf(ph, sizeof ph, "{%s}", k->string);
        if (!ok || !strstr(label->valuestring, ph))
            return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key 'matrix.%s': expected a "
                           "non-empty array of strings or numbers, named in the label as %s",
                           path, where, label->valuestring, k->string, ph);
    }
    static const char *const names[] = {"series", "x"};
    for (int i = 0; i < 2; i++) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(run, names[i]);
        const cJSON *key = cJSON_IsString(n) ? cJSON_GetObjectItemCaseSensitive(m, n->valuestring)
                                             : NULL;
        if (n && (!key || (i == 1 && !cJSON_IsNumber(key->child))))
            return err_set(e, SIREN_EFORMAT, "%s: %s ('%s'): key '%s': expected the name of a "
                           "matrix key%s", path, where, label->valuestring, names[i],
                           i ? " of numbers" : "");
    }
    return SIREN_OK;
}

int suite_expand_matrices(cJSON *root, const char *path, struct err *e)
{
    cJSON *s;
    int si = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "sections"))
    {
        cJSON *runs = cJSON_GetObjectItemCaseSensitive(s, "runs");
        if (!cJSON_IsArray(runs)) continue;
        cJSON *out = cJSON_CreateArray();
        if (!out) return err_set(e, SIREN_ENOMEM, "out of memory");
        int ri = 0, rc = SIREN_OK;
        for (cJSON *run = runs->child; run && !rc; run = run->next, ri++) {
            if (!cJSON_GetObjectItemCaseSensitive(run, "matrix")) {
                cJSON_AddItemToArray(out, cJSON_Duplicate(run, 1));
                continue;
            }
            char where[64];
            snprintf(where, sizeof where, "sections[%d] runs[%d]", si, ri);
            if ((rc = check_matrix(run, path, where, e))) break;
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(run, "matrix"), *k;
            int nk = cJSON_GetArraySize(m), pick[16] = {0}, size[16], i = 0;
            if (nk > 16) {
                rc = err_set(e, SIREN_EFORMAT, "%s: %s: at most 16 matrix keys", path, where);
                break;
            }
            cJSON_ArrayForEach(k, m) size[i++] = cJSON_GetArraySize(k);
            /* Every combination, the last key fastest. */
            for (;;) {
                cJSON *one = expanded(run, m, pick, e);
                if (!one) {
                    rc = e->code ? e->code : SIREN_ENOMEM;
                    break;
                }
                cJSON_AddItemToArray(out, one);
                int d = nk - 1;
                while (d >= 0 && ++pick[d] == size[d]) pick[d--] = 0;
                if (d < 0) break;
            }
        }
        if (rc) {
            cJSON_Delete(out);
            return rc;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(s, "runs", out);
        si++;
    }
    return SIREN_OK;
}

void suite_row_series(struct suite_row *r, const cJSON *run)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(run, "series_value");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(run, "x_value");
    if (cJSON_IsString(s)) snprintf(r->series, sizeof r->series, "%s", s->valuestring);
    r->x = cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* ------------------------------------------------------------------ the table */

static int same_group(const struct suite_row *a, const struct suite_row *b)
{
    return !strcmp(a->section, b->section) && !strcmp(a->workload, b->workload) &&
           !strcmp(a->platform, b->platform);
}

/* The row of the same group and series at x = 1, or NULL. */
static const struct suite_row *base_of(const struct suite_rows *rows, const struct suite_row *r)
{
    for (size_t i = 0; i < rows->n; i++) {
        const struct suite_row *b = &rows->v[i];
        if (same_group(b, r) && !strcmp(b->series, r->series) && b->x == 1.0) return b;
    }
    return NULL;
}

static double ratio(double a, double b) { return a > 0 && b > 0 ? a / b : (double)NAN; }

static void num(FILE *f, double v, int decimals, const char *sep)
{
    if (isnan(v)) fprintf(f, "%s%s", sep[0] == ',' ? "" : "-", sep);
    else fprintf(f, "%.*f%s", decimals, v, sep);
}

/* One markdown table (md) and its CSV rows (csv) for the group of rows[first]. */
static void group_table(const struct suite_rows *rows, size_t first, FILE *md, FILE *csv)
{
    const struct suite_row *g = &rows->v[first];
    fprintf(md, "\n### %s: %s on %s\n\n", g->section, g->workload, g->platform);
    fprintf(md, "| rule | n | epochs | reached | first_epoch_s | warm_epoch_s | epoch_speedup | "
                "epochs_to_target | time_to_target_s | target_speedup | cost_usd |\n"
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, g) || !r->series[0]) continue;
        const struct suite_row *b = base_of(rows, r);
        double es = !b ? (double)NAN
                    : !isnan(b->epoch_time_s) && !isnan(r->epoch_time_s)
                        ? ratio(b->epoch_time_s, r->epoch_time_s)
                        : ratio(b->first_epoch_s, r->first_epoch_s);
        double ts = b && r->reached_target && b->reached_target
                        ? ratio(b->time_to_target_s, r->time_to_target_s)
                        : (double)NAN;
        fprintf(md, "| %s | %.0f | %d | %s | ", r->series, r->x, r->epochs,
                r->reached_target ? "yes" : "no");
        num(md, r->first_epoch_s, 3, " | ");
        num(md, r->epoch_time_s, 3, " | ");
        num(md, es, 2, " | ");
        if (r->reached_target) fprintf(md, "%d | ", r->epochs);
        else fprintf(md, "> %d | ", r->epochs);
        num(md, r->reached_target ? r->time_to_target_s : (double)NAN, 3, " | ");
        num(md, ts, 2, " | ");
        num(md, r->cost_usd, 6, " |\n");
        fprintf(csv, "%s,%s,%s,%s,%.0f,%d,%d,", r->section, r->workload, r->platform, r->series,
                r->x, r->epochs, r->reached_target);
        num(csv, r->first_epoch_s, 9, ",");
        num(csv, r->epoch_time_s, 9, ",");
        num(csv, es, 6, ",");
        num(csv, r->reached_target ? r->time_to_target_s : (double)NAN, 9, ",");
        num(csv, ts, 6, ",");
        num(csv, r->cost_usd, 9, "\n");
    }
}

/* The speed-up of the time to the target of row r over its series' run at x = 1 (NAN when
 * either did not reach the target, or there is no such run). */
static double target_speedup(const struct suite_rows *rows, const struct suite_row *r)
{
    const struct suite_row *b = base_of(rows, r);
    return b && r->reached_target && b->reached_target
               ? ratio(b->time_to_target_s, r->time_to_target_s)
               : (double)NAN;
}

/* Speed-up of the time to the target (left) and the cost (right) against x, a line per series
 * in the series' style (suite_plot_style, by order of first appearance). Series with no
 * speed-up to draw (no run at x = 1 that reached the target) are left out of the left panel,
 * and the title says so; with none to draw at all, only the cost is drawn. */
static int group_figure(const struct suite_rows *rows, size_t first, const char *dir,
                        struct err *e)
{
    const struct suite_row *g = &rows->v[first];
    char gp[1300], png[1300], title[400], s[3][64];
    suite_slug(g->section, s[0], sizeof s[0]);
    suite_slug(g->workload, s[1], sizeof s[1]);
    suite_slug(g->platform, s[2], sizeof s[2]);
    snprintf(gp, sizeof gp, "%s/%s-%s-%s-scaling.gp", dir, s[0], s[1], s[2]);
    snprintf(png, sizeof png, "%s/%s-%s-%s-scaling.png", dir, s[0], s[1], s[2]);
    /* The series, in order of first appearance, and which have a speed-up to draw. */
    const char *series[32];
    int ns = 0, has_speedup[32] = {0}, n_speedup = 0;
    struct suite_axis ax, ay[2];
    suite_axis_init(&ax);
    suite_axis_init(&ay[0]);
    suite_axis_init(&ay[1]);
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, g) || !r->series[0]) continue;
        int k = 0;
        while (k < ns && strcmp(series[k], r->series)) k++;
        if (k == ns) {
            if (ns == 32) continue; /* more curves than a figure can show */
            series[ns++] = r->series;
        }
        double sp = target_speedup(rows, r);
        if (!isnan(sp)) {
            n_speedup += !has_speedup[k];
            has_speedup[k] = 1;
            suite_axis_add(&ax, r->x);
            suite_axis_add(&ay[0], sp);
        }
        if (!isnan(r->cost_usd)) {
            suite_axis_add(&ax, r->x);
            suite_axis_add(&ay[1], r->cost_usd);
        }
    }
    const int panels = n_speedup ? 2 : 1;
    if (!ay[1].n && !n_speedup) return SIREN_OK; /* nothing to draw */
    FILE *f = fopen(gp, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", gp);
    if (!n_speedup)
        snprintf(title, sizeof title, "%s on %s: cost (no speed-up drawn: no run at 1 function "
                 "reached the target)", g->workload, g->platform);
    else
        snprintf(title, sizeof title, "%s on %s: time to target%s", g->workload, g->platform,
                 n_speedup < ns ? " (left out: series without a run at 1 function that "
                                  "reached it)" : "");
    suite_plot_preamble(f, png, panels == 2 ? 1280 : 960, 520, title, "functions",
                        n_speedup ? "speed-up over 1 function" : "cost (USD)");
    /* A key in each panel, over the data's corner that is usually empty. */
    fprintf(f, "set key inside top left opaque\n");
    /* Functions double from one run to the next: base 2 where the axis is logarithmic. */
    suite_axis_write(f, "x", &ax, 2);
    fprintf(f, "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n");
    if (panels == 2) fprintf(f, "set multiplot layout 1,2\n");
    for (int panel = 2 - panels; panel < 2; panel++) {
        if (panel && panels == 2) {
            fprintf(f, "set title 'cost of the run (to the target, or to its last epoch)'\n"
                       "set ylabel 'cost (USD)'\nunset logscale y\nset autoscale y\n");
        }
        suite_axis_write(f, "y", &ay[panel], 10);
        int drawn = 0;
        for (int k = 0; k < ns; k++) {
            if (!panel && !has_speedup[k]) continue;
            fprintf(f, "$p%d_%d << EOD\n", panel, k);
            for (size_t i = first; i < rows->n; i++) {
                const struct suite_row *r = &rows->v[i];
                if (!same_group(r, g) || strcmp(r->series, series[k])) continue;
                double y = panel ? r->cost_usd : target_speedup(rows, r);
                if (!isnan(y)) fprintf(f, "%.9g %.9g\n", r->x, y);
            }
            fprintf(f, "EOD\n");
        }
        fprintf(f, "plot ");
        for (int k = 0; k < ns; k++) {
            if (!panel && !has_speedup[k]) continue;
            struct suite_plot_style st = suite_plot_style(k);
            fprintf(f, "%s$p%d_%d with linespoints lw 2 pt %d ps 1.4 lc rgb '%s' title ",
                    drawn++ ? ", \\\n     " : "", panel, k, st.pt_filled, st.colour);
            suite_put_quoted(f, series[k]);
        }
        fprintf(f, "\n");
    }
    if (panels == 2) fprintf(f, "unset multiplot\n");
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", gp);
    return suite_gnuplot_run(gp, e);
}

int suite_write_scaling(const struct suite_rows *rows, const char *dir, int plots,
                        struct err *e)
{
    int any = 0;
    for (size_t i = 0; i < rows->n; i++) any |= rows->v[i].series[0] != 0;
    if (!any) return SIREN_OK;
    char md_path[1300], csv_path[1300];
    snprintf(md_path, sizeof md_path, "%s/scaling.md", dir);
    snprintf(csv_path, sizeof csv_path, "%s/scaling.csv", dir);
    FILE *md = fopen(md_path, "w"), *csv = fopen(csv_path, "w");
    if (!md || !csv) {
        if (md) fclose(md);
        if (csv) fclose(csv);
        return err_errno(e, errno, "cannot create %s", md ? csv_path : md_path);
    }
    fprintf(md, "# Scaling: time and cost against the number of functions\n\n"
                "Hardware efficiency: first_epoch_s, the virtual time of the first epoch (every "
                "function starts cold), and warm_epoch_s, the mean of the later epochs (warm "
                "containers); epoch_speedup over the same rule with one function, of warm epochs "
                "where both runs have them. Statistical efficiency: epochs_to_target. "
                "time_to_target_s is their product, target_speedup its speed-up; cost_usd is the "
                "run's bill (to the target, or to its last epoch when it did not reach it).\n");
    fprintf(csv, "section,workload,platform,rule,n,epochs,reached_target,first_epoch_s,"
                 "warm_epoch_s,epoch_speedup,time_to_target_s,target_speedup,cost_usd\n");
    int rc = SIREN_OK;
    for (size_t i = 0; i < rows->n && !rc; i++) {
        const struct suite_row *r = &rows->v[i];
        int first = r->series[0] != 0;
        for (size_t k = 0; k < i && first; k++)
            first = !(same_group(&rows->v[k], r) && rows->v[k].series[0]);
        if (!first) continue;
        group_table(rows, i, md, csv);
        if (plots) rc = group_figure(rows, i, dir, e);
    }
    int bad = fclose(md) | fclose(csv);
    if (!rc && bad) rc = err_errno(e, errno, "cannot write %s", md_path);
    return rc;
}

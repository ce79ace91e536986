/*
 * The suite's result model: rows read from run directories, written as table.md (one table per
 * section), table.csv and table.json, and read back from table.json.
 */
#include "suite_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct suite_row *suite_rows_add(struct suite_rows *rows)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? 2 * rows->cap : 16;
        struct suite_row *v = realloc(rows->v, cap * sizeof *v);
        if (!v) return NULL;
        rows->v = v;
        rows->cap = cap;
    }
    struct suite_row *r = &rows->v[rows->n++];
    memset(r, 0, sizeof *r);
    r->budget_usd = r->time_to_target_s = r->total_time_s = r->cost_usd = NAN;
    r->final_loss = r->test_accuracy = r->ratio_to_oracle = r->time_reduction_pct = NAN;
    r->x = r->epoch_time_s = r->first_epoch_s = NAN;
    return r;
}

void suite_rows_free(struct suite_rows *rows)
{
    if (!rows) return;
    for (size_t i = 0; i < rows->n; i++) free(rows->v[i].curve);
    free(rows->v);
    memset(rows, 0, sizeof *rows);
}

void suite_row_id(const struct suite_row *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s/%s/%s", r->section, r->workload, r->platform, r->label);
}

/* A JSON number, or NAN for null or a missing key. */
static double number_or_nan(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}

static int read_curve(struct suite_row *r, const char *path, struct err *e)
{
    char *text = NULL;
    size_t len;
    int rc = fs_read_all(path, &text, &len, e);
    if (rc) return rc;
    int c_time = csv_column(text, "time_s"), c_cost = csv_column(text, "cost_usd"),
        c_loss = csv_column(text, "test_loss");
    if (c_time < 0 || c_cost < 0 || c_loss < 0) {
        free(text);
        return err_set(e, SIREN_EFORMAT, "%s line 1: expected columns time_s, cost_usd and "
                                         "test_loss in the header", path);
    }
    size_t lines = 0;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    r->curve = calloc(lines + 1, sizeof *r->curve);
    if (!r->curve) {
        free(text);
        return err_set(e, SIREN_ENOMEM, "%s: no memory for %zu epochs", path, lines);
    }
    double time_s = 0, cost_usd = 0;
    int lineno = 1;
    for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        const char *line = p + 1;
        lineno++;
        double t, c, l;
        if (csv_number(line, c_time, &t) || csv_number(line, c_cost, &c) ||
            csv_number(line, c_loss, &l)) {
            free(text);
            return err_set(e, SIREN_EFORMAT, "%s line %d: expected numbers in columns time_s, "
                                             "cost_usd and test_loss", path, lineno);
        }
        time_s += t;
        cost_usd += c;
        r->curve[r->n_curve++] = (struct suite_point){time_s, cost_usd, l};
    }
    free(text);
    return 0;
}

int suite_row_read_run(struct suite_row *r, const char *run_dir, struct err *e)
{
    char path[1200];
    cJSON *s = NULL;
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    int rc = json_load_file(path, &s, e);
    if (rc) return rc;
    long long epochs = 0;
    int reached = 0;
    if ((rc = json_get_int(s, "epochs", path, &epochs, e)) ||
        (rc = json_get_bool(s, "reached_target", path, &reached, e))) {
        cJSON_Delete(s);
        return rc;
    }
    r->epochs = (int)epochs;
    r->reached_target = reached;
    r->time_to_target_s = number_or_nan(s, "time_to_target_s");
    r->total_time_s = number_or_nan(s, "total_time_s");
    r->cost_usd = number_or_nan(s, "cost_usd");
    r->final_loss = number_or_nan(s, "final_loss");
    r->test_accuracy = number_or_nan(s, "test_accuracy");
    cJSON_Delete(s);
    if (isnan(r->total_time_s) || isnan(r->cost_usd))
        return err_set(e, SIREN_EFORMAT, "%s: expected numbers total_time_s and cost_usd", path);
    snprintf(r->run_dir, sizeof r->run_dir, "%s", run_dir);
    snprintf(path, sizeof path, "%s/epochs.csv", run_dir);
    free(r->curve);
    r->curve = NULL;
    r->n_curve = 0;
    if ((rc = read_curve(r, path, e))) return rc;
    /* The first epoch (cold), and the mean of the later ones (warm containers). */
    double sum = 0;
    for (int k = 1; k < r->n_curve; k++) sum += r->curve[k].time_s - r->curve[k - 1].time_s;
    r->first_epoch_s = r->n_curve ? r->curve[0].time_s : (double)NAN;
    r->epoch_time_s = r->n_curve > 1 ? sum / (r->n_curve - 1) : (double)NAN;
    return SIREN_OK;
}

/* ------------------------------------------------------------------ writing */

static const char *const columns[] = {
    "section",      "workload",      "platform",   "config",          "kind",
    "budget_usd",   "epochs",        "time_to_target_s", "total_time_s", "cost_usd",
    "final_loss",   "test_accuracy", "reached_target",   "ratio_to_oracle", "same_cost_as",
    "time_reduction_pct", "run_dir"};
enum { NCOLS = sizeof columns / sizeof *columns };

/* The value of figure column c of r as text; precise for CSV, readable for markdown (with
 * `decimals` digits after the point; a sign for differences). */
static void cell(const struct suite_row *r, int c, int precise, char *buf, size_t len)
{
    double v = NAN;
    int decimals = 4, sign = 0;
    switch (c) {
    case 0: snprintf(buf, len, "%s", r->section); return;
    case 1: snprintf(buf, len, "%s", r->workload); return;
    case 2: snprintf(buf, len, "%s", r->platform); return;
    case 3: snprintf(buf, len, "%s", r->label); return;
    case 4: snprintf(buf, len, "%s", r->kind); return;
    case 5: v = r->budget_usd, decimals = 6; break;
    case 6: snprintf(buf, len, "%d", r->epochs); return;
    case 7: v = r->time_to_target_s, decimals = 3; break;
    case 8: v = r->total_time_s, decimals = 3; break;
    case 9: v = r->cost_usd, decimals = 6; break;
    case 10: v = r->final_loss; break;
    case 11: v = r->test_accuracy; break;
    case 12: snprintf(buf, len, "%s", r->reached_target ? "yes" : "no"); return;
    case 13: v = r->ratio_to_oracle, decimals = 3; break;
    case 14: snprintf(buf, len, "%s", r->same_cost_as); return;
    case 15: v = r->time_reduction_pct, decimals = 1, sign = 1; break;
    default: snprintf(buf, len, "%s", r->run_dir); return;
    }
    if (isnan(v)) snprintf(buf, len, "%s", precise ? "" : "-");
    else if (precise) snprintf(buf, len, "%.9g", v);
    else snprintf(buf, len, sign ? "%+.*f" : "%.*f", decimals, v);
}

/* Markdown: one table per section, without the section and run_dir columns, nor the columns
 * that are empty in every row of the section (no budgets in a toy run, no same-cost runs). */
static int add_section_table(const struct suite_rows *rows, const char *section,
                             const cJSON *sections, FILE *f)
{
    int keep[NCOLS] = {0}, ncols = 0;
    const char *names[NCOLS];
    for (int c = 1; c < NCOLS - 1; c++) {
        for (size_t i = 0; i < rows->n && !keep[c]; i++) {
            char buf[1100];
            if (strcmp(rows->v[i].section, section)) continue;
            cell(&rows->v[i], c, 1, buf, sizeof buf);
            keep[c] = buf[0] != 0;
        }
        if (keep[c]) names[ncols++] = columns[c];
    }
    struct table t;
    if (table_init(&t, ncols, names)) return SIREN_ENOMEM;
    for (size_t i = 0; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (strcmp(r->section, section)) continue;
        if (table_add_row(&t)) {
            table_free(&t);
            return SIREN_ENOMEM;
        }
        for (int c = 1, k = 0; c < NCOLS - 1; c++) {
            if (!keep[c]) continue;
            char buf[1100];
            cell(r, c, 0, buf, sizeof buf);
            table_setf(&t, t.nrows - 1, k++, "%s", buf);
        }
    }
    fprintf(f, "## %s\n\n", section);
    const cJSON *sec;
    cJSON_ArrayForEach(sec, sections)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(sec, "name");
        const cJSON *title = cJSON_GetObjectItemCaseSensitive(sec, "title");
        if (cJSON_IsString(name) && !strcmp(name->valuestring, section) && cJSON_IsString(title))
            fprintf(f, "%s.\n\n", title->valuestring);
    }
    table_write_markdown(&t, f);
    fprintf(f, "\n");
    table_free(&t);
    return 0;
}

static int write_markdown(const struct suite_rows *rows, const cJSON *sections, FILE *f)
{
    for (size_t i = 0; i < rows->n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(rows->v[k].section, rows->v[i].section);
        if (!seen && add_section_table(rows, rows->v[i].section, sections, f)) return SIREN_ENOMEM;
    }
    return 0;
}

static void add_number(cJSON *o, const char *key, double v)
{
    if (isnan(v)) cJSON_AddNullToObject(o, key);
    else cJSON_AddNumberToObject(o, key, v);
}

static cJSON *rows_to_json(const struct suite_rows *rows)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "section", r->section);
        cJSON_AddStringToObject(o, "workload", r->workload);
        cJSON_AddStringToObject(o, "platform", r->platform);
        cJSON_AddStringToObject(o, "config", r->label);
        cJSON_AddStringToObject(o, "kind", r->kind);
        add_number(o, "budget_usd", r->budget_usd);
        cJSON_AddNumberToObject(o, "epochs", r->epochs);
        add_number(o, "time_to_target_s", r->time_to_target_s);
        add_number(o, "total_time_s", r->total_time_s);
        add_number(o, "cost_usd", r->cost_usd);
        add_number(o, "final_loss", r->final_loss);
        add_number(o, "test_accuracy", r->test_accuracy);
        cJSON_AddBoolToObject(o, "reached_target", r->reached_target);
        add_number(o, "ratio_to_oracle", r->ratio_to_oracle);
        if (r->same_cost_as[0]) cJSON_AddStringToObject(o, "same_cost_as", r->same_cost_as);
        else cJSON_AddNullToObject(o, "same_cost_as");
        add_number(o, "time_reduction_pct", r->time_reduction_pct);
        cJSON_AddStringToObject(o, "run_dir", r->run_dir);
    }
    return a;
}

int suite_write_tables(const struct suite_rows *rows, const char *dir, const char *suite,
                       const char *header, const cJSON *sections, int print, struct err *e)
{
    char path[1200];
    /* table.md: header lines, then the sections. Written whole into memory first so that a
     * failure leaves the previous file, never half of a new one. */
    char *md = NULL;
    size_t md_len = 0;
    FILE *f = open_memstream(&md, &md_len);
    if (!f) return err_errno(e, errno, "cannot build table.md");
    if (header) fprintf(f, "%s\n", header);
    else fprintf(f, "<!-- siren bench %s -->\n\n", suite);
    int rc = write_markdown(rows, sections, f);
    fclose(f);
    if (rc) {
        free(md);
        return err_set(e, rc, "no memory for table.md");
    }
    snprintf(path, sizeof path, "%s/table.md", dir);
    rc = fs_write_atomic(path, md, md_len, e);
    if (!rc && print) fputs(md, stdout);
    free(md);
    if (rc) return rc;

    struct table t;
    if (table_init(&t, NCOLS, columns)) return err_set(e, SIREN_ENOMEM, "no memory for table.csv");
    for (size_t i = 0; i < rows->n; i++) {
        if (table_add_row(&t)) {
            table_free(&t);
            return err_set(e, SIREN_ENOMEM, "no memory for table.csv");
        }
        for (int c = 0; c < NCOLS; c++) {
            char buf[1100];
            cell(&rows->v[i], c, 1, buf, sizeof buf);
            table_setf(&t, i, c, "%s", buf);
        }
    }
    char *csv = NULL;
    size_t csv_len = 0;
    f = open_memstream(&csv, &csv_len);
    if (!f) {
        table_free(&t);
        return err_errno(e, errno, "cannot build table.csv");
    }
    table_write_csv(&t, f);
    fclose(f);
    table_free(&t);
    snprintf(path, sizeof path, "%s/table.csv", dir);
    rc = fs_write_atomic(path, csv, csv_len, e);
    free(csv);
    if (rc) return rc;

    cJSON *a = rows_to_json(rows);
    if (!a) return err_set(e, SIREN_ENOMEM, "no memory for table.json");
    snprintf(path, sizeof path, "%s/table.json", dir);
    rc = json_write_file(path, a, e);
    cJSON_Delete(a);
    return rc;
}

static void copy_string(const cJSON *o, const char *key, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(buf, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int suite_read_table_json(const char *path, struct suite_rows *rows, struct err *e)
{
    cJSON *a = NULL;
    int rc = json_load_file(path, &a, e);
    if (rc) return rc;
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return err_set(e, SIREN_EFORMAT, "%s: expected an array of rows", path);
    }
    int i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, a)
    {
        char where[1300];
        snprintf(where, sizeof where, "%s row %d", path, i++);
        const char *section, *config;
        if ((rc = json_get_string(o, "section", where, &section, e)) ||
            (rc = json_get_string(o, "config", where, &config, e)))
            break;
        struct suite_row *r = suite_rows_add(rows);
        if (!r) {
            rc = err_set(e, SIREN_ENOMEM, "%s: no memory", path);
            break;
        }
        snprintf(r->section, sizeof r->section, "%s", section);
        snprintf(r->label, sizeof r->label, "%s", config);
        copy_string(o, "workload", r->workload, sizeof r->workload);
        copy_string(o, "platform", r->platform, sizeof r->platform);
        copy_string(o, "kind", r->kind, sizeof r->kind);
        copy_string(o, "same_cost_as", r->same_cost_as, sizeof r->same_cost_as);
        copy_string(o, "run_dir", r->run_dir, sizeof r->run_dir);
        r->budget_usd = number_or_nan(o, "budget_usd");
        double epochs = number_or_nan(o, "epochs");
        r->epochs = isnan(epochs) ? 0 : (int)epochs;
        r->time_to_target_s = number_or_nan(o, "time_to_target_s");
        r->total_time_s = number_or_nan(o, "total_time_s");
        r->cost_usd = number_or_nan(o, "cost_usd");
        r->final_loss = number_or_nan(o, "final_loss");
        r->test_accuracy = number_or_nan(o, "test_accuracy");
        r->reached_target = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "reached_target"));
        r->ratio_to_oracle = number_or_nan(o, "ratio_to_oracle");
        r->time_reduction_pct = number_or_nan(o, "time_reduction_pct");
    }
    cJSON_Delete(a);
    return rc;
}

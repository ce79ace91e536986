/*
 * Regression checks: a suite's rows against committed expected values (results/ci/expected.json).
 * Virtual-clock times and costs depend only on the planner, the platform preset and the
 * committed calibration, so they must match to the last printed digit (relative 1e-9 absorbs
 * nothing but decimal printing); losses and accuracies come from floating-point training and
 * get a small absolute tolerance.
 */
#include "suite_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct figure {
    const char *name;
    double abs_tol, rel_tol; /* the defaults written by suite_write_expected */
};

static const struct figure figures[] = {
    {"epochs", 0, 0},          {"reached_target", 0, 0},   {"time_to_target_s", 0, 1e-9},
    {"total_time_s", 0, 1e-9}, {"cost_usd", 0, 1e-9},      {"ratio_to_oracle", 0, 1e-9},
    {"final_loss", 1e-4, 0},   {"test_accuracy", 1e-3, 0},
};
enum { NFIGURES = sizeof figures / sizeof *figures };

static double figure_value(const struct suite_row *r, const char *name)
{
    if (!strcmp(name, "epochs")) return r->epochs;
    if (!strcmp(name, "reached_target")) return r->reached_target;
    if (!strcmp(name, "time_to_target_s")) return r->time_to_target_s;
    if (!strcmp(name, "total_time_s")) return r->total_time_s;
    if (!strcmp(name, "cost_usd")) return r->cost_usd;
    if (!strcmp(name, "ratio_to_oracle")) return r->ratio_to_oracle;
    if (!strcmp(name, "final_loss")) return r->final_loss;
    return r->test_accuracy;
}

static const struct suite_row *find_row(const struct suite_rows *rows, const char *id)
{
    char buf[512];
    for (size_t i = 0; i < rows->n; i++) {
        suite_row_id(&rows->v[i], buf, sizeof buf);
        if (!strcmp(buf, id)) return &rows->v[i];
    }
    return NULL;
}

/* The tolerance of a figure: the file's "tolerances" entry, else the default. */
static int tolerance(const cJSON *tols, const struct figure *f, double *abs_tol, double *rel_tol,
                     const char *path, struct err *e)
{
    *abs_tol = f->abs_tol;
    *rel_tol = f->rel_tol;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(tols, f->name);
    if (!t) return 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, "abs");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(t, "rel");
    if ((a && (!cJSON_IsNumber(a) || a->valuedouble < 0)) ||
        (r && (!cJSON_IsNumber(r) || r->valuedouble < 0)))
        return err_set(e, SIREN_EFORMAT, "%s: key 'tolerances.%s': expected {\"abs\": X} and/or "
                                         "{\"rel\": X} with X >= 0", path, f->name);
    *abs_tol = a ? a->valuedouble : 0;
    *rel_tol = r ? r->valuedouble : 0;
    return 0;
}

int suite_check_expected(const struct suite_rows *rows, const char *path, int *failures,
                         struct err *e)
{
    *failures = 0;
    cJSON *root = NULL;
    int rc = json_load_file(path, &root, e);
    if (rc) return rc;
    const cJSON *tols = cJSON_GetObjectItemCaseSensitive(root, "tolerances");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(root, "rows");
    if (!cJSON_IsObject(expected) || (tols && !cJSON_IsObject(tols))) {
        cJSON_Delete(root);
        return err_set(e, SIREN_EFORMAT, "%s: expected an object 'rows' (row id -> figures) and "
                                         "an optional object 'tolerances'", path);
    }
    const cJSON *want;
    cJSON_ArrayForEach(want, expected)
    {
        const struct suite_row *r = find_row(rows, want->string);
        if (!r) {
            fprintf(stderr, "regression: %s: no such row in this run (expected by %s)\n",
                    want->string, path);
            ++*failures;
            continue;
        }
        const cJSON *v;
        cJSON_ArrayForEach(v, want)
        {
            const struct figure *f = NULL;
            for (int k = 0; k < NFIGURES && !f; k++)
                if (!strcmp(figures[k].name, v->string)) f = &figures[k];
            if (!f || !(cJSON_IsNumber(v) || cJSON_IsNull(v) || cJSON_IsBool(v))) {
                rc = err_set(e, SIREN_EFORMAT, "%s: key 'rows.%s.%s': expected one of epochs, "
                                               "reached_target, time_to_target_s, total_time_s, "
                                               "cost_usd, ratio_to_oracle, final_loss, "
                                               "test_accuracy with a number, bool or null",
                             path, want->string, v->string);
                cJSON_Delete(root); /* after the message: it names keys of root */
                return rc;
            }
            double abs_tol, rel_tol;
            if ((rc = tolerance(tols, f, &abs_tol, &rel_tol, path, e))) {
                cJSON_Delete(root);
                return rc;
            }
            double x = cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? cJSON_IsTrue(v) : (double)NAN;
            double a = figure_value(r, f->name);
            int ok = isnan(x) ? isnan(a) : !isnan(a) && fabs(a - x) <= abs_tol + rel_tol * fabs(x);
            if (!ok) {
                fprintf(stderr, "regression: %s: %s %.10g expected %.10g (tolerance abs %g, rel %g; "
                                "%s)\n", want->string, f->name, a, x, abs_tol, rel_tol, path);
                ++*failures;
            }
        }
    }
    cJSON_Delete(root);
    return 0;
}

int suite_write_expected(const struct suite_rows *rows, const char *path, struct err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *tols = cJSON_AddObjectToObject(root, "tolerances");
    cJSON *out = cJSON_AddObjectToObject(root, "rows");
    if (!root || !tols || !out) {
        cJSON_Delete(root);
        return err_set(e, SIREN_ENOMEM, "no memory for %s", path);
    }
    cJSON_AddStringToObject(root, "format", "siren-bench-expected-1");
    cJSON_AddStringToObject(root, "commit", build_commit());
    for (int k = 0; k < NFIGURES; k++) {
        cJSON *t = cJSON_AddObjectToObject(tols, figures[k].name);
        cJSON_AddNumberToObject(t, "abs", figures[k].abs_tol);
        cJSON_AddNumberToObject(t, "rel", figures[k].rel_tol);
    }
    for (size_t i = 0; i < rows->n; i++) {
        char id[512];
        suite_row_id(&rows->v[i], id, sizeof id);
        cJSON *o = cJSON_AddObjectToObject(out, id);
        for (int k = 0; o && k < NFIGURES; k++) {
            double v = figure_value(&rows->v[i], figures[k].name);
            if (!strcmp(figures[k].name, "reached_target")) cJSON_AddBoolToObject(o, figures[k].name, v != 0);
            else if (isnan(v)) cJSON_AddNullToObject(o, figures[k].name);
            else cJSON_AddNumberToObject(o, figures[k].name, v);
        }
    }
    int rc = json_write_file(path, root, e);
    cJSON_Delete(root);
    return rc;
}

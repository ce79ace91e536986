/*
 * siren plot RUN_DIR...: the suite figures (loss vs time, loss vs cost, time vs cost) for any run
 * directories written by `siren run` or `siren ps`, one line or point per run, labelled with
 * --label or the run's scheduler.
 */
#include "bench.h"
#include "suite_internal.h"

#include <string.h>

static const struct opt_use plot_opts[] = {
    {.id = OPT_OUT, .def = "the current directory"}, {.id = OPT_LABEL}, {.id = OPT_HELP},
};

static const char plot_help[] =
    "usage: siren plot [--out DIR] [--label L]... RUN_DIR...\n\n"
    "Draws loss vs virtual time, loss vs cost and time vs cost (gnuplot PNGs and their\n"
    ".gp scripts) for the runs, grouped by workload and platform. The time-cost figure\n"
    "joins the Pareto front of the runs and, for up to 12 runs, names each beside its point.\n\n";

/* The labels of the runs, in the order of RUN_DIR. */
struct plot_labels {
    const char *v[64];
    int n;
};

static int plot_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct plot_labels *l = ctx;
    if (v->id == OPT_LABEL) {
        if (l->n == 64) return err_set(e, SIREN_EUSAGE, "at most 64 labels");
        l->v[l->n++] = v->text;
    }
    return SIREN_OK;
}

static const struct bench_cli plot_cli = BENCH_CLI("plot", plot_opts, plot_opt, plot_help);

int bench_plot_main(int argc, char **argv)
{
    struct bench_args a = {.out = "."};
    struct plot_labels labels = {.n = 0};
    struct err e = {0};
    int first;
    int rc = bench_args_parse(&plot_cli, argc, argv, &a, &labels, &first);
    if (rc != OPT_GO_ON) return rc;
    if (first == argc) {
        bench_help_write(&plot_cli, stderr);
        return 2;
    }
    struct suite_rows rows = {0};
    rc = fs_mkdir_p(a.out, &e);
    for (int i = first; i < argc && !rc; i++) {
        struct suite_row *r = suite_rows_add(&rows);
        if (!r) {
            rc = err_set(&e, SIREN_ENOMEM, "no memory");
            break;
        }
        if ((rc = suite_row_read_run(r, argv[i], &e))) break;
        /* Workload, platform and scheduler label the run; summary.json was read once already
         * and is valid JSON. */
        char path[1200];
        cJSON *s = NULL;
        snprintf(path, sizeof path, "%s/summary.json", argv[i]);
        if ((rc = json_load_file(path, &s, &e))) break;
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(s, "workload"),
                    *p = cJSON_GetObjectItemCaseSensitive(s, "platform"),
                    *sc = cJSON_GetObjectItemCaseSensitive(s, "scheduler");
        snprintf(r->workload, sizeof r->workload, "%s", cJSON_IsString(w) ? w->valuestring : "run");
        snprintf(r->platform, sizeof r->platform, "%s", cJSON_IsString(p) ? p->valuestring : "");
        int k = i - first;
        snprintf(r->label, sizeof r->label, "%s",
                 k < labels.n ? labels.v[k] : cJSON_IsString(sc) ? sc->valuestring : argv[i]);
        cJSON_Delete(s);
    }
    if (!rc) rc = suite_plot(&rows, a.out, &e);
    suite_rows_free(&rows);
    if (rc) {
        fprintf(stderr, "siren plot: %s\n", e.msg[0] ? e.msg : err_str(e.code));
        return 1;
    }
    fprintf(stderr, "siren plot: figures in %s\n", a.out);
    return 0;
}

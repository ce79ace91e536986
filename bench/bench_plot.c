/*
 * siren plot RUN_DIR...: the suite figures (loss vs time, loss vs cost, time vs cost) for any run
 * directories written by `siren run` or `siren ps`, one line or point per run, labelled with
 * --label or the run's scheduler.
 */
#include "bench.h"
#include "suite_internal.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: siren plot [--out DIR] [--label L]... RUN_DIR...\n\n"
               "Draws loss vs virtual time, loss vs cost and time vs cost (gnuplot PNGs and their\n"
               ".gp scripts) for the runs, grouped by workload and platform, into --out (default\n"
               "the current directory). Each --label names the run in the same position; the\n"
               "default is the run's scheduler from its summary.json.\n");
}

int bench_plot_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'}, {"label", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0},
    };
    const char *out = ".", *labels[64];
    int nlabels = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:l:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'l':
            if (nlabels == 64) {
                fprintf(stderr, "siren plot: at most 64 labels\n");
                return 2;
            }
            labels[nlabels++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind == argc) {
        usage(stderr);
        return 2;
    }
    struct suite_rows rows = {0};
    struct err e = {0};
    int rc = fs_mkdir_p(out, &e);
    for (int i = optind; i < argc && !rc; i++) {
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
        int k = i - optind;
        snprintf(r->label, sizeof r->label, "%s",
                 k < nlabels ? labels[k] : cJSON_IsString(sc) ? sc->valuestring : argv[i]);
        cJSON_Delete(s);
    }
    if (!rc) rc = suite_plot(&rows, out, &e);
    suite_rows_free(&rows);
    if (rc) {
        fprintf(stderr, "siren plot: %s\n", e.msg[0] ? e.msg : err_str(e.code));
        return 1;
    }
    fprintf(stderr, "siren plot: figures in %s\n", out);
    return 0;
}

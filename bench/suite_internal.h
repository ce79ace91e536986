/*
 * The suite runner's pieces, private to bench/. A suite file (bench/suites/NAME.json) lists
 * sections; each runs the same runs for each of its workloads by launching siren's own
 * commands (`siren run`, `mpirun siren ps`, `siren sched eval`) and reading back what they wrote.
 * Every run becomes one or more suite_rows: the one result model, written as markdown, CSV and
 * JSON (suite_report.c), drawn by gnuplot (suite_plot.c) and compared with expected values
 * (suite_check.c). Rows own their curves; release a list with suite_rows_free().
 */
#ifndef SIREN_BENCH_SUITE_INTERNAL_H
#define SIREN_BENCH_SUITE_INTERNAL_H

#include <stdio.h>

#include "core.h"

/* One point of a run's loss curve: after an epoch, the run's cumulative virtual time and cost
 * and the held-out loss. */
struct suite_point {
    double time_s, cost_usd, loss;
};

/* One configuration's result. NAN marks a figure that does not apply (no budget, target not
 * reached, not simulated, no EC2 run to compare with). */
struct suite_row {
    char section[48], workload[48], platform[48];
    char label[160];      /* the configuration, e.g. "20 functions", "m4.large x 2", "drl" */
    char kind[16];        /* "emulator", "simulator" or "ec2-ps" */
    char same_cost_as[64]; /* label of the EC2 run whose cost was this run's budget, or "" */
    char run_dir[1024];   /* where the run's own outputs are; "" for simulator rows */
    int epochs, reached_target;
    double budget_usd, time_to_target_s, total_time_s, cost_usd, final_loss, test_accuracy;
    double ratio_to_oracle;   /* simulator rows: JCT / the oracle's JCT at the same budget */
    double time_reduction_pct; /* same-cost rows: 100 * (1 - JCT / the EC2 run's JCT) */
    struct suite_point *curve;
    int n_curve;
    /* A run of a matrix (suite_scaling.c): its series (e.g. the update rule) and its x (e.g.
     * the number of functions); series "" when it is none's. */
    char series[48];
    double x;
    double first_epoch_s; /* time of its first epoch (every function cold), s */
    double epoch_time_s;  /* mean time of its epochs after the first (warm), s; NAN with one */
};

struct suite_rows {
    struct suite_row *v;
    size_t n, cap;
};

/* Appends a zeroed row with every NAN-able figure set to NAN; returns it or NULL (no memory). */
struct suite_row *suite_rows_add(struct suite_rows *rows);
void suite_rows_free(struct suite_rows *rows);
/* "section/workload/platform/label": how expected values find their row. */
void suite_row_id(const struct suite_row *r, char *buf, size_t len);

/* Fills r's figures and curve from a run directory written by `siren run` or `siren ps`
 * (summary.json, epochs.csv). Errors: SIREN_ENOTFOUND, SIREN_EFORMAT naming the file. */
int suite_row_read_run(struct suite_row *r, const char *run_dir, struct err *e) SIREN_WUR;

/* The three tables of a result directory: table.md (with the header lines: machine, commit,
 * date, calibration, presets), table.csv and table.json. header: markdown lines written above
 * the tables (may be NULL); sections: the suite file's "sections" array, whose titles head the
 * tables (may be NULL). The markdown is also printed on stdout when print is set. */
int suite_write_tables(const struct suite_rows *rows, const char *dir, const char *suite,
                       const char *header, const cJSON *sections, int print,
                       struct err *e) SIREN_WUR;
/* Reads table.json back (for `siren bench ci --check DIR`). Curves are not read. */
int suite_read_table_json(const char *path, struct suite_rows *rows, struct err *e) SIREN_WUR;

/* Draws, per (section, workload, platform) group of rows, loss vs time and loss vs cost (rows
 * with a curve) and time vs cost (one point per configuration) as PNGs in dir with gnuplot;
 * the .gp scripts stay beside them. Files: SECTION-WORKLOAD-PLATFORM-loss-time.png (and
 * loss-cost, time-cost; no SECTION- for rows without a section). Errors: SIREN_ENOTFOUND when
 * gnuplot is missing, SIREN_EIO when it fails (naming the script). */
int suite_plot(const struct suite_rows *rows, const char *dir, struct err *e) SIREN_WUR;
/* s as a file-name part in buf (len bytes, truncated): letters, digits, '.' and '-' are
 * kept, anything else becomes '-'. Run directories (suite.c) and figure files (suite_plot.c)
 * take their names from labels, workloads and platforms through it. */
void suite_slug(const char *s, char *buf, size_t len);

/* Compares rows with an expected-values file (results/ci/expected.json). Every figure out of
 * its tolerance is printed on stderr, named ("ci/lr-synthetic/lambda-2019/hsp: cost_usd
 * 0.0123 expected 0.0122 (tolerance rel 1e-09)"); *failures gets their count. Errors: the
 * file's own (SIREN_EFORMAT naming key). */
int suite_check_expected(const struct suite_rows *rows, const char *expected_path,
                         int *failures, struct err *e) SIREN_WUR;
/* Writes an expected-values file from rows, with the default tolerances. */
int suite_write_expected(const struct suite_rows *rows, const char *path,
                         struct err *e) SIREN_WUR;

/* Expands every run of root's sections that has a "matrix" ({"key": [values...], ...}) into
 * one run per combination of values (the first key outermost), with "{key}" replaced by the
 * value in its label and args, and its "series" and "x" keys (names of matrix keys) recorded
 * for the scaling table. Errors: SIREN_EFORMAT naming the key. */
int suite_expand_matrices(cJSON *root, const char *path, struct err *e) SIREN_WUR;
/* The series and x of an expanded run (from suite_expand_matrices), into r. */
void suite_row_series(struct suite_row *r, const cJSON *run);
/* When rows have series: scaling.md and scaling.csv in dir (per section, workload and
 * platform: each series against x, with speed-ups over the series' x = 1 run) and, with plots,
 * SECTION-WORKLOAD-PLATFORM-scaling.png. Nothing when no row has a series. */
int suite_write_scaling(const struct suite_rows *rows, const char *dir, int plots,
                        struct err *e) SIREN_WUR;

/* ------------------------------------------------------------------ figures
 * The pieces every figure shares (suite_plot.c), so the suite's figures and the scaling figure
 * (suite_scaling.c) read alike. */

/* gnuplot: runs a script (SIREN_ENOTFOUND without gnuplot), and writes a figure's preamble
 * (terminal of width x height pixels, title, axis labels, grid, key outside on the right). */
int suite_gnuplot_run(const char *script, struct err *e) SIREN_WUR;
void suite_plot_preamble(FILE *f, const char *png, int width, int height, const char *title,
                         const char *xlabel, const char *ylabel);
void suite_put_quoted(FILE *f, const char *s);

/* The look of configuration i of a figure (i counts the configurations in their order, so a
 * configuration looks the same in each figure of its group): an RGB colour ("#rrggbb") and a
 * gnuplot point type, filled (target reached) or its hollow form (not reached). The pairs
 * (colour, shape) of i < SUITE_PLOT_STYLES are all different; later ones repeat them. */
#define SUITE_PLOT_STYLES 54
struct suite_plot_style {
    const char *colour;
    int pt_filled, pt_hollow;
};
struct suite_plot_style suite_plot_style(int i);

/* The values drawn along one axis, to choose its scale: logarithmic when every value is
 * positive and the largest is more than SUITE_PLOT_LOG_SPAN times the smallest, else linear
 * from an autoscaled minimum that never runs below zero (times, costs, losses and speed-ups are
 * never negative). NAN values are not counted. */
#define SUITE_PLOT_LOG_SPAN 30.0
struct suite_axis {
    double lo, hi; /* smallest and largest value; lo = +inf, hi = -inf with none */
    int n, nonpositive;
};
void suite_axis_init(struct suite_axis *a);
void suite_axis_add(struct suite_axis *a, double v);
int suite_axis_is_log(const struct suite_axis *a);
/* Writes the axis's scale: "set logscale NAME BASE" (BASE 10 when base < 2), or "set NAMErange
 * [0<*:*]"; name is "x" or "y". */
void suite_axis_write(FILE *f, const char *name, const struct suite_axis *a, int base);

/* One configuration's point of the time-cost figure. time_s is the time to the target when
 * reached, else the run's total time. style: its suite_plot_style() index. label: borrowed. */
struct suite_tc_point {
    const char *label;
    double cost_usd, time_s;
    int reached, style;
};
/* The Pareto front of time against cost: the points no other point beats on both (no more
 * time, no more cost, less of one), as indices into p by increasing cost (and decreasing time),
 * in front (room for n); returns their count. Only points that reached the target compete
 * (their time is the time to the target; the others' is not), unless none did: then all do.
 * Of points at the same place only the first is on the front. Points with a NAN are not. */
int suite_pareto_front(const struct suite_tc_point *p, int n, int *front);
/* Writes the gnuplot script of the time-cost figure of p[0..n) (finite values) to f, drawing
 * png: a marker per configuration in its style (hollow: target not reached), the Pareto front
 * as a dashed line through rings around its points (key "Pareto front"), and, with at most
 * SUITE_PLOT_MAX_LABELS points, each configuration's name beside its point, kept off the
 * markers and the other names where there is room (names of points at one place stack). The
 * axes follow suite_axis; the canvas grows with n so the key keeps one column. */
#define SUITE_PLOT_MAX_LABELS 12
void suite_time_cost_script(FILE *f, const char *png, const char *title,
                            const struct suite_tc_point *p, int n);

#endif

/*
 * The paper's figures from suite rows, drawn by gnuplot: per (section, workload, platform)
 * group, held-out loss against virtual time and against cost (one line per configuration with
 * an epoch-by-epoch curve), and time against cost (one point per configuration; the time to
 * the target loss where it was reached, else the run's total time, drawn hollow; the Pareto
 * front of the two drawn through them). Each figure is a self-contained .gp script (data
 * inline) kept beside its PNG, so it can be re-drawn. A configuration keeps its colour and
 * shape in every figure of its group; no two of a figure share both. An axis is logarithmic
 * where its values span decades, else it starts from an autoscaled value no lower than zero.
 */
#include "suite_internal.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Writes s as a gnuplot single-quoted string (a quote is doubled). */
void suite_put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

void suite_slug(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; *s && i + 1 < len; s++)
        buf[i++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                                  (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'
                              ? *s
                              : '-');
    buf[i] = 0;
}

static int same_group(const struct suite_row *a, const struct suite_row *b)
{
    return !strcmp(a->section, b->section) && !strcmp(a->workload, b->workload) &&
           !strcmp(a->platform, b->platform);
}

int suite_gnuplot_run(const char *script, struct err *e)
{
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (rc == ENOENT)
        return err_set(e, SIREN_ENOTFOUND, "gnuplot not found on PATH (Debian package "
                                           "gnuplot-nox); the tables were written, the figures "
                                           "were not");
    if (rc) return err_errno(e, rc, "cannot start gnuplot for %s", script);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return err_errno(e, errno, "waiting for gnuplot (%s)", script);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return err_set(e, SIREN_EIO, "gnuplot failed on %s (its message is above)", script);
    return 0;
}

void suite_plot_preamble(FILE *f, const char *png, int width, int height, const char *title,
                         const char *xlabel, const char *ylabel)
{
    fprintf(f, "# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.\n"
               "set terminal pngcairo size %d,%d noenhanced font ',10'\nset output ",
            width, height);
    suite_put_quoted(f, png);
    fprintf(f, "\nset title ");
    suite_put_quoted(f, title);
    fprintf(f, "\nset xlabel ");
    suite_put_quoted(f, xlabel);
    fprintf(f, "\nset ylabel ");
    suite_put_quoted(f, ylabel);
    /* The key beside the plot, each marker before its name and the names aligned left, so a
     * marker sits next to its name however long the longest is. */
    fprintf(f, "\nset grid\nset key outside right top Left reverse\n");
}

/* ------------------------------------------------------------------ styles and axes */

struct suite_plot_style suite_plot_style(int i)
{
    /* Okabe and Ito's colour-blind safe palette (its yellow, faint on white, swapped for a
     * brown) and a violet; six shapes: circle, square, triangle up and down, diamond, pentagon,
     * whose hollow forms are one less. Colour i mod 9 and shape (i + k) mod 6 in the k-th run of
     * lcm(9, 6) = 18: within a run the pairs differ (Chinese remainder), and the runs differ in
     * colour - shape mod gcd(9, 6) = 3, so the 54 pairs are all different, and each
     * configuration changes both colour and shape from the one before it. */
    static const char *const colour[9] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00",
                                          "#56b4e9", "#000000", "#8c564b", "#9467bd"};
    static const int filled[6] = {7, 5, 9, 11, 13, 15};
    if (i < 0) i = 0;
    int shape = (i + (i / 18) % 3) % 6;
    return (struct suite_plot_style){colour[i % 9], filled[shape], filled[shape] - 1};
}

void suite_axis_init(struct suite_axis *a)
{
    *a = (struct suite_axis){.lo = INFINITY, .hi = -INFINITY};
}

void suite_axis_add(struct suite_axis *a, double v)
{
    if (isnan(v)) return;
    if (v < a->lo) a->lo = v;
    if (v > a->hi) a->hi = v;
    a->n++;
    a->nonpositive += v <= 0;
}

int suite_axis_is_log(const struct suite_axis *a)
{
    return a->n > 0 && !a->nonpositive && isfinite(a->hi) && a->hi > SUITE_PLOT_LOG_SPAN * a->lo;
}

void suite_axis_write(FILE *f, const char *name, const struct suite_axis *a, int base)
{
    if (suite_axis_is_log(a)) fprintf(f, "set logscale %s %d\nset format %s '%%g'\n", name,
                                      base < 2 ? 10 : base, name);
    /* Autoscaled, but its minimum (and the offsets around the data) held at zero or above. */
    else fprintf(f, "set %srange [0<*:*]\n", name);
}

/* Where v falls along the axis, 0 (its smallest value) to 1 (its largest). */
static double axis_fraction(const struct suite_axis *a, double v)
{
    if (!(a->hi > a->lo)) return 0.5;
    if (suite_axis_is_log(a)) return (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

/* ------------------------------------------------------------------ time against cost */

/* 1 when p[a] comes before p[b]: cheaper, or as cheap and faster, or the same and earlier. */
static int before(const struct suite_tc_point *p, int a, int b)
{
    if (p[a].cost_usd != p[b].cost_usd) return p[a].cost_usd < p[b].cost_usd;
    if (p[a].time_s != p[b].time_s) return p[a].time_s < p[b].time_s;
    return a < b;
}

int suite_pareto_front(const struct suite_tc_point *p, int n, int *front)
{
    int any_reached = 0, m = 0;
    for (int i = 0; i < n; i++) any_reached |= p[i].reached && !isnan(p[i].cost_usd) &&
                                               !isnan(p[i].time_s);
    for (int i = 0; i < n; i++)
        if ((p[i].reached || !any_reached) && !isnan(p[i].cost_usd) && !isnan(p[i].time_s))
            front[m++] = i;
    for (int i = 1; i < m; i++) /* insertion sort: a figure has a few dozen points */
        for (int k = i; k > 0 && before(p, front[k], front[k - 1]); k--) {
            int t = front[k];
            front[k] = front[k - 1];
            front[k - 1] = t;
        }
    /* Walking by increasing cost, a point is on the front when it takes less time than every
     * cheaper (or equally cheap and earlier) point. */
    int k = 0;
    double best = INFINITY;
    for (int i = 0; i < m; i++)
        if (p[front[i]].time_s < best) {
            best = p[front[i]].time_s;
            front[k++] = front[i];
        }
    return k;
}

/* Label placement works in approximate pixels of the time-cost figure's plot area (its
 * canvas less the key and margins), with the data inset by the figure's offsets of 8 %: close
 * enough to keep names off each other and off the markers. */
#define LBL_PLOT_W 600.0   /* plot area, px */
#define LBL_PLOT_H 540.0
#define LBL_INSET 0.08     /* the figure's offsets, a fraction of the data's span */
#define LBL_CHAR_W 5.3     /* a character of the labels' 8 pt font, px */
#define LBL_LINE_H 15.5    /* gnuplot's "character" unit of height (the 10 pt font), px */
#define LBL_GAP 1.6        /* between a point and its name, characters */
#define LBL_MARK_R 12.0    /* half the size of a marker (ps 2) in its front ring, px */
#define LBL_MAX_SHIFT 12   /* lines a name may move away from its point */

struct lbl_box {
    double x0, y0, x1, y1;
};

static int lbl_overlap(const struct lbl_box *a, const struct lbl_box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* Names beside their points, in dark grey (a pale colour of the palette would not read as
 * text). Each goes on the first free place of: its point's line, then a line further down (in
 * the upper half of the figure) or up (lower half), and so on; on the point's right, or its
 * left in the right fifth of the figure (where a name would run into the key), then the other
 * side. Free: inside the plot area, clear of every other marker and every name placed before.
 * Names of points at one place so stack a line apart. When no place is free the name goes on
 * its point's line, on the preferred side. */
static void point_labels(FILE *f, const struct suite_tc_point *p, int n,
                         const struct suite_axis *x, const struct suite_axis *y)
{
    struct lbl_box placed[SUITE_PLOT_MAX_LABELS], mark[SUITE_PLOT_MAX_LABELS];
    double px[SUITE_PLOT_MAX_LABELS], py[SUITE_PLOT_MAX_LABELS];
    if (n > SUITE_PLOT_MAX_LABELS) return;
    for (int i = 0; i < n; i++) {
        /* y grows upwards here, as in the figure. */
        px[i] = LBL_PLOT_W * (LBL_INSET + axis_fraction(x, p[i].cost_usd)) / (1 + 2 * LBL_INSET);
        py[i] = LBL_PLOT_H * (LBL_INSET + axis_fraction(y, p[i].time_s)) / (1 + 2 * LBL_INSET);
        mark[i] = (struct lbl_box){px[i] - LBL_MARK_R, py[i] - LBL_MARK_R, px[i] + LBL_MARK_R,
                                   py[i] + LBL_MARK_R};
    }
    for (int i = 0; i < n; i++) {
        int pref_right = axis_fraction(x, p[i].cost_usd) > 0.8;
        int dir = axis_fraction(y, p[i].time_s) > 0.5 ? -1 : 1;
        double w = LBL_CHAR_W * (double)strlen(p[i].label), gap = LBL_CHAR_W * LBL_GAP;
        int side = pref_right, shift = 0, found = 0;
        for (int c = 0; c < 2 * (LBL_MAX_SHIFT + 1) && !found; c++) {
            int right = c <= LBL_MAX_SHIFT ? pref_right : !pref_right;
            int s = dir * (c % (LBL_MAX_SHIFT + 1));
            double x0 = right ? px[i] - gap - w : px[i] + gap, yc = py[i] + s * LBL_LINE_H;
            struct lbl_box b = {x0, yc - 0.4 * LBL_LINE_H, x0 + w, yc + 0.4 * LBL_LINE_H};
            int ok = b.x0 >= 0 && b.x1 <= LBL_PLOT_W && b.y0 >= 0 && b.y1 <= LBL_PLOT_H;
            for (int k = 0; k < n && ok; k++) /* its own point's marker is a gap away */
                ok = (p[k].cost_usd == p[i].cost_usd && p[k].time_s == p[i].time_s) ||
                     !lbl_overlap(&b, &mark[k]);
            for (int k = 0; k < i && ok; k++) ok = !lbl_overlap(&b, &placed[k]);
            if (ok) {
                side = right;
                shift = s;
                placed[i] = b;
                found = 1;
            }
        }
        if (!found) {
            double x0 = side ? px[i] - gap - w : px[i] + gap;
            placed[i] = (struct lbl_box){x0, py[i] - 0.4 * LBL_LINE_H, x0 + w,
                                         py[i] + 0.4 * LBL_LINE_H};
        }
        fprintf(f, "set label ");
        suite_put_quoted(f, p[i].label);
        fprintf(f, " at first %.9g, first %.9g %s offset character %s%.1f,%d font ',8' "
                   "textcolor rgb '#333333' front\n",
                p[i].cost_usd, p[i].time_s, side ? "right" : "left", side ? "-" : "", LBL_GAP,
                shift);
    }
}

void suite_time_cost_script(FILE *f, const char *png, const char *title,
                            const struct suite_tc_point *p, int n)
{
    /* Tall enough for the key to hold every configuration in one column. */
    int height = 110 + 16 * (n + 1) > 640 ? 110 + 16 * (n + 1) : 640;
    suite_plot_preamble(f, png, 1040, height, title, "cost (USD)",
                        "time to target loss (s); hollow: not reached, total time");
    struct suite_axis x, y;
    suite_axis_init(&x);
    suite_axis_init(&y);
    for (int i = 0; i < n; i++) {
        suite_axis_add(&x, p[i].cost_usd);
        suite_axis_add(&y, p[i].time_s);
        fprintf(f, "$p%d << EOD\n%.9g %.9g\nEOD\n", i, p[i].cost_usd, p[i].time_s);
    }
    int *front = malloc(sizeof *front * (size_t)(n ? n : 1));
    int nf = front ? suite_pareto_front(p, n, front) : 0;
    fprintf(f, "# The Pareto front: no other configuration is both faster and cheaper.\n"
               "$front << EOD\n");
    for (int i = 0; i < nf; i++)
        fprintf(f, "%.9g %.9g\n", p[front[i]].cost_usd, p[front[i]].time_s);
    fprintf(f, "EOD\n");
    free(front);
    suite_axis_write(f, "x", &x, 10);
    suite_axis_write(f, "y", &y, 10);
    point_labels(f, p, n, &x, &y);
    fprintf(f, "set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\nplot ");
    if (nf) fprintf(f, "$front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 "
                       "title 'Pareto front'");
    for (int i = 0; i < n; i++) {
        struct suite_plot_style st = suite_plot_style(p[i].style);
        fprintf(f, "%s$p%d with points pt %d ps 2 lc rgb '%s' title ", i || nf ? ", \\\n     " : "",
                i, p[i].reached ? st.pt_filled : st.pt_hollow, st.colour);
        char label[300];
        snprintf(label, sizeof label, "%s%s", p[i].label, p[i].reached ? "" : " (not reached)");
        suite_put_quoted(f, label);
    }
    fprintf(f, "\n");
}

/* ------------------------------------------------------------------ a group's figures */

/* Loss against cumulative time (x = 0) or cost (x = 1) for the group of rows[first]. */
static int curve_figure(const struct suite_rows *rows, size_t first, int x_is_cost,
                        const char *base, const char *title, struct err *e)
{
    char gp[1300], png[1300];
    snprintf(gp, sizeof gp, "%s-%s.gp", base, x_is_cost ? "loss-cost" : "loss-time");
    snprintf(png, sizeof png, "%s-%s.png", base, x_is_cost ? "loss-cost" : "loss-time");
    FILE *f = fopen(gp, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", gp);
    suite_plot_preamble(f, png, 960, 600, title, x_is_cost ? "cost (USD)" : "virtual time (s)",
                        "held-out loss");
    int n = 0;
    struct suite_axis ax, ay;
    suite_axis_init(&ax);
    suite_axis_init(&ay);
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first]) || !r->n_curve) continue;
        fprintf(f, "$d%d << EOD\n", n++);
        for (int k = 0; k < r->n_curve; k++) {
            double x = x_is_cost ? r->curve[k].cost_usd : r->curve[k].time_s;
            fprintf(f, "%.9g %.9g\n", x, r->curve[k].loss);
            suite_axis_add(&ax, x);
            suite_axis_add(&ay, r->curve[k].loss);
        }
        fprintf(f, "EOD\n");
    }
    /* Configurations differ by orders of magnitude (an EC2 run of milliseconds, Lambda runs of
     * seconds): a log axis keeps them all readable. */
    suite_axis_write(f, "x", &ax, 10);
    suite_axis_write(f, "y", &ay, 10);
    fprintf(f, "plot ");
    n = 0;
    int style = 0; /* the configuration's place in the group, curve or not */
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first])) continue;
        if (r->n_curve) {
            struct suite_plot_style st = suite_plot_style(style);
            fprintf(f, "%s$d%d with linespoints lw 2 pt %d ps 1.2 lc rgb '%s' title ",
                    n ? ", \\\n     " : "", n, st.pt_filled, st.colour);
            suite_put_quoted(f, r->label);
            n++;
        }
        style++;
    }
    fprintf(f, "\n");
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", gp);
    if (!n) unlink(gp); /* no configuration of the group has a curve (simulator rows) */
    return n ? suite_gnuplot_run(gp, e) : 0;
}

/* Time against cost, one point per configuration of the group of rows[first]. */
static int point_figure(const struct suite_rows *rows, size_t first, const char *base,
                        const char *title, struct err *e)
{
    char gp[1300], png[1300];
    snprintf(gp, sizeof gp, "%s-time-cost.gp", base);
    snprintf(png, sizeof png, "%s-time-cost.png", base);
    struct suite_tc_point *p = malloc(sizeof *p * (rows->n - first));
    if (!p) return err_set(e, SIREN_ENOMEM, "no memory for %s", gp);
    int n = 0, style = 0;
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first])) continue;
        double t = r->reached_target ? r->time_to_target_s : r->total_time_s;
        if (!isnan(t) && !isnan(r->cost_usd))
            p[n++] = (struct suite_tc_point){r->label, r->cost_usd, t, r->reached_target, style};
        style++;
    }
    if (!n) {
        free(p);
        return 0;
    }
    FILE *f = fopen(gp, "w");
    if (!f) {
        free(p);
        return err_errno(e, errno, "cannot create %s", gp);
    }
    suite_time_cost_script(f, png, title, p, n);
    free(p);
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", gp);
    return suite_gnuplot_run(gp, e);
}

int suite_plot(const struct suite_rows *rows, const char *dir, struct err *e)
{
    for (size_t i = 0; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = same_group(&rows->v[k], r);
        if (seen) continue;
        char s[3][64], base[1200], title[300];
        suite_slug(r->section, s[0], sizeof s[0]);
        suite_slug(r->workload, s[1], sizeof s[1]);
        suite_slug(r->platform, s[2], sizeof s[2]);
        snprintf(base, sizeof base, "%s/%s%s%s-%s", dir, s[0], s[0][0] ? "-" : "", s[1], s[2]);
        snprintf(title, sizeof title, "%s%s%s on %s", r->section, r->section[0] ? ": " : "",
                 r->workload, r->platform);
        int rc;
        if ((rc = curve_figure(rows, i, 0, base, title, e)) ||
            (rc = curve_figure(rows, i, 1, base, title, e)) ||
            (rc = point_figure(rows, i, base, title, e)))
            return rc;
    }
    return 0;
}

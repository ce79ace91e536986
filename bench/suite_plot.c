/*
 * The paper's figures from suite rows, drawn by gnuplot: per (section, workload, platform)
 * group, held-out loss against virtual time and against cost (one line per configuration with
 * an epoch-by-epoch curve), and time against cost (one point per configuration; the time to
 * the target loss where it was reached, else the run's total time, drawn hollow). Each figure
 * is a self-contained .gp script (data inline) kept beside its PNG, so it can be re-drawn.
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

void suite_plot_preamble(FILE *f, const char *png, const char *title, const char *xlabel,
                         const char *ylabel)
{
    fprintf(f, "# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.\n"
               "set terminal pngcairo size 960,600 noenhanced font ',10'\nset output ");
    suite_put_quoted(f, png);
    fprintf(f, "\nset title ");
    suite_put_quoted(f, title);
    fprintf(f, "\nset xlabel ");
    suite_put_quoted(f, xlabel);
    fprintf(f, "\nset ylabel ");
    suite_put_quoted(f, ylabel);
    fprintf(f, "\nset grid\nset key outside right top\n");
}

/* Loss against cumulative time (x = 0) or cost (x = 1) for the group of rows[first]. */
static int curve_figure(const struct suite_rows *rows, size_t first, int x_is_cost,
                        const char *base, const char *title, struct err *e)
{
    char gp[1300], png[1300];
    snprintf(gp, sizeof gp, "%s-%s.gp", base, x_is_cost ? "loss-cost" : "loss-time");
    snprintf(png, sizeof png, "%s-%s.png", base, x_is_cost ? "loss-cost" : "loss-time");
    FILE *f = fopen(gp, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", gp);
    suite_plot_preamble(f, png, title, x_is_cost ? "cost (USD)" : "virtual time (s)", "held-out loss");
    int n = 0;
    double xmin = INFINITY, xmax = 0;
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first]) || !r->n_curve) continue;
        fprintf(f, "$d%d << EOD\n", n++);
        for (int k = 0; k < r->n_curve; k++) {
            double x = x_is_cost ? r->curve[k].cost_usd : r->curve[k].time_s;
            fprintf(f, "%.9g %.9g\n", x, r->curve[k].loss);
            if (x > 0 && x < xmin) xmin = x;
            if (x > xmax) xmax = x;
        }
        fprintf(f, "EOD\n");
    }
    /* Configurations differ by orders of magnitude (an EC2 run of milliseconds, Lambda runs of
     * seconds): a log axis keeps them all readable. */
    if (xmin > 0 && xmax / xmin > 50) fprintf(f, "set logscale x\n");
    fprintf(f, "plot ");
    n = 0;
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first]) || !r->n_curve) continue;
        fprintf(f, "%s$d%d with linespoints lw 2 title ", n ? ", \\\n     " : "", n);
        suite_put_quoted(f, r->label);
        n++;
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
    FILE *f = fopen(gp, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", gp);
    suite_plot_preamble(f, png, title, "cost (USD)", "time to target loss (s); hollow: not reached, total time");
    int n = 0;
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {0, 0};
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first])) continue;
        double t = r->reached_target ? r->time_to_target_s : r->total_time_s;
        if (isnan(t) || isnan(r->cost_usd)) continue;
        fprintf(f, "$p%d << EOD\n%.9g %.9g\nEOD\n", n++, r->cost_usd, t);
        double v[2] = {r->cost_usd, t};
        for (int a = 0; a < 2; a++) {
            if (v[a] > 0 && v[a] < lo[a]) lo[a] = v[a];
            if (v[a] > hi[a]) hi[a] = v[a];
        }
    }
    if (lo[0] > 0 && hi[0] / lo[0] > 50) fprintf(f, "set logscale x\n");
    if (lo[1] > 0 && hi[1] / lo[1] > 50) fprintf(f, "set logscale y\n");
    fprintf(f, "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\nplot ");
    n = 0;
    for (size_t i = first; i < rows->n; i++) {
        const struct suite_row *r = &rows->v[i];
        if (!same_group(r, &rows->v[first])) continue;
        double t = r->reached_target ? r->time_to_target_s : r->total_time_s;
        if (isnan(t) || isnan(r->cost_usd)) continue;
        /* pt 7/5/9 filled circle/square/triangle, 6/4/8 their hollow forms. */
        static const int filled[] = {7, 5, 9, 11, 13}, hollow[] = {6, 4, 8, 10, 12};
        int pt = r->reached_target ? filled[n % 5] : hollow[n % 5];
        fprintf(f, "%s$p%d with points pt %d ps 2 title ", n ? ", \\\n     " : "", n, pt);
        char label[300];
        snprintf(label, sizeof label, "%s%s", r->label, r->reached_target ? "" : " (not reached)");
        suite_put_quoted(f, label);
        n++;
    }
    fprintf(f, "\n");
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", gp);
    return n ? suite_gnuplot_run(gp, e) : 0;
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

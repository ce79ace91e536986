/*
 * The figures' gnuplot scripts (bench/suite_plot.c, bench/suite_scaling.c): the Pareto front of
 * time against cost, in order; a (colour, shape) per configuration that no other shares; log
 * axes where values span decades and no axis below zero elsewhere; names beside few points; a
 * scaling figure without a run at one function still drawn. Where gnuplot is installed, every
 * script is also rendered and must give a PNG.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "suite_internal.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    struct err e;
    return fs_read_all(path, &text, &len, &e) ? NULL : text;
}

/* The script suite_time_cost_script writes for p[0..n). Caller frees. */
static char *time_cost_script(const struct suite_tc_point *p, int n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    suite_time_cost_script(f, "/nonexistent/figure.png", "a figure", p, n);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* How many times needle occurs in text. */
static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *s = strstr(text, needle); s; s = strstr(s + 1, needle)) n++;
    return n;
}

/* No "range [" of the script starts below zero. */
static void assert_no_negative_range(const char *text)
{
    for (const char *s = strstr(text, "range ["); s; s = strstr(s + 1, "range [")) {
        const char *v = s + strlen("range [");
        assert_true(*v != '-');
        if (*v != '*') assert_true(strtod(v, NULL) >= 0);
    }
}

/* An EC2 baseline three times, cheap Lambda configurations, one point dominated, one equal to
 * another, one that did not reach the target (cheaper and faster than all: not a contender). */
static const struct suite_tc_point g_points[] = {
    {"ec2 small", 0.004, 5.0, 1, 0},  {"ec2 medium", 0.008, 4.4, 1, 1},
    {"ec2 large", 0.016, 4.2, 1, 2},  {"lambda 10", 0.0002, 9.0, 1, 3},
    {"lambda 20", 0.0004, 6.0, 1, 4}, {"lambda 40", 0.0009, 6.5, 1, 5},
    {"lambda 20 again", 0.0004, 6.0, 1, 6}, {"too few epochs", 0.0001, 1.0, 0, 7},
};
enum { N_POINTS = sizeof g_points / sizeof g_points[0] };

static void test_pareto_front_is_the_undominated_points_by_increasing_cost(void **state)
{
    (void)state;
    int front[N_POINTS];
    int n = suite_pareto_front(g_points, N_POINTS, front);
    /* lambda 40 costs more and takes longer than lambda 20; lambda 20 again is where lambda 20
     * is; too few epochs did not reach the target. */
    static const int expected[] = {3, 4, 0, 1, 2};
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) assert_int_equal(front[i], expected[i]);
}

static void test_pareto_front_of_runs_none_reached_takes_them_all(void **state)
{
    (void)state;
    struct suite_tc_point p[] = {
        {"a", 2, 2, 0, 0}, {"b", 1, 3, 0, 1}, {"c", 3, 3, 0, 2}, {"d", NAN, 1, 0, 3}};
    int front[4];
    assert_int_equal(suite_pareto_front(p, 4, front), 2);
    assert_int_equal(front[0], 1);
    assert_int_equal(front[1], 0);
}

static void test_time_cost_script_joins_the_pareto_front_in_order(void **state)
{
    (void)state;
    char *gp = time_cost_script(g_points, N_POINTS);
    assert_non_null(strstr(gp, "$front << EOD\n0.0002 9\n0.0004 6\n0.004 5\n0.008 4.4\n"
                               "0.016 4.2\nEOD\n"));
    assert_non_null(strstr(gp, "$front with linespoints"));
    assert_non_null(strstr(gp, "title 'Pareto front'"));
    /* The front is drawn before the markers, which stay on top. */
    assert_true(strstr(gp, "$front with") < strstr(gp, "$p0 with"));
    free(gp);
}

static void test_no_two_configurations_share_colour_and_shape(void **state)
{
    (void)state;
    for (int i = 0; i < SUITE_PLOT_STYLES; i++)
        for (int k = 0; k < i; k++) {
            struct suite_plot_style a = suite_plot_style(i), b = suite_plot_style(k);
            assert_false(!strcmp(a.colour, b.colour) && a.pt_filled == b.pt_filled);
            /* The next configuration changes both, so neighbours in the key differ twice. */
            if (k == i - 1) assert_true(strcmp(a.colour, b.colour) && a.pt_filled != b.pt_filled);
            assert_int_equal(a.pt_hollow, a.pt_filled - 1);
        }
    /* And the script draws each configuration in its own pair. */
    char *gp = time_cost_script(g_points, N_POINTS);
    char seen[N_POINTS][48];
    int n = 0;
    for (const char *s = strstr(gp, "with points pt "); s; s = strstr(s + 1, "with points pt ")) {
        int pt;
        char colour[16];
        assert_int_equal(sscanf(s, "with points pt %d ps 2 lc rgb '%15[^']'", &pt, colour), 2);
        /* A hollow shape is its filled one less one: the pair is (colour, shape). */
        snprintf(seen[n], sizeof seen[n], "%s %d", colour, pt + (pt % 2 == 0));
        for (int k = 0; k < n; k++) assert_string_not_equal(seen[k], seen[n]);
        n++;
    }
    assert_int_equal(n, N_POINTS);
    /* The one that did not reach the target is hollow (its shape's even point type), and says
     * so. */
    assert_non_null(
        strstr(gp, "pt 4 ps 2 lc rgb '#8c564b' title 'too few epochs (not reached)'"));
    free(gp);
}

static void test_axes_spanning_decades_are_logarithmic_others_start_at_zero(void **state)
{
    (void)state;
    /* Cost spans 0.0001 to 0.016 (160 times): log. Time spans 1 to 9: linear, from >= 0. */
    char *gp = time_cost_script(g_points, N_POINTS);
    assert_non_null(strstr(gp, "set logscale x 10\n"));
    assert_null(strstr(gp, "set logscale y"));
    assert_non_null(strstr(gp, "set yrange [0<*:*]\n"));
    assert_no_negative_range(gp);
    free(gp);

    struct suite_axis a;
    suite_axis_init(&a);
    suite_axis_add(&a, 1);
    suite_axis_add(&a, 31);
    assert_true(suite_axis_is_log(&a));
    suite_axis_add(&a, NAN);
    assert_true(suite_axis_is_log(&a));
    suite_axis_add(&a, 0); /* a zero has no place on a log axis */
    assert_false(suite_axis_is_log(&a));
    suite_axis_init(&a);
    suite_axis_add(&a, 1);
    suite_axis_add(&a, 29);
    assert_false(suite_axis_is_log(&a));
}

static void test_few_points_are_named_beside_them_many_are_not(void **state)
{
    (void)state;
    char *gp = time_cost_script(g_points, N_POINTS);
    assert_int_equal(count(gp, "set label "), N_POINTS);
    assert_non_null(strstr(gp, "set label 'lambda 10' at first 0.0002, first 9 left"));
    /* In the right fifth of the figure the name goes to the left of its point. */
    assert_non_null(strstr(gp, "set label 'ec2 large' at first 0.016, first 4.2 right"));
    /* Two at one place are stacked a line apart, downwards in the upper half (6 of 1 to 9). */
    assert_non_null(strstr(gp, "set label 'lambda 20' at first 0.0004, first 6 left offset "
                               "character 1.6,0 "));
    assert_non_null(strstr(gp, "set label 'lambda 20 again' at first 0.0004, first 6 left "
                               "offset character 1.6,-1 "));
    free(gp);

    struct suite_tc_point many[SUITE_PLOT_MAX_LABELS + 1];
    for (int i = 0; i <= SUITE_PLOT_MAX_LABELS; i++)
        many[i] = (struct suite_tc_point){"x", 1.0 + i, 10.0 - 0.5 * i, 1, i};
    gp = time_cost_script(many, SUITE_PLOT_MAX_LABELS + 1);
    assert_null(strstr(gp, "set label "));
    free(gp);
}

/* A row of a group with a series and x, its curve three epochs long. */
static void add_row(struct suite_rows *rows, const char *label, const char *series, double x,
                    double cost, double time, int reached)
{
    struct suite_row *r = suite_rows_add(rows);
    assert_non_null(r);
    snprintf(r->section, sizeof r->section, "scale");
    snprintf(r->workload, sizeof r->workload, "lr-synthetic");
    snprintf(r->platform, sizeof r->platform, "lambda-2019");
    snprintf(r->label, sizeof r->label, "%s", label);
    snprintf(r->series, sizeof r->series, "%s", series);
    r->x = x;
    r->cost_usd = cost;
    r->reached_target = reached;
    r->total_time_s = time;
    r->time_to_target_s = reached ? time : (double)NAN;
    r->epochs = 3;
    r->curve = calloc(3, sizeof *r->curve);
    assert_non_null(r->curve);
    r->n_curve = 3;
    for (int k = 0; k < 3; k++)
        r->curve[k] = (struct suite_point){time * (k + 1) / 3, cost * (k + 1) / 3, 0.7 - 0.1 * k};
}

/* Runs a drawing step; 1 when gnuplot drew (the PNGs can be checked), 0 without gnuplot. */
static int drew(int rc, const struct err *e)
{
    if (rc == SIREN_ENOTFOUND) return 0;
    if (rc) fail_msg("%s", e->msg);
    return 1;
}

static void assert_png(const char *dir, const char *name)
{
    char *path = tu_path(dir, name);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 1000);
    free(path);
}

static void test_scaling_figure_without_a_run_at_one_function_draws_the_cost(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    struct suite_rows rows = {0};
    add_row(&rows, "bsp n=2", "bsp", 2, 0.001, 8, 1);
    add_row(&rows, "bsp n=4", "bsp", 4, 0.002, 5, 1);
    add_row(&rows, "bsp n=64", "bsp", 64, 0.05, 3, 1);
    struct err e = {0};
    int png = drew(suite_write_scaling(&rows, dir, 1, &e), &e);
    char *path = tu_path(dir, "scale-lr-synthetic-lambda-2019-scaling.gp");
    char *gp = slurp(path);
    assert_non_null(gp);
    assert_null(strstr(gp, "multiplot"));
    assert_non_null(strstr(gp, "no speed-up drawn: no run at 1 function reached the target"));
    assert_non_null(strstr(gp, "set logscale x 2\n")); /* 2 to 64 functions */
    assert_non_null(strstr(gp, "$p1_0 << EOD\n2 0.001\n4 0.002\n64 0.05\nEOD\n"));
    assert_no_negative_range(gp);
    free(gp);
    if (png) assert_png(dir, "scale-lr-synthetic-lambda-2019-scaling.png");

    /* With a run at 1 function for one series of two: both panels, that series' speed-up. */
    add_row(&rows, "bsp n=1", "bsp", 1, 0.0005, 16, 1);
    add_row(&rows, "asp n=2", "asp", 2, 0.001, 7, 1);
    add_row(&rows, "asp n=4", "asp", 4, 0.002, 4, 1);
    png = drew(suite_write_scaling(&rows, dir, 1, &e), &e);
    gp = slurp(path);
    assert_non_null(gp);
    assert_non_null(strstr(gp, "set multiplot layout 1,2"));
    assert_non_null(strstr(gp, "$p0_0 << EOD\n2 2\n4 3.2\n64 5.33333333\n1 1\nEOD\n"));
    assert_null(strstr(gp, "$p0_1 << EOD"));
    assert_non_null(strstr(gp, "$p1_1 << EOD"));
    assert_non_null(strstr(gp, "left out: series without a run at 1 function"));
    /* The series differ in colour and shape. */
    assert_non_null(strstr(gp, "$p1_0 with linespoints lw 2 pt 7 ps 1.4 lc rgb '#0072b2'"));
    assert_non_null(strstr(gp, "$p1_1 with linespoints lw 2 pt 5 ps 1.4 lc rgb '#d55e00'"));
    assert_no_negative_range(gp);
    free(gp);
    if (png) assert_png(dir, "scale-lr-synthetic-lambda-2019-scaling.png");
    free(path);
    suite_rows_free(&rows);
    tu_rm_rf(dir);
    free(dir);
}

static void test_suite_figures_render_and_keep_a_configuration_s_look(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    struct suite_rows rows = {0};
    add_row(&rows, "m4.large x2", "", NAN, 0.003, 5.0, 1);
    add_row(&rows, "siren drl", "", NAN, 0.00016, 5.1, 1);
    add_row(&rows, "siren grid", "", NAN, 0.00016, 5.1, 1);
    add_row(&rows, "siren slow", "", NAN, 0.0002, 9.0, 0);
    rows.v[1].n_curve = 0; /* a configuration without a curve keeps its place in the styles */
    struct err e = {0};
    int png = drew(suite_plot(&rows, dir, &e), &e);
    static const char *const kinds[] = {"loss-time", "loss-cost", "time-cost"};
    for (int i = 0; i < 3; i++) {
        char name[128];
        snprintf(name, sizeof name, "scale-lr-synthetic-lambda-2019-%s.gp", kinds[i]);
        char *path = tu_path(dir, name);
        char *gp = slurp(path);
        assert_non_null(gp);
        assert_no_negative_range(gp);
        /* siren grid is the third configuration in every figure: green triangles. */
        assert_non_null(strstr(gp, "pt 9"));
        assert_non_null(strstr(gp, "lc rgb '#009e73' title 'siren grid'"));
        free(gp);
        free(path);
        snprintf(name, sizeof name, "scale-lr-synthetic-lambda-2019-%s.png", kinds[i]);
        if (png) assert_png(dir, name);
    }
    suite_rows_free(&rows);
    tu_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pareto_front_is_the_undominated_points_by_increasing_cost),
        cmocka_unit_test(test_pareto_front_of_runs_none_reached_takes_them_all),
        cmocka_unit_test(test_time_cost_script_joins_the_pareto_front_in_order),
        cmocka_unit_test(test_no_two_configurations_share_colour_and_shape),
        cmocka_unit_test(test_axes_spanning_decades_are_logarithmic_others_start_at_zero),
        cmocka_unit_test(test_few_points_are_named_beside_them_many_are_not),
        cmocka_unit_test(test_scaling_figure_without_a_run_at_one_function_draws_the_cost),
        cmocka_unit_test(test_suite_figures_render_and_keep_a_configuration_s_look),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

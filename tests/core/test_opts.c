/*
 * The option table and its parser: every entry is complete; arguments are checked against the
 * table's bounds and choices with a message naming the option and the range; unknown,
 * ambiguous, argument-less and surplus forms are refused; operands are kept in order after the
 * options; the help shows each option's bounds and default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct opt_use use[] = {
    {.id = OPT_MAX_EPOCHS}, {.id = OPT_BUDGET},   {.id = OPT_CLOCK},       {.id = OPT_UPDATE},
    {.id = OPT_QUIET},      {.id = OPT_WORKLOAD}, {.id = OPT_PLATFORM},    {.id = OPT_PLAN_MARGIN},
    {.id = OPT_HELP},
};
#define N_USE (sizeof use / sizeof *use)

/* Parses the words of line (at most 15) and returns the last result: 0 when every option
 * parsed, else the error code, with e's message. Values parsed go into out[]. */
static int parse_line(const char *line, struct opt_value *out, int *n_out, int *operand,
                      char words[16][64], char **argv, struct err *e)
{
    int argc = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "cmd %s", line);
    for (char *save, *w = strtok_r(buf, " ", &save); w && argc < 15; w = strtok_r(NULL, " ", &save)) {
        snprintf(words[argc], 64, "%s", w);
        argv[argc] = words[argc];
        argc++;
    }
    argv[argc] = NULL;
    struct opt_parser p;
    struct opt_value v;
    int rc;
    *n_out = 0;
    opt_parser_init(&p, use, N_USE, argc, argv);
    while ((rc = opt_parser_next(&p, &v, e)) > 0) out[(*n_out)++] = v;
    *operand = p.operand;
    return rc;
}

static void test_opts_table_entries_are_complete(void **state)
{
    (void)state;
    for (int id = 0; id < OPT_COUNT; id++) {
        const struct opt_info *o = opt_info_get((enum opt_id)id);
        assert_non_null(o->name);
        assert_non_null(o->help);
        assert_true(o->name[0] != '-');
        if (o->kind != OPT_FLAG) assert_non_null(o->arg);
        if (o->kind == OPT_CHOICE) assert_non_null(strchr(o->choices, '|'));
        assert_true(o->min <= o->max);
    }
}

static void test_opts_one_spelling_has_one_id_unless_its_meaning_differs(void **state)
{
    (void)state;
    /* The ids that share a spelling with another (their bounds differ with their meaning). */
    static const enum opt_id shared[] = {OPT_REPS, OPT_BENCH_REPS, OPT_EPOCHS, OPT_SIM_EPOCHS,
                                         OPT_HASH_BITS, OPT_SHARD_HASH_BITS};
    for (int a = 0; a < OPT_COUNT; a++)
        for (int b = a + 1; b < OPT_COUNT; b++) {
            if (strcmp(opt_info_get((enum opt_id)a)->name, opt_info_get((enum opt_id)b)->name))
                continue;
            int listed = 0;
            for (size_t k = 0; k < sizeof shared / sizeof *shared; k++)
                listed += (int)shared[k] == a || (int)shared[k] == b;
            assert_int_equal(listed, 2);
        }
}

static void test_opts_max_epochs_has_one_bound(void **state)
{
    (void)state;
    const struct opt_info *o = opt_info_get(OPT_MAX_EPOCHS);
    assert_true(o->min == 1.0);
    assert_true(o->max == (double)SIREN_MAX_EPOCHS);
}

static void test_opts_parse_values_and_operands_in_order(void **state)
{
    (void)state;
    struct opt_value v[16];
    char words[16][64], *argv[17];
    struct err e;
    int n, operand;
    assert_int_equal(parse_line("a --max-epochs 256 b --budget=0.5 --clock wall --quiet "
                                "--workload lr-ctr c",
                                v, &n, &operand, words, argv, &e),
                     0);
    assert_int_equal(n, 5);
    assert_int_equal(v[0].id, OPT_MAX_EPOCHS);
    assert_int_equal(v[0].i, 256);
    assert_int_equal(v[1].id, OPT_BUDGET);
    assert_true(v[1].d == 0.5);
    assert_int_equal(v[2].id, OPT_CLOCK);
    assert_int_equal(v[2].i, 1);
    assert_string_equal(v[2].text, "wall");
    assert_int_equal(v[3].id, OPT_QUIET);
    assert_null(v[3].text);
    assert_string_equal(v[4].text, "lr-ctr");
    /* The operands come after the options, in their order. */
    assert_int_equal(operand, 9);
    assert_string_equal(argv[operand], "a");
    assert_string_equal(argv[operand + 1], "b");
    assert_string_equal(argv[operand + 2], "c");
    /* An unambiguous prefix names its option; "--" ends the options. */
    assert_int_equal(parse_line("--max-e 3 -- --quiet", v, &n, &operand, words, argv, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].i, 3);
    assert_string_equal(argv[operand], "--quiet");
    /* -h is --help. */
    assert_int_equal(parse_line("-h", v, &n, &operand, words, argv, &e), 0);
    assert_int_equal(v[0].id, OPT_HELP);
}

/* line is refused with exactly `msg`. */
static void refused(const char *line, const char *msg)
{
    struct opt_value v[16];
    char words[16][64], *argv[17];
    struct err e;
    int n, operand;
    assert_int_equal(parse_line(line, v, &n, &operand, words, argv, &e), SIREN_EUSAGE);
    assert_string_equal(e.msg, msg);
}

static void test_opts_refuse_bad_arguments_naming_option_and_range(void **state)
{
    (void)state;
    refused("--max-epochs 257", "--max-epochs: expected an integer in 1..256, got '257'");
    refused("--max-epochs 0", "--max-epochs: expected an integer in 1..256, got '0'");
    refused("--max-epochs 2x", "--max-epochs: expected an integer in 1..256, got '2x'");
    refused("--max-epochs ''", "--max-epochs: expected an integer in 1..256, got ''''");
    refused("--budget 0", "--budget: expected a number > 0, got '0'");
    refused("--budget inf", "--budget: expected a number > 0, got 'inf'");
    refused("--plan-margin -1", "--plan-margin: expected a number >= 0, got '-1'");
    refused("--clock fast", "--clock: expected virtual or wall, got 'fast'");
    refused("--update", "--update needs an argument (RULE)");
    refused("--quiet=yes", "--quiet takes no argument");
    refused("--nope", "unknown option '--nope'");
    refused("-x", "unknown option '-x'");
    refused("--p x", "option '--p' is ambiguous: --platform, --plan-margin");
}

static void test_opts_help_shows_bounds_and_defaults(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    const struct opt_use mine[] = {
        {.id = OPT_MAX_EPOCHS},
        {.id = OPT_OUT, .arg = "FILE", .def = "here.json", .help = "where it goes"},
        {.id = OPT_BUDGET},
        {.id = OPT_HELP},
    };
    opt_help_write(f, mine, sizeof mine / sizeof *mine);
    fclose(f);
    assert_non_null(strstr(text, "  --max-epochs E       stop after E epochs"));
    assert_non_null(strstr(text, "[1..256, default 10]"));
    assert_non_null(strstr(text, "  --out FILE           where it goes [default here.json]\n"));
    assert_non_null(strstr(text, "  --budget USD         stop when the cost reaches it [> 0]\n"));
    assert_non_null(strstr(text, "  -h, --help"));
    /* No line is wider than 79 columns. */
    for (char *line = text; *line;) {
        size_t l = strcspn(line, "\n");
        assert_true(l <= 79);
        line += l + (line[l] == '\n');
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_table_entries_are_complete),
        cmocka_unit_test(test_opts_one_spelling_has_one_id_unless_its_meaning_differs),
        cmocka_unit_test(test_opts_max_epochs_has_one_bound),
        cmocka_unit_test(test_opts_parse_values_and_operands_in_order),
        cmocka_unit_test(test_opts_refuse_bad_arguments_naming_option_and_range),
        cmocka_unit_test(test_opts_help_shows_bounds_and_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * `siren platform constants` on small presets written by the test: exactly one table row per
 * constant (nested objects, a list value, named and unnamed list items, a boolean), cells
 * escaped so every row keeps its five cells, and a missing or malformed preset refused with
 * an error naming the file and exit status 1, leaving --out as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core.h"
#include "testutil.h"

static char *dir;

/* Each test has a presets directory of its own. */
static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    return 0;
}

/* Writes text to dir/name; returns the path (caller frees). */
static char *write_preset(const char *name, const char *text)
{
    char *path = tu_path(dir, name);
    assert_non_null(path);
    assert_int_equal(tu_write_file(path, text, strlen(text)), 0);
    return path;
}

/* Runs `$SIREN_BIN platform ARGS` with the presets directory set to the test's; its stdout
 * into *out and its stderr into *errs (caller frees both); returns its exit status. */
static int run_platform(const char *args, char **out, char **errs)
{
    char *cmd = NULL, *o = tu_path(dir, "stdout.txt"), *er = tu_path(dir, "stderr.txt");
    assert_true(asprintf(&cmd, "SIREN_PLATFORM_DIR='%s' '%s' platform %s >'%s' 2>'%s'", dir,
                         getenv("SIREN_BIN"), args, o, er) > 0);
    int st = system(cmd);
    size_t len;
    struct err e;
    if (fs_read_all(o, out, &len, &e) || fs_read_all(er, errs, &len, &e)) fail_msg("%s", e.msg);
    free(cmd);
    free(o);
    free(er);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The table rows of a document (lines that start with '|'), without the header and the
 * delimiter row: a malloc'ed array of malloc'ed lines, *n of them. */
static char **table_rows(const char *doc, size_t *n)
{
    char **rows = NULL;
    *n = 0;
    int seen_header = 0;
    for (const char *p = doc; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (p[0] == '|') {
            if (!strncmp(p, "| key |", 7) || !strncmp(p, "| --- |", 7)) {
                seen_header = 1;
            } else {
                rows = realloc(rows, (*n + 1) * sizeof *rows);
                assert_non_null(rows);
                rows[*n] = strndup(p, len);
                assert_non_null(rows[*n]);
                (*n)++;
            }
        }
        p += len + (end ? 1 : 0);
    }
    assert_true(seen_header);
    return rows;
}

/* The cells of a table row as GFM splits it: at pipes not escaped by a backslash. */
static int count_cells(const char *row)
{
    int pipes = 0;
    for (const char *p = row; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '|') pipes++;
    }
    return pipes - 1;
}

static const char tiny_preset[] =
    "{\n"
    "  \"name\": \"tiny\",\n"
    "  \"description\": \"A preset of the test | with a pipe\",\n"
    "  \"timeout_s\": {\"value\": 900, \"unit\": \"s\", \"source\": \"limits page\"},\n"
    "  \"object_store\": {\n"
    "    \"get_ms\": {\"value\": 25, \"unit\": \"ms\", \"source\": \"estimate | from a\\nstudy\",\n"
    "               \"compare\": \"Klimovic et al. (OSDI 2018) measured 20-30 ms\"},\n"
    "    \"mb_per_s_by_size\": {\"value\": [[128, 10], [1024, 70]], \"unit\": \"MB/s\",\n"
    "                         \"source\": \"fit\"}\n"
    "  },\n"
    "  \"billing\": {\"init_billed\": {\"value\": false, \"unit\": \"bool\",\n"
    "                                \"source\": \"docs\"}},\n"
    "  \"channels\": {\"redis\": {\"usd_per_hour\": {\"value\": 0.0000166667,\n"
    "                          \"unit\": \"USD/hour\", \"source\": \"price list\"}}},\n"
    "  \"vm\": {\"instances\": [\n"
    "    {\"name\": \"m4.large\", \"vcpus\": 2, \"memory_gib\": 8,\n"
    "     \"s3_mb_per_s\": {\"value\": 53, \"unit\": \"MB/s\", \"source\": \"s3-benchmark\"},\n"
    "     \"source\": \"the paper\"},\n"
    "    {\"vcpus\": 4, \"source\": \"an unnamed item\"}\n"
    "  ]}\n"
    "}\n";

/* Every constant once, in the preset's order, each cell as the reader should see it. */
static const char *const tiny_rows[] = {
    "| `timeout_s` | 900 | s | limits page | — |",
    "| `object_store.get_ms` | 25 | ms | estimate \\| from a<br>study | Klimovic et al. (OSDI "
    "2018) measured 20-30 ms |",
    "| `object_store.mb_per_s_by_size` | [[128, 10], [1024, 70]] | MB/s | fit | — |",
    "| `billing.init_billed` | false | bool | docs | — |",
    "| `channels.redis.usd_per_hour` | 0.0000166667 | USD/hour | price list | — |",
    "| `vm.instances[m4.large].vcpus` | 2 | — | the paper | — |",
    "| `vm.instances[m4.large].memory_gib` | 8 | — | the paper | — |",
    "| `vm.instances[m4.large].s3_mb_per_s` | 53 | MB/s | s3-benchmark | — |",
    "| `vm.instances[1].vcpus` | 4 | — | an unnamed item | — |",
};

static void test_constants_one_row_per_constant_with_cells_escaped(void **state)
{
    (void)state;
    free(write_preset("tiny.json", tiny_preset));
    char *out, *errs;
    assert_int_equal(run_platform("constants --platform tiny", &out, &errs), 0);
    size_t n;
    char **rows = table_rows(out, &n);
    if (n != sizeof tiny_rows / sizeof *tiny_rows)
        fail_msg("%zu rows, expected %zu:\n%s", n, sizeof tiny_rows / sizeof *tiny_rows, out);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i], tiny_rows[i]))
            fail_msg("row %zu:\n  %s\nexpected\n  %s", i + 1, rows[i], tiny_rows[i]);
        assert_int_equal(count_cells(rows[i]), 5);
        free(rows[i]);
    }
    free(rows);
    /* The section: the preset's name and description; the head says what made the file. */
    assert_non_null(strstr(out, "## tiny\n\nA preset of the test | with a pipe\n"));
    assert_non_null(strstr(out, "Generated by `siren platform constants --platform tiny`"));
    assert_non_null(strstr(out, "do not edit it by hand"));
    assert_string_equal(errs, "");
    free(out);
    free(errs);
}

static void test_constants_out_matches_stdout_and_covers_every_preset(void **state)
{
    (void)state;
    free(write_preset("b.json", "{\"name\": \"b\", \"x\": {\"value\": 1, \"unit\": \"s\"}}"));
    free(write_preset("a.json",
                      "{\"name\": \"a\", \"y\": {\"value\": \"text\", \"unit\": \"-\"}}"));
    char *out, *errs, *args = NULL, *path = tu_path(dir, "all.md"), *file;
    size_t len;
    struct err e;
    /* No --platform: every .json file of the directory, by name. */
    assert_int_equal(run_platform("constants", &out, &errs), 0);
    char *a = strstr(out, "## a\n"), *b = strstr(out, "## b\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_non_null(strstr(out, "| `y` | text | - | — | — |"));
    assert_non_null(strstr(out, "| `x` | 1 | s | — | — |"));
    free(errs);
    assert_true(asprintf(&args, "constants --out '%s'", path) > 0);
    char *quiet;
    assert_int_equal(run_platform(args, &quiet, &errs), 0);
    assert_string_equal(quiet, "");
    if (fs_read_all(path, &file, &len, &e)) fail_msg("%s", e.msg);
    assert_string_equal(file, out);
    free(out);
    free(quiet);
    free(errs);
    free(file);
    free(args);
    free(path);
}

static void test_constants_malformed_preset_names_the_file_and_writes_nothing(void **state)
{
    (void)state;
    char *bad = write_preset("broken.json", "{\"name\": \"broken\",\n \"x\": {\"value\": 1,}\n");
    char *target = write_preset("kept.md", "the previous table\n");
    char *out, *errs, *args = NULL, *kept;
    size_t len;
    struct err e;
    assert_true(asprintf(&args, "constants --platform '%s' --out '%s'", bad, target) > 0);
    assert_int_equal(run_platform(args, &out, &errs), 1);
    if (!strstr(errs, "broken.json") || !strstr(errs, "line 2")) fail_msg("%s", errs);
    if (fs_read_all(target, &kept, &len, &e)) fail_msg("%s", e.msg);
    assert_string_equal(kept, "the previous table\n");
    free(out);
    free(errs);
    free(kept);
    free(args);

    /* A preset named but not there: the file looked for is named, and nothing is printed
     * for the good preset before it. */
    free(write_preset("tiny.json", tiny_preset));
    assert_int_equal(run_platform("constants --platform tiny --platform nowhere", &out, &errs),
                     1);
    if (!strstr(errs, "nowhere.json")) fail_msg("%s", errs);
    assert_string_equal(out, "");
    free(out);
    free(errs);

    /* Valid JSON that is not an object. */
    char *list = write_preset("list.json", "[1, 2]\n");
    assert_true(asprintf(&args, "constants --platform '%s'", list) > 0);
    assert_int_equal(run_platform(args, &out, &errs), 1);
    if (!strstr(errs, "list.json") || !strstr(errs, "expected a JSON object")) fail_msg("%s", errs);
    free(out);
    free(errs);
    free(args);
    free(list);
    free(bad);
    free(target);
}

static void test_platform_help_documents_constants(void **state)
{
    (void)state;
    char *out, *errs;
    assert_int_equal(run_platform("--help", &out, &errs), 0);
    if (!strstr(out, "siren platform constants") || !strstr(out, "--platform") ||
        !strstr(out, "--out") || !strstr(out, "compare"))
        fail_msg("%s", out);
    free(out);
    free(errs);
    assert_int_equal(run_platform("nonsense", &out, &errs), 2);
    free(out);
    free(errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_constants_one_row_per_constant_with_cells_escaped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_constants_out_matches_stdout_and_covers_every_preset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_constants_malformed_preset_names_the_file_and_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_help_documents_constants, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

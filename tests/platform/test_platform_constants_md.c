/*
 * results/platform/constants.md is exactly what `siren platform constants` writes from the
 * presets now, so the committed table can never go stale: a change to a preset in emu/platforms
 * fails this test until the file is regenerated and committed with it.
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

#define REGENERATE "build/siren platform constants --out results/platform/constants.md"

/* The first line where a and b differ (1-based), copied into line_a and line_b. */
static int first_difference(const char *a, const char *b, char *line_a, char *line_b,
                            size_t len)
{
    int line = 1;
    const char *sa = a, *sb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            sa = a + 1;
            sb = b + 1;
        }
        a++;
        b++;
    }
    snprintf(line_a, len, "%.*s", (int)strcspn(sa, "\n"), sa);
    snprintf(line_b, len, "%.*s", (int)strcspn(sb, "\n"), sb);
    return line;
}

static void test_committed_constants_md_is_what_the_command_writes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), *fresh = tu_path(dir, "constants.md"), *cmd = NULL;
    char committed_path[4096], *committed, *generated;
    size_t len;
    struct err e;
    assert_non_null(fresh);
    if (core_source_path("results/platform/constants.md", committed_path,
                         sizeof committed_path))
        fail_msg("the source tree's path is too long");
    /* The presets of the source tree, whatever the caller's environment says. */
    assert_true(asprintf(&cmd, "env -u SIREN_PLATFORM_DIR '%s' platform constants --out '%s'",
                         getenv("SIREN_BIN"), fresh) > 0);
    int st = system(cmd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("%s: exit status %d", cmd, st);
    if (fs_read_all(fresh, &generated, &len, &e)) fail_msg("%s", e.msg);
    tu_rm_rf(dir);
    if (fs_read_all(committed_path, &committed, &len, &e))
        fail_msg("%s\nresults/platform/constants.md is missing: generate it with\n    %s", e.msg,
                 REGENERATE);
    if (strcmp(committed, generated)) {
        char was[512], now[512];
        int line = first_difference(committed, generated, was, now, sizeof was);
        fail_msg("results/platform/constants.md is stale: it differs from what the presets give "
                 "now (line %d:\n  committed: %s\n  generated: %s)\nregenerate it with\n    %s\n"
                 "and commit it with the preset change",
                 line, was, now, REGENERATE);
    }
    free(committed);
    free(generated);
    free(cmd);
    free(fresh);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_constants_md_is_what_the_command_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

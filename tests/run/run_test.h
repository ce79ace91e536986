/*
 * What the tests of siren under mpirun (`siren run`, `siren ps`) share: a fresh directory per
 * test executable (dir, removed at the end), OpenMPI told that running as root is intended
 * (CI runs as root), running `siren run` under mpirun, and reading a file a run wrote.
 * Header-only, included by one test file each.
 */
#ifndef SIREN_RUN_TEST_H
#define SIREN_RUN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "core.h"
#include "testutil.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    return 0;
}

/* The whole of dir/name/file, NUL-terminated; fails the test when it cannot be read. Not
 * inlined: GCC's dangling-pointer analysis misreads the inlined out-parameter. */
__attribute__((unused, noinline)) static char *slurp(const char *name, const char *file)
{
    char *path = NULL, *text = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&path, "%s/%s/%s", dir, name, file) > 0);
    if (fs_read_all(path, &text, &len, &e)) fail_msg("%s", e.msg);
    free(path);
    return text;
}

/* Runs `mpirun -n ranks --oversubscribe $SIREN_BIN run ARGS --quiet --out dir/name`, its
 * output in dir/name.log; returns system()'s status. */
__attribute__((unused, noinline)) static int run_siren(int ranks, const char *name,
                                                       const char *args)
{
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "mpirun -n %d --oversubscribe %s run %s --quiet --out %s/%s "
                               ">%s/%s.log 2>&1",
                         ranks, bin, args, dir, name, dir, name) > 0);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

#endif

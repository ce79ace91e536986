/*
 * File modes of what siren writes: under umask 000 (some containers and CI runners start with
 * it) a `siren run` writes no world-writable file or directory (summary.json, epochs.csv,
 * trace.h5, the KV store's objects and directories), the KV store's objects are exactly 0644
 * and its directories 0755, and `siren kv put` does the same; a stricter umask (077) is kept,
 * never loosened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core.h"
#include "testutil.h"
#include "run_test.h"

/* What a walk saw: entries, and the first of each kind of offence. */
static struct {
    long entries, kv_files, kv_dirs;
    char world_writable[4300], kv_bad_mode[4300];
} seen;

static int check_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    seen.entries++;
    mode_t mode = sb->st_mode & 07777;
    if ((mode & S_IWOTH) && !seen.world_writable[0])
        snprintf(seen.world_writable, sizeof seen.world_writable, "%s (%04o)", path,
                 (unsigned)mode);
    if (strstr(path, "/kv/") || (strlen(path) > 3 && !strcmp(path + strlen(path) - 3, "/kv"))) {
        mode_t want = flag == FTW_D ? 0755 : 0644;
        if (flag == FTW_D)
            seen.kv_dirs++;
        else
            seen.kv_files++;
        if (mode != want && !seen.kv_bad_mode[0])
            snprintf(seen.kv_bad_mode, sizeof seen.kv_bad_mode, "%s (%04o, expected %04o)", path,
                     (unsigned)mode, (unsigned)want);
    }
    return 0;
}

static void walk(const char *root)
{
    memset(&seen, 0, sizeof seen);
    assert_int_equal(nftw(root, check_entry, 16, FTW_PHYS), 0);
}

static int shell(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_run_under_umask_000_writes_nothing_world_writable(void **state)
{
    (void)state;
    char *cmd = NULL;
    assert_true(asprintf(&cmd,
                         "umask 000 && mpirun -n 2 --oversubscribe '%s' run --workload "
                         "lr-synthetic --rows 2000 --hash-bits 12 --batch 200 --max-epochs 1 "
                         "--scheduler static:n=2,m=1024 --quiet --keep --out '%s/run' "
                         ">'%s/run.log' 2>&1",
                         getenv("SIREN_BIN"), dir, dir) > 0);
    assert_int_equal(shell(cmd), 0);
    free(cmd);
    char *run = tu_path(dir, "run");
    walk(run);
    /* The walk saw the outputs and the store (data shards, parameter versions: kept). */
    const char *outputs[] = {"summary.json", "epochs.csv", "trace.h5"};
    for (size_t i = 0; i < 3; i++) {
        char *p = tu_path(run, outputs[i]);
        assert_true(fs_exists(p));
        free(p);
    }
    assert_true(seen.kv_files >= 10);
    assert_true(seen.kv_dirs >= 3);
    if (seen.world_writable[0]) fail_msg("world-writable: %s", seen.world_writable);
    if (seen.kv_bad_mode[0]) fail_msg("KV store entry with a wrong mode: %s", seen.kv_bad_mode);
    free(run);
}

/* `siren kv put` under umask 000 (0644 objects, 0755 directories) and under 077 (kept). */
static void test_kv_put_modes_follow_a_strict_umask_and_ignore_a_lax_one(void **state)
{
    (void)state;
    const char *umasks[] = {"000", "077"};
    const mode_t want_file[] = {0644, 0600}, want_dir[] = {0755, 0700};
    for (int i = 0; i < 2; i++) {
        char *cmd = NULL;
        assert_true(asprintf(&cmd,
                             "umask %s && echo bytes | '%s' kv put --kv 'file:%s/kv%s' "
                             "a/b/obj - 2>'%s/kv%s.log'",
                             umasks[i], getenv("SIREN_BIN"), dir, umasks[i], dir, umasks[i]) > 0);
        assert_int_equal(shell(cmd), 0);
        free(cmd);
        const char *paths[] = {"", "/a", "/a/b", "/a/b/obj"};
        for (int k = 0; k < 4; k++) {
            char path[4300];
            snprintf(path, sizeof path, "%s/kv%s%s", dir, umasks[i], paths[k]);
            struct stat st;
            assert_int_equal(stat(path, &st), 0);
            mode_t want = k == 3 ? want_file[i] : want_dir[i];
            if ((st.st_mode & 07777) != want)
                fail_msg("umask %s: %s is %04o, expected %04o", umasks[i], path,
                         (unsigned)(st.st_mode & 07777), (unsigned)want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_under_umask_000_writes_nothing_world_writable),
        cmocka_unit_test(test_kv_put_modes_follow_a_strict_umask_and_ignore_a_lax_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

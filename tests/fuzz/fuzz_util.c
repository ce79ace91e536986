/*
 * fuzz_util: the per-process scratch directory and file writing of the fuzz targets (see
 * fuzz_util.h). The directory is made under $SIREN_FUZZ_TMPDIR when set (scripts/fuzz sets it
 * and removes it), else /dev/shm or $TMPDIR; an atexit handler removes it when libFuzzer
 * exits through exit(). After a crash it stays behind for inspection (a few small files).
 */
#include "fuzz_util.h"

#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir_path[256];

static void remove_dir(void)
{
    if (dir_path[0]) (void)fs_remove_tree(dir_path, NULL);
}

const char *fuzz_dir(void)
{
    if (dir_path[0]) return dir_path;
    /* scripts/fuzz names a directory it removes afterwards: libFuzzer ends timed runs with
     * _Exit(), which skips the atexit handler. */
    const char *base = getenv("SIREN_FUZZ_TMPDIR");
    if (!base || !base[0]) base = fs_is_dir("/dev/shm") ? "/dev/shm" : getenv("TMPDIR");
    if (!base || !base[0]) base = "/tmp";
    snprintf(dir_path, sizeof dir_path, "%s/siren-fuzz-XXXXXX", base);
    if (!mkdtemp(dir_path)) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", dir_path, strerror(errno));
        abort();
    }
    atexit(remove_dir);
    return dir_path;
}

const char *fuzz_write_file(int slot, const char *name, const uint8_t *data, size_t len)
{
    static char paths[4][512];
    char *path = paths[slot & 3];
    snprintf(path, sizeof paths[0], "%s/%s", fuzz_dir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fprintf(stderr, "fuzz: short write to %s: %s\n", path, strerror(errno));
            abort();
        }
        done += (size_t)n;
    }
    close(fd);
    return path;
}

void fuzz_split(const uint8_t *data, size_t len, const char *sep, size_t sep_len,
                const uint8_t **a, size_t *a_len, const uint8_t **b, size_t *b_len, int *has_b)
{
    *a = data;
    *a_len = len;
    *b = data + len;
    *b_len = 0;
    *has_b = 0;
    if (sep_len == 0 || len < sep_len) return;
    for (size_t i = 0; i + sep_len <= len; i++) {
        if (!memcmp(data + i, sep, sep_len)) {
            *a_len = i;
            *b = data + i + sep_len;
            *b_len = len - i - sep_len;
            *has_b = 1;
            return;
        }
    }
}

void fuzz_quiet(void)
{
    /* Every rejected input would print its error: keep the run's output to libFuzzer's. */
    log_threshold = -1;
}

/*
 * Helpers shared by the tests: a fresh mkdtemp directory per test, small file writers,
 * recursive removal and patterned payloads. Header-only so each test executable stays one
 * file plus this.
 */
#ifndef SIREN_TESTUTIL_H
#define SIREN_TESTUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates /tmp/siren-test-XXXXXX (or under $TMPDIR); returns a malloc'ed path or NULL. */
static inline char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (asprintf(&path, "%s/siren-test-XXXXXX", base && *base ? base : "/tmp") < 0) return NULL;
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

/* path = dir + "/" + name, malloc'ed. */
static inline char *tu_path(const char *dir, const char *name)
{
    char *p = NULL;
    if (!dir || !name || asprintf(&p, "%s/%s", dir, name) < 0) return NULL;
    return p;
}

static inline int tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

static inline int tu_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* len pseudo-random bytes from seed (xorshift): test payloads that differ in every byte. */
static inline void tu_fill_pattern(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

/* rm -rf dir; NULL is ignored. */
static inline void tu_rm_rf(const char *dir)
{
    if (dir) nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif

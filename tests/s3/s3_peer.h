/*
 * The S3 peer of the s3 and lambda tests: a real radosgw on 127.0.0.1. If SIREN_S3_ENDPOINT is
 * set (scripts/test started one), it is used as is, with the credentials in the environment;
 * otherwise scripts/peers/s3-up.sh starts one in a mkdtemp directory and s3-down.sh stops it.
 * Header-only, like testutil.h.
 */
#ifndef SIREN_TEST_S3_PEER_H
#define SIREN_TEST_S3_PEER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

struct s3_peer {
    char endpoint[256];
    char *dir; /* NULL when the server was already running */
};

/* 0 ready; 1 radosgw cannot be installed (skip); -1 failed. */
static inline int s3_peer_up(struct s3_peer *p)
{
    memset(p, 0, sizeof *p);
    const char *ep = getenv("SIREN_S3_ENDPOINT");
    if (ep && *ep) {
        snprintf(p->endpoint, sizeof p->endpoint, "%s", ep);
        return 0;
    }
    const char *src = getenv("SIREN_SOURCE_DIR");
    if (!src) return -1;
    if (!(p->dir = tu_mkdtemp())) return -1;
    char *cmd = NULL;
    if (asprintf(&cmd, "'%s/scripts/peers/s3-up.sh' '%s' >/dev/null", src, p->dir) < 0) return -1;
    int st = system(cmd);
    free(cmd);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) return 1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    char *envf = tu_path(p->dir, "env");
    FILE *f = envf ? fopen(envf, "r") : NULL;
    free(envf);
    if (!f) return -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        setenv(line, eq + 1, 1);
    }
    fclose(f);
    ep = getenv("SIREN_S3_ENDPOINT");
    if (!ep) return -1;
    snprintf(p->endpoint, sizeof p->endpoint, "%s", ep);
    return 0;
}

static inline void s3_peer_down(struct s3_peer *p)
{
    if (!p->dir) return;
    const char *src = getenv("SIREN_SOURCE_DIR");
    char *cmd = NULL;
    if (src && asprintf(&cmd, "'%s/scripts/peers/s3-down.sh' '%s'", src, p->dir) >= 0) {
        if (system(cmd) != 0) fprintf(stderr, "s3-down.sh failed\n");
        free(cmd);
    }
    tu_rm_rf(p->dir);
    free(p->dir);
    p->dir = NULL;
}

#endif

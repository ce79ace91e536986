/*
 * A real redis-server for the tests that need one (tests/kv, tests/run's many-jobs test): on
 * a free loopback port, with a password (requirepass) and no persistence, its output
 * discarded, stopped with SIGTERM. Header-only, included by one test file each.
 */
#ifndef SIREN_TEST_REDIS_SERVER_H
#define SIREN_TEST_REDIS_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct tu_redis {
    pid_t pid; /* -1: not running */
    int port;
    char password[64];
};

/* A loopback port nothing listens on now, or -1. */
static inline int tu_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* Starts redis-server with the password "<prefix>-<pid>" and waits, up to 5 s, until
 * ready(r) says it answers (each test asks in its own way: a raw PING, or siren's kv_open).
 * Returns 0 when it answers, 1 when redis-server is not installed, -1 when it failed (it
 * exited, or never answered: then it is stopped). */
static inline int tu_redis_start(struct tu_redis *r, const char *prefix,
                                 int (*ready)(const struct tu_redis *r))
{
    r->pid = -1;
    if ((r->port = tu_free_port()) < 0) return -1;
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", r->port);
    snprintf(r->password, sizeof r->password, "%s-%ld", prefix, (long)getpid());
    char *argv[] = {"redis-server", "--port", port_s, "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--requirepass", r->password,
                    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&r->pid, "redis-server", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT) return r->pid = -1, 1;
    if (rc != 0) return r->pid = -1, -1;
    for (int i = 0; i < 250; i++) {
        if (ready(r)) return 0;
        int status;
        if (waitpid(r->pid, &status, WNOHANG) == r->pid) return r->pid = -1, -1;
        usleep(20000);
    }
    kill(r->pid, SIGTERM);
    waitpid(r->pid, NULL, 0);
    return r->pid = -1, -1;
}

static inline void tu_redis_stop(struct tu_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = -1;
    }
}

#endif

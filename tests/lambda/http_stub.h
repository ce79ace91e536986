/*
 * A one-process HTTP/1.1 server on a free 127.0.0.1 port for the client tests: it answers the
 * i-th connection with the i-th canned response (each closes its connection) and saves the
 * i-th raw request (headers and body) as DIR/req-<i>.txt for the test to inspect. It runs in a
 * forked child and stops after the last response or when killed. Header-only.
 */
#ifndef SIREN_TEST_HTTP_STUB_H
#define SIREN_TEST_HTTP_STUB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct http_stub {
    pid_t pid;
    int port;
    char dir[4096];
};

/* Reads one request (headers, then Content-Length bytes of body) into a malloc'ed buffer. */
static inline char *http_stub_read_request(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    long want = -1;
    while (buf) {
        if (n == cap) {
            char *g = realloc(buf, cap * 2 + 1);
            if (!g) break;
            buf = g;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0) break;
        n += (size_t)r;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end && want < 0) {
            char *cl = strcasestr(buf, "\r\ncontent-length:");
            long body = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
            want = (long)(end + 4 - buf) + body;
        }
        if (want >= 0 && (long)n >= want) break;
    }
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

/* Starts the server: responses[0..n) are whole HTTP responses (status line, headers, body).
 * Returns 0, or -1 when the socket cannot be set up. */
static inline int http_stub_start(struct http_stub *s, const char *dir, const char *const *responses,
                                  int n)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&a, &alen))
        return -1;
    s->port = ntohs(a.sin_port);
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        alarm(60); /* never outlive a test that failed before stopping it */
        for (int i = 0; i < n; i++) {
            int c = accept(fd, NULL, NULL);
            if (c < 0) _exit(1);
            size_t len;
            char *req = http_stub_read_request(c, &len);
            char path[4200];
            snprintf(path, sizeof path, "%s/req-%d.txt", s->dir, i);
            FILE *f = fopen(path, "wb");
            if (f && req) fwrite(req, 1, len, f);
            if (f) fclose(f);
            free(req);
            size_t rl = strlen(responses[i]), off = 0;
            while (off < rl) {
                ssize_t w = write(c, responses[i] + off, rl - off);
                if (w <= 0) break;
                off += (size_t)w;
            }
            shutdown(c, SHUT_RDWR);
            close(c);
        }
        _exit(0);
    }
    close(fd);
    return 0;
}

static inline void http_stub_stop(struct http_stub *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
    }
}

/* The i-th saved request, malloc'ed (NULL if there is none). */
static inline char *http_stub_request(const struct http_stub *s, int i)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/req-%d.txt", s->dir, i);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

#endif

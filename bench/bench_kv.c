/*
 * bench_kv: the KV half of `siren bench functions`. Put+get throughput of 4 MiB objects on the
 * file: backend against a plain file copy (write + fsync + read with write()/read(), the floor
 * any atomic file store pays) on the same filesystem in the same run, and on the redis://
 * backend against a redis-server started here (loopback, no persistence). Validates every
 * method's bytes first, warms up, then repeats with the methods interleaved; reports
 * min/median/max. Writes kv.md and kv.csv to results/functions/ in the source tree
 * (core_source_root()) or --out DIR and prints the markdown. Reads --quick, --out DIR and
 * --kv-dir DIR (where the stores live; default $TMPDIR or /tmp) as bench_functions_main
 * parsed them.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kv.h"

extern char **environ;

#define OBJECT_BYTES (4u << 20)

enum method { M_PLAIN, M_FILE, M_REDIS, M_COUNT };
static const char *const method_names[M_COUNT] = {
    "plain file copy (write+fsync+read)", "kv file: (tmp+fsync+rename, checksum)",
    "kv redis:// (loopback)"};

/* ------------------------------------------------------------------ redis-server */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static int redis_answers(int port)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    int ok = 0;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
        if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
}

/* Starts redis-server on a free loopback port; on failure *why says why. */
static pid_t redis_start(int *port_out, const char **why)
{
    int port = free_port();
    if (port < 0) {
        *why = "no free loopback port";
        return -1;
    }
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    char *argv[] = {"redis-server", "--port", port_s, "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "no", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "redis-server", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        *why = rc == ENOENT ? "redis-server is not installed" : "redis-server did not start";
        return -1;
    }
    for (int i = 0; i < 250; i++) {
        if (redis_answers(port)) {
            *port_out = port;
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    *why = "redis-server did not answer PING within 5 s";
    return -1;
}

/* -------------------------------------------------------------------- the methods */

static int plain_write(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    int rc = fsync(fd);
    return close(fd) == 0 && rc == 0 ? 0 : -1;
}

static int plain_read(const char *path, uint8_t *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t r = read(fd, buf + off, len - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        off += (size_t)r;
    }
    close(fd);
    return off == len ? 0 : -1;
}

struct ctx {
    char plain_dir[PATH_MAX];
    struct kv *kv[M_COUNT]; /* M_FILE, M_REDIS */
    uint8_t *objects;       /* n_objects * OBJECT_BYTES */
    uint8_t *readback;      /* OBJECT_BYTES */
    int n_objects;
};

/* Puts all objects, then gets them all; *seconds is the wall time. With check, compares. */
static int run_once(struct ctx *c, enum method m, int check, double *seconds, struct err *e)
{
    char path[PATH_MAX + 64], key[64];
    double t0 = clock_mono_s();
    for (int i = 0; i < c->n_objects; i++) {
        const uint8_t *obj = c->objects + (size_t)i * OBJECT_BYTES;
        if (m == M_PLAIN) {
            snprintf(path, sizeof path, "%s/obj-%d", c->plain_dir, i);
            if (plain_write(path, obj, OBJECT_BYTES) != 0)
                return err_errno(e, errno, "plain copy: cannot write %s", path);
        } else {
            snprintf(key, sizeof key, "bench/obj-%d", i);
            if (kv_put(c->kv[m], key, obj, OBJECT_BYTES) != SIREN_OK)
                return err_set(e, kv_errcode(c->kv[m]), "%s", kv_errmsg(c->kv[m]));
        }
    }
    for (int i = 0; i < c->n_objects; i++) {
        const uint8_t *obj = c->objects + (size_t)i * OBJECT_BYTES;
        const uint8_t *got;
        struct kv_value v = {NULL, 0};
        if (m == M_PLAIN) {
            snprintf(path, sizeof path, "%s/obj-%d", c->plain_dir, i);
            if (plain_read(path, c->readback, OBJECT_BYTES) != 0)
                return err_errno(e, errno, "plain copy: cannot read %s", path);
            got = c->readback;
        } else {
            snprintf(key, sizeof key, "bench/obj-%d", i);
            if (kv_get(c->kv[m], key, &v) != SIREN_OK)
                return err_set(e, kv_errcode(c->kv[m]), "%s", kv_errmsg(c->kv[m]));
            got = v.data;
            if (v.len != OBJECT_BYTES) {
                kv_value_free(&v);
                return err_set(e, SIREN_ECHECKSUM, "%s: %s: %zu bytes back", method_names[m],
                               key, v.len);
            }
        }
        int same = !check || memcmp(got, obj, OBJECT_BYTES) == 0;
        kv_value_free(&v);
        if (!same)
            return err_set(e, SIREN_ECHECKSUM, "%s: object %d read back different bytes",
                           method_names[m], i);
    }
    *seconds = clock_mono_s() - t0;
    return SIREN_OK;
}

int bench_kv_run(const struct bench_args *a, const char *kv_dir)
{
    const char *work_base = kv_dir ? kv_dir : getenv("TMPDIR");
    struct err e;
    if (!work_base || !work_base[0]) work_base = "/tmp";
    const int n_objects = a->quick ? 4 : 16, warmup = 1, reps = a->quick ? 3 : 7;
    err_clear(&e);
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.n_objects = n_objects;
    struct table t;
    memset(&t, 0, sizeof t);
    double *secs[M_COUNT] = {NULL, NULL, NULL};
    pid_t redis_pid = -1;
    char work[PATH_MAX], url[PATH_MAX + 16];
    const char *redis_why = NULL;
    int rc = SIREN_OK;
    snprintf(work, sizeof work, "%s/siren-bench-kv-XXXXXX", work_base);
    if (!mkdtemp(work)) {
        fprintf(stderr, "siren bench functions (kv): cannot create a directory in %s: %s\n",
                work_base, strerror(errno));
        return 1;
    }
    c.objects = malloc((size_t)n_objects * OBJECT_BYTES);
    c.readback = malloc(OBJECT_BYTES);
    for (int m = 0; m < M_COUNT; m++) secs[m] = calloc((size_t)reps, sizeof(double));
    if (!c.objects || !c.readback || !secs[0] || !secs[1] || !secs[2]) {
        rc = err_set(&e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    /* Distinct pseudo-random contents, so nothing compresses or deduplicates. */
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < (size_t)n_objects * OBJECT_BYTES / 8; i++) {
        uint64_t x = rng_u64(&r);
        memcpy(c.objects + i * 8, &x, 8);
    }
    snprintf(c.plain_dir, sizeof c.plain_dir, "%s/plain", work);
    if (mkdir(c.plain_dir, 0755) != 0) {
        rc = err_errno(&e, errno, "cannot create %s", c.plain_dir);
        goto out;
    }
    snprintf(url, sizeof url, "file:%s/kv", work);
    if ((rc = kv_open(url, &c.kv[M_FILE], &e))) goto out;
    int port = 0;
    redis_pid = redis_start(&port, &redis_why);
    if (redis_pid > 0) {
        snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
        if (kv_open(url, &c.kv[M_REDIS], &e) != SIREN_OK) {
            redis_why = "cannot connect to the redis-server started here";
            err_clear(&e);
        }
    }
    int have[M_COUNT] = {1, 1, c.kv[M_REDIS] != NULL};
    /* Validate (bytes compared) and warm up, then repeat with the methods interleaved so
     * that drift in the machine's state hits them alike. */
    for (int m = 0; m < M_COUNT && !rc; m++) {
        double s;
        if (!have[m]) continue;
        for (int w = 0; w <= warmup && !rc; w++) rc = run_once(&c, (enum method)m, w == 0, &s, &e);
    }
    for (int rep = 0; rep < reps && !rc; rep++)
        for (int m = 0; m < M_COUNT && !rc; m++)
            if (have[m]) rc = run_once(&c, (enum method)m, 0, &secs[m][rep], &e);
    if (rc) goto out;

    static const char *const cols[] = {
        "method", "object_mib", "objects_per_rep", "reps", "put_get_mb_per_s_min",
        "put_get_mb_per_s_median", "put_get_mb_per_s_max", "pair_ms_median",
        "ratio_vs_plain_copy_median"};
    if ((rc = table_init(&t, 9, cols))) goto out;
    double bytes = 2.0 * n_objects * OBJECT_BYTES; /* written + read per rep */
    double median_mb_s[M_COUNT] = {0, 0, 0};
    for (int m = 0; m < M_COUNT; m++) {
        if ((rc = table_add_row(&t))) goto out;
        size_t row = t.nrows - 1;
        table_setf(&t, row, 0, "%s", method_names[m]);
        table_setf(&t, row, 1, "%d", OBJECT_BYTES >> 20);
        table_setf(&t, row, 2, "%d", n_objects);
        if (!have[m]) {
            table_setf(&t, row, 3, "0");
            for (int col = 4; col < 9; col++) table_setf(&t, row, col, "n/a (%s)", redis_why);
            continue;
        }
        bench_sort(secs[m], (size_t)reps);
        double med_s = secs[m][reps / 2];
        median_mb_s[m] = bytes / med_s / 1e6;
        table_setf(&t, row, 3, "%d", reps);
        table_setf(&t, row, 4, "%.1f", bytes / secs[m][reps - 1] / 1e6);
        table_setf(&t, row, 5, "%.1f", median_mb_s[m]);
        table_setf(&t, row, 6, "%.1f", bytes / secs[m][0] / 1e6);
        table_setf(&t, row, 7, "%.2f", med_s * 1000.0 / n_objects);
        table_setf(&t, row, 8, "%.2f", median_mb_s[m] / median_mb_s[M_PLAIN]);
    }
    char config[PATH_MAX + 256], footer[256];
    snprintf(config, sizeof config,
             "%s; %d objects of 4 MiB per rep, each put then read back; %d warm-up + %d reps "
             "per method, interleaved; stores in %s; MB = 10^6 bytes",
             a->quick ? "quick" : "full", n_objects, warmup, reps, work_base);
    double ratio = median_mb_s[M_FILE] / median_mb_s[M_PLAIN];
    snprintf(footer, sizeof footer,
             "file: backend / plain file copy (median put+get throughput): %.2fx (target >= "
             "0.8x: %s)",
             ratio, ratio >= 0.8 ? "met" : "not met");
    char dir[PATH_MAX];
    if (a->out)
        snprintf(dir, sizeof dir, "%s", a->out);
    else
        snprintf(dir, sizeof dir, "%s/results/functions", core_source_root());
    rc = bench_write_report(&t, dir, "kv", "functions (kv)", config, footer, 0, &e);
out:
    if (rc) fprintf(stderr, "siren bench functions (kv): %s\n", e.msg);
    kv_close(c.kv[M_FILE]);
    kv_close(c.kv[M_REDIS]);
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
    }
    char cmd_path[PATH_MAX + 16];
    /* Remove the stores: the objects, then the directories. */
    for (int i = 0; i < n_objects; i++) {
        snprintf(cmd_path, sizeof cmd_path, "%s/plain/obj-%d", work, i);
        unlink(cmd_path);
        snprintf(cmd_path, sizeof cmd_path, "%s/kv/bench/obj-%d", work, i);
        unlink(cmd_path);
    }
    snprintf(cmd_path, sizeof cmd_path, "%s/kv/bench", work);
    rmdir(cmd_path);
    snprintf(cmd_path, sizeof cmd_path, "%s/kv", work);
    rmdir(cmd_path);
    snprintf(cmd_path, sizeof cmd_path, "%s/plain", work);
    rmdir(cmd_path);
    rmdir(work);
    table_free(&t);
    for (int m = 0; m < M_COUNT; m++) free(secs[m]);
    free(c.objects);
    free(c.readback);
    return rc ? 1 : 0;
}

/* What every benchmark report starts with: the machine, the commit and the configuration. */
#define _GNU_SOURCE
#include "bench.h"
#include "scheduler.h"

#include <mpi.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(buf, len, "%s", colon + 2);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

/* Stores a shared option into a; returns 1, or 0 when v is another option. */
static int args_opt(const struct opt_value *v, struct bench_args *a)
{
    switch (v->id) {
    case OPT_OUT: a->out = v->text; return 1;
    case OPT_QUICK: a->quick = 1; return 1;
    case OPT_BENCH_REPS: a->reps = (int)v->i; return 1;
    default: return 0;
    }
}

void bench_help_write(const struct bench_cli *cli, FILE *f)
{
    fputs(cli->help, f);
    opt_help_write(f, cli->use, cli->n_use);
}

/* What bench_args_parse hands opt_parse as its handler's context. */
struct bench_parse {
    const struct bench_cli *cli;
    struct bench_args *args;
    void *ctx;
};

static int bench_parse_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct bench_parse *p = ctx;
    if (args_opt(v, p->args)) return SIREN_OK;
    if (v->id == OPT_HELP) {
        bench_help_write(p->cli, stdout);
        return OPT_DONE;
    }
    return p->cli->opt ? p->cli->opt(p->ctx, v, e) : SIREN_OK;
}

int bench_args_parse(const struct bench_cli *cli, int argc, char **argv, struct bench_args *a,
                     void *ctx, int *operand)
{
    struct bench_parse p = {cli, a, ctx};
    return opt_parse(cli->cmd, cli->use, cli->n_use, argc, argv, bench_parse_opt, &p, operand);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_sort(double *v, size_t n) { qsort(v, n, sizeof *v, cmp_double); }

double bench_median(double *v, size_t n)
{
    bench_sort(v, n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void bench_write_header(FILE *f, const char *suite, const char *config)
{
    struct utsname u;
    char cpu[256], date[64];
    uname(&u);
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(f, "<!-- siren bench %s -->\n", suite);
    fprintf(f, "- machine: %s, %ld online CPUs, %s %s %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
            u.sysname, u.release, u.machine);
    fprintf(f, "- commit: %s\n- date: %s\n- configuration: %s\n\n", build_commit(), date,
            config ? config : "defaults");
}

int bench_out_dir(const char *out, const char *suite, char *buf, size_t buflen, struct err *e)
{
    if (out) {
        snprintf(buf, buflen, "%s", out);
    } else {
        snprintf(buf, buflen, "%s/results/%s", core_source_root(), suite);
    }
    return fs_mkdir_p(buf, e);
}

int bench_write_table(const struct table *t, const char *dir, const char *name,
                      const char *suite, const char *config, struct err *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.md", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", path);
    bench_write_header(f, suite, config);
    table_write_markdown(t, f);
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", path);
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    f = fopen(path, "w");
    if (!f) return err_errno(e, errno, "cannot create %s", path);
    table_write_csv(t, f);
    if (fclose(f)) return err_errno(e, errno, "cannot write %s", path);
    bench_write_header(stdout, suite, config);
    table_write_markdown(t, stdout);
    return SIREN_OK;
}

/* The header as markdown comment lines prefixed with '#', for a CSV file. */
static void write_csv_header(FILE *f, const char *suite, const char *config)
{
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *h = open_memstream(&hdr, &hlen);
    if (!h) return;
    bench_write_header(h, suite, config);
    fclose(h);
    for (char *line = strtok(hdr, "\n"); line; line = strtok(NULL, "\n"))
        fprintf(f, "# %s\n", line);
    free(hdr);
}

int bench_write_report(const struct table *t, const char *dir, const char *name,
                       const char *suite, const char *config, const char *footer, int csv_header,
                       struct err *e)
{
    char path[PATH_MAX + 16];
    int rc = fs_mkdir_p(dir, e);
    if (rc) return rc;
    /* Each file is formatted in memory first: fs_write_atomic replaces it whole. */
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, k == 0 ? "md" : "csv");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) return err_errno(e, errno, "open_memstream");
        if (k == 0) {
            bench_write_header(f, suite, config);
            table_write_markdown(t, f);
            if (footer) fprintf(f, "\n%s\n", footer);
        } else {
            if (csv_header) write_csv_header(f, suite, config);
            table_write_csv(t, f);
        }
        fclose(f);
        rc = fs_write_atomic(path, buf, len, e);
        if (!rc && k == 0) fwrite(buf, 1, len, stdout);
        free(buf);
    }
    return rc;
}

int bench_mpi_init(int *argc, char ***argv)
{
    int rank = job_mpi_init(argc, argv);
    log_set_rank(rank);
    if (rank != 0) log_set_level(LOG_LEVEL_WARN);
    return rank;
}

void bench_mpi_finalize(void) { job_mpi_finalize(); }

int bench_job(const struct job_config *cfg, const char *spec, int max_epochs,
              struct epoch_report **reports, int *n_reports, struct err *e)
{
    struct sched_policy *pol = NULL;
    struct job *j = NULL;
    *reports = NULL;
    *n_reports = 0;
    int rank, rc = SIREN_OK;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* Only the client reads the policy (a schedule file may exist on rank 0's disk only). */
    if (rank == 0 && (rc = sched_open(spec, &pol, e))) return rc;
    if ((rc = job_open(cfg, &j, e))) goto out;
    if (job_rank(j) != 0) {
        rc = job_serve(j, e);
        goto out;
    }
    *reports = calloc((size_t)max_epochs, sizeof **reports);
    if (!*reports) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    struct epoch_report *state = NULL;
    for (int epoch = 0; epoch < max_epochs && !rc; epoch++) {
        struct sched_action a;
        if ((rc = sched_next(pol, state, &a, e))) break;
        if ((rc = job_epoch(j, a.n, a.memory_mb, &(*reports)[epoch], e))) break;
        state = &(*reports)[epoch];
        *n_reports = epoch + 1;
        if (state->reached_target) break;
        if (cfg->budget_usd > 0 && state->total_cost_usd >= cfg->budget_usd) break;
    }
    struct err fe;
    int frc = job_finish(j, &fe);
    /* The job's objects go; the staged data too, when no other job uses it. */
    if (!rc && !frc) frc = job_release(j, NULL, &fe);
    if (!rc && frc) {
        rc = frc;
        *e = fe;
    }
out:
    job_close(j);
    sched_close(pol);
    return rc;
}

/* ---------------------------------------------------------------- commands */

int bench_argv_push(struct bench_argv *a, const char *word, struct err *e)
{
    if (a->n + 2 > (int)(sizeof a->v / sizeof *a->v))
        return err_set(e, SIREN_ELIMIT, "more than %zu arguments", sizeof a->v / sizeof *a->v - 2);
    a->v[a->n] = strdup(word);
    if (!a->v[a->n]) return err_set(e, SIREN_ENOMEM, "no memory for arguments");
    a->v[++a->n] = NULL;
    return 0;
}

void bench_argv_free(struct bench_argv *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    a->n = 0;
}

int bench_argv_mpirun(struct bench_argv *a, int ranks, struct err *e)
{
    const char *env = getenv("SIREN_MPIRUN");
    char words[512];
    snprintf(words, sizeof words, "%s", env && *env ? env : "mpirun --oversubscribe");
    int rc = 0;
    for (char *save = NULL, *w = strtok_r(words, " \t", &save); w && !rc;
         w = strtok_r(NULL, " \t", &save))
        rc = bench_argv_push(a, w, e);
    char n[16];
    snprintf(n, sizeof n, "%d", ranks);
    if (!rc) rc = bench_argv_push(a, "-n", e);
    if (!rc) rc = bench_argv_push(a, n, e);
    return rc;
}

int bench_spawn_logged(const struct bench_argv *a, const char *log_path, struct err *e)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addclose(&fa, 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, a->v[0], &fa, NULL, a->v, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return err_errno(e, rc, "cannot start %s", a->v[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return err_errno(e, errno, "waiting for %s", a->v[0]);
    if (WIFEXITED(status) && !WEXITSTATUS(status)) return 0;
    char cmd[600] = "";
    for (int i = 0; i < a->n && strlen(cmd) < 400; i++) {
        strcat(cmd, i ? " " : "");
        strncat(cmd, a->v[i], sizeof cmd - strlen(cmd) - 1);
    }
    return err_set(e, SIREN_EIO, "`%s` %s %d; its output is in %s", cmd,
                   WIFEXITED(status) ? "exited with status" : "was killed by signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log_path);
}

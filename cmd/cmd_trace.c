/*
 * siren trace check RUN_DIR...: were all of a run's parameter updates written exactly once?
 * A markdown table per run (one row per epoch) and a summary line; exit 1 when any update was
 * lost or doubled, 2 on bad usage.
 */
#include "cmd.h"

#include <getopt.h>
#include <string.h>

#include "trace_check.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren trace check RUN_DIR...\n"
            "\n"
            "From each run's trace.h5 and epochs.csv (siren run --out), counts the PUTs of\n"
            "every planned parameter version: none lost (unwritten, unless a function of that\n"
            "epoch really died: out of memory or time; injected faults never leave one) and\n"
            "none doubled (a retried function applying its update twice). HSP and SSP runs.\n"
            "\n"
            "Exit status: 0 every update once, 1 an update lost or doubled (or a run that\n"
            "cannot be read), 2 bad usage.\n");
}

/* Prints one run's table and summary; returns 0 clean, 1 otherwise. */
static int check_one(const char *dir)
{
    struct trace_check c;
    struct err e;
    if (trace_check_run(dir, &c, &e)) return cmd_fail("trace", &e);
    static const char *const cols[] = {"epoch", "versions", "puts", "puts_by_retries",
                                       "unwritten", "died", "lost", "doubled"};
    struct table t;
    if (table_init(&t, 8, cols)) {
        trace_check_free(&c);
        err_set(&e, SIREN_ENOMEM, "out of memory");
        return cmd_fail("trace", &e);
    }
    for (int k = 0; k < c.n_epochs; k++) {
        const struct trace_check_epoch *r = &c.epochs[k];
        if (table_add_row(&t)) break;
        size_t row = t.nrows - 1;
        table_setf(&t, row, 0, "%d", r->epoch);
        table_setf(&t, row, 1, "%lld", (long long)r->versions);
        table_setf(&t, row, 2, "%lld", (long long)r->puts);
        table_setf(&t, row, 3, "%lld", (long long)r->retried_puts);
        table_setf(&t, row, 4, "%lld", (long long)r->unwritten);
        table_setf(&t, row, 5, "%lld", (long long)r->died);
        table_setf(&t, row, 6, "%lld", (long long)r->lost);
        table_setf(&t, row, 7, "%lld", (long long)r->doubled);
    }
    printf("%s\n\n", dir);
    table_write_markdown(&t, stdout);
    printf("\n%s: %d epochs, %lld PUTs (%lld by retries), %lld versions unwritten by functions "
           "that died: %lld lost, %lld doubled\n\n",
           dir, c.n_epochs, (long long)c.puts, (long long)c.retried_puts,
           (long long)(c.unwritten - c.lost), (long long)c.lost, (long long)c.doubled);
    int bad = c.lost > 0 || c.doubled > 0;
    table_free(&t);
    trace_check_free(&c);
    return bad;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check"))
        return opt_usage_error("trace", "unknown action '%s' (expected check)", argv[1]);
    if (argc < 3) return opt_usage_error("trace", "check: expected one or more run directories");
    int status = 0;
    for (int i = 2; i < argc; i++)
        if (check_one(argv[i])) status = 1;
    return status;
}

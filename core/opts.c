/*
 * opts: the one table of siren's command-line options, the parser that checks an argument
 * against it, and the printer of a command's option list. Commands and benchmarks pick the
 * ids they accept (core.h); bounds, kinds and wording live only here, so an option means and
 * accepts the same thing in every command that takes it.
 */
#include "core.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NONE HUGE_VAL

/* Shorthands for the table: FLAG(name, help), TEXT(name, arg, def, help), CHOICE(name, arg,
 * choices, def, help), INT(name, arg, min, max, def, help), NUM(name, arg, min, max, min_open,
 * def, help). */
#define FLAG(n, h) {.name = n, .kind = OPT_FLAG, .min = -NONE, .max = NONE, .help = h}
#define TEXT(n, a, d, h) {.name = n, .kind = OPT_TEXT, .arg = a, .min = -NONE, .max = NONE, .def = d, .help = h}
#define CHOICE(n, a, c, d, h)                                                                  \
    {.name = n, .kind = OPT_CHOICE, .arg = a, .choices = c, .min = -NONE, .max = NONE, .def = d, .help = h}
#define INT(n, a, lo, hi, d, h) {.name = n, .kind = OPT_INT, .arg = a, .min = lo, .max = hi, .def = d, .help = h}
#define NUM(n, a, lo, hi, open, d, h)                                                          \
    {.name = n, .kind = OPT_NUM, .arg = a, .min = lo, .max = hi, .min_open = open, .def = d, .help = h}

static const struct opt_info table[OPT_COUNT] = {
    [OPT_HELP] = FLAG("help", "print this help"),

    [OPT_WORKLOAD] = TEXT("workload", "W", NULL,
                          "the workload: lenet-mnist, lenet-fashion, textcnn-polarity, lr-ctr, "
                          "lr-a9a, lr-synthetic or lr-criteo; siren train --help describes them"),
    [OPT_SCHEDULER] = TEXT("scheduler", "SPEC", NULL,
                           "the policy that picks the functions n and their memory m each "
                           "epoch: static:n=N,m=MB | schedule:FILE (lines 'n m') | "
                           "heuristic[:..] | drl:POLICY"),
    [OPT_SYNC] = TEXT("sync", "MODE", "hsp",
                      "hsp (asynchronous inside an epoch, a barrier between epochs) | bsp "
                      "(barrier after every round of mini-batches, the leader averages the "
                      "gradients) | ssp:S (at most S steps ahead of the slowest) | asp (no "
                      "barrier at all: the run is one plan of --max-epochs passes, each "
                      "function going on to its share of the next pass at once; needs "
                      "static:n=N,m=MB, as no point is left to change them; epochs.csv has a "
                      "row per pass, at the time its last step ends: the newest version's "
                      "loss, the time since the last row, the bill accrued meanwhile; virtual "
                      "clock only, no --faults, no --resume)"),
    [OPT_UPDATE] = TEXT("update", "RULE", "average under hsp, overwrite under bsp, ssp and asp",
                        "how the functions combine their work. Every function's work counts "
                        "under: average[:K] (each trains its share with local SGD from the "
                        "epoch's model; the models, weighted by rows, are averaged by "
                        "scatter-reduce at the end of the share, or every K mini-batches) | "
                        "allreduce[:K], scatter-reduce[:K] (LambdaML's two storage "
                        "collectives: gradients of K mini-batches per function, 1 by default, "
                        "averaged each round, through a leader or by scatter-reduce) | "
                        "allgather[:K] (each function reads every other's gradient); these run "
                        "under hsp, on the virtual clock, without --faults. The lock-free "
                        "baselines, which lose updates: overwrite (PUT the local copy) | apply "
                        "(re-read the newest version and apply the step's change)"),
    [OPT_LR_SCALE] = TEXT("lr-scale", "RULE", "auto",
                          "the learning rate of an update that combines the work of n "
                          "functions (n K mini-batches under the gradient rules): none | "
                          "linear[:W] (times the mini-batches combined) | sqrt[:W] (times "
                          "their square root) | auto[:W] (linear for SGD, sqrt for Adam); "
                          "ramped from the one-function rate over the first W epochs "
                          "(default 0.25)"),
    [OPT_FETCH] = CHOICE("fetch", "HOW", "share|batch", "share",
                         "how a function of the round rules reads its data: share (its whole "
                         "share, ranged GETs of the preset's range size, the next one fetched "
                         "while it computes) | batch (one GET per mini-batch before its step)"),
    [OPT_LATENCY] = CHOICE("latency", "HOW", "variable|fixed", "variable",
                           "variable (every start and request latency drawn from the preset's "
                           "lognormal, seeded by --seed) | fixed (every latency its median)"),
    [OPT_CHANNEL] = CHOICE("channel", "CH", "s3|redis|memcached|dynamodb|vm-ps", "s3",
                           "where functions exchange models and gradients (data always comes "
                           "from S3): its latency, bandwidth and prices come from the preset; "
                           "--kv still decides where the bytes really live"),
    [OPT_CONCURRENCY] = INT("concurrency", "N", 1, 1000000, "the preset's",
                            "concurrent executions the account is granted (AWS raises its "
                            "default of 1,000 on request); the burst and scale-up still apply"),
    [OPT_DATA] = CHOICE("data", "HOW", "stage|generate", "stage",
                        "lr-synthetic's training rows: stage (made once and put into the store "
                        "as mini-batch objects) | generate (each function makes its own "
                        "batches' rows from the seed and its row range, where it trains: nothing "
                        "is staged and no rank holds the training set; the GETs are still "
                        "planned, timed and billed, and trace.h5 marks them data_gen)"),
    [OPT_CLOCK] = CHOICE("clock", "CLOCK", "virtual|wall", "virtual",
                         "virtual (planned, deterministic) | wall (every function at once, "
                         "real timers; faithful with a core each)"),
    [OPT_PLATFORM] = TEXT("platform", "P", "lambda-2019",
                          "lambda-2019 | lambda-2024 | a preset file"),
    [OPT_BUDGET] = NUM("budget", "USD", 0, NONE, 1, NULL, "stop when the cost reaches it"),
    [OPT_TARGET_LOSS] = NUM("target-loss", "L", 0, NONE, 1, "the workload's",
                            "stop when the held-out loss reaches it"),
    [OPT_MAX_EPOCHS] = INT("max-epochs", "E", 1, SIREN_MAX_EPOCHS, "10",
                           "stop after E epochs; the bound is the simulator's, the same in "
                           "every command"),
    [OPT_ON_TIMEOUT] = CHOICE("on-timeout", "WHAT", "continue|fail", "fail",
                              "continue (a function that reaches the platform's timeout is "
                              "re-invoked, warm, for its remaining steps) | fail (it is killed "
                              "at the timeout)"),
    [OPT_EVAL_ROWS] = INT("eval-rows", "N", 1, NONE, "all",
                          "held-out rows evaluated per epoch"),
    [OPT_KV] = TEXT("kv", "URL", NULL,
                    "the KV store: file:DIR | redis://[[user]:password@]host:port[/db] (the "
                    "password %-encoded where it holds '@', ':' or '/'; without one in the URL, "
                    "$REDISCLI_AUTH's)"),
    [OPT_CALIBRATION] = TEXT("calibration", "FILE",
                             "results/calibration/reference.json in the source tree",
                             "seconds per training sample of each workload, as siren "
                             "calibrate measures them"),
    [OPT_OUT] = TEXT("out", "DIR", NULL, "where the outputs go"),
    [OPT_QUIET] = FLAG("quiet", "no progress line per epoch"),

    [OPT_BATCH] = INT("batch", "B", 1, 1 << 20, "the workload's", "samples per mini-batch"),
    [OPT_LR] = NUM("lr", "X", 0, NONE, 1, "the workload's", "learning rate"),
    [OPT_SEED] = INT("seed", "S", 0, NONE, "0",
                     "seed of the data order and the initial parameters"),
    [OPT_ROWS] = INT("rows", "N", 10, NONE, "the real split; lr-synthetic's 100,000",
                     "training rows: lr-synthetic's and lr-criteo's generated rows; for lenet-mnist, "
                     "lenet-fashion and textcnn-polarity the real rows, then seeded "
                     "augmentations of them (shifts, flips, token drops and swaps) up to N, "
                     "or a seeded sample of N when fewer (datasets/README.md: the rules and "
                     "what fits in memory); the held-out split stays the real one"),
    [OPT_HASH_BITS] = INT("hash-bits", "K", 4, 28, "the workload's",
                          "features hashed into 2^K weights (lr-ctr, lr-synthetic, lr-criteo)"),
    [OPT_OPTIMIZER] = CHOICE("optimizer", "NAME", "sgd|sgd-momentum|adam|newton", "the workload's",
                             "sgd | sgd-momentum | adam (mini-batch steps at --lr) | newton "
                             "(LR workloads: full-batch Newton-CG with L2 = 1/rows, liblinear's "
                             "C = 1; an epoch is one Newton step)"),

    [OPT_SLOTS] = INT("slots", "K", 1, 64, "1", "sandboxes run at once per rank"),
    [OPT_BACKEND] = CHOICE("backend", "WHERE", "sandbox|lambda", "sandbox",
                           "sandbox (local siren-fn processes) | lambda (the functions run on "
                           "AWS Lambda: needs --clock wall, --function F and an s3:// --kv "
                           "that the functions can reach)"),
    [OPT_FUNCTION] = TEXT("function", "F", NULL,
                          "with --backend lambda: a function name (\"%d\" becomes the memory "
                          "size), or the http:// URL of a local Runtime API emulator "
                          "(scripts/peers/lambda-up.sh)"),
    [OPT_FAULTS] = TEXT("faults", "SPEC", NULL,
                        "inject faults, drawn from --seed on the virtual clock: crash=P (an "
                        "invocation dies at a random point), straggler=P:F (its compute runs "
                        "F times slower), kv-error=P (a KV request fails transiently; retried "
                        "with backoff), throttle=on (the preset's request rates enforced); "
                        "e.g. crash=0.1,straggler=0.1:3 (hsp and ssp only)"),
    [OPT_RETRIES] = INT("retries", "N", 0, 100, "2",
                        "retries of a failed invocation, as Lambda retries an asynchronous "
                        "one"),
    [OPT_RETRY_DELAY] = NUM("retry-delay", "S", 0, NONE, 0, "60 s, Lambda's",
                            "wait before the first retry, doubled for each next one"),
    [OPT_RESUME] = TEXT("resume", "DIR", NULL,
                        "continue the run whose --out was DIR from its last completed epoch "
                        "(after a kill: its arguments and KV store are the ones it recorded "
                        "in DIR/run.json); nothing else may be given"),

    [OPT_EPOCHS] = INT("epochs", "N", 1, NONE, "the workload's", "epochs to train"),
    [OPT_THREADS] = INT("threads", "T", 1, 1024, "1", "OpenBLAS threads"),
    [OPT_JSON] = FLAG("json", "one JSON object with the results as the last stdout line"),
    [OPT_DRY_RUN] = FLAG("dry-run",
                         "print the model's memory at the batch size and train nothing"),
    [OPT_REPS] = INT("reps", "N", 1, 100000, "21",
                     "timed training steps, after three warm-up ones"),

    [OPT_LOSS_MODEL] = TEXT("loss-model", "FILE",
                            "results/sched/models/W.RULE.json in the source tree",
                            "the loss-progress model (siren sim fit)"),
    [OPT_EXACT] = FLAG("exact", "build every epoch with the planner (no closed form)"),
    [OPT_SCHEDULE_OUT] = TEXT("schedule-out", "FILE", NULL,
                              "write the actions taken as a schedule file"),
    [OPT_FORM] = CHOICE("form", "FORM", "rounds|discount|parallel", "rounds",
                        "the form of the loss-progress model"),
    [OPT_MODEL] = TEXT("model", "MODEL.json", NULL,
                       "check how MODEL predicts the runs instead of fitting one"),
    [OPT_PER_RUN] = FLAG("per-run", "also print how the fitted model predicts each run"),
    [OPT_ALL_EPOCHS] = FLAG("all-epochs",
                            "keep each run's epochs after its lowest loss (left out by "
                            "default)"),

    [OPT_EPISODES] = INT("episodes", "K", 1, NONE, "20000", "training episodes"),
    [OPT_POLICIES] = TEXT("policies", "LIST",
                          "drl:results/sched/W.policy.json (in the source tree),grid,heuristic,"
                          "bo,model,oracle",
                          "the policies to compare, comma-separated"),
    [OPT_EMULATE] = FLAG("emulate",
                         "replay each policy's schedule in the emulator (one rank) and report "
                         "the fidelity of the simulated JCT"),
    [OPT_BUDGET_SPREAD] = NUM("budget-spread", "X", 1, NONE, 0, "1",
                              "train at budgets log-uniform in [B/X, B*X]"),
    [OPT_ALGO] = CHOICE("algo", "ALGO", "ppo|reinforce", "ppo",
                        "the policy-gradient method"),
    [OPT_SIGMA] = TEXT("sigma", "START,END", "0.3,0.02",
                       "exploration ceiling, annealed (both > 0)"),
    [OPT_COLD_START] = FLAG("cold-start", "start from a random network, not the grid's action"),
    [OPT_STARTS] = INT("starts", "K", 1, 64, "4",
                       "K runs of episodes/K each: from the grid's action and from static "
                       "actions spread over n; the best one is kept"),
    [OPT_MATRIX] = TEXT("matrix", "SUITE", NULL,
                        "run the contest of a suite file (workloads x budgets x seeds) and "
                        "write its tables and figure"),
    [OPT_PLAN_MARGIN] = NUM("plan-margin", "Z", 0, NONE, 0, "1.5; 0: none",
                            "plan (train, search) to reach the target minus Z times the loss "
                            "model's RMSE (at most half the way to the model's asymptote), so "
                            "that the model's error still leaves the schedule reaching the "
                            "real target; eval replays each planned schedule to the real "
                            "target"),

    [OPT_INSTANCE_TYPE] = TEXT("instance-type", "T", NULL,
                               "a VM type of the platform (m4.large, m4.xlarge, m4.2xlarge, "
                               "c5.2xlarge in lambda-2019)"),
    [OPT_INSTANCES] = INT("instances", "K", 1, 4096, NULL, "workers, one per instance"),
    [OPT_SERVERS] = INT("servers", "S", 1, 4096, "K", "server ranks"),
    [OPT_MODE] = CHOICE("mode", "M", "sync|async", "sync", "sync (dist_sync) | async (dist_async)"),
    [OPT_VCPUS] = INT("vcpus", "V", 1, 256, "the instance's",
                      "override the instance's vCPUs (benchmarks on small hosts)"),
    [OPT_LATENCY_US] = NUM("latency-us", "U", 0, NONE, 0, NULL,
                           "one-way network latency in microseconds"),
    [OPT_NET_GBIT_S] = NUM("net-gbit-s", "G", 0, NONE, 1, "the instance's",
                           "network bandwidth in Gbit/s"),

    [OPT_EVENT] = TEXT("event", "FILE", NULL, "the event, a JSON object ('-': stdin)"),
    [OPT_EXAMPLE] = TEXT("example", "W", NULL,
                         "stage a ready event's data and parameters for workload W in the KV "
                         "store and print the event"),
    [OPT_MEMORY] = INT("memory", "MB", 1, NONE, NULL, "the function's memory size in MB"),
    [OPT_TIMEOUT] = NUM("timeout", "S", 0, NONE, 1, "the platform's",
                        "the function's wall-clock timeout in seconds"),
    [OPT_HANDLER] = TEXT("handler", "NAME", "train", "the handler the function runs"),
    [OPT_STEPS] = INT("steps", "K", 1, 100000, "1", "mini-batches the example trains on"),

    [OPT_SHARD_HASH_BITS] = INT("hash-bits", "K", 1, 30, NULL,
                                "Criteo features are hashed into 2^K columns"),
    [OPT_FILE] = TEXT("file", "PATH", NULL, "read and validate the whole raw file"),
    [OPT_FORMAT] = TEXT("format", "F", "guessed from the name or the content",
                        "idx | polarity | criteo | libsvm"),

    [OPT_QUICK] = FLAG("quick", "a smaller run"),
    [OPT_BENCH_REPS] = INT("reps", "N", 1, 100, NULL, "repetitions"),
    [OPT_SIM_EPOCHS] = INT("epochs", "N", 1000, NONE, "2000000", "simulated epochs per repetition"),
    [OPT_NO_TORCH] = FLAG("no-torch", "leave out the PyTorch peer"),
    [OPT_KV_DIR] = TEXT("kv-dir", "DIR", "$TMPDIR or /tmp", "where the KV half's stores live"),
    [OPT_PINGPONG] = INT("pingpong", "BYTES", 8, NONE, NULL,
                         "(run by the benchmark itself under mpirun -n 2) the MPI link's "
                         "latency and bandwidth with messages of BYTES"),
    [OPT_GRID] = INT("grid", "E", 1, SIREN_MAX_EPOCHS, NULL,
                     "the EC2 table instead (grid.md/.csv), LeNet's runs at most E epochs"),
    [OPT_LABEL] = TEXT("label", "L", "the run's scheduler",
                       "names the run in the same position (repeatable)"),
    [OPT_EXPECTED] = TEXT("expected", "FILE", "the suite's \"expected\"",
                          "compare with these expected values and exit 1 naming every figure "
                          "out of tolerance"),
    [OPT_CHECK] = TEXT("check", "DIR", NULL,
                       "compare DIR/table.json with the expected values; run nothing"),
    [OPT_WRITE_EXPECTED] = FLAG("write-expected",
                                "write the expected-values file from this run instead"),
    [OPT_NO_PLOTS] = FLAG("no-plots", "tables only"),

    [OPT_KEPT] = FLAG("kept", "also remove jobs that finished with --keep"),
    [OPT_STALE_AFTER] = NUM("stale-after", "S", 0, NONE, 1, "never",
                            "also remove jobs whose coordinator runs on another host (which "
                            "cannot be checked from here) and was last heard of (an epoch "
                            "committed) more than S seconds ago"),

    [OPT_JOB] = TEXT("job", "NAME", "a fresh id, recorded in OUT/run.json",
                     "the job's id in the store: every object of the job lives under "
                     "jobs/NAME/, so that jobs sharing one store never meet (1 to 48 of "
                     "A-Z a-z 0-9 . _ -)"),
    [OPT_KEEP] = FLAG("keep", "keep the job's parameters and checkpoints in the store when it "
                              "finishes (siren kv gc --kept removes them)"),
    [OPT_FORCE] = FLAG("force", "start the job even when its id is taken in the store: the "
                                "owner's objects are deleted first"),

    [OPT_SERVER_UPDATE] = FLAG("server-update",
                               "measure the parameter server's update per parameter instead, "
                               "stored as \"W@update\""),
    [OPT_PROVISIONING] = CHOICE("provisioning", "P", "on|off", "on",
                                "on: the instances boot and copy the data set from S3 before "
                                "training, billed from launch | off: warm instances, training "
                                "only"),
};

const struct opt_info *opt_info_get(enum opt_id id) { return &table[id]; }

/* getopt_long's val of the use at index i: above every character, so never a short option. */
#define VAL_BASE 0x1000

void opt_parser_init(struct opt_parser *p, const struct opt_use *use, size_t n_use, int argc,
                     char **argv)
{
    memset(p, 0, sizeof *p);
    p->use = use;
    p->n_use = n_use;
    p->argc = argc;
    p->argv = argv;
    p->operand = argc;
}

/* The bounds as the help shows them: "1..256", ">= 0", "> 0" ("" for none). */
static void bounds_text(const struct opt_info *o, char *buf, size_t len)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, o->kind == OPT_INT ? "%.0f" : "%.15g", o->min);
    snprintf(hi, sizeof hi, o->kind == OPT_INT ? "%.0f" : "%.15g", o->max);
    if (o->min > -NONE && o->max < NONE) snprintf(buf, len, "%s..%s", lo, hi);
    else if (o->min > -NONE) snprintf(buf, len, "%s %s", o->min_open ? ">" : ">=", lo);
    else if (o->max < NONE) snprintf(buf, len, "<= %s", hi);
    else buf[0] = '\0';
}

/* What an argument must be: "an integer in 1..256", "a number > 0". */
static void expected_text(const struct opt_info *o, char *buf, size_t len)
{
    char b[80];
    bounds_text(o, b, sizeof b);
    snprintf(buf, len, "%s%s%s", o->kind == OPT_INT ? "an integer" : "a number",
             strstr(b, "..") ? " in " : b[0] ? " " : "", b);
}

/* "overwrite or apply", "hsp, bsp or asp": the choices as a sentence. */
static void choices_text(const char *choices, char *buf, size_t len)
{
    size_t o = 0, n = strlen(choices);
    buf[0] = '\0';
    for (size_t i = 0; i < n && o + 8 < len; i++) {
        if (choices[i] != '|') {
            buf[o++] = choices[i];
            continue;
        }
        const char *sep = strchr(choices + i + 1, '|') ? ", " : " or ";
        o += (size_t)snprintf(buf + o, len - o, "%s", sep);
    }
    buf[o < len ? o : len - 1] = '\0';
}

/* The index of word in choices, or -1. */
static int choice_index(const char *choices, const char *word)
{
    size_t wl = strlen(word);
    int k = 0;
    for (const char *c = choices;; k++) {
        size_t cl = strcspn(c, "|");
        if (cl == wl && !strncmp(c, word, wl)) return k;
        if (!c[cl]) return -1;
        c += cl + 1;
    }
}

/* Checks an argument against the table; fills v. */
static int convert(const struct opt_info *o, const char *arg, struct opt_value *v, struct err *e)
{
    char expect[128];
    v->text = arg;
    switch (o->kind) {
    case OPT_FLAG:
    case OPT_TEXT: return SIREN_OK;
    case OPT_CHOICE: {
        int k = choice_index(o->choices, arg);
        if (k < 0) {
            choices_text(o->choices, expect, sizeof expect);
            return err_set(e, SIREN_EUSAGE, "--%s: expected %s, got '%s'", o->name, expect, arg);
        }
        v->i = k;
        return SIREN_OK;
    }
    case OPT_INT:
    case OPT_NUM: {
        struct err ignore;
        long long i = 0;
        double d;
        int bad = o->kind == OPT_INT ? parse_long(arg, o->name, &i, &ignore)
                                     : parse_double(arg, o->name, &d, &ignore);
        if (o->kind == OPT_INT) d = (double)i;
        if (!bad) bad = d < o->min || d > o->max || (o->min_open && d == o->min);
        if (bad) {
            expected_text(o, expect, sizeof expect);
            return err_set(e, SIREN_EUSAGE, "--%s: expected %s, got '%s'", o->name, expect, arg);
        }
        v->i = i;
        v->d = d;
        return SIREN_OK;
    }
    }
    return SIREN_OK;
}

/* "--max" names --max-epochs and --max-functions alike: lists them, or says it is unknown. */
static int unknown_option(const struct opt_parser *p, const char *arg, struct err *e)
{
    if (strncmp(arg, "--", 2) || !arg[2])
        return err_set(e, SIREN_EUSAGE, "unknown option '%s'", arg);
    size_t n = strcspn(arg + 2, "=");
    char names[512] = "";
    int matches = 0;
    for (size_t i = 0; i < p->n_use; i++) {
        const char *name = table[p->use[i].id].name;
        if (strncmp(name, arg + 2, n)) continue;
        size_t l = strlen(names);
        snprintf(names + l, sizeof names - l, "%s--%s", matches ? ", " : "", name);
        matches++;
    }
    if (matches > 1)
        return err_set(e, SIREN_EUSAGE, "option '%s' is ambiguous: %s", arg, names);
    return err_set(e, SIREN_EUSAGE, "unknown option '%s'", arg);
}

int opt_parser_next(struct opt_parser *p, struct opt_value *v, struct err *e)
{
    /* getopt_long's table, rebuilt each call (it keeps no pointer to it between calls). */
    struct option lo[OPT_COUNT + 1];
    int takes_help = 0;
    if (p->n_use > OPT_COUNT)
        return err_set(e, SIREN_EINVAL, "option list: %zu options, more than the table's %d",
                       p->n_use, OPT_COUNT);
    for (size_t i = 0; i < p->n_use; i++) {
        const struct opt_info *o = &table[p->use[i].id];
        lo[i] = (struct option){o->name, o->kind == OPT_FLAG ? no_argument : required_argument,
                                NULL, VAL_BASE + (int)i};
        takes_help |= p->use[i].id == OPT_HELP;
    }
    lo[p->n_use] = (struct option){NULL, 0, NULL, 0};
    if (!p->started) {
        optind = 0; /* a full restart of getopt, whatever parsed before */
        opterr = 0; /* the messages are ours */
        p->started = 1;
    }
    memset(v, 0, sizeof *v);
    /* The leading ':' makes a missing argument ':' rather than '?'. */
    int c = getopt_long(p->argc, p->argv, takes_help ? ":h" : ":", lo, NULL);
    if (c == -1) {
        p->operand = optind;
        return 0;
    }
    if (c == 'h') {
        v->id = OPT_HELP;
        return 1;
    }
    int k = (c == ':' || c == '?') ? optopt - VAL_BASE : c - VAL_BASE;
    if (c == ':' && k >= 0 && (size_t)k < p->n_use)
        return err_set(e, SIREN_EUSAGE, "--%s needs an argument (%s)", table[p->use[k].id].name,
                       p->use[k].arg ? p->use[k].arg : table[p->use[k].id].arg);
    if (c == '?' && k >= 0 && (size_t)k < p->n_use)
        return err_set(e, SIREN_EUSAGE, "--%s takes no argument", table[p->use[k].id].name);
    if (c == '?' || c == ':') {
        if (optopt > 0 && optopt < VAL_BASE)
            return err_set(e, SIREN_EUSAGE, "unknown option '-%c'", optopt);
        return unknown_option(p, p->argv[optind - 1], e);
    }
    if (k < 0 || (size_t)k >= p->n_use)
        return err_set(e, SIREN_EINVAL, "getopt_long returned %d", c);
    v->id = p->use[k].id;
    return convert(&table[v->id], optarg, v, e) ? SIREN_EUSAGE : 1;
}

int opt_parse(const char *cmd, const struct opt_use *use, size_t n_use, int argc, char **argv,
              int (*fn)(void *ctx, const struct opt_value *v, struct err *e), void *ctx,
              int *operand)
{
    struct opt_parser p;
    struct opt_value v;
    struct err e;
    int rc;
    opt_parser_init(&p, use, n_use, argc, argv);
    while ((rc = opt_parser_next(&p, &v, &e)) > 0)
        if ((rc = fn(ctx, &v, &e))) break;
    if (rc == OPT_DONE) return 0;
    if (rc) return opt_usage_error(cmd, "%s", e.msg);
    if (!operand && p.operand < argc)
        return opt_usage_error(cmd, "unexpected argument '%s'", argv[p.operand]);
    if (operand) *operand = p.operand;
    return OPT_GO_ON;
}

/* ------------------------------------------------------------------- help */

#define HELP_INDENT 23
#define HELP_WIDTH 79

/* Writes left, then text from column HELP_INDENT on (on the next line when left reaches it),
 * wrapped at spaces into lines of at most HELP_WIDTH columns where the words allow. */
static void write_entry(FILE *f, const char *left, const char *text)
{
    int col = fprintf(f, "%s", left);
    if (col >= HELP_INDENT - 1) {
        fputc('\n', f);
        col = 0;
    }
    fprintf(f, "%*s", HELP_INDENT - col, "");
    col = HELP_INDENT;
    int line_start = 1;
    for (const char *w = text; *w;) {
        while (*w == ' ') w++;
        size_t n = strcspn(w, " ");
        if (!n) break;
        if (!line_start && col + 1 + (int)n > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
            line_start = 1;
        }
        if (!line_start) {
            fputc(' ', f);
            col++;
        }
        fwrite(w, 1, n, f);
        col += (int)n;
        w += n;
        line_start = 0;
    }
    fputc('\n', f);
}

void opt_help_write(FILE *f, const struct opt_use *use, size_t n_use)
{
    for (size_t i = 0; i < n_use; i++) {
        const struct opt_info *o = &table[use[i].id];
        const char *arg = use[i].arg ? use[i].arg : o->arg;
        const char *def = use[i].def ? use[i].def : o->def;
        char left[96], text[2048], bounds[128] = "";
        if (use[i].id == OPT_HELP) snprintf(left, sizeof left, "  -h, --help");
        else if (o->kind == OPT_FLAG) snprintf(left, sizeof left, "  --%s", o->name);
        else snprintf(left, sizeof left, "  --%s %s", o->name, arg);
        if (o->kind == OPT_INT || o->kind == OPT_NUM) bounds_text(o, bounds, sizeof bounds);
        /* Bounds and default in brackets, apart from the prose and its parentheses. */
        const char *help = use[i].help ? use[i].help : o->help;
        int has_def = def && *def;
        if (bounds[0] || has_def)
            snprintf(text, sizeof text, "%s [%s%s%s%s]", help, bounds,
                     bounds[0] && has_def ? ", " : "", has_def ? "default " : "",
                     has_def ? def : "");
        else snprintf(text, sizeof text, "%s", help);
        write_entry(f, left, text);
    }
}

/* ---------------------------------------------------------------- environment */

const struct env_var env_vars[] = {
    {"SIREN_LOG", "error | warn | info | debug: the least severe level of log messages written "
                  "to stderr [default info]"},
    {"SIREN_SOURCE_DIR", "the source tree: committed inputs (results/, bench/suites/, "
                         "emu/platforms/, datasets/sums/) and the benchmarks' results/SUITE/ "
                         "[default the tree siren was built from, else the current directory]"},
    {"SIREN_DATA_DIR", "cache of raw files and .h5 shards [default datasets/cache in the source "
                       "tree]"},
    {"SIREN_DATA_MIRROR", "a local copy of the raw files [default ../shared/datasets beside the "
                          "source tree, else from the current directory]"},
    {"SIREN_DATA_OFFLINE", "when set, datasets are never downloaded"},
    {"SIREN_PLATFORM_DIR", "where platform presets are found by name [default emu/platforms in "
                           "the source tree]"},
    {"SIREN_KV", "the KV store of siren kv and siren invoke --example [default file:.siren/kv]"},
    {"REDISCLI_AUTH", "the password of a redis:// store whose URL gives none (as redis-cli "
                      "reads it); never logged nor shown in a message"},
    {"SIREN_FN", "the siren-fn binary the sandboxes run [default siren-fn beside the running "
                 "binary]"},
    {"SIREN_SANDBOX_MEM", "cgroup | watchdog: how a sandbox holds a function to its memory size "
                          "[default cgroup where this host allows it, else watchdog]"},
    {"SIREN_MPIRUN", "the launcher of a suite's MPI runs, split on spaces [default mpirun "
                     "--oversubscribe]"},
    {"SIREN_BOOTSTRAP_FAIL_INIT", "tests only: the Lambda bootstrap reports this message as an "
                                  "init error and exits"},
    {"SIREN_BOOTSTRAP_PLATFORM", "the preset (name or path) whose payload_bytes.sync the Lambda "
                                 "bootstrap holds each response to [default AWS Lambda's own, "
                                 "6 MB]"},
    {NULL, NULL},
};

void env_help_write(FILE *f, const char *prefix)
{
    for (const struct env_var *v = env_vars; v->name; v++) {
        if (strncmp(v->name, prefix, strlen(prefix))) continue;
        char left[64];
        snprintf(left, sizeof left, "  %s", v->name);
        write_entry(f, left, v->help);
    }
}

int opt_usage_verror(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "siren %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'siren %s --help')\n", cmd);
    return 2;
}

int opt_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = opt_usage_verror(cmd, fmt, ap);
    va_end(ap);
    return rc;
}

/*
 * siren data: fetch, prepare and describe the datasets of the paper's workloads.
 *
 *   siren data fetch [NAME...]       find or download raw files and verify their SHA-256
 *   siren data prepare NAME...       write $SIREN_DATA_DIR/NAME/{train,test}.h5
 *   siren data info NAME             rows, features, classes, files and sums of each split
 *   siren data info --file PATH      validate a whole raw file and describe it
 * Results go to stdout, logs and errors to stderr; exit 0 success, 1 failure, 2 bad usage.
 */
#include "cmd.h"
#include "datasets.h"

#include <stdlib.h>
#include <string.h>

/* "1234567" -> "1,234,567" (the counts users compare with the papers). */
static const char *fmt_count(unsigned long long v, char *buf, size_t buflen)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < buflen; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static void list_names(FILE *f)
{
    for (size_t i = 0; i < ds_registry_count(); i++) {
        const struct ds_entry *d = ds_registry_at(i);
        fprintf(f, "  %-14s %s%s\n", d->name, d->description, d->optional ? " (optional)" : "");
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: siren data fetch [NAME...]\n"
               "       siren data prepare [--hash-bits K] NAME...\n"
               "       siren data info NAME\n"
               "       siren data info --file PATH [--format idx|polarity|criteo|libsvm]\n\n"
               "Find or download raw files and verify their SHA-256 (fetch), write HDF5 shards\n"
               "(prepare), describe a dataset or validate a raw file (info).\n\n"
               "environment:\n");
    env_help_write(f, "SIREN_DATA_");
    fprintf(f, "\ndatasets:\n");
    list_names(f);
}

static const struct opt_use fetch_opts[] = {{.id = OPT_HELP}};
static const struct opt_use prepare_opts[] = {
    {.id = OPT_SHARD_HASH_BITS, .def = CMD_STR(DS_CRITEO_HASH_BITS)},
    {.id = OPT_HELP},
};
static const struct opt_use info_opts[] = {{.id = OPT_FILE}, {.id = OPT_FORMAT}, {.id = OPT_HELP}};

/* What the options of a subcommand gave. */
struct data_args {
    int first; /* argv index of the first NAME */
    int hash_bits;
    const char *file, *format;
};

static const char fetch_help[] =
    "usage: siren data fetch [NAME...]\n\n"
    "Finds each dataset's raw files (mirror, Debian package, publisher),\n"
    "verifies their SHA-256 and caches them in $SIREN_DATA_DIR/raw/NAME/.\n"
    "With no NAME, fetches every dataset; optional ones that cannot be found\n"
    "are skipped with a note.\n\n";

static int data_fetch(int argc, char **argv, const struct data_args *args)
{
    int named = args->first < argc, failed = 0;
    for (int i = args->first; i < argc; i++)
        if (!ds_registry_find(argv[i]))
            return opt_usage_error("data fetch", "unknown dataset '%s'", argv[i]);
    char dir[4096];
    ds_data_dir(dir, sizeof dir);
    size_t n = named ? (size_t)(argc - args->first) : ds_registry_count();
    for (size_t i = 0; i < n; i++) {
        const struct ds_entry *d = named ? ds_registry_find(argv[args->first + i]) : ds_registry_at(i);
        struct err e;
        err_clear(&e);
        if (ds_fetch(d, &e) != SIREN_OK) {
            if (!named && d->optional && e.code == SIREN_ENOTFOUND) {
                printf("%s: skipped (optional, not available here: %s)\n", d->name, e.msg);
                continue;
            }
            cmd_fail("data fetch", &e);
            failed = 1;
            continue;
        }
        printf("%s: %zu file%s verified in %s/raw/%s\n", d->name, d->n_files,
               d->n_files == 1 ? "" : "s", dir, d->name);
    }
    return failed;
}

static const char prepare_help[] =
    "usage: siren data prepare [--hash-bits K] NAME...\n\n"
    "Fetches NAME and writes $SIREN_DATA_DIR/NAME/train.h5 and test.h5.\n\n";

static int data_prepare(int argc, char **argv, const struct data_args *args)
{
    if (args->first >= argc) return opt_usage_error("data prepare", "name at least one dataset");
    int failed = 0;
    for (int i = args->first; i < argc; i++) {
        struct err e;
        err_clear(&e);
        if (ds_prepare_with(argv[i], args->hash_bits, &e) != SIREN_OK) {
            cmd_fail("data prepare", &e);
            failed = 1;
            continue;
        }
        char tr[4096], te[4096];
        ds_split_path(argv[i], "train", tr, sizeof tr);
        ds_split_path(argv[i], "test", te, sizeof te);
        printf("%s: %s, %s\n", argv[i], tr, te);
    }
    return failed;
}

/* What one row is called in each layout. */
static const char *row_noun(const struct ds_data *d)
{
    switch (d->layout) {
    case DS_IMAGES_U8: return "images";
    case DS_TOKENS_I32: return "sentences";
    case DS_SPARSE_CSR: return "rows";
    }
    return "rows";
}

static void print_split(const char *label, const struct ds_data *d, const char *file)
{
    char a[32], b[32], c[32];
    printf("  %s: %s %s", label, fmt_count(d->rows, a, sizeof a), row_noun(d));
    if (d->layout == DS_IMAGES_U8)
        printf(" of %dx%dx%d (channels x height x width)", d->channels, d->height, d->width);
    else if (d->layout == DS_TOKENS_I32)
        printf(", %d tokens each (padded), vocabulary %s words", d->seq_len,
               fmt_count((unsigned long long)d->vocab_size, b, sizeof b));
    else
        printf(", %s features%s, %s nonzeros", fmt_count(d->n_features, b, sizeof b),
               d->hash_bits ? " (hashed)" : "", fmt_count(d->nnz, c, sizeof c));
    printf("\n    classes: %d (", d->classes);
    for (int k = 0; k < d->classes; k++) {
        size_t n = 0;
        for (size_t r = 0; r < d->rows; r++) n += d->labels[r] == k;
        printf("%s%d: %s", k ? ", " : "", k, fmt_count(n, a, sizeof a));
    }
    printf(")\n");
    if (file) printf("    file: %s\n", file);
    if (d->source[0]) printf("    source: %s\n", d->source);
    if (d->sha256[0]) printf("    sha256 of the first source file: %s\n", d->sha256);
    if (d->seed) printf("    split seed: %llu\n", (unsigned long long)d->seed);
}

static int info_file(const char *path, const char *format)
{
    enum ds_format fmt = DS_FMT_UNKNOWN;
    if (format) {
        fmt = ds_format_parse(format);
        if (fmt == DS_FMT_UNKNOWN)
            return opt_usage_error("data info", "--format '%s': expected idx, polarity, criteo or "
                                   "libsvm", format);
    }
    struct ds_data d;
    struct err e;
    err_clear(&e);
    double t0 = clock_mono_s();
    if (ds_raw_read(path, fmt, &d, &e) != SIREN_OK) return cmd_fail("data info", &e);
    if (fmt == DS_FMT_UNKNOWN) fmt = ds_format_guess(path);
    printf("%s: valid %s file (read in %.2f s)\n", path, ds_format_name(fmt), clock_mono_s() - t0);
    print_split("all", &d, NULL);
    ds_data_free(&d);
    return 0;
}

static const char info_help[] =
    "usage: siren data info NAME\n"
    "       siren data info --file PATH [--format idx|polarity|criteo|libsvm]\n\n"
    "NAME: rows, features and classes of each split, the .h5 files and the\n"
    "SHA-256 of the raw files (prepares NAME first when needed).\n\n";

static int data_info(int argc, char **argv, const struct data_args *args)
{
    if (args->file) {
        if (args->first < argc) return opt_usage_error("data info", "give a NAME or --file, not both");
        return info_file(args->file, args->format);
    }
    if (args->first + 1 != argc) return opt_usage_error("data info", "name one dataset (or --file PATH)");
    const char *name = argv[args->first];
    const struct ds_entry *entry = ds_registry_find(name);
    if (!entry) return opt_usage_error("data info", "unknown dataset '%s'", name);
    struct ds_data split[2];
    const char *names[2] = {"train", "test"};
    char paths[2][4096];
    struct err e;
    err_clear(&e);
    for (int s = 0; s < 2; s++) {
        ds_split_path(name, names[s], paths[s], sizeof paths[s]);
        if (ds_load(name, names[s], &split[s], &e) != SIREN_OK) {
            if (s) ds_data_free(&split[0]);
            return cmd_fail("data info", &e);
        }
    }
    char a[32], b[32], c2[32];
    printf("%s: %s\n", name, entry->description);
    printf("  total: %s %s (train %s, test %s)\n",
           fmt_count(split[0].rows + split[1].rows, a, sizeof a), row_noun(&split[0]),
           fmt_count(split[0].rows, b, sizeof b), fmt_count(split[1].rows, c2, sizeof c2));
    for (int s = 0; s < 2; s++) print_split(names[s], &split[s], paths[s]);
    printf("  raw files (sha256, verified against datasets/sums/%s.sha256):\n", name);
    for (size_t i = 0; i < entry->n_files; i++) {
        char raw[4096], sum[65];
        ds_raw_path(entry, entry->files[i].name, raw, sizeof raw);
        if (sha256_file(raw, sum, &e) == SIREN_OK) printf("    %s  %s\n", sum, raw);
        else printf("    (missing)  %s\n", raw);
    }
    ds_data_free(&split[0]);
    ds_data_free(&split[1]);
    return 0;
}

/* A subcommand: its options, the help printed above them, and what runs once they are
 * parsed. */
struct data_verb {
    const char *name;
    const struct opt_use *use;
    size_t n_use;
    const char *help;
    int (*run)(int argc, char **argv, const struct data_args *args);
};

static const struct data_verb verbs[] = {
    {"fetch", fetch_opts, CMD_COUNT(fetch_opts), fetch_help, data_fetch},
    {"prepare", prepare_opts, CMD_COUNT(prepare_opts), prepare_help, data_prepare},
    {"info", info_opts, CMD_COUNT(info_opts), info_help, data_info},
};

/* opt_parse's context: the subcommand and what its options gave. */
struct data_parse {
    const struct data_verb *verb;
    struct data_args args;
};

/* Stores one option of a data subcommand (opt_parse's handler). */
static int data_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct data_parse *p = ctx;
    (void)e;
    switch (v->id) {
    case OPT_SHARD_HASH_BITS: p->args.hash_bits = (int)v->i; break;
    case OPT_FILE: p->args.file = v->text; break;
    case OPT_FORMAT: p->args.format = v->text; break;
    case OPT_HELP:
        printf("%s", p->verb->help);
        opt_help_write(stdout, p->verb->use, p->verb->n_use);
        return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int cmd_data(int argc, char **argv)
{
    int rc = cmd_verb_help(argc, argv, usage);
    if (rc != OPT_GO_ON) return rc;
    for (size_t i = 0; i < CMD_COUNT(verbs); i++) {
        if (strcmp(argv[1], verbs[i].name)) continue;
        struct data_parse p = {.verb = &verbs[i]};
        char cmd[32];
        snprintf(cmd, sizeof cmd, "data %s", verbs[i].name);
        rc = opt_parse(cmd, p.verb->use, p.verb->n_use, argc - 1, argv + 1, data_opt, &p,
                       &p.args.first);
        return rc != OPT_GO_ON ? rc : p.verb->run(argc - 1, argv + 1, &p.args);
    }
    return opt_usage_error("data", "unknown subcommand '%s' (fetch, prepare, info)", argv[1]);
}

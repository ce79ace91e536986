/*
 * siren kv: the KV store by hand. put/get/ls/rm on any store URL (file:DIR, a bare path,
 * redis://[[user]:password@]host:port[/db], or a scheme a port registers). The store is --kv URL, else
 * $SIREN_KV, else KV_DEFAULT_URL ("file:.siren/kv" under the current directory). Object bytes
 * go to stdout untouched (binary-safe); messages go to stderr. gc removes what jobs that did
 * not finish left in a store shared by many (store.h decides), one line per job and dataset.
 * Exit 0 success, 1 failure (including a missing key), 2 bad usage (including a bad key).
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "s3.h"
#include "store.h"

static const struct opt_use kv_opts[] = {
    {.id = OPT_KV, .def = "$SIREN_KV, else " KV_DEFAULT_URL,
     .help = "file:DIR (or a bare path; created if missing), "
             "redis://[[user]:password@]host:port[/db] (without a password in the URL, "
             "$REDISCLI_AUTH's)"},
    {.id = OPT_DRY_RUN, .help = "gc: say what would be removed, and remove nothing"},
    {.id = OPT_KEPT, .help = "gc: also remove jobs that finished with --keep"},
    {.id = OPT_STALE_AFTER,
     .help = "gc: also remove jobs whose coordinator runs on another host (which cannot be "
             "checked from here) and was last heard of (an epoch committed) more than S "
             "seconds ago"},
    {.id = OPT_HELP},
};

/* What the options ask. */
struct kv_request {
    const char *url;
    struct store_gc_opts gc;
    int gc_given; /* a gc option was given */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren kv put [--kv URL] KEY FILE   store FILE ('-' for stdin) under KEY\n"
            "       siren kv get [--kv URL] KEY        write the object's bytes to stdout\n"
            "       siren kv ls  [--kv URL] [PREFIX]   list keys (sorted) starting with PREFIX\n"
            "       siren kv rm  [--kv URL] KEY        delete the object\n"
            "       siren kv gc  [--kv URL] [--dry-run] [--kept] [--stale-after S]\n"
            "                                          remove what dead jobs left\n"
            "\n"
            "The KV store the functions use (the S3 stand-in): whole objects, atomic puts,\n"
            "checksummed values.\n"
            "\n"
            "Many jobs may share one store: each keeps its objects under jobs/ID/, and the\n"
            "data it stages under data/DIGEST/ (a SHA-256 of the staged bytes), shared\n"
            "by every job that stages the same bytes, each holding a reference\n"
            "data/DIGEST/users/ID. A job deletes its objects when it finishes (unless\n"
            "siren run --keep), and the last job using a dataset deletes it. gc removes\n"
            "the objects of jobs whose coordinator is gone (or that have no owner record\n"
            "left), and datasets no remaining job refers to. Whether a coordinator is gone\n"
            "is known on its own host only (its pid and that process's start time); a\n"
            "job of another host is removed only with --stale-after, once it has not\n"
            "committed an epoch for S seconds. Exit status 0 when gc ran, even when it\n"
            "left objects (each is named with the reason).\n"
            "\n"
            "options:\n");
    opt_help_write(f, kv_opts, CMD_COUNT(kv_opts));
    fprintf(f,
            "\n"
            "Keys: up to %d bytes of A-Z a-z 0-9 - _ . = + , @ in segments separated by '/';\n"
            "no leading '/', no empty segment, no segment starting with '.'.\n"
            "Exit status: 0 success, 1 failure (including a missing key), 2 bad usage\n(including a bad key).\n",
            KV_KEY_MAX_BYTES);
}

/* Stores an option (opt_parse's handler). */
static int kv_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct kv_request *r = ctx;
    (void)e;
    switch (v->id) {
    case OPT_KV: r->url = v->text; break;
    case OPT_DRY_RUN: r->gc.dry_run = r->gc_given = 1; break;
    case OPT_KEPT: r->gc.kept = r->gc_given = 1; break;
    case OPT_STALE_AFTER:
        r->gc.stale_after_s = v->d;
        r->gc_given = 1;
        break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

/* Prints "siren kv VERB: <the store's message>" for a failed call; returns the exit status:
 * a bad key or prefix is bad usage (2), anything else a failure (1). */
static int kv_fail(const struct kv *kv, const char *verb)
{
    fprintf(stderr, "siren kv %s: %s\n", verb, kv_errmsg(kv));
    return kv_errcode(kv) == SIREN_EINVAL ? 2 : 1;
}

/* Reads all of f into a malloc'ed buffer. */
static int read_stream(FILE *f, uint8_t **out, size_t *len, struct err *e)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return err_set(e, SIREN_ENOMEM, "stdin: out of memory");
    for (;;) {
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return err_set(e, SIREN_ENOMEM, "stdin: out of memory");
            }
            buf = grown;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        return err_set(e, SIREN_EIO, "stdin: read error");
    }
    *out = buf;
    *len = n;
    return SIREN_OK;
}

static int do_put(struct kv *kv, const char *key, const char *file)
{
    struct err e;
    uint8_t *data = NULL;
    size_t len;
    int rc;
    if (!strcmp(file, "-")) {
        rc = read_stream(stdin, &data, &len, &e);
    } else {
        char *text;
        rc = fs_read_all(file, &text, &len, &e);
        data = (uint8_t *)text;
    }
    if (rc) return cmd_fail("kv put", &e);
    rc = kv_put(kv, key, data, len);
    free(data);
    return rc ? kv_fail(kv, "put") : 0;
}

static int do_get(struct kv *kv, const char *key)
{
    struct kv_value v;
    if (kv_get(kv, key, &v) != SIREN_OK) return kv_fail(kv, "get");
    size_t len = v.len, w = fwrite(v.data, 1, len, stdout);
    kv_value_free(&v);
    if (fflush(stdout) != 0 || w != len) {
        fprintf(stderr, "siren kv get: cannot write the object to stdout\n");
        return 1;
    }
    return 0;
}

static int do_ls(struct kv *kv, const char *prefix)
{
    struct kv_keys k;
    if (kv_list(kv, prefix, &k) != SIREN_OK) return kv_fail(kv, "ls");
    for (size_t i = 0; i < k.count; i++) printf("%s\n", k.keys[i]);
    kv_keys_free(&k);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int do_rm(struct kv *kv, const char *key)
{
    return kv_delete(kv, key) != SIREN_OK ? kv_fail(kv, "rm") : 0;
}

/* One line of gc per job and dataset. */
static void gc_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

static int do_gc(struct kv *kv, const struct store_gc_opts *o)
{
    struct store_gc_report r;
    struct err e;
    if (store_gc(kv, o, gc_line, NULL, &r, &e)) {
        fflush(stdout);
        fprintf(stderr, "siren kv gc: %s\n", e.msg);
        return 1;
    }
    printf("%s %zu objects: %d job%s and %d dataset%s; left %d job%s and %d dataset%s\n",
           o->dry_run ? "would remove" : "removed", r.objects_removed, r.jobs_removed,
           r.jobs_removed == 1 ? "" : "s", r.data_removed, r.data_removed == 1 ? "" : "s",
           r.jobs_left, r.jobs_left == 1 ? "" : "s", r.data_left, r.data_left == 1 ? "" : "s");
    return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_kv(int argc, char **argv)
{
    int rc = cmd_verb_help(argc, argv, usage);
    if (rc != OPT_GO_ON) return rc;
    const char *verb = argv[1];
    int nargs_min, nargs_max;
    if (!strcmp(verb, "put")) {
        nargs_min = nargs_max = 2;
    } else if (!strcmp(verb, "get") || !strcmp(verb, "rm")) {
        nargs_min = nargs_max = 1;
    } else if (!strcmp(verb, "ls")) {
        nargs_min = 0;
        nargs_max = 1;
    } else if (!strcmp(verb, "gc")) {
        nargs_min = nargs_max = 0;
    } else {
        return opt_usage_error("kv", "unknown action '%s' (put, get, ls, rm, gc)", verb);
    }
    struct kv_request req = {.url = getenv("SIREN_KV")};
    if (!req.url || !req.url[0]) req.url = KV_DEFAULT_URL;
    struct err e;
    int first;
    rc = opt_parse("kv", kv_opts, CMD_COUNT(kv_opts), argc - 1, argv + 1, kv_opt, &req, &first);
    if (rc != OPT_GO_ON) return rc;
    if (req.gc_given && strcmp(verb, "gc"))
        return opt_usage_error("kv", "--dry-run, --kept and --stale-after are gc's options");
    const char *url = req.url;
    int nargs = argc - 1 - first;
    char **args = argv + 1 + first;
    if (nargs < nargs_min || nargs > nargs_max)
        return opt_usage_error("kv", "'%s' takes %s", verb,
                               !strcmp(verb, "put")  ? "KEY FILE"
                               : !strcmp(verb, "ls") ? "at most one PREFIX"
                               : !strcmp(verb, "gc") ? "no operand"
                                                     : "one KEY");
    struct kv *kv;
    s3_kv_register();
    if (kv_open(url, &kv, &e) != SIREN_OK) return cmd_fail("kv", &e);
    int status;
    if (!strcmp(verb, "put"))
        status = do_put(kv, args[0], args[1]);
    else if (!strcmp(verb, "get"))
        status = do_get(kv, args[0]);
    else if (!strcmp(verb, "ls"))
        status = do_ls(kv, nargs ? args[0] : "");
    else if (!strcmp(verb, "gc"))
        status = do_gc(kv, &req.gc);
    else
        status = do_rm(kv, args[0]);
    kv_close(kv);
    return status;
}

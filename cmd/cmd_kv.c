/*
 * siren kv: the KV store by hand. put/get/ls/rm on any store URL (file:DIR, a bare path,
 * redis://[[user]:password@]host:port[/db], or a scheme a port registers). The store is --kv URL, else
 * $SIREN_KV, else KV_DEFAULT_URL ("file:.siren/kv" under the current directory). Object bytes
 * go to stdout untouched (binary-safe); messages go to stderr. Exit 0 success, 1 failure
 * (including a missing key), 2 bad usage (including a bad key).
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "s3.h"

static const struct opt_use kv_opts[] = {
    {.id = OPT_KV, .def = "$SIREN_KV, else " KV_DEFAULT_URL,
     .help = "file:DIR (or a bare path; created if missing), "
             "redis://[[user]:password@]host:port[/db] (without a password in the URL, "
             "$REDISCLI_AUTH's)"},
    {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren kv put [--kv URL] KEY FILE   store FILE ('-' for stdin) under KEY\n"
            "       siren kv get [--kv URL] KEY        write the object's bytes to stdout\n"
            "       siren kv ls  [--kv URL] [PREFIX]   list keys (sorted) starting with PREFIX\n"
            "       siren kv rm  [--kv URL] KEY        delete the object\n"
            "\n"
            "The KV store the functions use (the S3 stand-in): whole objects, atomic puts,\n"
            "checksummed values.\n"
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

/* Stores --kv (opt_parse's handler). */
static int kv_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    (void)e;
    if (v->id == OPT_KV) *(const char **)ctx = v->text;
    if (v->id != OPT_HELP) return SIREN_OK;
    usage(stdout);
    return OPT_DONE;
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
    } else {
        return opt_usage_error("kv", "unknown action '%s' (put, get, ls, rm)", verb);
    }
    const char *url = getenv("SIREN_KV");
    if (!url || !url[0]) url = KV_DEFAULT_URL;
    struct err e;
    int first;
    rc = opt_parse("kv", kv_opts, CMD_COUNT(kv_opts), argc - 1, argv + 1, kv_opt, &url, &first);
    if (rc != OPT_GO_ON) return rc;
    int nargs = argc - 1 - first;
    char **args = argv + 1 + first;
    if (nargs < nargs_min || nargs > nargs_max)
        return opt_usage_error("kv", "'%s' takes %s", verb,
                               !strcmp(verb, "put")  ? "KEY FILE"
                               : !strcmp(verb, "ls") ? "at most one PREFIX"
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
    else
        status = do_rm(kv, args[0]);
    kv_close(kv);
    return status;
}

/*
 * siren platform constants [--platform NAME|PATH ...] [--out FILE]: every constant of the
 * platform presets as one Markdown document, a section per preset and a table row per
 * constant (key, value, unit, source, and the published measurement it is compared with).
 * The walk is generic: any object holding "value" and "unit" is a constant wherever it sits,
 * so a key added to a preset appears without a change here. The document is built in memory
 * and written only once every preset has been read (atomically with --out), so a missing or
 * malformed preset leaves nothing half-written. Exit 0 written, 1 a preset missing or
 * malformed, 2 bad usage.
 */
#define _GNU_SOURCE
#include "cmd.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

/* What a cell shows when a constant has no unit, source or comparison. */
#define CONSTANTS_NONE "—"
/* The most --platform options one command takes. */
#define CONSTANTS_MAX_PRESETS 64

static const struct opt_use constants_opts[] = {
    {.id = OPT_PLATFORM, .arg = "NAME|PATH", .def = "",
     .help = "a preset: a name in the presets directory or a JSON file; repeat for several, "
             "in that order [default every preset in the directory, by name]"},
    {.id = OPT_OUT, .arg = "FILE", .help = "write the document to FILE atomically (a temporary "
                                           "file renamed into place) instead of stdout"},
    {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siren platform constants [--platform NAME|PATH ...] [--out FILE]\n"
            "\n"
            "Writes every constant of the platform presets as Markdown: a section per preset\n"
            "(its name and description) and a table row per constant: its key in the preset\n"
            "(object_store.first_byte_ms, vm.instances[m4.large].s3_mb_per_s), its value\n"
            "(lists compact: [[128, 10], [1024, 70]]), unit and source, and \"compare\": the\n"
            "published measurement the value agrees with or departs from, taken from the\n"
            "constant's \"compare\" string (" CONSTANTS_NONE " where there is none).\n"
            "\n"
            "A constant is any object holding \"value\" and \"unit\", wherever it sits in the\n"
            "preset: the whole tree is walked, so new keys appear without a change here. A\n"
            "plain number of a list item (an instance's vcpus) is a constant too, with the\n"
            "item's source; its unit is in its name. List items are named by their \"name\",\n"
            "else by their index. Pipes and line breaks in a cell are escaped, so the tables\n"
            "stay valid.\n"
            "\n"
            "With no --platform: every preset (.json file) in the presets directory.\n"
            "results/platform/constants.md is that output, committed; after changing a\n"
            "preset, regenerate it with\n"
            "\n"
            "    build/siren platform constants --out results/platform/constants.md\n"
            "\n"
            "Exit status: 0 written, 1 a preset missing or malformed (the message names the\n"
            "file; nothing is written), 2 bad usage.\n"
            "\n"
            "options of constants:\n");
    opt_help_write(f, constants_opts, CMD_COUNT(constants_opts));
    fprintf(f, "\nenvironment:\n");
    env_help_write(f, "SIREN_PLATFORM_");
    env_help_write(f, "SIREN_SOURCE_");
}

/* --------------------------------------------------------------- cells */

/* Writes s as (part of) a table cell: backslashes and pipes escaped, line breaks as <br>, so
 * a row keeps its five cells whatever a source says. */
static void put_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\') {
            fputc('\\', f);
            fputc(*s, f);
        } else if (*s == '\n' || (*s == '\r' && s[1] != '\n')) {
            fputs("<br>", f);
        } else if (*s != '\r') {
            fputc(*s, f);
        }
    }
}

/* The shortest text that reads back as d: fixed-point where d is neither huge nor tiny
 * (0.0000166667 rather than 1.66667e-05, as a preset writes it), else %g. */
static const char *fmt_number(double d, char *buf, size_t len)
{
    if (!isfinite(d) || d == 0) {
        snprintf(buf, len, "%g", d == 0 ? 0.0 : d);
        return buf;
    }
    double a = fabs(d);
    if (a >= 1e-9 && a < 1e15)
        for (int k = 0; k <= 26; k++) {
            snprintf(buf, len, "%.*f", k, d);
            if (strtod(buf, NULL) == d) return buf;
        }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, d);
        if (strtod(buf, NULL) == d) return buf;
    }
    return buf;
}

/* s as a JSON string, for strings inside a list or an object. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

/* v compactly on one line: a string or a boolean as it is (quoted inside a list), lists and
 * objects as JSON with ", " between items ([[128, 10], [1024, 70]]). */
static void put_value(FILE *f, const cJSON *v, int top)
{
    char num[64];
    if (cJSON_IsNumber(v)) {
        fputs(fmt_number(v->valuedouble, num, sizeof num), f);
    } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", f);
    } else if (cJSON_IsString(v)) {
        if (top)
            fputs(v->valuestring, f);
        else
            put_quoted(f, v->valuestring);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v);
        const cJSON *c;
        fputc(obj ? '{' : '[', f);
        cJSON_ArrayForEach(c, v) {
            if (c != v->child) fputs(", ", f);
            if (obj) {
                put_quoted(f, c->string ? c->string : "");
                fputs(": ", f);
            }
            put_value(f, c, 0);
        }
        fputc(obj ? '}' : ']', f);
    } else {
        fputs("null", f);
    }
}

/* ---------------------------------------------------------------- walk */

/* One preset's table being written: rows so far, and whether memory ran out. */
struct walk {
    FILE *f;
    size_t rows;
    int nomem;
};

static const char *string_member(const cJSON *o, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* A constant: an object holding "value" and "unit". */
static int is_leaf(const cJSON *o)
{
    return cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, "value") &&
           cJSON_GetObjectItemCaseSensitive(o, "unit");
}

/* A string member that describes its object rather than holds one of its constants. */
static int is_label(const cJSON *item)
{
    static const char *const labels[] = {"name", "description", "source", "compare"};
    if (!cJSON_IsString(item) || !item->string) return 0;
    for (size_t i = 0; i < CMD_COUNT(labels); i++)
        if (!strcmp(item->string, labels[i])) return 1;
    return 0;
}

static int has_object(const cJSON *arr)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, arr) if (cJSON_IsObject(c)) return 1;
    return 0;
}

/* A cell from a value, or CONSTANTS_NONE when there is none (or it is ""). */
static void put_value_cell(FILE *f, const cJSON *v)
{
    if (!v || (cJSON_IsString(v) && !v->valuestring[0])) {
        fputs(CONSTANTS_NONE, f);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        fputs("?", f);
        return;
    }
    put_value(m, v, 1);
    if (fclose(m) == 0) put_cell(f, text);
    free(text);
}

static void put_text_cell(FILE *f, const char *s)
{
    put_cell(f, s && s[0] ? s : CONSTANTS_NONE);
}

static void put_row(struct walk *w, const char *key, const cJSON *value, const cJSON *unit,
                    const char *source, const char *compare)
{
    FILE *f = w->f;
    /* The key in a code span, unless it holds what a code span would show literally. */
    int code = !strpbrk(key, "`\\");
    fputs(code ? "| `" : "| ", f);
    put_cell(f, key);
    fputs(code ? "` | " : " | ", f);
    put_value_cell(f, value);
    fputs(" | ", f);
    put_value_cell(f, unit);
    fputs(" | ", f);
    put_text_cell(f, source);
    fputs(" | ", f);
    put_text_cell(f, compare);
    fputs(" |\n", f);
    w->rows++;
}

/* Writes the rows under node, whose key is key (NULL at the top). source and compare are
 * those of the nearest enclosing object that has them: the plain numbers of a list item
 * (vcpus of an instance) carry the item's. */
static void walk(struct walk *w, const char *key, const cJSON *node, const char *source,
                 const char *compare)
{
    const cJSON *c;
    if (is_leaf(node)) {
        put_row(w, key, cJSON_GetObjectItemCaseSensitive(node, "value"),
                cJSON_GetObjectItemCaseSensitive(node, "unit"), string_member(node, "source"),
                string_member(node, "compare"));
    } else if (cJSON_IsObject(node)) {
        if (string_member(node, "source")) source = string_member(node, "source");
        if (string_member(node, "compare")) compare = string_member(node, "compare");
        cJSON_ArrayForEach(c, node) {
            if (is_label(c)) continue;
            char *k = NULL;
            if (asprintf(&k, "%s%s%s", key ? key : "", key ? "." : "",
                         c->string ? c->string : "") < 0) {
                w->nomem = 1;
                return;
            }
            walk(w, k, c, source, compare);
            free(k);
        }
    } else if (cJSON_IsArray(node) && has_object(node)) {
        int i = 0;
        cJSON_ArrayForEach(c, node) {
            const char *name = cJSON_IsObject(c) ? string_member(c, "name") : NULL;
            char *k = NULL;
            int n = name ? asprintf(&k, "%s[%s]", key ? key : "", name)
                         : asprintf(&k, "%s[%d]", key ? key : "", i);
            if (n < 0) {
                w->nomem = 1;
                return;
            }
            walk(w, k, c, source, compare);
            free(k);
            i++;
        }
    } else {
        /* A plain value (a list of numbers included): its unit is in its name. */
        put_row(w, key ? key : "", node, NULL, source, compare);
    }
}

/* Appends the section of the preset in path to f. Errors: those of json_load_file (the
 * message names path), SIREN_EFORMAT (not a JSON object), SIREN_ENOMEM. */
static int write_section(FILE *f, const char *path, struct err *e)
{
    cJSON *root;
    int rc = json_load_file(path, &root, e);
    if (rc) return rc;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return err_set(e, SIREN_EFORMAT, "%s: expected a JSON object (a platform preset)", path);
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t stem = strlen(base);
    if (stem > 5 && !strcmp(base + stem - 5, ".json")) stem -= 5;
    const char *name = string_member(root, "name"), *desc = string_member(root, "description");
    if (name && name[0])
        fprintf(f, "## %s\n\n", name);
    else
        fprintf(f, "## %.*s\n\n", (int)stem, base);
    if (desc && desc[0]) {
        /* One paragraph: a line break in the description must not start a heading. */
        for (const char *s = desc; *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
        fputs("\n\n", f);
    }
    fprintf(f, "From `%s`.\n\n", base);
    fputs("| key | value | unit | source | compare |\n| --- | --- | --- | --- | --- |\n", f);
    struct walk w = {.f = f};
    walk(&w, NULL, root, NULL, NULL);
    fputc('\n', f);
    cJSON_Delete(root);
    if (w.nomem) return err_set(e, SIREN_ENOMEM, "%s: out of memory", path);
    return SIREN_OK;
}

/* ------------------------------------------------------------- command */

struct constants_args {
    const char *platforms[CONSTANTS_MAX_PRESETS];
    int n_platforms;
    const char *out;
};


static int constants_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct constants_args *a = ctx;
    switch (v->id) {
    case OPT_PLATFORM:
        if (a->n_platforms == CONSTANTS_MAX_PRESETS)
            return err_set(e, SIREN_EUSAGE, "--platform: at most %d presets",
                           CONSTANTS_MAX_PRESETS);
        a->platforms[a->n_platforms++] = v->text;
        break;
    case OPT_OUT: a->out = v->text; break;
    case OPT_HELP:
        usage(stdout);
        return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths of every preset in the presets directory, sorted by name. Caller frees each
 * and the array. Errors: SIREN_EIO (the directory cannot be read), SIREN_ENOTFOUND (it
 * holds no .json file), SIREN_ENOMEM. */
static int list_presets(char ***out, size_t *n_out, struct err *e)
{
    char dir[1024];
    int rc = platform_dir(dir, sizeof dir, e);
    if (rc) return rc;
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, errno, "cannot read the presets directory %s", dir);
    char **paths = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    rc = SIREN_OK;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= 5 || strcmp(de->d_name + l - 5, ".json")) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            char **np = realloc(paths, cap * sizeof *np);
            if (!np) {
                rc = err_set(e, SIREN_ENOMEM, "out of memory");
                break;
            }
            paths = np;
        }
        if (asprintf(&paths[n], "%s/%s", dir, de->d_name) < 0) {
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (!rc && n == 0)
        rc = err_set(e, SIREN_ENOTFOUND, "no presets (.json files) in %s", dir);
    if (rc) {
        for (size_t i = 0; i < n; i++) free(paths[i]);
        free(paths);
        return rc;
    }
    qsort(paths, n, sizeof *paths, compare_names);
    *out = paths;
    *n_out = n;
    return SIREN_OK;
}

/* The document's head: what made it, and what its columns mean. */
static void write_head(FILE *f, const struct constants_args *a)
{
    fputs("# Platform constants\n\nGenerated by `siren platform constants", f);
    for (int i = 0; i < a->n_platforms; i++) {
        fputs(" --platform ", f);
        put_cell(f, a->platforms[i]);
    }
    fputs("`", f);
    if (a->n_platforms)
        fputs(": do not edit it by hand; change the presets and run the command again.\n\n", f);
    else
        fputs(" from every preset in the presets directory (`emu/platforms/`): do not edit it "
              "by hand; change the presets and regenerate it with `build/siren platform "
              "constants --out results/platform/constants.md`.\n\n",
              f);
    fputs("A section per preset, a row per constant: **key** is its place in the preset "
          "(`vm.instances[m4.large].s3_mb_per_s` belongs to the instance named m4.large); "
          "**value** is as the preset gives it; **unit** is " CONSTANTS_NONE " for a plain "
          "number of a list item, whose unit is in its name (`memory_gib`); **source** is "
          "where the value comes from (for a list item's plain numbers, the item's source); "
          "**compare** is the published measurement the value agrees with or departs from "
          "(" CONSTANTS_NONE " where the preset names none).\n\n",
          f);
}

static int constants_run(const struct constants_args *a)
{
    const char *cmd = "platform constants";
    struct err e;
    err_clear(&e);
    char **listed = NULL;
    size_t n = 0;
    char *doc = NULL;
    size_t len = 0;
    int rc = SIREN_OK;
    if (!a->n_platforms) {
        if ((rc = list_presets(&listed, &n, &e))) return cmd_fail(cmd, &e);
    } else {
        n = (size_t)a->n_platforms;
    }
    FILE *f = open_memstream(&doc, &len);
    if (!f) {
        rc = err_set(&e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    write_head(f, a);
    for (size_t i = 0; i < n && !rc; i++) {
        char named[1024];
        if (!listed &&
            (rc = platform_preset_path(a->platforms[i], named, sizeof named, &e)))
            break;
        rc = write_section(f, listed ? listed[i] : named, &e);
    }
    if (fclose(f) != 0 && !rc) rc = err_set(&e, SIREN_ENOMEM, "out of memory");
    if (rc) goto out;
    /* The last section ends with a blank line; the file ends with one newline. */
    if (len >= 2 && doc[len - 1] == '\n' && doc[len - 2] == '\n') len--;
    if (a->out) {
        rc = fs_write_atomic(a->out, doc, len, &e);
    } else if (fwrite(doc, 1, len, stdout) != len || fflush(stdout) != 0) {
        rc = err_set(&e, SIREN_EIO, "cannot write to stdout");
    }
out:
    for (size_t i = 0; listed && i < n; i++) free(listed[i]);
    free(listed);
    free(doc);
    return rc ? cmd_fail(cmd, &e) : 0;
}

int cmd_platform(int argc, char **argv)
{
    int rc = cmd_verb_help(argc, argv, usage);
    if (rc != OPT_GO_ON) return rc;
    if (strcmp(argv[1], "constants"))
        return opt_usage_error("platform", "unknown subcommand '%s' (expected constants)",
                               argv[1]);
    struct constants_args a = {.n_platforms = 0};
    rc = opt_parse("platform constants", constants_opts, CMD_COUNT(constants_opts), argc - 1,
                   argv + 1, constants_opt, &a, NULL);
    return rc != OPT_GO_ON ? rc : constants_run(&a);
}

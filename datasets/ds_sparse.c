/*
 * Sparse text readers: Criteo display-advertising TSV (hashed into 2^k features) and LIBSVM.
 * Both stream the file line by line (the full Criteo train.txt is 11 GB) into the shared CSR
 * builder, and both stop at the first bad line with an error naming file, line and field.
 *
 * Criteo hashing: field f (1..13 = I1..I13, 14..39 = C1..C26) with text value v becomes the
 * column ds_hash64(byte f, v) mod 2^k. An integer field's value is first replaced by
 * floor(ln(v)^2) when v > 2 (the transform of the Criteo competition winners), else kept;
 * a missing value hashes the empty text, so each field has its own "missing" column.
 */
#include "ds_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Splits line (no newline) on tabs into at most max fields; returns the number of fields. */
static size_t split_tabs(char *line, char **field, size_t *flen, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *tab = strchr(p, '\t');
        if (n < max) {
            field[n] = p;
            flen[n] = tab ? (size_t)(tab - p) : strlen(p);
        }
        n++;
        if (!tab) break;
        p = tab + 1;
    }
    return n;
}

static void chomp(char *line, ssize_t *len)
{
    while (*len > 0 && (line[*len - 1] == '\n' || line[*len - 1] == '\r')) line[--*len] = '\0';
}

/* The next line of f without its line ending, into *line (getline's buffer of *cap bytes);
 * *lineno counts the lines read. Returns 1, or 0 at the end of the file, or SIREN_EFORMAT
 * naming file and line when the line holds a NUL byte (a binary file, not text). */
static int next_line(FILE *f, const char *file, char **line, size_t *cap, size_t *lineno,
                     struct err *e)
{
    ssize_t len = getline(line, cap, f);
    if (len < 0) return 0;
    (*lineno)++;
    chomp(*line, &len);
    if ((size_t)len != strlen(*line))
        return err_set(e, SIREN_EFORMAT, "%s line %zu: NUL byte", file, *lineno);
    return 1;
}

static int criteo_int_token(const char *file, size_t lineno, int field, const char *v,
                            size_t len, char *tok, size_t toklen, struct err *e)
{
    if (len == 0) {
        tok[0] = '\0';
        return SIREN_OK;
    }
    char buf[32];
    if (len >= sizeof buf) goto bad;
    memcpy(buf, v, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (*end || errno == ERANGE) goto bad;
    if (x > 2) {
        double l = log((double)x);
        x = (long long)floor(l * l);
    }
    snprintf(tok, toklen, "%lld", x);
    return SIREN_OK;
bad:
    return err_set(e, SIREN_EFORMAT, "%s line %zu: field %d (I%d): expected an integer, got '%.*s'",
                   file, lineno, field + 1, field, (int)(len > 40 ? 40 : len), v);
}

static int is_hex8(const char *v, size_t len)
{
    if (len != 8) return 0;
    for (size_t i = 0; i < 8; i++) {
        char c = v[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

/* Parses one Criteo line into cols[0..39). */
static int criteo_line(const char *file, size_t lineno, char *line, int hash_bits,
                       int32_t *label, uint32_t *cols, struct err *e)
{
    char *field[DS_CRITEO_FIELDS];
    size_t flen[DS_CRITEO_FIELDS];
    size_t n = split_tabs(line, field, flen, DS_CRITEO_FIELDS);
    if (n != DS_CRITEO_FIELDS)
        return err_set(e, SIREN_EFORMAT, "%s line %zu: %zu fields, expected %d", file, lineno, n,
                       DS_CRITEO_FIELDS);
    if (flen[0] != 1 || (field[0][0] != '0' && field[0][0] != '1'))
        return err_set(e, SIREN_EFORMAT, "%s line %zu: field 1 (label): expected 0 or 1, got '%.*s'",
                       file, lineno, (int)(flen[0] > 40 ? 40 : flen[0]), field[0]);
    *label = field[0][0] - '0';
    for (int f = 1; f <= 13; f++) {
        char tok[32];
        int rc = criteo_int_token(file, lineno, f, field[f], flen[f], tok, sizeof tok, e);
        if (rc) return rc;
        cols[f - 1] = ds_criteo_feature(f, tok, strlen(tok), hash_bits);
    }
    for (int f = 14; f < DS_CRITEO_FIELDS; f++) {
        if (flen[f] != 0 && !is_hex8(field[f], flen[f]))
            return err_set(e, SIREN_EFORMAT,
                           "%s line %zu: field %d (C%d): expected 8 hex digits, got '%.*s'", file,
                           lineno, f + 1, f - 13, (int)(flen[f] > 40 ? 40 : flen[f]), field[f]);
        cols[f - 1] = ds_criteo_feature(f, field[f], flen[f], hash_bits);
    }
    return SIREN_OK;
}

int ds_criteo_read(const char *const *paths, size_t n_paths, int hash_bits,
                   struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (hash_bits < 1 || hash_bits > 30)
        return err_set(e, SIREN_EINVAL, "hash bits %d outside 1..30", hash_bits);
    struct ds_csr_builder b = {0};
    char *line = NULL;
    size_t cap = 0;
    int rc = SIREN_OK;
    for (size_t p = 0; p < n_paths && !rc; p++) {
        const char *file = ds_basename(paths[p]);
        FILE *f = fopen(paths[p], "rb");
        if (!f) {
            rc = err_errno(e, errno, "cannot open %s", paths[p]);
            break;
        }
        size_t lineno = 0;
        /* rc is 1 while there are lines, then 0 at the end or an error code. */
        while ((rc = next_line(f, file, &line, &cap, &lineno, e)) > 0) {
            uint32_t cols[DS_CRITEO_FIELDS - 1];
            int32_t label = 0;
            rc = criteo_line(file, lineno, line, hash_bits, &label, cols, e);
            if (!rc) rc = ds_csr_add_row(&b, label, cols, NULL, DS_CRITEO_FIELDS - 1, e);
            if (rc) break;
        }
        if (!rc && ferror(f)) rc = err_set(e, SIREN_EIO, "%s: read error", paths[p]);
        fclose(f);
    }
    free(line);
    if (rc) {
        ds_csr_free(&b);
        return rc;
    }
    ds_csr_finish(&b, out);
    out->classes = 2;
    out->hash_bits = hash_bits;
    out->n_features = (uint32_t)1 << hash_bits;
    snprintf(out->name, sizeof out->name, "file");
    snprintf(out->split, sizeof out->split, "all");
    size_t used = 0;
    for (size_t p = 0; p < n_paths && used < sizeof out->source; p++)
        used += (size_t)snprintf(out->source + used, sizeof out->source - used, "%s%s",
                                 p ? " " : "", paths[p]);
    return SIREN_OK;
}

/* ----------------------------------------------------------------- LIBSVM */

static int libsvm_line(const char *file, size_t lineno, char *line, uint32_t dim,
                       int32_t *label, uint32_t **cols, float **vals, size_t *cap, size_t *n,
                       uint32_t *max_idx, struct err *e)
{
    char *save = NULL;
    char *tok = strtok_r(line, " \t", &save);
    if (!tok) return err_set(e, SIREN_EFORMAT, "%s line %zu: empty line, expected a label", file, lineno);
    char *end;
    double y = strtod(tok, &end);
    if (*end || (y != 1.0 && y != -1.0 && y != 0.0))
        return err_set(e, SIREN_EFORMAT, "%s line %zu: label '%s': expected +1/-1 or 1/0", file,
                       lineno, tok);
    *label = y > 0.0 ? 1 : 0;
    *n = 0;
    long long prev = 0;
    int col_no = 1;
    while ((tok = strtok_r(NULL, " \t", &save))) {
        col_no++;
        char *colon = strchr(tok, ':');
        if (!colon)
            return err_set(e, SIREN_EFORMAT, "%s line %zu: token %d '%s': expected index:value",
                           file, lineno, col_no, tok);
        *colon = '\0';
        errno = 0;
        long long idx = strtoll(tok, &end, 10);
        if (end == tok || *end || errno == ERANGE || idx < 1 || idx > UINT32_MAX)
            return err_set(e, SIREN_EFORMAT, "%s line %zu: token %d: bad index '%s'", file, lineno,
                           col_no, tok);
        if (idx <= prev)
            return err_set(e, SIREN_EFORMAT,
                           "%s line %zu: token %d: index %lld after %lld, indices must increase",
                           file, lineno, col_no, idx, prev);
        if (dim && idx > dim)
            return err_set(e, SIREN_EFORMAT, "%s line %zu: token %d: index %lld > %u features",
                           file, lineno, col_no, idx, dim);
        float v = strtof(colon + 1, &end);
        if (end == colon + 1 || *end)
            return err_set(e, SIREN_EFORMAT, "%s line %zu: token %d: bad value '%s'", file, lineno,
                           col_no, colon + 1);
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            uint32_t *c = realloc(*cols, nc * sizeof *c);
            if (c) *cols = c;
            float *w = realloc(*vals, nc * sizeof *w);
            if (w) *vals = w;
            if (!c || !w) return err_set(e, SIREN_ENOMEM, "out of memory");
            *cap = nc;
        }
        (*cols)[*n] = (uint32_t)(idx - 1);
        (*vals)[*n] = v;
        (*n)++;
        prev = idx;
        if ((uint32_t)idx > *max_idx) *max_idx = (uint32_t)idx;
    }
    return SIREN_OK;
}

int ds_libsvm_read(const char *path, uint32_t dim, struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const char *file = ds_basename(path);
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, errno, "cannot open %s", path);
    struct ds_csr_builder b = {0};
    char *line = NULL;
    size_t cap = 0, lineno = 0, rcap = 0, n = 0;
    uint32_t *cols = NULL, max_idx = 0;
    float *vals = NULL;
    int rc;
    /* rc is 1 while there are lines, then 0 at the end or an error code. */
    while ((rc = next_line(f, file, &line, &cap, &lineno, e)) > 0) {
        int32_t label = 0;
        rc = libsvm_line(file, lineno, line, dim, &label, &cols, &vals, &rcap, &n, &max_idx, e);
        if (!rc) rc = ds_csr_add_row(&b, label, cols, vals, n, e);
        if (rc) break;
    }
    if (!rc && ferror(f)) rc = err_set(e, SIREN_EIO, "%s: read error", path);
    fclose(f);
    free(line);
    free(cols);
    free(vals);
    if (!rc && lineno == 0) rc = err_set(e, SIREN_EFORMAT, "%s: empty file", file);
    if (rc) {
        ds_csr_free(&b);
        return rc;
    }
    ds_csr_finish(&b, out);
    out->classes = 2;
    out->n_features = dim ? dim : max_idx;
    snprintf(out->name, sizeof out->name, "file");
    snprintf(out->split, sizeof out->split, "all");
    snprintf(out->source, sizeof out->source, "%s", path);
    return SIREN_OK;
}

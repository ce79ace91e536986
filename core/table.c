/* One result model (named columns, text cells) printed as markdown, CSV or JSON. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int table_init(struct table *t, int ncols, const char *const *col_names)
{
    memset(t, 0, sizeof *t);
    t->cols = calloc((size_t)ncols, sizeof *t->cols);
    if (!t->cols) return SIREN_ENOMEM;
    t->ncols = ncols;
    for (int c = 0; c < ncols; c++) {
        t->cols[c] = strdup(col_names[c]);
        if (!t->cols[c]) {
            table_free(t);
            return SIREN_ENOMEM;
        }
    }
    return SIREN_OK;
}

void table_free(struct table *t)
{
    if (!t) return;
    for (int c = 0; c < t->ncols && t->cols; c++) free(t->cols[c]);
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols && t->cells; i++) free(t->cells[i]);
    free(t->cols);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

int table_add_row(struct table *t)
{
    if (t->nrows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        char **cells = realloc(t->cells, cap * (size_t)t->ncols * sizeof *cells);
        if (!cells) return SIREN_ENOMEM;
        t->cells = cells;
        t->cap_rows = cap;
    }
    memset(t->cells + t->nrows * (size_t)t->ncols, 0, (size_t)t->ncols * sizeof *t->cells);
    t->nrows++;
    return SIREN_OK;
}

int table_setf(struct table *t, size_t row, int col, const char *fmt, ...)
{
    if (row >= t->nrows || col < 0 || col >= t->ncols) return SIREN_ERANGE;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return SIREN_ENOMEM;
    char **cell = &t->cells[row * (size_t)t->ncols + (size_t)col];
    free(*cell);
    *cell = s;
    return SIREN_OK;
}

static const char *cell(const struct table *t, size_t r, int c)
{
    const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
    return s ? s : "";
}

int table_write_markdown(const struct table *t, FILE *f)
{
    /* Pad columns to their widest cell so the text is readable as it is. */
    size_t *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w) return SIREN_ENOMEM;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->cols[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t l = strlen(cell(t, r, c));
            if (l > w[c]) w[c] = l;
        }
        if (w[c] < 3) w[c] = 3;
    }
    fputc('|', f);
    for (int c = 0; c < t->ncols; c++) fprintf(f, " %-*s |", (int)w[c], t->cols[c]);
    fputs("\n|", f);
    for (int c = 0; c < t->ncols; c++) {
        fputc(' ', f);
        for (size_t i = 0; i < w[c]; i++) fputc('-', f);
        fputs(" |", f);
    }
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', f);
        for (int c = 0; c < t->ncols; c++) fprintf(f, " %-*s |", (int)w[c], cell(t, r, c));
        fputc('\n', f);
    }
    free(w);
    return ferror(f) ? SIREN_EIO : SIREN_OK;
}

static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
}

int table_write_csv(const struct table *t, FILE *f)
{
    for (int c = 0; c < t->ncols; c++) {
        if (c) fputc(',', f);
        csv_field(f, t->cols[c]);
    }
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c) fputc(',', f);
            csv_field(f, cell(t, r, c));
        }
        fputc('\n', f);
    }
    return ferror(f) ? SIREN_EIO : SIREN_OK;
}

cJSON *table_to_json(const struct table *t)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return NULL;
    for (size_t r = 0; r < t->nrows; r++) {
        cJSON *obj = cJSON_CreateObject();
        if (!obj) goto fail;
        cJSON_AddItemToArray(arr, obj);
        for (int c = 0; c < t->ncols; c++) {
            const char *s = cell(t, r, c);
            char *end;
            double d = strtod(s, &end);
            cJSON *v = (*s && *end == '\0') ? cJSON_CreateNumber(d) : cJSON_CreateString(s);
            if (!v) goto fail;
            cJSON_AddItemToObject(obj, t->cols[c], v);
        }
    }
    return arr;
fail:
    cJSON_Delete(arr);
    return NULL;
}

int csv_column(const char *header, const char *name)
{
    int col = 0;
    size_t n = strlen(name);
    for (const char *p = header; *p && *p != '\n';) {
        const char *end = p + strcspn(p, ",\r\n");
        if ((size_t)(end - p) == n && !strncmp(p, name, n)) return col;
        col++;
        p = *end == ',' ? end + 1 : end + strspn(end, "\r");
    }
    return -1;
}

int csv_number(const char *line, int col, double *out)
{
    const char *p = line;
    for (int c = 0; c < col; c++) {
        p = strchr(p, ',');
        if (!p) return -1;
        p++;
    }
    char *end;
    errno = 0;
    *out = strtod(p, &end);
    return end == p || errno || (*end && *end != ',' && *end != '\r' && *end != '\n') ? -1 : 0;
}

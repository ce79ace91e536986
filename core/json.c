/* JSON through cJSON, with errors that name the file, line and column, or the key. */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int json_parse(const char *text, size_t len, const char *what, cJSON **out, struct err *e)
{
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        /* cJSON points at the byte where parsing stopped; turn it into line:column. */
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        if (off > len) off = len;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return err_set(e, SIREN_EFORMAT, "%s: line %d, column %d: not valid JSON", what, line,
                       col);
    }
    /* Only whitespace may follow the value. */
    if (end) {
        while ((size_t)(end - text) < len && strchr(" \t\r\n", *end) && *end) end++;
        if ((size_t)(end - text) < len && *end) {
            cJSON_Delete(root);
            return err_set(e, SIREN_EFORMAT, "%s: unexpected text after the JSON value", what);
        }
    }
    *out = root;
    return SIREN_OK;
}

int json_load_file(const char *path, cJSON **out, struct err *e)
{
    char *text;
    size_t len;
    *out = NULL;
    int rc = fs_read_all(path, &text, &len, e);
    if (rc) return rc;
    rc = json_parse(text, len, path, out, e);
    free(text);
    return rc;
}

static int get_item(const cJSON *obj, const char *key, const char *where, const cJSON **item,
                    struct err *e)
{
    *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!*item) return err_set(e, SIREN_EFORMAT, "%s: key '%s' is missing", where, key);
    return SIREN_OK;
}

/* The item under key when is(item) holds (a cJSON_Is* test); else SIREN_EFORMAT naming the
 * key and what was expected. */
static int get_typed(const cJSON *obj, const char *key, const char *where,
                     cJSON_bool (*is)(const cJSON *), const char *what, const cJSON **item,
                     struct err *e)
{
    int rc = get_item(obj, key, where, item, e);
    if (rc) return rc;
    if (!is(*item)) return err_set(e, SIREN_EFORMAT, "%s: key '%s': expected %s", where, key, what);
    return SIREN_OK;
}

static cJSON_bool is_finite_number(const cJSON *it)
{
    return cJSON_IsNumber(it) && isfinite(it->valuedouble);
}

int json_get_number(const cJSON *obj, const char *key, const char *where, double *out,
                    struct err *e)
{
    const cJSON *it;
    int rc = get_typed(obj, key, where, is_finite_number, "a finite number", &it, e);
    if (!rc) *out = it->valuedouble;
    return rc;
}

int json_get_int(const cJSON *obj, const char *key, const char *where, long long *out,
                 struct err *e)
{
    double d;
    int rc = json_get_number(obj, key, where, &d, e);
    if (rc) return rc;
    if (d != floor(d) || fabs(d) > 9007199254740992.0)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': expected an integer, got %g", where, key,
                       d);
    *out = (long long)d;
    return SIREN_OK;
}

int json_get_string(const cJSON *obj, const char *key, const char *where, const char **out,
                    struct err *e)
{
    const cJSON *it;
    int rc = get_typed(obj, key, where, cJSON_IsString, "a string", &it, e);
    if (!rc) *out = it->valuestring;
    return rc;
}

int json_get_bool(const cJSON *obj, const char *key, const char *where, int *out, struct err *e)
{
    const cJSON *it;
    int rc = get_typed(obj, key, where, cJSON_IsBool, "true or false", &it, e);
    if (!rc) *out = cJSON_IsTrue(it);
    return rc;
}

int json_get_numbers(const cJSON *obj, const char *where, const struct json_number_field *fields,
                     size_t n, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        int rc = json_get_number(obj, fields[i].key, where, fields[i].out, e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

int json_write_file(const char *path, const cJSON *root, struct err *e)
{
    char *text = cJSON_Print(root);
    if (!text) return err_set(e, SIREN_ENOMEM, "%s: cannot format JSON", path);
    size_t len = strlen(text);
    /* End the file with a newline, as text files should. */
    char *withnl = realloc(text, len + 2);
    if (!withnl) {
        free(text);
        return err_set(e, SIREN_ENOMEM, "%s: cannot format JSON", path);
    }
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    int rc = fs_write_atomic(path, withnl, len + 1, e);
    free(withnl);
    return rc;
}

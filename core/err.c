/* Error codes (from SIREN_ERRNO_MAP) and the detail message a failing function leaves. */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Every code with its name and message: one row per entry of SIREN_ERRNO_MAP, after OK. */
struct err_row {
    int code;
    const char *name, *msg;
};

static const struct err_row err_rows[] = {
    {SIREN_OK, "SIREN_OK", "success"},
#define SIREN_ERR_ROW(name, num, msg) {SIREN_E##name, "SIREN_E" #name, msg},
    SIREN_ERRNO_MAP(SIREN_ERR_ROW)
#undef SIREN_ERR_ROW
};

/* The row of code, or NULL for a code not in the list. */
static const struct err_row *err_row_find(int code)
{
    for (size_t i = 0; i < sizeof err_rows / sizeof *err_rows; i++)
        if (err_rows[i].code == code) return &err_rows[i];
    return NULL;
}

const char *err_str(int code)
{
    const struct err_row *r = err_row_find(code);
    return r ? r->msg : "unknown error";
}

const char *err_name(int code)
{
    const struct err_row *r = err_row_find(code);
    return r ? r->name : "SIREN_EUNKNOWN";
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
    if (!e) return 0;
    char head[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s: %s", head, old);
    return e->code;
}

int err_errno(struct err *e, int errnum, const char *fmt, ...)
{
    int code = errnum == ENOENT ? SIREN_ENOTFOUND : errnum == ENOMEM ? SIREN_ENOMEM : SIREN_EIO;
    if (e) {
        char head[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(head, sizeof head, fmt, ap);
        va_end(ap);
        e->code = code;
        snprintf(e->msg, sizeof e->msg, "%s: %s", head, strerror(errnum));
    }
    return code;
}

void err_clear(struct err *e)
{
    if (e) {
        e->code = SIREN_OK;
        e->msg[0] = '\0';
    }
}

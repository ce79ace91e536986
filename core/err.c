/* Error codes (from SIREN_ERRNO_MAP) and the detail message a failing function leaves. */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *err_str(int code)
{
    switch (code) {
    case SIREN_OK:
        return "success";
#define SIREN_ERR_STR(name, num, msg) \
    case SIREN_E##name:               \
        return msg;
        SIREN_ERRNO_MAP(SIREN_ERR_STR)
#undef SIREN_ERR_STR
    }
    return "unknown error";
}

const char *err_name(int code)
{
    switch (code) {
    case SIREN_OK:
        return "SIREN_OK";
#define SIREN_ERR_NAME(name, num, msg) \
    case SIREN_E##name:                \
        return "SIREN_E" #name;
        SIREN_ERRNO_MAP(SIREN_ERR_NAME)
#undef SIREN_ERR_NAME
    }
    return "SIREN_EUNKNOWN";
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

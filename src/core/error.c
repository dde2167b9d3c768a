/* error.c - status names and the per-engine last error. */
#include "engine.h"

#include <stdio.h>
#include <string.h>

const char *retain_errstr(int code)
{
    switch (code) {
    case RETAIN_OK: return "ok";
    case RETAIN_EINVAL: return "invalid argument";
    case RETAIN_ENOTFOUND: return "not found";
    case RETAIN_ECONFLICT: return "conflict";
    case RETAIN_ECONSTRAINT: return "constraint violated";
    case RETAIN_ENOMEM: return "out of memory";
    case RETAIN_EIO: return "I/O error";
    case RETAIN_EBUSY: return "database busy";
    case RETAIN_EPARSE: return "parse error";
    case RETAIN_ELIMIT: return "limit exceeded";
    case RETAIN_EUNSUPPORTED: return "unsupported";
    case RETAIN_EINTERNAL: return "internal error";
    case RETAIN_EUSER: return "stopped by callback";
    case RETAIN_EMISUSE: return "API misuse";
    case RETAIN_EFULL: return "disk full";
    case RETAIN_ROW: return "row";
    case RETAIN_DONE: return "done";
    default: return "unknown status code";
    }
}

int rt_verror(retain_engine *e, int code, const char *fmt, va_list ap)
{
    if (!e)
        return code;
    e->errcode = code;
    vsnprintf(e->errmsg, sizeof e->errmsg, fmt, ap);
    return code;
}

void rt_format(char *buf, size_t size, const char *fmt, ...)
{
    if (!buf || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

void rt_copy(char *buf, size_t size, const char *src)
{
    if (!buf || size == 0)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    memcpy(buf, src ? src : "", n);
    buf[n] = '\0';
}

const char *retain_errmsg(const retain_engine *e)
{
    if (!e)
        return "no engine (NULL)";
    return e->errmsg;
}

int retain_errcode(const retain_engine *e)
{
    return e ? e->errcode : RETAIN_EINVAL;
}

int rt_check_writable(retain_engine *e)
{
    if (e->cfg.flags & RETAIN_OPEN_READONLY)
        return rt_error(e, RETAIN_EMISUSE, "engine was opened read-only");
    return RETAIN_OK;
}

/*
 * check.h - argument validation for public functions. Each check records a
 * message naming the argument and its value on the engine and returns
 * RETAIN_EINVAL, or returns RETAIN_OK.
 */
#ifndef RT_CHECK_H
#define RT_CHECK_H

#include "engine.h"

#define RT_ID_MAX 256        /* bytes in a host id */
#define RT_NAME_MAX 64       /* bytes in an event, channel, category or status name */
#define RT_TEXT_MAX 4096     /* bytes in a free text member (title, name ...) */
#define RT_JSON_MAX (1 << 20)
#define RT_TIME_MIN (-62135596800000LL) /* 0001-01-01T00:00:00Z */
#define RT_TIME_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

/* Inline so that the static analyzer sees a NULL never gets past it. */
static inline int rt_check_ptr(retain_engine *e, const char *what, const void *p)
{
    if (p)
        return RETAIN_OK;
    rt_error(e, RETAIN_EINVAL, "%s is NULL", what);
    return RETAIN_EINVAL;
}
int rt_check_id(retain_engine *e, const char *what, const char *s);
/* Optional text: NULL allowed; else valid UTF-8 without control characters
 * other than tab and newline, at most `max` bytes. */
int rt_check_text(retain_engine *e, const char *what, const char *s, size_t max);
/* A name: 1..64 bytes of [a-z0-9_.-], starting with a letter or digit. */
int rt_check_name(retain_engine *e, const char *what, const char *s);
/* NULL allowed; else a JSON object. */
int rt_check_json_object(retain_engine *e, const char *what, const char *json);
int rt_check_currency(retain_engine *e, const char *what, const char *code);
int rt_check_time(retain_engine *e, const char *what, int64_t t);
/* Time or RETAIN_TIME_NONE (INT64_MIN). */
int rt_check_opt_time(retain_engine *e, const char *what, int64_t t);

#endif

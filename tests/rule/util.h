/*
 * util.h - helpers shared by the rule tests: an engine, the instants used
 * by the tables, and a tiny notation for expected values.
 */
#ifndef RT_TEST_RULE_UTIL_H
#define RT_TEST_RULE_UTIL_H

#include "harness.h"
#include "retain.h"
#include "retain/rule.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Epoch milliseconds of a UTC calendar time, from the C library. */
static inline int64_t t_utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = { 0 };
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000;
}

static inline retain_engine *t_engine(const retain_options *opts)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    if (opts)
        o = *opts;
    const char *zd = getenv("RETAIN_TEST_ZONEINFO");
    if (!o.zoneinfo_dir && zd && *zd)
        o.zoneinfo_dir = zd;
    retain_engine *e = NULL;
    int rc = retain_engine_open(&e, ":memory:", &o);
    if (rc) {
        fprintf(stderr, "cannot open an engine: %s\n", retain_errstr(rc));
        exit(1);
    }
    return e;
}

static inline const char *t_status_name(int rc)
{
    switch (rc) {
    case RETAIN_OK: return "OK";
    case RETAIN_EINVAL: return "INVAL";
    case RETAIN_EPARSE: return "PARSE";
    case RETAIN_ELIMIT: return "LIMIT";
    case RETAIN_ENOMEM: return "NOMEM";
    case RETAIN_ENOTFOUND: return "NOTFOUND";
    default: return "OTHER";
    }
}

/*
 * Expected values, written as text:
 *   null  true  false
 *   i:42            int
 *   f:2.5           float (relative tolerance 1e-12)
 *   m:6400:EUR:2    money: amount, currency ("" for none), scale
 *   s:text          string, exact bytes
 *   t:1717416000000 time, ms
 *   d:5400000       duration, ms
 *   F:text          anything whose retain_value_format() is `text`
 * Returns true when `v` matches; otherwise fills why.
 */
static inline bool t_value_is(const retain_value *v, const char *want, char *why, size_t whysz)
{
    char got[512];
    retain_value_format(v, got, sizeof got);
    bool ok = false;
    if (!strcmp(want, "null"))
        ok = v->type == RETAIN_TYPE_NULL;
    else if (!strcmp(want, "true"))
        ok = v->type == RETAIN_TYPE_BOOL && v->u.b == 1;
    else if (!strcmp(want, "false"))
        ok = v->type == RETAIN_TYPE_BOOL && v->u.b == 0;
    else if (!strncmp(want, "i:", 2))
        ok = v->type == RETAIN_TYPE_INT && v->u.i == strtoll(want + 2, NULL, 10);
    else if (!strncmp(want, "f:", 2)) {
        double w = strtod(want + 2, NULL);
        ok = v->type == RETAIN_TYPE_FLOAT && fabs(v->u.f - w) <= 1e-12 * (fabs(w) > 1 ? fabs(w) : 1);
    } else if (!strncmp(want, "m:", 2)) {
        char cur[8] = "";
        long long amount = 0;
        int scale = 0;
        const char *p = want + 2;
        amount = strtoll(p, (char **)&p, 10);
        if (*p == ':') {
            p++;
            size_t n = 0;
            while (*p && *p != ':' && n < 3)
                cur[n++] = *p++;
            cur[n] = '\0';
            if (*p == ':')
                scale = atoi(p + 1);
        }
        ok = v->type == RETAIN_TYPE_MONEY && v->u.money.amount == amount &&
             !strcmp(v->u.money.currency, cur) && v->u.money.scale == scale;
    } else if (!strncmp(want, "s:", 2))
        ok = v->type == RETAIN_TYPE_STRING && v->u.str.len == strlen(want + 2) &&
             !memcmp(v->u.str.ptr, want + 2, v->u.str.len);
    else if (!strncmp(want, "t:", 2))
        ok = v->type == RETAIN_TYPE_TIME && v->u.time == strtoll(want + 2, NULL, 10);
    else if (!strncmp(want, "d:", 2))
        ok = v->type == RETAIN_TYPE_DURATION && v->u.duration == strtoll(want + 2, NULL, 10);
    else if (!strncmp(want, "F:", 2))
        ok = !strcmp(got, want + 2);
    if (!ok)
        snprintf(why, whysz, "got %s %s", retain_type_name(v->type), got);
    return ok;
}

#endif

/*
 * posix.c - the POSIX TZ string of a TZif footer ("EST5EDT,M3.2.0,M11.1.0",
 * "<+0545>-5:45", "AEST-10AEDT,M10.1.0,M4.1.0/3"), which gives local time
 * for instants after the file's last transition. Parsing follows POSIX with
 * the extensions of RFC 8536: quoted names, and transition times from -167
 * to 167 hours.
 */
#include "tz_impl.h"

#include <string.h>

typedef struct cursor {
    const char *p, *end;
} cursor;

static int peek(const cursor *c) { return c->p < c->end ? (unsigned char)*c->p : -1; }
static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static bool is_alpha(int ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); }

/* Read an unsigned decimal number of at most `max`. */
static bool number(cursor *c, int max, int *out)
{
    if (!is_digit(peek(c)))
        return false;
    long v = 0;
    while (is_digit(peek(c))) {
        v = v * 10 + (*c->p++ - '0');
        if (v > max)
            return false;
    }
    *out = (int)v;
    return true;
}

/* A zone abbreviation: three or more letters, or <...> of [A-Za-z0-9+-]. */
static bool name(cursor *c)
{
    const char *start = c->p;
    if (peek(c) == '<') {
        c->p++;
        start = c->p;
        while (c->p < c->end && (is_alpha(peek(c)) || is_digit(peek(c)) || *c->p == '+' ||
                                 *c->p == '-'))
            c->p++;
        if (peek(c) != '>' || c->p - start < 3)
            return false;
        c->p++;
        return true;
    }
    while (is_alpha(peek(c)))
        c->p++;
    return c->p - start >= 3;
}

/* [+-]hh[:mm[:ss]] in seconds; hours up to `max_hours`. */
static bool hms(cursor *c, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-')
        sign = *c->p++ == '-' ? -1 : 1;
    if (!number(c, max_hours, &h))
        return false;
    if (peek(c) == ':') {
        c->p++;
        if (!number(c, 59, &m))
            return false;
        if (peek(c) == ':') {
            c->p++;
            if (!number(c, 59, &s))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool date(cursor *c, rt_posix_date *d)
{
    memset(d, 0, sizeof *d);
    if (peek(c) == 'J') {
        c->p++;
        d->kind = 'J';
        if (!number(c, 365, &d->day) || d->day < 1)
            return false;
    } else if (peek(c) == 'M') {
        c->p++;
        d->kind = 'M';
        if (!number(c, 12, &d->month) || d->month < 1 || peek(c) != '.')
            return false;
        c->p++;
        if (!number(c, 5, &d->week) || d->week < 1 || peek(c) != '.')
            return false;
        c->p++;
        if (!number(c, 6, &d->day))
            return false;
    } else {
        d->kind = 'N';
        if (!number(c, 365, &d->day))
            return false;
    }
    d->time = 7200;
    if (peek(c) == '/') {
        c->p++;
        if (!hms(c, 167, &d->time))
            return false;
    }
    return true;
}

bool rt_posix_parse(const char *s, size_t n, rt_posix_tz *out)
{
    cursor c = { s, s + n };
    int32_t off;
    memset(out, 0, sizeof *out);
    if (!name(&c) || !hms(&c, 24, &off))
        return false;
    out->std_off = -off; /* POSIX counts west of Greenwich as positive */
    if (c.p == c.end)
        return true;
    if (!name(&c))
        return false;
    out->has_dst = true;
    out->dst_off = out->std_off + 3600;
    if (c.p < c.end && *c.p != ',') {
        if (!hms(&c, 24, &off))
            return false;
        out->dst_off = -off;
    }
    if (c.p == c.end) {
        /* No rule: POSIX leaves it to the implementation; tzcode uses the
         * US rules, and so do we. */
        out->start = (rt_posix_date){ 'M', 0, 2, 3, 7200 };
        out->end = (rt_posix_date){ 'M', 0, 1, 11, 7200 };
        return true;
    }
    if (*c.p++ != ',' || !date(&c, &out->start) || peek(&c) != ',')
        return false;
    c.p++;
    if (!date(&c, &out->end))
        return false;
    return c.p == c.end;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Local seconds since the epoch (in the offset in force before the change)
 * at which date `d` happens in year `y`. */
static int64_t date_local(const rt_posix_date *d, int64_t y)
{
    int64_t day;
    if (d->kind == 'J') {
        day = rt_days_from_civil(y, 1, 1) + d->day - 1;
        if (is_leap(y) && d->day >= 60)
            day++;
    } else if (d->kind == 'N') {
        day = rt_days_from_civil(y, 1, 1) + d->day;
    } else {
        int64_t first = rt_days_from_civil(y, d->month, 1);
        int wd = rt_weekday_from_days(first);
        int mday = 1 + (d->day - wd + 7) % 7 + (d->week - 1) * 7;
        while (mday > month_days(y, d->month))
            mday -= 7;
        day = first + mday - 1;
    }
    return day * 86400 + d->time;
}

int32_t rt_posix_offset(const rt_posix_tz *p, int64_t t, int *is_dst)
{
    int dst = 0;
    if (p->has_dst) {
        int64_t y;
        int m, d;
        rt_civil_from_days(rt_floor_div(t + p->std_off, 86400), &y, &m, &d);
        /* The start is given in standard time, the end in daylight time. */
        int64_t start = date_local(&p->start, y) - p->std_off;
        int64_t end = date_local(&p->end, y) - p->dst_off;
        if (start < end)
            dst = t >= start && t < end;
        else /* southern hemisphere: DST spans the new year */
            dst = !(t >= end && t < start);
    }
    if (is_dst)
        *is_dst = dst;
    return dst ? p->dst_off : p->std_off;
}

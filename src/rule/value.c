/*
 * value.c - retain_value constructors, text formatting of values, and the
 * simple case mapping used by lower() and upper().
 */
#include "rule_impl.h"
#include "core/text.h"

#include <string.h>

retain_value retain_value_null(void)
{
    retain_value v;
    memset(&v, 0, sizeof v);
    return v;
}

retain_value retain_value_bool(int b)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_BOOL;
    v.u.b = b != 0;
    return v;
}

retain_value retain_value_int(int64_t i)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_INT;
    v.u.i = i;
    return v;
}

retain_value retain_value_float(double f)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_FLOAT;
    v.u.f = f;
    return v;
}

retain_value retain_value_money(int64_t minor_units, const char *currency)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_MONEY;
    v.u.money.amount = minor_units;
    if (currency && strlen(currency) == 3)
        memcpy(v.u.money.currency, currency, 4);
    int d = rt_currency_digits(v.u.money.currency);
    v.u.money.scale = d < 0 ? -1 : d; /* -1: refused when bound */
    return v;
}

retain_value retain_value_stringn(const char *s, size_t len)
{
    retain_value v = retain_value_null();
    if (!s)
        return v;
    v.type = RETAIN_TYPE_STRING;
    v.u.str.ptr = s;
    v.u.str.len = len;
    return v;
}

retain_value retain_value_string(const char *s)
{
    return retain_value_stringn(s, s ? strlen(s) : 0);
}

retain_value retain_value_time(int64_t ms_utc)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_TIME;
    v.u.time = ms_utc;
    return v;
}

retain_value retain_value_duration(int64_t ms)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_DURATION;
    v.u.duration = ms;
    return v;
}

retain_value retain_value_list(const retain_value *items, size_t count)
{
    retain_value v = retain_value_null();
    v.type = RETAIN_TYPE_LIST;
    v.u.list.items = items;
    v.u.list.count = items ? count : 0;
    return v;
}

/* --- formatting ------------------------------------------------------------ */

typedef struct out {
    char *buf;
    size_t size, len;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len < o->size) {
        size_t room = o->size - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void putf(out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void putf(out *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_u64(out *o, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + sizeof tmp - n, n);
}

static void put_float(out *o, double f)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17g", f);
    /* shortest text that reads back as the same double */
    for (int prec = 1; prec <= 17; prec++) {
        char t2[40];
        snprintf(t2, sizeof t2, "%.*g", prec, f);
        for (char *p = t2; *p; p++)
            if (*p == ',')
                *p = '.'; /* a host locale with a decimal comma */
        double back = 0;
        /* parse without strtod (locale): sign, digits, '.', digits, exponent */
        const char *p = t2;
        int sign = 1;
        if (*p == '-') {
            sign = -1;
            p++;
        }
        if (!(*p >= '0' && *p <= '9'))
            break; /* inf or nan: keep %.17g */
        double mant = 0;
        int exp10 = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            mant = mant * 10 + (*p - '0');
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++, exp10--)
                mant = mant * 10 + (*p - '0');
        if (*p == 'e' || *p == 'E') {
            p++;
            int es = 1, ev = 0;
            if (*p == '+' || *p == '-')
                es = *p++ == '-' ? -1 : 1;
            for (; *p >= '0' && *p <= '9'; p++)
                ev = ev * 10 + (*p - '0');
            exp10 += es * ev;
        }
        double scale = 1;
        for (int k = 0; k < (exp10 < 0 ? -exp10 : exp10); k++)
            scale *= 10;
        back = sign * (exp10 < 0 ? mant / scale : mant * scale);
        if (back == f) {
            memcpy(tmp, t2, sizeof t2);
            break;
        }
    }
    for (char *p = tmp; *p; p++)
        if (*p == ',')
            *p = '.';
    put(o, tmp, strlen(tmp));
    if (!strpbrk(tmp, ".eEn")) /* keep it a float when read back: 2 -> 2.0 */
        put(o, ".0", 2);
}

static void put_money(out *o, const retain_money_value *m)
{
    uint64_t a = m->amount < 0 ? (uint64_t)0 - (uint64_t)m->amount : (uint64_t)m->amount;
    if (m->amount < 0)
        put(o, "-", 1);
    int scale = m->scale > 0 && m->scale <= 18 ? m->scale : 0;
    uint64_t p = 1;
    for (int i = 0; i < scale; i++)
        p *= 10;
    put_u64(o, a / p);
    if (scale) {
        char frac[24];
        snprintf(frac, sizeof frac, ".%0*llu", scale, (unsigned long long)(a % p));
        put(o, frac, strlen(frac));
    }
    if (m->currency[0]) {
        put(o, " ", 1);
        put(o, m->currency, strnlen(m->currency, 3));
    }
}

static void put_string(out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            put(o, e, 2);
        } else if (c == '\n') {
            put(o, "\\n", 2);
        } else if (c == '\t') {
            put(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7F) {
            putf(o, "\\u%04x", c);
        } else {
            put(o, s + i, 1);
        }
    }
    put(o, "\"", 1);
}

static void put_time(out *o, int64_t t)
{
    int64_t days = rt_floor_div(t, 86400000);
    int64_t ms = t - days * 86400000;
    int64_t y;
    int m, d;
    rt_civil_from_days(days, &y, &m, &d);
    putf(o, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, (int)(ms / 3600000),
         (int)(ms / 60000 % 60), (int)(ms / 1000 % 60));
    if (ms % 1000)
        putf(o, ".%03d", (int)(ms % 1000));
    put(o, "Z", 1);
}

static void put_duration(out *o, int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = { { 604800000, "w" }, { 86400000, "d" }, { 3600000, "h" },
                  { 60000, "m" },     { 1000, "s" },     { 1, "ms" } };
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        put(o, "-", 1);
    if (a == 0) {
        put(o, "0s", 2);
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t u = (uint64_t)units[i].ms;
        if (a >= u) {
            put_u64(o, a / u);
            put(o, units[i].unit, strlen(units[i].unit));
            a %= u;
        }
    }
}

static void format(out *o, const retain_value *v, int depth)
{
    switch (v->type) {
    case RETAIN_TYPE_NULL: put(o, "null", 4); break;
    case RETAIN_TYPE_BOOL: v->u.b ? put(o, "true", 4) : put(o, "false", 5); break;
    case RETAIN_TYPE_INT: putf(o, "%lld", (long long)v->u.i); break;
    case RETAIN_TYPE_FLOAT: put_float(o, v->u.f); break;
    case RETAIN_TYPE_MONEY: put_money(o, &v->u.money); break;
    case RETAIN_TYPE_STRING: put_string(o, v->u.str.ptr, v->u.str.len); break;
    case RETAIN_TYPE_TIME: put_time(o, v->u.time); break;
    case RETAIN_TYPE_DURATION: put_duration(o, v->u.duration); break;
    case RETAIN_TYPE_LIST:
        put(o, "[", 1);
        for (size_t i = 0; i < v->u.list.count; i++) {
            if (i)
                put(o, ", ", 2);
            if (depth < 4)
                format(o, &v->u.list.items[i], depth + 1);
            else
                put(o, "...", 3);
        }
        put(o, "]", 1);
        break;
    default: put(o, "?", 1); break;
    }
}

size_t retain_value_format(const retain_value *v, char *buf, size_t size)
{
    out o = { buf, buf ? size : 0, 0 };
    if (!v)
        put(&o, "null", 4);
    else
        format(&o, v, 0);
    if (o.size) {
        size_t end = o.len < o.size ? o.len : o.size - 1;
        /* do not leave half a UTF-8 character at a cut */
        if (o.len >= o.size)
            while (end > 0 && ((unsigned char)o.buf[end] & 0xC0) == 0x80)
                end--;
        o.buf[end] = '\0';
    }
    return o.len;
}

/* --- case mapping ------------------------------------------------------------ */

/* Ranges of upper-case letters and how their lower case is found. Only
 * pairs whose UTF-8 encodings have the same length are listed, so lower()
 * and upper() never change a string's size. */
enum { DELTA, EVEN, ODD };
static const struct {
    uint16_t lo, hi;
    uint8_t kind;
    uint8_t delta;
} cases[] = {
    { 0x00C0, 0x00D6, DELTA, 32 }, { 0x00D8, 0x00DE, DELTA, 32 },
    { 0x0100, 0x012F, EVEN, 0 },   { 0x0132, 0x0137, EVEN, 0 },
    { 0x0139, 0x0148, ODD, 0 },    { 0x014A, 0x0177, EVEN, 0 },
    { 0x0179, 0x017E, ODD, 0 },    { 0x0386, 0x0386, DELTA, 38 },
    { 0x0388, 0x038A, DELTA, 37 }, { 0x038C, 0x038C, DELTA, 64 },
    { 0x038E, 0x038F, DELTA, 63 }, { 0x0391, 0x03A1, DELTA, 32 },
    { 0x03A3, 0x03AB, DELTA, 32 }, { 0x0400, 0x040F, DELTA, 80 },
    { 0x0410, 0x042F, DELTA, 32 }, { 0x0460, 0x0481, EVEN, 0 },
    { 0x048A, 0x04BF, EVEN, 0 },   { 0x04C1, 0x04CE, ODD, 0 },
    { 0x04D0, 0x052F, EVEN, 0 },   { 0x0531, 0x0556, DELTA, 48 },
};

uint32_t rt_unicode_lower(uint32_t c)
{
    if (c == 0x0178)
        return 0x00FF;
    if (c == 0x04C0)
        return 0x04CF;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (c < cases[i].lo || c > cases[i].hi)
            continue;
        switch (cases[i].kind) {
        case DELTA: return c + cases[i].delta;
        case EVEN: return c % 2 == 0 ? c + 1 : c;
        default: return c % 2 == 1 ? c + 1 : c;
        }
    }
    return c;
}

uint32_t rt_unicode_upper(uint32_t c)
{
    if (c == 0x00FF)
        return 0x0178;
    if (c == 0x04CF)
        return 0x04C0;
    if (c == 0x03C2) /* final sigma */
        return 0x03A3;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t lo = cases[i].lo, hi = cases[i].hi;
        switch (cases[i].kind) {
        case DELTA:
            if (c >= lo + cases[i].delta && c <= hi + cases[i].delta)
                return c - cases[i].delta;
            break;
        case EVEN:
            if (c >= lo && c <= hi && c % 2 == 1)
                return c - 1;
            break;
        default:
            if (c >= lo && c <= hi && c % 2 == 0)
                return c - 1;
            break;
        }
    }
    return c;
}

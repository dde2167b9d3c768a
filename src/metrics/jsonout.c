/* jsonout.c - numbers and keys for the metrics' JSON output. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void rt_mjson_num(rt_buf *b, double v)
{
    if (!isfinite(v)) {
        rt_buf_puts(b, "null");
        return;
    }
    /* The shortest of 15 or 17 significant digits that reads back exactly:
     * 0.1 stays "0.1" rather than "0.10000000000000001". */
    char s[40];
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) != v)
        snprintf(s, sizeof s, "%.17g", v);
    rt_buf_puts(b, s);
}

void rt_mjson_key(rt_buf *b, const char *key, bool first)
{
    if (!first)
        rt_buf_putc(b, ',');
    rt_buf_json_str(b, key);
    rt_buf_putc(b, ':');
}

int rt_mjson_finish(retain_engine *e, rt_buf *b, char **out)
{
    if (rt_buf_finish(b, out) != RETAIN_OK)
        return rt_nomem(e);
    return RETAIN_OK;
}

void rt_mjson_date(rt_buf *b, int64_t ms)
{
    int64_t y;
    int m, d;
    rt_civil_from_days(rt_day_of(ms), &y, &m, &d);
    rt_buf_printf(b, "\"%04lld-%02d-%02d\"", (long long)y, m, d);
}

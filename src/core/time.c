/* time.c - formatting times for messages and JSON. */
#include "text.h"
#include "engine.h"
#include "tz/tz.h"

void rt_format_time(int64_t ms, char *buf, size_t size)
{
    int64_t secs = rt_floor_div(ms, 1000);
    int64_t days = rt_floor_div(secs, 86400), sod = secs - days * 86400;
    int64_t y;
    int m, d;
    rt_civil_from_days(days, &y, &m, &d);
    rt_format(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
              (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

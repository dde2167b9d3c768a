/*
 * period.c - UTC calendar periods: days, Monday-based weeks, months,
 * quarters, years, numbered so that consecutive periods have consecutive
 * indexes. Civil dates come from the calendar helpers of src/tz.
 */
#include "metrics.h"

/* 1970-01-01 was a Thursday: day 4 is the first Monday. */
#define WEEK_SHIFT 3

int64_t rt_period_index(retain_period p, int64_t ms)
{
    int64_t day = rt_day_of(ms), y;
    int m, d;
    switch (p) {
    case RETAIN_PERIOD_DAY: return day;
    case RETAIN_PERIOD_WEEK: return rt_floor_div(day + WEEK_SHIFT, 7);
    default: break;
    }
    rt_civil_from_days(day, &y, &m, &d);
    switch (p) {
    case RETAIN_PERIOD_MONTH: return y * 12 + (m - 1);
    case RETAIN_PERIOD_QUARTER: return y * 4 + (m - 1) / 3;
    default: return y;
    }
}

int64_t rt_period_start(retain_period p, int64_t index)
{
    int64_t day, y;
    switch (p) {
    case RETAIN_PERIOD_DAY: day = index; break;
    case RETAIN_PERIOD_WEEK: day = index * 7 - WEEK_SHIFT; break;
    case RETAIN_PERIOD_MONTH:
        y = rt_floor_div(index, 12);
        day = rt_days_from_civil(y, (int)(index - y * 12) + 1, 1);
        break;
    case RETAIN_PERIOD_QUARTER:
        y = rt_floor_div(index, 4);
        day = rt_days_from_civil(y, (int)(index - y * 4) * 3 + 1, 1);
        break;
    default: day = rt_days_from_civil(index, 1, 1); break;
    }
    return day * RT_MS_PER_DAY;
}

const char *retain_period_name(retain_period p)
{
    switch (p) {
    case RETAIN_PERIOD_DAY: return "day";
    case RETAIN_PERIOD_WEEK: return "week";
    case RETAIN_PERIOD_MONTH: return "month";
    case RETAIN_PERIOD_QUARTER: return "quarter";
    case RETAIN_PERIOD_YEAR: return "year";
    default: return "none";
    }
}

/* args.c - argument checks shared by the metric functions. */
#include "metrics.h"
#include "core/check.h"


int rt_mcheck_currency(retain_engine *e, const char *currency, bool optional)
{
    if (!currency && optional)
        return RETAIN_OK;
    return rt_check_currency(e, "currency", currency);
}

int rt_mcheck_as_of(retain_engine *e, const char *what, int64_t as_of)
{
    return rt_check_time(e, what, as_of);
}

int rt_mcheck_period(retain_engine *e, retain_period p)
{
    if (p < RETAIN_PERIOD_DAY || p > RETAIN_PERIOD_YEAR)
        return rt_error(e, RETAIN_EINVAL,
                        "period is %d; use RETAIN_PERIOD_DAY, _WEEK, _MONTH, _QUARTER or _YEAR",
                        (int)p);
    return RETAIN_OK;
}

int rt_mcheck_version(retain_engine *e, const char *what, unsigned int version,
                      unsigned int current, const char *init)
{
    if (version == 0 || version > current)
        return rt_error(e, RETAIN_EINVAL, "%s->version is %u; initialize it with %s", what,
                        version, init);
    return RETAIN_OK;
}

int rt_mmoney_overflow(retain_engine *e)
{
    return rt_error(e, RETAIN_ELIMIT, "a sum of order totals overflows 64-bit minor units");
}

int rt_mcheck_cells(retain_engine *e, uint64_t cells, uint64_t max, retain_period period)
{
    if (cells > max)
        return rt_error(e, RETAIN_ELIMIT,
                        "the result would hold %llu cells of one %s each (at most %llu); "
                        "use a longer period",
                        (unsigned long long)cells, retain_period_name(period),
                        (unsigned long long)max);
    return RETAIN_OK;
}

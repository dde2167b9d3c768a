/*
 * series.c - what the per-period results (cohort matrix, churn series)
 * share: argument checks, the read of the orders, and a one-handle result
 * that a fill function completes.
 */
#include "metrics.h"
#include "core/arena.h"

int rt_series_build(void **out, size_t size, retain_engine *e, const char *currency,
                    retain_period period, int64_t as_of, rt_series_fill fill)
{
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    int rc;
    if ((rc = rt_mcheck_currency(e, currency, true)) || (rc = rt_mcheck_period(e, period)) ||
        (rc = rt_mcheck_as_of(e, "as_of", as_of)))
        return rc;
    rt_hist h;
    if ((rc = rt_hist_read(e, currency, as_of, &h)))
        return rc;
    void *res = rt_object_new(&e->alloc, size);
    if (!res) {
        rt_hist_free(&h);
        return rt_nomem(e);
    }
    rt_series_args a = { currency, period, as_of, 0, &h };
    a.last_partial = as_of < rt_period_start(period, rt_period_index(period, as_of) + 1) - 1;
    rc = fill(e, res, &a);
    rt_hist_free(&h);
    if (rc) {
        rt_object_free(res);
        return rc;
    }
    *out = res;
    return RETAIN_OK;
}

void rt_series_json_open(rt_buf *b, retain_period period, int64_t as_of, const char *currency,
                         int last_partial, const char *list)
{
    rt_buf_printf(b, "{\"period\":\"%s\",\"as_of\":%lld,\"currency\":",
                  retain_period_name(period), (long long)as_of);
    rt_buf_json_str(b, currency);
    rt_buf_printf(b, ",\"last_partial\":%s,\"%s\":[", last_partial ? "true" : "false", list);
}

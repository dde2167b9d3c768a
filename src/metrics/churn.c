/*
 * churn.c - activity, retention and churn per calendar period: who bought
 * in each period, and of those who bought in the previous one, who came
 * back (retained) and who did not (churned).
 */
#include "metrics.h"
#include "core/arena.h"
#include "core/check.h"

#include <math.h>
#include <string.h>

static int fill(retain_engine *e, void *obj, const rt_series_args *a)
{
    retain_churn *res = obj;
    const rt_hist *h = a->h;
    retain_period period = a->period;
    res->period = period;
    res->as_of = a->as_of;
    if (a->currency)
        memcpy(res->currency, a->currency, 3);
    res->last_partial = a->last_partial;
    int64_t last = rt_period_index(period, res->as_of), first = last;
    for (size_t c = 0; c < h->ncust; c++) {
        int64_t f = rt_period_index(period, h->p[h->off[c]].at);
        first = f < first ? f : first;
    }
    if (h->ncust == 0)
        return RETAIN_OK;
    uint64_t span = (uint64_t)(last - first) + 1;
    int rc = rt_mcheck_cells(e, span, RT_MAX_CHURN_PERIODS, period);
    if (rc)
        return rc;
    size_t np = (size_t)span;
    retain_churn_period *ps = rt_arena_alloc(rt_object_arena(res), np * sizeof *ps);
    if (!ps)
        return rt_nomem(e);
    bool ok = true, money = res->currency[0] != '\0';
    for (size_t c = 0; c < h->ncust; c++) {
        const rt_purchase *p = h->p + h->off[c];
        size_t n = h->off[c + 1] - h->off[c];
        int64_t prev = INT64_MIN; /* previous active period, as an index from `first` */
        for (size_t i = 0; i < n; i++) {
            int64_t q = rt_period_index(period, p[i].at) - first;
            retain_churn_period *cur = &ps[q];
            cur->orders++;
            if (money)
                ok &= rt_madd(&cur->revenue, p[i].amount);
            if (q == prev)
                continue;
            cur->active++;
            if (prev == INT64_MIN)
                cur->new_customers++;
            else if (prev == q - 1)
                cur->retained++;
            else
                cur->reactivated++;
            if (prev != INT64_MIN && prev != q - 1)
                ps[prev + 1].churned++; /* gone the period after prev */
            prev = q;
        }
        if (prev + 1 < (int64_t)np)
            ps[prev + 1].churned++;
    }
    if (!ok)
        return rt_mmoney_overflow(e);
    for (size_t k = 0; k < np; k++) {
        ps[k].start = rt_period_start(period, first + (int64_t)k);
        ps[k].end = rt_period_start(period, first + (int64_t)k + 1);
        double before = k ? (double)ps[k - 1].active : 0.0;
        ps[k].retention_rate = before > 0 ? (double)ps[k].retained / before : NAN;
        ps[k].churn_rate = before > 0 ? (double)ps[k].churned / before : NAN;
    }
    res->periods = ps;
    res->count = np;
    return RETAIN_OK;
}

static int churn_build(retain_churn **out, retain_engine *e, const char *currency,
                       retain_period period, int64_t as_of)
{
    void *res = NULL;
    int rc = rt_series_build(out ? &res : NULL, sizeof(retain_churn), e, currency, period,
                             as_of, fill);
    if (out)
        *out = res;
    return rc;
}

int retain_churn_by_period(retain_churn **out, retain_engine *e, const char *currency,
                           retain_period period, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    return churn_build(out, e, currency, period, as_of);
}

void retain_churn_free(retain_churn *c)
{
    rt_object_free(c);
}

int retain_churn_by_period_json(char **out, retain_engine *e, const char *currency,
                                retain_period period, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    retain_churn *c = NULL;
    rc = churn_build(&c, e, currency, period, as_of);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_series_json_open(&b, period, as_of, currency ? c->currency : NULL, c->last_partial,
                        "periods");
    for (size_t k = 0; k < c->count; k++) {
        const retain_churn_period *p = &c->periods[k];
        rt_buf_printf(&b, "%s{\"start\":%lld,\"end\":%lld,\"start_date\":", k ? "," : "",
                      (long long)p->start, (long long)p->end);
        rt_mjson_date(&b, p->start);
        rt_buf_printf(&b,
                      ",\"active\":%lld,\"new\":%lld,\"retained\":%lld,\"reactivated\":%lld,"
                      "\"churned\":%lld,\"retention_rate\":",
                      (long long)p->active, (long long)p->new_customers, (long long)p->retained,
                      (long long)p->reactivated, (long long)p->churned);
        rt_mjson_num(&b, p->retention_rate);
        rt_mjson_key(&b, "churn_rate", false);
        rt_mjson_num(&b, p->churn_rate);
        rt_buf_printf(&b, ",\"orders\":%lld,\"revenue\":", (long long)p->orders);
        if (currency)
            rt_buf_printf(&b, "%lld}", (long long)p->revenue);
        else
            rt_buf_puts(&b, "null}");
    }
    rt_buf_puts(&b, "]}");
    retain_churn_free(c);
    return rt_mjson_finish(e, &b, out);
}

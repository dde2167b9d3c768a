/*
 * cohort.c - the acquisition-cohort matrix: customers grouped by the
 * period of their first counted order (a row), and for each later period
 * (a column offset) how many of them bought, with their orders and revenue.
 */
#include "metrics.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/check.h"

#include <math.h>
#include <string.h>

/* Row layout: which periods hold cohorts and where each row goes. */
typedef struct layout {
    int64_t first, last;  /* period indexes of the oldest cohort and of as_of */
    size_t span;          /* last - first + 1 */
    size_t *row_of;       /* period - first -> row, or SIZE_MAX */
    int64_t *size;        /* customers per period - first */
    size_t rows;
    uint64_t cells;
} layout;

static int plan(retain_engine *e, const rt_hist *h, retain_period period, int64_t as_of,
                layout *L)
{
    memset(L, 0, sizeof *L);
    L->last = rt_period_index(period, as_of);
    L->first = L->last;
    for (size_t c = 0; c < h->ncust; c++) {
        int64_t f = rt_period_index(period, h->p[h->off[c]].at);
        L->first = f < L->first ? f : L->first;
    }
    uint64_t span = (uint64_t)(L->last - L->first) + 1;
    int rc = rt_mcheck_cells(e, span, RT_MAX_COHORT_CELLS, period);
    if (rc)
        return rc;
    L->span = (size_t)span;
    L->row_of = rt_malloc(&e->alloc, L->span * sizeof *L->row_of);
    L->size = rt_calloc(&e->alloc, L->span, sizeof *L->size);
    if (!L->row_of || !L->size)
        return rt_nomem(e);
    for (size_t c = 0; c < h->ncust; c++)
        L->size[rt_period_index(period, h->p[h->off[c]].at) - L->first]++;
    for (size_t k = 0; k < L->span; k++) {
        L->row_of[k] = L->size[k] ? L->rows++ : SIZE_MAX;
        if (L->size[k])
            L->cells += L->span - k;
    }
    return rt_mcheck_cells(e, L->cells, RT_MAX_COHORT_CELLS, period);
}

static void layout_free(retain_engine *e, layout *L)
{
    rt_free(&e->alloc, L->row_of);
    rt_free(&e->alloc, L->size);
}

static int fill(retain_engine *e, retain_cohorts *res, const rt_hist *h, const layout *L,
                bool money)
{
    rt_arena *ar = rt_object_arena(res);
    retain_cohort *rows = L->rows ? rt_arena_alloc(ar, L->rows * sizeof *rows) : NULL;
    if (L->rows && !rows)
        return rt_nomem(e);
    int64_t **active = rt_calloc(&e->alloc, L->rows ? L->rows : 1, 3 * sizeof *active);
    if (!active)
        return rt_nomem(e);
    int64_t **orders = active + L->rows, **revenue = active + 2 * L->rows;
    int rc = RETAIN_OK;
    for (size_t k = 0; k < L->span && rc == RETAIN_OK; k++) {
        size_t r = L->row_of[k];
        if (r == SIZE_MAX)
            continue;
        size_t w = L->span - k;
        retain_cohort *co = &rows[r];
        co->start = rt_period_start(res->period, L->first + (int64_t)k);
        co->customers = L->size[k];
        co->periods = w;
        active[r] = rt_arena_alloc(ar, w * sizeof(int64_t));
        orders[r] = rt_arena_alloc(ar, w * sizeof(int64_t));
        revenue[r] = money ? rt_arena_alloc(ar, w * sizeof(int64_t)) : NULL;
        double *ret = rt_arena_alloc(ar, w * sizeof(double));
        if (!active[r] || !orders[r] || (money && !revenue[r]) || !ret)
            rc = rt_nomem(e);
        co->active = active[r];
        co->orders = orders[r];
        co->revenue = revenue[r];
        co->retention = ret;
    }
    bool ok = true;
    for (size_t c = 0; c < h->ncust && rc == RETAIN_OK; c++) {
        const rt_purchase *p = h->p + h->off[c];
        size_t n = h->off[c + 1] - h->off[c];
        int64_t f = rt_period_index(res->period, p[0].at);
        size_t r = L->row_of[f - L->first];
        int64_t prev = -1;
        for (size_t i = 0; i < n; i++) {
            int64_t k = rt_period_index(res->period, p[i].at) - f;
            if (k != prev)
                active[r][k]++;
            prev = k;
            orders[r][k]++;
            if (money)
                ok &= rt_madd(&revenue[r][k], p[i].amount);
        }
    }
    if (rc == RETAIN_OK && !ok)
        rc = rt_mmoney_overflow(e);
    for (size_t r = 0; r < L->rows && rc == RETAIN_OK; r++) {
        double *ret = (double *)rows[r].retention;
        for (size_t k = 0; k < rows[r].periods; k++)
            ret[k] = (double)rows[r].active[k] / (double)rows[r].customers;
    }
    rt_free(&e->alloc, active);
    res->cohorts = rows;
    res->count = L->rows;
    return rc;
}

static int cohorts_fill(retain_engine *e, void *obj, const rt_series_args *a)
{
    retain_cohorts *res = obj;
    res->period = a->period;
    res->as_of = a->as_of;
    if (a->currency)
        memcpy(res->currency, a->currency, 3);
    res->last_partial = a->last_partial;
    layout L;
    int rc = plan(e, a->h, a->period, a->as_of, &L);
    if (rc == RETAIN_OK)
        rc = fill(e, res, a->h, &L, a->currency != NULL);
    layout_free(e, &L);
    return rc;
}

static int cohorts_build(retain_cohorts **out, retain_engine *e, const char *currency,
                         retain_period period, int64_t as_of)
{
    void *res = NULL;
    int rc = rt_series_build(out ? &res : NULL, sizeof(retain_cohorts), e, currency, period,
                             as_of, cohorts_fill);
    if (out)
        *out = res;
    return rc;
}

int retain_cohort_retention(retain_cohorts **out, retain_engine *e, const char *currency,
                            retain_period period, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    return cohorts_build(out, e, currency, period, as_of);
}

void retain_cohorts_free(retain_cohorts *c)
{
    rt_object_free(c);
}

static void i64_array(rt_buf *b, const int64_t *v, size_t n)
{
    if (!v) {
        rt_buf_puts(b, "null");
        return;
    }
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        rt_buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]);
    rt_buf_putc(b, ']');
}

int retain_cohort_retention_json(char **out, retain_engine *e, const char *currency,
                                 retain_period period, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    retain_cohorts *c = NULL;
    rc = cohorts_build(&c, e, currency, period, as_of);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_series_json_open(&b, period, as_of, currency ? c->currency : NULL, c->last_partial,
                        "cohorts");
    for (size_t r = 0; r < c->count; r++) {
        const retain_cohort *co = &c->cohorts[r];
        rt_buf_printf(&b, "%s{\"start\":%lld,\"start_date\":", r ? "," : "", (long long)co->start);
        rt_mjson_date(&b, co->start);
        rt_buf_printf(&b, ",\"customers\":%lld,\"active\":", (long long)co->customers);
        i64_array(&b, co->active, co->periods);
        rt_buf_puts(&b, ",\"retention\":[");
        for (size_t k = 0; k < co->periods; k++) {
            if (k)
                rt_buf_putc(&b, ',');
            rt_mjson_num(&b, co->retention[k]);
        }
        rt_buf_puts(&b, "],\"orders\":");
        i64_array(&b, co->orders, co->periods);
        rt_buf_puts(&b, ",\"revenue\":");
        i64_array(&b, co->revenue, co->periods);
        rt_buf_putc(&b, '}');
    }
    rt_buf_puts(&b, "]}");
    retain_cohorts_free(c);
    return rt_mjson_finish(e, &b, out);
}

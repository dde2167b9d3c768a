/*
 * rfm_score.c - recency, frequency and monetary value per customer, their
 * quintile scores, and the segment map (see retain/metrics.h).
 */
#include "metrics.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/check.h"
#include "store/metrics_store.h"

#include <stdlib.h>
#include <string.h>

static const char *const segment_names[RETAIN_SEGMENT_COUNT] = {
    "champions",  "loyal",          "potential_loyalist", "new",
    "promising",  "needs_attention", "about_to_sleep",    "at_risk",
    "cannot_lose", "hibernating",    "lost",
};

const char *retain_rfm_segment_name(retain_rfm_segment s)
{
    return (unsigned)s < RETAIN_SEGMENT_COUNT ? segment_names[s] : "unknown";
}

retain_rfm_segment retain_rfm_segment_of(int r, int fm)
{
#define S(x) RETAIN_SEGMENT_##x
    /* rows R = 1..5, columns FM = 1..5 (the table in retain/metrics.h) */
    static const retain_rfm_segment grid[5][5] = {
        { S(LOST), S(LOST), S(AT_RISK), S(AT_RISK), S(CANNOT_LOSE) },
        { S(HIBERNATING), S(HIBERNATING), S(AT_RISK), S(AT_RISK), S(CANNOT_LOSE) },
        { S(ABOUT_TO_SLEEP), S(ABOUT_TO_SLEEP), S(NEEDS_ATTENTION), S(LOYAL), S(LOYAL) },
        { S(PROMISING), S(POTENTIAL_LOYALIST), S(POTENTIAL_LOYALIST), S(LOYAL), S(LOYAL) },
        { S(NEW), S(POTENTIAL_LOYALIST), S(POTENTIAL_LOYALIST), S(CHAMPIONS), S(CHAMPIONS) },
    };
#undef S
    r = r < 1 ? 1 : r > 5 ? 5 : r;
    fm = fm < 1 ? 1 : fm > 5 ? 5 : fm;
    return grid[r - 1][fm - 1];
}

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Number of sorted[0..n) strictly below v. */
static size_t count_below(const int64_t *sorted, size_t n, int64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Number of sorted[0..n) strictly above v. */
static size_t count_above(const int64_t *sorted, size_t n, int64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n - lo;
}

/* 1 + floor(5 * worse / n), at most 5. */
static int quintile(size_t worse, size_t n)
{
    size_t s = 1 + 5 * worse / n;
    return s > 5 ? 5 : (int)s;
}

static int score(retain_engine *e, retain_rfm_scores *res, const rt_hist *h)
{
    size_t n = h->ncust;
    if (n == 0)
        return RETAIN_OK;
    rt_arena *ar = rt_object_arena(res);
    retain_rfm_score *rows = rt_arena_alloc(ar, n * sizeof *rows);
    const char **ids = rt_arena_alloc(ar, n * sizeof *ids);
    int64_t *sorted = rt_malloc(&e->alloc, 3 * n * sizeof *sorted);
    if (!rows || !ids || !sorted) {
        rt_free(&e->alloc, sorted);
        return rt_nomem(e);
    }
    int64_t *rec = sorted, *freq = sorted + n, *mon = sorted + 2 * n;
    int64_t today = rt_day_of(res->as_of);
    bool ok = true;
    for (size_t c = 0; c < n; c++) {
        const rt_purchase *p = h->p + h->off[c];
        size_t k = h->off[c + 1] - h->off[c];
        retain_rfm_score *s = &rows[c];
        for (size_t i = 0; i < k; i++)
            ok &= rt_madd(&s->monetary, p[i].amount);
        s->frequency = rt_hist_days(h, c);
        s->first_order_at = p[0].at;
        s->last_order_at = p[k - 1].at;
        s->recency_days = today - rt_day_of(s->last_order_at);
        rec[c] = s->recency_days;
        freq[c] = s->frequency;
        mon[c] = s->monetary;
    }
    if (!ok) {
        rt_free(&e->alloc, sorted);
        return rt_mmoney_overflow(e);
    }
    qsort(rec, n, sizeof *rec, i64_cmp);
    qsort(freq, n, sizeof *freq, i64_cmp);
    qsort(mon, n, sizeof *mon, i64_cmp);
    for (size_t c = 0; c < n; c++) {
        retain_rfm_score *s = &rows[c];
        s->r = quintile(count_above(rec, n, s->recency_days), n);
        s->f = quintile(count_below(freq, n, s->frequency), n);
        s->m = quintile(count_below(mon, n, s->monetary), n);
        s->segment = retain_rfm_segment_of(s->r, (s->f + s->m + 1) / 2);
        res->segment_customers[s->segment]++;
    }
    rt_free(&e->alloc, sorted);
    int rc = rt_ms_customer_ids(e, h->cust, n, ar, ids);
    if (rc)
        return rc;
    for (size_t c = 0; c < n; c++)
        rows[c].customer_id = ids[c];
    res->rows = rows;
    res->count = n;
    return RETAIN_OK;
}

static int scores_build(retain_rfm_scores **out, retain_engine *e, const char *currency,
                        int64_t as_of)
{
    int rc;
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    if ((rc = rt_mcheck_currency(e, currency, false)) ||
        (rc = rt_mcheck_as_of(e, "as_of", as_of)))
        return rc;
    retain_rfm_scores *res = rt_object_new(&e->alloc, sizeof *res);
    if (!res)
        return rt_nomem(e);
    memcpy(res->currency, currency, 3);
    res->as_of = as_of;
    bool began;
    if ((rc = rt_ms_read_begin(e, &began))) {
        rt_object_free(res);
        return rc;
    }
    rt_hist h;
    rc = rt_hist_load(e, currency, as_of, &h);
    if (rc == RETAIN_OK)
        rc = score(e, res, &h); /* inside the snapshot: it reads the ids */
    rt_hist_free(&h);
    rc = rt_ms_read_end(e, began, rc);
    if (rc) {
        rt_object_free(res);
        return rc;
    }
    *out = res;
    return RETAIN_OK;
}

int retain_rfm_scores_get(retain_rfm_scores **out, retain_engine *e, const char *currency,
                          int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    return scores_build(out, e, currency, as_of);
}

void retain_rfm_scores_free(retain_rfm_scores *s)
{
    rt_object_free(s);
}

int retain_rfm_scores_json(char **out, retain_engine *e, const char *currency, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    retain_rfm_scores *s = NULL;
    rc = scores_build(&s, e, currency, as_of);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"currency\":");
    rt_buf_json_str(&b, s->currency);
    rt_buf_printf(&b, ",\"as_of\":%lld,\"customers\":%zu,\"segments\":{", (long long)as_of,
                  s->count);
    for (int k = 0; k < RETAIN_SEGMENT_COUNT; k++)
        rt_buf_printf(&b, "%s\"%s\":%lld", k ? "," : "", segment_names[k],
                      (long long)s->segment_customers[k]);
    rt_buf_puts(&b, "},\"rows\":[");
    for (size_t i = 0; i < s->count; i++) {
        const retain_rfm_score *r = &s->rows[i];
        rt_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        rt_buf_json_str(&b, r->customer_id);
        rt_buf_printf(&b,
                      ",\"recency_days\":%lld,\"frequency\":%lld,\"monetary\":%lld,"
                      "\"first_order_at\":%lld,\"last_order_at\":%lld,"
                      "\"r\":%d,\"f\":%d,\"m\":%d,\"segment\":\"%s\"}",
                      (long long)r->recency_days, (long long)r->frequency,
                      (long long)r->monetary, (long long)r->first_order_at,
                      (long long)r->last_order_at, r->r, r->f, r->m,
                      segment_names[r->segment]);
    }
    rt_buf_puts(&b, "]}");
    retain_rfm_scores_free(s);
    return rt_mjson_finish(e, &b, out);
}

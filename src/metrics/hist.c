/*
 * hist.c - the store's counted orders grouped by customer, each customer's
 * in time order: the one input every descriptive metric walks. Customer
 * row ids are dense integers, so grouping is a counting sort (linear); ids
 * spread too thinly for a count table fall back to sorting pairs.
 */
#include "metrics.h"
#include "core/alloc.h"
#include "store/metrics_store.h"

#include <stdlib.h>
#include <string.h>

void rt_hist_free(rt_hist *h)
{
    rt_free(h->alloc, h->cust);
    rt_free(h->alloc, h->off);
    rt_free(h->alloc, h->p);
    memset(h, 0, sizeof *h);
}

typedef struct keyidx {
    int64_t key;
    size_t i;
} keyidx;

static int keyidx_cmp(const void *pa, const void *pb)
{
    const keyidx *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int purchase_cmp(const void *pa, const void *pb)
{
    const rt_purchase *a = pa, *b = pb;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* Sort one customer's purchases by time; they usually arrive sorted. */
static void sort_by_time(rt_purchase *p, size_t k)
{
    size_t j = 1;
    while (j < k && p[j - 1].at <= p[j].at)
        j++;
    if (j >= k)
        return;
    if (k > 32) {
        qsort(p, k, sizeof *p, purchase_cmp);
        return;
    }
    for (; j < k; j++) {
        rt_purchase v = p[j];
        size_t i = j;
        while (i > 0 && p[i - 1].at > v.at) {
            p[i] = p[i - 1];
            i--;
        }
        p[i] = v;
    }
}

/* Counting sort by key - lo into out->p; fills cust and off. */
static int group_dense(rt_hist *out, const int64_t *cust, const int64_t *at,
                       const int64_t *amount, size_t n, int64_t lo, size_t range)
{
    const retain_allocator *a = out->alloc;
    size_t *pos = rt_calloc(a, range + 1, sizeof *pos);
    if (!pos)
        return RETAIN_ENOMEM;
    for (size_t i = 0; i < n; i++)
        pos[(size_t)(cust[i] - lo)]++;
    size_t nc = 0;
    for (size_t k = 0; k < range; k++)
        nc += pos[k] != 0;
    out->cust = rt_malloc(a, (nc ? nc : 1) * sizeof *out->cust);
    out->off = rt_malloc(a, (nc + 1) * sizeof *out->off);
    if (!out->cust || !out->off) {
        rt_free(a, pos);
        return RETAIN_ENOMEM;
    }
    size_t c = 0, start = 0;
    for (size_t k = 0; k < range; k++) {
        size_t cnt = pos[k];
        pos[k] = start;
        if (cnt) {
            out->cust[c] = lo + (int64_t)k;
            out->off[c++] = start;
            start += cnt;
        }
    }
    out->off[nc] = n;
    out->ncust = nc;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(cust[i] - lo);
        out->p[pos[k]].at = at[i];
        out->p[pos[k]].amount = amount ? amount[i] : 0;
        pos[k]++;
    }
    rt_free(a, pos);
    return RETAIN_OK;
}

static int group_sparse(rt_hist *out, const int64_t *cust, const int64_t *at,
                        const int64_t *amount, size_t n)
{
    const retain_allocator *a = out->alloc;
    keyidx *ki = rt_malloc(a, n * sizeof *ki);
    if (!ki)
        return RETAIN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ki[i].key = cust[i];
        ki[i].i = i;
    }
    qsort(ki, n, sizeof *ki, keyidx_cmp);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        nc += i == 0 || ki[i].key != ki[i - 1].key;
    out->cust = rt_malloc(a, nc * sizeof *out->cust);
    out->off = rt_malloc(a, (nc + 1) * sizeof *out->off);
    if (!out->cust || !out->off) {
        rt_free(a, ki);
        return RETAIN_ENOMEM;
    }
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || ki[i].key != ki[i - 1].key) {
            out->cust[c] = ki[i].key;
            out->off[c++] = i;
        }
        out->p[i].at = at[ki[i].i];
        out->p[i].amount = amount ? amount[ki[i].i] : 0;
    }
    out->off[nc] = n;
    out->ncust = nc;
    rt_free(a, ki);
    return RETAIN_OK;
}

int rt_hist_group(rt_hist *out, const int64_t *cust, const int64_t *at, const int64_t *amount,
                  size_t n, const retain_allocator *a)
{
    memset(out, 0, sizeof *out);
    out->alloc = a;
    out->n = n;
    if (n == 0) {
        out->off = rt_calloc(a, 1, sizeof *out->off);
        return out->off ? RETAIN_OK : RETAIN_ENOMEM;
    }
    out->p = rt_malloc(a, n * sizeof *out->p);
    if (!out->p)
        return RETAIN_ENOMEM;
    int64_t lo = cust[0], hi = cust[0];
    for (size_t i = 1; i < n; i++) {
        lo = cust[i] < lo ? cust[i] : lo;
        hi = cust[i] > hi ? cust[i] : hi;
    }
    /* A count table costs one word per possible id: worth it when the ids
     * are no sparser than a few per order. */
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    int rc = span <= (uint64_t)n * 4 + 65536
                 ? group_dense(out, cust, at, amount, n, lo, (size_t)span)
                 : group_sparse(out, cust, at, amount, n);
    if (rc) {
        rt_hist_free(out);
        out->alloc = a;
        return rc;
    }
    for (size_t c = 0; c < out->ncust; c++)
        sort_by_time(out->p + out->off[c], out->off[c + 1] - out->off[c]);
    return RETAIN_OK;
}

int rt_hist_load(retain_engine *e, const char *currency, int64_t as_of, rt_hist *out)
{
    rt_ms_orders o;
    memset(out, 0, sizeof *out);
    out->alloc = &e->alloc;
    int rc = rt_ms_orders_scan(e, currency, as_of, &o);
    if (rc)
        return rc;
    rc = rt_hist_group(out, o.cust, o.at, o.amount, o.n, &e->alloc);
    rt_ms_orders_free(&o);
    return rc == RETAIN_ENOMEM ? rt_nomem(e) : rc;
}

int64_t rt_hist_days(const rt_hist *h, size_t c)
{
    int64_t days = 0, prev = 0;
    for (size_t i = h->off[c]; i < h->off[c + 1]; i++) {
        int64_t d = rt_day_of(h->p[i].at);
        if (i == h->off[c] || d != prev)
            days++;
        prev = d;
    }
    return days;
}

int rt_hist_read(retain_engine *e, const char *currency, int64_t as_of, rt_hist *h)
{
    bool began;
    memset(h, 0, sizeof *h);
    int rc = rt_ms_read_begin(e, &began);
    if (rc)
        return rc;
    rc = rt_ms_read_end(e, began, rt_hist_load(e, currency, as_of, h));
    if (rc)
        rt_hist_free(h);
    return rc;
}

/*
 * recommend.c - complementary products: the build (co-purchase counts to
 * stored neighbour lists), the per-customer query, and the payload list the
 * recommend step leaves for later sends.
 */
#include "domain.h"
#include "cooc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/check.h"
#include "store/domain_store.h"
#include "retain/recommend.h"

#include <stdlib.h>
#include <string.h>

#define MAX_N 100

/* ---- products ------------------------------------------------------------ */

int retain_product_upsert(retain_engine *e, const retain_product *p)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "product", p)))
        return rc;
    if (p->version == 0 || p->version > RETAIN_PRODUCT_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "product.version is %u; initialize with RETAIN_PRODUCT_INIT", p->version);
    if ((rc = rt_check_id(e, "product.sku", p->sku)) ||
        (rc = rt_check_text(e, "product.title", p->title, RT_TEXT_MAX)) ||
        (rc = rt_check_json_object(e, "product.attrs_json", p->attrs_json)) ||
        (rc = rt_check_time(e, "product.at", p->at)))
        return rc;
    if (p->price < -1)
        return rt_error(e, RETAIN_EINVAL, "product.price is %lld; use -1 for unknown",
                        (long long)p->price);
    if (p->price >= 0 && (rc = rt_check_currency(e, "product.currency", p->currency)))
        return rc;
    if (p->price < 0 && p->currency)
        return rt_error(e, RETAIN_EINVAL, "product.currency is set but product.price is unknown");
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, ds_product_upsert(e, p->sku, p->title, p->price, p->currency,
                                          p->attrs_json, p->at));
}

/* ---- the build ----------------------------------------------------------- */

static int add_basket(void *ctx, const char *const *skus, int n)
{
    rt_cooc *c = ctx;
    return rt_cooc_add(c, skus, n) ? RETAIN_OK : RETAIN_ENOMEM;
}

static int store_edges(retain_engine *e, const rt_cooc *c, const rt_cooc_edge *edges,
                       uint64_t n, int keep, int64_t *rows)
{
    int rc = ds_neighbors_clear(e);
    *rows = 0;
    for (uint64_t i = 0, rank = 0; i < n && rc == RETAIN_OK; i++) {
        rank = i && edges[i - 1].a == edges[i].a ? rank + 1 : 0;
        if (rank >= (uint64_t)keep)
            continue;
        rc = ds_neighbor_add(e, c->names[edges[i].a], (int)rank, c->names[edges[i].b],
                             edges[i].score, edges[i].support);
        ++*rows;
    }
    return rc;
}

static int build(retain_engine *e, int keep, int min_support, retain_recommend_stats *st)
{
    rt_cooc c;
    rt_cooc_init(&c, &e->alloc);
    int rc = ds_baskets_each(e, add_basket, &c);
    if (rc == RETAIN_ENOMEM || c.failed)
        rc = rt_nomem(e);
    rt_cooc_edge *edges = NULL;
    uint64_t n = 0;
    if (rc == RETAIN_OK && !rt_cooc_edges(&c, (uint32_t)min_support, &edges, &n))
        rc = rt_nomem(e);
    if (rc == RETAIN_OK)
        rc = store_edges(e, &c, edges, n, keep, &st->neighbors);
    st->baskets = c.baskets;
    st->skus = c.nnames;
    st->pairs = (int64_t)c.npairs;
    if (rc == RETAIN_OK)
        rc = ds_reco_meta_set(e, "baskets", st->baskets);
    rt_free(&e->alloc, edges);
    rt_cooc_free(&c);
    return rc;
}

int retain_recommend_build(retain_recommend_stats *out, retain_engine *e,
                           const retain_recommend_options *opts)
{
    if (out)
        memset(out, 0, sizeof *out);
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc)
        return rc;
    int keep = 50, min_support = 1;
    if (opts) {
        if (opts->version == 0 || opts->version > RETAIN_RECOMMEND_OPTIONS_VERSION)
            return rt_error(e, RETAIN_EINVAL,
                            "opts.version is %u; initialize with RETAIN_RECOMMEND_OPTIONS_INIT",
                            opts->version);
        if (opts->neighbors < 0 || opts->neighbors > 1000)
            return rt_error(e, RETAIN_EINVAL, "opts.neighbors is %d; it must be 0 (50) to 1000",
                            opts->neighbors);
        if (opts->min_support < 0)
            return rt_error(e, RETAIN_EINVAL, "opts.min_support is %d; it must be >= 0",
                            opts->min_support);
        if (opts->neighbors)
            keep = opts->neighbors;
        if (opts->min_support)
            min_support = opts->min_support;
    }
    retain_recommend_stats st;
    memset(&st, 0, sizeof st);
    if ((rc = rt_tx_begin(e)))
        return rc;
    rc = rt_tx_end(e, build(e, keep, min_support, &st));
    if (rc == RETAIN_OK && out)
        *out = st;
    return rc;
}

/* ---- the query ----------------------------------------------------------- */

typedef struct cand {
    const char *sku;
    double score;
    int64_t support;
} cand;

typedef struct query {
    retain_engine *e;
    rt_arena *ar;     /* strings of this query */
    const char **owned;
    size_t nowned, capowned;
    cand *c;
    size_t n, cap;
} query;

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int add_owned(void *ctx, const char *sku)
{
    query *q = ctx;
    if (q->nowned == q->capowned) {
        size_t cap = q->capowned ? q->capowned * 2 : 32;
        const char **o = rt_realloc(&q->e->alloc, q->owned, cap * sizeof *o);
        if (!o)
            return rt_nomem(q->e);
        q->owned = o;
        q->capowned = cap;
    }
    if (!(q->owned[q->nowned] = rt_arena_strdup(q->ar, sku)))
        return rt_nomem(q->e);
    q->nowned++;
    return RETAIN_OK;
}

static int add_cand(void *ctx, const char *other, double score, int64_t support)
{
    query *q = ctx;
    if (bsearch(&other, q->owned, q->nowned, sizeof *q->owned, cmp_str))
        return RETAIN_OK;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 128;
        cand *c = rt_realloc(&q->e->alloc, q->c, cap * sizeof *c);
        if (!c)
            return rt_nomem(q->e);
        q->c = c;
        q->cap = cap;
    }
    if (!(q->c[q->n].sku = rt_arena_strdup(q->ar, other)))
        return rt_nomem(q->e);
    q->c[q->n].score = score;
    q->c[q->n].support = support;
    q->n++;
    return RETAIN_OK;
}

static int cmp_cand_sku(const void *x, const void *y)
{
    return strcmp(((const cand *)x)->sku, ((const cand *)y)->sku);
}

static int cmp_cand_score(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return strcmp(a->sku, b->sku);
}

/* The best `n` candidates of customer row `customer`, merged, in q->c. */
static int rank(retain_engine *e, int64_t customer, size_t n, query *q)
{
    int rc = ds_owned_each(e, customer, add_owned, q);
    if (rc)
        return rc;
    qsort(q->owned, q->nowned, sizeof *q->owned, cmp_str);
    for (size_t i = 0; i < q->nowned && rc == RETAIN_OK; i++)
        rc = ds_neighbors_each(e, q->owned[i], add_cand, q);
    if (rc)
        return rc;
    qsort(q->c, q->n, sizeof *q->c, cmp_cand_sku);
    size_t m = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (m && !strcmp(q->c[m - 1].sku, q->c[i].sku)) {
            q->c[m - 1].score += q->c[i].score;
            q->c[m - 1].support += q->c[i].support;
        } else {
            q->c[m++] = q->c[i];
        }
    }
    qsort(q->c, m, sizeof *q->c, cmp_cand_score);
    q->n = m < n ? m : n;
    return RETAIN_OK;
}

static void query_free(query *q)
{
    rt_free(&q->e->alloc, q->owned);
    rt_free(&q->e->alloc, q->c);
}

static int fill(retain_engine *e, const cand *c, rt_arena *ar, retain_recommendation *r)
{
    char title[RT_TEXT_MAX + 1], cur[8];
    int64_t price = -1;
    bool found, ok = true;
    int rc = ds_product_get(e, c->sku, title, sizeof title, &price, cur, sizeof cur, &found);
    if (rc)
        return rc;
    r->sku = rt_arena_str(ar, c->sku, &ok);
    r->title = title[0] ? rt_arena_str(ar, title, &ok) : NULL;
    r->price = price;
    r->currency = price >= 0 && cur[0] ? rt_arena_str(ar, cur, &ok) : NULL;
    r->score = c->score;
    r->support = c->support;
    return ok ? RETAIN_OK : rt_nomem(e);
}

static int recommend(retain_engine *e, int64_t customer, size_t n, retain_recommendations **out)
{
    retain_recommendations *res = rt_object_new(&e->alloc, sizeof *res);
    if (!res)
        return rt_nomem(e);
    rt_arena *ar = rt_object_arena(res);
    query q = { e, ar, NULL, 0, 0, NULL, 0, 0 };
    int rc = rank(e, customer, n, &q);
    retain_recommendation *items = NULL;
    if (rc == RETAIN_OK && q.n &&
        !(items = rt_arena_alloc(ar, q.n * sizeof *items)))
        rc = rt_nomem(e);
    for (size_t i = 0; i < q.n && rc == RETAIN_OK; i++)
        rc = fill(e, &q.c[i], ar, &items[i]);
    query_free(&q);
    if (rc) {
        rt_object_free(res);
        return rc;
    }
    res->count = q.n;
    res->items = items;
    *out = res;
    return RETAIN_OK;
}

int retain_recommend(retain_recommendations **out, retain_engine *e, const char *customer_id,
                     size_t n)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    if ((rc = rt_check_id(e, "customer_id", customer_id)))
        return rc;
    if (n < 1 || n > MAX_N)
        return rt_error(e, RETAIN_EINVAL, "n is %zu; it must be 1 to %d", n, MAX_N);
    int64_t key;
    if ((rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    return recommend(e, key, n, out);
}

void retain_recommendations_free(retain_recommendations *r)
{
    rt_object_free(r);
}

int rt_recommend_json(retain_engine *e, int64_t customer, int n, char **out)
{
    *out = NULL;
    retain_recommendations *r = NULL;
    int rc = recommend(e, customer, (size_t)n, &r);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_putc(&b, '[');
    for (size_t i = 0; i < r->count; i++) {
        const retain_recommendation *it = &r->items[i];
        rt_buf_puts(&b, i ? ",{\"sku\":" : "{\"sku\":");
        rt_buf_json_str(&b, it->sku);
        rt_buf_puts(&b, ",\"title\":");
        if (it->title)
            rt_buf_json_str(&b, it->title);
        else
            rt_buf_puts(&b, "null");
        if (it->price >= 0)
            rt_buf_printf(&b, ",\"price\":%lld,\"currency\":", (long long)it->price);
        else
            rt_buf_puts(&b, ",\"price\":null,\"currency\":");
        if (it->currency)
            rt_buf_json_str(&b, it->currency);
        else
            rt_buf_puts(&b, "null");
        rt_buf_printf(&b, ",\"score\":%.6f}", it->score);
    }
    rt_buf_putc(&b, ']');
    retain_recommendations_free(r);
    return rt_buf_finish(&b, out) ? rt_nomem(e) : RETAIN_OK;
}

/*
 * recommend.c - complementary products: the build (co-purchase counts to
 * stored neighbour lists), the per-customer query, and the payload list the
 * recommend step leaves for later sends.
 */
#include "domain.h"
#include "cooc.h"
#include "reco_cache.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/check.h"
#include "store/domain_store.h"
#include "store/metrics_store.h"
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
    /* A new generation tells every engine's cache to reload. */
    int64_t gen = 0;
    bool found;
    if (rc == RETAIN_OK)
        rc = ds_reco_meta_get(e, "generation", &gen, &found);
    if (rc == RETAIN_OK)
        rc = ds_reco_meta_set(e, "generation", gen + 1);
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

typedef struct pick {
    uint32_t id;
    double score;
    uint64_t support;
} pick;

static int mark_owned(void *ctx, const char *sku)
{
    rt_reco_cache *c = ctx;
    uint32_t id = rt_cooc_find(&c->names, sku);
    /* SKUs without neighbours can never come back anyway. */
    if (id != UINT32_MAX && !c->owned[id]) {
        c->owned[id] = 1;
        c->owned_ids[c->nowned++] = id;
    }
    return RETAIN_OK;
}

/* Is a better than b: higher score, then the SKU first in name order. */
static bool better(const rt_reco_cache *c, uint32_t a, uint32_t b)
{
    if (c->acc[a] != c->acc[b])
        return c->acc[a] > c->acc[b];
    return c->rank[a] < c->rank[b];
}

/* The best `n` SKUs for customer row `customer` into picks (*m of them). */
static int rank(retain_engine *e, int64_t customer, size_t n, pick *picks, size_t *m)
{
    *m = 0;
    rt_reco_cache *c;
    int rc = rt_reco_cache_get(e, &c);
    if (rc || (rc = ds_owned_each(e, customer, mark_owned, c)))
        goto reset;
#if defined(__GNUC__)
    /* The lists are far apart in memory: ask for all their first lines at
     * once rather than waiting for each in turn. */
    for (size_t i = 0; i < c->nowned; i++) {
        const rt_reco_nb *nb = c->nb + c->begin[c->owned_ids[i]];
        __builtin_prefetch(nb);
        __builtin_prefetch(nb + 4);
    }
#endif
    for (size_t i = 0; i < c->nowned; i++) {
        uint32_t a = c->owned_ids[i];
        for (const rt_reco_nb *nb = c->nb + c->begin[a], *stop = c->nb + c->end[a]; nb < stop;
             nb++) {
            uint32_t b = nb->other;
            if (c->owned[b])
                continue;
            if (c->acc_support[b] == 0)
                c->touched[c->ntouched++] = b;
            c->acc[b] += nb->score;
            c->acc_support[b] += nb->support;
        }
    }
    /* Insertion into the top n: n is small. */
    for (size_t i = 0; i < c->ntouched; i++) {
        uint32_t b = c->touched[i];
        size_t k = *m;
        if (k == n && !better(c, b, picks[n - 1].id))
            continue;
        if (k < n)
            (*m)++;
        else
            k = n - 1;
        while (k > 0 && better(c, b, picks[k - 1].id)) {
            picks[k] = picks[k - 1];
            k--;
        }
        picks[k] = (pick){ b, c->acc[b], c->acc_support[b] };
    }
reset:
    if (c) {
        for (size_t i = 0; i < c->ntouched; i++) {
            c->acc[c->touched[i]] = 0;
            c->acc_support[c->touched[i]] = 0;
        }
        c->ntouched = 0;
        for (size_t i = 0; i < c->nowned; i++)
            c->owned[c->owned_ids[i]] = 0;
        c->nowned = 0;
    }
    return rc;
}

static int fill(retain_engine *e, uint32_t id, const pick *p, rt_arena *ar,
                retain_recommendation *r)
{
    const rt_reco_product *pr;
    int rc = rt_reco_product_of(e, e->reco, id, &pr);
    if (rc)
        return rc;
    bool ok = true;
    r->sku = rt_arena_str(ar, e->reco->names.names[id], &ok);
    r->title = pr->title ? rt_arena_str(ar, pr->title, &ok) : NULL;
    r->price = pr->price;
    r->currency = pr->currency[0] ? rt_arena_str(ar, pr->currency, &ok) : NULL;
    r->score = p->score;
    r->support = (int64_t)p->support;
    return ok ? RETAIN_OK : rt_nomem(e);
}

static int recommend(retain_engine *e, int64_t customer, size_t n, retain_recommendations **out)
{
    retain_recommendations *res = rt_object_new(&e->alloc, sizeof *res);
    if (!res)
        return rt_nomem(e);
    rt_arena *ar = rt_object_arena(res);
    pick picks[MAX_N] = { { 0 } }; /* rank() fills the first m */
    size_t m = 0;
    int rc = rank(e, customer, n, picks, &m);
    retain_recommendation *items = NULL;
    if (rc == RETAIN_OK && m && !(items = rt_arena_alloc(ar, m * sizeof *items)))
        rc = rt_nomem(e);
    /* The cache is current after rank(): its names are the SKUs. */
    for (size_t i = 0; i < m && rc == RETAIN_OK; i++)
        rc = fill(e, picks[i].id, &picks[i], ar, &items[i]);
    if (rc) {
        rt_object_free(res);
        return rc;
    }
    res->count = m;
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
    /* One read transaction for the three statements: each would otherwise
     * take and drop the file's shared lock on its own. */
    bool began;
    if ((rc = rt_ms_read_begin(e, &began)))
        return rc;
    int64_t key;
    rc = rt_customer_key(e, customer_id, &key);
    if (rc == RETAIN_OK)
        rc = recommend(e, key, n, out);
    if ((rc = rt_ms_read_end(e, began, rc)) && *out) {
        retain_recommendations_free(*out);
        *out = NULL;
    }
    return rc;
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

/*
 * reco_cache.c - the neighbour lists in memory: one read of reco_neighbor
 * after each build, so that a query is a few array walks instead of one SQL
 * statement per SKU the customer owns.
 */
#include "reco_cache.h"
#include "domain.h"
#include "store/domain_store.h"

#include <string.h>

static void clear(retain_engine *e, rt_reco_cache *c)
{
    rt_free(&e->alloc, c->begin);
    rt_free(&e->alloc, c->end);
    rt_free(&e->alloc, c->nb);
    rt_free(&e->alloc, c->rank);
    rt_free(&e->alloc, c->acc);
    rt_free(&e->alloc, c->acc_support);
    rt_free(&e->alloc, c->owned);
    rt_free(&e->alloc, c->touched);
    rt_free(&e->alloc, c->owned_ids);
    for (uint32_t i = 0; c->product && i < c->names.nnames; i++)
        rt_free(&e->alloc, c->product[i].title);
    rt_free(&e->alloc, c->product);
    rt_cooc_free(&c->names);
    memset(c, 0, sizeof *c);
}

void rt_reco_free(retain_engine *e)
{
    if (!e->reco)
        return;
    clear(e, e->reco);
    rt_free(&e->alloc, e->reco);
    e->reco = NULL;
}

typedef struct loading {
    retain_engine *e;
    rt_reco_cache *c;
    uint32_t cur;
} loading;

static bool fit_ids(retain_engine *e, rt_reco_cache *c, uint32_t need)
{
    if (need <= c->ids)
        return true;
    uint32_t cap = c->ids ? c->ids : 256;
    while (cap < need)
        cap *= 2;
    uint64_t *b = rt_realloc(&e->alloc, c->begin, cap * sizeof *b);
    if (b)
        c->begin = b;
    uint64_t *en = rt_realloc(&e->alloc, c->end, cap * sizeof *en);
    if (en)
        c->end = en;
    if (!b || !en)
        return false;
    for (uint32_t i = c->ids; i < cap; i++)
        c->begin[i] = c->end[i] = 0;
    c->ids = cap;
    return true;
}

static int add_row(void *ctx, const char *sku, const char *other, double score, int64_t support)
{
    loading *L = ctx;
    rt_reco_cache *c = L->c;
    uint32_t a = rt_cooc_intern(&c->names, sku), b = rt_cooc_intern(&c->names, other);
    if (a == UINT32_MAX || b == UINT32_MAX || !fit_ids(L->e, c, c->names.nnames))
        return rt_nomem(L->e);
    if (c->n == c->cap) {
        uint64_t cap = c->cap ? c->cap * 2 : 4096;
        rt_reco_nb *nb = rt_realloc(&L->e->alloc, c->nb, cap * sizeof *nb);
        if (!nb)
            return rt_nomem(L->e);
        c->nb = nb;
        c->cap = cap;
    }
    /* Rows come grouped by SKU, so each SKU's neighbours are contiguous. */
    if (c->begin[a] == c->end[a])
        c->begin[a] = c->end[a] = c->n;
    c->nb[c->n] = (rt_reco_nb){ b, (uint32_t)support, score };
    c->n++;
    c->end[a] = c->n;
    return RETAIN_OK;
}

static int load(retain_engine *e, rt_reco_cache *c, int64_t generation, int64_t products)
{
    clear(e, c);
    rt_cooc_init(&c->names, &e->alloc);
    loading L = { e, c, 0 };
    int rc = ds_neighbors_all(e, add_row, &L);
    uint32_t n = c->names.nnames ? c->names.nnames : 1;
    if (rc == RETAIN_OK) {
        c->rank = rt_cooc_name_ranks(&c->names);
        c->acc = rt_calloc(&e->alloc, n, sizeof *c->acc);
        c->acc_support = rt_calloc(&e->alloc, n, sizeof *c->acc_support);
        c->owned = rt_calloc(&e->alloc, n, 1);
        c->touched = rt_calloc(&e->alloc, n, sizeof *c->touched);
        c->owned_ids = rt_calloc(&e->alloc, n, sizeof *c->owned_ids);
        c->product = rt_calloc(&e->alloc, n, sizeof *c->product);
        if (!fit_ids(e, c, n) || !c->rank || !c->acc || !c->acc_support || !c->owned ||
            !c->touched || !c->owned_ids || !c->product)
            rc = rt_nomem(e);
        for (uint32_t i = 0; rc == RETAIN_OK && i < n; i++)
            c->product[i].products = -1;
    }
    if (rc) {
        clear(e, c);
        return rc;
    }
    c->generation = generation;
    c->products = products;
    c->loaded = true;
    return RETAIN_OK;
}

int rt_reco_cache_get(retain_engine *e, rt_reco_cache **out)
{
    *out = NULL;
    if (!e->reco && !(e->reco = rt_calloc(&e->alloc, 1, sizeof *e->reco)))
        return rt_nomem(e);
    int64_t gen = 0, products = 0;
    int rc = ds_reco_generations(e, &gen, &products);
    if (rc)
        return rc;
    if (!e->reco->loaded || e->reco->generation != gen) {
        if ((rc = load(e, e->reco, gen, products)))
            return rc;
    }
    e->reco->products = products;
    *out = e->reco;
    return RETAIN_OK;
}

int rt_reco_product_of(retain_engine *e, rt_reco_cache *c, uint32_t id,
                       const rt_reco_product **out)
{
    rt_reco_product *p = &c->product[id];
    *out = p;
    if (p->products == c->products)
        return RETAIN_OK;
    char title[4097], cur[8];
    int64_t price = -1;
    bool found;
    int rc = ds_product_get(e, c->names.names[id], title, sizeof title, &price, cur, sizeof cur,
                            &found);
    if (rc)
        return rc;
    rt_free(&e->alloc, p->title);
    p->title = NULL;
    if (title[0] && !(p->title = rt_strdup(&e->alloc, title))) {
        p->products = -1;
        return rt_nomem(e);
    }
    p->price = price;
    rt_copy(p->currency, sizeof p->currency, price >= 0 ? cur : "");
    p->products = c->products;
    return RETAIN_OK;
}

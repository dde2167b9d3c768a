/*
 * reco_cache.h (internal) - the stored neighbour lists held in memory per
 * engine, reloaded when a build (by any engine on the database) bumps the
 * generation, plus the scratch a query sums scores in.
 */
#ifndef RT_RECO_CACHE_H
#define RT_RECO_CACHE_H

#include "cooc.h"

/* Title and price of a SKU as last read; valid while `products` matches. */
typedef struct rt_reco_product {
    int64_t products; /* product generation it was read at; -1: never */
    char *title;      /* NULL: none */
    int64_t price;    /* -1: unknown */
    char currency[4];
} rt_reco_product;

/* One stored neighbour of a SKU. */
typedef struct rt_reco_nb {
    uint32_t other, support;
    double score;
} rt_reco_nb;

typedef struct rt_reco_cache {
    int64_t generation, products;
    bool loaded;
    rt_cooc names;           /* interning only: SKU <-> dense id */
    uint64_t *begin, *end;   /* each id's neighbours: [begin, end) of nb */
    rt_reco_nb *nb;          /* one array: a query reads each list in one stream */
    uint64_t n, cap;
    uint32_t *rank;          /* place of each id in name order, for ties */
    uint32_t ids;            /* ids the per-id arrays hold */
    /* query scratch, all zero between queries */
    double *acc;
    uint64_t *acc_support;
    uint8_t *owned;
    uint32_t *touched;
    size_t ntouched;
    uint32_t *owned_ids;
    size_t nowned;
    rt_reco_product *product; /* per id */
} rt_reco_cache;

/* The engine's cache, up to date with the database. */
int rt_reco_cache_get(retain_engine *e, rt_reco_cache **out);
/* Title and price of SKU `id`, read from the store when not known at the
 * current product generation. Titles and prices that come from order lines
 * (no product row) are as of the last build or product change. */
int rt_reco_product_of(retain_engine *e, rt_reco_cache *c, uint32_t id,
                       const rt_reco_product **out);

#endif

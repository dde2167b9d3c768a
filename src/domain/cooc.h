/*
 * cooc.h (internal) - counting co-purchases in memory: SKU strings interned
 * to dense ids, item counts, and pair counts in an open-addressing table.
 * Pure C, no SQL: recommend.c feeds it baskets from the store.
 */
#ifndef RT_COOC_H
#define RT_COOC_H

#include "core/engine.h"

typedef struct rt_cooc {
    const retain_allocator *alloc;
    /* interned SKUs */
    char **names;
    uint32_t nnames, capnames;
    uint32_t *slots;     /* hash of names: id + 1, 0 empty */
    uint32_t nslots;
    uint32_t *count;     /* orders containing each SKU */
    /* pairs (a < b) packed as a << 32 | b, with their counts */
    uint64_t *keys;
    uint32_t *pcount;
    uint64_t npairs, pslots;
    int64_t baskets;
    bool failed;
} rt_cooc;

void rt_cooc_init(rt_cooc *c, const retain_allocator *a);
void rt_cooc_free(rt_cooc *c);
/* The id of a SKU, added when new (UINT32_MAX: out of memory). */
uint32_t rt_cooc_intern(rt_cooc *c, const char *sku);
/* The id of a SKU, or UINT32_MAX when it was never interned. */
uint32_t rt_cooc_find(const rt_cooc *c, const char *sku);
/* Each id's place in name order (n = c->nnames) in a new array (rt_free). */
uint32_t *rt_cooc_name_ranks(const rt_cooc *c);

/* Count one basket (SKUs may repeat). False on out of memory. */
bool rt_cooc_add(rt_cooc *c, const char *const *skus, int n);

/* A scored neighbour, for the ranking. */
typedef struct rt_cooc_edge {
    uint32_t a, b, support;
    uint32_t b_rank; /* b's place in name order, for ties */
    double score;
} rt_cooc_edge;

/* Every pair with support >= min_support in both directions, sorted by a,
 * then best score, then b's name; *n edges in a new array (rt_free). */
bool rt_cooc_edges(rt_cooc *c, uint32_t min_support, rt_cooc_edge **out, uint64_t *n);

#endif

/*
 * cooc.c - in-memory co-occurrence counting for recommendations. Sized for
 * millions of orders: interning is one hash probe per SKU, a pair is one
 * probe in a table of 64-bit keys, and ranking is one sort of the edges.
 */
#include "cooc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rt_cooc_init(rt_cooc *c, const retain_allocator *a)
{
    memset(c, 0, sizeof *c);
    c->alloc = a;
}

void rt_cooc_free(rt_cooc *c)
{
    for (uint32_t i = 0; i < c->nnames; i++)
        rt_free(c->alloc, c->names[i]);
    rt_free(c->alloc, c->names);
    rt_free(c->alloc, c->slots);
    rt_free(c->alloc, c->count);
    rt_free(c->alloc, c->keys);
    rt_free(c->alloc, c->pcount);
    memset(c, 0, sizeof *c);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static uint64_t hash_key(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static bool grow_names(rt_cooc *c)
{
    uint32_t ns = c->nslots ? c->nslots * 2 : 1024;
    uint32_t *slots = rt_calloc(c->alloc, ns, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < c->nnames; i++) {
        uint32_t h = (uint32_t)hash_str(c->names[i]) & (ns - 1);
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = i + 1;
    }
    rt_free(c->alloc, c->slots);
    c->slots = slots;
    c->nslots = ns;
    return true;
}

/* The id of `s`, or UINT32_MAX with *slot where it would go. */
static uint32_t probe(const rt_cooc *c, const char *s, uint32_t *slot)
{
    uint32_t h = (uint32_t)hash_str(s) & (c->nslots - 1);
    while (c->slots[h]) {
        uint32_t id = c->slots[h] - 1;
        if (!strcmp(c->names[id], s))
            return id;
        h = (h + 1) & (c->nslots - 1);
    }
    *slot = h;
    return UINT32_MAX;
}

uint32_t rt_cooc_find(const rt_cooc *c, const char *s)
{
    uint32_t slot;
    return c->nslots ? probe(c, s, &slot) : UINT32_MAX;
}

uint32_t rt_cooc_intern(rt_cooc *c, const char *s)
{
    if ((c->nnames + 1) * 2 > c->nslots && !grow_names(c))
        return UINT32_MAX;
    uint32_t h = 0, found = probe(c, s, &h);
    if (found != UINT32_MAX)
        return found;
    if (c->nnames == c->capnames) {
        uint32_t cap = c->capnames ? c->capnames * 2 : 256;
        char **names = rt_realloc(c->alloc, c->names, cap * sizeof *names);
        uint32_t *count = rt_realloc(c->alloc, c->count, cap * sizeof *count);
        if (names)
            c->names = names;
        if (count)
            c->count = count;
        if (!names || !count)
            return UINT32_MAX;
        c->capnames = cap;
    }
    char *d = rt_strdup(c->alloc, s);
    if (!d)
        return UINT32_MAX;
    uint32_t id = c->nnames++;
    c->names[id] = d;
    c->count[id] = 0;
    c->slots[h] = id + 1;
    return id;
}

static bool grow_pairs(rt_cooc *c)
{
    uint64_t ns = c->pslots ? c->pslots * 2 : 1 << 16;
    uint64_t *keys = rt_calloc(c->alloc, ns, sizeof *keys);
    uint32_t *cnt = rt_calloc(c->alloc, ns, sizeof *cnt);
    if (!keys || !cnt) {
        rt_free(c->alloc, keys);
        rt_free(c->alloc, cnt);
        return false;
    }
    for (uint64_t i = 0; i < c->pslots; i++) {
        if (!c->pcount[i])
            continue;
        uint64_t h = hash_key(c->keys[i]) & (ns - 1);
        while (cnt[h])
            h = (h + 1) & (ns - 1);
        keys[h] = c->keys[i];
        cnt[h] = c->pcount[i];
    }
    rt_free(c->alloc, c->keys);
    rt_free(c->alloc, c->pcount);
    c->keys = keys;
    c->pcount = cnt;
    c->pslots = ns;
    return true;
}

static bool add_pair(rt_cooc *c, uint32_t a, uint32_t b)
{
    if ((c->npairs + 1) * 2 > c->pslots && !grow_pairs(c))
        return false;
    uint64_t k = (uint64_t)a << 32 | b;
    uint64_t h = hash_key(k) & (c->pslots - 1);
    while (c->pcount[h] && c->keys[h] != k)
        h = (h + 1) & (c->pslots - 1);
    if (!c->pcount[h]) {
        c->keys[h] = k;
        c->npairs++;
    }
    c->pcount[h]++;
    return true;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

bool rt_cooc_add(rt_cooc *c, const char *const *skus, int n)
{
    uint32_t ids[256];
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++)
        if ((ids[i] = rt_cooc_intern(c, skus[i])) == UINT32_MAX)
            return !(c->failed = true);
    qsort(ids, (size_t)n, sizeof ids[0], cmp_u32);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!m || ids[m - 1] != ids[i])
            ids[m++] = ids[i];
    c->baskets++;
    for (int i = 0; i < m; i++) {
        c->count[ids[i]]++;
        for (int j = i + 1; j < m; j++)
            if (!add_pair(c, ids[i], ids[j]))
                return !(c->failed = true);
    }
    return true;
}

/* qsort has no context argument, and engines may run in several threads:
 * everything a comparison needs is in the element. */
static int cmp_edge(const void *x, const void *y)
{
    const rt_cooc_edge *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->score != q->score)
        return p->score > q->score ? -1 : 1;
    return p->b_rank < q->b_rank ? -1 : p->b_rank > q->b_rank;
}

typedef struct named {
    const char *name;
    uint32_t id;
} named;

static int cmp_name(const void *x, const void *y)
{
    return strcmp(((const named *)x)->name, ((const named *)y)->name);
}

uint32_t *rt_cooc_name_ranks(const rt_cooc *c)
{
    named *order = rt_calloc(c->alloc, c->nnames ? c->nnames : 1, sizeof *order);
    uint32_t *rank = rt_calloc(c->alloc, c->nnames ? c->nnames : 1, sizeof *rank);
    if (!order || !rank) {
        rt_free(c->alloc, order);
        rt_free(c->alloc, rank);
        return NULL;
    }
    for (uint32_t i = 0; i < c->nnames; i++)
        order[i] = (named){ c->names[i], i };
    qsort(order, c->nnames, sizeof *order, cmp_name);
    for (uint32_t i = 0; i < c->nnames; i++)
        rank[order[i].id] = i;
    rt_free(c->alloc, order);
    return rank;
}

bool rt_cooc_edges(rt_cooc *c, uint32_t min_support, rt_cooc_edge **out, uint64_t *n)
{
    *out = NULL;
    *n = 0;
    uint64_t m = 0;
    for (uint64_t i = 0; i < c->pslots; i++)
        m += c->pcount[i] >= min_support && c->pcount[i] > 0;
    uint32_t *rank = rt_cooc_name_ranks(c);
    rt_cooc_edge *e = rt_calloc(c->alloc, m ? 2 * m : 1, sizeof *e);
    if (!rank || !e) {
        rt_free(c->alloc, rank);
        rt_free(c->alloc, e);
        return false;
    }
    /* Edges bucketed by their first SKU (a counting sort), then each
     * bucket sorted on its own: much cheaper than one sort of them all. */
    uint64_t *at = rt_calloc(c->alloc, (size_t)c->nnames + 1, sizeof *at);
    if (!at) {
        rt_free(c->alloc, rank);
        rt_free(c->alloc, e);
        return false;
    }
    for (uint64_t i = 0; i < c->pslots; i++) {
        if (!c->pcount[i] || c->pcount[i] < min_support)
            continue;
        at[(uint32_t)(c->keys[i] >> 32) + 1]++;
        at[(uint32_t)c->keys[i] + 1]++;
    }
    for (uint32_t i = 0; i < c->nnames; i++)
        at[i + 1] += at[i];
    uint64_t k = at[c->nnames];
    for (uint64_t i = 0; i < c->pslots; i++) {
        uint32_t s = c->pcount[i];
        if (!s || s < min_support)
            continue;
        uint32_t a = (uint32_t)(c->keys[i] >> 32), b = (uint32_t)c->keys[i];
        double score = s / sqrt((double)c->count[a] * (double)c->count[b]);
        e[at[a]++] = (rt_cooc_edge){ a, b, s, rank[b], score };
        e[at[b]++] = (rt_cooc_edge){ b, a, s, rank[a], score };
    }
    /* at[i] now ends bucket i. */
    for (uint32_t i = 0; i < c->nnames; i++) {
        uint64_t from = i ? at[i - 1] : 0;
        qsort(e + from, at[i] - from, sizeof *e, cmp_edge);
    }
    rt_free(c->alloc, at);
    rt_free(c->alloc, rank);
    *out = e;
    *n = k;
    return true;
}

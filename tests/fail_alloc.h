/*
 * fail_alloc.h - an allocator for out-of-memory tests: it counts the blocks
 * alive and fails allocation number `fail_at` (0: never), so a test can
 * fail the 1st, 2nd, 3rd ... allocation of a call until the call succeeds.
 */
#ifndef RT_TEST_FAIL_ALLOC_H
#define RT_TEST_FAIL_ALLOC_H

#include <retain.h>
#include <stdlib.h>

typedef struct counting {
    long calls;    /* allocations so far */
    long fail_at;  /* fail the allocation with this number; 0: never */
    long live;     /* blocks allocated and not freed */
} counting;

static void *c_malloc(void *ctx, size_t n)
{
    counting *c = ctx;
    if (c->fail_at && ++c->calls == c->fail_at)
        return NULL;
    void *p = malloc(n);
    c->live += p != NULL;
    return p;
}

static void *c_realloc(void *ctx, void *p, size_t n)
{
    counting *c = ctx;
    if (c->fail_at && ++c->calls == c->fail_at)
        return NULL;
    void *q = realloc(p, n);
    c->live += q != NULL && p == NULL;
    return q;
}

static void c_free(void *ctx, void *p)
{
    counting *c = ctx;
    c->live -= p != NULL;
    free(p);
}

/* Engine options whose allocator counts into *c. */
static inline retain_options t_counting_options(counting *c)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.allocator.malloc = c_malloc;
    o.allocator.realloc = c_realloc;
    o.allocator.free = c_free;
    o.allocator.ctx = c;
    return o;
}

#endif

/* alloc.c - allocator indirection; see alloc.h. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *libc_realloc(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n); }
static void libc_free(void *ctx, void *p) { (void)ctx; free(p); }

void rt_allocator_resolve(retain_allocator *dst, const retain_allocator *src)
{
    /* A host allocator is taken only whole: mixing its malloc with libc's
     * free would corrupt memory. */
    if (src && src->malloc && src->realloc && src->free) {
        *dst = *src;
    } else {
        dst->malloc = libc_malloc;
        dst->realloc = libc_realloc;
        dst->free = libc_free;
        dst->ctx = NULL;
    }
}

void *rt_malloc(const retain_allocator *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (!a || !a->malloc)
        return malloc(n);
    return a->malloc(a->ctx, n);
}

void *rt_calloc(const retain_allocator *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    void *p = rt_malloc(a, n);
    if (!p)
        return NULL;
    memset(p, 0, n);
    return p;
}

void *rt_realloc(const retain_allocator *a, void *p, size_t n)
{
    if (n == 0)
        n = 1;
    if (!a || !a->realloc)
        return realloc(p, n);
    return a->realloc(a->ctx, p, n);
}

void rt_free(const retain_allocator *a, void *p)
{
    if (!p)
        return;
    if (!a || !a->free)
        free(p);
    else
        a->free(a->ctx, p);
}

void *rt_grow(const retain_allocator *a, void *items, int *cap, int count, int first, size_t size)
{
    if (count < *cap)
        return items;
    int ncap = *cap ? *cap * 2 : first;
    void *v = rt_calloc(a, (size_t)ncap, size);
    if (!v)
        return NULL;
    if (items)
        memcpy(v, items, (size_t)count * size);
    rt_free(a, items);
    *cap = ncap;
    return v;
}

char *rt_strndup(const retain_allocator *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = rt_malloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *rt_strdup(const retain_allocator *a, const char *s)
{
    return s ? rt_strndup(a, s, strlen(s)) : NULL;
}

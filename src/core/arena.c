/* arena.c - one-handle objects; see arena.h. */
#include "arena.h"
#include "alloc.h"

#include <stdalign.h>
#include <stddef.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct rt_arena {
    retain_allocator alloc;
    chunk *head;
};

#define HEADER_SIZE ((sizeof(rt_arena) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

void *rt_object_new(const retain_allocator *a, size_t size)
{
    if (size > SIZE_MAX - HEADER_SIZE)
        return NULL;
    unsigned char *block = rt_malloc(a, HEADER_SIZE + size);
    if (!block)
        return NULL;
    rt_arena *ar = (rt_arena *)block;
    ar->alloc = *a;
    ar->head = NULL;
    memset(block + HEADER_SIZE, 0, size);
    return block + HEADER_SIZE;
}

rt_arena *rt_object_arena(void *obj)
{
    return (rt_arena *)((unsigned char *)obj - HEADER_SIZE);
}

void rt_object_free(void *obj)
{
    if (!obj)
        return;
    rt_arena *ar = rt_object_arena(obj);
    retain_allocator a = ar->alloc;
    for (chunk *c = ar->head, *next; c; c = next) {
        next = c->next;
        rt_free(&a, c);
    }
    rt_free(&a, ar);
}

void *rt_arena_alloc(rt_arena *ar, size_t size)
{
    size_t al = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + al - 1) & ~(al - 1);
    if (size == 0)
        size = al;
    chunk *c = ar->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > 4000 ? size : 4000;
        c = rt_malloc(&ar->alloc, sizeof(chunk) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = ar->head;
        ar->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *rt_arena_strdup(rt_arena *ar, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = rt_arena_alloc(ar, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

const char *rt_arena_str(rt_arena *ar, const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = rt_arena_strdup(ar, s);
    if (!d)
        *ok = false;
    return d;
}

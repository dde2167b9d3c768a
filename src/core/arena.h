/*
 * arena.h - objects returned to the caller as one handle: a public struct
 * followed in memory by everything it points to, released with one call.
 * The struct sits right after a hidden arena header, so the matching _free
 * function finds the allocator without the engine (which may be closed).
 */
#ifndef RT_ARENA_H
#define RT_ARENA_H

#include "retain/common.h"
#include <stdbool.h>

typedef struct rt_arena rt_arena;

/* Allocate an object of `size` bytes (zeroed) inside a new arena. */
void *rt_object_new(const retain_allocator *a, size_t size);
/* The arena that owns an object from rt_object_new(). */
rt_arena *rt_object_arena(void *obj);
/* Free the object and everything allocated in its arena. NULL is a no-op. */
void rt_object_free(void *obj);

void *rt_arena_alloc(rt_arena *ar, size_t size);          /* aligned, zeroed; NULL on OOM */
char *rt_arena_strdup(rt_arena *ar, const char *s);       /* NULL -> NULL (not an error) */
/* Like rt_arena_strdup but records failure in *ok (for chains of copies). */
const char *rt_arena_str(rt_arena *ar, const char *s, bool *ok);

#endif

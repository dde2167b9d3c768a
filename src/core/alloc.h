/*
 * alloc.h - the one door to memory. Every allocation of the library goes
 * through a retain_allocator; a NULL allocator or NULL members mean libc.
 */
#ifndef RT_ALLOC_H
#define RT_ALLOC_H

#include "retain/common.h"

void *rt_malloc(const retain_allocator *a, size_t n);
void *rt_calloc(const retain_allocator *a, size_t count, size_t size); /* overflow-checked */
void *rt_realloc(const retain_allocator *a, void *p, size_t n);
void rt_free(const retain_allocator *a, void *p);
char *rt_strdup(const retain_allocator *a, const char *s);           /* NULL -> NULL */
char *rt_strndup(const retain_allocator *a, const char *s, size_t n);

/* Room for one more element in `items`, an array of *cap elements of
 * `size` bytes holding `count`: the same array when it has room, else a
 * copy twice as large (`first` elements at first) and `items` is freed.
 * NULL on out of memory, with `items` and *cap unchanged. */
void *rt_grow(const retain_allocator *a, void *items, int *cap, int count, int first, size_t size);

/* Copy `src` into `dst` filling defaults: a NULL or partial allocator becomes libc. */
void rt_allocator_resolve(retain_allocator *dst, const retain_allocator *src);

#endif

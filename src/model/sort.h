/*
 * sort.h - sorting without libc's qsort (which may allocate behind the
 * host's allocator): a stable merge sort and a stable LSD radix sort of
 * 64-bit keys with a payload.
 */
#ifndef RT_MODEL_SORT_H
#define RT_MODEL_SORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "retain/common.h"

/* Stable merge sort of n elements of `size` bytes; the scratch buffer comes
 * from a (none for n <= 16). Returns 0, or -1 when out of memory. */
int rt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
            const retain_allocator *a);

typedef struct rt_kv {
    uint64_t key;
    uint64_t val;
} rt_kv;

/* Stable sort by key (16-bit digits; digits every key shares are skipped). */
int rt_radix_sort_kv(rt_kv *v, size_t n, const retain_allocator *a);

/* The order-preserving key of a double >= 0 (+0 and -0 alike). */
static inline uint64_t rt_double_key(double v)
{
    uint64_t u;
    v += 0.0;
    memcpy(&u, &v, sizeof u);
    return u;
}

#endif

/* sort.c - merge and radix sorts through the library allocator; see sort.h. */
#include "sort.h"

#include <string.h>

#include "core/alloc.h"

static void insertion(unsigned char *b, size_t n, size_t size,
                      int (*cmp)(const void *, const void *), unsigned char *tmp)
{
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        memcpy(tmp, b + i * size, size);
        while (j > 0 && cmp(b + (j - 1) * size, tmp) > 0) {
            memcpy(b + j * size, b + (j - 1) * size, size);
            j--;
        }
        memcpy(b + j * size, tmp, size);
    }
}

int rt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
            const retain_allocator *a)
{
    unsigned char *b = base;
    if (n < 2)
        return 0;
    if (n <= 16) {
        unsigned char one[64];
        if (size <= sizeof one) {
            insertion(b, n, size, cmp, one);
            return 0;
        }
    }
    unsigned char *tmp = rt_malloc(a, n * size);
    if (!tmp)
        return -1;
    /* runs of 16 by insertion, then bottom-up merges */
    const size_t RUN = 16;
    for (size_t lo = 0; lo < n; lo += RUN)
        insertion(b + lo * size, n - lo < RUN ? n - lo : RUN, size, cmp, tmp);
    unsigned char *src = b, *dst = tmp;
    for (size_t w = RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (cmp(src + j * size, src + i * size) < 0)
                    memcpy(dst + (k++) * size, src + (j++) * size, size);
                else
                    memcpy(dst + (k++) * size, src + (i++) * size, size);
            }
            memcpy(dst + k * size, src + i * size, (mid - i) * size);
            k += mid - i;
            memcpy(dst + k * size, src + j * size, (hi - j) * size);
        }
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    if (src != b)
        memcpy(b, src, n * size);
    rt_free(a, tmp);
    return 0;
}

static int kv_cmp(const void *pa, const void *pb)
{
    uint64_t a = ((const rt_kv *)pa)->key, b = ((const rt_kv *)pb)->key;
    return a < b ? -1 : a > b;
}

int rt_radix_sort_kv(rt_kv *v, size_t n, const retain_allocator *a)
{
    if (n < 2)
        return 0;
    if (n < 8192) /* the 2 MB of digit counts would cost more than they save */
        return rt_sort(v, n, sizeof *v, kv_cmp, a);
    size_t *count = rt_calloc(a, 4 * 65536, sizeof *count);
    rt_kv *tmp = rt_malloc(a, n * sizeof *tmp);
    if (!count || !tmp) {
        rt_free(a, count);
        rt_free(a, tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 4; d++)
            count[d * 65536 + ((v[i].key >> (16 * d)) & 0xffff)]++;
    rt_kv *src = v, *dst = tmp;
    for (int d = 0; d < 4; d++) {
        size_t *c = count + d * 65536;
        if (c[(v[0].key >> (16 * d)) & 0xffff] == n)
            continue;
        size_t sum = 0;
        for (size_t k = 0; k < 65536; k++) {
            size_t m = c[k];
            c[k] = sum;
            sum += m;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i].key >> (16 * d)) & 0xffff]++] = src[i];
        rt_kv *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    rt_free(a, count);
    rt_free(a, tmp);
    return 0;
}

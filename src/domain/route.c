/* route.c - choosing the agent for a task: exploit the best observed
 * conversion, explore a small deterministic share. */
#include "route.h"
#include "tz/tz.h"

/* splitmix64: a well-mixed 64-bit hash of the task id, so the exploration
 * draw is the same on every run and machine. */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* a beats b? Compared as fractions so no rounding decides a tie. */
static bool better(const rt_route_cand *a, const rt_route_cand *b)
{
    /* (ca+1)/(na+2) vs (cb+1)/(nb+2), cross-multiplied in 128 bits. */
    __int128 l = (__int128)(a->converted + 1) * (b->completed + 2);
    __int128 r = (__int128)(b->converted + 1) * (a->completed + 2);
    if (l != r)
        return l > r;
    if (a->held != b->held)
        return a->held < b->held;
    return a->agent < b->agent;
}

ptrdiff_t rt_route_pick(const rt_route_cand *c, size_t n, int64_t task_id, double explore,
                        bool *explored)
{
    *explored = false;
    if (n == 0)
        return -1;
    uint64_t h = mix((uint64_t)task_id);
    double u = (double)(h >> 11) / 9007199254740992.0;   /* [0, 1) from 53 bits */
    if (n > 1 && u < explore) {
        *explored = true;
        return (ptrdiff_t)(mix(h) % n);
    }
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (better(&c[i], &c[best]))
            best = i;
    return (ptrdiff_t)best;
}

bool rt_route_on_shift(int64_t local_ms, int start, int end, unsigned mask)
{
    int64_t day = rt_floor_div(local_ms, 86400000);
    int minute = (int)((local_ms - day * 86400000) / 60000);
    if (mask && !(mask & (1u << rt_weekday_from_days(day))))
        return false;
    if (start == end)
        return true;
    if (start < end)
        return minute >= start && minute < end;
    return minute >= start || minute < end;   /* a night shift across midnight */
}

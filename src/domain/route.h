/*
 * route.h (internal) - which agent gets a task: the choice itself, apart
 * from the SQL that gathers the candidates (src/store/task_store.c).
 */
#ifndef RT_DOMAIN_ROUTE_H
#define RT_DOMAIN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An eligible agent: skilled, on shift, below the open-task limit. */
typedef struct rt_route_cand {
    int64_t agent;       /* row id */
    int64_t completed;   /* tasks of this kind completed */
    int64_t converted;   /* ... of which converted */
    int64_t held;        /* tasks assigned now */
} rt_route_cand;

/* The index of the agent that gets task `task_id`, or -1 when n is 0. With
 * probability `explore` (drawn deterministically from the task id) a
 * uniformly drawn candidate, flagged in *explored; else the best posterior
 * conversion (converted + 1) / (completed + 2), then fewer held, then the
 * lower id. */
ptrdiff_t rt_route_pick(const rt_route_cand *c, size_t n, int64_t task_id, double explore,
                        bool *explored);

/* Is the local time `local_ms` (ms since 1970 in the agent's zone) within
 * the working hours [start, end) minutes on the weekdays in `mask`? */
bool rt_route_on_shift(int64_t local_ms, int start, int end, unsigned mask);

#endif

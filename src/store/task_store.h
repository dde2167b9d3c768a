/*
 * task_store.h (internal) - tasks for people, for the producers inside the
 * library (the journey `task:` step, feedback escalations).
 */
#ifndef RT_STORE_TASK_H
#define RT_STORE_TASK_H

#include "store.h"

/* Create a task for customer row `customer` inside the current transaction,
 * route it when an agent is available, and record "task.created" with the
 * properties {"task", "kind", "note", "source", "agent"} merged over
 * `extra_json` (an object or NULL). `order_key` and `instance` are row ids
 * or 0; `source` says who asked ("journey", "feedback", "host"). */
int rt_task_create(retain_engine *e, int64_t customer, int64_t order_key, int64_t instance,
                   const char *kind, const char *note, const char *source,
                   const char *extra_json, int64_t at, int64_t *task_id);

/* *waiting is 1 when a task is open (read without taking the write lock). */
int rt_task_waiting(retain_engine *e, int64_t *waiting);

/* Route every open task (retain_engine_tick() calls this). */
int rt_task_route_open(retain_engine *e, int64_t now, int64_t *assigned);

#endif

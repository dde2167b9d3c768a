/*
 * metrics_store.h (internal) - the reads behind the metrics (src/metrics):
 * a read snapshot, one sequential scan of the orders that count, the host
 * ids of customer rows, and journey conversion counts.
 */
#ifndef RT_METRICS_STORE_H
#define RT_METRICS_STORE_H

#include "core/engine.h"
#include "core/arena.h"

/* Begin a read snapshot unless a transaction is already open; *began says
 * whether rt_ms_read_end() must close it. */
int rt_ms_read_begin(retain_engine *e, bool *began);
/* Close what rt_ms_read_begin() opened; returns rc (or the commit's error). */
int rt_ms_read_end(retain_engine *e, bool began, int rc);

/* Orders that count (not cancelled or refunded), as parallel arrays in
 * storage order: not grouped, not sorted. */
typedef struct rt_ms_orders {
    size_t n, cap;
    int64_t *cust;    /* customer row id */
    int64_t *at;      /* placed_at, ms UTC */
    int64_t *amount;  /* total, minor units of the order's currency */
    const retain_allocator *alloc;
} rt_ms_orders;

/* Read the orders placed at or before `until`, in `currency` (NULL: every
 * currency), in one pass over the table. Free with rt_ms_orders_free(). */
int rt_ms_orders_scan(retain_engine *e, const char *currency, int64_t until, rt_ms_orders *out);
void rt_ms_orders_free(rt_ms_orders *o);

/* The host id of each customer row keys[0..n) (ascending), copied into the
 * arena: ids[i] for keys[i]. One pass over the customer table. */
int rt_ms_customer_ids(retain_engine *e, const int64_t *keys, size_t n, rt_arena *ar,
                       const char **ids);

/* Conversion counts of one journey variant (variant NULL when none). */
typedef int (*rt_ms_conversion_fn)(void *ctx, const char *journey, const char *variant,
                                   int64_t entered, int64_t converted, int64_t pending);

/* Journey instances entered in [since, as_of] (journey NULL: every journey)
 * grouped by journey and variant, ordered by journey then variant (NULL
 * first); fn is called once per group and may stop the scan by returning
 * non-zero, which is returned. */
int rt_ms_journey_conversion(retain_engine *e, const char *journey, int64_t since,
                             int64_t as_of, int64_t window, rt_ms_conversion_fn fn, void *ctx);

/* How many of the journey instances entered in [since, as_of] reached each
 * step by as_of (a step log row of any kind but goal, exit and migrate):
 * fn is called once per (journey, step), ordered by journey then by the
 * step's first position in the logs; a non-zero return stops the scan and
 * is returned. */
typedef int (*rt_ms_step_fn)(void *ctx, const char *journey, const char *step,
                             int64_t instances);
int rt_ms_journey_steps(retain_engine *e, int64_t since, int64_t as_of, rt_ms_step_fn fn,
                        void *ctx);

#endif

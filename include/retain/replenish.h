/*
 * retain/replenish.h - replenishment reminders timed by consumption cycles.
 *
 * A SKU's cycle is the time one unit lasts. It is the host's configured
 * value if there is one, else the cycle learned from customers' repurchase
 * intervals of that SKU (the median of interval / quantity bought, once at
 * least options.replenish_min_samples intervals are known), else
 * options.replenish_fallback_cycle_ms (0: no reminders for that SKU).
 *
 * For every purchase (order, SKU) the expected run-out is placed_at +
 * quantity x cycle. During retain_engine_tick() the event
 * "replenishment.due" fires options.replenish_lead_ms before it, once per
 * purchase, with properties {"sku","order_id","quantity","cycle_ms",
 * "runout_at","source"}; it is cancelled if the customer orders the SKU
 * again first, or the order is cancelled or refunded, and dropped when the
 * tick comes more than options.replenish_grace_ms after its time.
 */
#ifndef RETAIN_REPLENISH_H
#define RETAIN_REPLENISH_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum retain_cycle_source {
    RETAIN_CYCLE_NONE = 0,       /**< no cycle: no reminders */
    RETAIN_CYCLE_CONFIGURED = 1, /**< set by retain_sku_cycle_set() */
    RETAIN_CYCLE_LEARNED = 2,    /**< learned by retain_replenish_learn() */
    RETAIN_CYCLE_FALLBACK = 3    /**< options.replenish_fallback_cycle_ms */
} retain_cycle_source;

/** The cycle of one SKU and where it comes from. */
typedef struct retain_sku_cycle {
    int64_t cycle_ms;              /**< the cycle in use per unit; 0 when none */
    retain_cycle_source source;
    int64_t configured_ms;         /**< 0: none */
    int64_t learned_ms;            /**< median of the samples; 0: none yet */
    int64_t samples;               /**< repurchase intervals seen when last learned */
} retain_sku_cycle;

/**
 * Configure the per-unit cycle of a SKU (1 ms to 10 years), or clear it
 * with 0. The SKU must be known (a product or an order line names it).
 * Pending reminders of the SKU are rescheduled.
 */
RETAIN_API int retain_sku_cycle_set(retain_engine *e, const char *sku, int64_t cycle_ms);

/** The cycle in use for a SKU; RETAIN_ENOTFOUND for an unknown SKU. */
RETAIN_API int retain_sku_cycle_get(retain_sku_cycle *out, retain_engine *e, const char *sku);

/**
 * Learn every SKU's cycle from the store's repurchase intervals (intervals
 * shorter than a day, such as split orders, are left out) and reschedule
 * pending reminders. `skus` (may be NULL) receives how many SKUs have at
 * least one interval.
 */
RETAIN_API int retain_replenish_learn(int64_t *skus, retain_engine *e, int64_t now);

/** State of the reminder of one purchase. */
typedef enum retain_replenish_state {
    RETAIN_REPLENISH_NONE = 0,      /**< not taken in yet (the next tick does) */
    RETAIN_REPLENISH_PENDING = 1,   /**< waiting for due_at (or for a cycle) */
    RETAIN_REPLENISH_FIRED = 2,     /**< replenishment.due was emitted */
    RETAIN_REPLENISH_REORDERED = 3, /**< cancelled: the SKU was ordered again first */
    RETAIN_REPLENISH_LAPSED = 4,    /**< dropped: the tick came too late */
    RETAIN_REPLENISH_VOID = 5       /**< the order was cancelled or refunded */
} retain_replenish_state;

/** The reminder state of (order, SKU) and its due time (RETAIN_TIME_NONE: none). */
RETAIN_API int retain_replenish_get(retain_replenish_state *state, int64_t *due_at,
                                    retain_engine *e, const char *order_id, const char *sku);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_REPLENISH_H */

/*
 * domain_store.h (internal) - the SQL of the post-purchase domain: shipment
 * delays and tracking data (tracking.c, delay_store.c), products and
 * consumption cycles (product.c), replenishment per purchase
 * (replenish_store.c) and co-purchase neighbours (reco_store.c). The logic
 * lives in src/domain/.
 */
#ifndef RT_DOMAIN_STORE_H
#define RT_DOMAIN_STORE_H

#include "store.h"

struct rt_buf;

/* ---- tracking (tracking.c) ---------------------------------------------- */

/* Set (url_template != NULL) or remove a carrier's tracking URL template. */
int ds_carrier_set(retain_engine *e, const char *carrier, const char *url_template, int64_t now);
/* Append ,"tracking_url":URL to `b`: the shipment's own URL, else the
 * carrier template with {tracking} replaced by the percent-encoded number,
 * else null. */
void rt_tracking_url_json(struct rt_buf *b, const char *own_url, const char *tpl,
                          const char *tracking);
/* Append ,"history":[{"status":..,"at":..,"eta":..,"detail":..},...] for
 * shipment row `skey`, oldest first. */
int rt_shipment_history_json(retain_engine *e, int64_t skey, struct rt_buf *b);

/* Delivery guards: message `id` must not go out once shipment `skey` has
 * been delivered. */
int ds_guard_add(retain_engine *e, int64_t message_id, int64_t skey);
/* The shipment a message is guarded by (0: none) and its delivery time
 * (INT64_MIN: not delivered). */
int ds_guard_get(retain_engine *e, int64_t message_id, int64_t *skey, int64_t *delivered_at);
/* Delivery time of a shipment (INT64_MIN: not delivered or no such row);
 * when skey is 0, the latest shipment of order `okey`. */
int ds_shipment_delivered(retain_engine *e, int64_t skey, int64_t okey, int64_t *out_skey,
                          int64_t *delivered_at);

/* ---- delays (delay_store.c) --------------------------------------------- */

typedef struct ds_delay {
    int64_t shipment, customer, order_key;
    char shipment_id[257], order_id[257], carrier[65], exception[257];
    char cause[16];     /* late, exception, eta_slip */
    int64_t at;         /* when the cause arose */
    int64_t promised_at, eta; /* INT64_MIN: none */
} ds_delay;

/* Delays not recorded yet that arose by `now`, oldest first. */
int ds_delay_candidates(retain_engine *e, int64_t now, int64_t margin_ms, ds_delay *out,
                        int cap, int *n);
int ds_delay_mark(retain_engine *e, int64_t shipment, const char *cause, int64_t at,
                  int64_t now);

/* ---- products and cycles (product.c) ------------------------------------ */

int ds_product_upsert(retain_engine *e, const char *sku, const char *title, int64_t price,
                      const char *currency, const char *attrs, int64_t now);
/* Title and price of a SKU: the product row, else the latest order line
 * (price in that order's currency). *found false when neither exists. */
int ds_product_get(retain_engine *e, const char *sku, char *title, size_t title_sz,
                   int64_t *price, char *currency, size_t cur_sz, bool *found);

typedef struct ds_cycle {
    int64_t configured_ms, learned_ms; /* 0: none */
    int64_t samples, learned_at;       /* learned_at INT64_MIN: never */
} ds_cycle;
int ds_cycle_get(retain_engine *e, const char *sku, ds_cycle *out, bool *found);
/* configured_ms 0 clears the configured cycle. */
int ds_cycle_configure(retain_engine *e, const char *sku, int64_t configured_ms);
int ds_cycle_learned(retain_engine *e, const char *sku, int64_t learned_ms, int64_t samples,
                     int64_t now);
/* Whether any order line names the SKU. */
int ds_sku_known(retain_engine *e, const char *sku, bool *known);

/* Every repurchase interval: for each customer and SKU, the time from one
 * purchase to the next divided by the quantity bought the first time (ms
 * per unit), for orders that count; rows come sorted by SKU. Intervals under
 * `min_gap_ms` (split orders) are left out. fn returns a status. */
int ds_repurchase_each(retain_engine *e, int64_t min_gap_ms,
                       int (*fn)(void *ctx, const char *sku, double per_unit_ms), void *ctx);

/* ---- replenishment (replenish_store.c) ---------------------------------- */

/* A purchase that entered replenishment: one per (order, SKU). */
typedef struct ds_purchase {
    int64_t customer, order_key;
    char sku[257], order_id[257];
    int64_t placed_at, quantity, due_at, runout_at;
} ds_purchase;

/* Take up to `cap` orders from the to-do queue, turn their lines into
 * purchases (reordered ones cancel the pending reminder of the same
 * customer and SKU), and report how many orders were taken. `cycle` gives
 * the per-unit cycle of a SKU in ms (0: none). */
int ds_replenish_intake(retain_engine *e, int cap,
                        int (*cycle)(void *ctx, const char *sku, int64_t *per_unit_ms),
                        void *ctx, int64_t lead_ms, int *taken);
/* Does the to-do queue hold any order? A read, so that a tick with nothing
 * to take opens no write transaction. */
int ds_replenish_todo_any(retain_engine *e, bool *any);
/* Pending purchases due by `now`, oldest first. */
int ds_replenish_due(retain_engine *e, int64_t now, ds_purchase *out, int cap, int *n);
/* Set the state of one purchase (fired, lapsed, void). */
int ds_replenish_set_state(retain_engine *e, int64_t order_key, const char *sku,
                           const char *state);
/* After a SKU's cycle changed: recompute due times of its pending purchases
 * (per_unit_ms 0: they have none). */
int ds_replenish_reschedule(retain_engine *e, const char *sku, int64_t per_unit_ms,
                            int64_t lead_ms);
/* After a merge gave `customer` the purchases of two: a pending purchase
 * with a later one of its SKU is superseded (reordered), as intake does
 * for one customer, so one reminder per SKU stays, the latest purchase's. */
int ds_replenish_merged(retain_engine *e, int64_t customer);
/* State of the purchase (order ext id, SKU): "" when none. */
int ds_replenish_state(retain_engine *e, const char *order_id, const char *sku, char *state,
                       size_t size, int64_t *due_at);

/* ---- co-purchase neighbours (reco_store.c) ------------------------------ */

/* Every basket: the SKUs of one counting order (a SKU may repeat), in
 * order-id order; fn gets one order at a time. */
int ds_baskets_each(retain_engine *e,
                    int (*fn)(void *ctx, const char *const *skus, int n), void *ctx);
/* Replace every stored neighbour list: clear, then add row by row. */
int ds_neighbors_clear(retain_engine *e);
int ds_neighbor_add(retain_engine *e, const char *sku, int rank, const char *other, double score,
                    int64_t support);
int ds_reco_meta_set(retain_engine *e, const char *k, int64_t v);
int ds_reco_meta_get(retain_engine *e, const char *k, int64_t *v, bool *found);
/* The build generation and the product generation (0 when never set). */
int ds_reco_generations(retain_engine *e, int64_t *build, int64_t *products);
/* The SKUs a customer bought (orders that count; a SKU may repeat). */
int ds_owned_each(retain_engine *e, int64_t customer,
                  int (*fn)(void *ctx, const char *sku), void *ctx);
/* Every stored neighbour, grouped by SKU, best first. */
int ds_neighbors_all(retain_engine *e,
                     int (*fn)(void *ctx, const char *sku, const char *other, double score,
                               int64_t support),
                     void *ctx);

/* ---- payload additions of journey instances (reco_store.c) ------------- */

/* Merge a JSON object into what instance `id` adds to its later sends. */
int ds_instance_payload_merge(retain_engine *e, int64_t instance, const char *json);
/* What instance `id` adds (NULL when nothing; free with rt_free). */
int ds_instance_payload_get(retain_engine *e, int64_t instance, char **out);

#endif

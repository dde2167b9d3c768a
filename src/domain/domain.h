/*
 * domain.h (internal) - the post-purchase domain seen from the runner, the
 * journey loader and the gate: the work a tick does before journeys move
 * (delay detection, replenishment), the recommend step, and the delivery
 * guard of delay notices.
 */
#ifndef RT_DOMAIN_H
#define RT_DOMAIN_H

#include "core/engine.h"

/* Called by retain_engine_tick before instances advance, outside any
 * transaction: emits shipment.delayed and replenishment.due events (each in
 * bounded transactions of its own), so journeys they trigger run this tick. */
int rt_domain_tick(retain_engine *e, int64_t now);

/* Detect shipment delays (delay.c). */
int rt_delay_detect(retain_engine *e, int64_t now);
/* Take new orders into replenishment and fire due reminders (replenish.c). */
int rt_replenish_tick(retain_engine *e, int64_t now);

/* The top `n` recommendations for customer row `customer` as a JSON array
 * [{"sku":..,"title":..,"price":..,"currency":..,"score":..},...] in a new
 * string (free with rt_free). Reads only; for the recommend step. */
int rt_recommend_json(retain_engine *e, int64_t customer, int n, char **out);

/* Free the engine's in-memory neighbour lists (retain_engine_close). */
void rt_reco_free(retain_engine *e);

#endif

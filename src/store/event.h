/*
 * event.h (internal) - recording events inside the current transaction.
 * Every state change that journeys may react to goes through
 * rt_event_emit(), which is where triggers are matched.
 */
#ifndef RT_STORE_EVENT_H
#define RT_STORE_EVENT_H

#include "store.h"

/* Record an event for customer row `customer_key`; order_key/shipment_key
 * are row ids or 0. Must be called inside rt_tx_begin/rt_tx_end. */
int rt_event_emit(retain_engine *e, int64_t customer_key, const char *name, int64_t at,
                  const char *props_json, int64_t order_key, int64_t shipment_key);

#endif

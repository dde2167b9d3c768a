/*
 * retain/event.h - events: what happened to a customer, when.
 *
 * The store records its own events as things change (order.placed,
 * order.shipped, shipment.delivered ...); hosts add theirs with
 * retain_event_track(). Journeys are triggered by and wait for events.
 */
#ifndef RETAIN_EVENT_H
#define RETAIN_EVENT_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An event as read back by an iterator. Strings live until the next call. */
typedef struct retain_event {
    int64_t seq;               /**< store-wide order of recording */
    const char *customer_id;
    const char *name;          /**< "order.placed", "review.clicked" ... */
    int64_t at;                /**< ms UTC */
    const char *props_json;    /**< JSON object, "{}" when none */
    const char *host_event_id; /**< NULL when the host gave none */
    const char *order_id;      /**< the order it concerns, or NULL */
} retain_event;

/**
 * Record an event. `name` is 1..64 characters of [a-z0-9_.-]; `props_json`
 * a JSON object or NULL. When `host_event_id` is given, recording the same
 * id again is a no-op that returns RETAIN_OK (redelivered webhooks).
 */
RETAIN_API int retain_event_track(retain_engine *e, const char *customer_id, const char *name,
                                  int64_t at, const char *props_json, const char *host_event_id);

typedef struct retain_event_iter retain_event_iter;

/** Iterate a customer's events in time order (one snapshot; the engine may
 *  write while it is open, see retain_outbox_iter_open()). */
RETAIN_API int retain_event_iter_open(retain_event_iter **out, retain_engine *e,
                                      const char *customer_id);
/** RETAIN_ROW with *row set (valid until the next call), RETAIN_DONE, or an error. */
RETAIN_API int retain_event_iter_next(retain_event_iter *it, const retain_event **row);
/** NULL is a no-op. */
RETAIN_API void retain_event_iter_free(retain_event_iter *it);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_EVENT_H */

/*
 * retain/order.h - orders with their lines and status history, and the
 * shipments that carry them.
 *
 * Money is int64 minor units in the order's ISO 4217 currency. Recording an
 * order id again updates it in place; customer statistics stay exact.
 */
#ifndef RETAIN_ORDER_H
#define RETAIN_ORDER_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One line of an order: a product, how many, at what unit price. */
typedef struct retain_order_line {
    const char *sku;        /**< required */
    const char *title;      /**< may be NULL */
    int64_t quantity;       /**< >= 1 */
    int64_t unit_price;     /**< minor units, >= 0 */
} retain_order_line;

/** A status an order or shipment took, and when. */
typedef struct retain_status_change {
    const char *status;
    int64_t at;
} retain_status_change;

#define RETAIN_ORDER_VERSION 1

/**
 * An order. Passed to retain_order_record() and returned by
 * retain_order_get(); read-only members are ignored when recording.
 * Statuses: "placed", "paid", "shipped", "delivered", "cancelled",
 * "returned", "refunded".
 */
typedef struct retain_order {
    unsigned int version;      /**< RETAIN_ORDER_VERSION */
    const char *id;            /**< host's order id; required */
    const char *customer_id;   /**< an existing customer; required */
    const char *channel;       /**< sales channel: "web", "pos", "amazon" ...; required */
    int64_t placed_at;         /**< ms UTC */
    const char *currency;      /**< ISO 4217, e.g. "USD"; required */
    int64_t total;             /**< amount paid, minor units, >= 0 */
    const char *coupon;        /**< code used, or NULL */
    const char *status;        /**< NULL: "placed" for a new order, unchanged otherwise */
    int64_t status_at;         /**< when `status` took effect; RETAIN_TIME_NONE: placed_at */
    const retain_order_line *lines;
    size_t lines_count;
    const char *attrs_json;    /**< JSON object or NULL */

    /* Read-only: filled by retain_order_get(). */
    const retain_status_change *history; /**< oldest first */
    size_t history_count;
} retain_order;

#define RETAIN_ORDER_INIT { RETAIN_ORDER_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, INT64_MIN, 0, 0, 0, 0, 0 }

/**
 * Record a new order, or update an existing one with the same id (lines are
 * replaced, the status history grows when the status changes). Emits
 * "order.placed" for a new order and "order.STATUS" for each status change.
 */
RETAIN_API int retain_order_record(retain_engine *e, const retain_order *o);

/** Move an order to `status` at time `at`; a repeat of the current status is a no-op. */
RETAIN_API int retain_order_set_status(retain_engine *e, const char *order_id, const char *status,
                                       int64_t at);

/** Read an order with its lines and history; free with retain_order_free(). */
RETAIN_API int retain_order_get(retain_order **out, retain_engine *e, const char *order_id);
/** NULL is a no-op. */
RETAIN_API void retain_order_free(retain_order *o);

typedef struct retain_order_iter retain_order_iter;
/** Iterate a customer's orders by placed_at. Each order is read as it is
 *  when retain_order_iter_next() returns it; orders deleted meanwhile are
 *  passed over. The engine may write while the iterator is open. */
RETAIN_API int retain_order_iter_open(retain_order_iter **out, retain_engine *e,
                                      const char *customer_id);
/** RETAIN_ROW with *row set (lines included; valid until the next call), RETAIN_DONE or an error. */
RETAIN_API int retain_order_iter_next(retain_order_iter *it, const retain_order **row);
RETAIN_API void retain_order_iter_free(retain_order_iter *it);

#define RETAIN_SHIPMENT_VERSION 1

/** One carrier scan or status update of a shipment. */
typedef struct retain_shipment_event {
    const char *status;  /**< see retain_shipment_update() */
    int64_t at;
    int64_t eta;         /**< RETAIN_TIME_NONE when the carrier gave none */
    const char *detail;  /**< exception reason, location ...; may be NULL */
} retain_shipment_event;

/** A shipment of (part of) an order. */
typedef struct retain_shipment {
    unsigned int version;      /**< RETAIN_SHIPMENT_VERSION */
    const char *id;            /**< host's shipment id; required */
    const char *order_id;      /**< required */
    const char *carrier;       /**< "ups", "dhl" ...; may be NULL */
    const char *tracking;      /**< tracking number; may be NULL */
    const char *tracking_url;  /**< may be NULL */
    int64_t promised_at;       /**< promised delivery time, or RETAIN_TIME_NONE */
    int64_t at;                /**< when the shipment was created (label) */

    /* Read-only: filled by retain_shipment_get(). */
    const char *status;
    int64_t status_at;
    int64_t eta;               /**< latest ETA, or RETAIN_TIME_NONE */
    int64_t delivered_at;      /**< or RETAIN_TIME_NONE */
    const char *exception;     /**< last exception reason, or NULL */
    const retain_shipment_event *history;
    size_t history_count;
} retain_shipment;

#define RETAIN_SHIPMENT_INIT { RETAIN_SHIPMENT_VERSION, 0, 0, 0, 0, 0, INT64_MIN, 0, \
                               0, 0, INT64_MIN, INT64_MIN, 0, 0, 0 }

/** Create a shipment (status "label_created"), or update its carrier data. */
RETAIN_API int retain_shipment_record(retain_engine *e, const retain_shipment *s);

/**
 * A carrier event: status is one of "label_created", "in_transit",
 * "out_for_delivery", "delivered", "exception", "returned". `eta` may be
 * RETAIN_TIME_NONE; `detail` may be NULL. Emits "shipment.STATUS"; the first
 * "in_transit" also emits "shipment.shipped".
 */
RETAIN_API int retain_shipment_update(retain_engine *e, const char *shipment_id,
                                      const char *status, int64_t at, int64_t eta,
                                      const char *detail);

RETAIN_API int retain_shipment_get(retain_shipment **out, retain_engine *e,
                                   const char *shipment_id);
RETAIN_API void retain_shipment_free(retain_shipment *s);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_ORDER_H */

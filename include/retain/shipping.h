/*
 * retain/shipping.h - where-is-my-order data and shipment delays.
 *
 * Every message of a journey whose context has a shipment (or an order with
 * one) carries, under "shipment" in its payload: id, carrier, tracking,
 * tracking_url, promised_at, eta, status, status_at, delivered_at,
 * exception and history (every carrier event, oldest first, as
 * {"status","at","eta","detail"}). tracking_url is the shipment's own URL
 * when the host gave one, else the carrier's template below.
 *
 * During retain_engine_tick() a shipment that is not delivered (nor
 * returned) produces the event "shipment.delayed" once per cause, ever:
 *   - "late":      its promised_at has passed (event at promised_at);
 *   - "exception": the carrier reported status "exception" (at that report);
 *   - "eta_slip":  an ETA later than promised_at + options.eta_slip_margin_ms
 *                  (at the report that carried it).
 * The event's properties: {"cause","shipment_id","order_id","carrier",
 * "promised_at","eta","exception"}; rules read them as event.props.cause ...
 * Send steps of journeys triggered by shipment.delayed are skipped once the
 * shipment has been delivered, even when already queued (see docs).
 */
#ifndef RETAIN_SHIPPING_H
#define RETAIN_SHIPPING_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Set the tracking URL template of a carrier (matched without regard to
 * case), such as "https://track.example/{tracking}": every "{tracking}" is
 * replaced by the percent-encoded tracking number. The template must be an
 * http or https URL containing "{tracking}". NULL removes the template.
 */
RETAIN_API int retain_carrier_set(retain_engine *e, const char *carrier,
                                  const char *url_template, int64_t now);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_SHIPPING_H */

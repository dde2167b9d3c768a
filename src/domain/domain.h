/*
 * domain.h (internal) - the post-purchase domain seen from the runner, the
 * journey loader and the gate: the work a tick does before journeys move
 * (delay detection, replenishment), the recommend step, and the delivery
 * guard of delay notices; coupon codes issued by journey steps and checked
 * again before a message carries them, and redemptions recorded when an
 * order arrives with a code.
 */
#ifndef RT_DOMAIN_H
#define RT_DOMAIN_H

#include "core/engine.h"
#include "retain/coupon.h"

#include <stdbool.h>

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

/* ---- coupons (coupon_step.c, code.c) ---- */

/* The code a journey step issued, as the runner needs it. */
typedef struct rt_step_coupon {
    int64_t id;              /* coupon row */
    bool delivered;          /* a message was queued with it before */
    char code[RETAIN_COUPON_CODE_MAX];
    char step[65];           /* the step that issued it */
    retain_coupon_reason reason;
    char why[200];           /* a sentence when reason != VALID */
} rt_step_coupon;

/* Issue a code of `campaign` to customer row `customer_key` for journey
 * instance `instance` at step `step`, at time `at`. A campaign that cannot
 * give this customer a working code (expired, the customer's limit used)
 * issues nothing: out->reason says why and the call returns RETAIN_OK. */
int rt_coupon_issue_step(retain_engine *e, const char *campaign, int64_t customer_key,
                         int64_t instance, const char *step, int64_t at, rt_step_coupon *out);

/* The latest code issued by journey instance `instance`, checked for
 * sending at `at` (not expired, not used up, not revoked, the customer's
 * limit not reached). *found false when the instance issued none; when
 * found and valid, *json (free with rt_free) is the payload patch
 * {"coupon":{"code":..,"campaign":..,"discount":..,"expires_at":..}}. */
int rt_coupon_of_instance(retain_engine *e, int64_t instance, int64_t at, bool *found,
                          rt_step_coupon *out, char **json);

/* The instance gives up coupon row `coupon` at `at`: later sends of the
 * instance no longer look at it. */
int rt_coupon_drop(retain_engine *e, int64_t coupon, int64_t at);

/* Message row `message` was queued with coupon row `coupon` in its payload. */
int rt_coupon_message_queued(retain_engine *e, int64_t message, int64_t coupon);

/* Before message row `message` is handed to its transport at `now`: *ok is
 * false (and why says so) when it carries a code that no longer works. */
int rt_coupon_message_check(retain_engine *e, int64_t message, int64_t now, bool *ok, char *why,
                            size_t whysz);

/* An order with `code` arrived for customer row `customer_key`: count the
 * use unless the order redeemed the code already. Unknown codes (the
 * host's own) are ignored. Inside the caller's transaction. */
int rt_coupon_on_order(retain_engine *e, const char *code, int64_t customer_key,
                       const char *order_ext, int64_t order_key, int64_t at);

/* Whether the marketplace profile of the sales channel of order row
 * `order_key` forbids promo codes (its payload rules remove "coupon"):
 * then *why names the profile. No order: false. */
int rt_coupon_forbidden(retain_engine *e, int64_t order_key, bool *forbidden, char *why,
                        size_t whysz);

/* The same for a sales channel name (the journey loader's check). */
int rt_coupon_forbidden_channel(retain_engine *e, const char *sales_channel, bool *forbidden,
                                char *why, size_t whysz);

void rt_domain_free(retain_engine *e);

#endif

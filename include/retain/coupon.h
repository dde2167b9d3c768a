/*
 * retain/coupon.h - coupon campaigns and unique promo codes: define a
 * campaign, issue codes (by the host, or by a journey's `coupon:` step),
 * validate and redeem them at checkout, revoke them.
 *
 * Codes are the campaign's prefix followed by 6 to 12 characters drawn
 * uniformly from the 31 characters 2-9 and A-Z without I, L and O (no 0/O,
 * 1/I/L confusion), checked against every code in the store. The random
 * bits come from a generator the host supplies (retain_coupon_set_rng), or
 * from the engine's deterministic generator keyed by a secret the host
 * gives with retain_coupon_seed(): the library never reads the clock or
 * /dev/urandom itself. Issuing without either fails with RETAIN_EMISUSE.
 *
 * A code issued to a customer works only for that customer. An order
 * recorded with a known code (retain_order.coupon) counts as a redemption
 * unless that order redeemed the code already.
 */
#ifndef RETAIN_COUPON_H
#define RETAIN_COUPON_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum retain_discount_kind {
    RETAIN_DISCOUNT_PERCENT = 1, /**< `percent` off the order total */
    RETAIN_DISCOUNT_FIXED = 2    /**< `amount` off, in its currency */
} retain_discount_kind;

#define RETAIN_COUPON_CAMPAIGN_VERSION 1

/** A campaign: what its codes are worth and when they work. */
typedef struct retain_coupon_campaign {
    unsigned int version;        /**< RETAIN_COUPON_CAMPAIGN_VERSION */
    const char *name;            /**< a-z, 0-9, '_', '.', '-'; required */
    const char *prefix;          /**< up to 16 of A-Z, 0-9, '-'; NULL or "": none */
    int code_length;             /**< random characters after the prefix, 6..12; 0: 8 */
    retain_discount_kind discount;
    int percent;                 /**< PERCENT: 1..100 */
    retain_money amount;         /**< FIXED: > 0 minor units of its currency */
    retain_money min_total;      /**< minimum order; amount 0: none (then currency may be "") */
    int64_t expires_at;          /**< absolute expiry (exclusive), or RETAIN_TIME_NONE */
    int64_t valid_for_ms;        /**< expiry relative to issue; 0: none. The earlier of the two wins */
    int max_uses;                /**< uses of one code; 0 or 1: single-use */
    int per_customer;            /**< redemptions of this campaign per customer; 0: no limit */
    const char *const *channels; /**< sales channels allowed ("web", "pos" ...); NULL: any */
    size_t channels_count;
} retain_coupon_campaign;

#define RETAIN_COUPON_CAMPAIGN_INIT                                                       \
    { RETAIN_COUPON_CAMPAIGN_VERSION, 0, 0, 0, RETAIN_DISCOUNT_PERCENT, 0, { 0, "" },    \
      { 0, "" }, INT64_MIN, 0, 0, 0, 0, 0 }

/**
 * Define a campaign, or redefine the one with the same name: codes issued
 * already keep their expiry, but every other rule (uses, limits, minimum,
 * channels, discount) applies to them from now on.
 */
RETAIN_API int retain_coupon_campaign_define(retain_engine *e, const retain_coupon_campaign *c,
                                             int64_t now);

/**
 * Define the campaigns of a YAML text: a document (or several, or a
 * `coupon_campaigns:` list) of mappings like
 *
 *   coupon_campaign: sorry10
 *   prefix: SORRY
 *   percent: 10            # or  amount: { value: 5.00, currency: EUR }
 *   min_order: { value: 20.00, currency: EUR }
 *   valid_for: 30d         # and/or  expires_at: 2026-12-31T00:00:00Z
 *   uses: 1
 *   per_customer: 1
 *   sales_channels: [web, pos]
 *
 * All or nothing: on a bad file nothing is defined and `diag` (may be NULL)
 * says where (line:column). `origin` names the file in messages.
 */
RETAIN_API int retain_coupon_campaigns_load(retain_engine *e, const char *yaml, size_t len,
                                            const char *origin, int64_t now,
                                            retain_diag *diag);

#define RETAIN_COUPON_RNG_VERSION 1

/**
 * A host-supplied source of random bits: next() stores 64 uniformly random
 * bits in *out and returns 0, or a negative status to fail the call.
 */
typedef struct retain_coupon_rng {
    unsigned int version;   /**< RETAIN_COUPON_RNG_VERSION */
    int (*next)(void *userdata, uint64_t *out);
    void *userdata;
} retain_coupon_rng;

#define RETAIN_COUPON_RNG_INIT { RETAIN_COUPON_RNG_VERSION, 0, 0 }

/** Use the host's generator for this engine's codes; NULL goes back to the seeded one. */
RETAIN_API int retain_coupon_set_rng(retain_engine *e, const retain_coupon_rng *rng);

/**
 * Key the engine's own generator with a secret of 16 to 64 bytes. Draw k
 * of a campaign is SHA-256(secret, campaign, k), and k is counted in the
 * database, so engines sharing one file with one secret never repeat a
 * draw. Keep the secret secret: whoever knows it can compute the codes.
 */
RETAIN_API int retain_coupon_seed(retain_engine *e, const void *secret, size_t len);

/** The size of a code buffer that fits every code. */
#define RETAIN_COUPON_CODE_MAX 32

/**
 * Issue a new code of `campaign` at `now` to the host's customer
 * `customer_id` (NULL: a code anyone may use), into code (at least
 * RETAIN_COUPON_CODE_MAX bytes). After 16 draws that all collide with
 * existing codes, RETAIN_ECONFLICT: the campaign's code space is too full
 * (use longer codes).
 */
RETAIN_API int retain_coupon_issue(char *code, size_t code_size, retain_engine *e,
                                   const char *campaign, const char *customer_id, int64_t now);

/** Why a code was refused. */
typedef enum retain_coupon_reason {
    RETAIN_COUPON_VALID = 0,
    RETAIN_COUPON_UNKNOWN = 1,         /**< no such code */
    RETAIN_COUPON_EXPIRED = 2,
    RETAIN_COUPON_USED_UP = 3,         /**< every use of the code is taken */
    RETAIN_COUPON_CUSTOMER_LIMIT = 4,  /**< the customer redeemed the campaign per_customer times */
    RETAIN_COUPON_MINIMUM_NOT_MET = 5, /**< the order total is below the minimum */
    RETAIN_COUPON_WRONG_CHANNEL = 6,   /**< not valid in this sales channel */
    RETAIN_COUPON_REVOKED = 7,
    RETAIN_COUPON_WRONG_CUSTOMER = 8,  /**< issued to another customer */
    RETAIN_COUPON_WRONG_CURRENCY = 9   /**< the total is not in the minimum's or discount's currency */
} retain_coupon_reason;

/** "valid", "unknown", "expired", "used_up", "customer_limit", "minimum_not_met",
 *  "wrong_channel", "revoked", "wrong_customer", "wrong_currency"; never NULL. */
RETAIN_API const char *retain_coupon_reason_name(retain_coupon_reason r);

#define RETAIN_COUPON_CHECK_VERSION 1

/** The answer of retain_coupon_validate() and retain_coupon_redeem(). */
typedef struct retain_coupon_check {
    unsigned int version;          /**< RETAIN_COUPON_CHECK_VERSION: set by the caller */
    retain_coupon_reason reason;   /**< RETAIN_COUPON_VALID when the code works */
    char message[200];             /**< a sentence for the shopper or the log */
    char campaign[65];             /**< "" when unknown */
    retain_discount_kind discount;
    int percent;
    retain_money discount_amount;  /**< what the code takes off `total` (0 when refused) */
    int64_t expires_at;            /**< or RETAIN_TIME_NONE */
    int64_t uses_left;             /**< after this call */
} retain_coupon_check;

#define RETAIN_COUPON_CHECK_INIT \
    { RETAIN_COUPON_CHECK_VERSION, RETAIN_COUPON_VALID, "", "", RETAIN_DISCOUNT_PERCENT, 0, \
      { 0, "" }, INT64_MIN, 0 }

/**
 * Whether `code` works for customer `customer_id` (NULL: a guest) on an
 * order of `total` in sales channel `channel` at `now`. A refusal is not an
 * error: the call returns RETAIN_OK and out->reason says why. Codes are
 * matched without regard to case.
 */
RETAIN_API int retain_coupon_validate(retain_coupon_check *out, retain_engine *e,
                                      const char *code, const char *customer_id,
                                      const retain_money *total, const char *channel,
                                      int64_t now);

/**
 * Validate and, when valid, record the use for the host's order
 * `order_id` (the order need not be recorded yet). Redeeming a code again
 * for the same order is answered as before and counted once. Emits
 * "coupon.redeemed" for a known customer.
 */
RETAIN_API int retain_coupon_redeem(retain_coupon_check *out, retain_engine *e, const char *code,
                                    const char *customer_id, const char *order_id,
                                    const retain_money *total, const char *channel,
                                    int64_t now);

/** Revoke a code from `now` on (RETAIN_ENOTFOUND if unknown); `reason` may be NULL. */
RETAIN_API int retain_coupon_revoke(retain_engine *e, const char *code, const char *reason,
                                    int64_t now);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_COUPON_H */

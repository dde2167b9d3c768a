/*
 * retain/customer.h - customers, their running statistics, and consent.
 *
 * Customers are named by the host's own string id. Contact data is
 * normalized on the way in: e-mail addresses are trimmed with the domain
 * lower-cased; phone numbers become E.164 ("+14155550100").
 */
#ifndef RETAIN_CUSTOMER_H
#define RETAIN_CUSTOMER_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_CUSTOMER_VERSION 1

/**
 * A customer. The same struct is passed to retain_customer_upsert() and
 * returned by retain_customer_get(); members marked read-only are computed
 * by the library and ignored by upsert.
 */
typedef struct retain_customer {
    unsigned int version;   /**< RETAIN_CUSTOMER_VERSION */
    const char *id;         /**< host's id; required */
    const char *email;      /**< NULL: keep; "": clear */
    const char *phone;      /**< NULL: keep; "": clear */
    const char *name;       /**< NULL: keep; "": clear */
    const char *timezone;   /**< IANA zone, e.g. "Europe/Berlin"; NULL: keep; "": clear */
    const char *locale;     /**< BCP 47, e.g. "de-DE"; NULL: keep; "": clear */
    const char *attrs_json; /**< JSON object applied as an RFC 7396 merge patch; NULL: keep */
    int64_t at;             /**< time of this change (ms UTC); becomes created_at when new */

    /* Read-only: filled by retain_customer_get(). */
    int64_t created_at;
    int64_t updated_at;
    int64_t orders_count;     /**< orders not cancelled */
    int64_t first_order_at;   /**< RETAIN_TIME_NONE when no order */
    int64_t last_order_at;    /**< RETAIN_TIME_NONE when no order */
    const retain_money *revenue; /**< revenue to date, one entry per currency */
    size_t revenue_count;
    double p_alive;           /**< from retain_model_refresh(); NaN until then */
} retain_customer;

#define RETAIN_CUSTOMER_INIT { RETAIN_CUSTOMER_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, \
                               0, 0, 0, RETAIN_TIME_NONE, RETAIN_TIME_NONE, 0, 0, 0 }

/**
 * Create the customer or update the members that are not NULL. Invalid data
 * (bad e-mail, phone, zone, JSON, UTF-8) returns RETAIN_EINVAL and writes
 * nothing.
 *
 * With RETAIN_OPEN_AUTOLINK, a new id whose normalized e-mail or phone
 * belongs to an existing customer is linked to that customer instead of creating a second one (a
 * marketplace or point-of-sale order of a known person): the id becomes an
 * alias, usable wherever a customer id is taken, the members the existing
 * customer lacks are filled in, and the event "customer.merged" is recorded
 * with props {"from": id, "reason": "email"|"phone"}. An e-mail match wins
 * over a phone match. Marketplace relay addresses (such as
 * ...@marketplace.amazon.com) never link.
 */
RETAIN_API int retain_customer_upsert(retain_engine *e, const retain_customer *c);

/** Read a customer; free the result with retain_customer_free(). */
RETAIN_API int retain_customer_get(retain_customer **out, retain_engine *e, const char *id);

/** Free a customer returned by retain_customer_get(). NULL is a no-op. */
RETAIN_API void retain_customer_free(retain_customer *c);

/** Delete a customer with its orders, shipments, events and consent. */
RETAIN_API int retain_customer_delete(retain_engine *e, const char *id);

/**
 * Merge customer `from_id` into `into_id`: one person known under two ids
 * (a guest checkout and an account, a marketplace buyer and a web shopper).
 * In one transaction, everything of `from_id` moves to `into_id`: orders
 * with their shipments, events, journey instances, messages and delivery
 * history. Revenue adds up per currency and the order counts and first and
 * last order times are recomputed; consent takes the stricter statement per
 * channel and category (a revocation beats a grant); profile members
 * `into_id` lacks come from `from_id` (a real e-mail address replaces a
 * marketplace relay one), attributes merge with `into_id`'s winning; model
 * predictions are cleared until the next retain_model_refresh(). An active
 * journey instance of `from_id` that duplicates one of `into_id` (same
 * journey and order) exits with reason "merged", so nobody gets a message
 * twice; of the pending replenishment reminders for one SKU only the one of
 * the latest purchase stays pending (retain/replenish.h). `from_id` then names `into_id` (an alias), the merge is recorded
 * (retain_customer_merges()) and "customer.merged" is emitted with props
 * {"from": from_id, "reason": "host"}.
 * Merging a customer with itself (or an alias of itself) is RETAIN_EINVAL;
 * an unknown id is RETAIN_ENOTFOUND; a revenue sum that would overflow is
 * RETAIN_ELIMIT. On any error nothing changes.
 */
RETAIN_API int retain_customer_merge(retain_engine *e, const char *into_id, const char *from_id,
                                     int64_t now);

/**
 * The merges and links into a customer, oldest first, as a JSON array of
 * {"from", "reason", "at", "orders", "events"} (orders and events moved).
 * Free *json_out with retain_free().
 */
RETAIN_API int retain_customer_merges(char **json_out, retain_engine *e, const char *customer_id);

/** Find a customer by normalized e-mail or phone; *id_out is freed with retain_free(). */
RETAIN_API int retain_customer_find(char **id_out, retain_engine *e, const char *email,
                                    const char *phone);

/**
 * Erase everything personal held about a customer, in one transaction:
 * e-mail, phone, name, zone, locale and attributes; consent records; order
 * and event attributes; shipment tracking data and details; message
 * payloads, recipient addresses and provider reasons; journey step details;
 * feedback comments (scores stay, for the metrics).
 * Queued messages are cancelled and active journeys exit ("erased").
 * Anonymous aggregates stay (the customer row id, order totals, currencies,
 * dates, states and counts) so metrics are unchanged; the erasure is
 * recorded as an event "customer.erased" with no properties, which starts
 * no journey. The host's customer id itself is kept: use opaque ids.
 *
 * SQLite's secure_delete is on while the erase runs, so freed and
 * overwritten space is zeroed. Outside retain_begin() the WAL is then
 * checkpointed with TRUNCATE, so neither the database file nor the -wal
 * file holds the old bytes; if other connections block the checkpoint the
 * erasure is already committed, RETAIN_EBUSY is returned, and calling again
 * (erasing is idempotent) retries it. Inside retain_begin() the checkpoint
 * is the host's to run after retain_commit(). Unknown id: RETAIN_ENOTFOUND.
 */
RETAIN_API int retain_customer_erase(retain_engine *e, const char *id, int64_t now);

/**
 * Everything held about a customer as one JSON object (for access
 * requests): profile, revenue, consents, orders with lines and shipments,
 * events, messages with payloads, journey instances, feedback answers and
 * coupon codes. Free *json_out with retain_free(). Unknown id: RETAIN_ENOTFOUND.
 */
RETAIN_API int retain_customer_export(char **json_out, retain_engine *e, const char *id);

typedef enum retain_consent_state {
    RETAIN_CONSENT_UNKNOWN = 0, /**< never given nor revoked */
    RETAIN_CONSENT_GRANTED = 1,
    RETAIN_CONSENT_REVOKED = 2
} retain_consent_state;

/**
 * Record consent for one channel ("email", "sms", "push", "whatsapp",
 * "call", "chat", "webhook" ...) and category ("transactional", "marketing",
 * "feedback" ...). The latest statement by time wins; at the same time a
 * revocation wins over a grant. `source` says where it came from
 * ("checkout", "unsubscribe-link") and may be NULL.
 */
RETAIN_API int retain_consent_set(retain_engine *e, const char *customer_id, const char *channel,
                                  const char *category, retain_consent_state state, int64_t at,
                                  const char *source);

/** Current consent for a channel and category; *at_out may be NULL. */
RETAIN_API int retain_consent_get(retain_consent_state *state_out, int64_t *at_out,
                                  retain_engine *e, const char *customer_id,
                                  const char *channel, const char *category);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_CUSTOMER_H */

/*
 * outbox.h (internal) - the SQL of delivery: outbox rows, transport
 * attempts, policy decisions, receipts, message payloads, and the facts the
 * policy gate reads (consent, caps, order channels, delivery times) and the
 * policy configuration it caches (quiet hours, caps, profile sources).
 * src/store/outbox.c holds the outbox, src/store/policy_store.c the rest.
 */
#ifndef RT_STORE_OUTBOX_H
#define RT_STORE_OUTBOX_H

#include "store.h"

/* Helpers shared by outbox.c and policy_store.c. */
int ob_step_done(retain_engine *e, rt_st *st, const char *doing);

#define OB_NAME 65   /* channel, category, journey, step names */
#define OB_ID 257    /* host ids, template ids */
#define OB_KEY 65    /* idempotency key: 64 hex digits */

/* ---- outbox rows -------------------------------------------------------- */

/* A new outbox row. Strings may be NULL where the column allows it. */
typedef struct ob_new {
    const char *key;
    int64_t customer, instance;
    const char *journey;
    int version;
    const char *step, *host_id;
    const char *channel, *category, *template_id, *fallback;
    int64_t fallback_of, order_key, shipment_key;
    const char *recipient, *payload;
    int64_t due_at, expires_at; /* expires_at INT64_MAX: none */
    int64_t not_before;
    int on_quiet, on_cap;
    const char *held;           /* why not_before was moved by policy, or NULL */
    int64_t now;
} ob_new;

/* *id is 0 when a row with the same key exists (nothing is written). */
int ob_insert(retain_engine *e, const ob_new *m, int64_t *id);

/* A row as the dispatcher and the gate need it. */
typedef struct ob_row {
    int64_t id, customer, instance, order_key, shipment_key, fallback_of;
    char key[OB_KEY];
    char journey[OB_NAME];
    int version;
    char step[OB_NAME], host_id[OB_ID];
    char channel[OB_NAME], category[OB_NAME], template_id[OB_ID], fallback[OB_NAME];
    bool has_journey, has_step, has_host_id, has_template, has_fallback;
    char state[12];
    int64_t due_at, expires_at, not_before, sent_at; /* expires INT64_MAX, sent INT64_MIN: none */
    int on_quiet, on_cap;
    int attempts, attempt_base;
    char order_ext[OB_ID];     /* "" when no order */
    char last_reason[160];
    char *payload;             /* only when asked for; free with rt_free */
} ob_row;

/* The row with idempotency key `key`; *found false when none. */
int ob_find_key(retain_engine *e, const char *key, ob_row *out, bool *found);
/* The row `id` (payload included when want_payload). */
int ob_get(retain_engine *e, int64_t id, bool want_payload, ob_row *out, bool *found);
/* Up to `cap` rows of `channel` due at `now` (queued, or sending with the
 * lease run out), oldest first, payloads included. */
int ob_due(retain_engine *e, const char *channel, int64_t now, ob_row *out, int cap, int *n);
/* Is any message of `channel` due at `now`? (What ob_due would find.) */
int ob_due_any(retain_engine *e, const char *channel, int64_t now, bool *any);

/* State changes; each also sets updated_at = now. */
int ob_claim(retain_engine *e, int64_t id, int attempts, int64_t lease_until,
             const char *recipient, int64_t now);
int ob_hold(retain_engine *e, int64_t id, int64_t not_before, const char *reason, int64_t now);
int ob_finish(retain_engine *e, int64_t id, const char *state, const char *reason, int64_t now);
/* Record a sent result: *changed false if the row was no longer this
 * attempt's claim (another dispatcher took it, or it was finished). */
int ob_mark_sent(retain_engine *e, int64_t id, int attempt, bool only_own_claim,
                 const char *provider_id, int64_t now, bool *changed);
/* Back to queued for a retry at `retry_at` (only if still this attempt's claim). */
int ob_mark_retry(retain_engine *e, int64_t id, int attempt, int64_t retry_at,
                  const char *reason, int64_t now, bool *changed);
/* Give back claims that were never handed to the transport. */
int ob_release(retain_engine *e, int64_t id, int attempt, int64_t not_before, int64_t now);
/* Host retry: due now with a fresh budget of attempts. */
int ob_requeue(retain_engine *e, int64_t id, int64_t now);

int ob_attempt(retain_engine *e, int64_t id, int attempt, int64_t at, const char *outcome,
               const char *provider_id, int64_t retry_at, const char *reason);

/* A decision of the gate or of the message's life. message 0 / instance 0:
 * none; until INT64_MIN: none. */
typedef struct ob_decision {
    int64_t customer, message, instance;
    const char *key, *step, *channel;
    int64_t at;
    const char *stage;    /* "enqueue", "send", "result", "host" */
    const char *decision; /* "deferred", "skipped", "dead", "fallback", "payload", ... */
    int64_t until;
    const char *rule;     /* "consent", "quiet_hours", "cap", "stale", "marketplace" ... */
    const char *reason;
} ob_decision;

int ob_decide(retain_engine *e, const ob_decision *d);

/* Receipts. *inserted false when the same receipt was recorded before. */
int ob_receipt(retain_engine *e, int64_t id, const char *status, int64_t at, bool *inserted);

/* Look-ups by idempotency key or provider id. */
int ob_id_by_key(retain_engine *e, const char *key, int64_t *id);
int ob_id_by_provider(retain_engine *e, const char *channel, const char *provider_id,
                      int64_t *id);

/* ---- payloads ----------------------------------------------------------- */

/* Build the payload of a new message into *out (free with rt_free). */
typedef struct ob_payload_in {
    int64_t customer, order_key, shipment_key;
    const char *channel, *category, *key;
    const char *extra_json; /* merged last (RFC 7396), or NULL */
} ob_payload_in;
int ob_payload_build(retain_engine *e, const ob_payload_in *in, char **out);
/* A fallback's payload: the dead message's, re-addressed to `channel`. */
int ob_payload_readdress(retain_engine *e, const char *payload, const char *channel,
                         const char *key, char **out);
/* Call fn(path, key, type, text) for every node of a JSON document, in
 * document order; fn returns a status. */
typedef int (*ob_json_fn)(const char *path, const char *key, const char *type,
                          const char *text, void *ctx);
int ob_json_walk(retain_engine *e, const char *json, ob_json_fn fn, void *ctx);
/* Remove paths (in the given order) from a document into a new string. */
int ob_json_remove(retain_engine *e, const char *json, char *const *paths, int n, char **out);

/* ---- facts for the gate ------------------------------------------------- */

typedef struct ob_customer {
    char ext_id[OB_ID];
    char email[320], phone[40], locale[40], zone[80];
} ob_customer;
int ob_customer_get(retain_engine *e, int64_t customer, ob_customer *out, bool *found);

/* Consent statements for (channel, category) and (channel, "all"). */
typedef struct ob_consent {
    int cat_state, all_state;  /* 0 none, 1 granted, 2 revoked */
    int64_t cat_at, all_at;
} ob_consent;

/* What the gate reads about a message in one query: the customer's contact
 * data, consent for (channel, category) and (channel, "all"), and the sales
 * channel of order `order_key` ("" when 0 or absent). */
int ob_gate_facts(retain_engine *e, int64_t customer, const char *channel, const char *category,
                  int64_t order_key, ob_customer *c, ob_consent *k, char *sales_channel,
                  size_t sales_size, bool *found);

/* The n-th most recent (1-based) send of `category` ("all": every
 * non-transactional one) on `channel` to the customer after `since`,
 * sends in flight included and message `exclude` left out. */
int ob_cap_nth(retain_engine *e, int64_t customer, const char *channel, const char *category,
               int64_t since, int n, int64_t exclude, int64_t *at, bool *found);

/* Distinct sales channels of a customer's orders; *n <= cap. */
int ob_customer_channels(retain_engine *e, int64_t customer, char (*out)[OB_NAME], int cap,
                         int *n);
/* When the order (or the shipment, if given) reached `anchor`
 * ("delivered", "shipped", "placed"); *found false if it has not. */
int ob_anchor_time(retain_engine *e, int64_t order_key, int64_t shipment_key,
                   const char *anchor, int64_t *at, bool *found);
/* Live messages of an order other than `exclude` (queued ones too when
 * with_queued): their category and template, for per-order limits. */
typedef struct ob_sibling {
    char category[OB_NAME], template_id[OB_ID];
    int64_t id;
} ob_sibling;
int ob_order_messages(retain_engine *e, int64_t order_key, int64_t exclude, bool with_queued,
                      ob_sibling *out, int cap, int *n);

/* Row ids from host ids, for messages the host queues (0 when absent). */
int ob_order_key(retain_engine *e, const char *ext_id, int64_t *key, int64_t *customer);
int ob_shipment_key(retain_engine *e, const char *ext_id, int64_t *key, int64_t *order_key);

/* ---- policy configuration ---------------------------------------------- */

int ob_policy_generation(retain_engine *e, int64_t *gen);
int ob_policy_bump(retain_engine *e);
int ob_quiet_each(retain_engine *e, int (*fn)(const char *channel, int start, int end, void *ctx),
                  void *ctx);
int ob_quiet_set(retain_engine *e, const char *channel, int start, int end); /* start==end: remove */
int ob_cap_each(retain_engine *e,
                int (*fn)(const char *channel, const char *category, int max, int64_t window,
                          void *ctx),
                void *ctx);
int ob_cap_set(retain_engine *e, const char *channel, const char *category, int max,
               int64_t window);
int ob_cap_remove(retain_engine *e, const char *channel, const char *category, bool *removed);
int ob_profile_each(retain_engine *e,
                    int (*fn)(const char *name, const char *source, const char *origin,
                              void *ctx),
                    void *ctx);
int ob_profile_put(retain_engine *e, const char *name, const char *source, const char *origin,
                   int64_t now);
int ob_profile_remove(retain_engine *e, const char *name, bool *removed);

/* ---- reading back ------------------------------------------------------- */

struct rt_buf;
/* The history of one message as a JSON array (appended to buf). */
int ob_history_json(retain_engine *e, int64_t id, struct rt_buf *buf);
/* Messages and message-less decisions of a journey instance of `customer`,
 * or of the customer (instance 0), as a JSON array (appended to buf). */
int ob_explain_json(retain_engine *e, int64_t instance, int64_t customer, struct rt_buf *buf);

#endif

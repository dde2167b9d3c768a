/*
 * retain/transport.h - delivery: the host's transports, the outbox, delivery
 * receipts.
 *
 * libretain never opens a socket. For every channel ("email", "sms",
 * "push", "whatsapp", "call", "webhook" ...) the host registers a transport:
 * a send callback with its userdata. A message that is due is first written
 * to the outbox, in the same transaction as the journey step (or host call)
 * that produced it. Transports are called after that transaction commits,
 * with no transaction open, and their answers are recorded in a later one
 * (per batch of messages; see retain_transport.batch).
 *
 * The contract: a crash at any instant leads at worst to the same message
 * being handed to the transport again, with the same idempotency key. The
 * host makes the provider call idempotent on that key (an Idempotency-Key
 * header, a deduplication table ...), and then no message is ever lost or
 * sent twice. See docs/delivery.md.
 */
#ifndef RETAIN_TRANSPORT_H
#define RETAIN_TRANSPORT_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_MESSAGE_VERSION 1

/**
 * A message handed to a transport. Every pointer is valid only during the
 * callback; copy what you keep. Members may be appended in later versions
 * (check `version`).
 */
typedef struct retain_message {
    unsigned int version;        /**< RETAIN_MESSAGE_VERSION */
    int64_t id;                  /**< outbox id: pass it to retain_message_report() */
    /** 64 hex digits, the same for every attempt of this message and on every
     *  machine: a SHA-256 of journey, version, instance and step (and channel
     *  for a fallback), or of the host's id for retain_message_queue(). */
    const char *idempotency_key;
    const char *customer_id;     /**< the host's customer id */
    const char *channel;
    const char *category;        /**< "transactional", "marketing", "feedback" ... */
    const char *template_id;     /**< NULL when the step names none */
    const char *locale;          /**< the customer's BCP 47 locale, or NULL */
    /** Where to send: the e-mail address for "email", the E.164 number for
     *  "sms", "whatsapp" and "call", the customer id for other channels. */
    const char *recipient;
    /** JSON object with what a template needs: "customer", "order",
     *  "lines", "shipment", "unsubscribe" (non-transactional messages:
     *  data for an RFC 8058 one-click link), and whatever the journey added
     *  ("coupon", "recommendations" ...). Marketplace profiles may have
     *  removed keys and links. */
    const char *payload_json;
    int attempt;                 /**< 1 on the first call, 2 on the first retry ... */
    int max_attempts;            /**< the message dies after this attempt */
    int64_t now;                 /**< the `now` the delivery run was given (ms UTC) */
    int64_t due_at;              /**< when the message became due (ms UTC) */
    const char *journey;         /**< NULL for messages queued by the host */
    int journey_version;
    const char *step;            /**< NULL for messages queued by the host */
    const char *host_id;         /**< retain_message_spec.host_id, or NULL */
    const char *order_id;        /**< the host's order id, or NULL */
    int64_t fallback_of;         /**< outbox id of the message this one replaces, or 0 */
} retain_message;

/** What a send callback returns. Any other value is recorded as garbage and
 *  treated as RETAIN_SEND_RETRY. */
typedef enum retain_send_outcome {
    RETAIN_SEND_SENT = 1,   /**< the provider accepted it; set result->provider_id */
    RETAIN_SEND_RETRY = 2,  /**< try again later; result->retry_after_ms may say when */
    RETAIN_SEND_FAILED = 3  /**< it can never succeed; result->reason says why */
} retain_send_outcome;

/** Filled by a send callback; the library zeroes it before each call. */
typedef struct retain_send_result {
    char provider_id[128];   /**< SENT: the provider's message id (optional) */
    int64_t retry_after_ms;  /**< RETRY: wait at least this long; 0: exponential backoff */
    /** FAILED: "bounced", "invalid_address", "blocked", "unsubscribed" ...;
     *  RETRY: an optional note. */
    char reason[128];
} retain_send_result;

/**
 * Send one message. Return a retain_send_outcome, or RETAIN_EUSER to stop
 * the delivery run (the message is retried at once by the next run and the
 * run returns RETAIN_EUSER). The callback must not call any function of the
 * same engine (they return RETAIN_EMISUSE); other engines may be used.
 */
typedef int (*retain_send_fn)(const retain_message *msg, retain_send_result *result,
                              void *userdata);

/** Release the transport's userdata; called exactly once. */
typedef void (*retain_close_fn)(void *userdata);

#define RETAIN_TRANSPORT_VERSION 1

/** A transport for one channel. Start from RETAIN_TRANSPORT_INIT. */
typedef struct retain_transport {
    unsigned int version;    /**< RETAIN_TRANSPORT_VERSION */
    const char *channel;     /**< required: 1..64 of [a-z0-9_.-]; copied */
    retain_send_fn send;     /**< required */
    retain_close_fn close;   /**< optional: called when replaced, unregistered, or the engine closes */
    void *userdata;          /**< passed back untouched */
    int max_attempts;        /**< calls before a message dies; 0: 5; at most 100 */
    int64_t backoff_base_ms; /**< delay after the first retry; 0: 60 s */
    int64_t backoff_cap_ms;  /**< longest delay between attempts; 0: 6 h */
    /** How long a message handed to send() stays invisible to other delivery
     *  runs (other engines or processes on the same database) before it is
     *  considered lost (a crash) and handed over again; 0: 10 min. Make it
     *  longer than the slowest send. */
    int64_t lease_ms;
    /** Messages claimed together, and whose results are then recorded in one
     *  transaction; 0: 64, at most 1000. A crash while a batch is out may
     *  hand up to this many sent messages over again (same keys); 1 records
     *  every result in a transaction of its own. Keep batch times the
     *  slowest send below lease_ms. */
    int batch;
} retain_transport;

#define RETAIN_TRANSPORT_INIT { RETAIN_TRANSPORT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/**
 * Register the transport for t->channel. A transport already registered for
 * that channel is replaced (its close callback is called). If this fails,
 * t->close is not called. Transports belong to the engine, not the database:
 * register them after every retain_engine_open().
 */
RETAIN_API int retain_transport_register(retain_engine *e, const retain_transport *t);

/** Remove the channel's transport, calling its close callback;
 *  RETAIN_ENOTFOUND if none is registered. Its messages stay queued. */
RETAIN_API int retain_transport_unregister(retain_engine *e, const char *channel);

/* ---- messages queued by the host ---------------------------------------- */

/** What the policy gate does with a message held by quiet hours or caps. */
typedef enum retain_on_policy {
    RETAIN_ON_POLICY_DEFER = 0, /**< wait for the next allowed time */
    RETAIN_ON_POLICY_SKIP = 1   /**< drop the message, recording why */
} retain_on_policy;

#define RETAIN_MESSAGE_SPEC_VERSION 1

/** A message the host queues itself, outside journeys. Start from
 *  RETAIN_MESSAGE_SPEC_INIT. */
typedef struct retain_message_spec {
    unsigned int version;          /**< RETAIN_MESSAGE_SPEC_VERSION */
    /** Required: the host's id for this message. Queuing the same id again
     *  returns the message already queued (its key is a hash of this id). */
    const char *host_id;
    const char *customer_id;       /**< required */
    const char *channel;           /**< required */
    const char *category;          /**< required: "transactional", "marketing" ... */
    const char *template_id;       /**< optional */
    const char *order_id;          /**< optional: the order the message is about */
    const char *shipment_id;       /**< optional: the shipment it is about */
    const char *fallback_channel;  /**< optional: queued when this message dies */
    int64_t due_at;                /**< RETAIN_TIME_NONE: now */
    int64_t max_age_ms;            /**< skip if not sent by due_at + max_age; 0: no limit */
    retain_on_policy on_quiet;
    retain_on_policy on_cap;
    const char *extra_json;        /**< JSON object merged into the payload, or NULL */
} retain_message_spec;

#define RETAIN_MESSAGE_SPEC_INIT { RETAIN_MESSAGE_SPEC_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, \
                                   RETAIN_TIME_NONE, 0, RETAIN_ON_POLICY_DEFER,          \
                                   RETAIN_ON_POLICY_DEFER, 0 }

/** The policy gate's decision about a message. */
typedef enum retain_gate_decision {
    RETAIN_GATE_QUEUED = 0,   /**< in the outbox, due at not_before */
    RETAIN_GATE_DEFERRED = 1, /**< in the outbox, held by policy until not_before */
    RETAIN_GATE_SKIPPED = 2   /**< not queued; reason says why */
} retain_gate_decision;

/** What the policy gate decided for a message handed to retain_message_queue(). */
typedef struct retain_queue_result {
    retain_gate_decision decision;
    int64_t message_id;   /**< outbox id, 0 when skipped */
    int64_t not_before;   /**< earliest send time (queued, deferred) */
    char reason[160];     /**< "quiet hours for sms until 08:00 America/New_York" ... */
} retain_queue_result;

/**
 * Put a message through the policy gate (consent, marketplace profile,
 * staleness, quiet hours, caps) and into the outbox. `out` may be NULL.
 * A skip is not an error: it returns RETAIN_OK with out->decision set.
 */
RETAIN_API int retain_message_queue(retain_queue_result *out, retain_engine *e,
                                    const retain_message_spec *spec, int64_t now);

/** What a delivery run did. */
typedef struct retain_delivery_stats {
    int64_t sent;      /**< accepted by transports */
    int64_t retried;   /**< to be tried again later */
    int64_t failed;    /**< died (permanent failure or out of attempts) */
    int64_t skipped;   /**< stopped by the gate just before sending */
    int64_t deferred;  /**< held by quiet hours, caps or a marketplace window */
} retain_delivery_stats;

/**
 * Hand every outbox message due at `now` to its channel's transport and
 * record the results; retain_engine_tick() does this after advancing
 * journeys. Use it alone in a process that only delivers. Must be called
 * outside retain_begin()/retain_commit(). Messages of channels without a
 * transport in this engine stay queued. `out` may be NULL.
 */
RETAIN_API int retain_outbox_deliver(retain_delivery_stats *out, retain_engine *e, int64_t now);

/* ---- delivery receipts -------------------------------------------------- */

/** What the provider reported about a sent message. */
typedef enum retain_receipt {
    RETAIN_RECEIPT_DELIVERED = 1,
    RETAIN_RECEIPT_OPENED = 2,
    RETAIN_RECEIPT_CLICKED = 3,
    RETAIN_RECEIPT_BOUNCED = 4,
    RETAIN_RECEIPT_COMPLAINED = 5,   /**< marked as spam: revokes consent */
    RETAIN_RECEIPT_UNSUBSCRIBED = 6  /**< e.g. an RFC 8058 one-click POST: revokes consent */
} retain_receipt;

/**
 * Record a receipt for a message that was handed to a transport. It becomes
 * the event "message.delivered" ("message.opened", ...) of the customer,
 * which journeys can wait for, with props {message_id, channel, category,
 * template, journey, step}. A complaint or an unsubscribe also revokes the
 * consent of the message's channel and category at `at`. The same receipt
 * reported twice (same status and time) is recorded once.
 */
RETAIN_API int retain_message_report(retain_engine *e, int64_t message_id, retain_receipt status,
                                     int64_t at);

/** The outbox id of the message with this idempotency key. */
RETAIN_API int retain_message_find(int64_t *id_out, retain_engine *e,
                                   const char *idempotency_key);

/** The outbox id of the message a channel's provider knows as `provider_id`. */
RETAIN_API int retain_message_find_provider(int64_t *id_out, retain_engine *e,
                                            const char *channel, const char *provider_id);

/* ---- the outbox --------------------------------------------------------- */

/** States of an outbox message, as bits so that queries can combine them. */
typedef enum retain_outbox_state {
    RETAIN_OUTBOX_QUEUED = 1,     /**< waiting for not_before (maybe held by policy, or retrying) */
    RETAIN_OUTBOX_SENDING = 2,    /**< handed to a transport; result not yet recorded */
    RETAIN_OUTBOX_SENT = 4,       /**< accepted by the transport */
    RETAIN_OUTBOX_DEAD = 8,       /**< failed permanently or ran out of attempts */
    RETAIN_OUTBOX_SKIPPED = 16,   /**< stopped by the policy gate before sending */
    RETAIN_OUTBOX_CANCELLED = 32  /**< cancelled by the host */
} retain_outbox_state;

/** Queued or being sent. */
#define RETAIN_OUTBOX_PENDING (RETAIN_OUTBOX_QUEUED | RETAIN_OUTBOX_SENDING)

/** An outbox message. Strings are NULL when absent. */
typedef struct retain_outbox_entry {
    int64_t id;
    const char *idempotency_key;
    const char *customer_id;
    const char *channel;
    const char *category;
    const char *template_id;
    const char *journey;
    int journey_version;
    const char *step;
    const char *host_id;
    const char *order_id;
    const char *recipient;       /**< as of the last attempt */
    retain_outbox_state state;
    int attempts;                /**< transport calls so far */
    int64_t created_at;
    int64_t due_at;
    int64_t not_before;          /**< next attempt (queued), lease end (sending) */
    int64_t updated_at;
    int64_t sent_at;             /**< RETAIN_TIME_NONE unless sent */
    int64_t expires_at;          /**< due_at + max_age, or RETAIN_TIME_NONE */
    const char *provider_id;
    const char *last_reason;     /**< why it is held, retried, skipped or dead */
    const char *delivery;        /**< latest receipt ("delivered", "opened" ...) */
    const char *payload_json;
    int64_t fallback_of;         /**< 0 unless it replaces a dead message */
} retain_outbox_entry;

#define RETAIN_OUTBOX_QUERY_VERSION 1

/** Which outbox messages to list. Start from RETAIN_OUTBOX_QUERY_INIT. */
typedef struct retain_outbox_query {
    unsigned int version;     /**< RETAIN_OUTBOX_QUERY_VERSION */
    /** Bitwise OR of retain_outbox_state; 0: every state. Pending-only
     *  queries list the next due first; the others list the most recently
     *  updated first. */
    unsigned int states;
    const char *customer_id;  /**< NULL: every customer */
    int64_t since;            /**< only messages updated at or after; RETAIN_TIME_NONE: all */
    size_t limit;             /**< 0: no limit */
} retain_outbox_query;

#define RETAIN_OUTBOX_QUERY_INIT { RETAIN_OUTBOX_QUERY_VERSION, 0, 0, RETAIN_TIME_NONE, 0 }

typedef struct retain_outbox_iter retain_outbox_iter;

/** List outbox messages; `q` NULL lists all. The iterator reads one
 *  snapshot; outside retain_begin() it reads through a connection of its
 *  own, so the engine may write (cancel, retry, report) while it is open. */
RETAIN_API int retain_outbox_iter_open(retain_outbox_iter **out, retain_engine *e,
                                       const retain_outbox_query *q);
/** RETAIN_ROW with *row set (valid until the next call), RETAIN_DONE, or an error. */
RETAIN_API int retain_outbox_iter_next(retain_outbox_iter *it, const retain_outbox_entry **row);
/** NULL is a no-op. */
RETAIN_API void retain_outbox_iter_free(retain_outbox_iter *it);

/** Read one message; free it with retain_outbox_entry_free(). */
RETAIN_API int retain_outbox_get(retain_outbox_entry **out, retain_engine *e, int64_t message_id);
/** NULL is a no-op. */
RETAIN_API void retain_outbox_entry_free(retain_outbox_entry *m);

/**
 * The message's history as a JSON array, oldest first: queued, every
 * policy decision (deferred until T, skipped because X, dead ...), every
 * transport attempt with its outcome, and receipts. Free with retain_free().
 */
RETAIN_API int retain_outbox_history(char **json_out, retain_engine *e, int64_t message_id);

/**
 * Make a queued, dead, skipped or cancelled message due again at `now`,
 * with a fresh budget of attempts. The policy gate still runs before it is
 * sent. A sent message cannot be retried (RETAIN_ECONFLICT).
 */
RETAIN_API int retain_outbox_retry(retain_engine *e, int64_t message_id, int64_t now);

/**
 * Cancel a queued message. A message that is sent, dead, or being sent by
 * another engine whose lease has not run out returns RETAIN_ECONFLICT.
 */
RETAIN_API int retain_outbox_cancel(retain_engine *e, int64_t message_id, int64_t now);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_TRANSPORT_H */

/*
 * dispatch.h (internal) - the seam between the journey runner and delivery.
 *
 * The runner calls rt_dispatch_enqueue() inside the transaction that
 * advances a journey instance: the policy gate decides, and a due message
 * becomes an outbox row in that same transaction. After the runner's
 * transactions commit, rt_dispatch_run() hands due outbox rows to the host's
 * transports and records each result in a transaction of its own.
 */
#ifndef RT_DISPATCH_H
#define RT_DISPATCH_H

#include "core/engine.h"

typedef enum rt_on_policy {
    RT_POLICY_DEFER = 0, /* wait for the next allowed time (default) */
    RT_POLICY_SKIP = 1   /* drop the message and record why */
} rt_on_policy;

typedef struct rt_send_request {
    int64_t customer_key;      /* customer row id */
    int64_t instance_id;       /* journey instance row id, 0 when none */
    const char *journey;       /* journey name, NULL when none */
    int journey_version;
    const char *step_id;       /* step id, NULL when none */
    const char *channel;       /* "email", "sms" ... */
    const char *category;      /* "transactional", "marketing", "feedback" ... */
    const char *template_id;
    const char *fallback_channel; /* channel to try when this one dies, or NULL */
    int64_t due_at;            /* when the journey reached the step (ms UTC) */
    int64_t max_age_ms;        /* skip if not sent by due_at + max_age; 0 = no limit */
    rt_on_policy on_quiet;     /* quiet hours: defer or skip */
    rt_on_policy on_cap;       /* frequency caps: defer or skip */
    int64_t order_key;         /* order in context, 0 when none */
    int64_t shipment_key;      /* shipment in context, 0 when none */
    const char *extra_json;    /* JSON object merged into the payload (coupon ...), or NULL */
    /* Added by delivery: */
    const char *host_id;       /* host's id of a message without a journey (key source) */
    /* Added by the domain: */
    bool unless_delivered;     /* skip, even when queued, once the shipment is delivered */
} rt_send_request;

typedef enum rt_gate_decision {
    RT_GATE_QUEUED = 0,   /* in the outbox, due at not_before */
    RT_GATE_DEFERRED = 1, /* in the outbox, held until not_before (quiet hours, cap) */
    RT_GATE_SKIPPED = 2   /* not sent; reason says why (consent, marketplace, stale ...) */
} rt_gate_decision;

typedef struct rt_gate_result {
    rt_gate_decision decision;
    int64_t not_before;    /* earliest send time for queued/deferred */
    int64_t message_id;    /* outbox row id, 0 when skipped */
    char reason[160];      /* "quiet hours for sms until 08:00 America/New_York" ... */
} rt_gate_result;

/* Gate and enqueue one message; call inside rt_tx_begin/rt_tx_end. The
 * idempotency key is derived from journey, version, instance and step (and
 * channel for fallbacks), so the same step never yields two messages. */
int rt_dispatch_enqueue(retain_engine *e, const rt_send_request *req, int64_t now,
                        rt_gate_result *out);

/* What the gate would decide now, without writing anything (next/explain). */
int rt_dispatch_preview(retain_engine *e, const rt_send_request *req, int64_t now,
                        rt_gate_result *out);

/* Counters filled by a dispatch run (added into the tick's statistics). */
typedef struct rt_dispatch_stats {
    int64_t sent, retried, failed, skipped, deferred;
} rt_dispatch_stats;

/* Deliver every outbox message due at `now` through the registered
 * transports: claimed a batch at a time in one transaction, handed over with
 * none open, the batch's results recorded in a second (run.c). Must be
 * called outside any transaction. */
int rt_dispatch_run(retain_engine *e, int64_t now, rt_dispatch_stats *stats);

/* Free transports and dispatch state (called by retain_engine_close). */
void rt_dispatch_free(retain_engine *e);

/* Added by delivery, for explain: append to `buf` a JSON array of the
 * messages of journey instance `instance_id` (when not 0; it must be one
 * of customer row `customer_key`'s) or else of customer `customer_key`, each with its state and history (queued,
 * deferred until T, skipped because X, attempts, dead, receipts), plus the
 * decisions that produced no message (skipped when queued):
 *   [{"message_id":12,"key":"..","journey":"..","step":"..","channel":"sms",
 *     "category":"..","template":"..","state":"sent","not_before":..,
 *     "sent_at":..,"attempts":1,"delivery":"delivered","last_reason":"..",
 *     "history":[{"at":..,"event":"queued","due_at":..},
 *                {"at":..,"event":"deferred","stage":"enqueue","until":..,
 *                 "rule":"quiet_hours","reason":"quiet hours for sms until 08:00 ..."},
 *                {"at":..,"event":"attempt","attempt":1,"outcome":"sent",
 *                 "provider_id":".."},
 *                {"at":..,"event":"receipt","status":"delivered"}]},
 *    {"message_id":null,"key":"..","step":"..","channel":"email",
 *     "state":"skipped","at":..,"stage":"enqueue","rule":"consent",
 *     "reason":"no consent for email/marketing"}] */
struct rt_buf;
int rt_dispatch_explain(retain_engine *e, int64_t instance_id, int64_t customer_key,
                        struct rt_buf *buf);

#endif

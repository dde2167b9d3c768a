/*
 * api.c - what the host does with outbox messages after they are queued:
 * delivery receipts, look-ups, history, retry and cancel; and the explain
 * data for journeys.
 */
#include "state.h"
#include "policy/policy.h"
#include "store/outbox.h"
#include "store/event.h"
#include "core/buf.h"
#include "core/check.h"
#include "retain/customer.h"

#include <string.h>

static const char *receipt_name(retain_receipt s)
{
    switch (s) {
    case RETAIN_RECEIPT_DELIVERED: return "delivered";
    case RETAIN_RECEIPT_OPENED: return "opened";
    case RETAIN_RECEIPT_CLICKED: return "clicked";
    case RETAIN_RECEIPT_BOUNCED: return "bounced";
    case RETAIN_RECEIPT_COMPLAINED: return "complained";
    case RETAIN_RECEIPT_UNSUBSCRIBED: return "unsubscribed";
    }
    return NULL;
}

static int get_row(retain_engine *e, int64_t id, ob_row *r)
{
    bool found = false;
    int rc = ob_get(e, id, false, r, &found);
    if (rc == RETAIN_OK && !found)
        rc = rt_error(e, RETAIN_ENOTFOUND, "message %lld does not exist", (long long)id);
    return rc;
}

static int report(retain_engine *e, int64_t id, const char *status, bool revokes, int64_t at)
{
    ob_row r;
    int rc = get_row(e, id, &r);
    if (rc)
        return rc;
    if (r.attempts == 0)
        return rt_error(e, RETAIN_ECONFLICT,
                        "message %lld was never handed to a transport (it is %s); a receipt "
                        "needs a sent message",
                        (long long)id, r.state);
    bool inserted = false;
    if ((rc = ob_receipt(e, id, status, at, &inserted)) || !inserted)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_printf(&b, "{\"message_id\":%lld,\"channel\":", (long long)id);
    rt_buf_json_str(&b, r.channel);
    rt_buf_puts(&b, ",\"category\":");
    rt_buf_json_str(&b, r.category);
    rt_buf_puts(&b, ",\"template\":");
    rt_buf_json_str(&b, r.has_template ? r.template_id : NULL);
    rt_buf_puts(&b, ",\"journey\":");
    rt_buf_json_str(&b, r.has_journey ? r.journey : NULL);
    rt_buf_puts(&b, ",\"step\":");
    rt_buf_json_str(&b, r.has_step ? r.step : NULL);
    rt_buf_putc(&b, '}');
    char *props = NULL;
    if (rt_buf_finish(&b, &props))
        return rt_nomem(e);
    char name[32];
    rt_format(name, sizeof name, "message.%s", status);
    rc = rt_event_emit(e, r.customer, name, at, props, r.order_key, r.shipment_key);
    rt_free(&e->alloc, props);
    if (rc || !revokes)
        return rc;
    ob_customer c;
    bool found = false;
    if ((rc = ob_customer_get(e, r.customer, &c, &found)) || !found)
        return rc;
    char source[64];
    rt_format(source, sizeof source, "message.%s (message %lld)", status, (long long)id);
    rc = retain_consent_set(e, c.ext_id, r.channel, r.category, RETAIN_CONSENT_REVOKED, at,
                            source);
    return rc;
}

int retain_message_report(retain_engine *e, int64_t message_id, retain_receipt status,
                          int64_t at)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc)
        return rc;
    const char *name = receipt_name(status);
    if (!name)
        return rt_error(e, RETAIN_EINVAL,
                        "status is %d; use a RETAIN_RECEIPT_* value (delivered, opened, clicked, "
                        "bounced, complained, unsubscribed)",
                        (int)status);
    if ((rc = rt_check_time(e, "at", at)) || (rc = rt_tx_begin(e)))
        return rc;
    bool revokes = status == RETAIN_RECEIPT_COMPLAINED || status == RETAIN_RECEIPT_UNSUBSCRIBED;
    return rt_tx_end(e, report(e, message_id, name, revokes, at));
}

int retain_message_find(int64_t *id_out, retain_engine *e, const char *idempotency_key)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "id_out", id_out)))
        return rc;
    *id_out = 0;
    if ((rc = rt_check_id(e, "idempotency_key", idempotency_key)))
        return rc;
    return ob_id_by_key(e, idempotency_key, id_out);
}

int retain_message_find_provider(int64_t *id_out, retain_engine *e, const char *channel,
                                 const char *provider_id)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "id_out", id_out)))
        return rc;
    *id_out = 0;
    if ((rc = rt_check_name(e, "channel", channel)) ||
        (rc = rt_check_id(e, "provider_id", provider_id)))
        return rc;
    return ob_id_by_provider(e, channel, provider_id, id_out);
}

int retain_outbox_history(char **json_out, retain_engine *e, int64_t message_id)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "json_out", json_out)))
        return rc;
    *json_out = NULL;
    ob_row r;
    if ((rc = get_row(e, message_id, &r)))
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    if ((rc = ob_history_json(e, message_id, &b))) {
        rt_buf_free(&b);
        return rc;
    }
    if (rt_buf_finish(&b, json_out))
        return rt_nomem(e);
    return RETAIN_OK;
}

static int host_decision(retain_engine *e, const ob_row *r, int64_t now, const char *decision,
                         const char *reason)
{
    ob_decision d = { r->customer, r->id, r->instance, r->key, r->has_step ? r->step : NULL,
                      r->channel, now, "host", decision, INT64_MIN, NULL, reason };
    return ob_decide(e, &d);
}

/* A claim whose lease has not run out belongs to a delivery run in progress. */
static bool in_flight(const ob_row *r, int64_t now)
{
    return !strcmp(r->state, "sending") && r->not_before > now;
}

static int retry(retain_engine *e, int64_t id, int64_t now)
{
    ob_row r;
    int rc = get_row(e, id, &r);
    if (rc)
        return rc;
    if (!strcmp(r.state, "sent"))
        return rt_error(e, RETAIN_ECONFLICT, "message %lld was sent already; it cannot be retried",
                        (long long)id);
    if (in_flight(&r, now))
        return rt_error(e, RETAIN_ECONFLICT,
                        "message %lld is being sent by a delivery run (lease until %lld)",
                        (long long)id, (long long)r.not_before);
    if ((rc = ob_requeue(e, id, now)))
        return rc;
    char why[80];
    rt_format(why, sizeof why, "retried by the host (was %s)", r.state);
    return host_decision(e, &r, now, "retried", why);
}

int retain_outbox_retry(retain_engine *e, int64_t message_id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, retry(e, message_id, now));
}

static int cancel(retain_engine *e, int64_t id, int64_t now)
{
    ob_row r;
    int rc = get_row(e, id, &r);
    if (rc)
        return rc;
    bool pending = !strcmp(r.state, "queued") || !strcmp(r.state, "sending");
    if (!pending || in_flight(&r, now))
        return rt_error(e, RETAIN_ECONFLICT, "message %lld is %s%s; only a queued message can be "
                        "cancelled",
                        (long long)id, in_flight(&r, now) ? "being sent" : r.state,
                        in_flight(&r, now) ? " by a delivery run" : "");
    if ((rc = ob_finish(e, id, "cancelled", "cancelled by the host", now)))
        return rc;
    return host_decision(e, &r, now, "cancelled", "cancelled by the host");
}

int retain_outbox_cancel(retain_engine *e, int64_t message_id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, cancel(e, message_id, now));
}

int rt_dispatch_explain(retain_engine *e, int64_t instance_id, int64_t customer_key,
                        struct rt_buf *buf)
{
    /* The instance's customer too: its messages are found through the
     * customer's (schema 5 has no index on outbox.instance). */
    if (!customer_key)
        return rt_error(e, RETAIN_EINVAL, "explain needs a customer");
    return ob_explain_json(e, instance_id, customer_key, buf);
}

/*
 * enqueue.c - from a send request to an outbox row: the idempotency key, the
 * policy gate, the payload, and the recorded decision; all inside the
 * caller's transaction, so a journey step and its message commit together.
 */
#include "state.h"
#include "key.h"
#include "policy/policy.h"
#include "store/outbox.h"
#include "store/domain_store.h"
#include "core/check.h"

#include <string.h>

static int validate(retain_engine *e, const rt_send_request *r)
{
    int rc;
    if ((rc = rt_check_ptr(e, "send request", r)))
        return rc;
    if (r->customer_key <= 0)
        return rt_error(e, RETAIN_EINVAL, "send request has no customer (row %lld)",
                        (long long)r->customer_key);
    if ((rc = rt_check_name(e, "channel", r->channel)) ||
        (rc = rt_check_name(e, "category", r->category)))
        return rc;
    if (r->fallback_channel && (rc = rt_check_name(e, "fallback channel", r->fallback_channel)))
        return rc;
    if (r->fallback_channel && !strcmp(r->fallback_channel, r->channel))
        return rt_error(e, RETAIN_EINVAL, "the fallback channel is the channel itself (%s)",
                        r->channel);
    if (r->template_id && (rc = rt_check_id(e, "template", r->template_id)))
        return rc;
    if (r->journey) {
        if ((rc = rt_check_id(e, "journey", r->journey)) ||
            (rc = rt_check_id(e, "step", r->step_id)))
            return rc;
        if (strlen(r->journey) > 64 || strlen(r->step_id) > 64)
            return rt_error(e, RETAIN_EINVAL, "journey and step names are at most 64 bytes");
    } else if ((rc = rt_check_id(e, "host id", r->host_id))) {
        return rt_error(e, RETAIN_EINVAL,
                        "a message needs a journey step or a host id to derive its key: %s",
                        e->errmsg);
    }
    if ((rc = rt_check_time(e, "due_at", r->due_at)))
        return rc;
    if (r->max_age_ms < 0 || r->max_age_ms > 3660LL * 86400000)
        return rt_error(e, RETAIN_EINVAL, "max_age is %lld ms; it must be 0 (none) to 10 years",
                        (long long)r->max_age_ms);
    if ((r->on_quiet != RT_POLICY_DEFER && r->on_quiet != RT_POLICY_SKIP) ||
        (r->on_cap != RT_POLICY_DEFER && r->on_cap != RT_POLICY_SKIP))
        return rt_error(e, RETAIN_EINVAL, "on_quiet and on_cap must be defer or skip");
    return rt_check_json_object(e, "extra_json", r->extra_json);
}

static void key_of(const rt_send_request *r, bool fallback, char key[RT_KEY_SIZE])
{
    const char *fb = fallback ? r->channel : NULL;
    if (r->journey)
        rt_key_journey(r->journey, r->journey_version, r->instance_id, r->step_id, fb, key);
    else
        rt_key_host(r->host_id, fb, key);
}

/* What became of a message queued before under the same key. */
static void report_existing(const ob_row *row, int64_t now, rt_gate_result *out)
{
    out->message_id = row->id;
    out->not_before = row->not_before;
    if (!strcmp(row->state, "queued") || !strcmp(row->state, "sending")) {
        bool held = row->last_reason[0] && row->not_before > now;
        out->decision = held ? RT_GATE_DEFERRED : RT_GATE_QUEUED;
        if (held)
            rt_copy(out->reason, sizeof out->reason, row->last_reason);
    } else if (!strcmp(row->state, "sent")) {
        out->decision = RT_GATE_QUEUED;
        out->not_before = row->sent_at;
        rt_format(out->reason, sizeof out->reason, "already sent (message %lld)",
                  (long long)row->id);
    } else {
        out->decision = RT_GATE_SKIPPED;
        rt_format(out->reason, sizeof out->reason, "message %lld is %s%s%.120s",
                  (long long)row->id, row->state, row->last_reason[0] ? ": " : "",
                  row->last_reason);
    }
}

int rt_enqueue(retain_engine *e, const rt_send_request *r, int64_t now,
               const rt_enqueue_extra *x, bool write, rt_gate_result *out)
{
    memset(out, 0, sizeof *out);
    int rc = validate(e, r);
    if (rc)
        return rc;
    bool fallback = x && x->fallback_of;
    char key[RT_KEY_SIZE];
    key_of(r, fallback, key);
    /* A message already queued under this key is reported as it is. When
     * writing, the insert itself finds it (a duplicate is rare); a skip is
     * checked first, so that it is not recorded for an existing message. */
    ob_row existing;
    bool found = false;
    if (!write && (rc = ob_find_key(e, key, &existing, &found)))
        return rc;
    if (found) {
        report_existing(&existing, now, out);
        return RETAIN_OK;
    }
    int64_t expires = INT64_MAX;
    if (fallback)
        expires = x->expires_at;
    else if (r->max_age_ms > 0)
        expires = r->due_at + r->max_age_ms;
    /* A delay notice's guard: asked for by the step, or inherited by the
     * fallback of a guarded message. */
    int64_t guard = 0, delivered = INT64_MIN;
    if (fallback)
        rc = ds_guard_get(e, x->fallback_of, &guard, &delivered);
    else if (r->unless_delivered && (r->shipment_key || r->order_key))
        rc = ds_shipment_delivered(e, r->shipment_key, r->order_key, &guard, &delivered);
    if (rc)
        return rc;
    rt_gate_in in = {
        RT_STAGE_ENQUEUE, 0, r->customer_key, r->channel, r->category, r->template_id,
        r->order_key, r->shipment_key, r->due_at, expires, r->on_quiet, r->on_cap, NULL,
        guard != 0,
    };
    rt_gate_out g;
    if ((rc = rt_gate(e, &in, now, &g)))
        return rc;
    out->decision = g.decision;
    out->not_before = g.not_before;
    rt_copy(out->reason, sizeof out->reason, g.reason);
    if (!write)
        return RETAIN_OK;
    ob_decision d = {
        r->customer_key, 0, r->instance_id, key, r->step_id, r->channel, now, "enqueue",
        g.decision == RT_GATE_SKIPPED ? "skipped" : "deferred", g.not_before, g.rule, g.reason,
    };
    if (g.decision == RT_GATE_SKIPPED) {
        if ((rc = ob_find_key(e, key, &existing, &found)))
            return rc;
        if (found) {
            memset(out, 0, sizeof *out);
            report_existing(&existing, now, out);
            return RETAIN_OK;
        }
        d.until = INT64_MIN;
        return ob_decide(e, &d);
    }
    char *payload = NULL, *filtered = NULL;
    if (fallback && x->payload)
        rc = ob_payload_readdress(e, x->payload, r->channel, key, &payload);
    else {
        ob_payload_in pin = { r->customer_key, r->order_key, r->shipment_key, r->channel,
                              r->category, key, r->extra_json };
        rc = ob_payload_build(e, &pin, &payload);
    }
    char note[400];
    note[0] = '\0';
    if (rc == RETAIN_OK)
        rc = rt_gate_filter_payload(e, &g, payload, &filtered, note, sizeof note);
    int64_t id = 0;
    if (rc == RETAIN_OK) {
        ob_new m = {
            key, r->customer_key, r->instance_id, r->journey, r->journey_version, r->step_id,
            r->journey ? NULL : r->host_id, r->channel, r->category, r->template_id,
            fallback ? NULL : r->fallback_channel, fallback ? x->fallback_of : 0, r->order_key,
            r->shipment_key, g.recipient, filtered ? filtered : payload, r->due_at, expires,
            g.not_before, (int)r->on_quiet, (int)r->on_cap,
            g.decision == RT_GATE_DEFERRED ? g.reason : NULL, now,
        };
        rc = ob_insert(e, &m, &id);
    }
    rt_free(&e->alloc, payload);
    rt_free(&e->alloc, filtered);
    if (rc)
        return rc;
    if (id == 0) { /* the key existed */
        if ((rc = ob_find_key(e, key, &existing, &found)))
            return rc;
        memset(out, 0, sizeof *out);
        if (found)
            report_existing(&existing, now, out);
        return RETAIN_OK;
    }
    out->message_id = id;
    if (guard && (rc = ds_guard_add(e, id, guard)))
        return rc;
    d.message = id;
    if (g.decision == RT_GATE_DEFERRED && (rc = ob_decide(e, &d)))
        return rc;
    if (note[0]) {
        char reason[480];
        rt_format(reason, sizeof reason, "removed by marketplace profile %s: %s",
                  g.profiles[0]->name, note);
        ob_decision pd = { r->customer_key, id, r->instance_id, key, r->step_id, r->channel,
                           now, "enqueue", "payload", INT64_MIN, "marketplace", reason };
        if ((rc = ob_decide(e, &pd)))
            return rc;
    }
    return RETAIN_OK;
}

int rt_dispatch_enqueue(retain_engine *e, const rt_send_request *req, int64_t now,
                        rt_gate_result *out)
{
    rt_gate_result local;
    if (!out)
        out = &local;
    /* Inside the runner's transaction this joins it; alone it is its own. */
    int rc = rt_tx_begin(e);
    if (rc)
        return rc;
    return rt_tx_end(e, rt_enqueue(e, req, now, NULL, true, out));
}

int rt_dispatch_preview(retain_engine *e, const rt_send_request *req, int64_t now,
                        rt_gate_result *out)
{
    rt_gate_result local;
    return rt_enqueue(e, req, now, NULL, false, out ? out : &local);
}

/* ---- the public entry for host messages --------------------------------- */

static int validate_spec(retain_engine *e, const retain_message_spec *s)
{
    int rc;
    if ((rc = rt_check_ptr(e, "spec", s)))
        return rc;
    if (s->version == 0 || s->version > RETAIN_MESSAGE_SPEC_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "spec.version is %u; initialize with RETAIN_MESSAGE_SPEC_INIT",
                        s->version);
    if ((rc = rt_check_id(e, "spec.host_id", s->host_id)) ||
        (rc = rt_check_id(e, "spec.customer_id", s->customer_id)))
        return rc;
    if (s->order_id && (rc = rt_check_id(e, "spec.order_id", s->order_id)))
        return rc;
    if (s->shipment_id && (rc = rt_check_id(e, "spec.shipment_id", s->shipment_id)))
        return rc;
    if (s->due_at != RETAIN_TIME_NONE && (rc = rt_check_time(e, "spec.due_at", s->due_at)))
        return rc;
    return RETAIN_OK;
}

static int queue_message(retain_engine *e, const retain_message_spec *s, int64_t now,
                         rt_gate_result *g)
{
    rt_send_request r;
    memset(&r, 0, sizeof r);
    int rc = rt_customer_key(e, s->customer_id, &r.customer_key);
    if (rc)
        return rc;
    if (s->order_id) {
        int64_t owner;
        if ((rc = ob_order_key(e, s->order_id, &r.order_key, &owner)))
            return rc;
        if (!r.order_key)
            return rt_error(e, RETAIN_ENOTFOUND, "order \"%s\" does not exist", s->order_id);
        if (owner != r.customer_key)
            return rt_error(e, RETAIN_EINVAL, "order \"%s\" belongs to another customer",
                            s->order_id);
    }
    if (s->shipment_id) {
        int64_t order;
        if ((rc = ob_shipment_key(e, s->shipment_id, &r.shipment_key, &order)))
            return rc;
        if (!r.shipment_key)
            return rt_error(e, RETAIN_ENOTFOUND, "shipment \"%s\" does not exist",
                            s->shipment_id);
        if (r.order_key && order != r.order_key)
            return rt_error(e, RETAIN_EINVAL, "shipment \"%s\" is not part of order \"%s\"",
                            s->shipment_id, s->order_id);
        if (!r.order_key)
            r.order_key = order;
    }
    r.host_id = s->host_id;
    r.channel = s->channel;
    r.category = s->category;
    r.template_id = s->template_id;
    r.fallback_channel = s->fallback_channel;
    r.due_at = s->due_at == RETAIN_TIME_NONE ? now : s->due_at;
    r.max_age_ms = s->max_age_ms;
    r.on_quiet = s->on_quiet == RETAIN_ON_POLICY_SKIP ? RT_POLICY_SKIP
                 : s->on_quiet == RETAIN_ON_POLICY_DEFER ? RT_POLICY_DEFER
                                                         : (rt_on_policy)-1;
    r.on_cap = s->on_cap == RETAIN_ON_POLICY_SKIP ? RT_POLICY_SKIP
               : s->on_cap == RETAIN_ON_POLICY_DEFER ? RT_POLICY_DEFER
                                                     : (rt_on_policy)-1;
    r.extra_json = s->extra_json;
    return rt_enqueue(e, &r, now, NULL, true, g);
}

int retain_message_queue(retain_queue_result *out, retain_engine *e,
                         const retain_message_spec *spec, int64_t now)
{
    if (out)
        memset(out, 0, sizeof *out);
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = validate_spec(e, spec)) || (rc = rt_check_time(e, "now", now)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    rt_gate_result g;
    memset(&g, 0, sizeof g);
    rc = rt_tx_end(e, queue_message(e, spec, now, &g));
    if (rc == RETAIN_OK && out) {
        out->decision = (retain_gate_decision)g.decision;
        out->message_id = g.message_id;
        out->not_before = g.not_before;
        rt_copy(out->reason, sizeof out->reason, g.reason);
    }
    return rc;
}

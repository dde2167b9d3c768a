/*
 * run.c - delivery runs. Due outbox rows are claimed in batches (one
 * transaction: the gate runs again, and a claimed row is leased so other
 * engines leave it alone); each is handed to its transport with no
 * transaction open; then the batch's results are recorded in one
 * transaction (retain_transport.batch = 1: one result per transaction).
 * A crash before the results are recorded leaves the rows leased: when the
 * lease runs out they are handed over again, with the same idempotency keys.
 */
#include "state.h"
#include "key.h"
#include "policy/policy.h"
#include "store/outbox.h"
#include "store/event.h"
#include "store/store.h"
#include "core/buf.h"
#include "core/check.h"
#include "core/text.h"
#include "domain/domain.h"

#include <stdlib.h>
#include <string.h>

#define RETRY_AFTER_MAX (365LL * 86400000)

typedef enum outcome { O_SENT, O_RETRY, O_FAILED, O_GARBAGE, O_STOP } outcome;

typedef struct claimed {
    ob_row row;
    int attempt;
    int64_t old_not_before;
    char customer_ext[257];
    char recipient[320];
    char locale[40];
    outcome o;              /* what the transport answered */
    retain_send_result res;
} claimed;

static void free_rows(retain_engine *e, claimed *c, int n)
{
    for (int i = 0; i < n; i++) {
        rt_free(&e->alloc, c[i].row.payload);
        c[i].row.payload = NULL;
    }
}

static int decide(retain_engine *e, const ob_row *r, int64_t now, const char *stage,
                  const char *decision, int64_t until, const char *rule, const char *reason)
{
    ob_decision d = { r->customer, r->id, r->instance, r->key, r->has_step ? r->step : NULL,
                      r->channel, now, stage, decision, until, rule, reason };
    return ob_decide(e, &d);
}

/* ---- claiming ----------------------------------------------------------- */

static int claim_one(retain_engine *e, const rt_transport_slot *slot, const rt_policy *policy,
                     claimed *c, int64_t now, rt_dispatch_stats *st, bool *keep)
{
    ob_row *r = &c->row;
    *keep = false;
    int rc;
    if (!strcmp(r->state, "sending")) {
        /* Claimed before and never answered: the dispatcher died, or its
         * send outlived the lease. Record the lost attempt and go again. */
        rc = ob_attempt(e, r->id, r->attempts, now, "lost", NULL, INT64_MIN,
                        "no result was recorded before the lease ran out");
        if (rc)
            return rc;
    }
    rt_gate_in in = {
        RT_STAGE_SEND, r->id, r->customer, r->channel, r->category,
        r->has_template ? r->template_id : NULL, r->order_key, r->shipment_key, r->due_at,
        r->expires_at, (rt_on_policy)r->on_quiet, (rt_on_policy)r->on_cap, policy,
        false, /* the guard stored with the message decides */
    };
    rt_gate_out g;
    if ((rc = rt_gate(e, &in, now, &g)))
        return rc;
    if (g.decision == RT_GATE_SKIPPED) {
        st->skipped++;
        if ((rc = ob_finish(e, r->id, "skipped", g.reason, now)))
            return rc;
        return decide(e, r, now, "send", "skipped", INT64_MIN, g.rule, g.reason);
    }
    if (g.decision == RT_GATE_DEFERRED) {
        st->deferred++;
        if ((rc = ob_hold(e, r->id, g.not_before, g.reason, now)))
            return rc;
        return decide(e, r, now, "send", "deferred", g.not_before, g.rule, g.reason);
    }
    /* A code that stopped working since the message was queued (expired,
     * used up, revoked) is never handed to the customer. */
    bool coupon_ok = true;
    char why[200];
    if ((rc = rt_coupon_message_check(e, r->id, now, &coupon_ok, why, sizeof why)))
        return rc;
    if (!coupon_ok) {
        st->skipped++;
        if ((rc = ob_finish(e, r->id, "skipped", why, now)))
            return rc;
        return decide(e, r, now, "send", "skipped", INT64_MIN, "coupon", why);
    }
    c->attempt = r->attempts + 1;
    c->old_not_before = r->not_before;
    rt_copy(c->customer_ext, sizeof c->customer_ext, g.customer_ext);
    rt_copy(c->recipient, sizeof c->recipient, g.recipient);
    rt_copy(c->locale, sizeof c->locale, g.locale);
    *keep = true;
    return ob_claim(e, r->id, c->attempt, now + slot->t.lease_ms, g.recipient, now);
}

/* Claim up to the slot's batch of due messages. *seen is how many rows
 * were due (claimed or not), to know whether more may wait. */
static int claim(retain_engine *e, const rt_transport_slot *slot, int64_t now, claimed *batch,
                 ob_row *rows, int *n, int *seen, rt_dispatch_stats *st)
{
    *n = *seen = 0;
    /* A read first: with nothing due there is no write transaction (an
     * idle tick takes no write lock). */
    bool any = false;
    int rc = ob_due_any(e, slot->channel, now, &any);
    if (rc || !any)
        return rc;
    if ((rc = rt_tx_begin_worker(e)))
        return rc;
    /* The configuration cannot change under this transaction. */
    const rt_policy *policy = NULL;
    rc = rt_policy_get(e, &policy);
    if (rc == RETAIN_OK)
        rc = ob_due(e, slot->channel, now, rows, slot->t.batch, seen);
    rt_dispatch_stats local = *st;
    for (int i = 0; i < *seen && rc == RETAIN_OK; i++) {
        claimed *c = &batch[*n];
        memset(c, 0, sizeof *c);
        c->row = rows[i];
        rows[i].payload = NULL;
        bool keep = false;
        rc = claim_one(e, slot, policy, c, now, &local, &keep);
        if (keep)
            (*n)++;
        else
            free_rows(e, c, 1);
    }
    for (int i = 0; i < *seen; i++)
        rt_free(&e->alloc, rows[i].payload);
    rc = rt_tx_end(e, rc);
    if (rc) {
        free_rows(e, batch, *n);
        *n = 0;
        return rc;
    }
    *st = local;
    return RETAIN_OK;
}

/* Give claims that were never handed to the transport back to the queue. */
static void release(retain_engine *e, claimed *c, int n, int64_t now)
{
    if (n <= 0)
        return;
    int code = e->errcode;
    char msg[sizeof e->errmsg];
    memcpy(msg, e->errmsg, sizeof msg);
    if (rt_tx_begin_worker(e) == RETAIN_OK) {
        int rc = RETAIN_OK;
        for (int i = 0; i < n && rc == RETAIN_OK; i++)
            rc = ob_release(e, c[i].row.id, c[i].attempt, c[i].old_not_before, now);
        rt_tx_end(e, rc);
    }
    /* Best effort: if this fails too, the leases run out and they go again. */
    e->errcode = code;
    memcpy(e->errmsg, msg, sizeof msg);
}

/* ---- results ------------------------------------------------------------ */

/* Keep what a transport wrote printable: cut at the buffer's end, replace
 * bytes that are not valid UTF-8 text. */
static void sanitize(char *s, size_t size)
{
    s[size - 1] = '\0';
    size_t n = strlen(s);
    if (rt_utf8_valid(s, n)) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20)
                s[i] = ' ';
        return;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7F)
            s[i] = '?';
}

static int failed_event(retain_engine *e, const ob_row *r, const char *reason, int attempts,
                        int64_t fallback_id, int64_t now)
{
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_printf(&b, "{\"message_id\":%lld,\"channel\":", (long long)r->id);
    rt_buf_json_str(&b, r->channel);
    rt_buf_puts(&b, ",\"category\":");
    rt_buf_json_str(&b, r->category);
    rt_buf_puts(&b, ",\"template\":");
    rt_buf_json_str(&b, r->has_template ? r->template_id : NULL);
    rt_buf_puts(&b, ",\"journey\":");
    rt_buf_json_str(&b, r->has_journey ? r->journey : NULL);
    rt_buf_puts(&b, ",\"step\":");
    rt_buf_json_str(&b, r->has_step ? r->step : NULL);
    rt_buf_printf(&b, ",\"attempts\":%d,\"reason\":", attempts);
    rt_buf_json_str(&b, reason);
    if (fallback_id)
        rt_buf_printf(&b, ",\"fallback_message_id\":%lld", (long long)fallback_id);
    rt_buf_putc(&b, '}');
    char *props = NULL;
    if (rt_buf_finish(&b, &props))
        return rt_nomem(e);
    int rc = rt_event_emit(e, r->customer, "message.failed", now, props, r->order_key,
                           r->shipment_key);
    rt_free(&e->alloc, props);
    return rc;
}

/* The message is dead: record it, tell journeys, and queue the fallback. */
static int die(retain_engine *e, const claimed *c, const char *reason, int64_t now)
{
    const ob_row *r = &c->row;
    int rc = ob_finish(e, r->id, "dead", reason, now);
    if (rc == RETAIN_OK)
        rc = decide(e, r, now, "result", "dead", INT64_MIN, "transport", reason);
    int64_t fb_id = 0;
    if (rc == RETAIN_OK && r->has_fallback && !r->fallback_of) {
        rt_send_request q;
        memset(&q, 0, sizeof q);
        q.customer_key = r->customer;
        q.instance_id = r->instance;
        q.journey = r->has_journey ? r->journey : NULL;
        q.journey_version = r->version;
        q.step_id = r->has_step ? r->step : NULL;
        q.host_id = r->has_host_id ? r->host_id : NULL;
        q.channel = r->fallback;
        q.category = r->category;
        q.template_id = r->has_template ? r->template_id : NULL;
        q.due_at = now;
        q.on_quiet = (rt_on_policy)r->on_quiet;
        q.on_cap = (rt_on_policy)r->on_cap;
        q.order_key = r->order_key;
        q.shipment_key = r->shipment_key;
        rt_enqueue_extra x = { r->id, r->payload, r->expires_at };
        rt_gate_result g;
        rc = rt_enqueue(e, &q, now, &x, true, &g);
        char why[300];
        if (rc == RETAIN_OK) {
            fb_id = g.message_id;
            if (g.decision == RT_GATE_SKIPPED)
                rt_format(why, sizeof why, "fallback on %s not queued: %s", r->fallback,
                          g.reason);
            else
                rt_format(why, sizeof why, "fallback on %s queued as message %lld", r->fallback,
                          (long long)g.message_id);
            rc = decide(e, r, now, "result", "fallback", INT64_MIN, NULL, why);
        }
    }
    if (rc == RETAIN_OK)
        rc = failed_event(e, r, reason, c->attempt, fb_id, now);
    return rc;
}

/* Record one result; inside the batch's transaction. */
static int record(retain_engine *e, const rt_transport_slot *slot, const claimed *c, int64_t now,
                  rt_dispatch_stats *st)
{
    const ob_row *r = &c->row;
    outcome o = c->o;
    const retain_send_result *res = &c->res;
    static const char *const names[] = { "sent", "retry", "failed", "garbage", "retry" };
    int used = c->attempt - r->attempt_base;
    int64_t retry_at = INT64_MIN;
    char reason[300];
    rt_copy(reason, sizeof reason, res->reason);
    if (o == O_RETRY || o == O_GARBAGE || o == O_STOP) {
        int64_t after = res->retry_after_ms > 0 ? res->retry_after_ms
                                                : rt_backoff(r->key, used, slot->t.backoff_base_ms,
                                                             slot->t.backoff_cap_ms);
        if (after > RETRY_AFTER_MAX)
            after = RETRY_AFTER_MAX;
        retry_at = o == O_STOP ? now : now + after;
    }
    bool dies = o == O_FAILED || ((o == O_RETRY || o == O_GARBAGE) && used >= slot->t.max_attempts);
    int rc = RETAIN_OK;
    /* A result is late when the lease ran out and another run took the
     * message meanwhile; it is still recorded, and a late "sent" still
     * counts while the message is pending. */
    bool own = false, late = false;
    if (o == O_SENT) {
        rc = ob_mark_sent(e, r->id, c->attempt, true, res->provider_id, now, &own);
        bool any = false;
        if (rc == RETAIN_OK && !own)
            rc = ob_mark_sent(e, r->id, c->attempt, false, res->provider_id, now, &any);
        st->sent++;
    } else if (!dies) {
        rc = ob_mark_retry(e, r->id, c->attempt, retry_at, reason[0] ? reason : names[o], now,
                           &own);
        st->retried++;
    } else {
        /* Only the run that holds the claim may end the message. */
        ob_row cur;
        bool found = false;
        rc = ob_get(e, r->id, false, &cur, &found);
        own = rc == RETAIN_OK && found && !strcmp(cur.state, "sending") &&
              cur.attempts == c->attempt;
        if (own) {
            char why[400];
            if (o == O_FAILED)
                rt_format(why, sizeof why, "failed permanently: %s",
                          reason[0] ? reason : "no reason given");
            else
                rt_format(why, sizeof why, "gave up after %d attempts: %s", used,
                          reason[0] ? reason : "retry");
            rc = die(e, c, why, now);
            st->failed++;
        }
    }
    late = !own;
    if (rc == RETAIN_OK && late) {
        /* Another engine may have deleted the customer, and the message
         * with it, while the transport ran: nothing left to record. */
        ob_row cur;
        bool found = false;
        if ((rc = ob_get(e, r->id, false, &cur, &found)) || !found)
            return rc;
    }
    if (rc == RETAIN_OK && late) {
        char note[320];
        rt_format(note, sizeof note, "late result (the lease had run out)%s%s",
                  reason[0] ? ": " : "", reason);
        rt_copy(reason, sizeof reason, note);
    }
    if (rc == RETAIN_OK)
        rc = ob_attempt(e, r->id, c->attempt, now, names[o],
                        o == O_SENT ? res->provider_id : NULL, dies ? INT64_MIN : retry_at,
                        reason);
    return rc;
}

static int by_customer(const void *a, const void *b)
{
    int64_t x = (*(const claimed *const *)a)->row.customer;
    int64_t y = (*(const claimed *const *)b)->row.customer;
    return x < y ? -1 : x > y;
}

/* A result other than "sent" may queue a fallback and tell journeys (an
 * event): work on the customer, which other workers may be doing on
 * PostgreSQL. Wait for each such customer, in one order for every worker
 * (none waits for another that waits for it). */
static int lock_customers(retain_engine *e, claimed *batch, int n)
{
    if (!rt_store_shared(e))
        return RETAIN_OK;
    claimed **v = rt_malloc(&e->alloc, (size_t)n * sizeof *v);
    if (!v)
        return rt_nomem(e);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (batch[i].o != O_SENT)
            v[k++] = &batch[i];
    qsort(v, (size_t)k, sizeof *v, by_customer);
    int rc = RETAIN_OK;
    for (int i = 0; i < k && rc == RETAIN_OK; i++)
        if (i == 0 || v[i]->row.customer != v[i - 1]->row.customer)
            rc = rt_store_lock(e, RT_LOCK_CUSTOMER, v[i]->row.customer);
    rt_free(&e->alloc, v);
    return rc;
}

/* Record the results of batch[0..n) in one transaction; the counters move
 * only when it commits. */
static int record_all(retain_engine *e, const rt_transport_slot *slot, claimed *batch, int n,
                      int64_t now, rt_dispatch_stats *st)
{
    if (n == 0)
        return RETAIN_OK;
    int rc = rt_tx_begin_worker(e);
    if (rc)
        return rc;
    rc = lock_customers(e, batch, n);
    rt_dispatch_stats local = *st;
    for (int i = 0; i < n && rc == RETAIN_OK; i++)
        rc = record(e, slot, &batch[i], now, &local);
    rc = rt_tx_end(e, rc);
    if (rc == RETAIN_OK)
        *st = local;
    return rc;
}

/* Hand one claimed message to its transport and keep the answer in c. */
static void call(retain_engine *e, const rt_transport_slot *slot, claimed *c, int64_t now)
{
    const ob_row *r = &c->row;
    retain_message m;
    memset(&m, 0, sizeof m);
    m.version = RETAIN_MESSAGE_VERSION;
    m.id = r->id;
    m.idempotency_key = r->key;
    m.customer_id = c->customer_ext;
    m.channel = r->channel;
    m.category = r->category;
    m.template_id = r->has_template ? r->template_id : NULL;
    m.locale = c->locale[0] ? c->locale : NULL;
    m.recipient = c->recipient;
    m.payload_json = r->payload ? r->payload : "{}";
    m.attempt = c->attempt;
    m.max_attempts = r->attempt_base + slot->t.max_attempts;
    m.now = now;
    m.due_at = r->due_at;
    m.journey = r->has_journey ? r->journey : NULL;
    m.journey_version = r->version;
    m.step = r->has_step ? r->step : NULL;
    m.host_id = r->has_host_id ? r->host_id : NULL;
    m.order_id = r->order_ext[0] ? r->order_ext : NULL;
    m.fallback_of = r->fallback_of;
    retain_send_result res;
    memset(&res, 0, sizeof res);
    memset(&c->res, 0, sizeof c->res);
    e->in_callback = true;
    int ret = slot->t.send(&m, &res, slot->t.userdata);
    e->in_callback = false;
    rt_clear_error(e); /* whatever the callback tried on this engine */
    sanitize(res.provider_id, sizeof res.provider_id);
    sanitize(res.reason, sizeof res.reason);
    outcome o;
    switch (ret) {
    case RETAIN_SEND_SENT: o = O_SENT; break;
    case RETAIN_SEND_RETRY: o = O_RETRY; break;
    case RETAIN_SEND_FAILED: o = O_FAILED; break;
    case RETAIN_EUSER: o = O_STOP; break;
    default: o = O_GARBAGE; break;
    }
    if (o == O_RETRY && res.retry_after_ms < 0) {
        res.retry_after_ms = 0;
        rt_format(res.reason, sizeof res.reason, "negative retry_after_ms ignored");
    } else if (o == O_GARBAGE) {
        res.retry_after_ms = 0;
        rt_format(res.reason, sizeof res.reason,
                  "transport returned %d, not a retain_send_outcome; treated as a retry", ret);
    } else if (o == O_STOP) {
        rt_format(res.reason, sizeof res.reason, "transport stopped the run (RETAIN_EUSER)");
    }
    c->o = o;
    c->res = res;
}

/* The state's buffers for a batch of n claims and n rows; uninitialized:
 * ob_due and claim() fill every element they hand out. */
static int buffers(retain_engine *e, struct rt_dispatch_state *ds, int n, claimed **batch,
                   ob_row **rows)
{
    size_t need = (size_t)(n > 0 ? n : 1) * (sizeof **batch + sizeof **rows);
    if (!ds->scratch || ds->scratch_size < need) {
        void *p = rt_realloc(&e->alloc, ds->scratch, need);
        if (!p)
            return rt_nomem(e);
        ds->scratch = p;
        ds->scratch_size = need;
    }
    *batch = ds->scratch;
    *rows = (ob_row *)(*batch + n);
    return RETAIN_OK;
}

int rt_dispatch_run(retain_engine *e, int64_t now, rt_dispatch_stats *stats)
{
    rt_dispatch_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (e->in_host_tx || e->call_depth > 0)
        return rt_error(e, RETAIN_EMISUSE,
                        "messages are delivered outside transactions: transports are called "
                        "between the outbox's transactions");
    struct rt_dispatch_state *ds = e->dispatch;
    if (!ds || ds->ntr == 0)
        return RETAIN_OK;
    int rc = RETAIN_OK;
    for (int i = 0; i < ds->ntr && rc == RETAIN_OK; i++) {
        /* Callbacks cannot change the registry (they may not call in). */
        const rt_transport_slot *slot = &ds->tr[i];
        claimed *batch = NULL;
        ob_row *rows = NULL;
        if ((rc = buffers(e, ds, slot->t.batch, &batch, &rows)))
            return rc;
        for (;;) {
            int n = 0, seen = 0;
            if ((rc = claim(e, slot, now, batch, rows, &n, &seen, stats)))
                break;
            int k = 0;
            bool stop = false;
            while (k < n && !stop) {
                call(e, slot, &batch[k], now);
                stop = batch[k++].o == O_STOP;
            }
            rc = record_all(e, slot, batch, k, now, stats);
            /* Never handed over: back to the queue at once. */
            release(e, batch + k, n - k, now);
            free_rows(e, batch, n);
            if (rc == RETAIN_OK && stop)
                rc = rt_error(e, RETAIN_EUSER, "the %s transport stopped the delivery run",
                              slot->channel);
            if (rc || seen < slot->t.batch)
                break;
        }
    }
    return rc;
}

int retain_outbox_deliver(retain_delivery_stats *out, retain_engine *e, int64_t now)
{
    if (out)
        memset(out, 0, sizeof *out);
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)))
        return rc;
    if (e->in_host_tx)
        return rt_error(e, RETAIN_EMISUSE,
                        "retain_outbox_deliver cannot run inside retain_begin/retain_commit: "
                        "transports are called between its transactions");
    rt_dispatch_stats st;
    rc = rt_dispatch_run(e, now, &st);
    if (out) {
        out->sent = st.sent;
        out->retried = st.retried;
        out->failed = st.failed;
        out->skipped = st.skipped;
        out->deferred = st.deferred;
    }
    return rc;
}

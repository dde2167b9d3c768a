/*
 * dutil.h - helpers shared by the delivery tests: engines on temporary
 * files, customers with contact data and consent, orders, scripted
 * transports that record every call, and outbox histories.
 */
#ifndef RT_TEST_DUTIL_H
#define RT_TEST_DUTIL_H

#include "harness.h"

#include <retain.h>
#include <retain/policy.h>
#include <retain/transport.h>

#include "core/buf.h"
#include "core/text.h"
#include "dispatch/dispatch.h"
#include "store/store.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY 86400000LL
#define HOUR 3600000LL
#define MIN 60000LL
/* 2024-01-15T12:00:00Z, a Monday. */
#define T0 1705320000000LL

static inline void d_tmpdb(char *buf, size_t size, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, size, "%s/retain-delivery-%s-%ld.db", dir && *dir ? dir : "/tmp", tag,
             (long)getpid());
    char side[600];
    unlink(buf);
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
}

static inline void d_rmdb(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static inline retain_engine *d_open(const char *path)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.default_country = "US";
    retain_engine *e = NULL;
    char err[256];
    int rc = retain_engine_open_ex(&e, path, &o, err, sizeof err);
    if (rc)
        T_FAIL("open %s: %s", path, err);
    return e;
}

/* A customer with e-mail and phone, consent for every category of e-mail
 * and SMS granted at `at`, and the given zone (NULL: none). */
static inline void d_customer(retain_engine *e, const char *id, const char *zone, int64_t at)
{
    char email[80];
    snprintf(email, sizeof email, "%s@example.com", id);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.phone = "+14155550100";
    c.locale = "en-US";
    c.timezone = zone;
    c.at = at;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_consent_set(e, id, "email", "all", RETAIN_CONSENT_GRANTED, at, "test"));
    CHECK_OK(e, retain_consent_set(e, id, "sms", "all", RETAIN_CONSENT_GRANTED, at, "test"));
}

static inline int64_t d_key(retain_engine *e, const char *id)
{
    int64_t k = 0;
    if (rt_customer_key(e, id, &k) != RETAIN_OK)
        T_FAIL("customer %s: %s", id, retain_errmsg(e));
    return k;
}

static inline void d_order(retain_engine *e, const char *id, const char *customer,
                           const char *channel, int64_t at)
{
    retain_order_line lines[2] = { { "SKU-1", "Green tea", 2, 450 }, { "SKU-2", "Mug", 1, 1200 } };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = customer;
    o.channel = channel;
    o.placed_at = at;
    o.currency = "USD";
    o.total = 2100;
    o.lines = lines;
    o.lines_count = 2;
    CHECK_OK(e, retain_order_record(e, &o));
}

/* A send request for a journey step. */
static inline rt_send_request d_req(int64_t customer, int64_t instance, const char *step,
                                    const char *channel, const char *category, int64_t due)
{
    rt_send_request r;
    memset(&r, 0, sizeof r);
    r.customer_key = customer;
    r.instance_id = instance;
    r.journey = "post-purchase";
    r.journey_version = 1;
    r.step_id = step;
    r.channel = channel;
    r.category = category;
    r.template_id = "tpl";
    r.due_at = due;
    return r;
}

static inline rt_gate_result d_enqueue(retain_engine *e, const rt_send_request *r, int64_t now)
{
    rt_gate_result g;
    memset(&g, 0, sizeof g);
    int rc = rt_dispatch_enqueue(e, r, now, &g);
    if (rc)
        T_FAIL("enqueue %s: %s", r->step_id ? r->step_id : "?", retain_errmsg(e));
    return g;
}

/* ---- scripted transports ------------------------------------------------ */

typedef struct d_call {
    int64_t id;
    int attempt;
    int64_t now;
    char key[65];
    char channel[16];
    char recipient[80];
    char customer[32];
    char payload[2048];
} d_call;

typedef struct d_script d_script;
struct d_script {
    int outcomes[16];        /* per call; after the last, the last repeats */
    int n;
    int64_t retry_after_ms;  /* for RETRY outcomes */
    const char *reason;      /* for FAILED outcomes */
    int calls;
    d_call log[64];
    int closed;
    void (*hook)(d_script *s, const retain_message *m); /* runs inside the callback */
    void *ctx;
};

static inline int d_send(const retain_message *m, retain_send_result *r, void *ud)
{
    d_script *s = ud;
    if (s->calls < 64) {
        d_call *c = &s->log[s->calls];
        c->id = m->id;
        c->attempt = m->attempt;
        c->now = m->now;
        snprintf(c->key, sizeof c->key, "%s", m->idempotency_key);
        snprintf(c->channel, sizeof c->channel, "%s", m->channel);
        snprintf(c->recipient, sizeof c->recipient, "%s", m->recipient);
        snprintf(c->customer, sizeof c->customer, "%s", m->customer_id);
        snprintf(c->payload, sizeof c->payload, "%s", m->payload_json);
    }
    int i = s->calls < s->n ? s->calls : s->n - 1;
    s->calls++;
    if (s->hook)
        s->hook(s, m);
    int out = s->n ? s->outcomes[i < 0 ? 0 : i] : RETAIN_SEND_SENT;
    if (out == RETAIN_SEND_SENT)
        snprintf(r->provider_id, sizeof r->provider_id, "p-%lld-%d", (long long)m->id,
                 m->attempt);
    if (out == RETAIN_SEND_RETRY)
        r->retry_after_ms = s->retry_after_ms;
    if (out == RETAIN_SEND_FAILED)
        snprintf(r->reason, sizeof r->reason, "%s", s->reason ? s->reason : "bounced");
    return out;
}

static inline void d_close(void *ud)
{
    ((d_script *)ud)->closed++;
}

static inline void d_transport(retain_engine *e, const char *channel, d_script *s)
{
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = channel;
    t.send = d_send;
    t.close = d_close;
    t.userdata = s;
    CHECK_OK(e, retain_transport_register(e, &t));
}

static inline retain_delivery_stats d_deliver(retain_engine *e, int64_t now)
{
    retain_delivery_stats st;
    memset(&st, 0, sizeof st);
    int rc = retain_outbox_deliver(&st, e, now);
    if (rc)
        T_FAIL("deliver at %lld: %s", (long long)now, retain_errmsg(e));
    return st;
}

/* The message's history JSON (static buffer). */
static inline const char *d_history(retain_engine *e, int64_t id)
{
    static char buf[8192];
    char *json = NULL;
    if (retain_outbox_history(&json, e, id) != RETAIN_OK) {
        snprintf(buf, sizeof buf, "(error: %s)", retain_errmsg(e));
        return buf;
    }
    snprintf(buf, sizeof buf, "%s", json);
    retain_free(e, json);
    return buf;
}

static inline retain_outbox_state d_state(retain_engine *e, int64_t id)
{
    retain_outbox_entry *m = NULL;
    if (retain_outbox_get(&m, e, id) != RETAIN_OK) {
        T_FAIL("get message %lld: %s", (long long)id, retain_errmsg(e));
        return 0;
    }
    retain_outbox_state s = m->state;
    retain_outbox_entry_free(m);
    return s;
}

/* Number of events named `name` for customer `id`; *props_out gets the last props. */
static inline int d_events(retain_engine *e, const char *id, const char *name, char *props_out,
                           size_t props_size)
{
    retain_event_iter *it = NULL;
    if (retain_event_iter_open(&it, e, id) != RETAIN_OK)
        return -1;
    const retain_event *ev;
    int n = 0;
    while (retain_event_iter_next(it, &ev) == RETAIN_ROW) {
        if (!strcmp(ev->name, name)) {
            n++;
            if (props_out)
                snprintf(props_out, props_size, "%s", ev->props_json);
        }
    }
    retain_event_iter_free(it);
    return n;
}

#define CHECK_CONTAINS(hay, needle)                                                     \
    do {                                                                                \
        const char *h_ = (hay), *n_ = (needle);                                         \
        if (h_ && strstr(h_, n_)) t_passed++;                                           \
        else T_FAIL("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);          \
    } while (0)

#endif

/*
 * dom.h - helpers shared by the domain tests: engines on temporary files
 * (reopened to prove state survives restarts), customers, orders with
 * lines, shipments, a transport that records what it is handed, and the
 * events of a customer as one line of text.
 */
#ifndef RT_TEST_DOM_H
#define RT_TEST_DOM_H

#include "harness.h"
#include "../unit/util.h"

#include <retain.h>

#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

typedef struct dom_opts {
    int64_t margin, lead, fallback, grace;
    int min_samples;
} dom_opts;

static inline retain_engine *dom_open(const char *path, const dom_opts *d)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    if (d) {
        o.eta_slip_margin_ms = d->margin;
        o.replenish_lead_ms = d->lead;
        o.replenish_fallback_cycle_ms = d->fallback;
        o.replenish_grace_ms = d->grace;
        o.replenish_min_samples = d->min_samples;
    }
    retain_engine *e = NULL;
    char err[256];
    if (retain_engine_open_ex(&e, path, &o, err, sizeof err))
        T_FAIL("open %s: %s", path, err);
    return e;
}

static inline void dom_customer(retain_engine *e, const char *id, const char *zone)
{
    char email[80];
    snprintf(email, sizeof email, "%s@example.com", id);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.phone = "+14155550100";
    c.timezone = zone;
    c.at = T0 - 30 * DAY;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_consent_set(e, id, "email", "all", RETAIN_CONSENT_GRANTED, c.at, "test"));
    CHECK_OK(e, retain_consent_set(e, id, "sms", "all", RETAIN_CONSENT_GRANTED, c.at, "test"));
}

/* An order of "SKU:qty SKU:qty ..." at `at` (unit price 1000 EUR cents). */
static inline void dom_order(retain_engine *e, const char *id, const char *cust, int64_t at,
                             const char *items)
{
    retain_order_line lines[16];
    char skus[16][64];
    int n = 0;
    const char *p = items;
    while (*p && n < 16) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        int len = 0;
        long q = 1;
        while (p[len] && p[len] != ' ' && p[len] != ':')
            len++;
        snprintf(skus[n], sizeof skus[n], "%.*s", len, p);
        p += len;
        if (*p == ':') {
            char *end;
            q = strtol(p + 1, &end, 10);
            p = end;
        }
        lines[n] = (retain_order_line){ skus[n], NULL, q, 1000 };
        n++;
    }
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = "web";
    o.placed_at = at;
    o.currency = "EUR";
    o.total = 1000 * n;
    o.lines = lines;
    o.lines_count = (size_t)n;
    CHECK_OK(e, retain_order_record(e, &o));
}

static inline void dom_ship(retain_engine *e, const char *sid, const char *oid, int64_t at,
                            int64_t promised, const char *carrier, const char *tracking)
{
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = sid;
    s.order_id = oid;
    s.carrier = carrier;
    s.tracking = tracking;
    s.promised_at = promised;
    s.at = at;
    CHECK_OK(e, retain_shipment_record(e, &s));
}

/* The customer's events named `name` as "prop@day,prop@day" where prop is
 * the value of props key `key` (a crude scan, enough for flat props). */
static inline void dom_events(retain_engine *e, const char *cust, const char *name,
                              const char *key, char *out, size_t size)
{
    out[0] = '\0';
    retain_event_iter *it = NULL;
    if (retain_event_iter_open(&it, e, cust)) {
        T_FAIL("events of %s: %s", cust, retain_errmsg(e));
        return;
    }
    const retain_event *ev;
    size_t used = 0;
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    while (retain_event_iter_next(it, &ev) == RETAIN_ROW) {
        if (strcmp(ev->name, name))
            continue;
        const char *v = strstr(ev->props_json, pat);
        int len = 0;
        if (v) {
            v += strlen(pat);
            while (v[len] && v[len] != '"')
                len++;
        }
        double day = (double)(ev->at - T0) / DAY;
        used += (size_t)snprintf(out + used, size - used, "%s%.*s@%g", used ? "," : "", len,
                                 v ? v : "?", day);
        if (used >= size)
            break;
    }
    retain_event_iter_free(it);
}

/* A transport that keeps what it was handed. */
typedef struct dom_rec {
    int calls;
    char templates[1024];
    char last_payload[16384];
} dom_rec;

static int dom_send(const retain_message *m, retain_send_result *r, void *ud)
{
    dom_rec *rec = ud;
    rec->calls++;
    size_t l = strlen(rec->templates);
    snprintf(rec->templates + l, sizeof rec->templates - l, "%s%s", l ? "," : "",
             m->template_id ? m->template_id : "-");
    snprintf(rec->last_payload, sizeof rec->last_payload, "%s", m->payload_json);
    snprintf(r->provider_id, sizeof r->provider_id, "p%d", rec->calls);
    return RETAIN_SEND_SENT;
}

static inline void dom_transport(retain_engine *e, const char *channel, dom_rec *rec)
{
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = channel;
    t.send = dom_send;
    t.userdata = rec;
    CHECK_OK(e, retain_transport_register(e, &t));
}

static inline void dom_load(retain_engine *e, const char *yaml)
{
    retain_diag d[4];
    size_t nd = 0;
    int rc = retain_journeys_load(e, yaml, "test.yaml", T0 - DAY, d, 4, &nd);
    if (rc)
        T_FAIL("journey: %s (%d:%d %s)", retain_errmsg(e), nd ? d[0].line : 0,
               nd ? d[0].column : 0, nd ? d[0].message : "");
}

#endif

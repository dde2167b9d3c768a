/* cfutil.h - helpers shared by the domain tests: an engine with customers
 * and orders on a simulated clock, and a transport that keeps what it got. */
#ifndef RT_TEST_CFUTIL_H
#define RT_TEST_CFUTIL_H

#include "harness.h"
#include "../unit/util.h"

#define HOUR 3600000LL
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static const char test_secret[] = "test secret, not for production";

static retain_engine *dom_open(void)
{
    retain_engine *e = NULL;
    if (retain_engine_open(&e, ":memory:", NULL) != RETAIN_OK)
        return NULL;
    retain_coupon_seed(e, test_secret, sizeof test_secret - 1);
    return e;
}

static void dom_customer(retain_engine *e, const char *id)
{
    char email[80];
    snprintf(email, sizeof email, "%s@example.com", id);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    CHECK_OK(e, retain_consent_set(e, id, "email", "marketing", RETAIN_CONSENT_GRANTED, T0, "test"));
    CHECK_OK(e, retain_consent_set(e, id, "email", "feedback", RETAIN_CONSENT_GRANTED, T0, "test"));
}

/* An order with one line per SKU in `skus` (space-separated), 1000 each. */
static void dom_order(retain_engine *e, const char *id, const char *cust, const char *channel,
                      const char *skus, const char *coupon, int64_t at)
{
    retain_order_line lines[8];
    char buf[200];
    snprintf(buf, sizeof buf, "%s", skus);
    size_t n = 0;
    for (char *t = strtok(buf, " "); t && n < 8; t = strtok(NULL, " "))
        lines[n++] = (retain_order_line){ t, "item", 1, 1000 };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = channel;
    o.placed_at = at;
    o.currency = "EUR";
    o.total = (int64_t)n * 1000;
    o.coupon = coupon;
    o.lines = lines;
    o.lines_count = n;
    CHECK_OK(e, retain_order_record(e, &o));
}

typedef struct inbox {
    int n;
    char template_id[16][64];
    char payload[16][4096];
} inbox;

static int inbox_send(const retain_message *m, retain_send_result *r, void *ud)
{
    inbox *b = ud;
    (void)r;
    if (b->n < 16) {
        snprintf(b->template_id[b->n], sizeof b->template_id[0], "%s",
                 m->template_id ? m->template_id : "");
        snprintf(b->payload[b->n], sizeof b->payload[0], "%s", m->payload_json);
        b->n++;
    }
    return RETAIN_SEND_SENT;
}

static void dom_transport(retain_engine *e, inbox *b)
{
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = inbox_send;
    t.userdata = b;
    CHECK_OK(e, retain_transport_register(e, &t));
}

/* How many events named `name` the customer has, and the last one's props. */
static int dom_events(retain_engine *e, const char *cust, const char *name, char *props,
                      size_t sz)
{
    retain_event_iter *it = NULL;
    int n = 0;
    if (retain_event_iter_open(&it, e, cust) != RETAIN_OK)
        return -1;
    const retain_event *ev;
    while (retain_event_iter_next(it, &ev) == RETAIN_ROW)
        if (!strcmp(ev->name, name)) {
            n++;
            if (props)
                snprintf(props, sz, "%s", ev->props_json);
        }
    retain_event_iter_free(it);
    return n;
}

#endif

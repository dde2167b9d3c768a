/*
 * test_shipping.c - shipment delays and where-is-my-order payloads. A table
 * of shipment histories, each played against a simulated clock with the
 * engine closed and reopened before every tick, and the shipment.delayed
 * events it must produce (each cause exactly once, at the time it arose);
 * then delay notices that must never reach a customer who has the parcel,
 * the payload's tracking data, and bad inputs.
 */
#include "dom.h"

#include <retain/shipping.h>

typedef struct act {
    char kind;          /* u: carrier update, t: tick, 0: end */
    const char *status; /* for u */
    double at;          /* days after T0 */
    double eta;         /* days after T0; < 0: none */
} act;

typedef struct delay_case {
    const char *name;
    double promised;    /* days; < 0: none */
    double margin_h;    /* eta_slip margin in hours; 0: default (24 h) */
    act acts[10];
    const char *want;   /* cause@day, ... in time order */
} delay_case;

static const delay_case delay_cases[] = {
    { "late fires once, at the promise", 3, 0,
      { { 't', 0, 2, -1 }, { 't', 0, 3.5, -1 }, { 't', 0, 5, -1 }, { 't', 0, 9, -1 } },
      "late@3" },
    { "on time: nothing", 3, 0,
      { { 'u', "in_transit", 1, 2 }, { 'u', "delivered", 2, -1 }, { 't', 0, 10, -1 } }, "" },
    { "delivered late but before the tick: nothing", 3, 0,
      { { 't', 0, 2, -1 }, { 'u', "delivered", 3.25, -1 }, { 't', 0, 4, -1 } }, "" },
    { "exception fires once", 10, 0,
      { { 'u', "exception", 1, -1 }, { 't', 0, 1.5, -1 }, { 'u', "exception", 2, -1 },
        { 't', 0, 2.5, -1 }, { 'u', "in_transit", 3, -1 }, { 'u', "delivered", 4, -1 },
        { 't', 0, 12, -1 } },
      "exception@1" },
    { "eta slip past the margin, then late", 3, 0,
      { { 'u', "in_transit", 1, 5 }, { 't', 0, 1.5, -1 }, { 'u', "in_transit", 2, 6 },
        { 't', 0, 2.5, -1 }, { 't', 0, 4, -1 }, { 't', 0, 5, -1 } },
      "eta_slip@1,late@3" },
    { "eta slip below the margin: nothing", 3, 0,
      { { 'u', "in_transit", 1, 3.5 }, { 't', 0, 2, -1 }, { 'u', "delivered", 2.9, -1 },
        { 't', 0, 6, -1 } },
      "" },
    { "eta slip with a 6 h margin fires", 3, 6,
      { { 'u', "in_transit", 1, 3.5 }, { 't', 0, 2, -1 }, { 'u', "delivered", 2.9, -1 },
        { 't', 0, 6, -1 } },
      "eta_slip@1" },
    { "every cause once, however often it ticks", 3, 0,
      { { 'u', "in_transit", 1, 4.5 }, { 't', 0, 1.1, -1 }, { 't', 0, 1.2, -1 },
        { 'u', "exception", 3.5, -1 }, { 't', 0, 3.6, -1 }, { 't', 0, 3.7, -1 },
        { 't', 0, 8, -1 } },
      "eta_slip@1,late@3,exception@3.5" },
    { "no promise: exceptions only", -1, 0,
      { { 'u', "in_transit", 1, 9 }, { 't', 0, 20, -1 }, { 'u', "exception", 21, -1 },
        { 't', 0, 22, -1 } },
      "exception@21" },
    { "returned: nothing", 3, 0,
      { { 'u', "exception", 1, -1 }, { 'u', "returned", 1.2, -1 }, { 't', 0, 9, -1 } }, "" },
    { "a report after the tick's now waits for a later tick", 10, 0,
      { { 'u', "exception", 2, -1 }, { 't', 0, 1.5, -1 }, { 't', 0, 2.5, -1 } },
      "exception@2" },
};

static int64_t days(double d)
{
    return T0 + (int64_t)(d * DAY);
}

static void run_delay_case(const delay_case *c)
{
    char path[512];
    t_tmpdb(path, sizeof path, "delays");
    dom_opts o = { 0 };
    o.margin = (int64_t)(c->margin_h * HOUR);
    retain_engine *e = dom_open(path, &o);
    if (!e)
        return;
    dom_customer(e, "c1", NULL);
    dom_order(e, "o1", "c1", T0, "TEA:1");
    dom_ship(e, "s1", "o1", T0, c->promised < 0 ? RETAIN_TIME_NONE : days(c->promised), "dhl",
             "123");
    for (const act *a = c->acts; a->kind; a++) {
        if (a->kind == 'u') {
            int64_t eta = a->eta < 0 ? RETAIN_TIME_NONE : days(a->eta);
            CHECK_OK(e, retain_shipment_update(e, "s1", a->status, days(a->at), eta, NULL));
        } else {
            /* Delays are stored: a restart must not announce them again. */
            retain_engine_close(e);
            e = dom_open(path, &o);
            if (!e)
                return;
            CHECK_OK(e, retain_engine_tick(e, days(a->at), NULL));
        }
    }
    char got[512];
    dom_events(e, "c1", "shipment.delayed", "cause", got, sizeof got);
    if (strcmp(got, c->want))
        T_FAIL("%s: delays \"%s\", expected \"%s\"", c->name, got, c->want);
    else
        t_passed++;
    retain_engine_close(e);
    t_rmdb(path);
}

/* ---- delay notices and delivery ----------------------------------------- */

static const char delay_journey[] =
    "journey: delay-apology\n"
    "trigger: { event: shipment.delayed, when: 'event.props.cause == \"late\"' }\n"
    "steps:\n"
    "  - id: apologise\n"
    "    wait: 2h\n"
    "    send: { channel: sms, template: delay-apology, category: transactional }\n";

typedef struct notice_case {
    const char *name;
    double delivered_h; /* hours after the promise; < 0: never */
    double tick_h[4];   /* ticks, hours after the promise (0 ends) */
    int want_sent;
    const char *want_reason; /* in the outbox history, or NULL */
} notice_case;

/* The promise is at 20:00 New York time; SMS quiet hours run 21:00-08:00. */
static const notice_case notice_cases[] = {
    { "not delivered: the apology goes out once", -1, { 0.5, 2.5, 13, 30 }, 1, NULL },
    { "delivered while the step waits: skipped", 1.5, { 0.5, 2.5, 30, 0 }, 0, "delivered" },
    { "delivered while held by quiet hours: skipped at send time", 2.5,
      { 0.5, 2.1, 13, 30 }, 0, "delivered" },
    { "delivered after it was sent: sent once", 20, { 0.5, 2.1, 13, 30 }, 1, NULL },
};

static void run_notice_case(const notice_case *c, bool quiet)
{
    char path[512];
    t_tmpdb(path, sizeof path, "notice");
    retain_engine *e = dom_open(path, NULL);
    if (!e)
        return;
    dom_rec rec;
    memset(&rec, 0, sizeof rec);
    dom_transport(e, "sms", &rec);
    dom_load(e, delay_journey);
    dom_customer(e, "c1", "America/New_York");
    /* 2026-01-03T01:00Z is 20:00 in New York: the apology at 22:00 meets
     * quiet hours unless they are lifted. */
    int64_t promise = T0 + 2 * DAY + HOUR;
    if (!quiet)
        CHECK_OK(e, retain_policy_quiet_hours_set(e, "sms", 0, 0));
    dom_order(e, "o1", "c1", T0, "TEA:1");
    dom_ship(e, "s1", "o1", T0, promise, "dhl", "123");
    CHECK_OK(e, retain_shipment_update(e, "s1", "in_transit", T0 + DAY, RETAIN_TIME_NONE, NULL));
    bool delivered = false;
    for (int i = 0; i < 4 && c->tick_h[i] > 0; i++) {
        int64_t now = promise + (int64_t)(c->tick_h[i] * HOUR);
        if (c->delivered_h >= 0 && !delivered && promise + (int64_t)(c->delivered_h * HOUR) <= now) {
            CHECK_OK(e, retain_shipment_update(e, "s1", "delivered",
                                               promise + (int64_t)(c->delivered_h * HOUR),
                                               RETAIN_TIME_NONE, NULL));
            delivered = true;
        }
        CHECK_OK(e, retain_engine_tick(e, now, NULL));
    }
    if (rec.calls != c->want_sent)
        T_FAIL("%s (quiet hours %s): %d sends, expected %d", c->name, quiet ? "on" : "off",
               rec.calls, c->want_sent);
    else
        t_passed++;
    if (c->want_reason) {
        retain_outbox_iter *it = NULL;
        const retain_outbox_entry *m;
        bool seen = false;
        CHECK_OK(e, retain_outbox_iter_open(&it, e, NULL));
        while (it && retain_outbox_iter_next(it, &m) == RETAIN_ROW) {
            char *h = NULL;
            if (retain_outbox_history(&h, e, m->id) == RETAIN_OK && h &&
                strstr(h, c->want_reason))
                seen = true;
            retain_free(e, h);
        }
        retain_outbox_iter_free(it);
        /* Skipped before it was queued: the journey's step log says why. */
        char *x = NULL;
        if (!seen && retain_customer_explain(&x, e, "c1", promise + 40 * HOUR) == RETAIN_OK && x &&
            strstr(x, c->want_reason))
            seen = true;
        retain_free(e, x);
        if (!seen)
            T_FAIL("%s (quiet hours %s): no \"%s\" reason recorded", c->name,
                   quiet ? "on" : "off", c->want_reason);
        else
            t_passed++;
    }
    retain_engine_close(e);
    t_rmdb(path);
}

/* ---- where is my order -------------------------------------------------- */

static void test_payload(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "wismo");
    retain_engine *e = dom_open(path, NULL);
    if (!e)
        return;
    dom_rec rec;
    memset(&rec, 0, sizeof rec);
    dom_transport(e, "email", &rec);
    CHECK_OK(e, retain_carrier_set(e, "DHL", "https://track.example/{tracking}?lang=en", T0));
    dom_load(e, "journey: shipping-updates\n"
                "trigger: shipment.shipped\n"
                "entry: always\n"
                "steps:\n"
                "  - id: shipped\n"
                "    send: { channel: email, template: shipped, category: transactional }\n");
    dom_customer(e, "c1", NULL);
    dom_order(e, "o1", "c1", T0, "TEA:1");
    dom_ship(e, "s1", "o1", T0, T0 + 3 * DAY, "dhl", "1Z 99/8");
    CHECK_OK(e, retain_shipment_update(e, "s1", "in_transit", T0 + HOUR, T0 + 2 * DAY,
                                       "left the depot"));
    CHECK_OK(e, retain_engine_tick(e, T0 + 2 * HOUR, NULL));
    CHECK_INT(rec.calls, 1);
    const char *p = rec.last_payload;
    CHECK(strstr(p, "\"carrier\":\"dhl\"") != NULL);
    CHECK(strstr(p, "\"tracking\":\"1Z 99/8\"") != NULL);
    CHECK(strstr(p, "\"tracking_url\":\"https://track.example/1Z%2099%2F8?lang=en\"") != NULL);
    char want[256];
    snprintf(want, sizeof want, "\"eta\":%lld", (long long)(T0 + 2 * DAY));
    CHECK(strstr(p, want) != NULL);
    snprintf(want, sizeof want,
             "\"history\":[{\"status\":\"label_created\",\"at\":%lld,\"eta\":null,\"detail\":null},"
             "{\"status\":\"in_transit\",\"at\":%lld,\"eta\":%lld,\"detail\":\"left the depot\"}]",
             (long long)T0, (long long)(T0 + HOUR), (long long)(T0 + 2 * DAY));
    if (!strstr(p, want))
        T_FAIL("history missing from %s", p);
    else
        t_passed++;
    /* The shipment's own URL wins over the template; no template: null. */
    dom_order(e, "o2", "c1", T0 + DAY, "TEA:1");
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = "s2";
    s.order_id = "o2";
    s.carrier = "dhl";
    s.tracking = "55";
    s.tracking_url = "https://dhl.example/own/55";
    s.at = T0 + DAY;
    CHECK_OK(e, retain_shipment_record(e, &s));
    dom_order(e, "o3", "c1", T0 + DAY, "TEA:1");
    dom_ship(e, "s3", "o3", T0 + DAY, RETAIN_TIME_NONE, "acme", "77");
    CHECK_OK(e, retain_shipment_update(e, "s2", "in_transit", T0 + DAY + HOUR, RETAIN_TIME_NONE, NULL));
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY + 2 * HOUR, NULL));
    CHECK(strstr(rec.last_payload, "\"tracking_url\":\"https://dhl.example/own/55\"") != NULL);
    CHECK_OK(e, retain_shipment_update(e, "s3", "in_transit", T0 + DAY + 3 * HOUR, RETAIN_TIME_NONE, NULL));
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY + 4 * HOUR, NULL));
    CHECK(strstr(rec.last_payload, "\"tracking_url\":null") != NULL);
    /* Removing the template. */
    CHECK_OK(e, retain_carrier_set(e, "dhl", NULL, T0));
    CHECK_INT(rec.calls, 3);
    retain_engine_close(e);
    t_rmdb(path);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_bad_input(void)
{
    retain_engine *e = dom_open(":memory:", NULL);
    if (!e)
        return;
    static const struct { const char *carrier, *tpl; } bad[] = {
        { NULL, "https://t.example/{tracking}" },
        { "", "https://t.example/{tracking}" },
        { "dhl", "https://t.example/no-placeholder" },
        { "dhl", "ftp://t.example/{tracking}" },
        { "dhl", "https://t.example/{tracking} x" },
        { "dhl", "https://t.example/\x01{tracking}" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(e, retain_carrier_set(e, bad[i].carrier, bad[i].tpl, T0), RETAIN_EINVAL);
        CHECK(retain_errmsg(e)[0] != '\0');
    }
    CHECK_RC(e, retain_carrier_set(NULL, "dhl", NULL, T0), RETAIN_EINVAL);
    CHECK_OK(e, retain_carrier_set(e, "dhl", "http://t.example/?n={tracking}", T0));
    retain_engine_close(e);
    /* Engine options: the margin is a duration of 0 to 10 years. */
    static const int64_t margins[] = { -1, 3661LL * DAY };
    for (size_t i = 0; i < 2; i++) {
        retain_options o = RETAIN_OPTIONS_INIT;
        o.eta_slip_margin_ms = margins[i];
        retain_engine *x = NULL;
        char err[256] = "";
        CHECK_INT(retain_engine_open_ex(&x, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
        CHECK(strstr(err, "eta_slip_margin_ms") != NULL);
        CHECK(x == NULL);
    }
    /* A version 1 options struct ignores the members it did not have. */
    retain_options o1 = RETAIN_OPTIONS_INIT;
    o1.version = 1;
    o1.eta_slip_margin_ms = -5;
    retain_engine *x = NULL;
    CHECK_INT(retain_engine_open(&x, ":memory:", &o1), RETAIN_OK);
    retain_engine_close(x);
}

int main(void)
{
    for (size_t i = 0; i < sizeof delay_cases / sizeof delay_cases[0]; i++)
        run_delay_case(&delay_cases[i]);
    for (size_t i = 0; i < sizeof notice_cases / sizeof notice_cases[0]; i++) {
        run_notice_case(&notice_cases[i], true);
        if (i != 2) /* without quiet hours there is no hold to be delivered in */
            run_notice_case(&notice_cases[i], false);
    }
    test_payload();
    test_bad_input();
    return t_report("shipping");
}

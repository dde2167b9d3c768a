/*
 * test_policy.c - the policy gate: addresses, consent (and revocation while
 * a message is queued), frequency caps, staleness, quiet hours in UTC, and
 * marketplace profiles: an Amazon order through a journey that would send
 * marketing, the YAML format with line:column errors, and the built-in
 * profiles matching examples/policies/.
 *
 *   test_delivery_policy <examples/policies directory>
 */
#include "dutil.h"
#include "store/outbox.h"

#include <stdarg.h>

static char buf[4096];

static const char *fmt(const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static const char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

static const char *iso(int64_t t)
{
    static char s[4][32];
    static int k;
    k = (k + 1) % 4;
    rt_format_time(t, s[k], sizeof s[k]);
    return s[k];
}

/* ---- addresses and consent ---------------------------------------------- */

static void test_addresses(void)
{
    retain_engine *e = d_open(":memory:");
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "nocontact";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    int64_t k = d_key(e, "nocontact");
    rt_send_request r = d_req(k, 1, "a", "email", "transactional", T0);
    rt_gate_result g = d_enqueue(e, &r, T0);
    CHECK_INT(g.decision, RT_GATE_SKIPPED);
    CHECK_STR(g.reason, "customer \"nocontact\" has no e-mail address for email");
    r = d_req(k, 1, "b", "whatsapp", "transactional", T0);
    g = d_enqueue(e, &r, T0);
    CHECK_STR(g.reason, "customer \"nocontact\" has no phone number for whatsapp");
    /* Other channels are addressed by the customer id. */
    r = d_req(k, 1, "c", "push", "transactional", T0);
    g = d_enqueue(e, &r, T0);
    CHECK_INT(g.decision, RT_GATE_QUEUED);
    retain_outbox_entry *m = NULL;
    CHECK_OK(e, retain_outbox_get(&m, e, g.message_id));
    if (m) {
        CHECK_STR(m->recipient, "nocontact");
        CHECK(strstr(m->payload_json, "\"unsubscribe\":null") != NULL);
        retain_outbox_entry_free(m);
    }
    /* Bad requests. */
    r = d_req(k, 1, "d", "Email", "transactional", T0);
    CHECK_RC(e, rt_dispatch_enqueue(e, &r, T0, &g), RETAIN_EINVAL);
    r = d_req(k, 1, "d", "email", "transactional", T0);
    r.journey = NULL;
    CHECK_RC(e, rt_dispatch_enqueue(e, &r, T0, &g), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e), "journey step or a host id") != NULL);
    r = d_req(k, 1, "d", "email", "transactional", T0);
    r.fallback_channel = "email";
    CHECK_RC(e, rt_dispatch_enqueue(e, &r, T0, &g), RETAIN_EINVAL);
    r = d_req(0, 1, "d", "email", "transactional", T0);
    CHECK_RC(e, rt_dispatch_enqueue(e, &r, T0, &g), RETAIN_EINVAL);
    r = d_req(k + 100, 1, "d", "email", "transactional", T0);
    CHECK_RC(e, rt_dispatch_enqueue(e, &r, T0, &g), RETAIN_ENOTFOUND);
    retain_engine_close(e);
}

static const struct {
    const char *statements; /* "category=g@t,category=r@t" */
    const char *category;
    bool allowed;
    const char *reason;
} consent_cases[] = {
    { "", "transactional", true, NULL },
    { "", "marketing", false, "no consent for email/marketing" },
    { "marketing=g@1", "marketing", true, NULL },
    { "marketing=g@1", "feedback", false, "no consent for email/feedback" },
    { "all=g@1", "feedback", true, NULL },
    { "all=g@1,marketing=r@2", "marketing", false, "email/marketing was revoked" },
    { "all=g@1,marketing=r@2", "feedback", true, NULL },
    { "all=g@1,marketing=r@2", "transactional", true, NULL },
    { "all=r@1", "transactional", false, "email/all was revoked" },
    { "all=r@1", "marketing", false, "email/all was revoked" },
    { "all=r@1,marketing=g@2", "marketing", true, NULL },
    { "all=r@1,marketing=g@2", "feedback", false, "email/all was revoked" },
    { "marketing=g@2,all=r@2", "marketing", false, "email/all was revoked" },
    { "transactional=r@1", "transactional", false, "email/transactional was revoked" },
    { "transactional=r@1", "marketing", false, "no consent" },
};

static void test_consent(void)
{
    retain_engine *e = d_open(":memory:");
    for (size_t i = 0; i < sizeof consent_cases / sizeof consent_cases[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%zu", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = "x@example.com";
        c.at = T0 - DAY;
        CHECK_OK(e, retain_customer_upsert(e, &c));
        char st[128];
        snprintf(st, sizeof st, "%s", consent_cases[i].statements);
        for (char *tok = strtok(st, ","); tok; tok = strtok(NULL, ",")) {
            char cat[32], s;
            int at;
            if (sscanf(tok, "%31[^=]=%c@%d", cat, &s, &at) != 3)
                continue;
            CHECK_OK(e, retain_consent_set(e, id, "email", cat,
                                           s == 'g' ? RETAIN_CONSENT_GRANTED
                                                    : RETAIN_CONSENT_REVOKED,
                                           T0 - DAY + at, "test"));
        }
        rt_send_request r = d_req(d_key(e, id), (int64_t)i + 1, "s", "email",
                                  consent_cases[i].category, T0);
        rt_gate_result g = d_enqueue(e, &r, T0);
        bool allowed = g.decision != RT_GATE_SKIPPED;
        if (allowed != consent_cases[i].allowed ||
            (consent_cases[i].reason && !strstr(g.reason, consent_cases[i].reason)))
            T_FAIL("consent case %zu (%s, %s): decision %d \"%s\"", i,
                   consent_cases[i].statements, consent_cases[i].category, g.decision,
                   g.reason);
        else
            t_passed++;
    }
    retain_engine_close(e);
}

static void test_revocation_while_queued(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY);
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);
    int64_t ann = d_key(e, "ann");
    rt_send_request r = d_req(ann, 1, "promo", "email", "marketing", T0 + HOUR);
    rt_gate_result g = d_enqueue(e, &r, T0);
    CHECK_INT(g.decision, RT_GATE_QUEUED);
    CHECK_INT(g.not_before, T0 + HOUR);
    /* What next/explain would see. */
    rt_gate_result p;
    CHECK_OK(e, rt_dispatch_preview(e, &r, T0, &p));
    CHECK_INT(p.message_id, g.message_id);
    CHECK_OK(e, retain_consent_set(e, "ann", "email", "marketing", RETAIN_CONSENT_REVOKED,
                                   T0 + MIN, "preference-center"));
    retain_delivery_stats st = d_deliver(e, T0 + HOUR);
    CHECK_INT(st.skipped, 1);
    CHECK_INT(s.calls, 0);
    CHECK_STR(d_history(e, g.message_id),
              fmt("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                  "{\"at\":%lld,\"event\":\"skipped\",\"stage\":\"send\",\"rule\":\"consent\","
                  "\"reason\":\"consent for email/marketing was revoked at %s\"}]",
                  T0, T0 + HOUR, T0 + HOUR, iso(T0 + MIN)));
    retain_engine_close(e);
}

/* ---- caps --------------------------------------------------------------- */

static void test_caps(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY);
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);
    d_transport(e, "sms", &s);
    int64_t ann = d_key(e, "ann");
    int max = 0;
    int64_t window = 0;
    CHECK_OK(e, retain_policy_cap_get(&max, &window, e, "email", "marketing"));
    CHECK_INT(max, 3);
    CHECK_INT(window, 7 * DAY);
    CHECK_OK(e, retain_policy_cap_get(&max, &window, e, "sms", "all"));
    CHECK_INT(max, 1);
    CHECK_INT(window, DAY);
    CHECK_RC(e, retain_policy_cap_get(&max, &window, e, "push", "all"), RETAIN_ENOTFOUND);

    /* Three marketing e-mails on days 0, 1, 2 ... */
    for (int d = 0; d < 3; d++) {
        char step[8];
        snprintf(step, sizeof step, "m%d", d);
        rt_send_request r = d_req(ann, 1, step, "email", "marketing", T0 + d * DAY);
        CHECK_INT(d_enqueue(e, &r, T0 + d * DAY).decision, RT_GATE_QUEUED);
        CHECK_INT(d_deliver(e, T0 + d * DAY).sent, 1);
    }
    /* ... so a fourth on day 3 waits until the first leaves the window. */
    rt_send_request r = d_req(ann, 1, "m3", "email", "marketing", T0 + 3 * DAY);
    rt_gate_result g = d_enqueue(e, &r, T0 + 3 * DAY);
    CHECK_INT(g.decision, RT_GATE_DEFERRED);
    CHECK_INT(g.not_before, T0 + 7 * DAY);
    CHECK_STR(g.reason, fmt("cap of 3 email/marketing messages per 1w reached until %s",
                            iso(T0 + 7 * DAY)));
    /* Skipping instead when the step says so. */
    rt_send_request r2 = d_req(ann, 1, "m4", "email", "marketing", T0 + 3 * DAY);
    r2.on_cap = RT_POLICY_SKIP;
    rt_gate_result g2 = d_enqueue(e, &r2, T0 + 3 * DAY);
    CHECK_INT(g2.decision, RT_GATE_SKIPPED);
    CHECK(strstr(g2.reason, "the step skips capped messages") != NULL);
    /* Transactional messages are exempt; feedback has no cap. */
    rt_send_request t = d_req(ann, 1, "t", "email", "transactional", T0 + 3 * DAY);
    CHECK_INT(d_enqueue(e, &t, T0 + 3 * DAY).decision, RT_GATE_QUEUED);
    rt_send_request f = d_req(ann, 1, "f", "email", "feedback", T0 + 3 * DAY);
    CHECK_INT(d_enqueue(e, &f, T0 + 3 * DAY).decision, RT_GATE_QUEUED);
    CHECK_INT(d_deliver(e, T0 + 3 * DAY).sent, 2);
    CHECK_INT(d_deliver(e, T0 + 7 * DAY - 1).sent, 0);
    CHECK_INT(d_deliver(e, T0 + 7 * DAY).sent, 1);
    CHECK_STR(d_history(e, g.message_id),
              fmt("[{\"at\":%lld,\"event\":\"queued\",\"due_at\":%lld},"
                  "{\"at\":%lld,\"event\":\"deferred\",\"stage\":\"enqueue\",\"until\":%lld,"
                  "\"rule\":\"cap\",\"reason\":\"cap of 3 email/marketing messages per 1w "
                  "reached until %s\"},"
                  "{\"at\":%lld,\"event\":\"attempt\",\"attempt\":1,\"outcome\":\"sent\","
                  "\"provider_id\":\"p-%lld-1\"}]",
                  T0 + 3 * DAY, T0 + 3 * DAY, T0 + 3 * DAY, T0 + 7 * DAY, iso(T0 + 7 * DAY),
                  T0 + 7 * DAY, (long long)g.message_id));

    /* The gate runs again just before sending: two queued together, with
     * room for one, send one and defer the other. */
    CHECK_OK(e, retain_policy_cap_set(e, "email", "marketing", 1, DAY));
    rt_send_request a = d_req(ann, 2, "x", "email", "marketing", T0 + 10 * DAY);
    rt_send_request b = d_req(ann, 2, "y", "email", "marketing", T0 + 10 * DAY);
    CHECK_INT(d_enqueue(e, &a, T0 + 10 * DAY).decision, RT_GATE_QUEUED);
    rt_gate_result gb = d_enqueue(e, &b, T0 + 10 * DAY);
    CHECK_INT(gb.decision, RT_GATE_QUEUED);
    retain_delivery_stats st = d_deliver(e, T0 + 10 * DAY);
    CHECK_INT(st.sent, 1);
    CHECK_INT(st.deferred, 1);
    CHECK_INT(d_state(e, gb.message_id), RETAIN_OUTBOX_QUEUED);
    CHECK(strstr(d_history(e, gb.message_id),
                 "\"event\":\"deferred\",\"stage\":\"send\"") != NULL);
    CHECK_INT(d_deliver(e, T0 + 11 * DAY).sent, 1);

    /* One non-transactional SMS per day, across categories. */
    rt_send_request s1 = d_req(ann, 3, "s1", "sms", "feedback", T0 + 20 * DAY);
    rt_send_request s2 = d_req(ann, 3, "s2", "sms", "marketing", T0 + 20 * DAY + HOUR);
    rt_send_request s3 = d_req(ann, 3, "s3", "sms", "transactional", T0 + 20 * DAY + HOUR);
    CHECK_INT(d_enqueue(e, &s1, T0 + 20 * DAY).decision, RT_GATE_QUEUED);
    CHECK_INT(d_deliver(e, T0 + 20 * DAY).sent, 1);
    rt_gate_result gs = d_enqueue(e, &s2, T0 + 20 * DAY + HOUR);
    CHECK_INT(gs.decision, RT_GATE_DEFERRED);
    CHECK_INT(gs.not_before, T0 + 21 * DAY);
    CHECK_INT(d_enqueue(e, &s3, T0 + 20 * DAY + HOUR).decision, RT_GATE_QUEUED);

    /* Configuration errors. */
    CHECK_RC(e, retain_policy_cap_set(e, "email", "transactional", 1, DAY), RETAIN_EINVAL);
    CHECK_RC(e, retain_policy_cap_set(e, "email", "marketing", -1, DAY), RETAIN_EINVAL);
    CHECK_RC(e, retain_policy_cap_set(e, "email", "marketing", 1, 0), RETAIN_EINVAL);
    CHECK_RC(e, retain_policy_cap_set(e, "e mail", "marketing", 1, DAY), RETAIN_EINVAL);
    CHECK_OK(e, retain_policy_cap_remove(e, "email", "marketing"));
    CHECK_RC(e, retain_policy_cap_remove(e, "email", "marketing"), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_policy_cap_get(&max, &window, e, "email", "marketing"), RETAIN_ENOTFOUND);
    /* A cap of 0 forbids the category outright. */
    CHECK_OK(e, retain_policy_cap_set(e, "push", "marketing", 0, DAY));
    rt_send_request z = d_req(ann, 4, "z", "push", "marketing", T0 + 30 * DAY);
    CHECK_OK(e, retain_consent_set(e, "ann", "push", "all", RETAIN_CONSENT_GRANTED, T0, NULL));
    CHECK_INT(d_enqueue(e, &z, T0 + 30 * DAY).decision, RT_GATE_SKIPPED);
    retain_engine_close(e);
}

/* ---- staleness and quiet hours (UTC) ------------------------------------ */

static void test_stale_and_quiet(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "ann", NULL, T0 - DAY); /* no zone: the store default, UTC */
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "sms", &s);
    int64_t ann = d_key(e, "ann");
    int start = 0, end = 0;
    CHECK_OK(e, retain_policy_quiet_hours_get(&start, &end, e, "sms"));
    CHECK_INT(start, 21 * 60);
    CHECK_INT(end, 8 * 60);
    CHECK_OK(e, retain_policy_quiet_hours_get(&start, &end, e, "email"));
    CHECK_INT(start, -1);

    /* "Out for delivery" may not go out late: max_age. */
    rt_send_request r = d_req(ann, 1, "ofd", "sms", "transactional", T0);
    r.max_age_ms = 2 * HOUR;
    rt_gate_result g = d_enqueue(e, &r, T0);
    CHECK_INT(g.decision, RT_GATE_QUEUED);
    retain_delivery_stats st = d_deliver(e, T0 + 3 * HOUR);
    CHECK_INT(st.skipped, 1);
    CHECK_INT(s.calls, 0);
    CHECK(strstr(d_history(e, g.message_id),
                 fmt("\"rule\":\"stale\",\"reason\":\"not sent within its max_age: due %s, "
                     "stale since %s\"",
                     iso(T0), iso(T0 + 2 * HOUR))) != NULL);

    /* 22:00 UTC is quiet for SMS: deferred to 08:00, or skipped. */
    int64_t night = T0 + 10 * HOUR; /* 22:00 */
    r = d_req(ann, 2, "night", "sms", "transactional", night);
    g = d_enqueue(e, &r, night);
    CHECK_INT(g.decision, RT_GATE_DEFERRED);
    CHECK_INT(g.not_before, T0 + 20 * HOUR); /* 08:00 next day */
    CHECK_STR(g.reason, "quiet hours for sms until 08:00 UTC");
    r = d_req(ann, 2, "night2", "sms", "transactional", night);
    r.on_quiet = RT_POLICY_SKIP;
    g = d_enqueue(e, &r, night);
    CHECK_INT(g.decision, RT_GATE_SKIPPED);
    CHECK_STR(g.reason, "quiet hours for sms (21:00-08:00 UTC); the step skips messages in "
                        "quiet hours");
    /* Deferred past max_age: better not at all. */
    r = d_req(ann, 2, "night3", "sms", "transactional", night);
    r.max_age_ms = 2 * HOUR;
    g = d_enqueue(e, &r, night);
    CHECK_INT(g.decision, RT_GATE_SKIPPED);
    CHECK(strstr(g.reason, "stale at") != NULL);
    /* A message that is due while a run happens in quiet hours is deferred then. */
    r = d_req(ann, 2, "late", "sms", "transactional", T0 + 8 * HOUR);
    g = d_enqueue(e, &r, T0 + 8 * HOUR); /* 20:00: fine */
    CHECK_INT(g.decision, RT_GATE_QUEUED);
    st = d_deliver(e, T0 + 9 * HOUR + 30 * MIN); /* the run comes at 21:30 */
    CHECK_INT(st.deferred, 1);                  /* "night" is not due yet */
    CHECK_INT(d_deliver(e, T0 + 20 * HOUR).sent, 2);

    /* Quiet hours can be set per channel, also not wrapping midnight. */
    CHECK_OK(e, retain_policy_quiet_hours_set(e, "email", 12 * 60, 13 * 60));
    CHECK_OK(e, retain_policy_quiet_hours_get(&start, &end, e, "email"));
    CHECK_INT(start, 720);
    CHECK_INT(end, 780);
    rt_send_request m = d_req(ann, 3, "lunch", "email", "transactional", T0 + 30 * MIN);
    g = d_enqueue(e, &m, T0 + 30 * MIN);
    CHECK_INT(g.decision, RT_GATE_DEFERRED);
    CHECK_INT(g.not_before, T0 + HOUR);
    CHECK_OK(e, retain_policy_quiet_hours_set(e, "email", 0, 0)); /* removed */
    CHECK_OK(e, retain_policy_quiet_hours_get(&start, &end, e, "email"));
    CHECK_INT(start, -1);
    CHECK_RC(e, retain_policy_quiet_hours_set(e, "email", 1440, 0), RETAIN_EINVAL);
    CHECK_RC(e, retain_policy_quiet_hours_set(e, "email", -1, 0), RETAIN_EINVAL);
    CHECK_RC(e, retain_policy_quiet_hours_get(NULL, &end, e, "email"), RETAIN_EINVAL);
    retain_engine_close(e);
}

/* ---- marketplace -------------------------------------------------------- */

static void shipment(retain_engine *e, const char *id, const char *order, const char *url,
                     int64_t at, int64_t delivered)
{
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = id;
    s.order_id = order;
    s.carrier = "ups";
    s.tracking = "1Z999";
    s.tracking_url = url;
    s.at = at;
    CHECK_OK(e, retain_shipment_record(e, &s));
    CHECK_OK(e, retain_shipment_update(e, id, "in_transit", at + HOUR, RETAIN_TIME_NONE, NULL));
    if (delivered != RETAIN_TIME_NONE)
        CHECK_OK(e, retain_shipment_update(e, id, "delivered", delivered, RETAIN_TIME_NONE,
                                           NULL));
}

/* An Amazon order through a journey that would send marketing: nothing
 * marketing goes out, and the one review request falls inside days 5-30
 * after delivery. */
static void test_amazon_order(void)
{
    retain_engine *e = d_open(":memory:");
    d_customer(e, "amy", "UTC", T0 - DAY);
    d_order(e, "A-1", "amy", "amazon", T0);
    shipment(e, "S-1", "A-1", "https://www.ups.com/track?n=1Z999", T0 + HOUR, T0 + 3 * DAY);
    d_script s = { { RETAIN_SEND_SENT }, 1, 0, 0, 0, {{0}}, 0, 0, 0 };
    d_transport(e, "email", &s);
    int64_t amy = d_key(e, "amy");
    int64_t okey = 0, owner = 0;
    CHECK_OK(e, ob_order_key(e, "A-1", &okey, &owner));

    struct step { const char *id, *category; int64_t due; const char *extra; };
    const struct step journey[] = {
        { "thanks", "transactional", T0,
          "{\"coupon\":{\"code\":\"SAVE10\"},\"recommendations\":[{\"sku\":\"SKU-9\","
          "\"url\":\"https://shop.example/p/9\"}],\"help\":\"https://www.amazon.com/gp/help\","
          "\"notes\":[\"see www.shop.example\",\"ok\",\"https://evil.example/x\"]}" },
        { "cross-sell", "marketing", T0 + DAY, NULL },
        { "review", "feedback", T0 + 4 * DAY, NULL },
        { "review-again", "feedback", T0 + 12 * DAY, NULL },
        { "win-back", "marketing", T0 + 60 * DAY, NULL },
    };
    rt_gate_result g[5];
    for (int i = 0; i < 5; i++) {
        if (i == 3)
            d_deliver(e, T0 + 8 * DAY); /* the review request's window opens */
        rt_send_request r = d_req(amy, 50, journey[i].id, "email", journey[i].category,
                                  journey[i].due);
        r.order_key = okey;
        r.extra_json = journey[i].extra;
        g[i] = d_enqueue(e, &r, journey[i].due);
        d_deliver(e, journey[i].due);
    }
    CHECK_INT(g[0].decision, RT_GATE_QUEUED);
    CHECK_INT(g[1].decision, RT_GATE_SKIPPED);
    CHECK_STR(g[1].reason, "marketplace profile amazon forbids marketing messages (allowed: "
                           "transactional, service, feedback)");
    CHECK_INT(g[2].decision, RT_GATE_DEFERRED);
    CHECK_INT(g[2].not_before, T0 + 8 * DAY); /* delivered + 5 days */
    CHECK_STR(g[2].reason, fmt("marketplace profile amazon, rule review-request: not before 5d "
                               "after delivered (%s)",
                               iso(T0 + 8 * DAY)));
    CHECK_INT(g[3].decision, RT_GATE_SKIPPED); /* one review request per order */
    CHECK_STR(g[3].reason, fmt("marketplace profile amazon, rule review-request: at most 1 per "
                               "order (message %lld is already for this order)",
                               (long long)g[2].message_id));
    CHECK_INT(g[4].decision, RT_GATE_SKIPPED);
    /* What went out: the confirmation and the review request, nothing else. */
    CHECK_INT(s.calls, 2);
    CHECK_INT(s.log[1].id, g[2].message_id);
    CHECK_INT(s.log[1].now, T0 + 8 * DAY);
    CHECK(s.log[1].now >= T0 + 3 * DAY + 5 * DAY && s.log[1].now <= T0 + 3 * DAY + 30 * DAY);
    for (int i = 0; i < s.calls; i++)
        CHECK(strcmp(s.log[i].payload, "") != 0);
    /* No promo codes, recommendations, store unsubscribe data, or links off Amazon. */
    const char *p = s.log[0].payload;
    CHECK(strstr(p, "SAVE10") == NULL);
    CHECK(strstr(p, "coupon") == NULL);
    CHECK(strstr(p, "recommendations") == NULL);
    CHECK(strstr(p, "unsubscribe") == NULL);
    CHECK(strstr(p, "ups.com") == NULL);
    CHECK(strstr(p, "shop.example") == NULL);
    CHECK(strstr(p, "evil.example") == NULL);
    CHECK(strstr(p, "\"help\":\"https://www.amazon.com/gp/help\"") != NULL);
    CHECK(strstr(p, "\"notes\":[\"ok\"]") != NULL);
    CHECK(strstr(p, "\"tracking\":\"1Z999\"") != NULL);
    CHECK(strstr(d_history(e, g[0].message_id),
                 "\"event\":\"payload\",\"stage\":\"enqueue\",\"rule\":\"marketplace\","
                 "\"reason\":\"removed by marketplace profile amazon: $.order.coupon, "
                 "$.shipment.\\\"tracking_url\\\", $.unsubscribe, $.coupon, $.recommendations, "
                 "$.notes[0], $.notes[2]\"") != NULL);

    /* The window closes 30 days after delivery. */
    d_order(e, "A-2", "amy", "amazon", T0);
    shipment(e, "S-2", "A-2", NULL, T0 + HOUR, T0 + 3 * DAY);
    CHECK_OK(e, ob_order_key(e, "A-2", &okey, &owner));
    rt_send_request late = d_req(amy, 51, "review", "email", "feedback", T0 + 40 * DAY);
    late.order_key = okey;
    rt_gate_result gl = d_enqueue(e, &late, T0 + 40 * DAY);
    CHECK_INT(gl.decision, RT_GATE_SKIPPED);
    CHECK(strstr(gl.reason, fmt("window closes at %s", iso(T0 + 33 * DAY))) != NULL);
    /* Not delivered yet: no review request. */
    d_order(e, "A-3", "amy", "amazon-de", T0);
    CHECK_OK(e, ob_order_key(e, "A-3", &okey, &owner));
    rt_send_request early = d_req(amy, 52, "review", "email", "feedback", T0 + DAY);
    early.order_key = okey;
    rt_gate_result ge = d_enqueue(e, &early, T0 + DAY);
    CHECK_INT(ge.decision, RT_GATE_SKIPPED);
    CHECK_STR(ge.reason, "marketplace profile amazon, rule review-request: the order is not "
                         "delivered yet");
    /* A customer known only from Amazon gets no marketing outside orders
     * either; once they also buy in the web shop, they may. */
    rt_send_request news = d_req(amy, 53, "news", "email", "marketing", T0 + 70 * DAY);
    CHECK_INT(d_enqueue(e, &news, T0 + 70 * DAY).decision, RT_GATE_SKIPPED);
    d_order(e, "W-1", "amy", "web", T0 + 69 * DAY);
    rt_send_request news2 = d_req(amy, 54, "news", "email", "marketing", T0 + 70 * DAY);
    CHECK_INT(d_enqueue(e, &news2, T0 + 70 * DAY).decision, RT_GATE_QUEUED);

    /* The loader's question: can a send of this kind ever be allowed? */
    char why[200];
    CHECK_INT(rt_policy_marketplace_check(e, "amazon", "marketing", "promo", why, sizeof why), 0);
    CHECK_STR(why, "marketplace profile amazon forbids marketing messages (allowed: "
                   "transactional, service, feedback)");
    CHECK_INT(rt_policy_marketplace_check(e, "amazon-uk", "marketing", NULL, why, sizeof why), 0);
    CHECK_INT(rt_policy_marketplace_check(e, "amazon", "feedback", "review", why, sizeof why), 1);
    CHECK_INT(rt_policy_marketplace_check(e, "web", "marketing", NULL, why, sizeof why), 1);
    CHECK_INT(rt_policy_marketplace_check(e, "amazonia", "marketing", NULL, why, sizeof why), 1);
    char name[32];
    CHECK_OK(e, retain_policy_profile_of(name, sizeof name, e, "amazon_fr"));
    CHECK_STR(name, "amazon");
    CHECK_OK(e, retain_policy_profile_of(name, sizeof name, e, "pos"));
    CHECK_STR(name, "default");
    CHECK_RC(e, retain_policy_profile_of(name, 3, e, "pos"), RETAIN_ELIMIT);
    retain_engine_close(e);
}

/* ---- profiles as data --------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

static const struct {
    const char *yaml;
    int line, column;
    const char *message;
} bad_profiles[] = {
    { "profile: ebay\nsales_channels: [ebay]\nallow_categries: [transactional]\n", 3, 1,
      "unknown key \"allow_categries\" in a profile (did you mean \"allow_categories\"?)" },
    { "description: x\nsales_channels: [ebay]\n", 1, 1, "the profile has no name" },
    { "profile: Ebay\nsales_channels: [ebay]\n", 1, 10, "profile name \"Ebay\" is not a name" },
    { "profile: ebay\n", 1, 1, "profile \"ebay\" names no sales_channels" },
    { "profile: ebay\nsales_channels: ebay\n", 2, 17, "sales_channels must be a list" },
    { "profile: ebay\nsales_channels: [\"e bay\"]\n", 2, 18, "is not a sales channel or pattern" },
    { "profile: default\nsales_channels: [x]\n", 2, 17, "remove sales_channels" },
    { "profile: ebay\nsales_channels: [ebay]\nrules:\n  - category: feedback\n"
      "    window: {from: 5x}\n",
      5, 20, "window from \"5x\" is not a duration" },
    { "profile: ebay\nsales_channels: [ebay]\nrules:\n  - category: feedback\n"
      "    window: {from: 30d, to: 5d}\n",
      5, 29, "window to is before window from" },
    { "profile: ebay\nsales_channels: [ebay]\nrules:\n  - category: feedback\n", 4, 5,
      "limits nothing" },
    { "profile: ebay\nsales_channels: [ebay]\nrules:\n  - max_per_order: many\n", 4, 20,
      "max_per_order \"many\" must be a whole number" },
    { "profile: ebay\nsales_channels: [ebay]\nrules:\n  - max_per_order: 1\n"
      "    window: {anchor: paid, from: 1d}\n",
      5, 22, "window anchor \"paid\" is unknown" },
    { "profile: ebay\nsales_channels: [ebay]\npayload:\n  allow_link_domains: [Ebay.com]\n", 4,
      24, "is not a lower-case domain name" },
    { "profile: ebay\nsales_channels: [ebay]\npayload:\n  strip: [x]\n", 4, 3,
      "unknown key \"strip\" in payload" },
    { "profile: [\n", 2, 1, "" },
    { "- a\n- b\n", 1, 1, "a profile must be a mapping" },
    { "profile: a\nsales_channels: [a]\n---\nprofile: b\nsales_channels: [b]\n", 1, 1,
      "the text holds 2 profiles; load one profile per call" },
    { "", 1, 1, "the text holds no profile" },
};

static void test_profiles(const char *dir)
{
    /* The built-in profiles are exactly the shipped example files. */
    for (int i = 0; i < rt_builtin_profile_count; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.yaml", dir, rt_builtin_profiles[i].name);
        const char *text = slurp(path);
        if (!text) {
            T_FAIL("cannot read %s", path);
            continue;
        }
        if (strcmp(text, rt_builtin_profiles[i].source) != 0)
            T_FAIL("%s differs from the built-in profile in src/policy/builtin.c", path);
        else
            t_passed++;
    }
    char path[512];
    d_tmpdb(path, sizeof path, "profiles");
    retain_engine *e = d_open(path);
    retain_diag d;
    for (size_t i = 0; i < sizeof bad_profiles / sizeof bad_profiles[0]; i++) {
        int rc = retain_policy_profile_load(e, bad_profiles[i].yaml, "ebay.yaml", T0, &d);
        if (rc != RETAIN_EPARSE || d.line != bad_profiles[i].line ||
            d.column != bad_profiles[i].column || !strstr(d.message, bad_profiles[i].message))
            T_FAIL("bad profile %zu: rc %d at %d:%d \"%s\"; wanted EPARSE at %d:%d \"%s\"", i, rc,
                   d.line, d.column, d.message, bad_profiles[i].line, bad_profiles[i].column,
                   bad_profiles[i].message);
        else
            t_passed++;
    }
    CHECK_RC(e, retain_policy_profile_load(e, bad_profiles[0].yaml, "ebay.yaml", T0, &d),
             RETAIN_EPARSE);
    CHECK(strstr(retain_errmsg(e), "ebay.yaml:3:1: unknown key") != NULL);
    CHECK_STR(d.snippet, "allow_categries: [transactional]\n^");
    CHECK_RC(e, retain_policy_profile_load(e, NULL, NULL, T0, &d), RETAIN_EINVAL);
    CHECK_RC(e, retain_policy_profile_load_file(e, "/nonexistent/x.yaml", T0, &d),
             RETAIN_ENOTFOUND);

    /* A profile of one's own, shared with other engines on the database. */
    const char *ebay =
        "profile: ebay\n"
        "sales_channels: [ebay, \"ebay-*\"]\n"
        "deny_categories: [marketing]\n"
        "allow_channels: [email]\n"
        "payload:\n"
        "  remove_keys: [coupon]\n"
        "rules:\n"
        "  - name: no-surveys\n"
        "    template: \"survey*\"\n"
        "    max_per_order: 0\n";
    CHECK_OK(e, retain_policy_profile_load(e, ebay, "ebay.yaml", T0, &d));
    retain_engine *e2 = d_open(path);
    char why[200];
    CHECK_INT(rt_policy_marketplace_check(e2, "ebay-de", "marketing", NULL, why, sizeof why), 0);
    CHECK_INT(rt_policy_marketplace_check(e2, "ebay", "feedback", "survey-nps", why, sizeof why),
              0);
    CHECK_STR(why, "marketplace profile ebay, rule no-surveys: no such message is allowed");
    CHECK_INT(rt_policy_marketplace_check(e2, "ebay", "feedback", "review", why, sizeof why), 1);
    d_customer(e2, "eve", NULL, T0);
    d_order(e2, "E-1", "eve", "ebay", T0);
    int64_t okey = 0, owner = 0;
    CHECK_OK(e2, ob_order_key(e2, "E-1", &okey, &owner));
    rt_send_request r = d_req(d_key(e2, "eve"), 1, "sms", "sms", "transactional", T0);
    r.order_key = okey;
    rt_gate_result g = d_enqueue(e2, &r, T0);
    CHECK_INT(g.decision, RT_GATE_SKIPPED);
    CHECK_STR(g.reason, "marketplace profile ebay allows only email messages, not sms");

    /* Replacing a built-in, and removing the replacement. */
    CHECK_OK(e, retain_policy_profile_load(e, "profile: amazon\nsales_channels: [amazon]\n",
                                           "lenient.yaml", T0, &d));
    CHECK_INT(rt_policy_marketplace_check(e2, "amazon", "marketing", NULL, why, sizeof why), 1);
    CHECK_OK(e, retain_policy_profile_remove(e, "amazon"));
    CHECK_INT(rt_policy_marketplace_check(e2, "amazon", "marketing", NULL, why, sizeof why), 0);
    CHECK_RC(e, retain_policy_profile_remove(e, "amazon"), RETAIN_ENOTFOUND);
    /* Loading the shipped files works. */
    char file[1024];
    snprintf(file, sizeof file, "%s/amazon.yaml", dir);
    CHECK_OK(e, retain_policy_profile_load_file(e, file, T0, &d));
    snprintf(file, sizeof file, "%s/default.yaml", dir);
    CHECK_OK(e, retain_policy_profile_load_file(e, file, T0, NULL));
    retain_engine_close(e2);
    retain_engine_close(e);
    d_rmdb(path);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "examples/policies";
    test_addresses();
    test_consent();
    test_revocation_while_queued();
    test_caps();
    test_stale_and_quiet();
    test_amazon_order();
    test_profiles(dir);
    return t_report("delivery/policy");
}

/*
 * test_runner.c - the post-purchase journey of examples/journeys run over 90
 * simulated days for scripted customers; the exact sequence of touchpoints
 * (time, customer, channel, template) is compared with a golden file that a
 * person can read. Plus next/explain at each stage, re-ticking, exits,
 * versions, waits before and after timeouts, and split proportions.
 */
#include "harness.h"
#include "../unit/util.h"

#include <inttypes.h>

#define HOUR 3600000LL
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

typedef struct recorder {
    char log[65536];
    size_t len;
    int calls;
} recorder;

static int record_send(const retain_message *m, retain_send_result *r, void *ud)
{
    recorder *rec = ud;
    long long day = (m->now - T0) / (24 * HOUR), hour = ((m->now - T0) % (24 * HOUR)) / HOUR;
    if (rec->len + 200 < sizeof rec->log)
        rec->len += (size_t)snprintf(rec->log + rec->len, sizeof rec->log - rec->len,
                                 "day %2lld %02lld:00  %-6s %-6s %-24s %s\n", day, hour,
                                 m->customer_id, m->channel, m->template_id ? m->template_id : "-",
                                 m->journey ? m->step : "-");
    snprintf(r->provider_id, sizeof r->provider_id, "p%d", ++rec->calls);
    return RETAIN_SEND_SENT;
}

static const char *examples(const char *rel)
{
    static char buf[600];
    const char *dir = getenv("RETAIN_EXAMPLES");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "examples", rel);
    return buf;
}

static void customer(retain_engine *e, const char *id, const char *email, bool marketing)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.timezone = "Europe/Berlin";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    if (marketing) {
        CHECK_OK(e, retain_consent_set(e, id, "email", "marketing", RETAIN_CONSENT_GRANTED, T0, "signup"));
        CHECK_OK(e, retain_consent_set(e, id, "email", "feedback", RETAIN_CONSENT_GRANTED, T0, "signup"));
    }
}

static void order(retain_engine *e, const char *id, const char *cust, const char *channel, int64_t at)
{
    retain_order_line l = { "TEA-1", "Sencha", 1, 2500 };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = channel;
    o.placed_at = at;
    o.currency = "EUR";
    o.total = 2500;
    o.lines = &l;
    o.lines_count = 1;
    CHECK_OK(e, retain_order_record(e, &o));
}

static void ship(retain_engine *e, const char *sid, const char *oid, int64_t at)
{
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = sid;
    s.order_id = oid;
    s.carrier = "dhl";
    s.promised_at = at + 3 * 24 * HOUR;
    s.at = at;
    CHECK_OK(e, retain_shipment_record(e, &s));
    CHECK_OK(e, retain_shipment_update(e, sid, "in_transit", at, RETAIN_TIME_NONE, NULL));
}

/* One scripted action at an hour of the simulation. */
static void script(retain_engine *e, int64_t h)
{
    int64_t t = T0 + h * HOUR;
    switch (h) {
    case 10: order(e, "A-1", "alice", "web", t); break;
    case 34: ship(e, "S-A1", "A-1", t); break;
    case 82: CHECK_OK(e, retain_shipment_update(e, "S-A1", "delivered", t, RETAIN_TIME_NONE, NULL)); break;
    case 50: order(e, "B-1", "bob", "web", t); break;          /* not shipped for 4 days */
    case 146: ship(e, "S-B1", "B-1", t); break;                /* never delivered */
    case 60: order(e, "C-1", "carol", "amazon", t); break;     /* marketplace: no journey */
    case 70: order(e, "D-1", "dave", "web", t); break;
    case 75: CHECK_OK(e, retain_order_set_status(e, "D-1", "cancelled", t)); break;
    case 100: order(e, "E-1", "erin", "web", t); break;
    case 101: order(e, "E-2", "erin", "pos", t); break;
    case 400: order(e, "E-3", "erin", "web", t); break;
    case 424: ship(e, "S-E3", "E-3", t); break;
    case 450: CHECK_OK(e, retain_shipment_update(e, "S-E3", "delivered", t, RETAIN_TIME_NONE, NULL)); break;
    default: break;
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_golden(void)
{
    char path[512];
    t_tmpdb(path, sizeof path, "golden");
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, path, NULL));
    recorder rec = { .len = 0 };
    retain_transport tr = RETAIN_TRANSPORT_INIT;
    tr.channel = "email";
    tr.send = record_send;
    tr.userdata = &rec;
    CHECK_OK(e, retain_transport_register(e, &tr));
    retain_diag d[8];
    size_t nd = 0;
    int rc = retain_journeys_load_file(e, examples("journeys/post-purchase.yaml"), T0, d, 8, &nd);
    if (rc)
        T_FAIL("load: %s", nd ? d[0].message : retain_errmsg(e));
    customer(e, "alice", "alice@example.com", true);
    customer(e, "bob", "bob@example.com", false);
    customer(e, "carol", "carol@example.com", true);
    customer(e, "dave", "dave@example.com", true);
    customer(e, "erin", "erin@example.com", true);

    /* Next touchpoint right after alice's order, before any tick. */
    bool checked_next = false;
    for (int64_t h = 0; h <= 90 * 24; h++) {
        script(e, h);
        int64_t now = T0 + h * HOUR;
        if (h == 10) {
            retain_touchpoint tp;
            CHECK_OK(e, retain_customer_next(&tp, e, "alice", now));
            CHECK_INT(tp.outlook, RETAIN_OUTLOOK_SEND);
            CHECK_STR(tp.template_id, "order_confirmation");
            CHECK_INT(tp.due_at, now);
            checked_next = true;
        }
        retain_tick_stats st;
        rc = retain_engine_tick(e, now, &st);
        if (rc) {
            T_FAIL("tick at hour %lld: %s", (long long)h, retain_errmsg(e));
            break;
        }
        if (h == 10) {
            /* Re-ticking at the same time does nothing new. */
            int before = rec.calls;
            CHECK_OK(e, retain_engine_tick(e, now, &st));
            CHECK_INT(rec.calls, before);
            CHECK_INT(st.steps, 0);
            retain_touchpoint tp;
            CHECK_OK(e, retain_customer_next(&tp, e, "alice", now));
            /* If nothing else happens, shipping times out: the apology. */
            CHECK_STR(tp.template_id, "shipping_delayed_sorry");
            CHECK_INT(tp.due_at, now + 3 * 24 * HOUR);
            CHECK(strstr(tp.reason, "shipment.shipped") != NULL);
        }
    }
    CHECK(checked_next);
    /* The log a person reads. */
    const char *golden = examples("../tests/journey/post_purchase.golden");
    if (getenv("RETAIN_UPDATE_GOLDEN")) {
        FILE *f = fopen(golden, "wb");
        fwrite(rec.log, 1, rec.len, f);
        fclose(f);
    }
    const char *want = read_file(golden);
    if (!want || strcmp(want, rec.log) != 0)
        T_FAIL("touchpoints differ from %s; got:\n%s", golden, rec.log);
    else
        t_passed++;

    /* explain shows history with rule results and the exit of dave. */
    char *json = NULL;
    CHECK_OK(e, retain_customer_explain(&json, e, "erin", T0 + 90 * 24 * HOUR));
    CHECK(json && strstr(json, "\"kind\":\"branch\"") && strstr(json, "\"result\":true"));
    CHECK(json && strstr(json, "\"messages\":[{") && strstr(json, "\"state\":\"sent\""));
    retain_free(e, json);
    CHECK_OK(e, retain_customer_explain(&json, e, "dave", T0 + 90 * 24 * HOUR));
    CHECK(json && strstr(json, "\"state\":\"exited\"") && strstr(json, "order.cancelled"));
    retain_free(e, json);
    CHECK_OK(e, retain_customer_explain(&json, e, "carol", T0 + 90 * 24 * HOUR));
    CHECK(json && strstr(json, "\"instances\":[]"));
    retain_free(e, json);
    retain_touchpoint tp;
    CHECK_OK(e, retain_customer_next(&tp, e, "alice", T0 + 90 * 24 * HOUR));
    CHECK_INT(tp.outlook, RETAIN_OUTLOOK_NONE);
    CHECK_RC(e, retain_customer_next(&tp, e, "nobody", T0), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_customer_next(NULL, e, "alice", T0), RETAIN_EINVAL);
    retain_engine_close(e);
    t_rmdb(path);
}

/* wait_for: the event before the timeout continues; after it, the timeout
 * path is taken even if the host ticks late. */
static void test_wait_for(void)
{
    static const char *yaml =
        "journey: review\nversion: 1\ntrigger: order.delivered\nentry: always\nsteps:\n"
        "  - id: ask\n    wait_for: { event: review.clicked, timeout: 2d, on_timeout: nudge }\n"
        "  - id: thanks\n    send: { channel: email, template: thanks, category: transactional }\n"
        "    goto: end\n"
        "  - id: nudge\n    send: { channel: email, template: nudge, category: transactional }\n"
        "  - id: end\n    exit: true\n";
    for (int late = 0; late < 2; late++) {
        retain_engine *e;
        CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
        recorder rec = { .len = 0 };
        retain_transport tr = RETAIN_TRANSPORT_INIT;
        tr.channel = "email";
        tr.send = record_send;
        tr.userdata = &rec;
        CHECK_OK(e, retain_transport_register(e, &tr));
        CHECK_OK(e, retain_journeys_load(e, yaml, "review.yaml", T0, NULL, 0, NULL));
        customer(e, "zed", "zed@example.com", false);
        order(e, "Z-1", "zed", "web", T0);
        CHECK_OK(e, retain_order_set_status(e, "Z-1", "delivered", T0 + HOUR));
        CHECK_OK(e, retain_engine_tick(e, T0 + HOUR, NULL));
        /* The click comes 1 day in (before the timeout) or 3 days in (after). */
        int64_t click = T0 + HOUR + (late ? 72 : 24) * HOUR;
        CHECK_OK(e, retain_event_track(e, "zed", "review.clicked", click, NULL, NULL));
        /* The host ticks only once more, well after the deadline (but within
         * the journey's stale_after, so the message still goes out). */
        CHECK_OK(e, retain_engine_tick(e, T0 + 80 * HOUR, NULL));
        CHECK(strstr(rec.log, late ? "nudge" : "thanks") != NULL);
        CHECK(strstr(rec.log, late ? "thanks" : "nudge") == NULL);
        retain_engine_close(e);
    }
}

/* Version 2 keeps mid-journey customers on their step id. */
static void test_versions(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    recorder rec = { .len = 0 };
    retain_transport tr = RETAIN_TRANSPORT_INIT;
    tr.channel = "email";
    tr.send = record_send;
    tr.userdata = &rec;
    CHECK_OK(e, retain_transport_register(e, &tr));
    const char *v1 = "journey: w\nversion: 1\ntrigger: order.placed\nsteps:\n"
                     "  - id: hello\n    send: { channel: email, template: hello_v1, category: transactional }\n"
                     "  - id: later\n    wait: 2d\n    send: { channel: email, template: later_v1, category: transactional }\n";
    const char *v2 = "journey: w\nversion: 2\ntrigger: order.placed\nsteps:\n"
                     "  - id: hello\n    send: { channel: email, template: hello_v2, category: transactional }\n"
                     "  - id: later\n    wait: 2d\n    send: { channel: email, template: later_v2, category: transactional }\n";
    CHECK_OK(e, retain_journeys_load(e, v1, "w1", T0, NULL, 0, NULL));
    customer(e, "vic", "vic@example.com", false);
    order(e, "V-1", "vic", "web", T0);
    CHECK_OK(e, retain_engine_tick(e, T0, NULL));
    CHECK_OK(e, retain_journeys_load(e, v2, "w2", T0 + HOUR, NULL, 0, NULL));
    CHECK_RC(e, retain_journeys_load(e, v1, "w1", T0 + HOUR, NULL, 0, NULL), RETAIN_OK); /* same text */
    CHECK_OK(e, retain_engine_tick(e, T0 + 3 * 24 * HOUR, NULL));
    CHECK(strstr(rec.log, "hello_v1") && strstr(rec.log, "later_v2") && !strstr(rec.log, "later_v1"));
    /* Recording the same order again never enrolls twice. */
    order(e, "V-1", "vic", "web", T0);
    CHECK_OK(e, retain_engine_tick(e, T0 + 4 * 24 * HOUR, NULL));
    CHECK(strstr(rec.log, "hello_v2") == NULL);
    retain_engine_close(e);
}

/* Split proportions over 100,000 customers, stable across runs; the
 * holdout receives nothing. */
static void test_split(void)
{
    retain_engine *e;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", NULL));
    const char *yaml = "journey: s\ntrigger: customer.created\nentry: once\nsteps:\n"
                       "  - id: pick\n    split: { A: 45, B: 45, holdout: 10 }\n"
                       "  - id: hi\n    send: { channel: email, template: hi, category: transactional }\n";
    CHECK_OK(e, retain_journeys_load(e, yaml, "s", T0, NULL, 0, NULL));
    recorder rec = { .len = 0 };
    retain_transport tr = RETAIN_TRANSPORT_INIT;
    tr.channel = "email";
    tr.send = record_send;
    tr.userdata = &rec;
    CHECK_OK(e, retain_transport_register(e, &tr));
    /* PostgreSQL pays a round trip per statement: a fifth of the sample
     * there, with the tolerance scaled to it. */
    int n = t_backend_pg() ? 20000 : 100000;
    CHECK_OK(e, retain_begin(e));
    for (int i = 0; i < n; i++) {
        char id[32], email[64];
        snprintf(id, sizeof id, "c%d", i);
        snprintf(email, sizeof email, "c%d@example.com", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = email;
        c.at = T0;
        if (retain_customer_upsert(e, &c) != RETAIN_OK) {
            T_FAIL("upsert: %s", retain_errmsg(e));
            break;
        }
    }
    CHECK_OK(e, retain_commit(e));
    rec.len = 0; /* the log buffer holds only the first lines; count calls */
    retain_tick_stats st;
    CHECK_OK(e, retain_engine_tick(e, T0, &st));
    /* 90% get a message: 0.9 n expected (90,000 of 100,000, binomial sd
     * ~95); allow 5 sd. */
    double want = 0.9 * n, tol = 5 * sqrt(n * 0.9 * 0.1);
    CHECK(rec.calls > want - tol && rec.calls < want + tol);
    CHECK_INT(st.sent, rec.calls);
    retain_engine_close(e);
}

int main(void)
{
    test_golden();
    test_wait_for();
    test_versions();
    test_split();
    return t_report("journey-runner");
}

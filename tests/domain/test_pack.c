/*
 * test_pack.c - the whole journey pack of examples/journeys, with the coupon
 * campaigns and marketplace profiles of examples/, run end to end over 120
 * simulated days: a dozen customers order (some on Amazon), parcels ship,
 * some arrive late or hit a carrier exception, customers answer feedback
 * requests, run out of tea and reorder, return goods. Every message the
 * transports receive, and every task for a person, is written as one line
 * that a person can read and compared with tests/domain/pack.golden
 * (RETAIN_UPDATE_GOLDEN=1 rewrites it after a deliberate change).
 *
 * The modular pack is loaded (order-confirmation.yaml, not the all-in-one
 * post-purchase.yaml), as a store would.
 *
 * Beyond the golden file the test checks the invariants that must hold
 * whatever the journeys say: nobody gets the same step twice, no delay
 * notice after delivery, no coupon in an Amazon message, nothing
 * promotional without consent.
 */
#include "../harness.h"

#include <stdarg.h>

#include <retain.h>
#include <retain/coupon.h>
#include <retain/feedback.h>
#include <retain/recommend.h>
#include <retain/replenish.h>

#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define T0 1767600000000LL /* Monday 2026-01-05 08:00 UTC */
#define DAYS 120
#define NCUST 12

static retain_engine *e;

typedef struct logbuf {
    char *text;
    size_t len, cap;
    int lines;
} logbuf;

static logbuf out;

static void emit(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t k = strlen(line);
    if (out.len + k + 1 > out.cap) {
        out.cap = (out.len + k + 1) * 2;
        out.text = realloc(out.text, out.cap);
    }
    memcpy(out.text + out.len, line, k + 1);
    out.len += k;
    out.lines++;
}

/* "day  12 14:00" in UTC, relative to T0's day. */
static void when(char *buf, size_t size, int64_t t)
{
    int64_t rel = t - (T0 - 8 * HOUR);
    snprintf(buf, size, "day %3lld %02lld:%02lld", (long long)(rel / DAY),
             (long long)(rel % DAY / HOUR), (long long)(rel % HOUR / 60000));
}

/* What was sent: (customer, journey/step) pairs seen, to catch repeats. */
static char seen[2048][96];
static int nseen;

/* Orders whose parcel has arrived: no delay notice may follow. */
static char arrived[64][16];
static int ndelivered;

static bool is_delivered(const char *order)
{
    for (int i = 0; order && i < ndelivered; i++)
        if (!strcmp(arrived[i], order))
            return true;
    return false;
}

static int send_cb(const retain_message *m, retain_send_result *r, void *ud)
{
    (void)r;
    (void)ud;
    char t[32];
    when(t, sizeof t, m->now);
    bool code = m->payload_json && strstr(m->payload_json, "\"coupon\":{\"code\"");
    bool recs = m->payload_json && strstr(m->payload_json, "\"recommendations\":[{");
    emit("%s  %-4s %-5s %-28s %s/%s%s%s%s%s\n", t, m->customer_id, m->channel,
         m->template_id ? m->template_id : "-", m->journey ? m->journey : "host",
         m->step ? m->step : "-", m->order_id ? " order " : "", m->order_id ? m->order_id : "",
         code ? " +code" : "", recs ? " +recommendations" : "");
    char key[96];
    snprintf(key, sizeof key, "%s %s %s %s", m->customer_id, m->journey ? m->journey : "",
             m->step ? m->step : "", m->order_id ? m->order_id : "");
    for (int i = 0; i < nseen; i++)
        if (!strcmp(seen[i], key))
            T_FAIL("%s got step %s/%s twice", m->customer_id, m->journey, m->step);
    if (nseen < 2048)
        snprintf(seen[nseen++], sizeof seen[0], "%s", key);
    if (m->template_id && !strncmp(m->template_id, "delay", 5) && is_delivered(m->order_id))
        T_FAIL("a delay notice for %s after its delivery", m->order_id);
    if (code && m->order_id && !strncmp(m->order_id, "AMZ", 3))
        T_FAIL("a coupon went to Amazon order %s", m->order_id);
    return RETAIN_SEND_SENT;
}

static char *slurp(const char *rel, size_t *len)
{
    char path[700];
    const char *dir = getenv("RETAIN_EXAMPLES");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "examples", rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        T_FAIL("cannot read %s", path);
        return NULL;
    }
    static char buf[1 << 16];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void load_program(void)
{
    static const char *const journeys[] = {
        "order-confirmation.yaml", "shipping-updates.yaml", "delay-apology.yaml",
        "delivered-care-tips.yaml", "complementary-recommendation.yaml", "feedback.yaml",
        "replenishment-reminder.yaml", "returns-refunds.yaml", "win-back.yaml",
        "vip-call.yaml", "amazon-order.yaml",
    };
    for (size_t i = 0; i < sizeof journeys / sizeof journeys[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "journeys/%s", journeys[i]);
        size_t len = 0;
        const char *y = slurp(rel, &len);
        retain_diag d[8];
        size_t nd = 0;
        if (y && retain_journeys_load(e, y, journeys[i], T0, d, 8, &nd) != RETAIN_OK)
            T_FAIL("%s: %s", journeys[i], nd ? d[0].message : retain_errmsg(e));
    }
    size_t len = 0;
    const char *y = slurp("coupons/campaigns.yaml", &len);
    retain_diag d;
    if (y)
        CHECK_OK(e, retain_coupon_campaigns_load(e, y, len, "campaigns.yaml", T0, &d));
    CHECK_OK(e, retain_coupon_seed(e, "pack-test-secret-0123", 21));
    char path[700];
    const char *dir = getenv("RETAIN_EXAMPLES");
    snprintf(path, sizeof path, "%s/policies/amazon.yaml", dir ? dir : "examples");
    CHECK_OK(e, retain_policy_profile_load_file(e, path, T0, &d));
    static const char *const skus[][2] = {
        { "TEA-250", "Sencha, 250 g" }, { "CUP-1", "Tea cup" }, { "KETTLE-1", "Kettle" } };
    for (int i = 0; i < 3; i++) {
        retain_product p = RETAIN_PRODUCT_INIT;
        p.sku = skus[i][0];
        p.title = skus[i][1];
        p.price = 1800;
        p.currency = "USD";
        p.at = T0;
        CHECK_OK(e, retain_product_upsert(e, &p));
    }
    CHECK_OK(e, retain_sku_cycle_set(e, "TEA-250", 30 * DAY));
    retain_agent a = RETAIN_AGENT_INIT;
    a.id = "ann";
    a.skills = "call,chat";
    a.timezone = "America/New_York";
    a.work_start_minute = 9 * 60;
    a.work_end_minute = 17 * 60;
    a.weekdays = 0x3e;
    CHECK_OK(e, retain_agent_upsert(e, &a, T0));
    static const char *const ch[] = { "email", "sms" };
    for (int i = 0; i < 2; i++) {
        retain_transport t = RETAIN_TRANSPORT_INIT;
        t.channel = ch[i];
        t.send = send_cb;
        CHECK_OK(e, retain_transport_register(e, &t));
    }
}

static void customer(int i)
{
    char id[16], email[48], phone[24];
    snprintf(id, sizeof id, "c%02d", i);
    snprintf(email, sizeof email, "customer%02d@example.com", i);
    snprintf(phone, sizeof phone, "+1415555%04d", 100 + i);
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.phone = phone;
    c.timezone = "America/New_York";
    c.at = T0;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    /* Customers 1 to 8 said yes to marketing; everyone to feedback e-mail. */
    static const char *const cats[] = { "marketing", "feedback" };
    for (int k = 0; k < 2; k++) {
        if (k == 0 && i > 8)
            continue;
        CHECK_OK(e, retain_consent_set(e, id, "email", cats[k], RETAIN_CONSENT_GRANTED, T0,
                                       "checkout"));
        CHECK_OK(e, retain_consent_set(e, id, "sms", cats[k], RETAIN_CONSENT_GRANTED, T0,
                                       "checkout"));
    }
}

/* The store's script: what happens on day d, hour h. Deterministic. */
typedef struct order_plan {
    int customer, day;
    const char *sku;
    int fate;   /* 0 on time, 1 late, 2 carrier exception, 3 returned, 4 returned, no refund */
} order_plan;

static const order_plan plan[] = {
    { 1, 0, "TEA-250", 0 },  { 2, 1, "CUP-1", 1 },    { 3, 2, "TEA-250", 2 },
    { 4, 3, "KETTLE-1", 3 }, { 5, 4, "TEA-250", 0 },  { 6, 5, "CUP-1", 0 },
    { 7, 6, "TEA-250", 4 },  { 8, 8, "TEA-250", 0 },  { 9, 9, "CUP-1", 0 },
    { 10, 10, "TEA-250", 1 },{ 11, 11, "TEA-250", 0 },{ 12, 12, "CUP-1", 0 },
    { 1, 25, "TEA-250", 0 }, { 5, 30, "TEA-250", 0 }, { 1, 52, "TEA-250", 0 },
    { 2, 40, "TEA-250", 0 }, { 1, 80, "TEA-250", 0 }, { 1, 100, "CUP-1", 0 },
    { 8, 60, "TEA-250", 2 },
};
#define NPLAN (sizeof plan / sizeof plan[0])

static void order_id(char *buf, size_t size, size_t k)
{
    /* Customers 11 and 12 buy on Amazon. */
    snprintf(buf, size, "%s-%02zu", plan[k].customer >= 11 ? "AMZ" : "W", k + 1);
}

static void place(size_t k, int64_t t)
{
    char id[16], cust[16];
    order_id(id, sizeof id, k);
    snprintf(cust, sizeof cust, "c%02d", plan[k].customer);
    retain_order_line l = { plan[k].sku, plan[k].sku, 1, 1800 };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = plan[k].customer >= 11 ? "amazon" : "web";
    o.placed_at = t;
    o.currency = "USD";
    o.total = 1800;
    o.lines = &l;
    o.lines_count = 1;
    CHECK_OK(e, retain_order_record(e, &o));
}

static void shipment_event(size_t k, const char *status, int64_t t, const char *detail)
{
    char sid[24], oid[16];
    order_id(oid, sizeof oid, k);
    snprintf(sid, sizeof sid, "S%s", oid);
    CHECK_OK(e, retain_shipment_update(e, sid, status, t, RETAIN_TIME_NONE, detail));
}

/* The events of order k at hour h since it was placed. */
static void lifecycle(size_t k, int64_t since, int64_t t)
{
    char oid[16], sid[24], cust[16];
    order_id(oid, sizeof oid, k);
    snprintf(sid, sizeof sid, "S%s", oid);
    snprintf(cust, sizeof cust, "c%02d", plan[k].customer);
    int fate = plan[k].fate;
    int64_t delivered = fate == 1 ? 8 * DAY : fate == 2 ? 6 * DAY : 3 * DAY;
    if (since == 1 * DAY) {
        retain_shipment s = RETAIN_SHIPMENT_INIT;
        s.id = sid;
        s.order_id = oid;
        s.carrier = "ups";
        s.tracking = sid;
        s.promised_at = t + 3 * DAY;
        s.at = t;
        CHECK_OK(e, retain_shipment_record(e, &s));
        shipment_event(k, "in_transit", t, NULL);
    } else if (since == 2 * DAY && fate == 2) {
        shipment_event(k, "exception", t, "address not found");
    } else if (since == delivered - 6 * HOUR) {
        shipment_event(k, "out_for_delivery", t, NULL);
    } else if (since == delivered) {
        shipment_event(k, "delivered", t, NULL);
        if (ndelivered < 64)
            snprintf(arrived[ndelivered++], sizeof arrived[0], "%s", oid);
        CHECK_OK(e, retain_order_set_status(e, oid, "delivered", t));
    } else if (since == delivered + 9 * DAY && fate != 3 && fate != 4) {
        /* An answer to the feedback request: scores 10, 3, 8, 6 ... */
        int score = (int)((k * 7 + 10) % 11);
        CHECK_OK(e, retain_feedback_record(e, cust, oid, score, RETAIN_SCALE_0_10,
                                           score <= 6 ? "not happy" : NULL, t));
    } else if (since == delivered + 5 * DAY && (fate == 3 || fate == 4)) {
        CHECK_OK(e, retain_order_set_status(e, oid, "returned", t));
    } else if (since == delivered + 8 * DAY && fate == 3) {
        CHECK_OK(e, retain_order_set_status(e, oid, "refunded", t));
    }
}

static void tasks_summary(void)
{
    char *json = NULL;
    CHECK_OK(e, retain_task_list(&json, e, RETAIN_TASK_ANY, NULL));
    /* One line per task: kind, customer, state, agent. */
    const char *p = json;
    while (p && (p = strstr(p, "{\"id\":"))) {
        char cust[16] = "", kind[16] = "", state[16] = "", agent[16] = "-";
        const char *q;
        if ((q = strstr(p, "\"customer\":\"")))
            sscanf(q + 12, "%15[^\"]", cust);
        if ((q = strstr(p, "\"kind\":\"")))
            sscanf(q + 8, "%15[^\"]", kind);
        if ((q = strstr(p, "\"state\":\"")))
            sscanf(q + 9, "%15[^\"]", state);
        if ((q = strstr(p, "\"agent\":\"")) && q < strstr(p + 1, "}"))
            sscanf(q + 9, "%15[^\"]", agent);
        emit("task  %-4s %-5s %-9s agent %s\n", cust, kind, state, agent);
        p++;
    }
    retain_free(e, json);
}

/* A coupon step in a store that configured no randomness for codes takes
 * its on_invalid path; the tick, and every other journey, goes on. */
static void test_no_randomness(void)
{
    static const char yaml[] =
        "journey: sorry\n"
        "trigger: order.placed\n"
        "steps:\n"
        "  - id: code\n"
        "    coupon: { campaign: c10, on_invalid: plain }\n"
        "  - id: with_code\n"
        "    send: { channel: email, template: with_code, category: transactional }\n"
        "    goto: done\n"
        "  - id: plain\n"
        "    send: { channel: email, template: plain, category: transactional }\n"
        "  - id: done\n"
        "    exit: true\n";
    retain_engine *saved = e;
    CHECK(retain_engine_open(&e, ":memory:", NULL) == RETAIN_OK);
    retain_coupon_campaign c = RETAIN_COUPON_CAMPAIGN_INIT;
    c.name = "c10";
    c.prefix = "C10";
    c.percent = 10;
    c.valid_for_ms = 30 * DAY;
    CHECK_OK(e, retain_coupon_campaign_define(e, &c, T0));
    retain_diag d[4];
    size_t nd = 0;
    CHECK_OK(e, retain_journeys_load(e, yaml, "sorry.yaml", T0, d, 4, &nd));
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = send_cb;
    CHECK_OK(e, retain_transport_register(e, &t));
    customer(1);
    place(0, T0);
    retain_tick_stats st;
    CHECK_OK(e, retain_engine_tick(e, T0 + HOUR, &st));
    CHECK(out.text && strstr(out.text, " plain ") && !strstr(out.text, "with_code"));
    retain_engine_close(e);
    e = saved;
    out.len = 0;
    out.lines = 0;
    nseen = 0;
    if (out.text)
        out.text[0] = '\0';
}

int main(void)
{
    test_no_randomness();
    if (retain_engine_open(&e, ":memory:", NULL) != RETAIN_OK)
        return 1;
    load_program();
    for (int i = 1; i <= NCUST; i++)
        customer(i);
    /* Every six hours: the store's events, then a tick. */
    for (int64_t h = 0; h <= DAYS * 24; h += 6) {
        int64_t t = T0 + h * HOUR;
        for (size_t k = 0; k < NPLAN; k++) {
            int64_t placed = T0 + plan[k].day * DAY;
            if (t == placed)
                place(k, t);
            else if (t > placed)
                lifecycle(k, t - placed, t);
        }
        if (h % 24 == 0 && h / 24 == 45) {
            retain_recommend_stats rs;
            CHECK_OK(e, retain_recommend_build(&rs, e, NULL));
        }
        retain_tick_stats st;
        if (retain_engine_tick(e, t, &st) != RETAIN_OK)
            T_FAIL("tick at hour %lld: %s", (long long)h, retain_errmsg(e));
    }
    tasks_summary();
    CHECK(out.lines > 40);

    const char *dir = getenv("RETAIN_EXAMPLES");
    char golden[700];
    snprintf(golden, sizeof golden, "%s/../tests/domain/pack.golden", dir ? dir : "examples");
    if (getenv("RETAIN_UPDATE_GOLDEN")) {
        FILE *f = fopen(golden, "wb");
        if (f) {
            fwrite(out.text, 1, out.len, f);
            fclose(f);
        }
    }
    FILE *f = fopen(golden, "rb");
    static char want[1 << 17];
    size_t n = f ? fread(want, 1, sizeof want - 1, f) : 0;
    want[n] = '\0';
    if (f)
        fclose(f);
    if (!f || strcmp(want, out.text) != 0)
        T_FAIL("the pack's messages differ from %s; got:\n%s", golden, out.text);
    else
        t_passed++;
    free(out.text);
    retain_engine_close(e);
    return t_report("pack");
}

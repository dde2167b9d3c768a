/*
 * test_store.c - customers, consent, orders, shipments, events and their
 * bad-input paths; every test runs on ":memory:" and on a WAL file that is
 * reopened to prove persistence.
 */
#include "harness.h"
#include "util.h"

#include <math.h>

static retain_engine *open_engine(const char *path)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.default_country = "US";
    retain_engine *e = NULL;
    int rc = retain_engine_open(&e, path, &o);
    if (rc)
        T_FAIL("open %s: %s", path, retain_errstr(rc));
    return e;
}

static void add_customer(retain_engine *e, const char *id)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.at = 1000;
    CHECK_OK(e, retain_customer_upsert(e, &c));
}

/* --- customers ------------------------------------------------------- */

static const struct {
    const char *email, *phone, *want_email, *want_phone;
} contact_ok[] = {
    { "  Ann@Example.COM ", NULL, "Ann@example.com", NULL },
    { "bob@shop.example", "(415) 555-0100", "bob@shop.example", "+14155550100" },
    { NULL, "+49 30 1234567", NULL, "+49301234567" },
    { NULL, "0049 30 1234567", NULL, "+49301234567" },
    { NULL, "1-415-555-0100", NULL, "+14155550100" },
    { "x@localhost", "+44 20 7946 0958", "x@localhost", "+442079460958" },
    { "üser@exämple.de", NULL, "üser@exämple.de", NULL },
};

static const struct {
    const char *field, *value, *needle;
} customer_bad[] = {
    { "email", "not-an-address", "e-mail address" },
    { "email", "two@@example.com", "e-mail address" },
    { "email", "a@b", "e-mail address" },
    { "email", "sp ace@example.com", "e-mail address" },
    { "email", "\xff\xfe@example.com", "UTF-8" },
    { "phone", "12", "7 to 15 digits" },
    { "phone", "+1 415 CALL ME", "only digits" },
    { "phone", "+1234567890123456789", "digits" },
    { "timezone", "Mars/Olympus_Mons", "timezone" },
    { "timezone", "../../etc/passwd", "timezone" },
    { "locale", "english please", "BCP 47" },
    { "attrs", "{\"a\":", "not valid JSON" },
    { "attrs", "[1,2]", "JSON object" },
    { "attrs", "{\"a\":1} x", "trailing" },
    { "name", "bad\x01name", "control character" },
    { "id", "", "empty" },
    { "id", "with\nnewline", "control character" },
    { "id", "\xc0\xafoverlong", "UTF-8" },
};

static void test_customers(retain_engine *e)
{
    for (size_t i = 0; i < sizeof contact_ok / sizeof contact_ok[0]; i++) {
        char id[32];
        snprintf(id, sizeof id, "ok%zu", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = contact_ok[i].email;
        c.phone = contact_ok[i].phone;
        c.at = 5;
        CHECK_OK(e, retain_customer_upsert(e, &c));
        retain_customer *got = NULL;
        CHECK_OK(e, retain_customer_get(&got, e, id));
        if (!got)
            continue;
        CHECK_STR(got->email, contact_ok[i].want_email);
        CHECK_STR(got->phone, contact_ok[i].want_phone);
        CHECK_INT(got->orders_count, 0);
        CHECK_INT(got->first_order_at, RETAIN_TIME_NONE);
        CHECK_INT(got->revenue_count, 0);
        CHECK(isnan(got->p_alive));
        retain_customer_free(got);
    }
    for (size_t i = 0; i < sizeof customer_bad / sizeof customer_bad[0]; i++) {
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = "bad";
        const char *f = customer_bad[i].field, *v = customer_bad[i].value;
        if (!strcmp(f, "email")) c.email = v;
        else if (!strcmp(f, "phone")) c.phone = v;
        else if (!strcmp(f, "timezone")) c.timezone = v;
        else if (!strcmp(f, "locale")) c.locale = v;
        else if (!strcmp(f, "attrs")) c.attrs_json = v;
        else if (!strcmp(f, "name")) c.name = v;
        else if (!strcmp(f, "id")) c.id = v;
        int rc = retain_customer_upsert(e, &c);
        if (rc != RETAIN_EINVAL || !strstr(retain_errmsg(e), customer_bad[i].needle))
            T_FAIL("bad customer %s=\"%s\": rc %d msg \"%s\", wanted EINVAL with \"%s\"", f, v,
                   rc, retain_errmsg(e), customer_bad[i].needle);
        else
            t_passed++;
        retain_customer *got = NULL;
        CHECK_RC(e, retain_customer_get(&got, e, "bad"), RETAIN_ENOTFOUND); /* nothing written */
    }
    /* Argument validation. */
    CHECK_INT(retain_customer_upsert(NULL, NULL), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_upsert(e, NULL), RETAIN_EINVAL);
    retain_customer unv = RETAIN_CUSTOMER_INIT;
    unv.version = 0;
    unv.id = "v";
    CHECK_RC(e, retain_customer_upsert(e, &unv), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e), "RETAIN_CUSTOMER_INIT") != NULL);
    retain_customer *got = (retain_customer *)1;
    CHECK_RC(e, retain_customer_get(&got, e, NULL), RETAIN_EINVAL);
    CHECK(got == NULL);
    CHECK_RC(e, retain_customer_get(NULL, e, "x"), RETAIN_EINVAL);
    retain_customer_free(NULL);

    /* Update keeps unset members, clears "" members, merges attributes. */
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = "upd";
    c.email = "u@example.com";
    c.name = "Una";
    c.timezone = "Europe/Berlin";
    c.locale = "de-DE";
    c.attrs_json = "{\"tier\":\"gold\",\"pets\":2}";
    c.at = 100;
    CHECK_OK(e, retain_customer_upsert(e, &c));
    retain_customer u = RETAIN_CUSTOMER_INIT;
    u.id = "upd";
    u.name = "";
    u.attrs_json = "{\"pets\":null,\"vip\":true}";
    u.at = 200;
    CHECK_OK(e, retain_customer_upsert(e, &u));
    CHECK_OK(e, retain_customer_get(&got, e, "upd"));
    if (got) {
        CHECK_STR(got->email, "u@example.com");
        CHECK_STR(got->name, NULL);
        CHECK_STR(got->timezone, "Europe/Berlin");
        CHECK_STR(got->locale, "de-DE");
        CHECK_STR(got->attrs_json, "{\"tier\":\"gold\",\"vip\":true}");
        CHECK_INT(got->created_at, 100);
        CHECK_INT(got->updated_at, 200);
        retain_customer_free(got);
    }
    /* Find by normalized contact data. */
    char *found = NULL;
    /* local part keeps its case, so this one is different: */
    CHECK_RC(e, retain_customer_find(&found, e, "U@example.com", NULL), RETAIN_ENOTFOUND);
    CHECK_OK(e, retain_customer_find(&found, e, "u@Example.com", NULL));
    CHECK_STR(found, "upd");
    retain_free(e, found);
    CHECK_OK(e, retain_customer_find(&found, e, NULL, "415.555.0100"));
    CHECK_STR(found, "ok1");
    retain_free(e, found);
    CHECK_RC(e, retain_customer_find(&found, e, NULL, NULL), RETAIN_EINVAL);

    /* Delete cascades and reports unknown ids. */
    CHECK_OK(e, retain_customer_delete(e, "ok0"));
    CHECK_RC(e, retain_customer_delete(e, "ok0"), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_customer_delete(e, ""), RETAIN_EINVAL);
}

/* --- consent --------------------------------------------------------- */

static void test_consent(retain_engine *e)
{
    add_customer(e, "cons");
    retain_consent_state s;
    int64_t at;
    CHECK_OK(e, retain_consent_get(&s, &at, e, "cons", "email", "marketing"));
    CHECK_INT(s, RETAIN_CONSENT_UNKNOWN);
    CHECK_INT(at, RETAIN_TIME_NONE);
    static const struct { int state; int64_t at; int want; int64_t want_at; } steps[] = {
        { RETAIN_CONSENT_GRANTED, 100, RETAIN_CONSENT_GRANTED, 100 },
        { RETAIN_CONSENT_REVOKED, 200, RETAIN_CONSENT_REVOKED, 200 },
        { RETAIN_CONSENT_GRANTED, 150, RETAIN_CONSENT_REVOKED, 200 }, /* older grant loses */
        { RETAIN_CONSENT_GRANTED, 200, RETAIN_CONSENT_REVOKED, 200 }, /* tie: revocation wins */
        { RETAIN_CONSENT_GRANTED, 300, RETAIN_CONSENT_GRANTED, 300 }, /* newer grant wins */
        { RETAIN_CONSENT_REVOKED, 300, RETAIN_CONSENT_REVOKED, 300 }, /* tie: revocation wins */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        CHECK_OK(e, retain_consent_set(e, "cons", "email", "marketing", steps[i].state,
                                       steps[i].at, "test"));
        CHECK_OK(e, retain_consent_get(&s, &at, e, "cons", "email", "marketing"));
        CHECK_INT(s, steps[i].want);
        CHECK_INT(at, steps[i].want_at);
    }
    /* Channels and categories are independent. */
    CHECK_OK(e, retain_consent_get(&s, NULL, e, "cons", "sms", "marketing"));
    CHECK_INT(s, RETAIN_CONSENT_UNKNOWN);
    CHECK_RC(e, retain_consent_set(e, "cons", "E-Mail", "marketing", RETAIN_CONSENT_GRANTED, 1, NULL),
             RETAIN_EINVAL);
    CHECK_RC(e, retain_consent_set(e, "cons", "email", "", RETAIN_CONSENT_GRANTED, 1, NULL),
             RETAIN_EINVAL);
    CHECK_RC(e, retain_consent_set(e, "cons", "email", "marketing", (retain_consent_state)7, 1, NULL),
             RETAIN_EINVAL);
    CHECK_RC(e, retain_consent_set(e, "nobody", "email", "marketing", RETAIN_CONSENT_GRANTED, 1, NULL),
             RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_consent_get(NULL, NULL, e, "cons", "email", "marketing"), RETAIN_EINVAL);
}

/* --- orders ---------------------------------------------------------- */

static int64_t revenue(retain_engine *e, const char *cust, const char *cur)
{
    retain_customer *c = NULL;
    if (retain_customer_get(&c, e, cust) != RETAIN_OK)
        return -1;
    int64_t sum = 0;
    for (size_t i = 0; i < c->revenue_count; i++)
        if (!strcmp(c->revenue[i].currency, cur))
            sum = c->revenue[i].amount;
    retain_customer_free(c);
    return sum;
}

static void test_orders(retain_engine *e)
{
    add_customer(e, "buyer");
    retain_order_line lines[] = {
        { "SKU-1", "Tea", 2, 450 },
        { "SKU-2", "Mug", 1, 1200 },
        { "SKU-3", NULL, 3, 0 },
    };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = "A1";
    o.customer_id = "buyer";
    o.channel = "web";
    o.placed_at = 10 * DAY_MS;
    o.currency = "EUR";
    o.total = 2100;
    o.lines = lines;
    o.lines_count = 3;
    o.coupon = "WELCOME10";
    CHECK_OK(e, retain_order_record(e, &o));
    CHECK_OK(e, retain_order_record(e, &o)); /* the same order again: no duplicate */
    retain_counts n;
    CHECK_OK(e, retain_engine_counts(e, &n));
    int64_t orders_before = n.orders;
    CHECK_INT(revenue(e, "buyer", "EUR"), 2100);

    o.id = "A2";
    o.placed_at = 40 * DAY_MS;
    o.currency = "USD";
    o.total = 999;
    o.lines_count = 1;
    o.coupon = NULL;
    CHECK_OK(e, retain_order_record(e, &o));
    retain_customer *c = NULL;
    CHECK_OK(e, retain_customer_get(&c, e, "buyer"));
    if (c) {
        CHECK_INT(c->orders_count, 2);
        CHECK_INT(c->first_order_at, 10 * DAY_MS);
        CHECK_INT(c->last_order_at, 40 * DAY_MS);
        CHECK_INT(c->revenue_count, 2);
        retain_customer_free(c);
    }
    /* Updating the total keeps the statistics exact. */
    o.total = 1500;
    CHECK_OK(e, retain_order_record(e, &o));
    CHECK_INT(revenue(e, "buyer", "USD"), 1500);
    /* Cancelling removes it from revenue, count and last order time. */
    CHECK_OK(e, retain_order_set_status(e, "A2", "cancelled", 41 * DAY_MS));
    CHECK_OK(e, retain_order_set_status(e, "A2", "cancelled", 42 * DAY_MS)); /* no-op */
    CHECK_INT(revenue(e, "buyer", "USD"), 0);
    CHECK_OK(e, retain_customer_get(&c, e, "buyer"));
    if (c) {
        CHECK_INT(c->orders_count, 1);
        CHECK_INT(c->last_order_at, 10 * DAY_MS);
        retain_customer_free(c);
    }
    CHECK_OK(e, retain_order_set_status(e, "A2", "placed", 43 * DAY_MS));
    CHECK_INT(revenue(e, "buyer", "USD"), 1500);

    retain_order *got = NULL;
    CHECK_OK(e, retain_order_get(&got, e, "A1"));
    if (got) {
        CHECK_STR(got->customer_id, "buyer");
        CHECK_STR(got->currency, "EUR");
        CHECK_STR(got->coupon, "WELCOME10");
        CHECK_STR(got->status, "placed");
        CHECK_INT(got->lines_count, 3);
        CHECK_STR(got->lines[1].title, "Mug");
        CHECK_STR(got->lines[2].title, NULL);
        CHECK_INT(got->lines[0].quantity, 2);
        CHECK_INT(got->history_count, 1);
        retain_order_free(got);
    }
    CHECK_OK(e, retain_order_set_status(e, "A1", "shipped", 11 * DAY_MS));
    CHECK_OK(e, retain_order_set_status(e, "A1", "delivered", 13 * DAY_MS));
    CHECK_OK(e, retain_order_get(&got, e, "A1"));
    if (got) {
        CHECK_INT(got->history_count, 3);
        CHECK_STR(got->history[2].status, "delivered");
        CHECK_INT(got->history[2].at, 13 * DAY_MS);
        CHECK_INT(got->status_at, 13 * DAY_MS);
        retain_order_free(got);
    }
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.orders, orders_before + 1);

    /* Iterate a customer's orders in time order. */
    retain_order_iter *it;
    CHECK_OK(e, retain_order_iter_open(&it, e, "buyer"));
    const retain_order *row;
    int rows = 0, rc;
    const char *want[] = { "A1", "A2" };
    while ((rc = retain_order_iter_next(it, &row)) == RETAIN_ROW) {
        if (rows < 2)
            CHECK_STR(row->id, want[rows]);
        rows++;
    }
    CHECK_INT(rc, RETAIN_DONE);
    CHECK_INT(rows, 2);
    retain_order_iter_free(it);
    retain_order_iter_free(NULL);
    CHECK_RC(e, retain_order_iter_open(&it, e, "nobody"), RETAIN_ENOTFOUND);

    /* An order id never moves to another customer silently. */
    add_customer(e, "other");
    o.customer_id = "other";
    CHECK_RC(e, retain_order_record(e, &o), RETAIN_ECONFLICT);
}

static void test_order_bad_input(retain_engine *e)
{
    add_customer(e, "bo");
    retain_order_line neg = { "S", "t", -1, 100 };
    retain_order_line big = { "S", "t", INT64_MAX / 2, 3 };
    retain_order_line nosku = { NULL, "t", 1, 100 };
    retain_order_line negprice = { "S", "t", 1, -5 };
    static const struct { const char *what, *needle; } cases[] = {
        { "no id", "order.id is NULL" },
        { "empty customer", "order.customer_id is empty" },
        { "channel", "order.channel" },
        { "currency", "ISO 4217" },
        { "total", "order.total" },
        { "neg qty", "quantity" },
        { "overflow", "overflows" },
        { "no sku", "sku" },
        { "neg price", "unit_price" },
        { "status", "not an order status" },
        { "time", "outside years" },
        { "json", "attrs_json" },
        { "unknown customer", "does not exist" },
        { "lines null", "lines is NULL" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        retain_order o = RETAIN_ORDER_INIT;
        o.id = "BAD";
        o.customer_id = "bo";
        o.channel = "web";
        o.currency = "USD";
        o.total = 100;
        switch (i) {
        case 0: o.id = NULL; break;
        case 1: o.customer_id = ""; break;
        case 2: o.channel = "Web Shop"; break;
        case 3: o.currency = "usd"; break;
        case 4: o.total = -1; break;
        case 5: o.lines = &neg; o.lines_count = 1; break;
        case 6: o.lines = &big; o.lines_count = 1; break;
        case 7: o.lines = &nosku; o.lines_count = 1; break;
        case 8: o.lines = &negprice; o.lines_count = 1; break;
        case 9: o.status = "lost"; break;
        case 10: o.placed_at = INT64_MAX; break;
        case 11: o.attrs_json = "{bad}"; break;
        case 12: o.customer_id = "ghost"; break;
        case 13: o.lines_count = 2; break;
        }
        int rc = retain_order_record(e, &o);
        int want = i == 12 ? RETAIN_ENOTFOUND : RETAIN_EINVAL;
        if (rc != want || !strstr(retain_errmsg(e), cases[i].needle))
            T_FAIL("order case %s: rc %d \"%s\"", cases[i].what, rc, retain_errmsg(e));
        else
            t_passed++;
        retain_order *got = NULL;
        CHECK_RC(e, retain_order_get(&got, e, "BAD"), RETAIN_ENOTFOUND);
    }
    CHECK_RC(e, retain_order_set_status(e, "nope", "paid", 0), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_order_set_status(e, "nope", "eaten", 0), RETAIN_EINVAL);
    CHECK_RC(e, retain_order_get(NULL, e, "x"), RETAIN_EINVAL);
    CHECK_INT(retain_order_record(NULL, NULL), RETAIN_EINVAL);
    /* The engine is still usable. */
    retain_order o = RETAIN_ORDER_INIT;
    o.id = "GOOD";
    o.customer_id = "bo";
    o.channel = "pos";
    o.currency = "JPY";
    o.total = 500;
    CHECK_OK(e, retain_order_record(e, &o));
}

/* --- shipments and events ------------------------------------------ */

static void test_shipments_events(retain_engine *e)
{
    add_customer(e, "ship");
    retain_order o = RETAIN_ORDER_INIT;
    o.id = "S-O1";
    o.customer_id = "ship";
    o.channel = "web";
    o.currency = "USD";
    o.total = 5000;
    o.placed_at = DAY_MS;
    CHECK_OK(e, retain_order_record(e, &o));
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = "P1";
    s.order_id = "S-O1";
    s.carrier = "ups";
    s.tracking = "1Z999";
    s.promised_at = 5 * DAY_MS;
    s.at = 2 * DAY_MS;
    CHECK_OK(e, retain_shipment_record(e, &s));
    CHECK_OK(e, retain_shipment_update(e, "P1", "in_transit", 2 * DAY_MS + 1, 4 * DAY_MS, NULL));
    CHECK_OK(e, retain_shipment_update(e, "P1", "exception", 3 * DAY_MS, 6 * DAY_MS, "weather"));
    CHECK_OK(e, retain_shipment_update(e, "P1", "in_transit", 4 * DAY_MS, RETAIN_TIME_NONE, NULL));
    CHECK_OK(e, retain_shipment_update(e, "P1", "delivered", 6 * DAY_MS, RETAIN_TIME_NONE, NULL));
    retain_shipment *g = NULL;
    CHECK_OK(e, retain_shipment_get(&g, e, "P1"));
    if (g) {
        CHECK_STR(g->status, "delivered");
        CHECK_STR(g->order_id, "S-O1");
        CHECK_STR(g->carrier, "ups");
        CHECK_INT(g->eta, 6 * DAY_MS);
        CHECK_INT(g->delivered_at, 6 * DAY_MS);
        CHECK_INT(g->promised_at, 5 * DAY_MS);
        CHECK_STR(g->exception, "weather");
        CHECK_INT(g->history_count, 5);
        CHECK_INT(g->at, 2 * DAY_MS);
        if (g->history_count == 5) {
            CHECK_STR(g->history[2].detail, "weather");
            CHECK_INT(g->history[3].eta, RETAIN_TIME_NONE);
        }
        retain_shipment_free(g);
    }
    CHECK_RC(e, retain_shipment_update(e, "P1", "teleported", 7 * DAY_MS, RETAIN_TIME_NONE, NULL),
             RETAIN_EINVAL);
    CHECK_RC(e, retain_shipment_update(e, "P9", "delivered", 7 * DAY_MS, RETAIN_TIME_NONE, NULL),
             RETAIN_ENOTFOUND);
    s.order_id = "missing";
    s.id = "P2";
    CHECK_RC(e, retain_shipment_record(e, &s), RETAIN_ENOTFOUND);

    /* Host events with a redelivered id are recorded once. */
    CHECK_OK(e, retain_event_track(e, "ship", "review.clicked", 7 * DAY_MS, "{\"stars\":5}", "wh-1"));
    CHECK_OK(e, retain_event_track(e, "ship", "review.clicked", 7 * DAY_MS, "{\"stars\":5}", "wh-1"));
    CHECK_OK(e, retain_event_track(e, "ship", "page.viewed", 8 * DAY_MS, NULL, NULL));
    CHECK_RC(e, retain_event_track(e, "ship", "Bad Name", 8 * DAY_MS, NULL, NULL), RETAIN_EINVAL);
    CHECK_RC(e, retain_event_track(e, "ship", "ok", 8 * DAY_MS, "[]", NULL), RETAIN_EINVAL);
    CHECK_RC(e, retain_event_track(e, "ghost", "ok", 8 * DAY_MS, NULL, NULL), RETAIN_ENOTFOUND);

    const char *want[] = {
        "customer.created", "order.placed", "shipment.label_created", "shipment.shipped",
        "shipment.in_transit", "shipment.exception", "shipment.in_transit",
        "shipment.delivered", "review.clicked", "page.viewed",
    };
    size_t nwant = sizeof want / sizeof want[0];
    retain_event_iter *it;
    CHECK_OK(e, retain_event_iter_open(&it, e, "ship"));
    const retain_event *ev;
    size_t k = 0;
    int rc;
    while ((rc = retain_event_iter_next(it, &ev)) == RETAIN_ROW) {
        if (k < nwant)
            CHECK_STR(ev->name, want[k]);
        if (!strcmp(ev->name, "review.clicked")) {
            CHECK_STR(ev->props_json, "{\"stars\":5}");
            CHECK_STR(ev->host_event_id, "wh-1");
        }
        if (!strcmp(ev->name, "order.placed"))
            CHECK_STR(ev->order_id, "S-O1");
        k++;
    }
    CHECK_INT(rc, RETAIN_DONE);
    CHECK_INT(k, nwant);
    retain_event_iter_free(it);
}

/* A backup taken while a second connection holds the file open is a whole,
 * consistent database; bad destinations are refused and leave no file. */
static void test_backup(const char *path, const retain_counts *want)
{
    char dest[512];
    t_tmpdb(dest, sizeof dest, "store-backup");
    retain_engine *e = open_engine(path), *other = open_engine(path);
    if (!e || !other) {
        retain_engine_close(e);
        retain_engine_close(other);
        return;
    }
    CHECK_OK(other, retain_begin(other));   /* a reader-writer mid-transaction */
    add_customer(other, "during-backup");
    CHECK_OK(e, retain_engine_backup(e, dest));
    CHECK_OK(other, retain_commit(other));
    CHECK_RC(e, retain_engine_backup(e, dest), RETAIN_ECONFLICT);
    CHECK(strstr(retain_errmsg(e), "never overwrites") != NULL);
    CHECK_RC(e, retain_engine_backup(e, NULL), RETAIN_EINVAL);
    CHECK_RC(e, retain_engine_backup(e, ""), RETAIN_EINVAL);
    CHECK_RC(e, retain_engine_backup(e, ":memory:"), RETAIN_EINVAL);
    CHECK_RC(NULL, retain_engine_backup(NULL, dest), RETAIN_EINVAL);
    CHECK_OK(e, retain_begin(e));
    CHECK_RC(e, retain_engine_backup(e, "/tmp/retain-never-written.db"), RETAIN_EMISUSE);
    CHECK_OK(e, retain_rollback(e));
    CHECK(access("/tmp/retain-never-written.db", F_OK) != 0);
    CHECK_RC(e, retain_engine_backup(e, "/nonexistent-dir/x.db"), RETAIN_EIO);
    CHECK(access("/nonexistent-dir/x.db", F_OK) != 0);
    retain_engine_close(other);
    retain_engine_close(e);

    /* The copy opens on its own, holds what was committed before it started
     * (not the other connection's uncommitted customer) and is intact. It
     * is an SQLite file whatever the store's backend. */
    retain_engine *b = NULL;
    CHECK_INT((retain_engine_open)(&b, dest, NULL), RETAIN_OK);
    if (b) {
        retain_counts got;
        CHECK_OK(b, retain_engine_counts(b, &got));
        CHECK_INT(got.customers, want->customers);
        CHECK_INT(got.orders, want->orders);
        CHECK_INT(got.order_lines, want->order_lines);
        CHECK_INT(got.events, want->events);
        CHECK_INT(revenue(b, "buyer", "EUR"), 2100);
        retain_engine_close(b);
    }
    t_rmdb(dest);
}

static void run_all(const char *path)
{
    retain_engine *e = open_engine(path);
    if (!e)
        return;
    test_customers(e);
    test_consent(e);
    test_orders(e);
    test_order_bad_input(e);
    test_shipments_events(e);
    retain_counts before;
    CHECK_OK(e, retain_engine_counts(e, &before));
    retain_engine_close(e);
    if (strcmp(path, ":memory:") == 0)
        return;
    /* Reopen the file: everything persisted. */
    e = open_engine(path);
    if (!e)
        return;
    retain_counts after;
    CHECK_OK(e, retain_engine_counts(e, &after));
    CHECK_INT(after.customers, before.customers);
    CHECK_INT(after.orders, before.orders);
    CHECK_INT(after.events, before.events);
    CHECK_INT(after.shipments, 1);
    CHECK_INT(revenue(e, "buyer", "EUR"), 2100);
    retain_engine_close(e);
    test_backup(path, &after);
}

int main(void)
{
    run_all(":memory:");
    char path[512];
    t_tmpdb(path, sizeof path, "store");
    run_all(path);
    t_rmdb(path);
    return t_report("store");
}

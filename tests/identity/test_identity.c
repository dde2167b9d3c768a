/*
 * test_identity.c - one customer across sales channels: retain_customer_merge()
 * moves everything and loses nothing, consent takes the stricter side, an
 * active journey never runs twice for one person, the merged id keeps
 * working as an alias, bad merges change nothing, and RETAIN_OPEN_AUTOLINK
 * links new ids by e-mail or phone but never by a marketplace relay address.
 */
#include "../harness.h"
#include "../unit/util.h"

#include <retain.h>
#include <sqlite3.h>

#define T0 1705320000000LL
#define DAY 86400000LL

static retain_engine *open_flags(const char *path, unsigned flags)
{
    retain_options o = RETAIN_OPTIONS_INIT;
    o.flags = flags;
    retain_engine *e = NULL;
    char err[256] = "";
    int rc = retain_engine_open_ex(&e, path, &o, err, sizeof err);
    if (rc)
        T_FAIL("open %s: %s", path, err);
    return e;
}

static void customer(retain_engine *e, const char *id, const char *email, const char *phone,
                     const char *name, const char *attrs, int64_t at)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.phone = phone;
    c.name = name;
    c.attrs_json = attrs;
    c.at = at;
    CHECK_OK(e, retain_customer_upsert(e, &c));
}

static void order(retain_engine *e, const char *id, const char *cust, const char *currency,
                  int64_t total, int64_t at)
{
    retain_order_line l = { "TEA-1", "Sencha", 1, total };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = "web";
    o.placed_at = at;
    o.currency = currency;
    o.total = total;
    o.lines = &l;
    o.lines_count = 1;
    CHECK_OK(e, retain_order_record(e, &o));
}

static int64_t revenue(retain_engine *e, const char *id, const char *currency)
{
    retain_customer *c = NULL;
    int64_t n = -1;
    if (retain_customer_get(&c, e, id) == RETAIN_OK) {
        for (size_t i = 0; i < c->revenue_count; i++)
            if (!strcmp(c->revenue[i].currency, currency))
                n = c->revenue[i].amount;
        retain_customer_free(c);
    }
    return n;
}

static retain_consent_state consent(retain_engine *e, const char *id, const char *channel,
                                    const char *category, int64_t *at)
{
    retain_consent_state s = RETAIN_CONSENT_UNKNOWN;
    CHECK_OK(e, retain_consent_get(&s, at, e, id, channel, category));
    return s;
}

/* How often `needle` occurs in `hay`. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static const char journey[] =
    "journey: welcome\n"
    "version: 1\n"
    "trigger: { event: customer.created }\n"
    "entry: once\n"
    "steps:\n"
    "  - id: hello\n"
    "    wait: 1d\n"
    "    send: { channel: email, template: welcome, category: transactional }\n";

/* Everything of the merged-away customer moves; nothing is lost or doubled. */
static void test_merge(const char *path)
{
    retain_engine *e = open_flags(path, 0);
    if (!e)
        return;
    retain_diag d[4];
    size_t nd = 0;
    CHECK_OK(e, retain_journeys_load(e, journey, "welcome.yaml", T0, d, 4, &nd));
    customer(e, "web-1", "ann@example.com", NULL, "Ann", "{\"tier\":\"gold\",\"a\":1}", T0);
    customer(e, "pos-7", NULL, "+14155550100", "Ann P.", "{\"tier\":\"basic\",\"b\":2}", T0 + 1);
    order(e, "W1", "web-1", "USD", 2500, T0 + 10 * DAY);
    order(e, "W2", "web-1", "USD", 1000, T0 + 20 * DAY);
    order(e, "P1", "pos-7", "USD", 700, T0 + 5 * DAY);
    order(e, "P2", "pos-7", "EUR", 900, T0 + 30 * DAY);
    /* web-1 allowed marketing e-mail later; pos-7 refused it earlier: the
     * refusal still wins. pos-7 alone answered for SMS. */
    CHECK_OK(e, retain_consent_set(e, "web-1", "email", "marketing", RETAIN_CONSENT_GRANTED,
                                   T0 + 9 * DAY, "checkout"));
    CHECK_OK(e, retain_consent_set(e, "pos-7", "email", "marketing", RETAIN_CONSENT_REVOKED,
                                   T0 + 2 * DAY, "till"));
    CHECK_OK(e, retain_consent_set(e, "pos-7", "sms", "marketing", RETAIN_CONSENT_GRANTED,
                                   T0 + 3 * DAY, "till"));
    retain_counts before;
    CHECK_OK(e, retain_engine_counts(e, &before));

    CHECK_OK(e, retain_customer_merge(e, "web-1", "pos-7", T0 + 40 * DAY));

    retain_counts after;
    CHECK_OK(e, retain_engine_counts(e, &after));
    CHECK_INT(after.customers, before.customers - 1);
    CHECK_INT(after.orders, before.orders);
    CHECK_INT(after.order_lines, before.order_lines);
    CHECK_INT(after.events, before.events + 1);   /* + customer.merged */
    retain_customer *c = NULL;
    CHECK_OK(e, retain_customer_get(&c, e, "web-1"));
    if (c) {
        CHECK_INT(c->orders_count, 4);
        CHECK_INT(c->first_order_at, T0 + 5 * DAY);
        CHECK_INT(c->last_order_at, T0 + 30 * DAY);
        CHECK_STR(c->email, "ann@example.com");
        CHECK_STR(c->phone, "+14155550100");   /* filled in */
        CHECK_STR(c->name, "Ann");             /* the survivor's */
        CHECK(strstr(c->attrs_json, "\"tier\":\"gold\"") != NULL);
        CHECK(strstr(c->attrs_json, "\"b\":2") != NULL);
        CHECK(isnan(c->p_alive));
        retain_customer_free(c);
    }
    CHECK_INT(revenue(e, "web-1", "USD"), 4200);
    CHECK_INT(revenue(e, "web-1", "EUR"), 900);
    int64_t at = 0;
    CHECK_INT(consent(e, "web-1", "email", "marketing", &at), RETAIN_CONSENT_REVOKED);
    CHECK_INT(at, T0 + 2 * DAY);
    CHECK_INT(consent(e, "web-1", "sms", "marketing", &at), RETAIN_CONSENT_GRANTED);

    /* The old id is an alias: it reads, records and lists as the survivor. */
    CHECK_OK(e, retain_customer_get(&c, e, "pos-7"));
    if (c) {
        CHECK_STR(c->id, "web-1");
        retain_customer_free(c);
    }
    order(e, "P3", "pos-7", "USD", 300, T0 + 41 * DAY);
    CHECK_INT(revenue(e, "web-1", "USD"), 4500);
    retain_order *o = NULL;
    CHECK_OK(e, retain_order_get(&o, e, "P1"));
    if (o) {
        CHECK_STR(o->customer_id, "web-1");
        retain_order_free(o);
    }

    /* Both were enrolled in a once-only journey: one instance stays active,
     * the duplicate exited, and the merged person is not enrolled again. */
    char *json = NULL;
    CHECK_OK(e, retain_customer_export(&json, e, "web-1"));
    CHECK_INT(occurrences(json, "\"journey\":\"welcome\""), 2);
    CHECK_INT(occurrences(json, "\"exit_reason\":\"merged\""), 1);
    CHECK_INT(occurrences(json, "\"state\":\"active\""), 1);
    retain_free(e, json);
    retain_tick_stats ts;
    CHECK_OK(e, retain_engine_tick(e, T0 + 41 * DAY, &ts));

    /* The record of the merge. */
    CHECK_OK(e, retain_customer_merges(&json, e, "web-1"));
    CHECK(json && strstr(json, "\"from\":\"pos-7\"") && strstr(json, "\"reason\":\"host\"") &&
          strstr(json, "\"orders\":2"));
    retain_free(e, json);

    /* Bad merges change nothing. */
    CHECK_RC(e, retain_customer_merge(e, "web-1", "web-1", T0), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e), "itself") != NULL);
    CHECK_RC(e, retain_customer_merge(e, "web-1", "pos-7", T0), RETAIN_EINVAL); /* alias */
    CHECK_RC(e, retain_customer_merge(e, "web-1", "nobody", T0), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_customer_merge(e, NULL, "pos-7", T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_merge(e, "web-1", "", T0), RETAIN_EINVAL);
    CHECK_RC(NULL, retain_customer_merge(NULL, "a", "b", T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_merges(NULL, e, "web-1"), RETAIN_EINVAL);
    CHECK_RC(e, retain_customer_merges(&json, e, "nobody"), RETAIN_ENOTFOUND);

    /* A merge whose revenue sum would overflow is refused whole. */
    customer(e, "rich-1", NULL, NULL, NULL, NULL, T0);
    customer(e, "rich-2", NULL, NULL, NULL, NULL, T0);
    order(e, "R1", "rich-1", "USD", INT64_MAX - 10, T0);
    order(e, "R2", "rich-2", "USD", 100, T0);
    CHECK_OK(e, retain_engine_counts(e, &before));
    CHECK_RC(e, retain_customer_merge(e, "rich-1", "rich-2", T0), RETAIN_ELIMIT);
    CHECK_OK(e, retain_engine_counts(e, &after));
    CHECK_INT(after.customers, before.customers);
    CHECK_INT(revenue(e, "rich-2", "USD"), 100);
    CHECK_INT(revenue(e, "rich-1", "USD"), INT64_MAX - 10);
    retain_engine_close(e);
}

/* After a merge no row of any table that references customers names the
 * merged-away customer, whatever tables the schema has grown. */
static void test_no_reference_left(const char *path)
{
    retain_engine *e = open_flags(path, 0);
    if (!e)
        return;
    customer(e, "x-1", "x1@example.com", NULL, NULL, NULL, T0);
    customer(e, "x-2", "x2@example.com", NULL, NULL, NULL, T0);
    order(e, "X1", "x-2", "USD", 100, T0);
    CHECK_OK(e, retain_consent_set(e, "x-2", "email", "marketing", RETAIN_CONSENT_GRANTED, T0,
                                   NULL));
    retain_engine_close(e);

    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT id FROM customer WHERE ext_id='x-2'", -1, &st, NULL);
    int64_t gone = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(gone > 0);

    e = open_flags(path, 0);
    if (!e)
        return;
    CHECK_OK(e, retain_customer_merge(e, "x-1", "x-2", T0 + DAY));
    retain_engine_close(e);

    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_prepare_v2(db,
                       "SELECT m.name, f.\"from\" FROM sqlite_master m,"
                       " pragma_foreign_key_list(m.name) f"
                       " WHERE m.type='table' AND f.\"table\"='customer'",
                       -1, &st, NULL);
    int tables = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\" WHERE \"%s\"=%lld",
                 (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1), (long long)gone);
        sqlite3_stmt *q;
        CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(q) == SQLITE_ROW);
        if (sqlite3_column_int64(q, 0) != 0)
            T_FAIL("table %s still names the merged customer", sqlite3_column_text(st, 0));
        sqlite3_finalize(q);
        tables++;
    }
    sqlite3_finalize(st);
    CHECK(tables >= 8);
    sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* RETAIN_OPEN_AUTOLINK: a new id with a known e-mail or phone is the same
 * person; a relay address is not; without the flag every id is new. */
static void test_autolink(void)
{
    static const struct {
        const char *id, *email, *phone;
        const char *becomes;   /* the customer the id names afterwards */
    } cases[] = {
        { "web-1", "ann@example.com", "+14155550100", "web-1" },
        { "amz-1", "ANN@Example.com", NULL, "web-1" },            /* e-mail, normalized */
        { "pos-1", NULL, "(415) 555-0100", "web-1" },             /* phone, normalized */
        { "amz-2", "x7f3@marketplace.amazon.com", NULL, "amz-2" }, /* relay: its own */
        { "amz-3", "x7f3@marketplace.amazon.com", NULL, "amz-3" }, /* relays never link */
        { "web-2", "bob@example.com", "+14155550199", "web-2" },
        { "pos-2", "bob@example.com", "+14155550100", "web-2" },  /* e-mail beats phone */
    };
    retain_options o = RETAIN_OPTIONS_INIT;
    o.flags = RETAIN_OPEN_AUTOLINK;
    o.default_country = "US";
    retain_engine *e = NULL;
    CHECK(retain_engine_open(&e, ":memory:", &o) == RETAIN_OK);
    if (!e)
        return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        customer(e, cases[i].id, cases[i].email, cases[i].phone, NULL, NULL, T0 + (int64_t)i);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        retain_customer *c = NULL;
        CHECK_OK(e, retain_customer_get(&c, e, cases[i].id));
        if (c)
            CHECK_STR(c->id, cases[i].becomes);
        retain_customer_free(c);
    }
    retain_counts n;
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 4);
    order(e, "A1", "amz-1", "USD", 1200, T0 + DAY);
    CHECK_INT(revenue(e, "web-1", "USD"), 1200);
    char *json = NULL;
    CHECK_OK(e, retain_customer_merges(&json, e, "web-1"));
    CHECK(json && strstr(json, "\"from\":\"amz-1\",\"reason\":\"email\"") &&
          strstr(json, "\"from\":\"pos-1\",\"reason\":\"phone\""));
    retain_free(e, json);
    retain_engine_close(e);

    /* Off by default. */
    CHECK(retain_engine_open(&e, ":memory:", NULL) == RETAIN_OK);
    customer(e, "web-1", "ann@example.com", NULL, NULL, NULL, T0);
    customer(e, "amz-1", "ann@example.com", NULL, NULL, NULL, T0);
    CHECK_OK(e, retain_engine_counts(e, &n));
    CHECK_INT(n.customers, 2);
    retain_engine_close(e);

    /* Unknown flags are refused. */
    o.flags = 0x80u;
    e = NULL;
    char err[200] = "";
    CHECK_INT(retain_engine_open_ex(&e, ":memory:", &o, err, sizeof err), RETAIN_EINVAL);
    CHECK(e == NULL && strstr(err, "unknown bits") != NULL);
}

int main(void)
{
    test_merge(":memory:");
    char path[512];
    t_tmpdb(path, sizeof path, "identity");
    test_merge(path);
    t_rmdb(path);
    t_tmpdb(path, sizeof path, "identity-refs");
    test_no_reference_left(path);
    t_rmdb(path);
    test_autolink();
    return t_report("identity");
}

/*
 * test_recommend.c - complementary products on a hand table of baskets
 * whose scores can be worked out on paper (cosine of co-purchase counts,
 * summed over what the customer owns), with the exact expected ranking;
 * owned items left out, build options, titles and prices, the recommend
 * journey step's payload, and bad inputs.
 */
#include "dom.h"

#include <retain/recommend.h>

/* Item counts A4 B4 C3 D2 E1; pairs AB3 AC2 BD2 AD1 BC1 CE1; so cosine
 * AB .75, BD .7071, AC .5774, CE .5774, AD .3536, BC .2887. */
static const struct { const char *customer, *items; } baskets[] = {
    { "u1", "A B C" }, { "u2", "A B" }, { "u3", "A C" },
    { "u4", "B D" },   { "u5", "A B D" }, { "u6", "C E" },
};

typedef struct reco_case {
    const char *name;
    int neighbors, min_support; /* build options; 0: defaults */
    const char *customer;
    size_t n;
    const char *want; /* "SKU=score SKU=score" */
} reco_case;

static const reco_case reco_cases[] = {
    /* u3 owns A, C: B .75 + .2887, E .5774, D .3536 */
    { "owns A and C", 0, 0, "u3", 5, "B=1.0387 E=0.5774 D=0.3536" },
    { "top one", 0, 0, "u3", 1, "B=1.0387" },
    /* u4 owns B, D: A .75 + .3536, C .2887 */
    { "owns B and D", 0, 0, "u4", 5, "A=1.1036 C=0.2887" },
    /* u2 owns A, B: D .3536 + .7071, C .5774 + .2887 */
    { "owns A and B", 0, 0, "u2", 5, "D=1.0607 C=0.8660" },
    { "owns C and E", 0, 0, "u6", 5, "A=0.5774 B=0.2887" },
    { "owns everything it co-bought", 0, 0, "u1", 5, "D=1.0607 E=0.5774" },
    { "min_support 2 keeps AB AC BD", 0, 2, "u3", 5, "B=0.7500" },
    /* one neighbour a SKU: A->B, C->A (tie with E, by name) */
    { "one neighbour per SKU", 1, 0, "u3", 5, "B=0.7500" },
    { "no purchases: nothing", 0, 0, "u0", 5, "" },
};

static retain_engine *hand_table(void)
{
    retain_engine *e = dom_open(":memory:", NULL);
    if (!e)
        return NULL;
    dom_customer(e, "u0", NULL);
    char oid[16];
    for (size_t i = 0; i < sizeof baskets / sizeof baskets[0]; i++) {
        dom_customer(e, baskets[i].customer, NULL);
        snprintf(oid, sizeof oid, "b%zu", i + 1);
        dom_order(e, oid, baskets[i].customer, T0 + (int64_t)i * HOUR, baskets[i].items);
    }
    /* A cancelled basket counts for nothing. */
    dom_customer(e, "u7", NULL);
    dom_order(e, "b7", "u7", T0, "A E E");
    CHECK_OK(e, retain_order_set_status(e, "b7", "cancelled", T0 + HOUR));
    return e;
}

static void run_reco_case(retain_engine *e, const reco_case *c)
{
    retain_recommend_options o = RETAIN_RECOMMEND_OPTIONS_INIT;
    o.neighbors = c->neighbors;
    o.min_support = c->min_support;
    retain_recommend_stats st;
    CHECK_OK(e, retain_recommend_build(&st, e, &o));
    CHECK_INT(st.baskets, 6);
    CHECK_INT(st.skus, 5);
    CHECK_INT(st.pairs, 6);
    retain_recommendations *r = NULL;
    CHECK_OK(e, retain_recommend(&r, e, c->customer, c->n));
    if (!r)
        return;
    char got[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < r->count; i++)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%s=%.4f", i ? " " : "",
                                 r->items[i].sku, r->items[i].score);
    if (strcmp(got, c->want))
        T_FAIL("%s: \"%s\", expected \"%s\"", c->name, got, c->want);
    else
        t_passed++;
    retain_recommendations_free(r);
}

static void test_details(retain_engine *e)
{
    CHECK_OK(e, retain_recommend_build(NULL, e, NULL));
    retain_product p = RETAIN_PRODUCT_INIT;
    p.sku = "B";
    p.title = "Bamboo brush";
    p.price = 1299;
    p.currency = "EUR";
    p.at = T0;
    CHECK_OK(e, retain_product_upsert(e, &p));
    retain_recommendations *r = NULL;
    CHECK_OK(e, retain_recommend(&r, e, "u3", 3));
    if (r && r->count == 3) {
        CHECK_STR(r->items[0].sku, "B");
        CHECK_STR(r->items[0].title, "Bamboo brush");
        CHECK_INT(r->items[0].price, 1299);
        CHECK_STR(r->items[0].currency, "EUR");
        CHECK_INT(r->items[0].support, 4); /* with A in 3 orders, with C in 1 */
        /* No product row: the latest order line's price, no title. */
        CHECK_STR(r->items[2].sku, "D");
        CHECK(r->items[2].title == NULL);
        CHECK_INT(r->items[2].price, 1000);
        CHECK_STR(r->items[2].currency, "EUR");
    } else {
        T_FAIL("u3: %zu recommendations", r ? r->count : 0);
    }
    retain_recommendations_free(r);
    /* Nothing a customer owns comes back, whatever n. */
    for (size_t i = 0; i < sizeof baskets / sizeof baskets[0]; i++) {
        CHECK_OK(e, retain_recommend(&r, e, baskets[i].customer, 100));
        for (size_t k = 0; r && k < r->count; k++)
            if (strstr(baskets[i].items, r->items[k].sku))
                T_FAIL("%s owns %s but got it", baskets[i].customer, r->items[k].sku);
        retain_recommendations_free(r);
    }
}

static void test_step(retain_engine *e)
{
    dom_rec rec;
    memset(&rec, 0, sizeof rec);
    dom_transport(e, "email", &rec);
    dom_load(e, "journey: complementary\n"
                "trigger: shipment.delivered\n"
                "steps:\n"
                "  - id: pick\n"
                "    recommend: { count: 2 }\n"
                "  - id: suggest\n"
                "    wait: 1d\n"
                "    send: { channel: email, template: goes-well-with, category: marketing }\n");
    CHECK_OK(e, retain_consent_set(e, "u3", "email", "marketing", RETAIN_CONSENT_GRANTED, T0, "t"));
    CHECK_OK(e, retain_recommend_build(NULL, e, NULL));
    dom_ship(e, "s3", "b3", T0 + DAY, RETAIN_TIME_NONE, "dhl", "9");
    CHECK_OK(e, retain_shipment_update(e, "s3", "delivered", T0 + 2 * DAY, RETAIN_TIME_NONE, NULL));
    CHECK_OK(e, retain_engine_tick(e, T0 + 2 * DAY + HOUR, NULL));
    CHECK_INT(rec.calls, 0);
    CHECK_OK(e, retain_engine_tick(e, T0 + 3 * DAY + HOUR, NULL));
    CHECK_INT(rec.calls, 1);
    const char *want = "\"recommendations\":[{\"sku\":\"B\",\"title\":\"Bamboo brush\","
                       "\"price\":1299,\"currency\":\"EUR\",\"score\":1.038675},"
                       "{\"sku\":\"E\",\"title\":null,\"price\":1000,\"currency\":\"EUR\","
                       "\"score\":0.577350}]";
    if (!strstr(rec.last_payload, want))
        T_FAIL("payload lacks the recommendations: %s", rec.last_payload);
    else
        t_passed++;
}

static void test_bad_input(retain_engine *e)
{
    retain_recommendations *r = (retain_recommendations *)&r;
    CHECK_RC(e, retain_recommend(&r, e, "nobody", 3), RETAIN_ENOTFOUND);
    CHECK(r == NULL);
    CHECK_RC(e, retain_recommend(&r, e, "u3", 0), RETAIN_EINVAL);
    CHECK_RC(e, retain_recommend(&r, e, "u3", 101), RETAIN_EINVAL);
    CHECK_RC(e, retain_recommend(&r, e, NULL, 3), RETAIN_EINVAL);
    CHECK_RC(e, retain_recommend(NULL, e, "u3", 3), RETAIN_EINVAL);
    retain_recommend_options o = RETAIN_RECOMMEND_OPTIONS_INIT;
    o.neighbors = 1001;
    CHECK_RC(e, retain_recommend_build(NULL, e, &o), RETAIN_EINVAL);
    o.neighbors = 0;
    o.min_support = -1;
    CHECK_RC(e, retain_recommend_build(NULL, e, &o), RETAIN_EINVAL);
    o.min_support = 0;
    o.version = 0;
    CHECK_RC(e, retain_recommend_build(NULL, e, &o), RETAIN_EINVAL);
    static const struct { const char *sku, *title, *cur; int64_t price; } bad[] = {
        { NULL, "x", "EUR", 1 }, { "", "x", "EUR", 1 }, { "A", "x", "EURO", 100 },
        { "A", "x", NULL, 100 }, { "A", "x", "EUR", -2 }, { "A", "x", "EUR", -1 },
        { "A", "bad\x01title", "EUR", 1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_product p = RETAIN_PRODUCT_INIT;
        p.sku = bad[i].sku;
        p.title = bad[i].title;
        p.currency = bad[i].cur;
        p.price = bad[i].price;
        p.at = T0;
        CHECK_RC(e, retain_product_upsert(e, &p), RETAIN_EINVAL);
    }
    retain_recommendations_free(NULL);
    /* Still usable after all that. */
    CHECK_OK(e, retain_recommend(&r, e, "u3", 1));
    retain_recommendations_free(r);
}

int main(void)
{
    retain_engine *e = hand_table();
    if (!e)
        return t_report("recommend");
    for (size_t i = 0; i < sizeof reco_cases / sizeof reco_cases[0]; i++)
        run_reco_case(e, &reco_cases[i]);
    test_details(e);
    test_step(e);
    test_bad_input(e);
    retain_engine_close(e);
    return t_report("recommend");
}

/*
 * test_coupon.c - coupon campaigns and codes on a simulated clock: the
 * checkout refusals (a table), redemption when an order arrives, the code
 * alphabet and generators (a host generator forced to repeat), bad input,
 * and the journey `coupon:` step: payload, on_invalid, the send-time check
 * and the marketplace block.
 */
#include "cfutil.h"

#define DAY (24 * HOUR)

static void define_campaigns(retain_engine *e)
{
    static const char *const web_pos[] = { "web", "pos" };
    retain_coupon_campaign c = RETAIN_COUPON_CAMPAIGN_INIT;
    c.name = "sorry10";
    c.prefix = "SORRY";
    c.percent = 10;
    c.min_total = (retain_money){ 2000, "EUR" };
    c.valid_for_ms = 30 * DAY;
    c.per_customer = 1;
    c.channels = web_pos;
    c.channels_count = 2;
    CHECK_OK(e, retain_coupon_campaign_define(e, &c, T0));

    retain_coupon_campaign f = RETAIN_COUPON_CAMPAIGN_INIT;
    f.name = "five";
    f.discount = RETAIN_DISCOUNT_FIXED;
    f.amount = (retain_money){ 500, "EUR" };
    f.expires_at = T0 + 10 * DAY;
    f.max_uses = 2;
    f.code_length = 12;
    CHECK_OK(e, retain_coupon_campaign_define(e, &f, T0));
}

static void issue(retain_engine *e, char *code, const char *campaign, const char *cust, int64_t at)
{
    CHECK_OK(e, retain_coupon_issue(code, RETAIN_COUPON_CODE_MAX, e, campaign, cust, at));
}

static bool alphabet_only(const char *s)
{
    for (; *s; s++)
        if (!strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ", *s))
            return false;
    return true;
}

static void test_checkout(void)
{
    retain_engine *e = dom_open();
    dom_customer(e, "c1");
    dom_customer(e, "c2");
    define_campaigns(e);
    enum { K_C1, K_C1B, K_C2, K_C2B, K_FIVE, K_N };
    char codes[K_N][RETAIN_COUPON_CODE_MAX];
    issue(e, codes[K_C1], "sorry10", "c1", T0);
    issue(e, codes[K_C1B], "sorry10", "c1", T0);
    issue(e, codes[K_C2], "sorry10", "c2", T0);
    issue(e, codes[K_C2B], "sorry10", "c2", T0);
    issue(e, codes[K_FIVE], "five", NULL, T0);
    CHECK_INT(strlen(codes[K_C1]), 5 + 8);
    CHECK(!strncmp(codes[K_C1], "SORRY", 5) && alphabet_only(codes[K_C1] + 5));
    CHECK_INT(strlen(codes[K_FIVE]), 12);
    CHECK(alphabet_only(codes[K_FIVE]));

    /* c1 uses its first code on order o1: the campaign's limit for c1 is used. */
    retain_coupon_check chk = RETAIN_COUPON_CHECK_INIT;
    retain_money eur25 = { 2500, "EUR" };
    CHECK_OK(e, retain_coupon_redeem(&chk, e, codes[K_C1], "c1", "o1", &eur25, "web", T0 + DAY));
    CHECK_INT(chk.reason, RETAIN_COUPON_VALID);
    CHECK_INT(chk.discount_amount.amount, 250);
    CHECK_INT(chk.uses_left, 0);
    /* The same order again is the same redemption. */
    CHECK_OK(e, retain_coupon_redeem(&chk, e, codes[K_C1], "c1", "o1", &eur25, "web", T0 + DAY));
    CHECK_INT(chk.reason, RETAIN_COUPON_VALID);
    CHECK_OK(e, retain_coupon_revoke(e, codes[K_C2B], "sent by mistake", T0 + 2 * DAY));

    static const struct {
        const char *name;
        int code;         /* index, or -1 for the literal */
        const char *literal;
        const char *customer;
        int64_t amount;
        const char *currency;
        const char *channel;
        int64_t at;
        retain_coupon_reason want;
        int64_t discount;
    } cases[] = {
        { "unknown", -1, "NOPE2345", "c1", 2500, "EUR", "web", T0, RETAIN_COUPON_UNKNOWN, 0 },
        { "lower case is the same code", K_C2, NULL, "c2", 2500, "EUR", "web", T0,
          RETAIN_COUPON_VALID, 250 },
        { "expired (absolute)", K_FIVE, NULL, "c1", 2500, "EUR", "web", T0 + 10 * DAY,
          RETAIN_COUPON_EXPIRED, 0 },
        { "just before the absolute expiry", K_FIVE, NULL, "c1", 2500, "EUR", "web",
          T0 + 10 * DAY - 1, RETAIN_COUPON_VALID, 500 },
        { "expired (relative to issue)", K_C2, NULL, "c2", 2500, "EUR", "web", T0 + 30 * DAY,
          RETAIN_COUPON_EXPIRED, 0 },
        { "used up", K_C1, NULL, "c1", 2500, "EUR", "web", T0 + 2 * DAY, RETAIN_COUPON_USED_UP, 0 },
        { "per-customer limit", K_C1B, NULL, "c1", 2500, "EUR", "web", T0 + 2 * DAY,
          RETAIN_COUPON_CUSTOMER_LIMIT, 0 },
        { "wrong channel", K_C2, NULL, "c2", 2500, "EUR", "amazon", T0, RETAIN_COUPON_WRONG_CHANNEL, 0 },
        { "minimum order not met", K_C2, NULL, "c2", 1999, "EUR", "web", T0,
          RETAIN_COUPON_MINIMUM_NOT_MET, 0 },
        { "minimum order exactly met", K_C2, NULL, "c2", 2000, "EUR", "pos", T0,
          RETAIN_COUPON_VALID, 200 },
        { "revoked", K_C2B, NULL, "c2", 2500, "EUR", "web", T0 + 3 * DAY, RETAIN_COUPON_REVOKED, 0 },
        { "before its revocation", K_C2B, NULL, "c2", 2500, "EUR", "web", T0 + DAY,
          RETAIN_COUPON_VALID, 250 },
        { "another customer's code", K_C2, NULL, "c1", 2500, "EUR", "web", T0,
          RETAIN_COUPON_WRONG_CUSTOMER, 0 },
        { "wrong currency", K_C2, NULL, "c2", 2500, "USD", "web", T0, RETAIN_COUPON_WRONG_CURRENCY, 0 },
        { "fixed amount never above the total", K_FIVE, NULL, NULL, 300, "EUR", "amazon", T0,
          RETAIN_COUPON_VALID, 300 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char code[RETAIN_COUPON_CODE_MAX];
        snprintf(code, sizeof code, "%s", cases[i].code < 0 ? cases[i].literal : codes[cases[i].code]);
        if (i == 1)
            for (char *p = code; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        retain_money total = { cases[i].amount, "" };
        snprintf(total.currency, sizeof total.currency, "%s", cases[i].currency);
        retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
        CHECK_OK(e, retain_coupon_validate(&c, e, code, cases[i].customer, &total, cases[i].channel,
                                           cases[i].at));
        if (c.reason != cases[i].want)
            T_FAIL("%s: reason %s (%s), expected %s", cases[i].name,
                   retain_coupon_reason_name(c.reason), c.message,
                   retain_coupon_reason_name(cases[i].want));
        else
            t_passed++;
        CHECK_INT(c.discount_amount.amount, cases[i].discount);
        CHECK(c.message[0] != '\0');
    }
    /* Messages a shopper can read. */
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    retain_money eur15 = { 1500, "EUR" };
    CHECK_OK(e, retain_coupon_validate(&c, e, codes[K_C2], "c2", &eur15, "web", T0));
    CHECK(strstr(c.message, "at least 20.00 EUR") != NULL);
    CHECK_OK(e, retain_coupon_validate(&c, e, codes[K_C2], "c2", &eur15, "amazon", T0));
    CHECK(strstr(c.message, "only web,pos") != NULL);
    CHECK_STR(retain_coupon_reason_name(RETAIN_COUPON_CUSTOMER_LIMIT), "customer_limit");

    /* A refused redemption counts nothing. */
    CHECK_OK(e, retain_coupon_redeem(&c, e, codes[K_C2], "c2", "o9", &eur15, "web", T0));
    CHECK_INT(c.reason, RETAIN_COUPON_MINIMUM_NOT_MET);
    CHECK_OK(e, retain_coupon_validate(&c, e, codes[K_C2], "c2", &eur25, "web", T0));
    CHECK_INT(c.reason, RETAIN_COUPON_VALID);
    /* Guests may use codes issued to nobody, not someone's personal code. */
    CHECK_OK(e, retain_coupon_validate(&c, e, codes[K_FIVE], NULL, &eur25, "web", T0));
    CHECK_INT(c.reason, RETAIN_COUPON_VALID);
    CHECK_OK(e, retain_coupon_validate(&c, e, codes[K_C2], NULL, &eur25, "web", T0));
    CHECK_INT(c.reason, RETAIN_COUPON_WRONG_CUSTOMER);
    CHECK_RC(e, retain_coupon_validate(&c, e, codes[K_C2], "nobody", &eur25, "web", T0),
             RETAIN_ENOTFOUND);
    retain_engine_close(e);
}

static void test_order_redeems(void)
{
    retain_engine *e = dom_open();
    dom_customer(e, "c1");
    define_campaigns(e);
    char code[RETAIN_COUPON_CODE_MAX];
    issue(e, code, "five", "c1", T0);
    dom_order(e, "o1", "c1", "web", "TEA", code, T0 + HOUR);
    char props[512] = "";
    CHECK_INT(dom_events(e, "c1", "coupon.redeemed", props, sizeof props), 1);
    CHECK(strstr(props, "\"accepted\":true") != NULL);
    /* Recording the order again (a status change) does not count again. */
    dom_order(e, "o1", "c1", "web", "TEA", code, T0 + 2 * HOUR);
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    CHECK_OK(e, retain_coupon_validate(&c, e, code, "c1", NULL, NULL, T0 + 3 * HOUR));
    CHECK_INT(c.reason, RETAIN_COUPON_VALID);
    CHECK_INT(c.uses_left, 1);
    /* Checkout redeemed it for o2, then o2 arrives: one use. */
    CHECK_OK(e, retain_coupon_redeem(&c, e, code, "c1", "o2", NULL, "web", T0 + 4 * HOUR));
    CHECK_INT(c.reason, RETAIN_COUPON_VALID);
    dom_order(e, "o2", "c1", "web", "TEA", code, T0 + 4 * HOUR);
    CHECK_INT(dom_events(e, "c1", "coupon.redeemed", NULL, 0), 2);
    CHECK_OK(e, retain_coupon_validate(&c, e, code, "c1", NULL, NULL, T0 + 5 * HOUR));
    CHECK_INT(c.reason, RETAIN_COUPON_USED_UP);
    /* An order with a used-up code still counts, and says it was not accepted. */
    dom_order(e, "o3", "c1", "web", "TEA", code, T0 + 6 * HOUR);
    CHECK_INT(dom_events(e, "c1", "coupon.redeemed", props, sizeof props), 3);
    CHECK(strstr(props, "\"accepted\":false") && strstr(props, "used_up"));
    /* The host's own codes are not ours to count. */
    dom_order(e, "o4", "c1", "web", "TEA", "SUMMER", T0 + 7 * HOUR);
    CHECK_INT(dom_events(e, "c1", "coupon.redeemed", NULL, 0), 3);
    retain_engine_close(e);
}

/* A host generator that plays back a script of values. */
typedef struct script {
    const uint64_t *v;
    int n, i, calls;
} script;

static int script_next(void *ud, uint64_t *out)
{
    script *s = ud;
    s->calls++;
    *out = s->v[s->i < s->n ? s->i : s->n - 1];
    if (s->i < s->n)
        s->i++;
    return 0;
}

static void test_generators(void)
{
    retain_engine *e = NULL;
    CHECK_OK(e, retain_engine_open(&e, ":memory:", NULL));
    define_campaigns(e);
    char a[RETAIN_COUPON_CODE_MAX], b[RETAIN_COUPON_CODE_MAX];
    /* No randomness given: refused, not made up. */
    CHECK_RC(e, retain_coupon_issue(a, sizeof a, e, "five", NULL, T0), RETAIN_EMISUSE);
    CHECK(strstr(retain_errmsg(e), "retain_coupon_seed") != NULL);
    CHECK_RC(e, retain_coupon_seed(e, "short", 5), RETAIN_EINVAL);

    /* The keyed generator is deterministic: same secret, same codes. */
    retain_engine *e2 = dom_open();
    CHECK_OK(e, retain_coupon_seed(e, test_secret, sizeof test_secret - 1));
    define_campaigns(e2);
    issue(e, a, "five", NULL, T0);
    issue(e2, b, "five", NULL, T0);
    CHECK_STR(a, b);
    issue(e, b, "five", NULL, T0);
    CHECK(strcmp(a, b) != 0);
    retain_engine_close(e2);

    /* A generator forced to repeat: the collision is detected and the next
     * draw taken. 0 is below the rejection threshold (2^64 mod 31^12) and
     * is skipped to keep codes uniform. */
    const uint64_t B = 7876627837885497610ULL; /* 10 * 31^12: above the threshold, = 0 mod 31^12 */
    const uint64_t rep[] = { 0, B + 42, B + 42, B + 42, B + 7 };
    script s = { rep, 5, 0, 0 };
    retain_coupon_rng rng = RETAIN_COUPON_RNG_INIT;
    rng.next = script_next;
    rng.userdata = &s;
    CHECK_OK(e, retain_coupon_set_rng(e, &rng));
    char x[RETAIN_COUPON_CODE_MAX], y[RETAIN_COUPON_CODE_MAX];
    issue(e, x, "five", NULL, T0);
    CHECK_INT(s.calls, 2);
    issue(e, y, "five", NULL, T0);
    CHECK_INT(s.calls, 5);
    CHECK(strcmp(x, y) != 0);
    /* 42 in base 31 over the alphabet, least significant first: 42 = 1*31 + 11. */
    CHECK_STR(x, "D32222222222");
    /* Always the same value: a clear error after 16 collisions, engine usable. */
    const uint64_t same[] = { B + 7 };
    script s2 = { same, 1, 0, 0 };
    rng.userdata = &s2;
    CHECK_OK(e, retain_coupon_set_rng(e, &rng));
    CHECK_RC(e, retain_coupon_issue(x, sizeof x, e, "five", NULL, T0), RETAIN_ECONFLICT);
    CHECK(strstr(retain_errmsg(e), "too full") != NULL);
    CHECK_INT(s2.calls, 16);
    CHECK_OK(e, retain_coupon_set_rng(e, NULL));
    issue(e, x, "five", NULL, T0);
    retain_engine_close(e);
}

static void test_bad_input(void)
{
    retain_engine *e = dom_open();
    dom_customer(e, "c1");
    define_campaigns(e);
    static const struct {
        const char *name, *prefix;
        int percent, length, kind;
        int64_t amount;
        const char *currency;
        int64_t min;
    } bad[] = {
        { "Bad Name", "X", 10, 0, RETAIN_DISCOUNT_PERCENT, 0, "", 0 },
        { "p0", "X", 0, 0, RETAIN_DISCOUNT_PERCENT, 0, "", 0 },
        { "p101", "X", 101, 0, RETAIN_DISCOUNT_PERCENT, 0, "", 0 },
        { "prefix", "lower", 10, 0, RETAIN_DISCOUNT_PERCENT, 0, "", 0 },
        { "short", "X", 10, 5, RETAIN_DISCOUNT_PERCENT, 0, "", 0 },
        { "long", "X", 10, 13, RETAIN_DISCOUNT_PERCENT, 0, "", 0 },
        { "fixed0", "X", 0, 0, RETAIN_DISCOUNT_FIXED, 0, "EUR", 0 },
        { "fixedcur", "X", 0, 0, RETAIN_DISCOUNT_FIXED, 100, "EURO", 0 },
        { "kind", "X", 10, 0, 7, 0, "", 0 },
        { "mincur", "X", 10, 0, RETAIN_DISCOUNT_PERCENT, 0, "", 100 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_coupon_campaign c = RETAIN_COUPON_CAMPAIGN_INIT;
        c.name = bad[i].name;
        c.prefix = bad[i].prefix;
        c.percent = bad[i].percent;
        c.code_length = bad[i].length;
        c.discount = (retain_discount_kind)bad[i].kind;
        c.amount.amount = bad[i].amount;
        snprintf(c.amount.currency, 4, "%.3s", bad[i].currency);
        if (!strcmp(bad[i].currency, "EURO"))
            memcpy(c.amount.currency, "EU1", 4);
        c.min_total.amount = bad[i].min;
        int rc = retain_coupon_campaign_define(e, &c, T0);
        if (rc != RETAIN_EINVAL)
            T_FAIL("campaign %s: %d, expected EINVAL", bad[i].name, rc);
        else
            t_passed++;
        CHECK(retain_errmsg(e)[0] != '\0');
    }
    char code[RETAIN_COUPON_CODE_MAX];
    CHECK_RC(e, retain_coupon_issue(code, sizeof code, e, "nope", NULL, T0), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_coupon_issue(code, 8, e, "five", NULL, T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_coupon_issue(code, sizeof code, e, "five", "nobody", T0), RETAIN_ENOTFOUND);
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    retain_money neg = { -1, "EUR" };
    CHECK_RC(e, retain_coupon_validate(&c, e, "X", NULL, &neg, NULL, T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_coupon_validate(&c, e, NULL, NULL, NULL, NULL, T0), RETAIN_EINVAL);
    c.version = 0;
    CHECK_RC(e, retain_coupon_validate(&c, e, "X", NULL, NULL, NULL, T0), RETAIN_EINVAL);
    CHECK_RC(e, retain_coupon_revoke(e, "NOPE2345", NULL, T0), RETAIN_ENOTFOUND);
    CHECK_RC(e, retain_coupon_redeem(&(retain_coupon_check)RETAIN_COUPON_CHECK_INIT, e, "X",
                                     NULL, NULL, NULL, NULL, T0),
             RETAIN_EINVAL);
    retain_coupon_rng rng = RETAIN_COUPON_RNG_INIT;
    CHECK_RC(e, retain_coupon_set_rng(e, &rng), RETAIN_EINVAL);
    /* Still usable after all that. */
    issue(e, code, "five", "c1", T0);
    retain_engine_close(e);
}

/* ---- the journey step ---------------------------------------------------- */

static const char apology[] =
    "journey: apology\n"
    "trigger: { event: order.placed }\n"
    "entry: once_per_order\n"
    "steps:\n"
    "  - id: give\n"
    "    coupon: { campaign: sorry10, on_invalid: plain }\n"
    "  - id: with_code\n"
    "    wait: 1h\n"
    "    send: { channel: email, template: sorry_with_code, category: transactional }\n"
    "    goto: done\n"
    "  - id: plain\n"
    "    send: { channel: email, template: sorry_plain, category: transactional }\n"
    "  - id: done\n"
    "    exit: true\n";

static retain_engine *journey_engine(inbox *b)
{
    retain_engine *e = dom_open();
    define_campaigns(e);
    size_t nd = 0;
    retain_diag d[4];
    CHECK_OK(e, retain_journeys_load(e, apology, "apology.yaml", T0, d, 4, &nd));
    dom_transport(e, b);
    return e;
}

static void test_step(void)
{
    inbox b;
    memset(&b, 0, sizeof b);
    retain_engine *e = journey_engine(&b);
    dom_customer(e, "c1");
    dom_order(e, "o1", "c1", "web", "TEA", NULL, T0);
    retain_tick_stats st;
    CHECK_OK(e, retain_engine_tick(e, T0 + 2 * HOUR, &st));
    CHECK_INT(b.n, 1);
    CHECK_STR(b.template_id[0], "sorry_with_code");
    /* The payload carries the code, its discount and expiry. */
    const char *p = strstr(b.payload[0], "\"coupon\":{\"code\":\"SORRY");
    CHECK(p != NULL);
    CHECK(strstr(b.payload[0], "\"discount\":{\"percent\":10}") != NULL);
    char expiry[64];
    snprintf(expiry, sizeof expiry, "\"expires_at\":%lld", (long long)(T0 + 30 * 24 * HOUR));
    CHECK(strstr(b.payload[0], expiry) != NULL);
    /* The code in the payload validates at checkout for c1. */
    char code[RETAIN_COUPON_CODE_MAX] = "";
    if (p)
        sscanf(p, "\"coupon\":{\"code\":\"%31[^\"]", code);
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    retain_money eur25 = { 2500, "EUR" };
    CHECK_OK(e, retain_coupon_redeem(&c, e, code, "c1", "o2", &eur25, "web", T0 + DAY));
    CHECK_INT(c.reason, RETAIN_COUPON_VALID);

    /* c1 used the campaign once (its limit): the next order's step cannot
     * issue a code that works, so it takes on_invalid. */
    dom_order(e, "o3", "c1", "web", "TEA", NULL, T0 + 2 * DAY);
    CHECK_OK(e, retain_engine_tick(e, T0 + 3 * DAY, &st));
    CHECK_INT(b.n, 2);
    CHECK_STR(b.template_id[1], "sorry_plain");
    CHECK(strstr(b.payload[1], "\"coupon\":{") == NULL);

    /* A marketplace order whose profile forbids promo codes: blocked. */
    dom_customer(e, "c2");
    dom_order(e, "a1", "c2", "amazon", "TEA", NULL, T0 + 3 * DAY);
    CHECK_OK(e, retain_engine_tick(e, T0 + 4 * DAY, &st));
    CHECK_INT(b.n, 3);
    CHECK_STR(b.template_id[2], "sorry_plain");
    char *why = NULL;
    CHECK_OK(e, retain_customer_explain(&why, e, "c2", T0 + 4 * DAY));
    CHECK(why && strstr(why, "forbids promo codes") != NULL);
    retain_free(e, why);
    retain_engine_close(e);
}

/* The code must still work when the message goes out. */
static void test_send_time(void)
{
    inbox b;
    memset(&b, 0, sizeof b);
    retain_engine *e = journey_engine(&b);
    dom_customer(e, "c1");
    /* Expires 30 min after issue; the send waits an hour: never sent. */
    retain_coupon_campaign c = RETAIN_COUPON_CAMPAIGN_INIT;
    c.name = "sorry10";
    c.prefix = "SORRY";
    c.percent = 10;
    c.valid_for_ms = HOUR / 2;
    CHECK_OK(e, retain_coupon_campaign_define(e, &c, T0));
    dom_order(e, "o1", "c1", "web", "TEA", NULL, T0);
    CHECK_OK(e, retain_engine_tick(e, T0 + 2 * HOUR, NULL));
    CHECK_INT(b.n, 1);
    CHECK_STR(b.template_id[0], "sorry_plain");

    /* Revoked between queueing and delivery: the message is skipped. */
    c.valid_for_ms = 0;
    CHECK_OK(e, retain_coupon_campaign_define(e, &c, T0));
    CHECK_OK(e, retain_transport_unregister(e, "email"));
    dom_order(e, "o2", "c1", "web", "TEA", NULL, T0 + DAY);
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY + 2 * HOUR, NULL));
    retain_outbox_query q = RETAIN_OUTBOX_QUERY_INIT;
    q.states = RETAIN_OUTBOX_QUEUED;
    retain_outbox_iter *it = NULL;
    const retain_outbox_entry *m = NULL;
    char code[RETAIN_COUPON_CODE_MAX] = "";
    CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
    if (retain_outbox_iter_next(it, &m) == RETAIN_ROW) {
        const char *p = strstr(m->payload_json, "\"code\":\"");
        if (p)
            sscanf(p, "\"code\":\"%31[^\"]", code);
    }
    retain_outbox_iter_free(it);
    CHECK(code[0] == 'S');
    CHECK_OK(e, retain_coupon_revoke(e, code, "fraud", T0 + DAY + 3 * HOUR));
    dom_transport(e, &b);
    retain_tick_stats st;
    CHECK_OK(e, retain_engine_tick(e, T0 + DAY + 4 * HOUR, &st));
    CHECK_INT(b.n, 1);
    CHECK_INT(st.skipped, 1);
    retain_outbox_entry *ent = NULL;
    q.states = RETAIN_OUTBOX_SKIPPED;
    CHECK_OK(e, retain_outbox_iter_open(&it, e, &q));
    CHECK_INT(retain_outbox_iter_next(it, &m), RETAIN_ROW);
    CHECK(m && m->last_reason && strstr(m->last_reason, "revoked") != NULL);
    retain_outbox_iter_free(it);
    retain_outbox_entry_free(ent);
    retain_engine_close(e);
}

static void test_load_errors(void)
{
    retain_engine *e = dom_open();
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        { "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    coupon: { campaign: x }\n",
          "coupon needs on_invalid" },
        { "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    coupon: { on_invalid: a }\n",
          "coupon needs a campaign" },
        { "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    coupon: { campaign: x, "
          "on_invalid: b }\n",
          "no step has the id \"b\"" },
        { "journey: j\ntrigger: order.placed\nsteps:\n  - id: a\n    coupon: { campaign: x, "
          "on_invald: a }\n",
          "did you mean \"on_invalid\"" },
        { "journey: j\ntrigger: order.placed\nsales_channels: [amazon]\nsteps:\n  - id: a\n"
          "    coupon: { campaign: x, on_invalid: b }\n  - id: b\n    exit: true\n",
          "can never issue a coupon" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        retain_diag d[4];
        size_t nd = 0;
        CHECK_RC(e, retain_journeys_load(e, cases[i].yaml, "j.yaml", T0, d, 4, &nd), RETAIN_EPARSE);
        bool found = false;
        for (size_t k = 0; k < nd && k < 4; k++)
            found |= strstr(d[k].message, cases[i].want) != NULL;
        if (!found)
            T_FAIL("case %zu: no diagnostic \"%s\" (first: %s)", i, cases[i].want,
                   nd ? d[0].message : "none");
        else
            t_passed++;
    }
    retain_engine_close(e);
}

int main(void)
{
    test_checkout();
    test_order_redeems();
    test_generators();
    test_bad_input();
    test_step();
    test_send_time();
    test_load_errors();
    return t_report("coupon");
}

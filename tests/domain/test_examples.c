/*
 * test_examples.c - the coupon campaigns of examples/coupons and the
 * feedback and win-back journeys of examples/journeys, run on a simulated
 * clock; and the campaign YAML loader's errors (line:column, all or
 * nothing).
 */
#include "cfutil.h"

#define DAY (24 * HOUR)

static char *slurp(const char *rel, size_t *len)
{
    char path[600];
    const char *dir = getenv("RETAIN_EXAMPLES");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "examples", rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void load_examples(retain_engine *e)
{
    size_t len = 0;
    const char *y = slurp("coupons/campaigns.yaml", &len);
    CHECK(y != NULL);
    retain_diag d;
    if (y)
        CHECK_OK(e, retain_coupon_campaigns_load(e, y, len, "campaigns.yaml", T0, &d));
    static const char *const files[] = { "journeys/feedback.yaml", "journeys/win-back.yaml" };
    for (size_t i = 0; i < 2; i++) {
        char path[600];
        const char *dir = getenv("RETAIN_EXAMPLES");
        snprintf(path, sizeof path, "%s/%s", dir ? dir : "examples", files[i]);
        retain_diag dg[4];
        size_t nd = 0;
        CHECK_OK(e, retain_journeys_load_file(e, path, T0, dg, 4, &nd));
        if (nd)
            fprintf(stderr, "%s:%d:%d: %s\n", files[i], dg[0].line, dg[0].column, dg[0].message);
    }
}

static void test_win_back(void)
{
    inbox b;
    memset(&b, 0, sizeof b);
    retain_engine *e = dom_open();
    load_examples(e);
    dom_transport(e, &b);
    dom_customer(e, "w1"); /* stops buying */
    dom_customer(e, "w2"); /* comes back after 30 days */
    dom_order(e, "o1", "w1", "web", "TEA", NULL, T0);
    dom_order(e, "o2", "w2", "web", "TEA", NULL, T0);
    dom_order(e, "o3", "w2", "web", "TEA", NULL, T0 + 30 * DAY);
    CHECK_OK(e, retain_engine_tick(e, T0 + 62 * DAY, NULL));
    CHECK_INT(b.n, 1);
    CHECK_STR(b.template_id[0], "winback_offer");
    const char *p = strstr(b.payload[0], "\"code\":\"BACK");
    CHECK(p != NULL);
    CHECK(strstr(b.payload[0], "\"percent\":15") && strstr(b.payload[0], "\"min_order\":{\"amount\":3000"));
    CHECK(strstr(b.payload[0], "\"customer\":{\"id\":\"w1\"") != NULL);
    char code[RETAIN_COUPON_CODE_MAX] = "";
    if (p)
        sscanf(p, "\"code\":\"%31[^\"]", code);
    /* Below the 30 EUR minimum, then enough: redeemed by the order. */
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    retain_money eur20 = { 2000, "EUR" }, eur40 = { 4000, "EUR" };
    CHECK_OK(e, retain_coupon_validate(&c, e, code, "w1", &eur20, "web", T0 + 63 * DAY));
    CHECK_INT(c.reason, RETAIN_COUPON_MINIMUM_NOT_MET);
    CHECK_OK(e, retain_coupon_validate(&c, e, code, "w1", &eur40, "web", T0 + 63 * DAY));
    CHECK_INT(c.discount_amount.amount, 600);
    dom_order(e, "o4", "w1", "web", "TEA MUG POT CUP", code, T0 + 63 * DAY);
    CHECK_OK(e, retain_coupon_validate(&c, e, code, "w1", &eur40, "web", T0 + 64 * DAY));
    CHECK_INT(c.reason, RETAIN_COUPON_USED_UP);
    /* w2 comes back 60 days after o3: the per-customer limit is not used, a code. */
    CHECK_OK(e, retain_engine_tick(e, T0 + 92 * DAY, NULL));
    CHECK_INT(b.n, 2);
    CHECK(strstr(b.payload[1], "\"customer\":{\"id\":\"w2\"") && strstr(b.payload[1], "BACK"));
    /* w1 again after o4: its one use of the campaign is taken, so no code. */
    CHECK_OK(e, retain_engine_tick(e, T0 + 125 * DAY, NULL));
    CHECK_INT(b.n, 3);
    CHECK_STR(b.template_id[2], "winback_miss_you");
    CHECK(strstr(b.payload[2], "\"coupon\":{") == NULL);
    retain_engine_close(e);
}

static void test_feedback_flow(void)
{
    inbox b;
    memset(&b, 0, sizeof b);
    retain_engine *e = dom_open();
    load_examples(e);
    dom_transport(e, &b);
    dom_customer(e, "f1");
    dom_customer(e, "f2");
    dom_order(e, "o1", "f1", "web", "TEA", NULL, T0);
    dom_order(e, "o2", "f2", "web", "TEA", NULL, T0);
    CHECK_OK(e, retain_order_set_status(e, "o1", "delivered", T0 + 2 * DAY));
    CHECK_OK(e, retain_order_set_status(e, "o2", "delivered", T0 + 2 * DAY));
    CHECK_OK(e, retain_engine_tick(e, T0 + 10 * DAY, NULL));
    CHECK_INT(b.n, 2);
    CHECK_STR(b.template_id[0], "feedback_request");
    /* f1 is happy, f2 is not: thanked, and sorry with a call task. */
    CHECK_OK(e, retain_feedback_record(e, "f1", "o1", 9, RETAIN_SCALE_0_10, "lovely", T0 + 11 * DAY));
    CHECK_OK(e, retain_feedback_record(e, "f2", "o2", 2, RETAIN_SCALE_0_10, "cold tea", T0 + 11 * DAY));
    CHECK_OK(e, retain_engine_tick(e, T0 + 11 * DAY + HOUR, NULL));
    CHECK_INT(b.n, 4);
    bool thanks = false, sorry = false;
    for (int i = 2; i < b.n; i++) {
        thanks |= !strcmp(b.template_id[i], "feedback_thanks") && strstr(b.payload[i], "\"f1\"");
        sorry |= !strcmp(b.template_id[i], "feedback_sorry_we_will_call") &&
                 strstr(b.payload[i], "\"f2\"");
    }
    CHECK(thanks && sorry);
    CHECK_INT(dom_events(e, "f2", "task.created", NULL, 0), 1);
    CHECK_INT(dom_events(e, "f1", "task.created", NULL, 0), 0);
    /* Nobody is reminded: both answered while the request waited. */
    CHECK_OK(e, retain_engine_tick(e, T0 + 30 * DAY, NULL));
    CHECK_INT(b.n, 4);
    retain_feedback_stats *s = NULL;
    CHECK_OK(e, retain_feedback_metrics(&s, e, RETAIN_FEEDBACK_BY_VARIANT, RETAIN_PERIOD_NONE,
                                        INT64_MIN, T0 + 30 * DAY));
    if (s) {
        CHECK_INT(s->total.responses, 2);
        CHECK_NEAR(s->total.nps, 0.0, 1e-12); /* one promoter, one detractor */
        for (size_t i = 0; i < s->count; i++)
            CHECK_STR(s->rows[i].journey, "feedback-request");
    }
    retain_feedback_stats_free(s);
    retain_engine_close(e);
}

static void test_campaign_yaml(void)
{
    retain_engine *e = dom_open();
    static const struct {
        const char *yaml;
        int line, column;
        const char *want;
    } bad[] = {
        { "coupon_campaign: a\npercent: 10\nprefx: A\n", 3, 1, "unknown key \"prefx\"" },
        { "coupon_campaign: a\n", 1, 1, "either percent or amount" },
        { "coupon_campaign: a\npercent: 101\n", 2, 10, "from 1 to 100" },
        { "coupon_campaign: a\namount: { value: 5.001, currency: EUR }\n", 2, 18, "not an amount" },
        { "coupon_campaign: a\npercent: 5\nvalid_for: soon\n", 3, 12, "not a duration" },
        { "coupon_campaign: a\npercent: 5\nexpires_at: 31.12.2026\n", 3, 13, "UTC time" },
        { "coupon_campaign: Bad\npercent: 5\n", 1, 1, "not a valid name" },
        { "coupon_campaigns:\n  - coupon_campaign: a\n    percent: 5\n  - coupon_campaign: a\n"
          "    percent: 6\n", 4, 5, "appears twice" },
        { "coupon_campaign: a\npercent: [5\n", 0, 0, "" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        retain_diag d;
        int rc = retain_coupon_campaigns_load(e, bad[i].yaml, strlen(bad[i].yaml), "c.yaml", T0, &d);
        CHECK_INT(rc, RETAIN_EPARSE);
        if (bad[i].line) {
            if (d.line != bad[i].line || d.column != bad[i].column || !strstr(d.message, bad[i].want))
                T_FAIL("case %zu: %d:%d: %s", i, d.line, d.column, d.message);
            else
                t_passed++;
            CHECK(strncmp(retain_errmsg(e), "c.yaml:", 7) == 0);
        }
    }
    /* All or nothing: the good first campaign of a bad file is not defined. */
    const char *half = "coupon_campaigns:\n  - coupon_campaign: good\n    percent: 5\n"
                       "  - coupon_campaign: bad\n    percent: 0\n";
    CHECK_RC(e, retain_coupon_campaigns_load(e, half, strlen(half), "c.yaml", T0, NULL), RETAIN_EPARSE);
    char code[RETAIN_COUPON_CODE_MAX];
    CHECK_RC(e, retain_coupon_issue(code, sizeof code, e, "good", NULL, T0), RETAIN_ENOTFOUND);
    const char *ok = "coupon_campaign: good\namount: { value: 5, currency: JPY }\n"
                     "expires_at: 2026-02-01\nuses: 3\n";
    CHECK_OK(e, retain_coupon_campaigns_load(e, ok, strlen(ok), "c.yaml", T0, NULL));
    CHECK_OK(e, retain_coupon_issue(code, sizeof code, e, "good", NULL, T0));
    retain_coupon_check c = RETAIN_COUPON_CHECK_INIT;
    retain_money yen = { 100, "JPY" };
    CHECK_OK(e, retain_coupon_validate(&c, e, code, NULL, &yen, "web", T0));
    CHECK_INT(c.discount_amount.amount, 5);
    CHECK_INT(c.expires_at, T0 + 31 * DAY);
    CHECK_INT(c.uses_left, 3);
    retain_engine_close(e);
}

int main(void)
{
    test_win_back();
    test_feedback_flow();
    test_campaign_yaml();
    return t_report("examples");
}

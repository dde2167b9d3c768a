/*
 * storefront.c - the demo storefront: a small program using libretain the
 * way a store's backend would.
 *
 *  1. imports the CDNOW order history (2,357 customers, 1997-98),
 *  2. measures it: repeat rate, AOV, LTV, and fits BG/NBD to the first
 *     39 weeks,
 *  3. loads the post-purchase journey and the marketplace policies,
 *     registers an e-mail transport that prints, and simulates three weeks
 *     of new orders with an on-time parcel, a late one, a cancelled order
 *     and an Amazon order, printing every touchpoint as it goes out,
 *  4. audits the program against the practices stores are judged by and
 *     prints the score with what is missing.
 *
 *   storefront [CDNOW_sample.txt] [database file] [examples dir]
 */
#include "cdnow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z, the simulation's start */

static void fmt_time(int64_t ms, char *buf, size_t n)
{
    long long days = ms / DAY, h = (ms % DAY) / HOUR;
    long long d = days - (T0 / DAY);
    snprintf(buf, n, "day %2lld %02lld:00", d, h);
}

static int print_send(const retain_message *m, retain_send_result *r, void *ud)
{
    (void)ud;
    char when[32];
    fmt_time(m->now, when, sizeof when);
    printf("  %s  -> %-22s %-6s %-24s (%s, step %s)\n", when, m->recipient, m->channel,
           m->template_id ? m->template_id : "-", m->category, m->step ? m->step : "-");
    snprintf(r->provider_id, sizeof r->provider_id, "demo-%lld", (long long)m->id);
    return RETAIN_SEND_SENT;
}

static int fail(retain_engine *e, const char *what)
{
    fprintf(stderr, "storefront: %s: %s\n", what, retain_errmsg(e));
    retain_engine_close(e);
    return 1;
}

static int history(retain_engine *e, const char *data)
{
    cdnow_stats st;
    if (cdnow_import(e, data, 1, &st))
        return fail(e, "import");
    retain_counts n;
    retain_engine_counts(e, &n);
    printf("Imported %ld CDNOW transactions: %lld customers, %lld orders, $%lld.%02lld.\n\n",
           st.rows, (long long)n.customers, (long long)n.orders, st.cents / 100, st.cents % 100);

    int64_t as_of = cdnow_days_from_civil(1998, 6, 30) * DAY;
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    if (retain_metrics_summary_get(&s, e, "USD", as_of))
        return fail(e, "metrics");
    printf("What the history says (as of 1998-06-30)\n");
    printf("  repeat customers   %.1f%% (%lld of %lld)\n", 100 * s.repeat_rate,
           (long long)s.repeat_customers, (long long)s.customers);
    printf("  average order      $%.2f\n", s.aov / 100);
    printf("  LTV to date        mean $%.2f, median $%.2f, top decile from $%.2f\n",
           s.ltv_mean / 100, s.ltv_median / 100, s.ltv_p90 / 100);
    printf("  revenue from repeat purchases %.1f%%\n\n", 100 * s.repeat_revenue_share);

    int64_t cal_end = cdnow_days_from_civil(1997, 9, 30) * DAY;
    retain_store_rfm *rfm = NULL;
    if (retain_rfm_from_store(&rfm, e, "USD", cal_end, as_of, RETAIN_UNIT_WEEK))
        return fail(e, "RFM summary");
    retain_rfm_data view;
    retain_rfm_view(&view, &rfm->summary);
    retain_model m;
    retain_diag d;
    if (retain_model_fit(&m, RETAIN_MODEL_BGNBD, &view, NULL, &d)) {
        fprintf(stderr, "storefront: BG/NBD fit: %s\n", d.message);
        retain_store_rfm_free(rfm);
        retain_engine_close(e);
        return 1;
    }
    double predicted = 0, actual = 0;
    double *y = calloc(view.n, sizeof *y);
    if (y && retain_model_conditional_expected(y, &m, &view, rfm->summary.holdout_length,
                                               RETAIN_UNIT_WEEK, &d) == RETAIN_OK) {
        for (size_t i = 0; i < view.n; i++) {
            predicted += y[i];
            actual += rfm->summary.holdout_x[i];
        }
    }
    free(y);
    printf("BG/NBD on the first 39 weeks: r=%.3f alpha=%.3f a=%.3f b=%.3f (LL %.1f)\n",
           m.param.bgnbd.r, m.param.bgnbd.alpha, m.param.bgnbd.a, m.param.bgnbd.b, m.loglik);
    printf("  repeat purchases in the next 39 weeks: predicted %.0f, actual %.0f\n", predicted,
           actual);
    retain_store_rfm_free(rfm);

    /* the same history as one page, charts included (docs/report.md) */
    retain_report_options ro = RETAIN_REPORT_OPTIONS_INIT;
    ro.now = as_of + DAY;
    ro.title = "Storefront demo: the CDNOW history";
    if (retain_report_write(e, "storefront-report.html", &ro))
        return fail(e, "report");
    printf("  the report of this history is storefront-report.html\n\n");
    return 0;
}

static void customer(retain_engine *e, const char *id, const char *email, int64_t at)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.email = email;
    c.timezone = "Europe/Berlin";
    c.at = at;
    retain_customer_upsert(e, &c);
    retain_consent_set(e, id, "email", "marketing", RETAIN_CONSENT_GRANTED, at, "checkout");
    retain_consent_set(e, id, "email", "feedback", RETAIN_CONSENT_GRANTED, at, "checkout");
}

static void order(retain_engine *e, const char *id, const char *cust, const char *channel,
                  int64_t at)
{
    retain_order_line l = { "CD-0042", "Kind of Blue", 1, 1399 };
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = channel;
    o.placed_at = at;
    o.currency = "USD";
    o.total = 1399;
    o.lines = &l;
    o.lines_count = 1;
    if (retain_order_record(e, &o))
        fprintf(stderr, "storefront: order %s: %s\n", id, retain_errmsg(e));
}

static void ship(retain_engine *e, const char *sid, const char *oid, int64_t at)
{
    retain_shipment s = RETAIN_SHIPMENT_INIT;
    s.id = sid;
    s.order_id = oid;
    s.carrier = "ups";
    s.tracking = "1Z999AA10123456784";
    s.promised_at = at + 3 * DAY;
    s.at = at;
    retain_shipment_record(e, &s);
    retain_shipment_update(e, sid, "in_transit", at, at + 2 * DAY, NULL);
}

/* The parcel arrived: the carrier's event, and the order's status (the host
 * decides when an order of several parcels counts as delivered). */
static void delivered(retain_engine *e, const char *sid, const char *oid, int64_t at)
{
    retain_shipment_update(e, sid, "delivered", at, RETAIN_TIME_NONE, NULL);
    retain_order_set_status(e, oid, "delivered", at);
}

/* The scripted store: what happens at hour h of the simulation. */
static void script(retain_engine *e, int64_t h)
{
    int64_t t = T0 + h * HOUR;
    switch (h) {
    case 9: customer(e, "ana", "ana@example.com", t); order(e, "W-1001", "ana", "web", t); break;
    case 30: ship(e, "P-1", "W-1001", t); break;
    case 70: delivered(e, "P-1", "W-1001", t); break;
    case 14: customer(e, "ben", "ben@example.com", t); order(e, "W-1002", "ben", "web", t); break;
    case 100: ship(e, "P-2", "W-1002", t); break;  /* late: the apology went out first */
    case 20: customer(e, "cy", "cy@example.com", t); order(e, "W-1003", "cy", "web", t); break;
    case 22: retain_order_set_status(e, "W-1003", "cancelled", t); break;
    case 40: customer(e, "dee", "dee@example.com", t); order(e, "A-7", "dee", "amazon", t); break;
    /* eve's parcel hits a carrier exception, then arrives */
    case 200: customer(e, "eve", "eve@example.com", t); order(e, "W-1004", "eve", "web", t); break;
    case 220: ship(e, "P-4", "W-1004", t); break;
    case 250: retain_shipment_update(e, "P-4", "exception", t, RETAIN_TIME_NONE, "address not found"); break;
    case 320: delivered(e, "P-4", "W-1004", t); break;
    /* answers to the feedback requests: ana is happy, ben is not */
    case 196: delivered(e, "P-2", "W-1002", t); break;
    case 340: retain_feedback_record(e, "ana", "W-1001", 9, RETAIN_SCALE_0_10, NULL, t); break;
    case 460: retain_feedback_record(e, "ben", "W-1002", 4, RETAIN_SCALE_0_10, "too late", t); break;
    /* ben sends it back and gets his money */
    case 500: retain_order_set_status(e, "W-1002", "returned", t); break;
    case 560: retain_order_set_status(e, "W-1002", "refunded", t); break;
    /* ana comes back for more */
    case 840: order(e, "W-1005", "ana", "web", t); break;
    case 860: ship(e, "P-5", "W-1005", t); break;
    case 910: delivered(e, "P-5", "W-1005", t); break;
    default: break;
    }
}

static int simulate(retain_engine *e, const char *examples)
{
    char path[600];
    retain_diag d[8];
    size_t nd = 0;
    /* The modular journey pack (examples/journeys/README.md). */
    static const char *const pack[] = {
        "order-confirmation.yaml", "shipping-updates.yaml", "delay-apology.yaml",
        "delivered-care-tips.yaml", "complementary-recommendation.yaml", "feedback.yaml",
        "replenishment-reminder.yaml", "returns-refunds.yaml", "win-back.yaml",
        "vip-call.yaml", "amazon-order.yaml",
    };
    for (size_t i = 0; i < sizeof pack / sizeof pack[0]; i++) {
        snprintf(path, sizeof path, "%s/journeys/%s", examples, pack[i]);
        if (retain_journeys_load_file(e, path, T0, d, 8, &nd)) {
            for (size_t k = 0; k < nd && k < 8; k++)
                fprintf(stderr, "%s:%d:%d: %s\n", path, d[k].line, d[k].column, d[k].message);
            return fail(e, "journeys");
        }
    }
    /* Coupon campaigns, and the secret their codes are drawn with. */
    snprintf(path, sizeof path, "%s/coupons/campaigns.yaml", examples);
    FILE *cf = fopen(path, "rb");
    static char yaml[16384];
    size_t len = cf ? fread(yaml, 1, sizeof yaml - 1, cf) : 0;
    if (cf)
        fclose(cf);
    yaml[len] = '\0';
    if (retain_coupon_campaigns_load(e, yaml, len, path, T0, d) ||
        retain_coupon_seed(e, "storefront-demo-secret", 22))
        return fail(e, "coupon campaigns");
    /* One agent for the calls and chats the journeys ask for. */
    retain_agent ag = RETAIN_AGENT_INIT;
    ag.id = "sam";
    ag.name = "Sam from customer care";
    ag.skills = "call,chat";
    ag.timezone = "Europe/Berlin";
    ag.work_start_minute = 9 * 60;
    ag.work_end_minute = 17 * 60;
    if (retain_agent_upsert(e, &ag, T0))
        return fail(e, "agent");
    snprintf(path, sizeof path, "%s/policies/amazon.yaml", examples);
    if (retain_policy_profile_load_file(e, path, T0, d))
        return fail(e, "marketplace profile");
    retain_transport t = RETAIN_TRANSPORT_INIT;
    t.channel = "email";
    t.send = print_send;
    if (retain_transport_register(e, &t))
        return fail(e, "transport");
    printf("Sixty days of the journey pack (ticking every hour)\n");
    for (int64_t h = 0; h <= 60 * 24; h++) {
        script(e, h);
        if (retain_engine_tick(e, T0 + h * HOUR, NULL))
            return fail(e, "tick");
        if (h == 40) {
            retain_touchpoint tp;
            if (retain_customer_next(&tp, e, "ben", T0 + h * HOUR) == RETAIN_OK &&
                tp.outlook != RETAIN_OUTLOOK_NONE) {
                char when[32];
                fmt_time(tp.due_at, when, sizeof when);
                printf("  (support asks: what will ben get next? %s at %s%s%s)\n",
                       tp.template_id, when, tp.reason[0] ? ", " : "", tp.reason);
            }
        }
    }
    printf("\ncy cancelled, so her journeys ended; dee ordered on Amazon, where the store\n"
           "sends only what Amazon allows; ben's low score became a task for a person:\n");
    char *json = NULL;
    if (retain_task_list(&json, e, RETAIN_TASK_ANY, NULL) == RETAIN_OK)
        printf("%.400s\n", json);
    retain_free(e, json);
    json = NULL;
    printf("Why did ana get what she got?\n");
    if (retain_customer_explain(&json, e, "ana", T0 + 60 * DAY) == RETAIN_OK)
        printf("%.600s...\n", json);
    retain_free(e, json);
    return 0;
}

/* The audit's checklist, with the first sentence of each missing item's advice. */
static int audit(retain_engine *e, int64_t now, const char *db)
{
    retain_audit *a = NULL;
    if (retain_audit_run(&a, e, now))
        return fail(e, "audit");
    printf("\nThe post-purchase audit: %d/10\n", retain_audit_score(a));
    for (size_t i = 0; i < retain_audit_count(a); i++) {
        struct retain_audit_item it;
        if (retain_audit_item(a, i, &it))
            continue;
        if (it.passed) {
            printf("  [ok] %s\n", it.title);
            continue;
        }
        size_t n = strcspn(it.advice, ":\n");
        printf("  [  ] %s: %.*s\n", it.title, (int)n, it.advice);
    }
    printf("(`build/tools/retain/retain audit %s --now 2026-03-02` prints the advice in full,\n"
           "with the YAML to add.)\n", db);
    retain_audit_free(a);
    return 0;
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "tests/data/CDNOW_sample.txt";
    const char *db = argc > 2 ? argv[2] : "storefront-demo.db";
    const char *examples = argc > 3 ? argv[3] : "examples";
    unlink(db);
    retain_engine *e;
    char err[512];
    if (retain_engine_open_ex(&e, db, NULL, err, sizeof err)) {
        fprintf(stderr, "storefront: %s\n", err);
        return 1;
    }
    printf("libretain %s, database %s\n\n", retain_version(), db);
    if (history(e, data) || simulate(e, examples) || audit(e, T0 + 60 * DAY, db))
        return 1;
    retain_engine_close(e);
    printf("\nThe database is %s: try `build/tools/retain/retain stats %s`.\n", db, db);
    return 0;
}

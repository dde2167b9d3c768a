/*
 * test_hand.c - every metric on a store small enough to work out by hand
 * (the expected numbers are derived in the comments), the retention
 * economics against closed forms computed here, and bad input.
 */
#include "mtest.h"

#include <math.h>

static retain_engine *E;

static void customer(const char *id)
{
    retain_customer c = RETAIN_CUSTOMER_INIT;
    c.id = id;
    c.at = t_ms(2023, 12, 1, 0, 0, 0);
    CHECK_OK(E, retain_customer_upsert(E, &c));
}

static void order(const char *id, const char *cust, int64_t at, const char *cur, int64_t total,
                  const char *status)
{
    retain_order o = RETAIN_ORDER_INIT;
    o.id = id;
    o.customer_id = cust;
    o.channel = "web";
    o.placed_at = at;
    o.currency = cur;
    o.total = total;
    CHECK_OK(E, retain_order_record(E, &o));
    if (status)
        CHECK_OK(E, retain_order_set_status(E, id, status, at + 3600000));
}

#define NOON(m, d) t_ms(2024, m, d, 12, 0, 0)

/*
 * The store. Counted USD orders up to 2024-04-30 (as_of):
 *   c1: 01-10 1000, 01-10 500 (same day), 02-15 2000, 04-01 1500
 *   c2: 01-20 3000                  (03-05 1000 cancelled)
 *   c3: 02-01 800, 02-28 1200, 02-28 300 (same day), 03-10 600   (03-03 400 refunded)
 *   c4: 03-20 700                   (03-15 5000 is EUR)
 *   c5: 05-02 900                   (after as_of)
 *   c6: no orders
 */
static void build(void)
{
    const char *ids[] = { "c1", "c2", "c3", "c4", "c5", "c6" };
    for (size_t i = 0; i < 6; i++)
        customer(ids[i]);
    order("o1", "c1", NOON(1, 10), "USD", 1000, NULL);
    order("o2", "c1", NOON(1, 10) + 3600000, "USD", 500, NULL);
    order("o3", "c1", NOON(2, 15), "USD", 2000, NULL);
    order("o4", "c1", NOON(4, 1), "USD", 1500, "delivered");
    order("o5", "c2", NOON(1, 20), "USD", 3000, NULL);
    order("o6", "c2", NOON(3, 5), "USD", 1000, "cancelled");
    order("o7", "c3", NOON(2, 1), "USD", 800, NULL);
    order("o8", "c3", NOON(2, 28), "USD", 1200, NULL);
    order("o9", "c3", NOON(2, 28) + 60000, "USD", 300, NULL);
    order("o10", "c3", NOON(3, 3), "USD", 400, "refunded");
    order("o11", "c3", NOON(3, 10), "USD", 600, "returned"); /* returned still counts */
    order("o12", "c4", NOON(3, 15), "EUR", 5000, NULL);
    order("o13", "c4", NOON(3, 20), "USD", 700, NULL);
    order("o14", "c5", NOON(5, 2), "USD", 900, NULL);
}

static void test_summary(int64_t as_of)
{
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&s, E, "USD", as_of));
    CHECK_STR(s.currency, "USD");
    CHECK_INT(s.customers, 4);
    CHECK_INT(s.orders, 10);
    CHECK_INT(s.purchase_days, 3 + 1 + 3 + 1);
    CHECK_INT(s.revenue, 5000 + 3000 + 2900 + 700);
    CHECK_NEAR(s.aov, 11600.0 / 10, 1e-9);
    CHECK_NEAR(s.purchase_frequency, 2.5, 1e-12);
    CHECK_INT(s.repeat_customers, 2); /* c1, c3 */
    CHECK_NEAR(s.repeat_rate, 0.5, 1e-12);
    CHECK_INT(s.repeat_customer_revenue, 5000 + 2900);
    /* after the first day: c1 5000 - 1500, c3 2900 - 800 */
    CHECK_INT(s.repeat_purchase_revenue, 3500 + 2100);
    CHECK_NEAR(s.repeat_revenue_share, 5600.0 / 11600.0, 1e-12);
    /* LTVs sorted: 700 2900 3000 5000 */
    CHECK_NEAR(s.ltv_mean, 2900.0, 1e-9);
    CHECK_NEAR(s.ltv_median, 2950.0, 1e-9);  /* rank 1.5 */
    CHECK_NEAR(s.ltv_p90, 4400.0, 1e-9);     /* rank 2.7: 3000 + 0.7 * 2000 */
    CHECK_INT(s.ltv_max, 5000);
    /* p99 = 4940 (rank 2.97); 4940/19 -> 261 -> the round width 500 */
    CHECK_INT(s.ltv_histogram[0].lo, 0);
    CHECK_INT(s.ltv_histogram[0].hi, 500);
    CHECK_INT(s.ltv_histogram[RETAIN_LTV_BINS - 1].lo, 9500);
    CHECK(s.ltv_histogram[RETAIN_LTV_BINS - 1].hi == INT64_MAX);
    int64_t total = 0;
    for (int i = 0; i < RETAIN_LTV_BINS; i++)
        total += s.ltv_histogram[i].customers;
    CHECK_INT(total, 4);
    CHECK_INT(s.ltv_histogram[1].customers, 1);  /* 700 */
    CHECK_INT(s.ltv_histogram[5].customers, 1);  /* 2900 */
    CHECK_INT(s.ltv_histogram[6].customers, 1);  /* 3000 */
    CHECK_INT(s.ltv_histogram[10].customers, 1); /* 5000 */

    /* EUR: c4 alone, one order. */
    retain_metrics_summary eur = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&eur, E, "EUR", as_of));
    CHECK_INT(eur.customers, 1);
    CHECK_INT(eur.revenue, 5000);
    CHECK_NEAR(eur.repeat_rate, 0.0, 0);
    /* A currency nobody paid in: zero customers, undefined ratios. */
    retain_metrics_summary jpy = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&jpy, E, "JPY", as_of));
    CHECK_INT(jpy.customers, 0);
    CHECK(IS_NAN(jpy.aov) && IS_NAN(jpy.repeat_rate) && IS_NAN(jpy.ltv_median));
    /* Before the first order. */
    retain_metrics_summary early = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&early, E, "USD", t_ms(2023, 1, 1, 0, 0, 0)));
    CHECK_INT(early.orders, 0);
    /* as_of moves the cut: on 2024-02-15 at noon o3 is in, o4 not. */
    retain_metrics_summary mid = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&mid, E, "USD", NOON(2, 15)));
    CHECK_INT(mid.orders, 5); /* o1 o2 o3 o5 o7 */
    CHECK_INT(mid.revenue, 1000 + 500 + 2000 + 3000 + 800);

    char *json = NULL;
    CHECK_OK(E, retain_metrics_summary_json(&json, E, "USD", as_of));
    CHECK(json && t_json_valid(json));
    CHECK_NEAR(t_json_num(json, "$.customers"), 4, 0);
    CHECK_NEAR(t_json_num(json, "$.repeat_rate"), 0.5, 0);
    CHECK_NEAR(t_json_num(json, "$.aov"), 1160, 1e-9);
    CHECK_NEAR(t_json_num(json, "$.ltv.median"), 2950, 1e-9);
    CHECK_NEAR(t_json_num(json, "$.ltv.histogram[5].customers"), 1, 0);
    CHECK(IS_NAN(t_json_num(json, "$.ltv.histogram[19].hi")));
    CHECK_NEAR(t_json_num(json, "$.minor_digits"), 2, 0);
    retain_free(E, json);
    CHECK_OK(E, retain_metrics_summary_json(&json, E, "JPY", as_of));
    CHECK(json && t_json_valid(json)); /* NaN is written as null */
    retain_free(E, json);
}

static void check_row(const retain_cohort *c, int64_t start, int64_t size, size_t periods,
                      const int64_t *active, const int64_t *orders, const int64_t *revenue)
{
    CHECK_INT(c->start, start);
    CHECK_INT(c->customers, size);
    CHECK_INT(c->periods, periods);
    for (size_t k = 0; k < periods && k < c->periods; k++) {
        CHECK_INT(c->active[k], active[k]);
        CHECK_NEAR(c->retention[k], (double)active[k] / (double)size, 1e-15);
        CHECK_INT(c->orders[k], orders[k]);
        if (revenue)
            CHECK_INT(c->revenue[k], revenue[k]);
    }
    if (!revenue)
        CHECK(c->revenue == NULL);
}

static void test_cohorts(int64_t as_of)
{
    retain_cohorts *c = NULL;
    CHECK_OK(E, retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_MONTH, as_of));
    CHECK_INT(c->count, 3);
    CHECK_INT(c->last_partial, 0); /* as_of is the last ms of April */
    /* Jan: c1 c2. Feb: c1. Mar: nobody (c2's order was cancelled). Apr: c1. */
    check_row(&c->cohorts[0], t_ms(2024, 1, 1, 0, 0, 0), 2, 4, (int64_t[]){ 2, 1, 0, 1 },
              (int64_t[]){ 3, 1, 0, 1 }, (int64_t[]){ 4500, 2000, 0, 1500 });
    /* Feb: c3 (Feb, Mar, then nothing in Apr) */
    check_row(&c->cohorts[1], t_ms(2024, 2, 1, 0, 0, 0), 1, 3, (int64_t[]){ 1, 1, 0 },
              (int64_t[]){ 3, 1, 0 }, (int64_t[]){ 2300, 600, 0 });
    /* Mar: c4 */
    check_row(&c->cohorts[2], t_ms(2024, 3, 1, 0, 0, 0), 1, 2, (int64_t[]){ 1, 0 },
              (int64_t[]){ 1, 0 }, (int64_t[]){ 700, 0 });
    retain_cohorts_free(c);

    /* Every currency: c4's EUR order joins its March cohort; no revenue. */
    CHECK_OK(E, retain_cohort_retention(&c, E, NULL, RETAIN_PERIOD_MONTH, as_of));
    CHECK_INT(c->count, 3);
    CHECK_STR(c->currency, "");
    check_row(&c->cohorts[2], t_ms(2024, 3, 1, 0, 0, 0), 1, 2, (int64_t[]){ 1, 0 },
              (int64_t[]){ 2, 0 }, NULL);
    retain_cohorts_free(c);

    /* Weeks start on Monday: 2024-01-10 (Wed) is in the week of Mon 01-08. */
    CHECK_OK(E, retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_WEEK, NOON(4, 3)));
    CHECK(c->count >= 1);
    CHECK_INT(c->cohorts[0].start, t_ms(2024, 1, 8, 0, 0, 0));
    CHECK_INT(c->last_partial, 1);
    int64_t sizes = 0;
    for (size_t i = 0; i < c->count; i++)
        sizes += c->cohorts[i].customers;
    CHECK_INT(sizes, 4);
    retain_cohorts_free(c);

    /* Quarters and years: one cohort holding everybody. */
    CHECK_OK(E, retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_QUARTER, as_of));
    CHECK_INT(c->count, 1);
    CHECK_INT(c->cohorts[0].periods, 2);
    CHECK_INT(c->cohorts[0].active[0], 4);
    CHECK_INT(c->cohorts[0].active[1], 1);
    retain_cohorts_free(c);

    char *json = NULL;
    CHECK_OK(E, retain_cohort_retention_json(&json, E, "USD", RETAIN_PERIOD_MONTH, as_of));
    CHECK(json && t_json_valid(json));
    char buf[64];
    CHECK_STR(t_json_str(json, "$.cohorts[1].start_date", buf, sizeof buf), "2024-02-01");
    CHECK_NEAR(t_json_num(json, "$.cohorts[0].retention[1]"), 0.5, 0);
    CHECK_NEAR(t_json_num(json, "$.cohorts[0].revenue[3]"), 1500, 0);
    CHECK_STR(t_json_str(json, "$.period", buf, sizeof buf), "month");
    retain_free(E, json);
    CHECK_OK(E, retain_cohort_retention_json(&json, E, NULL, RETAIN_PERIOD_MONTH, as_of));
    CHECK(json && t_json_valid(json));
    retain_free(E, json);

    /* An empty store in that currency gives an empty matrix. */
    CHECK_OK(E, retain_cohort_retention(&c, E, "JPY", RETAIN_PERIOD_MONTH, as_of));
    CHECK_INT(c->count, 0);
    retain_cohorts_free(c);
}

static void test_churn(int64_t as_of)
{
    /* Active: Jan {c1,c2}, Feb {c1,c3}, Mar {c3,c4}, Apr {c1}. */
    static const struct {
        int64_t active, fresh, retained, reactivated, churned, orders, revenue;
    } want[] = {
        { 2, 2, 0, 0, 0, 3, 4500 },
        { 2, 1, 1, 0, 1, 4, 4300 }, /* c2 gone */
        { 2, 1, 1, 0, 1, 2, 1300 }, /* c1 gone */
        { 1, 0, 0, 1, 2, 1, 1500 }, /* c1 back, c3 and c4 gone */
    };
    retain_churn *c = NULL;
    CHECK_OK(E, retain_churn_by_period(&c, E, "USD", RETAIN_PERIOD_MONTH, as_of));
    CHECK_INT(c->count, 4);
    for (size_t k = 0; k < c->count && k < 4; k++) {
        const retain_churn_period *p = &c->periods[k];
        CHECK_INT(p->start, t_ms(2024, (int)k + 1, 1, 0, 0, 0));
        CHECK_INT(p->end, t_ms(2024, (int)k + 2, 1, 0, 0, 0));
        CHECK_INT(p->active, want[k].active);
        CHECK_INT(p->new_customers, want[k].fresh);
        CHECK_INT(p->retained, want[k].retained);
        CHECK_INT(p->reactivated, want[k].reactivated);
        CHECK_INT(p->churned, want[k].churned);
        CHECK_INT(p->orders, want[k].orders);
        CHECK_INT(p->revenue, want[k].revenue);
        if (k == 0) {
            CHECK(IS_NAN(p->retention_rate) && IS_NAN(p->churn_rate));
        } else {
            double prev = (double)want[k - 1].active;
            CHECK_NEAR(p->retention_rate, want[k].retained / prev, 1e-15);
            CHECK_NEAR(p->churn_rate, want[k].churned / prev, 1e-15);
        }
    }
    retain_churn_free(c);

    char *json = NULL;
    CHECK_OK(E, retain_churn_by_period_json(&json, E, "USD", RETAIN_PERIOD_MONTH, as_of));
    CHECK(json && t_json_valid(json));
    CHECK_NEAR(t_json_num(json, "$.periods[3].churned"), 2, 0);
    CHECK_NEAR(t_json_num(json, "$.periods[3].churn_rate"), 1.0, 0);
    CHECK(IS_NAN(t_json_num(json, "$.periods[0].retention_rate")));
    retain_free(E, json);

    /* By year, everything is one period. */
    CHECK_OK(E, retain_churn_by_period(&c, E, NULL, RETAIN_PERIOD_YEAR, as_of));
    CHECK_INT(c->count, 1);
    CHECK_INT(c->periods[0].active, 4);
    CHECK_INT(c->periods[0].orders, 11); /* the EUR order too */
    CHECK_INT(c->periods[0].revenue, 0);
    CHECK_INT(c->last_partial, 1);
    retain_churn_free(c);
}

static void test_rfm_scores(int64_t as_of)
{
    /*
     *       last    recency  freq  monetary  R  F  M  FM  segment
     *   c1  04-01     29      3     5000     4  3  4  4   loyal
     *   c2  01-20    101      1     3000     1  1  3  2   lost
     *   c3  03-10     51      3     2900     2  3  2  3   at_risk
     *   c4  03-20     41      1      700     3  1  1  1   about_to_sleep
     * score = 1 + floor(5 * strictly-worse / 4)
     */
    retain_rfm_scores *s = NULL;
    CHECK_OK(E, retain_rfm_scores_get(&s, E, "USD", as_of));
    CHECK_INT(s->count, 4);
    static const struct {
        const char *id;
        int64_t rec, freq, mon;
        int r, f, m;
        retain_rfm_segment seg;
    } want[] = {
        { "c1", 29, 3, 5000, 4, 3, 4, RETAIN_SEGMENT_LOYAL },
        { "c2", 101, 1, 3000, 1, 1, 3, RETAIN_SEGMENT_LOST },
        { "c3", 51, 3, 2900, 2, 3, 2, RETAIN_SEGMENT_AT_RISK },
        { "c4", 41, 1, 700, 3, 1, 1, RETAIN_SEGMENT_ABOUT_TO_SLEEP },
    };
    for (size_t i = 0; i < s->count && i < 4; i++) {
        const retain_rfm_score *r = &s->rows[i];
        CHECK_STR(r->customer_id, want[i].id);
        CHECK_INT(r->recency_days, want[i].rec);
        CHECK_INT(r->frequency, want[i].freq);
        CHECK_INT(r->monetary, want[i].mon);
        CHECK_INT(r->r, want[i].r);
        CHECK_INT(r->f, want[i].f);
        CHECK_INT(r->m, want[i].m);
        CHECK_INT(r->segment, want[i].seg);
    }
    CHECK_INT(s->rows[0].first_order_at, NOON(1, 10));
    CHECK_INT(s->rows[0].last_order_at, NOON(4, 1));
    CHECK_INT(s->segment_customers[RETAIN_SEGMENT_LOYAL], 1);
    CHECK_INT(s->segment_customers[RETAIN_SEGMENT_CHAMPIONS], 0);
    retain_rfm_scores_free(s);

    /* The segment grid, corner by corner. */
    CHECK_INT(retain_rfm_segment_of(5, 5), RETAIN_SEGMENT_CHAMPIONS);
    CHECK_INT(retain_rfm_segment_of(5, 1), RETAIN_SEGMENT_NEW);
    CHECK_INT(retain_rfm_segment_of(4, 1), RETAIN_SEGMENT_PROMISING);
    CHECK_INT(retain_rfm_segment_of(4, 2), RETAIN_SEGMENT_POTENTIAL_LOYALIST);
    CHECK_INT(retain_rfm_segment_of(3, 3), RETAIN_SEGMENT_NEEDS_ATTENTION);
    CHECK_INT(retain_rfm_segment_of(3, 5), RETAIN_SEGMENT_LOYAL);
    CHECK_INT(retain_rfm_segment_of(2, 5), RETAIN_SEGMENT_CANNOT_LOSE);
    CHECK_INT(retain_rfm_segment_of(1, 5), RETAIN_SEGMENT_CANNOT_LOSE);
    CHECK_INT(retain_rfm_segment_of(2, 1), RETAIN_SEGMENT_HIBERNATING);
    CHECK_INT(retain_rfm_segment_of(1, 1), RETAIN_SEGMENT_LOST);
    CHECK_INT(retain_rfm_segment_of(0, 9), RETAIN_SEGMENT_CANNOT_LOSE); /* clamped */
    CHECK_STR(retain_rfm_segment_name(RETAIN_SEGMENT_CANNOT_LOSE), "cannot_lose");
    CHECK_STR(retain_rfm_segment_name((retain_rfm_segment)99), "unknown");

    char *json = NULL;
    CHECK_OK(E, retain_rfm_scores_json(&json, E, "USD", as_of));
    CHECK(json && t_json_valid(json));
    char buf[64];
    CHECK_STR(t_json_str(json, "$.rows[2].segment", buf, sizeof buf), "at_risk");
    CHECK_STR(t_json_str(json, "$.rows[1].id", buf, sizeof buf), "c2");
    CHECK_NEAR(t_json_num(json, "$.segments.lost"), 1, 0);
    retain_free(E, json);
}

static void test_store_rfm(void)
{
    /*
     * Calibration to 2024-03-31, holdout to 2024-04-30, days:
     *   c1: 01-10 | 02-15 | (04-01)    x 1, t_x 36, T 81, monetary 2000, holdout 1
     *   c2: 01-20                      x 0, t_x 0,  T 71, monetary 0
     *   c3: 02-01 | 02-28 (1200+300) | 03-10   x 2, t_x 38, T 59, monetary 1050
     *   c4: 03-20                      x 0, T 11
     */
    static const struct {
        const char *id;
        double x, tx, T, mon, hx;
    } want[] = {
        { "c1", 1, 36, 81, 2000, 1 },
        { "c2", 0, 0, 71, 0, 0 },
        { "c3", 2, 38, 59, 1050, 0 },
        { "c4", 0, 0, 11, 0, 0 },
    };
    int64_t cal = t_end_of(2024, 3, 31), hold = t_end_of(2024, 4, 30);
    for (int week = 0; week < 2; week++) {
        double u = week ? 7.0 : 1.0;
        retain_store_rfm *s = NULL;
        CHECK_OK(E, retain_rfm_from_store(&s, E, "USD", cal, hold,
                                          week ? RETAIN_UNIT_WEEK : RETAIN_UNIT_DAY));
        CHECK_INT(s->summary.n, 4);
        CHECK_INT(s->summary.unit, week ? RETAIN_UNIT_WEEK : RETAIN_UNIT_DAY);
        CHECK_NEAR(s->summary.holdout_length, 30 / u, 1e-12);
        for (size_t i = 0; i < s->summary.n && i < 4; i++) {
            CHECK_STR(s->customer_id[i], want[i].id);
            CHECK_NEAR(s->summary.x[i], want[i].x, 0);
            CHECK_NEAR(s->summary.t_x[i], want[i].tx / u, 1e-12);
            CHECK_NEAR(s->summary.T[i], want[i].T / u, 1e-12);
            CHECK_NEAR(s->summary.monetary[i], want[i].mon, 1e-9);
            CHECK_NEAR(s->summary.holdout_x[i], want[i].hx, 0);
        }
        /* The summary feeds the models as is. */
        retain_rfm_data d;
        CHECK_INT(retain_rfm_view(&d, &s->summary), RETAIN_OK);
        CHECK_INT(d.n, 4);
        retain_store_rfm_free(s);
    }
    /* Ends are days: an order later on the end's day is inside. c1 bought at
     * noon on 02-15 and 04-01. */
    retain_store_rfm *d = NULL;
    CHECK_OK(E, retain_rfm_from_store(&d, E, "USD", t_ms(2024, 2, 15, 1, 0, 0),
                                      t_ms(2024, 4, 1, 6, 0, 0), RETAIN_UNIT_DAY));
    CHECK_STR(d->customer_id[0], "c1");
    CHECK_NEAR(d->summary.x[0], 1, 0);
    CHECK_NEAR(d->summary.T[0], 36, 0);
    CHECK_NEAR(d->summary.holdout_x[0], 1, 0);
    retain_store_rfm_free(d);
    /* No holdout, and nobody yet. */
    retain_store_rfm *s = NULL;
    CHECK_OK(E, retain_rfm_from_store(&s, E, "USD", cal, cal, RETAIN_UNIT_DAY));
    CHECK_INT(s->summary.n, 4);
    CHECK_NEAR(s->summary.holdout_length, 0, 0);
    retain_store_rfm_free(s);
    CHECK_OK(E, retain_rfm_from_store(&s, E, "USD", t_ms(2023, 1, 1, 0, 0, 0),
                                      t_ms(2023, 2, 1, 0, 0, 0), RETAIN_UNIT_WEEK));
    CHECK_INT(s->summary.n, 0);
    retain_store_rfm_free(s);
    CHECK_OK(E, retain_rfm_from_store(&s, E, "GBP", cal, hold, RETAIN_UNIT_WEEK));
    CHECK_INT(s->summary.n, 0);
    retain_store_rfm_free(s);

    char *json = NULL;
    CHECK_OK(E, retain_rfm_from_store_json(&json, E, "USD", cal, hold, RETAIN_UNIT_DAY));
    CHECK(json && t_json_valid(json));
    char buf[64];
    CHECK_STR(t_json_str(json, "$.rows[2].id", buf, sizeof buf), "c3");
    CHECK_NEAR(t_json_num(json, "$.rows[2].monetary"), 1050, 0);
    CHECK_NEAR(t_json_num(json, "$.rows[0].holdout_x"), 1, 0);
    CHECK_NEAR(t_json_num(json, "$.holdout_length"), 30, 0);
    retain_free(E, json);
}

/* ---- retention economics ---- */

/* Gauss 2F1(a, b; c; z) for |z| < 1 by its series. */
static double hyp2f1(double a, double b, double c, double z)
{
    double term = 1, sum = 1;
    for (int j = 0; j < 200000; j++) {
        term *= (a + j) * (b + j) / ((c + j) * (j + 1)) * z;
        sum += term;
        if (fabs(term) < 1e-17 * fabs(sum))
            break;
    }
    return sum;
}

/* BG/NBD E[X(t)] (Fader, Hardie & Lee 2005, eq. 9). */
static double bgnbd_ex(double r, double al, double a, double b, double t)
{
    double z = t / (al + t);
    return (a + b - 1) / (a - 1) * (1 - pow(al / (al + t), r) * hyp2f1(r, b, a + b - 1, z));
}

/* Pareto/NBD E[X(t)] (Schmittlein, Morrison & Colombo 1987). */
static double pareto_ex(double r, double al, double s, double be, double t)
{
    return r * be / (al * (s - 1)) * (1 - pow(be / (be + t), s - 1));
}

/* BG/BB E[X(n)] (Fader, Hardie & Shang 2010, eq. 7). */
static double bgbb_ex(double al, double be, double ga, double de, double n)
{
    return al / (al + be) * de / (ga - 1) *
           (1 - exp(lgamma(ga + de) - lgamma(ga + de + n) + lgamma(1 + de + n) - lgamma(1 + de)));
}

typedef double (*ex_fn)(const double *p, double t);
static double ex_bg(const double *p, double t) { return bgnbd_ex(p[0], p[1], p[2], p[3], t); }
static double ex_pa(const double *p, double t) { return pareto_ex(p[0], p[1], p[2], p[3], t); }
static double ex_bb(const double *p, double t) { return bgbb_ex(p[0], p[1], p[2], p[3], t); }

static double discounted(ex_fn f, const double *p, double margin, double d, double L, int n)
{
    double sum = 0, prev = 0;
    for (int k = 1; k <= n; k++) {
        double x = f(p, k * L);
        sum += (x - prev) / pow(1 + d, k);
        prev = x;
    }
    return margin * sum;
}

static void test_economics(void)
{
    /* Geometric: m 100, d 10%, r 0.80 -> 0.85.
     * CLV = 100 * 1.1 / 0.3 = 366.67; lifted 100 * 1.1 / 0.25 = 440. */
    retain_economics_options o = RETAIN_ECONOMICS_OPTIONS_INIT;
    o.margin = 100;
    o.discount_rate = 0.1;
    o.retention = 0.8;
    o.lift = 0.05;
    o.customers = 1000;
    retain_retention_value v = RETAIN_RETENTION_VALUE_INIT;
    CHECK_OK(E, retain_retention_economics(&v, E, &o));
    CHECK_NEAR(v.value, 110.0 / 0.3, 1e-9);
    CHECK_NEAR(v.lifted_value, 440.0, 1e-9);
    CHECK_NEAR(v.lift_value, 440.0 - 110.0 / 0.3, 1e-9);
    CHECK_NEAR(v.total_lift_value, 1000 * (440.0 - 110.0 / 0.3), 1e-6);
    CHECK_NEAR(v.relative_increase, 0.2, 1e-12);
    CHECK_NEAR(v.expected_lifetime, 5.0, 1e-12);
    CHECK_NEAR(v.lifted_expected_lifetime, 1 / 0.15, 1e-12);
    CHECK_NEAR(v.lifted_retention, 0.85, 1e-15);
    CHECK(IS_NAN(v.expected_purchases));
    /* Without discounting CLV is m / (1 - r). */
    o.discount_rate = 0;
    CHECK_OK(E, retain_retention_economics(&v, E, &o));
    CHECK_NEAR(v.value, 500, 1e-9);
    CHECK_NEAR(v.lifted_value, 100 / 0.15, 1e-9);
    char *json = NULL;
    CHECK_OK(E, retain_retention_economics_json(&json, E, &o));
    CHECK(json && t_json_valid(json));
    CHECK_NEAR(t_json_num(json, "$.value"), 500, 1e-9);
    CHECK_NEAR(t_json_num(json, "$.assumptions.lift"), 0.05, 0);
    retain_free(E, json);

    /* BG/NBD, CDNOW parameters in weeks; 13 periods of 4 weeks, 1% each. */
    double bg[4] = { 0.243, 4.414, 0.793, 2.426 };
    retain_model m;
    CHECK_INT(retain_model_init(&m, RETAIN_MODEL_BGNBD, RETAIN_UNIT_WEEK, bg, NULL), RETAIN_OK);
    retain_economics_options mo = RETAIN_ECONOMICS_OPTIONS_INIT;
    mo.margin = 1000;
    mo.discount_rate = 0.01;
    mo.lift = 0.05;
    mo.customers = 2357;
    mo.period_length = 4;
    mo.period_unit = RETAIN_UNIT_WEEK;
    mo.periods = 13;
    CHECK_OK(E, retain_retention_economics_model(&v, E, &m, &mo));
    double r0 = bg[3] / (bg[2] + bg[3]), k = bg[2] + bg[3];
    double lifted[4] = { bg[0], bg[1], (1 - r0 - 0.05) * k, (r0 + 0.05) * k };
    double want = discounted(ex_bg, bg, 1000, 0.01, 4, 13);
    double want_l = discounted(ex_bg, lifted, 1000, 0.01, 4, 13);
    CHECK_NEAR(v.retention, r0, 1e-12);
    CHECK_NEAR(v.lifted_retention, r0 + 0.05, 1e-12);
    CHECK_REL(v.value, want, 1e-8);
    CHECK_REL(v.lifted_value, want_l, 1e-8);
    CHECK(v.lifted_value > v.value);
    CHECK_REL(v.total_lift_value, 2357 * (want_l - want), 1e-7);
    CHECK_REL(v.expected_purchases, bgnbd_ex(bg[0], bg[1], bg[2], bg[3], 52), 1e-8);
    CHECK(IS_NAN(v.expected_lifetime));
    /* The same periods written in days. */
    retain_retention_value vd = RETAIN_RETENTION_VALUE_INIT;
    mo.period_length = 28;
    mo.period_unit = RETAIN_UNIT_DAY;
    CHECK_OK(E, retain_retention_economics_model(&vd, E, &m, &mo));
    CHECK_REL(vd.value, v.value, 1e-10);
    CHECK_REL(vd.lifted_value, v.lifted_value, 1e-10);
    /* No lift, no value. */
    mo.lift = 0;
    CHECK_OK(E, retain_retention_economics_model(&vd, E, &m, &mo));
    CHECK_NEAR(vd.lift_value, 0, 1e-9);
    mo.lift = 0.05;
    CHECK_OK(E, retain_retention_economics_model_json(&json, E, &m, &mo));
    CHECK(json && t_json_valid(json));
    CHECK_NEAR(t_json_num(json, "$.lifted_params[3]"), lifted[3], 1e-12);
    char buf[32];
    CHECK_STR(t_json_str(json, "$.model", buf, sizeof buf), "bgnbd");
    retain_free(E, json);

    /* Pareto/NBD: retention over one 4-week period is (beta/(beta+4))^s. */
    double pa[4] = { 0.55, 10.58, 0.61, 11.67 };
    CHECK_INT(retain_model_init(&m, RETAIN_MODEL_PARETO_NBD, RETAIN_UNIT_WEEK, pa, NULL),
              RETAIN_OK);
    mo.period_length = 4;
    mo.period_unit = RETAIN_UNIT_WEEK;
    CHECK_OK(E, retain_retention_economics_model(&v, E, &m, &mo));
    double pr = pow(pa[3] / (pa[3] + 4), pa[2]);
    double q = pow(pr + 0.05, 1 / pa[2]);
    double pl[4] = { pa[0], pa[1], pa[2], 4 * q / (1 - q) };
    CHECK_NEAR(v.retention, pr, 1e-12);
    CHECK_REL(v.value, discounted(ex_pa, pa, 1000, 0.01, 4, 13), 1e-8);
    CHECK_REL(v.lifted_value, discounted(ex_pa, pl, 1000, 0.01, 4, 13), 1e-8);

    /* BG/BB, the donation parameters: 6 yearly opportunities. */
    double bb[4] = { 1.204, 0.750, 0.657, 2.783 };
    CHECK_INT(retain_model_init(&m, RETAIN_MODEL_BGBB, RETAIN_UNIT_PERIOD, bb, NULL), RETAIN_OK);
    mo.period_length = 1;
    mo.period_unit = RETAIN_UNIT_PERIOD;
    mo.periods = 6;
    mo.discount_rate = 0.1;
    CHECK_OK(E, retain_retention_economics_model(&v, E, &m, &mo));
    double br = bb[3] / (bb[2] + bb[3]), bk = bb[2] + bb[3];
    double bl[4] = { bb[0], bb[1], (1 - br - 0.05) * bk, (br + 0.05) * bk };
    CHECK_NEAR(v.retention, br, 1e-12);
    CHECK_REL(v.value, discounted(ex_bb, bb, 1000, 0.1, 1, 6), 1e-8);
    CHECK_REL(v.lifted_value, discounted(ex_bb, bl, 1000, 0.1, 1, 6), 1e-8);
    /* ... whose horizon counts whole opportunities. */
    mo.period_unit = RETAIN_UNIT_WEEK;
    CHECK_RC(E, retain_retention_economics_model(&v, E, &m, &mo), RETAIN_EINVAL);
    mo.period_unit = RETAIN_UNIT_PERIOD;
    mo.period_length = 1.5;
    CHECK_RC(E, retain_retention_economics_model(&v, E, &m, &mo), RETAIN_EINVAL);

    /* A spend model has no retention. */
    double gg[3] = { 6.25, 3.74, 15.44 };
    CHECK_INT(retain_model_init(&m, RETAIN_MODEL_GAMMA_GAMMA, RETAIN_UNIT_NONE, gg, NULL),
              RETAIN_OK);
    mo.period_length = 1;
    CHECK_RC(E, retain_retention_economics_model(&v, E, &m, &mo), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(E), "gamma_gamma") != NULL);
}

/* ---- bad input ---- */

static void expect_einval(int rc, const char *what)
{
    if (rc == RETAIN_EINVAL && retain_errmsg(E)[0]) {
        t_passed++;
    } else {
        T_FAIL("%s returned %d (%s), expected RETAIN_EINVAL with a message", what, rc,
               retain_errmsg(E));
    }
}

static void test_bad_input(int64_t as_of)
{
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    retain_cohorts *c = (retain_cohorts *)&s;
    retain_churn *ch = NULL;
    retain_rfm_scores *rs = NULL;
    retain_store_rfm *sr = NULL;
    retain_conversion *cv = NULL;
    char *json = (char *)&s;
    CHECK_INT(retain_metrics_summary_get(&s, NULL, "USD", as_of), RETAIN_EINVAL);
    expect_einval(retain_metrics_summary_get(NULL, E, "USD", as_of), "summary out NULL");
    expect_einval(retain_metrics_summary_get(&s, E, NULL, as_of), "summary currency NULL");
    expect_einval(retain_metrics_summary_get(&s, E, "XYZ", as_of), "summary currency XYZ");
    CHECK(strstr(retain_errmsg(E), "XYZ") != NULL);
    expect_einval(retain_metrics_summary_get(&s, E, "usd", as_of), "summary currency usd");
    expect_einval(retain_metrics_summary_get(&s, E, "USD", INT64_MAX), "summary as_of max");
    expect_einval(retain_metrics_summary_get(&s, E, "USD", INT64_MIN), "summary as_of min");
    retain_metrics_summary s0;
    memset(&s0, 0, sizeof s0);
    expect_einval(retain_metrics_summary_get(&s0, E, "USD", as_of), "summary version 0");
    expect_einval(retain_metrics_summary_json(NULL, E, "USD", as_of), "summary json NULL");
    expect_einval(retain_metrics_summary_json(&json, E, "EURO", as_of), "summary json EURO");
    CHECK(json == NULL);

    expect_einval(retain_cohort_retention(NULL, E, "USD", RETAIN_PERIOD_MONTH, as_of),
                  "cohort out NULL");
    expect_einval(retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_NONE, as_of),
                  "cohort period none");
    CHECK(c == NULL);
    expect_einval(retain_cohort_retention(&c, E, "USD", (retain_period)42, as_of),
                  "cohort period 42");
    expect_einval(retain_cohort_retention(&c, E, "ABC", RETAIN_PERIOD_MONTH, as_of),
                  "cohort currency");
    expect_einval(retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_MONTH, INT64_MIN / 2),
                  "cohort as_of");
    expect_einval(retain_cohort_retention_json(&json, E, "USD", RETAIN_PERIOD_NONE, as_of),
                  "cohort json period");
    /* A matrix of daily cohorts over thousands of years is refused, not built. */
    CHECK_RC(E, retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_DAY,
                                        t_ms(9000, 1, 1, 0, 0, 0)), RETAIN_ELIMIT);
    CHECK_RC(E, retain_churn_by_period(&ch, E, "USD", RETAIN_PERIOD_DAY,
                                       t_ms(9999, 1, 1, 0, 0, 0)), RETAIN_ELIMIT);
    CHECK(ch == NULL);
    CHECK_OK(E, retain_churn_by_period(&ch, E, "USD", RETAIN_PERIOD_DAY, as_of));
    CHECK_INT(ch->count, 31 + 29 + 31 + 30 - 9); /* 2024-01-10 to 2024-04-30 */
    retain_churn_free(ch);
    expect_einval(retain_churn_by_period(&ch, E, "US", RETAIN_PERIOD_MONTH, as_of),
                  "churn currency");
    expect_einval(retain_churn_by_period_json(NULL, E, "USD", RETAIN_PERIOD_MONTH, as_of),
                  "churn json NULL");

    expect_einval(retain_rfm_scores_get(&rs, E, NULL, as_of), "rfm scores currency NULL");
    expect_einval(retain_rfm_scores_get(&rs, E, "USD", INT64_MAX), "rfm scores as_of");
    expect_einval(retain_rfm_scores_json(NULL, E, "USD", as_of), "rfm scores json NULL");

    int64_t cal = t_end_of(2024, 3, 31);
    expect_einval(retain_rfm_from_store(&sr, E, "USD", cal, cal - 1, RETAIN_UNIT_WEEK),
                  "store rfm holdout before calibration");
    expect_einval(retain_rfm_from_store(&sr, E, "USD", cal, cal, RETAIN_UNIT_NONE),
                  "store rfm unit none");
    expect_einval(retain_rfm_from_store(&sr, E, "USD", cal, cal, RETAIN_UNIT_PERIOD),
                  "store rfm unit period");
    expect_einval(retain_rfm_from_store(&sr, E, "XXX", cal, cal, RETAIN_UNIT_DAY),
                  "store rfm currency");
    expect_einval(retain_rfm_from_store(NULL, E, "USD", cal, cal, RETAIN_UNIT_DAY),
                  "store rfm out NULL");
    expect_einval(retain_rfm_from_store_json(&json, E, "USD", INT64_MAX, INT64_MAX,
                                             RETAIN_UNIT_DAY), "store rfm json as_of");

    retain_economics_options o = RETAIN_ECONOMICS_OPTIONS_INIT;
    retain_retention_value v = RETAIN_RETENTION_VALUE_INIT;
    expect_einval(retain_retention_economics(&v, E, &o), "economics unset");
    CHECK(strstr(retain_errmsg(E), "margin") != NULL);
    o.margin = 100;
    o.discount_rate = 0.1;
    o.retention = 0.8;
    o.lift = -0.05;
    expect_einval(retain_retention_economics(&v, E, &o), "negative lift");
    CHECK(strstr(retain_errmsg(E), "lift") != NULL);
    o.lift = 0.2;
    expect_einval(retain_retention_economics(&v, E, &o), "retention + lift reaches 1");
    o.lift = 0.05;
    o.retention = 1.0;
    expect_einval(retain_retention_economics(&v, E, &o), "retention 1");
    o.retention = NAN;
    expect_einval(retain_retention_economics(&v, E, &o), "retention NaN");
    o.retention = 0.8;
    o.discount_rate = -0.1;
    expect_einval(retain_retention_economics(&v, E, &o), "negative discount");
    o.discount_rate = 0.1;
    o.customers = -1;
    expect_einval(retain_retention_economics(&v, E, &o), "negative customers");
    o.customers = 1;
    o.version = 99;
    expect_einval(retain_retention_economics(&v, E, &o), "options version");
    o.version = RETAIN_ECONOMICS_OPTIONS_VERSION;
    expect_einval(retain_retention_economics(NULL, E, &o), "economics out NULL");
    expect_einval(retain_retention_economics(&v, E, NULL), "economics opts NULL");
    expect_einval(retain_retention_economics_json(&json, E, NULL), "economics json NULL");
    expect_einval(retain_retention_economics_model(&v, E, NULL, &o), "model NULL");
    retain_model bad;
    memset(&bad, 0, sizeof bad);
    expect_einval(retain_retention_economics_model(&v, E, &bad, &o), "model unset");
    double bg[4] = { 0.243, 4.414, 0.793, 2.426 };
    retain_model m;
    retain_model_init(&m, RETAIN_MODEL_BGNBD, RETAIN_UNIT_WEEK, bg, NULL);
    expect_einval(retain_retention_economics_model(&v, E, &m, &o), "model horizon unset");
    o.period_length = 4;
    o.period_unit = RETAIN_UNIT_WEEK;
    o.periods = 13;
    o.lift = 0.3; /* 0.754 + 0.3 >= 1 */
    expect_einval(retain_retention_economics_model(&v, E, &m, &o), "model lift to 1");
    o.lift = 0.05;
    CHECK_OK(E, retain_retention_economics_model(&v, E, &m, &o));

    expect_einval(retain_journey_conversion(&cv, E, NULL, INT64_MIN, 0, as_of), "window 0");
    expect_einval(retain_journey_conversion(&cv, E, NULL, INT64_MIN, -5, as_of), "window < 0");
    expect_einval(retain_journey_conversion(&cv, E, "", INT64_MIN, DAY_MS, as_of),
                  "journey empty");
    expect_einval(retain_journey_conversion(&cv, E, NULL, INT64_MAX, DAY_MS, as_of),
                  "since out of range");
    expect_einval(retain_journey_conversion(&cv, E, NULL, INT64_MIN, DAY_MS, INT64_MAX),
                  "conversion as_of");
    expect_einval(retain_journey_conversion(NULL, E, NULL, INT64_MIN, DAY_MS, as_of),
                  "conversion out NULL");

    /* NULL frees are no-ops; the engine still works after all of that. */
    retain_cohorts_free(NULL);
    retain_churn_free(NULL);
    retain_rfm_scores_free(NULL);
    retain_store_rfm_free(NULL);
    retain_conversion_free(NULL);
    retain_metrics_summary ok = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&ok, E, "USD", as_of));
    CHECK_INT(ok.customers, 4);
    CHECK_STR(retain_period_name(RETAIN_PERIOD_QUARTER), "quarter");
    CHECK_STR(retain_period_name((retain_period)0), "none");
}

/* Inside a host transaction the metrics read its snapshot, uncommitted rows included. */
static void test_in_transaction(int64_t as_of)
{
    CHECK_OK(E, retain_begin(E));
    order("o15", "c6", NOON(4, 2), "USD", 100, NULL);
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&s, E, "USD", as_of));
    CHECK_INT(s.customers, 5);
    CHECK_OK(E, retain_rollback(E));
    CHECK_OK(E, retain_metrics_summary_get(&s, E, "USD", as_of));
    CHECK_INT(s.customers, 4);
}

int main(void)
{
    CHECK_OK(NULL, retain_engine_open(&E, ":memory:", NULL));
    build();
    int64_t as_of = t_end_of(2024, 4, 30);
    test_summary(as_of);
    test_cohorts(as_of);
    test_churn(as_of);
    test_rfm_scores(as_of);
    test_store_rfm();
    test_economics();
    test_bad_input(as_of);
    test_in_transaction(as_of);
    retain_engine_close(E);
    t_json_close();
    return t_report("metrics_hand");
}

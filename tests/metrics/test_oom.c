/*
 * test_oom.c - every metric under allocation failure: the engine's
 * allocator fails the 1st, 2nd, 3rd ... allocation of a call until the
 * call succeeds. Each failing call must return RETAIN_ENOMEM, free all it
 * allocated, leave *out NULL, and leave the engine usable.
 */
#include "fail_alloc.h"
#include "mtest.h"

static counting ctr;

static retain_engine *E;
static int64_t AS_OF;

typedef int (*call_fn)(void **result);

static void *last;

static int f_summary(void **r)
{
    (void)r;
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    return retain_metrics_summary_get(&s, E, "USD", AS_OF);
}
static int f_summary_json(void **r)
{
    return retain_metrics_summary_json((char **)r, E, "USD", AS_OF);
}
static int f_cohorts(void **r)
{
    return retain_cohort_retention((retain_cohorts **)r, E, "USD", RETAIN_PERIOD_MONTH, AS_OF);
}
static int f_cohorts_json(void **r)
{
    return retain_cohort_retention_json((char **)r, E, NULL, RETAIN_PERIOD_WEEK, AS_OF);
}
static int f_churn(void **r)
{
    return retain_churn_by_period((retain_churn **)r, E, "USD", RETAIN_PERIOD_MONTH, AS_OF);
}
static int f_churn_json(void **r)
{
    return retain_churn_by_period_json((char **)r, E, "USD", RETAIN_PERIOD_DAY, AS_OF);
}
static int f_scores(void **r)
{
    return retain_rfm_scores_get((retain_rfm_scores **)r, E, "USD", AS_OF);
}
static int f_scores_json(void **r) { return retain_rfm_scores_json((char **)r, E, "USD", AS_OF); }
static int f_store_rfm(void **r)
{
    return retain_rfm_from_store((retain_store_rfm **)r, E, "USD", AS_OF - 60 * DAY_MS, AS_OF,
                                 RETAIN_UNIT_WEEK);
}
static int f_store_rfm_json(void **r)
{
    return retain_rfm_from_store_json((char **)r, E, "USD", AS_OF - 60 * DAY_MS, AS_OF,
                                      RETAIN_UNIT_DAY);
}
static int f_conversion(void **r)
{
    return retain_journey_conversion((retain_conversion **)r, E, NULL, INT64_MIN, DAY_MS, AS_OF);
}
static int f_econ_json(void **r)
{
    retain_economics_options o = RETAIN_ECONOMICS_OPTIONS_INIT;
    o.margin = 100;
    o.discount_rate = 0.1;
    o.retention = 0.8;
    o.lift = 0.05;
    return retain_retention_economics_json((char **)r, E, &o);
}
static int f_econ_model_json(void **r)
{
    double p[4] = { 0.243, 4.414, 0.793, 2.426 };
    retain_model m;
    retain_model_init(&m, RETAIN_MODEL_BGNBD, RETAIN_UNIT_WEEK, p, NULL);
    retain_economics_options o = RETAIN_ECONOMICS_OPTIONS_INIT;
    o.margin = 100;
    o.discount_rate = 0.01;
    o.lift = 0.05;
    o.period_length = 4;
    o.period_unit = RETAIN_UNIT_WEEK;
    o.periods = 13;
    return retain_retention_economics_model_json((char **)r, E, &m, &o);
}

typedef enum kind { K_NONE, K_JSON, K_COHORTS, K_CHURN, K_SCORES, K_RFM, K_CONV } kind;

static void release(kind k, void *r)
{
    switch (k) {
    case K_JSON: retain_free(E, r); break;
    case K_COHORTS: retain_cohorts_free(r); break;
    case K_CHURN: retain_churn_free(r); break;
    case K_SCORES: retain_rfm_scores_free(r); break;
    case K_RFM: retain_store_rfm_free(r); break;
    case K_CONV: retain_conversion_free(r); break;
    default: break;
    }
}

static void exercise(const char *name, call_fn f, kind k)
{
    int failures = 0, bad = 0;
    void *warm = NULL; /* prepares and caches the call's statements */
    CHECK_OK(E, f(&warm));
    release(k, warm);
    for (long n = 1; n < 100000; n++) {
        void *r = (void *)&last; /* must come back NULL on failure */
        long live = ctr.live;
        ctr.calls = 0;
        ctr.fail_at = n;
        int rc = f(&r);
        ctr.fail_at = 0;
        if (rc == RETAIN_OK) {
            release(k, r);
            bad += ctr.live != live;
            break;
        }
        failures++;
        bad += rc != RETAIN_ENOMEM || ctr.live != live || (k != K_NONE && r != NULL) ||
               strcmp(retain_errmsg(E), "out of memory") != 0;
    }
    if (bad)
        T_FAIL("%s: %d bad outcomes over %d injected failures", name, bad, failures);
    else
        t_passed++;
    CHECK(failures > 0);
    /* and it still works */
    void *r = NULL;
    CHECK_OK(E, f(&r));
    release(k, r);
}

int main(void)
{
    retain_options opts = t_counting_options(&ctr);
    CHECK_OK(NULL, retain_engine_open(&E, ":memory:", &opts));
    int64_t t0 = t_ms(2024, 1, 1, 9, 0, 0);
    char id[16], oid[16];
    CHECK_OK(E, retain_begin(E));
    for (int c = 0; c < 40; c++) {
        snprintf(id, sizeof id, "c%d", c);
        retain_customer cu = RETAIN_CUSTOMER_INIT;
        cu.id = id;
        CHECK_OK(E, retain_customer_upsert(E, &cu));
        for (int k = 0; k <= c % 5; k++) {
            snprintf(oid, sizeof oid, "o%d-%d", c, k);
            retain_order o = RETAIN_ORDER_INIT;
            o.id = oid;
            o.customer_id = id;
            o.channel = "web";
            o.placed_at = t0 + (int64_t)(c * 3 + k * 17) * DAY_MS;
            o.currency = "USD";
            o.total = 1000 + c * 10 + k;
            CHECK_OK(E, retain_order_record(E, &o));
        }
    }
    CHECK_OK(E, retain_commit(E));
    AS_OF = t0 + 200 * DAY_MS;

    exercise("summary", f_summary, K_NONE);
    exercise("summary_json", f_summary_json, K_JSON);
    exercise("cohorts", f_cohorts, K_COHORTS);
    exercise("cohorts_json", f_cohorts_json, K_JSON);
    exercise("churn", f_churn, K_CHURN);
    exercise("churn_json", f_churn_json, K_JSON);
    exercise("rfm_scores", f_scores, K_SCORES);
    exercise("rfm_scores_json", f_scores_json, K_JSON);
    exercise("rfm_from_store", f_store_rfm, K_RFM);
    exercise("rfm_from_store_json", f_store_rfm_json, K_JSON);
    exercise("conversion", f_conversion, K_CONV);
    exercise("economics_json", f_econ_json, K_JSON);
    exercise("economics_model_json", f_econ_model_json, K_JSON);

    retain_engine_close(E);
    CHECK_INT(ctr.live, 0);
    t_json_close();
    return t_report("metrics_oom");
}

/*
 * test_refresh.c - retain_model_refresh() on the CDNOW sample imported
 * through the public API: the fitted parameters against the published
 * ones, every customer's stored p_alive against retain_model_p_alive()
 * computed here from cdnow_customers_summary.csv, the stored 90-day
 * expectation and CLV against values computed here, rules reading
 * customer.p_alive and a journey branching on customer.clv, clearing of
 * stale predictions, and a table of bad inputs after which nothing is
 * written.
 */
#include "mtest.h"
#include "cdnow.h"
#include "fail_alloc.h"
#include <retain/refresh.h>

#include <math.h>
#include <unistd.h>

#define NSAMPLE 2357
#define MAX_MASTER 23571

static retain_engine *E;
static sqlite3 *DB;      /* a second, read-only connection to read the columns */
static char db_path[512];
static int64_t NOW;      /* 1997-10-01T00:00Z: calibration to 1997-09-30 */

/* sample id -> the store's customer id (the master id as written, "00004") */
static char master_id[NSAMPLE + 1][16];

/* Published fits on the 39-week calibration (Fader, Hardie & Lee 2005;
 * Fader & Hardie's Pareto/NBD note). */
static const double bgnbd_pub[4] = { 0.243, 4.414, 0.793, 2.426 };
static const double pareto_pub[4] = { 0.553, 10.58, 0.606, 11.67 };
static const double gg_pub[3] = { 6.25, 3.74, 15.44 };

static double sig3(double v)
{
    if (v == 0.0)
        return 0.0;
    double s = pow(10.0, floor(log10(fabs(v))) - 2.0);
    return round(v / s) * s;
}

#define CHECK_SIG3(got, want) CHECK_REL(sig3(got), sig3(want), 1e-9)

static void read_masters(void)
{
    FILE *f = fopen(t_data("CDNOW_sample.txt"), "rb");
    CHECK(f != NULL);
    char line[256];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char master[16];
        int sample;
        if (sscanf(line, "%15s %d", master, &sample) == 2 && sample >= 1 && sample <= NSAMPLE &&
            master_id[sample][0] == '\0') {
            memcpy(master_id[sample], master, sizeof master);
            n++;
        }
    }
    if (f)
        fclose(f);
    CHECK_INT(n, NSAMPLE);
}

/* The summary CSV, weeks rounded to 2 decimals turned back into whole days
 * (0.01 week is 0.07 day, so the rounding is exact). */
static double cx[NSAMPLE], ctxs[NSAMPLE], cT[NSAMPLE];

static void read_summary_csv(void)
{
    FILE *f = fopen(t_data("cdnow_customers_summary.csv"), "rb");
    CHECK(f != NULL);
    char line[256];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        int id;
        double x, tx, T;
        if (sscanf(line, "%d,%lf,%lf,%lf", &id, &x, &tx, &T) != 4 || id < 1 || id > NSAMPLE)
            continue;
        cx[id - 1] = x;
        ctxs[id - 1] = round(tx * 7.0) / 7.0;
        cT[id - 1] = round(T * 7.0) / 7.0;
        n++;
    }
    if (f)
        fclose(f);
    CHECK_INT(n, NSAMPLE);
}

static retain_rfm_data csv_data(void)
{
    retain_rfm_data d = RETAIN_RFM_DATA_INIT;
    d.n = NSAMPLE;
    d.x = cx;
    d.t_x = ctxs;
    d.T = cT;
    d.unit = RETAIN_UNIT_WEEK;
    return d;
}

static double stored_p_alive(int sample)
{
    char id[32];
    snprintf(id, sizeof id, "%s", master_id[sample]);
    retain_customer *c = NULL;
    int rc = retain_customer_get(&c, E, id);
    double v = rc == RETAIN_OK ? c->p_alive : -1.0;
    retain_customer_free(c);
    return v;
}

/* SELECT <col> FROM customer WHERE ext_id = master id of `sample`; NAN for NULL. */
static double column(const char *col, int sample)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s FROM customer WHERE ext_id=?1", col);
    sqlite3_stmt *st = NULL;
    double v = NAN;
    if (sqlite3_prepare_v2(DB, sql, -1, &st, NULL) == SQLITE_OK) {
        char id[32];
        snprintf(id, sizeof id, "%s", master_id[sample]);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_double(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static long long count_where(const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM customer WHERE %s", where);
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(DB, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---- bad input ------------------------------------------------------------ */

typedef struct bad_case {
    const char *what;
    const char *currency;
    int unit, kind, horizon, max_iterations;
    double discount, margin, tolerance;
    unsigned int version;
    int64_t now;       /* 0: NOW */
    int want;
    const char *msg;   /* a word the message must contain */
} bad_case;

static void test_bad_input(void)
{
    static const bad_case cases[] = {
        { "no currency", NULL, 2, 1, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "currency" },
        { "unknown currency", "XQZ", 2, 1, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "XQZ" },
        { "no orders in EUR", "EUR", 2, 1, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "EUR" },
        { "before any order", "USD", 2, 1, 12, 0, 0.01, 1.0, 0.0, 1, 852076800000LL, RETAIN_EINVAL,
          "no customer" },
        { "version 0", "USD", 2, 1, 12, 0, 0.01, 1.0, 0.0, 0, 0, RETAIN_EINVAL, "version" },
        { "version from the future", "USD", 2, 1, 12, 0, 0.01, 1.0, 0.0, 99, 0, RETAIN_EINVAL,
          "version" },
        { "unit unset", "USD", 0, 1, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "unit" },
        { "unit period", "USD", 3, 1, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "unit" },
        { "model unset", "USD", 2, 0, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "purchase_model" },
        { "model bgbb", "USD", 2, 4, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "bgbb" },
        { "model gamma-gamma", "USD", 2, 5, 12, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "gamma_gamma" },
        { "horizon 0", "USD", 2, 1, 0, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "horizon_months" },
        { "horizon 1201", "USD", 2, 1, 1201, 0, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "horizon_months" },
        { "negative discount", "USD", 2, 1, 12, 0, -0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "discount" },
        { "NaN discount", "USD", 2, 1, 12, 0, NAN, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "discount" },
        { "infinite discount", "USD", 2, 1, 12, 0, INFINITY, 1.0, 0.0, 1, 0, RETAIN_EINVAL, "discount" },
        { "margin 0", "USD", 2, 1, 12, 0, 0.01, 0.0, 0.0, 1, 0, RETAIN_EINVAL, "margin" },
        { "margin as percent", "USD", 2, 1, 12, 0, 0.01, 30.0, 0.0, 1, 0, RETAIN_EINVAL, "margin" },
        { "NaN margin", "USD", 2, 1, 12, 0, 0.01, NAN, 0.0, 1, 0, RETAIN_EINVAL, "margin" },
        { "negative tolerance", "USD", 2, 1, 12, 0, 0.01, 1.0, -1e-6, 1, 0, RETAIN_EINVAL,
          "tolerance" },
        { "NaN tolerance", "USD", 2, 1, 12, 0, 0.01, 1.0, NAN, 1, 0, RETAIN_EINVAL, "tolerance" },
        { "negative iterations", "USD", 2, 1, 12, -1, 0.01, 1.0, 0.0, 1, 0, RETAIN_EINVAL,
          "max_iterations" },
        { "now out of range", "USD", 2, 1, 12, 0, 0.01, 1.0, 0.0, 1, INT64_MIN + 1, RETAIN_EINVAL,
          "now" },
        { "fit stops after 1 iteration", "USD", 2, 1, 12, 1, 0.01, 1.0, 0.0, 1, 0, RETAIN_ELIMIT,
          "converge" },
        { "pareto stops after 2 iterations", "USD", 2, 2, 12, 2, 0.01, 1.0, 0.0, 1, 0, RETAIN_ELIMIT,
          "pareto_nbd" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
        o.version = c->version;
        o.currency = c->currency;
        o.unit = (retain_time_unit)c->unit;
        o.purchase_model = (retain_model_kind)c->kind;
        o.horizon_months = c->horizon;
        o.monthly_discount_rate = c->discount;
        o.margin = c->margin;
        o.max_iterations = c->max_iterations;
        o.tolerance = c->tolerance;
        retain_model_refresh_result r = RETAIN_MODEL_REFRESH_RESULT_INIT;
        r.customers = 77;
        int rc = retain_model_refresh(&r, E, c->now ? c->now : NOW, &o);
        if (rc != c->want || !strstr(retain_errmsg(E), c->msg) || r.customers != 0)
            T_FAIL("%s: rc %d (%s), want %d with \"%s\"; customers %zu", c->what, rc,
                   retain_errmsg(E), c->want, c->msg, r.customers);
        else
            t_passed++;
    }
    retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
    o.currency = "USD";
    retain_model_refresh_result r = RETAIN_MODEL_REFRESH_RESULT_INIT;
    CHECK_RC(E, retain_model_refresh(NULL, E, NOW, &o), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(E), "out") != NULL);
    CHECK_RC(E, retain_model_refresh(&r, NULL, NOW, &o), RETAIN_EINVAL);
    CHECK_RC(E, retain_model_refresh(&r, E, NOW, NULL), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(E), "opts") != NULL);
    r.version = 0;
    CHECK_RC(E, retain_model_refresh(&r, E, NOW, &o), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(E), "RETAIN_MODEL_REFRESH_RESULT_INIT") != NULL);

    /* Nothing was written by any of them. */
    CHECK_INT(count_where("p_alive IS NOT NULL OR clv IS NOT NULL OR clv_currency IS NOT NULL"
                          " OR expected_90d IS NOT NULL"),
              0);
    CHECK(isnan(stored_p_alive(1)));

    /* A store where nobody bought twice: the spend model has nothing to fit. */
    retain_engine *e2 = NULL;
    CHECK_OK(NULL, retain_engine_open(&e2, ":memory:", NULL));
    const char *ids[2] = { "a", "b" };
    for (int i = 0; i < 2; i++) {
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = ids[i];
        c.at = NOW - 40 * DAY_MS;
        CHECK_OK(e2, retain_customer_upsert(e2, &c));
        retain_order ord = RETAIN_ORDER_INIT;
        char oid[8];
        snprintf(oid, sizeof oid, "o%d", i);
        ord.id = oid;
        ord.customer_id = ids[i];
        ord.channel = "web";
        ord.placed_at = NOW - (30 + i) * DAY_MS;
        ord.currency = "USD";
        ord.total = 1500;
        CHECK_OK(e2, retain_order_record(e2, &ord));
    }
    r.version = RETAIN_MODEL_REFRESH_RESULT_VERSION;
    CHECK_RC(e2, retain_model_refresh(&r, e2, NOW, &o), RETAIN_EINVAL);
    CHECK(strstr(retain_errmsg(e2), "repeat purchase") != NULL);
    retain_customer *c = NULL;
    CHECK_OK(e2, retain_customer_get(&c, e2, "a"));
    CHECK(c && isnan(c->p_alive));
    retain_customer_free(c);
    retain_engine_close(e2);
}

/* ---- the refresh on CDNOW ------------------------------------------------- */

static retain_model_refresh_result R;

static void test_fit(void)
{
    retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
    o.currency = "USD";
    R = (retain_model_refresh_result)RETAIN_MODEL_REFRESH_RESULT_INIT;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(E, retain_model_refresh(&R, E, NOW, &o));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK_INT(R.customers, NSAMPLE);
    CHECK_INT(R.repeat_customers, 946);
    CHECK_INT(R.cleared, 0);
    CHECK_INT(R.calibration_end, NOW - 1);
    CHECK_INT(R.purchase.kind, RETAIN_MODEL_BGNBD);
    CHECK_INT(R.purchase.unit, RETAIN_UNIT_WEEK);
    CHECK_INT(R.purchase.converged, 1);
    CHECK_INT(R.spend.kind, RETAIN_MODEL_GAMMA_GAMMA);
    CHECK_INT(R.spend.converged, 1);
    for (int k = 0; k < 4; k++)
        CHECK_SIG3(R.purchase.param.v[k], bgnbd_pub[k]);
    CHECK_NEAR(R.purchase.loglik, -9582.4, 0.05);
    /* Spend in cents: p is unit-free, gamma scales with the currency unit. */
    CHECK_SIG3(R.spend.param.gg.p, gg_pub[0]);
    CHECK_SIG3(R.spend.param.gg.q, gg_pub[1]);
    CHECK_SIG3(R.spend.param.gg.gamma / 100.0, gg_pub[2]);
    CHECK_INT(count_where("p_alive IS NOT NULL AND clv_currency='USD' AND clv IS NOT NULL"
                          " AND expected_90d IS NOT NULL"),
              NSAMPLE);
    printf("refresh: %zu customers in %.3f s\n", R.customers, secs);
    printf("refresh: BG/NBD r %.6f alpha %.5f a %.6f b %.5f LL %.4f (%d iterations); "
           "Gamma-Gamma p %.5f q %.5f gamma %.3f cents LL %.4f\n",
           R.purchase.param.v[0], R.purchase.param.v[1], R.purchase.param.v[2],
           R.purchase.param.v[3], R.purchase.loglik, R.purchase.iterations, R.spend.param.gg.p,
           R.spend.param.gg.q, R.spend.param.gg.gamma, R.spend.loglik);
}

/* Every stored p_alive against the model fitted here on the CSV. */
static double own_alive[NSAMPLE];

static void test_p_alive(void)
{
    retain_rfm_data d = csv_data();
    retain_model own;
    retain_diag diag;
    CHECK_INT(retain_model_fit(&own, RETAIN_MODEL_BGNBD, &d, NULL, &diag), RETAIN_OK);
    CHECK_INT(own.converged, 1);
    for (int k = 0; k < 4; k++)
        CHECK_REL(own.param.v[k], R.purchase.param.v[k], 1e-6);
    CHECK_INT(retain_model_p_alive(own_alive, &own, &d, &diag), RETAIN_OK);
    int bad = 0, below = 0;
    double worst = 0;
    for (int s = 1; s <= NSAMPLE; s++) {
        double got = stored_p_alive(s);
        double diff = fabs(got - own_alive[s - 1]);
        worst = fmax(worst, diff);
        bad += !(diff <= 1e-6);
        below += own_alive[s - 1] < 0.5;
    }
    CHECK_INT(bad, 0);
    /* A few by name, so a failure says which. */
    static const int named[] = { 1, 2, 3, 4, 18, 100, 1000, 1500, 2000, 2357 };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        CHECK_NEAR(stored_p_alive(named[i]), own_alive[named[i] - 1], 1e-6);
    printf("refresh: p_alive of %d customers matches the CSV within %.3g; %d below 0.5\n",
           NSAMPLE, worst, below);
}

/* Stored expected_90d and clv against retain_model_* on the CSV rows. */
static void test_expected_and_clv(void)
{
    retain_rfm_data d = csv_data();
    static double ahead[NSAMPLE];
    /* 90 days is 90/7 weeks, the model's unit */
    CHECK_INT(retain_model_conditional_expected(ahead, &R.purchase, &d, 90.0 / 7.0,
                                                RETAIN_UNIT_WEEK, NULL),
              RETAIN_OK);
    int bad = 0;
    for (int s = 1; s <= NSAMPLE; s++)
        bad += !(fabs(column("expected_90d", s) - ahead[s - 1]) <= 1e-9);
    CHECK_INT(bad, 0);

    /* CLV, 12 months of 30.4375 days, 1% a month, margin 1, by hand:
     * E[spend] * sum_k (E[Y(k L)] - E[Y((k-1) L)]) / 1.01^k. */
    const double p = R.spend.param.gg.p, q = R.spend.param.gg.q, g = R.spend.param.gg.gamma;
    const double L = 365.25 / 12.0 / 7.0; /* a month in weeks */
    FILE *f = fopen(t_data("cdnow_customers_summary_with_transactions.csv"), "rb");
    CHECK(f != NULL);
    char line[256];
    int checked = 0, zero_checked = 0, bad_clv = 0;
    double sum_clv = 0, max_clv = 0;
    while (f && fgets(line, sizeof line, f)) {
        int id;
        double x, tx, T, zbar;
        if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &id, &x, &tx, &T, &zbar) != 5)
            continue;
        double stored = column("clv", id);
        sum_clv += stored;
        max_clv = fmax(max_clv, stored);
        if (id % 50 != 1 && id != 2)
            continue; /* the sum below costs 12 predictions per customer */
        /* x = 0: the population mean spend, Gamma-Gamma's convention */
        double m = x > 0 ? p * (g + x * zbar * 100.0) / (p * x + q - 1.0) : p * g / (q - 1.0);
        retain_rfm_data one = RETAIN_RFM_DATA_INIT;
        one.n = 1;
        one.x = &cx[id - 1];
        one.t_x = &ctxs[id - 1];
        one.T = &cT[id - 1];
        one.unit = RETAIN_UNIT_WEEK;
        double prev = 0, sum = 0;
        for (int k = 1; k <= 12; k++) {
            double cur = 0;
            retain_model_conditional_expected(&cur, &R.purchase, &one, k * L, RETAIN_UNIT_WEEK,
                                              NULL);
            sum += (cur - prev) / pow(1.01, k);
            prev = cur;
        }
        /* zbar in the CSV is rounded to cents: allow for it */
        double tol = 0.5 + (x > 0 ? p * x * 0.5 / (p * x + q - 1.0) * sum : 0.0) + 1e-6;
        if (!(fabs(stored - m * sum) <= tol)) {
            bad_clv++;
            T_FAIL("sample %d: clv %.0f, expected %.3f", id, stored, m * sum);
        }
        checked++;
        zero_checked += x == 0;
    }
    if (f)
        fclose(f);
    CHECK_INT(bad_clv, 0);
    CHECK(checked >= 40);
    CHECK(zero_checked >= 10);
    printf("refresh: CLV (12 months, 1%%/month) checked on %d customers (%d without repeat "
           "purchases); mean $%.2f, max $%.2f\n",
           checked, zero_checked, sum_clv / NSAMPLE / 100.0, max_clv / 100.0);
}

/* ---- rules ---------------------------------------------------------------- */

static void test_rule_p_alive(void)
{
    retain_rule *rule = NULL;
    retain_diag diag;
    CHECK_OK(E, retain_rule_compile(&rule, E, "customer.p_alive < 0.5", &diag));
    retain_eval_ctx *ctx = NULL;
    CHECK_OK(E, retain_eval_ctx_new(&ctx, E));
    if (!rule || !ctx)
        return;
    int agree = 0, yes = 0, want_yes = 0;
    for (int s = 1; s <= NSAMPLE; s++) {
        char id[32];
        snprintf(id, sizeof id, "%s", master_id[s]);
        retain_customer *c = NULL;
        if (retain_customer_get(&c, E, id) != RETAIN_OK)
            continue;
        retain_value v = isnan(c->p_alive) ? retain_value_null() : retain_value_float(c->p_alive);
        retain_eval_ctx_clear(ctx);
        int out = -1;
        if (retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_P_ALIVE, &v) == RETAIN_OK &&
            retain_rule_test(rule, ctx, &out) == RETAIN_OK) {
            int want = own_alive[s - 1] < 0.5;
            agree += out == want;
            yes += out == 1;
            want_yes += want;
        }
        retain_customer_free(c);
    }
    CHECK_INT(agree, NSAMPLE);
    CHECK_INT(yes, want_yes);
    CHECK(yes > 100 && yes < NSAMPLE - 100);
    retain_eval_ctx_free(ctx);
    retain_rule_free(rule);
}

/* ---- a VIP journey branching on customer.clv ------------------------------ */

typedef struct recorder {
    char log[4096];
    size_t len;
    int calls;
} recorder;

static int record_send(const retain_message *m, retain_send_result *r, void *ud)
{
    recorder *rec = ud;
    if (rec->len + 100 < sizeof rec->log)
        rec->len += (size_t)snprintf(rec->log + rec->len, sizeof rec->log - rec->len, "%s %s\n",
                                     m->customer_id, m->template_id ? m->template_id : "-");
    snprintf(r->provider_id, sizeof r->provider_id, "p%d", ++rec->calls);
    return RETAIN_SEND_SENT;
}

static const char vip_yaml[] =
    "journey: vip-check\n"
    "version: 1\n"
    "trigger:\n"
    "  event: vip.check\n"
    "entry: always\n"
    "steps:\n"
    "  - id: route\n"
    "    branch:\n"
    "      - when: 'customer.clv > 100.00'\n"
    "        goto: vip\n"
    "      - else: regular\n"
    "  - id: vip\n"
    "    send: { channel: email, template: vip_offer, category: marketing }\n"
    "    goto: done\n"
    "  - id: regular\n"
    "    send: { channel: email, template: thank_you, category: marketing }\n"
    "    goto: done\n"
    "  - id: done\n"
    "    exit: true\n";

/* The sample id whose stored CLV is the smallest above `lo` (or the largest
 * at most `lo` when below is set). */
static int pick(double lo, int below, double *clv)
{
    int best = 0;
    double bv = below ? -1.0 : INFINITY;
    for (int s = 1; s <= NSAMPLE; s++) {
        double v = column("clv", s);
        if (below ? (v <= lo && v > bv) : (v > lo && v < bv)) {
            bv = v;
            best = s;
        }
    }
    *clv = bv;
    return best;
}

static void test_vip_journey(void)
{
    recorder rec = { .len = 0 };
    retain_transport tr = RETAIN_TRANSPORT_INIT;
    tr.channel = "email";
    tr.send = record_send;
    tr.userdata = &rec;
    CHECK_OK(E, retain_transport_register(E, &tr));
    retain_diag d[4];
    size_t nd = 0;
    int rc = retain_journeys_load(E, vip_yaml, "vip.yaml", NOW, d, 4, &nd);
    if (rc)
        T_FAIL("load: %s", nd ? d[0].message : retain_errmsg(E));
    else
        t_passed++;

    /* Just above $100, at most $100 (the boundary side), the biggest, a small one. */
    double v_above, v_below, v_top, v_small;
    int above = pick(10000, 0, &v_above), below = pick(10000, 1, &v_below);
    int top = pick(1e300, 1, &v_top), small = pick(500, 1, &v_small);
    CHECK(above && below && top && small);
    printf("refresh: VIP journey on clv %.0f, %.0f, %.0f, %.0f cents\n", v_above, v_below, v_top,
           v_small);
    const int who[4] = { above, below, top, small };
    const int vip[4] = { 1, 0, 1, 0 };
    int64_t at = NOW + 12 * 3600 * INT64_C(1000); /* noon UTC, outside quiet hours */
    for (int i = 0; i < 4; i++) {
        char id[32], email[64];
        snprintf(id, sizeof id, "%s", master_id[who[i]]);
        snprintf(email, sizeof email, "c%s@example.com", master_id[who[i]]);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.email = email;
        c.at = at;
        CHECK_OK(E, retain_customer_upsert(E, &c));
        CHECK_OK(E, retain_consent_set(E, id, "email", "marketing", RETAIN_CONSENT_GRANTED, at,
                                       "test"));
        CHECK_OK(E, retain_event_track(E, id, "vip.check", at, NULL, NULL));
    }
    retain_tick_stats st;
    CHECK_OK(E, retain_engine_tick(E, at, &st));
    CHECK_OK(E, retain_engine_tick(E, at + 2 * DAY_MS, &st));
    CHECK_INT(rec.calls, 4);
    for (int i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %s\n", master_id[who[i]],
                 vip[i] ? "vip_offer" : "thank_you");
        if (!strstr(rec.log, line))
            T_FAIL("no \"%.*s\" in the sends:\n%s", (int)strlen(line) - 1, line, rec.log);
        else
            t_passed++;
    }
}

/* ---- other models, units, and clearing ------------------------------------ */

static void test_variants(void)
{
    retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
    o.currency = "USD";
    o.purchase_model = RETAIN_MODEL_PARETO_NBD;
    retain_model_refresh_result r = RETAIN_MODEL_REFRESH_RESULT_INIT;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK_INT(r.purchase.kind, RETAIN_MODEL_PARETO_NBD);
    for (int k = 0; k < 4; k++)
        CHECK_SIG3(r.purchase.param.v[k], pareto_pub[k]);
    CHECK_NEAR(r.purchase.loglik, -9595.0, 0.05);
    printf("refresh: Pareto/NBD r %.6f alpha %.5f s %.6f beta %.5f LL %.4f\n", r.purchase.param.v[0],
           r.purchase.param.v[1], r.purchase.param.v[2], r.purchase.param.v[3], r.purchase.loglik);

    o.purchase_model = RETAIN_MODEL_MBGNBD;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK_INT(r.purchase.kind, RETAIN_MODEL_MBGNBD);
    CHECK_INT(r.customers, NSAMPLE);

    /* Days: the same BG/NBD with alpha seven times larger, the same p_alive. */
    o.purchase_model = RETAIN_MODEL_BGNBD;
    o.unit = RETAIN_UNIT_DAY;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK_INT(r.purchase.unit, RETAIN_UNIT_DAY);
    CHECK_REL(r.purchase.param.bgnbd.r, R.purchase.param.bgnbd.r, 1e-5);
    CHECK_REL(r.purchase.param.bgnbd.alpha / 7.0, R.purchase.param.bgnbd.alpha, 1e-5);
    CHECK_REL(r.purchase.param.bgnbd.a, R.purchase.param.bgnbd.a, 1e-5);
    CHECK_REL(r.purchase.param.bgnbd.b, R.purchase.param.bgnbd.b, 1e-5);
    CHECK_NEAR(stored_p_alive(1), own_alive[0], 1e-5);

    /* Margin and discount move CLV as they should: half the margin, half the CLV. */
    o.unit = RETAIN_UNIT_WEEK;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    double full = column("clv", 1);
    o.margin = 0.5;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK_NEAR(column("clv", 1), full / 2.0, 0.5);
    o.margin = 1.0;
    o.monthly_discount_rate = 0.0;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK(column("clv", 1) > full);
    o.monthly_discount_rate = 0.01;
    o.horizon_months = 24;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK(column("clv", 1) > full);

    /* A customer whose only order is cancelled loses his predictions at the
     * next refresh; the others keep theirs. Sample 3 bought once. */
    CHECK_NEAR(cx[2], 0, 0);
    char id[32];
    snprintf(id, sizeof id, "%s", master_id[3]);
    sqlite3_stmt *st = NULL;
    char oid[64] = "";
    if (sqlite3_prepare_v2(DB,
                           "SELECT o.ext_id FROM orders o JOIN customer c ON c.id=o.customer"
                           " WHERE c.ext_id=?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(oid, sizeof oid, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    CHECK(oid[0] != '\0');
    CHECK_OK(E, retain_order_set_status(E, oid, "cancelled", NOW - DAY_MS));
    o.horizon_months = 12;
    CHECK_OK(E, retain_model_refresh(&r, E, NOW, &o));
    CHECK_INT(r.customers, NSAMPLE - 1);
    CHECK_INT(r.cleared, 1);
    CHECK(isnan(stored_p_alive(3)));
    CHECK(isnan(column("clv", 3)) && isnan(column("expected_90d", 3)));
    CHECK_INT(count_where("clv_currency IS NOT NULL"), NSAMPLE - 1);
    CHECK(!isnan(stored_p_alive(1)));
}

/* ---- allocation failure --------------------------------------------------- */

#define NOOM 300

/* Uniform in [0, 1) from a 64-bit LCG (Knuth's MMIX constants). */
static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Fail the 1st, 2nd ... allocation of a refresh on a small store until it
 * succeeds: every failure is RETAIN_ENOMEM, frees what it took, and writes
 * nothing. */
static void test_oom(void)
{
    counting ctr = { 0, 0, 0 };
    retain_options eo = t_counting_options(&ctr);
    retain_engine *e = NULL;
    CHECK_OK(NULL, retain_engine_open(&e, ":memory:", &eo));
    if (!e)
        return;
    /* A small simulated BG/NBD population: purchases every 1/lambda days on
     * average, dropping out after each with a probability ~ Beta(1, 2.5). */
    int64_t t0 = NOW - 200 * DAY_MS;
    uint64_t seed = 12345;
    for (int i = 0; i < NOOM; i++) {
        char id[16], oid[32];
        snprintf(id, sizeof id, "c%d", i);
        retain_customer c = RETAIN_CUSTOMER_INIT;
        c.id = id;
        c.at = t0;
        CHECK_OK(e, retain_customer_upsert(e, &c));
        double lambda = 0.01 + 0.09 * lcg(&seed);
        double day = 150.0 * lcg(&seed);
        double dropout = 1.0 - pow(lcg(&seed), 1.0 / 2.5); /* ~ Beta(1, 2.5) */
        double spend = 500.0 / (0.05 + lcg(&seed));           /* mean spend varies */
        for (int k = 0; day < 200.0 && k < 50; k++) {
            snprintf(oid, sizeof oid, "o%d-%d", i, k);
            retain_order o = RETAIN_ORDER_INIT;
            o.id = oid;
            o.customer_id = id;
            o.channel = "web";
            o.placed_at = t0 + (int64_t)(day * (double)DAY_MS);
            o.currency = "USD";
            o.total = (int64_t)(spend * -log(1.0 - lcg(&seed) * 0.999)) + 100;
            CHECK_OK(e, retain_order_record(e, &o));
            if (lcg(&seed) < dropout)
                break;
            day += -log(1.0 - lcg(&seed)) / lambda;
        }
    }
    retain_model_refresh_options o = RETAIN_MODEL_REFRESH_OPTIONS_INIT;
    o.currency = "USD";
    retain_model_refresh_result r = RETAIN_MODEL_REFRESH_RESULT_INIT;
    int rc = RETAIN_ENOMEM, failures = 0, bad = 0;
    for (long n = 1; rc == RETAIN_ENOMEM && n < 10000; n++) {
        long live = ctr.live;
        ctr.calls = 0;
        ctr.fail_at = n;
        rc = retain_model_refresh(&r, e, NOW, &o);
        ctr.fail_at = 0;
        if (rc == RETAIN_ENOMEM) {
            failures++;
            retain_customer *c = NULL;
            bad += ctr.live != live || r.customers != 0;
            if (retain_customer_get(&c, e, "c4") == RETAIN_OK)
                bad += !isnan(c->p_alive);
            retain_customer_free(c);
        }
    }
    if (rc)
        T_FAIL("refresh after %d failures: %d (%s)", failures, rc, retain_errmsg(e));
    else
        t_passed++;
    CHECK_INT(bad, 0);
    CHECK(failures >= 5);
    CHECK_INT(r.customers, NOOM);
    printf("refresh: succeeded after failing each of its first %d allocations "
           "(simulated BG/NBD: r %.3f alpha %.3f a %.3f b %.3f, weeks)\n",
           failures, r.purchase.param.v[0], r.purchase.param.v[1], r.purchase.param.v[2],
           r.purchase.param.v[3]);
    retain_engine_close(e);
    CHECK_INT(ctr.live, 0);
}

int main(void)
{
    const char *dir = getenv("TMPDIR");
    snprintf(db_path, sizeof db_path, "%s/retain-test-refresh-%ld.db", dir && *dir ? dir : "/tmp",
             (long)getpid());
    unlink(db_path);
    NOW = t_ms(1997, 10, 1, 0, 0, 0);
    read_masters();
    read_summary_csv();
    CHECK_OK(NULL, retain_engine_open(&E, db_path, NULL));
    if (!E)
        return t_report("metrics_refresh");
    cdnow_stats st;
    CHECK_OK(E, cdnow_import(E, t_data("CDNOW_sample.txt"), 1, &st));
    CHECK_INT(sqlite3_open_v2(db_path, &DB, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    test_bad_input();
    test_fit();
    test_p_alive();
    test_expected_and_clv();
    test_rule_p_alive();
    test_vip_journey();
    test_variants();
    test_oom();
    sqlite3_close(DB);
    retain_engine_close(E);
    char side[600];
    unlink(db_path);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    return t_report("metrics_refresh");
}

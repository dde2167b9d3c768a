/*
 * test_cdnow.c - the metrics on the CDNOW sample (2,357 customers, 6,919
 * orders) imported through the public API, each checked against numbers
 * computed here straight from CDNOW_sample.txt, and the store's RFM
 * summary against lifetimes' published calibration summaries.
 */
#include "mtest.h"
#include "cdnow.h"

#include <math.h>

#define MAX_ROWS 8000
#define MAX_CUST 23571

typedef struct row {
    int cust;      /* master id */
    int sample;    /* sample id, 1..2357 */
    long long day; /* days since 1970 */
    long long cents;
} row;

static row rows[MAX_ROWS];
static int nrows;
static int sample_of[MAX_CUST];

static long long day_of(int y, int m, int d)
{
    return t_ms(y, m, d, 0, 0, 0) / DAY_MS;
}

static int row_cmp(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->cust != b->cust)
        return a->cust - b->cust;
    return a->day < b->day ? -1 : a->day > b->day;
}

static void read_file(void)
{
    FILE *f = fopen(t_data("CDNOW_sample.txt"), "rb");
    CHECK(f != NULL);
    char line[256];
    while (f && fgets(line, sizeof line, f) && nrows < MAX_ROWS) {
        int cust, sample, cds, date;
        double dollars;
        if (sscanf(line, "%d %d %d %d %lf", &cust, &sample, &date, &cds, &dollars) != 5)
            continue;
        row *r = &rows[nrows++];
        r->cust = cust;
        r->sample = sample;
        r->day = day_of(date / 10000, date / 100 % 100, date % 100);
        r->cents = llround(dollars * 100.0);
        sample_of[cust] = sample;
    }
    if (f)
        fclose(f);
    qsort(rows, (size_t)nrows, sizeof rows[0], row_cmp);
}

/* Per customer, straight from the file. */
typedef struct cust {
    int id;
    long long first, last, cents;
    int days, orders;
    /* calibration / holdout in the Fader-Hardie sense */
    int x, hx;
    long long tx, T, repeat_cents;
} cust;

static cust custs[3000];
static int ncust;

static void per_customer(long long cal_day, long long hold_day)
{
    for (int i = 0; i < nrows;) {
        int j = i;
        cust *c = &custs[ncust++];
        memset(c, 0, sizeof *c);
        c->id = rows[i].cust;
        c->first = rows[i].day;
        for (; j < nrows && rows[j].cust == c->id; j++) {
            const row *r = &rows[j];
            bool new_day = j == i || r->day != rows[j - 1].day;
            c->days += new_day;
            c->orders++;
            c->cents += r->cents;
            c->last = r->day;
            if (r->day != c->first && r->day <= cal_day) {
                c->x += new_day;
                c->tx = r->day - c->first;
                c->repeat_cents += r->cents;
            } else if (r->day > cal_day && r->day <= hold_day) {
                c->hx += new_day;
            }
        }
        c->T = cal_day - c->first;
        i = j;
    }
}

static retain_engine *E;
static int64_t as_of;

static void test_summary(void)
{
    int repeat = 0, days = 0;
    long long cents = 0;
    for (int i = 0; i < ncust; i++) {
        repeat += custs[i].days > 1;
        days += custs[i].days;
        cents += custs[i].cents;
    }
    double want = (double)repeat / ncust;
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    CHECK_OK(E, retain_metrics_summary_get(&s, E, "USD", as_of));
    CHECK_INT(s.customers, 2357);
    CHECK_INT(ncust, 2357);
    CHECK_INT(s.orders, 6919);
    CHECK_INT(s.purchase_days, days);
    CHECK_INT(s.purchase_days, 6696); /* tests/data/SOURCES.md */
    CHECK_INT(s.revenue, cents);
    CHECK_INT(s.repeat_customers, repeat);
    CHECK_NEAR(s.repeat_rate, want, 1e-15);
    CHECK_NEAR(s.aov, (double)cents / 6919, 1e-9);
    printf("cdnow: repeat-customer rate %d/%d = %.6f; AOV $%.4f; %.4f orders per customer; "
           "LTV mean $%.2f median $%.2f p90 $%.2f; repeat purchases %.1f%% of revenue\n",
           repeat, ncust, s.repeat_rate, s.aov / 100, s.purchase_frequency, s.ltv_mean / 100,
           s.ltv_median / 100, s.ltv_p90 / 100, 100 * s.repeat_revenue_share);
}

/* Look a sample id's row up in a CSV with ID first; returns fields read. */
typedef struct csvrow {
    double v[5];
} csvrow;

static int read_csv(const char *name, csvrow *out, int max)
{
    FILE *f = fopen(t_data(name), "rb");
    CHECK(f != NULL);
    char line[256];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        csvrow r;
        int k = sscanf(line, "%lf,%lf,%lf,%lf,%lf", &r.v[0], &r.v[1], &r.v[2], &r.v[3], &r.v[4]);
        if (k < 4)
            continue; /* header */
        int id = (int)r.v[0];
        if (id >= 1 && id < max) {
            out[id] = r;
            n++;
        }
    }
    if (f)
        fclose(f);
    return n;
}

static csvrow summary_csv[2400], monetary_csv[2400];

static void test_store_rfm(int64_t cal, int64_t hold)
{
    CHECK_INT(read_csv("cdnow_customers_summary.csv", summary_csv, 2400), 2357);
    CHECK_INT(read_csv("cdnow_customers_summary_with_transactions.csv", monetary_csv, 2400), 2357);
    retain_store_rfm *s = NULL;
    CHECK_OK(E, retain_rfm_from_store(&s, E, "USD", cal, hold, RETAIN_UNIT_WEEK));
    if (!s)
        return;
    CHECK_INT(s->summary.n, 2357);
    int bad_csv = 0, bad_mon = 0, bad_own = 0;
    double sum_x = 0, sum_hx = 0, worst = 0;
    for (size_t i = 0; i < s->summary.n; i++) {
        int master = atoi(s->customer_id[i]);
        int sample = master > 0 && master < MAX_CUST ? sample_of[master] : 0;
        const csvrow *c = &summary_csv[sample], *m = &monetary_csv[sample];
        double x = s->summary.x[i], tx = s->summary.t_x[i], T = s->summary.T[i];
        double dx = fabs(x - c->v[1]), dtx = fabs(tx - c->v[2]), dT = fabs(T - c->v[3]);
        worst = fmax(worst, fmax(dtx, dT));
        if (!sample || dx != 0 || dtx > 0.005 || dT > 0.005)
            bad_csv++;
        /* zbar is rounded to cents: 22.345 is written 22.35 */
        if (fabs(s->summary.monetary[i] / 100 - m->v[4]) > 0.005 + 1e-9 || m->v[1] != x)
            bad_mon++;
        /* and against this file's own reading, holdout included */
        const cust *own = NULL;
        for (int k = 0; k < ncust && !own; k++)
            own = custs[k].id == master ? &custs[k] : NULL;
        if (!own || own->x != x || fabs(own->tx / 7.0 - tx) > 1e-12 ||
            fabs(own->T / 7.0 - T) > 1e-12 || own->hx != s->summary.holdout_x[i] ||
            fabs((own->x ? (double)own->repeat_cents / own->x : 0) - s->summary.monetary[i]) >
                1e-9)
            bad_own++;
        sum_x += x;
        sum_hx += s->summary.holdout_x[i];
    }
    CHECK_INT(bad_csv, 0);
    CHECK_INT(bad_mon, 0);
    CHECK_INT(bad_own, 0);
    CHECK_NEAR(sum_x, 2457, 0);   /* SOURCES.md: repeat purchase days in calibration */
    CHECK_NEAR(sum_hx, 1882, 0);  /* ... and in the holdout */
    CHECK_NEAR(s->summary.holdout_length, 39, 1e-12);
    printf("cdnow: store RFM summary matches cdnow_customers_summary.csv on %zu rows "
           "(largest t_x/T difference %.4f weeks); sum x %.0f, holdout %.0f\n",
           s->summary.n, worst, sum_x, sum_hx);
    retain_store_rfm_free(s);
}

static int month_of(long long day)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static void test_cohorts(void)
{
    /* month matrix from the file: [acquisition month][offset] */
    enum { M = 24 };
    long long active[M][M], revenue[M][M], size[M];
    int orders[M][M];
    memset(active, 0, sizeof active);
    memset(revenue, 0, sizeof revenue);
    memset(orders, 0, sizeof orders);
    memset(size, 0, sizeof size);
    int m0 = month_of(day_of(1997, 1, 1)), mlast = month_of(day_of(1998, 6, 30));
    for (int i = 0; i < nrows;) {
        int j = i, f = month_of(rows[i].day) - m0, prev = -1;
        size[f]++;
        for (; j < nrows && rows[j].cust == rows[i].cust; j++) {
            int k = month_of(rows[j].day) - m0 - f;
            if (k != prev)
                active[f][k]++;
            prev = k;
            orders[f][k]++;
            revenue[f][k] += rows[j].cents;
        }
        i = j;
    }
    retain_cohorts *c = NULL;
    CHECK_OK(E, retain_cohort_retention(&c, E, "USD", RETAIN_PERIOD_MONTH, as_of));
    if (!c)
        return;
    CHECK_INT(c->count, 3); /* the cohort joined in January to March 1997 */
    int bad = 0;
    long long total = 0;
    for (size_t r = 0; r < c->count; r++) {
        const retain_cohort *co = &c->cohorts[r];
        int f = month_of(co->start / DAY_MS) - m0;
        CHECK_INT(co->customers, size[f]);
        CHECK_INT(co->periods, mlast - m0 - f + 1);
        long long row_sum = 0, want_sum = 0;
        for (size_t k = 0; k < co->periods; k++) {
            row_sum += co->active[k];
            want_sum += active[f][k];
            bad += co->active[k] != active[f][k] || co->orders[k] != orders[f][k] ||
                   co->revenue[k] != revenue[f][k] ||
                   co->retention[k] != (double)active[f][k] / (double)size[f];
        }
        CHECK_INT(row_sum, want_sum);
        total += co->customers;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(total, 2357);
    printf("cdnow: month-1 retention of the January 1997 cohort %.4f, month 17 %.4f\n",
           c->cohorts[0].retention[1], c->cohorts[0].retention[17]);
    retain_cohorts_free(c);

    /* Churn by month: activity per month from the file, and the identities. */
    retain_churn *ch = NULL;
    CHECK_OK(E, retain_churn_by_period(&ch, E, NULL, RETAIN_PERIOD_MONTH, as_of));
    if (!ch)
        return;
    CHECK_INT(ch->count, 18);
    int bad_id = 0;
    for (size_t k = 0; k < ch->count; k++) {
        long long want = 0;
        for (int f = 0; f <= (int)k && f < M; f++)
            want += active[f][k - (size_t)f];
        const retain_churn_period *p = &ch->periods[k];
        CHECK_INT(p->active, want);
        if (k > 0)
            bad_id += p->retained + p->churned != ch->periods[k - 1].active ||
                      p->active != p->new_customers + p->retained + p->reactivated;
    }
    CHECK_INT(bad_id, 0);
    CHECK_INT(ch->last_partial, 0);
    retain_churn_free(ch);
}

static int score_of(int worse, int n)
{
    int s = 1 + 5 * worse / n;
    return s > 5 ? 5 : s;
}

static void test_rfm_scores(void)
{
    retain_rfm_scores *s = NULL;
    CHECK_OK(E, retain_rfm_scores_get(&s, E, "USD", as_of));
    if (!s)
        return;
    CHECK_INT(s->count, 2357);
    long long today = as_of / DAY_MS;
    int bad = 0;
    int64_t seg_total = 0;
    for (size_t i = 0; i < s->count; i++) {
        const retain_rfm_score *r = &s->rows[i];
        int master = atoi(r->customer_id);
        const cust *c = NULL;
        for (int k = 0; k < ncust && !c; k++)
            c = custs[k].id == master ? &custs[k] : NULL;
        if (!c) {
            bad++;
            continue;
        }
        int wr = 0, wf = 0, wm = 0;
        for (int k = 0; k < ncust; k++) {
            wr += custs[k].last < c->last; /* less recent */
            wf += custs[k].days < c->days;
            wm += custs[k].cents < c->cents;
        }
        bad += r->recency_days != today - c->last || r->frequency != c->days ||
               r->monetary != c->cents || r->r != score_of(wr, ncust) ||
               r->f != score_of(wf, ncust) || r->m != score_of(wm, ncust) ||
               r->segment != retain_rfm_segment_of(r->r, (r->f + r->m + 1) / 2);
    }
    for (int k = 0; k < RETAIN_SEGMENT_COUNT; k++)
        seg_total += s->segment_customers[k];
    CHECK_INT(bad, 0);
    CHECK_INT(seg_total, 2357);
    printf("cdnow: RFM segments:");
    for (int k = 0; k < RETAIN_SEGMENT_COUNT; k++)
        printf(" %s %lld", retain_rfm_segment_name((retain_rfm_segment)k),
               (long long)s->segment_customers[k]);
    printf("\n");
    retain_rfm_scores_free(s);

    char *json = NULL;
    CHECK_OK(E, retain_rfm_scores_json(&json, E, "USD", as_of));
    CHECK(json && t_json_valid(json));
    CHECK_NEAR(t_json_num(json, "$.customers"), 2357, 0);
    retain_free(E, json);
}

int main(void)
{
    read_file();
    CHECK_INT(nrows, 6919);
    as_of = t_end_of(1998, 6, 30);
    int64_t cal = t_end_of(1997, 9, 30);
    per_customer(cal / DAY_MS, as_of / DAY_MS);
    CHECK_OK(NULL, retain_engine_open(&E, ":memory:", NULL));
    cdnow_stats st;
    CHECK_OK(E, cdnow_import(E, t_data("CDNOW_sample.txt"), 1, &st));
    test_summary();
    test_store_rfm(cal, as_of);
    test_cohorts();
    test_rfm_scores();
    retain_engine_close(E);
    t_json_close();
    return t_report("metrics_cdnow");
}

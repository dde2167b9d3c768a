/*
 * summary.c - store-wide figures in one currency: customers, orders,
 * revenue, AOV, purchase frequency, repeat customers and their revenue,
 * and the distribution of LTV to date (mean, median, p90, histogram).
 */
#include "metrics.h"
#include "core/alloc.h"
#include "store/metrics_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Percentile q of sorted x[0..n), interpolating linearly between the two
 * nearest ranks (the "type 7" of Hyndman and Fan, numpy's default). */
static double percentile(const int64_t *x, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return (double)x[n - 1];
    return (double)x[lo] + (h - (double)lo) * (double)(x[lo + 1] - x[lo]);
}

/* The smallest of 1, 2, 2.5, 5 times a power of ten (whole minor units)
 * that is >= want. */
static int64_t nice_width(int64_t want)
{
    static const int tenths[] = { 10, 20, 25, 50 };
    for (int64_t pow = 1; pow <= INT64_MAX / 100; pow *= 10)
        for (size_t i = 0; i < sizeof tenths / sizeof tenths[0]; i++) {
            if ((pow * tenths[i]) % 10)
                continue;
            int64_t w = pow * tenths[i] / 10;
            if (w >= want)
                return w;
        }
    return want;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static void histogram(retain_metrics_summary *s, const int64_t *ltv, size_t n)
{
    double p99 = n ? percentile(ltv, n, 0.99) : 0.0;
    int64_t want = (int64_t)floor(p99 / (RETAIN_LTV_BINS - 1)) + 1;
    int64_t w = nice_width(want < 1 ? 1 : want);
    for (int i = 0; i < RETAIN_LTV_BINS; i++) {
        s->ltv_histogram[i].lo = sat_mul(w, i);
        s->ltv_histogram[i].hi = i == RETAIN_LTV_BINS - 1 ? INT64_MAX : sat_mul(w, i + 1);
        s->ltv_histogram[i].customers = 0;
    }
    for (size_t c = 0; c < n; c++) {
        int64_t b = ltv[c] / w;
        s->ltv_histogram[b < RETAIN_LTV_BINS - 1 ? b : RETAIN_LTV_BINS - 1].customers++;
    }
}

static int compute(retain_metrics_summary *s, retain_engine *e, const rt_hist *h)
{
    int64_t *ltv = rt_malloc(&e->alloc, (h->ncust ? h->ncust : 1) * sizeof *ltv);
    if (!ltv)
        return rt_nomem(e);
    bool ok = true;
    for (size_t c = 0; c < h->ncust; c++) {
        const rt_purchase *p = h->p + h->off[c];
        size_t k = h->off[c + 1] - h->off[c];
        int64_t rev = 0, first_day_rev = 0, days = 0, prev = 0;
        for (size_t i = 0; i < k; i++) {
            int64_t d = rt_day_of(p[i].at);
            if (i == 0 || d != prev)
                days++;
            prev = d;
            ok &= rt_madd(&rev, p[i].amount);
            if (days == 1)
                first_day_rev += p[i].amount;
        }
        ltv[c] = rev;
        s->orders += (int64_t)k;
        s->purchase_days += days;
        ok &= rt_madd(&s->revenue, rev);
        if (days >= 2) {
            s->repeat_customers++;
            ok &= rt_madd(&s->repeat_customer_revenue, rev);
            ok &= rt_madd(&s->repeat_purchase_revenue, rev - first_day_rev);
        }
    }
    if (!ok) {
        rt_free(&e->alloc, ltv);
        return rt_mmoney_overflow(e);
    }
    size_t n = h->ncust;
    s->customers = (int64_t)n;
    s->aov = s->orders ? (double)s->revenue / (double)s->orders : NAN;
    s->purchase_frequency = n ? (double)s->orders / (double)n : NAN;
    s->repeat_rate = n ? (double)s->repeat_customers / (double)n : NAN;
    s->repeat_revenue_share = s->revenue ? (double)s->repeat_purchase_revenue / (double)s->revenue
                                         : NAN;
    qsort(ltv, n, sizeof *ltv, i64_cmp);
    s->ltv_mean = n ? (double)s->revenue / (double)n : NAN;
    s->ltv_median = percentile(ltv, n, 0.5);
    s->ltv_p90 = percentile(ltv, n, 0.9);
    s->ltv_max = n ? ltv[n - 1] : 0;
    histogram(s, ltv, n);
    rt_free(&e->alloc, ltv);
    return RETAIN_OK;
}

static int summarize(retain_metrics_summary *out, retain_engine *e, const char *currency,
                     int64_t as_of)
{
    int rc;
    if ((rc = rt_mcheck_currency(e, currency, false)) ||
        (rc = rt_mcheck_as_of(e, "as_of", as_of)))
        return rc;
    unsigned int version = out->version;
    memset(out, 0, sizeof *out);
    out->version = version;
    memcpy(out->currency, currency, 3);
    out->as_of = as_of;
    bool began;
    if ((rc = rt_ms_read_begin(e, &began)))
        return rc;
    rt_hist h;
    rc = rt_hist_load(e, currency, as_of, &h);
    if (rc == RETAIN_OK)
        rc = compute(out, e, &h);
    rt_hist_free(&h);
    return rt_ms_read_end(e, began, rc);
}

int retain_metrics_summary_get(retain_metrics_summary *out, retain_engine *e,
                               const char *currency, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    int rc = rt_mcheck_version(e, "out", out->version, RETAIN_METRICS_SUMMARY_VERSION,
                               "RETAIN_METRICS_SUMMARY_INIT");
    return rc ? rc : summarize(out, e, currency, as_of);
}

static void to_json(rt_buf *b, const retain_metrics_summary *s)
{
    rt_buf_putc(b, '{');
    rt_mjson_key(b, "currency", true);
    rt_buf_json_str(b, s->currency);
    rt_buf_printf(b, ",\"minor_digits\":%d,\"as_of\":%lld,\"customers\":%lld,\"orders\":%lld,"
                     "\"purchase_days\":%lld,\"revenue\":%lld",
                  retain_currency_digits(s->currency), (long long)s->as_of,
                  (long long)s->customers, (long long)s->orders, (long long)s->purchase_days,
                  (long long)s->revenue);
    rt_mjson_key(b, "aov", false);
    rt_mjson_num(b, s->aov);
    rt_mjson_key(b, "purchase_frequency", false);
    rt_mjson_num(b, s->purchase_frequency);
    rt_buf_printf(b, ",\"repeat_customers\":%lld", (long long)s->repeat_customers);
    rt_mjson_key(b, "repeat_rate", false);
    rt_mjson_num(b, s->repeat_rate);
    rt_buf_printf(b, ",\"repeat_customer_revenue\":%lld,\"repeat_purchase_revenue\":%lld",
                  (long long)s->repeat_customer_revenue, (long long)s->repeat_purchase_revenue);
    rt_mjson_key(b, "repeat_revenue_share", false);
    rt_mjson_num(b, s->repeat_revenue_share);
    rt_buf_puts(b, ",\"ltv\":{\"mean\":");
    rt_mjson_num(b, s->ltv_mean);
    rt_mjson_key(b, "median", false);
    rt_mjson_num(b, s->ltv_median);
    rt_mjson_key(b, "p90", false);
    rt_mjson_num(b, s->ltv_p90);
    rt_buf_printf(b, ",\"max\":%lld,\"histogram\":[", (long long)s->ltv_max);
    for (int i = 0; i < RETAIN_LTV_BINS; i++) {
        const retain_ltv_bin *bin = &s->ltv_histogram[i];
        rt_buf_printf(b, "%s{\"lo\":%lld,\"hi\":", i ? "," : "", (long long)bin->lo);
        if (bin->hi == INT64_MAX)
            rt_buf_puts(b, "null");
        else
            rt_buf_printf(b, "%lld", (long long)bin->hi);
        rt_buf_printf(b, ",\"customers\":%lld}", (long long)bin->customers);
    }
    rt_buf_puts(b, "]}}");
}

int retain_metrics_summary_json(char **out, retain_engine *e, const char *currency,
                                int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    retain_metrics_summary s = RETAIN_METRICS_SUMMARY_INIT;
    int rc = summarize(&s, e, currency, as_of);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    to_json(&b, &s);
    return rt_mjson_finish(e, &b, out);
}

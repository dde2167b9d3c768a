/*
 * test_internal.c - the metrics' internals: grouping orders by customer
 * (count table and sorted fallback, out-of-order times), and the UTC
 * calendar periods against libc's gmtime/timegm over years 1 to 9999.
 */
#include "metrics/metrics.h"
#include "harness.h"

#include <time.h>

static void check_grouped(const rt_hist *h, const int64_t *cust, const int64_t *at,
                          const int64_t *amount, size_t n)
{
    /* every customer ascending, every order once, each customer's in time order */
    CHECK_INT(h->n, n);
    CHECK_INT(h->off[h->ncust], n);
    int64_t sum_at = 0, sum_amount = 0, want_at = 0, want_amount = 0;
    for (size_t i = 0; i < n; i++) {
        want_at += at[i];
        want_amount += amount[i];
    }
    size_t bad = 0;
    for (size_t c = 0; c < h->ncust; c++) {
        if (c > 0 && h->cust[c] <= h->cust[c - 1])
            bad++;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += cust[i] == h->cust[c];
        if (k != h->off[c + 1] - h->off[c])
            bad++;
        for (size_t i = h->off[c]; i < h->off[c + 1]; i++) {
            sum_at += h->p[i].at;
            sum_amount += h->p[i].amount;
            if (i > h->off[c] && h->p[i].at < h->p[i - 1].at)
                bad++;
            /* the pair (at, amount) stayed together */
            bool found = false;
            for (size_t j = 0; j < n && !found; j++)
                found = cust[j] == h->cust[c] && at[j] == h->p[i].at && amount[j] == h->p[i].amount;
            if (!found)
                bad++;
        }
    }
    CHECK_INT(bad, 0);
    CHECK_INT(sum_at, want_at);
    CHECK_INT(sum_amount, want_amount);
}

static void test_group(void)
{
    retain_allocator a = { 0, 0, 0, 0 };
    rt_hist h;
    /* dense ids, times out of order */
    int64_t c1[] = { 3, 1, 3, 2, 1, 3 };
    int64_t t1[] = { 50, 20, 10, 5, 10, 30 };
    int64_t m1[] = { 1, 2, 3, 4, 5, 6 };
    CHECK_INT(rt_hist_group(&h, c1, t1, m1, 6, &a), RETAIN_OK);
    CHECK_INT(h.ncust, 3);
    CHECK_INT(h.cust[0], 1);
    CHECK_INT(h.cust[2], 3);
    CHECK_INT(h.p[h.off[2]].at, 10);
    CHECK_INT(h.p[h.off[2]].amount, 3);
    check_grouped(&h, c1, t1, m1, 6);
    rt_hist_free(&h);

    /* ids too sparse for a count table */
    int64_t c2[] = { INT64_C(1000000000000), 5, INT64_C(1000000000000), -7, 5 };
    int64_t t2[] = { 9, 8, 7, 6, 5 };
    int64_t m2[] = { 10, 20, 30, 40, 50 };
    CHECK_INT(rt_hist_group(&h, c2, t2, m2, 5, &a), RETAIN_OK);
    CHECK_INT(h.ncust, 3);
    CHECK_INT(h.cust[0], -7);
    CHECK_INT(h.cust[1], 5);
    check_grouped(&h, c2, t2, m2, 5);
    rt_hist_free(&h);

    /* one customer with many orders in reverse time (the qsort path), and
     * several on one day: 3 distinct days */
    enum { N = 100 };
    int64_t c3[N], t3[N], m3[N];
    for (int i = 0; i < N; i++) {
        c3[i] = 42;
        t3[i] = (int64_t)(N - i) * 1000 + (i % 3) * RT_MS_PER_DAY;
        m3[i] = i;
    }
    CHECK_INT(rt_hist_group(&h, c3, t3, m3, N, &a), RETAIN_OK);
    CHECK_INT(h.ncust, 1);
    check_grouped(&h, c3, t3, m3, N);
    CHECK_INT(rt_hist_days(&h, 0), 3);
    rt_hist_free(&h);

    /* amounts may be absent; nothing at all is fine too */
    CHECK_INT(rt_hist_group(&h, c1, t1, NULL, 6, &a), RETAIN_OK);
    CHECK_INT(h.p[0].amount, 0);
    rt_hist_free(&h);
    CHECK_INT(rt_hist_group(&h, NULL, NULL, NULL, 0, &a), RETAIN_OK);
    CHECK_INT(h.ncust, 0);
    CHECK_INT(h.off[0], 0);
    rt_hist_free(&h);

    /* days before 1970 floor, not truncate */
    CHECK_INT(rt_day_of(-1), -1);
    CHECK_INT(rt_day_of(-RT_MS_PER_DAY), -1);
    CHECK_INT(rt_day_of(-RT_MS_PER_DAY - 1), -2);
    CHECK_INT(rt_day_of(RT_MS_PER_DAY - 1), 0);
}

/* libc's view of a period: its start, from gmtime and timegm. */
static int64_t libc_start(retain_period p, int64_t ms)
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;
    gmtime_r(&s, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    switch (p) {
    case RETAIN_PERIOD_DAY: break;
    case RETAIN_PERIOD_WEEK: {
        int back = (tm.tm_wday + 6) % 7; /* days since Monday */
        return ((int64_t)timegm(&tm) - (int64_t)back * 86400) * 1000;
    }
    case RETAIN_PERIOD_MONTH: tm.tm_mday = 1; break;
    case RETAIN_PERIOD_QUARTER: tm.tm_mday = 1; tm.tm_mon -= tm.tm_mon % 3; break;
    default: tm.tm_mday = 1; tm.tm_mon = 0; break;
    }
    return (int64_t)timegm(&tm) * 1000;
}

static void test_periods(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    const int64_t lo = INT64_C(-62135596800000), hi = INT64_C(253402300799999);
    size_t bad = 0, checked = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ms = lo + (int64_t)(x % (uint64_t)(hi - lo));
        if (i < 8) /* and the edges */
            ms = (int64_t[]){ lo, hi, 0, -1, 1, 951782400000 /* 2000-02-29 */,
                              -2208988800000 /* 1900-01-01 */, 1709164800000 }[i];
        for (retain_period p = RETAIN_PERIOD_DAY; p <= RETAIN_PERIOD_YEAR; p++) {
            int64_t idx = rt_period_index(p, ms);
            int64_t start = rt_period_start(p, idx);
            if (start != libc_start(p, ms) || rt_period_start(p, idx + 1) <= ms ||
                rt_period_index(p, start) != idx || rt_period_index(p, start - 1) != idx - 1)
                bad++;
            checked++;
        }
        int64_t y;
        int m, d;
        int64_t day = rt_day_of(ms);
        rt_civil_from_days(day, &y, &m, &d);
        if (rt_days_from_civil(y, m, d) != day)
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK(checked == 1000000);
    /* 2024-01-01 was a Monday; its week starts on itself. */
    int64_t jan1 = INT64_C(1704067200000);
    CHECK_INT(rt_period_start(RETAIN_PERIOD_WEEK, rt_period_index(RETAIN_PERIOD_WEEK, jan1)), jan1);
    CHECK_INT(rt_period_index(RETAIN_PERIOD_MONTH, jan1), 2024 * 12);
    CHECK_INT(rt_period_index(RETAIN_PERIOD_QUARTER, jan1 - 1), 2023 * 4 + 3);
}

int main(void)
{
    test_group();
    test_periods();
    return t_report("metrics_internal");
}

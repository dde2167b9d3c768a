/*
 * sec_trend.c - revenue per period (retain_churn_by_period) and the repeat
 * rate over time: at the end of each period, the share of the customers
 * acquired so far who had bought on two or more days by then. Its last
 * point is the summary's repeat rate.
 */
#include "report.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>

/* The latest periods shown; a longer history is cut at the front. */
#define MAX_PERIODS 104

/* Period index k as a slot of 0..n-1 (the history and the series span the
 * same periods; the clamp only guards the arrays). */
static size_t slot(int64_t k, size_t n)
{
    return k < 0 ? 0 : (size_t)k >= n ? n - 1 : (size_t)k;
}

/* Per period k (from `first`): customers whose first (new[k]) and second
 * (repeat[k]) purchase day fall in it, then summed into running totals. */
static void repeat_rates(const rt_report *r, int64_t first, size_t n, int64_t *acquired,
                         int64_t *repeated, double *rate, double *retention,
                         const retain_churn *ch)
{
    const rt_hist *h = &r->hist;
    for (size_t c = 0; c < h->ncust; c++) {
        size_t i = h->off[c], end = h->off[c + 1];
        int64_t day0 = rt_day_of(h->p[i].at);
        acquired[slot(rt_period_index(r->o.period, h->p[i].at) - first, n)]++;
        while (i < end && rt_day_of(h->p[i].at) == day0)
            i++;
        if (i < end)
            repeated[slot(rt_period_index(r->o.period, h->p[i].at) - first, n)]++;
    }
    int64_t a = 0, p = 0;
    for (size_t k = 0; k < n; k++) {
        a += acquired[k];
        p += repeated[k];
        rate[k] = a > 0 ? (double)p / (double)a : 0.0;
        /* a period still running would show a retention that is not over */
        bool running = ch->last_partial && k == n - 1;
        retention[k] = k == 0 || running ? NAN : ch->periods[k].retention_rate;
    }
}

static void charts(rt_report *r, const retain_churn *ch)
{
    size_t n = ch->count;
    int64_t first = rt_period_index(r->o.period, ch->periods[0].start);
    const retain_allocator *a = &r->e->alloc;
    int64_t *acq = rt_calloc(a, 2 * n, sizeof *acq);
    double *v = rt_calloc(a, 3 * n, sizeof *v);
    if (!acq || !v) {
        r->b->failed = true;
        rt_free(a, acq);
        rt_free(a, v);
        return;
    }
    repeat_rates(r, first, n, acq, acq + n, v + n, v + 2 * n, ch);
    for (size_t k = 0; k < n; k++)
        v[k] = (double)ch->periods[k].revenue;
    size_t skip = n > MAX_PERIODS ? n - MAX_PERIODS : 0;
    rt_period_labels labels = { r->o.period, first + (int64_t)skip };
    char title[96];
    snprintf(title, sizeof title, "Revenue per %s (%s)", retain_period_name(r->o.period),
             r->o.currency);
    rt_chart c = { "revenue", title, n - skip, rt_period_label, &labels, r->money };
    rt_svg_bars(r->b, &c, v + skip);
    rt_series s[] = { { "repeat rate: customers with 2+ purchase days", v + n + skip },
                      { "retention: last period's buyers who bought again", v + 2 * n + skip } };
    rt_chart l = { "repeat", "Repeat rate and period-over-period retention", n - skip,
                   rt_period_label, &labels, { RT_NUM_PCT, 0 } };
    rt_svg_lines(r->b, &l, s, 2, -1, NULL);
    if (skip)
        rt_html_note(r->b, "Only the latest periods are shown.");
    rt_free(a, acq);
    rt_free(a, v);
}

int rt_sec_trend(rt_report *r)
{
    retain_churn *ch = NULL;
    int rc = retain_churn_by_period(&ch, r->e, r->o.currency, r->o.period, r->o.now);
    if (rc)
        return rc;
    rt_html_section_open(r->b, "trend", "Repeat rate and revenue over time",
                         "Revenue of each period, and how the share of customers who came back "
                         "grew. Retention is the share of one period's buyers who bought again "
                         "in the next; the last period may still be running.");
    if (ch->count == 0)
        rt_html_empty(r->b, "No orders yet, so there is no history to plot.");
    else
        charts(r, ch);
    rt_html_section_close(r->b);
    retain_churn_free(ch);
    return RETAIN_OK;
}

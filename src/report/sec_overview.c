/* sec_overview.c - the report's headline figures: customers, orders,
 * revenue, AOV, repeat rate and LTV to date (retain_metrics_summary). */
#include "report.h"

#include <stdio.h>

int rt_sec_overview(rt_report *r)
{
    const retain_metrics_summary *s = &r->summary;
    rt_html_section_open(r->b, "overview", "Overview",
                         "What the order history says: every order that was not cancelled or "
                         "refunded counts; a purchase day is a customer's day with an order.");
    if (s->customers == 0) {
        char why[160], date[16];
        rt_html_date(date, sizeof date, r->o.now);
        snprintf(why, sizeof why, "No orders in %s were placed by %s, so there is nothing to "
                 "measure yet: the sections below fill in once orders are recorded.",
                 r->o.currency, date);
        rt_html_empty(r->b, why);
        rt_html_section_close(r->b);
        return RETAIN_OK;
    }
    static const rt_numfmt count = { RT_NUM_COUNT, 0 }, pct = { RT_NUM_PCT, 0 },
                           real = { RT_NUM_REAL, 0 };
    rt_html_kpis_open(r->b);
    rt_html_kpi(r->b, "customers", "customers who bought", (double)s->customers, &count);
    rt_html_kpi(r->b, "orders", "orders", (double)s->orders, &count);
    char label[4][48];
    snprintf(label[0], sizeof label[0], "revenue, %s", r->o.currency);
    snprintf(label[1], sizeof label[1], "average order value, %s", r->o.currency);
    snprintf(label[2], sizeof label[2], "mean LTV to date, %s", r->o.currency);
    snprintf(label[3], sizeof label[3], "median LTV to date, %s", r->o.currency);
    rt_html_kpi(r->b, "revenue", label[0], (double)s->revenue, &r->money);
    rt_html_kpi(r->b, "aov", label[1], s->aov, &r->money);
    rt_html_kpi(r->b, "purchase_frequency", "orders per customer", s->purchase_frequency, &real);
    rt_html_kpi(r->b, "repeat_rate", "repeat rate (2+ purchase days)", s->repeat_rate, &pct);
    rt_html_kpi(r->b, "repeat_revenue_share", "revenue from repeat purchases",
                s->repeat_revenue_share, &pct);
    rt_html_kpi(r->b, "ltv_mean", label[2], s->ltv_mean, &r->money);
    rt_html_kpi(r->b, "ltv_median", label[3], s->ltv_median, &r->money);
    rt_html_kpis_close(r->b);
    rt_html_section_close(r->b);
    return RETAIN_OK;
}

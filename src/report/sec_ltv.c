/* sec_ltv.c - the distribution of LTV to date: the histogram of
 * retain_metrics_summary, bins of one round width and an open last bin. */
#include "report.h"

#include <stdio.h>
#include <stdint.h>

typedef struct bins {
    const retain_ltv_bin *bin;
    const rt_numfmt *money;
} bins;

static void bin_label(char *buf, size_t size, size_t i, const void *ctx)
{
    const bins *b = ctx;
    char lo[32];
    rt_num_format(lo, sizeof lo, (double)b->bin[i].lo, b->money, true);
    if (b->bin[i].hi == INT64_MAX)
        snprintf(buf, size, "%s+", lo);
    else
        snprintf(buf, size, "%s", lo);
}

int rt_sec_ltv(rt_report *r)
{
    const retain_metrics_summary *s = &r->summary;
    rt_html_section_open(r->b, "ltv", "LTV to date",
                         "Customers by their revenue so far (undiscounted). Each bar is the "
                         "number of customers whose LTV starts at its label; the last bar "
                         "holds everyone above the 99th percentile.");
    if (s->customers == 0) {
        rt_html_empty(r->b, "No customer has bought yet, so there is no LTV to show.");
        rt_html_section_close(r->b);
        return RETAIN_OK;
    }
    double v[RETAIN_LTV_BINS];
    for (size_t i = 0; i < RETAIN_LTV_BINS; i++)
        v[i] = (double)s->ltv_histogram[i].customers;
    bins ctx = { s->ltv_histogram, &r->money };
    rt_chart c = { "ltv", "Customers by LTV to date", RETAIN_LTV_BINS, bin_label, &ctx,
                   { RT_NUM_COUNT, 0 } };
    rt_svg_bars(r->b, &c, v);
    char a[32], m[32], p[32], x[32], line[200];
    rt_num_format(a, sizeof a, s->ltv_mean, &r->money, false);
    rt_num_format(m, sizeof m, s->ltv_median, &r->money, false);
    rt_num_format(p, sizeof p, s->ltv_p90, &r->money, false);
    rt_num_format(x, sizeof x, (double)s->ltv_max, &r->money, false);
    snprintf(line, sizeof line, "Mean %s, median %s, 90th percentile %s, highest %s %s.", a, m,
             p, x, r->o.currency);
    rt_html_note(r->b, line);
    rt_html_section_close(r->b);
    return RETAIN_OK;
}

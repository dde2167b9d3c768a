/*
 * sec_alive.c - P(alive): the BG/NBD model fitted on every order before
 * now, and the distribution of each customer's probability of still
 * being active, in ten bins of 10%.
 */
#include "report.h"
#include "core/alloc.h"

#include <stdio.h>

#define BINS 10

static void bin_label(char *buf, size_t size, size_t i, const void *ctx)
{
    (void)ctx;
    snprintf(buf, size, "%zu%%", i * 100 / BINS);
}

static int distribution(rt_report *r, const retain_model *m, const retain_rfm_data *v)
{
    double *p = rt_calloc(&r->e->alloc, v->n, sizeof *p);
    retain_diag dg;
    if (!p)
        return rt_nomem(r->e);
    if (retain_model_p_alive(p, m, v, &dg)) {
        rt_free(&r->e->alloc, p);
        return rt_report_model_error(r, &dg, "P(alive) could not be computed");
    }
    double bins[BINS] = { 0 }, alive = 0.0, lapsed = 0.0;
    for (size_t i = 0; i < v->n; i++) {
        int k = (int)(p[i] * BINS);
        bins[k < 0 ? 0 : k >= BINS ? BINS - 1 : k] += 1.0;
        alive += p[i];
        lapsed += p[i] < 0.3;
    }
    rt_free(&r->e->alloc, p);
    static const rt_numfmt count = { RT_NUM_COUNT, 0 }, pct = { RT_NUM_PCT, 0 };
    rt_html_kpis_open(r->b);
    rt_html_kpi(r->b, "alive_expected", "customers expected to be active", alive, &count);
    rt_html_kpi(r->b, "alive_mean", "mean P(alive)", alive / (double)v->n, &pct);
    rt_html_kpi(r->b, "alive_low", "customers below 30% (win-back)", lapsed, &count);
    rt_html_kpis_close(r->b);
    rt_chart c = { "alive", "Customers by P(alive), from 0% to 100% in steps of 10%", BINS,
                   bin_label, NULL, { RT_NUM_COUNT, 0 } };
    rt_svg_bars(r->b, &c, bins);
    return RETAIN_OK;
}

int rt_sec_alive(rt_report *r)
{
    rt_html_section_open(r->b, "alive", "P(alive)",
                         "The probability that each customer is still active, from the BG/NBD "
                         "model fitted on all orders before the report's time. Customers with "
                         "a low P(alive) are the ones a win-back journey is for.");
    retain_store_rfm *s = NULL;
    retain_rfm_data v;
    retain_model m;
    char why[400];
    int rc = r->hist.ncust ? rt_report_fit(r, r->o.now - 1, &s, &v, &m, why, sizeof why) : 0;
    if (!rc && s)
        rc = distribution(r, &m, &v);
    else if (!rc)
        rt_html_empty(r->b, r->hist.ncust ? why : "No customer has ordered yet.");
    retain_store_rfm_free(s);
    rt_html_section_close(r->b);
    return rc;
}

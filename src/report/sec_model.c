/*
 * sec_model.c - the BG/NBD model checked against a holdout period: fitted
 * on the orders of a calibration period, it predicts the repeat purchases
 * of the same customers in the holdout period that follows. The chart
 * tracks cumulative repeat purchases week by week, predicted from each
 * customer's first purchase day against actual, as in the CDNOW figure of
 * Fader, Hardie & Lee (2005).
 */
#include "report.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int rt_report_model_error(rt_report *r, const retain_diag *dg, const char *what)
{
    if (dg->code == RETAIN_ENOMEM)
        return rt_nomem(r->e);
    char why[sizeof dg->message + 128];
    snprintf(why, sizeof why, "%s: %s", what, dg->message);
    rt_html_empty(r->b, why);
    return RETAIN_OK;
}

int rt_report_fit(rt_report *r, int64_t cal_end, retain_store_rfm **s, retain_rfm_data *view,
                  retain_model *m, char *why, size_t why_size)
{
    int rc = retain_rfm_from_store(s, r->e, r->o.currency, cal_end, r->o.now - 1, r->o.unit);
    if (rc)
        return rc;
    retain_rfm_view(view, &(*s)->summary);
    retain_model_options mo = RETAIN_MODEL_OPTIONS_INIT;
    mo.allocator = r->e->alloc;
    retain_diag dg;
    memset(&dg, 0, sizeof dg);
    if (view->n == 0)
        snprintf(why, why_size, "No customer had ordered by then, so there is nothing to fit.");
    else if ((rc = retain_model_fit(m, RETAIN_MODEL_BGNBD, view, &mo, &dg)) == RETAIN_ENOMEM)
        rc = rt_nomem(r->e);
    else if (rc)
        snprintf(why, why_size, "The BG/NBD model could not be fitted: %s", dg.message);
    else
        return RETAIN_OK;
    retain_store_rfm_free(*s);
    *s = NULL;
    return rc == RETAIN_ENOMEM ? rc : RETAIN_OK;
}

/* The weekly tracking of the calibration customers (first purchase day on
 * or before cal_day), over the days d0 .. dn. */
typedef struct track {
    int64_t d0, dn, cal_day;
    size_t weeks;
    double *actual, *predicted; /* cumulative at the end of each week */
    double *mem;                /* what holds them: free with rt_free */
} track;

static void week_label(char *buf, size_t size, size_t i, const void *ctx)
{
    (void)ctx;
    snprintf(buf, size, "week %zu", i + 1);
}

/* Customers by first purchase day (offset from d0) and their repeat
 * purchase days by week, from the store's orders before now. */
static void count_days(const rt_report *r, track *t, double *first)
{
    const rt_hist *h = &r->hist;
    for (size_t c = 0; c < h->ncust; c++) {
        int64_t day0 = rt_day_of(h->p[h->off[c]].at), prev = day0;
        if (day0 > t->cal_day)
            continue;
        first[day0 - t->d0] += 1.0;
        for (size_t i = h->off[c]; i < h->off[c + 1] && h->p[i].at < r->o.now; i++) {
            int64_t d = rt_day_of(h->p[i].at);
            if (d != prev)
                t->actual[(d - t->d0) / 7] += 1.0;
            prev = d;
        }
    }
}

/* Predicted: sum over first days f of customers(f) * E[X(L - f)], L the
 * week's last day; E[X(t)] is evaluated once per whole day t. */
static int tracking(rt_report *r, const retain_model *m, track *t, bool *ok)
{
    *ok = false;
    size_t days = (size_t)(t->dn - t->d0) + 1, ncal = (size_t)(t->cal_day - t->d0) + 1;
    const retain_allocator *a = &r->e->alloc;
    double *buf = rt_calloc(a, 2 * days + ncal + 2 * t->weeks, sizeof *buf);
    if (!buf)
        return rt_nomem(r->e);
    t->mem = buf;
    double *ex = buf, *tt = buf + days, *first = tt + days;
    t->actual = first + ncal;
    t->predicted = t->actual + t->weeks;
    for (size_t d = 0; d < days; d++)
        tt[d] = (double)d;
    retain_diag dg;
    if (retain_model_expected(ex, m, tt, days, RETAIN_UNIT_DAY, &dg))
        return rt_report_model_error(r, &dg, "The weekly tracking could not be computed");
    count_days(r, t, first);
    for (size_t k = 0; k < t->weeks; k++) {
        int64_t last = t->d0 + 7 * (int64_t)k + 6;
        size_t end = (size_t)((last < t->dn ? last : t->dn) - t->d0); /* offset of L */
        double sum = 0.0;
        for (size_t f = 0; f < ncal && f <= end; f++)
            sum += first[f] * ex[end - f];
        t->predicted[k] = sum;
        if (k > 0)
            t->actual[k] += t->actual[k - 1];
    }
    *ok = true;
    return RETAIN_OK;
}

static void fit_table(rt_report *r, const retain_model *m, const retain_rfm_data *v,
                      const retain_store_rfm *s, const track *t, double predicted)
{
    char cells[8][64];
    rt_html_date(cells[0], sizeof cells[0], t->d0 * RT_MS_PER_DAY);
    rt_html_date(cells[1], sizeof cells[1], (t->cal_day + 1) * RT_MS_PER_DAY);
    rt_html_date(cells[6], sizeof cells[6], s->calibration_end);
    rt_html_date(cells[7], sizeof cells[7], s->holdout_end);
    double x = 0.0, actual = 0.0;
    for (size_t i = 0; i < v->n; i++) {
        x += v->x[i];
        actual += s->summary.holdout_x[i];
    }
    static const rt_numfmt count = { RT_NUM_COUNT, 0 }, real = { RT_NUM_REAL, 0 };
    static const char *const head[] = { "", "calibration", "holdout" };
    rt_html_table_open(r->b, "holdout", head, 3);
    rt_html_table_row(r->b, (const char *const[]){ "from", cells[0], cells[1] }, 3);
    rt_html_table_row(r->b, (const char *const[]){ "to", cells[6], cells[7] }, 3);
    rt_num_format(cells[2], sizeof cells[2], x, &count, false);
    rt_num_format(cells[3], sizeof cells[3], actual, &count, false);
    rt_html_table_row(r->b, (const char *const[]){ "actual repeat purchases", cells[2], cells[3] },
                      3);
    rt_num_format(cells[4], sizeof cells[4], predicted, &count, false);
    rt_html_table_row(r->b, (const char *const[]){ "predicted repeat purchases", "", cells[4] },
                      3);
    snprintf(cells[5], sizeof cells[5], "%+.1f%%",
             actual > 0 ? 100.0 * (predicted - actual) / actual : NAN);
    rt_html_table_row(r->b, (const char *const[]){ "prediction error", "", cells[5] }, 3);
    rt_html_table_close(r->b);
    rt_buf_printf(r->b, "<p data-holdout-predicted=\"%.17g\" data-holdout-actual=\"%.17g\">", predicted,
                  actual);
    char p[4][32], line[240];
    for (int k = 0; k < 4; k++)
        rt_num_format(p[k], sizeof p[k], m->param.v[k], &real, false);
    snprintf(line, sizeof line, "BG/NBD on %.0f customers, per %s: r = %s, alpha = %s, a = %s, "
             "b = %s; log-likelihood %.1f%s.", m->weight, r->o.unit == RETAIN_UNIT_DAY ? "day" : "week",
             p[0], p[1], p[2], p[3], m->loglik, m->converged ? "" : " (the fit did not converge)");
    rt_html_esc(r->b, line);
    rt_buf_puts(r->b, "</p>\n");
}

static int holdout(rt_report *r, int64_t first_day)
{
    int64_t dn = rt_day_of(r->o.now - 1), span = dn - first_day + 1;
    int64_t hold = r->o.holdout_days ? r->o.holdout_days : span / 2 / 7 * 7;
    char why[400];
    if (hold < 7 || hold >= span) {
        snprintf(why, sizeof why, "The history is %lld days long: too short for a holdout of "
                 "%lld days (at least a week, and some history before it).", (long long)span,
                 (long long)hold);
        rt_html_empty(r->b, why);
        return RETAIN_OK;
    }
    retain_store_rfm *s;
    retain_rfm_data v;
    retain_model m;
    int64_t cal_end = r->o.now - 1 - hold * RT_MS_PER_DAY;
    int rc = rt_report_fit(r, cal_end, &s, &v, &m, why, sizeof why);
    if (rc || !s) {
        if (!rc)
            rt_html_empty(r->b, why);
        return rc;
    }
    double *y = rt_calloc(&r->e->alloc, v.n, sizeof *y);
    retain_diag dg;
    track t = { first_day, dn, rt_day_of(cal_end), (size_t)((dn - first_day) / 7 + 1), 0, 0, 0 };
    bool ok = false;
    if (!y)
        rc = rt_nomem(r->e);
    else if (retain_model_conditional_expected(y, &m, &v, s->summary.holdout_length, r->o.unit, &dg))
        rc = rt_report_model_error(r, &dg, "The holdout period could not be predicted");
    else
        rc = tracking(r, &m, &t, &ok);
    if (rc == RETAIN_OK && ok) {
        double predicted = 0.0;
        for (size_t i = 0; i < v.n; i++)
            predicted += y[i];
        rt_series series[] = { { "actual", t.actual }, { "predicted by BG/NBD", t.predicted } };
        rt_chart c = { "holdout", "Cumulative repeat purchases per week", t.weeks, week_label,
                       NULL, { RT_NUM_COUNT, 0 } };
        rt_svg_lines(r->b, &c, series, 2, (double)(t.cal_day - t.d0 + 1) / 7.0 - 1.0,
                     "end of calibration");
        fit_table(r, &m, &v, s, &t, predicted);
    }
    rt_free(&r->e->alloc, t.mem);
    rt_free(&r->e->alloc, y);
    retain_store_rfm_free(s);
    return rc;
}

int rt_sec_model(rt_report *r)
{
    rt_html_section_open(r->b, "model", "BG/NBD fit against a holdout period",
                         "The model learns from the calibration period only and predicts the "
                         "holdout period that followed. Predicted and actual lines that stay "
                         "together mean its forecasts (P(alive), CLV) can be trusted.");
    const rt_hist *h = &r->hist;
    int64_t first_day = INT64_MAX;
    for (size_t c = 0; c < h->ncust; c++) {
        int64_t d = rt_day_of(h->p[h->off[c]].at);
        first_day = d < first_day ? d : first_day;
    }
    int rc = RETAIN_OK;
    if (h->ncust == 0 || first_day > rt_day_of(r->o.now - 1))
        rt_html_empty(r->b, "No orders before the report's time: there is nothing to fit.");
    else
        rc = holdout(r, first_day);
    rt_html_section_close(r->b);
    return rc;
}

/* sec_cohorts.c - the acquisition-cohort retention heatmap
 * (retain_cohort_retention): one row per cohort, one column per period
 * since acquisition. */
#include "report.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>

/* A page stays readable with this many rows and columns; older cohorts
 * and later columns are left out (and the page says so). */
#define MAX_ROWS 36
#define MAX_COLS 36

typedef struct rows {
    const retain_cohorts *c;
    size_t first;
} rows;

static void row_label(char *buf, size_t size, size_t i, const void *ctx)
{
    const rows *r = ctx;
    rt_period_name_at(buf, size, r->c->period, r->c->cohorts[r->first + i].start);
}

static void col_label(char *buf, size_t size, size_t k, const void *ctx)
{
    (void)ctx;
    snprintf(buf, size, "+%zu", k);
}

/* The figures behind the heatmap at a few offsets, newest cohort last. */
static void table(rt_report *r, const retain_cohorts *c, size_t first, size_t cols)
{
    static const size_t at[] = { 1, 3, 6, 12 };
    static const rt_numfmt count = { RT_NUM_COUNT, 0 }, pct = { RT_NUM_PCT, 0 };
    char head_s[6][24], cell_s[6][32];
    const char *head[6], *cell[6];
    size_t n = 0;
    head[n++] = "cohort";
    head[n++] = "size";
    for (size_t i = 0; i < sizeof at / sizeof at[0] && at[i] < cols; i++) {
        snprintf(head_s[n], sizeof head_s[n], "+%zu", at[i]);
        head[n] = head_s[n];
        n++;
    }
    rt_html_table_open(r->b, "cohorts", head, n);
    for (size_t i = first; i < c->count; i++) {
        const retain_cohort *h = &c->cohorts[i];
        rt_period_name_at(cell_s[0], sizeof cell_s[0], c->period, h->start);
        rt_num_format(cell_s[1], sizeof cell_s[1], (double)h->customers, &count, false);
        for (size_t k = 2; k < n; k++)
            rt_num_format(cell_s[k], sizeof cell_s[k],
                          at[k - 2] < h->periods ? h->retention[at[k - 2]] : NAN, &pct, false);
        for (size_t k = 0; k < n; k++)
            cell[k] = cell_s[k];
        rt_html_table_row(r->b, cell, n);
    }
    rt_html_table_close(r->b);
}

static void heatmap(rt_report *r, const retain_cohorts *c)
{
    size_t first = c->count > MAX_ROWS ? c->count - MAX_ROWS : 0, n = c->count - first, cols = 0;
    for (size_t i = first; i < c->count; i++)
        cols = c->cohorts[i].periods > cols ? c->cohorts[i].periods : cols;
    if (cols > MAX_COLS)
        cols = MAX_COLS;
    double *cells = rt_calloc(&r->e->alloc, n * cols, sizeof *cells);
    if (!cells) {
        r->b->failed = true; /* reported as out of memory when the page is finished */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const retain_cohort *h = &c->cohorts[first + i];
        for (size_t k = 0; k < cols; k++)
            cells[i * cols + k] = k < h->periods ? h->retention[k] : NAN;
    }
    rows ctx = { c, first };
    char title[96];
    snprintf(title, sizeof title, "Share of each %s's new customers who bought in later %ss",
             retain_period_name(c->period), retain_period_name(c->period));
    rt_chart ch = { "cohorts", title, n, row_label, &ctx, { RT_NUM_PCT, 0 } };
    rt_svg_heat(r->b, &ch, cols, cells, col_label);
    rt_free(&r->e->alloc, cells);
    table(r, c, first, cols);
    char note[200];
    snprintf(note, sizeof note, "%zu cohorts%s; column +k is the k-th %s after the one of the "
             "first order.%s", c->count, first ? " (the latest are shown)" : "",
             retain_period_name(c->period),
             c->last_partial ? " The last column of each row is still running." : "");
    rt_html_note(r->b, note);
}

int rt_sec_cohorts(rt_report *r)
{
    retain_cohorts *c = NULL;
    int rc = retain_cohort_retention(&c, r->e, r->o.currency, r->o.period, r->o.now);
    if (rc)
        return rc;
    rt_html_section_open(r->b, "cohorts", "Acquisition cohorts",
                         "Customers grouped by the period of their first order. A cell is the "
                         "share of the cohort that ordered again that many periods later.");
    if (c->count == 0)
        rt_html_empty(r->b, "No cohort yet: no customer has ordered.");
    else
        heatmap(r, c);
    rt_html_section_close(r->b);
    retain_cohorts_free(c);
    return RETAIN_OK;
}

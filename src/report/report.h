/*
 * report.h (internal) - the HTML report (include/retain/report.h): text
 * escaping, number formats and page layout (html.c), SVG chart primitives
 * (svg.c), and the sections, each of which reads one part of the metrics,
 * model or journey subsystems and writes its <section> (sec_*.c).
 */
#ifndef RT_REPORT_H
#define RT_REPORT_H

#include "core/buf.h"
#include "core/engine.h"
#include "metrics/metrics.h"
#include "retain/report.h"

#include <stdbool.h>

/* ---- numbers (html.c) ---- */

typedef enum rt_numkind {
    RT_NUM_COUNT,  /* a whole number: 12,345 */
    RT_NUM_PCT,    /* a share 0..1 shown as 12.3% */
    RT_NUM_MONEY,  /* minor units shown in major units: 1,234.56 */
    RT_NUM_REAL    /* 3 significant digits */
} rt_numkind;

typedef struct rt_numfmt {
    rt_numkind kind;
    int digits;    /* RT_NUM_MONEY: the currency's minor digits */
} rt_numfmt;

/* v formatted into buf; `compact` abbreviates thousands (12.3k, 4.5M) for
 * axis labels. NaN prints as an en dash. */
void rt_num_format(char *buf, size_t size, double v, const rt_numfmt *f, bool compact);

/* ---- HTML (html.c) ---- */

/* Append s with & < > " ' escaped: safe in text and in quoted attributes. */
void rt_html_esc(rt_buf *b, const char *s);
/* The UTC date of ms as "2026-01-31". */
void rt_html_date(char *buf, size_t size, int64_t ms);

void rt_html_page_open(rt_buf *b, const char *title, const char *subtitle);
void rt_html_page_close(rt_buf *b);
/* <section id=ID><h2>TITLE</h2><p class=intro>INTRO</p> (intro may be NULL). */
void rt_html_section_open(rt_buf *b, const char *id, const char *title, const char *intro);
void rt_html_section_close(rt_buf *b);
/* What a section shows instead of a chart when there is nothing to chart. */
void rt_html_empty(rt_buf *b, const char *why);
/* A paragraph of plain text (escaped). */
void rt_html_note(rt_buf *b, const char *text);

/* A row of headline figures: open, one figure each (data-metric NAME and
 * data-value V, shown with f), close. */
void rt_html_kpis_open(rt_buf *b);
void rt_html_kpi(rt_buf *b, const char *name, const char *label, double v, const rt_numfmt *f);
void rt_html_kpis_close(rt_buf *b);

/* A table: the head row, then rows of already formatted cells (escaped
 * here); the first column is a label, the others are right-aligned. */
void rt_html_table_open(rt_buf *b, const char *name, const char *const *head, size_t n);
void rt_html_table_row(rt_buf *b, const char *const *cells, size_t n);
void rt_html_table_close(rt_buf *b);

/* ---- SVG charts (svg.c) ---- */

/* Writes the label of category i into buf. */
typedef void (*rt_label_fn)(char *buf, size_t size, size_t i, const void *ctx);

typedef struct rt_chart {
    const char *name;     /* data-chart attribute: what the test and CSS find */
    const char *title;    /* accessible name of the figure */
    size_t n;             /* categories: bars, x positions, or heatmap rows */
    rt_label_fn label;    /* category labels */
    const void *ctx;      /* for label */
    rt_numfmt y;          /* how values are shown */
} rt_chart;

/* One line of a line chart: n values (NaN: no point). */
typedef struct rt_series {
    const char *name;
    const double *y;
} rt_series;

/* Vertical bars, one per category. */
void rt_svg_bars(rt_buf *b, const rt_chart *c, const double *v);
/* Horizontal bars with their labels and values: segments, funnels. */
void rt_svg_hbars(rt_buf *b, const rt_chart *c, const double *v);
/* Lines over the categories, with a legend; `mark` >= 0 draws a vertical
 * rule before category `mark` labelled mark_label. */
void rt_svg_lines(rt_buf *b, const rt_chart *c, const rt_series *s, size_t ns, double mark,
                  const char *mark_label);
/* A heatmap of c->n rows by `cols` columns; cells[r * cols + k], NaN for
 * no cell; values are shares 0..1 (c->y is used for their labels). */
void rt_svg_heat(rt_buf *b, const rt_chart *c, size_t cols, const double *cells,
                 rt_label_fn col_label);

/* ---- sections (sec_*.c) ---- */

typedef struct rt_report {
    retain_engine *e;
    rt_buf *b;
    retain_report_options o;  /* the caller's, with the defaults filled in */
    rt_numfmt money;          /* the currency's minor units */
    retain_metrics_summary summary;
    rt_hist hist;             /* the counted orders placed by now, by customer */
} rt_report;

/* Each writes one section. A failure to read is returned (the page is
 * abandoned); data too thin to chart is said in the page instead. */
int rt_sec_overview(rt_report *r);
int rt_sec_cohorts(rt_report *r);
int rt_sec_trend(rt_report *r);
int rt_sec_ltv(rt_report *r);
int rt_sec_model(rt_report *r);
int rt_sec_alive(rt_report *r);
int rt_sec_rfm(rt_report *r);
int rt_sec_journeys(rt_report *r);
int rt_sec_audit(rt_report *r);

/*
 * The BG/NBD model of the orders before `now`, calibrated on those up to
 * cal_end (holdout_x counts the later ones). Returns a read failure; when
 * the data cannot be fitted, *s is NULL and `why` says so in a sentence.
 * Free *s with retain_store_rfm_free().
 */
int rt_report_fit(rt_report *r, int64_t cal_end, retain_store_rfm **s, retain_rfm_data *view,
                  retain_model *m, char *why, size_t why_size);

/* A model call that filled dg failed: out of memory is returned as such;
 * anything else (a prediction the data cannot support) is said in the
 * page, `what` and the diagnostic's sentence, and RETAIN_OK returned. */
int rt_report_model_error(rt_report *r, const retain_diag *dg, const char *what);

/* A period's name from its start: "2026-01" (month), "2026 Q1", "2026",
 * or the date of its first day. */
void rt_period_name_at(char *buf, size_t size, retain_period p, int64_t start);
/* The label of period start + i (ctx: an rt_period_labels). */
typedef struct rt_period_labels {
    retain_period period;
    int64_t first;            /* index of the first period (metrics/period.c) */
} rt_period_labels;
void rt_period_label(char *buf, size_t size, size_t i, const void *ctx);

#endif

/*
 * sec_journeys.c - one funnel per journey: instances that entered, how
 * many reached each step (in the order of the journey's definition), and
 * how many reached the goal within its window; then conversion by variant
 * and treatment against holdout (retain_journey_conversion).
 */
#include "report.h"
#include "core/alloc.h"
#include "journey/journey.h"
#include "store/metrics_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW (30 * RT_MS_PER_DAY)

typedef struct step_row {
    char *journey, *step;
    int64_t instances;
    long ord;      /* position in the definition; after them in log order */
} step_row;

typedef struct steps {
    retain_engine *e;
    step_row *rows;
    size_t n, cap;
} steps;

static int add_step(void *ctx, const char *journey, const char *step, int64_t instances)
{
    steps *s = ctx;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 32;
        step_row *r = rt_realloc(&s->e->alloc, s->rows, cap * sizeof *r);
        if (!r)
            return rt_nomem(s->e);
        s->rows = r;
        s->cap = cap;
    }
    char *j = rt_strdup(&s->e->alloc, journey ? journey : "");
    char *st = rt_strdup(&s->e->alloc, step ? step : "");
    if (!j || !st) {
        rt_free(&s->e->alloc, j);
        rt_free(&s->e->alloc, st);
        return rt_nomem(s->e);
    }
    s->rows[s->n++] = (step_row){ j, st, instances, 0 };
    return RETAIN_OK;
}

static void steps_free(steps *s)
{
    for (size_t i = 0; i < s->n; i++) {
        rt_free(&s->e->alloc, s->rows[i].journey);
        rt_free(&s->e->alloc, s->rows[i].step);
    }
    rt_free(&s->e->alloc, s->rows);
}

static int by_ord(const void *a, const void *b)
{
    const step_row *x = a, *y = b;
    return (x->ord > y->ord) - (x->ord < y->ord);
}

typedef struct funnel {
    const char **label;
} funnel;

static void funnel_label(char *buf, size_t size, size_t i, const void *ctx)
{
    rt_copy(buf, size, ((const funnel *)ctx)->label[i]);
}

static void variants(rt_report *r, const retain_conversion *c)
{
    static const char *const head[] = { "variant", "entered", "converted", "pending", "rate" };
    static const rt_numfmt count = { RT_NUM_COUNT, 0 }, pct = { RT_NUM_PCT, 0 };
    rt_html_table_open(r->b, "variants", head, 5);
    for (size_t i = 0; i < c->count; i++) {
        const retain_conversion_row *w = &c->rows[i];
        char cell[4][32];
        rt_num_format(cell[0], sizeof cell[0], (double)w->entered, &count, false);
        rt_num_format(cell[1], sizeof cell[1], (double)w->converted, &count, false);
        rt_num_format(cell[2], sizeof cell[2], (double)w->pending, &count, false);
        rt_num_format(cell[3], sizeof cell[3], w->rate, &pct, false);
        const char *row[] = { w->variant ? w->variant : "(no split)", cell[0], cell[1], cell[2],
                              cell[3] };
        rt_html_table_row(r->b, row, 5);
    }
    rt_html_table_close(r->b);
    for (size_t i = 0; i < c->lift_count; i++) {
        const retain_conversion_lift *l = &c->lifts[i];
        if (l->holdout_decided == 0 || l->treatment_decided == 0)
            continue;
        char t[32], h[32], line[300];
        rt_num_format(t, sizeof t, l->treatment_rate, &pct, false);
        rt_num_format(h, sizeof h, l->holdout_rate, &pct, false);
        snprintf(line, sizeof line, "Treatment converted %s of %lld, the holdout group %s of "
                 "%lld: a lift of %+.1f points (z = %.2f, two-sided p = %.3g).", t,
                 (long long)l->treatment_decided, h, (long long)l->holdout_decided,
                 100.0 * l->lift, l->z, l->p_value);
        rt_buf_printf(r->b, "<p data-lift=\"%.17g\">", l->lift);
        rt_html_esc(r->b, line);
        rt_buf_puts(r->b, "</p>\n");
    }
}

/* The funnel of one journey: its step rows are s[0 .. n). */
static int journey(rt_report *r, const char *name, step_row *s, size_t n, size_t index)
{
    const jr_journey *j = jr_current(r->e, name);
    int64_t window = r->o.conversion_window ? r->o.conversion_window
                   : j && j->goal_within_ms > 0 ? j->goal_within_ms : DEFAULT_WINDOW;
    retain_conversion *c = NULL;
    int rc = retain_journey_conversion(&c, r->e, name, INT64_MIN, window, r->o.now);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int at = j ? jr_step_index(j, s[i].step) : -1;
        s[i].ord = at >= 0 ? at : 100000 + (long)i;
    }
    qsort(s, n, sizeof *s, by_ord);
    const char **label = rt_calloc(&r->e->alloc, n + 2, sizeof *label);
    double *v = rt_calloc(&r->e->alloc, n + 2, sizeof *v);
    if (!label || !v) {
        rc = rt_nomem(r->e);
    } else {
        char goal[128];
        snprintf(goal, sizeof goal, "goal: %s", j && j->goal_event ? j->goal_event : "none");
        label[0] = "entered";
        label[n + 1] = goal;
        for (size_t i = 0; i < c->count; i++) {
            v[0] += (double)c->rows[i].entered;
            v[n + 1] += (double)c->rows[i].converted;
        }
        for (size_t i = 0; i < n; i++) {
            label[i + 1] = s[i].step;
            v[i + 1] = (double)s[i].instances;
        }
        rt_buf_puts(r->b, "<h3>");
        rt_html_esc(r->b, name);
        rt_buf_puts(r->b, "</h3>\n");
        char chart[32], title[160];
        snprintf(chart, sizeof chart, "funnel-%zu", index);
        snprintf(title, sizeof title, "Instances entered, reaching each step, and converted "
                 "within %lld days", (long long)(window / RT_MS_PER_DAY));
        funnel ctx = { label };
        rt_chart ch = { chart, title, n + 2, funnel_label, &ctx, { RT_NUM_COUNT, 0 } };
        rt_svg_hbars(r->b, &ch, v);
        variants(r, c);
    }
    rt_free(&r->e->alloc, label);
    rt_free(&r->e->alloc, v);
    retain_conversion_free(c);
    return rc;
}

int rt_sec_journeys(rt_report *r)
{
    steps s = { r->e, NULL, 0, 0 };
    int rc = jr_ensure_loaded(r->e);
    if (!rc)
        rc = rt_ms_journey_steps(r->e, INT64_MIN, r->o.now, add_step, &s);
    if (rc) {
        steps_free(&s);
        return rc;
    }
    rt_html_section_open(r->b, "journeys", "Journey funnels",
                         "For each journey: how many instances entered, reached each step and "
                         "reached the goal in time, and the variants of its split against the "
                         "holdout group that got no messages.");
    if (s.n == 0)
        rt_html_empty(r->b, "No journey has had anyone enter yet.");
    size_t index = 0;
    for (size_t i = 0; i < s.n && !rc; index++) {
        size_t k = i;
        while (k < s.n && !strcmp(s.rows[k].journey, s.rows[i].journey))
            k++;
        rc = journey(r, s.rows[i].journey, s.rows + i, k - i, index);
        i = k;
    }
    rt_html_section_close(r->b);
    steps_free(&s);
    return rc;
}

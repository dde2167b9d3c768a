/*
 * feedback_metrics.c - NPS and average score of feedback answers per
 * calendar period, per product (SKU of the order lines) and per journey
 * variant. The store hands answers ordered by group; consecutive answers
 * of one group are folded into one row here.
 */
#include "metrics.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/check.h"
#include "store/feedback_store.h"
#include "store/metrics_store.h"
#include "retain/feedback.h"

#include <math.h>
#include <string.h>

typedef struct fold {
    retain_engine *e;
    rt_arena *ar;
    retain_feedback_by by;
    retain_period period;
    retain_feedback_row total;
    int64_t total_sum;
    retain_feedback_row *rows;
    int64_t *sums;
    int64_t *index; /* period index of each row (BY_PERIOD) */
    size_t n, cap;
} fold;

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void count(retain_feedback_row *r, int64_t *sum, int score, int scale_min)
{
    r->responses++;
    *sum += score;
    if (scale_min == 0) {
        r->nps_responses++;
        if (score >= 9) r->promoters++;
        else if (score >= 7) r->passives++;
        else r->detractors++;
    }
}

static void finish(retain_feedback_row *r, int64_t sum)
{
    r->average = r->responses ? (double)sum / (double)r->responses : NAN;
    r->nps = r->nps_responses
                 ? 100.0 * (double)(r->promoters - r->detractors) / (double)r->nps_responses
                 : NAN;
}

static int add(void *ctx, const char *k1, const char *k2, int64_t at, int score, int scale_min)
{
    fold *f = ctx;
    int64_t idx = f->by == RETAIN_FEEDBACK_BY_PERIOD ? rt_period_index(f->period, at) : 0;
    retain_feedback_row *last = f->n ? &f->rows[f->n - 1] : NULL;
    bool fresh = !last;
    if (last) {
        switch (f->by) {
        case RETAIN_FEEDBACK_BY_PERIOD: fresh = f->index[f->n - 1] != idx; break;
        case RETAIN_FEEDBACK_BY_PRODUCT: fresh = !same(last->sku, k1); break;
        default: fresh = !same(last->journey, k1) || !same(last->variant, k2); break;
        }
    }
    if (fresh) {
        if (f->n == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 16;
            retain_feedback_row *r = rt_realloc(&f->e->alloc, f->rows, cap * sizeof *r);
            if (r)
                f->rows = r;
            int64_t *s = r ? rt_realloc(&f->e->alloc, f->sums, cap * sizeof *s) : NULL;
            if (s)
                f->sums = s;
            int64_t *x = s ? rt_realloc(&f->e->alloc, f->index, cap * sizeof *x) : NULL;
            if (!x)
                return rt_nomem(f->e);
            f->index = x;
            f->cap = cap;
        }
        retain_feedback_row *r = &f->rows[f->n];
        memset(r, 0, sizeof *r);
        bool ok = true;
        if (f->by == RETAIN_FEEDBACK_BY_PERIOD) {
            r->start = rt_period_start(f->period, idx);
            r->end = rt_period_start(f->period, idx + 1);
        } else if (f->by == RETAIN_FEEDBACK_BY_PRODUCT) {
            r->sku = rt_arena_str(f->ar, k1, &ok);
        } else {
            r->journey = rt_arena_str(f->ar, k1, &ok);
            r->variant = rt_arena_str(f->ar, k2, &ok);
        }
        if (!ok)
            return rt_nomem(f->e);
        f->sums[f->n] = 0;
        f->index[f->n] = idx;
        f->n++;
    }
    count(&f->rows[f->n - 1], &f->sums[f->n - 1], score, scale_min);
    return RETAIN_OK;
}

/* Each answer once for the total, whatever the grouping (an order of
 * three SKUs is one answer). */
static int add_total(void *ctx, const char *k1, const char *k2, int64_t at, int score,
                     int scale_min)
{
    (void)k1, (void)k2, (void)at;
    fold *f = ctx;
    count(&f->total, &f->total_sum, score, scale_min);
    return RETAIN_OK;
}

static int build(retain_feedback_stats **out, retain_engine *e, retain_feedback_by by,
                 retain_period period, int64_t since, int64_t as_of)
{
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    if (by < RETAIN_FEEDBACK_BY_PERIOD || by > RETAIN_FEEDBACK_BY_VARIANT)
        return rt_error(e, RETAIN_EINVAL,
                        "by is %d; use RETAIN_FEEDBACK_BY_PERIOD, _BY_PRODUCT or _BY_VARIANT",
                        (int)by);
    if ((by == RETAIN_FEEDBACK_BY_PERIOD && (rc = rt_mcheck_period(e, period))) ||
        (rc = rt_mcheck_as_of(e, "as_of", as_of)) ||
        (since != INT64_MIN && (rc = rt_mcheck_as_of(e, "since", since))))
        return rc;
    retain_feedback_stats *res = rt_object_new(&e->alloc, sizeof *res);
    if (!res)
        return rt_nomem(e);
    res->by = by;
    res->period = by == RETAIN_FEEDBACK_BY_PERIOD ? period : RETAIN_PERIOD_NONE;
    res->since = since;
    res->as_of = as_of;
    fold f = { e, rt_object_arena(res), by, period, { 0 }, 0, NULL, NULL, NULL, 0, 0 };
    bool began;
    if ((rc = rt_ms_read_begin(e, &began)) == RETAIN_OK) {
        rc = fs_each(e, (int)by, since, as_of, add, &f);
        if (rc == RETAIN_OK)
            rc = fs_each(e, RETAIN_FEEDBACK_BY_PERIOD, since, as_of, add_total, &f);
        rc = rt_ms_read_end(e, began, rc);
    }
    if (rc == RETAIN_OK && f.n) {
        retain_feedback_row *rows = rt_arena_alloc(f.ar, f.n * sizeof *rows);
        if (!rows) {
            rc = rt_nomem(e);
        } else {
            for (size_t i = 0; i < f.n; i++) {
                rows[i] = f.rows[i];
                finish(&rows[i], f.sums[i]);
            }
            res->rows = rows;
            res->count = f.n;
        }
    }
    finish(&f.total, f.total_sum);
    res->total = f.total;
    rt_free(&e->alloc, f.rows);
    rt_free(&e->alloc, f.sums);
    rt_free(&e->alloc, f.index);
    if (rc) {
        rt_object_free(res);
        return rc;
    }
    *out = res;
    return RETAIN_OK;
}

int retain_feedback_metrics(retain_feedback_stats **out, retain_engine *e, retain_feedback_by by,
                            retain_period period, int64_t since, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    return build(out, e, by, period, since, as_of);
}

void retain_feedback_stats_free(retain_feedback_stats *s)
{
    rt_object_free(s);
}

static void row_json(rt_buf *b, const retain_feedback_row *r)
{
    rt_buf_printf(b, "\"responses\":%lld", (long long)r->responses);
    rt_mjson_key(b, "average", false);
    rt_mjson_num(b, r->average);
    rt_buf_printf(b, ",\"nps_responses\":%lld,\"promoters\":%lld,\"passives\":%lld,"
                     "\"detractors\":%lld",
                  (long long)r->nps_responses, (long long)r->promoters, (long long)r->passives,
                  (long long)r->detractors);
    rt_mjson_key(b, "nps", false);
    rt_mjson_num(b, r->nps);
}

int retain_feedback_metrics_json(char **out, retain_engine *e, retain_feedback_by by,
                                 retain_period period, int64_t since, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    retain_feedback_stats *s = NULL;
    if ((rc = build(&s, e, by, period, since, as_of)))
        return rc;
    static const char *const names[] = { "", "period", "product", "variant" };
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_printf(&b, "{\"by\":\"%s\"", names[by]);
    if (by == RETAIN_FEEDBACK_BY_PERIOD)
        rt_buf_printf(&b, ",\"period\":\"%s\"", retain_period_name(period));
    rt_buf_puts(&b, ",\"since\":");
    if (since == INT64_MIN)
        rt_buf_puts(&b, "null");
    else
        rt_buf_printf(&b, "%lld", (long long)since);
    rt_buf_printf(&b, ",\"as_of\":%lld,\"total\":{", (long long)as_of);
    row_json(&b, &s->total);
    rt_buf_puts(&b, "},\"rows\":[");
    for (size_t i = 0; i < s->count; i++) {
        const retain_feedback_row *r = &s->rows[i];
        rt_buf_puts(&b, i ? ",{" : "{");
        if (by == RETAIN_FEEDBACK_BY_PERIOD) {
            rt_buf_printf(&b, "\"start\":%lld,\"end\":%lld,\"date\":", (long long)r->start,
                          (long long)r->end);
            rt_mjson_date(&b, r->start);
        } else if (by == RETAIN_FEEDBACK_BY_PRODUCT) {
            rt_buf_puts(&b, "\"sku\":");
            rt_buf_json_str(&b, r->sku);
        } else {
            rt_buf_puts(&b, "\"journey\":");
            rt_buf_json_str(&b, r->journey);
            rt_buf_puts(&b, ",\"variant\":");
            rt_buf_json_str(&b, r->variant);
        }
        rt_buf_putc(&b, ',');
        row_json(&b, r);
        rt_buf_putc(&b, '}');
    }
    rt_buf_puts(&b, "]}");
    retain_feedback_stats_free(s);
    return rt_mjson_finish(e, &b, out);
}

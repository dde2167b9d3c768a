/*
 * conversion.c - journey conversion by variant, and each journey's
 * treatment against its holdout group with a two-proportion z-test.
 */
#include "metrics.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/check.h"
#include "store/metrics_store.h"

#include <math.h>
#include <string.h>

#define HOLDOUT "holdout"

/* Rows as they come from the store, before they move into the arena. */
typedef struct collect {
    retain_engine *e;
    rt_arena *ar;
    retain_conversion_row *rows;
    size_t n, cap;
    size_t journeys;
} collect;

static double ratio(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : NAN;
}

static int add_row(void *ctx, const char *journey, const char *variant, int64_t entered,
                   int64_t converted, int64_t pending)
{
    collect *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        retain_conversion_row *r = rt_realloc(&c->e->alloc, c->rows, cap * sizeof *r);
        if (!r)
            return rt_nomem(c->e);
        c->rows = r;
        c->cap = cap;
    }
    bool ok = true;
    retain_conversion_row *r = &c->rows[c->n];
    r->journey = rt_arena_str(c->ar, journey ? journey : "", &ok);
    r->variant = rt_arena_str(c->ar, variant, &ok);
    if (!ok)
        return rt_nomem(c->e);
    /* rows come ordered by journey: count a journey where its name changes */
    if (c->n == 0 || strcmp(c->rows[c->n - 1].journey, r->journey) != 0)
        c->journeys++;
    r->holdout = variant && strcmp(variant, HOLDOUT) == 0;
    r->entered = entered;
    r->converted = converted;
    r->pending = pending;
    r->rate = ratio(converted, entered - pending);
    c->n++;
    return RETAIN_OK;
}

/* Pooled two-proportion z-test: z and its two-sided p-value. */
static void z_test(retain_conversion_lift *l)
{
    double n1 = (double)l->treatment_decided, n2 = (double)l->holdout_decided;
    double pool = (double)(l->treatment_converted + l->holdout_converted) / (n1 + n2);
    double se = sqrt(pool * (1.0 - pool) * (1.0 / n1 + 1.0 / n2));
    if (!(n1 > 0 && n2 > 0 && se > 0)) {
        l->z = NAN;
        l->p_value = NAN;
        return;
    }
    l->z = (l->treatment_rate - l->holdout_rate) / se;
    l->p_value = erfc(fabs(l->z) / sqrt(2.0));
}

static void lifts(retain_conversion *res, retain_conversion_lift *out)
{
    size_t j = 0;
    for (size_t i = 0; i < res->count; i++) {
        const retain_conversion_row *r = &res->rows[i];
        if (i == 0 || strcmp(res->rows[i - 1].journey, r->journey) != 0)
            out[j++].journey = r->journey;
        retain_conversion_lift *l = &out[j - 1];
        if (r->holdout) {
            l->holdout_decided += r->entered - r->pending;
            l->holdout_converted += r->converted;
        } else {
            l->treatment_decided += r->entered - r->pending;
            l->treatment_converted += r->converted;
        }
    }
    for (size_t k = 0; k < j; k++) {
        retain_conversion_lift *l = &out[k];
        l->treatment_rate = ratio(l->treatment_converted, l->treatment_decided);
        l->holdout_rate = ratio(l->holdout_converted, l->holdout_decided);
        l->lift = l->treatment_rate - l->holdout_rate;
        l->relative_lift = l->holdout_rate > 0 ? l->treatment_rate / l->holdout_rate - 1.0 : NAN;
        z_test(l);
    }
    res->lifts = out;
    res->lift_count = j;
}

/* Windows longer than a century are surely a unit mistake. */
#define MAX_WINDOW (INT64_C(100) * 366 * RT_MS_PER_DAY)

static int conversion_build(retain_conversion **out, retain_engine *e, const char *journey,
                            int64_t since, int64_t window, int64_t as_of)
{
    int rc;
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    if ((journey && (rc = rt_check_id(e, "journey", journey))) ||
        (rc = rt_mcheck_as_of(e, "as_of", as_of)) ||
        (since != INT64_MIN && (rc = rt_mcheck_as_of(e, "since", since))))
        return rc;
    if (window <= 0 || window > MAX_WINDOW)
        return rt_error(e, RETAIN_EINVAL,
                        "window is %lld ms; it must be > 0 and at most 100 years",
                        (long long)window);
    retain_conversion *res = rt_object_new(&e->alloc, sizeof *res);
    if (!res)
        return rt_nomem(e);
    res->since = since;
    res->as_of = as_of;
    res->window = window;
    collect c = { e, rt_object_arena(res), NULL, 0, 0, 0 };
    bool began;
    if ((rc = rt_ms_read_begin(e, &began)) == RETAIN_OK) {
        rc = rt_ms_journey_conversion(e, journey, since, as_of, window, add_row, &c);
        rc = rt_ms_read_end(e, began, rc);
    }
    if (rc == RETAIN_OK && c.n) {
        retain_conversion_row *rows = rt_arena_alloc(c.ar, c.n * sizeof *rows);
        retain_conversion_lift *l = rt_arena_alloc(c.ar, c.journeys * sizeof *l);
        if (!rows || !l) {
            rc = rt_nomem(e);
        } else {
            memcpy(rows, c.rows, c.n * sizeof *rows);
            res->rows = rows;
            res->count = c.n;
            lifts(res, l);
        }
    }
    rt_free(&e->alloc, c.rows);
    if (rc) {
        rt_object_free(res);
        return rc;
    }
    *out = res;
    return RETAIN_OK;
}

int retain_journey_conversion(retain_conversion **out, retain_engine *e, const char *journey,
                              int64_t since, int64_t window, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    return conversion_build(out, e, journey, since, window, as_of);
}

void retain_conversion_free(retain_conversion *c)
{
    rt_object_free(c);
}

int retain_journey_conversion_json(char **out, retain_engine *e, const char *journey,
                                   int64_t since, int64_t window, int64_t as_of)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    retain_conversion *c = NULL;
    rc = conversion_build(&c, e, journey, since, window, as_of);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"since\":");
    if (since == INT64_MIN)
        rt_buf_puts(&b, "null");
    else
        rt_buf_printf(&b, "%lld", (long long)since);
    rt_buf_printf(&b, ",\"as_of\":%lld,\"window\":%lld,\"rows\":[", (long long)as_of,
                  (long long)window);
    for (size_t i = 0; i < c->count; i++) {
        const retain_conversion_row *r = &c->rows[i];
        rt_buf_puts(&b, i ? ",{\"journey\":" : "{\"journey\":");
        rt_buf_json_str(&b, r->journey);
        rt_mjson_key(&b, "variant", false);
        rt_buf_json_str(&b, r->variant);
        rt_buf_printf(&b, ",\"holdout\":%s,\"entered\":%lld,\"converted\":%lld,\"pending\":%lld",
                      r->holdout ? "true" : "false", (long long)r->entered,
                      (long long)r->converted, (long long)r->pending);
        rt_mjson_key(&b, "rate", false);
        rt_mjson_num(&b, r->rate);
        rt_buf_putc(&b, '}');
    }
    rt_buf_puts(&b, "],\"lifts\":[");
    for (size_t i = 0; i < c->lift_count; i++) {
        const retain_conversion_lift *l = &c->lifts[i];
        rt_buf_puts(&b, i ? ",{\"journey\":" : "{\"journey\":");
        rt_buf_json_str(&b, l->journey);
        rt_buf_printf(&b,
                      ",\"treatment_decided\":%lld,\"treatment_converted\":%lld,"
                      "\"holdout_decided\":%lld,\"holdout_converted\":%lld",
                      (long long)l->treatment_decided, (long long)l->treatment_converted,
                      (long long)l->holdout_decided, (long long)l->holdout_converted);
        rt_mjson_key(&b, "treatment_rate", false);
        rt_mjson_num(&b, l->treatment_rate);
        rt_mjson_key(&b, "holdout_rate", false);
        rt_mjson_num(&b, l->holdout_rate);
        rt_mjson_key(&b, "lift", false);
        rt_mjson_num(&b, l->lift);
        rt_mjson_key(&b, "relative_lift", false);
        rt_mjson_num(&b, l->relative_lift);
        rt_mjson_key(&b, "z", false);
        rt_mjson_num(&b, l->z);
        rt_mjson_key(&b, "p_value", false);
        rt_mjson_num(&b, l->p_value);
        rt_buf_putc(&b, '}');
    }
    rt_buf_puts(&b, "]}");
    retain_conversion_free(c);
    return rt_mjson_finish(e, &b, out);
}

/*
 * rfm_store.c - the Fader-Hardie calibration/holdout summary of the
 * store's orders: one sequential scan of the counted orders in a currency
 * handed to retain_rfm_split() (retain/model.h), which owns the
 * definitions, then the host ids of the rows.
 */
#include "metrics.h"
#include "core/arena.h"
#include "core/check.h"
#include "store/metrics_store.h"

#include <string.h>

static int check_args(retain_engine *e, const char *currency, int64_t cal_end,
                      int64_t hold_end, retain_time_unit unit)
{
    int rc;
    if ((rc = rt_mcheck_currency(e, currency, false)) ||
        (rc = rt_mcheck_as_of(e, "calibration_end", cal_end)) ||
        (rc = rt_mcheck_as_of(e, "holdout_end", hold_end)))
        return rc;
    if (hold_end < cal_end)
        return rt_error(e, RETAIN_EINVAL,
                        "holdout_end (%lld) is before calibration_end (%lld); pass "
                        "calibration_end for no holdout period",
                        (long long)hold_end, (long long)cal_end);
    if (unit != RETAIN_UNIT_DAY && unit != RETAIN_UNIT_WEEK)
        return rt_error(e, RETAIN_EINVAL, "unit is %d; use RETAIN_UNIT_DAY or RETAIN_UNIT_WEEK",
                        (int)unit);
    return RETAIN_OK;
}

static int summarize(retain_engine *e, retain_store_rfm *res, const rt_ms_orders *o,
                     retain_time_unit unit)
{
    int64_t cal_day = rt_day_of(res->calibration_end);
    size_t in_calibration = 0;
    for (size_t i = 0; i < o->n && !in_calibration; i++)
        in_calibration += rt_day_of(o->at[i]) <= cal_day;
    if (!in_calibration) { /* nobody has bought yet: an empty summary */
        res->summary.unit = unit;
        res->summary.allocator = e->alloc;
        res->summary.holdout_length = (double)(rt_day_of(res->holdout_end) - cal_day) /
                                      (unit == RETAIN_UNIT_WEEK ? 7.0 : 1.0);
        return RETAIN_OK;
    }
    retain_txns tx = RETAIN_TXNS_INIT;
    tx.n = o->n;
    tx.customer = o->cust;
    tx.time = o->at;
    tx.time_kind = RETAIN_TIME_MS;
    tx.amount = o->amount;
    retain_model_options mo = RETAIN_MODEL_OPTIONS_INIT;
    mo.allocator = e->alloc;
    retain_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = retain_rfm_split(&res->summary, &tx, res->calibration_end, res->holdout_end, unit,
                              &mo, &diag);
    if (rc)
        return rc == RETAIN_ENOMEM ? rt_nomem(e) : rt_error(e, rc, "%s", diag.message);
    rt_arena *ar = rt_object_arena(res);
    size_t n = res->summary.n;
    const char **ids = rt_arena_alloc(ar, (n ? n : 1) * sizeof *ids);
    if (!ids)
        return rt_nomem(e);
    res->customer_id = ids;
    return rt_ms_customer_ids(e, res->summary.customer, n, ar, ids);
}

static int rfm_build(retain_store_rfm **out, retain_engine *e, const char *currency,
                     int64_t cal_end, int64_t hold_end, retain_time_unit unit)
{
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    int rc = check_args(e, currency, cal_end, hold_end, unit);
    if (rc)
        return rc;
    retain_store_rfm *res = rt_object_new(&e->alloc, sizeof *res);
    if (!res)
        return rt_nomem(e);
    memcpy(res->currency, currency, 3);
    res->calibration_end = cal_end;
    res->holdout_end = hold_end;
    res->summary.allocator = e->alloc;
    bool began;
    if ((rc = rt_ms_read_begin(e, &began))) {
        rt_object_free(res);
        return rc;
    }
    /* Periods are whole days: the holdout runs to the end of its last day. */
    int64_t until = (rt_day_of(hold_end) + 1) * RT_MS_PER_DAY - 1;
    rt_ms_orders o;
    rc = rt_ms_orders_scan(e, currency, until, &o);
    if (rc == RETAIN_OK) {
        rc = summarize(e, res, &o, unit);
        rt_ms_orders_free(&o);
    }
    rc = rt_ms_read_end(e, began, rc);
    if (rc) {
        retain_store_rfm_free(res);
        return rc;
    }
    *out = res;
    return RETAIN_OK;
}

int retain_rfm_from_store(retain_store_rfm **out, retain_engine *e, const char *currency,
                          int64_t calibration_end, int64_t holdout_end, retain_time_unit unit)
{
    RT_ENGINE_GUARD(e);
    return rfm_build(out, e, currency, calibration_end, holdout_end, unit);
}

void retain_store_rfm_free(retain_store_rfm *s)
{
    if (!s)
        return;
    retain_rfm_clear(&s->summary);
    rt_object_free(s);
}

int retain_rfm_from_store_json(char **out, retain_engine *e, const char *currency,
                               int64_t calibration_end, int64_t holdout_end,
                               retain_time_unit unit)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    *out = NULL;
    retain_store_rfm *s = NULL;
    rc = rfm_build(&s, e, currency, calibration_end, holdout_end, unit);
    if (rc)
        return rc;
    const retain_rfm *r = &s->summary;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"currency\":");
    rt_buf_json_str(&b, s->currency);
    rt_buf_printf(&b, ",\"unit\":\"%s\",\"calibration_end\":%lld,\"holdout_end\":%lld,"
                      "\"holdout_length\":",
                  unit == RETAIN_UNIT_WEEK ? "week" : "day", (long long)calibration_end,
                  (long long)holdout_end);
    rt_mjson_num(&b, r->holdout_length);
    rt_buf_printf(&b, ",\"customers\":%zu,\"rows\":[", r->n);
    for (size_t i = 0; i < r->n; i++) {
        rt_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        rt_buf_json_str(&b, s->customer_id[i]);
        rt_mjson_key(&b, "x", false);
        rt_mjson_num(&b, r->x[i]);
        rt_mjson_key(&b, "t_x", false);
        rt_mjson_num(&b, r->t_x[i]);
        rt_mjson_key(&b, "T", false);
        rt_mjson_num(&b, r->T[i]);
        rt_mjson_key(&b, "monetary", false);
        rt_mjson_num(&b, r->monetary ? r->monetary[i] : 0.0);
        rt_mjson_key(&b, "holdout_x", false);
        rt_mjson_num(&b, r->holdout_x ? r->holdout_x[i] : 0.0);
        rt_buf_putc(&b, '}');
    }
    rt_buf_puts(&b, "]}");
    retain_store_rfm_free(s);
    return rt_mjson_finish(e, &b, out);
}

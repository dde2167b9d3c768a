/*
 * refresh.c - retain_model_refresh(): fit the purchase model and
 * Gamma-Gamma on the store's calibration summary (rfm_store.c), predict
 * p_alive, expected purchases in the next 90 days and CLV for every
 * customer, and hand the rows to the store (store/refresh_store.c) to be
 * written in one transaction.
 */
#include "metrics.h"
#include "retain/refresh.h"
#include "core/check.h"
#include "store/refresh_store.h"

#include <math.h>
#include <string.h>

/* A month for the CLV horizon and discounting: a twelfth of 365.25 days. */
#define RT_DAYS_PER_MONTH (365.25 / 12.0)
#define RT_REFRESH_MAX_MONTHS 1200
#define RT_REFRESH_AHEAD_DAYS 90.0

static int check_opts(retain_engine *e, int64_t now, const retain_model_refresh_options *o)
{
    int rc;
    if (!o)
        return rt_error(e, RETAIN_EINVAL, "opts is NULL; start from RETAIN_MODEL_REFRESH_OPTIONS_INIT "
                                          "and set currency");
    if ((rc = rt_mcheck_version(e, "opts", o->version, RETAIN_MODEL_REFRESH_OPTIONS_VERSION,
                                "RETAIN_MODEL_REFRESH_OPTIONS_INIT")) ||
        (rc = rt_mcheck_currency(e, o->currency, false)) ||
        (rc = rt_mcheck_as_of(e, "now", now)))
        return rc;
    if (o->unit != RETAIN_UNIT_DAY && o->unit != RETAIN_UNIT_WEEK)
        return rt_error(e, RETAIN_EINVAL, "opts->unit is %d; use RETAIN_UNIT_DAY or RETAIN_UNIT_WEEK",
                        (int)o->unit);
    if (o->purchase_model != RETAIN_MODEL_BGNBD && o->purchase_model != RETAIN_MODEL_PARETO_NBD &&
        o->purchase_model != RETAIN_MODEL_MBGNBD)
        return rt_error(e, RETAIN_EINVAL,
                        "opts->purchase_model is %d (%s); use RETAIN_MODEL_BGNBD, "
                        "RETAIN_MODEL_PARETO_NBD or RETAIN_MODEL_MBGNBD",
                        (int)o->purchase_model, retain_model_kind_name(o->purchase_model));
    if (o->horizon_months < 1 || o->horizon_months > RT_REFRESH_MAX_MONTHS)
        return rt_error(e, RETAIN_EINVAL, "opts->horizon_months is %d; use 1 to %d",
                        o->horizon_months, RT_REFRESH_MAX_MONTHS);
    if (!(o->monthly_discount_rate >= 0.0) || !isfinite(o->monthly_discount_rate))
        return rt_error(e, RETAIN_EINVAL,
                        "opts->monthly_discount_rate is %g; give a finite rate >= 0 "
                        "(0.01 for 1%% a month)",
                        o->monthly_discount_rate);
    if (!(o->margin > 0.0 && o->margin <= 1.0))
        return rt_error(e, RETAIN_EINVAL,
                        "opts->margin is %g; give the share of spend kept, in (0, 1] "
                        "(0.3 for 30%%)",
                        o->margin);
    if (o->max_iterations < 0)
        return rt_error(e, RETAIN_EINVAL,
                        "opts->max_iterations is %d; use 0 for the default or a positive count",
                        o->max_iterations);
    if (!(o->tolerance >= 0.0) || !isfinite(o->tolerance))
        return rt_error(e, RETAIN_EINVAL,
                        "opts->tolerance is %g; use 0 for the default or a finite value > 0",
                        o->tolerance);
    return RETAIN_OK;
}

/* The model library's error, with its sentence, as the engine's. */
static int model_error(retain_engine *e, int rc, const char *doing, const retain_diag *d)
{
    if (rc == RETAIN_ENOMEM)
        return rt_nomem(e);
    return rt_error(e, rc, "%s: %s", doing, d->message);
}

static int fit(retain_engine *e, retain_model *m, retain_model_kind kind,
               const retain_rfm_data *data, const retain_model_options *mo)
{
    retain_diag d;
    memset(&d, 0, sizeof d);
    int rc = retain_model_fit(m, kind, data, mo, &d);
    if (rc)
        return model_error(e, rc, "fitting the model", &d);
    if (!m->converged)
        return rt_error(e, RETAIN_ELIMIT,
                        "the %s fit did not converge in %d iterations (largest gradient "
                        "component %g); nothing was written",
                        retain_model_kind_name(kind), m->iterations, m->grad_norm);
    return RETAIN_OK;
}

/* p_alive, 90-day expectation and CLV of every row into rows[]. */
static int predict(retain_engine *e, rt_refresh_row *rows, const retain_store_rfm *s,
                   const retain_rfm_data *data, const retain_model *pm, const retain_model *gg,
                   const retain_model_refresh_options *o)
{
    size_t n = data->n;
    double *buf = rt_calloc(&e->alloc, 3 * n, sizeof *buf);
    if (!buf)
        return rt_nomem(e);
    double *alive = buf, *ahead = buf + n, *clv = buf + 2 * n;
    retain_clv_options co = RETAIN_CLV_OPTIONS_INIT;
    co.margin = o->margin;
    co.discount_rate = o->monthly_discount_rate;
    co.period_length = RT_DAYS_PER_MONTH;
    co.period_unit = RETAIN_UNIT_DAY;
    co.periods = o->horizon_months;
    retain_diag d;
    memset(&d, 0, sizeof d);
    int rc = retain_model_p_alive(alive, pm, data, &d);
    if (rc) {
        rc = model_error(e, rc, "computing p_alive", &d);
        goto done;
    }
    /* 90 days, rescaled by the model to its own unit (90/7 weeks). */
    rc = retain_model_conditional_expected(ahead, pm, data, RT_REFRESH_AHEAD_DAYS,
                                           RETAIN_UNIT_DAY, &d);
    if (rc) {
        rc = model_error(e, rc, "computing expected purchases in the next 90 days", &d);
        goto done;
    }
    rc = retain_clv(clv, pm, gg, data, &co, &d);
    if (rc) {
        rc = model_error(e, rc, "computing CLV", &d);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        /* NaN would be stored as NULL; a CLV past int64 cannot be stored. */
        if (!isfinite(alive[i]) || !isfinite(ahead[i]) || !isfinite(clv[i]) ||
            fabs(clv[i]) >= 9.0e18) {
            rc = rt_error(e, RETAIN_ELIMIT,
                          "customer \"%s\": the predictions cannot be stored (p_alive %g, "
                          "expected %g, clv %g); nothing was written",
                          s->customer_id[i], alive[i], ahead[i], clv[i]);
            goto done;
        }
        rows[i].key = s->summary.customer[i];
        rows[i].p_alive = alive[i];
        rows[i].expected_90d = ahead[i];
        rows[i].clv = llround(clv[i]);
    }
done:
    rt_free(&e->alloc, buf);
    return rc;
}

static int refresh(retain_model_refresh_result *out, retain_engine *e, int64_t now,
                   const retain_model_refresh_options *o)
{
    int64_t cal_end = now - 1;
    out->calibration_end = cal_end;
    retain_store_rfm *s = NULL;
    int rc = retain_rfm_from_store(&s, e, o->currency, cal_end, cal_end, o->unit);
    if (rc)
        return rc;
    rt_refresh_row *rows = NULL;
    retain_rfm_data data = RETAIN_RFM_DATA_INIT;
    if (s->summary.n == 0 || retain_rfm_view(&data, &s->summary) != RETAIN_OK) {
        rc = rt_error(e, RETAIN_EINVAL,
                      "no customer has a counted order in %s placed before now; "
                      "nothing to fit",
                      s->currency);
        goto done;
    }
    size_t repeat = 0;
    for (size_t i = 0; i < data.n; i++)
        repeat += data.x[i] > 0;
    out->repeat_customers = repeat;
    if (repeat == 0) {
        rc = rt_error(e, RETAIN_EINVAL,
                      "none of the %zu customers with orders in %s has a repeat purchase; "
                      "the spend model has nothing to fit",
                      data.n, s->currency);
        goto done;
    }
    retain_model_options mo = RETAIN_MODEL_OPTIONS_INIT;
    mo.allocator = e->alloc;
    mo.max_iterations = o->max_iterations;
    mo.tolerance = o->tolerance;
    if ((rc = fit(e, &out->purchase, o->purchase_model, &data, &mo)) ||
        (rc = fit(e, &out->spend, RETAIN_MODEL_GAMMA_GAMMA, &data, &mo)))
        goto done;
    rows = rt_calloc(&e->alloc, data.n, sizeof *rows);
    if (!rows) {
        rc = rt_nomem(e);
        goto done;
    }
    if ((rc = predict(e, rows, s, &data, &out->purchase, &out->spend, o)))
        goto done;
    rc = rt_refresh_write(e, s->currency, rows, data.n, &out->customers, &out->cleared);
done:
    rt_free(&e->alloc, rows);
    retain_store_rfm_free(s);
    return rc;
}

int retain_model_refresh(retain_model_refresh_result *out, retain_engine *e, int64_t now,
                         const retain_model_refresh_options *opts)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)) ||
        (rc = rt_mcheck_version(e, "out", out->version, RETAIN_MODEL_REFRESH_RESULT_VERSION,
                                "RETAIN_MODEL_REFRESH_RESULT_INIT")))
        return rc;
    unsigned int version = out->version;
    memset(out, 0, sizeof *out);
    out->version = version;
    if ((rc = check_opts(e, now, opts)) || (rc = rt_check_writable(e)))
        return rc;
    /* now - 1 must itself be a valid time. */
    if ((rc = rt_mcheck_as_of(e, "now", now - 1)))
        return rc;
    rc = refresh(out, e, now, opts);
    if (rc) {
        out->customers = 0;
        out->cleared = 0;
    }
    return rc;
}

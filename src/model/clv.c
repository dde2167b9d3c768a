/*
 * clv.c - discounted customer lifetime value from a purchase model and the
 * Gamma-Gamma spend model, summed period by period:
 *   CLV = margin * E[spend] * sum_k (E[Y(k L)] - E[Y((k-1) L)]) / (1+d)^k.
 */
#include <math.h>

#include "model.h"


static int check_opts(const retain_clv_options *o, retain_diag *diag)
{
    if (!o)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "opts is NULL; CLV needs margin, discount rate, period and horizon");
    if (o->version == 0 || o->version > RETAIN_CLV_OPTIONS_VERSION)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "opts.version is %u; initialize it with RETAIN_CLV_OPTIONS_INIT (version %d)",
                        o->version, RETAIN_CLV_OPTIONS_VERSION);
    if (!(o->margin > 0.0 && o->margin <= 1.0))
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "opts.margin = %g; give the share of spend kept as profit, in (0, 1]",
                        o->margin);
    if (!(o->discount_rate >= 0.0 && isfinite(o->discount_rate)))
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "opts.discount_rate = %g; give the rate per period, >= 0 (0.01 = 1%%)",
                        o->discount_rate);
    if (!(o->period_length > 0.0 && isfinite(o->period_length)))
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "opts.period_length = %g; it must be > 0",
                        o->period_length);
    if (o->period_unit == RETAIN_UNIT_NONE)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "opts.period_unit is not set");
    if (o->periods < 1 || o->periods > 100000)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "opts.periods = %d; it must be in 1 .. 100000",
                        o->periods);
    return RETAIN_OK;
}

int retain_clv(double *out, const retain_model *purchase, const retain_model *spend,
               const retain_rfm_data *data, const retain_clv_options *opts, retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    int rc = check_opts(opts, diag);
    if (rc)
        return rc;
    rc = rt_model_check(purchase, diag);
    if (rc)
        return rc;
    if (purchase->kind == RETAIN_MODEL_GAMMA_GAMMA)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "purchase is a gamma_gamma model; give a purchase model");
    rc = rt_gg_check(spend, data, diag);
    if (rc)
        return rc;
    rc = rt_rows_check(data, purchase->kind, 0, diag);
    if (rc)
        return rc;
    double sd = rt_unit_factor(data->unit, purchase->unit);
    double sp = rt_unit_factor(opts->period_unit, purchase->unit);
    if (sd == 0.0 || sp == 0.0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s in %s cannot be used with a %s model in %s",
                        sd == 0.0 ? "data" : "opts.period_length",
                        rt_unit_name(sd == 0.0 ? data->unit : opts->period_unit),
                        retain_model_kind_name(purchase->kind), rt_unit_name(purchase->unit));
    double L = opts->period_length * sp;
    if (purchase->kind == RETAIN_MODEL_BGBB && floor(L) != L)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "opts.period_length = %g; BG/BB periods are whole opportunities", L);
    double v = 1.0 / (1.0 + opts->discount_rate);
    for (size_t i = 0; i < data->n; i++) {
        double x = data->x[i], tx = data->t_x[i] * sd, T = data->T[i] * sd;
        double m = rt_gg_expected_spend(spend->param.v, x, x > 0 ? data->monetary[i] : 0.0);
        double prev = 0.0, disc = 1.0, sum = 0.0;
        for (int k = 1; k <= opts->periods; k++) {
            double cur;
            if (rt_predict_cond1(&cur, purchase, x, tx, T, k * L))
                return rt_mdiag(diag, RETAIN_ELIMIT, i + 1,
                                "row %zu: expected purchases could not be evaluated", i + 1);
            disc *= v;
            sum += (cur - prev) * disc;
            prev = cur;
        }
        out[i] = opts->margin * m * sum;
    }
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

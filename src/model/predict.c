/*
 * predict.c - vectorised predictions: argument checks, unit rescaling, and
 * a loop over the per-model formulas.
 */
#include <math.h>

#include "model.h"

/* Factor taking times in `unit` to the model's unit. */
static int time_factor(double *f, const retain_model *m, retain_time_unit unit, const char *what,
                       retain_diag *diag)
{
    *f = rt_unit_factor(unit, m->unit);
    if (*f == 0.0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s in %s cannot be used with a %s model in %s",
                        what, rt_unit_name(unit), retain_model_kind_name(m->kind),
                        rt_unit_name(m->unit));
    return RETAIN_OK;
}

static int purchase_model(const retain_model *m, retain_diag *diag)
{
    int rc = rt_model_check(m, diag);
    if (rc)
        return rc;
    if (m->kind == RETAIN_MODEL_GAMMA_GAMMA)
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "a gamma_gamma model predicts spend, not purchases; use "
                        "retain_gammagamma_expected_spend()");
    return RETAIN_OK;
}

static int horizon_ok(const retain_model *m, double t, size_t row, retain_diag *diag)
{
    if (!isfinite(t) || t < 0.0)
        return rt_mdiag(diag, RETAIN_EINVAL, row, "horizon t = %g; it must be finite and >= 0", t);
    if (m->kind == RETAIN_MODEL_BGBB && floor(t) != t)
        return rt_mdiag(diag, RETAIN_EINVAL, row,
                        "horizon t = %g; BG/BB counts whole opportunities", t);
    return RETAIN_OK;
}

static int failed(retain_diag *diag, size_t row, const char *what)
{
    return rt_mdiag(diag, RETAIN_ELIMIT, row,
                    "%s could not be evaluated to full precision (row %zu)", what, row);
}

int rt_predict_expected1(double *out, const retain_model *m, double t)
{
    const double *p = m->param.v;
    switch (m->kind) {
    case RETAIN_MODEL_BGNBD: *out = rt_bgnbd_expected(p, 0, t); break;
    case RETAIN_MODEL_MBGNBD: *out = rt_bgnbd_expected(p, 1, t); break;
    case RETAIN_MODEL_PARETO_NBD: *out = rt_pareto_expected(p, t); break;
    case RETAIN_MODEL_BGBB: *out = rt_bgbb_expected(p, t); break;
    default: *out = NAN;
    }
    return isfinite(*out) ? 0 : -1;
}

int retain_model_expected(double *out, const retain_model *m, const double *t, size_t n,
                          retain_time_unit unit, retain_diag *diag)
{
    if (!out || !t)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s is NULL", out ? "t" : "out");
    if (n == 0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "n = 0: nothing to predict");
    int rc = purchase_model(m, diag);
    double f;
    if (rc || (rc = time_factor(&f, m, unit, "t", diag)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = horizon_ok(m, t[i], i + 1, diag)))
            return rc;
        if (rt_predict_expected1(&out[i], m, t[i] * f))
            return failed(diag, i + 1, "E[X(t)]");
    }
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

/* Data rows usable by model m, and the factor to its unit. */
static int data_for(double *scale, const retain_model *m, const retain_rfm_data *data,
                    retain_diag *diag)
{
    int rc = rt_rows_check(data, m->kind, 0, diag);
    if (rc)
        return rc;
    return time_factor(scale, m, data->unit, "data", diag);
}

int rt_predict_cond1(double *out, const retain_model *m, double x, double tx, double T, double t)
{
    const double *p = m->param.v;
    switch (m->kind) {
    case RETAIN_MODEL_BGNBD: *out = rt_bgnbd_cond(p, 0, x, tx, T, t); break;
    case RETAIN_MODEL_MBGNBD: *out = rt_bgnbd_cond(p, 1, x, tx, T, t); break;
    case RETAIN_MODEL_PARETO_NBD: *out = rt_pareto_cond(p, x, tx, T, t); break;
    case RETAIN_MODEL_BGBB: *out = rt_bgbb_cond(p, x, tx, T, t); break;
    default: *out = NAN;
    }
    return isfinite(*out) ? 0 : -1;
}

int retain_model_conditional_expected(double *out, const retain_model *m,
                                      const retain_rfm_data *data, double t,
                                      retain_time_unit unit, retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    int rc = purchase_model(m, diag);
    double sd, st;
    if (rc || (rc = data_for(&sd, m, data, diag)) || (rc = time_factor(&st, m, unit, "t", diag)))
        return rc;
    if ((rc = horizon_ok(m, t, 0, diag)))
        return rc;
    for (size_t i = 0; i < data->n; i++)
        if (rt_predict_cond1(&out[i], m, data->x[i], data->t_x[i] * sd, data->T[i] * sd, t * st))
            return failed(diag, i + 1, "E[Y(t) | x, t_x, T]");
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

int retain_model_p_alive(double *out, const retain_model *m, const retain_rfm_data *data,
                         retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    int rc = purchase_model(m, diag);
    double sd;
    if (rc || (rc = data_for(&sd, m, data, diag)))
        return rc;
    const double *p = m->param.v;
    for (size_t i = 0; i < data->n; i++) {
        double x = data->x[i], tx = data->t_x[i] * sd, T = data->T[i] * sd, v;
        switch (m->kind) {
        case RETAIN_MODEL_BGNBD: v = rt_bgnbd_p_alive(p, 0, x, tx, T); break;
        case RETAIN_MODEL_MBGNBD: v = rt_bgnbd_p_alive(p, 1, x, tx, T); break;
        case RETAIN_MODEL_PARETO_NBD: v = rt_pareto_p_alive(p, x, tx, T); break;
        default: v = rt_bgbb_p_alive(p, x, tx, T); break;
        }
        if (!isfinite(v))
            return failed(diag, i + 1, "P(alive)");
        out[i] = v;
    }
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

int retain_model_pmf(double *out, size_t n, const retain_model *m, double t,
                     retain_time_unit unit, retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    if (n == 0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "n = 0: nothing to predict");
    int rc = purchase_model(m, diag);
    double f;
    if (rc || (rc = time_factor(&f, m, unit, "t", diag)) || (rc = horizon_ok(m, t, 0, diag)))
        return rc;
    const double *p = m->param.v;
    t *= f;
    for (size_t k = 0; k < n; k++) {
        double v, kk = (double)k;
        switch (m->kind) {
        case RETAIN_MODEL_BGNBD: v = rt_bgnbd_pmf(p, 0, t, kk); break;
        case RETAIN_MODEL_MBGNBD: v = rt_bgnbd_pmf(p, 1, t, kk); break;
        case RETAIN_MODEL_PARETO_NBD: v = rt_pareto_pmf(p, t, kk); break;
        default: v = rt_bgbb_pmf(p, t, kk); break;
        }
        if (!isfinite(v))
            return failed(diag, k + 1, "P(X(t) = k)");
        out[k] = v;
    }
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

int rt_gg_check(const retain_model *gg, const retain_rfm_data *data, retain_diag *diag)
{
    int rc = rt_model_check(gg, diag);
    if (rc)
        return rc;
    if (gg->kind != RETAIN_MODEL_GAMMA_GAMMA)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "a %s model does not predict spend",
                        retain_model_kind_name(gg->kind));
    rc = rt_rows_check(data, RETAIN_MODEL_GAMMA_GAMMA, 0, diag);
    if (rc)
        return rc;
    double pp = gg->param.gg.p, q = gg->param.gg.q;
    for (size_t i = 0; i < data->n; i++)
        if (!(pp * data->x[i] + q > 1.0))
            return rt_mdiag(diag, RETAIN_EINVAL, i + 1,
                            "row %zu: expected spend is infinite (p x + q = %g <= 1)%s", i + 1,
                            pp * data->x[i] + q,
                            data->x[i] == 0.0 ? "; with q <= 1 the population mean does not exist" : "");
    return RETAIN_OK;
}

int retain_gammagamma_expected_spend(double *out, const retain_model *gg,
                                     const retain_rfm_data *data, retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    int rc = rt_gg_check(gg, data, diag);
    if (rc)
        return rc;
    for (size_t i = 0; i < data->n; i++)
        out[i] = rt_gg_expected_spend(gg->param.v, data->x[i], data->x[i] > 0 ? data->monetary[i] : 0.0);
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

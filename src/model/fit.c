/*
 * fit.c - the public face of the models: kinds, parameter checks,
 * maximum-likelihood fits (compress, then BFGS in log-parameter space),
 * log-likelihood evaluation and unit conversion.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "model.h"
#include "optim.h"

/* Parameters stay within [1e-9, 1e9] (in the data's unit): wide enough for
 * any real data set, narrow enough that every special function stays finite. */
#define LOG_PMIN (-20.72326583694641)
#define LOG_PMAX (20.72326583694641)

int retain_model_param_count(retain_model_kind kind)
{
    switch (kind) {
    case RETAIN_MODEL_BGNBD:
    case RETAIN_MODEL_PARETO_NBD:
    case RETAIN_MODEL_MBGNBD:
    case RETAIN_MODEL_BGBB: return 4;
    case RETAIN_MODEL_GAMMA_GAMMA: return 3;
    default: return 0;
    }
}

const char *retain_model_kind_name(retain_model_kind kind)
{
    switch (kind) {
    case RETAIN_MODEL_BGNBD: return "bgnbd";
    case RETAIN_MODEL_PARETO_NBD: return "pareto_nbd";
    case RETAIN_MODEL_MBGNBD: return "mbgnbd";
    case RETAIN_MODEL_BGBB: return "bgbb";
    case RETAIN_MODEL_GAMMA_GAMMA: return "gamma_gamma";
    default: return "unknown";
    }
}

static const char *param_name(retain_model_kind kind, int i)
{
    static const char *const names[6][4] = {
        { "?", "?", "?", "?" },
        { "r", "alpha", "a", "b" },
        { "r", "alpha", "s", "beta" },
        { "r", "alpha", "a", "b" },
        { "alpha", "beta", "gamma", "delta" },
        { "p", "q", "gamma", "?" },
    };
    int k = (int)kind;
    return names[k >= 0 && k <= 5 ? k : 0][i & 3];
}

/* Is `unit` right for parameters of this kind? */
static int unit_ok(retain_model_kind kind, retain_time_unit unit)
{
    switch (kind) {
    case RETAIN_MODEL_BGBB: return unit == RETAIN_UNIT_PERIOD;
    case RETAIN_MODEL_GAMMA_GAMMA: return 1;
    default: return unit == RETAIN_UNIT_DAY || unit == RETAIN_UNIT_WEEK;
    }
}

static int check_params(retain_model_kind kind, const double *p, retain_diag *diag)
{
    int np = retain_model_param_count(kind);
    for (int i = 0; i < np; i++)
        if (!isfinite(p[i]) || p[i] <= 0.0)
            return rt_mdiag(diag, RETAIN_EINVAL, 0, "%s parameter %s = %g; it must be finite and > 0",
                            retain_model_kind_name(kind), param_name(kind, i), p[i]);
    return RETAIN_OK;
}

int rt_model_check(const retain_model *m, retain_diag *diag)
{
    if (!m)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "model is NULL");
    if (retain_model_param_count(m->kind) == 0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "model.kind %d is not a model", (int)m->kind);
    if (!unit_ok(m->kind, m->unit))
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "a %s model cannot be in %s",
                        retain_model_kind_name(m->kind), rt_unit_name(m->unit));
    return check_params(m->kind, m->param.v, diag);
}

double rt_model_eval(retain_model_kind kind, const double *p, const rt_rows *r, double *grad,
                     double *row_ll, double *scratch)
{
    switch (kind) {
    case RETAIN_MODEL_BGNBD: return rt_bgnbd_ll(p, r, 0, grad, row_ll, scratch);
    case RETAIN_MODEL_MBGNBD: return rt_bgnbd_ll(p, r, 1, grad, row_ll, scratch);
    case RETAIN_MODEL_PARETO_NBD: return rt_pareto_ll(p, r, grad, row_ll);
    case RETAIN_MODEL_BGBB: return rt_bgbb_ll(p, r, grad, row_ll);
    case RETAIN_MODEL_GAMMA_GAMMA: return rt_gg_ll(p, r, grad, row_ll);
    default: return NAN;
    }
}

typedef struct fitctx {
    retain_model_kind kind;
    const rt_rows *r;
    double *scratch;
    int np;
} fitctx;

/* Mean negative log-likelihood per unit weight, in log parameters. */
static double objective(const double *theta, double *g, void *vctx)
{
    const fitctx *c = vctx;
    double p[4], grad[4];
    for (int i = 0; i < c->np; i++)
        p[i] = exp(theta[i]);
    double ll = rt_model_eval(c->kind, p, c->r, grad, NULL, c->scratch);
    if (!isfinite(ll))
        return NAN;
    for (int i = 0; i < c->np; i++)
        g[i] = -grad[i] / c->r->wsum;
    return -ll / c->r->wsum;
}

/* A start that puts the mean purchase rate and spend at the data's. */
static void default_start(double *p, retain_model_kind kind, const rt_rows *r)
{
    double sw = 0.0, sx = 0.0, sT = 0.0, sm = 0.0;
    for (size_t i = 0; i < r->n; i++) {
        sw += r->w[i];
        sx += r->w[i] * r->x[i];
        sT += r->w[i] * r->T[i];
        sm += r->w[i] * r->m[i];
    }
    double meanT = sT > 0 ? sT / sw : 1.0;
    double scale = sx > 0 && sT > 0 ? sT / sx : meanT;
    switch (kind) {
    case RETAIN_MODEL_BGNBD:
    case RETAIN_MODEL_MBGNBD:
        p[0] = 1.0;
        p[1] = scale;
        p[2] = 1.0;
        p[3] = 1.0;
        break;
    case RETAIN_MODEL_PARETO_NBD:
        p[0] = 1.0;
        p[1] = scale;
        p[2] = 1.0;
        p[3] = meanT;
        break;
    case RETAIN_MODEL_BGBB:
        p[0] = p[1] = p[2] = p[3] = 1.0;
        break;
    default: /* Gamma-Gamma: population mean p gamma/(q-1) = the mean spend */
        p[0] = 1.0;
        p[1] = 2.0;
        p[2] = sm > 0 ? sm / sw : 1.0;
        p[3] = 0.0;
        break;
    }
    for (int i = 0; i < 4; i++)
        if (p[i] > 0 && !(p[i] >= 1e-8 && p[i] <= 1e8))
            p[i] = p[i] < 1e-8 ? 1e-8 : 1e8;
}

int retain_model_fit(retain_model *out, retain_model_kind kind, const retain_rfm_data *data,
                     const retain_model_options *opts, retain_diag *diag)
{
    retain_model_options o;
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    memset(out, 0, sizeof *out);
    int np = retain_model_param_count(kind);
    if (np == 0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "kind %d is not a model", (int)kind);
    int rc = rt_mopts(&o, opts, diag);
    if (rc)
        return rc;
    rc = rt_rows_check(data, kind, 1, diag);
    if (rc)
        return rc;
    double p[4] = { 0, 0, 0, 0 };
    if (o.start) {
        rc = check_params(kind, o.start, diag);
        if (rc)
            return rc;
        memcpy(p, o.start, sizeof(double) * (size_t)np);
    }

    rt_rows r;
    rc = rt_rows_build(&r, data, kind, 1.0, 0, &o.allocator, diag);
    if (rc)
        return rc;
    double *scratch = rt_malloc(&o.allocator, (2 * r.nv + 1) * sizeof(double));
    if (!scratch) {
        rt_rows_free(&r);
        return rt_mdiag(diag, RETAIN_ENOMEM, 0, "out of memory");
    }
    if (!o.start)
        default_start(p, kind, &r);

    fitctx c = { kind, &r, scratch, np };
    double theta[4], lo[4], hi[4];
    for (int i = 0; i < np; i++) {
        theta[i] = log(p[i]);
        lo[i] = LOG_PMIN;
        hi[i] = LOG_PMAX;
    }
    rt_optim_result res;
    int orc = rt_minimize(theta, np, lo, hi, objective, &c, o.max_iterations, o.tolerance, &res);
    if (orc != 0) {
        rt_free(&o.allocator, scratch);
        rt_rows_free(&r);
        return rt_mdiag(diag, RETAIN_EINVAL, 0,
                        "the %s log-likelihood is not finite at the start point; give "
                        "options.start", retain_model_kind_name(kind));
    }
    out->kind = kind;
    out->unit = kind == RETAIN_MODEL_GAMMA_GAMMA ? RETAIN_UNIT_NONE : data->unit;
    for (int i = 0; i < np; i++)
        out->param.v[i] = exp(theta[i]);
    out->loglik = rt_model_eval(kind, out->param.v, &r, NULL, NULL, scratch);
    out->weight = r.wsum;
    out->rows = r.n;
    out->iterations = res.iterations;
    out->converged = res.converged;
    out->grad_norm = res.gnorm;
    rt_free(&o.allocator, scratch);
    rt_rows_free(&r);
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

int retain_model_init(retain_model *out, retain_model_kind kind, retain_time_unit unit,
                      const double *params, retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    memset(out, 0, sizeof *out);
    if (!params)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "params is NULL");
    retain_model m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.unit = kind == RETAIN_MODEL_GAMMA_GAMMA ? RETAIN_UNIT_NONE : unit;
    int np = retain_model_param_count(kind);
    if (np)
        memcpy(m.param.v, params, sizeof(double) * (size_t)np);
    int rc = rt_model_check(&m, diag);
    if (rc)
        return rc;
    m.loglik = NAN;
    m.grad_norm = NAN;
    *out = m;
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

int retain_model_convert(retain_model *out, const retain_model *in, retain_time_unit unit,
                         retain_diag *diag)
{
    if (!out)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "out is NULL");
    int rc = rt_model_check(in, diag);
    if (rc)
        return rc;
    retain_model m = *in;
    if (in->kind == RETAIN_MODEL_GAMMA_GAMMA || in->kind == RETAIN_MODEL_BGBB) {
        if (unit != in->unit)
            return rt_mdiag(diag, RETAIN_EINVAL, 0, "a %s model has no time scale to convert",
                            retain_model_kind_name(in->kind));
        *out = m;
        rt_mdiag_ok(diag);
        return RETAIN_OK;
    }
    double f = rt_unit_factor(in->unit, unit);
    if (f == 0.0)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "cannot express a %s model in %s",
                        retain_model_kind_name(in->kind), rt_unit_name(unit));
    /* alpha (and beta) are time scales: they take the new unit; r, s, a, b
     * are unitless. */
    m.param.v[1] *= f;
    if (in->kind == RETAIN_MODEL_PARETO_NBD)
        m.param.v[3] *= f;
    if (f != 1.0)
        m.loglik = NAN; /* a density in another unit */
    m.unit = unit;
    *out = m;
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

int retain_model_loglik(double *total, double *rows, const retain_model *m,
                        const retain_rfm_data *data, const retain_model_options *opts,
                        retain_diag *diag)
{
    retain_model_options o;
    if (!total)
        return rt_mdiag(diag, RETAIN_EINVAL, 0, "total is NULL");
    int rc = rt_mopts(&o, opts, diag);
    if (rc)
        return rc;
    rc = rt_model_check(m, diag);
    if (rc)
        return rc;
    rc = rt_rows_check(data, m->kind, 0, diag);
    if (rc)
        return rc;
    double scale = 1.0;
    if (m->kind != RETAIN_MODEL_GAMMA_GAMMA) {
        scale = rt_unit_factor(data->unit, m->unit);
        if (scale == 0.0)
            return rt_mdiag(diag, RETAIN_EINVAL, 0, "data in %s cannot be read by a model in %s",
                            rt_unit_name(data->unit), rt_unit_name(m->unit));
    }
    rt_rows r;
    rc = rt_rows_build(&r, data, m->kind, scale, rows != NULL, &o.allocator, diag);
    if (rc)
        return rc;
    double *scratch = rt_malloc(&o.allocator, (2 * r.nv + 1) * sizeof(double));
    double *rl = rows ? rt_malloc(&o.allocator, (r.n + 1) * sizeof(double)) : NULL;
    if (!scratch || (rows && !rl)) {
        rt_free(&o.allocator, scratch);
        rt_free(&o.allocator, rl);
        rt_rows_free(&r);
        return rt_mdiag(diag, RETAIN_ENOMEM, 0, "out of memory");
    }
    double ll = r.n ? rt_model_eval(m->kind, m->param.v, &r, NULL, rl, scratch) : 0.0;
    if (rows)
        for (size_t i = 0; i < data->n; i++)
            rows[i] = r.row_of[i] == SIZE_MAX ? 0.0 : rl[r.row_of[i]];
    rt_free(&o.allocator, scratch);
    rt_free(&o.allocator, rl);
    rt_rows_free(&r);
    if (!isfinite(ll))
        return rt_mdiag(diag, RETAIN_ELIMIT, 0,
                        "the log-likelihood could not be evaluated at these parameters");
    *total = ll;
    rt_mdiag_ok(diag);
    return RETAIN_OK;
}

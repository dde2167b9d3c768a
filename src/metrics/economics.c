/*
 * economics.c - what a lift in retention is worth: the geometric
 * (constant-retention) customer value, and the same question asked of a
 * fitted purchase model by moving the mean of its dropout distribution.
 */
#include "metrics.h"
#include "core/alloc.h"

#include <math.h>
#include <string.h>

static int check_number(retain_engine *e, const char *what, double v, double lo, bool lo_open,
                        double hi, const char *hint)
{
    bool ok = isfinite(v) && (lo_open ? v > lo : v >= lo) && v < hi;
    if (!ok)
        return rt_error(e, RETAIN_EINVAL, "opts->%s is %g; it must be %s %g%s%s", what, v,
                        lo_open ? ">" : ">=", lo, isinf(hi) ? "" : " and below 1", hint);
    return RETAIN_OK;
}

/* What both methods read. */
static int check_common(retain_engine *e, const retain_economics_options *o)
{
    int rc;
    if (!o)
        return rt_error(e, RETAIN_EINVAL, "opts is NULL");
    if ((rc = rt_mcheck_version(e, "opts", o->version, RETAIN_ECONOMICS_OPTIONS_VERSION,
                                "RETAIN_ECONOMICS_OPTIONS_INIT")) ||
        (rc = check_number(e, "margin", o->margin, 0, false, INFINITY,
                           " (profit in minor units)")) ||
        (rc = check_number(e, "discount_rate", o->discount_rate, 0, false, INFINITY,
                           " (0.1 = 10% per period)")) ||
        (rc = check_number(e, "lift", o->lift, 0, false, INFINITY,
                           " (retention points to add: 0.05 = +5 points)")) ||
        (rc = check_number(e, "customers", o->customers, 0, false, INFINITY, "")))
        return rc;
    return RETAIN_OK;
}

static int check_out(retain_engine *e, const retain_retention_value *out)
{
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    return rt_mcheck_version(e, "out", out->version, RETAIN_RETENTION_VALUE_VERSION,
                             "RETAIN_RETENTION_VALUE_INIT");
}

static int check_lifted(retain_engine *e, double r, double lift)
{
    if (r + lift >= 1.0)
        return rt_error(e, RETAIN_EINVAL,
                        "retention %g + lift %g reaches 1: a customer would never leave and "
                        "the value is unbounded",
                        r, lift);
    return RETAIN_OK;
}

static void finish(retain_retention_value *v, const retain_economics_options *o)
{
    v->lift_value = v->lifted_value - v->value;
    v->total_lift_value = v->lift_value * o->customers;
    v->relative_increase = v->value > 0 ? v->lifted_value / v->value - 1.0 : NAN;
}

/* CLV of a customer paying m at the start of every period survived. */
static double geometric_clv(double m, double d, double r)
{
    return m * (1.0 + d) / (1.0 + d - r);
}

static int geometric(retain_retention_value *v, retain_engine *e,
                     const retain_economics_options *o)
{
    int rc = check_common(e, o);
    if (rc || (rc = check_number(e, "retention", o->retention, 0, false, 1.0,
                                 " (share of customers who stay one more period)")) ||
        (rc = check_lifted(e, o->retention, o->lift)))
        return rc;
    unsigned int version = v->version;
    memset(v, 0, sizeof *v);
    v->version = version;
    v->retention = o->retention;
    v->lifted_retention = o->retention + o->lift;
    v->value = geometric_clv(o->margin, o->discount_rate, v->retention);
    v->lifted_value = geometric_clv(o->margin, o->discount_rate, v->lifted_retention);
    v->expected_lifetime = 1.0 / (1.0 - v->retention);
    v->lifted_expected_lifetime = 1.0 / (1.0 - v->lifted_retention);
    v->expected_purchases = NAN;
    v->lifted_expected_purchases = NAN;
    finish(v, o);
    return RETAIN_OK;
}

int retain_retention_economics(retain_retention_value *out, retain_engine *e,
                               const retain_economics_options *opts)
{
    RT_ENGINE_GUARD(e);
    int rc = check_out(e, out);
    return rc ? rc : geometric(out, e, opts);
}

/* ---- model-based ---- */

#define MAX_PERIODS 100000

static int model_error(retain_engine *e, int rc, const retain_diag *d)
{
    return rc == RETAIN_ENOMEM ? rt_nomem(e) : rt_error(e, rc, "%s", d->message);
}

/* The period length in the model's own unit. */
static int period_in_model_unit(retain_engine *e, const retain_model *m,
                                const retain_economics_options *o, double *L)
{
    if (!isfinite(o->period_length) || o->period_length <= 0)
        return rt_error(e, RETAIN_EINVAL, "opts->period_length is %g; it must be > 0",
                        o->period_length);
    if (o->periods < 1 || o->periods > MAX_PERIODS)
        return rt_error(e, RETAIN_EINVAL, "opts->periods is %d; it must be 1 to %d",
                        o->periods, MAX_PERIODS);
    if (m->kind == RETAIN_MODEL_BGBB) {
        if (o->period_unit != RETAIN_UNIT_PERIOD || floor(o->period_length) != o->period_length)
            return rt_error(e, RETAIN_EINVAL,
                            "a bgbb model counts whole opportunities: set opts->period_unit to "
                            "RETAIN_UNIT_PERIOD and opts->period_length to a whole number");
        *L = o->period_length;
        return RETAIN_OK;
    }
    if (o->period_unit != RETAIN_UNIT_DAY && o->period_unit != RETAIN_UNIT_WEEK)
        return rt_error(e, RETAIN_EINVAL,
                        "opts->period_unit is %d; use RETAIN_UNIT_DAY or RETAIN_UNIT_WEEK",
                        (int)o->period_unit);
    double f = 1.0;
    if (o->period_unit == RETAIN_UNIT_DAY && m->unit == RETAIN_UNIT_WEEK)
        f = 1.0 / 7.0;
    else if (o->period_unit == RETAIN_UNIT_WEEK && m->unit == RETAIN_UNIT_DAY)
        f = 7.0;
    *L = o->period_length * f;
    return RETAIN_OK;
}

/*
 * The model's retention, and a copy of the model whose retention is lifted:
 * the mean of the dropout distribution moves, its spread stays.
 */
static int lift_model(retain_engine *e, const retain_model *m, double L, double lift,
                      double *r, retain_model *lifted)
{
    double p[4];
    memcpy(p, m->param.v, sizeof p);
    double k;
    int rc;
    switch (m->kind) {
    case RETAIN_MODEL_BGNBD:
    case RETAIN_MODEL_MBGNBD:
    case RETAIN_MODEL_BGBB:
        /* dropout ~ Beta(p[2], p[3]); retention is 1 - its mean */
        k = p[2] + p[3];
        *r = p[3] / k;
        if ((rc = check_lifted(e, *r, lift)))
            return rc;
        p[2] = (1.0 - (*r + lift)) * k;
        p[3] = (*r + lift) * k;
        break;
    case RETAIN_MODEL_PARETO_NBD: {
        /* dropout rate ~ Gamma(s, beta): survival over L is (beta/(beta+L))^s */
        *r = pow(p[3] / (p[3] + L), p[2]);
        if ((rc = check_lifted(e, *r, lift)))
            return rc;
        double q = pow(*r + lift, 1.0 / p[2]);
        p[3] = L * q / (1.0 - q);
        break;
    }
    default:
        return rt_error(e, RETAIN_EINTERNAL, "unexpected model kind %d", (int)m->kind);
    }
    retain_diag d;
    rc = retain_model_init(lifted, m->kind, m->unit, p, &d);
    if (rc)
        return rt_error(e, rc, "the lifted model is not valid: %s", d.message);
    return RETAIN_OK;
}

/* Discounted margin of the repeat purchases over the horizon. */
static int model_value(retain_engine *e, const retain_model *m,
                       const retain_economics_options *o, double *value, double *purchases)
{
    size_t n = (size_t)o->periods;
    double *t = rt_malloc(&e->alloc, 2 * n * sizeof *t);
    if (!t)
        return rt_nomem(e);
    double *ex = t + n;
    for (size_t k = 0; k < n; k++)
        t[k] = (double)(k + 1) * o->period_length;
    retain_diag d;
    int rc = retain_model_expected(ex, m, t, n, o->period_unit, &d);
    if (rc) {
        rt_free(&e->alloc, t);
        return model_error(e, rc, &d);
    }
    double sum = 0, prev = 0, disc = 1;
    for (size_t k = 0; k < n; k++) {
        disc /= 1.0 + o->discount_rate;
        sum += (ex[k] - prev) * disc;
        prev = ex[k];
    }
    *value = o->margin * sum;
    *purchases = prev;
    rt_free(&e->alloc, t);
    return RETAIN_OK;
}

static int model_based(retain_retention_value *v, retain_engine *e, const retain_model *m,
                       const retain_economics_options *o, retain_model *lifted)
{
    int rc = check_common(e, o);
    if (rc)
        return rc;
    if (!m)
        return rt_error(e, RETAIN_EINVAL, "purchase is NULL");
    retain_model checked;
    retain_diag d;
    if ((rc = retain_model_init(&checked, m->kind, m->unit, m->param.v, &d)))
        return rt_error(e, rc, "purchase: %s", d.message);
    if (m->kind == RETAIN_MODEL_GAMMA_GAMMA)
        return rt_error(e, RETAIN_EINVAL,
                        "a gamma_gamma model predicts spend, not purchases; give a bgnbd, "
                        "mbgnbd, pareto_nbd or bgbb model (and its spend in opts->margin)");
    double L = 0;
    unsigned int version = v->version;
    memset(v, 0, sizeof *v);
    v->version = version;
    if ((rc = period_in_model_unit(e, &checked, o, &L)) ||
        (rc = lift_model(e, &checked, L, o->lift, &v->retention, lifted)) ||
        (rc = model_value(e, &checked, o, &v->value, &v->expected_purchases)) ||
        (rc = model_value(e, lifted, o, &v->lifted_value, &v->lifted_expected_purchases)))
        return rc;
    v->lifted_retention = v->retention + o->lift;
    v->expected_lifetime = NAN;
    v->lifted_expected_lifetime = NAN;
    finish(v, o);
    return RETAIN_OK;
}

int retain_retention_economics_model(retain_retention_value *out, retain_engine *e,
                                     const retain_model *purchase,
                                     const retain_economics_options *opts)
{
    RT_ENGINE_GUARD(e);
    int rc = check_out(e, out);
    retain_model lifted;
    return rc ? rc : model_based(out, e, purchase, opts, &lifted);
}

/* ---- JSON ---- */

static void put(rt_buf *b, const char *key, double v)
{
    rt_mjson_key(b, key, false);
    rt_mjson_num(b, v);
}

static void value_json(rt_buf *b, const retain_retention_value *v,
                       const retain_economics_options *o)
{
    rt_buf_puts(b, ",\"assumptions\":{\"margin\":");
    rt_mjson_num(b, o->margin);
    put(b, "discount_rate", o->discount_rate);
    put(b, "lift", o->lift);
    put(b, "customers", o->customers);
    rt_buf_putc(b, '}');
    put(b, "retention", v->retention);
    put(b, "lifted_retention", v->lifted_retention);
    put(b, "value", v->value);
    put(b, "lifted_value", v->lifted_value);
    put(b, "lift_value", v->lift_value);
    put(b, "total_lift_value", v->total_lift_value);
    put(b, "relative_increase", v->relative_increase);
    put(b, "expected_lifetime", v->expected_lifetime);
    put(b, "lifted_expected_lifetime", v->lifted_expected_lifetime);
    put(b, "expected_purchases", v->expected_purchases);
    put(b, "lifted_expected_purchases", v->lifted_expected_purchases);
    rt_buf_putc(b, '}');
}

int retain_retention_economics_json(char **out, retain_engine *e,
                                    const retain_economics_options *opts)
{
    RT_ENGINE_GUARD(e);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    retain_retention_value v = RETAIN_RETENTION_VALUE_INIT;
    int rc = geometric(&v, e, opts);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"method\":\"geometric\"");
    value_json(&b, &v, opts);
    return rt_mjson_finish(e, &b, out);
}

static void params_json(rt_buf *b, const char *key, const retain_model *m)
{
    rt_mjson_key(b, key, false);
    rt_buf_putc(b, '[');
    for (int i = 0; i < retain_model_param_count(m->kind); i++) {
        if (i)
            rt_buf_putc(b, ',');
        rt_mjson_num(b, m->param.v[i]);
    }
    rt_buf_putc(b, ']');
}

int retain_retention_economics_model_json(char **out, retain_engine *e,
                                          const retain_model *purchase,
                                          const retain_economics_options *opts)
{
    RT_ENGINE_GUARD(e);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL");
    *out = NULL;
    retain_retention_value v = RETAIN_RETENTION_VALUE_INIT;
    retain_model lifted;
    int rc = model_based(&v, e, purchase, opts, &lifted);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_printf(&b, "{\"method\":\"model\",\"model\":\"%s\"",
                  retain_model_kind_name(purchase->kind));
    params_json(&b, "params", purchase);
    params_json(&b, "lifted_params", &lifted);
    put(&b, "period_length", opts->period_length);
    rt_buf_printf(&b, ",\"period_unit\":\"%s\",\"periods\":%d",
                  opts->period_unit == RETAIN_UNIT_WEEK   ? "week"
                  : opts->period_unit == RETAIN_UNIT_DAY  ? "day"
                                                          : "period",
                  opts->periods);
    value_json(&b, &v, opts);
    return rt_mjson_finish(e, &b, out);
}

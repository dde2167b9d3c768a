/*
 * dual.h - forward-mode automatic differentiation with four tangents.
 *
 * The Pareto/NBD likelihood goes through a hypergeometric continued fraction
 * whose parameter derivatives have no convenient closed form; carrying the
 * derivatives along with the value (dual numbers) gives gradients exact to
 * rounding instead of finite-difference estimates.
 */
#ifndef RT_MODEL_DUAL_H
#define RT_MODEL_DUAL_H

#include <math.h>

#include "special.h"

#define RT_ND 4

typedef struct rt_dual {
    double v;
    double d[RT_ND];
} rt_dual;

static inline rt_dual rd_const(double v)
{
    rt_dual r = { v, { 0, 0, 0, 0 } };
    return r;
}

/* A variable: tangent 1 in direction i. */
static inline rt_dual rd_var(double v, int i)
{
    rt_dual r = rd_const(v);
    r.d[i] = 1.0;
    return r;
}

/* The value f(a.v) with derivative f'(a.v) applied to every tangent. */
static inline rt_dual rd_chain(double f, double df, rt_dual a)
{
    rt_dual r;
    r.v = f;
    for (int i = 0; i < RT_ND; i++)
        r.d[i] = df * a.d[i];
    return r;
}

static inline rt_dual rd_add(rt_dual a, rt_dual b)
{
    for (int i = 0; i < RT_ND; i++)
        a.d[i] += b.d[i];
    a.v += b.v;
    return a;
}

static inline rt_dual rd_sub(rt_dual a, rt_dual b)
{
    for (int i = 0; i < RT_ND; i++)
        a.d[i] -= b.d[i];
    a.v -= b.v;
    return a;
}

static inline rt_dual rd_addc(rt_dual a, double c)
{
    a.v += c;
    return a;
}

static inline rt_dual rd_scale(rt_dual a, double c)
{
    for (int i = 0; i < RT_ND; i++)
        a.d[i] *= c;
    a.v *= c;
    return a;
}

static inline rt_dual rd_mul(rt_dual a, rt_dual b)
{
    rt_dual r;
    r.v = a.v * b.v;
    for (int i = 0; i < RT_ND; i++)
        r.d[i] = a.d[i] * b.v + a.v * b.d[i];
    return r;
}

static inline rt_dual rd_div(rt_dual a, rt_dual b)
{
    rt_dual r;
    r.v = a.v / b.v;
    for (int i = 0; i < RT_ND; i++)
        r.d[i] = (a.d[i] - r.v * b.d[i]) / b.v;
    return r;
}

static inline rt_dual rd_inv(rt_dual a)
{
    return rd_chain(1.0 / a.v, -1.0 / (a.v * a.v), a);
}

static inline rt_dual rd_log(rt_dual a)
{
    return rd_chain(log(a.v), 1.0 / a.v, a);
}

static inline rt_dual rd_log1p(rt_dual a)
{
    return rd_chain(log1p(a.v), 1.0 / (1.0 + a.v), a);
}

static inline rt_dual rd_exp(rt_dual a)
{
    double e = exp(a.v);
    return rd_chain(e, e, a);
}

static inline rt_dual rd_lgamma(rt_dual a)
{
    return rd_chain(rt_lgamma(a.v), rt_digamma(a.v), a);
}

/* log(exp(a) + exp(b)) */
static inline rt_dual rd_logaddexp(rt_dual a, rt_dual b)
{
    if (a.v < b.v) {
        rt_dual t = a;
        a = b;
        b = t;
    }
    if (b.v == -INFINITY)
        return a;
    double e = exp(b.v - a.v); /* <= 1 */
    double wb = e / (1.0 + e), wa = 1.0 - wb;
    rt_dual r;
    r.v = a.v + log1p(e);
    for (int i = 0; i < RT_ND; i++)
        r.d[i] = wa * a.d[i] + wb * b.d[i];
    return r;
}

/* log(exp(a) - exp(b)) for a > b. */
static inline rt_dual rd_logsubexp(rt_dual a, rt_dual b)
{
    double e = exp(b.v - a.v); /* < 1 */
    double om = -expm1(b.v - a.v); /* 1 - e, accurately */
    rt_dual r;
    r.v = a.v + log(om);
    for (int i = 0; i < RT_ND; i++)
        r.d[i] = (a.d[i] - e * b.d[i]) / om;
    return r;
}

#endif

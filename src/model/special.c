/*
 * special.c - special functions for the customer-base models; see special.h.
 * Everything works in log space where a product could overflow, and every
 * difference that could cancel is rewritten so that it does not.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* lgamma_r */
#endif
#include "special.h"

#include <float.h>
#include <math.h>

#include "dual.h"

double rt_lgamma(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

/* Coefficients of the Stirling series lgamma(z) - [(z-1/2)ln z - z + ln(2 pi)/2]
 * = sum c_k z^-(2k+1); six terms are exact to double precision for z >= 15. */
static const double stirling[6] = {
    1.0 / 12.0, -1.0 / 360.0, 1.0 / 1260.0, -1.0 / 1680.0, 1.0 / 1188.0, -691.0 / 360360.0,
};

#define STIRLING_MIN 15.0

double rt_log1p_ratio(double u)
{
    if (fabs(u) < 1e-4)
        return 1.0 + u * (-0.5 + u * (1.0 / 3.0 + u * (-0.25)));
    return log1p(u) / u;
}

/* (S(z1) - S(z0)) / (z1 - z0) for the Stirling remainder S, z0, z1 >= 15;
 * the derivative S'(z0) when z1 == z0. With u = 1/z1, v = 1/z0:
 * (z1^-p - z0^-p)/(z1 - z0) = -u v h_{p-1}(u, v), where h_k = sum_j u^j v^(k-j)
 * obeys h_k = u h_{k-1} + v^k. */
static double stirling_divdiff(double z0, double z1)
{
    double u = 1.0 / z1, v = 1.0 / z0;
    double h = 1.0, vk = 1.0, sum = 0.0;
    for (int k = 1; k <= 11; k++) {
        vk *= v;
        h = u * h + vk;
        if (k % 2 == 0) /* p = k + 1 odd */
            sum -= stirling[k / 2] * h;
    }
    return (sum - stirling[0]) * u * v;
}

double rt_lgamma_ratio(double y, double e)
{
    if (fabs(e) > 16.0 && fabs(e) > 0.25 * y)
        return (rt_lgamma(y + e) - rt_lgamma(y)) / e; /* nothing to cancel */
    /* Walk y up to where the Stirling series is exact. The walk contributes
     * sum_k [ln(y+k+e) - ln(y+k)] / e = log(P) / e, P = prod (1 + e/(y+k));
     * D = P - 1 is accumulated directly (D' = D + u + D u, no cancellation
     * whatever the sign of e) so that one log1p serves every step. */
    double lo = e < 0 ? y + e : y;
    double D = 0.0, inv = 0.0;
    while (lo < STIRLING_MIN) {
        double u = e / y;
        D += u + D * u;
        inv += 1.0 / y;
        y += 1.0;
        lo += 1.0;
    }
    double shift = e == 0.0 ? inv : log1p(D) / e;
    double u = e / y;
    double main = (y - 0.5) / y * rt_log1p_ratio(u) + log(y + e) - 1.0;
    return main + stirling_divdiff(y, y + e) - shift;
}

double rt_digamma(double x)
{
    /* recurrence up to 10, then the asymptotic series (error < 1e-17) */
    double r = 0.0;
    while (x < 10.0) {
        r -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    double t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 +
               f * (691.0 / 32760 + f * (-1.0 / 12)))))));
    return r + log(x) - 0.5 / x + t;
}

double rt_lgamma_delta(double y, double e)
{
    if (e == 0.0)
        return 0.0;
    if (fabs(e) > 0.25 * y && fabs(e) > 8.0)
        return rt_lgamma(y + e) - rt_lgamma(y);
    return e * rt_lgamma_ratio(y, e);
}

double rt_lbeta(double a, double b)
{
    double lo = a < b ? a : b, hi = a < b ? b : a;
    /* lgamma(lo) + lgamma(hi) - lgamma(hi + lo) */
    return rt_lgamma(lo) - rt_lgamma_delta(hi, lo);
}

double rt_log1pexp(double x)
{
    if (x > 0)
        return x + log1p(exp(-x));
    return log1p(exp(x));
}

double rt_logaddexp(double a, double b)
{
    if (a < b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b == -INFINITY)
        return a;
    return a + log1p(exp(b - a));
}

double rt_logsubexp(double a, double b)
{
    if (b == -INFINITY)
        return a;
    if (a == b)
        return -INFINITY;
    double d = b - a; /* < 0 */
    /* log(1 - e^d): expm1 near 0, log1p far from it */
    return a + (d > -M_LN2 ? log(-expm1(d)) : log1p(-exp(d)));
}

double rt_one_minus_exp_ratio(double u, double L)
{
    double x = u * L;
    if (fabs(x) < 1e-8)
        return L * (1.0 - 0.5 * x);
    return -expm1(-x) / u;
}

/* ---- 2F1(1, b; c; z) ---------------------------------------------------- */

#define HYP_EPS 1e-16
#define HYP_MAX_TERMS 200000

/* Gauss's continued fraction for 2F1(a+1, b; c+1; z)/2F1(a, b; c; z) taken
 * at a = 0, where the denominator is 1:
 *   2F1(1, B; C; z) = 1/(1 + k1 z/(1 + k2 z/(1 + ...)))
 *   k_{2i+1} = -(C-1+i)(B+i)/((C-1+2i)(C+2i)),  k_1 = -B/C
 *   k_{2i+2} = (B-C-i)(i+1)/((C+2i)(C+2i+1))
 * With B < C every k is negative; evaluated by the modified Lentz method. */
static int hyp_cf(rt_dual *out, const rt_dual *B, const rt_dual *C, const rt_dual *z)
{
    const double tiny = 1e-300;
    rt_dual g = rd_const(1.0), Cl = rd_const(1.0), D = rd_const(0.0);
    int settled = 0;
    for (int j = 1; j < HYP_MAX_TERMS; j++) {
        rt_dual k;
        if (j == 1) {
            k = rd_scale(rd_div(*B, *C), -1.0);
        } else if (j & 1) {
            int i = (j - 1) / 2;
            rt_dual num = rd_mul(rd_addc(*C, i - 1.0), rd_addc(*B, i));
            rt_dual den = rd_mul(rd_addc(*C, 2.0 * i - 1.0), rd_addc(*C, 2.0 * i));
            k = rd_scale(rd_div(num, den), -1.0);
        } else {
            int i = (j - 2) / 2;
            rt_dual num = rd_scale(rd_sub(rd_addc(*B, -(double)i), *C), i + 1.0);
            rt_dual den = rd_mul(rd_addc(*C, 2.0 * i), rd_addc(*C, 2.0 * i + 1.0));
            k = rd_div(num, den);
        }
        rt_dual d = rd_mul(k, *z);
        D = rd_mul(d, D); /* two steps: gcc 12's analyzer loses a temporary passed on */
        D.v += 1.0;
        if (fabs(D.v) < tiny)
            D.v = tiny;
        D = rd_inv(D);
        Cl = rd_div(d, Cl);
        Cl.v += 1.0;
        if (fabs(Cl.v) < tiny)
            Cl.v = tiny;
        rt_dual delta = rd_mul(Cl, D);
        g = rd_mul(g, delta);
        /* Run a few steps past value convergence so the tangents settle too. */
        if (fabs(delta.v - 1.0) < HYP_EPS) {
            if (++settled >= 3) {
                *out = rd_scale(rd_log(g), -1.0);
                return 0;
            }
        } else {
            settled = 0;
        }
    }
    return -1;
}

int rt_log_hyp2f1_1bc(rt_dual *out, const rt_dual *b, const rt_dual *c, const rt_dual *z)
{
    if (z->v == 0.0) {
        *out = rd_const(0.0);
        return 0;
    }
    if (z->v <= 0.5) {
        /* Power series: terms t_{n+1} = t_n (b+n)/(c+n) z, positive and
         * shrinking by at least z, so the tail after t_n is below
         * t_n z/(1 - z). */
        rt_dual sum = rd_const(1.0), term = rd_const(1.0);
        for (int n = 0; n < HYP_MAX_TERMS; n++) {
            rt_dual ratio = rd_mul(rd_div(rd_addc(*b, n), rd_addc(*c, n)), *z);
            term = rd_mul(term, ratio);
            sum = rd_add(sum, term);
            if (term.v * z->v < HYP_EPS * (1.0 - z->v) * sum.v) {
                *out = rd_log(sum);
                return 0;
            }
        }
        return -1;
    }
    return hyp_cf(out, b, c, z);
}

/* ---- incomplete beta ---------------------------------------------------- */

/* Continued fraction of I_x(a, b) (Numerical Recipes' betacf), modified
 * Lentz; converges quickly for x < (a + 1)/(a + b + 2). */
/* One step of the modified Lentz method with partial numerator aa (and
 * partial denominator 1); returns the factor for the running value. */
static double lentz_step(double *c, double *d, double aa)
{
    const double tiny = 1e-300;
    *d = 1.0 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1.0 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1.0 / *d;
    return *d * *c;
}

static double betacf(double x, double a, double b)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    /* I = front / (1 + d1/(1 + d2/(1 + ...))): start at 1/(1 + d1) */
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < 1e-300)
        d = 1e-300;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 100000; m++) {
        int m2 = 2 * m;
        h *= lentz_step(&c, &d, m * (b - m) * x / ((qam + m2) * (a + m2)));
        double del = lentz_step(&c, &d, -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= del;
        if (fabs(del - 1.0) < 1e-16)
            return h;
    }
    return NAN;
}

double rt_log_ibeta(double x, double y, double a, double b, int upper)
{
    if (x <= 0.0)
        return upper ? 0.0 : -INFINITY;
    if (y <= 0.0)
        return upper ? -INFINITY : 0.0;
    double lx = log(x), ly = log(y), lb = rt_lbeta(a, b);
    if (x < (a + 1.0) / (a + b + 2.0)) {
        double li = a * lx + b * ly - lb - log(a) + log(betacf(x, a, b));
        return upper ? rt_logsubexp(0.0, li) : li;
    }
    double lj = b * ly + a * lx - lb - log(b) + log(betacf(y, b, a));
    return upper ? lj : rt_logsubexp(0.0, lj);
}

/* ---- adaptive Gauss-Kronrod --------------------------------------------- */

static const double gk_x[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
};
static const double gk_wk[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
};
/* 7-point Gauss weights at gk_x[1], gk_x[3], gk_x[5], gk_x[7] */
static const double gk_wg[4] = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
};

typedef struct gk_interval {
    double a, b, value, err;
} gk_interval;

static void gk15(gk_interval *iv, rt_integrand f, void *ctx)
{
    double c = 0.5 * (iv->a + iv->b), h = 0.5 * (iv->b - iv->a);
    double fc = f(c, ctx);
    double k = fc * gk_wk[7], g = fc * gk_wg[3];
    for (int j = 0; j < 7; j++) {
        double dx = h * gk_x[j];
        double f1 = f(c - dx, ctx), f2 = f(c + dx, ctx);
        k += gk_wk[j] * (f1 + f2);
        if (j & 1)
            g += gk_wg[j / 2] * (f1 + f2);
    }
    iv->value = k * h;
    iv->err = fabs((k - g) * h);
}

#define GK_MAX 500

int rt_integrate(double *out, rt_integrand f, void *ctx, double a, double b,
                 double rel, double abs_tol)
{
    gk_interval iv[GK_MAX];
    int n = 1;
    iv[0].a = a;
    iv[0].b = b;
    gk15(&iv[0], f, ctx);
    for (;;) {
        double total = 0.0, err = 0.0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            total += iv[i].value;
            err += iv[i].err;
            if (iv[i].err > iv[worst].err)
                worst = i;
        }
        *out = total;
        if (!(err > abs_tol && err > rel * fabs(total)))
            return isfinite(total) ? 0 : -1;
        if (n == GK_MAX || !isfinite(total))
            return -1;
        double mid = 0.5 * (iv[worst].a + iv[worst].b);
        if (!(mid > iv[worst].a && mid < iv[worst].b))
            return -1; /* interval too small to split */
        iv[n].a = mid;
        iv[n].b = iv[worst].b;
        iv[worst].b = mid;
        gk15(&iv[worst], f, ctx);
        gk15(&iv[n], f, ctx);
        n++;
    }
}

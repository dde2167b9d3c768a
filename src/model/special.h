/*
 * special.h - special functions for the customer-base models, all for
 * positive arguments and all thread-safe: log-gamma and friends, stable
 * log-space arithmetic, the Gauss hypergeometric 2F1(1, b; c; z), the
 * regularized incomplete beta function and an adaptive quadrature.
 */
#ifndef RT_MODEL_SPECIAL_H
#define RT_MODEL_SPECIAL_H

#include <stddef.h>

struct rt_dual;

/* log Gamma(x) for x > 0 (thread-safe: no signgam). */
double rt_lgamma(double x);
/* digamma psi(x) for x > 0. */
double rt_digamma(double x);
/*
 * (lgamma(y + e) - lgamma(y)) / e for y > 0, y + e > 0, accurate when e is
 * tiny or y huge (no cancellation); psi(y) when e == 0.
 */
double rt_lgamma_ratio(double y, double e);
/* lgamma(y + e) - lgamma(y), accurately. */
double rt_lgamma_delta(double y, double e);
/* log Beta(a, b), accurate when one argument is much larger. */
double rt_lbeta(double a, double b);

/* log(1 + exp(x)) without overflow. */
double rt_log1pexp(double x);
/* log(exp(a) + exp(b)). */
double rt_logaddexp(double a, double b);
/* log(exp(a) - exp(b)), a >= b; -inf when a == b. */
double rt_logsubexp(double a, double b);
/* log(1 + u) / u, = 1 at u == 0. */
double rt_log1p_ratio(double u);
/* (1 - exp(-u * L)) / u, = L at u == 0; the limit is taken smoothly. */
double rt_one_minus_exp_ratio(double u, double L);

/*
 * log 2F1(1, b; c; z) for 0 < b < c and 0 <= z < 1, with derivatives
 * carried through the dual numbers. A power series for small z and Gauss's
 * continued fraction (all partial numerators of one sign, so it converges in
 * the whole interval) near 1. Returns 0, or -1 if it did not converge.
 */
int rt_log_hyp2f1_1bc(struct rt_dual *out, const struct rt_dual *b,
                      const struct rt_dual *c, const struct rt_dual *z);

/*
 * log of the regularized incomplete beta I_x(a, b) (upper == 0) or of its
 * complement 1 - I_x(a, b) (upper != 0). y must be 1 - x, passed separately
 * so that callers keep the precision of a small 1 - x. Returns NaN when the
 * continued fraction fails.
 */
double rt_log_ibeta(double x, double y, double a, double b, int upper);

/* An integrand for rt_integrate(). */
typedef double (*rt_integrand)(double x, void *ctx);

/*
 * Adaptive 15-point Gauss-Kronrod quadrature of f over [a, b] to relative
 * tolerance rel (absolute abs_tol). No allocation: at most 500 intervals.
 * Returns 0 when the error estimate met the tolerance, -1 otherwise
 * (*out is then the best estimate).
 */
int rt_integrate(double *out, rt_integrand f, void *ctx, double a, double b,
                 double rel, double abs_tol);

#endif

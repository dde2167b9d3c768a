/*
 * bgbb.c - BG/BB for discrete opportunities (Fader, Hardie & Shang 2010):
 * likelihood with analytic gradient, and predictions.
 *
 * A customer with x transactions in n opportunities, the last at t_x:
 *   L = B(a+x, b+n-x)/B(a,b) B(g, d+n)/B(g,d)
 *     + sum_{i=0}^{n-t_x-1} B(a+x, b+t_x-x+i)/B(a,b) B(g+1, d+t_x+i)/B(g,d)
 * (alpha, beta, gamma, delta written a, b, g, d), summed in log space.
 */
#include <math.h>

#include "model.h"
#include "special.h"

/* Running log-sum-exp with the gradient of the sum. */
typedef struct lse {
    double m, s, g[4];
} lse;

static void lse_add(lse *e, double v, const double *g)
{
    if (v == -INFINITY)
        return;
    if (v > e->m) {
        double sc = e->s > 0 ? exp(e->m - v) : 0.0;
        e->s *= sc;
        for (int k = 0; k < 4; k++)
            e->g[k] *= sc;
        e->m = v;
    }
    double w = exp(v - e->m);
    e->s += w;
    for (int k = 0; k < 4; k++)
        e->g[k] += w * g[k];
}

/* Log-likelihood of one row and d/d(alpha, beta, gamma, delta). */
static double row_ll(const double *p, double x, double tx, double n, double *grad)
{
    double a = p[0], b = p[1], g = p[2], d = p[3];
    double lbab = rt_lbeta(a, b), lbgd = rt_lbeta(g, d);
    double pab = rt_digamma(a + b), pgd = rt_digamma(g + d);
    double da0 = rt_digamma(a) - pab, db0 = rt_digamma(b) - pab;
    double dg0 = rt_digamma(g) - pgd, dd0 = rt_digamma(d) - pgd;
    double psi_ax = rt_digamma(a + x);
    lse e = { -INFINITY, 0.0, { 0, 0, 0, 0 } };

    /* alive through all n opportunities */
    double v = rt_lbeta(a + x, b + n - x) - lbab + rt_lbeta(g, d + n) - lbgd;
    double gv[4];
    double pabn = rt_digamma(a + b + n), pgdn = rt_digamma(g + d + n);
    gv[0] = psi_ax - pabn - da0;
    gv[1] = rt_digamma(b + n - x) - pabn - db0;
    gv[2] = pgd - pgdn;
    gv[3] = rt_digamma(d + n) - pgdn - dd0;
    lse_add(&e, v, gv);

    /* dropped out after opportunity k = t_x + i; lgamma and digamma of the
     * k-dependent arguments advance by recurrence */
    if (tx < n) {
        double k = tx;
        double lgb = rt_lgamma(b + k - x) - rt_lgamma(a + b + k);
        double lgd = rt_lgamma(d + k) - rt_lgamma(g + d + 1.0 + k);
        double pb = rt_digamma(b + k - x), pabk = rt_digamma(a + b + k);
        double pd = rt_digamma(d + k), pgdk = rt_digamma(g + d + 1.0 + k);
        double base = rt_lgamma(a + x) - lbab + rt_lgamma(g + 1.0) - lbgd;
        double pg1 = rt_digamma(g + 1.0);
        for (; k < n; k += 1.0) {
            v = base + lgb + lgd;
            gv[0] = psi_ax - pabk - da0;
            gv[1] = pb - pabk - db0;
            gv[2] = pg1 - pgdk - dg0;
            gv[3] = pd - pgdk - dd0;
            lse_add(&e, v, gv);
            lgb += log(b + k - x) - log(a + b + k);
            lgd += log(d + k) - log(g + d + 1.0 + k);
            pb += 1.0 / (b + k - x);
            pabk += 1.0 / (a + b + k);
            pd += 1.0 / (d + k);
            pgdk += 1.0 / (g + d + 1.0 + k);
        }
    }
    if (grad)
        for (int k = 0; k < 4; k++)
            grad[k] = e.g[k] / e.s;
    return e.m + log(e.s);
}

double rt_bgbb_ll(const double *p, const rt_rows *rw, double *grad, double *row_lls)
{
    double total = 0.0, gt[4] = { 0, 0, 0, 0 }, gi[4];
    for (size_t i = 0; i < rw->n; i++) {
        double li = row_ll(p, rw->x[i], rw->tx[i], rw->T[i], gi);
        if (row_lls)
            row_lls[i] = li;
        total += rw->w[i] * li;
        for (int k = 0; k < 4; k++)
            gt[k] += rw->w[i] * gi[k];
    }
    if (grad)
        for (int k = 0; k < 4; k++)
            grad[k] = gt[k] * p[k];
    return total;
}

/*
 * sum_{t=n0+1}^{n1} B(g, d+t)/B(g, d)
 *   = d/(g-1) [R(n0) - R(n1)],  R(k) = Gamma(g+d) Gamma(1+d+k) / (Gamma(1+d) Gamma(g+d+k)),
 * written with lgamma ratios so that it stays exact through g = 1.
 */
static double survival_sum(double g, double d, double n0, double n1)
{
    double e = g - 1.0;
    double L0 = rt_lgamma_ratio(1.0 + d, e);
    double La = rt_lgamma_ratio(1.0 + d + n0, e), Lb = rt_lgamma_ratio(1.0 + d + n1, e);
    double rho = e * (L0 - La);
    return d * exp(rho) * rt_one_minus_exp_ratio(e, Lb - La);
}

double rt_bgbb_expected(const double *p, double n)
{
    return p[0] / (p[0] + p[1]) * survival_sum(p[2], p[3], 0.0, n);
}

double rt_bgbb_p_alive(const double *p, double x, double tx, double n)
{
    double a = p[0], b = p[1], g = p[2], d = p[3];
    double l = row_ll(p, x, tx, n, NULL);
    return exp(rt_lbeta(a + x, b + n - x) - rt_lbeta(a, b) + rt_lbeta(g, d + n + 1.0) -
               rt_lbeta(g, d) - l);
}

double rt_bgbb_cond(const double *p, double x, double tx, double n, double nstar)
{
    double a = p[0], b = p[1], g = p[2], d = p[3];
    double l = row_ll(p, x, tx, n, NULL);
    double lead = rt_lbeta(a + x + 1.0, b + n - x) - rt_lbeta(a, b) - l;
    return exp(lead) * survival_sum(g, d, n, n + nstar);
}

static double lchoose(double n, double k)
{
    return rt_lgamma(n + 1.0) - rt_lgamma(k + 1.0) - rt_lgamma(n - k + 1.0);
}

double rt_bgbb_pmf(const double *p, double n, double k)
{
    double a = p[0], b = p[1], g = p[2], d = p[3];
    if (k > n)
        return 0.0;
    double lbab = rt_lbeta(a, b), lbgd = rt_lbeta(g, d);
    double total = exp(lchoose(n, k) + rt_lbeta(a + k, b + n - k) - lbab + rt_lbeta(g, d + n) - lbgd);
    for (double i = k; i < n; i += 1.0)
        total += exp(lchoose(i, k) + rt_lbeta(a + k, b + i - k) - lbab + rt_lbeta(g + 1.0, d + i) - lbgd);
    return total;
}

/*
 * gammagamma.c - the Gamma-Gamma spend model (Fader, Hardie & Lee 2005,
 * "RFM and CLV: using iso-value curves"). Spend per transaction ~
 * Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; a customer with
 * x repeat transactions of mean m has density
 *   f(m | x) = Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q m^(px-1) x^(px)
 *              / (gamma + m x)^(px+q).
 */
#include <math.h>

#include "model.h"
#include "special.h"

double rt_gg_ll(const double *p, const rt_rows *rw, double *grad, double *row_ll)
{
    double pp = p[0], q = p[1], g = p[2];
    double lg = log(g), psi_q = rt_digamma(q), lgq = rt_lgamma(q);
    double total = 0.0, dp = 0.0, dq = 0.0, dgm = 0.0;
    double cur_x = -1.0, px = 0.0, psi_px = 0.0, psi_pxq = 0.0, lx = 0.0, lgd = 0.0;
    for (size_t i = 0; i < rw->n; i++) {
        double x = rw->x[i], m = rw->m[i], w = rw->w[i];
        if (x != cur_x) {
            cur_x = x;
            px = pp * x;
            lgd = rt_lgamma_delta(px, q); /* lgamma(px+q) - lgamma(px) */
            psi_px = rt_digamma(px);
            psi_pxq = rt_digamma(px + q);
            lx = log(x);
        }
        double lm = log(m), lgm = log(g + m * x);
        double li = lgd - lgq + q * lg + (px - 1.0) * lm + px * lx - (px + q) * lgm;
        if (row_ll)
            row_ll[i] = li;
        total += w * li;
        dp += w * x * (psi_pxq - psi_px + lm + lx - lgm);
        dq += w * (psi_pxq - psi_q + lg - lgm);
        dgm += w * (q / g - (px + q) / (g + m * x));
    }
    if (grad) {
        grad[0] = dp * pp;
        grad[1] = dq * q;
        grad[2] = dgm * g;
    }
    return total;
}

double rt_gg_expected_spend(const double *p, double x, double m)
{
    double pp = p[0], q = p[1], g = p[2];
    /* a weighted mean of the population mean p gamma/(q-1) and the
     * customer's own mean m: (p (gamma + x m)) / (p x + q - 1) */
    return pp * (g + x * m) / (pp * x + q - 1.0);
}

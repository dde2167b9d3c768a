/*
 * bgnbd.c - BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam,
 * Denizel & Filiztekin 2007): likelihood with analytic gradient, and
 * predictions. The two differ only in whether a customer may also drop out
 * right after the first purchase (MBG), so they share one code path.
 *
 * Per customer, with x repeat purchases, last at t_x, observed for T:
 *   BG:  L = B(a,b+x)/B(a,b) G(x) (alpha+T)^-(r+x)
 *          + [x>0] B(a+1,b+x-1)/B(a,b) G(x) (alpha+t_x)^-(r+x)
 *   MBG: L = B(a,b+x+1)/B(a,b) G(x) (alpha+T)^-(r+x)
 *          + B(a+1,b+x)/B(a,b) G(x) (alpha+t_x)^-(r+x)
 * with G(x) = Gamma(r+x) alpha^r / Gamma(r). Both are evaluated as
 *   log L = g(x) + r log alpha - (r+x) log(alpha+T) + log1p(exp(D)),
 *   D = log a - log(b+x-1 | b+x) + (r+x) (log(alpha+T) - log(alpha+t_x)),
 * so nothing overflows for any x.
 */
#include <math.h>

#include "model.h"
#include "special.h"

/* Terms of one customer that depend on x only, and their derivatives. */
typedef struct xterms {
    double g;          /* log-gamma and log-beta part */
    double gr, ga, gb; /* dg/dr, dg/da, dg/db */
    double la;         /* log a - log(b + x - 1) (BG) or log a - log(b + x) (MBG) */
    double lab;        /* d la / db */
    int mix;           /* the second term is present */
} xterms;

static xterms x_terms(double r, double a, double b, double x, int mbg)
{
    xterms t;
    double bx = mbg ? b + x + 1.0 : b + x; /* b + x, shifted by one for MBG */
    /* lgamma(r+x) - lgamma(r) + [lgamma(bx) - lgamma(b)] - [lgamma(a+bx) - lgamma(a+b)]
     * = lgd(r, x) - lgd(bx, a) + lgd(b, a), which does not cancel for huge x */
    t.g = rt_lgamma_delta(r, x) - rt_lgamma_delta(bx, a) + rt_lgamma_delta(b, a);
    double psi_ab = rt_digamma(a + b), psi_abx = rt_digamma(a + bx);
    t.gr = x > 0 ? rt_digamma(r + x) - rt_digamma(r) : 0.0;
    t.ga = psi_ab - psi_abx;
    t.gb = (bx - b > 0 ? rt_digamma(bx) - rt_digamma(b) : 0.0) + psi_ab - psi_abx;
    t.mix = mbg || x > 0;
    double den = mbg ? b + x : b + x - 1.0;
    t.la = t.mix ? log(a) - log(den) : 0.0;
    t.lab = t.mix ? -1.0 / den : 0.0;
    return t;
}

double rt_bgnbd_ll(const double *p, const rt_rows *rw, int mbg, double *grad, double *row_ll,
                   double *scratch)
{
    double r = p[0], al = p[1], a = p[2], b = p[3];
    /* With few distinct times (daily or weekly data), log(alpha + t) and
     * 1/(alpha + t) are tabulated once per value; otherwise per row. */
    const double *L = scratch, *R = scratch + rw->nv;
    if (rw->vals) {
        for (size_t v = 0; v < rw->nv; v++) {
            scratch[v] = log(al + rw->vals[v]);
            scratch[rw->nv + v] = 1.0 / (al + rw->vals[v]);
        }
    }
    double lal = log(al);
    double ll = 0.0, dr = 0.0, dal = 0.0, da = 0.0, db = 0.0;
    xterms xt = { 0, 0, 0, 0, 0, 0, 0 };
    double cur_x = -1.0;
    for (size_t i = 0; i < rw->n; i++) {
        double x = rw->x[i], w = rw->w[i];
        if (x != cur_x) {
            xt = x_terms(r, a, b, x, mbg);
            cur_x = x;
        }
        double rx = r + x, LT, RT;
        if (rw->vals) {
            LT = L[rw->iT[i]];
            RT = R[rw->iT[i]];
        } else {
            LT = log(al + rw->T[i]);
            RT = 1.0 / (al + rw->T[i]);
        }
        double li = xt.g + r * lal - rx * LT;
        double gr = xt.gr + lal - LT, gal = r / al - rx * RT, ga = xt.ga, gb = xt.gb;
        if (xt.mix) {
            double Lt, Rt;
            if (rw->vals) {
                Lt = L[rw->itx[i]];
                Rt = R[rw->itx[i]];
            } else {
                Lt = log(al + rw->tx[i]);
                Rt = 1.0 / (al + rw->tx[i]);
            }
            double D = xt.la + rx * (LT - Lt);
            double e = exp(-fabs(D));
            double sig = D > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            li += (D > 0 ? D : 0.0) + log1p(e);
            gr += sig * (LT - Lt);
            gal += sig * rx * (RT - Rt);
            ga += sig / a;
            gb += sig * xt.lab;
        }
        if (row_ll)
            row_ll[i] = li;
        ll += w * li;
        dr += w * gr;
        dal += w * gal;
        da += w * ga;
        db += w * gb;
    }
    if (grad) {
        grad[0] = dr * r;
        grad[1] = dal * al;
        grad[2] = da * a;
        grad[3] = db * b;
    }
    return ll;
}

/* ---- predictions ---- */

/*
 * G(a, b, r, alpha, t) = E_{p ~ Beta(a,b)}[(1 - (1 + p t/alpha)^-r) / p], the
 * expected purchases of an alive-at-start customer over t. In closed form
 * (a+b-1)/(a-1) [1 - (1-z)^r 2F1(r, b; a+b-1; z)], z = t/(alpha+t), which is
 * 0/0 at a = 1 and at a + b = 1. After Euler's transformation and taking
 * the n = 0 term apart it becomes
 *   G = (a+b-1) P - (1-z)^(a-1) S,  P = (1 - (1-z)^(a-1)) / (a-1),
 *   S = sum_{n>=1} (a+b-1-r)_n (a)_{n-1} / ((a+b)_{n-1} n!) z^n,
 * with no singular point. The series slows down as z -> 1; past that a
 * quadrature over p takes over.
 */
static int G_series(double *out, double a, double b, double r, double z, double L1)
{
    double Ap = a + b - 1.0 - r;
    double term = Ap * z, sum = term;
    for (int n = 1; n < 20000; n++) {
        term *= (Ap + n) * (a + n - 1.0) / ((a + b + n - 1.0) * (n + 1.0)) * z;
        sum += term;
        if (n > fabs(Ap) + 2.0 && fabs(term) <= 1e-17 * fabs(sum) * (1.0 - z))
            break;
        if (n == 19999)
            return -1;
    }
    double P = rt_one_minus_exp_ratio(a - 1.0, L1); /* L1 = -log(1-z) */
    *out = (a + b - 1.0) * P - exp(-(a - 1.0) * L1) * sum;
    return 0;
}

typedef struct gq {
    double a, b, r, tau, lb;
    int right;
} gq;

/* (1 - (1 + p tau)^-r) / p, with its limit r tau at p = 0 */
static double h_of(double p, double r, double tau)
{
    double lp = log1p(p * tau);
    if (p * tau < 1e-300)
        return r * tau;
    return -expm1(-r * lp) / p;
}

/* Left half: p = u^(1/a); right half: 1 - p = v^(1/b). Both remove the
 * endpoint singularity of the Beta density. */
static double G_integrand(double u, void *vctx)
{
    const gq *q = vctx;
    if (!q->right) {
        double p = pow(u, 1.0 / q->a);
        return exp((q->b - 1.0) * log1p(-p) - q->lb) / q->a * h_of(p, q->r, q->tau);
    }
    double om = pow(u, 1.0 / q->b), p = 1.0 - om;
    return exp((q->a - 1.0) * log(p) - q->lb) / q->b * h_of(p, q->r, q->tau);
}

static int G_quad(double *out, double a, double b, double r, double tau)
{
    gq q = { a, b, r, tau, rt_lbeta(a, b), 0 };
    double left, right;
    int rc1 = rt_integrate(&left, G_integrand, &q, 0.0, pow(0.5, a), 1e-13, 0.0);
    q.right = 1;
    int rc2 = rt_integrate(&right, G_integrand, &q, 0.0, pow(0.5, b), 1e-13, 0.0);
    *out = left + right;
    return rc1 || rc2 ? -1 : 0;
}

double rt_bgnbd_G(double a, double b, double r, double alpha, double t, int method)
{
    if (t <= 0.0)
        return 0.0;
    double tau = t / alpha;
    double z = t / (alpha + t), L1 = log1p(tau);
    double g = NAN;
    if (method != 2 && (G_series(&g, a, b, r, z, L1) == 0 || method == 1))
        return g;
    if (G_quad(&g, a, b, r, tau) != 0 && !isfinite(g))
        return NAN;
    return g;
}

double rt_bgnbd_expected(const double *p, int mbg, double t)
{
    double r = p[0], al = p[1], a = p[2], b = p[3];
    if (!mbg)
        return rt_bgnbd_G(a, b, r, al, t, 0);
    /* MBG: only the share b/(a+b) that survives the first purchase buys again */
    return b / (a + b) * rt_bgnbd_G(a, b + 1.0, r, al, t, 0);
}

double rt_bgnbd_p_alive(const double *p, int mbg, double x, double tx, double T)
{
    if (!mbg && x == 0.0)
        return 1.0;
    /* 1 / (1 + odds of being dead). pow() overflowing to +inf gives 0 and
     * underflowing gives 1, both exact limits, so no log space is needed:
     * this is the hot path of scoring millions of customers. */
    double r = p[0], al = p[1], a = p[2], b = p[3];
    double den = mbg ? b + x : b + x - 1.0;
    double odds = a / den * pow((al + T) / (al + tx), r + x);
    return 1.0 / (1.0 + odds);
}

double rt_bgnbd_cond(const double *p, int mbg, double x, double tx, double T, double t)
{
    double r = p[0], al = p[1], a = p[2], b = p[3];
    double pa = rt_bgnbd_p_alive(p, mbg, x, tx, T);
    return pa * rt_bgnbd_G(a, b + x + (mbg ? 1.0 : 0.0), r + x, al + T, t, 0);
}

double rt_bgnbd_pmf(const double *p, int mbg, double t, double k)
{
    double r = p[0], al = p[1], a = p[2], b = p[3];
    double lbab = rt_lbeta(a, b);
    double lq = log(t / (al + t)), l1q = log(al / (al + t));
    double lnb; /* log NBD(k; r, alpha, t) */
    if (t <= 0.0)
        lnb = k == 0.0 ? 0.0 : -INFINITY;
    else
        lnb = rt_lgamma_delta(r, k) - rt_lgamma(k + 1.0) + r * l1q + (k > 0 ? k * lq : 0.0);
    double first = rt_lbeta(a, b + k + (mbg ? 1.0 : 0.0)) - lbab + lnb;
    double total = exp(first);
    if (mbg || k > 0) {
        double ltail; /* log P(NBD >= k) */
        if (k == 0.0)
            ltail = 0.0;
        else if (t <= 0.0)
            ltail = -INFINITY;
        else
            ltail = rt_log_ibeta(t / (al + t), al / (al + t), k, r, 0);
        double second = rt_lbeta(a + 1.0, b + k - (mbg ? 0.0 : 1.0)) - lbab + ltail;
        total += exp(second);
    }
    return total;
}

/*
 * pareto.c - Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader &
 * Hardie 2005 notes): likelihood, gradient and predictions.
 *
 * Per customer (x, t_x, T), with purchase rate ~ Gamma(r, alpha) and
 * dropout rate ~ Gamma(s, beta):
 *   L = Gamma(r+x) alpha^r beta^s / Gamma(r)
 *       * [ (alpha+T)^-(r+x) (beta+T)^-s  +  s I ],
 *   I = int_{t_x}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy
 *     = [F(t_x) - F(T)] / (r+s+x),
 *   F(y) = (P+y)^-(r+s+x) 2F1(r+s+x, b; r+s+x+1; |alpha-beta|/(P+y)),
 * where P = max(alpha, beta) and b = s+1 when alpha >= beta, r+x otherwise
 * (the split keeps the argument in [0, 1)). The 2F1 goes through Euler's
 * transformation, 2F1(m, b; m+1; z) = (1-z)^(1-b) 2F1(1, m+1-b; m+1; z),
 * whose series has positive terms bounded by z^n, and is taken in log
 * space, so large x neither overflows nor loses the difference F(t_x) -
 * F(T) (a log-space subtraction). Derivatives come from dual numbers.
 */
#include <math.h>

#include "dual.h"
#include "model.h"
#include "special.h"

/* log of the first bracket term (A) and of s I (B); B = -inf when t_x = T.
 * Returns -1 if the hypergeometric function did not converge. */
static int pareto_parts(rt_dual *A, rt_dual *B, const rt_dual *pr, double x, double tx, double T)
{
    rt_dual r = pr[0], al = pr[1], s = pr[2], be = pr[3];
    rt_dual rx = rd_addc(r, x);
    *A = rd_sub(rd_scale(rd_mul(rx, rd_log(rd_addc(al, T))), -1.0),
                rd_mul(s, rd_log(rd_addc(be, T))));
    if (!(tx < T)) {
        *B = rd_const(-INFINITY);
        return 0;
    }
    rt_dual m = rd_add(rx, s);
    int ageb = al.v >= be.v;
    rt_dual P = ageb ? al : be, Q = ageb ? be : al;
    rt_dual bp = ageb ? rd_addc(s, 1.0) : rx;
    rt_dual d = rd_sub(P, Q);
    rt_dual b1 = rd_addc(rd_sub(m, bp), 1.0); /* m + 1 - b */
    rt_dual c1 = rd_addc(m, 1.0);
    rt_dual one_minus_bp = rd_scale(rd_addc(bp, -1.0), -1.0);
    rt_dual term[2] = { { 0, { 0 } }, { 0, { 0 } } }; /* the loop sets both */
    double ys[2] = { tx, T };
    for (int k = 0; k < 2; k++) {
        rt_dual Py = rd_addc(P, ys[k]), Qy = rd_addc(Q, ys[k]);
        rt_dual lPy = rd_log(Py);
        rt_dual z = rd_div(d, Py);
        rt_dual l1mz = rd_sub(rd_log(Qy), lPy);
        rt_dual lS;
        if (rt_log_hyp2f1_1bc(&lS, &b1, &c1, &z) != 0)
            return -1;
        term[k] = rd_add(rd_sub(rd_mul(one_minus_bp, l1mz), rd_mul(m, lPy)), lS);
    }
    if (!(term[0].v > term[1].v)) {
        *B = rd_const(-INFINITY); /* I underflowed against rounding */
        return 0;
    }
    rt_dual lI = rd_sub(rd_logsubexp(term[0], term[1]), rd_log(m));
    *B = rd_add(rd_log(s), lI);
    return 0;
}

static void vars(rt_dual *pr, const double *p)
{
    for (int i = 0; i < 4; i++)
        pr[i] = rd_var(p[i], i);
}

/* lgamma(r+x) - lgamma(r) + r log alpha + s log beta */
static rt_dual common(const rt_dual *pr, double x)
{
    rt_dual r = pr[0];
    double dg = x > 0 ? rt_digamma(r.v + x) - rt_digamma(r.v) : 0.0;
    rt_dual lg = rd_chain(rt_lgamma_delta(r.v, x), dg, r);
    return rd_add(lg, rd_add(rd_mul(r, rd_log(pr[1])), rd_mul(pr[2], rd_log(pr[3]))));
}

double rt_pareto_ll(const double *p, const rt_rows *rw, double *grad, double *row_ll)
{
    rt_dual pr[4];
    vars(pr, p);
    rt_dual total = rd_const(0.0);
    rt_dual cx = rd_const(0.0);
    double cur_x = -1.0;
    for (size_t i = 0; i < rw->n; i++) {
        double x = rw->x[i];
        if (x != cur_x) {
            cx = common(pr, x);
            cur_x = x;
        }
        rt_dual A, B;
        if (pareto_parts(&A, &B, pr, x, rw->tx[i], rw->T[i]) != 0)
            return NAN;
        rt_dual li = rd_add(cx, rd_logaddexp(A, B));
        if (row_ll)
            row_ll[i] = li.v;
        total = rd_add(total, rd_scale(li, rw->w[i]));
    }
    if (grad)
        for (int k = 0; k < 4; k++)
            grad[k] = total.d[k] * p[k];
    return total.v;
}

double rt_pareto_log_tail(const double *p, double x, double tx, double T)
{
    rt_dual pr[4], A, B;
    vars(pr, p);
    if (pareto_parts(&A, &B, pr, x, tx, T) != 0)
        return NAN;
    return B.v;
}

/* ---- predictions ---- */

double rt_pareto_expected(const double *p, double t)
{
    double r = p[0], al = p[1], s = p[2], be = p[3];
    /* r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)], smooth through s = 1 */
    return r * be / al * rt_one_minus_exp_ratio(s - 1.0, log1p(t / be));
}

double rt_pareto_p_alive(const double *p, double x, double tx, double T)
{
    rt_dual pr[4], A, B;
    for (int i = 0; i < 4; i++)
        pr[i] = rd_const(p[i]);
    if (pareto_parts(&A, &B, pr, x, tx, T) != 0)
        return NAN;
    return exp(A.v - rt_logaddexp(A.v, B.v));
}

double rt_pareto_cond(const double *p, double x, double tx, double T, double t)
{
    double r = p[0], al = p[1], s = p[2], be = p[3];
    double pa = rt_pareto_p_alive(p, x, tx, T);
    return pa * (r + x) * (be + T) / (al + T) * rt_one_minus_exp_ratio(s - 1.0, log1p(t / (be + T)));
}

/*
 * P(X(t) = k) = NBD(k; r, alpha, t) (beta/(beta+t))^s
 *             + s beta^s Gamma(r+k) alpha^r / (Gamma(r) k!) K,
 * K = int_0^t tau^k (alpha+tau)^-(r+k) (beta+tau)^-(s+1) dtau,
 * (alive throughout, or dead at tau after k purchases): the integral form of
 * Fader & Hardie's note 012, free of its difference of 2F1 terms. The
 * log-integrand is unimodal; K is integrated scaled by its maximum.
 */
typedef struct kq {
    double k, r, al, s, be, gmax;
} kq;

static double k_logf(const kq *q, double tau)
{
    if (tau <= 0.0)
        return q->k > 0 ? -INFINITY : -q->r * log(q->al) - (q->s + 1.0) * log(q->be);
    return q->k * log(tau) - (q->r + q->k) * log(q->al + tau) - (q->s + 1.0) * log(q->be + tau);
}

static double k_integrand(double tau, void *vctx)
{
    const kq *q = vctx;
    return exp(k_logf(q, tau) - q->gmax);
}

double rt_pareto_pmf(const double *p, double t, double k)
{
    double r = p[0], al = p[1], s = p[2], be = p[3];
    if (t <= 0.0)
        return k == 0.0 ? 1.0 : 0.0;
    double lnb = rt_lgamma_delta(r, k) - rt_lgamma(k + 1.0) + r * log(al / (al + t)) +
                 (k > 0 ? k * log(t / (al + t)) : 0.0);
    double first = lnb + s * log(be / (be + t));

    kq q = { k, r, al, s, be, 0.0 };
    /* the maximum: root of k al be + tau (k al - r be - (s+1) al) - tau^2 (r+s+1) */
    double peak = 0.0;
    if (k > 0) {
        double c = r + s + 1.0, bq = k * al - r * be - (s + 1.0) * al;
        peak = (bq + sqrt(bq * bq + 4.0 * c * k * al * be)) / (2.0 * c);
        if (peak > t)
            peak = t;
    }
    q.gmax = k_logf(&q, peak);
    double left = 0.0, right = 0.0;
    int rc = 0;
    if (peak > 0.0)
        rc |= rt_integrate(&left, k_integrand, &q, 0.0, peak, 1e-13, 0.0);
    if (peak < t)
        rc |= rt_integrate(&right, k_integrand, &q, peak, t, 1e-13, 0.0);
    if (rc && !isfinite(left + right))
        return NAN;
    double lK = q.gmax + log(left + right);
    double second = log(s) + s * log(be) + rt_lgamma_delta(r, k) - rt_lgamma(k + 1.0) + r * log(al) + lK;
    return exp(first) + exp(second);
}

/*
 * optim.c - box-constrained BFGS with a strong-Wolfe line search; see
 * optim.h. Small and dense on purpose: the fits have three or four
 * parameters, and every objective call is a full pass over the data, so
 * the work that matters is making each call count.
 */
#include "optim.h"

#include <math.h>
#include <string.h>

#define C1 1e-4        /* sufficient decrease */
#define C2 0.9         /* curvature (quasi-Newton value) */
#define MAX_STEP 5.0   /* largest change of one log-parameter per iteration */
#define LS_MAX 40

typedef struct opt {
    int n;
    const double *lo, *hi;
    rt_objective f;
    void *ctx;
    int evals;
    double last_t;        /* t of the point in xt/gt */
    const double *x0, *d; /* line: x0 + t d */
    double *xt, *gt;      /* scratch: point and gradient at t */
} opt;

typedef struct lpoint {
    double t, f, dg;
} lpoint;

static void clamp(double *x, int n, const double *lo, const double *hi)
{
    for (int i = 0; i < n; i++) {
        if (x[i] < lo[i])
            x[i] = lo[i];
        if (x[i] > hi[i])
            x[i] = hi[i];
    }
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static lpoint eval_line(opt *o, double t)
{
    lpoint p = { t, INFINITY, NAN };
    for (int i = 0; i < o->n; i++)
        o->xt[i] = o->x0[i] + t * o->d[i];
    clamp(o->xt, o->n, o->lo, o->hi);
    double fv = o->f(o->xt, o->gt, o->ctx);
    o->evals++;
    o->last_t = t;
    if (isfinite(fv)) {
        p.f = fv;
        p.dg = dot(o->gt, o->d, o->n);
        if (!isfinite(p.dg))
            p.f = INFINITY;
    }
    return p;
}

/* Safeguarded cubic minimizer between a and b, else the midpoint. */
static double interpolate(lpoint a, lpoint b)
{
    double lo = a.t < b.t ? a.t : b.t, hi = a.t < b.t ? b.t : a.t;
    double margin = 0.1 * (hi - lo), mid = 0.5 * (lo + hi);
    if (!isfinite(a.f) || !isfinite(b.f) || !isfinite(a.dg) || !isfinite(b.dg))
        return mid;
    double d1 = a.dg + b.dg - 3.0 * (a.f - b.f) / (a.t - b.t);
    double disc = d1 * d1 - a.dg * b.dg;
    if (disc < 0.0)
        return mid;
    double d2 = (b.t > a.t ? 1.0 : -1.0) * sqrt(disc);
    double t = b.t - (b.t - a.t) * (b.dg + d2 - d1) / (b.dg - a.dg + 2.0 * d2);
    if (!isfinite(t) || t < lo + margin || t > hi - margin)
        return mid;
    return t;
}

/* Noise-tolerant acceptance (Hager and Zhang's approximate Wolfe
 * conditions): near the minimum f differences sink below rounding, but the
 * directional derivative still says whether the step helped. */
static int approx_wolfe(lpoint p, double f0, double dg0)
{
    double eps = 1e-12 * fabs(f0);
    return p.f <= f0 + eps && p.dg >= C2 * dg0 && p.dg <= -0.8 * dg0;
}

static int strong_wolfe(lpoint p, double f0, double dg0)
{
    return p.f <= f0 + C1 * p.t * dg0 && fabs(p.dg) <= -C2 * dg0;
}

/* Returns the accepted point (t > 0) or t == 0 when no acceptable point was
 * found; best tracks the lowest f seen in case the caller wants it. */
static lpoint line_search(opt *o, double f0, double dg0, double tmax, lpoint *best)
{
    lpoint none = { 0.0, f0, dg0 };
    lpoint prev = none, lo, hi;
    double t = tmax < 1.0 ? tmax : 1.0;
    *best = none;
    int i;
    for (i = 0; i < LS_MAX; i++) {
        lpoint p = eval_line(o, t);
        if (p.f < best->f)
            *best = p;
        if (p.f > f0 + C1 * t * dg0 || (i > 0 && p.f >= prev.f)) {
            if (approx_wolfe(p, f0, dg0))
                return p;
            lo = prev;
            hi = p;
            goto zoom;
        }
        if (fabs(p.dg) <= -C2 * dg0)
            return p;
        if (p.dg >= 0.0) {
            lo = p;
            hi = prev;
            goto zoom;
        }
        if (t >= tmax)
            return p; /* sufficient decrease at the edge of the box */
        prev = p;
        t = 2.0 * t < tmax ? 2.0 * t : tmax;
    }
    return none;
zoom:
    for (; i < LS_MAX; i++) {
        double tt = interpolate(lo, hi);
        if (!(fabs(hi.t - lo.t) > 1e-16 * (1.0 + fabs(lo.t))))
            break;
        lpoint p = eval_line(o, tt);
        if (p.f < best->f)
            *best = p;
        if (strong_wolfe(p, f0, dg0) || approx_wolfe(p, f0, dg0))
            return p;
        if (p.f > f0 + C1 * tt * dg0 || p.f >= lo.f) {
            hi = p;
        } else {
            if (p.dg * (hi.t - lo.t) >= 0.0)
                hi = lo;
            lo = p;
        }
    }
    /* No Wolfe point: accept plain sufficient decrease if we saw one. */
    if (best->t > 0.0 && best->f <= f0 + C1 * best->t * dg0)
        return *best;
    return none;
}

/* Gradient with the components that push against an active bound zeroed. */
static double project(double *pg, const double *x, const double *g, int n,
                      const double *lo, const double *hi)
{
    double m = 0.0;
    for (int i = 0; i < n; i++) {
        pg[i] = g[i];
        if ((x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0))
            pg[i] = 0.0;
        if (fabs(pg[i]) > m)
            m = fabs(pg[i]);
    }
    return m;
}

static void identity(double H[RT_OPT_MAXN][RT_OPT_MAXN], int n, double scale)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            H[i][j] = i == j ? scale : 0.0;
}

int rt_minimize(double *theta, int n, const double *lo, const double *hi,
                rt_objective f, void *ctx, int max_iter, double gtol,
                rt_optim_result *res)
{
    double x[RT_OPT_MAXN], g[RT_OPT_MAXN], pg[RT_OPT_MAXN], d[RT_OPT_MAXN];
    double xt[RT_OPT_MAXN], gt[RT_OPT_MAXN], s[RT_OPT_MAXN], y[RT_OPT_MAXN];
    double H[RT_OPT_MAXN][RT_OPT_MAXN];
    opt o = { n, lo, hi, f, ctx, 0, NAN, x, d, xt, gt };

    memset(res, 0, sizeof *res);
    memcpy(x, theta, sizeof(double) * (size_t)n);
    clamp(x, n, lo, hi);
    double fx = f(x, g, ctx);
    o.evals = 1;
    if (!isfinite(fx) || !isfinite(dot(g, g, n))) {
        res->f = fx;
        res->evaluations = 1;
        return -1;
    }
    identity(H, n, 1.0);
    int fresh = 1; /* H is the identity: a failed search cannot be blamed on it */
    int it;
    double gmax = project(pg, x, g, n, lo, hi);
    for (it = 0; it < max_iter && gmax > gtol; it++) {
        /* d = -H pg on the free variables */
        for (int i = 0; i < n; i++) {
            d[i] = 0.0;
            if (pg[i] == 0.0 && g[i] != 0.0)
                continue;
            for (int j = 0; j < n; j++)
                if (!(pg[j] == 0.0 && g[j] != 0.0))
                    d[i] -= H[i][j] * pg[j];
        }
        double dg0 = dot(g, d, n);
        if (!(dg0 < 0.0)) {
            identity(H, n, 1.0);
            fresh = 1;
            for (int i = 0; i < n; i++)
                d[i] = -pg[i];
            dg0 = dot(g, d, n);
        }
        /* Longest step that stays in the box and moves no parameter by
         * more than MAX_STEP. */
        double tmax = INFINITY, dmax = 0.0;
        for (int i = 0; i < n; i++) {
            if (d[i] > 0.0 && (hi[i] - x[i]) / d[i] < tmax)
                tmax = (hi[i] - x[i]) / d[i];
            if (d[i] < 0.0 && (lo[i] - x[i]) / d[i] < tmax)
                tmax = (lo[i] - x[i]) / d[i];
            if (fabs(d[i]) > dmax)
                dmax = fabs(d[i]);
        }
        if (dmax * tmax > MAX_STEP || !isfinite(tmax))
            tmax = MAX_STEP / dmax;
        if (!(tmax > 0.0))
            break;

        lpoint best, p = line_search(&o, fx, dg0, tmax, &best);
        if (p.t <= 0.0) {
            if (fresh)
                break; /* even steepest descent cannot improve: done */
            identity(H, n, 1.0);
            fresh = 1;
            continue;
        }
        /* xt/gt hold the last point the search evaluated; recompute only
         * when it accepted an earlier one. */
        double fn = p.f;
        if (p.t != o.last_t) {
            for (int i = 0; i < n; i++)
                xt[i] = x[i] + p.t * d[i];
            clamp(xt, n, lo, hi);
            fn = f(xt, gt, ctx);
            o.evals++;
        }
        for (int i = 0; i < n; i++) {
            s[i] = xt[i] - x[i];
            y[i] = gt[i] - g[i];
        }
        double sy = dot(s, y, n);
        if (sy > 1e-12 * sqrt(dot(s, s, n) * dot(y, y, n))) {
            if (fresh) {
                double yy = dot(y, y, n);
                identity(H, n, sy / yy);
            }
            double Hy[RT_OPT_MAXN], yHy = 0.0;
            for (int i = 0; i < n; i++) {
                Hy[i] = 0.0;
                for (int j = 0; j < n; j++)
                    Hy[i] += H[i][j] * y[j];
                yHy += y[i] * Hy[i];
            }
            double c = (1.0 + yHy / sy) / sy;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    H[i][j] += c * s[i] * s[j] - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
            fresh = 0;
        }
        memcpy(x, xt, sizeof(double) * (size_t)n);
        memcpy(g, gt, sizeof(double) * (size_t)n);
        fx = fn;
        gmax = project(pg, x, g, n, lo, hi);
    }
    memcpy(theta, x, sizeof(double) * (size_t)n);
    res->f = fx;
    res->gnorm = gmax;
    res->iterations = it;
    res->evaluations = o.evals;
    res->converged = gmax <= gtol;
    return 0;
}

/*
 * optim.h - a small box-constrained BFGS minimizer for the model fits
 * (at most RT_OPT_MAXN parameters, which the fits use in log space).
 */
#ifndef RT_MODEL_OPTIM_H
#define RT_MODEL_OPTIM_H

#define RT_OPT_MAXN 8

/*
 * Objective: returns f(theta) and writes the gradient into grad. A
 * non-finite return value marks theta as infeasible; the line search then
 * steps back.
 */
typedef double (*rt_objective)(const double *theta, double *grad, void *ctx);

typedef struct rt_optim_result {
    double f;         /* objective at the returned theta */
    double gnorm;     /* max |projected gradient| there */
    int iterations;   /* BFGS iterations */
    int evaluations;  /* objective evaluations */
    int converged;    /* gnorm <= gtol */
} rt_optim_result;

/*
 * Minimize f over the box lo <= theta <= hi starting at theta (clamped into
 * the box), until the projected gradient's largest component is at most
 * gtol or max_iter iterations have run. theta receives the best point.
 * Returns 0, or -1 if f is not finite at the start.
 */
int rt_minimize(double *theta, int n, const double *lo, const double *hi,
                rt_objective f, void *ctx, int max_iter, double gtol,
                rt_optim_result *res);

#endif

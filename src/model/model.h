/*
 * model.h - internal interface of the model subsystem: diagnostics, units,
 * validated and compressed rows, and the per-model likelihoods and
 * predictions that the public dispatch (fit.c, predict.c) calls.
 */
#ifndef RT_MODEL_MODEL_H
#define RT_MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "retain/model.h"

/* ---- diagnostics (diag.c) ---- */

/* Fill diag (if any) and return code. row is 1-based; 0 for none. */
int rt_mdiag(retain_diag *diag, int code, size_t row, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Mark success: code RETAIN_OK, empty message. */
void rt_mdiag_ok(retain_diag *diag);
/* The version and length checks of an input struct (name "data", init
 * "RETAIN_RFM_DATA_INIT", noun "rows"): at most UINT32_MAX - 1 elements. */
int rt_check_input(retain_diag *diag, const char *name, unsigned version, unsigned current,
                   const char *init, size_t n, const char *noun);
/* Resolve options (NULL allowed) into *o, checking the version. */
int rt_mopts(retain_model_options *o, const retain_model_options *in, retain_diag *diag);

/* ---- units ---- */

/* Factor f with value_in_to = f * value_in_from; 0 if not convertible. */
double rt_unit_factor(retain_time_unit from, retain_time_unit to);
const char *rt_unit_name(retain_time_unit u);

/* ---- rows ---- */

/* What a model reads from retain_rfm_data. */
enum { RT_NEED_TIMES = 1, RT_NEED_MONETARY = 2, RT_DISCRETE = 4 };
int rt_model_needs(retain_model_kind kind);

/*
 * Check every row of data for `kind` (or for a plain summary when kind is
 * RETAIN_MODEL_NONE): counts, NULLs, NaN, x whole and >= 0, 0 <= t_x <= T,
 * weights. `need_weight` also requires a positive total weight.
 */
int rt_rows_check(const retain_rfm_data *d, retain_model_kind kind, int need_weight,
                  retain_diag *diag);

/*
 * Distinct rows for a fit, sorted by x then t_x, T (Gamma-Gamma: x, m),
 * times multiplied by `scale`. Rows of weight 0 are dropped unless
 * want_row_of (then row_of maps every input row), and for Gamma-Gamma rows
 * with x = 0 always. For BG/NBD and MBG/NBD, when the rows share few time
 * values (daily or weekly data), those are tabulated (vals, with per-row
 * indexes itx/iT) so that log(alpha + t) is taken once per value; vals is
 * NULL otherwise.
 */
typedef struct rt_rows {
    size_t n;
    double *x, *tx, *T, *m, *w;
    double wsum;
    size_t nv;
    double *vals;
    uint32_t *itx, *iT;
    size_t *row_of;  /* when asked: input row -> distinct row, SIZE_MAX if dropped */
    const retain_allocator *alloc;
} rt_rows;

/* Start a call that fills a retain_rfm: check and zero out, resolve the
 * options into *o and record the allocator in out. */
int rt_rfm_begin(retain_rfm *out, retain_model_options *o, const retain_model_options *opts,
                 retain_diag *diag);

int rt_rows_build(rt_rows *out, const retain_rfm_data *d, retain_model_kind kind, double scale,
                  int want_row_of, const retain_allocator *a, retain_diag *diag);
void rt_rows_free(rt_rows *r);

/* ---- models (fit.c) ---- */

/* Kind, unit and parameters of m are usable. */
int rt_model_check(const retain_model *m, retain_diag *diag);
/* The weighted log-likelihood of `kind` (see below for the arguments). */
double rt_model_eval(retain_model_kind kind, const double *p, const rt_rows *r, double *grad,
                     double *row_ll, double *scratch);

/* ---- per-model likelihoods ----
 * Each returns the weighted total log-likelihood at natural parameters p;
 * grad (may be NULL) receives d total / d log p_i; row_ll (may be NULL)
 * each distinct row's log-likelihood. scratch has room for 2 * r->nv
 * doubles. A non-finite return means p is numerically infeasible. */
double rt_bgnbd_ll(const double *p, const rt_rows *r, int mbg, double *grad, double *row_ll,
                   double *scratch);
double rt_pareto_ll(const double *p, const rt_rows *r, double *grad, double *row_ll);
double rt_bgbb_ll(const double *p, const rt_rows *r, double *grad, double *row_ll);
double rt_gg_ll(const double *p, const rt_rows *r, double *grad, double *row_ll);

/* ---- prediction helpers (predict.c) ---- */

/* E[X(t)] / E[Y(t) | x, t_x, T] of one customer, times in model units;
 * -1 if the value is not finite. */
int rt_predict_expected1(double *out, const retain_model *m, double t);
int rt_predict_cond1(double *out, const retain_model *m, double x, double tx, double T, double t);
/* gg is a usable Gamma-Gamma model and data has finite expected spends. */
int rt_gg_check(const retain_model *gg, const retain_rfm_data *data, retain_diag *diag);

/* ---- per-model predictions: one customer (times in model units) ---- */

/* BG/NBD family (mbg 0/1) */
double rt_bgnbd_expected(const double *p, int mbg, double t);
double rt_bgnbd_p_alive(const double *p, int mbg, double x, double tx, double T);
double rt_bgnbd_cond(const double *p, int mbg, double x, double tx, double T, double t);
double rt_bgnbd_pmf(const double *p, int mbg, double t, double k);
/* G(a, b, r, alpha, t) = E_{p ~ Beta(a, b)}[(1 - (1 + p t/alpha)^-r) / p]; exposed for tests */
double rt_bgnbd_G(double a, double b, double r, double alpha, double t, int method);

double rt_pareto_expected(const double *p, double t);
double rt_pareto_p_alive(const double *p, double x, double tx, double T);
double rt_pareto_cond(const double *p, double x, double tx, double T, double t);
double rt_pareto_pmf(const double *p, double t, double k);
/* log of the integral s * int_{tx}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy; exposed for tests */
double rt_pareto_log_tail(const double *p, double x, double tx, double T);

double rt_bgbb_expected(const double *p, double n);
double rt_bgbb_p_alive(const double *p, double x, double tx, double n);
double rt_bgbb_cond(const double *p, double x, double tx, double n, double nstar);
double rt_bgbb_pmf(const double *p, double n, double k);

double rt_gg_expected_spend(const double *p, double x, double m);

#endif

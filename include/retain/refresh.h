/*
 * retain/refresh.h - fit the customer-base models on the store's own
 * orders and write each customer's predictions back to the store, where
 * rules read them as customer.p_alive and customer.clv (win-back and VIP
 * journeys) and retain_customer_get() returns p_alive.
 *
 * docs/models.md, "Writing predictions back to the store", has the
 * definitions and a worked example.
 */
#ifndef RETAIN_REFRESH_H
#define RETAIN_REFRESH_H

#include "engine.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_MODEL_REFRESH_OPTIONS_VERSION 1

/**
 * What to fit and how to value customers. Start from
 * RETAIN_MODEL_REFRESH_OPTIONS_INIT, which holds every default; only
 * `currency` must be set.
 */
typedef struct retain_model_refresh_options {
    unsigned int version;       /**< RETAIN_MODEL_REFRESH_OPTIONS_VERSION */
    /** ISO 4217 code; required. Only orders in this currency count, and
     *  CLV is written in its minor units. */
    const char *currency;
    /** Unit of t_x and T for the fit: RETAIN_UNIT_WEEK (default) or
     *  RETAIN_UNIT_DAY. Predictions do not depend on it beyond the fit. */
    retain_time_unit unit;
    /** RETAIN_MODEL_BGNBD (default), RETAIN_MODEL_PARETO_NBD or RETAIN_MODEL_MBGNBD. */
    retain_model_kind purchase_model;
    /** CLV horizon in months, 1..1200 (default 12). A month is 365.25/12
     *  = 30.4375 days. */
    int horizon_months;
    /** Discount rate per month, >= 0 (default 0.01 = 1% a month). */
    double monthly_discount_rate;
    /** Share of spend kept as profit, in (0, 1] (default 1.0: CLV is revenue). */
    double margin;
    /** BFGS iterations for each fit; 0 for the models' default (500). */
    int max_iterations;
    /** Gradient tolerance of each fit (see retain_model_options); 0 for the
     *  models' default (1e-8). */
    double tolerance;
} retain_model_refresh_options;

#define RETAIN_MODEL_REFRESH_OPTIONS_INIT \
    { RETAIN_MODEL_REFRESH_OPTIONS_VERSION, 0, RETAIN_UNIT_WEEK, RETAIN_MODEL_BGNBD, 12, 0.01, \
      1.0, 0, 0.0 }

#define RETAIN_MODEL_REFRESH_RESULT_VERSION 1

/** What a refresh fitted and wrote. */
typedef struct retain_model_refresh_result {
    unsigned int version;     /**< RETAIN_MODEL_REFRESH_RESULT_VERSION: set by the caller */
    size_t customers;         /**< customers written (every customer of the summary) */
    size_t repeat_customers;  /**< customers with x > 0: what Gamma-Gamma was fitted on */
    size_t cleared;           /**< customers whose earlier predictions in this currency were
                                   cleared because they no longer have a counted order */
    int64_t calibration_end;  /**< now - 1: the last instant whose orders count */
    /** The purchase model: kind, unit, parameters, loglik, iterations, converged. */
    retain_model purchase;
    /** The Gamma-Gamma spend model, in minor units of the currency. */
    retain_model spend;
} retain_model_refresh_result;

#define RETAIN_MODEL_REFRESH_RESULT_INIT { RETAIN_MODEL_REFRESH_RESULT_VERSION, 0, 0, 0, 0, \
    { RETAIN_MODEL_NONE, RETAIN_UNIT_NONE, { { 0, 0, 0, 0 } }, 0, 0, 0, 0, 0, 0 },       \
    { RETAIN_MODEL_NONE, RETAIN_UNIT_NONE, { { 0, 0, 0, 0 } }, 0, 0, 0, 0, 0, 0 } }

/**
 * Fit the purchase model and Gamma-Gamma on the store's orders in
 * opts->currency and write, for every customer with a counted order placed
 * before `now`, in one transaction:
 *
 * - p_alive: P(alive | x, t_x, T) at the end of calibration;
 * - expected_90d: E[Y(90 days) | x, t_x, T], repeat purchase days expected
 *   in the next 90 days (converted to the fit's unit: 90/7 weeks);
 * - clv (and clv_currency = opts->currency): discounted expected revenue
 *   over opts->horizon_months months (retain_clv() with one-month periods),
 *   times opts->margin, rounded to minor units. A customer without a repeat
 *   purchase is valued at Gamma-Gamma's population mean spend p*gamma/(q-1),
 *   because his first purchase is not used as evidence of his spend.
 *
 * The summary is retain_rfm_from_store() with calibration_end = now - 1 ms
 * and no holdout: orders placed before `now` count, and ages T run to the
 * UTC day holding now - 1 ms (a refresh at midnight covers the days before
 * it). Customers who were given a CLV in this currency by an earlier
 * refresh but have no counted order any more get NULL in all four columns;
 * customers of other currencies are left alone.
 *
 * Errors, after which nothing is written: RETAIN_EINVAL with a message for
 * a NULL argument, a bad option or currency, no customer with an order in
 * the currency, or no customer with a repeat purchase (Gamma-Gamma has
 * nothing to fit); RETAIN_ELIMIT when a fit does not converge within
 * max_iterations (out->purchase or out->spend then shows how far it got)
 * or a prediction cannot be evaluated; RETAIN_EMISUSE on a read-only engine.
 * `out` may not be NULL; on failure out->customers is 0.
 */
RETAIN_API int retain_model_refresh(retain_model_refresh_result *out, retain_engine *e,
                                    int64_t now, const retain_model_refresh_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_REFRESH_H */

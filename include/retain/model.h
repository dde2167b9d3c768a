/*
 * retain/model.h - probabilistic customer-base models over plain arrays.
 *
 * RFM summaries in Fader-Hardie definitions, and the BG/NBD, Pareto/NBD,
 * MBG/NBD, BG/BB and Gamma-Gamma models: weighted maximum-likelihood fits
 * and vectorised predictions, plus discounted customer lifetime value.
 * Nothing here touches a database or an engine: every function takes plain
 * arrays, so summaries computed elsewhere (a warehouse) work as well as the
 * store's own.
 *
 * Conventions of this header:
 * - Every function returns RETAIN_OK or a negative RETAIN_E* code; results
 *   come through the out-parameters, which come first.
 * - The last parameter of every call that can fail is a `retain_diag *`
 *   (may be NULL). On failure it receives the code and a sentence; when the
 *   problem is one input row, `line` is that row, 1-based. On success its
 *   code is RETAIN_OK and its message empty.
 * - Time is never converted behind your back: every array of times comes
 *   with a retain_time_unit, and a model remembers the unit it was fitted
 *   in. Times given in another unit (day vs week) are rescaled exactly.
 * - No globals, no printing; all functions are thread-safe. Memory comes
 *   from the allocator in retain_model_options (libc when NULL).
 */
#ifndef RETAIN_MODEL_H
#define RETAIN_MODEL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- units and options --------------------------------------------------- */

/** The unit of a duration: recency t_x, age T, horizons, model rates. */
typedef enum retain_time_unit {
    RETAIN_UNIT_NONE = 0,   /**< not set: refused wherever a unit is needed */
    RETAIN_UNIT_DAY = 1,    /**< one day */
    RETAIN_UNIT_WEEK = 2,   /**< seven days */
    RETAIN_UNIT_PERIOD = 3  /**< one discrete transaction opportunity (BG/BB) */
} retain_time_unit;

#define RETAIN_MODEL_OPTIONS_VERSION 1

/**
 * Options shared by the functions of this header. Start from
 * RETAIN_MODEL_OPTIONS_INIT; a member left 0 or NULL takes its default.
 * `opts` may be NULL everywhere for all defaults.
 */
typedef struct retain_model_options {
    unsigned int version;        /**< RETAIN_MODEL_OPTIONS_VERSION */
    retain_allocator allocator;  /**< all NULL: malloc/realloc/free */
    int max_iterations;          /**< fits: BFGS iterations; default 500 */
    /**
     * Fits: converged when no component of the gradient of the mean
     * log-likelihood per customer, taken with respect to the logs of the
     * parameters, exceeds this; default 1e-8.
     */
    double tolerance;
    /** Fits: starting parameters in the model's order, or NULL for the default start. */
    const double *start;
} retain_model_options;

#define RETAIN_MODEL_OPTIONS_INIT { RETAIN_MODEL_OPTIONS_VERSION, { 0, 0, 0, 0 }, 0, 0.0, 0 }

/* ---- RFM summaries ------------------------------------------------------- */

/** How the times of a retain_txns are written. */
typedef enum retain_time_kind {
    RETAIN_TIME_UNSET = 0, /**< not set: refused */
    RETAIN_TIME_MS = 1,   /**< milliseconds since the Unix epoch, UTC; periods are UTC days */
    RETAIN_TIME_DAY = 2   /**< day numbers (days since any fixed origin, e.g. local dates) */
} retain_time_kind;

#define RETAIN_TXNS_VERSION 1

/**
 * Transactions as parallel arrays of length n, in any order. Purchases of
 * one customer on the same day form one purchase period (their values are
 * summed). Exactly one of `amount` and `value` may be given, or neither.
 */
typedef struct retain_txns {
    unsigned int version;       /**< RETAIN_TXNS_VERSION */
    size_t n;                   /**< number of transactions */
    const int64_t *customer;    /**< the host's customer id of each transaction */
    const int64_t *time;        /**< when, written as `time_kind` says */
    retain_time_kind time_kind; /**< must be set */
    const int64_t *amount;      /**< value in minor units, or NULL */
    const double *value;        /**< value as a number (finite), or NULL */
} retain_txns;

#define RETAIN_TXNS_INIT { RETAIN_TXNS_VERSION, 0, 0, 0, RETAIN_TIME_UNSET, 0, 0 }

/**
 * A summary the library allocated: one row per customer (or per distinct
 * row after retain_rfm_compress()). Arrays not produced are NULL. Release
 * with retain_rfm_clear().
 *
 * x         repeat purchase periods after the first one
 * t_x       time of the last purchase period since the first (0 when x = 0)
 * T         time from the first purchase period to the end of observation
 * monetary  mean value of the repeat periods (first period excluded; 0 when
 *           x = 0), in the units of the transaction values
 */
typedef struct retain_rfm {
    size_t n;                   /**< rows */
    int64_t *customer;          /**< ids, ascending (summaries only) */
    double *x;
    double *t_x;
    double *T;
    double *monetary;           /**< when values were given */
    double *holdout_x;          /**< retain_rfm_split(): repeat periods in the holdout window */
    double *weight;             /**< retain_rfm_compress(): rows merged into each */
    size_t *row_of;             /**< retain_rfm_compress(): compressed row of each input row */
    size_t n_input;             /**< retain_rfm_compress(): length of row_of */
    retain_time_unit unit;      /**< unit of t_x and T */
    double holdout_length;      /**< retain_rfm_split(): holdout window length in `unit` */
    retain_allocator allocator; /**< what allocated the arrays */
} retain_rfm;

#define RETAIN_RFM_DATA_VERSION 1

/**
 * A borrowed view of per-customer rows: what the fits and predictions read.
 * x must be a whole number >= 0; 0 <= t_x <= T; t_x == 0 when x == 0.
 * For BG/BB the unit is RETAIN_UNIT_PERIOD, t_x is the opportunity of the
 * last transaction and T the number of opportunities n (x <= t_x <= n, all
 * whole). `monetary` is read by Gamma-Gamma and CLV only; `weight` (>= 0,
 * not all 0) counts how many customers a row stands for.
 */
typedef struct retain_rfm_data {
    unsigned int version;    /**< RETAIN_RFM_DATA_VERSION */
    size_t n;                /**< rows */
    const double *x;
    const double *t_x;
    const double *T;
    const double *monetary;  /**< or NULL */
    const double *weight;    /**< or NULL: every row weighs 1 */
    retain_time_unit unit;   /**< unit of t_x and T; must be set */
} retain_rfm_data;

#define RETAIN_RFM_DATA_INIT { RETAIN_RFM_DATA_VERSION, 0, 0, 0, 0, 0, 0, RETAIN_UNIT_NONE }

/**
 * Summarize transactions observed up to and including the day of `end`
 * (written like txns->time: ms or a day number). Later transactions are
 * ignored; customers whose first purchase is after that day are left out.
 * t_x and T are whole days, divided by 7 for RETAIN_UNIT_WEEK.
 */
RETAIN_API int retain_rfm_summarize(retain_rfm *out, const retain_txns *txns, int64_t end,
                                    retain_time_unit unit, const retain_model_options *opts,
                                    retain_diag *diag);

/**
 * Calibration/holdout split: the summary of the calibration period (up to
 * and including the day of `calibration_end`), plus for each of its
 * customers `holdout_x`, the number of purchase periods (days) after
 * calibration_end's day up to and including holdout_end's day, and
 * `holdout_length`, the window's length in `unit`.
 */
RETAIN_API int retain_rfm_split(retain_rfm *out, const retain_txns *txns, int64_t calibration_end,
                                int64_t holdout_end, retain_time_unit unit,
                                const retain_model_options *opts, retain_diag *diag);

/**
 * Merge rows with identical (x, t_x, T) into one row with the sum of their
 * weights (rows of weight 0 included); rows come out sorted by x, t_x, T.
 * `row_of` maps each input row to its merged row, so predictions made on
 * the compressed rows can be spread back. monetary is not carried (it
 * would not merge). The fits compress by themselves; this is for callers
 * who predict for many customers with few distinct histories.
 */
RETAIN_API int retain_rfm_compress(retain_rfm *out, const retain_rfm_data *in,
                                   const retain_model_options *opts, retain_diag *diag);

/** A view of a summary for the fit and prediction functions. */
RETAIN_API int retain_rfm_view(retain_rfm_data *out, const retain_rfm *summary);

/** Free the arrays of a summary and zero it. NULL is a harmless no-op. */
RETAIN_API void retain_rfm_clear(retain_rfm *summary);

/* ---- models -------------------------------------------------------------- */

/** The models. Parameters are listed in retain_model_params. */
typedef enum retain_model_kind {
    RETAIN_MODEL_NONE = 0,
    RETAIN_MODEL_BGNBD = 1,      /**< BG/NBD, Fader, Hardie & Lee (2005) */
    RETAIN_MODEL_PARETO_NBD = 2, /**< Pareto/NBD, Schmittlein, Morrison & Colombo (1987) */
    RETAIN_MODEL_MBGNBD = 3,     /**< MBG/NBD, Batislam, Denizel & Filiztekin (2007) */
    RETAIN_MODEL_BGBB = 4,       /**< BG/BB, Fader, Hardie & Shang (2010), discrete time */
    RETAIN_MODEL_GAMMA_GAMMA = 5 /**< Gamma-Gamma spend, Fader, Hardie & Lee (2005) */
} retain_model_kind;

/** Parameters, by model. All are > 0. Rates and scales are per model unit. */
typedef union retain_model_params {
    double v[4]; /**< in the order listed below */
    struct {
        double r, alpha, a, b;  /**< purchase rate ~ Gamma(r, alpha); dropout p ~ Beta(a, b) */
    } bgnbd;                    /**< BG/NBD and MBG/NBD */
    struct {
        double r, alpha, s, beta; /**< purchase rate ~ Gamma(r, alpha); dropout rate ~ Gamma(s, beta) */
    } pareto;
    struct {
        double alpha, beta, gamma, delta; /**< purchase p ~ Beta(alpha, beta); dropout ~ Beta(gamma, delta) */
    } bgbb;
    struct {
        double p, q, gamma; /**< spend ~ Gamma(p, nu); nu ~ Gamma(q, gamma) */
    } gg;
} retain_model_params;

/**
 * A fitted (or given) model: plain data the caller owns; copy it freely.
 * Predictions read kind, unit and param only.
 */
typedef struct retain_model {
    retain_model_kind kind;
    /** Unit the parameters are in: DAY or WEEK for the continuous-time
     *  models, PERIOD for BG/BB, NONE for Gamma-Gamma. */
    retain_time_unit unit;
    retain_model_params param;
    double loglik;     /**< fits: log-likelihood at param (NaN from retain_model_init) */
    double weight;     /**< fits: total weight of the rows fitted */
    size_t rows;       /**< fits: distinct rows after compression */
    int iterations;    /**< fits: BFGS iterations */
    int converged;     /**< fits: 1 when the gradient tolerance was met */
    double grad_norm;  /**< fits: final largest gradient component (see tolerance) */
} retain_model;

/** Number of parameters of a model kind (3 or 4), or 0 for an unknown kind. */
RETAIN_API int retain_model_param_count(retain_model_kind kind);
/** Short name of a kind ("bgnbd", "pareto_nbd", "mbgnbd", "bgbb", "gamma_gamma"); never NULL. */
RETAIN_API const char *retain_model_kind_name(retain_model_kind kind);

/**
 * Fit a model by weighted maximum likelihood. Rows are first compressed to
 * distinct (x, t_x, T) (Gamma-Gamma: (x, monetary), rows with x = 0
 * skipped). The optimizer is a bounded BFGS in log-parameter space with
 * analytic gradients (Pareto/NBD: forward-mode derivatives through the
 * hypergeometric function); it is deterministic. The model's unit is the
 * data's unit. A fit that stops before the tolerance still returns
 * RETAIN_OK, with converged = 0: check it.
 */
RETAIN_API int retain_model_fit(retain_model *out, retain_model_kind kind,
                                const retain_rfm_data *data, const retain_model_options *opts,
                                retain_diag *diag);

/** A model from known parameters (in retain_model_params order), validated. */
RETAIN_API int retain_model_init(retain_model *out, retain_model_kind kind, retain_time_unit unit,
                                 const double *params, retain_diag *diag);

/**
 * The same model with its parameters expressed in another unit (DAY <->
 * WEEK): the scale parameters are multiplied by the ratio of the units.
 */
RETAIN_API int retain_model_convert(retain_model *out, const retain_model *in,
                                    retain_time_unit unit, retain_diag *diag);

/**
 * Log-likelihood of the data under the model: the weighted total into
 * *total and, when rows is not NULL, each row's own (unweighted) value
 * (Gamma-Gamma: 0 for rows with x = 0, which carry no spend). Times are
 * taken in the model's unit (rescaled from the data's if needed), so the
 * value is the density of purchase times measured in that unit.
 */
RETAIN_API int retain_model_loglik(double *total, double *rows, const retain_model *m,
                                   const retain_rfm_data *data, const retain_model_options *opts,
                                   retain_diag *diag);

/**
 * E[X(t)]: expected repeat purchases of a new customer in (0, t], for each
 * t[i] (in `unit`; BG/BB: whole opportunities, unit PERIOD).
 */
RETAIN_API int retain_model_expected(double *out, const retain_model *m, const double *t,
                                     size_t n, retain_time_unit unit, retain_diag *diag);

/**
 * E[Y(t) | x, t_x, T]: expected repeat purchases in the next t (in `unit`)
 * of each customer of `data`. BG/BB: the next t opportunities.
 */
RETAIN_API int retain_model_conditional_expected(double *out, const retain_model *m,
                                                 const retain_rfm_data *data, double t,
                                                 retain_time_unit unit, retain_diag *diag);

/**
 * P(alive | x, t_x, T) for each customer: alive at T (BG/NBD, MBG/NBD,
 * Pareto/NBD); for BG/BB, alive at the start of opportunity n + 1 (Fader,
 * Hardie & Shang 2010, eq. 11).
 */
RETAIN_API int retain_model_p_alive(double *out, const retain_model *m,
                                    const retain_rfm_data *data, retain_diag *diag);

/**
 * P(X(t) = k) for k = 0 .. n-1: the distribution of the number of repeat
 * purchases of a new customer in (0, t] (t in `unit`; BG/BB: the first t
 * opportunities).
 */
RETAIN_API int retain_model_pmf(double *out, size_t n, const retain_model *m, double t,
                                retain_time_unit unit, retain_diag *diag);

/**
 * Gamma-Gamma: E[mean spend | x, monetary] per customer; customers with
 * x = 0 get the population mean p gamma / (q - 1). Needs data->monetary.
 */
RETAIN_API int retain_gammagamma_expected_spend(double *out, const retain_model *gg,
                                                const retain_rfm_data *data, retain_diag *diag);

/* ---- customer lifetime value --------------------------------------------- */

#define RETAIN_CLV_OPTIONS_VERSION 1

/**
 * CLV settings. No member has a default: each must be set.
 * CLV_i = margin * E[spend_i] * sum_{k=1..periods}
 *         (E[Y_i(k L)] - E[Y_i((k-1) L)]) / (1 + discount_rate)^k,
 * with L = period_length in period_unit.
 */
typedef struct retain_clv_options {
    unsigned int version;         /**< RETAIN_CLV_OPTIONS_VERSION */
    double margin;                /**< share of spend kept as profit, in (0, 1] */
    double discount_rate;         /**< per period, >= 0 (0.01 = 1% per period) */
    double period_length;         /**< length of one discount period, > 0 */
    retain_time_unit period_unit; /**< unit of period_length (BG/BB: PERIOD) */
    int periods;                  /**< horizon, in periods, >= 1 */
} retain_clv_options;

#define RETAIN_CLV_OPTIONS_INIT { RETAIN_CLV_OPTIONS_VERSION, 0.0, -1.0, 0.0, RETAIN_UNIT_NONE, 0 }

/**
 * Discounted expected margin over the horizon for each customer of `data`,
 * from a purchase model (BG/NBD, Pareto/NBD, MBG/NBD or BG/BB) and a
 * Gamma-Gamma spend model; data->monetary is required. The result is in
 * the units of monetary.
 */
RETAIN_API int retain_clv(double *out, const retain_model *purchase, const retain_model *spend,
                          const retain_rfm_data *data, const retain_clv_options *opts,
                          retain_diag *diag);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_MODEL_H */

/*
 * retain/metrics.h - descriptive LTV and retention metrics over the store:
 * revenue, AOV, purchase frequency, repeat rate, LTV to date and its
 * distribution; acquisition-cohort retention; churn and retention per
 * period; RFM scores and segments; what a lift in retention is worth;
 * journey conversion against holdout groups; and the Fader-Hardie RFM
 * summary (x, t_x, T, monetary) of the store's orders for the models of
 * retain/model.h.
 *
 * Conventions of this header (docs/metrics.md has the definitions):
 * - The library never reads the clock: every call takes `as_of` (ms UTC)
 *   and counts orders placed at or before it.
 * - An order counts unless its status is "cancelled" or "refunded", as in
 *   the customer statistics. Money metrics are per currency: only orders in
 *   that currency count and amounts are int64 minor units of it (or doubles
 *   of minor units where they are means). Count metrics (cohorts, churn)
 *   take a currency too, or NULL for orders in every currency.
 * - Days, weeks, months ... are UTC calendar periods. Weeks start on Monday.
 *   A "purchase day" is a (customer, UTC day) with at least one order:
 *   orders of one customer on the same day are one purchase.
 * - A ratio with a zero denominator is NaN (null in JSON).
 * - Results the library allocates are one handle each, freed with the
 *   matching _free (NULL is a no-op); they stay valid after the engine is
 *   closed. Structs the caller owns carry a `version` set by their _INIT.
 * - Each metric has a _json variant that writes the same numbers as a JSON
 *   object; free the text with retain_free().
 * - Reads run in one read transaction, so all numbers of one call come from
 *   one snapshot of the database.
 */
#ifndef RETAIN_METRICS_H
#define RETAIN_METRICS_H

#include "engine.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Calendar periods, in UTC. */
typedef enum retain_period {
    RETAIN_PERIOD_NONE = 0,    /**< not set: refused */
    RETAIN_PERIOD_DAY = 1,
    RETAIN_PERIOD_WEEK = 2,    /**< ISO weeks, Monday 00:00 UTC to Monday */
    RETAIN_PERIOD_MONTH = 3,
    RETAIN_PERIOD_QUARTER = 4,
    RETAIN_PERIOD_YEAR = 5
} retain_period;

/** "day", "week", "month", "quarter", "year"; "none" otherwise. Never NULL. */
RETAIN_API const char *retain_period_name(retain_period p);

/* ---- summary: revenue, AOV, frequency, repeat rate, LTV to date ---------- */

/** Bins of the LTV-to-date histogram in retain_metrics_summary. */
#define RETAIN_LTV_BINS 20

/** One bin of the LTV histogram: customers with lo <= LTV to date < hi. */
typedef struct retain_ltv_bin {
    int64_t lo;        /**< minor units, inclusive */
    int64_t hi;        /**< minor units, exclusive; INT64_MAX for the last bin */
    int64_t customers;
} retain_ltv_bin;

#define RETAIN_METRICS_SUMMARY_VERSION 1

/**
 * Store-wide figures in one currency as of a time. "Customers" are those
 * with at least one counted order in the currency placed at or before
 * as_of; customers who never bought are not in any figure.
 */
typedef struct retain_metrics_summary {
    unsigned int version;        /**< RETAIN_METRICS_SUMMARY_VERSION: set by the caller */
    char currency[4];
    int64_t as_of;
    int64_t customers;           /**< customers who bought */
    int64_t orders;              /**< counted orders */
    int64_t purchase_days;       /**< distinct (customer, day) pairs */
    int64_t revenue;             /**< sum of order totals, minor units */
    double aov;                  /**< average order value: revenue / orders */
    double purchase_frequency;   /**< orders / customers */
    int64_t repeat_customers;    /**< customers with 2 or more purchase days */
    double repeat_rate;          /**< repeat_customers / customers */
    int64_t repeat_customer_revenue; /**< all revenue of the repeat customers */
    int64_t repeat_purchase_revenue; /**< revenue of purchase days after each customer's first */
    double repeat_revenue_share; /**< repeat_purchase_revenue / revenue */
    /* LTV to date: a customer's revenue so far (undiscounted, not margin). */
    double ltv_mean;
    double ltv_median;           /**< percentiles interpolate linearly between ranks */
    double ltv_p90;
    int64_t ltv_max;
    /**
     * Bins 0 .. RETAIN_LTV_BINS-2 have one width, a round number (1, 2, 2.5
     * or 5 times a power of ten, in minor units) chosen so that they cover
     * the 99th percentile; the last bin takes everything above.
     */
    retain_ltv_bin ltv_histogram[RETAIN_LTV_BINS];
} retain_metrics_summary;

#define RETAIN_METRICS_SUMMARY_INIT { RETAIN_METRICS_SUMMARY_VERSION, "", 0, 0, 0, 0, 0, 0.0, 0.0, \
                                     0, 0.0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, { { 0, 0, 0 } } }

/**
 * Fill *out (whose version the caller set with RETAIN_METRICS_SUMMARY_INIT)
 * with the figures for `currency` (ISO 4217) as of `as_of`.
 */
RETAIN_API int retain_metrics_summary_get(retain_metrics_summary *out, retain_engine *e,
                                          const char *currency, int64_t as_of);

/** The same figures as JSON; free with retain_free(). */
RETAIN_API int retain_metrics_summary_json(char **out, retain_engine *e, const char *currency,
                                           int64_t as_of);

/* ---- acquisition-cohort retention --------------------------------------- */

/** One acquisition cohort: a row of the cohort matrix. */
typedef struct retain_cohort {
    int64_t start;            /**< start of the acquisition period, ms UTC */
    int64_t customers;        /**< customers whose first counted order is in that period */
    size_t periods;           /**< columns: offsets 0 .. periods-1, up to as_of's period */
    const int64_t *active;    /**< active[k]: cohort customers with an order in period start+k */
    const double *retention;  /**< active[k] / customers; retention[0] is 1 */
    const int64_t *orders;    /**< orders[k]: their counted orders in that period */
    const int64_t *revenue;   /**< revenue[k], minor units; NULL when no currency was given */
} retain_cohort;

/** The cohort matrix: one row per period in which customers were acquired. */
typedef struct retain_cohorts {
    retain_period period;
    int64_t as_of;
    char currency[4];         /**< "" when orders in every currency counted */
    int last_partial;         /**< 1: as_of is before the end of its period (last column to date) */
    size_t count;
    const retain_cohort *cohorts; /**< oldest first; periods without acquisitions are left out */
} retain_cohorts;

/**
 * Build the acquisition-cohort matrix as of `as_of` in `period`s (usually
 * RETAIN_PERIOD_MONTH or _WEEK). `currency` may be NULL: then every
 * counted order is activity, and revenue is not reported. A matrix of more
 * than 1,000,000 cells is refused with RETAIN_ELIMIT (use a longer period).
 */
RETAIN_API int retain_cohort_retention(retain_cohorts **out, retain_engine *e,
                                       const char *currency, retain_period period,
                                       int64_t as_of);
/** NULL is a no-op. */
RETAIN_API void retain_cohorts_free(retain_cohorts *c);
/** The matrix as JSON; free with retain_free(). */
RETAIN_API int retain_cohort_retention_json(char **out, retain_engine *e, const char *currency,
                                            retain_period period, int64_t as_of);

/* ---- churn and retention per period -------------------------------------- */

/**
 * One calendar period. "Active" means at least one counted order in it.
 * For every period after the first: retained + churned = the previous
 * period's active, and active = new_customers + retained + reactivated.
 */
typedef struct retain_churn_period {
    int64_t start;            /**< ms UTC */
    int64_t end;              /**< exclusive */
    int64_t active;
    int64_t new_customers;    /**< active, and their first order is in this period */
    int64_t retained;         /**< active in this and in the previous period */
    int64_t reactivated;      /**< active, not new, not active in the previous period */
    int64_t churned;          /**< active in the previous period, not in this one */
    double retention_rate;    /**< retained / previous active */
    double churn_rate;        /**< churned / previous active */
    int64_t orders;
    int64_t revenue;          /**< minor units; 0 when no currency was given */
} retain_churn_period;

/** Periods from the one with the first counted order to the one holding as_of. */
typedef struct retain_churn {
    retain_period period;
    int64_t as_of;
    char currency[4];         /**< "" when orders in every currency counted */
    int last_partial;         /**< 1: the last period is still running at as_of */
    size_t count;
    const retain_churn_period *periods; /**< oldest first */
} retain_churn;

/** Period-over-period activity, retention and churn; `currency` may be NULL.
 *  More than 100,000 periods is refused with RETAIN_ELIMIT. */
RETAIN_API int retain_churn_by_period(retain_churn **out, retain_engine *e, const char *currency,
                                      retain_period period, int64_t as_of);
/** NULL is a no-op. */
RETAIN_API void retain_churn_free(retain_churn *c);
/** The series as JSON; free with retain_free(). */
RETAIN_API int retain_churn_by_period_json(char **out, retain_engine *e, const char *currency,
                                           retain_period period, int64_t as_of);

/* ---- RFM scores and segments --------------------------------------------- */

/**
 * RFM segments: a fixed map of the recency score R against the combined
 * score FM = (F + M + 1) / 2 (integer division):
 *
 *   R \ FM   1            2            3            4            5
 *   5        new          pot. loyal.  pot. loyal.  champions    champions
 *   4        promising    pot. loyal.  pot. loyal.  loyal        loyal
 *   3        about to sl. about to sl. needs att.   loyal        loyal
 *   2        hibernating  hibernating  at risk      at risk      cannot lose
 *   1        lost         lost         at risk      at risk      cannot lose
 */
typedef enum retain_rfm_segment {
    RETAIN_SEGMENT_CHAMPIONS = 0,
    RETAIN_SEGMENT_LOYAL = 1,
    RETAIN_SEGMENT_POTENTIAL_LOYALIST = 2,
    RETAIN_SEGMENT_NEW = 3,
    RETAIN_SEGMENT_PROMISING = 4,
    RETAIN_SEGMENT_NEEDS_ATTENTION = 5,
    RETAIN_SEGMENT_ABOUT_TO_SLEEP = 6,
    RETAIN_SEGMENT_AT_RISK = 7,
    RETAIN_SEGMENT_CANNOT_LOSE = 8,
    RETAIN_SEGMENT_HIBERNATING = 9,
    RETAIN_SEGMENT_LOST = 10
} retain_rfm_segment;

#define RETAIN_SEGMENT_COUNT 11

/** "champions", "loyal", "potential_loyalist", "new", "promising",
 *  "needs_attention", "about_to_sleep", "at_risk", "cannot_lose",
 *  "hibernating", "lost"; "unknown" otherwise. Never NULL. */
RETAIN_API const char *retain_rfm_segment_name(retain_rfm_segment s);

/** The segment of a recency score r and combined score fm (1..5; others are clamped). */
RETAIN_API retain_rfm_segment retain_rfm_segment_of(int r, int fm);

/** One customer's RFM values and scores. */
typedef struct retain_rfm_score {
    const char *customer_id;  /**< the host's id */
    int64_t recency_days;     /**< UTC days from the last purchase day to as_of's day */
    int64_t frequency;        /**< purchase days */
    int64_t monetary;         /**< revenue to date (LTV to date), minor units */
    int64_t first_order_at;   /**< ms UTC */
    int64_t last_order_at;    /**< ms UTC */
    int r, f, m;              /**< quintile scores 1..5; 5 is best (most recent, most, highest) */
    retain_rfm_segment segment;
} retain_rfm_score;

/** Scores of every customer who bought in the currency by as_of. */
typedef struct retain_rfm_scores {
    char currency[4];
    int64_t as_of;
    size_t count;
    const retain_rfm_score *rows;  /**< in the order customers were created */
    int64_t segment_customers[RETAIN_SEGMENT_COUNT]; /**< customers per segment */
} retain_rfm_scores;

/**
 * Score every customer. A score is 1 + floor(5 * share of customers with a
 * strictly worse value), at most 5: ties share a score, so with many
 * one-time buyers the frequency scores skip values.
 */
RETAIN_API int retain_rfm_scores_get(retain_rfm_scores **out, retain_engine *e,
                                     const char *currency, int64_t as_of);
/** NULL is a no-op. */
RETAIN_API void retain_rfm_scores_free(retain_rfm_scores *s);
/** Segment counts and every customer's scores as JSON; free with retain_free(). */
RETAIN_API int retain_rfm_scores_json(char **out, retain_engine *e, const char *currency,
                                      int64_t as_of);

/* ---- Fader-Hardie RFM summary from the store ----------------------------- */

/**
 * The calibration summary of the store's orders in one currency, one row
 * per customer whose first counted order is on or before calibration_end's
 * day, in the definitions of retain/model.h (retain_rfm_split): x repeat
 * purchase days, t_x and T in `unit`, monetary the mean value of the repeat
 * purchase days in minor units, holdout_x the purchase days after
 * calibration_end's day up to holdout_end's. Pass it to the models with
 * retain_rfm_view(&s->summary, ...).
 */
typedef struct retain_store_rfm {
    retain_rfm summary;            /**< summary.customer holds the store's row numbers, ascending */
    const char *const *customer_id; /**< the host's id of each row */
    char currency[4];
    int64_t calibration_end;
    int64_t holdout_end;
} retain_store_rfm;

/**
 * Summarize with one sequential scan of the orders. `unit` is
 * RETAIN_UNIT_DAY or RETAIN_UNIT_WEEK; pass holdout_end = calibration_end
 * when there is no holdout period. No customer yet gives count 0.
 */
RETAIN_API int retain_rfm_from_store(retain_store_rfm **out, retain_engine *e,
                                     const char *currency, int64_t calibration_end,
                                     int64_t holdout_end, retain_time_unit unit);
/** NULL is a no-op. */
RETAIN_API void retain_store_rfm_free(retain_store_rfm *s);
/** The rows as JSON; free with retain_free(). */
RETAIN_API int retain_rfm_from_store_json(char **out, retain_engine *e, const char *currency,
                                          int64_t calibration_end, int64_t holdout_end,
                                          retain_time_unit unit);

/* ---- retention economics ------------------------------------------------- */

#define RETAIN_ECONOMICS_OPTIONS_VERSION 1

/**
 * Assumptions for what a lift in retention is worth. Members marked
 * "geometric" are read by retain_retention_economics(), "model" by
 * retain_retention_economics_model(). Nothing has a default except
 * `customers` (1): set what the function reads.
 */
typedef struct retain_economics_options {
    unsigned int version;    /**< RETAIN_ECONOMICS_OPTIONS_VERSION */
    /** Profit, minor units, >= 0. Geometric: per customer per period.
     *  Model: per repeat purchase (margin times expected spend). */
    double margin;
    double discount_rate;    /**< per period, >= 0 (0.1 = 10%) */
    double retention;        /**< geometric: current retention per period, in [0, 1) */
    double lift;             /**< retention points added, >= 0 (0.05 = +5 points) */
    double customers;        /**< customers the totals are for, >= 0 */
    double period_length;    /**< model: one discount period, > 0 (BG/BB: whole opportunities) */
    retain_time_unit period_unit; /**< model: unit of period_length (BG/BB: RETAIN_UNIT_PERIOD) */
    int periods;             /**< model: horizon in periods, >= 1 */
} retain_economics_options;

#define RETAIN_ECONOMICS_OPTIONS_INIT \
    { RETAIN_ECONOMICS_OPTIONS_VERSION, -1.0, -1.0, -1.0, -1.0, 1.0, 0.0, RETAIN_UNIT_NONE, 0 }

#define RETAIN_RETENTION_VALUE_VERSION 1

/** The value of a customer before and after the lift. */
typedef struct retain_retention_value {
    unsigned int version;      /**< RETAIN_RETENTION_VALUE_VERSION: set by the caller */
    double retention;          /**< retention before the lift (model: implied by the model) */
    double lifted_retention;   /**< retention + lift */
    double value;              /**< present value of one customer, minor units */
    double lifted_value;       /**< the same with the lifted retention */
    double lift_value;         /**< lifted_value - value: what the lift is worth per customer */
    double total_lift_value;   /**< lift_value * customers */
    double relative_increase;  /**< lifted_value / value - 1 */
    double expected_lifetime;  /**< geometric: 1 / (1 - retention) periods; model: NaN */
    double lifted_expected_lifetime;
    double expected_purchases; /**< model: repeat purchases over the horizon; geometric: NaN */
    double lifted_expected_purchases;
} retain_retention_value;

#define RETAIN_RETENTION_VALUE_INIT { RETAIN_RETENTION_VALUE_VERSION, 0.0, 0.0, 0.0, 0.0, 0.0, \
                                     0.0, 0.0, 0.0, 0.0, 0.0, 0.0 }

/**
 * Geometric retention: a customer who stays yields `margin` at the start of
 * every period and stays another period with probability r, so
 * CLV(r) = margin * (1 + d) / (1 + d - r) and the lift is worth
 * CLV(r + lift) - CLV(r) per customer. r + lift must stay below 1.
 */
RETAIN_API int retain_retention_economics(retain_retention_value *out, retain_engine *e,
                                          const retain_economics_options *opts);
/** The same as JSON (assumptions included); free with retain_free(). */
RETAIN_API int retain_retention_economics_json(char **out, retain_engine *e,
                                               const retain_economics_options *opts);

/**
 * Model-based: the discounted expected repeat purchases of a new customer
 * under a fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD or BG/BB),
 *   value = margin * sum_{k=1..periods} (E[X(kL)] - E[X((k-1)L)]) / (1+d)^k,
 * before and after a lift of the model's retention, which is:
 * BG/NBD and MBG/NBD: 1 - E[p], surviving a purchase, p ~ Beta(a, b);
 * BG/BB: 1 - E[theta], surviving an opportunity; Pareto/NBD:
 * E[exp(-mu L)] = (beta / (beta + L))^s, surviving one period. The lift
 * moves that mean keeping the spread: a + b (gamma + delta) for the beta
 * models, s for Pareto/NBD.
 */
RETAIN_API int retain_retention_economics_model(retain_retention_value *out, retain_engine *e,
                                                const retain_model *purchase,
                                                const retain_economics_options *opts);
/** The same as JSON; free with retain_free(). */
RETAIN_API int retain_retention_economics_model_json(char **out, retain_engine *e,
                                                     const retain_model *purchase,
                                                     const retain_economics_options *opts);

/* ---- journey conversion -------------------------------------------------- */

/**
 * Conversion of one journey variant. An instance converted when its goal
 * was reached within `window` of entering and by as_of; it is pending when
 * it has not converted and its window is still open at as_of. The rate
 * leaves pending instances out: converted / (entered - pending).
 */
typedef struct retain_conversion_row {
    const char *journey;
    const char *variant;      /**< NULL when the journey has no split */
    int holdout;              /**< 1 for the "holdout" variant */
    int64_t entered;
    int64_t converted;
    int64_t pending;
    double rate;
} retain_conversion_row;

/**
 * Treatment (every variant but "holdout", pooled) against holdout for one
 * journey, on decided instances (entered - pending), with a two-sided
 * two-proportion z-test.
 */
typedef struct retain_conversion_lift {
    const char *journey;
    int64_t treatment_decided, treatment_converted;
    int64_t holdout_decided, holdout_converted;
    double treatment_rate, holdout_rate;
    double lift;              /**< treatment_rate - holdout_rate */
    double relative_lift;     /**< treatment_rate / holdout_rate - 1 */
    double z;                 /**< pooled two-proportion z statistic */
    double p_value;           /**< two-sided */
} retain_conversion_lift;

/** Goal conversion of journeys, per variant and holdout, from retain_journey_conversion(). */
typedef struct retain_conversion {
    int64_t since, as_of, window;
    size_t count;
    const retain_conversion_row *rows;   /**< by journey, then variant (NULL first) */
    size_t lift_count;
    const retain_conversion_lift *lifts; /**< one per journey, by name */
} retain_conversion;

/**
 * Conversion by journey and variant of the instances entered in
 * [since, as_of] (since = INT64_MIN for no lower bound), goal within
 * `window` ms (> 0). `journey` selects one journey, or NULL for all.
 * Journey versions are pooled.
 */
RETAIN_API int retain_journey_conversion(retain_conversion **out, retain_engine *e,
                                         const char *journey, int64_t since, int64_t window,
                                         int64_t as_of);
/** NULL is a no-op. */
RETAIN_API void retain_conversion_free(retain_conversion *c);
/** The same as JSON; free with retain_free(). */
RETAIN_API int retain_journey_conversion_json(char **out, retain_engine *e, const char *journey,
                                              int64_t since, int64_t window, int64_t as_of);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_METRICS_H */

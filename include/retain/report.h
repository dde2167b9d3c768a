/*
 * retain/report.h - one self-contained HTML page that shows how the store
 * retains its customers: acquisition-cohort retention, repeat rate and
 * revenue over time, the LTV distribution, a BG/NBD fit checked against a
 * holdout period, P(alive), RFM segments and journey funnels with their
 * holdout groups.
 *
 * The page needs nothing from the network: the styles are inline and the
 * charts are SVG written by the library, sized by viewBox to the screen
 * (phones included). Every chart is an <svg data-chart="NAME" data-n="N">
 * with N elements of class "pt", one per data point. A store with no
 * orders gives a page that says so. docs/report.md describes each section.
 */
#ifndef RETAIN_REPORT_H
#define RETAIN_REPORT_H

#include "engine.h"
#include "metrics.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_REPORT_OPTIONS_VERSION 1

/** What the report covers. Start from RETAIN_REPORT_OPTIONS_INIT; only `now` must be set. */
typedef struct retain_report_options {
    unsigned int version;         /**< RETAIN_REPORT_OPTIONS_VERSION */
    /** Required: the time the report is as of, ms UTC. Descriptive figures
     *  count orders placed at or before it; the models read orders placed
     *  before it, as `retain fit` does. */
    int64_t now;
    /** ISO 4217 code of the orders that count; NULL for "USD". */
    const char *currency;
    /** Heading and title of the page (UTF-8, escaped); NULL for "Retention report". */
    const char *title;
    /** Days before `now` held out to check the BG/NBD fit: the model is
     *  fitted on the orders before that and predicts the holdout period.
     *  0: half the history, in whole weeks. At most 36500. */
    int holdout_days;
    /** Unit of the model fits: RETAIN_UNIT_WEEK (default when NONE) or RETAIN_UNIT_DAY. */
    retain_time_unit unit;
    /** Period of the cohorts and of the time series; NONE for RETAIN_PERIOD_MONTH. */
    retain_period period;
    /** Journey conversion window in ms; 0 for each journey's own `goal:
     *  within` (30 days when it has none). */
    int64_t conversion_window;
} retain_report_options;

#define RETAIN_REPORT_OPTIONS_INIT \
    { RETAIN_REPORT_OPTIONS_VERSION, RETAIN_TIME_NONE, 0, 0, 0, RETAIN_UNIT_NONE, \
      RETAIN_PERIOD_NONE, 0 }

/**
 * The report as one NUL-terminated HTML text in *out (free with
 * retain_free()). All of it is read in one snapshot of the database.
 */
RETAIN_API int retain_report_html(char **out, retain_engine *e, const retain_report_options *opts);

/**
 * Write the report to the file at `path`, replacing it: the page is built
 * first and written to a temporary file beside it that is renamed over
 * `path`, so a failure never leaves a half-written report (RETAIN_EIO with
 * the reason).
 */
RETAIN_API int retain_report_write(retain_engine *e, const char *path,
                                   const retain_report_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_REPORT_H */

/*
 * metrics.h (internal) - what the metric files share: the store's counted
 * orders grouped by customer and sorted by time, UTC calendar periods,
 * argument checks, and JSON number output.
 */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include "core/buf.h"
#include "core/engine.h"
#include "retain/metrics.h"
#include "tz/tz.h"

#define RT_MS_PER_DAY INT64_C(86400000)

/* One counted order. */
typedef struct rt_purchase {
    int64_t at;      /* placed_at, ms UTC */
    int64_t amount;  /* total, minor units */
} rt_purchase;

/* Counted orders grouped by customer (ascending row id), each customer's
 * in time order. Customer c owns p[off[c] .. off[c+1]). */
typedef struct rt_hist {
    size_t ncust;
    size_t n;
    int64_t *cust;
    size_t *off;
    rt_purchase *p;
    const retain_allocator *alloc;
} rt_hist;

/* Scan the orders placed at or before `as_of` in `currency` (NULL: every
 * currency) and group them. The caller holds the read snapshot. */
int rt_hist_load(retain_engine *e, const char *currency, int64_t as_of, rt_hist *out);
void rt_hist_free(rt_hist *h);
/* rt_hist_load() inside its own read snapshot. */
int rt_hist_read(retain_engine *e, const char *currency, int64_t as_of, rt_hist *h);

/* Group parallel arrays (cust[i], at[i], amount[i]) into *out; exposed so
 * the grouping can be tested without a database. */
int rt_hist_group(rt_hist *out, const int64_t *cust, const int64_t *at, const int64_t *amount,
                  size_t n, const retain_allocator *a);

/* Distinct UTC days among a customer's purchases (sorted by time). */
int64_t rt_hist_days(const rt_hist *h, size_t c);

/* acc += v for money; false (acc unchanged) when the sum would overflow. */
static inline bool rt_madd(int64_t *acc, int64_t v)
{
    int64_t r;
    if (__builtin_add_overflow(*acc, v, &r))
        return false;
    *acc = r;
    return true;
}

/* The error for a sum of money that does not fit in int64. */
int rt_mmoney_overflow(retain_engine *e);

/* The UTC day number of a time. */
static inline int64_t rt_day_of(int64_t ms)
{
    return rt_floor_div(ms, RT_MS_PER_DAY);
}

/* ---- calendar periods (period.c; civil dates from tz/tz.h) ---- */

/* Index of the period holding time `ms` (consecutive periods have
 * consecutive indexes), and the start of period `index` in ms. */
int64_t rt_period_index(retain_period p, int64_t ms);
int64_t rt_period_start(retain_period p, int64_t index);

/* ---- per-period results (series.c) ---- */

typedef struct rt_series_args {
    const char *currency; /* NULL: every currency */
    retain_period period;
    int64_t as_of;
    int last_partial;     /* as_of is before the last ms of its period */
    const rt_hist *h;
} rt_series_args;

/* Complete the zeroed result `res` (an rt_object) from a->h. */
typedef int (*rt_series_fill)(retain_engine *e, void *res, const rt_series_args *a);

/* Check the arguments (currency optional), read the orders in a snapshot,
 * allocate a result of `size` bytes and let fill() complete it. */
int rt_series_build(void **out, size_t size, retain_engine *e, const char *currency,
                    retain_period period, int64_t as_of, rt_series_fill fill);
/* Open a result's JSON: {"period":..,"as_of":..,"currency":..,
 * "last_partial":..,"<list>":[ */
void rt_series_json_open(rt_buf *b, retain_period period, int64_t as_of, const char *currency,
                         int last_partial, const char *list);

/* ---- argument checks (check.c); each records a message ---- */

int rt_mcheck_currency(retain_engine *e, const char *currency, bool optional);
int rt_mcheck_as_of(retain_engine *e, const char *what, int64_t as_of);
int rt_mcheck_period(retain_engine *e, retain_period p);
/* Cohort matrix cells, and churn periods, allowed in one result. */
#define RT_MAX_COHORT_CELLS 1000000
#define RT_MAX_CHURN_PERIODS 100000
/* RETAIN_ELIMIT when a result would hold more than `max` cells. */
int rt_mcheck_cells(retain_engine *e, uint64_t cells, uint64_t max, retain_period period);
/* out->version between 1 and `current`. */
int rt_mcheck_version(retain_engine *e, const char *what, unsigned int version,
                      unsigned int current, const char *init);

/* ---- JSON output (json.c) ---- */

/* A finite number with enough digits to read back the same double, or null. */
void rt_mjson_num(rt_buf *b, double v);
/* "key": prefixed by a comma unless first. */
void rt_mjson_key(rt_buf *b, const char *key, bool first);
/* A time's UTC date as a JSON string, "2024-01-31". */
void rt_mjson_date(rt_buf *b, int64_t ms);
/* Finish *out from b, reporting out-of-memory on e. */
int rt_mjson_finish(retain_engine *e, rt_buf *b, char **out);

#endif

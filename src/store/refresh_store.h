/*
 * refresh_store.h (internal) - the write behind retain_model_refresh()
 * (src/metrics/refresh.c): each customer's p_alive, expected purchases in
 * the next 90 days and CLV, stored in one transaction.
 */
#ifndef RT_REFRESH_STORE_H
#define RT_REFRESH_STORE_H

#include "core/engine.h"

/* One customer's predictions; `key` is the customer's row id. */
typedef struct rt_refresh_row {
    int64_t key;
    double p_alive;
    double expected_90d;
    int64_t clv;          /* minor units of the refresh's currency */
} rt_refresh_row;

/*
 * In one transaction: clear p_alive, clv, clv_currency and expected_90d of
 * the customers whose clv_currency is `currency` (an earlier refresh) and
 * who are not in rows[], then write rows[0..n) with clv_currency =
 * `currency`. *written counts the customers updated (rows whose customer
 * was deleted meanwhile are not counted), *cleared those cleared. Nothing
 * is changed on failure.
 */
int rt_refresh_write(retain_engine *e, const char *currency, const rt_refresh_row *rows,
                     size_t n, size_t *written, size_t *cleared);

#endif

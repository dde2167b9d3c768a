/*
 * audit_store.h (internal) - the read-only facts the self-audit needs from
 * the database: how much order history there is, which sales channels the
 * orders came from, and whether customers have granted consent.
 */
#ifndef RT_AUDIT_STORE_H
#define RT_AUDIT_STORE_H

#include "store.h"

typedef struct as_history {
    int64_t orders;    /* orders placed at or before `now` */
    int64_t customers; /* distinct customers who placed them */
    int64_t first_at;  /* the earliest placed_at; RETAIN_TIME_NONE without orders */
} as_history;

int as_order_history(retain_engine *e, int64_t now, as_history *out);

/* Call fn(channel, orders, ctx) for every sales channel of the orders, in
 * name order; fn returns a status and a non-zero one stops the walk. */
int as_order_channels(retain_engine *e,
                      int (*fn)(const char *channel, int64_t orders, void *ctx), void *ctx);

/* Customers with a granted consent record for `channel` and `category`
 * (or the channel's "all"); with channel NULL, for anything at all. */
int as_consent_granted(retain_engine *e, const char *channel, const char *category,
                       int64_t *customers);

#endif

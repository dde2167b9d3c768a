/*
 * audit_store.c - the SQL behind the self-audit (src/audit): counts only,
 * never a write, so an audit runs on a read-only engine.
 */
#include "audit_store.h"

int as_order_history(retain_engine *e, int64_t now, as_history *out)
{
    static const char sql[] =
        "SELECT count(*), count(DISTINCT customer), min(placed_at) FROM orders WHERE placed_at<=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, now);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        out->orders = rt_column_int64(st, 0);
        out->customers = rt_column_int64(st, 1);
        out->first_at = rt_col_time(st, 2);
    }
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "reading the order history");
}

int as_order_channels(retain_engine *e,
                      int (*fn)(const char *channel, int64_t orders, void *ctx), void *ctx)
{
    static const char sql[] = "SELECT channel, count(*) FROM orders GROUP BY channel ORDER BY channel";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src = SQLITE_DONE;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(rt_col_text(st, 0), rt_column_int64(st, 1), ctx);
    rt_reset(st);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading the sales channels of orders");
    return rc;
}

int as_consent_granted(retain_engine *e, const char *channel, const char *category,
                       int64_t *customers)
{
    static const char sql[] =
        "SELECT count(DISTINCT customer) FROM consent WHERE granted=1"
        " AND (?1 IS NULL OR (channel=?1 AND category IN (?2, 'all')))";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_text(st, 1, channel);
    rt_bind_text(st, 2, category);
    int src = rt_sqlstep(st);
    *customers = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "counting consent records");
}

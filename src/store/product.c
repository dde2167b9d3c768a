/*
 * product.c - the small product table (titles and prices for messages),
 * consumption cycles per SKU, and the repurchase intervals cycles are
 * learned from.
 */
#include "domain_store.h"
#include "outbox.h"

#include <string.h>

#define COUNTS " o.status NOT IN ('cancelled','refunded')"

int ds_product_upsert(retain_engine *e, const char *sku, const char *title, int64_t price,
                      const char *currency, const char *attrs, int64_t now)
{
    static const char sql[] =
        "INSERT INTO product(sku,title,price,currency,attrs,updated_at)"
        " VALUES(?1,?2,?3,?4,coalesce(?5,'{}'),?6) ON CONFLICT(sku) DO UPDATE SET"
        " title=?2, price=?3, currency=?4, attrs=coalesce(?5,attrs), updated_at=?6";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    rt_bind_text(st, 2, title);
    if (price < 0)
        rt_bind_null(st, 3);
    else
        rt_bind_int64(st, 3, price);
    rt_bind_text(st, 4, currency);
    rt_bind_text(st, 5, attrs);
    rt_bind_int64(st, 6, now);
    if ((rc = ob_step_done(e, st, "recording a product")))
        return rc;
    /* Engines holding titles and prices in memory reload them. */
    static const char bump[] =
        "INSERT INTO reco_meta(k,v) VALUES('products',1)"
        " ON CONFLICT(k) DO UPDATE SET v=v+1";
    if ((rc = rt_stmt(e, bump, &st)))
        return rc;
    return ob_step_done(e, st, "recording a product change");
}

int ds_product_get(retain_engine *e, const char *sku, char *title, size_t title_sz,
                   int64_t *price, char *currency, size_t cur_sz, bool *found)
{
    /* The product row wins; the most recently recorded order line fills
     * what it lacks (one step down the order_line_sku index). */
    static const char sql[] =
        "SELECT p.title, p.price, p.currency, l.title, l.unit_price, o.currency"
        " FROM (SELECT ?1 AS sku) k LEFT JOIN product p ON p.sku=k.sku"
        " LEFT JOIN (SELECT order_id, title, unit_price FROM order_line"
        "   WHERE sku=?1 ORDER BY order_id DESC LIMIT 1) l"
        " LEFT JOIN orders o ON o.id=l.order_id";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *found = false;
    if (src == SQLITE_ROW) {
        bool prod = rt_column_type(st, 1) != SQLITE_NULL;
        bool line = rt_column_type(st, 4) != SQLITE_NULL;
        *found = prod || line || rt_column_type(st, 0) != SQLITE_NULL;
        int tcol = rt_column_type(st, 0) != SQLITE_NULL ? 0 : 3;
        rt_col_copy(title, title_sz, st, tcol);
        *price = prod ? rt_column_int64(st, 1) : line ? rt_column_int64(st, 4) : -1;
        rt_col_copy(currency, cur_sz, st, prod ? 2 : 5);
    }
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "reading a product");
}

int ds_sku_known(retain_engine *e, const char *sku, bool *known)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM product WHERE sku=?1)"
        " OR EXISTS (SELECT 1 FROM sku_cycle WHERE sku=?1)"
        " OR EXISTS (SELECT 1 FROM order_line WHERE sku=?1)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *known = src == SQLITE_ROW && rt_column_int(st, 0);
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "looking up a SKU");
}

int ds_cycle_get(retain_engine *e, const char *sku, ds_cycle *out, bool *found)
{
    static const char sql[] =
        "SELECT configured_ms, learned_ms, samples, learned_at FROM sku_cycle WHERE sku=?";
    rt_st *st;
    memset(out, 0, sizeof *out);
    out->learned_at = INT64_MIN;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (src == SQLITE_ROW) {
        out->configured_ms = rt_column_int64(st, 0);
        out->learned_ms = rt_column_int64(st, 1);
        out->samples = rt_column_int64(st, 2);
        out->learned_at = rt_col_time(st, 3);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading a SKU cycle");
}

int ds_cycle_configure(retain_engine *e, const char *sku, int64_t configured_ms)
{
    static const char sql[] =
        "INSERT INTO sku_cycle(sku,configured_ms) VALUES(?1,nullif(?2,0))"
        " ON CONFLICT(sku) DO UPDATE SET configured_ms=nullif(?2,0)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, configured_ms);
    return ob_step_done(e, st, "setting a SKU cycle");
}

int ds_cycle_learned(retain_engine *e, const char *sku, int64_t learned_ms, int64_t samples,
                     int64_t now)
{
    static const char sql[] =
        "INSERT INTO sku_cycle(sku,learned_ms,samples,learned_at) VALUES(?1,nullif(?2,0),?3,?4)"
        " ON CONFLICT(sku) DO UPDATE SET learned_ms=nullif(?2,0), samples=?3, learned_at=?4";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, learned_ms);
    rt_bind_int64(st, 3, samples);
    rt_bind_int64(st, 4, now);
    return ob_step_done(e, st, "recording a learned SKU cycle");
}

int ds_repurchase_each(retain_engine *e, int64_t min_gap_ms,
                       int (*fn)(void *ctx, const char *sku, double per_unit_ms), void *ctx)
{
    /* Purchases of one order are merged per SKU; the window pairs each with
     * the same customer's next purchase of that SKU. */
    static const char sql[] =
        "SELECT sku, CAST(next_at - placed_at AS REAL) / qty FROM ("
        " SELECT sku, placed_at, qty,"
        "  lead(placed_at) OVER (PARTITION BY customer, sku ORDER BY placed_at, id) AS next_at"
        " FROM (SELECT o.id, o.customer, l.sku, o.placed_at, sum(l.quantity) AS qty"
        "  FROM order_line l JOIN orders o ON o.id=l.order_id WHERE" COUNTS
        "  GROUP BY o.id, l.sku))"
        " WHERE next_at IS NOT NULL AND next_at - placed_at >= ?1 AND qty > 0"
        " ORDER BY sku";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, min_gap_ms);
    int src = SQLITE_DONE;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(ctx, rt_col_text(st, 0), rt_column_double(st, 1));
    rt_reset(st);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading repurchase intervals");
    return rc;
}

/*
 * replenish_store.c - purchases waiting for their replenishment reminder:
 * intake of new orders from the to-do queue (a trigger fills it), the
 * reminders due, and rescheduling when a SKU's cycle changes.
 */
#include "domain_store.h"
#include "outbox.h"

#include <string.h>

static int take_order(retain_engine *e, int64_t okey,
                      int (*cycle)(void *ctx, const char *sku, int64_t *per_unit_ms), void *ctx,
                      int64_t lead_ms)
{
    static const char order_sql[] =
        "SELECT customer, placed_at, status IN ('cancelled','refunded') FROM orders WHERE id=?";
    static const char lines_sql[] =
        "SELECT sku, sum(quantity) FROM order_line WHERE order_id=? GROUP BY sku ORDER BY sku";
    /* A purchase cancels the customer's earlier pending reminder of the SKU;
     * one that arrives after a later purchase (an import out of order) is
     * born reordered. */
    static const char cancel_sql[] =
        "UPDATE replenish SET state='reordered' WHERE customer=?1 AND sku=?2"
        " AND state='pending' AND placed_at<=?3 AND order_id<>?4";
    static const char ins_sql[] =
        "INSERT OR IGNORE INTO replenish(customer,sku,order_id,placed_at,quantity,due_at,"
        "runout_at,state) VALUES(?1,?2,?3,?4,?5,?6,?7,"
        " CASE WHEN EXISTS (SELECT 1 FROM replenish WHERE customer=?1 AND sku=?2"
        "  AND placed_at>?4) THEN 'reordered' ELSE 'pending' END)";
    rt_st *st, *ls, *cs, *is;
    int rc = rt_stmt(e, order_sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, okey);
    int src = rt_sqlstep(st);
    int64_t cust = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    int64_t placed = src == SQLITE_ROW ? rt_column_int64(st, 1) : 0;
    bool void_order = src == SQLITE_ROW && rt_column_int(st, 2);
    rt_reset(st);
    if (src == SQLITE_DONE || void_order)
        return RETAIN_OK; /* erased, or never counted */
    if (src != SQLITE_ROW)
        return rt_sqlerr(e, src, "reading an order for replenishment");
    if ((rc = rt_stmt(e, lines_sql, &ls)) || (rc = rt_stmt(e, cancel_sql, &cs)) ||
        (rc = rt_stmt(e, ins_sql, &is)))
        return rc;
    rt_bind_int64(ls, 1, okey);
    while (rc == RETAIN_OK && (src = rt_sqlstep(ls)) == SQLITE_ROW) {
        const char *sku = rt_col_text(ls, 0);
        int64_t qty = rt_column_int64(ls, 1), per_unit = 0;
        if (qty <= 0 || (rc = cycle(ctx, sku, &per_unit)))
            continue;
        rt_bind_int64(cs, 1, cust);
        rt_bind_textn(cs, 2, sku, -1, SQLITE_TRANSIENT);
        rt_bind_int64(cs, 3, placed);
        rt_bind_int64(cs, 4, okey);
        if ((rc = ob_step_done(e, cs, "cancelling a replenishment reminder")))
            break;
        rt_clear_bindings(cs);
        rt_bind_int64(is, 1, cust);
        rt_bind_textn(is, 2, sku, -1, SQLITE_TRANSIENT);
        rt_bind_int64(is, 3, okey);
        rt_bind_int64(is, 4, placed);
        rt_bind_int64(is, 5, qty);
        if (per_unit > 0) {
            int64_t runout = placed + qty * per_unit;
            rt_bind_int64(is, 6, runout - lead_ms);
            rt_bind_int64(is, 7, runout);
        }
        rc = ob_step_done(e, is, "recording a purchase for replenishment");
        rt_clear_bindings(is);
    }
    rt_reset(ls);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading order lines for replenishment");
    return rc;
}

int ds_replenish_todo_any(retain_engine *e, bool *any)
{
    static const char sql[] = "SELECT EXISTS(SELECT 1 FROM replenish_todo)";
    int64_t n = 0;
    int rc = rt_query_int64(e, sql, &n, "reading the replenishment queue");
    *any = n != 0;
    return rc;
}

int ds_replenish_intake(retain_engine *e, int cap,
                        int (*cycle)(void *ctx, const char *sku, int64_t *per_unit_ms),
                        void *ctx, int64_t lead_ms, int *taken)
{
    static const char todo_sql[] = "SELECT order_id FROM replenish_todo ORDER BY order_id LIMIT ?";
    static const char done_sql[] = "DELETE FROM replenish_todo WHERE order_id=?";
    *taken = 0;
    int64_t ids[256];
    if (cap > 256)
        cap = 256;
    rt_st *st;
    int rc = rt_stmt(e, todo_sql, &st);
    if (rc)
        return rc;
    rt_bind_int(st, 1, cap);
    int src, n = 0;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW && n < cap)
        ids[n++] = rt_column_int64(st, 0);
    rt_reset(st);
    if (src != SQLITE_DONE && src != SQLITE_ROW)
        return rt_sqlerr(e, src, "reading the replenishment queue");
    for (int i = 0; i < n && rc == RETAIN_OK; i++) {
        if ((rc = take_order(e, ids[i], cycle, ctx, lead_ms)) || (rc = rt_stmt(e, done_sql, &st)))
            break;
        rt_bind_int64(st, 1, ids[i]);
        rc = ob_step_done(e, st, "clearing the replenishment queue");
    }
    *taken = n;
    return rc;
}

int ds_replenish_due(retain_engine *e, int64_t now, ds_purchase *out, int cap, int *n)
{
    static const char sql[] =
        "SELECT r.customer, r.order_id, r.sku, o.ext_id, r.placed_at, r.quantity, r.due_at,"
        " r.runout_at, o.status IN ('cancelled','refunded')"
        " FROM replenish r JOIN orders o ON o.id=r.order_id"
        " WHERE r.state='pending' AND r.due_at<=?1 ORDER BY r.due_at, r.order_id, r.sku LIMIT ?2";
    rt_st *st;
    *n = 0;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, now);
    rt_bind_int(st, 2, cap);
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW && *n < cap) {
        ds_purchase *p = &out[(*n)++];
        p->customer = rt_column_int64(st, 0);
        p->order_key = rt_column_int64(st, 1);
        rt_col_copy(p->sku, sizeof p->sku, st, 2);
        rt_col_copy(p->order_id, sizeof p->order_id, st, 3);
        p->placed_at = rt_column_int64(st, 4);
        p->quantity = rt_column_int64(st, 5);
        p->due_at = rt_column_int64(st, 6);
        p->runout_at = rt_column_int64(st, 7);
        /* A cancelled order marks itself with quantity 0. */
        if (rt_column_int(st, 8))
            p->quantity = 0;
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading due reminders");
}

int ds_replenish_set_state(retain_engine *e, int64_t order_key, const char *sku,
                           const char *state)
{
    static const char sql[] = "UPDATE replenish SET state=?3 WHERE order_id=?1 AND sku=?2";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, order_key);
    rt_bind_textn(st, 2, sku, -1, SQLITE_STATIC);
    rt_bind_textn(st, 3, state, -1, SQLITE_STATIC);
    return ob_step_done(e, st, "updating a replenishment reminder");
}

int ds_replenish_merged(retain_engine *e, int64_t customer)
{
    static const char sql[] =
        "UPDATE replenish SET state='reordered' WHERE customer=?1 AND state='pending'"
        " AND EXISTS (SELECT 1 FROM replenish r WHERE r.customer=?1 AND r.sku=replenish.sku"
        "  AND r.state<>'void' AND (r.placed_at>replenish.placed_at"
        "   OR (r.placed_at=replenish.placed_at AND r.order_id>replenish.order_id)))";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    return ob_step_done(e, st, "merging replenishment reminders");
}

int ds_replenish_reschedule(retain_engine *e, const char *sku, int64_t per_unit_ms,
                            int64_t lead_ms)
{
    static const char sql[] =
        "UPDATE replenish SET runout_at=CASE WHEN ?2>0 THEN placed_at+quantity*?2 END,"
        " due_at=CASE WHEN ?2>0 THEN placed_at+quantity*?2-?3 END"
        " WHERE sku=?1 AND state='pending'";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, sku, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, per_unit_ms);
    rt_bind_int64(st, 3, lead_ms);
    return ob_step_done(e, st, "rescheduling replenishment reminders");
}

int ds_replenish_state(retain_engine *e, const char *order_id, const char *sku, char *state,
                       size_t size, int64_t *due_at)
{
    static const char sql[] =
        "SELECT r.state, r.due_at FROM replenish r JOIN orders o ON o.id=r.order_id"
        " WHERE o.ext_id=?1 AND r.sku=?2";
    rt_st *st;
    state[0] = '\0';
    *due_at = INT64_MIN;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, order_id, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, sku, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        rt_col_copy(state, size, st, 0);
        *due_at = rt_col_time(st, 1);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading a reminder");
}

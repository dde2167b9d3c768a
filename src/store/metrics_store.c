/*
 * metrics_store.c - the SQL behind the metrics. The order scan reads the
 * table in storage order: walking orders_customer instead would give rows
 * grouped by customer but costs a table seek per order (ten times slower
 * on a million orders), so the metrics group in memory instead.
 */
#include "metrics_store.h"
#include "store.h"

#include <string.h>

int rt_ms_read_begin(retain_engine *e, bool *began)
{
    *began = false;
    if (e->in_host_tx || e->call_depth > 0 || !rt_autocommit(e))
        return RETAIN_OK; /* the open transaction is the snapshot */
    int rc = rt_read_begin(e);
    if (rc == RETAIN_OK)
        *began = true;
    return rc;
}

int rt_ms_read_end(retain_engine *e, bool began, int rc)
{
    if (!began)
        return rc;
    if (rc != RETAIN_OK) {
        rt_tx_abort(e);
        return rc;
    }
    return rt_exec(e, rt_sql_commit);
}

void rt_ms_orders_free(rt_ms_orders *o)
{
    rt_free(o->alloc, o->cust);
    rt_free(o->alloc, o->at);
    rt_free(o->alloc, o->amount);
    o->cust = o->at = o->amount = NULL;
    o->n = o->cap = 0;
}

static bool orders_grow(rt_ms_orders *o)
{
    size_t cap = o->cap ? o->cap * 2 : 4096;
    int64_t *c = rt_realloc(o->alloc, o->cust, cap * sizeof *c);
    if (c)
        o->cust = c;
    int64_t *t = c ? rt_realloc(o->alloc, o->at, cap * sizeof *t) : NULL;
    if (t)
        o->at = t;
    int64_t *a = t ? rt_realloc(o->alloc, o->amount, cap * sizeof *a) : NULL;
    if (!a)
        return false;
    o->amount = a;
    o->cap = cap;
    return true;
}

int rt_ms_orders_scan(retain_engine *e, const char *currency, int64_t until, rt_ms_orders *out)
{
    /* NOT INDEXED: every qualifying row is read, and in storage order that
     * is one sequential pass (see the top of this file). */
    static const char one[] =
        "SELECT customer, placed_at, total FROM orders NOT INDEXED"
        " WHERE currency=?1 AND placed_at<=?2 AND status NOT IN ('cancelled','refunded')";
    static const char all[] =
        "SELECT customer, placed_at, total FROM orders NOT INDEXED"
        " WHERE placed_at<=?2 AND status NOT IN ('cancelled','refunded')";
    memset(out, 0, sizeof *out);
    out->alloc = &e->alloc;
    rt_st *st;
    int rc = rt_stmt(e, currency ? one : all, &st);
    if (rc)
        return rc;
    if (currency)
        rt_bind_textn(st, 1, currency, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, until);
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        if (out->n == out->cap && !orders_grow(out)) {
            rt_reset(st);
            rt_ms_orders_free(out);
            return rt_nomem(e);
        }
        out->cust[out->n] = rt_column_int64(st, 0);
        out->at[out->n] = rt_column_int64(st, 1);
        out->amount[out->n] = rt_column_int64(st, 2);
        out->n++;
    }
    rt_reset(st);
    if (src != SQLITE_DONE) {
        rt_ms_orders_free(out);
        return rt_sqlerr(e, src, "reading orders for metrics");
    }
    return RETAIN_OK;
}

int rt_ms_customer_ids(retain_engine *e, const int64_t *keys, size_t n, rt_arena *ar,
                       const char **ids)
{
    static const char sql[] =
        "SELECT id, ext_id FROM customer WHERE id BETWEEN ?1 AND ?2 ORDER BY id";
    if (n == 0)
        return RETAIN_OK;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, keys[0]);
    rt_bind_int64(st, 2, keys[n - 1]);
    size_t i = 0;
    int src = SQLITE_DONE;
    while (i < n && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        int64_t id = rt_column_int64(st, 0);
        if (id < keys[i])
            continue;
        if (id > keys[i])
            break; /* keys[i] has no customer row */
        const char *ext = rt_col_text(st, 1);
        ids[i] = rt_arena_strdup(ar, ext ? ext : "");
        if (!ids[i]) {
            rt_reset(st);
            return rt_nomem(e);
        }
        i++;
    }
    if (i == n) {
        rt_reset(st);
        return RETAIN_OK;
    }
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading customer ids for metrics");
    return rt_error(e, RETAIN_EINTERNAL, "an order refers to customer row %lld, which is missing",
                    (long long)keys[i]);
}

/* Step st to the end, passing each row to row(); its non-zero return stops. */
static int each_row(retain_engine *e, rt_st *st, int (*row)(rt_st *, void *),
                    void *ctx, const char *what)
{
    int rc = RETAIN_OK, src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW && !(rc = row(st, ctx)))
        ;
    rt_reset(st);
    if (rc)
        return rc;
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, what);
}

typedef struct conv_ctx {
    rt_ms_conversion_fn fn;
    void *ctx;
} conv_ctx;

static int conv_row(rt_st *st, void *ctx)
{
    conv_ctx *c = ctx;
    return c->fn(c->ctx, rt_col_text(st, 0), rt_col_text(st, 1), rt_column_int64(st, 2),
                 rt_column_int64(st, 3), rt_column_int64(st, 4));
}

int rt_ms_journey_conversion(retain_engine *e, const char *journey, int64_t since,
                             int64_t as_of, int64_t window, rt_ms_conversion_fn fn, void *ctx)
{
    /* ?3 as_of, ?4 window. A goal counts when reached between entering and
     * the end of the window, and by as_of. */
    static const char sql[] =
        "SELECT journey, variant, count(*),"
        " sum(conv),"
        " sum(NOT conv AND entered_at > ?3 - ?4)"
        " FROM (SELECT journey, variant, entered_at,"
        "   coalesce(goal_at >= entered_at AND goal_at <= ?3 AND goal_at - entered_at <= ?4, 0)"
        "     AS conv"
        "   FROM journey_instance"
        "   WHERE (?1 IS NULL OR journey=?1) AND entered_at >= ?2 AND entered_at <= ?3)"
        " GROUP BY journey, variant ORDER BY journey, variant";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_text(st, 1, journey);
    rt_bind_int64(st, 2, since);
    rt_bind_int64(st, 3, as_of);
    rt_bind_int64(st, 4, window);
    conv_ctx c = { fn, ctx };
    return each_row(e, st, conv_row, &c, "reading journey conversion");
}

typedef struct step_ctx {
    rt_ms_step_fn fn;
    void *ctx;
} step_ctx;

static int step_row(rt_st *st, void *ctx)
{
    step_ctx *c = ctx;
    return c->fn(c->ctx, rt_col_text(st, 0), rt_col_text(st, 1), rt_column_int64(st, 2));
}

int rt_ms_journey_steps(retain_engine *e, int64_t since, int64_t as_of, rt_ms_step_fn fn,
                        void *ctx)
{
    static const char sql[] =
        "SELECT i.journey, l.step, count(DISTINCT l.instance)"
        " FROM journey_instance i JOIN journey_step_log l ON l.instance = i.id"
        " WHERE i.entered_at >= ?1 AND i.entered_at <= ?2 AND l.at <= ?2"
        "   AND l.kind NOT IN ('goal', 'exit', 'migrate')"
        " GROUP BY i.journey, l.step ORDER BY i.journey, min(l.seq), l.step";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, since);
    rt_bind_int64(st, 2, as_of);
    step_ctx c = { fn, ctx };
    return each_row(e, st, step_row, &c, "reading journey steps");
}

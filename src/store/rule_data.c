/* rule_data.c - SQL behind the values rules read; see rule_data.h. */
#include "rule_data.h"

#include <string.h>

static int one_row(retain_engine *e, rt_st *st, bool *found, const char *doing)
{
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rt_reset(st);
        return rt_sqlerr(e, src, doing);
    }
    return RETAIN_OK;
}

int rd_load_customer(retain_engine *e, int64_t key, const char *revenue_currency,
                     bool with_attrs, rd_customer *o)
{
    static const char sql[] =
        "SELECT ext_id, coalesce(email,''), coalesce(phone,''), coalesce(timezone,''),"
        " coalesce(locale,''), orders_count, first_order_at, last_order_at, p_alive, clv,"
        " clv_currency, CASE WHEN ?2<>0 THEN attrs END"
        " FROM customer WHERE id=?1";
    /* In currency order; picked in C below (ORDER BY currency=?, amount in
     * SQL sorted in a temporary b-tree for every rule evaluation). */
    static const char revenue_sql[] =
        "SELECT currency, amount FROM customer_revenue WHERE customer=?1";
    memset(o, 0, sizeof *o);
    o->first_order_at = o->last_order_at = INT64_MIN;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, key);
    rt_bind_int(st, 2, with_attrs);
    bool found;
    if ((rc = one_row(e, st, &found, "reading customer for a rule")) || !found) {
        rt_reset(st);
        return rc;
    }
    rt_col_copy(o->id, sizeof o->id, st, 0);
    rt_col_copy(o->email, sizeof o->email, st, 1);
    rt_col_copy(o->phone, sizeof o->phone, st, 2);
    rt_col_copy(o->timezone, sizeof o->timezone, st, 3);
    rt_col_copy(o->locale, sizeof o->locale, st, 4);
    o->orders_count = rt_column_int64(st, 5);
    o->first_order_at = rt_col_time(st, 6);
    o->last_order_at = rt_col_time(st, 7);
    o->has_p_alive = rt_column_type(st, 8) != SQLITE_NULL;
    o->p_alive = rt_column_double(st, 8);
    o->has_clv = rt_column_type(st, 9) != SQLITE_NULL && rt_column_type(st, 10) != SQLITE_NULL;
    o->clv = rt_column_int64(st, 9);
    rt_col_copy(o->clv_currency, sizeof o->clv_currency, st, 10);
    if (with_attrs && rt_column_type(st, 11) != SQLITE_NULL) {
        o->attrs = rt_strdup(&e->alloc, rt_col_text(st, 11));
        if (!o->attrs)
            rc = rt_nomem(e);
    }
    rt_reset(st);
    if (rc || (rc = rt_stmt(e, revenue_sql, &st)))
        return rc;
    /* The requested currency if the customer has revenue in it, else the
     * largest amount; the first in currency order on ties. */
    rt_bind_int64(st, 1, key);
    bool best_pref = false;
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        const char *cur = rt_col_text(st, 0);
        int64_t amount = rt_column_int64(st, 1);
        bool pref = revenue_currency && cur && !strcmp(cur, revenue_currency);
        if (o->has_revenue && (best_pref > pref || (best_pref == pref && amount <= o->revenue)))
            continue;
        o->has_revenue = true;
        best_pref = pref;
        o->revenue = amount;
        rt_copy(o->revenue_currency, sizeof o->revenue_currency, cur);
    }
    rt_reset(st);
    if (src != SQLITE_DONE) {
        rt_free(&e->alloc, o->attrs);
        o->attrs = NULL;
        return rt_sqlerr(e, src, "reading customer revenue for a rule");
    }
    return RETAIN_OK;
}

int rd_load_order(retain_engine *e, int64_t key, bool with_skus, rd_order *o)
{
    static const char sql[] =
        "SELECT ext_id, channel, currency, status, coalesce(coupon,''), total, placed_at,"
        " (SELECT count(*) FROM order_line WHERE order_id=?1) FROM orders WHERE id=?1";
    static const char skus[] = "SELECT sku FROM order_line WHERE order_id=? ORDER BY line_no";
    memset(o, 0, sizeof *o);
    o->placed_at = INT64_MIN;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, key);
    bool found;
    if ((rc = one_row(e, st, &found, "reading order for a rule")) || !found) {
        rt_reset(st);
        return rc;
    }
    rt_col_copy(o->id, sizeof o->id, st, 0);
    rt_col_copy(o->channel, sizeof o->channel, st, 1);
    rt_col_copy(o->currency, sizeof o->currency, st, 2);
    rt_col_copy(o->status, sizeof o->status, st, 3);
    rt_col_copy(o->coupon, sizeof o->coupon, st, 4);
    o->total = rt_column_int64(st, 5);
    o->placed_at = rt_column_int64(st, 6);
    o->lines_count = rt_column_int64(st, 7);
    rt_reset(st);
    if (!with_skus)
        return RETAIN_OK;
    if ((rc = rt_stmt(e, skus, &st)))
        return rc;
    rt_bind_int64(st, 1, key);
    while (o->nskus < RD_MAX_SKUS && (rc = rt_step(e, st, "reading the order's SKUs")) == RETAIN_ROW)
        rt_col_copy(o->skus[o->nskus++], sizeof o->skus[0], st, 0);
    rt_reset(st);
    return rc < 0 ? rc : RETAIN_OK;
}

int rd_load_shipment(retain_engine *e, int64_t key, int64_t order_key, rd_shipment *o)
{
    static const char sql[] =
        "SELECT coalesce(carrier,''), status, coalesce(exception,''), promised_at, eta,"
        " delivered_at FROM shipment WHERE (?1 != 0 AND id=?1) OR (?1 = 0 AND order_id=?2)"
        " ORDER BY id DESC LIMIT 1";
    memset(o, 0, sizeof *o);
    o->promised_at = o->eta = o->delivered_at = INT64_MIN;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, key);
    rt_bind_int64(st, 2, order_key);
    bool found;
    if ((rc = one_row(e, st, &found, "reading shipment for a rule")) || !found) {
        rt_reset(st);
        return rc;
    }
    o->found = true;
    rt_col_copy(o->carrier, sizeof o->carrier, st, 0);
    rt_col_copy(o->status, sizeof o->status, st, 1);
    rt_col_copy(o->exception, sizeof o->exception, st, 2);
    o->promised_at = rt_col_time(st, 3);
    o->eta = rt_col_time(st, 4);
    o->delivered_at = rt_col_time(st, 5);
    rt_reset(st);
    return RETAIN_OK;
}

int rd_load_event(retain_engine *e, int64_t id, bool with_props, rd_event *o)
{
    static const char sql[] = "SELECT name, at, props FROM event WHERE id=?";
    memset(o, 0, sizeof *o);
    o->at = INT64_MIN;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    bool found;
    if ((rc = one_row(e, st, &found, "reading event for a rule")) || !found) {
        rt_reset(st);
        return rc;
    }
    rt_col_copy(o->name, sizeof o->name, st, 0);
    o->at = rt_column_int64(st, 1);
    if (with_props) {
        o->props = rt_strdup(&e->alloc, rt_col_text(st, 2));
        if (!o->props)
            rc = rt_nomem(e);
    }
    rt_reset(st);
    return rc;
}

int rd_consent(retain_engine *e, int64_t customer, const char *channel, size_t channel_len,
               const char *category, size_t category_len, int *state)
{
    static const char sql[] =
        "SELECT granted FROM consent WHERE customer=? AND channel=? AND category IN (?, 'all')"
        " ORDER BY granted ASC LIMIT 1";
    *state = -1;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, channel, (int)channel_len, SQLITE_STATIC);
    rt_bind_textn(st, 3, category, (int)category_len, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        *state = rt_column_int(st, 0);
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "reading consent");
}

int rd_json_key(retain_engine *e, const char *json, const char *key, size_t key_len,
                rd_json_value *o)
{
    /* The key is quoted in the path, so dots and spaces in it are literal. */
    static const char sql[] =
        "SELECT json_type(?1, '$.\"' || replace(?2, '\"', '\\\"') || '\"'),"
        " json_extract(?1, '$.\"' || replace(?2, '\"', '\\\"') || '\"')";
    memset(o, 0, sizeof *o);
    rt_st *st;
    int rc = rt_stmt_local(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, json, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, key, (int)key_len, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW && rt_column_type(st, 0) != SQLITE_NULL) {
        static const char *const types[] = { "integer", "real", "text", "true", "false", "null",
                                             "object", "array" };
        const char *t = rt_col_text(st, 0);
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(t, types[i]))
                o->type = types[i];
        o->i = rt_column_int64(st, 1);
        o->f = rt_column_double(st, 1);
        rt_col_copy(o->text, sizeof o->text, st, 1);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "reading JSON");
}

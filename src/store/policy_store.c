/*
 * policy_store.c - what the policy gate reads (contact data, consent, past
 * sends for caps, order channels and delivery times) and the stored policy
 * configuration (quiet hours, caps, marketplace profile sources).
 */
#include "outbox.h"

#include <string.h>


/* ---- facts for the gate ------------------------------------------------- */

int ob_customer_get(retain_engine *e, int64_t customer, ob_customer *out, bool *found)
{
    static const char sql[] =
        "SELECT ext_id, email, phone, locale, timezone FROM customer WHERE id=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (*found) {
        rt_col_copy(out->ext_id, sizeof out->ext_id, st, 0);
        rt_col_copy(out->email, sizeof out->email, st, 1);
        rt_col_copy(out->phone, sizeof out->phone, st, 2);
        rt_col_copy(out->locale, sizeof out->locale, st, 3);
        rt_col_copy(out->zone, sizeof out->zone, st, 4);
    }
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading a customer");
    return RETAIN_OK;
}

int ob_gate_facts(retain_engine *e, int64_t customer, const char *channel, const char *category,
                  int64_t order_key, ob_customer *c, ob_consent *k, char *sales_channel,
                  size_t sales_size, bool *found)
{
    static const char sql[] =
        "SELECT c.ext_id, c.email, c.phone, c.locale, c.timezone,"
        " k1.granted, k1.at, k2.granted, k2.at,"
        " (SELECT channel FROM orders WHERE id=?4 AND ?4<>0)"
        " FROM customer c"
        " LEFT JOIN consent k1 ON k1.customer=c.id AND k1.channel=?2 AND k1.category=?3"
        " LEFT JOIN consent k2 ON k2.customer=c.id AND k2.channel=?2 AND k2.category='all'"
        " WHERE c.id=?1";
    memset(k, 0, sizeof *k);
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 3, category, -1, SQLITE_STATIC);
    rt_bind_int64(st, 4, order_key);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (*found) {
        rt_col_copy(c->ext_id, sizeof c->ext_id, st, 0);
        rt_col_copy(c->email, sizeof c->email, st, 1);
        rt_col_copy(c->phone, sizeof c->phone, st, 2);
        rt_col_copy(c->locale, sizeof c->locale, st, 3);
        rt_col_copy(c->zone, sizeof c->zone, st, 4);
        if (rt_column_type(st, 5) != SQLITE_NULL) {
            k->cat_state = rt_column_int(st, 5) ? 1 : 2;
            k->cat_at = rt_column_int64(st, 6);
        }
        if (rt_column_type(st, 7) != SQLITE_NULL) {
            k->all_state = rt_column_int(st, 7) ? 1 : 2;
            k->all_at = rt_column_int64(st, 8);
        }
        /* Asking for "all" itself: both joins found the same row. */
        if (!strcmp(category, "all"))
            k->cat_state = 0;
        rt_col_copy(sales_channel, sales_size, st, 9);
    }
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading a customer");
    return RETAIN_OK;
}

int ob_cap_nth(retain_engine *e, int64_t customer, const char *channel, const char *category,
               int64_t since, int n, int64_t exclude, int64_t *at, bool *found)
{
    static const char sql[] =
        "SELECT coalesce(sent_at, attempted_at) AS s FROM outbox"
        " WHERE customer=?1 AND channel=?2 AND (?3='all' OR category=?3)"
        " AND category<>'transactional' AND state IN ('sent','sending') AND id<>?5"
        " AND coalesce(sent_at, attempted_at)>?4 ORDER BY s DESC LIMIT 1 OFFSET ?6";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 3, category, -1, SQLITE_STATIC);
    rt_bind_int64(st, 4, since);
    rt_bind_int64(st, 5, exclude);
    rt_bind_int(st, 6, n - 1);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (*found)
        *at = rt_column_int64(st, 0);
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "counting sent messages");
    return RETAIN_OK;
}

int ob_customer_channels(retain_engine *e, int64_t customer, char (*out)[OB_NAME], int cap,
                         int *n)
{
    /* Distinct and sorted here, the `cap` smallest kept: DISTINCT ... ORDER
     * BY in SQL opened a temporary b-tree for every message gated. */
    static const char sql[] = "SELECT channel FROM orders WHERE customer=?";
    *n = 0;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        char ch[OB_NAME];
        rt_col_copy(ch, sizeof ch, st, 0);
        int i = 0, c = 1;
        while (i < *n && (c = strcmp(out[i], ch)) < 0)
            i++;
        if (c == 0 || i == cap)
            continue;
        if (*n == cap)
            (*n)--;
        memmove(out[i + 1], out[i], (size_t)(*n - i) * OB_NAME);
        memcpy(out[i], ch, OB_NAME);
        (*n)++;
    }
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading a customer's sales channels");
    return RETAIN_OK;
}

int ob_anchor_time(retain_engine *e, int64_t order_key, int64_t shipment_key,
                   const char *anchor, int64_t *at, bool *found)
{
    /* A shipment's own time when one is in context; else the order's latest
     * shipment reaching the anchor, else the order's status history. */
    static const char delivered[] =
        "SELECT coalesce("
        " (SELECT delivered_at FROM shipment WHERE id=?2 AND ?2<>0),"
        " (SELECT max(delivered_at) FROM shipment WHERE order_id=?1 AND ?2=0),"
        " (SELECT max(at) FROM order_status WHERE order_id=?1 AND status='delivered'))";
    static const char shipped[] =
        "SELECT coalesce("
        " (SELECT min(at) FROM shipment_event WHERE shipment=?2 AND ?2<>0"
        "   AND status IN ('in_transit','out_for_delivery','delivered')),"
        " (SELECT min(se.at) FROM shipment_event se JOIN shipment s ON s.id=se.shipment"
        "   WHERE s.order_id=?1 AND ?2=0"
        "   AND se.status IN ('in_transit','out_for_delivery','delivered')),"
        " (SELECT min(at) FROM order_status WHERE order_id=?1 AND status='shipped'))";
    static const char placed[] = "SELECT placed_at FROM orders WHERE id=?1 AND ?2=?2";
    const char *sql = !strcmp(anchor, "delivered") ? delivered
                      : !strcmp(anchor, "shipped") ? shipped
                                                   : placed;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, order_key);
    rt_bind_int64(st, 2, shipment_key);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW && rt_column_type(st, 0) != SQLITE_NULL;
    if (*found)
        *at = rt_column_int64(st, 0);
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading an order's history");
    return RETAIN_OK;
}

int ob_order_messages(retain_engine *e, int64_t order_key, int64_t exclude, bool with_queued,
                      ob_sibling *out, int cap, int *n)
{
    static const char sql[] =
        "SELECT id, category, template FROM outbox WHERE order_id=?1 AND id<>?2"
        " AND customer=(SELECT customer FROM orders WHERE id=?1)"
        " AND (state IN ('sending','sent') OR (?3<>0 AND state='queued')) ORDER BY id";
    *n = 0;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, order_key);
    rt_bind_int64(st, 2, exclude);
    rt_bind_int(st, 3, with_queued);
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW && *n < cap) {
        ob_sibling *s = &out[(*n)++];
        s->id = rt_column_int64(st, 0);
        rt_col_copy(s->category, sizeof s->category, st, 1);
        rt_col_copy(s->template_id, sizeof s->template_id, st, 2);
    }
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading an order's messages");
    return RETAIN_OK;
}

static int two_ints(retain_engine *e, const char *sql, const char *ext, int64_t *a, int64_t *b)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, ext, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *a = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    *b = src == SQLITE_ROW ? rt_column_int64(st, 1) : 0;
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "looking up an id");
    return RETAIN_OK;
}

int ob_order_key(retain_engine *e, const char *ext_id, int64_t *key, int64_t *customer)
{
    static const char sql[] = "SELECT id, customer FROM orders WHERE ext_id=?1";
    return two_ints(e, sql, ext_id, key, customer);
}

int ob_shipment_key(retain_engine *e, const char *ext_id, int64_t *key, int64_t *order_key)
{
    static const char sql[] = "SELECT id, order_id FROM shipment WHERE ext_id=?1";
    return two_ints(e, sql, ext_id, key, order_key);
}

/* ---- configuration ------------------------------------------------------ */

int ob_policy_generation(retain_engine *e, int64_t *gen)
{
    static const char sql[] = "SELECT v FROM policy_meta WHERE k='generation'";
    return rt_query_int64(e, sql, gen, "reading the policy generation");
}

int ob_policy_bump(retain_engine *e)
{
    /* A random generation: after a rollback a counter could come back to a
     * value that another engine has already seen with other contents. */
    static const char sql[] =
        "UPDATE policy_meta SET v=(random() & 0x3fffffffffffffff) | 1 WHERE k='generation'";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    return ob_step_done(e, st, "updating the policy generation");
}

int ob_quiet_each(retain_engine *e, int (*fn)(const char *channel, int start, int end, void *ctx),
                  void *ctx)
{
    static const char sql[] = "SELECT channel, start_min, end_min FROM policy_quiet";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(rt_col_text(st, 0), rt_column_int(st, 1), rt_column_int(st, 2), ctx);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading quiet hours");
    rt_reset(st);
    return rc;
}

int ob_quiet_set(retain_engine *e, const char *channel, int start, int end)
{
    static const char put[] =
        "INSERT INTO policy_quiet(channel,start_min,end_min) VALUES(?1,?2,?3)"
        " ON CONFLICT(channel) DO UPDATE SET start_min=?2, end_min=?3";
    static const char del[] = "DELETE FROM policy_quiet WHERE channel=?1 AND ?2=?3";
    rt_st *st;
    int rc = rt_stmt(e, start == end ? del : put, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, channel, -1, SQLITE_STATIC);
    rt_bind_int(st, 2, start);
    rt_bind_int(st, 3, end);
    return ob_step_done(e, st, "setting quiet hours");
}

int ob_cap_each(retain_engine *e,
                int (*fn)(const char *channel, const char *category, int max, int64_t window,
                          void *ctx),
                void *ctx)
{
    static const char sql[] = "SELECT channel, category, max, window_ms FROM policy_cap";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(rt_col_text(st, 0), rt_col_text(st, 1), rt_column_int(st, 2),
                rt_column_int64(st, 3), ctx);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading frequency caps");
    rt_reset(st);
    return rc;
}

int ob_cap_set(retain_engine *e, const char *channel, const char *category, int max,
               int64_t window)
{
    static const char sql[] =
        "INSERT INTO policy_cap(channel,category,max,window_ms) VALUES(?1,?2,?3,?4)"
        " ON CONFLICT(channel,category) DO UPDATE SET max=?3, window_ms=?4";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, category, -1, SQLITE_STATIC);
    rt_bind_int(st, 3, max);
    rt_bind_int64(st, 4, window);
    return ob_step_done(e, st, "setting a frequency cap");
}

int ob_cap_remove(retain_engine *e, const char *channel, const char *category, bool *removed)
{
    static const char sql[] = "DELETE FROM policy_cap WHERE channel=?1 AND category=?2";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, category, -1, SQLITE_STATIC);
    if ((rc = ob_step_done(e, st, "removing a frequency cap")))
        return rc;
    *removed = rt_changes(e) > 0;
    return RETAIN_OK;
}

int ob_profile_each(retain_engine *e,
                    int (*fn)(const char *name, const char *source, const char *origin,
                              void *ctx),
                    void *ctx)
{
    static const char sql[] = "SELECT name, source, origin FROM policy_profile ORDER BY name";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW)
        rc = fn(rt_col_text(st, 0), rt_col_text(st, 1), rt_col_text(st, 2), ctx);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading marketplace profiles");
    rt_reset(st);
    return rc;
}

int ob_profile_put(retain_engine *e, const char *name, const char *source, const char *origin,
                   int64_t now)
{
    static const char sql[] =
        "INSERT INTO policy_profile(name,source,origin,loaded_at) VALUES(?1,?2,?3,?4)"
        " ON CONFLICT(name) DO UPDATE SET source=?2, origin=?3, loaded_at=?4";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, name, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, source, -1, SQLITE_STATIC);
    rt_bind_text(st, 3, origin);
    rt_bind_int64(st, 4, now);
    return ob_step_done(e, st, "storing a marketplace profile");
}

int ob_profile_remove(retain_engine *e, const char *name, bool *removed)
{
    static const char sql[] = "DELETE FROM policy_profile WHERE name=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, name, -1, SQLITE_STATIC);
    if ((rc = ob_step_done(e, st, "removing a marketplace profile")))
        return rc;
    *removed = rt_changes(e) > 0;
    return RETAIN_OK;
}

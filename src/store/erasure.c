/* erasure.c - erasure and access requests: retain_customer_erase(),
 * retain_customer_export(). */
#include "store.h"
#include "core/check.h"
#include "retain/customer.h"

#include <string.h>

/* Every statement takes the customer's row id as ?1 and, where it writes a
 * time, `now` as ?2. Personal columns are cleared; ids, times, amounts,
 * states and counts stay so that metrics and histories keep adding up. */
static const char *const erase_sql[] = {
    "UPDATE customer SET email=NULL, phone=NULL, name=NULL, timezone=NULL, locale=NULL,"
    " attrs='{}', updated_at=max(updated_at,?2) WHERE id=?1",
    "DELETE FROM consent WHERE customer=?1",
    "UPDATE orders SET attrs='{}' WHERE customer=?1",
    "UPDATE shipment SET tracking=NULL, tracking_url=NULL, exception=NULL"
    " WHERE order_id IN (SELECT id FROM orders WHERE customer=?1)",
    "UPDATE shipment_event SET detail=NULL WHERE shipment IN (SELECT s.id FROM shipment s"
    " JOIN orders o ON o.id=s.order_id WHERE o.customer=?1)",
    "UPDATE event SET props='{}' WHERE customer=?1",
    "UPDATE journey_instance SET state='exited', exit_reason='erased', due_at=NULL,"
    " wait_event=NULL, wait_deadline=NULL, updated_at=max(updated_at,?2)"
    " WHERE customer=?1 AND state='active'",
    RT_CUSTOMER_STEP_LOG "UPDATE journey_step_log SET detail=NULL"
    " WHERE id IN (SELECT id FROM chain)",
    "DELETE FROM outbox_payload WHERE message IN (SELECT id FROM outbox WHERE customer=?1)",
    "UPDATE outbox_attempt SET reason=NULL"
    " WHERE message IN (SELECT id FROM outbox WHERE customer=?1)",
    "UPDATE outbox SET recipient=NULL, last_reason=NULL, delivery=NULL,"
    " state=CASE WHEN state IN ('queued','sending') THEN 'cancelled' ELSE state END,"
    " updated_at=max(updated_at,?2) WHERE customer=?1",
    "UPDATE delivery_decision SET reason='erased' WHERE customer=?1",
    "UPDATE task SET note=NULL, outcome=NULL,"
    " state=CASE WHEN state IN ('open','assigned') THEN 'cancelled' ELSE state END,"
    " done_at=CASE WHEN state IN ('open','assigned') THEN ?2 ELSE done_at END"
    " WHERE customer=?1",
    "UPDATE feedback SET comment=NULL WHERE customer=?1",
    /* The record of the erasure itself, with no personal data. Inserted
     * directly, not through rt_event_emit(): no journey may start from it. */
    "INSERT INTO event(customer,name,at,props) VALUES(?1,'customer.erased',?2,'{}')",
};

static int erase_rows(retain_engine *e, int64_t key, int64_t now)
{
    for (size_t i = 0; i < sizeof erase_sql / sizeof erase_sql[0]; i++) {
        rt_st *st;
        int rc = rt_stmt(e, erase_sql[i], &st);
        if (rc)
            return rc;
        rt_bind_int64(st, 1, key);
        if (strstr(erase_sql[i], "?2"))
            rt_bind_int64(st, 2, now);
        int src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            return rt_sqlerr(e, src, "erasing customer data");
    }
    return RETAIN_OK;
}

static int erase_tx(retain_engine *e, const char *id, int64_t now)
{
    int64_t key = 0;
    int rc = rt_customer_key(e, id, &key);
    if (rc == RETAIN_ENOTFOUND)
        return rt_error(e, RETAIN_ENOTFOUND, "customer \"%s\" does not exist; nothing erased", id);
    return rc ? rc : erase_rows(e, key, now);
}

static int secure_delete_get(retain_engine *e, int *on)
{
    rt_st *st;
    int rc = rt_prepare(e, "PRAGMA secure_delete", &st, "reading secure_delete");
    if (rc)
        return rc;
    int src = rt_sqlstep(st);
    *on = src == SQLITE_ROW ? rt_column_int(st, 0) : 0;
    rt_finalize(e, st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "reading secure_delete");
}

int retain_customer_erase(retain_engine *e, const char *id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "customer_id", id)) || (rc = rt_check_time(e, "now", now)))
        return rc;
    /* Freed and overwritten space is zeroed while the erase runs. */
    int was_on = 0;
    if ((rc = secure_delete_get(e, &was_on)) || (rc = rt_exec(e, "PRAGMA secure_delete=ON")))
        return rc;
    if ((rc = rt_tx_begin(e)) == RETAIN_OK)
        rc = rt_tx_end(e, erase_tx(e, id, now));
    /* Outside a host transaction the change is committed: copy it into the
     * database file and empty the WAL so no old page image survives. */
    if (rc == RETAIN_OK && !e->in_host_tx) {
        int src = sqlite3_wal_checkpoint_v2(e->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        if (src != SQLITE_OK)
            rc = rt_sqlerr(e, src, "checkpointing the WAL after the erasure (the erasure is "
                                   "committed; call again to retry the checkpoint)");
    }
    if (!was_on)
        rt_exec_script(e, "PRAGMA secure_delete=OFF");
    return rc;
}

/* One JSON object with every row held about customer ?1. */
static const char export_sql[] =
    "SELECT json_object("
    " 'id', c.ext_id, 'email', c.email, 'phone', c.phone, 'name', c.name,"
    " 'timezone', c.timezone, 'locale', c.locale, 'attrs', json(c.attrs),"
    " 'created_at', c.created_at, 'updated_at', c.updated_at,"
    " 'orders_count', c.orders_count, 'first_order_at', c.first_order_at,"
    " 'last_order_at', c.last_order_at, 'p_alive', c.p_alive, 'clv', c.clv,"
    " 'clv_currency', c.clv_currency, 'expected_90d', c.expected_90d,"
    " 'revenue', (SELECT json_group_array(json_object('currency', currency, 'amount', amount))"
    "   FROM customer_revenue WHERE customer=c.id),"
    " 'consents', (SELECT json_group_array(json_object('channel', channel, 'category', category,"
    "   'granted', granted, 'at', at, 'source', source)) FROM consent WHERE customer=c.id),"
    " 'orders', (SELECT json_group_array(json_object('id', o.ext_id, 'channel', o.channel,"
    "   'placed_at', o.placed_at, 'currency', o.currency, 'total', o.total, 'coupon', o.coupon,"
    "   'status', o.status, 'status_at', o.status_at, 'attrs', json(o.attrs),"
    "   'lines', (SELECT json_group_array(json_object('line_no', l.line_no, 'sku', l.sku,"
    "     'title', l.title, 'quantity', l.quantity, 'unit_price', l.unit_price))"
    "     FROM order_line l WHERE l.order_id=o.id),"
    "   'shipments', (SELECT json_group_array(json_object('id', s.ext_id, 'carrier', s.carrier,"
    "     'tracking', s.tracking, 'tracking_url', s.tracking_url, 'status', s.status,"
    "     'status_at', s.status_at, 'promised_at', s.promised_at, 'eta', s.eta,"
    "     'delivered_at', s.delivered_at, 'exception', s.exception,"
    "     'events', (SELECT json_group_array(json_object('status', se.status, 'at', se.at,"
    "       'eta', se.eta, 'detail', se.detail)) FROM shipment_event se WHERE se.shipment=s.id)))"
    "     FROM shipment s WHERE s.order_id=o.id)))"
    "   FROM orders o WHERE o.customer=c.id),"
    " 'events', (SELECT json_group_array(json_object('name', ev.name, 'at', ev.at,"
    "   'props', json(ev.props), 'host_event_id', ev.host_event_id)) FROM event ev"
    "   WHERE ev.customer=c.id),"
    " 'messages', (SELECT json_group_array(json_object('id', m.id, 'journey', m.journey,"
    "   'step', m.step, 'channel', m.channel, 'category', m.category, 'template', m.template,"
    "   'recipient', m.recipient, 'state', m.state, 'due_at', m.due_at, 'sent_at', m.sent_at,"
    "   'last_reason', m.last_reason, 'created_at', m.created_at,"
    "   'payload', (SELECT json(p.payload) FROM outbox_payload p WHERE p.message=m.id)))"
    "   FROM outbox m WHERE m.customer=c.id),"
    " 'journeys', (SELECT json_group_array(json_object('id', j.id, 'journey', j.journey,"
    "   'version', j.version, 'state', j.state, 'step', j.step, 'variant', j.variant,"
    "   'entered_at', j.entered_at, 'updated_at', j.updated_at, 'goal_at', j.goal_at,"
    "   'exit_reason', j.exit_reason)) FROM journey_instance j WHERE j.customer=c.id),"
    " 'tasks', (SELECT json_group_array(json_object('id', t.id, 'kind', t.kind, 'note', t.note,"
    "   'state', t.state, 'created_at', t.created_at, 'done_at', t.done_at,"
    "   'outcome', t.outcome)) FROM task t WHERE t.customer=c.id),"
    " 'merged_ids', (SELECT json_group_array(ext_id) FROM customer_alias WHERE customer=c.id),"
    " 'feedback', (SELECT json_group_array(json_object('score', f.score, 'scale_min',"
    "   f.scale_min, 'comment', f.comment, 'at', f.at, 'journey', f.journey,"
    "   'variant', f.variant, 'escalated', f.escalated)) FROM feedback f WHERE f.customer=c.id),"
    " 'coupons', (SELECT json_group_array(json_object('code', k.code, 'issued_at', k.issued_at,"
    "   'expires_at', k.expires_at, 'uses', k.uses, 'revoked_at', k.revoked_at))"
    "   FROM coupon k WHERE k.customer=c.id))"
    " FROM customer c WHERE c.id=coalesce((SELECT id FROM customer WHERE ext_id=?1),"
    "  (SELECT customer FROM customer_alias WHERE ext_id=?1))";

int retain_customer_export(char **json_out, retain_engine *e, const char *id)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "json_out", json_out)))
        return rc;
    *json_out = NULL;
    if ((rc = rt_check_id(e, "customer_id", id)))
        return rc;
    rt_st *st;
    if ((rc = rt_lookup(e, export_sql, id, "customer", &st)))
        return rc;
    *json_out = rt_strdup(&e->alloc, rt_col_text(st, 0));
    rt_reset(st);
    return *json_out ? RETAIN_OK : rt_nomem(e);
}

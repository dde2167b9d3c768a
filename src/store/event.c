/* event.c - recording events and iterating a customer's history. */
#include "event.h"
#include "journey/journey.h"
#include "core/check.h"
#include "retain/event.h"

#include <string.h>

static int insert_event(retain_engine *e, int64_t customer_key, const char *name, int64_t at,
                        const char *props_json, int64_t order_key, int64_t shipment_key,
                        const char *host_event_id, bool *duplicate)
{
    static const char plain[] =
        "INSERT INTO event(customer,name,at,props,host_event_id,order_id,shipment)"
        " VALUES(?,?,?,coalesce(?,'{}'),?,nullif(?,0),nullif(?,0))";
    static const char dedupe[] =
        "INSERT INTO event(customer,name,at,props,host_event_id,order_id,shipment)"
        " VALUES(?,?,?,coalesce(?,'{}'),?,nullif(?,0),nullif(?,0))"
        " ON CONFLICT(host_event_id) WHERE host_event_id IS NOT NULL DO NOTHING";
    rt_st *st;
    int rc = rt_stmt(e, host_event_id ? dedupe : plain, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer_key);
    rt_bind_textn(st, 2, name, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    rt_bind_text(st, 4, props_json);
    rt_bind_text(st, 5, host_event_id);
    rt_bind_int64(st, 6, order_key);
    rt_bind_int64(st, 7, shipment_key);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "recording event");
    bool dup = rt_changes(e) == 0;
    if (duplicate)
        *duplicate = dup;
    if (dup)
        return RETAIN_OK;
    /* Journeys react in the same transaction: enrollment, exits, goals and
     * waits never miss an event nor see one that was rolled back. */
    return rt_journey_on_event(e, rt_last_id(e), customer_key, name, at,
                               order_key, shipment_key);
}

int rt_event_emit(retain_engine *e, int64_t customer_key, const char *name, int64_t at,
                  const char *props_json, int64_t order_key, int64_t shipment_key)
{
    return insert_event(e, customer_key, name, at, props_json, order_key, shipment_key, NULL,
                        NULL);
}

int retain_event_track(retain_engine *e, const char *customer_id, const char *name, int64_t at,
                       const char *props_json, const char *host_event_id)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "customer_id", customer_id)) ||
        (rc = rt_check_name(e, "event name", name)) || (rc = rt_check_time(e, "at", at)) ||
        (rc = rt_check_json_object(e, "props_json", props_json)))
        return rc;
    if (host_event_id && (rc = rt_check_id(e, "host_event_id", host_event_id)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    int64_t key;
    bool dup = false;
    rc = rt_customer_key(e, customer_id, &key);
    if (rc == RETAIN_OK)
        rc = insert_event(e, key, name, at, props_json, 0, 0, host_event_id, &dup);
    return rt_tx_end(e, rc);
}

struct retain_event_iter {
    retain_engine *e;
    rt_st *st;
    retain_event row;
};

int retain_event_iter_open(retain_event_iter **out, retain_engine *e, const char *customer_id)
{
    static const char sql[] =
        "SELECT ev.id, c.ext_id, ev.name, ev.at, ev.props, ev.host_event_id, o.ext_id"
        " FROM event ev JOIN customer c ON c.id=ev.customer"
        " LEFT JOIN orders o ON o.id=ev.order_id"
        " WHERE ev.customer=? ORDER BY ev.at, ev.id";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = rt_check_id(e, "customer_id", customer_id)))
        return rc;
    int64_t key;
    if ((rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    retain_event_iter *it = rt_calloc(&e->alloc, 1, sizeof *it);
    if (!it)
        return rt_nomem(e);
    it->e = e;
    if ((rc = rt_iter_prepare(e, sql, &it->st, "listing events"))) {
        rt_free(&e->alloc, it);
        return rc;
    }
    rt_bind_int64(it->st, 1, key);
    *out = it;
    return RETAIN_OK;
}

int retain_event_iter_next(retain_event_iter *it, const retain_event **row)
{
    if (!it)
        return RETAIN_EINVAL;
    rt_clear_error(it->e);
    if (!row)
        return rt_error(it->e, RETAIN_EINVAL, "row is NULL");
    *row = NULL;
    int src = rt_sqlstep(it->st);
    if (src == SQLITE_DONE)
        return RETAIN_DONE;
    if (src != SQLITE_ROW)
        return rt_sqlerr(it->e, src, "reading events");
    retain_event *r = &it->row;
    r->seq = rt_column_int64(it->st, 0);
    r->customer_id = rt_col_text(it->st, 1);
    r->name = rt_col_text(it->st, 2);
    r->at = rt_column_int64(it->st, 3);
    r->props_json = rt_col_text(it->st, 4);
    r->host_event_id = rt_col_text(it->st, 5);
    r->order_id = rt_col_text(it->st, 6);
    *row = r;
    return RETAIN_ROW;
}

void retain_event_iter_free(retain_event_iter *it)
{
    if (!it)
        return;
    rt_finalize(it->e, it->st);
    rt_free(&it->e->alloc, it);
}

/*
 * shipment.c - shipments and their carrier events. Each carrier event is
 * kept in order; the shipment row holds the latest status, ETA, delivery
 * time and exception for quick queries.
 */
#include "store.h"
#include "event.h"
#include "core/arena.h"
#include "core/check.h"
#include "retain/customer.h"
#include "retain/order.h"

#include <string.h>

static const char *const shipment_statuses[] = {
    "label_created", "in_transit", "out_for_delivery", "delivered", "exception", "returned",
};

static int check_status(retain_engine *e, const char *s)
{
    for (size_t i = 0; s && i < sizeof shipment_statuses / sizeof shipment_statuses[0]; i++)
        if (strcmp(shipment_statuses[i], s) == 0)
            return RETAIN_OK;
    return rt_error(e, RETAIN_EINVAL,
                    "shipment status \"%.40s\" is unknown; use label_created, in_transit, "
                    "out_for_delivery, delivered, exception or returned",
                    s ? s : "(null)");
}

static int step_done(retain_engine *e, rt_st *st, const char *doing)
{
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

static int add_event(retain_engine *e, int64_t skey, const char *status, int64_t at, int64_t eta,
                     const char *detail)
{
    static const char sql[] =
        "INSERT INTO shipment_event(shipment,seq,status,at,eta,detail) VALUES(?1,"
        " (SELECT coalesce(max(seq),0)+1 FROM shipment_event WHERE shipment=?1),?2,?3,?4,?5)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, skey);
    rt_bind_textn(st, 2, status, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    if (eta == INT64_MIN)
        rt_bind_null(st, 4);
    else
        rt_bind_int64(st, 4, eta);
    rt_bind_text(st, 5, detail);
    return step_done(e, st, "recording shipment event");
}

static int record(retain_engine *e, const retain_shipment *s)
{
    static const char find_order[] = "SELECT id, customer FROM orders WHERE ext_id=?";
    static const char find[] = "SELECT order_id FROM shipment WHERE ext_id=?";
    static const char ins[] =
        "INSERT INTO shipment(ext_id,order_id,carrier,tracking,tracking_url,promised_at,status,"
        "status_at) VALUES(?1,?2,?3,?4,?5,?6,'label_created',?7)";
    static const char upd[] =
        "UPDATE shipment SET carrier=coalesce(?3,carrier), tracking=coalesce(?4,tracking),"
        " tracking_url=coalesce(?5,tracking_url), promised_at=coalesce(?6,promised_at)"
        " WHERE ext_id=?1 AND order_id=?2";
    rt_st *st;
    int rc = rt_stmt(e, find_order, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, s->order_id, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    int64_t okey = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    int64_t cust = src == SQLITE_ROW ? rt_column_int64(st, 1) : 0;
    rt_reset(st);
    if (src == SQLITE_DONE)
        return rt_error(e, RETAIN_ENOTFOUND, "order \"%s\" does not exist", s->order_id);
    if (src != SQLITE_ROW)
        return rt_sqlerr(e, src, "looking up order");
    if ((rc = rt_stmt(e, find, &st)))
        return rc;
    rt_bind_textn(st, 1, s->id, -1, SQLITE_STATIC);
    src = rt_sqlstep(st);
    int64_t existing_order = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "looking up shipment");
    if (existing_order && existing_order != okey)
        return rt_error(e, RETAIN_ECONFLICT, "shipment \"%s\" belongs to another order", s->id);
    bool is_new = existing_order == 0;
    if ((rc = rt_stmt(e, is_new ? ins : upd, &st)))
        return rc;
    rt_bind_textn(st, 1, s->id, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, okey);
    rt_bind_text(st, 3, s->carrier);
    rt_bind_text(st, 4, s->tracking);
    rt_bind_text(st, 5, s->tracking_url);
    if (s->promised_at == INT64_MIN)
        rt_bind_null(st, 6);
    else
        rt_bind_int64(st, 6, s->promised_at);
    if (is_new)
        rt_bind_int64(st, 7, s->at);
    if ((rc = step_done(e, st, "recording shipment")) || !is_new)
        return rc;
    int64_t skey = rt_last_id(e);
    if ((rc = add_event(e, skey, "label_created", s->at, INT64_MIN, NULL)))
        return rc;
    return rt_event_emit(e, cust, "shipment.label_created", s->at, NULL, okey, skey);
}

int retain_shipment_record(retain_engine *e, const retain_shipment *s)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "shipment", s)))
        return rc;
    if (s->version == 0 || s->version > RETAIN_SHIPMENT_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "shipment.version is %u; initialize with RETAIN_SHIPMENT_INIT", s->version);
    if ((rc = rt_check_id(e, "shipment.id", s->id)) ||
        (rc = rt_check_id(e, "shipment.order_id", s->order_id)) ||
        (rc = rt_check_text(e, "shipment.carrier", s->carrier, 64)) ||
        (rc = rt_check_text(e, "shipment.tracking", s->tracking, 128)) ||
        (rc = rt_check_text(e, "shipment.tracking_url", s->tracking_url, 2048)) ||
        (rc = rt_check_opt_time(e, "shipment.promised_at", s->promised_at)) ||
        (rc = rt_check_time(e, "shipment.at", s->at)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, record(e, s));
}

static int update(retain_engine *e, const char *id, const char *status, int64_t at, int64_t eta,
                  const char *detail)
{
    static const char find[] =
        "SELECT s.id, s.order_id, o.customer, s.status,"
        " (SELECT count(*) FROM shipment_event WHERE shipment=s.id AND status='in_transit')"
        " FROM shipment s JOIN orders o ON o.id=s.order_id WHERE s.ext_id=?";
    static const char upd[] =
        "UPDATE shipment SET status=?2, status_at=?3, eta=coalesce(?4,eta),"
        " delivered_at=CASE WHEN ?2='delivered' THEN ?3 ELSE delivered_at END,"
        " exception=CASE WHEN ?2='exception' THEN coalesce(?5,'unspecified') ELSE exception END"
        " WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, find, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, id, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src != SQLITE_ROW) {
        rt_reset(st);
        if (src == SQLITE_DONE)
            return rt_error(e, RETAIN_ENOTFOUND, "shipment \"%s\" does not exist", id);
        return rt_sqlerr(e, src, "looking up shipment");
    }
    int64_t skey = rt_column_int64(st, 0), okey = rt_column_int64(st, 1);
    int64_t cust = rt_column_int64(st, 2);
    bool first_transit = rt_column_int64(st, 4) == 0 && strcmp(status, "in_transit") == 0;
    rt_reset(st);
    if ((rc = add_event(e, skey, status, at, eta, detail)) || (rc = rt_stmt(e, upd, &st)))
        return rc;
    rt_bind_int64(st, 1, skey);
    rt_bind_textn(st, 2, status, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    if (eta == INT64_MIN)
        rt_bind_null(st, 4);
    else
        rt_bind_int64(st, 4, eta);
    rt_bind_text(st, 5, detail);
    if ((rc = step_done(e, st, "updating shipment")))
        return rc;
    if (first_transit && (rc = rt_event_emit(e, cust, "shipment.shipped", at, NULL, okey, skey)))
        return rc;
    char name[40];
    rt_format(name, sizeof name, "shipment.%s", status);
    return rt_event_emit(e, cust, name, at, NULL, okey, skey);
}

int retain_shipment_update(retain_engine *e, const char *shipment_id, const char *status,
                           int64_t at, int64_t eta, const char *detail)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "shipment_id", shipment_id)) ||
        (rc = check_status(e, status)) || (rc = rt_check_time(e, "at", at)) ||
        (rc = rt_check_opt_time(e, "eta", eta)) ||
        (rc = rt_check_text(e, "detail", detail, 1024)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, update(e, shipment_id, status, at, eta, detail));
}

static int load_history(retain_engine *e, int64_t skey, rt_arena *ar, retain_shipment *s)
{
    static const char count_sql[] = "SELECT count(*) FROM shipment_event WHERE shipment=?";
    static const char sql[] =
        "SELECT status, at, eta, detail FROM shipment_event WHERE shipment=? ORDER BY seq";
    rt_st *st;
    int rc = rt_stmt(e, count_sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, skey);
    if ((rc = rt_step(e, st, "counting shipment events")) < 0)
        return rc;
    size_t n = rc == RETAIN_ROW ? (size_t)rt_column_int64(st, 0) : 0;
    rt_reset(st);
    if (n == 0)
        return RETAIN_OK;
    retain_shipment_event *h = rt_arena_alloc(ar, n * sizeof *h);
    if (!h)
        return rt_nomem(e);
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, skey);
    bool ok = true;
    size_t i = 0;
    while (i < n && (rc = rt_step(e, st, "reading shipment events")) == RETAIN_ROW) {
        h[i].status = rt_arena_str(ar, rt_col_text(st, 0), &ok);
        h[i].at = rt_column_int64(st, 1);
        h[i].eta = rt_col_time(st, 2);
        h[i].detail = rt_arena_str(ar, rt_col_text(st, 3), &ok);
        i++;
    }
    rt_reset(st);
    s->history = h;
    s->history_count = i;
    if (rc < 0)
        return rc;
    return ok ? RETAIN_OK : rt_nomem(e);
}

int retain_shipment_get(retain_shipment **out, retain_engine *e, const char *shipment_id)
{
    static const char sql[] =
        "SELECT s.id, s.ext_id, o.ext_id, s.carrier, s.tracking, s.tracking_url, s.promised_at,"
        " s.status, s.status_at, s.eta, s.delivered_at, s.exception,"
        " (SELECT at FROM shipment_event WHERE shipment=s.id AND seq=1)"
        " FROM shipment s JOIN orders o ON o.id=s.order_id WHERE s.ext_id=?";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = rt_check_id(e, "shipment_id", shipment_id)))
        return rc;
    rt_st *st;
    if ((rc = rt_lookup(e, sql, shipment_id, "shipment", &st)))
        return rc;
    retain_shipment *s = rt_object_new(&e->alloc, sizeof *s);
    if (!s) {
        rt_reset(st);
        return rt_nomem(e);
    }
    rt_arena *ar = rt_object_arena(s);
    bool ok = true;
    int64_t skey = rt_column_int64(st, 0);
    s->version = RETAIN_SHIPMENT_VERSION;
    s->id = rt_arena_str(ar, rt_col_text(st, 1), &ok);
    s->order_id = rt_arena_str(ar, rt_col_text(st, 2), &ok);
    s->carrier = rt_arena_str(ar, rt_col_text(st, 3), &ok);
    s->tracking = rt_arena_str(ar, rt_col_text(st, 4), &ok);
    s->tracking_url = rt_arena_str(ar, rt_col_text(st, 5), &ok);
    s->promised_at = rt_col_time(st, 6);
    s->status = rt_arena_str(ar, rt_col_text(st, 7), &ok);
    s->status_at = rt_column_int64(st, 8);
    s->eta = rt_col_time(st, 9);
    s->delivered_at = rt_col_time(st, 10);
    s->exception = rt_arena_str(ar, rt_col_text(st, 11), &ok);
    s->at = rt_column_int64(st, 12);
    rt_reset(st);
    rc = ok ? load_history(e, skey, ar, s) : rt_nomem(e);
    if (rc) {
        rt_object_free(s);
        return rc;
    }
    *out = s;
    return RETAIN_OK;
}

void retain_shipment_free(retain_shipment *s)
{
    rt_object_free(s);
}

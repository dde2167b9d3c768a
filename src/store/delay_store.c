/*
 * delay_store.c - the shipments that are late, hit a carrier exception or
 * whose ETA slipped past the promise, and the record of each delay cause
 * already announced, so that every cause produces one event, ever.
 */
#include "domain_store.h"
#include "outbox.h"

#include <string.h>

/* One SELECT per cause; each cause's time is when it arose, so the event
 * lands at the same logical time however late the tick runs. Returned and
 * delivered shipments are never delayed. */
#define DELAY_COLS                                                                     \
    "s.id, o.customer, s.order_id, s.ext_id, o.ext_id, s.carrier, s.exception,"        \
    " s.promised_at, s.eta"
#define OPEN_SHIPMENT(cause)                                                           \
    " FROM shipment s JOIN orders o ON o.id=s.order_id"                                \
    " WHERE s.delivered_at IS NULL AND s.status<>'returned'"                           \
    " AND NOT EXISTS (SELECT 1 FROM shipment_delay d WHERE d.shipment=s.id AND d.cause='" cause "')"

int ds_delay_candidates(retain_engine *e, int64_t now, int64_t margin_ms, ds_delay *out,
                        int cap, int *n)
{
    static const char sql[] =
        "SELECT * FROM ("
        "SELECT " DELAY_COLS ", 'late' AS cause, s.promised_at AS at"
        OPEN_SHIPMENT("late") " AND s.promised_at < ?1"
        " UNION ALL "
        "SELECT " DELAY_COLS ", 'exception',"
        " (SELECT min(at) FROM shipment_event x WHERE x.shipment=s.id AND x.status='exception')"
        OPEN_SHIPMENT("exception") " AND s.exception IS NOT NULL"
        " UNION ALL "
        "SELECT " DELAY_COLS ", 'eta_slip',"
        " (SELECT min(at) FROM shipment_event x WHERE x.shipment=s.id AND x.eta>s.promised_at+?2)"
        OPEN_SHIPMENT("eta_slip") " AND s.eta > s.promised_at + ?2"
        ") WHERE at <= ?1 ORDER BY at, 1, cause LIMIT ?3";
    rt_st *st;
    *n = 0;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, now);
    rt_bind_int64(st, 2, margin_ms);
    rt_bind_int(st, 3, cap);
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW && *n < cap) {
        ds_delay *d = &out[(*n)++];
        memset(d, 0, sizeof *d);
        d->shipment = rt_column_int64(st, 0);
        d->customer = rt_column_int64(st, 1);
        d->order_key = rt_column_int64(st, 2);
        rt_col_copy(d->shipment_id, sizeof d->shipment_id, st, 3);
        rt_col_copy(d->order_id, sizeof d->order_id, st, 4);
        rt_col_copy(d->carrier, sizeof d->carrier, st, 5);
        rt_col_copy(d->exception, sizeof d->exception, st, 6);
        d->promised_at = rt_col_time(st, 7);
        d->eta = rt_col_time(st, 8);
        rt_col_copy(d->cause, sizeof d->cause, st, 9);
        d->at = rt_column_int64(st, 10);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "finding delayed shipments");
}

int ds_delay_mark(retain_engine *e, int64_t shipment, const char *cause, int64_t at, int64_t now)
{
    static const char sql[] =
        "INSERT INTO shipment_delay(shipment,cause,at,detected_at) VALUES(?,?,?,?)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, shipment);
    rt_bind_textn(st, 2, cause, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    rt_bind_int64(st, 4, now);
    return ob_step_done(e, st, "recording a shipment delay");
}

/*
 * tracking.c - where-is-my-order data: carrier tracking URL templates, the
 * shipment's status history for message payloads, and the delivery guards
 * that keep a delay notice from going out after the parcel arrived.
 */
#include "domain_store.h"
#include "outbox.h"
#include "core/buf.h"

#include <string.h>

#define step_done ob_step_done

int ds_carrier_set(retain_engine *e, const char *carrier, const char *url_template, int64_t now)
{
    static const char put[] =
        "INSERT INTO carrier(name,tracking_url,updated_at) VALUES(?1,?2,?3)"
        " ON CONFLICT(name) DO UPDATE SET tracking_url=?2, updated_at=?3";
    static const char del[] = "DELETE FROM carrier WHERE name=?1";
    rt_st *st;
    int rc = rt_stmt(e, url_template ? put : del, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, carrier, -1, SQLITE_STATIC);
    if (url_template) {
        rt_bind_textn(st, 2, url_template, -1, SQLITE_STATIC);
        rt_bind_int64(st, 3, now);
    }
    return step_done(e, st, "setting a carrier's tracking URL");
}

/* RFC 3986 unreserved characters pass; everything else is %XX. */
static void put_encoded(rt_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (plain) {
            rt_buf_putc(b, (char)*p);
        } else {
            char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            rt_buf_append(b, esc, 3);
        }
    }
}

void rt_tracking_url_json(rt_buf *b, const char *own_url, const char *tpl, const char *tracking)
{
    rt_buf_puts(b, ",\"tracking_url\":");
    if (own_url) {
        rt_buf_json_str(b, own_url);
        return;
    }
    if (!tpl || !tracking || !tracking[0]) {
        rt_buf_puts(b, "null");
        return;
    }
    rt_buf url;
    rt_buf_init(&url, b->alloc);
    static const char mark[] = "{tracking}";
    for (const char *p = tpl; *p;) {
        const char *q = strstr(p, mark);
        if (!q) {
            rt_buf_puts(&url, p);
            break;
        }
        rt_buf_append(&url, p, (size_t)(q - p));
        put_encoded(&url, tracking);
        p = q + sizeof mark - 1;
    }
    if (url.failed || !url.data)
        b->failed = true;
    else
        rt_buf_json_strn(b, url.data, url.len);
    rt_buf_free(&url);
}

int rt_shipment_history_json(retain_engine *e, int64_t skey, rt_buf *b)
{
    static const char sql[] =
        "SELECT status, at, eta, detail FROM shipment_event WHERE shipment=? ORDER BY seq";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, skey);
    rt_buf_puts(b, ",\"history\":[");
    int src, n = 0;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        rt_buf_puts(b, n++ ? ",{\"status\":" : "{\"status\":");
        rt_buf_json_str(b, rt_col_text(st, 0));
        rt_buf_printf(b, ",\"at\":%lld,\"eta\":", (long long)rt_column_int64(st, 1));
        if (rt_column_type(st, 2) == SQLITE_NULL)
            rt_buf_puts(b, "null");
        else
            rt_buf_printf(b, "%lld", (long long)rt_column_int64(st, 2));
        rt_buf_puts(b, ",\"detail\":");
        if (rt_column_type(st, 3) == SQLITE_NULL)
            rt_buf_puts(b, "null");
        else
            rt_buf_json_str(b, rt_col_text(st, 3));
        rt_buf_putc(b, '}');
    }
    rt_reset(st);
    rt_buf_putc(b, ']');
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "reading shipment history");
}

int ds_guard_add(retain_engine *e, int64_t message_id, int64_t skey)
{
    static const char sql[] = "INSERT OR IGNORE INTO outbox_guard(message,shipment) VALUES(?,?)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, message_id);
    rt_bind_int64(st, 2, skey);
    return step_done(e, st, "recording a delivery guard");
}

int ds_guard_get(retain_engine *e, int64_t message_id, int64_t *skey, int64_t *delivered_at)
{
    static const char sql[] =
        "SELECT g.shipment, s.delivered_at FROM outbox_guard g"
        " LEFT JOIN shipment s ON s.id=g.shipment WHERE g.message=?";
    rt_st *st;
    *skey = 0;
    *delivered_at = INT64_MIN;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, message_id);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *skey = rt_column_int64(st, 0);
        *delivered_at = rt_col_time(st, 1);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading a delivery guard");
}

int ds_shipment_delivered(retain_engine *e, int64_t skey, int64_t okey, int64_t *out_skey,
                          int64_t *delivered_at)
{
    static const char sql[] =
        "SELECT id, delivered_at FROM shipment WHERE id=CASE WHEN ?1<>0 THEN ?1 ELSE"
        " (SELECT id FROM shipment WHERE order_id=?2 ORDER BY status_at DESC, id DESC LIMIT 1)"
        " END";
    rt_st *st;
    *out_skey = 0;
    *delivered_at = INT64_MIN;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, skey);
    rt_bind_int64(st, 2, okey);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *out_skey = rt_column_int64(st, 0);
        *delivered_at = rt_col_time(st, 1);
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading a delivery time");
}

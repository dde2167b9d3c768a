/*
 * outbox.c - the outbox: message rows and their state changes, transport
 * attempts, policy decisions, receipts, payloads, and reading it all back
 * (the public retain_outbox_* listing and the history/explain JSON).
 */
#include "outbox.h"
#include "domain_store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/check.h"
#include "retain/transport.h"

#include <string.h>

int ob_step_done(retain_engine *e, rt_st *st, const char *doing)
{
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

static void bind_opt_time(rt_st *st, int idx, int64_t t, int64_t none)
{
    if (t == none)
        rt_bind_null(st, idx);
    else
        rt_bind_int64(st, idx, t);
}

/* ---- rows --------------------------------------------------------------- */

int ob_insert(retain_engine *e, const ob_new *m, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO outbox(idem_key,customer,instance,journey,version,step,host_id,channel,"
        "category,template,fallback,fallback_of,order_id,shipment,recipient,state,"
        "due_at,expires_at,not_before,on_quiet,on_cap,last_reason,created_at,updated_at)"
        " VALUES(?1,?2,nullif(?3,0),?4,?5,?6,?7,?8,?9,?10,?11,nullif(?12,0),nullif(?13,0),"
        "nullif(?14,0),?15,'queued',?17,?18,?19,?20,?21,?22,?23,?23)"
        " ON CONFLICT(idem_key) DO NOTHING";
    static const char payload_sql[] = "INSERT INTO outbox_payload(message,payload) VALUES(?,?)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, m->key, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, m->customer);
    rt_bind_int64(st, 3, m->instance);
    rt_bind_text(st, 4, m->journey);
    if (m->journey)
        rt_bind_int(st, 5, m->version);
    rt_bind_text(st, 6, m->step);
    rt_bind_text(st, 7, m->host_id);
    rt_bind_textn(st, 8, m->channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 9, m->category, -1, SQLITE_STATIC);
    rt_bind_text(st, 10, m->template_id);
    rt_bind_text(st, 11, m->fallback);
    rt_bind_int64(st, 12, m->fallback_of);
    rt_bind_int64(st, 13, m->order_key);
    rt_bind_int64(st, 14, m->shipment_key);
    rt_bind_text(st, 15, m->recipient);
    rt_bind_int64(st, 17, m->due_at);
    bind_opt_time(st, 18, m->expires_at, INT64_MAX);
    rt_bind_int64(st, 19, m->not_before);
    rt_bind_int(st, 20, m->on_quiet);
    rt_bind_int(st, 21, m->on_cap);
    rt_bind_text(st, 22, m->held);
    rt_bind_int64(st, 23, m->now);
    if ((rc = ob_step_done(e, st, "queuing a message")))
        return rc;
    *id = rt_changes(e) ? rt_last_id(e) : 0;
    if (*id == 0 || (rc = rt_stmt(e, payload_sql, &st)))
        return rc;
    rt_bind_int64(st, 1, *id);
    rt_bind_textn(st, 2, m->payload, -1, SQLITE_STATIC);
    return ob_step_done(e, st, "queuing a message");
}

#define ROW_SELECT                                                                          \
    "SELECT o.id, o.idem_key, o.customer, o.instance, o.journey, o.version, o.step,"        \
    " o.host_id, o.channel, o.category, o.template, o.fallback, o.fallback_of, o.order_id," \
    " o.shipment, o.state, o.due_at, o.expires_at, o.not_before, o.sent_at, o.on_quiet,"    \
    " o.on_cap, o.attempts, o.attempt_base, ord.ext_id, o.last_reason, p.payload"           \
    " FROM outbox o LEFT JOIN orders ord ON ord.id=o.order_id"                              \
    " LEFT JOIN outbox_payload p ON p.message=o.id "

static int read_row(retain_engine *e, rt_st *st, bool want_payload, ob_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = rt_column_int64(st, 0);
    rt_col_copy(r->key, sizeof r->key, st, 1);
    r->customer = rt_column_int64(st, 2);
    r->instance = rt_column_int64(st, 3);
    r->has_journey = rt_column_type(st, 4) != SQLITE_NULL;
    rt_col_copy(r->journey, sizeof r->journey, st, 4);
    r->version = rt_column_int(st, 5);
    r->has_step = rt_column_type(st, 6) != SQLITE_NULL;
    rt_col_copy(r->step, sizeof r->step, st, 6);
    r->has_host_id = rt_column_type(st, 7) != SQLITE_NULL;
    rt_col_copy(r->host_id, sizeof r->host_id, st, 7);
    rt_col_copy(r->channel, sizeof r->channel, st, 8);
    rt_col_copy(r->category, sizeof r->category, st, 9);
    r->has_template = rt_column_type(st, 10) != SQLITE_NULL;
    rt_col_copy(r->template_id, sizeof r->template_id, st, 10);
    r->has_fallback = rt_column_type(st, 11) != SQLITE_NULL;
    rt_col_copy(r->fallback, sizeof r->fallback, st, 11);
    r->fallback_of = rt_column_int64(st, 12);
    r->order_key = rt_column_int64(st, 13);
    r->shipment_key = rt_column_int64(st, 14);
    rt_col_copy(r->state, sizeof r->state, st, 15);
    r->due_at = rt_column_int64(st, 16);
    r->expires_at = rt_column_type(st, 17) == SQLITE_NULL ? INT64_MAX
                                                                : rt_column_int64(st, 17);
    r->not_before = rt_column_int64(st, 18);
    r->sent_at = rt_column_type(st, 19) == SQLITE_NULL ? INT64_MIN
                                                             : rt_column_int64(st, 19);
    r->on_quiet = rt_column_int(st, 20);
    r->on_cap = rt_column_int(st, 21);
    r->attempts = rt_column_int(st, 22);
    r->attempt_base = rt_column_int(st, 23);
    rt_col_copy(r->order_ext, sizeof r->order_ext, st, 24);
    rt_col_copy(r->last_reason, sizeof r->last_reason, st, 25);
    int rc = rt_row_check(e); /* an empty key or recipient must not go out */
    if (rc)
        return rc;
    if (want_payload) {
        r->payload = rt_strdup(&e->alloc, rt_col_text(st, 26));
        if (!r->payload)
            return rt_nomem(e);
    }
    return RETAIN_OK;
}

static int one_row(retain_engine *e, rt_st *st, bool want_payload, ob_row *out,
                   bool *found)
{
    int src = rt_sqlstep(st);
    int rc = RETAIN_OK;
    *found = src == SQLITE_ROW;
    if (*found)
        rc = read_row(e, st, want_payload, out);
    else if (src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading the outbox");
    rt_reset(st);
    return rc;
}

int ob_find_key(retain_engine *e, const char *key, ob_row *out, bool *found)
{
    static const char sql[] = ROW_SELECT "WHERE o.idem_key=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, key, -1, SQLITE_STATIC);
    return one_row(e, st, false, out, found);
}

int ob_get(retain_engine *e, int64_t id, bool want_payload, ob_row *out, bool *found)
{
    static const char sql[] = ROW_SELECT "WHERE o.id=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    return one_row(e, st, want_payload, out, found);
}

int ob_due(retain_engine *e, const char *channel, int64_t now, ob_row *out, int cap, int *n)
{
    static const char sql[] =
        ROW_SELECT "WHERE o.channel=?1 AND o.state IN ('queued','sending') AND o.not_before<=?2"
                   " AND rt_claim(o.customer) ORDER BY o.not_before, o.id LIMIT ?3"
                   " /*pg: FOR UPDATE OF o SKIP LOCKED*/";
    *n = 0;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, channel, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, now);
    rt_bind_int(st, 3, cap);
    int src;
    while (rc == RETAIN_OK && *n < cap && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        rc = read_row(e, st, true, &out[*n]);
        if (rc == RETAIN_OK)
            (*n)++;
    }
    if (rc == RETAIN_OK && *n < cap && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading due messages");
    rt_reset(st);
    return rc;
}

int ob_due_any(retain_engine *e, const char *channel, int64_t now, bool *any)
{
    static const char sql[] =
        "SELECT EXISTS(SELECT 1 FROM outbox WHERE channel=?1 AND state IN ('queued','sending')"
        " AND not_before<=?2)";
    *any = false;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, channel, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, now);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        *any = rt_column_int(st, 0) != 0;
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "looking for due messages");
}

int ob_claim(retain_engine *e, int64_t id, int attempts, int64_t lease_until,
             const char *recipient, int64_t now)
{
    static const char sql[] =
        "UPDATE outbox SET state='sending', attempts=?2, attempted_at=?5, not_before=?3,"
        " recipient=?4, updated_at=?5 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int(st, 2, attempts);
    rt_bind_int64(st, 3, lease_until);
    rt_bind_text(st, 4, recipient);
    rt_bind_int64(st, 5, now);
    return ob_step_done(e, st, "claiming a message");
}

int ob_hold(retain_engine *e, int64_t id, int64_t not_before, const char *reason, int64_t now)
{
    static const char sql[] =
        "UPDATE outbox SET state='queued', not_before=?2, last_reason=?3, updated_at=?4"
        " WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int64(st, 2, not_before);
    rt_bind_text(st, 3, reason);
    rt_bind_int64(st, 4, now);
    return ob_step_done(e, st, "deferring a message");
}

int ob_finish(retain_engine *e, int64_t id, const char *state, const char *reason, int64_t now)
{
    static const char sql[] =
        "UPDATE outbox SET state=?2, last_reason=?3, updated_at=?4 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_textn(st, 2, state, -1, SQLITE_STATIC);
    rt_bind_text(st, 3, reason);
    rt_bind_int64(st, 4, now);
    return ob_step_done(e, st, "updating a message");
}

int ob_mark_sent(retain_engine *e, int64_t id, int attempt, bool only_own_claim,
                 const char *provider_id, int64_t now, bool *changed)
{
    /* A late result still counts as sent while the message is pending:
     * sending it again would only duplicate it. */
    static const char own[] =
        "UPDATE outbox SET state='sent', sent_at=?3, provider_id=?4, last_reason=NULL,"
        " updated_at=?3 WHERE id=?1 AND state='sending' AND attempts=?2";
    static const char late[] =
        "UPDATE outbox SET state='sent', sent_at=?3, provider_id=?4, last_reason=NULL,"
        " updated_at=?3 WHERE id=?1 AND state IN ('queued','sending') AND ?2=?2";
    rt_st *st;
    int rc = rt_stmt(e, only_own_claim ? own : late, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int(st, 2, attempt);
    rt_bind_int64(st, 3, now);
    rt_bind_text(st, 4, provider_id && *provider_id ? provider_id : NULL);
    if ((rc = ob_step_done(e, st, "recording a sent message")))
        return rc;
    *changed = rt_changes(e) > 0;
    return RETAIN_OK;
}

int ob_mark_retry(retain_engine *e, int64_t id, int attempt, int64_t retry_at,
                  const char *reason, int64_t now, bool *changed)
{
    static const char sql[] =
        "UPDATE outbox SET state='queued', not_before=?3, last_reason=?4, updated_at=?5"
        " WHERE id=?1 AND state='sending' AND attempts=?2";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int(st, 2, attempt);
    rt_bind_int64(st, 3, retry_at);
    rt_bind_text(st, 4, reason);
    rt_bind_int64(st, 5, now);
    if ((rc = ob_step_done(e, st, "recording a retry")))
        return rc;
    *changed = rt_changes(e) > 0;
    return RETAIN_OK;
}

int ob_release(retain_engine *e, int64_t id, int attempt, int64_t not_before, int64_t now)
{
    static const char sql[] =
        "UPDATE outbox SET state='queued', attempts=attempts-1, not_before=?3, updated_at=?4"
        " WHERE id=?1 AND state='sending' AND attempts=?2";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int(st, 2, attempt);
    rt_bind_int64(st, 3, not_before);
    rt_bind_int64(st, 4, now);
    return ob_step_done(e, st, "releasing a message");
}

int ob_requeue(retain_engine *e, int64_t id, int64_t now)
{
    static const char sql[] =
        "UPDATE outbox SET state='queued', not_before=?2, attempt_base=attempts,"
        " last_reason='retried by the host', updated_at=?2 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int64(st, 2, now);
    return ob_step_done(e, st, "retrying a message");
}

int ob_attempt(retain_engine *e, int64_t id, int attempt, int64_t at, const char *outcome,
               const char *provider_id, int64_t retry_at, const char *reason)
{
    static const char sql[] =
        "INSERT INTO outbox_attempt(message,attempt,at,outcome,provider_id,retry_at,reason)"
        " VALUES(?,?,?,?,?,?,?) ON CONFLICT(message,attempt) DO UPDATE SET at=excluded.at,"
        " outcome=excluded.outcome, provider_id=excluded.provider_id,"
        " retry_at=excluded.retry_at, reason=excluded.reason"
        " WHERE outbox_attempt.outcome='lost'";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int(st, 2, attempt);
    rt_bind_int64(st, 3, at);
    rt_bind_textn(st, 4, outcome, -1, SQLITE_STATIC);
    rt_bind_text(st, 5, provider_id && *provider_id ? provider_id : NULL);
    bind_opt_time(st, 6, retry_at, INT64_MIN);
    rt_bind_text(st, 7, reason && *reason ? reason : NULL);
    return ob_step_done(e, st, "recording a transport attempt");
}

int ob_decide(retain_engine *e, const ob_decision *d)
{
    static const char sql[] =
        "INSERT INTO delivery_decision(customer,message,instance,idem_key,step,channel,at,stage,"
        "decision,until,rule,reason) VALUES(?,nullif(?,0),nullif(?,0),?,?,?,?,?,?,?,?,?)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, d->customer);
    rt_bind_int64(st, 2, d->message);
    rt_bind_int64(st, 3, d->instance);
    rt_bind_textn(st, 4, d->key, -1, SQLITE_STATIC);
    rt_bind_text(st, 5, d->step);
    rt_bind_text(st, 6, d->channel);
    rt_bind_int64(st, 7, d->at);
    rt_bind_textn(st, 8, d->stage, -1, SQLITE_STATIC);
    rt_bind_textn(st, 9, d->decision, -1, SQLITE_STATIC);
    bind_opt_time(st, 10, d->until, INT64_MIN);
    rt_bind_text(st, 11, d->rule);
    rt_bind_textn(st, 12, d->reason ? d->reason : "", -1, SQLITE_STATIC);
    return ob_step_done(e, st, "recording a delivery decision");
}

int ob_receipt(retain_engine *e, int64_t id, const char *status, int64_t at, bool *inserted)
{
    static const char ins[] =
        "INSERT OR IGNORE INTO delivery_receipt(message,status,at) VALUES(?,?,?)";
    /* The latest receipt by time is the message's delivery state. */
    static const char upd[] =
        "UPDATE outbox SET delivery=(SELECT status FROM delivery_receipt WHERE message=?1"
        " ORDER BY at DESC, status LIMIT 1), updated_at=max(updated_at,?2) WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, ins, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_textn(st, 2, status, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    if ((rc = ob_step_done(e, st, "recording a receipt")))
        return rc;
    *inserted = rt_changes(e) > 0;
    if (!*inserted)
        return RETAIN_OK;
    if ((rc = rt_stmt(e, upd, &st)))
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int64(st, 2, at);
    return ob_step_done(e, st, "recording a receipt");
}

static int id_query(retain_engine *e, const char *sql, const char *a, const char *b, int64_t *id,
                    const char *what)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        rt_bind_textn(st, 2, b, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        *id = rt_column_int64(st, 0);
    rt_reset(st);
    if (src == SQLITE_ROW)
        return RETAIN_OK;
    if (src == SQLITE_DONE)
        return rt_error(e, RETAIN_ENOTFOUND, "no message has %s", what);
    return rt_sqlerr(e, src, "looking up a message");
}

int ob_id_by_key(retain_engine *e, const char *key, int64_t *id)
{
    static const char sql[] = "SELECT id FROM outbox WHERE idem_key=?1";
    char what[128];
    rt_format(what, sizeof what, "idempotency key \"%.64s\"", key);
    return id_query(e, sql, key, NULL, id, what);
}

int ob_id_by_provider(retain_engine *e, const char *channel, const char *provider_id,
                      int64_t *id)
{
    static const char sql[] =
        "SELECT id FROM outbox WHERE channel=?1 AND provider_id=?2 ORDER BY id DESC LIMIT 1";
    char what[160];
    rt_format(what, sizeof what, "provider id \"%.80s\" on channel %s", provider_id, channel);
    return id_query(e, sql, channel, provider_id, id, what);
}

/* ---- payloads ----------------------------------------------------------- */

static int text_result(retain_engine *e, rt_st *st, char **out, const char *doing)
{
    int src = rt_sqlstep(st);
    int rc = RETAIN_OK;
    *out = NULL;
    if (src == SQLITE_ROW) {
        const char *s = rt_col_text(st, 0);
        *out = rt_strdup(&e->alloc, s ? s : "{}");
        if (!*out)
            rc = rt_nomem(e);
    } else {
        rc = rt_sqlerr(e, src, doing);
    }
    rt_reset(st);
    return rc;
}

/* Append column `col` as a JSON value: NULL as null, integers as numbers,
 * text as a string, or (raw) as JSON text that the store validated. */
static void put_int(rt_buf *b, int64_t v)
{
    char d[24];
    int i = (int)sizeof d;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        d[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        d[--i] = '-';
    rt_buf_append(b, d + i, sizeof d - (size_t)i);
}

static void put_col(rt_buf *b, rt_st *st, int col, bool raw)
{
    switch (rt_column_type(st, col)) {
    case SQLITE_NULL:
        rt_buf_append(b, "null", 4);
        break;
    case SQLITE_INTEGER:
        put_int(b, rt_column_int64(st, col));
        break;
    default:
        if (raw)
            rt_buf_puts(b, rt_col_text(st, col));
        else
            rt_buf_json_str(b, rt_col_text(st, col));
    }
}

/* {"name":col,...} from consecutive columns; a name starting with '=' is raw JSON. */
static void put_object(rt_buf *b, rt_st *st, int first, const char *const *names)
{
    rt_buf_putc(b, '{');
    for (int i = 0; names[i]; i++) {
        bool raw = names[i][0] == '=';
        if (i)
            rt_buf_putc(b, ',');
        rt_buf_putc(b, '"');
        rt_buf_puts(b, names[i] + raw);
        rt_buf_append(b, "\":", 2);
        put_col(b, st, first + i, raw);
    }
    rt_buf_putc(b, '}');
}

int ob_payload_build(retain_engine *e, const ob_payload_in *in, char **out)
{
    /* Plain columns, turned into JSON here: re-parsing JSON text in SQL
     * costs more than everything else a message needs. */
    static const char sql[] =
        "SELECT c.ext_id, c.name, c.email, c.phone, c.locale, c.timezone, c.attrs,"
        " c.orders_count, c.first_order_at, c.last_order_at,"
        " o.ext_id, o.channel, o.placed_at, o.currency, o.total, o.coupon, o.status, o.attrs,"
        " s.ext_id, s.carrier, s.tracking, s.promised_at, s.eta, s.status,"
        " s.status_at, s.delivered_at, s.exception, s.tracking_url,"
        " (SELECT tracking_url FROM carrier WHERE name=s.carrier), s.id"
        " FROM customer c LEFT JOIN orders o ON o.id=?2"
        " LEFT JOIN shipment s ON s.id=CASE WHEN ?3<>0 THEN ?3 ELSE"
        "  (SELECT id FROM shipment WHERE order_id=?2 ORDER BY status_at DESC, id DESC LIMIT 1)"
        "  END"
        " WHERE c.id=?1";
    static const char lines_sql[] =
        "SELECT sku, title, quantity, unit_price FROM order_line WHERE order_id=?1"
        " ORDER BY line_no";
    static const char patch_sql[] = "SELECT json_patch(?1, ?2)";
    static const char *const customer[] = { "id", "name", "email", "phone", "locale",
                                            "timezone", "=attrs", "orders_count",
                                            "first_order_at", "last_order_at", NULL };
    static const char *const order[] = { "id", "channel", "placed_at", "currency", "total",
                                         "coupon", "status", "=attrs", NULL };
    static const char *const shipment[] = { "id", "carrier", "tracking", "promised_at",
                                            "eta", "status", "status_at", "delivered_at",
                                            "exception", NULL };
    static const char *const line[] = { "sku", "title", "quantity", "unit_price", NULL };
    *out = NULL;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, in->customer);
    rt_bind_int64(st, 2, in->order_key);
    rt_bind_int64(st, 3, in->shipment_key);
    int src = rt_sqlstep(st);
    if (src != SQLITE_ROW) {
        rt_reset(st);
        return rt_sqlerr(e, src == SQLITE_DONE ? SQLITE_INTERNAL : src, "building a payload");
    }
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"customer\":");
    put_object(&b, st, 0, customer);
    bool has_order = rt_column_type(st, 10) != SQLITE_NULL;
    rt_buf_puts(&b, ",\"order\":");
    if (has_order)
        put_object(&b, st, 10, order);
    else
        rt_buf_puts(&b, "null");
    rt_buf_puts(&b, ",\"lines\":[");
    bool has_shipment = rt_column_type(st, 18) != SQLITE_NULL;
    rt_buf shipbuf;
    rt_buf_init(&shipbuf, &e->alloc);
    int64_t ship_key = 0;
    if (has_shipment) {
        put_object(&shipbuf, st, 18, shipment);
        shipbuf.len--; /* reopen the object: where-is-my-order members follow */
        rt_tracking_url_json(&shipbuf, rt_col_text(st, 27), rt_col_text(st, 28),
                             rt_col_text(st, 20));
        ship_key = rt_column_int64(st, 29);
    }
    char ext[OB_ID];
    rt_col_copy(ext, sizeof ext, st, 0);
    rt_reset(st);
    if (has_shipment) {
        rc = rt_shipment_history_json(e, ship_key, &shipbuf);
        rt_buf_putc(&shipbuf, '}');
    }
    if (rc == RETAIN_OK && has_order && (rc = rt_stmt(e, lines_sql, &st)) == RETAIN_OK) {
        rt_bind_int64(st, 1, in->order_key);
        int n = 0;
        while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
            if (n++)
                rt_buf_putc(&b, ',');
            put_object(&b, st, 0, line);
        }
        rt_reset(st);
        if (src != SQLITE_DONE)
            rc = rt_sqlerr(e, src, "reading order lines");
    }
    rt_buf_puts(&b, "],\"shipment\":");
    if (has_shipment && (shipbuf.failed || !shipbuf.data) && !rc)
        rc = rt_nomem(e); /* not "shipment": null in a message that goes out */
    rt_buf_puts(&b, has_shipment && shipbuf.data ? shipbuf.data : "null");
    rt_buf_free(&shipbuf);
    rt_buf_puts(&b, ",\"unsubscribe\":");
    if (strcmp(in->category, "transactional") != 0) {
        rt_buf_puts(&b, "{\"customer_id\":");
        rt_buf_json_str(&b, ext);
        rt_buf_puts(&b, ",\"channel\":");
        rt_buf_json_str(&b, in->channel);
        rt_buf_puts(&b, ",\"category\":");
        rt_buf_json_str(&b, in->category);
        rt_buf_puts(&b, ",\"message_key\":");
        rt_buf_json_str(&b, in->key);
        rt_buf_puts(&b, ",\"list_unsubscribe_post\":\"List-Unsubscribe=One-Click\"}");
    } else {
        rt_buf_puts(&b, "null");
    }
    rt_buf_putc(&b, '}');
    char *base = NULL;
    if (rt_buf_finish(&b, &base) != RETAIN_OK) {
        rt_buf_free(&b);
        return rc ? rc : rt_nomem(e);
    }
    if (rc || !in->extra_json) {
        if (rc)
            rt_free(&e->alloc, base);
        else
            *out = base;
        return rc;
    }
    /* What the journey adds (a coupon, recommendations) is merged as an
     * RFC 7396 patch. */
    if ((rc = rt_stmt_local(e, patch_sql, &st)) == RETAIN_OK) {
        rt_bind_textn(st, 1, base, -1, SQLITE_STATIC);
        rt_bind_textn(st, 2, in->extra_json, -1, SQLITE_STATIC);
        rc = text_result(e, st, out, "merging a message payload");
    }
    rt_free(&e->alloc, base);
    return rc;
}

int ob_payload_readdress(retain_engine *e, const char *payload, const char *channel,
                         const char *key, char **out)
{
    static const char sql[] =
        "SELECT CASE WHEN json_type(?1,'$.unsubscribe')='object'"
        " THEN json_set(?1,'$.unsubscribe.channel',?2,'$.unsubscribe.message_key',?3)"
        " ELSE json(?1) END";
    rt_st *st;
    int rc = rt_stmt_local(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, payload, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, channel, -1, SQLITE_STATIC);
    rt_bind_textn(st, 3, key, -1, SQLITE_STATIC);
    return text_result(e, st, out, "copying a message payload");
}

int ob_json_walk(retain_engine *e, const char *json, ob_json_fn fn, void *ctx)
{
    static const char sql[] = "SELECT fullkey, key, type, atom FROM json_tree(?1)";
    rt_st *st;
    int rc = rt_stmt_local(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, json, -1, SQLITE_STATIC);
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        const char *path, *key = NULL, *type, *atom;
        if ((rt_column_type(st, 1) == SQLITE_TEXT && (rc = rt_col_str(e, st, 1, &key))) ||
            (rc = rt_col_str(e, st, 0, &path)) || (rc = rt_col_str(e, st, 2, &type)) ||
            (rc = rt_col_str(e, st, 3, &atom)))
            break;
        rc = fn(path, key, type, atom, ctx);
    }
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "reading a message payload");
    rt_reset(st);
    return rc;
}

int ob_json_remove(retain_engine *e, const char *json, char *const *paths, int n, char **out)
{
    static const char sql[] = "SELECT json_remove(?1, ?2)";
    char *cur = rt_strdup(&e->alloc, json);
    if (!cur)
        return rt_nomem(e);
    for (int i = 0; i < n; i++) {
        rt_st *st;
        int rc = rt_stmt_local(e, sql, &st);
        char *next = NULL;
        if (rc == RETAIN_OK) {
            rt_bind_textn(st, 1, cur, -1, SQLITE_STATIC);
            rt_bind_textn(st, 2, paths[i], -1, SQLITE_STATIC);
            rc = text_result(e, st, &next, "filtering a message payload");
        }
        rt_free(&e->alloc, cur);
        if (rc)
            return rc;
        cur = next;
    }
    *out = cur;
    return RETAIN_OK;
}

/* ---- reading back: history and explain ---------------------------------- */

/* One message's timeline: queued, then decisions taken when it was queued,
 * attempts and later decisions, receipts; ties keep that order. */
static const char history_sql[] =
    "SELECT at, kind, n, what, until, rule, reason, provider FROM ("
    " SELECT created_at AS at, 0 AS ord, 0 AS seq, 'queued' AS kind, CAST(NULL AS INTEGER) AS n,"
    "  CAST(NULL AS TEXT) AS what, due_at AS until, CAST(NULL AS TEXT) AS rule,"
    "  CAST(NULL AS TEXT) AS reason, CAST(NULL AS TEXT) AS provider FROM outbox WHERE id=?1"
    " UNION ALL SELECT at, CASE stage WHEN 'enqueue' THEN 1 ELSE 3 END, id, decision, NULL,"
    "  stage, until, rule, reason, NULL FROM delivery_decision WHERE message=?1"
    " UNION ALL SELECT at, 2, attempt, 'attempt', attempt, outcome, retry_at, NULL, reason,"
    "  provider_id FROM outbox_attempt WHERE message=?1"
    " UNION ALL SELECT at, 4, 0, 'receipt', NULL, status, NULL, NULL, NULL, NULL"
    "  FROM delivery_receipt WHERE message=?1"
    ") ORDER BY at, ord, seq, what";

static void put_time(rt_buf *b, const char *name, rt_st *st, int col)
{
    if (rt_column_type(st, col) == SQLITE_NULL)
        return;
    rt_buf_printf(b, ",\"%s\":%lld", name, (long long)rt_column_int64(st, col));
}

static void put_str(rt_buf *b, const char *name, rt_st *st, int col)
{
    if (rt_column_type(st, col) == SQLITE_NULL)
        return;
    rt_buf_printf(b, ",\"%s\":", name);
    rt_buf_json_str(b, rt_col_text(st, col));
}

int ob_history_json(retain_engine *e, int64_t id, rt_buf *b)
{
    rt_st *st;
    int rc = rt_stmt(e, history_sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_buf_putc(b, '[');
    int src, n = 0;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        const char *kind = rt_col_text(st, 1);
        rt_buf_printf(b, "%s{\"at\":%lld,\"event\":", n++ ? "," : "",
                      (long long)rt_column_int64(st, 0));
        rt_buf_json_str(b, kind);
        if (!strcmp(kind, "queued")) {
            put_time(b, "due_at", st, 4);
        } else if (!strcmp(kind, "attempt")) {
            rt_buf_printf(b, ",\"attempt\":%d", rt_column_int(st, 2));
            put_str(b, "outcome", st, 3);
            put_str(b, "provider_id", st, 7);
            put_time(b, "retry_at", st, 4);
            put_str(b, "reason", st, 6);
        } else if (!strcmp(kind, "receipt")) {
            put_str(b, "status", st, 3);
        } else {
            put_str(b, "stage", st, 3);
            put_time(b, "until", st, 4);
            put_str(b, "rule", st, 5);
            put_str(b, "reason", st, 6);
        }
        rt_buf_putc(b, '}');
    }
    rt_reset(st);
    rt_buf_putc(b, ']');
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "reading a message history");
    return b->failed ? rt_nomem(e) : RETAIN_OK;
}

/* ,"name":value for each column that is not NULL. */
static void put_present(rt_buf *b, rt_st *st, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        if (rt_column_type(st, i) == SQLITE_NULL)
            continue;
        rt_buf_append(b, ",\"", 2);
        rt_buf_puts(b, names[i]);
        rt_buf_append(b, "\":", 2);
        put_col(b, st, i, false);
    }
}

/* Row `id` of `sql` (one parameter) as `head` and its columns, named by
 * `names`; the object is left open. */
static int explain_row(retain_engine *e, const char *sql, int64_t id, const char *head,
                       const char *const *names, const char *doing, rt_buf *b)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        rt_buf_puts(b, head);
        put_present(b, st, names);
    }
    rt_reset(st);
    if (src != SQLITE_ROW)
        return rt_sqlerr(e, src == SQLITE_DONE ? SQLITE_INTERNAL : src, doing);
    return RETAIN_OK;
}

static int explain_message(retain_engine *e, int64_t id, rt_buf *b)
{
    static const char sql[] =
        "SELECT idem_key, journey, step, channel, category, template, state, not_before,"
        " sent_at, attempts, delivery, last_reason FROM outbox WHERE id=?1";
    static const char *const names[] = { "key", "journey", "step", "channel", "category",
                                         "template", "state", "not_before", "sent_at",
                                         "attempts", "delivery", "last_reason", NULL };
    char head[40];
    rt_format(head, sizeof head, "{\"message_id\":%lld", (long long)id);
    int rc = explain_row(e, sql, id, head, names, "explaining a message", b);
    if (rc)
        return rc;
    rt_buf_puts(b, ",\"history\":");
    if ((rc = ob_history_json(e, id, b)))
        return rc;
    rt_buf_putc(b, '}');
    return RETAIN_OK;
}

static int explain_decision(retain_engine *e, int64_t id, rt_buf *b)
{
    static const char sql[] =
        "SELECT idem_key, step, channel, decision, at, stage, until, rule, reason"
        " FROM delivery_decision WHERE id=?1";
    static const char *const names[] = { "key", "step", "channel", "state", "at",
                                         "stage", "until", "rule", "reason", NULL };
    int rc = explain_row(e, sql, id, "{\"message_id\":null", names, "explaining a decision",
                         b);
    if (rc == RETAIN_OK)
        rt_buf_putc(b, '}');
    return rc;
}

int ob_explain_json(retain_engine *e, int64_t instance, int64_t customer, rt_buf *b)
{
    /* Messages, and the decisions that produced no message (skipped when
     * queued), in the order they happened. */
    static const char by_instance[] =
        "SELECT 0, id, created_at FROM outbox WHERE customer=?2 AND instance=?1"
        " UNION ALL SELECT 1, id, at FROM delivery_decision WHERE instance=?1 AND message IS NULL"
        " ORDER BY 3, 1, 2";
    static const char by_customer[] =
        "SELECT 0, id, created_at FROM outbox WHERE customer=?1"
        " UNION ALL SELECT 1, id, at FROM delivery_decision WHERE customer=?1 AND message IS NULL"
        " ORDER BY 3, 1, 2";
    rt_st *st;
    int rc = rt_stmt(e, instance ? by_instance : by_customer, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, instance ? instance : customer);
    rt_bind_int64(st, 2, customer);
    /* Collect first: the per-item statements cannot run inside this one's scan
     * when they are the same cached statement. */
    int64_t *items = NULL;
    size_t n = 0, cap = 0;
    int src;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            int64_t *p = rt_realloc(&e->alloc, items, ncap * sizeof *p);
            if (!p) {
                rc = rt_nomem(e);
                break;
            }
            items = p;
            cap = ncap;
        }
        /* Odd: a decision, even: a message. */
        items[n++] = rt_column_int64(st, 1) * 2 + rt_column_int(st, 0);
    }
    rt_reset(st);
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "explaining deliveries");
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < n && rc == RETAIN_OK; i++) {
        if (i)
            rt_buf_putc(b, ',');
        rc = items[i] & 1 ? explain_decision(e, items[i] >> 1, b)
                          : explain_message(e, items[i] >> 1, b);
    }
    rt_buf_putc(b, ']');
    rt_free(&e->alloc, items);
    if (rc == RETAIN_OK && b->failed)
        rc = rt_nomem(e);
    return rc;
}

/* ---- the public listing ------------------------------------------------- */

#define ENTRY_SELECT                                                                           \
    "SELECT o.id, o.idem_key, c.ext_id, o.channel, o.category, o.template, o.journey,"         \
    " o.version, o.step, o.host_id, ord.ext_id, o.recipient, o.state, o.attempts,"             \
    " o.created_at, o.due_at, o.not_before, o.updated_at, o.sent_at, o.expires_at,"            \
    " o.provider_id, o.last_reason, o.delivery, p.payload, o.fallback_of"                      \
    " FROM outbox o JOIN customer c ON c.id=o.customer LEFT JOIN orders ord ON ord.id=o.order_id" \
    " LEFT JOIN outbox_payload p ON p.message=o.id "

static retain_outbox_state state_bit(const char *s)
{
    if (!s) return RETAIN_OUTBOX_QUEUED;
    if (!strcmp(s, "queued")) return RETAIN_OUTBOX_QUEUED;
    if (!strcmp(s, "sending")) return RETAIN_OUTBOX_SENDING;
    if (!strcmp(s, "sent")) return RETAIN_OUTBOX_SENT;
    if (!strcmp(s, "dead")) return RETAIN_OUTBOX_DEAD;
    if (!strcmp(s, "skipped")) return RETAIN_OUTBOX_SKIPPED;
    return RETAIN_OUTBOX_CANCELLED;
}

/* Fill an entry from an ENTRY_SELECT row: strings point into the statement,
 * or are copied into `ar` when given. */
static void fill_entry(rt_st *st, retain_outbox_entry *m, rt_arena *ar, bool *ok)
{
    const char *s[13];
    static const int cols[13] = { 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 20, 21, 22 };
    for (int i = 0; i < 13; i++) {
        s[i] = rt_col_text(st, cols[i]);
        if (ar)
            s[i] = rt_arena_str(ar, s[i], ok);
    }
    memset(m, 0, sizeof *m);
    m->id = rt_column_int64(st, 0);
    m->idempotency_key = s[0];
    m->customer_id = s[1];
    m->channel = s[2];
    m->category = s[3];
    m->template_id = s[4];
    m->journey = s[5];
    m->journey_version = rt_column_int(st, 7);
    m->step = s[6];
    m->host_id = s[7];
    m->order_id = s[8];
    m->recipient = s[9];
    m->state = state_bit(rt_col_text(st, 12));
    m->attempts = rt_column_int(st, 13);
    m->created_at = rt_column_int64(st, 14);
    m->due_at = rt_column_int64(st, 15);
    m->not_before = rt_column_int64(st, 16);
    m->updated_at = rt_column_int64(st, 17);
    m->sent_at = rt_column_type(st, 18) == SQLITE_NULL ? RETAIN_TIME_NONE
                                                            : rt_column_int64(st, 18);
    m->expires_at = rt_column_type(st, 19) == SQLITE_NULL ? RETAIN_TIME_NONE
                                                               : rt_column_int64(st, 19);
    m->provider_id = s[10];
    m->last_reason = s[11];
    m->delivery = s[12];
    const char *payload = rt_col_text(st, 23);
    m->payload_json = ar ? rt_arena_str(ar, payload, ok) : payload;
    m->fallback_of = rt_column_int64(st, 24);
}

int retain_outbox_get(retain_outbox_entry **out, retain_engine *e, int64_t message_id)
{
    static const char sql[] = ENTRY_SELECT "WHERE o.id=?1";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, message_id);
    int src = rt_sqlstep(st);
    if (src != SQLITE_ROW) {
        rt_reset(st);
        if (src == SQLITE_DONE)
            return rt_error(e, RETAIN_ENOTFOUND, "message %lld does not exist",
                            (long long)message_id);
        return rt_sqlerr(e, src, "reading a message");
    }
    retain_outbox_entry *m = rt_object_new(&e->alloc, sizeof *m);
    bool ok = m != NULL;
    if (m)
        fill_entry(st, m, rt_object_arena(m), &ok);
    rt_reset(st);
    if (!ok) {
        rt_object_free(m);
        return rt_nomem(e);
    }
    *out = m;
    return RETAIN_OK;
}

void retain_outbox_entry_free(retain_outbox_entry *m)
{
    rt_object_free(m);
}

struct retain_outbox_iter {
    retain_engine *e;
    rt_st *st;
    retain_outbox_entry row;
};

int retain_outbox_iter_open(retain_outbox_iter **out, retain_engine *e,
                            const retain_outbox_query *q)
{
    static const char sql[] =
        ENTRY_SELECT
        "WHERE (?1=0 OR (?1 & CASE o.state WHEN 'queued' THEN 1 WHEN 'sending' THEN 2"
        "  WHEN 'sent' THEN 4 WHEN 'dead' THEN 8 WHEN 'skipped' THEN 16 ELSE 32 END)<>0)"
        " AND (?2 IS NULL OR o.customer=?2) AND (?3 IS NULL OR o.updated_at>=?3)"
        " ORDER BY CASE WHEN ?4<>0 THEN o.not_before ELSE -o.updated_at END,"
        "  CASE WHEN ?4<>0 THEN o.id ELSE -o.id END LIMIT ?5";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    retain_outbox_query all = RETAIN_OUTBOX_QUERY_INIT;
    if (!q)
        q = &all;
    if (q->version == 0 || q->version > RETAIN_OUTBOX_QUERY_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "query.version is %u; initialize with RETAIN_OUTBOX_QUERY_INIT",
                        q->version);
    if (q->states & ~63u)
        return rt_error(e, RETAIN_EINVAL,
                        "query.states is 0x%x; combine RETAIN_OUTBOX_* bits (at most 0x3f)",
                        q->states);
    if ((rc = rt_check_opt_time(e, "query.since", q->since)))
        return rc;
    int64_t cust = 0;
    if (q->customer_id && ((rc = rt_check_id(e, "query.customer_id", q->customer_id)) ||
                           (rc = rt_customer_key(e, q->customer_id, &cust))))
        return rc;
    if (q->limit > (size_t)INT64_MAX)
        return rt_error(e, RETAIN_EINVAL, "query.limit is too large");
    retain_outbox_iter *it = rt_calloc(&e->alloc, 1, sizeof *it);
    if (!it)
        return rt_nomem(e);
    it->e = e;
    if ((rc = rt_iter_prepare(e, sql, &it->st, "listing the outbox"))) {
        rt_free(&e->alloc, it);
        return rc;
    }
    bool pending_only = q->states && (q->states & ~(unsigned)RETAIN_OUTBOX_PENDING) == 0;
    rt_bind_int(it->st, 1, (int)q->states);
    if (q->customer_id)
        rt_bind_int64(it->st, 2, cust);
    if (q->since != RETAIN_TIME_NONE)
        rt_bind_int64(it->st, 3, q->since);
    rt_bind_int(it->st, 4, pending_only);
    rt_bind_int64(it->st, 5, q->limit ? (int64_t)q->limit : INT64_MAX); /* no limit */
    *out = it;
    return RETAIN_OK;
}

int retain_outbox_iter_next(retain_outbox_iter *it, const retain_outbox_entry **row)
{
    if (!it)
        return RETAIN_EINVAL;
    RT_ENGINE_GUARD(it->e);
    if (!row)
        return rt_error(it->e, RETAIN_EINVAL, "row is NULL");
    *row = NULL;
    int src = rt_sqlstep(it->st);
    if (src == SQLITE_DONE)
        return RETAIN_DONE;
    if (src != SQLITE_ROW)
        return rt_sqlerr(it->e, src, "listing the outbox");
    bool ok = true;
    fill_entry(it->st, &it->row, NULL, &ok);
    *row = &it->row;
    return RETAIN_ROW;
}

void retain_outbox_iter_free(retain_outbox_iter *it)
{
    if (!it)
        return;
    rt_finalize(it->e, it->st);
    rt_free(&it->e->alloc, it);
}

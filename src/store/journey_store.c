/* journey_store.c - SQL for journeys; see journey_store.h. */
#include "journey_store.h"
#include "core/buf.h"

#include <string.h>

static int done(retain_engine *e, rt_st *st, const char *doing)
{
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

static void bind_opt_i64(rt_st *st, int idx, int64_t v)
{
    if (v)
        rt_bind_int64(st, idx, v);
    else
        rt_bind_null(st, idx);
}

int js_def_source(retain_engine *e, const char *name, int version, char **source_out)
{
    static const char sql[] = "SELECT source FROM journey_def WHERE name=? AND version=?";
    rt_st *st;
    *source_out = NULL;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, name, -1, SQLITE_STATIC);
    rt_bind_int(st, 2, version);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *source_out = rt_strdup(&e->alloc, rt_col_text(st, 0));
        if (!*source_out)
            rc = rt_nomem(e);
    } else if (src != SQLITE_DONE) {
        rc = rt_sqlerr(e, src, "reading journey definition");
    }
    rt_reset(st);
    return rc;
}

int js_def_insert(retain_engine *e, const char *name, int version, const char *source,
                  const char *origin, int64_t now)
{
    static const char off[] = "UPDATE journey_def SET active=0 WHERE name=?";
    static const char ins[] =
        "INSERT INTO journey_def(name,version,source,origin,loaded_at,active) VALUES(?,?,?,?,?,1)";
    rt_st *st;
    int rc = rt_stmt(e, off, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, name, -1, SQLITE_STATIC);
    if ((rc = done(e, st, "retiring journey version")) || (rc = rt_stmt(e, ins, &st)))
        return rc;
    rt_bind_textn(st, 1, name, -1, SQLITE_STATIC);
    rt_bind_int(st, 2, version);
    rt_bind_textn(st, 3, source, -1, SQLITE_STATIC);
    rt_bind_text(st, 4, origin);
    rt_bind_int64(st, 5, now);
    return done(e, st, "storing journey definition");
}

int js_def_count(retain_engine *e, int64_t *n)
{
    static const char sql[] = "SELECT count(*) FROM journey_def";
    return rt_query_int64(e, sql, n, "counting journey definitions");
}

int js_def_each(retain_engine *e,
                int (*fn)(retain_engine *, const char *, int, const char *, void *), void *ctx)
{
    /* Not cached: fn may prepare statements of its own. */
    rt_st *st;
    int rc = rt_prepare(e, "SELECT name, version, source FROM journey_def ORDER BY name, version",
                        &st, "listing journeys");
    if (rc)
        return rc;
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        const char *name, *source;
        if ((rc = rt_col_str(e, st, 0, &name)) == RETAIN_OK &&
            (rc = rt_col_str(e, st, 2, &source)) == RETAIN_OK)
            rc = fn(e, name, rt_column_int(st, 1), source, ctx);
    }
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "listing journeys");
    rt_finalize(e, st);
    return rc;
}

int js_inst_insert(retain_engine *e, const js_inst *in, const char *entry_key, int64_t *id,
                   bool *inserted)
{
    static const char sql[] =
        "INSERT INTO journey_instance(journey,version,customer,order_id,shipment,trigger_event,"
        "entry_key,state,step,phase,step_at,due_at,entered_at,updated_at)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,'active',?8,0,?9,?9,?9,?9)"
        " ON CONFLICT(entry_key) DO NOTHING";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, in->journey, -1, SQLITE_STATIC);
    rt_bind_int(st, 2, in->version);
    rt_bind_int64(st, 3, in->customer);
    bind_opt_i64(st, 4, in->order_key);
    bind_opt_i64(st, 5, in->shipment_key);
    bind_opt_i64(st, 6, in->trigger_event);
    rt_bind_text(st, 7, entry_key);
    rt_bind_textn(st, 8, in->step, -1, SQLITE_STATIC);
    rt_bind_int64(st, 9, in->entered_at);
    if ((rc = done(e, st, "enrolling customer in journey")))
        return rc;
    *inserted = rt_changes(e) > 0;
    *id = *inserted ? rt_last_id(e) : 0;
    return RETAIN_OK;
}

int js_inst_entered_since(retain_engine *e, const char *journey, int64_t customer, int64_t since,
                          bool *exists)
{
    static const char sql[] =
        "SELECT 1 FROM journey_instance WHERE customer=? AND journey=? AND entered_at>=? LIMIT 1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, journey, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, since);
    int src = rt_sqlstep(st);
    *exists = src == SQLITE_ROW;
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "checking journey cooldown");
}

int js_inst_update(retain_engine *e, const js_inst *in)
{
    static const char sql[] =
        "UPDATE journey_instance SET version=?2, state=?3, step=?4, phase=?5, step_at=?6,"
        " due_at=?7, wait_event=nullif(?8,''), wait_deadline=?9, wait_matched=?10,"
        " variant=nullif(?11,''), updated_at=?12, goal_at=?13, exit_reason=nullif(?14,''),"
        " shipment=?15 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, in->id);
    rt_bind_int(st, 2, in->version);
    rt_bind_textn(st, 3, in->state, -1, SQLITE_STATIC);
    rt_bind_textn(st, 4, in->step, -1, SQLITE_STATIC);
    rt_bind_int(st, 5, in->phase);
    rt_bind_int64(st, 6, in->step_at);
    rt_bind_int64(st, 7, in->due_at);
    rt_bind_textn(st, 8, in->wait_event, -1, SQLITE_STATIC);
    rt_bind_int64(st, 9, in->wait_deadline);
    rt_bind_int64(st, 10, in->wait_matched);
    rt_bind_textn(st, 11, in->variant, -1, SQLITE_STATIC);
    rt_bind_int64(st, 12, in->step_at);
    if (in->goal_at)
        rt_bind_int64(st, 13, in->goal_at);
    else
        rt_bind_null(st, 13);
    rt_bind_textn(st, 14, in->exit_reason, -1, SQLITE_STATIC);
    bind_opt_i64(st, 15, in->shipment_key);
    return done(e, st, "updating journey instance");
}

#define INST_COLS                                                                          \
    "id, journey, version, customer, coalesce(order_id,0), coalesce(shipment,0),"          \
    " coalesce(trigger_event,0), state, step, phase, coalesce(step_at,0), coalesce(due_at,0)," \
    " coalesce(wait_event,''), coalesce(wait_deadline,0), coalesce(wait_matched,0),"       \
    " coalesce(variant,''), entered_at, coalesce(goal_at,0), coalesce(exit_reason,'')"

static void read_inst(rt_st *st, js_inst *o)
{
    o->id = rt_column_int64(st, 0);
    rt_col_copy(o->journey, sizeof o->journey, st, 1);
    o->version = rt_column_int(st, 2);
    o->customer = rt_column_int64(st, 3);
    o->order_key = rt_column_int64(st, 4);
    o->shipment_key = rt_column_int64(st, 5);
    o->trigger_event = rt_column_int64(st, 6);
    rt_col_copy(o->state, sizeof o->state, st, 7);
    rt_col_copy(o->step, sizeof o->step, st, 8);
    o->phase = rt_column_int(st, 9);
    o->step_at = rt_column_int64(st, 10);
    o->due_at = rt_column_int64(st, 11);
    rt_col_copy(o->wait_event, sizeof o->wait_event, st, 12);
    o->wait_deadline = rt_column_int64(st, 13);
    o->wait_matched = rt_column_int64(st, 14);
    rt_col_copy(o->variant, sizeof o->variant, st, 15);
    o->entered_at = rt_column_int64(st, 16);
    o->goal_at = rt_column_int64(st, 17);
    rt_col_copy(o->exit_reason, sizeof o->exit_reason, st, 18);
}

static int read_many(retain_engine *e, rt_st *st, js_inst *out, int cap, int *n,
                     const char *doing)
{
    int src, k = 0;
    while (k < cap && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        read_inst(st, &out[k++]);
        if (rt_row_check(e)) { /* a lost step id would exit the instance */
            rt_reset(st);
            return RETAIN_ENOMEM;
        }
    }
    if (k < cap && src != SQLITE_DONE) {
        rt_reset(st);
        return rt_sqlerr(e, src, doing);
    }
    rt_reset(st);
    *n = k;
    return RETAIN_OK;
}

int js_inst_get(retain_engine *e, int64_t id, js_inst *out)
{
    static const char sql[] = "SELECT " INST_COLS " FROM journey_instance WHERE id=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    int n = 0;
    if ((rc = read_many(e, st, out, 1, &n, "reading journey instance")))
        return rc;
    return n ? RETAIN_OK : rt_error(e, RETAIN_ENOTFOUND, "journey instance %lld does not exist",
                                    (long long)id);
}

int js_inst_due(retain_engine *e, int64_t now, int64_t after_due, int64_t after_id, int limit,
                js_inst *out, int *n)
{
    static const char sql[] =
        "SELECT " INST_COLS " FROM journey_instance"
        " WHERE state='active' AND due_at<=?1 AND (due_at>?2 OR (due_at=?2 AND id>?3))"
        " AND rt_claim(customer) ORDER BY due_at, id LIMIT ?4 /*pg: FOR UPDATE SKIP LOCKED*/";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, now);
    rt_bind_int64(st, 2, after_due);
    rt_bind_int64(st, 3, after_id);
    rt_bind_int(st, 4, limit);
    return read_many(e, st, out, limit, n, "finding due journey instances");
}

int js_inst_of_customer(retain_engine *e, int64_t customer, int64_t since, js_inst **out,
                        int *n)
{
    static const char sql[] =
        "SELECT " INST_COLS " FROM journey_instance WHERE customer=?1"
        " AND (?2 IS NULL OR state='active' OR (goal_at IS NULL AND entered_at>=?2))"
        " ORDER BY entered_at, id";
    *out = NULL;
    *n = 0;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    if (since != INT64_MIN)
        rt_bind_int64(st, 2, since);
    int cap = 0, k = 0, src;
    js_inst *arr = NULL;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? cap * 2 : 8;
            js_inst *na = rt_realloc(&e->alloc, arr, (size_t)cap * sizeof *na);
            if (!na) {
                rt_reset(st);
                rt_free(&e->alloc, arr);
                return rt_nomem(e);
            }
            arr = na;
        }
        read_inst(st, &arr[k++]);
        if (rt_row_check(e)) {
            rt_reset(st);
            rt_free(&e->alloc, arr);
            return RETAIN_ENOMEM;
        }
    }
    rt_reset(st);
    if (src != SQLITE_DONE) {
        rt_free(&e->alloc, arr);
        return rt_sqlerr(e, src, "listing journey instances");
    }
    *out = arr;
    *n = k;
    return RETAIN_OK;
}

int js_inst_waiting(retain_engine *e, int64_t customer, const char *event, js_inst *out, int cap,
                    int *n)
{
    static const char sql[] =
        "SELECT " INST_COLS " FROM journey_instance"
        " WHERE customer=? AND wait_event=? AND state='active' ORDER BY id";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, event, -1, SQLITE_STATIC);
    return read_many(e, st, out, cap, n, "finding waiting journey instances");
}

/* The entry goes at the head of the instance's chain (schema migration 11):
 * appended after the table's last entry, it names the instance's entry
 * before it, and the instance names it. */
int js_log(retain_engine *e, int64_t instance, const char *step, int64_t at, const char *kind,
           const char *outcome, const char *detail_json)
{
    static const char add[] =
        "INSERT INTO journey_step_log(instance,prev,seq,step,at,kind,outcome,detail)"
        " SELECT id, log_head, log_seq+1, ?2, ?3, ?4, ?5, ?6 FROM journey_instance WHERE id=?1";
    static const char head[] =
        "UPDATE journey_instance SET log_head=?2, log_seq=log_seq+1 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, add, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, instance);
    rt_bind_textn(st, 2, step, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    rt_bind_textn(st, 4, kind, -1, SQLITE_STATIC);
    rt_bind_textn(st, 5, outcome, -1, SQLITE_STATIC);
    rt_bind_text(st, 6, detail_json);
    if ((rc = done(e, st, "recording journey step")))
        return rc;
    if (rt_changes(e) != 1)
        return rt_error(e, RETAIN_ENOTFOUND, "journey instance %lld is gone",
                        (long long)instance);
    int64_t id = rt_last_id(e);
    if ((rc = rt_stmt(e, head, &st)))
        return rc;
    rt_bind_int64(st, 1, instance);
    rt_bind_int64(st, 2, id);
    return done(e, st, "recording journey step");
}

int js_customer_info(retain_engine *e, int64_t customer, char *ext_id, size_t ext_sz, char *zone,
                     size_t zone_sz)
{
    static const char sql[] = "SELECT ext_id, coalesce(timezone,'') FROM customer WHERE id=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        if (ext_id)
            rt_col_copy(ext_id, ext_sz, st, 0);
        if (zone)
            rt_col_copy(zone, zone_sz, st, 1);
    } else {
        rc = src == SQLITE_DONE ? rt_error(e, RETAIN_ENOTFOUND, "customer row %lld is gone",
                                           (long long)customer)
                                : rt_sqlerr(e, src, "reading customer");
    }
    rt_reset(st);
    return rc;
}

int js_order_channel(retain_engine *e, int64_t order_key, char *channel, size_t sz)
{
    static const char sql[] = "SELECT channel FROM orders WHERE id=?";
    rt_st *st;
    channel[0] = '\0';
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, order_key);
    if ((rc = rt_step(e, st, "reading the order's channel")) == RETAIN_ROW)
        rt_col_copy(channel, sz, st, 0);
    rt_reset(st);
    return rc < 0 ? rc : RETAIN_OK;
}

int js_customer_patch_attrs(retain_engine *e, int64_t customer, const char *patch, int64_t at)
{
    static const char sql[] =
        "UPDATE customer SET attrs=json_patch(attrs,?2), updated_at=max(updated_at,?3) WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, customer);
    rt_bind_textn(st, 2, patch, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    return done(e, st, "setting customer attributes");
}

int js_history_json(retain_engine *e, int64_t instance, rt_buf *b)
{
    static const char sql[] =
        "WITH RECURSIVE chain(id) AS ("
        "  SELECT log_head FROM journey_instance WHERE id=?1 AND log_head IS NOT NULL"
        "  UNION ALL SELECT l.prev FROM journey_step_log l JOIN chain c ON l.id=c.id"
        "  WHERE l.prev IS NOT NULL)"
        " SELECT l.step, l.at, l.kind, l.outcome, l.detail"
        " FROM chain c JOIN journey_step_log l ON l.id=c.id ORDER BY l.seq";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, instance);
    rt_buf_putc(b, '[');
    int src, k = 0;
    while ((src = rt_sqlstep(st)) == SQLITE_ROW) {
        rt_buf_puts(b, k++ ? ",{\"step\":" : "{\"step\":");
        rt_buf_json_str(b, rt_col_text(st, 0));
        rt_buf_printf(b, ",\"at\":%lld,\"kind\":", (long long)rt_column_int64(st, 1));
        rt_buf_json_str(b, rt_col_text(st, 2));
        rt_buf_puts(b, ",\"outcome\":");
        rt_buf_json_str(b, rt_col_text(st, 3));
        const char *d = rt_col_text(st, 4);
        if (d) {
            rt_buf_puts(b, ",\"detail\":");
            rt_buf_puts(b, d);
        }
        rt_buf_putc(b, '}');
    }
    rt_buf_putc(b, ']');
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "reading journey history");
}

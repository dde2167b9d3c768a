/*
 * coupon_store.c - rows of coupon campaigns, codes and redemptions
 * (see coupon_store.h). Times that may be absent are SQL NULL here and
 * INT64_MIN in C.
 */
#include "coupon_store.h"

#include <string.h>

static void bind_opt_time(rt_st *st, int idx, int64_t t)
{
    if (t == INT64_MIN)
        rt_bind_null(st, idx);
    else
        rt_bind_int64(st, idx, t);
}

static int step_done(retain_engine *e, rt_st *st, const char *doing)
{
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

/* Run `sql` to completion with two integer parameters. */
static int run2(retain_engine *e, const char *sql, int64_t a, int64_t b, const char *doing)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, a);
    rt_bind_int64(st, 2, b);
    return step_done(e, st, doing);
}

int cs_campaign_put(retain_engine *e, const cs_campaign *c, int64_t now)
{
    static const char sql[] =
        "INSERT INTO coupon_campaign(name,prefix,code_length,kind,percent,amount,currency,"
        " min_total,min_currency,expires_at,valid_for_ms,max_uses,per_customer,channels,"
        " defined_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
        " ON CONFLICT(name) DO UPDATE SET prefix=?2, code_length=?3, kind=?4, percent=?5,"
        " amount=?6, currency=?7, min_total=?8, min_currency=?9, expires_at=?10,"
        " valid_for_ms=?11, max_uses=?12, per_customer=?13, channels=?14, defined_at=?15";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, c->name, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, c->prefix, -1, SQLITE_STATIC);
    rt_bind_int(st, 3, c->code_length);
    rt_bind_int(st, 4, c->kind);
    rt_bind_int(st, 5, c->percent);
    rt_bind_int64(st, 6, c->amount);
    rt_bind_text(st, 7, c->currency[0] ? c->currency : NULL);
    rt_bind_int64(st, 8, c->min_total);
    rt_bind_text(st, 9, c->min_currency[0] ? c->min_currency : NULL);
    bind_opt_time(st, 10, c->expires_at);
    rt_bind_int64(st, 11, c->valid_for_ms);
    rt_bind_int(st, 12, c->max_uses);
    rt_bind_int(st, 13, c->per_customer);
    rt_bind_textn(st, 14, c->channels, -1, SQLITE_STATIC);
    rt_bind_int64(st, 15, now);
    return step_done(e, st, "defining a coupon campaign");
}

#define CAMPAIGN_COLS                                                                       \
    "SELECT id, name, prefix, code_length, kind, coalesce(percent,0), coalesce(amount,0),"  \
    " currency, min_total, min_currency, expires_at, valid_for_ms, max_uses, per_customer," \
    " channels, drawn FROM coupon_campaign"

static void campaign_row(rt_st *st, cs_campaign *c)
{
    memset(c, 0, sizeof *c);
    c->id = rt_column_int64(st, 0);
    rt_col_copy(c->name, sizeof c->name, st, 1);
    rt_col_copy(c->prefix, sizeof c->prefix, st, 2);
    c->code_length = rt_column_int(st, 3);
    c->kind = rt_column_int(st, 4);
    c->percent = rt_column_int(st, 5);
    c->amount = rt_column_int64(st, 6);
    rt_col_copy(c->currency, sizeof c->currency, st, 7);
    c->min_total = rt_column_int64(st, 8);
    rt_col_copy(c->min_currency, sizeof c->min_currency, st, 9);
    c->expires_at = rt_col_time(st, 10);
    c->valid_for_ms = rt_column_int64(st, 11);
    c->max_uses = rt_column_int(st, 12);
    c->per_customer = rt_column_int(st, 13);
    rt_col_copy(c->channels, sizeof c->channels, st, 14);
    c->drawn = rt_column_int64(st, 15);
}

int cs_campaign_get(retain_engine *e, const char *name, cs_campaign *out)
{
    static const char sql[] = CAMPAIGN_COLS " WHERE name=?1";
    rt_st *st;
    int rc = rt_lookup(e, sql, name, "coupon campaign", &st);
    if (rc)
        return rc;
    campaign_row(st, out);
    rt_reset(st);
    return RETAIN_OK;
}

int cs_campaign_by_id(retain_engine *e, int64_t id, cs_campaign *out)
{
    static const char sql[] = CAMPAIGN_COLS " WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        campaign_row(st, out);
    rt_reset(st);
    if (src == SQLITE_ROW)
        return RETAIN_OK;
    return rt_sqlerr(e, src == SQLITE_DONE ? SQLITE_CORRUPT : src, "reading a coupon campaign");
}

int cs_campaign_draw(retain_engine *e, int64_t id, int64_t n, int64_t *before)
{
    static const char sql[] =
        "UPDATE coupon_campaign SET drawn=drawn+?2 WHERE id=?1 RETURNING drawn-?2";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int64(st, 2, n);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        *before = rt_column_int64(st, 0);
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK
                             : rt_sqlerr(e, src == SQLITE_DONE ? SQLITE_CORRUPT : src,
                                         "counting coupon draws");
}

int cs_code_exists(retain_engine *e, const char *code, bool *exists)
{
    static const char sql[] = "SELECT 1 FROM coupon WHERE code=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, code, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *exists = src == SQLITE_ROW;
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "looking up a coupon");
}

int cs_coupon_insert(retain_engine *e, const cs_coupon *c, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO coupon(code,campaign,customer,issued_at,expires_at,instance,step)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, c->code, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, c->campaign);
    if (c->customer)
        rt_bind_int64(st, 3, c->customer);
    rt_bind_int64(st, 4, c->issued_at);
    bind_opt_time(st, 5, c->expires_at);
    if (c->instance)
        rt_bind_int64(st, 6, c->instance);
    rt_bind_text(st, 7, c->step[0] ? c->step : NULL);
    if ((rc = step_done(e, st, "issuing a coupon")) == RETAIN_OK)
        *id = rt_last_id(e);
    return rc;
}

#define COUPON_COLS                                                                       \
    "SELECT k.id, k.code, k.campaign, coalesce(k.customer,0), c.ext_id, k.issued_at,"     \
    " k.expires_at, k.uses, k.revoked_at, coalesce(k.instance,0), k.step,"                \
    " EXISTS (SELECT 1 FROM coupon_message m WHERE m.coupon=k.id)"                        \
    " FROM coupon k LEFT JOIN customer c ON c.id=k.customer"

static int coupon_row(retain_engine *e, rt_st *st, cs_coupon *out, bool *found)
{
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (src == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->id = rt_column_int64(st, 0);
        rt_col_copy(out->code, sizeof out->code, st, 1);
        out->campaign = rt_column_int64(st, 2);
        out->customer = rt_column_int64(st, 3);
        rt_col_copy(out->customer_ext, sizeof out->customer_ext, st, 4);
        out->issued_at = rt_column_int64(st, 5);
        out->expires_at = rt_col_time(st, 6);
        out->uses = rt_column_int64(st, 7);
        out->revoked_at = rt_col_time(st, 8);
        out->instance = rt_column_int64(st, 9);
        rt_col_copy(out->step, sizeof out->step, st, 10);
        out->delivered = rt_column_int(st, 11) != 0;
    }
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RETAIN_OK
                                                   : rt_sqlerr(e, src, "reading a coupon");
}

int cs_coupon_get(retain_engine *e, const char *code, cs_coupon *out, bool *found)
{
    static const char sql[] = COUPON_COLS " WHERE k.code=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, code, -1, SQLITE_STATIC);
    return coupon_row(e, st, out, found);
}

/* The coupon row of `sql` with ?1 bound to `key`. */
static int coupon_by_key(retain_engine *e, const char *sql, int64_t key, cs_coupon *out,
                         bool *found)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, key);
    return coupon_row(e, st, out, found);
}

int cs_coupon_of_instance(retain_engine *e, int64_t instance, cs_coupon *out, bool *found)
{
    static const char sql[] =
        COUPON_COLS " WHERE k.instance=?1 AND k.dropped_at IS NULL ORDER BY k.id DESC LIMIT 1";
    return coupon_by_key(e, sql, instance, out, found);
}

int cs_coupon_message_add(retain_engine *e, int64_t message, int64_t coupon)
{
    static const char sql[] = "INSERT OR IGNORE INTO coupon_message(message,coupon) VALUES(?1,?2)";
    return run2(e, sql, message, coupon, "linking a message to its coupon");
}

int cs_coupon_of_message(retain_engine *e, int64_t message, cs_coupon *out, bool *found)
{
    static const char sql[] =
        COUPON_COLS " WHERE k.id=(SELECT coupon FROM coupon_message WHERE message=?1)";
    return coupon_by_key(e, sql, message, out, found);
}

int cs_coupon_drop(retain_engine *e, int64_t id, int64_t at)
{
    static const char sql[] = "UPDATE coupon SET dropped_at=?2 WHERE id=?1";
    return run2(e, sql, id, at, "dropping a coupon");
}

int cs_coupon_revoke(retain_engine *e, int64_t id, int64_t at, const char *reason)
{
    static const char sql[] =
        "UPDATE coupon SET revoked_at=?2, revoke_reason=?3 WHERE id=?1 AND revoked_at IS NULL";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, id);
    rt_bind_int64(st, 2, at);
    rt_bind_text(st, 3, reason);
    return step_done(e, st, "revoking a coupon");
}

int cs_customer_redemptions(retain_engine *e, int64_t campaign, int64_t customer, int64_t *n)
{
    static const char sql[] =
        "SELECT count(*) FROM coupon_redemption WHERE customer=?2 AND campaign=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, campaign);
    rt_bind_int64(st, 2, customer);
    int src = rt_sqlstep(st);
    *n = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "counting coupon redemptions");
}

int cs_redemption_exists(retain_engine *e, int64_t coupon, const char *order_ext, bool *exists)
{
    static const char sql[] = "SELECT 1 FROM coupon_redemption WHERE coupon=?1 AND order_ext=?2";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, coupon);
    rt_bind_textn(st, 2, order_ext, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *exists = src == SQLITE_ROW;
    rt_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE
               ? RETAIN_OK
               : rt_sqlerr(e, src, "looking up a coupon redemption");
}

int cs_redeem(retain_engine *e, const cs_coupon *c, int64_t customer, const char *order_ext,
              int64_t at)
{
    static const char ins[] =
        "INSERT INTO coupon_redemption(coupon,order_ext,customer,campaign,at)"
        " VALUES(?1,?2,?3,?4,?5)";
    static const char use[] = "UPDATE coupon SET uses=uses+1 WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, ins, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, c->id);
    rt_bind_textn(st, 2, order_ext, -1, SQLITE_STATIC);
    if (customer)
        rt_bind_int64(st, 3, customer);
    rt_bind_int64(st, 4, c->campaign);
    rt_bind_int64(st, 5, at);
    if ((rc = step_done(e, st, "recording a coupon redemption")))
        return rc;
    if ((rc = rt_stmt(e, use, &st)))
        return rc;
    rt_bind_int64(st, 1, c->id);
    return step_done(e, st, "counting a coupon use");
}

/* identity.c - one customer across sales channels: retain_customer_merge(),
 * the automatic link of a new id to a known e-mail or phone, aliases, and
 * the record of every merge.
 *
 * A merge moves every row that names the merged-away customer to the one
 * that stays. Which tables those are is read from the schema's foreign keys
 * (every table referencing customer(id)), so a table added later is moved
 * too instead of being deleted by ON DELETE CASCADE. Tables where two
 * customers' rows can collide are merged first by their own rules. */
#include "store.h"
#include "domain_store.h"
#include "event.h"
#include "core/check.h"
#include "core/text.h"
#include "retain/customer.h"

#include <stdio.h>
#include <string.h>

/* E-mail addresses match without regard to case: the local part is
 * case-sensitive on paper, never in practice, and a person typing their
 * address at a till does not care. */

/* Marketplaces hand out per-buyer relay addresses. They reach the buyer only
 * through the marketplace, so they never identify a person across channels
 * and never replace a real address. */
static bool is_relay(const char *email)
{
    static const char *const domains[] = {
        "marketplace.amazon.", "privaterelay.appleid.com", "members.ebay.",
        "relay.walmart.com", "messaging.zalando.",
    };
    const char *at = email ? strrchr(email, '@') : NULL;
    if (!at)
        return false;
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
        if (!strncmp(at + 1, domains[i], strlen(domains[i])))
            return true;
    return false;
}

/* Run a cached statement with ?1 = from, ?2 = into, ?3 = now to completion. */
static int run3(retain_engine *e, const char *sql, int64_t from, int64_t into, int64_t now,
                const char *doing)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    /* Binding a parameter the statement does not have is a harmless no-op. */
    rt_bind_int64(st, 1, from);
    rt_bind_int64(st, 2, into);
    rt_bind_int64(st, 3, now);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, doing);
}

/* Rows of the two customers that could collide, merged by their own rules:
 * revenue adds up per currency; consent takes the stricter statement (a
 * revocation beats a grant; between equals the later one); an active
 * journey instance of the merged-away customer that duplicates one of the
 * survivor's (same journey, same order) exits instead of running twice. */
static const char *const collide_sql[] = {
    "INSERT INTO customer_revenue(customer,currency,amount)"
    " SELECT ?2,currency,amount FROM customer_revenue WHERE customer=?1"
    " ON CONFLICT(customer,currency) DO UPDATE SET amount=amount+excluded.amount",
    "DELETE FROM customer_revenue WHERE customer=?1",
    "INSERT INTO consent(customer,channel,category,granted,at,source)"
    " SELECT ?2,channel,category,granted,at,source FROM consent WHERE customer=?1"
    " ON CONFLICT(customer,channel,category) DO UPDATE SET"
    "  granted=min(granted,excluded.granted),"
    "  at=CASE WHEN excluded.granted<granted THEN excluded.at"
    "          WHEN excluded.granted>granted THEN at ELSE max(at,excluded.at) END,"
    "  source=CASE WHEN excluded.granted<granted"
    "               OR (excluded.granted=granted AND excluded.at>at)"
    "          THEN excluded.source ELSE source END",
    "DELETE FROM consent WHERE customer=?1",
    "UPDATE journey_instance SET state='exited', exit_reason='merged', due_at=NULL,"
    " wait_event=NULL, wait_deadline=NULL, updated_at=max(updated_at,?3)"
    " WHERE customer=?1 AND state='active' AND EXISTS (SELECT 1 FROM journey_instance k"
    "  WHERE k.customer=?2 AND k.state='active' AND k.journey=journey_instance.journey"
    "  AND k.order_id IS journey_instance.order_id)",
    /* Entry keys are "JOURNEY|CUSTOMER[|...]" (src/journey/runner.c): rename
     * them to the survivor so entry rules (once, once per order) keep
     * holding for the one person; where the survivor already has that key,
     * the old instance keeps its own. */
    "UPDATE OR IGNORE journey_instance"
    " SET entry_key=journey||'|'||?2||substr(entry_key,length(journey||'|'||?1)+1)"
    " WHERE customer=?1 AND (entry_key=journey||'|'||?1"
    "  OR substr(entry_key,1,length(journey||'|'||?1||'|'))=journey||'|'||?1||'|')",
};

static int check_revenue_sum(retain_engine *e, int64_t from, int64_t into)
{
    static const char sql[] =
        "SELECT a.currency FROM customer_revenue a JOIN customer_revenue b"
        " ON b.currency=a.currency AND b.customer=?2 WHERE a.customer=?1"
        " AND ((a.amount>0 AND b.amount>9223372036854775807-a.amount)"
        "  OR (a.amount<0 AND b.amount<-9223372036854775807-1-a.amount)) LIMIT 1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, from);
    rt_bind_int64(st, 2, into);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW)
        rc = rt_error(e, RETAIN_ELIMIT, "merging would overflow the customer's %s revenue",
                      rt_col_text(st, 0));
    else if (src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "checking revenue before a merge");
    rt_reset(st);
    return rc;
}

/* Every other reference to the merged-away customer: UPDATE t SET col=into. */
static int move_references(retain_engine *e, int64_t from, int64_t into)
{
    static const char refs[] =
        "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f"
        " WHERE m.type='table' AND f.\"table\"='customer' ORDER BY m.name";
    rt_st *st;
    int rc = rt_stmt(e, refs, &st);
    if (rc)
        return rc;
    int src;
    while (rc == RETAIN_OK && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        char sql[256], doing[128];
        /* Names come from our own schema, quoted all the same. */
        rt_format(sql, sizeof sql, "UPDATE \"%s\" SET \"%s\"=?2 WHERE \"%s\"=?1",
                  rt_col_text(st, 0), rt_col_text(st, 1), rt_col_text(st, 1));
        rt_format(doing, sizeof doing, "moving %s rows to the merged customer",
                  rt_col_text(st, 0));
        rt_st *up;
        if ((rc = rt_prepare(e, sql, &up, doing)))
            break;
        rt_bind_int64(up, 1, from);
        rt_bind_int64(up, 2, into);
        int prc = rt_sqlstep(up);
        rt_finalize(e, up);
        if (prc != SQLITE_DONE)
            rc = rt_sqlerr(e, prc, doing);
    }
    if (rc == RETAIN_OK && src != SQLITE_DONE)
        rc = rt_sqlerr(e, src, "listing the tables that reference customers");
    rt_reset(st);
    return rc;
}

/* Contact fields the survivor lacks come from the merged-away customer; a
 * real e-mail address replaces a relay one. Attributes merge, the
 * survivor's winning. Model predictions are dropped until the next refresh:
 * they described two half-customers. Counts add up. */
static int merge_profile(retain_engine *e, int64_t from, int64_t into, int64_t now)
{
    static const char email_sql[] = "SELECT email FROM customer WHERE id=?";
    static const char sql[] =
        "UPDATE customer SET"
        " email=CASE WHEN ?4<>0 THEN f.email ELSE customer.email END,"
        " phone=coalesce(customer.phone,f.phone), name=coalesce(customer.name,f.name),"
        " timezone=coalesce(customer.timezone,f.timezone),"
        " locale=coalesce(customer.locale,f.locale),"
        " attrs=json_patch(f.attrs,customer.attrs),"
        " created_at=min(customer.created_at,f.created_at),"
        " updated_at=max(customer.updated_at,f.updated_at,?3),"
        " orders_count=customer.orders_count+f.orders_count,"
        " p_alive=NULL, clv=NULL, clv_currency=NULL, expected_90d=NULL"
        " FROM (SELECT * FROM customer WHERE id=?1) AS f WHERE customer.id=?2";
    char from_email[256] = "", into_email[256] = "";
    rt_st *st;
    int rc;
    int64_t ids[2] = { from, into };
    char *dst[2] = { from_email, into_email };
    for (int i = 0; i < 2; i++) {
        if ((rc = rt_stmt(e, email_sql, &st)))
            return rc;
        rt_bind_int64(st, 1, ids[i]);
        if (rt_sqlstep(st) == SQLITE_ROW)
            rt_col_copy(dst[i], sizeof from_email, st, 0);
        rt_reset(st);
    }
    bool take = *from_email && (!*into_email || (is_relay(into_email) && !is_relay(from_email)));
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, from);
    rt_bind_int64(st, 2, into);
    rt_bind_int64(st, 3, now);
    rt_bind_int(st, 4, take);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "merging customer profiles");
    return rt_customer_refresh_span(e, into);
}

static int count_rows(retain_engine *e, const char *sql, int64_t key, int64_t *n)
{
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, key);
    int src = rt_sqlstep(st);
    *n = src == SQLITE_ROW ? rt_column_int64(st, 0) : 0;
    rt_reset(st);
    return src == SQLITE_ROW ? RETAIN_OK : rt_sqlerr(e, src, "counting rows to merge");
}

/* Record the merge: the merge table, the alias, and the event
 * "customer.merged" on the survivor ({"from": id, "reason": ...}). */
static int record_merge(retain_engine *e, int64_t into, const char *from_id, const char *reason,
                        int64_t orders, int64_t events, int64_t at)
{
    static const char merge_sql[] =
        "INSERT INTO customer_merge(customer,from_ext_id,reason,at,orders,events)"
        " VALUES(?1,?2,?3,?4,?5,?6)";
    static const char alias_sql[] =
        "INSERT INTO customer_alias(ext_id,customer,at) VALUES(?1,?2,?3)"
        " ON CONFLICT(ext_id) DO UPDATE SET customer=excluded.customer, at=excluded.at";
    static const char props_sql[] = "SELECT json_object('from',?1,'reason',?2)";
    rt_st *st;
    int rc = rt_stmt(e, merge_sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, into);
    rt_bind_textn(st, 2, from_id, -1, SQLITE_STATIC);
    rt_bind_textn(st, 3, reason, -1, SQLITE_STATIC);
    rt_bind_int64(st, 4, at);
    rt_bind_int64(st, 5, orders);
    rt_bind_int64(st, 6, events);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "recording the merge");
    if ((rc = rt_stmt(e, alias_sql, &st)))
        return rc;
    rt_bind_textn(st, 1, from_id, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, into);
    rt_bind_int64(st, 3, at);
    src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "recording the merged id");
    if ((rc = rt_stmt_local(e, props_sql, &st)))
        return rc;
    rt_bind_textn(st, 1, from_id, -1, SQLITE_STATIC);
    rt_bind_textn(st, 2, reason, -1, SQLITE_STATIC);
    char props[512] = "{}";
    if (rt_sqlstep(st) == SQLITE_ROW)
        rt_col_copy(props, sizeof props, st, 0);
    rt_reset(st);
    return rt_event_emit(e, into, "customer.merged", at, props, 0, 0);
}

static int merge_tx(retain_engine *e, const char *into_id, const char *from_id, int64_t now)
{
    static const char ext_sql[] = "SELECT ext_id FROM customer WHERE id=?";
    static const char orders_sql[] = "SELECT count(*) FROM orders WHERE customer=?";
    static const char events_sql[] = "SELECT count(*) FROM event WHERE customer=?";
    int64_t into, from;
    int rc;
    if ((rc = rt_customer_key(e, into_id, &into)) || (rc = rt_customer_key(e, from_id, &from)))
        return rc;
    if (into == from)
        return rt_error(e, RETAIN_EINVAL, "customers \"%s\" and \"%s\" are already one customer;"
                        " a customer cannot be merged with itself", into_id, from_id);
    /* Record the merged-away customer's own id (from_id may be an alias). */
    char from_ext[RT_ID_MAX + 1] = "";
    rt_st *st;
    if ((rc = rt_stmt(e, ext_sql, &st)))
        return rc;
    rt_bind_int64(st, 1, from);
    if (rt_sqlstep(st) == SQLITE_ROW)
        rt_col_copy(from_ext, sizeof from_ext, st, 0);
    rt_reset(st);
    int64_t orders, events;
    if ((rc = check_revenue_sum(e, from, into)) ||
        (rc = count_rows(e, orders_sql, from, &orders)) ||
        (rc = count_rows(e, events_sql, from, &events)) ||
        (rc = merge_profile(e, from, into, now)))
        return rc;
    for (size_t i = 0; i < sizeof collide_sql / sizeof collide_sql[0]; i++)
        if ((rc = run3(e, collide_sql[i], from, into, now, "merging customer rows")))
            return rc;
    if ((rc = move_references(e, from, into)) ||
        (rc = ds_replenish_merged(e, into)) ||
        (rc = run3(e, "DELETE FROM customer WHERE id=?1", from, into, now,
                   "removing the merged customer")))
        return rc;
    if ((rc = rt_customer_refresh_span(e, into)))
        return rc;
    return record_merge(e, into, from_ext, "host", orders, events, now);
}

int retain_customer_merge(retain_engine *e, const char *into_id, const char *from_id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "into_id", into_id)) ||
        (rc = rt_check_id(e, "from_id", from_id)) || (rc = rt_check_time(e, "now", now)))
        return rc;
    if (!strcmp(into_id, from_id))
        return rt_error(e, RETAIN_EINVAL, "a customer cannot be merged with itself (\"%s\")",
                        into_id);
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, merge_tx(e, into_id, from_id, now));
}

int rt_identity_autolink(retain_engine *e, const char *new_id, const char *email,
                         const char *phone, int64_t at, bool *linked, int64_t *key)
{
    static const char sql[] =
        "SELECT id, CASE WHEN lower(email)=lower(?1) THEN 'email' ELSE 'phone' END"
        " FROM customer WHERE lower(email)=lower(?1) OR phone=?2"
        " ORDER BY lower(email)=lower(?1) DESC, id LIMIT 1";
    *linked = false;
    if (!(e->cfg.flags & RETAIN_OPEN_AUTOLINK))
        return RETAIN_OK;
    if (email && (!*email || is_relay(email)))
        email = NULL;
    if (phone && !*phone)
        phone = NULL;
    if (!email && !phone)
        return RETAIN_OK;
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_text(st, 1, email);
    rt_bind_text(st, 2, phone);
    int src = rt_sqlstep(st);
    char reason[8] = "";
    if (src == SQLITE_ROW) {
        *key = rt_column_int64(st, 0);
        rt_col_copy(reason, sizeof reason, st, 1);
    }
    rt_reset(st);
    if (src == SQLITE_DONE)
        return RETAIN_OK;
    if (src != SQLITE_ROW)
        return rt_sqlerr(e, src, "looking for a customer with the same contact");
    *linked = true;
    return record_merge(e, *key, new_id, reason, 0, 0, at);
}

/* The merges into a customer, oldest first, as a JSON array. */
int retain_customer_merges(char **json_out, retain_engine *e, const char *customer_id)
{
    static const char sql[] =
        "SELECT coalesce(json_group_array(json_object('from',from_ext_id,'reason',reason,"
        " 'at',at,'orders',orders,'events',events)),'[]')"
        " FROM (SELECT * FROM customer_merge WHERE customer=?1 ORDER BY at, id)";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "json_out", json_out)))
        return rc;
    *json_out = NULL;
    int64_t key;
    if ((rc = rt_check_id(e, "customer_id", customer_id)) ||
        (rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, key);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *json_out = rt_strdup(&e->alloc, rt_col_text(st, 0));
        rc = *json_out ? RETAIN_OK : rt_nomem(e);
    } else {
        rc = rt_sqlerr(e, src, "listing merges");
    }
    rt_reset(st);
    return rc;
}

/* customer.c - customers: validation, upsert, read, delete, lookup. */
#include "store.h"
#include "event.h"
#include "core/arena.h"
#include "core/check.h"
#include "core/text.h"
#include "tz/tz.h"
#include "retain/customer.h"

#include <math.h>
#include <string.h>

/* Normalized contact data, ready to bind: NULL keeps, "" clears. */
typedef struct contact {
    const char *email;
    const char *phone;
    char email_buf[256];
    char phone_buf[24];
} contact;

static int check_locale(retain_engine *e, const char *s)
{
    if (!s || !*s)
        return RETAIN_OK;
    size_t n = strlen(s);
    bool ok = n >= 2 && n <= 35;
    for (size_t i = 0; ok && i < n; i++) {
        char c = s[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             ((c == '-' || c == '_') && i > 0);
    }
    if (!ok)
        return rt_error(e, RETAIN_EINVAL,
                        "customer.locale \"%.40s\" is not a BCP 47 tag such as \"en-US\"", s);
    return RETAIN_OK;
}

static int normalize_contact(retain_engine *e, const char *email, const char *phone, contact *out)
{
    out->email = email;
    out->phone = phone;
    if (email && *email) {
        int rc = rt_check_text(e, "customer.email", email, 254);
        if (rc)
            return rc;
        if (!rt_email_normalize(email, out->email_buf, sizeof out->email_buf))
            return rt_error(e, RETAIN_EINVAL,
                            "customer.email \"%.60s\" is not an e-mail address (name@domain)",
                            email);
        out->email = out->email_buf;
    }
    if (phone && *phone) {
        int rc = rt_check_text(e, "customer.phone", phone, 64);
        if (rc)
            return rc;
        const char *why = "invalid";
        if (!rt_phone_normalize(phone, e->cfg.default_country, out->phone_buf,
                                sizeof out->phone_buf, &why))
            return rt_error(e, RETAIN_EINVAL, "customer.phone \"%.40s\": %s", phone, why);
        out->phone = out->phone_buf;
    }
    return RETAIN_OK;
}

static int validate(retain_engine *e, const retain_customer *c, contact *ct)
{
    int rc;
    if ((rc = rt_check_ptr(e, "customer", c)))
        return rc;
    if (c->version == 0 || c->version > RETAIN_CUSTOMER_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "customer.version is %u; initialize with RETAIN_CUSTOMER_INIT", c->version);
    if ((rc = rt_check_id(e, "customer.id", c->id)) ||
        (rc = rt_check_text(e, "customer.name", c->name, RT_TEXT_MAX)) ||
        (rc = check_locale(e, c->locale)) ||
        (rc = rt_check_json_object(e, "customer.attrs_json", c->attrs_json)) ||
        (rc = rt_check_time(e, "customer.at", c->at)) ||
        (rc = normalize_contact(e, c->email, c->phone, ct)))
        return rc;
    if (c->timezone && *c->timezone) {
        const rt_tz *z;
        if ((rc = rt_check_text(e, "customer.timezone", c->timezone, 64)))
            return rc;
        if ((rc = rt_tz_get(e, c->timezone, &z)) == RETAIN_ENOMEM) {
            return rc;
        } else if (rc) {
            char why[sizeof e->errmsg];
            rt_copy(why, sizeof why, e->errmsg); /* rt_error overwrites errmsg */
            return rt_error(e, RETAIN_EINVAL, "customer.timezone: %s", why);
        }
    }
    return RETAIN_OK;
}

/* Bind "keep / clear / set" for one optional text column. */
static void bind_opt(rt_st *st, int idx, const char *s)
{
    rt_bind_text(st, idx, s);
}

static int upsert(retain_engine *e, const retain_customer *c, const contact *ct)
{
    static const char ins[] =
        "INSERT INTO customer(ext_id,email,phone,name,timezone,locale,created_at,updated_at,attrs)"
        " VALUES(?1,nullif(?2,''),nullif(?3,''),nullif(?4,''),nullif(?5,''),nullif(?6,''),?7,?7,"
        " json_patch('{}',coalesce(?8,'{}')))";
    static const char upd[] =
        "UPDATE customer SET"
        " email=CASE WHEN ?2 IS NULL THEN email ELSE nullif(?2,'') END,"
        " phone=CASE WHEN ?3 IS NULL THEN phone ELSE nullif(?3,'') END,"
        " name=CASE WHEN ?4 IS NULL THEN name ELSE nullif(?4,'') END,"
        " timezone=CASE WHEN ?5 IS NULL THEN timezone ELSE nullif(?5,'') END,"
        " locale=CASE WHEN ?6 IS NULL THEN locale ELSE nullif(?6,'') END,"
        " updated_at=max(updated_at,?7),"
        " attrs=CASE WHEN ?8 IS NULL THEN attrs ELSE json_patch(attrs,?8) END"
        " WHERE id=?9";
    /* A new id linked to a known customer only fills in what that customer lacks. */
    static const char fill[] =
        "UPDATE customer SET"
        " email=coalesce(email,nullif(?2,'')), phone=coalesce(phone,nullif(?3,'')),"
        " name=coalesce(name,nullif(?4,'')), timezone=coalesce(timezone,nullif(?5,'')),"
        " locale=coalesce(locale,nullif(?6,'')), updated_at=max(updated_at,?7),"
        " attrs=json_patch(json_patch('{}',coalesce(?8,'{}')),attrs) WHERE id=?9";
    int64_t key = 0;
    int rc = rt_customer_key(e, c->id, &key);
    bool is_new = rc == RETAIN_ENOTFOUND, linked = false;
    if (rc && !is_new)
        return rc;
    if (is_new && (rc = rt_identity_autolink(e, c->id, ct->email, ct->phone, c->at, &linked,
                                             &key)))
        return rc;
    if (linked)
        is_new = false;
    rt_st *st;
    if ((rc = rt_stmt(e, linked ? fill : is_new ? ins : upd, &st)))
        return rc;
    rt_bind_textn(st, 1, c->id, -1, SQLITE_STATIC);
    bind_opt(st, 2, ct->email);
    bind_opt(st, 3, ct->phone);
    bind_opt(st, 4, c->name);
    bind_opt(st, 5, c->timezone);
    bind_opt(st, 6, c->locale);
    rt_bind_int64(st, 7, c->at);
    bind_opt(st, 8, c->attrs_json);
    if (!is_new)
        rt_bind_int64(st, 9, key);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "saving customer");
    if (!is_new)
        return RETAIN_OK;
    key = rt_last_id(e);
    return rt_event_emit(e, key, "customer.created", c->at, NULL, 0, 0);
}

int retain_customer_upsert(retain_engine *e, const retain_customer *c)
{
    RT_ENGINE_GUARD(e);
    contact ct;
    int rc = rt_check_writable(e);
    if (rc || (rc = validate(e, c, &ct)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, upsert(e, c, &ct));
}

static int read_revenue(retain_engine *e, int64_t key, rt_arena *ar, retain_customer *c)
{
    static const char sql[] =
        "SELECT currency, amount FROM customer_revenue WHERE customer=? ORDER BY currency";
    static const char count_sql[] = "SELECT count(*) FROM customer_revenue WHERE customer=?";
    rt_st *st;
    int rc = rt_stmt(e, count_sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, key);
    if ((rc = rt_step(e, st, "counting revenue")) < 0)
        return rc;
    size_t n = rc == RETAIN_ROW ? (size_t)rt_column_int64(st, 0) : 0;
    rt_reset(st);
    if (n == 0)
        return RETAIN_OK;
    retain_money *m = rt_arena_alloc(ar, n * sizeof *m);
    if (!m)
        return rt_nomem(e);
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, key);
    size_t i = 0;
    int src;
    while (i < n && (src = rt_sqlstep(st)) == SQLITE_ROW) {
        const char *cur = rt_col_text(st, 0);
        memcpy(m[i].currency, cur, 3);
        m[i].currency[3] = '\0';
        m[i].amount = rt_column_int64(st, 1);
        i++;
    }
    rt_reset(st);
    c->revenue = m;
    c->revenue_count = i;
    return RETAIN_OK;
}

int retain_customer_get(retain_customer **out, retain_engine *e, const char *id)
{
    static const char sql[] =
        "SELECT id, ext_id, email, phone, name, timezone, locale, attrs, created_at, updated_at,"
        " orders_count, first_order_at, last_order_at, p_alive FROM customer"
        " WHERE id=coalesce((SELECT id FROM customer WHERE ext_id=?1),"
        "  (SELECT customer FROM customer_alias WHERE ext_id=?1))";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = rt_check_id(e, "customer_id", id)))
        return rc;
    rt_st *st;
    if ((rc = rt_lookup(e, sql, id, "customer", &st)))
        return rc;
    retain_customer *c = rt_object_new(&e->alloc, sizeof *c);
    if (!c) {
        rt_reset(st);
        return rt_nomem(e);
    }
    rt_arena *ar = rt_object_arena(c);
    bool ok = true;
    int64_t key = rt_column_int64(st, 0);
    c->version = RETAIN_CUSTOMER_VERSION;
    c->id = rt_arena_str(ar, rt_col_text(st, 1), &ok);
    c->email = rt_arena_str(ar, rt_col_text(st, 2), &ok);
    c->phone = rt_arena_str(ar, rt_col_text(st, 3), &ok);
    c->name = rt_arena_str(ar, rt_col_text(st, 4), &ok);
    c->timezone = rt_arena_str(ar, rt_col_text(st, 5), &ok);
    c->locale = rt_arena_str(ar, rt_col_text(st, 6), &ok);
    c->attrs_json = rt_arena_str(ar, rt_col_text(st, 7), &ok);
    c->created_at = rt_column_int64(st, 8);
    c->updated_at = rt_column_int64(st, 9);
    c->at = c->updated_at;
    c->orders_count = rt_column_int64(st, 10);
    c->first_order_at = rt_col_time(st, 11);
    c->last_order_at = rt_col_time(st, 12);
    c->p_alive = rt_column_type(st, 13) == SQLITE_NULL ? NAN : rt_column_double(st, 13);
    rt_reset(st);
    rc = ok ? read_revenue(e, key, ar, c) : rt_nomem(e);
    if (rc) {
        rt_object_free(c);
        return rc;
    }
    *out = c;
    return RETAIN_OK;
}

void retain_customer_free(retain_customer *c)
{
    rt_object_free(c);
}

/* The customer's rows go by their foreign keys' ON DELETE CASCADE, but
 * for its instances' step history, which no key points at: it goes first,
 * along each instance's chain. */
static int delete_customer(retain_engine *e, const char *id)
{
    static const char history[] =
        RT_CUSTOMER_STEP_LOG "DELETE FROM journey_step_log WHERE id IN (SELECT id FROM chain)";
    static const char sql[] = "DELETE FROM customer WHERE id=?";
    rt_st *st;
    int rc = rt_lookup(e, "SELECT id FROM customer WHERE ext_id=?", id, "customer", &st);
    if (rc)
        return rc;
    int64_t key = rt_column_int64(st, 0);
    rt_reset(st);
    for (int i = 0; i < 2 && rc == RETAIN_OK; i++) {
        if ((rc = rt_stmt(e, i == 0 ? history : sql, &st)))
            break;
        rt_bind_int64(st, 1, key);
        int src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            rc = rt_sqlerr(e, src, "deleting customer");
    }
    return rc;
}

int retain_customer_delete(retain_engine *e, const char *id)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "customer_id", id)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, delete_customer(e, id));
}

int retain_customer_find(char **id_out, retain_engine *e, const char *email, const char *phone)
{
    static const char sql[] =
        "SELECT ext_id FROM customer WHERE (?1 IS NOT NULL AND email=?1)"
        " OR (?2 IS NOT NULL AND phone=?2) ORDER BY id LIMIT 1";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "id_out", id_out)))
        return rc;
    *id_out = NULL;
    if ((!email || !*email) && (!phone || !*phone))
        return rt_error(e, RETAIN_EINVAL, "give an e-mail address or a phone number to find");
    contact ct;
    if ((rc = normalize_contact(e, email, phone, &ct)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_text(st, 1, ct.email && *ct.email ? ct.email : NULL);
    rt_bind_text(st, 2, ct.phone && *ct.phone ? ct.phone : NULL);
    int src = rt_sqlstep(st);
    if (src == SQLITE_ROW) {
        *id_out = rt_strdup(&e->alloc, rt_col_text(st, 0));
        rc = *id_out ? RETAIN_OK : rt_nomem(e);
    } else if (src == SQLITE_DONE) {
        rc = rt_error(e, RETAIN_ENOTFOUND, "no customer has that %s",
                      ct.email && *ct.email ? "e-mail address" : "phone number");
    } else {
        rc = rt_sqlerr(e, src, "finding customer");
    }
    rt_reset(st);
    return rc;
}

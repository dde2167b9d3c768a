/*
 * order.c - orders: validation, idempotent recording, status changes with
 * history and events, exact per-customer statistics, reading back.
 */
#include "store.h"
#include "event.h"
#include "order_internal.h"
#include "core/arena.h"
#include "core/check.h"
#include "domain/domain.h"
#include "retain/customer.h"
#include "retain/order.h"

#include <string.h>

static const char *const order_statuses[] = {
    "placed", "paid", "shipped", "delivered", "cancelled", "returned", "refunded",
};

static bool valid_status(const char *s)
{
    for (size_t i = 0; i < sizeof order_statuses / sizeof order_statuses[0]; i++)
        if (strcmp(order_statuses[i], s) == 0)
            return true;
    return false;
}

/* Cancelled and refunded orders do not count towards revenue and orders. */
static bool counts(const char *status)
{
    return strcmp(status, "cancelled") != 0 && strcmp(status, "refunded") != 0;
}

static int check_status(retain_engine *e, const char *what, const char *s)
{
    if (!s || !valid_status(s))
        return rt_error(e, RETAIN_EINVAL,
                        "%s \"%.40s\" is not an order status; use placed, paid, shipped, "
                        "delivered, cancelled, returned or refunded",
                        what, s ? s : "(null)");
    return RETAIN_OK;
}

static int validate(retain_engine *e, const retain_order *o)
{
    int rc;
    if ((rc = rt_check_ptr(e, "order", o)))
        return rc;
    if (o->version == 0 || o->version > RETAIN_ORDER_VERSION)
        return rt_error(e, RETAIN_EINVAL, "order.version is %u; initialize with RETAIN_ORDER_INIT",
                        o->version);
    if ((rc = rt_check_id(e, "order.id", o->id)) ||
        (rc = rt_check_id(e, "order.customer_id", o->customer_id)) ||
        (rc = rt_check_name(e, "order.channel", o->channel)) ||
        (rc = rt_check_time(e, "order.placed_at", o->placed_at)) ||
        (rc = rt_check_currency(e, "order.currency", o->currency)) ||
        (rc = rt_check_json_object(e, "order.attrs_json", o->attrs_json)))
        return rc;
    if (o->coupon && (rc = rt_check_id(e, "order.coupon", o->coupon)))
        return rc;
    if (o->status && (rc = check_status(e, "order.status", o->status)))
        return rc;
    if ((rc = rt_check_opt_time(e, "order.status_at", o->status_at)))
        return rc;
    if (o->total < 0)
        return rt_error(e, RETAIN_EINVAL,
                        "order.total is %lld; it must be >= 0 (record refunds as a status)",
                        (long long)o->total);
    if (o->lines_count && !o->lines)
        return rt_error(e, RETAIN_EINVAL, "order.lines is NULL but lines_count is %zu",
                        o->lines_count);
    if (o->lines_count > 10000)
        return rt_error(e, RETAIN_EINVAL, "order has %zu lines; at most 10000 are allowed",
                        o->lines_count);
    int64_t sum = 0;
    for (size_t i = 0; i < o->lines_count; i++) {
        const retain_order_line *l = &o->lines[i];
        char what[48];
        rt_format(what, sizeof what, "order.lines[%zu].sku", i);
        if ((rc = rt_check_id(e, what, l->sku)))
            return rc;
        rt_format(what, sizeof what, "order.lines[%zu].title", i);
        if ((rc = rt_check_text(e, what, l->title, RT_TEXT_MAX)))
            return rc;
        if (l->quantity < 1)
            return rt_error(e, RETAIN_EINVAL, "order.lines[%zu].quantity is %lld; it must be >= 1",
                            i, (long long)l->quantity);
        if (l->unit_price < 0)
            return rt_error(e, RETAIN_EINVAL,
                            "order.lines[%zu].unit_price is %lld; it must be >= 0", i,
                            (long long)l->unit_price);
        int64_t line;
        if (__builtin_mul_overflow(l->quantity, l->unit_price, &line) ||
            __builtin_add_overflow(sum, line, &sum))
            return rt_error(e, RETAIN_EINVAL,
                            "order.lines[%zu]: quantity %lld x unit_price %lld overflows the "
                            "order's line total",
                            i, (long long)l->quantity, (long long)l->unit_price);
    }
    return RETAIN_OK;
}

/* Add `sign` times an order to its customer's statistics. Removing an order
 * leaves first/last order times to rt_customer_refresh_span(), run after the row changed. */
static int stats_apply(retain_engine *e, int64_t cust, const char *currency, int64_t total,
                       int64_t placed_at, int sign)
{
    static const char rev[] =
        "INSERT INTO customer_revenue(customer,currency,amount) VALUES(?1,?2,?3)"
        " ON CONFLICT(customer,currency) DO UPDATE SET amount=amount+?3";
    static const char add[] =
        "UPDATE customer SET orders_count=orders_count+1,"
        " first_order_at=min(coalesce(first_order_at,?2),?2),"
        " last_order_at=max(coalesce(last_order_at,?2),?2) WHERE id=?1";
    static const char sub[] = "UPDATE customer SET orders_count=orders_count-1 WHERE id=?1";
    static const char cur[] =
        "SELECT amount FROM customer_revenue WHERE customer=? AND currency=?";
    rt_st *st;
    int rc = rt_stmt(e, cur, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, cust);
    rt_bind_textn(st, 2, currency, -1, SQLITE_STATIC);
    if ((rc = rt_step(e, st, "reading customer revenue")) < 0)
        return rc;
    int64_t amount = rc == RETAIN_ROW ? rt_column_int64(st, 0) : 0, sum;
    rt_reset(st);
    /* SQLite would turn an overflowing integer sum into a REAL: check here. */
    if (__builtin_add_overflow(amount, sign > 0 ? total : -total, &sum))
        return rt_error(e, RETAIN_ELIMIT,
                        "the customer's %s revenue would overflow a 64-bit amount", currency);
    if ((rc = rt_stmt(e, rev, &st)))
        return rc;
    rt_bind_int64(st, 1, cust);
    rt_bind_textn(st, 2, currency, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, sign > 0 ? total : -total);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "updating customer revenue");
    if ((rc = rt_stmt(e, sign > 0 ? add : sub, &st)))
        return rc;
    rt_bind_int64(st, 1, cust);
    if (sign > 0)
        rt_bind_int64(st, 2, placed_at);
    src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "updating customer statistics");
}

int rt_customer_refresh_span(retain_engine *e, int64_t cust)
{
    static const char sql[] =
        "UPDATE customer SET"
        " first_order_at=(SELECT min(placed_at) FROM orders WHERE customer=?1"
        "   AND status NOT IN ('cancelled','refunded')),"
        " last_order_at=(SELECT max(placed_at) FROM orders WHERE customer=?1"
        "   AND status NOT IN ('cancelled','refunded')) WHERE id=?1";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, cust);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "updating customer statistics");
}

static int history_add(retain_engine *e, int64_t okey, const char *status, int64_t at)
{
    static const char sql[] =
        "INSERT INTO order_status(order_id,seq,status,at) VALUES(?1,"
        " (SELECT coalesce(max(seq),0)+1 FROM order_status WHERE order_id=?1),?2,?3)";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_int64(st, 1, okey);
    rt_bind_textn(st, 2, status, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    int src = rt_sqlstep(st);
    rt_reset(st);
    return src == SQLITE_DONE ? RETAIN_OK : rt_sqlerr(e, src, "recording order status");
}

static int status_event(retain_engine *e, int64_t cust, int64_t okey, const char *status,
                        int64_t at)
{
    char name[32];
    rt_format(name, sizeof name, "order.%s", status);
    return rt_event_emit(e, cust, name, at, NULL, okey, 0);
}

static int write_lines(retain_engine *e, int64_t okey, const retain_order *o, bool replace)
{
    static const char del[] = "DELETE FROM order_line WHERE order_id=?";
    static const char ins[] =
        "INSERT INTO order_line(order_id,line_no,sku,title,quantity,unit_price)"
        " VALUES(?,?,?,?,?,?)";
    rt_st *st;
    int rc, src;
    if (replace) {
        if ((rc = rt_stmt(e, del, &st)))
            return rc;
        rt_bind_int64(st, 1, okey);
        src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            return rt_sqlerr(e, src, "replacing order lines");
    }
    if (o->lines_count == 0)
        return RETAIN_OK;
    if ((rc = rt_stmt(e, ins, &st)))
        return rc;
    for (size_t i = 0; i < o->lines_count; i++) {
        const retain_order_line *l = &o->lines[i];
        rt_bind_int64(st, 1, okey);
        rt_bind_int64(st, 2, (int64_t)i + 1);
        rt_bind_textn(st, 3, l->sku, -1, SQLITE_STATIC);
        rt_bind_text(st, 4, l->title);
        rt_bind_int64(st, 5, l->quantity);
        rt_bind_int64(st, 6, l->unit_price);
        src = rt_sqlstep(st);
        rt_reset(st);
        if (src != SQLITE_DONE)
            return rt_sqlerr(e, src, "recording order line");
    }
    return RETAIN_OK;
}

typedef struct existing {
    int64_t key, customer, total, placed_at;
    char currency[4];
    char status[16];
} existing;

/* Find an order by host id; *found false when absent. */
static int find_order(retain_engine *e, const char *id, existing *x, bool *found)
{
    static const char sql[] =
        "SELECT id, customer, total, placed_at, currency, status FROM orders WHERE ext_id=?";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, id, -1, SQLITE_STATIC);
    int src = rt_sqlstep(st);
    *found = src == SQLITE_ROW;
    if (*found) {
        x->key = rt_column_int64(st, 0);
        x->customer = rt_column_int64(st, 1);
        x->total = rt_column_int64(st, 2);
        x->placed_at = rt_column_int64(st, 3);
        rt_copy(x->currency, sizeof x->currency, rt_col_text(st, 4));
        rt_copy(x->status, sizeof x->status, rt_col_text(st, 5));
    }
    rt_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return rt_sqlerr(e, src, "looking up order");
    return RETAIN_OK;
}

static int64_t status_time(const retain_order *o)
{
    return o->status_at == INT64_MIN ? o->placed_at : o->status_at;
}

static int insert_order(retain_engine *e, int64_t cust, const retain_order *o, const char *status)
{
    static const char sql[] =
        "INSERT INTO orders(ext_id,customer,channel,placed_at,currency,total,coupon,status,"
        "status_at,attrs) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?10,coalesce(?9,'{}'))";
    rt_st *st;
    int rc = rt_stmt(e, sql, &st);
    if (rc)
        return rc;
    rt_bind_textn(st, 1, o->id, -1, SQLITE_STATIC);
    rt_bind_int64(st, 2, cust);
    rt_bind_textn(st, 3, o->channel, -1, SQLITE_STATIC);
    rt_bind_int64(st, 4, o->placed_at);
    rt_bind_textn(st, 5, o->currency, -1, SQLITE_STATIC);
    rt_bind_int64(st, 6, o->total);
    rt_bind_text(st, 7, o->coupon);
    rt_bind_textn(st, 8, status, -1, SQLITE_STATIC);
    rt_bind_text(st, 9, o->attrs_json);
    rt_bind_int64(st, 10, status_time(o));
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "recording order");
    int64_t okey = rt_last_id(e);
    if ((rc = write_lines(e, okey, o, false)) || (rc = history_add(e, okey, "placed", o->placed_at)))
        return rc;
    if (counts(status) && (rc = stats_apply(e, cust, o->currency, o->total, o->placed_at, +1)))
        return rc;
    if ((rc = status_event(e, cust, okey, "placed", o->placed_at)))
        return rc;
    if (strcmp(status, "placed") != 0 && ((rc = history_add(e, okey, status, status_time(o))) ||
                                          (rc = status_event(e, cust, okey, status, status_time(o)))))
        return rc;
    return RETAIN_OK;
}

static int update_order(retain_engine *e, const existing *x, const retain_order *o,
                        const char *status)
{
    static const char sql[] =
        "UPDATE orders SET channel=?2, placed_at=?3, currency=?4, total=?5, coupon=?6,"
        " status=?7, status_at=CASE WHEN status=?7 THEN status_at ELSE ?9 END,"
        " attrs=coalesce(?8,attrs) WHERE id=?1";
    int rc;
    bool was = counts(x->status), now = counts(status);
    if (was && (rc = stats_apply(e, x->customer, x->currency, x->total, x->placed_at, -1)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, x->key);
    rt_bind_textn(st, 2, o->channel, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, o->placed_at);
    rt_bind_textn(st, 4, o->currency, -1, SQLITE_STATIC);
    rt_bind_int64(st, 5, o->total);
    rt_bind_text(st, 6, o->coupon);
    rt_bind_textn(st, 7, status, -1, SQLITE_STATIC);
    rt_bind_text(st, 8, o->attrs_json);
    rt_bind_int64(st, 9, status_time(o));
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "updating order");
    if (now && (rc = stats_apply(e, x->customer, o->currency, o->total, o->placed_at, +1)))
        return rc;
    if (was && (rc = rt_customer_refresh_span(e, x->customer)))
        return rc;
    if ((rc = write_lines(e, x->key, o, true)))
        return rc;
    if (strcmp(status, x->status) != 0 &&
        ((rc = history_add(e, x->key, status, status_time(o))) ||
         (rc = status_event(e, x->customer, x->key, status, status_time(o)))))
        return rc;
    return RETAIN_OK;
}

static int record(retain_engine *e, const retain_order *o)
{
    int64_t cust;
    int rc = rt_customer_key(e, o->customer_id, &cust);
    if (rc)
        return rc;
    existing x;
    bool found;
    if ((rc = find_order(e, o->id, &x, &found)))
        return rc;
    const char *status = o->status ? o->status : (found ? x.status : "placed");
    if (found && x.customer != cust)
        return rt_error(e, RETAIN_ECONFLICT,
                        "order \"%s\" already belongs to another customer; "
                        "use retain_customer_merge to move orders",
                        o->id);
    rc = found ? update_order(e, &x, o, status) : insert_order(e, cust, o, status);
    if (rc || !o->coupon)
        return rc;
    /* A code the order carries counts as redeemed (once per order). */
    if (!found && ((rc = find_order(e, o->id, &x, &found)) || !found))
        return rc ? rc : rt_error(e, RETAIN_EINTERNAL, "order \"%s\" vanished", o->id);
    return rt_coupon_on_order(e, o->coupon, cust, o->id, x.key, o->placed_at);
}

int retain_order_record(retain_engine *e, const retain_order *o)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = validate(e, o)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, record(e, o));
}

static int set_status(retain_engine *e, const char *id, const char *status, int64_t at)
{
    static const char sql[] = "UPDATE orders SET status=?2, status_at=?3 WHERE id=?1";
    existing x;
    bool found;
    int rc = find_order(e, id, &x, &found);
    if (rc)
        return rc;
    if (!found)
        return rt_error(e, RETAIN_ENOTFOUND, "order \"%s\" does not exist", id);
    if (strcmp(x.status, status) == 0)
        return RETAIN_OK;
    bool was = counts(x.status), now = counts(status);
    if (was != now &&
        (rc = stats_apply(e, x.customer, x.currency, x.total, x.placed_at, now ? +1 : -1)))
        return rc;
    rt_st *st;
    if ((rc = rt_stmt(e, sql, &st)))
        return rc;
    rt_bind_int64(st, 1, x.key);
    rt_bind_textn(st, 2, status, -1, SQLITE_STATIC);
    rt_bind_int64(st, 3, at);
    int src = rt_sqlstep(st);
    rt_reset(st);
    if (src != SQLITE_DONE)
        return rt_sqlerr(e, src, "updating order status");
    if (was && !now && (rc = rt_customer_refresh_span(e, x.customer)))
        return rc;
    if ((rc = history_add(e, x.key, status, at)))
        return rc;
    return status_event(e, x.customer, x.key, status, at);
}

int retain_order_set_status(retain_engine *e, const char *order_id, const char *status,
                            int64_t at)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "order_id", order_id)) ||
        (rc = check_status(e, "status", status)) || (rc = rt_check_time(e, "at", at)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, set_status(e, order_id, status, at));
}

/* Load order row `key` (or by host id when key is 0) into a new object. */
int rt_order_load(retain_engine *e, int64_t key, const char *ext_id, retain_order **out)
{
    static const char by_key[] =
        "SELECT o.id, o.ext_id, c.ext_id, o.channel, o.placed_at, o.currency, o.total, o.coupon,"
        " o.status, o.status_at, o.attrs FROM orders o JOIN customer c ON c.id=o.customer"
        " WHERE o.id=?";
    static const char by_ext[] =
        "SELECT o.id, o.ext_id, c.ext_id, o.channel, o.placed_at, o.currency, o.total, o.coupon,"
        " o.status, o.status_at, o.attrs FROM orders o JOIN customer c ON c.id=o.customer"
        " WHERE o.ext_id=?";
    static const char lines_sql[] =
        "SELECT sku, title, quantity, unit_price FROM order_line WHERE order_id=? ORDER BY line_no";
    static const char hist_sql[] =
        "SELECT status, at FROM order_status WHERE order_id=? ORDER BY seq";
    static const char count_sql[] =
        "SELECT (SELECT count(*) FROM order_line WHERE order_id=?1),"
        " (SELECT count(*) FROM order_status WHERE order_id=?1)";
    rt_st *st;
    int rc = rt_stmt(e, ext_id ? by_ext : by_key, &st);
    if (rc)
        return rc;
    if (ext_id)
        rt_bind_textn(st, 1, ext_id, -1, SQLITE_STATIC);
    else
        rt_bind_int64(st, 1, key);
    int src = rt_sqlstep(st);
    if (src != SQLITE_ROW) {
        rt_reset(st);
        if (src == SQLITE_DONE)
            return rt_error(e, RETAIN_ENOTFOUND, "order \"%s\" does not exist",
                            ext_id ? ext_id : "?");
        return rt_sqlerr(e, src, "reading order");
    }
    retain_order *o = rt_object_new(&e->alloc, sizeof *o);
    if (!o) {
        rt_reset(st);
        return rt_nomem(e);
    }
    rt_arena *ar = rt_object_arena(o);
    bool ok = true;
    key = rt_column_int64(st, 0);
    o->version = RETAIN_ORDER_VERSION;
    o->id = rt_arena_str(ar, rt_col_text(st, 1), &ok);
    o->customer_id = rt_arena_str(ar, rt_col_text(st, 2), &ok);
    o->channel = rt_arena_str(ar, rt_col_text(st, 3), &ok);
    o->placed_at = rt_column_int64(st, 4);
    o->currency = rt_arena_str(ar, rt_col_text(st, 5), &ok);
    o->total = rt_column_int64(st, 6);
    o->coupon = rt_arena_str(ar, rt_col_text(st, 7), &ok);
    o->status = rt_arena_str(ar, rt_col_text(st, 8), &ok);
    o->status_at = rt_column_int64(st, 9);
    o->attrs_json = rt_arena_str(ar, rt_col_text(st, 10), &ok);
    rt_reset(st);
    size_t nl = 0, nh = 0;
    if (ok && (rc = rt_stmt(e, count_sql, &st)) == RETAIN_OK) {
        rt_bind_int64(st, 1, key);
        if ((rc = rt_step(e, st, "counting order lines")) == RETAIN_ROW) {
            nl = (size_t)rt_column_int64(st, 0);
            nh = (size_t)rt_column_int64(st, 1);
        }
        rt_reset(st);
        rc = rc < 0 ? rc : RETAIN_OK;
    }
    retain_order_line *lines = nl ? rt_arena_alloc(ar, nl * sizeof *lines) : NULL;
    retain_status_change *hist = nh ? rt_arena_alloc(ar, nh * sizeof *hist) : NULL;
    if ((nl && !lines) || (nh && !hist))
        ok = false;
    if (ok && rc == RETAIN_OK && nl && (rc = rt_stmt(e, lines_sql, &st)) == RETAIN_OK) {
        rt_bind_int64(st, 1, key);
        size_t i = 0;
        while (i < nl && (rc = rt_step(e, st, "reading order lines")) == RETAIN_ROW) {
            lines[i].sku = rt_arena_str(ar, rt_col_text(st, 0), &ok);
            lines[i].title = rt_arena_str(ar, rt_col_text(st, 1), &ok);
            lines[i].quantity = rt_column_int64(st, 2);
            lines[i].unit_price = rt_column_int64(st, 3);
            i++;
        }
        rt_reset(st);
        rc = rc < 0 ? rc : RETAIN_OK;
        o->lines = lines;
        o->lines_count = i;
    }
    if (ok && rc == RETAIN_OK && nh && (rc = rt_stmt(e, hist_sql, &st)) == RETAIN_OK) {
        rt_bind_int64(st, 1, key);
        size_t i = 0;
        while (i < nh && (rc = rt_step(e, st, "reading order history")) == RETAIN_ROW) {
            hist[i].status = rt_arena_str(ar, rt_col_text(st, 0), &ok);
            hist[i].at = rt_column_int64(st, 1);
            i++;
        }
        rt_reset(st);
        rc = rc < 0 ? rc : RETAIN_OK;
        o->history = hist;
        o->history_count = i;
    }
    if (rc == RETAIN_OK && !ok)
        rc = rt_nomem(e);
    if (rc) {
        rt_object_free(o);
        return rc;
    }
    *out = o;
    return RETAIN_OK;
}

int retain_order_get(retain_order **out, retain_engine *e, const char *order_id)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = rt_check_id(e, "order_id", order_id)))
        return rc;
    return rt_order_load(e, 0, order_id, out);
}

void retain_order_free(retain_order *o)
{
    rt_object_free(o);
}

struct retain_order_iter {
    retain_engine *e;
    rt_st *st;
    retain_order *row;
};

int retain_order_iter_open(retain_order_iter **out, retain_engine *e, const char *customer_id)
{
    static const char sql[] = "SELECT id FROM orders WHERE customer=? ORDER BY placed_at, id";
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    *out = NULL;
    int64_t key;
    if ((rc = rt_check_id(e, "customer_id", customer_id)) ||
        (rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    retain_order_iter *it = rt_calloc(&e->alloc, 1, sizeof *it);
    if (!it)
        return rt_nomem(e);
    it->e = e;
    if ((rc = rt_iter_prepare(e, sql, &it->st, "listing orders"))) {
        rt_free(&e->alloc, it);
        return rc;
    }
    rt_bind_int64(it->st, 1, key);
    *out = it;
    return RETAIN_OK;
}

int retain_order_iter_next(retain_order_iter *it, const retain_order **row)
{
    if (!it)
        return RETAIN_EINVAL;
    rt_clear_error(it->e);
    if (!row)
        return rt_error(it->e, RETAIN_EINVAL, "row is NULL");
    *row = NULL;
    rt_object_free(it->row);
    it->row = NULL;
    int rc;
    do {
        int src = rt_sqlstep(it->st);
        if (src == SQLITE_DONE)
            return RETAIN_DONE;
        if (src != SQLITE_ROW)
            return rt_sqlerr(it->e, src, "reading orders");
        /* The ids come from the iterator's snapshot and each order is read
         * as it is now: one deleted meanwhile (by another engine, or by
         * this one while iterating) is passed over. */
        rc = rt_order_load(it->e, rt_column_int64(it->st, 0), NULL, &it->row);
    } while (rc == RETAIN_ENOTFOUND);
    if (rc)
        return rc;
    rt_clear_error(it->e);
    *row = it->row;
    return RETAIN_ROW;
}

void retain_order_iter_free(retain_order_iter *it)
{
    if (!it)
        return;
    rt_object_free(it->row);
    rt_finalize(it->e, it->st);
    rt_free(&it->e->alloc, it);
}

/*
 * cond.c - journey conditions: rules compiled from YAML, evaluated against
 * the store rows of an instance (customer, order, shipment, event) loaded
 * only as far as the rule needs them.
 */
#include "journey.h"
#include "rule/rule.h"
#include "store/rule_data.h"

#include <string.h>

struct jr_cond {
    retain_rule *rule;
    uint64_t mask;
    retain_allocator alloc;
};

int jr_cond_compile(retain_engine *e, const char *src, int line, int column, jr_cond **out,
                    retain_diag *diag)
{
    *out = NULL;
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.flags = RETAIN_RULE_BOOL;
    retain_rule *r = NULL;
    int rc = rt_rule_compile_at(&r, e, src, strlen(src), line, column, &o, diag);
    if (rc)
        return rc;
    jr_cond *c = rt_calloc(&e->alloc, 1, sizeof *c);
    if (!c) {
        retain_rule_free(r);
        memset(diag, 0, sizeof *diag);
        diag->code = RETAIN_ENOMEM;
        rt_format(diag->message, sizeof diag->message, "out of memory");
        return rt_nomem(e);
    }
    c->rule = r;
    c->mask = rt_rule_field_mask(r);
    c->alloc = e->alloc;
    *out = c;
    return RETAIN_OK;
}

void jr_cond_free(jr_cond *c)
{
    if (!c)
        return;
    retain_rule_free(c->rule);
    retain_allocator a = c->alloc;
    rt_free(&a, c);
}

const char *jr_cond_source(const jr_cond *c)
{
    return retain_rule_source(c->rule);
}

static retain_value str(const char *s)
{
    return *s ? retain_value_stringn(s, strlen(s)) : retain_value_null();
}

static retain_value tm(int64_t t)
{
    return t == INT64_MIN ? retain_value_null() : retain_value_time(t);
}

static retain_value money(int64_t amount, const char *cur)
{
    int digits = retain_currency_digits(cur);
    return digits < 0 ? retain_value_null() : rt_money(amount, cur, digits);
}

/* A JSON value as a rule value (strings point into `jv`). */
static retain_value from_json(const rd_json_value *jv)
{
    if (!jv->type || !strcmp(jv->type, "null"))
        return retain_value_null();
    if (!strcmp(jv->type, "integer"))
        return retain_value_int(jv->i);
    if (!strcmp(jv->type, "real"))
        return retain_value_float(jv->f);
    if (!strcmp(jv->type, "true"))
        return retain_value_bool(1);
    if (!strcmp(jv->type, "false"))
        return retain_value_bool(0);
    return retain_value_stringn(jv->text, strlen(jv->text));
}

typedef struct rows {
    rd_customer c;
    rd_order o;
    rd_shipment s;
    rd_event ev;
    retain_value skus[RD_MAX_SKUS];
    rd_json_value dyn[16];
} rows;

static int fill(retain_engine *e, const jr_cond *cond, const jr_ctx *x, retain_eval_ctx *ctx,
                rows *R)
{
    uint64_t m = cond->mask;
    retain_value *slot = rt_eval_ctx_slots(ctx);
    size_t ndyn = rt_rule_dyn_count(cond->rule);
    bool want_attrs = false, want_props = false;
    for (size_t i = 0; i < ndyn; i++) {
        rt_dyn_ref d = rt_rule_dyn(cond->rule, i);
        want_attrs |= d.kind == RT_DYN_ATTR;
        want_props |= d.kind == RT_DYN_PROP;
    }
    int rc = RETAIN_OK;
    bool need_customer = (m & RT_FIELDS_CUSTOMER) || want_attrs ||
                         (retain_rule_needs(cond->rule) & RETAIN_RULE_NEEDS_TIMEZONE);
    if ((m & RT_FIELDS_ORDER) && x->order_key) {
        rc = rd_load_order(e, x->order_key, (m & RT_FIELD_BIT(RETAIN_FIELD_ORDER_SKUS)) != 0, &R->o);
        if (rc)
            return rc;
        slot[RETAIN_FIELD_ORDER_ID] = str(R->o.id);
        slot[RETAIN_FIELD_ORDER_CHANNEL] = str(R->o.channel);
        slot[RETAIN_FIELD_ORDER_CURRENCY] = str(R->o.currency);
        slot[RETAIN_FIELD_ORDER_STATUS] = str(R->o.status);
        slot[RETAIN_FIELD_ORDER_COUPON] = str(R->o.coupon);
        if (R->o.id[0]) {
            slot[RETAIN_FIELD_ORDER_TOTAL] = money(R->o.total, R->o.currency);
            slot[RETAIN_FIELD_ORDER_PLACED_AT] = tm(R->o.placed_at);
            slot[RETAIN_FIELD_ORDER_LINES_COUNT] = retain_value_int(R->o.lines_count);
            for (int i = 0; i < R->o.nskus; i++)
                R->skus[i] = str(R->o.skus[i]);
            slot[RETAIN_FIELD_ORDER_SKUS] = retain_value_list(R->skus, (size_t)R->o.nskus);
        }
    }
    if (need_customer) {
        rc = rd_load_customer(e, x->customer_key, R->o.currency[0] ? R->o.currency : NULL,
                              want_attrs, &R->c);
        if (rc)
            return rc;
        slot[RETAIN_FIELD_CUSTOMER_ID] = str(R->c.id);
        slot[RETAIN_FIELD_CUSTOMER_EMAIL] = str(R->c.email);
        slot[RETAIN_FIELD_CUSTOMER_PHONE] = str(R->c.phone);
        slot[RETAIN_FIELD_CUSTOMER_TIMEZONE] = str(R->c.timezone);
        slot[RETAIN_FIELD_CUSTOMER_LOCALE] = str(R->c.locale);
        slot[RETAIN_FIELD_CUSTOMER_ORDERS_COUNT] = retain_value_int(R->c.orders_count);
        slot[RETAIN_FIELD_CUSTOMER_FIRST_ORDER_AT] = tm(R->c.first_order_at);
        slot[RETAIN_FIELD_CUSTOMER_LAST_ORDER_AT] = tm(R->c.last_order_at);
        if (R->c.has_revenue)
            slot[RETAIN_FIELD_CUSTOMER_REVENUE] = money(R->c.revenue, R->c.revenue_currency);
        if (R->c.has_p_alive)
            slot[RETAIN_FIELD_CUSTOMER_P_ALIVE] = retain_value_float(R->c.p_alive);
        if (R->c.has_clv)
            slot[RETAIN_FIELD_CUSTOMER_CLV] = money(R->c.clv, R->c.clv_currency);
        /* A zone that no longer loads falls back to the engine's default,
         * which the context already has. */
        if (R->c.timezone[0] && retain_eval_ctx_set_timezone(ctx, e, R->c.timezone) != RETAIN_OK)
            rt_clear_error(e);
    }
    if ((m & RT_FIELDS_SHIPMENT) && (x->shipment_key || x->order_key)) {
        if ((rc = rd_load_shipment(e, x->shipment_key, x->order_key, &R->s)))
            return rc;
        if (R->s.found) {
            slot[RETAIN_FIELD_SHIPMENT_CARRIER] = str(R->s.carrier);
            slot[RETAIN_FIELD_SHIPMENT_STATUS] = str(R->s.status);
            slot[RETAIN_FIELD_SHIPMENT_EXCEPTION] = str(R->s.exception);
            slot[RETAIN_FIELD_SHIPMENT_PROMISED_AT] = tm(R->s.promised_at);
            slot[RETAIN_FIELD_SHIPMENT_ETA] = tm(R->s.eta);
            slot[RETAIN_FIELD_SHIPMENT_DELIVERED_AT] = tm(R->s.delivered_at);
        }
    }
    if (((m & RT_FIELDS_EVENT) || want_props) && x->event_id) {
        if ((rc = rd_load_event(e, x->event_id, want_props, &R->ev)))
            return rc;
        slot[RETAIN_FIELD_EVENT_NAME] = str(R->ev.name);
        slot[RETAIN_FIELD_EVENT_AT] = tm(R->ev.at);
    }
    slot[RETAIN_FIELD_JOURNEY_ENTERED_AT] = tm(x->entered_at);
    if (x->step)
        slot[RETAIN_FIELD_JOURNEY_STEP] = str(x->step);
    if (x->variant)
        slot[RETAIN_FIELD_JOURNEY_VARIANT] = str(x->variant);
    for (size_t i = 0; i < ndyn && i < 16 && rc == RETAIN_OK; i++) {
        rt_dyn_ref d = rt_rule_dyn(cond->rule, i);
        retain_value v = retain_value_null();
        if (d.kind == RT_DYN_ATTR && R->c.attrs) {
            rc = rd_json_key(e, R->c.attrs, d.key, d.key_len, &R->dyn[i]);
            v = from_json(&R->dyn[i]);
        } else if (d.kind == RT_DYN_PROP && R->ev.props) {
            rc = rd_json_key(e, R->ev.props, d.key, d.key_len, &R->dyn[i]);
            v = from_json(&R->dyn[i]);
        } else if (d.kind == RT_DYN_CONSENT) {
            /* customer.consent.CHANNEL means marketing on that channel;
             * customer.consent.CHANNEL.CATEGORY names the category. */
            const char *dot = memchr(d.key, '.', d.key_len);
            size_t chlen = dot ? (size_t)(dot - d.key) : d.key_len;
            const char *cat = dot ? dot + 1 : "marketing";
            size_t catlen = dot ? d.key_len - chlen - 1 : strlen("marketing");
            int state;
            rc = rd_consent(e, x->customer_key, d.key, chlen, cat, catlen, &state);
            if (state >= 0)
                v = retain_value_bool(state);
        }
        if (rc == RETAIN_OK)
            rc = rt_eval_ctx_bind_dyn(ctx, d.name, d.len, &v);
    }
    return rc;
}

int jr_cond_eval(retain_engine *e, const jr_cond *c, const jr_ctx *x, bool *result)
{
    *result = false;
    rt_journey_set *s = e->journeys;
    if (!s->ctx) {
        int rc = retain_eval_ctx_new(&s->ctx, e);
        if (rc)
            return rc;
    }
    retain_eval_ctx *ctx = s->ctx;
    retain_eval_ctx_clear(ctx);
    retain_eval_ctx_set_timezone(ctx, e, NULL);
    if (!s->scratch && !(s->scratch = rt_malloc(&e->alloc, sizeof(rows))))
        return rt_nomem(e);
    rows *R = s->scratch;
    memset(R, 0, sizeof *R);
    int rc = fill(e, c, x, ctx, R);
    if (rc == RETAIN_OK)
        rc = retain_eval_ctx_set_now(ctx, x->now);
    int yes = 0;
    if (rc == RETAIN_OK) {
        rc = retain_rule_test(c->rule, ctx, &yes);
        if (rc)
            rt_error(e, rc, "rule \"%.80s\": %s", jr_cond_source(c), retain_eval_ctx_errmsg(ctx));
    }
    rt_free(&e->alloc, R->c.attrs);
    rt_free(&e->alloc, R->ev.props);
    R->c.attrs = R->ev.props = NULL;
    *result = yes != 0;
    return rc;
}

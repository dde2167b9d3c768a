/*
 * rule.h (internal) - what the journey runner and the loader need from the
 * rule language beyond the public API: compiling a rule found inside a
 * YAML file, and filling a context from store rows without re-validating
 * values the store already checked.
 *
 * Typical runner loop:
 *
 *     uint64_t mask = rt_rule_field_mask(r);      which slots to load
 *     retain_value *slot = rt_eval_ctx_slots(ctx);
 *     if (mask & RT_FIELDS_ORDER) { ...load the order row...
 *         slot[RETAIN_FIELD_ORDER_TOTAL] = rt_money(total, currency); }
 *     for (size_t i = 0; i < rt_rule_dyn_count(r); i++) {
 *         rt_dyn_ref d = rt_rule_dyn(r, i);            customer.attr.tier ...
 *         rt_eval_ctx_bind_dyn(ctx, d.name, d.len, &value_from_json);
 *     }
 *     rt_eval_ctx_set_tz(ctx, zone);
 *     retain_eval_ctx_set_now(ctx, now);
 *     retain_rule_test(r, ctx, &pass);
 */
#ifndef RT_RULE_H
#define RT_RULE_H

#include "core/engine.h"
#include "retain/rule.h"
#include "tz/tz.h"

#include <stdbool.h>

/* Compile a rule that sits at line:column of a file: diagnostics point
 * into the file. Same as retain_rule_compile_ex otherwise. */
int rt_rule_compile_at(retain_rule **out, retain_engine *e, const char *src, size_t len,
                       int line, int column, const retain_rule_options *opts, retain_diag *diag);

/* Bit (1 << f) for each fixed field f the rule reads. */
uint64_t rt_rule_field_mask(const retain_rule *r);

#define RT_FIELD_BIT(f) ((uint64_t)1 << (f))
#define RT_FIELDS_CUSTOMER                                                                   \
    (((RT_FIELD_BIT(RETAIN_FIELD_CUSTOMER_CLV) << 1) - 1) & ~(uint64_t)1)
#define RT_FIELDS_ORDER                                                                      \
    (((RT_FIELD_BIT(RETAIN_FIELD_ORDER_COUPON) << 1) - 1) &                                  \
     ~((RT_FIELD_BIT(RETAIN_FIELD_ORDER_ID)) - 1))
#define RT_FIELDS_SHIPMENT                                                                   \
    (((RT_FIELD_BIT(RETAIN_FIELD_SHIPMENT_EXCEPTION) << 1) - 1) &                            \
     ~((RT_FIELD_BIT(RETAIN_FIELD_SHIPMENT_CARRIER)) - 1))
#define RT_FIELDS_EVENT (RT_FIELD_BIT(RETAIN_FIELD_EVENT_NAME) | RT_FIELD_BIT(RETAIN_FIELD_EVENT_AT))
#define RT_FIELDS_JOURNEY                                                                    \
    (RT_FIELD_BIT(RETAIN_FIELD_JOURNEY_ENTERED_AT) | RT_FIELD_BIT(RETAIN_FIELD_JOURNEY_STEP) | \
     RT_FIELD_BIT(RETAIN_FIELD_JOURNEY_VARIANT))

/* Dynamic names a rule reads, split for the filler. */
typedef enum rt_dyn_kind {
    RT_DYN_ATTR,    /* customer.attr.KEY: a top-level key of the customer's attributes */
    RT_DYN_CONSENT, /* customer.consent.CHANNEL[.CATEGORY]: bool, null when unknown */
    RT_DYN_PROP,    /* event.props.KEY: a top-level key of the event's properties */
    RT_DYN_VAR      /* vars.NAME: bound by the host */
} rt_dyn_kind;

typedef struct rt_dyn_ref {
    const char *name; /* the full name to bind, "customer.attr.tier" */
    size_t len;
    rt_dyn_kind kind;
    const char *key;  /* after the prefix: "tier"; for consent "sms" or "sms.marketing" */
    size_t key_len;
    retain_type type; /* declared type, or RETAIN_TYPE_ANY */
} rt_dyn_ref;

size_t rt_rule_dyn_count(const retain_rule *r);
rt_dyn_ref rt_rule_dyn(const retain_rule *r, size_t i);

/* Direct access to the fixed slots, indexed by retain_field. Values put
 * here are not checked: strings must be valid UTF-8, types must match the
 * field (retain_field_type), money must carry its currency's scale, and a
 * missing value (RETAIN_TIME_NONE ...) must be stored as null. */
retain_value *rt_eval_ctx_slots(retain_eval_ctx *ctx);

/* Bind a dynamic name without validating the value (name is copied). */
int rt_eval_ctx_bind_dyn(retain_eval_ctx *ctx, const char *name, size_t len,
                         const retain_value *v);

/* Set the zone resolved by the caller (NULL: UTC). */
void rt_eval_ctx_set_tz(retain_eval_ctx *ctx, const rt_tz *z);

/* Money in minor units of a known currency, with the right scale. */
static inline retain_value rt_money(int64_t minor, const char *currency, int digits)
{
    retain_value v;
    v.type = RETAIN_TYPE_MONEY;
    v.u.money.amount = minor;
    v.u.money.currency[0] = currency[0];
    v.u.money.currency[1] = currency[1];
    v.u.money.currency[2] = currency[2];
    v.u.money.currency[3] = '\0';
    v.u.money.scale = digits;
    return v;
}

/* A result counts as true only when it is the bool true. */
static inline bool rt_value_true(const retain_value *v)
{
    return v->type == RETAIN_TYPE_BOOL && v->u.b;
}

#endif

/*
 * retain/rule.h - the rule language: compile a rule once, evaluate it many
 * times against values bound in an evaluation context.
 *
 *     retain_rule *r;
 *     retain_diag d;
 *     if (retain_rule_compile(&r, e, "order.total >= 50.00 and customer.orders_count == 1", &d))
 *         fprintf(stderr, "%d:%d: %s\n%s\n", d.line, d.column, d.message, d.snippet);
 *
 *     retain_eval_ctx *ctx;
 *     retain_eval_ctx_new(&ctx, e);
 *     retain_value total = retain_value_money(6400, "EUR");
 *     retain_value count = retain_value_int(1);
 *     retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_TOTAL, &total);
 *     retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_ORDERS_COUNT, &count);
 *     int yes;
 *     retain_rule_test(r, ctx, &yes);           yes == 1
 *
 * The language is described in docs/rules.md.
 *
 * Threads: a compiled rule is immutable and may be evaluated by several
 * threads at once, each with its own context. A context is used by one
 * thread at a time. Evaluation allocates no memory.
 */
#ifndef RETAIN_RULE_H
#define RETAIN_RULE_H

#include "common.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

/** Types of values. RETAIN_TYPE_ANY is only a static type: a value whose
 *  type is known at run time (undeclared attributes and event properties). */
typedef enum retain_type {
    RETAIN_TYPE_NULL = 0,
    RETAIN_TYPE_BOOL = 1,
    RETAIN_TYPE_INT = 2,      /**< int64 */
    RETAIN_TYPE_FLOAT = 3,    /**< double */
    RETAIN_TYPE_MONEY = 4,    /**< decimal amount with an ISO 4217 currency */
    RETAIN_TYPE_STRING = 5,   /**< UTF-8, pointer and length */
    RETAIN_TYPE_TIME = 6,     /**< ms since the Unix epoch, UTC */
    RETAIN_TYPE_DURATION = 7, /**< ms */
    RETAIN_TYPE_LIST = 8,     /**< array of values */
    RETAIN_TYPE_ANY = 9       /**< static type only: checked at run time */
} retain_type;

/** Money inside a value: `amount` in units of 10^-scale of `currency`.
 *  Values from retain_value_money() have scale = the currency's minor
 *  digits (1999 "USD" scale 2 = $19.99). An empty currency ("") is an
 *  amount written in a rule without a currency (50.00): it takes the
 *  currency of whatever it is compared with or added to. */
typedef struct retain_money_value {
    int64_t amount;
    char currency[4];
    int32_t scale;
} retain_money_value;

/** A string inside a value: not NUL-terminated in general. */
typedef struct retain_string_value {
    const char *ptr;
    size_t len;
} retain_string_value;

struct retain_value;
/** A list inside a value. */
typedef struct retain_list_value {
    const struct retain_value *items;
    size_t count;
} retain_list_value;

/** A tagged value: rule results and the values bound for evaluation.
 *  Strings and lists are not copied: they point at memory owned by whoever
 *  made the value. */
typedef struct retain_value {
    retain_type type;
    union {
        int b;                    /**< BOOL: 0 or 1 */
        int64_t i;                /**< INT */
        double f;                 /**< FLOAT */
        retain_money_value money; /**< MONEY */
        retain_string_value str;  /**< STRING */
        int64_t time;             /**< TIME: ms UTC */
        int64_t duration;         /**< DURATION: ms */
        retain_list_value list;   /**< LIST */
    } u;
} retain_value;

/** Constructors (they never fail; a bad argument gives a value that
 *  binding refuses with RETAIN_EINVAL). */
RETAIN_API retain_value retain_value_null(void);
RETAIN_API retain_value retain_value_bool(int b);
RETAIN_API retain_value retain_value_int(int64_t i);
RETAIN_API retain_value retain_value_float(double f);
/** Money in minor units of an ISO 4217 currency: (1999, "USD") is $19.99. */
RETAIN_API retain_value retain_value_money(int64_t minor_units, const char *currency);
/** A NUL-terminated string (NULL gives null). */
RETAIN_API retain_value retain_value_string(const char *s);
RETAIN_API retain_value retain_value_stringn(const char *s, size_t len);
RETAIN_API retain_value retain_value_time(int64_t ms_utc);
RETAIN_API retain_value retain_value_duration(int64_t ms);
RETAIN_API retain_value retain_value_list(const retain_value *items, size_t count);

/** The name of a type ("money"); never NULL. */
RETAIN_API const char *retain_type_name(retain_type t);

/**
 * Write a value as text, the way a rule would spell it: 42, 2.5, "text",
 * 19.99 USD, 2024-03-10T07:00:00Z, 90m, ["a", "b"], null. Returns the
 * length the full text needs (like snprintf); `buf` may be NULL when
 * `size` is 0.
 */
RETAIN_API size_t retain_value_format(const retain_value *v, char *buf, size_t size);

/* ------------------------------------------------------------------------
 * Fields
 * ------------------------------------------------------------------------ */

/** The fixed fields a rule may read, each with one slot in a context.
 *  Dynamic names (customer.attr.NAME, customer.consent.CHANNEL,
 *  event.props.NAME, vars.NAME) have no number: RETAIN_FIELD_NONE. */
typedef enum retain_field {
    RETAIN_FIELD_NONE = 0,
    RETAIN_FIELD_CUSTOMER_ID,             /**< string */
    RETAIN_FIELD_CUSTOMER_EMAIL,          /**< string */
    RETAIN_FIELD_CUSTOMER_PHONE,          /**< string (E.164) */
    RETAIN_FIELD_CUSTOMER_TIMEZONE,       /**< string (IANA name) */
    RETAIN_FIELD_CUSTOMER_LOCALE,         /**< string (BCP 47) */
    RETAIN_FIELD_CUSTOMER_ORDERS_COUNT,   /**< int */
    RETAIN_FIELD_CUSTOMER_REVENUE,        /**< money */
    RETAIN_FIELD_CUSTOMER_FIRST_ORDER_AT, /**< time */
    RETAIN_FIELD_CUSTOMER_LAST_ORDER_AT,  /**< time */
    RETAIN_FIELD_CUSTOMER_P_ALIVE,        /**< float, null until the models ran */
    RETAIN_FIELD_CUSTOMER_CLV,            /**< money, null until the models ran */
    RETAIN_FIELD_ORDER_ID,                /**< string */
    RETAIN_FIELD_ORDER_CHANNEL,           /**< string */
    RETAIN_FIELD_ORDER_TOTAL,             /**< money */
    RETAIN_FIELD_ORDER_CURRENCY,          /**< string */
    RETAIN_FIELD_ORDER_PLACED_AT,         /**< time */
    RETAIN_FIELD_ORDER_STATUS,            /**< string */
    RETAIN_FIELD_ORDER_LINES_COUNT,       /**< int */
    RETAIN_FIELD_ORDER_SKUS,              /**< list of strings */
    RETAIN_FIELD_ORDER_COUPON,            /**< string */
    RETAIN_FIELD_SHIPMENT_CARRIER,        /**< string */
    RETAIN_FIELD_SHIPMENT_STATUS,         /**< string */
    RETAIN_FIELD_SHIPMENT_PROMISED_AT,    /**< time */
    RETAIN_FIELD_SHIPMENT_ETA,            /**< time */
    RETAIN_FIELD_SHIPMENT_DELIVERED_AT,   /**< time */
    RETAIN_FIELD_SHIPMENT_EXCEPTION,      /**< string */
    RETAIN_FIELD_EVENT_NAME,              /**< string */
    RETAIN_FIELD_EVENT_AT,                /**< time */
    RETAIN_FIELD_JOURNEY_ENTERED_AT,      /**< time */
    RETAIN_FIELD_JOURNEY_STEP,            /**< string */
    RETAIN_FIELD_JOURNEY_VARIANT,         /**< string */
    RETAIN_FIELD_COUNT
} retain_field;

/** "order.total" for RETAIN_FIELD_ORDER_TOTAL; NULL if out of range. */
RETAIN_API const char *retain_field_name(retain_field f);
/** The field called `name`, or RETAIN_FIELD_NONE. */
RETAIN_API retain_field retain_field_lookup(const char *name);
/** Static type of a fixed field (list element type in *elem, may be NULL). */
RETAIN_API retain_type retain_field_type(retain_field f, retain_type *elem);

/* ------------------------------------------------------------------------
 * Compiling
 * ------------------------------------------------------------------------ */

typedef struct retain_rule retain_rule;

/** A name the host declares for rules: "vars.NAME" (required before use),
 *  or a typed "customer.attr.NAME" / "event.props.NAME" (otherwise those
 *  are of type any). `elem` is the element type when `type` is a list. */
typedef struct retain_rule_var {
    const char *name;
    retain_type type;
    retain_type elem;
} retain_rule_var;

#define RETAIN_RULE_OPTIONS_VERSION 1

/** The result must be a bool (conditions): otherwise a compile error. */
#define RETAIN_RULE_BOOL 0x1u

/** Options for retain_rule_compile_ex(); start from RETAIN_RULE_OPTIONS_INIT. */
typedef struct retain_rule_options {
    unsigned int version;        /**< RETAIN_RULE_OPTIONS_VERSION */
    unsigned int flags;          /**< RETAIN_RULE_* */
    const retain_rule_var *vars; /**< declared names, may be NULL */
    size_t nvars;
    int line;                    /**< where the source starts in its file (1 if 0) */
    int column;                  /**< column of the first character (1 if 0) */
} retain_rule_options;

#define RETAIN_RULE_OPTIONS_INIT { RETAIN_RULE_OPTIONS_VERSION, 0, 0, 0, 0, 0 }

/**
 * Compile `src` (NUL-terminated UTF-8). On failure *out is NULL, `diag`
 * (may be NULL) holds line, column, message and a caret snippet, and the
 * engine's message says the same. Errors: RETAIN_EPARSE (syntax, types,
 * unknown names, bad regex), RETAIN_ELIMIT (source size, nesting depth,
 * list length), RETAIN_EINVAL, RETAIN_ENOMEM.
 */
RETAIN_API int retain_rule_compile(retain_rule **out, retain_engine *e, const char *src,
                                   retain_diag *diag);

/** Like retain_rule_compile() with a length (no NUL needed) and options
 *  (NULL for defaults). */
RETAIN_API int retain_rule_compile_ex(retain_rule **out, retain_engine *e, const char *src,
                                      size_t len, const retain_rule_options *opts,
                                      retain_diag *diag);

/** Free a rule. NULL is a no-op. Free rules before closing their engine. */
RETAIN_API void retain_rule_free(retain_rule *r);

/** The rule's source text, NUL-terminated. */
RETAIN_API const char *retain_rule_source(const retain_rule *r);

/** Static type of the rule's result (list element type in *elem, may be NULL). */
RETAIN_API retain_type retain_rule_type(const retain_rule *r, retain_type *elem);

/** One name a rule reads: what the host must bind before evaluating it. */
typedef struct retain_rule_field {
    const char *name;  /**< "order.total", "customer.attr.tier", "vars.min" */
    retain_field id;   /**< the slot, or RETAIN_FIELD_NONE for dynamic names */
    retain_type type;  /**< static type (RETAIN_TYPE_ANY for undeclared attributes) */
    retain_type elem;  /**< list element type */
} retain_rule_field;

/** The names the rule reads, in order of first use; the array belongs to
 *  the rule. Returns the count. */
RETAIN_API size_t retain_rule_fields(const retain_rule *r, const retain_rule_field **out);

#define RETAIN_RULE_NEEDS_NOW 0x1u      /**< reads now (now(), days_since ...) */
#define RETAIN_RULE_NEEDS_TIMEZONE 0x2u /**< reads the customer's time zone */
/** What else the rule reads: RETAIN_RULE_NEEDS_* bits. */
RETAIN_API unsigned int retain_rule_needs(const retain_rule *r);

/* ------------------------------------------------------------------------
 * Evaluating
 * ------------------------------------------------------------------------ */

/** Values one evaluation sees, plus per-thread scratch memory. */
typedef struct retain_eval_ctx retain_eval_ctx;

/**
 * Create a context. It takes its allocator, its regex limits and its
 * initial time zone (options.default_timezone) from the engine, and sizes
 * its evaluation stack and scratch memory from the engine's limits. It
 * does not keep the engine, but its zone lives in the engine's cache:
 * free contexts before closing the engine. Every slot starts null, and
 * `now` unset (now() is then null).
 */
RETAIN_API int retain_eval_ctx_new(retain_eval_ctx **out, retain_engine *e);

/** Free a context. NULL is a no-op. */
RETAIN_API void retain_eval_ctx_free(retain_eval_ctx *ctx);

/** Unbind everything (slots null, dynamic names forgotten, now unset); the
 *  time zone is kept. Keeps memory for reuse. */
RETAIN_API void retain_eval_ctx_clear(retain_eval_ctx *ctx);

/** The current time for now(), days_since() ... (ms UTC). The library
 *  never reads the clock. */
RETAIN_API int retain_eval_ctx_set_now(retain_eval_ctx *ctx, int64_t now_ms);

/** The customer's time zone for local_hour() and local_weekday(); NULL or
 *  "" gives the engine's default zone. Zones are loaded through the
 *  engine, so call this from the engine's thread. Errors are those of the
 *  zone lookup (RETAIN_ENOTFOUND, RETAIN_EINVAL, RETAIN_EPARSE), reported
 *  on the engine; the context keeps its previous zone. */
RETAIN_API int retain_eval_ctx_set_timezone(retain_eval_ctx *ctx, retain_engine *e,
                                            const char *zone);

/**
 * Bind a fixed field. `v` NULL or of type null unbinds it, and so does a
 * time of RETAIN_TIME_NONE. The value must have the field's type (an int
 * is accepted for a float field), money a known ISO 4217 currency, strings
 * valid UTF-8; RETAIN_EINVAL otherwise, with retain_eval_ctx_errmsg()
 * saying why. Strings and list items are not copied: keep them alive
 * while evaluating.
 */
RETAIN_API int retain_eval_ctx_set(retain_eval_ctx *ctx, retain_field f, const retain_value *v);

/**
 * Bind a name: a fixed field ("order.total") or a dynamic one
 * ("customer.attr.tier", "customer.consent.sms", "event.props.rating",
 * "vars.min_total"). The name is copied; the value is not.
 */
RETAIN_API int retain_eval_ctx_bind(retain_eval_ctx *ctx, const char *name,
                                    const retain_value *v);

/**
 * Evaluate. The result may point into the rule, the bound values, or the
 * context's scratch memory (lower(), upper(), list literals): it stays
 * valid until the next evaluation with the same context.
 * Errors: RETAIN_ELIMIT when a regex limit, the regex subject size or the
 * scratch memory is exceeded (retain_eval_ctx_diag() has the rule's line
 * and column); RETAIN_EINVAL for NULL arguments. Nothing else fails.
 */
RETAIN_API int retain_rule_eval(const retain_rule *r, const retain_eval_ctx *ctx,
                                retain_value *out);

/** Evaluate a condition: *out = 1 for true, 0 for false, null or any
 *  other type. */
RETAIN_API int retain_rule_test(const retain_rule *r, const retain_eval_ctx *ctx, int *out);

/** The last error of the context (from binding or evaluation); "" if none. */
RETAIN_API const char *retain_eval_ctx_errmsg(const retain_eval_ctx *ctx);
/** The same with the rule's line and column for evaluation errors. */
RETAIN_API const retain_diag *retain_eval_ctx_diag(const retain_eval_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_RULE_H */

/*
 * fuzz_rule.c - the rule compiler and VM. Every input is compiled as a
 * rule (with a few declared vars); when it compiles, it is evaluated
 * against a context in which every fixed field and the dynamic names it
 * reads are bound, and its result is formatted. A compile error must carry
 * a message; a rule must never fail to evaluate except at a resource limit.
 */
#include "fuzz.h"

#include <string.h>

static retain_engine *engine;
static retain_eval_ctx *ctx;

static const retain_value skus[] = {
    { RETAIN_TYPE_STRING, { .str = { "SKU-1", 5 } } },
    { RETAIN_TYPE_STRING, { .str = { "SKU-2", 5 } } },
};

/* One value per static type, for the fields and names a rule reads. */
static retain_value sample(retain_type t, retain_type elem)
{
    switch (t) {
    case RETAIN_TYPE_BOOL: return retain_value_bool(1);
    case RETAIN_TYPE_INT: return retain_value_int(3);
    case RETAIN_TYPE_FLOAT: return retain_value_float(0.25);
    case RETAIN_TYPE_MONEY: return retain_value_money(6400, "EUR");
    case RETAIN_TYPE_STRING: return retain_value_string("web@example.com");
    case RETAIN_TYPE_TIME: return retain_value_time(1710054000000); /* 2024-03-10T07:00Z */
    case RETAIN_TYPE_DURATION: return retain_value_duration(90 * 60000);
    case RETAIN_TYPE_LIST:
        if (elem == RETAIN_TYPE_STRING)
            return retain_value_list(skus, 2);
        return retain_value_list(NULL, 0);
    case RETAIN_TYPE_ANY: return retain_value_int(7);
    default: return retain_value_null();
    }
}

static const retain_rule_var vars[] = {
    { "vars.min_total", RETAIN_TYPE_MONEY, RETAIN_TYPE_NULL },
    { "vars.n", RETAIN_TYPE_INT, RETAIN_TYPE_NULL },
    { "vars.name", RETAIN_TYPE_STRING, RETAIN_TYPE_NULL },
    { "vars.tags", RETAIN_TYPE_LIST, RETAIN_TYPE_STRING },
    { "customer.attr.score", RETAIN_TYPE_FLOAT, RETAIN_TYPE_NULL },
    { "event.props.rating", RETAIN_TYPE_INT, RETAIN_TYPE_NULL },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    engine = fuzz_engine();
    FUZZ_CHECK(retain_eval_ctx_new(&ctx, engine) == RETAIN_OK, "%s", retain_errmsg(engine));
    /* A zone with DST, for local_hour() and local_weekday(). */
    FUZZ_CHECK(retain_eval_ctx_set_timezone(ctx, engine, "America/New_York") == RETAIN_OK, "%s",
               retain_errmsg(engine));
    return 0;
}

void fuzz_teardown(void)
{
    retain_eval_ctx_free(ctx);
    retain_engine_close(engine);
    ctx = NULL;
    engine = NULL;
}

static void bind_all(const retain_rule *r)
{
    retain_eval_ctx_clear(ctx);
    retain_eval_ctx_set_now(ctx, 1710061200000); /* 2024-03-10T09:00Z */
    for (int f = 1; f < RETAIN_FIELD_COUNT; f++) {
        retain_type elem = RETAIN_TYPE_NULL;
        retain_type t = retain_field_type((retain_field)f, &elem);
        retain_value v = sample(t, elem);
        if (f == RETAIN_FIELD_CUSTOMER_TIMEZONE)
            v = retain_value_string("America/New_York");
        FUZZ_CHECK(retain_eval_ctx_set(ctx, (retain_field)f, &v) == RETAIN_OK, "field %s: %s",
                   retain_field_name((retain_field)f), retain_eval_ctx_errmsg(ctx));
    }
    const retain_rule_field *fields;
    size_t n = retain_rule_fields(r, &fields);
    for (size_t i = 0; i < n; i++) {
        if (fields[i].id != RETAIN_FIELD_NONE)
            continue;
        retain_value v = sample(fields[i].type, fields[i].elem);
        /* Consent names are bools; dynamic names of type any get an int. */
        if (!strncmp(fields[i].name, "customer.consent.", 17))
            v = retain_value_bool(1);
        int rc = retain_eval_ctx_bind(ctx, fields[i].name, &v);
        FUZZ_CHECK(rc == RETAIN_OK, "bind %s: %s", fields[i].name, retain_eval_ctx_errmsg(ctx));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        LLVMFuzzerInitialize(NULL, NULL);
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.vars = vars;
    o.nvars = sizeof vars / sizeof vars[0];
    retain_rule *r = NULL;
    retain_diag d;
    memset(&d, 0xA5, sizeof d); /* whatever the compiler leaves must be written by it */
    int rc = retain_rule_compile_ex(&r, engine, (const char *)data, size, &o, &d);
    if (rc != RETAIN_OK) {
        FUZZ_CHECK(r == NULL, "failed compile returned a rule");
        FUZZ_CHECK(rc == RETAIN_EPARSE || rc == RETAIN_ELIMIT || rc == RETAIN_EINVAL,
                   "unexpected status %d", rc);
        FUZZ_CHECK(memchr(d.message, '\0', sizeof d.message) && d.message[0],
                   "compile error without a message");
        FUZZ_CHECK(memchr(d.snippet, '\0', sizeof d.snippet), "snippet not terminated");
        FUZZ_CHECK(retain_errmsg(engine)[0], "engine has no message");
        return 0;
    }
    FUZZ_CHECK(r != NULL, "compile succeeded without a rule");
    FUZZ_CHECK(strlen(retain_rule_source(r)) <= size, "source longer than the input");
    (void)retain_rule_needs(r);
    bind_all(r);
    retain_value v;
    rc = retain_rule_eval(r, ctx, &v);
    FUZZ_CHECK(rc == RETAIN_OK || rc == RETAIN_ELIMIT, "eval: %d %s", rc,
               retain_eval_ctx_errmsg(ctx));
    if (rc == RETAIN_OK) {
        retain_type elem;
        retain_type t = retain_rule_type(r, &elem);
        FUZZ_CHECK(t == RETAIN_TYPE_ANY || v.type == RETAIN_TYPE_NULL || v.type == t ||
                       (t == RETAIN_TYPE_FLOAT && v.type == RETAIN_TYPE_INT),
                   "static type %s, value of type %s", retain_type_name(t),
                   retain_type_name(v.type));
        char buf[64];
        size_t need = retain_value_format(&v, buf, sizeof buf);
        char *full = malloc(need + 1);
        FUZZ_CHECK(full != NULL, "out of memory");
        FUZZ_CHECK(retain_value_format(&v, full, need + 1) == need, "format is not stable");
        FUZZ_CHECK(strlen(full) == need, "format length");
        free(full);
        int yes;
        rc = retain_rule_test(r, ctx, &yes);
        FUZZ_CHECK(rc == RETAIN_OK || rc == RETAIN_ELIMIT, "test: %d", rc);
    }
    /* Evaluating with nothing bound: every field null. */
    retain_eval_ctx_clear(ctx);
    rc = retain_rule_eval(r, ctx, &v);
    FUZZ_CHECK(rc == RETAIN_OK || rc == RETAIN_ELIMIT, "eval unbound: %d %s", rc,
               retain_eval_ctx_errmsg(ctx));
    retain_rule_free(r);
    return 0;
}

/*
 * ctx.c - evaluation contexts: fixed slots, a hash table of dynamic names,
 * the time and zone, and the per-thread memory evaluation writes into
 * (VM stack, scratch, pcre2 match data). Also retain_rule_eval itself.
 */
#include "rule_impl.h"
#include "core/text.h"

#include <string.h>

void *rt_pcre_malloc(PCRE2_SIZE n, void *data)
{
    return rt_malloc(data, n);
}

void rt_pcre_free(void *p, void *data)
{
    rt_free(data, p);
}

void retain_eval_ctx_free(retain_eval_ctx *ctx)
{
    if (!ctx)
        return;
    retain_allocator a = ctx->alloc;
    rt_work *w = ctx->work;
    if (w) {
        if (w->md)
            pcre2_match_data_free(w->md);
        if (w->mctx)
            pcre2_match_context_free(w->mctx);
        if (w->gctx)
            pcre2_general_context_free(w->gctx);
        rt_free(&a, w->stack);
        rt_free(&a, w->scratch);
        rt_free(&a, w);
    }
    rt_free(&a, ctx->dyn);
    rt_free(&a, ctx->names);
    rt_free(&a, ctx);
}

int rt_ctx_create(retain_eval_ctx **out, const retain_allocator *a, const rt_config *cfg)
{
    return rt_ctx_create_sized(out, a, cfg, rt_stack_cap(cfg), rt_scratch_cap(cfg));
}

int rt_ctx_create_sized(retain_eval_ctx **out, const retain_allocator *a, const rt_config *cfg,
                        size_t stack_cap, size_t scratch_cap)
{
    *out = NULL;
    retain_eval_ctx *ctx = rt_calloc(a, 1, sizeof *ctx);
    if (!ctx)
        return RETAIN_ENOMEM;
    ctx->alloc = *a;
    rt_work *w = ctx->work = rt_calloc(a, 1, sizeof *w);
    if (!w)
        goto nomem;
    w->stack_cap = stack_cap;
    w->stack = rt_calloc(a, w->stack_cap, sizeof *w->stack);
    w->scratch_cap = scratch_cap;
    w->scratch = rt_malloc(a, w->scratch_cap);
    w->max_subject = cfg->regex_max_subject;
    w->gctx = pcre2_general_context_create(rt_pcre_malloc, rt_pcre_free, &ctx->alloc);
    if (!w->stack || !w->scratch || !w->gctx)
        goto nomem;
    w->mctx = pcre2_match_context_create(w->gctx);
    /* One ovector pair is enough to know whether a pattern matched, and
     * it serves every pattern of every rule. */
    w->md = pcre2_match_data_create(1, w->gctx);
    if (!w->mctx || !w->md)
        goto nomem;
    pcre2_set_match_limit(w->mctx, cfg->regex_match_limit);
    pcre2_set_depth_limit(w->mctx, cfg->regex_depth_limit);
    pcre2_set_heap_limit(w->mctx, 16384); /* KiB, for the interpreter without JIT */
    *out = ctx;
    return RETAIN_OK;
nomem:
    retain_eval_ctx_free(ctx);
    return RETAIN_ENOMEM;
}

static void ctx_error(const retain_eval_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void ctx_error(const retain_eval_ctx *ctx, int code, const char *fmt, ...)
{
    retain_diag *d = &ctx->work->diag;
    memset(d, 0, sizeof *d);
    d->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    snprintf(ctx->work->errmsg, sizeof ctx->work->errmsg, "%s", d->message);
}

int retain_eval_ctx_new(retain_eval_ctx **out, retain_engine *e)
{
    RT_ENGINE_GUARD(e);
    if (!out)
        return rt_error(e, RETAIN_EINVAL, "out is NULL; pass the address of a context pointer");
    int rc = rt_ctx_create(out, &e->alloc, &e->cfg);
    if (rc)
        return rt_nomem(e);
    const rt_tz *z = NULL;
    if (e->cfg.default_timezone && rt_tz_get(e, e->cfg.default_timezone, &z) == RETAIN_OK)
        (*out)->tz = z;
    rt_clear_error(e);
    return RETAIN_OK;
}

void retain_eval_ctx_clear(retain_eval_ctx *ctx)
{
    if (!ctx)
        return;
    memset(ctx->fields, 0, sizeof ctx->fields);
    if (ctx->dyn)
        memset(ctx->dyn, 0, ctx->dyn_cap * sizeof *ctx->dyn);
    ctx->dyn_count = 0;
    ctx->names_len = 0;
    ctx->has_now = false;
    ctx->now = 0;
}

int retain_eval_ctx_set_now(retain_eval_ctx *ctx, int64_t now_ms)
{
    if (!ctx)
        return RETAIN_EINVAL;
    ctx->now = now_ms;
    ctx->has_now = true;
    return RETAIN_OK;
}

void rt_eval_ctx_set_tz(retain_eval_ctx *ctx, const rt_tz *z)
{
    ctx->tz = z;
}

int retain_eval_ctx_set_timezone(retain_eval_ctx *ctx, retain_engine *e, const char *zone)
{
    if (!e)
        return RETAIN_EINVAL;
    rt_clear_error(e);
    if (!ctx)
        return rt_error(e, RETAIN_EINVAL, "ctx is NULL");
    const char *name = zone && *zone ? zone : e->cfg.default_timezone;
    const rt_tz *z = NULL;
    int rc = rt_tz_get(e, name, &z);
    if (rc) {
        ctx_error(ctx, rc, "%s", e->errmsg);
        return rc;
    }
    ctx->tz = z;
    return RETAIN_OK;
}

retain_value *rt_eval_ctx_slots(retain_eval_ctx *ctx)
{
    return ctx->fields;
}

/* --- dynamic names -------------------------------------------------------- */

const retain_value *rt_ctx_dyn_find(const retain_eval_ctx *ctx, uint64_t hash, const char *name,
                                    size_t len)
{
    if (!ctx->dyn_count)
        return NULL;
    size_t mask = ctx->dyn_cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        const rt_dyn_slot *s = &ctx->dyn[i];
        if (!s->len)
            return NULL;
        if (s->hash == hash && s->len == len && !memcmp(ctx->names + s->name_off, name, len))
            return &s->v;
    }
}

static void slot_put(rt_dyn_slot *tab, size_t cap, const rt_dyn_slot *s)
{
    size_t i = (size_t)s->hash & (cap - 1);
    while (tab[i].len)
        i = (i + 1) & (cap - 1);
    tab[i] = *s;
}

int rt_eval_ctx_bind_dyn(retain_eval_ctx *ctx, const char *name, size_t len,
                         const retain_value *v)
{
    if (len == 0 || len > UINT32_MAX)
        return RETAIN_EINVAL;
    uint64_t h = rt_name_hash(name, len);
    retain_value val;
    if (v)
        val = *v;
    else
        memset(&val, 0, sizeof val);
    retain_value *existing = (retain_value *)rt_ctx_dyn_find(ctx, h, name, len);
    if (existing) {
        *existing = val;
        return RETAIN_OK;
    }
    if ((ctx->dyn_count + 1) * 2 > ctx->dyn_cap) {
        size_t ncap = ctx->dyn_cap ? ctx->dyn_cap * 2 : 16;
        rt_dyn_slot *tab = rt_calloc(&ctx->alloc, ncap, sizeof *tab);
        if (!tab)
            return RETAIN_ENOMEM;
        for (size_t i = 0; i < ctx->dyn_cap; i++)
            if (ctx->dyn[i].len)
                slot_put(tab, ncap, &ctx->dyn[i]);
        rt_free(&ctx->alloc, ctx->dyn);
        ctx->dyn = tab;
        ctx->dyn_cap = ncap;
    }
    if (ctx->names_len + len > ctx->names_cap) {
        size_t ncap = ctx->names_cap ? ctx->names_cap : 256;
        while (ncap < ctx->names_len + len)
            ncap *= 2;
        if (ncap > UINT32_MAX)
            return RETAIN_ENOMEM;
        char *nn = rt_realloc(&ctx->alloc, ctx->names, ncap);
        if (!nn)
            return RETAIN_ENOMEM;
        ctx->names = nn;
        ctx->names_cap = ncap;
    }
    memcpy(ctx->names + ctx->names_len, name, len);
    rt_dyn_slot s = { h, (uint32_t)ctx->names_len, (uint32_t)len, val };
    ctx->names_len += len;
    slot_put(ctx->dyn, ctx->dyn_cap, &s);
    ctx->dyn_count++;
    return RETAIN_OK;
}

/* --- checked binding -------------------------------------------------------- */

static bool value_ok(const retain_eval_ctx *ctx, const char *name, const retain_value *v,
                     int depth)
{
    switch (v->type) {
    case RETAIN_TYPE_NULL: case RETAIN_TYPE_INT: case RETAIN_TYPE_TIME:
    case RETAIN_TYPE_DURATION:
        return true;
    case RETAIN_TYPE_BOOL:
        if (v->u.b != 0 && v->u.b != 1) {
            ctx_error(ctx, RETAIN_EINVAL, "%s: a bool must be 0 or 1", name);
            return false;
        }
        return true;
    case RETAIN_TYPE_FLOAT:
        if (v->u.f != v->u.f || v->u.f - v->u.f != 0) {
            ctx_error(ctx, RETAIN_EINVAL, "%s: a float must be finite", name);
            return false;
        }
        return true;
    case RETAIN_TYPE_MONEY: {
        const retain_money_value *m = &v->u.money;
        int digits = m->currency[3] == '\0' ? rt_currency_digits(m->currency) : -1;
        if (digits < 0) {
            ctx_error(ctx, RETAIN_EINVAL,
                      "%s: money needs an ISO 4217 currency (got \"%.3s\"); use "
                      "retain_value_money(minor_units, \"EUR\")",
                      name, m->currency);
            return false;
        }
        if (m->scale < 0 || m->scale > 18) {
            ctx_error(ctx, RETAIN_EINVAL, "%s: money scale %d is out of range", name,
                      (int)m->scale);
            return false;
        }
        return true;
    }
    case RETAIN_TYPE_STRING:
        if ((!v->u.str.ptr && v->u.str.len) ||
            (v->u.str.len && !rt_utf8_valid(v->u.str.ptr, v->u.str.len))) {
            ctx_error(ctx, RETAIN_EINVAL, "%s: the string is not valid UTF-8", name);
            return false;
        }
        return true;
    case RETAIN_TYPE_LIST:
        if (depth > 0) {
            ctx_error(ctx, RETAIN_EINVAL, "%s: lists cannot contain lists", name);
            return false;
        }
        if (!v->u.list.items && v->u.list.count) {
            ctx_error(ctx, RETAIN_EINVAL, "%s: list items are NULL", name);
            return false;
        }
        for (size_t i = 0; i < v->u.list.count; i++)
            if (!value_ok(ctx, name, &v->u.list.items[i], depth + 1))
                return false;
        return true;
    default:
        ctx_error(ctx, RETAIN_EINVAL, "%s: unknown value type %d", name, (int)v->type);
        return false;
    }
}

int retain_eval_ctx_set(retain_eval_ctx *ctx, retain_field f, const retain_value *v)
{
    if (!ctx)
        return RETAIN_EINVAL;
    const char *name = retain_field_name(f);
    if (!name) {
        ctx_error(ctx, RETAIN_EINVAL, "field %d does not exist", (int)f);
        return RETAIN_EINVAL;
    }
    retain_value *slot = &ctx->fields[f];
    if (!v || v->type == RETAIN_TYPE_NULL) {
        slot->type = RETAIN_TYPE_NULL;
        return RETAIN_OK;
    }
    if (!value_ok(ctx, name, v, 0))
        return RETAIN_EINVAL;
    retain_type elem;
    retain_type want = retain_field_type(f, &elem);
    retain_value val = *v;
    if (want == RETAIN_TYPE_FLOAT && val.type == RETAIN_TYPE_INT) {
        val.type = RETAIN_TYPE_FLOAT;
        val.u.f = (double)v->u.i;
    }
    if (val.type != want) {
        ctx_error(ctx, RETAIN_EINVAL, "%s is %s, not %s", name, retain_type_name(want),
                  retain_type_name(val.type));
        return RETAIN_EINVAL;
    }
    if (want == RETAIN_TYPE_TIME && val.u.time == RETAIN_TIME_NONE) {
        slot->type = RETAIN_TYPE_NULL;
        return RETAIN_OK;
    }
    if (want == RETAIN_TYPE_LIST)
        for (size_t i = 0; i < val.u.list.count; i++)
            if (val.u.list.items[i].type != elem && val.u.list.items[i].type != RETAIN_TYPE_NULL) {
                ctx_error(ctx, RETAIN_EINVAL, "%s is a list of %s, but item %zu is %s", name,
                          retain_type_name(elem), i, retain_type_name(val.u.list.items[i].type));
                return RETAIN_EINVAL;
            }
    *slot = val;
    return RETAIN_OK;
}

int retain_eval_ctx_bind(retain_eval_ctx *ctx, const char *name, const retain_value *v)
{
    if (!ctx)
        return RETAIN_EINVAL;
    if (!name) {
        ctx_error(ctx, RETAIN_EINVAL, "name is NULL");
        return RETAIN_EINVAL;
    }
    retain_field f = retain_field_lookup(name);
    if (f != RETAIN_FIELD_NONE)
        return retain_eval_ctx_set(ctx, f, v);
    static const char *const prefixes[] = { "customer.attr.", "customer.consent.",
                                            "event.props.", "vars." };
    size_t len = strlen(name);
    bool ok = false;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (len > n && !strncmp(name, prefixes[i], n))
            ok = true;
    }
    if (!ok || !rt_utf8_valid(name, len)) {
        ctx_error(ctx, RETAIN_EINVAL,
                  "cannot bind \"%.100s\": not a field, nor customer.attr.*, "
                  "customer.consent.*, event.props.* or vars.*",
                  name);
        return RETAIN_EINVAL;
    }
    if (v && !value_ok(ctx, name, v, 0))
        return RETAIN_EINVAL;
    if (v && !strncmp(name, "customer.consent.", 17) && v->type != RETAIN_TYPE_BOOL &&
        v->type != RETAIN_TYPE_NULL) {
        ctx_error(ctx, RETAIN_EINVAL, "%s is bool (true, false, or null when unknown)", name);
        return RETAIN_EINVAL;
    }
    int rc = rt_eval_ctx_bind_dyn(ctx, name, len, v);
    if (rc)
        ctx_error(ctx, rc, "out of memory");
    return rc;
}

const char *retain_eval_ctx_errmsg(const retain_eval_ctx *ctx)
{
    return ctx ? ctx->work->errmsg : "no context (NULL)";
}

const retain_diag *retain_eval_ctx_diag(const retain_eval_ctx *ctx)
{
    return ctx ? &ctx->work->diag : NULL;
}

/* --- evaluation -------------------------------------------------------------- */

int rt_eval_bad_args(const retain_rule *r, const retain_eval_ctx *ctx)
{
    if (ctx)
        ctx_error(ctx, RETAIN_EINVAL, "%s is NULL", !r ? "rule" : "out");
    return RETAIN_EINVAL;
}

int retain_rule_test(const retain_rule *r, const retain_eval_ctx *ctx, int *out)
{
    retain_value v;
    if (!out)
        return RETAIN_EINVAL;
    *out = 0;
    int rc = retain_rule_eval(r, ctx, &v);
    if (rc == RETAIN_OK)
        *out = v.type == RETAIN_TYPE_BOOL && v.u.b;
    return rc;
}

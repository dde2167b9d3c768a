/*
 * fields.c - the names a rule can use: fixed fields (resolved to context
 * slots), dynamic names (customer.attr.*, customer.consent.*,
 * event.props.*, vars.*), builtins, and "did you mean" suggestions.
 */
#include "comp.h"

#include <string.h>

#define S RETAIN_TYPE_STRING
#define I RETAIN_TYPE_INT
#define M RETAIN_TYPE_MONEY
#define TM RETAIN_TYPE_TIME
#define FL RETAIN_TYPE_FLOAT
#define N RETAIN_TYPE_NULL

/* In retain_field order. */
static const field_def fields[] = {
    { "", RETAIN_FIELD_NONE, N, N },
    { "customer.id", RETAIN_FIELD_CUSTOMER_ID, S, N },
    { "customer.email", RETAIN_FIELD_CUSTOMER_EMAIL, S, N },
    { "customer.phone", RETAIN_FIELD_CUSTOMER_PHONE, S, N },
    { "customer.timezone", RETAIN_FIELD_CUSTOMER_TIMEZONE, S, N },
    { "customer.locale", RETAIN_FIELD_CUSTOMER_LOCALE, S, N },
    { "customer.orders_count", RETAIN_FIELD_CUSTOMER_ORDERS_COUNT, I, N },
    { "customer.revenue", RETAIN_FIELD_CUSTOMER_REVENUE, M, N },
    { "customer.first_order_at", RETAIN_FIELD_CUSTOMER_FIRST_ORDER_AT, TM, N },
    { "customer.last_order_at", RETAIN_FIELD_CUSTOMER_LAST_ORDER_AT, TM, N },
    { "customer.p_alive", RETAIN_FIELD_CUSTOMER_P_ALIVE, FL, N },
    { "customer.clv", RETAIN_FIELD_CUSTOMER_CLV, M, N },
    { "order.id", RETAIN_FIELD_ORDER_ID, S, N },
    { "order.channel", RETAIN_FIELD_ORDER_CHANNEL, S, N },
    { "order.total", RETAIN_FIELD_ORDER_TOTAL, M, N },
    { "order.currency", RETAIN_FIELD_ORDER_CURRENCY, S, N },
    { "order.placed_at", RETAIN_FIELD_ORDER_PLACED_AT, TM, N },
    { "order.status", RETAIN_FIELD_ORDER_STATUS, S, N },
    { "order.lines_count", RETAIN_FIELD_ORDER_LINES_COUNT, I, N },
    { "order.skus", RETAIN_FIELD_ORDER_SKUS, RETAIN_TYPE_LIST, S },
    { "order.coupon", RETAIN_FIELD_ORDER_COUPON, S, N },
    { "shipment.carrier", RETAIN_FIELD_SHIPMENT_CARRIER, S, N },
    { "shipment.status", RETAIN_FIELD_SHIPMENT_STATUS, S, N },
    { "shipment.promised_at", RETAIN_FIELD_SHIPMENT_PROMISED_AT, TM, N },
    { "shipment.eta", RETAIN_FIELD_SHIPMENT_ETA, TM, N },
    { "shipment.delivered_at", RETAIN_FIELD_SHIPMENT_DELIVERED_AT, TM, N },
    { "shipment.exception", RETAIN_FIELD_SHIPMENT_EXCEPTION, S, N },
    { "event.name", RETAIN_FIELD_EVENT_NAME, S, N },
    { "event.at", RETAIN_FIELD_EVENT_AT, TM, N },
    { "journey.entered_at", RETAIN_FIELD_JOURNEY_ENTERED_AT, TM, N },
    { "journey.step", RETAIN_FIELD_JOURNEY_STEP, S, N },
    { "journey.variant", RETAIN_FIELD_JOURNEY_VARIANT, S, N },
};

#undef S
#undef I
#undef M
#undef TM
#undef FL
#undef N

/* A derived field: customer.days_since_last_order is
 * days_since(customer.last_order_at), computed from now at evaluation. */
#define DAYS_SINCE_LAST_ORDER "customer.days_since_last_order"

_Static_assert(sizeof fields / sizeof fields[0] == RETAIN_FIELD_COUNT,
               "one entry per retain_field");

const field_def *field_find(const char *name, size_t len)
{
    for (size_t i = 1; i < sizeof fields / sizeof fields[0]; i++)
        if (strlen(fields[i].name) == len && !memcmp(fields[i].name, name, len))
            return &fields[i];
    return NULL;
}

const field_def *field_at(retain_field f)
{
    if ((int)f <= 0 || f >= RETAIN_FIELD_COUNT)
        return NULL;
    return &fields[f];
}

const char *retain_field_name(retain_field f)
{
    const field_def *d = field_at(f);
    return d ? d->name : NULL;
}

retain_field retain_field_lookup(const char *name)
{
    const field_def *d = name ? field_find(name, strlen(name)) : NULL;
    return d ? d->id : RETAIN_FIELD_NONE;
}

retain_type retain_field_type(retain_field f, retain_type *elem)
{
    const field_def *d = field_at(f);
    if (elem)
        *elem = d ? d->elem : RETAIN_TYPE_NULL;
    return d ? d->type : RETAIN_TYPE_NULL;
}

/* --- builtins ----------------------------------------------------------- */

static const char *const builtins[F__COUNT] = {
    "now", "days_since", "hours_since", "local_hour", "local_weekday", "lower", "upper", "len",
    "contains", "starts_with", "ends_with", "min", "max", "abs", "round", "any",
};

int builtin_find(const char *name, size_t len)
{
    for (int i = 0; i < F__COUNT; i++)
        if (strlen(builtins[i]) == len && !memcmp(builtins[i], name, len))
            return i;
    return -1;
}

const char *builtin_name(int f)
{
    return f >= 0 && f < F__COUNT ? builtins[f] : "?";
}

const char *const *builtin_names(size_t *n)
{
    *n = F__COUNT;
    return builtins;
}

/* --- suggestions -------------------------------------------------------- */

/* Optimal string alignment distance, bounded by `max` (returns max+1 when
 * further). Three rows keep it small on the stack. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb, size_t max)
{
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > max)
        return max + 1;
    size_t r0[65], r1[65], r2[65];
    size_t *pp = r0, *p = r1, *cur = r2;
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = p[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (p[j - 1] + cost < v) v = p[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
        }
        size_t *t = pp;
        pp = p;
        p = cur;
        cur = t;
    }
    return p[lb];
}

static void consider(const char *s, size_t len, const char *cand, size_t *best,
                     const char **best_name)
{
    size_t max = len < 4 ? 1 : len < 8 ? 2 : 3;
    size_t dd = distance(s, len, cand, strlen(cand), max);
    if (dd <= max && dd < *best) {
        *best = dd;
        *best_name = cand;
    }
}

const char *suggest_name(comp *c, const char *s, size_t len, const char *const *extra,
                         size_t nextra)
{
    (void)c;
    size_t best = (size_t)-1;
    const char *name = NULL;
    for (size_t i = 0; i < nextra; i++)
        consider(s, len, extra[i], &best, &name);
    return name;
}

/* The fixed names plus the dynamic prefixes, for suggestions. */
static const char *const *known_names(size_t *n)
{
    static const char *const names[] = {
        "customer.id", "customer.email", "customer.phone", "customer.timezone",
        "customer.locale", "customer.orders_count", "customer.revenue",
        "customer.first_order_at", "customer.last_order_at", "customer.p_alive",
        "customer.clv", "order.id", "order.channel", "order.total", "order.currency",
        "order.placed_at", "order.status", "order.lines_count", "order.skus", "order.coupon",
        "shipment.carrier", "shipment.status", "shipment.promised_at", "shipment.eta",
        "shipment.delivered_at", "shipment.exception", "event.name", "event.at",
        "journey.entered_at", "journey.step", "journey.variant", DAYS_SINCE_LAST_ORDER,
    };
    *n = sizeof names / sizeof names[0];
    return names;
}

/* Declared names from the options (vars and typed attributes). */
static const retain_rule_var *declared(comp *c, const char *path, size_t len)
{
    if (!c->opts || !c->opts->vars)
        return NULL;
    for (size_t i = 0; i < c->opts->nvars; i++) {
        const char *n = c->opts->vars[i].name;
        if (n && strlen(n) == len && !memcmp(n, path, len))
            return &c->opts->vars[i];
    }
    return NULL;
}

typedef const char *(*key_fn)(const comp *c, uint32_t i, size_t *len);

static const char *dyn_key(const comp *c, uint32_t i, size_t *len)
{
    *len = c->dyn[i].len;
    return c->dyn[i].name;
}

static const char *field_key(const comp *c, uint32_t i, size_t *len)
{
    *len = strlen(c->fields[i].name);
    return c->fields[i].name;
}

static void ix_put(uint32_t *slots, size_t cap, uint64_t h, uint32_t v)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = v;
}

/* The entry called name (or -1); *room is where a new one would go. Keeps
 * lookups constant-time, so a rule naming 10^4 attributes compiles in
 * linear time. */
static int32_t ix_get(comp *c, name_ix *ix, key_fn key, const char *name, size_t len,
                      uint32_t **room)
{
    *room = NULL;
    if ((ix->count + 1) * 2 > ix->cap) {
        size_t ncap = ix->cap ? ix->cap * 2 : 64;
        uint32_t *ns = rt_calloc(&c->rule->alloc, ncap, sizeof *ns);
        if (!ns)
            return cnomem(c), -1;
        for (uint32_t i = 0; i < ix->count; i++) {
            size_t kl;
            const char *k = key(c, i, &kl);
            ix_put(ns, ncap, rt_name_hash(k, kl), i + 1);
        }
        rt_free(&c->rule->alloc, ix->slots);
        ix->slots = ns;
        ix->cap = ncap;
    }
    size_t mask = ix->cap - 1;
    for (size_t i = (size_t)rt_name_hash(name, len) & mask;; i = (i + 1) & mask) {
        if (!ix->slots[i]) {
            *room = &ix->slots[i];
            return -1;
        }
        size_t kl;
        const char *k = key(c, ix->slots[i] - 1, &kl);
        if (kl == len && !memcmp(k, name, len))
            return (int32_t)(ix->slots[i] - 1);
    }
}

void names_free(comp *c)
{
    rt_free(&c->rule->alloc, c->dyn_ix.slots);
    rt_free(&c->rule->alloc, c->fields_ix.slots);
    memset(&c->dyn_ix, 0, sizeof c->dyn_ix);
    memset(&c->fields_ix, 0, sizeof c->fields_ix);
}

/* Add (or find) a dynamic name; returns its index. */
static int32_t dyn_add(comp *c, const char *path, size_t len, retain_type type)
{
    uint32_t *room;
    int32_t found = ix_get(c, &c->dyn_ix, dyn_key, path, len, &room);
    if (found >= 0 || !room)
        return found;
    if (!cgrow(c, (void **)&c->dyn, &c->dyn_cap, c->ndyn + 1, sizeof *c->dyn))
        return -1;
    char *copy = rt_pool_alloc(&c->rule->pool, len + 1);
    if (!copy)
        return -1;
    memcpy(copy, path, len);
    copy[len] = '\0';
    rt_dyn *d = &c->dyn[c->ndyn];
    d->name = copy;
    d->len = (uint32_t)len;
    d->hash = rt_name_hash(path, len);
    d->type = type;
    *room = (uint32_t)c->ndyn + 1;
    c->dyn_ix.count++;
    return (int32_t)c->ndyn++;
}

static bool has_prefix(const char *path, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len > n && !memcmp(path, prefix, n);
}

static int32_t unknown(comp *c, const char *path, size_t len, uint32_t pos)
{
    size_t n;
    const char *const *names = known_names(&n);
    const char *sug = suggest_name(c, path, len, names, n);
    char alt[300];
    /* customer.atr.vip -> customer.attr.vip: fix the prefix, keep the key. */
    if (!sug) {
        static const char *const prefixes[] = { "customer.attr", "customer.consent",
                                                "event.props" };
        const char *dot = memchr(path, '.', len);
        const char *dot2 = dot ? memchr(dot + 1, '.', len - (size_t)(dot + 1 - path)) : NULL;
        if (dot2) {
            size_t plen = (size_t)(dot2 - path);
            const char *p = suggest_name(c, path, plen, prefixes, 3);
            if (p) {
                snprintf(alt, sizeof alt, "%s%.*s", p, (int)(len - plen), dot2);
                sug = alt;
            }
        }
    }
    if (!sug && c->opts && c->opts->vars) {
        for (size_t i = 0; i < c->opts->nvars && !sug; i++) {
            const char *v = c->opts->vars[i].name;
            if (v) {
                size_t best = (size_t)-1;
                const char *nm = NULL;
                consider(path, len, v, &best, &nm);
                sug = nm;
            }
        }
    }
    if (sug)
        return cerr(c, RETAIN_EPARSE, pos, "unknown field \"%.*s\" (did you mean \"%s\"?)",
                    (int)len, path, sug),
               -1;
    return cerr(c, RETAIN_EPARSE, pos,
                "unknown field \"%.*s\" (fields start with customer., order., shipment., "
                "event., journey. or vars.)",
                (int)len, path),
           -1;
}

static bool record_field(comp *c, const char *name, retain_field id, retain_type type,
                         retain_type elem)
{
    uint32_t *room;
    int32_t found = ix_get(c, &c->fields_ix, field_key, name, strlen(name), &room);
    if (found >= 0)
        return true;
    if (!room || !cgrow(c, (void **)&c->fields, &c->fields_cap, c->nfields + 1, sizeof *c->fields))
        return false;
    retain_rule_field *f = &c->fields[c->nfields++];
    f->name = name;
    f->id = id;
    f->type = type;
    f->elem = elem;
    *room = (uint32_t)c->nfields;
    c->fields_ix.count++;
    return true;
}

static int32_t field_node(comp *c, const field_def *d, uint32_t pos)
{
    int32_t n = node_new(c, NK_FIELD, pos);
    if (n < 0 || !record_field(c, d->name, d->id, d->type, d->elem))
        return cnomem(c), -1;
    c->nodes[n].k = (int32_t)d->id;
    c->nodes[n].type = (uint8_t)d->type;
    c->nodes[n].elem = (uint8_t)d->elem;
    c->nodes[n].flags = NF_CHECKED;
    c->rule->field_mask |= (uint64_t)1 << d->id;
    return n;
}

int32_t resolve_path(comp *c, const char *path, size_t len, uint32_t pos)
{
    const field_def *d = field_find(path, len);
    if (d)
        return field_node(c, d, pos);
    if (len == strlen(DAYS_SINCE_LAST_ORDER) && !memcmp(path, DAYS_SINCE_LAST_ORDER, len)) {
        int32_t f = field_node(c, field_at(RETAIN_FIELD_CUSTOMER_LAST_ORDER_AT), pos);
        if (f < 0)
            return -1;
        int32_t n = node_new(c, NK_CALL, pos);
        if (n < 0 || !cgrow(c, (void **)&c->args, &c->args_cap, c->nargs + 1, sizeof *c->args))
            return cnomem(c), -1;
        c->args[c->nargs] = f;
        c->nodes[n].op = F_DAYS_SINCE;
        c->nodes[n].a = (int32_t)c->nargs++;
        c->nodes[n].b = 1;
        return n;
    }
    retain_type type = RETAIN_TYPE_ANY, elem = RETAIN_TYPE_NULL;
    const retain_rule_var *decl = declared(c, path, len);
    if (has_prefix(path, len, "customer.consent.")) {
        type = RETAIN_TYPE_BOOL;
    } else if (has_prefix(path, len, "customer.attr.") || has_prefix(path, len, "event.props.")) {
        if (decl) {
            type = decl->type;
            elem = decl->elem;
        }
    } else if (has_prefix(path, len, "vars.")) {
        if (!decl) {
            size_t nv = 0;
            const char *names[64];
            for (size_t i = 0; c->opts && c->opts->vars && i < c->opts->nvars && nv < 64; i++)
                if (c->opts->vars[i].name)
                    names[nv++] = c->opts->vars[i].name;
            const char *sug = suggest_name(c, path, len, names, nv);
            if (sug)
                return cerr(c, RETAIN_EPARSE, pos,
                            "unknown variable \"%.*s\" (did you mean \"%s\"?)", (int)len, path,
                            sug),
                       -1;
            return cerr(c, RETAIN_EPARSE, pos,
                        "unknown variable \"%.*s\": the host must declare it "
                        "(retain_rule_options.vars)",
                        (int)len, path),
                   -1;
        }
        type = decl->type;
        elem = decl->elem;
    } else {
        return unknown(c, path, len, pos);
    }
    int32_t k = dyn_add(c, path, len, type);
    int32_t n = k < 0 ? -1 : node_new(c, NK_DYN, pos);
    if (n < 0 || !record_field(c, c->dyn[k].name, RETAIN_FIELD_NONE, type, elem))
        return cnomem(c), -1;
    c->nodes[n].k = k;
    c->nodes[n].type = (uint8_t)type;
    c->nodes[n].elem = (uint8_t)elem;
    c->nodes[n].flags = NF_CHECKED;
    return n;
}

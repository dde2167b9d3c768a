/*
 * replenish.c - consumption cycles per SKU (configured, learned from
 * repurchase intervals, or the fallback) and the replenishment reminders a
 * tick fires before each purchase's expected run-out.
 */
#include "domain.h"
#include "core/buf.h"
#include "core/check.h"
#include "store/domain_store.h"
#include "store/event.h"
#include "retain/replenish.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define MAX_CYCLE_MS (3660LL * DAY_MS)
#define BATCH 128

static int effective(retain_engine *e, const char *sku, retain_sku_cycle *out, bool *found)
{
    ds_cycle c;
    int rc = ds_cycle_get(e, sku, &c, found);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    out->configured_ms = c.configured_ms;
    out->learned_ms = c.learned_ms;
    out->samples = c.samples;
    if (c.configured_ms > 0) {
        out->cycle_ms = c.configured_ms;
        out->source = RETAIN_CYCLE_CONFIGURED;
    } else if (c.learned_ms > 0 && c.samples >= e->cfg.replenish_min_samples) {
        out->cycle_ms = c.learned_ms;
        out->source = RETAIN_CYCLE_LEARNED;
    } else if (e->cfg.replenish_fallback_cycle_ms > 0) {
        out->cycle_ms = e->cfg.replenish_fallback_cycle_ms;
        out->source = RETAIN_CYCLE_FALLBACK;
    }
    return RETAIN_OK;
}

static int cycle_of(void *ctx, const char *sku, int64_t *per_unit_ms)
{
    retain_sku_cycle c;
    bool found;
    int rc = effective(ctx, sku, &c, &found);
    *per_unit_ms = rc ? 0 : c.cycle_ms;
    return rc;
}

static int reschedule(retain_engine *e, const char *sku)
{
    int64_t per_unit = 0;
    int rc = cycle_of(e, sku, &per_unit);
    return rc ? rc : ds_replenish_reschedule(e, sku, per_unit, e->cfg.replenish_lead_ms);
}

static int check_sku(retain_engine *e, const char *sku)
{
    int rc = rt_check_id(e, "sku", sku);
    bool known = false;
    if (rc || (rc = ds_sku_known(e, sku, &known)))
        return rc;
    if (!known)
        return rt_error(e, RETAIN_ENOTFOUND,
                        "SKU \"%.80s\" is unknown: no product or order line names it", sku);
    return RETAIN_OK;
}

int retain_sku_cycle_set(retain_engine *e, const char *sku, int64_t cycle_ms)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "sku", sku)))
        return rc;
    if (cycle_ms < 0 || cycle_ms > MAX_CYCLE_MS)
        return rt_error(e, RETAIN_EINVAL,
                        "cycle_ms is %lld; it must be 1 ms to 10 years, or 0 to clear",
                        (long long)cycle_ms);
    if ((rc = check_sku(e, sku)) || (rc = rt_tx_begin(e)))
        return rc;
    rc = ds_cycle_configure(e, sku, cycle_ms);
    if (rc == RETAIN_OK)
        rc = reschedule(e, sku);
    return rt_tx_end(e, rc);
}

int retain_sku_cycle_get(retain_sku_cycle *out, retain_engine *e, const char *sku)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_ptr(e, "out", out);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    bool found;
    if ((rc = check_sku(e, sku)))
        return rc;
    return effective(e, sku, out, &found);
}

/* ---- learning ------------------------------------------------------------ */

typedef struct learned {
    char sku[257];
    int64_t median_ms, samples;
} learned;

typedef struct learner {
    retain_engine *e;
    double *v;
    size_t n, cap;
    learned *out;
    size_t nout, capout;
    char sku[257];
} learner;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* `items` with room for one more element (doubling from `first`), or NULL
 * (items untouched) when out of memory. */
static void *room(learner *L, void *items, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t ncap = *cap ? *cap * 2 : first;
    void *p = rt_realloc(&L->e->alloc, items, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

static int flush(learner *L)
{
    if (L->n == 0)
        return RETAIN_OK;
    learned *out = room(L, L->out, L->nout, &L->capout, sizeof *L->out, 64);
    if (!out)
        return rt_nomem(L->e);
    L->out = out;
    qsort(L->v, L->n, sizeof *L->v, cmp_double);
    double m = L->n % 2 ? L->v[L->n / 2] : (L->v[L->n / 2 - 1] + L->v[L->n / 2]) / 2;
    learned *o = &L->out[L->nout++];
    rt_copy(o->sku, sizeof o->sku, L->sku);
    o->median_ms = m > (double)MAX_CYCLE_MS ? MAX_CYCLE_MS : (int64_t)llround(m);
    o->samples = (int64_t)L->n;
    L->n = 0;
    return RETAIN_OK;
}

static int add_sample(void *ctx, const char *sku, double per_unit_ms)
{
    learner *L = ctx;
    int rc;
    if (strcmp(sku, L->sku) != 0) {
        if ((rc = flush(L)))
            return rc;
        rt_copy(L->sku, sizeof L->sku, sku);
    }
    double *v = room(L, L->v, L->n, &L->cap, sizeof *L->v, 256);
    if (!v)
        return rt_nomem(L->e);
    L->v = v;
    L->v[L->n++] = per_unit_ms;
    return RETAIN_OK;
}

static int learn(retain_engine *e, int64_t now, int64_t *count)
{
    learner L;
    memset(&L, 0, sizeof L);
    L.e = e;
    int rc = ds_repurchase_each(e, DAY_MS, add_sample, &L);
    if (rc == RETAIN_OK)
        rc = flush(&L);
    for (size_t i = 0; i < L.nout && rc == RETAIN_OK; i++) {
        rc = ds_cycle_learned(e, L.out[i].sku, L.out[i].median_ms, L.out[i].samples, now);
        if (rc == RETAIN_OK)
            rc = reschedule(e, L.out[i].sku);
    }
    *count = (int64_t)L.nout;
    rt_free(&e->alloc, L.v);
    rt_free(&e->alloc, L.out);
    return rc;
}

int retain_replenish_learn(int64_t *skus, retain_engine *e, int64_t now)
{
    if (skus)
        *skus = 0;
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)) || (rc = rt_tx_begin(e)))
        return rc;
    int64_t n = 0;
    rc = rt_tx_end(e, learn(e, now, &n));
    if (rc == RETAIN_OK && skus)
        *skus = n;
    return rc;
}

/* ---- the tick ------------------------------------------------------------ */

static int remind(retain_engine *e, const ds_purchase *p, int64_t now)
{
    if (p->quantity == 0)
        return ds_replenish_set_state(e, p->order_key, p->sku, "void");
    if (now - p->due_at > e->cfg.replenish_grace_ms)
        return ds_replenish_set_state(e, p->order_key, p->sku, "lapsed");
    retain_sku_cycle c;
    bool found;
    int rc = effective(e, p->sku, &c, &found);
    if (rc)
        return rc;
    static const char *const sources[] = { "none", "configured", "learned", "fallback" };
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"sku\":");
    rt_buf_json_str(&b, p->sku);
    rt_buf_puts(&b, ",\"order_id\":");
    rt_buf_json_str(&b, p->order_id);
    rt_buf_printf(&b, ",\"quantity\":%lld,\"cycle_ms\":%lld,\"runout_at\":%lld,\"source\":\"%s\"}",
                  (long long)p->quantity, (long long)((p->runout_at - p->placed_at) / p->quantity),
                  (long long)p->runout_at, sources[c.source]);
    char *props = NULL;
    if (rt_buf_finish(&b, &props))
        return rt_nomem(e);
    rc = ds_replenish_set_state(e, p->order_key, p->sku, "fired");
    if (rc == RETAIN_OK)
        rc = rt_event_emit(e, p->customer, "replenishment.due", p->due_at, props, p->order_key, 0);
    rt_free(&e->alloc, props);
    return rc;
}

int rt_replenish_tick(retain_engine *e, int64_t now)
{
    /* Each part first looks, in a read, whether it has anything to do: a
     * tick with nothing to do takes no write lock. */
    int rc, taken = 0;
    bool todo = false;
    if ((rc = ds_replenish_todo_any(e, &todo)))
        return rc;
    while (todo) {
        if ((rc = rt_tx_begin(e)))
            return rc;
        rc = rt_tx_end(e, ds_replenish_intake(e, 256, cycle_of, e, e->cfg.replenish_lead_ms,
                                              &taken));
        if (rc)
            return rc;
        todo = taken == 256;
    }
    ds_purchase *batch = rt_calloc(&e->alloc, BATCH, sizeof *batch);
    if (!batch)
        return rt_nomem(e);
    int n = 0;
    if ((rc = ds_replenish_due(e, now, batch, 1, &n)) || n == 0) {
        rt_free(&e->alloc, batch);
        return rc;
    }
    do {
        if ((rc = rt_tx_begin(e)))
            break;
        rc = ds_replenish_due(e, now, batch, BATCH, &n);
        for (int i = 0; i < n && rc == RETAIN_OK; i++)
            rc = remind(e, &batch[i], now);
        rc = rt_tx_end(e, rc);
    } while (rc == RETAIN_OK && n == BATCH);
    rt_free(&e->alloc, batch);
    return rc;
}

int retain_replenish_get(retain_replenish_state *state, int64_t *due_at, retain_engine *e,
                         const char *order_id, const char *sku)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "state", state)) || (rc = rt_check_ptr(e, "due_at", due_at)))
        return rc;
    *state = RETAIN_REPLENISH_NONE;
    *due_at = RETAIN_TIME_NONE;
    if ((rc = rt_check_id(e, "order_id", order_id)) || (rc = rt_check_id(e, "sku", sku)))
        return rc;
    char s[16];
    if ((rc = ds_replenish_state(e, order_id, sku, s, sizeof s, due_at)))
        return rc;
    static const char *const names[] = { "", "pending", "fired", "reordered", "lapsed", "void" };
    for (int i = 1; i < 6; i++)
        if (!strcmp(s, names[i]))
            *state = (retain_replenish_state)i;
    return RETAIN_OK;
}

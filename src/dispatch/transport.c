/*
 * transport.c - the registry of the host's transports, one per channel, and
 * the engine's delivery state.
 */
#include "state.h"
#include "policy/policy.h"
#include "core/check.h"

#include <string.h>

#define MAX_ATTEMPTS_LIMIT 100
#define BACKOFF_CAP_LIMIT (30LL * 86400000)

struct rt_dispatch_state *rt_dispatch_state_of(retain_engine *e)
{
    if (!e->dispatch) {
        e->dispatch = rt_calloc(&e->alloc, 1, sizeof *e->dispatch);
        if (!e->dispatch)
            rt_nomem(e);
    }
    return e->dispatch;
}

/* Call a close callback with the engine marked as inside a callback. */
static void close_slot(retain_engine *e, rt_transport_slot *s)
{
    if (!s->t.close)
        return;
    bool was = e->in_callback;
    e->in_callback = true;
    s->t.close(s->t.userdata);
    e->in_callback = was;
}

static int validate(retain_engine *e, const retain_transport *t)
{
    int rc;
    if ((rc = rt_check_ptr(e, "transport", t)))
        return rc;
    if (t->version == 0 || t->version > RETAIN_TRANSPORT_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "transport.version is %u; initialize with RETAIN_TRANSPORT_INIT",
                        t->version);
    if ((rc = rt_check_name(e, "transport.channel", t->channel)))
        return rc;
    if (!t->send)
        return rt_error(e, RETAIN_EINVAL, "transport.send is NULL; a transport must send");
    if (t->max_attempts < 0 || t->max_attempts > MAX_ATTEMPTS_LIMIT)
        return rt_error(e, RETAIN_EINVAL, "transport.max_attempts is %d; use 0 (default 5) to %d",
                        t->max_attempts, MAX_ATTEMPTS_LIMIT);
    if (t->backoff_base_ms < 0 || t->backoff_cap_ms < 0 || t->lease_ms < 0)
        return rt_error(e, RETAIN_EINVAL,
                        "transport.backoff_base_ms, backoff_cap_ms and lease_ms must be >= 0");
    if (t->backoff_cap_ms > BACKOFF_CAP_LIMIT || t->backoff_base_ms > BACKOFF_CAP_LIMIT)
        return rt_error(e, RETAIN_EINVAL,
                        "transport backoff is longer than 30 days (base %lld ms, cap %lld ms)",
                        (long long)t->backoff_base_ms, (long long)t->backoff_cap_ms);
    if (t->batch < 0 || t->batch > RT_MAX_BATCH)
        return rt_error(e, RETAIN_EINVAL, "transport.batch is %d; use 0 (default %d) to %d",
                        t->batch, RT_DEFAULT_BATCH, RT_MAX_BATCH);
    if (t->lease_ms > BACKOFF_CAP_LIMIT)
        return rt_error(e, RETAIN_EINVAL, "transport.lease_ms %lld is longer than 30 days",
                        (long long)t->lease_ms);
    int64_t base = t->backoff_base_ms ? t->backoff_base_ms : RT_DEFAULT_BACKOFF_BASE;
    int64_t cap = t->backoff_cap_ms ? t->backoff_cap_ms : RT_DEFAULT_BACKOFF_CAP;
    if (base > cap)
        return rt_error(e, RETAIN_EINVAL,
                        "transport backoff base %lld ms is longer than its cap %lld ms",
                        (long long)base, (long long)cap);
    return RETAIN_OK;
}

int retain_transport_register(retain_engine *e, const retain_transport *t)
{
    RT_ENGINE_GUARD(e);
    int rc = validate(e, t);
    if (rc)
        return rc;
    struct rt_dispatch_state *ds = rt_dispatch_state_of(e);
    if (!ds)
        return e->errcode;
    rt_transport_slot *slot = NULL;
    for (int i = 0; i < ds->ntr; i++)
        if (!strcmp(ds->tr[i].channel, t->channel))
            slot = &ds->tr[i];
    if (slot) {
        close_slot(e, slot);
    } else {
        if (ds->ntr == ds->cap) {
            int cap = ds->cap ? ds->cap * 2 : 4;
            rt_transport_slot *v = rt_realloc(&e->alloc, ds->tr, (size_t)cap * sizeof *v);
            if (!v)
                return rt_nomem(e);
            ds->tr = v;
            ds->cap = cap;
        }
        slot = &ds->tr[ds->ntr++];
    }
    memset(slot, 0, sizeof *slot);
    rt_copy(slot->channel, sizeof slot->channel, t->channel);
    /* Copy what this version of the struct has; later members stay 0. */
    memcpy(&slot->t, t, sizeof slot->t);
    slot->t.version = RETAIN_TRANSPORT_VERSION;
    slot->t.channel = slot->channel;
    if (!slot->t.max_attempts)
        slot->t.max_attempts = RT_DEFAULT_MAX_ATTEMPTS;
    if (!slot->t.backoff_base_ms)
        slot->t.backoff_base_ms = RT_DEFAULT_BACKOFF_BASE;
    if (!slot->t.backoff_cap_ms)
        slot->t.backoff_cap_ms = RT_DEFAULT_BACKOFF_CAP;
    if (!slot->t.lease_ms)
        slot->t.lease_ms = RT_DEFAULT_LEASE;
    if (!slot->t.batch)
        slot->t.batch = RT_DEFAULT_BATCH;
    return RETAIN_OK;
}

int retain_transport_unregister(retain_engine *e, const char *channel)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_name(e, "channel", channel);
    if (rc)
        return rc;
    struct rt_dispatch_state *ds = e->dispatch;
    for (int i = 0; ds && i < ds->ntr; i++) {
        if (strcmp(ds->tr[i].channel, channel) != 0)
            continue;
        rt_transport_slot gone = ds->tr[i];
        memmove(&ds->tr[i], &ds->tr[i + 1], (size_t)(ds->ntr - i - 1) * sizeof *ds->tr);
        ds->ntr--;
        for (int k = 0; k < ds->ntr; k++)
            ds->tr[k].t.channel = ds->tr[k].channel;
        gone.t.channel = gone.channel;
        close_slot(e, &gone);
        return RETAIN_OK;
    }
    return rt_error(e, RETAIN_ENOTFOUND, "no transport is registered for channel \"%s\"",
                    channel);
}

const rt_transport_slot *rt_transport_find(retain_engine *e, const char *channel)
{
    struct rt_dispatch_state *ds = e->dispatch;
    for (int i = 0; ds && i < ds->ntr; i++)
        if (!strcmp(ds->tr[i].channel, channel))
            return &ds->tr[i];
    return NULL;
}

void rt_dispatch_free(retain_engine *e)
{
    struct rt_dispatch_state *ds = e->dispatch;
    if (!ds)
        return;
    for (int i = 0; i < ds->ntr; i++)
        close_slot(e, &ds->tr[i]);
    rt_policy_free(e);
    rt_free(&e->alloc, ds->tr);
    rt_free(&e->alloc, ds->scratch);
    rt_free(&e->alloc, ds);
    e->dispatch = NULL;
}

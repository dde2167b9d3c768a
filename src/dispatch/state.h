/*
 * state.h (internal) - what an engine keeps for delivery between calls: the
 * registered transports and the cached policy configuration.
 */
#ifndef RT_DISPATCH_STATE_H
#define RT_DISPATCH_STATE_H

#include "dispatch.h"
#include "retain/transport.h"

typedef struct rt_transport_slot {
    char channel[65];
    retain_transport t; /* t.channel points at `channel` */
} rt_transport_slot;

struct rt_dispatch_state {
    rt_transport_slot *tr;
    int ntr, cap;
    struct rt_policy *policy; /* src/policy */
    /* Claim and row buffers of delivery runs, kept between runs (run.c):
     * a run that finds nothing due, the common case when the host ticks
     * often, then costs no allocation and no zeroing. */
    void *scratch;
    size_t scratch_size;
};

#define RT_DEFAULT_MAX_ATTEMPTS 5
#define RT_DEFAULT_BACKOFF_BASE 60000LL      /* 1 min */
#define RT_DEFAULT_BACKOFF_CAP 21600000LL    /* 6 h */
#define RT_DEFAULT_LEASE 600000LL            /* 10 min */
#define RT_DEFAULT_BATCH 64
#define RT_MAX_BATCH 1000

/* The engine's state, created on first use; NULL (error set) when out of memory. */
struct rt_dispatch_state *rt_dispatch_state_of(retain_engine *e);

/* The transport registered for `channel`, or NULL. */
const rt_transport_slot *rt_transport_find(retain_engine *e, const char *channel);

/* Queue a message (the body of rt_dispatch_enqueue) with what a fallback
 * needs besides the request. */
typedef struct rt_enqueue_extra {
    int64_t fallback_of;  /* the dead message this one replaces, or 0 */
    const char *payload;  /* its payload, re-addressed instead of rebuilt */
    int64_t expires_at;   /* its expiry (INT64_MAX: none) when fallback_of != 0 */
} rt_enqueue_extra;
int rt_enqueue(retain_engine *e, const rt_send_request *req, int64_t now,
               const rt_enqueue_extra *x, bool write, rt_gate_result *out);

#endif

/*
 * journey.h (internal) - the compiled form of journey definitions and the
 * functions the runner, the loader and next/explain share.
 */
#ifndef RT_JOURNEY_H
#define RT_JOURNEY_H

#include "core/engine.h"
#include "dispatch/dispatch.h"

#include <stdbool.h>

typedef struct jr_cond jr_cond; /* a compiled rule with its source location */

typedef enum jr_kind {
    JR_SEND, JR_WAIT, JR_WAIT_FOR, JR_BRANCH, JR_SPLIT, JR_GOTO, JR_EXIT, JR_SET, JR_TASK,
    JR_COUPON, JR_RECOMMEND
} jr_kind;

typedef enum jr_entry { JR_ENTRY_ONCE, JR_ENTRY_ONCE_PER_ORDER, JR_ENTRY_ALWAYS, JR_ENTRY_COOLDOWN } jr_entry;

typedef struct jr_arm {
    jr_cond *when;  /* NULL for else */
    int target;     /* step index */
} jr_arm;

typedef struct jr_variant {
    char *name;
    int weight;
} jr_variant;

typedef struct jr_step {
    char *id;
    int line, column;
    jr_kind kind;
    jr_cond *when;          /* guard: the step is passed over when false */
    int64_t wait_ms;        /* wait before the action (0: none) */
    int wait_until_min;     /* then wait until this local minute of day (-1: none) */
    int next;               /* step index after the action; -1 = end */
    union {
        struct {
            char *channel, *template_id, *category, *fallback;
            int64_t max_age_ms;
            rt_on_policy on_quiet, on_cap;
            bool unless_delivered, unless_delivered_set; /* unset: by the trigger */
        } send;
        struct {
            char *event;
            jr_cond *when;
            int64_t timeout_ms;
            int on_timeout; /* step index, -1 = continue with next */
        } wait_for;
        struct {
            jr_arm *arms;
            int narms;
        } branch;
        struct {
            jr_variant *variants;
            int nvariants;
            int holdout; /* weight of the holdout group (0: none) */
        } split;
        struct {
            char *attrs_json; /* merge patch applied to the customer's attributes */
        } set;
        struct {
            char *kind, *note;
        } task;
        struct {
            char *campaign;
            int on_invalid; /* step index when no working code can be sent */
        } coupon;
        struct {
            int count; /* products put in the payload of later sends */
        } recommend;
    } u;
} jr_step;

typedef struct jr_exit {
    char *event;
    jr_cond *when;
} jr_exit;

typedef struct jr_journey {
    char *name;
    int version;
    char *description;
    char *trigger_event;
    jr_cond *trigger_when;
    jr_entry entry;
    int64_t cooldown_ms;
    jr_exit *exits;
    int nexits;
    char *goal_event;
    int64_t goal_within_ms;
    int64_t stale_after_ms; /* sends due longer ago than this are skipped */
    char **sales_channels;  /* only orders from these channels enter; NULL: any */
    int nsales;
    jr_step *steps;
    int nsteps;
    bool current;           /* the newest version: new customers enter it */
} jr_journey;

struct retain_eval_ctx;
typedef struct rt_journey_set {
    jr_journey **items;
    int count, cap;
    struct retain_eval_ctx *ctx; /* reused by every condition of this engine */
    void *scratch;               /* store rows for conditions (cond.c) */
    int64_t stored;              /* definitions in the store when last read */
    uint64_t checked_tx;         /* the write transaction that last compared them, 0: none */
    /* Some journey has a recommend step: only those leave a payload for
     * later sends (instance_payload), which a send otherwise need not read. */
    bool any_recommend;
} rt_journey_set;

/* Loaded journeys, by name and version; NULL if absent. */
jr_journey *jr_find(retain_engine *e, const char *name, int version);
jr_journey *jr_current(retain_engine *e, const char *name);
int jr_step_index(const jr_journey *j, const char *id);
/* Add a compiled journey to the engine's set, which takes ownership. */
int jr_set_add(retain_engine *e, jr_journey *j);
void jr_journey_free(retain_engine *e, jr_journey *j);
void rt_journeys_free(retain_engine *e);
/* Load the stored definitions this engine has not loaded yet: all on first
 * use, and later those other engines installed since. The set only grows
 * (a stored definition never changes), so journeys callers hold stay valid;
 * safe to call anywhere, also inside a transaction. */
int jr_ensure_loaded(retain_engine *e);
/* Call fn for the current version of every installed journey, in the order
 * they were loaded, stopping at the first status fn returns that is not
 * RETAIN_OK. For readers of the model (the audit) that must not parse the
 * stored YAML a second time. */
int jr_each_current(retain_engine *e, int (*fn)(const jr_journey *j, void *ctx), void *ctx);

/* The steps an instance can go to from step k, written to out (room for
 * jr_successors_max(j) of them); returns how many. */
int jr_successors(const jr_journey *j, int k, int *out);
int jr_successors_max(const jr_journey *j);
/* Whether step s waits (a delay, a time of day, or an event) before acting. */
bool jr_step_waits(const jr_step *s);

/* Parse and validate YAML text into journeys (not yet installed). */
typedef struct jr_diags {
    retain_diag *items;
    size_t cap, count;
    const char *origin;
} jr_diags;
int jr_parse(retain_engine *e, const char *text, size_t len, jr_diags *d, jr_journey ***out,
             int *nout);

/* --- conditions (rules) ------------------------------------------------ */

/* What a rule sees: row ids in the store, the instance, and the time. */
typedef struct jr_ctx {
    int64_t customer_key;
    int64_t order_key;    /* 0 when none */
    int64_t shipment_key; /* 0 when none */
    int64_t event_id;     /* the trigger or awaited event, 0 when none */
    int64_t now;
    const char *journey;
    const char *step;
    const char *variant;
    int64_t entered_at;
} jr_ctx;

/* Compile `src` found at line:column; on error fill *diag and return it. */
int jr_cond_compile(retain_engine *e, const char *src, int line, int column, jr_cond **out,
                    retain_diag *diag);
void jr_cond_free(jr_cond *c);
const char *jr_cond_source(const jr_cond *c);
/* Evaluate; a null or non-boolean result is false. */
int jr_cond_eval(retain_engine *e, const jr_cond *c, const jr_ctx *ctx, bool *result);

/* --- runner hooks ------------------------------------------------------ */

/* Called by rt_event_emit for every recorded event (same transaction). */
int rt_journey_on_event(retain_engine *e, int64_t event_id, int64_t customer_key,
                        const char *name, int64_t at, int64_t order_key, int64_t shipment_key);

/* Deterministic bucket in [0, total) for split steps. */
uint32_t jr_bucket(const char *customer_ext_id, const char *journey, uint32_t total);

/* Next local minute-of-day boundary at or after `t` in `zone` (the
 * store's zone when `zone` is empty or unknown) into *out. RETAIN_ENOMEM
 * when the zone cannot be loaded: another zone's time would be wrong. */
int jr_next_local_minute(retain_engine *e, const char *zone, int64_t t, int minute_of_day,
                         int64_t *out);

#endif

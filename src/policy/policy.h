/*
 * policy.h (internal) - the policy gate and its configuration: consent,
 * marketplace profiles, staleness, quiet hours and frequency caps.
 *
 * The configuration (quiet hours, caps, stored profiles) lives in the
 * database and is cached per engine; the cache is reloaded when the
 * database's policy generation changes, so engines sharing a file agree.
 */
#ifndef RT_POLICY_H
#define RT_POLICY_H

#include "core/engine.h"
#include "core/text.h"
#include "core/arena.h"
#include "dispatch/dispatch.h"

/* ---- marketplace profiles ------------------------------------------------ */

typedef enum rt_anchor { RT_ANCHOR_DELIVERED, RT_ANCHOR_SHIPPED, RT_ANCHOR_PLACED } rt_anchor;

/* A list from YAML; n == -1 when the key was absent. */
typedef struct rt_strs {
    const char **v;
    int n;
} rt_strs;

typedef struct rt_mp_rule {
    const char *name;
    const char *category;      /* NULL: any */
    const char *template_glob; /* NULL: any */
    int max_per_order;         /* -1: no limit */
    bool has_window;
    rt_anchor anchor;
    int64_t from_ms, to_ms;    /* to_ms INT64_MAX: open */
} rt_mp_rule;

typedef struct rt_profile {
    const char *name;
    const char *description;
    bool builtin;
    rt_strs sales_channels;    /* globs with '*' */
    rt_strs allow_categories, deny_categories, allow_channels;
    rt_strs remove_keys;
    rt_strs link_domains;      /* n >= 0: links elsewhere are removed */
    rt_mp_rule *rules;
    int nrules;
} rt_profile;

/* Parse profiles (one per YAML document) into `ar`. On error fill diag
 * (line, column, message) and return RETAIN_EPARSE. */
int rt_profile_parse(retain_engine *e, rt_arena *ar, const char *yaml, size_t len,
                     rt_profile ***out, int *n, retain_diag *diag);

/* Whether rule `r` applies to a message of `category` and `template_id`. */
bool rt_rule_matches(const rt_mp_rule *r, const char *category, const char *template_id);

/* What a profile allows whatever the order: the channel (NULL: not
 * checked), the category, and rules that allow no such message at all. */
bool rt_profile_allows(const rt_profile *p, const char *channel, const char *category,
                       const char *template_id, char *why, size_t whysz);

/* Built-in profiles: the text of examples/policies/<name>.yaml. */
typedef struct rt_builtin_profile {
    const char *name;
    const char *source;
} rt_builtin_profile;
extern const rt_builtin_profile rt_builtin_profiles[];
extern const int rt_builtin_profile_count;

/* ---- the cached configuration ------------------------------------------- */

typedef struct rt_quiet {
    char channel[65];
    int start, end; /* local minutes; quiet from start (inclusive) to end */
} rt_quiet;

typedef struct rt_cap {
    char channel[65], category[65]; /* category "all": every non-transactional */
    int max;
    int64_t window;
} rt_cap;

typedef struct rt_policy {
    int64_t generation;
    bool valid;
    uint64_t checked_tx;   /* the write transaction that read `generation`, 0: none */
    rt_quiet *quiet;
    int nquiet;
    rt_cap *caps;
    int ncaps;
    void *holder;          /* arena object owning the profiles */
    rt_profile **profiles; /* stored ones, then built-ins not replaced */
    int nprofiles;
} rt_policy;

/* The current configuration (reloaded when another engine changed it). */
int rt_policy_get(retain_engine *e, const rt_policy **out);
/* Forget the cache (after this engine changed the configuration). */
void rt_policy_invalidate(retain_engine *e);
void rt_policy_free(retain_engine *e);

/* The profile governing `sales_channel`: the best match among the profiles
 * that name it (exact names before globs, longer globs first), else the
 * profile "default"; NULL when there is none. */
const rt_profile *rt_profile_for(const rt_policy *p, const char *sales_channel);

/* Whether a message of `category` and `template_or_kind` (may be NULL)
 * could ever be sent for an order from `sales_channel`: 1 yes, 0 never
 * (why says which rule), < 0 an error. For the journey loader. */
int rt_policy_marketplace_check(retain_engine *e, const char *sales_channel, const char *category,
                                const char *template_or_kind, char *why, size_t whysz);

/* ---- the gate ----------------------------------------------------------- */

typedef enum rt_stage { RT_STAGE_ENQUEUE, RT_STAGE_SEND } rt_stage;

typedef struct rt_gate_in {
    rt_stage stage;
    int64_t message_id; /* 0 when queuing */
    int64_t customer_key;
    const char *channel, *category, *template_id;
    int64_t order_key, shipment_key;
    int64_t due_at;
    int64_t expires_at; /* INT64_MAX: no max_age */
    rt_on_policy on_quiet, on_cap;
    const struct rt_policy *policy; /* the configuration if the caller has it, or NULL */
    bool unless_delivered; /* queuing: skip if the shipment is delivered (sending: the
                            * message's stored guard decides) */
} rt_gate_in;

#define RT_GATE_MAX_PROFILES 4

typedef struct rt_gate_out {
    rt_gate_decision decision;
    int64_t not_before;
    const char *rule;   /* what decided a skip or deferral: "consent", "quiet_hours" ... */
    char reason[160];
    /* What the gate learned on the way, for the outbox row and the message. */
    char customer_ext[257];
    char recipient[320];
    char locale[40];
    const rt_profile *profiles[RT_GATE_MAX_PROFILES]; /* restrictive profiles that apply */
    int nprofiles;
} rt_gate_out;

/* Decide what happens to a message at `now`. Writes nothing. */
int rt_gate(retain_engine *e, const rt_gate_in *in, int64_t now, rt_gate_out *out);

/* Apply the payload rules of the profiles in `g` (removed keys, links off
 * the marketplace). *out is NULL when nothing was removed; else a new
 * string, and `note` lists what was removed. */
int rt_gate_filter_payload(retain_engine *e, const rt_gate_out *g, const char *payload,
                           char **out, char *note, size_t notesz);

/* ---- small helpers shared by policy and dispatch ------------------------ */

/* "7d", "36h", "90s", "250ms" */
void rt_fmt_duration(int64_t ms, char *buf, size_t size);
/* "90s", "30m", "2h", "3d", "2w", "500ms" */

/* Shell-style match with '*' only. */
bool rt_glob(const char *pattern, const char *s);

#endif

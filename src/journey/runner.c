/*
 * runner.c - enrollment, exits, goals and waits as events are recorded, and
 * the deterministic tick that advances instances at their logical times.
 *
 * An instance is processed at its due time t (not the tick's `now`), so
 * the outcome does not depend on how often the host ticks: a 2-day wait
 * after a step reached at t ends at t + 2d whether the next tick is a
 * minute or a day later.
 */
#include "journey.h"
#include "core/buf.h"
#include "core/check.h"
#include "domain/domain.h"
#include "store/event.h"
#include "store/journey_store.h"
#include "store/task_store.h"
#include "store/domain_store.h"
#include "tz/tz.h"
#include "domain/domain.h"
#include "retain/journey.h"

#include <stdio.h>
#include <string.h>

#define BATCH 256
#define MAX_STEPS_PER_ADVANCE 512

static bool refers_to(const jr_journey *j, const char *name)
{
    if (j->trigger_event && !strcmp(j->trigger_event, name))
        return true;
    if (j->goal_event && !strcmp(j->goal_event, name))
        return true;
    for (int i = 0; i < j->nexits; i++)
        if (j->exits[i].event && !strcmp(j->exits[i].event, name))
            return true;
    for (int i = 0; i < j->nsteps; i++)
        if (j->steps[i].kind == JR_WAIT_FOR && j->steps[i].u.wait_for.event &&
            !strcmp(j->steps[i].u.wait_for.event, name))
            return true;
    return false;
}

uint32_t jr_bucket(const char *customer_ext_id, const char *journey, uint32_t total)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
    for (const char *p = customer_ext_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xFF) * 1099511628211ULL;
    for (const char *p = journey; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    /* Final avalanche so that the low bits are as good as the high ones. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return total ? (uint32_t)(h % total) : 0;
}

int jr_next_local_minute(retain_engine *e, const char *zone, int64_t t, int minute_of_day,
                         int64_t *out)
{
    const rt_tz *z = NULL;
    int rc = zone && *zone ? rt_tz_get(e, zone, &z) : RETAIN_ENOTFOUND;
    if (rc != RETAIN_OK && rc != RETAIN_ENOMEM)
        rc = rt_tz_get(e, e->cfg.default_timezone, &z);
    if (rc == RETAIN_ENOMEM)
        return rc;
    rt_clear_error(e);
    *out = t;
    const int64_t day = 86400000;
    int64_t local = t + (z ? (int64_t)rt_tz_offset(z, t) * 1000 : 0);
    int64_t start = local - ((local % day) + day) % day;
    for (int i = 0; i < 3; i++) {
        int64_t cand_local = start + (int64_t)(i)*day + (int64_t)minute_of_day * 60000;
        int64_t utc = z ? rt_tz_local_to_utc(z, cand_local) : cand_local;
        if (utc >= t) {
            *out = utc;
            break;
        }
    }
    return RETAIN_OK;
}

static void ctx_of(const js_inst *in, int64_t t, jr_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->customer_key = in->customer;
    c->order_key = in->order_key;
    c->shipment_key = in->shipment_key;
    c->event_id = in->wait_matched ? in->wait_matched : in->trigger_event;
    c->now = t;
    c->journey = in->journey;
    c->step = in->step;
    c->variant = in->variant[0] ? in->variant : NULL;
    c->entered_at = in->entered_at;
}

/* --- events ------------------------------------------------------------ */

static int enroll(retain_engine *e, jr_journey *j, int64_t event_id, int64_t customer,
                  int64_t at, int64_t order_key, int64_t shipment_key)
{
    if (j->nsales) {
        char ch[65];
        int rc = order_key ? js_order_channel(e, order_key, ch, sizeof ch) : RETAIN_OK;
        if (rc)
            return rc;
        bool ok = false;
        for (int i = 0; order_key && i < j->nsales && !ok; i++)
            ok = !strcmp(ch, j->sales_channels[i]);
        if (!ok)
            return RETAIN_OK;
    }
    if (j->trigger_when) {
        jr_ctx c = { customer, order_key, shipment_key, event_id, at, j->name, NULL, NULL, at };
        bool pass = false;
        int rc = jr_cond_eval(e, j->trigger_when, &c, &pass);
        if (rc)
            return rc;
        if (!pass)
            return RETAIN_OK;
    }
    /* Entry keys start "JOURNEY|CUSTOMER": a customer merge renames them
     * (src/store/identity.c). */
    char key[200];
    const char *entry_key = NULL;
    switch (j->entry) {
    case JR_ENTRY_ONCE:
        rt_format(key, sizeof key, "%s|%lld", j->name, (long long)customer);
        entry_key = key;
        break;
    case JR_ENTRY_ONCE_PER_ORDER:
        if (order_key)
            rt_format(key, sizeof key, "%s|%lld|o%lld", j->name, (long long)customer,
                      (long long)order_key);
        else
            rt_format(key, sizeof key, "%s|%lld|e%lld", j->name, (long long)customer,
                      (long long)event_id);
        entry_key = key;
        break;
    case JR_ENTRY_COOLDOWN: {
        bool recent = false;
        int rc = js_inst_entered_since(e, j->name, customer, at - j->cooldown_ms, &recent);
        if (rc || recent)
            return rc;
        break;
    }
    case JR_ENTRY_ALWAYS:
        break;
    }
    js_inst in;
    memset(&in, 0, sizeof in);
    rt_copy(in.journey, sizeof in.journey, j->name);
    rt_copy(in.step, sizeof in.step, j->steps[0].id);
    in.version = j->version;
    in.customer = customer;
    in.order_key = order_key;
    in.shipment_key = shipment_key;
    in.trigger_event = event_id;
    in.entered_at = at;
    int64_t id;
    bool inserted;
    int rc = js_inst_insert(e, &in, entry_key, &id, &inserted);
    if (rc == RETAIN_OK && inserted)
        rc = js_log(e, id, j->steps[0].id, at, "enter", "entered", NULL);
    return rc;
}

static bool same_order(const js_inst *in, int64_t order_key)
{
    return !in->order_key || !order_key || in->order_key == order_key;
}

int rt_journey_on_event(retain_engine *e, int64_t event_id, int64_t customer, const char *name,
                        int64_t at, int64_t order_key, int64_t shipment_key)
{
    int rc = jr_ensure_loaded(e);
    if (rc)
        return rc;
    rt_journey_set *s = e->journeys;
    bool any = false;
    for (int i = 0; i < s->count && !any; i++)
        any = refers_to(s->items[i], name);
    if (!any)
        return RETAIN_OK;
    /* Exits, goals and waits of instances the customer is already in. */
    int64_t goal_window = 0;
    for (int i = 0; i < s->count; i++)
        if (s->items[i]->goal_within_ms > goal_window)
            goal_window = s->items[i]->goal_within_ms;
    js_inst *list = NULL;
    int n = 0;
    if ((rc = js_inst_of_customer(e, customer, at - goal_window, &list, &n)))
        return rc;
    for (int i = 0; i < n && rc == RETAIN_OK; i++) {
        js_inst *in = &list[i];
        jr_journey *j = jr_find(e, in->journey, in->version);
        if (!j || in->trigger_event == event_id)
            continue;
        bool changed = false;
        jr_ctx c;
        ctx_of(in, at, &c);
        c.event_id = event_id;
        if (j->goal_event && !in->goal_at && !strcmp(j->goal_event, name) &&
            at >= in->entered_at && at <= in->entered_at + j->goal_within_ms) {
            in->goal_at = at;
            changed = true;
            rc = js_log(e, in->id, in->step, at, "goal", "converted", NULL);
        }
        if (rc == RETAIN_OK && !strcmp(in->state, "active")) {
            for (int x = 0; x < j->nexits && rc == RETAIN_OK; x++) {
                if (strcmp(j->exits[x].event, name) || !same_order(in, order_key))
                    continue;
                bool pass = true;
                if (j->exits[x].when)
                    rc = jr_cond_eval(e, j->exits[x].when, &c, &pass);
                if (rc == RETAIN_OK && pass) {
                    rt_format(in->state, sizeof in->state, "exited");
                    rt_copy(in->exit_reason, sizeof in->exit_reason, name);
                    in->wait_event[0] = '\0';
                    changed = true;
                    rc = js_log(e, in->id, in->step, at, "exit", "exited", NULL);
                    break;
                }
            }
        }
        if (rc == RETAIN_OK && !strcmp(in->state, "active") && in->wait_event[0] &&
            !strcmp(in->wait_event, name) && !in->wait_matched && at >= in->step_at &&
            at <= in->wait_deadline && same_order(in, order_key)) {
            int k = jr_step_index(j, in->step);
            bool pass = true;
            if (k >= 0 && j->steps[k].u.wait_for.when)
                rc = jr_cond_eval(e, j->steps[k].u.wait_for.when, &c, &pass);
            if (rc == RETAIN_OK && pass) {
                in->wait_matched = event_id;
                in->due_at = at;
                if (shipment_key)
                    in->shipment_key = shipment_key;
                changed = true;
            }
        }
        if (rc == RETAIN_OK && changed)
            rc = js_inst_update(e, in);
    }
    rt_free(&e->alloc, list);
    /* New instances. */
    for (int i = 0; i < s->count && rc == RETAIN_OK; i++) {
        jr_journey *j = s->items[i];
        if (j->current && j->trigger_event && !strcmp(j->trigger_event, name))
            rc = enroll(e, j, event_id, customer, at, order_key, shipment_key);
    }
    return rc;
}

/* --- the tick ------------------------------------------------------------ */

typedef struct advance_ctx {
    retain_tick_stats *stats;
    char ext_id[257];
    char zone[65];
    bool have_customer;
} advance_ctx;

static int load_customer(retain_engine *e, const js_inst *in, advance_ctx *ac)
{
    if (ac->have_customer)
        return RETAIN_OK;
    int rc = js_customer_info(e, in->customer, ac->ext_id, sizeof ac->ext_id, ac->zone,
                              sizeof ac->zone);
    ac->have_customer = rc == RETAIN_OK;
    return rc;
}

static void finish(js_inst *in, const char *state, const char *reason)
{
    rt_copy(in->state, sizeof in->state, state);
    rt_copy(in->exit_reason, sizeof in->exit_reason, reason ? reason : "");
    in->wait_event[0] = '\0';
}

/* A log detail {"reason": why} (JSON-escaped). */
static int log_reason(retain_engine *e, const js_inst *in, const char *step, int64_t t,
                      const char *kind, const char *outcome, const char *why)
{
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"reason\":");
    rt_buf_json_str(&b, why);
    rt_buf_putc(&b, '}');
    char *json = NULL;
    if (rt_buf_finish(&b, &json))
        return rt_nomem(e);
    int rc = js_log(e, in->id, step, t, kind, outcome, json);
    rt_free(&e->alloc, json);
    return rc;
}

/* *a becomes the members of both JSON objects *a and *b (either may be
 * NULL); *b is freed. Both come from the library itself: flat objects
 * with different keys ("recommendations", "coupon"). */
static int merge_objects(retain_engine *e, char **a, char **b)
{
    if (!*b)
        return RETAIN_OK;
    if (!*a) {
        *a = *b;
        *b = NULL;
        return RETAIN_OK;
    }
    rt_buf m;
    rt_buf_init(&m, &e->alloc);
    size_t na = strlen(*a);
    while (na && (*a)[na - 1] != '}')
        na--;
    rt_buf_append(&m, *a, na ? na - 1 : 0);
    if (na > 2)
        rt_buf_putc(&m, ',');
    rt_buf_puts(&m, *b + 1);
    rt_free(&e->alloc, *a);
    rt_free(&e->alloc, *b);
    *a = *b = NULL;
    return rt_buf_finish(&m, a) ? rt_nomem(e) : RETAIN_OK;
}

/* The code the instance's coupon step issued, for this send: *extra is its
 * payload patch while it works. A code that stopped working before any
 * message carried it skips the send and takes the coupon step's on_invalid
 * (*skip, *next); once delivered, later sends simply go without it. */
static int send_coupon(retain_engine *e, const jr_journey *j, const jr_step *s, js_inst *in,
                       int64_t t, rt_step_coupon *sc, char **extra, bool *skip, int *next)
{
    bool found = false;
    *skip = false;
    int rc = rt_coupon_of_instance(e, in->id, t, &found, sc, extra);
    if (rc || !found || sc->reason == RETAIN_COUPON_VALID || sc->delivered)
        return rc;
    *skip = true;
    if ((rc = rt_coupon_drop(e, sc->id, t)))
        return rc;
    int k = jr_step_index(j, sc->step);
    if (k >= 0 && j->steps[k].kind == JR_COUPON)
        *next = j->steps[k].u.coupon.on_invalid;
    return log_reason(e, in, s->id, t, "send", "skipped", sc->why);
}

static int do_send(retain_engine *e, const jr_journey *j, const jr_step *s, js_inst *in,
                   int64_t t, int64_t now, retain_tick_stats *st, int *next)
{
    char detail[400];
    if (now - t > j->stale_after_ms) {
        rt_format(detail, sizeof detail, "{\"reason\":\"due %lld ms ago, past stale_after\"}",
                  (long long)(now - t));
        if (st)
            st->skipped++;
        return js_log(e, in->id, s->id, t, "send", "skipped", detail);
    }
    rt_step_coupon sc;
    char *extra = NULL;
    bool skip = false;
    int rc = send_coupon(e, j, s, in, t, &sc, &extra, &skip, next);
    if (rc || skip) {
        if (skip && st)
            st->skipped++;
        return rc;
    }
    rt_send_request req;
    memset(&req, 0, sizeof req);
    req.customer_key = in->customer;
    req.instance_id = in->id;
    req.journey = j->name;
    req.journey_version = j->version;
    req.step_id = s->id;
    req.channel = s->u.send.channel;
    req.category = s->u.send.category;
    req.template_id = s->u.send.template_id;
    req.fallback_channel = s->u.send.fallback;
    req.due_at = t;
    req.max_age_ms = s->u.send.max_age_ms;
    req.on_quiet = s->u.send.on_quiet;
    req.on_cap = s->u.send.on_cap;
    req.order_key = in->order_key;
    req.shipment_key = in->shipment_key;
    req.unless_delivered = s->u.send.unless_delivered;
    char *kept = NULL; /* what earlier steps (recommend) left for the payload */
    bool carries = extra != NULL;
    if ((e->journeys->any_recommend && (rc = ds_instance_payload_get(e, in->id, &kept))) ||
        (rc = merge_objects(e, &kept, &extra))) {
        rt_free(&e->alloc, extra);
        rt_free(&e->alloc, kept);
        return rc;
    }
    req.extra_json = kept;
    rt_gate_result g;
    memset(&g, 0, sizeof g);
    rc = rt_dispatch_enqueue(e, &req, now, &g);
    rt_free(&e->alloc, kept);
    if (rc == RETAIN_OK && carries && g.message_id && g.decision != RT_GATE_SKIPPED)
        rc = rt_coupon_message_queued(e, g.message_id, sc.id);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_printf(&b, "{\"channel\":");
    rt_buf_json_str(&b, s->u.send.channel);
    rt_buf_puts(&b, ",\"template\":");
    rt_buf_json_str(&b, s->u.send.template_id);
    rt_buf_printf(&b, ",\"message_id\":%lld,\"not_before\":%lld", (long long)g.message_id,
                  (long long)g.not_before);
    if (g.reason[0]) {
        rt_buf_puts(&b, ",\"reason\":");
        rt_buf_json_str(&b, g.reason);
    }
    rt_buf_putc(&b, '}');
    char *json = NULL;
    if (rt_buf_finish(&b, &json))
        return rt_nomem(e);
    const char *outcome = g.decision == RT_GATE_QUEUED     ? "queued"
                          : g.decision == RT_GATE_DEFERRED ? "deferred"
                                                           : "skipped";
    if (st) {
        if (g.decision == RT_GATE_QUEUED) st->queued++;
        else if (g.decision == RT_GATE_DEFERRED) { st->queued++; st->deferred++; }
        else st->skipped++;
    }
    rc = js_log(e, in->id, s->id, t, "send", outcome, json);
    rt_free(&e->alloc, json);
    return rc;
}

static int do_branch(retain_engine *e, const jr_step *s, js_inst *in, int64_t t, int *next)
{
    jr_ctx c;
    ctx_of(in, t, &c);
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"rules\":[");
    int rc = RETAIN_OK, chosen = -1;
    for (int i = 0; i < s->u.branch.narms && chosen < 0 && rc == RETAIN_OK; i++) {
        const jr_arm *a = &s->u.branch.arms[i];
        bool pass = true;
        if (a->when)
            rc = jr_cond_eval(e, a->when, &c, &pass);
        rt_buf_puts(&b, i ? ",{\"when\":" : "{\"when\":");
        if (a->when)
            rt_buf_json_str(&b, jr_cond_source(a->when));
        else
            rt_buf_puts(&b, "\"else\"");
        rt_buf_printf(&b, ",\"result\":%s}", pass ? "true" : "false");
        if (pass)
            chosen = a->target;
    }
    rt_buf_puts(&b, "]}");
    char *json = NULL;
    if (rt_buf_finish(&b, &json) && rc == RETAIN_OK)
        rc = rt_nomem(e);
    if (rc == RETAIN_OK) {
        *next = chosen >= 0 ? chosen : s->next;
        rc = js_log(e, in->id, s->id, t, "branch", chosen >= 0 ? "matched" : "no match", json);
    }
    rt_free(&e->alloc, json);
    return rc;
}

static int do_split(retain_engine *e, const jr_journey *j, const jr_step *s, js_inst *in,
                    int64_t t, advance_ctx *ac, bool *holdout)
{
    int rc = load_customer(e, in, ac);
    if (rc)
        return rc;
    uint32_t total = (uint32_t)s->u.split.holdout;
    for (int i = 0; i < s->u.split.nvariants; i++)
        total += (uint32_t)s->u.split.variants[i].weight;
    uint32_t b = jr_bucket(ac->ext_id, j->name, total);
    const char *variant = "holdout";
    for (int i = 0; i < s->u.split.nvariants; i++) {
        if (b < (uint32_t)s->u.split.variants[i].weight) {
            variant = s->u.split.variants[i].name;
            break;
        }
        b -= (uint32_t)s->u.split.variants[i].weight;
    }
    rt_copy(in->variant, sizeof in->variant, variant);
    *holdout = !strcmp(variant, "holdout");
    char detail[128];
    rt_format(detail, sizeof detail, "{\"variant\":\"%s\"}", variant);
    return js_log(e, in->id, s->id, t, "split", variant, detail);
}

static int do_task(retain_engine *e, const jr_journey *j, const jr_step *s, js_inst *in,
                   int64_t t)
{
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"kind\":");
    rt_buf_json_str(&b, s->u.task.kind);
    rt_buf_puts(&b, ",\"note\":");
    rt_buf_json_str(&b, s->u.task.note);
    rt_buf_puts(&b, ",\"journey\":");
    rt_buf_json_str(&b, j->name);
    rt_buf_puts(&b, ",\"step\":");
    rt_buf_json_str(&b, s->id);
    rt_buf_putc(&b, '}');
    char *json = NULL;
    if (rt_buf_finish(&b, &json))
        return rt_nomem(e);
    int rc = js_log(e, in->id, s->id, t, "task", "created", json);
    if (rc == RETAIN_OK)
        rc = rt_task_create(e, in->customer, in->order_key, in->id, s->u.task.kind,
                            s->u.task.note, "journey", json, t, NULL);
    rt_free(&e->alloc, json);
    return rc;
}

/* Issue the step's code, unless the order's marketplace forbids promo
 * codes or the campaign cannot give this customer one that works: then
 * the instance goes to on_invalid. */
static int do_coupon(retain_engine *e, const jr_step *s, js_inst *in, int64_t t, int *next)
{
    char why[200];
    bool forbidden = false;
    int rc = rt_coupon_forbidden(e, in->order_key, &forbidden, why, sizeof why);
    if (rc)
        return rc;
    if (forbidden) {
        *next = s->u.coupon.on_invalid;
        return log_reason(e, in, s->id, t, "coupon", "blocked", why);
    }
    rt_step_coupon sc;
    if ((rc = rt_coupon_issue_step(e, s->u.coupon.campaign, in->customer, in->id, s->id, t, &sc)))
        return rc;
    if (sc.reason != RETAIN_COUPON_VALID) {
        *next = s->u.coupon.on_invalid;
        return log_reason(e, in, s->id, t, "coupon", "invalid", sc.why);
    }
    char detail[200];
    rt_format(detail, sizeof detail, "{\"code\":\"%s\",\"campaign\":\"%s\"}", sc.code,
              s->u.coupon.campaign);
    return js_log(e, in->id, s->id, t, "coupon", "issued", detail);
}

/* Recommendations computed when the step runs, sent with every later send. */
static int do_recommend(retain_engine *e, const jr_step *s, js_inst *in, int64_t t)
{
    char *list = NULL;
    int rc = rt_recommend_json(e, in->customer, s->u.recommend.count, &list);
    if (rc)
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_printf(&b, "{\"recommendations\":%s}", list);
    rt_free(&e->alloc, list);
    char *json = NULL;
    if (rt_buf_finish(&b, &json))
        return rt_nomem(e);
    rc = ds_instance_payload_merge(e, in->id, json);
    if (rc == RETAIN_OK)
        rc = js_log(e, in->id, s->id, t, "recommend", "done", json);
    rt_free(&e->alloc, json);
    return rc;
}

/* Move an instance of an older version to the current one when its step
 * exists there; otherwise it finishes on its own version. */
static const jr_journey *migrate(retain_engine *e, const jr_journey *j, js_inst *in, int64_t t)
{
    const jr_journey *cur = jr_current(e, in->journey);
    int k = cur && cur != j ? jr_step_index(cur, in->step) : -1;
    /* An instance inside a wait_for moves only to a step that waits too. */
    if (k < 0 || (in->phase == 2 && cur->steps[k].kind != JR_WAIT_FOR))
        return j;
    char detail[96];
    rt_format(detail, sizeof detail, "{\"from\":%d,\"to\":%d}", j->version, cur->version);
    if (js_log(e, in->id, in->step, t, "migrate", "moved to new version", detail) != RETAIN_OK)
        return NULL;
    in->version = cur->version;
    return cur;
}

static int advance(retain_engine *e, js_inst *in, int64_t now, retain_tick_stats *st)
{
    advance_ctx ac = { st, "", "", false };
    const jr_journey *j = jr_find(e, in->journey, in->version);
    int64_t t = in->due_at;
    /* Installed by another engine after this tick started. */
    if (!j) {
        int rc = jr_ensure_loaded(e);
        if (rc)
            return rc;
        j = jr_find(e, in->journey, in->version);
    }
    if (!j) {
        finish(in, "exited", "journey version not loaded");
        return js_inst_update(e, in);
    }
    if (!(j = migrate(e, j, in, t)))
        return e->errcode ? e->errcode : RETAIN_EINTERNAL;
    int k = jr_step_index(j, in->step);
    if (k < 0) {
        finish(in, "exited", "step no longer exists");
        return js_inst_update(e, in);
    }
    int rc = RETAIN_OK;
    if (st)
        st->instances++;
    for (int guard = 0; guard < MAX_STEPS_PER_ADVANCE; guard++) {
        const jr_step *s = &j->steps[k];
        if (in->phase == 0) {
            in->step_at = t;
            in->phase = 1;
            if (s->wait_ms > 0 || s->wait_until_min >= 0) {
                int64_t target = t + s->wait_ms;
                if (s->wait_until_min >= 0 && (rc = load_customer(e, in, &ac)) == RETAIN_OK)
                    rc = jr_next_local_minute(e, ac.zone, target, s->wait_until_min, &target);
                if (rc)
                    return rc;
                in->due_at = target;
                if (target > now)
                    return js_inst_update(e, in);
                t = target;
            }
        }
        int next = s->next;
        if (in->phase == 1 && s->when) {
            jr_ctx c;
            ctx_of(in, t, &c);
            bool pass = false;
            if ((rc = jr_cond_eval(e, s->when, &c, &pass)))
                return rc;
            if (!pass) {
                char detail[600];
                rt_buf b;
                rt_buf_init(&b, &e->alloc);
                rt_buf_puts(&b, "{\"when\":");
                rt_buf_json_str(&b, jr_cond_source(s->when));
                rt_buf_puts(&b, ",\"result\":false}");
                rt_copy(detail, sizeof detail, b.failed || !b.data ? "{}" : b.data);
                rt_buf_free(&b);
                if ((rc = js_log(e, in->id, s->id, t, "guard", "passed over", detail)))
                    return rc;
                next = k + 1 < j->nsteps ? k + 1 : -1;
                goto moved;
            }
        }
        if (st)
            st->steps++;
        switch (s->kind) {
        case JR_SEND:
            rc = do_send(e, j, s, in, t, now, st, &next);
            break;
        case JR_WAIT:
        case JR_GOTO:
            break;
        case JR_WAIT_FOR:
            if (in->phase == 1) {
                rt_copy(in->wait_event, sizeof in->wait_event, s->u.wait_for.event);
                in->wait_deadline = t + s->u.wait_for.timeout_ms;
                in->wait_matched = 0;
                in->due_at = in->wait_deadline;
                in->phase = 2;
                char detail[160];
                rt_format(detail, sizeof detail, "{\"event\":\"%s\",\"until\":%lld}",
                          s->u.wait_for.event, (long long)in->wait_deadline);
                if ((rc = js_log(e, in->id, s->id, t, "wait_for", "waiting", detail)))
                    return rc;
            }
            if (in->wait_matched) {
                t = in->due_at > t ? in->due_at : t;
                in->wait_event[0] = '\0';
                in->wait_matched = 0;
                rc = js_log(e, in->id, s->id, t, "wait_for", "event arrived", NULL);
            } else if (now >= in->wait_deadline) {
                t = in->wait_deadline;
                in->wait_event[0] = '\0';
                if (s->u.wait_for.on_timeout >= 0)
                    next = s->u.wait_for.on_timeout;
                rc = js_log(e, in->id, s->id, t, "wait_for", "timed out", NULL);
            } else {
                return js_inst_update(e, in);
            }
            break;
        case JR_BRANCH:
            rc = do_branch(e, s, in, t, &next);
            break;
        case JR_SPLIT: {
            bool holdout = false;
            rc = do_split(e, j, s, in, t, &ac, &holdout);
            if (rc == RETAIN_OK && holdout) {
                finish(in, "done", "holdout");
                if (st)
                    st->completed++;
                return js_inst_update(e, in);
            }
            break;
        }
        case JR_EXIT:
            rc = js_log(e, in->id, s->id, t, "exit", "done", NULL);
            next = -1;
            break;
        case JR_SET:
            rc = js_customer_patch_attrs(e, in->customer, s->u.set.attrs_json, t);
            if (rc == RETAIN_OK)
                rc = js_log(e, in->id, s->id, t, "set", "done", s->u.set.attrs_json);
            break;
        case JR_TASK:
            rc = do_task(e, j, s, in, t);
            break;
        case JR_COUPON:
            rc = do_coupon(e, s, in, t, &next);
            break;
        case JR_RECOMMEND:
            rc = do_recommend(e, s, in, t);
            break;
        }
        if (rc)
            return rc;
    moved:
        if (next < 0) {
            finish(in, "done", NULL);
            if (st)
                st->completed++;
            in->step_at = t;
            return js_inst_update(e, in);
        }
        k = next;
        rt_copy(in->step, sizeof in->step, j->steps[k].id);
        in->phase = 0;
        in->due_at = t;
    }
    return rt_error(e, RETAIN_EINTERNAL, "journey \"%s\" ran %d steps without waiting",
                    j->name, MAX_STEPS_PER_ADVANCE);
}

int retain_engine_tick(retain_engine *e, int64_t now, retain_tick_stats *out)
{
    RT_ENGINE_GUARD(e);
    retain_tick_stats st;
    memset(&st, 0, sizeof st);
    if (out)
        memset(out, 0, sizeof *out);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)))
        return rc;
    if (e->in_host_tx)
        return rt_error(e, RETAIN_EMISUSE,
                        "retain_engine_tick cannot run inside retain_begin/retain_commit: "
                        "transports are called between its transactions");
    if ((rc = jr_ensure_loaded(e)) || (rc = rt_domain_tick(e, now)))
        return rc;
    /* Not zeroed: js_inst_due fills every field of the rows it returns. */
    js_inst *batch = rt_malloc(&e->alloc, BATCH * sizeof *batch);
    if (!batch)
        return rt_nomem(e);
    int64_t after_due = INT64_MIN, after_id = 0;
    /* A read first: when no instance is due the tick takes no write lock
     * (every part of a tick does the same). */
    int due = 0;
    rc = js_inst_due(e, now, after_due, after_id, 1, batch, &due);
    while (rc == RETAIN_OK && due > 0) {
        if ((rc = rt_tx_begin_worker(e)))
            break;
        int n = 0;
        rc = js_inst_due(e, now, after_due, after_id, BATCH, batch, &n);
        for (int i = 0; i < n && rc == RETAIN_OK; i++) {
            after_due = batch[i].due_at;
            after_id = batch[i].id;
            rc = advance(e, &batch[i], now, &st);
        }
        rc = rt_tx_end(e, rc);
        if (rc || n < BATCH)
            break;
    }
    rt_free(&e->alloc, batch);
    if (rc == RETAIN_OK) {
        rt_dispatch_stats ds;
        memset(&ds, 0, sizeof ds);
        rc = rt_dispatch_run(e, now, &ds);
        st.sent += ds.sent;
        st.retried += ds.retried;
        st.failed += ds.failed;
        st.skipped += ds.skipped;
        st.deferred += ds.deferred;
    }
    /* Tasks that found nobody on shift when they were created; the write
     * transaction only when one waits, so ticks without tasks take no lock. */
    int64_t waiting = 0, assigned = 0;
    if (rc == RETAIN_OK)
        rc = rt_task_waiting(e, &waiting);
    if (rc == RETAIN_OK && waiting && (rc = rt_tx_begin(e)) == RETAIN_OK)
        rc = rt_tx_end(e, rt_task_route_open(e, now, &assigned));
    if (out)
        *out = st;
    return rc;
}

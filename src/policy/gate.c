/*
 * gate.c - the policy gate: one decision about one message at one time.
 * Run when a message is queued and again just before it is sent, so that a
 * revocation, a cap reached meanwhile or a closing window applies even to
 * messages already in the outbox.
 */
#include "policy.h"
#include "store/outbox.h"
#include "store/domain_store.h"
#include "core/text.h"
#include "tz/tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL

static int decide(rt_gate_out *o, rt_gate_decision d, const char *rule, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int decide(rt_gate_out *o, rt_gate_decision d, const char *rule, const char *fmt, ...)
{
    o->decision = d;
    o->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reason, sizeof o->reason, fmt, ap);
    va_end(ap);
    if (d == RT_GATE_SKIPPED)
        o->not_before = 0;
    return RETAIN_OK;
}

static bool is_phone_channel(const char *ch)
{
    return !strcmp(ch, "sms") || !strcmp(ch, "whatsapp") || !strcmp(ch, "call");
}

/* ---- consent ------------------------------------------------------------ */

/* The latest statement about (channel, category) or (channel, "all") wins;
 * at equal times a revocation wins. */
static void check_consent(const rt_gate_in *in, const ob_consent *c, rt_gate_out *o, bool *stop)
{
    int state = c->cat_state;
    int64_t at = c->cat_at;
    const char *which = in->category;
    if (c->all_state && (!state || c->all_at > at || (c->all_at == at && c->all_state == 2))) {
        state = c->all_state;
        at = c->all_at;
        which = "all";
    }
    bool transactional = !strcmp(in->category, "transactional");
    *stop = true;
    if (state == 2) {
        char when[32];
        rt_format_time(at, when, sizeof when);
        decide(o, RT_GATE_SKIPPED, "consent", "consent for %s/%s was revoked at %s",
               in->channel, which, when);
        return;
    }
    if (state == 0 && !transactional) {
        decide(o, RT_GATE_SKIPPED, "consent", "no consent for %s/%s", in->channel,
               in->category);
        return;
    }
    *stop = false;
}

/* ---- marketplace -------------------------------------------------------- */

static void add_profile(rt_gate_out *o, const rt_profile *p)
{
    if (!p)
        return;
    for (int i = 0; i < o->nprofiles; i++)
        if (o->profiles[i] == p)
            return;
    if (o->nprofiles < RT_GATE_MAX_PROFILES)
        o->profiles[o->nprofiles++] = p;
}

/* An order's message obeys the profile of the order's sales channel. A
 * message without an order obeys the profiles of the customer's orders
 * when every one of them came through a marketplace (the store knows the
 * customer only from there), else the default profile. */
static int find_profiles(retain_engine *e, const rt_policy *p, const rt_gate_in *in,
                         const char *sales_channel, rt_gate_out *o)
{
    if (in->order_key) {
        add_profile(o, rt_profile_for(p, sales_channel));
        return RETAIN_OK;
    }
    char chans[16][OB_NAME];
    int n = 0;
    int rc = ob_customer_channels(e, in->customer_key, chans, 16, &n);
    if (rc)
        return rc;
    const rt_profile *def = NULL;
    for (int i = 0; i < p->nprofiles; i++)
        if (!strcmp(p->profiles[i]->name, "default"))
            def = p->profiles[i];
    for (int i = 0; i < n; i++) {
        const rt_profile *pr = rt_profile_for(p, chans[i]);
        if (!pr || pr == def) {
            o->nprofiles = 0;
            break;
        }
        add_profile(o, pr);
    }
    if (o->nprofiles == 0)
        add_profile(o, def);
    return RETAIN_OK;
}

static const char *anchor_name(rt_anchor a)
{
    return a == RT_ANCHOR_DELIVERED ? "delivered" : a == RT_ANCHOR_SHIPPED ? "shipped" : "placed";
}

/* Per-order rules: how many, and when. May move *t; sets *window_end. */
static int check_rules(retain_engine *e, const rt_gate_in *in, const rt_profile *pr, int64_t *t,
                       int64_t *window_end, rt_gate_out *o, bool *stop, bool *held)
{
    *stop = false;
    for (int i = 0; i < pr->nrules; i++) {
        const rt_mp_rule *r = &pr->rules[i];
        if (!rt_rule_matches(r, in->category, in->template_id))
            continue;
        *stop = true;
        if (!in->order_key)
            return decide(o, RT_GATE_SKIPPED, "marketplace",
                          "marketplace profile %s, rule %s applies per order and this message "
                          "has no order", pr->name, r->name);
        if (r->max_per_order >= 0) {
            ob_sibling sib[32];
            int n = 0, count = 0;
            int rc = ob_order_messages(e, in->order_key, in->message_id,
                                       in->stage == RT_STAGE_ENQUEUE, sib, 32, &n);
            if (rc)
                return rc;
            int64_t other = 0;
            for (int k = 0; k < n; k++) {
                if (rt_rule_matches(r, sib[k].category, sib[k].template_id[0] ? sib[k].template_id
                                                                              : NULL)) {
                    count++;
                    other = sib[k].id;
                }
            }
            if (count >= r->max_per_order)
                return decide(o, RT_GATE_SKIPPED, "marketplace",
                              "marketplace profile %s, rule %s: at most %d per order "
                              "(message %lld is already for this order)",
                              pr->name, r->name, r->max_per_order, (long long)other);
        }
        if (r->has_window) {
            int64_t a = 0;
            bool found = false;
            int rc = ob_anchor_time(e, in->order_key, in->shipment_key, anchor_name(r->anchor),
                                    &a, &found);
            if (rc)
                return rc;
            if (!found)
                return decide(o, RT_GATE_SKIPPED, "marketplace",
                              "marketplace profile %s, rule %s: the order is not %s yet",
                              pr->name, r->name, anchor_name(r->anchor));
            int64_t lo = a + r->from_ms;
            int64_t hi = r->to_ms == INT64_MAX ? INT64_MAX : a + r->to_ms;
            if (*t < lo) {
                char d[16], when[32];
                rt_fmt_duration(r->from_ms, d, sizeof d);
                rt_format_time(lo, when, sizeof when);
                *t = lo;
                *held = true;
                decide(o, RT_GATE_DEFERRED, "marketplace",
                       "marketplace profile %s, rule %s: not before %s after %s (%s)", pr->name,
                       r->name, d, anchor_name(r->anchor), when);
            }
            if (hi < *window_end)
                *window_end = hi;
        }
        *stop = false;
    }
    return RETAIN_OK;
}

/* ---- quiet hours -------------------------------------------------------- */

static int64_t local_of(const rt_tz *z, int64_t utc)
{
    return utc + (z ? (int64_t)rt_tz_offset(z, utc) * 1000 : 0);
}

/* If `t` is inside the quiet window [start, end) local time, the first
 * instant after it; else t. DST-correct: minutes are read in the offset in
 * effect at t, and the end is converted back through the zone (a window
 * ending in a spring-forward gap ends when the gap does). */
static int64_t quiet_next(const rt_tz *z, int start, int end, int64_t t)
{
    int64_t local = local_of(z, t);
    int64_t day = rt_floor_div(local, DAY_MS);
    int m = (int)((local - day * DAY_MS) / 60000);
    bool quiet = start < end ? (m >= start && m < end) : (m >= start || m < end);
    if (!quiet)
        return t;
    int64_t target_day = (start > end && m >= start) ? day + 1 : day;
    int64_t target = target_day * DAY_MS + (int64_t)end * 60000;
    int64_t u = z ? rt_tz_local_to_utc(z, target) : target;
    return u > t ? u : t + 60000;
}

static const rt_tz *zone_of(retain_engine *e, const char *name, const char **used, int *rc)
{
    /* An unknown zone is not an error here: fall back to the store's zone.
     * Running out of memory while loading it is: quiet hours computed in
     * another zone could let a message out in the customer's night. */
    int code = e->errcode;
    char msg[sizeof e->errmsg];
    memcpy(msg, e->errmsg, sizeof msg);
    const rt_tz *z = NULL;
    *used = "UTC";
    *rc = RETAIN_OK;
    int zrc = name[0] ? rt_tz_get(e, name, &z) : RETAIN_ENOTFOUND;
    if (zrc == RETAIN_OK)
        *used = name;
    else if (zrc != RETAIN_ENOMEM && (zrc = rt_tz_get(e, e->cfg.default_timezone, &z)) == RETAIN_OK)
        *used = e->cfg.default_timezone;
    else
        z = NULL;
    if (zrc == RETAIN_ENOMEM) {
        *rc = zrc;
        return NULL;
    }
    e->errcode = code;
    memcpy(e->errmsg, msg, sizeof msg);
    return z;
}

/* A message guarded by its shipment (a delay notice) is stale once the
 * parcel is delivered: when queuing, the request says so; when sending, the
 * guard stored with the message does. */
static int check_delivered(retain_engine *e, const rt_gate_in *in, int64_t t, rt_gate_out *o,
                           bool *stop)
{
    *stop = false;
    int64_t skey = 0, at = INT64_MIN;
    int rc = RETAIN_OK;
    if (in->stage == RT_STAGE_SEND && in->message_id)
        rc = ds_guard_get(e, in->message_id, &skey, &at);
    else if (in->unless_delivered && (in->shipment_key || in->order_key))
        rc = ds_shipment_delivered(e, in->shipment_key, in->order_key, &skey, &at);
    if (rc || at == INT64_MIN || at > t)
        return rc;
    char w[32];
    rt_format_time(at, w, sizeof w);
    *stop = true;
    decide(o, RT_GATE_SKIPPED, "delivered",
           "the shipment was delivered at %s; a delay notice is no longer true", w);
    return RETAIN_OK;
}

/* ---- the gate ----------------------------------------------------------- */

int rt_gate(retain_engine *e, const rt_gate_in *in, int64_t now, rt_gate_out *o)
{
    memset(o, 0, sizeof *o);
    const rt_policy *p = in->policy;
    int rc;
    if (!p && (rc = rt_policy_get(e, &p)))
        return rc;
    ob_customer c;
    ob_consent consent;
    char sales[OB_NAME];
    bool found;
    if ((rc = ob_gate_facts(e, in->customer_key, in->channel, in->category, in->order_key, &c,
                            &consent, sales, sizeof sales, &found)))
        return rc;
    if (!found)
        return rt_error(e, RETAIN_ENOTFOUND, "customer row %lld does not exist",
                        (long long)in->customer_key);
    rt_copy(o->customer_ext, sizeof o->customer_ext, c.ext_id);
    rt_copy(o->locale, sizeof o->locale, c.locale);
    int64_t base = now > in->due_at ? now : in->due_at, t = base;
    o->not_before = t;

    /* 1. An address for the channel. */
    const char *addr = !strcmp(in->channel, "email") ? c.email
                       : is_phone_channel(in->channel) ? c.phone
                                                       : c.ext_id;
    if (!addr[0])
        return decide(o, RT_GATE_SKIPPED, "address", "customer \"%.60s\" has no %s for %s",
                      c.ext_id, !strcmp(in->channel, "email") ? "e-mail address" : "phone number",
                      in->channel);
    rt_copy(o->recipient, sizeof o->recipient, addr);

    /* 2. Consent: revocations apply at once, even to queued messages. */
    bool stop;
    check_consent(in, &consent, o, &stop);
    if (stop)
        return RETAIN_OK;

    /* 3. Marketplace profiles. */
    if ((rc = find_profiles(e, p, in, sales, o)))
        return rc;
    int64_t window_end = INT64_MAX;
    bool held = false;
    char why[160];
    for (int i = 0; i < o->nprofiles; i++) {
        const rt_profile *pr = o->profiles[i];
        if (!rt_profile_allows(pr, in->channel, in->category, in->template_id, why, sizeof why))
            return decide(o, RT_GATE_SKIPPED, "marketplace", "%s", why);
        if ((rc = check_rules(e, in, pr, &t, &window_end, o, &stop, &held)) || stop)
            return rc;
    }

    /* 4. Staleness, including the parcel that arrived before its delay notice. */
    char w1[32], w2[32];
    if ((rc = check_delivered(e, in, t, o, &stop)) || stop)
        return rc;
    if (t > in->expires_at) {
        rt_format_time(in->due_at, w1, sizeof w1);
        rt_format_time(in->expires_at, w2, sizeof w2);
        return decide(o, RT_GATE_SKIPPED, "stale",
                      "not sent within its max_age: due %s, stale since %s", w1, w2);
    }

    /* 5. Quiet hours and caps, until neither moves the time. */
    const rt_quiet *q = NULL;
    for (int i = 0; i < p->nquiet; i++)
        if (!strcmp(p->quiet[i].channel, in->channel))
            q = &p->quiet[i];
    const char *zone_name = NULL;
    int zrc = RETAIN_OK;
    const rt_tz *z = q ? zone_of(e, c.zone, &zone_name, &zrc) : NULL;
    if (zrc)
        return zrc;
    bool transactional = !strcmp(in->category, "transactional");
    for (int round = 0; round < 16; round++) {
        bool moved = false;
        if (q && q->start != q->end) {
            int64_t next = quiet_next(z, q->start, q->end, t);
            if (next != t) {
                if (in->on_quiet == RT_POLICY_SKIP)
                    return decide(o, RT_GATE_SKIPPED, "quiet_hours",
                                  "quiet hours for %s (%02d:%02d-%02d:%02d %s); the step skips "
                                  "messages in quiet hours",
                                  in->channel, q->start / 60, q->start % 60, q->end / 60,
                                  q->end % 60, zone_name);
                int64_t lt = local_of(z, next);
                int lm = (int)((lt - rt_floor_div(lt, DAY_MS) * DAY_MS) / 60000);
                decide(o, RT_GATE_DEFERRED, "quiet_hours", "quiet hours for %s until %02d:%02d %s",
                       in->channel, lm / 60, lm % 60, zone_name);
                t = next;
                moved = held = true;
            }
        }
        for (int i = 0; i < p->ncaps && !transactional; i++) {
            const rt_cap *cap = &p->caps[i];
            if (strcmp(cap->channel, in->channel) != 0 ||
                (strcmp(cap->category, "all") != 0 && strcmp(cap->category, in->category) != 0))
                continue;
            char d[16];
            rt_fmt_duration(cap->window, d, sizeof d);
            if (cap->max == 0)
                return decide(o, RT_GATE_SKIPPED, "cap", "cap of 0 %s/%s messages per %s",
                              cap->channel, cap->category, d);
            int64_t s = 0;
            bool full = false;
            if ((rc = ob_cap_nth(e, in->customer_key, in->channel, cap->category,
                                 t - cap->window, cap->max, in->message_id, &s, &full)))
                return rc;
            if (!full)
                continue;
            if (in->on_cap == RT_POLICY_SKIP)
                return decide(o, RT_GATE_SKIPPED, "cap",
                              "cap of %d %s/%s messages per %s reached; the step skips capped "
                              "messages",
                              cap->max, cap->channel, cap->category, d);
            rt_format_time(s + cap->window, w1, sizeof w1);
            decide(o, RT_GATE_DEFERRED, "cap", "cap of %d %s/%s messages per %s reached until %s",
                   cap->max, cap->channel, cap->category, d, w1);
            t = s + cap->window;
            moved = held = true;
        }
        if (!moved)
            break;
    }

    /* 6. Held past a window or past max_age: better not sent at all. */
    if (t > window_end) {
        rt_format_time(window_end, w1, sizeof w1);
        rt_format_time(t, w2, sizeof w2);
        return decide(o, RT_GATE_SKIPPED, "marketplace",
                      "the marketplace window closes at %s, before policy would let it out (%s)",
                      w1, w2);
    }
    if (t > in->expires_at) {
        rt_format_time(in->expires_at, w1, sizeof w1);
        rt_format_time(t, w2, sizeof w2);
        return decide(o, RT_GATE_SKIPPED, "stale",
                      "stale at %s, before policy would let it out (%s)", w1, w2);
    }
    o->not_before = t;
    if (!held || t <= base) {
        o->decision = RT_GATE_QUEUED;
        o->rule = NULL;
        o->reason[0] = '\0';
    }
    return RETAIN_OK;
}

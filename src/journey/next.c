/*
 * next.c - the next touchpoint of a customer, predicted by walking each
 * active instance forward without writing anything (rules evaluated with
 * today's data, waits for events assumed to time out), and explain.
 */
#include "journey.h"
#include "core/buf.h"
#include "core/check.h"
#include "core/text.h"
#include "store/journey_store.h"
#include "retain/journey.h"

#include <string.h>

typedef struct prediction {
    bool found;
    int64_t due_at;
    const jr_journey *j;
    const jr_step *s;
    char waits[200]; /* what the instance waits for on the way */
} prediction;

static int predict(retain_engine *e, const js_inst *in, int64_t now, prediction *p)
{
    memset(p, 0, sizeof *p);
    const jr_journey *j = jr_find(e, in->journey, in->version);
    if (!j || strcmp(in->state, "active"))
        return RETAIN_OK;
    int k = jr_step_index(j, in->step);
    int phase = in->phase;
    int64_t t = in->due_at;
    jr_ctx c = { in->customer, in->order_key, in->shipment_key,
                 in->wait_matched ? in->wait_matched : in->trigger_event, now, in->journey,
                 in->step, in->variant[0] ? in->variant : NULL, in->entered_at };
    for (int guard = 0; k >= 0 && guard < 512; guard++) {
        const jr_step *s = &j->steps[k];
        int next = s->next;
        if (phase == 0) {
            t += s->wait_ms;
            if (s->wait_until_min >= 0) {
                char zone[65] = "";
                js_customer_info(e, in->customer, NULL, 0, zone, sizeof zone);
                int rc = jr_next_local_minute(e, zone, t, s->wait_until_min, &t);
                if (rc)
                    return rc;
            }
            phase = 1;
        }
        c.now = t > now ? t : now;
        c.step = s->id;
        if (phase == 1 && s->when) {
            bool pass = false;
            int rc = jr_cond_eval(e, s->when, &c, &pass);
            if (rc)
                return rc;
            if (!pass) {
                k = k + 1 < j->nsteps ? k + 1 : -1;
                phase = 0;
                continue;
            }
        }
        switch (s->kind) {
        case JR_SEND:
            p->found = true;
            p->due_at = t;
            p->j = j;
            p->s = s;
            return RETAIN_OK;
        case JR_WAIT_FOR: {
            int64_t deadline = phase == 2 ? in->wait_deadline : t + s->u.wait_for.timeout_ms;
            if (phase == 2 && in->wait_matched) {
                t = in->due_at;
                break;
            }
            char when[32];
            rt_format_time(deadline, when, sizeof when);
            rt_format(p->waits, sizeof p->waits, "if %s does not happen by %s",
                      s->u.wait_for.event, when);
            t = deadline;
            if (s->u.wait_for.on_timeout >= 0)
                next = s->u.wait_for.on_timeout;
            break;
        }
        case JR_BRANCH: {
            int chosen = -1;
            for (int i = 0; i < s->u.branch.narms && chosen < 0; i++) {
                bool pass = true;
                int rc = s->u.branch.arms[i].when
                             ? jr_cond_eval(e, s->u.branch.arms[i].when, &c, &pass)
                             : RETAIN_OK;
                if (rc)
                    return rc;
                if (pass)
                    chosen = s->u.branch.arms[i].target;
            }
            if (chosen >= 0)
                next = chosen;
            break;
        }
        case JR_SPLIT: {
            char ext[257];
            int rc = js_customer_info(e, in->customer, ext, sizeof ext, NULL, 0);
            if (rc)
                return rc;
            uint32_t total = (uint32_t)s->u.split.holdout;
            for (int i = 0; i < s->u.split.nvariants; i++)
                total += (uint32_t)s->u.split.variants[i].weight;
            uint32_t b = jr_bucket(ext, j->name, total);
            bool holdout = true;
            for (int i = 0; i < s->u.split.nvariants && holdout; i++) {
                if (b < (uint32_t)s->u.split.variants[i].weight)
                    holdout = false;
                else
                    b -= (uint32_t)s->u.split.variants[i].weight;
            }
            if (holdout)
                return RETAIN_OK;
            break;
        }
        case JR_EXIT:
            return RETAIN_OK;
        default:
            break;
        }
        k = next;
        phase = 0;
    }
    return RETAIN_OK;
}

static void fill(retain_touchpoint *tp, const prediction *p)
{
    memset(tp, 0, sizeof *tp);
    tp->outlook = RETAIN_OUTLOOK_SEND;
    rt_copy(tp->journey, sizeof tp->journey, p->j->name);
    tp->version = p->j->version;
    rt_copy(tp->step, sizeof tp->step, p->s->id);
    rt_copy(tp->channel, sizeof tp->channel, p->s->u.send.channel);
    rt_copy(tp->category, sizeof tp->category, p->s->u.send.category);
    rt_copy(tp->template_id, sizeof tp->template_id, p->s->u.send.template_id);
    tp->due_at = p->due_at;
    tp->send_at = p->due_at;
    rt_copy(tp->reason, sizeof tp->reason, p->waits);
}

/* Ask the policy gate what it would do with the predicted send. */
static int outlook(retain_engine *e, const js_inst *in, const prediction *p, int64_t now,
                   retain_touchpoint *tp)
{
    rt_send_request req;
    memset(&req, 0, sizeof req);
    req.customer_key = in->customer;
    req.instance_id = in->id;
    req.journey = p->j->name;
    req.journey_version = p->j->version;
    req.step_id = p->s->id;
    req.channel = p->s->u.send.channel;
    req.category = p->s->u.send.category;
    req.template_id = p->s->u.send.template_id;
    req.fallback_channel = p->s->u.send.fallback;
    req.due_at = p->due_at;
    req.max_age_ms = p->s->u.send.max_age_ms;
    req.on_quiet = p->s->u.send.on_quiet;
    req.on_cap = p->s->u.send.on_cap;
    req.order_key = in->order_key;
    req.shipment_key = in->shipment_key;
    rt_gate_result g;
    memset(&g, 0, sizeof g);
    int rc = rt_dispatch_preview(e, &req, p->due_at > now ? p->due_at : now, &g);
    if (rc)
        return rc;
    if (g.decision == RT_GATE_DEFERRED) {
        tp->outlook = RETAIN_OUTLOOK_DEFER;
        tp->send_at = g.not_before;
    } else if (g.decision == RT_GATE_SKIPPED) {
        tp->outlook = RETAIN_OUTLOOK_SUPPRESS;
    }
    if (g.reason[0])
        rt_format(tp->reason, sizeof tp->reason, "%s%s%s", g.reason, tp->reason[0] ? "; " : "",
                  tp->reason);
    return RETAIN_OK;
}

static int next_of(retain_engine *e, int64_t customer, int64_t now, retain_touchpoint *out)
{
    memset(out, 0, sizeof *out);
    js_inst *list = NULL;
    int n = 0;
    int rc = js_inst_of_customer(e, customer, INT64_MIN, &list, &n);
    int best = -1;
    prediction bp;
    memset(&bp, 0, sizeof bp);
    for (int i = 0; i < n && rc == RETAIN_OK; i++) {
        prediction p;
        rc = predict(e, &list[i], now, &p);
        if (rc == RETAIN_OK && p.found && (best < 0 || p.due_at < bp.due_at)) {
            best = i;
            bp = p;
        }
    }
    if (rc == RETAIN_OK && best >= 0) {
        fill(out, &bp);
        rc = outlook(e, &list[best], &bp, now, out);
    }
    rt_free(&e->alloc, list);
    return rc;
}

int retain_customer_next(retain_touchpoint *out, retain_engine *e, const char *customer_id,
                         int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    memset(out, 0, sizeof *out);
    int64_t key;
    if ((rc = rt_check_id(e, "customer_id", customer_id)) || (rc = rt_check_time(e, "now", now)) ||
        (rc = jr_ensure_loaded(e)) || (rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    return next_of(e, key, now, out);
}

static void touchpoint_json(rt_buf *b, const retain_touchpoint *tp)
{
    static const char *const outlooks[] = { "none", "send", "defer", "suppress" };
    rt_buf_printf(b, "{\"outlook\":\"%s\"", outlooks[tp->outlook]);
    if (tp->outlook != RETAIN_OUTLOOK_NONE) {
        rt_buf_puts(b, ",\"journey\":");
        rt_buf_json_str(b, tp->journey);
        rt_buf_printf(b, ",\"version\":%d,\"step\":", tp->version);
        rt_buf_json_str(b, tp->step);
        rt_buf_puts(b, ",\"channel\":");
        rt_buf_json_str(b, tp->channel);
        rt_buf_puts(b, ",\"category\":");
        rt_buf_json_str(b, tp->category);
        rt_buf_puts(b, ",\"template\":");
        rt_buf_json_str(b, tp->template_id);
        rt_buf_printf(b, ",\"due_at\":%lld,\"send_at\":%lld", (long long)tp->due_at,
                      (long long)tp->send_at);
        if (tp->reason[0]) {
            rt_buf_puts(b, ",\"reason\":");
            rt_buf_json_str(b, tp->reason);
        }
    }
    rt_buf_putc(b, '}');
}

int retain_customer_explain(char **json_out, retain_engine *e, const char *customer_id,
                            int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "json_out", json_out)))
        return rc;
    *json_out = NULL;
    int64_t key;
    if ((rc = rt_check_id(e, "customer_id", customer_id)) || (rc = rt_check_time(e, "now", now)) ||
        (rc = jr_ensure_loaded(e)) || (rc = rt_customer_key(e, customer_id, &key)))
        return rc;
    js_inst *list = NULL;
    int n = 0;
    if ((rc = js_inst_of_customer(e, key, INT64_MIN, &list, &n)))
        return rc;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"customer\":");
    rt_buf_json_str(&b, customer_id);
    rt_buf_printf(&b, ",\"now\":%lld,\"instances\":[", (long long)now);
    for (int i = 0; i < n && rc == RETAIN_OK; i++) {
        const js_inst *in = &list[i];
        rt_buf_printf(&b, "%s{\"id\":%lld,\"journey\":", i ? "," : "", (long long)in->id);
        rt_buf_json_str(&b, in->journey);
        rt_buf_printf(&b, ",\"version\":%d,\"state\":", in->version);
        rt_buf_json_str(&b, in->state);
        rt_buf_puts(&b, ",\"step\":");
        rt_buf_json_str(&b, in->step);
        rt_buf_puts(&b, ",\"variant\":");
        rt_buf_json_str(&b, in->variant[0] ? in->variant : NULL);
        rt_buf_printf(&b, ",\"entered_at\":%lld,\"due_at\":%lld", (long long)in->entered_at,
                      (long long)in->due_at);
        if (in->wait_event[0]) {
            rt_buf_puts(&b, ",\"waiting_for\":{\"event\":");
            rt_buf_json_str(&b, in->wait_event);
            rt_buf_printf(&b, ",\"until\":%lld}", (long long)in->wait_deadline);
        }
        if (in->goal_at)
            rt_buf_printf(&b, ",\"goal_at\":%lld", (long long)in->goal_at);
        if (in->exit_reason[0]) {
            rt_buf_puts(&b, ",\"exit_reason\":");
            rt_buf_json_str(&b, in->exit_reason);
        }
        prediction p;
        rc = predict(e, in, now, &p);
        if (rc == RETAIN_OK && p.found) {
            retain_touchpoint tp;
            fill(&tp, &p);
            rc = outlook(e, in, &p, now, &tp);
            rt_buf_puts(&b, ",\"next\":");
            touchpoint_json(&b, &tp);
        }
        rt_buf_puts(&b, ",\"history\":");
        if (rc == RETAIN_OK)
            rc = js_history_json(e, in->id, &b);
        rt_buf_puts(&b, ",\"messages\":");
        if (rc == RETAIN_OK)
            rc = rt_dispatch_explain(e, in->id, in->customer, &b);
        rt_buf_putc(&b, '}');
    }
    retain_touchpoint tp;
    if (rc == RETAIN_OK)
        rc = next_of(e, key, now, &tp);
    if (rc == RETAIN_OK) {
        rt_buf_puts(&b, "],\"next\":");
        touchpoint_json(&b, &tp);
        rt_buf_putc(&b, '}');
    }
    rt_free(&e->alloc, list);
    if (rc) {
        rt_buf_free(&b);
        return rc;
    }
    if (rt_buf_finish(&b, json_out))
        return rt_nomem(e);
    return RETAIN_OK;
}

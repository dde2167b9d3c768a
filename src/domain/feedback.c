/*
 * feedback.c - recording feedback answers: validation, attribution to the
 * journey variant that asked, the "feedback.received" event, and the
 * escalation of a low score to a task routed to an agent.
 */
#include "core/buf.h"
#include "core/check.h"
#include "store/event.h"
#include "store/feedback_store.h"
#include "store/task_store.h"
#include "retain/feedback.h"

#include <string.h>

int retain_feedback_configure(retain_engine *e, const retain_feedback_config *c)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_ptr(e, "config", c)))
        return rc;
    if (c->version == 0 || c->version > RETAIN_FEEDBACK_CONFIG_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "config.version is %u; initialize with RETAIN_FEEDBACK_CONFIG_INIT",
                        c->version);
    if (c->escalate_at < -1 || c->escalate_at > 10)
        return rt_error(e, RETAIN_EINVAL,
                        "config.escalate_at is %d; it must be -1 (never) to 10", c->escalate_at);
    if ((rc = rt_check_name(e, "config.task_kind", c->task_kind)) ||
        (c->task_note && (rc = rt_check_text(e, "config.task_note", c->task_note, 1000))))
        return rc;
    fs_config row;
    row.escalate_at = c->escalate_at;
    rt_copy(row.task_kind, sizeof row.task_kind, c->task_kind);
    rt_copy(row.task_note, sizeof row.task_note, c->task_note);
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, fs_config_put(e, &row));
}

static void common_props(rt_buf *b, int score, const char *comment, const char *order_id,
                         int64_t id)
{
    rt_buf_printf(b, "\"score\":%d,\"comment\":", score);
    rt_buf_json_str(b, comment);
    rt_buf_puts(b, ",\"order\":");
    rt_buf_json_str(b, order_id);
    rt_buf_printf(b, ",\"feedback_id\":%lld", (long long)id);
}

static int emit(retain_engine *e, rt_buf *b, int64_t customer, const char *name, int64_t at,
                int64_t order_key)
{
    char *props = NULL;
    if (rt_buf_finish(b, &props))
        return rt_nomem(e);
    int rc = rt_event_emit(e, customer, name, at, props, order_key, 0);
    rt_free(&e->alloc, props);
    return rc;
}

static int record_tx(retain_engine *e, const char *customer_id, const char *order_id, int score,
                     retain_feedback_scale scale, const char *comment, int64_t at)
{
    fs_answer a;
    memset(&a, 0, sizeof a);
    char journey[65], variant[65];
    fs_config cfg;
    int rc = rt_customer_key(e, customer_id, &a.customer);
    if (rc == RETAIN_OK && order_id)
        rc = fs_order_key(e, order_id, &a.order_key);
    if (rc || (rc = fs_attribution(e, a.customer, a.order_key, at, journey, variant)) ||
        (rc = fs_config_get(e, &cfg)))
        return rc;
    a.score = score;
    a.scale_min = scale == RETAIN_SCALE_1_10 ? 1 : 0;
    a.comment = comment;
    a.at = at;
    a.journey = journey;
    a.variant = variant;
    a.escalated = score <= cfg.escalate_at;
    int64_t id;
    if ((rc = fs_insert(e, &a, &id)) || id == 0)
        return rc; /* an exact repeat: recorded, acknowledged and escalated once */
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_putc(&b, '{');
    common_props(&b, score, comment, order_id, id);
    rt_buf_puts(&b, scale == RETAIN_SCALE_1_10 ? ",\"scale\":\"1..10\"" : ",\"scale\":\"0..10\"");
    rt_buf_puts(&b, ",\"journey\":");
    rt_buf_json_str(&b, journey[0] ? journey : NULL);
    rt_buf_puts(&b, ",\"variant\":");
    rt_buf_json_str(&b, variant[0] ? variant : NULL);
    rt_buf_printf(&b, ",\"escalated\":%s}", a.escalated ? "true" : "false");
    if ((rc = emit(e, &b, a.customer, "feedback.received", at, a.order_key)) || !a.escalated)
        return rc;
    /* A task for a person, routed like any other (retain/task.h); its
     * "task.created" event carries the answer too. */
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"reason\":\"feedback\",");
    common_props(&b, score, comment, order_id, id);
    rt_buf_putc(&b, '}');
    char *extra = NULL;
    if (rt_buf_finish(&b, &extra))
        return rt_nomem(e);
    rc = rt_task_create(e, a.customer, a.order_key, 0, cfg.task_kind,
                        cfg.task_note[0] ? cfg.task_note : NULL, "feedback", extra, at, NULL);
    rt_free(&e->alloc, extra);
    return rc;
}

int retain_feedback_record(retain_engine *e, const char *customer_id, const char *order_id,
                           int score, retain_feedback_scale scale, const char *comment,
                           int64_t at)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "customer_id", customer_id)) ||
        (order_id && (rc = rt_check_id(e, "order_id", order_id))) ||
        (comment && (rc = rt_check_text(e, "comment", comment, 4000))) ||
        (rc = rt_check_time(e, "at", at)))
        return rc;
    if (scale != RETAIN_SCALE_0_10 && scale != RETAIN_SCALE_1_10)
        return rt_error(e, RETAIN_EINVAL,
                        "scale is %d; use RETAIN_SCALE_0_10 or RETAIN_SCALE_1_10", (int)scale);
    int lo = scale == RETAIN_SCALE_1_10 ? 1 : 0;
    if (score < lo || score > 10)
        return rt_error(e, RETAIN_EINVAL, "score %d is out of range for the %d..10 scale", score,
                        lo);
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, record_tx(e, customer_id, order_id, score, scale, comment, at));
}

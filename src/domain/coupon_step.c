/*
 * coupon_step.c - coupons inside the engine: the code a journey's
 * `coupon:` step issues, the payload patch later sends of that instance
 * carry (after checking the code still works), the redemption an arriving
 * order records, and the marketplace rule that forbids promo codes.
 */
#include "check.h"
#include "code.h"
#include "core/buf.h"
#include "policy/policy.h"
#include "store/journey_store.h"

#include <string.h>

int rt_coupon_issue_step(retain_engine *e, const char *campaign, int64_t customer_key,
                         int64_t instance, const char *step, int64_t at, rt_step_coupon *out)
{
    memset(out, 0, sizeof *out);
    rt_copy(out->step, sizeof out->step, step);
    cs_campaign c;
    int rc = cs_campaign_get(e, campaign, &c);
    if (rc == RETAIN_ENOTFOUND) {
        /* Campaigns may be defined after the journey: not a failure of the tick. */
        rt_clear_error(e);
        out->reason = RETAIN_COUPON_UNKNOWN;
        rt_format(out->why, sizeof out->why, "coupon campaign \"%s\" is not defined", campaign);
        return RETAIN_OK;
    }
    if (rc)
        return rc;
    /* Would a code issued now work for this customer? Check before drawing. */
    cs_coupon probe;
    memset(&probe, 0, sizeof probe);
    rt_copy(probe.code, sizeof probe.code, c.prefix);
    probe.customer = customer_key;
    probe.expires_at = c.expires_at;
    probe.revoked_at = INT64_MIN;
    retain_coupon_check chk = RETAIN_COUPON_CHECK_INIT;
    rt_coupon_terms t = { NULL, NULL, false };
    if ((rc = rt_coupon_judge(e, &probe, &c, customer_key, &t, at, &chk)))
        return rc;
    if (chk.reason != RETAIN_COUPON_VALID) {
        out->reason = chk.reason;
        rt_format(out->why, sizeof out->why, "campaign %s cannot issue a code that works (%s)",
                  c.name, retain_coupon_reason_name(chk.reason));
        return RETAIN_OK;
    }
    cs_coupon k;
    rc = rt_coupon_issue_row(e, &c, customer_key, instance, step, at, &k);
    if (rc == RETAIN_EMISUSE || rc == RETAIN_ECONFLICT) {
        /* No randomness configured, or no free code after the retries: the
         * store's setup, not this tick, is at fault; the step takes its
         * on_invalid path and says why, and every other journey goes on. */
        out->reason = RETAIN_COUPON_UNKNOWN;
        rt_copy(out->why, sizeof out->why, e->errmsg);
        rt_clear_error(e);
        return RETAIN_OK;
    }
    if (rc)
        return rc;
    out->id = k.id;
    rt_copy(out->code, sizeof out->code, k.code);
    out->reason = RETAIN_COUPON_VALID;
    return RETAIN_OK;
}

static void money_json(rt_buf *b, int64_t amount, const char *currency)
{
    rt_buf_printf(b, "{\"amount\":%lld,\"currency\":", (long long)amount);
    rt_buf_json_str(b, currency);
    rt_buf_putc(b, '}');
}

static int payload_of(retain_engine *e, const cs_coupon *k, const cs_campaign *c, char **json)
{
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"coupon\":{\"code\":");
    rt_buf_json_str(&b, k->code);
    rt_buf_puts(&b, ",\"campaign\":");
    rt_buf_json_str(&b, c->name);
    if (c->kind == RETAIN_DISCOUNT_PERCENT) {
        rt_buf_printf(&b, ",\"discount\":{\"percent\":%d}", c->percent);
    } else {
        rt_buf_puts(&b, ",\"discount\":");
        money_json(&b, c->amount, c->currency);
    }
    rt_buf_puts(&b, ",\"min_order\":");
    if (c->min_total)
        money_json(&b, c->min_total, c->min_currency);
    else
        rt_buf_puts(&b, "null");
    if (k->expires_at == INT64_MIN)
        rt_buf_puts(&b, ",\"expires_at\":null");
    else
        rt_buf_printf(&b, ",\"expires_at\":%lld", (long long)k->expires_at);
    rt_buf_printf(&b, ",\"uses\":%d}}", c->max_uses);
    return rt_buf_finish(&b, json) ? rt_nomem(e) : RETAIN_OK;
}

/* Whether code k (its campaign into *c) may go out to its customer at `at`:
 * not expired, used up, revoked, nor the customer's limit reached. */
static int judge_for_sending(retain_engine *e, const cs_coupon *k, cs_campaign *c, int64_t at,
                             retain_coupon_check *chk)
{
    int rc = cs_campaign_by_id(e, k->campaign, c);
    rt_coupon_terms t = { NULL, NULL, false };
    return rc ? rc : rt_coupon_judge(e, k, c, k->customer, &t, at, chk);
}

int rt_coupon_of_instance(retain_engine *e, int64_t instance, int64_t at, bool *found,
                          rt_step_coupon *out, char **json)
{
    memset(out, 0, sizeof *out);
    if (json)
        *json = NULL;
    cs_coupon k;
    cs_campaign c;
    retain_coupon_check chk = RETAIN_COUPON_CHECK_INIT;
    int rc = cs_coupon_of_instance(e, instance, &k, found);
    if (rc || !*found || (rc = judge_for_sending(e, &k, &c, at, &chk)))
        return rc;
    out->id = k.id;
    out->delivered = k.delivered;
    rt_copy(out->code, sizeof out->code, k.code);
    rt_copy(out->step, sizeof out->step, k.step);
    out->reason = chk.reason;
    if (chk.reason != RETAIN_COUPON_VALID) {
        rt_copy(out->why, sizeof out->why, chk.message);
        return RETAIN_OK;
    }
    return json ? payload_of(e, &k, &c, json) : RETAIN_OK;
}

int rt_coupon_drop(retain_engine *e, int64_t coupon, int64_t at)
{
    return cs_coupon_drop(e, coupon, at);
}

int rt_coupon_message_queued(retain_engine *e, int64_t message, int64_t coupon)
{
    return cs_coupon_message_add(e, message, coupon);
}

int rt_coupon_message_check(retain_engine *e, int64_t message, int64_t now, bool *ok, char *why,
                            size_t whysz)
{
    *ok = true;
    cs_coupon k;
    cs_campaign c;
    retain_coupon_check chk = RETAIN_COUPON_CHECK_INIT;
    bool found = false;
    int rc = cs_coupon_of_message(e, message, &k, &found);
    if (rc || !found || (rc = judge_for_sending(e, &k, &c, now, &chk)))
        return rc;
    *ok = chk.reason == RETAIN_COUPON_VALID;
    if (!*ok)
        rt_copy(why, whysz, chk.message);
    return RETAIN_OK;
}

int rt_coupon_on_order(retain_engine *e, const char *code, int64_t customer_key,
                       const char *order_ext, int64_t order_key, int64_t at)
{
    char norm[RETAIN_COUPON_CODE_MAX];
    cs_coupon k;
    bool known = false, again = false;
    if (!code || !rt_code_normalize(code, norm))
        return RETAIN_OK;
    int rc = cs_coupon_get(e, norm, &k, &known);
    if (rc || !known || (rc = cs_redemption_exists(e, k.id, order_ext, &again)) || again)
        return rc;
    cs_campaign c;
    if ((rc = cs_campaign_by_id(e, k.campaign, &c)))
        return rc;
    /* The order happened: its use counts even if the code no longer worked
     * (the event says so), so that no code is used more often unnoticed. */
    retain_coupon_check chk = RETAIN_COUPON_CHECK_INIT;
    rt_coupon_terms t = { NULL, NULL, true };
    if ((rc = rt_coupon_judge(e, &k, &c, customer_key, &t, at, &chk)) ||
        (rc = cs_redeem(e, &k, customer_key, order_ext, at)))
        return rc;
    return rt_coupon_redeemed_event(e, &k, &c, customer_key, order_ext, order_key, at,
                                    chk.reason == RETAIN_COUPON_VALID ? NULL : &chk);
}

int rt_coupon_forbidden_channel(retain_engine *e, const char *sales_channel, bool *forbidden,
                                char *why, size_t whysz)
{
    *forbidden = false;
    const rt_policy *p = NULL;
    int rc = rt_policy_get(e, &p);
    if (rc)
        return rc;
    const rt_profile *pr = rt_profile_for(p, sales_channel);
    for (int i = 0; pr && i < pr->remove_keys.n && !*forbidden; i++)
        if (!strcmp(pr->remove_keys.v[i], "coupon")) {
            *forbidden = true;
            rt_format(why, whysz, "the %s marketplace profile forbids promo codes for %s orders",
                      pr->name, sales_channel);
        }
    return RETAIN_OK;
}

int rt_coupon_forbidden(retain_engine *e, int64_t order_key, bool *forbidden, char *why,
                        size_t whysz)
{
    *forbidden = false;
    if (!order_key)
        return RETAIN_OK;
    char ch[65];
    int rc = js_order_channel(e, order_key, ch, sizeof ch);
    return rc ? rc : rt_coupon_forbidden_channel(e, ch, forbidden, why, whysz);
}

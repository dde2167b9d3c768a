/*
 * coupon.c - the coupon API for hosts: campaigns, issuing, and the one
 * validity check that checkout, redemption, journey steps and delivery
 * all use (check.h), so a code is judged the same way everywhere.
 */
#include "check.h"
#include "code.h"
#include "core/buf.h"
#include "core/check.h"
#include "core/text.h"
#include "store/event.h"

#include <string.h>

const char *retain_coupon_reason_name(retain_coupon_reason r)
{
    static const char *const names[] = {
        "valid", "unknown", "expired", "used_up", "customer_limit", "minimum_not_met",
        "wrong_channel", "revoked", "wrong_customer", "wrong_currency",
    };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

/* ---- campaigns ------------------------------------------------------- */

static int check_prefix(retain_engine *e, const char *p)
{
    size_t n = p ? strlen(p) : 0;
    bool ok = n <= 16;
    for (size_t i = 0; ok && i < n; i++)
        ok = (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-';
    if (!ok)
        return rt_error(e, RETAIN_EINVAL,
                        "coupon prefix \"%.20s\" must be at most 16 of A-Z, 0-9 and '-'", p);
    return RETAIN_OK;
}

int rt_campaign_convert(retain_engine *e, const retain_coupon_campaign *c, cs_campaign *out)
{
    int rc;
    if ((rc = rt_check_ptr(e, "campaign", c)))
        return rc;
    if (c->version == 0 || c->version > RETAIN_COUPON_CAMPAIGN_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "campaign.version is %u; initialize with RETAIN_COUPON_CAMPAIGN_INIT",
                        c->version);
    if ((rc = rt_check_name(e, "campaign.name", c->name)) || (rc = check_prefix(e, c->prefix)))
        return rc;
    memset(out, 0, sizeof *out);
    rt_copy(out->name, sizeof out->name, c->name);
    rt_copy(out->prefix, sizeof out->prefix, c->prefix);
    out->code_length = c->code_length ? c->code_length : 8;
    if (out->code_length < 6 || out->code_length > 12)
        return rt_error(e, RETAIN_EINVAL, "campaign.code_length is %d; it must be 6 to 12",
                        c->code_length);
    out->kind = c->discount;
    if (c->discount == RETAIN_DISCOUNT_PERCENT) {
        if (c->percent < 1 || c->percent > 100)
            return rt_error(e, RETAIN_EINVAL, "campaign.percent is %d; it must be 1 to 100",
                            c->percent);
        out->percent = c->percent;
    } else if (c->discount == RETAIN_DISCOUNT_FIXED) {
        if ((rc = rt_check_currency(e, "campaign.amount.currency", c->amount.currency)))
            return rc;
        if (c->amount.amount <= 0)
            return rt_error(e, RETAIN_EINVAL, "campaign.amount is %lld; it must be > 0",
                            (long long)c->amount.amount);
        out->amount = c->amount.amount;
        rt_copy(out->currency, sizeof out->currency, c->amount.currency);
    } else {
        return rt_error(e, RETAIN_EINVAL,
                        "campaign.discount is %d; use RETAIN_DISCOUNT_PERCENT or _FIXED",
                        (int)c->discount);
    }
    if (c->min_total.amount < 0)
        return rt_error(e, RETAIN_EINVAL, "campaign.min_total is %lld; it must be >= 0",
                        (long long)c->min_total.amount);
    if (c->min_total.amount > 0) {
        if ((rc = rt_check_currency(e, "campaign.min_total.currency", c->min_total.currency)))
            return rc;
        out->min_total = c->min_total.amount;
        rt_copy(out->min_currency, sizeof out->min_currency, c->min_total.currency);
    }
    if ((rc = rt_check_opt_time(e, "campaign.expires_at", c->expires_at)))
        return rc;
    out->expires_at = c->expires_at;
    if (c->valid_for_ms < 0 || c->valid_for_ms > 100LL * 366 * 86400000)
        return rt_error(e, RETAIN_EINVAL, "campaign.valid_for_ms is %lld; it must be 0 to 100 years",
                        (long long)c->valid_for_ms);
    out->valid_for_ms = c->valid_for_ms;
    if (c->max_uses < 0 || c->per_customer < 0)
        return rt_error(e, RETAIN_EINVAL, "campaign.max_uses and per_customer must be >= 0");
    out->max_uses = c->max_uses ? c->max_uses : 1;
    out->per_customer = c->per_customer;
    if (c->channels_count && !c->channels)
        return rt_error(e, RETAIN_EINVAL, "campaign.channels is NULL but channels_count is %zu",
                        c->channels_count);
    size_t used = 0;
    for (size_t i = 0; i < c->channels_count; i++) {
        if ((rc = rt_check_name(e, "campaign.channels[]", c->channels[i])))
            return rc;
        size_t n = strlen(c->channels[i]);
        if (used + n + 3 > sizeof out->channels)
            return rt_error(e, RETAIN_EINVAL, "campaign.channels is too long");
        if (!used)
            out->channels[used++] = ',';
        memcpy(out->channels + used, c->channels[i], n);
        used += n;
        out->channels[used++] = ',';
        out->channels[used] = '\0';
    }
    return RETAIN_OK;
}

int retain_coupon_campaign_define(retain_engine *e, const retain_coupon_campaign *c, int64_t now)
{
    RT_ENGINE_GUARD(e);
    cs_campaign row;
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_time(e, "now", now)) || (rc = rt_campaign_convert(e, c, &row)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, cs_campaign_put(e, &row, now));
}

/* ---- the check ------------------------------------------------------- */

static void describe(const cs_campaign *c, const cs_coupon *k, retain_coupon_check *out)
{
    rt_copy(out->campaign, sizeof out->campaign, c->name);
    out->discount = (retain_discount_kind)c->kind;
    out->percent = c->percent;
    out->expires_at = k->expires_at;
    out->uses_left = c->max_uses > k->uses ? c->max_uses - k->uses : 0;
}

static void refuse(retain_coupon_check *out, retain_coupon_reason r, const char *code,
                   const char *fmt_tail)
{
    out->reason = r;
    rt_format(out->message, sizeof out->message, "code %s %s", code, fmt_tail);
}

/* The discount on `total` in minor units: percent rounds half up, a fixed
 * amount never exceeds the total. */
static int64_t discount_on(const cs_campaign *c, int64_t total)
{
    if (c->kind == RETAIN_DISCOUNT_FIXED)
        return c->amount < total ? c->amount : total;
    /* total * percent may overflow for absurd totals: split it. */
    int64_t whole = total / 100 * c->percent, rest = total % 100 * c->percent;
    return whole + (rest + 50) / 100;
}

int rt_coupon_judge(retain_engine *e, const cs_coupon *k, const cs_campaign *c,
                    int64_t customer_key, const rt_coupon_terms *t, int64_t now,
                    retain_coupon_check *out)
{
    char when[32];
    describe(c, k, out);
    out->reason = RETAIN_COUPON_VALID;
    out->message[0] = '\0';
    if (k->revoked_at != INT64_MIN && k->revoked_at <= now) {
        rt_format_time(k->revoked_at, when, sizeof when);
        char tail[80];
        rt_format(tail, sizeof tail, "was revoked on %s", when);
        refuse(out, RETAIN_COUPON_REVOKED, k->code, tail);
        return RETAIN_OK;
    }
    if (k->expires_at != INT64_MIN && now >= k->expires_at) {
        rt_format_time(k->expires_at, when, sizeof when);
        char tail[80];
        rt_format(tail, sizeof tail, "expired on %s", when);
        refuse(out, RETAIN_COUPON_EXPIRED, k->code, tail);
        return RETAIN_OK;
    }
    if (k->customer && t->check_customer && k->customer != customer_key) {
        refuse(out, RETAIN_COUPON_WRONG_CUSTOMER, k->code, "was issued to another customer");
        return RETAIN_OK;
    }
    if (k->uses >= c->max_uses) {
        char tail[80];
        rt_format(tail, sizeof tail, "is used up (%lld of %d uses)", (long long)k->uses,
                  c->max_uses);
        refuse(out, RETAIN_COUPON_USED_UP, k->code, tail);
        return RETAIN_OK;
    }
    int64_t who = customer_key ? customer_key : k->customer;
    if (c->per_customer && who) {
        int64_t n = 0;
        int rc = cs_customer_redemptions(e, c->id, who, &n);
        if (rc)
            return rc;
        if (n >= c->per_customer) {
            char tail[120];
            rt_format(tail, sizeof tail,
                      "cannot be used: this customer has used campaign %s %lld time%s (limit %d)",
                      c->name, (long long)n, n == 1 ? "" : "s", c->per_customer);
            refuse(out, RETAIN_COUPON_CUSTOMER_LIMIT, k->code, tail);
            return RETAIN_OK;
        }
    }
    if (t->channel && c->channels[0]) {
        char needle[70];
        rt_format(needle, sizeof needle, ",%s,", t->channel);
        if (!strstr(c->channels, needle)) {
            char tail[160];
            rt_format(tail, sizeof tail, "is not valid for %s orders (only %.*s)", t->channel,
                      (int)strlen(c->channels) - 2, c->channels + 1);
            refuse(out, RETAIN_COUPON_WRONG_CHANNEL, k->code, tail);
            return RETAIN_OK;
        }
    }
    if (t->total) {
        const char *cur = c->min_total ? c->min_currency
                          : c->kind == RETAIN_DISCOUNT_FIXED ? c->currency : NULL;
        if (cur && strcmp(cur, t->total->currency) != 0) {
            char tail[80];
            rt_format(tail, sizeof tail, "applies to orders in %s, not %s", cur,
                      t->total->currency);
            refuse(out, RETAIN_COUPON_WRONG_CURRENCY, k->code, tail);
            return RETAIN_OK;
        }
        if (t->total->amount < c->min_total) {
            char tail[120];
            int digits = rt_currency_digits(c->min_currency);
            int64_t div = 1;
            for (int i = 0; i < digits; i++)
                div *= 10;
            rt_format(tail, sizeof tail, "needs an order of at least %lld.%0*lld %s",
                      (long long)(c->min_total / div), digits, (long long)(c->min_total % div),
                      c->min_currency);
            if (digits <= 0)
                rt_format(tail, sizeof tail, "needs an order of at least %lld %s",
                          (long long)c->min_total, c->min_currency);
            refuse(out, RETAIN_COUPON_MINIMUM_NOT_MET, k->code, tail);
            return RETAIN_OK;
        }
        out->discount_amount.amount = discount_on(c, t->total->amount);
        rt_copy(out->discount_amount.currency, sizeof out->discount_amount.currency,
                t->total->currency);
    }
    rt_format(out->message, sizeof out->message, "code %s is valid", k->code);
    return RETAIN_OK;
}

/* ---- public checks --------------------------------------------------- */

static int check_args(retain_engine *e, retain_coupon_check *out, const char *code,
                      const char *customer_id, const retain_money *total, const char *channel,
                      int64_t now)
{
    int rc;
    if ((rc = rt_check_ptr(e, "out", out)))
        return rc;
    if (out->version == 0 || out->version > RETAIN_COUPON_CHECK_VERSION)
        return rt_error(e, RETAIN_EINVAL,
                        "out->version is %u; initialize with RETAIN_COUPON_CHECK_INIT",
                        out->version);
    if ((rc = rt_check_id(e, "code", code)) ||
        (customer_id && (rc = rt_check_id(e, "customer_id", customer_id))) ||
        (channel && (rc = rt_check_name(e, "channel", channel))) ||
        (rc = rt_check_time(e, "now", now)))
        return rc;
    if (total) {
        if ((rc = rt_check_currency(e, "total.currency", total->currency)))
            return rc;
        if (total->amount < 0)
            return rt_error(e, RETAIN_EINVAL, "total is %lld; it must be >= 0",
                            (long long)total->amount);
    }
    unsigned int v = out->version;
    memset(out, 0, sizeof *out);
    out->version = v;
    out->expires_at = INT64_MIN;
    return RETAIN_OK;
}

/* Look the code and its campaign up; *known false for an unknown code,
 * with out filled as the refusal. */
static int lookup(retain_engine *e, const char *code, cs_coupon *k, cs_campaign *c, bool *known,
                  retain_coupon_check *out)
{
    char norm[RETAIN_COUPON_CODE_MAX];
    *known = false;
    int rc = RETAIN_OK;
    if (rt_code_normalize(code, norm))
        rc = cs_coupon_get(e, norm, k, known);
    if (rc == RETAIN_OK && *known)
        rc = cs_campaign_by_id(e, k->campaign, c);
    if (rc == RETAIN_OK && !*known) {
        out->reason = RETAIN_COUPON_UNKNOWN;
        rt_format(out->message, sizeof out->message, "code %.40s does not exist", code);
    }
    return rc;
}

/* A guest (NULL) is customer 0; an unknown customer id is an error. */
static int customer_of(retain_engine *e, const char *customer_id, int64_t *key)
{
    *key = 0;
    return customer_id ? rt_customer_key(e, customer_id, key) : RETAIN_OK;
}

int retain_coupon_validate(retain_coupon_check *out, retain_engine *e, const char *code,
                           const char *customer_id, const retain_money *total,
                           const char *channel, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = check_args(e, out, code, customer_id, total, channel, now);
    if (rc)
        return rc;
    int64_t cust;
    cs_coupon k;
    cs_campaign c;
    bool known;
    if ((rc = customer_of(e, customer_id, &cust)) || (rc = lookup(e, code, &k, &c, &known, out)))
        return rc;
    rt_coupon_terms t = { total, channel, true };
    return known ? rt_coupon_judge(e, &k, &c, cust, &t, now, out) : RETAIN_OK;
}

static int redeem_tx(retain_engine *e, retain_coupon_check *out, const char *code,
                     const char *customer_id, const char *order_id, const retain_money *total,
                     const char *channel, int64_t now)
{
    int64_t cust;
    cs_coupon k;
    cs_campaign c;
    bool known, again = false;
    int rc;
    if ((rc = customer_of(e, customer_id, &cust)) || (rc = lookup(e, code, &k, &c, &known, out)))
        return rc;
    if (!known)
        return RETAIN_OK;
    if ((rc = cs_redemption_exists(e, k.id, order_id, &again)))
        return rc;
    if (again) {
        /* A replay of the same redemption: answered as accepted, counted once. */
        describe(&c, &k, out);
        out->reason = RETAIN_COUPON_VALID;
        rt_format(out->message, sizeof out->message, "code %s was redeemed for order %.60s",
                  k.code, order_id);
        return RETAIN_OK;
    }
    rt_coupon_terms t = { total, channel, true };
    if ((rc = rt_coupon_judge(e, &k, &c, cust, &t, now, out)) || out->reason != RETAIN_COUPON_VALID)
        return rc;
    if ((rc = cs_redeem(e, &k, cust ? cust : k.customer, order_id, now)))
        return rc;
    k.uses++;
    describe(&c, &k, out);
    return rt_coupon_redeemed_event(e, &k, &c, cust ? cust : k.customer, order_id, 0, now, NULL);
}

int retain_coupon_redeem(retain_coupon_check *out, retain_engine *e, const char *code,
                         const char *customer_id, const char *order_id, const retain_money *total,
                         const char *channel, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = check_args(e, out, code, customer_id, total, channel, now)) ||
        (rc = rt_check_id(e, "order_id", order_id)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    return rt_tx_end(e, redeem_tx(e, out, code, customer_id, order_id, total, channel, now));
}

int rt_coupon_redeemed_event(retain_engine *e, const cs_coupon *k, const cs_campaign *c,
                             int64_t customer, const char *order_ext, int64_t order_key,
                             int64_t at, const retain_coupon_check *refused)
{
    if (!customer)
        return RETAIN_OK;
    rt_buf b;
    rt_buf_init(&b, &e->alloc);
    rt_buf_puts(&b, "{\"code\":");
    rt_buf_json_str(&b, k->code);
    rt_buf_puts(&b, ",\"campaign\":");
    rt_buf_json_str(&b, c->name);
    rt_buf_puts(&b, ",\"order\":");
    rt_buf_json_str(&b, order_ext);
    rt_buf_printf(&b, ",\"accepted\":%s", refused ? "false" : "true");
    if (refused) {
        rt_buf_puts(&b, ",\"reason\":");
        rt_buf_json_str(&b, retain_coupon_reason_name(refused->reason));
    }
    rt_buf_putc(&b, '}');
    char *props = NULL;
    if (rt_buf_finish(&b, &props))
        return rt_nomem(e);
    int rc = rt_event_emit(e, customer, "coupon.redeemed", at, props, order_key, 0);
    rt_free(&e->alloc, props);
    return rc;
}

int retain_coupon_revoke(retain_engine *e, const char *code, const char *reason, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc = rt_check_writable(e);
    if (rc || (rc = rt_check_id(e, "code", code)) || (rc = rt_check_time(e, "now", now)) ||
        (reason && (rc = rt_check_text(e, "reason", reason, 1000))))
        return rc;
    char norm[RETAIN_COUPON_CODE_MAX];
    cs_coupon k;
    bool found = false;
    if ((rc = rt_tx_begin(e)))
        return rc;
    if (rt_code_normalize(code, norm))
        rc = cs_coupon_get(e, norm, &k, &found);
    if (rc == RETAIN_OK && !found)
        rc = rt_error(e, RETAIN_ENOTFOUND, "coupon code \"%.40s\" does not exist", code);
    if (rc == RETAIN_OK)
        rc = cs_coupon_revoke(e, k.id, now, reason);
    return rt_tx_end(e, rc);
}

/* ---- issuing --------------------------------------------------------- */

int rt_coupon_issue_row(retain_engine *e, const cs_campaign *c, int64_t customer,
                        int64_t instance, const char *step, int64_t now, cs_coupon *out)
{
    memset(out, 0, sizeof *out);
    int rc = rt_code_new(e, c, out->code);
    if (rc)
        return rc;
    out->campaign = c->id;
    out->customer = customer;
    out->issued_at = now;
    out->expires_at = c->expires_at;
    if (c->valid_for_ms && (out->expires_at == INT64_MIN || now + c->valid_for_ms < out->expires_at))
        out->expires_at = now + c->valid_for_ms;
    out->revoked_at = INT64_MIN;
    out->instance = instance;
    rt_copy(out->step, sizeof out->step, step);
    return cs_coupon_insert(e, out, &out->id);
}

int retain_coupon_issue(char *code, size_t code_size, retain_engine *e, const char *campaign,
                        const char *customer_id, int64_t now)
{
    RT_ENGINE_GUARD(e);
    int rc;
    if ((rc = rt_check_ptr(e, "code", code)))
        return rc;
    if (code_size < RETAIN_COUPON_CODE_MAX)
        return rt_error(e, RETAIN_EINVAL, "code_size is %zu; it must be at least %d", code_size,
                        RETAIN_COUPON_CODE_MAX);
    code[0] = '\0';
    if ((rc = rt_check_writable(e)) || (rc = rt_check_name(e, "campaign", campaign)) ||
        (customer_id && (rc = rt_check_id(e, "customer_id", customer_id))) ||
        (rc = rt_check_time(e, "now", now)))
        return rc;
    if ((rc = rt_tx_begin(e)))
        return rc;
    cs_campaign c;
    cs_coupon k;
    int64_t cust = 0;
    if ((rc = customer_of(e, customer_id, &cust)) == RETAIN_OK &&
        (rc = cs_campaign_get(e, campaign, &c)) == RETAIN_OK)
        rc = rt_coupon_issue_row(e, &c, cust, 0, NULL, now, &k);
    if ((rc = rt_tx_end(e, rc)) == RETAIN_OK)
        rt_copy(code, code_size, k.code);
    return rc;
}

/*
 * check.h (internal to src/domain) - the one judgement of a coupon code,
 * shared by checkout (validate, redeem), journey steps and delivery.
 */
#ifndef RT_DOMAIN_CHECK_H
#define RT_DOMAIN_CHECK_H

#include "domain.h"
#include "store/coupon_store.h"

/* What the code is judged against; NULL members are not checked. */
typedef struct rt_coupon_terms {
    const retain_money *total; /* minimum order, currency, discount */
    const char *channel;       /* allowed sales channels */
    bool check_customer;       /* a code issued to someone works only for them */
} rt_coupon_terms;

/* Fill out (reason, message, discount ...) for code k of campaign c used
 * by customer row `customer_key` (0: a guest) at `now`. Checks in order:
 * revoked, expired, wrong customer, used up, customer limit, channel,
 * currency, minimum. */
int rt_coupon_judge(retain_engine *e, const cs_coupon *k, const cs_campaign *c,
                    int64_t customer_key, const rt_coupon_terms *t, int64_t now,
                    retain_coupon_check *out);

/* A public campaign struct as a row; validates every member. */
int rt_campaign_convert(retain_engine *e, const retain_coupon_campaign *c, cs_campaign *out);

/* Draw, store and return a new code (inside a transaction). */
int rt_coupon_issue_row(retain_engine *e, const cs_campaign *c, int64_t customer,
                        int64_t instance, const char *step, int64_t now, cs_coupon *out);

/* "coupon.redeemed" for customer row `customer` (none: nothing); `refused`
 * is the judgement of a code the order used although it did not work. */
int rt_coupon_redeemed_event(retain_engine *e, const cs_coupon *k, const cs_campaign *c,
                             int64_t customer, const char *order_ext, int64_t order_key,
                             int64_t at, const retain_coupon_check *refused);

#endif

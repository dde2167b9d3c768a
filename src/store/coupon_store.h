/*
 * coupon_store.h (internal) - SQL for coupon campaigns, issued codes and
 * their redemptions. The rules (what makes a code valid) live in
 * src/domain/coupon.c; this file only reads and writes rows.
 */
#ifndef RT_COUPON_STORE_H
#define RT_COUPON_STORE_H

#include "store.h"

#define CS_CODE 48     /* prefix (16) + random part (12) + NUL, with room */
#define CS_CHANNELS 1040

typedef struct cs_campaign {
    int64_t id;
    char name[65];
    char prefix[17];
    int code_length;
    int kind;                 /* retain_discount_kind */
    int percent;
    int64_t amount;           /* fixed discount, minor units */
    char currency[4];         /* of the fixed discount, "" for percent */
    int64_t min_total;        /* 0: no minimum */
    char min_currency[4];
    int64_t expires_at;       /* INT64_MIN: none */
    int64_t valid_for_ms;     /* 0: none */
    int max_uses, per_customer;
    char channels[CS_CHANNELS]; /* ",web,pos," or "" for any */
    int64_t drawn;            /* random draws made so far */
} cs_campaign;

typedef struct cs_coupon {
    int64_t id;
    char code[CS_CODE];
    int64_t campaign;
    int64_t customer;         /* 0: anyone */
    char customer_ext[257];   /* "" when anyone */
    int64_t issued_at;
    int64_t expires_at;       /* INT64_MIN: none */
    int64_t uses;
    int64_t revoked_at;       /* INT64_MIN: not revoked */
    int64_t instance;         /* journey instance that issued it, 0 when the host did */
    char step[65];
    bool delivered;           /* a message was queued with it */
} cs_coupon;

/* Insert or update the campaign named c->name (drawn is kept). */
int cs_campaign_put(retain_engine *e, const cs_campaign *c, int64_t now);
/* RETAIN_ENOTFOUND with a message when absent. */
int cs_campaign_get(retain_engine *e, const char *name, cs_campaign *out);
int cs_campaign_by_id(retain_engine *e, int64_t id, cs_campaign *out);
/* Add n to the campaign's draw counter; *before is its value before. */
int cs_campaign_draw(retain_engine *e, int64_t id, int64_t n, int64_t *before);

/* Whether a code exists already. */
int cs_code_exists(retain_engine *e, const char *code, bool *exists);
int cs_coupon_insert(retain_engine *e, const cs_coupon *c, int64_t *id);
/* *found false when the code is unknown (no error). */
int cs_coupon_get(retain_engine *e, const char *code, cs_coupon *out, bool *found);
/* The latest code issued by journey instance `instance` and not dropped;
 * *found false if none. */
int cs_coupon_of_instance(retain_engine *e, int64_t instance, cs_coupon *out, bool *found);
/* The instance gave the code up (it stopped working before it was sent). */
int cs_coupon_drop(retain_engine *e, int64_t id, int64_t at);
int cs_coupon_revoke(retain_engine *e, int64_t id, int64_t at, const char *reason);

/* Message `message` carries code `coupon`; the code of a message, if any. */
int cs_coupon_message_add(retain_engine *e, int64_t message, int64_t coupon);
int cs_coupon_of_message(retain_engine *e, int64_t message, cs_coupon *out, bool *found);

/* Redemptions of campaign `campaign` by customer row `customer`. */
int cs_customer_redemptions(retain_engine *e, int64_t campaign, int64_t customer, int64_t *n);
/* Whether the code was redeemed for host order `order_ext` already. */
int cs_redemption_exists(retain_engine *e, int64_t coupon, const char *order_ext, bool *exists);
/* Record a redemption and count the use. */
int cs_redeem(retain_engine *e, const cs_coupon *c, int64_t customer, const char *order_ext,
              int64_t at);

#endif

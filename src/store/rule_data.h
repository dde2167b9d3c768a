/*
 * rule_data.h (internal) - the store rows a rule may read, loaded for the
 * journey runner in as few queries as the rule needs.
 */
#ifndef RT_RULE_DATA_H
#define RT_RULE_DATA_H

#include "store.h"

#define RD_MAX_SKUS 64

typedef struct rd_customer {
    char id[257], email[256], phone[24], timezone[65], locale[36];
    int64_t orders_count;
    int64_t first_order_at, last_order_at; /* INT64_MIN when none */
    bool has_p_alive, has_clv, has_revenue;
    double p_alive;
    int64_t clv, revenue;
    char clv_currency[4], revenue_currency[4];
    char *attrs; /* JSON, owned: free with rt_free(&e->alloc, ...) */
} rd_customer;

typedef struct rd_order {
    char id[257], channel[65], currency[4], status[16], coupon[257];
    int64_t total, placed_at, lines_count;
    int nskus;
    char skus[RD_MAX_SKUS][65];
} rd_order;

typedef struct rd_shipment {
    char carrier[65], status[32], exception[256];
    int64_t promised_at, eta, delivered_at; /* INT64_MIN when none */
    bool found;
} rd_shipment;

typedef struct rd_event {
    char name[65];
    int64_t at;
    char *props; /* JSON, owned */
} rd_event;

/* Each loader returns RETAIN_OK with `found`-style defaults when the row is
 * gone. revenue_currency picks which currency customer.revenue reports
 * (NULL: the customer's largest). */
int rd_load_customer(retain_engine *e, int64_t key, const char *revenue_currency,
                     bool with_attrs, rd_customer *out);
int rd_load_order(retain_engine *e, int64_t key, bool with_skus, rd_order *out);
/* The shipment `key`, or else the newest shipment of `order_key`. */
int rd_load_shipment(retain_engine *e, int64_t key, int64_t order_key, rd_shipment *out);
int rd_load_event(retain_engine *e, int64_t id, bool with_props, rd_event *out);
/* Consent of customer for channel/category: 1 granted, 0 revoked, -1 unknown. */
int rd_consent(retain_engine *e, int64_t customer, const char *channel, size_t channel_len,
               const char *category, size_t category_len, int *state);
/* A top-level key of a JSON object: its JSON type name ("integer", "real",
 * "text", "true", "false", "null", or NULL when absent) and value. */
typedef struct rd_json_value {
    const char *type;
    int64_t i;
    double f;
    char text[512];
} rd_json_value;
int rd_json_key(retain_engine *e, const char *json, const char *key, size_t key_len,
                rd_json_value *out);

#endif

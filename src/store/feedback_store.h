/*
 * feedback_store.h (internal) - SQL for feedback answers, the escalation
 * setting, and the rows the feedback metrics aggregate.
 */
#ifndef RT_FEEDBACK_STORE_H
#define RT_FEEDBACK_STORE_H

#include "store.h"

typedef struct fs_config {
    int escalate_at;      /* scores at or below create a task; -1: never */
    char task_kind[65];
    char task_note[1001];
} fs_config;

int fs_config_get(retain_engine *e, fs_config *out);
int fs_config_put(retain_engine *e, const fs_config *c);

/* The order row of a host order id (RETAIN_ENOTFOUND with a message). */
int fs_order_key(retain_engine *e, const char *order_ext, int64_t *key);

/* The journey and variant of the latest feedback-category message queued
 * for the customer (for that order when order_key != 0) at or before `at`
 * by a journey that no answer started (acknowledgements are not requests):
 * the request this answer responds to. "" when none. */
int fs_attribution(retain_engine *e, int64_t customer, int64_t order_key, int64_t at,
                   char journey[65], char variant[65]);

typedef struct fs_answer {
    int64_t customer, order_key;
    int score, scale_min;
    const char *comment;
    int64_t at;
    const char *journey, *variant; /* "" when none */
    bool escalated;
} fs_answer;

/* Insert an answer; *id is its row, or 0 when the same answer (customer,
 * order, score, scale, comment, time) is already there. */
int fs_insert(retain_engine *e, const fs_answer *a, int64_t *id);

/* Answers in [since, as_of] grouped by `by` (1 period: ordered by time,
 * keys NULL; 2 product: k1 = SKU, once per distinct SKU of the order;
 * 3 variant: k1 journey, k2 variant, NULL when none), ordered by key. */
typedef int (*fs_row_fn)(void *ctx, const char *k1, const char *k2, int64_t at, int score,
                         int scale_min);
int fs_each(retain_engine *e, int by, int64_t since, int64_t as_of, fs_row_fn fn, void *ctx);

#endif

/*
 * journey_store.h (internal) - SQL for journey definitions, instances and
 * their step history.
 */
#ifndef RT_JOURNEY_STORE_H
#define RT_JOURNEY_STORE_H

#include "store.h"

#define JS_NAME 65

typedef struct js_inst {
    int64_t id;
    char journey[JS_NAME];
    int version;
    int64_t customer, order_key, shipment_key, trigger_event;
    char state[16];
    char step[JS_NAME];
    int phase;
    int64_t step_at, due_at;
    char wait_event[JS_NAME]; /* "" when not waiting */
    int64_t wait_deadline;
    int64_t wait_matched;     /* event id that ended the wait, 0 when none */
    char variant[JS_NAME];    /* "" when none */
    int64_t entered_at, goal_at;
    char exit_reason[64];
} js_inst;

/* Definitions. *source_out is NULL when (name, version) is not stored. */
int js_def_source(retain_engine *e, const char *name, int version, char **source_out);
int js_def_insert(retain_engine *e, const char *name, int version, const char *source,
                  const char *origin, int64_t now);
/* How many definitions are stored. Definitions are only ever added, so
 * this tells an engine whether others have installed journeys. */
int js_def_count(retain_engine *e, int64_t *n);
/* Call fn for every stored (name, version, source); fn returns a status. */
int js_def_each(retain_engine *e, int (*fn)(retain_engine *, const char *name, int version,
                                            const char *source, void *ctx), void *ctx);

/* Instances. *inserted is false when entry_key already existed. */
int js_inst_insert(retain_engine *e, const js_inst *in, const char *entry_key, int64_t *id,
                   bool *inserted);
int js_inst_entered_since(retain_engine *e, const char *journey, int64_t customer, int64_t since,
                          bool *exists);
int js_inst_update(retain_engine *e, const js_inst *in);
int js_inst_get(retain_engine *e, int64_t id, js_inst *out);
/* Active instances due at `now`, oldest first, after (due_at, id) cursor. */
int js_inst_due(retain_engine *e, int64_t now, int64_t after_due, int64_t after_id, int limit,
                js_inst *out, int *n);
/* Instances of a customer, oldest first, in a new array (free with
 * rt_free(&e->alloc, *out)): all of them when `since` is INT64_MIN, else the
 * active ones and those entered at or after `since` with no goal yet. */
int js_inst_of_customer(retain_engine *e, int64_t customer, int64_t since, js_inst **out,
                        int *n);
/* Active instances of a customer waiting for `event`. */
int js_inst_waiting(retain_engine *e, int64_t customer, const char *event, js_inst *out, int cap,
                    int *n);

int js_log(retain_engine *e, int64_t instance, const char *step, int64_t at, const char *kind,
           const char *outcome, const char *detail_json);

/* Look-ups used by the runner. */
int js_customer_info(retain_engine *e, int64_t customer, char *ext_id, size_t ext_sz, char *zone,
                     size_t zone_sz);
int js_order_channel(retain_engine *e, int64_t order_key, char *channel, size_t sz);
int js_customer_patch_attrs(retain_engine *e, int64_t customer, const char *patch, int64_t at);

/* Step history of an instance as a JSON array (appended to buf). */
struct rt_buf;
int js_history_json(retain_engine *e, int64_t instance, struct rt_buf *buf);

#endif

/*
 * audit.h (internal) - the self-audit: facts gathered from the journey
 * model, the policy configuration and the store, and the table of checks
 * that turn them into scored items.
 */
#ifndef RT_AUDIT_H
#define RT_AUDIT_H

#include "core/engine.h"
#include "core/buf.h"
#include "journey/journey.h"
#include "policy/policy.h"
#include "store/audit_store.h"

#include <stdbool.h>

/* The events whose journeys and waits the checks look for; a bit each. */
typedef enum au_event {
    AU_PLACED, AU_SHIPPED, AU_OUT_FOR_DELIVERY, AU_DELIVERED, AU_DELAYED, AU_FEEDBACK,
    AU_RETURNED, AU_REFUNDED, AU_REPLENISH, AU_NEVENTS
} au_event;
extern const char *const au_event_names[AU_NEVENTS];

/* One send step of a journey, with what is known to have happened before it. */
typedef struct au_send {
    const jr_journey *journey;
    const jr_step *step;
    unsigned after;  /* AU_* bits: the trigger, or a wait_for that matched, on some path */
    bool immediate;  /* reached from the trigger without any wait */
} au_send;

/* A journey that can measure itself: a goal and a holdout group. */
typedef struct au_measured {
    const jr_journey *journey;
    const jr_step *split; /* NULL when the journey has no holdout split */
    int holdout_pct;
} au_measured;

typedef struct au_facts {
    retain_engine *e;
    int64_t now;
    const jr_journey **journeys; /* the audited program: one version per name */
    int njourneys;
    au_send *sends;
    int nsends, capsends;
    au_measured *measured;       /* journeys with a goal */
    int nmeasured, capmeasured;
    const rt_policy *policy;
    as_history history;
} au_facts;

/* Walk the journeys in f->journeys and fill the send and goal facts. */
int au_facts_journeys(au_facts *f);
void au_facts_free(au_facts *f);

/* Whether a send's template or category says what it is for. */
bool au_send_is(const au_send *s, const char *const *words);

/* A check fills `detail` (what it found) and, when the practice is
 * missing, `advice`; it returns 1 passed, 0 missing, < 0 an error. */
typedef struct au_check {
    const char *key, *title;
    int weight;
    int (*run)(const au_facts *f, rt_buf *detail, rt_buf *advice);
} au_check;
extern const au_check au_checks[];
extern const int au_ncheck;

/* The score from the weight of the practices in place: 1 + 9 * passed / total,
 * rounded down, so nothing is 1 and everything is 10. */
int au_score(int passed_weight, int total_weight);

#endif

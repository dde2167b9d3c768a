/*
 * retain/journey.h - journeys written in YAML, the deterministic runner
 * driven by the host's clock, and the next touchpoint of a customer with
 * the reasons for it.
 *
 * A journey file holds one or more journeys (one per YAML document, or a
 * list under `journeys:`); docs/journeys.md is the reference.
 */
#ifndef RETAIN_JOURNEY_H
#define RETAIN_JOURNEY_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Validate and install the journeys in `yaml` (NUL-terminated UTF-8).
 * `origin` names the source in messages (a file name) and may be NULL.
 * Everything is checked before anything changes: unknown keys and step
 * types, dangling gotos, unreachable steps, loops without a wait, rule
 * errors, marketplace policy. Up to `diag_cap` errors are written to
 * `diags` (line, column, message); *diag_count gets how many there were
 * (it may exceed diag_cap). A file with any error installs nothing and
 * returns RETAIN_EPARSE.
 *
 * Loading a journey whose name and version are already installed with the
 * same text is a no-op; with different text it is RETAIN_ECONFLICT (bump
 * the version). A new version becomes the one customers enter; customers in
 * an older version move to the new one at their next step when a step with
 * the same id exists there, and otherwise finish on their version.
 */
RETAIN_API int retain_journeys_load(retain_engine *e, const char *yaml, const char *origin,
                                    int64_t now, retain_diag *diags, size_t diag_cap,
                                    size_t *diag_count);

/** Read a file and call retain_journeys_load() with its name as origin. */
RETAIN_API int retain_journeys_load_file(retain_engine *e, const char *path, int64_t now,
                                         retain_diag *diags, size_t diag_cap,
                                         size_t *diag_count);

/** What one tick did. */
typedef struct retain_tick_stats {
    int64_t steps;        /**< journey steps executed */
    int64_t instances;    /**< instances advanced */
    int64_t completed;    /**< instances that finished */
    int64_t queued;       /**< messages put in the outbox */
    int64_t sent;         /**< messages the transports accepted */
    int64_t retried;      /**< sends to try again later */
    int64_t failed;       /**< messages that died */
    int64_t deferred;     /**< messages held by quiet hours or caps */
    int64_t skipped;      /**< messages not sent (consent, staleness, policy) */
} retain_tick_stats;

/**
 * Advance every journey instance that is due at `now`, in a deterministic
 * order and in bounded transactions, then deliver due messages through the
 * registered transports. Running it again with the same `now` does nothing
 * new. `out` may be NULL.
 */
RETAIN_API int retain_engine_tick(retain_engine *e, int64_t now, retain_tick_stats *out);

/** Policy outlook of a touchpoint. */
typedef enum retain_outlook {
    RETAIN_OUTLOOK_NONE = 0,     /**< nothing is planned */
    RETAIN_OUTLOOK_SEND = 1,     /**< will go out at `due_at` */
    RETAIN_OUTLOOK_DEFER = 2,    /**< policy will hold it until `send_at` */
    RETAIN_OUTLOOK_SUPPRESS = 3  /**< policy will not let it out; see `reason` */
} retain_outlook;

/** The next touchpoint a customer will get if nothing else happens. */
typedef struct retain_touchpoint {
    retain_outlook outlook;
    char journey[65];
    int version;
    char step[65];
    char channel[65];
    char category[65];
    char template_id[129];
    int64_t due_at;     /**< when the journey reaches the step */
    int64_t send_at;    /**< when policy lets it out (== due_at unless deferred) */
    char reason[256];   /**< why it is deferred or suppressed, or what it waits for */
} retain_touchpoint;

/** Fill *out with the customer's next touchpoint as of `now`. */
RETAIN_API int retain_customer_next(retain_touchpoint *out, retain_engine *e,
                                    const char *customer_id, int64_t now);

/**
 * JSON describing the customer's journeys: each instance with its history
 * (steps taken, with the rule results that chose each branch), what it
 * waits for, and the next touchpoint with its reasons. Free with
 * retain_free().
 */
RETAIN_API int retain_customer_explain(char **json_out, retain_engine *e, const char *customer_id,
                                       int64_t now);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_JOURNEY_H */

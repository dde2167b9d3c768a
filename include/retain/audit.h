/*
 * retain/audit.h - the post-purchase self-audit: the journeys and policy
 * configured in a store, checked against the practices stores are judged
 * by (an instant order confirmation, shipping updates, a delay notice ...),
 * with a score from 1 to 10 and, for every practice that is missing, what
 * to add. docs/audit.md describes each check and its weight.
 */
#ifndef RETAIN_AUDIT_H
#define RETAIN_AUDIT_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct retain_audit retain_audit;

/**
 * Audit the journeys installed in the engine's store (the current version
 * of each) and its policy configuration and data as of `now`. Reads only,
 * so it works on a read-only engine. On success *out gets an audit to
 * release with retain_audit_free(); on failure *out is NULL.
 */
RETAIN_API int retain_audit_run(retain_audit **out, retain_engine *e, int64_t now);

/**
 * Audit as if the journeys in `yaml[0..count)` (NUL-terminated journey
 * files) were installed: each journey replaces an installed journey of
 * the same name, whatever its version, and the other installed journeys
 * stay. Nothing is written. `origins` (may be NULL, as may each element)
 * names the files in messages. When a file does not parse, nothing is
 * audited and the call returns RETAIN_EPARSE with up to `diag_cap` errors
 * of that first bad file in `diags` and their number in *diag_count
 * (which may be NULL); the engine's message names the file.
 */
RETAIN_API int retain_audit_run_yaml(retain_audit **out, retain_engine *e,
                                     const char *const *yaml, const char *const *origins,
                                     size_t count, int64_t now, retain_diag *diags,
                                     size_t diag_cap, size_t *diag_count);

/** The score, 1 (nothing in place) to 10 (every practice in place); 0 for NULL. */
RETAIN_API int retain_audit_score(const retain_audit *a);

/** How many practices were checked (0 for NULL). */
RETAIN_API size_t retain_audit_count(const retain_audit *a);

/**
 * One checked practice. The strings belong to the audit. Like POSIX's
 * `struct stat` and stat(), the struct shares its name with the function
 * that fills it, so it is written `struct retain_audit_item`.
 */
struct retain_audit_item {
    const char *key;    /**< stable name: "confirmation", "shipping", "delay" ... */
    const char *title;  /**< one line for people */
    int passed;         /**< 1 when the practice is in place, else 0 */
    int weight;         /**< its share of the score; the weights add up to 100 */
    const char *detail; /**< what was found: journey and step names, counts */
    const char *advice; /**< how to add it: a sentence and a YAML snippet or a call
                             to make; "" when passed */
};

/** Fill *out with practice `i` (0 <= i < retain_audit_count()); RETAIN_EINVAL
 *  when `a` or `out` is NULL or `i` is out of range. */
RETAIN_API int retain_audit_item(const retain_audit *a, size_t i, struct retain_audit_item *out);

/**
 * The audit as one JSON object: score, passed_weight, total_weight, now and
 * an items array of {key, title, passed, weight, detail, advice}. Free with
 * retain_free() of the engine that ran the audit.
 */
RETAIN_API int retain_audit_json(char **json, const retain_audit *a);

/** Release an audit. NULL is a harmless no-op. */
RETAIN_API void retain_audit_free(retain_audit *a);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_AUDIT_H */

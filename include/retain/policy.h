/*
 * retain/policy.h - the delivery policy: quiet hours, frequency caps and
 * marketplace profiles.
 *
 * The policy gate runs when a message is queued and again just before it
 * is sent. In that order it checks: the recipient's address; consent for
 * the channel and category (transactional messages only need the channel
 * not to be revoked); the marketplace profile of the order's sales channel;
 * the message's max_age; quiet hours in the customer's own time zone; and
 * frequency caps (transactional messages are exempt). Every decision is
 * recorded (retain_outbox_history, retain_customer_explain).
 *
 * The configuration lives in the database, so every engine that opens it
 * shares it. Defaults of a new database: SMS and calls only between 08:00
 * and 21:00 local; at most 3 marketing e-mails per 7 days and 1
 * non-transactional SMS per day; the built-in profiles "amazon" and
 * "default" (see examples/policies/).
 */
#ifndef RETAIN_POLICY_H
#define RETAIN_POLICY_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Quiet hours of a channel: no message goes out from `start_minute` to
 * `end_minute` local time (minutes after midnight, 0..1439; the window may
 * wrap midnight: 1260, 480 is 21:00 to 08:00). Local time is the customer's
 * time zone, DST included; customers without a known zone use
 * options.default_timezone. start_minute == end_minute removes the quiet
 * hours of the channel.
 */
RETAIN_API int retain_policy_quiet_hours_set(retain_engine *e, const char *channel,
                                             int start_minute, int end_minute);

/** The channel's quiet hours; both -1 when it has none. */
RETAIN_API int retain_policy_quiet_hours_get(int *start_minute_out, int *end_minute_out,
                                             retain_engine *e, const char *channel);

/**
 * Frequency cap: at most `max_messages` messages of `category` on `channel`
 * to one customer within any `window_ms`. Category "all" caps every
 * non-transactional category of the channel together. Transactional
 * messages are never capped nor counted. Setting a cap again replaces it.
 */
RETAIN_API int retain_policy_cap_set(retain_engine *e, const char *channel, const char *category,
                                     int max_messages, int64_t window_ms);

/** The cap of a channel and category; RETAIN_ENOTFOUND when there is none. */
RETAIN_API int retain_policy_cap_get(int *max_messages_out, int64_t *window_ms_out,
                                     retain_engine *e, const char *channel,
                                     const char *category);

/** Remove a cap; RETAIN_ENOTFOUND when there is none. */
RETAIN_API int retain_policy_cap_remove(retain_engine *e, const char *channel,
                                        const char *category);

/**
 * Load one marketplace profile from YAML (the format is in docs/delivery.md
 * and examples/policies/). It replaces the loaded or built-in profile of the
 * same name, in this database, for every engine. On a parse error nothing is
 * stored and `diag` (may be NULL) gets line, column and message; `origin`
 * (a file name, may be NULL) prefixes the message.
 */
RETAIN_API int retain_policy_profile_load(retain_engine *e, const char *yaml, const char *origin,
                                          int64_t now, retain_diag *diag);

/** Read a file and call retain_policy_profile_load() with its name as origin. */
RETAIN_API int retain_policy_profile_load_file(retain_engine *e, const char *path, int64_t now,
                                               retain_diag *diag);

/** Remove a loaded profile (a built-in one of the same name applies again);
 *  RETAIN_ENOTFOUND if none was loaded. */
RETAIN_API int retain_policy_profile_remove(retain_engine *e, const char *name);

/** The name of the profile that governs orders from `sales_channel`. */
RETAIN_API int retain_policy_profile_of(char *name_out, size_t name_size, retain_engine *e,
                                        const char *sales_channel);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_POLICY_H */

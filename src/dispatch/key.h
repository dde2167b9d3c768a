/*
 * key.h (internal) - idempotency keys and deterministic retry backoff.
 */
#ifndef RT_DISPATCH_KEY_H
#define RT_DISPATCH_KEY_H

#include <stddef.h>
#include <stdint.h>

#define RT_KEY_SIZE 65 /* 64 hex digits and a NUL */

void rt_sha256(const void *data, size_t n, unsigned char out[32]);

/* The key of a journey step's message; a fallback adds its channel. */
void rt_key_journey(const char *journey, int version, int64_t instance, const char *step,
                    const char *fallback_channel, char out[RT_KEY_SIZE]);
/* The key of a message the host queued under its own id. */
void rt_key_host(const char *host_id, const char *fallback_channel, char out[RT_KEY_SIZE]);

/* Delay before the retry that follows attempt `attempt` (1-based):
 * min(cap, base * 2^(attempt-1)), then jittered into [d/2, d] by the key. */
int64_t rt_backoff(const char *key, int attempt, int64_t base_ms, int64_t cap_ms);

#endif

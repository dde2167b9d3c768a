/*
 * code.h (internal to src/domain) - making and reading coupon codes.
 */
#ifndef RT_DOMAIN_CODE_H
#define RT_DOMAIN_CODE_H

#include "domain.h"
#include "store/coupon_store.h"

typedef struct rt_domain_state rt_domain_state;

/* A new code of campaign `c` (prefix + random part) that no stored code
 * has. Inside a transaction: the keyed generator counts its draws. */
int rt_code_new(retain_engine *e, const cs_campaign *c, char code[RETAIN_COUPON_CODE_MAX]);

/* `length` characters from 64 random bits into out (NUL-terminated);
 * false when v falls in the few values rejected to keep codes uniform. */
bool rt_code_from_bits(uint64_t v, int length, char *out);

/* Upper-case copy of a code as typed; false when it cannot be a code. */
bool rt_code_normalize(const char *in, char out[RETAIN_COUPON_CODE_MAX]);

#endif

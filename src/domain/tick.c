/*
 * tick.c - the domain's share of a tick: delays first, then replenishment;
 * both only emit events, which the journeys then act on.
 */
#include "domain.h"

int rt_domain_tick(retain_engine *e, int64_t now)
{
    int rc = rt_delay_detect(e, now);
    return rc ? rc : rt_replenish_tick(e, now);
}

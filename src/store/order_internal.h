/* order_internal.h (internal) - reading orders for other subsystems. */
#ifndef RT_ORDER_INTERNAL_H
#define RT_ORDER_INTERNAL_H

#include "store.h"
#include "retain/order.h"

/* Load an order by row id (ext_id NULL) or by host id; free with retain_order_free. */
int rt_order_load(retain_engine *e, int64_t key, const char *ext_id, retain_order **out);

#endif

/*
 * retain.h - libretain, an embeddable retention engine.
 * Include this one header; it brings in every subsystem.
 */
#ifndef RETAIN_H
#define RETAIN_H

#include "retain/common.h"
#include "retain/engine.h"
#include "retain/customer.h"
#include "retain/order.h"
#include "retain/event.h"
#include "retain/rule.h"
#include "retain/journey.h"
#include "retain/transport.h"
#include "retain/policy.h"
#include "retain/model.h"
#include "retain/metrics.h"
#include "retain/refresh.h"
#include "retain/task.h"
#include "retain/coupon.h"
#include "retain/feedback.h"
#include "retain/shipping.h"
#include "retain/replenish.h"
#include "retain/recommend.h"
#include "retain/report.h"
#include "retain/audit.h"

#endif /* RETAIN_H */

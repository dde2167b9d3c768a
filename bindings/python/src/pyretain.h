/*
 * pyretain.h - shared declarations of the retain._retain extension module:
 * the Engine object and its lock, engine errors, and small converters.
 *
 * The C layer takes and returns plain Python values (str, int
 * milliseconds, int minor units, tuples); the pure-Python package turns
 * datetimes, Decimals and dataclasses into those and back.
 */
#ifndef PYRETAIN_H
#define PYRETAIN_H

#include "pyretain_base.h"

#include <pythread.h>
#include <retain.h>

typedef struct RpChild RpChild;

/* The Python Engine: one retain_engine, used by one thread at a time. */
typedef struct EngineObject {
    PyObject_HEAD
    retain_engine *e;         /* NULL once closed */
    PyThread_type_lock lock;  /* held during every call into the engine */
    unsigned long owner;      /* thread holding `lock`, 0 when free */
    RpChild *children;        /* iterators, rules ...: freed when the engine closes */
    PyObject *path;
    /* An exception a transport callback let through that must stop the run
     * (KeyboardInterrupt, SystemExit ...): re-raised once the C call returns. */
    PyObject *cb_type, *cb_value, *cb_tb;
} EngineObject;

/*
 * The head of every Python object that owns a C resource which must be freed
 * before its engine closes (an iterator's statement, a compiled rule). It
 * holds a reference to its Engine and sits in the engine's list while the
 * resource is alive; closing the engine releases them all.
 */
struct RpChild {
    PyObject_HEAD
    EngineObject *engine;       /* strong reference */
    RpChild *prev, *next;       /* in engine->children while attached */
    void (*release)(RpChild *); /* free the C resource; the engine lock is held */
    int attached;
    int engine_closed;          /* released because the engine closed */
};

extern PyTypeObject RpEngine_Type;
extern PyTypeObject RpIter_Type;

/* Check the engine is open and take its lock; 0, or -1 with an exception set. */
int rp_enter(EngineObject *self);
void rp_leave(EngineObject *self);

/* Run `call` (a libretain call that returns a status into rc) with the
 * engine entered and the GIL released; returns NULL from the calling
 * function when the engine cannot be entered. */
#define RP_LOCKED_CALL(self, rc, call)                    \
    do {                                           \
        if (rp_enter(self))                        \
            return NULL;                           \
        Py_BEGIN_ALLOW_THREADS                     \
        rc = (call);                               \
        Py_END_ALLOW_THREADS                       \
    } while (0)

/* After RP_LOCKED_CALL: None, or the engine's error raised; leaves the engine. */
PyObject *rp_none_or_raise(EngineObject *self, int rc);

/* Children (engine.c). init: take a reference to the engine; attach: link in,
 * with the engine lock held, once the C resource exists; release: free it now
 * (lock held); dealloc: release with the lock taken, drop the engine. */
void rp_child_init(RpChild *c, EngineObject *engine, void (*release)(RpChild *));
void rp_child_attach(RpChild *c);
void rp_child_release(RpChild *c);
void rp_child_dealloc(RpChild *c);
/* Raise for a child whose engine is closed or that was closed; returns -1. */
int rp_child_check(RpChild *c);
/* The close() method of a child: release now (a second close is harmless). */
PyObject *rp_child_close(PyObject *self, PyObject *unused);
/* tp_dealloc of a child type. */
void rp_child_type_dealloc(PyObject *self);

/* Raise for a failed call on the engine, with retain_errmsg(); returns NULL. */
PyObject *rp_raise_engine(EngineObject *self, int code);

/* None -> RETAIN_TIME_NONE, int -> int64; 0 or -1 with an exception. */
int rp_opt_time(PyObject *o, int64_t *out);
/* RETAIN_TIME_NONE -> None. */
PyObject *rp_time_or_none(int64_t t);

/* Raise the exception a callback stashed (and return 1), or return 0 (engine.c). */
int rp_reraise_callback(EngineObject *self);
/* Raise a ParseError for diagnostics diags[0..n) (all of them in .diagnostics),
 * or the engine's error when there are none; returns NULL (engine.c). */
PyObject *rp_raise_diags(EngineObject *self, int code, const retain_diag *diags, size_t n);
/* A str from text libretain allocated, which is freed (retain_free); NULL raises. */
PyObject *rp_take_json(EngineObject *self, char *json);

/* ---- methods of Engine, by file ---- */

/* engine.c */
PyObject *rp_engine_counts(PyObject *self, PyObject *unused);

/* customers.c */
PyObject *rp_customer_upsert(PyObject *self, PyObject *args);
PyObject *rp_customer_get(PyObject *self, PyObject *args);
PyObject *rp_customer_delete(PyObject *self, PyObject *args);
PyObject *rp_customer_erase(PyObject *self, PyObject *args);
PyObject *rp_customer_export(PyObject *self, PyObject *args);
PyObject *rp_customer_merge(PyObject *self, PyObject *args);
PyObject *rp_customer_merges(PyObject *self, PyObject *args);
PyObject *rp_customer_find(PyObject *self, PyObject *args);
PyObject *rp_consent_set(PyObject *self, PyObject *args);
PyObject *rp_consent_get(PyObject *self, PyObject *args);

/* orders.c */
PyObject *rp_order_record(PyObject *self, PyObject *args);
PyObject *rp_order_record_many(PyObject *self, PyObject *args);
PyObject *rp_order_set_status(PyObject *self, PyObject *args);
PyObject *rp_order_get(PyObject *self, PyObject *args);
PyObject *rp_order_tuple(const retain_order *o);
PyObject *rp_shipment_record(PyObject *self, PyObject *args);
PyObject *rp_shipment_update(PyObject *self, PyObject *args);
PyObject *rp_shipment_get(PyObject *self, PyObject *args);

/* events.c */
PyObject *rp_event_track(PyObject *self, PyObject *args);
PyObject *rp_event_tuple(const retain_event *ev);

/* iter.c */
PyObject *rp_orders_iter(PyObject *self, PyObject *args);
PyObject *rp_events_iter(PyObject *self, PyObject *args);

/* iter.c: the outbox (when RETAIN_PY_HAVE_TRANSPORT) */
PyObject *rp_outbox_iter(PyObject *self, PyObject *args);

#ifdef RETAIN_PY_HAVE_JOURNEY
/* journeys.c */
PyObject *rp_journeys_load(PyObject *self, PyObject *args);
PyObject *rp_journeys_load_file(PyObject *self, PyObject *args);
PyObject *rp_engine_tick(PyObject *self, PyObject *args);
PyObject *rp_customer_next(PyObject *self, PyObject *args);
PyObject *rp_customer_explain(PyObject *self, PyObject *args);
/* audit.c */
PyObject *rp_audit(PyObject *self, PyObject *args);
int rp_journeys_init(PyObject *module);
#endif

#ifdef RETAIN_PY_HAVE_TRANSPORT
/* delivery.c */
PyObject *rp_transport_register(PyObject *self, PyObject *args);
PyObject *rp_transport_unregister(PyObject *self, PyObject *args);
PyObject *rp_outbox_deliver(PyObject *self, PyObject *args);
PyObject *rp_message_queue(PyObject *self, PyObject *args);
PyObject *rp_message_report(PyObject *self, PyObject *args);
PyObject *rp_message_find(PyObject *self, PyObject *args);
PyObject *rp_message_find_provider(PyObject *self, PyObject *args);
PyObject *rp_outbox_get(PyObject *self, PyObject *args);
PyObject *rp_outbox_history(PyObject *self, PyObject *args);
PyObject *rp_outbox_retry(PyObject *self, PyObject *args);
PyObject *rp_outbox_cancel(PyObject *self, PyObject *args);
PyObject *rp_outbox_entry_tuple(const retain_outbox_entry *m);
int rp_delivery_init(PyObject *module);
#endif

#ifdef RETAIN_PY_HAVE_POLICY
/* policy.c */
PyObject *rp_quiet_hours_set(PyObject *self, PyObject *args);
PyObject *rp_quiet_hours_get(PyObject *self, PyObject *args);
PyObject *rp_cap_set(PyObject *self, PyObject *args);
PyObject *rp_cap_get(PyObject *self, PyObject *args);
PyObject *rp_cap_remove(PyObject *self, PyObject *args);
PyObject *rp_profile_load(PyObject *self, PyObject *args);
PyObject *rp_profile_load_file(PyObject *self, PyObject *args);
PyObject *rp_profile_remove(PyObject *self, PyObject *args);
PyObject *rp_profile_of(PyObject *self, PyObject *args);
#endif

#ifdef RETAIN_PY_HAVE_METRICS
/* metrics.c */
PyObject *rp_metrics_summary(PyObject *self, PyObject *args);
PyObject *rp_metrics_cohorts(PyObject *self, PyObject *args);
PyObject *rp_metrics_churn(PyObject *self, PyObject *args);
PyObject *rp_metrics_rfm_scores(PyObject *self, PyObject *args);
PyObject *rp_metrics_rfm_from_store(PyObject *self, PyObject *args);
PyObject *rp_metrics_economics(PyObject *self, PyObject *args);
PyObject *rp_metrics_conversion(PyObject *self, PyObject *args);
int rp_metrics_init(PyObject *module);
#endif

#ifdef RETAIN_PY_HAVE_COUPONS
/* coupons.c */
PyObject *rp_coupon_campaign_define(PyObject *self, PyObject *args);
PyObject *rp_coupon_campaigns_load(PyObject *self, PyObject *args);
PyObject *rp_coupon_seed(PyObject *self, PyObject *args);
PyObject *rp_coupon_issue(PyObject *self, PyObject *args);
PyObject *rp_coupon_validate(PyObject *self, PyObject *args);
PyObject *rp_coupon_redeem(PyObject *self, PyObject *args);
PyObject *rp_coupon_revoke(PyObject *self, PyObject *args);
PyObject *rp_feedback_record(PyObject *self, PyObject *args);
PyObject *rp_feedback_configure(PyObject *self, PyObject *args);
PyObject *rp_feedback_metrics(PyObject *self, PyObject *args);
#endif

#ifdef RETAIN_PY_HAVE_DOMAIN
PyObject *rp_carrier_set(PyObject *self, PyObject *args);
PyObject *rp_sku_cycle_set(PyObject *self, PyObject *args);
PyObject *rp_sku_cycle_get(PyObject *self, PyObject *args);
PyObject *rp_replenish_learn(PyObject *self, PyObject *args);
PyObject *rp_replenish_get(PyObject *self, PyObject *args);
PyObject *rp_product_upsert(PyObject *self, PyObject *args);
PyObject *rp_recommend_build(PyObject *self, PyObject *args);
PyObject *rp_recommend(PyObject *self, PyObject *args);
#endif

#ifdef RETAIN_PY_HAVE_REFRESH
/* refresh.c */
PyObject *rp_model_refresh(PyObject *self, PyObject *args);
#endif

#ifdef RETAIN_PY_HAVE_REPORT
/* tasks.c */
PyObject *rp_agent_upsert(PyObject *self, PyObject *args);
PyObject *rp_agent_list(PyObject *self, PyObject *unused);
PyObject *rp_task_routing_set(PyObject *self, PyObject *args);
PyObject *rp_task_create(PyObject *self, PyObject *args);
PyObject *rp_task_route(PyObject *self, PyObject *args);
PyObject *rp_task_claim(PyObject *self, PyObject *args);
PyObject *rp_task_complete(PyObject *self, PyObject *args);
PyObject *rp_task_cancel(PyObject *self, PyObject *args);
PyObject *rp_task_list(PyObject *self, PyObject *args);

/* report.c */
PyObject *rp_report_html(PyObject *self, PyObject *args);
PyObject *rp_report_write(PyObject *self, PyObject *args);
#endif

#ifdef RETAIN_PY_HAVE_RULE
/* rules.c */
extern PyTypeObject RpRule_Type;
PyObject *rp_rule_compile(PyObject *self, PyObject *args);
#endif

#endif /* PYRETAIN_H */

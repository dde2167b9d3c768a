/*
 * engine.c - the Engine type: opening and closing, the per-engine lock,
 * host transactions and counts. The other methods live with their
 * subsystem (customers.c, orders.c, events.c, iter.c).
 *
 * Every call into libretain runs with the GIL released, so that a thread
 * waiting for a database lock (busy_timeout_ms) never stops the thread
 * that holds it. The engine's own lock keeps two Python threads from using
 * one retain_engine at the same time, as libretain requires.
 */
#include "pyretain.h"

int rp_enter(EngineObject *self)
{
    if (!self->e)
        return rp_raise_closed();
    unsigned long me = PyThread_get_thread_ident();
    if (self->owner == me) {
        rp_raise(RETAIN_EMISUSE, "the engine is already in a call on this thread");
        return -1;
    }
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
    if (!self->e) { /* closed by another thread while we waited */
        PyThread_release_lock(self->lock);
        return rp_raise_closed();
    }
    self->owner = me;
    return 0;
}

void rp_leave(EngineObject *self)
{
    self->owner = 0;
    PyThread_release_lock(self->lock);
}

PyObject *rp_none_or_raise(EngineObject *self, int rc)
{
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

void rp_child_init(RpChild *c, EngineObject *engine, void (*release)(RpChild *))
{
    c->engine = (EngineObject *)Py_NewRef((PyObject *)engine);
    c->prev = c->next = NULL;
    c->release = release;
    c->attached = 0;
    c->engine_closed = 0;
}

void rp_child_attach(RpChild *c)
{
    EngineObject *e = c->engine;
    c->prev = NULL;
    c->next = e->children;
    if (e->children)
        e->children->prev = c;
    e->children = c;
    c->attached = 1;
}

void rp_child_release(RpChild *c)
{
    if (!c->attached)
        return;
    c->release(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->engine->children = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->attached = 0;
}

int rp_child_check(RpChild *c)
{
    if (c->engine_closed || !c->engine->e)
        return rp_raise_closed();
    if (!c->attached) {
        rp_raise(RETAIN_EMISUSE, "the object was closed");
        return -1;
    }
    return 0;
}

void rp_child_dealloc(RpChild *c)
{
    EngineObject *e = c->engine;
    if (c->attached && e) {
        /* Keep other threads out of the engine while the resource goes, unless
         * this thread is the one inside it (a deallocation during a call). */
        int lock = e->owner != PyThread_get_thread_ident();
        if (lock && !PyThread_acquire_lock(e->lock, NOWAIT_LOCK)) {
            Py_BEGIN_ALLOW_THREADS
            PyThread_acquire_lock(e->lock, WAIT_LOCK);
            Py_END_ALLOW_THREADS
        }
        rp_child_release(c);
        if (lock)
            PyThread_release_lock(e->lock);
    }
    c->engine = NULL;
    Py_XDECREF(e);
}

PyObject *rp_child_close(PyObject *self, PyObject *unused)
{
    RpChild *c = (RpChild *)self;
    if (!c->attached)
        Py_RETURN_NONE;
    if (rp_enter(c->engine))
        return NULL;
    rp_child_release(c);
    rp_leave(c->engine);
    Py_RETURN_NONE;
}

void rp_child_type_dealloc(PyObject *self)
{
    rp_child_dealloc((RpChild *)self);
    PyObject_Free(self);
}

static void children_close_all(EngineObject *self)
{
    while (self->children) {
        RpChild *c = self->children;
        rp_child_release(c);
        c->engine_closed = 1;
    }
}

static PyObject *engine_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "path", "busy_timeout_ms", "zoneinfo_dir", "default_timezone",
                              "default_country", "cache_kib", "readonly", "autolink",
                              "eta_slip_margin_ms", "replenish_lead_ms", "replenish_min_samples",
                              "replenish_fallback_cycle_ms", "replenish_grace_ms", "mmap_mib",
                              NULL };
    PyObject *path;
    int busy = 0, cache = 0, readonly = 0, autolink = 0, min_samples = 0, mmap_mib = 0;
    long long margin = 0, lead = 0, fallback = 0, grace = 0;
    const char *zdir = NULL, *zone = NULL, *country = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "U|izzzippLLiLLi:Engine", kwlist, &path, &busy,
                                     &zdir, &zone, &country, &cache, &readonly, &autolink,
                                     &margin, &lead, &min_samples, &fallback, &grace,
                                     &mmap_mib))
        return NULL;
    const char *cpath = PyUnicode_AsUTF8(path);
    if (!cpath)
        return NULL;
    EngineObject *self = (EngineObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->lock = PyThread_allocate_lock();
    if (!self->lock) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->path = Py_NewRef(path);
    retain_options opts = RETAIN_OPTIONS_INIT;
    opts.busy_timeout_ms = busy;
    opts.cache_kib = cache;
    opts.zoneinfo_dir = zdir;
    opts.default_timezone = zone;
    opts.default_country = country;
    opts.flags = (readonly ? RETAIN_OPEN_READONLY : 0) | (autolink ? RETAIN_OPEN_AUTOLINK : 0);
    opts.eta_slip_margin_ms = margin;
    opts.replenish_lead_ms = lead;
    opts.replenish_min_samples = min_samples;
    opts.replenish_fallback_cycle_ms = fallback;
    opts.replenish_grace_ms = grace;
    opts.mmap_mib = mmap_mib;
    char errbuf[512];
    int rc;
    retain_engine *e = NULL;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_engine_open_ex(&e, cpath, &opts, errbuf, sizeof errbuf);
    Py_END_ALLOW_THREADS
    if (rc != RETAIN_OK) {
        Py_DECREF(self);
        return rp_raise(rc, errbuf);
    }
    self->e = e;
    return (PyObject *)self;
}

/* Close with the lock held (or when no other reference exists). */
static void engine_close_locked(EngineObject *self)
{
    children_close_all(self);
    retain_engine *e = self->e;
    self->e = NULL;
    if (e) {
        Py_BEGIN_ALLOW_THREADS
        retain_engine_close(e);
        Py_END_ALLOW_THREADS
    }
}

static void engine_dealloc(EngineObject *self)
{
    /* Children hold a reference, so none is left here. */
    engine_close_locked(self);
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_XDECREF(self->path);
    Py_XDECREF(self->cb_type);
    Py_XDECREF(self->cb_value);
    Py_XDECREF(self->cb_tb);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *engine_close(PyObject *op, PyObject *unused)
{
    EngineObject *self = (EngineObject *)op;
    if (!self->e)
        Py_RETURN_NONE;
    if (rp_enter(self))
        return NULL;
    engine_close_locked(self);
    rp_leave(self);
    Py_RETURN_NONE;
}

typedef int (*tx_fn)(retain_engine *);

static PyObject *engine_tx(EngineObject *self, tx_fn fn)
{
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = fn(self->e);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

static PyObject *engine_begin(PyObject *self, PyObject *unused)
{
    return engine_tx((EngineObject *)self, retain_begin);
}

static PyObject *engine_commit(PyObject *self, PyObject *unused)
{
    return engine_tx((EngineObject *)self, retain_commit);
}

static PyObject *engine_rollback(PyObject *self, PyObject *unused)
{
    return engine_tx((EngineObject *)self, retain_rollback);
}

PyObject *rp_engine_counts(PyObject *op, PyObject *unused)
{
    EngineObject *self = (EngineObject *)op;
    if (rp_enter(self))
        return NULL;
    retain_counts n;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_engine_counts(self->e, &n);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc)
                       : Py_BuildValue("(LLLLL)", (long long)n.customers, (long long)n.orders,
                                       (long long)n.order_lines, (long long)n.shipments,
                                       (long long)n.events);
    rp_leave(self);
    return res;
}

static PyObject *engine_backup(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *dest;
    if (!PyArg_ParseTuple(args, "s:backup", &dest) || rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_engine_backup(self->e, dest);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

int rp_reraise_callback(EngineObject *self)
{
    if (!self->cb_type)
        return 0;
    PyErr_Restore(self->cb_type, self->cb_value, self->cb_tb);
    self->cb_type = self->cb_value = self->cb_tb = NULL;
    return 1;
}

PyObject *rp_raise_diags(EngineObject *self, int code, const retain_diag *diags, size_t n)
{
    if (n == 0)
        return rp_raise_engine(self, code);
    rp_raise_diag(&diags[0], code);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *d = Py_BuildValue("(iiNN)", diags[i].line, diags[i].column,
                                    rp_str_or_none(diags[i].message),
                                    rp_str_or_none(diags[i].snippet));
        if (!d)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, d);
    }
    if (!list || PyObject_SetAttrString(value, "diagnostics", list) < 0) {
        Py_XDECREF(list);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return NULL; /* the MemoryError instead */
    }
    Py_DECREF(list);
    PyErr_Restore(type, value, tb);
    return NULL;
}

PyObject *rp_take_json(EngineObject *self, char *json)
{
    PyObject *res = rp_str_or_none(json);
    retain_free(self->e, json);
    return res;
}

static PyObject *engine_get_closed(PyObject *op, void *closure)
{
    return PyBool_FromLong(((EngineObject *)op)->e == NULL);
}

static PyObject *engine_get_path(PyObject *op, void *closure)
{
    return Py_NewRef(((EngineObject *)op)->path);
}

static PyMethodDef engine_methods[] = {
    { "close", engine_close, METH_NOARGS,
      "Close the engine; open iterators and rules are freed first." },
    { "begin", engine_begin, METH_NOARGS, "retain_begin()" },
    { "commit", engine_commit, METH_NOARGS, "retain_commit()" },
    { "rollback", engine_rollback, METH_NOARGS, "retain_rollback()" },
    { "backup", engine_backup, METH_VARARGS, "backup(dest_path): retain_engine_backup()" },
    { "counts", rp_engine_counts, METH_NOARGS,
      "counts() -> (customers, orders, order_lines, shipments, events)" },
    { "customer_upsert", rp_customer_upsert, METH_VARARGS,
      "customer_upsert(id, email, phone, name, timezone, locale, attrs_json, at)" },
    { "customer_get", rp_customer_get, METH_VARARGS, "customer_get(id) -> tuple" },
    { "customer_delete", rp_customer_delete, METH_VARARGS, "customer_delete(id)" },
    { "customer_erase", rp_customer_erase, METH_VARARGS, "customer_erase(id, now)" },
    { "customer_merge", rp_customer_merge, METH_VARARGS, "customer_merge(into, from, now)" },
    { "customer_merges", rp_customer_merges, METH_VARARGS,
      "customer_merges(id) -> JSON text" },
    { "customer_export", rp_customer_export, METH_VARARGS,
      "customer_export(id) -> JSON text" },
    { "customer_find", rp_customer_find, METH_VARARGS,
      "customer_find(email, phone) -> id or None" },
    { "consent_set", rp_consent_set, METH_VARARGS,
      "consent_set(customer_id, channel, category, state, at, source)" },
    { "consent_get", rp_consent_get, METH_VARARGS,
      "consent_get(customer_id, channel, category) -> (state, at or None)" },
    { "order_record", rp_order_record, METH_VARARGS,
      "order_record(id, customer_id, channel, placed_at, currency, total, coupon, status, "
      "status_at, lines, attrs_json)" },
    { "order_record_many", rp_order_record_many, METH_VARARGS,
      "order_record_many(rows, batch_size, offset=0) -> (orders, customers)" },
    { "order_set_status", rp_order_set_status, METH_VARARGS,
      "order_set_status(id, status, at)" },
    { "order_get", rp_order_get, METH_VARARGS, "order_get(id) -> tuple" },
    { "orders", rp_orders_iter, METH_VARARGS, "orders(customer_id) -> iterator of tuples" },
    { "shipment_record", rp_shipment_record, METH_VARARGS,
      "shipment_record(id, order_id, carrier, tracking, tracking_url, promised_at, at)" },
    { "shipment_update", rp_shipment_update, METH_VARARGS,
      "shipment_update(id, status, at, eta, detail)" },
    { "shipment_get", rp_shipment_get, METH_VARARGS, "shipment_get(id) -> tuple" },
    { "event_track", rp_event_track, METH_VARARGS,
      "event_track(customer_id, name, at, props_json, host_event_id)" },
    { "events", rp_events_iter, METH_VARARGS, "events(customer_id) -> iterator of tuples" },
#ifdef RETAIN_PY_HAVE_RULE
    { "rule_compile", rp_rule_compile, METH_VARARGS,
      "rule_compile(source, flags, vars, line, column) -> Rule" },
#endif
#ifdef RETAIN_PY_HAVE_JOURNEY
    { "journeys_load", rp_journeys_load, METH_VARARGS,
      "journeys_load(yaml, origin, now); ParseError.diagnostics: [(line, column, message, "
      "snippet)]" },
    { "journeys_load_file", rp_journeys_load_file, METH_VARARGS,
      "journeys_load_file(path, now)" },
    { "tick", rp_engine_tick, METH_VARARGS,
      "tick(now) -> (steps, instances, completed, queued, sent, retried, failed, deferred, "
      "skipped)" },
    { "customer_next", rp_customer_next, METH_VARARGS,
      "customer_next(id, now) -> (outlook, journey, version, step, channel, category, "
      "template_id, due_at, send_at, reason)" },
    { "customer_explain", rp_customer_explain, METH_VARARGS,
      "customer_explain(id, now) -> JSON text" },
#endif
#ifdef RETAIN_PY_HAVE_TRANSPORT
    { "transport_register", rp_transport_register, METH_VARARGS,
      "transport_register(channel, send, max_attempts, backoff_base_ms, backoff_cap_ms, "
      "lease_ms, batch); send(message_tuple) -> (outcome, provider_id, retry_after_ms, reason)" },
    { "transport_unregister", rp_transport_unregister, METH_VARARGS,
      "transport_unregister(channel)" },
    { "outbox_deliver", rp_outbox_deliver, METH_VARARGS,
      "outbox_deliver(now) -> (sent, retried, failed, skipped, deferred)" },
    { "message_queue", rp_message_queue, METH_VARARGS,
      "message_queue(host_id, customer_id, channel, category, template_id, order_id, "
      "shipment_id, fallback_channel, due_at, max_age_ms, on_quiet, on_cap, extra_json, now) "
      "-> (decision, message_id, not_before, reason)" },
    { "message_report", rp_message_report, METH_VARARGS,
      "message_report(message_id, status, at)" },
    { "message_find", rp_message_find, METH_VARARGS,
      "message_find(idempotency_key) -> outbox id" },
    { "message_find_provider", rp_message_find_provider, METH_VARARGS,
      "message_find_provider(channel, provider_id) -> outbox id" },
    { "outbox", rp_outbox_iter, METH_VARARGS,
      "outbox(states, customer_id, since, limit) -> iterator of entry tuples" },
    { "outbox_get", rp_outbox_get, METH_VARARGS, "outbox_get(id) -> entry tuple" },
    { "outbox_history", rp_outbox_history, METH_VARARGS, "outbox_history(id) -> JSON text" },
    { "outbox_retry", rp_outbox_retry, METH_VARARGS, "outbox_retry(id, now)" },
    { "outbox_cancel", rp_outbox_cancel, METH_VARARGS, "outbox_cancel(id, now)" },
#endif
#ifdef RETAIN_PY_HAVE_POLICY
    { "quiet_hours_set", rp_quiet_hours_set, METH_VARARGS,
      "quiet_hours_set(channel, start_minute, end_minute)" },
    { "quiet_hours_get", rp_quiet_hours_get, METH_VARARGS,
      "quiet_hours_get(channel) -> (start_minute, end_minute), -1s when none" },
    { "cap_set", rp_cap_set, METH_VARARGS,
      "cap_set(channel, category, max_messages, window_ms)" },
    { "cap_get", rp_cap_get, METH_VARARGS,
      "cap_get(channel, category) -> (max_messages, window_ms)" },
    { "cap_remove", rp_cap_remove, METH_VARARGS, "cap_remove(channel, category)" },
    { "profile_load", rp_profile_load, METH_VARARGS, "profile_load(yaml, origin, now)" },
    { "profile_load_file", rp_profile_load_file, METH_VARARGS,
      "profile_load_file(path, now)" },
    { "profile_remove", rp_profile_remove, METH_VARARGS, "profile_remove(name)" },
    { "profile_of", rp_profile_of, METH_VARARGS, "profile_of(sales_channel) -> profile name" },
#endif
#ifdef RETAIN_PY_HAVE_METRICS
    { "metrics_summary", rp_metrics_summary, METH_VARARGS,
      "metrics_summary(currency, as_of) -> JSON text" },
    { "metrics_cohorts", rp_metrics_cohorts, METH_VARARGS,
      "metrics_cohorts(currency, period, as_of) -> JSON text" },
    { "metrics_churn", rp_metrics_churn, METH_VARARGS,
      "metrics_churn(currency, period, as_of) -> JSON text" },
    { "metrics_rfm_scores", rp_metrics_rfm_scores, METH_VARARGS,
      "metrics_rfm_scores(currency, as_of) -> JSON text" },
    { "metrics_rfm_from_store", rp_metrics_rfm_from_store, METH_VARARGS,
      "metrics_rfm_from_store(currency, calibration_end, holdout_end, unit) -> JSON text" },
    { "metrics_economics", rp_metrics_economics, METH_VARARGS,
      "metrics_economics(model, margin, discount_rate, retention, lift, customers, "
      "period_length, period_unit, periods) -> JSON text" },
    { "metrics_conversion", rp_metrics_conversion, METH_VARARGS,
      "metrics_conversion(journey, since, window_ms, as_of) -> JSON text" },
#endif
#ifdef RETAIN_PY_HAVE_DOMAIN
    { "carrier_set", rp_carrier_set, METH_VARARGS, "carrier_set(carrier, template, now)" },
    { "sku_cycle_set", rp_sku_cycle_set, METH_VARARGS, "sku_cycle_set(sku, cycle_ms)" },
    { "sku_cycle_get", rp_sku_cycle_get, METH_VARARGS,
      "sku_cycle_get(sku) -> (cycle_ms, source, configured_ms, learned_ms, samples)" },
    { "replenish_learn", rp_replenish_learn, METH_VARARGS, "replenish_learn(now) -> skus" },
    { "replenish_get", rp_replenish_get, METH_VARARGS,
      "replenish_get(order_id, sku) -> (state, due_at or None)" },
    { "product_upsert", rp_product_upsert, METH_VARARGS,
      "product_upsert(sku, title, price, currency, attrs_json, at)" },
    { "recommend_build", rp_recommend_build, METH_VARARGS,
      "recommend_build(neighbors, min_support) -> (baskets, skus, pairs, neighbors)" },
    { "recommend", rp_recommend, METH_VARARGS,
      "recommend(customer_id, n) -> [(sku, title, price, currency, score, support)]" },
#endif
#ifdef RETAIN_PY_HAVE_COUPONS
    { "coupon_campaign_define", rp_coupon_campaign_define, METH_VARARGS,
      "coupon_campaign_define(name, prefix, code_length, kind, percent_or_amount, currency, "
      "min_total, min_currency, expires_at, valid_for_ms, max_uses, per_customer, channels, now)" },
    { "coupon_campaigns_load", rp_coupon_campaigns_load, METH_VARARGS,
      "coupon_campaigns_load(yaml, origin, now)" },
    { "coupon_seed", rp_coupon_seed, METH_VARARGS, "coupon_seed(secret_bytes)" },
    { "coupon_issue", rp_coupon_issue, METH_VARARGS,
      "coupon_issue(campaign, customer_id, now) -> code" },
    { "coupon_validate", rp_coupon_validate, METH_VARARGS,
      "coupon_validate(code, customer_id, amount, currency, channel, now) -> check tuple" },
    { "coupon_redeem", rp_coupon_redeem, METH_VARARGS,
      "coupon_redeem(code, customer_id, order_id, amount, currency, channel, now) -> check tuple" },
    { "coupon_revoke", rp_coupon_revoke, METH_VARARGS, "coupon_revoke(code, reason, now)" },
    { "feedback_record", rp_feedback_record, METH_VARARGS,
      "feedback_record(customer_id, order_id, score, scale, comment, at)" },
    { "feedback_configure", rp_feedback_configure, METH_VARARGS,
      "feedback_configure(escalate_at, task_kind, task_note)" },
    { "feedback_metrics", rp_feedback_metrics, METH_VARARGS,
      "feedback_metrics(by, period, since, as_of) -> JSON text" },
#endif
#ifdef RETAIN_PY_HAVE_REFRESH
    { "model_refresh", rp_model_refresh, METH_VARARGS,
      "model_refresh(now, currency, unit, purchase_model, horizon_months, "
      "monthly_discount_rate, margin, max_iterations, tolerance) -> (customers, "
      "repeat_customers, cleared, calibration_end, purchase, spend)" },
#endif
#ifdef RETAIN_PY_HAVE_TASKS
    { "agent_upsert", rp_agent_upsert, METH_VARARGS,
      "agent_upsert(id, name, skills, timezone, start_minute, end_minute, weekdays, active, now)" },
    { "agent_list", rp_agent_list, METH_NOARGS, "agent_list() -> JSON text" },
    { "task_routing_set", rp_task_routing_set, METH_VARARGS,
      "task_routing_set(explore, max_open_per_agent)" },
    { "task_create", rp_task_create, METH_VARARGS,
      "task_create(customer, kind, note, order, now) -> task id" },
    { "task_route", rp_task_route, METH_VARARGS, "task_route(now) -> tasks assigned" },
    { "task_claim", rp_task_claim, METH_VARARGS, "task_claim(id, agent, now)" },
    { "task_complete", rp_task_complete, METH_VARARGS,
      "task_complete(id, outcome, converted, now)" },
    { "task_cancel", rp_task_cancel, METH_VARARGS, "task_cancel(id, now)" },
    { "task_list", rp_task_list, METH_VARARGS, "task_list(state, agent) -> JSON text" },
#endif
#ifdef RETAIN_PY_HAVE_REPORT
    { "report_html", rp_report_html, METH_VARARGS,
      "report_html(now, currency, title, holdout_days, unit, period, conversion_window_ms) "
      "-> HTML text" },
    { "report_write", rp_report_write, METH_VARARGS,
      "report_write(path, now, currency, title, holdout_days, unit, period, "
      "conversion_window_ms)" },
#endif
#ifdef RETAIN_PY_HAVE_AUDIT
    { "audit", rp_audit, METH_VARARGS,
      "audit(now, yaml_texts, origins) -> JSON text; yaml_texts None: the installed journeys; "
      "ParseError.diagnostics for the first bad text" },
#endif
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef engine_getset[] = {
    { "closed", engine_get_closed, NULL, "True once close() was called.", NULL },
    { "path", engine_get_path, NULL, "The path the engine was opened with.", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

PyTypeObject RpEngine_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "retain._retain.Engine",
    .tp_doc = "Engine(path, busy_timeout_ms=0, zoneinfo_dir=None, default_timezone=None, "
              "default_country=None, cache_kib=0, readonly=False, autolink=False)\n\n"
              "A libretain engine; the low-level object behind retain.Engine.",
    .tp_basicsize = sizeof(EngineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = engine_new,
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_methods = engine_methods,
    .tp_getset = engine_getset,
};

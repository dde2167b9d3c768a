/*
 * delivery.c - Engine methods of retain/transport.h: Python callables as
 * transports, host-queued messages, receipts and the outbox.
 *
 * The send trampoline runs on the thread that called tick() or deliver(),
 * which released the GIL and holds the engine lock: it takes the GIL only
 * while Python runs. What crosses is plain: the message as a tuple, the
 * answer as (outcome, provider_id, retry_after_ms, reason); the package's
 * wrapper (retain/_delivery.py) turns those into Message / Sent / Retry /
 * Failed and turns an Exception of the host's callable into a retry whose
 * reason holds the traceback. Whatever still escapes is handled here: an
 * Exception becomes a retry ("Type: message"), anything else
 * (KeyboardInterrupt, SystemExit) stops the run with RETAIN_EUSER and is
 * raised again when the C call has returned (rp_reraise_callback).
 */
#include "pyretain.h"

#include <string.h>

typedef struct RpTransport {
    PyObject *send;        /* strong: released by the close callback */
    EngineObject *engine;  /* borrowed: an engine closes its transports before it goes */
} RpTransport;

/* Copy a str into a C buffer, cut at a character boundary; None gives "". */
static void copy_text(char *dst, size_t cap, PyObject *s)
{
    dst[0] = '\0';
    if (!s || s == Py_None || !PyUnicode_Check(s))
        return;
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (!u) {
        PyErr_Clear();
        return;
    }
    size_t len = (size_t)n;
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)u[len] & 0xC0) == 0x80)
            len--; /* do not split a UTF-8 sequence */
    }
    memcpy(dst, u, len);
    dst[len] = '\0';
}

static PyObject *message_tuple(const retain_message *m)
{
    return Py_BuildValue("(LNNNNNNNNiiLLNiNNNL)", (long long)m->id,
                         rp_str_or_none(m->idempotency_key), rp_str_or_none(m->customer_id),
                         rp_str_or_none(m->channel), rp_str_or_none(m->category),
                         rp_str_or_none(m->template_id), rp_str_or_none(m->locale),
                         rp_str_or_none(m->recipient), rp_str_or_none(m->payload_json),
                         m->attempt, m->max_attempts, (long long)m->now, (long long)m->due_at,
                         rp_str_or_none(m->journey), m->journey_version,
                         rp_str_or_none(m->step), rp_str_or_none(m->host_id),
                         rp_str_or_none(m->order_id), (long long)m->fallback_of);
}

/* The Python error set now, as a send outcome (the error is cleared or stashed). */
static int send_error(EngineObject *engine, retain_send_result *r)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type && PyErr_GivenExceptionMatches(type, PyExc_Exception)) {
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *text = PyUnicode_FromFormat("%s: %S", ((PyTypeObject *)type)->tp_name,
                                              value ? value : Py_None);
        if (!text)
            PyErr_Clear();
        copy_text(r->reason, sizeof r->reason, text);
        Py_XDECREF(text);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return RETAIN_SEND_RETRY;
    }
    if (engine->cb_type) { /* keep the first one */
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    } else {
        engine->cb_type = type;
        engine->cb_value = value;
        engine->cb_tb = tb;
    }
    return RETAIN_EUSER;
}

static int tp_send(const retain_message *m, retain_send_result *r, void *userdata)
{
    RpTransport *t = userdata;
    PyGILState_STATE gil = PyGILState_Ensure();
    int outcome;
    if (t->engine->cb_type) {
        outcome = RETAIN_EUSER; /* an earlier message of this run asked to stop */
        goto out;
    }
    PyObject *msg = message_tuple(m);
    PyObject *res = msg ? PyObject_CallOneArg(t->send, msg) : NULL;
    Py_XDECREF(msg);
    if (!res) {
        outcome = send_error(t->engine, r);
        goto out;
    }
    int code = 0;
    long long retry_after = 0;
    PyObject *provider = Py_None, *reason = Py_None;
    if (!PyTuple_Check(res) ||
        !PyArg_ParseTuple(res, "iOLO", &code, &provider, &retry_after, &reason)) {
        PyErr_Clear();
        snprintf(r->reason, sizeof r->reason, "the transport wrapper returned a %s",
                 Py_TYPE(res)->tp_name);
        outcome = RETAIN_SEND_RETRY;
    } else {
        copy_text(r->provider_id, sizeof r->provider_id, provider);
        copy_text(r->reason, sizeof r->reason, reason);
        r->retry_after_ms = retry_after > 0 ? retry_after : 0;
        outcome = code;
    }
    Py_DECREF(res);
out:
    PyGILState_Release(gil);
    return outcome;
}

static void tp_close(void *userdata)
{
    RpTransport *t = userdata;
    PyGILState_STATE gil = PyGILState_Ensure();
    Py_CLEAR(t->send);
    PyGILState_Release(gil);
    PyMem_RawFree(t);
}

PyObject *rp_transport_register(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel;
    PyObject *send;
    int max_attempts, batch;
    long long base, cap, lease;
    if (!PyArg_ParseTuple(args, "sOiLLLi:transport_register", &channel, &send, &max_attempts,
                          &base, &cap, &lease, &batch))
        return NULL;
    if (!PyCallable_Check(send)) {
        PyErr_SetString(PyExc_TypeError, "send must be callable");
        return NULL;
    }
    RpTransport *t = PyMem_RawMalloc(sizeof *t);
    if (!t)
        return PyErr_NoMemory();
    t->send = Py_NewRef(send);
    t->engine = self;
    if (rp_enter(self)) {
        Py_DECREF(t->send);
        PyMem_RawFree(t);
        return NULL;
    }
    retain_transport tr = RETAIN_TRANSPORT_INIT;
    tr.channel = channel;
    tr.send = tp_send;
    tr.close = tp_close;
    tr.userdata = t;
    tr.max_attempts = max_attempts;
    tr.backoff_base_ms = base;
    tr.backoff_cap_ms = cap;
    tr.lease_ms = lease;
    tr.batch = batch;
    int rc;
    Py_BEGIN_ALLOW_THREADS /* the replaced transport's close takes the GIL itself */
    rc = retain_transport_register(self->e, &tr);
    Py_END_ALLOW_THREADS
    PyObject *res = Py_NewRef(Py_None);
    if (rc) {
        Py_CLEAR(res);
        rp_raise_engine(self, rc);
        Py_DECREF(t->send); /* close is not called when registering fails */
        PyMem_RawFree(t);
    }
    rp_leave(self);
    return res;
}

PyObject *rp_transport_unregister(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel;
    if (!PyArg_ParseTuple(args, "s:transport_unregister", &channel))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_transport_unregister(self->e, channel));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_outbox_deliver(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long now;
    if (!PyArg_ParseTuple(args, "L:outbox_deliver", &now))
        return NULL;
    retain_delivery_stats st;
    memset(&st, 0, sizeof st);
    int rc;
    RP_LOCKED_CALL(self, rc, retain_outbox_deliver(&st, self->e, now));
    PyObject *res = NULL;
    if (rp_reraise_callback(self))
        ;
    else if (rc)
        rp_raise_engine(self, rc);
    else
        res = Py_BuildValue("(LLLLL)", (long long)st.sent, (long long)st.retried,
                            (long long)st.failed, (long long)st.skipped, (long long)st.deferred);
    rp_leave(self);
    return res;
}

PyObject *rp_message_queue(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_message_spec spec = RETAIN_MESSAGE_SPEC_INIT;
    PyObject *due;
    long long max_age, now;
    int on_quiet, on_cap;
    if (!PyArg_ParseTuple(args, "sssszzzzOLiizL:message_queue", &spec.host_id,
                          &spec.customer_id, &spec.channel, &spec.category, &spec.template_id,
                          &spec.order_id, &spec.shipment_id, &spec.fallback_channel, &due,
                          &max_age, &on_quiet, &on_cap, &spec.extra_json, &now))
        return NULL;
    if (rp_opt_time(due, &spec.due_at) < 0)
        return NULL;
    spec.max_age_ms = max_age;
    spec.on_quiet = (retain_on_policy)on_quiet;
    spec.on_cap = (retain_on_policy)on_cap;
    retain_queue_result out;
    memset(&out, 0, sizeof out);
    int rc;
    RP_LOCKED_CALL(self, rc, retain_message_queue(&out, self->e, &spec, now));
    PyObject *res = rc ? rp_raise_engine(self, rc)
                       : Py_BuildValue("(iLLN)", (int)out.decision, (long long)out.message_id,
                                       (long long)out.not_before, rp_str_or_none(out.reason));
    rp_leave(self);
    return res;
}

PyObject *rp_message_report(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long id, at;
    int status;
    if (!PyArg_ParseTuple(args, "LiL:message_report", &id, &status, &at))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_message_report(self->e, id, (retain_receipt)status, at));
    return rp_none_or_raise(self, rc);
}

static PyObject *id_or_raise(EngineObject *self, int rc, int64_t id)
{
    PyObject *res = rc ? rp_raise_engine(self, rc) : PyLong_FromLongLong(id);
    rp_leave(self);
    return res;
}

PyObject *rp_message_find(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *key;
    if (!PyArg_ParseTuple(args, "s:message_find", &key))
        return NULL;
    int64_t id = 0;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_message_find(&id, self->e, key));
    return id_or_raise(self, rc, id);
}

PyObject *rp_message_find_provider(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel, *provider;
    if (!PyArg_ParseTuple(args, "ss:message_find_provider", &channel, &provider))
        return NULL;
    int64_t id = 0;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_message_find_provider(&id, self->e, channel, provider));
    return id_or_raise(self, rc, id);
}

PyObject *rp_outbox_entry_tuple(const retain_outbox_entry *m)
{
    return Py_BuildValue("(LNNNNNNiNNNNiiLLLLNNNNNNL)", (long long)m->id,
                         rp_str_or_none(m->idempotency_key), rp_str_or_none(m->customer_id),
                         rp_str_or_none(m->channel), rp_str_or_none(m->category),
                         rp_str_or_none(m->template_id), rp_str_or_none(m->journey),
                         m->journey_version, rp_str_or_none(m->step),
                         rp_str_or_none(m->host_id), rp_str_or_none(m->order_id),
                         rp_str_or_none(m->recipient), (int)m->state, m->attempts,
                         (long long)m->created_at, (long long)m->due_at,
                         (long long)m->not_before, (long long)m->updated_at,
                         rp_time_or_none(m->sent_at), rp_time_or_none(m->expires_at),
                         rp_str_or_none(m->provider_id), rp_str_or_none(m->last_reason),
                         rp_str_or_none(m->delivery), rp_str_or_none(m->payload_json),
                         (long long)m->fallback_of);
}

PyObject *rp_outbox_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long id;
    if (!PyArg_ParseTuple(args, "L:outbox_get", &id))
        return NULL;
    retain_outbox_entry *m = NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_outbox_get(&m, self->e, id));
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_outbox_entry_tuple(m);
    retain_outbox_entry_free(m);
    rp_leave(self);
    return res;
}

PyObject *rp_outbox_history(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    long long id;
    if (!PyArg_ParseTuple(args, "L:outbox_history", &id))
        return NULL;
    char *json = NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_outbox_history(&json, self->e, id));
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_take_json(self, json);
    rp_leave(self);
    return res;
}

typedef int (*id_now_fn)(retain_engine *, int64_t, int64_t);

static PyObject *id_now(PyObject *op, PyObject *args, id_now_fn fn, const char *fmt)
{
    EngineObject *self = (EngineObject *)op;
    long long id, now;
    if (!PyArg_ParseTuple(args, fmt, &id, &now))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, fn(self->e, id, now));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_outbox_retry(PyObject *op, PyObject *args)
{
    return id_now(op, args, retain_outbox_retry, "LL:outbox_retry");
}

PyObject *rp_outbox_cancel(PyObject *op, PyObject *args)
{
    return id_now(op, args, retain_outbox_cancel, "LL:outbox_cancel");
}

int rp_delivery_init(PyObject *m)
{
    static const struct { const char *name; int value; } k[] = {
        { "SEND_SENT", RETAIN_SEND_SENT },
        { "SEND_RETRY", RETAIN_SEND_RETRY },
        { "SEND_FAILED", RETAIN_SEND_FAILED },
        { "ON_POLICY_DEFER", RETAIN_ON_POLICY_DEFER },
        { "ON_POLICY_SKIP", RETAIN_ON_POLICY_SKIP },
        { "GATE_QUEUED", RETAIN_GATE_QUEUED },
        { "GATE_DEFERRED", RETAIN_GATE_DEFERRED },
        { "GATE_SKIPPED", RETAIN_GATE_SKIPPED },
        { "RECEIPT_DELIVERED", RETAIN_RECEIPT_DELIVERED },
        { "RECEIPT_OPENED", RETAIN_RECEIPT_OPENED },
        { "RECEIPT_CLICKED", RETAIN_RECEIPT_CLICKED },
        { "RECEIPT_BOUNCED", RETAIN_RECEIPT_BOUNCED },
        { "RECEIPT_COMPLAINED", RETAIN_RECEIPT_COMPLAINED },
        { "RECEIPT_UNSUBSCRIBED", RETAIN_RECEIPT_UNSUBSCRIBED },
        { "OUTBOX_QUEUED", RETAIN_OUTBOX_QUEUED },
        { "OUTBOX_SENDING", RETAIN_OUTBOX_SENDING },
        { "OUTBOX_SENT", RETAIN_OUTBOX_SENT },
        { "OUTBOX_DEAD", RETAIN_OUTBOX_DEAD },
        { "OUTBOX_SKIPPED", RETAIN_OUTBOX_SKIPPED },
        { "OUTBOX_CANCELLED", RETAIN_OUTBOX_CANCELLED },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (PyModule_AddIntConstant(m, k[i].name, k[i].value) < 0)
            return -1;
    return 0;
}

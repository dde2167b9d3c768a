/*
 * iter.c - iterators over a customer's orders and events, and over the outbox.
 *
 * A libretain iterator holds a prepared statement, so it must be freed
 * before its engine closes: each Python iterator is a child of its Engine
 * (see RpChild). Closing the engine frees them all, after which they raise
 * EngineClosed. An iterator is also freed as soon as it is exhausted, so a
 * forgotten one does not keep a read transaction open.
 */
#include "pyretain.h"

enum { ITER_ORDERS, ITER_EVENTS, ITER_OUTBOX };

typedef struct RpIter {
    RpChild base;
    int kind;
    void *it; /* retain_order_iter / retain_event_iter */
} RpIter;

static void iter_free_c(RpChild *c)
{
    RpIter *self = (RpIter *)c;
    switch (self->kind) {
    case ITER_ORDERS:
        retain_order_iter_free(self->it);
        break;
    case ITER_EVENTS:
        retain_event_iter_free(self->it);
        break;
#ifdef RETAIN_PY_HAVE_TRANSPORT
    case ITER_OUTBOX:
        retain_outbox_iter_free(self->it);
        break;
#endif
    }
    self->it = NULL;
}

/* What to open: a customer's orders or events, or an outbox query. */
typedef struct iter_args {
    const char *customer;
#ifdef RETAIN_PY_HAVE_TRANSPORT
    retain_outbox_query query;
#endif
} iter_args;

static int iter_open_c(void **out, retain_engine *e, int kind, const iter_args *a)
{
    switch (kind) {
    case ITER_ORDERS:
        return retain_order_iter_open((retain_order_iter **)out, e, a->customer);
    case ITER_EVENTS:
        return retain_event_iter_open((retain_event_iter **)out, e, a->customer);
#ifdef RETAIN_PY_HAVE_TRANSPORT
    case ITER_OUTBOX:
        return retain_outbox_iter_open((retain_outbox_iter **)out, e, &a->query);
#endif
    }
    return RETAIN_EINTERNAL;
}

static PyObject *iter_open(EngineObject *engine, int kind, const iter_args *a)
{
    RpIter *self = PyObject_New(RpIter, &RpIter_Type);
    if (!self)
        return NULL;
    rp_child_init(&self->base, engine, iter_free_c);
    self->kind = kind;
    self->it = NULL;
    if (rp_enter(engine)) {
        Py_DECREF(self);
        return NULL;
    }
    int rc;
    void *c_it = NULL;
    Py_BEGIN_ALLOW_THREADS
    rc = iter_open_c(&c_it, engine->e, kind, a);
    Py_END_ALLOW_THREADS
    if (rc) {
        rp_raise_engine(engine, rc);
        rp_leave(engine);
        Py_DECREF(self);
        return NULL;
    }
    self->it = c_it;
    rp_child_attach(&self->base);
    rp_leave(engine);
    return (PyObject *)self;
}

PyObject *rp_orders_iter(PyObject *self, PyObject *args)
{
    iter_args a;
    if (!PyArg_ParseTuple(args, "s:orders", &a.customer))
        return NULL;
    return iter_open((EngineObject *)self, ITER_ORDERS, &a);
}

PyObject *rp_events_iter(PyObject *self, PyObject *args)
{
    iter_args a;
    if (!PyArg_ParseTuple(args, "s:events", &a.customer))
        return NULL;
    return iter_open((EngineObject *)self, ITER_EVENTS, &a);
}

#ifdef RETAIN_PY_HAVE_TRANSPORT
PyObject *rp_outbox_iter(PyObject *self, PyObject *args)
{
    iter_args a;
    retain_outbox_query q = RETAIN_OUTBOX_QUERY_INIT;
    PyObject *since;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "IzOn:outbox", &q.states, &q.customer_id, &since, &limit))
        return NULL;
    if (rp_opt_time(since, &q.since) < 0)
        return NULL;
    if (limit < 0) {
        PyErr_SetString(PyExc_ValueError, "limit must be >= 0");
        return NULL;
    }
    q.limit = (size_t)limit;
    a.customer = NULL;
    a.query = q;
    return iter_open((EngineObject *)self, ITER_OUTBOX, &a);
}
#endif

/* NULL without an exception (StopIteration) once exhausted or closed. */
static PyObject *iter_done(RpIter *self)
{
    if (self->base.engine_closed)
        rp_raise_closed();
    return NULL;
}

static PyObject *iter_next(PyObject *op)
{
    RpIter *self = (RpIter *)op;
    if (!self->base.attached)
        return iter_done(self);
    EngineObject *engine = self->base.engine;
    if (rp_enter(engine))
        return NULL;
    if (!self->base.attached) { /* closed by another thread while we waited */
        rp_leave(engine);
        return iter_done(self);
    }
    int rc;
    const void *row = NULL;
    void *c_it = self->it;
    int kind = self->kind;
    Py_BEGIN_ALLOW_THREADS
    switch (kind) {
    case ITER_ORDERS:
        rc = retain_order_iter_next(c_it, (const retain_order **)&row);
        break;
    case ITER_EVENTS:
        rc = retain_event_iter_next(c_it, (const retain_event **)&row);
        break;
#ifdef RETAIN_PY_HAVE_TRANSPORT
    case ITER_OUTBOX:
        rc = retain_outbox_iter_next(c_it, (const retain_outbox_entry **)&row);
        break;
#endif
    default:
        rc = RETAIN_EINTERNAL;
    }
    Py_END_ALLOW_THREADS
    PyObject *res = NULL;
    if (rc == RETAIN_ROW) {
        switch (kind) {
        case ITER_ORDERS:
            res = rp_order_tuple(row);
            break;
#ifdef RETAIN_PY_HAVE_TRANSPORT
        case ITER_OUTBOX:
            res = rp_outbox_entry_tuple(row);
            break;
#endif
        default:
            res = rp_event_tuple(row);
        }
    } else if (rc == RETAIN_DONE) {
        rp_child_release(&self->base);
    } else {
        rp_raise_engine(engine, rc);
        rp_child_release(&self->base);
    }
    rp_leave(engine);
    return res;
}

static PyMethodDef iter_methods[] = {
    { "close", rp_child_close, METH_NOARGS, "Free the iterator now; further next() stops." },
    { NULL, NULL, 0, NULL },
};

PyTypeObject RpIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "retain._retain.Iterator",
    .tp_doc = "An iterator over rows of an engine (a customer's orders or events, or outbox "
              "messages).",
    .tp_basicsize = sizeof(RpIter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = rp_child_type_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = iter_next,
    .tp_methods = iter_methods,
};

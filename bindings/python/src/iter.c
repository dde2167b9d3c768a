/*
 * iter.c - iterators over a customer's orders and events.
 *
 * A libretain iterator holds a prepared statement, so it must be freed
 * before its engine closes: each Python iterator is a child of its Engine
 * (see RpChild). Closing the engine frees them all, after which they raise
 * EngineClosed. An iterator is also freed as soon as it is exhausted, so a
 * forgotten one does not keep a read transaction open.
 */
#include "pyretain.h"

enum { ITER_ORDERS, ITER_EVENTS };

typedef struct RpIter {
    RpChild base;
    int kind;
    void *it; /* retain_order_iter / retain_event_iter */
} RpIter;

static void iter_free_c(RpChild *c)
{
    RpIter *self = (RpIter *)c;
    if (self->kind == ITER_ORDERS)
        retain_order_iter_free(self->it);
    else
        retain_event_iter_free(self->it);
    self->it = NULL;
}

static PyObject *iter_open(EngineObject *engine, PyObject *args, int kind)
{
    const char *cust;
    if (!PyArg_ParseTuple(args, kind == ITER_ORDERS ? "s:orders" : "s:events", &cust))
        return NULL;
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
    if (kind == ITER_ORDERS)
        rc = retain_order_iter_open((retain_order_iter **)&c_it, engine->e, cust);
    else
        rc = retain_event_iter_open((retain_event_iter **)&c_it, engine->e, cust);
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
    return iter_open((EngineObject *)self, args, ITER_ORDERS);
}

PyObject *rp_events_iter(PyObject *self, PyObject *args)
{
    return iter_open((EngineObject *)self, args, ITER_EVENTS);
}

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
    if (kind == ITER_ORDERS)
        rc = retain_order_iter_next(c_it, (const retain_order **)&row);
    else
        rc = retain_event_iter_next(c_it, (const retain_event **)&row);
    Py_END_ALLOW_THREADS
    PyObject *res = NULL;
    if (rc == RETAIN_ROW) {
        res = kind == ITER_ORDERS ? rp_order_tuple(row) : rp_event_tuple(row);
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
    .tp_doc = "An iterator over rows of an engine (orders or events of one customer).",
    .tp_basicsize = sizeof(RpIter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = rp_child_type_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = iter_next,
    .tp_methods = iter_methods,
};

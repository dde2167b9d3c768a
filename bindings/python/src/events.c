/* events.c - Engine methods for events. */
#include "pyretain.h"

PyObject *rp_event_track(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *cust, *name, *props, *host_id;
    long long at;
    if (!PyArg_ParseTuple(args, "ssLzz:event_track", &cust, &name, &at, &props, &host_id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_event_track(self->e, cust, name, at, props, host_id);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_event_tuple(const retain_event *ev)
{
    return Py_BuildValue("(LNNLNNN)", (long long)ev->seq, rp_str_or_none(ev->customer_id),
                         rp_str_or_none(ev->name), (long long)ev->at,
                         rp_str_or_none(ev->props_json), rp_str_or_none(ev->host_event_id),
                         rp_str_or_none(ev->order_id));
}

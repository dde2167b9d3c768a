/* customers.c - Engine methods for customers and consent. */
#include "pyretain.h"

PyObject *rp_customer_upsert(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    retain_customer c = RETAIN_CUSTOMER_INIT;
    long long at;
    if (!PyArg_ParseTuple(args, "szzzzzzL:customer_upsert", &c.id, &c.email, &c.phone, &c.name,
                          &c.timezone, &c.locale, &c.attrs_json, &at))
        return NULL;
    c.at = at;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_upsert(self->e, &c);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

static PyObject *customer_tuple(const retain_customer *c)
{
    PyObject *rev = PyTuple_New((Py_ssize_t)c->revenue_count);
    if (!rev)
        return NULL;
    for (size_t i = 0; i < c->revenue_count; i++) {
        PyObject *m = Py_BuildValue("(sL)", c->revenue[i].currency,
                                    (long long)c->revenue[i].amount);
        if (!m) {
            Py_DECREF(rev);
            return NULL;
        }
        PyTuple_SET_ITEM(rev, (Py_ssize_t)i, m);
    }
    return Py_BuildValue("(NNNNNNNLLLNNNd)", rp_str_or_none(c->id), rp_str_or_none(c->email),
                         rp_str_or_none(c->phone), rp_str_or_none(c->name),
                         rp_str_or_none(c->timezone), rp_str_or_none(c->locale),
                         rp_str_or_none(c->attrs_json), (long long)c->created_at,
                         (long long)c->updated_at, (long long)c->orders_count,
                         rp_time_or_none(c->first_order_at), rp_time_or_none(c->last_order_at),
                         rev, c->p_alive);
}

PyObject *rp_customer_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    if (!PyArg_ParseTuple(args, "s:customer_get", &id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    retain_customer *c = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_get(&c, self->e, id);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : customer_tuple(c);
    retain_customer_free(c);
    rp_leave(self);
    return res;
}

PyObject *rp_customer_delete(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    if (!PyArg_ParseTuple(args, "s:customer_delete", &id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_delete(self->e, id);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_customer_erase(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    long long now;
    if (!PyArg_ParseTuple(args, "sL:customer_erase", &id, &now))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_erase(self->e, id, now);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_customer_export(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    if (!PyArg_ParseTuple(args, "s:customer_export", &id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    char *json = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_export(&json, self->e, id);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_take_json(self, json);
    rp_leave(self);
    return res;
}

PyObject *rp_customer_merge(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *into, *from;
    long long now;
    if (!PyArg_ParseTuple(args, "ssL:customer_merge", &into, &from, &now))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_merge(self->e, into, from, now);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_customer_merges(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *id;
    if (!PyArg_ParseTuple(args, "s:customer_merges", &id))
        return NULL;
    if (rp_enter(self))
        return NULL;
    char *json = NULL;
    int rc = retain_customer_merges(&json, self->e, id);
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_take_json(self, json);
    rp_leave(self);
    return res;
}

/* None when nobody has that e-mail address or phone number. */
PyObject *rp_customer_find(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *email, *phone;
    if (!PyArg_ParseTuple(args, "zz:customer_find", &email, &phone))
        return NULL;
    if (rp_enter(self))
        return NULL;
    char *id = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_customer_find(&id, self->e, email, phone);
    Py_END_ALLOW_THREADS
    PyObject *res;
    if (rc == RETAIN_ENOTFOUND)
        res = Py_NewRef(Py_None);
    else if (rc)
        res = rp_raise_engine(self, rc);
    else
        res = rp_str_or_none(id);
    retain_free(self->e, id);
    rp_leave(self);
    return res;
}

PyObject *rp_consent_set(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *cust, *channel, *category, *source;
    int state;
    long long at;
    if (!PyArg_ParseTuple(args, "sssiLz:consent_set", &cust, &channel, &category, &state, &at,
                          &source))
        return NULL;
    if (rp_enter(self))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_consent_set(self->e, cust, channel, category, (retain_consent_state)state, at,
                            source);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_NewRef(Py_None);
    rp_leave(self);
    return res;
}

PyObject *rp_consent_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *cust, *channel, *category;
    if (!PyArg_ParseTuple(args, "sss:consent_get", &cust, &channel, &category))
        return NULL;
    if (rp_enter(self))
        return NULL;
    retain_consent_state state = RETAIN_CONSENT_UNKNOWN;
    int64_t at = RETAIN_TIME_NONE;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_consent_get(&state, &at, self->e, cust, channel, category);
    Py_END_ALLOW_THREADS
    PyObject *res = rc ? rp_raise_engine(self, rc)
                       : Py_BuildValue("(iN)", (int)state, rp_time_or_none(at));
    rp_leave(self);
    return res;
}

/*
 * policy.c - Engine methods of retain/policy.h: quiet hours, frequency caps
 * and marketplace profiles. The configuration lives in the database.
 */
#include "pyretain.h"

#include <string.h>

PyObject *rp_quiet_hours_set(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel;
    int start, end;
    if (!PyArg_ParseTuple(args, "sii:quiet_hours_set", &channel, &start, &end))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_quiet_hours_set(self->e, channel, start, end));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_quiet_hours_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel;
    if (!PyArg_ParseTuple(args, "s:quiet_hours_get", &channel))
        return NULL;
    int start = -1, end = -1, rc;
    RP_LOCKED_CALL(self, rc, retain_policy_quiet_hours_get(&start, &end, self->e, channel));
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_BuildValue("(ii)", start, end);
    rp_leave(self);
    return res;
}

PyObject *rp_cap_set(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel, *category;
    int max;
    long long window;
    if (!PyArg_ParseTuple(args, "ssiL:cap_set", &channel, &category, &max, &window))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_cap_set(self->e, channel, category, max, window));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_cap_get(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel, *category;
    if (!PyArg_ParseTuple(args, "ss:cap_get", &channel, &category))
        return NULL;
    int max = 0, rc;
    int64_t window = 0;
    RP_LOCKED_CALL(self, rc, retain_policy_cap_get(&max, &window, self->e, channel, category));
    PyObject *res = rc ? rp_raise_engine(self, rc) : Py_BuildValue("(iL)", max, (long long)window);
    rp_leave(self);
    return res;
}

PyObject *rp_cap_remove(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *channel, *category;
    if (!PyArg_ParseTuple(args, "ss:cap_remove", &channel, &category))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_cap_remove(self->e, channel, category));
    return rp_none_or_raise(self, rc);
}

static PyObject *profile_done(EngineObject *self, int rc, const retain_diag *d)
{
    PyObject *res = Py_NewRef(Py_None);
    if (rc) {
        Py_CLEAR(res);
        rp_raise_diags(self, rc, d, rc == RETAIN_EPARSE && d->message[0] ? 1 : 0);
    }
    rp_leave(self);
    return res;
}

PyObject *rp_profile_load(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *yaml, *origin;
    long long now;
    if (!PyArg_ParseTuple(args, "szL:profile_load", &yaml, &origin, &now))
        return NULL;
    retain_diag d;
    memset(&d, 0, sizeof d);
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_profile_load(self->e, yaml, origin, now, &d));
    return profile_done(self, rc, &d);
}

PyObject *rp_profile_load_file(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *path;
    long long now;
    if (!PyArg_ParseTuple(args, "sL:profile_load_file", &path, &now))
        return NULL;
    retain_diag d;
    memset(&d, 0, sizeof d);
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_profile_load_file(self->e, path, now, &d));
    return profile_done(self, rc, &d);
}

PyObject *rp_profile_remove(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *name;
    if (!PyArg_ParseTuple(args, "s:profile_remove", &name))
        return NULL;
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_profile_remove(self->e, name));
    return rp_none_or_raise(self, rc);
}

PyObject *rp_profile_of(PyObject *op, PyObject *args)
{
    EngineObject *self = (EngineObject *)op;
    const char *sales_channel;
    if (!PyArg_ParseTuple(args, "s:profile_of", &sales_channel))
        return NULL;
    char name[256] = "";
    int rc;
    RP_LOCKED_CALL(self, rc, retain_policy_profile_of(name, sizeof name, self->e, sales_channel));
    PyObject *res = rc ? rp_raise_engine(self, rc) : rp_str_or_none(name);
    rp_leave(self);
    return res;
}
